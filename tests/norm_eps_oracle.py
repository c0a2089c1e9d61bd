"""The batch-norm epsilon defaults ckpt-doctor's caution quotes, as the pinned frameworks have them: PyTorch's
BatchNorm2d, Keras 3's and tf-keras' BatchNormalization (which TF1's tf.compat.v1.layers wrap). Prints JSON.
Run by tests/test_norm_epsilons.py in a subprocess."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tf_keras  # noqa: E402
import torch  # noqa: E402

print(json.dumps({
    "torch": torch.nn.BatchNorm2d(4).eps,
    "keras3": keras.layers.BatchNormalization().epsilon,
    "tf_keras": tf_keras.layers.BatchNormalization().epsilon,
}))
