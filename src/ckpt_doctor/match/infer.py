"""Alignment: infer how checkpoint names became model names, pair every value it can prove, and refuse to guess.

Stages, each on what the previous ones left unpaired (exact matches under the framework's own rules come first):

1. **conventions**: names equal once separators, case, ``layer_0``/``layer.0``/``h0``, TF1/TF/PyTorch leaf
   vocabularies (``w``/``g``/``b``, ``kernel``/``gamma``/``beta``/``moving_mean``) and bare weights (``wte`` vs
   ``wte.weight``) are normalised (``names.canonical``); the leaf classes decide the value transform (a
   permutation; an order-preserving reshape for unit axes: ``[1, nx, nf]`` vs ``[nx, nf]``, PReLU ``(1, 1, C)`` vs
   ``(C,)``); Sonnet's moving averages are read as their ``average`` (``_ema_values``). Keras 3 ``.weights.h5``
   files name variables by position (``layers/dense/vars/0``): both sides are then keyed ``<layer> #i`` (the i-th
   variable a layer created). Where such a file's path load contradicts the
   layer names it records (a layer inserted, names kept), both readings are listed as ambiguous
   (``_keras3_shift``). Fused recurrent layers pair by role and gate count: Keras ``kernel``/``recurrent_kernel``
   are PyTorch's ``weight_ih_l0``/``weight_hh_l0`` transposed for LSTM and SimpleRNN; GRU weights (another gate
   order) and the biases (one in Keras, two summed in PyTorch) are ambiguous with the reason (``_fused_recurrent``);
   two stacks of recurrent layers with no name in common pair layer by layer in order.
2. **scope rules**: ``old scope -> new scope``, proposed by pairs that share their longest common name suffix and,
   for scopes added or removed as a whole (``model/``, ``module.``), by every name that is another side's name
   under up to three leading tokens. Elements of a renamed container numbered from another base (tf-slim's
   ``block1/unit_1`` is torchvision's ``layer1.0``) are one rule with an offset of one. One segment inserted before
   the last part of names, the same word for two layers or more (PEFT's ``lora_A.default.weight``, its
   ``c_attn.base_layer.weight``), is one rule too (``_inserted_segment``).
3. **numbering**: in auto-numbered families (``dense``, ``dense_1``, ... / ``layer.0``, ...) the hypotheses
   "numbers from k on shifted by d" are scored by how many variables agree in shape; a unique best hypothesis is
   applied; tied hypotheses make the differing variables ambiguous. Where the best one contradicts a layer it maps
   (two changes in one family), the layers' order decides instead, where it is unique (``_in_order``). Numbers
   glued to their word (``conv3``, ``conv3_BN``: one unit) are names people chose: weighed so only where the names
   contradict the shapes, or where a program numbered them (PyTorch's stacked recurrent layers, ``weight_ih_l2``;
   names a loop built with two numbers or more, ``conv4_block3_1_conv``, a block one unit) and a checkpoint unit is
   left over.
4. **composition**: layers of a family left over pair only if their composition (members and shapes) is unique on
   both sides (reordered layers), and not only by a number in their members' names where the file holds more
   layers alike but for such numbers than the model (a list renumbered from 0 after an element went).
5. **structure**, for sides whose names share nothing (most model weights still unexplained): the two sequences of
   units (a weight of two or more real axes with the vectors after it in its layer, or a layer's vectors) in the
   checkpoint's written order (HDF5 ``layer_names``, pickle dict order, Keras 3 files' dataset creation order,
   tf-keras' ``layer_with_weights-N`` keys, an ``.npz``'s member order unless it is the names' sorted order; else
   by auto-number within one Keras 3 family) and the model's creation
   order; a composite with a unit names already paired is held in place (no best alignment leaves it out). Units
   are grouped into composites that every framework creates together (a weight with the norm of its width that
   follows it, a depthwise kernel with its pointwise kernel) and aligned by dynamic programming, composites on one
   side only skipped (conv biases,
   ``num_batches_tracked`` stay one-sided). A match is accepted only when *every* best alignment makes it, it is not
   a lone unit against a lone unit, and the alignment matches at least half the units of the shorter sequence (a few
   fitting units among many gaps are held in place by the gaps); units that best alignments pair differently are
   ambiguous. Between two conventions' orders (a Keras file, a PyTorch model) a match that could trade places with a
   nearby one is ambiguous unless one side keeps the two in an ordered container (``layer1.0`` / ``layer1.1``), and
   so is every match in a run of equal blocks one of which has no partner (the best alignment places that gap where
   the conventions' orders of a block's layers score best, which says nothing of which block went: ``_slidable``);
   composites the order leaves open stay unpaired (a shortcut Keras lists first and torchvision last looks like a
   removed layer beside a new one). Structure may also pick among the candidates a name stage left, when its choice
   is one of them. Last, inside a container whose paired members all came from one checkpoint prefix (and that
   prefix's paired values all went into it), an open member takes the one free value under the prefix that fits it
   and no other open member (``_siblings``: members two conventions list in different orders, such as ConvNeXt's
   ``layer_scale``). A norm the checkpoint nests under a paired weight's scope (tf-slim's ``conv1/BatchNorm``) pairs
   with the norm the model created for that weight's partner (``bn1``), role by role (``_owned_norms``).
   Before the sequences, numbered blocks whose names share nothing (keras-hub's ``transformer_layer_3`` against
   ``model.layers.3``) pair block by block when a family of them on each side holds the same weights, the only such
   family on both sides (a flat layer name a program built with the block's number between underscores,
   ``layer_0_query``, is nested so: ``layer``, ``0``, ``query``); inside a block a unit takes its only fit, units
   that fit alike (key and value) pair by their own names (``k_proj`` / ``key``, ``wq`` / ``q_proj``: a whole group of
   projections read as ``names.ATTENTION_PROJECTIONS``) or stay ambiguous; around the
   blocks the written orders, then the only fit, decide (``_blocks``, ``_around_blocks``). In a checkpoint that
   keeps no order, keras.applications' layers
   named by their block's place (``block2a_expand_conv``) are such a family, and equally wide norms in a block pair
   by the conv each follows. Parallel lists indexed by the same numbers (Sonnet's
   ``_conv_modules/3`` beside ``_bn_modules/3``) are one block per number there (``_parallel_blocks``). After the
   sequences, blocks that keep their numbers are paired once more where names or unique shapes already paired some
   of their values, each inside its pair of blocks (``_blocks(settled=True)``). Inside a pair of blocks, units alike
   whose words decide nothing pair by the order of their numbers on both sides (``conv1d``, ``conv1d_1`` / ``conv1``,
   ``conv2``: ``_ranked``) or by their role in a transformer block (``names.SUBLAYER_ROLES``: Llama's
   ``input_layernorm`` is keras-hub's ``self_attention_layernorm``; Whisper's ``cross_attn`` is Hugging Face's
   ``encoder_attn``). A checkpoint that keeps no order (safetensors) still keeps its tree: its units are placed on
   the model's creation order so that every container's units sit together and numbered elements follow their
   numbers, and a unit placed alike in every such placement pairs there (``_tree_placement``).

Selection. Within a stage, candidate explanations (rules) are weighed by how many variables they pair with
agreeing shapes and dtypes; the best is applied, and explanations tied with it that pair *different* variables
make exactly those variables ambiguous. Tied rules that make the very same pairs are one explanation and the
shortest to state is kept (the description-length tie-break: fewer tokens in ``old -> new``). A renamed container
of numbered elements (``layer4.N`` -> ``stage4.N``) is one explanation with the joint support of its elements. A
rule that moves a single layer to a name sharing no word with its old one (the renamed parts compared, common
scopes aside: ``pooler.dense`` -> ``classifier.dense`` shares none), beside layers explained by shared names, is
as likely a new layer as a renamed one: its variables are ambiguous (only a unique structural alignment may still
decide), so a new head never takes a left-over value of its shape. So does a rule that drops or adds a scope level
around one layer while that container keeps other layers nobody took (``classifier/out_proj`` -> ``classifier``
beside a free ``classifier/dense``: a two-layer head against a one-layer one). Where every name is foreign and the
checkpoint keeps its order, such a layer waits for structure too (order is then the other evidence). A one-layer
rule that would rename another value of the layer onto a model name of another shape (the biases fit, the kernels
do not) fits the layer only in part: its variables are ambiguous (``_partial_fits``). Such one-layer renamings that
together rename every free member of one container, where one side names the members by position only (PyTorch's
``encoder.0``, ``encoder.2``; Keras' auto-numbered ``dense``, ``dense_1``), in the same order on both sides, are
that container's members aligned, not renamed layers (``_positional_members``).

Nothing is paired by order or by shape alone among several candidates: such cases are listed as ambiguous. Nor
is part of a changed layer: where a layer's main weight has its name on both sides but not its shape, its bias is
ambiguous, not paired (no framework restores half a layer). A value with its moving average beside it
(``conv/weights/ExponentialMovingAverage``) is one value twice: the averages stay out of the inference, and a value it
pairs is ambiguous between the two (``_ema_twins``, ``_ema_choice``). A Keras 3 file's paths and its recorded layer
names may disagree (auto-numbered paths shift after an inserted or removed layer): where layers were only removed,
every other name kept, the names decide; an inserted layer leaves the two readings undecided (``_keras3_shift``).
The elements of a sub-classed model's list (``blocks/block``, ``blocks/block_1``), which Keras 3 loads by path, are a
numbered family when the file holds more or fewer of them (``_keras3_lists``). peft's ``modules_to_save`` copy of a
module is read under the module's name, its frozen ``original_module`` left out (``_peft_saved_modules``).
Last, an ambiguity among values that hold the same numbers (a shared embedding saved once per layer that uses it) is
no question: they are read and compared, and where equal and not a constant (an untrained norm's ones prove no
copy), the names decide which copy each variable takes (``_equal_values``, the one stage that reads values).

Records. Every pair is a ``Proof`` (the two items, the transform, the stage, its evidence) and, where a stage applied
an explanation, points to it: a ``Hypothesis`` (the rule in canonical tokens, its support, the tied rules it was
weighed against, the proofs it made). ``align`` reports the rules of the applied hypotheses; it does not look for
rules in the pairs again.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ..catalog import BOOKKEEPING_KINDS, Catalog
from ..errors import CheckpointError
from ..model.spec import ModelSpec, VariableSpec
from .compare import (
    BY_FULL_NAME,
    BY_KERAS3_PATH,
    BY_KEY,
    BY_LAYER_NAME,
    BY_OBJECT_PATH,
    BY_POSITION,
    LOADED,
    MISMATCHED,
    UNUSED,
    Diagnosis,
    compare,
)
from .names import (
    _CAMEL,
    ATTENTION_PROJECTIONS,
    ATTRIBUTE_SUFFIX,
    EMA_SUFFIX,
    LEAF_SYNONYMS,
    OUTPUT_PROJECTION_LEAVES,
    SUBLAYER_ROLES,
    WEIGHT_LEAVES,
    _token,
    canonical,
    strip_name,
    torchvision_paths,
    transform_for,
)
from .names import _path_tokens as _name_tokens

_MAX_CANDIDATES = 32
# Formats that keep the order values were written in (HDF5 ``layer_names``, pickle dict order; an ``.npz`` and a
# Keras 3 file record each value's rank, read where it is not the names' own order); others are ordered by name,
# numbers compared as numbers (TF bundles and safetensors sort their keys).
_ORDERED_FORMATS = {"keras-h5", "torch"}
_POSITIONAL = re.compile(r"^(?P<layer>.+)/vars/(?P<i>\d+)$")  # Keras 3 .weights.h5: the i-th variable of a layer
_KERAS2_TWICE = re.compile(r"^([^/]+)/\1_\d+/")
_STRUCTURE_MAX = 4_000  # layers per side and kind above which structural alignment is not tried (n*m table)
_W = "<w>"  # framework-neutral marker of a layer's main weight in canonical keys
_transform_for = functools.lru_cache(maxsize=1 << 14)(transform_for)  # layers repeat their leaves and shapes


class Pair:
    """A model variable and the checkpoint value it takes, with the transform, the stage that proved it and why.

    The evidence sentence is formatted when first read: alignments of 100k variables rarely print them all."""

    __slots__ = ("model", "checkpoint", "transform", "rule", "_evidence", "exact")

    def __init__(self, model: str, checkpoint: str, transform: str | None, rule: str | None,
                 evidence: str | Callable[[], str], exact: bool = False):
        self.model = model  # model variable name
        self.checkpoint = checkpoint  # checkpoint key
        self.transform = transform
        self.rule = rule  # the inference stage that proved it; None for exact matches
        self._evidence = evidence
        self.exact = exact

    @property
    def evidence(self) -> str:
        if callable(self._evidence):
            self._evidence = self._evidence()
        return self._evidence

    def __repr__(self) -> str:
        return f"Pair({self.model!r} <- {self.checkpoint!r}, transform={self.transform!r}, rule={self.rule!r})"

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "checkpoint": self.checkpoint, "transform": self.transform, "rule": self.rule,
                "evidence": self.evidence}


@dataclass
class Ambiguity:
    model: str
    candidates: list[str]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "candidates": self.candidates, "reason": self.reason}


class _Item:
    """One side of a potential pair: a model variable or a checkpoint entry."""

    __slots__ = ("name", "tokens", "leaf", "layout", "shape", "dtype", "ref", "key", "busy", "order", "renamed",
                 "layer")

    def __init__(self, name: str, tokens: tuple[str, ...], leaf: str | None, shape: tuple[int, ...], dtype: str,
                 ref: Any, order: int = 0):
        self.name = name  # the name rules speak about (checkpoint: key or full_name; model: name or object path)
        self.tokens = tokens
        self.leaf = leaf  # leaf class as far as names go (part of the key)
        self.layout = leaf  # leaf class that decides the value transform
        self.order = order  # position in the side's order (model: creation; checkpoint: as written, or by name)
        self.shape = shape
        self.dtype = dtype
        self.ref = ref  # VariableSpec or TensorInfo
        self.busy = False  # paired, or (model side) declared ambiguous: not in the pool any more
        # scope rules applied to this name: (its token count before the first, trailing tokens none of them touched)
        self.renamed: tuple[int, int] | None = None
        self.layer: str | None = None  # the layer's raw path where a convention moves a value (``_ema_values``)
        self.key = tokens + (_W,) if leaf else tokens  # as rekey() does (inlined: items are made by the 100k)

    def rekey(self) -> None:
        self.key = self.tokens + (_W,) if self.leaf else self.tokens  # what matching compares


@dataclass(eq=False)
class Hypothesis:
    """An explanation a stage applied: its rule in canonical tokens, how many variables it pairs with agreeing
    shapes and dtypes (``support``), the rules tied with it that pair other variables differently (``rivals``: a
    renumbering of another layer range that fits as well; the variables they disagree on are ambiguous, not paired)
    and the pairs it proved. ``align`` reports the rules of these records, spelled in the user's names; it never
    re-discovers them from the pairs.

    ``rule``: ``("scope", old tokens, new tokens)`` (``(), ("model",)``: a scope added as a whole; a container
    rule ends before the elements' numbers), ``("renumber", family tokens, offset, first)``: the family's
    numbers from ``first`` on move by ``offset`` (numbers below it keep theirs; removed ones lie just below),
    ``("nest", side, path prefix, what the paths are)``: that side (``checkpoint`` or ``model``) holds the other's
    model as a nested model under the prefix (``Keras paths`` of Keras 3, ``object paths`` of a tf-keras model),
    ``("infix", side, token)``: that side's names have one more segment before their last part
    (``lora_A.default.weight``), ``("twin", scope, twin scopes, checkpoint name, model name)``: the file is the
    model's twin sub-model under ``scope``, as the named pair shows, or
    ``("view", "names" or "paths")``: an object graph's variable names (or its paths) paired what the other left
    open."""

    stage: str
    rule: tuple
    support: int
    rivals: tuple = ()
    proofs: dict = field(default_factory=dict)  # id(model item) -> the Proof it made, in the order made
    # a single layer renamed to a name sharing no word, applied while no other name explained anything: if later
    # stages explain other layers by their names, it is the renamed-or-new question after all (``_lone_renames``)
    lone: bool = False


class Proof(NamedTuple):
    """One pair as the inference holds it: the checkpoint item, the model item, the value transform, the stage that
    proved it, its evidence (or a function that formats it) and the hypothesis applied, where a stage applied one."""

    checkpoint: _Item
    model: _Item
    transform: str | None
    stage: str
    evidence: str | Callable[[], str]
    hypothesis: Hypothesis | None = None


@dataclass
class _State:
    casts: bool
    pairs: dict[int, Proof] = field(default_factory=dict)  # id(m) -> its pair
    hypotheses: list[Hypothesis] = field(default_factory=list)  # applied explanations, in the order applied
    taken_c: dict[int, _Item] = field(default_factory=dict)  # id(c) -> the model item it is paired with
    ambiguous: dict[int, tuple[_Item, list[_Item], str]] = field(default_factory=dict)
    anchored: bool = False  # some values load by their names as they are
    named: bool = False  # some pairs rest on shared names (conventions, renamings that share words)
    shallow: set = field(default_factory=set)
    ordered: bool = False  # the checkpoint keeps the order its values were written in
    created: bool = False  # that order is a TF1 file's creation order, from the .meta graph beside it
    # id(m) structure may still pair (ambiguous only among rules that share just a leaf name)
    eligible: set = field(default_factory=set)
    # id(m) ambiguous between equally good explanations (renamings, alignments): sibling evidence may settle them
    ties: set = field(default_factory=set)
    cautions: list[str] = field(default_factory=list)  # pairs made that rest on something no file says
    # id(m) -> (c, m): a model variable the renaming of its layer's other values would give a value of another shape
    resized: dict = field(default_factory=dict)
    zeros: list[_Item] = field(default_factory=list)  # model variables whose value is zero (PyTorch's b_hh)
    # id(c) of the values an optimizer was updating (they have slots), where some values of the file have none
    trained: set[int] = field(default_factory=set)
    # id(m) paired where the file's tree placed it (``_tree_placement``): every placement weighed, not one order
    placed: set[int] = field(default_factory=set)
    crossed: bool = False  # one side names its values as TensorFlow does (`kernel`), the other as PyTorch (`weight`)

    def compatible(self, c: _Item, m: _Item) -> tuple[bool, str | None]:
        if c.dtype != m.dtype and not (self.casts and "string" not in (c.dtype, m.dtype)):
            return False, None
        if c.layout == m.layout and c.shape == m.shape:  # the common case, kept cheap
            if self.crossed and c.layout is None and len(c.shape) == 2 and c.shape[0] == c.shape[1] > 1 and \
                    _projection(c.name) and _projection(m.name):
                # a square projection of no layer role between TensorFlow and PyTorch (Transformer-XL's
                # `emb_projs.0`: `x @ W` in one, `F.linear(x, W)` in the other): kept as it is, or transposed? No name
                # says (a table indexed alike on both sides, CRF `transitions`, a `pos_bias`, is kept)
                return False, None
            return True, None
        if c.layout == m.layout == "kernel" and len(c.shape) + len(m.shape) == 5 and \
                _layer_word(c.name) != _layer_word(m.name):
            # a kernel split into heads against a flat one (Flax's `query/kernel` [16, 2, 8], vit-keras' [16, 16])
            # only under one layer name: by shape alone a conv's [3, in, out] would pass for a dense [3 * in, out]
            return False, None
        return _transform_for(c.layout, m.layout, c.shape, m.shape)

    def add(self, c: _Item, m: _Item, transform: str | None, stage: str, evidence: str | Callable[[], str],
            hypothesis: Hypothesis | None = None) -> None:
        proof = self.pairs[id(m)] = Proof(c, m, transform, stage, evidence, hypothesis)
        if hypothesis is not None:
            hypothesis.proofs[id(m)] = proof
        self.taken_c[id(c)] = m
        c.busy = m.busy = True

    def drop_pair(self, m: _Item) -> None:
        proof = self.pairs.pop(id(m))
        c = proof.checkpoint
        if proof.hypothesis is not None:
            del proof.hypothesis.proofs[id(m)]
        del self.taken_c[id(c)]
        c.busy = m.busy = False

    @property
    def order_said(self) -> str:
        """Where the checkpoint's order comes from, as the evidence says it."""
        return "as the .meta graph beside it created them" if self.created else "as written"

    def open_m(self, m: _Item) -> bool:
        """Unpaired, and no name evidence beyond a tie of renamings or a leaf name: order or blocks may decide."""
        return id(m) not in self.pairs and (id(m) not in self.ambiguous or id(m) in self.shallow or
                                            id(m) in self.ties)

    def set_ambiguous(self, m: _Item, candidates: list[_Item], reason: str, tie: bool = False) -> None:
        if id(m) not in self.ambiguous:
            self.ambiguous[id(m)] = (m, candidates, reason)
            m.busy = True
            if tie:
                self.ties.add(id(m))


_PRUNE_ORIG, _PRUNE_MASK = "_orig", "_mask"  # torch.nn.utils.prune's reparametrisation: `weight_orig`, `weight_mask`


def _pruned(names: list[str]) -> set[str]:
    """The parameters ``torch.nn.utils.prune`` reparametrised (``weight`` where ``weight_orig`` and ``weight_mask``
    are both among ``names``)."""
    masks = {n[:-len(_PRUNE_MASK)] for n in names if n.endswith(_PRUNE_MASK)}
    return {n[:-len(_PRUNE_ORIG)] for n in names if n.endswith(_PRUNE_ORIG) and n[:-len(_PRUNE_ORIG)] in masks}


def infer(catalog: Catalog, spec: ModelSpec, diagnosis: Diagnosis | None = None):
    """Pairs (exact and inferred), ambiguities, and the leftovers. See ``align`` for the public result.

    A TF2 object graph names each value twice: by its object path (``model/proj/kernel``: attribute names, how
    ``tf.train.Checkpoint`` restores) and by its variable name (``full_name``, ``tagger/dense/kernel``: scopes and
    Keras' auto-numbers, how a name-based restore reads it). The inference reads the one the restore uses; where
    that leaves model variables open, it reads the other as a second view, and that view's pairs by names (scope
    rules, conventions, renumbering) are taken for the variables the first left open, where the values are free in
    the first view (``_second_view``)."""
    d = diagnosis or compare(catalog, spec)
    d, state, c_items, m_items = _infer(catalog, spec, d)
    if any(id(m) not in state.pairs for m in m_items) and any(t.full_name and t.object_path for t in catalog.values()):
        other = "names" if d.object_root is not None else "paths"
        _second_view(state, c_items, m_items, _infer(catalog, spec, d, other)[1], other)
    return d, state, c_items, m_items


_NAME_STAGES = ("prefix", "conventions", "numbering")  # the second view's pairs that rest on names


def _second_view(state: _State, c_items: list, m_items: list, state2: _State, view: str) -> None:
    """Merge the second view's pairs by names into the first view's state, for model variables the first left open
    (missing or ambiguous) and values no pair of the first took. A value an open ambiguity offers to another
    variable is taken only when that variable is settled by the second view as well."""
    c_of = {id(c.ref): c for c in c_items}
    m_of = {id(m.ref): m for m in m_items}
    found: dict[int, tuple[_Item, _Item, Proof]] = {}  # id(m) -> (m, c, the names' proof)
    for proof in state2.pairs.values():
        m, c = m_of.get(id(proof.model.ref)), c_of.get(id(proof.checkpoint.ref))
        if proof.stage in _NAME_STAGES and m is not None and c is not None and id(m) not in state.pairs and \
                id(c) not in state.taken_c and _wider_than_a_layer(proof):
            found[id(m)] = (m, c, proof)
    settled = [(m, c, proof) for m, c, proof in found.values()
               if all(id(om) in found for om, cands, _ in state.ambiguous.values() if any(x is c for x in cands))]
    if not settled:
        return
    stage = "full names" if view == "names" else "object paths"  # (a pair's rule, as reports show it)
    hypothesis = Hypothesis(stage, ("view", view), len(settled))
    said = "variable name" if view == "names" else "object path"
    for m, c, proof in settled:
        if state.ambiguous.pop(id(m), None) is not None:
            state.ties.discard(id(m))
            state.shallow.discard(id(m))
        evidence = proof.evidence() if callable(proof.evidence) else proof.evidence
        state.add(c, m, proof.transform, stage,
                  f"the object graph's {said} `{proof.checkpoint.name}` is `{proof.model.name}`, where the "
                  f"{'object paths' if view == 'names' else 'variable names'} leave it open: {evidence}", hypothesis)
    state.hypotheses.append(hypothesis)


def _wider_than_a_layer(proof: Proof) -> bool:
    """A pair whose explanation spans more than its own layer (a scope over the model, a family renumbered). One
    layer renamed on its own is the renamed-or-new question in either view (``head`` -> ``out`` by its path,
    ``before/dense_2`` -> ``after/dense_6`` by its name): the names add nothing to it. A layer that keeps its own
    name in a container renamed alike (``_container_renamed_alike``) is no layer renamed."""
    h = proof.hypothesis
    if h is None:
        return True
    if _container_renamed_alike(proof.checkpoint.name, proof.model.name):
        return True
    first = None
    for p in h.proofs.values():  # (stops at the second layer: a scope's hypothesis may pair 100k variables)
        layer = _raw_layer_path(p.model.name)
        if first is None:
            first = layer
        elif layer != first:
            return True
    return False


def _container_renamed_alike(c_name: str, m_name: str) -> bool:
    """A layer that keeps its own name in a container renamed to a name that says a word of the old one
    (TabNet's `model/tabnet/transform_f1/bn` -> `tabnet.f1.bn`): the container renamed, not the layer. Not a layer
    of a kind's name in containers that share no word (`pooler/dense` -> `classifier/dense`: a new head's)."""
    pc, pm = (re.split(r"[/.]", _raw_layer_path(n)) for n in (c_name, m_name))
    if len(pc) < 2 or len(pm) < 2 or _squashed(pc[-1]) != _squashed(pm[-1]) or pc[-1].isdigit():
        return False
    both = {_squashed(x) for x in pc[:-1]} & {_squashed(x) for x in pm[:-1]}
    apart_c = [x for x in pc[:-1] if _squashed(x) not in both]
    apart_m = [x for x in pm[:-1] if _squashed(x) not in both]
    return bool(apart_c and apart_m and _spelled_words("/".join(apart_c)) & _spelled_words("/".join(apart_m)))


def _infer(catalog: Catalog, spec: ModelSpec, d: Diagnosis, view: str = ""):
    """One view of ``infer``: the restore's own (an object graph by its paths where it restores by object, else by
    its variable names), or ``names`` (the variable names) or ``paths`` (the object paths) as a second view."""
    object_mode = view == "paths" or (d.object_root is not None and view != "names")
    name_mode_object_ckpt = not object_mode and any(t.full_name for t in catalog.values())
    # TF2 variables made without a name (``tf.Variable(x)`` in a ``tf.Module``: ``Variable``, again and again) are
    # named by their object path, the only name they have
    shared = {n for n, k in Counter(t.full_name for t in catalog.values() if t.full_name).items() if k > 1} \
        if name_mode_object_ckpt and catalog.format == "tf-v2" else set()

    def ckpt_name(info) -> str:
        if object_mode:
            return info.object_path or strip_name(info.name)
        if name_mode_object_ckpt and info.full_name and info.full_name not in shared:
            return info.full_name
        if info.full_name in shared and info.object_path:
            # (the path the reader chose, not the key: a Keras 3 model saved beside its optimizer is keyed
            # `optimizer/_trainable_variables/4`, its path `model/_operations/12/dense/_kernel` names the layer;
            # where that list is the only path, the variable's own name still says its role: `.../4/kernel`)
            if _LISTED_ALIAS.match(info.object_path):
                return f"{info.object_path}/{info.full_name.rsplit('/', 1)[-1]}"
            return info.object_path
        return strip_name(info.name)

    def model_name(var: VariableSpec) -> str:
        if object_mode and var.object_path and d.object_root is not None:
            return f"{d.object_root}/{var.object_path}" if d.object_root else var.object_path
        return var.name

    state = _State(casts=spec.casts_dtypes)
    m_refs = [r.variable for r in d.weights()]
    m_names = [model_name(v) for v in m_refs]
    # torch.nn.utils.prune keeps a pruned module's trained weight as `weight_orig` beside its `weight_mask` (the
    # module computes `weight` as their product): a plain checkpoint's `weight` loads into `weight_orig`, the mask
    # is new. (A pruned checkpoint into a plain model is not the other way round: orig times mask is the value.)
    pruned = _pruned(m_names)
    m_read = [n[:-len(_PRUNE_ORIG)] if n.endswith(_PRUNE_ORIG) and n[:-len(_PRUNE_ORIG)] in pruned else n
              for n in m_names] if pruned else m_names
    m_items = [_Item(name, tokens, leaf, tuple(v.shape), v.dtype, v, v.index)
               for name, (tokens, leaf), v in zip(m_names, map(canonical, m_read), m_refs, strict=True)]
    c_refs = [r.entry for r in d.entries
              if r.status in (UNUSED, MISMATCHED) or (r.status == "used" and r.variable is not None)]
    c_names = [ckpt_name(e) for e in c_refs]
    # Keras 2 HDF5 files from a session that built the model twice name weights ``conv2d_1/conv2d_1_1/kernel``:
    # Keras loads them by the layer (``conv2d_1``); the inner scope is a label.
    read = [_KERAS2_TWICE.sub(r"\1/", n) for n in c_names] if catalog.format == "keras-h5" else c_names
    c_items = [_Item(name, tokens, leaf, tuple(e.shape), e.dtype, e)
               for name, (tokens, leaf), e in zip(c_names, map(canonical, read), c_refs, strict=True)]
    # (a file that nests some layers, `layers/multi_head_attention/key_dense/vars/0` recorded as `key`, names those
    # without their parents: there the keys' layers stay the keys')
    # (for a Keras 3 model the keys are its own paths, by which it restores: they stay the layers)
    keras3_model = any("keras3" in getattr(m.ref, "keys", {}) for m in m_items)
    top_only = not keras3_model and \
        not any(c.ref.name.startswith("layers/") and not _TOP_LAYER.match(c.ref.name) for c in c_items)
    # (a layer whose trained values went to the optimizer's list keeps its statistics under the model's own path,
    # `model/_operations/13/moving_mean` beside `gamma` keyed `optimizer/_trainable_variables/10`: one layer)
    renamed: dict[str, str] = {}
    for c in c_items:
        if c.name == c.ref.name:
            continue
        listed = _LIST_ELEMENT.search(c.ref.name)
        if listed or top_only and _TOP_LAYER.match(c.ref.name):
            # keyed as an element of a list (a Keras 3 model saved beside its optimizer: every trained value is
            # `optimizer/_trainable_variables/N`), or by a top-level layer's auto name (a Keras 3 `.weights.h5`
            # of a functional model: `layers/dense_2/vars/0` of `layer_0_query`): that list, that auto name, is no
            # layer of the model's naming; the name read says which layer it is
            c.layer = _raw_layer_path(c.name)
            if listed and c.ref.object_path:
                renamed[_raw_layer_path(c.ref.object_path)] = c.layer
    if renamed:
        for c in c_items:
            if c.ref.object_path and (layer := renamed.get(_raw_layer_path(c.ref.object_path))) is not None:
                c.layer = layer
    _listed_layers(c_items)
    owners = {e.slot_of for e in catalog.values() if e.slot_of}
    if owners:  # (only where some weights have no slots: a model nothing trained, beside the one saved in training)
        trained = {id(c) for c in c_items if c.ref.name in owners}
        if trained and any(id(c) not in trained and _is_matrix(c) for c in c_items):
            state.trained = trained
    # As written where the format keeps it (HDF5 ``layer_names``, pickle dict order, or each value's recorded
    # write rank: Keras 3 files by group creation); else by name, re-ordered if structure is tried.
    written = bool(c_items) and all(e.written is not None for e in c_refs)
    if written and catalog.format == "keras3-weights" and not any(e.name.startswith("layers/") for e in c_refs):
        # Keras 3 writes a sub-classed model's layers by attribute name (`bn1`, `bn2`, `classifier`, `conv1`; a
        # Functional model's `layers/...` by creation): an order that is the names' own sorted order tells nothing
        # of how the model computes
        layers = list(dict.fromkeys(_raw_layer_path(e.name) for e in sorted(c_refs, key=lambda e: e.written or 0)))
        written = len(layers) < 3 or layers != sorted(layers)
    elif written and catalog.format == "numpy":  # np.savez writes its arguments' order: a model's, or a sorted dict's
        names = [e.name for e in sorted(c_refs, key=lambda e: e.written or 0)]
        written = names not in (sorted(names), sorted(names, key=_natural))
    # A TF1 Saver's file keeps its names sorted; the graph it wrote beside it (``.meta``) lists the variables as the
    # model created them, which is the model's order as much as an HDF5 file's layer order is.
    # (where the names give no order of their own: ``_listed_order``'s lists come first, as without the .meta)
    ranks = None if written else _listed_order(c_items)
    created = None if written or ranks or not c_items else catalog.creation_order()[0]
    if created is not None and not all(e.name in created for e in c_refs):
        created = None  # (a Saver of a var_list under other names, or of another graph's variables)
    for i, c in enumerate(c_items):
        c.order = c.ref.written if written else created[c.ref.name] if created else ranks[id(c)] if ranks else i
    ordered = written or created is not None or bool(ranks) or catalog.format in _ORDERED_FORMATS
    if created is not None:
        state.created = True
    # (an .npz's order is its writer's choice: structure may read it, but it does not make a layer renamed on its
    # own a question for structure to decide, as a framework's order does)
    # (nor does a TF1 file's creation order: its .meta is a graph's, beside a file of sorted names; structure reads
    # it, the names' stages weigh a renaming as they do without it: a whole model's scope renamed stays a rule)
    state.ordered = ordered and catalog.format != "numpy" and created is None
    # (a positional name has ``/vars/`` in it: the regular expression runs only on those)
    if c_items and sum(1 for e in c_refs if "/vars/" in e.name and _POSITIONAL.match(e.name)) * 2 > len(c_items):
        _positional(c_items, m_items)
    else:
        if sum(1 for c in c_items if _LAYER_WITH_WEIGHTS.match(c.name)) * 2 > len(c_items) and \
                any("keras-h5" in getattr(m.ref, "keys", {}) for m in m_items):
            _layers_with_weights(c_items, m_items)
        flat = [_flat_leaves(c_items), _flat_leaves(m_items)]
        if flat[0] != flat[1]:
            _single_layer_rnns(m_items if flat[0] else c_items)
        _glued_biases(c_items)
        _glued_biases(m_items)
        tf = _speaks_tf(c_items), _speaks_tf(m_items)
        if all(tf):
            _own_vocabulary(c_items, m_items)
        # (one side speaks TF's vocabulary, the other PyTorch's only: `kernel` against `weight`)
        state.crossed = tf[0] != tf[1] and any(it.name.endswith(".weight") for it in (m_items if tf[0] else c_items))
    _torchvision_names(c_items, m_items)
    ema = [any(it.tokens and it.tokens[-1] == "hidden" for it in items) for items in (c_items, m_items)]
    if ema[0] != ema[1]:  # one side keeps Sonnet's moving averages, the other plain statistics
        _ema_values(c_items if ema[0] else m_items)
    how = {BY_KEY: "same name", BY_OBJECT_PATH: "same object path", BY_FULL_NAME: "same variable name (full_name)",
           BY_POSITION: "same layer order and position (Keras load_weights)",
           BY_LAYER_NAME: "same layer name and position (Keras load_weights by_name)",
           BY_KERAS3_PATH: "same Keras 3 path"}
    loaded = d.weights(LOADED)
    state.anchored = bool(loaded)
    twins = _ema_twins(c_items, m_items, {id(r.entry) for r in loaded})
    everything_c = c_items
    if twins:  # the averages stay out of the inference; a value it pairs has its average beside it (``_ema_choice``)
        c_items = [c for c in c_items if id(c) not in twins]
    if any(".modules_to_save." in c.name for c in c_items):
        c_items = _peft_saved_modules(c_items, {id(r.entry) for r in loaded})
    by_var = {id(i.ref): i for i in m_items} if loaded else {}
    by_entry = {id(i.ref): i for i in c_items} if loaded else {}
    for r in loaded:
        if r.entry is None:  # a tied weight, loaded with its owner's value: nothing to align, nothing missing
            by_var[id(r.variable)].busy = True
            continue
        state.add(by_entry[id(r.entry)], by_var[id(r.variable)], None, "exact",
                  how.get(r.matched_by or BY_KEY, "same name") + (f"; {r.note}" if r.note else ""))

    everything_m = m_items
    if pruned:  # a prune mask is computed, never saved for a plain module: new, out of the inference
        m_items = [m for m in m_items if not (m.name.endswith(_PRUNE_MASK) and m.name[:-len(_PRUNE_MASK)] in pruned)]
    # A module registered twice (`conv1.block.0` is `conv1.conv_layer`: every variable of the one tied to the other's)
    # takes its owner's values through the ties: in the inference it would only be a second, equal claimant for each
    # value. It stays where the file holds its own names; and a single tied weight (an LM head's weight tied to the
    # embedding, its bias its own) stays: a file of the untied model holds a value for each.
    if any(m.ref.tied_to for m in m_items):
        owned = {m.ref.name for m in m_items}
        aliases = {id(m) for layer in _by_layer(m_items).values()
                   if all(m.ref.tied_to in owned and id(m) not in state.pairs and not m.busy for m in layer) and
                   len({_owner(m.ref.tied_to) for m in layer}) == 1 for m in layer}
        m_items = [m for m in m_items if id(m) not in aliases]
    if keras3_model:
        _keras3_nested(state, c_items, m_items)
    if object_mode:
        _object_nested(state, c_items, m_items)
    _loader_prefix(state, c_items)
    if any(r.matched_by == BY_KERAS3_PATH for r in d.weights(LOADED)):
        _keras3_shift(state, c_items, m_items)
        _keras3_lists(state, c_items, m_items)
        _keras3_layer_families(state, c_items, m_items)
    if spec.framework == "torch":
        _torch_layouts(m_items)
    if catalog.format in _TORCH_FORMATS:
        _torch_layouts(c_items)
    _output_projections(c_items)
    _output_projections(m_items)
    _w_layouts(c_items, m_items)
    _fused_recurrent(state, c_items, m_items)
    _separable_split(state, c_items, m_items)
    _conventions(state, c_items, m_items)
    _hf_tf_layer_paths(state, c_items, m_items)
    _prefix_rules(state, c_items, m_items, numeric=False)
    _numbering(state, c_items, m_items)
    _prefix_rules(state, c_items, m_items, numeric=True)
    _lone_renames(state)
    _flat_names(state, c_items, m_items)
    # Keras restores a legacy HDF5 file into a Keras model by layer order (``load_weights`` without by_name):
    # there the order is the format's own semantics and outranks names that disagree among themselves.
    by_order = catalog.format == "keras-h5" and spec.framework in ("tf1", "tf2")
    # Orders of two conventions (Keras' layer order vs PyTorch's creation order, or an order recovered from
    # auto-numbers) may list the same layers differently: there equal neighbours prove nothing.
    same_convention = by_order or (catalog.format == "torch") == (spec.framework == "torch") and ordered
    blocks = _blocks(state, c_items, m_items) + _parallel_blocks(state, c_items, m_items)
    if blocks:
        _around_blocks(state, c_items, m_items, blocks, ordered, not same_convention)
    aligned = _structure(state, c_items, m_items, ordered, by_order, not same_convention, catalog.format == "torch",
                         spec.framework == "torch")
    _blocks(state, c_items, m_items, settled=True)
    _owned_norms(state, c_items, m_items, spec.framework == "torch")
    if catalog.format != "torch" and any(id(c) not in state.taken_c and c.shape and not _is_matrix(c) for c in c_items):
        _norm_by_partner(state, c_items, m_items, spec.framework == "torch")  # (a free vector: a norm left over)
    undone = _sibling_conflicts(state, c_items, m_items)
    if _siblings(state, c_items, m_items):  # a weight settled inside its block: its nested norm may follow
        _owned_norms(state, c_items, m_items, spec.framework == "torch")
    for m, c, prefix in undone:  # what its block could not complete stays open, with the value order gave it
        if id(m) not in state.pairs and id(m) not in state.ambiguous:
            state.set_ambiguous(m, [] if c.busy else [c], f"its block's other layers took their values from "
                                f"`{prefix}*`; the layer order alone gave it `{c.name}`, from elsewhere")
    _named_norms(state, c_items, m_items, catalog.format == "torch", spec.framework == "torch")
    if aligned is not None:
        _kinds_in_order(state, c_items, m_items, aligned)
    _claimed_by_its_block(state)
    _spliced_trees(state, c_items, m_items)
    _changed_layers(state, c_items, m_items)
    _beside_a_nesting(state, c_items, m_items)
    _leftover_candidates(state, c_items, m_items)
    _lone_in_new(state, m_items)
    _twin_streams(state, c_items, m_items)
    _flattened_maps(state, m_items)
    _norm_epsilons(state)
    _biases_dropped(state, c_items, m_items)
    _ema_choice(state, twins)
    if state.ties:
        _twin_choice(state, m_items)
    if state.ambiguous:
        _equal_values(state)
    return d, state, everything_c, everything_m


# bytes read per set of candidates to compare them (t5-base's three copies of its shared table: 296 MB; two values
# are held at a time); beyond it the ambiguity stays
_EQUAL_READ_LIMIT = 2 << 30


def _equal_values(state: _State) -> None:
    """Ambiguities whose values all hold the same numbers are no question: Hugging Face's TF files save a shared
    embedding once per layer that uses it (``shared/shared/embeddings``, ``encoder/shared/shared/embeddings``, ...),
    and whichever a variable takes, it gets the same value. The candidates are read and compared (the only stage
    that reads values); where they are equal and not a constant, each model variable that owns its storage takes
    the value whose name shares most words with its own, and variables tied to it are filled through the tie.
    Anything else (different values, a dtype or shape apart, more owners than values, too many bytes) stays
    ambiguous."""
    groups: dict[int, tuple[list[_Item], dict[int, _Item]]] = {}  # id(first candidate) -> (model items, candidates)
    for m, cands, _ in state.ambiguous.values():
        if not cands:
            continue
        key = id(cands[0])
        ms, cs = groups.setdefault(key, ([], {}))
        ms.append(m)
        cs.update((id(c), c) for c in cands)
    # every ambiguity of a group must list the same candidates (one question, not overlapping ones)
    for ms, cs in groups.values():
        if any({id(c) for c in state.ambiguous[id(m)][1]} != cs.keys() for m in ms) or len(cs) < 2:
            continue
        cands = sorted(cs.values(), key=lambda c: c.name)
        names = {m.ref.name for m in ms}
        owners = [m for m in ms if m.ref.tied_to not in names]  # the others share an owner's storage
        if len(owners) > len(cands):
            continue
        first = cands[0].ref
        if any(c.ref.dtype != first.dtype or tuple(c.ref.shape) != tuple(first.shape) for c in cands) or \
                sum(c.ref.nbytes for c in cands) > _EQUAL_READ_LIMIT or not _same_numbers(cands):
            continue
        fits = {(id(c), id(m)): state.compatible(c, m) for c in cands for m in owners}
        if not all(ok for ok, _ in fits.values()):
            continue
        free, taken = list(cands), []
        for m in ms:  # (each stays busy: an owner is paired below, the others are filled through their tie)
            del state.ambiguous[id(m)]
            state.ties.discard(id(m))
            state.shallow.discard(id(m))
        for m in owners:
            words = _raw_words(m.name)
            c = max(free, key=lambda c: (len(_raw_words(c.name) & words), -len(c.tokens)))
            free.remove(c)
            taken.append(c)
            state.add(c, m, fits[id(c), id(m)][1], "equal values",
                      f"the {len(cands)} values that fit hold the same numbers (read and compared): any of them "
                      f"gives this value; `{c.name}` shares most words with the variable's name")
        if free:
            state.cautions.append(f"{len(free)} checkpoint value(s) (`{free[0].name}`) hold the same numbers as "
                                  f"`{taken[0].name}`, which the model loads (read and compared): copies, nothing lost")


def _same_numbers(cands: list[_Item]) -> bool:
    """Do the candidates hold the same numbers, and numbers that tell copies apart from chance? A constant (a norm's
    ones, a bias's zeros, never trained) is every initialised layer's value: equal, yet no sign of one value saved
    twice, and the layers' other values may well differ (a removed layer among equal ones stays ambiguous)."""
    import numpy as np

    try:
        flat = np.ascontiguousarray(cands[0].ref.read()).reshape(-1)
        if flat.size < 2 or bool((flat == flat[0]).all()):
            return False
        raw = flat.view(np.uint8)  # bytes, so NaNs compare too
        return all(np.array_equal(raw, np.ascontiguousarray(c.ref.read()).reshape(-1).view(np.uint8))
                   for c in cands[1:])
    except (CheckpointError, AttributeError, ValueError, TypeError):  # no readable value, or no plain bytes
        return False


def _biases_dropped(state: _State, c_items: list, m_items: list) -> None:
    """Biases of convolutions whose kernels pair into model layers holding that kernel alone (Keras' ResNet convs
    carry a bias, torchvision's none): those values go unused, and the model computes without them. Before a batch
    norm that is no loss only once the bias is folded into the norm's running mean, which no rule does: a caution
    says so."""
    # (convolutions only, whose model layer holds that kernel alone: a recurrent layer's biases are other values)
    kernels = {_layer_path(p.checkpoint): _layer_path(p.model) for p in state.pairs.values()
               if p.checkpoint.layout is not None and len(p.checkpoint.shape) >= 3}
    if not kernels:
        return
    members = Counter(_layer_path(m) for m in m_items)
    dropped = [c for c in c_items if not c.busy and c.tokens[-1:] == ("bias",) and len(c.shape) == 1 and
               kernels.get(_layer_path(c)) is not None and members[kernels[_layer_path(c)]] == 1]
    if dropped:
        c = dropped[0]
        state.cautions.append(
            f"{len(dropped)} bias(es) of layers whose kernels the model takes (`{c.ref.name}` of "
            f"`{kernels[_layer_path(c)]}`) have no place in the model, whose layers there have no bias: the model "
            "computes without them. Where such a layer feeds a batch norm (a ResNet's convs), its outputs stay the "
            "same only with each bias folded into that norm (running_mean - bias); no rule does that")


_TORCH_VARIANCE = "running_var"  # PyTorch's batch-norm buffer; TF and Keras say moving_variance (or a position)


def _norm_epsilons(state: _State) -> None:
    """Batch-norm statistics carried between PyTorch and TF or Keras arrive intact, yet the layer divides by
    sqrt(variance + epsilon), and the frameworks' default epsilons differ (PyTorch 1e-5, Keras and TF 1e-3; a
    deep-sort MobileNetV2's PyTorch weights in Keras' MobileNetV2 give outputs off by 2.3 of 2.8 until it is set).
    No file records the epsilon, so the pairs stand and a caution says what to check."""
    def crossed(m: _Item, c: _Item) -> bool:  # PyTorch's running variance on one side only, TF's or Keras' other
        model, file = m.ref.name, c.ref.name
        if _TORCH_VARIANCE not in model and _TORCH_VARIANCE not in file:
            return False  # (most pairs: no name spells it)
        a, b = _leaf_word(strip_name(model)), _leaf_word(strip_name(file))
        if (a == _TORCH_VARIANCE) == (b == _TORCH_VARIANCE):
            return False
        # (the names' variance, or a Keras 3 file's BatchNormalization by position: its 4th variable)
        return m.key[-1:] == ("runningvar",) or "3" in (a, b) and "normalization" in c.ref.name

    # (a variance left ambiguous among such values crosses as well, whichever the user gives it)
    layers = sorted({(m.order, _owner(strip_name(m.ref.name)))
                     for m, c in itertools.chain(((p.model, p.checkpoint) for p in state.pairs.values()),
                                                 ((m, cands[0]) for m, cands, _ in state.ambiguous.values() if cands))
                     if crossed(m, c)})
    if layers:
        state.cautions.append(
            f"{len(layers)} batch-norm layer(s) (`{layers[0][1]}` first) take statistics saved by another framework: "
            "the values are right, but the layer divides by sqrt(variance + epsilon), and PyTorch's default epsilon is "
            "1e-5, Keras' and TF's 1e-3 (Keras' ResNets use 1.001e-5). No file records it: give the model's "
            "batch-norm layers the epsilon the values were trained with, or its outputs differ")


def _flattened_maps(state: _State, m_items: list) -> None:
    """A dense layer right after a convolution whose output it takes flattened (its inputs: the conv's channels
    times positions, a VGG's classifier) reads them in the framework's own order: Keras flattens (positions,
    channels), PyTorch (channels, positions). Between a kernel and a weight the plain transpose is right only if the
    PyTorch model makes its map channels-last before flattening (as ports written to take Keras weights do), which
    no file says: the pair stands, and a caution gives the transform for a model that flattens channels-first."""
    channels = 0  # output channels of the last convolution, in the model's creation order (0: none since a dense)
    for m in sorted(m_items, key=lambda it: it.order):
        rank = len(m.shape)
        if rank >= 3 and m.layout in ("kernel", "weight"):
            channels = m.shape[0] if m.layout == "weight" else m.shape[-1]
            continue
        if rank != 2 or m.layout not in ("kernel", "weight"):
            continue
        inputs, last, channels = (m.shape[1] if m.layout == "weight" else m.shape[0]), channels, 0
        proof = state.pairs.get(id(m))
        if proof is None or not last or inputs % last or inputs == last or proof.checkpoint.layout == m.layout or \
                len(proof.checkpoint.shape) != 2:
            continue
        out, positions = m.shape[0] if m.layout == "weight" else m.shape[1], inputs // last
        reorder = (f"reshape({positions},{last},{out})+permute(1,0,2)+reshape({inputs},{out})+transpose"
                   if m.layout == "weight" else
                   f"transpose+reshape({last},{positions},{out})+permute(1,0,2)+reshape({inputs},{out})")
        state.cautions.append(
            f"`{m.name}` takes `{proof.checkpoint.name}` after a flattened convolution map ({last} channels x "
            f"{positions} positions): Keras flattens it channels-last, PyTorch channels-first, so the plain "
            "transpose is right only if the PyTorch model makes the map channels-last before flattening; no file "
            f"says so. For a model that flattens channels-first (`x.flatten(1)`), the transform is `{reorder}`")


def _ema_twins(c_items: list, m_items: list, loaded: set[int]) -> dict[int, tuple[_Item, _Item]]:
    """{id(average): (average, the value it averages)} for the checkpoint's moving averages (``conv/weights`` and
    ``conv/weights/ExponentialMovingAverage``, equal shapes): one value twice, trained and averaged. None where the
    model names averages itself (names pair them) or the restore loads the average by its name."""
    if not any(c.name.endswith(EMA_SUFFIX) for c in c_items) or any(m.name.endswith(EMA_SUFFIX) for m in m_items):
        return {}
    by_name = {c.name: c for c in c_items}
    out = {}
    for c in c_items:
        if c.name.endswith(EMA_SUFFIX) and id(c.ref) not in loaded:
            base = by_name.get(c.name[:-len(EMA_SUFFIX)])
            if base is not None and base.shape == c.shape and base.dtype == c.dtype:
                out[id(c)] = (c, base)
    return out


def _peft_saved_modules(c_items: list, loaded: set[int]) -> list:
    """peft keeps a module it trains whole (``modules_to_save``: a classifier head) twice: the frozen original
    (``classifier.original_module.dense``) and the trained copy (``classifier.modules_to_save.<adapter>.dense``),
    which the adapter computes with and ``merge_and_unload`` leaves in the module's place. The copy is read under the
    module's own name; the original stays out of the inference (unused), unless a restore loads it by its name."""
    by_name = {c.name: c for c in c_items}
    originals: set[int] = set()
    for c in c_items:
        found = _SAVED_MODULE.match(c.name)
        original = by_name.get(f"{found['owner']}.original_module.{found['rest']}") if found else None
        if found is None or original is None or id(original.ref) in loaded or id(c.ref) in loaded:
            continue
        originals.add(id(original))
        cut = len(_name_tokens(found["owner"]))
        c.tokens = c.tokens[:cut] + c.tokens[cut + len(_name_tokens(f"modules_to_save.{found['adapter']}")):]
        c.rekey()
    return [c for c in c_items if id(c) not in originals]


_SAVED_MODULE = re.compile(r"^(?P<owner>.+)\.modules_to_save\.(?P<adapter>[^.]+)\.(?P<rest>.+)$")


def _twin_choice(state: _State, m_items: list) -> None:
    """One file, one of the model's twin sub-models. A model may hold the same layers twice under two scopes
    (silero-vad's TorchScript model: ``_model.`` at 16 kHz, ``_model_8k.`` at 8 kHz, the same names below each)
    while the file holds one such model: each value then fits a layer of every twin equally (a tie of renamings),
    except where a shape tells the twins apart (``conv1`` [128, 129, 3] fits ``_model.encoder.0`` only). Where every
    pair the inference made under the twin scopes lies under one twin, the file is that twin's: a value tied only
    between the same layer of each twin goes to that twin, and the other twins' claimants are new. Twins with no
    pair to tell them apart (three equal targets) stay ambiguous."""
    claims: dict[int, list[_Item]] = defaultdict(list)  # id(c) -> the variables whose one candidate it is
    for m, cands, _ in state.ambiguous.values():
        if len(cands) == 1:
            claims[id(cands[0])].append(m)
    if not any(id(m) in state.ties for ms in claims.values() if len(ms) > 1 for m in ms):
        return
    # candidate twin scopes: the prefixes (up to a separator) of the tied claimants' names
    heads = {m.name[:i + 1] for ms in claims.values() if len(ms) > 1 for m in ms if id(m) in state.ties
             for i, ch in enumerate(m.name) if ch in "/."}
    below: dict[str, set[str]] = defaultdict(set)  # twin scope -> the names below it
    for m in m_items:
        for i, ch in enumerate(m.name):
            if ch in "/." and m.name[:i + 1] in heads:
                below[m.name[:i + 1]].add(m.name[i + 1:])
    alike: dict[frozenset, list[str]] = defaultdict(list)  # scopes with the same names below them are twins
    for head, rests in below.items():
        alike[frozenset(rests)].append(head)
    twins = [sorted(hs) for hs in alike.values() if len(hs) > 1]
    for scopes in twins:
        def scope_of(name: str, scopes=scopes) -> str:  # ("": under none of them)
            return next((h for h in scopes if name.startswith(h)), "")
        used = {scope_of(p.model.name) for p in state.pairs.values()} - {""}
        if len(used) != 1:
            continue
        (chosen,) = used
        anchor = next(p for p in state.pairs.values() if scope_of(p.model.name) == chosen)
        hypothesis = Hypothesis("twin", ("twin", chosen, tuple(scopes), anchor.checkpoint.name, anchor.model.name), 0)
        for ms in claims.values():
            mine = [m for m in ms if scope_of(m.name) == chosen]
            if len(mine) != 1 or id(mine[0]) not in state.ties or not all(scope_of(m.name) for m in ms):
                continue
            m, rest = mine[0], mine[0].name[len(chosen):]
            if {scope_of(o.name) for o in ms if o.name[len(scope_of(o.name)):] == rest} != set(scopes):
                continue  # not the same layer of every twin: another question than which twin
            c = state.ambiguous[id(m)][1][0]
            ok, transform = state.compatible(c, m)
            if not ok or id(c) in state.taken_c:
                continue
            for o in ms:
                del state.ambiguous[id(o)]
                state.ties.discard(id(o))
                state.shallow.discard(id(o))
                o.busy = False  # the other twins' claimants: new
            hypothesis.support += 1
            state.add(c, m, transform, "twin",
                      f"the model holds twin sub-models ({', '.join(f'`{h}`' for h in scopes)}, the same names below "
                      f"each) and the file one model: `{anchor.checkpoint.name}` pairs with `{anchor.model.name}`, "
                      f"and no value with another twin, so the file is `{chosen}`'s; {_shapes(c, m, transform)}",
                      hypothesis)
        if hypothesis.proofs:
            state.hypotheses.append(hypothesis)


def _ema_choice(state: _State, twins: dict[int, tuple[_Item, _Item]]) -> None:
    """A value paired by inference (not by the restore's own name matching) that has its moving average beside it
    in the file: which of the two to load is the user's choice (evaluation usually takes the average; training
    resumes from the trained value), so the variable is ambiguous between them; an ambiguity among values lists
    their averages too."""
    reason = ("the file holds this value twice, as trained and as its moving average (`.../ExponentialMovingAverage`, "
              "TF's ExponentialMovingAverage): which one to load is a choice (evaluation usually takes the average)")
    average = {id(base): twin for twin, base in twins.values()}
    for twin, base in twins.values():
        m = state.taken_c.get(id(base))
        if m is not None and state.pairs[id(m)].stage != "exact":
            state.drop_pair(m)
            state.set_ambiguous(m, [base, twin], reason)
    for key, (m, cands, why) in list(state.ambiguous.items()):
        more = [average[id(c)] for c in cands if id(c) in average and average[id(c)] not in cands]
        if more:
            state.ambiguous[key] = (m, cands + more, why + "; and each value has its moving average beside it "
                                                          "(`.../ExponentialMovingAverage`): which one, a choice")


def _inserted_segment(state: _State, c_items, m_items) -> None:
    """One segment inserted before the last part of names, the same word in each (PEFT's adapter name,
    ``lora_A.weight`` -> ``lora_A.default.weight``; its ``base_layer`` under a wrapped linear layer,
    ``c_attn.weight`` -> ``c_attn.base_layer.weight``), or removed the same way: names equal but for it pair, where
    the word does it for two layers or more, each name's partner is the only one, and shapes agree. A number is no
    such word (numbering is read elsewhere), nor are names in a family one side numbers otherwise."""
    pool_c, pool_m = _pool(state, c_items, m_items)
    if not pool_c or not pool_m:
        return
    found: dict[tuple[str, str], list] = defaultdict(list)  # (side that has it, the word) -> [(c, m)]
    for side, longer, shorter in (("model", pool_m, pool_c), ("checkpoint", pool_c, pool_m)):
        lengths = {len(it.key) for it in shorter}
        if not any(len(it.key) - 1 in lengths for it in longer):
            continue
        by_key = _unique_keys(shorter)
        for it in longer:
            key = it.key
            if len(key) < 3 or len(key) - 1 not in lengths or key[-2].isdigit():
                continue
            other = by_key.get(key[:-2] + key[-1:])
            if other is not None:
                c, m = (other, it) if side == "model" else (it, other)
                found[(side, key[-2])].append((c, m))
    numbers: dict[tuple, list[set[int]]] = {}  # family (the name up to its number) -> its numbers on each side

    def same_numbers(key: tuple) -> bool:
        """Do both sides number the families above this name alike? Where one has an element more and both number
        theirs without a gap (a block removed from a list, the rest moved down), which number is which is the
        numbering's question, not this word's. (A gap says the numbers were kept: ``features.1`` replaced.)"""
        for p in range(1, len(key)):
            if not _boundary(key, p):
                head = key[:p]
                if head not in numbers:
                    numbers[head] = [{int(n) for n in _elements(items, {head}).get(head, ())}
                                     for items in (c_items, m_items)]
                a, b = numbers[head]
                if a != b and all(found == set(range(min(found), min(found) + len(found))) for found in (a, b)):
                    return False
        return True

    for (side, word), pairs in found.items():
        pairs = [(c, m) for c, m in pairs if same_numbers(c.key if side == "model" else m.key)]
        # (two layers or more: one layer a level deeper is a one-layer head against a two-layer one, new or renamed)
        if len({m.key[:-2] for _, m in pairs}) < 2 or len({id(c) for c, _ in pairs}) != len(pairs) or \
                len({id(m) for _, m in pairs}) != len(pairs):
            continue
        fits = [(c, m, state.compatible(c, m)) for c, m in pairs if not c.busy and not m.busy]
        if len(fits) != len(pairs) or not all(ok for _, _, (ok, _) in fits):
            continue
        hypothesis = Hypothesis("prefix", ("infix", side, word), len(pairs))
        for c, m, (_, transform) in fits:
            state.add(c, m, transform, "prefix", functools.partial(_segment_evidence, c, m, transform, side,
                                                                   len(pairs)), hypothesis)
        state.hypotheses.append(hypothesis)


def _segment_evidence(c: _Item, m: _Item, transform: str | None, side: str, n: int) -> str:
    where = "the model's name" if side == "model" else "the file's name"
    return (f"{where} has one more segment before its last part, the same in {n} names (`{c.name}` -> "
            f"`{m.name}`); {_shapes(c, m, transform)}")


def _keras3_shift(state: _State, c_items, m_items) -> None:
    """Keras 3 loads a ``.weights.h5`` by path (``layers/dense_1``), never by layer name, but the file records each
    layer's name too (``full_name`` ``d2/vars/0``). When a path loads into a layer of another name while the model
    also has a layer of the saved name (a layer inserted or removed, names kept), what Keras loads and what the
    names say disagree: each variable the two readings give different values (or one of them none) is ambiguous,
    both candidates listed with the reason, and no pair is claimed for it."""
    # Layer names a session numbered: a family of one word with numbers (``dense``, ``dense_1``) among the recorded
    # names. At attribute paths (a sub-classed model's ``a``, ``b``) they are the class's auto names, which a fresh
    # process gives the model's layers anew (``dense``, ``dense_1``, ``dense_2`` with one inserted): they say
    # nothing about which layer is meant, the attribute paths do.
    recorded = Counter(re.sub(r"_\d+$", "", m["layer"]) for c in c_items
                       if (m := _POSITIONAL.match(c.ref.full_name or "")) is not None and m["i"] == "0")
    numbered = {word for word, n in recorded.items() if n > 1}

    def saved_layer(c: _Item) -> str | None:
        """The layer name the file records, when a user gave it: an auto name (``batch_normalization_3`` at
        ``layers/batch_normalization``, or ``dense_1`` of a numbered family at an attribute path ``b``) is the
        numbering of another session and says nothing about intent."""
        found = _POSITIONAL.match(c.ref.full_name or "")
        path = _POSITIONAL.match(c.ref.name)
        if not found or path and re.fullmatch(re.sub(r"_\d+$", "", path["layer"].rsplit("/", 1)[-1]) + r"(_\d+)?",
                                              found["layer"]):
            return None
        if path and "layers" not in path["layer"].split("/") and re.sub(r"_\d+$", "", found["layer"]) in numbered:
            return None  # (under a functional model's `layers/`, numbered names may be given: MobileNetV3's `conv_1`)
        return found["layer"]

    def model_layer(m: _Item) -> str | None:
        parts = strip_name(m.ref.name).split("/")
        return parts[-2] if len(parts) > 1 else None

    layers = {model_layer(m) for m in m_items}
    path_of = {id(m): c for c, m, _, stage, *_ in state.pairs.values() if stage == "exact" and saved_layer(c)}
    saved = {saved_layer(c) for c in c_items} - {None}
    _keras3_renamed_or_new(state, path_of, saved, layers, saved_layer, model_layer)
    # (the two readings differ where a path's saved layer is another model layer, or the model layer's own name
    # was saved at another path: `conv_1` loads `expanded_conv_14_expand`'s values, one block gone)
    if not any(saved_layer(c) != model_layer(m) and (saved_layer(c) in layers or model_layer(m) in saved)
               for c, m, *_ in state.pairs.values() if id(m) in path_of):
        return
    by_name = {}
    for c in c_items:
        found = _POSITIONAL.match(c.ref.full_name or "")
        if found and saved_layer(c):
            by_name[(found["layer"], found["i"])] = c
    named: set[int] = set()  # values given by the names where the path's value belongs to no model layer
    # layers removed and every other name kept (no model layer the file lacks): there the names are the model's
    # intent, and the paths after a removed layer are shifted; an inserted layer leaves path and names undecided
    # (a layer the file records under its class's own name, `normalization`, is no layer the file lacks: its auto
    # name says nothing of intent, but the model's layer so named is there)
    recorded_layers = saved | {found["layer"] for c in c_items if (found := _POSITIONAL.match(c.ref.full_name or ""))}
    removed_only = bool(saved - layers) and all(model_layer(m) in recorded_layers for m in m_items if model_layer(m))
    # (not for a layer numbered like a removed one, `tcn2_skip` beside a removed `tcn3_skip`, one number apart:
    # which element of the family went, its kept number does not say; `conv5_block2_2_bn` is not one of
    # `conv4_block6_2_bn`'s family)
    shapes: dict[tuple[bool, str | None], list] = defaultdict(list)  # (model?, layer) -> its values' shapes
    for c in c_items:
        shapes[(False, saved_layer(c))].append(c.shape)
    for m in m_items:
        shapes[(True, model_layer(m))].append(m.shape)
    removed_numbers: dict[str, list[tuple[list[str], str]]] = defaultdict(list)
    for name in saved - layers:
        if name is not None:
            removed_numbers[_INDEX.sub("#", name)].append((_INDEX.findall(name), name))

    def counted(layer: str | None) -> bool:  # (an element equal to the removed one: not a stage's other width)
        numbers = _INDEX.findall(layer or "")
        return any(sum(a != b for a, b in zip(numbers, other, strict=True)) == 1 and
                   sorted(shapes[(False, name)]) == sorted(shapes[(True, layer)])
                   for other, name in removed_numbers.get(_INDEX.sub("#", layer or ""), ()))
    for m in m_items:
        found = _POSITIONAL.match(getattr(m.ref, "keys", {}).get("keras3", ""))
        path_c = path_of.get(id(m))
        name_c = by_name.get((model_layer(m), found["i"])) if found else None
        if name_c is not None and not state.compatible(name_c, m)[0]:
            name_c = None
        if path_c is name_c or path_c is None and m.busy or \
                path_c is not None and name_c is None and saved_layer(path_c) not in layers:
            continue  # both readings agree, or the names say nothing (a renamed layer)
        if removed_only and name_c is not None and id(name_c) not in named and \
                not counted(model_layer(m)) and \
                (path_c is None or saved_layer(path_c) not in layers or id(path_c) in named):
            # what Keras loads by path was saved from a layer the model does not have (every path after a removed
            # layer is shifted), or from one that the names already gave it to, and the file holds this layer's own
            # name's value: the names decide
            if id(m) in state.pairs:
                state.drop_pair(m)
            holder = state.taken_c.get(id(name_c))
            if holder is not None:
                state.drop_pair(holder)  # (its own name's value, if any, is given to it in turn)
            named.add(id(name_c))
            by_path = "nothing" if path_c is None else f"`{path_c.ref.name}`, saved from `{saved_layer(path_c)}`,"
            state.add(name_c, m, state.compatible(name_c, m)[1], "names", f"the file's layer `{saved_layer(name_c)}` "
                      f"is this layer's name; Keras 3 would load {by_path} by path (layers were removed, every other "
                      "name kept: the names decide)")
            continue
        if path_c is not None:
            if id(m) not in state.pairs:
                continue  # its value by path went to the layer named so
            state.drop_pair(m)
            loads = f"Keras 3 loads `{path_c.ref.name}` (saved from layer `{saved_layer(path_c)}`) into it by path"
        else:
            loads = "Keras 3 loads nothing into it by path"
        says = f"the file's layer names give it `{name_c.ref.name}`" if name_c is not None else \
            "no saved layer has its name"
        state.set_ambiguous(m, [c for c in (path_c, name_c) if c is not None],
                            f"{loads}; {says} (a layer inserted or removed, names kept): which is meant, no file says")


# (an element holds layers, `blocks/block_1/dense/vars/0`, or is one, `denses/dense_1/vars/0`: deepxde's FNN)
_KERAS3_ELEMENT = re.compile(r"^(?P<head>(?:[^/]+/)*?)(?P<base>[^/]+)_(?P<n>\d+)/(?P<member>(?:.+/)?vars/\d+)$")


def _keras3_lists(state: _State, c_items, m_items) -> None:
    """Elements of a sub-classed model's list of layers (Keras 3 paths ``block_0``, ``block_1``, ...), which Keras
    3 loads by path: where the file holds more or fewer elements than the model, which one was removed or inserted
    no path says, so the elements' numbers are weighed as a family (``_family``: numbers kept against every shift
    that explains as much; equal elements tie). (A Functional model's ``layers/dense_1`` counts layers of a class:
    the saved names decide there, ``_keras3_shift``; auto names only, ``_keras3_layer_families``.)"""
    paths = ([(c, c.ref.name) for c in c_items],
             [(m, getattr(m.ref, "keys", {}).get("keras3", "")) for m in m_items])
    numbered = {(found["head"], found["base"]) for side in paths for _, path in side
                if not path.startswith("layers/") and (found := _KERAS3_ELEMENT.match(path))}
    sides: tuple[dict, dict] = (defaultdict(lambda: defaultdict(dict)), defaultdict(lambda: defaultdict(dict)))
    for side, items in enumerate(paths):
        for it, path in items:
            found = _KERAS3_ELEMENT.match(path) if not path.startswith("layers/") else None
            if found is not None and (found["head"], found["base"]) in numbered:
                sides[side][(found["head"], found["base"])][int(found["n"])][found["member"]] = it
            else:  # Keras' first element has no number (``blocks/block``, ``blocks/block_1``)
                for family in numbered:
                    if path.startswith(family[0] + family[1] + "/") and path.count("/") >= 3:
                        sides[side][family][0][path[len(family[0] + family[1]) + 1:]] = it
    for family, lc in sides[0].items():
        lm = sides[1].get(family)
        if lm and len(lc) >= 2 and len(lm) >= 2 and set(lc) != set(lm):
            _family(state, family[0] + family[1], dict(lc), dict(lm), reorders=False)


# (a member is the layer's own variable, ``vars/0``, or one of a layer it holds, ``dense/vars/0``: keras-rs'
# FeatureCross keeps its Dense as an attribute, whose path names the attribute, not the Dense's own auto name)
_KERAS3_TOP = re.compile(r"^layers/(?P<base>[A-Za-z0-9_]+?)(?:_(?P<n>\d+))?/(?P<member>(?:[^/]+/)*vars/\d+)$")


def _keras3_layer_families(state: _State, c_items, m_items) -> None:
    """A Functional model's top-level paths number the layers of a class in the model's order (``layers/conv1d``,
    ``layers/conv1d_1``): a layer of the class inserted or removed moves every later path, and a path that still
    loads may hold another layer's value where shapes agree (a Conv1D inserted after the embedding: the file's
    ``conv1d_2`` loads into the model's ``conv1d_2``, the old ``conv1d_1``'s place). Where the file records only
    those auto names for the family's layers (no name a user gave, which ``_keras3_shift`` reads) and the two sides
    hold different numbers, the numbers are weighed as a family (``_family``), as a list's elements are."""
    sides: tuple[dict, dict] = (defaultdict(lambda: defaultdict(dict)), defaultdict(lambda: defaultdict(dict)))
    named: dict[str, dict[int, str]] = defaultdict(dict)  # family -> number -> the name a user gave that layer
    model_layers: dict[str, dict[int, str]] = defaultdict(dict)  # family -> number -> the model layer's own name
    for side, items in enumerate((c_items, m_items)):
        for it in items:
            path = it.ref.name if side == 0 else getattr(it.ref, "keys", {}).get("keras3", "")
            found = _KERAS3_TOP.match(path)
            if found is None:
                continue
            n = int(found["n"] or 0)
            sides[side][found["base"]][n][found["member"]] = it
            if side == 1:
                model_layers[found["base"]][n] = strip_name(it.ref.name).rsplit("/", 1)[0]
            # (the name a user gave a top-level layer is its variables' full name; a held layer's names only it)
            own = _POSITIONAL.match(it.ref.full_name or "") if side == 0 and found["member"][:5] == "vars/" else None
            if own is not None and not re.fullmatch(re.escape(found["base"]) + r"(_\d+)?", own["layer"]):
                named[found["base"]][n] = own["layer"]
    for base, lc in sides[0].items():
        lm = sides[1].get(base)
        # (named layers that load under their own names at their paths are settled; the family's layers the file
        # records only by auto names, `dense`, `dense_1` for two equal heads beside `fc11`, `fc12`, are not)
        given = named.get(base, {})
        settled = all(model_layers[base].get(n) == name for n, name in given.items() if lm and n in lm)
        if (not given or settled and len(given) < len(lc)) and lm and len(lc) >= 2 and len(lm) >= 2 and \
                set(lc) != set(lm):
            _family(state, "layers/" + base, dict(lc), dict(lm), reorders=False)


def _keras3_nested(state: _State, c_items, m_items) -> None:
    """A Keras 3 file that holds the model as a nested model (a detector's file, its backbone under
    ``layers/functional/``), or a model that nests the file's model (the backbone's file into the detector): Keras 3
    loads by path from the top, so the paths that coincide (``layers/conv2d_13`` of the detector's head and of the
    backbone) load values of another layer, when their shapes agree."""
    keyed = [(m.ref.keys["keras3"], m) for m in m_items if "keras3" in getattr(m.ref, "keys", {})]
    if keyed and any("/vars/" in c.ref.name for c in c_items):
        _nested(state, [(c.ref.name, c) for c in c_items], keyed, _KERAS3_NEST, "Keras paths")


def _object_nested(state: _State, c_items, m_items) -> None:
    """The same for a tf-keras model's object graph (a SavedModel's variables, ``load_weights`` of a TF checkpoint):
    its paths number the layers that have weights (``layer_with_weights-0/gamma``), so a model that nests the
    file's model as a layer (``layer_with_weights-1/layer_with_weights-0/gamma``, a new layer before it) loads, at
    each path that coincides, the value of another layer, when the shapes agree."""
    if any(_KERAS_OBJECT_NEST.search("/" + c.name) for c in c_items) and \
            any(_KERAS_OBJECT_NEST.search("/" + m.name) for m in m_items):
        _nested(state, [(c.name, c) for c in c_items], [(m.name, m) for m in m_items], _KERAS_OBJECT_NEST,
                "object paths", contested=True)


_KERAS3_NEST = re.compile(r"/(?=layers/)")  # where a nested Keras 3 model's path starts: before its `layers/`
_KERAS_OBJECT_NEST = re.compile(r"/(?=layer(?:_with_weights)?-\d+/)")  # ... a tf-keras model's: before a layer


def _nested(state: _State, c_paths: list, m_paths: list, cut: re.Pattern, paths: str, contested: bool = False
            ) -> None:
    """When one nesting prefix (a cut of ``cut`` in the names of one side) pairs every value of one side by its
    path, with agreeing shapes and dtypes, and so explains more variables than loading by path does, and no other
    prefix explains as many, that reading is the pairing: the coinciding path loads are not. ``contested``: only
    where some path loads (object paths, where a scope rule says the same of a nesting nothing loads into)."""
    by_path = dict(c_paths)
    readings: dict[tuple[str, str], list] = defaultdict(list)  # (side nesting the other, prefix) -> pairs
    for side, names, lookup in (("checkpoint", by_path, dict(m_paths)), ("model", dict(m_paths), by_path)):
        for name, it in names.items():
            for found in cut.finditer(name):  # every cut before a nested model's path: the rest is the other side's
                at = found.start()
                other = lookup.get(name[at + 1:])
                if other is not None:
                    c, m = (it, other) if side == "checkpoint" else (other, it)
                    ok, t = state.compatible(c, m)
                    if ok:
                        readings[(side, name[:at + 1])].append((c, m, t))
    if not readings:
        return
    ranked = sorted(readings.items(), key=lambda kv: -len(kv[1]))
    (side, prefix), pairs = ranked[0]
    n = len(pairs)
    by_path_loads = sum(1 for p in state.pairs.values() if p.stage == "exact")
    whole = min(len(m_paths), sum(1 for _, c in c_paths if c.ref.kind not in BOOKKEEPING_KINDS))
    if n <= by_path_loads or n < whole or contested and not by_path_loads or \
            len(ranked) > 1 and len(ranked[1][1]) == n or \
            len({id(c) for c, _, _ in pairs}) != n or len({id(m) for _, m, _ in pairs}) != n:
        return
    for c, m, _ in pairs:
        if id(m) in state.pairs:
            state.drop_pair(m)
        taker = state.taken_c.get(id(c))
        if taker is not None:
            state.drop_pair(taker)
    where = "the file nests the model" if side == "checkpoint" else "the model nests the file's model"
    hypothesis = Hypothesis("prefix", ("nest", side, prefix, paths), n)
    for c, m, t in pairs:
        state.add(c, m, t, "prefix", functools.partial(_nested_evidence, c, m, t, where, prefix, n, by_path_loads,
                                                       paths), hypothesis)
    state.hypotheses.append(hypothesis)


def _nested_evidence(c, m, t, where, prefix, n, by_path_loads, paths) -> str:
    return (f"{where} under `{prefix}`: that reading pairs {n} variables by their {paths}, loading by path "
            f"{by_path_loads}; {_shapes(c, m, t)}")


def _keras3_renamed_or_new(state: _State, path_of: dict, saved: set, layers: set, saved_layer, model_layer) -> None:
    """A path load into a layer whose name shares no word with the name the file saved (``layers/dense`` saved
    from ``predictions``, loaded into a new ``head``), while most layers the file names are in the model under
    their names: the renamed-or-new question (a new head of the old head's shape takes the old values by path).
    Keras loads it; whether that is meant, no file says: ambiguous, with the reason."""
    pairs = [(state.pairs[k].checkpoint, state.pairs[k].model) for k in path_of if k in state.pairs]
    names = {(saved_layer(c), model_layer(m)) for c, m in pairs}
    foreign = {(a, b) for a, b in names  # (a saved name the model has: _keras3_shift)
               if a and b and a != b and a not in layers and not _raw_words(a) & _raw_words(b)}
    if foreign and len(saved & layers) * 2 <= len(saved):
        # the model's layers may keep the saved names under one other prefix (a model built with another name:
        # ``convnext_tiny_stage_0_...`` -> ``backbone_stage_0_...``): those names are kept too
        swap = _prefix_swap(names)
        if swap is not None:
            old, new = swap
            kept = {a for a in saved if a.startswith(old) and new + a[len(old):] in layers}
            foreign = {(a, b) for a, b in foreign if not (a.startswith(old) and new + a[len(old):] in layers) and
                       not _raw_words(a[len(old):] if a.startswith(old) else a) & _raw_words(b)}
            if len(kept) * 2 > len(saved):
                layers = layers | saved
    if not foreign or len(saved & layers) * 2 <= len(saved):
        return  # no such layer, or names that mostly disagree: a model rebuilt under other names
    for c, m in pairs:
        if (saved_layer(c), model_layer(m)) in foreign:
            state.drop_pair(m)
            state.set_ambiguous(m, [c], f"Keras 3 loads `{c.ref.name}` (saved from layer `{saved_layer(c)}`) into "
                                        f"`{model_layer(m)}` by path, while the other layers keep their names: "
                                        "renamed, or replaced by a new layer?")
            c.busy = True  # the value stays the question's: no renumbering of its family takes it elsewhere


def _prefix_swap(names: set) -> tuple[str, str] | None:
    """The one change of a name's leading words (``convnext_tiny_`` -> ``backbone_``) that turns most of the saved
    layer names into the model's layer names they load into (pairs ``(saved, model)``), else None."""
    swaps: Counter = Counter()
    for a, b in names:
        if not a or not b or a == b:
            continue
        k = 0
        while k < min(len(a), len(b)) and a[-1 - k] == b[-1 - k]:
            k += 1
        while k and a[len(a) - k] != "_":  # whole words: the common part starts where a word does
            k -= 1
        cut_a, cut_b = a[:len(a) - k], b[:len(b) - k]
        if k and cut_a and cut_b:
            swaps[(cut_a, cut_b)] += 1
    if not swaps:
        return None
    (swap, count), *rest = swaps.most_common(2)
    return swap if count * 2 > len(names) and not (rest and rest[0][1] == count) else None


_TORCH_FORMATS = {"torch", "safetensors"}


def _torch_layouts(items: list) -> None:
    """A PyTorch ``weights`` leaf holds PyTorch's layout, not tf-slim's (``names.WEIGHT_LEAVES``); so does a matrix
    whose leaf is a weight with a word beside it (bayesian-torch's ``mu_weight`` and ``rho_weight``, torchbnn's
    ``weight_mu``, ``weight_log_sigma``: the mean and spread of ``F.linear``'s weight, [out, in])."""
    for it in items:
        leaf = re.split(r"[./]", strip_name(it.ref.name))[-1].lower()
        if it.layout == "kernel" and leaf == "weights" or \
                it.layout is None and len(it.shape) >= 2 and _SIDE_WEIGHT.search(leaf):
            it.layout = "weight"


_SIDE_WEIGHT = re.compile(r"^(?:[a-z]+_)+weight$|^weight(?:_[a-z]+)+$")  # `mu_weight`, `weight_log_sigma`


def _w_layouts(c_items: list, m_items: list) -> None:
    """TF code outside Keras names a layer's weight ``w`` (Sonnet, OpenAI's GPT-2) and stores it as TF computes,
    ``x @ w``: ``[..., in, out]``, a Keras kernel's layout. A model's ``weight`` holds those values either as
    ``nn.Linear``'s ``[out, in]`` or as Hugging Face's ``Conv1D`` ``[in, out]`` (GPT-2, PyTorch and TF): the model's
    weight shapes say which, by the ``w`` values of two different axes found among them as they are or transposed
    (a 4-D ``w``, ``tf.nn.conv2d``'s ``[h, w, in, out]`` filter: as it is or as PyTorch's ``[out, in, h, w]``).
    Where shapes say both, they stay as they are (``names.WEIGHT_LEAVES``). Where no ``w`` has two different axes
    (square matrices only) they are TF's ``x @ w``, a kernel: ``Conv1D`` is GPT-2's, whose fused ``c_attn`` and
    ``c_fc`` are never square, and a plain PyTorch model's matrices are ``nn.Linear``'s."""
    def is_w(it: _Item) -> bool:
        return it.layout == "weight" and _leaf_word(strip_name(it.ref.name)) == "w"

    w_c, w_m = [c for c in c_items if is_w(c)], [m for m in m_items if is_w(m)]
    if not w_c and not w_m:
        return
    shapes = {tuple(d for d in m.shape if d != 1) for m in m_items if m.layout == "weight" and not is_w(m)}
    if shapes:
        same = flipped = 0
        for c in w_c:
            real = tuple(d for d in c.shape if d != 1)
            if len(real) == 2 and real[0] != real[1]:
                same += real in shapes
                flipped += real[::-1] in shapes
            elif len(real) == 4 and real[2] != real[3]:  # a filter: tf.nn.conv2d's [h, w, in, out], or OIHW
                same += real in shapes
                flipped += (real[3], real[2], real[0], real[1]) in shapes
        if flipped < same or flipped == same > 0:
            return
    for it in itertools.chain(w_c, w_m):
        it.layout = "kernel"


# Fused recurrent layers. PyTorch: ``<module>.weight_ih_l<k>[_reverse]`` [G*h, in], ``weight_hh_l<k>`` [G*h, h],
# ``bias_ih_l<k>``, ``bias_hh_l<k>``; Keras: ``<layer>/<cell>/kernel`` [in, G*h], ``recurrent_kernel`` [h, G*h],
# ``bias`` (``.weights.h5``: ``<layer>/cell/vars/0..2``), G gate blocks along the long axis.
# (a cell, ``nn.LSTMCell``, names its weights without the layer number: ``weight_ih``)
_TORCH_RNN = re.compile(r"^(?P<owner>.+)[./](?P<role>weight|bias)_(?P<kind>ih|hh)(?:_l(?P<k>\d+)(?P<rev>_reverse)?)?$")
_KERAS_RNN = re.compile(r"^(?P<owner>.+?)/(?:[a-z_]*cell(?:_\d+)?/)(?P<role>kernel|recurrent_kernel|bias)$")
_KERAS_RNN_VARS = re.compile(r"^(?P<owner>.+)/cell/vars/(?P<i>[0-2])$")
# Keras 2 HDF5 names a recurrent layer's weights without a cell; Sonnet 2's LSTM and GRU keep ``w_i``, ``w_h``
# (input and recurrent kernels, [in, G*h] and [h, G*h]) and ``b``, an LSTM's gates in PyTorch's order (i, f, g, o)
_KERAS_RNN_PLAIN = re.compile(r"^(?P<owner>.+)/(?P<role>kernel|recurrent_kernel|bias|_?w_i|_?w_h|b)$")
_PLAIN_RNN_ROLES = {"kernel": "kernel", "w_i": "kernel", "recurrent_kernel": "recurrent", "w_h": "recurrent",
                    "bias": "bias", "b": "bias"}
# Gate blocks by gate count, in each framework's order: equal orders make the kernel a plain transpose of the
# weight (Keras LSTM i,f,c,o = PyTorch i,f,g,o; SimpleRNN one block); GRU's are z,r,h in Keras and r,z,n in
# PyTorch (and Keras' reset_after bias is [2, 3h]): the same values in another block order, no transform of ours.
_SAME_GATE_ORDER = {4: "LSTM gates i,f,c,o (Keras) = i,f,g,o (PyTorch)", 1: "one gate block (SimpleRNN = nn.RNN)"}


def _output_projections(items: list) -> None:
    """An output projection kept beside the token table (``names.OUTPUT_PROJECTION_LEAVES``) is a Dense kernel."""
    for it in items:
        if it.layout is None and len(it.shape) == 2 and it.tokens and it.tokens[-1] in OUTPUT_PROJECTION_LEAVES:
            it.layout = "kernel"


def _rnn_owner(name: str) -> str:
    name = name[len("layers/"):] if name.startswith("layers/") else name
    return " ".join(canonical(name + "/x")[0][:-1])


_KERAS_DIRECTION = re.compile(r"^(?P<base>.+)/(?P<way>forward|backward)_[a-z0-9_]+$")  # Bidirectional's layers


def _keras_rnn_owner(owner: str) -> tuple[str, bool]:
    """(the owner, whether it is one direction of a Bidirectional layer): Keras' ``bidirectional/forward_layer``
    (``backward_layer``; tf-keras ``forward_lstm``) are PyTorch's one bidirectional module, its ``_reverse``
    weights the backward layer's."""
    found = _KERAS_DIRECTION.match(owner)
    if found is None:
        return _rnn_owner(owner), False
    return _rnn_owner(found["base"]) + (" reverse" if found["way"] == "backward" else ""), True


def _rnn_roles(items: list) -> dict[str, dict[str, _Item]]:
    """{owner: {role: item}}; roles ``kernel``/``recurrent``/``bias`` (Keras) or ``ih``/``hh``/``bias_ih``/
    ``bias_hh`` (PyTorch, one layer of a stack, one direction a group: ``<owner> reverse``); ``bidi`` marks the
    directions of a bidirectional layer (a Keras ``Bidirectional``'s, a PyTorch ``bidirectional=True`` one's)."""
    out: dict[str, dict[str, _Item]] = defaultdict(dict)
    plain_owners: set[str] = set()
    for it in items:
        if "h_l" not in it.ref.name and "cell" not in it.ref.name and not it.ref.name.endswith(("_ih", "_hh")):
            if "recurrent_kernel" in it.name or it.name.endswith(("/_w_h", "/w_h")):  # (the cheap test again: below)
                plain_owners.add(it.name[:it.name.rfind("/")])
            continue  # none of the patterns can match (most names: a cheap test before strip_name)
        name = strip_name(it.ref.name)
        found = _TORCH_RNN.match(name)
        if found:
            role = ("" if found["role"] == "weight" else "bias_") + found["kind"]
            # stacked layers: layer k is owned like Keras' auto-numbered k-th layer of that name (``lstm``,
            # ``lstm_1``, ...); a bidirectional one's backward direction is ``<owner> reverse``
            owner = _rnn_owner(found["owner"]) + ("" if found["k"] in ("0", None) else " " + found["k"])
            if found["rev"]:
                out[owner]["bidi"] = out[owner + " reverse"]["bidi"] = it
                owner += " reverse"
            out[owner][role] = it
            continue
        found = _KERAS_RNN.match(name) or _KERAS_RNN_VARS.match(name)
        if found:
            owner, bidi = _keras_rnn_owner(found["owner"])
            role = {"kernel": "kernel", "recurrent_kernel": "recurrent", "bias": "bias"}[found["role"]] \
                if "role" in found.re.groupindex else ("kernel", "recurrent", "bias")[int(found["i"])]
            out[owner][role] = it
            if bidi:
                out[owner]["bidi"] = it
    # Keras 2 HDF5 names a recurrent layer's weights without a cell (``lstm_3/recurrent_kernel``; Sonnet's
    # ``core/_w_h``): a layer's kernel and bias are recurrent ones only beside a recurrent kernel
    plain: dict[str, dict[str, _Item]] = defaultdict(dict)
    for it in items if plain_owners else ():
        found = _KERAS_RNN_PLAIN.match(it.name)
        if found and found["owner"] in plain_owners:
            plain[_rnn_owner(found["owner"])][_PLAIN_RNN_ROLES[found["role"].lstrip("_")]] = it
    for owner, group in plain.items():
        if owner not in out:
            out[owner] = group
    return out


def _fused_recurrent(state: _State, c_items, m_items) -> None:
    """A Keras recurrent layer against a PyTorch one of the same name (canonical tokens): gate count G from the
    recurrent weight (``[h, G*h]``), then by role: kernel <-> ``weight_ih_l0`` and recurrent kernel <->
    ``weight_hh_l0`` are transposes when both frameworks order the gate blocks alike (``_SAME_GATE_ORDER``). Keras
    keeps one bias, PyTorch two that it adds: a Keras file's bias goes into ``b_ih`` and ``b_hh`` is zero
    (``state.zeros``); the other way no value is Keras', and the biases are listed ambiguous with the reason, as GRU
    weights are (block order differs). Layer k of a stacked PyTorch layer (``weight_ih_l1``) is Keras'
    k-th layer of that name (``lstm_1``); a bidirectional layer's directions pair direction for direction."""
    ms = _rnn_roles(m_items)
    cs = _rnn_roles(c_items) if ms else {}
    matched: list[tuple[dict | None, dict]] = [(cs.get(owner) or _rnn_by_suffix(owner, cs, ms), mg)
                                               for owner, mg in ms.items()]
    in_order = ""
    if not any(cg for cg, _ in matched):
        matched = _rnn_stack_in_order(cs, ms)
        in_order = "; no recurrent layer's name is the other side's: the two stacks pair layer by layer in order"
        if not matched and len(cs) == len(ms) == 1 and not state.anchored:
            # one recurrent layer a side, and nothing loads by its name: the two models are foreign to each other
            # throughout (a port), and the one recurrent layer is the other's (beside layers that load by name it
            # would be a renamed layer as likely as a new one)
            matched = [(next(iter(cs.values())), next(iter(ms.values())))]
            in_order = "; the one recurrent layer of each side, and no value loads by its name"
        elif not matched and len(cs) == len(ms) and not state.anchored:
            # several, named apart (a transducer's `encoder.lstm` and `predictor.lstm` against Keras' `lstm`,
            # `lstm_1`), in such a port: each pairs with the one layer of the other side its input and hidden sizes
            # fit, where every layer fits exactly one
            fits = [(cg, [mg for mg in ms.values() if _rnn_fits(cg, mg)]) for cg in cs.values()]
            if all(len(found) == 1 for _, found in fits) and len({id(found[0]) for _, found in fits}) == len(fits):
                matched = [(cg, found[0]) for cg, found in fits]
                in_order = ("; no recurrent layer's name is the other side's, and each fits one layer of the other "
                            "side alone (its input and hidden sizes)")
    matched += _one_bidirectional(state, cs, ms, matched)
    for cg, mg in matched:
        if not cg or not _rnn_fits(cg, mg):
            continue  # (nor is one direction of a bidirectional layer a unidirectional layer)
        keras_side, torch_side = (cg, mg) if "recurrent" in cg else (mg, cg)
        rec = keras_side["recurrent"]
        if len(rec.shape) != 2 or rec.shape[0] == 0 or rec.shape[1] % rec.shape[0]:
            continue
        gates = rec.shape[1] // rec.shape[0]
        order = _SAME_GATE_ORDER.get(gates)
        for kr, tr in (("kernel", "ih"), ("recurrent", "hh")):
            c, m = (keras_side[kr], torch_side[tr]) if keras_side is cg else (torch_side[tr], keras_side[kr])
            if c.busy or m.busy or c.dtype != m.dtype and not state.casts:
                continue
            if order:
                state.add(c, m, "transpose", "conventions", functools.partial(
                    _rnn_evidence, c, m, f"fused recurrent weights, {gates} gate blocks; {order}{in_order}"))
            else:
                state.set_ambiguous(m, [c], f"`{c.name}` holds the same {gates} gate blocks in another order "
                                    "(GRU: Keras z,r,h; PyTorch r,z,n): a block reorder, not a transpose")
        biases = [torch_side[b] for b in ("bias_ih", "bias_hh") if b in torch_side]
        if order and keras_side is cg and "bias" in cg and len(biases) == 2 and not any(b.busy for b in biases) \
                and not cg["bias"].busy and cg["bias"].shape == biases[0].shape == biases[1].shape \
                and (cg["bias"].dtype == biases[0].dtype or state.casts):
            # PyTorch adds its two biases where Keras keeps their sum: the sum goes into b_ih, and b_hh is zero
            # (as the published converters do; the outputs agree exactly)
            kb = cg["bias"]
            state.add(kb, biases[0], None, "conventions",
                      f"fused recurrent biases{in_order}: PyTorch adds b_ih and b_hh, Keras keeps their sum, which is "
                      f"`{biases[0].name}` once `{biases[1].name}` is zero; shape {list(kb.shape)} agrees")
            biases[1].busy = True
            state.zeros.append(biases[1])
            continue
        if "bias" in keras_side and biases:
            kb = keras_side["bias"]
            reason = (f"Keras keeps one recurrent bias, PyTorch two that are summed (b_ih + b_hh): `{kb.name}` is "
                      "no single value of either (load it into b_ih and zero b_hh)" if order else
                      f"GRU biases differ in gate order and split (Keras {list(kb.shape)}): no single value pairs")
            for m in ([kb] if keras_side is mg else biases):
                if not m.busy:
                    state.set_ambiguous(m, biases if keras_side is mg else [kb], reason)


def _rnn_fits(a: dict, b: dict) -> bool:
    """Are a Keras recurrent layer and a PyTorch one (either order) of one layer's sizes: Keras' ``[in, G*h]``
    kernel and ``[h, G*h]`` recurrent kernel are ``weight_ih`` and ``weight_hh`` transposed, one direction or both
    alike?"""
    if ("bidi" in a) != ("bidi" in b) or ("recurrent" in a) == ("recurrent" in b):
        return False
    keras, torch = (a, b) if "recurrent" in a else (b, a)
    return all(r in keras and t in torch and keras[r].shape[::-1] == torch[t].shape
               for r, t in (("kernel", "ih"), ("recurrent", "hh")))


def _one_bidirectional(state: _State, cs: dict, ms: dict, matched: list) -> list[tuple[dict, dict]]:
    """The one bidirectional layer of each side that no name pairs (a Keras ``Bidirectional`` and a PyTorch
    ``bidirectional=True`` module), while nothing loads by its name: its two directions, forward with forward and
    backward with ``_reverse``."""
    paired = {id(g) for pair in matched if pair[0] for g in pair}
    bases = []
    for groups in (cs, ms):
        found = {o for o, g in groups.items() if "bidi" in g and id(g) not in paired and not o.endswith(" reverse")}
        bases.append(found if all(o + " reverse" in groups and id(groups[o + " reverse"]) not in paired
                                  for o in found) else set())
    if state.anchored or len(bases[0]) != 1 or len(bases[1]) != 1:
        return []
    (bc,), (bm,) = bases
    return [(cs[bc], ms[bm]), (cs[bc + " reverse"], ms[bm + " reverse"])]


def _separable_split(state: _State, c_items: list, m_items: list) -> None:
    """A Keras ``SeparableConv`` layer keeps its depthwise kernel, pointwise kernel and bias as one layer's three
    values by position (``mid/vars/0..2``: [kh, kw, C, m], [1, 1, C*m, out], [out]); PyTorch writes it as two
    convolutions under the layer's name with a word after it (``mid_dw`` and ``mid_pw``, or ``mid.depthwise`` and
    ``mid.pointwise``), the bias with the pointwise one. Where exactly two free model layers are so named, one
    taking the depthwise kernel and the other the pointwise kernel and the bias, they take the three values."""
    layers_c: dict[tuple, dict[str, _Item]] = defaultdict(dict)
    for c in c_items:
        if not c.busy and len(c.key) > 1 and c.key[-1][:1] == "#":
            layers_c[c.key[:-1]][c.key[-1].split("/")[0]] = c
    separable = {layer: vs for layer, vs in layers_c.items() if set(vs) == {"#0", "#1", "#2"} and
                 len(vs["#0"].shape) == len(vs["#1"].shape) == 4 and vs["#1"].shape[:2] == (1, 1) and
                 vs["#1"].shape[2] == vs["#0"].shape[2] * vs["#0"].shape[3] and vs["#2"].shape == vs["#1"].shape[3:]}
    if not separable:
        return
    layers_m: dict[tuple, list[_Item]] = defaultdict(list)
    for m in m_items:
        if not m.busy and len(m.key) > 1:
            layers_m[m.key[:-1]].append(m)
    for layer, vs in separable.items():
        named = [k for k in layers_m if k[:-1] == layer] + [
            k for k in layers_m if len(k) == len(layer) and k[:-1] == layer[:-1] and k[-1] != layer[-1] and
            k[-1].startswith(layer[-1]) and k[-1][len(layer[-1]):].isalpha()]
        if len(named) != 2:
            continue
        fits = []
        for dw_layer, pw_layer in (named, named[::-1]):
            dw = [m for m in layers_m[dw_layer] if state.compatible(vs["#0"], m)[0] and len(m.shape) == 4]
            pw = [m for m in layers_m[pw_layer] if state.compatible(vs["#1"], m)[0] and len(m.shape) == 4]
            bias = [m for m in layers_m[pw_layer] if len(m.shape) == 1 and state.compatible(vs["#2"], m)[0]]
            if len(layers_m[dw_layer]) == len(dw) == 1 and len(layers_m[pw_layer]) == len(pw) + len(bias) == 2 and \
                    len(pw) == len(bias) == 1:
                fits.append((dw[0], pw[0], bias[0]))
        if len(fits) != 1:
            continue
        for c, m in zip((vs["#0"], vs["#1"], vs["#2"]), fits[0], strict=True):
            state.add(c, m, state.compatible(c, m)[1], "conventions",
                      f"a separable convolution (`{_owner(c.ref.name)}`: depthwise kernel, pointwise kernel, bias) "
                      f"is PyTorch's two convolutions named after it; `{m.name}` takes `{c.name}`, shape "
                      f"{list(c.shape)} -> {list(m.shape)}")


def _rnn_stack_in_order(cs: dict, ms: dict) -> list[tuple[dict | None, dict]]:
    """Where no recurrent layer of one side has a name of the other's: a stack on each side (two layers or more,
    every recurrent layer of its side, one auto-numbered family on the Keras side: ``lstm_3``, ``lstm_4``; one
    stacked PyTorch module: ``encoder`` layers 0, 1) pairs layer by layer in order, as the stack computes. A single
    renamed layer is not paired here (renamed, or replaced?)."""
    def family(owner: str) -> tuple[str, int]:
        tokens = owner.split(" ")
        return (" ".join(tokens[:-1]), int(tokens[-1])) if tokens[-1].isdigit() else (owner, 0)

    sides = []
    for groups in (cs, ms):
        keyed = sorted((family(owner), group) for owner, group in groups.items())
        if len(keyed) < 2 or len({name for (name, _), _ in keyed}) != 1:
            return []
        sides.append([group for _, group in keyed])
    return list(zip(*sides, strict=True)) if len(sides[0]) == len(sides[1]) else []


def _rnn_by_suffix(owner: str, cs: dict, ms: dict) -> dict | None:
    """The other side's recurrent layer whose name ends in this one's, or this one's in it, at a token boundary
    (``sequential lstm 1`` / ``lstm 1``), or both under one wrapper scope each (``model lstm 1``, Lightning's
    ``model.``): the one such layer, and only where no other layer of this side has that reading too."""
    def alike(a: str, b: str) -> bool:
        ta, tb = a.split(" "), b.split(" ")
        n = 0
        while n < min(len(ta), len(tb)) and ta[-1 - n] == tb[-1 - n]:
            n += 1
        # (the shared end names the layer, not only its number or direction: ``lstm 1``, never ``1`` alone)
        return n >= min(len(ta), len(tb)) - 1 and any(not t.isdigit() and t != "reverse" for t in ta[len(ta) - n:])

    found = [o for o in cs if alike(o, owner)]
    if len(found) != 1 or sum(alike(found[0], o) or found[0] == o for o in ms) != 1:
        return None
    return cs[found[0]]


def _rnn_evidence(c: _Item, m: _Item, why: str) -> str:
    return f"{why}: `{m.name}` is `{c.name}` transposed; shape {list(c.shape)} -> {list(m.shape)}"


def _loader_prefix(state: _State, c_items: list) -> None:
    """A loader that adds or strips a prefix itself (Hugging Face's base-model prefix: ``encoder.layer.2`` loads
    into ``roberta.encoder.layer.2``) pairs names that differ by it. When every exact pair whose names differ does
    so by one such prefix, the checkpoint's names are read under it, as the loader reads them: the later stages
    then see one family of layers on both sides (a checkpoint layer left over among equal ones puts the pairs by
    number in doubt, ``_numbering``), not two unrelated ones."""
    added: set[tuple] = set()
    removed: set[tuple] = set()
    for proof in state.pairs.values():
        ck, mk = proof.checkpoint.key, proof.model.key
        if proof.stage != "exact" or ck == mk:
            continue
        if len(mk) > len(ck) and mk[len(mk) - len(ck):] == ck:
            added.add(mk[:len(mk) - len(ck)])
        elif len(ck) > len(mk) and ck[len(ck) - len(mk):] == mk:
            removed.add(ck[:len(ck) - len(mk)])
        else:
            return  # exact pairs that differ otherwise: no one prefix says how the loader reads names
    if len(added) + len(removed) != 1:
        return
    prefix = next(iter(added or removed))
    if added and any(c.key[:len(prefix)] == prefix for c in c_items):
        return  # some checkpoint names have it already: the loader reads those as they are
    for c in c_items:
        before = len(c.tokens)
        if added:
            c.tokens = prefix + c.tokens
            c.renamed = (before, before)  # (see Item.renamed: align spells the rule from the name as written)
        elif c.key[:len(prefix)] == prefix:
            c.tokens = c.tokens[len(prefix):]
            c.renamed = (before, before - len(prefix))
        else:
            continue
        c.rekey()
    rule = ("scope", (), prefix) if added else ("scope", prefix, ())
    hypothesis = Hypothesis("exact", rule, 0)
    for key, proof in list(state.pairs.items()):
        if proof.stage == "exact" and proof.checkpoint.key == proof.model.key and proof.checkpoint.renamed:
            state.pairs[key] = hypothesis.proofs[key] = proof._replace(hypothesis=hypothesis)
    hypothesis.support = len(hypothesis.proofs)
    state.hypotheses.append(hypothesis)


_TF_LEAVES = ("/kernel", "/gamma", "/beta", "/moving_mean", "/moving_variance")
_FLAT_RNN = re.compile(r"^(?P<layer>.+)_(?P<role>[wb]|weight|bias)_(?P<kind>ih|hh)$", re.IGNORECASE)


def _flat_leaves(items: list) -> bool:
    """Weights saved under flat names (NumPy files of hand-written models: ``fc_w``, ``fc_b``, ``enc_emb``) glue the
    leaf to the layer with ``_``. Where no name of a side has a path separator, a last ``_``-word that is a leaf
    word of ``names`` (``w``, ``bias``, ``kernel``, ``beta``, ...) is read as the leaf: ``fc_w`` is ``fc/w``, and a
    recurrent layer's ``enc_w_ih`` is ``enc/weight_ih``; other names stay whole. Returns whether some names were a
    recurrent layer's."""
    if not items or any("/" in it.name or "." in it.name for it in items):
        return False
    rnn = False
    for it in items:
        found = _FLAT_RNN.match(it.name)
        if found:  # a recurrent layer's weights spelled as PyTorch's (``enc_w_ih``: ``enc.weight_ih``)
            role = "weight" if found["role"].lower() in ("w", "weight") else "bias"
            it.tokens, it.leaf = canonical(f"{found['layer']}/{role}_{found['kind'].lower()}")
            it.layout = it.leaf
            it.rekey()
            rnn = True
            continue
        layer, _, leaf = it.name.rpartition("_")
        if layer and (leaf.lower() in WEIGHT_LEAVES or leaf.lower() in LEAF_SYNONYMS or leaf.lower() == "bias"):
            it.tokens, it.leaf = canonical(f"{layer}/{leaf}")
            it.layout = it.leaf
            it.rekey()
    return rnn


def _single_layer_rnns(items: list) -> None:
    """Against flat recurrent names (``enc_w_ih``, read ``enc.weight_ih``), a one-layer unidirectional PyTorch
    recurrent module's ``weight_ih_l0`` is its ``weight_ih``, as an ``nn.GRUCell``'s: one role, one value."""
    layers: dict[str, set[str]] = defaultdict(set)
    found = [(it, _TORCH_RNN.match(strip_name(it.ref.name))) for it in items if "h_l" in it.ref.name]
    for _, m in found:
        if m:
            layers[m["owner"]].add(m["k"] + (m["rev"] or ""))
    for it, m in found:
        if m and layers[m["owner"]] == {"0"}:
            it.tokens = it.tokens[:-1] + (m["role"] + m["kind"],)
            it.rekey()


def _glued_biases(items: list) -> None:
    """Hand-written TF2 modules name a layer's raw variables after the layer, the roles glued on with ``_``
    (``net/fusion`` and ``net/fusion_b``, ``decoder/mix`` and ``decoder/mix_bias``, ``net/trunk_w`` and
    ``net/trunk_b``): a vector ``X_b`` beside a matrix ``X`` (or ``X_w``) with its length as the first or last axis
    is the bias of layer ``X``, and the matrix its kernel (where the names of a side have paths; flat names are
    ``_flat_leaves``'); beside ``X_weight``, PyTorch's spelling (``in_proj_bias``), the matrix is its weight."""
    # (a name the leaf tables read already, `in_proj_bias`, bayesian-torch's `mu_bias`, says its own role)
    glued = [(it, name) for it in items
             if len(it.shape) == 1 and (name := strip_name(it.name)).endswith(("_b", "_bias")) and
             it.tokens[-1:] != ("bias",)]
    if not glued or not any("/" in it.name or "." in it.name for it in items):
        return
    by_name = {strip_name(it.name): it for it in items}
    for it, name in glued:
        base = name[:-2] if name.endswith("_b") else name[:-5]
        owner = None
        for role in ("", "_w", "_weight", "_kernel") if base else ():
            owner = by_name.get(base + role)
            if owner is not None and (role or owner.leaf is None) and len(owner.shape) >= 2 and \
                    it.shape[0] in (owner.shape[0], owner.shape[-1]):
                break
            owner = None
        if owner is None:
            continue
        sep = "/" if "/" in name else "."
        # (``_weight`` is PyTorch's word and layout: nn.MultiheadAttention's ``in_proj_weight`` [3E, E])
        for item, leaf in ((it, "bias"), (owner, "weight" if role == "_weight" else "kernel")):
            item.tokens, item.leaf = canonical(f"{base}{sep}{leaf}")
            item.layout = item.leaf
            item.rekey()


def _torchvision_names(c_items: list, m_items: list) -> None:
    """A side that names a classic ImageNet CNN in another naming than torchvision's (a ResNet's ``res2a_branch2a``
    as Caffe's, ``conv2_block1_1_conv`` as keras.applications'; keras.applications' DenseNet and VGG:
    ``names.torchvision_paths``) against one that does not is read in torchvision's names (``layer1.0.conv1``,
    ``features.denseblock1.denselayer1.norm1``, ``features.5``): where both say the same layer, the names agree. The
    other side speaks none of these namings (two sides so named agree as they are)."""
    read = [torchvision_paths({t for it in items for t in it.tokens}) for items in (c_items, m_items)]
    if bool(read[0]) == bool(read[1]):
        return
    items, found = (c_items, read[0]) if read[0] else (m_items, read[1])
    assert found is not None
    paths = found[1]
    for it in items:
        tokens, out, k = it.tokens, list[str](), 0
        while k < len(tokens):  # (two tokens in a row first: DenseNet's `conv1/conv`)
            path = paths.get(tokens[k:k + 2]) if k + 1 < len(tokens) else None
            if path is not None:
                out.extend(path)
                k += 2
                continue
            path = paths.get(tokens[k:k + 1])
            out.extend(path if path is not None else tokens[k:k + 1])
            k += 1
        if tuple(out) != tokens:
            it.tokens = tuple(out)
            it.rekey()


def _speaks_tf(items: list) -> bool:
    """Does a side name its values in TF's vocabulary (``kernel``, ``gamma``, ``beta``, ``moving_mean``)?"""
    return any(strip_name(it.name).endswith(_TF_LEAVES) for it in items)


def _own_vocabulary(c_items: list, m_items: list) -> None:
    """``beta`` is PyTorch's ``bias`` of a norm, but where both sides speak TF's vocabulary (``kernel``, ``gamma``,
    ``beta``, ``moving_mean``) a ``beta`` is a norm's and a ``bias`` a kernel's: two roles, never one another
    (a norm's beta next to a Dense's bias of its width, after a layer was inserted in front)."""
    for it in itertools.chain(c_items, m_items):
        if it.tokens and it.tokens[-1] == "bias" and strip_name(it.name).lower().endswith("beta"):
            it.tokens = it.tokens[:-1] + ("beta",)
            it.rekey()


_PROJECTION_WORDS = frozenset({"proj", "projs", "projection", "projections", "w", "weight", "weights"})


def _projection(name: str) -> bool:
    """Does a raw value's own name (numbers aside) call it a projection (``emb_projs.0``, ``proj_W``)?"""
    own = [s for s in (x.strip("_") for x in re.split(r"[/.:]", strip_name(name))) if s and not s.isdigit()]
    return bool(own) and bool(set(re.split(r"_+", _CAMEL.sub("_", own[-1]).lower())) & _PROJECTION_WORDS)


def _ema_values(items: list) -> None:
    """Sonnet's ``snt.ExponentialMovingAverage`` keeps the biased ``hidden`` value, the step ``counter`` and the
    debiased ``average``, which is its value (``.value``): a BatchNorm's ``moving_mean/average`` is the moving mean
    other conventions store as the norm's own statistic (``running_mean``). Where a side keeps such averages (an
    ``average`` with a ``hidden`` beside it), the ``average`` is read as its owner's value, in the owner's layer;
    ``hidden`` and ``counter`` stay the module's own state."""
    owners = {strip_name(it.name)[:-len("/hidden")] for it in items if it.tokens and it.tokens[-1] == "hidden"}
    for it in items:
        if it.tokens and it.tokens[-1] == "average" and (owner := strip_name(it.name)[:-len("/average")]) in owners:
            it.tokens, it.leaf = canonical(owner)
            it.layout = it.leaf
            it.rekey()
            it.layer = _layer_path(it).rpartition("/")[0]


def _natural(name: str) -> list:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


def _positional_tokens(name: str, counts: dict[str, int] | None = None, matrix: bool = True, path: str = ""
                       ) -> tuple[str, ...] | None:
    found = _POSITIONAL.match(name)
    if not found:
        return None
    layer = found["layer"]
    bare = layer[len("layers/"):] if layer.startswith("layers/") else layer
    kind = _raw_layer(path) if path else layer  # the class-named path says what the layer is
    return canonical(bare + "/x")[0][:-1] + (_position(int(found["i"]), (counts or {}).get(layer), matrix, kind),)


_NORMS = re.compile(r"(^|/)(batch|layer|group|unit)_normalization(_\d+)?$")


def _position(i: int, count: int | None, matrix: bool, layer: str = "") -> str:
    """A variable's key by position: a kernel is the i-th variable of its layer whatever follows it (a conv bias
    on one side only); a vector is the i-th of *n*, so a norm without scale (3 variables: beta, mean, variance)
    never lends beta to a norm's gamma."""
    if not matrix and count == 1 and _NORMS.search(layer):  # scale or shift only: which one is in no file
        return f"#{i}/1 of {layer}"
    return f"#{i}" if matrix or count is None else f"#{i}/{count}"


def _positional(c_items: list, m_items: list) -> None:
    """Keras 3 ``.weights.h5`` names a layer's variables by position (``layers/dense/vars/0``): the i-th variable
    the layer created. Both sides are keyed the same way, ``<layer tokens> #i`` (``#i/n`` for a vector: see
    ``_position``): the checkpoint's from its names, the model's from each layer's variables in creation order.
    The value layout stays Keras' (a rank >= 2 ``vars/0`` is a kernel, unless the path names an Embedding layer:
    tables have one layout in every framework) and the model's own leaf class.

    Such a file names each layer twice: by its path in the saved object (the key: ``layers/conv2d_3``, what Keras
    loads by) and by the layer's own name (``full_name``: ``block_2_expand``). The one under which more model
    variables find their name is used (a model rebuilt with fresh auto names matches the paths; one that keeps
    its layer names matches the owners)."""
    bases = []
    counts_m: Counter = Counter()
    for m in sorted(m_items, key=lambda m: m.order):
        if not m.shape:  # a counter (num_batches_tracked) is no variable Keras would have
            continue
        base = m.tokens if m.leaf else m.tokens[:-1]
        bases.append((m, base, counts_m[base]))
        counts_m[base] += 1
    for m, base, i in bases:
        m.layout = m.leaf
        m.tokens = base + (_position(i, counts_m[base], _is_matrix(m)),)
        m.leaf = None
        m.rekey()
    model_keys = {m.key for m in m_items}
    # a name explains a model key when one ends the other (a wrapper scope on either side: ``module.conv3``)
    model_tails = {key[i:] for key in model_keys for i in range(len(key) - 1)}

    def counted(names: list[str]) -> dict[str, int]:
        return Counter(found["layer"] for found in map(_POSITIONAL.match, names) if found)

    def explained(names: list[str]) -> int:
        counts = counted(names)
        found = 0
        for n, c in zip(names, c_items, strict=True):
            tokens = _positional_tokens(n, counts, _is_matrix(c), c.ref.name)
            found += tokens is not None and (tokens in model_tails or
                                             any(tokens[i:] in model_keys for i in range(1, len(tokens) - 1)))
        return found

    keys = [c.ref.name for c in c_items]
    owners = [c.ref.full_name or c.ref.name for c in c_items]
    # owners name entries only where no two share one (a layer's own name repeats in every block: ``key/vars/0``).
    # Where some do, a nested layer's own name lacks its parents' (``conv1D_0`` in every ``residual_block_k``)
    # while a top-level layer's is the model's name for it (``head``): the mixed reading names the entries of
    # top-level layers by their owners, the nested ones by their paths.
    names = keys
    if len(set(owners)) == len(owners):
        if explained(owners) > explained(keys):
            names = owners
    else:
        mixed = [o if k.count("/") <= 3 and k.startswith("layers/") else k for o, k in zip(owners, keys, strict=True)]
        if len(set(mixed)) == len(mixed) and explained(mixed) > explained(keys):
            names = mixed
    counts = counted(names)
    kernels = {_raw_layer(c.ref.name): c.shape for c in c_items if _var_index(c.ref.name) == 0}
    square: list[tuple[_Item, tuple]] = []  # (square matrix of a user's class, (its class, its position))
    rectangular: set[tuple] = set()  # (a user's class, a position) that holds a kernel that is not square
    alike: dict[tuple, list[_Item]] = defaultdict(list)  # (a user's layer, a shape) -> its vectors of that shape
    for c, name in zip(c_items, names, strict=True):
        c.name = name
        tokens = _positional_tokens(name, counts, _is_matrix(c), c.ref.name)
        if tokens is not None:
            c.tokens = tokens
            # the path names the class (``embedding``, keras-hub's ``reversible_embedding``: its vars/0 is the table)
            kind = _raw_layer(c.ref.name).rsplit("/", 1)[-1]
            table = "embedding" in kind and _var_index(c.ref.name) == 0 and \
                len(c.shape) == 2  # a table (a patch embedding is a conv kernel)
            c.layout = ("embedding" if table else "kernel") if _is_matrix(c) and not _heads_bias(
                c, kernels.get(_raw_layer(c.ref.name)) if _var_index(c.ref.name) else None) else None
            if c.layout == "kernel" and len(c.shape) == 2 and _raw_layer(c.ref.name).count("/") == 1 and \
                    _NUMBER_SUFFIX.sub("", kind) not in _KERAS_KERNEL_CLASSES:
                # a square matrix of a top-level layer of the user's own class (its path is its class's name:
                # ``layers/positions``, a table of add_weight, or a kernel?): a kernel and its transpose fit alike,
                # and no name says which it is (a nested layer's path is its attribute's name, no class) ...
                place = (_NUMBER_SUFFIX.sub("", kind), _var_index(c.ref.name))
                if c.shape[0] == c.shape[1]:
                    c.layout = None
                    square.append((c, place))
                else:
                    rectangular.add(place)
            if not _is_matrix(c) and c.shape and _raw_layer(c.ref.name).count("/") == 1 and \
                    _NUMBER_SUFFIX.sub("", kind) not in _KERAS_KERNEL_CLASSES and not _NORMS.search(kind):
                alike[_raw_layer(c.ref.name), c.shape].append(c)
            c.leaf = None
            c.rekey()
    # Vectors of one shape in a layer of the user's own class (a CRF's start and end transitions) are ordered as
    # its author wrote it, which says nothing of another framework's module: no position pairs them there (a Keras
    # model's own layers, made by the same code, keep the file's order)
    if not any("keras3" in getattr(m.ref, "keys", {}) for m in m_items):
        for group in alike.values():
            for c in group if len(group) > 1 else ():
                c.tokens = c.tokens[:-1] + (c.tokens[-1] + "?",)
                c.rekey()
    for c, place in square:  # ... unless another layer of the class holds a kernel there that is not square
        if place in rectangular:  # (one class, one code: a bayesian dense's [6, 32] loc says its [32, 32] one's)
            c.layout = "kernel"


# Keras 3 layer classes (a top-level layer's path is its class's snake-case name) whose rank-2 variables are
# [in, out] kernels
_KERAS_KERNEL_CLASSES = frozenset({
    "dense", "einsum_dense", "conv1d", "conv2d", "conv3d", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose",
    "separable_conv1d", "separable_conv2d", "depthwise_conv1d", "depthwise_conv2d", "lstm", "gru", "simple_rnn",
    "conv_lstm1d", "conv_lstm2d", "conv_lstm3d", "bidirectional", "time_distributed", "multi_head_attention",
    "grouped_query_attention"})
_NUMBER_SUFFIX = re.compile(r"_\d+$")


def _heads_bias(it: _Item, kernel: tuple[int, ...] | None) -> bool:
    """A bias of a projection split into heads (``names.heads_layout``): [heads, head], the output axes of its
    layer's rank-3 kernel ([in, heads, head] or [heads, in, head]), created after it. A vector, though it has two
    real axes."""
    return kernel is not None and len(kernel) == 3 and len(it.shape) == 2 and \
        it.shape in (kernel[1:], (kernel[0], kernel[2]))


# (under one root attribute where the model was saved as a part of a checkpoint: ``tf.train.Checkpoint(model=m)``)
_LAYER_WITH_WEIGHTS = re.compile(r"^(?:[^/]+/)?layer_with_weights-(\d+)/([^/]+)$")


def _layers_with_weights(c_items: list, m_items: list) -> None:
    """tf-keras' TF-format checkpoints (``save_weights`` to a prefix, the default before Keras 3) name a model's
    variables by object path: ``layer_with_weights-N/kernel``, the attribute of the N-th layer that has weights,
    in ``model.layers`` order. A Keras model's spec gives that rank in its ``keras-h5`` key (the same order, as
    ``load_weights`` of an HDF5 file counts it; used only for such a model). Both sides are then keyed
    ``layerwithweights N <attribute>`` (``kernel``, ``depthwise_kernel``, ``moving_mean``: Keras' attribute names,
    the same in both Keras), so values pair by the rank their layer has on both sides and by what they are in it,
    never by shape alone. Only ranks whose layers hold the same attributes on both sides are read so; layers nested
    deeper (a model inside a model) keep their names."""
    ranks = {id(m): m.ref.keys["keras-h5"].split("/")[0] for m in m_items if "keras-h5" in getattr(m.ref, "keys", {})}
    found = {id(c): f for c in c_items if (f := _LAYER_WITH_WEIGHTS.match(c.name))}
    # a rank is read so only where both sides' layers of that rank hold the same attributes (a model nested in
    # the model is one layer with weights of another composition: its variables keep their names)
    attrs_m: dict[str, set] = defaultdict(set)
    for m in m_items:
        if id(m) in ranks:
            attrs_m[ranks[id(m)]].add(_leaf_word(strip_name(m.ref.name)).lower())
    attrs_c: dict[str, set] = defaultdict(set)
    for f in found.values():
        attrs_c[f[1]].add(f[2].lower())

    def attr(a: str, attrs: set) -> str:
        """Keras 3's DepthwiseConv2D calls tf-keras' ``depthwise_kernel`` ``kernel`` (a separable conv keeps both
        words: ``depthwise_kernel`` beside ``pointwise_kernel``)."""
        return "kernel" if a == "depthwise_kernel" and "pointwise_kernel" not in attrs else a

    def attrs_of(attrs: set) -> set:
        return {attr(a, attrs) for a in attrs}

    same = {rank for rank, attrs in attrs_c.items() if attrs_of(attrs_m.get(rank, set())) == attrs_of(attrs)}
    # a model rank the file lacks (a layer inserted) is read so too where it is one plain layer (each attribute
    # once), as its neighbours are: its kernel and bias then renumber together (trial12 M2: `head`'s bias moved
    # from rank 1 to 2 by the renumbering while its kernel, keyed by its name, was "a single layer renamed"). (Not
    # the file's ranks a model lacks: a model that wraps the saved one has fewer ranks, its layers nested deeper.)
    count_m = Counter(r for r in ranks.values())
    same |= {rank for rank, attrs in attrs_m.items()
             if rank not in attrs_c and len(attrs) == count_m[rank] and same}
    for m in m_items:
        rank = ranks.get(id(m))
        if rank in same:
            m.tokens = ("layerwithweights", rank, attr(_leaf_word(strip_name(m.ref.name)).lower(), attrs_m[rank]))
            m.rekey()
    for c in c_items:
        f = found.get(id(c))
        if f and f[1] in same:
            c.leaf = c.layout = canonical(f[2])[1]
            c.tokens = ("layerwithweights", f[1], attr(f[2].lower(), attrs_c[f[1]]))
            c.rekey()


def _leaf_word(name: str) -> str:
    """A name's last segment as written (a Keras attribute: ``kernel``, ``depthwise_kernel``, ``moving_mean``)."""
    return name[max(name.rfind("/"), name.rfind(".")) + 1:]


def _var_index(name: str) -> int | None:
    """The position of a Keras 3 file's variable in its layer (``layers/dense/vars/1``: 1)."""
    found = _POSITIONAL.match(name)
    return int(found["i"]) if found else None


def _raw_layer(name: str) -> str:
    found = _POSITIONAL.match(name)
    return (found["layer"] if found else name).lower()


def _pool(state: _State, c_items, m_items):
    return [c for c in c_items if not c.busy], [m for m in m_items if not m.busy]


def _equal_keys(state: _State, c_items, m_items, stage: str, evidence,
                hypothesis: Callable[[_Item], Hypothesis | None] | None = None) -> int:
    """Pair items whose keys are equal and unique on both sides; return how many were paired.
    ``c_items``/``m_items`` may include taken items; only free ones are considered. ``hypothesis(c)``: the
    explanation that renamed ``c``, recorded with its pair."""
    pool_c, pool_m = _pool(state, c_items, m_items)
    cs, ms = _unique_keys(pool_c), _unique_keys(pool_m)
    pairs = [(cs.get(key), m) for key, m in ms.items()]
    if any(m is None for m in ms.values()) or any(c is None for c in cs.values()):
        pairs += _shared_keys(pool_c, pool_m, cs, ms)
    paired = 0
    for c, m in pairs:
        if m is not None and c is not None:
            ok, transform = state.compatible(c, m)
            if ok:
                state.add(c, m, transform, stage, functools.partial(evidence, c, m, transform),
                          hypothesis(c) if hypothesis is not None else None)
                paired += 1
    return paired


def _shared_keys(pool_c: list[_Item], pool_m: list[_Item], cs: dict, ms: dict) -> list[tuple[_Item, _Item]]:
    """Where a key is shared within a side (one layer's ``w`` and ``scale`` both read as its weight), the items
    under it whose last word is spelled alike and alone on both sides: the names still tell them apart."""
    shared = {key for key, it in itertools.chain(cs.items(), ms.items()) if it is None and key in cs and key in ms}
    if not shared:
        return []

    def by_word(items):
        out: dict[tuple, list[_Item]] = defaultdict(list)
        for it in items:
            if it.key in shared:
                out[(it.key, _leaf_word(it.name))].append(it)
        return out

    words_c, words_m = by_word(pool_c), by_word(pool_m)
    return [(cands[0], words_m[word][0]) for word, cands in words_c.items()
            if len(cands) == 1 and len(words_m.get(word, ())) == 1]


def _unique_keys(items: list[_Item]) -> dict[tuple, _Item | None]:
    """key -> the one item with it, None when several share it (keys in order of first appearance)."""
    out: dict[tuple, _Item | None] = {it.key: it for it in items}
    if len(out) < len(items):  # some keys are shared
        for key, count in Counter(it.key for it in items).items():
            if count > 1:
                out[key] = None
    return out


_SEGMENTS = re.compile(r"([/.])")


def _prefix_split(name: str, k: int) -> tuple[str, bool]:
    """The start of ``name``, in its own spelling, that carries its first ``k`` canonical tokens, and whether
    those tokens end exactly at a path separator (``module.0``: yes after one token; ``dense_1``: no)."""
    parts = _SEGMENTS.split(strip_name(name))
    count = 0
    for i in range(0, len(parts), 2):
        count += len(_token(parts[i]))
        if count >= k:
            return "".join(parts[:i + 1]), count == k and i + 1 < len(parts)
    return strip_name(name), False


def _real_prefix(name: str, k: int) -> str:
    """Evidence and sentences speak in the user's names, never in normalised tokens."""
    return _prefix_split(name, k)[0]


def _path_boundary(name: str, k: int, key: tuple) -> bool:
    """Do the first ``k`` tokens of ``key`` end at a path separator of ``name``? Only where ``name`` spells them: a
    Keras 3 positional entry's key leaves out the name's ``layers/`` (``layers/dense_1/vars/0``: ``dense 1 #0``)."""
    prefix, at_separator = _prefix_split(name, k)
    return at_separator and _name_tokens(prefix) == key[:k]


def _owner(name: str) -> str:
    """The layer a variable belongs to, in its own spelling (the name without its last segment)."""
    name = strip_name(name)
    cut = max(name.rfind("/"), name.rfind("."))
    return name[:cut] if cut > 0 else name


def _shapes(c: _Item, m: _Item, transform: str | None) -> str:
    return f"shape {list(c.shape)}" + (f" -> {list(m.shape)} by {transform}" if transform else " agrees")


def _conventions(state, c_items, m_items) -> None:
    def evidence(c, m, t):
        return f"names agree once conventions are normalised (`{c.name}` ~ `{m.name}`); {_shapes(c, m, t)}"

    state.named = _equal_keys(state, c_items, m_items, "conventions", evidence) > 0
    _bare_weights(state, c_items, m_items, "conventions", evidence)


# Keras 3 names a layer tf.keras scoped (``expanded_conv_1/expand/BatchNorm``) with its scopes joined and the norm
# said short (``expanded_conv_1_expand_bn``)
_FLAT_WORDS = {"batchnorm": "bn"}
_WORDS = re.compile(r"[/._]+")


def _flat_names(state: _State, c_items: list[_Item], m_items: list[_Item]) -> None:
    """Names whose layer paths have the same words, whatever joins them (``/``, ``.`` or ``_``; BatchNorm read as
    ``bn``): a free name of each side whose words no other name of its side has pairs with the other, shapes and
    leaf roles agreeing. Only names whose tokens are cut otherwise (one side joined the scopes) are read so: the same
    cuts are the other stages'."""
    if all(c.busy for c in c_items) or all(m.busy and id(m) not in state.ambiguous for m in m_items):
        return

    def flat(it: _Item) -> tuple[str, str | None]:
        # the raw words of the layer's path (a number stays its own word: `conv1` is no `conv.1`), after the scope
        # rules applied to the name: the new scope's tokens, then the raw part no rule touched
        name = it.name
        if it.renamed is not None:
            before, kept = it.renamed
            name = "/".join(it.tokens[:len(it.tokens) - kept] + (name[len(_real_prefix(name, before - kept)):],))
        layer = name[:max(name.rfind("/"), name.rfind("."), 0)]
        words = [_FLAT_WORDS.get(w, w) for w in _WORDS.split(layer.lower()) if w]
        return "_".join(words), it.leaf or (it.tokens[-1] if it.tokens else None)

    def unique(items: list[_Item]) -> dict[tuple, _Item | None]:
        out: dict[tuple, _Item | None] = {}
        for it in items:
            key = flat(it)
            out[key] = None if key in out else it
        return out

    cs, ms = unique(c_items), unique(m_items)  # unique among all names, taken or not

    def elements(side: dict) -> dict[tuple, dict[int, _Item]]:
        """{(the layer's words with its one number as `#`, leaf): {number: item}}: a numbered family's elements."""
        out: dict[tuple, dict[int, _Item]] = defaultdict(dict)
        for (layer, leaf), it in side.items():
            words = layer.split("_")
            at = [i for i, w in enumerate(words) if w.isdigit()]
            if it is not None and len(at) == 1:
                out[("_".join(words[:at[0]] + ["#"] + words[at[0] + 1:]), leaf)][int(words[at[0]])] = it
        return out

    families: tuple = ()  # (the numbered families, built once a name first pairs: most alignments reach none)
    for m in m_items:
        # free, or undecided with this value among its candidates (renamed, or a new layer? the names say renamed)
        amb = state.ambiguous.get(id(m)) if m.busy else None
        if m.busy and amb is None:
            continue
        key = flat(m)
        c = cs.get(key)
        if c is None or ms.get(key) is not m or c.busy or len(c.tokens) == len(m.tokens) or \
                amb is not None and not any(x is c for x in amb[1]):
            continue
        ok, transform = state.compatible(c, m)
        if ok and not families:
            family_c, family_m = elements(cs), elements(ms)
            families = (family_c, family_m, {id(it): (f, n) for f, lm in family_m.items() for n, it in lm.items()})
        if ok and (doubt := _removed_element(state, m, *families)):
            # (the file holds more equal elements of the layer's numbered family than the model: one went, and
            # which one no name says; a number is no name, as the numbering stage weighs it)
            if amb is None:
                state.set_ambiguous(m, doubt, f"the file holds {len(doubt) - 1} more equal element(s) of this "
                                    "numbered layer's family than the model (`" + _owner(c.name) + "` and `" +
                                    "`, `".join(_owner(x.name) for x in doubt if x is not c) + "`): which one went, "
                                    "no name says")
            continue
        if ok:
            if amb is not None:
                del state.ambiguous[id(m)]
                state.ties.discard(id(m))
                m.busy = False
            state.add(c, m, transform, "conventions", functools.partial(_flat_evidence, c, m, transform))


def _removed_element(state: _State, m: _Item, family_c: dict, family_m: dict, place: dict) -> list[_Item]:
    """The checkpoint elements ``m``'s numbered element may have come from, where the file holds more elements of
    its family than the model and they are alike (an element removed: every number after it moved down); else [].
    ``place``: id(model item) -> its (family, number)."""
    found = place.get(id(m))
    if found is None:
        return []
    family, number = found
    lc, lm = family_c.get(family, {}), family_m[family]
    extra = len(lc) - len(lm)
    if extra <= 0 or number not in lc or not all(state.compatible(c, m)[0] for c in lc.values()):
        return []
    rank = sorted(lm).index(number)
    return [lc[n] for n in sorted(lc)[rank:rank + extra + 1]]


def _flat_evidence(c: _Item, m: _Item, t: str | None) -> str:
    return (f"the same layer name with its scopes joined (`{_owner(c.name)}` ~ `{_owner(m.name)}`); "
            f"{_shapes(c, m, t)}")


_HF_TF_LAYER = re.compile(r"^([^/]+\.[^/]+)/\1/[^/]+$")  # a Keras layer named by a PyTorch path, scoped twice


def _hf_tf_layer_paths(state, c_items, m_items) -> None:
    """transformers names a TF layer that its model shares by the PyTorch module path (TFBart's
    ``model.shared/model.shared/embeddings``); its TF <-> PyTorch name conversion drops the first scope, and
    ``from_pt`` / ``from_tf`` the base-model prefix where one side lacks it: ``model.shared.weight`` or
    ``shared.weight``. Such a name pairs with the one free name on the other side equal to either."""
    def evidence(c, m, t):
        return (f"transformers' TF layer `{hf.name.rpartition('/')[0].rpartition('/')[0]}` is the PyTorch module of "
                f"that path (its TF <-> PyTorch names drop the first scope); {_shapes(c, m, t)}")

    for side, other in ((m_items, c_items), (c_items, m_items)):
        # (the pattern only where a dotted path is a scope: the common name has none, and there are 100k of them)
        for hf in [it for it in side if "." in it.name and not it.busy and "." in it.name.partition("/")[0]
                   and _HF_TF_LAYER.match(strip_name(it.name))]:
            layer = hf.tokens[:len(hf.tokens) // 2]
            keys = {layer + (_W,), layer[1:] + (_W,)} if hf.leaf else set()
            found = [it for it in other if not it.busy and it.key in keys]
            if len(found) != 1:
                continue
            c, m = (found[0], hf) if side is m_items else (hf, found[0])
            ok, transform = state.compatible(c, m)
            if ok:
                state.add(c, m, transform, "conventions", functools.partial(evidence, c, m, transform))


def _bare_weights(state, c_items, m_items, stage, evidence, hypothesis=None) -> None:
    """TF names some weights by the variable itself (``word_embeddings``, GPT-2's ``wte``) where PyTorch adds
    ``.weight`` (and Keras/HF TF ``/embeddings``), and a PyTorch module may keep a projection as its own parameter
    where TF has a layer's kernel (XLNet's ``rel_attn.q`` [d, heads, head] is ``rel_attn/q/kernel``, the same
    layout: the shapes decide, a square matrix stays undecided): a leafless name pairs with the same name plus such
    a leaf when each is the only one."""
    pool_c, pool_m = _pool(state, c_items, m_items)
    leaves = (None, "weight", "embedding", "kernel")
    c_leaves, m_leaves = {c.leaf for c in pool_c}, {m.leaf for m in pool_m}
    # (a kernel faces only a bare matrix: a leafless vector is a bias or a norm's shift far more often)
    c_bare, m_bare = (any(it.leaf is None and len(it.shape) > 1 for it in pool) for pool in (pool_c, pool_m))
    if not (None in c_leaves and m_leaves & {"weight", "embedding"} or None in m_leaves and
            c_leaves & {"weight", "embedding"} or c_bare and "kernel" in m_leaves or m_bare and "kernel" in c_leaves):
        return  # no bare name on one side facing a weight on the other
    bare_c = defaultdict(list)
    for c in pool_c:
        if c.leaf in leaves:
            bare_c[c.tokens].append(c)
    bare_m = defaultdict(list)
    for m in pool_m:
        if m.leaf in leaves:
            bare_m[m.tokens].append(m)
    for tokens, models in bare_m.items():
        cands = bare_c.get(tokens, [])
        if len(models) == 1 and len(cands) == 1 and (cands[0].leaf is None) != (models[0].leaf is None):
            ok, t = state.compatible(cands[0], models[0])
            if ok:
                state.add(cands[0], models[0], t, stage, functools.partial(evidence, cands[0], models[0], t),
                          hypothesis(cands[0]) if hypothesis is not None else None)


def _boundary(key: tuple, i: int) -> bool:
    """May a prefix end before ``key[i]``? Not between a name and its number: ``dense_1`` is not ``dense``."""
    return not (0 < i < len(key) and key[i].isdigit() and not key[i - 1].isdigit())


def _layer_of(m: _Item) -> tuple:
    """The layer a variable belongs to: its key without the last token (``dense/kernel`` -> ``dense``)."""
    return m.key[:-1]


def _one_layer(pairs: list) -> bool:
    """Do the model variables of these pairs belong to one layer (or to none: no pairs)?"""
    layer = pairs[0][1].key[:-1] if pairs else None
    return all(_layer_of(m) == layer for _, m, _ in pairs)


def _numeric_only(pc: tuple, pm: tuple) -> bool:
    """Prefixes that differ only in auto-numbers (``dense_3`` vs ``dense``): a renumbering, not a rename."""
    return [t for t in pc if not t.isdigit()] == [t for t in pm if not t.isdigit()]


def _propose(state: _State, pool_c: list, pool_m: list, numeric: bool):
    """Rules proposed by each model variable from the checkpoint entries sharing its longest common suffix:
    {(checkpoint prefix, model prefix): [(c, m, transform)]}, and the rules with a pair sharing more than the leaf."""
    # Each model variable proposes rules from the checkpoint entries sharing its longest common suffix.
    # Checkpoint suffixes are indexed one depth at a time (depth i: the first i tokens are the prefix) and
    # the search stops once no deeper entry could share a longer suffix: a rename is usually settled at
    # depth 1 or 2 without indexing every suffix of every name.
    best: dict[int, tuple[int, list]] = {}  # id(m) -> (suffix length, [(checkpoint prefix, c)])
    longest = max(len(c.key) for c in pool_c)
    for depth in range(1, longest):
        # Go deeper only while a deeper prefix could still give some *proposed* variable an equally long or
        # longer suffix. Variables without any proposal yet wait for the next round, after the rules found
        # here are applied (which keeps a big rename from indexing every depth of every name).
        need = min((b[0] for b in best.values()), default=1)
        if longest - depth < need:
            break
        index: dict[tuple, list[tuple[tuple, _Item]]] = defaultdict(list)
        for c in pool_c:
            key = c.key
            if len(key) > depth and not (key[depth].isdigit() and not key[depth - 1].isdigit()):
                index[key[depth:]].append((key[:depth], c))
        lengths = {len(k) for k in index}  # only suffixes of these lengths can be found: look up no others
        if not lengths:
            continue  # nothing to find at this depth (every cut falls between a name and its number)
        reach = max(lengths)
        for m in pool_m:
            key = m.key
            n = len(key)
            found = best.get(id(m))
            have = found[0] if found is not None else 1
            if have > reach:
                continue  # no suffix indexed here is as long as the one it has
            for j in range(n - have + 1):
                if n - j not in lengths or j and key[j].isdigit() and not key[j - 1].isdigit():
                    continue  # no such suffix, or not between a name and its number
                hits = index.get(key[j:])
                if hits:
                    length = n - j
                    if found is not None and found[0] == length:
                        found[1].append(hits)
                    else:
                        best[id(m)] = (length, [hits])  # lists by reference: suffixes can be very common
                    break
    proposals: dict[tuple, list[tuple[_Item, _Item, str | None]]] = defaultdict(list)
    deep: set[tuple] = set()  # rules with a pair that shares more than the leaf name
    renames_only: dict[tuple, bool] = {}  # (checkpoint prefix, model prefix) -> may propose a rule
    for m in pool_m:
        found = best.get(id(m))
        if found is None:
            continue
        length, groups = found
        if sum(map(len, groups)) > _MAX_CANDIDATES:
            continue
        pm = m.key[:len(m.key) - length]
        for pc, c in itertools.chain.from_iterable(groups):
            ok, transform = state.compatible(c, m)
            if not ok or pc == pm:
                continue
            rule = (pc, pm)
            allowed = renames_only.get(rule)
            if allowed is None:
                allowed = renames_only[rule] = numeric or not _numeric_only(pc, pm)
            if allowed:
                proposals[rule].append((c, m, transform))
                if length > 1:
                    deep.add(rule)
    _list_proposals(state, pool_c, [m for m in pool_m if (found := best.get(id(m))) is None or
                                    sum(map(len, found[1])) > _MAX_CANDIDATES], proposals, deep)
    _scope_proposals(state, pool_c, pool_m, proposals, deep)
    return proposals, deep


def _list_proposals(state: _State, pool_c: list, open_m: list, proposals: dict, deep: set) -> None:
    """Lists of raw variables (a ``tf.Module``'s ``cells/5/w``, ``cells/5/b`` into ``blocks.5.weight``): nothing
    but the leaf follows an element's number, so the names' common end is the leaf alone, which every element
    shares; the suffix search gives such a variable no proposal. Here the element's number and its leaf are the
    common end, for model variables the search left without one: each proposes the container's renaming, kept only
    where both containers hold the same numbers (an element more on one side is the numbering's question)."""
    def element(it: _Item) -> bool:  # a number of its own path segment (not ``dense_5``), then the leaf
        key = it.key
        if len(key) < 3 or _boundary(key, len(key) - 2):
            return False
        number = key[-2]
        return (f"/{number}/" in it.name or f".{number}." in it.name) and _path_boundary(it.name, len(key) - 2, key)

    candidates = [m for m in open_m if element(m)]
    if not candidates:
        return
    by_end: dict[tuple, list[_Item]] = defaultdict(list)
    for c in pool_c:
        if element(c):
            by_end[c.key[-2:]].append(c)
    found: dict[tuple, list] = defaultdict(list)
    for m in candidates:
        hits = [c for c in by_end.get(m.key[-2:], ()) if c.key[:-2] != m.key[:-2]]
        if len(hits) == 1 and (fit := state.compatible(hits[0], m))[0]:
            found[(hits[0].key[:-2], m.key[:-2])].append((hits[0], m, fit[1]))
    numbers_c, numbers_m = _elements(pool_c, {pc for pc, _ in found}), _elements(open_m, {pm for _, pm in found})
    for (pc, pm), pairs in found.items():
        if len(pairs) > 1 and numbers_c[pc] == numbers_m[pm]:
            proposals[(pc, pm)].extend(pairs)
            deep.add((pc, pm))


def _scope_proposals(state: _State, pool_c: list, pool_m: list, proposals: dict, deep: set) -> None:
    """Scopes added or removed as a whole (``model/`` around every name, ``module.`` dropped): each model variable
    whose name is a checkpoint name under up to three more leading tokens (or the reverse) proposes that rule.
    Such a rule is weighed against local renamings by the same support count, so one prefix that explains the
    whole model wins over per-layer renumberings that each explain a few equal shapes."""
    c_lengths, m_lengths = {len(c.key) for c in pool_c}, {len(m.key) for m in pool_m}
    if not any(n + t in m_lengths for n in c_lengths for t in (1, 2, 3)) and \
            not any(n + t in c_lengths for n in m_lengths for t in (1, 2, 3)):
        return  # no name of one side is a name of the other under one to three more tokens
    by_c, by_m = _unique_keys(pool_c), _unique_keys(pool_m)
    # a name is another's under t more tokens only if its token t starts some name of the other side: one look-up
    # of a string rules most names out before a suffix is cut and looked up
    c_firsts, m_firsts = {k[0] for k in by_c if k}, {k[0] for k in by_m if k}
    for t in (1, 2, 3):
        for outer, inner, added in ((pool_m, by_c, True), (pool_c, by_m, False)):
            get = inner.get
            # names t tokens longer; a one-token name (``alpha``: a module's own parameter) only where the longer
            # name ends in it as written (``metric.alpha``): one token alone is too little to go by
            lengths = {n + t for n in (c_lengths if added else m_lengths)}
            # (no name of the outer side that long: nothing to look up; a name of every length there rarely)
            found_lengths = lengths & (m_lengths if added else c_lengths)
            if not found_lengths:
                continue
            firsts = c_firsts if added else m_firsts
            for it in outer:
                key = it.key
                if len(key) not in lengths or key[t] not in firsts:
                    continue
                other = get(key[t:])
                if other is None or key[t].isdigit() and not key[t - 1].isdigit() and \
                        not _path_boundary(it.name, t, key):  # `dense_1` is no scope; `module.0` has one
                    continue
                if len(key) == t + 1 and not it.name.endswith(("." + other.name, "/" + other.name)):
                    continue
                c, m = (other, it) if added else (it, other)
                ok, transform = state.compatible(c, m)
                if ok:
                    rule = ((), key[:t]) if added else (key[:t], ())
                    proposals[rule].append((c, m, transform))
                    deep.add(rule)


def _counted(c: _Item) -> bool:
    """A Keras 3 file's value at a path that counts the layers of a class (``layers/conv1d_2/vars/0``): its number
    is a count of the model's conv1d layers, no element's place in a container."""
    found = _POSITIONAL.match(c.ref.name) if c.ref.name.startswith("layers/") else None
    return found is not None and "/" not in found["layer"][len("layers/"):]


def _elements(pool: list, heads: set[tuple]) -> dict[tuple, set[str]]:
    """{container: the element numbers under it} for the containers ``heads`` (``layer4`` -> {``0``, ``1``})."""
    out: dict[tuple, set[str]] = defaultdict(set)
    lengths = {len(h) for h in heads}
    for it in pool:
        key = it.key
        for n in lengths:
            if len(key) > n and key[n].isdigit() and key[:n] in heads:
                out[key[:n]].add(key[n])
    return out


def _containers(proposals: dict, deep: set, pool_c: list, pool_m: list) -> set[tuple]:
    """A renamed container of numbered elements (``layer4.0``, ``layer4.1``, ... -> ``stage4.0``, ...): the
    per-element proposals that keep each element's number are also proposed as one rule over the container, with
    their joint support, so one rename beats element-by-element shuffles of equal elements (which tie among
    themselves). Returns those container rules (they end between a name and its number)."""
    grouped: dict[tuple, list] = defaultdict(list)
    elements: dict[tuple, set] = defaultdict(set)
    for (pc, pm), pairs in proposals.items():
        if len(pc) > 1 and len(pm) > 1 and pc[-1].isdigit() and pc[-1] == pm[-1] and \
                not pc[-2].isdigit() and not pm[-2].isdigit() and pc[:-1] != pm[:-1] and \
                not any(_counted(c) for c, _, _ in pairs):
            grouped[(pc[:-1], pm[:-1])].extend(pairs)
            elements[(pc[:-1], pm[:-1])].add(pc[-1])
    found = set()
    # The elements each side has under each container: a number kept at some elements whose shapes agree by chance
    # (``layer_with_weights-15`` / ``_operations/15``: a rank of layers with weights against an index of layers)
    # is contradicted wherever an element both sides have pairs nothing under it.
    present_c = _elements(pool_c, {c for c, _ in grouped}) if grouped else {}
    present_m = _elements(pool_m, {m for _, m in grouped}) if grouped else {}
    for rule, pairs in grouped.items():
        both = present_c.get(rule[0], set()) & present_m.get(rule[1], set())
        if len(both - elements[rule]) >= len(elements[rule]):
            continue
        if rule not in proposals and len(elements[rule]) > 1:  # one element keeping its number proves no container
            proposals[rule] = pairs
            deep.add(rule)  # the element numbers agree: more than the leaf is shared
            found.add(rule)
    # Elements numbered from another base (tf-slim's ``block1/unit_1/bottleneck_v1`` is torchvision's ``layer1.0``):
    # the per-element proposals whose numbers differ by one offset d (1 or -1) are one rule, ``#`` standing for
    # the number (``block1 unit # bottleneckv1`` -> ``layer1 #-1``), with their joint support. Equal elements then
    # stop tying among themselves: the one offset that pairs them all explains more than any shuffle. So are those
    # that keep their numbers (d = 0) where the number is inside the renamed part (``gpt2/h0/mlp/conv1d_main`` ->
    # ``transformer.h.0.mlp``): kept numbers weigh as much as a shift, and where both pair as many (a block
    # removed: which one, no name says), the two tie.
    shifted: dict[tuple, list] = defaultdict(list)
    numbers: dict[tuple, set] = defaultdict(set)
    for (pc, pm), pairs in proposals.items():
        if (pc, pm) not in deep:
            continue  # elements that share only a leaf name say nothing about their numbers
        i, j = _last_number(pc), _last_number(pm)
        if i is None or j is None or pc[i] == pm[j] and (i == len(pc) - 1 or j == len(pm) - 1):
            continue  # (a number at the end of both, kept: a container rule above)
        d = int(pm[j]) - int(pc[i])
        if d not in (1, 0, -1):  # one base against the other (0 and 1), not a coincidence of shapes further away
            continue
        rule = (pc[:i] + ("#",) + pc[i + 1:], pm[:j] + (f"#{d:+d}",) + pm[j + 1:])
        shifted[rule].extend(pairs)
        numbers[rule].add(pc[i])
    for rule, pairs in shifted.items():
        if len(numbers[rule]) > 1:
            proposals[rule] = pairs
            deep.add(rule)
            found.add(rule)
    return found


def _numbered_name(part: tuple) -> tuple[tuple, int] | None:
    """A layer name with one number, as a name's differing part (``bn5``, ``5cnn``, ``batchnormalization 5``):
    (the part with its number written ``#``, the number), else None."""
    if len(part) == 2 and part[1].isdigit() and part[0].isalpha():
        return (part[0], "#"), int(part[1])
    if len(part) == 1:
        found = _ONE_NUMBER.fullmatch(part[0])
        if found and (found["a"] or found["b"]):
            return (f"{found['a']}#{found['b']}",), int(found["n"])
    return None


def _numbered_tail(part: tuple) -> tuple[tuple, tuple, int] | None:
    """(the scopes before it, the numbered layer name with ``#``, the number) of a differing part that ends in a
    numbered layer name (``outer 5cnn``: a wrapper scope, then ``5cnn``), else None."""
    for width in (2, 1):
        if len(part) >= width:
            found = _numbered_name(part[len(part) - width:])
            if found is not None:
                return part[:len(part) - width], found[0], found[1]
    return None


_ONE_NUMBER = re.compile(r"(?P<a>[a-z]*)(?P<n>\d+)(?P<b>[a-z]*)")


def _numbers_kept(proposals: dict, pool_c: list, pool_m: list) -> dict[tuple, int]:
    """Renamed layers of one family that keep their numbers in another spelling (``batch_normalization_5`` ->
    ``bn5``, ``5CNN`` -> ``conv5``): equal layers tie among themselves by shape, but one renaming that keeps every
    number explains them all. Each such per-layer rule (the names differ in the numbered layer name only) gets the
    joint support of its family ({rule: support}), only where the family's numbers are the same on both sides among
    the free names: where a layer was added or removed, which number moved no name says."""
    families: dict[tuple, dict] = defaultdict(dict)  # (old pattern, new pattern, where) -> {rule: its pairs}
    numbers: dict[tuple, set] = defaultdict(set)
    for (pc, pm), pairs in proposals.items():
        k = 0
        while k < min(len(pc), len(pm)) and pc[k] == pm[k]:
            k += 1
        t = 0
        while t < min(len(pc), len(pm)) - k and pc[-1 - t] == pm[-1 - t]:
            t += 1
        a, b = _numbered_tail(pc[k:len(pc) - t]), _numbered_tail(pm[k:len(pm) - t])
        ends = (len(pc) - t, len(pm) - t)
        if a is not None and b is not None and a[2] != b[2] and t == 0:
            # one side nests the layer's weight deeper (LPIPS' ``lin3.model.1``: a Sequential inside the numbered
            # layer, against Keras' ``lin_3``): the number read before those levels, the levels kept in the pattern
            for cut in range(len(pc) - 1, k, -1):
                inner = _numbered_tail(pc[k:cut])
                if inner is not None and inner[2] == b[2]:
                    a, ends = inner, (cut, len(pm))
                    break
            else:
                for cut in range(len(pm) - 1, k, -1):
                    inner = _numbered_tail(pm[k:cut])
                    if inner is not None and inner[2] == a[2]:
                        b, ends = inner, (len(pc), cut)
                        break
        if a is not None and b is not None and a[2] == b[2]:  # (a wrapper scope may come before the name)
            family = (pc[:k] + a[0] + a[1] + pc[ends[0]:], pm[:k] + b[0] + b[1] + pm[ends[1]:],
                      k + len(a[0]), k + len(b[0]))
            families[family][(pc, pm)] = pairs
            numbers[family].add(a[2])
    out: dict[tuple, int] = {}
    for family, rules in families.items():
        if len(numbers[family]) < 2:
            continue
        old, new, kc, km = family
        if _members(pool_c, old, kc) != numbers[family] or _members(pool_m, new, km) != numbers[family]:
            continue
        joint = len({id(m) for pairs in rules.values() for _, m, _ in pairs})
        out.update((rule, joint) for rule in rules)
    return out


def _members(pool: list, pattern: tuple, k: int) -> set[int]:
    """The numbers of the names in ``pool`` that start with ``pattern`` (its numbered layer name at ``k``)."""
    found = set()
    two = k + 1 < len(pattern) and pattern[k + 1] == "#"  # ``batchnormalization #``, not ``bn#``
    width = len(pattern)
    for it in pool:
        key = it.key
        if len(key) < width or key[:k] != pattern[:k]:
            continue
        end = k + 2 if two else k + 1
        hit = _numbered_name(key[k:end])
        if hit is not None and hit[0] == pattern[k:end] and key[end:width] == pattern[end:]:
            found.add(hit[1])
    return found


def _last_number(tokens: tuple) -> int | None:
    """Where a name's element number is: its last number token that follows a word (``unit 2``, ``layer1 1``)."""
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i].isdigit():
            return i if not tokens[i - 1].isdigit() else None
    return None


def _offset_rule(rule: tuple) -> tuple[int, int, int] | None:
    """(where the number is in the old tokens, where in the new, the offset) of an offset container rule."""
    pc, pm = rule
    if "#" not in pc:
        return None
    j = next(j for j, t in enumerate(pm) if t.startswith("#"))
    return pc.index("#"), j, int(pm[j][1:])


def _raw_words(name: str) -> set[str]:
    """The words of a name as the user spelled it (``different_model_scope``: different, model, scope), Keras 3
    path words aside."""
    return set(re.findall(r"[a-z]{2,}", name.lower())) - {"layers", "vars"}


def _words(tokens: tuple) -> set[str]:
    """The words of a name, digits aside (``conv2d_7_1`` and ``conv2d_7`` share ``conv``)."""
    return {w for t in tokens for w in re.findall(r"[a-z]{2,}", t)}


_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=1 << 16)
def _unnumbered_token(token: str) -> str:
    return _DIGITS.sub("", token) if token[:1].isalpha() else token  # (not a Keras 3 position's, ``#0/4``)


def _unnumbered(key: tuple) -> tuple:
    """A key without its numbers: its number tokens dropped, the digits inside a word's token too."""
    return tuple(map(_unnumbered_token, itertools.filterfalse(str.isdigit, key)))


def _prefix_rules(state: _State, c_items, m_items, numeric: bool) -> None:
    while True:
        if not numeric:  # (each round: under a scope rule the round before applied, ``base_model.model.``)
            _inserted_segment(state, c_items, m_items)
        pool_c, pool_m = _pool(state, c_items, m_items)
        if not numeric:  # names that differ from an entry only in their numbers are the numbering stage's
            # (keys without numbers, those inside a token too: ``unet_up0_decode_bn`` is one)
            masked = {_unnumbered(c.key) for c in pool_c}
            pool_m = [m for m in pool_m if _unnumbered(m.key) not in masked]
        if not pool_c or not pool_m:
            return
        proposals, deep = _propose(state, pool_c, pool_m, numeric)
        if proposals:
            proposals = _within_families(proposals, c_items, m_items)
        if not proposals:
            return
        if deep:
            deep -= _first_of_a_family(deep, proposals, c_items, m_items)
        containers = _containers(proposals, deep, pool_c, pool_m)
        support = {rule: len({id(m) for _, m, _ in pairs}) for rule, pairs in proposals.items()}
        numbered = _numbers_kept(proposals, pool_c, pool_m)
        support.update(numbered)
        best = max(support.values())
        top = [rule for rule, s in support.items() if s == best]
        if len(top) > 1:  # rules that make the very same pairs are one explanation: keep the shortest to state
            same: dict[frozenset, tuple] = {}
            for rule in sorted(top, key=lambda r: (len(r[0]) + len(r[1]), r)):
                same.setdefault(frozenset((id(c), id(m)) for c, m, _ in proposals[rule]), rule)
            top = list(same.values())
        if len(top) > 1:
            # a word and its abbreviation (``enc`` -> ``encoder``) are name evidence that a rival renaming of the
            # same values (``enc`` -> ``decoder``) lacks: where those so spelled pair apart, they are the explanation
            short = [r for r in top if _abbreviates(r, proposals)]
            if short and len(short) < len(top) and _apart(short, proposals):
                top = short
        if len(top) > 1:
            # so is an attention projection's role on both sides (``query`` -> ``q_proj``, not ``k_proj``)
            # (each a whole layer: a projection whose bias the renaming leaves behind is no layer it explains)
            roles = [r for r in top if _same_projection(r)]
            if roles and len(roles) < len(top) and _apart(roles, proposals) and \
                    _whole_layers([p for r in roles for p in proposals[r]], pool_m):
                top = roles
        if len(top) > 1:
            # so is a word the renamed names share as spelled (`item_tower` -> `item_encoder`, one token each) that
            # no rival's name has in its place (not `prelu` of `rnet/prelu3` -> `onet/prelu2`: every PReLU's word)
            told = _told_by_spelling(top, proposals, pool_c, pool_m, (c_items, m_items))
            if told is not None and _apart(told, proposals):
                top = told
        if len(top) > 1:
            # so is a renamed name that is the other's own, spelled without its separators, under a scope the other
            # adds (keras-hub's `embeddings_layer_norm` is `distilbert.embeddings.LayerNorm`; `vocab_layer_norm` not)
            ends = [r for r in top if _squashed_end(r, proposals)]
            if ends and len(ends) < len(top) and _apart(ends, proposals):
                top = ends
        if len(top) == 1:  # one best explanation: nothing competes with it
            clean = top
        else:  # the rules none of whose variables or entries another best rule also pairs
            first_rule: dict[int, tuple] = {}  # id(variable or entry) -> the first best rule that pairs it
            shared: set[int] = set()  # ... paired by two or more of them
            for rule in top:
                for c, m, _ in proposals[rule]:
                    for x in (id(m), id(c)):
                        if first_rule.setdefault(x, rule) is not rule:
                            shared.add(x)
            clean = [r for r in top if not any(id(m) in shared or id(c) in shared for c, m, _ in proposals[r])]
        # One renamed layer (only leaf names shared) beside layers that load by their names is as likely a
        # replaced layer (a new head) as a renamed one: say so instead of pairing.
        # "Beside layers that load by name": exact pairs, or renamings whose names share a word or more than the
        # leaf (proposed in this round or applied before). A single layer whose old and new names share nothing,
        # among such layers, is the new-head case.
        def named(r, deep=deep):
            return r in deep or bool(_words(r[0]) & _words(r[1]))

        was_named = state.named  # an earlier round applied a rule whose names agree
        state.named = state.named or any(named(r) for r in proposals)  # names are shared somewhere
        # A single layer whose names share nothing is paired by its shape alone: as likely a new layer as a
        # renamed one beside layers that keep their names (``anchored``); where all names are foreign and the
        # checkpoint keeps its order, order is the other evidence: structure decides (it sees whether the order
        # agrees, or a new layer took the place of a removed one).
        # A single layer whose names share nothing is paired by its shape alone: as likely a new layer as a
        # renamed one beside layers that keep their names (``anchored``; there a scope of one layer renamed to a
        # name sharing no word is too, though `dense` below it agrees: `pooler.dense` -> `classifier.dense`,
        # while `enc/` -> `net/` over several layers is a renamed scope). Where all names
        # are foreign and the checkpoint keeps its order, order is the other evidence: structure decides (it sees
        # whether the order agrees, or a new layer took the place of a removed one).
        named_rules = sum(map(named, proposals))

        def anchored_for(r, named_rules=named_rules, was_named=was_named) -> bool:
            # exact pairs, or another rule whose names agree (a rule is not its own anchor)
            return state.anchored or was_named or named_rules - named(r) > 0

        def foreign_rename(r, proposals=proposals) -> bool:  # the renamed parts (common scopes aside) share no word
            pc, pm = _renamed_parts(r)
            if not (pc and pm and not _words(pc) & _words(pm)) or _abbreviates(r, proposals) or _same_projection(r):
                return False
            # a scope an earlier rule put in front of the entry is not the file's word: judge its own spelling
            # (T5's `shared.weight` gained `tft5_model/` with every block; the model keeps `shared/shared` above it)
            c, m, _ = proposals[r][0]
            added = len(c.tokens) - c.renamed[1] if c.renamed else 0
            if len(r[0]) > added and \
                    _squashed(_real_prefix(c.name, len(r[0]) - added)) == _squashed(_real_prefix(m.name, len(r[1]))):
                return False  # the same name spelled with other separators (`Transformer/encoder_norm` as vit-keras'
                # `Transformer_encoder_norm`): no other layer's name
            if not added or r[1][:added] == r[0][:added]:
                return True
            own = r[0][added:] if added < len(r[0]) else c.tokens[added:]  # (a rule of the added scope alone)
            return not _words(own) & _words(pm)

        def spelled_alike(r, proposals=proposals) -> bool:  # `model_scope` -> `different_model_scope`
            c, m, _ = proposals[r][0]
            return bool(_raw_words(_real_prefix(c.name, len(r[0]))) & _raw_words(_real_prefix(m.name, len(r[1]))))

        def level_changed(r, pool_c=pool_c, pool_m=pool_m) -> bool:
            """A scope level dropped or added around one layer (``classifier/out_proj`` -> ``classifier``) while
            the container keeps other layers nobody took on that side (``classifier/dense``): a two-layer head
            against a one-layer head, the layer new, or one of the two renamed?"""
            pc, pm = r
            k = 0
            while k < min(len(pc), len(pm)) and pc[k] == pm[k]:
                k += 1
            if k == 0 or bool(pc[k:]) == bool(pm[k:]):
                return False
            longer, pool = (pc, pool_c) if pc[k:] else (pm, pool_m)
            if all(t.isdigit() for t in longer[k:]):
                return False  # a number, not a level: ``dense`` -> ``dense_2`` (auto-numbers of another session)
            # free names under the container that are not under the longer prefix (every pair of this rule is)
            return under(pool, longer[:k]) > under(pool, longer)

        prefix_counts: dict[int, Counter] = {}

        def under(pool: list, prefix: tuple, prefix_counts=prefix_counts) -> int:
            """How many names of ``pool`` start with ``prefix`` (every prefix counted once per round and side)."""
            counts = prefix_counts.get(id(pool))
            if counts is None:
                counts = prefix_counts[id(pool)] = Counter(it.key[:n] for it in pool for n in range(1, len(it.key)))
            return counts[prefix]

        def single(r, containers=containers, numbered=numbered, proposals=proposals) -> bool:  # one layer alone
            return r not in containers and r not in numbered and _one_layer(proposals[r])

        # (a rename that other rules make too, at the head of theirs, is no single layer's: ``gpt2/`` ->
        # ``transformer/`` for ``ln_f`` where every block's rule begins with it)
        wider = [h.rule[1:] for h in state.hypotheses if h.rule[0] == "scope" and h.proofs] + \
            [r for r in clean if not single(r)]

        def corroborated(r, wider=wider) -> bool:
            pc, pm = r
            return any(len(a) > len(pc) and len(b) > len(pm) and a[:len(pc)] == pc and b[:len(pm)] == pm
                       for a, b in wider)

        # A one-layer rule that renames another value of that layer onto a model name of another shape (`conv4.`
        # -> `_model_8k.encoder.0.` pairs the biases, the kernels differ) fits the layer only in part: the pair it
        # makes rests on a bias's shape, contradicted by the kernel's. Its variables are ambiguous, not paired.
        partial = _partial_fits(state, [r for r in clean if single(r)], pool_c, pool_m, proposals)
        for rule, (c2, m2) in partial.items():
            if m2 is not None:
                state.resized[id(m2)] = (c2, m2)
            where = f"on `{m2.name}` {list(m2.shape)}" if m2 is not None else "nowhere in the model"
            for c, m, _ in proposals[rule]:
                state.set_ambiguous(m, [c], f"the renaming that would pair it puts `{c2.name}` {list(c2.shape)} "
                                            f"{where}: the layer fits only in part")
                state.shallow.add(id(m))  # (names contradicted: a unique structural alignment may still decide)
        clean = [r for r in clean if r not in partial]
        # the same word swapped under two or more scopes (`item/tower` -> `item/encoder` beside `user/tower` ->
        # `user/encoder`, `note_conv` -> `notes.conv` beside `note_head` -> `notes.head`): a word the model changed
        # wherever it stood, not a layer replaced here and there. One word of names otherwise spelled alike.
        def swap(r, proposals=proposals) -> tuple | None:  # (the word out, the word in, the scopes only one has)
            c, m, _ = proposals[r][0]
            tc, tm = (re.split(r"[/._]", _real_prefix(it.name, len(p)).lower()) for it, p in ((c, r[0]), (m, r[1])))
            k = min(len(tc), len(tm))  # (names read from their ends: a scope one side adds is the same for all)
            apart = [(a, b) for a, b in zip(tc[len(tc) - k:], tm[len(tm) - k:], strict=True) if a != b]
            if k < 2 or len(apart) != 1 or apart[0][0].isdigit() or apart[0][1].isdigit():
                return None
            return (*apart[0], tuple(tc[:len(tc) - k]), tuple(tm[:len(tm) - k]))

        swapped = {r: w for r in clean if (w := swap(r))}
        swaps = Counter(swapped.values())
        repeated = {r for r, w in swapped.items() if swaps[w] > 1}
        weak = [r for r in clean if single(r) and not corroborated(r) and r not in repeated
                and (foreign_rename(r) or level_changed(r) if anchored_for(r) else
                     state.ordered and not named(r) and not spelled_alike(r))]
        if len(weak) > 1:
            members = _positional_members(weak, pool_c, pool_m) | _positions_in_place(state, weak, proposals, pool_m)
            weak = [r for r in weak if r not in members]
        beside = "layers that load by name" if state.anchored else \
            "layers whose names explain them" if was_named or named_rules else "layers in the same order"
        for rule in weak:
            for c, m, _ in proposals[rule]:
                state.set_ambiguous(m, [c], f"a single layer under another name, next to {beside}: renamed, or "
                                            "replaced by a new layer?")
                state.shallow.add(id(m))  # only a unique structural alignment may still decide
        clean = [r for r in clean if r not in weak]
        state.named = state.named or any(named(r) for r in clean)
        if weak and not clean:
            continue
        if not clean:  # equally good explanations compete for the same variables: refuse to choose
            # dicts, not sets: the rules an ambiguity lists come in a fixed order, whatever the string hash seed
            owners_m: dict[int, dict] = defaultdict(dict)
            owners_c: dict[int, dict] = defaultdict(dict)
            for rule in top:
                for c, m, _ in proposals[rule]:
                    owners_m[id(m)][rule] = None
                    owners_c[id(c)][rule] = None
            for rule in top:
                for c, m, _ in proposals[rule]:
                    if len(owners_m[id(m)]) > 1 or len(owners_c[id(c)]) > 1:
                        cands = [c2 for r2 in owners_m[id(m)] for c2, m2, _ in proposals[r2] if m2 is m]
                        state.set_ambiguous(m, list(dict.fromkeys(cands)), "several renamings explain it equally well",
                                            tie=True)
                        # names say nothing beyond the leaf, or only a word every rival shares inside names
                        # spelled apart (``bn`` of ``stage4_unit2_bn2`` / ``layer4.1.bn2`` as of
                        # ``stage4_unit2_bn1`` / ``layer4.1.bn2``; not a container both sides name, ``attn.``):
                        # structure may decide
                        rivals = owners_m[id(m)]
                        said = {frozenset(_words(r2[0]) & _words(r2[1])) for r2 in rivals}
                        apart = all(not r2[0] or not r2[1] or r2[0][0] != r2[1][0] for r2 in rivals)
                        if not any(r2 in deep for r2 in rivals) and (said == {frozenset()} or
                                                                     len(said) == 1 and apart):
                            state.shallow.add(id(m))
            continue
        # a clean rule shares no variable with another best rule: nothing tied with it contradicts it
        hypotheses = [Hypothesis("prefix", ("scope",) + rule, support[rule],
                                 lone=single(rule) and foreign_rename(rule) and not anchored_for(rule) and
                                 rule not in repeated)
                      for rule in clean]
        renamed_by: dict[int, int] = {}  # id(c) -> the index in ``clean`` of the rule that renamed it
        # Each free entry takes the first rule of ``clean`` whose prefix it has: rules indexed by prefix, so
        # the cost is one look-up per entry and prefix length, not one scan of the pool per rule.
        first: dict[tuple, int] = {}
        offsets: dict[tuple, list[int]] = defaultdict(list)  # offset rules by the old tokens before the number
        for i, rule in enumerate(clean):
            at = _offset_rule(rule)
            if at is None:
                first.setdefault(rule[0], i)
            else:
                offsets[rule[0][:at[0]]].append(i)
        lengths = sorted({len(pc) for pc in first})
        offset_lengths = sorted({len(head) for head in offsets})
        for c in pool_c:
            if c.busy:
                continue
            key = c.key
            hit = None
            for n in lengths:
                found = first.get(key[:n])
                if found is not None and (hit is None or found < hit) and \
                        (_boundary(key, n) or clean[found] in containers or _path_boundary(c.name, n, key)):
                    hit = found
            new = None
            for n in offset_lengths:
                for i in offsets.get(key[:n], ()) if n < len(key) and key[n].isdigit() else ():
                    pc, pm = clean[i]
                    if (hit is None or i < hit) and key[n + 1:len(pc)] == pc[n + 1:]:
                        at = _offset_rule(clean[i])
                        assert at is not None
                        hit, new = i, pm[:at[1]] + (str(int(key[n]) + at[2]),) + pm[at[1] + 1:]
            if hit is not None:
                pc, pm = clean[hit]
                before, kept = c.renamed or (len(c.tokens), len(c.tokens))
                c.renamed = (before, min(kept, len(c.tokens) - len(pc)))
                c.tokens = (pm if new is None else new) + c.tokens[len(pc):]
                c.rekey()
                renamed_by[id(c)] = hit

        def evidence(c, m, t, n=best, renamed_by=renamed_by, clean=clean):  # formatted later: bind this round's
            hit = renamed_by.get(id(c))
            pc, pm = clean[hit] if hit is not None else ((), ())
            old, new = (_real_prefix(c.name, len(pc)) if pc else ""), (_real_prefix(m.name, len(pm)) if pm else "")
            return f"scope `{old or '(root)'}` -> `{new or '(root)'}` explains {n} variable(s); {_shapes(c, m, t)}"

        def applied(c, renamed_by=renamed_by, hypotheses=hypotheses):
            hit = renamed_by.get(id(c))
            return hypotheses[hit] if hit is not None else None

        before = len(state.pairs)
        _equal_keys(state, pool_c, pool_m, "prefix", evidence, applied)
        _bare_weights(state, pool_c, pool_m, "prefix", evidence, applied)
        state.hypotheses += [h for h in hypotheses if h.proofs]
        if len(state.pairs) == before and not weak:  # a round that settles nothing would repeat itself
            return


def _layer_word(name: str) -> str:
    """A variable's layer's own name, lower case (``query`` of ``.../query/kernel``)."""
    return re.split(r"[/.]", _owner(name))[-1].lower()


def _squashed(name: str) -> str:
    """A name's letters and digits alone, lower case: its spelling whatever the separators."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _first_of_a_family(deep: set, proposals: dict, c_items: list, m_items: list) -> set:
    """The rules of ``deep`` whose shared suffix starts with a bare word the model numbers under the rule's new
    prefix and the file does not under its old one: bert4keras' attention holds ``dense`` .. ``dense_3`` (query,
    key, value, output), Google BERT's ``attention/output/dense`` is one layer of that word; ``dense`` matching
    ``dense`` there is the first of a family against a lone layer, no more than a leaf in common."""
    heads: dict[bool, set[tuple]] = {}  # side (model?) -> the keys cut after a word's number 1

    def numbered(prefix: tuple, model: bool) -> bool:
        found = heads.get(model)
        if found is None:
            found = heads[model] = {k[:i + 1] for it in (m_items if model else c_items) for k in (it.key,)
                                    for i in range(1, len(k)) if k[i] == "1" and not k[i - 1].isdigit()}
        return prefix in found

    out = set()
    for rule in deep:
        if rule not in proposals:
            continue
        pc, pm = rule
        _, m, _ = proposals[rule][0]
        word = m.key[len(pm)] if len(m.key) > len(pm) else ""
        if word and not word.isdigit() and not (len(m.key) > len(pm) + 1 and m.key[len(pm) + 1].isdigit()) and \
                numbered(pm + (word, "1"), True) and not numbered(pc + (word, "1"), False):
            out.add(rule)
    return out


def _within_families(proposals: dict, c_items: list, m_items: list) -> dict:
    """The proposals, without those that move a part of a numbered family's element out of the family
    (``encoder.layer.69.attention.output.`` -> ``cls.predictions.transform.`` where the model numbers its
    ``encoder.layer.N`` too). Which element of an equal family the model lost or gained is the numbering's question;
    a leftover element's sub-layer that fits a new head by shape says nothing of it. (A whole element renamed,
    ``layers.11.`` -> ``final_block.``, is not a part: it stays.)
    Nor those that move an element of one family onto an element of another that the file already holds under the
    model's name (SNAC's unused ``decoder.model.2.`` onto ``codec.encoder.block.2.``, where the file's own
    ``encoder.block.2.`` went under ``codec.``): the values that fit there are what an element inserted into the
    file's element leaves open, the numbering's question too, not a second source for it."""
    held: dict[int, set[tuple]] = {}  # prefix length -> the file's keys cut there

    def onto_held(rule: tuple) -> bool:
        pc, pm = rule
        if not all(len(p) >= 2 and p[-1].isdigit() and not _boundary(p, len(p) - 1) for p in rule) or \
                _unnumbered(pc) == _unnumbered(pm):
            return False  # (not elements on both sides, a scope added over all; or one family renumbered: a shift)
        found = held.get(len(pm))
        if found is None:
            found = held[len(pm)] = {c.key[:len(pm)] for c in c_items if len(c.key) > len(pm)}
        return pm in found

    proposals = {rule: pairs for rule, pairs in proposals.items() if not onto_held(rule)}

    def parts(rule: tuple) -> list[int]:  # where the old prefix has an element number with more after it
        pc, pm = rule
        return [p for p in range(1, len(pc) - 1) if not _boundary(pc, p) and pm[:p] != pc[:p]]

    moving = {rule: at for rule in proposals if (at := parts(rule))}
    if not moving:
        return proposals
    numbers: dict[tuple, set[str]] = defaultdict(set)  # the model's numbered families (name to the number)
    for m in m_items:
        key = m.key
        for p in range(1, len(key)):
            if not _boundary(key, p):
                numbers[key[:p]].add(key[p])
    heads = {head for head, found in numbers.items() if len(found) > 1}
    return {rule: pairs for rule, pairs in proposals.items()
            if not any(rule[0][:p] in heads for p in moving.get(rule, ()))}


def _by_position(parts: list[tuple]) -> bool:
    """Members named by position alone: indices (``0``, ``2``) or one auto-numbered family (Keras' ``dense``,
    ``dense_1``: the class and the creation order, no name the user gave)."""
    if all(len(p) == 1 and p[0].isdigit() for p in parts):
        return True
    return len({p[0] for p in parts}) == 1 and all(len(p) == 1 or len(p) == 2 and p[1].isdigit() for p in parts)


def _positional_members(rules: list, pool_c: list, pool_m: list) -> set[tuple]:
    """Of one-layer renamings that name nothing alike, those that together rename every free layer of one container
    whose members one side names by position alone (``_by_position``), in the same order on both sides: PyTorch's
    Sequential ``encoder.0``, ``encoder.2`` (a ReLU between) for a Keras 3 Sequential's ``encoder/layers/dense``,
    ``dense_1``; a Keras dict's ``heads/dense``, ``dense_1`` for ``heads.cls``, ``heads.box``. A position is no name
    that could disagree: the container's members aligned in order, not layers renamed (and two or more of them, so
    a lone new head is not one)."""
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for pc, pm in rules:
        k = len(pc) - len(_renamed_parts((pc, pm))[0])  # the leading tokens both share: the container
        if k:
            groups[pc[:k]].append((pc, pm))
    out: set[tuple] = set()

    def rank(part: tuple) -> tuple:
        return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in part)

    for container, group in groups.items():
        k = len(container)
        parts_c, parts_m = [pc[k:] for pc, _ in group], [pm[k:] for _, pm in group]
        if len(group) < 2 or len(set(parts_c)) < len(group) or len(set(parts_m)) < len(group) or not any(
                map(_by_position, (parts_c, parts_m))):
            continue
        covered, first = True, [[math.inf] * len(group), [math.inf] * len(group)]  # per side: each member's order
        for pool, side in ((pool_c, 0), (pool_m, 1)):
            for it in pool:
                key = it.key
                if key[:k] != container:
                    continue
                at = [i for i, r in enumerate(group) if key[:len(r[side])] == r[side] and _boundary(key, len(r[side]))]
                if not at:
                    covered = False  # another free layer in the container: not its members one for one
                    break
                first[side][at[-1]] = min(first[side][at[-1]], it.order)
        # the order of the members: by position where a side names them so, else as written / created
        orders = [sorted(range(len(group)), key=lambda i: rank(parts[i]) if _by_position(parts) else first[side][i])
                  for side, parts in enumerate((parts_c, parts_m))]
        if covered and orders[0] == orders[1]:
            out.update(group)
    return out


def _positions_in_place(state: _State, rules: list, proposals: dict, pool_m: list) -> set[tuple]:
    """Of one-layer renamings, those that give two or more members of one container named by position alone
    (``model.0``, ``model.2``: a Lightning module's Sequential) names (``stem``, ``proj``) where the container's
    other members went already by names that prove them (``model.1`` -> ``attn1``, its sub-layers named alike):
    each renamed member lies, in the model's creation order, between the layers its neighbouring positions went
    to, as the only free model layer there. Positions and creation order agree: the container was written out as
    named attributes, not a layer replaced (a lone renamed position stays the renamed-or-new question)."""
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for rule in rules:
        pc = rule[0]
        if len(pc) >= 2 and pc[-1].isdigit() and not pc[-2].isdigit():
            groups[pc[:-1]].append(rule)
    out: set[tuple] = set()
    for container, group in groups.items():
        if len(group) < 2:
            continue
        k = len(container)
        first = proposals[group[0]][0][0]
        real = _real_prefix(first.name, k)
        # the container's members paired before: position -> the model layer's first place in creation order
        places: dict[int, int] = {}
        for proof in state.pairs.values():
            name = proof.checkpoint.name
            if name.startswith(real) and name[len(real):len(real) + 1] in "/.":
                tokens = canonical(name)[0]
                if len(tokens) > k and tokens[:k] == container and tokens[k].isdigit():
                    places[int(tokens[k])] = min(places.get(int(tokens[k]), proof.model.order), proof.model.order)
        if not places:
            continue
        renamed = {int(rule[0][-1]): min(m.order for _, m, _ in proposals[rule]) for rule in group}
        if set(renamed) & set(places):
            continue
        everything = sorted({**places, **renamed}.items())
        orders = [o for _, o in everything]
        if orders != sorted(orders) or len(set(orders)) < len(orders):
            continue  # the positions and the model's order disagree
        targets = {id(m) for rule in group for _, m, _ in proposals[rule]}
        others = [m.order for m in pool_m if id(m) not in targets]
        ok = True
        for i, (position, _) in enumerate(everything):
            if position not in renamed:
                continue
            low = orders[i - 1] if i else -1
            high = orders[i + 1] if i + 1 < len(orders) else math.inf
            if any(low < o < high for o in others):
                ok = False  # another free layer between the same neighbours: which one the position went to?
                break
        if ok:
            out.update(group)
    return out


def _partial_fits(state: _State, rules: list, pool_c: list, pool_m: list, proposals: dict
                  ) -> dict[tuple, tuple[_Item, _Item | None]]:
    """{rule: (a free entry, the model variable it would become)} for the rules that rename a free entry onto a free
    model variable's name whose shape or dtype does not fit; or (a free kernel, None) for the rules that pair only a
    layer's vectors while its kernel has no place (a bias alone does not tell its layer)."""
    if not rules:
        return {}
    lengths = {len(pc) for pc, _ in rules}
    wanted = {pc for pc, _ in rules}
    under: dict[tuple, list[_Item]] = defaultdict(list)
    for c in pool_c:
        for n in lengths:
            if len(c.key) > n and c.key[:n] in wanted:
                under[c.key[:n]].append(c)
    by_key = {m.key: m for m in pool_m}
    # a key two values share says nothing of either (tf-slim's `depthwise_weights` and `pointwise_weights`: kernels)
    shared = Counter(c.key for c in {id(c): c for cs in under.values() for c in cs}.values())
    out: dict[tuple, tuple[_Item, _Item | None]] = {}
    for rule in rules:
        pc, pm = rule
        # (a kernel of the very layer whose vectors the rule pairs: `dnn/logits/kernel` beside `dnn/logits/bias`)
        layers = {_layer_path(c) for c, _, _ in proposals[rule]} \
            if all(len(c.shape) < 2 for c, _, _ in proposals[rule]) else set()
        for c in under.get(pc, ()):
            m = by_key.get(pm + c.key[len(pc):])
            if m is not None and shared[c.key] == 1 and not state.compatible(c, m)[0] or \
                    m is None and len(c.shape) >= 2 and _layer_path(c) in layers:
                out[rule] = (c, m)
                break
    return out


def _abbreviates(rule: tuple, proposals: dict) -> bool:
    """A renaming whose renamed parts agree token for token, some being a word and its abbreviation: the first
    three letters or more of one word of the other name as spelled (``enc`` / ``encoder``, ``emb`` /
    ``embedding``), never a whole word of it (``classifier`` of ``classifier_distill``: another layer, as likely as
    a renamed one) nor letters across its words (``deit`` of ``dei_t_encoder``)."""
    pc, pm = _renamed_parts(rule)
    c, m, _ = proposals[rule][0]
    added = len(c.tokens) - c.renamed[1] if c.renamed else 0
    if added and rule[1][:added] != rule[0][:added] and added < len(rule[0]):
        pc = rule[0][added:]  # the file's own words, not a scope an earlier rule put in front (``encoder``)
    if not pc or len(pc) != len(pm):
        return False
    found = False
    for a, b in zip(pc, pm, strict=True):
        if a != b:
            short, long, other = (a, b, m.name) if len(a) < len(b) else (b, a, c.name)
            spelled = set().union(*_tie_words([other]))
            if len(short) < 3 or not short.isalpha() or not long.isalpha() or not long.startswith(short) or \
                    short in spelled or not any(w.startswith(short) for w in spelled):
                return False
            found = True
    return found


def _told_by_spelling(rules: list, proposals: dict, pool_c: list, pool_m: list,
                      sides: tuple[list, list]) -> list | None:
    """Equally good ``rules`` that compete for values, told apart by a word their renamed names share as the user
    spelled them (``item_tower`` / ``item_encoder``, whose tokens ``itemtower`` / ``itemencoder`` share none), one
    layer's word on each side (``item``, not ``prelu`` or ``conv``, which name a kind) that every rival lacks on the
    side where the two differ (a rival of the same entry in its model name, of the same variable in its checkpoint
    name). A word with a number glued on (TabNet's ``transformblock_bn_f2`` / ``tabnet.f2.bn``) is such a word where it
    names one place on each side. The rules without rivals and those so told; None where no competing rule is told."""
    def words(rule) -> tuple[set[str], set[str], set[str]]:
        """(the checkpoint name's words, the model name's, those the renamed prefixes share beyond the scope)."""
        c, m, _ = proposals[rule][0]
        k = len(rule[0]) - len(_renamed_parts(rule)[0])
        pc, pm = _real_prefix(c.name, len(rule[0])), _real_prefix(m.name, len(rule[1]))
        kc, km = (_real_prefix(c.name, k), _real_prefix(m.name, k)) if k else ("", "")
        own = (_spelled_words(pc) & _spelled_words(pm)) - _spelled_words(kc)
        # A number glued to a word (`f2`, `stage2a`) says which element of a family; of the same family only where
        # one side's renamed part says every word of the other's (`transformblock_bn_f2` / `f2.bn`; not
        # `decoder_stage2a` / `segm_stage2a`: stage 2a of two heads)
        if any(ch.isdigit() for w in own for ch in w):
            # (a wrapper every name of a side has, `module.`, is no word of the renamed part)
            rc, rm = (p[max(len(q), wrapper(i) if wrapper(i) < len(p) else 0):]
                      for i, (p, q) in enumerate(((pc, kc), (pm, km))))
            if not (rc and rm and (all(w in _squashed(rc) for w in _spelled_words(rm)) or
                                   all(w in _squashed(rm) for w in _spelled_words(rc)))):
                own = {w for w in own if not any(ch.isdigit() for ch in w)}
        # (a rival's whole names count: QKeras' `q_separable_conv2d/depthwise_kernel` says `depthwise` in its leaf)
        return _spelled_words(c.name), _spelled_words(m.name), own

    wrappers: dict[int, int] = {}

    def wrapper(i: int) -> int:  # (the length of the start every name of side i has)
        if i not in wrappers:
            wrappers[i] = len(_common_prefix([it.name for it in sides[i]])) if sides[i] else 0
        return wrappers[i]

    entries = {r: {id(c) for c, _, _ in proposals[r]} for r in rules}
    variables = {r: {id(m) for _, m, _ in proposals[r]} for r in rules}
    rivals = {r: [q for q in rules if q is not r and (entries[q] & entries[r] or variables[q] & variables[r])]
              for r in rules}
    spelled = {r: words(r) for r in rules if rivals[r]}
    if not spelled:
        return None
    # how often each side says a word: a word alone once per layer of the names left (``item``, not ``prelu`` nor
    # ``conv``, nor a container's word, ``encoder``); a word with a number glued on once per place of all the side's
    # names (``_numbered_places``: ``f2``, not ``unit1`` of every stage)
    said = [Counter(w for path in {_raw_layer_path(it.name) for it in pool} for w in _raw_words(path))
            for pool in (pool_c, pool_m)]
    if any(ch.isdigit() for _, _, own in spelled.values() for w in own for ch in w):
        said = [counts + _numbered_places(side) for counts, side in zip(said, sides, strict=True)]
    kept, told = [r for r in rules if not rivals[r]], []
    for r, (_, _, own) in spelled.items():
        own = {w for w in own if said[0][w] == 1 and said[1][w] == 1}
        for q in rivals[r]:
            own -= (spelled[q][1] if entries[q] & entries[r] else set()) | \
                (spelled[q][0] if variables[q] & variables[r] else set())
        if own:
            told.append(r)
    return kept + told if told else None


_GLUED_WORD = re.compile(r"[a-z]+\d+[a-z0-9]*")  # a word with a number glued on: `f2`, `stage2a`, `conv2d`


def _glued_words(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", name.lower()) if _GLUED_WORD.fullmatch(t)}


def _spelled_words(name: str) -> set[str]:
    """The words of a name as spelled (``_raw_words``), and each token with a number glued on, whole
    (``transformblock_bn_f2``: transformblock, bn, f2)."""
    return _raw_words(name) | _glued_words(name)


def _numbered_places(items: list) -> Counter:
    """{word with a number glued on: in how many places the names of ``items`` say it}. Such a word names one element
    of a family, which its container and every layer in it say alike: a place is the outermost path segment saying
    it, siblings together (TabNet's ``transform_f2``, its layers ``transform`` and ``bn``; ``transform_block_1/
    dense_f2`` beside ``.../bn_f2``), against a kind's word that every block's layer says (``prelu3`` of ``rnet/``
    and ``onet/``, ``unit1`` of every stage)."""
    places: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for path in {_raw_layer_path(it.name) for it in items}:
        parts = tuple(re.split(r"[/.]", path))
        for i, part in enumerate(parts):
            for w in _glued_words(part):
                places[w].add(parts[:i + 1])
    return Counter({w: len({n[:-1] for n in found if not any(n[:k] in found for k in range(1, len(n)))})
                    for w, found in places.items()})


def _same_projection(rule: tuple) -> bool:
    """A renaming of one attention projection into the same projection (``query`` -> ``q_proj``, ``value`` ->
    ``to_v``; ``ATTENTION_PROJECTIONS``): the renamed layer's own word on each side, with their containers renamed
    alike or kept."""
    pc, pm = _renamed_parts(rule)
    if not pc or not pm:
        return False
    role = ATTENTION_PROJECTIONS.get(pc[-1])
    return role is not None and role == ATTENTION_PROJECTIONS.get(pm[-1])


def _whole_layers(pairs: list, pool_m: list) -> bool:
    """Do ``pairs`` take every open variable of each model layer they pair into?"""
    paired = Counter(m.key[:-1] for _, m, _ in pairs)
    sizes = Counter(m.key[:-1] for m in pool_m if m.key[:-1] in paired)
    return paired == sizes


def _worded(name: str) -> bool:
    """A name of two words or more and no number (an auto-numbered ``batch_normalization_2`` ends
    ``q_batch_normalization_2`` by a number a session gave, no word of the user's)."""
    return len(_raw_words(name)) >= 2 and not any(ch.isdigit() for ch in name)


def _squashed_end(rule: tuple, proposals: dict) -> bool:
    """Is one renamed name the end of the other, spelled without separators (``embeddings_layer_norm`` and
    ``distilbert.embeddings.LayerNorm``), the shorter of two words or more and no number (``_worded``)?"""
    c, m, _ = proposals[rule][0]
    pc, pm = _real_prefix(c.name, len(rule[0])), _real_prefix(m.name, len(rule[1]))
    a, b = _squashed(pc), _squashed(pm)
    short = pc if len(a) <= len(b) else pm
    return a != b and (a.endswith(b) or b.endswith(a)) and _worded(short)


def _apart(rules: list, proposals: dict) -> bool:
    """No variable or entry is paired by two of ``rules``."""
    seen: set[int] = set()
    for rule in rules:
        for c, m, _ in proposals[rule]:
            if id(c) in seen or id(m) in seen:
                return False
        seen.update(x for c, m, _ in proposals[rule] for x in (id(c), id(m)))
    return True


def _renamed_parts(rule: tuple) -> tuple[tuple, tuple]:
    """A scope rule's two prefixes without the leading tokens they share (``tcn/residual_block_0`` ->
    ``tcn/blocks/0``: ``residual_block_0`` -> ``blocks/0``)."""
    pc, pm = rule
    k = 0
    while k < min(len(pc), len(pm)) and pc[k] == pm[k]:
        k += 1
    return pc[k:], pm[k:]


def _twin_keys(name: str, digits: bool) -> list[tuple]:
    """Keys under which ``name`` meets its twins, the names that differ from it in one path segment's number only:
    per segment, the name with that segment's number taken off (``cf_c_1`` and ``cf_c``; with ``digits``, a bare
    number too: ``layer.1`` and ``layer.0``)."""
    segs = re.split(r"[/.]", name) if digits else name.split("/")
    return [(i, tuple(segs[:i]), "#" if digits and seg.isdigit() else _NUMBER_SUFFIX.sub("", seg), tuple(segs[i + 1:]))
            for i, seg in enumerate(segs)]


def _twin_streams(state: _State, c_items: list, m_items: list) -> None:
    """The file holds twin containers (two equal streams, ``layers/cf_c`` and ``layers/cf_c_1``: the same names and
    shapes below each) and the model one. Where the model container's other variables stay ambiguous between the
    twins, a pair the layer order alone made into it from one twin chose nothing either: two conventions' orders of
    a container's members (a Keras cell's own variables before its backbone, PyTorch's after) can prefer one twin's
    unit for where it is written, not for what it is. It is ambiguous between the twins' units. (Where the model
    holds twins too, ``layer.0`` and ``layer.1``, blocks pair with blocks: not this case.)"""
    structure = [p for p in state.pairs.values() if p.stage == "structure"]
    if not structure or not state.ambiguous:
        return
    model_twins = Counter(k for m in m_items for k in _twin_keys(strip_name(m.ref.name), True))
    file_twins: dict[tuple, list[_Item]] = defaultdict(list)
    for c in c_items:
        for k in _twin_keys(c.ref.name, False):
            file_twins[k].append(c)
    ambiguous = sorted((strip_name(m.ref.name), [x.ref.name for x in cands])
                       for m, cands, _ in state.ambiguous.values())
    keys = [k for k, _ in ambiguous]
    for p in structure:
        c, m = p.checkpoint, p.model
        segs = c.ref.name.split("/")
        twins = [(k[0], x.ref.name.split("/")[k[0]], x)  # (segment, its twin's spelling, the twin's value)
                 for k in _twin_keys(c.ref.name, False) for x in file_twins[k] if x is not c and x.shape == c.shape]
        name = strip_name(m.ref.name)
        if not twins or any(model_twins[k] > 1 for k in _twin_keys(name, True)):
            continue
        own = _owner(name)
        undecided = False
        for cut in reversed(_cuts(own)):  # the nearest container with other variables left ambiguous
            lo, hi = bisect.bisect_left(keys, name[:cut]), bisect.bisect_left(keys, name[:cut] + "\U0010ffff")
            sibs = [cands for k, cands in ambiguous[lo:hi] if _owner(k) != own]
            if not sibs:
                continue
            undecided = any(any(x.split("/")[i:i + 1] == [segs[i]] for x in cands) and
                            any(x.split("/")[i:i + 1] == [t] for x in cands) and
                            all(x.split("/")[:i] == segs[:i] for x in cands)
                            for cands in sibs for i, t, _ in twins)
            break
        if undecided:
            state.drop_pair(m)
            state.set_ambiguous(m, [c] + [x for _, _, x in twins], "the file holds twin containers and the other "
                                "variables of this one stay ambiguous between them: the layer order chose neither")


_NEW_CONTAINER = 8  # a top-level container of more layers, where at most one in this many pairs, is doubted


def _lone_in_new(state: _State, m_items: list) -> None:
    """A few layers, one in eight or fewer, of a big top-level model container (``mit.``: an encoder of 37 layers
    that no value of the file reaches) paired by anything but their exact names, the other layers all new: values
    left over that fit them (decoder convs of the file whose own layers the model lacks, by shape into pointwise
    convs of the new encoder) as likely as renamed layers. Were the file's the container's values, more would pair.
    Ambiguous, never applied."""
    # the rules of one layer alone (not a scope over many, `_orig_mod.` dropped)
    narrow = {id(h) for h in state.hypotheses if h.proofs and not _wider_than_a_layer(next(iter(h.proofs.values())))}

    def doubtable(p: Proof) -> bool:  # a pair by order, or by a rule of its own layer alone
        return p.stage == "structure" or p.hypothesis is not None and id(p.hypothesis) in narrow

    def top_of(name: str) -> str:
        return re.split(r"[/.]", name, maxsplit=1)[0]

    doubted = {top_of(p.model.name) for p in state.pairs.values() if doubtable(p)}
    shaped = [m for m in m_items if m.shape] if doubted else []
    for top in doubted:
        members = [m for m in shaped if m.name.startswith(top) and m.name[len(top):len(top) + 1] in ("/", ".")]
        if len(members) == len(shaped):
            return  # one container: the model itself, not a part of it that may be new
        layers = {_owner(m.name) for m in members}
        proofs = [state.pairs[id(m)] for m in members if id(m) in state.pairs]
        if len(layers) <= _NEW_CONTAINER or not proofs or not all(map(doubtable, proofs)) or \
                len({_owner(p.model.name) for p in proofs}) * _NEW_CONTAINER > len(layers):
            continue
        for proof in proofs:
            state.drop_pair(proof.model)
            state.set_ambiguous(proof.model, [proof.checkpoint], f"one of the few layers of `{top}` ({len(layers)} "
                                "layers, the others new) that take a value: renamed, or a value left over that fits?")
    state.hypotheses = [h for h in state.hypotheses if h.proofs]


def _lone_renames(state: _State) -> None:
    """A single layer renamed to a name sharing no word was applied while nothing else was explained by names
    (``dense_3`` -> ``novel`` before the renumbering ``dense_4`` -> ``dense_1`` was found). Once other layers load
    by their names or are explained by names, it is a replaced layer as likely as a renamed one: ambiguous."""
    lone = [h for h in state.hypotheses if h.lone and h.proofs]
    if not lone or not (state.anchored or any(
            h.proofs and (h.stage == "numbering" or h.rule[0] == "scope" and h.stage == "prefix" and
                          _words(h.rule[1]) & _words(h.rule[2])) for h in state.hypotheses)):
        return
    for h in lone:
        for proof in list(h.proofs.values()):
            state.drop_pair(proof.model)
            state.set_ambiguous(proof.model, [proof.checkpoint], "a single layer under another name, next to layers "
                                "whose names explain them: renamed, or replaced by a new layer?")
            state.shallow.add(id(proof.model))  # only a unique structural alignment may still decide
    state.hypotheses = [h for h in state.hypotheses if h.proofs]


# -- numbering ------------------------------------------------------------------------------------------------

def _numbered_key(key: tuple[str, ...], words: set[str]) -> tuple[str, ...]:
    """Make Keras' implicit number explicit: ``dense`` is ``dense 0`` when some ``dense_N`` exists."""
    out = []
    for i, t in enumerate(key):
        out.append(t)
        if t in words and (i + 1 == len(key) or not key[i + 1].isdigit()):
            out.append("0")
    return tuple(out)


def _numbering(state: _State, c_items, m_items) -> None:
    pool_c, pool_m = _pool(state, c_items, m_items)
    if not pool_c and not pool_m:
        return
    # Words that carry numbers somewhere ("dense" in dense_3); layers share all but their last token, so the
    # distinct heads are scanned, plus the rare names whose last token is a number.
    heads: set[tuple] = set()
    tails: set[tuple] = set()
    for it in itertools.chain(c_items, m_items):
        key = it.key
        heads.add(key[:-1])
        if len(key) > 1 and key[-1].isdigit():
            tails.add(key[-2:])
    words = {a for k in itertools.chain(heads, tails) for a, b in zip(k, k[1:], strict=False)
             if b.isdigit() and not a.isdigit()}
    # Per layer (all but the last token, the variables of one layer share it): each number in it, with Keras'
    # implicit numbers made explicit (``_numbered_key``), as (family, number, the rest of the layer's name).
    layers: dict[tuple, tuple[tuple, list]] = {}

    def numbers_in(head: tuple) -> tuple[tuple, list[tuple[tuple, int, tuple]]]:
        found = layers.get(head)
        if found is None:
            nh = _numbered_key(head, words)
            found = layers[head] = nh, [((p, nh[:p]), int(t), nh[p + 1:]) for p, t in enumerate(nh)
                                        if t.isdigit()]
        return found

    def special(key: tuple) -> list[tuple[tuple, int, tuple]] | None:
        """A variable numbered by its last token: (family, number, member) of each number, else None."""
        last = key[-1:]
        if not last or not (last[0] in words or last[0].isdigit()):
            return None
        nh, found = numbers_in(key[:-1])
        if last[0] in words:  # ``dense`` as the last token: ``dense 0``
            return [(family, n, rest + last + ("0",)) for family, n, rest in found] + \
                [((len(nh) + 1, nh + last), 0, ())]
        # numbered by its last token (ParameterList ``params.3``)
        return [(family, n, rest + last) for family, n, rest in found] + [((len(nh), nh), int(last[0]), ())]

    def numbered(items, seen: set) -> Iterator[list[tuple[tuple, int, tuple]]]:
        """``special`` or ``numbers_in`` of each item; a layer's variables share the latter, so each layer once."""
        for it in items:
            key = it.key
            # (``special`` inlined where it finds nothing: a last token neither a numbered word nor a number)
            extra = special(key) if key and (key[-1] in words or key[-1].isdigit()) else None
            if extra is not None:
                yield extra
            else:
                head = key[:-1]
                if head not in seen:
                    seen.add(head)
                    yield numbers_in(head)[1]

    def touched_by(pool_c: list, pool_m: list) -> set[tuple]:
        """The families that hold a value nobody took."""
        return {family for found in numbered(itertools.chain(pool_c, pool_m), set()) for family, _, _ in found}

    def new_elements(pool_m: list, families: set) -> set[tuple]:
        """Those of ``families`` with an element (a family's layer, all its variables) where a variable of
        ``pool_m`` is and no model variable is paired or ambiguous."""
        def elements(items) -> set[tuple]:
            return {(f, n) for found in numbered(items, set()) for f, n, _ in found if f in families}

        free = elements(pool_m) if families else set()
        if free:
            free -= elements(m for m in m_items if m.busy)
        return {f for f, _ in free}

    def build(todo: set) -> dict[tuple, dict[str, dict[int, dict[tuple, _Item]]]]:
        """The families in ``todo``: per side, number -> {member: item}, every item of the family (taken or not)."""
        families: dict[tuple, dict[str, dict[int, dict[tuple, _Item]]]] = {}

        def layer_of(family: tuple, side: str, number: int) -> dict:
            fam = families.get(family)
            if fam is None:
                fam = families[family] = {"c": {}, "m": {}}
            layer = fam[side].get(number)
            if layer is None:
                layer = fam[side][number] = {}
            return layer

        for side, items in (("c", c_items), ("m", m_items)):
            slots: dict[tuple, list] = {}  # layer -> [(its layer in a family to build, the rest of its name)]
            for it in items:
                key = it.key
                extra = special(key) if key and (key[-1] in words or key[-1].isdigit()) else None
                if extra is not None:
                    for family, number, member in extra:
                        if family in todo:
                            layer_of(family, side, number)[member] = it
                    continue
                head = key[:-1]
                at = slots.get(head)
                if at is None:
                    at = slots[head] = [(layer_of(family, side, number), rest)
                                        for family, number, rest in numbers_in(head)[1] if family in todo]
                # (a layer's main weight is its member by name, whatever leaf it has or lacks: XLNet's `rel_attn.q`
                # parameter is `rel_attn/q/kernel`; as ``_bare_weights`` pairs them)
                member = key[-1:] if key[-1] != _W else ()
                for layer, rest in at:
                    layer[rest + member] = it
        return families

    # Innermost families first (deepest number position), one depth at a time: an outer family is only built and
    # looked at while it still holds an unpaired value (the inner ones usually settle everything).
    # (``_has_free`` needs a free checkpoint value, or a free model variable and some pair by name: a family with
    # neither is not built)
    by_name = any(proof.stage in _BY_NAME for proof in state.pairs.values())
    touched_c, touched_m = touched_by(pool_c, []), touched_by([], pool_m)
    touched = touched_c | touched_m
    worth = touched_c | touched_m if by_name else touched_c
    depths = sorted({family[0] for family in touched}, reverse=True)
    for i, depth in enumerate(depths):
        if i:  # what the deeper families left
            pool_c, pool_m = _pool(state, c_items, m_items)
            by_name = any(proof.stage in _BY_NAME for proof in state.pairs.values())
            worth = touched_by(pool_c, []) & touched
            if by_name and pool_m:
                # a free model variable makes an outer family worth a look only where its whole element is new
                # (a block appended or inserted): one new layer inside a block leaves the blocks' numbers as they are
                worth |= new_elements(pool_m, {f for f in touched_by([], pool_m) & touched if f[0] == depth})
        todo = {family for family in worth if family[0] == depth}
        if not todo:
            continue
        for (_p, prefix), fam in build(todo).items():
            if fam["c"] and fam["m"] and _has_free(state, fam):
                _family(state, "/".join(prefix), fam["c"], fam["m"])
    _glued_families(state, c_items, m_items)


# A number glued to its word (``conv3``, ``fc2``, CREPE's ``conv3_BN`` read as ``conv3bn``): the word, the number and
# a word of two letters after it (``conv2d`` is a class name, not layer 2 of ``conv?d``).
_GLUED_NUMBER = re.compile(r"^([a-z]+?)(\d+)([a-z]{2})?$")


_TORCH_RNN_WORDS = {"weightihl", "weighthhl", "biasihl", "biashhl"}  # ``weight_ih_l1`` read as one token
_TORCH_RNN_SUFFIXED = re.compile(r"^(weightihl|weighthhl|biasihl|biashhl)(\d+)([a-z]+)$")  # ``weight_hh_l1_raw``


def _glued_keys(key: tuple) -> list[tuple[tuple, int, tuple]]:
    """(family, number, member) for each token of ``key`` with a glued number."""
    out = []
    for p, t in enumerate(key):
        if t[:1] in "wb" and not t[-1:].isdigit() and (found := _TORCH_RNN_SUFFIXED.match(t)):
            # a bidirectional layer's backward weights (`weight_ih_l1_reverse`), WeightDrop's `weight_hh_l1_raw`
            out.append(((p, key[:p], "rnnl"), int(found[2]), (found[1] + found[3],) + key[p + 1:]))
            continue
        if t[-1:].isdigit() or len(t) > 3 and t[-3:-2].isdigit():  # (what the pattern can match, cheaply)
            found = _GLUED_NUMBER.match(t)
            if found and len(found[2]) < 6:
                # ``conv3`` and ``conv3bn`` are one numbered unit (a conv and its norm): the word after the number
                # is part of the member, so their shapes are weighed together
                word, role = found[1], found[3] or ""
                if word in _TORCH_RNN_WORDS:  # the four weights of a recurrent layer are one numbered unit
                    word, role = "rnnl", word + role
                out.append(((p, key[:p], word), int(found[2]), (role,) + key[p + 1:]))
    return out


def _glued_families(state: _State, c_items, m_items) -> None:
    """Families of names whose numbers are glued to their word (``conv1`` .. ``conv6``). People choose such names
    themselves, so the names are trusted as written, except where they contradict the shapes: a number on both
    sides under which a member disagrees in shape or dtype (``conv4`` of the checkpoint is not ``conv4`` of the
    model). That family is then weighed like an auto-numbered one (``_family``): a shift that explains every
    value pairs the layers it moves, and equal layers either of which may have gone are ambiguous."""
    def keys(it: _Item) -> list[tuple[tuple, int, tuple]]:
        return _glued_keys(it.key) + _indexed_keys(it)

    candidates = {family for c in c_items if not c.busy for family, _, _ in keys(c)}
    if not candidates:
        return
    families: dict[tuple, dict[str, dict[int, dict[tuple, _Item]]]] = {f: {"c": {}, "m": {}} for f in candidates}
    renamed: set[tuple] = set()  # families holding a checkpoint name a scope rule rewrote: not as written
    for side, items in (("c", c_items), ("m", m_items)):
        for it in items:
            for family, number, member in keys(it):
                if family in families:
                    families[family][side].setdefault(number, {})[member] = it
                    if it.renamed is not None:
                        renamed.add(family)
    # (the family itself last: families are found in a set, and their order decides what is settled first)
    def listed(lc: dict, lm: dict) -> bool:
        """Equal elements numbered from 0 on both sides, one side with more: a program's list (sb3-contrib's TQC
        critics, ``qf0``, ``qf1``, made by ``add_module(f"qf{i}")``; people number their layers from 1)."""
        shapes = {tuple(sorted((member, it.shape) for member, it in layer.items()))
                  for layer in itertools.chain(lc.values(), lm.values())}
        return len(shapes) == 1 and min(lc) == min(lm) == 0 and len(lc) != len(lm) and max(len(lc), len(lm)) >= 2

    for family, fam in sorted(families.items(), key=lambda kv: (-len(kv[0][1]), kv[0][0] == "indexed", repr(kv[0]))):
        lc, lm = fam["c"], fam["m"]
        if family in renamed or not lc or not lm:
            continue
        # Numbers a program gave (PyTorch's stacked recurrent layers; loop-built names such as ``conv4_block3_1``;
        # a list of equal elements from 0): a checkpoint layer left over among them is the auto-numbering question
        # (which one went?), as with Keras' ``dense_N``; so where the model keeps one element of two (keras-resnet's
        # `res2b1` of `res2b1`, `res2b2`: which block went, the number does not say)
        auto = (family[2] in ("rnnl", "indexed") or listed(lc, lm)) and \
            any(not c.busy for layer in lc.values() for c in layer.values())
        if (len(lc) < 2 or len(lm) < 2) and not listed(lc, lm) and not (auto and len(lc) >= 2):
            continue
        if not auto and not _conflicts(state, lc, lm, sorted(lc)):
            continue
        _family(state, "/".join(family[1] + (family[2],)) if family[0] != "indexed" else family[1], lc, lm,
                reorders=False)


_INDEX = re.compile(r"\d+")


def _indexed_keys(it: _Item) -> list[tuple[tuple, int, tuple]]:
    """Layer names a loop built, with two numbers or more in one segment (``conv4_block3_1_conv``: stage, block,
    layer): for each of those numbers, (family, number, member), the family being the name up to that number
    (``conv4_block#``: a block is one unit, its layers weighed together) and the member the rest of the name with
    the variable's role (``_1_conv``, kernel)."""
    found = _POSITIONAL.match(it.name)
    layer = found["layer"] if found else _owner(it.name)
    out = []
    start = max(layer.rfind("/"), layer.rfind(".")) + 1
    segment = layer[start:]
    numbers = list(_INDEX.finditer(segment))
    found = _BLOCK_INDEX.match(segment) if it.key else None
    if len(numbers) >= 2 and it.key and not (found and found["letter"]):
        # (a parent's numbers are no part of the family: tf-TabNet's `transform_block_3/transformblock_dense_f3_1`
        # and `transform_block_4/transformblock_dense_f3_2` are steps 1 and 2 of one block, each in a Keras
        # auto-numbered scope of its own)
        parent = _INDEX.sub("#", layer[:start])
        for m in numbers:
            unit = parent + segment[:m.start()] + "#"
            out.append((("indexed", unit, "indexed"), int(m.group()), (segment[m.end():],) + it.key[-1:]))
    elif it.key:
        # keras.applications' blocks numbered or lettered inside one name (``expanded_conv_13_expand``,
        # ``block6b_expand_conv``): the block's index, its layers after it (a number in the layer's own name after
        # the block's letter, ``block5g_dwconv2``, is the layer's, not another index)
        if found:
            index = int(found["n"]) if found["n"] else ord(found["letter"]) - ord("a")
            unit = layer[:start] + found["unit"] + "#"
            out.append((("indexed", unit, "indexed"), index, (found["rest"],) + it.key[-1:]))
    return out


# a block index inside a layer name: a number between underscores, a letter right after the stage's number, a
# number the name starts with (musicnn's ``1CNN`` .. ``5CNN``), or a number glued to a word inside the name
# (keras-unet-collection's ``unet_up0_decode_bn``: decoder level 0) or to the name's first word (a loop's
# ``tcn2_skip``, ``tcn2_dconv``: block 2)
_BLOCK_INDEX = re.compile(r"^(?P<unit>[A-Za-z][A-Za-z_]*?_(?=\d+_)|[A-Za-z][A-Za-z_]*\d(?=[a-z]_)|(?=\d+[A-Za-z]{2})|"
                          r"[A-Za-z][A-Za-z]*_(?:[A-Za-z]+_)*[A-Za-z]+(?=\d+_[A-Za-z])|[A-Za-z]+(?=\d+_[A-Za-z]))"
                          r"(?:(?P<n>\d+)|(?P<letter>[a-z]))(?P<rest>_?[A-Za-z].*)$")


# Pairs made by names as they are: the same name, or the same name in another convention (``layer_4`` / ``layer.4``)
_BY_NAME = frozenset({"exact", "conventions", "prefix"})


def _has_free(state: _State, fam) -> bool:
    """Is the family worth a look? A checkpoint value nobody took (an extra checkpoint layer among identical ones
    makes every name-pairing after it doubtful), or a new model variable next to pairs made by name only (which
    an insertion may have shifted). New variables beside pairs already proven by structure change nothing."""
    if any(id(it) not in state.taken_c for layer in fam["c"].values() for it in layer.values()):
        return True
    models = [it for layer in fam["m"].values() for it in layer.values()]
    if all(id(it) in state.pairs or id(it) in state.ambiguous for it in models):
        return False
    return any(state.pairs[id(it)].stage in _BY_NAME for it in models if id(it) in state.pairs)


def _layer_score(state: _State, c_layer: dict, m_layer: dict) -> int:
    score = 0
    for member, c in c_layer.items():
        m = m_layer.get(member)
        if m is not None:
            score += 1 if state.compatible(c, m)[0] else -1
    return score


def _family(state: _State, family: str, lc: dict[int, dict], lm: dict[int, dict], reorders: bool = True) -> None:
    """Weigh the renumberings of one family (``reorders``: left-over layers may pair by a unique composition, as
    auto-numbered layers created in another order do; names people chose are not reordered by shape)."""
    numbers = sorted(lc)
    scores: dict[tuple[int, int], int] = {}

    def pair_score(nc: int, nm: int) -> int:
        key = (nc, nm)
        score = scores.get(key)
        if score is None:
            score = scores[key] = _layer_score(state, lc[nc], lm[nm]) if nm in lm else 0
        return score

    identity = [pair_score(n, n) for n in numbers]
    free_c = [n for n in numbers if any(id(it) not in state.taken_c for it in lc[n].values())]
    free_m = [n for n in lm if any(not it.busy for it in lm[n].values())]
    everything = sum(len(layer) for layer in lc.values())
    if any(sum(pair_score(n, n + d) for n in numbers) == everything for d in (1, -1)):
        offsets = {1, -1}  # a shift by one explains every value: the common case needs no search
    elif len(free_c) * len(free_m) <= 4_096:  # offsets suggested by compatible layers nobody has paired yet
        diffs = Counter(nm - nc for nc in free_c for nm in free_m
                        if nm != nc and len(lc[nc]) == len(lm[nm]) and pair_score(nc, nm) > 0)
        offsets = {1, -1} | {d for d, _ in diffs.most_common(3)}
    else:
        offsets = {1, -1, 2, -2, 3, -3} if len(numbers) <= 256 else {1, -1}
    # as many elements moved as one side has more (two blocks of a layer removed together: every number after
    # them down by two), where no free pair of layers suggests it (the model's all taken by their names)
    offsets.add(max(-8, min(8, len(lm) - len(lc))))
    # Hypothesis (d, k): checkpoint numbers >= k move by d (an insertion before k when d > 0); when d < 0,
    # layers k .. k-d-1 were removed and numbers >= k-d move down by -d. Numbers below k keep their number.
    hypotheses: list[tuple[int, int, int | None]] = [(sum(identity), 0, numbers[0])]  # (score, offset, from)
    prefix = [0]
    for score in identity:
        prefix.append(prefix[-1] + score)
    for d in sorted(offsets - {0}, key=abs):
        shifted = [pair_score(n, n + d) for n in numbers]
        suffix = [0] * (len(numbers) + 1)
        for i in range(len(numbers) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + shifted[i]
        hypotheses.append((suffix[0], d, None))  # every number moves (names auto-numbered differently)
        for i, k in enumerate(numbers[1:] if d > 0 else numbers, start=1 if d > 0 else 0):
            start = i if d > 0 else _first_at_least(numbers, k - d)
            hypotheses.append((prefix[i] + suffix[start], d, k))
    best = max(h[0] for h in hypotheses)
    if best <= 0:
        return
    winners = [h for h in hypotheses if h[0] == best]
    if len(winners) > 1:
        # As many values either way: the renumberings that keep more layers in correspondence (a number of one side
        # that is a number of the other). Where both sides hold the same layers and some differ in their members'
        # names (a layer's `kernel` renamed), shifting every number explains no more values, and drops a layer at
        # one end while adding one at the other.
        kept = {h: sum(1 for t in _mapping(numbers, h[1], h[2]).values() if t is not None and t in lm)
                for h in winners}
        winners = [h for h in winners if kept[h] == max(kept.values())]
    if len(winners) > 1 and state.trained:
        # A value with optimizer slots was being trained when the file was saved; a graph may hold another model
        # beside it that nothing trained (its layers numbered first, of the same shapes where the two agree). Of
        # renumberings that tie, those giving the model more of the trained layers.
        trained = {h: sum(1 for n, t in _mapping(numbers, h[1], h[2]).items()
                          if t is not None and t in lm and any(id(c) in state.trained for c in lc[n].values()))
                   for h in winners}
        if len(set(trained.values())) > 1:
            winners = [h for h in winners if trained[h] == max(trained.values())]
            first = next(iter(lm[min(lm)].values()))
            state.cautions.append(
                f"`{_owner(first.name)}` and the layers numbered with it: of the renumberings that explain as many "
                "values, the one taken gives the model the layers an optimizer was training when the file was saved "
                "(their values have slots; the others' have none: another model in the same graph)")
    if len(winners) == 1 and winners[0][1] != 0:
        moved = _mapping(numbers, winners[0][1], winners[0][2])
        conflicts = _conflicts(state, lc, lm, numbers)
        # The names agree wherever they overlap, shapes included: renumbering everything explains more pairs, but
        # "one layer new, one gone" explains the same facts. Only a conflict under the names would tell; and with
        # as many layers on both sides, conflicts only at layers the renumbering leaves without a value are one
        # layer resized (`ln_1` widened), which explains them as well as one removed and one inserted.
        if not conflicts and any(moved[n] != n and n in lm for n in numbers) or \
                conflicts and len(lc) == len(lm) and not set(conflicts) & set(moved.values()):
            winners.append((best, 0, numbers[0]))
    mappings = [_mapping(numbers, d, k) for _, d, k in winners]
    if len(winners) == 1 and winners[0][1] == 0:
        if reorders:
            _compositions(state, family, lc, lm)  # the names are right; reordered leftovers may remain
        return
    agreed = {n for n in numbers if len({mp[n] for mp in mappings}) == 1}
    if len(winners) > 1 and reorders:  # no renumbering stands out: unique compositions may still settle some layers
        disputed_c = {n for n in numbers if n not in agreed}
        disputed_m = {mp[n] for mp in mappings for n in disputed_c} - {None}
        _compositions(state, family, lc, lm, disputed_c, disputed_m)
    reason = "layers of this kind could be renumbered in several ways that fit equally well"
    def rule(d: int, k: int | None) -> tuple:  # the first number that moves: k, past the removed ones, or all
        # (every number moving down: those that would fall below 0 load nowhere, as removed ones)
        return "renumber", tuple(family.split("/")), d, max(numbers[0], -d) if k is None else k if d > 0 else k - d

    hypothesis = Hypothesis("numbering", rule(*winners[0][1:]), best, tuple(rule(d, k) for _, d, k in winners[1:]))
    by_number: dict[int, Hypothesis] = {}  # where the layers' order, not one renumbering, explains a number
    if len(winners) == 1:
        ordered = _in_order(state, lc, lm, numbers, mappings[0])
        if ordered is not None:
            # two changes or more (a layer inserted here, another there): the one renumbering that fits best
            # contradicts some layer it maps, and its other pairs past that point may rest on shapes that merely
            # agree. The layers' order decides instead, where it is unique; equal neighbours either of which may
            # be the new one are ambiguous.
            mappings = ordered
            agreed = {n for n in numbers if len({mp[n] for mp in mappings}) == 1}
            reason = "equal layers next to each other, either of which may be the new one or the one removed"
            run: Hypothesis | None = None  # one renumbering per run of numbers that move by one offset
            for n in numbers:
                t = mappings[0][n]
                if n in agreed and t is not None:
                    if run is None or run.rule[2] != t - n:
                        run = Hypothesis("numbering", rule(t - n, n if t >= n else t), 0)
                    by_number[n] = run
                    run.support += len(lc[n])
    for n in numbers:
        targets = {t for mp in mappings if (t := mp[n]) is not None}
        # a layer takes a layer's values whole or not at all: a kernel that does not fit says the bias is not it
        whole = {t: all(state.compatible(c, lm[t][member])[0] for member, c in lc[n].items() if member in lm[t])
                 for t in targets if t in lm}
        for member, c in lc[n].items():
            for t in targets:
                m = lm.get(t, {}).get(member)
                if m is None:
                    continue
                if n in agreed:
                    if whole[t]:
                        _claim(state, c, m, by_number.get(n, hypothesis))
                else:
                    cands = [lc[n2][member] for n2 in numbers
                             if member in lc[n2] and any(mp[n2] == t for mp in mappings)]
                    _make_ambiguous(state, m, cands, reason)
    for n in numbers:  # checkpoint layers that no winning hypothesis keeps are not exact matches either
        if n not in agreed or agreed and next(iter(mappings))[n] is None:
            for c in lc[n].values():
                _release(state, c)
    for h in dict.fromkeys([hypothesis, *by_number.values()]):
        if h.proofs:
            state.hypotheses.append(h)
    if reorders:
        _compositions(state, family, lc, lm)


def _in_order(state: _State, lc: dict[int, dict], lm: dict[int, dict], numbers: list[int],
              mapping: dict[int, int | None]) -> list[dict[int, int | None]] | None:
    """Where ``mapping`` (one renumbering) pairs a layer with one that does not fit it (a member of another shape
    or dtype, or no member in common) or with a number the model does not have (a layer it neither pairs nor calls
    removed), the family's layers aligned by their order instead: the longest sequence of layers that fit, in
    number order on both sides (layers on one side only allowed anywhere), as two extreme alignments (each layer as
    early as it can go, and as late): [first, last], ``number -> number or None``. Where the two agree, the order
    proves the pair; where not, equal neighbours make it undecided. A layer of a kind found once in the family (on
    its side, and one model layer fits it) needs no order: where the two disagree, it keeps the renumbering's pair
    if that is its one fit, else it is left to its composition (numbers of another session need not keep the order).
    None where the renumbering contradicts nothing (or the family is too large to align, 40,000 layer pairs)."""
    targets = sorted(lm)
    if len(numbers) * len(targets) > 40_000:
        return None
    fit: dict[tuple[int, int], bool] = {}

    def fits(n: int, t: int) -> bool:
        found = fit.get((n, t))
        if found is None:
            shared = [member for member in lc[n] if member in lm[t]]
            found = fit[(n, t)] = bool(shared) and all(state.compatible(lc[n][member], lm[t][member])[0]
                                                       for member in shared)
        return found

    if all(t is None or t in lm and fits(n, t) for n, t in mapping.items()):
        return None
    first, last = _order_map(numbers, targets, fits), _order_map(numbers[::-1], targets[::-1], fits)
    kinds = Counter(_signature(lc[n]) for n in numbers)
    for n in numbers:
        if first[n] != last[n] and kinds[_signature(lc[n])] == 1:
            fitting = [t for t in targets if fits(n, t)]
            first[n] = last[n] = mapping[n] if len(fitting) == 1 and fitting[0] == mapping[n] else None
    return [first, last]


def _signature(layer: dict) -> tuple:
    """A layer's kind: its members and their shapes."""
    return tuple(sorted((member, it.shape) for member, it in layer.items()))


def _member_unnumbered(member: tuple) -> tuple:
    """A member's name with each number in it one mark (``coef_0`` and ``coef_1`` alike); a number token is marked,
    not dropped as ``_unnumbered`` drops it, so the member keeps its length."""
    return tuple(_INDEX.sub("#", t) for t in member)


def _unnumbered_signature(layer: dict) -> tuple:
    """``_signature`` with the numbers in its members' names left out."""
    return tuple(sorted((_member_unnumbered(member), it.shape) for member, it in layer.items()))


def _order_map(a: list[int], b: list[int], fits: Callable[[int, int], bool]) -> dict[int, int | None]:
    """A longest alignment of ``a`` with ``b`` in their order (pairs that ``fit``), each item of ``a`` matched as
    early in ``b`` as the alignment's length allows: {item of a: its item of b, or None}."""
    la, lb = len(a), len(b)
    best = [[0] * (lb + 1) for _ in range(la + 1)]  # best[i][j]: the longest alignment of a[i:] with b[j:]
    for i in range(la - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(lb - 1, -1, -1):
            row[j] = max(below[j], row[j + 1], below[j + 1] + 1 if fits(a[i], b[j]) else 0)
    out: dict[int, int | None] = dict.fromkeys(a)
    i = j = 0
    while i < la and j < lb:
        if fits(a[i], b[j]) and best[i][j] == best[i + 1][j + 1] + 1:
            out[a[i]] = b[j]
            i, j = i + 1, j + 1
        elif best[i][j] == best[i][j + 1]:
            j += 1
        else:
            i += 1
    return out


def _conflicts(state: _State, lc: dict, lm: dict, numbers: list[int]) -> list[int]:
    """The numbers under which a same-named member pair disagrees in shape or dtype."""
    return [n for n in numbers if n in lm and any(member in lm[n] and not state.compatible(c, lm[n][member])[0]
                                                  for member, c in lc[n].items())]


def _first_at_least(numbers: list[int], value: int) -> int:
    return bisect.bisect_left(numbers, value)


def _mapping(numbers: list[int], d: int, k: int | None) -> dict[int, int | None]:
    if k is None:
        return {n: n + d for n in numbers}
    if d >= 0:
        return {n: n + d if n >= k else n for n in numbers}
    return {n: n if n < k else None if n < k - d else n + d for n in numbers}


def _release(state: _State, c: _Item) -> None:
    """Undo an exact pair of a checkpoint value that a renumbering shows to be wrong."""
    m = state.taken_c.get(id(c))
    if m is not None and state.pairs[id(m)].stage == "exact":
        state.drop_pair(m)


def _claim(state: _State, c: _Item, m: _Item, hypothesis: Hypothesis) -> None:
    ok, transform = state.compatible(c, m)
    if not ok or id(m) in state.ambiguous:
        return
    taker = state.taken_c.get(id(c))
    if taker is not None and taker is not m and (held := state.pairs[id(taker)].hypothesis) is not None and \
            held.rule[0] == "nest":
        return  # a nested model's reading pairs every value of a side: a renumbering of a few does not undo it
    current = state.pairs.get(id(m))
    if current is not None:
        if current.checkpoint is c:
            return
        state.drop_pair(m)
    if id(c) in state.taken_c:  # c was exact-paired with another model variable that the renumbering frees
        state.drop_pair(state.taken_c[id(c)])
    _, _, d, first = hypothesis.rule
    state.add(c, m, transform, "numbering",
              lambda: f"layer numbers from {first} on {f'shifted by {d:+d}' if d else 'kept'} "
                      f"(`{_owner(c.name)}` -> `{_owner(m.name)}`): "
                      f"{hypothesis.support} variables agree in shape under this renumbering; "
                      f"{_shapes(c, m, transform)}", hypothesis)


def _make_ambiguous(state: _State, m: _Item, cands: list[_Item], reason: str) -> None:
    if id(m) in state.pairs:
        if state.pairs[id(m)].stage == "composition":
            return  # settled by a unique composition
        state.drop_pair(m)
    state.set_ambiguous(m, list(dict.fromkeys(cands)), reason)


def _compositions(state: _State, family: str, lc: dict[int, dict], lm: dict[int, dict],
                  disputed_c: set | frozenset = frozenset(), disputed_m: set | frozenset = frozenset()) -> None:
    """Left-over layers pair when their composition (members, shapes) is unique on both sides, counting the
    layers whose pairing is in dispute as competitors."""
    rest_m = {n: layer for n, layer in lm.items() if not any(it.busy for it in layer.values())}
    if not rest_m:
        return  # every model layer of the family is settled
    rest_c = {n: layer for n, layer in lc.items() if not any(it.busy for it in layer.values())}
    sig_c = Counter(_signature(layer) for n, layer in lc.items() if n in rest_c or n in disputed_c)
    # (a model layer left ambiguous is a competitor too: its candidates are the values in question)
    sig_m = Counter(_signature(layer) for n, layer in lm.items() if n in rest_m or n in disputed_m or
                    any(id(it) in state.ambiguous for it in layer.values()))
    # Layers alike but for a number in their members' names (tf-TabNet's step blocks, `coef_0` / `coef_1`, each in
    # a block Keras numbered): where the file holds more of them than the model, the model's list was renumbered
    # from 0 after one went, and its `coef_0` may be any of them
    loose_c = Counter(_unnumbered_signature(layer) for n, layer in lc.items() if n in rest_c or n in disputed_c)
    loose_m = Counter(_unnumbered_signature(layer) for n, layer in lm.items() if n in rest_m or n in disputed_m or
                      any(id(it) in state.ambiguous for it in layer.values()))
    for nm, m_layer in rest_m.items():
        sig = _signature(m_layer)
        if sig_m[sig] != 1 or sig_c[sig] != 1:
            continue
        nc = next((n for n, layer in rest_c.items() if _signature(layer) == sig), None)
        if nc is None:
            continue  # the one layer of its kind is a disputed one, already taken: a competitor, not a partner
        loose = _unnumbered_signature(m_layer)
        if loose_c[loose] > max(1, loose_m[loose]):
            alike = [layer for layer in rest_c.values() if _unnumbered_signature(layer) == loose]
            for member, m in m_layer.items():
                loose_member = _member_unnumbered(member)
                cands = [c for layer in alike for key, c in layer.items() if _member_unnumbered(key) == loose_member]
                _make_ambiguous(state, m, cands, f"layers alike but for a number in their names: the file holds "
                                f"{loose_c[loose]} such, the model {loose_m[loose]}; which went, no name says")
            continue
        for member, m in m_layer.items():
            c = rest_c[nc][member]
            ok, transform = state.compatible(c, m)
            if ok:
                state.add(c, m, transform, "composition",
                          functools.partial(_composition_evidence, family, nc, nm, c, m, transform))


def _composition_evidence(family: str, nc: int, nm: int, c: _Item, m: _Item, transform: str | None) -> str:
    return (f"the only layer of its kind left whose members and shapes match (`{_owner(c.name)}` -> "
            f"`{_owner(m.name)}`); {_shapes(c, m, transform)}")


_SIBLING_SPAN = 64  # checkpoint values under one container prefix: a block, not a model


def _block_name(c: _Item) -> str:
    """The name a checkpoint value's block is read from. A Keras 3 file records a nested layer by its own name
    (``dense/vars/0``), not where it sits: its path then (a top-level layer's recorded name, ``conv2_block1_0_conv``,
    says more than ``layers/conv2d_13``)."""
    found = _POSITIONAL.match(c.ref.name) if "/vars/" in c.ref.name else None
    if found and "/" in found["layer"].removeprefix("layers/"):
        return c.ref.name
    return c.ref.full_name or strip_name(c.ref.name)


def _sibling_conflicts(state: _State, c_items: list, m_items: list) -> list[tuple[_Item, _Item, str]]:
    """Undo the pairs the layer order alone made (structure) that their own blocks contradict, seen from either
    side: the other layers of the nearest container around the variable's layer (two or more) took their values
    from under one checkpoint block (``block0_channel_``: layers of other words below it, not one class's
    auto-numbers) while this value came from elsewhere; or the other values of the value's own block went into one
    model container (``stages.0.2.0.1.``) and this one elsewhere. Undone only where that block holds another item
    like the one order gave it, open (a value free, a variable ambiguous) or itself given by order against its
    block (the pairs shifted by one block); seen from the value, only blocks an author named inside layer names.
    Conventions that create a block's members in other orders shift exactly such pairs: res-mlp-pytorch makes a
    block's ``scale`` first and Keras writes its LayerScale last; segformer-pytorch's PreNorm makes the norm after
    the layer it normalises, Keras writes it before. Undone, the block's own item completes them (``_siblings``).
    Returns (variable, value, block prefix) undone."""
    structure = [p for p in state.pairs.values() if p.stage == "structure"]
    if not structure:
        return []

    def m_name(it: _Item) -> str:
        return strip_name(it.ref.name)

    suspects: list[tuple[Proof, str, bool]] = []  # (pair, the other side's block prefix, seen from the model)
    for from_model, here, there in ((True, m_name, _block_name), (False, _block_name, m_name)):
        index = sorted((here(q.model if from_model else q.checkpoint), there(q.checkpoint if from_model else q.model))
                       for q in state.pairs.values())
        keys = [k for k, _ in index]
        for p in structure:
            mine, theirs = (p.model, p.checkpoint) if from_model else (p.checkpoint, p.model)
            prefix = _block_elsewhere(here(mine), there(theirs), index, keys, named_only=not from_model)
            if prefix is not None:
                suspects.append((p, prefix, from_model))
    if not suspects:
        return []
    shifted = {id(p.model) for p, _, _ in suspects}
    by_c = sorted((_block_name(c), id(c), c) for c in c_items)
    by_m = sorted((m_name(m), id(m), m) for m in m_items)
    # like: of a layer of the same shapes (a norm's two vectors are no dense layer's bias)
    layer_shapes: dict[tuple[bool, str], list] = defaultdict(list)
    for side, listed in ((False, by_c), (True, by_m)):
        for name, _, it in listed:
            layer_shapes[side, _owner(name)].append(it.shape)

    def layer(it: _Item, model: bool) -> list:
        return layer_shapes[model, _owner(m_name(it) if model else _block_name(it))]

    undone: dict[int, tuple[_Item, _Item, str]] = {}
    for p, prefix, from_model in suspects:
        if from_model:  # a value of the block like the one order gave, free or given to a suspect
            like = (x for _, _, x in _under(by_c, prefix) if x.shape == p.checkpoint.shape and
                    (id(x) not in state.taken_c or id(state.taken_c[id(x)]) in shifted) and
                    state.compatible(x, p.model)[0] and layer(x, False) == layer(p.checkpoint, False))
        else:  # a variable of the container (or of those around it that leave the variable out) like it, left
            # ambiguous (a variable merely not paired yet may be a later stage's by name: HF's final `layernorm` is
            # outside the encoder, keras-hub's inside)
            wider = [prefix] + [prefix[:k] for k in reversed(_cuts(prefix.rstrip("/._")))]
            like = (x for where in wider if not m_name(p.model).startswith(where) for _, _, x in _under(by_m, where)
                    if x.shape == p.model.shape and (id(x) in state.ambiguous or id(x) in shifted) and
                    x is not p.model and layer(x, True) == layer(p.model, True))
        if next(like, None) is not None:
            undone.setdefault(id(p.model), (p.model, p.checkpoint, prefix))
    for m, _, _ in undone.values():
        state.drop_pair(m)
    return list(undone.values())


def _container(layer: str) -> str:
    """The container around a layer (``cross.1`` of ``cross.1.v``, ``layers/feature_cross_1`` of
    ``layers/feature_cross_1/dense``); "" at the top."""
    cut = max(layer.rfind("/"), layer.rfind("."))
    return layer[:cut] if cut > 0 else ""


def _spliced_trees(state: _State, c_items: list, m_items: list) -> None:
    """Pairs the layer order alone made (structure) from two top-level trees of the file (a whole Whisper's
    ``encoder.`` and ``decoder.``) that the model does not name (a Keras twin of the encoder alone): where a value
    taken from one tree has its namesake in the other (``encoder.blocks.0.mlp.0.weight`` for
    ``decoder.blocks.0.mlp.0.weight``) left free and fitting the variable as well (the alignment that counts most
    units skipped the encoder's MLPs), which tree the variable belongs to no order proves: ambiguous, with both."""
    structure = [p for p in state.pairs.values() if p.stage == "structure" and id(p.model) not in state.placed]
    if len(structure) < 2:
        return

    # (a tree is the first segment below what every name of the file shares: `model.encoder.` behind a wrapper)
    shared = os.path.commonprefix([strip_name(c.ref.name) for c in c_items])
    shared = shared[:max(shared.rfind("/"), shared.rfind(".")) + 1]
    # (the elements of a list are trees where the file holds nothing else: two equal `towers.0`, `towers.1`)
    numbered = bool(shared) and all(re.match(r"\d+[/.]", strip_name(c.ref.name)[len(shared):]) for c in c_items)

    def tree(name: str) -> str:  # (a tree holds blocks of layers: three levels or more below it, not one layer)
        parts = re.split(r"[/.]", strip_name(name)[len(shared):], maxsplit=3)
        deep = len(parts) == 4 or numbered and len(parts) == 3  # (an element's own layers count: `towers.1.fc`)
        return shared + parts[0] if deep and parts[0] and (numbered or not parts[0].isdigit()) else ""

    # (trees of other words: the blocks of one numbered family, `expanded_conv_3`, `expanded_conv_4`, are no trees)
    trees = {tree(c.ref.name) for c in c_items} - {""}
    family = shared.rstrip("/.")  # the word of the list whose elements the trees are (`towers`)
    if not numbered:
        kinds = Counter(re.sub(r"[_\-]?\d+$", "", t[len(shared):]) for t in trees)
        # (one family of nested models that holds the whole file, Keras 3's `functional`, `functional_1`: its
        # elements are trees as a list's are)
        if len(kinds) == 1 and len(trees) > 1 and all(tree(c.ref.name) for c in c_items):
            numbered, family = True, next(iter(kinds))  # (the family's word names the list: `functional`)
        else:
            trees = {t for t in trees if kinds[re.sub(r"[_\-]?\d+$", "", t[len(shared):])] == 1}
    # (a list's elements are named by the list's word: `towers`)
    words = {t[len(shared):].lower() for t in trees} if not numbered else \
        {w for w in _raw_words(family) if not w.isdigit()} - {"module", "model", "layers"}
    if len(trees) < 2 or any(w in _raw_words(m.ref.name) for m in m_items for w in words):
        return  # (one tree, or the model holds the trees itself: Hugging Face's `model.encoder`, `model.decoder`)
    by_name = {strip_name(c.ref.name): c for c in c_items if id(c) not in state.taken_c}
    for p in structure:
        c, m = p.checkpoint, p.model
        name = strip_name(c.ref.name)
        mine = tree(c.ref.name)
        twins = [t for other in sorted(trees - {mine}) if mine and
                 (t := by_name.get(other + name[len(mine):])) is not None and state.compatible(t, m)[0]]
        if twins:
            state.drop_pair(m)
            state.set_ambiguous(m, [c] + twins, f"the layer order took `{c.name}` from `{mine}`, and its namesake "
                                                f"`{twins[0].name}` of another tree fits as well, left free: which "
                                                "tree the layer belongs to, no order proves")


def _claimed_by_its_block(state: _State) -> None:
    """A pair the layer order alone made (structure) is contested where its value is a candidate of an ambiguous
    variable in the container the other values of the value's block went into, while the variable's own container
    took nothing from that block: a layer whose value is missing from the file (keras-rs' FeatureCross without its
    first cross's dense) let order shift the next block's value into the gap, which its own block's container asks
    for. The variable becomes ambiguous with that value."""
    structure = [p for p in state.pairs.values() if p.stage == "structure" and id(p.model) not in state.placed]
    if not structure or not state.ambiguous:
        return
    asked: dict[int, list[_Item]] = defaultdict(list)  # id(value) -> the ambiguous variables that list it
    for m, cands, _ in state.ambiguous.values():
        for c in cands:
            asked[id(c)].append(m)
    suspects = [p for p in structure if id(p.checkpoint) in asked]
    if not suspects:
        return

    def block(c: _Item) -> str:
        return _container(_raw_layer_path(c.ref.name))

    def home(m: _Item) -> str:
        return _container(_owner(m.ref.name))

    took: dict[tuple[str, str], set[str]] = defaultdict(set)  # (model container, file block) -> its layers paired
    homes: dict[str, set[str]] = defaultdict(set)  # file block -> the model containers that took from it
    for q in state.pairs.values():
        took[home(q.model), block(q.checkpoint)].add(_owner(q.model.ref.name))
        homes[block(q.checkpoint)].add(home(q.model))
    for p in suspects:
        c, mine, theirs = p.checkpoint, home(p.model), block(p.checkpoint)
        if not mine or not theirs or took[mine, theirs] - {_owner(p.model.ref.name)}:
            continue  # (its container took another layer from the value's block: no gap there)
        # (a block whose other values all went into one container: not a flat file's root, `layers/`)
        there = next((x for x in asked[id(c)] if x is not p.model and home(x) and home(x) != mine and
                      homes[theirs] - {mine} == {home(x)}), None)
        if there is not None:
            state.drop_pair(p.model)
            state.set_ambiguous(p.model, [c], f"the layer order gave it `{c.name}`, whose block's other values went "
                                              f"into `{home(there)}`, where `{there.name}` is open with it")


def _under(index: list, prefix: str) -> list:
    """The entries of a sorted ``(name, ...)`` list whose names start with ``prefix``."""
    return index[bisect.bisect_left(index, (prefix,)):bisect.bisect_left(index, (prefix + "\U0010ffff",))]


def _block_elsewhere(name: str, partner: str, index: list, keys: list, named_only: bool = False) -> str | None:
    """Where the other layers of the nearest container around ``name``'s layer (two or more of them, in ``index``:
    sorted (name, partner's name) of every pair) took their partners from under one prefix of the other side, a
    block (a path's container, or layers of other words after a prefix inside their names), and ``partner`` is not
    under it: that prefix; else None. ``named_only``: only containers that are a prefix inside layer names
    (``stage1_ff_``, a block an author named), not a nested module's path, whose bounds frameworks draw apart (a
    final norm inside keras-hub's encoder is outside Hugging Face's)."""
    own = _owner(name)
    nearer = None  # the container looked at before: its layers agreed with this one (a wider one weighs the rest)
    for cut in [len(own) + 1] + list(reversed(_cuts(own))):  # its layer's own members, then wider, nearest first
        container = name[:cut]
        if named_only and not container.endswith("_"):
            continue
        lo = bisect.bisect_left(keys, container)
        hi = bisect.bisect_left(keys, container + "\U0010ffff")
        if hi - lo > _SIBLING_SPAN:
            return None
        others = [index[i][1] for i in range(lo, hi) if _owner(index[i][0]) != own and
                  (nearer is None or not index[i][0].startswith(nearer))]
        if len({_owner(n) for n in others}) < 2:
            # (a container of named parts, `out_cross_layer` in `pdm_blocks.0`; not a numbered element, whose
            # siblings are other blocks, `layer1.1` beside `layer1.0`)
            if others and not named_only and not re.split(r"[/.]", container.rstrip("/."))[-1].isdigit():
                nearer = container
            continue
        prefix = _common_prefix(others)
        if not prefix or partner.startswith(prefix):
            return None
        if prefix.endswith("_"):  # inside a layer's name: a block's layers go on with words, a class's with numbers
            words = {re.sub(r"_\d+$", "", re.split(r"[/.]", c[len(prefix):], maxsplit=1)[0]) for c in others}
            if len(words) < 2 or not all(c[len(prefix):len(prefix) + 1].isalpha() for c in others):
                return None
        return prefix
    return None


def _siblings(state: _State, c_items, m_items) -> bool:
    """Completion inside corresponding containers. A model container (``features.1.0``, a layer) whose paired
    variables all took values from under one checkpoint prefix (``convnext_tiny_stage_0_block_0_``), and only
    from there, while every value paired under that prefix went into the container, is that block. A variable
    of it still open then takes the one free value under the prefix its shape and dtype admit, when that value
    admits no other open variable of the container: a unique match inside an established block, never shape
    alone across the model. Conventions that list a block's members in different orders (PyTorch's
    ``layer_scale`` first, Keras' last) leave exactly these open after structure. Nearest containers first,
    repeated while something pairs (a layer's bias follows its kernel). Returns whether anything paired."""
    def open_m(m: _Item) -> bool:
        return not m.busy or id(m) in state.ambiguous and id(m) in state.ties

    c_name = _block_name

    def within(names: list, prefix: str) -> tuple[int, int]:
        return bisect.bisect_left(names, prefix), bisect.bisect_left(names, prefix + "\U0010ffff")

    mates: dict = {}  # (the model's layers, read once a candidate needs them: most alignments have none)

    def elsewhere(c: _Item, m: _Item) -> bool:  # m's layer took its other values from one layer, and c is not of it
        if not mates:
            mates.update(_by_layer(m_items))
        layers = {_layer_path(state.pairs[id(o)].checkpoint) for o in mates[_layer_path(m)]
                  if o is not m and id(o) in state.pairs}
        if len(layers) != 1:
            return False
        # (a parametrization's `conv.parametrizations.weight` is `conv`'s)
        layer, own = next(iter(layers)), _layer_path(c)
        return own != layer and not _below(own, layer) and not _below(layer, own)

    paired = False
    for _ in range(4):  # a layer's kernel, then its bias, then the block's vector: a few rounds settle a block
        free = sorted(((c_name(c), id(c), c) for c in c_items if not c.busy), key=lambda f: f[:2])
        sizes = {math.prod(f[2].shape) for f in free}
        todo = sorted(((strip_name(m.ref.name), id(m), m) for m in m_items
                       if open_m(m) and m.shape and math.prod(m.shape) in sizes), key=lambda t: t[:2])
        if not todo or not state.pairs:
            return paired  # nothing open that a free value could fill: no index is built
        free_names, todo_names = [f[0] for f in free], [t[0] for t in todo]
        by_m = sorted((strip_name(m.ref.name), c_name(c), stage) for c, m, _, stage, *_ in state.pairs.values())
        m_names, c_names = [p[0] for p in by_m], sorted(p[1] for p in by_m)
        progress = False
        for name, _, m in todo:
            if not open_m(m):
                continue
            for cut in reversed(_cuts(name)):
                container = name[:cut]
                lo, hi = within(m_names, container)
                if hi == lo:
                    continue
                if hi - lo > _SIBLING_SPAN:
                    break
                prefix = _common_prefix([by_m[i][1] for i in range(lo, hi)])
                clo, chi = within(c_names, prefix)
                if not prefix or chi - clo != hi - lo:
                    break  # the values under that prefix went elsewhere too: not one block on both sides
                flo, fhi = within(free_names, prefix)
                if fhi - flo > _SIBLING_SPAN:
                    break
                amb = state.ambiguous.get(id(m))
                cands = [f[2] for f in free[flo:fhi] if not f[2].busy and state.compatible(f[2], m)[0] and
                         (amb is None or f[2] in amb[1]) and _roles_agree(f[2], m)]
                if not cands:
                    continue  # nothing of its shape left in this block: a wider one may hold it
                olo, ohi = within(todo_names, container)
                same = []  # (a tie's candidates under the layer's name and leaf)
                if amb is not None and len(amb[1]) > 1 and len(own := re.split(r"[/.]", name)[-2:]) == 2:
                    same = [x for x in cands if re.split(r"[/.]", c_name(x))[-2:] == own]
                chosen = None
                if len(same) == 1 and ohi - olo <= _SIBLING_SPAN:
                    # a tie between equal blocks: of its candidates, the one under its own layer's name and leaf
                    # inside the partner block, whatever else fits (`fn.proj_k` beside `fn.proj_v`, `norm.weight`
                    # beside `norm.bias`); never a lone candidate (a new head's `dense` and an unused pooler's)
                    chosen = same[0]
                elif len(cands) == 1 and ohi - olo <= _SIBLING_SPAN and sum(
                        open_m(o[2]) and state.compatible(cands[0], o[2])[0] for o in todo[olo:ohi]) == 1:
                    layers = _own_layers(name[cut:], c_name(cands[0])[len(prefix):])
                    # (two leaves of one role, the layer itself established: Flax's LayerNorm `bias`, Keras' `beta`)
                    leaves = not re.search(r"[/.]", "".join(layers)) and _role_rank(cands[0]) == _role_rank(m) < 4
                    if any(by_m[i][2] in _BY_NAME for i in range(lo, hi)) and not leaves and not _names_share(*layers):
                        break  # a foreign name among siblings that load by name: renamed, or a new layer?
                    chosen = cands[0]
                if chosen is not None and not elsewhere(chosen, m):
                    if amb is not None:
                        del state.ambiguous[id(m)]
                        m.busy = False
                    t = state.compatible(chosen, m)[1]
                    state.add(chosen, m, t, "structure",
                              functools.partial(_sibling_evidence, chosen, m, t, container, prefix))
                    progress = paired = True
                elif len(cands) == 2 and ohi - olo <= _SIBLING_SPAN:
                    # two values fit it and one other open member alike: their places in the block, by name
                    leaf = re.split(r"[/.]", name)[-1]  # (a norm's weight and bias fit alike too)
                    alike = [o[2] for o in todo[olo:ohi] if open_m(o[2]) and re.split(r"[/.]", o[0])[-1] == leaf
                             and all(state.compatible(x, o[2])[0] for x in cands)]
                    order = _ordinal([c_name(x)[len(prefix):] for x in cands],
                                     [strip_name(o.ref.name)[len(container):] for o in alike])
                    if len(alike) == 2 and order is not None and m in alike:
                        for x, o in zip(cands, (alike[k] for k in order), strict=True):
                            if id(o) in state.ambiguous:
                                del state.ambiguous[id(o)]
                                o.busy = False
                            t = state.compatible(x, o)[1]
                            state.add(x, o, t, "structure",
                                      functools.partial(_sibling_evidence, x, o, t, container, prefix))
                        progress = paired = True
                break  # the nearest container with partners and a value that fits decides
        if not progress:
            return paired
    return paired


def _below(inner: str, outer: str) -> bool:
    """Is ``inner`` a path below ``outer`` (``conv.parametrizations.weight`` below ``conv``; not ``conv1x``)?"""
    return inner.startswith(outer) and inner[len(outer):len(outer) + 1] in ("/", ".")


def _own_layers(a: str, b: str) -> tuple[str, str]:
    """Two variables' names below their containers, without the leaf and the levels both spell alike from the top
    (``output.novel.weight`` and ``output/dense/kernel``: ``novel`` and ``dense``): the layers' own names. A level
    both keep (``output``) says nothing of whether the layer under it was renamed."""
    pa, pb = re.split(r"[/.]", a)[:-1], re.split(r"[/.]", b)[:-1]
    k = 0
    while k < min(len(pa), len(pb)) - 1 and pa[k] == pb[k]:
        k += 1
    return ".".join(pa[k:]) or a, ".".join(pb[k:]) or b


def _names_share(a: str, b: str) -> bool:
    """Do two names, as written, share a word (or one word short for the other: ``emb`` / ``embedding``)?"""
    wa, wb = _raw_words(a), _raw_words(b)
    return bool(wa & wb) or any(_short_for(x, y) or _short_for(y, x) for x in wa for y in wb)


def _norm_by_partner(state: _State, c_items, m_items, torch_m: bool) -> None:
    """A norm a Keras/TF order lists after two weights of its width (a block's shortcut and its last conv, or two
    branches: ``_norm_owner`` gives it neither) belongs to the one whose partner, where names or structure paired
    both weights, has a norm of that width with it in the model (its composite); the other partner has none, and the
    model holds no other open norm of that width. The norm then pairs with that one, when it fits it. Otherwise it
    stays as it is."""
    units = _units([c for c in c_items if c.shape])
    composite_of: dict[int, tuple] = {}
    m_units = _units([m for m in m_items if m.shape])
    for comp in _composites(m_units, torch_m):
        for u in comp:
            if u[0] is not None:
                composite_of[id(u[0])] = comp
    open_norms = Counter(_length(v[0]) for main, v in m_units  # norms of each width no value went into yet
                         if main is None and v and not any(id(m) in state.pairs for m in v))
    for k, (main, vectors) in enumerate(units):
        if main is not None or not vectors or any(id(c) in state.taken_c for c in vectors):
            continue
        width = _length(vectors[0])
        before = [u for u in units[max(0, k - 3):k] if u[0] is not None]
        owners = [u for u in before if width in _widths(u, False)]
        if len(owners) != 2 or any(id(u[0]) not in state.taken_c for u in owners):
            continue  # one owner is ``_composites``' business; an owner not paired says nothing
        if any(u is not units[k] and u[0] is None and u[1] and _length(u[1][0]) == width and
               not any(id(c) in state.taken_c for c in u[1]) for u in units[max(0, k - 3):k + 4]):
            continue  # another free norm of that width beside it: which of the two is the owner's, no order says
        found = []  # (owner, the partner's norms of that width)
        for u in owners:
            partner = composite_of.get(id(state.taken_c[id(u[0])]))
            if partner is None:
                break
            found.append((u, [v for v in partner if v[0] is None and v[1] and _length(v[1][0]) == width]))
        else:
            with_norm = [(u, norms) for u, norms in found if norms]
            if len(with_norm) != 1 or len(with_norm[0][1]) != 1:
                continue
            owner, (mu,) = with_norm[0]
            (_, mv) = mu
            if len(mv) != len(vectors) or any(id(m) in state.pairs for m in mv) or open_norms[width] != 1:
                continue  # (another open norm of that width: the model's grouping may have missed its owner)
            fits = [state.compatible(c, m) for c, m in zip(vectors, mv, strict=True)]
            if not all(ok for ok, _ in fits):
                continue
            for c, m in zip(vectors, mv, strict=True):
                amb = state.ambiguous.get(id(m))
                if amb is not None and not any(x is c for x in amb[1]):
                    break
            else:
                other = next(u for u in owners if u is not owner)
                for c, m, (_, t) in zip(vectors, mv, fits, strict=True):
                    if state.ambiguous.pop(id(m), None) is not None:
                        m.busy = False
                    state.add(c, m, t, "structure", functools.partial(
                        _partner_evidence, c, m, t, owner[0], other[0], state.taken_c[id(owner[0])]))


def _partner_evidence(c, m, t, owner, other, partner) -> str:
    return (f"structure: the checkpoint lists `{c.name}` after `{other.name}` and `{owner.name}`, both of its width; "
            f"only `{owner.name}`'s partner `{partner.name}` has a norm of that width in the model; {_shapes(c, m, t)}")


_BEFORE_AFTER = (("before", "after"), ("pre", "post"))


def _ordinal(names_c: list[str], names_m: list[str]) -> tuple[int, int] | None:
    """Two members of one block whose names differ only in a number on one side (``layer_norm_1``,
    ``layer_norm_2``; or ``layer_norm``, ``layer_norm_1``: auto-numbering's first has none) and only in
    ``before``/``after`` (or ``pre``/``post``) on the other (``layernorm_before``,
    ``layernorm_after``): the lower number is the one before. Returns, for each of ``names_c`` in turn, its index
    in ``names_m``; None where the names do not say so."""
    def own(names: list[str]) -> list[set[str]]:
        words = [set().union(*_tie_words([n.rpartition("/")[0] or n.rpartition(".")[0]])) for n in names]
        common = set.intersection(*words)
        return [w - common for w in words]

    for a, b in ((own(names_c), own(names_m)), (own(names_m), own(names_c))):
        if sorted(map(len, a)) == [0, 1]:
            a = [w or {"0"} for w in a]  # auto-numbering: `layer_norm` is the first, `layer_norm_1` the second
        if all(len(w) == 1 and next(iter(w)).isdigit() for w in a) and all(len(w) == 1 for w in b):
            numbers = [int(next(iter(w))) for w in a]
            words = [next(iter(w)) for w in b]
            for first, second in _BEFORE_AFTER:
                if sorted(words) == sorted((first, second)) and numbers[0] != numbers[1]:
                    early = words.index(first)  # (a swap of two is its own inverse: either side may be numbered)
                    return (early, 1 - early) if numbers[0] < numbers[1] else (1 - early, early)
    return None


def _owned_norms(state: _State, c_items, m_items, torch_m: bool) -> None:
    """A norm the checkpoint nests under its weight's scope (tf-slim's ``conv1/BatchNorm/gamma`` under
    ``conv1/weights``) belongs to that weight; the model says which norm belongs to a weight by its composites
    (``layer1.0.bn1`` after ``layer1.0.conv1``: ``_composites``). Where a weight is paired and each side gives it
    exactly one free norm, the two norms pair role by role (scale, shift, mean, variance), each by its leaf role
    and shape: the weight's pair is the evidence, never the norm's shape among others."""
    c_units = [u for u in _units([c for c in c_items if not c.busy]) if u[0] is None and u[1]]
    if not c_units or not state.pairs:
        return
    weights = {_layer_path(p.checkpoint) for p in state.pairs.values() if _is_matrix(p.checkpoint)}
    nested: dict[str, list] = defaultdict(list)  # checkpoint weight's layer -> the norms nested under it
    for u in c_units:
        path = _layer_path(u[1][0])
        for cut in range(len(path) - 1, 0, -1):
            if path[cut] in "/." and path[:cut] in weights:
                nested[path[:cut]].append(u)
                break
    if not nested:
        return
    for comp in _composites(_units(m_items), torch_m):
        norms = [u for u in comp[1:] if u[0] is None]
        main = comp[0][0]
        proof = state.pairs.get(id(main)) if main is not None else None
        # open: free, or tied among renamings that pair equal norms differently (the weight's pair decides those)
        if proof is None or len(norms) != 1 or \
                any(v.busy and not (id(v) in state.ambiguous and id(v) in state.ties) for v in norms[0][1]):
            continue
        owned = nested.get(_layer_path(proof.checkpoint), [])
        if len(owned) != 1:
            continue
        by_role_c = {c.key[-1]: c for c in owned[0][1] if c.key}
        by_role_m = {m.key[-1]: m for m in norms[0][1] if m.key}
        if len(by_role_c) != len(owned[0][1]) or by_role_c.keys() != by_role_m.keys():
            continue
        checks = {r: state.compatible(c, by_role_m[r]) for r, c in by_role_c.items()}
        if not all(ok for ok, _ in checks.values()) or any(c.busy for c in by_role_c.values()):
            continue
        for role, c in by_role_c.items():
            m, t = by_role_m[role], checks[role][1]
            if state.ambiguous.pop(id(m), None) is not None:
                state.ties.discard(id(m))
            state.add(c, m, t, "structure", functools.partial(_owned_evidence, c, m, t, proof))


def _keras_layer_name(it: _Item) -> str:
    """The layer's own name where the file records it (a Keras 3 file's ``conv3_block1_0_bn/vars/0``: its full_name),
    else its layer path."""
    full_name = getattr(it.ref, "full_name", None)
    return _raw_layer_path(full_name) if full_name else _layer_path(it)


def _stem(layer: str) -> str | None:
    """A layer name's stem before its last ``_`` word (``conv3_block1_0_bn`` -> ``conv3_block1_0``), when the word
    names a kind of layer (no digit: ``dense_1`` is a number, not a kind); a kind word with a number glued to it
    (``conv2``, ``bn2``: never Keras' auto-numbering, which writes ``_2``) has that number for stem, after the stem
    before it where there is one (``inception_3a_5x5_bn2`` -> ``inception_3a_5x5#2``); else None."""
    scope, _, last = layer.rpartition("/")
    if (glued := _GLUED_KIND.fullmatch(last)) is not None:  # `conv2` / `bn2`: the number an author gave both
        return f"{scope}/#{glued[1]}"
    stem, sep, word = last.rpartition("_")
    if sep and stem and (glued := _GLUED_KIND.fullmatch(word)) is not None:  # `inception_3a_5x5_bn2`
        return f"{scope}/{stem}#{glued[1]}" if scope else f"{stem}#{glued[1]}"
    if not sep or not stem or not word or any(ch.isdigit() for ch in word):
        # the kind word first, the rest naming the place (Caffe's ResNet: `res2a_branch2a`, `bn2a_branch2a`)
        return f"{scope}/~{found[1]}" if (found := _KIND_FIRST.fullmatch(last)) is not None else None
    return f"{scope}/{stem}" if scope else stem


_GLUED_KIND = re.compile(r"[A-Za-z]+(\d+)")
_KIND_FIRST = re.compile(r"[A-Za-z]+(\d+[a-z]?\d*_[A-Za-z]+\d+[a-z]?)")


def _named_norms(state: _State, c_items, m_items, torch_c: bool, torch_m: bool) -> None:
    """Keras applications name a conv and the norm of its output alike but for the kind word (``conv3_block1_0_conv``,
    ``conv3_block1_0_bn``), where the order cannot say whose a norm is (Keras lists a block's shortcut conv and its
    last conv before their norms, ``_norm_owner``). Where one side names a norm so, beside exactly one weight of that
    stem, and that weight is paired, the norm goes with the one norm the other side's composite gives the partner
    (``layer2.0.downsample.0`` -> ``downsample.1``): role by role, each by its leaf role and shape, and only where
    that norm is free or undecided among candidates that include it."""
    if not any(len(c.shape) == 1 and id(c) not in state.taken_c for c in c_items) or \
            not any(len(m.shape) == 1 and id(m) not in state.pairs for m in m_items):
        return  # no free value and open variable a norm could be
    for named, other, torch_other, by_c in ((c_items, m_items, torch_m, True), (m_items, c_items, torch_c, False)):
        stems: dict[str, list] = defaultdict(list)  # stem -> the units named under it
        for u in _block_units(named):  # (a layer's weight first: a side in name order lists `biases` first)
            stem = _stem(_keras_layer_name(u[0] or u[1][0]))
            if stem is not None:
                stems[stem].append(u)
        if not _post_norms(stems, torch_c if by_c else torch_m):
            stems = {k: v for k, v in stems.items() if "#" not in k}
        owned: dict[int, list] = {}  # id(paired weight of the other side) -> the named side's norm unit
        for units in stems.values():
            weights = [u for u in units if u[0] is not None]
            norms = [u for u in units if u[0] is None and u[1]]
            if len(weights) != 1 or len(norms) != 1 or len(units) != 2:
                continue
            weight = weights[0][0]
            partner = state.taken_c.get(id(weight)) if by_c else \
                (proof.checkpoint if (proof := state.pairs.get(id(weight))) is not None else None)
            if partner is not None:
                owned[id(partner)] = norms[0][1]
        if not owned:
            continue
        for comp in _composites(_units([it for it in other if it.shape]), torch_other):
            main = comp[0][0]
            vectors = owned.get(id(main)) if main is not None else None
            norms = [u for u in comp[1:] if u[0] is None]
            if vectors is None or len(norms) != 1 or len(norms[0][1]) != len(vectors):
                continue
            cs, ms = (vectors, norms[0][1]) if by_c else (norms[0][1], vectors)
            cs = _by_role(cs, ms)
            if cs is None or any(id(c) in state.taken_c for c in cs) or any(id(m) in state.pairs for m in ms):
                continue
            fits = [state.compatible(c, m) for c, m in zip(cs, ms, strict=True)]
            undecided = [state.ambiguous.get(id(m)) for m in ms]
            # (undecided among equal candidates, one of them this norm, or left open by a tie of alignments; one
            # candidate alone is otherwise the renamed-or-new question, which a name beside it does not settle)
            if not all(ok for ok, _ in fits) or any(
                    m.busy and (amb is None or len(amb[1]) < 2 and id(m) not in state.ties or
                                not any(x is c for x in amb[1]))
                    for c, m, amb in zip(cs, ms, undecided, strict=True)):
                continue
            for c, m, (_, t) in zip(cs, ms, fits, strict=True):
                if state.ambiguous.pop(id(m), None) is not None:
                    state.ties.discard(id(m))
                    m.busy = False
                state.add(c, m, t, "structure", functools.partial(_named_norm_evidence, c, m, t, main, by_c))


def _post_norms(stems: dict[str, list], torch: bool) -> bool:
    """Do the norms a side numbers like a weight (``conv2`` / ``bn2``) normalise that weight's output? Some pair's
    widths must say so (the norm as wide as the output, not the input) and none the other way: a pre-activation
    block numbers the norm of a conv's input like the conv (``bn1`` before ``conv1``)."""
    post = pre = 0
    for stem, units in stems.items():
        weights = [u for u in units if u[0] is not None]
        norms = [u for u in units if u[0] is None and u[1]]
        if "#" not in stem or len(weights) != 1 or len(norms) != 1 or len(weights[0][0].shape) < 2:
            continue
        main, width = weights[0][0], _length(norms[0][1][0])
        out, inp = next(iter(_widths(weights[0], torch))), main.shape[1] if torch else main.shape[-2]
        post += width == out != inp
        pre += width == inp != out
    return post > 0 and pre == 0


def _named_norm_evidence(c, m, t, partner, by_c) -> str:
    named = c if by_c else m
    side = "checkpoint" if by_c else "model"
    return (f"the {side} names `{_keras_layer_name(named)}` like one weight but for its kind word: the norm of that "
            f"weight, whose partner `{_owner(partner.name)}` has this one norm; {_shapes(c, m, t)}")


def _owned_evidence(c: _Item, m: _Item, t: str | None, proof: Proof) -> str:
    return (f"the norm nested under `{_owner(proof.checkpoint.name)}` in the checkpoint is the norm of "
            f"`{_owner(proof.model.name)}` in the model, which that weight was paired with; {_shapes(c, m, t)}")


def _cuts(name: str) -> list[int]:
    """Lengths of a name's container prefixes with their separator, outermost first (``a.b.c`` -> ``a.``,
    ``a.b.``); Keras names a block's layers ``stage_0_block_0_<layer>``, so ``_`` separates too, but never
    inside the last segment (``running_`` is no container)."""
    last = max(name.rfind("/"), name.rfind("."))
    return [i + 1 for i, ch in enumerate(name) if i > 0 and (ch in "./" or ch == "_" and i < last)]


def _common_prefix(names: list[str]) -> str:
    """The longest common start of the names, cut after a separator; one name: its layer (the last segment off)."""
    if len(names) == 1:
        cut = max(names[0].rfind("/"), names[0].rfind("."))
        return names[0][:cut + 1] if cut > 0 else ""
    lo, hi = min(names), max(names)
    k = 0
    while k < min(len(lo), len(hi)) and lo[k] == hi[k]:
        k += 1
    cut = max(lo.rfind(sep, 0, k) for sep in "/._")
    return lo[:cut + 1] if cut > 0 else ""


def _sibling_evidence(c, m, transform, container, prefix) -> str:
    return (f"the other variables of `{container}` took their values from `{prefix}*` and only those: it is the one "
            f"value left there that fits; {_shapes(c, m, transform)}")


def _changed_layers(state: _State, c_items, m_items) -> None:
    """A layer whose main weight finds no value while its bias does, because the two weights left over in the
    paired layers differ in shape (a classifier after a conv was removed: the same width out, another width in; a
    segmentation head's 1x1 conv against a linear classifier), was changed or replaced: no framework restores
    half a layer (PyTorch raises on the size, Keras' ``skip_mismatch`` skips the layer, TF1's Saver fails), so the
    bias is no proven value: ambiguous, with the reason, not paired; so is a bias paired by its very name where its
    layer's weight of the same name changed shape (tft-torch's flattened selection network, one input fewer: PyTorch
    raises on the weight, and the layer is a new one)."""
    def free_weights(items) -> dict[str, _Item | None]:
        out: dict[str, _Item | None] = {}
        for it in items:  # (a weight left ambiguous has no proven value either)
            if main(it) and (not it.busy or id(it) in state.ambiguous):
                path = _layer_path(it)
                out[path] = None if path in out else it  # a layer of several free weights: none is its weight
        return out

    # Keras 3 positional names (``layers/conv2d/vars/0``) carry no leaf: there a layer's weight is its matrix
    positional = not any(c.leaf for c in c_items) and sum(1 for c in c_items if "/vars/" in c.ref.name) * 2 > \
        len(c_items)

    def main(it: _Item) -> bool:
        return bool(it.leaf) or positional and _is_matrix(it)

    free_c = free_weights(c_items)
    free_m = free_weights(m_items) if free_c else {}
    if not free_m:
        return
    for proof in list(state.pairs.values()):
        c, m = proof.checkpoint, proof.model
        if main(c) or main(m):
            continue
        cw, mw = free_c.get(_layer_path(c)), free_m.get(_layer_path(m))
        if cw is None or mw is None or state.compatible(cw, mw)[0] or \
                proof.stage == "exact" and strip_name(cw.ref.name) != strip_name(mw.ref.name):
            continue
        state.drop_pair(m)
        state.set_ambiguous(m, [c], f"its layer changed: `{mw.name}` is {list(mw.shape)} in the model and "
                                    f"{list(cw.shape)} in the checkpoint (`{cw.name}`), and no framework "
                                    "restores part of a layer")


def _beside_a_nesting(state: _State, c_items, m_items) -> None:
    """Where the model nests the file's model under a scope (a scope rule for half the file or more: PointNet's
    classifier as PointNetSeg's ``backbone.``), the file's containers belong under it; a pair by name beside that
    scope (the classifier's ``head.1`` BatchNorm into the segmentation head's ``head.1``, by the same name or by a
    wrapper's prefix) is a coincidence of names where the model's container holds a layer of the file's name with
    another shape (``head.0``: a [512, 1088, 1] conv in the model, a [512, 1024] linear in the file): a new head
    that reuses the names, or the file's head moved beside the scope? No name says: those pairs are ambiguous."""
    nests = []  # (the file's prefix, the model's), as spelled
    for h in state.hypotheses:
        if h.rule[0] == "scope" and h.rule[2] and len(h.proofs) * 2 >= len(c_items):
            proof = next(iter(h.proofs.values()))
            nests.append((_real_prefix(proof.checkpoint.name, len(h.rule[1])) if h.rule[1] else "",
                          _real_prefix(proof.model.name, len(h.rule[2]))))
    if not nests:
        return
    beside = [p for p in state.pairs.values() if p.stage in ("exact", "conventions", "prefix") and
              any(p.checkpoint.name.startswith(pc) and not p.model.name.startswith(pm) for pc, pm in nests)]
    if not beside:
        return
    by_name = {strip_name(c.ref.name): c for c in c_items}
    by_m = sorted((strip_name(m.ref.name), id(m), m) for m in m_items)
    verdict: dict[tuple[str, str], tuple[_Item, _Item] | None] = {}  # (model container, file's) -> a changed layer
    for p in beside:
        mn, cn = strip_name(p.model.ref.name), strip_name(p.checkpoint.ref.name)
        k = 0  # the names' common end, from a separator: the part the pair's rule keeps
        while k < min(len(mn), len(cn)) and mn[-1 - k] == cn[-1 - k]:
            k += 1
        while k and not (k == len(mn) or mn[-1 - k] in "/."):
            k -= 1
        container = re.split(r"([/.])", mn[len(mn) - k:], maxsplit=1)  # (its first segment and separator)
        if len(container) < 3 or not container[0]:
            continue
        top = container[0] + container[1]
        where = (mn[:len(mn) - k] + top, cn[:len(cn) - k] + top)  # (`head.`, `head.`)
        if where not in verdict:
            verdict[where] = None
            for name, _, m in _under(by_m, where[0]):
                c = by_name.get(where[1] + name[len(where[0]):])
                if c is not None and id(m) not in state.pairs and not state.compatible(c, m)[0]:
                    verdict[where] = (m, c)
                    break
        found = verdict[where]
        if found is not None:
            m, c = found
            state.drop_pair(p.model)
            state.set_ambiguous(p.model, [p.checkpoint], f"the model nests the file's model under a scope, and "
                                                         f"`{where[0]}` beside it changed (`{m.name}` is "
                                                         f"{list(m.shape)} in the model, {list(c.shape)} in the "
                                                         "file): a new layer under the file's name, or the file's?")


def _leftover_candidates(state: _State, c_items, m_items) -> None:
    """Unpaired model variables with same-shaped, same-kind checkpoint leftovers: listed, never applied."""
    pool_c, pool_m = _pool(state, c_items, m_items)
    by_shape: dict[tuple, list[_Item]] = defaultdict(list)
    by_parent: dict[tuple, list[_Item]] = defaultdict(list)  # a renamed attribute or dict key (``d/a`` / ``d/alpha``)
    for c in pool_c:
        by_shape[(c.key[-1] if c.key else "", c.shape)].append(c)
        if len(c.key) > 1:
            by_parent[(c.key[:-1], c.shape)].append(c)
    for m in pool_m:
        cands = by_shape.get((m.key[-1] if m.key else "", m.shape), [])
        if 0 < len(cands) <= 5:
            state.set_ambiguous(m, cands, "same shape and kind, but no naming evidence")
            continue
        cands = [c for c in by_parent.get((m.key[:-1], m.shape), ()) if state.compatible(c, m)[0]] \
            if len(m.key) > 1 else []
        if 0 < len(cands) <= 5:
            state.set_ambiguous(m, cands, "under the same parent with the same shape, but another name: renamed, "
                                          "or a new value beside one that went?")


# -- structure ----------------------------------------------------------------------------------------------------

_LIST_ELEMENT = re.compile(r"/\d+/\.ATTRIBUTES/VARIABLE_VALUE$")
_TOP_LAYER = re.compile(r"^layers/[^/]+/vars/\d+$")


_LISTED = re.compile(r"^optimizer/_trainable_variables/(\d+)/\.ATTRIBUTES/VARIABLE_VALUE$")
_LISTED_ALIAS = re.compile(r"^optimizer/_trainable_variables/\d+$")


def _listed_order(c_items: list[_Item]) -> dict[int, int] | None:
    """The order of a Keras 3 model saved beside its optimizer: the optimizer lists every trained value by its place
    in the model's trainable variables, the model's own order; a layer's statistics (`model/_operations/13/
    moving_mean`, joined to its layer by the name they record) follow its trained values. {id(item): rank}, or None
    where some value is neither listed nor of a listed layer."""
    rank = {id(c): int(found[1]) for c in c_items if (found := _LISTED.match(c.ref.name))}
    if not rank:
        return None
    for c in c_items:  # (keyed by the model's own path, the list another path to it: `.../_trainable_variables/53`)
        if id(c) not in rank and (n := next((int(a.rsplit("/", 1)[1]) for a in c.ref.aliases
                                             if _LISTED_ALIAS.match(a)), None)) is not None:
            rank[id(c)] = n
    last: dict[str, int] = {}
    for c in c_items:
        if id(c) in rank and c.layer is not None:
            last[c.layer] = max(last.get(c.layer, -1), rank[id(c)])
    key = {}
    for i, c in enumerate(c_items):
        if id(c) in rank:
            key[id(c)] = (rank[id(c)], 0, i)
        elif c.layer is not None and c.layer in last:
            key[id(c)] = (last[c.layer], 1, i)
        else:
            return None
    return {k: r for r, k in enumerate(sorted(key, key=key.__getitem__))}


def _listed_layers(c_items: list[_Item]) -> None:
    """Values the file reaches only through the optimizer's list (a Keras 3 model whose layers the checkpoint does not
    track: `optimizer/_trainable_variables/7`, its variable named `time_mixer/bias` like many more) name no layer.
    Their layers are runs of the list, a layer's variables being listed together: a run ends before a weight matrix
    or a variable name the run already has (`kernel`, `bias` | `kernel`, `bias` | `affine_weight`, `affine_bias`)."""
    listed = sorted(((int(found[1]), c) for c in c_items if (found := _LISTED.match(c.ref.name))
                     and c.ref.object_path == c.ref.name[:-len(ATTRIBUTE_SUFFIX)]), key=lambda nc: nc[0])
    layer, names = "", set[str]()
    for n, c in listed:
        name = (c.ref.full_name or "").rsplit("/", 1)[-1]
        if not layer or _is_matrix(c) or name in names:
            layer, names = f"optimizer/_trainable_variables/{n}", set()
        names.add(name)
        c.layer = layer
        # (a place in a list is no layer's number: the numbering stages must not read it as one)
        c.tokens = tuple(f"#{t}" if t == str(n) else t for t in c.tokens)
        c.rekey()


def _layer_path(item: _Item) -> str:
    """The layer a value belongs to, by its raw name: all but the leaf (``layers/dense/vars/0`` -> ``layers/dense``;
    a TF2 object key without its ``/.ATTRIBUTES/VARIABLE_VALUE``)."""
    if item.layer is not None:
        return item.layer
    return _raw_layer_path(item.ref.name)  # checkpoint key (Keras 3: the tracking path) / variable name


def _raw_layer_path(name: str) -> str:
    """All but the leaf of a raw name (``layers/dense/vars/0`` -> ``layers/dense``; a TF2 object key without its
    ``/.ATTRIBUTES/VARIABLE_VALUE``)."""
    if name.endswith(ATTRIBUTE_SUFFIX):
        name = name[:-len(ATTRIBUTE_SUFFIX)]
    found = _POSITIONAL.match(name)
    if found:
        return found["layer"]
    cut = max(name.rfind("/"), name.rfind("."))
    return name[:cut] if cut > 0 else ""


def _by_layer(items: list[_Item]) -> dict[str, list[_Item]]:
    """{layer path: its items}, in the order they come."""
    layers: dict[str, list[_Item]] = defaultdict(list)
    for it in items:
        layers[_layer_path(it)].append(it)
    return layers


def _units(items: list[_Item], ordered: bool = True) -> list[tuple[_Item | None, list[_Item]]]:
    """Layers in the side's order, cut into units: one weight of rank >= 2 with the vectors that follow it in its
    layer (a conv kernel and its bias), or the vectors of a layer without one (a norm's scale, shift, statistics).
    Scalars (``num_batches_tracked``) belong to no unit: one-sided bookkeeping. (``ordered=False``: ``items``
    are in the order to cut them in already.)"""
    layers = _by_layer([it for it in (sorted(items, key=lambda it: it.order) if ordered else items) if it.shape])
    units: list[tuple[_Item | None, list[_Item]]] = []
    for members in layers.values():
        main: _Item | None = None
        vectors: list[_Item] = []
        for it in members:
            if _is_matrix(it) and not (it.layout is None and main is not None and _heads_bias(it, main.shape)):
                if main is not None or vectors:
                    units.append((main, vectors))
                main, vectors = it, []
            else:
                vectors.append(it)
        units.append((main, vectors))
    return units


def _by_role(cv: list, mv: list) -> list | None:
    """The checkpoint's vectors of a unit in the order of the model's, paired by role where the names give every
    one a distinct role (a TF norm's ``beta, gamma, moving_mean, moving_variance`` as written, sorted by name,
    against PyTorch's ``weight, bias, running_mean, running_var``), by position otherwise; None where a position
    would pair two different roles (a scale is never a bias, whatever the shapes)."""
    # (a role by ``_role_rank``: the weight (a norm's scale), the bias, a statistic; 4 where the name says none)
    rc, rm = [r if (r := _role_rank(c)) != 4 else None for c in cv], [r if (r := _role_rank(m)) != 4 else None
                                                                       for m in mv]
    if None in rc and len(cv) == len(mv) > 1:  # a module's own vectors named alike on both sides (XLNet's and
        # Funnel's `r_w_bias`, `r_r_bias`, `r_s_bias`, in another order): their names pair them
        by_leaf = {c.tokens[-1]: c for c in cv if c.tokens}
        if len(by_leaf) == len(cv) and all(m.tokens and m.tokens[-1] in by_leaf for m in mv):
            return [by_leaf[m.tokens[-1]] for m in mv]
    if rc == rm:
        return cv
    if None not in rc and len(set(rc)) == len(rc) and set(rc) == set(rm) and len(rm) == len(rc):
        at = dict(zip(rc, cv, strict=True))
        return [at[r] for r in rm]
    if any(a is not None and b is not None and a != b for a, b in zip(rc, rm, strict=False)):
        return None
    return cv


def _unit_fits(state: _State, cu, mu) -> bool:
    (cm, cv), (mm, mv) = cu, mu
    if (cm is None) != (mm is None):
        return False
    if len(cv) == len(mv):
        cv = _by_role(cv, mv)
        if cv is None:
            return False
    c_head, m_head = cm or cv[0], mm or mv[0]
    paired = state.pairs.get(id(m_head))
    if paired is not None or id(c_head) in state.taken_c:  # settled units anchor the sequences: only each other
        return paired is not None and paired.checkpoint is c_head
    if cm is not None:
        return state.compatible(cm, mm)[0] and (not mv or len(mv) == len(cv))
    return len(cv) == len(mv) and all(state.compatible(c, m)[0] for c, m in zip(cv, mv, strict=False))


def _structure(state: _State, c_items, m_items, ordered: bool, by_order: bool = False,
               strict: bool = True, torch_c: bool = False, torch_m: bool = False) -> bool | None:
    """Sides that share no vocabulary: align the two sequences of units (checkpoint order, model creation order)
    by dynamic programming, a unit matching one of the other side when its weight agrees in shape up to the
    layout transform of its leaf role (or, for vector-only units, in count and lengths); units present on one side
    only are skipped. A match is accepted only when *every* best alignment makes it; units that best alignments
    pair differently are ambiguous. Runs only when most model weights are still unexplained by names. Where the
    composites of the two written orders aligned and made pairs: the strictness they were aligned with
    (``_kinds_in_order`` may follow), else None."""
    aligned = None
    created = ordered and state.created
    if not ordered or created:  # (there too the names' natural order first, as without the .meta)
        _slim_order(state, c_items, m_items, strict, torch_c, torch_m)
    pool_c = [c for c in c_items if id(c) not in state.taken_c]

    def open_m(m: _Item) -> bool:
        return id(m) not in state.ambiguous or id(m) in state.shallow or by_order

    pool_m = [m for m in m_items if id(m) not in state.pairs and (open_m(m) or _which_element(state, m))]
    if len(pool_m) * 2 < len(m_items) or len(pool_m) < 2 or not pool_c:
        return None
    # (an element's tie between two conventions' orders takes one of its candidates only: ``_pair_units``)
    state.eligible = {id(m) for m in pool_m if not strict or open_m(m)}
    before = set(state.pairs)
    if created:
        # A graph's creation order lists a block's norm where its code made it (after the attention's output
        # projection, or before it): composites grouped by that order may differ from the model's, and a best
        # alignment of unlike composites can stretch across equal blocks, one of them removed. Unit by unit: there
        # a removed block among equal ones leaves every place open, as it should. What that leaves open is read as
        # without the .meta, by the names and the tree; then the order is given back.
        _align_units(state, [(u,) for u in _units(c_items)], [(u,) for u in _units(m_items)],
                     f"{state.order_said}, unit by unit", strict, by_unit=True)
        if any(state.open_m(m) for m in pool_m):
            order = {id(c): c.order for c in c_items}
            by_names, names_strict = _order_by_names(c_items, strict, torch_m)
            if by_names:  # (Keras' layer order, as its names give it)
                _align_units(state, _composites(_units(c_items), torch_c), _composites(_units(m_items), torch_m),
                             "in Keras' layer order, as its names give it", names_strict)
            else:
                _by_auto_number_and_tree(state, c_items, m_items, strict)
            for c in c_items:
                c.order = order[id(c)]
    else:
        if not ordered:
            ordered, strict = _order_by_names(c_items, strict, torch_m)
        if ordered:  # one sequence of every kind: a unit is held in place by its differently shaped neighbours
            _align_units(state, _composites(_units(c_items), torch_c), _composites(_units(m_items), torch_m),
                         state.order_said, strict)
            # Where the two sides group norms with weights otherwise (a pre-activation block: Keras' order puts a
            # norm after the conv it follows in the computation, PyTorch's names give it to the conv after it),
            # composites fit little: most of the model is still open, and the units, one by one in the same two
            # orders, decide
            if sum(1 for m in pool_m if state.open_m(m)) * 2 > len(pool_m):
                _align_units(state, [(u,) for u in _units(c_items)], [(u,) for u in _units(m_items)],
                             f"{state.order_said}, unit by unit", strict, by_unit=True)
            else:
                aligned = strict if set(state.pairs) - before else None
        else:
            _by_auto_number_and_tree(state, c_items, m_items, strict)
    _renamed_or_new(state, [k for k in state.pairs if k not in before])
    return aligned


def _order_by_names(c_items: list, strict: bool, torch_m: bool) -> tuple[bool, bool]:
    """A file's order by its names, each layer's weight before its vectors (a name-sorted file has `bias` first):
    (whether that is Keras' layer order, the strictness to align it with)."""
    for i, c in enumerate(sorted(c_items, key=lambda c: (_natural(_layer_path(c)), not _is_matrix(c),
                                                         _natural(c.ref.name)))):
        c.order = i
    if _keras_layer_order(c_items):
        for i, c in enumerate(sorted(c_items, key=lambda c: (_natural(_layer_path(c)), not _is_matrix(c),
                                                             _role_rank(c)))):
            c.order = i
        return True, strict and torch_m  # Keras' layer order against a Keras or TF model's: one convention
    return False, strict


def _by_auto_number_and_tree(state: _State, c_items: list, m_items: list, strict: bool) -> None:
    """Without a written order, names order the units of one auto-numbered family (Keras 3 ``conv2d``,
    ``conv2d_1``, ...: numbered in the model's layer order); each family is aligned on its own against the model's
    units of its kind, the other families' units being gaps; then the file's tree places the rest."""
    by_kind_c, by_kind_m = defaultdict(list), defaultdict(list)
    for u in _units(c_items):
        by_kind_c[_kind(u)].append(u)
    for u in _units(m_items):
        by_kind_m[_kind(u)].append(u)
    for kind, uc in by_kind_c.items():
        um = by_kind_m.get(kind)
        if not um:
            continue
        families = defaultdict(list)
        for u in uc:  # (by the name the inference reads: a TF2 object key's variable name, where it uses that)
            head = u[0] or u[1][0]
            families[re.sub(r"_\d+$", "", head.layer if head.layer is not None else _raw_layer_path(head.name))
                     ].append((u,))
        for family in families.values():
            _align_units(state, family, [(u,) for u in um], "by auto-number", strict)
    _tree_placement(state, c_items, m_items)


def _which_element(state: _State, m: _Item) -> bool:
    """Is ``m``, left in a tie of renamings, asking which element of a numbered family it is, the question order
    answers? It must be numbered itself (a container's element: ``blocks.1.1.bn1``, ``mid_block.resnets.0.conv1``),
    and its candidates differ in their numbers alone (``_blocks.2._bn1`` or ``_blocks.3._bn1``), or are the same
    layer (its own name, the same leaf) in containers numbered apart (``decoder.up.1.block.0.conv1`` or
    ``decoder.mid.block_1.conv1``); none numbered as its leading numbers are (``layers.2`` or ``layers.1`` for
    ``encoder.layers.2``, ``blocks.1.f`` or ``blocks.0.f`` for ``layers.1.0``: an element inserted before it or not,
    the numbering's open question). Not so a tie of words (``key`` or ``value`` for ``k_proj``), of named members
    against numbered ones (``tri.0`` or ``tri.1`` for ``tri.ingoing``; ``convs.bond`` or ``convs.angle`` for
    ``convs.0``: a dict's order is no list's), or of layers of other names: there order would only guess."""
    if id(m) not in state.ties:
        return False
    cands = state.ambiguous[id(m)][1]
    if state.ordered and _flat_and_told_apart_by_nothing(m, cands):
        return True
    if not any(t.isdigit() for t in m.key[:-1]):
        return False
    numbers = [tuple(t for t in c.key if t.isdigit()) for c in cands]
    own = tuple(t for t in m.key if t.isdigit())
    if len(cands) < 2 or any(n == own[:len(n)] for n in numbers):
        return False
    if len({_unnumbered(c.key) for c in cands}) == 1:
        return True
    word = _squashed(_layer_word(m.name))
    return len(set(numbers)) > 1 and \
        all(_squashed(_layer_word(c.name)) == word and c.key[-1:] == cands[0].key[-1:] for c in cands)


def _flat_and_told_apart_by_nothing(m: _Item, cands: list[_Item]) -> bool:
    """Is ``m`` a layer of a flat name (``res2a_branch2a``: keras-resnet numbers its blocks inside its layers'
    names) whose words tell none of its candidates (``layer1.0.conv1``, ``layer1.0.conv2``: numbered elements of
    containers) from another? Then its names say nothing of which it is, and a written order does."""
    owner = _owner(m.name)
    own = _raw_words(owner)
    return bool(own) and not re.search(r"[/.]", owner) and \
        len({frozenset(own & _raw_words(_owner(c.name))) for c in cands} - {frozenset()}) <= 1


_PLACEMENT_BUDGET = 20_000  # search steps for one placement in ``_tree_placement``
_PLACEMENT_TOTAL = 200_000  # search steps for all of them; a unit whose question is left open then is not decided


def _tree_placement(state: _State, c_items, m_items) -> None:
    """A checkpoint that keeps no order (safetensors: names sorted) still keeps its tree: every container's units sit
    together in a model built in one piece (``stn_3d.net``, ``stn_3d.norm``, ``stn_3d.head``: PointNet's input
    transform), and a numbered container lists its elements in the order it made them (``net.0`` .. ``net.6``). The
    model's creation order (a twin of other names: ``conv1d``, ``batch_normalization``, ...) is a sequence. Every
    checkpoint unit is placed on a model unit it fits, each model unit taking one at most, so that every container's
    units span no unit of another container and numbered elements follow their numbers (``net.3``, and siblings
    numbered in their words: ``norm1`` before ``norm2``). Where no placement keeps every container in one piece,
    only those so many levels deep are kept so, the deepest that allow one: a functional model lists its layers as
    its graph runs them, the parallel branches of a block interleaved (``inception_3a_3x3_conv1``,
    ``inception_3a_5x5_conv1``, ``inception_3a_3x3_bn1``). A unit placed alike in every placement pairs there: a
    placement is found, then for each unit one that puts it elsewhere, or the proof that none does; where none
    exists at all, or the search would be long, nothing is decided. A wrapper every name has (``_orig_mod``) is no
    container; flat names are read as their words (``inception_3a_3x3_conv1``). Where the file holds more than the
    model, the one largest set of top-level containers the model holds whole is placed (``_kept_containers``)."""
    units_c, units_m = _units(c_items), _units(m_items)  # (units paired already fit only their partners)
    if len(units_c) < 3 or len(units_c) * len(units_m) > _STRUCTURE_MAX ** 2 // 4:
        return  # (the same bound as ``_align_units``: every pair of units is tried once)
    paths = [_block_segments(u[0] or u[1][0]) for u in units_c]
    wrapper = 0
    while all(len(p) > wrapper + 1 and p[wrapper] == paths[0][wrapper] for p in paths):
        wrapper += 1
    paths = [p[wrapper:] for p in paths]
    flat = all(len(p) == 1 for p in paths)
    if flat:
        # Flat names keep their tree in their words where a number inside them says so (a Keras functional model's
        # `inception_3a_3x3_conv1`, `inception_3a_3x3_bn1`: block, branch, layer; not `conv2d_1`, `high_low`)
        paths = [_flat_tree(p[0]) for p in paths]
    if len({tuple(p[:-1]) if flat else p[0] for p in paths if len(p) > 1}) < 2:
        return  # one container or none: the names' own order is the order (``_align_units`` read it)
    options = [[j for j, mu in enumerate(units_m) if _unit_fits(state, cu, mu)] for cu in units_c]
    budget = [_PLACEMENT_TOTAL]
    kept = _kept_containers(paths, options, len(units_m), budget)
    if kept is None:
        return
    units_c, paths, options = [units_c[i] for i in kept], [paths[i] for i in kept], [options[i] for i in kept]
    deepest = max(map(len, paths))
    for depth in range(deepest, 0, -1):
        targets = _placements(paths, options, len(units_m), depth, budget)
        if targets is not None:
            break
    else:
        return
    where = ("its containers" if depth == deepest else
             f"its containers {depth} level{'s' if depth > 1 else ''} deep") + \
        " in place, numbered elements in number order"
    rivals: dict[int, list[int]] = defaultdict(list)  # model unit -> the checkpoint units placed on it somewhere
    for i, placed_on in enumerate(targets):
        if len(placed_on) == 1:
            j = next(iter(placed_on))
            before_pairs = set(state.pairs)
            _pair_units(state, units_c[i], units_m[j], i, j, len(units_c), len(units_c), len(units_m), where)
            state.placed |= set(state.pairs) - before_pairs
        else:
            for j in sorted(placed_on):
                rivals[j].append(i)
    for j, cands in rivals.items():  # member for member, by role (a name-sorted norm lists its bias first)
        mm, mv = units_m[j]
        for k, m in enumerate(([mm] if mm is not None else []) + mv):
            values: list[_Item] = []
            for i in cands:
                cm, cv = units_c[i]
                cv = (_by_role(cv, mv) if len(cv) == len(mv) else None) or cv
                members = ([cm] if cm is not None else []) + cv
                if k < len(members):
                    values.append(members[k])
            if id(m) in state.eligible and id(m) not in state.pairs and values:
                state.set_ambiguous(m, values, f"the file's tree places it in several ways ({where})", tie=True)


_SIBLING_NUMBER = re.compile(r"^([A-Za-z][A-Za-z_]*?)_?(\d+)$")  # ``conv2``, ``block_2``
_KEPT_TOPS = 8  # top-level containers of a checkpoint holding more than the model, beyond which none is left out


def _flat_tree(name: str) -> list[str]:
    """A flat layer name's words as a tree path, where it has three words or more and a number before its last
    (`inception_3a_3x3_conv1`, `layer_0_query`); else the name whole."""
    words = [w for w in name.split("_") if w]
    return words if len(words) >= 3 and any(ch.isdigit() for w in words[:-1] for ch in w) else [name]


def _kept_containers(paths: list[list[str]], options: list[list[int]], model_units: int, budget: list[int]
                     ) -> list[int] | None:
    """The checkpoint's units ``_tree_placement`` places: all of them where they fit the model; else the units of
    the one largest set of top-level containers that the model holds whole (a VAE's `encoder` and `quant_conv`,
    its `decoder` unused), each kept container's units all placed, the set the most of the model. None where no
    set, or more than one of the largest, can be placed so, or where an element of a numbered family is left out
    beside another kept (which part of the file the model is, the tree does not say)."""
    every = list(range(len(paths)))
    if len(paths) <= model_units and all(options):
        return every
    tops: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(paths):
        tops[p[0]].append(i)
    names = [t for t, units in tops.items() if all(options[i] for i in units)]
    if len(tops) > _KEPT_TOPS or len(names) < 2:
        return None
    deepest = max(map(len, paths))

    def fits(units: list[int]) -> bool:
        return any(_placements([paths[i] for i in units], [options[i] for i in units], model_units, depth, budget,
                               decide=False) is not None for depth in range(deepest, 0, -1))

    sets = sorted((s for r in range(len(names), 0, -1) for s in itertools.combinations(names, r)),
                  key=lambda s: -sum(len(tops[t]) for t in s))
    best: list[int] | None = None
    kept: tuple[str, ...] = ()
    for s in sets:
        units = sorted(i for t in s for i in tops[t])
        if len(units) > model_units or best is not None and len(units) < len(best):
            continue
        if fits(units):
            if best is not None:
                return None  # (two sets of the same size fit)
            best, kept = units, s
    if best is None or len(best) * 2 <= model_units:
        return None  # (a small part of the file that fits somewhere says nothing of the model)
    if {_family_word(t) for t in kept} & {_family_word(t) for t in tops if t not in kept} - {None}:
        return None  # (`layer01` kept and `layer00` left out: which element the model lacks is the numbering's
        # question, and a block the file holds in part is no smaller set's)
    return best


def _numbered_segment(segment: str) -> tuple[str, int] | None:
    """(its word, its number) of a numbered path segment: ``("", 3)`` of ``3``, ``("layer", 1)`` of ``layer01``,
    ``("block", 2)`` of ``block_2``; None where it has no number."""
    if segment.isdigit():
        return "", int(segment)
    found = _SIBLING_NUMBER.match(segment)
    return (found[1], int(found[2])) if found else None


def _family_word(segment: str) -> str | None:
    """The family a numbered segment is an element of (``layer`` of ``layer01``; ``""`` of ``3``)."""
    numbered = _numbered_segment(segment)
    return numbered[0] if numbered else None


def _element_numbers(path: list[str]) -> list[tuple[tuple, int]]:
    """(the family, the number) of each numbered segment of a path: a number of its own (``net.3``: family ``net``),
    or glued to a word (``conv2``, ``block_2``: family ``conv`` of the parent)."""
    out: list[tuple[tuple, int]] = []
    for d, segment in enumerate(path):
        if (numbered := _numbered_segment(segment)) is not None:
            word, n = numbered
            out.append(((*path[:d], word) if word else tuple(path[:d]), n))
    return out


def _placements(paths: list[list[str]], options: list[list[int]], model_units: int, depth: int, budget: list[int],
                decide: bool = True) -> list[set[int]] | None:
    """For ``_tree_placement``: each checkpoint unit's model units over the placements that keep every container of
    at most ``depth`` segments in one piece and numbered elements in number order: one set per unit, the unit's own
    placement alone where no other exists, empty where that question was left open (the search would be long).
    None where no placement exists or the first one would take long. ``budget``: search steps left, shared."""
    prefixes = [[tuple(p[:d]) for d in range(1, min(len(p), depth + 1))] for p in paths]
    # (an element's number: a segment of its own, ``net.3``, or glued to a word its siblings share, ``conv2``,
    # ``block_2``: a module makes its ``norm1`` before its ``norm2``)
    numbered = [_element_numbers(p) for p in paths]
    size = Counter(prefix for p in prefixes for prefix in p)  # container -> its units
    gaps = model_units - len(paths)  # model units no unit takes
    spans: dict[tuple, list[int]] = defaultdict(list)  # container -> the model units its placed units took, sorted
    elements: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))  # numbered: per number
    at: list[int] = []  # the model units taken, sorted
    unit_at: dict[int, int] = {}  # model unit -> checkpoint unit
    # (bookkeeping kept incremental: each step costs a few look-ups per level of the unit's path)

    def common(i1: int, i2: int) -> int:  # how many leading segments two units' paths share, up to ``depth``
        p1, p2 = paths[i1], paths[i2]
        k = 0
        while k < min(len(p1), len(p2), depth + 1) - 1 and p1[k] == p2[k]:
            k += 1
        return k

    def consistent(i: int, j: int) -> bool:
        k = bisect.bisect_left(at, j)
        left = unit_at[at[k - 1]] if k > 0 else None
        right = unit_at[at[k]] if k < len(at) else None
        if left is not None and right is not None:  # inside the span of the container the two neighbours share
            shared = common(left, right)
            if shared and paths[i][:shared] != paths[left][:shared]:
                return False
        for prefix in prefixes[i]:  # the unit's containers stay in one piece: no other unit between
            taken_by = spans.get(prefix)
            if taken_by:
                if max(j, taken_by[-1]) - min(j, taken_by[0]) >= size[prefix] + gaps:
                    return False  # (within its span: its own units, or model units no unit takes)
                if j < taken_by[0] and (right is None or at[k] != taken_by[0]):
                    return False
                if j > taken_by[-1] and (left is None or at[k - 1] != taken_by[-1]):
                    return False
        for head, n in numbered[i]:  # numbered elements in number order
            for n2, taken_by in elements[head].items():
                if taken_by and (n2 < n and taken_by[-1] > j or n2 > n and taken_by[0] < j):
                    return False
        return True

    def place(i: int, j: int) -> None:
        bisect.insort(at, j)
        unit_at[j] = i
        for prefix in prefixes[i]:
            bisect.insort(spans[prefix], j)
        for head, n in numbered[i]:
            bisect.insort(elements[head][n], j)

    def unplace(i: int, j: int) -> None:
        at.remove(j)
        del unit_at[j]
        for prefix in prefixes[i]:
            spans[prefix].remove(j)
        for head, n in numbered[i]:
            elements[head][n].remove(j)

    order = sorted(range(len(paths)), key=lambda i: [_natural(s) for s in paths[i]])
    where = [0] * len(paths)  # checkpoint unit -> its model unit, in the placement being built
    # Where a container kept in one piece begins, what the units still to place may do depends only on which such
    # container took which model unit (not on which of its units): a dead end met there once is one again (units of
    # a container swapped among themselves would otherwise be tried against the rest of the model again and again)
    top = [tuple(p[:depth]) for p in paths]
    starts = {k for k in range(1, len(order)) if top[order[k]] != top[order[k - 1]]}
    # Twins (units any constraint treats alike and that fit the same model units: an attention's `to_q`, `to_k`,
    # `to_v`) trade places in any placement; searched in one order only, each is decided with its twins at once
    twins: dict[tuple, list[int]] = defaultdict(list)
    for i in order:
        twins[(tuple(options[i]), top[i], tuple(prefixes[i]), tuple(numbered[i]))].append(i)
    before_twin = {b: a for members in twins.values() for a, b in itertools.pairwise(members)}
    twins_of = {i: members for members in twins.values() if len(members) > 1 for i in members}

    def first(avoid: tuple[int, int] | None) -> list[int] | None | Literal[False]:
        """A placement (not putting unit ``avoid[0]`` on ``avoid[1]``), None where none exists, False where the
        search ran out of steps."""
        steps = 0
        dead: set[tuple] = set()

        def search(k: int) -> bool | None:  # True: found; None: none below; False: out of steps
            nonlocal steps
            if k == len(order):
                return True
            seen = (k, tuple(sorted((j, top[i2]) for j, i2 in unit_at.items()))) if k in starts else None
            if seen in dead:
                return None
            i = order[k]
            for j in options[i]:
                steps += 1
                if steps > _PLACEMENT_BUDGET or steps > budget[0]:
                    return False
                if j in unit_at or (i, j) == avoid or i in before_twin and j < where[before_twin[i]] or \
                        not consistent(i, j):
                    continue
                place(i, j)
                where[i] = j
                done = search(k + 1)
                unplace(i, j)
                if done is not None:
                    return done
            if seen is not None:
                dead.add(seen)
            return None

        found = search(0)
        budget[0] -= steps
        return list(where) if found else None if found is None else False

    placement = first(None)
    if not placement:
        return None
    targets = [{j} for j in placement]
    if not decide:  # (whether a placement exists)
        return targets
    for i in order:
        if len(targets[i]) > 1:
            continue
        if i in twins_of:
            targets[i].update(placement[k] for k in twins_of[i])
            continue
        other = first((i, placement[i]))
        if other is False:
            targets[i] = set()
        elif other is not None:
            for k, j in enumerate(other):
                if targets[k]:
                    targets[k].add(j)
    return targets


def _kinds_in_order(state: _State, c_items, m_items, strict: bool) -> None:
    """After the written orders' composites aligned (``_structure``): a PyTorch module may create its norms together
    (``norm1``, ``norm2`` before or after its linears) where Keras lists each after the layer it follows, which
    leaves composites of two compositions open. The units of one kind keep their order among themselves on both
    sides: aligned kind by kind, what no other stage settled, pairs only where every best alignment agrees; a unit
    alone of its kind pairs only where it stands between the same two pairs on both sides (``placed``)."""
    open_m = [m for m in m_items if state.open_m(m)]
    if not open_m or not any(id(c) not in state.taken_c for c in c_items):
        return
    state.eligible = {id(m) for m in open_m}
    before = set(state.pairs)
    units_c, units_m = _units(c_items), _units(m_items)
    by_kind_c, by_kind_m = defaultdict(list), defaultdict(list)
    for u in units_c:
        by_kind_c[_kind(u)].append((u,))
    for u in units_m:
        by_kind_m[_kind(u)].append((u,))
    unit_of = {id(it): k for k, (main, vectors) in enumerate(units_m) for it in ([main] if main else []) + vectors}

    def partner(k: int) -> int | None:  # the model unit the checkpoint unit k is paired into, if any
        main, vectors = units_c[k]
        m = state.taken_c.get(id(main or vectors[0]))
        return unit_of.get(id(m)) if m is not None else None

    def placed(cc: tuple, mc: tuple) -> bool:
        """A unit left alone of its kind stands where its partner stands: between the same two pairs on both sides
        (the nearest paired units before and after it are each other's partners)."""
        p, q = units_c.index(cc[0]), units_m.index(mc[0])
        paired_m = {partner(k) for k in range(len(units_c))} - {None}
        before_c = next((k for k in range(p - 1, -1, -1) if partner(k) is not None), None)
        after_c = next((k for k in range(p + 1, len(units_c)) if partner(k) is not None), None)
        before_m = next((k for k in range(q - 1, -1, -1) if k in paired_m), None)
        after_m = next((k for k in range(q + 1, len(units_m)) if k in paired_m), None)
        if before_c is None or after_c is None or before_m is None or after_m is None:
            return False
        return partner(before_c) == before_m and partner(after_c) == after_m

    for kind, uc in by_kind_c.items():
        if kind in by_kind_m:
            _align_units(state, uc, by_kind_m[kind], f"{state.order_said}, kind by kind", strict, by_unit=True,
                         placed=placed)
    _renamed_or_new(state, [k for k in state.pairs if k not in before])


_KERAS_TF_LAYER = re.compile(r"^(?:.+/)?(?:layer(?:_with_weights)?-|_operations/)\d+/")


def _keras_layer_order(items: list) -> bool:
    """tf-keras' TF-format files (``save_weights``, a Keras model in a ``tf.train.Checkpoint``, SavedModel
    variables) key a Functional or Sequential model's layers ``layer_with_weights-N`` (``layer-N``), N the layer's
    rank in ``model.layers``; Keras 3's key them ``_operations/N``, N the layer's index among the model's
    operations (its input first). Where every value is keyed so, the numbers keep the model's layer order (each
    layer's values then by role: a name-sorted file lists ``bias`` before ``kernel``)."""
    return bool(items) and all(_KERAS_TF_LAYER.match(c.ref.name) for c in items)


def _slim_order(state: _State, c_items, m_items, strict: bool, torch_c: bool, torch_m: bool) -> None:
    """A checkpoint that keeps no order, whose norms are nested in the layer they follow (tf-slim: ``Conv2d_3_
    depthwise/depthwise_weights``, ``Conv2d_3_depthwise/BatchNorm/gamma``) and whose layers are numbered: its layer
    paths in natural order, a layer before the scopes nested in it, are one sequence, aligned as a whole."""
    # (where names tied among renamings, too: the order of the names is the evidence they lacked)
    pool_m = [m for m in m_items if state.open_m(m)]
    if len(pool_m) * 2 < len(m_items) or not any(id(c) not in state.taken_c for c in c_items):
        return
    units = _units(c_items)
    paths = {_layer_path(main or vectors[0]): main is not None for main, vectors in units}
    norms = [p for p, weighted in paths.items() if not weighted]
    if len(norms) < 2 or not all(paths.get(p.rpartition("/")[0]) for p in norms):
        return  # a norm on its own (Keras' batch_normalization_3): names do not say which weight it follows
    state.eligible = {id(m) for m in pool_m}
    before = set(state.pairs)

    def key(it: _Item) -> tuple:
        return [_natural(seg) for seg in _layer_path(it).split("/")], _role_rank(it)

    ordered = sorted((c for c in c_items if c.shape), key=key)
    _align_units(state, _composites(_units(ordered, ordered=False), torch_c), _composites(_units(m_items), torch_m),
                 "in the natural order of its layer names", strict)
    if state.created and any(state.open_m(m) for m in pool_m):
        # then as the graph beside it created them (a TF1 file's .meta): what the names' order left open, where a
        # block's layers sort otherwise than they were made (MobileNetV2's `expand`, `depthwise`, `project`)
        state.eligible = {id(m) for m in pool_m if state.open_m(m)}
        ordered = sorted((c for c in c_items if c.shape), key=lambda c: (c.order, _role_rank(c)))
        _align_units(state, _composites(_units(ordered, ordered=False), torch_c),
                     _composites(_units(m_items), torch_m), state.order_said, strict)
    _renamed_or_new(state, [k for k in state.pairs if k not in before])


def _length(it: _Item) -> int:
    return math.prod(it.shape)


def _depthwise(it: _Item) -> int | None:
    """The channel count of a depthwise kernel (TF ``(h, w, C, 1)``, PyTorch ``(C, 1, h, w)``), else None."""
    s = it.shape
    if len(s) != 4:
        return None
    return s[2] if s[3] == 1 and s[2] > 1 else s[0] if s[1] == 1 and s[0] > 1 else None


def _pointwise_in(it: _Item) -> int | None:
    """The input channels of a 1x1 kernel (TF ``(1, 1, in, out)``, PyTorch ``(out, in, 1, 1)``), else None."""
    s = it.shape
    if len(s) != 4:
        return None
    return s[2] if s[:2] == (1, 1) else s[1] if s[2:] == (1, 1) else None


def _widths(unit, torch: bool) -> set[int]:
    """The output widths a unit's norm may have: its bias's length, else its kernel's output axis in the side's
    layout (PyTorch ``(out, in, ...)``, TF/Keras ``(..., in, out)``; a depthwise kernel: its channels)."""
    main, vectors = unit
    if vectors:
        return {_length(vectors[0])}
    assert main is not None
    dw = _depthwise(main)
    return {dw} if dw else {main.shape[0] if torch else main.shape[-1]}


def _composites(units: list, torch: bool = False) -> list[tuple]:
    """Units that belong together: a weight with the vector-only units that normalise or scale its output
    (conv -> BatchNorm -> PReLU), and a depthwise kernel with its pointwise kernel (a separable conv: one Keras
    layer, two PyTorch modules). Two orders of two conventions (Keras lists a ResNet shortcut before the block's
    convs, torchvision after) move whole composites, never their parts; a composite's signature tells equal-shaped
    norms apart by the weight they belong to.

    Which weight a norm belongs to is read differently per side. Keras and TF list layers in the order they
    compute (a norm after its weight: ``_norm_owner``). A PyTorch module lists them in the order its ``__init__``
    created them, which may be any order (a norm created before its conv, a shortcut between a depthwise and its
    pointwise kernel): there a norm belongs to the neighbouring weight its *name* is closest to (``layer1.0.bn1``
    to ``layer1.0.conv1``, ``stem_bn`` to ``stem``), and a depthwise kernel takes a pointwise kernel of its own
    module only; without such a name the unit stands alone (never given by guess)."""
    if torch:
        return _composites_by_name(units)
    out: list[list] = []
    following: list[list[str]] = []  # the name of the next weight's unit after each unit (none: [])
    for u in reversed(units):
        following.append(_path_tokens(u) if u[0] is not None else following[-1] if following else [])
    following.reverse()
    for i, u in enumerate(units):
        main, vectors = u
        if out:
            last = out[-1][-1]
            if main is None and vectors:
                owner = _norm_owner(out, vectors, following[i + 1] if i + 1 < len(units) else [])
                if owner is not None:
                    owner.append(u)
                    continue
            if main is not None and len(out[-1]) == 1 and last[0] is not None and not last[1]:
                dw = _depthwise(last[0])
                if dw and _pointwise_in(main) == dw:
                    out[-1].append(u)
                    continue
        out.append([u])
    return [tuple(c) for c in out]


def _norm_owner(out: list[list], vectors: list, after: list[str]) -> list | None:
    """The composite a vector-only unit (a norm, an activation's weights) follows in a Keras/TF order: the one just
    before when its last unit has the vectors' width and it holds no unit of this kind yet, else the only one of
    the two before that ends with a weight of that width (Keras lists a block's shortcut conv and its last conv
    before their norms). Of two possible owners, the only one whose weight has no bias (a norm makes a bias
    redundant), else none (a norm is never given to a weight by guess)."""
    def fits(comp: list) -> bool:
        return all(_length(v) in _widths(comp[-1], False) for v in vectors) and \
            all(len(u[1]) != len(vectors) for u in comp if u[0] is None)

    last = out[-1]
    if last[-1][0] is None:  # after a norm: an activation's weights join it (conv -> BatchNorm -> PReLU)
        return last if fits(last) else None
    # (a norm whose name shares more words with the next weight's than with a weight's before it normalises the next
    # one's input, a pre-norm: ``block_0_channel_norm`` after ``block_0_token_mlp_2``, before ``block_0_channel_mlp_1``;
    # ``pre_head_norm`` before ``head``)
    mine = _path_tokens((None, vectors))
    near = _shared(mine, after)
    owners = [c for c in out[-3:] if c[-1][0] is not None and fits(c) and _shared(mine, _path_tokens(c[-1])) >= near]
    if len(owners) > 1:  # a norm follows a weight without a bias of its own (EfficientNet: the projection, not the
        bare = [c for c in owners if not c[-1][1]]  # squeeze-excite conv of its width with a bias just before)
        owners = bare if len(bare) == 1 else owners
    return owners[0] if len(owners) == 1 else None


def _shared(a: list[str], b: list[str]) -> int:
    """How many words two layer names share (numbers aside: Keras' auto-numbers of two families need not agree)."""
    return len({t.lower() for t in a if not t.isdigit()} & {t.lower() for t in b if not t.isdigit()})


def _path_tokens(unit) -> list[str]:
    return [t for t in re.split(r"[./_]", _layer_path(unit[0] or unit[1][0])) if t]


def _affinity(a: list[str], b: list[str]) -> tuple[int, int]:
    """How close two PyTorch module names are: shared leading tokens, then whether the first differing tokens
    end in the same number (``bn1`` / ``conv1``)."""
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    tail_a = re.search(r"(\d+)$", a[k]) if k < len(a) else None
    tail_b = re.search(r"(\d+)$", b[k]) if k < len(b) else None
    return k, int(bool(tail_a and tail_b and tail_a.group(1) == tail_b.group(1)))


def _parent(path: str) -> str:
    """The module a layer path is in (``_blocks.2`` of ``_blocks.2._bn1``; ``""`` at the top)."""
    return path[:max(path.rfind("."), path.rfind("/"), 0)]


def _siblings_in_order(a: str, b: str) -> bool:
    """Two elements of one ordered container (``features.3`` and ``features.2``)."""
    pa, pb = a.rsplit(".", 1), b.rsplit(".", 1)
    return len(pa) == len(pb) == 2 and pa[0] == pb[0] and pa[1].isdigit() and pb[1].isdigit() or \
        a.isdigit() and b.isdigit()


_NEAR = 6  # units between a norm and the weight it may belong to, in a PyTorch module's creation order


def _composites_by_name(units: list) -> list[tuple]:
    tokens = [_path_tokens(u) for u in units]
    shared = 0  # a prefix every name has (``module.``, ``_orig_mod.``) says nothing about who belongs to whom
    while tokens and all(len(t) > shared + 1 and t[shared] == tokens[0][shared] for t in tokens):
        shared += 1
    tokens = [t[shared:] for t in tokens]
    paths = [_layer_path(u[0] or u[1][0]) for u in units]
    weights = [i for i, u in enumerate(units) if u[0] is not None]
    previous: list[int | None] = []  # the last weight unit before each unit
    last = None
    for i, u in enumerate(units):
        previous.append(last)
        if u[0] is not None:
            last = i
    owner: dict[int, int] = {}  # vector-only unit -> weight unit
    merged: dict[int, int] = {}  # pointwise unit -> depthwise unit
    for i in weights:
        b = previous[i]
        if b is None or units[b][1]:
            continue
        dw = _depthwise(units[b][0])
        if dw and _pointwise_in(units[i][0]) == dw and tokens[b][:-1] == tokens[i][:-1] and len(tokens[i]) > 1:
            merged[i] = b  # one module's two kernels
    for i, (main, vectors) in enumerate(units):
        if main is not None or not vectors:
            continue
        b = previous[i]
        if b is not None and _siblings_in_order(paths[i], paths[b]) and \
                all(_length(v) in _widths(units[b], True) for v in vectors):
            owner[i] = merged.get(b, b)  # elements of one nn.Sequential: listed as computed
            continue
        # Names decide, and only a weight created before the norm may own it: in the order the layers compute
        # (Keras' order, the other side) a norm follows the weight whose output it normalises, and a norm created
        # first (``bn1`` before ``conv1`` in a pre-activation block) normalises what the previous weight computed.
        # Weights within _NEAR units either way are weighed (a closer name after the norm blocks the choice).
        best: dict[int, tuple[int, int]] = {}  # composite head -> its closest kernel's affinity
        lo, hi = bisect.bisect_left(weights, i - _NEAR), bisect.bisect_right(weights, i + _NEAR)
        # Modules of the model's top level (``conv1``, ``bn1`` of a torchvision stem) share no scope: there the
        # number their names end in is the affinity.
        top = len(tokens[i]) == 1
        for w in weights[lo:hi]:
            if all(_length(v) in _widths(units[w], True) for v in vectors) and \
                    (tokens[w][:1] == tokens[i][:1] or top and len(tokens[w]) == 1):
                head = merged.get(w, w)
                best[head] = max(best.get(head, (0, 0)), _affinity(tokens[i], tokens[w]))
        scored = sorted(((a, w) for w, a in best.items()), reverse=True)
        if scored and (scored[0][0][0] > 0 or top and scored[0][0][1] > 0) and \
                (len(scored) == 1 or scored[0][0] > scored[1][0]) and 0 < i - scored[0][1] <= _NEAR:
            owner[i] = scored[0][1]
            continue
        # Names that say no more of the weight just before than of others near it (``_blocks.2._bn1`` after
        # ``_blocks.2._depthwise_conv``, between ``_expand_conv`` and ``_se_expand``), or nothing at all (``_bn0``
        # right after ``_conv_stem``): the weight created just before it in the same module, where its width fits,
        # is the one it follows as computed; a weight whose name is closer still decides (a norm created before
        # its conv).
        b = previous[i]
        if b is None or _parent(paths[b]) != _parent(paths[i]) or \
                not all(_length(v) in _widths(units[b], True) for v in vectors):
            continue  # (a norm beside a container, ESM's pre-LN `attention.LayerNorm`, follows no weight inside it)
        head = merged.get(b, b)
        tied = [w for a, w in scored if a == scored[0][0]] if scored else []
        if scored and head in tied and scored[0][0][0] > 0 or not scored and i - b == 1:
            owner[i] = head
    groups: dict[int, list[int]] = {}
    for i in range(len(units)):
        head = owner.get(i, merged.get(i, i))
        head = merged.get(head, head)
        groups.setdefault(head, []).append(i)
    out: list[tuple[int, tuple]] = []
    for head in sorted(groups):
        members = sorted(groups[head], key=lambda k: (units[k][0] is None, k))  # weights first, then their norms
        kinds = [len(units[k][1]) for k in members if units[k][0] is None]
        if len(kinds) != len(set(kinds)):  # two norms of one kind claim one weight: none of them is sure
            out += [(k, (units[k],)) for k in members]
            continue
        out.append((min(members), tuple(units[k] for k in members)))
    return [c for _, c in sorted(out, key=lambda x: x[0])]


def _shapes_alike(ca: tuple, cb: tuple) -> bool:
    """Two composites of the same make-up whose values agree in shape up to the order of axes: what is left to say
    they correspond where neither names a role."""
    if len(ca) != len(cb):
        return False
    for (am, av), (bm, bv) in zip(ca, cb, strict=True):
        if (am is None) != (bm is None) or len(av) != len(bv) or \
                am is not None and sorted(am.shape) != sorted(bm.shape) or \
                any(x.shape != y.shape for x, y in zip(av, bv, strict=True)):
            return False
    return True


def _composite_fits(state: _State, ca: tuple, cb: tuple) -> bool:
    return len(ca) == len(cb) and all(_unit_fits(state, a, b) for a, b in zip(ca, cb, strict=True))


def _head(comp: tuple) -> _Item:
    main, vectors = comp[0]
    return main or vectors[0]


def _may_trade(a: str, b: str) -> bool:
    """Could two layers be listed in either order by two authors? Not when they are elements of one ordered
    container (``layer1.0`` / ``layer1.1``, ``h.0`` / ``h.1``): those keep their order in every port."""
    pa, pb = re.split(r"[./]", a), re.split(r"[./]", b)
    k = 0
    while k < min(len(pa), len(pb)) and pa[k] == pb[k]:
        k += 1
    return not (k < len(pa) and k < len(pb) and pa[k].isdigit() and pb[k].isdigit())


def _numbers_alike(names: list[str]) -> list[tuple[int, ...]] | None:
    """Each name's numbers, where the names differ only in them (Keras' first layer of a kind has none:
    ``layer_normalization`` is ``layer_normalization_0`` beside ``layer_normalization_1``); None where they differ
    otherwise."""
    masks = [_INDEX.sub("#", n) for n in names]
    if len(set(masks)) != 1:
        numbered = {m for m in masks if m.endswith("_#")}
        if len(numbered) != 1:
            return None
        names = [n + "_0" if m + "_#" in numbered else n for n, m in zip(names, masks, strict=True)]
        if len({_INDEX.sub("#", n) for n in names}) != 1:
            return None
    return [tuple(map(int, _INDEX.findall(n))) for n in names]


def _number_order(a: str, b: str) -> int | None:
    """How two names that differ only in their numbers order them (-1: ``a`` first, 1: ``b``; ``_numbers_alike``),
    or only in one letter right after a number (Caffe's ResNet names a block's convs ``res2a_branch2a``,
    ``res2a_branch2b``: first, second); None for names that differ otherwise."""
    numbers = _numbers_alike([a, b])
    if numbers is None:
        if _ORDINAL_LETTER.split(a) != _ORDINAL_LETTER.split(b):
            return None
        apart = [(x, y) for x, y in zip(_ORDINAL_LETTER.findall(a), _ORDINAL_LETTER.findall(b), strict=True) if x != y]
        return (-1 if apart[0][0] < apart[0][1] else 1) if len(apart) == 1 else None
    if numbers[0] == numbers[1]:
        return None
    return -1 if numbers[0] < numbers[1] else 1


_ORDINAL_LETTER = re.compile(r"(?<=\d)[a-z](?![a-z])")  # a letter that counts after a number (`2a`, `2b`)


def _numbered_alike(ci: str, ck: str, mj: str, mk: str) -> bool:
    """Do both sides number two layers, and in the same order (``conv2d_6``, ``conv2d_7`` / ``layer1.1.conv1``,
    ``layer1.1.conv2``)? Each side numbers its layers in the order it creates them: the alignment that pairs them
    in that order is the one both sides' names tell, so the two do not trade places."""
    order = _number_order(ci, ck)
    return order is not None and order == _number_order(mj, mk)


def _renamed_or_new(state: _State, made: list) -> None:
    """Structure pairs whose layer names share no word, among structure pairs whose names mostly do, are the
    renamed-or-new question again (a new head in place of the old one): ambiguous, not paired."""
    def words(it):  # of the layer's raw name (the leaf aside)
        return _raw_words(it.name[:max(it.name.rfind("/"), it.name.rfind("."))])

    def shares(c, m):
        return bool(words(c) & words(m))

    def alike(c, m):  # or one word written short for the other (``conv`` / ``convolution``, ``block`` / ``blocks``),
        # the model layer's own name among them (``note_conv`` / ``notes.novel``: a container alike, the layer not)
        pc, pm = _raw_layer_path(c.name), _raw_layer_path(m.name)
        return _names_share(pc, pm) and _names_share(pc, re.split(r"[/.]", pm)[-1])

    sharing = [shares(state.pairs[k].checkpoint, state.pairs[k].model) for k in made]
    if sum(sharing) * 2 <= len(made):
        return
    foreign = [k for k, ok in zip(made, sharing, strict=True)
               if not ok and not alike(state.pairs[k].checkpoint, state.pairs[k].model)]
    # The same renaming in block after block (a squeeze-excitation's `se.fc1` for `conv2d_3`, `conv2d_8`, ...): a
    # convention of the port, not one layer replaced. Its layers, numbers aside, sit in two containers or more.
    # Flat names number their blocks in the layer's own name (keras-resnet's `res2a_branch2a`, `res3a_branch2a`):
    # there three layers or more so renamed are the convention.
    containers: dict[str, set[str]] = defaultdict(set)
    layers = {k: _layer_path(state.pairs[k].model) for k in foreign}
    cuts = {k: max(path.rfind("/"), path.rfind(".")) for k, path in layers.items()}
    for k, path in layers.items():
        containers[_INDEX.sub("#", path)].add(path[:cuts[k]] if cuts[k] > 0 else path)
    for k, path in layers.items():
        if len(containers[_INDEX.sub("#", path)]) < (2 if cuts[k] > 0 else 3):
            c, m = state.pairs[k].checkpoint, state.pairs[k].model
            state.drop_pair(m)
            state.set_ambiguous(m, [c], "structure pairs it with a layer of another name, while the other layers "
                                        "keep theirs: renamed, or replaced by a new layer?")


def _is_matrix(it: _Item) -> bool:
    """A weight with two or more real axes (PReLU's ``(1, 1, C)`` alpha is a vector)."""
    return sum(d != 1 for d in it.shape) >= 2


def _kind(unit) -> tuple:
    main, vectors = unit
    return ("weight", len(main.shape)) if main is not None else ("vectors", len(vectors))


_MOVE = 4  # composites by which two conventions' orders may list a block's layers differently


def _name_owner(seq: list, k: int) -> int | None:
    """Of the weight units just before and just after unit ``k`` (a norm) in a sequence of one-unit composites, the
    one whose name shares more leading tokens with the norm's; None when neither does more."""
    before = next((x for x in range(k - 1, -1, -1) if seq[x][0][0] is not None), None)
    after = next((x for x in range(k + 1, len(seq)) if seq[x][0][0] is not None), None)
    mine = _path_tokens(seq[k][0])
    a, b = (-1 if x is None else _affinity(mine, _path_tokens(seq[x][0]))[0] for x in (before, after))
    return before if a > b else after if b > a else None


def _align_units(state: _State, uc: list, um: list, where: str, strict: bool = True, by_unit: bool = False,
                 placed: Callable[[tuple, tuple], bool] | None = None, reach: int = _MOVE) -> None:
    """Align two sequences of composites. ``strict``: the orders are of two conventions (a Keras file against a
    PyTorch model), which may list the layers of one block differently: then a match that could trade places
    with a nearby one (each fits the other's partner, and neither side keeps the two in an ordered container)
    is ambiguous. Composites no best alignment matches stay unpaired: a layer listed elsewhere by the other
    convention (a shortcut Keras lists first, torchvision last) and a removed layer beside a new one of its shape
    look the same in the files. ``placed`` (kind by kind, after the composites aligned: ``_kinds_in_order``): pairs
    only, never ambiguities, and a unit alone of its kind where ``placed`` says it stands where its partner does.
    ``reach``: how far apart (in composites) two that could trade places may stand."""
    n, m = len(uc), len(um)
    if n * m > _STRUCTURE_MAX ** 2 // 4:
        return
    fits = [[_composite_fits(state, a, b) for b in um] for a in uc]
    m_heads = {id(u[0] or u[1][0]) for mc in um for u in mc}

    def anchored(cc: tuple) -> bool:  # every unit already paired, inside this alignment
        heads = [u[0] or u[1][0] for u in cc]
        return all(id(h) in state.taken_c and id(state.taken_c[id(h)]) in m_heads for h in heads)

    def holds(cc: tuple) -> bool:  # a unit already paired, inside this alignment
        return any(id(h) in state.taken_c and id(state.taken_c[id(h)]) in m_heads
                   for h in (u[0] or u[1][0] for u in cc))

    # A composite with a unit names already paired is held in place: an alignment that leaves such a pair out is
    # no best one (each weighs more than all other matches together; ``best`` counts matches).
    big = n + m + 1
    held = [big if holds(cc) else 0 for cc in uc]
    anchors = sum(1 for cc in uc if anchored(cc))
    F, G = _alignment_tables(fits, held)
    top = F[n][m]
    best = top % big
    # One unit against one is no order: a leftover is not a partner because it is left over; unless ``placed``
    # says the two stand in one place of sequences aligned already (``_kinds_in_order``: between the same two pairs).
    lone = best - anchors < 2
    if lone and placed is None:
        return
    alike = None
    if best * 2 < min(n, m):  # most units fit nothing on the other side: the few that do are held in place by gaps
        # unless those that fit nothing stand in the same places with the same shapes (a custom layer's weights,
        # roles named on neither side, between layers that fit): the sequences agree, gaps included; the matches
        # must be ones that agreement makes too
        # Fits count first (a shape alike never outweighs one: an embedding that fits is not left out for two
        # recurrent kernels alike in shape, which no role pairs), then shapes alike; a held unit outweighs both.
        sfits = [[big if fits[i][j] else int(_shapes_alike(uc[i], um[j])) for j in range(m)] for i in range(n)]
        sheld = [big * big if h else 0 for h in held]
        sF, sG = _alignment_tables(sfits, sheld)
        agree = sF[n][m] % (big * big)
        if (agree // big + agree % big) * 2 < min(n, m):
            return
        alike = _sure_matches(sF, sG, sfits, sheld, sF[n][m])[2]
    _, partners_m, sure = _sure_matches(F, G, fits, held, top)
    if alike is not None:
        sure = {i: j for i, j in sure.items() if alike.get(i) == j}

    def loose(a: tuple, b: tuple) -> bool:  # the kernels fit, whatever norms each side grouped with them
        ka, kb = [u for u in a if u[0] is not None], [u for u in b if u[0] is not None]
        return bool(ka) and len(ka) == len(kb) and all(_unit_fits(state, x, y) for x, y in zip(ka, kb, strict=True))

    # A norm left without an owner on one side (Keras lists a block's shortcut conv and its last conv before their
    # equally wide norms) leaves that conv a composite of another composition than its partner's: matched by its
    # kernel alone, the alignment may have other best forms (a removed block's gap placed elsewhere among equal
    # blocks). A match stands only where no best form of that looser alignment gives either side another partner
    # (one that leaves them out, a layer the other convention lists elsewhere, contradicts nothing); elsewhere it
    # is ambiguous.
    lfits = [[fits[i][j] or loose(uc[i], um[j]) for j in range(m)] for i in range(n)]
    if lfits != fits:
        lF, lG = _alignment_tables(lfits, held)
        lpartners_c, lpartners_m, _ = _sure_matches(lF, lG, lfits, held, lF[n][m])
        for i in [i for i, j in sure.items() if set(lpartners_c[i]) - {j} or set(lpartners_m[j]) - {i}]:
            del sure[i]
        # (a loose partner's neighbours that fit as loosely are candidates as well: two conventions may list a
        # block's equal layers in either order, a ResNet's shortcut and last conv)
        partners_m = [list(dict.fromkeys(partners_m[j] + [k for i in lpartners_m[j]
                                                          for k in range(max(0, i - _MOVE), min(n, i + _MOVE + 1))
                                                          if k == i or lfits[k][j] and not fits[k][j]]))
                      for j in range(m)]
    c_name = [_layer_path(_head(c)) for c in uc]
    m_name = [_layer_path(_head(c)) for c in um]
    if by_unit:  # a norm matched by its place alone: do the names give it to the same weight on both sides?
        for i in [i for i, j in sure.items() if uc[i][0][0] is None]:
            oc, om = _name_owner(uc, i), _name_owner(um, sure[i])
            # (PyTorch creates a pre-norm residual's function before its norm: `2.0.norm` after `2.0.fn.3`, while
            # Keras' `block_0_channel_norm` comes before `block_0_channel_mlp_1`, the weight it belongs to)
            if oc is not None and om is not None and sure.get(oc) != om:
                del sure[i]
    slid: set[int] = set()  # model composites ``_slidable`` left open
    if strict:
        partner_of = {j: i for i, j in sure.items()}
        words_c = [_raw_words(_head(c).name) for c in uc]
        words_m = [_raw_words(_head(c).name) for c in um]
        proven: dict[int, int] = {}

        def named_apart(i: int, j: int, k: int, lk: int) -> bool:
            """Do the names say ``i`` is ``j``'s and ``k`` is ``lk``'s, not crosswise? The words each has and its rival
            lacks agree on both sides: the same words (``enc_w_ih`` / ``rnn.weight_ih_l0`` against ``_hh``), or words
            that pairs no trade touches spell alike (``enc_emb`` / ``src_embed`` and ``dec_emb`` / ``tgt_embed``, a
            different shape each, for ``enc_w_ih`` / ``rnn_src.weight_ih_l0`` against ``dec`` / ``rnn_tgt``)."""
            oi, ok, oj, ol = words_c[i] - words_c[k], words_c[k] - words_c[i], words_m[j] - words_m[lk], \
                words_m[lk] - words_m[j]
            if not (oi and ok and oj and ol) or oi & ol or ok & oj:
                return False
            if oi & oj and ok & ol:
                return True
            said = [(words_c[p] & (oi | ok), words_m[q] & (oj | ol)) for p, q in proven.items()]
            if any(a & oi and b & ol or a & ok and b & oj for a, b in said):
                return False
            return any(a & oi and b & oj for a, b in said) and any(a & ok and b & ol for a, b in said)

        def trades(i: int, j: int) -> bool:  # another composite near i could stand where i stands, or i elsewhere
            for k in range(max(0, i - reach), min(n, i + reach + 1)):
                if k != i and (fits[k][j] or loose(uc[k], um[j])) and _may_trade(c_name[i], c_name[k]) and \
                        (abs(k - i) <= _MOVE or not held[k]):  # (far off, only what order alone placed)
                    lk = sure.get(k)
                    if lk is None or fits[i][lk] and _may_trade(m_name[j], m_name[lk]) and \
                            not _numbered_alike(c_name[i], c_name[k], m_name[j], m_name[lk]) and \
                            not (proven and named_apart(i, j, k, lk)):
                        return True
            for lj in range(max(0, j - _MOVE), min(m, j + _MOVE + 1)):
                if lj != j and (fits[i][lj] or loose(uc[i], um[lj])) and lj not in partner_of and \
                        _may_trade(m_name[j], m_name[lj]):
                    return True
            return False

        trading = [i for i, j in sure.items() if trades(i, j)]
        if trading and len(trading) < len(sure):  # the names of those that do not trade may tell the rest apart
            proven.update((i, j) for i, j in sure.items() if i not in trading)
            trading = [i for i in trading if trades(i, sure[i])]
        for i in trading:
            del sure[i]
        # A stretch one side holds more of (a block removed from equal blocks) is a gap the best alignment places
        # where the two conventions' orders score one unit better (a block's own scale PyTorch lists first, Keras
        # last): no proof of which block went. Every match in the repeated run is ambiguous among its equal places.
        # (not kind by kind, ``placed``: there the other kinds' units are gaps of another kind)
        slid_c = _slidable(sure, [_composite_shapes(c) for c in uc], held, m) if placed is None else {}
        for i, places in slid_c.items():
            slid.add(sure[i])
            partners_m[sure.pop(i)] = places
        held_m = [int(any(id(u[0] or u[1][0]) in state.pairs for u in mc)) for mc in um]
        slid_m = _slidable({j: i for i, j in sure.items()}, [_composite_shapes(c) for c in um], held_m, n) \
            if placed is None else {}
        for j, places in slid_m.items():
            i = next(i for i, jj in sure.items() if jj == j)
            del sure[i]
            partners_m[j] = [i]
            slid.add(j)
            for jj in places:  # (the model's equal places this value may go to: each is left open with it)
                if jj != j and jj not in sure.values():
                    partners_m[jj] = list(dict.fromkeys(partners_m[jj] + [i]))
                    slid.add(jj)
    if lone:
        assert placed is not None  # (returned above otherwise)
        sure = {i: j for i, j in sure.items() if not anchored(uc[i]) and placed(uc[i], um[j])}
        if not sure:
            return
    named = _named_groups(sure, fits, c_name, m_name)
    sure.update(named)
    sure_by_m = {jj: ii for ii, jj in sure.items()}
    for j in range(m):
        if j in sure_by_m:
            _pair_composites(state, uc[sure_by_m[j]], um[j], sure_by_m[j], j, best, n, m,
                             where + " (names)" if sure_by_m[j] in named else where)
        elif partners_m[j] and placed is None:  # (kind by kind, after the composites: pairs only)
            _ambiguous_composite(state, um[j], [uc[k] for k in partners_m[j]], _SLID if j in slid else _ALIGNMENTS_TIE)


def _named_groups(sure: dict[int, int], fits: list[list[bool]], c_name: list[str], m_name: list[str]) -> dict[int, int]:
    """Composites order leaves open that fit one another alike, in equal numbers on both sides (a Keras 3 layer's
    sublayers, written in their names' order: ``key_dense``, ``output_dense``, ``query_dense``, ``value_dense``
    against ``q``, ``k``, ``v``, ``o``): {i: j} where their own words tell every one apart (``_alike``)."""
    taken = set(sure.values())
    out: dict[int, int] = {}
    for group_c, group_m in _fit_groups(fits, [i for i in range(len(fits)) if i not in sure],
                                        [j for j in range(len(fits[0]) if fits else 0) if j not in taken]):
        if len(group_c) < 2 or len(group_c) != len(group_m) or \
                not all(fits[a][b] for a in group_c for b in group_m):
            continue
        # words only (numbers are ranks, and ranks need the block's place, which order left open), every unit told
        # apart by its own
        own_c, own_m = (
            {k: {w for w in v if not w.isdigit()} for k, v in _own_words(
                {x: [t for t in re.split(r"[/.]", names[x]) if t] for x in group}).items()}
            for group, names in ((group_c, c_name), (group_m, m_name)))
        if all(own_c.values()) and all(own_m.values()):
            pairs = _one_to_one(own_c, own_m, lambda a, b: fits[a][b])
            if len(pairs) == len(group_c):
                out.update(pairs)
    return out


def _fit_groups(fits: list[list[bool]], rows: list[int], cols: list[int]) -> list[tuple[set[int], set[int]]]:
    """The groups of ``rows`` and ``cols`` connected by fitting (``fits[row][col]``), rows that fit none left out."""
    groups = []
    seen: set[int] = set()
    for i in rows:
        if i in seen or not any(fits[i][j] for j in cols):
            continue
        group_c, group_m, todo = {i}, set(), [i]
        while todo:
            a = todo.pop()
            for j in cols:
                if fits[a][j] and j not in group_m:
                    group_m.add(j)
                    for b in rows:
                        if fits[b][j] and b not in group_c:
                            group_c.add(b)
                            todo.append(b)
        seen |= group_c
        groups.append((group_c, group_m))
    return groups


def _alignment_tables(fits: list[list[Any]], held: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """F[i][j]: the best weight of the matches of the first i composites with the first j; G[i][j]: of the rest.
    A match weighs its fit (True is 1) and its composite's ``held``."""
    n, m = len(fits), len(fits[0]) if fits else 0
    F = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        row, nxt, fi, h = F[i], F[i + 1], fits[i], held[i]
        for j in range(m):
            nxt[j + 1] = max(nxt[j], row[j + 1], row[j] + fi[j] + h if fi[j] else 0)
    G = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, fi, h = G[i], G[i + 1], fits[i], held[i]
        for j in range(m - 1, -1, -1):
            row[j] = max(row[j + 1], below[j], below[j + 1] + fi[j] + h if fi[j] else 0)
    return F, G


_SLID = ("structural alignment: one of equal blocks, one of which the other side lacks; where the two sides' orders "
         "place that gap says nothing of which block went")


def _composite_shapes(comp: tuple) -> tuple:
    """A composite's shapes, unit by unit: one side's equal blocks have equal ones."""
    return tuple((u[0].shape if u[0] is not None else None, tuple(v.shape for v in u[1])) for u in comp)


def _slidable(sure: dict[int, int], sig: list[tuple], held: list[int], others: int) -> dict[int, list[int]]:
    """The matches of a side's composites (``sure``: {index on this side: partner}) that a gap in them could trade
    places with: where between two consecutive matches this side holds ``d`` more composites than the other (of
    ``others`` composites), and those composites repeat (every one equal in signature to one a period
    ``p`` away, some of those matched; ``p`` within two of ``d``, the nearest first: conventions may hold a block's
    scale or norms apart, and so leave a little more or less of it unmatched, but an excess of a composite or two in
    a long block is a composition's, no block's: Keras' ConvNeXt lists `layer_scale` apart in every block), the run
    of that period around them is one stretch of equal blocks, one of which has no partner. {index: the places of
    its phase in the run}, for each matched index there; none where an already paired composite (``held``) lies in
    the run. (Composites one side has in every block and the other in none repeat too, but none of them is matched:
    no gap of those alone is a block.)"""
    n = len(sig)
    pairs = sorted(sure.items())
    partners = [j for _, j in pairs]
    if partners != sorted(partners):
        return {}
    out: dict[int, list[int]] = {}
    bounds = [(-1, -1)] + pairs + [(n, others)]
    for (i1, j1), (i2, j2) in itertools.pairwise(bounds):
        d = (i2 - i1) - (j2 - j1)
        gap = range(i1 + 1, i2)
        if d <= 0 or not gap:
            continue
        for p in sorted(range(max(1, d - 2), d + 3), key=lambda q: abs(q - d)):
            near = [[x + k for k in (p, -p) if 0 <= x + k < n and sig[x + k] == sig[x]] for x in gap]
            if not all(near) or not any(y in sure for ys in near for y in ys):
                continue
            lo, hi = gap.start, gap.stop  # the run: [lo, hi) with sig[x] == sig[x + p] throughout
            while lo - 1 >= 0 and lo - 1 + p < n and sig[lo - 1] == sig[lo - 1 + p]:
                lo -= 1
            while hi < n and hi - p >= 0 and sig[hi] == sig[hi - p]:
                hi += 1
            if hi - lo < 2 * p or any(held[x] for x in range(lo, hi)):
                continue
            for x in range(lo, hi):
                if x in sure:
                    out[x] = [y for y in range(lo + (x - lo) % p, hi, p)]
            break
    return out


def _sure_matches(F: list, G: list, fits: list, held: list[int], top: int) -> tuple[list, list, dict[int, int]]:
    """(the partners of each checkpoint composite on some best alignment, of each model composite, and {i: j} for
    the matches every best alignment makes: nothing else on a best alignment for either, never skipped by one)."""
    n, m = len(fits), len(fits[0]) if fits else 0
    on_best = [[bool(fits[i][j]) and F[i][j] + fits[i][j] + held[i] + G[i + 1][j + 1] == top for j in range(m)]
               for i in range(n)]
    c_skip = [any(F[i][j] + G[i + 1][j] == top for j in range(m + 1)) for i in range(n)]
    m_skip = [any(F[i][j] + G[i][j + 1] == top for i in range(n + 1)) for j in range(m)]
    partners_c = [[j for j in range(m) if on_best[i][j]] for i in range(n)]
    partners_m = [[i for i in range(n) if on_best[i][j]] for j in range(m)]
    sure = {i: partners_c[i][0] for i in range(n) if len(partners_c[i]) == 1 and not c_skip[i]
            and partners_m[partners_c[i][0]] == [i] and not m_skip[partners_c[i][0]]}
    return partners_c, partners_m, sure


_ALIGNMENTS_TIE = "structural alignment: several equally good alignments of the layer sequences"


def _ambiguous_composite(state: _State, mc: tuple, alternatives: list, reason: str = _ALIGNMENTS_TIE) -> None:
    for u, (mm, mv) in enumerate(mc):
        for pos, it in enumerate(([mm] if mm is not None else []) + mv):
            if id(it) not in state.eligible or id(it) in state.pairs:
                continue
            options = []
            for alt in alternatives:
                if u >= len(alt):
                    continue  # (a composite of another composition: its kernel only, matched loosely)
                cm, cv = alt[u]
                members = ([cm] if cm is not None else []) + cv
                if mm is not None and cm is None:
                    continue
                k = pos if (mm is None) == (cm is None) else pos + 1
                if k < len(members):
                    options.append(members[k])
            if not options:
                continue  # (no alternative holds a value in its place: nothing to choose between)
            state.set_ambiguous(it, options, reason, tie=True)


def _pair_composites(state: _State, cc: tuple, mc: tuple, i: int, j: int, best: int, n: int, m: int,
                     where: str) -> None:
    for cu, mu in zip(cc, mc, strict=True):
        _pair_units(state, cu, mu, i, j, best, n, m, where)


def _pair_units(state: _State, cu, mu, i: int, j: int, best: int, n: int, m: int, where: str) -> None:
    (cm, cv), (mm, mv) = cu, mu
    vectors = _by_role(cv, mv) if len(cv) == len(mv) else None
    members = ([(cm, mm)] if mm is not None else []) + (list(zip(vectors, mv, strict=True)) if vectors else [])
    for c, mi in members:
        ok, transform = state.compatible(c, mi)
        named = state.ambiguous.get(id(mi))  # names left a choice; structure may pick one of their candidates
        allowed = id(mi) in state.eligible or named is not None and any(x is c for x in named[1])
        if ok and id(c) not in state.taken_c and id(mi) not in state.pairs and allowed and \
                not _other_projection(c, mi):
            state.ambiguous.pop(id(mi), None)
            state.add(c, mi, transform, "structure", functools.partial(
                _structure_evidence, c, mi, transform, i, j, best, n, m, where))


def _other_projection(c: _Item, m: _Item) -> bool:
    """Do the two layers' own names say two different projections of an attention layer (``value`` and ``q_proj``:
    ``ATTENTION_PROJECTIONS``)? Then order, which equal projections cannot tell apart, does not pair them."""
    a = ATTENTION_PROJECTIONS.get(_squashed(_layer_word(c.name)))
    return a is not None and ATTENTION_PROJECTIONS.get(_squashed(_layer_word(m.name)), a) != a


def _structure_evidence(c, m, transform, i, j, best, n, m_units, where) -> str:
    return (f"structure: unit {i + 1} of {n} in the checkpoint ({where}) is unit {j + 1} of {m_units} in the "
            f"model's creation order in every best alignment ({best} units agree); {_shapes(c, m, transform)}")


# -- numbered blocks ---------------------------------------------------------------------------------------------

_NUMBERED_SEGMENT = re.compile(r"^(.*?)_(\d+)$")


def _block_segments(it: _Item, split: bool = False) -> list[str]:
    """The path segments of the layer an item belongs to (``model.layers.0.self_attn.q_proj``). ``split``: a layer
    named by its block's place in one name, as keras.applications names them (``block2a_expand_conv``: stage 2,
    block a), is in that block as if nested (``block``, its rank, ``expand_conv``): stage by stage, one family of
    blocks (for a checkpoint that keeps no order: there the names' ranks are the only order)."""
    segs = [s for s in re.split(r"[/.]", _layer_path(it)) if s]
    if split and len(segs) == 1 and (found := _STAGE_BLOCK.match(segs[0])):
        rank = int(found["stage"]) * 1000 + ord(found["letter"]) - ord("a")
        return [found["unit"], str(rank), found["rest"]]
    if segs and (found := _FLAT_BLOCK.match(segs[-1])) and not any(c.isdigit() for s in segs[:-1] for c in s):
        # a block's place in a flat layer name a program built (``layer_0_query``, ``layer_0_ffn_in``: a Keras 3
        # functional model's names), as if nested: ``layer``, ``0``, ``query``
        return segs[:-1] + [found["unit"], found["n"], found["rest"]]
    return segs


# a word (or words), a number between underscores and a word: ``layer_0_query``, ``res_block_2_conv``
_FLAT_BLOCK = re.compile(r"^(?P<unit>[A-Za-z]+(?:_[A-Za-z]+)*)_(?P<n>\d+)_(?P<rest>[A-Za-z].*)$")

# keras.applications' EfficientNet blocks: a stage number and a block letter inside the layer's name
_STAGE_BLOCK = re.compile(r"^(?P<unit>[A-Za-z]+)(?P<stage>\d+)(?P<letter>[a-z])_(?P<rest>[A-Za-z].*)$")


def _block_candidates(segs: list[str]) -> list[tuple[tuple, int, int]]:
    """(family, number, depth) for every segment above the layer's own that is a number (``layers.3``) or ends in
    one (``decoder_3``; a bare ``decoder`` is number 0, as Keras numbers names)."""
    out = []
    for k, seg in enumerate(segs[:-1]):
        head = tuple(segs[:k])
        if seg.isdigit():
            out.append(((head, ""), int(seg), k))
        else:
            found = _NUMBERED_SEGMENT.match(seg)
            out.append(((head, found[1]), int(found[2]), k) if found else ((head, seg), 0, k))
    return out


def _numbered_blocks(items: list, free_items: list, free, split: bool = False
                     ) -> dict[tuple, dict[int, tuple[int, list]]]:
    """{family: {number: (depth, items)}}: the outermost numbered containers of a side (two or more numbers), with
    every item of each block; a family with an item neither free (``free``: True) nor paired (None) is left out, and
    so is one with nothing free. (The free items, ``free_items``, alone are looked at first: where names paired
    nearly everything, they hold no family and nothing else is read.)"""
    if not _families([it for it in free_items if it.shape], split):
        return {}
    found = _families([it for it in items if it.shape], split)
    return {f: blocks for f, blocks in found.items() if len(blocks) >= 2 and
            all(free(it) is not False for _, members in blocks.values() for it in members) and
            any(free(it) for _, members in blocks.values() for it in members)}


def _families(items: list, split: bool = False) -> dict[tuple, dict[int, tuple[int, list]]]:
    candidates = {id(it): _block_candidates(_block_segments(it, split)) for it in items}
    numbers: dict[tuple, set] = defaultdict(set)
    for found in candidates.values():
        for family, n, _ in found:
            numbers[family].add(n)
    out: dict[tuple, dict[int, tuple[int, list]]] = defaultdict(dict)
    for it in items:
        for family, n, k in candidates[id(it)]:
            if len(numbers[family]) >= 2:
                out[family].setdefault(n, (k, []))[1].append(it)
                break
    return out


def _block_units(items: list) -> list[tuple[_Item | None, list[_Item]]]:
    """``_units`` of a block, each layer's weights before its vectors: a side ordered by name lists ``fc1.bias``
    before ``fc1.weight``."""
    layers = _by_layer([it for it in sorted(items, key=lambda it: it.order) if it.shape])
    return _units([it for members in layers.values()  # (a vector's unit axes say nothing of its role)
                   for it in sorted(members, key=lambda it: (not _is_matrix(it), -len(it.shape) if _is_matrix(it)
                                                             else 0, _role_rank(it)))],
                  ordered=False)


_ROLE_RANKS = {"bias": 1, "beta": 1, "runningmean": 2, "runningvar": 3}


def _roles_agree(a: _Item, b: _Item) -> bool:
    """No name gives the two values different roles (a norm's scale is never a bias, a bias never a mean)."""
    ra, rb = _role_rank(a), _role_rank(b)
    return ra == rb or 4 in (ra, rb)


def _role_rank(it: _Item) -> int:
    """Where a layer creates a value, by its role: the weight, the bias (shift), the running statistics; 5 for a
    module's own learned token (``cls_token`` [1, 1, C]: never a norm's scale or shift, though it reshapes to one); 4
    where the name does not say (``vars/1``: already in creation order)."""
    if it.layout in ("weight", "kernel", "scale", "embedding"):
        return 0
    if not it.tokens:
        return 4
    rank = _ROLE_RANKS.get(it.tokens[-1])
    if rank is None:  # (by the value's own raw name: a rule may have given its tokens the model's spelling)
        token = it.layout is None and len(it.shape) >= 2 and all(d == 1 for d in it.shape[:-1])
        return 5 if token and _OWN_TOKEN.search(it.name.lower()) else 4
    return rank


_OWN_TOKEN = re.compile(r"(?:token|tokens)(?::\d+)?$")  # a module's learned token, [1, 1, C]: `cls_token`


def _block_signature(units: list) -> tuple:
    """What a block computes with, whatever each framework's layout: its weights' value counts, with their vectors'.
    Vector-only units (norms; buffers one side keeps, such as rotary frequencies) are left out: they pair inside
    the block, or stay one-sided."""
    return tuple(sorted(Counter((_length(main), tuple(sorted(map(_length, vectors))))
                                for main, vectors in units if main is not None).items()))


def _blocks(state: _State, c_items, m_items, settled: bool = False) -> list[tuple[list, list]]:
    """Numbered blocks whose names share nothing (``model.layers.3.self_attn.q_proj`` against
    ``transformer_layer_3/self_attention/query``): a family of blocks on each side, as many blocks and the same
    units (value counts) in each, the only family of its kind on both sides, pair block by block in number order.
    Inside a pair of blocks a unit takes the one unit of the other block it fits (shape up to the layout transform
    of its role, ``names.transform_for``); units that fit each other alike (key and value of one size, two norms)
    pair only where their own names tell them apart (``_tie_break``), else they are ambiguous.
    ``settled``: what the sequences left undecided, in blocks where some values are paired already (by a name
    or a unique shape: ``residual_block_0/conv1D_0`` -> ``blocks.0.conv1``), each inside the pair of blocks."""
    split = not state.ordered  # (a kept order aligns keras.applications' blocks better: ``_structure``)
    # (``settled``: a value already paired may sit in a block where its partner sits in the block paired with it)
    taken, pairs, ambiguous = state.taken_c, state.pairs, state.ambiguous
    families_c = _numbered_blocks(c_items, [c for c in c_items if id(c) not in taken],
                                  lambda c: id(c) not in taken or (None if settled else False), split)
    families_m = _numbered_blocks(m_items, [m for m in m_items if id(m) not in pairs and
                                            (id(m) not in ambiguous or state.open_m(m))],
                                  lambda m: state.open_m(m) or (None if settled and id(m) in state.pairs else False))
    paired: list[tuple[list, list]] = []  # the blocks paired: (checkpoint items, model items)
    if not families_c or not families_m:
        return paired

    def signature(blocks: dict) -> tuple:
        return tuple(_block_signature(_block_units(blocks[n][1])) for n in sorted(blocks))

    sig_c = {f: signature(b) for f, b in families_c.items()}
    sig_m = {f: signature(b) for f, b in families_m.items()}
    count_c, count_m = Counter(sig_c.values()), Counter(sig_m.values())
    for fm, sig in sig_m.items():
        if count_m[sig] != 1 or count_c[sig] != 1:
            continue
        fc = next(f for f, s in sig_c.items() if s == sig)
        if _twin_elsewhere(state, fc, families_c, fm):
            continue
        bc, bm = families_c[fc], families_m[fm]
        block_of_c = {id(c): i for i, n in enumerate(sorted(bc)) for c in bc[n][1]}
        if any(id(proof.checkpoint) in block_of_c and block_of_c[id(proof.checkpoint)] != i
               for i, n in enumerate(sorted(bm)) for m in bm[n][1] if (proof := state.pairs.get(id(m)))) or \
                sum(id(c) in state.taken_c for c in itertools.chain.from_iterable(b[1] for b in bc.values())) != \
                sum(id(m) in state.pairs for m in itertools.chain.from_iterable(b[1] for b in bm.values())):
            continue  # a pair made before crosses these blocks (or leaves them): not this grouping
        state.eligible |= {id(m) for _, members in bm.values() for m in members if id(m) not in state.pairs}
        for i, (nc, nm) in enumerate(zip(sorted(bc), sorted(bm), strict=True)):
            _pair_blocks(state, bc[nc], bm[nm], f"block {i + 1} of {len(bc)}", split)
            paired.append((bc[nc][1], bm[nm][1]))
    return paired


def _twin_elsewhere(state: _State, family: tuple, families: dict, model_family: tuple) -> bool:
    """Does the file hold a family of the same name in another container (`encoder.mid_block.resnets` beside
    `decoder.mid_block.resnets`) where the pairs made so far went, and none into this family's container, while the
    model's family names neither container (`mid_res`, not `decoder_layer`)? A value missing from that twin changes
    its kind, not which of the two the model's family is."""
    path = family[0]
    named = _segment_words((*model_family[0], model_family[1]))
    went: list[tuple[str, ...]] | None = None  # the paths of the values paired so far, read once
    for other in families:
        if other == family or other[1] != family[1]:
            continue
        tail = 0
        while tail < min(len(path), len(other[0])) and path[-1 - tail] == other[0][-1 - tail]:
            tail += 1
        if not tail or tail == len(path) or tail == len(other[0]):
            continue
        here, there = path[:len(path) - tail], other[0][:len(other[0]) - tail]
        if named & _segment_words(here) - _segment_words(there):
            continue  # the model's family says it is this container's
        if went is None:
            went = [tuple(x for x in re.split(r"[/.]", proof.checkpoint.name) if x) for proof in state.pairs.values()]
        if not any(w[:len(here)] == here for w in went) and any(w[:len(there)] == there for w in went):
            return True
    return False


def _segment_words(segments) -> set[str]:
    return {w for seg in segments for w in re.split(r"[_/.]", seg) if w}


def _parallel_families(items: list, numbers: bool = True) -> dict[tuple, dict[int, tuple[int, list]]]:
    """Parallel lists: sibling lists of layers indexed by the same numbers (Sonnet's ``_conv_modules/3`` and
    ``_bn_modules/3``, TF1's ``conv_2d_3`` and ``batch_norm_3``) hold one block per number, the way another
    convention nests them (``features.3.conv``, ``features.3.bn``). {family: {number: (depth, items)}} for lists
    of two or more numbers whose parent holds another list of exactly those numbers; depth leaves the list's own
    name inside the block (``_pair_blocks`` tells members apart by it). (``numbers=False``: lists under one parent,
    whatever their numbers; a cheap first look at the items left open.)"""
    lists: dict[tuple, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    depth: dict[tuple, int] = {}
    for it in items:
        path = _layer_path(it)
        if not it.shape or not path or not path[-1].isdigit():
            continue
        segs = [x for x in re.split(r"[/.]", path) if x]
        if segs[-1].isdigit() and len(segs) >= 2:
            key, n, k = (tuple(segs[:-2]), segs[-2]), int(segs[-1]), len(segs) - 3
        elif (found := _NUMBERED_SEGMENT.match(segs[-1])) and found[1]:
            key, n, k = (tuple(segs[:-1]), found[1]), int(found[2]), len(segs) - 2
        else:
            continue
        lists[key][n].append(it)
        depth[key] = k
    by_parent: dict[tuple, list[tuple]] = defaultdict(list)
    for key, blocks in lists.items():
        if len(blocks) >= 2:
            by_parent[(key[0], tuple(sorted(blocks)) if numbers else ())].append(key)
    out: dict[tuple, dict[int, tuple[int, list]]] = {}
    for (parent, block_numbers), keys in by_parent.items():
        if len(keys) >= 2:
            out[(parent, "+".join(sorted(k[1] for k in keys)))] = {
                n: (min(depth[k] for k in keys), [it for k in keys for it in lists[k][n]]) for n in block_numbers}
    return out


def _parallel_blocks(state: _State, c_items, m_items) -> list[tuple[list, list]]:
    """Blocks of parallel lists (``_parallel_families``) against the other side's numbered blocks, or its parallel
    lists: a family pairs with the one family of the other side that holds as many blocks with the same units
    (``_block_signature``), the only family of that kind on both sides, block by block in number order; pairs
    names already made must fall in the same pair of blocks. Inside a pair of blocks as in ``_blocks``."""
    # where names left no such lists open on either side, nothing else is read
    if not (_parallel_families([c for c in c_items if id(c) not in state.taken_c], False) or
            _parallel_families([m for m in m_items if id(m) not in state.pairs], False)):
        return []
    par_c, par_m = _parallel_families(c_items), _parallel_families(m_items)
    if not par_c and not par_m:
        return []
    fam_c = {**_families([c for c in c_items if c.shape]), **par_c}
    fam_m = {**_families([m for m in m_items if m.shape]), **par_m}

    def signature(blocks: dict) -> tuple:
        return tuple(_block_signature(_block_units(blocks[n][1])) for n in sorted(blocks))

    sig_c = {f: signature(b) for f, b in fam_c.items() if len(b) >= 2}
    sig_m = {f: signature(b) for f, b in fam_m.items() if len(b) >= 2}
    count_c, count_m = Counter(sig_c.values()), Counter(sig_m.values())
    paired: list[tuple[list, list]] = []
    for fc, sig in sig_c.items():
        if count_c[sig] != 1 or count_m[sig] != 1 or not any(sig):
            continue
        fm = next(f for f, s in sig_m.items() if s == sig)
        if fc not in par_c and fm not in par_m:
            continue  # two containers' blocks: ``_blocks``' business
        bc, bm = fam_c[fc], fam_m[fm]
        order = list(zip(sorted(bc), sorted(bm), strict=True))
        block_of_m = {id(m): i for i, (_, nm) in enumerate(order) for m in bm[nm][1]}
        if any(id(c) in state.taken_c and block_of_m.get(id(state.taken_c[id(c)])) != i
               for i, (nc, _) in enumerate(order) for c in bc[nc][1]):
            continue  # names paired across blocks: not this grouping
        state.eligible |= {id(m) for _, members in bm.values() for m in members if id(m) not in state.pairs}
        for i, (nc, nm) in enumerate(order):
            _pair_blocks(state, bc[nc], bm[nm], f"parallel lists, block {i + 1} of {len(bc)}")
            paired.append((bc[nc][1], bm[nm][1]))
    return paired


def _around_blocks(state: _State, c_items, m_items, blocks: list[tuple[list, list]], ordered: bool,
                   strict: bool) -> None:
    """What lies around paired blocks (embeddings, a final norm, a patch embedding): the structural alignment of
    both sides' written orders, the blocks' paired units holding the rest in place. Units the blocks left open are
    not in the sequences: a Keras 3 file lists a block's layers by attribute name, not in the order they compute, so
    the order says nothing about them; each block stands in them as one pair of values (its first in the
    checkpoint's order, with its partner). Then, on any side, units left around the blocks that fit each other alike
    pair where their names tell them apart (``_tie_break``: ``encoder.layernorm_embedding`` /
    ``encoder_embeddings_layer_norm``); a lone leftover is no partner because it is left over."""
    inside = {id(it) for items_c, items_m in blocks for it in itertools.chain(items_c, items_m)}
    anchors = set()
    for items_c, items_m in blocks:
        in_m = {id(m) for m in items_m}
        first = min((c for c in items_c if id(c) in state.taken_c and id(state.taken_c[id(c)]) in in_m),
                    key=lambda c: c.order, default=None)
        if first is not None:
            anchors |= {id(first), id(state.taken_c[id(first)])}

    def outside(items: list) -> list:
        return [it for it in items if id(it) not in inside or id(it) in anchors]

    def pool_m() -> list:
        return [m for m in m_items if id(m) not in inside and state.open_m(m)]

    state.eligible |= {id(m) for m in pool_m()}
    if ordered:  # units, not composites: which weight a norm around the blocks belongs to, the order does not say
        _align_units(state, [(u,) for u in _units(outside(c_items))], [(u,) for u in _units(outside(m_items))],
                     f"{state.order_said}, around the blocks", strict, reach=len(c_items) + len(m_items))
    # what is left around the blocks: units that fit each other alike, told apart by their names
    uc = _block_units([c for c in c_items if id(c) not in inside and id(c) not in state.taken_c])
    um = _block_units(pool_m())
    _pair_fitting(state, uc, um, [_block_segments(_head((u,))) for u in uc], [_block_segments(_head((u,))) for u in um],
                  "around the paired blocks", lone=False)


def _pair_blocks(state: _State, block_c: tuple[int, list], block_m: tuple[int, list], where: str,
                 split: bool = False) -> None:
    (kc, items_c), (km, items_m) = block_c, block_m
    uc, um = _block_units(items_c), _block_units(items_m)
    names_c = [_block_segments(_head((u,)), split)[kc + 1:] for u in uc]
    _pair_fitting(state, uc, um, names_c, [_block_segments(_head((u,)))[km + 1:] for u in um], where)
    if split:  # norms alike in width: the one that follows a conv pairs with the one that follows its partner
        _norms_by_owner(state, uc, um, _owners_by_name(uc, ["_".join(n) for n in names_c]), _owners_in_order(um),
                        where + " (the norm of the conv it follows)")


def _unit_widths(unit) -> set[int]:
    main = unit[0]
    return _widths(unit, main is not None and main.layout == "weight")


def _owners_in_order(units: list) -> dict[int, int]:
    """{norm unit: the weight unit just before it whose output it fits}, in a side's creation order."""
    out, last = {}, None
    for i, (main, vectors) in enumerate(units):
        if main is not None:
            last = i
        elif last is not None and all(_length(v) in _unit_widths(units[last]) for v in vectors):
            out[i] = last
    return out


def _owners_by_name(units: list, names: list[str]) -> dict[int, int]:
    """{norm unit: its weight unit} by names alone (a side that keeps no order): the weight whose name begins as the
    norm's does, to a word (``expand_bn`` / ``expand_conv``), of those it fits; then a norm left over takes the one
    weight without a bias that fits it and owns no norm (``bn`` / ``dwconv``)."""
    def start(a: str, b: str) -> int:
        k = 0
        for x, y in zip(a.split("_"), b.split("_"), strict=False):
            if x != y:
                break
            k += 1
        return k

    weights = [i for i, u in enumerate(units) if u[0] is not None]
    norms = [i for i, u in enumerate(units) if u[0] is None and u[1]]
    fit = {i: [w for w in weights if all(_length(v) in _unit_widths(units[w]) for v in units[i][1])] for i in norms}
    out: dict[int, int] = {}
    for i in norms:
        scored = sorted(((start(names[i], names[w]), w) for w in fit[i]), reverse=True)
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            out[i] = scored[0][1]
    for i in norms:
        if i not in out:
            free = [w for w in fit[i] if not units[w][1] and w not in out.values()]
            if len(free) == 1:
                out[i] = free[0]
    return out if len(set(out.values())) == len(out) else {}


def _norms_by_owner(state: _State, uc: list, um: list, owner_c: dict[int, int], owner_m: dict[int, int],
                    where: str) -> None:
    """Norm units left undecided inside a pair of blocks: a model norm whose weight is paired takes the checkpoint
    norm of that weight's partner, where it fits."""
    by_owner_c = {w: i for i, w in owner_c.items()}
    for b, wb in owner_m.items():
        head_m = _head((um[wb],))
        proof = state.pairs.get(id(head_m))
        if proof is None or id(_head((um[b],))) in state.pairs:
            continue
        wa = next((a for a, u in enumerate(uc) if u[0] is proof.checkpoint), None)
        a = by_owner_c.get(wa) if wa is not None else None
        if a is not None and _unit_fits(state, uc[a], um[b]):
            _pair_units(state, uc[a], um[b], a, b, 1, len(uc), len(um), where)


def _pair_fitting(state: _State, uc: list, um: list, names_c: list, names_m: list, where: str,
                  lone: bool = True) -> None:
    """Units of two sides that are one another's only fit pair (``lone``: inside paired blocks, where the block's
    place is the other evidence); units that fit each other alike, in equal numbers, pair where their names
    (``names_c``, ``names_m``: path segments) tell them apart (``_tie_break``), else they are ambiguous."""
    fits = [[_unit_fits(state, a, b) for b in um] for a in uc]
    for group_c, group_m in _fit_groups(fits, list(range(len(uc))), list(range(len(um)))):
        if len(group_c) != len(group_m) or len(group_c) == 1 and not lone:
            continue
        pairs = {next(iter(group_c)): next(iter(group_m))} if len(group_c) == 1 else \
            _tie_break({a: names_c[a] for a in group_c}, {b: names_m[b] for b in group_m}, fits)
        for a, b in pairs.items():
            _pair_units(state, uc[a], um[b], a, b, len(group_c), len(uc), len(um),
                        where + " (names)" if len(group_c) > 1 else where)
        rest_m = [b for b in group_m if b not in pairs.values()]
        rest_c = [uc[a] for a in group_c if a not in pairs]
        for b in rest_m:
            _ambiguous_composite(state, (um[b],), [(u,) for u in rest_c])


def _tie_words(segs: list[str]) -> list[set[str]]:
    return [set(w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", s).lower()) if w) for s in segs]


def _own_words(names: dict[Any, list[str]]) -> dict[Any, set[str]]:
    """Each name's words that not every name of the group has."""
    words = {k: set().union(*_tie_words(v)) if v else set() for k, v in names.items()}
    common = set.intersection(*words.values()) if words else set()
    return {k: w - common for k, w in words.items()}


def _tie_break(names_c: dict[int, list[str]], names_m: dict[int, list[str]], fits) -> dict[int, int]:
    """Units of one block that fit each other alike, told apart by their names inside the block: the words none of
    the group's other names on its side has are the same (``norm1``), or one word is short for the other (``k`` /
    ``key``, ``attn`` / ``attention``; a one-letter name the initial of one word of the other). Only one-to-one
    readings count; one unit left on each side then pairs too. Names that merely share a word
    (``post_attention_layernorm`` / ``self_attention_layernorm``) decide nothing."""
    pairs = _one_to_one(_own_words(names_c), _own_words(names_m), lambda a, b: fits[a][b])
    if len(pairs) < len(names_c):
        # units in sub-containers (``self_attn.k_proj`` / ``cross_attention.key``): the containers first, then the
        # units inside each pair of them
        heads_c = {a: tuple(n[:1]) for a, n in names_c.items() if len(n) > 1}
        heads_m = {b: tuple(n[:1]) for b, n in names_m.items() if len(n) > 1}
        if len(heads_c) == len(names_c) and len(heads_m) == len(names_m):
            groups_c, groups_m = defaultdict(list), defaultdict(list)
            for a, h in heads_c.items():
                groups_c[h].append(a)
            for b, h in heads_m.items():
                groups_m[h].append(b)
            if 1 < len(groups_c) == len(groups_m):
                inner = _own_words({h: list(h) for h in groups_c}), _own_words({h: list(h) for h in groups_m})
                containers = _one_to_one(*inner, lambda hc, hm: len(groups_c[hc]) == len(groups_m[hm]))
                if len(containers) < len(groups_c):  # (``attn``, ``cross_attn`` / ``self_attn``, ``encoder_attn``)
                    sizes = {hc: {hm: len(groups_c[hc]) == len(groups_m[hm]) for hm in groups_m} for hc in groups_c}
                    by_role = _by_sublayer_role({h: list(h) for h in groups_c}, {h: list(h) for h in groups_m}, sizes)
                    if by_role and all(by_role.get(hc) == hm for hc, hm in containers.items()):
                        containers = by_role
                pairs = {}
                for hc, hm in containers.items():
                    pairs.update(_tie_break({a: names_c[a][1:] for a in groups_c[hc]},
                                            {b: names_m[b][1:] for b in groups_m[hm]}, fits))
    for reading in (_ranked, _by_sublayer_role, _by_projection) if len(pairs) < len(names_c) else ():
        found = reading(names_c, names_m, fits)
        if found and all(found.get(a) == b for a, b in pairs.items()):
            return found
    return pairs


def _by_sublayer_role(names_c: dict[Any, list[str]], names_m: dict[Any, list[str]], fits,
                      table: dict[str, str] = SUBLAYER_ROLES) -> dict[Any, Any]:
    """Units alike whose own names say their role in a transformer block on both sides (``SUBLAYER_ROLES``: Llama's
    ``input_layernorm`` / keras-hub's ``self_attention_layernorm``; the containers of a block's two attentions, as
    ``_tie_break`` reads them: Whisper's ``cross_attn`` / ``encoder_attn``), each role once a side: they pair role for
    role where every such pair fits; else nothing."""
    def role(v: list[str]) -> str | None:  # (by its own name, else by its path in the block: BERT's norms)
        return (table.get(re.sub(r"[^a-z0-9]", "", v[-1].lower())) or
                table.get(re.sub(r"[^a-z0-9]", "", "".join(v).lower()))) if v else None

    def roles(names: dict[Any, list[str]]) -> dict[str, Any] | None:
        found = {k: role(v) for k, v in names.items()}
        if None in found.values() or len(set(found.values())) != len(found):
            return None
        return {role: k for k, role in found.items() if role is not None}

    rc, rm = roles(names_c), roles(names_m)
    if rc is None or rm is None or rc.keys() != rm.keys() or not all(fits[rc[r]][rm[r]] for r in rc):
        return {}
    return {rc[r]: rm[r] for r in rc}


def _by_projection(names_c: dict[Any, list[str]], names_m: dict[Any, list[str]], fits) -> dict[Any, Any]:
    """An attention layer's projections whose own names say which they are on both sides (``ATTENTION_PROJECTIONS``:
    Mistral's ``wq`` .. ``wo`` / ``q_proj`` .. ``o_proj``), every unit of the group one projection, each once: they pair
    projection for projection where every such pair fits; else nothing. (Read for the whole group only: T5's
    feed-forward ``wo`` beside ``wi`` is no attention's output.)"""
    return _by_sublayer_role(names_c, names_m, fits, ATTENTION_PROJECTIONS)


def _ranked(names_c: dict[int, list[str]], names_m: dict[int, list[str]], fits) -> dict[int, int]:
    """Units alike whose names differ only in their numbers, on each side (``conv1D_0``, ``conv1D_1`` / ``conv1``,
    ``conv2``; Keras' first layer of a kind has none: ``layer_normalization`` is its 0): each side numbers them in
    the order it created them, so they pair rank for rank, where every such pair fits; else nothing."""
    def ranks(names: dict[int, list[str]]) -> list[int] | None:
        numbers = _numbers_alike(["/".join(v) for v in names.values()])
        if numbers is None or len(set(numbers)) != len(numbers) or not any(numbers):
            return None
        keys = dict(zip(names, numbers, strict=True))
        return sorted(keys, key=keys.__getitem__)

    order_c, order_m = ranks(names_c), ranks(names_m)
    if order_c is None or order_m is None or len(order_c) != len(order_m) or \
            not all(fits[a][b] for a, b in zip(order_c, order_m, strict=True)):
        return {}
    return dict(zip(order_c, order_m, strict=True))


def _alike(a: set[str], b: set[str]) -> bool:
    """Two names' own words say the same: equal, word for word equal or one short for the other (``attn`` /
    ``attention``, ``k`` / ``key``), or a one-letter name the initial of just one word of the other."""
    if a == b:
        # (numbers alone are no names: `gln_2` is a port's second norm, `shared_block.2` a Sequential's element 2;
        # the order of numbers is read by rank, ``_ranked``)
        return bool(a) and not all(w.isdigit() for w in a)
    if len(a) == len(b) <= 4 and any(all(x == y or _short_for(x, y) or _short_for(y, x)
                                         for x, y in zip(sorted(a), p, strict=True))
                                     for p in itertools.permutations(sorted(b))):
        return True
    for short, long in ((a, b), (b, a)):
        if len(short) == 1 and len(x := next(iter(short))) == 1 and x.isalpha():
            return sum(w.startswith(x) for w in long) == 1
    return False


def _short_for(x: str, y: str) -> bool:
    """``x`` is written short for ``y``: its letters in order, from the first on (``attn`` / ``attention``)."""
    if not (x.isalpha() and len(x) < len(y) and x[0] == y[0]):
        return False
    rest = iter(y)
    return all(ch in rest for ch in x)


def _one_to_one(own_c: dict, own_m: dict, fit) -> dict:
    """The one-to-one reading of two sides' names (``_alike``), among the pairs that ``fit``; one left on each side
    then pairs too."""
    match_c = {a: [b for b in own_m if fit(a, b) and _alike(own_c[a], own_m[b])] for a in own_c}
    match_m = {b: [a for a in own_c if fit(a, b) and _alike(own_c[a], own_m[b])] for b in own_m}
    pairs = {a: bs[0] for a, bs in match_c.items() if len(bs) == 1 and match_m[bs[0]] == [a]}
    rest_c = [a for a in own_c if a not in pairs]
    rest_m = [b for b in own_m if b not in pairs.values()]
    if len(rest_c) == len(rest_m) == 1 and pairs and fit(rest_c[0], rest_m[0]) and \
            not _codes_differ(own_c[rest_c[0]], own_m[rest_m[0]]):
        pairs[rest_c[0]] = rest_m[0]
    return pairs


def _codes_differ(a, b) -> bool:
    """Do two names' own words hold codes with a number in them (``3c``, ``3b``: an inception block's stage) that
    differ? Then the two are named as different places, not left to each other."""
    codes_a = {w for w in a if any(ch.isdigit() for ch in w)}
    codes_b = {w for w in b if any(ch.isdigit() for ch in w)}
    return bool(codes_a) and bool(codes_b) and not codes_a & codes_b
