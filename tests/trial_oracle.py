#!/usr/bin/env python
"""Oracle for tests/test_trial_findings.py: what a new user did with real frameworks, written down.

    python tests/trial_oracle.py OUTDIR torch   # writes OUTDIR/torch.json
    python tests/trial_oracle.py OUTDIR tf      # writes OUTDIR/tf.json (tf-keras: TF_USE_LEGACY_KERAS=1)
    python tests/trial_oracle.py OUTDIR keras3  # writes OUTDIR/keras3.json

torch: a Conv+BatchNorm+Linear state dict saved by torch.save (bn.pt), and a training checkpoint holding two
(train.pt); the fix diagnose prints for the model's state dict nested as model/state_dict beside an optimizer
(nested.pt, CHGNet's layout) and a DataParallel model, executed verbatim; the spec of the same model wrapped in
DataParallel (dp.spec.json); the checkpoint rewritten with the rule "add the prefix module." (dp.pt) and whether
DataParallel's strict load_state_dict accepts it; str() of check_restored and restore.

tf: a tf-keras functional model (BatchNormalization, Dense) saved with save_weights (front/w); the spec of the
same model behind a new Dense in front (front.spec.json: every index shifts, the old model becomes
layer_with_weights-1); the "Fix" block diagnose prints for it, executed verbatim, and which variables then hold
the checkpoint's values (read back with tf.train.load_checkpoint). Also a tf.train.Checkpoint with two variables
both named 'total' (dup/ckpt), as Keras metrics are, and a SavedModel (saved_model/).

keras3: a Keras 3 Conv2D + Dense model and its values saved as a PyTorch port would (port.safetensors: conv weight
(out, in, kh, kw), linear weight (out, in)); the model's spec (keras3.spec.json); the fix diagnose --load-with keras3
prints, executed verbatim, and which weights then equal the source model's.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT, FAMILY = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def torch_part() -> dict:
    import torch

    import ckpt_doctor

    torch.manual_seed(0)

    def build():
        return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                   torch.nn.Linear(4, 2))

    model = build()
    model[1].running_mean.uniform_()
    model[1].num_batches_tracked.fill_(7)
    path = os.path.join(OUT, "bn.pt")
    torch.save(model.state_dict(), path)
    torch.save({"epoch": 3, "model": model.state_dict(), "ema": {"model": build().state_dict()}},
               os.path.join(OUT, "train.pt"))
    dp = torch.nn.DataParallel(build())
    ckpt_doctor.load_model(dp).save(os.path.join(OUT, "dp.spec.json"))
    rules = ckpt_doctor.Rules([ckpt_doctor.Prefix("", "module.")])
    ckpt_doctor.rewrite(path, rules, os.path.join(OUT, "dp.pt"))
    strict_error = None
    try:
        dp.load_state_dict(torch.load(os.path.join(OUT, "dp.pt"), weights_only=True), strict=True)
    except Exception as e:  # the truth: does the framework accept the renamed file as it is?
        strict_error = f"{type(e).__name__}: {e}"
    counters_arrived = int(dp.module[1].num_batches_tracked) == 7
    loaded = build()
    loaded.load_state_dict(torch.load(path, weights_only=True))

    # the fix diagnose prints for a training checkpoint (state dict under model/state_dict, as CHGNet ships it)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 1, 3, 3)).sum().backward()
    opt.step()
    nested = os.path.join(OUT, "nested.pt")
    torch.save({"model": {"state_dict": model.state_dict()}, "optimizer": opt.state_dict(), "epoch": 3}, nested)
    target = torch.nn.DataParallel(build())
    fix_error = _run_printed_fix(nested, target)
    arrived = {k: bool(torch.equal(v, target.module.state_dict()[k])) for k, v in model.state_dict().items()}
    return {"strict_error": strict_error, "counters_arrived": counters_arrived,
            "check_str": str(ckpt_doctor.check_restored(loaded, path)),
            "restore_str": str(ckpt_doctor.restore(build(), path)),
            "nested_fix_error": fix_error, "nested_arrived": arrived}


def _run_printed_fix(path: str, model, load_with: str | None = None) -> str | None:
    """Run the "Fix" block of diagnose's report for ``model`` verbatim; the error it raised (and the code), or None."""
    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    d = ckpt_doctor.diagnose(path, model, load_with=load_with)
    lines = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    code = "\n".join(line[2:] for line in lines[start + 1:])
    try:
        exec(compile(code, "<printed fix>", "exec"), {"model": model})
    except Exception:
        return traceback.format_exc(limit=1).strip().splitlines()[-1][:500] + "\n" + code[:1500]
    return None


