#!/usr/bin/env python
"""Benchmark: ``ckpt-doctor diagnose`` on a 10,000-variable checkpoint against its model spec (issue 3).

    .venv/bin/python bench/diagnose.py                 # 10,000 variables, 5 timed runs
    .venv/bin/python bench/diagnose.py --variables 1000 --repeat 3
    .venv/bin/python bench/diagnose.py --force         # rewrite the cached checkpoint

The checkpoint is written once by TensorFlow's TF1 ``Saver`` (graph mode, reference variables, plus a
``global_step``) in a child process and cached in ``bench/.cache/diagnose-<N>/`` (gitignored; a
``manifest.json`` written last marks it complete). Variables are ``model/block_{i}/layer_{j}/{kernel,bias}``
(5 layers per block, small float32 shapes). The model spec (JSON) has the same variables, but 10% of the blocks
(every tenth) live under a renamed scope ``model/renamed_block_{i}``: the diagnosis finds 10% of the model
variables missing and as many checkpoint values unused (checked: the run fails if it does not).

Measured, each in fresh child processes (this harness imports neither TensorFlow nor ckpt_doctor):

* whole process: ``python -m ckpt_doctor diagnose CKPT --model spec.json --json`` (stdout to /dev/null), wall
  time, 1 warm-up + N runs, median and min; next to the start-up alone (``python -m ckpt_doctor --version``
  and ``python -c "import ckpt_doctor"``), so the cost beyond start-up can be read off;
* in-process, imports excluded: ``open_checkpoint``, ``load_model(spec.json)``, ``compare()``, JSON encoding and
  the human report, each the median of N runs in one process (after one warm-up);
* for context: ``import tensorflow`` in a fresh process (what any TensorFlow-based check pays before it starts).

Children run with PYTHONPYCACHEPREFIX=bench/.cache/pycache and without PYTHONDONTWRITEBYTECODE, so they run from
cached bytecode as after a normal install (``--env-as-is`` to inherit the environment unchanged).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
LAYERS = 5
WRITER_VERSION = 1

# ------------------------------------------------------------------ child programs
WRITE_CHECKPOINT = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
v1 = tf.compat.v1
directory, blocks, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sizes = (8, 16, 24, 32)
rng = np.random.default_rng(0)
t0 = time.perf_counter()
graph = tf.Graph()
with graph.as_default():
    variables = [v1.train.get_or_create_global_step()]
    for i in range(blocks):
        for j in range(layers):
            a, b = sizes[(i + j) % 4], sizes[(3 * i + j + 1) % 4]
            for leaf, shape in (("kernel", (a, b)), ("bias", (b,))):
                variables.append(v1.Variable(rng.standard_normal(shape).astype(np.float32) * 0.05,
                                             name=f"model/block_{i}/layer_{j}/{leaf}", use_resource=False))
    saver = v1.train.Saver(var_list=variables)
    with v1.Session(graph=graph) as sess:
        sess.run(v1.global_variables_initializer())
        prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
print(json.dumps({"prefix": prefix, "variables": len(variables), "write_s": time.perf_counter() - t0,
                  "tf_version": tf.__version__}))
"""

IMPORT_TF = r"""
import os, time, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
t0 = time.perf_counter()
import tensorflow
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""

IN_PROCESS = r"""
import contextlib, io, json, os, statistics, sys, time
t0 = time.perf_counter()
from ckpt_doctor import open_checkpoint, load_model
from ckpt_doctor.cli import main
from ckpt_doctor.match.compare import compare
from ckpt_doctor.report.diagnose import render
import_s = time.perf_counter() - t0
ckpt, spec, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
phases = {"open_checkpoint": [], "load_model(spec.json)": [], "compare()": [], "to_json + json.dumps": [],
          "render (human report)": [], "cli main(diagnose --json), all it does": []}
for i in range(n + 1):
    t = [time.perf_counter()]
    catalog = open_checkpoint(ckpt); t.append(time.perf_counter())
    model = load_model(spec); t.append(time.perf_counter())
    d = compare(catalog, model); t.append(time.perf_counter())
    json.dumps(d.to_json(), indent=1); t.append(time.perf_counter())
    render(d); t.append(time.perf_counter())
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        main(["diagnose", ckpt, "--model", spec, "--json"])
    t.append(time.perf_counter())
    if i:  # the first round is a warm-up
        for k, name in enumerate(phases):
            phases[name].append(t[k + 1] - t[k])
print(json.dumps({"import_s": import_s, "median": {k: statistics.median(v) for k, v in phases.items()},
                  "counts": d.counts(), "summary": d.summary(), "ok": d.ok}))
