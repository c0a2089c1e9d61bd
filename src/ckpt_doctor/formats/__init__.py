"""Format readers behind one entry point, ``open_checkpoint``, which works out what a path names."""

from __future__ import annotations

import glob
import os
import re

from ..catalog import Catalog
from ..errors import (
    CheckpointError,
    CheckpointNotFoundError,
    NotACheckpointError,
    PermissionDeniedError,
    UsageError,
)
from . import _io, discovery, tf_bundle, tf_v1
from .registry import DIRECTORY_SUFFIXES, FORMATS, SNIFFED

_DATA_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")
_V1_SHARD = re.compile(r"-\d{5}-of-\d{5}$")
_V1_PATTERN = re.compile(r"-\?{5}-of-(\d{5})$")


def open_checkpoint(path: str | os.PathLike, **options) -> Catalog:
    """Open a checkpoint for reading: a prefix, an ``.index`` or data file, a V1 file (sharded: also
    ``model.ckpt-?????-of-00002``, as TensorFlow names it), a Keras, PyTorch,
    safetensors or NumPy file, the index of a sharded set (``model.safetensors.index.json``,
    ``pytorch_model.bin.index.json``), a PyTorch distributed (DCP) checkpoint directory, or a directory (its latest TF
    checkpoint, else its shard index or its one recognised file). URLs (``s3://``, ``gs://``, ``https://``, any
    fsspec protocol) are read by byte ranges, see ``formats.remote``; a ``file://`` URL is the local path it names.

    Returns a read-only mapping from tensor name to ``TensorInfo``; no tensor bytes are read until
    ``TensorInfo.read()``. ``options`` go to the format's reader, e.g. ``subtree="model_state"`` to pick the
    state dict in a PyTorch training checkpoint.

    Example:
        >>> import importlib.resources
        >>> ckpt = open_checkpoint(importlib.resources.files("ckpt_doctor") / "examples" / "seed")  # a directory
        >>> ckpt["model_scope/weight"].shape, ckpt["model_scope/weight"].read().dtype
        ((2, 1), dtype('float32'))
    """
    path = _io.local_path(os.fspath(path))
    if _io.is_url(path):
        from .remote import open_url

        return open_url(path, **options)
    try:
        _refuse_unreadable(path)
        catalog = _open_local(path, **options)
        notes = _peft_adapter_notes(catalog.path) or _lora_notes(catalog) or _shard_notes(catalog)
        catalog.notes = tuple(n for n in notes if n not in catalog.notes) + catalog.notes
        return catalog
    except PermissionDeniedError:
        raise
    except PermissionError as e:  # a file or directory this user may not read, met anywhere while opening
        raise _io.denied(e.filename or path) from None
    except CheckpointError as e:
        e.message = _zeroed(e.path) + e.message
        raise


_ZERO_PROBE = 1 << 16


def _zeroed(path: str | None) -> str:
    """"the file is all zero bytes; " where it begins so (a write or copy that never completed, a zeroed block): the
    reader's own complaint (bad magic, no header) would not say why."""
    try:
        if path is None or not os.path.isfile(path):
            return ""
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(_ZERO_PROBE)
    except OSError:
        return ""
    if not head or head.count(0) != len(head):
        return ""
    said = f"all {size} bytes of the file are zero" if size <= len(head) else \
        f"the file's first {len(head) >> 10} KiB (of {size} bytes) are zero"
    return f"{said} (a write or copy that never completed, or zeroed blocks); "


_PEFT_CONFIG = "adapter_config.json"


