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

Every rule kind is one class in ``RULE_KINDS`` (its YAML key): it parses and checks its own entry
(``from_dict``), renames one name (``apply``, ``step``), says what it does (``describe``), writes itself back
(``to_dict``) and says how it exports (``key_mapping``: one Hugging Face ``key_mapping`` entry, ``scope``: one
``init_from_checkpoint`` scope entry, where one entry can say it). ``Rules`` is the ordered list: it dispatches
parsing through the registry and exports the per-name maps (TF1 ``Saver`` var_list, ``init_from_checkpoint``
assignment map, PyTorch key map, Hugging Face ``key_mapping``) by applying itself to the names it is given.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..dtypes import ITEMSIZE, OPAQUE
from ..errors import UsageError
from .names import parse_transform

RULES_FORMAT = "ckpt-doctor-rules"


class RuleError(UsageError):
    """A rule file or rule definition is invalid (a usage error)."""


# -- parsing one entry ---------------------------------------------------------------------------------------------

@contextmanager
def _entry(where: str) -> Iterator[None]:
    """Errors raised while parsing one entry name the entry (the file is named by ``Rules.from_dict``)."""
    try:
        yield
    except RuleError as e:
        raise RuleError(f"{where}: {e.message}") from None


def _fields(value: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise RuleError(f"is malformed: expected a mapping with {', '.join(required)}, got {value!r}")
    missing = [k for k in required if k not in value]
    unknown = [str(k) for k in value if k not in required and k not in optional]
    if missing or unknown:
        what = [f"missing {', '.join(missing)}"] if missing else []
        what += [f"unknown {', '.join(unknown)} (allowed: {', '.join(required + optional)})"] if unknown else []
        raise RuleError(f"is malformed: {'; '.join(what)} in {value!r}")
    return value


def _text(value: Any, key: str, empty: bool = False) -> str:
    """A name or pattern: text (or a number YAML read from an unquoted name); ``empty`` allows null for ''."""
    if value is None and empty:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RuleError(f"`{key}` must be text, got {value!r} (quote it in YAML)")
    return str(value)


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(f"`{key}` must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise RuleError(f"`{key}` must be an integer, got {value!r}") from None


def _escape_replacement(text: str) -> str:
    """``text`` as a re.sub replacement that inserts it literally (only backslashes are special there)."""
    return text.replace("\\", "\\\\")


def _whole(name: str) -> str:
    """A pattern matching exactly ``name`` (``\\Z``: ``$`` would also match before a final newline)."""
    return f"^{re.escape(name)}\\Z"


# -- the rule kinds ---------------------------------------------------------------------------------------------

class _Rule:
    """What every rule kind provides besides its fields, ``apply``, ``describe`` and ``to_dict``."""

    kind: ClassVar[str]

    @classmethod
    def from_dict(cls, value: Any, where: str) -> _Rule:
        """The rule a rule file's entry ``{kind: value}`` describes; ``where`` names the entry in errors."""
        raise NotImplementedError

    def apply(self, name: str) -> str | None:
        """The new name, or None when this rule leaves ``name`` alone."""
        raise NotImplementedError

    def step(self, name: str) -> tuple[str | None, bool]:
        """This rule on one name as ``Rules.rename`` applies it: (the new name, None when dropped; whether no
        later rule may change it)."""
        new = self.apply(name)
        return (name, False) if new is None else (new, False)

    def key_mapping(self) -> tuple[str, str] | None:
        """This rule as one Hugging Face ``key_mapping`` entry (pattern, replacement): ``re.sub`` of it renames
        exactly the names ``apply`` renames, to the same names. None where no single entry can."""
        return None

    def scope(self) -> tuple[str, str] | None:
        """This rule as one ``init_from_checkpoint`` scope entry (``{"old/": "new/"}``), where it is one."""
        return None


@dataclass(frozen=True)
class Prefix(_Rule):
    old: str
    new: str
    kind = "prefix"

    @classmethod
    def from_dict(cls, value: Any, where: str = "prefix") -> Prefix:
        with _entry(where):
            v = _fields(value, ("from", "to"))
            return cls(_text(v["from"], "from", empty=True), _text(v["to"], "to", empty=True))

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

    def key_mapping(self) -> tuple[str, str]:
        return f"^{re.escape(self.old)}", _escape_replacement(self.new)

    def scope(self) -> tuple[str, str] | None:
        # init_from_checkpoint reads "x/" -> "y/" as scope to scope; "/" alone means the root, not a prefix
        ok = all(s.endswith("/") and s != "/" for s in (self.old, self.new))
        return (self.old, self.new) if ok else None


@dataclass(frozen=True)
class Regex(_Rule):
    pattern: str
    replacement: str
    kind = "regex"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        except re.error as e:
            raise RuleError(f"invalid regex {self.pattern!r}: {e}") from None
        # the replacement's group references, checked now rather than on the first name that matches: a pattern
        # with the same groups that matches the empty string expands it
        names = {i: n for n, i in self._compiled.groupindex.items()}
        groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, self._compiled.groups + 1))
        try:
            re.compile(groups).sub(self.replacement, "", count=1)
        except (re.error, IndexError) as e:
            raise RuleError(f"invalid replacement {self.replacement!r} for regex {self.pattern!r}: {e}") from None

    @classmethod
    def from_dict(cls, value: Any, where: str = "regex") -> Regex:
        with _entry(where):
            v = _fields(value, ("from", "to"))
            return cls(_text(v["from"], "from"), _text(v["to"], "to", empty=True))

    def apply(self, name: str) -> str | None:
        new, n = self._compiled.subn(self.replacement, name)
        return new if n and new != name else None

    def to_dict(self) -> dict:
        return {"regex": {"from": self.pattern, "to": self.replacement}}

    def describe(self) -> str:
        return f"`{self.pattern}` -> `{self.replacement}`"

    def key_mapping(self) -> tuple[str, str]:
        return self.pattern, self.replacement  # the same re.sub


