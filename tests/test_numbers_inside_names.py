"""A number glued to a word inside a layer's name (keras-unet-collection's ``unet_up0_decode_bn``: decoder level 0,
found by held-out 25). A level inserted at the bottom of a U-Net moves every decoder level up by one
(``unet_up0_*`` -> ``unet_up1_*``); each level holds three BatchNormalizations of one width, so only the levels'
numbers tell them apart. A ``.keras`` file keeps the layers' names (its config) beside class-numbered paths
(``layers/batch_normalization_6``), which Keras 3 loads by. Keras 3 writes the file, describes the new model, and
runs the fix ``align`` prints, verbatim: every decoder value lands in the level it came from (a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import ckpt_doctor

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

CHILD = textwrap.dedent("""\
    import json, sys
    import numpy as np, keras
    from ckpt_doctor.model.load import load_model
    out, mode = sys.argv[1], sys.argv[2]
    L = keras.layers

    def unet(widths):  # the decoder's levels are numbered from the bottom: `net_up0` is the deepest
        i = keras.Input((16, 16, 3))
        x, skips = i, []
        for k, w in enumerate(widths):
            x = L.Conv2D(w, 3, padding="same", name=f"net_down{k}_conv")(x)
            x = L.BatchNormalization(name=f"net_down{k}_bn")(x)
            skips.append(x)
            x = L.MaxPooling2D(name=f"net_down{k}_pool")(x) if k < len(widths) - 1 else x
        for k, w in enumerate(reversed(widths[:-1])):
            x = L.Conv2DTranspose(w, 2, strides=2, name=f"net_up{k}_decode_trans_conv")(x)
            x = L.BatchNormalization(name=f"net_up{k}_decode_bn")(x)
            x = L.Conv2D(w, 3, padding="same", name=f"net_up{k}_before_concat_conv")(x)
            x = L.BatchNormalization(name=f"net_up{k}_before_concat_bn")(x)
            x = L.Concatenate(name=f"net_up{k}_concat")([x, skips[-2 - k]])
            x = L.Conv2D(w, 3, padding="same", name=f"net_up{k}_after_concat_conv")(x)
            x = L.BatchNormalization(name=f"net_up{k}_after_concat_bn")(x)
        return keras.Model(i, L.Conv2D(2, 1, name="net_output")(x))

    if mode == "write":
        old = unet([4, 8, 16])
        rng = np.random.default_rng(3)
        for v in old.weights:
            v.assign(rng.uniform(0.5, 1.5, tuple(v.shape)).astype("float32"))
        old.save(out + "/old.keras")
        load_model(unet([4, 8, 16, 32])).save(out + "/new.spec.json")  # a level of 32 added at the bottom
        json.dump({v.path: v.numpy().tolist() for v in old.weights}, open(out + "/old.json", "w"))
    else:  # the printed fix, run verbatim on a fresh new model: which layer holds which old layer's values
        new = unet([4, 8, 16, 32])
        exec(open(sys.argv[3]).read(), {"model": new})
        old = json.load(open(out + "/old.json"))
        found = {}
        for v in new.weights:
            hit = [p for p, x in old.items() if np.shape(x) == tuple(v.shape) and np.array_equal(x, v.numpy())]
            found[v.path] = hit[0] if hit else None
        print(json.dumps(found))
    """)


def _child(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("unet_levels")
    _child(str(out), "write")
    return out


def test_a_level_inserted_moves_each_decoder_level_by_its_number_inside_the_names(files):
    a = ckpt_doctor.align(str(files / "old.keras"), str(files / "new.spec.json"))
    assert not a.ambiguous, a.ambiguous
    decoder = {p.model: p.checkpoint for p in a.pairs if "_up" in p.model}
    # the old decoder's two levels (widths 8, 4) are the new one's levels 1 and 2; level 0 (width 16) is new, and
    # so is the encoder's new bottom level
    assert len(decoder) == 2 * (3 * 2 + 3 * 4) and all(m.startswith(("net_up1_", "net_up2_")) for m in decoder)
    assert all(m.startswith(("net_up0_", "net_down3_")) for m in a.missing), a.missing
    code = files / "fix.py"
    code.write_text(a.tf2_assign_code())
    found = json.loads(_child(str(files), "fix", str(code)))
    old = json.loads((files / "old.json").read_text())
    # Keras 3 itself: each decoder layer of levels 1 and 2 holds the values of the old level one lower
    for path, source in found.items():
        name = path.split("/")[0]
        if name.startswith(("net_up1_", "net_up2_")):
            level = int(name[len("net_up")])
            assert source is not None and source.startswith(f"net_up{level - 1}_{name[len('net_up1_'):]}"), \
                (path, source)
    assert sum(s is not None for s in found.values()) == len(a.pairs) and len(old) == len(a.pairs) + len(a.unused)
