"""trial13's finding inside match/ (M1): a checkpoint of 40 equal numbered blocks, and a model with the same 40
blocks, four of which name their weight otherwise (``kernel_renamed``). The name rule loads the other 36; align
called all 36 ambiguous ("layers of this kind could be renumbered in several ways"), since shifting every number by
one also pairs 36 values, and diagnose read 72 values to settle it. A renumbering that explains no more values
than the names and keeps fewer layers in correspondence (one dropped at an end, one added at the other) does not
compete with them. PyTorch's own load_state_dict is the oracle of which variables the names load."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

import ckpt_doctor  # noqa: E402
import ckpt_doctor.catalog as catalog  # noqa: E402
from ckpt_doctor.cli import main  # noqa: E402


def _model(renamed: set[int]) -> torch.nn.Module:
    model, blocks = torch.nn.Module(), torch.nn.Module()
    for i in range(40):
        block = torch.nn.Module()
        setattr(block, "kernel_renamed" if i in renamed else "kernel", torch.nn.Parameter(torch.zeros(8, 8)))
        setattr(blocks, f"block_{i}", block)
    model.model = blocks
    return model


def test_blocks_that_load_by_name_are_not_put_in_doubt_by_a_shift(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    state = {f"model.block_{i}.kernel": torch.from_numpy(rng.standard_normal((8, 8)).astype(np.float32))
             for i in range(40)}
    path = str(tmp_path / "m.safetensors")
    safetensors_torch.save_file(state, path)
    renamed = {0, 10, 20, 30}
    oracle = _model(renamed)
    result = oracle.load_state_dict(state, strict=False)
    loaded = {k for k in oracle.state_dict() if k not in result.missing_keys}
    assert len(loaded) == 36
    a = ckpt_doctor.align(path, _model(renamed))
    assert {p.model for p in a.pairs if p.exact} == loaded and not a.ambiguous
    reads: list[str] = []
    original = catalog.TensorInfo.read
    monkeypatch.setattr(catalog.TensorInfo, "read", lambda self: reads.append(self.name) or original(self))
    spec = tmp_path / "spec.json"
    ckpt_doctor.load_model(_model(renamed)).save(str(spec))
    main(["diagnose", path, "--model", str(spec)])
    out = capsys.readouterr().out
    assert "Loaded: 36 of 40" in out and "nothing proves" not in out, out
    assert not reads  # nothing to settle: no value read
