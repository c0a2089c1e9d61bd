"""The seed scenario end to end with real TensorFlow: align prints the single scope rule, and the exported TF1
fixes (Saver var_list snippet, init_from_checkpoint assignment map), applied by TensorFlow, restore the values."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("tensorflow") is None:
    pytest.skip("TensorFlow is not installed", allow_module_level=True)

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    work = tmp_path_factory.mktemp("seed_fix")
    r = subprocess.run([sys.executable, str(HERE / "seed_fix_oracle.py"), str(work)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_single_scope_rule(result):
    assert result["rules"] == [{"prefix": {"from": "model_scope/", "to": "different_model_scope/"}}]
    assert result["sentences"] == ["scope `model_scope/` was renamed to `different_model_scope/` (2 variables)"]
    assert result["assignment_map"] == {"model_scope/": "different_model_scope/"}


@pytest.mark.parametrize("how", ["saver", "init_from_checkpoint"])
def test_exported_fix_restores_saved_values(result, how):
    assert result[how] == result["expected"]


def test_cli_align_on_seed_prints_rule_and_fix(tmp_path):
    seed = Path(__file__).parents[1] / "src" / "ckpt_doctor" / "examples" / "seed"
    rules = tmp_path / "rules.yaml"
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "align", str(seed), "--model",
                        str(seed / "changed_model.spec.json"), "-o", str(rules)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "scope `model_scope/` was renamed to `different_model_scope/` (2 variables)" in r.stdout
    assert "tf.compat.v1.train.Saver(var_list=" in r.stdout
    assert 'prefix: {from: "model_scope/", to: "different_model_scope/"}' in rules.read_text()
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "diagnose", str(seed), "--model",
                        str(seed / "changed_model.spec.json"), "--rules", str(rules)], capture_output=True, text=True)
    assert r.returncode == 0 and "All 2 model variables get a value" in r.stdout
