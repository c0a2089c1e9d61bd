"""Two wrong-pair classes of held-out parts 49 and 50 at their one scoring (tokenlearner-pytorch, transformers' AST);
the names, shapes and orders are the real files' and models'.

- A Keras 3 `.weights.h5` of two equal nested twins (`layers/functional/...`, `layers/functional_1/...`: one
  auto-numbered family that holds the whole file) into one PyTorch net: the layer order took the second twin's head.
  Its namesake in the first twin fits as well and is free: which twin, no order proves (ambiguous, both listed).
- A learned token (AST's `cls_token`, `distillation_token`: [1, 1, C]) reshapes to a norm's [C] scale and shift, and
  order put the two tokens on a LayerNorm of a Keras 3 twin: a token is no norm's scale or shift."""

from recorded import align_recorded


def test_two_equal_nested_keras3_twins_into_one_model_are_ambiguous():
    a = align_recorded("tokenlearner_dual_k3.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    assert "head.weight" not in got
    assert sorted(amb["head.weight"]) == ["layers/functional/layers/dense_2/vars/0",
                                          "layers/functional_1/layers/dense_2/vars/0"]


def test_a_learned_token_is_no_norms_scale():
    got = {p.model: p.checkpoint for p in align_recorded("ast_torch_to_k3.json").pairs}
    assert not [m for m, c in got.items() if "token" in c]
    assert got["head/kernel"] == "classifier.dense.weight"
