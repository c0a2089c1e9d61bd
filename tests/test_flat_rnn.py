"""Flat NumPy names of a hand-written recurrent model into its PyTorch port (found as a new user with g2p_en 2.1.0's
``checkpoint20.npz``: ``enc_emb``, ``enc_w_ih`` .. ``enc_b_hh``, ``dec_emb``, ``dec_w_ih`` .. ``fc_w``, ``fc_b``,
read by its own NumPy GRU in PyTorch's gate order). Ported as ``enc_emb`` (Embedding), ``encoder`` (nn.GRU),
``dec_emb``, ``decoder`` (nn.GRUCell), ``fc`` (Linear): align paired the embeddings and ``fc`` and left the eight
recurrent values unused (`enc_w_ih` shares no token with `weight_ih_l0`, and `enc` with `encoder` only letters).
The recurrent roles are read from the flat names now, a one-layer ``nn.GRU``'s ``weight_ih_l0`` is its
``weight_ih``, and an abbreviation (``enc`` of ``encoder``) is name evidence a crossed renaming (``enc`` ->
``decoder``) lacks. The printed fix is run as printed; the NumPy values are the truth."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

NAMES = {"enc_emb": "enc_emb.weight", "enc_w_ih": "encoder.weight_ih_l0", "enc_w_hh": "encoder.weight_hh_l0",
         "enc_b_ih": "encoder.bias_ih_l0", "enc_b_hh": "encoder.bias_hh_l0", "dec_emb": "dec_emb.weight",
         "dec_w_ih": "decoder.weight_ih", "dec_w_hh": "decoder.weight_hh", "dec_b_ih": "decoder.bias_ih",
         "dec_b_hh": "decoder.bias_hh", "fc_w": "fc.weight", "fc_b": "fc.bias"}


class G2P(torch.nn.Module):
    def __init__(self, hidden: int = 16):
        super().__init__()
        self.enc_emb = torch.nn.Embedding(29, hidden)
        self.encoder = torch.nn.GRU(hidden, hidden, batch_first=True)
        self.dec_emb = torch.nn.Embedding(74, hidden)
        self.decoder = torch.nn.GRUCell(hidden, hidden)
        self.fc = torch.nn.Linear(hidden, 74)


def _npz(tmp_path, model: torch.nn.Module) -> tuple[str, dict]:
    rng = np.random.default_rng(0)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    values = {flat: rng.standard_normal(shapes[name]).astype(np.float32) for flat, name in NAMES.items()}
    path = str(tmp_path / "checkpoint20.npz")
    np.savez(path, **values)  # in g2p_en's order, as its file keeps it
    return path, values


def test_flat_recurrent_names_pair_with_a_pytorch_port_and_the_printed_fix_loads_them(tmp_path):
    model = G2P()
    path, values = _npz(tmp_path, model)
    a = ckpt_doctor.align(path, model)
    assert {p.model: p.checkpoint for p in a.pairs} == {v: k for k, v in NAMES.items()}
    assert not a.ambiguous and not a.missing and not a.unused
    exec(a.torch_code(), {"model": model})
    for flat, name in NAMES.items():
        assert np.array_equal(model.state_dict()[name].numpy(), values[flat]), name


def test_a_crossed_renaming_is_not_taken_for_an_abbreviation(tmp_path):
    # the port names its recurrent modules otherwise: nothing abbreviates, the equal GRUs stay undecided
    class Other(G2P):
        def __init__(self):
            super().__init__()
            self.first, self.second = self.encoder, self.decoder
            del self.encoder, self.decoder

    model = Other()
    path, _ = _npz(tmp_path, G2P())
    a = ckpt_doctor.align(path, model)
    paired = {p.model: p.checkpoint for p in a.pairs}
    assert not any(m.startswith(("first.", "second.")) for m in paired), paired
    assert {x.model for x in a.ambiguous} >= {"second.weight_ih", "first.weight_ih_l0"}
