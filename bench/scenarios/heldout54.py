"""A fifty-fourth held-out part of alignment scenarios (``--part heldout54``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the timm wheel into $CKPT_DOCTOR_MATERIAL54, default
/work/coord/material-heldout54, unpacked there; nothing installed; source and licence in NOTICE; nothing of it is
committed): Ross Wightman's PyTorch Image Models, timm 1.0.31, its model definitions in tiny configurations
(`timm.models.convnext.ConvNeXt`: `stem.0` / `stem.1`, `stages.N.downsample.0|1`, `stages.N.blocks.M.conv_dw`,
`.norm`, `.mlp.fc1|fc2`, the layer scale `.gamma`, `head.norm`, `head.fc`; `SwinTransformer`, `VisionTransformer`,
`MlpMixer`, MobileNetV3 through `timm.create_model`) and its published checkpoint converters, the truth of three
scenarios: ConvNeXt's `checkpoint_filter_fn` (Facebook's original ConvNeXt names `downsample_layers.N.M`,
`stages.N.M.dwconv`, `pwconv1`, `head`, `norm`; open_clip's `visual.trunk.` / `visual.head.proj`) and Swin's
(the original Swin checkpoints' patch merging at the end of a stage, `layers.N.downsample`, -> timm's at the start of
the next, `head` -> `head.fc`, the `relative_position_index` / `attn_mask` buffers dropped). timm's `timm.data`
package (image pipelines: PIL, torchvision) is entered as a bare package holding its constants and config helpers,
and torchvision's `FrozenBatchNorm2d`, which timm's norm layers import, is stubbed (never used).
And models written for this part: a Keras 3 functional twin of timm's ConvNeXt (Conv2D stem and downsampling,
LayerNormalization, DepthwiseConv2D `dwconv` (kernel [7, 7, C, 1] against torch's [C, 1, 7, 7]), Dense `pwconv1` /
`pwconv2`, a custom `LayerScale` layer holding `gamma`), saved as `.weights.h5` and `.keras` or in a
tf.train.Checkpoint with Adam slots; TF1 Saver checkpoints of a ConvNeXt in tf.compat.v1 scope names, trained one
step by AdamOptimizer or MomentumOptimizer (their slots, `beta1_power`, `global_step`), written by `Saver().save`
with its `.meta` beside; Lightning-style (`model.`, and a timm ModelEmaV3 copy `model_ema.module.`), DataParallel
and torch.compile'd checkpoints.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by timm's converter or the scenario's construction (by
name into the same architecture, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout54.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout54.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout54.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout54        # score (once)
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
PART = "heldout54"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np = h24._save_pt, h24._np


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # timm in PyTorch, its converters
    _s("h54_fb_convnext_to_timm", "Facebook's original ConvNeXt state dict `.pth` (`downsample_layers.0.0.weight`, "
       "`stages.1.0.dwconv.weight`, `stages.0.1.pwconv2.bias`, `stages.2.0.gamma`, `norm.weight`, `head.weight`) -> "
       "timm's ConvNeXt (`stem.0`, `stages.1.downsample.1`, `stages.1.blocks.0.conv_dw`, `mlp.fc2`, `head.norm`, "
       "`head.fc`; truth: timm's convnext checkpoint_filter_fn)"),
    _s("h54_openclip_convnext_to_timm", "open_clip ConvNeXt CLIP `open_clip_model.safetensors` (`visual.trunk.stages."
       "N.blocks.M.*`, `visual.head.proj.weight`, a text tower `transformer.resblocks.N.*`, `token_embedding`, "
       "`logit_scale`) -> timm's ConvNeXt (the text tower unused; timm's converter makes `head.fc.bias` zeros: new; "
       "truth: timm's convnext checkpoint_filter_fn)"),
    _s("h54_swin_original_to_timm", "original Swin Transformer `.pth` (patch merging at the end of a stage, "
       "`layers.0.downsample.reduction.weight`, `head.weight`, int `relative_position_index` buffers) -> timm's "
       "SwinTransformer (merging at the start of the next stage, `layers.1.downsample.reduction.weight`, "
       "`head.fc.weight`; truth: timm's swin checkpoint_filter_fn)"),
    _s("h54_lightning_ema_abstain", "Lightning-style state_dict of a module holding a timm ConvNeXt and its "
       "ModelEmaV3 copy (`model.stages.0.blocks.0.conv_dw.weight`, `model_ema.module.stages.0.blocks.0.conv_dw."
       "weight`) -> the bare ConvNeXt, filled from the EMA copy by construction (which copy no file says: must "
       "abstain on all)", "abstain"),
    _s("h54_swin_ensemble_abstain", "`.pt` of an ensemble of two equal timm SwinTransformers (`members.0.layers.1."
       "blocks.0.attn.qkv.weight`, `members.1.head.fc.bias`) -> one SwinTransformer (the first member by "
       "construction; which member no file says: must abstain on all)", "abstain"),
    _s("h54_lightning_mixer_new_head", "Lightning-style `model.` state_dict of timm's MlpMixer with 10 classes -> "
       "MlpMixer with 7 classes (`head.weight` / `head.bias` new, the rest decided; truth: construction)"),
    _s("h54_compiled_mobilenetv3_to_plain", "torch.compile'd timm mobilenetv3_small_050 saved as safetensors "
       "(`_orig_mod.blocks.2.0.conv_pw.weight`, BatchNorm statistics) -> the plain model (truth: construction)"),
    _s("h54_vit_block_removed_abstain", "timm VisionTransformer `.pth` of 3 equal blocks -> one of 2 (its blocks the "
       "file's 0 and 2 by construction; which went no file says: must abstain on the blocks; patch_embed, "
       "cls_token, pos_embed, norm, head decided)", "abstain"),
    _s("h54_dp_convnext_block_removed_abstain", "DataParallel `.pt` (`module.`) of a timm ConvNeXt with 3 blocks in "
       "stage 0 -> one with 2 (the file's blocks 0 and 2 by construction; which went no file says: must abstain on "
       "stage 0's blocks)", "abstain"),
    # the Keras 3 twin
    _s("h54_k3_convnext_weights_h5_to_timm", "Keras 3 `.weights.h5` of the functional ConvNeXt twin "
       "(`layers/depthwise_conv2d/vars/0`, `layers/layer_scale_2/vars/0`, `layers/layer_normalization_5/vars/1`) -> "
       "timm's ConvNeXt (kernels transposed, conv kernels HWIO -> OIHW, the depthwise kernel [7, 7, C, 1] -> "
       "[C, 1, 7, 7]; truth: construction)", "cross", "keras3"),
    _s("h54_timm_convnext_to_k3_twin", "timm ConvNeXt `model.pth` -> the Keras 3 ConvNeXt twin "
       "(`stage_0_block_1_dwconv/kernel`, `stage_2_downsample_norm/gamma`, `stage_3_block_0_layer_scale/gamma`; "
       "truth: construction)", "cross", "keras3"),
    _s("h54_k3_keras_new_head_to_timm", "Keras 3 `.keras` of the ConvNeXt twin with 5 classes -> timm's ConvNeXt "
       "with 7 (`head.fc` new; truth: construction)", "cross", "keras3"),
    _s("h54_tf2_k3_convnext_adam_to_timm", "tf.train.Checkpoint(model=, optimizer=) of the Keras 3 ConvNeXt twin "
       "with its Adam slots (`optimizer/_trainable_variables/N`, `optimizer/_variables/N`) -> timm's ConvNeXt "
       "(truth: construction)", "cross", "tf2", "keras3"),
    _s("h54_k3_convnext_autonumbered", "Keras 3 `.weights.h5` of the ConvNeXt twin built with Keras' automatic "
       "layer names -> the same twin built second in its session (`conv2d_4/kernel`, `depthwise_conv2d_5/bias`, "
       "`layer_scale_5/gamma`, `dense_11/kernel`; the file's `layers/conv2d/vars/0` ..; truth: construction in layer "
       "order)", "keras3"),
    _s("h54_fb_convnext_to_k3_twin", "Facebook's original ConvNeXt state dict `.pth` (`downsample_layers.N.M`, "
       "`stages.N.M.pwconv1`) -> the Keras 3 ConvNeXt twin (truth: timm's convnext checkpoint_filter_fn into "
       "timm's ConvNeXt, then construction layer by layer)", "cross", "keras3"),
    _s("h54_k3_block_removed_to_timm_abstain", "Keras 3 `.keras` of the ConvNeXt twin with 3 blocks in stage 0 -> "
       "timm's ConvNeXt with 2 (the file's blocks 0 and 2 by construction; which went no file says: must abstain "
       "on stage 0's blocks)", "cross", "keras3", "abstain"),
    # TF1 Saver checkpoints with their .meta
    _s("h54_tf1_convnext_adam_to_timm", "TF1 Saver checkpoint with its `.meta` of a ConvNeXt in tf.compat.v1 scope "
       "names (`convnext/stage_1/block_0/dwconv/depthwise_kernel`, `convnext/stem/norm/gamma`, `convnext/head/fc/"
       "kernel`, their `/Adam` and `/Adam_1` slots, `beta1_power`, `global_step`) -> timm's ConvNeXt (truth: "
       "construction)", "cross", "tf1"),
    _s("h54_tf1_tower_convnext_momentum_to_k3", "TF1 Saver checkpoint with its `.meta` of a ConvNeXt under "
       "`tower_0/` trained by MomentumOptimizer (`tower_0/convnext/stage_0/block_1/pwconv1/kernel/Momentum`) -> the "
       "Keras 3 ConvNeXt twin (truth: construction)", "tf1", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL54", "/work/coord/material-heldout54")
PACKAGES = ["timm==1.0.31"]
DEPTHS, DIMS, NCLS = (2, 1, 1, 1), (4, 8, 12, 16), 5


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _t(p):
    return _np(p.detach())


def _copy(dst, src_sd, rename=lambda k: k, skip=()):
    import torch

    with torch.no_grad():
        for k, t in dst.state_dict().items():
            if not k.startswith(tuple(skip)):
                t.copy_(src_sd[rename(k)])


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def _timm():
    """timm from the unpacked wheel. Its `timm.data` package imports the image pipelines (PIL, torchvision): entered
    as a bare package holding its constants and config helpers; torchvision's FrozenBatchNorm2d, imported by timm's
    norm layers, stubbed (never used)."""
    import importlib
    import types

    path = os.path.join(MATERIAL, "timm")
    if path not in sys.path:
        sys.path.insert(0, path)
    if "timm.data" not in sys.modules:
        import torch

        tv, ops, misc = (types.ModuleType(n) for n in ("torchvision", "torchvision.ops", "torchvision.ops.misc"))

        class FrozenBatchNorm2d(torch.nn.Module):  # stub: never used
            pass

        misc.FrozenBatchNorm2d, tv.ops, ops.misc = FrozenBatchNorm2d, ops, misc
        for m in (tv, ops, misc):
            sys.modules.setdefault(m.__name__, m)
        data = types.ModuleType("timm.data")
        data.__path__ = [os.path.join(path, "timm", "data")]
        sys.modules["timm.data"] = data
        for n in ("constants", "config"):
            mod = importlib.import_module("timm.data." + n)
            data.__dict__.update({k: v for k, v in vars(mod).items() if not k.startswith("_")})
    import timm
    import timm.models.convnext
    import timm.models.swin_transformer
    import timm.models.vision_transformer

    assert timm.__version__ == "1.0.31", timm.__version__
    return timm


def _convnext(depths=DEPTHS, ncls=NCLS, seed="convnext_init"):
    m = _timm().models.convnext.ConvNeXt(depths=depths, dims=DIMS, num_classes=ncls)
    fill_random_torch(m, seed)
    return m


def _skip_block1(k):  # construction: stage 0's blocks are the file's 0 and 2
    return k.replace("stages.0.blocks.1.", "stages.0.blocks.2.", 1)


# ---------------------------------------------------------------------------------------------------------
# timm's converters

def _fb_names(sd):
    """Facebook's ConvNeXt repository names (convnext.py there: `downsample_layers` holds the stem and the
    downsampling layers, `stages.N.M` the blocks, `dwconv` / `pwconv1` / `pwconv2`, `norm`, `head`); what timm's
    converter reads."""
    import re

    out = {}
    for k, v in sd.items():
        k = k.replace("stem.", "downsample_layers.0.")
        k = re.sub(r"stages\.([0-9]+)\.downsample\.", r"downsample_layers.\1.", k)
        k = re.sub(r"stages\.([0-9]+)\.blocks\.", r"stages.\1.", k)
        k = k.replace("conv_dw", "dwconv").replace("mlp.fc", "pwconv")
        k = k.replace("head.norm.", "norm.").replace("head.fc.", "head.")
        out[k] = v
    return out


def _fb_convnext(d):
    """An original-format ConvNeXt `.pth` and timm's ConvNeXt filled by timm's converter of it (the truth)."""
    import torch

    src = _convnext(seed="fb")
    sd = _fb_names(src.state_dict())
    ck = _save_pt(d, sd, "convnext_atto_1k_224_ema.pth")
    stored = read_torch(ck)
    assert "downsample_layers.2.1.weight" in stored and "stages.0.1.pwconv2.bias" in stored, sorted(stored)
    m = _convnext(seed="tgt")
    conv = _timm().models.convnext.checkpoint_filter_fn(torch.load(ck, map_location="cpu"), m)
    m.load_state_dict(conv)  # strict: the converter's names are timm's
    return ck, stored, m


def b_fb_convnext_to_timm(d):
    ck, stored, m = _fb_convnext(d)
    return [ck], stored, _pt_values(m, d), []


def b_openclip_convnext_to_timm(d):
    import torch
    from safetensors.torch import load_file, save_file

    src = _convnext(seed="openclip")
    sd = {"visual.trunk." + k: v for k, v in src.state_dict().items() if not k.startswith("head.fc.")}
    sd["visual.head.proj.weight"] = src.head.fc.weight.detach()  # open_clip's bias-free projection
    g = torch.Generator().manual_seed(54)
    for k, shape in (("positional_embedding", (8, 16)), ("token_embedding.weight", (40, 16)),
                     ("transformer.resblocks.0.ln_1.weight", (16,)), ("transformer.resblocks.0.attn.in_proj_weight",
                                                                      (48, 16)),
                     ("transformer.resblocks.0.attn.out_proj.weight", (16, 16)),
                     ("transformer.resblocks.0.mlp.c_fc.weight", (64, 16)), ("ln_final.weight", (16,)),
                     ("text_projection", (16, 5)), ("logit_scale", ())):
        sd[k] = torch.randn(shape, generator=g)
    ck = os.path.join(d, "ckpt", "open_clip_model.safetensors")
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _convnext(seed="tgt")
    conv = _timm().models.convnext.checkpoint_filter_fn(load_file(ck), m)  # timm's converter: the truth
    assert not torch.any(conv["head.fc.bias"]), "open_clip's head has no bias"
    m.load_state_dict(conv)
    return [ck], stored, _pt_values(m, d), []


def _swin(seed, ncls=NCLS):
    m = _timm().models.swin_transformer.SwinTransformer(img_size=32, patch_size=4, window_size=4, embed_dim=8,
                                                        depths=(2, 1, 1), num_heads=(1, 2, 2), num_classes=ncls)
    fill_random_torch(m, seed)
    return m


def b_swin_original_to_timm(d):
    import re

    import torch

    src = _swin("swin_orig")
    sd = {}
    for k, v in src.state_dict().items():  # the original repository's layout: merging at the end of a stage
        k = re.sub(r"layers\.(\d+)\.downsample", lambda x: f"layers.{int(x.group(1)) - 1}.downsample", k)
        sd[k.replace("head.fc.", "head.")] = v
    for name, mod in src.named_modules():  # the original's persistent int buffers
        if name.endswith(".attn"):
            n = mod.window_area
            sd[name + ".relative_position_index"] = torch.arange(n * n).reshape(n, n) % (2 * n)
    ck = _save_pt(d, sd, "swin_tiny_patch4_window7_224.pth")
    stored = read_torch(ck)
    assert "layers.0.downsample.reduction.weight" in stored and "head.weight" in stored, sorted(stored)
    m = _swin("tgt")
    conv = _timm().models.swin_transformer.checkpoint_filter_fn(torch.load(ck, map_location="cpu"), m)
    m.load_state_dict(conv)  # timm's converter: the truth
    return [ck], stored, _pt_values(m, d), []


def b_lightning_ema_abstain(d):
    import copy
    import importlib

    src = _convnext(seed="live")
    ema = importlib.import_module("timm.utils.model_ema").ModelEmaV3(src, decay=0.999)
    fill_random_torch(ema.module, "ema")
    sd = {"model." + k: v for k, v in src.state_dict().items()}
    sd.update({"model_ema." + k: v for k, v in ema.state_dict().items()})
    assert "model_ema.module.stem.0.weight" in sd, sorted(sd)
    ck = _save_pt(d, sd, "lightning_state_dict.pt")
    stored = read_torch(ck)
    m = _convnext(seed="tgt")
    _copy(m, copy.deepcopy(ema.module).state_dict())  # construction: the EMA weights
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_swin_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_swin("member0"), _swin("member1")])
    ck = _save_pt(d, ens.state_dict(), "swin_ensemble.pt")
    stored = read_torch(ck)
    assert "members.1.layers.2.downsample.reduction.weight" in stored, sorted(stored)
    m = _swin("tgt")
    _copy(m, ens.members[0].state_dict())  # construction: the first member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def _mixer(ncls, seed):
    m = _timm().models.mlp_mixer.MlpMixer(num_classes=ncls, img_size=32, patch_size=8, num_blocks=2, embed_dim=16)
    fill_random_torch(m, seed)
    return m


def b_lightning_mixer_new_head(d):
    src = _mixer(10, "mixer10")
    ck = _save_pt(d, {"model." + k: v for k, v in src.state_dict().items()}, "mixer-epoch=4.pt")
    stored = read_torch(ck)
    m = _mixer(7, "tgt")
    _copy(m, src.state_dict(), skip=("head.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_compiled_mobilenetv3_to_plain(d):
    import torch
    from safetensors.torch import save_file

    timm = _timm()
    src = timm.create_model("mobilenetv3_small_050", pretrained=False, num_classes=10)
    fill_random_torch(src, "mnv3")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = timm.create_model("mobilenetv3_small_050", pretrained=False, num_classes=10)
    fill_random_torch(m, "tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def _vit(depth, seed):
    m = _timm().models.vision_transformer.VisionTransformer(img_size=32, patch_size=8, embed_dim=16, depth=depth,
                                                            num_heads=2, num_classes=NCLS)
    fill_random_torch(m, seed)
    return m


def b_vit_block_removed_abstain(d):
    src = _vit(3, "vit3")
    ck = _save_pt(d, src.state_dict(), "vit_3blocks.pth")
    stored = read_torch(ck)
    m = _vit(2, "tgt")
    _copy(m, src.state_dict(), lambda k: k.replace("blocks.1.", "blocks.2.", 1) if k.startswith("blocks.") else k)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("blocks.")]
    assert len(amb) == 2 * 12, amb
    return [ck], stored, values, amb


def b_dp_convnext_block_removed_abstain(d):
    import torch.nn as nn

    src = _convnext(depths=(3, 1, 1, 1), seed="dp3")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "convnext_dp.pt")
    stored = read_torch(ck)
    assert "module.stages.0.blocks.2.gamma" in stored, sorted(stored)
    m = _convnext(seed="tgt")
    _copy(m, src.state_dict(), _skip_block1)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("stages.0.blocks.")]
    assert len(amb) == 2 * 9, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# The Keras 3 twin of timm's ConvNeXt

def _plan(depths=DEPTHS):
    """(scope, timm module path, kind) of every weighted layer of timm's ConvNeXt, in order."""
    out = [("stem/conv", "stem.0", "conv"), ("stem/norm", "stem.1", "ln")]
    for i, dep in enumerate(depths):
        if i:
            out += [(f"stage_{i}/downsample/norm", f"stages.{i}.downsample.0", "ln"),
                    (f"stage_{i}/downsample/conv", f"stages.{i}.downsample.1", "conv")]
        for j in range(dep):
            s, b = f"stage_{i}/block_{j}", f"stages.{i}.blocks.{j}"
            out += [(s + "/dwconv", b + ".conv_dw", "dw"), (s + "/norm", b + ".norm", "ln"),
                    (s + "/pwconv1", b + ".mlp.fc1", "lin"), (s + "/pwconv2", b + ".mlp.fc2", "lin"),
                    (s + "/layer_scale", b, "scale")]
    return out + [("head/norm", "head.norm", "ln"), ("head/fc", "head.fc", "lin")]


