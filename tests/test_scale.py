"""Both cores: verify and inspect --stats with --jobs, bounded work in flight, the streaming check path."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import google_crc32c
import numpy as np
import pytest

from ckpt_doctor import open_checkpoint, verify
from ckpt_doctor._parallel import ordered_map
from ckpt_doctor.cli import main
from ckpt_doctor.formats import _fastcrc

SEED = Path(__file__).resolve().parents[1] / "src" / "ckpt_doctor" / "examples" / "seed"
KERAS = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2"


def test_ordered_map_keeps_order_and_bounds_work_in_flight():
    running, peak, lock = [0], [0], threading.Lock()

    def work(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.002 * (i % 3))
        with lock:
            running[0] -= 1
        return i * i

    assert list(ordered_map(work, range(40), jobs=3)) == [i * i for i in range(40)]
    assert 1 < peak[0] <= 3


def test_ordered_map_propagates_errors():
    def work(i):
        if i == 5:
            raise ValueError("boom")
        return i

    with pytest.raises(ValueError, match="boom"):
        list(ordered_map(work, range(20), jobs=2))


def test_buffer_crc_matches_google_crc32c():
    data = np.random.default_rng(0).integers(0, 256, 3 << 20, dtype=np.uint8)
    assert _fastcrc.crc32c_buffer(data) == google_crc32c.value(data.tobytes())
    assert _fastcrc.crc32c_buffer(data[7:1000], 123) == google_crc32c.extend(123, data[7:1000].tobytes())
    assert _fastcrc.crc32c_bytes(b"123456789") == 0xE3069283


def _damaged_copy(tmp_path: Path) -> tuple[str, str]:
    """A copy of a TF-written checkpoint with one byte of one tensor flipped; returns (prefix, tensor)."""
    for f in KERAS.iterdir():
        shutil.copy(f, tmp_path / f.name)
    catalog = open_checkpoint(str(tmp_path))
    victim = max(catalog.values(), key=lambda t: t.nbytes if t.dtype == "float32" else 0)
    data_file = tmp_path / victim.location
    raw = bytearray(data_file.read_bytes())
    value = victim.read().tobytes()
    pos = raw.find(value)
    assert pos >= 0
    raw[pos + len(value) // 2] ^= 0x01
    data_file.write_bytes(bytes(raw))
    return catalog.path, victim.name


def test_streaming_check_and_threads_report_the_same_damage(tmp_path):
    prefix, name = _damaged_copy(tmp_path)
    reports = [verify(prefix, jobs=jobs).to_json() for jobs in (1, 2, 4)]
    assert reports[0] == reports[1] == reports[2]
    assert [(p["tensor"], p["error"]) for p in reports[0]["problems"]] == [(name, "ChecksumError")]
    with pytest.raises(Exception, match="CRC32C"):  # read() and check() agree
        open_checkpoint(prefix)[name].read()


def test_cli_jobs(capsys):
    assert main(["verify", "--jobs", "2", str(KERAS)]) == 0
    out2 = capsys.readouterr().out
    assert main(["verify", str(KERAS)]) == 0
    assert capsys.readouterr().out == out2
    assert main(["inspect", "--json", "--stats", "-j", "2", str(SEED)]) == 0
    two = json.loads(capsys.readouterr().out)
    assert main(["inspect", "--json", "--stats", str(SEED)]) == 0
    assert json.loads(capsys.readouterr().out) == two and "stats" in two["tensors"][0]
    with pytest.raises(SystemExit):
        main(["verify", "--jobs", "0", str(SEED)])
