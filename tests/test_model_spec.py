"""The model side of ``diagnose`` (issue 3): JSON specs, builders, checkpoints as models, and bad input.

Everything here runs in this process without TensorFlow: checkpoints come from tests/diagnose_oracle.py (run once
per session in a subprocess), builders that need no framework return a state dict of numpy arrays, and the cases
that need TensorFlow in the process (Keras builders, TF1 code) were run by the oracle and are read back from it.
One test runs the real ``ckpt-doctor spec`` command in a subprocess.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ckpt_doctor
from ckpt_doctor import ModelError, ModelSpec, VariableSpec
from ckpt_doctor.cli import main as cli_main

sys.path.insert(0, str(Path(__file__).resolve().parent))
import diagnose_oracle  # noqa: E402  (module level needs only numpy)

REPO = Path(__file__).resolve().parent.parent
BOOKKEEPING_KINDS = {"slot", "optimizer", "counter", "object_graph"}


@pytest.fixture(scope="session")
def oracle(tmp_path_factory) -> diagnose_oracle.OracleRun:
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed: no checkpoints written by TensorFlow")
    try:
        return diagnose_oracle.run_once(str(tmp_path_factory.mktemp("diagnose_oracle")))
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


def statuses(d: dict) -> tuple[dict, dict]:
    return ({v["name"]: v["status"] for v in d["variables"]}, {e["name"]: e["status"] for e in d["entries"]})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# The tf1_scoped checkpoint's model weights as a framework-free builder: a state dict of numpy arrays.
STATE_DICT_BUILDER = """\
import numpy as np

def build():
    return {"model_scope/dense/kernel": np.zeros((4, 3), np.float32),
            "model_scope/dense/bias": np.zeros(3, np.float32),
            "model_scope/embedding": np.zeros((5, 2), np.float32),
            "model_scope/w64": np.zeros((2, 2), np.float64),
            "model_scope/extra": np.zeros(7, np.float32)}
"""


# ------------------------------------------------------------------ invalid spec files
def _variables(*vs):
    return {"format": "ckpt-doctor-model-spec", "version": 1, "variables": list(vs)}


GOOD = {"name": "dense/kernel", "shape": [4, 3], "dtype": "float32"}
INVALID_SPECS = {
    "not_json": ("{ this is not json", "model spec"),
    "no_variables_key": ({"format": "ckpt-doctor-model-spec", "version": 1}, '"variables"'),
    "variables_not_a_list": ({"variables": {"dense/kernel": [4, 3]}}, '"variables"'),
    "variable_not_an_object": (_variables(["dense/kernel", [4, 3], "float32"]), "variables[0]"),
    "name_missing": (_variables({"shape": [1], "dtype": "float32"}), '"name"'),
    "name_empty": (_variables({"name": "", "shape": [1], "dtype": "float32"}), '"name"'),
    "shape_missing": (_variables({"name": "w", "dtype": "float32"}), '"shape"'),
    "shape_negative": (_variables({"name": "w", "shape": [-1, 3], "dtype": "float32"}), '"shape"'),
    "shape_string": (_variables({"name": "w", "shape": "4,3", "dtype": "float32"}), '"shape"'),
    "shape_float": (_variables({"name": "w", "shape": [4.0, 3], "dtype": "float32"}), '"shape"'),
    "shape_bool": (_variables({"name": "w", "shape": [True, 3], "dtype": "float32"}), '"shape"'),
    "dtype_missing": (_variables({"name": "w", "shape": [1]}), '"dtype"'),
    "dtype_not_a_string": (_variables({"name": "w", "shape": [1], "dtype": 1}), '"dtype"'),
    "duplicate_names": (_variables(GOOD, dict(GOOD, shape=[3])), "duplicate"),
    "duplicate_after_output_suffix": (_variables(GOOD, dict(GOOD, name="dense/kernel:0")), "duplicate"),
    "bad_kind": (_variables(dict(GOOD, kind="weights")), '"kind"'),
    "bad_restore": (dict(_variables(GOOD), restore="by_name"), '"restore"'),
    "bad_format": (dict(_variables(GOOD), format="keras-spec"), '"format"'),
    "object_path_not_a_string": (_variables(dict(GOOD, object_path=3)), '"object_path"'),
    "no_variables_at_all": (_variables(), "no variables"),
}


@pytest.mark.parametrize("case", sorted(INVALID_SPECS))
def test_invalid_spec_is_a_usage_error_naming_the_file(tmp_path, case):
    content, phrase = INVALID_SPECS[case]
    spec = tmp_path / f"{case}.json"
    spec.write_text(content if isinstance(content, str) else json.dumps(content))
    ckpt = tmp_path / "does-not-matter"  # the spec is read first, so no checkpoint is needed to reject it
    for argv in (["diagnose", str(ckpt), "--model", str(spec)], ["spec", "--model", str(spec)]):
        code, out, err = run_cli(argv)
        assert code == 2, f"{case}: exit {code}, stdout {out[:300]!r}, stderr {err!r}"
        if argv[0] == "spec":
            assert err.startswith("Error: ") and str(spec) in err, err
            assert phrase in err, f"{case}: expected {phrase!r} in {err!r}"


def test_invalid_spec_raises_model_error_with_the_path(tmp_path):
    spec = tmp_path / "dup.json"
    spec.write_text(json.dumps(_variables(GOOD, GOOD)))
    with pytest.raises(ModelError) as info:
        ckpt_doctor.load_model(str(spec))
    assert info.value.path == str(spec) and "variables[1]" in info.value.message


def test_spec_without_format_but_with_variables_is_accepted(oracle, tmp_path):
    spec = tmp_path / "plain.json"
    spec.write_text(json.dumps({"variables": [{"name": "model_scope/dense/kernel:0", "shape": [4, 3],
                                               "dtype": "float32"}]}))
    d = ckpt_doctor.diagnose(oracle.prefix("tf1_scoped"), str(spec))
    assert d.ok and [r.variable.name for r in d.weights("loaded")] == ["model_scope/dense/kernel"]  # ":0" dropped


# ------------------------------------------------------------------ builders
def test_builder_that_raises(tmp_path):
    b = write(tmp_path / "raising.py", """\
        def build():
            x = 1
            raise ValueError("boom: no such layer")
        """)
    code, _, err = run_cli(["spec", "--model", f"{b}:build"])
    assert code == 2
    assert "ValueError" in err and "boom: no such layer" in err and "raising.py:3" in err, err


def test_builder_that_raises_inside_a_library_names_the_builder_line(tmp_path):
    """The location that helps is the line of the user's builder, not the library frame the error came from."""
    b = write(tmp_path / "libfail.py", """\
        import json

        def build():
            return json.loads("{not json")
        """)
    code, _, err = run_cli(["spec", "--model", f"{b}:build"])
    assert code == 2 and "JSONDecodeError" in err
    assert "libfail.py:4" in err, err


