"""Bad input gives a clear CheckpointError subclass naming the file (and tensor): never a deep traceback,
never a hang, never an unbounded allocation, never garbage returned as data."""

import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from bundle_writer import write_bundle

import ckpt_doctor
from ckpt_doctor import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    CorruptCheckpointError,
    MissingShardError,
    UnsupportedError,
    open_checkpoint,
)

CORPUS = Path(__file__).parent / "data" / "corpus"
KERAS = CORPUS / "tf-keras" / "lso_ckpt_tf2.2"
KERNEL = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"


@pytest.fixture
def keras_copy(tmp_path):
    d = tmp_path / "ckpt_dir"
    shutil.copytree(KERAS, d)
    for p in d.iterdir():
        p.chmod(0o644)
    return d / "ckpt"


def _patch(path: Path, offset: int, new: bytes) -> None:
    data = bytearray(path.read_bytes())
    data[offset:offset + len(new)] = new
    path.write_bytes(bytes(data))


def test_truncated_index(keras_copy):
    index = Path(str(keras_copy) + ".index")
    index.write_bytes(index.read_bytes()[:-10])
    with pytest.raises(CorruptCheckpointError, match="magic") as e:
        open_checkpoint(keras_copy)
    assert e.value.path == str(index)


def test_index_shorter_than_footer(keras_copy):
    index = Path(str(keras_copy) + ".index")
    index.write_bytes(index.read_bytes()[:20])
    with pytest.raises(CorruptCheckpointError, match="too short"):
        open_checkpoint(keras_copy)


def test_wrong_magic(keras_copy):
    index = Path(str(keras_copy) + ".index")
    _patch(index, index.stat().st_size - 8, b"\x00" * 8)
    with pytest.raises(CorruptCheckpointError, match="bad SSTable magic"):
        open_checkpoint(keras_copy)


def test_bad_block_crc(keras_copy):
    index = Path(str(keras_copy) + ".index")
    data = index.read_bytes()
    pos = data.index(b"layer_with")  # a key inside the first data block
    _patch(index, pos, b"X")
    with pytest.raises(ChecksumError, match="CRC32C mismatch") as e:
        open_checkpoint(keras_copy)
    assert e.value.path == str(index)


def test_missing_shard_is_reported_not_fatal_for_listing(keras_copy):
    shard = Path(str(keras_copy) + ".data-00001-of-00002")
    shard.unlink()
    catalog = open_checkpoint(keras_copy)
    assert catalog.missing_files == (str(shard),)
    with pytest.raises(MissingShardError, match="missing") as e:
        catalog[KERNEL].read()
    assert (e.value.path, e.value.tensor) == (str(shard), KERNEL)
    report = ckpt_doctor.verify(keras_copy)
    assert not report.ok
    # One line per missing shard (not one per tensor), naming the tensors it takes with it.
    [problem] = [p for p in report.problems if p.error == "MissingShardError"]
    assert problem.file == str(shard) and problem.kind == "missing shard" and KERNEL in problem.tensors
    assert KERNEL not in report.intact and len(report.intact) == report.tensors_checked > 0


def test_entry_past_end_of_shard(keras_copy):
    shard = Path(str(keras_copy) + ".data-00001-of-00002")
    shard.write_bytes(shard.read_bytes()[:10])
    catalog = open_checkpoint(keras_copy)
    with pytest.raises(CorruptCheckpointError, match="only 10 bytes") as e:
        catalog[KERNEL].read()
    assert e.value.tensor == KERNEL and e.value.path == str(shard)


def test_flipped_data_byte_names_tensor_and_shard(keras_copy):
    catalog = open_checkpoint(keras_copy)
    shard = Path(str(keras_copy) + ".data-00001-of-00002")
    original = catalog[KERNEL].read()
    # find where the kernel lives and damage one byte of it
    data = shard.read_bytes()
    pos = data.index(original.tobytes())
    _patch(shard, pos + 3, bytes([data[pos + 3] ^ 0x01]))
    with pytest.raises(ChecksumError) as e:
        open_checkpoint(keras_copy)[KERNEL].read()
    assert e.value.tensor == KERNEL and e.value.path == str(shard)
    report = ckpt_doctor.verify(keras_copy)
    assert [(p.tensor, p.error) for p in report.problems] == [(KERNEL, "ChecksumError")]
    assert report.tensors_checked == len(catalog) - 1


def test_damaged_string_tensor(keras_copy):
    shard = Path(str(keras_copy) + ".data-00000-of-00002")
    data = shard.read_bytes()
    pos = data.index(b"sequential")
    _patch(shard, pos, b"X")
    catalog = open_checkpoint(keras_copy)  # listing survives, without object-graph annotations
    assert any("could not decode the TF2 object graph" in n for n in catalog.notes)
    assert catalog[KERNEL].object_path is None
    report = ckpt_doctor.verify(keras_copy)
    assert [(p.tensor, p.error) for p in report.problems] == [("_CHECKPOINTABLE_OBJECT_GRAPH", "ChecksumError")]


def test_lying_shape_is_rejected_at_open(tmp_path):
    prefix = str(tmp_path / "lie")
    write_bundle(prefix, {"x": (1, [1000, 1000, 1000, 1000, 1000], b"\x00" * 4)})  # 10^15 float32 in 4 bytes
    with pytest.raises(CorruptCheckpointError, match="needs 4000000000000000 bytes but the entry stores 4") as e:
        open_checkpoint(prefix)
    assert e.value.tensor == "x"


def test_lying_size_does_not_allocate(tmp_path):
    from bundle_writer import entry

    prefix = str(tmp_path / "lie")
    n = 10 ** 15
    write_bundle(prefix, {"x": (1, [n], b"\x00" * 4)},
                 entry_overrides={"x": entry(1, [n], size=4 * n, crc=0)})
    info = open_checkpoint(prefix)["x"]
    assert info.shape == (n,)
    with pytest.raises(CorruptCheckpointError, match="but the shard has only 4 bytes"):
        info.read()


