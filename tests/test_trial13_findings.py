"""What a thirteenth new user found checking values, dtypes and resource bounds against the frameworks' own readers
(files written by numpy, torch, safetensors, h5py and TensorFlow, compared bit for bit), fixed outside match/; each
test fails on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial13-match-findings.py), not fixed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.cli import main


def test_an_npz_holding_an_ml_dtypes_float8_e5m2_array_opens_and_keeps_its_bytes(tmp_path: Path, capsys):
    """`np.savez` of ml_dtypes arrays writes float8_e5m2 with descr '<f1', a type numpy itself cannot read back.
    ckpt-doctor called the whole file corrupt ("descr '<f1' is not a dtype"), so none of its arrays could be listed
    or read, and `verify` failed a file numpy had just written. That member is read as raw 1-byte elements, said
    in a note, and every other member as before."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    e5m2 = np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e5m2).reshape(16, 16)
    bf16 = np.array([0x3F80, 0x8000, 0x7FC1], dtype=np.uint16).view(ml_dtypes.bfloat16)
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(tmp_path / "w.npz", e5m2=e5m2, bf16=bf16, weight=weight)
    with np.load(tmp_path / "w.npz") as npz:  # numpy reads the others back, not this one
        assert np.array_equal(npz["weight"], weight)
        with pytest.raises(ValueError):
            npz["e5m2"]
    ckpt = ckpt_doctor.open_checkpoint(tmp_path / "w.npz")
    assert ckpt["weight"].dtype == "float32" and np.array_equal(ckpt["weight"].read(), weight)
    raw = ckpt["e5m2"].read()
    assert ckpt["e5m2"].shape == (16, 16) and raw.shape == (16, 16) and raw.dtype.itemsize == 1
    assert raw.tobytes() == e5m2.tobytes()
    assert raw.view(ml_dtypes.float8_e5m2).tobytes() == e5m2.tobytes()
    assert ckpt["bf16"].read().tobytes() == bf16.tobytes()
    assert any("'<f1'" in note and "float8_e5m2" in note for note in ckpt.notes), ckpt.notes
    assert main(["verify", str(tmp_path / "w.npz")]) == 0
    np.save(tmp_path / "alone.npy", e5m2)
    alone = ckpt_doctor.open_checkpoint(tmp_path / "alone.npy")
    assert alone["alone"].read().tobytes() == e5m2.tobytes()
    capsys.readouterr()


def test_a_legacy_torch_file_that_torch_load_cannot_read_back_says_so(tmp_path: Path, capsys):
    """`torch.save(..., _use_new_zipfile_serialization=False)` writes tensors of the newer dtypes (uint16/32/64,
    float8, complex32) with an untyped storage, which torch.load's legacy path then refuses ("'UntypedStorage' has
    no attribute 'dtype'"). ckpt-doctor read their values right and `inspect`/`verify` said all was well: nothing
    told the user that torch itself cannot load the file. A note says so, with a conversion torch can load."""
    torch = pytest.importorskip("torch")
    state = {"ids": torch.arange(6, dtype=torch.int32).reshape(2, 3).to(torch.uint16),
             "scale": torch.tensor([0.5, -2.0, 448.0]).to(torch.float8_e4m3fn), "w": torch.ones(2)}
    path = tmp_path / "legacy.pt"
    torch.save(state, path, _use_new_zipfile_serialization=False)
    with pytest.raises(AttributeError, match="UntypedStorage"):
        torch.load(path, weights_only=True)
    ckpt = ckpt_doctor.open_checkpoint(path)
    for key, value in state.items():
        assert ckpt[key].read().tobytes() == value.view(torch.uint8).numpy().tobytes(), key
    notes = [n for n in ckpt.notes if "torch.load cannot read" in n]
    assert len(notes) == 1 and "float8_e4m3fn, uint16" in notes[0] and "(ids, scale)" in notes[0], ckpt.notes
    command = notes[0].split("`")[1].replace("COPY.safetensors", str(tmp_path / "copy.safetensors"))
    assert main(command.split()[1:]) == 0
    import safetensors.torch

    copy = safetensors.torch.load_file(tmp_path / "copy.safetensors")
    for key, value in state.items():
        assert copy[key].dtype == value.dtype and torch.equal(copy[key].view(torch.uint8), value.view(torch.uint8))
    torch.save(state, tmp_path / "zip.pt")  # the zip format has no such problem, and no such note
    assert not [n for n in ckpt_doctor.open_checkpoint(tmp_path / "zip.pt").notes if "cannot read" in n]
    capsys.readouterr()


