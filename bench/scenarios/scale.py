"""How alignment time grows: two synthetic N-variable sides with a renamed scope and shifted suffixes.

    .venv/bin/python bench/scenarios/scale.py                 # in-memory Catalog vs ModelSpec, N = 1k .. 1M
    .venv/bin/python bench/scenarios/scale.py --files         # also end to end: a real TF checkpoint (written
                                                              #   by tf.raw_ops.SaveV2 in a subprocess, cached)
                                                              #   and a JSON spec, ckpt_doctor.align(path, path)
    .venv/bin/python bench/scenarios/scale.py --sizes 1000,10000 --json
    .venv/bin/python bench/scenarios/scale.py --case scopes   # every block renamed on its own: N/20 scope rules

The checkpoint holds layers ``old_scope/block_{k//10}/dense[_k]/{kernel,bias}`` (Keras-style numbering: ``dense``,
``dense_1``, ...); the model is ``new_scope/...`` with one layer inserted in the middle, so every later suffix is
shifted by one (``dense_k`` -> ``dense_{k+1}``) and the inserted layer is new. Shapes repeat a lot (names must do
the work). N counts model variables. The truth is known by construction, so precision and recall are printed
per size too, beside the incumbent in the same run: pairing by exact name, as the frameworks' restore calls do (its
time and recall). Goals (issue 9): N = 100k in < 2 s and 1M in < 30 s, growth no worse than n log n
(time(1M) / time(1k) at most ~2000); one search path for every size (no sampling).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CACHE = os.path.normpath(os.path.join(HERE, "..", ".cache", "scale"))
sys.path.insert(0, HERE)
if os.path.join(ROOT, "src") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "src"))

import score  # noqa: E402

SIZES = (1_000, 10_000, 100_000, 1_000_000)
GOALS = {100_000: 2.0, 1_000_000: 30.0}  # issue 9: seconds at these sizes (in memory), on the project machine


def _dense(k: int) -> str:
    return "dense" if k == 0 else f"dense_{k}"


def _shape(k: int) -> tuple[int, int]:
    return (k % 17) + 2, ((k * 7) % 13) + 2


def synthetic(n_model_vars: int):
    """(checkpoint entries, model variables, truth) as plain tuples: [(name, shape)], [(name, shape)], truth."""
    layers = n_model_vars // 2 - 1  # the model has one more (inserted) layer
    inserted = layers // 2
    ckpt, model, pairs = [], [], []
    new_vars = []
    for k in range(layers):
        block = f"block_{k // 10}"
        i, o = _shape(k)
        knew = k if k < inserted else k + 1
        if k == inserted:  # the new layer sits right before the old layer `inserted`, in the same block
            ni, no = _shape(10_000 + k)
            for var, shape in (("kernel", (ni, no)), ("bias", (no,))):
                name = f"new_scope/{block}/{_dense(k)}/{var}"
                model.append((name, shape))
                new_vars.append(name)
        for var, shape in (("kernel", (i, o)), ("bias", (o,))):
            c = f"old_scope/{block}/{_dense(k)}/{var}"
            m = f"new_scope/{block}/{_dense(knew)}/{var}"
            ckpt.append((c, shape))
            model.append((m, shape))
            pairs.append({"model": m, "checkpoint": c, "transform": None})
    truth = {"pairs": pairs, "missing": new_vars, "unused": [], "ambiguous_ok": [], "ignore_model": []}
    return ckpt, model, truth


def synthetic_scopes(n_model_vars: int):
    """Every block renamed on its own (``old_scope/block_b/`` -> ``new_scope/unit_b_x/``): one scope rule per ten
    layers, so N/20 rules; rule sets this large are where a scan of every rule per name is quadratic."""
    ckpt, model, pairs = [], [], []
    for k in range(n_model_vars // 2):
        i, o = _shape(k)
        for var, shape in (("kernel", (i, o)), ("bias", (o,))):
            c = f"old_scope/block_{k // 10}/{_dense(k)}/{var}"
            m = f"new_scope/unit_{k // 10}_x/{_dense(k)}/{var}"
            ckpt.append((c, shape))
            model.append((m, shape))
            pairs.append({"model": m, "checkpoint": c, "transform": None})
    return ckpt, model, {"pairs": pairs, "missing": [], "unused": [], "ambiguous_ok": [], "ignore_model": []}


CASES = {"shift": synthetic, "scopes": synthetic_scopes}


def in_memory(ckpt, model):
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    tensors = {name: TensorInfo(name=name, dtype="float32", shape=shape, nbytes=4 * math.prod(shape))
               for name, shape in sorted(ckpt)}
    catalog = Catalog("<synthetic>", "tf-v2", tensors)
    spec = ModelSpec([VariableSpec(name=n, shape=s, dtype="float32", index=i) for i, (n, s) in enumerate(model)],
                     framework="tf1", restore="name", source="<synthetic>")
    return catalog, spec


_WRITER = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
prefix, listing = sys.argv[1], sys.argv[2]
with open(listing) as f:
    entries = json.load(f)
names = [n for n, _ in entries]
tensors = [tf.constant(np.full(s, i % 97, np.float32)) for i, (_, s) in enumerate(entries)]
tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
"""


