"""Verified restore vs the framework's own restore, on a >= 1 GB checkpoint, PyTorch and Keras, in the same run.

    nice -n 10 python bench/restore.py [--layers 16] [--width 4096] [--dir DIR]

Each measurement runs in its own subprocess (so peak RSS is its own): build the model (not timed), then restore:
* torch, framework: ``model.load_state_dict(torch.load(path, weights_only=True))``
* torch, ckpt-doctor: ``ckpt_doctor.restore(model, path, rules=None)`` (read, assign through load_state_dict, read
  every value back and compare)
* keras (Keras 3, TF checkpoint written by ``tf.train.Checkpoint(model=m).write``), framework:
  ``tf.train.Checkpoint(model=m).read(path)`` (restore without the save counter)
* keras, ckpt-doctor: ``ckpt_doctor.restore(model, path, rules=None)``
Peak RSS is reported above the RSS after building the model (the model's own memory is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def torch_model(layers: int, width: int):
    import torch

    return torch.nn.Sequential(*[torch.nn.Linear(width, width) for _ in range(layers)])


def keras_model(layers: int, width: int):
    import keras

    return keras.Sequential([keras.Input((width,))] + [keras.layers.Dense(width) for _ in range(layers)])


def child(mode: str, args) -> dict:
    sys.path.insert(0, SRC)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    framework, how = mode.split("-")
    if framework == "torch":
        import torch

        model = torch_model(args.layers, args.width)
        path = os.path.join(args.dir, "torch.pt")
        if not os.path.exists(path):
            torch.save(model.state_dict(), path)
            model = torch_model(args.layers, args.width)
    else:
        import tensorflow as tf

        model = keras_model(args.layers, args.width)
        prefix = os.path.join(args.dir, "keras", "ckpt")
        if not os.path.exists(prefix + "-1.index"):
            tf.train.Checkpoint(model=model).write(prefix + "-1")
            model = keras_model(args.layers, args.width)
        path = prefix + "-1"
    import ckpt_doctor

    base = _rss_mb()
    start = time.perf_counter()
    result = {"mode": mode}
    if how == "framework":
        if framework == "torch":
            model.load_state_dict(torch.load(path, weights_only=True))
        else:
            tf.train.Checkpoint(model=model).read(path).assert_existing_objects_matched()
    else:
        report = ckpt_doctor.restore(model, path, rules=None)
        result.update(verify_seconds=report.seconds_verify, restore_seconds=report.seconds_restore,
                      prepare_seconds=report.seconds_prepare,
                      bytes=report.bytes_restored, ok=report.ok)
    result.update(seconds=time.perf_counter() - start, peak_above_model_mb=_peak_mb() - base, model_rss_mb=base)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--child", default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    args.dir = args.dir or tempfile.mkdtemp(prefix="ckpt-doctor-bench-restore-")
    gb = args.layers * (args.width * args.width + args.width) * 4 / 1e9
    print(f"{args.layers} x Dense/Linear({args.width}): {gb:.2f} GB of float32 values; files in {args.dir}")
    rows = []
    for mode in ("keras-framework", "keras-doctor", "torch-framework", "torch-doctor"):
        for _ in range(args.repeat):  # the first run of a mode also warms the page cache
            cmd = [sys.executable, __file__, "--child", mode, "--layers", str(args.layers), "--width",
                   str(args.width), "--dir", args.dir]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"{mode} failed:\n{r.stderr[-3000:]}")
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    best = {}
    for row in rows:
        if row["mode"] not in best or row["seconds"] < best[row["mode"]]["seconds"]:
            best[row["mode"]] = row
    for framework in ("torch", "keras"):
        f, d = best[f"{framework}-framework"], best[f"{framework}-doctor"]
        print(f"{framework:6s} framework restore {f['seconds']:6.2f} s, peak +{f['peak_above_model_mb']:6.0f} MB | "
              f"ckpt-doctor restore+verify {d['seconds']:6.2f} s ({d['seconds'] / f['seconds']:.2f}x), verification "
              f"{d['verify_seconds']:.2f} s = {100 * d['verify_seconds'] / d['restore_seconds']:.0f} % of the restore, "
              f"preparation (model spec, pairing) {d['prepare_seconds']:.2f} s, "
              f"peak +{d['peak_above_model_mb']:6.0f} MB, ok={d['ok']}")
    print(json.dumps(best))


if __name__ == "__main__":
    main()
