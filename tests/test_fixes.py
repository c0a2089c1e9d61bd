"""Every fix diagnose prints, executed verbatim against the real framework (tests/fixes_oracle.py, in
subprocesses): the variables then hold the checkpoint's values, and a partial restore's expected misses are
exactly the variables new in the model."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def fixes(tmp_path_factory) -> dict:
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("tensorflow and torch are needed as the oracle")
    out = tmp_path_factory.mktemp("fixes_oracle")
    procs = {}
    for family in ("tf", "tfkeras", "torch"):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
        env.pop("TF_USE_LEGACY_KERAS", None)
        if family == "tfkeras":
            env["TF_USE_LEGACY_KERAS"] = "1"
        procs[family] = subprocess.Popen([sys.executable, str(_HERE / "fixes_oracle.py"), str(out), family],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results = {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"fixes_oracle.py {family} failed:\n{err[-4000:]}", pytrace=False)
        results.update(json.loads((out / f"fixes-{family}.json").read_text()))
    return results


def test_every_printed_fix_restores_the_checkpoint(fixes):
    assert len(fixes) >= 20
    failed = {sid: r["problems"] for sid, r in fixes.items() if not r["ok"]}
    print("\nloader | fix snippets executed | passing")
    for loader in sorted({r["loader"] for r in fixes.values()}):
        mine = [r for r in fixes.values() if r["loader"] == loader]
        print(f"{loader} | {len(mine)} | {sum(r['ok'] for r in mine)}")
    assert not failed, json.dumps(failed, indent=1)


def test_partial_restores_expect_exactly_the_new_variables(fixes):
    partial = {sid: r for sid, r in fixes.items() if r["new_in_model"]}
    assert len(partial) >= 6
    for sid, r in partial.items():
        assert r["expected_missing"] == r["new_in_model"], sid


def test_hdf5_fixes_never_use_tf_checkpoint_reader(fixes):
    for sid, r in fixes.items():
        if ".h5" in sid or "keras" in sid:
            assert "tf.train.load_checkpoint" not in r["code"], sid
