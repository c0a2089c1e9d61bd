"""Findings of the second new-user trial inside match/ (rules, align): failing tests for the lead, no fix here.

Each test says what it shows. Small checkpoints in tmp files; where a framework's behaviour is the truth, the test
says which.
"""

from __future__ import annotations

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.cli import main


def _bundle(tmp_path) -> str:
    prefix = str(tmp_path / "in" / "model.ckpt-1")
    ckpt_doctor.write_checkpoint({"scope/w": np.arange(12, dtype=np.float32).reshape(3, 4),
                                  "scope/b": np.ones((1, 4), np.float32)}, prefix)
    return prefix


def test_a_permute_rule_of_another_rank_is_a_rule_error_in_diagnose(tmp_path, capsys):
    """match/rules.py apply_rules: `permute(1,0,2)` on a 2-D tensor indexes its shape out of range (IndexError:
    "internal error", exit 3). `rewrite` with the same rule says "transform 'permute(1,0,2)' does not fit
    float32[3, 4]"; diagnose should say the same (RuleError, exit 2)."""
    prefix = _bundle(tmp_path)
    rules = tmp_path / "r.yaml"
    rules.write_text('rules:\n  - transform: {match: "scope/w", op: "permute(1,0,2)"}\n')
    rc = main(["diagnose", prefix, "--model", prefix, "--rules", str(rules)])
    err = capsys.readouterr().err
    assert rc == 2 and "internal error" not in err and "scope/w" in err, err


def test_a_reshape_rule_that_does_not_fit_is_a_rule_error_in_diagnose(tmp_path, capsys):
    """match/rules.py apply_rules takes `reshape(5,5)` of a [3, 4] tensor at its word: diagnose reports the model's
    variable as having "another shape" (a checkpoint problem) instead of the rule not fitting (rewrite: "does not
    fit float32[3, 4]")."""
    prefix = _bundle(tmp_path)
    rules = tmp_path / "r.yaml"
    rules.write_text('rules:\n  - transform: {match: "scope/w", op: "reshape(5,5)"}\n')
    rc = main(["diagnose", prefix, "--model", prefix, "--rules", str(rules)])
    err = capsys.readouterr().err
    assert rc == 2 and "does not fit" in err and "scope/w" in err, err


def test_readme_transforms_squeeze_cast_and_reshape_minus_one_load_from_a_rule_file(tmp_path):
    """README (rewrite row) lists `squeeze`, `reshape(...)` and `cast(dtype)` transforms, and restore/rewrite.py
    applies them (`squeeze`, `squeeze(0)`, `reshape(3,-1)`, `cast(float16)`), but match/rules.py Transform checks
    the op with names.parse_transform/parse_reshape, which know only transpose/permute/reshape without -1:
    `unknown transform 'squeeze' (expected 'transpose' or 'permute(a,b,...)')`. Either the rules accept them or
    README stops listing them."""
    prefix = _bundle(tmp_path)
    rules = tmp_path / "r.yaml"
    rules.write_text('rules:\n'
                     '  - transform: {match: "scope/b", op: "squeeze"}\n'
                     '  - transform: {match: "scope/w", op: "cast(float16)"}\n')
    out = str(tmp_path / "out.safetensors")
    ckpt_doctor.rewrite(prefix, str(rules), out)
    got = ckpt_doctor.open_checkpoint(out)
    assert got["scope/b"].shape == (4,)
    assert got["scope/w"].dtype == "float16"
    rules.write_text('rules:\n  - transform: {match: "scope/w", op: "reshape(2,-1)"}\n')
    ckpt_doctor.rewrite(prefix, str(rules), out, overwrite=True)
    assert ckpt_doctor.open_checkpoint(out)["scope/w"].shape == (2, 6)


def test_weight_norm_keys_of_the_old_api_load_into_parametrizations(tmp_path):
    """match/compare.py (the `torch` loader): PyTorch's parametrizations.weight_norm registers a load hook that
    renames `{prefix}weight_g`/`weight_v` to `{prefix}parametrizations.weight.original0/1` when both are present,
    so a strict load_state_dict of an old checkpoint succeeds (tests/trial2_oracle.py shows it with real torch;
    torchfcpe's bundled fcpe_c_v001.pt is such a file). diagnose said "2 of 73 model variables would keep their
    initial values ... The load call fails: RuntimeError" for the unchanged torchfcpe model: a false alarm."""
    out, results = _oracle(tmp_path, "torch")
    assert all(results["wn_arrived"].values()), results  # the truth: every value arrived
    d = ckpt_doctor.diagnose(str(out / "wn.pt"), str(out / "wn.spec.json"))
    assert d.ok, d.summary()
    assert not d.weights("missing")


