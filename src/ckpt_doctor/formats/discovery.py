"""Finding checkpoints in a directory: the ``checkpoint`` state file, like ``tf.train.latest_checkpoint``,
plus what TF does not do: follow a moved directory, pick the newest complete checkpoint when there is no
state file, and say which checkpoints are incomplete.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

from ..errors import CheckpointError

STATE_FILE = "checkpoint"
# The prefix may be empty: saver.save(sess, "dir/") writes dir/.index and dir/.data-00000-of-00001.
_DATA = re.compile(r"^(?P<prefix>.*)\.data-(?P<shard>\d{5})-of-(?P<num>\d{5})$")
_V1_SHARD = re.compile(r"^(?P<prefix>.+)-(?P<shard>\d{5})-of-(?P<num>\d{5})$")
_V1_PATTERN = re.compile(r"-\?{5}-of-(\d{5})$")
_STEP = re.compile(r"-(\d+)$")


@dataclass
class Found:
    """One checkpoint seen in a directory."""

    prefix: str
    format: str  # "tf-v2" or "tf-v1"
    step: int | None
    missing_files: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing_files


@dataclass
class Discovery:
    """What a directory holds and which checkpoint is the latest usable one."""

    directory: str
    latest: str | None
    state_file: str | None
    checkpoints: list[Found]
    notes: list[str]
    # the checkpoint the state file names, when incomplete: tf.train.latest_checkpoint still returns it (it looks for
    # the .index only) and a restore from it fails, while `latest` picks a complete one
    recorded_incomplete: Found | None = None


def latest_checkpoint(directory: str | os.PathLike) -> str | None:
    """Prefix of the newest complete checkpoint in ``directory``, or None (like ``tf.train.latest_checkpoint``)."""
    return discover(directory).latest


def discover(directory: str | os.PathLike) -> Discovery:
    """Every checkpoint in ``directory`` (complete or not), the latest usable one, and notes (a moved
    directory, a state file naming a deleted save); ``latest_checkpoint`` returns ``.latest``."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise CheckpointError("not a directory", path=directory)
    found = {f.prefix: f for f in scan(directory)}
    notes: list[str] = []
    state_file = os.path.join(directory, STATE_FILE)
    state_path = state_file if os.path.isfile(state_file) else None
    latest, recorded_incomplete = None, None
    if state_path is not None:
        try:
            state = parse_state_file(state_path)
        except (OSError, ValueError) as e:
            notes.append(f"could not parse the state file {state_path} ({e}); ignoring it")
            state = None
        if state is not None:
            latest, recorded_incomplete = _resolve_latest(directory, state, found, notes)
            if latest is not None:
                _note_newer(latest, found, notes)
    if latest is None:
        complete = [f for f in found.values() if f.complete]
        if complete:
            best = max(complete, key=lambda f: (f.step if f.step is not None else -1, _mtime(f.prefix)))
            latest = best.prefix
            why = "no `checkpoint` state file" if state_path is None else "the state file names no usable checkpoint"
            notes.append(f"{why}; picked the highest step among {len(complete)} complete checkpoint(s): "
                         f"{display_name(latest)}")
    for f in found.values():
        if not f.complete:
            notes.append(f"incomplete checkpoint {display_name(f.prefix)}: missing "
                         + ", ".join(os.path.basename(m) for m in f.missing_files))
    ordered = sorted(found.values(), key=lambda f: (f.step if f.step is not None else -1, f.prefix))
    return Discovery(directory, latest, state_path, ordered, notes, recorded_incomplete)


