#!/usr/bin/env python
"""Every printed fix, pasted: save with the framework, build the changed model, take the "Fix" block exactly as
``diagnose`` prints it, execute it against the real framework, and check that each variable holds the checkpoint's
value (read back by the framework) or, if the fix names it as expected to stay initialised, its initial value.

    python tests/fixes_oracle.py OUTDIR FAMILY   # FAMILY: tf (TF1) | keras3 (and TF2 modules) | tfkeras | torch
                                                 # (tests run it inside loaders_oracle.py --fixes)

Writes ``OUTDIR/fixes-<FAMILY>.json``: {scenario: {"loader", "code", "ok", "problems": [...],
"expected_missing": [...], "new_in_model": [...]}}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.report.diagnose import render  # noqa: E402

OUT, FAMILY = sys.argv[1], sys.argv[2]
RESULTS: dict[str, dict] = {}
REPORTS: dict[str, str] = {}  # the diagnose text each fix was taken from, by checkpoint path
RNG = np.random.default_rng(3)


def printed_fix(path: str, model, load_with: str | None = None) -> tuple[str, object]:
    """The code under "Fix (...):" in the diagnose report, dedented: what a user copies."""
    d = ckpt_doctor.diagnose(path, model, load_with=load_with)
    if d.ok:
        return None, None  # nothing to fix: the plain load call restores everything
    a = ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)
    text = render(d, a)
    REPORTS[path] = text
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Fix (")), None)
    if start is None:
        raise AssertionError("no fix printed:\n" + text)
    return "\n".join(line[2:] for line in lines[start + 1:]), a


def record(sid: str, loader: str, code: str, problems: list[str], expected_missing, new_in_model) -> None:
    RESULTS[sid] = {"loader": loader, "code": code, "ok": not problems, "problems": problems,
                    "expected_missing": sorted(map(str, expected_missing)), "new_in_model": sorted(new_in_model)}


def compare_values(got: dict, want: dict, initial: dict, keep: set) -> list[str]:
    problems = []
    for name, value in got.items():
        target = initial[name] if name in keep else want.get(name)
        if target is None:
            problems.append(f"{name}: no expected value")
        elif np.shape(value) != np.shape(target) or not np.allclose(value, target):
            problems.append(f"{name}: {'changed though expected to stay' if name in keep else 'not restored'}")
    return problems


# --- TF1 -------------------------------------------------------------------------------------------------------

def tf1(tf) -> None:
    v1 = tf.compat.v1

    def build(scope, layers, adam):
        x = v1.placeholder(tf.float32, [None, 4])
        h = x
        with v1.variable_scope(scope):
            for name, units in layers:
                with v1.variable_scope(name):
                    h = tf.matmul(h, v1.get_variable("kernel", [int(h.shape[1]), units])) + \
                        v1.get_variable("bias", [units])
        if adam:
            v1.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(h * h))

    base = [("fc1", 3), ("fc2", 2)]
    saved_dir = os.path.join(OUT, "tf1_saved")
    paths = {}
    for adam in (False, True):
        g = tf.Graph()
        with g.as_default(), v1.Session() as sess:
            build("model_scope", base, adam)
            sess.run(v1.global_variables_initializer())
            for v in v1.global_variables():
                v.load(RNG.standard_normal(v.shape).astype(v.dtype.as_numpy_dtype), sess)
            os.makedirs(os.path.join(saved_dir, f"adam{int(adam)}"), exist_ok=True)
            paths[adam] = v1.train.Saver().save(sess, os.path.join(saved_dir, f"adam{int(adam)}", "model.ckpt"))
            if not adam:  # a bundle with an empty file name (`dir/.index`), as some packages ship them
                os.makedirs(os.path.join(saved_dir, "unnamed"), exist_ok=True)
                paths["unnamed"] = v1.train.Saver().save(sess, os.path.join(saved_dir, "unnamed") + os.sep)
    scenarios = {  # (saved with Adam, scope, layers, rebuilt with Adam)
        "tf1-rename": (False, "different_model_scope", base, False),
        "tf1-rename-adam": (True, "different_model_scope", base, True),
        "tf1-rename-added": (False, "different_model_scope", [("fc1", 3), ("fc2b", 3), ("fc2", 2)], False),
        "tf1-added-adam": (True, "model_scope", [("fc1", 3), ("fc2b", 3), ("fc2", 2)], True),
        "tf1-rename-adam-fresh-optimizer": (False, "different_model_scope", base, True),
        "tf1-rename-unnamed-prefix": ("unnamed", "different_model_scope", base, False),
    }
    for sid, (saved_adam, scope, layers, adam) in scenarios.items():
        path = paths[saved_adam]
        reader = tf.train.load_checkpoint(path)
        g = tf.Graph()
        with g.as_default():
            build(scope, layers, adam)
        try:
            code, _ = printed_fix(path, g)
        except Exception as e:
            record(sid, "saver", "", [f"{type(e).__name__}: {e}"], [], [])
            continue
        saver_code, _, alternative = code.partition("\n# or,")
        checkpoint_line = next(line for line in saver_code.splitlines() if line.startswith("CHECKPOINT ="))
        problems = []
        for how in ("saver", "init_from_checkpoint") if alternative else ("saver",):
            with g.as_default(), v1.Session() as sess:
                ns = {"tf": tf, "sess": sess}
                try:
                    if how == "saver":
                        sess.run(v1.global_variables_initializer())
                        initial = {v.op.name: sess.run(v) for v in v1.global_variables()}
                        exec(saver_code, ns)  # noqa: S102 - the printed fix, verbatim
                        keep = set(ns["NOT_IN_CHECKPOINT"])
                        names = ns["CHECKPOINT_NAME"]
                    else:
                        exec(checkpoint_line + "\n# or," + alternative, ns)  # noqa: S102
                        sess.run(v1.global_variables_initializer())
                        initial = {}
                except Exception as e:
                    problems.append(f"{how}: {type(e).__name__}: {str(e).splitlines()[0]}")
                    continue
                got = {v.op.name: sess.run(v) for v in v1.global_variables()}
            if how == "saver":
                want = {m: reader.get_tensor(names.get(m, m)) for m in got if m not in keep}
                problems += [f"saver: {p}" for p in compare_values(got, want, initial, keep)]
                expected = keep
            else:
                weights = [m for m in got if m.split("/")[-1] in ("kernel", "bias")]
                for m in weights:
                    source = names.get(m, m)
                    if m in keep:
                        continue
                    if not np.allclose(got[m], reader.get_tensor(source)):
                        problems.append(f"init_from_checkpoint: {m} not restored")
        new_in_model = [f"{scope}/fc2b/{w}" for w in ("kernel", "bias")] if any(n == "fc2b" for n, _ in layers) \
            else []
        expected_weights = sorted(m for m in expected if m.split("/")[-1] in ("kernel", "bias"))
        if expected_weights != sorted(new_in_model):
            problems.append(f"expected misses {expected_weights} are not exactly the new variables {new_in_model}")
        record(sid, "saver", code, problems, expected_weights, new_in_model)


# --- Keras (3 or tf-keras) and TF2 modules ----------------------------------------------------------------------

def keras_family(keras, tf, legacy: bool) -> None:
    L = keras.layers

    def seq(layers):
        m = keras.Sequential([keras.Input((4,)), *layers])
        m(np.zeros((1, 4), "float32"))
        return m

    formats = ["h5", "full.h5"] if legacy else ["weights.h5", "keras"]
    for fmt in formats:
        for name, change in {"inserted": lambda: [L.Dense(3), L.Dense(3), L.BatchNormalization(), L.Dense(2)],
                             "renamed-drift": lambda: [L.Dense(3), L.BatchNormalization(), L.Dense(2)],
                             "added-last": lambda: [L.Dense(3), L.BatchNormalization(), L.Dense(2), L.Dense(2)]
                             }.items():
            sid = f"{'tfkeras' if legacy else 'keras3'}-{fmt}-{name}"
            saved = seq([L.Dense(3), L.BatchNormalization(), L.Dense(2)])
            for v in saved.weights:
                v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
            path = os.path.join(OUT, f"fix_{sid}.{fmt.replace('full.', '')}")
            saved.save(path) if fmt in ("keras", "full.h5") else saved.save_weights(path)
            want_by_position = [np.array(v.numpy()) for v in saved.weights]
            for _ in range(2):  # auto-numbered names drift
                seq([L.Dense(3), L.Dense(2)])
            model = seq(change())
            try:
                code, _ = printed_fix(path, model)
            except Exception as e:
                record(sid, "keras", "", [f"{type(e).__name__}: {e}"], [], [])
                continue
            initial = [np.array(v.numpy()) for v in model.variables]
            if code is None:  # diagnose says the plain call loads everything: check that it does
                code = f"model.load_weights({path!r})\nEXPECTED_MISSING = []"
            ns = {"model": model}
            problems = []
            try:
                exec(code, ns)  # noqa: S102 - the printed fix, verbatim
            except Exception as e:
                problems.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
                record(sid, "keras", code, problems, [], [])
                continue
            keep = set(ns["EXPECTED_MISSING"])
            # the saved model's weights in order, mapped through the change: new layers are the unchanged ones
            new = {"inserted": [2, 3], "renamed-drift": [], "added-last": [8, 9]}[name]
            saved_order = [i for i in range(len(initial)) if i not in new]
            for i, v in enumerate(model.variables):
                got = np.array(v.numpy())
                if i in new:
                    if i not in keep or not np.array_equal(got, initial[i]):
                        problems.append(f"variable {i} ({v.name}) is new: should be left as initialised")
                else:
                    want = want_by_position[saved_order.index(i)]
                    if got.shape != want.shape or not np.allclose(got, want):
                        problems.append(f"variable {i} ({v.name}) not restored")
            if sorted(keep) != new:
                problems.append(f"expected misses {sorted(keep)} are not exactly the new variables {new}")
            record(sid, "keras", code, problems, sorted(keep), [str(i) for i in new])
            RESULTS[sid]["report"] = REPORTS.get(path, "")

    if legacy:
        renamed_head_by_name(keras, L)
        return
    dropouts_and_a_new_head(keras, L)
    keras_model_from_a_pytorch_file(keras)

    class Net(tf.Module):
        def __init__(self, names):
            super().__init__()
            for n in names:
                setattr(self, n, tf.Variable(tf.zeros([4, 3]), name=n))

    saved = Net(("enc", "head"))
    for v in saved.variables:
        v.assign(RNG.standard_normal((4, 3)).astype("float32"))
    path = tf.train.Checkpoint(model=saved).write(os.path.join(OUT, "fix_tf2", "ckpt"))
    model = Net(("enc", "out"))  # nothing proves that `out` was `head`: a partial restore, `out` left as is
    problems = []
    try:
        code, _ = printed_fix(path, model)
        ns = {"model": model}
        exec(code, ns)  # noqa: S102
        if not np.allclose(model.enc.numpy(), saved.enc.numpy()) or np.any(model.out.numpy()):
            problems.append("enc not restored, or out changed")
        if ns["EXPECTED_MISSING"] != [1]:
            problems.append(f"expected misses {ns['EXPECTED_MISSING']} are not exactly the new variable [1]")
    except Exception as e:
        code, problems = locals().get("code", ""), [f"{type(e).__name__}: {e}"]
    record("tf2-module-renamed-attribute", "checkpoint", code, problems, [], [])


def dropouts_and_a_new_head(keras, L) -> None:
    """Keras 3 Dropout layers own seed-generator variables under one path each time: they have no position of
    their own, but they are in model.variables, and the printed fix must count them."""
    sid = "keras3-weights.h5-dropouts-new-head"
    saved = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dropout(0.1), L.Dropout(0.1), L.Dense(2)])
    for v in saved.trainable_weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    path = os.path.join(OUT, f"fix_{sid}.weights.h5")
    saved.save_weights(path)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dropout(0.1), L.Dropout(0.1), L.Dense(2),
                              L.Dense(2, name="new_head")])
    want = [np.array(v.numpy()) for v in saved.trainable_weights]  # the model's first four, in order
    initial = [np.array(v.numpy()) for v in model.trainable_weights]
    problems: list[str] = []
    code, keep = "", []
    try:
        code, _ = printed_fix(path, model)
        ns = {"model": model}
        exec(code, ns)  # noqa: S102 - the printed fix, verbatim
        keep = sorted(ns["EXPECTED_MISSING"])
        for i, v in enumerate(model.trainable_weights):
            target = initial[i] if "new_head" in v.path else want[i]
            if not np.allclose(np.array(v.numpy()), target):
                problems.append(f"{v.path} {'changed' if 'new_head' in v.path else 'not restored'}")
        heads = [i for i, v in enumerate(model.variables) if "new_head" in v.path]
        if keep != heads:
            problems.append(f"expected misses {keep} are not exactly the new head {heads}")
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    record(sid, "keras3", code, problems, keep, [str(i) for i in keep])


def renamed_head_by_name(keras, L) -> None:
    """Loaded by layer name, a head renamed with its shape kept is "renamed or replaced?": the fix must leave it
    initialised (and say so), never give it the old head's values because the shapes fit."""
    sid = "tfkeras-h5-by-name-renamed-head"
    saved = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d1"), L.BatchNormalization(name="bn"),
                              L.Dense(2, name="head")])
    for v in saved.weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    path = os.path.join(OUT, f"fix_{sid}.h5")
    saved.save_weights(path)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d1"), L.BatchNormalization(name="bn"),
                              L.Dense(2, name="new_head")])
    initial = [np.array(v.numpy()) for v in model.variables]
    problems: list[str] = []
    code, keep = "", []
    try:
        code, _ = printed_fix(path, model, load_with="keras-h5-by-name")
        ns = {"model": model}
        exec(code, ns)  # noqa: S102 - the printed fix, verbatim
        keep = sorted(ns["EXPECTED_MISSING"])
        for i, (v, want) in enumerate(zip(model.variables, saved.weights, strict=True)):
            target = initial[i] if i >= 6 else np.array(want.numpy())
            if not np.allclose(np.array(v.numpy()), target):
                problems.append(f"variable {i} ({v.name}) {'changed' if i >= 6 else 'not restored'}")
        if keep != [6, 7]:
            problems.append(f"expected misses {keep} are not exactly the new head [6, 7]")
    except Exception as e:
        problems.append(f"{type(e).__name__}: {e}")
    record(sid, "keras-h5-by-name", code, problems, keep, ["6", "7"])


