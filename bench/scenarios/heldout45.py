"""A forty-fifth held-out part of alignment scenarios (``--part heldout45``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the deepface wheel into $CKPT_DOCTOR_MATERIAL45, default
/work/coord/material-heldout45, unpacked there; nothing installed (the package folders are entered without running
deepface's __init__, which imports flask, gdown, opencv, retina-face and mtcnn; `deepface.commons.weight_utils`
(the weight download) and `deepface.modules.verification` are stubbed: the models are built, never given the
published weights, and filled here); the rest is the venv's; sources and licences in NOTICE; nothing of it is
committed): Sefik Ilkin Serengil's deepface, none of it main material of an earlier part: its Keras face
recognition builders (DeepID, OpenFace, GhostFaceNetV1, built by the venv's Keras 3 through `tensorflow.keras`)
and its PyTorch twins of them (`DeepIdNet`, `OpenFaceNet`: the package's own port, in module names of its own:
`inception_3a.branch_3x3.0.conv.weight` for Keras' `inception_3a_3x3_conv1`); and files written for this part: a
DataParallel and a torch.compile'd checkpoint, an ensemble of three DeepIdNets, a Siamese Keras 3 `.keras` of two
DeepIDs, a two-tower OpenFace `.weights.h5`, a DeepID of two identity heads, a GhostFaceNet built after another
model (its auto-numbered layer names shifted), TF1 Saver checkpoints of DeepID (Adam slots) and OpenFace (Momentum
slots, BN moving statistics) in `tf.compat.v1` layer names, and a tf.train.Checkpoint of DeepID with its Adam slots.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by layer into the same
architecture, into the package's twin in the other framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout45.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout45.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout45.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout45        # score (once)
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
import heldout44 as h44  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout45"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_stub, _float, _t, _k3_values = h44._stub, h44._float, h44._t, h44._k3_values


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # DeepID (deepface's Keras builder and its PyTorch DeepIdNet)
    _s("h45_deepid_wh5_to_torch", "deepface DeepID (Keras 3) `.weights.h5` (Keras 3's class-numbered paths, "
       "not the layer names: `layers/conv2d/vars/0`, `layers/dense/vars/0` [1200, 160], `layers/dense_1/vars/1`) "
       "-> deepface's PyTorch DeepIdNet (`Conv1.weight` "
       "[20, 3, 4, 4], `fc11.weight` [160, 1200]; truth: construction)", "cross", "keras3"),
    _s("h45_torch_dp_deepid_to_k3", "DataParallel deepface DeepIdNet `.pth` (`module.Conv4.weight`, "
       "`module.fc12.bias`) -> deepface DeepID in Keras 3 (`Conv4/kernel`, `fc12/bias`; truth: construction)",
       "cross", "keras3"),
    _s("h45_tf1_deepid_adam_to_k3", "TF1 Saver checkpoint of DeepID in tf.compat.v1 layer names "
       "(`deepid/Conv1/kernel`, `deepid/fc11/bias`, Adam slots `deepid/Conv1/kernel/Adam`, `../Adam_1`, "
       "`beta1_power`, `global_step`) -> deepface DeepID in Keras 3 (truth: construction)", "tf1"),
    _s("h45_tf2_deepid_adam_to_torch", "tf.train.Checkpoint of deepface DeepID (Keras 3) with its Adam slots "
       "(`model/layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`, `optimizer/_variables/N`) -> deepface's "
       "PyTorch DeepIdNet (truth: construction)", "cross", "tf2", "keras3"),
    _s("h45_torch_deepid_ensemble_abstain", "`.pt` of an ensemble of three deepface DeepIdNets "
       "(`members.0..2.Conv1.weight`, equal shapes, other values) -> one DeepIdNet (the second member by "
       "construction; which member no file says: must abstain on all)", "abstain"),
    _s("h45_k3_deepid_siamese_keras_to_torch_abstain", "Keras 3 `.keras` of a Siamese verifier of two deepface "
       "DeepIDs as nested functional models (`functional/..`, `functional_1/..`, a `Dense` on their distance) "
       "-> deepface's PyTorch DeepIdNet (the second tower by construction; which tower no file says: must abstain "
       "on all)", "cross", "keras3", "abstain"),
    _s("h45_k3_deepid_two_heads_abstain", "Keras 3 `.weights.h5` of deepface DeepID trained with two identity "
       "heads of equal width (`dense`, `dense_1`, [160, 10]) -> DeepID with one head `identity` (the file's "
       "`dense_1` by construction; which head no file says: must abstain on it; the trunk decided)",
       "keras3", "abstain"),
    # OpenFace
    _s("h45_openface_wh5_to_torch", "deepface OpenFace (Keras 3) `.weights.h5` (class-numbered paths: "
       "`layers/conv2d_7/vars/0`, `layers/batch_normalization_12/vars/3`, `layers/dense/vars/0`) -> "
       "deepface's PyTorch OpenFaceNet (`inception_3a.branch_3x3.0.conv.weight`, "
       "`inception_4e.branch_5x5.1.bn.running_var`, `conv1.bn.running_mean`, `dense_layer.weight`; truth: "
       "construction)", "cross", "keras3"),
    _s("h45_torch_compiled_openface_to_k3", "torch.compile'd deepface OpenFaceNet saved as safetensors "
       "(`_orig_mod.inception_5b.branch_pool.conv.weight`, `_orig_mod.conv3.bn.weight`) -> deepface OpenFace in "
       "Keras 3 (`inception_5b_pool_conv/kernel`, `bn3/gamma`; truth: construction)", "cross", "keras3"),
    _s("h45_openface_keras_new_head", "deepface OpenFace Keras 3 `.keras` (`layers/batch_normalization_3/vars/0`) "
       "-> OpenFace with an identity classifier `identity` [128, 12] on its embedding (new; truth: construction)",
       "keras3"),
    _s("h45_tf1_openface_momentum_to_torch", "TF1 Saver checkpoint of OpenFace in tf.compat.v1 layer names "
       "(`openface/inception_3a_3x3_conv1/kernel`, `openface/bn1/gamma`, `openface/bn1/moving_variance`, "
       "Momentum slots on the trainables only, `global_step`) -> deepface's PyTorch OpenFaceNet (truth: "
       "construction)", "cross", "tf1"),
    _s("h45_k3_openface_towers_wh5_abstain", "Keras 3 `.weights.h5` of two deepface OpenFace towers as nested "
       "functional models (`layers/functional/layers/conv1/vars/0`, `layers/functional_1/..`) -> one OpenFace "
       "(the first tower by construction; which tower no file says: must abstain on all)", "keras3", "abstain"),
    _s("h45_torch_dp_openface_towers_to_k3_abstain", "DataParallel `.pth` of two deepface OpenFaceNet towers "
       "(`module.towers.0.inception_3a.branch_1x1.conv.weight`, `module.towers.1..`) -> deepface OpenFace in "
       "Keras 3 (the second tower by construction; which tower no file says: must abstain on all)",
       "cross", "keras3", "abstain"),
    # GhostFaceNet
    _s("h45_ghost_wh5_to_autonum_shifted", "deepface GhostFaceNetV1 (Keras 3) `.weights.h5` (class-numbered "
       "paths: `layers/conv2d/vars/0`, `layers/batch_normalization_4/..`, `layers/depthwise_conv2d_1/..`, the "
       "PReLUs `layers/p_re_lu_N/..`) -> GhostFaceNetV1 built after another model in the same session (its "
       "auto-numbered layer names shifted: `conv2d_3/kernel`, `batch_normalization_2/gamma`, beside "
       "`GDC_dw/kernel`, `pre_embedding/gamma`; truth: construction)", "keras3"),
    _s("h45_ghost_keras_new_arcface_head", "deepface GhostFaceNetV1 Keras 3 `.keras` -> GhostFaceNetV1 with an "
       "ArcFace-style identity layer `arcface_logits` [512, 20] (new; truth: construction)", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL45", "/work/coord/material-heldout45")
PACKAGES = ["deepface==0.0.103"]


def _deepface(fw, name):
    """A deepface model module (``fw``: tf or pytorch), entered without the package's __init__; the weight
    download and the verification module are stubbed (never called here)."""
    import importlib

    root = os.path.join(MATERIAL, "deepface", "deepface")
    _stub("deepface", __path__=[root])
    _stub("deepface.commons", __path__=[os.path.join(root, "commons")])
    _stub("deepface.modules", __path__=[os.path.join(root, "modules")])
    _stub("deepface.commons.weight_utils", download_weights_if_necessary=lambda **kw: None,
          load_model_weights=lambda model, weight_file: model)
    _stub("deepface.modules.verification", l2_normalize=None)
    return importlib.import_module(f"deepface.models.facial_recognition.{fw}.{name}")


def _k3(name, clear=True):
    import keras

    if clear:
        keras.backend.clear_session()
    mod = _deepface("tf", name)
    return mod.GhostFaceNetV1() if name == "GhostFaceNet" else mod.load_model()


def _torch(name, seed):
    mod = _deepface("pytorch", name)
    m = {"DeepID": getattr(mod, "DeepIdNet", None), "OpenFace": getattr(mod, "OpenFaceNet", None)}[name]()
    fill_random_torch(m, seed)
    return m


def _deepid_path(k):
    return k


def _openface_path(k):
    """deepface's PyTorch OpenFaceNet module of a Keras OpenFace layer (the package's own port)."""
    if re.fullmatch(r"conv\d", k):
        return k + ".conv"
    if re.fullmatch(r"bn\d", k):
        return f"conv{k[2]}.bn"
    if k == "dense_layer":
        return k
    blk, br, part = re.fullmatch(r"(inception_\d[a-z])_(3x3|5x5|pool|1x1)_(conv\d?|bn\d?)", k).groups()
    kind = part.rstrip("0123456789")
    if br in ("3x3", "5x5"):
        return f"{blk}.branch_{br}.{int(part[-1]) - 1}.{kind}"
    return f"{blk}.branch_{br}.{kind}"


def _layers(km):
    return [lay for lay in km.layers if lay.weights]


def _k2t(km, tm, path):
    """Keras layers into the torch twin, layer by layer (construction)."""
    mods = dict(tm.named_modules())
    done = set()
    for lay in _layers(km):
        p = path(lay.name)
        mod = mods[p]
        if hasattr(lay, "moving_mean"):
            for t, w in ((mod.weight, lay.gamma), (mod.bias, lay.beta), (mod.running_mean, lay.moving_mean),
                         (mod.running_var, lay.moving_variance)):
                _put_t(t, _np(w))
        elif _np(lay.kernel).ndim == 4:
            _conv(mod, lay.kernel, lay.bias)
        else:
            _lin(mod, lay.kernel, lay.bias)
        done.add(p)
    assert done == {n for n, m in tm.named_modules() if list(m.parameters(recurse=False))}, done


def _t2k(tm, km, path):
    """The torch twin's modules into the Keras layers (construction)."""
    mods = dict(tm.named_modules())
    for lay in _layers(km):
        mod = mods[path(lay.name)]
        if hasattr(lay, "moving_mean"):
            ws = [mod.weight, mod.bias, mod.running_mean, mod.running_var]
            lay.set_weights([_t(w) for w in ws])
        elif _np(lay.kernel).ndim == 4:
            lay.set_weights([_t(mod.weight).transpose(2, 3, 1, 0), _t(mod.bias)])
        else:
            lay.set_weights([_t(mod.weight).T, _t(mod.bias)])