def _peft_adapter_notes(path: str) -> tuple[str, ...]:
    """What a PEFT ``save_pretrained`` file is: an adapter, whose keys no plain model has (a user pointing at it
    with the base model sees every value unused and every variable missing, and needs to know why)."""
    config_path = os.path.join(os.path.dirname(path), _PEFT_CONFIG)
    if not os.path.basename(path).startswith("adapter_model.") or not os.path.isfile(config_path):
        return ()
    import json

    try:
        with open(config_path, "rb") as f:
            config = json.loads(f.read(1 << 20))
    except (OSError, ValueError):
        config = None
    if not isinstance(config, dict):
        return (f"a PEFT adapter ({_PEFT_CONFIG} beside it, unreadable)",)
    kind = config.get("peft_type")
    base = config.get("base_model_name_or_path") or (config.get("auto_mapping") or {}).get("base_model_class")
    said = ", ".join(str(x) for x in (kind, f"base model {base}" if base else None) if x)
    directory = os.path.dirname(path) or "."
    note = (f"a PEFT adapter ({_PEFT_CONFIG}: {said}): it holds the adapter's values only, not the base model's; "
            f"PEFT loads it into the base model with PeftModel.from_pretrained(model, {directory!r})")
    if kind == "LORA":  # peft's set_peft_model_state_dict puts the adapter's name into each LoRA key
        note += ", which adds the adapter's name to each key (`lora_A.weight` becomes `lora_A.default.weight`)"
    return (note,)


def _lora_notes(catalog: Catalog) -> tuple[str, ...]:
    """A PEFT model's state dict saved before merging: its LoRA factors are the fine-tuned update, which a model
    without LoRA layers has no place for (a fix pairing the rest loads the base model, silently)."""
    factors = sum(1 for name in catalog if ".lora_A." in name or ".lora_B." in name)
    if not factors:
        return ()
    if factors == len(catalog):
        return (f"holds only LoRA factors ({factors}, lora_A/lora_B): a PEFT adapter's values, not the base model's; "
                f"PEFT loads an adapter from the directory save_pretrained wrote (with its {_PEFT_CONFIG}) by "
                "PeftModel.from_pretrained(model, DIR)",)
    return (f"holds {factors} LoRA factors (lora_A/lora_B, the fine-tuned update of the layers beside them): the "
            "state dict of a PEFT model before merging. A model without LoRA layers has no place for them and loads "
            "the base weights only; for the fine-tuned weights in a plain model, save them merged: "
            "model.merge_and_unload().state_dict()",)


def _shard_notes(catalog: Catalog) -> tuple[str, ...]:
    """One shard of a sharded set opened alone (``model-00002-of-00006.safetensors``): a model diagnosed against it
    would miss every value of the other shards, so the index beside it, which names them all, is named."""
    from ._shard_index import SHARD_NUMBER, parse_json

    numbered = SHARD_NUMBER.search(catalog.path)
    if numbered is None or len(catalog.files) != 1:
        return ()

    directory, base = os.path.split(catalog.path)
    try:
        indexes = sorted(n for n in os.listdir(directory or ".") if n.endswith(_INDEX_SUFFIXES))
    except OSError:
        return ()
    for name in indexes:
        index = parse_json(os.path.join(directory, name))[0]
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if isinstance(weight_map, dict) and base in weight_map.values():
            return (f"one shard ({int(numbered[1])} of {int(numbered[2])}) of the sharded checkpoint {name} beside "
                    f"it: {len(catalog)} of its {len(weight_map)} tensors; name {name} or the directory for them "
                    "all",)
    return ()


def _refuse_unreadable(path: str) -> None:
    """Sniffing reads an unreadable file as "no format matches" and a stat that fails as "does not exist": a
    permission problem is named as such before either can mislead."""
    try:
        os.stat(path)
    except PermissionError:
        raise _io.denied(path) from None
    except OSError:
        return
    if os.path.isfile(path):
        try:
            open(path, "rb").close()
        except PermissionError:
            raise _io.denied(path) from None
        except OSError:
            pass


