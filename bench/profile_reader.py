"""Where ckpt-doctor spends its time: evidence for the numbers bench/run.py reports.

    python bench/profile_reader.py            # uses the full-profile checkpoints (run bench/run.py once first)
    python bench/profile_reader.py --quick

1. cProfile of ``inspect --json`` on the 10k-variable checkpoint (top functions by own time).
2. Listing split into phases: import, open_checkpoint, to_json, JSON encoding (as the CLI does it, and
   with the C encoder), and the cost of PYTHONUNBUFFERED on the CLI's many small writes.
3. Reading one 64 MiB tensor: ``TensorInfo.read()`` vs a prototype of the same read + CRC32C check that
   allocates with ``np.empty`` (no zero-fill; numpy asks for transparent huge pages) and copies in 256 KiB
   chunks that stay in cache while they are checksummed.

Reads private helpers only through ``TensorInfo``; the prototype is self-contained. Nothing is written.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_checkpoints  # noqa: E402


def best(fn, n=5):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def section(title):
    print(f"\n=== {title}")


def profile_inspect(prefix):
    section(f"cProfile: inspect --json {os.path.relpath(prefix)} (top 15 by own time)")
    from ckpt_doctor.cli import main

    out = io.StringIO()
    real = sys.stdout
    prof = cProfile.Profile()
    sys.stdout = out
    try:
        prof.runcall(main, ["inspect", "--json", prefix])
    finally:
        sys.stdout = real
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(15)
    print("\n".join(s.getvalue().splitlines()[4:]))


def phases(prefix):
    section("listing phases (best of 5, in-process)")
    t0 = time.perf_counter()
    import ckpt_doctor

    print(f"  import ckpt_doctor (first, this process) {1e3 * (time.perf_counter() - t0):7.1f} ms")
    cat = ckpt_doctor.open_checkpoint(prefix)
    seconds = best(lambda: ckpt_doctor.open_checkpoint(prefix))
    print(f"  open_checkpoint                          {1e3 * seconds:7.1f} ms")
    print(f"  catalog.to_json()                        {1e3 * best(cat.to_json):7.1f} ms")
    obj = cat.to_json()
    with open(os.devnull, "w") as f:
        print(f"  json.dump(obj, file, indent=1)           {1e3 * best(lambda: json.dump(obj, f, indent=1)):7.1f} ms"
              "   <- pure-Python encoder, ~1 write() per token")
        print(f"  f.write(json.dumps(obj))  (C encoder)    {1e3 * best(lambda: f.write(json.dumps(obj))):7.1f} ms")
    py = sys.executable
    cmd = [py, "-m", "ckpt_doctor", "inspect", "--json", prefix]
    for label, env in (("PYTHONUNBUFFERED unset", {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}),
                       ("PYTHONUNBUFFERED=1   ", {**os.environ, "PYTHONUNBUFFERED": "1"})):
        ts = []
        for _ in range(4):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
            ts.append(time.perf_counter() - t0)
        print(f"  whole process, {label}  {1e3 * min(ts[1:]):7.1f} ms")


def read_proto(path, offset, size, stored_masked_crc=None, chunk=256 << 10):
    """Prototype: same bytes, same CRC32C, one allocation without zero-fill, cache-sized chunks."""
    import google_crc32c
    import numpy as np

    out = np.empty(size, dtype=np.uint8)
    view = memoryview(out)
    crc = 0
    with open(path, "rb") as f:
        f.seek(offset)
        pos = 0
        while pos < size:
            data = f.read(min(chunk, size - pos))  # google_crc32c wants bytes (read-only buffer)
            if not data:
                raise EOFError(path)
            view[pos:pos + len(data)] = data
            crc = google_crc32c.extend(crc, data)
            pos += len(data)
    return out, crc


def reading(prefix):
    import ckpt_doctor

    cat = ckpt_doctor.open_checkpoint(prefix)
    name, info = max(cat.items(), key=lambda kv: kv[1].nbytes)
    section(f"read one tensor: {name} ({info.nbytes / 2**20:.0f} MiB), warm page cache, best of 5")
    t = best(info.read)
    print(f"  TensorInfo.read()                                  {info.nbytes / t / 1e9:5.2f} GB/s")
    # Find its bytes in the data file by content, then time the prototype on the same range.
    import numpy as np

    ref = info.read()
    data = os.path.join(os.path.dirname(prefix), info.location) if info.location else None
    if not data or not os.path.exists(data):
        print("  (data file of the tensor unknown; prototype skipped)")
        return
    with open(data, "rb") as f:
        blob = f.read()
    offset = blob.find(np.ascontiguousarray(ref).tobytes()[:4096])
    del blob
    if offset < 0:
        print("  (tensor bytes not found verbatim in the data file; prototype skipped)")
        return
    for chunk in (8 << 20, 1 << 20, 256 << 10):
        t = best(functools.partial(read_proto, data, offset, info.nbytes, chunk=chunk))
        print(f"  prototype np.empty + {chunk >> 10:5d} KiB chunks + CRC32C       {info.nbytes / t / 1e9:5.2f} GB/s")
    arr, _ = read_proto(data, offset, info.nbytes)
    print(f"  prototype returns identical bytes: {arr.tobytes() == np.ascontiguousarray(ref).tobytes()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    ckpts = make_checkpoints.ensure("quick" if args.quick else "full", log=lambda m: print(m, file=sys.stderr))
    phases(ckpts["many"]["prefix"])
    profile_inspect(ckpts["many"]["prefix"])
    reading(ckpts["big"]["prefix"])


if __name__ == "__main__":
    main()
