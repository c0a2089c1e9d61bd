"""Shared fixtures."""

from __future__ import annotations

# --- TensorFlow differential oracle (tests/tf_oracle.py, tests/test_tf_differential.py) -------------------
import base64
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

_TESTS_DIR = Path(__file__).resolve().parent

# Doctests run over src/ (--doctest-modules in pyproject); the helper scripts here are not test modules and some
# import a framework at load (they run as subprocess oracles), so nothing but test modules is collected here.
collect_ignore = [p.name for p in _TESTS_DIR.glob("*.py") if not p.name.startswith(("test_", "conftest"))]


# A skip must never hide a failure: with the test requirements installed (`make test`), every skip is a failure.
# Where a framework is deliberately absent, CKPT_DOCTOR_ALLOW_SKIPS=1 lets its tests skip (they say which).
# Only reasons listed here are environment facts that no install changes.
_PLATFORM_SKIPS = ("needs /proc/self/io",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail") or os.environ.get("CKPT_DOCTOR_ALLOW_SKIPS") == "1":
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(r in reason for r in _PLATFORM_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped ({reason}); skips are failures in this suite (set CKPT_DOCTOR_ALLOW_SKIPS=1 "
                       "to allow them where a framework is deliberately not installed)")


# `make test` runs the suite in two processes (pytest-xdist). Module and session fixtures build files with real
# frameworks in child processes (30-50 s each), once per process that asks for them: a module's tests go to one
# process, and so do all modules that use one of these session fixtures. (A scheduler, not `xdist_group` marks:
# xdist 3.8's marks set a node id attribute pytest 9 no longer reads.)
_SHARED_SESSION_FIXTURES = ("tf_checkpoints", "framework_verdicts")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    import re

    from xdist.scheduler import LoadScopeScheduling

    shared = {}  # test module -> the session fixture it shares with other modules
    for path in sorted(_TESTS_DIR.glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        used = [f for f in _SHARED_SESSION_FIXTURES if re.search(rf"\b{f}\b", text)]
        if used:
            shared[path.name] = used[0]

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return shared.get(os.path.basename(module), module)

    return ByModule(config, log)


class TFCheckpoints:
    """Checkpoints written by real TensorFlow, and what TensorFlow itself read back from them.

    ``reference`` is the parsed ``reference.json`` (layout documented in tests/tf_oracle.py); every path
    in it is relative to ``outdir``.
    """

    def __init__(self, outdir: Path, reference: dict, seconds: float):
        self.outdir = outdir
        self.reference = reference
        self.seconds = seconds  # how long the oracle took
        self._npz: dict[str, object] = {}

    def abspath(self, rel: str) -> str:
        return os.path.join(str(self.outdir), rel)

    def checkpoint(self, cid: str) -> dict:
        try:
            return self.reference["checkpoints"][cid]
        except KeyError:
            pytest.fail(f"the TF oracle did not produce checkpoint {cid!r}; failed builders: "
                        f"{self.reference.get('failed_builders')}; skipped: {list(self.reference.get('skipped', {}))}")

    def prefix(self, cid: str) -> str:
        return self.abspath(self.checkpoint(cid)["prefix"])

    def value(self, cid: str, name: str):
        """TF's value of tensor ``name``: a numpy array (raw uint view for ml_dtypes) or list of bytes."""
        import numpy as np

        stored = self.checkpoint(cid)["tensors"][name]["value"]
        if "strings" in stored:
            return [base64.b64decode(s) for s in stored["strings"]], tuple(stored["shape"])
        npz = self._npz.get(stored["npz"])
        if npz is None:
            npz = self._npz[stored["npz"]] = np.load(self.abspath(stored["npz"]), allow_pickle=False)
        return npz[stored["key"]]


@pytest.fixture(scope="session")
def tf_checkpoints(tmp_path_factory) -> TFCheckpoints:
    """Run tests/tf_oracle.py once per session in a subprocess (TensorFlow never enters this process)."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed: no oracle for the differential tests")
    outdir = tmp_path_factory.mktemp("tf_oracle")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    env.pop("TF_USE_LEGACY_KERAS", None)  # the oracle wants Keras 3 as `keras` and imports tf_keras itself
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(_TESTS_DIR / "tf_oracle.py"), str(outdir)], capture_output=True,
                          text=True, timeout=600, env=env, cwd=str(outdir))
    seconds = time.monotonic() - start
    ref_path = outdir / "reference.json"
    if proc.returncode != 0 or not ref_path.exists():
        pytest.fail(f"tf_oracle.py failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}", pytrace=False)
    with open(ref_path) as f:
        reference = json.load(f)
    return TFCheckpoints(outdir, reference, seconds)


# --- restore semantics and printed fixes, the frameworks as the oracle (tests/loaders_oracle.py, fixes_oracle.py) ---

class FrameworkVerdicts:
    """``cases``: {case id: what the framework's load call assigned}; ``fixes``: {scenario: the printed fix run}."""

    def __init__(self, out: Path, cases: dict, fixes: dict):
        self.out, self.cases, self.fixes = out, cases, fixes


@pytest.fixture(scope="session")
def framework_verdicts(tmp_path_factory) -> FrameworkVerdicts:
    """One subprocess per framework family, run side by side (TensorFlow and torch never enter pytest)."""
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("tensorflow and torch are needed as the oracle")
    out = tmp_path_factory.mktemp("loaders_oracle")
    procs = {}
    for family in ("keras3", "tfkeras", "tf", "torch"):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
        env.pop("TF_USE_LEGACY_KERAS", None)
        if family == "tfkeras":
            env["TF_USE_LEGACY_KERAS"] = "1"
        procs[family] = subprocess.Popen([sys.executable, str(_TESTS_DIR / "loaders_oracle.py"), str(out), family,
                                          "--fixes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         env=env)
    cases, fixes = {}, {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            pytest.fail(f"loaders_oracle.py {family} failed:\n{err[-4000:]}", pytrace=False)
        cases.update(json.loads((out / f"{family}.json").read_text()))
        fixes.update(json.loads((out / f"fixes-{family}.json").read_text()))
    return FrameworkVerdicts(out, cases, fixes)
