#!/usr/bin/env python
"""Create TensorFlow checkpoints with real TensorFlow and record what TensorFlow itself reads back.

Run as a script, never imported by the test process (TensorFlow must stay out of pytest's interpreter)::

    python tests/tf_oracle.py OUTDIR

Writes checkpoints below OUTDIR plus ``OUTDIR/reference.json``, which records for every checkpoint
what ``tf.train.load_checkpoint(prefix)`` reports (names, dtypes, shapes; values losslessly under
``OUTDIR/values/<id>.npz``), TF2 object-graph facts from ``object_metadata`` (checkpoint key ->
full name, slot variables), and facts only the creating framework knows (which TF1 entries are Adam
slots, partition counts, which keys are model weights). All paths in the reference are relative to
OUTDIR so the directory can be moved.

reference.json layout::

    {"tf_version": str, "keras_version": str, "tf_keras_version": str|null,
     "skipped": {what: reason},          # dtypes / checkpoints TF could not create
     "directories": {reldir: {"latest": relprefix|null, "all": [relprefix, ...], "has_state_file": bool}},
     "checkpoints": {id: {
         "prefix": relprefix, "dir": reldir, "format": "tf-v2"|"tf-v1", "family": "tf1"|"tf2"|"raw",
         "open_path": relpath,            # what TF's reader was given (prefix; for V1 the data file)
         "files": [relpath, ...],         # data/index files this checkpoint consists of
         "tensors": {name: {"dtype": str, "shape": [int], "value_dtype": str, "value": VALUE}},
         "object_graph": null | {"nodes": int,
             "attributes": [{"node", "name", "full_name", "checkpoint_key"}],
             "slots": [{"optimizer_key"?, "slot_name", "original_key", "slot_key"}]},
         "expect": {"slots": {slot_key: variable_key}, "optimizer": [key], "counter": [key],
                    "model_weights": [key], "optimizer_owned": [key],
                    "partitioned": {name: {"partitions": int, "shape": [int]}}}}}}

VALUE is {"npz": relpath, "key": str} (a plain numpy array stored under ``key`` in that .npz),
{"npz": ..., "key": ..., "view": "uint8"|"uint16"} (the raw bits of an ml_dtypes array such as bfloat16 /
float8), or {"strings": [base64, ...], "shape": [int]} for string tensors.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import traceback

import numpy as np

# Nothing at module level imports TensorFlow: the test module imports the id lists below.

ML_DTYPE_NAMES = {"bfloat16", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
                  "float8_e5m2fnuz"}

# Dtypes for the "every dtype" checkpoints: numpy-style name -> test values (as float64/int/complex
# python lists, cast below).
SPECIAL_F = [0.0, -0.0, 1.0, -1.5, 3.25, float("inf"), float("-inf"), float("nan"), 1e-3, 65000.0]


def np_dtype_name(tf_dtype) -> str:
    """TF dtype -> our numpy-style name (tf.half -> float16, tf.string -> string, ...)."""
    name = tf_dtype.base_dtype.name if hasattr(tf_dtype, "base_dtype") else tf_dtype.name
    return {"half": "float16", "float": "float32", "double": "float64"}.get(name, name)


class Recorder:
    def __init__(self, outdir: str):
        import tensorflow as tf

        self.tf = tf
        self.outdir = os.path.abspath(outdir)
        self.ref: dict = {"tf_version": tf.__version__, "skipped": {}, "directories": {}, "checkpoints": {}}

    def rel(self, path: str) -> str:
        return os.path.relpath(os.path.abspath(path), self.outdir)

    def path(self, *parts: str) -> str:
        p = os.path.join(self.outdir, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def skip(self, what: str, reason: str) -> None:
        print(f"[oracle] skipped {what}: {reason}", file=sys.stderr)
        self.ref["skipped"][what] = reason

    # ------------------------------------------------------------------ values
    def _store(self, arrays: dict, cid: str, i: int, dtype: str, value) -> tuple[dict, str]:
        """Describe ``value`` losslessly; numeric arrays go into ``arrays`` (saved as values/<cid>.npz)."""
        if dtype == "string":
            arr = np.asarray(value, dtype=object)
            return ({"strings": [base64.b64encode(bytes(b)).decode("ascii") for b in arr.ravel().tolist()],
                     "shape": list(arr.shape)}, "object")
        arr = np.asarray(value)
        rel, key = os.path.join("values", f"{cid}.npz"), f"t{i}"
        value_dtype = str(arr.dtype)
        if arr.dtype.name in ML_DTYPE_NAMES:
            view = {1: "uint8", 2: "uint16"}[arr.dtype.itemsize]
            arrays[key] = np.ascontiguousarray(arr).view(view)
            return {"npz": rel, "key": key, "view": view}, value_dtype
        arrays[key] = arr
        return {"npz": rel, "key": key}, value_dtype

    # ------------------------------------------------------------------ checkpoints
    def record(self, cid: str, prefix: str, *, family: str, fmt: str = "tf-v2", expect: dict | None = None,
               open_path: str | None = None, fallback_values: dict | None = None) -> dict:
        """Record what TF's checkpoint reader says about ``prefix``.

        ``fallback_values``: for entries TF's *reader* cannot return (V1 float16 / sliced tensors), the
        value TF held in memory when saving (session.run of the variable); marked "value_source": "session".
        """
        tf = self.tf
        open_path = open_path or prefix
        reader = tf.train.load_checkpoint(open_path)
        dtypes = reader.get_variable_to_dtype_map()
        shapes = reader.get_variable_to_shape_map()
        assert set(dtypes) == set(shapes)
        tensors, arrays = {}, {}
        for i, name in enumerate(sorted(shapes)):
            dtype = np_dtype_name(dtypes[name])
            tensors[name] = {"dtype": dtype, "shape": [int(d) for d in shapes[name]]}
            try:
                tf_value, source = reader.get_tensor(name), "tf.train.load_checkpoint"
            except Exception as e:  # noqa: BLE001
                if not fallback_values or name not in fallback_values:
                    raise
                tf_value, source = fallback_values[name], "session"
                tensors[name]["reader_error"] = f"{type(e).__name__}: {e}"
            value, value_dtype = self._store(arrays, cid, i, dtype, tf_value)
            tensors[name].update(value=value, value_dtype=value_dtype, value_source=source)
        np.savez(self.path("values", f"{cid}.npz"), **arrays)
        d = os.path.dirname(os.path.abspath(prefix))
        base = os.path.basename(prefix)
        files = sorted(self.rel(os.path.join(d, f)) for f in os.listdir(d)
                       if f == base or f.startswith(base + ".data-") or f == base + ".index")
        entry = {"prefix": self.rel(prefix), "dir": self.rel(d), "format": fmt, "family": family,
                 "open_path": self.rel(open_path), "files": files, "tensors": tensors,
                 "object_graph": self._object_graph(open_path) if "_CHECKPOINTABLE_OBJECT_GRAPH" in shapes else None,
                 "expect": expect or {}}
        self.ref["checkpoints"][cid] = entry
        self.record_dir(d)
        print(f"[oracle] {cid}: {len(tensors)} tensors, files={files}", file=sys.stderr)
        return entry

    def _object_graph(self, prefix: str) -> dict:
        from tensorflow.python.checkpoint.checkpoint import object_metadata

        graph = object_metadata(prefix)
        attributes, value_key = [], {}
        for node_id, node in enumerate(graph.nodes):
            for attr in node.attributes:
                attributes.append({"node": node_id, "name": attr.name, "full_name": attr.full_name,
                                   "checkpoint_key": attr.checkpoint_key})
                if attr.name == "VARIABLE_VALUE":
                    value_key[node_id] = attr.checkpoint_key
        slots = []
        for node_id, node in enumerate(graph.nodes):
            for slot in node.slot_variables:
                slots.append({"optimizer_node": node_id, "slot_name": slot.slot_name,
                              "original_key": value_key.get(slot.original_variable_node_id),
                              "slot_key": value_key.get(slot.slot_variable_node_id)})
        return {"nodes": len(graph.nodes), "attributes": attributes, "slots": slots}

    def record_dir(self, d: str) -> None:
        tf = self.tf
        latest = tf.train.latest_checkpoint(d)
        state = tf.train.get_checkpoint_state(d)
        self.ref["directories"][self.rel(d)] = {
            "latest": self.rel(latest) if latest else None,
            "all": [self.rel(p if os.path.isabs(p) else os.path.join(d, p))
                    for p in (state.all_model_checkpoint_paths if state else [])],
            "has_state_file": os.path.exists(os.path.join(d, "checkpoint")),
        }

    def write(self) -> None:
        import keras

        self.ref["keras_version"] = keras.__version__
        try:
            import tf_keras

            self.ref["tf_keras_version"] = tf_keras.__version__
        except ImportError:
            self.ref["tf_keras_version"] = None
        with open(os.path.join(self.outdir, "reference.json"), "w") as f:
            json.dump(self.ref, f, indent=1, sort_keys=True)


# ====================================================================== builders
def _fixed(shape, dtype="float32", seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def tf1_adam(rec: Recorder) -> None:
    """(a) TF1 Saver, V2 format, scopes, several dtypes, global_step and one Adam step."""
    tf = rec.tf
    v1 = tf.compat.v1
    d = rec.path("tf1_adam", "x")
    d = os.path.dirname(d)
    g = tf.Graph()
    with g.as_default():
        gs = v1.train.get_or_create_global_step()
        with v1.variable_scope("model_scope"):
            with v1.variable_scope("dense"):
                w = v1.get_variable("kernel", initializer=_fixed((4, 3), seed=1))
                b = v1.get_variable("bias", initializer=np.arange(3, dtype=np.float32))
            w64 = v1.get_variable("w64", initializer=_fixed((2, 2), "float64", seed=2))
            emb = v1.get_variable("embedding", initializer=_fixed((5, 2), seed=3))
            counts = v1.get_variable("counts", initializer=np.array([1, -2, 3], np.int32), trainable=False)
            big = v1.get_variable("big_ids", initializer=np.array([2**40, -(2**62)], np.int64), trainable=False)
            flags = v1.get_variable("flags", initializer=np.array([True, False, True]), trainable=False)
            half = v1.get_variable("half", initializer=np.array([0.5, -2.0, 65504.0], np.float16), trainable=False)
        x = tf.constant(_fixed((6, 4), seed=4))
        loss = (tf.reduce_sum(tf.square(tf.matmul(x, w) + b)) + tf.cast(tf.reduce_sum(tf.square(w64)), tf.float32)
                + tf.reduce_sum(tf.square(tf.gather(emb, [0, 2]))))
        opt = v1.train.AdamOptimizer(0.01)
        train = opt.minimize(loss, global_step=gs)
        saver = v1.train.Saver()
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(train)
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=gs)
        assert prefix.endswith("model.ckpt-1"), prefix
        slots = {}
        for var in (w, b, w64, emb):
            for slot_name in opt.get_slot_names():
                slot = opt.get_slot(var, slot_name)
                if slot is not None:
                    slots[slot.op.name] = var.op.name
        beta1, beta2 = opt._get_beta_accumulators()
        expect = {"slots": slots, "optimizer": [beta1.op.name, beta2.op.name], "counter": [gs.op.name],
                  "model_weights": [v.op.name for v in (w, b, w64, emb, counts, big, flags, half)]}
    rec.record("tf1_adam", prefix, family="tf1", expect=expect)


def tf1_sharded(rec: Recorder) -> None:
    """(b) TF1 Saver sharded=True over two CPU devices -> two data files."""
    tf = rec.tf
    v1 = tf.compat.v1
    d = os.path.dirname(rec.path("tf1_sharded", "x"))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            a = v1.get_variable("shard0/a", initializer=_fixed((3, 4), seed=10))
            a2 = v1.get_variable("shard0/ids", initializer=np.arange(7, dtype=np.int64))
        with tf.device("/cpu:1"):
            b = v1.get_variable("shard1/b", initializer=_fixed((5,), "float64", seed=11))
            b2 = v1.get_variable("shard1/c", initializer=_fixed((2, 2, 2), seed=12))
        saver = v1.train.Saver(sharded=True)
        config = v1.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=False)
        with v1.Session(graph=g, config=config) as sess:
            devices = [dev.name for dev in sess.list_devices()]
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=7)
    data = sorted(f for f in os.listdir(d) if ".data-" in f)
    if len(data) != 2:
        raise AssertionError(f"sharded save produced {data}, devices {devices}")
    rec.record("tf1_sharded", prefix, family="tf1", expect={"model_weights": ["shard0/a", "shard0/ids", "shard1/b",
                                                                               "shard1/c"]})
    del a, a2, b, b2


def _sliced_init(full: np.ndarray):
    """Initializer giving each partition its part of ``full`` (constant_initializer rejects big arrays)."""
    import tensorflow as tf

    def init(shape, dtype=None, partition_info=None):
        if partition_info is None:
            return tf.constant(full, dtype=dtype)
        part = tuple(slice(o, o + s) for o, s in zip(partition_info.var_offset, shape, strict=False))
        return tf.constant(full[part], dtype=dtype)

    return init


def _partition_axis1(shape, dtype):
    return [1, 2] + [1] * (len(shape) - 2)


def tf1_partitioned(rec: Recorder) -> None:
    """(c) TF1 partitioned variables (3 parts on axis 0, 2 parts on axis 1) saved with Saver."""
    tf = rec.tf
    v1 = tf.compat.v1
    d = os.path.dirname(rec.path("tf1_partitioned", "x"))
    g = tf.Graph()
    with g.as_default():
        with v1.variable_scope("part"):
            p0 = v1.get_variable("rows", shape=(10, 4), dtype=tf.float32,
                                 initializer=_sliced_init(_fixed((10, 4), seed=20)),
                                 partitioner=v1.fixed_size_partitioner(3))
            p1 = v1.get_variable("cols", shape=(3, 6), dtype=tf.int32,
                                 initializer=_sliced_init(np.arange(18, dtype=np.int32).reshape(3, 6)),
                                 partitioner=_partition_axis1)
            p2 = v1.get_variable("emb64", shape=(7, 2), dtype=tf.float64,
                                 initializer=_sliced_init(_fixed((7, 2), "float64", seed=21)),
                                 partitioner=v1.fixed_size_partitioner(3))
        plain = v1.get_variable("plain", initializer=np.array([1.5, 2.5], np.float32))
        saver = v1.train.Saver()
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=3)
        partitioned = {}
        for pv in (p0, p1, p2):
            parts = list(pv)
            partitioned[pv.name] = {"partitions": len(parts), "shape": [int(x) for x in pv.get_shape()],
                                    "slice_var_names": [p.op.name for p in parts]}
    assert [v["partitions"] for v in partitioned.values()] == [3, 2, 3], partitioned
    rec.record("tf1_partitioned", prefix, family="tf1",
               expect={"partitioned": partitioned, "model_weights": list(partitioned) + [plain.op.name]})


def _dtype_values(tf, name: str):
    """(numpy array, tf dtype) test value for dtype ``name``."""
    import ml_dtypes

    if name in ML_DTYPE_NAMES:
        vals = [v for v in SPECIAL_F if abs(v) < 200 or not np.isfinite(v)]
        if name.startswith("float8_e4m3") or name.endswith("fnuz"):
            vals = [v for v in vals if np.isfinite(v) or np.isnan(v)]  # no infinities in these formats
            if name.endswith("fnuz"):
                vals = [v for v in vals if not (v == 0 and np.signbit(v))]
        if name == "bfloat16":
            vals = SPECIAL_F
        arr = np.array(vals, dtype=np.float32).astype(getattr(ml_dtypes, name)).reshape(-1)
        return arr, tf.as_dtype(arr.dtype)
    if name == "bool":
        return np.array([[True, False, True], [False, False, True]]), tf.bool
    if name.startswith("complex"):
        rng = np.random.default_rng(5)
        arr = (rng.standard_normal(6) + 1j * rng.standard_normal(6)).astype(name).reshape(2, 3)
        arr[0, 0] = complex(float("nan"), -0.0)
        return arr, tf.as_dtype(name)
    if name.startswith("float"):
        return np.array(SPECIAL_F, dtype=name).reshape(2, 5), tf.as_dtype(name)
    info = np.iinfo(name)
    arr = np.array([info.min, info.max, 0, 1, info.max // 3, info.min // 2 if info.min else 7], dtype=name)
    return arr.reshape(3, 2), tf.as_dtype(name)


ALL_DTYPES = ["float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16",
              "uint32", "uint64", "bool", "complex64", "complex128", "float8_e5m2", "float8_e4m3fn",
              "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e4m3b11fnuz"]


def tf2_dtypes(rec: Recorder) -> None:
    """(d) one tf.Variable per dtype + scalars, empty, large and string variables, tf.train.Checkpoint."""
    tf = rec.tf
    d = os.path.dirname(rec.path("tf2_dtypes", "x"))
    root = tf.Module()
    made = []
    for name in ALL_DTYPES:
        try:
            arr, tf_dtype = _dtype_values(tf, name)
            var = tf.Variable(tf.constant(arr, dtype=tf_dtype), name=f"v_{name}")
            var.assign(tf.constant(arr, dtype=tf_dtype))  # make sure the variable really holds it
            setattr(root, f"v_{name}", var)
            made.append(name)
        except Exception as e:  # noqa: BLE001 - record whatever TF refuses
            rec.skip(f"tf.Variable[{name}]", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    root.scalar_f32 = tf.Variable(3.5, name="scalar_f32")
    root.scalar_i64 = tf.Variable(np.int64(-(2**50)), name="scalar_i64")
    root.scalar_bool = tf.Variable(True, name="scalar_bool")
    root.scalar_bf16 = tf.Variable(tf.constant(1.25, dtype=tf.bfloat16), name="scalar_bf16")
    root.empty = tf.Variable(tf.zeros((0, 3), tf.float32), name="empty")
    root.empty_i8 = tf.Variable(tf.zeros((2, 0), tf.int8), name="empty_i8")
    root.big = tf.Variable(_fixed((300, 300), seed=30), name="big")
    root.rank4 = tf.Variable(_fixed((2, 3, 4, 5), "float16", seed=31), name="rank4")
    root.strings = tf.Variable([b"hello", b"", b"x" * 1000, bytes(range(256))], name="strings")
    root.scalar_string = tf.Variable(b"just one string", name="scalar_string")
    root.string_matrix = tf.Variable([[b"a", b"bc"], [b"\x00\xff", "unicod\u00e9".encode()]], name="string_matrix")
    root.empty_strings = tf.Variable(tf.zeros((0,), tf.string), name="empty_strings")
    prefix = tf.train.Checkpoint(root=root).write(os.path.join(d, "dtypes"))
    rec.ref["variable_dtypes_created"] = made
    entry = rec.record("tf2_dtypes", prefix, family="tf2")
    entry["expect"]["model_weights"] = [k for k in entry["tensors"] if k != "_CHECKPOINTABLE_OBJECT_GRAPH"]


def raw_savev2_dtypes(rec: Recorder) -> None:
    """(d') every dtype written directly with the SaveV2 op (no variables, no object graph)."""
    tf = rec.tf
    d = os.path.dirname(rec.path("raw_dtypes", "x"))
    names, tensors = [], []
    for name in ALL_DTYPES:
        try:
            arr, tf_dtype = _dtype_values(tf, name)
            tensors.append(tf.constant(arr, dtype=tf_dtype))
            names.append(f"raw/{name}")
        except Exception as e:  # noqa: BLE001
            rec.skip(f"tf.constant[{name}]", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    names.append("raw/string")
    tensors.append(tf.constant([[b"p", b"q\x00r"], [b"", b"s" * 300]]))
    names.append("raw/scalar_int32")
    tensors.append(tf.constant(np.int32(-7)))
    prefix = os.path.join(d, "raw")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
    rec.record("raw_dtypes", prefix, family="raw")


def raw_many_keys(rec: Recorder) -> None:
    """Thousands of keys, so the bundle index spans several SSTable blocks (blocks are ~256 KiB)."""
    tf = rec.tf
    d = os.path.dirname(rec.path("raw_many_keys", "x"))
    n = 6000
    names = [f"tower_{i % 7}/layer_{i:05d}/some_reasonably_long_scope_name/kernel" for i in range(n)]
    distinct = [tf.constant(np.arange(k + 1, dtype=np.int32) * (k + 1)) for k in range(3)]
    tensors = [distinct[i % 3] for i in range(n)]
    prefix = os.path.join(d, "many")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * n, tensors=tensors)
    size = os.path.getsize(prefix + ".index")
    if size < 300_000:
        raise AssertionError(f"index only {size} bytes, will not span several blocks")
    rec.record("raw_many_keys", prefix, family="raw")


def _train_step_keras3(model, opt, keras):
    model.compile(optimizer=opt, loss="mse")
    x = _fixed((8, 4), seed=40)
    y = _fixed((8, 2), seed=41)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)


