""".npy and .npz read without pickle, compared with ``np.load(allow_pickle=False)``."""

import io
import os
import zipfile

import numpy as np
import pytest

from ckpt_doctor import CorruptCheckpointError, UnsupportedError, open_checkpoint
from ckpt_doctor.formats import numpy_npz

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
          "float64", "complex64", "complex128"]


def _arrays() -> dict:
    rng = np.random.default_rng(0)
    out = {name: (rng.standard_normal((3, 4)) * 50).astype(name) for name in DTYPES if name != "bool"}
    out["bool"] = rng.random((3, 4)) > 0.5
    out["fortran"] = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    out["big_endian"] = np.arange(6, dtype=">i4").reshape(2, 3)
    out["scalar"] = np.array(7, np.int64)
    out["empty"] = np.zeros((0, 3), np.float32)
    out["strings"] = np.array(["ab", "c"])
    out["records"] = np.array([(1, 2.5)], dtype=[("a", "<i4"), ("b", "<f8")])
    return out


def _check(info, ref) -> None:
    value = info.read()
    assert info.shape == ref.shape == value.shape
    np.testing.assert_array_equal(value, ref)
    if ref.dtype.kind in "biufc":
        assert info.dtype == ref.dtype.newbyteorder("=").name == value.dtype.name
        assert value.dtype.isnative and info.nbytes == ref.nbytes


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed], ids=["stored", "deflated"])
def test_npz_by_keyword(tmp_path, save):
    arrays = _arrays()
    path = tmp_path / "a.npz"
    save(path, **arrays)
    ckpt = open_checkpoint(path)
    assert ckpt.format == "numpy" and list(ckpt) == list(arrays) and not ckpt.notes
    with np.load(path, allow_pickle=False) as ref:
        assert sorted(ref.files) == sorted(ckpt)
        for name in ref.files:
            _check(ckpt[name], ref[name])
    assert ckpt["fortran"].read().flags.f_contiguous


def test_npz_positional_names(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, np.ones(2), np.zeros((3, 1)))
    ckpt = open_checkpoint(path)
    assert list(ckpt) == ["arr_0", "arr_1"]
    assert "names the model uses must come from elsewhere" in ckpt.notes[0]


@pytest.mark.parametrize("name", ["float32", "fortran", "big_endian", "scalar", "empty", "strings", "records"])
def test_npy(tmp_path, name):
    ref = _arrays()[name]
    path = tmp_path / f"{name}.npy"
    np.save(path, ref)
    ckpt = open_checkpoint(path)
    assert list(ckpt) == [name]
    _check(ckpt[name], np.load(path, allow_pickle=False))


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_format_versions(tmp_path, version):
    ref = np.arange(10, dtype=np.float64).reshape(2, 5)
    path = tmp_path / "v.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array(f, ref, version=version)
    _check(open_checkpoint(path)["v"], ref)


def test_object_arrays_are_never_unpickled(tmp_path):
    obj = np.array([{"x": 1}, None], dtype=object)
    np.save(tmp_path / "o.npy", obj, allow_pickle=True)
    with pytest.raises(UnsupportedError, match="object array"):
        open_checkpoint(tmp_path / "o.npy")
    np.savez(tmp_path / "o.npz", weights=np.ones(2), obj=obj)
    ckpt = open_checkpoint(tmp_path / "o.npz")
    assert ckpt["obj"].dtype == "object" and any("never unpickled" in n for n in ckpt.notes)
    np.testing.assert_array_equal(ckpt["weights"].read(), np.ones(2))
    with pytest.raises(UnsupportedError, match="allow_pickle=False"):
        ckpt["obj"].read()
    with np.load(tmp_path / "o.npz", allow_pickle=False) as ref, pytest.raises(ValueError):
        ref["obj"]  # numpy refuses too


def _npy_bytes(header: str, data: bytes, version: int = 1) -> bytes:
    raw = header.encode("latin1")
    if version == 1:
        return b"\x93NUMPY\x01\x00" + len(raw).to_bytes(2, "little") + raw + data
    return b"\x93NUMPY" + bytes([version, 0]) + len(raw).to_bytes(4, "little") + raw + data


@pytest.mark.parametrize("blob, error, message", [
    (_npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }\n", bytes(16)), CorruptCheckpointError,
     r"header says float32\[1000\] \(4000 bytes\) but 16 data bytes follow it"),
    (_npy_bytes("__import__('os').system('touch /tmp/x')\n", b""), CorruptCheckpointError, "not a dict literal"),
    (_npy_bytes("{'descr': '<f4', 'shape': (1,)}\n", bytes(4)), CorruptCheckpointError, "exactly descr, fortran"),
    (_npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", b""), CorruptCheckpointError,
     "not a tuple of non-negative integers"),
    (_npy_bytes("{'descr': 'nonsense', 'fortran_order': False, 'shape': (1,), }\n", b""), CorruptCheckpointError,
     "is not a dtype"),
    (b"\x93NUMPY\x09\x00" + bytes(20), UnsupportedError, r"format version 9\.0"),
    (b"\x93NUMPY\x02\x00" + (1 << 30).to_bytes(4, "little"), CorruptCheckpointError, "more than the 1048576 allowed"),
    (b"\x93NUMPY\x01\x00\xff\x00{'descr'", CorruptCheckpointError, "header needs 265 bytes"),
], ids=["lying-shape", "code", "missing-key", "negative", "bad-descr", "version", "huge-header", "truncated"])
def test_malformed_npy(tmp_path, blob, error, message):
    path = tmp_path / "bad.npy"
    path.write_bytes(blob)
    with pytest.raises(error, match=message) as e:
        open_checkpoint(path)
    assert e.value.path == str(path)
    # the same member inside an .npz
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as z:
        z.writestr("w.npy", blob)
    with pytest.raises(error, match=message) as e:
        open_checkpoint(tmp_path / "bad.npz")
    assert e.value.tensor == "w"


def test_damaged_npz_member_fails_crc(tmp_path):
    from ckpt_doctor import ChecksumError

    path = tmp_path / "a.npz"
    np.savez(path, w=np.zeros(1000))
    data = bytearray(path.read_bytes())
    data[2000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="CRC-32"):
        open_checkpoint(path)["w"].read()


def test_listing_reads_only_headers(tmp_path):
    if not os.path.exists("/proc/self/io"):
        pytest.skip("needs /proc/self/io")
    path = tmp_path / "big.npz"
    np.savez(path, **{f"w{i}": np.zeros((256, 256), np.float32) for i in range(32)})  # 8 MiB

    def rchar() -> int:
        with open("/proc/self/io") as f:
            return int(next(line for line in f if line.startswith("rchar")).split()[1])

    before = rchar()
    shapes = {name: info.shape for name, info in open_checkpoint(path).items()}
    assert len(shapes) == 32 and rchar() - before < 256 * 1024


def test_sniff_by_content_not_suffix(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.ones(3))
    (tmp_path / "weights.bin").write_bytes(buf.getvalue())
    assert numpy_npz.sniff(str(tmp_path / "weights.bin"))
    np.testing.assert_array_equal(open_checkpoint(tmp_path / "weights.bin")["weights.bin"].read(), np.ones(3))
