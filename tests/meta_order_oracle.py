"""The framework side of tests/test_meta_order.py, run in subprocesses.

`tf1 DIR` (TF_USE_LEGACY_KERAS=1): tf_keras' MobileNetV2 (alpha 0.35, 32x32 inputs, 10 classes, weights=None) built
in a TF1 graph, each weight set to a distinct value, saved by `tf.compat.v1.train.Saver().save` (DIR/model.ckpt and,
as Saver writes by default, DIR/model.ckpt.meta); its layers' weights, layer by layer in the model's order, with
their shapes in DIR/tf1.json.
`torch DIR`: a PyTorch MobileNetV2 of the same configuration in torchvision's layout and names (`features.0.0`,
`features.1.conv.0.0`, ..., `classifier.1`; written here from torchvision's structure, which is not installed), its
spec in DIR/model.spec.json and its parameters and buffers in creation order in DIR/torch.json. The two build the
same layers in the same order: the i-th weights are one value (the truth; shapes are checked too).
"""

import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
ALPHA, SIZE, CLASSES = 0.35, 32, 10
# (expansion, channels, repeats, first stride): MobileNetV2's blocks, in Keras' and torchvision's code alike
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def tf1(out: str) -> None:
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    with tf.Graph().as_default():
        model = tf.keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=ALPHA, weights=None,
                                                  classes=CLASSES)
        weights = [w for layer in model.layers for w in layer.weights]
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            for i, w in enumerate(weights):
                s.run(w.assign(np.full(w.shape, i, w.dtype.as_numpy_dtype)))
            v1.train.Saver().save(s, os.path.join(out, "model.ckpt"))
        names = [(w.name.split(":")[0], list(w.shape)) for w in weights]
    with open(os.path.join(out, "tf1.json"), "w") as f:
        json.dump(names, f)


def torch(out: str) -> None:
    from torch import nn

    import ckpt_doctor

    def divisible(v: float, d: int = 8) -> int:
        new = max(d, int(v + d / 2) // d * d)
        return new + d if new < 0.9 * v else new

    def conv_bn(i: int, o: int, k: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(i, o, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(o),
                             nn.ReLU6())

    class InvertedResidual(nn.Module):
        def __init__(self, i: int, o: int, stride: int, t: int):
            super().__init__()
            hidden = i * t
            layers = [conv_bn(i, hidden, 1)] if t != 1 else []
            layers += [conv_bn(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, o, 1, bias=False),
                       nn.BatchNorm2d(o)]
            self.conv = nn.Sequential(*layers)

    channels = divisible(32 * ALPHA)
    features = [conv_bn(3, channels, 3, 2)]
    for t, c, n, s in BLOCKS:
        for k in range(n):
            features.append(InvertedResidual(channels, divisible(c * ALPHA), s if k == 0 else 1, t))
            channels = divisible(c * ALPHA)
    features.append(conv_bn(channels, 1280, 1))
    model = nn.Module()
    model.features = nn.Sequential(*features)
    model.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, CLASSES))
    spec = ckpt_doctor.load_model(model)
    spec.save(os.path.join(out, "model.spec.json"))
    with open(os.path.join(out, "torch.json"), "w") as f:
        json.dump([(k, list(v.shape)) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")],
                  f)


if __name__ == "__main__":
    {"tf1": tf1, "torch": torch}[sys.argv[1]](sys.argv[2])