def test_builder_module_that_fails_to_import(tmp_path):
    b = write(tmp_path / "broken.py", """\
        import os
        raise RuntimeError("config file missing")
        """)
    code, _, err = run_cli(["spec", "--model", f"{b}:build"])
    assert code == 2 and "RuntimeError" in err and "config file missing" in err and str(b) in err, err


@pytest.mark.parametrize("body, phrase", [
    ("return 42", "int"),
    ("return None", "None"),
    ("return {}", "dict"),
    ("return object()", "object"),
    ('return {"w": "not a tensor"}', "dict"),
])
def test_builder_returning_nothing_usable(tmp_path, body, phrase):
    b = write(tmp_path / "useless.py", f"def build():\n    {body}\n")
    code, out, err = run_cli(["spec", "--model", f"{b}:build"])
    assert code == 2, out
    assert err.startswith("Error: ") and phrase in err and "useless.py" in err, err


def test_builder_file_or_function_missing(tmp_path):
    b = write(tmp_path / "models.py", "def build():\n    return None\n")
    code, _, err = run_cli(["spec", "--model", f"{b}:no_such_function"])
    assert code == 2 and "no_such_function" in err, err
    code, _, err = run_cli(["spec", "--model", f"{tmp_path / 'absent.py'}:build"])
    assert code == 2 and "absent.py" in err and "does not exist" in err, err


def test_package_module_builder(oracle, tmp_path, monkeypatch):
    write(tmp_path / "pkg_models" / "__init__.py", "")
    write(tmp_path / "pkg_models" / "builders.py", STATE_DICT_BUILDER)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, err = run_cli(["diagnose", oracle.prefix("tf1_scoped"), "--model", "pkg_models.builders:build",
                              "--json"])
    assert code == 1, err
    d = json.loads(out)
    assert [v["name"] for v in d["variables"] if v["status"] == "missing"] == ["model_scope/extra"]
    code, _, err = run_cli(["spec", "--model", "pkg_models.no_such_module:build"])
    assert code == 2 and "pkg_models.no_such_module" in err, err


