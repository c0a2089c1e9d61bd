#!/usr/bin/env python
"""Oracle for tests/test_prefer_names.py: stacks of equal numbered blocks that grew or shrank, saved and restored
with the real frameworks (torch, Keras 3 with keras-tcn 3.5.6), and what ckpt-doctor's printed fixes and
``restore-check`` do with and without ``--prefer-names``.

    python tests/prefer_names_oracle.py OUTDIR   # writes OUTDIR/prefer_names.json

Files in OUTDIR: ``blocks.py`` (torch: Linear -> Sequential of n equal Linear(8, 8) -> Linear; ``four``: one block
more at the end; ``two``: one fewer), ``three.pt`` (its 3-block state_dict), ``tcn_models.py`` (keras-tcn
TCN(dilations) -> Dense head; ``more``: [1,2,4,8], ``fewer``: [1,2]), ``tcn.weights.h5`` (Keras 3 ``save_weights``
of dilations [1,2,4]) and a spec per changed model. Every builder seeds its framework, so two builds start from the
same values: a fix is right when it leaves the model exactly as the framework's own load call leaves it.

The must-abstain case: ``middle.pt`` is the 3-block model with its MIDDLE block deleted (what the user did); the
user's 2-block model is ``two``, whose files say the same as the end case. The JSON records whether the block that
``--prefer-names`` pairs by name holds the value the truth holds there (it does not: the names mislead).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
sys.path.insert(0, OUT)
RESULT: dict = {}

BLOCKS = '''
import torch


def net(n=3):
    torch.manual_seed(n)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Sequential(*[torch.nn.Linear(8, 8) for _ in range(n)]),
                               torch.nn.Linear(8, 2))


def four():
    return net(4)


def two():
    return net(2)
'''

TCN = '''
import keras
from tcn import TCN


def build(dilations=(1, 2, 4)):
    keras.utils.set_random_seed(len(dilations))
    inp = keras.Input((20, 3))
    x = TCN(nb_filters=8, kernel_size=3, dilations=list(dilations), return_sequences=False, name="tcn")(inp)
    return keras.Model(inp, keras.layers.Dense(1, name="head")(x))


def more():
    return build((1, 2, 4, 8))


def fewer():
    return build((1, 2))
'''


def cli(*argv: str) -> tuple[int, str]:
    from ckpt_doctor.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def printed_fix(ckpt: str, model: str, *options: str) -> str | None:
    """The code under "Fix (...):" in `ckpt-doctor align CKPT --model M [options]`, dedented: what a user copies
    (None: no fix printed)."""
    _, text = cli("align", ckpt, "--model", model, *options)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Fix (")), None)
    return None if start is None else "\n".join(line[2:] for line in lines[start + 1:])


def restore_check(ckpt: str, model: str, *options: str) -> dict:
    code, text = cli("restore-check", ckpt, "--model", model, "--json", *options)
    doc = json.loads(text)
    return {"exit": code, "counts": doc["counts"], "notes": doc["notes"],
            "verified": sorted(v["name"] for v in doc["variables"] if v["status"] == "verified")}


def compare(name: str, fixed: dict, framework: dict, initial: dict) -> dict:
    """Weights by name after a fix, after the framework's own load, and as built: does the fix leave the model as
    the framework's load does, and which weights hold saved values (differ from their initial values)."""
    return {"weights": len(initial), "same_as_framework": all(np.array_equal(fixed[k], framework[k]) for k in initial),
            "saved": sorted(k for k in initial if not np.array_equal(fixed[k], initial[k])),
            "framework_saved": sorted(k for k in initial if not np.array_equal(framework[k], initial[k]))}


def fix_runs(ckpt: str, model_arg: str, case: str, build, state, framework: dict, initial: dict) -> dict:
    """For the default and for --prefer-names: the printed fix run verbatim on a fresh model (compared with the
    framework's own load) and restore-check's count; and restore-check with --rules none."""
    runs = {}
    for label, options in (("default", ()), ("prefer", ("--prefer-names",))):
        model = build()
        code = printed_fix(ckpt, model_arg, *options)
        if code is not None:
            exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        runs[label] = {"fix": code and compare(case, state(model), framework, initial), "code": code,
                       "restore_check": restore_check(ckpt, model_arg, *options)}
    runs["none"] = {"restore_check": restore_check(ckpt, model_arg, "--rules", "none")}
    return runs


