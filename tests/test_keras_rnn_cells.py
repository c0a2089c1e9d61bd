"""Keras names a recurrent layer's cell two ways: its variables' paths by the cell's own name (``gru_1/gru_cell/
kernel``), a Keras 3 file by the layer's attribute (``layers/gru_1/cell/vars/0``). Read as two scopes, the GRU layers
of a model with one of four equal blocks removed were no family to weigh (held-out 16): each loaded by its Keras path,
paired as proven, although which block went is in no file (the layer norms beside them were ambiguous already). One
scope now: the GRU layers are weighed with their numbers, and the blocks in doubt are ambiguous, their candidates
the two layers either reading gives. Keras writes the file and describes the model (in a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import ckpt_doctor

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

KERAS = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.path.insert(0, sys.argv[2])
    import numpy as np, keras
    from ckpt_doctor.model.load import load_model

    def net(blocks):
        x_in = keras.Input((6, 8))
        h = keras.layers.Dense(16)(x_in)
        for _ in range(blocks):  # residual GRU blocks, all alike
            h = keras.layers.LayerNormalization()(h + keras.layers.GRU(16, return_sequences=True)(h))
        return keras.Model(x_in, keras.layers.Dense(3)(h))

    keras.utils.set_random_seed(0)
    net(4).save_weights(os.path.join(sys.argv[1], "grunet.weights.h5"))
    keras.backend.clear_session()
    load_model(net(3)).save(os.path.join(sys.argv[1], "model.spec.json"))
    """)


def test_gru_layers_of_equal_blocks_one_removed_are_weighed_with_their_numbers_not_paired_by_path(tmp_path):
    subprocess.run([sys.executable, "-c", KERAS, str(tmp_path), SRC], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    spec = json.loads((tmp_path / "model.spec.json").read_text())
    grus = [v["name"] for v in spec["variables"] if "/gru_cell/" in v["name"]]
    assert grus[:3] == ["gru/gru_cell/kernel", "gru/gru_cell/recurrent_kernel", "gru/gru_cell/bias"], grus
    a = ckpt_doctor.align(str(tmp_path / "grunet.weights.h5"), str(tmp_path / "model.spec.json"))
    ambiguous = {x.model: x.candidates for x in a.ambiguous}
    paired = {p.model for p in a.pairs}
    assert not set(grus) & paired, sorted(set(grus) & paired)  # which block went is in no file
    for name in grus:  # each GRU variable: its own layer's value or the next one's (the file's cell paths)
        layer = name.split("/")[0]
        k = int(layer.split("_")[1]) if "_" in layer else 0
        role = ("kernel", "recurrent_kernel", "bias").index(name.rsplit("/", 1)[1])
        assert ambiguous[name] == [f"layers/{'gru' if n == 0 else f'gru_{n}'}/cell/vars/{role}" for n in (k, k + 1)], \
            (name, ambiguous.get(name))
    assert {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"} <= paired  # stem and head by their names
