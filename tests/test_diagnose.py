"""``diagnose`` against what TensorFlow itself does (issue 3, "Must show").

tests/diagnose_oracle.py runs once per session in a subprocess (TensorFlow never enters this process). For each
scenario it saves a checkpoint with TensorFlow, rebuilds a changed model and records the framework's strict
restore report *and* the ground truth: which model variables actually received a value and which checkpoint
entries were bound. It also writes the model's spec with ``ckpt-doctor spec`` and records ``ckpt-doctor diagnose
--model <builder> --json``. Here the diagnosis is checked against that truth, through the spec file (Python API,
this process) and through the live builder (CLI, oracle process).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import ModelError, open_checkpoint
from ckpt_doctor.cli import main as cli_main

sys.path.insert(0, str(Path(__file__).resolve().parent))
import diagnose_oracle  # noqa: E402  (its module level needs only numpy; TensorFlow runs in the subprocess)
from diagnose_oracle import RAISING, SCENARIOS, TF1_SCENARIOS, TF2_SCENARIOS  # noqa: E402

pytestmark = pytest.mark.tf

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BOOKKEEPING_KINDS = {"slot", "optimizer", "counter", "object_graph"}
GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
SAVE_COUNTER = "save_counter/.ATTRIBUTES/VARIABLE_VALUE"

WITH_TRUTH = [s for s in TF1_SCENARIOS + TF2_SCENARIOS if s not in RAISING]
WITH_LIVE = [s for s in SCENARIOS if s != "tfkeras_by_name__renamed_out"]  # by_name: a hand-edited spec only


def _ways(sids):
    """(scenario, via) pairs: every scenario through its spec, and through the live model where it has one."""
    return [(s, v) for s in sids for v in ("spec", "live") if v == "spec" or s in WITH_LIVE]
HEADLINE = re.compile(r"^(?:(\d+) of (\d+) model variables would keep their initial values|"
                      r"[Aa]ll (\d+) model variables get a value from the checkpoint); "
                      r"(\d+) of (\d+) checkpoint values go unused\.$")


# ------------------------------------------------------------------ fixtures and helpers
@pytest.fixture(scope="session")
def oracle(tmp_path_factory) -> diagnose_oracle.OracleRun:
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed: no oracle for the diagnose tests")
    try:
        return diagnose_oracle.run_once(str(tmp_path_factory.mktemp("diagnose_oracle")))
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


_SPEC_RESULTS: dict[str, object] = {}


def via_spec(oracle, sid: str) -> dict:
    """``ckpt_doctor.diagnose(checkpoint, spec.json)`` in this process (spec written by ``ckpt-doctor spec``)."""
    if sid not in _SPEC_RESULTS:
        sc = oracle.scenario(sid)
        try:
            d = ckpt_doctor.diagnose(oracle.path(sc["checkpoint_path"]), oracle.path(sc["spec"]))
            _SPEC_RESULTS[sid] = d.to_json()
        except ModelError as e:
            _SPEC_RESULTS[sid] = e
    result = _SPEC_RESULTS[sid]
    if isinstance(result, Exception):
        pytest.fail(f"diagnose with the spec file that `ckpt-doctor spec` wrote for {sid} failed: {result}",
                    pytrace=False)
    return result


def via_live(oracle, sid: str) -> dict:
    """``ckpt-doctor diagnose CKPT --model tests/diagnose_oracle.py:<builder> --json`` (run in the oracle)."""
    return oracle.scenario(sid)["live"]["json"]


def result_of(oracle, sid: str, via: str) -> dict:
    return via_spec(oracle, sid) if via == "spec" else via_live(oracle, sid)


def ident(var: dict, how: str) -> str:
    return var.get("object_path") if how == "object_path" else var["name"]


def var_statuses(d: dict, how: str, *, weights_only: bool = False) -> dict[str, str]:
    return {ident(v, how): v["status"] for v in d["variables"]
            if not weights_only or v["kind"] not in BOOKKEEPING_KINDS}


def entry_statuses(d: dict) -> dict[str, str]:
    return {e["name"]: e["status"] for e in d["entries"]}


def names_with(d: dict, status: str, how: str = "name") -> set[str]:
    return {ident(v, how) for v in d["variables"] if v["status"] == status and v["kind"] not in BOOKKEEPING_KINDS}


def diff(ours: dict, truth: dict) -> str:
    keys = sorted(set(ours) | set(truth), key=str)
    rows = [f"  {k}: ours={ours.get(k, '-')} truth={truth.get(k, '-')}" for k in keys if ours.get(k) != truth.get(k)]
    return "\n".join(rows)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ oracle health
def test_oracle_built_every_scenario(oracle):
    ref = oracle.reference
    assert ref["failed"] == [], "\n".join(f["traceback"] for f in ref["failed"])
    assert sorted(ref["scenarios"]) == sorted(SCENARIOS)
    # (its time is a figure of the suite's budget, not a property of the code: not asserted here, where a busy
    # machine would fail it)


# ------------------------------------------------------------------ 1. agreement with what the framework does
@pytest.mark.parametrize("sid,via", _ways(WITH_TRUTH))
def test_variables_agree_with_framework_truth(oracle, sid, via):
    """Every model variable: loaded / missing / shape / dtype mismatch exactly as the framework's restore did."""
    sc = oracle.scenario(sid)
    truth = sc["truth"]
    d = result_of(oracle, sid, via)
    ours = var_statuses(d, sc["ident"])
    assert ours == truth["variables"], f"{sid} ({via}): model variables differ from {sc['restore']}:\n" + \
        diff(ours, truth["variables"])
    # The headline counts only model weights: never the optimizer's or the step counter's variables.
    weights = {k: v for k, v in truth["variables"].items() if k not in set(truth["bookkeeping_vars"])}
    assert var_statuses(d, sc["ident"], weights_only=True) == weights
    assert d["ok"] == all(s == "loaded" for s in weights.values())


