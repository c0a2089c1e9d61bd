"""A tenth held-out part of alignment scenarios (``--part heldout10``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (nothing downloaded: all of it is in the venv; sources and licences in NOTICE): ``transformers`` 4.46's
PUBLISHED TF1 CONVERTERS ``load_tf_weights_in_nezha`` (Google BERT-style TF1 names: `bert/encoder/layer_0/attention/
self/query/kernel`, no position embeddings: NEZHA's relative positions) and the decision-transformer copy of
``load_tf_weights_in_gpt2`` (OpenAI GPT-2's TF1 names: `model/h0/attn/c_attn/w` [1, nx, 3nx], `model/h0/ln_1/g`),
run on TF1 checkpoints written by TF's own Saver with the names those converters read; transformers definitions of
NEZHA, Decision Transformer, OLMo, Starcoder2, Granite, SEW, MarkupLM, ViT-MSN and Splinter (none of them in the
Hugging Face sweep or an earlier part); ``keras.applications`` (Keras 3) and ``tf_keras.applications`` builders at
the depths of EfficientNetV2M, EfficientNetV2L, EfficientNetB5 and RegNetX006 (small widths, ``weights=None``).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converters above,
``from_pretrained``, Keras 3's legacy-HDF5 ``load_weights``) or by the scenario's construction (weights in order into
the same architecture, a removed block), and both sides are read back by the frameworks' readers. ``ambiguous_ok``
names the model variables nothing in the files can decide.

    python bench/scenarios/heldout10.py fetch               # nothing to download (the venv's packages)
    python bench/scenarios/heldout10.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout10.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout10        # score (once)
"""

from __future__ import annotations