@dataclass(frozen=True)
class Rename(_Rule):
    old: str
    new: str
    kind = "rename"

    @classmethod
    def from_dict(cls, value: Any, where: str = "rename") -> Rename:
        with _entry(where):
            v = _fields(value, ("from", "to"))
            return cls(_text(v["from"], "from"), _text(v["to"], "to"))

    def apply(self, name: str) -> str | None:
        return self.new if name == self.old else None

    def step(self, name: str) -> tuple[str | None, bool]:
        return (self.new, True) if name == self.old else (name, False)  # final: swaps stay swaps

    def to_dict(self) -> dict:
        return {"rename": {"from": self.old, "to": self.new}}

    def describe(self) -> str:
        return f"`{self.old}` renamed to `{self.new}`"

    def key_mapping(self) -> tuple[str, str]:
        return _whole(self.old), _escape_replacement(self.new)


@dataclass(frozen=True)
class Renumber(_Rule):
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

    @classmethod
    def from_dict(cls, value: Any, where: str = "renumber") -> Renumber:
        with _entry(where):
            v = _fields(value, ("pattern", "from", "offset"), ("zero_unnumbered",))
            bare = v.get("zero_unnumbered", False)
            if not isinstance(bare, bool):
                raise RuleError(f"`zero_unnumbered` must be true or false, got {bare!r}")
            return cls(_text(v["pattern"], "pattern"), _int(v["from"], "from"), _int(v["offset"], "offset"), bare)

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

    # key_mapping: None (inherited). Adding an offset to a number is arithmetic, not a regex replacement; the
    # collection spells out the names it renames one by one.


@dataclass(frozen=True)
class Drop(_Rule):
    pattern: str
    kind = "drop"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        except re.error as e:
            raise RuleError(f"invalid drop regex {self.pattern!r}: {e}") from None

    @classmethod
    def from_dict(cls, value: Any, where: str = "drop") -> Drop:
        with _entry(where):
            return cls(_text(value, "drop"))

    def matches(self, name: str) -> bool:
        return bool(self._compiled.search(name))

    def apply(self, name: str) -> str | None:
        return None  # drops rename nothing; ``step`` and ``Rules.apply`` remove what matches

    def step(self, name: str) -> tuple[str | None, bool]:
        return (None, True) if self.matches(name) else (name, False)

    def to_dict(self) -> dict:
        return {"drop": self.pattern}

    def describe(self) -> str:
        return f"checkpoint entries matching `{self.pattern}` are ignored"


