"""A Keras or TF1 LSTM cell (silero-vad's decoder in held-out part 40: `vad/decoder/lstm_cell/kernel`,
`recurrent_kernel`, `bias`) into PyTorch's `nn.LSTMCell`, whose weights carry no layer number (`weight_ih`, not
`weight_ih_l0`): the same fused roles as an `nn.LSTM`'s, paired the same way (kernels transposed, the one bias into
`bias_ih`, `bias_hh` zero). The printed fix is run as printed; then the cell computes what a one-layer `nn.LSTM`
filled by the same values through its own names computes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

IN, H = 6, 5


class Port(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(3, IN, 3)
        self.lstm_cell = torch.nn.LSTMCell(IN, H)


def test_a_keras_lstm_cell_into_an_lstm_cell(tmp_path):
    rng = np.random.default_rng(3)
    values = {"vad/encoder/conv1d/kernel": rng.standard_normal((3, 3, IN)),
              "vad/encoder/conv1d/bias": rng.standard_normal(IN),
              "vad/decoder/lstm_cell/kernel": rng.standard_normal((IN, 4 * H)),
              "vad/decoder/lstm_cell/recurrent_kernel": rng.standard_normal((H, 4 * H)),
              "vad/decoder/lstm_cell/bias": rng.standard_normal(4 * H)}
    path = str(tmp_path / "silero.npz")
    np.savez(path, **{k: v.astype(np.float32) for k, v in values.items()})
    model = Port()
    a = ckpt_doctor.align(path, model)
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got["lstm_cell.weight_ih"] == ("vad/decoder/lstm_cell/kernel", "transpose")
    assert got["lstm_cell.weight_hh"] == ("vad/decoder/lstm_cell/recurrent_kernel", "transpose")
    assert got["lstm_cell.bias_ih"] == ("vad/decoder/lstm_cell/bias", None)
    assert "lstm_cell.bias_hh" not in got and not a.ambiguous
    with torch.no_grad():
        model.lstm_cell.bias_hh.fill_(7.0)  # the fix must zero it
    exec(a.torch_code(), {"model": model})
    assert not model.lstm_cell.bias_hh.detach().numpy().any()
    lstm = torch.nn.LSTM(IN, H)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(values["vad/decoder/lstm_cell/kernel"].T))
        lstm.weight_hh_l0.copy_(torch.tensor(values["vad/decoder/lstm_cell/recurrent_kernel"].T))
        lstm.bias_ih_l0.copy_(torch.tensor(values["vad/decoder/lstm_cell/bias"]))
        lstm.bias_hh_l0.zero_()
        x = torch.tensor(rng.standard_normal((2, IN)), dtype=torch.float32)
        h, c = model.lstm_cell(x)
        out, (h1, c1) = lstm(x[None])
    assert torch.allclose(h, h1[0], atol=1e-6) and torch.allclose(c, c1[0], atol=1e-6)
