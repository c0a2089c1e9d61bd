"""Score the alignment engine on every scenario: precision, recall, ambiguity, per scenario and in total.

    .venv/bin/python bench/scenarios/score.py                 # ckpt_doctor.align on all scenarios
    .venv/bin/python bench/scenarios/score.py --baseline exact  # the frameworks' own exact-name restore
    .venv/bin/python bench/scenarios/score.py --engine cli    # `ckpt-doctor align CKPT --model SPEC --json`
    .venv/bin/python bench/scenarios/score.py --json --only ID,ID -v

Missing scenarios are generated first (make.py, in a subprocess). The engine gets only the checkpoint path and
the model spec path; truth.json is read by the scorer alone.

Counting (per scenario, then summed):

* a *proposal* is an entry of ``pairs`` (exact matches included); proposals for model variables that are
  bookkeeping in the truth (``ignore_model``: ``num_batches_tracked``, optimizer state) are not counted;
* a proposal is **correct** only if model name, checkpoint key and transform all equal a truth pair
  (transforms compared after normalisation: None = "" = "identity" = permute(0,1,..);
  "transpose" = "permute(1,0)" for 2-D; and two transforms that move every element of the checkpoint tensor to
  the same place are equal, e.g. on a 1-D bias "transpose" = none); anything else is **wrong**, including any
  pair proposed for a variable in ``ambiguous_ok`` that differs from the truth and any pair for a truly missing
  variable;
* ``ambiguous`` entries are not proposals (never wrong, never correct);
* precision = correct / proposed (100% when nothing is proposed);
  recall = correct proposals for *decidable* true pairs / decidable true pairs, where decidable excludes
  ``ambiguous_ok`` variables (no algorithm can know them; a correct guess for one counts in precision only).

Goals (issue 4): zero wrong pairs anywhere (precision 100%) and total recall >= 95%. Exit 0 if met, 1 if not
(a scenario that raises, or that cannot be read because no reader exists for its format yet, fails the goals
unless --allow-skipped), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", ".cache", "scenarios"))
RECALL_GOAL = 0.95

sys.path.insert(0, HERE)
if os.path.isdir(os.path.join(ROOT, "src", "ckpt_doctor")) and os.path.join(ROOT, "src") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "src"))

import heldout2  # noqa: E402
import heldout3  # noqa: E402
import heldout4  # noqa: E402
import heldout5  # noqa: E402
import heldout6  # noqa: E402
import heldout7  # noqa: E402
import heldout8  # noqa: E402
import heldout9  # noqa: E402
import heldout10  # noqa: E402
import heldout11  # noqa: E402
import heldout12  # noqa: E402
import heldout13  # noqa: E402
import heldout14  # noqa: E402
import heldout15  # noqa: E402
import heldout16  # noqa: E402
import heldout17  # noqa: E402
import heldout18  # noqa: E402
import heldout19  # noqa: E402
import heldout20  # noqa: E402
import heldout21  # noqa: E402
import heldout22  # noqa: E402
import heldout23  # noqa: E402
import heldout24  # noqa: E402
import heldout25  # noqa: E402
import heldout26  # noqa: E402
import heldout27  # noqa: E402
import heldout28  # noqa: E402
import heldout29  # noqa: E402
import heldout30  # noqa: E402
import heldout31  # noqa: E402
import heldout32  # noqa: E402
import heldout33  # noqa: E402
import heldout34  # noqa: E402
import heldout35  # noqa: E402
import heldout36  # noqa: E402
import heldout37  # noqa: E402
import heldout38  # noqa: E402
import heldout39  # noqa: E402
import heldout40  # noqa: E402
import heldout41  # noqa: E402
import heldout42  # noqa: E402
import heldout43  # noqa: E402
import heldout44  # noqa: E402
import heldout45  # noqa: E402
import heldout46  # noqa: E402
import heldout47  # noqa: E402
import heldout48  # noqa: E402
import heldout49  # noqa: E402
import heldout50  # noqa: E402
import heldout51  # noqa: E402
import heldout52  # noqa: E402
import heldout53  # noqa: E402
import heldout54  # noqa: E402
import thirdparty  # noqa: E402
from registry import BY_ID as _CONSTRUCTED_BY_ID  # noqa: E402
from registry import SCENARIOS  # noqa: E402

# Parts scored separately: the constructed scenarios (registry.py), the third-party ones (thirdparty.py) and their
# held-out share (scored only with --part heldout).
PARTS = {"constructed": [s.id for s in SCENARIOS],
         "thirdparty": [s.id for s in thirdparty.SCENARIOS if not s.heldout],
         "heldout": [s.id for s in thirdparty.SCENARIOS if s.heldout],
         "heldout2": [s.id for s in heldout2.SCENARIOS],  # a second held-out set (heldout2.py), scored once
         "heldout3": [s.id for s in heldout3.SCENARIOS],  # a third (heldout3.py), scored once
         "heldout4": [s.id for s in heldout4.SCENARIOS],  # a fourth (heldout4.py), scored once
         "heldout5": [s.id for s in heldout5.SCENARIOS],  # a fifth (heldout5.py), scored once
         "heldout6": [s.id for s in heldout6.SCENARIOS],  # a sixth (heldout6.py), scored once
         "heldout7": [s.id for s in heldout7.SCENARIOS],  # a seventh (heldout7.py), scored once
         "heldout8": [s.id for s in heldout8.SCENARIOS],  # an eighth (heldout8.py), scored once
         "heldout9": [s.id for s in heldout9.SCENARIOS],  # a ninth (heldout9.py), scored once
         "heldout10": [s.id for s in heldout10.SCENARIOS],  # a tenth (heldout10.py), scored once
         "heldout11": [s.id for s in heldout11.SCENARIOS],  # an eleventh (heldout11.py), scored once
         "heldout12": [s.id for s in heldout12.SCENARIOS],  # a twelfth (heldout12.py), scored once
         "heldout13": [s.id for s in heldout13.SCENARIOS],  # a thirteenth (heldout13.py), scored once
         "heldout14": [s.id for s in heldout14.SCENARIOS],  # a fourteenth (heldout14.py), scored once
         "heldout15": [s.id for s in heldout15.SCENARIOS],  # a fifteenth (heldout15.py), scored once
         "heldout16": [s.id for s in heldout16.SCENARIOS],  # a sixteenth (heldout16.py), scored once
         "heldout17": [s.id for s in heldout17.SCENARIOS],  # a seventeenth (heldout17.py), scored once
         "heldout18": [s.id for s in heldout18.SCENARIOS],  # an eighteenth (heldout18.py), scored once
         "heldout19": [s.id for s in heldout19.SCENARIOS],  # a nineteenth (heldout19.py), scored once
         "heldout20": [s.id for s in heldout20.SCENARIOS],  # a twentieth (heldout20.py), scored once
         "heldout21": [s.id for s in heldout21.SCENARIOS],  # a twenty-first (heldout21.py), scored once
         "heldout22": [s.id for s in heldout22.SCENARIOS],  # a twenty-second (heldout22.py), scored once
         "heldout23": [s.id for s in heldout23.SCENARIOS],  # a twenty-third (heldout23.py), scored once
         "heldout24": [s.id for s in heldout24.SCENARIOS],  # a twenty-fourth (heldout24.py), scored once
         "heldout25": [s.id for s in heldout25.SCENARIOS],  # a twenty-fifth (heldout25.py), scored once
         "heldout26": [s.id for s in heldout26.SCENARIOS],  # a twenty-sixth (heldout26.py), scored once
         "heldout27": [s.id for s in heldout27.SCENARIOS],  # a twenty-seventh (heldout27.py), scored once
         "heldout28": [s.id for s in heldout28.SCENARIOS],  # a twenty-eighth (heldout28.py), scored once
         "heldout29": [s.id for s in heldout29.SCENARIOS],  # a twenty-ninth (heldout29.py), scored once
         "heldout30": [s.id for s in heldout30.SCENARIOS],  # a thirtieth (heldout30.py), scored once
         "heldout31": [s.id for s in heldout31.SCENARIOS],  # a thirty-first (heldout31.py), scored once
         "heldout32": [s.id for s in heldout32.SCENARIOS],  # a thirty-second (heldout32.py), scored once
         "heldout33": [s.id for s in heldout33.SCENARIOS],  # a thirty-third (heldout33.py), scored once
         "heldout34": [s.id for s in heldout34.SCENARIOS],  # a thirty-fourth (heldout34.py), scored once
         "heldout35": [s.id for s in heldout35.SCENARIOS],  # a thirty-fifth (heldout35.py), scored once
         "heldout36": [s.id for s in heldout36.SCENARIOS],  # a thirty-sixth (heldout36.py), scored once
         "heldout37": [s.id for s in heldout37.SCENARIOS],  # a thirty-seventh (heldout37.py), scored once
         "heldout38": [s.id for s in heldout38.SCENARIOS],  # a thirty-eighth (heldout38.py), scored once
         "heldout39": [s.id for s in heldout39.SCENARIOS],  # a thirty-ninth (heldout39.py), scored once
         "heldout40": [s.id for s in heldout40.SCENARIOS],  # a fortieth (heldout40.py), scored once
         "heldout41": [s.id for s in heldout41.SCENARIOS],  # a forty-first (heldout41.py), scored once
         "heldout42": [s.id for s in heldout42.SCENARIOS],  # a forty-second (heldout42.py), scored once
         "heldout43": [s.id for s in heldout43.SCENARIOS],  # a forty-third (heldout43.py), scored once
         "heldout44": [s.id for s in heldout44.SCENARIOS],  # a forty-fourth (heldout44.py), scored once
         "heldout45": [s.id for s in heldout45.SCENARIOS],  # a forty-fifth (heldout45.py), scored once
         "heldout46": [s.id for s in heldout46.SCENARIOS],  # a forty-sixth (heldout46.py), scored once
         "heldout47": [s.id for s in heldout47.SCENARIOS],  # a forty-seventh (heldout47.py), scored once
         "heldout48": [s.id for s in heldout48.SCENARIOS],  # a forty-eighth (heldout48.py), scored once
         "heldout49": [s.id for s in heldout49.SCENARIOS],  # a forty-ninth (heldout49.py), scored once
         "heldout50": [s.id for s in heldout50.SCENARIOS],  # a fiftieth (heldout50.py), scored once
         "heldout51": [s.id for s in heldout51.SCENARIOS],  # a fifty-first (heldout51.py), scored once
         "heldout52": [s.id for s in heldout52.SCENARIOS],  # a fifty-second (heldout52.py), scored once
         "heldout53": [s.id for s in heldout53.SCENARIOS],  # a fifty-third (heldout53.py), scored once
         "heldout54": [s.id for s in heldout54.SCENARIOS]}  # a fifty-fourth (heldout54.py), scored once
BY_ID = {**_CONSTRUCTED_BY_ID, **thirdparty.BY_ID, **heldout2.BY_ID, **heldout3.BY_ID, **heldout4.BY_ID,
         **heldout5.BY_ID, **heldout6.BY_ID, **heldout7.BY_ID, **heldout8.BY_ID, **heldout9.BY_ID,
         **heldout10.BY_ID, **heldout11.BY_ID, **heldout12.BY_ID, **heldout13.BY_ID, **heldout14.BY_ID,
         **heldout15.BY_ID, **heldout16.BY_ID, **heldout17.BY_ID, **heldout18.BY_ID,
         **heldout19.BY_ID, **heldout20.BY_ID, **heldout21.BY_ID, **heldout22.BY_ID,
         **heldout23.BY_ID, **heldout24.BY_ID, **heldout25.BY_ID, **heldout26.BY_ID,
         **heldout27.BY_ID, **heldout28.BY_ID, **heldout29.BY_ID, **heldout30.BY_ID,
         **heldout31.BY_ID, **heldout32.BY_ID, **heldout33.BY_ID, **heldout34.BY_ID,
         **heldout35.BY_ID, **heldout36.BY_ID, **heldout37.BY_ID, **heldout38.BY_ID,
         **heldout39.BY_ID, **heldout40.BY_ID, **heldout41.BY_ID, **heldout42.BY_ID,
         **heldout43.BY_ID, **heldout44.BY_ID, **heldout45.BY_ID,
         **heldout46.BY_ID, **heldout47.BY_ID, **heldout48.BY_ID, **heldout49.BY_ID,
         **heldout50.BY_ID, **heldout51.BY_ID, **heldout52.BY_ID, **heldout53.BY_ID, **heldout54.BY_ID}
# scored once, by name, never while tuning: not in --part all
ONCE = ("heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9",
        "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15", "heldout16", "heldout17",
        "heldout18", "heldout19", "heldout20", "heldout21", "heldout22", "heldout23",
        "heldout24", "heldout25", "heldout26", "heldout27", "heldout28", "heldout29", "heldout30",
        "heldout31", "heldout32", "heldout33", "heldout34", "heldout35", "heldout36", "heldout37",
        "heldout38", "heldout39", "heldout40", "heldout41", "heldout42",
        "heldout43", "heldout44", "heldout45", "heldout46", "heldout47", "heldout48", "heldout49",
        "heldout50", "heldout51", "heldout52", "heldout53", "heldout54")


def _python() -> str:
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


# ---------------------------------------------------------------------------------------------------------
# Transforms

_PERM = re.compile(r"^(?:permute|transpose)\s*\(\s*([\d\s,]*)\)$")


def normalize_transform(t) -> str | None:
    if t is None:
        return None
    if isinstance(t, (list, tuple)):
        t = f"permute({','.join(str(int(a)) for a in t)})"
    s = str(t).strip().lower().replace(" ", "")
    if s in ("", "none", "identity", "null"):
        return None
    m = _PERM.match(s)
    if m:
        axes = [int(a) for a in m.group(1).split(",") if a != ""]
        if axes == list(range(len(axes))):
            return None
        if axes == [1, 0]:
            return "transpose"
        if axes:
            return f"permute({','.join(map(str, axes))})"
    return s


def _apply(arr, t: str | None):
    if t is None:
        return arr
    if "+" in t:  # a composition, e.g. permute(..)+reshape
        for part in t.split("+"):
            arr = _apply(arr, part)
            if arr is None:
                return None
        return arr
    if t in ("reshape", "squeeze", "expand_dims") or t.startswith(("reshape(", "squeeze(", "expand_dims(")):
        return np_contiguous(arr)  # order-preserving: the model shape is applied by the caller
    if t == "transpose":
        return arr.T  # numpy: all axes reversed
    m = _PERM.match(t)
    if m:
        axes = [int(a) for a in m.group(1).split(",") if a != ""]
        return arr.transpose(axes) if sorted(axes) == list(range(arr.ndim)) else None
    return None  # a transform this scorer does not know: equal only by name


def same_transform(a, b, checkpoint_shape=None, model_shape=None) -> bool:
    """Equal after normalisation, or (given the checkpoint shape) moving every element to the same place:
    for a [1,1,C,O] conv kernel permute(3,2,0,1) and a full reversal are the same transform. Given the model
    shape, a transform ending in an order-preserving reshape (``squeeze``, ``reshape(..)``) is compared by where
    it puts every element once reshaped to the model shape."""
    a, b = normalize_transform(a), normalize_transform(b)
    if a == b:
        return True
    if checkpoint_shape is None:
        return False
    import numpy as np

    idx = np.arange(int(np.prod(checkpoint_shape, dtype=np.int64))).reshape(checkpoint_shape)
    x, y = _apply(idx, a), _apply(idx, b)
    if x is None or y is None:
        return False
    if model_shape is not None and x.size == y.size == int(np.prod(model_shape, dtype=np.int64)):
        x, y = np.ascontiguousarray(x).reshape(model_shape), np.ascontiguousarray(y).reshape(model_shape)
    return x.shape == y.shape and bool((x == y).all())


def np_contiguous(arr):
    import numpy as np

    return np.ascontiguousarray(arr)


# ---------------------------------------------------------------------------------------------------------
# Engines: each returns {"pairs": [(model, checkpoint, transform)], "ambiguous": [(model, [candidates])],
# "missing": [...], "unused": [...], "rules": [...]}

def engine_align(ckpt_path: str, spec_path: str) -> dict:
    import ckpt_doctor

    a = ckpt_doctor.align(ckpt_path, spec_path)
    rules = a.to_json().get("rules", []) if hasattr(a, "to_json") else []
    return {"pairs": [(p.model, p.checkpoint, p.transform) for p in a.pairs],
            "ambiguous": [(x.model, list(x.candidates)) for x in a.ambiguous],
            "missing": list(a.missing), "unused": list(a.unused), "rules": rules}


def engine_cli(ckpt_path: str, spec_path: str) -> dict:
    proc = subprocess.run([_python(), "-m", "ckpt_doctor", "align", ckpt_path, "--model", spec_path, "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    if proc.returncode not in (0, 1):  # 1 may mean "not everything aligned"
        raise RuntimeError(f"ckpt-doctor align exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    doc = json.loads(proc.stdout)
    return {"pairs": [(p["model"], p["checkpoint"], p.get("transform")) for p in doc.get("pairs", [])],
            "ambiguous": [(x["model"], list(x.get("candidates", []))) for x in doc.get("ambiguous", [])],
            "missing": doc.get("missing", []), "unused": doc.get("unused", []), "rules": doc.get("rules", [])}


def engine_exact(ckpt_path: str, spec_path: str) -> dict:
    """Baseline: what the frameworks' own restore pairs (ckpt-doctor's exact comparison: key / full_name /
    object path equality, shapes and dtypes checked). No renaming at all."""
    from ckpt_doctor.formats import open_checkpoint
    from ckpt_doctor.match.compare import LOADED, compare
    from ckpt_doctor.model.spec import ModelSpec

    d = compare(open_checkpoint(ckpt_path), ModelSpec.load(spec_path))
    # a tied variable restored through its owner has no entry of its own (Switch's embed_tokens, lm_head)
    pairs = [(r.variable.name, r.entry.name, None) for r in d.weights(LOADED) if r.entry is not None]
    taken = {p[1] for p in pairs}
    return {"pairs": pairs, "ambiguous": [],
            "missing": [r.variable.name for r in d.weights() if r.status != LOADED],
            "unused": [e.entry.name for e in d.entries if e.entry.name not in taken and e.status != "bookkeeping"],
            "rules": []}


ENGINES = {"align": engine_align, "cli": engine_cli, "exact": engine_exact}


def align_available() -> bool:
    try:
        import ckpt_doctor
    except ImportError:
        return False
    return callable(getattr(ckpt_doctor, "align", None))


# ---------------------------------------------------------------------------------------------------------
# Scoring

def load(out: str, sid: str) -> tuple[dict, dict, str]:
    d = os.path.join(out, sid)
    with open(os.path.join(d, "scenario.json"), encoding="utf-8") as f:
        meta = json.load(f)
    with open(os.path.join(d, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    return meta, truth, d


def choose_checkpoint(meta: dict, d: str) -> tuple[str | None, str]:
    """The first of the scenario's checkpoint files that ckpt-doctor can open (torch.save before safetensors)."""
    from ckpt_doctor.errors import CheckpointError
    from ckpt_doctor.formats import open_checkpoint

    reasons = []
    for rel in meta["checkpoint"]:
        path = os.path.join(d, rel)
        try:
            open_checkpoint(path)
            return path, ""
        except CheckpointError as e:
            reasons.append(f"{rel}: {getattr(e, 'message', e)}")
    return None, "; ".join(reasons)


