"""``restore``: pair, assign through the framework, then read every variable back and compare.

Values stream in chunks of about 256 MB: each checkpoint value is read, transformed (and converted where the
framework casts) and the chunk handed to the framework; then every variable of the chunk is read back from the
framework and compared byte for byte with the value still in hand, which is then dropped: at most two copies of
one chunk exist, never of the model. Equal dtypes must match bit for bit. A declared cast (PyTorch converts dtypes
on load) that does not match bit for bit is compared value by value, within the rounding of the target dtype,
and says so. (Comparing in place was measured cheaper than fingerprinting both sides: CRC-32 of 1 GB on each
side cost about 30 % of the restore time.)
"""

from __future__ import annotations

import os
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..dtypes import to_numpy
from ..errors import RestoreError
from ..formats import open_checkpoint
from ..match.names import parse_transform
from ..match.rules import apply_transform
from ..model.spec import VariableSpec
from .adapters import Adapter, adapter_for
from .plan import AUTO, Assignment, Plan, entry_statuses, make_plan

# Model-variable outcomes.
TABLE_ROWS = 30  # rows of the proof table a report prints unless asked for all
VERIFIED = "verified"  # restored, and the value read back from the framework equals the checkpoint's
NOT_RESTORED = "not_restored"  # keeps its initial value
MISMATCH = "mismatch"  # assigned, but the value read back differs
NOT_BUILT = "not_built"  # (checkpoint side) the model object exists but has not created this variable yet
PAIRED = "paired"  # has a checkpoint value, not assigned (a strict restore refused before assigning anything)
_CHUNK = 256 << 20  # bytes of values handed to the framework per call


@dataclass
class VariableOutcome:
    """One model variable after a restore: ``status`` (verified / not_restored / mismatch / paired), the checkpoint
    entry and transform it came from, ``how`` it was paired and ``check`` (how it was verified, or why not)."""

    variable: VariableSpec
    status: str
    checkpoint_key: str | None = None
    transform: str | None = None
    how: str | None = None  # why the pair: "name", "rules", "inferred (prefix)", "slot of ..."
    check: str = ""  # "bit-exact", "cast float64 -> float32, max |diff| ...", or the reason it was not restored

    @property
    def is_weight(self) -> bool:
        return self.variable.is_weight

    def to_json(self) -> dict[str, Any]:
        """This outcome as one row of ``restore-check --json``."""
        v = self.variable
        out = {"name": v.name, "status": self.status, "kind": v.kind, "shape": list(v.shape), "dtype": v.dtype,
               "checkpoint_key": self.checkpoint_key, "transform": self.transform, "how": self.how,
               "check": self.check}
        if v.object_path:
            out["object_path"] = v.object_path
        return out


