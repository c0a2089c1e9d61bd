"""Keras 3 writes keras.applications models (weights=None) as `.weights.h5` into OUTDIR and prints, per file, every
variable's shape in model.layers' order (the order Keras walks and writes them): the truth for the write order
ckpt-doctor recovers from HDF5 object headers. Run by tests/test_format_keras.py in a subprocess."""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

out = sys.argv[1]
models = {"mobilenet_v2": lambda: keras.applications.MobileNetV2(weights=None, include_top=False,
                                                                  input_shape=(224, 224, 3)),
          "efficientnet_b0": lambda: keras.applications.EfficientNetB0(weights=None, include_top=False)}
truth = {}
for name, build in models.items():
    model = build()
    path = os.path.join(out, f"{name}.weights.h5")
    model.save_weights(path)
    truth[path] = [list(w.shape) for layer in model.layers for w in layer.weights]
print(json.dumps(truth))
