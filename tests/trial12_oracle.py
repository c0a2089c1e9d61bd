"""TensorFlow side of tests/test_trial12_findings.py, run in a subprocess (TensorFlow never enters pytest).

    python trial12_oracle.py iterator-save DIR       a training loop's tf.train.Checkpoint with a tf.data iterator,
                                                     as TensorFlow's checkpoint guide writes it; prints the batch the
                                                     restored iterator must give next, as JSON
    python trial12_oracle.py iterator-restore PREFIX restores that checkpoint into new objects; prints the next batch
                                                     and the weights, as JSON
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _objects():
    import tensorflow as tf

    dataset = tf.data.Dataset.range(20).shuffle(8, seed=1, reshuffle_each_iteration=False).batch(2)
    iterator = iter(dataset)
    w = tf.Variable(tf.zeros([2, 3]), name="w")
    return tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64), w=w, iterator=iterator), iterator, w


def main(command: str, path: str) -> None:
    import tensorflow as tf

    ckpt, iterator, w = _objects()
    if command == "iterator-save":
        w.assign(tf.reshape(tf.range(6, dtype=tf.float32), [2, 3]))
        for _ in range(3):
            next(iterator)
        ckpt.step.assign(3)
        tf.train.CheckpointManager(ckpt, path, max_to_keep=1).save()
        print(json.dumps({"next": next(iterator).numpy().tolist()}))
    elif command == "iterator-restore":
        ckpt.restore(path).assert_consumed()
        print(json.dumps({"next": next(iterator).numpy().tolist(), "w": w.numpy().tolist(),
                          "step": int(ckpt.step.numpy())}))


if __name__ == "__main__":
    main(*sys.argv[1:])