def _open_local(path: str, **options) -> Catalog:
    if os.path.basename(path) == ".metadata" or os.path.isfile(os.path.join(path, ".metadata")):
        from . import torch_dcp  # a PyTorch distributed checkpoint directory

        return torch_dcp.read(path, **options)
    if os.path.isdir(path):
        saved_model = os.path.join(path, "variables", "variables")
        if os.path.isfile(os.path.join(path, "saved_model.pb")) and os.path.isfile(saved_model + ".index"):
            catalog = tf_bundle.read(saved_model)
            catalog.notes = (f"a SavedModel directory: opened its variables checkpoint {saved_model}",) + \
                catalog.notes
            return catalog
        inner = os.path.join(path, "variables")
        if os.path.isfile(inner + ".index") and os.path.isfile(os.path.join(path, "..", "saved_model.pb")):
            catalog = tf_bundle.read(inner)
            catalog.notes = (f"the variables directory of a SavedModel: opened its checkpoint {inner}",) + \
                catalog.notes
            return catalog
        if path.rstrip("/").endswith(".mlpackage") or os.path.isdir(os.path.join(path, "Data", "com.apple.CoreML")):
            raise NotACheckpointError(f"a Core ML package (a model exported for Apple devices), not a training "
                                      f"checkpoint; {_READABLE}", path=path)
        found = discovery.discover(path)
        if found.latest is not None and os.path.isdir(found.latest):  # saved with an empty basename: dir/.index
            catalog = tf_bundle.read(os.path.join(found.latest, ""))
            catalog.notes = tuple(found.notes) + catalog.notes
            return catalog
        if found.latest is None:
            snapshot = _hub_snapshot(path)
            if snapshot is not None:  # a hub cache entry: the revision from_pretrained loads
                catalog = open_checkpoint(snapshot, **options)
                catalog.notes = (f"a Hugging Face hub cache entry: opened {os.path.relpath(snapshot, path)}, the "
                                 "snapshot refs/main names (what from_pretrained loads)",) + catalog.notes
                return catalog
            other = _other_in_directory(path)
            if other is None:
                raise CheckpointNotFoundError(_no_checkpoint_in(found, path), path=path)
            catalog = open_checkpoint(other, **options)
            both = os.path.basename(other) == "model.safetensors" and \
                os.path.isfile(os.path.join(os.path.dirname(other), "pytorch_model.bin"))
            beside = " (pytorch_model.bin beside it too: PyTorch's from_pretrained reads the safetensors file)" \
                if both else ""
            catalog.notes = (f"opened {os.path.basename(other)}, the checkpoint in this directory{beside}",) + \
                catalog.notes
            return catalog
        catalog = open_checkpoint(found.latest, **options)
        catalog.notes = tuple(found.notes) + catalog.notes
        return catalog
    variables = os.path.join(os.path.dirname(path), "variables", "variables")
    if os.path.basename(path) in ("saved_model.pb", "saved_model.pbtxt", "keras_metadata.pb", "fingerprint.pb") and \
            os.path.isfile(variables + ".index"):  # a file of a SavedModel named for the SavedModel
        catalog = tf_bundle.read(variables)
        catalog.notes = (f"{os.path.basename(path)} is part of a SavedModel (its graph, not its values); opened "
                         f"its variables checkpoint {variables}",) + catalog.notes
        return catalog
    if path.endswith(".meta") and os.path.isfile(path) and _has_checkpoint(path[:-len(".meta")]):
        prefix = path[:-len(".meta")]
        catalog = _open_local(prefix)
        catalog.notes = (f"{os.path.basename(path)} is the graph (MetaGraphDef); opened its checkpoint "
                         f"{discovery.display_name(prefix)}",) + catalog.notes
        return catalog
    tf_named = path.endswith(".index") or _DATA_SHARD.search(path) or os.path.isfile(path + ".index")
    if os.path.isfile(path) and not tf_named:
        for module in _other_formats():
            if module.sniff(path):
                if options:
                    _check_options(module, options, path)
                return module.read(path, **options)
    if options:
        raise UsageError(f"option(s) {', '.join(sorted(options))} do not apply to this checkpoint", path=path)
    if path.endswith(".index") and os.path.isfile(path):
        return tf_bundle.read(path[:-len(".index")])
    if os.path.isfile(path + ".index"):
        return tf_bundle.read(path)
    if _DATA_SHARD.search(path) and os.path.isfile(path):
        prefix = _DATA_SHARD.sub("", path)
        if os.path.isfile(prefix + ".index"):
            catalog = tf_bundle.read(prefix)
            catalog.notes = (f"{os.path.basename(path)} is a data shard; opened its checkpoint {prefix}",) + \
                catalog.notes
            return catalog
        raise CheckpointNotFoundError(f"this is a data shard but its index {prefix}.index is missing: the "
                                      "checkpoint is incomplete", path=path)
    if os.path.isfile(path):
        if tf_v1.is_v1(path):
            if _V1_SHARD.search(path):
                prefix = _V1_SHARD.sub("", path)
                return tf_v1.read(sorted(glob.glob(glob.escape(prefix) + "-?????-of-?????")), display_path=prefix)
            return tf_v1.read(path)
        raise NotACheckpointError(_not_readable(path), path=path)
    pattern = _V1_PATTERN.search(path)  # `model.ckpt-?????-of-00002`: a sharded V1 save as TensorFlow names it
    stem = path[:pattern.start()] if pattern else path
    shards = sorted(glob.glob(glob.escape(stem) + "-?????-of-" + (pattern[1] if pattern else "?????")))
    if shards and all(tf_v1.is_v1(s) for s in shards):
        return tf_v1.read(shards, display_path=path)
    raise CheckpointNotFoundError(_not_found(path), path=path)