@dataclass(frozen=True)
class Transform(_Rule):
    match: str
    op: str
    rank: int | None = None
    kind = "transform"
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)  # set by __post_init__

    def __post_init__(self):
        try:
            object.__setattr__(self, "_compiled", re.compile(self.match))
            object.__setattr__(self, "perm", None if _OP.match(self.op) or "+" in self.op else parse_transform(self.op))
            check_op(self.op)
        except (re.error, ValueError, TypeError) as e:
            raise RuleError(f"invalid transform rule: {e}") from None
        if self.perm is not None and self.rank is not None and len(self.perm) != self.rank:
            raise RuleError(f"transform {self.op} has {len(self.perm)} axes but rank is {self.rank}")

    @classmethod
    def from_dict(cls, value: Any, where: str = "transform") -> Transform:
        with _entry(where):
            v = _fields(value, ("match", "op"), ("rank",))
            rank = v.get("rank")
            return cls(_text(v["match"], "match"), _text(v["op"], "op"),
                       None if rank is None else _int(rank, "rank"))

    def matches(self, name: str, rank: int | None) -> bool:
        if self.rank is not None and rank is not None and rank != self.rank:
            return False
        return bool(self._compiled.search(name))

    def apply(self, name: str) -> str | None:
        return None  # values only: names stay

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"match": self.match, "op": self.op}
        if self.rank is not None:
            d["rank"] = self.rank
        return {"transform": d}

    def describe(self) -> str:
        return f"values of `{self.match}`{f' (rank {self.rank})' if self.rank else ''}: {self.op}"


# -- value transforms: one vocabulary for rules, rewrite and the inference's pairs (``names.parse_transform``:
# ``transpose``, ``permute(a,b,...)``; ``reshape(d0,...)``, here with one -1 allowed; ``squeeze``,
# ``squeeze(axis,...)``; ``cast(dtype)``; and steps of these joined by ``+``, applied left to right:
# ``transpose+reshape(32,4,8)`` splits a PyTorch projection into Keras' heads) --------------------------------------

_OP = re.compile(r"^(squeeze|reshape|cast)(?:\((.*)\))?$")


def check_op(op: str) -> None:
    """Raise ValueError unless ``op`` is a transform of the vocabulary, with well-formed arguments."""
    if "+" in op:
        steps = op.split("+")
        if not all(s.strip() for s in steps):
            raise ValueError(f"{op!r}: an empty step (steps are joined by single '+')")
        for step in steps:
            check_op(step.strip())
        return
    m = _OP.match(op)
    if m is None:
        parse_transform(op)
        return
    kind, args = m.group(1), (m.group(2) or "").strip()
    if kind == "cast":
        if args not in ITEMSIZE or args == "string" or args in OPAQUE:
            raise ValueError(f"{op!r}: cast needs a dtype of fixed width, e.g. cast(float16)")
        return
    numbers = [int(a) for a in args.split(",")] if args else []
    # (``reshape()`` is a scalar: a ``[1]`` value into a 0-d variable, CLIP-style ``logit_scale``)
    if kind == "reshape" and (m.group(2) is None or sum(n == -1 for n in numbers) > 1 or any(n < -1 for n in numbers)):
        raise ValueError(f"{op!r}: reshape takes sizes, one of them -1 at most (reshape() for a scalar)")
    if kind == "squeeze" and any(n < 0 for n in numbers):
        raise ValueError(f"{op!r}: squeeze takes axes")