def torch_part() -> None:
    import torch

    with open(os.path.join(OUT, "blocks.py"), "w") as f:
        f.write(BLOCKS)
    import blocks

    from ckpt_doctor.model.load import load_model

    saved = blocks.net(3)
    for i, p in enumerate(saved.parameters()):  # values no initializer gives, each block its own
        p.data = torch.randn(p.shape, generator=torch.Generator().manual_seed(i)) * 3
    ckpt = os.path.join(OUT, "three.pt")
    torch.save(saved.state_dict(), ckpt)
    middle = blocks.net(3)
    middle.load_state_dict(saved.state_dict())
    del middle[1][1]  # the user removed the middle block: its keys renumber (1.1 now holds the old 1.2)
    truth = {k: v.detach().numpy().copy() for k, v in middle.state_dict().items()}
    torch.save(middle.state_dict(), os.path.join(OUT, "middle.pt"))  # what the user's training would have saved
    model_of = os.path.join(OUT, "blocks.py")

    def state(m) -> dict:
        return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}

    for case in ("four", "two"):
        build = getattr(blocks, case)
        load_model(build()).save(os.path.join(OUT, f"{case}.spec.json"))
        initial = state(build())
        framework = build()
        framework.load_state_dict(torch.load(ckpt), strict=False)  # the framework's own by-name load
        runs = fix_runs(ckpt, f"{model_of}:{case}", case, build, state, state(framework), initial)
        fixed = os.path.join(OUT, f"{case}.pt")
        code, _ = cli("align", ckpt, "--model", f"{model_of}:{case}", "--prefer-names", "--rewrite", fixed)
        if os.path.exists(fixed):  # complete alignments only: the rewritten file, loaded by the framework
            model = build()
            model.load_state_dict(torch.load(fixed), strict=False)
            runs["prefer"]["rewrite"] = {"exit": code, "fix": compare(case, state(model), state(framework), initial)}
        if case == "two":  # every weight loaded by the framework: check_restored / assert_restored agree by choice
            import ckpt_doctor
            import ckpt_doctor.testing

            runs["check_restored"] = {label: ckpt_doctor.check_restored(framework, ckpt, prefer_names=flag).ok
                                      for label, flag in (("default", False), ("prefer", True))}
            try:
                ckpt_doctor.testing.assert_restored(framework, ckpt, prefer_names=True)
                runs["assert_restored"] = "passed"
            except AssertionError as e:
                runs["assert_restored"] = str(e)
        RESULT[f"torch_{case}"] = runs
    # the middle block removed: --prefer-names pairs by name, and the names mislead
    model = blocks.two()
    exec(printed_fix(ckpt, f"{model_of}:two", "--prefer-names"), {"model": model})  # noqa: S102
    got = state(model)
    RESULT["torch_middle"] = {"holds_truth": {k: bool(np.array_equal(got[k], truth[k])) for k in truth}}


def keras_part() -> None:
    import keras

    with open(os.path.join(OUT, "tcn_models.py"), "w") as f:
        f.write(TCN)
    import tcn_models

    from ckpt_doctor.model.load import load_model

    saved = tcn_models.build()
    rng = np.random.default_rng(0)
    for v in saved.weights:
        v.assign(rng.standard_normal(v.shape).astype("float32") * 3)
    ckpt = os.path.join(OUT, "tcn.weights.h5")
    saved.save_weights(ckpt)
    model_of = os.path.join(OUT, "tcn_models.py")

    def state(m) -> dict:
        return {v.path: np.array(v.numpy()) for v in m.weights}

    for case in ("more", "fewer"):
        build = getattr(tcn_models, case)
        load_model(build()).save(os.path.join(OUT, f"tcn_{case}.spec.json"))
        initial = state(build())
        framework = build()
        error = None
        try:  # the framework's own load: Keras 3 loads every value it finds by path, then raises for the rest
            with contextlib.redirect_stderr(io.StringIO()):
                framework.load_weights(ckpt)
        except ValueError as e:
            error = str(e).splitlines()[0]
        runs: dict = {"load_weights_error": error,
                      **fix_runs(ckpt, f"{model_of}:{case}", case, build, state, state(framework), initial)}
        fixed = os.path.join(OUT, f"tcn_{case}.weights.h5")
        code, _ = cli("align", ckpt, "--model", f"{model_of}:{case}", "--prefer-names", "--rewrite", fixed)
        if os.path.exists(fixed):  # complete alignments only: the rewritten file, loaded by the framework
            model = build()
            model.load_weights(fixed)
            runs["prefer"]["rewrite"] = {"exit": code, "fix": compare(case, state(model), state(framework), initial)}
        RESULT[f"tcn_{case}"] = runs
    RESULT["keras"] = keras.__version__


torch_part()
keras_part()
with open(os.path.join(OUT, "prefer_names.json"), "w") as f:
    json.dump(RESULT, f, indent=1)
