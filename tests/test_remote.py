"""Checkpoints in object storage, against a real S3-compatible server (moto, server mode) started on localhost.

Bytes and requests are counted from the S3 responses themselves (botocore's after-call events on the s3fs client:
each GetObject's Content-Length), not from ckpt-doctor's own bookkeeping. Listing must fetch < 1 % of a
multi-MB sharded checkpoint; values read by URL must equal those read from the local copy.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from ckpt_doctor import open_checkpoint, verify
from ckpt_doctor.cli import main

s3fs = pytest.importorskip("s3fs")
pytest.importorskip("moto")

BUCKET = "ckpts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on a free localhost port, an s3fs filesystem on it, and response counters."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("moto server exited at start")
                time.sleep(0.1)
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ENDPOINT_URL": endpoint}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem()
        fs.mkdir(BUCKET)
        counter = {"requests": 0, "bytes": 0}

        def count(http_response=None, parsed=None, model=None, **_):
            counter["requests"] += 1
            counter.setdefault("ops", []).append(model.name if model is not None else "?")
            if model is not None and model.name == "GetObject" and isinstance(parsed, dict):
                counter["bytes"] += int(parsed.get("ContentLength") or 0)

        fs.connect()
        fs.s3.meta.events.register("after-call.s3", count)
        yield fs, counter, tmp_path_factory.mktemp("s3data")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        s3fs.S3FileSystem.clear_instance_cache()


def _upload(fs, local_dir, key):
    for name in sorted(os.listdir(local_dir)):
        fs.put_file(os.path.join(local_dir, name), f"{BUCKET}/{key}/{name}")
    fs.invalidate_cache()
    return sum(os.path.getsize(os.path.join(local_dir, n)) for n in os.listdir(local_dir))


def _same_values(local, remote):
    assert list(local) == list(remote)
    for name in local:
        a, b = np.asarray(local[name].read()), np.asarray(remote[name].read())
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert (a.tolist() == b.tolist()) if a.dtype == object else a.tobytes() == b.tobytes(), name


def _listing_cost(counter, url):
    counter.update(requests=0, bytes=0)
    catalog = open_checkpoint(url)
    return catalog, dict(counter)


def test_sharded_safetensors_listing_fetches_under_one_percent(s3):
    from safetensors.numpy import save_file

    fs, counter, tmp = s3
    local = tmp / "st"
    local.mkdir()
    rng = np.random.default_rng(0)
    weight_map = {}
    for shard in range(4):  # 4 shards x 4 MiB, 32 tensors each
        name = f"model-{shard + 1:05d}-of-00004.safetensors"
        tensors = {f"layers.{shard}.{i}.weight": rng.standard_normal((256, 256)).astype(np.float16) for i in range(32)}
        save_file(tensors, str(local / name), metadata={"format": "np"})
        weight_map.update(dict.fromkeys(tensors, name))
    import json

    (local / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    total = _upload(fs, local, "st")
    catalog, cost = _listing_cost(counter, f"s3://{BUCKET}/st")
    assert len(catalog) == 128 and catalog.format == "safetensors"
    assert cost["bytes"] < 0.01 * total, (cost, total)
    assert cost["requests"] <= 12, cost  # list, index, one batch of shard heads
    print(f"\nsafetensors: listing fetched {cost['bytes']} of {total} bytes ({100 * cost['bytes'] / total:.3f} %) "
          f"in {cost['requests']} requests")
    _same_values(open_checkpoint(local / "model.safetensors.index.json"), catalog)


@pytest.fixture(scope="module")
def tf_sharded(tmp_path_factory):
    """A sharded TF2 checkpoint written by real TensorFlow (in a subprocess: TF never enters this process)."""
    out = tmp_path_factory.mktemp("tf_sharded")
    code = r"""
import sys, numpy as np, tensorflow as tf
rng = np.random.default_rng(1)
vs = {f"v{i}": tf.Variable(rng.standard_normal((256, 256)).astype(np.float32)) for i in range(24)}
ckpt = tf.train.Checkpoint(**vs)
policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=1 << 20)
ckpt.write(sys.argv[1] + "/ckpt", options=tf.train.CheckpointOptions(experimental_sharding_callback=policy))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode != 0:
        pytest.fail(f"TensorFlow could not write the checkpoint:\n{proc.stderr[-3000:]}", pytrace=False)
    return out


def test_sharded_tf_bundle_listing_and_verify(s3, tf_sharded):
    fs, counter, _ = s3
    shards = [n for n in os.listdir(tf_sharded) if ".data-" in n]
    assert len(shards) > 4  # really sharded
    total = _upload(fs, tf_sharded, "tf")
    catalog, cost = _listing_cost(counter, f"s3://{BUCKET}/tf/ckpt")
    assert catalog.format == "tf-v2" and len(catalog.variables()) == 24
    assert cost["bytes"] < 0.01 * total, (cost, total)
    print(f"\nTF bundle: listing fetched {cost['bytes']} of {total} bytes ({100 * cost['bytes'] / total:.3f} %) "
          f"in {cost['requests']} requests")
    counter.update(requests=0, bytes=0)
    report = verify(catalog, jobs=2)
    assert report.ok and report.bytes_checked == sum(t.nbytes for t in catalog.values())
    # Small neighbouring tensors share block requests; a file's first small read is fetched exactly (it may be
    # all a listing needs), so a few bytes are fetched twice.
    assert counter["requests"] < len(catalog) and counter["bytes"] < 1.5 * total
    print(f"TF bundle: verify with 2 threads fetched {counter['bytes']} bytes in {counter['requests']} requests for "
          f"{len(catalog)} tensors")
    _same_values(open_checkpoint(str(tf_sharded / "ckpt")), catalog)


def test_damage_in_the_bucket_is_named(s3, tf_sharded, capsys):
    fs, counter, _ = s3
    _upload(fs, tf_sharded, "tf-bad")
    catalog = open_checkpoint(str(tf_sharded / "ckpt"))
    victim = catalog["v7/.ATTRIBUTES/VARIABLE_VALUE"]
    key = f"{BUCKET}/tf-bad/{victim.location}"
    data = bytearray(fs.cat_file(key))
    data[len(data) // 2] ^= 0x40
    fs.pipe_file(key, bytes(data))
    fs.invalidate_cache()
    code = main(["verify", f"s3://{BUCKET}/tf-bad/ckpt"])
    out = capsys.readouterr().out
    assert code == 1 and "CORRUPT" in out and victim.location in out


def test_missing_object_and_bad_url(s3):
    from ckpt_doctor.errors import CheckpointNotFoundError

    with pytest.raises(CheckpointNotFoundError):
        open_checkpoint(f"s3://{BUCKET}/nothing-here")
