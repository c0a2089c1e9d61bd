"""A fourteenth held-out part of alignment scenarios (``--part heldout14``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of ema-pytorch into $CKPT_DOCTOR_MATERIAL14, default
/work/coord/material-heldout14, the wheel unpacked there; the rest is the venv's; sources and licences in NOTICE;
nothing of it is committed): ``ema-pytorch`` 0.8.3 (lucidrains' EMA wrapper: `online_model.`, `ema_model.`, `step`,
`initted`); ``transformers`` 4.46's PUBLISHED TF1 CONVERTER ``load_tf_weights_in_roc_bert`` (RoCBert's TF1 names:
`bert/encoder/layer_0/attention/self/query/kernel`, `shape_embed/weight`) run on TF1 checkpoints written by TF's own
Saver with the names it reads; transformers definitions of GPT-J, Longformer, mBART, FlauBERT, ViT-MAE,
RoBERTa-PreLayerNorm, RoCBert, CTRL, GroupViT, Swin2SR, UnivNet, Phi-3 and SigLIP (none of them in an earlier part)
with the from_pt/from_tf converters; torch's weight-norm re-parametrisation and its compatibility hook
(`weight_g`/`weight_v` -> `parametrizations.weight.original0/1`); ``keras.applications`` (Keras 3) and
``tf_keras.applications`` InceptionResNetV2 (with and without top, average pooling, built in a TF1 graph with
ExponentialMovingAverage shadows); and models written for this part: a TF1 graph with a partitioned embedding (Saver
slices), tf_keras sub-classed models whose blocks are a list (a custom training loop with tf.train.Checkpoint; one
block added, one removed), a Keras 3 sub-classed model with a nested Sequential, a list and a dict of layers in a
`.keras` archive, and Keras 3 / tf_keras models whose auto names shifted (a `.weights.h5`, a legacy `.h5`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converter,
``from_pretrained`` with ``from_pt``/``from_tf``, ``tf.train.Checkpoint.restore``, Keras 3's ``load_weights`` of a
legacy ``.h5``, torch's weight-norm load hook) or by the scenario's construction (weights in order into the same
architecture, a removed layer or block, a twin in another framework layer by layer), and both sides are read back by
the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout14.py fetch               # pip download + unpack ema-pytorch
    python bench/scenarios/heldout14.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout14.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout14        # score (once)
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
PART = "heldout14"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL14", "/work/coord/material-heldout14")
PACKAGES = ["ema-pytorch==0.8.3"]
_all, _rel, _loaded, _tf1_write, _put_t = h9._all, h9._rel, h9._loaded, h9._tf1_write, h9._put_t
_in_order = h11._in_order


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: PyTorch <-> TF
    _s("h14_gptj_pt_to_tf_causallm", "GPTJForCausalLM safetensors (rotary, `transformer.h.0.attn.q_proj.weight` "
       "without bias, untied `lm_head` with a bias) -> TFGPTJForCausalLM (truth: from_pretrained(from_pt=True))",
       "cross", legacy=True),
    _s("h14_longformer_tf_h5_to_pt_qa", "TFLongformerModel `tf_model.h5` (global attention projections "
       "`query_global/kernel:0`, pooler) -> LongformerForQuestionAnswering (truth: from_pretrained(from_tf=True); "
       "new `qa_outputs`, the pooler unused)", "cross", legacy=True),
    _s("h14_mbart_gen_pt_to_tf_base", "MBartForConditionalGeneration safetensors (`model.encoder.layernorm_"
       "embedding`, final encoder/decoder `layer_norm`, `final_logits_bias`) -> TFMBartModel (truth: "
       "from_pretrained(from_pt=True); the bias unused)", "cross", legacy=True),
    _s("h14_flaubert_tf_h5_to_pt_seqcls", "TFFlaubertModel `tf_model.h5` (`transformer/attentions_._0/q_lin/"
       "kernel:0`, `layer_norm_emb`) -> FlaubertForSequenceClassification (truth: from_pretrained(from_tf=True); "
       "new `sequence_summary`)", "cross", legacy=True),
    _s("h14_vitmae_pretrain_pt_to_tf_base", "ViTMAEForPreTraining safetensors (encoder `vit.`, decoder "
       "`decoder.decoder_layers.0`, `decoder.mask_token`, fixed position tables) -> TFViTMAEModel (the encoder "
       "only; the decoder unused; truth: from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("h14_robertapreln_tf2_adam_to_pt_mlm", "TFRobertaPreLayerNormModel trained one step in a custom loop with "
       "Adam, tf.train.Checkpoint(model=, optimizer=, step=) (object-graph keys, optimizer slots) -> "
       "RobertaPreLayerNormForMaskedLM (truth: from_pretrained(from_tf=True) of the same trained model; new "
       "`lm_head`)", "cross", "tf2", legacy=True),
    # transformers' published TF1 converter: RoCBert
    _s("h14_rocbert_tf1_adam_to_seqcls", "RoCBert TF1 Saver checkpoint (`bert/embeddings/shape_embed/weight`, "
       "`pronunciation_embed`, `map_inputs_layer/kernel`, `LayerNorm/gamma`, `adam_m`/`adam_v` slots, global_step) "
       "-> RoCBertForSequenceClassification (truth: load_tf_weights_in_roc_bert into RoCBertModel, its weights the "
       "classifier's `roc_bert`; new `classifier`)", "cross", "tf1"),
    # TF1 graphs
    _s("h14_tf1_partitioned_embedding_to_torch", "TF1 Saver checkpoint of a graph whose embedding is partitioned "
       "in 3 (`ranker/embedding/part_0..2`, saved as slices of one `ranker/embedding`), Momentum slots -> a "
       "PyTorch twin (`embed.weight`, `mlp.0.weight` [out, in], `out`; truth: construction)", "cross", "tf1"),
    _s("h14_tf1_irv2_ema_to_k3_abstain", "TF1 graph: tf_keras InceptionResNetV2 with an ExponentialMovingAverage "
       "of every trainable weight (`conv2d_7/kernel/ExponentialMovingAverage`), Saver -> Keras 3 "
       "InceptionResNetV2 filled as EMA evaluation does (ema.variables_to_restore: the shadows; BN statistics "
       "raw); raw or shadow: no file says: must abstain on the trainables)", "tf1", "keras3", "abstain"),
    # TF2 custom training loops: tf_keras sub-classed with a list of blocks
    _s("h14_tf2_blocks_list_block_added", "tf_keras sub-classed net (`stem`, `blocks` a list of 3 residual "
       "blocks, `head`) trained one step with Adam, tf.train.Checkpoint(model=, optimizer=, step=) "
       "(`model/blocks/0/dense/kernel`) -> the net with 4 blocks (truth: tf.train.Checkpoint.restore; block 3 new)",
       "tf2", legacy=True),
    _s("h14_tf2_blocks_list_block_removed", "the same net with 4 blocks trained one step, tf.train.Checkpoint -> 3 "
       "blocks (block 1 dropped, later ones moved down; which of the equal blocks went is in no file: must abstain "
       "on them)", "tf2", "abstain", legacy=True),
    # Keras 3 files
    _s("h14_k3_subclassed_lists_dicts_keras_to_torch", "Keras 3 `.keras` of a sub-classed model: a nested "
       "Sequential `encoder`, a list `blocks` of 3 Dense layers, a dict `heads` {cls, box} -> a PyTorch twin "
       "(`encoder.0.weight`, `blocks.2.weight` [out, in], `heads.box`; truth: construction)", "cross", "keras3"),
    _s("h14_k3_irv2_wh5_to_tfkeras_notop_avg", "Keras 3 InceptionResNetV2 (10 classes) `.weights.h5` -> tf_keras "
       "InceptionResNetV2 without top, average pooling (`predictions` unused; truth: construction in order)",
       "keras3", legacy=True),
    _s("h14_k3_irv2_keras_head_trap", "Keras 3 InceptionResNetV2 (10 classes) `.keras` -> the model without top + "
       "a nested Sequential `head` (Dropout, a new Dense `classifier` [1536, 10], the unused `predictions`' shape: "
       "new or renamed? must abstain on it)",
       "keras3", "abstain"),
    _s("h14_k3_autonumber_shift_wh5_layer_added", "Keras 3 Sequential conv net built after other models (its "
       "layers auto-named `conv2d_6`, `dense_7`; the `.weights.h5` keys them by position: `layers/conv2d/vars/0`, "
       "`layers/dense_1/vars/0` the logits) -> the same net built fresh (`sequential/conv2d/kernel`: the counters "
       "shifted) with one more Dense before the logits (`dense_1` new, the logits now `dense_2`; truth: "
       "construction)", "keras3"),
    _s("h14_tfkeras_h5_autonumber_off_by_one_to_k3", "tf_keras MLP of four Dense [16, 16] built after one stray "
       "Dense (auto names `dense_1`..`dense_4`, `dense_5` the logits) legacy `.h5` (layer names in the file) -> "
       "Keras 3 MLP built fresh (`dense`..`dense_3`, `dense_4` the logits: the file's `dense_1` is the model's "
       "`dense`; truth: Keras 3 load_weights, topological)", "keras3"),
    # more transformers: PyTorch <-> TF
    _s("h14_ctrl_pt_to_tf_lmhead", "CTRLLMHeadModel safetensors (`transformer.h.0.multi_head_attention.Wq.weight`, "
       "`transformer.w`, lm_head tied to it with a bias of its own) -> TFCTRLLMHeadModel (truth: "
       "from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("h14_groupvit_tf_h5_to_pt", "TFGroupViTModel `tf_model.h5` (grouping blocks `vision_model/encoder/stages_._1/"
       "group_token`, `assign/mlp_inter`, text tower, projections) -> GroupViTModel (truth: "
       "from_pretrained(from_tf=True))", "cross", legacy=True),
    # PyTorch drift
    _s("h14_gptj_110l_fp16_compiled_to_base", "GPTJForCausalLM with 110 layers in float16 (1,100+ tensors) saved "
       "from torch.compile (`_orig_mod.transformer.h.109.mlp.fc_out.weight`) -> GPTJModel in float16 (base, no "
       "prefix; lm_head unused; truth: from_pretrained(torch_dtype=float16))"),
    _s("h14_longformer_tokcls_trap", "LongformerModel with a pooler, safetensors -> "
       "LongformerForTokenClassification (no pooler) with as many labels as hidden units: the new `classifier` "
       "[24, 24] has the shape of the unused pooler (must abstain on it)", "abstain"),
    _s("h14_swin2sr_layer_removed", "Swin2SRForImageSuperResolution with 3 Swin V2 layers in its first residual "
       "group (continuous position-bias MLPs `continuous_position_bias_mlp.0.weight`, `logit_scale`) -> 2 layers "
       "(layer 1 dropped, layer 2 moved down; which of the equal layers went is in no file: must abstain on them)",
       "abstain"),
    _s("h14_swin2sr_ema_pytorch_abstain", "ema-pytorch EMA wrapper of a Swin2SR model saved as a whole "
       "(`online_model.swin2sr..`, `ema_model.swin2sr..`, `step`, `initted`) -> Swin2SRForImageSuperResolution "
       "filled from the EMA copy, as inference does (online or EMA: no file says: must abstain)", "abstain"),
    _s("h14_univnet_weight_g_to_parametrizations", "UnivNetModel saved under the deprecated torch.nn.utils."
       "weight_norm (`resblocks.0.conv.weight_g`/`weight_v`, `conv_pre.weight_g`) -> UnivNetModel after "
       "apply_weight_norm with torch.nn.utils.parametrizations (`parametrizations.weight.original0/1`; truth: "
       "load_state_dict through torch's compatibility hook)"),
    _s("h14_phi3_lightning_prefix_criterion", "Lightning-style module state_dict (`model.model.layers.0.self_attn."
       "qkv_proj.weight`, fused `gate_up_proj`, a weighted loss `criterion.weight`) -> Phi3ForCausalLM (no "
       "prefix; the loss weights unused; truth: construction, load_state_dict of the inner model)"),
    _s("h14_siglip_dp_renamed_submodules", "nn.DataParallel checkpoint of a classifier (`module.backbone."
       "vision_model.encoder.layers.0.self_attn.q_proj.weight`, attention-pooling head `head.probe`, "
       "`fc`) -> the same classifier with renamed submodules (`encoder.vision_model..`, `classifier`) and a new "
       "`norm` before it (truth: construction)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _small(**kw):
    return dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                max_position_embeddings=40, **kw)


def _s2s(**kw):
    return dict(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32,
                pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, **kw)


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def _gptj_cfg(layers=2, **kw):
    from transformers import GPTJConfig

    return GPTJConfig(vocab_size=61, n_positions=32, n_embd=16, n_layer=layers, n_head=2, rotary_dim=4, **kw)


def b_gptj_pt_to_tf_causallm(d):
    from transformers import GPTJForCausalLM, TFGPTJForCausalLM

    ck, model = h4._pt_to_tf(d, GPTJForCausalLM(_gptj_cfg()), "gptj", TFGPTJForCausalLM)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_longformer_tf_h5_to_pt_qa(d):
    from transformers import LongformerConfig, LongformerForQuestionAnswering, TFLongformerModel

    cfg = LongformerConfig(**_small(attention_window=4, pad_token_id=1))
    ck, model = h4._tf_to_pt(d, TFLongformerModel(cfg), "longformer", LongformerForQuestionAnswering)
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


def b_mbart_gen_pt_to_tf_base(d):
    from transformers import MBartConfig, MBartForConditionalGeneration, TFMBartModel

    ck, model = h4._pt_to_tf(d, MBartForConditionalGeneration(MBartConfig(**_s2s())), "mbart", TFMBartModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_flaubert_tf_h5_to_pt_seqcls(d):
    from transformers import FlaubertConfig, FlaubertForSequenceClassification, TFFlaubertModel

    cfg = FlaubertConfig(vocab_size=61, emb_dim=24, n_layers=2, n_heads=2, max_position_embeddings=40, num_labels=3)
    ck, model = h4._tf_to_pt(d, TFFlaubertModel(cfg), "flaubert", FlaubertForSequenceClassification)
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


def b_vitmae_pretrain_pt_to_tf_base(d):
    from transformers import TFViTMAEModel, ViTMAEConfig, ViTMAEForPreTraining

    cfg = ViTMAEConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                       image_size=32, patch_size=8, decoder_hidden_size=16, decoder_num_hidden_layers=1,
                       decoder_num_attention_heads=2, decoder_intermediate_size=24)
    ck, model = h4._pt_to_tf(d, ViTMAEForPreTraining(cfg), "vitmae", TFViTMAEModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_robertapreln_tf2_adam_to_pt_mlm(d):
    import tensorflow as tf
    import tf_keras
    from transformers import RobertaPreLayerNormConfig, RobertaPreLayerNormForMaskedLM, TFRobertaPreLayerNormModel

    tfm = TFRobertaPreLayerNormModel(RobertaPreLayerNormConfig(**_small(pad_token_id=1)))
    ids = tf.constant([[5, 7, 9, 11, 2], [3, 4, 8, 6, 2]])
    tfm(ids)
    fill_random(tfm.weights, "rpln")
    opt = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf.square(tfm(ids).last_hidden_state))
    grads = tape.gradient(loss, tfm.trainable_variables)
    opt.apply_gradients([(g, v) for g, v in zip(grads, tfm.trainable_variables, strict=True) if g is not None])
    prefix = tf.train.Checkpoint(model=tfm, optimizer=opt, step=tf.Variable(1, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1"))
    hf = os.path.join(d, "_hf")
    tfm.save_pretrained(hf)
    model, info = RobertaPreLayerNormForMaskedLM.from_pretrained(hf, from_tf=True, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # the decoder is the word embeddings
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# RoCBert: load_tf_weights_in_roc_bert

def _rocbert_cfg(**kw):
    from transformers import RoCBertConfig

    return RoCBertConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=32, shape_vocab_size=37, shape_embed_dim=8,
                         pronunciation_vocab_size=29, pronunciation_embed_dim=12, **kw)


def _rocbert_tf_name(pt, module):
    """The TF1 name load_tf_weights_in_roc_bert reads for a RoCBertModel parameter (its walk: scope `bert` skipped,
    `layer_0` indexes, `kernel` transposed, `gamma`/`beta`, `*_embeddings` the embedding's weight)."""
    n = re.sub(r"\.layer\.(\d+)\.", r".layer_\1.", pt)
    n = re.sub(r"LayerNorm\.weight$", "LayerNorm.gamma", n)
    n = re.sub(r"LayerNorm\.bias$", "LayerNorm.beta", n)
    n = re.sub(r"_embeddings\.weight$", "_embeddings", n)
    if module == "Linear":
        n = re.sub(r"\.weight$", ".kernel", n)
    return "bert/" + n.replace(".", "/")


def b_rocbert_tf1_adam_to_seqcls(d):
    from transformers import RoCBertForSequenceClassification, RoCBertModel
    from transformers.models.roc_bert.modeling_roc_bert import load_tf_weights_in_roc_bert

    cfg = _rocbert_cfg()
    base = RoCBertModel(cfg)
    kinds = {n: type(m).__name__ for n, m in base.named_modules()}
    arrays = {}
    for k, t in base.named_parameters():  # the TF layout: kernels [in, out]
        kind = kinds[k.rsplit(".", 1)[0]]
        shape = tuple(t.shape)[::-1] if kind == "Linear" and k.endswith(".weight") else tuple(t.shape)
        arrays[_rocbert_tf_name(k, kind)] = distinct("rocbert|" + k, shape)
    prefix = _tf1_write(d, arrays, ("adam_m", "adam_v"))
    stored = read_tf(prefix)
    fill_random_torch(base, "base")
    load_tf_weights_in_roc_bert(base, cfg, prefix)  # the published converter: the truth
    _loaded(base, stored, [k for k, _ in base.named_parameters()])
    model = RoCBertForSequenceClassification(_rocbert_cfg(num_labels=3))
    fill_random_torch(model, "new")
    model.roc_bert.load_state_dict(base.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_partitioned_embedding_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    shapes = {"ranker/embedding": (60, 16), "ranker/mlp_0/kernel": (16, 32), "ranker/mlp_0/bias": (32,),
              "ranker/mlp_1/kernel": (32, 32), "ranker/mlp_1/bias": (32,), "ranker/out/kernel": (32, 5),
              "ranker/out/bias": (5,)}
    g = tf.Graph()
    with g.as_default():
        vs = {}
        for n, shp in shapes.items():
            part = tf.compat.v1.fixed_size_partitioner(3) if n.endswith("embedding") else None
            vs[n] = tf.compat.v1.get_variable(n, shape=shp, partitioner=part)
            for slot in ("Momentum",):  # the optimizer's slot, partitioned like its variable
                tf.compat.v1.get_variable(f"{n}/{slot}", shape=shp, partitioner=part)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            for v in tf.compat.v1.global_variables():
                if v.dtype.base_dtype == tf.float32:
                    v.load(distinct("tf1|" + v.name, v.shape), s)
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
    stored = read_tf(prefix)
    assert stored["ranker/embedding"].shape == (60, 16), sorted(stored)  # the slices are one entry
    twin = nn.Module()
    twin.embed = nn.Embedding(60, 16)
    twin.mlp = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    twin.out = nn.Linear(32, 5)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: kernel [in, out] -> Linear [out, in]
    _put_t(sd["embed.weight"], stored["ranker/embedding"])
    for tn, tf_name in (("mlp.0", "ranker/mlp_0"), ("mlp.2", "ranker/mlp_1"), ("out", "ranker/out")):
        _put_t(sd[tn + ".weight"], np.ascontiguousarray(stored[tf_name + "/kernel"].T))
        _put_t(sd[tn + ".bias"], stored[tf_name + "/bias"])
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_tf1_irv2_ema_to_k3_abstain(d):
    import keras
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        net = tf_keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, classes=10)
        ema = tf.compat.v1.train.ExponentialMovingAverage(0.999)
        ema.apply(net.trainable_weights)  # the shadows, as TF1 training scripts keep them
        restore = ema.variables_to_restore()  # {checkpoint name: variable} as EMA evaluation restores
        order = [w.name[:-2] for w in net.weights]
        by_var = {v.name[:-2]: k for k, v in restore.items()}
        feeds = {}
        for i, v in enumerate(tf.compat.v1.global_variables()):  # trained: raw and shadow differ
            p = tf.compat.v1.placeholder(v.dtype.base_dtype, v.shape)
            feeds[p] = (v.assign(p), distinct(f"irv2|{i}", v.shape))
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            s.run([op for op, _ in feeds.values()], {p: a for p, (_, a) in feeds.items()})
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
    stored = read_tf(prefix)
    tgt = keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, classes=10)
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order([stored[by_var[n]] for n in order], tgt)  # construction: what variables_to_restore reads
    values = _all(spec_and_values(tgt, d), d)
    shadowed = {i for i, n in enumerate(order) if by_var[n] != n}
    assert shadowed and len(shadowed) < len(order)
    paths = [w.path for w in tgt.weights]
    # raw or shadow: the file holds both, the same shape, and no file says which a deployment takes
    amb = [paths[i] for i in sorted(shadowed) if paths[i] in values]
    assert len(amb) == len(shadowed), (len(amb), len(shadowed), sorted(values)[:3])
    return [_rel(prefix, d)], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF2 custom training loops: tf_keras sub-classed nets with a list of blocks

