"""A forty-first held-out part of alignment scenarios (``--part heldout41``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the vit-keras, efficientnet, segmentation-models, image-classifiers and
Keras-Applications wheels and the keras-resnet sdist into $CKPT_DOCTOR_MATERIAL41, default
/work/coord/material-heldout41, unpacked there; nothing installed (vit-keras's utils import cv2 and validators for
its image reading: stubbed, never called; efficientnet's preprocessing imports scikit-image: stubbed, never called;
segmentation-models needs efficientnet, image-classifiers and Keras-Applications, all run from the unpacked wheels;
keras-resnet imports `keras`, given tf_keras in its scenarios' processes); the rest is the venv's; sources and
licences in NOTICE; nothing of it is committed): Fausto Morales' vit-keras (a Keras 3 Vision Transformer and its
published Flax-weights converter ``utils.load_weights_numpy``), Pavel Yakubovskiy's efficientnet (Keras / tf.keras
EfficientNet) and segmentation-models (Unet and FPN on an EfficientNet encoder), Allen Goodman's keras-resnet (the
tf_keras ResNet2D keras-retinanet's backbones build on), none of them main material of an earlier part; and models
written for this part: Keras 3 files (a vit-keras `.weights.h5` into a PyTorch twin, a `.keras` with a block removed, a
`.weights.h5` into one with a pre-logits layer, a dual encoder of two equal vit-keras towers into one classifier,
an EfficientNet `.weights.h5` into a segmentation-models Unet's encoder, one at another depth), PyTorch files (a
torch.compile'd ViT twin into vit-keras, a DataParallel twin with a block removed into vit-keras, a ResNet twin into
keras-resnet), Flax-layout `.npz` files (read by vit-keras's converter, one with a pre-logits layer and a head of
other classes), tf_keras files (keras-resnet `.h5` and TF-format checkpoints into PyTorch twins, an `.h5` with a
block more into keras-resnet; an EfficientNet `.h5` into a Keras 3 EfficientNet without its top; a
segmentation-models Unet into an FPN), TF1 graphs (the original ViT's variable names with Adam slots into
vit-keras; keras-resnet built in a TF1 graph, trained one Momentum step, into a PyTorch twin) and TF2 checkpoints
(vit-keras with its Adam slots into the PyTorch twin; keras-resnet's TF-format weights).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (vit-keras's
``load_weights_numpy``) or by the scenario's construction (weights by layer name or in order into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks' readers.
``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout41.py fetch               # pip download + unpack the wheels and the sdist
    python bench/scenarios/heldout41.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout41.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout41        # score (once)
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
import heldout25 as h25  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout41"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_bn = h25._bn


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # vit-keras (Keras 3): its Flax converter, its files and PyTorch twins
    _s("h41_vitk_flax_npz_converter", "Flax-layout ViT `.npz` as the original vision_transformer release names it "
       "(`embedding/kernel` [8, 8, 3, 16], `cls`, `Transformer/posembed_input/pos_embedding` [1, 5, 16], "
       "`Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel` [16, 2, 8] (heads split), "
       "`../out/kernel` [2, 8, 16], `../LayerNorm_0/scale`, `../MlpBlock_3/Dense_0/kernel`, "
       "`Transformer/encoder_norm/scale`, `head/kernel`) -> vit-keras Keras 3 ViT (`Transformer_encoderblock_0/"
       "MultiHeadDotProductAttention_1/query/kernel` [16, 16], `../LayerNorm_0/gamma`, `../MlpBlock_3/"
       "Transformer_encoderblock_0_Dense_0/kernel`; truth: vit-keras's load_weights_numpy)", "cross", "keras3"),
    _s("h41_vitk_flax_npz_pre_logits_new_classes", "Flax-layout ViT `.npz` with a pre-logits layer "
       "(`pre_logits/kernel` [16, 16]) and a head of 9 classes -> vit-keras ViT with representation_size 16 and 5 "
       "classes (`head/*` new; truth: load_weights_numpy with pretrained_top=False)", "cross", "keras3"),
    _s("h41_vitk_weights_h5_to_torch", "vit-keras Keras 3 `.weights.h5` (Keras 3's class-based names, not the "
       "layer names: `layers/conv2d/vars/0` [8, 8, 3, 16], `layers/class_token/vars/0`, `layers/add_position_embs/"
       "vars/0`, `layers/transformer_block/att/query_dense/vars/0`, `layers/transformer_block_1/mlpblock/layers/"
       "dense_1/vars/0`) -> a PyTorch ViT twin (`patch_embed.weight` [16, 3, 8, 8], `cls_token`, `pos_embed`, "
       "`blocks.N.attn.q.weight`, `blocks.N.mlp.fc1.weight` [24, 16], `norm.weight`, `head.weight`; truth: "
       "construction)", "cross", "keras3"),
    _s("h41_torch_compiled_vit_to_vitk", "torch.compile'd PyTorch ViT twin `.pt` (`_orig_mod.patch_embed.weight`, "
       "`_orig_mod.blocks.N.attn.k.weight`, `_orig_mod.blocks.N.norm2.bias`) -> vit-keras Keras 3 ViT (truth: "
       "construction)", "cross", "keras3"),
    _s("h41_vitk_keras_block_removed_abstain", "vit-keras `.keras` with 3 encoder blocks -> vit-keras ViT with 2 "
       "(the file's 0 and 2 by construction; which block went no file says: must abstain on the blocks; "
       "embedding, tokens, norm and head decided)", "keras3", "abstain"),
    _s("h41_vitk_pre_logits_added", "vit-keras `.weights.h5` without a representation layer -> vit-keras ViT with "
       "representation_size 16 (`pre_logits/kernel` [16, 16] new, the head kept; truth: construction by layer "
       "name)", "keras3"),
    _s("h41_torch_dp_vit_block_removed_to_vitk_abstain", "DataParallel PyTorch ViT twin `.pt` with 3 blocks "
       "(`module.blocks.0..2.attn.q.weight`) -> vit-keras ViT with 2 (the file's 0 and 2 by construction; which "
       "block went no file says: must abstain on the blocks)", "cross", "keras3", "abstain"),
    _s("h41_vitk_two_towers_abstain", "Keras 3 `.weights.h5` of a dual encoder of two equal vit-keras towers "
       "(nested models, no tops: `layers/functional/layers/transformer_block/..`, `layers/functional_1/layers/..`) "
       "and a `match` Dense [32, 1] (`layers/dense/vars/0`) -> one vit-keras "
       "classifier (its encoder the photo tower by construction; which tower no file says: must abstain on it; "
       "the head new)", "keras3", "abstain"),
    _s("h41_tf2_vitk_adam_to_torch", "tf.train.Checkpoint of the vit-keras ViT with its Adam slots "
       "(the model's variables only as the optimizer's `optimizer/_trainable_variables/N/.ATTRIBUTES/"
       "VARIABLE_VALUE`, the slots `optimizer/_variables/N`) -> the PyTorch ViT twin (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h41_tf1_vit_names_adam_to_vitk", "TF1 Saver checkpoint of the original ViT's variable names "
       "(`Transformer/encoderblock_1/MultiHeadDotProductAttention_1/value/kernel` [16, 2, 8], `../Adam`, "
       "`../Adam_1`, `global_step`) -> vit-keras ViT (truth: load_weights_numpy of the values)", "tf1", "keras3"),
    # keras-resnet (tf_keras) and PyTorch twins
    _s("h41_tfk_kresnet_h5_to_torch", "keras-resnet ResNet2D (blocks 2, 1, 1; basic blocks) tf_keras `.h5` "
       "(`conv1/kernel`, `bn_conv1/moving_mean`, `res2a_branch2a/kernel` [3, 3, 64, 64], `res2b1_branch2b/kernel`, "
       "`res3a_branch1/kernel` [1, 1, 64, 128], `fc1000/kernel`) -> a torchvision-style PyTorch twin "
       "(`layer1.1.conv2.weight`, `layer2.0.downsample.0.weight`, `fc.weight`; truth: construction)",
       "cross", legacy=True),
    _s("h41_torch_resnet_to_tfk_kresnet", "torchvision-style ResNet twin `.pt` (`layer1.0.conv1.weight` "
       "[64, 64, 3, 3], `layer1.0.bn1.running_var`, `layer3.0.downsample.1.weight`) -> keras-resnet ResNet2D in "
       "tf_keras (truth: construction)", "cross", legacy=True),
    _s("h41_tfk_kresnet_block_removed_abstain", "keras-resnet ResNet2D (blocks 3, 1) tf_keras `.h5` (`res2a_..`, "
       "`res2b1_..`, `res2b2_..`, all [3, 3, 64, 64]) -> ResNet2D (blocks 2, 1) (its res2a the file's, its res2b1 "
       "the file's res2b2 by construction; which 3x3 pair went no file says: must abstain on stage 2's convs and "
       "norms; the shortcut, stem, stage 3 and head decided)", "abstain", legacy=True),
    _s("h41_tfk_kresnet_tf_format_to_torch", "keras-resnet ResNet2D tf_keras TF-format weights (save_format='tf': "
       "`layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`, `layer_with_weights-N/moving_mean/..`) -> the "
       "PyTorch twin (truth: construction)", "cross", "tf2", legacy=True),
    _s("h41_tf1_kresnet_momentum_to_torch", "keras-resnet ResNet2D built in a TF1 graph and trained one Momentum "
       "step, TF1 Saver (`res2a_branch2a/kernel`, `../Momentum`, `bn_conv1/moving_variance`, `fc1000/bias`) -> the "
       "PyTorch twin (truth: construction)", "cross", "tf1", legacy=True),
    # efficientnet and segmentation-models (tf_keras and Keras 3)
    _s("h41_tfk_effnet_h5_to_k3_notop", "efficientnet (qubvel) EfficientNet (width 0.25, depth 0.5) tf_keras `.h5` "
       "with 5 classes (`stem_conv/kernel`, `block2a_expand_conv/kernel`, `block2a_dwconv/depthwise_kernel`, "
       "`block2a_se_reduce/kernel`, `top_bn/gamma`, `probs/kernel`) -> the same builder in Keras 3 without its "
       "top, average pooling (`probs/*` unused; truth: construction by layer name)", "keras3", legacy=True),
    _s("h41_k3_effnet_depth_drift_abstain", "efficientnet EfficientNet (width 0.25, depth 0.75: stages of 1, 2, 2, "
       "3, 3, 3, 1 blocks) Keras 3 `.weights.h5` (`layers/depthwise_conv2d_N/vars/0`, "
       "`layers/batch_normalization_N/vars/3`) -> the builder at depth 0.5 (1, 1, 1, 2, 2, 2, 1; each stage's "
       "first blocks by construction; which of a stage's equal blocks went no file says: must abstain on the "
       "later blocks; stems, first blocks and top decided)", "keras3", "abstain"),
    _s("h41_k3_effnet_into_sm_unet", "efficientnet EfficientNetB0 classifier Keras 3 `.weights.h5` "
       "(`layers/conv2d/vars/0`, `layers/depthwise_conv2d_9/vars/0`, `layers/batch_normalization_48/vars/3`, "
       "`layers/dense/vars/0`) -> "
       "segmentation-models Unet('efficientnetb0') in Keras 3 (the encoder by layer name; `decoder_stage0a_conv`, "
       "`final_conv` new; truth: construction)", "keras3"),
    _s("h41_tfk_sm_unet_h5_to_fpn", "segmentation-models Unet('efficientnetb0') tf_keras `.h5` (`stem_conv/kernel`, "
       "`decoder_stage1b_bn/gamma`, `final_conv/kernel`) -> segmentation-models FPN('efficientnetb0') (the encoder "
       "by layer name; `fpn_stage_p5_*`, `segm_stage*`, `final_conv` new; truth: construction)", legacy=True),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL41", "/work/coord/material-heldout41")
PACKAGES = ["vit-keras==0.2.0", "efficientnet==1.1.1", "segmentation-models==1.0.1", "image-classifiers==1.0.0",
            "keras-applications==1.0.8", "keras-resnet==0.2.0"]
DIM, MLP, IMG, PATCH = 16, 24, 16, 8
TOKENS = (IMG // PATCH) ** 2 + 1


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _stub(name, **attrs):
    import types

    if name not in sys.modules:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, m)


def _vitk():
    """vit-keras (Keras 3); its utils import cv2 and validators for reading images: stubbed, never called."""
    _stub("cv2")
    _stub("validators")
    _path("vit_keras")
    from vit_keras import utils, vit

    return vit, utils


def _efficientnet():
    """efficientnet's model module; its preprocessing imports scikit-image's resize: stubbed, never called."""
    _stub("skimage")
    _stub("skimage.transform", resize=None)
    _path("keras_applications")
    _path("efficientnet")
    import efficientnet.model as em

    return em


def _sm(framework):
    """segmentation-models under "keras" (Keras 3) or "tf.keras" (tf_keras under TF_USE_LEGACY_KERAS=1)."""
    _efficientnet()
    _path("image_classifiers")
    _path("segmentation_models")
    os.environ["SM_FRAMEWORK"] = framework
    import segmentation_models as sm

    return sm


def _kresnet():
    """keras-resnet; it imports `keras`: tf_keras in its scenarios' processes (TF_USE_LEGACY_KERAS=1)."""
    import tf_keras

    sys.modules["keras"] = tf_keras
    _path("keras-resnet-0.2.0")
    import keras_resnet.blocks
    import keras_resnet.models

    return keras_resnet, tf_keras


