"""The fix the report prints: code that, pasted after the model is built, gives every variable that has a
counterpart in the checkpoint its value, and says which variables are expected to stay as initialised.

One generator per framework, chosen from the model's framework (a Keras model gets Keras code for a PyTorch file),
then from the loader (model/loaders.py) for models known only by their variables:

* TF1 ``Saver``: a ``var_list`` dict from checkpoint name to variable; optimizer slots (``<var>/Adam``) and
  other state follow the variable or scope they belong to; variables with no value (new layers, slots the
  checkpoint lacks) are left out, so the restore cannot fail on them; values a Saver cannot take (a layout change, a
  file that is no TF checkpoint) are read with ckpt-doctor, rearranged and assigned in the session instead;
* ``init_from_checkpoint``: one entry per variable (a scope entry would demand every variable under it);
* TF2 / Keras (every checkpoint format, HDF5 and ``.keras`` included): values read with ckpt-doctor and assigned
  by the variable's position in ``model.variables``, never by auto-numbered names, which drift between processes;
* PyTorch: a key map including buffers and ``num_batches_tracked``, unused keys dropped, then ``strict=True``,
  or ``strict=False`` with the exact list of expected missing keys; from a training checkpoint, the state dict
  the catalog read (``Catalog.state_dict_at``), optimizer state left where it is; tied parameters (filled through
  the storage they share with a loaded one, yet listed missing by ``load_state_dict``) expected apart.

TF1, TF2 / Keras and PyTorch fixes apply a pair's layout change (``transpose``, ``permute(...)``, ``reshape(...)``
and their compositions, ``transpose+reshape(32,4,8)``: the vocabulary of match/rules.py) exactly, as a NumPy or
torch lambda per variable; its slots follow it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..catalog import COUNTER, OPTIMIZER, SLOT, VARIABLE, is_counter_name
from ..formats._tf_names import TF1_SLOT_SUFFIX
from ..formats.torch_pickle import WEIGHTS_ONLY_REFUSES
from .names import parse_reshape, parse_transform
from .rules import RuleError, transformed_meta

_SEP = re.compile(r"[/.]")


@dataclass
class Fix:
    title: str
    code: str
    expected_missing: list[str] = field(default_factory=list)  # model variables the fix leaves as initialised


def sources(alignment) -> dict[str, str]:
    """{model variable: checkpoint key} for every variable the fix restores: the alignment's pairs, then the
    variables that follow a paired one (slots under it, siblings such as ``num_batches_tracked`` in its scope)."""
    d = alignment.diagnosis
    catalog, spec = d.checkpoint, d.model
    shapes = {v.name: tuple(v.shape) for v in spec.variables}
    out = {p.model: p.checkpoint for p in alignment.pairs if p.model in shapes}
    undecided = {a.model for a in alignment.ambiguous}  # a fix never decides what the alignment would not
    # the layer-order alignment is Keras' own reading of a legacy .h5 (by order): there it decides; a Keras 3 file
    # loads by path, and the order only fills what the alignment left (a nested model's paths coincide otherwise)
    by_order = {m: c for m, c in _keras_layer_pairs(d).items() if m not in undecided}
    if d.loader.pairs_by == "keras3":
        taken = set(out.values())
        by_order = {m: c for m, c in by_order.items() if m not in out and c not in taken}
    out.update(by_order)
    ops = {p.model: p.transform for p in alignment.pairs if p.transform and p.transform != "none"}
    # a pair whose shapes differ (and no transpose explains it) would make the restore fail: left out
    out = {m: c for m, c in out.items() if c in catalog and (m in ops or tuple(catalog[c].shape) == shapes[m])}
    taken = set(out.values())
    scopes = _scopes(out)
    for v in spec.variables:
        if v.name in out or v.name in undecided:
            continue
        key = _follow(v.name, out, scopes, catalog)
        if key is None and v.name in catalog and v.name not in taken:
            key = v.name  # same name, not paired by the engine (bookkeeping is not aligned)
        if key is None or key in taken:
            continue
        owner = _slot_owner(v.name, key, out)  # a slot of a rearranged variable is rearranged like it
        if _shape_after(ops.get(owner) if owner else None, catalog[key]) == tuple(v.shape):
            out[v.name] = key
            taken.add(key)
    return {v.name: out[v.name] for v in spec.variables if v.name in out}  # in the model's order


def torch_key_map(restored: dict[str, str]) -> dict[str, str]:
    """{checkpoint key: model key} for the keys ``restored`` (model variable -> checkpoint key) renames."""
    return {c: m for m, c in restored.items() if m != c}


def _keras_layer_pairs(d) -> dict[str, str]:
    """Keras files pair by layer order: align the model's layers with the file's by their weight shapes (longest
    common subsequence), which finds inserted and removed layers; nothing where that alignment is not unique."""
    return _layer_alignment(d)[0]


def layer_story(d, alignment=None) -> list[str]:
    """Sentences on the Keras layers new in the model or gone from it, as the layer-order alignment finds them: a
    model layer in the place of a file layer of other shapes (between the same paired neighbours) is that layer
    changed, not one layer new and another gone. With ``alignment``, a layer whose values it pairs otherwise (a
    nested model's paths, which the layer order cannot see) is not told as new, gone or changed."""
    _, new, gone, changed = _layer_alignment(d)
    if alignment is not None:
        paired_m, paired_c = {p.model for p in alignment.pairs}, {p.checkpoint for p in alignment.pairs}
        new = [x for x in new if not paired_m.issuperset(x[2])]
        gone = [x for x in gone if not paired_c.issuperset(x[1])]
        changed = [x for x in changed if not paired_m.issuperset(x[4])]
    out = []
    if changed:
        out.append("changed shape in the model (keep their initial values): " + ", ".join(
            f"`{m}` (the file's `{f}`: {', '.join(map(str, a))} -> {', '.join(map(str, b))})"
            for m, f, a, b, _ in changed[:6]) + (" ..." if len(changed) > 6 else ""))
    if new:
        inserted = [n for n, later, _ in new if later]
        out.append("new in the model (keep their initial values): " + ", ".join(f"`{n}`" for n, _, _ in new[:6])
                   + (" ..." if len(new) > 6 else "")
                   + ("; the layers after them pair with the file's by shape" if inserted else ""))
    if gone:
        out.append("in the file but not in the model: " + ", ".join(f"`{n}`" for n, _ in gone[:6])
                   + (" ..." if len(gone) > 6 else ""))
    return out


def _layer_alignment(d) -> tuple[dict[str, str], list[tuple[str, bool, list]], list[tuple[str, list]], list[tuple]]:
    """({model variable: checkpoint key}, model layers without a file layer (with: does a paired layer follow it,
    its variables), file layers without a model layer (with their keys), (model layer, file layer, file shapes,
    model shapes, its variables) of the layers in each other's place that differ in shape)."""
    loader = d.loader.pairs_by
    if loader not in ("keras3", "keras-h5", "keras-h5-by-name"):
        return {}, [], [], []
    from .compare import _keyed_entries, _layer_of

    keyed = _keyed_entries(d.checkpoint, d.loader)
    model_layers: dict[str, list] = {}
    for v in d.model.variables:
        if v.is_weight and loader in v.keys:
            model_layers.setdefault(_layer_of(v.keys[loader]), []).append(v)
    file_layers: dict[str, list] = {}
    for key, info in keyed.items():
        file_layers.setdefault(_layer_of(key), []).append(info)
    if not model_layers:
        return {}, [], [], []

    def signature(items):
        return tuple(tuple(x.shape) for x in items)

    def owner(v) -> str:
        return v.name.rsplit("/", 1)[0] if "/" in v.name else v.name

    out: dict[str, str] = {}
    new: list[tuple[str, bool, list]] = []
    gone: list[tuple[str, list]] = []
    changed: list[tuple] = []
    if loader == "keras-h5-by-name":  # layers pair by their names: one name, other shapes, is that layer changed
        for k, vs in model_layers.items():
            if k not in file_layers:
                new.append((owner(vs[0]), False, [v.name for v in vs]))
            elif signature(vs) != signature(file_layers[k]):
                changed.append((owner(vs[0]), _file_layer_name(k, file_layers[k][0], loader),
                                [list(x.shape) for x in file_layers[k]], [list(v.shape) for v in vs],
                                [v.name for v in vs]))
            else:
                out.update((v.name, info.name) for v, info in zip(vs, file_layers[k], strict=False))
        gone = [(_file_layer_name(k, es[0], loader), [info.name for info in es])
                for k, es in file_layers.items() if k not in model_layers]
        return out, new, gone, changed
    # (groups in the model's order, then the file's: what is said comes out alike whatever the hash seed)
    for group in dict.fromkeys([_class_group(k, loader) for k in [*model_layers, *file_layers]]):
        a = sorted(((k, signature(vs)) for k, vs in model_layers.items() if _class_group(k, loader) == group),
                    key=lambda x: _ordinal(x[0], loader))
        b = sorted(((k, signature(es)) for k, es in file_layers.items() if _class_group(k, loader) == group),
                   key=lambda x: _ordinal(x[0], loader))
        first = _lcs(a, b)
        last = sorted((len(a) - 1 - i, len(b) - 1 - j) for i, j in _lcs(a[::-1], b[::-1]))
        if first != last:  # an inserted layer like its neighbours: which one is new is not decided by shapes
            continue
        for i, j in first:
            for v, info in zip(model_layers[a[i][0]], file_layers[b[j][0]], strict=False):
                out[v.name] = info.name
        # the unpaired layers between two paired neighbours (or the ends): one on each side there is one layer changed
        bounds = [(-1, -1), *first, (len(a), len(b))]
        for (i0, j0), (i1, j1) in zip(bounds, bounds[1:], strict=False):
            left_m, left_f = list(range(i0 + 1, i1)), list(range(j0 + 1, j1))
            if len(left_m) == len(left_f) == 1:
                i, j = left_m[0], left_f[0]
                changed.append((owner(model_layers[a[i][0]][0]), _file_layer_name(b[j][0], file_layers[b[j][0]][0],
                                                                                  loader),
                                [list(x) for x in b[j][1]], [list(x) for x in a[i][1]],
                                [v.name for v in model_layers[a[i][0]]]))
                continue
            new += [(owner(model_layers[a[i][0]][0]), i1 < len(a), [v.name for v in model_layers[a[i][0]]])
                    for i in left_m]
            gone += [(_file_layer_name(b[j][0], file_layers[b[j][0]][0], loader),
                      [info.name for info in file_layers[b[j][0]]]) for j in left_f]
    rank = {v.name: i for i, v in enumerate(d.model.variables)}
    new.sort(key=lambda layer: rank.get(layer[2][0], len(rank)) if layer[2] else len(rank))
    return out, new, gone, changed


def _file_layer_name(key: str, info, loader: str) -> str:
    """The name a user knows a file layer by: legacy HDF5 layers pair by rank (key ``"29"``), so their group."""
    if loader != "keras-h5":
        return key.removesuffix("/vars")  # keras3: the layer's path
    return (info.location or info.name).removeprefix("model_weights/").split("/", 1)[0]


_ORDINAL = re.compile(r"^(.*?)(?:_(\d+))?$", re.DOTALL)  # matches every string


def _class_group(layer: str, loader: str) -> str:
    """Keras 3 files keep no order between layers of different classes, only the ordinal within a class
    (``layers/dense``, ``layers/dense_1``); legacy HDF5 keeps the full layer order."""
    return _split_ordinal(layer)[0] if loader == "keras3" else ""


def _ordinal(layer: str, loader: str) -> int:
    if loader != "keras3":
        return int(layer) if layer.isdigit() else 0
    n = _split_ordinal(layer)[1]
    return int(n) if n else 0


def _split_ordinal(layer: str) -> tuple[str, str | None]:
    m = _ORDINAL.match(layer.removesuffix("/vars"))
    assert m is not None  # every part of the pattern is optional
    return m[1], m[2]


def _lcs(a: list, b: list) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of a and b (compared by their second items), matching as early
    as possible."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i][1] == b[j][1] else max(table[i + 1][j], table[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i][1] == b[j][1] and table[i][j] == table[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _follow(name: str, paired: dict[str, str], scopes: dict[str, str], catalog) -> str | None:
    """The checkpoint key of ``name`` when it belongs to a paired variable: ``<var>/Adam`` follows ``<var>``;
    ``bn.num_batches_tracked`` follows ``bn.running_mean`` (``scopes``: model scope -> checkpoint scope)."""
    cuts = [m.start() for m in _SEP.finditer(name)]
    for cut in reversed(cuts):  # slot-like: a paired variable is a prefix of this name
        owner = name[:cut]
        if owner in paired and paired[owner] + name[cut:] in catalog:
            return paired[owner] + name[cut:]
    if cuts and name[:cuts[-1]] in scopes:  # sibling: a paired variable shares this name's scope
        candidate = scopes[name[:cuts[-1]]] + name[cuts[-1]:]
        if candidate in catalog:
            return candidate
    return None


def _scopes(paired: dict[str, str]) -> dict[str, str]:
    """{model scope: checkpoint scope} from paired variables with the same leaf name."""
    out: dict[str, str] = {}
    for m, c in paired.items():
        m_cut, c_cut = _last_sep(m), _last_sep(c)
        if m_cut is not None and c_cut is not None:
            out.setdefault(m[:m_cut], c[:c_cut])
    return out


def _last_sep(name: str) -> int | None:
    cuts = [m.start() for m in _SEP.finditer(name)]
    return cuts[-1] if cuts else None


def fix_for(alignment) -> Fix:
    d = alignment.diagnosis
    loader, framework = d.loader.name, d.model.framework
    # the model's framework decides the code (a Keras model has no load_state_dict, whatever the file's format);
    # the loader decides only for models known by their variables alone (a JSON spec, a checkpoint as model)
    if framework == "tf2":
        return tf2_fix(alignment)
    if framework == "tf1":  # a graph: session code, whatever the file (a PyTorch file is read by ckpt-doctor)
        return tf1_fix(alignment)
    if framework in ("torch", "state_dict") or loader in ("torch", "torch-nonstrict", "hf"):
        return torch_fix(alignment)
    if loader in ("saver", "init_from_checkpoint") and framework in ("json", "checkpoint"):
        return tf1_fix(alignment)
    return Fix("any framework (rules file)", alignment.rules.to_yaml().rstrip())


def _missing_weights(spec, restored: dict[str, str], tied: dict[str, str]) -> list[str]:
    """Weights the fix leaves as initialised: neither restored nor filled through a tie."""
    return [v.name for v in spec.variables if v.is_weight and v.name not in restored and v.name not in tied]


def tf1_fix(alignment) -> Fix:
    d = alignment.diagnosis
    restored = sources(alignment)
    transforms = value_transforms(alignment, restored)
    # Saver and init_from_checkpoint read TensorFlow files by name and change no layout: the other pairs are read
    # by ckpt-doctor, rearranged and assigned in the session
    tf_file = d.checkpoint.format in _TF_FORMATS
    by_name = {m: c for m, c in restored.items() if m not in transforms} if tf_file else {}
    assigned = {m: c for m, c in restored.items() if m not in by_name}
    left_out = [v.name for v in d.model.variables if v.name not in restored]
    prefix = os.path.abspath(d.checkpoint.path)
    unnamed = d.checkpoint.path.endswith(("/", os.sep))  # a bundle saved as ``dir/.index``: the prefix is ``dir/``
    if unnamed:
        prefix += os.sep
    how = "restore with the checkpoint's names mapped onto this graph's variables" if by_name else \
        "read each value with ckpt-doctor and assign it in the session" if assigned else \
        "no value in the checkpoint has a place in this graph"
    lines = [f"# TF1: {how} (after the initializer ran)",
             f"CHECKPOINT = {prefix!r}"]
    not_in = f"NOT_IN_CHECKPOINT = {_pylist(left_out)}  # keep their initial values"
    if not by_name:
        lines.append(not_in)
    mine = {m: op for m, op in transforms.items() if m in assigned}
    if assigned:
        lines += ["# " + ("values whose layout changes (Saver restores by name only)" if tf_file else
                          f"Saver reads TensorFlow checkpoints only (this one is {d.checkpoint.format})")
                  + ": read with ckpt-doctor" + (", rearranged" if mine else "") + " and assigned in the session",
                  "import ckpt_doctor",
                  f"SOURCE = {_pydict(assigned)}  # model variable -> checkpoint key"]
        if mine:
            lines.append("TRANSFORMS = " + _pycode({m: _transform_code(op) for m, op in mine.items()})
                         + "  # model variable -> the value's layout in the graph (e.g. PyTorch OIHW -> HWIO)")
    if by_name:
        renamed = {m: c for m, c in by_name.items() if m != c}
        lines += [f"CHECKPOINT_NAME = {_pydict(renamed)}  # model variable -> checkpoint name", not_in,
                  "var_list = {}  # checkpoint name -> variable (a partitioned variable: the list of its parts)",
                  "for v in tf.compat.v1.global_variables():",
                  "    part = getattr(v, '_save_slice_info', None)  # a part of a partitioned variable",
                  "    name = part.full_name if part else v.op.name",
                  "    if name not in NOT_IN_CHECKPOINT" + (" and name not in SOURCE:" if assigned else ":"),
                  "        key = CHECKPOINT_NAME.get(name, name)",
                  "        var_list[key] = var_list.get(key, []) + [v] if part else v",
                  "saver = tf.compat.v1.train.Saver(var_list=var_list)",
                  "saver.restore(sess, CHECKPOINT)"]
    if assigned:
        lines += ["checkpoint = ckpt_doctor.open_checkpoint(CHECKPOINT)",
                  "for v in tf.compat.v1.global_variables():",
                  "    part = getattr(v, '_save_slice_info', None)  # a part of a partitioned variable: its slice",
                  "    name = part.full_name if part else v.op.name",
                  "    if name in SOURCE:",
                  "        value = checkpoint[SOURCE[name]].read()"]
        if mine:
            lines.append("        value = TRANSFORMS[name](value) if name in TRANSFORMS else value")
        lines.append("        v.load(value[tuple(slice(o, o + n) for o, n in zip(part.var_offset, part.var_shape))] "
                     "if part else value, sess)")
    if by_name and not assigned and not unnamed:
        # init_from_checkpoint reads a path ending in "/" as a directory with a `checkpoint` file
        weights = {v.name for v in d.model.variables if v.is_weight}
        # (an optimizer's slots, however named: `scope/scope/b/Adam` when the optimizer was made inside the scope,
        # are no variables of the store init_from_checkpoint fills; the Saver above restores them)
        slots = {m for m, c in restored.items() if m in weights and TF1_SLOT_SUFFIX.search(c)}
        amap = {c: m for m, c in restored.items() if m in weights and m not in slots}
        # init_from_checkpoint looks a name up in the variable store, which holds what tf.compat.v1.get_variable
        # made: a tf.Variable, or an average of tf.train.ExponentialMovingAverage, is not there (and
        # `net/w/ExponentialMovingAverage` would be read as a scope). Every variable is given as itself, then;
        # the parts of a partitioned variable (made only by get_variable) go by their name, which the store joins.
        lines += ["", "# or, before running the initializer"
                  + (f" (the {len(slots)} optimizer slots left to the Saver above)" if slots else "") + ":",
                  "VARIABLE = {v.op.name: v for v in tf.compat.v1.global_variables() "
                  "if not getattr(v, '_save_slice_info', None)}",
                  f"ASSIGNMENT = {_pydict(amap)}  # checkpoint name -> model variable",
                  "tf.compat.v1.train.init_from_checkpoint(CHECKPOINT, "
                  "{c: VARIABLE.get(m, m) for c, m in ASSIGNMENT.items()})"]
    return Fix("TF1", "\n".join(lines), _missing_weights(d.model, restored, alignment.tied))


_TF_FORMATS = ("tf-v2", "tf-v1")  # what tf.compat.v1.train.Saver and init_from_checkpoint read


def value_transforms(alignment, restored: dict[str, str]) -> dict[str, str]:
    """{model variable: transform} for the pairs the fix restores from the checkpoint key they were paired with, and
    for the slots that follow them (``conv/kernel/Adam`` is laid out like ``conv/kernel``)."""
    out = {p.model: p.transform for p in alignment.pairs
           if p.transform and p.transform != "none" and restored.get(p.model) == p.checkpoint}
    for m, key in restored.items():
        owner = _slot_owner(m, key, restored) if m not in out else None
        if owner in out:
            out[m] = out[owner]
    return out


def _slot_owner(name: str, key: str, paired: dict[str, str]) -> str | None:
    """The paired variable ``name`` is a slot of, when ``key`` is that variable's key with the same suffix."""
    for cut in reversed([m.start() for m in _SEP.finditer(name)]):
        owner = name[:cut]
        if owner in paired and paired[owner] + name[cut:] == key:
            return owner
    return None


def _shape_after(op: str | None, info) -> tuple[int, ...] | None:
    """The shape of checkpoint entry ``info`` after a transform op (None where the op does not fit it)."""
    try:
        return transformed_meta(op, info)[0]
    except RuleError:
        return None


def _transform_code(op: str, torch: bool = False) -> str:
    """``op`` (the vocabulary of match/rules.py) as a lambda on a NumPy array or a torch tensor: an axis permutation
    (``transpose``, ``permute(2,3,1,0)``; torch's ``permute`` is NumPy's ``transpose``), a reshape, or steps of these
    joined by ``+`` (``transpose+reshape(32,4,8)``: a projection split into heads), chained in their order."""
    calls = []
    for step in op.split("+"):
        shape = parse_reshape(step)
        if shape is not None:
            calls.append(f".reshape({shape!r})")
            continue
        perm = parse_transform(step)
        if perm is None:
            raise ValueError(f"no value transform in {op!r}")
        calls.append(f".permute{perm!r}" if torch else f".transpose{perm!r}")
    if torch and any(c.startswith(".permute") for c in calls):
        calls.append(".contiguous()")
    return "lambda v: v" + "".join(calls)


def tf2_fix(alignment) -> Fix:
    d = alignment.diagnosis
    restored = sources(alignment)
    keyed = {v.name: v.keys["position"].split("/") for v in d.model.variables if "position" in v.keys}
    positions = {name: int(at[0]) for name, at in keyed.items()}
    transforms = {positions[m]: op for m, op in value_transforms(alignment, restored).items() if m in positions}
    # len(model.variables) as recorded (older specs: the positions known)
    count = max((int(at[1]) for at in keyed.values() if len(at) > 1), default=len(positions))
    by_position = {positions[m]: c for m, c in restored.items() if m in positions}
    missing = _missing_weights(d.model, restored, alignment.tied)
    paths = {v.name: v.object_path for v in d.model.variables if v.object_path}
    if restored and not by_position and all(m in paths for m in restored):
        return _tf2_object_fix(alignment, restored, paths, missing)
    lines = ["# TF2 / Keras: assign each value by the variable's position in model.variables (auto-numbered",
             "# names such as dense_3 drift between processes); ckpt-doctor reads the file in any format",
             "import ckpt_doctor",
             f"CHECKPOINT = {os.path.abspath(d.checkpoint.path)!r}",
             f"SOURCE = {_pydict(by_position)}  # position in model.variables -> checkpoint key",
             f"EXPECTED_MISSING = {_pylist([positions[m] for m in missing if m in positions])}"
             "  # keep their initial values",
             "checkpoint = ckpt_doctor.open_checkpoint(CHECKPOINT)",
             "variables = model.variables",
             f"assert len(variables) == {count}, 'not the model ckpt-doctor diagnosed'",
             "for i, key in SOURCE.items():"]
    if transforms:
        lines.insert(5, "TRANSFORMS = " + _pycode({i: _transform_code(op) for i, op in sorted(transforms.items())})
                     + "  # position -> the value's layout in the model (e.g. PyTorch OIHW -> Keras HWIO)")
    lines += _assign_lines("variables[i]", "i", bool(transforms)) + _optimizer_note(d)
    return Fix("TF2 / Keras", "\n".join(lines), missing)


def _optimizer_note(d) -> list[str]:
    """The TF2 fixes assign the model's weights: where the file also holds an optimizer's state, say it stays."""
    slots = sum(1 for t in d.checkpoint.values() if t.kind in (SLOT, OPTIMIZER))
    return [f"# (the file's optimizer state, {slots} values such as Adam's moments, is not assigned: training resumed",
            "# from here starts the optimizer anew)"] if slots else []


def _tf2_object_fix(alignment, restored: dict[str, str], paths: dict[str, str], missing: list[str]) -> Fix:
    """A model known by object paths only (a ``tf.train.Checkpoint`` as the model: no ``model.variables``): each
    variable is reached along its path through the object graph TensorFlow checkpoints, as ``tf.train.Checkpoint``
    walks it (``tf.train.TrackableView``), and assigned."""
    d = alignment.diagnosis
    transforms = {paths[m]: op for m, op in value_transforms(alignment, restored).items()}
    lines = ["# TF2: assign each value to the variable at its object path in the model (the path tf.train.Checkpoint",
             "# saves it under); ckpt-doctor reads the file in any format",
             "import ckpt_doctor",
             "import tensorflow as tf",
             f"CHECKPOINT = {os.path.abspath(d.checkpoint.path)!r}",
             f"SOURCE = {_pydict({paths[m]: c for m, c in restored.items()})}  # object path -> checkpoint key",
             "checkpoint = ckpt_doctor.open_checkpoint(CHECKPOINT)",
             "view = tf.train.TrackableView(model)",
             "def at(path):",
             "    obj = model",
             "    for name in path.split('/'):",
             "        obj = view.children(obj)[name]",
             "    return obj",
             "for path, key in SOURCE.items():"]
    if transforms:
        lines.insert(6, "TRANSFORMS = " + _pycode({p: _transform_code(op) for p, op in sorted(transforms.items())})
                     + "  # object path -> the value's layout in the model")
    lines += _assign_lines("at(path)", "path", bool(transforms)) + _optimizer_note(d)
    return Fix("TF2 / Keras", "\n".join(lines), missing)


def _assign_lines(target: str, index: str, transforms: bool) -> list[str]:
    """The loop body of a TF2 fix: read the value, rearrange it where TRANSFORMS says, assign it to ``target``."""
    if not transforms:
        return [f"    {target}.assign(checkpoint[key].read())"]
    return ["    value = checkpoint[key].read()",
            f"    {target}.assign(TRANSFORMS[{index}](value) if {index} in TRANSFORMS else value)"]


def _in_state_dict(info) -> bool:
    """Whether a PyTorch checkpoint entry is in the model's state dict, not beside it (optimizer state, ``epoch``):
    torch_pickle lists the state dict's tensors as variables, ``num_batches_tracked`` marked as a counter."""
    return info.kind == VARIABLE or (info.kind == COUNTER and is_counter_name(info.name))


def torch_fix(alignment) -> Fix:
    d = alignment.diagnosis
    catalog = d.checkpoint
    restored = sources(alignment)
    renamed = torch_key_map(restored)
    used = set(restored.values())
    at = catalog.state_dict_at
    # torch.load gives the whole file: take the state dict the entries came from; what lies beside it is no key
    nested = catalog.format == "torch" and bool(at)
    unused = [k for k, info in catalog.items() if k not in used and (not nested or _in_state_dict(info))]
    # BatchNorm fills a missing num_batches_tracked itself when the dict has no version metadata (as this one)
    missing = [v.name for v in d.model.variables if v.name not in restored
               and not v.name.endswith("num_batches_tracked")]
    # tied parameters get their value through the storage they share, yet load_state_dict lists them as missing
    tied = [m for m in missing if m in alignment.tied]
    zeros = [m for m in missing if m in alignment.zeros]  # (a few b_hh at most)
    missing = [m for m in missing if m not in alignment.tied and m not in zeros]
    transforms = {m: _transform_code(op, torch=True) for m, op in value_transforms(alignment, restored).items()}
    subtree = f", subtree={'/'.join(map(str, at))!r}" if at and catalog.format != "torch" else ""
    trusted = any(n.startswith(WEIGHTS_ONLY_REFUSES) for n in catalog.notes)  # hyperparameter objects beside it
    options = f"map_location='cpu'{', weights_only=False' * trusted}"
    # a sharded set (its index first among the files): every shard, one state dict
    shards = f"SHARDS = {_pylist([os.path.abspath(f) for f in catalog.files[1:]])}  # the files CHECKPOINT lists\n" \
        if len(catalog.files) > 1 else ""
    load = {"torch": (f"state = torch.load(CHECKPOINT, {options})" + (
                f"\nstate = state{''.join(f'[{k!r}]' for k in at)}  # the model's state dict in the training "
                "checkpoint" if nested else "")) if not shards else
                f"{shards}state = {{k: v for shard in SHARDS for k, v in torch.load(shard, {options}).items()}}",
            "safetensors": "from safetensors.torch import load_file\n" + (
                "state = load_file(CHECKPOINT)" if not shards else
                f"{shards}state = {{k: v for shard in SHARDS for k, v in load_file(shard).items()}}")}.get(
        catalog.format, "import ckpt_doctor\nstate = {k: torch.tensor(t.read()) for k, t in "
                        f"ckpt_doctor.open_checkpoint(CHECKPOINT{subtree}).items() if k not in UNUSED}}")
    kept = [k for k, info in catalog.items() if k not in unused and (not nested or _in_state_dict(info))]
    # DDP's `module.`, torch.compile's `_orig_mod.` (or one for the other): one line, not a key map
    rename, renaming = [f"KEY_MAP = {_pydict(renamed)}  # checkpoint key -> model key"], "KEY_MAP.get(k, k)"
    prefix = _one_prefix(renamed, kept)
    if prefix is not None and not prefix[1]:
        rename, renaming = [f"PREFIX = {prefix[0]!r}  # removed from the checkpoint's keys that start with it"], \
            "k.removeprefix(PREFIX)"
    elif prefix is not None and not prefix[0]:
        rename, renaming = [f"PREFIX = {prefix[1]!r}  # put before every checkpoint key"], "PREFIX + k"
    elif prefix is not None:
        rename, renaming = [f"PREFIX, NEW_PREFIX = {prefix[0]!r}, {prefix[1]!r}  # every checkpoint key starts "
                            "with PREFIX, the model's with NEW_PREFIX"], "NEW_PREFIX + k.removeprefix(PREFIX)"
    lines = ["# PyTorch: rename the checkpoint's keys, drop the ones the model has no place for, then load",
             "import torch",
             f"CHECKPOINT = {os.path.abspath(catalog.path)!r}",
             *rename,
             f"UNUSED = {_pylist(unused)}",
             *load.splitlines(),
             f"state = {{{renaming}: v for k, v in state.items() if k not in UNUSED}}"]
    if transforms:
        lines.append(f"TRANSFORMS = {_pycode(transforms)}  # model key -> the value's layout in the model")
        lines.append("state = {k: TRANSFORMS[k](v) if k in TRANSFORMS else v for k, v in state.items()}")
    if missing:
        lines.append(f"EXPECTED_MISSING = {_pylist(missing)}  # new in the model: keep their initial values")
    if tied:
        lines.append(f"TIED = {_pylist(tied)}  # share storage with a loaded parameter: filled through the tie")
    if zeros:
        lines.append(f"ZEROS = {_pylist(zeros)}  # b_hh beside a Keras recurrent bias loaded into b_ih: zero")
    if missing or tied or zeros:
        expected = " + ".join(["EXPECTED_MISSING"] * bool(missing) + ["TIED"] * bool(tied) + ["ZEROS"] * bool(zeros))
        lines.append("result = model.load_state_dict(state, strict=False)")
        lines.append(f"assert sorted(result.missing_keys) == sorted({expected}) and not result.unexpected_keys")
    else:
        lines.append("model.load_state_dict(state, strict=True)")
    if zeros:
        lines.append("with torch.no_grad():")
        lines.append("    for k in ZEROS:")
        lines.append("        model.get_parameter(k).zero_()")
    weights = {v.name for v in d.model.variables if v.is_weight}
    return Fix("PyTorch", "\n".join(lines), [v for v in missing if v in weights])


def _one_prefix(renamed: dict[str, str], kept: list[str]) -> tuple[str, str] | None:
    """(old, new): the prefix the checkpoint's keys lose and the one they gain (either may be empty) when that one
    change gives every key the fix keeps (``kept``) its model key exactly as ``renamed`` (checkpoint key -> model
    key; the others keep theirs) does, else None."""
    if not renamed:
        return None
    c, m = next(iter(renamed.items()))
    cut = next((i for i in [0, *(x.end() for x in _SEP.finditer(c))] if m.endswith(c[i:])), None)
    if cut is None:
        return None
    old, new = c[:cut], m[:len(m) - len(c) + cut]
    if old and new and not all(k.startswith(old) for k in kept):  # NEW_PREFIX + k.removeprefix(PREFIX) adds to all
        return None
    ok = all(renamed.get(k, k) == (new + k[len(old):] if k.startswith(old) else k) for k in kept)
    return (old, new) if ok else None


def _pydict(d: dict, indent: int = 0) -> str:
    if not d:
        return "{}"
    pad = " " * indent
    body = ",\n".join(f"{pad}    {k!r}: {v!r}" for k, v in d.items())
    return "{\n" + body + f",\n{pad}}}"


def _pycode(d: dict) -> str:
    """A dict literal whose values are code (not reprs)."""
    return "{\n" + "".join(f"    {k!r}: {v},\n" for k, v in d.items()) + "}"


def _pylist(items: list) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"    {x!r},\n" for x in items) + "]"

