"""The alignment result, and the rules that reproduce it.

The rules reported are the ones the inference applied: its scope and renumbering hypotheses (``infer.Hypothesis``),
spelled in the user's names; naming conventions are read from the pairs the normalisation made (the leaf words and
separators each side writes); whatever no general rule reproduces becomes an explicit rename. Every pair is then
checked to come out of the rules exactly, and nothing else may be mapped onto a model variable (drops)."""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..catalog import BOOKKEEPING_KINDS, Catalog
from ..model.spec import ModelSpec
from .compare import Diagnosis
from .fused import hints as fused_hints
from .infer import _PRUNE_MASK, _PRUNE_ORIG, Ambiguity, Pair, _Item, _leaf_word, infer
from .names import WEIGHT_LEAVES, _token
from .prefer import CHOSEN
from .prefer import prefer_names as _prefer_names
from .rules import Drop, Prefix, Regex, Rename, Renumber, Rules, Transform, rename_step

_SEP = re.compile(r"[/.]")
_DIGIT = re.compile(r"\d")
_MAX_CHECKED = 64  # general rules checked one by one for an entry they change (more: kept as derived)
_SAID = 3  # explicit renames of one stage said one by one; more are one sentence (the rules list them all)
_STAGE_WORDS = {"composition": "the only layer left with these members and shapes",
                "prefix": "renamed", "conventions": "same name in another convention", "numbering": "renumbered",
                CHOSEN: "the value its name gives, chosen by --prefer-names"}
# Leaf names that are the same thing in TensorFlow and PyTorch (a renamed leaf outside this list is a rename).
_VOCABULARY = {"kernel": "weight", "weight": "weight", "gamma": "weight", "scale": "weight", "embeddings": "weight",
               "beta": "bias", "bias": "bias", "movingmean": "runningmean", "runningmean": "runningmean",
               "movingvariance": "runningvar", "runningvar": "runningvar", "w": "weight", "g": "weight", "b": "bias"}


def _plain(token: str) -> str:
    return token.lower().replace("-", "").replace("_", "")
_NUMBERED_RAW = re.compile(r"^(.*[A-Za-z0-9])([_-])(\d+)$")
_GLUED_RAW = re.compile(r"^([A-Za-z])()(\d+)$")  # OpenAI GPT-2's ``h0`` for ``h.0``


@dataclass
class Alignment:
    """Every model variable paired, ambiguous or missing; every checkpoint value paired or unused."""

    diagnosis: Diagnosis
    pairs: list[Pair]
    ambiguous: list[Ambiguity]
    missing: list[str]  # model variables with no partner (new in the model)
    unused: list[str]  # checkpoint keys with no partner (gone from the model)
    rules: Rules
    sentences: list[str] = field(default_factory=list)  # one per rule: what changed, in words
    checkpoint_names: dict[str, str] = field(default_factory=dict)  # checkpoint key -> name the rules speak of
    model_names: dict[str, str] = field(default_factory=dict)  # model variable -> name the rules speak of
    # tied variables (VariableSpec.tied_to) with no pair of their own -> the paired variable whose storage they share
    tied: dict[str, str] = field(default_factory=dict)
    prefer_names: bool = False  # align(prefer_names=True): ties settled by the framework's by-name pairs (``chosen``)
    # model variables whose value is zero given the pairs (PyTorch's b_hh beside a Keras recurrent bias in b_ih):
    # no checkpoint value, and not new either: the fixes set them to zero
    zeros: list[str] = field(default_factory=list)
    # {model variable left new: the checkpoint value the renaming of its layer's other values gives it, of another
    # shape or dtype} (a layer resized: no renaming fixes it)
    resized: dict[str, str] = field(default_factory=dict)

    @property
    def inferred(self) -> list[Pair]:
        return [p for p in self.pairs if not p.exact]

    @property
    def chosen(self) -> list[Pair]:
        """The pairs that rest on ``prefer_names``: a choice, not proved."""
        return [p for p in self.pairs if p.rule == CHOSEN]

    @property
    def complete(self) -> bool:
        """Every model weight has a partner."""
        return not self.missing and not self.ambiguous

    def to_json(self) -> dict[str, Any]:
        return {"checkpoint": self.diagnosis.checkpoint.path, "model": self.diagnosis.model.source,
                "pairs": [p.to_json() for p in self.pairs], "ambiguous": [a.to_json() for a in self.ambiguous],
                "missing": self.missing, "unused": self.unused, "rules": self.rules.to_dict()["rules"],
                "explanation": self.sentences, **({"tied": self.tied} if self.tied else {}),
                **({"zeros": self.zeros} if self.zeros else {}),
                **({"resized": self.resized} if self.resized else {}),
                **({"prefer_names": {"chosen_pairs": len(self.chosen)}} if self.prefer_names else {})}

    # -- exports: the fix, in the user's framework -------------------------------------------------------------
    def renames(self) -> dict[str, str]:
        """{checkpoint name: model variable name} for every pair (exact ones included)."""
        return {self.checkpoint_names[p.checkpoint]: p.model for p in self.pairs}

    def saver_var_list_code(self) -> str:
        """The TF1 fix (Saver var_list with slots following their variables, then init_from_checkpoint)."""
        from .fixes import tf1_fix

        return tf1_fix(self).code

    def assignment_map(self) -> dict[str, str]:
        """``tf.compat.v1.train.init_from_checkpoint`` map for every pair: scope entries where the rules' scope
        renames load exactly the pairs over all the model's variables, else one entry per variable."""
        model_var = {n: v for v, n in self.model_names.items()}
        names = [self.checkpoint_names[p.checkpoint] for p in self.pairs]
        variables = [self.model_names.get(v.name, v.name) for v in self.diagnosis.model.variables]
        amap = self.rules.assignment_map(names, variables)
        return {c: model_var.get(m, m) for c, m in amap.items()}  # scope entries are no variable: kept

    def torch_key_map(self) -> dict[str, str]:
        """{checkpoint key: model key} for every renamed key, buffers and ``num_batches_tracked`` included."""
        from .fixes import sources, torch_key_map

        return torch_key_map(sources(self))

    def torch_code(self) -> str:
        from .fixes import torch_fix

        return torch_fix(self).code

    def key_mapping(self) -> dict[str, str]:
        """A Hugging Face ``key_mapping`` (transformers >= 4.51: the first matching pattern renames a key) that
        sends every checkpoint key where the rules do (``Rules.key_mapping``)."""
        return self.rules.key_mapping([self.checkpoint_names.get(k, k) for k in self.diagnosis.checkpoint])

    def tf2_assign_code(self) -> str:
        from .fixes import tf2_fix

        return tf2_fix(self).code


