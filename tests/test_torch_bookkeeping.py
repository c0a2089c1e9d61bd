"""Bookkeeping in PyTorch training files, told from model values by facts: a random generator's state (bytes under
the key a training loop gives it) is no model value. torch writes the files."""

from __future__ import annotations

import torch
from torch import nn

import ckpt_doctor


def test_a_random_generator_state_saved_with_a_run_is_bookkeeping(tmp_path):
    # (trial6) accelerate's random_states_0.pkl (`torch_manual_seed`, torch.get_rng_state()'s 5056 bytes) was counted
    # as a model value; training loops save it as `rng_state` too. A uint8 state under such a key is bookkeeping
    from ckpt_doctor.catalog import BOOKKEEPING_KINDS
    from ckpt_doctor.report.inspect import render

    path = tmp_path / "run.pt"
    torch.save({"model": nn.Linear(3, 2).state_dict(), "rng_state": torch.get_rng_state(), "epoch": 3,
                "extra": {"torch_manual_seed": torch.get_rng_state()}}, path)
    catalog = ckpt_doctor.open_checkpoint(str(path))
    kinds = {name: info.kind for name, info in catalog.items()}
    assert {n for n, k in kinds.items() if k not in BOOKKEEPING_KINDS} == {"weight", "bias"}, kinds
    assert kinds["rng_state"] == kinds["extra/torch_manual_seed"] == "rng", kinds
    assert "a random generator's state" in render(catalog)