@pytest.mark.parametrize("sid,via", _ways(WITH_TRUTH))
def test_entries_agree_with_framework_truth(oracle, sid, via):
    """Every checkpoint entry: used / mismatched / unused / bookkeeping exactly as the restore bound them."""
    truth = oracle.scenario(sid)["truth"]["entries"]
    ours = entry_statuses(result_of(oracle, sid, via))
    assert ours == truth, f"{sid} ({via}): checkpoint entries differ:\n" + diff(ours, truth)


@pytest.mark.parametrize("sid", WITH_TRUTH)
def test_loaded_values_are_the_values_the_framework_restored(oracle, sid):
    """For each variable we call loaded, the entry we name holds exactly the value TF put into the variable."""
    sc = oracle.scenario(sid)
    d = via_live(oracle, sid) if sid in WITH_LIVE else via_spec(oracle, sid)
    restored = oracle.values(sid)
    catalog = open_checkpoint(oracle.path(sc["checkpoint_path"]))
    checked, problems = 0, []
    for v in d["variables"]:
        if v["status"] != "loaded":
            continue
        name = ident(v, sc["ident"])
        ours = catalog[v["checkpoint_key"]].read()
        theirs = restored.get(name)
        if theirs is None:
            problems.append(f"{name}: we say loaded from {v['checkpoint_key']}, TF left it at its initial value")
        elif ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            problems.append(f"{name}: {v['checkpoint_key']} holds {ours.ravel()[:4]}, TF restored "
                            f"{theirs.ravel()[:4]}")
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked == len(restored)


