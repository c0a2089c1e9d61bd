"""PyTorch checkpoints read without torch, compared with what torch itself saved and loads back
(``torch.load(weights_only=True)``): both file formats, every dtype, views, shared storages, training checkpoints."""

import collections
import io
import os
import zipfile

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import CheckpointError, ChecksumError, CorruptCheckpointError, UnsupportedError, open_checkpoint
from ckpt_doctor.errors import UnsafePickleError
from ckpt_doctor.formats import torch_pickle

torch = pytest.importorskip("torch")

FORMATS = pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
# Serialized through untyped storages + dtype (torch._utils._rebuild_tensor_v3): torch cannot load these from
# its own legacy format, so they are checked against the original tensors instead.
V3_DTYPES = ["uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
             "float8_e8m0fnu"]
DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128", *V3_DTYPES]


def _bits(t) -> bytes:
    """The tensor's elements as bytes, in C order (works for dtypes numpy lacks)."""
    t = t.detach().contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def _same(info, t) -> None:
    value = info.read()
    assert info.dtype == str(t.dtype).removeprefix("torch."), info.name
    assert info.shape == tuple(t.shape) == value.shape, info.name
    assert info.nbytes == t.numel() * t.element_size()
    assert np.ascontiguousarray(value).tobytes() == _bits(t), info.name


def _save(obj, path, zip_format: bool) -> str:
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    return str(path)


def _every_dtype() -> dict:
    g = torch.Generator().manual_seed(0)
    out = collections.OrderedDict()
    for name in DTYPES:
        dtype = getattr(torch, name)
        if name == "bool":
            t = torch.rand(3, 4, generator=g) > 0.5
        elif dtype.is_complex:
            t = torch.randn(3, 4, dtype=dtype, generator=g)
        elif dtype.is_floating_point:
            t = (torch.randn(3, 4, generator=g) * 4).to(dtype)
        else:
            info = torch.iinfo(dtype)
            t = torch.randint(max(info.min, -1000), min(info.max, 1000), (3, 4), generator=g).to(dtype)
        out[f"t_{name}"] = t
    return out


@FORMATS
def test_every_dtype(tmp_path, zip_format):
    sd = _every_dtype()
    path = _save(sd, tmp_path / "dtypes.pt", zip_format)
    ckpt = open_checkpoint(path)
    assert ckpt.format == "torch" and list(ckpt) == list(sd)
    reference = torch.load(path, weights_only=True) if zip_format else None
    for name, t in sd.items():
        _same(ckpt[name], t)
        if reference is not None:
            _same(ckpt[name], reference[name])


@FORMATS
def test_views_strides_offsets_and_shared_storage(tmp_path, zip_format):
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    linear = torch.nn.Linear(4, 3)
    sd = collections.OrderedDict([
        ("base", base),
        ("transposed", base.t()),
        ("strided", base[1:, ::3]),
        ("offset_row", base[4]),
        ("column", base[:, 7]),
        ("expanded", torch.randn(3, 1).expand(3, 5)),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 4)),
        ("weight", linear.weight),  # a Parameter
        ("tied", linear.weight),
        ("half_view", torch.randn(8).half()[2:6]),
    ])
    path = _save(sd, tmp_path / "views.pt", zip_format)
    ckpt = open_checkpoint(path)
    reference = torch.load(path, weights_only=True)
    for name, t in sd.items():
        _same(ckpt[name], t)
        _same(ckpt[name], reference[name])
    assert any("share a storage" in n and "weight = tied" in n for n in ckpt.notes)


def test_state_dict_names_and_kinds(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                torch.nn.Linear(4, 2))
    path = _save(model.state_dict(), tmp_path / "model.pth", True)
    ckpt = open_checkpoint(path)
    sd = model.state_dict()
    assert list(ckpt) == list(sd)
    assert [t.name for t in ckpt.variables()] == [k for k in sd if not k.endswith("num_batches_tracked")]
    assert ckpt["1.num_batches_tracked"].kind == "counter"
    assert {k: ckpt[k].shape for k in sd} == {k: tuple(v.shape) for k, v in sd.items()}
    assert ckpt["0.weight"].location.endswith("/data/0")


def test_diagnose_against_the_torch_module(tmp_path):
    diagnose = ckpt_doctor.diagnose
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    path = _save(model.state_dict(), tmp_path / "model.pt", True)
    assert diagnose(path, model).ok
    renamed = {f"module.{k}": v for k, v in model.state_dict().items()}  # saved from DataParallel
    assert not diagnose(_save(renamed, tmp_path / "dp.pt", True), model).ok


def _training_checkpoint(with_ema: bool = False) -> dict:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(8, 4)).sum().backward()
    opt.step()
    ckpt = {"epoch": 3, "model_state": model.state_dict(), "optimizer": opt.state_dict(),
            "rng_state": torch.get_rng_state(), "config": {"lr": 1e-3, "name": "run-1"}}
    if with_ema:
        ckpt["ema_state"] = {k: v.clone() for k, v in model.state_dict().items()}
    return ckpt


