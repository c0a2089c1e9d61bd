#!/usr/bin/env python
"""Ground truth for ``diagnose``: what TensorFlow's own restore does with a changed model.

Run as a script, never imported by pytest for its TensorFlow parts (TensorFlow must stay out of pytest's
interpreter; the test module only imports the id lists below, which need nothing but the standard library)::

    python tests/diagnose_oracle.py OUTDIR

For every *scenario* (one checkpoint written by TensorFlow, one model builder defined in this file and used as
``tests/diagnose_oracle.py:<builder>``) it records, in ``OUTDIR/diagnose_reference.json``:

* ``framework``: what the framework's strict restore reports —
  TF1: ``Saver().restore`` (``ok`` or the error type, first message line, and the one key TF names);
  TF2: whether ``restore()``/``load_weights()`` raised, and the failures of ``assert_consumed()`` and
  ``assert_existing_objects_matched()``.
* ``truth``: what actually happens to every model variable and checkpoint entry —
  TF1: each variable restored on its own with ``Saver({name: var})`` (success = loaded, NotFoundError =
  missing, InvalidArgumentError = shape or dtype mismatch);
  TF2: the restoring model is first set to a sentinel value (7.25 / -7), then restored; a variable whose value
  changed is loaded, one still at the sentinel is missing (it keeps its initial value). Checkpoint entries:
  used = TF matched their object (``matched_proto_ids``), else unused; bookkeeping = what the *saving* program
  knew was optimizer state or a counter (slots, beta powers, global_step, save_counter, optimizer variables).
  The restored values of loaded variables are saved under ``values/<scenario>.npz`` (key = variable name).
* ``spec``: ``ckpt-doctor spec --model tests/diagnose_oracle.py:<builder> -o specs/<scenario>.json`` (run
  in-process here through ``ckpt_doctor.cli.main``), and ``live``: ``ckpt-doctor diagnose CKPT --model
  tests/diagnose_oracle.py:<builder> --json`` (exit code and parsed JSON), so the tests can compare the
  spec-file path, the live-builder path and the truth.
* ``cli``: CLI runs that need TensorFlow in the process (builders that build nothing, etc.).

Layout::

    {"tf_version", "failed": [..], "checkpoints": {cid: relprefix},
     "scenarios": {sid: {"checkpoint": cid, "builder": name, "family": "tf1"|"tf2", "restore": str,
                         "framework": {...}, "truth": {"variables": {name: status}, "entries": {key: status},
                                                    "bookkeeping_vars": [name], "values": relnpz} | null,
                         "spec": relpath, "live": {"exit": int, "json": {...}}}},
     "cli": {case: {"argv": [...], "exit": int, "stdout": str, "stderr": str}}}
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
THIS = os.path.abspath(__file__)
SENTINEL_F, SENTINEL_I = 7.25, -7

# ---------------------------------------------------------------- pytest side (no TF): run once, read results
class OracleRun:
    """The oracle's output directory and reference, as the tests read them (no TensorFlow needed)."""

    def __init__(self, outdir: str, reference: dict, seconds: float, stderr: str):
        self.outdir, self.reference, self.seconds, self.stderr = outdir, reference, seconds, stderr

    def path(self, rel: str) -> str:
        return os.path.join(self.outdir, rel)

    def prefix(self, cid: str) -> str:
        return self.path(self.reference["checkpoints"][cid]["prefix"])

    def scenario(self, sid: str) -> dict:
        try:
            return self.reference["scenarios"][sid]
        except KeyError:
            raise LookupError(f"the diagnose oracle produced no scenario {sid!r}; failed steps: "
                              f"{[f['step'] for f in self.reference['failed']]}") from None

    def values(self, sid: str) -> dict:
        rel = self.scenario(sid)["truth"]["values"]
        with open(self.path(rel) + ".json") as f:
            keys = json.load(f)
        with np.load(self.path(rel), allow_pickle=False) as npz:
            return {name: npz[key] for name, key in keys.items()}


_RUNS: dict[str, OracleRun] = {}


def run_once(outdir: str, timeout: float = 300) -> OracleRun:
    """Run this script in a subprocess (once per test session, whichever test module asks first)."""
    import subprocess

    if "run" in _RUNS:
        return _RUNS["run"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    env.pop("TF_USE_LEGACY_KERAS", None)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, THIS, outdir], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=outdir)
    ref_path = os.path.join(outdir, "diagnose_reference.json")
    if proc.returncode != 0 or not os.path.exists(ref_path):
        raise RuntimeError(f"diagnose_oracle.py failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}")
    with open(ref_path) as f:
        reference = json.load(f)
    _RUNS["run"] = OracleRun(outdir, reference, time.monotonic() - start, proc.stderr)
    return _RUNS["run"]


