"""ckpt-doctor vs TensorFlow: listing time, read throughput, peak memory - one command.

    python bench/run.py                       # full run (10k-variable and 1.25 GiB checkpoints)
    python bench/run.py --quick               # smoke run on small checkpoints, < 1 minute once cached
    python bench/run.py --out bench/results.md

Checkpoints are written by real TensorFlow on first use (bench/make_checkpoints.py, cached in bench/.cache/).
Every measurement runs in fresh child processes; this harness itself never imports TensorFlow or ckpt_doctor.
If started with another interpreter while the repo has a .venv, it re-executes itself with .venv/bin/python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import make_checkpoints  # noqa: E402  (bench/ sibling; does not import TensorFlow at module level)
import scale  # noqa: E402  (bench/ sibling)

MIB = 1 << 20
TIMEOUT = 900  # seconds for any one child process
PYCACHE = os.path.join(make_checkpoints.DEFAULT_CACHE, "pycache")

# The environment every measured child gets (see child_env). None = inherit unchanged (--env-as-is).
CHILD_ENV: dict | None = None
ENV_NOTES: list[str] = []


def child_env(as_is: bool) -> dict | None:
    """A normal user's interpreter settings for the measured processes, identical for both sides.

    * PYTHONUNBUFFERED is dropped: it turns every small write to stdout into a system call, which penalises
      whoever prints more (here: ckpt-doctor's JSON; TensorFlow prints nothing).
    * PYTHONDONTWRITEBYTECODE is dropped and PYTHONPYCACHEPREFIX points into bench/.cache/pycache, so both
      sides run from cached bytecode as after a normal install (an editable install of ckpt-doctor otherwise
      recompiles its sources on every start), without writing anything outside bench/.
    """
    if as_is:
        ENV_NOTES.append("children inherit the environment unchanged (--env-as-is)")
        return None
    env = dict(os.environ)
    for var in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"):
        if env.pop(var, None) is not None:
            ENV_NOTES.append(f"unset {var}")
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    ENV_NOTES.append("PYTHONPYCACHEPREFIX=bench/.cache/pycache (bytecode cache for both sides)")
    return env

# --------------------------------------------------------------------------------------------------------
# Child programs. Each prints one JSON object as its last stdout line. Timing excludes interpreter start
# and imports: the clock starts right before the checkpoint is opened.

_COMMON = r"""
import json, sys, time
def nbytes(a):
    if isinstance(a, (bytes, bytearray)):
        return len(a)
    import numpy as np
    a = np.asarray(a)
    if a.dtype == object:
        return sum(len(x) if isinstance(x, (bytes, bytearray, str)) else 0 for x in a.flat)
    return int(a.nbytes)
"""

CHILD_READ_OURS = _COMMON + r"""
import numpy
import ml_dtypes  # imported by `import tensorflow` on the other side; here on first use (bfloat16): not timed
import ckpt_doctor
p = sys.argv[1]
t0 = time.perf_counter()
cat = ckpt_doctor.open_checkpoint(p)
t1 = time.perf_counter()
total = n = 0
for name, info in cat.items():
    a = info.read()
    total += nbytes(a); n += 1
    del a
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "read_s": t2 - t1, "bytes": total, "tensors": n}))
"""

# The same, reading two tensors at a time in threads (Catalog.read_all(jobs=2): both cores busy).
CHILD_READ_OURS2 = CHILD_READ_OURS.replace("for name, info in cat.items():\n    a = info.read()",
                                           "for name, a in cat.read_all(jobs=2):")
assert CHILD_READ_OURS2 != CHILD_READ_OURS

CHILD_READ_TF = _COMMON + r"""
import tensorflow as tf
p = sys.argv[1]
t0 = time.perf_counter()
reader = tf.train.load_checkpoint(p)
keys = list(reader.get_variable_to_shape_map())
t1 = time.perf_counter()
total = n = 0
for k in keys:
    a = reader.get_tensor(k)
    total += nbytes(a); n += 1
    del a
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "read_s": t2 - t1, "bytes": total, "tensors": n}))
"""

# In-process listing (imports excluded): 1 warm-up + N timed calls in one process, for context.
CHILD_LIST_OURS = r"""
import json, sys, time
import ckpt_doctor
p, n = sys.argv[1], int(sys.argv[2])
ts = []
for i in range(n + 1):
    t0 = time.perf_counter()
    cat = ckpt_doctor.open_checkpoint(p)
    listing = [(k, list(v.shape)) for k, v in cat.items()]
    ts.append(time.perf_counter() - t0)
    del cat, listing