def _read_npz(path):
    import numpy as np

    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _k3():
    import keras

    return dict(backend=keras.backend, layers=keras.layers, models=keras.models, utils=keras.utils)


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


# ---------------------------------------------------------------------------------------------------------
# vit-keras ViTs and their PyTorch twin

def _vit_model(blocks=2, classes=5, rep=None, top=True, name="vit", clear=True):
    import keras

    vit, _ = _vitk()
    if clear:
        keras.backend.clear_session()
    return vit.build_model(image_size=IMG, patch_size=PATCH, num_layers=blocks, hidden_size=DIM, num_heads=2,
                           name=name, mlp_dim=MLP, classes=classes, representation_size=rep, include_top=top,
                           dropout=0.0)


def _vit_parts(m):
    enc = [m.get_layer(f"Transformer_encoderblock_{i}") for i in range(sum(
        lay.name.startswith("Transformer_encoderblock_") for lay in m.layers))]
    return enc


def _torch_vit(blocks=2, classes=5):
    import torch
    import torch.nn as nn

    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.proj = (nn.Linear(DIM, DIM) for _ in range(4))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.attn, self.norm2 = nn.LayerNorm(DIM, eps=1e-6), Attn(), nn.LayerNorm(DIM, eps=1e-6)
            self.mlp = nn.Module()
            self.mlp.fc1, self.mlp.fc2 = nn.Linear(DIM, MLP), nn.Linear(MLP, DIM)

    m = nn.Module()
    m.patch_embed = nn.Conv2d(3, DIM, PATCH, PATCH)
    m.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
    m.pos_embed = nn.Parameter(torch.zeros(1, TOKENS, DIM))
    m.blocks = nn.ModuleList(Block() for _ in range(blocks))
    m.norm = nn.LayerNorm(DIM, eps=1e-6)
    if classes:
        m.head = nn.Linear(DIM, classes)
    fill_random_torch(m, "twin")
    return m