def _blocks_net(n):
    import tf_keras

    K = tf_keras

    class Block(K.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.dense = K.layers.Dense(16, activation="relu")
            self.norm = K.layers.LayerNormalization()

        def call(self, x):
            return self.norm(x + self.dense(x))

    class Net(K.Model):
        def __init__(self, n):
            super().__init__()
            self.stem = K.layers.Dense(16)
            self.blocks = [Block() for _ in range(n)]  # list tracking: `blocks/0/dense/kernel`
            self.head = K.layers.Dense(4)

        def call(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            return self.head(x)

    net = Net(n)
    net(distinct("x", (2, 10)))
    return net


def _trained_blocks(d, n):
    import tensorflow as tf
    import tf_keras

    src = _blocks_net(n)
    fill_random(src.weights, f"blocks{n}")
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (4, 10)), tf.constant([0, 1, 2, 3])
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, src(x), from_logits=True))
    opt.apply_gradients(zip(tape.gradient(loss, src.trainable_variables), src.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=src, optimizer=opt, step=tf.Variable(1, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1"))
    return src, prefix


def b_tf2_blocks_list_block_added(d):
    import tensorflow as tf

    _, prefix = _trained_blocks(d, 3)
    tgt = _blocks_net(4)
    fill_random(tgt.weights, "tgt")
    tf.train.Checkpoint(model=tgt).restore(prefix).expect_partial()  # TF's own restore: the truth
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_tf2_blocks_list_block_removed(d):
    src, prefix = _trained_blocks(d, 4)
    tgt = _blocks_net(3)
    fill_random(tgt.weights, "tgt")
    tgt.stem.set_weights(src.stem.get_weights())  # construction: block 1 dropped, later ones moved down
    tgt.head.set_weights(src.head.get_weights())
    for i, j in enumerate((0, 2, 3)):
        tgt.blocks[i].set_weights(src.blocks[j].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    blocks = {w.numpy().tobytes() for b in tgt.blocks for w in b.weights}  # the values are distinct
    amb = sorted(n for n, v in values.items() if v.tobytes() in blocks)
    assert len(amb) == len(blocks) == 12, (len(amb), sorted(values)[:8])
    # the blocks are equal: any three of the four, in order
    return [_rel(prefix, d)], read_tf(prefix), values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def b_k3_subclassed_lists_dicts_keras_to_torch(d):
    import keras
    import numpy as np
    import torch.nn as nn

    @keras.saving.register_keras_serializable(package="h14")
    class Detector(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.encoder = keras.Sequential([keras.layers.Dense(24, activation="relu", name="inp"),
                                             keras.layers.Dense(16, name="proj")], name="encoder")
            self.blocks = [keras.layers.Dense(16, activation="relu") for _ in range(3)]
            self.heads = {"cls": keras.layers.Dense(5), "box": keras.layers.Dense(4)}

        def call(self, x):
            x = self.encoder(x)
            for b in self.blocks:
                x = b(x) + x
            return self.heads["cls"](x), self.heads["box"](x)

    src = Detector()
    src(distinct("x", (2, 12)))
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "detector.keras")
    src.save(ck)
    twin = nn.Module()
    twin.encoder = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 16))
    twin.blocks = nn.ModuleList(nn.Linear(16, 16) for _ in range(3))
    twin.heads = nn.ModuleDict({"cls": nn.Linear(16, 5), "box": nn.Linear(16, 4)})
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: Dense [in, out] -> Linear [out, in]
    pairs = [("encoder.0", src.encoder.layers[0]), ("encoder.2", src.encoder.layers[1])]
    pairs += [(f"blocks.{i}", b) for i, b in enumerate(src.blocks)]
    pairs += [(f"heads.{k}", v) for k, v in src.heads.items()]
    for name, layer in pairs:
        _put_t(sd[name + ".weight"], np.asarray(layer.kernel.numpy()).T)
        _put_t(sd[name + ".bias"], layer.bias.numpy())
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_irv2_wh5_to_tfkeras_notop_avg(d):
    import keras
    import tf_keras

    src = keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "inception_resnet_v2.weights.h5")
    src.save_weights(ck)
    tgt = tf_keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, include_top=False,
                                                  pooling="avg")
    fill_random(tgt.weights, "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the body in order; `predictions` left out
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_irv2_keras_head_trap(d):
    import keras

    src = keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "inception_resnet_v2.keras")
    src.save(ck)
    base = keras.applications.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, include_top=False,
                                                pooling="avg")
    head = keras.layers.Dense(10, name="classifier")
    top = keras.Sequential([keras.layers.Dropout(0.2, name="head_dropout"), head], name="head")  # a nested head:
    tgt = keras.Model(base.input, top(base.output))  # Keras' own structural keys are not the file's `predictions`'
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), base)  # construction: the body in order; the classifier is the fine-tuner's
    values = _all(spec_and_values(tgt, d), d)
    assert tuple(head.kernel.shape) == tuple(src.get_layer("predictions").kernel.shape)
    amb = [n for n in values if any(n == w.path for w in head.weights)]
    assert len(amb) == 2, sorted(values)[-5:]
    # `classifier` is new, of the unused `predictions`' shape: new or renamed? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, amb


