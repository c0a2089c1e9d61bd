"""Hostile input: pickles that would run code, and zip containers built to escape or explode.

Every payload here would create a marker file if it ran. The reader must refuse it with an error naming the
offending global, and the marker must not exist afterwards. A control run with plain ``pickle`` (in a subprocess)
shows that the payloads are live.
"""

import copyreg
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from ckpt_doctor import CheckpointError, CorruptCheckpointError, UnsupportedError, open_checkpoint
from ckpt_doctor.errors import UnsafePickleError
from ckpt_doctor.formats import _unpickler, _zip

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _call(module: str, name: str, args: tuple) -> bytes:
    """A protocol-2 pickle that calls module.name(*args): GLOBAL, the argument tuple, REDUCE."""
    return (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n" + pickle.dumps(args, protocol=2)[2:-1]
            + b"R.")


def _payloads(marker: str) -> dict[str, bytes]:
    touch = f"open({marker!r}, 'w').close()"
    return {
        "os.system": _call("os", "system", (f"touch {marker}",)),
        "posix.system": _call("posix", "system", (f"touch {marker}",)),
        "builtins.eval": _call("builtins", "eval", (touch,)),
        "builtins.exec": _call("builtins", "exec", (touch,)),
        "__builtin__.eval": _call("__builtin__", "eval", (touch,)),  # a Python 2 pickle
        "subprocess.Popen": _call("subprocess", "Popen", (["touch", marker],)),
        "subprocess.check_call": _call("subprocess", "check_call", (["touch", marker],)),
        "builtins.__import__": _call("builtins", "__import__", ("os",)),
        "builtins.getattr": _call("builtins", "getattr", ("x", "upper")),
        "builtins.open": _call("builtins", "open", (marker, "w")),
        "functools.partial": _call("functools", "partial", (print,)),
        "torch._C._get_tracing_state": _call("torch._C", "_get_tracing_state", ()),
        "torch.hub.load": _call("torch.hub", "load", ("evil/repo", "model")),
        "torch.load": _call("torch", "load", (marker,)),
        "torch._utils.__builtins__": _call("torch._utils", "__builtins__", ()),
        "torch._utils._rebuild_tensor_v2.__globals__": _call("torch._utils", "_rebuild_tensor_v2.__globals__", ()),
    }


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "PAYLOAD_RAN"
    yield str(path)
    assert not path.exists(), "a payload ran"


def _as_torch_zip(payload: bytes, path) -> str:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return str(path)