def _copy_k(dst, src):
    """Layer by layer between two Keras models of one architecture (by order: their auto-numbers may differ)."""
    for a, b in zip(_layers(dst), _layers(src), strict=True):
        assert [tuple(w.shape) for w in a.weights] == [tuple(w.shape) for w in b.weights], (a.name, b.name)
        a.set_weights(b.get_weights())


def _wh5(d, m, name):
    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    m.save_weights(ck)
    return ck, read_h5(ck)


def _keras_file(d, m, name):
    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    m.save(ck)
    return ck, heldout2.read_keras_zip(ck, d)


def _tf1_save(d, arrays, trainable, slots, name):
    """A TF1 Saver checkpoint of ``arrays`` with optimizer ``slots`` on the ``trainable`` ones and global_step."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        for n, a in arrays.items():
            tf.compat.v1.get_variable(n, initializer=a)
        for n in trainable:
            for s in slots:
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", arrays[n].shape))
        if "Adam" in slots:
            tf.compat.v1.get_variable("beta1_power", initializer=0.9)
            tf.compat.v1.get_variable("beta2_power", initializer=0.999)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", name), write_meta_graph=False)


def _tf1_arrays(km, scope, seed):
    """tf.compat.v1 layer names of a Keras model's layers (`scope/layer/kernel`, `../gamma`, `../moving_mean`)."""
    arrays, trainable = {}, []
    for lay in _layers(km):
        names = (["gamma", "beta", "moving_mean", "moving_variance"] if hasattr(lay, "moving_mean")
                 else ["kernel", "bias"])
        for n, w in zip(names, lay.weights, strict=True):
            k = f"{scope}/{lay.name}/{n}"
            arrays[k] = distinct(f"{seed}|{k}", w.shape)
            if not n.startswith("moving"):
                trainable.append(k)
    return arrays, trainable