def score_result(truth: dict, result: dict, tied: dict[str, str] | None = None) -> dict:
    """``tied``: the model's aliases (a variable sharing another's storage -> that one, the spec's ``tied_to``): a
    value paired into an alias the truth leaves out lands in its owner (unet's `conv1.block.0.weight` is
    `conv1.conv_layer.weight`), so it counts for the owner when the engine pairs the owner with nothing else."""
    ignore = set(truth.get("ignore_model", []))
    amb_ok = set(truth["ambiguous_ok"])
    true = {p["model"]: (p["checkpoint"], normalize_transform(p["transform"])) for p in truth["pairs"]}
    shapes = {p["model"]: p.get("checkpoint_shape") for p in truth["pairs"]}
    model_shapes = {p["model"]: p.get("model_shape") for p in truth["pairs"]}
    decidable = {m for m in true if m not in amb_ok}
    paired = {m for m, _, _ in result["pairs"]}
    pairs = [((owner if m in ignore and (owner := (tied or {}).get(m)) in true and owner not in paired else m), c, t)
             for m, c, t in result["pairs"]]
    proposed = [(m, c, normalize_transform(t)) for m, c, t in pairs if m not in ignore]
    correct, wrong = [], []
    for m, c, t in proposed:
        if m in true and true[m][0] == c and same_transform(t, true[m][1], shapes[m], model_shapes[m]):
            correct.append((m, c, t))
        else:
            why = ("wrong transform" if true.get(m, (None,))[0] == c else
                   "truly missing" if m in truth["missing"] else
                   "ambiguous_ok guessed wrong" if m in amb_ok else "wrong partner")
            wrong.append({"model": m, "checkpoint": c, "transform": t, "why": why,
                          "truth": ({"checkpoint": true[m][0], "transform": true[m][1]} if m in true else None)})
    got = {m for m, _, _ in correct}
    amb_by_model = {m: cands for m, cands in result["ambiguous"]}
    missed = []
    for m in sorted(decidable - got):
        where = ("ambiguous" if m in amb_by_model else "missing" if m in result["missing"] else
                 "wrongly paired" if any(w["model"] == m for w in wrong) else "absent")
        missed.append({"model": m, "checkpoint": true[m][0], "transform": true[m][1], "engine": where})
    amb_covered = sum(1 for m in amb_ok if m in true and true[m][0] in amb_by_model.get(m, ()))
    correct_decidable = len(got & decidable)
    return {"true_pairs": len(true), "decidable": len(decidable), "proposed": len(proposed),
            "correct": len(correct), "correct_decidable": correct_decidable, "wrong": len(wrong),
            "ambiguous": len(result["ambiguous"]), "ambiguous_ok": len(amb_ok), "ambiguous_ok_listed": amb_covered,
            "precision": len(correct) / len(proposed) if proposed else 1.0,
            "recall": correct_decidable / len(decidable) if decidable else 1.0,
            "wrong_pairs": wrong, "missed_pairs": missed,
            "new_layers_reported": sum(1 for m in truth["missing"] if m in result["missing"]),
            "truly_missing": len(truth["missing"]), "rules": result.get("rules", [])}