@pytest.mark.parametrize("model", ["does/not/exist", "nothing_here.json", "no_such_module_xyz:build"])
def test_model_naming_nothing(tmp_path, model):
    code, _, err = run_cli(["spec", "--model", str(tmp_path / model) if "/" in model else model])
    assert code == 2 and err.startswith("Error: "), err


def test_model_naming_a_file_that_is_neither_spec_nor_checkpoint(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    code, _, err = run_cli(["spec", "--model", str(f)])
    assert code == 2 and str(f) in err and "neither a model spec nor a readable checkpoint" in err, err


def test_torch_module_without_parameters(tmp_path):
    pytest.importorskip("torch")
    b = write(tmp_path / "empty_torch.py", """\
        import torch

        def build():
            return torch.nn.ReLU()
        """)
    code, _, err = run_cli(["spec", "--model", f"{b}:build"])
    assert code == 2 and "no variables" in err, err


@pytest.mark.parametrize("case", ["unbuilt_keras", "empty_module", "tf1_builder_no_variables"])
def test_tf_builders_that_build_no_variables(oracle, case):
    """Run by the oracle (TensorFlow in the process): an unbuilt Keras model, an empty tf.Module, TF1 code that
    makes only a placeholder. Each: exit 2 and a message that says the model has no variables."""
    run = oracle.reference["cli"][case]
    assert run["exit"] == 2, run
    assert run["stderr"].startswith("Error: ") and "no variables" in run["stderr"], run["stderr"]


def test_tf1_builder_leaves_the_callers_tensorflow_state_alone(oracle):
    """A TF1 builder with reference variables fails when ckpt-doctor first runs it eagerly (then it is rebuilt in a
    graph). That first attempt must not leave a variable_scope behind in the caller's process: a variable created
    afterwards must keep its own name."""
    assert oracle.reference["cli"]["scope_leak"]["variable_name_after"] == "probe:0"


# ------------------------------------------------------------------ round trips: spec file == live model
def test_state_dict_builder_round_trip(oracle, tmp_path):
    b = write(tmp_path / "sd.py", STATE_DICT_BUILDER)
    spec = tmp_path / "sd.json"
    code, _, err = run_cli(["spec", "--model", f"{b}:build", "-o", str(spec)])
    assert code == 0 and "wrote 5 variables" in err
    live = run_cli(["diagnose", oracle.prefix("tf1_scoped"), "--model", f"{b}:build", "--json"])
    from_file = run_cli(["diagnose", oracle.prefix("tf1_scoped"), "--model", str(spec), "--json"])
    assert live[0] == from_file[0] == 1
    a, b_ = json.loads(live[1]), json.loads(from_file[1])
    assert statuses(a) == statuses(b_) and a["summary"] == b_["summary"] and a["counts"] == b_["counts"]
    assert b_["summary"] == "1 of 5 model variables would keep their initial values; 0 of 4 checkpoint values go unused"


@pytest.mark.parametrize("cid", ["tf1_scoped", "tf1_partitioned", "tf2_module", "keras3_seq", "tfkeras_weights"])
def test_checkpoint_as_model_round_trip(oracle, tmp_path, cid):
    """``spec --model CKPT -o spec.json``; diagnosing with spec.json == diagnosing with CKPT, and a checkpoint
    compared with itself is fully loaded (exit 0). (CKPT given as its directory; for prefixes see
    test_two_different_checkpoints.)"""
    prefix = os.path.dirname(oracle.prefix(cid))
    spec = tmp_path / f"{cid}.json"
    assert run_cli(["spec", "--model", prefix, "-o", str(spec)])[0] == 0
    code_ckpt, out_ckpt, _ = run_cli(["diagnose", prefix, "--model", prefix, "--json"])
    code_spec, out_spec, _ = run_cli(["diagnose", prefix, "--model", str(spec), "--json"])
    assert code_ckpt == code_spec == 0
    a, b = json.loads(out_ckpt), json.loads(out_spec)
    assert statuses(a) == statuses(b) and a["counts"] == b["counts"]
    assert all(v["status"] == "loaded" for v in a["variables"])
    assert not [e for e in a["entries"] if e["status"] == "unused"]


@pytest.mark.parametrize("form", ["prefix", "directory", "index file"])
def test_two_different_checkpoints(oracle, form):
    """``--model other_ckpt``: the same model saved under another scope. The other checkpoint may be named the
    ways ``diagnose CKPT`` accepts: its prefix (what ``Saver.save`` returns), its directory, its .index file."""
    other = {"prefix": oracle.prefix("tf1_scoped_renamed"),
             "directory": os.path.dirname(oracle.prefix("tf1_scoped_renamed")),
             "index file": oracle.prefix("tf1_scoped_renamed") + ".index"}[form]
    code, out, err = run_cli(["diagnose", oracle.prefix("tf1_scoped"), "--model", other, "--json"])
    assert code == 1, err
    d = json.loads(out)
    weights = {v["name"]: v["status"] for v in d["variables"] if v["kind"] not in BOOKKEEPING_KINDS}
    assert weights == {f"different_model_scope/{n}": "missing" for n in ("dense/kernel", "dense/bias", "embedding",
                                                                         "w64")}
    assert sorted(e["name"] for e in d["entries"] if e["status"] == "unused") == [
        "model_scope/dense/bias", "model_scope/dense/kernel", "model_scope/embedding", "model_scope/w64"]


def test_two_checkpoints_headline_counts_no_bookkeeping(oracle):
    """Both checkpoints hold global_step, beta1_power, beta2_power and Adam slots: none of them is a checkpoint
    value of the headline, whether the other side has the same names or not."""
    other = os.path.dirname(oracle.prefix("tf1_scoped_renamed"))
    d = ckpt_doctor.diagnose(oracle.prefix("tf1_scoped"), other)
    assert d.summary() == "4 of 4 model variables would keep their initial values; 4 of 4 checkpoint values go unused"


def test_spec_to_stdout_is_a_valid_spec_in_creation_order(oracle):
    """``ckpt-doctor spec --model tf1_builder`` (run by the oracle): the Saver's names in creation order, the
    optimizer's variables marked as bookkeeping."""
    run = oracle.reference["cli"]["spec_tf1_stdout"]
    assert run["exit"] == 0
    doc = json.loads(run["stdout"])
    assert doc["format"] == "ckpt-doctor-model-spec" and doc["framework"] == "tf1" and doc["restore"] == "name"
    kinds = {v["name"]: v.get("kind", "variable") for v in doc["variables"]}
    names = [v["name"] for v in doc["variables"]]
    assert names[:5] == ["global_step", "model_scope/dense/kernel", "model_scope/dense/bias", "model_scope/embedding",
                         "model_scope/w64"]
    assert kinds["global_step"] == "counter" and kinds["beta1_power"] == kinds["beta2_power"] == "optimizer"
    assert {n for n, k in kinds.items() if k == "slot"} == {f"model_scope/{v}/{s}" for v in (
        "dense/kernel", "dense/bias", "embedding", "w64") for s in ("Adam", "Adam_1")}
    spec = ModelSpec.from_json(doc)
    assert [v.name for v in spec.variables] == names and spec.variables[4].dtype == "float64"


def test_model_spec_json_round_trip_keeps_every_field(tmp_path):
    spec = ModelSpec([VariableSpec("a/kernel", (4, 3), "float32", object_path="model/a/kernel", index=0),
                      VariableSpec("a/moving_mean", (3,), "float32", trainable=False, kind="buffer", index=1),
                      VariableSpec("a/kernel/m", (4, 3), "bfloat16", object_path="model/a/kernel/.OPTIMIZER_SLOT/o/m",
                                   trainable=False, kind="slot", index=2),
                      VariableSpec("step", (), "int64", trainable=False, kind="counter", index=3)],
                     framework="tf2", restore="object", source="x")
    path = tmp_path / "spec.json"
    spec.save(path)
    back = ckpt_doctor.load_model(str(path))
    assert back.variables == spec.variables
    assert (back.framework, back.restore) == ("tf2", "object")


def test_spec_command_in_a_real_process_round_trips(oracle, tmp_path):
    """The real command line: ``ckpt-doctor spec --model examples/seed_models.py:build_changed -o spec.json``,
    then ``diagnose --model spec.json`` gives what the live builder gave."""
    spec = tmp_path / "changed.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-m", "ckpt_doctor", "spec", "--model",
                           f"{REPO / 'examples' / 'seed_models.py'}:build_changed", "-o", str(spec)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrote 2 variables" in proc.stderr
    live = oracle.scenario("seed__changed")
    code, out, _ = run_cli(["diagnose", oracle.path(live["checkpoint_path"]), "--model", str(spec), "--json"])
    d = json.loads(out)
    assert code == live["live"]["exit"] == 1
    assert statuses(d) == statuses(live["live"]["json"]) and d["counts"] == live["live"]["json"]["counts"]