def _k3_convnet(extra=False):
    import keras

    layers = [keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, padding="same"), keras.layers.BatchNormalization(),
              keras.layers.ReLU(), keras.layers.Conv2D(16, 3, strides=2), keras.layers.BatchNormalization(),
              keras.layers.ReLU(), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(24, activation="relu")]
    if extra:
        layers.append(keras.layers.Dense(24, activation="relu"))
    return keras.Sequential(layers + [keras.layers.Dense(6)])


def b_k3_autonumber_shift_wh5_layer_added(d):
    import keras

    for _ in range(3):  # a notebook session: other models built first, the auto-name counters move on
        _k3_convnet()
    src = _k3_convnet()
    names = [lay.name for lay in src.layers]
    assert names[0] != "conv2d", names
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "convnet.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()
    keras.backend.clear_session()  # a fresh process: the counters start again
    tgt = _k3_convnet(extra=True)
    fill_random(h4._float(tgt.weights), "tgt")
    body = [w for lay in tgt.layers[:-2] for w in lay.weights]
    n = len(body)
    for w, a in zip(body, sw[:n], strict=True):  # construction: the body in order, the logits last; the added
        w.assign(a)  # Dense is new
    for w, a in zip(tgt.layers[-1].weights, sw[n:], strict=True):
        w.assign(a)
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _mlp(K, stray=False):
    if stray:
        K.layers.Dense(3)  # a stray layer built first: every auto name after it moves on by one
    x = inp = K.Input((16,))
    for _ in range(4):
        x = K.layers.Dense(16, activation="relu")(x)
    return K.Model(inp, K.layers.Dense(16)(x))