def tf2_keras3(rec: Recorder) -> None:
    """(e) tf.train.Checkpoint(model=keras 3 Sequential, optimizer=Adam) after one step, .save()."""
    tf = rec.tf
    import keras

    keras.utils.set_random_seed(0)
    d = os.path.dirname(rec.path("tf2_keras3", "x"))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="hidden"),
                              keras.layers.Dense(2, name="out")], name="seq3")
    opt = keras.optimizers.Adam(1e-2)
    _train_step_keras3(model, opt, keras)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    prefix = ckpt.save(os.path.join(d, "ckpt"))
    model_weights = [v.path for v in model.weights]
    opt_owned = [v.path for v in opt.variables]
    entry = rec.record("tf2_keras3", prefix, family="tf2")
    _expect_from_full_names(entry, model_weights, opt_owned)


def _expect_from_full_names(entry: dict, model_weights: list[str], opt_owned: list[str]) -> None:
    """Translate framework knowledge (variable paths) to checkpoint keys via TF's object graph."""
    by_full_name: dict[str, list[str]] = {}
    for attr in entry["object_graph"]["attributes"]:
        if attr["name"] == "VARIABLE_VALUE":
            by_full_name.setdefault(attr["full_name"], []).append(attr["checkpoint_key"])
    weights = [k for fn in model_weights for k in by_full_name.get(fn, [])]
    owned = [k for fn in opt_owned for k in by_full_name.get(fn, []) if fn not in model_weights]
    if len(weights) != len(model_weights):
        raise AssertionError(f"could not map model weights {model_weights} to keys {by_full_name}")
    entry["expect"].update({"model_weights": weights, "optimizer_owned": owned,
                            "counter": [k for k in entry["tensors"] if k.startswith("save_counter/")]})