def _tf1_expectation(fw: dict, d: dict) -> list[str]:
    problems = []
    not_loaded = {v["name"]: v for v in d["variables"] if v["status"] != "loaded"}
    if fw["strict_ok"]:
        reshaped = {r["name"] for r in fw.get("silently_reshaped", [])}
        ours = {n for n, v in not_loaded.items() if v["status"] == "shape_mismatch"}
        if ours != reshaped or set(not_loaded) != reshaped:
            problems.append(f"Saver.restore succeeded (silently reshaped: {sorted(reshaped)}), we report not "
                            f"loaded: {sorted(not_loaded)}")
        return problems
    if d["ok"]:
        problems.append(f"Saver.restore raised {fw['error']} but we report every variable loaded")
    expected = {"NotFoundError": {"missing"}, "InvalidArgumentError": {"shape_mismatch", "dtype_mismatch"}}[fw["error"]]
    if fw["keys"]:  # TF names the first key it could not restore
        key = fw["keys"][0]
        if key not in not_loaded or not_loaded[key]["status"] not in expected:
            problems.append(f"TF's {fw['error']} names {key}; we have it as "
                            f"{not_loaded[key]['status'] if key in not_loaded else 'loaded'}")
    elif fw["shapes"]:  # reference variables: "Assign requires shapes ... lhs shape= [4,5] rhs shape= [4,3]"
        model_shape, ckpt_shape = fw["shapes"]
        if not any(v["status"] == "shape_mismatch" and v["shape"] == model_shape
                   and v["checkpoint_shape"] == ckpt_shape for v in not_loaded.values()):
            problems.append(f"TF reports an assign of shape {ckpt_shape} to {model_shape}; no such shape mismatch "
                            f"in ours: {list(not_loaded.values())}")
    else:
        problems.append(f"could not find the key in TF's message: {fw['message']}")
    return problems


def _tf2_expectation(fw: dict, d: dict) -> list[str]:
    problems = []
    not_loaded = [v for v in d["variables"] if v["status"] != "loaded"]
    if fw["restore_raised"]:
        m = re.search(r"and name (\S+?)(?::\d+)?\.$", fw["restore_raised"]["message"].strip())
        mismatched = {v["name"] for v in not_loaded if v["status"] == "shape_mismatch"}
        if not m or m.group(1) not in mismatched:
            problems.append(f"restore raised {fw['restore_raised']}; our shape mismatches: {sorted(mismatched)}")
        return problems
    if "assert_existing_objects_matched" not in fw:  # Keras by_name: no status object, no error
        if d["ok"]:
            problems.append("the framework restored silently and TF left variables at their initial values; ours ok")
        return problems
    existing = fw["assert_existing_objects_matched"]
    if (existing is None) != d["ok"]:
        problems.append(f"assert_existing_objects_matched: {existing!r:.300}; ours ok={d['ok']}")
    if existing:
        m = re.search(r"Found (\d+) Python objects that were not bound", existing)
        if m and int(m.group(1)) != len(not_loaded):
            problems.append(f"TF: {m.group(1)} unbound Python objects; ours: {len(not_loaded)} not loaded")
    if "assert_consumed" in fw:
        consumed = all(e["status"] == "used" for e in d["entries"] if e["name"] not in (GRAPH_KEY, SAVE_COUNTER))
        if (fw["assert_consumed"] is None) != consumed:
            problems.append(f"assert_consumed: {fw['assert_consumed']!r:.300}; ours: every value used={consumed}")
    return problems


@pytest.mark.parametrize("sid,via", _ways(TF1_SCENARIOS + TF2_SCENARIOS))
def test_agrees_with_the_frameworks_strict_restore(oracle, sid, via):
    """TF1 ``Saver.restore`` errors (TF names only the first key), TF2 restore errors, ``assert_consumed`` and
    ``assert_existing_objects_matched``."""
    sc = oracle.scenario(sid)
    d = result_of(oracle, sid, via)
    problems = (_tf1_expectation if sc["family"] == "tf1" else _tf2_expectation)(sc["framework"], d)
    assert not problems, f"{sid} ({via}):\n" + "\n".join(problems)