def _torch_block_from_vitk(tb, eb):
    _put_t(tb.norm1.weight, _np(eb.layernorm1.gamma))
    _put_t(tb.norm1.bias, _np(eb.layernorm1.beta))
    _put_t(tb.norm2.weight, _np(eb.layernorm2.gamma))
    _put_t(tb.norm2.bias, _np(eb.layernorm2.beta))
    for t, k in ((tb.attn.q, eb.att.query_dense), (tb.attn.k, eb.att.key_dense), (tb.attn.v, eb.att.value_dense),
                 (tb.attn.proj, eb.att.combine_heads)):
        _lin(t, k.kernel, k.bias)
    d0, d1 = (lay for lay in eb.mlpblock.layers if lay.weights)
    _lin(tb.mlp.fc1, d0.kernel, d0.bias)
    _lin(tb.mlp.fc2, d1.kernel, d1.bias)


def _torch_from_vitk(m, blocks=None):
    """The PyTorch twin of a vit-keras model, layer by layer (``blocks``: the Keras blocks in the twin's order)."""
    enc = _vit_parts(m)
    enc = [enc[i] for i in blocks] if blocks is not None else enc
    net = _torch_vit(len(enc), m.get_layer("head").units)
    emb = m.get_layer("embedding")
    _conv(net.patch_embed, emb.kernel, emb.bias)
    _put_t(net.cls_token, _np(m.get_layer("class_token").cls))
    _put_t(net.pos_embed, _np(m.get_layer("Transformer_posembed_input").pe))
    for tb, eb in zip(net.blocks, enc, strict=True):
        _torch_block_from_vitk(tb, eb)
    norm = m.get_layer("Transformer_encoder_norm")
    _put_t(net.norm.weight, _np(norm.gamma))
    _put_t(net.norm.bias, _np(norm.beta))
    head = m.get_layer("head")
    _lin(net.head, head.kernel, head.bias)
    return net


