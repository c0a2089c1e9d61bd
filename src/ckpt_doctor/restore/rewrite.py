"""``rewrite``: a repaired copy of a checkpoint, under the names the rules give, in any writable format.

Every entry's name goes through the rules (renames, prefixes, drops) and, where a transform rule says so, its value
through a transform; the result is written by ``formats.write.write_checkpoint`` (temporary files, read back and
compared, renamed into place). TF2 object-based checkpoints keep their object graph, renamed to match the new keys,
unless a name-based checkpoint is asked for. Nothing is written when two entries would get one name or a name is
empty.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from ..catalog import VARIABLE, Catalog, TensorInfo
from ..dtypes import TF_ENUM
from ..errors import CheckpointError, MissingShardError, UnsupportedError, UsageError
from ..formats import open_checkpoint
from ..formats._writing import RawBytes, Tensor
from ..formats.registry import DIRECTORY_SUFFIXES, implied_by_name, read_only_by_name, write_as
from ..formats.tf_bundle import OBJECT_GRAPH_KEY
from ..formats.write import FORMATS, WriteResult, write_checkpoint
from ..match.names import strip_name
from ..match.rules import Drop, RuleError, Rules, apply_transform, few, transformed_meta

ATTRIBUTES = "/.ATTRIBUTES/"
NAMESPACES = ("key", "object", "full_name")
_NAME_OF = {"key": "key", "object": "object path", "full_name": "TF1 variable name"}  # for messages
# Output format a rewrite keeps when --to is not given.
_PROGRESS_BYTES = 256 << 20  # show a progress bar on a terminal above this much data


@dataclass
class Move:
    """One entry of the output: where it comes from, its new name, and what happens to its value."""

    source: str
    name: str
    transform: str | None
    dtype: str
    shape: tuple[int, ...]


@dataclass
class RewriteResult:
    """What ``rewrite`` wrote (or, for a dry run, would write): every ``Move`` (old -> new name, transform), the
    dropped entries, notes, the rules applied with their counts, and ``written`` (files and checksums)."""

    source: str
    out: str
    format: str
    moves: list[Move]  # in the order the values are written
    dropped: list[str]
    notes: list[str] = field(default_factory=list)
    written: WriteResult | None = None  # None for a dry run
    rules_applied: list[tuple[str, int]] = field(default_factory=list)  # (rule, entries it changed), in rule order

    @property
    def renamed(self) -> list[Move]:
        return [m for m in self.moves if m.name != m.source or m.transform]

    def render(self, verbose: bool | None = None, limit: int = 10) -> str:
        """What was (or would be) written: every ``old -> new`` line for a dry run or ``verbose``, else the counts,
        the rules applied, and the first ``limit`` renames and drops."""
        full = self.written is None if verbose is None else verbose
        renamed = [f"{m.source} -> {m.name}" + (f"  [{m.transform}]" if m.transform else "")
                   for m in self.moves if m.source != m.name or m.transform]
        kept = len(self.moves) - len(renamed)
        lines = []
        if not full and self.rules_applied:
            lines.append("rules applied:")
            lines += _first([f"  - {rule} ({n} entr{'y' if n == 1 else 'ies'})" for rule, n in self.rules_applied],
                            limit, "rules")
        lines += _first(renamed, None if full else limit, "renames")
        if kept and renamed:  # with nothing renamed, the counts below say it
            lines.append(f"({kept} other entr{'y keeps its' if kept == 1 else 'ies keep their'} name)")
        lines += _first([f"{name} -> (dropped)" for name in self.dropped], None if full else limit, "drops")
        lines += [f"note: {n}" for n in self.notes]
        counts = f"{len(renamed)} renamed" + (f" ({sum(1 for m in self.moves if m.transform)} with a value transform)"
                                              if any(m.transform for m in self.moves) else "") + \
            f", {kept} unchanged, {len(self.dropped)} dropped"
        if self.written is None:
            lines.append(f"dry run: would write {len(self.moves)} tensors to {self.out} ({self.format}): {counts}; "
                         "nothing written")
        else:
            w = self.written
            lines.append(f"wrote {w.tensors} tensors ({_human(w.bytes)}) to {self.out} ({self.format}): {counts}; "
                         "every name, dtype, shape and value checksum read back and matched")
        return "\n".join(lines)

    def __repr__(self) -> str:  # a notebook shows the counts, not every move (render() lists them)
        done = "dry run" if self.written is None else "written"
        changed = sum(1 for m in self.moves if m.source != m.name or m.transform)
        return (f"<RewriteResult {self.source!r} -> {self.out!r} ({self.format}, {done}): {len(self.moves)} "
                f"tensors, {changed} renamed or transformed, {len(self.dropped)} dropped>")

    def to_json(self) -> dict:
        """The result as ``rewrite --json`` prints it: every move, the drops, notes, rules applied, files."""
        return {"source": self.source, "out": self.out, "format": self.format, "dry_run": self.written is None,
                "moves": [{"from": m.source, "to": m.name, "transform": m.transform, "dtype": m.dtype,
                           "shape": list(m.shape)} for m in self.moves],
                "dropped": self.dropped, "notes": self.notes,
                "rules_applied": [{"rule": rule, "entries": n} for rule, n in self.rules_applied],
                "files": self.written.files if self.written else []}


def rewrite(checkpoint: str | os.PathLike | Catalog, rules: Rules | str | os.PathLike | None, out: str | os.PathLike,
            *, to: str | None = None, overwrite: bool = False, dry_run: bool = False, namespace: str | None = None,
            name_based: bool = False, max_shard_bytes: int | None = None, progress: bool | None = None,
            partial: bool = False) -> RewriteResult:
    """Write a copy of ``checkpoint`` with the names (and values) ``rules`` give, to ``out``.

    Args:
        checkpoint: a checkpoint path or an opened ``Catalog``.
        rules: a ``Rules``, a rule file, or None (a plain copy or conversion).
        out: the output: a TF prefix (``dir/model.ckpt-1``) or a file.
        to: output format, ``tf``, ``safetensors``, ``npz``, ``torch`` or ``keras3``; default: the one the
            output's suffix names (``.safetensors``, ``.npz``, ``.pt``, ``.weights.h5``), else the input's.
        overwrite: replace an existing output (never the input itself).
        dry_run: work out and return the plan, write nothing.
        namespace: which names the rules speak of: ``"key"`` (checkpoint keys without TF's attribute suffix),
            ``"object"`` (TF2 object paths) or ``"full_name"`` (TF1 variable names of a TF2 checkpoint; the output
            is then name-based, restorable by a TF1 ``Saver``); default: a TF2 checkpoint's object paths (as
            ``align`` writes rules for it and ``diagnose --rules`` reads them; a model value the optimizer also
            tracks is saved under the optimizer's key, ``optimizer/_trainable_variables/0``), unless the rules
            change entries by key and none by object path; else keys. A note says which, where it matters.
        name_based: TF output from a TF2 checkpoint without its object graph.
        max_shard_bytes: TF output: start a new data file past this size.
        progress: show a progress bar (default: on a terminal, for large inputs).
        partial: write what a checkpoint with missing files still holds (``salvage`` does); by default such a
            checkpoint is refused (``MissingShardError``), as its copy would lack the missing files' tensors.

    Returns:
        A ``RewriteResult``: every move (old name -> new name, transform), the dropped entries, the files written.

    Example:
        >>> import importlib.resources, tempfile
        >>> from ckpt_doctor import Prefix, Rules
        >>> seed = importlib.resources.files("ckpt_doctor") / "examples" / "seed"
        >>> out = tempfile.mkdtemp() + "/fixed/model.ckpt-1"
        >>> r = rewrite(str(seed), Rules([Prefix("model_scope/", "different_model_scope/")]), out)
        >>> [(m.source, m.name) for m in r.moves]
        [('model_scope/bias', 'different_model_scope/bias'), ('model_scope/weight', 'different_model_scope/weight')]
    """
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    if catalog.missing_files and not partial:  # a shard's tensors are not even listed: the copy would lose them
        shown = ", ".join(os.path.basename(f) for f in catalog.missing_files[:3])
        raise MissingShardError(f"{len(catalog.missing_files)} file(s) of this checkpoint are missing ({shown}): a "
                                "copy would lack their tensors; verify --salvage OUT writes what is left, saying so",
                                path=catalog.missing_files[0])
    if rules is None:
        rules = Rules([])
    elif not isinstance(rules, Rules):
        rules = Rules.load(rules)
    notes = []
    if namespace is None:
        namespace, mattered = _namespace(catalog, rules)
        named = next((i for i in catalog.values() if i.full_name and i.full_name != strip_name(i.name)), None)
        example = f"`{named.full_name}` for `{named.name}`" if named else ""
        if mattered:
            notes.append({"object": "the rules are applied to the checkpoint's TF2 object paths (--namespace object; "
                                    "as `align` writes them), which differ from the keys of values an optimizer also "
                                    "tracks",
                          "full_name": "the rules name the Keras file's values by their layers' own names, as "
                                       f"`align` writes them ({example}): applied to those (--namespace full_name; "
                                       "every entry is written under that name unless a rule renames it)",
                          "key": "the rules name no TF2 object path: applied to the checkpoint's keys (--namespace "
                                 "key)"}[namespace])
    if namespace not in NAMESPACES:
        raise RuleError(f"namespace must be one of {', '.join(NAMESPACES)}, not {namespace!r}")
    fmt, out = _output(catalog, out, to)
    if max_shard_bytes and fmt != "tf":  # only TF bundles are written in several data files
        raise UsageError(f"max_shard_bytes / --max-shard-bytes splits TF output only; {fmt} is written as one file",
                         path=out)

    graph = catalog.get(OBJECT_GRAPH_KEY)
    keep_graph = graph is not None and fmt == "tf" and not name_based and namespace != "full_name"
    if graph is not None and not keep_graph:
        notes.append("the TF2 object graph is not written: the output is name-based")
    moves, dropped = [], []
    by_name: dict[str, str] = {}
    unmapped: set[str] = set()  # output names no rule produced
    applied: dict[int, int] = {}  # rule index -> entries it changed
    entries = _bundle_entries(catalog)
    for info in _data_order(catalog, entries):
        if info is graph:
            if keep_graph:
                moves.append(Move(info.name, info.name, None, info.dtype, info.shape))
            continue
        source, suffix = _source(info, namespace)
        mapped = rules.apply(source, len(info.shape))
        for i in mapped.applied:
            applied[i] = applied.get(i, 0) + 1
        if mapped.dropped:
            dropped.append(info.name)
            continue
        name = info.name if mapped.name == source and namespace != "full_name" else mapped.name + suffix
        if not mapped.name or not name:
            raise RuleError(f"the rules leave {info.name!r} with an empty name", path=catalog.path)
        if name in by_name:
            if name in unmapped and mapped.name == source:  # no rule involved: the namespace's names coincide
                raise RuleError(f"{by_name[name]!r} and {info.name!r} have the same {_NAME_OF[namespace]} "
                                f"{mapped.name!r}, and one output cannot hold both: drop them with a rule (--rules) "
                                f"or keep the checkpoint's keys (--namespace key)", path=catalog.path)
            raise RuleError(f"the rules map both {by_name[name]!r} and {info.name!r} to {name!r}", path=catalog.path)
        by_name[name] = info.name
        if mapped.name == source:
            unmapped.add(name)
        transform = mapped.transform if mapped.transform not in (None, "none") else None
        shape, dtype = transformed_meta(transform, info)
        moves.append(Move(info.name, name, transform, dtype, shape))
    if graph is not None and keep_graph and OBJECT_GRAPH_KEY in by_name:
        raise RuleError(f"the rules map {by_name[OBJECT_GRAPH_KEY]!r} onto the object graph's key", path=catalog.path)
    if keep_graph and any(m.name != m.source for m in moves):
        notes.append("the TF2 object graph is rewritten to match the new keys")
    if any(i.partitions for i in catalog.values()):
        notes.append("partitioned variables are written whole (one entry each)")
    if catalog.state_dict_at:  # a PyTorch training checkpoint: its nesting and its other objects are not kept
        notes.append(_training_note(catalog, moves))
    idle = rules.idle(applied)
    if idle:  # a mistyped scope writes an unchanged copy otherwise, and says nothing
        notes.append(f"{len(idle)} rule(s) changed no entry (is a name mistyped? `ckpt-doctor inspect` lists the "
                     f"{_NAME_OF[namespace]}s): {few(idle)}")
    new_keys: dict[str, str | None] = {m.source: m.name for m in moves}
    new_keys.update({name: None for name in dropped})
    graph_value = _renamed_graph(graph, new_keys, catalog.path) if keep_graph else None  # refused here if need be
    if fmt == "keras3":
        _check_keras3_paths(moves, out)
        notes += _keras3_name_note(out)
    result = RewriteResult(catalog.path, out, fmt, moves, dropped, notes,
                           rules_applied=[(rules.rules[i].describe(), n) for i, n in sorted(applied.items())])
    if not dry_run:
        _write(result, catalog, entries, graph_value, overwrite, max_shard_bytes, progress)
    elif not overwrite:
        _note_existing(result)
    return result


def rewrite_aligned(alignment, out: str | os.PathLike, *, to: str | None = None, overwrite: bool = False,
                    dry_run: bool = False, progress: bool | None = None) -> RewriteResult:
    """Write the checkpoint an ``Alignment`` repairs: its rules applied by ``rewrite``; for Keras 3 weights
    (``.weights.h5``, ``to="keras3"``), which are stored by path, every value the printed fix restores written at its
    model variable's path (``layers/conv/vars/0``, from the live Keras 3 model or its spec), in the model's layout.
    Entries no variable takes are dropped (listed)."""
    catalog = alignment.diagnosis.checkpoint
    fmt, target = _output(catalog, out, to)
    if fmt != "keras3":
        result = rewrite(catalog, alignment.rules, out, to=to, overwrite=overwrite, dry_run=dry_run,
                         namespace=namespace_of(alignment), progress=progress)
        if alignment.zeros:  # no checkpoint value holds them: the file has none
            result.notes.append(f"{len(alignment.zeros)} variable(s) must be zero and are not in the file (e.g. "
                                f"{alignment.zeros[0]!r}, PyTorch's b_hh beside a Keras recurrent bias in b_ih): "
                                "load with strict=False and zero them, or restore with ckpt_doctor.restore")
        return result
    from ..match.fixes import sources, value_transforms

    restored = sources(alignment)
    ops = value_transforms(alignment, restored)
    paths = {v.name: v.keys.get("keras3") for v in alignment.diagnosis.model.variables}
    lacking = [m for m in restored if not paths.get(m)]
    if lacking:
        raise UsageError(f"the model gives no Keras 3 weight path (layers/<layer>/vars/<i>) for {lacking[0]!r}"
                         + (f" and {len(lacking) - 1} more" if len(lacking) > 1 else "") + ": Keras 3 reads "
                         ".weights.h5 files by those paths, known only for a Keras 3 model (or its spec); write "
                         "another format", path=catalog.path)
    moves = []
    for m, key in restored.items():
        op = ops.get(m)
        shape, dtype = transformed_meta(op, catalog[key])
        moves.append(Move(key, paths[m], op, dtype, shape))
    used = set(restored.values())
    notes = ["every value is written at its model variable's Keras 3 path (layers/<layer>/vars/<i>)",
             *_keras3_name_note(target)]
    without = [v.name for v in alignment.diagnosis.model.variables if v.name not in restored and paths.get(v.name)]
    if without:
        notes.append(f"{len(without)} model variable(s) get no value (e.g. {without[0]!r}): Keras 3's load_weights "
                     "loads the other layers, then raises ValueError naming theirs (catch it, or restore with "
                     "ckpt_doctor.restore(model, path, strict=False), which lists them)")
    result = RewriteResult(catalog.path, target, fmt, moves, [k for k in catalog if k not in used], notes)
    if not dry_run:
        _write(result, catalog, {}, None, overwrite, None, progress)
    elif not overwrite:
        _note_existing(result)
    return result


def _first(lines: list[str], limit: int | None, what: str) -> list[str]:
    if limit is None or len(lines) <= limit + 1:
        return lines
    indent = lines[0][:len(lines[0]) - len(lines[0].lstrip())]
    return lines[:limit] + [f"{indent}... {len(lines) - limit} more {what} (use --json or -v for all)"]


def _note_existing(result: RewriteResult) -> None:
    from ..formats.write import targets

    existing = targets(result.out, result.format)
    if existing:
        result.notes.append(f"{existing[0]} exists: writing needs overwrite=True / --force")


def _keras3_name_note(out: str) -> list[str]:
    if out.endswith(".weights.h5"):
        return []
    return ["Keras 3's load_weights takes only files whose name ends in .weights.h5: rename the output to load it"]


def _check_keras3_paths(moves: list[Move], path: str) -> None:
    """Keras 3 weights are stored by path: names that are none would give a file Keras cannot load."""
    from ..formats.keras_h5 import _KERAS3_ROOTS

    if moves and not any(m.name.split("/", 1)[0] in _KERAS3_ROOTS for m in moves):
        raise UsageError(f"Keras 3 weights are stored by path (layers/<layer>/vars/<i>), and the rules give other "
                         f"names (e.g. {moves[0].name!r}): map the names there with rules, or let `ckpt-doctor align "
                         "CKPT --model M --rewrite OUT.weights.h5` write each value at its model variable's path",
                         path=path)


def _output(catalog: Catalog, out: str | os.PathLike, to: str | None) -> tuple[str, str]:
    """(the output format, the output path) for ``out`` and ``to``, as ``rewrite`` documents them."""
    # a directory (existing, or named with a trailing separator) takes the input's name
    into_directory = os.path.isdir(os.fspath(out)) or os.fspath(out).endswith(("/", os.sep))
    implied = None if into_directory else implied_by_name(os.fspath(out))
    if to is not None and implied is not None and implied != to:
        raise UsageError(f"the output {os.fspath(out)!r} is named like a {implied} file, but {to} was asked for: "
                         f"rename the output or drop to= / --to")
    read_only = None if into_directory or to is not None else read_only_by_name(os.fspath(out))
    if read_only:
        raise UsageError(f"the output {os.fspath(out)!r} ends in {read_only}, a kind of file rewrite reads but does "
                         "not write: name it .weights.h5 for Keras 3 weights (.npz for NumPy arrays), or choose a "
                         f"format with to= / --to ({', '.join(FORMATS)})")
    fmt = to or implied or write_as(catalog.format)
    if fmt is None:
        raise CheckpointError(f"a {catalog.format} checkpoint is not written back in its own format: choose one "
                              f"with to= / --to ({', '.join(FORMATS)})", path=catalog.path)
    if fmt not in FORMATS:
        raise CheckpointError(f"unknown output format {fmt!r} (one of: {', '.join(FORMATS)})")
    out = os.fspath(out)
    if into_directory:  # the input's name, with the output format's suffix
        base = os.path.basename(catalog.path.rstrip(os.sep))
        if fmt != "tf":
            base = base.split(".", 1)[0] + FORMATS[fmt][2]
        elif catalog.format not in ("tf-v2", "tf-v1"):  # a TF prefix `model`, not `model.pth` (.pth.index)
            suffixes = (*DIRECTORY_SUFFIXES, ".weights.h5", ".safetensors.index.json")  # a sharded set: its index
            base = next((base[:-len(s)] for s in sorted(suffixes, key=len, reverse=True)
                         if base.lower().endswith(s) and len(base) > len(s)), base)
        out = os.path.join(out, base)
    return fmt, out


def _write(result: RewriteResult, catalog: Catalog, entries: dict, graph_value, overwrite: bool,
           max_shard_bytes: int | None, progress: bool | None) -> None:
    """Write ``result``'s moves (verified, renamed into place) and record the files in ``result.written``."""
    fmt, out, graph = result.format, result.out, catalog.get(OBJECT_GRAPH_KEY)
    tensors = []
    for m in result.moves:
        info = catalog[m.source]
        if info is graph:
            tensors.append(Tensor(m.name, m.dtype, m.shape, lambda: graph_value))
        else:
            raw = _raw_source(catalog, info, entries) if fmt == "tf" and m.transform is None else None
            tensors.append(Tensor(m.name, m.dtype, m.shape, _reader(info, m.transform), raw))
    options: dict[str, Any] = {"max_shard_bytes": max_shard_bytes} if fmt == "tf" and max_shard_bytes else {}
    total = sum(i.nbytes for i in catalog.values())
    show = progress if progress is not None else (total >= _PROGRESS_BYTES and sys.stderr.isatty())
    with _progress_bar(show, total) as tick:
        try:
            result.written = write_checkpoint(tensors, out, fmt, overwrite=overwrite, protect=catalog.files,
                                              progress=tick, **options)
        except UnsupportedError as e:  # a dtype the output format lacks (strings, bfloat16 in .npz): name the way on
            source = next((m.source for m in result.moves if m.name == e.tensor), None)
            if source is None or e.path is None and e.tensor is None:
                raise
            pattern = f"^{re.escape(strip_name(source))}$"
            dtype = catalog[source].dtype
            way = (f"a rule `transform: {{match: \"{pattern}\", op: \"cast(float32)\"}}` converts it, "
                   if dtype.startswith(("bfloat16", "float8")) else "")
            keep = " (--to tf keeps it)" if fmt != "tf" and dtype in TF_ENUM else ""  # a TF bundle holds this dtype
            raise UnsupportedError(f"{e.args[0]}; {way}a rule `drop: \"{pattern}\"` leaves it out{keep}", path=e.path,
                                   tensor=e.tensor) from None


def namespace_of(alignment) -> str:
    """The names an ``Alignment``'s rules speak of, as ``rewrite``'s ``namespace`` calls them."""
    if alignment.diagnosis.object_root is not None:
        return "object"
    # the names the alignment was inferred on: a Keras 3 file's full_name (its owning layer's own name) is not one
    catalog = alignment.diagnosis.checkpoint
    return "full_name" if any(k in catalog and name == catalog[k].full_name and name != strip_name(k)
                              for k, name in alignment.checkpoint_names.items()) else "key"


def _training_note(catalog: Catalog, moves: list[Move]) -> str:
    """What a rewrite keeps of a PyTorch training checkpoint (``{"model": state_dict, "optimizer": ..., "epoch": 3}``):
    its tensors, in one flat dict; not its nesting nor what is not a tensor."""
    at = "/".join(str(p) for p in catalog.state_dict_at or ())
    outside = [m.name for m in moves if "/" in m.source and catalog[m.source].kind != VARIABLE]
    tops = sorted({name.split("/", 1)[0] for name in outside})
    note = (f"the input is a training checkpoint (the model's state dict under {at!r}): the output is one flat dict "
            f"of its tensors, the model's keys at the top (not under {at!r}); what is not a tensor (an optimizer's "
            "param_groups, epoch numbers) is not written")
    if outside:
        pattern = "^(" + "|".join(re.escape(t) for t in tops) + ")/"
        note += (f"; {len(outside)} other tensor(s) are kept under their paths (`{outside[0]}`), which a strict "
                 f"load_state_dict refuses: a rule `drop: \"{pattern}\"` writes the model's state dict alone")
    return note


def _namespace(catalog: Catalog, rules: Rules) -> tuple[str, bool]:
    """(the names a TF2 checkpoint's rules speak of, whether the choice changes what they do). Object paths, which
    `inspect`, `diagnose` and `align` show and `align` writes its rules in, unless the rules change entries by key
    and none by object path. The two differ for the values an optimizer also tracks: a Keras 3 model's weights are
    saved under the optimizer's keys (`optimizer/_trainable_variables/0`), so `drop: "^optimizer/"` by key would
    drop the model's weights with the optimizer's state."""
    if not rules.rules:
        return "key", False
    if not any(i.object_path and ATTRIBUTES in i.name for i in catalog.values()):
        return _layer_namespace(catalog, rules)
    by_key: set[str] = set()
    by_object: set[str] = set()
    for info in catalog.values():
        if info.name == OBJECT_GRAPH_KEY:
            continue
        for namespace, changed in (("key", by_key), ("object", by_object)):
            source, _ = _source(info, namespace)
            mapped = rules.apply(source, len(info.shape))
            if mapped.dropped or mapped.name != source or mapped.transform not in (None, "none"):
                changed.add(info.name)
    if by_key and not by_object:
        return "key", True
    return "object", by_key != by_object


def _layer_namespace(catalog: Catalog, rules: Rules) -> tuple[str, bool]:
    """A Keras 3 file's rules apply to its layers' own names where they change more entries so than by key
    (``plan.layer_names_fit``), as ``diagnose --rules``, ``restore(rules=)`` and ``rewrite_aligned`` read them."""
    from .plan import layer_names_fit

    return ("full_name", True) if layer_names_fit(catalog, rules) else ("key", False)


def _source(info: TensorInfo, namespace: str) -> tuple[str, str]:
    """(the name the rules see, the suffix a renamed entry's key keeps)."""
    stripped = strip_name(info.name)
    suffix = info.name[len(stripped):]
    if namespace == "object" and info.object_path and ATTRIBUTES in info.name:
        return info.object_path, info.name[info.name.rindex(ATTRIBUTES):]
    if namespace == "full_name":
        return (info.full_name, "") if info.full_name else (stripped, suffix)
    return stripped, suffix


def _data_order(catalog: Catalog, entries: dict) -> list[TensorInfo]:
    """Entries in the order their bytes lie in the data files (TF bundles), else in catalog order: rewriting a
    bundle unchanged then gives the same bytes."""
    return sorted(catalog.values(), key=lambda i: entries.get(i.name, (0, 0))[:2])


def _raw_source(catalog: Catalog, info: TensorInfo, entries: dict) -> RawBytes | None:
    """Where an untransformed fixed-width tensor of a little-endian TF bundle lies, to copy it without reading it
    (also a variant, a tf.data iterator's state, which is never decoded: copied, its checksums checked)."""
    if catalog.format != "tf-v2" or info.name not in entries or info.partitions or info.dtype in ("string",
                                                                                                   "resource"):
        return None
    from ..formats.tf_bundle import data_path

    shard, offset, size, crc = entries[info.name]
    path = data_path(catalog.path, shard, entries[""][0])
    return RawBytes(path, offset, size, crc) if size == info.nbytes else None


def _bundle_entries(catalog: Catalog) -> dict:
    """The bundle's index entries by name; empty for other formats and for big-endian bundles (not copied raw)."""
    if catalog.format != "tf-v2":
        return {}
    from ..formats._sstable import read_table
    from ..formats._wire import message
    from ..formats.tf_bundle import _HEADER
    from ..formats.write import bundle_entries

    header = dict(message(read_table(catalog.path + ".index")[0][1], _HEADER))
    if header.get(2):  # big-endian
        return {}
    entries = bundle_entries(catalog.path)
    entries[""] = (header.get(1, 1), 0, 0, 0)  # the number of data files, under the header's key
    return entries


# --- value transforms: the vocabulary lives with the rules (match/rules.py) ----------------------------------


def _reader(info: TensorInfo, op: str | None):
    if op is None:
        return info.read
    return lambda: apply_transform(op, info.read())


def _renamed_graph(info: TensorInfo, new_keys: dict[str, str | None], path: str):
    import numpy as np

    from ..formats._object_graph import GraphRenameError, rename

    blob = bytes(info.read().reshape(-1)[0])
    try:
        renamed = rename(blob, new_keys)
    except GraphRenameError as e:
        raise RuleError(f"cannot rewrite the TF2 object graph: {e}", path=path, tensor=OBJECT_GRAPH_KEY) from None
    out = np.empty((), dtype=object)
    out[()] = renamed
    return out.reshape(info.shape)


class _progress_bar:
    """A rich progress bar on stderr (rich imported only when one is shown); yields the per-tensor callback."""

    def __init__(self, show: bool, total: int):
        self.show, self.total, self.bar = show, total, None

    def __enter__(self):
        if not self.show:
            return None
        try:
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
        except ImportError:
            return None
        self.bar = Progress("rewriting", BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True)
        self.bar.start()
        task = self.bar.add_task("rewrite", total=self.total)
        return lambda name, nbytes: self.bar.advance(task, nbytes)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def salvage(checkpoint: str | os.PathLike | Catalog, out: str | os.PathLike, *, to: str | None = None,
            overwrite: bool = False, report=None) -> RewriteResult:
    """Write the tensors of a damaged checkpoint that verify intact to a new checkpoint; the damaged ones are
    dropped (listed in the result). The copy is verified like every ``rewrite``.

    Args:
        checkpoint: the damaged checkpoint (its index or header must still open).
        out, to, overwrite: as for ``rewrite``.
        report: a ``VerifyReport`` of this checkpoint, if already made (else ``verify`` runs first).

    Example:
        ``salvage("damaged/model.ckpt-9", "salvaged/model.ckpt-9")`` (the CLI: ``verify PATH --salvage OUT``)
    """
    from ..verify import verify

    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    report = report if report is not None else verify(catalog)
    intact = set(report.intact)
    if not intact:
        raise CheckpointError("nothing to salvage: no tensor of this checkpoint reads back intact", path=catalog.path)
    damaged = [info for name, info in catalog.items() if name not in intact]
    rules = Rules([Drop("^" + re.escape(_source(info, "key")[0]) + "$") for info in damaged])
    graph_lost = OBJECT_GRAPH_KEY in catalog and OBJECT_GRAPH_KEY not in intact
    result = rewrite(catalog, rules, out, to=to, overwrite=overwrite, name_based=graph_lost, partial=True)
    result.rules_applied = []  # one drop rule per damaged tensor: the dropped list says it
    result.dropped += [n for names in catalog.unlisted.values() for n in names]  # listed by an index, never found
    if graph_lost:
        result.notes.append("the TF2 object graph is damaged: the salvaged checkpoint is name-based")
    return result
