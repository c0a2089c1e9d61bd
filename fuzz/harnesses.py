"""One harness per reader: seeds (real files written by the frameworks) and a structure-aware case generator.

``HARNESSES[name].case(rng)`` returns ``(files, target)``: relative path -> bytes, and the path to open.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import zipfile

import mutate as m

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")
CORPUS = os.path.join(HERE, "..", "tests", "data", "corpus")


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _tree(directory: str) -> dict[str, bytes]:
    out = {}
    for root, _, names in os.walk(directory):
        for name in names:
            full = os.path.join(root, name)
            out[os.path.relpath(full, directory)] = _read(full)
    return out


def _records(data: bytes) -> list[tuple[bytes, bytes]]:
    import tempfile

    from ckpt_doctor.formats import _sstable  # only to split a valid seed into its records

    with tempfile.NamedTemporaryFile(suffix=".index") as f:
        f.write(data)
        f.flush()
        return _sstable.read_table(f.name)


class Harness:
    name = ""
    description = ""

    def __init__(self) -> None:
        self._seeds = None

    @property
    def seeds(self) -> list[tuple[dict[str, bytes], str]]:
        if self._seeds is None:
            self._seeds = self.load_seeds()
        return self._seeds

    def load_seeds(self) -> list[tuple[dict[str, bytes], str]]:
        raise NotImplementedError

    def case(self, rng: random.Random) -> tuple[dict[str, bytes], str]:
        raise NotImplementedError


# --- TensorFlow ---------------------------------------------------------------------------------------------

def _bundle_seeds() -> list[tuple[dict[str, bytes], str]]:
    out = []
    for d, prefix in ((os.path.join(CORPUS, "tf-keras", "lso_ckpt_tf2.2"), "ckpt"),
                      (os.path.join(CORPUS, "tf-serving", "half_plus_two_cpu"), "variables"),
                      (os.path.join(SEEDS, "tf_v2_graph"), "ckpt"), (os.path.join(SEEDS, "tf_v2_part"), "model.ckpt")):
        files = {k: v for k, v in _tree(d).items() if k.startswith(prefix + ".")}
        out.append((files, prefix))
    return out


class TFIndex(Harness):
    name = "tf_index"
    description = "TF V2 index: SSTable blocks, footer, handles, restarts, Snappy, key order"

    def load_seeds(self):
        return _bundle_seeds()

    def case(self, rng):
        files, prefix = rng.choice(self.seeds)
        files = dict(files)
        index = files[prefix + ".index"]
        op = rng.randrange(10)
        if op < 5:
            records = _records(index)
            if rng.random() < 0.5:
                records = m.records_mutation(rng, records, m.proto_mutation)
            files[prefix + ".index"] = m.sstable(records, per_block=rng.choice((0, 1, 2, 3)),
                                                 snappy=rng.random() < 0.3, restart_every=rng.choice((1, 2, 16)))
            if rng.random() < 0.3:
                files[prefix + ".index"] = m.bytes_mutation(rng, files[prefix + ".index"])
        elif op < 8:
            files[prefix + ".index"] = m.bytes_mutation(rng, index, hot=(len(index) - 48, len(index)))
        else:
            files[prefix + ".index"] = index[:rng.randrange(len(index))]
        return files, prefix


class TFEntries(Harness):
    name = "tf_entries"
    description = "TF V2 bundle: header and BundleEntryProto records, tensor data (CRCs kept valid), shards"

    def load_seeds(self):
        return _bundle_seeds()

    def case(self, rng):
        files, prefix = rng.choice(self.seeds)
        files = dict(files)
        records = _records(files[prefix + ".index"])
        op = rng.randrange(10)
        if op < 4:  # an entry or the header, wire-level
            i = rng.randrange(len(records))
            records[i] = (records[i][0], m.proto_mutation(rng, records[i][1]))
        elif op < 7:  # tensor bytes changed, CRC recomputed: the values reach conversion
            records = self._data_mutation(rng, files, prefix, records)
        elif op < 8:  # a shard truncated or removed
            shard = rng.choice([k for k in files if ".data-" in k])
            if rng.random() < 0.5:
                del files[shard]
            else:
                files[shard] = files[shard][:rng.randrange(len(files[shard]) + 1)]
        else:  # header: shard counts, endianness, versions
            header = [[1, 0, rng.choice((0, 1, 2, 3, 1 << 20, (1 << 31) - 1, (1 << 64) - 1))]]
            if rng.random() < 0.5:
                header.append([2, 0, rng.choice((0, 1, 2))])
            header.append([3, 2, [[1, 0, 1], [2, 0, rng.choice((0, 1, 2))]]])
            records[0] = (b"", m.encode_proto(header))
        files[prefix + ".index"] = m.sstable(records)
        return files, prefix

    @staticmethod
    def _data_mutation(rng, files, prefix, records):
        i = rng.randrange(1, len(records))
        fields = m.parse_proto(records[i][1]) or []
        get = {f[0]: f for f in fields}
        shard_no = get[3][2] if 3 in get else 0
        shard = next((k for k in files if k.startswith(f"{prefix}.data-{shard_no:05d}-")), None)
        if shard is None or 6 not in get:
            return records
        off, size = (get[4][2] if 4 in get else 0), (get[5][2] if 5 in get else 0)
        data = bytearray(files[shard])
        chunk = bytes(data[off:off + size])
        new = m.bytes_mutation(rng, chunk) if chunk else bytes([rng.randrange(256)])
        if rng.random() < 0.5:
            new = (new + bytes(size))[:size]  # same length: only the values change
        data[off:off + size] = new
        files[shard] = bytes(data)
        get[6][2] = m.crc32c_masked(new)
        if 5 in get:
            get[5][2] = len(new)
        else:
            fields.append([5, 0, len(new)])
        if rng.random() < 0.4:  # and a shape that may or may not agree
            fields = [f for f in fields if f[0] != 2] + [[2, 2, [[2, 2, [[1, 0, rng.choice(m.INTERESTING)]]]
                                                              for _ in range(rng.choice((1, 2, 65)))]]]
        records[i] = (records[i][0], m.encode_proto(fields))
        return records


class TFV1(Harness):
    name = "tf_v1"
    description = "TF V1 table: SavedTensorSlices metadata and TensorProto values (every value encoding)"

    def load_seeds(self):
        return [({"model.ckpt": _read(os.path.join(SEEDS, "tf_v1", "model.ckpt"))}, "model.ckpt"),
                ({"export-00000-of-00001": _read(os.path.join(CORPUS, "tf-serving", "v1_half_plus_two",
                                                              "export-00000-of-00001"))}, "export-00000-of-00001")]

    def case(self, rng):
        files, target = rng.choice(self.seeds)
        data = files[target]
        if rng.random() < 0.85:
            records = m.records_mutation(rng, _records(data), m.proto_mutation)
            data = m.sstable(records, snappy=rng.random() < 0.2)
        else:
            data = m.bytes_mutation(rng, data)
        return {target: data}, target


def _string_tensor(values: list[bytes]) -> tuple[bytes, int]:
    """TF's string tensor encoding in a bundle and the entry's masked CRC."""
    import google_crc32c

    lengths = b"".join(m.varint(len(v)) for v in values)
    fixed = b"".join(len(v).to_bytes(4, "little") for v in values)
    length_crc = struct.pack("<I", m._mask(google_crc32c.value(fixed)))
    body = b"".join(values)
    crc = google_crc32c.value(fixed + length_crc + body)
    return lengths + length_crc + body, m._mask(crc)


def _bundle(tensors: dict[str, tuple[int, list[int], bytes, int | None]]) -> dict[str, bytes]:
    """tensors: name -> (dtype enum, shape, bytes, masked crc or None to compute)."""
    import google_crc32c

    data, records = bytearray(), [(b"", m.encode_proto([[3, 2, [[1, 0, 1]]]]))]
    for name in sorted(tensors):
        dtype, shape, raw, crc = tensors[name]
        dims = [[2, 2, [[1, 0, d]] if d else b""] for d in shape]
        entry = [[1, 0, dtype], [2, 2, dims or b""], [4, 0, len(data)], [5, 0, len(raw)],
                 [6, 5, crc if crc is not None else m._mask(google_crc32c.value(raw))]]
        records.append((name.encode(), m.encode_proto(entry)))
        data += raw
    return {"ckpt.index": m.sstable(records), "ckpt.data-00000-of-00001": bytes(data)}


class ObjectGraph(Harness):
    name = "object_graph"
    description = "TF2 object graph: chains, cycles, out-of-range ids, aliases, slot references, wire-type swaps"

    def load_seeds(self):
        return _bundle_seeds()[:1]

    def case(self, rng):
        n = rng.choice((1, 2, 5, 50, 500, 3000))
        shape = rng.choice(("chain", "cycle", "random", "star"))
        name_len = rng.choice((1, 10, 300))
        keys = [f"v{i}/.ATTRIBUTES/VARIABLE_VALUE" for i in range(min(n, 20))]
        nodes = []
        for i in range(n):
            children = []
            if shape == "chain" and i + 1 < n:
                children.append(i + 1)
            elif shape == "cycle":
                children.append((i + 1) % n)
            elif shape == "random":
                children += [rng.choice((rng.randrange(n), -1, n, (1 << 31) - 1)) for _ in range(rng.randrange(3))]
            elif shape == "star" and i == 0:
                children += list(range(1, n))
            node = [[1, 2, [[1, 0, c & 0xFFFFFFFFFFFFFFFF], [2, 2, ("n" * name_len).encode() + str(c).encode()]]]
                    for c in children]
            if i < len(keys) and rng.random() < 0.7:
                node.append([2, 2, [[1, 2, b"VARIABLE_VALUE"], [2, 2, f"full/{i}".encode()], [3, 2, keys[i].encode()]]])
            if rng.random() < 0.1:
                node.append([3, 2, [[1, 0, rng.choice((0, n, (1 << 64) - 1))], [2, 2, b"m"],
                                    [3, 0, rng.randrange(n + 2)]]])
            nodes.append([1, 2, node or b""])
        blob = m.encode_proto(nodes)
        if rng.random() < 0.3:
            blob = m.proto_mutation(rng, blob)
        raw, crc = _string_tensor([blob])
        tensors = {"_CHECKPOINTABLE_OBJECT_GRAPH": (7, [], raw, crc)}
        for key in keys:
            tensors[key] = (1, [1], b"\x00\x00\x80\x3f", None)
        if rng.random() < 0.1:  # the graph entry is not a scalar string
            tensors["_CHECKPOINTABLE_OBJECT_GRAPH"] = (1, [1], b"\x00\x00\x80\x3f", None)
        return _bundle(tensors), "ckpt"


class StateFile(Harness):
    name = "state_file"
    description = "the `checkpoint` state file: numbers, escapes, quotes, long lines, odd keys"

    VALUES = ('"ckpt"', '"ckpt-1"', "5", "1e400", "nan", '"\\8"', '"\\x"', '"\\777"', '"\\"', '"unterminated',
              "'single'", '"a\\nb"', '"/abs/ckpt"', '"../ckpt"', '"\\x00"', '""', "9" * 5000, '"' + "a" * 5000 + '"',
              '"\\u1234"', '"ckpt\\t"', "-0", '"\udcff"', "true")
    KEYS = ("model_checkpoint_path", "all_model_checkpoint_paths", "all_model_checkpoint_timestamps",
            "last_preserved_timestamp", "unknown_key", "model_checkpoint_path ")

    def load_seeds(self):
        graph = _tree(os.path.join(SEEDS, "tf_v2_graph"))
        return [({"checkpoint": _read(os.path.join(SEEDS, "state", "checkpoint")), **graph}, ".")]

    def case(self, rng):
        files = dict(self.seeds[0][0])
        lines = []
        for _ in range(rng.randrange(1, 6)):
            key = rng.choice(self.KEYS)
            value = rng.choice(self.VALUES)
            sep = rng.choice((": ", ":", " : ", " ", ": \t"))
            lines.append(f"{key}{sep}{value}")
        text = "\n".join(lines).encode("utf-8", "surrogateescape")
        if rng.random() < 0.3:
            text = m.bytes_mutation(rng, text)
        files["checkpoint"] = text
        if rng.random() < 0.3:  # the checkpoint it names is damaged or absent
            files.pop("ckpt.index", None) if rng.random() < 0.5 else files.pop("ckpt.data-00000-of-00001", None)
        return files, "."


# --- Keras / HDF5 -------------------------------------------------------------------------------------------

class KerasH5(Harness):
    name = "keras_h5"
    description = "Keras HDF5 weights: superblock, object headers, attributes (layer_names, weight_names), data"

    def load_seeds(self):
        return [({"model.h5": _read(os.path.join(SEEDS, name))}, "model.h5")
                for name in ("keras_legacy.h5", "keras_full.h5")]

    def case(self, rng):
        files, target = rng.choice(self.seeds)
        data = files[target]
        for _ in range(rng.choice((1, 1, 2, 4, 8))):
            data = m.bytes_mutation(rng, data, hot=(0, 4096) if rng.random() < 0.5 else None, inplace=True)
        return {target: data}, target


# --- PyTorch ------------------------------------------------------------------------------------------------

_STORAGES = ("FloatStorage", "HalfStorage", "LongStorage", "ByteStorage", "BoolStorage", "DoubleStorage",
             "ComplexFloatStorage", "BFloat16Storage", "QUInt4x2Storage")
_ITEM = {"FloatStorage": 4, "HalfStorage": 2, "LongStorage": 8, "ByteStorage": 1, "BoolStorage": 1,
         "DoubleStorage": 8, "ComplexFloatStorage": 8, "BFloat16Storage": 2, "QUInt4x2Storage": 1}


def _torch_tensor(rng, key: str, storage: str, numel: int, legacy: bool):
    dims = rng.choice(([], [3], [2, 2], [1 << 30], [1 << 62, 1 << 62], [0, 5], [4] * 65, [2, 3, 4]))
    stride = rng.choice(("contig", "zero", "huge", "neg", "short"))
    if stride == "contig":
        st, acc = [], 1
        for d in reversed(dims):
            st.insert(0, acc)
            acc *= d
    elif stride == "zero":
        st = [0] * len(dims)
    elif stride == "huge":
        st = [1 << 40] * len(dims)
    elif stride == "neg":
        st = [-1] * len(dims)
    else:
        st = [1] * max(0, len(dims) - 1)
    pid = ("storage", m.Raw(f"ctorch\n{storage}\n".encode()), key, "cpu", numel)
    if legacy:
        pid = pid + (rng.choice((None, None, (key, 0, numel), (key, 1 << 40, 2), "bad")),)
    offset = rng.choice((0, 0, 1, numel, 1 << 50, -1))
    args = (m.PersId(pid), offset, tuple(dims), tuple(st), False, m.Call("collections.OrderedDict"))
    fn = rng.choice(("torch._utils._rebuild_tensor_v2",) * 6 + ("torch._utils._rebuild_tensor",
                                                                 "torch._utils._rebuild_parameter", "os.system"))
    if fn == "torch._utils._rebuild_tensor":
        args = args[:4]
    if fn == "torch._utils._rebuild_parameter":
        return m.Call(fn, m.Call("torch._utils._rebuild_tensor_v2", *args), True, m.Call("collections.OrderedDict"))
    return m.Call(fn, *args)


def _torch_object(rng, legacy: bool):
    storages: dict[str, tuple[str, int]] = {}
    sd = {}
    for i in range(rng.randrange(1, 5)):
        key = str(rng.randrange(3))
        storage = storages.setdefault(key, (rng.choice(_STORAGES), rng.choice((1, 4, 12, 1 << 40))))
        sd[rng.choice((f"w{i}", f"w{i}", "w0", "", "a/b"))] = _torch_tensor(rng, key, *storage, legacy)
    obj = sd
    shape = rng.randrange(8)
    if shape == 0:  # a training checkpoint
        obj = {"model": sd, "optimizer": {"state": {0: {"exp_avg": next(iter(sd.values()))}},
                                          "param_groups": [{"params": [0]}]}, "epoch": 3}
    elif shape == 1:  # deep nesting: [[[...sd...]]], written as opcodes (the emitter is recursive)
        depth = rng.choice((100, 250, 2000, 100000))
        obj = m.Raw(b"]" * depth + m.Pickle().value(sd).out[2:] + b"a" * depth)
    elif shape == 2:  # a memo index beyond anything the pickle stores
        obj = {"x": m.Raw(b"N" + b"r" + struct.pack("<I", rng.choice((1 << 20, (1 << 32) - 1)))), **sd}
    elif shape == 3:  # text PUT with a huge index, numpy values, bytearray, codecs
        obj = {"x": m.Raw(b"Np" + str(rng.choice((10 ** 9, 10 ** 30))).encode() + b"\n"),
               "y": m.Call("builtins.bytearray", rng.choice((10 ** 12, b"ab", [1, 2]))),
               "z": m.Call("_codecs.encode", "abc", rng.choice(("latin1", "rot13"))), **sd}
    elif shape == 4:  # huge ints and containers
        obj = {"big": 1 << rng.choice((100, 40000)), "list": list(range(rng.choice((10, 3000)))), **sd}
    return obj, storages


def _storage_bytes(rng, storages: dict[str, tuple[str, int]]) -> dict[str, bytes]:
    out = {}
    for key, (cls, numel) in storages.items():
        n = min(numel, 64) * _ITEM[cls]
        out[key] = bytes(rng.randrange(256) for _ in range(rng.choice((n, n, max(0, n - 3), n + 5))))
    return out


class Torch(Harness):
    name = "torch"
    description = "PyTorch zip and legacy files: pickle (globals, memo, nesting, stride tricks, storages), zip layout"

    def load_seeds(self):
        return [({"model.pt": _read(os.path.join(SEEDS, n))}, "model.pt")
                for n in ("pt_zip.pt", "pt_legacy.pt", "pt_training.pt")]

    def case(self, rng):
        op = rng.randrange(10)
        if op < 3:
            files, target = rng.choice(self.seeds)
            data = files[target]
            for _ in range(rng.choice((1, 2, 4))):
                data = m.bytes_mutation(rng, data)
            return {target: data}, target
        legacy = op >= 7
        obj, storages = _torch_object(rng, legacy)
        blobs = _storage_bytes(rng, storages)
        pickle = m.Pickle().value(obj).done()
        if rng.random() < 0.2:
            pickle = m.bytes_mutation(rng, pickle)
        if legacy:
            out = bytearray(m.Pickle().value(0x1950A86A20F9469CFC6C).done())
            out += m.Pickle().value(1001).done()
            out += m.Pickle().value({"little_endian": True, "protocol_version": 1001}).done()
            out += pickle
            out += m.Pickle().value(sorted(blobs)).done()
            for key in sorted(blobs):
                item = _ITEM[storages[key][0]]
                count = rng.choice((len(blobs[key]) // item, storages[key][1], 1 << 60))
                out += struct.pack("<q", count) + blobs[key]
            return {"model.pt": bytes(out)}, "model.pt"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            method = zipfile.ZIP_DEFLATED if rng.random() < 0.2 else zipfile.ZIP_STORED
            z.writestr("archive/data.pkl", pickle, compress_type=method)
            if rng.random() < 0.2:
                z.writestr("archive/byteorder", rng.choice((b"big", b"little", b"middle")))
            for key, blob in blobs.items():
                z.writestr(f"archive/data/{key}", blob)
            z.writestr("archive/version", b"3\n")
        data = buf.getvalue()
        if rng.random() < 0.2:  # central directory / local header fields
            data = m.bytes_mutation(rng, data, hot=(len(data) - 400, len(data)))
        return {"model.pt": data}, "model.pt"


# --- safetensors --------------------------------------------------------------------------------------------

class Safetensors(Harness):
    name = "safetensors"
    description = "safetensors header JSON (shapes, offsets, dtypes, duplicates, huge ints, nesting) and indexes"

    def load_seeds(self):
        return [({"model.safetensors": _read(os.path.join(SEEDS, "st_model.safetensors"))}, "model.safetensors")]

    def case(self, rng):
        raw = self.seeds[0][0]["model.safetensors"]
        n = int.from_bytes(raw[:8], "little")
        header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
        op = rng.randrange(12)
        text = None
        names = [k for k in header if k != "__metadata__"]
        name = rng.choice(names)
        values = (-1, 0, 1, 3, 1 << 40, 1 << 64, 2.5, "3", None, [], [1], True)
        if op == 0:
            header[name]["shape"] = rng.choice(([1 << 62, 1 << 62], [-1], [3.0], "3", [1] * 65, [0], [10 ** 30]))
        elif op == 1:
            header[name]["data_offsets"] = [rng.choice(values), rng.choice(values)]
        elif op == 2:
            header[name]["dtype"] = rng.choice(("F32", "F4", "X9", 5, None, "BOOL", "F8_E8M0", "C64"))
        elif op == 3:
            del header[name][rng.choice(("dtype", "shape", "data_offsets"))]
        elif op == 4:
            header["__metadata__"] = rng.choice(({"a": 1}, [], "x", {"a": {"b": "c"}}, None))
        elif op == 5:  # a duplicate key, kept by writing the text by hand
            text = json.dumps(header)[:-1] + f', "{name}": ' + json.dumps(header[name]) + "}"
        elif op == 6:  # JSON integers too long to parse
            text = json.dumps(header).replace("[3, 4]", "[" + "9" * rng.choice((4301, 20000)) + ", 4]", 1)
        elif op == 7:  # deep nesting
            depth = rng.choice((1000, 100000))
            header[name]["shape"] = "SENTINEL"
            text = json.dumps(header).replace('"SENTINEL"', "[" * depth + "]" * depth)
        elif op == 8:  # the data region cut or grown
            data = data[:rng.randrange(len(data) + 1)] if rng.random() < 0.5 else data + b"\x00" * 7
        elif op == 9:  # the length prefix lies
            body = json.dumps(header).encode()
            return {"model.safetensors": struct.pack("<Q", rng.choice((0, 1, len(body) + 1, 1 << 63, 200 << 20)))
                    + body + data}, "model.safetensors"
        elif op == 10:  # a sharded index
            return self._index(rng, raw)
        body = (text if text is not None else json.dumps(header)).encode("utf-8")
        out = struct.pack("<Q", len(body)) + body + data
        if op == 11:
            out = m.bytes_mutation(rng, out, hot=(0, 8 + len(body)))
        return {"model.safetensors": out}, "model.safetensors"

    @staticmethod
    def _index(rng, shard: bytes):
        weight_map = {"w": "model-1.safetensors", "b": "model-1.safetensors",
                      "z": rng.choice(("model-2.safetensors", "../evil.safetensors", "/abs.safetensors",
                                       "model-1.safetensors"))}
        doc = {"metadata": {"total_size": rng.choice((1, "9" * 5000))}, "weight_map": weight_map}
        text = json.dumps(doc).replace('"' + "9" * 5000 + '"', "9" * 5000)
        files = {"model.safetensors.index.json": text.encode()}
        if rng.random() < 0.8:
            files["model-1.safetensors"] = shard
        return files, "model.safetensors.index.json"


# --- NumPy --------------------------------------------------------------------------------------------------

def _npy(descr, shape, fortran, body: bytes, version: int = 1, header_text: str | None = None) -> bytes:
    text = header_text if header_text is not None else \
        f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {shape!r}, }}"
    raw = text.encode("latin1" if version < 3 else "utf-8", "replace")
    raw += b" " * ((64 - (len(raw) + 12) % 64) % 64) + b"\n"
    length = struct.pack("<H", len(raw) & 0xFFFF) if version == 1 else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + length + raw + body


_BIG = []


def _big_npz() -> bytes:
    if not _BIG:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("big.npy", _npy("<f4", (1 << 23,), False, bytes(4 << 23)), compress_type=zipfile.ZIP_DEFLATED)
        _BIG.append(buf.getvalue())
    return _BIG[0]


class Numpy(Harness):
    name = "npz"
    description = ".npy headers (descr, shape, fortran_order, versions) and .npz archives (stored, deflated, bombs)"

    def load_seeds(self):
        return [({"a.npz": _read(os.path.join(SEEDS, n))}, "a.npz") for n in ("np_plain.npz", "np_compressed.npz")] \
            + [({"a.npy": _read(os.path.join(SEEDS, "np_array.npy"))}, "a.npy")]

    def case(self, rng):
        op = rng.randrange(10)
        if op < 2:
            files, target = rng.choice(self.seeds)
            data = files[target]
            for _ in range(rng.choice((1, 2, 4))):
                data = m.bytes_mutation(rng, data, hot=(len(data) - 200, len(data)) if rng.random() < 0.5 else None)
            return {target: data}, target
        descr = rng.choice(("<f4", ">f8", "|b1", "<i8", "|O", "<U5", "V0", "<f4" * 3, [("a", "<f4")],
                            [("a", "<f4", (1 << 30, 1 << 30))], "(1000000,1000000)f4", 5, "<M8[s]", "S0", "<c16"))
        shape = rng.choice(((3,), (), (0,), (1 << 62,), (1 << 31, 1 << 31), (1,) * 65, (-1,), (3.0,), [3], (2, 2)))
        fortran = rng.choice((False, True, 1, None))
        header_text = None
        if rng.random() < 0.15:
            header_text = rng.choice(("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",), }",
                                      "(" * 5000, "{'descr': '<f4'}", "__import__('os').system('x')",
                                      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}"))
        body = bytes(rng.randrange(256) for _ in range(rng.choice((0, 12, 24, 64))))
        npy = _npy(descr, shape, fortran, body, version=rng.choice((1, 2, 3, 4)), header_text=header_text)
        if op < 4:
            return {"a.npy": npy}, "a.npy"
        if op == 9 and rng.random() < 0.5:  # 32 MiB of zeros in 33 KB: listing must stream the header
            return {"a.npz": _big_npz()}, "a.npz"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            method = zipfile.ZIP_DEFLATED if op >= 7 else zipfile.ZIP_STORED
            z.writestr("x.npy", npy, compress_type=method)
        data = buf.getvalue()
        if rng.random() < 0.25:
            data = m.bytes_mutation(rng, data, hot=(len(data) - 120, len(data)))
        return {"a.npz": data}, "a.npz"


HARNESSES: dict[str, Harness] = {h.name: h for h in (TFIndex(), TFEntries(), TFV1(), ObjectGraph(), StateFile(),
                                                      KerasH5(), Torch(), Safetensors(), Numpy())}
