"""Write the benchmark checkpoints with real TensorFlow (cached; written only if missing).

Two checkpoints per size profile, each in its own directory under ``bench/.cache/<profile>/``:

* ``many/model.ckpt`` - TF1 name-based checkpoint written by ``tf.compat.v1.train.Saver`` in graph mode:
  ``model/block_{i}/layer_{j}/kernel`` and ``.../bias`` (10,000 small float32 variables in the full profile).
* ``big/ckpt`` - TF2 object-based checkpoint written by ``tf.train.Checkpoint.write``: float32 matrices of
  32 and 64 MiB (1.25 GiB in the full profile) plus a few small tensors of other dtypes.

A directory counts as done only when its ``manifest.json`` exists; that file is written last, so an
interrupted run is redone next time. Each checkpoint is written in its own child process, so TensorFlow's
memory goes back to the OS between the two, and the big one is generated tensor by tensor (peak memory is
about the checkpoint's size plus one tensor, never two copies of everything).

Usage: python bench/make_checkpoints.py [--quick] [--cache DIR] [--force]
Prints the manifest of both checkpoints as one JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = os.path.join(HERE, ".cache")
MIB = 1 << 20
WRITER_VERSION = 2  # bump when the writers change, so cached checkpoints are rewritten

# name -> parameters. "many": blocks x layers x {kernel, bias}. "big": list of (shape) float32 matrices.
PROFILES = {
    "full": {
        "many": {"blocks": 1000, "layers": 5},  # 10,000 variables
        # 16 x 64 MiB + 8 x 32 MiB = 1280 MiB of float32, largest tensor 64 MiB
        "big": {"matrices": [(4096, 4096)] * 16 + [(4096, 2048)] * 8},
    },
    "quick": {
        "many": {"blocks": 100, "layers": 5},  # 1,000 variables
        # 2 x 64 MiB + 2 x 32 MiB = 192 MiB
        "big": {"matrices": [(4096, 4096)] * 2 + [(4096, 2048)] * 2},
    },
}


def _maxrss_bytes(ru_maxrss: int) -> int:
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def _quiet_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


def _many_shapes(i: int, j: int) -> tuple[tuple[int, int], tuple[int]]:
    """Small, varied shapes: kernels between 8x8 and 64x64 (256 B .. 16 KiB), biases to match."""
    sizes = (8, 16, 24, 32, 48, 64)
    a = sizes[(i + j) % len(sizes)]
    b = sizes[(3 * i + 5 * j + 1) % len(sizes)]
    return (a, b), (b,)


def write_many(prefix: str, blocks: int, layers: int) -> dict:
    """TF1 graph-mode Saver checkpoint of blocks*layers*2 small variables."""
    tf = _quiet_tf()
    import numpy as np

    tf1 = tf.compat.v1
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    graph = tf.Graph()
    with graph.as_default():
        # Classic TF1 (ref) variables initialised from small numpy arrays: ~3x faster to build and initialise
        # than get_variable + random initializer ops, and ~1 GiB less peak memory at 10k variables.
        variables = []
        for i in range(blocks):
            for j in range(layers):
                for leaf, shape in zip(("kernel", "bias"), _many_shapes(i, j), strict=False):
                    value = rng.standard_normal(shape, dtype=np.float32)
                    value *= 0.05
                    variables.append(tf1.Variable(value, name=f"model/block_{i}/layer_{j}/{leaf}", use_resource=False))
        saver = tf1.train.Saver(var_list=variables, sharded=False, write_version=tf1.train.SaverDef.V2)
        t_build = time.perf_counter() - t0
        with tf1.Session(graph=graph) as sess:
            sess.run(tf1.global_variables_initializer())
            saver.save(sess, prefix, write_meta_graph=False, write_state=False)
    n = len(variables)
    nbytes = sum(int(np.prod(v.shape.as_list())) * 4 for v in variables)
    return {"kind": "tf1_saver", "prefix": prefix, "variables": n, "tensor_bytes": nbytes,
            "largest_tensor_bytes": max(int(np.prod(v.shape.as_list())) * 4 for v in variables),
            "graph_build_s": round(t_build, 2)}


def write_big(prefix: str, matrices: list) -> dict:
    """TF2 tf.train.Checkpoint of large float32 matrices plus a few small tensors of other dtypes."""
    tf = _quiet_tf()
    import numpy as np

    rng = np.random.default_rng(0)
    root = tf.Module()
    sizes = []
    for k, shape in enumerate(matrices):
        arr = rng.standard_normal(shape, dtype=np.float32)
        arr *= 0.02
        setattr(root, f"dense_{k}_kernel", tf.Variable(arr, name=f"dense_{k}/kernel"))
        sizes.append(arr.nbytes)
        del arr  # the variable holds its own copy; keep at most one numpy temporary alive
        bias = rng.standard_normal((shape[-1],), dtype=np.float32)
        setattr(root, f"dense_{k}_bias", tf.Variable(bias, name=f"dense_{k}/bias"))
        sizes.append(bias.nbytes)
    # A few small ones of other dtypes, like real training state has.
    root.step = tf.Variable(np.int64(12345), name="step")
    root.embedding_f16 = tf.Variable(rng.standard_normal((1000, 64), dtype=np.float32).astype(np.float16),
                                     name="embedding_f16")
    root.table_bf16 = tf.Variable(tf.cast(tf.constant(rng.standard_normal((256, 128), dtype=np.float32)),
                                          tf.bfloat16), name="table_bf16")
    root.counts_i32 = tf.Variable(np.arange(4096, dtype=np.int32), name="counts_i32")
    root.flags = tf.Variable(np.arange(100) % 3 == 0, name="flags")
    sizes += [8, 1000 * 64 * 2, 256 * 128 * 2, 4096 * 4, 100]
    ckpt = tf.train.Checkpoint(model=root)
    t0 = time.perf_counter()
    ckpt.write(prefix)
    t_write = time.perf_counter() - t0
    return {"kind": "tf2_checkpoint", "prefix": prefix, "variables": len(sizes), "tensor_bytes": sum(sizes),
            "largest_tensor_bytes": max(sizes), "write_s": round(t_write, 2)}


def _files_of(prefix: str) -> list[str]:
    d, base = os.path.split(prefix)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith(base + "."))


def _child(kind: str, profile: str, directory: str) -> None:
    """Runs in a fresh process: write one checkpoint into ``directory``, then its manifest."""
    params = PROFILES[profile][kind]
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    t0 = time.perf_counter()
    if kind == "many":
        info = write_many(os.path.join(directory, "model.ckpt"), **params)
    else:
        info = write_big(os.path.join(directory, "ckpt"), **params)
    info["seconds"] = round(time.perf_counter() - t0, 2)
    info["profile"] = profile
    info["params"] = params
    info["writer_version"] = WRITER_VERSION
    info["files"] = {os.path.basename(f): os.path.getsize(f) for f in _files_of(info["prefix"])}
    info["file_bytes"] = sum(info["files"].values())
    info["writer_peak_rss_bytes"] = _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    import tensorflow as tf

    info["tf_version"] = tf.__version__
    tmp = os.path.join(directory, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f, indent=2, default=list)
    os.replace(tmp, os.path.join(directory, "manifest.json"))


def _manifest(directory: str, profile: str) -> dict | None:
    path = os.path.join(directory, "manifest.json")
    try:
        with open(path) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    # Stale if the profile's parameters changed or a file went missing / changed size.
    kind = os.path.basename(directory)
    if json.loads(json.dumps(PROFILES[profile][kind], default=list)) != info.get("params") \
            or info.get("writer_version") != WRITER_VERSION:
        return None
    d = os.path.dirname(info["prefix"])
    for name, size in info["files"].items():
        p = os.path.join(d, name)
        if not os.path.exists(p) or os.path.getsize(p) != size:
            return None
    return info


def ensure(profile: str = "full", cache: str = DEFAULT_CACHE, force: bool = False, log=print) -> dict:
    """Make sure both checkpoints of ``profile`` exist in ``cache``; return their manifests."""
    out = {}
    for kind in ("many", "big"):
        directory = os.path.join(cache, profile, kind)
        info = None if force else _manifest(directory, profile)
        if info is None:
            log(f"[make_checkpoints] writing {profile}/{kind} with TensorFlow (once; cached in {directory}) ...")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind, "--profile", profile,
                            "--dir", directory], check=True)
            info = _manifest(directory, profile)
            if info is None:
                raise RuntimeError(f"writing {directory} produced no valid manifest")
            log(f"[make_checkpoints]   done in {time.perf_counter() - t0:.1f}s: {info['variables']} tensors, "
                f"{info['file_bytes'] / MIB:.1f} MiB on disk, writer peak RSS "
                f"{info['writer_peak_rss_bytes'] / MIB:.0f} MiB")
        out[kind] = info
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small checkpoints for a smoke run")
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--force", action="store_true", help="rewrite even if cached")
    ap.add_argument("--child", choices=("many", "big"), help=argparse.SUPPRESS)
    ap.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.profile, args.dir)
        return 0
    profile = args.profile or ("quick" if args.quick else "full")
    info = ensure(profile, args.cache, args.force, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