@dataclass
class RestoreReport:
    """Every model variable (verified / not restored / mismatch) and every checkpoint entry (used / unused /
    bookkeeping / not built)."""

    checkpoint: str
    model: str
    framework: str
    variables: list[VariableOutcome]
    entries: dict[str, str]  # checkpoint key -> used / unused / bookkeeping / not_built
    entry_notes: dict[str, str] = field(default_factory=dict)  # checkpoint key -> why (not built: which object)
    notes: list[str] = field(default_factory=list)
    assigned: bool = False  # False: nothing was assigned (strict restore refused before touching the model)
    seconds_restore: float = 0.0  # reading, transforming and assigning
    seconds_verify: float = 0.0  # reading back and comparing
    seconds_prepare: float = 0.0  # describing the live model and pairing, before any value is read
    bytes_restored: int = 0

    def weights(self, status: str | None = None) -> list[VariableOutcome]:
        """The model's weights' outcomes (optimizer state and counters apart), those with ``status`` if given."""
        return [o for o in self.variables if o.is_weight and (status is None or o.status == status)]

    def bookkeeping(self, status: str | None = None) -> list[VariableOutcome]:
        """Optimizer state, buffers and counters the model holds besides its weights, those with ``status``."""
        return [o for o in self.variables if not o.is_weight and (status is None or o.status == status)]

    def entries_with(self, status: str) -> list[str]:
        """Checkpoint keys with ``status``: used / unused / bookkeeping / not_built."""
        return [k for k, s in self.entries.items() if s == status]

    @property
    def ok(self) -> bool:
        """Every model weight restored and verified, and nothing in the checkpoint waits for an unbuilt layer."""
        return all(o.status == VERIFIED for o in self.weights()) and not self.entries_with(NOT_BUILT)

    @property
    def failed(self) -> bool:
        """A weight not restored or mismatched, or a value waiting for an unbuilt layer (known before assigning)."""
        return any(o.status in (NOT_RESTORED, MISMATCH) for o in self.weights()) or bool(self.entries_with(NOT_BUILT))

    def headline(self) -> str:
        """One line: how many weights were restored and verified, what went unused."""
        total = len(self.weights())
        verified, bad = len(self.weights(VERIFIED)), len(self.weights(NOT_RESTORED)) + len(self.weights(MISMATCH))
        values = [k for k, s in self.entries.items() if s != "bookkeeping"]
        unused = len([k for k in values if self.entries[k] != "used"])
        if self.ok:
            head = f"all {total} model weights restored and verified"
        elif not self.assigned:
            waiting = len(self.entries_with(NOT_BUILT))
            head = f"nothing restored: {bad} of {total} model weights would keep their initial values" + \
                (f", {waiting} checkpoint values wait for objects not built yet" if waiting else "")
        else:
            head = f"{verified} of {total} model weights restored and verified, {bad} not"
        slots = self.bookkeeping()
        tail = (f"; optimizer state and counters {len(self.bookkeeping(VERIFIED))} of {len(slots)} restored"
                if slots else "")
        return f"{head}; {unused} of {len(values)} checkpoint values unused{tail}"

    def groups(self, limit: int = 20) -> list[str]:
        """The problems, grouped, each with its names (at most ``limit`` per group)."""
        lines = []

        def group(title: str, items: list[str]) -> None:
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {x}" for x in items[:limit])
                if len(items) > limit:
                    lines.append(f"  ... and {len(items) - limit} more")

        group("not restored, keep their initial values",
              [f"{_label(o.variable)}: {o.check}" for o in self.weights(NOT_RESTORED)])
        group("MISMATCH: the value read back differs from the checkpoint",
              [f"{o.variable.name} <- {o.checkpoint_key}: {o.check}" for o in self.weights(MISMATCH)])
        group("checkpoint values for objects not built yet (build the model before restoring)",
              [f"{k}: {self.entry_notes.get(k, '')}" for k in self.entries_with(NOT_BUILT)])
        group("checkpoint values unused", self.entries_with("unused"))
        group("optimizer state and counters not restored", [o.variable.name for o in self.bookkeeping(NOT_RESTORED)])
        return lines

    def message(self) -> str:
        """The headline and the problems, grouped (what ``RestoreError`` says)."""
        return "\n".join([self.headline()] + self.groups())

    def table(self, limit: int | None = None) -> str:
        """The proof: one row per model variable; with ``limit``, past that many rows, every row not verified and
        the first verified ones, then how many verified rows are left out."""
        shown = self.variables
        if limit is not None and len(shown) > limit + 1:
            verified = [o for o in shown if o.status == VERIFIED]
            keep = {id(o) for o in verified[:max(limit - (len(shown) - len(verified)), 5)]}
            shown = [o for o in shown if o.status != VERIFIED or id(o) in keep]
        rows = [["status", "variable", "<- checkpoint", "transform", "check"]]
        for o in shown:
            rows.append([o.status, o.variable.name, o.checkpoint_key or "-", o.transform or "-", o.check])
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=False)) + "  " + r[4] for r in rows]
        if len(shown) < len(self.variables):
            out.append(f"... {len(self.variables) - len(shown)} more rows, all verified (use --json or -v for all)")
        return "\n".join(x.rstrip() for x in out)

    def render(self, verbose: bool = False) -> str:
        """The headline, the proof table (past ``TABLE_ROWS`` rows: every row not verified and the first verified
        ones, unless ``verbose``), the problems grouped, the notes."""
        timing = (f"preparation {self.seconds_prepare:.2f} s, restore {self.seconds_restore:.2f} s, verification "
                  f"{self.seconds_verify:.2f} s"
                  if self.assigned else "nothing assigned")
        lines = [f"{self.headline()}", f"checkpoint {self.checkpoint}  model {self.model} ({self.framework}); "
                 f"{timing}", "", self.table(None if verbose else TABLE_ROWS)]
        groups = self.groups()
        if groups:
            lines += [""] + groups
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __str__ = render  # print(restore(...)) shows the proof table, not every field

    def __repr__(self) -> str:  # a notebook shows the verdict, not every field of every outcome
        return f"<RestoreReport {self.framework} {self.model!r} <- {self.checkpoint!r}: {self.headline()}>"

    def to_json(self) -> dict[str, Any]:
        """The report as ``restore-check --json`` prints it."""
        return {"checkpoint": self.checkpoint, "model": self.model, "framework": self.framework, "ok": self.ok,
                "assigned": self.assigned, "headline": self.headline(),
                "counts": {s: len(self.weights(s)) for s in (VERIFIED, NOT_RESTORED, MISMATCH)}
                | {f"entries_{s}": len(self.entries_with(s)) for s in ("used", "unused", "bookkeeping", NOT_BUILT)},
                "seconds_prepare": round(self.seconds_prepare, 4),
                "seconds_restore": round(self.seconds_restore, 4), "seconds_verify": round(self.seconds_verify, 4),
                "bytes_restored": self.bytes_restored, "notes": self.notes,
                "variables": [o.to_json() for o in self.variables],
                "entries": [{"name": k, "status": s, **({"note": self.entry_notes[k]} if k in self.entry_notes else {})}
                            for k, s in self.entries.items()]}


