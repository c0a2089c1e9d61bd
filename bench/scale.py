"""Scale measurements for bench/run.py: verify on one and two cores, a 10 GB 8-shard checkpoint's peak memory,
listing by URL from a local S3-compatible server. Each measurement runs in fresh child processes.

    python bench/run.py --only verify,sharded,remote     # just these (see bench/README.md)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

MIB = 1 << 20

# One process, warm page cache: the incumbent (a bare read + CRC32C loop over the same data files, 1 MiB reads,
# google_crc32c as every TF-adjacent tool uses it) and verify() with 1 and 2 threads, interleaved, best of N.
CHILD_VERIFY = r"""
import json, os, sys, time
import google_crc32c
import ckpt_doctor
prefix, repeat = sys.argv[1], int(sys.argv[2])
d, base = os.path.split(prefix)
files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith(base + ".data-"))
data_bytes = sum(os.path.getsize(f) for f in files)
def warm():
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.read(16 << 20):
                pass
def bare():
    for f in files:
        crc = 0
        with open(f, "rb", buffering=0) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                crc = google_crc32c.extend(crc, chunk)
def verify(jobs):
    report = ckpt_doctor.verify(prefix, jobs=jobs)
    assert report.ok, report.problems
cases = {"bare read + CRC32C loop": bare, "verify, 1 thread": lambda: verify(1), "verify, 2 threads": lambda: verify(2)}
best = {k: float("inf") for k in cases}
cores = {}  # CPU seconds per wall second in the best run: how many cores the case actually got
for _ in range(repeat):
    for name, fn in cases.items():
        warm()
        t, c = time.perf_counter(), time.process_time()
        fn()
        t, c = time.perf_counter() - t, time.process_time() - c
        if t < best[name]:
            best[name], cores[name] = t, c / t
print(json.dumps({"data_bytes": data_bytes, "seconds": best, "cores": cores, "cpus": os.cpu_count(),
                  "load": os.getloadavg()[0]}))
"""

# Writes an 8-shard safetensors checkpoint one shard at a time (memory: one shard).
CHILD_WRITE_SHARDS = r"""
import json, os, sys
import numpy as np
from safetensors.numpy import save_file
out, shards, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out, exist_ok=True)
weight_map = {}
for s in range(shards):
    name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
    tensors = {}
    for i in range(4):
        tensors[f"layers.{s}.{i}.mlp.weight"] = np.full(big // 4, s * 10 + i, dtype=np.float32).reshape(-1, 1024)
        tensors[f"layers.{s}.{i}.attn.weight"] = np.full(small // 4, -i, dtype=np.float32).reshape(-1, 1024)
    save_file(tensors, os.path.join(out, name + ".tmp"))
    os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))
    weight_map.update(dict.fromkeys(tensors, name))
    del tensors
with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {}, "weight_map": weight_map}, f)
"""

# Lists a checkpoint by URL, counting what the S3 server answered (botocore after-call events).
CHILD_REMOTE_LIST = r"""
import json, sys, time
import fsspec
import ckpt_doctor
url = sys.argv[1]
fs = fsspec.filesystem("s3")
fs.connect()
count = {"requests": 0, "bytes": 0}
def on_call(http_response=None, parsed=None, model=None, **_):
    count["requests"] += 1
    if model is not None and model.name == "GetObject" and isinstance(parsed, dict):
        count["bytes"] += int(parsed.get("ContentLength") or 0)
