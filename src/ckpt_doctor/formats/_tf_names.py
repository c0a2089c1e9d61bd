"""What each TensorFlow checkpoint entry *is*: model variable, optimizer slot, optimizer state, counter.

TF2 checkpoints say it themselves in their object graph (``_CHECKPOINTABLE_OBJECT_GRAPH``); TF1 name-based
checkpoints only through naming conventions of the optimizers, which are recognised conservatively: a
``<var>/Adam`` entry is a slot only if ``<var>`` itself is in the checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..catalog import COUNTER, OBJECT_GRAPH, OPTIMIZER, SLOT, VARIABLE, TensorInfo
from ..errors import CheckpointError
from ._wire import BYTES, VARINT, Schema, WireError, message, to_int32

ATTRIBUTES = "/.ATTRIBUTES/"
OPTIMIZER_SLOT = "/.OPTIMIZER_SLOT/"

# Slot names of the TF1 optimizers (tf.compat.v1.train.*Optimizer), as appended to the variable's name (also what
# match.fixes leaves out of init_from_checkpoint, which fills variables of the store only).
TF1_SLOT_SUFFIX = re.compile(r"/(Adam(_1)?|Momentum|RMSProp(_1)?|Adagrad|AdagradDA(_1)?|Adadelta(_1)?|Ftrl(_1)?|"
                        r"ProximalAdagrad|LazyAdam(_1)?|Adamax(_1)?|Nadam(_1)?|GradientDescent|"
                        r"AdamWeightDecay(_1)?|LAMB(_1)?|LARS|LossScaleOptimizer|"
                        # Google's BERT-family code (AdamWeightDecayOptimizer, LAMB): ``<var>/adam_m``, ``<var>/adam_v``
                        r"adam_m|adam_v)$")
_TF1_OPTIMIZER_STATE = re.compile(r"(^|/)(beta1_power|beta2_power)(_\d+)?$")
_KERAS_METRICS = "keras_api/metrics/"
_COUNTERS = re.compile(r"(^|/)(global_step|save_counter)(/\.ATTRIBUTES/VARIABLE_VALUE)?$")
# A scalar integer whose own name says step, counter or iteration counts training progress (tf-agents'
# `_train_step_counter`, a `train_step`, an `iterations` beside the model): bookkeeping, as global_step is.
_ITERATOR_STATE = "/.ATTRIBUTES/ITERATOR_STATE"  # tf.train.Checkpoint(iterator=iter(dataset)), as TF's guide does
_COUNTER_WORDS = frozenset({"step", "steps", "counter", "iteration", "iterations"})


@dataclass
class ObjectNode:
    """One object of a TF2 checkpoint's object graph."""

    id: int
    path: str  # breadth-first path from the root, local names escaped as TF escapes them; "" for the root
    children: list[tuple[str, int]] = field(default_factory=list)  # (local name, node id)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)  # (name, full_name, checkpoint key)
    slots: list[tuple[int, str, int]] = field(default_factory=list)  # (variable node, slot name, slot node)


def annotate(tensors: dict[str, TensorInfo], graph_key: str, graph_bytes=None
             ) -> tuple[tuple[str, ...], tuple[ObjectNode, ...]]:
    """Set kind/object_path/full_name/slot fields in place; return notes and the object graph (if any).
    ``graph_bytes()`` returns the serialized object graph (default: read through the tensor, which needs numpy)."""
    for info in tensors.values():
        if info.name.endswith(("global_step", "save_counter", "VARIABLE_VALUE")) and _COUNTERS.search(info.name):
            info.kind = COUNTER
        elif info.name.endswith(_ITERATOR_STATE):  # where a tf.data input pipeline was: bookkeeping, as a step is
            info.kind = COUNTER
    graph = tensors.get(graph_key)
    if graph is None:
        _annotate_tf1(tensors)
        _annotate_counters(tensors)
        return (), ()
    graph.kind = OBJECT_GRAPH
    try:
        if graph_bytes is not None:
            raw = graph_bytes()
        else:
            value = graph.read()
            if value.dtype != object or value.size != 1:
                raise ValueError(f"the object graph entry is {value.dtype} of shape {list(value.shape)}, "
                                 "not one string")
            raw = bytes(value.reshape(-1)[0])
        nodes = parse_object_graph(raw)
        _annotate_tf2(tensors, nodes)  # raises before changing anything when the paths would be too many
    except (CheckpointError, WireError, ValueError) as e:
        _annotate_counters(tensors)
        return (f"could not decode the TF2 object graph ({e}); entries are shown by key only",), ()
    _annotate_counters(tensors)
    return (), tuple(nodes)


