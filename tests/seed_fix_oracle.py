"""Run as a subprocess (TensorFlow stays out of pytest): save the seed checkpoint with TF, let ckpt-doctor align
the changed model with it, apply the exported TF1 fixes with TensorFlow itself, and report the restored values.

    python tests/seed_fix_oracle.py WORKDIR  ->  prints one JSON line
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))

import seed_models  # noqa: E402
import tensorflow as tf  # noqa: E402
from seed_scope_rename import save_original  # noqa: E402

import ckpt_doctor  # noqa: E402

v1 = tf.compat.v1


def restored_values(prefix: str, how: str, alignment) -> dict:
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_changed()
        if how == "saver":
            namespace = {"tf": tf, "sess": sess, "CHECKPOINT": prefix}
            exec(alignment.saver_var_list_code(), namespace)  # the exported snippet, verbatim
        else:
            v1.train.init_from_checkpoint(prefix, alignment.assignment_map())
            sess.run(v1.global_variables_initializer())
        return {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}


def main() -> None:
    work = sys.argv[1]
    prefix = save_original(work)
    alignment = ckpt_doctor.align(prefix, os.path.join(HERE, "..", "examples", "seed_models.py:build_changed"))
    out = {"rules": alignment.rules.to_dict()["rules"], "sentences": alignment.sentences,
           "assignment_map": alignment.assignment_map(),
           "expected": {f"different_model_scope/{k}": v.tolist() for k, v in seed_models.TRAINED.items()}}
    for how in ("saver", "init_from_checkpoint"):
        out[how] = restored_values(prefix, how, alignment)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
