"""A twelfth held-out part of alignment scenarios (``--part heldout12``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of loralib into $CKPT_DOCTOR_MATERIAL12, default /work/coord/material-heldout12;
the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): ``transformers`` 4.46's
PUBLISHED TF1 CONVERTERS ``load_tf_weights_in_xlnet`` (the original XLNet names: `model/transformer/layer_0/rel_attn/
q/kernel` [d, heads, head_dim], per-layer relative biases stacked in `model/transformer/r_w_bias` [L, heads,
head_dim], `Adam`/`Adam_1` slots) and ``load_tf_weights_in_funnel`` (`model/encoder/layer_0/rel_attn/o/kernel`
[heads, head_dim, d] reshaped and transposed, `model/input/word_embedding/lookup_table`), run on TF1 checkpoints
written by TF's own Saver with the names they read, and ``load_tf_weights_in_convbert`` (ELECTRA's `electra/` scope,
separable-conv kernels `conv_attn_key/depthwise_kernel` [k, C, 1]); ``loralib`` 0.1.2 (Microsoft's LoRA layers, which
keep the plain names and add `lora_A`/`lora_B`, except ``loralib.Conv2d``: `features.0.conv.weight`; its recipe
``load_state_dict(strict=False)``); ``peft`` 0.13 (LoRA adapters: `base_layer`, `lora_A.default`,
`modules_to_save.default`; its ``get_peft_model`` and ``merge_and_unload`` are the truth); transformers definitions
of XLNet, Funnel, ConvBERT, XLM-RoBERTa, CamemBERT, XGLM, HuBERT, Mixtral, MobileViT and SegFormer (none of them in an
earlier part); ``keras.applications`` (Keras 3) and ``tf_keras.applications`` MobileNet at alpha 0.75 and
MobileNetV2 at alphas 0.75 and 1.3; and models written for this part in plain TF1 (``tf.compat.v1.variable_scope``
with ``AUTO_REUSE``: a siamese tower called twice), TF2 (``tf.Module`` object graphs with lists and dicts) and
Keras 3 (sub-classed models whose layers are created in another order than they are called, a language model whose
output projection reuses its embedding).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converters above,
``from_pretrained`` with ``from_pt``/``from_tf``, peft) or by the scenario's construction (weights in order into the
same architecture, a removed block or expert, a twin in another framework layer by layer), and both sides are read
back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout12.py fetch               # pip download + unpack loralib
    python bench/scenarios/heldout12.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout12.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout12        # score (once)
"""