# ---------------------------------------------------------------- ids (imported by the tests; no TF here)
TF1_SCENARIOS = [
    "tf1_scoped__same", "tf1_scoped__inference", "tf1_scoped__renamed_scope", "tf1_scoped__added_variable",
    "tf1_scoped__shape_change", "tf1_scoped__shape_change_ref", "tf1_scoped__dtype_change",
    "tf1_unscoped__same", "tf1_unscoped__scope_added",
    "tf1_partitioned__same", "tf1_partitioned__repartitioned", "tf1_partitioned__renamed_scope",
    "tf1_partitioned__shape_change",
    "tf1_reads_tf2__same", "tf1_reads_tf2__renamed",
]
TF2_SCENARIOS = [
    "tf2_module__same", "tf2_module__renamed_attribute", "tf2_module__added_variable", "tf2_module__shape_change",
    "keras3_seq__same", "keras3_seq__renamed_layers", "keras3_seq__extra_layer", "keras3_seq__wider",
    "keras3_sub__same", "keras3_sub__renamed_attribute",
    "tfkeras_weights__same", "tfkeras_weights__renamed_layers", "tfkeras_weights__wider",
    "tfkeras_sub__same", "tfkeras_sub__renamed_attribute",
    "tfkeras_ckpt__with_optimizer", "tfkeras_ckpt__inference",
    "tfkeras_by_name__renamed_out",
]
OTHER_SCENARIOS = ["seed__changed", "seed__original", "layers12__renamed_scope"]
SCENARIOS = TF1_SCENARIOS + TF2_SCENARIOS + OTHER_SCENARIOS
# Scenarios where the framework's restore raises part-way (no per-variable truth, only the error).
RAISING = {"tf2_module__shape_change", "keras3_seq__wider", "tfkeras_weights__wider"}
CLI_CASES = ["unbuilt_keras", "empty_module", "tf1_builder_no_variables", "spec_tf1_stdout"]