def _as_torch_legacy(payload: bytes, path) -> str:
    with open(path, "wb") as f:
        for header in (LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(payload)
        pickle.dump([], f, protocol=2)
    return str(path)


@pytest.mark.parametrize("container", [_as_torch_zip, _as_torch_legacy], ids=["zip", "legacy"])
def test_payloads_are_refused_and_never_run(tmp_path, marker, container):
    for qualname, payload in _payloads(marker).items():
        path = container(payload, tmp_path / f"{qualname}.pt")
        with pytest.raises(UnsafePickleError, match=f"global {qualname.replace('__builtin__', 'builtins')}") as e:
            open_checkpoint(path)
        assert e.value.path == path and "nothing in the file was executed" in str(e.value)
        assert not os.path.exists(marker), qualname


def test_control_payloads_are_live(tmp_path):
    # Plain pickle runs them: proof that the refusals above are not vacuous.
    marker = str(tmp_path / "CONTROL_RAN")
    script = ("import pickle, sys; pickle.loads(open(sys.argv[1], 'rb').read())")
    for qualname in ("os.system", "builtins.eval", "builtins.exec", "subprocess.check_call"):
        blob = tmp_path / "control.pkl"
        blob.write_bytes(_payloads(marker)[qualname])
        subprocess.run([sys.executable, "-c", script, str(blob)], check=True, capture_output=True)
        assert os.path.exists(marker), qualname
        os.remove(marker)


def test_payload_inside_a_real_torch_save(tmp_path, marker):
    torch = pytest.importorskip("torch")

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    for zip_format in (True, False):
        path = str(tmp_path / f"evil_{zip_format}.pt")
        torch.save({"weight": torch.ones(2), "evil": Evil()}, path, _use_new_zipfile_serialization=zip_format)
        with pytest.raises(UnsafePickleError, match=r"global posix\.system|global os\.system"):
            open_checkpoint(path)


def test_numpy_object_array_is_refused(tmp_path, marker):
    payload = pickle.dumps({"w": np.array([1, "two"], dtype=object)}, protocol=2)
    with pytest.raises(UnsafePickleError, match="object array"):
        open_checkpoint(_as_torch_zip(payload, tmp_path / "obj.pt"))
    # a plain numpy scalar (e.g. a best-accuracy value) is harmless data and is accepted
    ckpt_payload = pickle.dumps({"best": np.float64(0.5), "epoch": 3}, protocol=2)
    ckpt = open_checkpoint(_as_torch_zip(ckpt_payload, tmp_path / "scalar.pt"))
    assert len(ckpt) == 0


def _load(blob: bytes, persistent_load=None):
    return _unpickler.load(io.BytesIO(blob), path="<test>", persistent_load=persistent_load)


def test_allowed_globals_cannot_be_modified():
    # GLOBAL then BUILD with a state dict: would overwrite attributes of the reader's own stand-ins.
    for module, name in (("torch._utils", "_rebuild_tensor_v2"), ("torch", "FloatStorage"),
                         ("collections", "OrderedDict")):
        blob = b"\x80\x02c" + f"{module}\n{name}\n".encode() + pickle.dumps({"__code__": 1}, 2)[2:-1] + b"b."
        with pytest.raises(UnsafePickleError, match="modify the global"):
            _load(blob)


def test_rebuild_from_type_v2_calls_only_rebuilders():
    # _rebuild_from_type_v2(func, new_type, args, state) with func = OrderedDict: not a tensor rebuilder.
    blob = b"\x80\x02ctorch._tensor\n_rebuild_from_type_v2\n(ccollections\nOrderedDict\nctorch\nTensor\n)}tR."
    with pytest.raises(UnsafePickleError, match="asked to call collections.OrderedDict"):
        _load(blob)


def test_huge_bytearray_is_refused():
    with pytest.raises(UnsafePickleError, match="bytearray"):
        _load(_call("builtins", "bytearray", (10 ** 12,)))


def test_extension_opcodes_are_refused(marker):
    code = 0xF0
    copyreg.add_extension("os", "system", code)
    try:
        blob = b"\x80\x02\x82" + bytes([code]) + pickle.dumps((f"touch {marker}",), protocol=2)[2:-1] + b"R."
        with pytest.raises(UnsafePickleError, match="extension codes"):
            _load(blob)
    finally:
        copyreg.remove_extension("os", "system", code)
        copyreg.clear_extension_cache()


def test_malformed_pickles_are_corrupt_not_crashes():
    for blob in (b"", b"\x80\x02(", b"\x80\x02K", b"\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\x7f", b"garbage"):
        with pytest.raises(CorruptCheckpointError, match="malformed pickle"):
            _load(blob)
    with pytest.raises(CorruptCheckpointError, match="persistent id"):
        _load(b"\x80\x02X\x01\x00\x00\x00xQ.")  # BINPERSID where none is expected


def test_bad_persistent_ids_in_torch_zip(tmp_path):
    for pid, message in (((b"storage",), "has 1 fields"), (("module", 1), "unexpected persistent id"),
                         (("storage", "notaclass", "0", "cpu", 4), "where a storage class belongs")):
        class P(pickle.Pickler):
            def persistent_id(self, obj, pid=pid):
                return pid if obj == "X" else None

        buf = io.BytesIO()
        P(buf, protocol=2).dump({"a": "X"})
        with pytest.raises(CorruptCheckpointError, match=message):
            open_checkpoint(_as_torch_zip(buf.getvalue(), tmp_path / "p.pt"))


def test_deeply_nested_object(tmp_path):
    obj: list = []
    for _ in range(400):
        obj = [obj]
    with pytest.raises(CorruptCheckpointError, match="nests deeper than"):
        open_checkpoint(_as_torch_zip(pickle.dumps(obj, protocol=2), tmp_path / "deep.pt"))


# --- zip containers -----------------------------------------------------------------------------------------

def _npy(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


@pytest.mark.parametrize("member", ["../evil.npy", "a/../../evil.npy", "/etc/evil.npy", "C:/evil.npy",
                                    "..\\evil.npy"])
def test_member_path_escaping_the_archive(tmp_path, member):
    path = tmp_path / "x.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", _npy(np.ones(2)))
        z.writestr(zipfile.ZipInfo(member), _npy(np.ones(2)))
    with pytest.raises(CorruptCheckpointError, match="escapes the archive") as e:
        open_checkpoint(path)
    assert e.value.path == str(path)
    assert not (tmp_path.parent / "evil.npy").exists()


def test_member_escaping_in_torch_zip(tmp_path):
    path = tmp_path / "x.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        z.writestr("archive/../../evil", b"x")
    with pytest.raises(CorruptCheckpointError, match="'archive/../../evil' escapes the archive"):
        open_checkpoint(path)


def _central_offset(data: bytes, name: bytes) -> int:
    """Offset of the central directory entry for ``name``."""
    i = data.index(b"PK\x01\x02")
    while data[i + 46:i + 46 + struct.unpack_from("<H", data, i + 28)[0]] != name:
        i = data.index(b"PK\x01\x02", i + 4)
    return i


def test_zip_bomb_declared_size(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("w.npy", _npy(np.zeros(1000)))
    data = bytearray(path.read_bytes())
    cd = _central_offset(bytes(data), b"w.npy")
    struct.pack_into("<I", data, cd + 24, 0xFFFFFFF0)  # declares 4 GiB uncompressed
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptCheckpointError, match="zip bomb: member 'w.npy' claims to inflate"):
        open_checkpoint(path)


def test_zip_bomb_over_the_cap(tmp_path):
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, w=np.zeros(8 << 20, np.uint8))  # 8 MiB of zeros in a few KiB
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(UnsupportedError, match=r"inflates to \d+ bytes, more than the limit of 1048576 "
                                               r"\(pass max_member_bytes= to allow it\)"):
        open_checkpoint(path, max_member_bytes=1 << 20)
    assert open_checkpoint(path)["w"].read().sum() == 0  # within the default cap it is just data


