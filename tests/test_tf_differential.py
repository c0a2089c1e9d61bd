"""Differential tests: our framework-free reader against real TensorFlow.

tests/tf_oracle.py (run once per session in a subprocess by the ``tf_checkpoints`` fixture) writes
checkpoints with TensorFlow and records what ``tf.train.load_checkpoint`` and the object graph say about
them. Every assertion here compares ``ckpt_doctor`` with that record (or with what the creating framework
knew: which TF1 entries are Adam slots, partition counts, which keys hold model weights). Our reader is
never used as its own oracle.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import CheckpointError, latest_checkpoint, open_checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tf_oracle import CHECKPOINT_IDS, TF1_IDS, TF2_IDS  # noqa: E402  (numpy-only import, no TF)

pytestmark = pytest.mark.tf

ML_DTYPES = {"bfloat16", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2fnuz"}
FIXED_ITEMSIZE = {"float16": 2, "float32": 4, "float64": 8, "bfloat16": 2, "int8": 1, "int16": 2, "int32": 4,
                  "int64": 8, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "bool": 1, "complex64": 8,
                  "complex128": 16, **{n: 1 for n in ML_DTYPES if n.startswith("float8")}}
BOOKKEEPING = {"slot", "optimizer", "counter"}
GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"

# Directories the oracle writes (one per builder); the manager directory holds several checkpoints.
# Saver / Checkpoint.save / CheckpointManager / save_weights write a `checkpoint` state file;
# Checkpoint.write and the raw SaveV2 op do not.
STATE_DIRS = ["tf1_adam", "tf1_sharded", "tf1_partitioned", "tf1_v1", "tf2_keras3", "tf2_tfkeras",
              "tf2_tfkeras_weights", "tf2_module", "tf2_manager"]
NO_STATE_DIRS = ["tf2_dtypes", "raw_dtypes", "raw_many_keys"]


def _mismatches(problems: list[str], what: str) -> None:
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        pytest.fail(f"{len(problems)} {what}:\n  {shown}{more}", pytrace=False)


def _bytes_order(names):
    return sorted(names, key=lambda n: n.encode("utf-8"))


@pytest.fixture(scope="module")
def opened(tf_checkpoints):
    """Catalogs opened once per checkpoint id (opening is what most tests exercise first)."""
    cache: dict[str, object] = {}

    def get(cid: str):
        if cid not in cache:
            cache[cid] = open_checkpoint(tf_checkpoints.prefix(cid))
        return cache[cid]

    return get


# ------------------------------------------------------------------ oracle health
def test_oracle_built_every_checkpoint(tf_checkpoints):
    ref = tf_checkpoints.reference
    assert ref["failed_builders"] == [], ref["skipped"]
    assert sorted(ref["checkpoints"]) == sorted(CHECKPOINT_IDS)
    # (its time is a figure of the suite's budget, not a property of the code: not asserted where a busy machine
    # would fail it)


# ------------------------------------------------------------------ names, order, dtypes, shapes
@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_names_equal_tf(tf_checkpoints, opened, cid):
    expected = set(tf_checkpoints.checkpoint(cid)["tensors"])
    cat = opened(cid)
    ours = list(cat)
    assert len(ours) == len(set(ours)), "duplicate names in catalog"
    missing, extra = sorted(expected - set(ours)), sorted(set(ours) - expected)
    assert not missing and not extra, (f"missing (TF lists, we don't): {missing[:20]}; "
                                       f"extra (we list, TF doesn't): {extra[:20]}")
    assert len(cat) == len(expected)


@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_iteration_order_is_sorted(opened, cid):
    ours = list(opened(cid))
    assert ours == _bytes_order(ours)


@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_format(tf_checkpoints, opened, cid):
    cat = opened(cid)
    assert cat.format == tf_checkpoints.checkpoint(cid)["format"]
    assert tuple(cat.missing_files) == ()


@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_dtypes_and_shapes_equal_tf(tf_checkpoints, opened, cid):
    cat = opened(cid)
    problems = []
    for name, t in tf_checkpoints.checkpoint(cid)["tensors"].items():
        if name not in cat:
            problems.append(f"{name}: not listed")
            continue
        info = cat[name]
        if info.name != name:
            problems.append(f"{name}: .name is {info.name!r}")
        if info.dtype != t["dtype"]:
            problems.append(f"{name}: dtype expected {t['dtype']!r} got {info.dtype!r}")
        if tuple(info.shape) != tuple(t["shape"]) or not all(type(d) is int for d in info.shape):
            problems.append(f"{name}: shape expected {tuple(t['shape'])} got {info.shape!r}")
    _mismatches(problems, f"dtype/shape mismatches against tf.train.load_checkpoint in {cid}")


@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_nbytes_of_fixed_width_tensors(tf_checkpoints, opened, cid):
    cat = opened(cid)
    problems = []
    for name, t in tf_checkpoints.checkpoint(cid)["tensors"].items():
        if t["dtype"] in FIXED_ITEMSIZE and name in cat:
            want = math.prod(t["shape"]) * FIXED_ITEMSIZE[t["dtype"]]
            if cat[name].nbytes != want:
                problems.append(f"{name} ({t['dtype']}{t['shape']}): nbytes expected {want} got {cat[name].nbytes}")
    _mismatches(problems, f"nbytes mismatches in {cid}")


# ------------------------------------------------------------------ values
def _compare_value(tf_checkpoints, cid: str, name: str, t: dict, ours) -> str | None:
    """None if ``ours`` (our read()) equals TF's value exactly, else a description of the difference."""
    if not isinstance(ours, np.ndarray):
        return f"read() returned {type(ours).__name__}, not a numpy array"
    if ours.shape != tuple(t["shape"]):
        return f"value shape {ours.shape} != TF shape {tuple(t['shape'])}"
    ref = tf_checkpoints.value(cid, name)
    if t["dtype"] == "string":
        want, _shape = ref
        if ours.dtype != object:
            return f"string tensor read as dtype {ours.dtype}, TF returns object arrays of bytes"
        got = ours.ravel().tolist()
        if not all(type(b) is bytes for b in got):
            return f"string elements are {sorted({type(b).__name__ for b in got})}, not bytes"
        if got != want:
            bad = next(i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w) \
                if len(got) == len(want) else "len"
            return f"strings differ (first at {bad}): got {got[:4]!r}... want {want[:4]!r}..."
        return None
    if str(ours.dtype) != t["value_dtype"]:
        return f"read() dtype {ours.dtype} != TF value dtype {t['value_dtype']}"
    if t["dtype"] in ML_DTYPES:
        view = t["value"]["view"]
        got = np.ascontiguousarray(ours).view(view)
        if not np.array_equal(got, ref):
            return f"raw {view} bits differ: got {got.ravel()[:8]} want {ref.ravel()[:8]}"
        return None
    if ref.dtype != ours.dtype:
        return f"read() dtype {ours.dtype} != TF dtype {ref.dtype}"
    # Byte equality: catches -0.0 vs 0.0 and NaN payloads; array_equal(equal_nan) for a readable message.
    if np.ascontiguousarray(ours).tobytes() != np.ascontiguousarray(ref).tobytes():
        kind = "equal_nan-equal but bitwise different" if np.array_equal(
            ours, ref, equal_nan=ours.dtype.kind in "fc") else "values differ"
        return f"{kind}: got {ours.ravel()[:6]} want {ref.ravel()[:6]}"
    return None