def _from_tf1(km, stored, scope):
    for lay in _layers(km):
        names = (["gamma", "beta", "moving_mean", "moving_variance"] if hasattr(lay, "moving_mean")
                 else ["kernel", "bias"])
        lay.set_weights([stored[f"{scope}/{lay.name}/{n}"] for n in names])


# ---------------------------------------------------------------------------------------------------------
# DeepID

def b_deepid_wh5_to_torch(d):
    km = _k3("DeepID")
    fill_random(km.weights, "deepid")
    ck, stored = _wh5(d, km, "deepid.weights.h5")
    assert "layers/dense_1/vars/0" in stored, sorted(stored)
    tm = _torch("DeepID", "tgt")
    _k2t(km, tm, _deepid_path)  # construction
    return [ck], stored, _pt_values(tm, d), []


def b_torch_dp_deepid_to_k3(d):
    import torch.nn as nn

    tm = _torch("DeepID", "deepid_pt")
    ck = _save_pt(d, nn.DataParallel(tm).state_dict(), "deepid.pth")
    stored = read_torch(ck)
    assert "module.fc12.bias" in stored, sorted(stored)
    km = _k3("DeepID")
    fill_random(km.weights, "tgt")
    _t2k(tm, km, _deepid_path)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf1_deepid_adam_to_k3(d):
    km = _k3("DeepID")
    fill_random(km.weights, "tgt")
    arrays, trainable = _tf1_arrays(km, "deepid", "tf1deepid")
    prefix = _tf1_save(d, arrays, trainable, ("Adam", "Adam_1"), "model.ckpt")
    stored = read_tf(prefix)
    assert "deepid/Conv1/kernel/Adam_1" in stored, sorted(stored)
    _from_tf1(km, stored, "deepid")  # construction
    return [_rel(prefix, d)], stored, _k3_values(km, d), []