def align(catalog: Catalog, spec: ModelSpec, diagnosis: Diagnosis | None = None, *,
          prefer_names: bool = False) -> Alignment:
    d, state, c_items, m_items = infer(catalog, spec, diagnosis)
    chosen = _prefer_names(state, d, c_items) if prefer_names else None
    pairs = []  # in the model's creation order
    for m in m_items:
        found = state.pairs.get(id(m))
        if found is not None:
            exact = found.stage == "exact"
            pairs.append(Pair(m.ref.name, found.checkpoint.ref.name, found.transform, None if exact else found.stage,
                              found.evidence, exact))
    ambiguous = [Ambiguity(m.ref.name, [c.ref.name for c in cands], reason)
                 for m, cands, reason in state.ambiguous.values()]
    tied = _filled_through_ties(spec, pairs)
    missing = [m.ref.name for m in m_items if not m.busy and m.ref.name not in tied]
    candidates = {name for a in ambiguous for name in a.candidates}
    # bookkeeping (counters, optimizer state) is accounted for by diagnose, never a weight left over
    unused = [c.ref.name for c in c_items if not c.busy and c.ref.name not in candidates and
              c.ref.kind not in BOOKKEEPING_KINDS]
    checkpoint_names = {c.ref.name: c.name for c in c_items}
    model_names = {m.ref.name: m.name for m in m_items}
    rules, sentences = derive_rules(state, c_items, m_items, missing)
    if missing and unused:
        m_shape, c_shape = {m.ref.name: m.ref.shape for m in m_items}, {c.ref.name: c.ref.shape for c in c_items}
        sentences += fused_hints([(n, tuple(m_shape[n])) for n in missing], [(n, tuple(c_shape[n])) for n in unused])
    sentences += state.cautions
    if state.zeros:
        sentences.append(f"Keras keeps one bias per recurrent layer where PyTorch adds two (b_ih + b_hh): the bias "
                         f"loads into b_ih, and {len(state.zeros)} b_hh variable(s) are set to zero "
                         f"(`{state.zeros[0].ref.name}`); the fixes do it")
    if not pairs and not ambiguous and missing and unused and not sentences and not {
            tuple(sorted(c.shape)) for c in c_items if not c.busy} & {tuple(sorted(m.shape)) for m in m_items}:
        sentences.append(f"the checkpoint and the model share no name and no shape (not even with axes reordered): "
                         f"{len(missing)} model variables, {len(unused)} checkpoint values, nothing in common. Is "
                         "this the checkpoint of another model, or the spec of another model?")
    paired = {p.model for p in pairs}
    masks = [n for n in missing if n.endswith(_PRUNE_MASK) and n[:-len(_PRUNE_MASK)] + _PRUNE_ORIG in paired]
    if masks:  # torch.nn.utils.prune: the module computes its weight as weight_orig * weight_mask
        sentences.append(f"{len(masks)} pruning mask(s) (`{masks[0]}`) are new: the module multiplies the loaded "
                         "`_orig` value by its mask, made from the weights it had when pruned: prune again after "
                         "loading, so that the masks follow the loaded weights")
    if chosen:
        sentences.append(f"{chosen} pair{'s rest' if chosen != 1 else ' rests'} on --prefer-names: where equally "
                         "good renumberings tie, the value the framework's own restore loads by name (a choice, "
                         "not proved)")
    new = set(missing)
    resized = [(c.ref, m.ref) for c, m in state.resized.values() if m.ref.name in new]
    if resized:
        c, m = resized[0]
        sentences.append(f"{len(resized)} model variable(s) would take a value under the renaming that pairs the "
                         f"rest of their layer, but of another shape or dtype (`{m.name}` {list(m.shape)}, "
                         f"`{c.name}` {list(c.shape)} in the checkpoint): saved from a layer of another size or "
                         "configuration; no renaming fixes that, and nothing is loaded into them")
    return Alignment(d, pairs, ambiguous, missing, unused, rules, sentences, checkpoint_names, model_names,
                     {m: v for m, v in tied.items() if m not in {a.model for a in ambiguous}}, prefer_names,
                     [m.ref.name for m in state.zeros], {m.name: c.name for c, m in resized})


