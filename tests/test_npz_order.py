"""An ``.npz`` keeps the order ``np.savez`` wrote its arrays in (found as a new user with g2p_en 2.1.0's
``checkpoint20.npz``: a GRU encoder-decoder saved as ``enc_emb``, ``enc_w_ih``, ``enc_w_hh``, ``enc_b_ih``, ...,
``dec_emb``, ..., ``fc_w``, ``fc_b``, in the model's order). Loaded into a PyTorch model whose names share nothing
with the file's (``src_embed``, ``rnn_src``, ``tgt_embed``, ``rnn_tgt``, ``out``), only structure can pair them.
Before, the file's order was not read (3 pairs, 8 ambiguous, one embedding left new beside its unused value); a
sorted file's order still tells nothing and is not read. The GRUs' two equal matrices (``w_ih``, ``w_hh``) are told
apart by the words the two sides share, and the two GRUs by the words the embeddings' pairs spell alike (``enc`` is
``src``, ``dec`` is ``tgt``). The oracle is PyTorch: the printed fix, run verbatim, gives the model the reference
model's outputs. Into a Keras rebuild the GRUs are not the file's (Keras orders its gates z, r, h) and only the
embeddings and the output layer pair: the embedding after the first was left out because two GRU kernels, alike in
shape to the file's matrices, outweighed it in the alignment that counts shapes alike where nothing fits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)


class Seq2Seq(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = torch.nn.Embedding(29, 32)
        self.rnn_src = torch.nn.GRU(32, 32, batch_first=True)
        self.tgt_embed = torch.nn.Embedding(74, 32)
        self.rnn_tgt = torch.nn.GRU(32, 32, batch_first=True)
        self.out = torch.nn.Linear(32, 74)

    def forward(self, src, tgt):
        _, h = self.rnn_src(self.src_embed(src))
        y, _ = self.rnn_tgt(self.tgt_embed(tgt), h)
        return self.out(y)


# g2p_en's names for each of the reference model's values, in the order its file lists them
_G2P = {"enc_emb": "src_embed.weight", "enc_w_ih": "rnn_src.weight_ih_l0", "enc_w_hh": "rnn_src.weight_hh_l0",
        "enc_b_ih": "rnn_src.bias_ih_l0", "enc_b_hh": "rnn_src.bias_hh_l0", "dec_emb": "tgt_embed.weight",
        "dec_w_ih": "rnn_tgt.weight_ih_l0", "dec_w_hh": "rnn_tgt.weight_hh_l0", "dec_b_ih": "rnn_tgt.bias_ih_l0",
        "dec_b_hh": "rnn_tgt.bias_hh_l0", "fc_w": "out.weight", "fc_b": "out.bias"}


def _save(tmp_path, sort: bool):
    torch.manual_seed(0)
    reference = Seq2Seq()
    state = reference.state_dict()
    arrays = {short: state[key].numpy() for short, key in _G2P.items()}
    path = tmp_path / ("sorted.npz" if sort else "g2p.npz")
    np.savez(path, **(dict(sorted(arrays.items())) if sort else arrays))
    return str(path), reference


def test_the_written_order_pairs_an_encoder_decoder_whose_names_share_nothing(tmp_path):
    path, reference = _save(tmp_path, sort=False)
    a = ckpt_doctor.align(path, Seq2Seq())
    assert {p.checkpoint: p.model for p in a.pairs} == _G2P
    assert not a.ambiguous and not a.missing and not a.unused
    model = Seq2Seq()
    exec(a.torch_code(), {"model": model})
    src, tgt = torch.randint(0, 29, (2, 7)), torch.randint(0, 74, (2, 5))
    with torch.no_grad():
        assert torch.equal(model(src, tgt), reference(src, tgt))


def test_a_sorted_files_order_is_not_read(tmp_path):
    """Sorted by name, the order is the names' own: read as the model's order it would put `dec_*` first. No wrong
    pair; what names cannot tell stays open."""
    path, _ = _save(tmp_path, sort=True)
    entries = ckpt_doctor.open_checkpoint(path)
    assert list(entries) == sorted(_G2P)
    a = ckpt_doctor.align(path, Seq2Seq())
    wrong = [(p.checkpoint, p.model) for p in a.pairs if _G2P[p.checkpoint] != p.model]
    assert not wrong, wrong
    assert {"src_embed.weight", "tgt_embed.weight"} & {p.model for p in a.pairs}


def test_an_npz_lists_its_arrays_in_the_order_they_were_written(tmp_path):
    np.savez(tmp_path / "w.npz", b=np.zeros(2), a=np.ones(3), c=np.zeros((2, 2)))
    catalog = ckpt_doctor.open_checkpoint(str(tmp_path / "w.npz"))
    assert [(e.name, e.written) for e in catalog.values()] == [("b", 0), ("a", 1), ("c", 2)]


KERAS = textwrap.dedent("""\
    import json, sys
    import numpy as np, keras
    import ckpt_doctor

    src, tgt = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    _, h = keras.layers.GRU(32, return_state=True, name="encoder")(keras.layers.Embedding(29, 32, name="src_emb")(src))
    y = keras.layers.GRU(32, return_sequences=True, name="decoder")(keras.layers.Embedding(74, 32, name="tgt_emb")(tgt),
                                                                      initial_state=h)
    model = keras.Model([src, tgt], keras.layers.Dense(74, name="logits")(y))
    a = ckpt_doctor.align(sys.argv[1], model)
    exec(a.tf2_assign_code(), {"model": model})
    saved = np.load(sys.argv[1])
    same = {v.path: bool(np.array_equal(v.numpy(), saved[p.checkpoint].T if p.transform else saved[p.checkpoint]))
            for p in a.pairs for v in model.weights if v.path == p.model}
    print(json.dumps({"pairs": {p.model: [p.checkpoint, p.transform] for p in a.pairs}, "same": same,
                      "ambiguous": [x.model for x in a.ambiguous]}))
    """)


def test_into_a_keras_rebuild_the_embeddings_and_the_output_layer_pair(tmp_path):
    path, _ = _save(tmp_path, sort=False)
    done = subprocess.run([sys.executable, "-c", KERAS, path], capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["pairs"] == {"src_emb/embeddings": ["enc_emb", None], "tgt_emb/embeddings": ["dec_emb", None],
                            "logits/kernel": ["fc_w", "transpose"], "logits/bias": ["fc_b", None]}, got
    assert len(got["same"]) == 4 and all(got["same"].values()), got  # the printed fix assigned each value
    assert not got["ambiguous"], got
