"""The TF index reader decodes most BundleEntryProto records through a fast path; it must agree with the
general decoder on every record it accepts (real files from TF, and mutations of them)."""

from __future__ import annotations

import glob
import os
import random
from pathlib import Path

from ckpt_doctor.errors import CheckpointError
from ckpt_doctor.formats import _sstable, tf_bundle
from ckpt_doctor.formats._wire import WireError

CORPUS = Path(__file__).parent / "data" / "corpus"


def _records(index: str):
    records = _sstable.read_table(index)
    return [(key, value) for key, value in records[1:] if not key.startswith(b"\x00")]


def _fast(value: bytes):
    """The fast path only recognises: what it trips over (None or WireError/IndexError) goes to the general one."""
    try:
        return tf_bundle._entry_fast(value)
    except (WireError, IndexError):
        return None


def _agree(value: bytes, name: str) -> None:
    fast = _fast(value)
    if fast is None:
        return
    assert fast == tf_bundle._entry_general(value, "index", name), name


def _indexes(tf_checkpoints) -> list[str]:
    found = glob.glob(str(CORPUS / "**" / "*.index"), recursive=True)
    found += glob.glob(os.path.join(str(tf_checkpoints.outdir), "**", "*.index"), recursive=True)
    return sorted(found)


def test_fast_entry_decoder_agrees_with_the_general_one(tf_checkpoints):
    indexes = _indexes(tf_checkpoints)
    assert len(indexes) >= 10, indexes
    taken = 0
    for index in indexes:
        for key, value in _records(index):
            _agree(value, key.decode("utf-8", "replace"))
            taken += _fast(value) is not None
    assert taken > 100  # the fast path really ran


def test_fast_entry_decoder_agrees_on_mutated_records(tf_checkpoints):
    rng = random.Random(0)
    values = [v for index in _indexes(tf_checkpoints)[:6] for _, v in _records(index)]
    checked = 0
    for _ in range(5000):
        b = bytearray(rng.choice(values))
        if rng.random() < 0.2:  # truncated
            del b[rng.randrange(len(b)):]
        else:
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        try:
            general = tf_bundle._entry_general(bytes(b), "index", "t")
        except (CheckpointError, WireError):
            general = None
        fast = _fast(bytes(b))
        if fast is not None:
            assert general is not None and fast == general, bytes(b)
            checked += 1
    assert checked > 100