def is_step_counter(name: str, dtype: str, shape) -> bool:
    """A scalar integer variable named as a step counter (the facts, whoever wrote it)."""
    if tuple(shape) != () or not dtype.startswith(("int", "uint")):
        return False
    leaf = name.split(ATTRIBUTES, 1)[0].rsplit("/", 1)[-1]
    return not _COUNTER_WORDS.isdisjoint(leaf.lower().split("_"))


def _annotate_counters(tensors: dict[str, TensorInfo]) -> None:
    for info in tensors.values():
        if info.kind == VARIABLE and is_step_counter(info.name, info.dtype, info.shape):
            info.kind = COUNTER


def _annotate_tf1(tensors: dict[str, TensorInfo]) -> None:
    for info in tensors.values():
        kind, slot_of, slot_name = classify_tf1(info.name, tensors)
        if kind is not None:
            info.kind, info.slot_of, info.slot_name = kind, slot_of, slot_name


_LAST_WORDS = {"global_step", "save_counter", "VARIABLE_VALUE", "beta1_power", "beta2_power", "Adam", "Adam_1",
               "Momentum", "RMSProp", "RMSProp_1", "Adagrad", "AdagradDA", "AdagradDA_1", "Adadelta", "Adadelta_1",
               "Ftrl", "Ftrl_1", "ProximalAdagrad", "LazyAdam", "LazyAdam_1", "Adamax", "Adamax_1", "Nadam",
               "Nadam_1", "GradientDescent", "AdamWeightDecay", "AdamWeightDecay_1", "LAMB", "LAMB_1", "LARS",
               "LossScaleOptimizer", "adam_m", "adam_v"}


def classify_tf1(name: str, names) -> tuple[str | None, str | None, str | None]:
    """(kind, slot_of, slot_name) of a TF1 variable name given all names; kind None = an ordinary variable."""
    last = name.rsplit("/", 1)[-1]
    if last not in _LAST_WORDS and not last.startswith(("beta1_power_", "beta2_power_")):
        return None, None, None  # the common case, decided without a regex
    if _COUNTERS.search(name):
        return COUNTER, None, None
    slot = TF1_SLOT_SUFFIX.search(name)
    if slot and name[:slot.start()] in names:
        return SLOT, name[:slot.start()], slot.group(1)
    if _TF1_OPTIMIZER_STATE.search(name):
        return OPTIMIZER, None, None
    return None, None, None


def _escape(local_name: str) -> str:
    return local_name.replace(".", "..").replace("/", ".S")


_GRAPH: Schema = {1: BYTES}  # TrackableObjectGraph: nodes
_OBJECT: Schema = {1: BYTES, 2: BYTES, 3: BYTES}  # TrackableObject: children, attributes, slot_variables
_REFERENCE: Schema = {1: VARINT, 2: BYTES}  # ObjectReference: node_id, local_name
_TENSOR: Schema = {1: BYTES, 2: BYTES, 3: BYTES}  # SerializedTensor: name, full_name, checkpoint_key
_SLOT: Schema = {1: VARINT, 2: BYTES, 3: VARINT}  # SlotVariableReference: variable node, slot name, slot node


class _TooLarge(CheckpointError):
    """Object paths would grow faster than the graph that spells them (a long chain): not annotated."""


