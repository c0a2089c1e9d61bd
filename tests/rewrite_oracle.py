#!/usr/bin/env python
"""TensorFlow as the oracle for ckpt-doctor's writers and ``rewrite`` (run as a subprocess, never imported by pytest).

    python tests/rewrite_oracle.py WORKDIR  ->  prints one JSON line; TF-written checkpoints under WORKDIR/tf/

1. TensorFlow writes reference bundles (pytest rewrites them with our writer and compares bytes).
2. ckpt-doctor writes or rewrites checkpoints; TensorFlow reads / restores them and this script reports what it got.
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples"))

import numpy as np
import tensorflow as tf

import ckpt_doctor
from ckpt_doctor.match.rules import Prefix, Rules

v1 = tf.compat.v1
SEED = os.path.join(ROOT, "src", "ckpt_doctor", "examples", "seed")


def values_of(dtypes):
    """Deterministic test values per dtype name (ml_dtypes for bfloat16 / float8)."""
    import ml_dtypes

    out = {}
    for name in dtypes:
        if name == "bool":
            out[name] = np.array([[True, False, True], [False, False, True]])
        elif name.startswith(("bfloat16", "float8")):
            out[name] = np.array([0.0, 1.0, -1.5, 3.25, 0.125, -0.0], np.float32).astype(getattr(ml_dtypes, name))
        elif name.startswith("complex"):
            out[name] = (np.arange(6) + 1j * np.arange(6, 0, -1)).astype(name).reshape(2, 3)
        elif name.startswith("float"):
            specials = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 1e-3, 65000.0, 3.0]
            out[name] = np.array(specials, name).reshape(2, 5)
        else:
            info = np.iinfo(name)
            out[name] = np.array([info.min, info.max, 0, 1, info.max // 3, 7], name).reshape(3, 2)
    return out


DTYPES = ["float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "uint64", "bool", "complex64", "complex128", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz",
          "float8_e5m2fnuz", "float8_e4m3b11fnuz"]
QUANTIZED = {"qint8": "int8", "quint8": "uint8", "qint32": "int32", "qint16": "int16", "quint16": "uint16"}
ROUND_TRIP = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == object or b.dtype == object:
        return a.shape == b.shape and [bytes(x) for x in a.reshape(-1)] == [bytes(x) for x in b.reshape(-1)]
    return a.shape == b.shape and a.dtype.itemsize == b.dtype.itemsize and \
        np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def tf_reference_bundles(work: str) -> None:
    """Bundles TensorFlow writes; pytest writes the same tensors in the same order and compares the bytes."""
    d = os.path.join(work, "tf")
    for sub in ("many", "dtypes", "tf2", "round_trip"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    names = [f"tower_{i % 7}/layer_{i:05d}/some_reasonably_long_scope_name/kernel" for i in range(6000)]
    distinct = [tf.constant(np.arange(k + 1, dtype=np.int32) * (k + 1)) for k in range(3)]
    tf.raw_ops.SaveV2(prefix=os.path.join(d, "many", "many"), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[distinct[i % 3] for i in range(len(names))])
    vals = values_of(DTYPES)
    names = [f"raw/{n}" for n in DTYPES]
    names += [f"raw/{q}" for q in QUANTIZED]
    tensors = [tf.constant(vals[n]) for n in DTYPES] + [
        tf.constant(np.arange(6, dtype=base).reshape(2, 3), dtype=getattr(tf, q)) for q, base in QUANTIZED.items()] + [
        tf.constant([[b"p", b"q\x00r"], [b"", b"s" * 300]]), tf.constant(b"one"), tf.zeros((0, 3)),
        tf.constant(np.int64(-7))]
    names += ["raw/string", "raw/scalar_string", "raw/empty", "raw/scalar"]
    tf.raw_ops.SaveV2(prefix=os.path.join(d, "dtypes", "raw"), tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=tensors)
    root = tf.Module()
    root.w = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4))
    root.words = tf.Variable([b"alpha", b"", b"gamma" * 50])
    root.inner = tf.Module()
    root.inner.step = tf.Variable(np.int64(5))
    tf.train.Checkpoint(root=root).save(os.path.join(d, "tf2", "module"))


def every_dtype(work: str) -> dict:
    """ckpt-doctor writes every dtype; TensorFlow's reader reads it back."""
    vals = values_of(DTYPES)
    vals["string"] = np.array([[b"p", b"q\x00r"], [b"", b"s" * 300]], dtype=object)
    vals["scalar_string"] = np.array(b"one", dtype=object)
    vals["empty"] = np.zeros((0, 3), np.float32)
    from ckpt_doctor.formats._writing import Tensor, dtype_of

    for q, base in QUANTIZED.items():  # stored as their integer counterparts, told apart by the entry's dtype
        vals[q] = np.arange(6, dtype=base).reshape(2, 3)
    items = [Tensor(n, n if n in QUANTIZED else dtype_of(v), v.shape, lambda v=v: v) for n, v in vals.items()]
    prefix = os.path.join(work, "ours", "dtypes", "all")
    os.makedirs(os.path.dirname(prefix))
    ckpt_doctor.write_checkpoint(items, prefix, "tf")
    sharded = os.path.join(work, "ours", "dtypes_sharded", "all")
    os.makedirs(os.path.dirname(sharded))
    ckpt_doctor.write_checkpoint(items, sharded, "tf", max_shard_bytes=64)
    out = {}
    for prefix_, suffix in ((prefix, ""), (sharded, "@sharded")):
        reader = tf.train.load_checkpoint(prefix_)
        dtypes = reader.get_variable_to_dtype_map()
        for name, value in vals.items():
            out[name + suffix] = {"tf_dtype": dtypes[name].name, "equal": same_bits(reader.get_tensor(name), value)}
    out["shards"] = len([f for f in os.listdir(os.path.dirname(sharded)) if ".data-" in f])
    return out


