"""A twenty-fourth held-out part of alignment scenarios (``--part heldout24``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material: nothing downloaded; transformers 4.46 definitions of VAN (Visual Attention Network) and SpeechT5 (none of
them in an earlier part; sources and licences in NOTICE), and models written for this part: Keras 3 functional
models as `.weights.h5` and `.keras` (a Conv2DTranspose decoder into a PyTorch twin, a depthwise conv net into a
PyTorch twin, two equal parallel Dense branches into role names, a LayerNormalization inserted in the middle, four
equal Conv1D into three by Keras' own load_weights), TF1 graphs (a conv2d_transpose decoder under a wrapper scope,
get_variable scopes renamed, equal hidden layers with one removed, a bag-of-embeddings net with batch norm into a
PyTorch twin, two square projections given role-free names), TF2 checkpoints (a tf.Module list into nn.Sequential, a
Keras 3 functional model with a batch norm inserted, a tf.Module dict of equal heads with renamed keys, a tf.Module
with 1,200 variables into a ModuleList, a tf.Module transposed conv into nn.ConvTranspose2d, a tf.Module with a
Keras 3 Adam's slots into a Keras 3 model) and PyTorch state dicts (an EMA copy under `ema.module.` into a renamed
submodule, `module.`-prefixed models into Lightning-style `model.` wrappers, one with a new head of the unused
classifier's shape).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module) or by the scenario's construction, and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout24.py fetch               # nothing to fetch (transformers is the venv's)
    python bench/scenarios/heldout24.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout24.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout24        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout24"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch
    _s("h24_van_compiled_cls_to_base", "torch.compile'd VanForImageClassification (`_orig_mod.van.encoder.stages.0."
       "layers.0.attention.attention_layer.attention.depth_wise_dilated.weight` depthwise, `_orig_mod.van.encoder."
       "stages.1.layers.0.mlp.in_dense.weight` 1x1 conv, `_orig_mod.classifier.weight`) -> VanModel (no prefix; the "
       "classifier unused; truth: load_state_dict of the base)"),
    _s("h24_speecht5_dp_asr_to_model", "DataParallel SpeechT5ForSpeechToText (`module.speecht5.encoder.prenet."
       "feature_encoder.conv_layers.0.conv.weight`, `module.speecht5.encoder.wrapped_encoder.layers.1.attention."
       "k_proj.weight`, `module.text_decoder_postnet.lm_head.weight`) -> SpeechT5Model with no pre/post-nets "
       "(the encoder's and decoder's wrapped stacks only; prenets and postnet unused; truth: load_state_dict of "
       "the wrapped stacks)"),
    _s("h24_ema_copy_to_renamed_submodule", "an EMA state_dict (`ema.module.encoder.0.weight`, `ema.module."
       "encoder.2.weight`, `ema.module.decoder.weight`, BatchNorm1d running stats) -> the model with `encoder` "
       "renamed `backbone` and `decoder` renamed `head` (truth: load_state_dict of each part)"),
    _s("h24_dp_head_same_shape_abstain", "DataParallel MLP classifier (`module.trunk.0.weight` [32, 12], "
       "`module.trunk.2.weight` [32, 32], `module.classifier.weight` [7, 32]) -> a Lightning-style module (`model.` "
       "prefix) with the trunk and a new `model.task_head` [7, 32] of the classifier's shape (renamed or replaced? "
       "no file says: must abstain on the head; the trunk decided)", "abstain"),
    _s("h24_dp_to_lightning_wrapper_new_head", "DataParallel conv classifier (`module.features.conv1.weight`, "
       "`module.features.bn1.running_var`, `module.fc.weight` [10, 16]) -> a Lightning-style module with the net as "
       "`model` and a second 3-class head `model.aux` (new; truth: load_state_dict of what fits)"),
    # Keras 3
    _s("h24_k3_deconv_decoder_to_torch", "Keras 3 functional decoder (Dense 6->64, Reshape, Conv2DTranspose 16->8 "
       "kernel [3, 3, 8, 16], Conv2DTranspose 8->3 stride 2) `.weights.h5` -> a PyTorch twin (nn.ConvTranspose2d "
       "weight [16, 8, 3, 3]; truth: construction)", "cross", "keras3"),
    _s("h24_k3_depthwise_ln_to_torch", "Keras 3 functional net (Conv2D 3->8, DepthwiseConv2D depth_multiplier=2 "
       "[3, 3, 8, 2], LayerNormalization, 1x1 Conv2D 16->12, Dense) `.keras` -> a PyTorch twin (grouped "
       "nn.Conv2d(8, 16, groups=8) [16, 1, 3, 3], nn.LayerNorm; truth: construction)", "cross", "keras3"),
    _s("h24_k3_equal_branches_to_torch_abstain", "Keras 3 functional net: stem Dense 5->16, two equal parallel "
       "auto-named Dense 16->16 branches (`dense_1`, `dense_2`) multiplied, head Dense 16->3 `.weights.h5` -> a "
       "PyTorch twin with `gate` and `value` (which is which no file says: must abstain on them)",
       "cross", "keras3", "abstain"),
    _s("h24_k3_layernorm_inserted_keras", "Keras 3 functional MLP (Embedding 40x8, Flatten, Dense 48->24, Dense "
       "24->24, Dense 5) `.weights.h5` -> the MLP rebuilt with a LayerNormalization inserted after the first Dense "
       "(new; truth: construction, the new layer checked against Keras' own load_weights)", "keras3"),
    _s("h24_k3_equal_conv1d_removed_keras", "Keras 3 functional 1-D net (Conv1D 4->8, four equal Conv1D 8->8 "
       "`conv1d_1` .. `conv1d_4`, Dense) `.keras` -> rebuilt with three (truth: Keras' own load_weights, which "
       "loads by class-numbered path and leaves `conv1d_4` unused; which equal conv went is in no file, so "
       "abstaining on them is fine too; stem and head decided)", "keras3"),
    # TF1 graphs
    _s("h24_tf1_deconv_decoder_wrapped", "TF1 decoder (`fc` dense, `deconv1`, `deconv2` conv2d_transpose kernels "
       "[3, 3, out, in]) with Adam slots -> the decoder under `vae/decoder/` (truth: init_from_checkpoint with "
       "an assignment map)", "tf1", legacy=True),
    _s("h24_tf1_get_variable_scopes_renamed", "TF1 MLP of get_variable scopes (`enc/layer_0/w` [12, 20], `enc/"
       "layer_0/b`, `enc/layer_1/w` [20, 10], `enc/ln/gamma`, `cls/w` [10, 4]) with RMSProp slots -> the scopes "
       "renamed `encoder/dense_0`, `encoder/dense_1`, `encoder/norm`, `classifier` (truth: init_from_checkpoint)",
       "tf1", legacy=True),
    _s("h24_tf1_equal_hidden_removed_abstain", "TF1 MLP with `input` dense 6->16, four equal `hidden_0` .. "
       "`hidden_3` 16->16 and `output` 16->2, Momentum slots -> three hidden layers (hidden_1 dropped, the rest "
       "moved down; which went is in no file: must abstain on the hidden layers)", "tf1", "abstain", legacy=True),
    _s("h24_tf1_bag_embeddings_bn_to_torch", "TF1 bag-of-embeddings net (`embedding/table` [60, 8] get_variable, "
       "`proj` dense 8->16, `bn` batch_normalization with moving statistics, `logits` dense) with Adagrad slots -> "
       "a PyTorch twin (nn.EmbeddingBag, nn.Linear, nn.BatchNorm1d; truth: construction)", "cross", "tf1",
       legacy=True),
    _s("h24_tf1_square_projections_abstain", "TF1 net with `inp` dense 5->12, two square dense `proj_a` and "
       "`proj_b` 12->12 applied in parallel and summed, `out` dense -> the net with `branch/left` and "
       "`branch/right` (in order by construction; which is which no file says: must abstain on them)", "tf1",
       "abstain", legacy=True),
    # TF2 checkpoints
    _s("h24_tf2_module_list_to_sequential", "tf.train.Checkpoint of a tf.Module with a list of layers (`layers/0/w` "
       "[10, 20], `layers/1/w` [20, 20], `layers/2/w` [20, 6], each with `b`) -> a PyTorch nn.Sequential with "
       "activations between (`net.0`, `net.2`, `net.4`; truth: construction)", "cross", "tf2"),
    _s("h24_tf2_k3_bn_inserted", "tf.train.Checkpoint of a Keras 3 functional MLP (Dense 8->16, Dense 16->16, "
       "Dense 16->4; object-graph paths `model/_operations/2/_kernel`) with a step -> the MLP rebuilt with a "
       "BatchNormalization inserted after the first Dense (the later operation numbers move up; the batch norm new; "
       "truth: construction)", "tf2", "keras3"),
    _s("h24_tf2_module_equal_heads_renamed_abstain", "tf.train.Checkpoint of a tf.Module with a trunk (`trunk/w` "
       "[7, 8]) and a dict of three equal heads (`heads/age`, `heads/income`, `heads/score`, each [8, 4] + [4]) -> "
       "a PyTorch ModuleDict with keys `t0`, `t1`, `t2` (no names shared: must abstain on the heads)", "cross",
       "tf2", "abstain"),
    _s("h24_tf2_module_1k_to_modulelist", "tf.train.Checkpoint of a tf.Module with 600 small residual cells "
       "(`cells/599/w` [3, 3], `cells/599/b` [3]; 1,200 variables) and an `emb` [20, 3] -> a PyTorch module with "
       "`embed` and a ModuleList `blocks` of nn.Linear (truth: construction)", "cross", "tf2"),
    _s("h24_tf2_module_deconv_to_torch", "tf.train.Checkpoint of a tf.Module upsampler (`up1/kernel` [4, 4, 8, 12] "
       "for conv2d_transpose, `up1/bias`, `up2/kernel` [4, 4, 3, 8], `proj/w` [5, 12]) -> a PyTorch twin "
       "(nn.ConvTranspose2d weight [12, 8, 4, 4], nn.Linear; truth: construction)", "cross", "tf2"),
    _s("h24_tf2_module_optimizer_slots_to_k3", "tf.train.Checkpoint of a tf.Module classifier with a Keras 3 Adam "
       "(`model/w1` [6, 10], `model/b1`, `model/w2` [10, 3], `model/b2`, the optimizer's m/v slots) -> a Keras 3 "
       "functional model with two Dense (truth: construction; the slots unused)", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _save_pt(d, sd, name):
    import torch

    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    torch.save(sd, ck)
    return ck


def _np(w):
    import numpy as np

    return np.asarray(w.numpy() if hasattr(w, "numpy") else w)


def _lin(t, kernel, bias=None):  # Dense [in, out] -> Linear [out, in]
    _put_t(t.weight, _np(kernel).T)
    if bias is not None:
        _put_t(t.bias, _np(bias))


def _conv(t, kernel, bias=None):  # Conv2D [h, w, in, out] -> Conv2d [out, in, h, w]
    _put_t(t.weight, _np(kernel).transpose(3, 2, 0, 1))
    if bias is not None:
        _put_t(t.bias, _np(bias))


def _deconv(t, kernel, bias=None):  # Conv2DTranspose [h, w, out, in] -> ConvTranspose2d [in, out, h, w]
    _put_t(t.weight, _np(kernel).transpose(3, 2, 0, 1))
    if bias is not None:
        _put_t(t.bias, _np(bias))


# ---------------------------------------------------------------------------------------------------------
# PyTorch

def b_van_compiled_cls_to_base(d):
    import torch
    from transformers import VanConfig, VanForImageClassification, VanModel

    cfg = VanConfig(image_size=32, hidden_sizes=[8, 16], depths=[1, 2], mlp_ratios=[2, 2], patch_sizes=[7, 3],
                    strides=[4, 2], num_labels=5)
    src = VanForImageClassification(cfg)
    fill_random_torch(src, "van")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = _save_pt(d, sd, "van.pt")
    tgt = VanModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.van.state_dict())  # construction: the base; the classifier unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_speecht5_dp_asr_to_model(d):
    import torch.nn as nn
    from transformers import SpeechT5Config, SpeechT5ForSpeechToText, SpeechT5Model

    cfg = SpeechT5Config(vocab_size=41, hidden_size=16, encoder_layers=2, decoder_layers=2,
                         encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=24,
                         decoder_ffn_dim=24, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                         num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, speech_decoder_prenet_units=8,
                         speech_decoder_postnet_units=8, speech_decoder_postnet_layers=2, num_mel_bins=8,
                         max_text_positions=64, max_speech_positions=64)
    src = SpeechT5ForSpeechToText(cfg)
    fill_random_torch(src, "speecht5")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "speecht5_asr_dp.pt")
    tgt = SpeechT5Model(cfg)
    fill_random_torch(tgt, "tgt")
    # construction: the wrapped stacks (the model has no pre/post-nets)
    tgt.encoder.wrapped_encoder.load_state_dict(src.speecht5.encoder.wrapped_encoder.state_dict())
    tgt.decoder.wrapped_decoder.load_state_dict(src.speecht5.decoder.wrapped_decoder.state_dict())
    assert len(tgt.state_dict()) == (len(src.speecht5.encoder.wrapped_encoder.state_dict())
                                     + len(src.speecht5.decoder.wrapped_decoder.state_dict()))
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _ae():
    import torch.nn as nn

    m = nn.Module()
    m.encoder = nn.Sequential(nn.Linear(12, 16), nn.BatchNorm1d(16), nn.Linear(16, 6))
    m.decoder = nn.Linear(6, 12)
    return m


def b_ema_copy_to_renamed_submodule(d):
    import torch.nn as nn

    ema = nn.Module()
    ema.module = _ae()
    fill_random_torch(ema, "ema")
    wrapper = nn.Module()
    wrapper.ema = ema
    ck = _save_pt(d, wrapper.state_dict(), "ema.pt")
    tgt = nn.Module()
    tgt.backbone = nn.Sequential(nn.Linear(12, 16), nn.BatchNorm1d(16), nn.Linear(16, 6))
    tgt.head = nn.Linear(6, 12)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(ema.module.encoder.state_dict())  # construction
    tgt.head.load_state_dict(ema.module.decoder.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _convnet():
    import torch.nn as nn

    m = nn.Module()
    m.features = nn.Module()
    m.features.conv1 = nn.Conv2d(3, 8, 3)
    m.features.bn1 = nn.BatchNorm2d(8)
    m.features.conv2 = nn.Conv2d(8, 16, 3, stride=2)
    m.fc = nn.Linear(16, 10)
    return m


def b_dp_head_same_shape_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.trunk = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    src.classifier = nn.Linear(32, 7)
    fill_random_torch(src, "mlpdp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "mlp_dp.pt")
    tgt = nn.Module()
    tgt.model = nn.Module()
    tgt.model.trunk = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    tgt.model.task_head = nn.Linear(32, 7)
    fill_random_torch(tgt, "tgt")
    tgt.model.trunk.load_state_dict(src.trunk.state_dict())  # construction: the trunk; the head new
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("model.task_head."))
    assert len(amb) == 2, amb
    return [ck], read_torch(ck), values, amb


def b_dp_to_lightning_wrapper_new_head(d):
    import torch.nn as nn

    src = _convnet()
    fill_random_torch(src, "convnet")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "convnet_dp.pt")
    tgt = nn.Module()
    tgt.model = _convnet()
    tgt.model.aux = nn.Linear(16, 3)
    fill_random_torch(tgt, "tgt")
    missing, unexpected = tgt.model.load_state_dict(src.state_dict(), strict=False)  # construction
    assert sorted(missing) == ["aux.bias", "aux.weight"] and not unexpected, (missing, unexpected)
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3

def b_k3_deconv_decoder_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((6,))
    fc = L.Dense(64)
    t1, t2 = L.Conv2DTranspose(8, 3, padding="same"), L.Conv2DTranspose(3, 4, strides=2, padding="same")
    src = keras.Model(inp, t2(t1(L.Reshape((2, 2, 16))(fc(inp)))))
    fill_random(src.weights, "deconv")
    ck = os.path.join(d, "ckpt", "decoder.weights.h5")
    src.save_weights(ck)
    assert tuple(t1.kernel.shape) == (3, 3, 8, 16), t1.kernel.shape
    twin = nn.Module()
    twin.fc = nn.Linear(6, 64)
    twin.up1 = nn.ConvTranspose2d(16, 8, 3, padding=1)
    twin.up2 = nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1)
    fill_random_torch(twin, "twin")
    _lin(twin.fc, fc.kernel, fc.bias)  # construction
    _deconv(twin.up1, t1.kernel, t1.bias)
    _deconv(twin.up2, t2.kernel, t2.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_depthwise_ln_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12, 12, 3))
    c1 = L.Conv2D(8, 3, padding="same")
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    ln, pw, fc = L.LayerNormalization(), L.Conv2D(12, 1), L.Dense(4)
    src = keras.Model(inp, fc(L.GlobalAveragePooling2D()(pw(ln(dw(c1(inp)))))))
    fill_random(src.weights, "dwln")
    ck = os.path.join(d, "ckpt", "dwnet.keras")
    src.save(ck)
    assert tuple(dw.kernel.shape) == (3, 3, 8, 2), dw.kernel.shape
    twin = nn.Module()
    twin.conv = nn.Conv2d(3, 8, 3, padding=1)
    twin.dw = nn.Conv2d(8, 16, 3, padding=1, groups=8)
    twin.norm = nn.LayerNorm(16)
    twin.pw = nn.Conv2d(16, 12, 1)
    twin.fc = nn.Linear(12, 4)
    fill_random_torch(twin, "twin")
    _conv(twin.conv, c1.kernel, c1.bias)  # construction
    # [h, w, c, m] -> output channel c*m + j: [c*m, 1, h, w] by a permutation then a reshape
    _put_t(twin.dw.weight, _np(dw.kernel).transpose(2, 3, 0, 1).reshape(16, 1, 3, 3))
    _put_t(twin.dw.bias, _np(dw.bias))
    _put_t(twin.norm.weight, _np(ln.gamma))
    _put_t(twin.norm.bias, _np(ln.beta))
    _conv(twin.pw, pw.kernel, pw.bias)
    _lin(twin.fc, fc.kernel, fc.bias)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_equal_branches_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((5,))
    stem, a, b, head = L.Dense(16), L.Dense(16), L.Dense(16), L.Dense(3)
    h = stem(inp)
    src = keras.Model(inp, head(L.Multiply()([a(h), b(h)])))
    fill_random(src.weights, "branches")
    ck = os.path.join(d, "ckpt", "glu.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.stem, twin.gate, twin.value, twin.head = nn.Linear(5, 16), nn.Linear(16, 16), nn.Linear(16, 16), \
        nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    for t, lay in ((twin.stem, stem), (twin.gate, a), (twin.value, b), (twin.head, head)):
        _lin(t, lay.kernel, lay.bias)  # construction
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("gate.", "value.")))
    assert len(amb) == 4, amb
    return [ck], read_h5(ck), values, amb


def _mlp_emb(norm):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((6,), dtype="int32")
    emb, d1, d2, d3 = L.Embedding(40, 8), L.Dense(24, activation="relu"), L.Dense(24), L.Dense(5)
    h = d1(L.Flatten()(emb(inp)))
    ln = L.LayerNormalization() if norm else None
    if ln is not None:
        h = ln(h)
    return keras.Model(inp, d3(d2(h))), [emb, d1, d2, d3], ln


def b_k3_layernorm_inserted_keras(d):
    import numpy as np

    src, slay, _ = _mlp_emb(False)
    fill_random(src.weights, "mlpemb")
    ck = os.path.join(d, "ckpt", "mlp.weights.h5")
    src.save_weights(ck)
    sw = [lay.get_weights() for lay in slay]
    tgt, tlay, _ = _mlp_emb(True)
    fill_random(tgt.weights, "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the LayerNormalization new
        lay.set_weights(w)
    values = _all(spec_and_values(tgt, d), d)
    t2, _, ln2 = _mlp_emb(True)
    fill_random(t2.weights, "tgt")
    fresh = ln2.get_weights()
    try:  # the oracle for the inserted layer: Keras' own load_weights puts nothing into it
        t2.load_weights(ck)
    except Exception as e:  # noqa: BLE001 - a refusal loads nothing into it either
        print("load_weights:", type(e).__name__, str(e)[:200])
    assert all(np.array_equal(x, y) for x, y in zip(ln2.get_weights(), fresh, strict=True))
    return [ck], read_h5(ck), values, []


def _conv1d_stack(n):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((24, 4))
    stem = L.Conv1D(8, 3, padding="same", activation="relu")
    convs = [L.Conv1D(8, 3, padding="same", activation="relu") for _ in range(n)]
    h = stem(inp)
    for c in convs:
        h = c(h)
    fc = L.Dense(2)
    return keras.Model(inp, fc(L.GlobalAveragePooling1D()(h))), stem, convs, fc


def b_k3_equal_conv1d_removed_keras(d):
    import numpy as np

    src, sstem, sconv, sfc = _conv1d_stack(4)
    fill_random(src.weights, "c1d")
    ck = os.path.join(d, "ckpt", "conv1d.keras")
    src.save(ck)
    tgt, tstem, tconv, tfc = _conv1d_stack(3)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # the truth: Keras' own restore (by class-numbered path; the fourth equal conv unused)
    for t, i in zip(tconv, (0, 1, 2), strict=True):
        assert np.array_equal(t.get_weights()[0], sconv[i].get_weights()[0]), i
    assert np.array_equal(tstem.get_weights()[0], sstem.get_weights()[0])
    assert np.array_equal(tfc.get_weights()[0], sfc.get_weights()[0])
    values = _all(spec_and_values(tgt, d), d)
    cnames = {v.path for c in tconv for v in c.weights}
    amb = sorted(n for n in values if n in cnames)
    assert len(amb) == 6, (amb, sorted(values))
    return [ck], heldout2.read_keras_zip(ck, d), values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _tf1_names(build):
    import tensorflow as tf

    names = []

    def src():
        out = build()
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    return src, names


def _amap(names, ren):
    amap = {}
    for n in names:
        scope, _, leaf = n.rpartition("/")
        if scope in ren:
            amap[n] = ren[scope] + "/" + leaf
    return amap


def _decoder():
    import tensorflow as tf

    L = tf.compat.v1.layers
    z = tf.compat.v1.placeholder(tf.float32, (None, 6))
    h = tf.reshape(L.dense(z, 4 * 4 * 12, name="fc"), (-1, 4, 4, 12))
    h = L.conv2d_transpose(h, 8, 3, strides=2, padding="same", activation=tf.nn.relu, name="deconv1")
    return L.conv2d_transpose(h, 3, 3, strides=2, padding="same", name="deconv2")


def b_tf1_deconv_decoder_wrapped(d):
    import tensorflow as tf

    src, names = _tf1_names(_decoder)
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert stored["deconv1/kernel"].shape == (3, 3, 8, 12), stored["deconv1/kernel"].shape
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("vae"):
            with tf.compat.v1.variable_scope("decoder"):
                _decoder()
    amap = {n: "vae/decoder/" + n for n in names if n.startswith(("fc/", "deconv1/", "deconv2/"))}
    assert len(amap) == 6, amap
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


def _gv_mlp(named):
    import tensorflow as tf

    gv = tf.compat.v1.get_variable
    x = tf.compat.v1.placeholder(tf.float32, (None, 12))
    s = ("encoder", "dense_0", "dense_1", "norm", "classifier") if named else ("enc", "layer_0", "layer_1", "ln",
                                                                            "cls")
    with tf.compat.v1.variable_scope(s[0]):
        h = x
        for sc, (i, o) in zip(s[1:3], ((12, 20), (20, 10)), strict=True):
            with tf.compat.v1.variable_scope(sc):
                h = tf.nn.relu(tf.matmul(h, gv("w", (i, o))) + gv("b", (o,)))
        with tf.compat.v1.variable_scope(s[3]):
            h = h * gv("gamma", (10,)) + gv("beta", (10,))
    with tf.compat.v1.variable_scope(s[4]):
        return tf.matmul(h, gv("w", (10, 4))) + gv("b", (4,))


def b_tf1_get_variable_scopes_renamed(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _gv_mlp(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.RMSPropOptimizer(0.01))
    stored = read_tf(prefix)
    assert "enc/layer_0/w/RMSProp" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _gv_mlp(True)
    ren = {"enc/layer_0": "encoder/dense_0", "enc/layer_1": "encoder/dense_1", "enc/ln": "encoder/norm",
           "cls": "classifier"}
    amap = _amap(names, ren)
    assert len(amap) == 8, amap
    values = tp._tf1_target(g, d, amap, prefix)
    return [_rel(prefix, d)], stored, _all(values, d), []


def _hidden_mlp(n):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 6))
    h = L.dense(x, 16, activation=tf.nn.relu, name="input")
    for i in range(n):
        h = L.dense(h, 16, activation=tf.nn.relu, name=f"hidden_{i}")
    return L.dense(h, 2, name="output")


def b_tf1_equal_hidden_removed_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _hidden_mlp(4))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    g = tf.Graph()
    with g.as_default():
        _hidden_mlp(3)
    ren = {"input": "input", "output": "output", "hidden_0": "hidden_0", "hidden_2": "hidden_1",
           "hidden_3": "hidden_2"}  # construction: hidden_1 dropped
    values = tp._tf1_target(g, d, _amap(names, ren), prefix)
    amb = sorted(n for n in values if n.startswith("hidden_"))
    assert len(amb) == 6, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


def _bag():
    import tensorflow as tf

    L = tf.compat.v1.layers
    ids = tf.compat.v1.placeholder(tf.int32, (None, 5))
    with tf.compat.v1.variable_scope("embedding"):
        table = tf.compat.v1.get_variable("table", (60, 8))
    h = tf.reduce_mean(tf.nn.embedding_lookup(table, ids), axis=1)
    h = L.dense(h, 16, name="proj")
    h = tf.nn.relu(L.batch_normalization(h, training=True, name="bn"))
    return L.dense(h, 3, name="logits")


def b_tf1_bag_embeddings_bn_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    prefix = _tf1_trained(d, _bag, lambda: tf.compat.v1.train.AdagradOptimizer(0.01))
    a = read_tf(prefix)
    assert "embedding/table/Adagrad" in a, sorted(a)
    twin = nn.Module()
    twin.bag = nn.EmbeddingBag(60, 8, mode="mean")
    twin.proj = nn.Linear(8, 16)
    twin.norm = nn.BatchNorm1d(16)
    twin.out = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.bag.weight, a["embedding/table"])  # construction
    _lin(twin.proj, a["proj/kernel"], a["proj/bias"])
    _put_t(twin.norm.weight, a["bn/gamma"])
    _put_t(twin.norm.bias, a["bn/beta"])
    _put_t(twin.norm.running_mean, a["bn/moving_mean"])
    _put_t(twin.norm.running_var, a["bn/moving_variance"])
    _lin(twin.out, a["logits/kernel"], a["logits/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


def _squares(named):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 5))
    h = L.dense(x, 12, activation=tf.nn.relu, name="inp")
    if named:
        with tf.compat.v1.variable_scope("branch"):
            a, b = L.dense(h, 12, name="left"), L.dense(h, 12, name="right")
    else:
        a, b = L.dense(h, 12, name="proj_a"), L.dense(h, 12, name="proj_b")
    return L.dense(tf.nn.relu(a + b), 3, name="out")


def b_tf1_square_projections_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _squares(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    g = tf.Graph()
    with g.as_default():
        _squares(True)
    ren = {"inp": "inp", "out": "out", "proj_a": "branch/left", "proj_b": "branch/right"}  # construction
    values = tp._tf1_target(g, d, _amap(names, ren), prefix)
    amb = sorted(n for n in values if n.startswith("branch/"))
    assert len(amb) == 4, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_module_list_to_sequential(d):
    import tensorflow as tf
    import torch.nn as nn

    class Mlp(tf.Module):
        def __init__(self):
            super().__init__()
            self.layers = [{"w": _tf_var(f"w{i}", (a, b)), "b": _tf_var(f"b{i}", (b,))}
                           for i, (a, b) in enumerate(((10, 20), (20, 20), (20, 6)))]

    m = Mlp()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "mlp-3"))
    twin = nn.Module()
    twin.net = nn.Sequential(nn.Linear(10, 20), nn.GELU(), nn.Linear(20, 20), nn.GELU(), nn.Linear(20, 6))
    fill_random_torch(twin, "twin")
    for i, j in enumerate((0, 2, 4)):  # construction
        _lin(twin.net[j], m.layers[i]["w"], m.layers[i]["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def _k3_mlp(inserted):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((8,))
    d1, d2, d3 = L.Dense(16, activation="relu"), L.Dense(16, activation="relu"), L.Dense(4)
    h = d1(inp)
    extra = L.BatchNormalization() if inserted else None
    if extra is not None:
        h = extra(h)
    return keras.Model(inp, d3(d2(h))), [d1, d2, d3]


def b_tf2_k3_bn_inserted(d):
    import tensorflow as tf

    src, slay = _k3_mlp(False)
    fill_random(src.weights, "k3mlp")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(500, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-500"))
    sw = [lay.get_weights() for lay in slay]
    tgt, tlay = _k3_mlp(True)
    fill_random(tgt.weights, "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the inserted batch norm new
        lay.set_weights(w)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


HEADS = (("age", "t0"), ("income", "t1"), ("score", "t2"))


def b_tf2_module_equal_heads_renamed_abstain(d):
    import tensorflow as tf
    import torch.nn as nn

    class MultiTask(tf.Module):
        def __init__(self):
            super().__init__()
            self.trunk = {"w": _tf_var("tw", (7, 8)), "b": _tf_var("tb", (8,))}
            self.heads = {k: {"w": _tf_var(k + "w", (8, 4)), "b": _tf_var(k + "b", (4,))} for k, _ in HEADS}

    m = MultiTask()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "multitask-1"))
    twin = nn.Module()
    twin.trunk = nn.Linear(7, 8)
    twin.heads = nn.ModuleDict({t: nn.Linear(8, 4) for _, t in HEADS})
    fill_random_torch(twin, "twin")
    _lin(twin.trunk, m.trunk["w"], m.trunk["b"])  # construction: the keys in order
    for k, t in HEADS:
        _lin(twin.heads[t], m.heads[k]["w"], m.heads[k]["b"])
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("heads."))
    assert len(amb) == 6, amb
    return [_rel(prefix, d)], read_tf(prefix), values, amb


def b_tf2_module_1k_to_modulelist(d):
    import tensorflow as tf
    import torch.nn as nn

    n = 600

    class Deep(tf.Module):
        def __init__(self):
            super().__init__()
            self.emb = _tf_var("emb", (20, 3))
            self.cells = [{"w": _tf_var(f"cw{i}", (3, 3)), "b": _tf_var(f"cb{i}", (3,))} for i in range(n)]

    m = Deep()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "deep-1"))
    twin = nn.Module()
    twin.embed = nn.Embedding(20, 3)
    twin.blocks = nn.ModuleList(nn.Linear(3, 3) for _ in range(n))
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(m.emb))  # construction
    for t, c in zip(twin.blocks, m.cells, strict=True):
        _lin(t, c["w"], c["b"])
    values = _all(spec_and_values(twin, d), d)
    assert len(values) > 1000, len(values)
    return [_rel(prefix, d)], read_tf(prefix), values, []


def b_tf2_module_deconv_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    class Up(tf.Module):
        def __init__(self):
            super().__init__()
            self.proj = {"w": _tf_var("pw", (5, 12)), "b": _tf_var("pb", (12,))}
            self.up1 = {"kernel": _tf_var("u1", (4, 4, 8, 12)), "bias": _tf_var("u1b", (8,))}
            self.up2 = {"kernel": _tf_var("u2", (4, 4, 3, 8)), "bias": _tf_var("u2b", (3,))}

    m = Up()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "up-4"))
    twin = nn.Module()
    twin.proj = nn.Linear(5, 12)
    twin.up1 = nn.ConvTranspose2d(12, 8, 4, stride=2, padding=1)
    twin.up2 = nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1)
    fill_random_torch(twin, "twin")
    _lin(twin.proj, m.proj["w"], m.proj["b"])  # construction
    _deconv(twin.up1, m.up1["kernel"], m.up1["bias"])
    _deconv(twin.up2, m.up2["kernel"], m.up2["bias"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_optimizer_slots_to_k3(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    class Clf(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1, self.b1 = _tf_var("w1", (6, 10)), _tf_var("b1", (10,))
            self.w2, self.b2 = _tf_var("w2", (10, 3)), _tf_var("b2", (3,))

    m = Clf()
    opt = keras.optimizers.Adam(0.01)
    opt.build([m.w1, m.b1, m.w2, m.b2])
    for i, v in enumerate(opt.variables):
        if v.dtype == "float32" and len(v.shape):
            v.assign(distinct(f"slot{i}", v.shape))
    prefix = tf.train.Checkpoint(model=m, optimizer=opt).write(os.path.join(d, "ckpt", "clf-9"))
    keras.backend.clear_session()
    inp = keras.Input((6,))
    d1, d2 = L.Dense(10, activation="relu"), L.Dense(3)
    tgt = keras.Model(inp, d2(d1(inp)))
    fill_random(tgt.weights, "tgt")
    d1.set_weights([_np(m.w1), _np(m.b1)])  # construction
    d2.set_weights([_np(m.w2), _np(m.b2)])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout23's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """Nothing to fetch: VAN and SpeechT5 are transformers 4.46's, the rest is written here."""


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