"""


def child_env(as_is: bool) -> dict | None:
    if as_is:
        return None
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(CACHE, "pycache")
    return env


def run_json(argv: list[str], env) -> dict:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(argv[:4])} ...\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wall(argv: list[str], env, expect: int | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - t0
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}, expected {expect}:\n{proc.stderr[-3000:]}")
    return seconds


def ensure_checkpoint(variables: int, force: bool, env) -> dict:
    blocks = max(1, variables // (2 * LAYERS))
    directory = os.path.join(CACHE, f"diagnose-{blocks * LAYERS * 2}")
    manifest_path = os.path.join(directory, "manifest.json")
    if not force and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        if manifest.get("writer_version") == WRITER_VERSION:
            return manifest
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(directory):
        os.remove(os.path.join(directory, f))
    print(f"writing the checkpoint with TensorFlow (TF1 Saver, {blocks * LAYERS * 2} variables) ...", file=sys.stderr)
    manifest = run_json([sys.executable, "-c", WRITE_CHECKPOINT, directory, str(blocks), str(LAYERS)], env)
    manifest.update(writer_version=WRITER_VERSION, blocks=blocks, layers=LAYERS, directory=directory)
    with open(manifest_path, "w") as f:  # written last: marks the cache entry complete
        json.dump(manifest, f, indent=1)
    return manifest


def write_spec(manifest: dict) -> tuple[str, int]:
    """The model's spec: the checkpoint's variables, every tenth block under a renamed scope. Written from the
    manifest's recipe, without reading the checkpoint (the spec stands for a model, not for the file)."""
    sizes = (8, 16, 24, 32)
    variables, renamed = [{"name": "global_step", "shape": [], "dtype": "int64", "trainable": False,
                           "kind": "counter"}], 0
    for i in range(manifest["blocks"]):
        scope = f"model/renamed_block_{i}" if i % 10 == 0 else f"model/block_{i}"
        for j in range(manifest["layers"]):
            a, b = sizes[(i + j) % 4], sizes[(3 * i + j + 1) % 4]
            for leaf, shape in (("kernel", [a, b]), ("bias", [b])):
                variables.append({"name": f"{scope}/layer_{j}/{leaf}", "shape": shape, "dtype": "float32"})
                renamed += i % 10 == 0
    path = os.path.join(manifest["directory"], "spec-renamed-10pct.json")
    with open(path, "w") as f:
        json.dump({"format": "ckpt-doctor-model-spec", "version": 1, "framework": "tf1", "restore": "name",
                   "variables": variables}, f)
    return path, renamed


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:7.1f} ms   min {min(xs) * 1000:7.1f} ms"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--variables", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--force", action="store_true", help="rewrite the cached checkpoint")
    ap.add_argument("--env-as-is", action="store_true", help="children inherit the environment unchanged")
    args = ap.parse_args(argv)
    env = child_env(args.env_as_is)
    py = sys.executable

    manifest = ensure_checkpoint(args.variables, args.force, env)
    prefix = manifest["prefix"]
    spec, renamed = write_spec(manifest)
    n_model = manifest["variables"] - 1  # global_step is bookkeeping

    diagnose = [py, "-m", "ckpt_doctor", "diagnose", prefix, "--model", spec, "--json"]
    startup = [py, "-m", "ckpt_doctor", "--version"]
    import_only = [py, "-c", "import ckpt_doctor"]
    for argv in (diagnose, startup, import_only):  # warm-up (bytecode cache, page cache)
        wall(argv, env)
    times: dict[str, list[float]] = {"diagnose": [], "startup": [], "import": []}
    for _ in range(args.repeat):  # interleaved
        times["diagnose"].append(wall(diagnose, env, expect=1))
        times["startup"].append(wall(startup, env, expect=0))
        times["import"].append(wall(import_only, env, expect=0))
    inproc = run_json([py, "-c", IN_PROCESS, prefix, spec, str(args.repeat)], env)
    tf_import = [run_json([py, "-c", IMPORT_TF], env)["import_s"] for _ in range(max(1, min(3, args.repeat)))]

    counts = inproc["counts"]
    if (counts["missing"], counts["entries_unused"], counts["loaded"]) != (renamed, renamed, n_model - renamed):
        raise SystemExit(f"unexpected diagnosis: {inproc['summary']} {counts}")

    beyond = statistics.median(times["diagnose"]) - statistics.median(times["startup"])
    compare_s = inproc["median"]["compare()"]
    print(f"checkpoint: {prefix} ({manifest['variables']} variables incl. global_step, written by TF "
          f"{manifest.get('tf_version')} Saver)")
    print(f"model spec: {spec} ({n_model + 1} variables, {renamed} under a renamed scope)")
    print(f"diagnosis:  {inproc['summary']}")
    print()
    print("whole process (wall, fresh interpreter each run):")
    print(f"  ckpt-doctor diagnose --json             {stats(times['diagnose'])}")
    print(f"  ckpt-doctor --version (start-up)        {stats(times['startup'])}")
    print(f"  python -c 'import ckpt_doctor'          {stats(times['import'])}")
    print(f"  diagnose beyond start-up (medians)      {beyond * 1000:7.1f} ms")
    print(f"in-process, imports excluded (median of {args.repeat}):")
    for name, seconds in inproc["median"].items():
        print(f"  {name:<40}{seconds * 1000:7.1f} ms")
    print(f"context: import tensorflow (fresh process) median {statistics.median(tf_import):.2f} s")
    print(json.dumps({"variables": manifest["variables"], "renamed": renamed,
                      "diagnose_process_median_s": statistics.median(times["diagnose"]),
                      "diagnose_process_min_s": min(times["diagnose"]),
                      "startup_median_s": statistics.median(times["startup"]),
                      "beyond_startup_s": beyond, "compare_s": compare_s, "in_process_s": inproc["median"],
                      "tf_import_median_s": statistics.median(tf_import)}))
    return 0 if beyond < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
