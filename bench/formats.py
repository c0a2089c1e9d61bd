"""Listing a 1 GB PyTorch checkpoint and a 1 GB safetensors file: ckpt-doctor vs the frameworks' own readers.

    python bench/formats.py            # ~1 GB files (written once to bench/.cache/, needs torch + safetensors)
    python bench/formats.py --quick    # ~10 MB files, a few seconds
    python bench/formats.py --repeat 7

"Listing" = every tensor's name and shape. Compared, each in a fresh child process:

* ``ours``      ``ckpt_doctor.open_checkpoint(p)`` then iterate ``name, info.shape``
* ``ours-cli``  the ``inspect --json`` command's code path (``cli.main``, output to /dev/null)
* ``torch``     ``torch.load(p, weights_only=True, mmap=True)``, keys and ``.shape``
* ``st``        ``safetensors.safe_open(p, "np")``: ``keys()`` and ``get_slice(k).get_shape()``

Timing starts after imports (the ``import`` column shows what they cost: ``import torch``, ``import safetensors,
numpy``, ``import ckpt_doctor`` and the reader modules) and covers opening plus listing. ``read``
is the growth of ``rchar`` in ``/proc/self/io`` over the same span: bytes the process asked the kernel for. It
shows that listing reads headers only (torch maps the file instead of reading it, which rchar does not count).
``wall`` is the whole child process: interpreter start, imports, listing. The page cache is warm (one discarded
run per case); each figure is the median of ``--repeat`` runs.
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
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache")

_MAKE = r"""
import sys, torch
from safetensors.torch import save_file
hidden, layers, vocab, out_pt, out_st = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
g = torch.Generator().manual_seed(0)
sd = {"embed.weight": torch.randn(vocab, hidden, generator=g)}
for i in range(layers):
    p = f"layers.{i}."
    for name in ("q", "k", "v", "o"):
        sd[p + f"attn.{name}.weight"] = torch.randn(hidden, hidden, generator=g)
        sd[p + f"attn.{name}.bias"] = torch.zeros(hidden)
    sd[p + "mlp.up.weight"] = torch.randn(4 * hidden, hidden, generator=g)
    sd[p + "mlp.up.bias"] = torch.zeros(4 * hidden)
    sd[p + "mlp.down.weight"] = torch.randn(hidden, 4 * hidden, generator=g)
    sd[p + "mlp.down.bias"] = torch.zeros(hidden)
    for ln in ("ln1", "ln2"):
        sd[p + ln + ".weight"] = torch.ones(hidden)
        sd[p + ln + ".bias"] = torch.zeros(hidden)
sd["norm.weight"] = torch.ones(hidden)
torch.save(sd, out_pt + ".tmp")
save_file(sd, out_st + ".tmp")
import os
os.replace(out_pt + ".tmp", out_pt)
os.replace(out_st + ".tmp", out_st)
"""

_COMMON = r"""
import json, sys, time
def rchar():
    try:
        with open("/proc/self/io") as f:
            return int(next(l for l in f if l.startswith("rchar")).split()[1])
    except OSError:
        return -1
t_imp = time.perf_counter()
"""

CHILDREN = {
    "ours": _COMMON + r"""
import ckpt_doctor
import ckpt_doctor.formats.safetensors, ckpt_doctor.formats.numpy_npz, ckpt_doctor.formats.torch_pickle
import zipfile  # what the readers import on first use, as `import torch` does for torch.load
t0, r0 = time.perf_counter(), rchar()
cat = ckpt_doctor.open_checkpoint(sys.argv[1])
listing = [(name, info.shape) for name, info in cat.items()]
t1, r1 = time.perf_counter(), rchar()
""",
    "ours-cli": _COMMON + r"""
import io, os, contextlib
from ckpt_doctor.cli import main
import ckpt_doctor.report.inspect
import ckpt_doctor.formats.safetensors, ckpt_doctor.formats.numpy_npz, ckpt_doctor.formats.torch_pickle
import zipfile
t0, r0 = time.perf_counter(), rchar()
with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
    code = main(["inspect", "--json", sys.argv[1]])
assert code == 0
t1, r1 = time.perf_counter(), rchar()
listing = [None] * int(sys.argv[2])
""",
    "torch": _COMMON + r"""
import torch
t0, r0 = time.perf_counter(), rchar()
sd = torch.load(sys.argv[1], weights_only=True, mmap=True)
listing = [(name, tuple(t.shape)) for name, t in sd.items()]
t1, r1 = time.perf_counter(), rchar()
""",
    "st": _COMMON + r"""