def _filled_through_ties(spec: ModelSpec, pairs: list[Pair]) -> dict[str, str]:
    """{variable without a pair: the paired variable it shares storage with}: that storage holds the value written
    last in the model's order (load_state_dict's order), whatever the variable's own name."""
    if not any(v.tied_to for v in spec.variables):
        return {}
    paired = {p.model for p in pairs}
    last = {v.tied_to or v.name: v.name for v in spec.variables if v.name in paired}
    return {v.name: last[v.tied_to or v.name] for v in spec.variables
            if v.name not in paired and (v.tied_to or v.name) in last}


# -- rules from pairs ---------------------------------------------------------------------------------------------

def _sep(names) -> str | None:
    """The side's path separator: ``.`` when most names use it (and no ``/``), else ``/``; None when no name has
    either (flat names: ``enc_emb``)."""
    names = list(names)
    dotted = sum("." in n and "/" not in n for n in names)
    if not dotted and not any("/" in n for n in names):
        return None
    return "." if dotted > len(names) / 2 else "/"


def _raw_tokens(name: str) -> list[str]:
    return [t for t in _SEP.split(name) if t]


def derive_rules(state, c_items: list[_Item], m_items: list[_Item], missing: list[str]) -> tuple[Rules, list[str]]:
    triples = [(p.checkpoint, p.model, p.transform, p.stage) for p in state.pairs.values()]
    inferred = [(c, m, t, s) for c, m, t, s in triples if s != "exact"]
    if not inferred:
        return Rules(), []
    rules: list = []
    why: dict[int, str] = {}  # id(rule) -> its sentence, kept as a comment in rule files
    sentences: list[str] = []
    csep, msep = _sep(c.name for c in c_items), _sep(m.name for m in m_items)
    csep, msep = csep or msep or "/", msep or csep or "/"  # flat names take the other side's separator

    # 1. conventions: separator, then token substitutions learned from the aligned name suffixes
    conventions: list[str] = []
    if csep != msep:
        rules.append(Regex(re.escape(csep), msep))
        conventions.append(f"`{csep}` -> `{msep}`")
    subs: dict[str, Counter] = defaultdict(Counter)
    walks: dict[tuple, list] = {}  # (checkpoint scope, model scope) -> the substitutions found above the leaf
    for c, m, _, _ in inferred:  # every pair: conventions are global, and so is the evidence for them
        for old, new in _convention_steps(c.name, m.name, msep, walks):
            subs[old][new] += 1
    renamed_leaves = {old[:-1] for old in subs if old.endswith("$")}
    for c, m, _, _ in inferred if renamed_leaves else ():
        leaf = _leaf_word(c.name)
        if leaf in renamed_leaves and leaf == _leaf_word(m.name):
            subs[leaf + "$"][leaf] += 1  # kept as it is: evidence against renaming this leaf everywhere
    for old, targets in sorted(subs.items()):
        new, n = targets.most_common(1)[0]
        if old.endswith("$") and len(old) > 1:  # a leaf word: the majority's spelling, the others renamed one by one
            if new == old[:-1] or n * 2 <= sum(targets.values()):
                continue
        elif len(targets) > 1:
            continue  # inconsistent: leave those names to explicit renames
        if "{n}" in old:
            pattern = re.escape(old).replace(r"\{n\}", r"(\d+)")
            rules.append(Regex(f"(?<![^{re.escape(msep)}]){pattern}(?![^{re.escape(msep)}])",
                               new.replace("{n}", r"\1")))
            conventions.append(f"`{old.replace('{n}', 'N')}` -> `{new.replace('{n}', 'N')}`")
        elif old.endswith("$") and len(old) > 1:  # a leaf word (``gamma`` -> ``weight``): never a scope's name
            rules.append(Regex(f"(?<![^{re.escape(msep)}]){re.escape(old[:-1])}$", new.replace("\\", "\\\\")))
            conventions.append(f"leaf `{old[:-1]}` -> `{new}`")
        else:
            rules.append(Regex(f"(?<![^{re.escape(msep)}]){re.escape(old)}(?![^{re.escape(msep)}])",
                               new.replace("\\", "\\\\")))
            conventions.append(f"`{old}` -> `{new}`")
    if conventions:
        sentences.append("naming conventions differ between checkpoint and model: " + ", ".join(conventions))

    current = _Cached(rules)
    staged = len(rules)

    # 2. scope rules: those the inference applied (its scope hypotheses), each pair's in the user's spelling: the
    # name's tokens before the trailing ones no applied scope rule touched. A rule nested in another (``module.``
    # dropped, ``module.layer4.`` renamed to ``stage4.``) is tried first: the longest old prefix first.
    scopes: Counter = Counter()
    for h in state.hypotheses:
        if h.rule[0] != "scope":
            continue
        for proof in h.proofs.values():
            c, m = proof.checkpoint, proof.model
            now = current.name(c.name)
            if now is not None and now != m.name and c.renamed is not None:
                before, kept = c.renamed
                rule = _spelled(now, m.name, before - kept, len(m.tokens) - kept)
                if rule is not None:
                    scopes[rule] += 1
    for (old, new), n in sorted(scopes.items(), key=lambda kv: -len(kv[0][0])):
        rules.append(Prefix(old, new))
        sentences.append(_prefix_sentence(rules[-1], n, csep))
        why[id(rules[-1])] = sentences[-1]
    current, staged = current.then(rules[staged:]), len(rules)

    # 2b. a segment inserted before the last part of names (or removed there), as the inference applied it: one
    # rule per word before it and segment, in the names' spelling (``c_attn.weight`` -> ``c_attn.base_layer.weight``)
    segments: Counter = Counter()
    for h in state.hypotheses:
        if h.rule[0] != "infix":
            continue
        for proof in h.proofs.values():
            now = current.name(proof.checkpoint.name)
            if now is not None and now != proof.model.name:
                segment = _segment_rule(now, proof.model.name, h.rule[1] == "model")
                if segment is not None:
                    segments[segment] += 1
    for (pattern, replacement, said), n in sorted(segments.items()):
        rules.append(Regex(pattern, replacement))
        sentences.append(f"{said} ({n} variable{'s' if n != 1 else ''})")
        why[id(rules[-1])] = sentences[-1]
    current, staged = current.then(rules[staged:]), len(rules)

    # 3. renumbering: the renumberings the inference applied (numbers from k on moved by d, in one family),
    # spelled as the names write their numbers; one rule per spelling and offset, from the lowest number moved
    renumber: Counter = Counter()
    starts: dict[tuple, int] = {}
    shifts: dict[tuple, tuple | None] = {}  # per pair of layers: the shift their names show
    for h in state.hypotheses:
        if h.stage != "numbering" or not h.proofs:
            continue
        _, _, d, first = h.rule
        spelled = None
        for proof in h.proofs.values():
            now = current.name(proof.checkpoint.name)
            if now is not None and now != proof.model.name:
                found = _layer_shift(now, proof.model.name, shifts)
                if found is not None and found[1] == d:
                    spelled = found
                    break
        if spelled is None:
            continue  # the names spell the move otherwise: explicit renames say it
        renumber[spelled] += len(h.proofs)
        starts[spelled] = min(starts.get(spelled, first), first)
    for (pattern, offset, bare), n in renumber.most_common():
        rules.append(Renumber(pattern, starts[(pattern, offset, bare)], offset, bare))
        new_names = [x for x in missing if Renumber(pattern, 0, 0, bare)._compiled.search(x)]
        sentences.append(_renumber_sentence(rules[-1], n, new_names, [c.name for c, _, _, _ in triples],
                                            [c.name for c in c_items]))
        why[id(rules[-1])] = sentences[-1]
    current = current.then(rules[staged:])

    # 4. explicit renames for whatever the general rules do not reproduce, then verify every pair
    renames = []
    by_stage: dict[str, list[str]] = defaultdict(list)  # one sentence per renamed variable, up to a few per stage
    # a nested Keras 3 model is one explanation, however many values it renames (positional names: one each)
    nested = {key: h for h in state.hypotheses if h.rule[0] in ("nest", "twin", "view") for key in h.proofs}
    for c, m, _, stage in triples:
        if current.name(c.name) != m.name:
            renames.append(Rename(c.name, m.name))  # on the original name, first and final: cannot interfere
            if stage != "exact" and id(m) not in nested:
                by_stage[stage].append(f"`{c.name}` is `{m.name}` in the model")
    for h in dict.fromkeys(nested.values()):
        if h.rule[0] == "view":
            first = next(iter(h.proofs.values()))
            ref = first.checkpoint.ref
            seen, other, example = (
                ("variable names the object graph records (full_name)", "object paths", ref.full_name)
                if h.rule[1] == "names" else
                ("object paths the object graph records", "variable names", ref.object_path))
            sentences.append(f"the {other} leave {len(h.proofs)} variable(s) open that the {seen} pair, e.g. "
                             f"`{example}` is `{first.model.ref.name}` (the rules rename each one)")
            continue
        if h.rule[0] == "twin":
            _, chosen, scopes, c_name, m_name = h.rule
            sentences.append(f"the model holds twin sub-models ({', '.join(f'`{s}`' for s in scopes)}: the same "
                             f"names below each) and the file one: `{c_name}` fits `{m_name}` only and no value "
                             f"pairs with another twin, so the {len(h.proofs)} values that fit a layer of each twin "
                             f"go to `{chosen}` (the rules rename each one); the other twins are new")
            continue
        _, side, prefix, paths = h.rule
        sentences.append((f"the model nests the file's model under `{prefix}` (a model used as a layer)"
                          if side == "model" else
                          f"the file nests the model under `{prefix}` (it was saved as a layer of a bigger model)")
                         + f": {len(h.proofs)} variables pair by their {paths} below it (the file names values "
                         "by position, so the rules rename each one)")
    for stage, said in by_stage.items():
        words = _STAGE_WORDS.get(stage, stage)
        if len(said) <= _SAID:
            sentences += [f"{x} ({words})" for x in said]
        else:
            sentences.append(f"{len(said)} variables ({words}), each renamed on its own, e.g. {said[0]}; "
                             f"{said[1]} (the rules list every one)")
    rules[:0] = renames

    # 5. value transforms: generic by leaf and rank, exact-name ones where the generic rule would be wrong
    by_leaf: dict[tuple, Counter] = defaultdict(Counter)
    for c, _m, transform, _ in inferred if any(t for _, _, t, _ in inferred) else ():
        by_leaf[(_raw_tokens(c.name)[-1] if c.name else "", len(c.shape))][transform] += 1
    generic = []
    for (leaf, rank), ops in sorted(by_leaf.items()):
        op, _ = ops.most_common(1)[0]
        if op and len(ops) == 1:
            generic.append(Transform(f"(^|[/.]){re.escape(leaf)}$", op, rank))
    specific = []
    if any(t for _, _, t, _ in inferred):
        check = Rules(list(rules) + generic)
        for c, _m, transform, _ in triples:
            got = check.apply(c.name, len(c.shape)).transform
            if got != transform:
                specific.append(Transform(f"^{re.escape(c.name)}$", transform or "none", len(c.shape)))
    rules += specific + generic
    if generic or specific:
        ops = Counter(t for _, _, t, _ in inferred if t)
        what = ("values keep their order and change shape (axes of length 1 added or dropped): "
                if all(op.startswith("reshape(") for op in ops) else
                "TensorFlow kernels are PyTorch weights with their axes reordered: "
                if not any(op.startswith("reshape(") for op in ops) else
                "values are rearranged into the model's layout: ")
        sentences.append(what + ", ".join(f"{n} x {op}" for op, n in ops.items()))

    # 5b. a general rule that changes no entry (every entry it was derived from renamed on its own, finally) says
    # nothing and would read as a mistyped rule to rewrite's check: left out
    renamed = {r.old: r.new for r in renames}
    general = [r for r in rules if not isinstance(r, (Rename, Transform))]
    if renamed and general and len(general) <= _MAX_CHECKED:
        check, fired = Rules(general), set[int]()
        for c in c_items:
            if c.name not in renamed:
                fired.update(check.apply(c.name, len(c.shape)).applied)
                if len(fired) == len(general):
                    break
        dead = {id(r) for i, r in enumerate(general) if i not in fired}
        rules = [r for r in rules if id(r) not in dead]

    # 6. nothing else may be mapped onto a model variable by these rules
    # The guarantee, checked on every name: the rules reproduce every pair exactly (drops for other entries are
    # exact names, so adding them cannot change a pair), and map nothing else onto a model variable.
    # Names are checked through the same pipeline semantics without re-running it: an exact rename (first, final)
    # wins, else the general rules' result, already computed above. Transforms, when any, run the real pipeline.
    final = Rules(list(rules))
    claimed = {m.name for _, m, _, _ in triples} | {m.name for m, _, _ in state.ambiguous.values()}
    partner = {id(c): (m, transform) for c, m, transform, _ in triples}
    with_transforms = any(isinstance(r, Transform) for r in rules)
    drops = []
    for c in c_items:
        name = renamed.get(c.name) or current.name(c.name)
        if id(c) in partner:
            m, transform = partner[id(c)]
            got = None
            if with_transforms:
                mapped = final.apply(c.name, len(c.shape))
                name, got = mapped.name, (mapped.transform if mapped.transform != "none" else None)
            if name != m.name or got != transform:
                raise AssertionError(f"derived rules map {c.name} to {name} ({got}), expected {m.name} ({transform})")
        elif name is not None and name in claimed:
            drops.append(Drop(f"^{re.escape(c.name)}$"))
    final_rules = drops + rules
    return Rules(final_rules, {i: why[id(r)] for i, r in enumerate(final_rules) if id(r) in why}), sentences


