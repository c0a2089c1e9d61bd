"""safetensors read from the spec, compared with the safetensors library; malformed headers give clear errors
(and the reference library rejects the same files)."""

import json
import os
import struct

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import CheckpointNotFoundError, CorruptCheckpointError, UnsupportedError, open_checkpoint
from ckpt_doctor.formats import safetensors as st_reader

safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

NUMPY_DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16",
                "float32", "float64", "complex64"]


def _arrays() -> dict:
    rng = np.random.default_rng(0)
    out = {}
    for i, name in enumerate(NUMPY_DTYPES):
        dt = np.dtype(name)
        if dt.kind == "b":
            a = rng.random((3, 4)) > 0.5
        elif dt.kind in "iu":
            a = rng.integers(0 if dt.kind == "u" else -100, 100, (3, 4)).astype(dt)
        elif dt.kind == "c":
            a = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(dt)
        else:
            a = rng.standard_normal((3, 4)).astype(dt)
        out[f"t{i:02d}_{name}"] = a
    out["scalar"] = np.array(1.5, np.float32)
    out["empty"] = np.zeros((0, 5), np.float32)
    return out


def test_numpy_written_file(tmp_path):
    arrays = _arrays()
    path = str(tmp_path / "a.safetensors")
    save_file(arrays, path, metadata={"format": "np", "step": "10"})
    ckpt = open_checkpoint(path)
    assert ckpt.format == "safetensors"
    with safe_open(path, "np") as f:
        assert list(ckpt) == list(f.keys())
        assert ckpt.notes == ("metadata format = np", "metadata step = 10")
        for name in f.keys():
            ref, info = f.get_tensor(name), ckpt[name]
            value = info.read()
            assert (info.dtype, info.shape, info.nbytes) == (ref.dtype.name, ref.shape, ref.nbytes)
            assert value.dtype == ref.dtype
            np.testing.assert_array_equal(value, ref)


def test_torch_written_file(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as save_torch

    tensors = {"bf16": torch.randn(4, 3).to(torch.bfloat16), "f8_e4m3": torch.randn(5).to(torch.float8_e4m3fn),
               "f8_e5m2": torch.randn(5).to(torch.float8_e5m2), "u16": torch.arange(6).to(torch.uint16),
               "f32": torch.randn(2, 2)}
    path = str(tmp_path / "t.safetensors")
    save_torch(tensors, path)
    ckpt = open_checkpoint(path)
    expected = {"bf16": "bfloat16", "f8_e4m3": "float8_e4m3fn", "f8_e5m2": "float8_e5m2", "u16": "uint16",
                "f32": "float32"}
    with safe_open(path, "pt") as f:
        for name in f.keys():
            ref = f.get_tensor(name)
            value = ckpt[name].read()
            assert ckpt[name].dtype == expected[name] and value.shape == tuple(ref.shape)
            assert value.tobytes() == ref.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def test_sharded_index_and_directory(tmp_path):
    a, b = {"x.weight": np.ones((2, 3), np.float32)}, {"y.weight": np.arange(4, dtype=np.int64)}
    save_file(a, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file(b, str(tmp_path / "model-00002-of-00002.safetensors"))
    index = {"metadata": {"total_size": 56}, "weight_map": {"x.weight": "model-00001-of-00002.safetensors",
                                                            "y.weight": "model-00002-of-00002.safetensors"}}
    (tmp_path / st_reader.INDEX_NAME).write_text(json.dumps(index))
    (tmp_path / "config.json").write_text("{}")
    for path in (tmp_path / st_reader.INDEX_NAME, tmp_path):  # the directory opens its index
        ckpt = open_checkpoint(path)
        assert list(ckpt) == ["x.weight", "y.weight"] and len(ckpt.files) == 3
        np.testing.assert_array_equal(ckpt["y.weight"].read(), b["y.weight"])
    os.remove(tmp_path / "model-00002-of-00002.safetensors")
    ckpt = open_checkpoint(tmp_path / st_reader.INDEX_NAME)
    assert list(ckpt) == ["x.weight"] and ckpt.missing_files == (str(tmp_path / "model-00002-of-00002.safetensors"),)
    assert "1 tensor(s) cannot be listed" in ckpt.notes[0]


def test_index_names_a_tensor_its_shard_lacks(tmp_path):
    save_file({"a": np.zeros(1, np.float32)}, str(tmp_path / "s.safetensors"))
    (tmp_path / "m.safetensors.index.json").write_text(json.dumps({"weight_map": {"b": "s.safetensors"}}))
    # from_pretrained passes over it without a word: read what the shards hold, and say what is lost
    catalog = open_checkpoint(tmp_path / "m.safetensors.index.json")
    assert list(catalog) == ["a"] and catalog.unlisted == {str(tmp_path / "s.safetensors"): ("b",)}
    assert any("no shard holds: b" in n for n in catalog.notes)
    report = ckpt_doctor.verify(catalog)
    assert not report.ok and [(p.tensors, p.kind) for p in report.problems] == [(["b"], "missing tensor")]


def test_directory_with_one_file_and_with_two(tmp_path):
    save_file({"a": np.zeros(1, np.float32)}, str(tmp_path / "model.safetensors"))
    assert list(open_checkpoint(tmp_path)) == ["a"]
    np.save(tmp_path / "other.npy", np.zeros(2))
    with pytest.raises(CheckpointNotFoundError, match="several checkpoints; name one: model.safetensors, other.npy"):
        open_checkpoint(tmp_path)


def test_listing_reads_only_the_header(tmp_path):
    if not os.path.exists("/proc/self/io"):
        pytest.skip("needs /proc/self/io")
    path = str(tmp_path / "big.safetensors")
    save_file({f"w{i}": np.zeros((256, 256), np.float32) for i in range(32)}, path)  # 8 MiB

    def rchar() -> int:
        with open("/proc/self/io") as f:
            return int(next(line for line in f if line.startswith("rchar")).split()[1])

    before = rchar()
    shapes = {name: info.shape for name, info in open_checkpoint(path).items()}
    assert len(shapes) == 32 and rchar() - before < 64 * 1024


# --- malformed files ----------------------------------------------------------------------------------------

def _craft(path, header, data: bytes = b"", length: int | None = None) -> str:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw) if length is None else length) + raw + data)
    return str(path)


