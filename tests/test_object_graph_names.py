"""A tf_keras sub-classed tagger saved by ``tf.train.Checkpoint(model=...)``, loaded into a Keras 3 functional
rebuild with a LayerNormalization added (held-out 16): the object paths share nothing (``model/proj`` against
``_operations/4``), and 5 of 8 values were "a single layer under another name". The object graph also records each
value's variable name (``tagger/dense/kernel``), which, under one scope dropped, are the rebuild's names: those
pairs are taken for what the paths leave open. One layer renamed on its own stays the renamed-or-new question in
both views. TensorFlow and Keras run in a child process; the printed fix, run as printed, is checked value by
value against the tagger's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

CHILD = textwrap.dedent("""\
    import json, sys
    import numpy as np, tensorflow as tf, tf_keras, keras
    import ckpt_doctor

    class Tagger(tf_keras.Model):
        def __init__(self):
            super().__init__(name="tagger")
            self.embed = tf_keras.layers.Embedding(40, 12)
            self.encoder = tf_keras.layers.GRU(16, return_sequences=True)
            self.proj = tf_keras.layers.Dense(16, activation="relu")
            self.out = tf_keras.layers.Dense(5)

        def call(self, x):
            return self.out(self.proj(self.encoder(self.embed(x))))

    saved = Tagger()
    saved(tf.constant([[1, 5, 7, 9]]))
    prefix = tf.train.Checkpoint(model=saved).write(sys.argv[1] + "/ckpt-1")
    L = keras.layers
    inp = keras.Input((4,), dtype="int32")
    emb, gru, norm = L.Embedding(40, 12), L.GRU(16, return_sequences=True), L.LayerNormalization()
    proj, out = L.Dense(16, activation="relu"), L.Dense(5)
    model = keras.Model(inp, out(proj(norm(gru(emb(inp))))))
    a = ckpt_doctor.align(prefix, model)
    exec(a.tf2_assign_code(), {"model": model})
    same = [bool(np.array_equal(w.numpy(), v.numpy())) for k, t in ((saved.embed, emb), (saved.encoder, gru),
            (saved.proj, proj), (saved.out, out)) for w, v in zip(k.weights, t.weights, strict=True)]
    print(json.dumps({"pairs": {p.model: p.checkpoint for p in a.pairs}, "ambiguous": [x.model for x in a.ambiguous],
                      "missing": a.missing, "same": same, "said": a.sentences}))
    """)


def test_an_object_graphs_variable_names_pair_what_its_paths_leave_open(tmp_path):
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=600,
                          env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["pairs"]["dense/kernel"] == "model/proj/kernel/.ATTRIBUTES/VARIABLE_VALUE", got
    assert got["pairs"]["dense_1/kernel"] == "model/out/kernel/.ATTRIBUTES/VARIABLE_VALUE", got
    assert len(got["pairs"]) == 8 and not got["ambiguous"], got
    assert sorted(got["missing"]) == ["layer_normalization/beta", "layer_normalization/gamma"], got
    assert len(got["same"]) == 8 and all(got["same"]), got  # the printed fix gives every layer the tagger's values
    assert any("full_name" in s for s in got["said"]), got["said"]


REFACTOR = textwrap.dedent("""\
    import json, sys
    import tensorflow as tf, tf_keras
    import ckpt_doctor

    class Net(tf_keras.Model):
        def __init__(self, name, blocks, head):
            super().__init__(name=name)
            self.blocks = [tf_keras.layers.Dense(8) for _ in range(blocks)]
            self.head_name = head
            setattr(self, head, tf_keras.layers.Dense(3))

        def call(self, x):
            for b in self.blocks:
                x = b(x)
            return getattr(self, self.head_name)(x)

    before = Net("before", 2, "head")
    before(tf.zeros((1, 8)))
    prefix = tf.train.Checkpoint(model=before).write(sys.argv[1] + "/ckpt-1")
    after = Net("after", 2, "out")  # the head's attribute renamed: the same head, or a new one?
    after(tf.zeros((1, 8)))
    a = ckpt_doctor.align(prefix, after)
    print(json.dumps({"pairs": {p.model: p.checkpoint for p in a.pairs}, "ambiguous": [x.model for x in a.ambiguous]}))
    """)


def test_one_layer_renamed_on_its_own_stays_a_question_in_the_names_too(tmp_path):
    """`head` -> `out` by the object paths; by the variable names `before/dense_2` -> `after/dense_5` (auto-numbers
    of another session): one layer renamed alone either way, so ambiguous, while the blocks pair."""
    done = subprocess.run([sys.executable, "-c", REFACTOR, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, env={**ENV, "TF_USE_LEGACY_KERAS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(got["ambiguous"]) == sorted(n for n in ("after/dense_5/kernel", "after/dense_5/bias")), got
    assert got["pairs"]["after/dense_3/kernel"] == "model/blocks/0/kernel/.ATTRIBUTES/VARIABLE_VALUE", got


PATHS = textwrap.dedent("""\
    import json, sys
    import numpy as np, tensorflow as tf, tf_keras, torch
    import ckpt_doctor

    class Attend(tf_keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.to_q = tf_keras.layers.Dense(16, use_bias=False)
            self.norm_q = tf_keras.layers.BatchNormalization()
            self.to_k = tf_keras.layers.Dense(8, use_bias=False)
            self.to_v = tf_keras.layers.Dense(8, use_bias=False)

        def call(self, x):
            return tf.concat([self.norm_q(self.to_q(x)), self.to_k(x) * self.to_v(x)], axis=-1)

    saved = tf_keras.Sequential([tf_keras.layers.Dense(12), Attend()])
    saved(tf.zeros((1, 6)))
    prefix = tf.train.Checkpoint(model=saved).write(sys.argv[1] + "/ckpt-1")

    class Lam(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.to_q = torch.nn.Linear(12, 16, bias=False)
            self.norm_q = torch.nn.BatchNorm1d(16)
            self.to_k = torch.nn.Linear(12, 8, bias=False)
            self.to_v = torch.nn.Linear(12, 8, bias=False)

    twin = torch.nn.Module()
    twin.stem, twin.lam = torch.nn.Linear(6, 12), Lam()
    a = ckpt_doctor.align(prefix, twin)
    exec(a.torch_code(), {"model": twin})
    attend = saved.layers[1]
    same = [bool(np.array_equal(getattr(twin.lam, n).weight.detach().numpy(), getattr(attend, n).kernel.numpy().T))
            for n in ("to_q", "to_k", "to_v")]
    print(json.dumps({"pairs": {p.model: p.checkpoint for p in a.pairs}, "ambiguous": [x.model for x in a.ambiguous],
                      "same": same}))
    """)


def test_an_object_graphs_paths_pair_what_its_auto_numbered_names_leave_open(tmp_path):
    """The other way round (held-out 19's lambda-networks layer into PyTorch): a name-based model reads the graph's
    variable names, Keras' auto-numbers (`attend/dense_2`, `dense_3` for `to_k`, `to_v`, equal in shape), which tied;
    the object paths (`.../to_k/kernel`) pair them by the attributes' own names."""
    done = subprocess.run([sys.executable, "-c", PATHS, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, env={**ENV, "TF_USE_LEGACY_KERAS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["pairs"]["lam.to_k.weight"].startswith("model/layer_with_weights-1/to_k/kernel"), got
    assert got["pairs"]["lam.to_v.weight"].startswith("model/layer_with_weights-1/to_v/kernel"), got
    assert not got["ambiguous"] and all(got["same"]), got