@pytest.fixture(scope="module")
def keras3(tmp_path_factory):
    return _oracle(tmp_path_factory.mktemp("trial2_keras3"), "keras3")


def test_a_name_based_checkpoint_is_not_restored_into_a_keras3_model_by_checkpoint_restore(keras3):
    """match/compare.py (loader `checkpoint` on a name-based file): "the checkpoint is name-based: TF2 restores it by
    variable names, and so does this comparison". True for tf-keras models (musicnn's MTT_vgg TF1 weights into a
    tf-keras port: 36 of 36 arrive), false for Keras 3: TF's name-based restore assigns none of a Keras 3 model's
    variables, silently, though their paths and TF names equal the checkpoint's keys (tests/trial2_oracle.py,
    keras3). diagnose said "All 36 model variables get a value" (exit 0) for the Keras 3 port of MTT_vgg; 0 did."""
    out, results = keras3
    assert results["paths"] == ["dense/kernel", "dense/bias"]
    assert not any(results["arrived"].values()), results  # the truth: nothing was assigned
    d = ckpt_doctor.diagnose(str(out / "nb" / "model.ckpt-1"), str(out / "nb.spec.json"), load_with="checkpoint")
    assert not d.ok, d.summary()


def test_align_rewrite_for_a_keras3_model_writes_its_weights_h5_names(keras3, tmp_path, capsys):
    """`align CKPT --model M --load-with keras3 --rewrite out.weights.h5` (the one-step repair README offers) fails
    for a Keras 3 model: "Keras 3 weights are named by object path (layers/dense/vars/0, ...): map the names there
    with rules first", though the model's spec carries every variable's keras3 key (`layers/dense/vars/0`, from the
    real Keras 3 model) and align pairs every value (tried with musicnn's MTT_vgg and a Keras 3 port: 36 of 36
    paired, nothing written). The rules align writes name model paths (`dense/kernel`), not the keys the loader
    it was asked about reads."""
    out, _ = keras3
    target = tmp_path / "fixed.weights.h5"
    rc = main(["align", str(out / "nb" / "model.ckpt-1"), "--model", str(out / "nb.spec.json"), "--load-with",
               "keras3", "--rewrite", str(target)])
    assert rc == 0, capsys.readouterr().err
    assert sorted(ckpt_doctor.open_checkpoint(str(target))) == ["layers/dense/vars/0", "layers/dense/vars/1"]


def _oracle(tmp_path, family: str):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": str(here.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, str(here / "trial2_oracle.py"), str(tmp_path), family], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return tmp_path, json.loads((tmp_path / f"{family}.json").read_text())


def test_weight_norm_keys_of_the_old_api_load_through_from_pretrained(tmp_path):
    """The same for transformers' from_pretrained (the `hf` loader, the default for a PreTrainedModel): its _fix_key
    renames `weight_g`/`weight_v` to `parametrizations.weight.original0/1` (transformers 4.46). Held-out 14's UnivNet
    (an old-API vocoder file into the current class) had 18 of 54 weights called missing. Oracle: from_pretrained's
    own result, value by value."""
    import os

    torch = pytest.importorskip("torch")
    os.environ.setdefault("USE_TF", "0")
    transformers = pytest.importorskip("transformers")
    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                         intermediate_size=8, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                                         num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2)
    model = transformers.Wav2Vec2Model(config)
    old = {k.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1",
                                                                              "weight_v"): v
           for k, v in model.state_dict().items()}
    assert any(k.endswith("weight_g") for k in old)
    model.save_pretrained(tmp_path)
    torch.save(old, tmp_path / "pytorch_model.bin")
    (tmp_path / "model.safetensors").unlink()
    loaded = transformers.Wav2Vec2Model.from_pretrained(tmp_path)
    fresh = transformers.Wav2Vec2Model(config)
    for k, v in loaded.state_dict().items():  # the truth: from_pretrained gives every value of the old file
        key = k.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v")
        assert torch.equal(v, old[key]), k
    d = ckpt_doctor.diagnose(str(tmp_path / "pytorch_model.bin"), fresh)
    assert d.loader.name == "hf" and d.ok and not d.weights("missing"), d.summary()