def _library_rejects(path: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the reference implementation's own error type
        with safe_open(path, "np") as f:
            for k in f.keys():
                f.get_tensor(k)


F32x2 = {"dtype": "F32", "shape": [2]}


@pytest.mark.parametrize("header, data, message", [
    ({"a": {**F32x2, "data_offsets": [0, 8]}, "b": {**F32x2, "data_offsets": [4, 12]}}, bytes(12),
     r"data_offsets \[4, 12\] overlaps the previous tensor"),
    ({"a": {**F32x2, "data_offsets": [0, 8]}, "b": {**F32x2, "data_offsets": [12, 20]}}, bytes(20),
     "leaves a hole of 4 bytes before it"),
    ({"a": {**F32x2, "data_offsets": [0, 8]}}, bytes(10), "2 bytes after the last tensor are not described"),
    ({"a": {**F32x2, "data_offsets": [0, 12]}}, bytes(12), "needs 8 bytes but data_offsets span 12"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8), "not a list of non-negative"),
    ({"a": {**F32x2, "data_offsets": [8, 0]}}, bytes(8), r"are not \[begin, end\]"),
    ({"a": {**F32x2}}, bytes(8), "needs dtype, shape and data_offsets"),
    ({"__metadata__": {"n": 1}}, b"", "__metadata__ must map strings to strings"),
    ([1, 2], b"", "header does not begin with"),
    (b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], '
     b'"data_offsets": [0, 8]}}', bytes(8), "header names 'a' twice"),
    (b"{not json", b"", "header is not valid UTF-8 JSON"),
], ids=["overlap", "hole", "trailing", "size-mismatch", "negative-dim", "reversed", "no-offsets",
        "metadata", "not-object", "duplicate", "bad-json"])
def test_malformed_header(tmp_path, header, data, message):
    path = _craft(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(CorruptCheckpointError, match=message) as e:
        open_checkpoint(path)
    assert e.value.path == path
    if message.startswith(("data_offsets", "tensors need", "leaves")):
        _library_rejects(path)


def test_header_length_beyond_file(tmp_path):
    path = _craft(tmp_path / "bad.safetensors", b"{}", length=1000)
    with pytest.raises(CorruptCheckpointError, match="header claims 1000 bytes but the file has only 10"):
        st_reader.read(path)


def test_header_too_large(tmp_path):
    path = _craft(tmp_path / "bad.safetensors", b"{}", length=st_reader.MAX_HEADER_BYTES + 1)
    with pytest.raises(CorruptCheckpointError, match="more than the 104857600 allowed"):
        st_reader.read(path)


def test_unknown_dtype(tmp_path):
    path = _craft(tmp_path / "x.safetensors", {"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, b"x")
    with pytest.raises(UnsupportedError, match="unknown safetensors dtype 'Q7'") as e:
        open_checkpoint(path)
    assert e.value.tensor == "a"


def test_sub_byte_dtype_is_listed_not_read(tmp_path):
    path = _craft(tmp_path / "x.safetensors", {"a": {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]}}, b"xx")
    info = open_checkpoint(path)["a"]
    assert (info.dtype, info.nbytes) == ("float4_e2m1fn", 2)
    with pytest.raises(UnsupportedError, match="packs several values per byte"):
        info.read()


def test_a_file_cut_short_lists_every_tensor_and_reads_those_within_it(tmp_path, capsys):
    """The library refuses the whole file; ckpt-doctor names the truncation and keeps what is intact, so that
    ``verify --salvage`` can write it out."""
    from ckpt_doctor import TruncatedError
    from ckpt_doctor.cli import main

    header = {"a": {**F32x2, "data_offsets": [0, 8]}, "b": {**F32x2, "data_offsets": [8, 16]}}
    path = _craft(tmp_path / "cut.safetensors", header, np.arange(2, dtype=np.float32).tobytes() + bytes(4))
    _library_rejects(path)
    ckpt = open_checkpoint(path)
    assert sorted(ckpt) == ["a", "b"]
    assert any(n.startswith("truncated: the file ends 4 bytes early") for n in ckpt.notes)
    assert ckpt["a"].read().tolist() == [0.0, 1.0]
    with pytest.raises(TruncatedError):
        ckpt["b"].read()
    assert main(["verify", path, "--salvage", str(tmp_path / "kept.safetensors")]) == 1
    kept = open_checkpoint(tmp_path / "kept.safetensors")
    assert list(kept) == ["a"] and kept["a"].read().tolist() == [0.0, 1.0]