def _resolve_latest(directory: str, state: dict, found: dict[str, Found], notes: list[str]
                    ) -> tuple[str | None, Found | None]:
    """The state file's latest checkpoint, if usable; and the one it names, if that is incomplete."""
    recorded = state.get("model_checkpoint_path")
    if not recorded:
        notes.append("the state file has an empty model_checkpoint_path")
        return None, None
    path = recorded if os.path.isabs(recorded) else os.path.join(directory, recorded)
    path = os.path.normpath(path) + ("/" if recorded.endswith(("/", os.sep)) else "")  # "dir/": empty basename
    if path in found:
        if found[path].complete:
            return path, None
        notes.append(f"the state file's latest checkpoint {recorded} is incomplete")
        return None, found[path]
    if _exists_as_checkpoint(path):  # outside this directory but present, as TF would use it
        return path, None
    moved = os.path.join(directory, os.path.basename(recorded))  # "" for an empty basename: directory + "/"
    if moved in found and found[moved].complete:
        notes.append(f"the state file points to {recorded}, which does not exist; using {moved} "
                     f"(the directory was probably moved or copied). {_TF_NONE}")
        return moved, None
    notes.append(f"the state file points to {recorded}, which does not exist. {_TF_NONE}")
    return None, None


def _note_newer(latest: str, found: dict[str, Found], notes: list[str]) -> None:
    """A complete checkpoint of the same name with a higher step than the state file's latest: a save whose state
    file update never happened (the run was killed in between), which tf.train.latest_checkpoint does not see."""
    step, family = _step(latest), _STEP.sub("", os.path.basename(latest))
    if step is None:
        return
    newer = [f for f in found.values() if f.complete and f.step is not None and f.step > step
             and _STEP.sub("", os.path.basename(f.prefix)) == family]
    if newer:
        best = max(newer, key=lambda f: f.step or 0)
        notes.append(f"{display_name(best.prefix)} is complete and newer than {display_name(latest)}, which the state "
                     "file names (as tf.train.latest_checkpoint does): the run saved it but did not update the state "
                     f"file (stopped in between?); name {best.prefix} to use it")


# What TensorFlow makes of a state file whose recorded save is gone: a training script that resumes from it starts over
_TF_NONE = ("tf.train.latest_checkpoint returns None for this directory (a script that resumes from it starts from "
            "scratch)")


def _exists_as_checkpoint(prefix: str) -> bool:
    if m := _V1_PATTERN.search(prefix):  # `model.ckpt-?????-of-00002`, as Saver records sharded V1 saves
        return bool(glob.glob(glob.escape(prefix[:m.start()]) + "-?????-of-" + m[1]))
    return os.path.isfile(prefix + ".index") or os.path.isfile(prefix)


def _mtime(prefix: str) -> float:
    for p in (prefix + ".index", prefix):
        try:
            return os.path.getmtime(p)
        except OSError:
            pass
    return 0.0


def scan(directory: str) -> list[Found]:
    """Every V2 bundle (by its index or data files) and V1 checkpoint in ``directory``."""
    from . import tf_v1

    names = sorted(os.listdir(directory))
    out: dict[str, Found] = {}
    shards: dict[str, set[tuple[int, int]]] = {}
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith(".index") and os.path.isfile(path):  # a directory named like an index holds no checkpoint
            prefix = path[:-len(".index")]
            out[prefix] = Found(prefix, "tf-v2", _step(prefix))
        elif m := _DATA.match(name):
            shards.setdefault(os.path.join(directory, m["prefix"]), set()).add((int(m["shard"]), int(m["num"])))
    for prefix, have in shards.items():
        found = out.setdefault(prefix, Found(prefix, "tf-v2", _step(prefix), [prefix + ".index"]))
        num = max(n for _, n in have)
        found.missing_files += [f"{prefix}.data-{i:05d}-of-{num:05d}" for i in range(num)
                                if (i, num) not in have]
    for prefix, found in out.items():
        if prefix not in shards and not found.missing_files:
            found.missing_files.append(f"{prefix}.data-?????-of-?????")
    v1: dict[str, set[tuple[int, int]]] = {}
    for name in names:
        path = os.path.join(directory, name)
        if name == STATE_FILE or name.endswith(".index") or _DATA.match(name) or not os.path.isfile(path) \
                or not tf_v1.is_v1(path):
            continue
        m = _V1_SHARD.match(name)
        v1.setdefault(os.path.join(directory, m["prefix"]) if m else path, set()).update(
            [(int(m["shard"]), int(m["num"]))] if m else [])
    for prefix, have in v1.items():
        if not have:
            out.setdefault(prefix, Found(prefix, "tf-v1", _step(prefix)))
            continue
        # a sharded V1 save is named as Saver names it in the state file and tf.train.latest_checkpoint returns
        # it, `model.ckpt-?????-of-00002`: the one name Saver.restore and tf.train.load_checkpoint accept
        num = max(n for _, n in have)
        found = out.setdefault(v1_pattern(prefix, num), Found(v1_pattern(prefix, num), "tf-v1", _step(prefix)))
        found.missing_files += [f"{prefix}-{i:05d}-of-{num:05d}" for i in range(num) if (i, num) not in have]
    return list(out.values())


