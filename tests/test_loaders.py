"""Diagnosis equals what the framework does, case by case: tests/loaders_oracle.py saves with each framework's
default call and loads with its own call (in subprocesses); ``diagnose`` must name exactly the variables the
framework assigned, and say the call fails exactly when it raised."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ckpt_doctor import diagnose
from ckpt_doctor.model.spec import ModelSpec

_HERE = Path(__file__).resolve().parent
FAMILIES = ("keras3", "tfkeras", "tf", "torch")


@pytest.fixture(scope="session")
def framework_verdicts(tmp_path_factory) -> tuple[Path, dict]:
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("tensorflow and torch are needed as the oracle")
    out = tmp_path_factory.mktemp("loaders_oracle")
    procs = {}
    for family in FAMILIES:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
        env.pop("TF_USE_LEGACY_KERAS", None)
        if family == "tfkeras":
            env["TF_USE_LEGACY_KERAS"] = "1"
        procs[family] = subprocess.Popen([sys.executable, str(_HERE / "loaders_oracle.py"), str(out), family],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    cases = {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"loaders_oracle.py {family} failed:\n{err[-4000:]}", pytrace=False)
        cases.update(json.loads((out / f"{family}.json").read_text()))
    return out, cases


def test_every_case_as_the_framework_does(framework_verdicts):
    out, cases = framework_verdicts
    assert len(cases) >= 60
    wrong, per_loader = [], {}
    for cid, case in cases.items():
        spec = ModelSpec.load(out / case["spec"])
        d = diagnose(str(out / case["file"]), spec, load_with=case["loader"])
        weights = {v.name for v in spec.variables if v.is_weight}
        got = sorted(r.variable.name for r in d.assigned if r.variable.is_weight)
        want = sorted(n for n in case["assigned"] if n in weights)
        same = got == want and bool(d.failure) == bool(case["raised"])
        per_loader.setdefault(case["loader"], [0, 0])
        per_loader[case["loader"]][0] += 1
        per_loader[case["loader"]][1] += same
        if not same:
            wrong.append(f"{cid}: diagnose assigns {got} (fails: {d.failure}); the framework assigned {want} "
                         f"(raised {case['raised']})")
    print("\nloader | cases | diagnose equals the framework")
    for loader, (n, ok) in sorted(per_loader.items()):
        print(f"{loader} | {n} | {ok}")
    assert not wrong, "\n".join(wrong)


def test_no_false_alarm_on_healthy_files(framework_verdicts):
    """Every format written by the default save call, against the unchanged model: all loaded, exit code 0."""
    out, cases = framework_verdicts
    healthy = {cid: c for cid, c in cases.items() if cid.endswith(("-healthy", "fer_emotion_model", "auto_names"))
               and "by-name-auto_names" not in cid}
    assert {c["loader"] for c in healthy.values()} >= {"keras3", "keras-h5", "keras-h5-by-name", "saver",
                                                       "checkpoint", "torch"}
    for cid, case in healthy.items():
        d = diagnose(str(out / case["file"]), str(out / case["spec"]))  # the loader is inferred
        assert d.ok and not d.failure, (cid, d.summary(), d.failure)
        assert d.loader.name == case["loader"].replace("-by-name", "").replace("torch-nonstrict", "torch"), cid