@FORMATS
def test_training_checkpoint_single_candidate(tmp_path, zip_format):
    obj = _training_checkpoint()
    path = _save(obj, tmp_path / "train.pt", zip_format)
    ckpt = open_checkpoint(path)
    assert [t.name for t in ckpt.variables()] == [k for k in obj["model_state"] if "num_batches" not in k]
    assert any("sub-tree 'model_state'" in n for n in ckpt.notes)
    assert ckpt["optimizer/state/0/exp_avg"].kind == "slot"
    assert ckpt["optimizer/state/0/exp_avg"].slot_name == "exp_avg"
    assert ckpt["optimizer/state/0/step"].kind == "counter"
    assert ckpt["rng_state"].kind == "rng"  # a generator's state: bookkeeping
    _same(ckpt["optimizer/state/1/exp_avg_sq"], obj["optimizer"]["state"][1]["exp_avg_sq"])
    _same(ckpt["0.weight"], obj["model_state"]["0.weight"])


def test_training_checkpoint_several_candidates(tmp_path):
    obj = _training_checkpoint(with_ema=True)
    path = _save(obj, tmp_path / "train.pt", True)
    with pytest.raises(CheckpointError, match=r"several state dicts: 'model_state' \(7 tensors\), 'ema_state' "
                                              r"\(7 tensors\); choose one with subtree="):
        open_checkpoint(path)
    ckpt = open_checkpoint(path, subtree="ema_state")
    assert [t.name for t in ckpt.variables()] == [k for k in obj["ema_state"] if "num_batches" not in k]
    assert ckpt["model_state/0.weight"].kind == "optimizer"  # the other state dict is not the model here
    _same(ckpt["0.bias"], obj["ema_state"]["0.bias"])
    with pytest.raises(CheckpointError, match="no sub-tree 'nope'.*'model_state', 'ema_state'"):
        open_checkpoint(path, subtree="nope")


def test_nested_subtree_path(tmp_path):
    sd = {"w": torch.ones(2)}
    path = _save({"models": [{"w": torch.zeros(1)}, sd]}, tmp_path / "nested.pt", True)
    with pytest.raises(CheckpointError, match="'models/0'.*'models/1'"):
        torch_pickle.read(path)
    ckpt = open_checkpoint(path, subtree="models/1")
    assert [t.name for t in ckpt.variables()] == ["w"] and ckpt["w"].read().tolist() == [1.0, 1.0]
    assert ckpt["models/0/w"].kind == "optimizer"


def test_bare_tensor_and_optimizer_only(tmp_path):
    ckpt = open_checkpoint(_save(torch.arange(5), tmp_path / "t.pt", True))
    assert list(ckpt) == ["tensor"] and ckpt["tensor"].read().tolist() == [0, 1, 2, 3, 4]
    opt = _training_checkpoint()["optimizer"]
    ckpt = open_checkpoint(_save(opt, tmp_path / "opt.pt", True))
    assert not ckpt.variables() and {t.kind for t in ckpt.values()} == {"slot", "counter"}


def test_subtree_option_only_for_formats_that_take_it(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.zeros(2, np.float32)}, str(tmp_path / "a.safetensors"))
    with pytest.raises(ckpt_doctor.UsageError, match="subtree do not apply to this safetensors file"):
        open_checkpoint(tmp_path / "a.safetensors", subtree="x")


