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