def b_tfkeras_h5_autonumber_off_by_one_to_k3(d):
    import keras
    import tf_keras

    src = _mlp(tf_keras, stray=True)
    assert [lay.name for lay in src.layers][1] == "dense_1", [lay.name for lay in src.layers]
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mlp.h5")
    src.save_weights(ck)
    tgt = _mlp(keras)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy h5 file (topological): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# more transformers: from_pt / from_tf

def b_ctrl_pt_to_tf_lmhead(d):
    from transformers import CTRLConfig, CTRLLMHeadModel, TFCTRLLMHeadModel

    cfg = CTRLConfig(vocab_size=61, n_positions=32, n_embd=24, dff=40, n_layer=2, n_head=2)
    ck, model = h4._pt_to_tf(d, CTRLLMHeadModel(cfg), "ctrl", TFCTRLLMHeadModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_groupvit_tf_h5_to_pt(d):
    from transformers import GroupViTConfig, GroupViTModel, TFGroupViTModel

    cfg = GroupViTConfig(
        text_config=dict(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=16),
        vision_config=dict(hidden_size=16, intermediate_size=24, depths=[1, 1], num_group_tokens=[4, 0],
                           num_output_groups=[4, 4], num_attention_heads=2, image_size=16, patch_size=4),
        projection_dim=8, projection_intermediate_dim=12)
    ck, model = h4._tf_to_pt(d, TFGroupViTModel(cfg), "groupvit", GroupViTModel)
    stored = read_h5(ck)
    for k, t in model.state_dict().items():  # from_tf leaves the BN statistics out: construction puts them in
        m = re.fullmatch(r"(.*_projection\.1)\.running_(mean|var)", k)
        if m:
            _put_t(t, stored[f"tf_group_vi_t_model/groupvit/{m.group(1)}/moving_"
                             f"{'mean' if m.group(2) == 'mean' else 'variance'}"])
    return [ck], stored, _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# PyTorch drift

def b_gptj_110l_fp16_compiled_to_base(d):
    import torch
    from transformers import GPTJForCausalLM, GPTJModel

    src = GPTJForCausalLM(_gptj_cfg(layers=110, n_inner=24))
    fill_random_torch(src, "gptj110")
    src.half()
    hf = os.path.join(d, "_hf")
    src.save_pretrained(hf)
    ck = os.path.join(d, "ckpt", "gptj_fp16.pt")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod.transformer."), next(iter(sd))
    torch.save(sd, ck)
    model, info = GPTJModel.from_pretrained(hf, torch_dtype=torch.float16, output_loading_info=True)  # the truth
    assert not info["missing_keys"], info["missing_keys"][:5]
    shutil.rmtree(hf)
    values = _all(spec_and_values(model, d), d)
    assert len(values) > 1000 and all(str(v.dtype) == "float16" for v in values.values()), len(values)
    return [ck], read_torch(ck), values, []


def b_longformer_tokcls_trap(d):
    from transformers import LongformerConfig, LongformerForTokenClassification, LongformerModel

    cfg = dict(**_small(attention_window=4, pad_token_id=1))
    ck_dir = h4._hf(d, LongformerModel(LongformerConfig(**cfg)), "longformer", "ckpt")
    model, info = LongformerForTokenClassification.from_pretrained(ck_dir, num_labels=24, output_loading_info=True)
    h4._fill_new(model, info)
    assert all(k.startswith("classifier.") for k in info["missing_keys"]), info
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    assert values["classifier.weight"].shape == (24, 24)
    # `classifier` [24, 24] is new, of the unused pooler's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


def _swin2sr_cfg(depths):
    from transformers import Swin2SRConfig

    return Swin2SRConfig(image_size=16, patch_size=1, num_channels=3, embed_dim=12, depths=depths, num_heads=[2, 2],
                         window_size=4, mlp_ratio=2.0, upscale=2, upsampler="pixelshuffledirect")


def b_swin2sr_layer_removed(d):
    import torch
    from transformers import Swin2SRForImageSuperResolution

    src = Swin2SRForImageSuperResolution(_swin2sr_cfg([3, 2]))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "swin2sr.pt")
    torch.save(src.state_dict(), ck)
    tgt = Swin2SRForImageSuperResolution(_swin2sr_cfg([2, 2]))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "swin2sr.encoder.stages.0.layers.", {0: 0, 1: 2})
    values = _all(spec_and_values(tgt, d), d)
    # the layers of the first group are equal: any two of the three, in order
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("swin2sr.encoder.stages.0.layers.")
                                          and values[n].size]


