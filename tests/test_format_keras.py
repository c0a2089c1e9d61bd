"""Keras weight files against what real tf-keras and Keras 3 wrote (tests/keras_oracle.py, in a subprocess):
every weight by name, dtype, shape and value; optimizer state as bookkeeping; damaged files as clear errors."""

import importlib.util
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ckpt_doctor import CheckpointError, CorruptCheckpointError, MissingExtraError, UnsupportedError, open_checkpoint
from ckpt_doctor.cli import main

h5py = pytest.importorskip("h5py")

TESTS = Path(__file__).resolve().parent


class KerasFiles:
    def __init__(self, outdir: Path, reference: dict):
        self.outdir, self.reference = outdir, reference
        self.values = np.load(outdir / "values.npz")

    def path(self, fid: str) -> str:
        return str(self.outdir / self.file(fid)["path"])

    def file(self, fid: str) -> dict:
        if fid not in self.reference["files"]:
            pytest.skip(f"the oracle wrote no {fid} (tf_keras missing?)")
        return self.reference["files"][fid]


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory) -> KerasFiles:
    for module in ("tensorflow", "keras"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: no Keras oracle")
    outdir = tmp_path_factory.mktemp("keras_oracle")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    env.pop("TF_USE_LEGACY_KERAS", None)  # Keras 3 as `keras`; the oracle imports tf_keras itself
    proc = subprocess.run([sys.executable, str(TESTS / "keras_oracle.py"), str(outdir)], capture_output=True,
                          text=True, timeout=600, env=env, cwd=str(outdir))
    if proc.returncode != 0:
        pytest.fail(f"keras_oracle.py failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}", pytrace=False)
    return KerasFiles(outdir, json.loads((outdir / "reference.json").read_text()))


def _as_float(value: np.ndarray) -> np.ndarray:
    return value.astype(np.float32) if value.dtype.name == "bfloat16" else value


def _strip(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


LEGACY = ["tk_weights", "tk_full", "tk_split", "k3_legacy_h5"]
KERAS3 = {"k3_weights": "keras3-weights", "k3_zip": "keras-zip", "k3_sharded": "keras3-weights",
          "k3_nested": "keras-zip"}


@pytest.mark.parametrize("fid", LEGACY)
def test_legacy_h5_weights_by_name(keras_files, fid):
    ref = keras_files.file(fid)
    ckpt = open_checkpoint(keras_files.path(fid))
    assert ckpt.format == "keras-h5"
    expected = {}
    for layer in ref["layers"]:
        for w in layer["weights"]:
            expected[_strip(w["name"])] = w
    assert [t.name for t in ckpt.variables()] == list(expected)  # layer_names order, then weight_names order
    for name, w in expected.items():
        info = ckpt[name]
        assert (info.dtype, list(info.shape), info.kind) == (w["dtype"], w["shape"], "variable")
        value = info.read()
        assert value.dtype.name == w["dtype"]
        np.testing.assert_array_equal(_as_float(value), keras_files.values[w["key"]])
        assert info.location.endswith(w["name"].split("/")[-1])  # the h5 dataset path


def test_split_layer_names_attribute(keras_files):
    with h5py.File(keras_files.path("tk_split"), "r") as f:
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs  # really split by tf-keras
    assert len(open_checkpoint(keras_files.path("tk_split")).variables()) == 600


@pytest.mark.parametrize("fid", ["tk_full", "k3_legacy_h5"])
def test_legacy_optimizer_weights_are_bookkeeping(keras_files, fid):
    ref = keras_files.file(fid)
    ckpt = open_checkpoint(keras_files.path(fid))
    assert ref["optimizer"]
    for v in ref["optimizer"]:
        info = ckpt["optimizer_weights/" + _strip(v["name"])]
        np.testing.assert_array_equal(_as_float(info.read()), keras_files.values[v["key"]])
        last = _strip(v["name"]).rsplit("/", 1)[-1]
        if last in ("iteration", "iterations", "iter"):
            assert info.kind == "counter"
        elif "learning_rate" in last:
            assert info.kind == "optimizer"
        else:
            assert info.kind == "slot" and info.slot_of in ckpt and ckpt[info.slot_of].shape == info.shape
            assert info.slot_name in ("m", "v", "momentum", "velocity")
    assert {t.name for t in ckpt.variables()} == {_strip(w["name"]) for layer in ref["layers"]
                                                   for w in layer["weights"]}


@pytest.mark.parametrize("fid", list(KERAS3))
def test_keras3_weights_by_layer_and_position(keras_files, fid):
    ref = keras_files.file(fid)
    ckpt = open_checkpoint(keras_files.path(fid))
    assert ckpt.format == KERAS3[fid]
    total = 0
    for layer in ref["layers"]:
        owned = sorted((t for t in ckpt.variables() if (t.full_name or "").startswith(layer["name"] + "/vars/")),
                       key=lambda t: int(t.name.rsplit("/", 1)[-1]))
        assert len(owned) == len(layer["weights"]), layer["name"]
        for info, w in zip(owned, layer["weights"], strict=False):
            assert info.name.startswith("layers/") and "/vars/" in info.name
            assert (info.dtype, list(info.shape)) == (w["dtype"], w["shape"])
            np.testing.assert_array_equal(_as_float(info.read()), keras_files.values[w["key"]])
        total += len(owned)
    assert total == len(ckpt.variables())
    for i, v in enumerate(ref["optimizer"]):
        info = ckpt[f"optimizer/vars/{i}"]
        assert info.kind == ("counter" if i == 0 else "optimizer")
        np.testing.assert_array_equal(_as_float(info.read()), keras_files.values[v["key"]])


@pytest.mark.parametrize("fid", ["k3_weights", "k3_zip", "k3_branches"])
def test_keras3_written_order_is_keras_layer_order(keras_files, fid):
    # The file's names sort differently (layers/batch_normalization < layers/dense); the write ranks recovered from
    # HDF5 object headers give model.layers' order, each layer's variables in saving order.
    ref = keras_files.file(fid)
    ckpt = open_checkpoint(keras_files.path(fid))
    written = sorted((t for t in ckpt.variables()), key=lambda t: t.written)
    assert [t.written for t in written] == list(range(len(written)))
    expected = [(layer["name"], list(w["shape"])) for layer in ref["layers"] for w in layer["weights"]]
    assert [((t.full_name or "").rsplit("/vars/", 1)[0], list(t.shape)) for t in written] == expected
    assert [t.name for t in written] != sorted(t.name for t in written)  # the order is not the names'


def test_keras3_sharded_files_claim_no_write_order(keras_files):
    ckpt = open_checkpoint(keras_files.path("k3_sharded"))
    assert all(t.written is None for t in ckpt.variables())


def test_keras3_path_and_layer_name_differ(keras_files):
    # The layer named "dense" is stored at layers/dense_1 (paths come from class names): full_name shows it.
    ckpt = open_checkpoint(keras_files.path("k3_weights"))
    assert ckpt["layers/dense/vars/0"].full_name == "d1/vars/0"
    assert ckpt["layers/dense_1/vars/0"].full_name == "dense/vars/0"
    assert ckpt["layers/dense_1/vars/0"].dtype == "bfloat16"


def test_sharded_weights_span_several_files(keras_files):
    ckpt = open_checkpoint(keras_files.path("k3_sharded"))
    assert len(ckpt.files) > 2 and not ckpt.missing_files
    assert ckpt["layers/dense_1/vars/0"].full_name == "b/vars/0"  # its vars group's name lives in another shard


def test_keras_zip_notes_config_layers(keras_files):
    ckpt = open_checkpoint(keras_files.path("k3_zip"))
    assert any("config.json layers" in n and "d1 (Dense)" in n for n in ckpt.notes)
    assert any(n.startswith("saved by Keras 3.") for n in ckpt.notes)


def test_keras_zip_with_deflated_weights(keras_files, tmp_path):
    src = keras_files.path("k3_zip")
    dst = tmp_path / "deflated.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item))
    a, b = open_checkpoint(src), open_checkpoint(str(dst))
    assert list(a) == list(b)
    np.testing.assert_array_equal(a["layers/dense/vars/0"].read(), b["layers/dense/vars/0"].read())


def test_cli_inspect_json_on_h5(keras_files, capsys):
    assert main(["inspect", "--json", keras_files.path("tk_full")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "keras-h5"
    kernel = next(t for t in doc["tensors"] if t["name"] == "d1/kernel")
    assert kernel["shape"] == [4, 3] and kernel["kind"] == "variable"


# --- files built with h5py: damaged and non-Keras -----------------------------------------------------------

def _legacy_file(path: Path, **dataset_options) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        g = f.create_group("dense")
        g.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        g.create_dataset("dense/kernel:0", data=np.arange(12, dtype=np.float32).reshape(4, 3), **dataset_options)
        g.create_dataset("dense/bias:0", data=np.ones(3, np.float32))
    return path


def _patch_dims(path: Path, old: tuple, new: tuple, count: int) -> None:
    data = bytearray(path.read_bytes())
    for _ in range(count):
        i = data.index(struct.pack("<QQ", *old))
        data[i:i + 16] = struct.pack("<QQ", *new)
    path.write_bytes(bytes(data))


def test_handmade_legacy_file(tmp_path):
    ckpt = open_checkpoint(_legacy_file(tmp_path / "w.h5"))
    assert list(ckpt) == ["dense/kernel", "dense/bias"]
    np.testing.assert_array_equal(ckpt["dense/kernel"].read(), np.arange(12, dtype=np.float32).reshape(4, 3))


def test_lying_shape_contiguous(tmp_path):
    # The dataspace says 4000 rows; the file stores 4 (dims and max dims patched). HDF5 refuses to open it.
    path = _legacy_file(tmp_path / "w.h5")
    _patch_dims(path, (4, 3), (4000, 3), 2)
    with pytest.raises(CorruptCheckpointError, match="invalid dataset size") as e:
        open_checkpoint(path)
    assert e.value.tensor == "dense/kernel" and e.value.path == str(path)


def test_lying_shape_chunked(tmp_path):
    # A chunked dataset whose shape grew after writing: h5py would silently return zeros for the missing rows.
    path = _legacy_file(tmp_path / "w.h5", chunks=(2, 3), maxshape=(None, 3))
    _patch_dims(path, (4, 3), (40, 3), 1)
    with h5py.File(path, "r") as f:
        assert f["dense/dense/kernel:0"].shape == (40, 3)  # h5py believes it
    with pytest.raises(CorruptCheckpointError, match=r"declares shape \[40, 3\] \(20 chunks\) but stores only 2"):
        open_checkpoint(path)


def test_missing_dataset(tmp_path):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        f.create_group("dense").attrs["weight_names"] = np.array([b"dense/kernel:0"])
    with pytest.raises(CorruptCheckpointError, match="lists weight 'dense/kernel:0' but has no such dataset"):
        open_checkpoint(path)


def test_layer_group_missing(tmp_path):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense", b"gone"])
        f.create_group("dense").attrs["weight_names"] = np.array([], dtype="S1")
    with pytest.raises(CorruptCheckpointError, match="layer_names lists 'gone' but there is no such group"):
        open_checkpoint(path)


def test_truncated_h5(tmp_path):
    path = _legacy_file(tmp_path / "w.h5")
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(CorruptCheckpointError, match="not a readable HDF5 file"):
        open_checkpoint(path)


def test_not_keras_h5(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(UnsupportedError, match="not Keras weights"):
        open_checkpoint(path)


def test_bfloat16_dtype_attribute(tmp_path):
    import ml_dtypes

    path = tmp_path / "m.weights.h5"
    value = np.array([1.5, -2.0, 3.25], dtype=ml_dtypes.bfloat16)
    with h5py.File(path, "w") as f:
        ds = f.create_group("layers/dense/vars").create_dataset("0", data=value.view("V2"))
        ds.attrs["dtype"] = "bfloat16"
        f["layers/dense/vars"].attrs["name"] = "dense"
    info = open_checkpoint(path)["layers/dense/vars/0"]
    assert info.dtype == "bfloat16" and info.full_name == "dense/vars/0"
    np.testing.assert_array_equal(info.read(), value)


def test_without_h5py(tmp_path, monkeypatch):
    path = _legacy_file(tmp_path / "w.h5")
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingExtraError, match=r"pip install ckpt-doctor\[keras\]") as caught:
        open_checkpoint(path)
    assert caught.value.exit_code == 2  # nothing is wrong with the file: a usage error, not "FAILED"


def test_sharded_index_with_missing_shard(tmp_path):
    with h5py.File(tmp_path / "m_00000.weights.h5", "w") as f:
        g = f.create_group("layers/dense/vars")
        g.attrs["name"] = "dense"
        g["0"] = np.zeros((2, 2), np.float32)
    (tmp_path / "m.weights.json").write_text(json.dumps({"metadata": {}, "weight_map": {
        "/layers/dense/vars": ["m_00000.weights.h5"], "/layers/dense_1/vars": ["m_00001.weights.h5"]}}))
    ckpt = open_checkpoint(tmp_path / "m.weights.json")
    assert list(ckpt) == ["layers/dense/vars/0"]
    assert ckpt.missing_files == (str(tmp_path / "m_00001.weights.h5"),)


def test_error_is_checkpoint_error(tmp_path):
    path = tmp_path / "x.weights.json"
    path.write_text('{"weight_map": {"/layers/a/vars": ["../escape.weights.h5"]}}')
    with pytest.raises(CheckpointError, match="outside the checkpoint's directory"):
        open_checkpoint(path)


def test_keras3_write_order_survives_a_reused_header_slot():
    # HDF5 may put a late dataset's header into freed space early in the file; Keras' per-class numbering
    # (walk order) puts it back after the layer numbered before it (bn_3), not among the first layers
    from ckpt_doctor.formats.keras_h5 import _write_order

    walk = [name for k in range(5) for name in (f"conv2d{'_' + str(k) if k else ''}",
                                                 f"batch_normalization{'_' + str(k) if k else ''}")]
    created = {f"layers/{layer}/vars/{i}": 100 * k + i for k, layer in enumerate(walk) for i in range(2)}
    created["layers/batch_normalization_4/vars/0"] = 150  # reused slot between bn's and conv2d_1's headers
    created["layers/batch_normalization_4/vars/1"] = 151
    got = [p.split("/")[1] for p in _write_order(created)][::2]
    # never against Keras' numbering; the earliest place it allows (where exactly is in no header)
    assert got == walk[:8] + ["batch_normalization_4", "conv2d_4"]


def test_a_busy_machine_does_not_make_a_healthy_file_damaged(tmp_path, monkeypatch):
    # The string attributes are read in a forked child that a damaged global heap can make spin. The limit was wall
    # time (5 s): on a loaded machine healthy EfficientNet files (1,040 values) were reported as "damaged HDF5
    # global heap". A child that is slow without using the CPU (descheduled, here asleep) must finish; one that
    # spins is still stopped by its CPU time.
    import time

    from ckpt_doctor.formats import keras_h5

    path = _legacy_file(tmp_path / "w.h5")
    with h5py.File(path, "r+") as f:  # variable-length strings, as Keras writes them: their bytes are in the heap
        f.attrs.create("layer_names", ["dense"], dtype=h5py.string_dtype())
    collect = keras_h5._collect_strings
    monkeypatch.setattr(keras_h5, "_CHILD_SECONDS", 1.0)
    monkeypatch.setattr(keras_h5, "_collect_strings", lambda source: (time.sleep(2.5), collect(source))[1])
    assert len(open_checkpoint(path)) == 2

    def spin(source):
        while True:
            pass

    monkeypatch.setattr(keras_h5, "_collect_strings", spin)
    with pytest.raises(CorruptCheckpointError, match="used more than 1 s of CPU"):
        open_checkpoint(path)


def test_keras3_write_order_of_real_applications_models(tmp_path):
    # Real Keras 3 files of MobileNetV2 and EfficientNetB0 (weights=None) have layers all of whose dataset headers
    # HDF5 put in freed space early in the file (MobileNetV2's last projection norm, before its conv); their layer
    # groups' headers are where Keras wrote them. The write order read from the headers is model.layers' order.
    from oracle_run import run_oracle

    truth = json.loads(run_oracle("keras_order_oracle.py", str(tmp_path)))
    for path, shapes in truth.items():
        ckpt = open_checkpoint(path)
        written = sorted(ckpt.variables(), key=lambda t: t.written)
        assert [list(t.shape) for t in written] == shapes, path
