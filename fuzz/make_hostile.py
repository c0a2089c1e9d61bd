"""Write the hostile regression corpus tests/data/hostile/: one directory per case plus expected.json.

Two sources: hand-made cases, one per root-cause class found by fuzzing (wrong wire types, sizes trusted before
checking, work growing faster than the input, numeric edge cases, damaged HDF5), and a deterministic sample of
harness cases covering every reader and every error class. The expected outcome of each is what the contract
requires and what the readers give now (run in a child with the fuzz limits); a finding is never recorded as
expected. Run: python fuzz/make_hostile.py
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import struct
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import engine
import harnesses as hz
import mutate as m

OUT = os.path.join(HERE, "..", "tests", "data", "hostile")
MAX_CASE_BYTES = 256 << 10


def _entry(dtype: int, shape: list[int], offset: int, size: int, crc: int) -> list:
    dims = [[2, 2, [[1, 0, d]] if d else b""] for d in shape]
    return [[1, 0, dtype], [2, 2, dims or b""], [4, 0, offset], [5, 0, size], [6, 5, crc]]


def _bundle_records(records: list[tuple[bytes, bytes]], data: bytes, shards: int = 1) -> dict[str, bytes]:
    header = ([[1, 0, shards]] if shards != 1 else []) + [[3, 2, [[1, 0, 1]]]]
    files = {"ckpt.index": m.sstable([(b"", m.encode_proto(header))] + records)}
    files[f"ckpt.data-00000-of-{shards:05d}"] = data
    return files


def _one(name: str, entry_fields: list, data: bytes = b"\x00\x00\x80\x3f") -> dict[str, bytes]:
    return _bundle_records([(name.encode(), m.encode_proto(entry_fields))], data)


def _v1(meta: list, values: list[tuple[str, list, bytes]]) -> dict[str, bytes]:
    """A V1 table: meta = [(name, shape, dtype)], values = [(name, slice extents, TensorProto bytes)]."""
    tensors = [[1, 2, [[1, 2, n.encode()], [2, 2, [[2, 2, [[1, 0, d]]] for d in shape] or b""], [3, 0, dt]]]
               for n, shape, dt in meta]
    records = [(b"", m.encode_proto([[1, 2, tensors]]))]
    for i, (n, extents, proto) in enumerate(values):
        sl = [[1, 2, [[1, 0, s], [2, 0, length]] if length >= 0 else [[1, 0, s]]] for s, length in extents]
        records.append((f"{n}{i}".encode(), m.encode_proto([[2, 2, [[1, 2, n.encode()], [2, 2, sl or b""],
                                                                  [3, 2, proto]]]])))
    return {"model.ckpt": m.sstable(records)}


def _torch_zip(pickle: bytes, storages: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle)
        for key, data in storages.items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", b"3\n")
    return buf.getvalue()


def _rebuild(key: str, numel: int, shape: tuple, stride: tuple, storage: str = "FloatStorage"):
    pid = m.PersId(("storage", m.Raw(f"ctorch\n{storage}\n".encode()), key, "cpu", numel))
    return m.Call("torch._utils._rebuild_tensor_v2", pid, 0, shape, stride, False, m.Call("collections.OrderedDict"))


def handmade() -> dict[str, tuple[dict[str, bytes], str, str]]:
    """name -> (files, target, why)."""
    cases: dict[str, tuple[dict[str, bytes], str, str]] = {}
    f1 = m.crc32c_masked(b"\x00\x00\x80\x3f")

    def add(name, files, target, why):
        cases[name] = (files, target, why)

    # Wrong wire types, overflowing varints, short records.
    add("tf-entry-dtype-as-bytes", _one("x", [[1, 2, b"\x01"], *_entry(1, [1], 0, 4, f1)[1:]]), "ckpt",
        "dtype field length-delimited where a varint belongs")
    add("tf-entry-shape-as-varint", _one("x", [[1, 0, 1], [2, 0, 5], *_entry(1, [1], 0, 4, f1)[2:]]), "ckpt",
        "shape field a varint where a message belongs")
    add("tf-entry-crc-as-bytes", _one("x", [*_entry(1, [1], 0, 4, f1)[:4], [6, 2, b"abcd"]]), "ckpt",
        "crc32c length-delimited where a fixed32 belongs")
    add("tf-entry-dim-as-bytes", _one("x", [[1, 0, 1], [2, 2, [[2, 2, [[1, 2, b"\x04"]]]]],
                                            *_entry(1, [1], 0, 4, f1)[2:]]), "ckpt", "dimension size as bytes")
    entry_70_bit = b"\x08\x01\x12\x04\x12\x02\x08\x01\x20" + b"\xff" * 9 + b"\x7f" + b"\x28\x04\x35" + b"\x00" * 4
    add("tf-entry-70-bit-varint", {**_one("x", _entry(1, [1], 0, 4, f1)),
                                   "ckpt.index": m.sstable([(b"", m.encode_proto([[3, 2, [[1, 0, 1]]]])),
                                                            (b"x", entry_70_bit)])},
        "ckpt", "offset is a 70-bit varint")
    add("tf-entry-7-bytes", {**_one("x", []), "ckpt.index": m.sstable([(b"", m.encode_proto([[3, 2, [[1, 0, 1]]]])),
                                                                        (b"x", b"\x08\x01\x12\x00\x18\x80\x80")])},
        "ckpt", "a 7-byte entry that trips the fast decoder")
    add("tf-header-shards-as-bytes", _bundle_records([(b"x", m.encode_proto(_entry(1, [1], 0, 4, f1)))],
                                                     b"\x00\x00\x80\x3f") | {
        "ckpt.index": m.sstable([(b"", m.encode_proto([[1, 2, b"\x05"], [3, 2, [[1, 0, 1]]]])),
                                 (b"x", m.encode_proto(_entry(1, [1], 0, 4, f1)))])}, "ckpt",
        "num_shards length-delimited")
    # Sizes trusted before they are checked.
    add("tf-huge-shards", _bundle_records([(b"x", m.encode_proto(_entry(1, [1], 0, 4, f1)))], b"\x00\x00\x80\x3f",
                                          shards=1 << 20), "ckpt", "header declares 2^20 shards")
    add("tf-entry-beyond-shard", _one("x", _entry(1, [1 << 40], 0, 4 << 40, f1)), "ckpt",
        "a 4 TiB entry in a 4-byte shard: listed with a note, refused on read before allocating")
    slice_key = b"\x00x\x00\x01\x00\x00\x00\x00"  # not the real encoding: the slice entry is missing
    part = [[1, 0, 1], [2, 2, [[2, 2, [[1, 0, 1 << 40]]]]], [7, 2, [[1, 2, [[1, 0, 0], [2, 0, 1]]]]]]
    add("tf-partitioned-huge-shape", _bundle_records([(b"x", m.encode_proto(part)), (slice_key, b"")], b""), "ckpt",
        "a partitioned variable declaring 2^40 elements with one tiny slice")
    add("tf-rank-65", _one("x", _entry(1, [1] * 65, 0, 4, f1)), "ckpt", "rank above numpy's 64")
    add("tf-variant-dtype", _one("x", _entry(21, [1], 0, 4, f1)), "ckpt", "DT_VARIANT values")
    add("tf-snappy-claims-4gb", {**_one("x", []), "ckpt.index": _snappy_liar()}, "ckpt",
        "a Snappy block declaring 4 GiB of output")
    # V1: sizes, value encodings, numeric range.
    add("v1-huge-shape", _v1([("x", [1 << 30, 1 << 30], 1)], [("x", [], m.encode_proto([[5, 2, b"\x00" * 8]]))]),
        "model.ckpt", "2^60 float32 declared, 2 stored")
    add("v1-half-70000", _v1([("h", [1], 19)], [("h", [], m.encode_proto([[13, 0, 70000]]))]), "model.ckpt",
        "half_val 70000 does not fit 16 bits")
    add("v1-int8-300", _v1([("i", [1], 6)], [("i", [], m.encode_proto([[7, 0, 300]]))]), "model.ckpt",
        "int_val 300 in an int8 tensor")
    add("v1-content-not-itemsize", _v1([("f", [1], 1)], [("f", [], m.encode_proto([[4, 2, b"\x00" * 5]]))]),
        "model.ckpt", "tensor_content of 5 bytes for float32")
    add("v1-float-val-as-varint", _v1([("f", [1], 1)], [("f", [], m.encode_proto([[5, 0, 3]]))]), "model.ckpt",
        "float_val as a varint")
    add("v1-value-wire-swap", _v1([("f", [1], 1)], [("f", [], m.encode_proto([[4, 0, 3]]))]), "model.ckpt",
        "tensor_content as a varint (WireError at read)")
    add("v1-variant", _v1([("v", [1], 21)], [("v", [], b"")]), "model.ckpt", "DT_VARIANT in V1")
    add("v1-rank-65", _v1([("x", [1] * 65, 1)], []), "model.ckpt", "rank 65 in V1 metadata")
    # Object graphs.
    chain = m.encode_proto([[1, 2, [[1, 2, [[1, 0, i + 1], [2, 2, b"n" * 300]]]]] for i in range(3000)])
    raw, crc = hz._string_tensor([chain])
    add("graph-chain-3000", hz._bundle({"_CHECKPOINTABLE_OBJECT_GRAPH": (7, [], raw, crc)}), "ckpt",
        "a 3000-node chain: quadratic paths refused, listing goes on with a note")
    cyc = m.encode_proto([[1, 2, [[1, 2, [[1, 0, (i + 1) % 50], [2, 2, b"c"]]], [3, 2, [[1, 0, (1 << 64) - 5]]]]]
                          for i in range(50)])
    raw, crc = hz._string_tensor([cyc])
    add("graph-cycle-negative-slot", hz._bundle({"_CHECKPOINTABLE_OBJECT_GRAPH": (7, [], raw, crc)}), "ckpt",
        "a cycle, and a slot naming node -5")
    raw, crc = hz._string_tensor([m.encode_proto([[1, 0, 7]])])
    add("graph-node-as-varint", hz._bundle({"_CHECKPOINTABLE_OBJECT_GRAPH": (7, [], raw, crc)}), "ckpt",
        "graph node a varint")
    # State files.
    graph = hz._tree(os.path.join(hz.SEEDS, "tf_v2_graph"))
    for i, text in enumerate(('model_checkpoint_path: 5\n', 'model_checkpoint_path: "\\8"\n',
                              'model_checkpoint_path: "ckpt\\x"\n', "all_model_checkpoint_paths: 1e999\n",
                              'model_checkpoint_path: "' + "a" * 100 + '\n')):
        add(f"state-file-{i}", {**graph, "checkpoint": text.encode()}, ".", f"state file {text[:40]!r}")
    # PyTorch.
    memo = m.Pickle().value({"w": m.Raw(b"N" + b"r" + struct.pack("<I", (1 << 32) - 1))}).done()
    add("torch-memo-index", {"model.pt": _torch_zip(memo, {})}, "model.pt", "LONG_BINPUT 2^32-1 in a tiny pickle")
    put = b"\x80\x02Np9999999999999\n."
    add("torch-text-put", {"model.pt": _torch_zip(put, {})}, "model.pt", "text PUT with a 13-digit index")
    view = m.Pickle().value({"w": _rebuild("0", 1, (1 << 28,), (0,))}).done()
    add("torch-stride0-4-bytes", {"model.pt": _torch_zip(view, {"0": b"\x00\x00\x80\x3f"})}, "model.pt",
        "a stride-0 view: 2^28 floats from a 4-byte storage")
    over = m.Pickle().value({"w": _rebuild("0", 1, (4,), (1,))}).done()
    add("torch-view-past-storage", {"model.pt": _torch_zip(over, {"0": b"\x00" * 4})}, "model.pt",
        "4 elements from a 1-element storage")
    deep = m.Pickle().value({"w": m.Raw(b"]" * 100000 + b"N" + b"a" * 100000)}).done()
    add("torch-deep-nesting", {"model.pt": _torch_zip(deep, {})}, "model.pt", "lists nested 100000 deep")
    evil = m.Pickle().value({"w": m.Call("os.system", "echo pwned")}).done()
    add("torch-os-system", {"model.pt": _torch_zip(evil, {})}, "model.pt", "GLOBAL os.system")
    big_alloc = m.Pickle().value({"w": m.Call("builtins.bytearray", 10 ** 12)}).done()
    add("torch-bytearray-terabyte", {"model.pt": _torch_zip(big_alloc, {})}, "model.pt", "bytearray(10**12)")
    # safetensors.
    for i, header in enumerate((
            '{"w": {"dtype": "F32", "shape": [' + "9" * 5000 + '], "data_offsets": [0, 4]}}',
            ('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], '
             '"data_offsets": [0, 4]}}'),
            '{"w": {"dtype": "F32", "shape": ' + "[" * 100000 + "]" * 100000 + ', "data_offsets": [0, 4]}}',
            '{"w": {"dtype": "F32", "shape": [' + ",".join(["1"] * 65) + '], "data_offsets": [0, 4]}}',
            '{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}',
            '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 18446744073709551616]}}')):
        body = header.encode()
        add(f"safetensors-header-{i}", {"model.safetensors": struct.pack("<Q", len(body)) + body + b"\x00" * 4},
            "model.safetensors", header[:60])
    add("safetensors-index-huge-int", {"model.safetensors.index.json":
                                       ('{"metadata": {"total_size": ' + "9" * 5000 + '}, "weight_map": {"w": '
                                        '"model-1.safetensors"}}').encode()}, "model.safetensors.index.json",
        "an index whose JSON holds a 5000-digit integer (sniffing must not crash; named as an index, it is one that "
        "cannot be read)")
    add("safetensors-index-missing-shard", {"model.safetensors.index.json":
                                            b'{"weight_map": {"w": "model-1.safetensors"}}'},
        "model.safetensors.index.json", "every shard missing")
    # NumPy.
    add("npz-32mib-zeros", {"a.npz": hz._big_npz()}, "a.npz",
        "32 MiB of zeros in 33 KB: listing streams the header instead of inflating the member")
    bomb = bytearray(hz._big_npz())
    cd = bomb.rfind(b"PK\x01\x02")
    bomb[cd + 24:cd + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size in the central directory
    add("npz-ratio-bomb", {"a.npz": bytes(bomb)}, "a.npz", "a member claiming 4 GiB from 33 KB")
    for i, (descr, shape) in enumerate((("<f4", (1,) * 65), ("<f4", (1 << 62,)), ("|O", (3,)), ("V0", (3,)),
                                        ("<f4", (-1,)))):
        add(f"npy-header-{i}", {"a.npy": hz._npy(descr, shape, False, b"\x00" * 12)}, "a.npy",
            f"descr {descr!r} shape {str(shape)[:30]}")
    # Keras / HDF5: a damaged string attribute (layer_names) and an impossible dataset.
    seed = hz._read(os.path.join(hz.SEEDS, "keras_legacy.h5"))
    pos = seed.find(b"layer_names")
    for i, delta in enumerate((16, 24, 32, 40)):
        damaged = bytearray(seed)
        damaged[pos + delta:pos + delta + 4] = b"\xff\xff\xff\x7f"
        add(f"h5-layer-names-{i}", {"model.h5": bytes(damaged)}, "model.h5", "damaged layer_names attribute")
    add("h5-truncated", {"model.h5": seed[:len(seed) // 2]}, "model.h5", "HDF5 cut in half")
    return cases


def _snappy_liar() -> bytes:
    return m.sstable_raw_block(m.varint(0xFFFFFFF0) + b"\x00" * 20, ctype=1)


def regressions() -> dict[str, tuple[dict[str, bytes], str, str]]:
    """Findings of fuzz runs, kept as found (fuzz/regressions/<name>/<the file>)."""
    out = {}
    root = os.path.join(HERE, "regressions")
    for name in sorted(os.listdir(root)):
        files = hz._tree(os.path.join(root, name))
        out[name] = (files, min(files), f"fuzz finding {name}")
    return out


def sampled(per_harness: int, seed: int = 7) -> dict[str, tuple[dict[str, bytes], str, str]]:
    """Harness cases, keeping a spread of outcomes (each error class, a few OKs) per harness."""
    out = {}
    for name, harness in hz.HARNESSES.items():
        rng = random.Random(f"hostile-{seed}-{name}")
        kept: dict[str, int] = {}
        tries = 0
        while sum(kept.values()) < per_harness and tries < per_harness * 8:
            tries += 1
            files, target = harness.case(rng)
            if sum(len(v) for v in files.values()) > MAX_CASE_BYTES:
                continue
            outcome = engine.run_case(files, target)
            if outcome.finding:
                continue  # a finding is fixed first, then recorded
            quota = 2 if outcome.expected == "OK" else max(3, per_harness // 3)
            if kept.get(outcome.expected, 0) >= quota:
                continue
            kept[outcome.expected] = kept.get(outcome.expected, 0) + 1
            out[f"{name}-{sum(kept.values()):02d}"] = (files, target, f"fuzz case ({name} harness)")
    return out


def main() -> int:
    engine.preload()
    cases = {**handmade(), **regressions(), **sampled(per_harness=9)}
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    manifest = {}
    findings = []
    for name, (files, target, why) in sorted(cases.items()):
        case_dir = os.path.join(OUT, name)
        for rel, data in files.items():
            path = os.path.join(case_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        outcome = engine.run_path(os.path.join(case_dir, target))
        if outcome.finding:
            findings.append((name, outcome.kind, outcome.detail.splitlines()[0]))
        manifest[name] = {"target": target, "expected": outcome.expected, "why": why}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    counts: dict[str, int] = {}
    for entry in manifest.values():
        counts[entry["expected"]] = counts.get(entry["expected"], 0) + 1
    print(f"{len(manifest)} cases: {counts}")
    for finding in findings:
        print("FINDING (not fixed yet):", *finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