import copy
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import heldout9 as h9  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout10"
_all, _rel, _loaded, _tf1_write = h9._all, h9._rel, h9._loaded, h9._tf1_write


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers' published TF1 converters: NEZHA (Google BERT-style names)
    _s("h10_nezha_tf1_adam_to_pretraining", "Google BERT-style TF1 checkpoint of NEZHA (no position embeddings: "
       "relative positions; `nezha/encoder/layer_0/attention/self/query/kernel` [in, out], LayerNorm gamma/beta, "
       "`cls/seq_relationship/output_weights`, `adam_m`/`adam_v` slots, global_step) -> NezhaForPreTraining (truth: "
       "load_tf_weights_in_nezha; the decoder tied)", "cross", "tf1"),
    _s("h10_nezha_tf1_tokcls_trap", "NEZHA TF1 checkpoint -> NezhaForTokenClassification with as many labels as "
       "hidden units: the new `classifier` [24, 24] has the shape of the unused `nezha/pooler/dense` and "
       "`cls/predictions/transform/dense` (must abstain on it; truth: the converter into the pre-training model, "
       "its `nezha` body the classifier's)", "cross", "tf1", "abstain"),
    _s("h10_nezha_tf1_to_seqcls", "NEZHA TF1 checkpoint -> NezhaForSequenceClassification (body and pooler; new "
       "`classifier` [3, 24]; truth: the converter into the pre-training model, its `nezha` the classifier's)",
       "cross", "tf1"),
    _s("h10_nezha_tf1_layer_removed", "NEZHA TF1 checkpoint with 4 layers -> NezhaForPreTraining with 3 (layer_1 "
       "dropped, later ones moved down; which layer went is in no file: must abstain on the encoder layers)",
       "cross", "tf1", "abstain"),
    # the decision transformer's copy of GPT-2's TF1 converter
    _s("h10_dt_gpt2_tf1_to_gpt2model", "OpenAI GPT-2 TF1 Saver checkpoint (`model/h0/attn/c_attn/w` [1, nx, 3nx], "
       "`model/h0/mlp/c_fc/b`, `ln_1/g`, `model/wte`, `model/wpe`; as OpenAI released it: no slots, no "
       "global_step) -> DecisionTransformerGPT2Model "
       "(`h.0.attn.c_attn.weight` [nx, 3nx]; truth: its load_tf_weights_in_gpt2)", "cross", "tf1"),
    _s("h10_dt_gpt2_tf1_to_dt", "OpenAI GPT-2 TF1 checkpoint -> DecisionTransformerModel (`encoder.` prefix; new "
       "`embed_timestep`, `embed_state`, `embed_ln` (shape of the used `ln_1/g`), `predict_action`; truth: the "
       "converter into DecisionTransformerGPT2Model, the model's `encoder`)", "cross", "tf1"),
    # keras.applications (Keras 3) and tf_keras.applications builders
    _s("h10_k3_effv2m_block_removed", "Keras 3 EfficientNetV2-M (its blocks, width 0.125) `.weights.h5` -> the "
       "model with stage 5 one block short (14 -> 13: block5g removed, block5h.. lettered down; which of the equal "
       "blocks went is in no file: must abstain on them)", "keras3", "abstain"),
    _s("h10_k3_effv2l_keras_new_head_trap", "Keras 3 EfficientNetV2-L (its blocks, width 0.125) `.keras` -> nested "
       "`backbone` (no top, avg pooling) + a new Dense `classifier` of the unused `predictions` shape (must abstain "
       "on the head)", "keras3", "abstain"),
    _s("h10_tfkeras_effb5_h5_to_k3", "tf_keras EfficientNet at efficientnet-b5's depth (2.2, width 0.25) legacy "
       "HDF5 -> the Keras 3 builder's same model (truth: Keras 3's load_weights of the legacy file)", "keras3",
       legacy=True),
    _s("h10_k3_effb5_head_autonum", "Keras 3 fine-tuning model (EfficientNet at b5's depth, width 0.25, + Dense 16 "
       "+ Dense 10) `.weights.h5` -> the same code run after three other Dense layers in the session (auto names "
       "shift; truth: construction by layer)", "keras3"),
    _s("h10_tfkeras_effv2m_adam_objects_to_k3", "tf_keras EfficientNetV2-M (its blocks, width 0.125) trained one "
       "step with Adam, tf.train.Checkpoint(model=, optimizer=) (`model/layer_with_weights-N/..`, `optimizer/..`) "
       "-> the Keras 3 builder's same model (truth: construction in order)", "keras3", "tf2", legacy=True),
    _s("h10_k3_effv2l_wh5_to_tfkeras", "Keras 3 EfficientNetV2-L (width 0.125) `.weights.h5` -> the tf_keras "
       "builder's same model (truth: construction in order)", "keras3", legacy=True),
    _s("h10_tfkeras_regnetx006_tfckpt_to_wrapped", "tf_keras RegNet at RegNetX006's depths (1/3/5/7, widths 8..64, "
       "group width 8) TF-format save_weights (object paths) -> a tf_keras fine-tuning model: the RegNet without "
       "top nested as a layer + a new Dense head of 5 classes (truth: construction in order)", "tf2",
       legacy=True),
    # transformers, PyTorch
    _s("h10_olmo_dp_to_causallm", "OlmoModel (non-parametric LayerNorm: no norm weights) saved from "
       "nn.DataParallel (`module.`) -> OlmoForCausalLM (`model.` prefix; untied lm_head new)"),
    _s("h10_starcoder2_sharded_to_base", "Starcoder2ForCausalLM sharded safetensors (index + shards, biased "
       "LayerNorms, `mlp.c_fc`) -> Starcoder2Model (base, no `model.` prefix; lm_head unused)"),
    _s("h10_granite_compiled_layer_removed", "GraniteForCausalLM saved from torch.compile (`_orig_mod.`) -> the "
       "model with 3 of its 4 layers (which one went is in no file: must abstain on them)", "abstain"),
    _s("h10_sew_dp_ctc_to_base", "SEWForCTC (squeezed context, conv feature encoder, weight-normed positional "
       "conv) saved from nn.DataParallel (`module.sew.`) -> SEWModel (base, CTC head unused)"),
    _s("h10_markuplm_tokcls_trap", "MarkupLMModel (xpath tag/subscript embeddings, pooler) safetensors -> "
       "MarkupLMForTokenClassification with as many labels as hidden units: the new `classifier` [24, 24] has the "
       "shape of the unused pooler (must abstain on it)", "abstain"),
    _s("h10_vitmsn_compiled_to_cls", "ViTMSNModel saved from torch.compile (`_orig_mod.`) -> "
       "ViTMSNForImageClassification (`vit.` prefix; new classifier)"),
    _s("h10_splinter_model_to_qa", "SplinterModel safetensors -> SplinterForQuestionAnswering (`splinter.` prefix; "
       "new QASS head `splinter_qass`)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# NEZHA: load_tf_weights_in_nezha

def _nezha_cfg(layers=2, **kw):
    from transformers import NezhaConfig

    return NezhaConfig(vocab_size=61, hidden_size=24, num_hidden_layers=layers, num_attention_heads=2,
                       intermediate_size=40, max_position_embeddings=32, max_relative_position=8, **kw)


def _nezha_loaded(d, layers=2, slots=()):
    from transformers import NezhaForPreTraining
    from transformers.models.deprecated.nezha.modeling_nezha import load_tf_weights_in_nezha

    model = NezhaForPreTraining(_nezha_cfg(layers))
    names = h9._bert_tf1_names(model, "nezha", "nezha")
    prefix = _tf1_write(d, {n: distinct("nezha|" + n, s) for n, s in names.items()}, slots)
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_nezha(model, model.config, prefix)  # the published converter: the truth
    _loaded(model, stored, [k for k, t in model.state_dict().items()
                            if t.dtype.is_floating_point and "relative_positions" not in k])
    return prefix, stored, model


def _nezha_values(model, d):
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))
    return _all(values, d)


