"""The rule language: built from code, dicts and files; applied in order; explained; exported; bad rules rejected."""

import json

import numpy as np
import pytest
import yaml

import ckpt_doctor
from ckpt_doctor import Drop, Prefix, Regex, Rename, Renumber, RuleError, Rules, Transform


def test_rules_apply_in_order_and_explain():
    rules = Rules([Regex("/", "."), Prefix("model_scope.", "net."), Renumber("dense_{n}", 3, -3, True),
                   Rename("net.head.w", "classifier.weight"), Drop(r"^optimizer\."),
                   Transform(r"kernel$", "transpose", 2)])
    assert rules.apply("model_scope/dense_3/kernel", 2).name == "net.dense.kernel"
    assert rules.apply("model_scope/dense_3/kernel", 2).transform == "transpose"
    assert rules.apply("model_scope/dense_3/kernel", 1).transform is None  # rank must match
    assert rules.apply("model_scope/dense_5/bias").name == "net.dense_2.bias"
    assert rules.apply("model_scope/dense_2/bias").name == "net.dense_2.bias"  # below `from`: unchanged
    assert rules.apply("model_scope/head/w").name == "classifier.weight"
    assert rules.apply("optimizer/iter").dropped
    touched = dict((type(r).__name__ + str(i), names) for i, (r, names) in
                   enumerate(rules.explain(["model_scope/dense_3/kernel", "other/x"])))
    assert touched["Regex0"] == ["model_scope/dense_3/kernel", "other/x"]
    assert touched["Renumber2"] == ["model_scope/dense_3/kernel"]


def test_rename_is_final_so_swaps_stay_swaps():
    rules = Rules([Rename("a", "b"), Rename("b", "a")])
    assert (rules.apply("a").name, rules.apply("b").name) == ("b", "a")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    rules = Rules([Prefix("module.", ""), Regex(r"^(.*)\.gamma$", r"\1.weight"), Renumber("layer.{n}", 4, 1),
                   Drop("^optimizer/"), Transform("kernel$", "permute(3,2,0,1)", 4)])
    path = tmp_path / f"rules{suffix}"
    rules.save(path)
    again = Rules.load(path)
    assert again.to_dict() == rules.to_dict()
    if suffix == ".json":
        assert json.loads(path.read_text())["format"] == "ckpt-doctor-rules"
    for name in ("module.bn.gamma", "layer.7.w", "optimizer/x", "conv/kernel"):
        assert again.apply(name, 4) == rules.apply(name, 4)


def test_from_dict_and_list():
    doc = {"rules": [{"prefix": {"from": "a/", "to": "b/"}}, {"drop": "^x"}]}
    assert Rules.from_dict(doc).apply("a/k").name == "b/k"
    assert Rules.from_dict(doc["rules"]).apply("xyz").dropped