def _label(var: VariableSpec) -> str:
    """The variable's name, and its object path where that differs (TF2: the path is what restore matches)."""
    return f"{var.name} (object path {var.object_path})" if var.object_path and var.object_path != var.name \
        else var.name


def restore(model: Any, checkpoint: str | os.PathLike | Catalog, *, rules: Any = AUTO, strict: bool = True,
            load_with: Any = None, root: str | None = None,
            progress: Callable[[int, int], None] | None = None, prefer_names: bool = False) -> RestoreReport:
    """Load ``checkpoint`` into the live ``model`` through its framework, then read every variable back and prove
    it holds the checkpoint's value.

    Args:
        model: a ``torch.nn.Module`` (Hugging Face models included), a ``tf.Module`` / Keras 3 / tf-keras model /
            ``tf.train.Checkpoint`` (eager), or a TF1 ``Session`` (or a graph / variable list with a default
            session on it).
        checkpoint: a checkpoint path or an opened ``Catalog``.
        rules: ``"auto"`` (default): the alignment's proven pairs only (ambiguous variables are never assigned);
            a ``Rules`` or rule file: renames first, then the framework's matching; ``None``: the framework's
            matching as is (for Hugging Face models, with ``from_pretrained``'s base-model prefix handling).
        strict: raise ``RestoreError`` when a model weight would not be restored (before anything is assigned),
            or when a value read back differs (after).
        load_with: the restore semantics to match names with, passed on to ``diagnose`` where it accepts it.
        root: TF2 only: the model's name in its ``tf.train.Checkpoint``; default: the root the checkpoint uses.
        progress: called as ``progress(bytes_done, bytes_total)`` while values are assigned.
        prefer_names: with ``"auto"``: ``align``'s choice of the framework's by-name pairs where equally good
            renumberings tie (a choice, not proved; the report's notes say how many pairs rest on it).

    Returns a ``RestoreReport``; ``report.ok`` is True when every model weight was restored and verified.
    """
    start = time.perf_counter()
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    catalog.check_object_root(root)
    adapter = adapter_for(model, root=root)
    plan = make_plan(catalog, adapter.spec, rules, load_with=load_with, prefix_rule=adapter.prefix_rule(catalog),
                     prefer_names=prefer_names)
    report = _report(plan, adapter)
    report.seconds_prepare = time.perf_counter() - start
    if strict and report.failed:
        raise RestoreError(report.message(), report=report, path=catalog.path)
    _assign_and_verify(plan, adapter, report, progress)
    if strict and not report.ok:
        raise RestoreError(report.message(), report=report, path=catalog.path)
    return report