def _has_checkpoint(prefix: str) -> bool:
    """A V2 bundle, a V1 file or V1 shards (`Saver(write_version=V1)`) by this prefix, beside its `.meta`."""
    if os.path.isfile(prefix + ".index"):
        return True
    if os.path.isfile(prefix):
        return tf_v1.is_v1(prefix)
    return any(tf_v1.is_v1(s) for s in glob.glob(glob.escape(prefix) + "-?????-of-?????"))


_MAX_DIRECTORY_SNIFF = 64
_INDEX_SUFFIXES = (".safetensors.index.json", ".bin.index.json", ".pt.index.json", ".pth.index.json", ".h5.index.json")


def _check_options(module, options: dict, path: str) -> None:
    import inspect

    accepted = {n for n, p in inspect.signature(module.read).parameters.items() if p.kind == p.KEYWORD_ONLY}
    unknown = sorted(set(options) - accepted)
    if unknown:
        reader = module.__name__.rsplit(".", 1)[-1]
        kind = next((f.display for f in FORMATS if f.reader == reader), reader)
        what = " (it chooses a state dict inside a PyTorch training checkpoint)" if unknown == ["subtree"] else ""
        raise UsageError(f"option(s) {', '.join(unknown)} do not apply to this {kind} file{what}", path=path)


def _other_formats():
    """The reader modules, imported one at a time as sniffing reaches them (a match stops the import of the rest)."""
    import importlib

    for name in SNIFFED:
        yield importlib.import_module(f"{__name__}.{name}")


def _other_in_directory(directory: str) -> str | None:
    """The index of a sharded set (safetensors first, as ``from_pretrained`` prefers it, then
    ``pytorch_model.bin.index.json``), or the directory's single file in another recognised format."""
    try:
        listing = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    except OSError:
        return None
    indexes = [n for n in listing if n.endswith(_INDEX_SUFFIXES) and os.path.isfile(os.path.join(directory, n))]
    indexes.sort(key=lambda n: (not n.endswith(".safetensors.index.json"), n != "model.safetensors.index.json",
                                n != "pytorch_model.bin.index.json", n))
    if indexes:
        return os.path.join(directory, indexes[0])
    names = [n for n in listing if n.endswith((*DIRECTORY_SUFFIXES, ".zip"))]
    # a zip archive of checkpoints (stable-baselines3's) is named like one: opening it says what to extract
    found = [p for p in (os.path.join(directory, n) for n in names[:_MAX_DIRECTORY_SNIFF])
             if os.path.isfile(p) and (any(m.sniff(p) for m in _other_formats())
                                       or p.endswith(".zip") and bool(_checkpoints_in_zip(p)))]
    targets = {os.path.realpath(p) for p in found}
    if len(found) > 1 and len(targets) == 1:  # Lightning's last.ckpt linked to the latest epoch=N-step=M.ckpt
        return next((p for p in found if not os.path.islink(p)), found[0])
    if sorted(os.path.basename(p) for p in found) == ["model.safetensors", "pytorch_model.bin"]:
        # one model saved both ways (save_pretrained): PyTorch's from_pretrained reads the safetensors file
        return next(p for p in found if p.endswith(".safetensors"))
    if len(found) > 1:
        raise CheckpointNotFoundError("this directory holds several checkpoints; name one: "
                                      + ", ".join(os.path.basename(p) for p in found), path=directory)
    return found[0] if found else None