@pytest.mark.parametrize("cid", CHECKPOINT_IDS)
def test_values_equal_tf(tf_checkpoints, opened, cid):
    cat = opened(cid)
    problems = []
    for name, t in tf_checkpoints.checkpoint(cid)["tensors"].items():
        if name not in cat:
            problems.append(f"{name}: not listed")
            continue
        try:
            ours = cat[name].read()
        except Exception as e:  # noqa: BLE001 - report every failing tensor, not just the first
            problems.append(f"{name} ({t['dtype']}{t['shape']}): read() raised {type(e).__name__}: {e}")
            continue
        diff = _compare_value(tf_checkpoints, cid, name, t, ours)
        if diff:
            src = "" if t["value_source"] == "tf.train.load_checkpoint" else f" [oracle: {t['value_source']}]"
            problems.append(f"{name} ({t['dtype']}{t['shape']}){src}: {diff}")
    _mismatches(problems, f"value mismatches against tf.train.load_checkpoint(...).get_tensor in {cid}")


def test_every_dtype_is_covered(tf_checkpoints):
    """The dtype checkpoints really contain what the oracle meant to put there."""
    seen = {t["dtype"] for cid in ("tf2_dtypes", "raw_dtypes")
            for t in tf_checkpoints.checkpoint(cid)["tensors"].values()}
    assert set(FIXED_ITEMSIZE) | {"string"} <= seen, sorted(set(FIXED_ITEMSIZE) - seen)