def _report(plan: Plan, adapter: Adapter) -> RestoreReport:
    by_name = {a.variable.name: a for a in plan.assignments}
    why = {u.variable.name: u for u in plan.unpaired}
    outcomes = []
    for var in plan.spec.variables:
        a = by_name.get(var.name)
        if a is not None:
            outcomes.append(VariableOutcome(var, PAIRED, a.entry.name, a.transform, a.how))
        else:
            u = why.get(var.name)
            outcomes.append(VariableOutcome(var, NOT_RESTORED, u.entry.name if u and u.entry else None, None, None,
                                            u.reason if u else "no checkpoint value pairs with it"))
    entries, entry_notes = entry_statuses(plan), {}
    for key, status in entries.items():
        if status == "unused":
            reason = adapter.unbuilt(plan.catalog[key], plan.object_root, plan.rules)
            if reason:
                entries[key], entry_notes[key] = NOT_BUILT, reason
    return RestoreReport(plan.catalog.path, plan.spec.source, adapter.framework, outcomes, entries, entry_notes,
                         notes=list(plan.notes))


def expected_value(a: Assignment, value: np.ndarray | None = None) -> np.ndarray:
    """The checkpoint value as the variable should hold it: transform applied, reshaped where only unit axes
    differ, converted to the variable's dtype where the framework casts."""
    value = a.entry.read() if value is None else value
    if a.transform and "+" in a.transform:  # steps (``transpose+reshape(..)``): the rules' vocabulary applies them
        value = apply_transform(a.transform, value)
    perm = parse_transform(a.transform) if a.transform and "+" not in a.transform else None
    if perm:
        value = value.transpose(perm)
    if tuple(value.shape) != tuple(a.variable.shape):
        value = value.reshape(a.variable.shape)
    if a.cast:
        value = value.astype(to_numpy(a.variable.dtype))
    return np.require(value, requirements="C")  # ascontiguousarray would make 0-d values 1-d


def fingerprint(value: np.ndarray) -> tuple[int, int]:
    """(CRC-32 of the bytes, byte count) of a C-contiguous array."""
    value = np.require(value, requirements="C")
    return zlib.crc32(value.reshape(-1).view(np.uint8).data), value.nbytes


def _assign_and_verify(plan: Plan, adapter: Adapter, report: RestoreReport, progress) -> None:
    """Assign chunk by chunk; after each chunk, read its variables back from the framework and compare them with
    the values still in hand (two copies of one chunk at most). Variables sharing storage (tied weights) form
    the last chunk together, so that a later write into a shared tensor cannot pass unnoticed."""
    outcome = {o.variable.name: o for o in report.variables}
    keys = Counter(k for k in (adapter.storage_key(a.variable) for a in plan.assignments) if k is not None)
    tied = [a for a in plan.assignments if keys.get(adapter.storage_key(a.variable), 0) > 1 or a.through_tie]
    ordered = [a for a in plan.assignments if keys.get(adapter.storage_key(a.variable), 0) <= 1 and not a.through_tie]
    # a variable filled through its tie is only read back, if the live model shows the storage it shares is written
    written = {adapter.storage_key(a.variable) for a in plan.assignments if not a.through_tie} - {None}
    skip = {id(a) for a in plan.assignments if a.through_tie and adapter.storage_key(a.variable) in written}
    chunks, chunk, size = [], [], 0
    for a in ordered:
        chunk.append(a)
        size += a.entry.nbytes
        if size >= _CHUNK:
            chunks.append(chunk)
            chunk, size = [], 0
    chunks += [c for c in (chunk, tied) if c]
    total, done, verifying = sum(a.entry.nbytes for a in plan.assignments), 0, 0.0
    start = time.perf_counter()
    for chunk in chunks:
        values = [expected_value(a) for a in chunk]
        adapter.assign([(a.variable, v) for a, v in zip(chunk, values, strict=False) if id(a) not in skip])
        report.assigned = True
        t = time.perf_counter()
        for a, want in zip(chunk, values, strict=False):
            _judge(a, want, adapter.read(a.variable), outcome[a.variable.name])
            if id(a) in skip:  # the proof is the read-back: nothing was written under this name
                outcome[a.variable.name].check += f", not assigned: {a.how} (the same storage)"
        verifying += time.perf_counter() - t
        del values
        done += sum(a.entry.nbytes for a in chunk)
        if progress:
            progress(done, total)
    report.bytes_restored = total
    report.seconds_verify = verifying
    report.seconds_restore = time.perf_counter() - start - verifying


