"""Fused query/key/value projections against their three parts (PyTorch's `in_proj_weight`, timm's `qkv`, against
Keras' or Hugging Face's separate projections): never paired, and said to be the same projections where the numbers
agree group by group. The frameworks write the files (tests/fused_oracle.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from oracle_run import run_oracle

import ckpt_doctor


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fused")
    run_oracle("fused_oracle.py", "write", str(d))
    return d


def _fused(a) -> list[str]:
    return [s for s in a.sentences if "fused query/key/value" in s]


def test_keras_attention_against_torch_in_proj(out):
    a = ckpt_doctor.align(str(out / "k3.weights.h5"), str(out / "fused.spec.json"))
    assert {"attn.in_proj_weight", "attn.in_proj_bias"} <= set(a.missing)
    assert not any("in_proj" in p.model for p in a.pairs)
    [said] = _fused(a)
    assert said.startswith("2 model variable(s) without a partner are fused")
    assert "6 checkpoint values" in said and "query_dense/vars/0" in said


def test_fused_checkpoint_against_separate_model(out):
    a = ckpt_doctor.align(str(out / "fused.pt"), str(out / "parts.spec.json"))
    assert {f"blocks.{i}.qkv.{leaf}" for i in (0, 1) for leaf in ("weight", "bias")} <= set(a.unused)
    [said] = _fused(a)
    assert said.startswith("4 checkpoint value(s) without a partner are fused")
    assert "12 model variables" in said and "`blocks.0.query.weight`" in said


def test_sizes_that_disagree_say_nothing(out):
    a = ckpt_doctor.align(str(out / "narrow.pt"), str(out / "parts.spec.json"))
    assert "blocks.0.qkv.weight" in a.unused
    assert _fused(a) == []


def test_diagnose_tells_it(out, capsys):
    from ckpt_doctor.cli import main

    main(["diagnose", str(out / "fused.pt"), "--model", str(out / "parts.spec.json")])
    assert "fused query/key/value projections" in capsys.readouterr().out