def _segment_rule(old: str, new: str, inserted: bool) -> tuple[str, str, str] | None:
    """(pattern, replacement, sentence) of the rule that inserts (or removes) one segment before the last part of a
    name, after the segment before it (``lora_A.weight`` -> ``lora_A.default.weight``), when ``old`` and ``new``
    differ so; else None."""
    short, long = (old, new) if inserted else (new, old)
    cut = max(short.rfind("/"), short.rfind("."))
    if cut <= 0:
        return None
    head, sep, last = short[:cut], short[cut], short[cut + 1:]
    middle = long[len(head):len(long) - len(last)] if long.startswith(head) and long.endswith(last) else ""
    if len(middle) < 3 or middle[0] not in "/." or middle[-1] not in "/." or re.search(r"[/.]", middle[1:-1]):
        return None
    before = head[max(head.rfind("/"), head.rfind(".")) + 1:]
    segment = middle[1:-1]
    start = f"(?<![^/.]){re.escape(before)}"
    if inserted:
        return (f"{start}{re.escape(sep)}(?=[^/.]+$)", f"{before}{middle}",
                f"the model's names have `{segment}` inserted after `{before}`, before their last part")
    return (f"{start}{re.escape(middle)}(?=[^/.]+$)", f"{before}{sep}",
            f"the file's names have `{segment}` after `{before}`, before their last part, where the model's have none")