def score_scenarios(ids: list[str] | None = None, out: str = DEFAULT_OUT, engine: str = "align") -> dict:
    """Score already-generated scenarios in this process. Returns the full report (see --json)."""
    run = ENGINES[engine]
    rows = []
    for sid in ids or PARTS["constructed"]:
        row = {"id": sid, "adversarial": BY_ID[sid].adversarial, "status": "ok"}
        try:
            meta, truth, d = load(out, sid)
        except (OSError, json.JSONDecodeError) as e:
            row.update(status="not generated", error=str(e))
            rows.append(row)
            continue
        row["title"] = meta["title"]
        ckpt, why = choose_checkpoint(meta, d)
        if ckpt is None:
            row.update(status="skipped", error=f"no reader for this checkpoint yet ({why})",
                       true_pairs=len(truth["pairs"]))
            rows.append(row)
            continue
        row["checkpoint"] = os.path.relpath(ckpt, d)
        t0 = time.perf_counter()
        try:
            result = run(ckpt, os.path.join(d, meta["model"]))
        except Exception as e:  # noqa: BLE001 - a crash is a failed scenario, not a crashed suite
            row.update(status="error", error=f"{type(e).__name__}: {e}"[:1000], seconds=time.perf_counter() - t0)
            empty = {"pairs": [], "ambiguous": [], "missing": [], "unused": []}
            row.update(score_result(truth, empty))
            rows.append(row)
            continue
        row["seconds"] = time.perf_counter() - t0
        try:
            with open(os.path.join(d, meta["model"]), encoding="utf-8") as f:
                tied = {v["name"]: v["tied_to"] for v in json.load(f).get("variables", []) if v.get("tied_to")}
        except (OSError, ValueError, AttributeError):  # (a model that is no JSON spec names no aliases)
            tied = {}
        row.update(score_result(truth, result, tied))
        rows.append(row)
    return {"engine": engine, "scenarios": rows, "totals": totals(rows)}


