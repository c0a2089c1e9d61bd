"""Attention split into heads (Keras 3 ``MultiHeadAttention`` / ``EinsumDense``, keras-hub's backbones) against
PyTorch's flat projections, in blocks whose names share no word (``block_0/attention/query`` /
``layers.0.attn.q_proj``).

The frameworks are the oracle (tests/heads_oracle.py, one subprocess): Keras 3 writes the model's values, the PyTorch
layout is checked by computation (the PyTorch model, filled by the printed fix, computes what the Keras model
computes), the printed fixes are executed verbatim in both directions and ``align --rewrite`` writes a ``.weights.h5``
that Keras' own ``load_weights`` takes. In this process: the composed transforms of the one vocabulary
(``transpose+reshape(6,2,4)``) in rule files and ``apply_rules`` against the values Keras wrote, and synthetic
inputs where the files cannot decide (two norms of one block, a removed block, a kernel two layouts fit). And a
classifier written as a 1x1 convolution against a dense one, by a rule file (not inferred)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.match.names import transform_for
from ckpt_doctor.match.rules import RuleError, Rules, apply_rules, apply_transform, check_op, transformed_meta
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("heads")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONHASHSEED": "0"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run([sys.executable, str(HERE / "heads_oracle.py"), str(out)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"heads oracle failed:\n{proc.stderr[-3000:]}"
    return out, json.loads((out / "heads.json").read_text())


def test_printed_keras_fix_fills_split_heads_from_pytorch_projections(oracle):
    r = oracle[1]["torch-to-keras-fix"]
    assert not r["problems"], r["problems"] + [r["code"]]
    pairs = r["pairs"]
    assert len(pairs) == 34  # every variable, the two blocks' and the final norm's
    assert pairs["block_0/attention/query/kernel"] == ["layers.0.attn.q_proj.weight", "transpose+reshape(6,2,4)"]
    assert pairs["block_1/attention/attention_output/kernel"] == ["layers.1.attn.o_proj.weight",
                                                                  "transpose+reshape(2,4,6)"]
    assert pairs["block_0/attention/key/bias"] == ["layers.0.attn.k_proj.bias", "reshape(2,4)"]
    # Gemma's [heads, in, head] kernel: split the rows, then move the input axis
    assert pairs["block_0/gemma_query/kernel"] == ["layers.0.hq_proj.weight", "reshape(2,3,6)+permute(0,2,1)"]
    assert ".transpose(1, 0).reshape((6, 2, 4))" in r["code"]


def test_rewritten_weights_h5_from_pytorch_loads_with_keras_load_weights(oracle):
    r = oracle[1]["torch-to-keras-rewrite"]
    assert not r["problems"], r["problems"] + [r["output"]]


def test_printed_pytorch_fix_from_keras3_weights_h5_computes_what_keras_computes(oracle):
    r = oracle[1]["keras-to-torch-fix"]  # values bit-equal, and the same outputs on the same input
    assert not r["problems"], r["problems"] + [r["code"]]
    assert r["pairs"]["layers.0.attn.q_proj.weight"] == ["layers/block/attention/query_dense/vars/0",
                                                         "permute(1,2,0)+reshape(8,6)"]
    assert r["pairs"]["layers.1.attn.o_proj.weight"] == ["layers/block_1/attention/output_dense/vars/0",
                                                         "permute(2,0,1)+reshape(6,8)"]
    assert ".permute(1, 2, 0).reshape((8, 6)).contiguous()" in r["code"]


def test_printed_keras_fix_flattens_flax_split_kernels_as_vit_keras_does(oracle):
    r = oracle[1]["flax-to-keras-fix"]  # values as the converter reshapes them, and MultiHeadAttention's outputs
    assert not r["problems"], r["problems"] + [r["code"]]
    assert r["pairs"]["query/kernel"] == ["query/kernel", "reshape(6,8)"]
    assert r["pairs"]["out/kernel"] == ["out/kernel", "reshape(8,6)"]
    assert r["pairs"]["value/bias"] == ["value/bias", "reshape(8)"]


def test_a_1x1_conv_classifier_and_a_linear_one_by_a_rule_file_not_by_inference(oracle, tmp_path):
    # the same vocabulary says it (drop the unit axes, then transpose); inference does not propose it: a Linear
    # classifier and a segmentation head's 1x1 conv classifier are other heads that share a name (HF sweep, SegFormer)
    out, results = oracle
    assert not results["pointwise"]["problems"], results["pointwise"]
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - rename: {from: layers/conv2d/vars/0, to: fc.weight}\n"
                     "  - rename: {from: layers/conv2d/vars/1, to: fc.bias}\n"
                     "  - transform: {match: vars/0$, op: 'reshape(6,10)+transpose', rank: 4}\n")
    view = apply_rules(ckpt_doctor.open_checkpoint(str(out / "pointwise.weights.h5")), Rules.load(rules))
    torch_values = ckpt_doctor.open_checkpoint(str(out / "pointwise.safetensors"))
    for name in ("fc.weight", "fc.bias"):
        assert np.array_equal(view[name].read(), torch_values[name].read()), name
    assert not transform_for("kernel", "weight", (1, 1, 6, 10), (10, 6))[0]


def test_rule_file_with_a_composed_transform_reads_what_keras_wrote(oracle, tmp_path):
    out, _ = oracle
    keras = dict(np.load(out / "keras_values.npz"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n"
                     "  - rename: {from: layers.1.attn.v_proj.weight, to: block_1/attention/value/kernel}\n"
                     "  - rename: {from: layers.0.hq_proj.weight, to: block_0/gemma_query/kernel}\n"
                     "  - rename: {from: layers.0.attn.q_proj.bias, to: block_0/attention/query/bias}\n"
                     "  - transform: {match: v_proj.weight$, op: 'transpose+reshape(6,2,4)'}\n"
                     "  - transform: {match: hq_proj.weight$, op: 'reshape(2,3,6)+permute(0,2,1)', rank: 2}\n"
                     "  - transform: {match: 'attn[.]q_proj[.]bias$', op: 'reshape(2,4)'}\n")
    view = apply_rules(ckpt_doctor.open_checkpoint(str(out / "model.safetensors")), Rules.load(rules))
    for name in ("block_1/attention/value/kernel", "block_0/gemma_query/kernel", "block_0/attention/query/bias"):
        assert view[name].shape == keras[name].shape
        assert np.array_equal(view[name].read(), keras[name]), name
    back = Rules.load(rules).to_yaml()  # written back as it was read
    assert "op: \"transpose+reshape(6,2,4)\"" in back and Rules.from_dict(
        {"rules": [r.to_dict() for r in Rules.load(rules)]}).rules == Rules.load(rules).rules


def test_composed_transforms_are_checked_step_by_step():
    check_op("transpose+reshape(6,2,4)")
    check_op("reshape(2,3,6)+permute(0,2,1)+cast(float16)")
    for bad in ("transpose++reshape(2)", "transpose+", "+transpose", "transpose+rotate(1)",
                "reshape(2,3)+permute(0,0)"):
        with pytest.raises(ValueError):
            check_op(bad)
    with pytest.raises(RuleError):
        Rules.from_dict({"rules": [{"transform": {"match": "x", "op": "transpose+nonsense"}}]})
    info = TensorInfo("w", "float32", (8, 6), 192)
    assert transformed_meta("transpose+reshape(6,2,4)", info) == ((6, 2, 4), "float32")
    assert transformed_meta("transpose+reshape(6,2,4)+cast(float16)", info) == ((6, 2, 4), "float16")
    with pytest.raises(RuleError, match="does not fit"):
        transformed_meta("transpose+reshape(5,2,4)", info)
    v = np.arange(48, dtype="float32").reshape(8, 6)
    assert np.array_equal(apply_transform("transpose+reshape(6,2,4)", v), v.T.reshape(6, 2, 4))


def test_heads_layouts_by_role_and_shape_never_a_guess():
    from ckpt_doctor.match.names import heads_layout

    # [in, heads, head], [heads, head, out], [heads, in, head]; both directions
    assert transform_for("weight", "kernel", (8, 6), (6, 2, 4)) == (True, "transpose+reshape(6,2,4)")
    assert transform_for("kernel", "weight", (2, 4, 6), (6, 8)) == (True, "permute(2,0,1)+reshape(6,8)")
    assert transform_for("weight", "kernel", (6, 6), (2, 6, 3)) == (True, "reshape(2,3,6)+permute(0,2,1)")
    assert transform_for(None, None, (8,), (2, 4)) == (True, "reshape(2,4)")
    # two layouts fit [4, 4, 2] against [8, 4] and place the values differently: none is chosen
    assert heads_layout("kernel", "weight", (4, 4, 2), (8, 4)) == (False, None)
    # a single head: the layouts that fit place every value alike
    assert heads_layout("kernel", "weight", (6, 1, 4), (4, 6))[0]
    # roles decide, not shapes: a scale is no kernel, and a bias is no split weight
    assert not transform_for("scale", "kernel", (8, 6), (6, 2, 4))[0]
    assert not transform_for(None, "weight", (2, 4, 6), (6, 8))[0]
    assert not transform_for(None, None, (8,), (8, 1))[1] == "reshape(2,4)"
    assert not transform_for("weight", "kernel", (8, 6), (6, 3, 4))[0]  # other sizes
    # a depthwise kernel [k, C, 1] is no projection with heads of one value (HF sweep: ConvBERT's new classifier)
    assert not transform_for("kernel", "weight", (3, 32, 1), (3, 32))[0]
    # one head for all (multi-query attention: Gemma's key and value)
    assert transform_for("kernel", "weight", (1, 6, 8), (8, 6)) == (True, "permute(2,0,1)+reshape(8,6)")


# -- synthetic blocks: what the files cannot decide stays undecided --------------------------------------------

def _align(ckpt: list, model: list):
    catalog = Catalog("<synthetic>", "safetensors", {n: TensorInfo(n, "float32", tuple(s), 4) for n, s in ckpt})
    spec = ModelSpec([VariableSpec(n, tuple(s), "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework="tf2", source="<synthetic>")
    return ckpt_doctor.align(catalog, spec)


def _llama_like(blocks: int, hf: bool) -> list:
    out = []
    for n in range(blocks):
        if hf:
            p = f"model.layers.{n}."
            out += [(p + "self_attn.q_proj.weight", (8, 6)), (p + "self_attn.k_proj.weight", (4, 6)),
                    (p + "self_attn.v_proj.weight", (4, 6)), (p + "self_attn.o_proj.weight", (6, 8)),
                    (p + "mlp.gate_proj.weight", (10, 6)), (p + "mlp.up_proj.weight", (10, 6)),
                    (p + "mlp.down_proj.weight", (6, 10)), (p + "input_layernorm.weight", (6,)),
                    (p + "post_attention_layernorm.weight", (6,))]
        else:
            p = f"transformer_layer_{n}/"
            out += [(p + "self_attention_layernorm/scale", (6,)), (p + "self_attention/query/kernel", (6, 2, 4)),
                    (p + "self_attention/key/kernel", (6, 1, 4)), (p + "self_attention/value/kernel", (6, 1, 4)),
                    (p + "self_attention/attention_output/kernel", (2, 4, 6)),
                    (p + "feedforward_intermediate_dense/kernel", (6, 10)),
                    (p + "feedforward_gate_dense/kernel", (6, 10)), (p + "feedforward_output_dense/kernel", (10, 6)),
                    (p + "feedforward_layernorm/scale", (6,))]
    return out


TRUTH = {"self_attention/query/kernel": "self_attn.q_proj", "self_attention/key/kernel": "self_attn.k_proj",
         "self_attention/value/kernel": "self_attn.v_proj",
         "self_attention/attention_output/kernel": "self_attn.o_proj",
         "feedforward_intermediate_dense/kernel": "mlp.up_proj", "feedforward_gate_dense/kernel": "mlp.gate_proj",
         "feedforward_output_dense/kernel": "mlp.down_proj", "self_attention_layernorm/scale": "input_layernorm",
         "feedforward_layernorm/scale": "post_attention_layernorm"}


def _true(model: str, removed: int | None = None) -> str:
    block, rest = model.split("/", 1)
    n = int(block.rsplit("_", 1)[1])
    n += removed is not None and n >= removed
    return f"model.layers.{n}.{TRUTH[rest]}.weight"


def test_blocks_pair_by_signature_and_own_names_but_not_two_norms_sharing_a_word():
    a = _align(_llama_like(3, hf=True), _llama_like(3, hf=False))
    got = {p.model: p.checkpoint for p in a.pairs}
    assert all(c == _true(m) for m, c in got.items()), [(m, c) for m, c in got.items() if c != _true(m)]
    # q, o, down by their fit alone; k/v by initials, gate by its word and up as the one left; the norms by their
    # role in the block (`names.SUBLAYER_ROLES`): `post_attention_layernorm` shares `attention` with
    # `self_attention_layernorm`, but is the other norm, the feed-forward part's
    assert len(got) == 3 * 9
    assert not a.ambiguous


def test_a_removed_block_pairs_no_block():
    a = _align(_llama_like(3, hf=True), _llama_like(2, hf=False))
    assert all(c == _true(m, removed=1) for m, c in ((p.model, p.checkpoint) for p in a.pairs)) or not a.pairs
    assert not [p for p in a.pairs if "transformer_layer" in p.model]


def test_keras3_layer_names_repeated_in_every_block_do_not_name_entries():
    # a Keras 3 file records each layer's own name beside its path; keras-hub's blocks repeat theirs (`key/vars/0`
    # in every block), so those cannot name the entries, though they would explain more model names (`final_norm`)
    ckpt, model, truth = [], [], {}
    for n, suffix in enumerate(("", "_1")):
        for role, short in (("query", "q"), ("key", "k"), ("value", "v")):
            key = f"layers/block{suffix}/attention/{role}_dense/vars/0"
            ckpt.append((key, (6, 2, 4), f"{role}/vars/0"))
            model.append((f"layers.{n}.attn.{short}_proj.weight", (8, 6)))
            truth[model[-1][0]] = key
        ckpt.append((f"layers/block{suffix}/ffn/vars/0", (6, 10), "ffn/vars/0"))
        model.append((f"layers.{n}.fc.weight", (10, 6)))
        truth[model[-1][0]] = ckpt[-1][0]
    ckpt.append(("layers/layer_normalization/vars/0", (6,), "final_norm/vars/0"))
    model.append(("final_norm.weight", (6,)))
    catalog = Catalog("<synthetic>", "keras3-weights", {n: TensorInfo(n, "float32", s, 4, full_name=f, written=i)
                                                        for i, (n, s, f) in enumerate(ckpt)})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework="torch", source="<synthetic>")
    a = ckpt_doctor.align(catalog, spec)  # the rules derived from the pairs must reproduce them
    assert not [p for p in a.pairs if truth.get(p.model) != p.checkpoint]
    assert len(a.pairs) >= 8 and a.rules is not None