print(json.dumps({"times": ts[1:]}))
"""

CHILD_LIST_TF = r"""
import json, sys, time
import tensorflow as tf
p, n = sys.argv[1], int(sys.argv[2])
ts = []
for i in range(n + 1):
    t0 = time.perf_counter()
    listing = tf.train.list_variables(p)
    ts.append(time.perf_counter() - t0)
    del listing
print(json.dumps({"times": ts[1:]}))
"""

# Correctness cross-check: same names, dtypes, shapes and (bit-identical) values through both readers.
CHILD_CROSSCHECK = r"""
import json, sys
import numpy as np
import tensorflow as tf
import ckpt_doctor
out = {}
for p in sys.argv[1:]:
    r = tf.train.load_checkpoint(p)
    shapes = r.get_variable_to_shape_map(); dtypes = r.get_variable_to_dtype_map()
    tfmeta = {k: (dtypes[k].name, list(shapes[k])) for k in shapes}
    res = {"tf_tensors": len(tfmeta), "ours_tensors": None, "problems": [], "compared_values": 0,
           "tf_listing": {k: v[1] for k, v in tfmeta.items()}}
    try:
        cat = ckpt_doctor.open_checkpoint(p)
    except Exception as e:
        res["problems"].append(f"open_checkpoint failed: {type(e).__name__}: {e}")
        out[p] = res; continue
    res["ours_tensors"] = len(cat)
    seen = set()
    for name, info in cat.items():
        key = name if name in tfmeta else None
        if key is None:
            for alt in (info.object_path and info.object_path + "/.ATTRIBUTES/VARIABLE_VALUE", info.full_name):
                if alt and alt in tfmeta:
                    key = alt; break
        if key is None:
            res["problems"].append(f"{name!r}: not a key TensorFlow lists"); continue
        seen.add(key)
        tdt, tshape = tfmeta[key]
        if tdt == "half": tdt = "float16"
        if info.dtype != tdt: res["problems"].append(f"{name!r}: dtype {info.dtype} vs TF {tdt}")
        if list(info.shape) != tshape: res["problems"].append(f"{name!r}: shape {list(info.shape)} vs TF {tshape}")
        try:
            a = info.read()
        except Exception as e:
            res["problems"].append(f"{name!r}: read() failed: {type(e).__name__}: {e}"); continue
        b = r.get_tensor(key)
        if isinstance(b, bytes) or np.asarray(b).dtype == object:
            same = np.asarray(a, dtype=object).tolist() == np.asarray(b, dtype=object).tolist()
        else:
            a = np.asarray(a); b = np.asarray(b)
            same = a.shape == b.shape and a.dtype.itemsize == b.dtype.itemsize and \
                np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
            if same and a.dtype != b.dtype and str(a.dtype) != str(b.dtype):
                res["problems"].append(f"{name!r}: numpy dtype {a.dtype} vs TF {b.dtype}")
        if not same: res["problems"].append(f"{name!r}: values differ from TensorFlow's")
        res["compared_values"] += 1
        del a, b
    for k in sorted(set(tfmeta) - seen):
        res["problems"].append(f"{k!r}: listed by TensorFlow, missing from open_checkpoint()")
    out[p] = res