# --- PyTorch ---------------------------------------------------------------------------------------------------

def torch_family() -> None:
    import torch
    from torch import nn

    def net(extra=False):
        layers = [nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2)] + ([nn.Linear(2, 2)] if extra else [])
        return nn.Sequential(*layers)

    class Compiled(nn.Module):  # what torch.compile's wrapper looks like in a state dict
        def __init__(self, inner):
            super().__init__()
            self._orig_mod = inner

    for sid, (wrap, extra) in {"torch-module-prefix-bn": (nn.DataParallel, False),
                               "torch-orig-mod-prefix-bn": (Compiled, False),
                               "torch-added-layer": (None, True)}.items():
        inner = net()
        with torch.no_grad():
            for t in inner.state_dict().values():
                t.copy_(torch.tensor(RNG.integers(2, 9, tuple(t.shape)) if not t.is_floating_point()
                                     else RNG.standard_normal(tuple(t.shape))))
        saved = wrap(inner) if wrap else inner
        path = os.path.join(OUT, f"{sid}.pt")
        torch.save(saved.state_dict(), path)
        model = net(extra)
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        problems = []
        try:
            code, _ = printed_fix(path, model)
            ns = {"model": model, "torch": torch}
            exec(code, ns)  # noqa: S102 - the printed fix, verbatim
        except Exception as e:
            record(sid, "torch", locals().get("code", ""), [f"{type(e).__name__}: {str(e).splitlines()[0]}"],
                   [], [])
            continue
        keep = set(ns.get("EXPECTED_MISSING", []))
        source = {k: v for k, v in inner.state_dict().items()}
        new = ["3.weight", "3.bias"] if extra else []
        for k, v in model.state_dict().items():
            want = initial[k] if k in new else source.get(k)
            if want is None or not torch.equal(v, want):
                problems.append(f"{k}: {'changed' if k in new else 'not restored'}")
        if sorted(keep) != sorted(new):
            problems.append(f"expected misses {sorted(keep)} are not exactly the new keys {new}")
        record(sid, "torch", code, problems, sorted(keep), new)
    training_checkpoint(torch, nn, net)
    torch_model_from_tf_layouts(torch, nn)