# ------------------------------------------------------------------ alternative inputs
@pytest.mark.parametrize("cid", ["tf1_adam", "tf1_sharded", "tf2_keras3", "raw_dtypes"])
def test_open_index_file(tf_checkpoints, cid):
    cat = open_checkpoint(tf_checkpoints.prefix(cid) + ".index")
    assert set(cat) == set(tf_checkpoints.checkpoint(cid)["tensors"])


def test_open_v1_file(tf_checkpoints):
    entry = tf_checkpoints.checkpoint("tf1_v1")
    cat = open_checkpoint(tf_checkpoints.abspath(entry["files"][0]))
    assert cat.format == "tf-v1"
    assert set(cat) == set(entry["tensors"])


def test_missing_checkpoint_raises_checkpoint_error(tf_checkpoints):
    # tf.train.load_checkpoint raises NotFoundError here; we must raise our own error type.
    with pytest.raises(CheckpointError):
        open_checkpoint(tf_checkpoints.abspath("tf1_adam/model.ckpt-999"))


def _norm(p):
    return os.path.normpath(os.path.abspath(os.fspath(p)))


def test_oracle_directories(tf_checkpoints):
    dirs = tf_checkpoints.reference["directories"]
    assert sorted(dirs) == sorted(STATE_DIRS + NO_STATE_DIRS)
    assert [d for d in STATE_DIRS if not dirs[d]["has_state_file"] or not dirs[d]["latest"]] == []


@pytest.mark.parametrize("d", STATE_DIRS)
def test_latest_checkpoint_equals_tf(tf_checkpoints, d):
    info = tf_checkpoints.reference["directories"][d]
    ours = latest_checkpoint(tf_checkpoints.abspath(d))
    assert ours is not None, f"TF says {info['latest']}"
    assert _norm(ours) == _norm(tf_checkpoints.abspath(info["latest"]))


@pytest.mark.parametrize("d", NO_STATE_DIRS)
def test_latest_checkpoint_without_state_file(tf_checkpoints, d):
    """TF answers None without a `checkpoint` state file. Our reader deliberately falls back to scanning the
    directory (documented in formats/discovery.py); what it names must then be a checkpoint TF could load."""
    info = tf_checkpoints.reference["directories"][d]
    assert not info["has_state_file"] and info["latest"] is None
    ours = latest_checkpoint(tf_checkpoints.abspath(d))
    loadable = {_norm(tf_checkpoints.abspath(e["prefix"])) for e in tf_checkpoints.reference["checkpoints"].values()
                if e["dir"] == d}
    assert ours is None or _norm(ours) in loadable, f"{ours} is not one of TF's checkpoints {sorted(loadable)}"


@pytest.mark.parametrize("d", STATE_DIRS)
def test_open_directory_opens_tf_latest(tf_checkpoints, d):
    info = tf_checkpoints.reference["directories"][d]
    cat = open_checkpoint(tf_checkpoints.abspath(d))
    latest = tf_checkpoints.abspath(info["latest"])
    (cid,) = [c for c, e in tf_checkpoints.reference["checkpoints"].items() if e["prefix"] == info["latest"]]
    assert set(cat) == set(tf_checkpoints.checkpoint(cid)["tensors"])
    # The path may name the prefix or (V1) the data file; either way it is TF's latest checkpoint.
    assert _norm(cat.path) in {_norm(latest), _norm(latest + ".index")}


def test_manager_directory_keeps_three_and_opens_newest_values(tf_checkpoints):
    info = tf_checkpoints.reference["directories"]["tf2_manager"]
    assert [os.path.basename(p) for p in info["all"]] == ["ckpt-200", "ckpt-300", "ckpt-400"]
    cat = open_checkpoint(tf_checkpoints.abspath("tf2_manager"))
    key = "w/.ATTRIBUTES/VARIABLE_VALUE"  # Checkpoint(root=module): the module is the root object
    want = tf_checkpoints.value("tf2_manager_ckpt-400", key)
    assert np.array_equal(cat[key].read(), want)
    for old in ("tf2_manager_ckpt-200", "tf2_manager_ckpt-300"):  # older kept checkpoints open by prefix
        older = open_checkpoint(tf_checkpoints.prefix(old))
        assert np.array_equal(older[key].read(), tf_checkpoints.value(old, key))


