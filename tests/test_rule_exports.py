"""The rules' exports, checked by the semantics of the code that consumes them: a Hugging Face ``key_mapping``
applied as transformers applies it, and an ``init_from_checkpoint`` assignment map applied by TensorFlow itself
(tests/assignment_map_oracle.py, in a subprocess)."""

from __future__ import annotations

import importlib.util
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ckpt_doctor.match.rules import RULE_KINDS, Drop, Prefix, Regex, Rename, Renumber, Rules, Transform

HERE = Path(__file__).parent


def transformers_rename(key_mapping: dict[str, str], key: str) -> str:
    """What transformers >= 4.51 does with ``from_pretrained(key_mapping=...)`` to one checkpoint key
    (``PreTrainedModel._get_key_renaming_mapping``): the patterns in order, ``re.subn`` each, and the first that
    matches at all gives the new key (the loop breaks on ``n_replace > 0``)."""
    for pattern, replacement in key_mapping.items():
        new, n_replace = re.subn(pattern, replacement, key)
        if n_replace > 0:
            return new
    return key


NAMES = ["model/dense/kernel", "model/dense_1/kernel", "model/dense_10/bias", "dense/kernel", "dense_3/kernel",
         "layer.0.weight", "layer.7.bias", "module.layer.2.weight", "a\\b/k", "x$y.1", "model/dense/kernel/Adam",
         "h0/attn/w", "encoder/layer.12.output", "", "model/model/dense/kernel"]


def hf_sends(rules: Rules, names: list[str]) -> dict[str, str]:
    km = rules.key_mapping(names)
    return {n: transformers_rename(km, n) for n in names}


def per_key(rules: Rules, names: list[str]) -> dict[str, str | None]:
    return {n: rules.rename(n) for n in names}


@pytest.mark.parametrize("rule", [
    Prefix("model/", "net/"), Prefix("", "base_model."), Prefix("module.", ""), Prefix("a\\", "b\\1"),
    Regex(r"^(.*)/kernel$", r"\1.weight"), Regex("/", "."), Regex(r"h(\d+)", r"h.\1"), Regex(r"\$", "S"),
    Rename("dense/kernel", "fc.weight"), Rename("x$y.1", "z\\1"), Rename("a\\b/k", "k"),
])
def test_a_rule_that_is_one_regex_exports_one_entry_that_renames_like_the_rule(rule):
    entry = rule.key_mapping()
    assert entry is not None
    alone = dict([entry])
    for name in NAMES:  # the kind's own entry, alone, as transformers applies it
        assert transformers_rename(alone, name) == (rule.apply(name) or name), name
    rules = Rules([rule])
    assert rules.key_mapping(NAMES) == alone  # no per-key entries needed
    assert hf_sends(rules, NAMES) == {n: rules.rename(n) for n in NAMES}


@pytest.mark.parametrize("rule", [Renumber("dense_{n}", 1, 1, True), Renumber("layer.{n}", 2, -2)])
def test_renumber_falls_back_to_exact_per_key_entries(rule):
    assert rule.key_mapping() is None  # adding to a number is not a regex replacement
    rules = Rules([rule])
    km = rules.key_mapping(NAMES)
    renamed = {n: rules.rename(n) for n in NAMES if rules.rename(n) != n}
    assert renamed  # the check below is not vacuous
    assert km == {f"^{re.escape(n)}\\Z": new for n, new in renamed.items()}
    assert hf_sends(rules, NAMES) == per_key(rules, NAMES)


def test_drops_and_transforms_export_no_entry_and_dropped_keys_land_nowhere_taken():
    assert Drop("^x").key_mapping() is None and Transform("kernel$", "transpose", 2).key_mapping() is None
    assert Rules([Transform("kernel$", "transpose", 2), Drop("^optimizer/")]).key_mapping(NAMES) == {}
    # dense/kernel is dropped and also the new name of model/dense/kernel: it must not land there
    rules = Rules([Drop("^dense/kernel$"), Prefix("model/", "")])
    sent = hf_sends(rules, NAMES)
    assert sent["model/dense/kernel"] == "dense/kernel"
    assert sent["dense/kernel"] not in {sent[n] for n in NAMES if n != "dense/kernel"}
    assert ".." in sent["dense/kernel"]  # an empty module name: no PyTorch model has this key


def test_every_kind_has_an_export_statement():
    for kind, cls in RULE_KINDS.items():
        assert cls.kind == kind and callable(cls.key_mapping) and callable(cls.from_dict)


def test_random_rule_lists_export_a_key_mapping_that_sends_every_key_where_the_rules_do():
    """Several rules on one key (transformers applies only the first matching entry), renames, renumbers,
    drops, names with regex and replacement metacharacters: checked key by key against Rules.rename."""
    rng = random.Random(5)
    pieces = [lambda: Prefix(rng.choice(["", "model/", "module.", "a\\"]), rng.choice(["", "net/", "m.", "\\1"])),
              lambda: Regex(*rng.choice([("/", "."), (r"^(.*)/kernel$", r"\1.weight"), (r"dense_(\d+)", r"fc\1"),
                                         (r"\$", "$"), (r"\.", "/"), (r"^(model)/", r"\1\\")])),
              lambda: Rename(rng.choice(NAMES), rng.choice(["fc.weight", "z\\1", "model/dense/kernel"])),
              lambda: Renumber(rng.choice(["dense_{n}", "layer.{n}"]), rng.randint(0, 3), rng.choice([-1, 1, 2]),
                               rng.random() < 0.5),
              lambda: Drop(rng.choice(["^dense/", "Adam$", "^$"])),
              lambda: Transform("kernel$", "transpose", 2)]
    checked = 0
    for _ in range(1500):
        rules = Rules([rng.choice(pieces)() for _ in range(rng.randint(0, 6))])
        want = per_key(rules, NAMES)
        sent = hf_sends(rules, NAMES)
        taken = {w for w in want.values() if w is not None}
        for name in NAMES:
            if want[name] is not None:
                assert sent[name] == want[name], (rules, name)
                checked += 1
            else:  # dropped: keeps its own name, or one no model has, never another key's new name
                assert sent[name] == name if name not in taken else sent[name] == name + "..dropped", (rules, name)
    assert checked > 10000