def _t(p):
    return _np(p.detach())


def _vitk_from_torch(m, net, blocks=None):
    """A vit-keras model filled from the PyTorch twin, layer by layer (``blocks``: the twin's blocks in order)."""
    enc = _vit_parts(m)
    tbs = [net.blocks[i] for i in blocks] if blocks is not None else list(net.blocks)
    emb = m.get_layer("embedding")
    emb.kernel.assign(_t(net.patch_embed.weight).transpose(2, 3, 1, 0))
    emb.bias.assign(_t(net.patch_embed.bias))
    m.get_layer("class_token").cls.assign(_t(net.cls_token))
    m.get_layer("Transformer_posembed_input").pe.assign(_t(net.pos_embed))
    for eb, tb in zip(enc, tbs, strict=True):
        for ln, tn in ((eb.layernorm1, tb.norm1), (eb.layernorm2, tb.norm2)):
            ln.gamma.assign(_t(tn.weight))
            ln.beta.assign(_t(tn.bias))
        d0, d1 = (lay for lay in eb.mlpblock.layers if lay.weights)
        for k, t in ((eb.att.query_dense, tb.attn.q), (eb.att.key_dense, tb.attn.k), (eb.att.value_dense, tb.attn.v),
                     (eb.att.combine_heads, tb.attn.proj), (d0, tb.mlp.fc1), (d1, tb.mlp.fc2)):
            k.kernel.assign(_t(t.weight).T)
            k.bias.assign(_t(t.bias))
    norm = m.get_layer("Transformer_encoder_norm")
    norm.gamma.assign(_t(net.norm.weight))
    norm.beta.assign(_t(net.norm.bias))
    head = m.get_layer("head")
    head.kernel.assign(_t(net.head.weight).T)
    head.bias.assign(_t(net.head.bias))


