"""A pickle of NumPy arrays (``pickle.dump`` of a dict of arrays, as g2pM ships its weights and JAX / Haiku users
save parameter trees), read by the allow-list unpickler: the values as ``pickle.load`` gives them (the oracle), and
every hostile or broken pickle a CheckpointError, with nothing in it executed."""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.errors import CheckpointError, NotACheckpointError, UnsafePickleError


def _dump(path, obj, protocol):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_values_are_pickle_loads(tmp_path, protocol):
    rng = np.random.default_rng(protocol)
    arrays = OrderedDict([
        ("embedding.weight", rng.standard_normal((7, 3)).astype(np.float32)),
        ("lstm.bias_ih_l0", rng.standard_normal(12).astype(np.float64)),
        ("counts", np.arange(6, dtype=np.int64).reshape(2, 3)),
        ("mask", np.array([True, False, True])),
        ("half_be", rng.standard_normal((2, 2)).astype(">f2")),
        ("fortran", np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32))),
        ("scalar_array", np.array(3.5, dtype=np.float32)),
    ])
    path = _dump(tmp_path / "weights.pkl", arrays, protocol)
    cat = ckpt_doctor.open_checkpoint(path)
    ref = pickle.load(open(path, "rb"))
    assert cat.format == "numpy" and list(cat) == sorted(ref) or set(cat) == set(ref)
    for name, value in ref.items():
        got = cat[name].read()
        assert got.shape == value.shape and cat[name].shape == value.shape
        assert np.array_equal(got, value) and got.dtype == value.dtype.newbyteorder("=")
    assert [cat[n].written for n in ref] == list(range(len(ref)))  # the dict's own order
    assert ckpt_doctor.verify(path).ok


def test_a_parameter_tree_is_named_by_its_keys(tmp_path):
    params = {"mlp/~/linear_0": {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)},
              "blocks": [{"w": np.ones((3, 3), np.float32)}], "step": 10, "name": "run-1"}
    cat = ckpt_doctor.open_checkpoint(_dump(tmp_path / "params.pickle", params, 4))
    assert set(cat) == {"mlp/~/linear_0/w", "mlp/~/linear_0/b", "blocks/0/w"}
    assert any("2 value(s) that are no array left out" in n for n in cat.notes)


def test_a_pickle_without_arrays_is_no_checkpoint(tmp_path):
    path = _dump(tmp_path / "char2idx.pkl", {"a": 1, "b": 2}, 3)
    with pytest.raises(NotACheckpointError, match="holding no NumPy arrays"):
        ckpt_doctor.open_checkpoint(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_hostile_pickle_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _dump(tmp_path / "evil.pkl", {"w": np.ones(2, np.float32), "x": _Evil()}, 4)
    with pytest.raises(UnsafePickleError, match="posix.system|os.system|nt.system"):
        ckpt_doctor.open_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_an_object_array_is_refused(tmp_path):
    path = _dump(tmp_path / "objects.pkl", {"w": np.array([{"a": 1}, None], dtype=object)}, 4)
    with pytest.raises(UnsafePickleError, match="object array"):
        ckpt_doctor.open_checkpoint(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_pickle_is_a_clear_error(tmp_path, keep):
    data = pickle.dumps({"w": np.ones((64, 64), np.float32), "b": np.ones(64, np.float32)}, protocol=4)
    path = tmp_path / "cut.pkl"
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(CheckpointError):
        ckpt_doctor.open_checkpoint(str(path))


def test_a_legacy_torch_save_is_still_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    path = str(tmp_path / "legacy.pt")
    torch.save({"w": torch.ones(2, 2)}, path, _use_new_zipfile_serialization=False)
    assert ckpt_doctor.open_checkpoint(path).format == "torch"


def test_a_pickle_is_rewritten_as_npz_never_under_a_pickle_name(tmp_path, capsys):
    from ckpt_doctor.cli import main

    path = _dump(tmp_path / "w.pkl", {"a.weight": np.ones((2, 2), np.float32)}, 4)
    for name in ("out.pkl", "out.pickle", "out.npy"):  # npz bytes must not land under a name that says otherwise
        assert main(["rewrite", path, "-o", str(tmp_path / name)]) == 2
        assert "a kind of file rewrite reads but does not write" in capsys.readouterr().err
        assert not (tmp_path / name).exists()
    assert main(["rewrite", path, "-o", str(tmp_path / "out.npz")]) == 0
    assert np.array_equal(np.load(tmp_path / "out.npz")["a.weight"], np.ones((2, 2), np.float32))