def training_checkpoint(torch, nn, net) -> None:
    """The state dict nested at model/state_dict beside an Adam state (CHGNet's layout), loaded into a wrapped model:
    the fix takes that dict out of what torch.load returns and lists no optimizer state as unused."""
    sid = "torch-training-checkpoint-nested"
    inner = net()
    opt = torch.optim.Adam(inner.parameters())
    inner(torch.randn(2, 4)).sum().backward()
    opt.step()
    path = os.path.join(OUT, f"{sid}.pt")
    torch.save({"model": {"state_dict": inner.state_dict()}, "optimizer": opt.state_dict(), "epoch": 3}, path)
    model = nn.DataParallel(net())
    code, problems = "", []
    try:
        code, _ = printed_fix(path, model)
        exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        problems += [f"{k}: not restored" for k, v in inner.state_dict().items()
                     if not torch.equal(v, model.module.state_dict()[k])]
        if "optimizer" in code:
            problems.append("optimizer state listed in the fix")
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    record(sid, "torch", code, problems, [], [])


def torch_model_from_tf_layouts(torch, nn) -> None:
    """Keras layouts (NumPy, as a port writes them) into a PyTorch model: a conv kernel HWIO -> OIHW by permute, a
    dense kernel by transpose, a one-unit dense kernel [4, 1] by reshape to [1, 4]."""
    sid = "torch-from-keras-layouts-permute-reshape"
    model = nn.Sequential()
    model.add_module("conv", nn.Conv2d(2, 3, (3, 1)))
    model.add_module("fc", nn.Linear(4, 5))
    model.add_module("out", nn.Linear(5, 1))
    want = {k: torch.tensor(RNG.standard_normal(tuple(v.shape)).astype("float32"))
            for k, v in model.state_dict().items()}
    path = os.path.join(OUT, f"{sid}.npz")
    np.savez(path, **{"conv/kernel": want["conv.weight"].numpy().transpose(2, 3, 1, 0),
                      "conv/bias": want["conv.bias"].numpy(), "fc/kernel": want["fc.weight"].numpy().T,
                      "fc/bias": want["fc.bias"].numpy(), "out/kernel": want["out.weight"].numpy().reshape(5, 1),
                      "out/bias": want["out.bias"].numpy()})
    code, problems = "", []
    try:
        code, _ = printed_fix(path, model)
        exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        problems += [f"{k}: not restored" for k, v in model.state_dict().items() if not torch.equal(v, want[k])]
        if "reshape" not in code or "permute" not in code:
            problems.append("the fix names no reshape or no permute")
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    record(sid, "torch", code, problems, [], [])