print(json.dumps(out))
"""

# --------------------------------------------------------------------------------------------------------
# Process running with exact per-process peak RSS (os.wait4 gives the rusage of that one child).


class Result:
    def __init__(self, cmd, rc, wall, maxrss, stdout, stderr):
        self.cmd, self.rc, self.wall, self.maxrss, self.stdout, self.stderr = cmd, rc, wall, maxrss, stdout, stderr

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def last_json(self):
        for line in reversed(self.stdout.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
        raise ValueError("child printed no JSON")

    def error(self) -> str:
        tail = [ln for ln in self.stderr.strip().splitlines() if ln.strip()][-6:]
        return f"exit {self.rc}: " + (" | ".join(tail) if tail else "(no stderr)")


def run(cmd, capture_stdout=False, timeout=TIMEOUT, env=None) -> Result:
    """Run ``cmd``; return exit code, wall time, peak RSS (bytes) of that process, output."""
    env = env if env is not None else CHILD_ENV
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out if capture_stdout else subprocess.DEVNULL,
                             stderr=err, env=env)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        maxrss = ru.ru_maxrss if sys.platform == "darwin" else ru.ru_maxrss * 1024
        out.seek(0)
        err.seek(0)
        return Result(cmd, p.returncode, wall, maxrss, out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"))


def warm_files(prefix: str) -> None:
    """Read every file of the checkpoint once so both readers start from the same warm page cache."""
    d, base = os.path.split(prefix)
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith(base + "."))
    cat = shutil.which("cat")
    if cat:
        subprocess.run([cat, *files], stdout=subprocess.DEVNULL, check=True)
    else:
        for f in files:
            with open(f, "rb") as fh:
                while fh.read(16 * MIB):
                    pass


def log(msg: str) -> None:
    print(msg, flush=True)


def fmt_s(x):
    return f"{x:.3f}s" if x is not None else "n/a"


def speed(r: float) -> str:
    return f"{r:.1f}x faster" if r >= 1 else f"{1 / r:.1f}x slower"


def fmt_mib(x):
    return f"{x / MIB:.0f} MiB" if x is not None else "n/a"


# --------------------------------------------------------------------------------------------------------


def ensure_venv() -> None:
    venv = os.path.join(ROOT, ".venv")
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(venv) \
            and not os.environ.get("CKPT_BENCH_NO_REEXEC"):
        print(f"[bench] re-running with {py}", file=sys.stderr)
        os.environ["CKPT_BENCH_NO_REEXEC"] = "1"
        os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


def console_script() -> str | None:
    for d in (os.path.dirname(sys.executable), os.path.join(sys.prefix, "bin")):
        p = os.path.join(d, "ckpt-doctor")
        if os.path.exists(p):
            return p
    return None


def bench_listing(prefix: str, repeat: int, warmup: int, results: dict) -> None:
    py = sys.executable
    variants = {"ours (python -m)": [py, "-m", "ckpt_doctor", "inspect", "--json", prefix]}
    script = console_script()
    if script:
        variants["ours (console script)"] = [script, "inspect", "--json", prefix]
    variants["tf.train.list_variables"] = [py, "-c",
                                           "import sys, tensorflow as tf; tf.train.list_variables(sys.argv[1])",
                                           prefix]
    times = {k: [] for k in variants}
    failed = {}
    for i in range(warmup + repeat):  # interleaved, so slow drift hits every variant alike
        for name, cmd in variants.items():
            if name in failed:
                continue
            r = run(cmd)
            if not r.ok:
                failed[name] = r.error()
                log(f"  {name}: FAILED {failed[name]}")
                continue
            if i >= warmup:
                times[name].append(r.wall)
    out = {}
    for name in variants:
        t = times[name]
        out[name] = {"cmd": " ".join(variants[name]), "times": t, "median": statistics.median(t) if t else None,
                     "min": min(t) if t else None, "error": failed.get(name)}
        if t:
            log(f"  {name:26s} median {statistics.median(t):.3f}s  min {min(t):.3f}s  runs {len(t)}")
    results["listing"] = out
    inproc = {}
    for side, code in (("ours", CHILD_LIST_OURS), ("tf", CHILD_LIST_TF)):
        r = run([py, "-c", code, prefix, str(repeat)], capture_stdout=True)
        if r.ok:
            t = r.last_json()["times"]
            inproc[side] = {"median": statistics.median(t), "min": min(t)}
            log(f"  in-process, imports excluded: {side:4s} median {statistics.median(t) * 1e3:.1f} ms  "
                f"min {min(t) * 1e3:.1f} ms")
        else:
            inproc[side] = {"error": r.error()}
            log(f"  in-process {side}: FAILED {r.error()}")
    results["listing_inprocess"] = inproc


def bench_read(prefix: str, repeat: int, results: dict) -> None:
    py = sys.executable
    sides = {"ours": CHILD_READ_OURS, "ours-2": CHILD_READ_OURS2, "tf": CHILD_READ_TF}
    runs = {k: [] for k in sides}
    errors = {}
    for i in range(repeat):
        for side, code in sides.items():
            if side in errors:
                continue
            warm_files(prefix)
            r = run([py, "-c", code, prefix], capture_stdout=True)
            if not r.ok:
                errors[side] = r.error()
                log(f"  {side}: FAILED {errors[side]}")
                continue
            d = r.last_json()
            d["total_s"] = d["open_s"] + d["read_s"]
            d["gbps"] = d["bytes"] / d["total_s"] / 1e9
            d["peak_rss"] = r.maxrss
            d["wall"] = r.wall
            runs[side].append(d)
            log(f"  {side:4s} run {i + 1}: {d['bytes'] / 1e9:.3f} GB in {d['total_s']:.3f}s (open {d['open_s']:.3f}s) "
                f"= {d['gbps']:.2f} GB/s, peak RSS {r.maxrss / MIB:.0f} MiB")
    out = {}
    for side in sides:
        best = max(runs[side], key=lambda d: d["gbps"]) if runs[side] else None
        out[side] = {"runs": runs[side], "best": best, "error": errors.get(side)}
    results["read"] = out


def bench_memory(prefix: str, results: dict) -> None:
    py = sys.executable
    out = {}
    warm_files(prefix)
    r = run([py, "-m", "ckpt_doctor", "verify", prefix], capture_stdout=True)
    out["verify"] = {"ok": r.ok, "peak_rss": r.maxrss, "wall": r.wall, "error": None if r.ok else r.error(),
                     "stdout_tail": r.stdout.strip().splitlines()[-3:]}
    log(f"  ckpt-doctor verify: exit {r.rc}, {r.wall:.2f}s, peak RSS {r.maxrss / MIB:.0f} MiB"
        + ("" if r.ok else f"  ({r.error()})"))
    for name, code in (("import numpy", "import numpy"), ("import ckpt_doctor", "import ckpt_doctor"),
                       ("import tensorflow", "import tensorflow")):
        r = run([py, "-c", code])
        out[name] = {"ok": r.ok, "peak_rss": r.maxrss if r.ok else None}
        log(f"  baseline python -c '{code}': peak RSS {r.maxrss / MIB:.0f} MiB" + ("" if r.ok else " (FAILED)"))
    results["memory"] = out


def crosscheck(prefixes: list[str], inspect_prefix: str, results: dict) -> None:
    py = sys.executable
    r = run([py, "-c", CHILD_CROSSCHECK, *prefixes], capture_stdout=True)
    out = {"error": None if r.ok else r.error(), "per_checkpoint": {}, "cli_inspect": {}}
    if r.ok:
        data = r.last_json()
        for p, d in data.items():
            out["per_checkpoint"][p] = {k: v for k, v in d.items() if k != "tf_listing"}
            log(f"  {os.path.relpath(p, ROOT)}: TF {d['tf_tensors']} tensors, ours {d['ours_tensors']}, "
                f"{d['compared_values']} values compared, {len(d['problems'])} problem(s)")
            for prob in d["problems"][:10]:
                log(f"    - {prob}")
        # The CLI's JSON listing must name the same tensors with the same shapes.
        tf_listing = data.get(inspect_prefix, {}).get("tf_listing", {})
        ri = run([py, "-m", "ckpt_doctor", "inspect", "--json", inspect_prefix], capture_stdout=True)
        problems = []
        if not ri.ok:
            problems.append(f"inspect failed: {ri.error()}")
        else:
            try:
                doc = json.loads(ri.stdout)
                tensors = doc["tensors"] if isinstance(doc, dict) else doc
                listed = {t["name"]: list(t["shape"]) for t in tensors}
                for k in ("name", "dtype", "shape", "nbytes"):
                    if tensors and k not in tensors[0]:
                        problems.append(f"inspect --json entries lack {k!r}")
                if set(listed) != set(tf_listing):
                    problems.append(f"inspect lists {len(listed)} names, TF {len(tf_listing)}; "
                                    f"{len(set(listed) - set(tf_listing))} extra, "
                                    f"{len(set(tf_listing) - set(listed))} missing")
                bad = [k for k in listed if k in tf_listing and listed[k] != tf_listing[k]]
                if bad:
                    problems.append(f"{len(bad)} shapes differ, e.g. {bad[0]!r}: {listed[bad[0]]} vs "
                                    f"{tf_listing[bad[0]]}")
            except (ValueError, KeyError, TypeError) as e:
                problems.append(f"inspect --json output not as expected: {type(e).__name__}: {e}")
        out["cli_inspect"] = {"problems": problems}
        log(f"  inspect --json vs tf.train.list_variables on {os.path.relpath(inspect_prefix, ROOT)}: "
            + ("identical names and shapes" if not problems else "; ".join(problems)))
    else:
        log(f"  cross-check FAILED: {out['error']}")
    results["crosscheck"] = out


# --------------------------------------------------------------------------------------------------------


def build_table(results: dict, ckpts: dict, args) -> str:
    many, big = ckpts["many"], ckpts["big"]
    rows = []

    lst = results.get("listing", {})
    tf_l = lst.get("tf.train.list_variables", {})
    for name in ("ours (python -m)", "ours (console script)"):
        o = lst.get(name)
        if o is None:
            continue
        metric = f"list {many['variables']:,} vars, whole process, median (min) - {name.split('(')[1][:-1]}"
        if o["median"] and tf_l.get("median"):
            ratio = tf_l["median"] / o["median"]
            ratio_min = tf_l["min"] / o["min"]
            rows.append([metric, f"{o['median']:.3f}s ({o['min']:.3f}s)", f"{tf_l['median']:.3f}s ({tf_l['min']:.3f}s)",
                         f"{ratio:.1f}x faster ({ratio_min:.1f}x)", ">= 30x faster", "yes" if ratio >= 30 else "NO"])
        else:
            rows.append([metric, "error" if o.get("error") else "n/a",
                         fmt_s(tf_l.get("median")), "n/a", ">= 30x faster", "n/a"])

    ip = results.get("listing_inprocess", {})
    if ip:
        o, t = ip.get("ours", {}), ip.get("tf", {})

        def cell(d):
            return f"{d['median'] * 1e3:.0f} ms ({d['min'] * 1e3:.0f} ms)" if "median" in d else "error"

        rows.append([f"list {many['variables']:,} vars in-process, imports excluded, median (min): "
                     "`open_checkpoint` vs `tf.train.list_variables`", cell(o), cell(t),
                     speed(t["median"] / o["median"]) if "median" in o and "median" in t else "n/a",
                     "(context)", ""])

    rd = results.get("read", {})
    for side, how in (("ours", "1 thread"), ("ours-2", "2 threads (`read_all(jobs=2)`)")):
        if side not in rd:
            continue
        o, t = rd[side]["best"], rd["tf"]["best"]
        metric = (f"read all tensors into arrays in-process, {how}, {big['tensor_bytes'] / 1e9:.2f} GB, best of "
                  f"{args.read_repeat}, warm cache")
        if o and t:
            ratio = o["gbps"] / t["gbps"]
            rows.append([metric, f"{o['gbps']:.2f} GB/s", f"{t['gbps']:.2f} GB/s", f"{ratio:.2f}x",
                         ">= 1.5x TF", "yes" if ratio >= 1.5 else "NO"])
        else:
            rows.append([metric, f"{o['gbps']:.2f} GB/s" if o else "error", f"{t['gbps']:.2f} GB/s" if t else "error",
                         "n/a", ">= 1.5x TF", "n/a"])

    mem = results.get("memory", {})
    if mem:
        limit = big["largest_tensor_bytes"] + 100 * MIB
        v = mem["verify"]
        t = rd.get("tf", {}).get("runs") if rd else None
        tf_peak = max(d["peak_rss"] for d in t) if t else None
        metric = "peak RSS: `ckpt-doctor verify` (whole process) vs TF read-all process"
        goal = f"<= largest tensor + 100 MiB = {limit / MIB:.0f} MiB"
        if v["ok"]:
            rows.append([metric, fmt_mib(v["peak_rss"]), fmt_mib(tf_peak),
                         f"{v['peak_rss'] / tf_peak:.2f}x" if tf_peak else "n/a", goal,
                         "yes" if v["peak_rss"] <= limit else "NO"])
        else:
            rows.append([metric, f"verify failed ({fmt_mib(v['peak_rss'])})", fmt_mib(tf_peak), "n/a", goal, "NO"])
        o = rd.get("ours", {}).get("runs") if rd else None
        ours_peak = max(d["peak_rss"] for d in o) if o else None
        if ours_peak is not None or tf_peak is not None:
            rows.append(["peak RSS: open + read() every tensor (the throughput processes)", fmt_mib(ours_peak),
                         fmt_mib(tf_peak), f"{ours_peak / tf_peak:.2f}x" if ours_peak and tf_peak else "n/a",
                         "(context)", ""])
        rows.append(["baseline RSS: `python -c 'import numpy'` / `import tensorflow`",
                     fmt_mib(mem.get("import numpy", {}).get("peak_rss")),
                     fmt_mib(mem.get("import tensorflow", {}).get("peak_rss")), "", "(context)", ""])
        if v["ok"]:
            rows.append([f"`ckpt-doctor verify` wall time, {big['file_bytes'] / 1e9:.2f} GB (whole process)",
                         f"{v['wall']:.2f}s = {big['file_bytes'] / v['wall'] / 1e9:.2f} GB/s", "", "", "(context)", ""])

    cc = results.get("crosscheck")
    if cc:
        if cc["error"]:
            rows.append(["same names/dtypes/shapes/values as TF (both checkpoints)", "cross-check failed", "", "",
                         "identical", "NO"])
        else:
            probs = sum(len(d["problems"]) for d in cc["per_checkpoint"].values()) + len(cc["cli_inspect"]["problems"])
            n = sum(d["compared_values"] for d in cc["per_checkpoint"].values())
            rows.append(["same names/dtypes/shapes/values as TF (both checkpoints, API + `inspect --json`)",
                         f"{n:,} tensors compared, {probs} problem(s)", "reference", "", "identical",
                         "yes" if probs == 0 else "NO"])

    rows += scale.rows(results)
    head = ["metric", "ckpt-doctor", "incumbent", "ratio", "goal", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def describe(results: dict, ckpts: dict, args) -> str:
    many, big = ckpts["many"], ckpts["big"]
    env = results["env"]
    lines = [
        f"- Machine: {env['cpus']} CPUs, {env['platform']}, Python {env['python']}, "
        f"TensorFlow {many.get('tf_version')}, "
        f"ckpt-doctor {env['ckpt_doctor']}; profile `{'quick' if args.quick else 'full'}`; {env['date']}; load average "
        f"at start {env.get('load', '?')} (the machine is shared: absolute speeds vary, ratios within a run hold "
        "better).",
        f"- Listing checkpoint: `{os.path.relpath(many['prefix'], ROOT)}` - TF1 `Saver` (graph mode), "
        f"{many['variables']:,} float32 variables, {many['file_bytes'] / MIB:.1f} MiB.",
        f"- Large checkpoint: `{os.path.relpath(big['prefix'], ROOT)}` - TF2 `tf.train.Checkpoint`, "
        f"{big['variables']} tensors (+ object graph), {big['file_bytes'] / MIB:.0f} MiB "
        f"({big['file_bytes'] / 1e9:.2f} GB), largest tensor {big['largest_tensor_bytes'] / MIB:.0f} MiB.",
        f"- Listing: whole-process wall time incl. interpreter start and imports, stdout discarded, "
        f"{args.warmup} warm-up + {args.repeat} timed runs per command, interleaved.",
        "- Read: fresh process per run; clock covers open + read of every tensor (imports excluded); "
        "checkpoint files are `cat` to /dev/null right before each run, so both sides read from a warm page cache. "
        "GB = 1e9 bytes.",
        "- Peak RSS: `ru_maxrss` of that one child process (os.wait4), i.e. including interpreter and imports.",
        f"- Child environment (same for both sides): {'; '.join(ENV_NOTES) or 'unchanged'}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ensure_venv()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small checkpoints and fewer repeats (smoke run)")
    ap.add_argument("--out", help="write the results (markdown) to this file")
    ap.add_argument("--repeat", type=int, default=None, help="timed runs per listing command (default 5, quick 2)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed warm-up runs per listing command (default 1)")
    ap.add_argument("--read-repeat", type=int, default=None,
                    help="runs per side for read throughput (default 3, quick 1)")
    ap.add_argument("--cache", default=make_checkpoints.DEFAULT_CACHE)
    ap.add_argument("--env-as-is", action="store_true",
                    help="measured children inherit PYTHONUNBUFFERED etc. unchanged (default: normalised, see docs)")
    ap.add_argument("--only", default="listing,read,memory,check,verify,sharded,remote",
                    help="comma-separated subset of: listing, read, memory, check, verify (1 vs 2 threads vs a bare "
                         "read + CRC32C loop), sharded (10 GB in 8 shards, written and deleted again), remote "
                         "(listing by URL from a local moto S3 server)")
    ap.add_argument("--keep-sharded", action="store_true", help="keep the 10 GB sharded checkpoint for the next run")
    args = ap.parse_args(argv)
    args.repeat = args.repeat or (2 if args.quick else 5)
    args.warmup = args.warmup if args.warmup is not None else 1
    args.read_repeat = args.read_repeat or (1 if args.quick else 3)
    only = set(args.only.split(","))
    t_start = time.perf_counter()
    global CHILD_ENV
    CHILD_ENV = child_env(args.env_as_is)

    profile = "quick" if args.quick else "full"
    ckpts = make_checkpoints.ensure(profile, args.cache, log=lambda m: log(m))
    many, big = ckpts["many"]["prefix"], ckpts["big"]["prefix"]

    probe = run([sys.executable, "-c", "import ckpt_doctor; print(getattr(ckpt_doctor, '__version__', '?'))"],
                capture_stdout=True)
    version = probe.stdout.strip() if probe.ok else "NOT IMPORTABLE"
    if not probe.ok:
        log(f"[bench] ckpt_doctor is not importable by {sys.executable}: {probe.error()}\n"
            f"        (try: {sys.executable} -m pip install -e {ROOT})")
    results = {"env": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                       "ckpt_doctor": version, "date": time.strftime("%Y-%m-%d %H:%M"), "executable": sys.executable,
                       "load": " / ".join(f"{x:.1f}" for x in os.getloadavg())}}

    if CHILD_ENV is not None:  # fill the bytecode cache once, untimed (slow only the first time, ~10 s for TF)
        run([sys.executable, "-c", "import numpy, tensorflow, ckpt_doctor.cli, ckpt_doctor.verify"])

    if "listing" in only:
        log(f"\n[1/4] listing {ckpts['many']['variables']:,} variables, whole process "
            f"({args.warmup} warm-up + {args.repeat} runs each)")
        warm_files(many)
        bench_listing(many, args.repeat, args.warmup, results)
    if "read" in only:
        log(f"\n[2/4] read every tensor of {ckpts['big']['file_bytes'] / 1e9:.2f} GB in-process, "
            f"best of {args.read_repeat}; files are cat to /dev/null before each run (warm page cache for both)")
        bench_read(big, args.read_repeat, results)
    if "memory" in only:
        log("\n[3/4] peak RSS of `python -m ckpt_doctor verify` (whole process) and baselines")
        bench_memory(big, results)
    if "check" in only:
        log("\n[4/4] correctness cross-check against TensorFlow (not timed)")
        crosscheck([many, big], many, results)
    if "verify" in only:
        log("\n[5] verify in-process on 1 and 2 threads vs a bare read + CRC32C loop (warm cache, best of 3)")
        scale.bench_verify(run, log, big, 3, results)
    if "sharded" in only:
        log("\n[6] peak RSS of `ckpt-doctor verify --jobs 1/2` on a 10 GB checkpoint in 8 safetensors shards")
        scale.bench_sharded(run, log, args.cache, results, keep=args.keep_sharded,
                            **({"shards": 2, "big": 16 * MIB, "small": 4 * MIB} if args.quick else {}))
    if "remote" in only:
        log("\n[7] listing by URL from a local S3-compatible server (moto): bytes and requests the server answered")
        scale.bench_remote(run, log, args.cache, big, results)

    table = build_table(results, ckpts, args)
    text = (f"## ckpt-doctor benchmark ({'quick' if args.quick else 'full'})\n\n{table}\n\n"
            f"{describe(results, ckpts, args)}\n"
            f"- Total bench time {time.perf_counter() - t_start:.0f}s. Command: "
            f"`python bench/run.py{''.join(' ' + a for a in (argv if argv is not None else sys.argv[1:]))}`.\n")
    log("\n" + text)
    with open(os.path.join(args.cache, f"last_results_{profile}.json"), "w") as f:
        json.dump({"results": results, "checkpoints": ckpts}, f, indent=1, default=str)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        log(f"[bench] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