_TORCH_NAMES = {"conv": ("weight", "bias"), "dw": ("weight", "bias"), "ln": ("weight", "bias"),
                "lin": ("weight", "bias"), "scale": ("gamma",)}
TF_NAMES = {"conv": ("kernel", "bias"), "dw": ("depthwise_kernel", "bias"), "ln": ("gamma", "beta"),
            "lin": ("kernel", "bias"), "scale": ("gamma",)}


def _to_keras_layout(kind, arrays):
    w = arrays[0]
    if kind == "conv":
        w = w.transpose(2, 3, 1, 0)  # OIHW -> HWIO
    elif kind == "dw":
        w = w.transpose(2, 3, 0, 1)  # [C, 1, h, w] -> [h, w, C, 1]
    elif kind == "lin":
        w = w.T
    return [w, *arrays[1:]]


def _to_torch_layout(kind, arrays):
    w = _np(arrays[0])
    if kind == "conv":
        w = w.transpose(3, 2, 0, 1)
    elif kind == "dw":
        w = w.transpose(2, 3, 0, 1)
    elif kind == "lin":
        w = w.T
    return [w, *(_np(a) for a in arrays[1:])]


def _torch_params(net, path, kind):
    p = dict(net.named_parameters())
    return [p[f"{path}.{n}"] for n in _TORCH_NAMES[kind]]