def _fixed(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _tf():
    import tensorflow as tf

    return tf


# ================================================================ builders (tests/diagnose_oracle.py:<name>)
# TF1 builders build into the default graph and return nothing, as TF1 code does.
def _tf1_scoped(scope="model_scope", *, optimizer=False, kernel_shape=(4, 3), w64_dtype="float64", extra=False,
                use_resource=None):
    tf = _tf()
    v1 = tf.compat.v1
    gs = v1.train.get_or_create_global_step() if optimizer else None
    with v1.variable_scope(scope, use_resource=use_resource):
        with v1.variable_scope("dense"):
            w = v1.get_variable("kernel", shape=kernel_shape, initializer=v1.random_normal_initializer(seed=3))
            b = v1.get_variable("bias", shape=[kernel_shape[1]], initializer=v1.zeros_initializer())
        emb = v1.get_variable("embedding", shape=[5, 2], initializer=v1.random_normal_initializer(seed=4))
        w64 = v1.get_variable("w64", shape=[2, 2], dtype=tf.as_dtype(w64_dtype),
                              initializer=v1.random_normal_initializer(seed=5))
        if extra:
            v1.get_variable("extra", shape=[3], initializer=v1.ones_initializer())
    if optimizer:
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        loss = (tf.reduce_sum(tf.square(tf.matmul(x, w) + b)) + tf.cast(tf.reduce_sum(tf.square(w64)), tf.float32)
                + tf.reduce_sum(tf.square(tf.gather(emb, [0, 2]))))
        v1.train.AdamOptimizer(0.01).minimize(loss, global_step=gs, name="train")


def tf1_scoped__same():
    _tf1_scoped(optimizer=True)


def tf1_scoped__inference():
    _tf1_scoped()


def tf1_scoped__renamed_scope():
    _tf1_scoped("different_model_scope")


def tf1_scoped__added_variable():
    _tf1_scoped(extra=True)


def tf1_scoped__shape_change():
    _tf1_scoped(kernel_shape=(4, 5))


def tf1_scoped__shape_change_ref():
    """The same shape change with TF1's reference variables (what TF 1.x code got by default)."""
    _tf1_scoped(kernel_shape=(4, 5), use_resource=False)


def tf1_scoped__dtype_change():
    _tf1_scoped(w64_dtype="float32")


def _tf1_unscoped(scope=None):
    tf = _tf()
    v1 = tf.compat.v1
    with v1.variable_scope(scope) if scope else contextlib.nullcontext():
        v1.get_variable("w", shape=[3, 2], initializer=v1.random_normal_initializer(seed=6))
        v1.get_variable("b", shape=[2], initializer=v1.zeros_initializer())
    v1.train.get_or_create_global_step()


def tf1_unscoped__same():
    _tf1_unscoped()


def tf1_unscoped__scope_added():
    _tf1_unscoped("model")


def _sliced_init(full):
    tf = _tf()

    def init(shape, dtype=None, partition_info=None):
        if partition_info is None:
            return tf.constant(full, dtype=dtype)
        part = tuple(slice(o, o + s) for o, s in zip(partition_info.var_offset, shape, strict=False))
        return tf.constant(full[part], dtype=dtype)

    return init


def _tf1_partitioned(scope="part", rows=(10, 4), parts=3):
    tf = _tf()
    v1 = tf.compat.v1
    with v1.variable_scope(scope):
        v1.get_variable("rows", shape=rows, dtype=tf.float32, initializer=_sliced_init(_fixed(rows, seed=20)),
                        partitioner=v1.fixed_size_partitioner(parts))
        v1.get_variable("cols", shape=(3, 6), dtype=tf.int32,
                        initializer=_sliced_init(np.arange(18, dtype=np.int32).reshape(3, 6)),
                        partitioner=lambda shape, dtype: [1, 2])
    v1.get_variable("plain", initializer=np.array([1.5, 2.5], np.float32))


def tf1_partitioned__same():
    _tf1_partitioned()


def tf1_partitioned__repartitioned():
    _tf1_partitioned(parts=2)


def tf1_partitioned__renamed_scope():
    _tf1_partitioned(scope="partitioned")


def tf1_partitioned__shape_change():
    _tf1_partitioned(rows=(12, 4))


def _tf1_reads_tf2(decoder="decoder"):
    """A TF1 graph whose variable names are the full names of the tf2_module model's variables."""
    tf = _tf()
    v1 = tf.compat.v1
    for block, n in (("encoder", 3), (decoder, 3)):
        v1.get_variable(f"net/{block}/w", shape=[2, n], initializer=v1.zeros_initializer())
        v1.get_variable(f"net/{block}/b", shape=[n], initializer=v1.zeros_initializer())


def tf1_reads_tf2__same():
    _tf1_reads_tf2()


def tf1_reads_tf2__renamed():
    _tf1_reads_tf2("dec")


def layers12__renamed_scope():
    _layers12("bert/encoder")


def _layers12(scope):
    v1 = _tf().compat.v1
    with v1.variable_scope(scope):
        for i in range(12):
            with v1.variable_scope(f"layer_{i}"):
                v1.get_variable("attention/kernel", shape=[8, 8], initializer=v1.zeros_initializer())
                v1.get_variable("attention/bias", shape=[8], initializer=v1.zeros_initializer())
    v1.get_variable("embeddings/word", shape=[20, 8], initializer=v1.zeros_initializer())


def tf1_no_variables():
    """TF1 code that builds no variables (only a placeholder)."""
    tf = _tf()
    tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")


# ---- TF2 builders: they return the (built) model.
def _module_classes():
    tf = _tf()

    class Block(tf.Module):
        def __init__(self, n, name):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(_fixed((2, n), seed=len(name)), name="w")
                self.b = tf.Variable(np.zeros(n, np.float32), name="b")

    class Net(tf.Module):
        def __init__(self, decoder_attr="decoder", decoder_width=3, extra=False):
            super().__init__(name="net")
            with self.name_scope:
                self.encoder = Block(3, "encoder")
                setattr(self, decoder_attr, Block(decoder_width, "decoder"))
                self.heads = [tf.Variable(np.ones(2, np.float32), name=f"head_{i}") for i in range(2)]
                if extra:
                    self.extra = tf.Variable(np.ones(4, np.float32), name="extra")

    return Net


def tf2_module__same():
    return _module_classes()()


def tf2_module__renamed_attribute():
    return _module_classes()(decoder_attr="dec")


def tf2_module__added_variable():
    return _module_classes()(extra=True)


def tf2_module__shape_change():
    return _module_classes()(decoder_width=4)


def _keras3_seq(names=("hidden", "out"), model_name="seq3", widths=(3, 2), extra=False):
    import keras

    layers = [keras.Input((4,)), keras.layers.Dense(widths[0], activation="relu", name=names[0]),
              keras.layers.Dense(widths[1], name=names[1])]
    if extra:
        layers.append(keras.layers.Dense(2, name="extra"))
    return keras.Sequential(layers, name=model_name)


def keras3_seq__same():
    return _keras3_seq()


def keras3_seq__renamed_layers():
    return _keras3_seq(names=("encoder", "decoder"), model_name="renamed3")


def keras3_seq__extra_layer():
    return _keras3_seq(extra=True)


def keras3_seq__wider():
    return _keras3_seq(widths=(5, 2))


def _keras3_sub(attr="encoder"):
    import keras

    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub3")
            self.attr = attr
            setattr(self, attr, keras.layers.Dense(3, name="enc"))
            self.head = keras.layers.Dense(2, name="head")

        def call(self, x):
            return self.head(getattr(self, self.attr)(x))

    model = Sub()
    model(np.zeros((1, 4), np.float32))
    return model


def keras3_sub__same():
    return _keras3_sub()


def keras3_sub__renamed_attribute():
    return _keras3_sub("body")


def _tfkeras_seq(names=("hidden", "out"), widths=(3, 2), model_name="seq2"):
    import tf_keras

    return tf_keras.Sequential([tf_keras.layers.Dense(widths[0], activation="relu", input_shape=(4,), name=names[0]),
                                tf_keras.layers.Dense(widths[1], name=names[1])], name=model_name)


def tfkeras_weights__same():
    return _tfkeras_seq()


def tfkeras_weights__renamed_layers():
    return _tfkeras_seq(names=("encoder", "decoder"), model_name="renamed2")


def tfkeras_weights__wider():
    return _tfkeras_seq(widths=(5, 2))


def _tfkeras_sub(attr="encoder"):
    import tf_keras

    class Sub(tf_keras.Model):
        def __init__(self):
            super().__init__(name="sub2")
            self.attr = attr
            setattr(self, attr, tf_keras.layers.Dense(3, name="enc"))
            self.head = tf_keras.layers.Dense(2, name="head")

        def call(self, x):
            return self.head(getattr(self, self.attr)(x))

    model = Sub()
    model(np.zeros((1, 4), np.float32))
    return model


def tfkeras_sub__same():
    return _tfkeras_sub()


def tfkeras_sub__renamed_attribute():
    return _tfkeras_sub("body")


def tfkeras_by_name__renamed_out():
    """The output layer renamed; restored by layer name (Keras ``load_weights(h5, by_name=True)``)."""
    return _tfkeras_seq(names=("hidden", "head"), model_name="renamed2")


def tfkeras_ckpt__with_optimizer():
    """Model and optimizer as one tf.train.Checkpoint (the optimizer's slots are model-side variables)."""
    tf = _tf()
    import tf_keras

    model = _tfkeras_seq()
    opt = tf_keras.optimizers.legacy.Adam(1e-2)
    _tfkeras_step(model, opt)  # creates the slots (values are irrelevant: the restore overwrites them)
    return tf.train.Checkpoint(model=model, optimizer=opt)


def tfkeras_ckpt__inference():
    return _tfkeras_seq()


def unbuilt_keras():
    import keras

    return keras.Sequential([keras.layers.Dense(3, name="d")], name="unbuilt")


def empty_module():
    return _tf().Module(name="empty")


# ================================================================ helpers
def _tfkeras_step(model, opt):
    model.compile(optimizer=opt, loss="mse")
    model.fit(_fixed((8, 4), seed=40), _fixed((8, 2), seed=41), epochs=1, batch_size=8, verbose=0, shuffle=False)


def _np_dtype(tf_dtype) -> str:
    name = tf_dtype if isinstance(tf_dtype, str) else tf_dtype.base_dtype.name  # Keras 3 dtypes are strings
    return {"half": "float16", "float": "float32", "double": "float64"}.get(name, name)


def _strip(name: str) -> str:
    return re.sub(r":\d+$", "", name)


def _run_cli(argv: list[str]) -> dict:
    from ckpt_doctor.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code
    return {"argv": argv, "exit": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


class Oracle:
    def __init__(self, outdir: str):
        import tensorflow as tf

        self.tf = tf
        self.outdir = os.path.abspath(outdir)
        self.ref: dict = {"tf_version": tf.__version__, "failed": [], "checkpoints": {}, "scenarios": {}, "cli": {}}

    def rel(self, p: str) -> str:
        return os.path.relpath(os.path.abspath(p), self.outdir)

    def dir(self, *parts: str) -> str:
        d = os.path.join(self.outdir, *parts)
        os.makedirs(d, exist_ok=True)
        return d

    # ------------------------------------------------------------ shared per-scenario steps
    def spec_and_live(self, sid: str, builder: str, prefix: str, root: str | None = None) -> dict:
        ref = f"{THIS}:{builder}" if ":" not in builder else builder
        spec_path = os.path.join(self.dir("specs"), f"{sid}.json")
        extra = ["--root", root] if root is not None else []
        spec_run = _run_cli(["spec", "--model", ref, "-o", spec_path, *extra])
        if spec_run["exit"] != 0:
            raise RuntimeError(f"ckpt-doctor spec failed for {sid}: {spec_run}")
        live = _run_cli(["diagnose", prefix, "--model", ref, "--json", *extra])
        if live["exit"] not in (0, 1):
            raise RuntimeError(f"ckpt-doctor diagnose failed for {sid}: {live}")
        text = _run_cli(["diagnose", prefix, "--model", ref, *extra])
        return {"builder": builder, "spec": self.rel(spec_path), "checkpoint_path": self.rel(prefix),
                "live": {"exit": live["exit"], "json": json.loads(live["stdout"]), "text": text["stdout"],
                         "text_exit": text["exit"]}}

    def save_values(self, sid: str, values: dict) -> str:
        path = os.path.join(self.dir("values"), f"{sid}.npz")
        np.savez(path, **{f"v{i}": v for i, v in enumerate(values.values())})
        with open(path + ".json", "w") as f:
            json.dump({name: f"v{i}" for i, name in enumerate(values)}, f)
        return self.rel(path)

    # ------------------------------------------------------------ TF1
    def tf1_checkpoint(self, cid: str, build, *, step_with_adam=False, source=None) -> str:
        """Save the graph ``build`` makes (optionally after one Adam step); record framework bookkeeping."""
        tf = self.tf
        v1 = tf.compat.v1
        d = self.dir("ckpt", cid)
        g = tf.Graph()
        with g.as_default(), v1.Session(graph=g) as sess:
            build()
            bookkeeping = []
            if step_with_adam:
                sess.run(v1.global_variables_initializer())
                x = g.get_tensor_by_name("x:0")
                sess.run(g.get_operation_by_name("train"), {x: _fixed((6, 4), seed=9)})
                bookkeeping = [v.op.name for v in v1.global_variables()
                               if v.op.name.endswith(("/Adam", "/Adam_1")) or "_power" in v.op.name
                               or v.op.name == "global_step"]
            else:
                sess.run(v1.global_variables_initializer())
                bookkeeping = [v.op.name for v in v1.global_variables() if v.op.name == "global_step"]
            prefix = v1.train.Saver().save(sess, os.path.join(d, "model.ckpt"), global_step=1)
        self.ref["checkpoints"][cid] = {"prefix": self.rel(prefix), "bookkeeping": sorted(set(bookkeeping))}
        return prefix

    def tf1_scenario(self, sid: str, cid: str, prefix: str, *, ckpt_bookkeeping=None) -> None:
        tf = self.tf
        v1 = tf.compat.v1
        from tensorflow.python.training.saving import saveable_object_util

        builder = globals()[sid]
        entry = self.spec_and_live(sid, sid, prefix)
        ckpt_keys = {k for k, _ in tf.train.list_variables(prefix)}
        book_keys = set(ckpt_bookkeeping if ckpt_bookkeeping is not None
                        else self.ref["checkpoints"][cid]["bookkeeping"])
        g = tf.Graph()
        with g.as_default(), v1.Session(graph=g) as sess:
            builder()
            sess.run(v1.global_variables_initializer())
            names = saveable_object_util.op_list_to_dict(v1.global_variables())
            try:
                v1.train.Saver().restore(sess, prefix)
                framework = {"strict_ok": True}
            except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
                framework = {"strict_ok": False, "error": type(e).__name__, "keys": _tf1_error_keys(str(e)),
                             "message": _first_line(str(e)), "shapes": _tf1_error_shapes(str(e))}
            variables, values = {}, {}
            declared = {name: _declared_shape(var) for name, var in names.items()}
            for name, var in names.items():
                try:
                    v1.train.Saver({name: var}).restore(sess, prefix)
                    value = _tf1_value(sess, var)
                    if tuple(value.shape) != declared[name]:
                        # Resource variables take a checkpoint value of another shape without a word.
                        variables[name] = "shape_mismatch"
                        framework.setdefault("silently_reshaped", []).append(
                            {"name": name, "model_shape": list(declared[name]), "now": list(value.shape)})
                    else:
                        variables[name] = "loaded"
                        values[name] = value
                except tf.errors.NotFoundError:
                    variables[name] = "missing"
                except tf.errors.InvalidArgumentError as e:
                    msg = str(e)
                    variables[name] = "dtype_mismatch" if "dtype" in msg else "shape_mismatch"
            bookkeeping_vars = sorted(n for n in names if n.endswith(("/Adam", "/Adam_1")) or "_power" in n
                                      or n == "global_step")
        # Checkpoint entries: claimed by a name the model's Saver asks for (used / mismatched), else
        # bookkeeping if the saving program knew it as optimizer state or counter, else unused.
        key_of = dict(_tf2_full_name_keys(prefix)) if "_CHECKPOINTABLE_OBJECT_GRAPH" in ckpt_keys else {}
        claimed = {key_of.get(n, n): st for n, st in variables.items() if st != "missing"}
        entries = {}
        for k in sorted(ckpt_keys):
            if k in claimed:
                entries[k] = "used" if claimed[k] == "loaded" else "mismatched"
            elif k in book_keys or k == "_CHECKPOINTABLE_OBJECT_GRAPH":
                entries[k] = "bookkeeping"
            else:
                entries[k] = "unused"
        entry.update(checkpoint=cid, family="tf1", ident="name", restore="tf.compat.v1.train.Saver",
                     framework=framework, truth={"variables": variables, "entries": entries,
                                                 "bookkeeping_vars": bookkeeping_vars,
                                                 "values": self.save_values(sid, values)})
        self.ref["scenarios"][sid] = entry

    # ------------------------------------------------------------ TF2
    def tf2_checkpoint(self, cid: str, model, opt, *, how: str, train) -> str:
        """Save ``model`` (+ ``opt``) after ``train()``; record which keys hold model weights (framework knowledge:
        the model's own variables, located by TF's object-graph view) and which are bookkeeping (all others)."""
        tf = self.tf

        train()
        d = self.dir("ckpt", cid)
        if how == "checkpoint":
            root = tf.train.Checkpoint(model=model, optimizer=opt)
            prefix = root.save(os.path.join(d, "ckpt"))
        else:
            root = model
            prefix = os.path.join(d, "weights")
            model.save_weights(prefix, save_format="tf")
        names = _object_names(root)
        weight_keys = {names[id(v)][1] + "/.ATTRIBUTES/VARIABLE_VALUE" for v in model.variables}
        keys = {k for k, _ in tf.train.list_variables(prefix)}
        if not weight_keys <= keys:
            raise AssertionError(f"{cid}: model weight keys {sorted(weight_keys - keys)} not in {sorted(keys)}")
        self.ref["checkpoints"][cid] = {"prefix": self.rel(prefix), "bookkeeping": sorted(keys - weight_keys),
                                        "model_weights": sorted(weight_keys)}
        return prefix

    def tf2_scenario(self, sid: str, cid: str, prefix: str, *, how: str) -> None:
        """how: "checkpoint" = tf.train.Checkpoint(model=m).restore(prefix) (or the builder's own Checkpoint);
        "load_weights" = m.load_weights(prefix). Variables are identified by their object path relative to the
        model (to the Checkpoint when the builder returns one), as TF's object-graph view names them."""
        tf = self.tf
        from tensorflow.python.checkpoint.checkpoint import object_metadata

        builder = globals()[sid]
        entry = self.spec_and_live(sid, sid, prefix)
        ckpt_info = self.ref["checkpoints"][cid]
        obj = builder()
        is_ckpt = isinstance(obj, tf.train.Checkpoint)
        model = obj.model if is_ckpt else obj
        root = obj if is_ckpt else (tf.train.Checkpoint(model=model) if how == "checkpoint" else model)
        names = _object_names(root)
        strip = "model/" if (how == "checkpoint" and not is_ckpt) else ""
        ids = {i: n[len(strip):] if strip and n.startswith(strip) else n
               for i, (t, n) in names.items() if _is_variable(t)}
        by_id = {i: t for i, (t, _) in names.items() if _is_variable(t)}
        model_ids = {id(v) for v in model.variables}
        for v in by_id.values():  # a fresh model with a different init: sentinel values
            dtype = np.dtype(_np_dtype(v.dtype))
            v.assign(np.full(tuple(v.shape), SENTINEL_F if dtype.kind == "f" else SENTINEL_I, dtype))
        framework: dict = {}
        try:
            status = model.load_weights(prefix) if how == "load_weights" else root.restore(prefix)
            framework["restore_raised"] = None
        except Exception as e:  # noqa: BLE001 - shape mismatches raise from restore itself
            framework["restore_raised"] = {"type": type(e).__name__, "message": str(e)[:2000]}
            status = None
        if status is not None:
            for check in ("assert_consumed", "assert_existing_objects_matched"):
                try:
                    getattr(status, check)()
                    framework[check] = None
                except AssertionError as e:
                    framework[check] = str(e)[:3000]
        truth = None
        if status is not None:
            variables, values = {}, {}
            for key, v in by_id.items():
                now = np.asarray(v.numpy())
                fill = SENTINEL_F if now.dtype.kind == "f" else SENTINEL_I
                variables[ids[key]] = "missing" if np.all(now == fill) else "loaded"
                if variables[ids[key]] == "loaded":
                    values[ids[key]] = now
            matched = set(status._checkpoint.matched_proto_ids)
            bound = status._checkpoint.object_by_proto_id
            entries = {"_CHECKPOINTABLE_OBJECT_GRAPH": "bookkeeping"}
            for node_id, node in enumerate(object_metadata(prefix).nodes):
                for attr in node.attributes:
                    k = attr.checkpoint_key
                    # used: TF bound the entry to a variable of the restoring model (or of the builder's own
                    # Checkpoint); the Checkpoint(model=m) wrapper's save_counter is not the model's.
                    if node_id in matched and id(bound.get(node_id)) in by_id:
                        entries[k] = "used"
                    elif k in ckpt_info["bookkeeping"]:
                        entries[k] = "bookkeeping"
                    else:
                        entries[k] = "used" if node_id in matched else "unused"
            truth = {"variables": variables, "entries": entries,
                     "bookkeeping_vars": sorted(ids[k] for k in by_id if k not in model_ids),
                     "values": self.save_values(sid, values)}
        entry.update(checkpoint=cid, family="tf2", ident="object_path", restore=how, framework=framework, truth=truth,
                     model_variables=sorted(ids[id(v)] for v in model.variables),
                     trainable={ids[id(v)]: bool(v.trainable) for v in model.variables})
        self.ref["scenarios"][sid] = entry

    def by_name_scenario(self, sid: str, cid: str, prefix: str, h5: str) -> None:
        """Keras' name-based restore: ``load_weights(h5, by_name=True)`` silently skips layers whose name changed.
        Ours: the model's spec with ``"restore": "name"`` (a documented spec field) against the TF-format
        checkpoint of the same weights, matching variable names with the entries' full names."""
        from tensorflow.python.checkpoint.checkpoint import object_metadata

        spec_path = os.path.join(self.dir("specs"), f"{sid}.json")
        run = _run_cli(["spec", "--model", f"{THIS}:{sid}", "-o", spec_path])
        if run["exit"] != 0:
            raise RuntimeError(f"ckpt-doctor spec failed for {sid}: {run}")
        with open(spec_path) as f:
            doc = json.load(f)
        doc["restore"] = "name"
        with open(spec_path, "w") as f:
            json.dump(doc, f)
        model = globals()[sid]()
        for v in model.variables:
            v.assign(np.full(tuple(v.shape), SENTINEL_F, _np_dtype(v.dtype)))
        model.load_weights(h5, by_name=True)  # no error, no warning
        variables, values = {}, {}
        for v in model.variables:
            now = v.numpy()
            variables[_strip(v.name)] = "missing" if np.all(now == SENTINEL_F) else "loaded"
            if variables[_strip(v.name)] == "loaded":
                values[_strip(v.name)] = now
        loaded = {n for n, st in variables.items() if st == "loaded"}
        entries = {"_CHECKPOINTABLE_OBJECT_GRAPH": "bookkeeping"}
        book = self.ref["checkpoints"][cid]["bookkeeping"]
        for node in object_metadata(prefix).nodes:
            for attr in node.attributes:
                k = attr.checkpoint_key
                entries[k] = ("used" if attr.full_name in loaded else "bookkeeping" if k in book else "unused")
        self.ref["scenarios"][sid] = {
            "builder": sid, "spec": self.rel(spec_path), "checkpoint_path": self.rel(prefix), "live": None,
            "checkpoint": cid, "family": "tf2", "ident": "name", "restore": "load_weights(h5, by_name=True)",
            "framework": {"restore_raised": None},
            "truth": {"variables": variables, "entries": entries, "bookkeeping_vars": [],
                      "values": self.save_values(sid, values)}}

    def write(self) -> None:
        with open(os.path.join(self.outdir, "diagnose_reference.json"), "w") as f:
            json.dump(self.ref, f, indent=1, sort_keys=True)


def _is_variable(t) -> bool:
    """A tf.Variable or a Keras 3 Variable (which wraps one)."""
    tf = _tf()
    return isinstance(t, tf.Variable) or (type(t).__name__ == "Variable" and hasattr(t, "assign")
                                          and hasattr(t, "numpy"))


def _object_names(root) -> dict:
    """id(trackable) -> (trackable, the checkpoint path TF gives it under ``root``): TF's own object-graph view."""
    from tensorflow.python.checkpoint import graph_view, util

    objects, _, _, _, names = util.objects_ids_and_slot_variables_and_paths(graph_view.ObjectGraphView(root))
    return {id(t): (t, names[t]) for t in objects}


def _tf2_full_name_keys(prefix: str):
    from tensorflow.python.checkpoint.checkpoint import object_metadata

    for node in object_metadata(prefix).nodes:
        for attr in node.attributes:
            if attr.name == "VARIABLE_VALUE":
                yield attr.full_name, attr.checkpoint_key


def _tf1_error_keys(msg: str) -> list[str]:
    """The checkpoint keys a TF1 restore error names (usually one: TF stops at the first)."""
    m = re.search(r"Key (\S+) not found in checkpoint", msg) or re.search(r"tensor_name = ([^;\s]+)", msg)
    if m:
        return [m.group(1)]
    m = re.search(r"Existing variables not in the checkpoint: (.*)", msg)
    return [k.strip() for k in m.group(1).split(",")] if m else []


def _tf1_error_shapes(msg: str) -> list[list[int]] | None:
    """[model shape, checkpoint shape] from "Assign requires shapes ... lhs shape= [4,5] rhs shape= [4,3]"."""
    m = re.search(r"lhs shape= \[([\d,]*)\] rhs shape= \[([\d,]*)\]", msg)
    return [[int(d) for d in g.split(",") if d] for g in m.groups()] if m else None


def _declared_shape(var) -> tuple:
    if isinstance(var, (list, tuple)):  # the slices of a partitioned variable
        return tuple(int(d) for d in var[0]._save_slice_info.full_shape)
    return tuple(int(d) for d in var.shape)


def _tf1_value(sess, var):
    """The value of a variable or (reassembled) partitioned variable, as the session holds it now."""
    if isinstance(var, (list, tuple)):
        full = np.zeros(_declared_shape(var), _np_dtype(var[0].dtype))
        for part in var:
            info = part._save_slice_info
            value = sess.run(part)
            full[tuple(slice(o, o + n) for o, n in zip(info.var_offset, value.shape, strict=False))] = value
        return full
    return sess.run(var)


def _first_line(msg: str) -> str:
    return next((line.strip() for line in msg.splitlines() if line.strip()), "")


# ================================================================ the scenarios
def run_tf1(o: Oracle) -> None:
    prefix = o.tf1_checkpoint("tf1_scoped", lambda: _tf1_scoped(optimizer=True), step_with_adam=True)
    for sid in TF1_SCENARIOS:
        if sid.startswith("tf1_scoped__") and sid != "tf1_scoped__shape_change_ref":  # see run_last
            o.tf1_scenario(sid, "tf1_scoped", prefix)
    # A second save of the same graph (another checkpoint to compare against) and of the renamed one.
    o.tf1_checkpoint("tf1_scoped_renamed", lambda: _tf1_scoped("different_model_scope", optimizer=True),
                     step_with_adam=True)
    prefix = o.tf1_checkpoint("tf1_unscoped", _tf1_unscoped)
    for sid in ("tf1_unscoped__same", "tf1_unscoped__scope_added"):
        o.tf1_scenario(sid, "tf1_unscoped", prefix)
    prefix = o.tf1_checkpoint("tf1_partitioned", _tf1_partitioned)
    for sid in TF1_SCENARIOS:
        if sid.startswith("tf1_partitioned__"):
            o.tf1_scenario(sid, "tf1_partitioned", prefix)
    prefix = o.tf1_checkpoint("layers12", lambda: _layers12("encoder"))
    o.tf1_scenario("layers12__renamed_scope", "layers12", prefix)


def run_seed(o: Oracle) -> None:
    sys.path.insert(0, EXAMPLES)
    import seed_scope_rename

    d = o.dir("ckpt", "seed")
    prefix = seed_scope_rename.save_original(d)
    o.ref["checkpoints"]["seed"] = {"prefix": o.rel(prefix), "dir": o.rel(d), "bookkeeping": []}
    for sid, fn in (("seed__changed", "build_changed"), ("seed__original", "build_original")):
        entry = o.spec_and_live(sid, os.path.join(EXAMPLES, f"seed_models.py:{fn}"), d)
        entry.update(checkpoint="seed", family="tf1", ident="name", framework=None, truth=None)
        o.ref["scenarios"][sid] = entry


def run_tf2_module(o: Oracle) -> None:
    tf = o.tf
    import tf_keras

    net = tf2_module__same()
    opt = tf_keras.optimizers.legacy.Adam(0.1)

    def train():
        with tf.GradientTape() as tape:
            loss = sum(tf.reduce_sum(tf.square(v)) for v in net.trainable_variables)
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables, strict=False))

    prefix = o.tf2_checkpoint("tf2_module", net, opt, how="checkpoint", train=train)
    for sid in TF2_SCENARIOS:
        if sid.startswith("tf2_module__"):
            o.tf2_scenario(sid, "tf2_module", prefix, how="checkpoint")
    # TF1 Saver reading this object-based checkpoint by full_name.
    for sid in ("tf1_reads_tf2__same", "tf1_reads_tf2__renamed"):
        o.tf1_scenario(sid, "tf2_module", prefix)


