"""Generate the alignment scenarios with real frameworks (cached in bench/.cache/scenarios/<id>/).

Each scenario directory holds:

* ``ckpt/``            the checkpoint, written by the framework (TF1 Saver / tf.train.Checkpoint / Keras
                       save_weights / torch.save + safetensors)
* ``model.spec.json``  the model that loads it, made from the live model by ``ckpt_doctor.load_model(...).save``
* ``truth.json``       the ground-truth pairing, derived from how the scenario was built (never from ckpt-doctor
                       alignment output): ``pairs`` [{model, checkpoint, transform}], ``missing``, ``unused``,
                       ``ambiguous_ok``, plus ``mismatched`` (true partners whose shapes cannot load; also listed in
                       missing/unused) and ``ignore_model``/``ignore_checkpoint`` (bookkeeping on either side)
* ``scenario.json``    id, title, adversarial flag, checkpoint path(s), writers, definition hash
* ``_build/``          what the framework workers reported (source.json / target.json)

The main process imports no framework: TensorFlow and PyTorch run in one worker process each (tf_side.py,
torch_side.py), in parallel. A scenario is rebuilt when its definition or the generator code changed, with
``--force``, or when its directory is incomplete.

Usage: python bench/scenarios/make.py [--out DIR] [--only ID,ID] [--force] [--list]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from registry import BY_ID, SCENARIOS, Scenario, apply_transform_shape, transform_for  # noqa: E402

DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", ".cache", "scenarios"))
GENERATOR_FILES = ("make.py", "common.py", "tf_side.py", "torch_side.py")
WORKERS = {"tf": "tf_side.py", "torch": "torch_side.py"}


def _python() -> str:
    venv = os.path.normpath(os.path.join(HERE, "..", "..", ".venv", "bin", "python"))
    return venv if os.path.exists(venv) else sys.executable


def definition_hash(s: Scenario) -> str:
    h = hashlib.sha1(json.dumps(asdict(s), sort_keys=True).encode())
    for name in GENERATOR_FILES:
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def up_to_date(s: Scenario, out: str) -> bool:
    d = os.path.join(out, s.id)
    try:
        with open(os.path.join(d, "scenario.json"), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError):
        return False
    return meta.get("definition_hash") == definition_hash(s) and os.path.isfile(os.path.join(d, "truth.json"))


def _in_layers(lid: str, layers) -> bool:
    """Whether the logical id belongs to one of ``layers`` (a layer id or a prefix ``blk0`` of ``blk0.fc1``)."""
    layer = lid.rpartition(":")[0]
    return any(layer == x or layer.startswith(x + ".") for x in layers)


def assemble(s: Scenario, d: str) -> dict:
    """truth.json and scenario.json from the two workers' reports."""
    with open(os.path.join(d, "_build", "source.json"), encoding="utf-8") as f:
        src = json.load(f)
    with open(os.path.join(d, "_build", "target.json"), encoding="utf-8") as f:
        tgt = json.load(f)
    for side, doc in (("source", src), ("target", tgt)):
        if "error" in doc:
            raise RuntimeError(f"{side} worker failed:\n{doc['error']}")
    pairs, mismatched, missing, unused = [], [], [], []
    for lid, name in tgt["names"].items():
        key = src["keys"].get(lid)
        if key is None:
            missing.append(name)
            continue
        kind, tkind = src["kinds"][lid], tgt["kinds"][lid]
        if kind != tkind and "var" not in (kind, tkind):
            raise AssertionError(f"{lid}: source kind {kind} but target kind {tkind}")
        shape = src["shapes"][lid]
        transform = transform_for(src["layout"], tgt["layout"], kind if kind != "var" else tkind,
                                  lid.rpartition(":")[2], len(shape))
        if apply_transform_shape(shape, transform) == list(tgt["shapes"][lid]):
            pairs.append({"model": name, "checkpoint": key, "transform": transform, "checkpoint_shape": shape})
        else:  # the true partner, but its shape cannot load: not a loadable pair
            mismatched.append({"model": name, "checkpoint": key, "model_shape": tgt["shapes"][lid],
                               "checkpoint_shape": shape})
            missing.append(name)
            unused.append(key)
    for lid, key in src["keys"].items():
        if lid not in tgt["names"]:
            unused.append(key)
    ambiguous_ok = sorted(name for lid, name in tgt["names"].items() if _in_layers(lid, s.ambiguous_ok))
    truth = {"scenario": s.id, "pairs": pairs, "missing": sorted(missing), "unused": sorted(unused),
             "ambiguous_ok": ambiguous_ok, "mismatched": mismatched,
             "ignore_model": tgt["other_names"], "ignore_checkpoint": src["other_keys"]}
    meta = {"id": s.id, "title": s.title, "adversarial": s.adversarial, "tags": list(s.tags), "fast": s.fast,
            "checkpoint": src["checkpoint"], "model": tgt["spec"],
            "source": {"framework": s.source.framework, "writer": src["writer"]},
            "target": {"framework": s.target.framework, "writer": tgt["writer"]},
            "counts": {"checkpoint_weights": len(src["keys"]), "model_weights": len(tgt["names"]),
                       "true_pairs": len(pairs), "missing": len(truth["missing"]), "unused": len(truth["unused"]),
                       "ambiguous_ok": len(ambiguous_ok)},
            "definition_hash": definition_hash(s)}
    with open(os.path.join(d, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=1)
    with open(os.path.join(d, "scenario.json"), "w", encoding="utf-8") as f:  # written last: marks completion
        json.dump(meta, f, indent=1)
    return meta


def generate(ids: list[str] | None = None, out: str = DEFAULT_OUT, force: bool = False, quiet: bool = False) -> dict:
    """Make sure the scenarios exist; returns {"built": [...], "cached": [...], "failed": {id: message}}."""
    chosen = [BY_ID[i] for i in ids] if ids else list(SCENARIOS)
    os.makedirs(out, exist_ok=True)
    todo = [s for s in chosen if force or not up_to_date(s, out)]
    result = {"built": [], "cached": [s.id for s in chosen if s not in todo], "failed": {}}
    if not todo:
        return result
    jobs: dict[str, list] = {"tf": [], "torch": []}
    for s in todo:
        d = os.path.join(out, s.id)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for role, side in (("source", s.source), ("target", s.target)):
            jobs[side.framework].append({"scenario": s.id, "role": role, "builder": side.builder,
                                         "kwargs": side.kwargs, "dir": d})
    logs = os.path.join(out, "_logs")
    os.makedirs(logs, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)  # the TF worker imports tf_keras and keras explicitly
    procs = []
    t0 = time.perf_counter()
    for fw, job_list in jobs.items():
        if not job_list:
            continue
        job_file = os.path.join(out, f"_jobs_{fw}.json")
        with open(job_file, "w", encoding="utf-8") as f:
            json.dump(job_list, f)
        log = open(os.path.join(logs, f"{fw}.log"), "w", encoding="utf-8")
        cmd = [_python(), os.path.join(HERE, WORKERS[fw]), job_file]
        procs.append((fw, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log))
        if not quiet:
            print(f"[make] {fw} worker: {len(job_list)} jobs", file=sys.stderr)
    for _fw, p, log in procs:
        p.wait()
        log.close()
    for s in todo:
        try:
            assemble(s, os.path.join(out, s.id))
            result["built"].append(s.id)
        except Exception as e:  # noqa: BLE001 - reported per scenario
            result["failed"][s.id] = str(e)[-2000:]
    if not quiet:
        print(f"[make] built {len(result['built'])}, cached {len(result['cached'])}, failed {len(result['failed'])} "
              f"in {time.perf_counter() - t0:.1f}s (logs: {logs})", file=sys.stderr)
        for sid, msg in result["failed"].items():
            print(f"[make] FAILED {sid}: {msg}", file=sys.stderr)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="cache directory (default bench/.cache/scenarios)")
    ap.add_argument("--only", default="", help="comma-separated scenario ids")
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.id:36s} {'ADV ' if s.adversarial else '    '}{s.title}")
        return 0
    ids = [i for i in args.only.split(",") if i] or None
    unknown = [i for i in ids or [] if i not in BY_ID]
    if unknown:
        ap.error(f"unknown scenario ids: {unknown}")
    result = generate(ids, args.out, args.force)
    if args.json:
        print(json.dumps(result))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