def _ema_pytorch():
    path = os.path.join(MATERIAL, "ema_pytorch")
    if path not in sys.path:
        sys.path.insert(0, path)
    import ema_pytorch

    return ema_pytorch


def b_swin2sr_ema_pytorch_abstain(d):
    import torch
    from transformers import Swin2SRForImageSuperResolution

    ema_pytorch = _ema_pytorch()
    online = Swin2SRForImageSuperResolution(_swin2sr_cfg([2, 2]))
    ema = ema_pytorch.EMA(online, beta=0.99, update_after_step=0, update_every=1)
    fill_random_torch(ema, "ema")  # trained: online and EMA copies differ
    ck = os.path.join(d, "ckpt", "ema.pt")
    sd = ema.state_dict()
    assert any(k.startswith("online_model.") for k in sd) and any(k.startswith("ema_model.") for k in sd)
    torch.save(sd, ck)
    tgt = Swin2SRForImageSuperResolution(_swin2sr_cfg([2, 2]))
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(ema.ema_model.state_dict())  # construction: inference takes the EMA copy
    values = _all(spec_and_values(tgt, d), d)
    # both copies are in the file, the same names below their scopes and the same shapes: no file says which
    return [ck], read_torch(ck), values, sorted(n for n in values if values[n].size)


def b_univnet_weight_g_to_parametrizations(d):
    import torch
    import torch.nn as nn
    from torch.nn.utils import parametrize
    from transformers import UnivNetConfig, UnivNetModel

    cfg = UnivNetConfig(model_in_channels=8, model_hidden_channels=8, num_mel_bins=10, resblock_kernel_sizes=[3, 3],
                        resblock_stride_sizes=[2, 2], resblock_dilation_sizes=[[1, 3], [1, 3]],
                        kernel_predictor_num_blocks=1, kernel_predictor_hidden_channels=8)
    src = UnivNetModel(cfg)
    src.apply_weight_norm()
    for m in list(src.modules()):  # as an older torch saved it: the deprecated hook-based weight_norm
        if parametrize.is_parametrized(m, "weight"):
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
            nn.utils.weight_norm(m)
    fill_random_torch(src, "univnet")
    sd = src.state_dict()
    assert any(k.endswith("weight_g") for k in sd), sorted(sd)[:5]
    ck = os.path.join(d, "ckpt", "univnet.pt")
    torch.save(sd, ck)
    tgt = UnivNetModel(cfg)
    tgt.apply_weight_norm()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(sd)  # torch's compatibility hook maps weight_g/_v to original0/1: the truth
    values = _all(spec_and_values(tgt, d), d)
    assert any(k.endswith("original0") for k in values), sorted(values)[:5]
    return [ck], read_torch(ck), values, []