def _rewrite(src: str, dst, transform) -> None:
    """Copy a torch zip member by member: transform(name, data) -> (name, data) or None to drop it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            out = transform(item.filename, zin.read(item))
            if out is not None:
                zout.writestr(out[0], out[1])


def test_any_archive_root_name(tmp_path):
    sd = {"a": torch.randn(3, 2)}
    src = _save(sd, tmp_path / "orig.pt", True)
    dst = tmp_path / "renamed.bin"
    _rewrite(src, dst, lambda n, d: ("some_other_root/" + n.split("/", 1)[1], d))
    assert torch_pickle.sniff(str(dst))
    _same(open_checkpoint(dst)["a"], sd["a"])
    _same(open_checkpoint(dst)["a"], torch.load(dst, weights_only=True)["a"])


def test_big_endian_archive(tmp_path):
    sd = {"f": torch.randn(4, 3), "c": torch.randn(3, dtype=torch.complex64), "i": torch.arange(5)}
    src = _save(sd, tmp_path / "le.pt", True)
    # storage keys follow the state dict order: 0 -> f, 1 -> c, 2 -> i
    widths = {"0": "u4", "1": "u4", "2": "u8"}

    def swap(name, data):
        root, rest = name.split("/", 1)
        if rest == "byteorder":
            return name, b"big"
        if rest.startswith("data/"):
            return name, np.frombuffer(data, dtype=widths[rest[5:]]).byteswap().tobytes()
        return name, data

    dst = tmp_path / "be.pt"
    _rewrite(src, dst, swap)
    ckpt = open_checkpoint(dst)
    for name, t in sd.items():
        _same(ckpt[name], t)


def test_listing_reads_no_tensor_data(tmp_path):
    if not os.path.exists("/proc/self/io"):
        pytest.skip("needs /proc/self/io")
    sd = {f"layer{i}.weight": torch.randn(256, 256) for i in range(32)}  # 8 MiB
    for zip_format in (True, False):
        path = _save(sd, tmp_path / f"big_{zip_format}.pt", zip_format)

        def rchar() -> int:
            with open("/proc/self/io") as f:
                return int(next(line for line in f if line.startswith("rchar")).split()[1])

        before = rchar()
        ckpt = open_checkpoint(path)
        shapes = {name: info.shape for name, info in ckpt.items()}
        read = rchar() - before
        assert len(shapes) == 32 and read < 256 * 1024, (zip_format, read)


# --- damaged files ------------------------------------------------------------------------------------------

def test_truncated_zip(tmp_path):
    path = _save({"a": torch.randn(100)}, tmp_path / "t.pt", True)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError) as e:
        open_checkpoint(path)
    assert e.value.path == path


def test_missing_storage_member(tmp_path):
    src = _save({"a": torch.randn(3), "b": torch.randn(2)}, tmp_path / "t.pt", True)
    dst = tmp_path / "dropped.pt"
    _rewrite(src, dst, lambda n, d: None if n.endswith("/data/1") else (n, d))
    with pytest.raises(CorruptCheckpointError, match="no member '.*/data/1'") as e:
        open_checkpoint(dst)
    assert e.value.tensor == "b"


def test_storage_too_small_for_the_tensor(tmp_path):
    src = _save({"a": torch.randn(10)}, tmp_path / "t.pt", True)
    dst = tmp_path / "short.pt"
    _rewrite(src, dst, lambda n, d: (n, d[:8]) if n.endswith("/data/0") else (n, d))
    with pytest.raises(CorruptCheckpointError, match=r"needs storage bytes \[0, 40\)") as e:
        open_checkpoint(dst)
    assert e.value.tensor == "a"


def test_damaged_storage_fails_crc(tmp_path):
    path = _save({"a": torch.zeros(1000)}, tmp_path / "t.pt", True)
    ckpt = open_checkpoint(path)
    offset = zipfile.ZipFile(path).getinfo(ckpt["a"].location).header_offset + 200
    data = bytearray(open(path, "rb").read())
    data[offset] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(ChecksumError, match="CRC-32") as e:
        open_checkpoint(path)["a"].read()
    assert e.value.tensor == "a"


def test_truncated_legacy(tmp_path):
    path = _save({"a": torch.randn(100), "b": torch.randn(100)}, tmp_path / "t.pt", False)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-50])
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        open_checkpoint(path)


def test_whole_module_is_refused(tmp_path):
    path = _save(torch.nn.Linear(2, 2), tmp_path / "module.pt", True)
    with pytest.raises(UnsafePickleError, match="torch.nn.modules.linear.Linear"):
        open_checkpoint(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_archive(tmp_path):
    path = str(tmp_path / "scripted.pt")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    with pytest.raises(UnsupportedError, match="TorchScript"):
        open_checkpoint(path)


def test_legacy_tar_format_is_named(tmp_path):
    import tarfile

    path = tmp_path / "old.pt"
    with tarfile.open(path, "w") as tar:
        for name in ("storages", "tensors", "pickle"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(UnsupportedError, match="pre-1.0 tar"):
        open_checkpoint(path)


def test_legacy_storage_views(tmp_path):
    """Old torch versions saved storage views: persistent id ("storage", type, root key, location, numel,
    (view key, offset, size)). Built by hand, checked against torch's own legacy loader."""
    import pickle

    class View:
        pass

    view = View()

    class Tensor:
        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, (view, 1, (3,), (1,), False, collections.OrderedDict())

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if obj is view:  # a view of 5 floats starting at element 2 of a 10-float root storage
                return ("storage", torch.FloatStorage, "root", "cpu", 10, ("view", 2, 5))
            return None

    path = tmp_path / "views.pt"
    root = np.arange(10, dtype=np.float32)
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, f, protocol=2)
        Pickler(f, protocol=2).dump({"w": Tensor()})
        pickle.dump(["root"], f, protocol=2)
        f.write(np.int64(10).tobytes() + root.tobytes())
    expected = torch.load(path, weights_only=True)["w"]
    assert expected.tolist() == [3.0, 4.0, 5.0]  # root[2:7] is the view; offset 1, three elements
    _same(open_checkpoint(path)["w"], expected)