def _convention_steps(cname: str, mname: str, msep: str, walks: dict) -> list:
    """The token substitutions that turn checkpoint name ``cname`` into model name ``mname``, read from the leaf
    backwards until the names stop agreeing up to conventions (the rest is a prefix matter).
    The variables of a layer share their scopes: the walk above the leaf is remembered per pair of scopes."""
    cut_c, cut_m = max(cname.rfind("/"), cname.rfind(".")), max(mname.rfind("/"), mname.rfind("."))
    a, b = cname[cut_c + 1:], mname[cut_m + 1:]
    if not a or not b:  # a name ending in a separator: no leaf to start from
        return _walk(_raw_tokens(cname), _raw_tokens(mname), True, msep)
    c_scope, m_scope = cname[:cut_c] if cut_c >= 0 else "", mname[:cut_m] if cut_m >= 0 else ""
    steps: list = []
    if a != b:
        mt = _raw_tokens(m_scope)
        if b == "weight" and a != "weight" and _plain(a) not in WEIGHT_LEAVES \
                and (not mt or mt[-1] == a):  # PyTorch adds ".weight" where TF names the variable itself
            steps.append((a + "$", f"{a}{msep}weight"))
            if mt:
                mt.pop()
            return steps + _walk(_raw_tokens(c_scope), mt, False, msep)
        else:
            na, nb = _NUMBERED_RAW.match(a) or _GLUED_RAW.match(a), (mt[-1] if mt else None)
            if na and b.isdigit() and nb is not None and na.group(1) == nb and na.group(3) == b:
                steps.append((f"{na.group(1)}{na.group(2)}{{n}}", f"{nb}{msep}{{n}}"))
                mt.pop()
                return steps + _walk(_raw_tokens(c_scope), mt, False, msep)
            if _plain(a) == _plain(b) or _VOCABULARY.get(_plain(a)) == _VOCABULARY.get(_plain(b), "?"):
                steps.append((a, b) if _plain(a) == _plain(b) else (a + "$", b))  # a leaf word: at the end only
            else:
                return steps  # the rest is a prefix matter
    rest = _scope_steps(c_scope, m_scope, msep, walks)
    return steps + rest if steps else rest