def b_tf2_deepid_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3("DeepID")
    fill_random(km.weights, "tf2deepid")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "deepid-12"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 12, sorted(stored)
    tm = _torch("DeepID", "tgt")
    _k2t(km, tm, _deepid_path)  # construction
    return [_rel(prefix, d)], stored, _pt_values(tm, d), []


def b_torch_deepid_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList(_torch("DeepID", f"member{i}") for i in range(3))
    ck = _save_pt(d, ens.state_dict(), "deepid_ensemble.pt")
    stored = read_torch(ck)
    tm = _torch("DeepID", "tgt")
    tm.load_state_dict(ens.members[1].state_dict())  # construction: the second member
    values = _pt_values(tm, d)
    amb = _float(values)
    assert len(amb) == 12, amb
    return [ck], stored, values, amb


def b_k3_deepid_siamese_keras_to_torch_abstain(d):
    import keras

    keras.backend.clear_session()
    towers = [_k3("DeepID", clear=False) for _ in range(2)]
    a, b = keras.Input((55, 47, 3)), keras.Input((55, 47, 3))
    dist = keras.layers.Subtract()([towers[0](a), towers[1](b)])
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Lambda(lambda x: abs(x))(dist))
    src = keras.Model([a, b], out, name="siamese")
    fill_random(src.weights, "siamese")
    ck, stored = _keras_file(d, src, "deepid_siamese.keras")
    tm = _torch("DeepID", "tgt")
    _k2t(towers[1], tm, _deepid_path)  # construction: the second tower
    values = _pt_values(tm, d)
    amb = _float(values)
    assert len(amb) == 12, amb
    return [ck], stored, values, amb