def tf2_tf_keras(rec: Recorder) -> None:
    """(e) the same with tf-keras (Keras 2): Checkpoint(model, legacy Adam with slots) and save_weights."""
    tf = rec.tf
    try:
        import tf_keras
    except ImportError as e:
        rec.skip("tf_keras checkpoints", str(e))
        return
    tf_keras.utils.set_random_seed(0)
    x, y = _fixed((8, 4), seed=40), _fixed((8, 2), seed=41)

    # tf.train.Checkpoint with the legacy optimizer: slot variables appear in the object graph.
    d = os.path.dirname(rec.path("tf2_tfkeras", "x"))
    model = tf_keras.Sequential([tf_keras.layers.Dense(3, activation="relu", input_shape=(4,), name="hidden"),
                                 tf_keras.layers.Dense(2, name="out")], name="seq2")
    opt = tf_keras.optimizers.legacy.Adam(1e-2)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    prefix = tf.train.Checkpoint(model=model, optimizer=opt).save(os.path.join(d, "ckpt"))
    entry = rec.record("tf2_tfkeras", prefix, family="tf2")
    hyper = [opt._get_hyper(n) for n in opt._hyper]  # beta_1, beta_2, decay, learning_rate variables
    _expect_from_full_names(entry, [v.name.split(":")[0] for v in model.weights],
                            [v.name.split(":")[0] for v in list(opt.variables()) + hyper if isinstance(v, tf.Variable)])
    if not entry["object_graph"]["slots"]:
        raise AssertionError("legacy Adam checkpoint has no slot variables in its object graph")

    # model.save_weights in TF format (new optimizer, no graph slots), writes a `checkpoint` state file.
    d = os.path.dirname(rec.path("tf2_tfkeras_weights", "x"))
    model2 = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(4,)), tf_keras.layers.Dense(2)])
    opt2 = tf_keras.optimizers.Adam(1e-2)
    model2.compile(optimizer=opt2, loss="mse")
    model2.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    try:
        model2.save_weights(os.path.join(d, "weights"), save_format="tf")
    except Exception as e:  # noqa: BLE001
        rec.skip("tf_keras save_weights(tf format)", f"{type(e).__name__}: {e}")
        return
    entry = rec.record("tf2_tfkeras_weights", os.path.join(d, "weights"), family="tf2")
    extra = [opt2._learning_rate] if isinstance(getattr(opt2, "_learning_rate", None), tf.Variable) else []
    _expect_from_full_names(entry, [v.name.split(":")[0] for v in model2.weights],
                            [v.name.split(":")[0] for v in list(opt2.variables) + extra])