def _scope_steps(cs: str, ms: str, msep: str, walks: dict) -> list:
    """``_walk`` over the tokens of two scopes (not at the leaf), one level at a time, each pair of scopes
    remembered: the layers of a block share the walk above them, and most walks stop at their first level."""
    levels: list = []  # (pair of scopes, the step made at that level or None)
    while True:
        known = walks.get((cs, ms))
        if known is not None:
            tail = known
            break
        cut_c, cut_m = max(cs.rfind("/"), cs.rfind(".")), max(ms.rfind("/"), ms.rfind("."))
        a, b = cs[cut_c + 1:], ms[cut_m + 1:]
        if not a or not b or b == "weight" or b.isdigit() or a.isdigit():  # empty, or a step that reads further
            levels.append(((cs, ms), None))
            tail = _walk(_raw_tokens(cs), _raw_tokens(ms), False, msep)
            break
        if a != b and _plain(a) != _plain(b):
            levels.append(((cs, ms), None))
            tail = []  # the rest is a prefix matter
            break
        levels.append(((cs, ms), (a, b) if a != b else None))
        cs, ms = cs[:cut_c] if cut_c >= 0 else "", ms[:cut_m] if cut_m >= 0 else ""
    for pair, step in reversed(levels):
        if step is not None:
            tail = [step] + tail
        walks[pair] = tail
    return tail


def _walk(ct: list, mt: list, at_leaf: bool, msep: str) -> list:
    """``_convention_steps`` on token lists (consumed from the end)."""
    steps = []
    while ct and mt:
        a, b = ct.pop(), mt.pop()
        leaf, at_leaf = at_leaf, False
        if a == b:
            continue
        if b == "weight" and a != "weight" and _plain(a) not in WEIGHT_LEAVES \
                and (not mt or mt[-1] == a):
            steps.append((a + "$" if leaf else a, f"{a}{msep}weight"))
            mt.pop() if mt else None
            continue
        if ct and mt and (a.isdigit() and b == "_" + a and mt[-1] == ct[-1] + "_" or
                          b.isdigit() and a == "_" + b and ct[-1] == mt[-1] + "_"):
            # Hugging Face's TF layers are named ``block_._0`` (one name holding a dot) where PyTorch's are
            # ``block.0``: one convention, not a word and a number each renamed
            word = min(ct.pop(), mt.pop(), key=len)
            steps.append((f"{word}{msep}{{n}}", f"{word}_._{{n}}") if a.isdigit() else
                         (f"{word}_._{{n}}", f"{word}{msep}{{n}}"))
            continue
        na, nb = _NUMBERED_RAW.match(a) or _GLUED_RAW.match(a), (mt[-1] if mt else None)
        if na and b.isdigit() and nb is not None and na.group(1) == nb and na.group(3) == b:
            steps.append((f"{na.group(1)}{na.group(2)}{{n}}", f"{nb}{msep}{{n}}"))
            mt.pop()
            continue
        nb2 = _NUMBERED_RAW.match(b) or _GLUED_RAW.match(b)  # the other way round: ``layer.0`` -> ``layer_0``
        if nb2 and a.isdigit() and ct and ct[-1] == nb2.group(1) and nb2.group(3) == a:
            steps.append((f"{ct[-1]}{msep}{{n}}", f"{nb2.group(1)}{nb2.group(2)}{{n}}"))
            ct.pop()
            continue
        if _plain(a) == _plain(b) or leaf and _VOCABULARY.get(_plain(a)) == _VOCABULARY.get(_plain(b), "?"):
            steps.append((a, b) if _plain(a) == _plain(b) else (a + "$", b))
            continue
        break  # the rest is a prefix matter
    return steps