def b_k3_deepid_two_heads_abstain(d):
    import keras

    km = _k3("DeepID")
    x = km.output
    src = keras.Model(km.input, [keras.layers.Dense(10)(x), keras.layers.Dense(10)(x)], name="deepid_mt")
    fill_random(src.weights, "two_heads")
    ck, stored = _wh5(d, src, "deepid_two_heads.weights.h5")
    assert "layers/dense_1/vars/0" in stored, sorted(stored)
    trunk = [[_np(w) for w in lay.weights] for lay in _layers(km)]
    head = [_np(w) for w in src.get_layer("dense_1").weights]
    m = _k3("DeepID")
    tgt = keras.Model(m.input, keras.layers.Dense(10, name="identity")(m.output), name="deepid_id")
    fill_random(tgt.weights, "tgt")
    for lay, ws in zip(_layers(m), trunk, strict=True):  # construction: the trunk, and the file's dense_1
        lay.set_weights(ws)
    tgt.get_layer("identity").set_weights(head)
    values = _k3_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("identity/")]
    assert len(amb) == 2, _float(values)
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# OpenFace

def b_openface_wh5_to_torch(d):
    km = _k3("OpenFace")
    fill_random(km.weights, "openface")
    ck, stored = _wh5(d, km, "openface.weights.h5")
    assert "layers/batch_normalization_12/vars/3" in stored, sorted(stored)[:10]
    tm = _torch("OpenFace", "tgt")
    _k2t(km, tm, _openface_path)  # construction
    return [ck], stored, _pt_values(tm, d), []


def b_torch_compiled_openface_to_k3(d):
    import torch
    from safetensors.torch import save_file

    tm = _torch("OpenFace", "openface_pt")
    sd = torch.compile(tm).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    km = _k3("OpenFace")
    fill_random(km.weights, "tgt")
    _t2k(tm, km, _openface_path)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_openface_keras_new_head(d):
    import keras

    src = _k3("OpenFace")
    fill_random(src.weights, "openface_keras")
    ck, stored = _keras_file(d, src, "openface.keras")
    m = _k3("OpenFace")
    tgt = keras.Model(m.input, keras.layers.Dense(12, name="identity")(m.output), name="openface_id")
    fill_random(tgt.weights, "tgt")
    _copy_k(m, src)  # construction
    return [ck], stored, _k3_values(tgt, d), []