_READABLE = "ckpt-doctor reads TensorFlow, PyTorch, safetensors, NumPy and Keras checkpoints"


def _not_readable(path: str) -> str:
    """Why a file that exists is not read, in words that fit what it looks like."""
    readable = _READABLE
    if os.path.getsize(path) == 0:
        return _io.empty(path).message
    from . import _sstable

    if _sstable.is_table(path):  # a V1 file was read before this; a table that is not one is a V2 bundle's index
        return ("a TensorFlow checkpoint index under another name: TensorFlow finds a checkpoint by its prefix, as "
                "PREFIX.index beside PREFIX.data-00000-of-0000N; give it that name and name the prefix")
    pt2 = _code_archive(path)
    if pt2:
        return pt2
    inside = _checkpoints_in_zip(path)
    if inside is not None:  # stable-baselines3 saves model.zip around policy.pth, policy.optimizer.pth, ...
        if not inside:
            return f"a zip archive that holds no checkpoint file; {readable}"
        shown = ", ".join(inside[:5]) + (f" and {len(inside) - 5} more" if len(inside) > 5 else "")
        return (f"a zip archive, not a checkpoint itself; it holds {shown}: extract the one you mean "
                f"(unzip {os.path.basename(path)} NAME) and name that")
    suffix = os.path.splitext(path)[1].lower()
    from ._zip import read_magic

    head = read_magic(path, 8)
    if head.startswith(b"GGUF"):
        return (f"a GGUF file (llama.cpp's format for inference), which ckpt-doctor does not read; {readable} (the "
                "weights it was converted from are one of these)")
    if head[4:8] == b"TFL3":
        return f"a TensorFlow Lite model (an exported flatbuffer), not a training checkpoint; {readable}"
    if suffix == ".msgpack":
        return (f"a Flax msgpack file (flax.serialization), which ckpt-doctor does not read; {readable} (transformers "
                "saves the same weights as safetensors: model.save_pretrained(DIR) of the PyTorch or TF class)")
    if suffix == ".onnx":
        return f"an ONNX model, not a training checkpoint; {readable}"
    if suffix == ".mlmodel":
        return f"a Core ML model (a model exported for Apple devices), not a training checkpoint; {readable}"
    if suffix in (".pt", ".pth", ".bin", ".ckpt"):
        return ("not a PyTorch checkpoint ckpt-doctor can read (neither torch.save's zip format nor a legacy "
                "pickle), nor a TensorFlow file")
    if suffix == ".safetensors":  # (its sniffer refused it: the header's length or JSON is not there)
        return ("not a safetensors file: one starts with the length of its JSON header (8 bytes, little-endian) and "
                "that header; this one does not (a different format under this name, or a damaged file)")
    if suffix == ".meta":
        return ("a TF1 graph (MetaGraphDef) without its checkpoint next to it (no .index, V1 file or V1 shards with "
                "the same prefix)")
    if suffix in (".pb", ".pbtxt"):
        return f"a TensorFlow graph, not a checkpoint; {readable} (a SavedModel's values are in variables/)"
    return f"not a checkpoint format ckpt-doctor recognises; {readable}"