def run_keras3(o: Oracle) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = keras3_seq__same()
    opt = keras.optimizers.Adam(1e-2)

    def train():
        model.compile(optimizer=opt, loss="mse")
        model.fit(_fixed((8, 4), seed=40), _fixed((8, 2), seed=41), epochs=1, batch_size=8, verbose=0,
                  shuffle=False)

    prefix = o.tf2_checkpoint("keras3_seq", model, opt, how="checkpoint", train=train)
    for sid in TF2_SCENARIOS:
        if sid.startswith("keras3_seq__"):
            o.tf2_scenario(sid, "keras3_seq", prefix, how="checkpoint")
    sub = keras3_sub__same()
    opt = keras.optimizers.Adam(1e-2)

    def train_sub():
        sub.compile(optimizer=opt, loss="mse")
        sub.fit(_fixed((8, 4), seed=40), _fixed((8, 2), seed=41), epochs=1, batch_size=8, verbose=0,
                shuffle=False)

    prefix = o.tf2_checkpoint("keras3_sub", sub, opt, how="checkpoint", train=train_sub)
    for sid in ("keras3_sub__same", "keras3_sub__renamed_attribute"):
        o.tf2_scenario(sid, "keras3_sub", prefix, how="checkpoint")


def run_tf_keras(o: Oracle) -> None:
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    model = tfkeras_weights__same()
    prefix = o.tf2_checkpoint("tfkeras_weights", model, None, how="save_weights",
                                    train=lambda: _tfkeras_step(model, tf_keras.optimizers.Adam(1e-2)))
    for sid in ("tfkeras_weights__same", "tfkeras_weights__renamed_layers", "tfkeras_weights__wider"):
        o.tf2_scenario(sid, "tfkeras_weights", prefix, how="load_weights")
    h5 = os.path.join(os.path.dirname(prefix), "weights.h5")
    model.save_weights(h5)  # the same weights in Keras' HDF5 format, for the by_name restore
    o.by_name_scenario("tfkeras_by_name__renamed_out", "tfkeras_weights", prefix, h5)
    sub = tfkeras_sub__same()
    prefix = o.tf2_checkpoint("tfkeras_sub", sub, None, how="save_weights",
                                    train=lambda: _tfkeras_step(sub, tf_keras.optimizers.Adam(1e-2)))
    for sid in ("tfkeras_sub__same", "tfkeras_sub__renamed_attribute"):
        o.tf2_scenario(sid, "tfkeras_sub", prefix, how="load_weights")
    model = _tfkeras_seq()
    opt = tf_keras.optimizers.legacy.Adam(1e-2)
    prefix = o.tf2_checkpoint("tfkeras_ckpt", model, opt, how="checkpoint",
                                    train=lambda: _tfkeras_step(model, opt))
    for sid in ("tfkeras_ckpt__with_optimizer", "tfkeras_ckpt__inference"):
        o.tf2_scenario(sid, "tfkeras_ckpt", prefix, how="checkpoint")


