"""A nineteenth held-out part of alignment scenarios (``--part heldout19``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of lambda-networks (a wheel) into $CKPT_DOCTOR_MATERIAL19, default
/work/coord/material-heldout19, unpacked there; nothing installed; the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): ``lambda-networks`` 0.4.0 (Phil Wang's LambdaLayer, in its PyTorch and its tf.keras
version); transformers 4.46 definitions of VideoMAE, DPT, Autoformer, Chinese-CLIP, TrOCR, Jamba and DBRX (none of
them in an earlier part); the ``keras.applications`` DenseNet builder at a depth no part uses (blocks [1, 2, 2, 1]);
TF's ``tf.compat.v1.train.init_from_checkpoint`` with an assignment map; torch's ``swa_utils.AveragedModel``; and
models written for this part: TF1 graphs (estimator-style wide & deep names with Adagrad slots, an ensemble of equal
members, a tagger whose scope is renamed and a layer removed, a conv1d audio net put under a wrapper scope with a new
classifier, a slim-style BN CNN into a Keras 3 twin), TF2 checkpoints (a tf.Module recommender of embedding tables, a
tf_keras functional model with Adam into Keras 3 with a layer added, a tf.Module of equal task heads), Keras 3
functional models as `.weights.h5` and `.keras` (a ConvLSTM2D net, a causal dilated Conv1D net, a conv classifier with
a LayerNormalization inserted, three equal branches with one removed) and PyTorch wrappers (torch.compile's
`_orig_mod.`, DataParallel's `module.`, a Lightning-style `net.`, AveragedModel's `module.` and `n_averaged`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module, Keras' own ``load_weights`` where it is the oracle) or by the scenario's
construction (weights in order into the same architecture, a removed or inserted layer or block, a twin in another
framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout19.py fetch               # pip download + unpack the package above
    python bench/scenarios/heldout19.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout19.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout19        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout19"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL19", "/work/coord/material-heldout19")
PACKAGES = ["lambda-networks==0.4.0"]
_all, _rel, _tf1_write, _put_t = h9._all, h9._rel, h9._tf1_write, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers families with drift
    _s("h19_videomae_compiled_to_classifier", "torch.compile'd VideoMAEModel (`_orig_mod.embeddings.patch_embeddings."
       "projection.weight` a Conv3d [24, 3, 2, 4, 4] tubelet embedding, `encoder.layer.1.attention.attention.q_bias`) "
       "-> VideoMAEForVideoClassification (`videomae.` prefix, `fc_norm` and `classifier` new; truth: load_state_dict "
       "of the base)"),
    _s("h19_dpt_dp_to_depth_estimation", "DataParallel DPTModel (`module.embeddings.cls_token`, "
       "`module.encoder.layer.2.output.dense.weight`) -> DPTForDepthEstimation (`dpt.` prefix; the reassemble/fusion "
       "`neck` and the depth `head` new; truth: load_state_dict of the base)"),
    _s("h19_autoformer_lightning_to_prediction", "Lightning-style state_dict (`net.` prefix) of AutoformerModel "
       "(`net.encoder.layers.1.self_attn.q_proj.weight`, value/temporal embeddings `net.encoder.value_embedding."
       "value_projection.weight`, decoder `trend_projection`) -> AutoformerForPrediction (`model.` prefix, "
       "`parameter_projection` new; truth: load_state_dict of the base)"),
    _s("h19_chinese_clip_to_vision_classifier", "ChineseCLIPModel safetensors (a BERT-style text tower "
       "`text_model.encoder.layer.1.attention.self.query.weight`, a ViT tower `vision_model.encoder.layers.1.mlp.fc1."
       "weight`, projections) -> an image classifier: ChineseCLIPVisionModel under `backbone.` (`backbone.vision_model."
       "...`) and a new `classifier` (the text tower and projections unused; truth: load_state_dict of the tower)"),
    _s("h19_trocr_decoder_layer_removed_abstain", "TrOCRForCausalLM with 4 decoder layers (`model.decoder.layers.3."
       "encoder_attn.k_proj.weight`), safetensors -> 3 layers (layer 1 dropped, the later ones moved down; which of "
       "the equal layers went is in no file: must abstain on them; embeddings and output projection decided)",
       "abstain"),
    _s("h19_jamba_1k_dp_to_causal_lm", "DataParallel JambaModel with 64 layers (attention every 4th, mamba mixers "
       "`module.layers.5.mamba.x_proj.weight`, `A_log`, `dt_proj`; MoE every 2nd `feed_forward.experts.1.gate_proj."
       "weight`, a `router`; 1,000+ tensors) -> JambaForCausalLM (`model.` prefix, the untied `lm_head` new; truth: "
       "load_state_dict of the base)"),
    _s("h19_dbrx_compiled_to_causal_lm", "torch.compile'd DbrxModel (`_orig_mod.blocks.1.ffn.experts.mlp.w1` fused "
       "experts [experts*ffn, d], `norm_attn_norm.attn.Wqkv.weight`, `wte`) -> DbrxForCausalLM (`transformer.` "
       "prefix, the untied `lm_head` new; truth: load_state_dict of the base)"),
    # lambda-networks (lucidrains; PyTorch and tf.keras LambdaLayer, run from the unpacked wheel)
    _s("h19_lambda_tfkeras_ckpt_to_torch", "tf.train.Checkpoint of a tf_keras net with the package's tf.keras "
       "LambdaLayer (`model/layer_with_weights-1/to_q/kernel` [1, 1, 8, 16], `to_k`/`to_v` [1, 1, 8, 8], "
       "`norm_q/moving_mean`, a global `pos_emb` [16, 16, 8, 1]) and Adam slots -> a PyTorch twin with the "
       "package's PyTorch LambdaLayer (`lam.to_q.weight` [16, 8, 1, 1], `norm_v.running_var`; its relative "
       "`rel_pos_emb` [7, 7, 8, 1] new, the global `pos_emb` unused; truth: construction)", "cross", "tf2",
       legacy=True),
    _s("h19_lambda_swa_averaged_to_backbone_new_head", "torch.optim.swa_utils.AveragedModel of a LambdaResNet-like "
       "net (`module.blocks.2.0.pos_conv.weight` a Conv3d [8, 1, 1, 3, 3], `module.blocks.1.0.to_q.weight`, "
       "`n_averaged`; 3 equal blocks) -> the net under `backbone.` with a new 5-class `head` (the old 10-class head "
       "unused; truth: construction)"),
    # Keras 3
    _s("h19_k3_convlstm_wh5_to_torch", "Keras 3 functional ConvLSTM2D net (ConvLSTM2D kernel [3, 3, 2, 32], "
       "recurrent_kernel [3, 3, 8, 32], bias; a Conv2D head) `.weights.h5` -> a PyTorch twin (a ConvLSTM cell "
       "`cell.x2h.weight` [32, 2, 3, 3], `cell.h2h.weight` [32, 8, 3, 3], `head`; truth: construction)",
       "cross", "keras3"),
    _s("h19_k3_causal_dilated_conv_keras_to_torch", "Keras 3 functional causal dilated Conv1D net (a 1-channel "
       "front conv, 3 residual blocks of a dilated Conv1D [2, 16, 16] and a 1x1 Conv1D [1, 16, 16], a 1x1 output) "
       "`.keras` -> a PyTorch twin (`front`, `blocks.i.dilated`, `blocks.i.res`, `out`; truth: construction)",
       "cross", "keras3"),
    _s("h19_k3_densenet_builder_wh5_to_pooled_new_head", "keras.applications DenseNet builder at blocks [1, 2, 2, 1] "
       "with a 10-class top `.weights.h5` -> the builder without top (max pooling) and a new Dense(4) head `species` "
       "(truth: construction, checked against Keras' own load_weights(skip_mismatch=True): the top unused, the head "
       "new)", "keras3"),
    _s("h19_k3_layernorm_inserted_wh5", "Keras 3 functional conv classifier (Conv2D 8, Conv2D 16, global pooling, "
       "Dense 32, Dense 5) `.weights.h5` -> the same with a LayerNormalization inserted after Dense 32 (truth: "
       "construction; the LayerNormalization new, checked against Keras' own load_weights)", "keras3"),
    _s("h19_k3_equal_branches_removed_to_torch_abstain", "Keras 3 functional net (a Dense stem, 3 equal branches "
       "Dense 16 -> Dense 8 averaged, a Dense head) `.weights.h5` -> a PyTorch twin with 2 branches in an "
       "nn.ModuleList (branch 1 dropped; which of the equal branches went is in no file: must abstain on them; the "
       "stem and head decided)", "cross", "keras3", "abstain"),
    _s("h19_torch_paramlist_to_k3_qkv_abstain", "DataParallel PyTorch net with an nn.ParameterList of 3 square "
       "[16, 16] matrices (`module.mix.0..2`, no role names) between Linear layers -> a Keras 3 functional twin whose "
       "custom layer names them `query`, `key`, `value` (which index is which role no file says: must abstain on "
       "them; the Dense layers decided)", "cross", "abstain"),
    # TF1 graphs
    _s("h19_tf1_wide_deep_adagrad_to_torch", "TF1 Saver checkpoint with estimator-style wide & deep names "
       "(`linear/linear_model/user_id/weights` [50, 1], `linear/linear_model/bias_weights`, `input_layer/"
       "item_embedding/embedding_weights`, `dnn/hiddenlayer_1/kernel`, `dnn/logits/bias`) with Adagrad slots and "
       "global_step -> a PyTorch twin (`wide.user`, `wide.bias`, `deep.item_emb`, `deep.mlp.2`, `deep.out`; truth: "
       "construction)", "cross", "tf1"),
    _s("h19_tf1_ensemble_members_to_torch_abstain", "TF1 Saver checkpoint of an ensemble of 3 equal MLP members "
       "(`ensemble/member_0/dense/kernel` [10, 16], `member_2/dense_1/kernel` [16, 3]) and a combiner [3] -> a "
       "PyTorch nn.ModuleDict {`alpha`, `beta`, `gamma`} and `combiner` (which member is which key no file says: must "
       "abstain on them; the combiner decided)", "cross", "tf1", "abstain"),
    _s("h19_tf1_tagger_scope_renamed_layer_removed", "TF1 tf.compat.v1.layers tagger under `model/` (embedding, "
       "dense enc_0 [16, 32], enc_1 [32, 24], proj [24, 24], logits) with Adagrad slots, Saver -> the graph under "
       "`tagger/` without `proj` (truth: init_from_checkpoint with an assignment map; `proj` unused)", "tf1",
       legacy=True),
    _s("h19_tf1_conv1d_wrapper_scope_new_classifier", "TF1 tf.compat.v1.layers conv1d audio net (`net/conv_0/"
       "kernel` [5, 1, 8], `net/conv_1`, `net/bn_1/moving_mean`, `net/embed/kernel`) with Momentum slots -> the net "
       "under a wrapper scope `model/net/` and a new `model/classifier` (truth: init_from_checkpoint with an "
       "assignment map)", "tf1", legacy=True),
    _s("h19_tf1_slim_bn_cnn_to_k3", "TF1 Saver checkpoint with slim-style names (`cnn/conv1/weights`, `cnn/conv1/"
       "BatchNorm/gamma|beta|moving_mean|moving_variance`, `cnn/fc/biases`, a global_step) -> a Keras 3 "
       "functional twin (Conv2D without bias, BatchNormalization, Dense; truth: construction)", "tf1"),
    # TF2 checkpoints
    _s("h19_tf2_module_recsys_to_torch", "TF2 tf.Module recommender (a dict of embedding tables `model/tables/user` "
       "[60, 8], `item` [90, 8], `genre` [12, 4]; a list of {w, b} MLP layers; an output w/b; a step) in "
       "tf.train.Checkpoint -> a PyTorch twin (nn.ModuleDict `embeddings.user_vectors|item_vectors|genre_vectors`, "
       "`tower.0`, `tower.2`, `score`; truth: construction)", "cross", "tf2"),
    _s("h19_tf2_tfkeras_functional_adam_to_k3_bn_added", "tf.train.Checkpoint of a tf_keras functional MLP with its "
       "Adam optimizer (`model/layer_with_weights-1/kernel`, slots) -> a Keras 3 functional model with a new "
       "BatchNormalization after the first Dense (truth: construction)", "tf2", legacy=True),
    _s("h19_tf2_module_equal_heads_to_torch_abstain", "TF2 tf.Module multi-task net (a trunk w [10, 16] b, a list of "
       "3 equal heads {w [16, 8], b [8]}) in tf.train.Checkpoint -> a PyTorch twin (`trunk`, nn.ModuleDict heads "
       "{`sentiment`, `topic`, `language`}; which list index is which task no file says: must abstain on the heads)",
       "cross", "tf2", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def _save_pt(d, sd, name):
    import torch

    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    torch.save(sd, ck)
    return ck


def _compiled_sd(m):
    import torch

    sd = torch.compile(m).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    return sd


def b_videomae_compiled_to_classifier(d):
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEModel

    cfg = VideoMAEConfig(image_size=16, patch_size=4, num_channels=3, num_frames=4, tubelet_size=2, hidden_size=24,
                         num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, qkv_bias=True,
                         use_mean_pooling=True, num_labels=5)
    src = VideoMAEModel(cfg)
    fill_random_torch(src, "videomae")
    ck = _save_pt(d, _compiled_sd(src), "videomae.pt")
    tgt = VideoMAEForVideoClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.videomae.load_state_dict(src.state_dict())  # construction: the base; fc_norm and classifier new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_dpt_dp_to_depth_estimation(d):
    import torch.nn as nn
    from transformers import DPTConfig, DPTForDepthEstimation, DPTModel

    cfg = DPTConfig(image_size=32, patch_size=8, hidden_size=24, num_hidden_layers=4, num_attention_heads=2,
                    intermediate_size=40, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 12, 16, 20],
                    fusion_hidden_size=16, head_in_index=-1, reassemble_factors=[4, 2, 1, 0.5])
    src = DPTModel(cfg, add_pooling_layer=False)
    fill_random_torch(src, "dpt")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "dpt_dp.pt")
    tgt = DPTForDepthEstimation(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.dpt.load_state_dict(src.state_dict())  # construction: the base; neck and head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_autoformer_lightning_to_prediction(d):
    import torch.nn as nn
    from transformers import AutoformerConfig, AutoformerForPrediction, AutoformerModel

    cfg = AutoformerConfig(prediction_length=6, context_length=12, lags_sequence=[1, 2, 3], num_time_features=2,
                           d_model=16, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24, moving_average=5)
    module = nn.Module()  # a LightningModule's attributes: the model under `net`
    module.net = AutoformerModel(cfg)
    fill_random_torch(module, "autoformer")
    ck = _save_pt(d, module.state_dict(), "epoch=3-step=400.pt")
    tgt = AutoformerForPrediction(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(module.net.state_dict())  # construction: the base; parameter_projection new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_chinese_clip_to_vision_classifier(d):
    import torch.nn as nn
    from transformers import ChineseCLIPConfig, ChineseCLIPModel, ChineseCLIPVisionModel

    cfg = ChineseCLIPConfig(
        text_config=dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=32),
        vision_config=dict(hidden_size=20, intermediate_size=36, num_hidden_layers=2, num_attention_heads=2,
                           image_size=16, patch_size=4, projection_dim=12),
        projection_dim=12)
    src = ChineseCLIPModel(cfg)
    ck_dir = h4._hf(d, src, "cnclip", "ckpt")
    tgt = nn.Module()
    tgt.backbone = ChineseCLIPVisionModel(cfg.vision_config)
    tgt.classifier = nn.Linear(20, 7)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.vision_model.load_state_dict(src.vision_model.state_dict())  # construction: the vision tower
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_trocr_decoder_layer_removed_abstain(d):
    from transformers import TrOCRConfig, TrOCRForCausalLM

    def cfg(n):
        return TrOCRConfig(vocab_size=61, d_model=24, decoder_layers=n, decoder_attention_heads=2,
                           decoder_ffn_dim=40, max_position_embeddings=32, cross_attention_hidden_size=20,
                           tie_word_embeddings=False, use_learned_position_embeddings=True,
                           layernorm_embedding=True)

    src = TrOCRForCausalLM(cfg(4))
    ck_dir = h4._hf(d, src, "trocr", "ckpt")
    tgt = TrOCRForCausalLM(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.decoder.layers.", {0: 0, 1: 2, 2: 3})
    values = _pt_values(tgt, d)
    ck = os.path.join(ck_dir, "model.safetensors")
    # the layers are equal: any three of the four, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("model.decoder.layers."))


def b_jamba_1k_dp_to_causal_lm(d):
    import torch.nn as nn
    from transformers import JambaConfig, JambaForCausalLM, JambaModel

    cfg = JambaConfig(vocab_size=61, hidden_size=8, intermediate_size=12, num_hidden_layers=64,
                      num_attention_heads=2, num_key_value_heads=1, num_experts=2, num_experts_per_tok=1,
                      expert_layer_period=2, expert_layer_offset=1, attn_layer_period=4, attn_layer_offset=2,
                      mamba_d_state=4, mamba_d_conv=2, mamba_expand=2, mamba_dt_rank=2, use_mamba_kernels=False,
                      tie_word_embeddings=False)
    src = JambaModel(cfg)
    fill_random_torch(src, "jamba")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "jamba_dp.pt")
    tgt = JambaForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the base; lm_head new
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_dbrx_compiled_to_causal_lm(d):
    from transformers import DbrxConfig, DbrxForCausalLM, DbrxModel

    cfg = DbrxConfig(d_model=16, n_heads=2, n_layers=2, max_seq_len=32, vocab_size=61,
                     attn_config=dict(kv_n_heads=1, clip_qkv=8.0, rope_theta=10000.0),
                     ffn_config=dict(ffn_hidden_size=24, moe_num_experts=3, moe_top_k=1),
                     tie_word_embeddings=False)
    src = DbrxModel(cfg)
    fill_random_torch(src, "dbrx")
    ck = _save_pt(d, _compiled_sd(src), "dbrx.pt")
    tgt = DbrxForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.transformer.load_state_dict(src.state_dict())  # construction: the base; lm_head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# lambda-networks (run from the unpacked wheel, never copied)

def _lambda_path():
    path = os.path.join(MATERIAL, "lambda_networks")
    if path not in sys.path:
        sys.path.insert(0, path)


def _tf_lambda_layer(**kw):
    """The package's tf.keras LambdaLayer on tf_keras (its `from tensorflow.keras...` imports pointed at tf_keras,
    as TF_USE_LEGACY_KERAS=1 does)."""
    import tf_keras

    for name, mod in (("tensorflow.keras", tf_keras), ("tensorflow.keras.layers", tf_keras.layers),
                      ("tensorflow.keras.initializers", tf_keras.initializers)):
        sys.modules[name] = mod
    _lambda_path()
    from lambda_networks.tfkeras import LambdaLayer

    return LambdaLayer(**kw)


def _put_bn(m, ws):
    for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
        _put_t(t, a)


def b_lambda_tfkeras_ckpt_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import tf_keras
    import torch.nn as nn

    lam = _tf_lambda_layer(dim_k=8, n=16, heads=2, dim_out=16)
    inp = tf_keras.Input((4, 4, 3), batch_size=2)
    stem, head = tf_keras.layers.Conv2D(8, 3, padding="same", activation="relu"), tf_keras.layers.Dense(3)
    m = tf_keras.Model(inp, head(tf_keras.layers.GlobalAveragePooling2D()(lam(stem(inp)))))
    opt = tf_keras.optimizers.Adam(0.01)
    x = tf.constant(np.arange(96, dtype="float32").reshape(2, 4, 4, 3) / 96)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(m(x)))
    opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables, strict=True))
    fill_random(m.weights, "lambda_tf")
    fill_random([v for v in opt.variables if v.dtype == tf.float32], "slots")
    prefix = tf.train.Checkpoint(model=m, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    stored = read_tf(prefix)
    assert any(k.endswith("to_q/kernel/.ATTRIBUTES/VARIABLE_VALUE") for k in stored), sorted(stored)[:10]
    _lambda_path()
    from lambda_networks import LambdaLayer

    twin = nn.Module()
    twin.stem = nn.Conv2d(3, 8, 3, padding=1)
    twin.lam = LambdaLayer(8, dim_k=8, n=4, heads=2, dim_out=16)
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.stem.weight, _np(stem.kernel).transpose(3, 2, 0, 1))  # construction: HWIO -> OIHW
    _put_t(twin.stem.bias, _np(stem.bias))
    for n in ("to_q", "to_k", "to_v"):
        _put_t(getattr(twin.lam, n).weight, _np(getattr(lam, n).kernel).transpose(3, 2, 0, 1))
    for n in ("norm_q", "norm_v"):
        bn = getattr(lam, n)
        _put_bn(getattr(twin.lam, n), [_np(w) for w in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)])
    _put_t(twin.head.weight, _np(head.kernel).T)
    _put_t(twin.head.bias, _np(head.bias))
    # the global pos_emb [n, n, k, u] of the tf.keras layer and the relative rel_pos_emb [2w-1, 2w-1, k, u] of the
    # PyTorch one are different parameterisations: no port, the latter new
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def _lambda_net(classes):
    import torch.nn as nn

    _lambda_path()
    from lambda_networks import LambdaLayer

    net = nn.Module()
    net.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
    net.blocks = nn.Sequential(*[nn.Sequential(LambdaLayer(16, dim_k=8, r=3, heads=4, dim_out=16),
                                               nn.BatchNorm2d(16), nn.ReLU()) for _ in range(3)])
    net.head = nn.Linear(16, classes)
    return net


def b_lambda_swa_averaged_to_backbone_new_head(d):
    import torch.nn as nn
    from torch.optim.swa_utils import AveragedModel

    src = _lambda_net(10)
    fill_random_torch(src, "lambda_net")
    swa = AveragedModel(src)
    swa.update_parameters(src)
    fill_random_torch(swa.module, "lambda_swa")
    sd = swa.state_dict()
    assert "n_averaged" in sd and "module.head.weight" in sd, sorted(sd)[:5]
    ck = _save_pt(d, sd, "swa_model.pt")
    tgt = nn.Module()
    tgt.backbone = nn.Module()
    tgt.backbone.stem = _lambda_net(10).stem
    tgt.backbone.blocks = _lambda_net(10).blocks
    tgt.head = nn.Linear(16, 5)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.stem.load_state_dict(swa.module.stem.state_dict())  # construction: the averaged backbone
    tgt.backbone.blocks.load_state_dict(swa.module.blocks.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 (and PyTorch <-> Keras 3)

def _np(w):
    import numpy as np

    return np.asarray(w.numpy())


def b_k3_convlstm_wh5_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((4, 12, 12, 2))
    lstm = L.ConvLSTM2D(8, 3, padding="same")
    head = L.Conv2D(3, 1)
    src = keras.Model(inp, head(lstm(inp)))
    fill_random(src.weights, "convlstm")
    ck = os.path.join(d, "ckpt", "convlstm.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.cell = nn.Module()
    twin.cell.x2h = nn.Conv2d(2, 32, 3, padding=1)
    twin.cell.h2h = nn.Conv2d(8, 32, 3, padding=1, bias=False)
    twin.head = nn.Conv2d(8, 3, 1)
    fill_random_torch(twin, "twin")
    k, rk, b = (_np(w) for w in lstm.weights)  # construction: HWIO -> OIHW, the gate order kept as it is
    _put_t(twin.cell.x2h.weight, k.transpose(3, 2, 0, 1))
    _put_t(twin.cell.x2h.bias, b)
    _put_t(twin.cell.h2h.weight, rk.transpose(3, 2, 0, 1))
    _put_t(twin.head.weight, _np(head.weights[0]).transpose(3, 2, 0, 1))
    _put_t(twin.head.bias, _np(head.weights[1]))
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_causal_dilated_conv_keras_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((64, 1))
    front = L.Conv1D(16, 2, padding="causal")
    dil = [L.Conv1D(16, 2, dilation_rate=2 ** i, padding="causal", activation="tanh") for i in range(3)]
    res = [L.Conv1D(16, 1) for _ in range(3)]
    out = L.Conv1D(4, 1)
    h = front(inp)
    for a, b in zip(dil, res, strict=True):
        h = L.Add()([h, b(a(h))])
    src = keras.Model(inp, out(L.ReLU()(h)))
    fill_random(src.weights, "wavenet")
    ck = os.path.join(d, "ckpt", "dilated.keras")
    src.save(ck)
    twin = nn.Module()
    twin.front = nn.Conv1d(1, 16, 2)
    twin.blocks = nn.ModuleList()
    for i in range(3):
        blk = nn.Module()
        blk.dilated = nn.Conv1d(16, 16, 2, dilation=2 ** i)
        blk.res = nn.Conv1d(16, 16, 1)
        twin.blocks.append(blk)
    twin.out = nn.Conv1d(16, 4, 1)
    fill_random_torch(twin, "twin")

    def put(m, lay):  # construction: [k, in, out] -> [out, in, k]
        _put_t(m.weight, _np(lay.weights[0]).transpose(2, 1, 0))
        _put_t(m.bias, _np(lay.weights[1]))

    put(twin.front, front)
    for blk, a, b in zip(twin.blocks, dil, res, strict=True):
        put(blk.dilated, a)
        put(blk.res, b)
    put(twin.out, out)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def _densenet(keras, top):
    from keras.src.applications import densenet  # the builder behind DenseNet121/169/201 (not exported)

    kw = dict(include_top=True, classes=10) if top else dict(include_top=False, pooling="max")
    return densenet.DenseNet([1, 2, 2, 1], weights=None, input_shape=(32, 32, 3), **kw)


def b_k3_densenet_builder_wh5_to_pooled_new_head(d):
    import keras
    import numpy as np

    keras.backend.clear_session()
    src = _densenet(keras, True)
    fill_random(h4._float(src.weights), "densenet")
    ck = os.path.join(d, "ckpt", "densenet_b1221.weights.h5")
    src.save_weights(ck)
    by_name = {lay.name: lay.get_weights() for lay in src.layers if lay.weights}
    keras.backend.clear_session()
    base = _densenet(keras, False)
    head = keras.layers.Dense(4, name="species")
    tgt = keras.Model(base.input, head(base.output))
    fill_random(h4._float(tgt.weights), "tgt")
    fresh = head.get_weights()
    for lay in base.layers:  # construction: the backbone by layer; the head new
        if lay.weights:
            lay.set_weights(by_name[lay.name])
    want = tgt.get_weights()
    # the oracle: Keras' own restore leaves the head as it is and loads every backbone weight
    keras.backend.clear_session()
    b2 = _densenet(keras, False)
    h2 = keras.layers.Dense(4, name="species")
    t2 = keras.Model(b2.input, h2(b2.output))
    fill_random(h4._float(t2.weights), "tgt")
    try:
        t2.load_weights(ck, skip_mismatch=True)
    except Exception as e:  # noqa: BLE001 - a refusal means Keras loads nothing into the new head either
        print("keras load_weights:", type(e).__name__, str(e)[:200])
    else:
        got = t2.get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(got[:-2], want[:-2], strict=True))
        assert all(np.array_equal(a, b) for a, b in zip(h2.get_weights(), fresh, strict=True))
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _conv_cls(keras, norm):
    from keras import layers as L

    inp = keras.Input((16, 16, 1))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Dense(32, activation="relu")(L.GlobalAveragePooling2D()(x))
    if norm:
        x = L.LayerNormalization()(x)
    return keras.Model(inp, L.Dense(5)(x))


def b_k3_layernorm_inserted_wh5(d):
    import keras
    import numpy as np

    keras.backend.clear_session()
    src = _conv_cls(keras, False)
    fill_random(src.weights, "convcls")
    ck = os.path.join(d, "ckpt", "convcls.weights.h5")
    src.save_weights(ck)
    sw = [lay.get_weights() for lay in src.layers if lay.weights]
    keras.backend.clear_session()
    tgt = _conv_cls(keras, True)
    fill_random(tgt.weights, "tgt")
    withw = [lay for lay in tgt.layers if lay.weights]
    norm = [lay for lay in withw if isinstance(lay, keras.layers.LayerNormalization)]
    fresh = norm[0].get_weights()
    for lay, w in zip([lay for lay in withw if lay not in norm], sw, strict=True):  # construction: in order
        lay.set_weights(w)
    want = [w for lay in withw if lay not in norm for w in lay.get_weights()]
    keras.backend.clear_session()
    t2 = _conv_cls(keras, True)
    fill_random(t2.weights, "tgt")
    try:  # the oracle: Keras' own restore loads every other layer and nothing into the new LayerNormalization
        t2.load_weights(ck)
    except ValueError as e:  # it says the LayerNormalization could not be loaded, after loading the rest
        assert "LayerNormalization" in str(e), e
    n2 = [lay for lay in t2.layers if isinstance(lay, keras.layers.LayerNormalization)][0]
    assert all(np.array_equal(a, b) for a, b in zip(n2.get_weights(), fresh, strict=True))
    rest = [w for lay in t2.layers if lay.weights and lay is not n2 for w in lay.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(rest, want, strict=True))
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_equal_branches_removed_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12,))
    stem = L.Dense(16, activation="relu")
    branches = [(L.Dense(16, activation="relu"), L.Dense(8)) for _ in range(3)]
    head = L.Dense(3)
    h = stem(inp)
    src = keras.Model(inp, head(L.Average()([b(a(h)) for a, b in branches])))
    fill_random(src.weights, "branches")
    ck = os.path.join(d, "ckpt", "branches.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.stem = nn.Linear(12, 16)
    twin.branches = nn.ModuleList([nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8)) for _ in range(2)])
    twin.head = nn.Linear(8, 3)
    fill_random_torch(twin, "twin")

    def put(m, lay):
        _put_t(m.weight, _np(lay.weights[0]).T)
        _put_t(m.bias, _np(lay.weights[1]))

    put(twin.stem, stem)
    put(twin.head, head)
    for seq, j in zip(twin.branches, (0, 2), strict=True):  # construction: branch 1 dropped
        put(seq[0], branches[j][0])
        put(seq[2], branches[j][1])
    values = _all(spec_and_values(twin, d), d)
    # the branches are equal: any two of the three, in order
    return [ck], read_h5(ck), values, sorted(n for n in values if n.startswith("branches."))


def b_torch_paramlist_to_k3_qkv_abstain(d):
    import keras
    import torch
    import torch.nn as nn
    from keras import layers as L

    src = nn.Module()
    src.proj = nn.Linear(12, 16)
    src.mix = nn.ParameterList([nn.Parameter(torch.zeros(16, 16)) for _ in range(3)])
    src.head = nn.Linear(16, 4)
    fill_random_torch(src, "paramlist")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "mixer_dp.pt")

    class QKV(L.Layer):
        def build(self, shape):
            self.query = self.add_weight(shape=(16, 16), name="query")
            self.key = self.add_weight(shape=(16, 16), name="key")
            self.value = self.add_weight(shape=(16, 16), name="value")

        def call(self, x):
            return keras.ops.tanh(x @ self.query) * (x @ self.key) + x @ self.value

    keras.backend.clear_session()
    inp = keras.Input((12,))
    d1, qkv, d2 = L.Dense(16, activation="relu", name="proj"), QKV(name="mixer"), L.Dense(4, name="head")
    tgt = keras.Model(inp, d2(qkv(d1(inp))))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    d1.set_weights([sd["proj.weight"].T, sd["proj.bias"]])  # construction: Linear [out, in] -> Dense [in, out]
    d2.set_weights([sd["head.weight"].T, sd["head.bias"]])
    qkv.set_weights([sd["mix.0"], sd["mix.1"], sd["mix.2"]])  # in order, as they are
    values = _all(spec_and_values(tgt, d), d)
    amb = sorted(n for n in values if "mixer" in n)
    assert len(amb) == 3, amb
    return [ck], read_torch(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _arrays(seed, spec):
    return {n: distinct(seed + "|" + n, shp) for n, shp in spec}


_WIDE_DEEP = [("linear/linear_model/user_id/weights", (50, 1)), ("linear/linear_model/item_id/weights", (80, 1)),
              ("linear/linear_model/bias_weights", (1,)),
              ("input_layer/user_embedding/embedding_weights", (50, 8)),
              ("input_layer/item_embedding/embedding_weights", (80, 8)),
              ("dnn/hiddenlayer_0/kernel", (20, 32)), ("dnn/hiddenlayer_0/bias", (32,)),
              ("dnn/hiddenlayer_1/kernel", (32, 16)), ("dnn/hiddenlayer_1/bias", (16,)),
              ("dnn/logits/kernel", (16, 1)), ("dnn/logits/bias", (1,))]


def b_tf1_wide_deep_adagrad_to_torch(d):
    import torch
    import torch.nn as nn

    a = _arrays("widedeep", _WIDE_DEEP)
    prefix = _tf1_write(d, a, ("Adagrad",))
    twin = nn.Module()
    twin.wide = nn.Module()
    twin.wide.user = nn.Embedding(50, 1)
    twin.wide.item = nn.Embedding(80, 1)
    twin.wide.bias = nn.Parameter(torch.zeros(1))
    twin.deep = nn.Module()
    twin.deep.user_emb = nn.Embedding(50, 8)
    twin.deep.item_emb = nn.Embedding(80, 8)
    twin.deep.mlp = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
    twin.deep.out = nn.Linear(16, 1)
    fill_random_torch(twin, "twin")
    put = {"wide.user.weight": "linear/linear_model/user_id/weights",  # construction: [in, out] -> [out, in]
           "wide.item.weight": "linear/linear_model/item_id/weights",
           "wide.bias": "linear/linear_model/bias_weights",
           "deep.user_emb.weight": "input_layer/user_embedding/embedding_weights",
           "deep.item_emb.weight": "input_layer/item_embedding/embedding_weights",
           "deep.mlp.0.bias": "dnn/hiddenlayer_0/bias", "deep.mlp.2.bias": "dnn/hiddenlayer_1/bias",
           "deep.out.bias": "dnn/logits/bias"}
    params = dict(twin.named_parameters())
    for k, n in put.items():
        _put_t(params[k], a[n])
    for k, n in (("deep.mlp.0.weight", "dnn/hiddenlayer_0/kernel"), ("deep.mlp.2.weight", "dnn/hiddenlayer_1/kernel"),
                 ("deep.out.weight", "dnn/logits/kernel")):
        _put_t(params[k], a[n].T)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf1_ensemble_members_to_torch_abstain(d):
    import torch
    import torch.nn as nn

    spec = [("ensemble/combiner/weights", (3,))]
    for i in range(3):
        spec += [(f"ensemble/member_{i}/dense/kernel", (10, 16)), (f"ensemble/member_{i}/dense/bias", (16,)),
                 (f"ensemble/member_{i}/dense_1/kernel", (16, 3)), (f"ensemble/member_{i}/dense_1/bias", (3,))]
    a = _arrays("ensemble", spec)
    prefix = _tf1_write(d, a, ("Adam", "Adam_1"))
    twin = nn.Module()
    twin.members = nn.ModuleDict({k: nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
                                  for k in ("alpha", "beta", "gamma")})
    twin.combiner = nn.Parameter(torch.zeros(3))
    fill_random_torch(twin, "twin")
    _put_t(twin.combiner, a["ensemble/combiner/weights"])
    for i, k in enumerate(("alpha", "beta", "gamma")):  # construction: member i -> the i-th key
        m = twin.members[k]
        _put_t(m[0].weight, a[f"ensemble/member_{i}/dense/kernel"].T)
        _put_t(m[0].bias, a[f"ensemble/member_{i}/dense/bias"])
        _put_t(m[2].weight, a[f"ensemble/member_{i}/dense_1/kernel"].T)
        _put_t(m[2].bias, a[f"ensemble/member_{i}/dense_1/bias"])
    values = _all(spec_and_values(twin, d), d)
    # three equal members, keys without an index: which member is which key no file says
    return [_rel(prefix, d)], read_tf(prefix), values, sorted(n for n in values if n.startswith("members."))


def _tagger(scope, proj):
    import tensorflow as tf

    L = tf.compat.v1.layers
    ids = tf.compat.v1.placeholder(tf.int32, (None, 8))
    with tf.compat.v1.variable_scope(scope):
        emb = tf.compat.v1.get_variable("embedding", (100, 16))
        h = tf.nn.embedding_lookup(emb, ids)
        h = L.dense(h, 32, activation=tf.nn.relu, name="enc_0")
        h = L.dense(h, 24, activation=tf.nn.relu, name="enc_1")
        if proj:
            h = L.dense(h, 24, activation=tf.nn.relu, name="proj")
        return L.dense(h, 5, name="logits")


def b_tf1_tagger_scope_renamed_layer_removed(d):
    import tensorflow as tf

    names = []

    def src():
        out = _tagger("model", True)
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdagradOptimizer(0.1))
    stored = read_tf(prefix)
    assert "model/proj/kernel/Adagrad" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        _tagger("tagger", False)
    amap = {n: "tagger/" + n[len("model/"):] for n in names if "/proj/" not in n}
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


def _audio_net():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 32, 1))
    with tf.compat.v1.variable_scope("net"):
        h = L.conv1d(x, 8, 5, activation=tf.nn.relu, name="conv_0")
        h = L.conv1d(h, 16, 3, use_bias=False, name="conv_1")
        h = tf.nn.relu(L.batch_normalization(h, name="bn_1"))
        return L.dense(tf.reduce_mean(h, axis=1), 12, name="embed")


def b_tf1_conv1d_wrapper_scope_new_classifier(d):
    import tensorflow as tf

    names = []

    def src():
        out = _audio_net()
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.1, 0.9))
    stored = read_tf(prefix)
    assert "net/bn_1/moving_mean" in stored and "net/conv_1/kernel/Momentum" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("model"):
            tf.compat.v1.layers.dense(_audio_net(), 4, name="classifier")
    values = tp._tf1_target(g, d, {n: "model/" + n for n in names}, prefix)  # init_from_checkpoint
    assert "model/classifier/kernel" in values, sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


_SLIM = [("cnn/conv1/weights", (3, 3, 3, 16)), ("cnn/conv2/weights", (3, 3, 16, 32)),
         ("cnn/fc/weights", (32, 10)), ("cnn/fc/biases", (10,))]
_BN = ("gamma", "beta", "moving_mean", "moving_variance")


def b_tf1_slim_bn_cnn_to_k3(d):
    import keras
    from keras import layers as L

    spec = list(_SLIM) + [(f"cnn/conv{i}/BatchNorm/{p}", (c,)) for i, c in ((1, 16), (2, 32)) for p in _BN]
    a = _arrays("slimcnn", spec)
    prefix = _tf1_write(d, a, ())  # an inference export: no slots, a global_step
    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    c1, b1 = L.Conv2D(16, 3, padding="same", use_bias=False), L.BatchNormalization()
    c2, b2 = L.Conv2D(32, 3, padding="same", use_bias=False), L.BatchNormalization()
    fc = L.Dense(10)
    x = L.ReLU()(b1(c1(inp)))
    x = L.ReLU()(b2(c2(x)))
    tgt = keras.Model(inp, fc(L.GlobalAveragePooling2D()(x)))
    fill_random(h4._float(tgt.weights), "tgt")
    c1.set_weights([a["cnn/conv1/weights"]])  # construction: HWIO as it is; BN gamma, beta, mean, variance
    c2.set_weights([a["cnn/conv2/weights"]])
    b1.set_weights([a[f"cnn/conv1/BatchNorm/{p}"] for p in _BN])
    b2.set_weights([a[f"cnn/conv2/BatchNorm/{p}"] for p in _BN])
    fc.set_weights([a["cnn/fc/weights"], a["cnn/fc/biases"]])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_module_recsys_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    class RecSys(tf.Module):
        def __init__(self):
            super().__init__()
            self.tables = {"user": _tf_var("user", (60, 8)), "item": _tf_var("item", (90, 8)),
                           "genre": _tf_var("genre", (12, 4))}
            self.mlp = [{"w": _tf_var("m0w", (20, 32)), "b": _tf_var("m0b", (32,))},
                        {"w": _tf_var("m1w", (32, 16)), "b": _tf_var("m1b", (16,))}]
            self.out_w, self.out_b = _tf_var("ow", (16, 1)), _tf_var("ob", (1,))

    m = RecSys()
    prefix = tf.train.Checkpoint(model=m, step=tf.Variable(5000, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-5000"))
    twin = nn.Module()
    twin.embeddings = nn.ModuleDict({"user_vectors": nn.Embedding(60, 8), "item_vectors": nn.Embedding(90, 8),
                                     "genre_vectors": nn.Embedding(12, 4)})
    twin.tower = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
    twin.score = nn.Linear(16, 1)
    fill_random_torch(twin, "twin")
    # construction: the tables by key; [in, out] -> [out, in]
    for k, t in (("user_vectors", "user"), ("item_vectors", "item"), ("genre_vectors", "genre")):
        _put_t(twin.embeddings[k].weight, _np(m.tables[t]))
    for lin, lay in ((twin.tower[0], m.mlp[0]), (twin.tower[2], m.mlp[1])):
        _put_t(lin.weight, _np(lay["w"]).T)
        _put_t(lin.bias, _np(lay["b"]))
    _put_t(twin.score.weight, _np(m.out_w).T)
    _put_t(twin.score.bias, _np(m.out_b))
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_tfkeras_functional_adam_to_k3_bn_added(d):
    import keras
    import numpy as np
    import tensorflow as tf
    import tf_keras
    from keras import layers as L

    inp = tf_keras.Input((20,))
    ds = [tf_keras.layers.Dense(32, activation="relu"), tf_keras.layers.Dense(24, activation="relu"),
          tf_keras.layers.Dense(5)]
    m = tf_keras.Model(inp, ds[2](ds[1](ds[0](inp))))
    opt = tf_keras.optimizers.Adam(0.01)
    x = tf.constant(np.arange(40, dtype="float32").reshape(2, 20))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(m(x)))
    opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables, strict=True))
    fill_random(m.weights, "mlp")
    fill_random([v for v in opt.variables if v.dtype == tf.float32], "slots")
    prefix = tf.train.Checkpoint(model=m, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    stored = read_tf(prefix)
    assert any("layer_with_weights-1" in k for k in stored), sorted(stored)[:10]
    keras.backend.clear_session()
    i2 = keras.Input((20,))
    ks = [L.Dense(32, activation="relu"), L.Dense(24, activation="relu"), L.Dense(5)]
    bn = L.BatchNormalization()
    tgt = keras.Model(i2, ks[2](ks[1](bn(ks[0](i2)))))
    fill_random(h4._float(tgt.weights), "tgt")
    for k, s in zip(ks, ds, strict=True):  # construction: the Dense layers in order; the BatchNormalization new
        k.set_weights(s.get_weights())
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def b_tf2_module_equal_heads_to_torch_abstain(d):
    import tensorflow as tf
    import torch.nn as nn

    class MultiTask(tf.Module):
        def __init__(self):
            super().__init__()
            self.trunk_w, self.trunk_b = _tf_var("tw", (10, 16)), _tf_var("tb", (16,))
            self.heads = [{"w": _tf_var(f"h{i}w", (16, 8)), "b": _tf_var(f"h{i}b", (8,))} for i in range(3)]

    m = MultiTask()
    prefix = tf.train.Checkpoint(net=m).write(os.path.join(d, "ckpt", "ckpt-1"))
    twin = nn.Module()
    twin.trunk = nn.Linear(10, 16)
    twin.heads = nn.ModuleDict({k: nn.Linear(16, 8) for k in ("sentiment", "topic", "language")})
    fill_random_torch(twin, "twin")
    _put_t(twin.trunk.weight, _np(m.trunk_w).T)
    _put_t(twin.trunk.bias, _np(m.trunk_b))
    for i, k in enumerate(("sentiment", "topic", "language")):  # construction: head i -> the i-th task
        _put_t(twin.heads[k].weight, _np(m.heads[i]["w"]).T)
        _put_t(twin.heads[k].bias, _np(m.heads[i]["b"]))
    values = _all(spec_and_values(twin, d), d)
    # three equal heads in a list, tasks named only on the model side: which index is which task no file says
    return [_rel(prefix, d)], read_tf(prefix), values, sorted(n for n in values if n.startswith("heads."))


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout18's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    if PACKAGES:
        tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