@pytest.mark.parametrize("bad, message", [
    ({"rules": [{"frobnicate": {}}]}, "unknown rule kind 'frobnicate'"),
    ({"rules": [{"regex": {"from": "(", "to": ""}}]}, "invalid regex"),
    ({"rules": [{"renumber": {"pattern": "dense", "from": 1, "offset": 1}}]}, "must contain {n}"),
    ({"rules": [{"transform": {"match": "k$", "op": "permute(0,0)"}}]}, "not a permutation"),
    ({"rules": [{"prefix": {"to": "b/"}}]}, "malformed"),
    ({"nope": 1}, 'a rule file holds {"rules": [...]}'),
])
def test_bad_rules_are_clear_errors(bad, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        Rules.from_dict(bad)


# A rule file as users and earlier versions wrote it: every kind, with YAML's conveniences (an empty `to:` is
# null, unquoted numbers, a number in a string). It must keep loading to exactly these rules.
EXISTING = """\
format: ckpt-doctor-rules
version: 1
rules:
  - prefix:   {from: "model_scope/", to: "different_model_scope/"}
  - prefix:   {from: "module.", to: }
  - regex:    {from: "^(.*)\\\\.gamma$", to: "\\\\1.weight"}
  - regex:    {from: "^optimizer/", to: }
  - rename:   {from: 10, to: "fc.weight"}
  - renumber: {pattern: "dense_{n}", from: "3", offset: -1, zero_unnumbered: true}
  - renumber: {pattern: "layer.{n}", from: 0, offset: 2}
  - drop:     "^optimizer/"
  - transform: {match: "kernel$", rank: 2, op: transpose}
  - transform: {match: "k$", op: "permute(3,2,0,1)", rank: null}
"""


def test_existing_rule_files_load_to_the_same_rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(EXISTING)
    expected = [Prefix("model_scope/", "different_model_scope/"), Prefix("module.", ""),
                Regex(r"^(.*)\.gamma$", r"\1.weight"), Regex("^optimizer/", ""), Rename("10", "fc.weight"),
                Renumber("dense_{n}", 3, -1, True), Renumber("layer.{n}", 0, 2), Drop("^optimizer/"),
                Transform("kernel$", "transpose", 2), Transform("k$", "permute(3,2,0,1)")]
    loaded = Rules.load(path)
    assert loaded.rules == expected
    assert Rules.from_dict(yaml.safe_load(loaded.to_yaml())).rules == expected  # written back, read again


def test_every_kind_is_in_the_registry_and_reads_back_what_it_writes():
    from ckpt_doctor.match.rules import RULE_KINDS

    made = [Prefix("a/", ""), Regex(r"(\d+)", r"_\1"), Rename("a", "b"), Renumber("h{n}", 1, 1), Drop("x$"),
            Transform("w$", "reshape(1,3)", 2)]
    assert sorted(RULE_KINDS) == sorted(r.kind for r in made)
    for rule in made:
        (kind, value), = rule.to_dict().items()
        assert RULE_KINDS[kind].from_dict(value, "test") == rule


@pytest.mark.parametrize("entry, message", [
    ({"prefix": {"from": "a/", "to": "b/", "too": 1}}, r"rules\[1\] \(prefix\): is malformed: unknown too"),
    ({"rename": {"from": "a"}}, r"rules\[1\] \(rename\): is malformed: missing to"),
    ({"rename": {"from": True, "to": "b"}}, r"rules\[1\] \(rename\): `from` must be text, got True"),
    ({"renumber": {"pattern": "d_{n}", "from": "x", "offset": 1}}, r"`from` must be an integer, got 'x'"),
    ({"renumber": {"pattern": "d_{n}", "from": 1, "offset": 1, "zero_unnumbered": "yes"}}, "true or false"),
    ({"drop": None}, r"rules\[1\] \(drop\): `drop` must be text"),
    ({"transform": {"match": "k$", "op": "transpose", "rank": 3}}, "2 axes but rank is 3"),
    ({"regex": {"from": "/", "to": "\\1"}}, "invalid replacement"),
    ({"prefix": ["a/", "b/"]}, "expected a mapping with from, to"),
    ("prefix", "one-key mapping"),
])
def test_a_bad_entry_names_the_file_and_the_entry(tmp_path, entry, message):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{"drop": "^ok$"}, entry]}))
    with pytest.raises(RuleError, match=message) as e:
        Rules.load(path)
    assert e.value.path == str(path)
    assert "rules[1]" in e.value.message