def tf1_restore(work: str) -> dict:
    """TF1 Saver (with Adam slots and global_step) -> rewrite old/ -> new/ -> Saver.restore in the renamed graph."""
    def build(scope):
        gs = v1.train.get_or_create_global_step()
        with v1.variable_scope(scope):
            w = v1.get_variable("dense/kernel", initializer=np.arange(12, dtype=np.float32).reshape(4, 3) / 7)
            b = v1.get_variable("dense/bias", initializer=np.array([1.0, -2.0, 0.5], np.float32))
            ids = v1.get_variable("ids", initializer=np.array([2 ** 40, -3], np.int64), trainable=False)
            half = v1.get_variable("half", initializer=np.array([0.5, -2.0], np.float16), trainable=False)
        loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones((2, 4)), w) + b))
        train = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=gs)
        return train, ids, half

    d = os.path.join(work, "tf1")
    with tf.Graph().as_default(), v1.Session() as sess:
        train, _, _ = build("old")
        sess.run(v1.global_variables_initializer())
        sess.run(train)
        prefix = v1.train.Saver().save(sess, os.path.join(d, "model.ckpt"), global_step=1)
        saved = {v.op.name: sess.run(v) for v in v1.global_variables()}
    out = os.path.join(work, "ours", "tf1", "model.ckpt-1")
    os.makedirs(os.path.dirname(out))
    result = ckpt_doctor.rewrite(prefix, Rules([Prefix("old/", "new/")]), out)
    with tf.Graph().as_default(), v1.Session() as sess:
        build("new")
        v1.train.Saver().restore(sess, out)
        restored = {v.op.name: sess.run(v) for v in v1.global_variables()}
    expected = {k.replace("old/", "new/", 1): v for k, v in saved.items()}
    return {"moves": len(result.moves), "names": sorted(restored), "expected_names": sorted(expected),
            "equal": {k: same_bits(restored[k], v) for k, v in expected.items() if k in restored},
            "latest": tf.train.latest_checkpoint(os.path.dirname(out))}


class Block(tf.Module):
    def __init__(self, seed):
        super().__init__()
        self.w = tf.Variable(np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32))
        self.b = tf.Variable(np.full((3,), seed, np.float32))


def tf2_restore(work: str) -> dict:
    """tf.train.Checkpoint of nested modules -> rewrite net/encoder -> net/enc -> restore().assert_consumed()."""
    old = tf.Module()
    old.encoder, old.decoder = Block(1), Block(2)
    old.tag = tf.Variable(b"a string value")
    old.step = tf.Variable(np.int64(42))
    prefix = tf.train.Checkpoint(net=old).save(os.path.join(work, "tf2", "ckpt"))

    def fresh():
        net = tf.Module()
        net.enc, net.decoder = Block(7), Block(8)
        net.tag = tf.Variable(b"")
        net.step = tf.Variable(np.int64(0))
        return net

    out = {}
    try:
        tf.train.Checkpoint(net=fresh()).restore(prefix).assert_consumed()
        out["original_assert_consumed"] = "ok"
    except AssertionError as e:
        out["original_assert_consumed"] = str(e).splitlines()[0][:200]
    target = os.path.join(work, "ours", "tf2", "ckpt-1")
    os.makedirs(os.path.dirname(target))
    ckpt_doctor.rewrite(prefix, Rules([Prefix("net/encoder/", "net/enc/")]), target)
    net = fresh()
    try:
        tf.train.Checkpoint(net=net).restore(target).assert_consumed()
        out["assert_consumed"] = "ok"
    except AssertionError as e:
        out["assert_consumed"] = str(e)[:500]
    pairs = [(net.enc.w, old.encoder.w), (net.enc.b, old.encoder.b), (net.decoder.w, old.decoder.w),
             (net.decoder.b, old.decoder.b), (net.tag, old.tag), (net.step, old.step)]
    out["equal"] = [same_bits(a.numpy(), b.numpy()) for a, b in pairs]
    return out