def totals(rows: list[dict]) -> dict:
    scored = [r for r in rows if r["status"] in ("ok", "error")]
    s = {k: sum(r.get(k, 0) for r in scored) for k in
         ("true_pairs", "decidable", "proposed", "correct", "correct_decidable", "wrong", "ambiguous")}
    s["precision"] = s["correct"] / s["proposed"] if s["proposed"] else 1.0
    s["recall"] = s["correct_decidable"] / s["decidable"] if s["decidable"] else 1.0
    s["scenarios"] = len(rows)
    s["adversarial"] = sum(1 for r in rows if r["adversarial"])
    s["errors"] = [r["id"] for r in rows if r["status"] == "error"]
    s["skipped"] = [r["id"] for r in rows if r["status"] in ("skipped", "not generated")]
    s["scenarios_with_wrong_pairs"] = [r["id"] for r in scored if r.get("wrong")]
    s["precision_goal_met"] = s["wrong"] == 0
    s["recall_goal_met"] = s["recall"] >= RECALL_GOAL
    return s


def _pct(x: float) -> str:
    return f"{100 * x:6.1f}%"


def print_report(report: dict, verbose: bool = False, file=sys.stdout) -> None:
    p = lambda *a: print(*a, file=file)  # noqa: E731
    p(f"engine: {report['engine']}")
    p(f"{'scenario':38s} {'adv':3s} {'true':>5s} {'prop':>5s} {'corr':>5s} {'wrong':>5s} {'amb':>4s} "
      f"{'precision':>9s} {'recall':>7s} {'sec':>6s}  note")
    for r in report["scenarios"]:
        adv = "ADV" if r["adversarial"] else ""
        if r["status"] in ("skipped", "not generated"):
            p(f"{r['id']:38s} {adv:3s} {r.get('true_pairs', ''):>5} {'-':>5s} {'-':>5s} {'-':>5s} {'-':>4s} "
              f"{'-':>9s} {'-':>7s} {'-':>6s}  {r['status'].upper()}: {r.get('error', '')[:120]}")
            continue
        note = "ERROR: " + r["error"][:100] if r["status"] == "error" else ""
        if r["decidable"] != r["true_pairs"]:
            note = (note + f" ({r['true_pairs'] - r['decidable']} ambiguous_ok)").strip()
        p(f"{r['id']:38s} {adv:3s} {r['decidable']:5d} {r['proposed']:5d} {r['correct']:5d} {r['wrong']:5d} "
          f"{r['ambiguous']:4d} {_pct(r['precision']):>9s} {_pct(r['recall']):>7s} {r.get('seconds', 0):6.2f}  {note}")
        if verbose or r["wrong"]:
            for w in r["wrong_pairs"]:
                truth = (f"truth: {w['truth']['checkpoint']} [{w['truth']['transform']}]" if w["truth"]
                         else "truth: no partner")
                p(f"      WRONG {w['model']} <- {w['checkpoint']} [{w['transform']}] ({w['why']}; {truth})")
        if verbose:
            for m in r["missed_pairs"]:
                p(f"      missed {m['model']} <- {m['checkpoint']} [{m['transform']}] (engine: {m['engine']})")
    t = report["totals"]
    p("-" * 110)
    p(f"{'TOTAL':38s} {t['adversarial']:3d} {t['decidable']:5d} {t['proposed']:5d} {t['correct']:5d} "
      f"{t['wrong']:5d} {t['ambiguous']:4d} {_pct(t['precision']):>9s} {_pct(t['recall']):>7s}")
    p(f"scenarios: {t['scenarios']} ({t['adversarial']} adversarial); errors: {len(t['errors'])}; "
      f"skipped: {len(t['skipped'])}{' ' + ','.join(t['skipped']) if t['skipped'] else ''}")
    p(f"precision goal (zero wrong pairs): {'MET' if t['precision_goal_met'] else 'NOT MET'}; "
      f"recall goal (>= {RECALL_GOAL:.0%}): {'MET' if t['recall_goal_met'] else 'NOT MET'}")


