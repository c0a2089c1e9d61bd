"""Run as a subprocess (TensorFlow stays out of pytest): a TF1 checkpoint saved by TensorFlow, and models that
rename its scope and add a variable inside the renamed scope ("grown") or keep one outside it ("shared");
ckpt-doctor aligns them, TensorFlow's ``init_from_checkpoint`` applies the exported assignment map (and, for
contrast, the bare scope map), and the variables are read back.

    python tests/assignment_map_oracle.py WORKDIR  ->  prints one JSON line
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import ckpt_doctor  # noqa: E402

v1 = tf.compat.v1
SHAPES = {"layer1/w": [2, 3], "layer1/b": [3], "layer2/w": [3, 4], "layer2/b": [4]}


def _build(scope: str, head: bool = False) -> None:
    with v1.variable_scope(scope):
        for name, shape in SHAPES.items():
            v1.get_variable(name, shape=shape, initializer=v1.zeros_initializer())
        if head:
            v1.get_variable("head/w", shape=[4, 5], initializer=v1.ones_initializer())
    v1.get_variable("step_scale", shape=[1], initializer=v1.zeros_initializer())


def build_grown() -> None:
    _build("backbone", head=True)


def build_shared() -> None:
    _build("backbone")


def trained() -> dict:
    out = {f"encoder/{k}": np.arange(np.prod(s), dtype=np.float32).reshape(s) + i for i, (k, s) in
           enumerate(SHAPES.items())}
    out["step_scale"] = np.array([3.0], np.float32)
    return out


def save(directory: str) -> str:
    with tf.Graph().as_default(), v1.Session() as sess:
        _build("encoder")
        sess.run(v1.global_variables_initializer())
        for v in v1.global_variables():
            sess.run(v.assign(trained()[v.op.name]))
        return v1.train.Saver().save(sess, os.path.join(directory, "model.ckpt"), global_step=1)


def init_from(prefix: str, build, assignment_map: dict) -> dict:
    """The model's values after ``init_from_checkpoint`` with this map, or the error TensorFlow raised."""
    with tf.Graph().as_default(), v1.Session() as sess:
        build()
        try:
            v1.train.init_from_checkpoint(prefix, assignment_map)
        except (ValueError, tf.errors.OpError) as e:
            return {"error": f"{type(e).__name__}: {e}"}
        sess.run(v1.global_variables_initializer())
        return {"values": {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}}


def main() -> None:
    prefix = save(sys.argv[1])
    out: dict = {"trained": {k: v.tolist() for k, v in trained().items()}}
    for build in (build_grown, build_shared):
        alignment = ckpt_doctor.align(prefix, f"{os.path.abspath(__file__)}:{build.__name__}")
        amap = alignment.assignment_map()
        out[build.__name__] = {"rules": alignment.rules.to_dict()["rules"], "missing": alignment.missing,
                               "assignment_map": amap, "restored": init_from(prefix, build, amap),
                               "scope_only": init_from(prefix, build, {"encoder/": "backbone/"})}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
