"""Re-encoding a TF2 ``TrackableObjectGraph`` after its checkpoint keys were renamed.

TensorFlow restores an object-based checkpoint by walking this graph from the root, matching each child's local
name to the live object's dependency of that name, then reading the tensor named by the attribute's
``checkpoint_key``. A key is ``<breadth-first path of local names>/.ATTRIBUTES/<attribute>``, so renaming keys
means renaming (or moving) the graph's edges to match. Unchanged parts are re-encoded to the same bytes;
fields this module does not interpret (registered savers, ``has_checkpoint_values``) are carried over as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._table_writer import varint
from ._tf_names import _GRAPH, _REFERENCE, _SLOT, _TENSOR
from ._wire import WireError, fields, message, to_int32

ATTRIBUTES = "/.ATTRIBUTES/"


class GraphRenameError(ValueError):
    """The renamed keys cannot be expressed as an object graph (callers add file context)."""


@dataclass
class Node:
    children: list[tuple[int, str]] = field(default_factory=list)  # (node id, local name)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)  # (name, full_name, checkpoint key)
    slots: list[tuple[int, str, int]] = field(default_factory=list)  # (variable node, slot name, slot node)
    other: list[bytes] = field(default_factory=list)  # other fields, already encoded


def _text(b) -> str:
    return b.decode("utf-8", "surrogateescape") if isinstance(b, bytes) else ""


def parse(blob: bytes) -> list[Node]:
    nodes = []
    for _, raw in message(blob, _GRAPH):
        node = Node()
        for n, wtype, v in fields(raw):
            # The fields this module interprets are checked against the reader's schemas; the rest pass through.
            if n == 1:
                ref = dict(message(_body(v), _REFERENCE))
                node.children.append((to_int32(ref.get(1, 0)), _text(ref.get(2, b""))))
            elif n == 2:
                attr = dict(message(_body(v), _TENSOR))
                name, full_name, key = (_text(attr.get(k, b"")) for k in (1, 2, 3))
                node.attributes.append((name, full_name, key))
            elif n == 3:
                ref = dict(message(_body(v), _SLOT))
                node.slots.append((to_int32(ref.get(1, 0)), _text(ref.get(2, b"")), to_int32(ref.get(3, 0))))
            else:
                node.other.append(_encode_field(n, wtype, v))
        nodes.append(node)
    return nodes


def _body(v: int | bytes) -> bytes:
    if not isinstance(v, bytes):
        raise WireError("object graph field is not length-delimited")
    return v


def _encode_field(n: int, wtype: int, v) -> bytes:
    if wtype == 0:
        return varint(n << 3) + varint(v)
    if wtype == 2:
        return varint(n << 3 | 2) + varint(len(v)) + v
    if wtype == 5:
        return varint(n << 3 | 5) + v.to_bytes(4, "little")
    return varint(n << 3 | 1) + v.to_bytes(8, "little")


def _str(n: int, s: str) -> bytes:
    b = s.encode("utf-8", "surrogateescape")
    return varint(n << 3 | 2) + varint(len(b)) + b if b else b""


def _int(n: int, v: int) -> bytes:
    return varint(n << 3) + varint(v & ((1 << 64) - 1)) if v else b""


def _msg(n: int, body: bytes) -> bytes:
    return varint(n << 3 | 2) + varint(len(body)) + body


def encode(nodes: list[Node]) -> bytes:
    out = bytearray()
    for node in nodes:
        body = bytearray()
        for child, name in node.children:
            body += _msg(1, _int(1, child) + _str(2, name))
        for name, full_name, key in node.attributes:
            body += _msg(2, _str(1, name) + _str(2, full_name) + _str(3, key))
        for variable, slot_name, slot_node in node.slots:
            body += _msg(3, _int(1, variable) + _str(2, slot_name) + _int(3, slot_node))
        for raw in node.other:
            body += raw
        out += _msg(1, bytes(body))
    return bytes(out)


def escape(local_name: str) -> str:
    return local_name.replace(".", "..").replace("/", ".S")


def unescape(component: str) -> str:
    out, i = [], 0
    while i < len(component):
        if component[i] == "." and i + 1 < len(component):
            out.append("." if component[i + 1] == "." else "/" if component[i + 1] == "S" else component[i:i + 2])
            i += 2
        else:
            out.append(component[i])
            i += 1
    return "".join(out)


def _tree(nodes: list[Node]) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[str, ...]], list[int]]:
    """Breadth-first spanning tree as TF walks it: (parent, edge index) and path (local names) per reached node."""
    parent: dict[int, tuple[int, int]] = {}
    paths: dict[int, tuple[str, ...]] = {0: ()}
    order = [0]
    for node_id in order:
        for i, (child, name) in enumerate(nodes[node_id].children):
            if child not in paths and 0 <= child < len(nodes):
                paths[child] = paths[node_id] + (name,)
                parent[child] = (node_id, i)
                order.append(child)
    return parent, paths, order


def key_path(key: str) -> tuple[str, ...] | None:
    """The object path a checkpoint key names (unescaped local names), None if it is not an attribute key."""
    if ATTRIBUTES not in key:
        return None
    path = key[:key.rindex(ATTRIBUTES)]
    return tuple(unescape(c) for c in path.split("/")) if path else ()


def rename(blob: bytes, new_keys: dict[str, str | None]) -> bytes:
    """The graph ``blob`` with every attribute's checkpoint key replaced by ``new_keys[key]`` (None: the tensor is
    dropped, and so is the attribute) and edges renamed or moved so that breadth-first paths give the new keys."""
    nodes = parse(blob)
    if not nodes:
        return blob
    parent, old_paths, order = _tree(nodes)
    desired: dict[int, tuple[str, ...]] = {}
    emptied: set[int] = set()
    for node_id, node in enumerate(nodes):
        kept = []
        for name, full_name, key in node.attributes:
            new = new_keys.get(key, key)
            if new is None:
                continue
            kept.append((name, full_name, new))
            if node_id not in parent:
                continue  # slot variables (reached through their optimizer) and the root: no edge to rename
            path = key_path(new)
            if path is None or not path or new[new.rindex(ATTRIBUTES) + len(ATTRIBUTES):] != escape(name):
                raise GraphRenameError(f"new key {new!r} is not '<object path>{ATTRIBUTES}{escape(name)}', so no "
                                       "object graph can name it (write a name-based checkpoint instead)")
            if desired.setdefault(node_id, path) != path:
                raise GraphRenameError(f"the attributes of one object would move to two paths: "
                                       f"{'/'.join(desired[node_id])!r} and {'/'.join(path)!r}")
        if node.attributes and not kept:
            emptied.add(node_id)
        node.attributes = kept
    for node in nodes:  # a slot whose value was dropped is no slot any more
        node.slots = [s for s in node.slots if s[2] not in emptied]

    # Objects without attributes of their own (layers, modules) follow their descendants when those agree.
    proposals: dict[int, set[tuple[str, ...]]] = {}
    for node_id, path in desired.items():
        old, up = old_paths[node_id], node_id
        depth = len(old)
        while up in parent:
            up = parent[up][0]
            k = depth - len(old_paths[up])  # components from `up` down to node_id
            if len(path) < k or old[-k:] != path[-k:]:
                break
            proposals.setdefault(up, set()).add(path[:len(path) - k])
    holders = _holders(nodes, parent, order)
    new_paths: dict[int, tuple[str, ...]] = {0: ()}
    by_path: dict[tuple[str, ...], int] = {(): 0}
    for node_id in order[1:]:  # objects holding values go where their keys say
        if node_id in desired:
            if desired[node_id] in by_path:
                raise GraphRenameError(f"two objects would have the path {'/'.join(desired[node_id])!r}")
            new_paths[node_id] = desired[node_id]
            by_path[desired[node_id]] = node_id
    for node_id in order[1:]:  # objects above them follow where all agree and the place is free
        found = proposals.get(node_id, ())
        path = next(iter(found)) if len(found) == 1 else None
        if node_id not in desired and path is not None and path not in by_path:
            new_paths[node_id] = path
            by_path[path] = node_id
    evidence = set(new_paths)
    removed: set[int] = set()
    for node_id in order[1:]:
        if node_id in evidence:
            continue
        p = parent[node_id][0]  # no (or conflicting) evidence: stays under its parent with its local name
        path = new_paths.get(p, ()) + (old_paths[node_id][-1],)
        if p in removed or path in by_path:
            if node_id in holders:
                raise GraphRenameError(f"object {'/'.join(old_paths[node_id])!r} would take the path "
                                       f"{'/'.join(path)!r} of another one")
            removed.add(node_id)  # an object without values (e.g. a layer without weights) whose place was taken
            continue
        new_paths[node_id] = path
        by_path[path] = node_id
    if new_paths == old_paths:
        return encode(nodes)
    order = [n for n in order if n not in removed]
    new_parent: dict[int, int] = {}

    def node_at(path: tuple[str, ...]) -> int:
        if path not in by_path:  # a scope that did not exist: a new, empty object
            up = node_at(path[:-1])
            nodes.append(Node())
            by_path[path] = len(nodes) - 1
            new_paths[len(nodes) - 1] = path
            new_parent[len(nodes) - 1] = up
        return by_path[path]

    for node_id in order[1:]:
        new_parent[node_id] = node_at(new_paths[node_id][:-1])
    moved_in: dict[int, list[int]] = {}
    for child, p in new_parent.items():
        if child not in parent or parent[child][0] != p:
            moved_in.setdefault(p, []).append(child)
    for node_id, node in enumerate(nodes):
        children = []
        for i, (child, name) in enumerate(node.children):
            if parent.get(child) == (node_id, i):
                if new_parent.get(child) == node_id:
                    children.append((child, new_paths[child][-1]))
            elif child in new_paths and node_id in new_paths and new_paths[child] == old_paths[child] and \
                    new_paths[node_id] == old_paths[node_id]:
                children.append((child, name))  # an alias that is still true
        children += [(c, new_paths[c][-1]) for c in moved_in.get(node_id, [])]
        node.children = children
    _check(nodes)
    return encode(nodes)


def _holders(nodes: list[Node], parent: dict[int, tuple[int, int]], order: list[int]) -> set[int]:
    """Tree nodes that hold attributes themselves or below them."""
    out: set[int] = set()
    for node_id in reversed(order):
        if nodes[node_id].attributes or node_id in out:
            out.add(node_id)
            if node_id in parent:
                out.add(parent[node_id][0])
    return out


def _check(nodes: list[Node]) -> None:
    _, paths, _ = _tree(nodes)
    slots = {s[2] for node in nodes for s in node.slots}
    for node_id, node in enumerate(nodes):
        if node_id in slots or node_id == 0 or not node.attributes:
            continue
        if node_id not in paths:
            raise GraphRenameError(f"after renaming, the object holding {node.attributes[0][2]!r} is unreachable")
        for _, _, key in node.attributes:
            if key_path(key) != paths[node_id]:
                raise GraphRenameError(f"after renaming, object {'/'.join(paths[node_id])!r} would hold key {key!r}")