def tf2_module(rec: Recorder) -> None:
    """(f) subclassed tf.Module with nested modules, a list, a dict and a shared (aliased) variable."""
    tf = rec.tf

    class Block(tf.Module):
        def __init__(self, i, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(_fixed((2, 3), seed=50 + i), name="w")
                self.b = tf.Variable(np.full((3,), i, np.float32), name="b")

    class Net(tf.Module):
        def __init__(self):
            super().__init__(name="net")
            with self.name_scope:
                self.encoder = Block(0, name="encoder")
                self.decoder = Block(1, name="decoder")
                self.blocks = [Block(2, name="blk"), Block(3, name="blk")]
                self.extras = [tf.Variable(float(i), name=f"extra_{i}") for i in range(3)]
                self.table = {"alpha": tf.Variable([1, 2, 3], dtype=tf.int64, name="alpha"),
                              "beta": {"deep": tf.Variable(b"deep string", name="deep")}}
                self.alias = self.encoder.w  # same variable reachable twice: saved once
                self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    d = os.path.dirname(rec.path("tf2_module", "x"))
    net = Net()
    net.step.assign_add(5)
    ckpt = tf.train.Checkpoint(net=net, step=net.step)
    prefix = ckpt.save(os.path.join(d, "module"))
    entry = rec.record("tf2_module", prefix, family="tf2")
    entry["expect"]["counter"] = [k for k in entry["tensors"] if k.startswith("save_counter/")]
    entry["expect"]["model_weights"] = [k for k in entry["tensors"] if k.startswith("net/")]


def tf1_v1_format(rec: Recorder) -> None:
    """(g) TF1 Saver writing the legacy V1 (TensorSlice) format, incl. a partitioned variable."""
    tf = rec.tf
    v1 = tf.compat.v1
    d = os.path.dirname(rec.path("tf1_v1", "x"))
    g = tf.Graph()
    with g.as_default():
        with v1.variable_scope("legacy"):
            a = v1.get_variable("weights", initializer=_fixed((3, 2), seed=60))
            b = v1.get_variable("ints", initializer=np.array([[1, -2], [3, 2**31 - 1]], np.int32))
            c = v1.get_variable("doubles", initializer=_fixed((4,), "float64", seed=61))
            e = v1.get_variable("flags", initializer=np.array([False, True]))
            f16 = v1.get_variable("halves", initializer=np.array([1.0, -0.25], np.float16))
            i64 = v1.get_variable("longs", initializer=np.array([2**40, -3], np.int64))
            u8 = v1.get_variable("bytes_u8", initializer=np.array([0, 255, 7], np.uint8))
            s = v1.get_variable("scalar", initializer=np.float32(2.75))
            i8 = v1.get_variable("int8s", initializer=np.array([-128, 127, 0], np.int8))
            i16 = v1.get_variable("int16s", initializer=np.array([-32768, 32767], np.int16))
            u16 = v1.get_variable("uint16s", initializer=np.array([0, 65535, 300], np.uint16))
            c64 = v1.get_variable("complex", initializer=np.array([1 + 2j, -0.5j], np.complex64))
            strs = v1.get_variable("names", initializer=np.array([b"alpha", b"", bytes(range(256))], dtype=object))
            parts = None
            try:
                parts = v1.get_variable("sharded", shape=(9, 2), dtype=tf.float32,
                                        initializer=_sliced_init(_fixed((9, 2), seed=62)),
                                        partitioner=v1.fixed_size_partitioner(3))
            except Exception as ex:  # noqa: BLE001
                rec.skip("V1 partitioned variable", f"{type(ex).__name__}: {ex}")
        plain = [a, b, c, e, f16, i64, u8, s, i8, i16, u16, c64, strs]
        saver = v1.train.Saver(write_version=v1.train.SaverDef.V1)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=2, write_meta_graph=False)
            # TF's own reader refuses some V1 entries (float16/uint16/complex: "Data type not supported";
            # sliced tensors: "Sliced checkpoints are not supported"); for those the oracle is the value
            # TF held in memory when it saved.
            fallback = {v.op.name: sess.run(v) for v in plain}
            if parts is not None:
                fallback[parts.name] = sess.run(parts.as_tensor())
        expect = {"model_weights": [v.op.name for v in plain]}
        if parts is not None:
            expect["partitioned"] = {parts.name: {"partitions": len(list(parts)),
                                                  "shape": [int(x) for x in parts.get_shape()],
                                                  "slice_var_names": [p.op.name for p in parts]}}
    if os.path.exists(prefix + ".index"):
        raise AssertionError("asked for V1 but TF wrote a V2 bundle")
    entry = rec.record("tf1_v1", prefix, family="tf1", fmt="tf-v1", expect=expect, fallback_values=fallback)
    for name, t in entry["tensors"].items():
        if "reader_error" in t:
            rec.skip(f"tf.train.load_checkpoint(V1).get_tensor[{name}]", t["reader_error"] + " (value from session)")