def test_member_inflating_past_its_declared_size(tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("blob", bytes(100_000))
    data = bytearray(path.read_bytes())
    cd = _central_offset(bytes(data), b"blob")
    struct.pack_into("<I", data, cd + 24, 1000)  # central directory: 1000 bytes
    struct.pack_into("<I", data, 22, 1000)  # local header too
    path.write_bytes(bytes(data))
    archive = _zip.open_archive(str(path))
    with pytest.raises(CorruptCheckpointError, match="inflates past its declared size of 1000"):
        archive.read("blob")


def test_overlapping_members(tmp_path):
    path = tmp_path / "overlap.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.npy", _npy(np.ones(100)))
        z.writestr("b.npy", _npy(np.ones(100)))
    data = bytearray(path.read_bytes())
    cd = _central_offset(bytes(data), b"b.npy")
    struct.pack_into("<I", data, cd + 42, 0)  # b.npy's local header offset -> a.npy's
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptCheckpointError, match="overlap"):
        open_checkpoint(path)


def test_not_a_zip_at_all(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(CheckpointError) as e:
        open_checkpoint(path)
    assert e.value.path == str(path)


# --- damaged files in general -------------------------------------------------------------------------------

def _fuzz_sources(tmp_path) -> list:
    from safetensors.numpy import save_file

    torch = pytest.importorskip("torch")
    sd = {"w": torch.randn(4, 3), "b": torch.arange(3), "t": torch.randn(5, 2).t(), "h": torch.ones(2).half()}
    torch.save(sd, tmp_path / "zip.pt")
    torch.save(sd, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    save_file({"w": np.ones((4, 3), np.float32), "b": np.arange(3)}, str(tmp_path / "a.safetensors"))
    np.savez(tmp_path / "a.npz", w=np.ones((4, 3)), b=np.arange(3))
    np.savez_compressed(tmp_path / "c.npz", w=np.ones((4, 3)), b=np.arange(3))
    np.save(tmp_path / "a.npy", np.ones((4, 3)))
    return [tmp_path / n for n in ("zip.pt", "legacy.pt", "a.safetensors", "a.npz", "c.npz", "a.npy")]


def test_byte_flips_and_truncations_give_checkpoint_errors(tmp_path):
    """Damage anywhere (header, pickle, zip directory, data) is a CheckpointError or a correct read: never
    another exception. (The HDF5 formats are left out: libhdf5 parses those, and it is not hardened.)"""
    import random

    rng = random.Random(1234)
    for src in _fuzz_sources(tmp_path):
        original = src.read_bytes()
        target = tmp_path / ("fuzzed_" + src.name)
        for _ in range(120):
            data = bytearray(original)
            if rng.random() < 0.3:
                data = data[:rng.randrange(len(data))]
            else:
                for _ in range(rng.randint(1, 6)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            target.write_bytes(bytes(data))
            try:
                for info in open_checkpoint(target).values():
                    info.read()
            except CheckpointError:
                pass