_LS = []


def _layer_scale():
    """A Keras 3 layer holding a ConvNeXt block's layer scale `gamma` [C]."""
    if _LS:
        return _LS[0]
    import keras

    @keras.saving.register_keras_serializable(package="heldout54")
    class LayerScale(keras.layers.Layer):
        def build(self, shape):
            self.gamma = self.add_weight(shape=(shape[-1],), initializer="ones", name="gamma")

        def call(self, x):
            return x * self.gamma

    _LS.append(LayerScale)
    return LayerScale


def _k3_convnext(depths=DEPTHS, ncls=NCLS, clear=True, named=True):
    """A functional Keras 3 twin of timm's ConvNeXt (NHWC), its layers named after _plan's scopes (or Keras' own
    automatic names)."""
    import keras

    if clear:
        keras.backend.clear_session()
    L, LS = keras.layers, _layer_scale()

    def nm(scope):
        return scope.replace("/", "_") if named else None

    inp = keras.Input((32, 32, 3), name="pixels")
    x = L.Conv2D(DIMS[0], 4, strides=4, name=nm("stem_conv"))(inp)
    x = L.LayerNormalization(epsilon=1e-6, name=nm("stem_norm"))(x)
    for i, dep in enumerate(depths):
        if i:
            x = L.LayerNormalization(epsilon=1e-6, name=nm(f"stage_{i}/downsample/norm"))(x)
            x = L.Conv2D(DIMS[i], 2, strides=2, name=nm(f"stage_{i}/downsample/conv"))(x)
        for j in range(dep):
            s = f"stage_{i}/block_{j}/"
            h = L.DepthwiseConv2D(7, padding="same", name=nm(s + "dwconv"))(x)
            h = L.LayerNormalization(epsilon=1e-6, name=nm(s + "norm"))(h)
            h = L.Dense(4 * DIMS[i], activation="gelu", name=nm(s + "pwconv1"))(h)
            h = L.Dense(DIMS[i], name=nm(s + "pwconv2"))(h)
            x = L.Add()([x, LS(name=nm(s + "layer_scale"))(h)])
    x = L.GlobalAveragePooling2D()(x)
    x = L.LayerNormalization(epsilon=1e-6, name=nm("head_norm"))(x)
    return keras.Model(inp, L.Dense(ncls, name=nm("head_fc"))(x), name="convnext")