def _path_budget(nbytes: int) -> int:
    # Characters of object paths built per byte of graph. A real graph spells every variable's path in its
    # checkpoint keys, so its paths add up to less than its size; a chain of n nodes would need n^2/2 characters.
    return 8 * nbytes + (1 << 20)


def parse_object_graph(blob: bytes) -> list[ObjectNode]:
    """Decode a serialized TrackableObjectGraph and give every node its breadth-first path."""
    nodes: list[ObjectNode] = []
    for _, node in message(blob, _GRAPH):
        obj = ObjectNode(id=len(nodes), path="")
        for n, v in message(node, _OBJECT):
            if n == 1:
                ref = dict(message(v, _REFERENCE))
                obj.children.append((_text(ref.get(2, b"")), to_int32(ref.get(1, 0))))
            elif n == 2:
                attr = dict(message(v, _TENSOR))
                name, full_name, key = (_text(attr.get(k, b"")) for k in (1, 2, 3))
                obj.attributes.append((name, full_name, key))
            else:
                ref = dict(message(v, _SLOT))
                obj.slots.append((to_int32(ref.get(1, 0)), _text(ref.get(2, b"")), to_int32(ref.get(3, 0))))
        nodes.append(obj)
    seen, queue = {0}, [0]
    budget = _path_budget(len(blob))
    for node_id in queue:  # breadth-first, first path wins, cycles allowed
        if node_id >= len(nodes):
            raise ValueError(f"object graph references node {node_id} of {len(nodes)}")
        for local, child in nodes[node_id].children:
            if child not in seen and 0 <= child < len(nodes):
                seen.add(child)
                parent = nodes[node_id].path
                nodes[child].path = f"{parent}/{_escape(local)}" if parent else _escape(local)
                budget -= len(nodes[child].path)
                if budget < 0:
                    raise _TooLarge("object graph paths grow faster than the graph (a long chain of objects)")
                queue.append(child)
    return nodes


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


_MAX_PATHS = 8  # object paths remembered per node: enough for Keras' aliases, bounded for cyclic graphs


# A Keras optimizer (Keras 3, tf-keras >= 2.11) keeps its state in variables it tracks itself, not as TF slots; these
# two children say what it is whatever the checkpoint calls it (`tf.train.Checkpoint(opt=...)`).
_KERAS_OPTIMIZER_CHILDREN = frozenset({"_iterations", "_learning_rate"})


def _optimizer_nodes(nodes: list[ObjectNode]) -> set[int]:
    """Nodes that are optimizers: they own slot variables, have a Keras optimizer's children, or a parent calls them
    "...optimizer"."""
    out = {n.id for n in nodes if n.slots or _KERAS_OPTIMIZER_CHILDREN.issubset(local for local, _ in n.children)}
    for node in nodes:
        for local, child in node.children:
            if local.lower().endswith("optimizer"):
                out.add(child)
    return out


def breadth_first(nodes: list[ObjectNode] | tuple[ObjectNode, ...], avoid: set[int] | frozenset[int] = frozenset()
                  ) -> list[tuple[int, str]]:
    """(node, path) for up to _MAX_PATHS shortest paths from the root to each node, never passing through ``avoid``,
    in the order TensorFlow's restore walks them: breadth first, children in the graph's order."""
    count: dict[int, int] = {}
    queue = [(0, "")]
    budget = _MAX_PATHS * _path_budget(sum(len(local) + 4 for n in nodes for local, _ in n.children))
    for node_id, path in queue:
        for local, child in nodes[node_id].children:
            if child in avoid or not 0 <= child < len(nodes) or child == 0 or count.get(child, 0) >= _MAX_PATHS:
                continue
            count[child] = count.get(child, 0) + 1
            child_path = f"{path}/{_escape(local)}" if path else _escape(local)
            budget -= len(child_path)
            if budget < 0:
                raise _TooLarge("object graph paths grow faster than the graph (a long chain of objects)")
            queue.append((child, child_path))
    return queue[1:]