def apply_transform(op: str, value):
    """Apply a transform op of the vocabulary to a NumPy array."""
    import numpy as np

    if "+" in op:
        for step in op.split("+"):
            value = apply_transform(step.strip(), value)
        return value
    m = _OP.match(op)
    if m is None:
        perm = parse_transform(op)
        if perm is not None and len(perm) != value.ndim:
            raise ValueError(f"{op!r} permutes {len(perm)} axes, the value has {value.ndim}")
        return np.ascontiguousarray(value.transpose(perm)) if perm else value
    kind, args = m.group(1), (m.group(2) or "").strip()
    if kind == "squeeze":
        return value.squeeze(axis=tuple(int(a) for a in args.split(",")) if args else None)
    if kind == "reshape":
        return value.reshape(tuple(int(a) for a in args.split(",")) if args else ())
    from ..dtypes import to_numpy

    if not args:
        raise ValueError("cast needs a dtype, e.g. cast(float16)")
    return value.astype(to_numpy(args))


def transformed_meta(op: str | None, info) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) of ``info``'s value after ``op``, found on a zero-strided stand-in (no bytes read); raises
    RuleError naming the tensor if the op does not fit it."""
    if op is None or op == "none":
        return tuple(info.shape), info.dtype
    import numpy as np

    from ..dtypes import to_numpy

    try:
        probe = np.lib.stride_tricks.as_strided(np.zeros(1, to_numpy(info.dtype) if info.dtype != "string" else object),
                                                shape=info.shape, strides=(0,) * len(info.shape))
        value = apply_transform(op, probe)
    except (ValueError, TypeError) as e:
        raise RuleError(f"transform {op!r} does not fit {info.dtype}{list(info.shape)}: {e}", tensor=info.name) \
            from None
    casts = [step.strip()[5:-1] for step in op.split("+") if step.strip().startswith("cast(")]
    return tuple(value.shape), casts[-1] if casts else info.dtype


RULE_KINDS: dict[str, type[_Rule]] = {cls.kind: cls for cls in (Prefix, Regex, Rename, Renumber, Drop, Transform)}


def parse_rule(item: Any, where: str = "rule") -> _Rule:
    """One rule-file entry (``{kind: value}``) as a rule object, by its kind's ``from_dict``."""
    if not isinstance(item, dict) or len(item) != 1:
        raise RuleError(f"{where}: each rule is a one-key mapping such as {{prefix: {{from: a/, to: b/}}}}, "
                        f"got {item!r}")
    (kind, value), = item.items()
    cls = RULE_KINDS.get(kind)
    if cls is None:
        raise RuleError(f"{where}: unknown rule kind {kind!r} ({', '.join(RULE_KINDS)})")
    return cls.from_dict(value, f"{where} ({kind})")


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

    def idle(self, used) -> list[str]:
        """The rules whose index is not in ``used`` (``Mapped.applied`` of every name), described: they changed
        nothing (a mistyped scope, which otherwise goes unnoticed)."""
        return [rule.describe() for i, rule in enumerate(self.rules) if i not in used]

    def rename(self, name: str) -> str | None:
        """The model name for checkpoint ``name`` (None if a drop rule removes it); ``apply`` without the
        bookkeeping, for callers that map many names."""
        for rule in self.rules:
            renamed, final = rule.step(name)
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

    # -- exports: the rules applied to given names, in each framework's form -----------------------------------------
    def var_list(self, names: Iterable[str]) -> dict[str, str]:
        """TF1 ``Saver(var_list=...)``: {checkpoint name: model variable name} for every name not dropped."""
        out = {}
        for name in names:
            new = self.rename(name)
            if new is not None:
                out[name] = new
        return out

    def key_map(self, names: Iterable[str]) -> dict[str, str]:
        """PyTorch: {checkpoint key: model key} for the keys the rules rename (unchanged and dropped ones left
        out): ``{key_map.get(k, k): v for k, v in state.items()}``."""
        return {name: new for name, new in self.var_list(names).items() if new != name}

    def assignment_map(self, names: Iterable[str], variables: Iterable[str] | None = None) -> dict[str, str]:
        """``tf.compat.v1.train.init_from_checkpoint``: {checkpoint name: model variable} for every name not
        dropped, written as scope entries (``{"old/": "new/"}``) where scope rules say the same thing.

        A scope entry loads every variable under the new scope, so it is used only when ``variables`` (all of
        the model's variables) is given and the entries, expanded over those variables as TensorFlow expands
        them, load exactly the per-name map; otherwise one entry per name."""
        per_name = self.var_list(names)
        if variables is None or len(set(per_name.values())) != len(per_name):
            return per_name
        by_scope: dict[str, list[str]] = {}  # "a/", "a/b/" -> the variables under it
        for v in variables:
            for cut in (i for i, ch in enumerate(v) if ch == "/"):
                by_scope.setdefault(v[:cut + 1], []).append(v)
        scopes = {}
        for rule in self.rules:
            scope = rule.scope()
            if scope is not None and scope[0] not in scopes:
                scopes[scope[0]] = scope[1]
        loads: dict[str, str] = {}  # model variable -> checkpoint name, as init_from_checkpoint would load
        used = {}
        for old, new in scopes.items():
            under = by_scope.get(new, [])
            if any(v in loads for v in under):
                return per_name
            loads.update((v, old + v[len(new):]) for v in under)
            if under:
                used[old] = new
        rest = {c: m for c, m in per_name.items() if loads.get(m) != c}
        if not used or any(m in loads for m in rest.values()) or any(c in used for c in rest):
            return per_name
        loads.update((m, c) for c, m in rest.items())
        return {**used, **rest} if loads == {m: c for c, m in per_name.items()} else per_name

    def key_mapping(self, names: Iterable[str]) -> dict[str, str]:
        """Hugging Face ``from_pretrained(key_mapping=...)`` (transformers >= 4.51) for these checkpoint keys.

        Transformers tries the patterns in order on each key and applies the first that matches
        (``re.subn``; a match ends the search). Each rule that is one such entry (``key_mapping`` of the rule)
        gives one; a key the rules take through several rules, or through one with no entry (``renumber``),
        gets an exact entry first (``^key\\Z``). A key the rules drop keeps its name (transformers reports it as
        unused) or, where that is another key's new name, gets one no PyTorch module can have
        (``<key>..dropped``). Checked on every given key: the map sends it where the rules do. Not covered:
        transformers' own renames before the map (legacy ``LayerNorm.gamma``/``beta``, weight-norm keys) and
        value transforms."""
        names = list(names)
        want = dict(zip(names, map(self.rename, names), strict=True))
        general: dict[str, str] = {}
        literal: dict[str, tuple[int, str]] = {}  # a rename's name -> (its entry's position, the new name)
        for rule in self.rules:
            entry = rule.key_mapping()
            if entry is not None and entry[0] not in general:
                if rule.kind == "rename":
                    literal.setdefault(rule.old, (len(general), rule.new))
                general[entry[0]] = entry[1]
        at_literal = {i for i, _ in literal.values()}
        matched = [(i, re.compile(p), r) for i, (p, r) in enumerate(general.items()) if i not in at_literal]

        def sent(name: str) -> str:
            """``name`` as transformers renames it by ``general``: the first entry that matches (a rename's entry,
            which matches its one name, looked up rather than tried)."""
            stop, new = literal.get(name, (len(general), name))
            for i, pattern, replacement in matched:
                if i > stop:
                    break
                renamed, n = pattern.subn(replacement, name)
                if n:
                    return renamed
            return new

        taken = {new for new in want.values() if new is not None}
        exact: dict[str, str] = {}
        for name, new in want.items():
            target = new if new is not None else name if name not in taken else name + "..dropped"
            if sent(name) != target:
                exact[_whole(name)] = _escape_replacement(target)
        out = dict(exact)
        for pattern, repl in general.items():
            out.setdefault(pattern, repl)
        return out

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
        # another format, or a later version, would be read with this version's meaning: refused (both optional)
        if doc.get("format", RULES_FORMAT) != RULES_FORMAT:
            raise RuleError(f"format {doc['format']!r} is not {RULES_FORMAT!r}: not a ckpt-doctor rule file",
                            path=source)
        if doc.get("version", 1) != 1 or isinstance(doc.get("version"), bool):
            raise RuleError(f"version {doc['version']!r} is not supported (this ckpt-doctor reads version 1)",
                            path=source)
        try:
            return cls([parse_rule(item, f"rules[{i}]") for i, item in enumerate(doc["rules"])])
        except RuleError as e:
            raise RuleError(e.message, path=source) from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> Rules:
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise RuleError(f"cannot read rule file: {e.strerror}", path=path) from None
        except UnicodeDecodeError:
            raise RuleError("is no rule file: not UTF-8 text (a checkpoint given as --rules?)", path=path) from None
        try:
            import yaml

            doc = yaml.safe_load(text)  # JSON is YAML too
        except Exception as e:
            # (one line: PyYAML's message quotes the text around the error, with a caret, over several)
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            said = getattr(e, "problem", None) or (str(e).splitlines() or [type(e).__name__])[0]
            raise RuleError(f"rule file is not valid YAML/JSON: {said}{where}", path=path) from None
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
    """One rule on one name, as ``Rules.rename`` applies it (``rule.step``)."""
    return rule.step(name)