fs.s3.meta.events.register("after-call.s3", on_call)
t = time.perf_counter()
catalog = ckpt_doctor.open_checkpoint(url)
listing = [(name, info.shape) for name, info in catalog.items()]
count["seconds"] = time.perf_counter() - t
count["tensors"] = len(listing)
print(json.dumps(count))
"""


def bench_verify(run, log, prefix: str, repeat: int, results: dict) -> None:
    r = run([sys.executable, "-c", CHILD_VERIFY, prefix, str(repeat)], capture_stdout=True)
    if not r.ok:
        log(f"  FAILED: {r.error()}")
        results["verify_cores"] = {"error": r.error()}
        return
    d = r.last_json()
    d["gbps"] = {k: d["data_bytes"] / s / 1e9 for k, s in d["seconds"].items()}
    for k, v in d["gbps"].items():
        log(f"  {k:26s} {v:.2f} GB/s, using {d['cores'][k]:.2f} cores (load average {d['load']:.1f})")
    results["verify_cores"] = d


def bench_sharded(run, log, cache: str, results: dict, keep: bool = False, shards: int = 8,
                  big: int = 256 * MIB, small: int = 64 * MIB) -> None:
    out = os.path.join(cache, "sharded10g")
    index = os.path.join(out, "model.safetensors.index.json")
    res: dict = {"shards": shards, "largest_tensor_bytes": big}
    try:
        if not os.path.exists(index):
            log(f"  writing {shards} x {4 * (big + small) / 1e9:.2f} GB safetensors shards with safetensors ...")
            t = time.perf_counter()
            w = run([sys.executable, "-c", CHILD_WRITE_SHARDS, out, str(shards), str(big), str(small)])
            if not w.ok:
                raise RuntimeError(w.error())
            log(f"  written in {time.perf_counter() - t:.0f}s")
        res["file_bytes"] = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
        for jobs in (1, 2):
            r = run([sys.executable, "-m", "ckpt_doctor", "verify", "--jobs", str(jobs), index], capture_stdout=True)
            res[f"jobs{jobs}"] = {"ok": r.ok, "peak_rss": r.maxrss, "wall": r.wall,
                                  "limit": big * jobs + 100 * MIB, "error": None if r.ok else r.error()}
            log(f"  verify --jobs {jobs}: exit {r.rc}, {r.wall:.1f}s ({res['file_bytes'] / r.wall / 1e9:.2f} GB/s), "
                f"peak RSS {r.maxrss / MIB:.0f} MiB (limit {(big * jobs + 100 * MIB) / MIB:.0f} MiB)")
    except Exception as e:  # noqa: BLE001 - report, do not abort the whole bench
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"  FAILED: {res['error']}")
    finally:
        if not keep and os.path.isdir(out):
            shutil.rmtree(out)
            log(f"  deleted {out}")
    results["sharded"] = res


def _moto(log):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            return proc, endpoint
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start (pip install 'moto[server]' s3fs)")


def bench_remote(run, log, cache: str, tf_prefix: str, results: dict) -> None:
    """Upload a ~1 GB 4-shard safetensors checkpoint and the large TF checkpoint to a local moto S3 server; list
    each by URL in a fresh process and count the bytes the server sent."""
    res: dict = {}
    proc = None
    env_keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    st_dir = os.path.join(cache, "remote_st")
    try:
        proc, endpoint = _moto(log)
        env = dict(os.environ, **env_keys, AWS_ENDPOINT_URL_S3=endpoint, AWS_ENDPOINT_URL=endpoint)
        if not os.path.exists(os.path.join(st_dir, "model.safetensors.index.json")):
            w = run([sys.executable, "-c", CHILD_WRITE_SHARDS, st_dir, "4", str(48 * MIB), str(16 * MIB)])
            if not w.ok:
                raise RuntimeError(w.error())
        upload = r"""
import os, sys, boto3
s3 = boto3.client("s3")
if "bench" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket="bench")
src, dest, only = sys.argv[1:4]
for name in sorted(os.listdir(src)):
    if name.startswith(only):
        with open(os.path.join(src, name), "rb") as f:  # one PUT each: moto's multipart uploads fail under load
            s3.put_object(Bucket="bench", Key=f"{dest}/{name}", Body=f)
