"""``--fix-out FILE`` writes the printed fix's code as it runs (the report indents it under "Fix (...):", which a
``.py`` file or the plain Python prompt refuses as an unexpected indent), and ``--json`` carries it as ``fix``. The
file, run as written in a fresh process with the model, loads every value; a checkpoint that loads as it is gets no
file and says why. torch runs in child processes (the model builder is a file, as a user passes it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

ENV = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")}

BUILD = """
import torch


def build():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
"""

RUN = """
import sys
import torch
sys.path.insert(0, sys.argv[1])
from build import build
model = build()
exec(open(sys.argv[2]).read())  # the file, as written
saved = torch.load(sys.argv[3])
for key, value in model.state_dict().items():
    assert torch.equal(value, saved["module." + key]), key
print("loaded")
"""


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", *argv], capture_output=True, text=True, timeout=300,
                          env=ENV)


def test_fix_out_writes_the_fix_as_it_runs_and_json_carries_it(tmp_path):
    (tmp_path / "build.py").write_text(BUILD)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    torch.save(torch.nn.DataParallel(net).state_dict(), tmp_path / "dp.pt")  # `module.` before every key
    model = f"{tmp_path / 'build.py'}:build"
    done = _cli("diagnose", str(tmp_path / "dp.pt"), "--model", model, "--fix-out", str(tmp_path / "fix.py"))
    assert done.returncode == 1 and "Fix (PyTorch" in done.stdout, done.stderr
    code = (tmp_path / "fix.py").read_text()
    assert not code.startswith(" ") and "load_state_dict" in code
    # the report's fix, dedented, is the file's text
    printed = done.stdout.split("Fix (PyTorch", 1)[1].split("\n", 1)[1]
    assert "\n".join(line[2:] for line in printed.splitlines()).strip() == code.strip()
    ran = subprocess.run([sys.executable, "-c", RUN, str(tmp_path), str(tmp_path / "fix.py"), str(tmp_path / "dp.pt")],
                         capture_output=True, text=True, timeout=300, env=ENV)
    assert ran.returncode == 0 and "loaded" in ran.stdout, ran.stderr[-2000:]
    aligned = _cli("align", str(tmp_path / "dp.pt"), "--model", model, "--json", "--fix-out", str(tmp_path / "a.py"))
    doc = json.loads(aligned.stdout)
    assert doc["fix"]["framework"] == "PyTorch" and doc["fix"]["code"].strip() == code.strip()
    assert (tmp_path / "a.py").read_text() == code


def test_no_fix_file_where_the_checkpoint_loads_as_it_is(tmp_path):
    (tmp_path / "build.py").write_text(BUILD)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    torch.save(net.state_dict(), tmp_path / "plain.pt")
    done = _cli("diagnose", str(tmp_path / "plain.pt"), "--model", f"{tmp_path / 'build.py'}:build",
                "--fix-out", str(tmp_path / "fix.py"))
    assert done.returncode == 2 and "loads the checkpoint as it is" in done.stderr, (done.returncode, done.stderr)
    assert "Loaded: 4 of 4" in done.stdout or "4 of 4" in done.stdout, done.stdout
    assert not (tmp_path / "fix.py").exists()