def _code_archive(path: str) -> str | None:
    """What a PyTorch archive of code and weights is (a torch.package; ``torch.export.save``'s ``.pt2``, an
    AOTInductor package), or None. A ``.pt2``'s ``data/sample_inputs/model.pt`` is the example inputs, not the
    weights, so it is not named as a checkpoint."""
    from . import _zip

    if not _zip.is_zip(path):
        return None
    try:
        members = _zip.open_archive(path).members
    except CheckpointError:
        return None
    name = os.path.basename(path)
    packaged = [n.split("/", 1) for n in members if n.count("/") == 2 and n.endswith("/.data/extern_modules")]
    if packaged:  # torch.package: `<root>/<package path>/<resource>.pkl` beside the code it packaged
        root = packaged[0][0]
        pickles = sorted(n[len(root) + 1:] for n in members
                         if n.startswith(root + "/") and n.endswith(".pkl") and "/.data/" not in n)
        package, _, resource = (pickles[0].rpartition("/") if pickles else ("PACKAGE", "", "RESOURCE.pkl"))
        shown = f" (its pickles: {', '.join(pickles[:5])}{' ...' if len(pickles) > 5 else ''})" if pickles else ""
        return ("a torch.package archive (torch.package.PackageExporter): Python code with pickles that need it"
                f"{shown}, which ckpt-doctor does not run. Its weights as a file ckpt-doctor reads (this runs the "
                "archive's code: only for a file you trust): import torch; torch.save(torch.package.PackageImporter("
                f"{name!r}).load_pickle({package.replace('/', '.')!r}, {resource!r}).state_dict(), 'state_dict.pt')")
    roots = {n.split("/", 1)[0] for n in members if n.count("/") == 1 and n.endswith("/archive_format")}
    if not roots:
        return None
    if any(n.split("/", 1)[0] in roots and "/models/" in n and n.endswith(".json") for n in members):
        return ("a torch.export archive (torch.export.save, an ExportedProgram): a graph with its weights, not a "
                "checkpoint ckpt-doctor reads. Its weights as a file ckpt-doctor reads: import torch; "
                f"torch.save(torch.export.load('{name}').state_dict, 'state_dict.pt')")
    return ("a PyTorch 2 package (.pt2, e.g. AOTInductor's compiled model), not a checkpoint ckpt-doctor reads; "
            "save the state dict of the model it was exported from: torch.save(model.state_dict(), 'state_dict.pt')")


def _checkpoints_in_zip(path: str) -> list[str] | None:
    """The members named like checkpoints of a zip archive none of the readers took, or None if it is no zip."""
    from . import _zip

    if not _zip.is_zip(path):
        return None
    try:
        members = _zip.open_archive(path).members
    except CheckpointError:
        return None
    return [n for n in members if n.lower().endswith(DIRECTORY_SUFFIXES) or n.endswith(".index")]


def _hub_snapshot(directory: str) -> str | None:
    """In a Hugging Face hub cache entry (``models--org--name/`` with ``refs/main`` and ``snapshots/<hash>/``), the
    snapshot ``refs/main`` names, else None."""
    ref = os.path.join(directory, "refs", "main")
    if not os.path.basename(os.path.normpath(directory)).startswith(("models--", "datasets--")) or \
            not os.path.isfile(ref):
        return None
    try:
        with open(ref, encoding="utf-8") as f:
            revision = f.read(256).strip()
    except (OSError, UnicodeDecodeError):
        return None
    snapshot = os.path.join(directory, "snapshots", revision)
    return snapshot if revision and "/" not in revision and os.path.isdir(snapshot) else None


def _hub_models(directory: str) -> str:
    """A Hugging Face hub cache (``~/.cache/huggingface/hub``): the model entries to name instead ("" if none)."""
    try:
        entries = sorted(n for n in os.listdir(directory) if n.startswith("models--")
                         and os.path.isdir(os.path.join(directory, n)))
    except OSError:
        return ""
    if not entries:
        return ""
    shown = ", ".join(os.path.join(directory, n, "") for n in entries[:5])
    return f"it is a Hugging Face hub cache: name a model's entry ({shown}{' ...' if len(entries) > 5 else ''})"


def _no_checkpoint_in(found: discovery.Discovery, directory: str) -> str:
    msg = "no complete checkpoint in this directory"
    if found.notes:
        return "; ".join([msg, *found.notes])
    models = _hub_models(directory)
    if models:
        return f"{msg}; {models}"
    hint = _checkpoints_below(directory)
    return f"{msg}; {hint}" if hint else msg