def b_tf1_openface_momentum_to_torch(d):
    km = _k3("OpenFace")
    arrays, trainable = _tf1_arrays(km, "openface", "tf1openface")
    prefix = _tf1_save(d, arrays, trainable, ("Momentum",), "model.ckpt")
    stored = read_tf(prefix)
    assert "openface/bn1/moving_variance" in stored and "openface/bn1/gamma/Momentum" in stored
    assert "openface/bn1/moving_mean/Momentum" not in stored
    _from_tf1(km, stored, "openface")
    tm = _torch("OpenFace", "tgt")
    _k2t(km, tm, _openface_path)  # construction
    return [_rel(prefix, d)], stored, _pt_values(tm, d), []


def b_k3_openface_towers_wh5_abstain(d):
    import keras

    keras.backend.clear_session()
    towers = [_k3("OpenFace", clear=False) for _ in range(2)]
    a, b = keras.Input((96, 96, 3)), keras.Input((96, 96, 3))
    src = keras.Model([a, b], keras.layers.Concatenate()([towers[0](a), towers[1](b)]), name="openface_pair")
    fill_random(src.weights, "towers")
    ck, stored = _wh5(d, src, "openface_towers.weights.h5")
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)[:5]
    m = _k3("OpenFace")
    fill_random(m.weights, "tgt")
    _copy_k(m, towers[0])  # construction: the first tower
    values = _k3_values(m, d)
    amb = _float(values)
    return [ck], stored, values, amb


def b_torch_dp_openface_towers_to_k3_abstain(d):
    import torch.nn as nn

    pair = nn.Module()
    pair.towers = nn.ModuleList(_torch("OpenFace", f"tower{i}") for i in range(2))
    ck = _save_pt(d, nn.DataParallel(pair).state_dict(), "openface_towers.pth")
    stored = read_torch(ck)
    assert "module.towers.1.inception_3a.branch_1x1.conv.weight" in stored, sorted(stored)[:5]
    km = _k3("OpenFace")
    fill_random(km.weights, "tgt")
    _t2k(pair.towers[1], km, _openface_path)  # construction: the second tower
    values = _k3_values(km, d)
    amb = _float(values)
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# GhostFaceNet

def b_ghost_wh5_to_autonum_shifted(d):
    import keras

    src = _k3("GhostFaceNet")
    fill_random(src.weights, "ghost")
    ck, stored = _wh5(d, src, "ghostfacenet.weights.h5")
    assert "layers/conv2d/vars/0" in stored, sorted(stored)[:8]
    keras.backend.clear_session()
    L = keras.layers
    inp = keras.Input((16, 16, 3))  # another model first: Conv2D / BatchNormalization / DepthwiseConv2D numbers
    x = L.BatchNormalization()(L.Conv2D(4, 3)(inp))
    x = L.DepthwiseConv2D(3)(L.Conv2D(4, 1)(L.Conv2D(4, 1)(x)))
    keras.Model(inp, L.BatchNormalization()(x))
    m = _k3("GhostFaceNet", clear=False)
    fill_random(m.weights, "tgt")
    assert m.layers[1].name == "conv2d_3", m.layers[1].name
    _copy_k(m, src)  # construction
    return [ck], stored, _k3_values(m, d), []


def b_ghost_keras_new_arcface_head(d):
    import keras

    src = _k3("GhostFaceNet")
    fill_random(src.weights, "ghost_keras")
    ck, stored = _keras_file(d, src, "ghostfacenet.keras")
    m = _k3("GhostFaceNet")
    tgt = keras.Model(m.input, keras.layers.Dense(20, use_bias=False, name="arcface_logits")(m.output),
                      name="ghostfacenet_arcface")
    fill_random(tgt.weights, "tgt")
    _copy_k(m, src)  # construction
    return [ck], stored, _k3_values(tgt, d), []


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
    """The frameworks' readers (a `.pth` by torch.load)."""
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