class _Cached:
    """A rule list's mapping of names, memoised; ``then`` extends it with more rules, reusing what the shorter
    list already computed (derivation adds rules in stages and asks for the same names at every stage)."""

    def __init__(self, rules: list, before: _Cached | None = None):
        self.rules = Rules(list(rules))
        self.before = before
        self.cache: dict[str, str | None] = {}
        self.plan = _plan(self.rules.rules)

    def then(self, more: list) -> _Cached:
        if not more:
            return self
        return _Cached(more, self if self.rules.rules or self.before is not None else None)  # skip a level of none

    def name(self, name: str) -> str | None:
        if not self.rules.rules and self.before is None:
            return name  # no rules yet: nothing to remember
        out = self.cache.get(name)
        if out is None:
            start = self.before.name(name) if self.before is not None else name
            out = self.cache[name] = _rename(self.plan, start) if start is not None else None
        return out


def _plan(rules: list) -> list:
    """``Rules.rename`` prepared for many names: runs of exact renames and of prefix rules are indexed (by name,
    by prefix), so a name costs a few look-ups however many such rules there are (derived rule sets hold one
    scope rule per renamed layer, or one rename per unexplained pair)."""
    plan: list = []
    for rule in rules:
        kind = rule.kind
        if kind in ("rename", "prefix") and plan and plan[-1][0] == kind:
            run = plan[-1]
        elif kind in ("rename", "prefix"):
            run = (kind, {}, [], [])
            plan.append(run)
        else:
            plan.append(("one", rule))
            continue
        if kind == "rename":
            run[1].setdefault(rule.old, rule.new)
        else:
            run[1].setdefault(rule.old, []).append(len(run[3]))
            run[3].append(rule)
            if len(rule.old) not in run[2]:
                bisect.insort(run[2], len(rule.old))
    return plan


def _rename(plan: list, name: str) -> str | None:
    """``Rules.rename`` by a plan of ``_plan``: the same result, rule for rule."""
    for step in plan:
        what = step[0]
        if what == "rename":
            new = step[1].get(name)
            if new is not None:
                return new  # final: no later rule applies
        elif what == "prefix":  # rules fire in order: the next to fire is the first later one whose prefix fits
            by_old, lengths, rules = step[1], step[2], step[3]
            last = -1
            while True:
                fire = None
                for n in lengths:
                    if n > len(name):
                        break
                    found = by_old.get(name[:n])
                    if found:
                        i = bisect.bisect_right(found, last)
                        if i < len(found) and (fire is None or found[i] < fire):
                            fire = found[i]
                if fire is None:
                    break
                last, rule = fire, rules[fire]
                name = rule.new + name[len(rule.old):]
        else:
            renamed, final = rename_step(step[1], name)
            if final or renamed is None:
                return renamed
            name = renamed
    return name


_SEGMENT = re.compile(r"[^/.]+")


def _cut(name: str, k: int) -> int | None:
    """Where ``name``'s first ``k`` canonical tokens end: after the separator that follows them, or inside a
    segment before its number (a renamed container: ``layer4`` -> ``stage4``); None anywhere else."""
    if k == 0:
        return 0
    count = 0
    for seg in _SEGMENT.finditer(name):
        tokens = _token(seg.group())
        if count + len(tokens) == k:
            return seg.end() + 1 if seg.end() < len(name) else None
        if count + len(tokens) > k:
            number = tokens[-1]
            if k == count + len(tokens) - 1 and number.isdigit() and seg.group().endswith(number):
                return seg.end() - len(number)
            return None
        count += len(tokens)
    return None


def _spelled(a: str, b: str, kc: int, km: int) -> tuple[str, str] | None:
    """A scope rule over ``kc`` leading tokens of ``a`` and ``km`` of ``b``, in their spelling, when the rest of
    the two names is spelled alike."""
    i, j = _cut(a, kc), _cut(b, km)
    if i is None or j is None:
        return None
    if a[i:] == b[j:]:
        return a[:i], b[:j]
    # spelled differently further in (``h0`` / ``h_._0``, which no convention rule says): the rule then reaches
    # as far as the names differ, to a separator both names have there
    n = 0
    while n < min(len(a) - i, len(b) - j) and a[-1 - n] == b[-1 - n]:
        n += 1
    while n > 0 and not (n < len(a) and n < len(b) and a[-1 - n] in "/." and b[-1 - n] in "/."):
        n -= 1  # (a name that is all suffix, `w` of `model/w`, has no separator before it: no scope to rename)
    return (a[:len(a) - n], b[:len(b) - n]) if n else None


