"""The suite's own policy: a skip is a failure unless allowed (see conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run_inner(tmp_path: Path, allow: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tmp_path / "test_inner.py").write_text("import pytest\n\ndef test_skips():\n    pytest.skip('no framework')\n")
    env = {k: v for k, v in os.environ.items() if k != "CKPT_DOCTOR_ALLOW_SKIPS"}
    if allow:
        env["CKPT_DOCTOR_ALLOW_SKIPS"] = allow
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)


def test_a_skip_is_a_failure(tmp_path):
    r = _run_inner(tmp_path, None)
    assert r.returncode == 1 and "1 failed" in r.stdout and "skips are failures" in r.stdout, r.stdout


def test_a_skip_can_be_allowed(tmp_path):
    r = _run_inner(tmp_path, "1")
    assert r.returncode == 0 and "1 skipped" in r.stdout, r.stdout
