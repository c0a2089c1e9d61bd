"""Hostile input: every file in tests/data/hostile/ gives exactly its expected outcome (a CheckpointError subclass
or OK) within the fuzz limits; listing any of them stays under 100 MB; a short deterministic fuzz slice finds no
contract violation; `verify` claims only the checks it made, and a content manifest catches a flipped byte."""

import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ckpt_doctor import CorruptCheckpointError, UnsupportedError, open_checkpoint, verify
from ckpt_doctor.cli import main

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "fuzz"))

import engine
import mutate

import fuzz

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text())
SEEDS = ROOT / "fuzz" / "seeds"
LISTING_LIMIT = 100 << 20


@pytest.fixture(scope="module", autouse=True)
def _warm():
    engine.preload()  # imported once here, so each forked case starts warm


def test_the_hostile_corpus_is_complete():
    assert len(EXPECTED) >= 100
    on_disk = {p.name for p in HOSTILE.iterdir() if p.is_dir()}
    assert on_disk == set(EXPECTED)
    classes = {e["expected"] for e in EXPECTED.values()}
    assert {"CorruptCheckpointError", "UnsupportedError", "UnsafePickleError", "TruncatedError", "ChecksumError",
            "MissingShardError"} <= classes


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_file_gives_its_expected_error(case):
    entry = EXPECTED[case]
    outcome = engine.run_path(str(HOSTILE / case / entry["target"]))
    assert not outcome.finding, outcome.detail
    assert outcome.expected == entry["expected"], (entry["why"], outcome.detail)
    assert outcome.list_peak < LISTING_LIMIT, outcome.list_peak


def test_listing_a_compressed_npz_streams_its_header():
    outcome = engine.run_path(str(HOSTILE / "npz-32mib-zeros" / "a.npz"))
    assert outcome.expected == "OK" and outcome.list_peak < 8 << 20  # the member inflates to 32 MiB


def test_a_4_byte_storage_never_becomes_a_gigabyte(tmp_path):
    path = HOSTILE / "torch-stride0-4-bytes" / "model.pt"
    info = open_checkpoint(path)["w"]
    assert info.shape == (1 << 28,)
    with pytest.raises(UnsupportedError, match="expanded view"):
        info.read()
    assert engine.run_path(str(path)).peak < 64 << 20


def test_fuzz_slice_finds_no_contract_violation(tmp_path):
    results = fuzz.run(sorted(fuzz.HARNESSES), seconds=None, cases=12, seed=2024, findings_dir=str(tmp_path),
                       quiet=True)
    findings = {name: r["signatures"] for name, r in results.items() if r["findings"]}
    assert not findings
    assert all(r["executions"] == 12 for r in results.values())


# --- verify says only what it checked -------------------------------------------------------------------------

def _flip_value_byte(path: Path, value: bytes) -> None:
    data = bytearray(path.read_bytes())
    pos = data.rfind(value)
    assert pos > 0
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))


def _h5_value_offset(path: Path) -> int:
    import h5py

    with h5py.File(path, "r") as f:
        return f["dense/dense/kernel:0"].id.get_offset()