def test_float8_fnuz_values_are_written_to_safetensors_as_the_library_writes_them(tmp_path: Path, capsys):
    """`rewrite --to safetensors` refused float8_e4m3fnuz and float8_e5m2fnuz ("no safetensors equivalent"),
    though the safetensors library writes and reads both (F8_E4M3FNUZ, F8_E5M2FNUZ) and ckpt-doctor reads them:
    a checkpoint safetensors itself had written could not be copied. They are written, byte-identical to
    safetensors.torch.save_file for the same tensors."""
    torch = pytest.importorskip("torch")
    import safetensors.torch

    def bits():
        return torch.arange(256, dtype=torch.uint8).reshape(16, 16)

    state = {"e4": bits().view(torch.float8_e4m3fnuz), "e5": bits().view(torch.float8_e5m2fnuz),
             "fn": bits().view(torch.float8_e4m3fn), "m0": bits()[:2].clone().view(torch.float8_e8m0fnu),
             "i16": torch.arange(4, dtype=torch.int16), "i8": torch.arange(3, dtype=torch.int8)}
    safetensors.torch.save_file(state, tmp_path / "lib.safetensors", metadata={"format": "pt"})
    torch.save(state, tmp_path / "src.pt")
    assert main(["rewrite", str(tmp_path / "src.pt"), "-o", str(tmp_path / "ours.safetensors")]) == 0
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "lib.safetensors").read_bytes()
    back = safetensors.torch.load_file(tmp_path / "ours.safetensors")
    for key, value in state.items():
        assert back[key].dtype == value.dtype and torch.equal(back[key].view(torch.uint8), value.view(torch.uint8))
    capsys.readouterr()


def _tf(script: str, *args: str) -> str:
    """Run ``script`` with TensorFlow in a child process (TensorFlow never enters pytest's); its stdout."""
    import os
    import subprocess
    import sys

    # (not importorskip: importing TensorFlow into pytest's process would swell its address space, which the
    # hardening tests' forked children inherit under their address-space limit; the child fails if it is missing)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:], pytrace=False)
    return proc.stdout


def test_a_tf_checkpoint_with_a_tensor_deeper_than_numpy_allows_still_opens(tmp_path: Path, capsys):
    """TensorFlow saves tensors of up to 254 dimensions; numpy holds 64. One rank-100 tensor made the whole
    checkpoint unreadable ("shape has more than 64 dimensions"): no inspect, no verify, no other tensor. It is
    listed with its shape and its checksum checked; only reading its value is refused (TensorFlow's own
    get_tensor refuses the same). `rewrite` copies it, and TensorFlow restores the copy to the same values."""
    script = (
        "import sys, json, tensorflow as tf\n"
        "deep = tf.reshape(tf.range(6, dtype=tf.float32), [1] * 70 + [2, 3] + [1] * 28)\n"
        "names, shapes = ['deep', 'w'], ['', '']\n"
        "if sys.argv[1] == 'save':\n"
        "    tf.raw_ops.SaveV2(prefix=sys.argv[2], tensor_names=names, shape_and_slices=shapes,\n"
        "                      tensors=[deep, tf.constant([[1.5, -0.0]])])\n"
        "values = tf.raw_ops.RestoreV2(prefix=sys.argv[2], tensor_names=names, shape_and_slices=shapes,\n"
        "                              dtypes=[tf.float32, tf.float32])\n"
        "print(json.dumps([[v.shape.as_list(), tf.reshape(v, [-1]).numpy().tolist()] for v in values]))\n")
    prefix = str(tmp_path / "deep" / "ckpt")
    written = _tf(script, "save", prefix)
    ckpt = ckpt_doctor.open_checkpoint(prefix)
    assert ckpt["deep"].shape == (1,) * 70 + (2, 3) + (1,) * 28
    assert ckpt["w"].read().tobytes() == np.array([[1.5, -0.0]], dtype=np.float32).tobytes()
    with pytest.raises(ckpt_doctor.UnsupportedError, match="rank 100"):
        ckpt["deep"].read()
    ckpt["deep"].check()
    assert main(["inspect", prefix]) == 0
    assert main(["verify", prefix]) == 0
    assert main(["rewrite", prefix, "-o", str(tmp_path / "copy" / "ckpt")]) == 0
    assert _tf(script, "restore", str(tmp_path / "copy" / "ckpt")) == written
    capsys.readouterr()