def test_string_tensor_claiming_too_many_elements(tmp_path):
    prefix = str(tmp_path / "lie")
    write_bundle(prefix, {"s": (7, [10 ** 12], b"\x01\x00\x00\x00\x00a")})
    with pytest.raises(CorruptCheckpointError, match="claims 1000000000000 strings"):
        open_checkpoint(prefix)["s"].read()


def test_unknown_dtype(tmp_path):
    prefix = str(tmp_path / "odd")
    write_bundle(prefix, {"x": (77, [1], b"\x00")})
    with pytest.raises(UnsupportedError, match="unknown dtype enum 77") as e:
        open_checkpoint(prefix)
    assert e.value.tensor == "x" and e.value.path == prefix + ".index"


def test_big_endian_bundle(tmp_path):
    prefix = str(tmp_path / "be")
    values = np.array([1.5, -2.25, 3e10], dtype=">f4")
    complex_values = np.array([1 + 2j, -3.5 - 0.25j], dtype=">c8")
    write_bundle(prefix, {"f": (1, [3], values.tobytes()), "c": (8, [2], complex_values.tobytes()),
                          "i": (9, [2], np.array([1, -(2 ** 40)], dtype=">i8").tobytes())}, big_endian=True)
    catalog = open_checkpoint(prefix)
    np.testing.assert_array_equal(catalog["f"].read(), values.astype("<f4"))
    np.testing.assert_array_equal(catalog["c"].read(), [1 + 2j, -3.5 - 0.25j])
    np.testing.assert_array_equal(catalog["i"].read(), [1, -(2 ** 40)])
    assert catalog["f"].read().dtype == np.float32


def test_prefix_not_found_suggests_nearest(keras_copy):
    with pytest.raises(CheckpointNotFoundError, match="nearest existing: .*ckpt") as e:
        open_checkpoint(str(keras_copy) + "-5")
    assert isinstance(e.value, FileNotFoundError)


def test_parent_directory_missing(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="does not exist either"):
        open_checkpoint(tmp_path / "nope" / "model.ckpt")


def test_common_spellings_of_a_checkpoint_all_open(keras_copy):
    names = {str(keras_copy), str(keras_copy) + ".index", str(keras_copy) + ".data-00000-of-00002",
             str(keras_copy.parent)}
    for spelling in names:
        assert KERNEL in open_checkpoint(spelling), spelling


def test_not_a_checkpoint(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    with pytest.raises(UnsupportedError, match="not a checkpoint"):
        open_checkpoint(p)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError):
        open_checkpoint(empty)


def test_empty_directory(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="no complete checkpoint"):
        open_checkpoint(tmp_path)


@pytest.mark.parametrize("target", ["index", "shard0", "shard1"])
def test_random_corruption_never_escapes_as_other_exceptions(keras_copy, target):
    """Flip random bytes / truncate: every outcome is either correct data or a CheckpointError."""
    path = Path(str(keras_copy) + {"index": ".index", "shard0": ".data-00000-of-00002",
                                   "shard1": ".data-00001-of-00002"}[target])
    pristine = path.read_bytes()
    expected = {k: v.read() for k, v in open_checkpoint(keras_copy).items() if v.dtype != "string"}
    rng = random.Random(1234)
    for trial in range(150):
        data = bytearray(pristine)
        if trial % 5 == 4:
            data = data[:rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            catalog = open_checkpoint(keras_copy)
            for name, info in catalog.items():
                value = info.read()
                if name in expected and data != pristine:
                    # anything returned must be the true value: a CRC guards every byte
                    np.testing.assert_array_equal(value, expected[name])
        except CheckpointError:
            pass
    path.write_bytes(pristine)


def test_a_mistyped_file_name_suggests_the_files_next_to_it(tmp_path):
    (tmp_path / "model.pth").write_bytes(b"")
    (tmp_path / "weights_ab.h5").write_bytes(b"")
    (tmp_path / "run_1").mkdir()
    for typo, nearest in (("modle.pth", "model.pth"), ("weights.h5", "weights_ab.h5"), ("run1", "run_1")):
        with pytest.raises(CheckpointNotFoundError, match=f"nearest existing: {re.escape(str(tmp_path / nearest))}"):
            ckpt_doctor.open_checkpoint(str(tmp_path / typo))


def test_a_mistyped_model_file_suggests_the_files_next_to_it(tmp_path):
    from ckpt_doctor.errors import ModelError

    (tmp_path / "spec.json").write_text("{}")
    (tmp_path / "m.py").write_text("def build():\n    return None\n")
    for typo, nearest in (("spec.jsn", "spec.json"), ("mm.py:build", "m.py")):
        with pytest.raises(ModelError, match=f"nearest existing: {re.escape(str(tmp_path / nearest))}"):
            ckpt_doctor.load_model(str(tmp_path / typo))
    with pytest.raises(ModelError) as e:  # nothing alike: no suggestion
        ckpt_doctor.load_model(str(tmp_path / "zzzzzz.json"))
    assert "nearest" not in e.value.message


def test_a_missing_file_with_nothing_spelled_like_it_says_what_is_there(tmp_path):
    # (a new user's `inspect base.pt` in a directory holding only `xt/` was told "nearest existing: ./xt")
    (tmp_path / "xt").mkdir()
    with pytest.raises(CheckpointNotFoundError) as e:
        ckpt_doctor.open_checkpoint(str(tmp_path / "base.pt"))
    assert "nearest" not in str(e.value) and f"{tmp_path} holds {tmp_path / 'xt'}" in str(e.value), str(e.value)
