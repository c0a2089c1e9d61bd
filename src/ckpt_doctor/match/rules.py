"""Rename rules as data: how checkpoint names become model names.

A rule file (YAML or JSON) is an ordered list; every checkpoint name passes through the rules in order, each
rename rule rewriting the name as it is at that point (so a separator change can precede a scope rename), a
``drop`` rule removing the entry from consideration, a ``transform`` rule attaching a value transform::

    format: ckpt-doctor-rules
    version: 1
    rules:
      - prefix:   {from: "model_scope/", to: "different_model_scope/"}  # scope rename ('' adds or removes one)
      - regex:    {from: "^module\\\\.", to: ""}                        # Python re.sub, \\1 back-references
      - rename:   {from: "dense/kernel", to: "fc.weight"}                # one exact name; final (later
                                                                         #   renaming rules skip it)
      - renumber: {pattern: "dense_{n}", from: 10, offset: 1}            # dense_10 -> dense_11, ...;
                                                                         #   "dense" is dense_0 (Keras)
      - drop:     "^optimizer/"                                          # ignore matching checkpoint entries
      - transform: {match: "kernel$", rank: 2, op: transpose}           # value transform (checkpoint name)

Rules compile once (``Rules``) and can explain which names each rule touched.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from .names import parse_reshape, parse_transform

RULES_FORMAT = "ckpt-doctor-rules"


class RuleError(UsageError):
    """A rule file or rule definition is invalid (a usage error)."""


@dataclass(frozen=True)
class Prefix:
    old: str
    new: str
    kind = "prefix"

    def apply(self, name: str) -> str | None:
        return self.new + name[len(self.old):] if name.startswith(self.old) else None

    def to_dict(self) -> dict:
        return {"prefix": {"from": self.old, "to": self.new}}

    def describe(self) -> str:
        if not self.old:
            return f"prefix `{self.new}` added"
        if not self.new:
            return f"prefix `{self.old}` removed"
        return f"`{self.old}` renamed to `{self.new}`"


@dataclass(frozen=True)
class Regex:
    pattern: str
    replacement: str
    kind = "regex"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        except re.error as e:
            raise RuleError(f"invalid regex {self.pattern!r}: {e}") from None

    def apply(self, name: str) -> str | None:
        new, n = self._compiled.subn(self.replacement, name)
        return new if n and new != name else None

    def to_dict(self) -> dict:
        return {"regex": {"from": self.pattern, "to": self.replacement}}

    def describe(self) -> str:
        return f"`{self.pattern}` -> `{self.replacement}`"


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    kind = "rename"

    def apply(self, name: str) -> str | None:
        return self.new if name == self.old else None

    def to_dict(self) -> dict:
        return {"rename": {"from": self.old, "to": self.new}}

    def describe(self) -> str:
        return f"`{self.old}` renamed to `{self.new}`"


@dataclass(frozen=True)
class Renumber:
    """Shift the number of an auto-numbered name: ``pattern`` holds ``{n}`` (``dense_{n}``, ``layer.{n}``);
    numbers >= ``start`` move by ``offset``. With ``zero_unnumbered`` (Keras), number 0 is written without
    suffix: ``dense`` is ``dense_0``."""

    pattern: str
    start: int
    offset: int
    zero_unnumbered: bool = False
    kind = "renumber"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        if self.pattern.count("{n}") != 1:
            raise RuleError(f"renumber pattern {self.pattern!r} must contain {{n}} exactly once")
        head, tail = (re.escape(p) for p in self.pattern.split("{n}"))
        bare = re.escape(self._bare()) if self.zero_unnumbered else None
        alternatives = f"{head}(?P<n>\\d+){tail}" + (f"|(?P<bare>{bare})" if bare else "")
        object.__setattr__(self, "_compiled", re.compile(f"(?<![^/.])(?:{alternatives})(?![^/.])"))

    def _bare(self) -> str:
        head, tail = self.pattern.split("{n}")
        return head.rstrip("_.-") + tail

    def _write(self, n: int) -> str:
        return self._bare() if n == 0 and self.zero_unnumbered else self.pattern.replace("{n}", str(n))

    def apply(self, name: str) -> str | None:
        m = self._compiled.search(name)
        if m is None:
            return None
        n = 0 if m.group("n") is None else int(m.group("n"))
        if n < self.start:
            return None
        return name[:m.start()] + self._write(n + self.offset) + name[m.end():]

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"pattern": self.pattern, "from": self.start, "offset": self.offset}
        if self.zero_unnumbered:
            d["zero_unnumbered"] = True
        return {"renumber": d}

    def describe(self) -> str:
        lo = self._write(self.start)
        return f"`{lo}` and later became `{self._write(self.start + self.offset)}` and later " \
               f"(numbers shifted by {self.offset:+d})"


@dataclass(frozen=True)
class Drop:
    pattern: str
    kind = "drop"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        except re.error as e:
            raise RuleError(f"invalid drop regex {self.pattern!r}: {e}") from None

    def matches(self, name: str) -> bool:
        return bool(self._compiled.search(name))

    def to_dict(self) -> dict:
        return {"drop": self.pattern}

    def describe(self) -> str:
        return f"checkpoint entries matching `{self.pattern}` are ignored"


@dataclass(frozen=True)
class Transform:
    match: str
    op: str
    rank: int | None = None
    kind = "transform"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.match))
            object.__setattr__(self, "perm", parse_transform(self.op))
            parse_reshape(self.op)
        except (re.error, ValueError) as e:
            raise RuleError(f"invalid transform rule: {e}") from None
        if self.perm is not None and self.rank is not None and len(self.perm) != self.rank:
            raise RuleError(f"transform {self.op} has {len(self.perm)} axes but rank is {self.rank}")

    def matches(self, name: str, rank: int | None) -> bool:
        if self.rank is not None and rank is not None and rank != self.rank:
            return False
        return bool(self._compiled.search(name))

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"match": self.match, "op": self.op}
        if self.rank is not None:
            d["rank"] = self.rank
        return {"transform": d}

    def describe(self) -> str:
        return f"values of `{self.match}`{f' (rank {self.rank})' if self.rank else ''}: {self.op}"




@dataclass(frozen=True)
class Mapped:
    """Where one checkpoint name goes under a rule set."""

    source: str
    name: str  # the model name it maps to
    dropped: bool = False
    transform: str | None = None
    applied: tuple[int, ...] = ()  # indices of the rules that changed it


@dataclass
class Rules:
    """An ordered, compiled rule list. Build from code (``Rules([Prefix("a/", "b/")])``), a dict
    (``Rules.from_dict``) or a file (``Rules.load``)."""

    rules: list = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # rule index -> why it exists (shown in files)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)

    def rename(self, name: str) -> str | None:
        """The model name for checkpoint ``name`` (None if a drop rule removes it); ``apply`` without the
        bookkeeping, for callers that map many names."""
        for rule in self.rules:
            renamed, final = rename_step(rule, name)
            if final or renamed is None:
                return renamed
            name = renamed
        return name

    def apply(self, name: str, rank: int | None = None) -> Mapped:
        current, transform, final = name, None, False
        applied: list[int] = []
        for i, rule in enumerate(self.rules):
            if final and not isinstance(rule, Transform):
                continue
            if isinstance(rule, Drop):
                if rule.matches(current):
                    return Mapped(name, current, dropped=True, applied=tuple(applied + [i]))
            elif isinstance(rule, Transform):
                if transform is None and rule.matches(name, rank):
                    transform = rule.op
                    applied.append(i)
            else:
                new = rule.apply(current)
                if new is not None:
                    current = new
                    applied.append(i)
                    final = isinstance(rule, Rename)  # an exact rename is final: swaps stay swaps
        return Mapped(name, current, transform=transform, applied=tuple(applied))

    def explain(self, names) -> list[tuple[Any, list[str]]]:
        """For each rule, the names it touched."""
        touched: list[list[str]] = [[] for _ in self.rules]
        for name in names:
            for i in self.apply(name).applied:
                touched[i].append(name)
        return list(zip(self.rules, touched, strict=False))

    # -- files -------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": RULES_FORMAT, "version": 1, "direction": "checkpoint name -> model name",
                "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, doc: Any, source: str | None = None) -> Rules:
        if isinstance(doc, list):
            doc = {"rules": doc}
        if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
            raise RuleError('a rule file holds {"rules": [...]}', path=source)
        rules = []
        for i, item in enumerate(doc["rules"]):
            try:
                rules.append(_rule(item))
            except RuleError as e:
                raise RuleError(f"rules[{i}]: {e.message}", path=source) from None
            except (TypeError, KeyError, ValueError, AttributeError) as e:
                raise RuleError(f"rules[{i}] is malformed ({e}): {item!r}", path=source) from None
        return cls(rules)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Rules:
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise RuleError(f"cannot read rule file: {e.strerror}", path=path) from None
        try:
            import yaml

            doc = yaml.safe_load(text)  # JSON is YAML too
        except Exception as e:
            raise RuleError(f"rule file is not valid YAML/JSON: {e}", path=path) from None
        return cls.from_dict(doc, source=path)

    def to_yaml(self) -> str:
        lines = ["# ckpt-doctor rules: checkpoint names -> model names, applied in order", f"format: {RULES_FORMAT}",
                 "version: 1", "rules:" if self.rules else "rules: []"]
        for i, rule in enumerate(self.rules):
            (key, value), = rule.to_dict().items()
            body = json.dumps(value) if not isinstance(value, dict) else \
                "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "}"
            comment = f"  # {self.notes[i]}" if i in self.notes else ""
            lines.append(f"  - {key}: {body}{comment}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | os.PathLike) -> None:
        from .._files import atomic_write_text

        path = os.fspath(path)
        text = json.dumps(self.to_dict(), indent=1) + "\n" if path.endswith(".json") else self.to_yaml()
        atomic_write_text(path, text)


def rename_step(rule, name: str) -> tuple[str | None, bool]:
    """One rule on one name, as ``Rules.rename`` applies it: (the new name, None when dropped; whether no later
    rule may change it: an exact rename or a drop). Value transforms leave names alone."""
    kind = rule.kind
    if kind == "transform":
        return name, False
    if kind == "drop":
        return (None, True) if rule.matches(name) else (name, False)
    new = rule.apply(name)
    return (name, False) if new is None else (new, kind == "rename")


def _rule(item: Any):
    if not isinstance(item, dict) or len(item) != 1:
        raise RuleError(f"each rule is a one-key mapping such as {{prefix: {{from: a/, to: b/}}}}, got {item!r}")
    (kind, v), = item.items()
    if kind == "prefix":
        return Prefix(str(v["from"] or ""), str(v["to"] or ""))
    if kind == "regex":
        return Regex(str(v["from"]), str(v["to"] or ""))
    if kind == "rename":
        return Rename(str(v["from"]), str(v["to"]))
    if kind == "renumber":
        return Renumber(str(v["pattern"]), int(v["from"]), int(v["offset"]), bool(v.get("zero_unnumbered", False)))
    if kind == "drop":
        return Drop(str(v))
    if kind == "transform":
        return Transform(str(v["match"]), str(v["op"]), int(v["rank"]) if v.get("rank") is not None else None)
    raise RuleError(f"unknown rule kind {kind!r} (prefix, regex, rename, renumber, drop, transform)")


def apply_rules(catalog, rules: Rules, namespace: str = "key"):
    """A view of ``catalog`` under ``rules``: entries renamed to model names, dropped ones gone, values
    transformed on read. Bookkeeping entries keep their names. Two entries mapping to one name is an error.

    ``namespace`` says which names the rules speak of: ``"key"`` (checkpoint keys, without TF's attribute
    suffix), ``"object"`` (TF2 object paths: restore by object) or ``"full_name"`` (the TF1 variable names
    of an object-based checkpoint).
    """
    from ..catalog import BOOKKEEPING_KINDS, Catalog, TensorInfo
    from .names import ATTRIBUTE_SUFFIX, strip_name

    out: dict[str, TensorInfo] = {}
    object_based = namespace == "object"
    for info in catalog.values():
        if info.kind in BOOKKEEPING_KINDS:
            out.setdefault(info.name, info)
            continue
        source = (info.object_path if namespace == "object" else info.full_name if namespace == "full_name"
                  else None) or strip_name(info.name)
        mapped = rules.apply(source, len(info.shape))
        if mapped.dropped:
            continue
        perm = parse_transform(mapped.transform) if mapped.transform not in (None, "none") else None
        reshape = parse_reshape(mapped.transform)
        shape = tuple(info.shape[i] for i in perm) if perm else reshape or info.shape
        key = mapped.name + ATTRIBUTE_SUFFIX if object_based else mapped.name
        if key in out:
            raise RuleError(f"rules map both {out[key].full_name or out[key].name!r} and {info.name!r} to "
                            f"{mapped.name!r}", path=catalog.path)

        def read(info=info, perm=perm, reshape=reshape):
            value = info.read()
            if reshape:
                return value.reshape(reshape)
            return value.transpose(perm).copy() if perm else value

        out[key] = TensorInfo(name=key, dtype=info.dtype, shape=shape, nbytes=info.nbytes, kind=info.kind,
                              object_path=mapped.name if object_based else None,
                              full_name=None,
                              location=info.location, _reader=read)
    return Catalog(catalog.path, catalog.format, out, files=catalog.files, missing_files=catalog.missing_files,
                   notes=catalog.notes + (f"names mapped by {len(rules)} rule(s)",),
                   objects=catalog.objects if object_based else ())