# ---- the silent cases, spelled out
def test_tf2_renamed_attribute_is_silent_for_tf_and_reported_by_us(oracle):
    sc = oracle.scenario("tf2_module__renamed_attribute")
    assert sc["framework"]["restore_raised"] is None  # TF: Checkpoint.restore() returns normally
    assert sc["truth"]["variables"]["dec/w"] == "missing"  # ... and the variable keeps its initial value
    d = via_spec(oracle, "tf2_module__renamed_attribute")
    assert names_with(d, "missing", "object_path") == {"dec/w", "dec/b"}
    assert {e["name"] for e in d["entries"] if e["status"] == "unused"} == {
        "model/decoder/w/.ATTRIBUTES/VARIABLE_VALUE", "model/decoder/b/.ATTRIBUTES/VARIABLE_VALUE"}
    assert sc["live"]["exit"] == 1


@pytest.mark.parametrize("sid", ["keras3_sub__renamed_attribute", "tfkeras_sub__renamed_attribute"])
def test_keras_renamed_attribute_is_silent_for_keras_and_reported_by_us(oracle, sid):
    sc = oracle.scenario(sid)
    assert sc["framework"]["restore_raised"] is None
    missing = {k for k, s in sc["truth"]["variables"].items() if s == "missing"}  # Keras 3: body/_kernel
    assert len(missing) == 2 and all(k.startswith("body/") for k in missing)
    d = via_live(oracle, sid)
    assert names_with(d, "missing", "object_path") == missing
    assert len([e for e in d["entries"] if e["status"] == "unused"]) == 2
    assert sc["live"]["exit"] == 1


def test_keras_by_name_renamed_layer_is_silent_and_reported_by_us(oracle):
    """``load_weights(h5, by_name=True)`` skips the renamed layer without a word; a name-restore spec finds it."""
    sc = oracle.scenario("tfkeras_by_name__renamed_out")
    assert sc["framework"]["restore_raised"] is None
    d = via_spec(oracle, "tfkeras_by_name__renamed_out")
    assert names_with(d, "missing") == {"head/kernel", "head/bias"}
    assert names_with(d, "loaded") == {"hidden/kernel", "hidden/bias"}
    assert {e["full_name"] for e in d["entries"] if e["status"] == "unused"} == {"out/kernel", "out/bias"}


def test_tf1_resource_variable_shape_change_is_silent_and_reported_by_us(oracle):
    """TF2-era TF1 graphs use resource variables: ``Saver.restore`` puts a [4, 3] value into a [4, 5] variable
    without an error. We report the shape mismatch."""
    sc = oracle.scenario("tf1_scoped__shape_change")
    assert sc["framework"]["strict_ok"] and sc["framework"]["silently_reshaped"]
    d = via_spec(oracle, "tf1_scoped__shape_change")
    assert names_with(d, "shape_mismatch") == {"model_scope/dense/kernel", "model_scope/dense/bias"}
    ref = oracle.scenario("tf1_scoped__shape_change_ref")["framework"]  # reference variables: TF refuses
    assert ref["error"] == "InvalidArgumentError" and ref["shapes"] in ([[4, 5], [4, 3]], [[5], [3]])  # first to fail


@pytest.mark.parametrize("sid", ["keras3_seq__renamed_layers", "tfkeras_weights__renamed_layers",
                                 "tf1_partitioned__repartitioned"])
def test_changes_the_framework_tolerates_are_not_reported(oracle, sid):
    """Object-based restore ignores layer names; a Saver re-slices partitioned variables: no false alarm."""
    assert all(s == "loaded" for s in oracle.scenario(sid)["truth"]["variables"].values())
    d = via_spec(oracle, sid)
    assert d["ok"] and oracle.scenario(sid)["live"]["exit"] == 0