def _judge(a: Assignment, want: np.ndarray, live: np.ndarray, o: VariableOutcome) -> None:
    if same_bytes(want, live):
        o.status, o.check = VERIFIED, "bit-exact" if not a.cast else \
            f"bit-exact after the declared cast {a.entry.dtype} -> {a.variable.dtype}"
    elif a.cast and tuple(live.shape) == tuple(a.variable.shape):
        o.status, o.check = _compare_cast(a, live)
    else:
        o.status, o.check = MISMATCH, _difference(want, live)


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and equal bytes (NaN payloads and signed zeros included), compared eight bytes at a time."""
    if tuple(a.shape) != tuple(b.shape) or a.dtype.itemsize != b.dtype.itemsize:
        return False
    x = np.require(a, requirements="C").reshape(-1).view(np.uint8)
    y = np.require(b, requirements="C").reshape(-1).view(np.uint8)
    n = x.size - x.size % 8
    return bool(np.array_equal(x[:n].view(np.uint64), y[:n].view(np.uint64)) and np.array_equal(x[n:], y[n:]))


def _compare_cast(a: Assignment, live: np.ndarray) -> tuple[str, str]:
    """A declared cast rounds: within half a unit in the last place of the target dtype, relative."""
    want = a.entry.read()
    if a.transform and "+" in a.transform:
        want = apply_transform(a.transform, want)
    perm = parse_transform(a.transform) if a.transform and "+" not in a.transform else None
    want = (want.transpose(perm) if perm else want).reshape(a.variable.shape).astype(np.float64)
    got = live.astype(np.float64)
    target = to_numpy(a.variable.dtype)
    eps = float(np.finfo(target).eps) if np.issubdtype(target, np.floating) or a.variable.dtype == "bfloat16" else 0.0
    diff = np.abs(got - want)
    bound = eps * np.abs(want) + (float(np.finfo(target).tiny) if eps else 0.0)
    if np.array_equal(np.isnan(got), np.isnan(want)) and bool(np.all((diff <= bound) | np.isnan(want))):
        return VERIFIED, (f"cast {a.entry.dtype} -> {a.variable.dtype}: within 1 ulp of {a.variable.dtype} "
                          f"(max |diff| {float(np.nanmax(diff)) if diff.size else 0:.3g})")
    return MISMATCH, f"cast {a.entry.dtype} -> {a.variable.dtype}: " + _difference(want, got)


def _difference(want: np.ndarray, got: np.ndarray) -> str:
    if tuple(want.shape) != tuple(got.shape):
        return f"read back shape {list(got.shape)}, expected {list(want.shape)}"
    try:
        w, g = want.astype(np.float64), got.astype(np.float64)
        differ = int(np.sum(~((w == g) | (np.isnan(w) & np.isnan(g)))))
        return f"{differ} of {w.size} elements differ (max |diff| {float(np.nanmax(np.abs(w - g))):.3g})"
    except (TypeError, ValueError):
        return "the value read back differs"
