"""The same word swapped in several layers' names is one renaming, not layers replaced one by one (held-out 20: a
two-tower model's ``item_tower`` and ``user_tower`` became ``item_encoder`` and ``user_encoder``, one layer added).
Each was "a single layer under another name, next to layers that load by name: renamed, or replaced?", 4 values
ambiguous. A word swapped alike under two scopes, the rest of the names spelled alike, pairs; a layer renamed on its
own stays the question. TensorFlow writes the checkpoint and runs the printed fix in a child process; every value is
checked against the saved model's. With both towers of one shape the renamings tied (each tower's values fit
either new name): the words the names share as spelled break the tie."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

CHILD = textwrap.dedent("""\
    import json, sys
    import numpy as np, tensorflow as tf
    import ckpt_doctor

    class Dense(tf.Module):
        def __init__(self, n, m, seed):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.kernel = tf.Variable(rng.standard_normal((n, m), dtype=np.float32))
            self.bias = tf.Variable(rng.standard_normal(m, dtype=np.float32))

    rows = int(sys.argv[2])  # the user tower's input width: 5, or 6 as the item tower's (equal shapes)

    class Old(tf.Module):
        def __init__(self, seed):
            super().__init__()
            self.item_tower, self.user_tower = Dense(6, 4, seed), Dense(rows, 4, seed + 1)
            self.head = Dense(8, 1, seed + 2)
            self.norm_scale = tf.Variable(np.ones(8, np.float32))

    class New(tf.Module):
        def __init__(self, seed, lone):
            super().__init__()
            self.item_encoder, self.user_encoder = Dense(6, 4, seed), Dense(rows, 4, seed + 1)
            setattr(self, lone, Dense(8, 1, seed + 2))
            self.fusion = Dense(8, 8, seed + 3)  # new
            self.norm_scale = tf.Variable(np.zeros(8, np.float32))

    old = Old(0)
    prefix = tf.train.Checkpoint(model=old).write(sys.argv[1] + "/ckpt")
    saved = {v.name + str(i): v.numpy() for i, v in enumerate(old.variables)}
    out = {}
    for lone in ("head", "scorer"):
        new = New(10, lone)
        a = ckpt_doctor.align(prefix, new)
        exec(a.tf2_assign_code(), {"model": new})
        same = {"item": [np.array_equal(x.numpy(), y.numpy()) for x, y in ((new.item_encoder.kernel,
                old.item_tower.kernel), (new.item_encoder.bias, old.item_tower.bias))],
                "user": [np.array_equal(x.numpy(), y.numpy()) for x, y in ((new.user_encoder.kernel,
                old.user_tower.kernel), (new.user_encoder.bias, old.user_tower.bias))]}
        out[lone] = {"pairs": {p.model: p.checkpoint for p in a.pairs}, "ambiguous": [x.model for x in a.ambiguous],
                     "missing": a.missing, "same": same}
    print(json.dumps(out))
    """)


@pytest.mark.parametrize("rows", [5, 6], ids=["shapes-apart", "shapes-equal"])
def test_a_word_swapped_in_two_layers_names_pairs_both(tmp_path, rows):
    """With equal shapes, `item_tower` -> `user_encoder` explains as many values as `item_tower` -> `item_encoder`:
    the word `item`, spelled in both names (one token each, `itemtower`, `itemencoder`), decides the tie."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), str(rows)], capture_output=True, text=True,
                          timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    kept = got["head"]
    attr = "/.ATTRIBUTES/VARIABLE_VALUE"
    assert kept["pairs"] == {**{f"{side}_encoder/{v}": f"model/{side}_tower/{v}{attr}" for side in ("item", "user")
                                for v in ("kernel", "bias")},
                             "head/kernel": f"model/head/kernel{attr}", "head/bias": f"model/head/bias{attr}",
                             "norm_scale": f"model/norm_scale{attr}"}, kept
    assert all(kept["same"]["item"]) and all(kept["same"]["user"]), kept  # the printed fix gave each its values
    assert sorted(kept["missing"]) == ["fusion/bias", "fusion/kernel"] and not kept["ambiguous"], kept
    # beside them, a layer renamed on its own (`head` -> `scorer`) is no swap of a word other layers share
    lone = got["scorer"]
    assert all(lone["same"]["item"]) and all(lone["same"]["user"]), lone
    assert not any(m.startswith("scorer/") for m in lone["pairs"]), lone