def _checkpoints_below(directory: str) -> str:
    """What a directory with no checkpoint of its own holds instead: an unfinished DCP save, or subdirectories with
    checkpoints ("" when neither)."""
    distcp = _dcp_data_files(directory)
    if distcp:  # torch.distributed.checkpoint writes .metadata last, once every rank's data is written
        return (f"it holds PyTorch distributed checkpoint (DCP) data ({', '.join(distcp[:3])}) but no .metadata, "
                "which DCP writes last: the save did not finish, or .metadata was not copied")
    holding = _subdirectories_with_checkpoints(directory)
    if not holding:
        return ""
    shown = holding[-3:]
    hint = "name one in a subdirectory: " + ", ".join(os.path.join(directory, d, "") for d in shown)
    return hint + (f" (the highest numbered {len(shown)} of {len(holding)})" if len(holding) > len(shown) else "")


def _dcp_data_files(directory: str) -> list[str]:
    try:
        return sorted(n for n in os.listdir(directory) if n.endswith(".distcp"))
    except OSError:
        return []


def _numbered(name: str) -> list:
    """Sort key putting `checkpoint_10` after `checkpoint_9`."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


def _subdirectories_with_checkpoints(directory: str) -> list[str]:
    """The subdirectories holding a file named like a checkpoint (a user who named the parent directory), looking
    one level further into those that hold none (accelerate's `project/checkpoints/checkpoint_N`), in numbered order;
    at most _MAX_DIRECTORY_SNIFF directories are listed."""
    budget = [_MAX_DIRECTORY_SNIFF]

    def listing(path: str) -> tuple[list[str], bool]:
        budget[0] -= 1
        try:
            entries = list(os.scandir(path))
        except OSError:
            return [], False
        holds = any(e.name.endswith((".index", *DIRECTORY_SUFFIXES)) or e.name in (".metadata", "saved_model.pb")
                    for e in entries)  # a SavedModel directory is named itself, not its variables/
        return sorted((e.name for e in entries if e.is_dir() and not e.name.startswith(".")), key=_numbered), holds

    out: list[str] = []
    for name in listing(directory)[0]:
        if budget[0] <= 0:
            break
        inner, holds = listing(os.path.join(directory, name))
        if holds:
            out.append(name)
            continue
        for sub in inner:
            if budget[0] <= 0:
                break
            if listing(os.path.join(directory, name, sub))[1]:
                out.append(os.path.join(name, sub))
    return out


def _not_found(path: str) -> str:
    import difflib  # only for this message: keeps start-up light

    if os.path.exists(path):  # neither a regular file nor a directory: nothing to suggest instead
        return "not a regular file (a device, pipe or socket), so not a checkpoint"
    if os.path.islink(path):
        return "a broken symbolic link (its target does not exist, or the links form a loop)"
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"no such checkpoint (directory {parent} does not exist either)"
    if os.path.isdir(path + ".index"):
        return f"{os.path.basename(path)}.index is a directory, not a TensorFlow checkpoint index file"
    try:
        prefixes = [os.path.basename(f.prefix) for f in discovery.scan(parent)]
    except (OSError, CheckpointError):
        prefixes = []
    try:  # files and directories of the formats read by name: `model.pth` for `modle.pth`, `run_1/` for `run1`
        entries = [e for e in sorted(os.listdir(parent)) if not e.startswith(".") and
                   (e.lower().endswith(DIRECTORY_SUFFIXES) or os.path.isdir(os.path.join(parent, e)))]
    except OSError:
        entries = []
    names = list(dict.fromkeys(prefixes + entries))
    if not names:
        return f"no such checkpoint, and {parent} holds none"
    close = difflib.get_close_matches(os.path.basename(path), names, n=3, cutoff=0.3)
    nearest = close or (prefixes or names)[-3:]
    hint = ", ".join(os.path.join(parent, n) for n in nearest)
    tail = " (a TF checkpoint is named by its prefix, without .index)" if any(n in prefixes for n in nearest) else ""
    if not close:  # (nothing spelled like it: what is there, not a "nearest" that is not near)
        return f"no such checkpoint, nor one named like it; {parent} holds {hint}{tail}"
    return f"no such checkpoint; nearest existing: {hint}{tail}"
