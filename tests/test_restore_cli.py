"""`ckpt-doctor restore-check`: builds the model, restores, verifies, prints the proof; exit 0 only when every
weight was restored and verified."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
ROOT = Path(__file__).parents[1]
BUILDER = """
import torch

class New(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.different_model_scope = torch.nn.Linear(3, 2)

def build():
    return New()
"""


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", "restore-check", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "model.py").write_text(BUILDER)
    old = torch.nn.Sequential()
    old.add_module("model_scope", torch.nn.Linear(3, 2))
    torch.save(old.state_dict(), tmp_path / "old.pt")
    return tmp_path


def test_torch_restore_check_proves_every_value(files):
    r = run(files / "old.pt", "--model", f"{files / 'model.py'}:build")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("all 2 model weights restored and verified")
    assert "verified  different_model_scope.weight  model_scope.weight" in r.stdout
    assert r.stderr == ""  # not a terminal: no progress bar


def test_rules_none_fails_with_the_report_and_json_is_clean(files):
    r = run(files / "old.pt", "--model", f"{files / 'model.py'}:build", "--rules", "none", "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["counts"]["not_restored"] == 2 and doc["counts"]["entries_unused"] == 2
    assert r.stderr == ""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow builds the seed model")
def test_seed_tf1_restore_check():
    seed = ROOT / "src" / "ckpt_doctor" / "examples" / "seed"
    r = run(seed, "--model", ROOT / "examples" / "seed_models.py:build_changed")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "verified  different_model_scope/weight  model_scope/weight" in r.stdout
    assert "scope `model_scope/` was renamed to `different_model_scope/`" in r.stdout
