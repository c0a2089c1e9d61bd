"""Run one fuzz case in a child process and classify what happened.

The contract being checked (docs/SECURITY.md): for any input, opening, listing, reading every tensor and verifying
either succeeds or raises a ``CheckpointError`` subclass; nothing else escapes, nothing hangs, memory stays bounded.
Each case runs in a forked child with an address-space limit (``RLIMIT_AS``) and a wall-clock timeout, so a blow-up
or a hang in C code (libhdf5, the C unpickler) is caught and reported instead of taking the fuzzer down.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass

AS_LIMIT = 2 << 30  # address space of a case's child process
TIMEOUT = 10.0  # seconds per case
MEMORY_LIMIT = 512 << 20  # peak resident growth above which a case is a memory finding, even if it succeeded

OK, ERROR, VIOLATION, MEMORY, HANG, CRASH = "ok", "error", "violation", "memory", "hang", "crash"
FINDINGS = (VIOLATION, MEMORY, HANG, CRASH)


@dataclass
class Outcome:
    kind: str  # OK, ERROR (a CheckpointError: the contract held), or one of FINDINGS
    detail: str  # error class name, or the traceback / reason of a finding
    expected: str  # what the hostile-corpus manifest records: "OK" or the first CheckpointError class
    list_peak: int = 0  # peak resident growth while opening and listing, bytes
    peak: int = 0  # peak resident growth over the whole case, bytes
    seconds: float = 0.0

    @property
    def finding(self) -> bool:
        return self.kind in FINDINGS


def _rss_reset() -> int:
    """Reset the peak-RSS counter (Linux clear_refs 5) and return the current RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status("VmRSS")


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def preload() -> None:
    """Import everything a case may need once, in the parent: each forked child then starts warm."""
    import cramjam  # noqa: F401
    import h5py  # noqa: F401
    import ml_dtypes  # noqa: F401
    import numpy  # noqa: F401

    import ckpt_doctor.report.inspect  # noqa: F401
    from ckpt_doctor.formats import keras_h5, numpy_npz, safetensors, tf_bundle, tf_v1, torch_pickle  # noqa: F401


def exercise(target: str) -> dict:
    """Open, list, read every tensor and verify ``target``; the first CheckpointError class, or OK."""
    from ckpt_doctor import CheckpointError, open_checkpoint, verify
    from ckpt_doctor.formats import discovery
    from ckpt_doctor.report.inspect import render

    base = _rss_reset()
    first = None
    try:
        if os.path.isdir(target):
            discovery.discover(target)
        catalog = open_checkpoint(target)
        json.dumps(catalog.to_json())
        render(catalog)
    except CheckpointError as e:
        return {"expected": type(e).__name__, "list_peak": _status("VmHWM") - base, "peak": _status("VmHWM") - base}
    list_peak = _status("VmHWM") - base
    for info in catalog.values():
        try:
            info.read()
        except CheckpointError as e:
            first = first or type(e).__name__
    report = verify(catalog)
    json.dumps(report.to_json())
    return {"expected": first or "OK", "list_peak": list_peak, "peak": _status("VmHWM") - base}


def run_case(files: dict[str, bytes], target: str, *, timeout: float = TIMEOUT, as_limit: int = AS_LIMIT,
             workdir: str | None = None) -> Outcome:
    """Write ``files`` (relative path -> bytes) into a fresh directory and exercise ``target`` (relative) there."""
    with tempfile.TemporaryDirectory(dir=workdir, prefix="case-") as d:
        for rel, data in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return run_path(os.path.join(d, target), timeout=timeout, as_limit=as_limit)


def run_path(target: str, *, timeout: float = TIMEOUT, as_limit: int = AS_LIMIT) -> Outcome:
    """Exercise an existing path in a forked child with the limits; classify the result."""
    r, w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        code = 0
        try:
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
            try:
                result = exercise(target)
                result["kind"] = OK if result["expected"] == "OK" else ERROR
            except MemoryError:
                result = {"kind": MEMORY, "detail": "MemoryError escaped (an allocation beyond the address-space "
                                                    "limit)\n" + traceback.format_exc(limit=-8)}
            except BaseException as e:  # noqa: BLE001 - everything else is exactly what is being looked for
                result = {"kind": VIOLATION, "detail": f"{type(e).__name__}: {str(e)[:300]}\n"
                                                       + traceback.format_exc(limit=-8)}
            os.write(w, json.dumps(result).encode()[:1 << 16])
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    chunks, deadline = [], start + timeout
    killed = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if ready:
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    seconds = time.monotonic() - start
    if killed:
        return Outcome(HANG, f"no result after {timeout:g} s", "HANG", seconds=seconds)
    if not chunks:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return Outcome(CRASH, f"child died (signal {sig}, status {status})", "CRASH", seconds=seconds)
    result = json.loads(b"".join(chunks))
    kind = result["kind"]
    detail = result.get("detail", result.get("expected", ""))
    peak = result.get("peak", 0)
    if kind in (OK, ERROR) and peak > MEMORY_LIMIT:
        kind, detail = MEMORY, f"peak resident growth {peak >> 20} MiB (limit {MEMORY_LIMIT >> 20} MiB)"
    return Outcome(kind, detail, result.get("expected", kind.upper()), result.get("list_peak", 0), peak, seconds)
