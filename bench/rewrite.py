#!/usr/bin/env python
"""Benchmark: ``ckpt-doctor rewrite`` of a >= 1 GiB TF checkpoint vs ``cp`` of the same files, in the same run.

    nice -n 10 .venv/bin/python bench/rewrite.py [--gib 1.1] [--repeat 2] [--keep DIR]

The input bundle (16 x 64 MiB float32 + small tensors of other dtypes, ~1.1 GiB) is written once by ckpt-doctor's
own writer (byte-identical to TensorFlow's, see tests/test_rewrite.py) in a scratch directory. Then, interleaved,
``cp`` copies its files and ``python -m ckpt_doctor rewrite`` renames every tensor (prefix rule) and writes a new
bundle, including the read-back check of every tensor. Each run is a fresh process; wall time and the child's
peak RSS (``wait4``) are measured. Goals: rewrite >= 50 % of cp's throughput; peak RSS <= largest tensor + 100 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


def make_input(prefix: str, gib: float) -> int:
    """Write the input bundle; returns its largest tensor's size in bytes."""
    sys.path.insert(0, os.path.join(ROOT, "src"))
    import ml_dtypes
    import numpy as np


    big = 64 * MIB
    n = max(1, int(gib * 1024 * MIB) // big)
    rng = np.random.default_rng(0)

    def tensors():
        for i in range(n):
            yield f"model/block_{i}/kernel", rng.standard_normal(big // 4, dtype=np.float32).reshape(-1, 1024)
        yield "model/head/bias16", np.arange(1000, dtype=np.float16)
        yield "model/head/bf16", np.arange(1000, dtype=np.float32).astype(ml_dtypes.bfloat16)
        yield "model/step", np.array(7, np.int64)
        yield "model/mask", np.ones(100, bool)

    from ckpt_doctor.formats._writing import Tensor, dtype_of

    def lazy():  # generated one at a time: the generator itself stays within one tensor too
        for name, value in tensors():
            yield Tensor(name, dtype_of(value), value.shape, lambda v=value: v)

    from ckpt_doctor.formats import tf_bundle_writer

    tf_bundle_writer.write(lazy(), prefix)
    return big


def run(cmd: list[str], env=None) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return seconds, usage.ru_maxrss * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gib", type=float, default=1.05, help="input size (default 1.05 GiB)")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs of each side (default 2)")
    ap.add_argument("--keep", metavar="DIR", help="scratch directory to use and keep (default: a temp dir, removed)")
    ap.add_argument("--make", metavar="PREFIX", help=argparse.SUPPRESS)  # internal: write the input, then exit
    args = ap.parse_args()
    if args.make:
        make_input(args.make, args.gib)
        return 0
    scratch = args.keep or tempfile.mkdtemp(prefix="ckpt-doctor-bench-rewrite-", dir=os.path.join(ROOT, "bench"))
    os.makedirs(scratch, exist_ok=True)
    try:
        src = os.path.join(scratch, "in", "model.ckpt-1")
        os.makedirs(os.path.dirname(src), exist_ok=True)
        t = time.perf_counter()
        if not os.path.exists(src + ".index"):  # in a child: this process must stay small (RSS is inherited by fork)
            subprocess.run([sys.executable, __file__, "--make", src, "--gib", str(args.gib)], check=True)
        largest = 64 * MIB
        files = [os.path.join(os.path.dirname(src), f) for f in sorted(os.listdir(os.path.dirname(src)))
                 if f.startswith("model.ckpt-1.")]
        total = sum(os.path.getsize(f) for f in files)
        print(f"input: {total / MIB:.0f} MiB in {len(files)} files, largest tensor {largest / MIB:.0f} MiB "
              f"(made in {time.perf_counter() - t:.1f} s)")
        rules = os.path.join(scratch, "rules.yaml")
        with open(rules, "w") as f:
            f.write('rules:\n  - prefix: {from: "model/", to: "renamed/"}\n')
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
        base = run([sys.executable, "-c", "import numpy, ckpt_doctor.restore.rewrite"], env)[1]
        cp_times, sync_times, rw_times, rw_rss = [], [], [], []
        for i in range(args.repeat):
            out = os.path.join(scratch, "cp")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            cp_times.append(run(["cp", *files, out])[0])
            copies = [os.path.join(out, os.path.basename(f)) for f in files]
            sync_times.append(cp_times[-1] + run(["sync", *copies])[0])  # cp + fsync: what rewrite guarantees
            shutil.rmtree(out)
            out = os.path.join(scratch, "rw")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            seconds, rss = run([sys.executable, "-m", "ckpt_doctor", "rewrite", src, "--rules", rules, "-o",
                                os.path.join(out, "model.ckpt-1")], env)
            rw_times.append(seconds)
            rw_rss.append(rss)
            shutil.rmtree(out)
            print(f"run {i + 1}: cp {cp_times[-1]:.2f} s (+ sync {sync_times[-1]:.2f} s), rewrite {seconds:.2f} s "
                  f"(peak RSS {rss / MIB:.0f} MiB)")
        out = os.path.join(scratch, "st")
        os.makedirs(out)
        conv, conv_rss = run([sys.executable, "-m", "ckpt_doctor", "rewrite", src, "--rules", rules, "-o",
                              os.path.join(out, "model.safetensors"), "--to", "safetensors"], env)
        shutil.rmtree(out)
        print(f"convert to safetensors (reads every value): {conv:.2f} s = {total / MIB / conv:.0f} MiB/s "
              f"(peak RSS {conv_rss / MIB:.0f} MiB)")
        cp_best, rw_best = min(cp_times), min(rw_times)
        print(f"\ncp:      best {cp_best:.2f} s = {total / MIB / cp_best:.0f} MiB/s; cp + sync of the copies: best "
              f"{min(sync_times):.2f} s = {total / MIB / min(sync_times):.0f} MiB/s")
        print(f"rewrite: best {rw_best:.2f} s = {total / MIB / rw_best:.0f} MiB/s "
              f"({100 * cp_best / rw_best:.0f} % of cp, {100 * min(sync_times) / rw_best:.0f} % of cp + sync; "
              "goal >= 50 %), "
              "incl. fsync and read-back of every tensor")
        print(f"peak RSS: {max(rw_rss + [conv_rss]) / MIB:.0f} MiB (interpreter + imports alone: {base / MIB:.0f} MiB; "
              f"largest tensor + 100 MB = {(largest + 100e6) / MIB:.0f} MiB)")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
