"""A Keras ``Bidirectional(LSTM)`` into a PyTorch ``nn.LSTM(bidirectional=True)`` (held-out 15: a Keras 3 denoiser
into its torch twin): the bidirectional layer was left alone, its 8 values new and Keras' 6 unused. Its directions
now pair direction for direction (``forward_layer`` with the plain weights, ``backward_layer`` with ``_reverse``),
the kernels transposed; the one Keras bias per direction (PyTorch adds two) goes into ``b_ih`` and ``b_hh`` is set to
zero, as the published converters do. Keras writes the file (in a child process); the outputs of both models after
the printed fix are the oracle."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

KERAS = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, keras
    keras.utils.set_random_seed(0)
    x_in = keras.Input((7, 6))
    h = keras.layers.LSTM(10, return_sequences=True)(x_in)
    h = keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True))(h)
    m = keras.Model(x_in, h)
    # random biases (Keras starts the forget gate's at one): a bias in the wrong place would show in the outputs
    for layer in m.layers:
        layer.set_weights([np.random.default_rng(2).standard_normal(w.shape).astype("float32")
                           for w in layer.get_weights()])
    x = np.random.default_rng(1).standard_normal((2, 7, 6)).astype("float32")
    m.save(os.path.join(sys.argv[1], "rnn.keras"))
    np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, y=np.asarray(m(x)))
    """)


class Rnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(6, 10, batch_first=True)
        self.blstm = torch.nn.LSTM(10, 5, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.blstm(self.lstm(x)[0])[0]


def test_a_bidirectional_layer_pairs_direction_for_direction(tmp_path):
    subprocess.run([sys.executable, "-c", KERAS, str(tmp_path)], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    model = Rnn()
    path = str(tmp_path / "rnn.keras")
    a = ckpt_doctor.align(path, model)
    paired = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    for way, suffix in (("forward", ""), ("backward", "_reverse")):
        assert paired[f"blstm.weight_ih_l0{suffix}"] == (f"layers/bidirectional/{way}_layer/cell/vars/0", "transpose")
        assert paired[f"blstm.weight_hh_l0{suffix}"] == (f"layers/bidirectional/{way}_layer/cell/vars/1", "transpose")
    # one Keras bias per direction, the sum of PyTorch's two: into b_ih, and b_hh zero (the fix does it)
    for way, suffix in (("forward", ""), ("backward", "_reverse")):
        assert paired[f"blstm.bias_ih_l0{suffix}"] == (f"layers/bidirectional/{way}_layer/cell/vars/2", None)
    assert paired["lstm.bias_ih_l0"] == ("layers/lstm/cell/vars/2", None)
    assert sorted(a.zeros) == ["blstm.bias_hh_l0", "blstm.bias_hh_l0_reverse", "lstm.bias_hh_l0"]
    assert not a.ambiguous and not a.missing
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.5)  # nothing the fix leaves behind may pass for a loaded value
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-4, atol=1e-5)
    # the verified restore does the same, b_hh zeroed, and proves every value arrived
    fresh = Rnn()
    report = ckpt_doctor.restore(fresh, path)
    assert report.ok, report
    with torch.no_grad():
        np.testing.assert_allclose(fresh(torch.from_numpy(io["x"])).numpy(), io["y"], rtol=1e-4, atol=1e-5)
    # a rewritten file has no value for them, and says so
    written = ckpt_doctor.rewrite_aligned(a, str(tmp_path / "port.safetensors"))
    assert any("must be zero and are not in the file" in n for n in written.notes), written.notes


TRANSDUCER = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, keras
    keras.utils.set_random_seed(0)
    audio, tokens = keras.Input((7, 10)), keras.Input((5, 8))
    enc = keras.layers.LSTM(16, return_sequences=True)(audio)  # auto-named `lstm` and `lstm_1`
    pred = keras.layers.LSTM(12, return_sequences=True)(tokens)
    m = keras.Model([audio, tokens], [enc, pred])
    for layer in m.layers:
        layer.set_weights([np.random.default_rng(2).standard_normal(w.shape).astype("float32")
                           for w in layer.get_weights()])
    xa = np.random.default_rng(1).standard_normal((2, 7, 10)).astype("float32")
    xt = np.random.default_rng(3).standard_normal((2, 5, 8)).astype("float32")
    ya, yt = m([xa, xt])
    m.save_weights(os.path.join(sys.argv[1], "rnnt.weights.h5"))
    np.savez(os.path.join(sys.argv[1], "io.npz"), xa=xa, xt=xt, ya=np.asarray(ya), yt=np.asarray(yt))
    """)


class Transducer(torch.nn.Module):  # named by role, as a port names them: no name says which Keras `lstm` is which
    def __init__(self):
        super().__init__()
        self.encoder, self.predictor = torch.nn.Module(), torch.nn.Module()
        self.encoder.lstm = torch.nn.LSTM(10, 16, batch_first=True)
        self.predictor.lstm = torch.nn.LSTM(8, 12, batch_first=True)


def test_recurrent_layers_named_apart_pair_by_the_one_layer_their_sizes_fit(tmp_path):
    """Held-out 26 (an RNN-T's encoder and prediction LSTMs, tf-keras into PyTorch): two recurrent layers a side,
    Keras' auto-named and the port's named by role. Nothing loads by name, and each layer's input and hidden sizes
    fit one layer of the other side alone: that pairs them; the printed fix gives Keras' outputs."""
    subprocess.run([sys.executable, "-c", TRANSDUCER, str(tmp_path)], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    model = Transducer()
    a = ckpt_doctor.align(str(tmp_path / "rnnt.weights.h5"), model)
    paired = {p.model: p.checkpoint for p in a.pairs}
    assert paired["encoder.lstm.weight_ih_l0"] == "layers/lstm/cell/vars/0"
    assert paired["predictor.lstm.weight_hh_l0"] == "layers/lstm_1/cell/vars/1"
    assert not a.ambiguous and not a.missing and not a.unused
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        ya = model.encoder.lstm(torch.from_numpy(io["xa"]))[0].numpy()
        yt = model.predictor.lstm(torch.from_numpy(io["xt"]))[0].numpy()
    np.testing.assert_allclose(ya, io["ya"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(yt, io["yt"], rtol=1e-4, atol=1e-5)