def keras_model_from_a_pytorch_file(keras) -> None:
    """A Keras 3 model and its values saved as a PyTorch port saves them (Conv2d weight OIHW, Linear weight (out, in),
    a one-unit head (1, 5)); the loader inferred from the file is torch, the fix must still be Keras code: every value
    assigned by position, the conv kernel permuted to HWIO, the kernels transposed or reshaped as paired."""
    from safetensors.numpy import save_file

    sid = "keras3-from-pytorch-file-permute-reshape"
    L = keras.layers

    def build():
        inp = keras.Input((8, 1, 2))
        x = L.Flatten()(L.Conv2D(3, (3, 1), name="conv")(inp))
        return keras.Model(inp, L.Dense(1, name="out")(L.Dense(5, name="fc")(x)))

    source = build()
    for v in source.weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    w = {layer: [np.array(x.numpy()) for x in source.get_layer(layer).weights] for layer in ("conv", "fc", "out")}
    path = os.path.join(OUT, f"{sid}.safetensors")
    save_file({"conv.weight": np.ascontiguousarray(w["conv"][0].transpose(3, 2, 0, 1)), "conv.bias": w["conv"][1],
               "fc.weight": np.ascontiguousarray(w["fc"][0].T), "fc.bias": w["fc"][1],
               "out.weight": w["out"][0].reshape(1, 5), "out.bias": w["out"][1]}, path)
    model = build()
    code, problems = "", []
    try:
        code, _ = printed_fix(path, model)
        if "load_state_dict" in code:
            problems.append("a PyTorch fix for a Keras model")
        exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        problems += [f"{v.path}: not restored" for v, s in zip(model.weights, source.weights, strict=True)
                     if not np.array_equal(np.array(v.numpy()), np.array(s.numpy()))]
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    record(sid, "torch", code, problems, [], [])


def run(family: str) -> None:
    """``family`` as in loaders_oracle.py: keras3 (Keras 3 and TF2 modules), tf (TF1), tfkeras, torch."""
    if family == "tf":
        import tensorflow as tf

        tf1(tf)
    elif family == "keras3":
        import keras
        import tensorflow as tf

        keras_family(keras, tf, legacy=False)
    elif family == "tfkeras":
        import tensorflow as tf
        import tf_keras

        keras_family(tf_keras, tf, legacy=True)
    else:
        torch_family()
    with open(os.path.join(OUT, f"fixes-{family}.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    try:
        run(FAMILY)
    except Exception:
        traceback.print_exc()
        sys.exit(1)


if __name__ == "__main__":
    main()