# ------------------------------------------------------------------ TF2 object graph
TF2_GRAPH_IDS = TF2_IDS


@pytest.mark.parametrize("cid", TF2_GRAPH_IDS)
def test_object_graph_paths_and_full_names(tf_checkpoints, opened, cid):
    cat = opened(cid)
    graph = tf_checkpoints.checkpoint(cid)["object_graph"]
    assert graph is not None
    problems = []
    for attr in graph["attributes"]:
        key = attr["checkpoint_key"]
        if key not in cat:
            problems.append(f"{key}: not listed")
            continue
        info = cat[key]
        want_path = key[: -len("/.ATTRIBUTES/" + attr["name"])]
        # The key's own path must be one of the value's object paths; ``object_path`` itself prefers a path that
        # does not pass through an optimizer (Keras 3 tracks model weights under its optimizer too).
        if info.object_path is None or want_path not in (info.object_path, *info.aliases):
            problems.append(f"{key}: object path {want_path!r} not among {info.object_path!r}, {info.aliases!r}")
        if info.kind == "variable" and "optimizer" in info.object_path.split("/")[0]:
            problems.append(f"{key}: model weight shown under an optimizer path {info.object_path!r}")
        if info.full_name != attr["full_name"]:
            problems.append(f"{key}: full_name expected {attr['full_name']!r} got {info.full_name!r}")
    _mismatches(problems, f"object-graph mismatches against object_metadata() in {cid}")


@pytest.mark.parametrize("cid", TF2_GRAPH_IDS)
def test_object_graph_node_count(tf_checkpoints, opened, cid):
    assert len(opened(cid).objects) == tf_checkpoints.checkpoint(cid)["object_graph"]["nodes"]


@pytest.mark.parametrize("cid", [c for c in TF2_GRAPH_IDS if c == "tf2_tfkeras"])
def test_object_graph_slot_variables(tf_checkpoints, opened, cid):
    cat = opened(cid)
    slots = tf_checkpoints.checkpoint(cid)["object_graph"]["slots"]
    assert slots, "oracle recorded no slot variables"
    problems = []
    for s in slots:
        info = cat[s["slot_key"]] if s["slot_key"] in cat else None
        if info is None:
            problems.append(f"{s['slot_key']}: not listed")
            continue
        if info.kind != "slot":
            problems.append(f"{s['slot_key']}: kind expected 'slot' got {info.kind!r}")
        if info.slot_of != s["original_key"]:
            problems.append(f"{s['slot_key']}: slot_of expected {s['original_key']!r} got {info.slot_of!r}")
        if info.slot_name != s["slot_name"]:
            problems.append(f"{s['slot_key']}: slot_name expected {s['slot_name']!r} got {info.slot_name!r}")
    _mismatches(problems, f"slot-variable mismatches against the object graph in {cid}")


def _kind_problems(cat, expect: dict) -> list[str]:
    problems = []

    def check(key, ok, want):
        if key not in cat:
            problems.append(f"{key}: not listed")
        elif not ok(cat[key].kind):
            problems.append(f"{key}: kind expected {want} got {cat[key].kind!r}")

    for key in expect.get("model_weights", []):
        check(key, lambda k: k == "variable", "'variable' (a model weight)")
    for key in expect.get("counter", []):
        check(key, lambda k: k == "counter", "'counter'")
    for key in expect.get("optimizer", []):
        check(key, lambda k: k == "optimizer", "'optimizer'")
    for key in expect.get("optimizer_owned", []):
        check(key, lambda k: k in BOOKKEEPING, f"one of {sorted(BOOKKEEPING)} (optimizer-owned, not a weight)")
    for slot_key, var_key in expect.get("slots", {}).items():
        check(slot_key, lambda k: k == "slot", "'slot'")
        if slot_key in cat and cat[slot_key].slot_of != var_key:
            problems.append(f"{slot_key}: slot_of expected {var_key!r} got {cat[slot_key].slot_of!r}")
    if GRAPH_KEY in cat:
        check(GRAPH_KEY, lambda k: k == "object_graph", "'object_graph'")
    return problems