def keras_renumbered(work: str) -> dict:
    """Keras 3 model saved with tf.train.Checkpoint; the new model has one more layer without weights in front, so
    every layer's position (its object path) moved. align infers the rules, rewrite applies them, TF restores."""
    import keras

    keras.utils.set_random_seed(0)

    def model(extra: bool):
        layers = [keras.Input((4,))] + ([keras.layers.Activation("linear")] if extra else []) + [
            keras.layers.Dense(3), keras.layers.Dropout(0.1), keras.layers.Dense(2)]
        return keras.Sequential(layers)

    old = model(False)
    prefix = tf.train.Checkpoint(model=old).save(os.path.join(work, "keras", "ckpt"))
    new = model(True)
    out = {}
    try:
        tf.train.Checkpoint(model=model(True)).restore(prefix).assert_consumed()
        out["original_assert_consumed"] = "ok"
    except AssertionError as e:
        out["original_assert_consumed"] = str(e).splitlines()[0][:200]
    from ckpt_doctor.restore.rewrite import namespace_of

    alignment = ckpt_doctor.align(prefix, tf.train.Checkpoint(model=new))
    out["rules"] = alignment.rules.to_dict()["rules"]
    out["complete"] = alignment.complete
    target = os.path.join(work, "ours", "keras", "ckpt")
    os.makedirs(os.path.dirname(target))
    ckpt_doctor.rewrite(prefix, alignment.rules, target, namespace=namespace_of(alignment))
    try:
        tf.train.Checkpoint(model=new).restore(target).assert_consumed()
        out["assert_consumed"] = "ok"
    except AssertionError as e:
        out["assert_consumed"] = str(e)[:500]
    out["equal"] = [same_bits(a.numpy(), b.numpy()) for a, b in zip(new.weights, old.weights, strict=False)]
    out["n_weights"] = [len(new.weights), len(old.weights)]
    # Keras 3 .weights.h5 written by ckpt-doctor (converted from Keras' own file) loads into the model.
    old.save_weights(os.path.join(work, "keras", "orig.weights.h5"))
    copy = os.path.join(work, "ours", "keras", "copy.weights.h5")
    ckpt_doctor.rewrite(os.path.join(work, "keras", "orig.weights.h5"), None, copy)
    again = model(False)
    again.load_weights(copy)
    out["weights_h5_equal"] = [same_bits(a.numpy(), b.numpy())
                               for a, b in zip(again.weights, old.weights, strict=False)]
    return out


def seed_fix(work: str) -> dict:
    """The shipped seed checkpoint, fixed by `ckpt-doctor align ... --rewrite`, restored by an unmodified Saver."""
    import seed_models

    target = os.path.join(work, "ours", "seed", "model.ckpt-1")
    os.makedirs(os.path.dirname(target))
    cli = subprocess.run([sys.executable, "-m", "ckpt_doctor", "align", SEED, "--model",
                          os.path.join(SEED, "changed_model.spec.json"), "--rewrite", target],
                         capture_output=True, text=True)
    out = {"cli_exit": cli.returncode, "cli_stdout": cli.stdout[-2000:], "cli_stderr": cli.stderr[-2000:]}
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_changed()
        v1.train.Saver().restore(sess, tf.train.latest_checkpoint(os.path.dirname(target)))
        out["restored"] = {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}
    out["expected"] = {f"different_model_scope/{k}": v.tolist() for k, v in seed_models.TRAINED.items()}
    return out


def round_trip(work: str) -> dict:
    """TF bundle (written by TF) -> safetensors -> npz -> PyTorch -> TF bundle, all by ckpt-doctor; TF reads the end."""
    vals = values_of(ROUND_TRIP)
    names = [f"rt/{n}" for n in ROUND_TRIP]
    start = os.path.join(work, "tf", "round_trip", "start")
    tf.raw_ops.SaveV2(prefix=start, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(vals[n]) for n in ROUND_TRIP])
    d = os.path.join(work, "ours", "round_trip")
    os.makedirs(d)
    steps = [("safetensors", "a.safetensors"), ("npz", "b.npz"), ("torch", "c.pt"), ("tf", "end")]
    current = start
    for fmt, name in steps:
        ckpt_doctor.rewrite(current, None, os.path.join(d, name), to=fmt)
        current = os.path.join(d, name)
    reader = tf.train.load_checkpoint(current)
    first = tf.train.load_checkpoint(start)
    return {"names": sorted(reader.get_variable_to_shape_map()),
            "equal": {n: same_bits(reader.get_tensor(n), first.get_tensor(n)) for n in names}}


def main() -> None:
    work = sys.argv[1]
    tf_reference_bundles(work)
    out = {}
    for check in (every_dtype, tf1_restore, tf2_restore, keras_renumbered, seed_fix, round_trip):
        try:
            out[check.__name__] = check(work)
        except Exception as e:  # noqa: BLE001 - report, the test names the failing check
            import traceback

            out[check.__name__] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