def _flax_arrays(seed, blocks=2, classes=5, rep=None):
    """The original vision_transformer release's parameter names and layouts (those load_weights_numpy reads)."""
    h, hd = 2, DIM // 2
    shapes = {"embedding/kernel": (PATCH, PATCH, 3, DIM), "embedding/bias": (DIM,), "cls": (1, 1, DIM),
              "Transformer/posembed_input/pos_embedding": (1, TOKENS, DIM), "Transformer/encoder_norm/scale": (DIM,),
              "Transformer/encoder_norm/bias": (DIM,), "head/kernel": (rep or DIM, classes), "head/bias": (classes,)}
    if rep:
        shapes.update({"pre_logits/kernel": (DIM, rep), "pre_logits/bias": (rep,)})
    for i in range(blocks):
        p = f"Transformer/encoderblock_{i}/"
        for ln in ("LayerNorm_0", "LayerNorm_2"):
            shapes.update({p + ln + "/scale": (DIM,), p + ln + "/bias": (DIM,)})
        for a in ("query", "key", "value"):
            shapes.update({p + f"MultiHeadDotProductAttention_1/{a}/kernel": (DIM, h, hd),
                           p + f"MultiHeadDotProductAttention_1/{a}/bias": (h, hd)})
        shapes.update({p + "MultiHeadDotProductAttention_1/out/kernel": (h, hd, DIM),
                       p + "MultiHeadDotProductAttention_1/out/bias": (DIM,),
                       p + "MlpBlock_3/Dense_0/kernel": (DIM, MLP), p + "MlpBlock_3/Dense_0/bias": (MLP,),
                       p + "MlpBlock_3/Dense_1/kernel": (MLP, DIM), p + "MlpBlock_3/Dense_1/bias": (DIM,)})
    return {k: distinct(f"{seed}|{k}", s) for k, s in shapes.items()}


def _save_npz(d, arrays, name):
    import numpy as np

    ck = os.path.join(d, "ckpt", name)
    np.savez(ck, **arrays)
    return ck


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def b_vitk_flax_npz_converter(d):
    _, utils = _vitk()
    ck = _save_npz(d, _flax_arrays("flax"), "ViT-tiny.npz")
    stored = _read_npz(ck)
    m = _vit_model()
    fill_random(m.weights, "tgt")
    utils.load_weights_numpy(m, ck, pretrained_top=True, num_x_patches=2, num_y_patches=2)  # the truth
    return [ck], stored, _k3_values(m, d), []


def b_vitk_flax_npz_pre_logits_new_classes(d):
    _, utils = _vitk()
    ck = _save_npz(d, _flax_arrays("flax21k", classes=9, rep=DIM), "ViT-tiny_21k.npz")
    stored = _read_npz(ck)
    assert stored["pre_logits/kernel"].shape == (DIM, DIM) and stored["head/kernel"].shape == (DIM, 9)
    m = _vit_model(classes=5, rep=DIM)
    fill_random(m.weights, "tgt")
    utils.load_weights_numpy(m, ck, pretrained_top=False, num_x_patches=2, num_y_patches=2)  # the truth
    return [ck], stored, _k3_values(m, d), []