def apply_rules(catalog, rules: Rules, namespace: str = "key"):
    """A view of ``catalog`` under ``rules``: entries renamed to model names, dropped ones gone, values
    transformed on read. A layer's counter (``num_batches_tracked``) follows its layer's renaming, as ``rewrite``
    renames it; other bookkeeping (optimizer state, ``global_step``, the object graph) keeps its name. Two entries
    mapping to one name is an error.

    ``namespace`` says which names the rules speak of: ``"key"`` (checkpoint keys, without TF's attribute
    suffix), ``"object"`` (TF2 object paths: restore by object) or ``"full_name"`` (the TF1 variable names
    of an object-based checkpoint).
    """
    from ..catalog import BOOKKEEPING_KINDS, COUNTER, COUNTER_LEAVES, Catalog, TensorInfo
    from .names import ATTRIBUTE_SUFFIX, strip_name

    out: dict[str, TensorInfo] = {}
    object_based = namespace == "object"
    used: set[int] = set()  # the rules that changed a name
    for info in catalog.values():
        if info.kind in BOOKKEEPING_KINDS and not (info.kind == COUNTER and info.name.endswith(COUNTER_LEAVES)):
            out.setdefault(info.name, info)
            continue
        source = (info.object_path if namespace == "object" else info.full_name if namespace == "full_name"
                  else None) or strip_name(info.name)
        mapped = rules.apply(source, len(info.shape))
        used.update(mapped.applied)
        if mapped.dropped:
            continue
        op = mapped.transform if mapped.transform not in (None, "none") else None
        shape, dtype = transformed_meta(op, info)
        key = mapped.name + ATTRIBUTE_SUFFIX if object_based else mapped.name
        if key in out:
            raise RuleError(f"rules map both {out[key].full_name or out[key].name!r} and {info.name!r} to "
                            f"{mapped.name!r}", path=catalog.path)

        def read(info=info, op=op):
            return info.read() if op is None else apply_transform(op, info.read())

        nbytes = info.nbytes if dtype == info.dtype else math.prod(shape) * ITEMSIZE[dtype]
        out[key] = TensorInfo(name=key, dtype=dtype, shape=shape, nbytes=nbytes, kind=info.kind,
                              object_path=mapped.name if object_based else None,
                              full_name=None, location=info.location, _reader=read,
                              renamed_from=info.name if mapped.name != source else None)
    idle = rules.idle(used)  # (a mistyped scope maps nothing: said, not counted as applied)
    said = f"names mapped by {len(rules) - len(idle)} of {len(rules)} rule(s); {len(idle)} changed no name " \
        f"(mistyped?): {few(idle)}" if idle else f"names mapped by {len(rules)} rule(s)"
    return Catalog(catalog.path, catalog.format, out, files=catalog.files, missing_files=catalog.missing_files,
                   notes=catalog.notes + (said,),
                   objects=catalog.objects if object_based else ())


def few(items: list[str], n: int = 5) -> str:
    """The first ``n`` of ``items`` joined, `...` where more follow."""
    return "; ".join(items[:n]) + (" ..." if len(items) > n else "")
