"""``ckpt-doctor demo``: the main job on a built-in example, with no framework installed."""

from __future__ import annotations

from importlib import resources

from . import discover, open_checkpoint, verify
from .report.inspect import render


def example_dir(name: str) -> str:
    return str(resources.files("ckpt_doctor") / "examples" / name)


def run() -> int:
    directory = example_dir("keras_sgd")
    print(f"$ ckpt-doctor latest {directory}")
    found = discover(directory)
    print(found.latest)
    print(f"\n$ ckpt-doctor inspect {directory}")
    print(render(open_checkpoint(directory)))
    print(f"\n$ ckpt-doctor verify {directory}")
    report = verify(directory)
    print(f"{'OK' if report.ok else 'FAILED'}: {report.tensors_checked} tensors, every checksum "
          f"{'matches' if report.ok else 'checked'}")
    return 0 if report.ok else 1
