"""The seed scenario's models, written as TF1 graph-building functions (usable with ``--model seed_models.py:NAME``).

The original model creates its variables under ``variable_scope("model_scope")``; the changed model, the same
variables under ``"different_model_scope"``. Each function builds into the default graph and returns nothing,
as TF1 code does.
"""

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def _build(scope: str) -> None:
    with v1.variable_scope(scope):
        weight = v1.get_variable("weight", shape=[2, 1], initializer=v1.random_normal_initializer(seed=1))
        bias = v1.get_variable("bias", shape=[1], initializer=v1.zeros_initializer())
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    v1.add_to_collection("prediction", tf.matmul(x, weight) + bias)


def build_original() -> None:
    _build("model_scope")


def build_changed() -> None:
    _build("different_model_scope")


TRAINED = {"weight": np.array([[0.5], [-1.25]], np.float32), "bias": np.array([2.0], np.float32)}