@pytest.mark.parametrize("cid", TF2_IDS + TF1_IDS)
def test_kinds(tf_checkpoints, opened, cid):
    entry = tf_checkpoints.checkpoint(cid)
    expect = dict(entry["expect"])
    if entry["object_graph"] is not None:
        assert GRAPH_KEY in entry["tensors"]
        expect.setdefault("counter", [])
    _mismatches(_kind_problems(opened(cid), expect), f"kind/slot mismatches in {cid}")


def test_keras3_weights_saved_under_optimizer_are_variables(tf_checkpoints, opened):
    """Keras 3 + tf.train.Checkpoint stores the model weights at optimizer/_trainable_variables/N."""
    expect = tf_checkpoints.checkpoint("tf2_keras3")["expect"]
    assert any(k.startswith("optimizer/_trainable_variables/") for k in expect["model_weights"])
    cat = opened("tf2_keras3")
    assert {cat[k].kind for k in expect["model_weights"]} == {"variable"}
    assert all(cat[k].full_name.startswith("seq3/") for k in expect["model_weights"])


# ------------------------------------------------------------------ TF1 specifics
def test_tf1_adam_bookkeeping(tf_checkpoints, opened):
    entry = tf_checkpoints.checkpoint("tf1_adam")
    cat = opened("tf1_adam")
    assert len(entry["expect"]["slots"]) == 8
    assert {cat[k].kind for k in entry["expect"]["slots"]} == {"slot"}
    assert {k: cat[k].slot_of for k in entry["expect"]["slots"]} == entry["expect"]["slots"]
    assert cat["beta1_power"].kind == "optimizer" and cat["beta2_power"].kind == "optimizer"
    assert cat["global_step"].kind == "counter"


@pytest.mark.parametrize("cid", ["tf1_partitioned", "tf1_v1"])
def test_partitioned_variables(tf_checkpoints, opened, cid):
    cat = opened(cid)
    parts = tf_checkpoints.checkpoint(cid)["expect"].get("partitioned")
    if not parts:
        pytest.skip(f"TF could not create a partitioned variable here: {tf_checkpoints.reference['skipped']}")
    problems = []
    for name, p in parts.items():
        if name not in cat:
            problems.append(f"{name}: full partitioned variable not listed")
            continue
        info = cat[name]
        if tuple(info.shape) != tuple(p["shape"]):
            problems.append(f"{name}: shape expected {tuple(p['shape'])} got {info.shape}")
        if info.partitions != p["partitions"]:
            problems.append(f"{name}: partitions expected {p['partitions']} got {info.partitions}")
        listed = [s for s in p["slice_var_names"] if s in cat]
        if listed:
            problems.append(f"{name}: slice variables listed: {listed}")
    unpartitioned = [n for n in cat if n not in parts and cat[n].partitions]
    if unpartitioned:
        problems.append(f"not partitioned in TF but partitions>0: {unpartitioned}")
    _mismatches(problems, f"partitioned-variable mismatches in {cid}")


def test_sharded_bundle_has_two_data_files(tf_checkpoints, opened):
    entry = tf_checkpoints.checkpoint("tf1_sharded")
    assert len([f for f in entry["files"] if ".data-" in f]) == 2
    cat = opened("tf1_sharded")
    for name in entry["tensors"]:
        assert np.array_equal(cat[name].read(), tf_checkpoints.value("tf1_sharded", name))


# ------------------------------------------------------------------ CLI
@pytest.mark.parametrize("cid", ["tf1_adam", "tf1_v1", "tf2_tfkeras", "tf2_dtypes"])
def test_cli_inspect_json_matches_tf(tf_checkpoints, cid):
    entry = tf_checkpoints.checkpoint(cid)
    prefix = tf_checkpoints.prefix(cid)
    env = dict(os.environ)
    src = str(Path(ckpt_doctor.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "ckpt_doctor", "inspect", "--json", prefix], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert doc["format"] == entry["format"]
    assert _norm(doc["path"]) == _norm(prefix)
    got = {t["name"]: (t["dtype"], tuple(t["shape"])) for t in doc["tensors"]}
    want = {n: (t["dtype"], tuple(t["shape"])) for n, t in entry["tensors"].items()}
    assert [t["name"] for t in doc["tensors"]] == _bytes_order(got)
    assert got == want
    for t in doc["tensors"]:
        assert {"name", "dtype", "shape", "nbytes", "kind"} <= set(t)