def tf2_manager(rec: Recorder) -> None:
    """(h) CheckpointManager(max_to_keep=3) saving 4 times: the state file lists the last 3."""
    tf = rec.tf
    d = os.path.dirname(rec.path("tf2_manager", "x"))
    root = tf.Module()
    root.w = tf.Variable(np.zeros((2, 2), np.float32), name="w")
    root.step = tf.Variable(0, dtype=tf.int64, name="step")
    ckpt = tf.train.Checkpoint(root=root)
    manager = tf.train.CheckpointManager(ckpt, d, max_to_keep=3)
    prefixes = []
    for i in range(1, 5):
        root.w.assign(np.full((2, 2), i, np.float32))
        root.step.assign(i * 10)
        prefixes.append(manager.save(checkpoint_number=i * 100))
    kept = manager.checkpoints
    assert len(kept) == 3 and kept[-1] == prefixes[-1], kept
    for p in kept:
        entry = rec.record("tf2_manager_" + os.path.basename(p), p, family="tf2")
        # Checkpoint(root=...) makes `root` the root object itself, so keys are "w/...", "step/...".
        entry["expect"].update(model_weights=["w/.ATTRIBUTES/VARIABLE_VALUE"],
                               counter=["save_counter/.ATTRIBUTES/VARIABLE_VALUE"])