def _all_paths(nodes: list[ObjectNode], avoid: set[int]) -> dict[int, list[str]]:
    """Up to _MAX_PATHS shortest paths from the root to each node, never passing through ``avoid``."""
    paths: dict[int, list[str]] = {0: [""]}
    for node_id, path in breadth_first(nodes, avoid):
        paths.setdefault(node_id, []).append(path)
    return paths


def _annotate_tf2(tensors: dict[str, TensorInfo], nodes: list[ObjectNode]) -> None:
    slot_nodes: dict[int, tuple[int, str]] = {}
    for node in nodes:
        for variable, slot_name, slot_node in node.slots:
            slot_nodes[slot_node] = (variable, slot_name)
    optimizers = _optimizer_nodes(nodes)
    model_paths = _all_paths(nodes, avoid=optimizers)  # Keras 3 also tracks weights under its optimizer
    # (a Keras 3 optimizer lists the model's trainable variables it was built for, `optimizer/_trainable_variables/
    # N`: a model value, even where the model itself reaches it by no path the file keeps)
    trained = {child for o in optimizers for local, listed in nodes[o].children
               if local == "_trainable_variables" and 0 <= listed < len(nodes) for _, child in nodes[listed].children}
    every_path = _all_paths(nodes, avoid=set())
    for node in nodes:
        for name, full_name, key in node.attributes:
            info = tensors.get(key)
            if info is None:
                continue
            key_path = key[:key.rindex(ATTRIBUTES)] if ATTRIBUTES in key else node.path
            owned_by_model = node.id in model_paths
            info.object_path = model_paths[node.id][0] if owned_by_model else key_path
            info.aliases = tuple(dict.fromkeys([info.object_path, *every_path.get(node.id, [])]))
            info.full_name = full_name or None
            if node.id in slot_nodes:
                variable, slot_name = slot_nodes[node.id]
                original = next((k for n, _, k in nodes[variable].attributes if n == name), None) \
                    if 0 <= variable < len(nodes) else None
                info.kind, info.slot_of, info.slot_name = SLOT, original, slot_name
            elif OPTIMIZER_SLOT in key:
                slot_path = key.split(OPTIMIZER_SLOT, 1)[1].split(ATTRIBUTES)[0]
                info.kind, info.slot_name = SLOT, slot_path.rsplit("/", 1)[-1]
                info.slot_of = key.split(OPTIMIZER_SLOT, 1)[0] + ATTRIBUTES + name
            elif _KERAS_METRICS in key_path or _KERAS_METRICS in info.object_path:
                info.kind = COUNTER  # a compiled metric's count/total: Keras bookkeeping, not a model value
            elif info.kind != COUNTER and not owned_by_model and node.id not in trained:
                info.kind = OPTIMIZER
    _annotate_keras3_slots(tensors)


def _annotate_keras3_slots(tensors: dict[str, TensorInfo]) -> None:
    """A Keras 3 optimizer's variables (``optimizer/_variables/N``) are linked to nothing in the object graph; each
    names its model variable in its own name, the variable's path with ``_`` for ``/`` and then the slot:
    ``adam/sequential_dense_kernel_momentum``, ``..._velocity``, ``..._average`` (an exponential moving average
    of the weight: ``use_ema=True``). Such a variable is a slot of the model value whose name that is."""
    weights: dict[str, str] = {}
    for key, info in tensors.items():
        if info.kind == VARIABLE and info.full_name:
            weights.setdefault(info.full_name.replace("/", "_"), key)
    if not weights:
        return
    for info in tensors.values():
        if info.kind != OPTIMIZER or not info.full_name or "/" not in info.full_name or info.shape == ():
            continue
        rest = info.full_name.split("/", 1)[1]
        at = rest.rfind("_")
        while at > 0:  # the longest variable name ahead of a slot name
            owner = weights.get(rest[:at])
            if owner is not None and tensors[owner].shape == info.shape:
                info.kind, info.slot_of, info.slot_name = SLOT, owner, rest[at + 1:]
                break
            at = rest.rfind("_", 0, at)