# ------------------------------------------------------------------ 3. spec file vs live builder
@pytest.mark.parametrize("sid", WITH_LIVE)
def test_spec_file_diagnoses_like_the_live_builder(oracle, sid):
    """``ckpt-doctor spec --model B -o spec.json`` then ``diagnose --model spec.json`` == ``diagnose --model B``."""
    sc = oracle.scenario(sid)
    live, spec = via_live(oracle, sid), via_spec(oracle, sid)
    for key in ("ok", "summary", "counts", "object_root"):
        assert spec[key] == live[key], f"{sid}: {key} differs: spec file {spec[key]!r}, live builder {live[key]!r}"
    assert var_statuses(spec, sc["ident"]) == var_statuses(live, sc["ident"])
    assert entry_statuses(spec) == entry_statuses(live)


@pytest.mark.parametrize("sid", [s for s in TF2_SCENARIOS if s in WITH_LIVE])
def test_spec_trainable_flags_match_the_framework(oracle, sid):
    sc = oracle.scenario(sid)
    with open(oracle.path(sc["spec"])) as f:
        spec = json.load(f)
    ours = {v.get("object_path"): v.get("trainable", True) for v in spec["variables"]}
    wrong = {path: (ours.get(path), flag) for path, flag in sc["trainable"].items() if ours.get(path) != flag}
    assert not wrong, f"{sid}: trainable flag (spec, framework): {wrong}"


# ------------------------------------------------------------------ 4. bookkeeping is never a model weight
@pytest.mark.parametrize("sid", ["tf1_scoped__inference", "tf2_module__same",
                                 "keras3_seq__same", "tfkeras_ckpt__inference", "tfkeras_weights__same"])
def test_checkpoint_bookkeeping_is_reported_apart(oracle, sid):
    sc = oracle.scenario(sid)
    ckpt_book = set(oracle.reference["checkpoints"][sc["checkpoint"]]["bookkeeping"])
    d = via_live(oracle, sid)
    ours = {e["name"] for e in d["entries"] if e["status"] == "bookkeeping"}
    assert ours == (ckpt_book | ({GRAPH_KEY} if sc["family"] == "tf2" else set()))
    assert all(e["kind"] in BOOKKEEPING_KINDS for e in d["entries"] if e["status"] == "bookkeeping")
    weights = [v for v in d["variables"] if v["kind"] not in BOOKKEEPING_KINDS]
    values = [e for e in d["entries"] if e["status"] != "bookkeeping"]
    assert d["summary"] == f"all {len(weights)} model variables get a value from the checkpoint; 0 of {len(values)} " \
                           "checkpoint values go unused"
    assert d["counts"]["entries_bookkeeping"] == len(ours)


def test_tf1_adam_slots_beta_powers_and_global_step(oracle):
    book = set(oracle.reference["checkpoints"]["tf1_scoped"]["bookkeeping"])
    assert {"global_step", "beta1_power", "beta2_power", "model_scope/dense/kernel/Adam",
            "model_scope/dense/kernel/Adam_1"} <= book
    d = via_live(oracle, "tf1_scoped__inference")
    kinds = {e["name"]: e["kind"] for e in d["entries"]}
    assert kinds["global_step"] == "counter" and kinds["beta1_power"] == "optimizer"
    assert kinds["model_scope/dense/kernel/Adam"] == "slot"
    assert d["counts"]["loaded"] == 4 and d["counts"]["entries_unused"] == 0


@pytest.mark.parametrize("sid", ["tf1_scoped__same", "tfkeras_ckpt__with_optimizer"])
def test_model_side_optimizer_variables_are_not_counted(oracle, sid):
    """A model built with its optimizer (slots, beta powers, global_step): those are restored too, but the
    headline counts the 4 model weights and the 4 checkpoint values that are weights, nothing else."""
    sc = oracle.scenario(sid)
    d = via_live(oracle, sid)
    model_book = {ident(v, sc["ident"]) for v in d["variables"] if v["kind"] in BOOKKEEPING_KINDS}
    assert model_book == set(sc["truth"]["bookkeeping_vars"]) and model_book
    assert sum(d["counts"][s] for s in ("loaded", "missing", "shape_mismatch", "dtype_mismatch")) == 4
    weight_entries = [e for e in d["entries"] if e["kind"] not in BOOKKEEPING_KINDS]
    assert len(weight_entries) == 4
    assert d["summary"] == "all 4 model variables get a value from the checkpoint; 0 of 4 checkpoint values go unused"