# Every checkpoint id the oracle records (tests are parametrized over these at collection time).
TF1_IDS = ["tf1_adam", "tf1_sharded", "tf1_partitioned", "tf1_v1"]
TF2_IDS = ["tf2_dtypes", "tf2_keras3", "tf2_tfkeras", "tf2_tfkeras_weights", "tf2_module", "tf2_manager_ckpt-200",
           "tf2_manager_ckpt-300", "tf2_manager_ckpt-400"]
RAW_IDS = ["raw_dtypes", "raw_many_keys"]
CHECKPOINT_IDS = TF1_IDS + TF2_IDS + RAW_IDS

BUILDERS = [tf1_adam, tf1_sharded, tf1_partitioned, tf1_v1_format, tf2_dtypes, raw_savev2_dtypes, raw_many_keys,
            tf2_keras3, tf2_tf_keras, tf2_module, tf2_manager]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = argv[1]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.makedirs(outdir, exist_ok=True)
    t0 = time.time()
    rec = Recorder(outdir)
    failed = []
    for build in BUILDERS:
        t = time.time()
        try:
            build(rec)
        except Exception:  # noqa: BLE001 - one broken builder must not hide the others
            failed.append(build.__name__)
            rec.skip(f"checkpoint:{build.__name__}", traceback.format_exc())
        print(f"[oracle] {build.__name__} took {time.time() - t:.1f}s", file=sys.stderr)
    rec.ref["failed_builders"] = failed
    rec.ref["unexpected_ids"] = sorted(set(rec.ref["checkpoints"]) - set(CHECKPOINT_IDS))
    rec.write()
    print(f"[oracle] wrote {len(rec.ref['checkpoints'])} checkpoints to {outdir} in {time.time() - t0:.1f}s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