def test_per_name_maps():
    rules = Rules([Drop("^optimizer/"), Prefix("model/", "net/"), Rename("head/w", "fc.weight")])
    names = ["model/a", "optimizer/x", "head/w", "same"]
    assert rules.var_list(names) == {"model/a": "net/a", "head/w": "fc.weight", "same": "same"}
    assert rules.key_map(names) == {"model/a": "net/a", "head/w": "fc.weight"}
    assert rules.assignment_map(names) == rules.var_list(names)  # without the model's variables: per name


def test_assignment_map_uses_a_scope_entry_only_where_it_loads_exactly_the_pairs():
    rules = Rules([Prefix("encoder/", "backbone/")])
    names = ["encoder/w", "encoder/b", "step"]
    model = ["backbone/w", "backbone/b", "step"]
    assert rules.assignment_map(names, model) == {"encoder/": "backbone/", "step": "step"}
    grown = model + ["backbone/head/w"]  # the scope entry would demand encoder/head/w
    assert rules.assignment_map(names, grown) == rules.var_list(names)
    partial = ["encoder/w", "step"]  # a pair left out: the scope entry would load it anyway
    assert rules.assignment_map(partial, model) == rules.var_list(partial)
    chained = Rules([Prefix("a/", "b/"), Prefix("b/", "c/")])  # a/x -> c/x: no scope entry says that
    assert chained.assignment_map(["a/x"], ["c/x"]) == {"a/x": "c/x"}


# -- init_from_checkpoint, by TensorFlow ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf_result(tmp_path_factory):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed")
    work = tmp_path_factory.mktemp("assignment_map")
    r = subprocess.run([sys.executable, str(HERE / "assignment_map_oracle.py"), str(work)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _expected(result: dict) -> dict:
    return {k.replace("encoder/", "backbone/"): v for k, v in result["trained"].items()}


def test_scope_rename_with_an_unchanged_variable_is_one_scope_entry_and_tensorflow_restores_everything(tf_result):
    r = tf_result["build_shared"]
    assert r["rules"] == [{"prefix": {"from": "encoder/", "to": "backbone/"}}]
    assert r["assignment_map"] == {"encoder/": "backbone/", "step_scale": "step_scale"}
    assert r["restored"]["values"] == _expected(tf_result)


def test_a_new_variable_in_the_renamed_scope_gets_per_variable_entries_which_tensorflow_accepts(tf_result):
    r = tf_result["build_grown"]
    assert r["missing"] == ["backbone/head/w"]
    assert "not found in" in r["scope_only"]["error"]  # what a scope entry would have done
    assert not any(k.endswith("/") for k in r["assignment_map"])
    values = r["restored"]["values"]
    assert values.pop("backbone/head/w") == [[1.0] * 5] * 4  # new: keeps its initial value
    assert values == _expected(tf_result)


# -- the alignment's exports ------------------------------------------------------------------------------------

def _align(ckpt: list, model: list, framework: str = "torch"):
    import ckpt_doctor
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    catalog = Catalog("<synthetic>", "safetensors", {n: TensorInfo(n, "float32", tuple(s), 4) for n, s in ckpt})
    spec = ModelSpec([VariableSpec(n, tuple(s), "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework=framework, source="<synthetic>")
    return ckpt_doctor.align(catalog, spec)


LAYERS = [(f"layer.{i}.{leaf}", (4 + i, 3) if leaf == "weight" else (4 + i,)) for i in range(4)
          for leaf in ("weight", "bias")]


@pytest.mark.parametrize("ckpt, model", [
    ([("module." + n, s) for n, s in LAYERS], LAYERS),  # DataParallel prefix
    (LAYERS + [("extra.weight", (2, 2))],  # a layer inserted at 0: renumbered
     [("layer.0.weight", (9, 3)), ("layer.0.bias", (9,))] + [(n.replace(f"layer.{n.split('.')[1]}",
                                                                       f"layer.{int(n.split('.')[1]) + 1}"), s)
                                                             for n, s in LAYERS]),
    ([("model/h0/attn/c_attn/w", (16, 48)), ("model/h0/ln_1/g", (16,)), ("model/h1/attn/c_attn/w", (16, 48)),
      ("model/h1/ln_1/g", (16,)), ("model/wte", (50, 16))],  # TF1 GPT-2 names: several rules on every key
     [("wte.weight", (50, 16)), ("h.0.attn.c_attn.weight", (16, 48)), ("h.0.ln_1.weight", (16,)),
      ("h.1.attn.c_attn.weight", (16, 48)), ("h.1.ln_1.weight", (16,))]),
])
def test_alignment_key_mapping_sends_every_paired_key_to_its_model_key(ckpt, model):
    a = _align(ckpt, model)
    assert len(a.inferred) >= 4
    km = a.key_mapping()
    for p in a.pairs:
        assert transformers_rename(km, p.checkpoint) == p.model, (p, km)
    paired = {p.model for p in a.pairs}
    for key in a.unused:
        assert transformers_rename(km, key) not in paired, key