def test_keras3_weights_under_the_optimizer_are_weights(oracle):
    """Keras 3 stores each weight once, under ``optimizer/_trainable_variables/N``: still a model weight."""
    d = via_live(oracle, "keras3_seq__same")
    st = entry_statuses(d)
    trainable = [k for k in st if k.startswith("optimizer/_trainable_variables/")]
    assert len(trainable) == 4 and all(st[k] == "used" for k in trainable)
    assert all(st[k] == "bookkeeping" for k in st if k.startswith("optimizer/_variables/"))


# ------------------------------------------------------------------ 5. the human report
@pytest.mark.parametrize("sid", ["tf1_scoped__renamed_scope", "tf1_scoped__same", "tf2_module__renamed_attribute",
                                 "keras3_seq__extra_layer", "layers12__renamed_scope", "seed__changed"])
def test_report_headline_comes_first(oracle, sid):
    sc = oracle.scenario(sid)
    lines = sc["live"]["text"].splitlines()
    assert lines[0].startswith("checkpoint: ") and lines[1].startswith("model: ")
    assert lines[2].startswith("loaded by:  ") and "(--load-with " in lines[2] and lines[3] == ""
    m = HEADLINE.match(lines[4])
    assert m, f"headline: {lines[4]!r}"
    counts = sc["live"]["json"]["counts"]
    total = counts["loaded"] + counts["missing"] + counts["shape_mismatch"] + counts["dtype_mismatch"]
    if m.group(1):
        assert (int(m.group(1)), int(m.group(2))) == (total - counts["loaded"], total)
    else:
        assert int(m.group(3)) == total == counts["loaded"]
    assert sc["live"]["text_exit"] == sc["live"]["exit"]


def test_report_headline_of_the_seed_scenario(oracle):
    lines = oracle.scenario("seed__changed")["live"]["text"].splitlines()
    assert lines[4] == "2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused."


def test_report_collapses_repeated_structure(oracle):
    """12 renamed layers: one row per repeated name, written ``layer_{0..11}``, with the count."""
    sc = oracle.scenario("layers12__renamed_scope")
    code, text, _ = run_cli(["diagnose", oracle.path(sc["checkpoint_path"]), "--model", oracle.path(sc["spec"])])
    assert code == 1
    lines = text.splitlines()
    assert lines[4].startswith("24 of 25 model variables would keep their initial values")
    for pattern in (r"bert/encoder/layer_\{0\.\.11\}/attention/kernel\s+float32 \[8, 8\]\s+\(12\)",
                    r"bert/encoder/layer_\{0\.\.11\}/attention/bias\s+float32 \[8\]\s+\(12\)",
                    r"(?<!bert/)encoder/layer_\{0\.\.11\}/attention/kernel\s+float32 \[8, 8\]\s+\(12\)"):
        assert any(re.search(pattern, line) for line in lines), f"no line matches {pattern}:\n{text}"
    listing = lines[:next(i for i, line in enumerate(lines) if line.startswith("Loaded: "))]
    assert not any(re.search(r"layer_\d+/", line) for line in listing), text
    assert text == sc["live"]["text"].replace(sc["live"]["json"]["model"], oracle.path(sc["spec"]))


# ------------------------------------------------------------------ 2. the seed example
def test_seed_example_oracle(oracle):
    changed, original = oracle.scenario("seed__changed"), oracle.scenario("seed__original")
    assert changed["live"]["exit"] == 1 and original["live"]["exit"] == 0
    d = changed["live"]["json"]
    assert names_with(d, "missing") == {"different_model_scope/weight", "different_model_scope/bias"}
    assert {e["name"] for e in d["entries"] if e["status"] == "unused"} == {"model_scope/weight", "model_scope/bias"}
    assert (d["counts"]["missing"], d["counts"]["entries_unused"], d["counts"]["loaded"]) == (2, 2, 0)
    d = original["live"]["json"]
    assert d["ok"] and d["counts"]["loaded"] == 2 and d["counts"]["entries_unused"] == 0