def _number_shift(a: str, b: str) -> tuple[str, int, bool] | None:
    """If ``a`` and ``b`` differ only in one auto-number, the (pattern, offset, bare-zero) that maps a to b."""
    ta, tb = _raw_tokens(a), _raw_tokens(b)
    if len(ta) != len(tb):
        return None
    diffs = [(x, y) for x, y in zip(ta, tb, strict=False) if x != y]
    if len(diffs) == 1:
        x, y = diffs[0]
        mx, my = _NUMBERED_RAW.match(x), _NUMBERED_RAW.match(y)
        wx = mx.group(1) if mx else x
        wy = my.group(1) if my else y
        if wx != wy or not (mx or my):
            if x.isdigit() and y.isdigit():  # PyTorch style: layer.10 -> layer.11
                i = ta.index(x) if ta.count(x) == 1 else None
                if i is None or i == 0:
                    return None
                return (f"{ta[i - 1]}.{{n}}", int(y) - int(x), False) if "." in a else None
            return None
        nx = int(mx.group(3)) if mx else 0
        ny = int(my.group(3)) if my else 0
        numbered = mx or my
        assert numbered is not None  # one of them matched, checked above
        sep = numbered.group(2)
        return (f"{wx}{sep}{{n}}", ny - nx, not (mx and my))
    return None


def _layer_shift(a: str, b: str, shifts: dict) -> tuple[str, int, bool] | None:
    """``_number_shift(a, b)``, remembered per pair of scopes: variables of one layer (same leaf, no digit in it)
    show the same shift."""
    cut_a, cut_b = max(a.rfind("/"), a.rfind(".")), max(b.rfind("/"), b.rfind("."))
    leaf = a[cut_a + 1:]
    if cut_a <= 0 or cut_b <= 0 or not leaf or leaf != b[cut_b + 1:] or _DIGIT.search(leaf):
        return _number_shift(a, b)
    key = (a[:cut_a], b[:cut_b], a[cut_a])  # the separator before the leaf: a "." makes a name PyTorch-style
    if key not in shifts:
        shifts[key] = _number_shift(a, b)
    return shifts[key]


def _prefix_sentence(rule: Prefix, n: int, sep: str) -> str:
    if not rule.old:
        return f"the model adds the prefix `{rule.new}` ({n} variable{'s' if n != 1 else ''})"
    if not rule.new:
        return f"the model drops the prefix `{rule.old}` ({n} variable{'s' if n != 1 else ''})"
    what = "scope" if rule.old.endswith(sep) or rule.old.endswith("/") or rule.old.endswith(".") else "prefix"
    return f"{what} `{rule.old}` was renamed to `{rule.new}` ({n} variable{'s' if n != 1 else ''})"


def _renumber_sentence(rule: Renumber, n: int, new_names: list[str], paired: list[str], names: list[str]) -> str:
    """``paired``: the checkpoint names that take part in a pair, ``names`` all of them. A number below the rule's
    start was removed where the checkpoint holds it and no pair takes it (another rule may move the numbers below:
    ``conv1d_1`` .. ``conv1d_10`` down by one, ``conv1d_12`` by two: only ``conv1d_11`` was removed)."""
    def numbers(listed: list[str]) -> set[int]:
        return {0 if found["n"] is None else int(found["n"]) for name in listed
                if (found := rule._compiled.search(name)) is not None}

    # (the numbers between the rule's target and its start, where the file holds them and no pair takes them)
    between = range(rule.start + rule.offset, rule.start) if rule.offset < 0 else range(0)
    removed = sorted(set(between) & numbers(names) - numbers(paired)) if between else []
    word = rule.pattern.replace("{n}", "").rstrip("_.-")
    first = rule._write(rule.start)
    if rule.offset > 0 and not new_names:  # no variable of the model takes the numbers skipped
        head = (f"`{first}` and later of the checkpoint are `{rule._write(rule.start + rule.offset)}` and later in "
                f"the model, where nothing with weights has the number{'s' if rule.offset > 1 else ''} between (a "
                "layer without weights, such as an activation in a PyTorch Sequential)")
    elif rule.offset > 0:
        head = (f"{rule.offset} `{word}` layer{'s were' if rule.offset > 1 else ' was'} inserted before "
                f"`{first}`: every later number shifted by {rule.offset}")
    elif rule.start + rule.offset > 0 and removed:
        gone = ", ".join(f"`{rule._write(k)}`" for k in removed)
        head = (f"{gone} of the checkpoint {'were' if len(removed) > 1 else 'was'} removed from the model: "
                f"`{first}` and later load into `{rule._write(rule.start + rule.offset)}` and later")
    elif rule.start + rule.offset > 0:  # (the numbers between are no value's: layers without weights, or other names)
        head = (f"`{first}` and later of the checkpoint are `{rule._write(rule.start + rule.offset)}` and later in "
                f"the model (numbers shifted by {rule.offset})")
    else:
        head = (f"auto-numbered names start lower in the model: `{first}` of the checkpoint is "
                f"`{rule._write(rule.start + rule.offset)}` (numbers shifted by {rule.offset})")
    tail = f"; new in the model: {', '.join(f'`{x}`' for x in new_names[:4])}" if new_names else ""
    return f"{head} ({n} variable{'s' if n != 1 else ''}){tail}"