def files_for(n: int, ckpt, model) -> tuple[str, str]:
    """A real TF V2 checkpoint (SaveV2) and a JSON spec for size n, cached."""
    d = os.path.join(CACHE, str(n))
    prefix, spec_path = os.path.join(d, "model.ckpt"), os.path.join(d, "model.spec.json")
    if not (os.path.isfile(prefix + ".index") and os.path.isfile(spec_path)):
        os.makedirs(d, exist_ok=True)
        listing = os.path.join(d, "entries.json")
        with open(listing, "w") as f:
            json.dump([[name, list(shape)] for name, shape in ckpt], f)
        py = os.path.join(ROOT, ".venv", "bin", "python")
        subprocess.run([py if os.path.exists(py) else sys.executable, "-c", _WRITER, prefix, listing], check=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        _, spec = in_memory([], model)
        spec.save(spec_path)
    return prefix, spec_path


def timed(fn, repeats: int) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def result_of(a) -> dict:
    return {"pairs": [(p.model, p.checkpoint, p.transform) for p in a.pairs],
            "ambiguous": [(x.model, list(x.candidates)) for x in a.ambiguous], "missing": list(a.missing),
            "unused": list(a.unused)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--files", action="store_true", help="also time align(checkpoint path, spec path)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--case", choices=sorted(CASES), default="shift",
                    help="shift: one renamed scope, suffixes shifted (default); scopes: every block renamed on its own")
    args = ap.parse_args(argv)
    import ckpt_doctor
    from ckpt_doctor.match.compare import LOADED, compare

    if not callable(getattr(ckpt_doctor, "align", None)):
        print("ckpt_doctor.align does not exist yet", file=sys.stderr)
        return 2
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        ckpt, model, truth = CASES[args.case](n)
        catalog, spec = in_memory(ckpt, model)
        repeats = max(1, min(5, 30_000 // n))
        seconds, a = timed(functools.partial(ckpt_doctor.align, catalog, spec), repeats)
        # the incumbent: pairing by exact name, as the frameworks' restore calls do (ckpt-doctor's compare)
        exact_seconds, d = timed(functools.partial(compare, catalog, spec), repeats)
        s = score.score_result(truth, result_of(a))
        row = {"n_model": len(model), "n_checkpoint": len(ckpt), "seconds": seconds, "repeats": repeats,
               "precision": s["precision"], "recall": s["recall"], "wrong": s["wrong"],
               "rules": len(a.to_json().get("rules", [])), "exact_seconds": exact_seconds,
               "exact_recall": len(d.weights(LOADED)) / max(1, len(truth["pairs"]))}
        if args.files:
            prefix, spec_path = files_for(n, ckpt, model)
            row["open_seconds"], _ = timed(functools.partial(ckpt_doctor.open_checkpoint, prefix), repeats)
            row["files_seconds"], _ = timed(functools.partial(ckpt_doctor.align, prefix, spec_path), repeats)
        rows.append(row)
        if not args.json:
            extra = (f"  end-to-end from files {row['files_seconds']:7.3f}s (open {row['open_seconds']:.3f}s)"
                     if args.files else "")
            print(f"N={row['n_model']:>7d}  align {seconds:7.3f}s  P={s['precision']:.1%} R={s['recall']:.1%} "
                  f"wrong={s['wrong']} rules={row['rules']}  | exact-name pairing {exact_seconds:6.3f}s "
                  f"R={row['exact_recall']:.1%} (align / exact: {seconds / exact_seconds:.1f}x){extra}", flush=True)
    base = rows[0]
    for r in rows:
        r["ratio_vs_first"] = r["seconds"] / base["seconds"] if base["seconds"] else math.inf
        r["linear_ratio"] = r["n_model"] / base["n_model"]
    last = rows[-1]
    goals = {r["n_model"]: (r["seconds"], GOALS[g]) for r in rows for g in GOALS if abs(r["n_model"] - g) <= 2}
    summary = {"rows": rows, "goals": {str(n): {"seconds": t, "goal": g} for n, (t, g) in goals.items()},
               "goals_met": all(t < g for t, g in goals.values()),
               "growth": last["ratio_vs_first"], "linear_growth": last["linear_ratio"]}
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"time(N={last['n_model']}) / time(N={base['n_model']}) = {last['ratio_vs_first']:.1f} "
              f"(linear: {last['linear_ratio']:.0f}, n log n: "
              f"{last['linear_ratio'] * math.log(last['n_model']) / math.log(base['n_model']):.0f})")
        for n, (t, g) in goals.items():
            print(f"goal N={n}: {t:.2f} s < {g:.0f} s: {'met' if t < g else 'NOT met'}")
    return 0 if summary["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
