"""Running a framework oracle script of tests/ in a subprocess: TensorFlow, Keras and torch never enter pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def run_oracle(script: str, *args: str, legacy: bool = False) -> str:
    """``python tests/SCRIPT ARGS`` with this checkout's ``src`` first, Keras 3 (``legacy``: tf-keras); its stdout.
    A failing oracle fails the test with the script's stderr."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "PYTHONHASHSEED": "0"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    proc = subprocess.run([sys.executable, str(HERE / script), *args], env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{script} {' '.join(args[1:])} failed:\n{proc.stderr[-3000:]}", pytrace=False)
    return proc.stdout
