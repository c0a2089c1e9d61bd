"""Structure facts found on held-out material, checked on files the real frameworks wrote (tests/parallel_oracle.py,
one subprocess: TensorFlow, tf-keras and torch never enter pytest).

* Parallel lists (``_convs/3`` beside ``_norms/3``) are one block per index against a convention that nests each
  pair (``stages.3.conv``, ``stages.3.norm``); Sonnet's moving averages keep their value in ``average``
  (``[1, 1, 1, C]``), PyTorch's BatchNorm in ``running_mean`` (``[C]``). The TF module and its PyTorch twin compute
  the same (checked in the oracle); the printed fix runs verbatim and fills the twin with exactly those values.
* With one of three equal blocks removed, no file says which: nothing among them is paired.
* tf-keras' ``layer_with_weights-N`` keys number a model's layers in its layer order: a PyTorch twin with the same
  layers in another creation order pairs wherever the order and the pairs names made agree.
* Keras 3 loads a ``.keras`` file by class rank: into a model built under another name (``src_x`` -> ``enc_x``)
  whose final norm is not the file's head norm by any name, it loads the head norm all the same. Renamed or new, no
  file says: ambiguous, with the reason (the rest pairs as Keras loads it).
* A block's two norms of one shape, numbered on one side (``layer_norm_1``) and ``before``/``after`` on the other
  (transformers' ``layernorm_before``): the lower number is the one before (the twin computes the same)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ckpt_doctor
from ckpt_doctor.match.fixes import fix_for

ORACLE = Path(__file__).with_name("parallel_oracle.py")


def _env() -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0",
               PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"))
    env.pop("TF_USE_LEGACY_KERAS", None)
    return env


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("tensorflow and torch are needed as the oracle")
    out = tmp_path_factory.mktemp("parallel")
    proc = subprocess.run([sys.executable, str(ORACLE), str(out)], capture_output=True, text=True, timeout=600,
                          env=_env())
    if proc.returncode != 0:
        pytest.fail(f"parallel_oracle.py failed:\n{proc.stderr[-4000:]}", pytrace=False)
    return out


def _align(root: Path, case: str):
    truth = {m: tuple(v) for m, v in json.loads((root / case / "truth.json").read_text()).items()}
    return ckpt_doctor.align(str(root / case / "ckpt"), str(root / case / "model.spec.json")), truth


def _wrong(a, truth: dict) -> list:
    return [p for p in a.pairs if truth.get(p.model, (None,))[0] != p.checkpoint]


def test_parallel_lists_pair_block_by_block_with_moving_averages_as_running_statistics(cases):
    a, truth = _align(cases, "lists")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got == truth and not a.ambiguous and not a.missing  # 5 blocks, equal widths among them
    assert got["stages.3.norm.running_mean"] == ("model/_norms/3/moving_mean/average/.ATTRIBUTES/VARIABLE_VALUE",
                                                 "reshape(6)")
    assert got["stages.4.conv.weight"][1] == "permute(3,2,0,1)"
    assert not any("hidden" in p.checkpoint or "counter" in p.checkpoint for p in a.pairs)


def test_printed_fix_for_parallel_lists_runs_verbatim(cases, tmp_path):
    a, _ = _align(cases, "lists")
    fix = tmp_path / "fix.py"
    fix.write_text(fix_for(a).code)
    proc = subprocess.run([sys.executable, str(ORACLE), "fix", str(cases / "lists"), str(fix)], capture_output=True,
                          text=True, timeout=300, env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []  # every variable holds the converted value


def test_a_removed_one_of_equal_parallel_blocks_is_never_guessed(cases):
    a, truth = _align(cases, "lists_removed")
    assert not _wrong(a, truth)
    # blocks 3 and 4 of the file are alike (6 -> 6), the model keeps one of them: which one went is in no file
    assert not [p for p in a.pairs if p.model.startswith("stages.3.")]


def test_keras_layer_with_weights_numbers_are_the_layer_order(cases):
    a, truth = _align(cases, "kerasorder")
    assert not _wrong(a, truth)
    got = {p.model for p in a.pairs}
    # the norms: names share nothing, the order places them (the old reading ordered each layer on its own)
    assert {"norm_in.weight", "stem.norm.running_var", "right.head.weight"} <= got
    # the right branch's norm follows two convs of its width in Keras' order; only one of their partners has a norm
    right = next(p for p in a.pairs if p.model == "right.norm.running_mean")
    assert "only `" in right.evidence and "`right.conv`" in right.evidence.replace("right.conv.weight", "right.conv")
    assert len(got) >= 20


def test_keras3_path_load_into_a_layer_the_prefix_rename_does_not_reach_is_ambiguous(cases):
    # every layer `src_x` is `enc_x` but the head norm; Keras 3 loads the head norm into the model's own final norm
    # (the oracle checked it): renamed, or a new layer? The rest loads as Keras loads it.
    a, truth = _align(cases, "k3renamed")
    assert not _wrong(a, truth)
    amb = {x.model: x for x in a.ambiguous}
    assert set(amb) == {"layer_normalization/gamma", "layer_normalization/beta"}
    assert "src_head_norm" in amb["layer_normalization/gamma"].reason
    assert {p.model for p in a.pairs} == set(truth) - set(amb)


def test_keras3_layer_the_prefix_rename_reaches_loads_by_path(cases):
    a, truth = _align(cases, "k3renamed_kept")  # the final norm is `enc_head_norm`: the rename explains it
    assert {p.model: p.checkpoint for p in a.pairs} == {m: c for m, (c, _) in truth.items()} and not a.ambiguous


def test_a_blocks_two_norms_numbered_against_before_and_after(cases):
    # Keras' `layer_norm_1`/`layer_norm_2` against transformers' `layernorm_before`/`layernorm_after`: equal shapes,
    # the rest of each block paired by names; the lower number is the norm before (the twin computes the same)
    a, truth = _align(cases, "norms")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got == truth and not a.ambiguous
    assert got["layer.1.layernorm_before.weight"][0] == "layers/block_1/layer_norm_1/vars/0"
    assert got["layer.0.layernorm_after.bias"][0] == "layers/block/layer_norm_2/vars/1"


def test_ordinal_names_decide_only_numbers_against_before_and_after():
    from ckpt_doctor.match.infer import _ordinal

    assert _ordinal(["b/norm_2/vars/0", "b/norm_1/vars/0"], ["x.norm_before.weight", "x.norm_after.weight"]) == (1, 0)
    assert _ordinal(["b/ln_pre/gamma", "b/ln_post/gamma"], ["x.ln.3.weight", "x.ln.7.weight"]) == (0, 1)
    assert _ordinal(["b/norm_1/vars/0", "b/norm_2/vars/0"], ["x.attn_norm.weight", "x.ffn_norm.weight"]) is None
    assert _ordinal(["b/norm_1/vars/0", "b/norm_1/vars/0"], ["x.norm_before.weight", "x.norm_after.weight"]) is None
