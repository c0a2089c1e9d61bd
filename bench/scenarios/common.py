"""Shared by the framework workers (tf_side.py, torch_side.py): distinctive values, fingerprints, the job loop.

No framework is imported here. A worker is run as ``python tf_side.py JOBS.json``; JOBS.json is a list of
``{"scenario", "role": "source"|"target", "builder", "kwargs", "dir"}``. For each job the worker builds the
model with its framework and writes ``<dir>/_build/<role>.json``:

* source: every weight gets a distinctive value (seeded by scenario and logical id), the framework writes the
  checkpoint under ``<dir>/ckpt/``, then the framework's **own reader** reads every entry back and each logical
  id is tied to the one checkpoint key whose value is bit-identical to what was assigned (``keys``). Keys that
  hold none of the assigned values (save counters, object graphs, ``num_batches_tracked``) are bookkeeping.
* target: ``ckpt_doctor.load_model(<live model>).save(<dir>/model.spec.json)``; each logical id is tied to the
  variable's name in that spec (``names``), found from the variable object itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import traceback
import zlib

import numpy as np

ROLE_BY_NAME = {"kernel": "w", "weight": "w", "bias": "b", "gamma": "g", "beta": "b", "moving_mean": "mean",
                "moving_variance": "var", "running_mean": "mean", "running_var": "var", "embeddings": "emb",
                # recurrent layers: TF keeps one bias (the sum), PyTorch two; they are never the same tensor
                "recurrent_kernel": "rw", "weight_ih_l0": "w", "weight_hh_l0": "rw", "bias_ih_l0": "bih",
                "bias_hh_l0": "bhh"}


def distinctive_value(scenario: str, lid: str, shape, dtype=np.float32) -> np.ndarray:
    """Deterministic values no other weight of the scenario has (seeded by scenario and logical id)."""
    rng = np.random.default_rng(zlib.crc32(f"{scenario}|{lid}".encode()))
    value = rng.standard_normal(tuple(int(d) for d in shape)).astype(dtype)
    if value.size:
        value.flat[0] = (zlib.crc32(lid.encode()) % 100_000) / 7.0 + 1.0  # never equal across ids
    return value


def fingerprint(value: np.ndarray) -> str:
    value = np.ascontiguousarray(value)
    h = hashlib.sha1(value.tobytes())
    h.update(repr((value.shape, str(value.dtype))).encode())
    return h.hexdigest()


def tie_keys(assigned: dict[str, np.ndarray], stored: dict[str, np.ndarray]) -> tuple[dict[str, str], list[str]]:
    """logical id -> the checkpoint key holding exactly its value; and the keys holding none (bookkeeping)."""
    by_print: dict[str, list[str]] = {}
    for key, value in stored.items():
        by_print.setdefault(fingerprint(value), []).append(key)
    keys, used = {}, set()
    for lid, value in assigned.items():
        found = by_print.get(fingerprint(value), [])
        if len(found) != 1:
            raise AssertionError(f"{lid}: {len(found)} checkpoint entries hold its value (expected exactly 1)")
        keys[lid] = found[0]
        used.add(found[0])
    return keys, sorted(k for k in stored if k not in used)


def run_jobs(builders: dict, finish_source, finish_target) -> int:
    """The worker main loop. ``finish_*`` turn a builder's result into the side description."""
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    failed = 0
    for job in jobs:
        out_dir = os.path.join(job["dir"], "_build")
        os.makedirs(out_dir, exist_ok=True)
        try:
            built = builders[job["builder"]](**job["kwargs"])
            if job["role"] == "source":
                doc = finish_source(built, job["scenario"], job["dir"])
            else:
                doc = finish_target(built, job["dir"])
        except Exception:
            failed += 1
            doc = {"error": traceback.format_exc()}
            print(f"[{job['scenario']} {job['role']}] FAILED\n{doc['error']}", file=sys.stderr)
        with open(os.path.join(out_dir, job["role"] + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
    return 1 if failed else 0


def split_lid(lid: str) -> tuple[str, str]:
    layer, _, role = lid.rpartition(":")
    return layer, role


def ensure_src_on_path() -> None:
    """Use the working tree's ckpt_doctor even when the venv has no editable install."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
    src = os.path.normpath(src)
    if os.path.isdir(os.path.join(src, "ckpt_doctor")) and src not in sys.path:
        sys.path.insert(0, src)