def v1_pattern(prefix: str, num: int) -> str:
    """The name TensorFlow gives a V1 checkpoint saved in ``num`` shards."""
    return f"{prefix}-?????-of-{num:05d}"


def display_name(prefix: str) -> str:
    """A checkpoint's name in messages: its basename, or ``dir/`` for one saved with an empty basename."""
    return os.path.basename(prefix) or os.path.basename(os.path.dirname(prefix)) + "/"


def _step(prefix: str) -> int | None:
    m = _STEP.search(os.path.basename(prefix))
    return int(m.group(1)) if m else None


# --- the text-format CheckpointState -------------------------------------------------------------------------

_MAX_STATE_FILE = 16 << 20
_LINE = re.compile(r'^\s*(\w+)\s*:\s*(.*?)\s*$')
_BINARY = re.compile("[\x00\udc80-\udcff]")  # a NUL, or bytes that are not UTF-8 (read as surrogate escapes)
_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\", "a": b"\a", "b": b"\b",
            "f": b"\f", "v": b"\v", "?": b"?"}


def parse_state_file(path: str) -> dict:
    """Parse a text-format CheckpointState: {"model_checkpoint_path": str, "all_model_checkpoint_paths": [...]}."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read(_MAX_STATE_FILE + 1)
    if len(text) > _MAX_STATE_FILE:
        raise ValueError(f"more than {_MAX_STATE_FILE} characters: not a checkpoint state file")
    if _BINARY.search(text):  # said so, not echoed back as escapes
        raise ValueError("binary data, not a text-format CheckpointState")
    state: dict = {"all_model_checkpoint_paths": [], "all_model_checkpoint_timestamps": []}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"line {lineno}: cannot parse {line!r}")
        key, raw = m.groups()
        value = _unquote(raw, lineno) if raw.startswith(('"', "'")) else _number(raw, lineno)
        if key.endswith("_path" + "s" * key.startswith("all_")) and not isinstance(value, str):
            raise ValueError(f"line {lineno}: {key} must be a quoted string, not {raw[:40]!r}")
        if key in ("all_model_checkpoint_paths", "all_model_checkpoint_timestamps"):
            state[key].append(value)
        else:
            state[key] = value
    return state


def _number(raw: str, lineno: int) -> float:
    if len(raw) > 64:  # a timestamp; float() of a megabyte of digits is slow and proves nothing
        raise ValueError(f"line {lineno}: value {raw[:40]!r}... is not a number")
    return float(raw)


def _unquote(raw: str, lineno: int) -> str:
    quote = raw[0]
    if len(raw) < 2 or raw[-1] != quote:
        raise ValueError(f"line {lineno}: unterminated string {raw!r}")
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt in "01234567" and nxt:  # octal, up to 3 digits
            octal = re.match(r"[0-7]{1,3}", body[i + 1:])
            assert octal is not None  # nxt is an octal digit
            digits = octal[0]
            out.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        elif nxt == "x":
            hexa = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2:])
            if not hexa:
                raise ValueError(f"line {lineno}: bad \\x escape")
            out.append(int(hexa[0], 16))
            i += 2 + len(hexa[0])
        else:
            raise ValueError(f"line {lineno}: unknown escape \\{nxt}")
    return out.decode("utf-8", "surrogateescape")