@pytest.mark.parametrize("name", ["st_model.safetensors", "pt_legacy.pt", "keras_legacy.h5"])
def test_flipped_byte_in_a_format_without_checksums(tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes((SEEDS / name).read_bytes())
    manifest = tmp_path / "manifest.json"
    assert main(["verify", str(path), "--manifest", str(manifest)]) == 0
    out = capsys.readouterr().out
    assert "this format stores no checksums" in out and "checksum matches" not in out
    if name.endswith(".h5"):
        data = bytearray(path.read_bytes())
        data[_h5_value_offset(path) + 1] ^= 0x01
        path.write_bytes(bytes(data))
    else:  # the last tensor's bytes are at the end of the file
        data = bytearray(path.read_bytes())
        data[-2] ^= 0x01
        path.write_bytes(bytes(data))
    assert main(["verify", str(path)]) == 0  # nothing to check the values against: it cannot notice
    out = capsys.readouterr().out
    assert "checksum" not in out.split("; ")[0] and "stores no checksums" in out
    assert main(["verify", str(path), "--against", str(manifest)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS (differs from manifest)" in out and "values differ from the manifest" in out
    assert "intact:" in out


def test_zip_crcs_are_checked_and_reported_per_tensor(tmp_path):
    path = tmp_path / "pt_zip.pt"
    path.write_bytes((SEEDS / "pt_zip.pt").read_bytes())
    report = verify(path)
    assert report.ok and report.checksums and report.checked.startswith("CRC-32 of every zip member")
    data = bytearray(path.read_bytes())
    member = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("pt_zip/data/0")
    n, extra = struct.unpack_from("<HH", data, member.header_offset + 26)  # the local header's own lengths
    start = member.header_offset + 30 + n + extra
    data[start + 40] ^= 0x01  # inside the storage shared by fc.weight, tied and view
    path.write_bytes(bytes(data))
    report = verify(path)
    bad = {n for p in report.problems for n in ([p.tensor] if p.tensor else p.tensors)}
    assert bad == {"fc.weight", "tied", "view"}
    assert {p.kind for p in report.problems} == {"bad tensor checksum"}
    assert set(report.intact) == {"fc.bias", "expanded", "bn.num_batches_tracked"}


def test_corruption_kinds_are_told_apart(tmp_path):
    src = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2"
    for p in src.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    prefix = tmp_path / "ckpt"
    shard = tmp_path / "ckpt.data-00001-of-00002"
    shard.write_bytes(shard.read_bytes()[:-4])
    report = verify(prefix)
    assert {p.kind for p in report.problems} == {"truncated file"}
    assert report.intact and all(p.tensor not in report.intact for p in report.problems)
    shard.unlink()
    report = verify(prefix)
    assert [p.kind for p in report.problems] == ["missing shard"]
    assert len(report.problems[0].tensors) > 1  # one line for the shard, naming its tensors
    index = tmp_path / "ckpt.index"
    data = bytearray(index.read_bytes())
    data[data.index(b"layer_with")] ^= 0x01
    index.write_bytes(bytes(data))
    report = verify(prefix)
    assert [p.kind for p in report.problems] == ["bad index block"]


def test_tf_verify_names_its_checksums(capsys):
    src = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2" / "ckpt"
    assert main(["verify", str(src)]) == 0
    assert "CRC32C of every index block and every tensor checked" in capsys.readouterr().out


# --- the CLI ----------------------------------------------------------------------------------------------------

def test_internal_errors_are_one_line(monkeypatch, capsys, tmp_path):
    from ckpt_doctor import cli

    def broken(args):
        raise TypeError("a bug")

    monkeypatch.setattr(cli, "_inspect", broken)  # the parser is built per call, from the module's functions
    monkeypatch.delenv("CKPT_DOCTOR_DEBUG", raising=False)
    assert main(["inspect", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (TypeError: a bug)" in err and "Traceback" not in err
    monkeypatch.setenv("CKPT_DOCTOR_DEBUG", "1")
    with pytest.raises(TypeError):
        main(["inspect", str(tmp_path)])


# --- unit-level guarantees the fuzzers rely on ------------------------------------------------------------------

def test_wire_types_are_checked_in_one_place():
    from ckpt_doctor.formats import _wire

    with pytest.raises(_wire.WireError, match="wire type"):
        _wire.message(mutate.encode_proto([[1, 2, b"x"]]), {1: _wire.VARINT})
    with pytest.raises(_wire.WireError, match="overflows 64 bits"):
        _wire.varint(b"\xff" * 9 + b"\x7f", 0)
    assert _wire.varint(b"\xff" * 9 + b"\x01", 0) == ((1 << 64) - 1, 10)


def test_memo_bomb_is_refused_before_unpickling():
    from ckpt_doctor.errors import CorruptCheckpointError
    from ckpt_doctor.formats import _unpickler

    bomb = b"\x80\x02N" + b"r" + struct.pack("<I", (1 << 32) - 1) + b"."
    with pytest.raises(CorruptCheckpointError, match="memo entry 4294967295"):
        _unpickler.load(io.BytesIO(bomb), path="x")
    ok = mutate.Pickle().value({"a": [1, 2, (3, "x")] * 200}).done()
    assert _unpickler.load(io.BytesIO(ok), path="x")["a"][2] == (3, "x")


def test_numbers_too_long_for_json_while_sniffing(tmp_path):
    from ckpt_doctor.formats import safetensors

    p = tmp_path / "model.safetensors.index.json"
    p.write_text('{"weight_map": {"w": "a.safetensors"}, "n": ' + "9" * 5000 + "}")
    # no ValueError while deciding what the file is; named as an index, it is one that cannot be read
    assert safetensors.sniff(str(p)) is True
    with pytest.raises(CorruptCheckpointError, match="5000 digits"):
        open_checkpoint(p)


def test_real_files_still_read_the_same():
    for name in ("st_model.safetensors", "pt_zip.pt", "pt_legacy.pt", "np_compressed.npz", "keras_legacy.h5"):
        catalog = open_checkpoint(SEEDS / name)
        for info in catalog.values():
            value = info.read()
            assert isinstance(value, np.ndarray) and value.shape == info.shape