from __future__ import annotations

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout11 as h11  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout12"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL12", "/work/coord/material-heldout12")
PACKAGES = ["loralib==0.1.2"]
_all, _rel, _loaded, _tf1_write, _put_t = h9._all, h9._rel, h9._loaded, h9._tf1_write, h9._put_t
_in_order, _put_module = h11._in_order, h11._put_module


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers' published TF1 converters: XLNet and Funnel (their original TF names)
    _s("h12_xlnet_tf1_adam_to_lmhead", "original-XLNet TF1 Saver checkpoint (`model/transformer/layer_0/rel_attn/q/"
       "kernel` [d, heads, head_dim], `ff/layer_1/kernel`, `rel_attn/LayerNorm/gamma`, `mask_emb/mask_emb`, "
       "per-layer biases stacked in `model/transformer/r_w_bias` [L, ..], `model/lm_loss/bias`, `Adam`/`Adam_1` "
       "slots, global_step) -> XLNetLMHeadModel (truth: load_tf_weights_in_xlnet; the per-layer slices of the "
       "stacked biases are not scored; `lm_loss.weight` tied)", "cross", "tf1"),
    _s("h12_xlnet_tf1_layer_removed", "XLNet TF1 checkpoint with 4 layers -> XLNetLMHeadModel with 3 (layer_1 "
       "dropped, later ones moved down; which of the equal layers went is in no file: must abstain on them)",
       "cross", "tf1", "abstain"),
    _s("h12_funnel_tf1_to_seqcls", "original-Funnel TF1 checkpoint (`model/input/word_embedding/lookup_table`, "
       "`model/encoder/layer_2/rel_attn/q/kernel` [d, heads, head_dim], `o/kernel` [heads, head_dim, d], `k/bias` "
       "[heads, head_dim], `r_w_bias`, `seg_embed`, `ff/layer_1/kernel`, adam slots) -> "
       "FunnelForSequenceClassification (truth: load_tf_weights_in_funnel into FunnelBaseModel, its weights the "
       "classifier's `funnel`; new `classifier`)", "cross", "tf1"),
    _s("h12_xlnet_tf1_80l_to_base", "XLNet TF1 checkpoint with 80 layers (1,000+ tensors, 3,000+ with the Adam "
       "slots) -> XLNetModel (no `transformer.` scope; `model/lm_loss/bias` unused; truth: "
       "load_tf_weights_in_xlnet into the LM, its `transformer` the base model)", "cross", "tf1"),
    _s("h12_convbert_tf1_to_tokcls", "original-ConvBERT TF1 checkpoint (ELECTRA's scope `electra/encoder/layer_0/"
       "attention/self/conv_attn_key/depthwise_kernel` [k, C, 1], `pointwise_kernel` [1, C, out], "
       "`conv_attn_kernel`, `conv_attn_point`, `embeddings_project`, adam slots) -> ConvBertForTokenClassification "
       "(truth: load_tf_weights_in_convbert into ConvBertModel, its weights the classifier's `convbert`; new "
       "`classifier`)", "cross", "tf1"),
    # plain TF1 graphs and TF2 object graphs written for this part
    _s("h12_tf1_siamese_reuse_to_torch", "TF1 siamese net: one tower under `siamese/tower` called on two inputs "
       "with variable_scope(reuse=AUTO_REUSE) (`siamese/tower/conv2/weights` HWIO, `bn2/moving_variance`, "
       "`siamese/match/fc/weights`), AdamOptimizer slots, Saver -> a PyTorch twin that registers `head` before "
       "`encoder` (`encoder.2.weight` OIHW, `head.weight` [1, 16]; truth: construction)", "cross", "tf1"),
    _s("h12_tf1_two_towers_to_one", "TF1 dual encoder (`query_tower/dense_0/kernel` and `doc_tower/dense_0/kernel`, "
       "the same shapes, not shared) -> a Keras 3 single `encoder` (its weights are the query tower's: which tower "
       "it took is in no file: must abstain)", "tf1", "keras3", "abstain"),
    _s("h12_tf2_module_graph_to_torch", "TF2 tf.Module net (a list of blocks, a dict of heads `heads/cls`, "
       "`heads/box`, an embedding) saved with tf.train.Checkpoint(net=, step=) (`net/blocks/1/w/.ATTRIBUTES/"
       "VARIABLE_VALUE`) -> a PyTorch twin (`trunk.1.weight` [out, in], `cls_head`, `box_head`; truth: "
       "construction)", "cross", "tf2"),
    _s("h12_tf2_k3_subclassed_to_wrapper", "Keras 3 sub-classed model whose layers are created head first and "
       "blocks in reverse, saved with tf.train.Checkpoint(model=, step=) (object-graph keys) -> a wrapper model "
       "holding it as `backbone` with a new Dense head of 3 classes (truth: construction)", "tf2", "keras3"),
    _s("h12_tfkeras_mobilenet_a075_adam_objects_to_k3", "tf_keras MobileNet at alpha 0.75 trained one step with "
       "Adam, tf.train.Checkpoint(model=, optimizer=) (`model/layer_with_weights-N/..`, `optimizer/..`) -> the "
       "Keras 3 MobileNet at alpha 0.75 (truth: construction in order)", "tf2", "keras3", legacy=True),
    # Keras 3 files
    _s("h12_k3_subclassed_wh5_to_torch", "Keras 3 sub-classed model whose layers are created in another order "
       "than called (`.weights.h5` keys by attribute: `layers/...`) -> a PyTorch twin in call order (Conv2D "
       "[k, k, in, out] -> [out, in, k, k], Dense -> Linear; truth: construction)", "cross", "keras3"),
    _s("h12_k3_subclassed_block_removed", "Keras 3 sub-classed model with a list of 4 equal residual blocks "
       "`.weights.h5` -> the model with 3 (the second removed; which of the equal blocks went is in no file: "
       "must abstain on them)", "keras3", "abstain"),
    _s("h12_k3_mnv2_a075_keras_new_head_trap", "Keras 3 MobileNetV2 at alpha 0.75 (10 classes) `.keras` -> the "
       "model without top, average pooling, + a new Dense `classifier` [1280, 10] of the unused `predictions`' "
       "shape (must abstain on it)", "keras3", "abstain"),
    _s("h12_k3_mnv2_a13_wh5_to_tfkeras", "Keras 3 MobileNetV2 at alpha 1.3 (classifier_activation None) "
       "`.weights.h5` -> the tf_keras MobileNetV2 at alpha 1.3 (truth: construction in order)", "keras3",
       legacy=True),
    # transformers: TF <-> PyTorch
    _s("h12_mobilevit_pt_to_tf_cls", "MobileViTModel (conv stem, MobileNetV2 blocks, transformer blocks with "
       "unfold/fold) safetensors -> TFMobileViTForImageClassification (truth: from_pretrained(from_pt=True); new "
       "classifier)", "cross", legacy=True),
    _s("h12_segformer_tf_h5_to_pt", "TFSegformerForSemanticSegmentation `tf_model.h5` (`segformer/encoder/block."
       "0.0/attention/self/sr/kernel:0`, decode head `linear_c.0`) -> SegformerForSemanticSegmentation (truth: "
       "from_pretrained(from_tf=True))", "cross", legacy=True),
    # peft
    _s("h12_xlmr_base_to_peft_lora_seqcls", "XLMRobertaModel safetensors -> a peft LoRA model of "
       "XLMRobertaForSequenceClassification (`base_model.model.roberta.encoder.layer.0.attention.self.query."
       "base_layer.weight`, new `lora_A.default`/`lora_B.default`, the classifier in `modules_to_save`; truth: "
       "from_pretrained then get_peft_model)"),
    _s("h12_camembert_peft_state_to_merged", "a peft LoRA model of CamembertForSequenceClassification (adapter "
       "freshly initialised: lora_B zero) saved as its whole state_dict `.pt` (`base_layer`, `lora_A`, "
       "`classifier.original_module`, `classifier.modules_to_save.default`) -> the plain classifier (truth: peft's "
       "merge_and_unload)"),
    # loralib (Microsoft's LoRA layers)
    _s("h12_loralib_compiled_gpt_to_lora", "a small GPT (fused `c_attn`, tied `lm_head`) saved from torch.compile "
       "(`_orig_mod.`, without the tied copy) -> the same model built with loralib layers (lora.Embedding `wte` "
       "with `lora_A` [r, V], lora.MergedLinear `c_attn` with q and v adapted, lora.Linear `c_fc`; truth: "
       "loralib's recipe, load_state_dict(strict=False); the adapters new)"),
    _s("h12_loralib_conv_wrapped", "a plain conv net (`features.0.weight` [16, 3, 3, 3]) `.pt` -> the net with "
       "loralib.Conv2d layers, which hold the convolution one level down (`features.0.conv.weight`, "
       "`features.0.lora_A`; truth: construction, the recipe's strict=False would skip them)"),
    _s("h12_k3_tied_lm_wh5_to_torch", "Keras 3 sub-classed language model whose output projection reuses the "
       "embedding matrix (`embed/vars/0` [V, D], one variable) + an output bias, `.weights.h5` -> a PyTorch twin "
       "with a tied `lm_head` (`tok_emb.weight` and `lm_head.weight` one tensor: the tied name not scored; truth: "
       "construction)", "cross", "keras3"),
    # transformers, PyTorch
    _s("h12_xglm_compiled_to_causallm", "XGLMModel (sinusoidal positions, no weights) saved from torch.compile "
       "(`_orig_mod.`) -> XGLMForCausalLM (`model.` prefix; `lm_head` tied to the embeddings)"),
    _s("h12_hubert_ddp_compiled_ctc_to_base", "HubertForCTC (conv feature encoder, weight-normed positional conv) "
       "compiled then wrapped in nn.DataParallel (`module._orig_mod.hubert.`) -> HubertModel (base, CTC head "
       "unused)"),
    _s("h12_camembert_tokcls_trap", "CamembertModel (pooler) safetensors -> CamembertForTokenClassification with as "
       "many labels as hidden units: the new `classifier` [24, 24] has the shape of the unused pooler (must "
       "abstain on it)", "abstain"),
    _s("h12_mixtral_56l_sharded_to_base", "MixtralForCausalLM with 56 layers of 4 experts (1,000+ tensors: "
       "`model.layers.55.block_sparse_moe.experts.3.w2.weight`) sharded safetensors -> MixtralModel (base, no "
       "`model.` prefix; untied lm_head unused)"),
    _s("h12_mixtral_expert_removed", "MixtralForCausalLM with 4 experts per layer `.safetensors` -> 3 experts per "
       "layer (expert 1 removed, later ones moved down; the router rows are a slice: not scored; which of the equal "
       "experts went is in no file: must abstain on them)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# XLNet: load_tf_weights_in_xlnet

def _xlnet_cfg(layers=2):
    from transformers import XLNetConfig

    return XLNetConfig(vocab_size=61, d_model=24, n_layer=layers, n_head=2, d_inner=40, untie_r=True)


def _xlnet_loaded(d, layers=2):
    from transformers import XLNetLMHeadModel
    from transformers.models.xlnet.modeling_xlnet import load_tf_weights_in_xlnet

    cfg = _xlnet_cfg(layers)
    model = XLNetLMHeadModel(cfg)
    D, H, dh, inner, V, L = cfg.d_model, cfg.n_head, cfg.d_head, cfg.d_inner, cfg.vocab_size, layers
    t = "model/transformer/"
    a = {t + "word_embedding/lookup_table": (V, D), t + "mask_emb/mask_emb": (1, 1, D), "model/lm_loss/bias": (V,),
         t + "r_r_bias": (L, H, dh), t + "r_w_bias": (L, H, dh), t + "r_s_bias": (L, H, dh),
         t + "seg_embed": (L, 2, H, dh)}
    for i in range(layers):  # the original XLNet's names
        p = f"{t}layer_{i}/"
        for k in "qkvor":
            a[f"{p}rel_attn/{k}/kernel"] = (D, H, dh)
        a.update({p + "rel_attn/LayerNorm/gamma": (D,), p + "rel_attn/LayerNorm/beta": (D,),
                  p + "ff/LayerNorm/gamma": (D,), p + "ff/LayerNorm/beta": (D,), p + "ff/layer_1/kernel": (D, inner),
                  p + "ff/layer_1/bias": (inner,), p + "ff/layer_2/kernel": (inner, D), p + "ff/layer_2/bias": (D,)})
    prefix = _tf1_write(d, {n: distinct("xlnet|" + n, s) for n, s in a.items()}, ("Adam", "Adam_1"))
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_xlnet(model, cfg, prefix)  # the published converter: the truth
    _loaded(model, stored, [k for k in model.state_dict() if k not in _xlnet_slices(model) + h4._tied(model)])
    return prefix, stored, model


def _xlnet_slices(model):
    """The per-layer relative biases and segment embeddings: the converter splits one stacked entry among the
    layers, no single checkpoint value is theirs, so the truth does not score them."""
    return [k for k in model.state_dict() if re.search(r"rel_attn\.(r_r_bias|r_w_bias|r_s_bias|seg_embed)$", k)]


def b_xlnet_tf1_adam_to_lmhead(d):
    prefix, stored, model = _xlnet_loaded(d)
    values = h4._unscored(spec_and_values(model, d), _xlnet_slices(model) + h4._tied(model))
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_xlnet_tf1_layer_removed(d):
    from transformers import XLNetLMHeadModel

    prefix, stored, src = _xlnet_loaded(d, layers=4)
    tgt = XLNetLMHeadModel(_xlnet_cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "transformer.layer.", {0: 0, 1: 2, 2: 3})  # construction: layer_1 dropped
    values = h4._unscored(spec_and_values(tgt, d), _xlnet_slices(tgt) + h4._tied(tgt))
    amb = [n for n in values if n.startswith("transformer.layer.") and values[n].size]
    return [_rel(prefix, d)], stored, _all(values, d), amb


# ---------------------------------------------------------------------------------------------------------
# Funnel: load_tf_weights_in_funnel

def _funnel_cfg(**kw):
    from transformers import FunnelConfig

    return FunnelConfig(vocab_size=61, block_sizes=[1, 1, 1], d_model=24, n_head=2, d_head=12, d_inner=40, **kw)


def b_funnel_tf1_to_seqcls(d):
    from transformers import FunnelBaseModel, FunnelForSequenceClassification
    from transformers.models.funnel.modeling_funnel import load_tf_weights_in_funnel

    cfg = _funnel_cfg(num_labels=3)
    D, H, dh, inner = cfg.d_model, cfg.n_head, cfg.d_head, cfg.d_inner
    a = {"model/input/word_embedding/lookup_table": (cfg.vocab_size, D), "model/input/layer_norm/gamma": (D,),
         "model/input/layer_norm/beta": (D,)}
    for i in range(sum(cfg.block_sizes)):  # the original Funnel's names and shapes
        p = f"model/encoder/layer_{i}/"
        a.update({p + "rel_attn/q/kernel": (D, H, dh), p + "rel_attn/k/kernel": (D, H, dh),
                  p + "rel_attn/k/bias": (H, dh), p + "rel_attn/v/kernel": (D, H, dh), p + "rel_attn/v/bias": (H, dh),
                  p + "rel_attn/r_w_bias": (H, dh), p + "rel_attn/r_r_bias": (H, dh),
                  p + "rel_attn/r/kernel": (D, H, dh),
                  p + "rel_attn/r_s_bias": (H, dh), p + "rel_attn/seg_embed": (2, H, dh),
                  p + "rel_attn/o/kernel": (H, dh, D), p + "rel_attn/o/bias": (D,),
                  p + "rel_attn/layer_norm/gamma": (D,), p + "rel_attn/layer_norm/beta": (D,),
                  p + "ff/layer_1/kernel": (D, inner), p + "ff/layer_1/bias": (inner,),
                  p + "ff/layer_2/kernel": (inner, D), p + "ff/layer_2/bias": (D,),
                  p + "ff/layer_norm/gamma": (D,), p + "ff/layer_norm/beta": (D,)})
    prefix = _tf1_write(d, {n: distinct("funnel|" + n, s) for n, s in a.items()}, ("adam_m", "adam_v"))
    stored = read_tf(prefix)
    base = FunnelBaseModel(cfg)
    fill_random_torch(base, "base")
    load_tf_weights_in_funnel(base, cfg, prefix)  # the published converter: the truth
    model = FunnelForSequenceClassification(cfg)
    fill_random_torch(model, "new")
    model.funnel.load_state_dict(base.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_xlnet_tf1_80l_to_base(d):
    from transformers import XLNetModel

    prefix, stored, lm = _xlnet_loaded(d, layers=80)
    model = XLNetModel(_xlnet_cfg(80))
    fill_random_torch(model, "base")
    model.load_state_dict(lm.transformer.state_dict())  # the converter's values (into the LM: its transformer)
    values = h4._unscored(spec_and_values(model, d), _xlnet_slices(model))
    assert len(values) > 1000, len(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def _convbert_tf_name(pt):
    """The TF1 name load_tf_weights_in_convbert reads for a ConvBertModel parameter (num_groups 1)."""
    n = re.sub(r"^encoder\.layer\.(\d+)\.", r"electra/encoder/layer_\1/", pt)
    n = n if n != pt else "electra/" + pt
    for a, b in (("key_conv_attn_layer.depthwise.weight", "conv_attn_key/depthwise_kernel"),
                 ("key_conv_attn_layer.pointwise.weight", "conv_attn_key/pointwise_kernel"),
                 ("key_conv_attn_layer.bias", "conv_attn_key/bias"), ("conv_kernel_layer", "conv_attn_kernel"),
                 ("conv_out_layer", "conv_attn_point"), ("LayerNorm.weight", "LayerNorm/gamma"),
                 ("LayerNorm.bias", "LayerNorm/beta")):
        n = n.replace(a, b)
    n = re.sub(r"_embeddings\.weight$", "_embeddings", n)
    n = re.sub(r"\.weight$", "/kernel", n).replace(".", "/")
    return n


def b_convbert_tf1_to_tokcls(d):
    from transformers import ConvBertConfig, ConvBertForTokenClassification, ConvBertModel
    from transformers.models.convbert.modeling_convbert import load_tf_weights_in_convbert

    cfg = ConvBertConfig(vocab_size=61, embedding_size=16, hidden_size=24, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=40, max_position_embeddings=32, conv_kernel_size=5,
                         num_labels=5)
    base = ConvBertModel(cfg)
    arrays = {}
    for k, t in base.named_parameters():  # the TF layout of each parameter, as the original ConvBERT stores it
        shape = tuple(t.shape)
        if k.endswith("depthwise.weight"):
            shape = (shape[2], shape[0], shape[1])
        elif k.endswith("pointwise.weight"):
            shape = shape[::-1]
        elif k.endswith("key_conv_attn_layer.bias"):
            shape = shape[:1]
        elif len(shape) == 2 and "embeddings." not in k:
            shape = shape[::-1]
        arrays[_convbert_tf_name(k)] = distinct("convbert|" + k, shape)
    prefix = _tf1_write(d, arrays, ("adam_m", "adam_v"))
    stored = read_tf(prefix)
    fill_random_torch(base, "base")
    load_tf_weights_in_convbert(base, cfg, prefix)  # the published converter: the truth
    model = ConvBertForTokenClassification(cfg)
    fill_random_torch(model, "new")
    model.convbert.load_state_dict(base.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs: a siamese tower with variable_scope reuse, a dual encoder

def _tf1_siamese(d):
    """TF1 code: `tower` (conv1/bn1, conv2/bn2, conv3/bn3, embed) built once, called on two inputs through
    variable_scope(reuse=AUTO_REUSE); `match/fc` on both embeddings; Adam; Saver."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        def tower(x):
            with v1.variable_scope("tower", reuse=v1.AUTO_REUSE):
                cin = 3
                for i, c in enumerate((8, 16, 16)):
                    with v1.variable_scope(f"conv{i + 1}"):
                        x = tf.nn.conv2d(x, v1.get_variable("weights", [3, 3, cin, c]), 1, "SAME")
                        x = x + v1.get_variable("biases", [c])
                    with v1.variable_scope(f"bn{i + 1}"):
                        mean = v1.get_variable("moving_mean", [c], trainable=False)
                        var = v1.get_variable("moving_variance", [c], trainable=False)
                        x = tf.nn.relu(tf.nn.batch_normalization(x, mean, var, v1.get_variable("beta", [c]),
                                                                 v1.get_variable("gamma", [c]), 1e-3))
                    cin = c
                x = tf.reduce_mean(x, [1, 2])
                with v1.variable_scope("embed"):
                    return tf.matmul(x, v1.get_variable("weights", [16, 8])) + v1.get_variable("biases", [8])

        with v1.variable_scope("siamese"):
            left = tower(tf.constant(distinct("l", (2, 8, 8, 3))))
            right = tower(tf.constant(distinct("r", (2, 8, 8, 3))))  # the same variables again
            with v1.variable_scope("match/fc"):
                out = tf.matmul(tf.concat([left, right], 1), v1.get_variable("weights", [16, 1]))
                out = out + v1.get_variable("biases", [1])
        step = v1.train.get_or_create_global_step()
        v1.train.AdamOptimizer(1e-3).minimize(tf.reduce_mean(out), global_step=step)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            fl = [v for v in v1.global_variables() if v.dtype.base_dtype == tf.float32]
            s.run(tf.group(*[v.assign(distinct("src" + v.op.name, v.shape)) for v in fl]))
            return v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)


def b_tf1_siamese_reuse_to_torch(d):
    import torch.nn as nn

    prefix = _tf1_siamese(d)
    stored = read_tf(prefix)
    assert not any("tower_1" in k for k in stored)  # reuse: one tower's variables
    twin = nn.Module()
    twin.head = nn.Linear(16, 1)  # registered before the encoder it follows
    layers, cin = [], 3
    for c in (8, 16, 16):
        layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c, eps=1e-3), nn.ReLU()]
        cin = c
    twin.encoder = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 8))
    fill_random_torch(twin, "twin")
    sd, t = twin.state_dict(), "siamese/tower/"
    for i in range(3):  # construction: HWIO -> OIHW, BN by role
        _put_t(sd[f"encoder.{3 * i}.weight"], stored[f"{t}conv{i + 1}/weights"].transpose(3, 2, 0, 1))
        _put_t(sd[f"encoder.{3 * i}.bias"], stored[f"{t}conv{i + 1}/biases"])
        for pt_name, tf_name in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                                 ("running_var", "moving_variance")):
            _put_t(sd[f"encoder.{3 * i + 1}.{pt_name}"], stored[f"{t}bn{i + 1}/{tf_name}"])
    _put_t(sd["encoder.11.weight"], stored[t + "embed/weights"].T)
    _put_t(sd["encoder.11.bias"], stored[t + "embed/biases"])
    _put_t(sd["head.weight"], stored["siamese/match/fc/weights"].T)
    _put_t(sd["head.bias"], stored["siamese/match/fc/biases"])
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_tf1_two_towers_to_one(d):
    import keras
    import tensorflow as tf

    v1 = tf.compat.v1
    sizes = [(16, 16), (16, 16), (16, 8)]
    g = tf.Graph()
    with g.as_default():
        for tower in ("query_tower", "doc_tower"):  # a dual encoder: two towers of the same shapes, not shared
            with v1.variable_scope(tower):
                for i, (a, b) in enumerate(sizes):
                    v1.get_variable(f"dense_{i}/kernel", initializer=distinct(f"{tower}{i}k", (a, b)))
                    v1.get_variable(f"dense_{i}/bias", initializer=distinct(f"{tower}{i}b", (b,)))
        v1.get_variable("temperature", initializer=distinct("temp", (1,)))
        v1.train.get_or_create_global_step()
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            prefix = v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)
    stored = read_tf(prefix)
    inp = keras.Input((16,))
    x = inp
    for i, (_, b) in enumerate(sizes):
        x = keras.layers.Dense(b, activation="relu" if i < 2 else None, name=f"encoder_{i}")(x)
    tgt = keras.Model(inp, x, name="encoder")
    fill_random(tgt.weights, "tgt")
    _in_order([stored[f"query_tower/dense_{i}/{v}"] for i in range(3) for v in ("kernel", "bias")], tgt)
    values = _all(spec_and_values(tgt, d), d)
    # the query tower's values, but the doc tower has the same names below its scope and the same shapes
    return [_rel(prefix, d)], stored, values, sorted(values)


# ---------------------------------------------------------------------------------------------------------
# TF2 object graphs: tf.Module, Keras 3 sub-classed models

def b_tf2_module_graph_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Dense(tf.Module):
        def __init__(self, i, o, seed):
            super().__init__()
            self.w = tf.Variable(distinct(seed + "w", (i, o)))
            self.b = tf.Variable(distinct(seed + "b", (o,)))

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.heads = {"cls": Dense(16, 5, "cls"), "box": Dense(16, 4, "box")}  # created first
            self.blocks = [Dense(12, 16, "b0"), Dense(16, 16, "b1"), Dense(16, 16, "b2")]
            self.embedding = tf.Variable(distinct("emb", (30, 12)))

    net = Net()
    prefix = tf.train.Checkpoint(net=net, step=tf.Variable(3, dtype=tf.int64)).write(os.path.join(d, "ckpt", "ckpt-3"))
    twin = nn.Module()
    twin.embed = nn.Embedding(30, 12)
    twin.trunk = nn.ModuleList([nn.Linear(12, 16), nn.Linear(16, 16), nn.Linear(16, 16)])
    twin.cls_head, twin.box_head = nn.Linear(16, 5), nn.Linear(16, 4)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    _put_t(sd["embed.weight"], net.embedding.numpy())  # construction: Dense [in, out] -> Linear [out, in]
    for name, m in [(f"trunk.{i}", b) for i, b in enumerate(net.blocks)] + [("cls_head", net.heads["cls"]),
                                                                             ("box_head", net.heads["box"])]:
        _put_t(sd[name + ".weight"], np.asarray(m.w.numpy()).T)
        _put_t(sd[name + ".bias"], m.b.numpy())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def _k3_net(blocks=3):
    """A Keras 3 sub-classed model: the head is created first, the blocks in reverse order, the stem last; called
    stem, blocks 0.., norm, head."""
    import keras

    class Block(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.norm = keras.layers.LayerNormalization()
            self.up = keras.layers.Dense(32, activation="gelu")
            self.down = keras.layers.Dense(16)

        def call(self, x):
            return x + self.down(self.up(self.norm(x)))

    class Net(keras.Model):
        def __init__(self, n, **kw):
            super().__init__(**kw)
            self.head = keras.layers.Dense(6)
            self.n = n
            for i in reversed(range(n)):  # the last block is created first
                setattr(self, f"block_{i}", Block())
            self.final_norm = keras.layers.LayerNormalization()
            self.stem = keras.layers.Dense(16)

        def call(self, x):
            x = self.stem(x)
            for b in self.blocks():
                x = b(x)
            return self.head(self.final_norm(x))

        def blocks(self):
            return [getattr(self, f"block_{i}") for i in range(self.n)]

    net = Net(blocks)
    net(distinct("x", (2, 10)))
    return net


def b_tf2_k3_subclassed_to_wrapper(d):
    import keras
    import tensorflow as tf

    src = _k3_net()
    fill_random(src.weights, "src")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(9, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-9"))

    class Wrapper(keras.Model):
        def __init__(self):
            super().__init__()
            self.backbone = _k3_net()
            self.classifier = keras.layers.Dense(3)

        def call(self, x):
            return self.classifier(self.backbone(x))

    tgt = Wrapper()
    tgt(distinct("x", (2, 10)))
    fill_random(tgt.weights, "tgt")
    for a, b in zip(src.weights, tgt.backbone.weights, strict=True):  # construction: the same layers
        b.assign(a)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_tfkeras_mobilenet_a075_adam_objects_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    def make(K):
        return K.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.75, weights=None, classes=10)

    src = make(tf_keras)
    fill_random(src.weights, "src")
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (2, 32, 32, 3)), tf.constant([1, 7])
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, src(x, training=True)))
    opt.apply_gradients(zip(tape.gradient(loss, src.trainable_variables), src.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    tgt = make(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _k3_convnet():
    """Keras 3 sub-classed conv net: layers created classifier, conv3, bn2, conv2, bn1, conv1; called conv1, bn1,
    conv2, bn2, conv3, pooling, classifier."""
    import keras

    class ConvNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.classifier = keras.layers.Dense(7)
            self.conv3 = keras.layers.Conv2D(16, 1)
            self.bn2 = keras.layers.BatchNormalization()
            self.conv2 = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)
            self.bn1 = keras.layers.BatchNormalization()
            self.conv1 = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)
            self.pool = keras.layers.GlobalAveragePooling2D()

        def call(self, x):
            x = keras.activations.relu(self.bn1(self.conv1(x)))
            x = keras.activations.relu(self.bn2(self.conv2(x)))
            return self.classifier(self.pool(self.conv3(x)))

    net = ConvNet()
    net(distinct("x", (2, 12, 12, 3)))
    return net


def b_k3_subclassed_wh5_to_torch(d):
    import numpy as np
    import torch.nn as nn

    src = _k3_convnet()
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "convnet.weights.h5")
    src.save_weights(ck)
    twin = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 16, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 7))
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    for i, la in ((0, src.conv1), (1, src.bn1), (3, src.conv2), (4, src.bn2), (6, src.conv3), (9, src.classifier)):
        ws = [np.asarray(w.numpy()) for w in la.weights]  # construction, in call order
        if ws[0].ndim == 4:
            _put_t(sd[f"{i}.weight"], ws[0].transpose(3, 2, 0, 1))
        elif ws[0].ndim == 2:
            _put_t(sd[f"{i}.weight"], ws[0].T)
        else:
            for n, a in zip(["weight", "bias", "running_mean", "running_var"], ws, strict=True):
                _put_t(sd[f"{i}.{n}"], a)
            continue
        if len(ws) > 1:
            _put_t(sd[f"{i}.bias"], ws[1])
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_subclassed_block_removed(d):
    src = _k3_net(4)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "net4.weights.h5")
    src.save_weights(ck)
    tgt = _k3_net(3)
    fill_random(tgt.weights, "tgt")
    for layer in ("head", "final_norm", "stem"):
        getattr(tgt, layer).set_weights(getattr(src, layer).get_weights())
    for i, j in enumerate((0, 2, 3)):  # construction: block 1 removed, the later ones moved down
        tgt.blocks()[i].set_weights(src.blocks()[j].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # the blocks are equal: any three of the four, in order
    block_vars = {id(w) for b in tgt.blocks() for w in b.weights}
    amb = [n for n in values for w in tgt.weights if id(w) in block_vars and n in (w.path, w.name)]
    assert len(amb) == len(block_vars), (len(amb), len(block_vars))
    return [ck], read_h5(ck), values, amb


def b_k3_mnv2_a075_keras_new_head_trap(d):
    import keras

    src = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.75, weights=None, classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v2_075.keras")
    src.save(ck)
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.75, weights=None, include_top=False,
                                          pooling="avg")
    inp = keras.Input((32, 32, 3))
    tgt = keras.Model(inp, keras.layers.Dense(10, name="classifier")(base(inp)))
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), base)  # construction: the body in order; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `classifier` [1280, 10] is new, of the unused `predictions`' shape: new or renamed? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if n.startswith("classifier/")]


def b_k3_mnv2_a13_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    def make(K):
        return K.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=1.3, weights=None, classes=10,
                                          classifier_activation=None)

    src = make(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v2_130.weights.h5")
    src.save_weights(ck)
    tgt = make(tf_keras)
    fill_random(tgt.weights, "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# transformers: TF <-> PyTorch

def b_mobilevit_pt_to_tf_cls(d):
    from transformers import MobileViTConfig, MobileViTModel, TFMobileViTForImageClassification

    cfg = MobileViTConfig(image_size=32, patch_size=2, hidden_sizes=[16, 24, 32], neck_hidden_sizes=[8, 8, 16, 16,
                          24, 24, 48], num_attention_heads=2, num_labels=5)
    ck, model = h4._pt_to_tf(d, MobileViTModel(cfg), "mobilevit", TFMobileViTForImageClassification)
    fill_random([w for w in model.weights if "/classifier" in w.name], "new")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_segformer_tf_h5_to_pt(d):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation, TFSegformerForSemanticSegmentation

    cfg = SegformerConfig(num_encoder_blocks=2, depths=[1, 2], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                          patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                          decoder_hidden_size=16, num_labels=4)
    ck, model = h4._tf_to_pt(d, TFSegformerForSemanticSegmentation(cfg), "segformer",
                             SegformerForSemanticSegmentation)
    stored = read_h5(ck)
    bn = "tf_segformer_for_semantic_segmentation/decode_head/batch_norm/"
    sd = model.state_dict()  # from_tf leaves the decode head's BN statistics out: construction puts them in
    _put_t(sd["decode_head.batch_norm.running_mean"], stored[bn + "moving_mean"])
    _put_t(sd["decode_head.batch_norm.running_var"], stored[bn + "moving_variance"])
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# peft

def _small(**kw):
    return dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                max_position_embeddings=40, **kw)


def b_xlmr_base_to_peft_lora_seqcls(d):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaModel

    cfg = XLMRobertaConfig(**_small(num_labels=3))
    ck_dir = h4._hf(d, XLMRobertaModel(cfg), "xlmr", "ckpt")
    model, info = XLMRobertaForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"],
                                            modules_to_save=["classifier"]))
    with torch.no_grad():  # the new adapter weights get values of their own (lora_B starts at zero)
        for k, t in peft.state_dict().items():
            if ".lora_" in k:
                t.copy_(torch.from_numpy(distinct("lora|" + k, t.shape)))
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(peft, d), d)
    # the new classifier is in two copies (original_module, modules_to_save.default), both missing
    return [ck], read_torch(ck), values, []


def b_camembert_peft_state_to_merged(d):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import CamembertConfig, CamembertForSequenceClassification

    model = CamembertForSequenceClassification(CamembertConfig(**_small(num_labels=4)))
    targets = ["query", "key", "value", "intermediate.dense", "output.dense"]  # not the classifier's `dense`
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=targets, modules_to_save=["classifier"]))
    fill_random_torch(peft, "peft")
    with torch.no_grad():  # an adapter as get_peft_model leaves it: lora_B at zero
        for k, t in peft.state_dict().items():
            if ".lora_B." in k:
                t.zero_()
    ck = os.path.join(d, "ckpt", "peft_camembert.pt")
    torch.save(peft.state_dict(), ck)
    merged = peft.merge_and_unload()  # peft's own merge (W + B A = W): the truth
    return [ck], read_torch(ck), _all(spec_and_values(merged, d), d), []


# ---------------------------------------------------------------------------------------------------------
# loralib

def _loralib():
    path = os.path.join(MATERIAL, "loralib")
    if path not in sys.path:
        sys.path.insert(0, path)
    import loralib

    return loralib


def _gpt(lora=None, V=61, D=24, layers=2):
    """A small GPT: `wte`, `wpe`, blocks (`ln_1`, fused `attn.c_attn`, `attn.c_proj`, `ln_2`, `mlp.c_fc`,
    `mlp.c_proj`), `ln_f`, `lm_head` tied to `wte`; with ``lora`` (the loralib module) its layers are loralib's."""
    import torch.nn as nn

    r = 4
    emb = (lambda n, d: lora.Embedding(n, d, r=r)) if lora else nn.Embedding
    lin = (lambda i, o: lora.Linear(i, o, r=r)) if lora else nn.Linear
    qkv = (lambda i, o: lora.MergedLinear(i, o, r=r, enable_lora=[True, False, True])) if lora else nn.Linear
    m = nn.Module()
    m.wte, m.wpe = emb(V, D), nn.Embedding(32, D)
    m.h = nn.ModuleList()
    for _ in range(layers):
        b = nn.Module()
        b.ln_1, b.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        b.attn, b.mlp = nn.Module(), nn.Module()
        b.attn.c_attn, b.attn.c_proj = qkv(D, 3 * D), lin(D, D)
        b.mlp.c_fc, b.mlp.c_proj = lin(D, 4 * D), lin(4 * D, D)
        m.h.append(b)
    m.ln_f = nn.LayerNorm(D)
    m.lm_head = nn.Linear(D, V, bias=False)
    m.lm_head.weight = m.wte.weight
    return m


def b_loralib_compiled_gpt_to_lora(d):
    import torch

    src = _gpt()
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "gpt.pt")
    sd = torch.compile(src).state_dict()
    del sd["_orig_mod.lm_head.weight"]  # saved without the tied copy (it is `wte`)
    torch.save(sd, ck)
    tgt = _gpt(_loralib())
    fill_random_torch(tgt, "tgt")
    pretrained = {k.removeprefix("_orig_mod."): v for k, v in torch.load(ck).items()}
    info = tgt.load_state_dict(pretrained, strict=False)  # loralib's recipe: the truth
    assert all("lora_" in k or k == "lm_head.weight" for k in info.missing_keys), info.missing_keys
    values = h4._unscored(spec_and_values(tgt, d), h4._tied(tgt))  # lm_head: tied
    return [ck], read_torch(ck), _all(values, d), []


def _convnet(lora=None):
    import torch.nn as nn

    conv = (lambda i, o, k: lora.Conv2d(i, o, k, r=2, padding=1)) if lora else (
        lambda i, o, k: nn.Conv2d(i, o, k, padding=1))
    m = nn.Module()
    m.features = nn.Sequential(conv(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), conv(16, 16, 3), nn.BatchNorm2d(16),
                               nn.ReLU(), conv(16, 32, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    m.fc = nn.Linear(32, 10)
    return m


def b_loralib_conv_wrapped(d):
    import torch

    src = _convnet()
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "convnet.pt")
    torch.save(src.state_dict(), ck)
    tgt = _convnet(_loralib())
    fill_random_torch(tgt, "tgt")
    sd = src.state_dict()
    moved = {re.sub(r"^features\.(0|3|6)\.", r"features.\1.conv.", k): v for k, v in sd.items()}
    info = tgt.load_state_dict(moved, strict=False)  # construction: the convolutions one level down
    assert not info.unexpected_keys and all("lora_" in k for k in info.missing_keys), info
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 language model with a tied output projection -> PyTorch

def b_k3_tied_lm_wh5_to_torch(d):
    import keras
    import numpy as np
    import torch.nn as nn

    V, D = 61, 24

    class TiedLM(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(V, D)
            self.blocks = [keras.layers.Dense(D, activation="gelu") for _ in range(2)]
            self.norm = keras.layers.LayerNormalization()
            self.out_bias = self.add_weight(shape=(V,), initializer="zeros", name="out_bias")

        def call(self, ids):
            x = self.embed(ids)
            for b in self.blocks:
                x = x + b(x)
            return keras.ops.matmul(self.norm(x), keras.ops.transpose(self.embed.embeddings)) + self.out_bias

    src = TiedLM()
    src(np.array([[1, 2, 3]]))
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "tied_lm.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.tok_emb = nn.Embedding(V, D)
    twin.layers = nn.ModuleList([nn.Linear(D, D) for _ in range(2)])
    twin.ln = nn.LayerNorm(D)
    twin.lm_head = nn.Linear(D, V)
    twin.lm_head.weight = twin.tok_emb.weight
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: Dense [in, out] -> Linear [out, in]
    _put_t(sd["tok_emb.weight"], src.embed.embeddings.numpy())
    for i, b in enumerate(src.blocks):
        _put_t(sd[f"layers.{i}.weight"], np.asarray(b.kernel.numpy()).T)
        _put_t(sd[f"layers.{i}.bias"], b.bias.numpy())
    _put_t(sd["ln.weight"], src.norm.gamma.numpy())
    _put_t(sd["ln.bias"], src.norm.beta.numpy())
    _put_t(sd["lm_head.bias"], src.out_bias.numpy())
    values = h4._unscored(spec_and_values(twin, d), h4._tied(twin))  # lm_head.weight: tied
    return [ck], read_h5(ck), _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# transformers, PyTorch

def b_xglm_compiled_to_causallm(d):
    import torch
    from transformers import XGLMConfig, XGLMForCausalLM, XGLMModel

    cfg = XGLMConfig(vocab_size=61, max_position_embeddings=32, d_model=24, ffn_dim=40, num_layers=2,
                     attention_heads=2)
    src = XGLMModel(cfg)
    hf = h4._hf(d, src, "xglm")
    ck = os.path.join(d, "ckpt", "xglm.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    model, info = XGLMForCausalLM.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # lm_head: tied
    return [ck], read_torch(ck), _all(values, d), []


def b_hubert_ddp_compiled_ctc_to_base(d):
    import torch
    import torch.nn as nn
    from transformers import HubertConfig, HubertForCTC, HubertModel

    cfg = HubertConfig(vocab_size=12, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=40, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                       num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    src = HubertForCTC(cfg)
    hf = h4._hf(d, src, "hubert")
    ck = os.path.join(d, "ckpt", "hubert_ctc.pt")
    sd = nn.DataParallel(torch.compile(src)).state_dict()
    assert next(iter(sd)).startswith("module._orig_mod.hubert."), next(iter(sd))
    torch.save(sd, ck)
    model, info = HubertModel.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_camembert_tokcls_trap(d):
    from transformers import CamembertConfig, CamembertForTokenClassification, CamembertModel

    cfg = CamembertConfig(**_small(num_labels=24))
    ck_dir = h4._hf(d, CamembertModel(cfg), "camembert", "ckpt")
    model, info = CamembertForTokenClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # `classifier` [24, 24] is new, of the unused pooler's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


def _mixtral_cfg(layers, experts):
    from transformers import MixtralConfig

    return MixtralConfig(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=layers,
                         num_attention_heads=2, num_key_value_heads=1, num_local_experts=experts,
                         num_experts_per_tok=2, max_position_embeddings=32, tie_word_embeddings=False)


def b_mixtral_56l_sharded_to_base(d):
    from transformers import MixtralForCausalLM, MixtralModel

    src = MixtralForCausalLM(_mixtral_cfg(56, 4))
    fill_random_torch(src, "mixtral")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="200KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = MixtralModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    values = _all(spec_and_values(model, d), d)
    assert len(values) > 1000, len(values)
    return [index], h5._read_sharded(index), values, []


def b_mixtral_expert_removed(d):
    import torch
    from safetensors.torch import save_file
    from transformers import MixtralForCausalLM

    src = MixtralForCausalLM(_mixtral_cfg(2, 4))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "model.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = MixtralForCausalLM(_mixtral_cfg(2, 3))
    fill_random_torch(tgt, "tgt")
    sd, keep = src.state_dict(), [0, 2, 3]
    with torch.no_grad():  # construction: expert 1 removed in every layer, the later ones moved down
        for k, t in tgt.state_dict().items():
            m = re.search(r"\.experts\.(\d+)\.", k)
            if m:
                t.copy_(sd[k.replace(m.group(0), f".experts.{keep[int(m.group(1))]}.")])
            elif k.endswith("block_sparse_moe.gate.weight"):
                t.copy_(sd[k][keep])
            else:
                t.copy_(sd[k])
    values = h4._unscored(spec_and_values(tgt, d), [k for k in tgt.state_dict() if k.endswith("moe.gate.weight")])
    # the experts are equal: any three of the four, in order
    return [ck], read_torch(ck), _all(values, d), [n for n in values if ".experts." in n]


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout11's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