def b_nezha_tf1_adam_to_pretraining(d):
    prefix, stored, model = _nezha_loaded(d, slots=("adam_m", "adam_v"))
    return [_rel(prefix, d)], stored, _nezha_values(model, d), []


def b_nezha_tf1_tokcls_trap(d):
    from transformers import NezhaForTokenClassification

    prefix, stored, pre = _nezha_loaded(d)
    model = NezhaForTokenClassification(_nezha_cfg(num_labels=24))
    fill_random_torch(model, "new")
    sd = {k: v for k, v in pre.nezha.state_dict().items() if not k.startswith("pooler.")}
    model.nezha.load_state_dict(sd, strict=False)  # the converter's body (no pooler in this class)
    values = _nezha_values(model, d)
    # the classifier [24, 24] is new, of the unused pooler's and cls transform's shape: new or which? no file says
    return [_rel(prefix, d)], stored, values, [n for n in values if n.startswith("classifier.")]


def b_nezha_tf1_to_seqcls(d):
    from transformers import NezhaForSequenceClassification

    prefix, stored, pre = _nezha_loaded(d)
    model = NezhaForSequenceClassification(_nezha_cfg(num_labels=3))
    fill_random_torch(model, "new")
    model.nezha.load_state_dict(pre.nezha.state_dict())
    return [_rel(prefix, d)], stored, _nezha_values(model, d), []


def b_nezha_tf1_layer_removed(d):
    from transformers import NezhaForPreTraining

    prefix, stored, src = _nezha_loaded(d, layers=4)
    tgt = NezhaForPreTraining(_nezha_cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "nezha.encoder.layer.", {0: 0, 1: 2, 2: 3})  # layer 1 dropped
    values = _nezha_values(tgt, d)
    return [_rel(prefix, d)], stored, values, [n for n in values if n.startswith("nezha.encoder.layer.")]


# ---------------------------------------------------------------------------------------------------------
# Decision Transformer: its copy of load_tf_weights_in_gpt2

def _dt_cfg():
    from transformers import DecisionTransformerConfig

    return DecisionTransformerConfig(state_dim=5, act_dim=3, hidden_size=24, max_ep_len=50, vocab_size=61,
                                     n_positions=48, n_layer=2, n_head=2, n_inner=40)


def _dt_loaded(d):
    from transformers.models.decision_transformer.modeling_decision_transformer import (
        DecisionTransformerGPT2Model,
        load_tf_weights_in_gpt2,
    )

    cfg = _dt_cfg()
    model = DecisionTransformerGPT2Model(cfg)
    nx, inner = cfg.hidden_size, cfg.n_inner
    a = {"model/wte": (cfg.vocab_size, nx), "model/wpe": (cfg.n_positions, nx),
         "model/ln_f/g": (nx,), "model/ln_f/b": (nx,)}
    for i in range(cfg.n_layer):  # OpenAI's names; conv1d weights [1, nx, nf] as the original TF code keeps them
        h = f"model/h{i}/"
        a.update({h + "ln_1/g": (nx,), h + "ln_1/b": (nx,), h + "attn/c_attn/w": (1, nx, 3 * nx),
                  h + "attn/c_attn/b": (3 * nx,), h + "attn/c_proj/w": (1, nx, nx), h + "attn/c_proj/b": (nx,),
                  h + "ln_2/g": (nx,), h + "ln_2/b": (nx,), h + "mlp/c_fc/w": (1, nx, inner),
                  h + "mlp/c_fc/b": (inner,), h + "mlp/c_proj/w": (1, inner, nx), h + "mlp/c_proj/b": (nx,)})
    prefix = _tf1_write(d, {n: distinct("gpt2|" + n, s) for n, s in a.items()}, step=False)
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_gpt2(model, cfg, prefix)  # the published converter: the truth
    squeezed = {k: v.squeeze() for k, v in stored.items()}
    _loaded(model, squeezed, [k for k, t in model.state_dict().items() if t.dtype.is_floating_point and
                              not k.endswith(".attn.bias") and "masked_bias" not in k])
    return prefix, stored, model


