"""The one data model every format reader returns: a read-only, ordered mapping name -> TensorInfo.

Metadata (name, dtype, shape, sizes, object-graph facts) is known at open time; tensor bytes are read
only when ``TensorInfo.read()`` is called.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field

from .errors import CheckpointError, TensorNotFoundError, UsageError

# What a checkpoint entry is, as far as the file itself can tell.
VARIABLE = "variable"  # a model weight (or a weight-like value we cannot tell apart)
SLOT = "slot"  # optimizer slot of a variable (Adam m/v, momentum, ...)
OPTIMIZER = "optimizer"  # other optimizer state (iterations, learning rate, beta1_power, ...)
COUNTER = "counter"  # save_counter, global_step
OBJECT_GRAPH = "object_graph"  # TF2's serialized object graph
RNG = "rng"  # a random generator's state saved with a training run (accelerate's torch_manual_seed, rng_state)
BOOKKEEPING_KINDS = frozenset({SLOT, OPTIMIZER, COUNTER, OBJECT_GRAPH, RNG})
# Bookkeeping recognised by its name alone, in every format and on the model side: PyTorch BatchNorm's step count.
COUNTER_LEAVES = ("num_batches_tracked",)


def is_counter_name(name: str) -> bool:
    return name.endswith(COUNTER_LEAVES)


@dataclass(eq=False, slots=True)
class TensorInfo:
    """One named value in a checkpoint. ``read()`` returns it as a new numpy array."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    kind: str = VARIABLE
    object_path: str | None = None  # TF2: path in the object graph, e.g. "model/layer_with_weights-0/kernel"
    full_name: str | None = None  # TF2: the TF1-style variable name, e.g. "sequential/dense/kernel"
    aliases: tuple[str, ...] = ()  # TF2: every object path that reaches this value (restore may use any of them)
    slot_of: str | None = None  # for slots: the key of the variable this slot belongs to
    slot_name: str | None = None  # for slots: "m", "v", "momentum", "Adam", ...
    location: str = ""  # where the bytes live, for messages ("model.ckpt.data-00000-of-00001")
    partitions: int = 0  # >0: stored as this many slices, reassembled on read
    written: int | None = None  # rank in the order the writer stored values, where the format keeps it (else None)
    renamed_from: str | None = None  # a view under rules (match.rules.apply_rules): the entry's name in the file
    _reader: Callable[[], object] | None = field(default=None, repr=False)
    _checker: Callable[[], None] | None = field(default=None, repr=False)  # streams the bytes, builds no value

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def read(self):
        """Read, check (CRC where the format has one) and return the value as a numpy array."""
        if self._reader is None:
            raise CheckpointError("this entry has no readable value", tensor=self.name)
        return self._reader()

    def check(self) -> None:
        """Read every byte and check what ``read()`` checks, without keeping the value (formats that can stream
        do so through a small buffer; the others read the value and drop it)."""
        if self._checker is not None:
            self._checker()
        else:
            self.read()

    def to_json(self) -> dict[str, object]:
        """This tensor as ``inspect --json`` lists it (no values)."""
        out: dict[str, object] = {"name": self.name, "dtype": self.dtype, "shape": list(self.shape),
                                  "nbytes": self.nbytes, "kind": self.kind}
        for key in ("object_path", "full_name", "slot_of", "slot_name"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if len(self.aliases) > 1:
            out["aliases"] = list(self.aliases)
        if self.partitions:
            out["partitions"] = self.partitions
        return out


class Catalog(Mapping[str, TensorInfo]):
    """What one checkpoint holds, by name, in the checkpoint's own (sorted) key order."""

    def __init__(self, path: str | os.PathLike, format: str, tensors: Mapping[str, TensorInfo], *,
                 files: tuple[str, ...] = (), missing_files: tuple[str, ...] = (), notes: tuple[str, ...] = (),
                 objects: tuple[object, ...] = (), state_dict_at: tuple[str | int | bytes, ...] | None = None,
                 unlisted: Mapping[str, tuple[str, ...]] | None = None,
                 creation_order: Callable[[], tuple[dict[str, int] | None, str]] | None = None):
        self.path = os.fspath(path)
        self.format = format
        self._tensors = dict(tensors)
        for info in self._tensors.values():  # the one place where names make bookkeeping, whatever the format
            if info.kind == VARIABLE and is_counter_name(info.name):
                info.kind = COUNTER
        self.files = files  # every file the checkpoint consists of
        self.missing_files = missing_files  # files the checkpoint needs but that do not exist
        # file -> the names an index puts in it that cannot be listed: the file is missing (a safetensors shard's
        # header holds their dtype and shape), or it exists and holds no such tensor (nor does any other file), so
        # verify and salvage can name what is lost
        self.unlisted = dict(unlisted or {})
        self.notes = notes  # things worth telling the user (fallbacks taken, oddities seen)
        self.objects = objects  # TF2 object graph nodes (ObjectNode), empty for name-based formats
        # PyTorch: the keys leading to the model's state dict in what torch.load returns (() the whole file;
        # None: no state dict), so a printed fix loads the same dict the entries came from
        self.state_dict_at = state_dict_at
        self._creation_order = creation_order  # read only when asked: a file beside the checkpoint (``.meta``)

    def __getitem__(self, name: str) -> TensorInfo:
        try:
            return self._tensors[name]
        except KeyError:
            raise TensorNotFoundError("no such tensor in checkpoint", path=self.path, tensor=name) from None

    def __contains__(self, name: object) -> bool:  # without building an exception per miss
        return name in self._tensors

    def get(self, name: str, default=None):
        return self._tensors.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    # The dict's own views: Mapping's would call __getitem__ once per entry (100k checkpoints are walked whole)
    def values(self) -> ValuesView[TensorInfo]:
        return self._tensors.values()

    def items(self) -> ItemsView[str, TensorInfo]:
        return self._tensors.items()

    def __len__(self) -> int:
        return len(self._tensors)

    def __repr__(self) -> str:
        return f"<Catalog {self.format} {self.path!r}: {len(self)} tensors>"

    def read_all(self, names: Iterable[str] | None = None, *, jobs: int = 1) -> Iterator[tuple[str, object]]:
        """``(name, value)`` for every tensor (or ``names``) in order, ``jobs`` read at a time in threads; memory
        holds at most about ``jobs`` values besides the ones the caller keeps."""
        from ._parallel import ordered_map

        names = list(self._tensors if names is None else names)
        return zip(names, ordered_map(lambda name: self[name].read(), names, jobs), strict=False)

    def check_object_root(self, root: str | None) -> None:
        """A TF2 root name (``tf.train.Checkpoint(model=m)``: ``"model"``) that the object graph does not have is
        refused, naming the ones it has: a mistyped root is not a model whose every variable is missing."""
        if not root or not self.objects:
            return
        names = [local for local, _ in getattr(self.objects[0], "children", ())]
        if root.split("/", 1)[0] not in names:
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            raise UsageError(f"root {root!r}: the checkpoint's object graph has no such object at its root (it has "
                             f"{shown}; '' for a model saved as the root itself, save_weights)", path=self.path)

    def creation_order(self) -> tuple[dict[str, int] | None, str]:
        """({name: rank}, "") in the order the model created its variables, where a file beside the checkpoint
        records it (a TF1 Saver's ``.meta`` graph: the checkpoint itself keeps its names sorted), else (None, why
        not; "" where nothing records one). Read on each call, not at opening: listing never pays for it."""
        return self._creation_order() if self._creation_order is not None else (None, "")

    def variables(self) -> list[TensorInfo]:
        """Entries that look like model weights (no optimizer state, counters or object graph)."""
        return [t for t in self._tensors.values() if t.kind not in BOOKKEEPING_KINDS]

    def to_json(self) -> dict[str, object]:
        """The checkpoint as ``inspect --json`` prints it: path, format, files, notes and every tensor."""
        # the same keys for every checkpoint (empty lists where there is nothing to say): a stable shape to read
        return {"path": self.path, "format": self.format, "tensors": [t.to_json() for t in self._tensors.values()],
                "missing_files": list(self.missing_files), "notes": list(self.notes)}