def print_markdown(report: dict, file=sys.stdout) -> None:
    """The per-scenario table as Markdown (for RESULTS.md)."""
    p = lambda *a: print(*a, file=file)  # noqa: E731
    p("| scenario | tags | decidable | proposed | correct | wrong | ambiguous | precision | recall |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in report["scenarios"]:
        tags = ",".join(getattr(BY_ID[r["id"]], "tags", ()) or ()) + (" adv" if r["adversarial"] else "")
        if r["status"] in ("skipped", "not generated"):
            p(f"| `{r['id']}` | {tags} | - | - | - | - | - | - | - ({r['status']}) |")
            continue
        p(f"| `{r['id']}` | {tags.strip()} | {r['decidable']} | {r['proposed']} | {r['correct']} | {r['wrong']} | "
          f"{r['ambiguous']} | {100 * r['precision']:.1f}% | {100 * r['recall']:.1f}% |")
    t = report["totals"]
    p(f"| **total** ({t['scenarios']}) | | {t['decidable']} | {t['proposed']} | {t['correct']} | {t['wrong']} | "
      f"{t['ambiguous']} | {100 * t['precision']:.2f}% | {100 * t['recall']:.1f}% |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", choices=["exact"], help="score a stand-in instead of ckpt_doctor.align")
    ap.add_argument("--engine", choices=sorted(ENGINES), default="align")
    ap.add_argument("--only", default="", help="comma-separated scenario ids")
    ap.add_argument("--adversarial", action="store_true", help="only the adversarial scenarios")
    ap.add_argument("--part", default="constructed", help="which scenarios: constructed (default), thirdparty, "
                    "heldout, heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8, heldout9, "
                    "heldout10, heldout11, heldout12, heldout13, heldout14, heldout15, heldout16, heldout17, "
                    "heldout18, heldout19, heldout20, heldout21, heldout22, heldout23, heldout24, heldout25, "
                    "heldout26, heldout27, heldout28, heldout29, heldout30, heldout31, heldout32, heldout33, "
                    "heldout34, heldout35, heldout36, heldout37, heldout38, heldout39, heldout40, heldout41, "
                    "heldout42, heldout43, heldout44, heldout45, heldout46, heldout47, heldout48, heldout49, "
                    "heldout50, heldout51, heldout52, heldout53, heldout54, or all (all but heldout2..54; "
                    "comma-separated allowed); --only overrides")
    ap.add_argument("--out", default=DEFAULT_OUT, help="scenario cache directory")
    ap.add_argument("--no-make", action="store_true", help="do not generate missing scenarios")
    ap.add_argument("--allow-skipped", action="store_true", help="skipped scenarios do not fail the goals")
    ap.add_argument("--json", action="store_true", help="print the full report as JSON")
    ap.add_argument("--markdown", action="store_true", help="print the per-scenario table as Markdown")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every wrong and missed pair")
    args = ap.parse_args(argv)
    engine = args.baseline or args.engine
    parts = [p for p in PARTS if p not in ONCE] if args.part == "all" else args.part.split(",")
    if any(p not in PARTS for p in parts):
        ap.error(f"unknown part {args.part!r} (choose from {', '.join(PARTS)}, all)")
    ids = [i for i in args.only.split(",") if i] or [i for p in parts for i in PARTS[p]]
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        ap.error(f"unknown scenario ids: {unknown}")
    if args.adversarial:
        ids = [i for i in ids if BY_ID[i].adversarial]
    if engine == "align" and not align_available():
        print("ckpt_doctor.align does not exist yet; use --baseline exact", file=sys.stderr)
        return 2
    constructed = [i for i in ids if i in _CONSTRUCTED_BY_ID]
    if not args.no_make and constructed:
        cmd = [_python(), os.path.join(HERE, "make.py"), "--out", args.out, "--only", ",".join(constructed)]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=None if not args.json else subprocess.DEVNULL)
        if proc.returncode:
            print("make.py reported failures; scoring what exists", file=sys.stderr)
    # third-party parts build their own
    for module in (thirdparty, heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8,
                   heldout9, heldout10, heldout11, heldout12, heldout13, heldout14, heldout15, heldout16, heldout17,
                   heldout18, heldout19, heldout20, heldout21, heldout22, heldout23, heldout24, heldout25,
                   heldout26, heldout27, heldout28, heldout29, heldout30, heldout31, heldout32,
                   heldout33, heldout34, heldout35, heldout36, heldout37, heldout38, heldout39,
                   heldout40, heldout41, heldout42, heldout43, heldout44, heldout45,
                   heldout46, heldout47, heldout48, heldout49, heldout50, heldout51, heldout52, heldout53, heldout54):
        mine = [i for i in ids if i in module.BY_ID]
        if not args.no_make and mine and module.make(mine, args.out):
            print(f"{module.__name__}.py reported failures; scoring what exists", file=sys.stderr)
    report = score_scenarios(ids, args.out, engine)
    if args.json:
        print(json.dumps(report, indent=1))
    elif args.markdown:
        print_markdown(report)
    else:
        print_report(report, args.verbose)
    t = report["totals"]
    met = t["precision_goal_met"] and t["recall_goal_met"] and not t["errors"] and (
        args.allow_skipped or not t["skipped"])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
