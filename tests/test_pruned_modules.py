"""torch.nn.utils.prune reparametrises a pruned module: its trained weight is `weight_orig`, beside a
`weight_mask` buffer (the module computes `weight` as their product). A plain checkpoint's `weight` is the value of
`weight_orig` (heldout13's DPR scenario: every pruned weight was "missing"); the printed fix, run verbatim, loads
it there. torch runs in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ENV = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")}

_BUILD = """
import torch
from torch.nn.utils import prune


def build(pruned=True):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    if pruned:
        prune.l1_unstructured(model[0], "weight", amount=0.5)
        prune.l1_unstructured(model[2], "weight", amount=0.25)
    return model
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600, env=ENV)
    if done.returncode:
        pytest.fail(done.stderr[-3000:], pytrace=False)
    return done.stdout


def test_a_plain_weight_loads_into_a_pruned_modules_weight_orig(tmp_path):
    (tmp_path / "build.py").write_text(_BUILD)
    _run("import sys, torch\nsys.path.insert(0, sys.argv[1])\nfrom build import build\ntorch.manual_seed(0)\n"
         "plain = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))\n"
         "torch.save(plain.state_dict(), sys.argv[1] + '/plain.pt')", str(tmp_path))
    text = _run("import sys\nfrom ckpt_doctor.cli import main\n"
                "main(['diagnose', sys.argv[1] + '/plain.pt', '--model', sys.argv[1] + '/build.py:build'])",
                str(tmp_path))
    assert "0.weight_orig" in text and "prune again after loading" in text
    fix = textwrap.dedent(text.split("Fix (PyTorch", 1)[1].split("\n", 1)[1])
    got = _run(f"import sys, torch\nsys.path.insert(0, sys.argv[1])\nfrom build import build\nmodel = build()\n{fix}\n"
               "saved = torch.load(sys.argv[1] + '/plain.pt')\nstate = model.state_dict()\n"
               "print(all(torch.equal(state[k + '_orig' if k.endswith('weight') else k], v)\n"
               "          for k, v in saved.items()))",
               str(tmp_path))
    assert got.strip().splitlines()[-1] == "True", text