def run_cli_cases(o: Oracle) -> None:
    prefix = os.path.join(o.outdir, o.ref["checkpoints"]["keras3_seq"]["prefix"])
    cases = {
        "unbuilt_keras": ["diagnose", prefix, "--model", f"{THIS}:unbuilt_keras"],
        "empty_module": ["diagnose", prefix, "--model", f"{THIS}:empty_module"],
        "tf1_builder_no_variables": ["spec", "--model", f"{THIS}:tf1_no_variables"],
        "spec_tf1_stdout": ["spec", "--model", f"{THIS}:tf1_scoped__same"],
    }
    for name, argv in cases.items():
        o.ref["cli"][name] = _run_cli(argv)


def run_last(o: Oracle) -> None:
    """Last, because it changes this process' TensorFlow state: ckpt-doctor first runs a TF1 builder eagerly,
    and reference variables (use_resource=False) make ``get_variable`` raise inside ``variable_scope``, which
    TensorFlow then fails to pop ("Improper nesting of variable_scope"): every later variable name in this process
    gets a ``model_scope/`` prefix. Recorded as ``cli.scope_leak`` (the name of a variable created afterwards)."""
    prefix = os.path.join(o.outdir, o.ref["checkpoints"]["tf1_scoped"]["prefix"])
    o.tf1_scenario("tf1_scoped__shape_change_ref", "tf1_scoped", prefix)
    o.ref["cli"]["scope_leak"] = {"variable_name_after": o.tf.Variable(1.0, name="probe").name}


STEPS = [run_tf1, run_seed, run_tf2_module, run_keras3, run_tf_keras, run_cli_cases, run_last]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.makedirs(argv[1], exist_ok=True)
    t0 = time.time()
    o = Oracle(argv[1])
    for step in STEPS:
        t = time.time()
        try:
            step(o)
        except Exception:  # noqa: BLE001 - one broken step must not hide the others
            o.ref["failed"].append({"step": step.__name__, "traceback": traceback.format_exc()})
            print(traceback.format_exc(), file=sys.stderr)
        print(f"[diagnose-oracle] {step.__name__} took {time.time() - t:.1f}s", file=sys.stderr)
    o.ref["seconds"] = time.time() - t0
    o.write()
    print(f"[diagnose-oracle] {len(o.ref['scenarios'])} scenarios in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