"""
        tf_dir, tf_base = os.path.split(tf_prefix)
        cases = {"safetensors, 4 shards": ("s3://bench/st", st_dir, None, ("st", "")),
                 "TF bundle (TF2, 1 data file)": (f"s3://bench/tf/{tf_base}", tf_dir, tf_base + ".",
                                                  ("tf", tf_base + "."))}
        for label, (url, local, prefix, (dest, only)) in cases.items():
            t = time.perf_counter()
            u = run([sys.executable, "-c", upload, local, dest, only], env=env)
            if not u.ok:
                res[label] = {"error": u.error()}
                log(f"  {label}: upload FAILED {u.error()}")
                continue
            log(f"  {label}: uploaded to {endpoint} in {time.perf_counter() - t:.0f}s")
            total = sum(os.path.getsize(os.path.join(local, f)) for f in os.listdir(local)
                        if prefix is None or f.startswith(prefix))
            r = run([sys.executable, "-c", CHILD_REMOTE_LIST, url], capture_stdout=True, env=env)
            if not r.ok:
                res[label] = {"error": r.error()}
                log(f"  {label}: FAILED {r.error()}")
                continue
            d = r.last_json()
            d["total_bytes"] = total
            res[label] = d
            log(f"  {label}: {d['tensors']} tensors listed in {d['seconds']:.2f}s; fetched {d['bytes']:,} of "
                f"{total:,} bytes ({100 * d['bytes'] / total:.4f} %) in {d['requests']} requests")
    except Exception as e:  # noqa: BLE001
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"  FAILED: {res['error']}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(st_dir, ignore_errors=True)
    results["remote"] = res


def rows(results: dict) -> list[list[str]]:
    out = []
    v = results.get("verify_cores")
    if v and "gbps" in v:
        g = v["gbps"]
        bare, one, two = g["bare read + CRC32C loop"], g["verify, 1 thread"], g["verify, 2 threads"]
        gb = v["data_bytes"] / 1e9
        out.append([f"verify, 1 thread, {gb:.2f} GB warm, in-process, best of N", f"{one:.2f} GB/s",
                    f"{bare:.2f} GB/s (bare read + CRC32C loop)", f"{one / bare:.0%}", ">= 90 %",
                    "yes" if one >= 0.9 * bare else "NO"])
        per_cpu = {k: v["data_bytes"] / (v["seconds"][k] * v["cores"][k]) / 1e9 for k in v["seconds"]}
        out.append(["(context) GB per CPU-second: verify 1 thread / 2 threads vs bare loop",
                    f"{per_cpu['verify, 1 thread']:.2f} / {per_cpu['verify, 2 threads']:.2f}",
                    f"{per_cpu['bare read + CRC32C loop']:.2f}", "", "(context)", ""])
        out.append([f"verify, 2 threads vs our 1 thread ({v['cpus']} CPUs, load average {v['load']:.1f}; "
                    "cores obtained: "
                    f"{v['cores']['verify, 2 threads']:.2f} vs {v['cores']['verify, 1 thread']:.2f})",
                    f"{two:.2f} GB/s", f"{one:.2f} GB/s (ours, 1 thread)",
                    f"{two / one:.2f}x", ">= 1.6x", "yes" if two >= 1.6 * one else "NO"])
    s = results.get("sharded")
    if s and "file_bytes" in s:
        for jobs in (1, 2):
            r = s.get(f"jobs{jobs}")
            if r:
                out.append([f"`verify --jobs {jobs}`, {s['file_bytes'] / 1e9:.1f} GB in {s['shards']} "
                            "safetensors shards "
                            f"(largest tensor {s['largest_tensor_bytes'] / MIB:.0f} MiB): peak RSS, wall",
                            f"{r['peak_rss'] / MIB:.0f} MiB, {r['wall']:.0f}s" if r["ok"] else "FAILED", "", "",
                            f"<= largest x {jobs} + 100 MiB = {r['limit'] / MIB:.0f} MiB",
                            "yes" if r["ok"] and r["peak_rss"] <= r["limit"] else "NO"])
    rm = results.get("remote") or {}
    for label, d in rm.items():
        if isinstance(d, dict) and "bytes" in d:
            out.append([f"list by URL (moto S3 on localhost): {label}, {d['total_bytes'] / 1e9:.2f} GB",
                        f"{d['bytes']:,} bytes in {d['requests']} requests, {d['seconds']:.2f}s", "", 
                        f"{100 * d['bytes'] / d['total_bytes']:.4f} % fetched", "< 1 %",
                        "yes" if d["bytes"] < 0.01 * d["total_bytes"] else "NO"])
    return out


def summary(results: dict) -> str:
    return json.dumps({k: results.get(k) for k in ("verify_cores", "sharded", "remote")}, default=str)