def _run_example(script: Path, workdir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.run([sys.executable, str(script), str(workdir)], capture_output=True, text=True, timeout=300,
                          env=env, cwd=str(workdir.parent))


def test_seed_example_script(oracle, tmp_path):
    """examples/seed_scope_rename.py: TF1 raises NotFoundError naming one key, TF2 stays silent, we report 2 + 2,
    exit code 1. Its checkpoint diagnosed against the changed model's spec: the same; against the original: 0."""
    workdir = tmp_path / "seed"
    proc = _run_example(EXAMPLES / "seed_scope_rename.py", workdir)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert "NotFoundError" in proc.stdout and "different_model_scope/" in proc.stdout
    assert "2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused" in proc.stdout
    code, out, _ = run_cli(["diagnose", str(workdir), "--model",
                            oracle.path(oracle.scenario("seed__changed")["spec"]), "--json"])
    d = json.loads(out)
    assert code == 1 and (d["counts"]["missing"], d["counts"]["entries_unused"]) == (2, 2)
    code, out, _ = run_cli(["diagnose", str(workdir), "--model",
                            oracle.path(oracle.scenario("seed__original")["spec"]), "--json"])
    d = json.loads(out)
    assert code == 0 and d["ok"] and d["counts"]["loaded"] == 2


def test_seed_consistent_scope_example(tmp_path):
    script = EXAMPLES / "seed_consistent_scope.py"
    proc = _run_example(script, tmp_path / "consistent")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "all 2 model variables get a value from the checkpoint" in proc.stdout.lower()


# ------------------------------------------------------------------ the Python API's result object
def test_python_api_result_object(oracle):
    sc = oracle.scenario("tf1_scoped__added_variable")
    d = ckpt_doctor.diagnose(oracle.path(sc["checkpoint_path"]), oracle.path(sc["spec"]))
    assert isinstance(d, ckpt_doctor.Diagnosis) and not d.ok
    assert [r.variable.name for r in d.weights("missing")] == ["model_scope/extra"]
    assert len(d.weights("loaded")) == 4 and not d.entries_with("unused")
    assert {r.entry.name for r in d.entries_with("bookkeeping")} == \
        set(oracle.reference["checkpoints"]["tf1_scoped"]["bookkeeping"])
    assert d.summary() == "1 of 5 model variables would keep their initial values; 0 of 4 checkpoint values go unused"
    live = {k: v for k, v in sc["live"]["json"].items() if k != "alignment"}  # the CLI adds the alignment
    assert json.loads(json.dumps(d.to_json())) == live | {"model": oracle.path(sc["spec"])}


def test_tensorflow_stays_out_of_the_test_process():
    assert "tensorflow" not in sys.modules


def test_unused_moving_averages_of_loaded_variables_are_named_with_tensorflows_way_to_restore_them(tmp_path):
    # a TF1 training checkpoint (variables and their tf.train.ExponentialMovingAverage averages) read by an evaluation
    # graph without the averages: every variable loads, the averages go unused; the note says what they are and how
    # TensorFlow restores them instead, and TensorFlow does so as said
    from oracle_run import run_oracle

    from ckpt_doctor.cli import main

    run_oracle("ema_oracle.py", "write", str(tmp_path), legacy=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["diagnose", str(tmp_path / "train"), "--model", str(tmp_path / "eval.spec.json")])
    text = out.getvalue()
    assert rc == 0
    assert "4 unused value(s) are moving averages of variables the model loads" in text
    assert "tf.compat.v1.train.Saver(ema.variables_to_restore())" in text
    facts = json.loads(run_oracle("ema_oracle.py", "check", str(tmp_path), legacy=True))
    assert len(facts["variables"]) == 4 and facts["hold_averages"] and facts["values_differ"]
