"""Diagnosis equals what the framework does, case by case: tests/loaders_oracle.py saves with each framework's
default call and loads with its own call (in subprocesses); ``diagnose`` must name exactly the variables the
framework assigned, and say the call fails exactly when it raised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ckpt_doctor import diagnose
from ckpt_doctor.model.spec import ModelSpec

_HERE = Path(__file__).resolve().parent


def test_every_case_as_the_framework_does(framework_verdicts):
    out, cases = framework_verdicts.out, framework_verdicts.cases
    assert len(cases) >= 50
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
    out, cases = framework_verdicts.out, framework_verdicts.cases
    healthy = {cid: c for cid, c in cases.items() if cid.endswith(("-healthy", "fer_emotion_model", "auto_names"))
               and "by-name-auto_names" not in cid or cid in ("hf-base-from-base", "hf-mlm-from-mlm")}
    assert {c["loader"] for c in healthy.values()} >= {"keras3", "keras-h5", "keras-h5-by-name", "saver",
                                                       "checkpoint", "torch", "hf"}
    for cid, case in healthy.items():
        d = diagnose(str(out / case["file"]), str(out / case["spec"]))  # the loader is inferred
        assert d.ok and not d.failure, (cid, d.summary(), d.failure)
        assert d.loader.name == case["loader"].replace("-by-name", "").replace("torch-nonstrict", "torch"), cid


# --- paths and messages -----------------------------------------------------------------------------------------

def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=300)


def test_empty_basename_checkpoint_is_found(framework_verdicts):
    out = framework_verdicts.out
    directory = str(out / "empty_basename")
    r = _cli("latest", directory)
    assert r.returncode == 0 and r.stdout.strip() == directory + "/", r.stderr
    assert "incomplete" not in r.stderr
    for path in (directory, directory + "/", directory + "/.index", directory + "/.meta"):
        r = _cli("inspect", path)
        assert r.returncode == 0 and "1 model value (6 parameters)" in r.stdout, (path, r.stdout, r.stderr)
    assert "is the graph (MetaGraphDef); opened its checkpoint empty_basename/" in _cli("inspect", directory +
                                                                                        "/.meta").stdout


def test_saved_model_directory_opens_its_variables(framework_verdicts):
    out = framework_verdicts.out
    r = _cli("inspect", str(out / "saved_model"))
    assert r.returncode == 0, r.stderr
    assert "a SavedModel directory: opened its variables checkpoint" in r.stdout
    assert "1 model value (2 parameters)" in r.stdout
    for inner in (out / "saved_model" / "variables", str(out / "saved_model" / "variables") + "/"):
        r = _cli("inspect", str(inner))  # its variables directory (basic-pitch ships one), not a training directory
        assert r.returncode == 0 and "the variables directory of a SavedModel: opened its checkpoint" in r.stdout
        assert "state file" not in r.stdout + r.stderr and "1 model value (2 parameters)" in r.stdout


def test_keras_metric_variables_are_bookkeeping(framework_verdicts):
    out, cases = framework_verdicts.out, framework_verdicts.cases
    case = cases["tfkeras-savedmodel-metrics"]
    d = diagnose(str(out / "tfkeras_savedmodel"), str(out / case["spec"]))  # the SavedModel directory
    metric = [e for e in d.entries if "keras_api/metrics/" in (e.entry.object_path or "")]
    assert metric and all(e.status == "bookkeeping" for e in metric)
    assert d.ok and not [e for e in d.entries if e.status == "unused"]


def test_files_that_are_not_checkpoints_get_fitting_words(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07\x12\x04onnx")
    (tmp_path / "broken.pt").write_bytes(b"hello world")
    (tmp_path / "nmp.mlpackage" / "Data" / "com.apple.CoreML").mkdir(parents=True)  # basic-pitch ships one
    (tmp_path / "nmp.mlpackage" / "Data" / "com.apple.CoreML" / "model.mlmodel").write_bytes(b"\x08\x04\x12\x00")
    expected = {"empty.pt": "the file is empty (0 bytes)", "model.onnx": "an ONNX model, not a training checkpoint",
                "broken.pt": "not a PyTorch checkpoint ckpt-doctor can read",
                "nmp.mlpackage": "a Core ML package (a model exported for Apple devices), not a training checkpoint",
                "nmp.mlpackage/Data/com.apple.CoreML/model.mlmodel": "a Core ML model (a model exported for Apple"}
    for name, words in expected.items():
        r = _cli("inspect", str(tmp_path / name))
        assert r.returncode == 2 and words in r.stderr and "TF index" not in r.stderr, (name, r.stderr)


def test_latest_on_a_missing_directory_is_a_usage_error():
    r = _cli("latest", "/no/such/dir")
    assert r.returncode == 2 and "no such directory" in r.stderr and "Traceback" not in r.stderr


def test_align_output_to_a_missing_directory_keeps_the_analysis():
    seed = _HERE.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    r = _cli("align", str(seed), "--model", str(seed / "changed_model.spec.json"), "-o", "/no/such/dir/r.yaml")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "Fix (TF1)" in r.stdout
    assert r.stderr.strip().splitlines() == [r.stderr.strip().splitlines()[0]]
    assert r.stderr.startswith("Error: cannot write /no/such/dir/r.yaml")


def test_builder_failing_in_eager_and_graph_reports_the_graph_error_and_the_keras_hint(tmp_path):
    builder = tmp_path / "tf1_bn.py"
    builder.write_text("import tensorflow as tf\n\ndef build():\n"
                       "    x = tf.compat.v1.placeholder(tf.float32, [None, 4])\n"
                       "    return tf.compat.v1.layers.batch_normalization(x)\n")
    spec = _HERE.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    r = _cli("diagnose", str(spec), "--model", f"{builder}:build", env={"TF_USE_LEGACY_KERAS": ""})
    assert r.returncode == 2, r.stderr
    assert "`batch_normalization` is not available with Keras 3" in r.stderr
    assert "TF_USE_LEGACY_KERAS=1" in r.stderr
    # TensorFlow's start-up noise does not bury the message
    assert "absl::InitializeLog" not in r.stderr and "cudart_stub" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_load_with_is_shown_chosen_and_recorded(tmp_path):
    seed = _HERE.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    spec = tmp_path / "spec.json"
    r = _cli("spec", "--model", str(seed / "changed_model.spec.json"), "--load-with", "init_from_checkpoint",
             "-o", str(spec))
    assert r.returncode == 0, r.stderr
    assert ModelSpec.load(spec).loader == "init_from_checkpoint"
    r = _cli("diagnose", str(seed), "--model", str(spec))
    assert "loaded by:  tf.compat.v1.train.init_from_checkpoint(" in r.stdout.splitlines()[2]
    # a spec that records no framework may name any loader; the seed's records a TF1 graph (tests/test_trial4_findings)
    neutral = tmp_path / "neutral.spec.json"
    text = (seed / "changed_model.spec.json").read_text()
    neutral.write_text(text.replace('"framework": "tf1"', '"framework": "json"'))
    r = _cli("diagnose", str(seed), "--model", str(neutral), "--load-with", "torch")
    assert "(--load-with torch; pairs by variable name)" in r.stdout.splitlines()[2]
    assert "RuntimeError" in r.stdout
    r = _cli("diagnose", str(seed), "--model", str(seed / "changed_model.spec.json"), "--load-with", "nope")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_a_keras3_file_as_the_model_of_a_tensorflow_checkpoint_is_refused_with_guidance(tmp_path):
    """A Keras 3 file knows its variables by Keras paths only; a TF checkpoint restores by object paths or variable
    names, which only the built model has: no claim about that restore (it said "0 of 2 loaded" by a guessed Saver)."""
    import numpy as np

    from ckpt_doctor import write_checkpoint

    seed = _HERE.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    model = tmp_path / "m.weights.h5"
    values = {"layers/dense/vars/0": np.zeros((3, 2), "float32"), "layers/dense/vars/1": np.zeros(2, "float32")}
    write_checkpoint(values, str(model), "keras3")
    r = _cli("diagnose", str(seed), "--model", str(model))
    assert r.returncode == 2 and "Keras paths only" in r.stderr and "builder" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = _cli("diagnose", str(model), "--model", str(model))  # a Keras 3 file against itself still compares
    assert r.returncode == 0, r.stdout + r.stderr
