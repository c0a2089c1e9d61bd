#!/usr/bin/env python
"""Oracle for tests/test_trial5_findings.py: what a fifth new user did with real TensorFlow and Keras 3.

    python tests/trial5_oracle.py OUTDIR PT   # writes OUTDIR/tf.json; PT: a torch.save'd {"fc.weight", "fc.bias"}

counter/: an agent saved as tf.train.Checkpoint(agent=...) holding a Keras Q-network and a scalar int64
`_train_step_counter` (the facts of tf-agents' agents); counter.spec.json: the same checkpoint layout with the Q-network
only (a user restoring the network into a fresh agent); which of its variables TensorFlow's restore assigned.
keras.spec.json: a Keras 3 Dense layer named fc; the diagnosis of PT against the live model (loader, failure, text)
and its printed fix, executed verbatim, and whether the kernel and bias then hold PT's values.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT, PT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def counter_part() -> dict:
    import numpy as np
    import tensorflow as tf

    import ckpt_doctor

    def q_net():
        tf.keras.utils.set_random_seed(0)
        return tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8), tf.keras.layers.Dense(2)])

    saved = tf.Module()
    saved.q_net = q_net()
    saved._train_step_counter = tf.Variable(1234, dtype=tf.int64)
    prefix = tf.train.Checkpoint(agent=saved).write(os.path.join(OUT, "counter", "ckpt"))
    fresh = tf.Module()
    fresh.q_net = q_net()
    for v in fresh.q_net.variables:
        v.assign(tf.zeros_like(v))
    model = tf.train.Checkpoint(agent=fresh)
    ckpt_doctor.load_model(model).save(os.path.join(OUT, "counter.spec.json"))
    model.restore(prefix).expect_partial()
    arrived = [bool(np.array_equal(a.numpy(), b.numpy())) for a, b in zip(fresh.q_net.variables,
                                                                           saved.q_net.variables, strict=True)]
    return {"prefix": prefix, "q_net_arrived": arrived}


def keras_pt_part() -> dict:
    import keras
    import numpy as np

    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, name="fc")])
    ckpt_doctor.load_model(model).save(os.path.join(OUT, "keras.spec.json"))
    d = ckpt_doctor.diagnose(PT, model)
    text = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    code = "\n".join(line[2:] for line in lines[start + 1:])
    error = None
    try:
        exec(compile(code, "<printed fix>", "exec"), {"model": model})
    except Exception:
        error = traceback.format_exc(limit=1).strip().splitlines()[-1][:500] + "\n" + code[:1500]
    source = ckpt_doctor.open_checkpoint(PT)
    kernel, bias = (np.asarray(v.numpy()) for v in model.variables)
    return {"loader": d.loader.name, "failure": d.failure, "text": text, "fix_error": error,
            "arrived": bool(np.array_equal(kernel, source["fc.weight"].read().T)
                            and np.array_equal(bias, source["fc.bias"].read()))}


if __name__ == "__main__":
    result = {"counter": counter_part(), "keras_pt": keras_pt_part()}
    with open(os.path.join(OUT, "tf.json"), "w") as f:
        json.dump(result, f)
