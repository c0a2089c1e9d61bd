"""The rules align reports are the rules the inference applied (issue 9, item 1): each stage records the
explanations it applied as typed records (``infer.Hypothesis``, each pair a ``Proof``), and ``align`` spells those in
the user's names instead of looking for rules in the pairs again. Leaf conventions (``gamma`` -> ``weight``) are
rules about leaves: a scope that happens to carry such a word keeps its name."""

from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.match.align import align
from ckpt_doctor.match.infer import Hypothesis, Proof, infer
from ckpt_doctor.match.rules import Prefix, Regex, Rename, Renumber
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _sides(ckpt: list, model: list, framework: str = "tf1"):
    catalog = Catalog("<synthetic>", "tf-v2", {n: TensorInfo(n, "float32", tuple(s), 4) for n, s in ckpt})
    spec = ModelSpec([VariableSpec(n, tuple(s), "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework=framework, source="<synthetic>")
    return catalog, spec


def _dense(k: int) -> str:
    return "dense" if k == 0 else f"dense_{k}"


def _scoped_and_shifted():
    """``old/`` renamed to ``new/`` and a layer inserted before ``dense_3``: every later auto-number moves by one."""
    ckpt, model = [], []
    for k in range(6):
        shape = (k + 2, k + 3)
        ckpt += [(f"old/{_dense(k)}/kernel", shape), (f"old/{_dense(k)}/bias", shape[1:])]
        new = k if k < 3 else k + 1
        model += [(f"new/{_dense(new)}/kernel", shape), (f"new/{_dense(new)}/bias", shape[1:])]
    model += [("new/dense_3/kernel", (9, 9)), ("new/dense_3/bias", (9,))]
    return _sides(ckpt, model)


def test_pairs_are_typed_proofs_pointing_to_the_hypothesis_applied():
    _, state, _, _ = infer(*_scoped_and_shifted())
    proofs = list(state.pairs.values())
    assert proofs and all(isinstance(p, Proof) for p in proofs)
    kinds = {h.rule[0] for h in state.hypotheses}
    assert kinds == {"scope", "renumber"} and all(isinstance(h, Hypothesis) for h in state.hypotheses)
    for h in state.hypotheses:  # every record knows its proofs, and every proof its record
        assert h.proofs and all(p.hypothesis is h and state.pairs[key] is p for key, p in h.proofs.items())
    scope = next(h for h in state.hypotheses if h.rule[0] == "scope")
    assert scope.rule == ("scope", ("old",), ("new",)) and scope.support == len(scope.proofs) == 6


def test_reported_rules_are_the_applied_ones_in_the_users_spelling():
    a = align(*_scoped_and_shifted())
    assert not a.ambiguous and len(a.pairs) == 12 and a.missing == ["new/dense_3/kernel", "new/dense_3/bias"]
    assert list(a.rules) == [Prefix("old/", "new/"), Renumber("dense_{n}", 3, 1)]
    assert a.sentences == ["scope `old/` was renamed to `new/` (6 variables)",
                           "1 `dense` layer was inserted before `dense_3`: every later number shifted by 1 "
                           "(6 variables); new in the model: `new/dense_3/kernel`, `new/dense_3/bias`"]
    for p in a.pairs:  # and they reproduce every pair
        assert a.rules.rename(a.checkpoint_names[p.checkpoint]) == p.model


def test_leaf_conventions_leave_scopes_of_the_same_word_alone():
    # Hugging Face TF BERT names -> PyTorch: `embeddings` is a leaf word (-> `weight`) and a scope (kept)
    ckpt = [("bert/embeddings/word_embeddings/embeddings", (30, 8)), ("bert/embeddings/LayerNorm/gamma", (8,)),
            ("bert/embeddings/LayerNorm/beta", (8,)), ("bert/pooler/dense/kernel", (8, 8)),
            ("bert/pooler/dense/bias", (8,))]
    model = [("bert.embeddings.word_embeddings.weight", (30, 8)), ("bert.embeddings.LayerNorm.weight", (8,)),
             ("bert.embeddings.LayerNorm.bias", (8,)), ("bert.pooler.dense.weight", (8, 8)),
             ("bert.pooler.dense.bias", (8,))]
    a = align(*_sides(ckpt, model, "torch"))
    assert len(a.pairs) == 5 and not a.ambiguous
    assert not [r for r in a.rules if isinstance(r, Rename)]  # conventions alone say it
    assert all(r.pattern.endswith("$") for r in a.rules if isinstance(r, Regex) and "embeddings" in r.pattern)
    for p in a.pairs:
        assert a.rules.rename(a.checkpoint_names[p.checkpoint]) == p.model


def test_a_leaf_word_kept_by_most_layers_is_no_global_rule():
    # PyTorch BERT -> TF1 BERT: dense biases keep `bias`, LayerNorm biases become `beta`: renaming every `bias`
    # would be wrong for most; the few LayerNorm ones are renamed one by one
    ckpt, model = [], []
    for i in range(3):
        for layer in ("query", "key", "value"):
            ckpt += [(f"bert.layer.{i}.{layer}.weight", (8, 8)), (f"bert.layer.{i}.{layer}.bias", (8,))]
            model += [(f"bert/layer_{i}/{layer}/kernel", (8, 8)), (f"bert/layer_{i}/{layer}/bias", (8,))]
        ckpt += [(f"bert.layer.{i}.LayerNorm.weight", (8,)), (f"bert.layer.{i}.LayerNorm.bias", (8,))]
        model += [(f"bert/layer_{i}/LayerNorm/gamma", (8,)), (f"bert/layer_{i}/LayerNorm/beta", (8,))]
    catalog, spec = _sides(ckpt, model)
    a = align(catalog, spec)
    assert len(a.pairs) == len(model) and not a.ambiguous
    assert not any(isinstance(r, Regex) and r.pattern.startswith("(?<![^/])bias") for r in a.rules)
    renamed = {r.old for r in a.rules if isinstance(r, Rename)}
    assert {f"bert.layer.{i}.LayerNorm.bias" for i in range(3)} <= renamed
    assert not any(n.endswith(("query.bias", "key.bias", "value.bias")) for n in renamed)
    for p in a.pairs:
        assert a.rules.rename(a.checkpoint_names[p.checkpoint]) == p.model


def test_a_loaders_own_prefix_is_read_as_a_scope_so_numbered_layers_stay_one_family():
    # transformers adds the base-model prefix itself (`encoder.layer.2` loads into `roberta.encoder.layer.2`);
    # a checkpoint layer left over among equal ones (layer 1 of 3 removed, the rest renumbered, or the last one
    # removed: no file says which) puts every pair by number in doubt, as without the prefix
    ckpt = [(f"encoder.layer.{i}.dense.{v}", (4, 4) if v == "weight" else (4,)) for i in range(3)
            for v in ("weight", "bias")] + [("embeddings.word_embeddings.weight", (10, 4))]
    model = [("roberta.embeddings.word_embeddings.weight", (10, 4))] + \
        [(f"roberta.encoder.layer.{i}.dense.{v}", (4, 4) if v == "weight" else (4,)) for i in range(2)
         for v in ("weight", "bias")]
    catalog, _ = _sides(ckpt, [])
    catalog = Catalog("<synthetic>", "safetensors", dict(catalog.items()))
    spec = ModelSpec([VariableSpec(n, tuple(s), "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework="torch", source="<synthetic>", loader="hf", base_model_prefix="roberta")
    a = align(catalog, spec)
    assert [p.model for p in a.pairs] == ["roberta.embeddings.word_embeddings.weight"]
    assert {x.model for x in a.ambiguous} == {m for m, _ in model[1:]}
    _, state, _, _ = infer(catalog, spec)
    assert [h.rule for h in state.hypotheses] == [("scope", (), ("roberta",))]


def test_a_keras3_path_load_into_a_layer_of_another_name_is_the_new_head_question():
    # Keras 3 loads `.weights.h5` by path: `layers/dense` (saved from `predictions`) goes into a new `head` of the
    # same shape, while the other layers keep the names the file saved: renamed, or a new layer? (never a pair)
    saved = [("conv2d", "stem", (3, 3, 1, 4)), ("conv2d_1", "block_conv", (3, 3, 4, 4)),
             ("dense", "predictions", (4, 2))]
    tensors = {f"layers/{p}/vars/0": TensorInfo(f"layers/{p}/vars/0", "float32", s, 4, full_name=f"{n}/vars/0")
               for p, n, s in saved}
    catalog = Catalog("<synthetic>", "keras3-weights", tensors)
    model = [("stem/kernel", "conv2d", (3, 3, 1, 4)), ("block_conv/kernel", "conv2d_1", (3, 3, 4, 4)),
             ("head/kernel", "dense", (4, 2))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i, keys={"keras3": f"layers/{p}/vars/0"})
                      for i, (n, p, s) in enumerate(model)], framework="tf2", source="<synthetic>", loader="keras3")
    a = align(catalog, spec)
    assert {p.model for p in a.pairs} == {"stem/kernel", "block_conv/kernel"}
    assert [(x.model, x.candidates) for x in a.ambiguous] == [("head/kernel", ["layers/dense/vars/0"])]
    assert "renamed, or replaced by a new layer?" in a.ambiguous[0].reason


def test_a_sequentials_gap_is_not_called_an_inserted_layer(tmp_path):
    # held-out 14 (a TF1 ranker into a torch nn.Sequential(Linear, ReLU, Linear)): `mlp_1` is `mlp.2`, and align
    # said "1 `mlp` layer was inserted before `mlp.1`", though nothing with weights was (the ReLU is `mlp.1`)
    import json

    import numpy as np

    import ckpt_doctor

    np.savez(tmp_path / "r.npz", **{"mlp_0/kernel": np.ones((8, 16), "float32"), "mlp_0/bias": np.ones(16, "float32"),
                                    "mlp_1/kernel": np.ones((16, 4), "float32"), "mlp_1/bias": np.ones(4, "float32")})
    (tmp_path / "spec.json").write_text(json.dumps(
        {"format": "ckpt-doctor-model-spec", "version": 1, "framework": "torch",
         "variables": [{"name": n, "shape": s, "dtype": "float32"} for n, s in (
             ("mlp.0.weight", [16, 8]), ("mlp.0.bias", [16]), ("mlp.2.weight", [4, 16]), ("mlp.2.bias", [4]))]}))
    a = ckpt_doctor.align(str(tmp_path / "r.npz"), str(tmp_path / "spec.json"))
    assert {p.model: p.checkpoint for p in a.pairs}["mlp.2.weight"] == "mlp_1/kernel"
    said = " ".join(a.sentences)
    assert "inserted" not in said and "`mlp.1` and later of the checkpoint are `mlp.2` and later" in said, said