def b_dt_gpt2_tf1_to_gpt2model(d):
    prefix, stored, model = _dt_loaded(d)
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_dt_gpt2_tf1_to_dt(d):
    from transformers import DecisionTransformerModel

    prefix, stored, body = _dt_loaded(d)
    model = DecisionTransformerModel(_dt_cfg())
    fill_random_torch(model, "new")
    model.encoder.load_state_dict(body.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# keras.applications (Keras 3) and tf_keras.applications builders

def _effv2(K, variant, repeats=None, **kw):
    """Keras' EfficientNetV2 builder with ``variant``'s blocks at width 0.125 (``repeats``: {stage: n})."""
    if K.__name__ == "keras":
        from keras.src.applications import efficientnet_v2 as e

        kw["name"] = f"{variant}-w0125"
    else:
        from tf_keras.src.applications import efficientnet_v2 as e

        kw["model_name"] = f"{variant}-w0125"
    blocks = copy.deepcopy(e.DEFAULT_BLOCKS_ARGS[variant])
    for i, n in (repeats or {}).items():
        blocks[i]["num_repeat"] = n
    kw.setdefault("classes", 10)
    return e.EfficientNetV2(0.125, 1.0, 480, blocks_args=blocks, include_preprocessing=False, weights=None,
                            input_shape=(32, 32, 3), **kw)


def b_k3_effv2m_block_removed(d):
    import keras

    src = _effv2(keras, "efficientnetv2-m")
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetv2-m.weights.h5")
    src.save_weights(ck)
    tgt = _effv2(keras, "efficientnetv2-m", {4: 13})
    fill_random(h4._float(tgt.weights), "tgt")
    have = {la.name: la for la in src.layers if la.weights}
    for la in tgt.layers:  # construction: by layer name, block5g removed, 5h.. lettered down
        if la.weights:
            name = la.name
            if name.startswith("block5") and name[6] >= "g":
                name = f"block5{chr(ord(name[6]) + 1)}{name[7:]}"
            la.set_weights(have[name].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # stage 5's blocks b.. are equal (only 5a changes the filters): any 12 of 13 in order
    amb = tuple(f"block5{chr(c)}_" for c in range(ord("b"), ord("n")))
    return [ck], read_h5(ck), values, [n for n in values if any(p.startswith(amb) for p in n.split("/"))]


def b_k3_effv2l_keras_new_head_trap(d):
    import keras

    src = _effv2(keras, "efficientnetv2-l")
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetv2-l.keras")
    src.save(ck)
    base = _effv2(keras, "efficientnetv2-l", include_top=False, pooling="avg")
    inp = keras.Input((32, 32, 3))
    tgt = keras.Model(inp, keras.layers.Dense(10, name="classifier")(base(inp)))
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()[:len(base.weights)]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same body in order; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `classifier` is new, of the unused `predictions` shape: new or moved? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if "classifier" in n]


def b_tfkeras_effb5_h5_to_k3(d):
    import keras
    import tf_keras

    src = h9._eff(tf_keras, 0.25, 2.2, 456, "efficientnet_b5_w025")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "efficientnet_b5_w025.h5")
    src.save_weights(ck)
    tgt = h9._eff(keras, 0.25, 2.2, 456, "efficientnet_b5_w025")
    fill_random(h4._float(tgt.weights), "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _eff_head(keras):
    base = h9._eff(keras, 0.25, 2.2, 456, "efficientnet_b5_w025", include_top=False, pooling="avg")
    x = keras.layers.Dense(16, activation="relu")(base.output)
    return keras.Model(base.input, keras.layers.Dense(10)(x))


def b_k3_effb5_head_autonum(d):
    import keras

    src = _eff_head(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnet_b5_head.weights.h5")
    src.save_weights(ck)
    keras.layers.Dense(4), keras.layers.Dense(4), keras.layers.Dense(4)  # the head's auto names move on
    tgt = _eff_head(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    s = [la for la in src.layers if la.weights]
    t = [la for la in tgt.layers if la.weights]
    assert [la.name for la in t] != [la.name for la in s]
    for a, b in zip(t, s, strict=True):  # construction: layer by layer
        a.set_weights(b.get_weights())
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_tfkeras_effv2m_adam_objects_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    src = _effv2(tf_keras, "efficientnetv2-m")
    fill_random(src.weights, "src")
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (2, 32, 32, 3)), tf.constant([1, 7])
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, src(x, training=True)))
    opt.apply_gradients(zip(tape.gradient(loss, src.trainable_variables), src.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    tgt = _effv2(keras, "efficientnetv2-m")
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_k3_effv2l_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    src = _effv2(keras, "efficientnetv2-l")
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetv2-l.weights.h5")
    src.save_weights(ck)
    tgt = _effv2(tf_keras, "efficientnetv2-l")
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _regnet(**kw):
    from tf_keras.src.applications.regnet import RegNet

    return RegNet([1, 3, 5, 7], [8, 16, 32, 64], 8, "X", 224, model_name="regnetx006", weights=None,
                  include_preprocessing=False, input_shape=(32, 32, 3), **kw)


def b_tfkeras_regnetx006_tfckpt_to_wrapped(d):
    import tf_keras

    src = _regnet(classes=10)
    fill_random(src.weights, "src")
    prefix = os.path.join(d, "ckpt", "regnetx006")
    src.save_weights(prefix)  # TF format: object paths `layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`
    base = _regnet(include_top=False, pooling="avg")
    inp = tf_keras.Input((32, 32, 3))
    tgt = tf_keras.Model(inp, tf_keras.layers.Dense(5, name="head")(base(inp)))
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:len(base.weights)]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same body in order; the head is new
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# transformers, PyTorch

def b_olmo_dp_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import OlmoConfig, OlmoForCausalLM, OlmoModel

    src = OlmoModel(OlmoConfig(num_hidden_layers=2, tie_word_embeddings=False, **h4._kw()))
    hf = h4._hf(d, src, "olmo")
    ck = os.path.join(d, "ckpt", "olmo.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = OlmoForCausalLM.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_starcoder2_sharded_to_base(d):
    from transformers import Starcoder2Config, Starcoder2ForCausalLM, Starcoder2Model

    src = Starcoder2ForCausalLM(Starcoder2Config(num_hidden_layers=2, tie_word_embeddings=False, **h4._kw()))
    fill_random_torch(src, "starcoder2")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = Starcoder2Model.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def b_granite_compiled_layer_removed(d):
    import torch
    from transformers import GraniteConfig, GraniteForCausalLM

    src = GraniteForCausalLM(GraniteConfig(num_hidden_layers=4, tie_word_embeddings=False, **h4._kw()))
    fill_random_torch(src, "granite")
    ck = os.path.join(d, "ckpt", "granite.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = GraniteForCausalLM(GraniteConfig(num_hidden_layers=3, tie_word_embeddings=False, **h4._kw()))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.layers.", {0: 0, 1: 2, 2: 3})  # construction: layer 1 dropped
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("model.layers.")]


def b_sew_dp_ctc_to_base(d):
    import torch
    import torch.nn as nn
    from transformers import SEWConfig, SEWForCTC, SEWModel

    cfg = SEWConfig(vocab_size=12, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                    conv_dim=(8, 8, 8), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3), squeeze_factor=2,
                    num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    src = SEWForCTC(cfg)
    hf = h4._hf(d, src, "sew")
    ck = os.path.join(d, "ckpt", "sew_ctc.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = SEWModel.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_markuplm_tokcls_trap(d):
    from transformers import MarkupLMConfig, MarkupLMForTokenClassification, MarkupLMModel

    cfg = MarkupLMConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=40, max_depth=8,
                         max_xpath_tag_unit_embeddings=12, max_xpath_subs_unit_embeddings=16,
                         xpath_unit_hidden_size=8, num_labels=24)
    ck_dir = h4._hf(d, MarkupLMModel(cfg), "markuplm", "ckpt")
    model, info = MarkupLMForTokenClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # `classifier` [24, 24] is new, of the unused pooler's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


def b_vitmsn_compiled_to_cls(d):
    import torch
    from transformers import ViTMSNConfig, ViTMSNForImageClassification, ViTMSNModel

    cfg = ViTMSNConfig(image_size=16, patch_size=4, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=40, num_labels=3)
    src = ViTMSNModel(cfg)
    hf = h4._hf(d, src, "vitmsn")
    ck = os.path.join(d, "ckpt", "vitmsn.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    model, info = ViTMSNForImageClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_splinter_model_to_qa(d):
    from transformers import SplinterConfig, SplinterForQuestionAnswering, SplinterModel

    cfg = SplinterConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=32)
    ck_dir = h4._hf(d, SplinterModel(cfg), "splinter", "ckpt")
    model, info = SplinterForQuestionAnswering.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout9's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    print("heldout10: nothing to fetch (transformers, keras and tf_keras of the venv)")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