def tf_part() -> dict:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import numpy as np
    import tensorflow as tf

    import ckpt_doctor

    def base():
        inp = tf.keras.Input(shape=(6, 1))
        x = tf.keras.layers.BatchNormalization()(inp)
        return tf.keras.Model(inp, tf.keras.layers.Dense(3)(x))

    def front():
        b = base()
        inp = tf.keras.Input(shape=(6, 1))
        x = tf.keras.layers.Dense(1, name="input_gain")(inp)
        return tf.keras.Model(inp, b(x)), b

    saved = base()
    for v in saved.variables:
        v.assign(tf.random.normal(v.shape, seed=1))
    prefix = os.path.join(OUT, "front", "w")
    saved.save_weights(prefix)
    model, inner = front()
    ckpt_doctor.load_model(model).save(os.path.join(OUT, "front.spec.json"))

    error = _run_printed_fix(prefix, model)
    # the truth: the inner model's weights, in order, are exactly the saved model's (same architecture)
    arrived = {s.path if hasattr(s, "path") else s.name: bool(np.array_equal(v.numpy(), s.numpy()))
               for v, s in zip(inner.variables, saved.variables, strict=True)}

    dup = tf.train.Checkpoint(a=tf.Variable(1.0, name="total"), b=tf.Variable(2.0, name="total"))
    dup.write(os.path.join(OUT, "dup", "ckpt"))
    module = tf.Module()
    module.w = tf.Variable([1.0, 2.0])
    tf.saved_model.save(module, os.path.join(OUT, "saved_model"))
    return {"fix_error": error, "arrived": arrived}


def keras3_part() -> dict:
    import keras
    import numpy as np
    from safetensors.numpy import save_file

    def build():
        inp = keras.Input((16, 1, 1))
        x = keras.layers.Conv2D(4, (5, 1), name="conv1")(inp)
        x = keras.layers.Flatten()(x)
        return keras.Model(inp, keras.layers.Dense(3, name="classifier")(x))

    source = build()
    rng = np.random.default_rng(5)
    for v in source.weights:
        v.assign(rng.standard_normal(v.shape).astype("float32"))
    k, b = (w.numpy() for w in source.get_layer("conv1").weights)
    fk, fb = (w.numpy() for w in source.get_layer("classifier").weights)
    # the same values as a PyTorch port saves them: Conv2d weight (out, in, kh, kw), Linear weight (out, in)
    path = os.path.join(OUT, "port.safetensors")
    save_file({"conv1.weight": np.ascontiguousarray(k.transpose(3, 2, 0, 1)), "conv1.bias": b,
               "classifier.weight": np.ascontiguousarray(fk.T), "classifier.bias": fb}, path)
    import ckpt_doctor

    model = build()
    ckpt_doctor.load_model(model).save(os.path.join(OUT, "keras3.spec.json"))
    error = _run_printed_fix(path, model, load_with="keras3")
    arrived = {w.path: bool(np.array_equal(w.numpy(), s.numpy())) for w, s in zip(model.weights, source.weights,
                                                                                    strict=True)}
    return {"fix_error": error, "arrived": arrived}


if __name__ == "__main__":
    result = {"torch": torch_part, "tf": tf_part, "keras3": keras3_part}[FAMILY]()
    with open(os.path.join(OUT, f"{FAMILY}.json"), "w") as f:
        json.dump(result, f, indent=1)