def b_phi3_lightning_prefix_criterion(d):
    import torch
    import torch.nn as nn
    from transformers import Phi3Config, Phi3ForCausalLM

    def cfg():
        return Phi3Config(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                          num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32,
                          tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)

    module = nn.Module()  # a LightningModule's attributes: the model and a weighted loss
    module.model = Phi3ForCausalLM(cfg())
    module.criterion = nn.CrossEntropyLoss(weight=torch.ones(61))
    fill_random_torch(module, "lit")
    ck = os.path.join(d, "ckpt", "last.pt")
    torch.save(module.state_dict(), ck)
    tgt = Phi3ForCausalLM(cfg())
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(module.model.state_dict())  # construction: the inner model
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_siglip_dp_renamed_submodules(d):
    import torch
    import torch.nn as nn
    from transformers import SiglipVisionConfig, SiglipVisionModel

    cfg = SiglipVisionConfig(hidden_size=24, intermediate_size=40, num_hidden_layers=2, num_attention_heads=2,
                             image_size=16, patch_size=4)

    src = nn.Module()
    src.backbone = SiglipVisionModel(cfg)
    src.fc = nn.Linear(24, 7)
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "classifier.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = nn.Module()
    tgt.encoder = SiglipVisionModel(cfg)
    tgt.norm = nn.LayerNorm(24)
    tgt.classifier = nn.Linear(24, 7)
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.backbone.state_dict())  # construction: renamed submodules; `norm` new
    tgt.classifier.load_state_dict(src.fc.state_dict())
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout13's, over these scenarios

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
