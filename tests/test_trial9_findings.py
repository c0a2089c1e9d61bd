"""What a ninth new user ran into with Hugging Face layouts, remote storage, large checkpoints and wrong input, fixed
outside match/; each test fails on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial9-match-findings.py), not fixed here.

transformers' `save_pretrained` writes the sharded sets in tests/trial9_oracle.py (one subprocess for the module);
their values, as torch saw them, come back as an .npz.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from oracle_run import run_oracle

import ckpt_doctor
from ckpt_doctor.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, list[str], dict]:
    out = tmp_path_factory.mktemp("trial9")
    run_oracle("trial9_oracle.py", "write", str(out))
    keys = json.loads((out / "keys.json").read_text())
    with np.load(out / "values.npz") as values:
        return out, keys, {k: values[k] for k in values.files}


def _error(capsys, argv: list[str], code: int) -> str:
    assert main(argv) == code, argv
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def _json(capsys, argv: list[str], code: int = 0) -> dict:
    assert main([*argv, "--json"]) == code, argv
    return json.loads(capsys.readouterr().out)


def test_a_sharded_pytorch_set_is_read_from_its_index_or_its_directory(saved, capsys):
    """Before: `inspect` on transformers' `save_pretrained(..., safe_serialization=False)` of a sharded model said of
    `pytorch_model.bin.index.json` "not a checkpoint format ckpt-doctor recognises", and of its directory "this
    directory holds several checkpoints; name one" with the six shards; only one shard at a time could be read. Now
    the index (named, or found in the directory) opens the whole set: every key in the state dict's order (which
    the by-position matching of torch files relies on), every value as torch saved it."""
    out, keys, values = saved
    for path in (out / "bin_sharded", out / "bin_sharded" / "pytorch_model.bin.index.json"):
        ckpt = ckpt_doctor.open_checkpoint(path)
        assert ckpt.format == "torch" and list(ckpt) == keys
        assert all(np.array_equal(ckpt[k].read(), values[k]) for k in keys)
        assert [t["name"] for t in _json(capsys, ["inspect", str(path)])["tensors"]] == keys
    single = ckpt_doctor.open_checkpoint(out / "bin")  # one pytorch_model.bin: the same keys, the same order
    assert list(single) == keys


def test_verify_of_a_sharded_pytorch_set_checks_every_shard_and_names_what_a_lost_one_holds(saved, tmp_path,
                                                                                           capsys):
    """A set whose shards are torch.save zips: verify checks each shard's CRC-32s (a damaged member names its
    tensor and its shard) and names the tensors of a deleted shard, from the index."""
    out, keys, _ = saved
    doc = _json(capsys, ["verify", str(out / "bin_sharded")])
    assert doc["ok"] and doc["tensors_checked"] == len(keys) and "CRC-32 of every zip member" in doc["checked"]
    damaged = tmp_path / "damaged"
    shutil.copytree(out / "bin_sharded", damaged)
    index = json.loads((damaged / "pytorch_model.bin.index.json").read_text())["weight_map"]
    shards = sorted(set(index.values()))
    (damaged / shards[-1]).unlink()
    flipped = damaged / shards[1]
    with zipfile.ZipFile(flipped) as z:
        member = next(i for i in z.infolist() if "/data/" in i.filename)
    raw = bytearray(flipped.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[member.header_offset + 26:member.header_offset + 30])
    raw[member.header_offset + 30 + name_len + extra_len] ^= 0xFF
    flipped.write_bytes(bytes(raw))
    doc = _json(capsys, ["verify", str(damaged)], 1)
    kinds = {p["kind"]: p for p in doc["problems"]}
    assert set(kinds) == {"missing shard", "bad tensor checksum"}, doc["problems"]
    assert sorted(kinds["missing shard"]["tensors"]) == sorted(k for k, s in index.items() if s == shards[-1])
    assert kinds["bad tensor checksum"]["file"].endswith(shards[1]) and kinds["bad tensor checksum"]["tensor"]


def test_one_shard_opened_alone_names_the_index_beside_it(saved, capsys):
    """Before: `diagnose` of one shard (`model-00002-of-00006.safetensors`, a hub snapshot's file) said most of the
    model's variables would keep their initial values, and nothing said that the file is one sixth of a set whose
    index is beside it. Now a note says so, with the index to name instead (safetensors and PyTorch shards)."""
    out, keys, _ = saved
    for directory, index in (("st_sharded", "model.safetensors.index.json"),
                             ("bin_sharded", "pytorch_model.bin.index.json")):
        weight_map = json.loads((out / directory / index).read_text())["weight_map"]
        shard = sorted(set(weight_map.values()))[1]
        ckpt = ckpt_doctor.open_checkpoint(out / directory / shard)
        assert ckpt.notes[0] == (f"one shard (2 of 6) of the sharded checkpoint {index} beside it: {len(ckpt)} of "
                                 f"its {len(keys)} tensors; name {index} or the directory for them all"), ckpt.notes
        assert index in " ".join(_json(capsys, ["inspect", str(out / directory / shard)])["notes"])


def test_a_file_url_is_the_local_path_it_names(saved, capsys):
    """Before: `inspect file:///abs/model.safetensors` (fsspec's spelling of a local file, which the README's "any
    fsspec URL" covers) said "no such checkpoint (directory file:///abs does not exist either)". Now it is the local
    file, as fsspec reads it."""
    out, keys, _ = saved
    url = f"file://{out / 'st_sharded'}"
    assert list(ckpt_doctor.open_checkpoint(url)) == sorted(keys)
    assert main(["verify", f"file://{out / 'bin' / 'pytorch_model.bin'}"]) == 0
    assert "OK: " in capsys.readouterr().out


def test_an_output_url_is_refused_not_written_as_a_relative_directory(saved, tmp_path, monkeypatch, capsys):
    """Before: `rewrite CKPT -o s3://bucket/out/x.safetensors` said "wrote 39 tensors ... to s3://bucket/out/..."
    and had written a directory `s3:` in the working directory (the URL read as a relative path); so did
    `verify --manifest s3://...` and `--salvage memory://...`. Now an output URL is refused before anything is read
    or written (outputs are written, read back and renamed on a local disk); a `file://` URL is its local path."""
    out, keys, _ = saved
    monkeypatch.chdir(tmp_path)
    ckpt = str(out / "bin")
    for argv in (["rewrite", ckpt, "-o", "s3://bucket/out/x.safetensors"], ["rewrite", ckpt, "-o", "memory://b/out/"],
                 ["verify", ckpt, "--manifest", "s3://bucket/m.json"],
                 ["verify", ckpt, "--salvage", "memory://b/s.safetensors"]):
        assert "outputs are written to a local path, not a URL" in _error(capsys, argv, 2)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ckpt_doctor.UsageError):
        ckpt_doctor.write_checkpoint({"w": np.ones(2, np.float32)}, "gs://bucket/w.safetensors", "safetensors")
    written = ckpt_doctor.write_checkpoint({"w": np.ones(2, np.float32)}, f"file://{tmp_path / 'w.safetensors'}",
                                           "safetensors")
    local = tmp_path / "w.safetensors"
    assert written.files == [str(local)] and list(tmp_path.iterdir()) == [local]


def test_a_pytorch_file_by_url_is_named_with_what_to_do(saved, capsys):
    """Before: a `.bin` in a bucket was "no checkpoint at this URL" although it is there, a remote directory of
    `.bin` shards "no checkpoint in this directory", and their `pytorch_model.bin.index.json` "not a safetensors
    file, though named like one". Now each says it is a PyTorch file, which this version reads from a local disk."""
    pytest.importorskip("fsspec")
    import fsspec

    out, _, _ = saved
    fs = fsspec.filesystem("memory")
    for f in sorted((out / "bin_sharded").iterdir()):
        fs.pipe(f"/trial9/sharded/{f.name}", f.read_bytes())
    fs.pipe("/trial9/one/pytorch_model.bin", (out / "bin" / "pytorch_model.bin").read_bytes())
    try:
        for url, said in (("memory://trial9/one/pytorch_model.bin", "a PyTorch checkpoint (torch.save) file: "),
                          ("memory://trial9/one", "this directory holds pytorch_model.bin: "),
                          ("memory://trial9/sharded", "this directory holds pytorch_model-00001-of-00006.bin, "),
                          ("memory://trial9/sharded/pytorch_model.bin.index.json",
                           "the index of a sharded PyTorch checkpoint: ")):
            err = _error(capsys, ["inspect", url], 2)
            assert said in err and "over URLs this version reads safetensors files" in err and "local disk" in err, err
    finally:
        fs.rm("/trial9", recursive=True)


def test_subtree_on_a_url_is_a_usage_error_not_an_internal_one(saved, capsys):
    """Before: `inspect s3://.../model.safetensors --subtree model` was "internal error (TypeError: ...); please
    report it", exit 3, where the same on a local file is a usage error naming the option. Now it is that."""
    pytest.importorskip("fsspec")
    import fsspec

    out, _, _ = saved
    fs = fsspec.filesystem("memory")
    fs.pipe("/trial9st/model.safetensors", (out / "st_sharded" / "model-00001-of-00006.safetensors").read_bytes())
    try:
        err = _error(capsys, ["inspect", "memory://trial9st/model.safetensors", "--subtree", "model"], 2)
        assert "option(s) subtree do not apply to this checkpoint" in err, err
    finally:
        fs.rm("/trial9st", recursive=True)


def test_inspect_stats_keeps_memory_near_the_tensor(tmp_path):
    """Before: `inspect --stats` on a 2 GB safetensors file (16 tensors of 128 MiB) peaked at 684 MB: the float64
    copy of each tensor and `std`'s float64 deviations, 4x the tensor beside it. Now the statistics are taken a chunk
    at a time (176 MB peak), equal to numpy's."""
    import tracemalloc

    from ckpt_doctor.report.inspect import tensor_stats

    value = np.random.default_rng(0).normal(size=(2048, 2048)).astype(np.float32)  # 16 MiB
    tracemalloc.start()
    try:
        stats = tensor_stats(value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < value.nbytes // 2, peak
    wide = value.astype(np.float64)
    assert stats == pytest.approx({"min": wide.min(), "max": wide.max(), "mean": wide.mean(), "std": wide.std()},
                                  rel=1e-12)
    assert all(np.isnan(v) for v in tensor_stats(np.array([np.nan, 1.0], np.float32)).values())


def test_a_mistyped_number_is_named_as_one_not_by_a_function_name(saved, tmp_path, capsys):
    """Before: `inspect --depth x` said "invalid _non_negative value: 'x'", `rewrite --max-shard-bytes 1k`
    "invalid _positive value: '1k'" (the names of ckpt-doctor's own functions). Now the message says what was
    expected, and a size takes the units people type (`500MB`, `2GiB`)."""
    out, keys, _ = saved
    for argv, said in ((["inspect", str(out / "bin"), "--depth", "x"], "expected a whole number, not 'x'"),
                       (["verify", str(out / "bin"), "--jobs", "two"], "expected a whole number, not 'two'"),
                       (["rewrite", str(out / "bin"), "-o", f"{tmp_path}/", "--to", "tf", "--max-shard-bytes", "1x"],
                        "expected a size in bytes (500000000, 500MB, 2GiB), not '1x'")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and said in err and "invalid _" not in err, err
    argv = ["rewrite", str(out / "bin"), "-o", f"{tmp_path / 'tf'}/", "--to", "tf", "--max-shard-bytes", "40k"]
    assert main(argv) == 0
    data = sorted(p.name for p in (tmp_path / "tf").iterdir() if ".data-" in p.name)
    assert len(data) == 3 and data[0] == "pytorch_model.data-00000-of-00003", data


def _hub_cache(root: Path, saved_dir: Path, repo: str = "models--org--tiny-bert", revision: str = "0" * 40) -> Path:
    """huggingface_hub's cache layout: blobs by content hash, a snapshot of symbolic links to them, refs/main."""
    import hashlib

    entry = root / repo
    (entry / "blobs").mkdir(parents=True)
    (entry / "refs").mkdir()
    (entry / "refs" / "main").write_text(revision)
    snapshot = entry / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for f in sorted(saved_dir.iterdir()):
        data = f.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        (entry / "blobs" / digest).write_bytes(data)
        (snapshot / f.name).symlink_to(Path("..", "..", "blobs", digest))
    return entry


def test_a_hub_cache_entry_opens_the_snapshot_refs_main_names(saved, tmp_path, capsys):
    """Before: `inspect ~/.cache/huggingface/hub/models--org--name` said "no complete checkpoint in this directory;
    name one in a subdirectory: .../snapshots/<hash>/" (with several revisions, the one listed last by sorting
    hashes), and the hub cache itself "no complete checkpoint in this directory". Now an entry opens the snapshot
    refs/main names, as from_pretrained does, with a note; the cache names its model entries."""
    out, keys, values = saved
    hub = tmp_path / "hub"
    entry = _hub_cache(hub, out / "st_sharded")
    (entry / "snapshots" / ("f" * 40)).mkdir()  # an older revision, sorted last, holding nothing
    ckpt = ckpt_doctor.open_checkpoint(entry)
    assert sorted(ckpt) == sorted(keys) and all(np.array_equal(ckpt[k].read(), values[k]) for k in keys)
    assert ckpt.notes[0].startswith(f"a Hugging Face hub cache entry: opened snapshots/{'0' * 40}, the snapshot "
                                    "refs/main names"), ckpt.notes
    assert main(["verify", str(entry)]) == 0
    capsys.readouterr()
    err = _error(capsys, ["inspect", str(hub)], 2)
    assert f"it is a Hugging Face hub cache: name a model's entry ({entry}/)" in err, err


@pytest.fixture(scope="module")
def saved_tf(tmp_path_factory) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp("trial9tf")
    run_oracle("trial9_oracle.py", "write_tf", str(out), legacy=True)
    with np.load(out / "tf_values.npz") as values, np.load(out / "tf_loaded.npz") as loaded:
        return out, {k: values[k] for k in values.files}, {k: loaded[k] for k in loaded.files}


def test_transformers_sharded_tf_weights_are_read_and_paired_by_name(saved_tf, capsys):
    """Before: `TFBertModel.save_pretrained(..., max_shard_size=...)` (tf_model.h5.index.json and its .h5 shards)
    was "this directory holds several checkpoints; name one" and each shard "layer_names lists
    'bert/embeddings/LayerNorm/beta:0' but there is no such group" (exit 2, as if damaged): transformers' shards list
    their weights, not layers, in layer_names. Now the index opens the set under the names the unsharded tf_model.h5
    uses, one shard alone is read (and names its index), and diagnose pairs them by variable name as
    TFPreTrainedModel.from_pretrained does (all 39 load, as they did into TFBertModel)."""
    out, values, loaded = saved_tf
    assert loaded.keys() == values.keys() and all(np.array_equal(loaded[k], values[k]) for k in values)
    for path in (out / "tf_sharded", out / "tf_sharded" / "tf_model.h5.index.json"):
        ckpt = ckpt_doctor.open_checkpoint(path)
        assert sorted(ckpt) == sorted(values) and all(np.array_equal(ckpt[k].read(), values[k]) for k in values)
    assert sorted(ckpt_doctor.open_checkpoint(out / "tf")) == sorted(values)  # the unsharded file: the same names
    shard = sorted((out / "tf_sharded").glob("tf_model-*.h5"))[1]
    alone = ckpt_doctor.open_checkpoint(shard)
    assert alone and "tf_model.h5.index.json" in alone.notes[0]
    assert main(["verify", str(out / "tf_sharded")]) == 0
    capsys.readouterr()
    doc = _json(capsys, ["diagnose", str(out / "tf_sharded"), "--model", str(out / "tf_spec.json")])
    assert doc["loader"] == "hf-tf" and doc["load_call"].startswith("TFPreTrainedModel.from_pretrained"), doc["loader"]
    assert doc["ok"] and sorted(v["name"] for v in doc["variables"] if v["status"] == "loaded") == sorted(loaded)


def test_latest_on_a_url_says_what_takes_urls(saved, capsys):
    """Before: `latest s3://bucket/run` said "no such directory" of a directory that exists in the bucket, and
    `latest file:///abs/dir` the same of a local one. Now a URL is named as something `latest` does not list (the
    other commands open it), and a file:// URL is its local directory."""
    out, _, _ = saved
    err = _error(capsys, ["latest", "memory://bucket/run"], 2)
    assert "latest looks in a local directory; over URLs, name the directory or checkpoint" in err, err
    assert main(["latest", f"file://{out / 'bin'}"]) == 1  # a local directory without a TF checkpoint: as for its path
    assert "no complete TensorFlow checkpoint" in capsys.readouterr().err


def test_a_transformers_config_as_model_names_the_builder_to_write(saved, capsys):
    """Before: `diagnose DIR --model DIR/config.json` (what a Hugging Face user has beside the weights) said
    "--model names a file that is neither a model spec nor a readable checkpoint: not a checkpoint format
    ckpt-doctor recognises". Now it says the config gives sizes, not variables, and the one-line builder to write."""
    out, _, _ = saved
    err = _error(capsys, ["diagnose", str(out / "bin"), "--model", str(out / "bin" / "config.json")], 2)
    assert "--model names a transformers config (BertModel), which gives the model's sizes, not its variables" in err
    assert f"AutoModel.from_config(AutoConfig.from_pretrained({str(out / 'bin')!r}))" in err, err


def test_verify_says_a_file_changed_while_it_was_read(saved, tmp_path, capsys):
    """Before: verify of a file still being written (a save in progress, a copy not finished) reported what it
    happened to read - "truncated: 15 tensor(s) lie beyond the end of the file" of a 2 GB safetensors file that was
    complete a second later, or OK of bytes that were being replaced - and nothing said the file was moving. Now a
    file whose size or modification time changed between opening and the end of the check is named as such, and
    the verification fails."""
    out, _, _ = saved
    copy = tmp_path / "pytorch_model.bin"
    shutil.copy(out / "bin" / "pytorch_model.bin", copy)
    grown = []

    def writer(tensor, nbytes):  # another process appending while verify reads
        if not grown:
            with open(copy, "ab") as f:
                f.write(b"\0" * 4096)
            grown.append(tensor)

    report = ckpt_doctor.verify(copy, progress=writer)
    assert grown and not report.ok
    assert [(p.kind, p.file) for p in report.problems][0] == ("changed while read", str(copy)), report.problems
    assert "it is being written or replaced" in report.problems[0].message
    assert main(["verify", str(out / "bin")]) == 0  # an unchanged file: no such problem
    assert "OK: " in capsys.readouterr().out


@pytest.fixture
def http_server(saved):
    """A plain HTTP server on localhost over the sharded safetensors set, as `python -m http.server` serves it (it
    ignores byte ranges and sends whole files); paths under /private/ answer 403."""
    pytest.importorskip("aiohttp")
    import functools
    import http.server
    import threading

    out, _, _ = saved

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/private/"):
                self.send_error(403)
                return
            super().do_GET()

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Handler, directory=str(out / "st_sharded")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_ignores_byte_ranges_or_refuses_access_is_named(saved, http_server, capsys):
    """Before: a sharded set served by `python -m http.server` was "the store returned fewer bytes than asked (did the
    object change?)" (it had sent more: the whole file, ignoring the range); a URL the server refuses (HTTP 403) was
    "no such file in the store", and a server that is down too. Now the whole file is cut to the range asked (every
    value as transformers saved it), a 403 says the URL needs credentials, a refused connection says so."""
    out, keys, values = saved
    ckpt = ckpt_doctor.open_checkpoint(f"{http_server}/model.safetensors.index.json")
    assert sorted(ckpt) == sorted(keys) and all(np.array_equal(ckpt[k].read(), values[k]) for k in keys)
    assert main(["verify", f"{http_server}/model.safetensors.index.json"]) == 0
    for shard in sorted((out / "st_sharded").glob("model-*.safetensors")):  # each file by its own URL
        one = ckpt_doctor.open_checkpoint(f"{http_server}/{shard.name}")
        assert one and all(np.array_equal(one[k].read(), values[k]) for k in one)
    capsys.readouterr()
    err = _error(capsys, ["inspect", f"{http_server}/private/model.safetensors"], 1)
    assert "the server refused access (HTTP 403" in err and "needs credentials or a signed URL" in err, err
    err = _error(capsys, ["inspect", "http://127.0.0.1:1/model.safetensors"], 1)
    assert "cannot read from the store: ClientConnectorError" in err, err


def test_files_of_other_model_formats_are_named(saved_tf, tmp_path, capsys):
    """Before: a TensorFlow Lite export, a GGUF file and a Flax `flax_model.msgpack` (all found beside checkpoints in
    Hugging Face repos) were each "not a checkpoint format ckpt-doctor recognises". Now each is named. The TFLite
    file is TensorFlow's; the GGUF and msgpack heads follow their formats' published layouts (their libraries are
    not installed here)."""
    out, _, _ = saved_tf
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))
    flax = tmp_path / "flax_model.msgpack"
    flax.write_bytes(b"\x81\xa4bert\x80")  # {"bert": {}}
    for path, said in ((out / "model.tflite", "a TensorFlow Lite model (an exported flatbuffer)"),
                       (gguf, "a GGUF file (llama.cpp's format for inference)"),
                       (flax, "a Flax msgpack file (flax.serialization)")):
        err = _error(capsys, ["inspect", str(path)], 2)
        assert said in err, err


def test_missing_store_credentials_name_the_way_to_read_a_public_bucket(monkeypatch, capsys):
    """Before: `inspect s3://bucket/model.safetensors` without AWS credentials said "cannot read from the store:
    NoCredentialsError: Unable to locate credentials" and nothing of how to read a public bucket, which s3fs only
    does when asked (anon=True; for the command line, fsspec's FSSPEC_S3_ANON=true). Now the message says it."""
    s3fs = pytest.importorskip("s3fs")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "FSSPEC_S3_ANON",
                "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    for var in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(var, "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup (no network here)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        err = _error(capsys, ["inspect", "s3://some-bucket/model.safetensors"], 1)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    assert "NoCredentialsError" in err and "no credentials for the store were found" in err, err
    assert "FSSPEC_S3_ANON=true" in err, err


def test_align_prints_what_the_checkpoint_says_of_itself(saved, capsys):
    """Before: `align` on one shard of a set printed pairs, ambiguities and "new in the model" for most variables and
    none of the checkpoint's notes - not that the file is one shard of six, which `diagnose` says. Now align prints
    the checkpoint's notes under its headline, as diagnose does."""
    out, _, _ = saved
    shard = sorted((out / "st_sharded").glob("model-*.safetensors"))[1]
    assert main(["align", str(shard), "--model", str(out / "st_sharded")]) in (0, 1)
    text = capsys.readouterr().out
    assert "note: one shard (2 of 6) of the sharded checkpoint model.safetensors.index.json beside it" in text, text


def test_an_output_that_cannot_be_written_is_a_usage_error_naming_it(saved, tmp_path, capsys):
    """Before: `rewrite CKPT -o RO_DIR/x.safetensors` into a directory this user may not write said "cannot write:
    Permission denied (file RO_DIR/.a3b97163.ckpt-doctor-tmp.x.safetensors)", exit 1 (a problem found in the
    checkpoint), naming a temporary file the user never asked for; an output under a file (`-o model.py/x.pt`) was
    "cannot create the output directory: File exists", exit 1. Now both are usage errors (exit 2, as for --manifest
    and spec -o) naming the output, and nothing is left behind."""
    import os
    import stat

    out, _, _ = saved
    if os.geteuid() == 0:  # root writes anywhere chmod forbids; sysfs refuses new files even to root
        readonly = Path("/sys/kernel")
    else:
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(stat.S_IRUSR | stat.S_IXUSR)
    before = set(os.listdir(readonly))
    err = _error(capsys, ["rewrite", str(out / "bin"), "-o", str(readonly / "x.safetensors")], 2)
    assert f"cannot write {readonly / 'x.safetensors'}: " in err and "ckpt-doctor-tmp" not in err, err
    assert set(os.listdir(readonly)) == before
    blocker = tmp_path / "model.py"
    blocker.write_text("")
    err = _error(capsys, ["rewrite", str(out / "bin"), "-o", str(blocker / "x.pt")], 2)
    assert f"cannot create the output directory {blocker}: " in err and "a file of that name is in the way" in err


def test_a_tf1_builder_that_disables_eager_execution_builds_again(tmp_path):
    # trial9 (left by the trial, fixed after): a TF1 builder calling tf.compat.v1.disable_eager_execution() built into
    # the default graph; a second load in the same process (diagnose, then align) found `net/w` already there
    import subprocess
    import sys

    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n\n\ndef build():\n"
        "    tf.compat.v1.placeholder(tf.float32, [None, 4])\n"
        "    with tf.compat.v1.variable_scope('net'):\n        tf.compat.v1.get_variable('w', [4, 2])\n")
    code = ("import ckpt_doctor\nfor _ in range(2):\n"
            "    print([v.name for v in ckpt_doctor.load_model('model.py:build').variables])\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "USE_TF": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["['net/w']", "['net/w']"]


def test_a_model_given_as_a_file_url_is_the_local_path_it_names():
    # trial9 (left by the trial, fixed after): `--model file:///.../model.spec.json` said no such model, where a
    # checkpoint given so is read as the local path (fsspec's spelling of a local file)
    seed = Path(ckpt_doctor.__file__).parent / "examples" / "seed"
    spec = ckpt_doctor.load_model("file://" + str(seed / "changed_model.spec.json"))
    assert len(spec.variables) == 2


def test_a_directory_with_model_safetensors_and_pytorch_model_bin_opens_the_safetensors_file(tmp_path):
    # trial9 (left by the trial, fixed after): save_pretrained both ways leaves both files; the directory was
    # "several checkpoints", where PyTorch's from_pretrained reads model.safetensors
    values = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    ckpt_doctor.write_checkpoint(values, str(tmp_path / "model.safetensors"), "safetensors")
    ckpt_doctor.write_checkpoint(values, str(tmp_path / "pytorch_model.bin"), "torch")
    cat = ckpt_doctor.open_checkpoint(str(tmp_path))
    assert cat.format == "safetensors" and list(cat) == ["w"]
    assert any("pytorch_model.bin beside it too" in n for n in cat.notes)
