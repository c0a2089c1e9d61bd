"""Writers and ``rewrite``: TensorFlow (in a subprocess, tests/rewrite_oracle.py), PyTorch, safetensors, numpy and h5py
are the oracles; our own reader is never the only judge of our own writer."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import open_checkpoint, rewrite, write_checkpoint
from ckpt_doctor.formats import _object_graph
from ckpt_doctor.match.rules import Drop, Prefix, Rename, RuleError, Rules, Transform
from ckpt_doctor.restore.rewrite import apply_transform

HERE = Path(__file__).parent
SEED = HERE.parent / "src" / "ckpt_doctor" / "examples" / "seed"
CORPUS = Path("/work/shared/corpus") if Path("/work/shared/corpus").is_dir() else HERE / "data" / "corpus"
needs_tf = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    work = tmp_path_factory.mktemp("rewrite_oracle")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"), TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    r = subprocess.run([sys.executable, str(HERE / "rewrite_oracle.py"), str(work)], capture_output=True, text=True,
                       timeout=600, env=env, cwd=str(work))
    assert r.returncode == 0, r.stderr[-4000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["work"] = work
    return out


def _ok(result: dict) -> dict:
    assert "error" not in result, result.get("traceback", result)
    return result


# --- TensorFlow reads and restores what we write -------------------------------------------------------------

@needs_tf
def test_tf_reads_every_dtype_we_write_single_and_sharded(oracle):
    r = _ok(oracle["every_dtype"])
    shards = r.pop("shards")
    assert shards > 1
    assert len(r) == 2 * 28  # 20 numeric dtypes, 5 quantized, strings (matrix, scalar), empty
    for name, got in r.items():
        assert got["equal"], name
        assert got["tf_dtype"] == name.split("@")[0].replace("scalar_", "").replace("empty", "float32"), name


@needs_tf
def test_tf1_saver_restores_rewritten_checkpoint_with_new_names_and_exact_values(oracle):
    r = _ok(oracle["tf1_restore"])
    assert r["names"] == r["expected_names"] and "new/dense/kernel/Adam" in r["names"]
    assert r["equal"] and all(r["equal"].values()) and len(r["equal"]) == len(r["expected_names"])
    assert r["latest"].endswith("model.ckpt-1")  # the state file we wrote names it


@needs_tf
def test_tf2_checkpoint_restore_assert_consumed_after_rename(oracle):
    r = _ok(oracle["tf2_restore"])
    assert r["original_assert_consumed"] != "ok"  # without the rewrite, TF would not restore it
    assert r["assert_consumed"] == "ok"
    assert r["equal"] == [True] * 6


@needs_tf
def test_keras_model_with_renumbered_layers_restores_through_tf_train_checkpoint(oracle):
    r = _ok(oracle["keras_renumbered"])
    assert r["original_assert_consumed"] != "ok"
    assert r["complete"] and r["rules"]
    assert r["assert_consumed"] == "ok"
    assert r["equal"] == [True] * 4 and r["n_weights"] == [4, 4]
    assert r["weights_h5_equal"] == [True] * 4  # our Keras 3 .weights.h5 loads with model.load_weights


@needs_tf
def test_seed_fix_end_to_end_align_rewrite_then_unmodified_saver(oracle):
    r = _ok(oracle["seed_fix"])
    assert r["cli_exit"] == 0, r["cli_stderr"]
    assert "model_scope/weight -> different_model_scope/weight" in r["cli_stdout"]
    assert r["restored"] == r["expected"]


@needs_tf
def test_round_trip_tf_safetensors_npz_torch_tf_is_bit_exact(oracle):
    r = _ok(oracle["round_trip"])
    assert len(r["equal"]) == 9 and all(r["equal"].values())
    assert r["names"] == sorted(r["equal"])


# --- byte identity with TensorFlow's own writer -----------------------------------------------------------------

def _same_files(tf_prefix: str, out: str) -> None:
    for suffix in (".index", ".data-00000-of-00001"):
        ours, theirs = Path(out + suffix).read_bytes(), Path(tf_prefix + suffix).read_bytes()
        assert ours == theirs, f"{suffix}: {len(ours)} vs {len(theirs)} bytes"


@needs_tf
def test_byte_identical_multi_block_index(oracle, tmp_path):
    prefix = str(oracle["work"] / "tf" / "many" / "many")
    blocks = _data_blocks(prefix + ".index")
    assert blocks > 1 and os.path.getsize(prefix + ".index") > 262144
    rewrite(prefix, None, str(tmp_path / "many"))
    _same_files(prefix, str(tmp_path / "many"))


@needs_tf
def test_byte_identical_every_dtype_strings_scalars_empty(oracle, tmp_path):
    prefix = str(oracle["work"] / "tf" / "dtypes" / "raw")
    assert open_checkpoint(prefix)["raw/string"].dtype == "string"
    rewrite(prefix, None, str(tmp_path / "raw"))
    _same_files(prefix, str(tmp_path / "raw"))


@needs_tf
def test_byte_identical_tf2_checkpoint_with_object_graph(oracle, tmp_path):
    prefix = str(oracle["work"] / "tf" / "tf2" / "module-1")
    rewrite(prefix, None, str(tmp_path / "module-1"))
    _same_files(prefix, str(tmp_path / "module-1"))


@needs_tf
def test_byte_identical_tf1_saver_checkpoint(oracle, tmp_path):
    prefix = str(oracle["work"] / "tf1" / "model.ckpt-1")
    rewrite(prefix, None, str(tmp_path / "model.ckpt-1"))
    _same_files(prefix, str(tmp_path / "model.ckpt-1"))


def _data_blocks(index: str) -> int:
    data = Path(index).read_bytes()
    footer = data[-48:]
    from ckpt_doctor.formats._wire import varint

    _, pos = varint(footer, 0)
    _, pos = varint(footer, pos)
    off, pos = varint(footer, pos)
    size, _ = varint(footer, pos)
    block = data[off:off + size]
    return int.from_bytes(block[-4:], "little")  # the index block restarts at every entry: restarts = entries


def test_seed_checkpoint_copy_is_byte_identical(tmp_path):
    rewrite(str(SEED), None, str(tmp_path))  # a directory: the input's name is kept
    _same_files(str(SEED / "model.ckpt-1"), str(tmp_path / "model.ckpt-1"))
    assert (tmp_path / "checkpoint").read_text() == 'model_checkpoint_path: "model.ckpt-1"\n' \
                                                    'all_model_checkpoint_paths: "model.ckpt-1"\n'


def test_object_graph_reencodes_to_the_same_bytes_and_renames_consistently(tmp_path):
    prefix = CORPUS / "tf-keras" / "lso_ckpt_tf2.2" / "ckpt"
    if not prefix.with_suffix(".index").exists():
        pytest.skip("corpus not available")
    ckpt = open_checkpoint(str(prefix))
    blob = bytes(ckpt["_CHECKPOINTABLE_OBJECT_GRAPH"].read().reshape(-1)[0])
    assert _object_graph.encode(_object_graph.parse(blob)) == blob
    out = rewrite(ckpt, Rules([Prefix("layer_with_weights-0/", "dense/")]), str(tmp_path / "ckpt"))
    assert out.written.files[-1].endswith("checkpoint")
    again = open_checkpoint(str(tmp_path / "ckpt"))
    kernel = again["dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    assert kernel.object_path == "dense/kernel" and kernel.aliases == ("dense/kernel",)  # stale layer-0 alias gone
    slot = again["dense/kernel/.OPTIMIZER_SLOT/optimizer/base_optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE"]
    assert slot.kind == "slot" and slot.slot_of == "dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"
    np.testing.assert_array_equal(kernel.read(), ckpt["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"].read())


# --- other formats, with their own libraries as oracles ---------------------------------------------------------

def _values() -> dict:
    import ml_dtypes

    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32), "b/x": np.arange(5, dtype=np.int64),
            "h": np.array([0.5, -2.0], np.float16), "d": rng.standard_normal(2), "m": np.array([True, False]),
            "i8": np.array([-128, 127], np.int8), "u8": np.array([0, 255], np.uint8), "s": np.array(2.5, np.float32),
            "e": np.zeros((0, 2), np.float32), "i32": np.array([[1, -2]], np.int32), "i16": np.array([7], np.int16),
            "bf": np.array([1.5, -3.0], ml_dtypes.bfloat16)}


def test_safetensors_byte_identical_to_the_library_and_loadable(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    values = {k: v for k, v in _values().items() if k != "bf"}
    save_file(values, str(tmp_path / "lib.safetensors"), metadata={"format": "pt"})  # as save_pretrained
    write_checkpoint(values, str(tmp_path / "ours.safetensors"), "safetensors")
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "lib.safetensors").read_bytes()
    with safetensors.safe_open(str(tmp_path / "ours.safetensors"), "np") as f:
        assert sorted(f.keys()) == sorted(values)
        for k, v in values.items():
            assert f.get_tensor(k).tobytes() == np.ascontiguousarray(v).tobytes() and f.get_tensor(k).dtype == v.dtype


def test_safetensors_byte_identical_with_bfloat16_via_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    values = _values()
    tensors = {k: torch.from_numpy(v.view(np.int16)).view(torch.bfloat16) if k == "bf" else torch.from_numpy(v)
               for k, v in values.items()}
    save_file(tensors, str(tmp_path / "lib.safetensors"), metadata={"format": "pt"})
    write_checkpoint(values, str(tmp_path / "ours.safetensors"), "safetensors")
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "lib.safetensors").read_bytes()


def test_torch_load_weights_only_and_load_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    values = _values()
    write_checkpoint(values, str(tmp_path / "sd.pt"), "torch")
    loaded = torch.load(str(tmp_path / "sd.pt"), weights_only=True)
    assert sorted(loaded) == sorted(values)
    for k, v in values.items():
        t = loaded[k]
        raw = t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
        assert tuple(t.shape) == v.shape and raw.tobytes() == np.ascontiguousarray(v).tobytes(), k
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    sd = {k: v.detach().numpy() + 1 for k, v in model.state_dict().items()}
    write_checkpoint(sd, str(tmp_path / "model.pt"), "torch")
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    result = fresh.load_state_dict(torch.load(str(tmp_path / "model.pt"), weights_only=True), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for k, v in fresh.state_dict().items():
        assert np.array_equal(v.numpy(), sd[k])


def test_npz_loads_with_numpy_without_pickle(tmp_path):
    values = {k: v for k, v in _values().items() if k != "bf"}
    write_checkpoint(values, str(tmp_path / "a.npz"), "npz")
    with np.load(str(tmp_path / "a.npz"), allow_pickle=False) as f:
        assert sorted(f.files) == sorted(values)
        for k, v in values.items():
            assert f[k].dtype == v.dtype and f[k].tobytes() == np.ascontiguousarray(v).tobytes()


def test_keras3_weights_readable_by_h5py(tmp_path):
    h5py = pytest.importorskip("h5py")
    values = {"layers/dense/vars/0": np.ones((2, 3), np.float32), "layers/dense/vars/1": np.zeros(3, np.float32),
              "optimizer/vars/0": np.array(4, np.int64), "layers/dense_1/vars/0": _values()["bf"]}
    write_checkpoint(values, str(tmp_path / "m.weights.h5"), "keras3")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert f["layers/dense/vars/0"][()].tolist() == [[1.0] * 3] * 2
        assert f["layers/dense_1/vars/0"].attrs["dtype"] == "bfloat16"
    assert open_checkpoint(str(tmp_path / "m.weights.h5"))["layers/dense_1/vars/0"].dtype == "bfloat16"


# --- rules, transforms and safety ---------------------------------------------------------------------------

def _bundle(tmp_path, values=None) -> str:
    prefix = str(tmp_path / "in" / "model.ckpt-1")
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    write_checkpoint(values or {"a/kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
                                "a/bias": np.ones(3, np.float32), "opt/step": np.array(3, np.int64)}, prefix)
    return prefix


def test_drop_rename_transpose_and_cast(tmp_path):
    prefix = _bundle(tmp_path)
    rules = Rules([Drop("^opt/"), Prefix("a/", "fc."), Rename("fc.kernel", "fc.weight"),
                   Transform("kernel$", "transpose", 2)])
    out = rewrite(prefix, rules, str(tmp_path / "w.safetensors"), to="safetensors")
    assert out.dropped == ["opt/step"]
    got = open_checkpoint(str(tmp_path / "w.safetensors"))
    assert sorted(got) == ["fc.bias", "fc.weight"]
    assert got["fc.weight"].read().tolist() == [[0, 3], [1, 4], [2, 5]]
    assert apply_transform("squeeze", np.zeros((1, 3, 1))).shape == (3,)
    assert apply_transform("squeeze(0)", np.zeros((1, 3, 1))).shape == (3, 1)
    assert apply_transform("reshape(3,-1)", np.zeros((1, 6))).shape == (3, 2)
    assert apply_transform("permute(2,0,1)", np.zeros((1, 2, 3))).shape == (3, 1, 2)
    assert apply_transform("cast(float16)", np.ones(2, np.float32)).dtype == np.float16


def test_collision_and_empty_name_rejected_before_anything_is_written(tmp_path):
    prefix = _bundle(tmp_path)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(RuleError, match="map both"):
        rewrite(prefix, Rules([Rename("a/bias", "a/kernel")]), str(tmp_path / "o"))
    with pytest.raises(RuleError, match="empty name"):
        rewrite(prefix, Rules([Rename("a/bias", "")]), str(tmp_path / "o"))
    assert sorted(os.listdir(tmp_path)) == before


def test_never_over_the_input_and_existing_output_needs_force(tmp_path):
    prefix = _bundle(tmp_path)
    original = Path(prefix + ".index").read_bytes()
    for force in (False, True):
        with pytest.raises(ckpt_doctor.CheckpointError, match="input"):
            rewrite(prefix, Rules([Prefix("a/", "b/")]), prefix, overwrite=force)
    assert Path(prefix + ".index").read_bytes() == original
    out = str(tmp_path / "out.safetensors")
    rewrite(prefix, None, out, to="safetensors")
    with pytest.raises(ckpt_doctor.CheckpointError, match="exists"):
        rewrite(prefix, None, out, to="safetensors")
    rewrite(prefix, Rules([Prefix("a/", "b/")]), out, to="safetensors", overwrite=True)
    assert "b/kernel" in open_checkpoint(out)


def test_failed_write_or_failed_read_back_leaves_nothing(tmp_path, monkeypatch):
    prefix = _bundle(tmp_path)
    bad = {"x": np.ones(2, np.float32)}

    class Boom(Exception):
        pass

    def explode():
        raise Boom()

    from ckpt_doctor.formats._writing import Tensor

    os.makedirs(tmp_path / "out")
    with pytest.raises(Boom):
        write_checkpoint([Tensor("x", "float32", (2,), lambda: bad["x"]), Tensor("y", "float32", (2,), explode)],
                         str(tmp_path / "out" / "m"), "tf")
    assert os.listdir(tmp_path / "out") == []
    import ckpt_doctor.formats.write as w

    with monkeypatch.context() as m:  # the bytes on disk are not what was meant (e.g. a failing disk)
        m.setattr(w, "_file_crc", lambda path, offset, size: 12345)
        for out, fmt in (("m", "tf"), ("m.safetensors", "safetensors")):
            with pytest.raises(ckpt_doctor.CheckpointError, match="differ"):
                rewrite(prefix, None, str(tmp_path / "out" / out), to=fmt)
    assert os.listdir(tmp_path / "out") == []
    real = w.checksum
    calls = []

    def lying(value):  # the read-back sees a different value than was written
        calls.append(1)
        return real(value) + (1 if len(calls) > 3 else 0)

    monkeypatch.setattr(w, "checksum", lying)
    with pytest.raises(ckpt_doctor.CheckpointError, match="differs"):
        rewrite(prefix, None, str(tmp_path / "out" / "m.npz"), to="npz")
    assert os.listdir(tmp_path / "out") == []


def test_cli_dry_run_prints_table_and_writes_nothing(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text('rules:\n  - prefix: {from: "model_scope/", to: "new/"}\n  - drop: "bias$"\n')
    out = tmp_path / "o" / "m"
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "rewrite", str(SEED), "--rules", str(rules), "-o",
                        str(out), "--dry-run"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(HERE.parent / "src")))
    assert r.returncode == 0, r.stderr
    assert "model_scope/weight -> new/weight" in r.stdout and "model_scope/bias -> (dropped)" in r.stdout
    assert not (tmp_path / "o").exists()


def test_cli_rewrite_converts_and_refuses_existing(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    cmd = [sys.executable, "-m", "ckpt_doctor", "rewrite", str(SEED), "-o", str(tmp_path / "m.npz"), "--to", "npz"]
    assert subprocess.run(cmd, capture_output=True, text=True, env=env).returncode == 0
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert again.returncode == 2 and "exists" in again.stderr  # a usage error: choose another OUT or --force
    assert subprocess.run(cmd + ["--force"], capture_output=True, text=True, env=env).returncode == 0
    with np.load(tmp_path / "m.npz") as f:
        assert sorted(f.files) == ["model_scope/bias", "model_scope/weight"]


def test_name_based_output_from_object_based_checkpoint(tmp_path):
    prefix = CORPUS / "tf-keras" / "lso_ckpt_tf2.2" / "ckpt"
    if not prefix.with_suffix(".index").exists():
        pytest.skip("corpus not available")
    out = rewrite(str(prefix), None, str(tmp_path / "named"), namespace="full_name")
    names = set(open_checkpoint(str(tmp_path / "named")))
    assert "sequential/dense/kernel" in names and "_CHECKPOINTABLE_OBJECT_GRAPH" not in names
    assert any("name-based" in n for n in out.notes)


def test_corrupt_input_is_caught_even_when_bytes_are_copied_without_reading(tmp_path):
    prefix = _bundle(tmp_path)
    data = Path(prefix + ".data-00000-of-00001")
    raw = bytearray(data.read_bytes())
    raw[5] ^= 0xFF  # inside a/kernel
    data.write_bytes(bytes(raw))
    os.makedirs(tmp_path / "out")
    with pytest.raises(ckpt_doctor.ChecksumError, match="CRC32C") as e:  # the input's damage, named in the input
        rewrite(prefix, Rules([Prefix("a/", "b/")]), str(tmp_path / "out" / "m"))
    assert e.value.path == str(data) and e.value.exit_code == 2
    assert os.listdir(tmp_path / "out") == []
    with pytest.raises(ckpt_doctor.ChecksumError):  # converting reads the values: the reader's CRC check fires
        rewrite(prefix, None, str(tmp_path / "out" / "m.npz"), to="npz")
    assert os.listdir(tmp_path / "out") == []


def test_progress_bar_strings_refused_by_formats_without_them(tmp_path, capsys):
    prefix = _bundle(tmp_path, {"s": np.array([b"a", b"bc"], dtype=object), "x": np.ones(3, np.float32)})
    out = rewrite(prefix, None, str(tmp_path / "new" / "dir" / "m"), progress=True)  # directories are created
    assert [m.name for m in out.moves] == ["s", "x"] and open_checkpoint(out.out)["s"].read().tolist() == [b"a", b"bc"]
    for fmt in ("safetensors", "torch", "npz"):
        with pytest.raises(ckpt_doctor.UnsupportedError, match="string"):
            rewrite(prefix, None, str(tmp_path / f"o.{fmt}"), to=fmt)
    assert sorted(os.listdir(tmp_path)) == ["in", "new"]


def _graph() -> bytes:
    N = _object_graph.Node
    key = "{}/.ATTRIBUTES/VARIABLE_VALUE".format
    nodes = [N(children=[(1, "model"), (5, "save_counter")]), N(children=[(2, "dense"), (6, "dropout")]),
             N(children=[(3, "kernel"), (4, "bias")]),
             N(attributes=[("VARIABLE_VALUE", "d/k", key("model/dense/kernel"))]),
             N(attributes=[("VARIABLE_VALUE", "d/b", key("model/dense/bias"))]),
             N(attributes=[("VARIABLE_VALUE", "", key("save_counter"))]), N()]
    return _object_graph.encode(nodes)


def _paths(blob: bytes) -> dict[str, str]:
    nodes = _object_graph.parse(blob)
    _, paths, _ = _object_graph._tree(nodes)
    return {key: "/".join(paths[i]) for i, n in enumerate(nodes) for _, _, key in n.attributes}


@pytest.mark.parametrize("old, new", [("model/", ""), ("model/", "outer/model/"), ("model/dense/", "model/fc/"),
                                      ("model/dense/", "model/dropout/"), ("model/dense/kernel", "model/w")])
def test_object_graph_scope_removed_added_renamed_moved(old, new):
    blob = _graph()
    keys = [k for k in _paths(blob)]
    renamed = {k: new + k[len(old):] if k.startswith(old) else k for k in keys}
    paths = _paths(_object_graph.rename(blob, renamed))
    assert paths == {renamed[k]: renamed[k].split("/.ATTRIBUTES/")[0] for k in keys}
    assert _object_graph.rename(blob, {k: k for k in keys}) == blob


def test_object_graph_refuses_what_it_cannot_express():
    blob = _graph()
    with pytest.raises(_object_graph.GraphRenameError):
        _object_graph.rename(blob, {"model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE": "plain_name"})
    dropped = _paths(_object_graph.rename(blob, {"model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE": None}))
    assert sorted(dropped) == ["model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE",
                               "save_counter/.ATTRIBUTES/VARIABLE_VALUE"]


def test_object_graph_that_cannot_follow_the_rules_is_refused_before_writing(tmp_path):
    graph = np.empty((), dtype=object)
    graph[()] = _graph()
    key = "{}/.ATTRIBUTES/VARIABLE_VALUE".format
    prefix = _bundle(tmp_path, {"_CHECKPOINTABLE_OBJECT_GRAPH": graph, key("model/dense/kernel"): np.ones(2),
                                key("model/dense/bias"): np.zeros(2), key("save_counter"): np.array(1, np.int64)})
    assert open_checkpoint(prefix)[key("model/dense/kernel")].object_path == "model/dense/kernel"
    with pytest.raises(RuleError, match="object graph"):
        rewrite(prefix, Rules([Rename("model/dense/kernel", "model/dense")]), str(tmp_path / "out" / "m"))
    assert not (tmp_path / "out").exists()
    named = rewrite(prefix, Rules([Rename("model/dense/kernel", "model/dense")]), str(tmp_path / "out" / "m"),
                    name_based=True)
    assert sorted(open_checkpoint(named.out)) == [key("model/dense"), key("model/dense/bias"), key("save_counter")]


def test_write_checkpoint_takes_a_catalog_and_reports_checksums(tmp_path):
    from ckpt_doctor.formats._writing import checksum

    catalog = open_checkpoint(str(SEED))
    result = write_checkpoint(catalog, str(tmp_path / "seed.npz"), "npz")
    assert result.files == [str(tmp_path / "seed.npz")] and result.tensors == 2
    assert result.checksums == {name: checksum(info.read()) for name, info in catalog.items()}
    with np.load(tmp_path / "seed.npz") as f:
        assert f["model_scope/weight"].tolist() == [[0.5], [-1.25]]


@pytest.mark.parametrize("name,fmt", [("out.safetensors", "safetensors"), ("out.npz", "npz"), ("out.pt", "torch"),
                                      ("model.ckpt-1", "tf")])
def test_output_suffix_names_the_format_when_none_is_asked(tmp_path, name, fmt):
    result = rewrite(str(SEED), None, tmp_path / name)
    assert open_checkpoint(str(tmp_path / name)).format == {"tf": "tf-v2", "npz": "numpy"}.get(fmt, fmt)
    assert result.format == fmt and result.written is not None and result.written.files


def test_output_suffix_contradicting_the_asked_format_is_a_usage_error(tmp_path, capsys):
    from ckpt_doctor.cli import main

    assert main(["rewrite", str(SEED), "-o", str(tmp_path / "out.npz"), "--to", "tf"]) == 2
    assert "named like a npz file, but tf was asked for" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_writer_errors_name_the_output_not_a_temporary_file(tmp_path):
    with pytest.raises(ckpt_doctor.CheckpointError) as e:
        rewrite(str(SEED), None, tmp_path / "m.weights.h5")
    assert e.value.path == str(tmp_path / "m.weights.h5") and list(tmp_path.iterdir()) == []


def test_a_tf_prefix_named_checkpoint_is_refused_and_the_state_file_kept(tmp_path):
    # TF's savers keep their list of checkpoints in `<dir>/checkpoint`: a prefix so named would replace that list
    first = tmp_path / "ckpt-1"
    write_checkpoint({"w": np.ones(2, np.float32)}, str(first))
    state = (tmp_path / "checkpoint").read_bytes()
    for overwrite in (False, True):
        with pytest.raises(ckpt_doctor.UsageError, match="state file"):
            rewrite(open_checkpoint(str(first)), Rules(), str(tmp_path / "checkpoint"), overwrite=overwrite)
    assert (tmp_path / "checkpoint").read_bytes() == state
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.data-00000-of-00001", "ckpt-1.index"]