def test_unparseable_rule_file(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("rules: [ {prefix: ")
    with pytest.raises(RuleError, match="not valid YAML/JSON") as e:
        Rules.load(p)
    assert e.value.path == str(p)


def test_rules_view_of_a_real_checkpoint_transposes_values(tmp_path):
    """apply_rules on a TensorFlow-written checkpoint: renamed, transformed on read, bookkeeping untouched."""
    from pathlib import Path

    from ckpt_doctor.match.rules import apply_rules

    keras = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2"
    catalog = ckpt_doctor.open_checkpoint(keras)
    rules = Rules([Regex("/", "."), Regex(r"\.kernel$", ".weight"), Transform(r"kernel$", "transpose", 2)])
    view = apply_rules(catalog, rules, namespace="object")
    original = catalog["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"].read()
    renamed = view["layer_with_weights-0.weight/.ATTRIBUTES/VARIABLE_VALUE"]
    np.testing.assert_array_equal(renamed.read(), original.T)
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in view
    with pytest.raises(RuleError, match="rules map both"):
        apply_rules(catalog, Rules([Regex(".*", "same")]), namespace="object")


def test_indexed_rule_plan_renames_exactly_like_the_rule_list():
    """derive_rules maps every name through an indexed plan of its rules (runs of renames and prefixes looked up,
    not scanned): on random rule lists it must give Rules.rename's answer for every name."""
    import random

    from ckpt_doctor.match.align import _plan, _rename

    rng = random.Random(9)
    prefixes = ["", "a", "b", "a/", "b/", "c/", "a/b/", "x.", "dense_1/"]
    names = ["a/b/k", "b/k", "a/k", "c/a/b/k", "x.a/b", "dense_1/a/b/k", "", "a/dense/k", "ab/k", "b/b/b/k"]
    for _ in range(2000):
        rules = []
        for _ in range(rng.randint(0, 8)):
            k = rng.random()
            if k < 0.5:
                rules.append(Prefix(rng.choice(prefixes), rng.choice(prefixes)))
            elif k < 0.7:
                rules.append(Rename(rng.choice(["a/b/k", "b/k", "a/k"]), rng.choice(["z", "a/b/k"])))
            elif k < 0.8:
                rules.append(Regex("b", "c"))
            elif k < 0.9:
                rules.append(Drop("^c/"))
            else:
                rules.append(Renumber("dense_{n}", 0, 1, True))
        plan = _plan(rules)
        for name in names:
            assert _rename(plan, name) == Rules(rules).rename(name), (rules, name)


def test_convention_walk_by_scopes_equals_the_walk_over_all_tokens():
    """derive_rules learns naming conventions from every inferred pair (no sample), walking each pair's names from
    the leaf up and remembering the walk per pair of scopes: on random names it must find exactly the
    substitutions of the plain walk over both names' tokens."""
    import random

    from ckpt_doctor.match.align import _convention_steps, _raw_tokens, _walk

    rng = random.Random(3)
    tokens = ["a", "b", "dense", "dense_1", "dense_2", "h0", "h", "0", "1", "weight", "kernel", "bias", "beta", "w",
              "g", "gamma", "LayerNorm", "layer_norm", "wte", "moving_mean", "running_mean", "x-y", "x_y", "", "blk3"]

    def name():
        seps = rng.choice(["/", ".", "/."])
        out = rng.choice(tokens)
        for _ in range(rng.randint(0, 4)):
            out += rng.choice(seps) + rng.choice(tokens)
        return out

    found = 0
    for msep in ("/", "."):
        walks: dict = {}  # shared across pairs, as in derive_rules
        for _ in range(5000):
            c, m = name(), name()
            if rng.random() < 0.5:  # names that share their tail, as renamed scopes do
                tail = name()
                c, m = c + rng.choice("/.") + tail, m + rng.choice("/.") + tail
            expected = _walk(_raw_tokens(c), _raw_tokens(m), True, msep)
            assert _convention_steps(c, m, msep, walks) == expected, (c, m, msep)
            found += bool(expected)
    assert found > 300  # the names do exercise the substitutions


def test_rule_files_of_another_format_or_a_later_version_are_refused(tmp_path):
    """(trial3 M2) a later version would be read with this version's meaning: refused, naming what it is."""
    for text, said in (('format: something-else\nversion: 1\nrules: []\n', "not a ckpt-doctor rule file"),
                       ('format: ckpt-doctor-rules\nversion: 2\nrules: []\n', "version 2 is not supported")):
        path = tmp_path / "r.yaml"
        path.write_text(text)
        with pytest.raises(RuleError, match=said):
            Rules.load(path)
    path.write_text("rules:\n  - prefix: {from: a/, to: b/}\n")  # both keys are optional
    assert len(Rules.load(path).rules) == 1