def _k3_from_torch(km, net, depths=DEPTHS):
    for scope, path, kind in _plan(depths):
        km.get_layer(scope.replace("/", "_")).set_weights(
            _to_keras_layout(kind, [_t(p) for p in _torch_params(net, path, kind)]))


def _torch_from_k3(km, net, depths=DEPTHS):
    """Construction: the twin's layers into timm's ConvNeXt, layer by layer."""
    for scope, path, kind in _plan(depths):
        arrays = _to_torch_layout(kind, km.get_layer(scope.replace("/", "_")).get_weights())
        for t, a in zip(_torch_params(net, path, kind), arrays, strict=True):
            _put_t(t, a)


def b_k3_convnext_weights_h5_to_timm(d):
    km = _k3_convnext()
    fill_random(km.weights, "k3convnext")
    ck = os.path.join(d, "ckpt", "convnext.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _convnext(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_timm_convnext_to_k3_twin(d):
    src = _convnext(seed="pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_convnext()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_k3_keras_new_head_to_timm(d):
    km = _k3_convnext()
    fill_random(km.weights, "k3head")
    ck = os.path.join(d, "ckpt", "convnext.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _convnext(seed="scratch")
    _torch_from_k3(km, src)
    m = _convnext(ncls=7, seed="tgt")
    _copy(m, src.state_dict(), skip=("head.fc.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tf2_k3_convnext_adam_to_timm(d):
    import keras
    import tensorflow as tf

    km = _k3_convnext()
    fill_random(km.weights, "tf2convnext")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "convnext-3000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    m = _convnext(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_convnext_autonumbered(d):
    import keras

    keras.backend.clear_session()
    src = _k3_convnext(clear=False, named=False)
    fill_random(src.weights, "auto")
    ck = os.path.join(d, "ckpt", "convnext.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    tgt = _k3_convnext(clear=False, named=False)  # second in the session: every automatic name moves on
    assert {lay.name for lay in src.layers if lay.weights}.isdisjoint(lay.name for lay in tgt.layers if lay.weights)
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(src.get_weights())  # construction: the same architecture, weights in order
    return [ck], stored, _k3_values(tgt, d), []


def b_fb_convnext_to_k3_twin(d):
    ck, stored, m = _fb_convnext(d)
    km = _k3_convnext()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, m)  # construction from the converter's model
    return [ck], stored, _k3_values(km, d), []


def b_k3_block_removed_to_timm_abstain(d):
    km = _k3_convnext(depths=(3, 1, 1, 1))
    fill_random(km.weights, "k3b3")
    ck = os.path.join(d, "ckpt", "convnext_3blocks.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _convnext(depths=(3, 1, 1, 1), seed="scratch")
    _torch_from_k3(km, src, depths=(3, 1, 1, 1))
    m = _convnext(seed="tgt")
    _copy(m, src.state_dict(), _skip_block1)  # construction: the file's blocks 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("stages.0.blocks.")]
    assert len(amb) == 2 * 9, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 Saver checkpoints (written as users do: Saver().save with its .meta)

def _tf1_convnext(d, optimizer, seed, step, scope=""):
    """A ConvNeXt in tf.compat.v1 scope names (Keras layouts), one training step's slots created by the optimizer's
    minimize, every variable then set to distinct values; Saver().save writes the checkpoint and its .meta."""
    import tensorflow as tf

    v1 = tf.compat.v1
    shapes = _convnext(seed="shapes")
    g = tf.Graph()
    with g.as_default():
        init = v1.glorot_uniform_initializer()
        with v1.variable_scope(scope or v1.get_variable_scope()), v1.variable_scope("convnext"):
            for sc, path, kind in _plan():
                arrays = _to_keras_layout(kind, [_t(p) for p in _torch_params(shapes, path, kind)])
                with v1.variable_scope(sc):
                    for n, a in zip(TF_NAMES[kind], arrays, strict=True):
                        v1.get_variable(n, a.shape, initializer=init)
        loss = tf.add_n([tf.reduce_sum(tf.square(v)) for v in v1.trainable_variables()])
        gs = v1.train.get_or_create_global_step()
        opt = v1.train.AdamOptimizer(1e-3) if optimizer == "adam" else v1.train.MomentumOptimizer(0.1, 0.9)
        train = opt.minimize(loss, global_step=gs)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            s.run(train)
            for v in v1.global_variables():
                if v.dtype.base_dtype.is_floating:
                    v.load(distinct(seed + v.op.name, v.shape), s)
            gs.load(step, s)
            prefix = v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), global_step=step)
    assert os.path.exists(prefix + ".meta"), prefix
    return prefix


def _tf1_into(net, s, p):
    """Construction: the TF1 names' tensors into timm's ConvNeXt, layer by layer."""
    for sc, path, kind in _plan():
        arrays = _to_torch_layout(kind, [s[f"{p}{sc}/{n}"] for n in TF_NAMES[kind]])
        for t, a in zip(_torch_params(net, path, kind), arrays, strict=True):
            _put_t(t, a)


def b_tf1_convnext_adam_to_timm(d):
    prefix = _tf1_convnext(d, "adam", "tf1adam", 8000)
    stored = read_tf(prefix)
    assert "convnext/stage_1/block_0/dwconv/depthwise_kernel/Adam_1" in stored and "beta1_power" in stored, \
        sorted(stored)
    m = _convnext(seed="tgt")
    _tf1_into(m, stored, "convnext/")  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tf1_tower_convnext_momentum_to_k3(d):
    prefix = _tf1_convnext(d, "momentum", "tf1tower", 12000, scope="tower_0")
    stored = read_tf(prefix)
    assert "tower_0/convnext/stage_0/block_1/pwconv1/kernel/Momentum" in stored, sorted(stored)
    src = _convnext(seed="scratch")
    _tf1_into(src, stored, "tower_0/convnext/")
    km = _k3_convnext()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [_rel(prefix, d)], stored, _k3_values(km, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, one build at a time

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def _read(path, d):
    """The frameworks' readers."""
    if path.endswith(".pth"):
        return read_torch(path)
    return h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