def b_vitk_weights_h5_to_torch(d):
    src = _vit_model()
    fill_random(src.weights, "vitk")
    ck = os.path.join(d, "ckpt", "vit.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (PATCH, PATCH, 3, DIM) for v in stored.values()), sorted(stored)
    return [ck], stored, _pt_values(_torch_from_vitk(src), d), []


def b_torch_compiled_vit_to_vitk(d):
    import torch

    net = _torch_vit()
    fill_random_torch(net, "vit_pt")
    ck = _save_pt(d, torch.compile(net).state_dict(), "vit_compiled.pt")
    stored = read_torch(ck)
    assert all(k.startswith("_orig_mod.") for k in stored), sorted(stored)
    m = _vit_model()
    fill_random(m.weights, "tgt")
    _vitk_from_torch(m, net)  # construction
    return [ck], stored, _k3_values(m, d), []


def _block_amb(values):
    amb = [n for n in _float(values) if n.startswith("Transformer_encoderblock_")]
    assert len(amb) == 32, amb
    return amb


def b_vitk_keras_block_removed_abstain(d):
    src = _vit_model(blocks=3)
    fill_random(src.weights, "vitk3")
    ck = os.path.join(d, "ckpt", "vit3.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    arrays = {w.path: _np(w) for w in src.weights}
    m = _vit_model(blocks=2)
    fill_random(m.weights, "tgt")
    for w in m.weights:  # construction: the file's blocks 0 and 2, the rest by name
        one = w.path.startswith("Transformer_encoderblock_1/")
        w.assign(arrays[w.path.replace("encoderblock_1", "encoderblock_2") if one else w.path])
    values = _k3_values(m, d)
    return [ck], stored, values, _block_amb(values)


def b_vitk_pre_logits_added(d):
    src = _vit_model()
    fill_random(src.weights, "vitk_norep")
    ck = os.path.join(d, "ckpt", "vit.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    arrays = {w.path: _np(w) for w in src.weights}
    m = _vit_model(rep=DIM)
    fill_random(m.weights, "tgt")
    for w in m.weights:  # construction: every layer of the file by name; pre_logits new
        if not w.path.startswith("pre_logits/"):
            w.assign(arrays[w.path])
    assert any(w.path == "pre_logits/kernel" for w in m.weights)
    return [ck], stored, _k3_values(m, d), []


def b_torch_dp_vit_block_removed_to_vitk_abstain(d):
    import torch.nn as nn

    net = _torch_vit(blocks=3)
    fill_random_torch(net, "vit_dp")
    ck = _save_pt(d, nn.DataParallel(net).state_dict(), "vit3_dp.pt")
    stored = read_torch(ck)
    assert "module.blocks.2.attn.q.weight" in stored, sorted(stored)
    m = _vit_model()
    fill_random(m.weights, "tgt")
    _vitk_from_torch(m, net, blocks=(0, 2))  # construction
    values = _k3_values(m, d)
    return [ck], stored, values, _block_amb(values)


def b_vitk_two_towers_abstain(d):
    import keras

    keras.backend.clear_session()
    photo = _vit_model(top=False, name="photo_tower", clear=False)
    sketch = _vit_model(top=False, name="sketch_tower", clear=False)
    a, b = keras.Input((IMG, IMG, 3)), keras.Input((IMG, IMG, 3))
    out = keras.layers.Dense(1, name="match")(keras.layers.Concatenate()([photo(a), sketch(b)]))
    src = keras.Model([a, b], out, name="dual_encoder")
    fill_random(src.weights, "towers")
    ck = os.path.join(d, "ckpt", "dual_encoder.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    arrays = [_np(w) for w in photo.weights]
    m = _vit_model()
    fill_random(m.weights, "tgt")
    mine = [w for w in m.weights if not w.path.startswith("head/")]
    for w, a_ in zip(mine, arrays, strict=True):  # construction: the photo tower, in order
        w.assign(a_)
    values = _k3_values(m, d)
    amb = [n for n in _float(values) if not n.startswith("head/")]
    assert len(amb) == len(arrays), amb
    return [ck], stored, values, amb


def b_tf2_vitk_adam_to_torch(d):
    import keras
    import tensorflow as tf

    src = _vit_model()
    fill_random(src.weights, "tf2vit")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "vit-500"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_torch_from_vitk(src), d), []


def b_tf1_vit_names_adam_to_vitk(d):
    _, utils = _vitk()
    prefix = _tf1_write(d, _flax_arrays("tf1vit"), ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "Transformer/encoderblock_1/MultiHeadDotProductAttention_1/value/kernel/Adam_1" in st, sorted(st)[:8]
    scratch = _save_npz(d, {k: v for k, v in st.items() if "Adam" not in k and k != "global_step"}, "_values.npz")
    m = _vit_model()
    fill_random(m.weights, "tgt")
    utils.load_weights_numpy(m, scratch, pretrained_top=True, num_x_patches=2, num_y_patches=2)  # construction
    os.remove(scratch)
    return [_rel(prefix, d)], st, _k3_values(m, d), []


# ---------------------------------------------------------------------------------------------------------
# keras-resnet (tf_keras) and a torchvision-style PyTorch twin

def _kres_model(blocks=(2, 1, 1), classes=5):
    kr, tf_keras = _kresnet()
    tf_keras.backend.clear_session()
    x = tf_keras.layers.Input((32, 32, 3))
    return kr.models.ResNet2D(x, blocks=list(blocks), block=kr.blocks.basic_2d, classes=classes, freeze_bn=False)


def _kres_names(blocks):
    """(keras layer, torch module path) pairs of a ResNet2D of ``blocks`` (numerical names: a, b1, b2, ..)."""
    pairs = [("conv1", "conv1"), ("bn_conv1", "bn1")]
    for s, n in enumerate(blocks):
        for b in range(n):
            c = f"{s + 2}{'a' if b == 0 else f'b{b}'}"
            t = f"layer{s + 1}.{b}."
            pairs += [(f"res{c}_branch2a", t + "conv1"), (f"bn{c}_branch2a", t + "bn1"),
                      (f"res{c}_branch2b", t + "conv2"), (f"bn{c}_branch2b", t + "bn2")]
            if b == 0:
                pairs += [(f"res{c}_branch1", t + "downsample.0"), (f"bn{c}_branch1", t + "downsample.1")]
    return pairs + [("fc1000", "fc")]


def _torch_resnet(blocks=(2, 1, 1), classes=5):
    import torch.nn as nn

    m = nn.Module()
    m.conv1, m.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
    cin = 64
    for s, n in enumerate(blocks):
        f = 64 * 2 ** s
        layer = nn.ModuleList()
        for b in range(n):
            blk = nn.Module()
            blk.conv1, blk.bn1 = nn.Conv2d(cin if b == 0 else f, f, 3, 1, 1, bias=False), nn.BatchNorm2d(f)
            blk.conv2, blk.bn2 = nn.Conv2d(f, f, 3, 1, 1, bias=False), nn.BatchNorm2d(f)
            if b == 0:
                blk.downsample = nn.Sequential(nn.Conv2d(cin, f, 1, bias=False), nn.BatchNorm2d(f))
            layer.append(blk)
        cin = f
        setattr(m, f"layer{s + 1}", layer)
    m.fc = nn.Linear(cin, classes)
    fill_random_torch(m, "twin")
    return m


def _sub(m, path):
    for p in path.split("."):
        m = getattr(m, p) if not p.isdigit() else m[int(p)]
    return m


def _torch_from_arrays(net, blocks, get):
    """Fill the twin from keras-layer arrays: ``get(keras layer name)`` -> its weights in Keras order."""
    for k, t in _kres_names(blocks):
        mod, w = _sub(net, t), get(k)
        if k.startswith("bn"):
            _bn(mod, *w)
        elif k == "fc1000":
            _lin(mod, *w)
        else:
            _conv(mod, *w)
    return net


def _tfk_get(model):
    return lambda name: model.get_layer(name).get_weights()


def b_tfk_kresnet_h5_to_torch(d):
    src = _kres_model()
    fill_random(src.weights, "kresnet")
    ck = os.path.join(d, "ckpt", "resnet.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "res3a_branch1/kernel" in stored, sorted(stored)
    net = _torch_from_arrays(_torch_resnet(), (2, 1, 1), _tfk_get(src))  # construction
    return [ck], stored, _pt_values(net, d), []


def b_torch_resnet_to_tfk_kresnet(d):
    net = _torch_resnet()
    fill_random_torch(net, "resnet_pt")
    ck = _save_pt(d, net.state_dict(), "resnet18ish.pt")
    stored = read_torch(ck)
    m = _kres_model()
    fill_random(m.weights, "tgt")
    for k, t in _kres_names((2, 1, 1)):  # construction
        mod = _sub(net, t)
        if k.startswith("bn"):
            w = [mod.weight, mod.bias, mod.running_mean, mod.running_var]
            m.get_layer(k).set_weights([_t(x) for x in w])
        elif k == "fc1000":
            m.get_layer(k).set_weights([_t(mod.weight).T, _t(mod.bias)])
        else:
            m.get_layer(k).set_weights([_t(mod.weight).transpose(2, 3, 1, 0)])
    return [ck], stored, _all(spec_and_values(m, d), d), []


def b_tfk_kresnet_block_removed_abstain(d):
    src = _kres_model(blocks=(3, 1))
    fill_random(src.weights, "kresnet31")
    ck = os.path.join(d, "ckpt", "resnet_31.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["res2b2_branch2a/kernel"].shape == (3, 3, 64, 64), sorted(stored)
    m = _kres_model(blocks=(2, 1))
    fill_random(m.weights, "tgt")
    for lay in m.layers:  # construction: by name, the model's res2b1 from the file's res2b2
        if lay.weights:
            lay.set_weights(src.get_layer(lay.name.replace("2b1_", "2b2_")).get_weights())
    values = _all(spec_and_values(m, d), d)
    amb = [n for n in _float(values) if n.startswith(("res2", "bn2")) and "branch1" not in n]
    assert len(amb) == 4 * 5, amb
    return [ck], stored, values, amb


def b_tfk_kresnet_tf_format_to_torch(d):
    src = _kres_model()
    fill_random(src.weights, "kresnet_tf")
    prefix = os.path.join(d, "ckpt", "resnet")
    src.save_weights(prefix, save_format="tf")
    stored = read_tf(prefix)
    assert any(k.startswith("layer_with_weights-") for k in stored), sorted(stored)[:8]
    net = _torch_from_arrays(_torch_resnet(), (2, 1, 1), _tfk_get(src))  # construction
    return [_rel(prefix, d)], stored, _pt_values(net, d), []


def b_tf1_kresnet_momentum_to_torch(d):
    import numpy as np
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    src = _kres_model()
    src.set_weights([abs(a) + 0.5 if "moving_variance" in w.name else 0.1 * a  # a finite training step
                     for w, a in ((w, distinct(f"tf1kres|{i}", w.shape)) for i, w in enumerate(src.weights))])
    sess = tf.compat.v1.keras.backend.get_session()
    step = tf.compat.v1.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(src.output))
    train = tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(loss, global_step=step)
    known = set(id(v) for v in src.weights)
    sess.run(tf.compat.v1.variables_initializer([v for v in tf.compat.v1.global_variables() if id(v) not in known]))
    sess.run(train, {src.input: distinct("tf1kres|x", (2, 32, 32, 3))})
    prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)
    st = read_tf(prefix)
    assert "res2a_branch2a/kernel/Momentum" in st, sorted(st)[:8]
    assert all(np.isfinite(v).all() for v in st.values()) and st["global_step"] == 1
    names = {lay.name: [w.name[:-2] for w in lay.weights] for lay in src.layers}
    net = _torch_from_arrays(_torch_resnet(), (2, 1, 1), lambda k: [st[n] for n in names[k]])  # construction
    return [_rel(prefix, d)], st, _pt_values(net, d), []


# ---------------------------------------------------------------------------------------------------------
# efficientnet and segmentation-models

def _effnet(depth, mods, top=True, classes=5, pooling=None):
    em = _efficientnet()
    return em.EfficientNet(0.25, depth, 32, blocks_args=em.DEFAULT_BLOCKS_ARGS, model_name="efficientnet-tiny",
                           include_top=top, weights=None, input_shape=(32, 32, 3), pooling=pooling, classes=classes,
                           **mods)


def _tfk_mods():
    import tf_keras

    return dict(backend=tf_keras.backend, layers=tf_keras.layers, models=tf_keras.models, utils=tf_keras.utils)


def _by_name(m, src, skip=()):
    """Every layer with weights from the source model's layer of the same name (construction)."""
    done = 0
    for lay in m.layers:
        if lay.weights and lay.name not in skip:
            ws = src.get_layer(lay.name).get_weights()
            lay.set_weights(ws)
            done += 1
    return done


def b_tfk_effnet_h5_to_k3_notop(d):
    import keras

    src = _effnet(0.5, _tfk_mods())
    fill_random(src.weights, "effnet")
    ck = os.path.join(d, "ckpt", "efficientnet_tiny.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "block2a_dwconv/depthwise_kernel" in stored and "probs/kernel" in stored, sorted(stored)[:8]
    keras.backend.clear_session()
    m = _effnet(0.5, _k3(), top=False, pooling="avg")
    fill_random(m.weights, "tgt")
    _by_name(m, src)  # construction
    return [ck], stored, _all(spec_and_values(m, d), d), []


def b_k3_effnet_depth_drift_abstain(d):
    import keras

    keras.backend.clear_session()
    src = _effnet(0.75, _k3())
    fill_random(src.weights, "effnet75")
    ck = os.path.join(d, "ckpt", "efficientnet_d075.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    keras.backend.clear_session()
    m = _effnet(0.5, _k3())
    fill_random(m.weights, "tgt")
    _by_name(m, src)  # construction: each stage's first blocks
    values = _all(spec_and_values(m, d), d)
    amb = [n for n in _float(values) if n.startswith("block") and n[6] != "a"]
    assert amb and all(n[5] in "456" for n in amb), amb
    return [ck], stored, values, amb


def b_k3_effnet_into_sm_unet(d):
    import keras

    sm = _sm("keras")
    em = _efficientnet()
    keras.backend.clear_session()
    src = em.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=5, **_k3())
    fill_random(src.weights, "effb0")
    ck = os.path.join(d, "ckpt", "efficientnetb0_cls.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    keras.backend.clear_session()
    m = sm.Unet("efficientnetb0", input_shape=(32, 32, 3), classes=2, encoder_weights=None,
                decoder_filters=(16, 8, 8, 4, 4))
    fill_random(m.weights, "tgt")
    names = {lay.name for lay in src.layers}
    n = _by_name(m, src, skip={lay.name for lay in m.layers if lay.name not in names})  # construction
    assert n > 80, n
    return [ck], stored, _all(spec_and_values(m, d), d), []


def b_tfk_sm_unet_h5_to_fpn(d):
    import tf_keras

    sm = _sm("tf.keras")
    tf_keras.backend.clear_session()
    src = sm.Unet("efficientnetb0", input_shape=(32, 32, 3), classes=2, encoder_weights=None,
                  decoder_filters=(16, 8, 8, 4, 4))
    fill_random(src.weights, "unet")
    ck = os.path.join(d, "ckpt", "unet_effb0.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "decoder_stage1b_bn/gamma" in stored, sorted(stored)[-8:]
    tf_keras.backend.clear_session()
    m = sm.FPN("efficientnetb0", input_shape=(32, 32, 3), classes=2, encoder_weights=None,
               pyramid_block_filters=16)
    fill_random(m.weights, "tgt")
    names = {lay.name for lay in src.layers if lay.name.startswith(("stem_", "block", "top_"))}
    n = _by_name(m, src, skip={lay.name for lay in m.layers if lay.name not in names})  # construction: encoder
    assert n > 80, n
    return [ck], stored, _all(spec_and_values(m, d), d), []


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
    return _read_npz(path) if path.endswith(".npz") else h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; keras-resnet comes as an sdist: unpacked too."""
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