from safetensors import safe_open
import numpy  # get_slice(...) for framework "np" needs it
t0, r0 = time.perf_counter(), rchar()
with safe_open(sys.argv[1], "np") as f:
    listing = [(name, tuple(f.get_slice(name).get_shape())) for name in f.keys()]
t1, r1 = time.perf_counter(), rchar()
""",
}
_REPORT = r"""
print(json.dumps({"list_s": t1 - t0, "import_s": t0 - t_imp, "rchar": r1 - r0, "tensors": len(listing),
                  "numpy": "numpy" in sys.modules}))
"""


def _python() -> str:
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    return env


def make_files(quick: bool) -> tuple[str, str, int]:
    # ~1.09 GB: 20 layers of hidden 1024 (48 MiB each) + a 32000 x 1024 embedding; quick: ~12 MB.
    hidden, layers, vocab = (256, 4, 4000) if quick else (1024, 20, 32000)
    tag = f"h{hidden}_l{layers}_v{vocab}"
    os.makedirs(CACHE, exist_ok=True)
    pt, st = os.path.join(CACHE, f"formats_{tag}.pt"), os.path.join(CACHE, f"formats_{tag}.safetensors")
    if not (os.path.exists(pt) and os.path.exists(st)):
        print(f"writing {pt} and {st} with torch (once) ...", file=sys.stderr)
        subprocess.run([_python(), "-c", _MAKE, str(hidden), str(layers), str(vocab), pt, st], check=True,
                       env=_env())
    return pt, st, 2 + layers * 16


def run_child(case: str, path: str, tensors: int) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([_python(), "-c", CHILDREN[case] + _REPORT, path, str(tensors)], capture_output=True,
                          text=True, env=_env(), timeout=900)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{case} on {path} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def measure(case: str, path: str, tensors: int, repeat: int) -> dict:
    run_child(case, path, tensors)  # warm the page cache and the interpreter's own files
    runs = [run_child(case, path, tensors) for _ in range(repeat)]
    if any(r["tensors"] != tensors for r in runs):
        raise RuntimeError(f"{case} listed {runs[0]['tensors']} tensors, expected {tensors}")
    return {key: statistics.median(r[key] for r in runs) for key in ("list_s", "import_s", "rchar", "wall_s")}


def _ms(s: float) -> str:
    return f"{s * 1000:9.1f}"


def _mib(n: float) -> str:
    return f"{n / 2**20:9.2f}" if n >= 0 else "      n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small files (~12 MB) instead of ~1 GB")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median reported)")
    args = parser.parse_args()
    pt, st, tensors = make_files(args.quick)
    print(f"PyTorch file:     {pt} ({os.path.getsize(pt) / 1e9:.2f} GB, {tensors} tensors)")
    print(f"safetensors file: {st} ({os.path.getsize(st) / 1e9:.2f} GB, {tensors} tensors)")
    print(f"median of {args.repeat} fresh processes each, warm page cache\n")
    header = f"{'file':12s} {'reader':9s} {'list ms':>9s} {'import ms':>9s} {'wall ms':>9s} {'read MiB':>9s}  ratio"
    print(header)
    print("-" * len(header))
    verdicts = []
    for label, path, rival in (("torch .pt", pt, "torch"), ("safetensors", st, "st")):
        results = {case: measure(case, path, tensors, args.repeat) for case in ("ours", "ours-cli", rival)}
        base = results[rival]["list_s"]
        for case, r in results.items():
            ratio = "" if case == rival else f"{r['list_s'] / base:5.2f}x {rival}'s listing time"
            print(f"{label:12s} {case:9s} {_ms(r['list_s'])} {_ms(r['import_s'])} {_ms(r['wall_s'])} "
                  f"{_mib(r['rchar'])}  {ratio}")
        ours = results["ours"]
        verdicts += [
            (f"{label}: listing no slower than {rival} (after imports)", ours["list_s"] <= base,
             f"{ours['list_s'] * 1000:.1f} ms vs {base * 1000:.1f} ms"),
            (f"{label}: whole process no slower than {rival}'s", ours["wall_s"] <= results[rival]["wall_s"],
             f"{ours['wall_s'] * 1000:.0f} ms vs {results[rival]['wall_s'] * 1000:.0f} ms"),
            (f"{label}: listing reads headers only (< 1% of the file)",
             0 <= ours["rchar"] < 0.01 * os.path.getsize(path), f"{ours['rchar']} of {os.path.getsize(path)} bytes"),
        ]
    print()
    for what, met, detail in verdicts:
        print(f"{'met    ' if met else 'NOT met'}  {what}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