def test_verify_checks_a_complex32_tensor_instead_of_failing_an_intact_file(tmp_path: Path, capsys):
    """A torch.save file holding a complex32 (ComplexHalf) tensor made `verify` say FAILED ("UNSUPPORTED ...
    dtype complex32 has no numpy equivalent", exit 1, "damage is what it finds") for an intact file: the value
    cannot become a numpy array, but its bytes and their CRC-32 can be checked, as a TF variant's are. They are:
    the intact file verifies, a flipped byte in that tensor is found, and reading the value is still refused."""
    import warnings
    import zipfile

    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ComplexHalf support is experimental"
        state = {"w": torch.ones(3), "z": torch.full((64,), 1 + 2j, dtype=torch.complex32)}
    path = tmp_path / "c32.pt"
    torch.save(state, path)
    assert torch.load(path, weights_only=True)["z"].dtype == torch.complex32
    assert main(["verify", str(path)]) == 0
    with pytest.raises(ckpt_doctor.UnsupportedError, match="complex32"):
        ckpt_doctor.open_checkpoint(path)["z"].read()
    with zipfile.ZipFile(path) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/1"))
    data = bytearray(path.read_bytes())
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    data[info.header_offset + 30 + name_len + extra_len + 5] ^= 0x10
    path.write_bytes(bytes(data))
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "tensor 'z'" in out and "CRC-32" in out and "intact: 1 tensor(s): w" in out, out


def test_verify_streams_a_large_tensor_and_reads_each_zip_member_once(tmp_path: Path, monkeypatch, capsys):
    """`verify` of a safetensors or torch.save file built every value in memory to check it: one 2 GiB embedding
    took 2.1 GB of memory (safetensors 3.4 s, torch 5.9 s), and a torch file's bytes were read twice (the CRC-32 of
    each member once for its tensor, once more in the pass over every member). The bytes stream through a small
    buffer (2 GiB: 30-40 MB, 0.7 s and 1.6 s) and each member's CRC-32 is computed once; damage is still found."""
    import tracemalloc
    import zlib

    torch = pytest.importorskip("torch")
    from safetensors.numpy import save_file

    big = np.arange(12 << 20, dtype=np.float32)  # 48 MiB
    save_file({"emb": big, "b": np.ones(3, np.float32)}, tmp_path / "m.safetensors")
    torch.save({"emb": torch.from_numpy(big), "b": torch.ones(3), "view": torch.arange(10.0)[2:5]}, tmp_path / "m.pt")
    del big
    for name in ("m.safetensors", "m.pt"):
        tracemalloc.start()
        assert main(["verify", str(tmp_path / name)]) == 0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 24 << 20, (name, peak)
    crc_bytes = []
    real_crc32 = zlib.crc32

    def counting(data, value=0):
        crc_bytes.append(len(data))
        return real_crc32(data, value)

    monkeypatch.setattr(zlib, "crc32", counting)
    ckpt_doctor.formats._zip._open_cached.cache_clear()
    assert main(["verify", str(tmp_path / "m.pt")]) == 0
    assert sum(crc_bytes) < 1.05 * (48 << 20), sum(crc_bytes)
    data = bytearray((tmp_path / "m.pt").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "m.pt").write_bytes(bytes(data))
    assert main(["verify", str(tmp_path / "m.pt")]) == 1
    assert "tensor 'emb'" in capsys.readouterr().out


def test_a_dtype_a_tf_bundle_lacks_is_not_sent_to_tf(tmp_path: Path, capsys):
    """`rewrite x.pt --to tf` of a float8_e8m0fnu tensor (TF has no such dtype) said "dtype float8_e8m0fnu cannot
    be written to a TF bundle; ... (--to tf keeps every dtype)": the remedy was the command that had just failed.
    The hint names --to tf only when the output is another format and a TF bundle holds the dtype."""
    torch = pytest.importorskip("torch")
    torch.save({"scale": torch.tensor([1.0, 4.0]).to(torch.float8_e8m0fnu), "w": torch.ones(2)}, tmp_path / "e8.pt")
    assert main(["rewrite", str(tmp_path / "e8.pt"), "-o", str(tmp_path / "tf") + "/", "--to", "tf"]) == 1
    err = capsys.readouterr().err
    assert "cannot be written to a TF bundle" in err and "--to tf" not in err, err
    assert 'drop: "^scale$"' in err and "cast(float32)" in err, err
    torch.save({"h": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.pt")
    assert main(["rewrite", str(tmp_path / "bf.pt"), "-o", str(tmp_path / "bf.npz")]) == 1
    assert "(--to tf keeps it)" in capsys.readouterr().err
