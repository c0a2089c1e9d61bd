"""A thirteenth held-out part of alignment scenarios (``--part heldout13``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of tensorflow-model-optimization into $CKPT_DOCTOR_MATERIAL13, default
/work/coord/material-heldout13, the wheel unpacked there; the rest is the venv's; sources and licences in NOTICE;
nothing of it is committed): ``tensorflow-model-optimization`` 0.8.1 (the TF Model Optimization Toolkit: its
pruning wrapper ``prune_low_magnitude`` (`prune_low_magnitude_dense/mask`, `threshold`, `pruning_step`), its
``strip_pruning``, and its quantisation-aware training ``quantize_model`` (`quant_conv/kernel_min`,
`quantize_layer/quantize_layer_min`, `optimizer_step`), all tf_keras); ``torch.nn.utils.prune`` (`weight_orig`,
`weight_mask`); ``transformers`` 4.46's PUBLISHED TF1 CONVERTER ``load_tf_weights_in_rembert`` (RemBERT's original
TF1 names under `bert/`) run on TF1 checkpoints written by TF's own Saver with the names it reads; transformers
definitions of Speech2Text, Marian, Pegasus, CvT, DPR, RemBERT, DETR (with its segmentation FPN head),
SwitchTransformers, Qwen2-MoE and OLMoE (none of them in an earlier part) with the from_pt/from_tf converters;
``keras.applications`` (Keras 3) MobileNetV2 at alpha 1.4 (under an FPN detector), MobileNet at alpha 0.25 with depth
multiplier 2, MobileNetV3Small at alpha 0.5, and ``tf_keras.applications`` MobileNetV2 at alpha 0.5 built in a TF1
graph; and Keras 3 functional models with shared layers and nested sub-models written for this part.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader or wrapper (the TF1 converter,
``from_pretrained`` with ``from_pt``/``from_tf`` or ``ignore_mismatched_sizes``, tfmot's ``strip_pruning`` and
``quantize_model``, torch's ``prune``) or by the scenario's construction (weights in order into the same
architecture, a removed layer or expert, added experts, a twin in another framework layer by layer), and both sides
are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout13.py fetch               # pip download + unpack tensorflow-model-optimization
    python bench/scenarios/heldout13.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout13.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout13        # score (once)
"""

from __future__ import annotations

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
import heldout11 as h11  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout13"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL13", "/work/coord/material-heldout13")
PACKAGES = ["tensorflow-model-optimization==0.8.1"]
_all, _rel, _loaded, _tf1_write, _put_t = h9._all, h9._rel, h9._loaded, h9._tf1_write, h9._put_t
_in_order = h11._in_order


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: TF <-> PyTorch (speech, seq2seq with shared embeddings, vision)
    _s("h13_speech2text_pt_to_tf_gen", "Speech2TextForConditionalGeneration (conv subsampler `model.encoder.conv."
       "conv_layers.0.weight`, encoder-decoder, lm_head tied to the decoder embeddings) safetensors -> "
       "TFSpeech2TextForConditionalGeneration (truth: from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("h13_marian_tf_h5_to_pt", "TFMarianMTModel `tf_model.h5` (`model/shared/weight:0` one embedding for encoder, "
       "decoder and head, `final_logits_bias`) -> MarianMTModel (`model.shared`, `model.encoder.embed_tokens`, "
       "`model.decoder.embed_tokens`, `lm_head` one tensor: the tied names not scored; truth: "
       "from_pretrained(from_tf=True))", "cross", legacy=True),
    _s("h13_pegasus_gen_pt_to_tf_base", "PegasusForConditionalGeneration safetensors (`model.` prefix, "
       "`final_logits_bias`) -> TFPegasusModel (base: the bias unused; truth: from_pretrained(from_pt=True))",
       "cross", legacy=True),
    _s("h13_cvt_tf_h5_to_pt_cls", "TFCvtModel `tf_model.h5` (convolutional projections `convolution_projection_"
       "query/convolution_projection/convolution/kernel:0` depthwise, BN, cls token in the last stage) -> "
       "CvtForImageClassification (truth: from_pretrained(from_tf=True); new `classifier`)", "cross", legacy=True),
    _s("h13_dpr_tf2_adam_objects_to_pt", "TFDPRQuestionEncoder trained one step in a custom loop with Adam, saved "
       "with tf.train.Checkpoint(model=, optimizer=, step=) (object-graph keys, optimizer slots) -> "
       "DPRQuestionEncoder (truth: from_pretrained(from_tf=True) of the same trained model)", "cross", "tf2",
       legacy=True),
    # transformers' published TF1 converter: RemBERT
    _s("h13_rembert_tf1_adam_to_seqcls", "original-RemBERT TF1 Saver checkpoint (`bert/encoder/layer_0/attention/"
       "self/query/kernel`, `bert/encoder/embedding_hidden_mapping_in/kernel`, `LayerNorm/gamma`, `adam_m`/`adam_v` "
       "slots, global_step) -> RemBertForSequenceClassification (truth: load_tf_weights_in_rembert into "
       "RemBertModel, its weights the classifier's `rembert`; new `classifier`)", "cross", "tf1"),
    _s("h13_rembert_tf1_tokcls_trap", "RemBERT TF1 checkpoint with a pooler -> RemBertForTokenClassification (no "
       "pooler) with as many labels as hidden units: the new `classifier` [32, 32] has the shape of the unused "
       "pooler (must abstain on it)", "cross", "tf1", "abstain"),
    # TF1 graph built by tf_keras' own model code; tfmot pruning and quantisation-aware training
    _s("h13_tf1_tfkeras_mnv2_a05_two_towers_to_k3", "TF1 distillation graph: tf_keras MobileNetV2 at alpha 0.5 built "
       "twice, as `student/` and `teacher/` (the same layer names below the scopes, not shared), Saver -> the "
       "Keras 3 MobileNetV2 at alpha 0.5 (its weights are the student's; self-distillation deploys either, DINO the "
       "teacher: which tower it took is in no file: must abstain)", "tf1", "keras3", "abstain"),
    _s("h13_tfmot_pruned_tf2_to_stripped", "tf_keras conv net wrapped by tfmot prune_low_magnitude, trained one "
       "step with Adam in a custom loop, tf.train.Checkpoint(model=, optimizer=) (`model/layer_with_weights-0/"
       "layer/kernel`, `mask`, `threshold`, `pruning_step`) -> the net after tfmot strip_pruning (truth: "
       "strip_pruning; the masks unused)", "tf2", legacy=True),
    _s("h13_tfmot_qat_h5_to_nested", "tf_keras full-model `.h5` of a model under tfmot quantize_model "
       "(quantisation-aware training: `quant_stem_conv/stem_conv/kernel:0`, `quant_stem_conv/kernel_min:0`, "
       "`quantize_layer/quantize_layer_min:0`, `optimizer_step`) -> the float model with a nested `backbone` "
       "sub-model (`backbone/stem_conv/kernel`; the quantiser ranges unused; truth: construction, each wrapped "
       "layer's own weights)", legacy=True),
    # Keras 3 files
    _s("h13_k3_shared_functional_keras_to_torch", "Keras 3 `.keras` of a functional two-input model: a nested "
       "Sequential `encoder` and a Dense `proj` each applied to both inputs (shared layers), a `score` head -> a "
       "PyTorch twin (`encoder.0.weight` [out, in], `proj`, `score`; truth: construction)", "cross", "keras3"),
    _s("h13_k3_mnv2_a14_wh5_to_fpn_detector", "Keras 3 MobileNetV2 at alpha 1.4 (10 classes) `.weights.h5` -> a "
       "functional detector on its body: three FPN levels (`fpn_lateral_p3..p5`, `fpn_out_p3..p5`), class and box "
       "heads shared across the levels (all new; `predictions` unused; truth: construction in order)", "keras3"),
    _s("h13_k3_mobilenet_a025_dm2_keras_head_trap", "Keras 3 MobileNet at alpha 0.25, depth multiplier 2 (10 "
       "classes) `.keras` -> the model without top + a nested `head` model whose new 1x1 Conv2D `head_conv` "
       "[1, 1, 256, 10] has the unused `conv_preds`' shape (must abstain on it)", "keras3", "abstain"),
    _s("h13_k3_mnv3small_a05_wh5_to_tfkeras", "Keras 3 MobileNetV3Small at alpha 0.5 `.weights.h5` -> the tf_keras "
       "MobileNetV3Small at alpha 0.5 (truth: construction in order)", "keras3", legacy=True),
    # detection: DETR
    _s("h13_detr_labels_changed", "DetrForObjectDetection with 10 classes (ResNet backbone, frozen BN buffers, "
       "`class_labels_classifier` [11, 64], `bbox_predictor.layers.2`) safetensors -> DetrForObjectDetection with "
       "4 classes (truth: from_pretrained(ignore_mismatched_sizes=True): the class head new, the old one unused)"),
    _s("h13_detr_dp_det_to_segmentation", "DetrForObjectDetection saved from nn.DataParallel (`module.model."
       "backbone.conv_encoder.model.embedder..`) -> DetrForSegmentation (everything under `detr.`, new `bbox_"
       "attention` and FPN mask head `mask_head.adapter1..3`; truth: construction, detr.load_state_dict)"),
    # mixture of experts, encoder-decoder
    _s("h13_switch_experts_added", "SwitchTransformersForConditionalGeneration with 4 experts (shared embeddings, "
       "`encoder.block.1.layer.1.mlp.experts.expert_3.wi.weight`) safetensors -> 6 experts (expert_4, expert_5 "
       "new; the router's rows a slice: not scored; truth: construction)"),
    _s("h13_qwen2moe_expert_removed", "Qwen2MoeForCausalLM with 4 experts + a shared expert per layer "
       "`.safetensors` -> 3 experts (expert 1 removed, later ones moved down; the router rows a slice: not scored; "
       "which of the equal experts went is in no file: must abstain on them)", "abstain"),
    _s("h13_olmoe_50l_compiled_to_base", "OlmoeForCausalLM with 50 layers of 4 experts (1,000+ tensors, q/k norms) "
       "saved from torch.compile (`_orig_mod.model.layers.49.mlp.experts.3.down_proj.weight`) -> OlmoeModel (base, "
       "no prefix; lm_head unused; truth: from_pretrained)"),
    _s("h13_marian_dp_encoder_layer_removed", "MarianMTModel with 4 encoder layers saved from nn.DataParallel "
       "(`module.model.encoder.layers.3.fc1.weight`) -> 3 encoder layers (layer 1 dropped, later ones moved down; "
       "which of the equal layers went is in no file: must abstain on them)", "abstain"),
    # stable-baselines3 policies (reinforcement learning)
    _s("h13_sb3_ppo_policy_to_k3_actor", "stable-baselines3 PPO MlpPolicy `policy.pth` as model.save's zip holds it "
       "(`mlp_extractor.policy_net.0.weight`, `mlp_extractor.value_net.0.weight`, `action_net`, `value_net`) -> a "
       "Keras 3 functional actor for deployment (`pi_0`, `pi_1`, `logits`; the value branch unused; truth: "
       "construction)", "cross", "keras3"),
    _s("h13_sb3_dqn_online_and_target_to_torch", "stable-baselines3 DQN `policy.pth` (the online `q_net.q_net.0."
       "weight` and the target network `q_net_target.q_net.0.weight`, the same shapes) -> a plain nn.Sequential "
       "Q-network (`0.weight`, `2.weight`, `4.weight`; its weights are the online net's: which copy a deployment "
       "takes is in no value or shape: must abstain)", "abstain"),
    _s("h13_dpr_ctx_to_torch_pruned", "DPRContextEncoder safetensors -> the same model under torch.nn.utils.prune "
       "(every Linear `weight` -> `weight_orig` + a new `weight_mask` buffer; truth: from_pretrained then "
       "prune.l1_unstructured, the library's own re-parametrisation)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _small(**kw):
    return dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                max_position_embeddings=40, **kw)


def _s2s(**kw):
    return dict(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32,
                pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, **kw)


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def b_speech2text_pt_to_tf_gen(d):
    from transformers import (
        Speech2TextConfig,
        Speech2TextForConditionalGeneration,
        TFSpeech2TextForConditionalGeneration,
    )

    kw = _s2s()
    kw.pop("max_position_embeddings")
    cfg = Speech2TextConfig(max_source_positions=64, max_target_positions=32, input_feat_per_channel=16,
                            conv_channels=16, num_conv_layers=2, **kw)
    ck, model = h4._pt_to_tf(d, Speech2TextForConditionalGeneration(cfg), "s2t", TFSpeech2TextForConditionalGeneration)
    values = spec_and_values(model, d)
    # the TF head is a kernel of its own that from_pt fills from the one tied tensor: a second copy, not scored
    return [ck], read_torch(ck), _all(h4._unscored(values, [n for n in values if n.endswith("lm_head/kernel")]), d), []


def b_marian_tf_h5_to_pt(d):
    from transformers import MarianConfig, MarianMTModel, TFMarianMTModel

    ck, model = h4._tf_to_pt(d, TFMarianMTModel(MarianConfig(**_s2s())), "marian", MarianMTModel)
    stored = read_h5(ck)
    # from_tf leaves the `final_logits_bias` buffer out: construction puts the file's one in
    _put_t(model.state_dict()["final_logits_bias"], stored[next(k for k in stored if k.endswith("final_logits_bias"))])
    values = h4._unscored(spec_and_values(model, d), h4._tied(model))  # embeddings and lm_head: one tensor
    return [ck], read_h5(ck), _all(values, d), []


def b_pegasus_gen_pt_to_tf_base(d):
    from transformers import PegasusConfig, PegasusForConditionalGeneration, TFPegasusModel

    ck, model = h4._pt_to_tf(d, PegasusForConditionalGeneration(PegasusConfig(**_s2s())), "pegasus", TFPegasusModel)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_cvt_tf_h5_to_pt_cls(d):
    from transformers import CvtConfig, CvtForImageClassification, TFCvtModel

    cfg = CvtConfig(embed_dim=[8, 16, 24], num_heads=[1, 2, 2], depth=[1, 2, 3], num_labels=5)
    cfg.image_size = 32  # TFCvtModel's input signature reads it
    tfm = TFCvtModel(cfg)
    tfm(distinct("pixels", (1, 3, 32, 32)))
    ck, model = h4._tf_to_pt(d, tfm, "cvt", CvtForImageClassification)
    stored = read_h5(ck)
    for k, t in model.state_dict().items():  # from_tf leaves the BN statistics out: construction puts them in
        m = re.fullmatch(r"cvt\.(.*)\.running_(mean|var)", k)
        if m:
            tf_name = re.sub(r"(stages|layers)/(\d+)", r"\1.\2", "tf_cvt_model/cvt/" + m.group(1).replace(".", "/"))
            _put_t(t, stored[f"{tf_name}/moving_{'mean' if m.group(2) == 'mean' else 'variance'}"])
    return [ck], stored, _all(spec_and_values(model, d), d), []


def b_dpr_tf2_adam_objects_to_pt(d):
    import tensorflow as tf
    import tf_keras
    from transformers import DPRConfig, DPRQuestionEncoder, TFDPRQuestionEncoder

    tfm = TFDPRQuestionEncoder(DPRConfig(**_small()))
    ids = tf.constant([[5, 7, 9, 11, 2], [3, 4, 8, 1, 2]])
    tfm(ids)
    fill_random(tfm.weights, "dpr")
    opt = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf.square(tfm(ids).pooler_output))
    grads = tape.gradient(loss, tfm.trainable_variables)
    opt.apply_gradients([(g, v) for g, v in zip(grads, tfm.trainable_variables, strict=True) if g is not None])
    prefix = tf.train.Checkpoint(model=tfm, optimizer=opt, step=tf.Variable(1, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1"))
    hf = os.path.join(d, "_hf")
    tfm.save_pretrained(hf)
    model, info = DPRQuestionEncoder.from_pretrained(hf, from_tf=True, output_loading_info=True)  # the truth
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# RemBERT: load_tf_weights_in_rembert

def _rembert_cfg(**kw):
    from transformers import RemBertConfig

    return RemBertConfig(vocab_size=61, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         input_embedding_size=16, output_embedding_size=16, intermediate_size=40,
                         max_position_embeddings=32, **kw)


def _rembert_tf_name(pt):
    """The original RemBERT TF1 name load_tf_weights_in_rembert reads for a RemBertModel parameter."""
    n = re.sub(r"\.layer\.(\d+)\.", r".layer_\1.", pt)
    n = re.sub(r"LayerNorm\.weight$", "LayerNorm.gamma", n)
    n = re.sub(r"LayerNorm\.bias$", "LayerNorm.beta", n)
    n = re.sub(r"_embeddings\.weight$", "_embeddings", n)
    n = re.sub(r"\.weight$", ".kernel", n)
    return "bert/" + n.replace(".", "/")


def _rembert_loaded(d):
    from transformers import RemBertModel
    from transformers.models.rembert.modeling_rembert import load_tf_weights_in_rembert

    cfg = _rembert_cfg()
    base = RemBertModel(cfg)
    arrays = {}
    for k, t in base.named_parameters():  # the TF layout: kernels [in, out]
        shape = tuple(t.shape)[::-1] if k.endswith(".weight") and t.ndim == 2 and "_embeddings" not in k else t.shape
        arrays[_rembert_tf_name(k)] = distinct("rembert|" + k, tuple(shape))
    prefix = _tf1_write(d, arrays, ("adam_m", "adam_v"))
    stored = read_tf(prefix)
    fill_random_torch(base, "base")
    load_tf_weights_in_rembert(base, cfg, prefix)  # the published converter: the truth
    _loaded(base, stored, list(base.state_dict()))
    return prefix, stored, base


def b_rembert_tf1_adam_to_seqcls(d):
    from transformers import RemBertForSequenceClassification

    prefix, stored, base = _rembert_loaded(d)
    model = RemBertForSequenceClassification(_rembert_cfg(num_labels=3))
    fill_random_torch(model, "new")
    model.rembert.load_state_dict(base.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


def b_rembert_tf1_tokcls_trap(d):
    from transformers import RemBertForTokenClassification

    prefix, stored, base = _rembert_loaded(d)
    model = RemBertForTokenClassification(_rembert_cfg(num_labels=32))
    fill_random_torch(model, "new")
    info = model.rembert.load_state_dict(base.state_dict(), strict=False)
    assert all(k.startswith("pooler.") for k in info.unexpected_keys) and not info.missing_keys, info
    values = _all(spec_and_values(model, d), d)
    # `classifier` [32, 32] is new, of the unused pooler's shape: new or moved? no file says
    return [_rel(prefix, d)], stored, values, [n for n in values if n.startswith("classifier.")]


# ---------------------------------------------------------------------------------------------------------
# TF1 graph built by tf_keras' model code

def b_tf1_tfkeras_mnv2_a05_two_towers_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    arrays, order = {}, []
    for tower in ("student", "teacher"):
        g = tf.Graph()  # each tower in a graph of its own: the same layer names below the two scopes
        with g.as_default(), tf.compat.v1.variable_scope(tower):
            net = tf_keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.5, weights=None, classes=10)
            names = [w.name[:-2] for w in net.weights]
            trainable = {w.name[:-2] for w in net.trainable_weights}
        for i, n in enumerate(names):
            arrays[n] = distinct(f"{tower}|{i}", tuple(net.weights[i].shape))
            if n in trainable:  # the optimizer's slot, as TF1 training leaves it
                arrays[n + "/Momentum"] = distinct(f"{tower}|{i}|m", tuple(net.weights[i].shape))
        if tower == "student":
            order = names
    prefix = _tf1_write(d, arrays)
    stored = read_tf(prefix)
    assert all(n.startswith("student/") and n.replace("student/", "teacher/", 1) in stored for n in order)
    tgt = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.5, weights=None, classes=10)
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order([stored[n] for n in order], tgt)  # construction: the student's weights in order
    values = _all(spec_and_values(tgt, d), d)
    # the student's values, but the teacher has the same names below its scope and the same shapes
    return [_rel(prefix, d)], stored, values, sorted(values)


# ---------------------------------------------------------------------------------------------------------
# tfmot: pruning and quantisation-aware training (tf_keras)

def _tfmot():
    path = os.path.join(MATERIAL, "tensorflow_model_optimization")
    if path not in sys.path:
        sys.path.insert(0, path)
    import tensorflow_model_optimization as tfmot

    return tfmot


def _small_convnet(K, name=None):
    return K.Sequential([K.Input((16, 16, 3)), K.layers.Conv2D(8, 3, padding="same", activation="relu",
                                                               name="conv_a"),
                         K.layers.Conv2D(16, 3, strides=2, activation="relu", name="conv_b"),
                         K.layers.GlobalAveragePooling2D(), K.layers.Dense(24, activation="relu", name="fc"),
                         K.layers.Dense(5, name="logits")], name=name)


def b_tfmot_pruned_tf2_to_stripped(d):
    import tensorflow as tf
    import tf_keras

    tfmot = _tfmot()
    base = _small_convnet(tf_keras)
    fill_random(base.weights, "base")
    pruned = tfmot.sparsity.keras.prune_low_magnitude(base)
    opt = tf_keras.optimizers.Adam(1e-3)
    x, y = distinct("x", (2, 16, 16, 3)), tf.constant([1, 3])
    step = tfmot.sparsity.keras.UpdatePruningStep()
    step.set_model(pruned)
    step.on_train_begin()
    step.on_train_batch_begin(0)
    with tf.GradientTape() as tape:  # a custom training loop: one step, the pruning step advanced by hand
        loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, pruned(x, training=True),
                                                                              from_logits=True))
    opt.apply_gradients(zip(tape.gradient(loss, pruned.trainable_variables), pruned.trainable_variables,
                            strict=True))
    step.on_epoch_end(0)
    prefix = tf.train.Checkpoint(model=pruned, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    stripped = tfmot.sparsity.keras.strip_pruning(pruned)  # tfmot's own unwrapping: the truth
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(stripped, d), d), []


def b_tfmot_qat_h5_to_nested(d):
    import tf_keras

    tfmot = _tfmot()
    K = tf_keras
    x = K.Input((16, 16, 3), name="image")
    y = K.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem_conv")(x)
    y = K.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="body_conv")(y)
    flat = K.Model(x, K.layers.Dense(5, name="logits")(K.layers.GlobalAveragePooling2D(name="pool")(y)))
    qat = tfmot.quantization.keras.quantize_model(flat)  # quantisation-aware training wraps every layer
    fill_random(qat.weights, "qat")
    ck = os.path.join(d, "ckpt", "classifier_qat.h5")
    qat.save(ck)  # the full model, HDF5 (its wrappers' variables included)
    inner = K.Sequential([K.Input((16, 16, 3)), K.layers.Conv2D(8, 3, padding="same", activation="relu",
                                                                name="stem_conv"),
                          K.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="body_conv")],
                         name="backbone")
    inp = K.Input((16, 16, 3))
    out = K.layers.Dense(5, name="logits")(K.layers.GlobalAveragePooling2D(name="pool")(inner(inp)))
    tgt = K.Model(inp, out, name="classifier")
    fill_random(tgt.weights, "tgt")
    for name in ("stem_conv", "body_conv", "logits"):  # construction: each float layer's own weights
        wrapped = qat.get_layer("quant_" + name)
        layer = inner.get_layer(name) if name != "logits" else tgt.get_layer(name)
        own = [w.numpy() for w in wrapped.weights if w.name.split(":")[0].endswith((name + "/kernel", name + "/bias"))]
        layer.set_weights(own)  # the wrapper holds the kernel, its inner layer the bias
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def b_k3_shared_functional_keras_to_torch(d):
    import keras
    import numpy as np
    import torch.nn as nn

    encoder = keras.Sequential([keras.Input((12,)), keras.layers.Dense(20, activation="relu", name="hidden"),
                                keras.layers.Dense(16, name="out")], name="encoder")
    proj = keras.layers.Dense(8, name="proj")
    a, b = keras.Input((12,), name="left"), keras.Input((12,), name="right")
    za, zb = proj(encoder(a)), proj(encoder(b))  # both shared: one set of weights, two calls
    score = keras.layers.Dense(1, name="score")(keras.layers.Concatenate()([za, zb, za * zb]))
    src = keras.Model([a, b], score, name="pair_scorer")
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "pair_scorer.keras")
    src.save(ck)
    twin = nn.Module()
    twin.encoder = nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 16))
    twin.proj = nn.Linear(16, 8)
    twin.score = nn.Linear(24, 1)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: Dense [in, out] -> Linear [out, in]
    for name, layer in (("encoder.0", encoder.get_layer("hidden")), ("encoder.2", encoder.get_layer("out")),
                        ("proj", proj), ("score", src.get_layer("score"))):
        _put_t(sd[name + ".weight"], np.asarray(layer.kernel.numpy()).T)
        _put_t(sd[name + ".bias"], layer.bias.numpy())
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_mnv2_a14_wh5_to_fpn_detector(d):
    import keras

    src = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=1.4, weights=None, classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v2_140.weights.h5")
    src.save_weights(ck)
    body = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=1.4, weights=None, include_top=False)
    _in_order(src.get_weights(), body)  # construction: the body in order; the detector's layers are new
    taps = [body.get_layer(n).output for n in ("block_6_expand_relu", "block_13_expand_relu", "out_relu")]
    lat = [keras.layers.Conv2D(32, 1, name=f"fpn_lateral_p{i + 3}")(t) for i, t in enumerate(taps)]
    p5 = lat[2]
    p4 = keras.layers.Add()([lat[1], keras.layers.UpSampling2D(2)(p5)])
    p3 = keras.layers.Add()([lat[0], keras.layers.UpSampling2D(2)(p4)])
    levels = [keras.layers.Conv2D(32, 3, padding="same", name=f"fpn_out_p{i + 3}")(p) for i, p in
              enumerate((p3, p4, p5))]
    cls_head = keras.layers.Conv2D(3 * 10, 3, padding="same", name="cls_head")  # shared across the levels
    box_head = keras.layers.Conv2D(3 * 4, 3, padding="same", name="box_head")
    outs = [keras.layers.Reshape((-1, 10))(cls_head(p)) for p in levels]
    outs += [keras.layers.Reshape((-1, 4))(box_head(p)) for p in levels]
    tgt = keras.Model(body.input, [keras.layers.Concatenate(axis=1, name="classes")(outs[:3]),
                                   keras.layers.Concatenate(axis=1, name="boxes")(outs[3:])], name="detector")
    body_ids = {id(w) for w in body.weights}
    fill_random([w for w in h4._float(tgt.weights) if id(w) not in body_ids], "new")
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_mobilenet_a025_dm2_keras_head_trap(d):
    import keras

    def make(**kw):
        return keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, depth_multiplier=2, weights=None,
                                            **kw)

    src = make(classes=10)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_025_dm2.keras")
    src.save(ck)
    base = make(include_top=False)
    x = keras.layers.GlobalAveragePooling2D(keepdims=True)(base.output)
    head = keras.Sequential([keras.Input((1, 1, 256)), keras.layers.Conv2D(10, 1, name="head_conv"),
                             keras.layers.Flatten()], name="head")  # the fine-tuner's head, a nested model
    tgt = keras.Model(base.input, head(x))
    fill_random(h4._float(tgt.weights), "tgt")
    _in_order(src.get_weights(), base)  # construction: the body in order; the head is the fine-tuner's own
    values = _all(spec_and_values(tgt, d), d)
    assert tuple(head.layers[0].kernel.shape) == tuple(src.get_layer("conv_preds").kernel.shape)
    # `head_conv` is new, of the unused `conv_preds`' shape (and not at its place: it is nested, its Keras 3 path
    # is not conv_preds'): new or renamed? no file says
    amb = [n for n in values if any(n == w.path for w in head.weights)]
    assert len(amb) == 2, sorted(values)[-5:]
    return [ck], heldout2.read_keras_zip(ck, d), values, amb


def b_k3_mnv3small_a05_wh5_to_tfkeras(d):
    import keras
    import tf_keras

    def make(K):
        return K.applications.MobileNetV3Small(input_shape=(32, 32, 3), alpha=0.5, weights=None, classes=10)

    src = make(keras)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_small_050.weights.h5")
    src.save_weights(ck)
    tgt = make(tf_keras)
    fill_random(tgt.weights, "tgt")
    _in_order(src.get_weights(), tgt)  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# DETR

def _detr_cfg(**kw):
    from transformers import DetrConfig, ResNetConfig

    bc = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1], layer_type="basic",
                      out_features=["stage1", "stage2", "stage3", "stage4"])
    return DetrConfig(use_timm_backbone=False, use_pretrained_backbone=False, backbone=None, backbone_config=bc,
                      d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=8,
                      decoder_attention_heads=8, encoder_ffn_dim=32, decoder_ffn_dim=32, num_queries=5, **kw)


def b_detr_labels_changed(d):
    from transformers import DetrForObjectDetection

    ck_dir = h4._hf(d, DetrForObjectDetection(_detr_cfg(num_labels=10)), "detr", "ckpt")
    model, info = DetrForObjectDetection.from_pretrained(ck_dir, num_labels=4, ignore_mismatched_sizes=True,
                                                         output_loading_info=True)
    assert info["mismatched_keys"], info
    heldout2._fill_missing(model, {"missing_keys": [k for k, _, _ in info["mismatched_keys"]]
                                   + info["missing_keys"]}, "new|")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_detr_dp_det_to_segmentation(d):
    import torch
    import torch.nn as nn
    from transformers import DetrForObjectDetection, DetrForSegmentation

    src = DetrForObjectDetection(_detr_cfg(num_labels=10))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "detr_det.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = DetrForSegmentation(_detr_cfg(num_labels=10))
    fill_random_torch(tgt, "tgt")
    tgt.detr.load_state_dict(src.state_dict())  # construction: the detector under `detr.`, the mask head new
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# mixture of experts

def _switch_cfg(experts):
    from transformers import SwitchTransformersConfig

    return SwitchTransformersConfig(vocab_size=61, d_model=16, d_kv=8, d_ff=24, expert_capacity=4, num_layers=2,
                                    num_sparse_encoder_layers=1, num_decoder_layers=2, num_sparse_decoder_layers=1,
                                    num_heads=2, num_experts=experts, decoder_start_token_id=0)


def b_switch_experts_added(d):
    import torch
    from transformers import SwitchTransformersForConditionalGeneration

    src = SwitchTransformersForConditionalGeneration(_switch_cfg(4))
    ck_dir = h4._hf(d, src, "switch", "ckpt")
    tgt = SwitchTransformersForConditionalGeneration(_switch_cfg(6))
    fill_random_torch(tgt, "tgt")
    sd = src.state_dict()
    router = [k for k in tgt.state_dict() if k.endswith("router.classifier.weight")]
    assert router, "no router"
    with torch.no_grad():  # construction: every tensor by name, the router's first rows; experts 4 and 5 new
        for k, t in tgt.state_dict().items():
            if k in router:
                t[:4].copy_(sd[k])
            elif k in sd and tuple(sd[k].shape) == tuple(t.shape):
                t.copy_(sd[k])
    values = h4._unscored(spec_and_values(tgt, d), router + h4._tied(tgt))
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _all(values, d), []


def b_qwen2moe_expert_removed(d):
    import torch
    from safetensors.torch import save_file
    from transformers import Qwen2MoeConfig, Qwen2MoeForCausalLM

    def cfg(n):
        return Qwen2MoeConfig(vocab_size=61, hidden_size=16, intermediate_size=24, moe_intermediate_size=12,
                              shared_expert_intermediate_size=20, num_experts=n, num_experts_per_tok=2,
                              num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                              max_position_embeddings=32, tie_word_embeddings=False)

    src = Qwen2MoeForCausalLM(cfg(4))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "model.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = Qwen2MoeForCausalLM(cfg(3))
    fill_random_torch(tgt, "tgt")
    sd, keep = src.state_dict(), [0, 2, 3]
    with torch.no_grad():  # construction: expert 1 removed in every layer, the later ones moved down
        for k, t in tgt.state_dict().items():
            m = re.search(r"\.experts\.(\d+)\.", k)
            if m:
                t.copy_(sd[k.replace(m.group(0), f".experts.{keep[int(m.group(1))]}.")])
            elif k.endswith("mlp.gate.weight"):
                t.copy_(sd[k][keep])
            else:
                t.copy_(sd[k])
    values = h4._unscored(spec_and_values(tgt, d), [k for k in tgt.state_dict() if k.endswith("mlp.gate.weight")])
    # the experts are equal: any three of the four, in order
    return [ck], read_torch(ck), _all(values, d), [n for n in values if ".experts." in n]


def b_olmoe_50l_compiled_to_base(d):
    import torch
    from transformers import OlmoeConfig, OlmoeForCausalLM, OlmoeModel

    cfg = OlmoeConfig(vocab_size=61, hidden_size=16, intermediate_size=12, num_hidden_layers=50,
                      num_attention_heads=2, num_key_value_heads=1, num_experts=4, num_experts_per_tok=2,
                      max_position_embeddings=32)
    src = OlmoeForCausalLM(cfg)
    hf = h4._hf(d, src, "olmoe")
    ck = os.path.join(d, "ckpt", "olmoe.pt")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod.model."), next(iter(sd))
    torch.save(sd, ck)
    model, info = OlmoeModel.from_pretrained(hf, output_loading_info=True)  # base-model loading: the truth
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    values = _all(spec_and_values(model, d), d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_marian_dp_encoder_layer_removed(d):
    import torch
    import torch.nn as nn
    from transformers import MarianConfig, MarianMTModel

    src = MarianMTModel(MarianConfig(**{**_s2s(), "encoder_layers": 4}))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "marian.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = MarianMTModel(MarianConfig(**{**_s2s(), "encoder_layers": 3}))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.encoder.layers.", {0: 0, 1: 2, 2: 3})
    values = h4._unscored(spec_and_values(tgt, d), h4._tied(tgt))
    # the encoder layers are equal: any three of the four, in order
    return [ck], read_torch(ck), _all(values, d), [n for n in values if n.startswith("model.encoder.layers.")
                                                    and values[n].size]


def b_dpr_ctx_to_torch_pruned(d):
    import torch.nn as nn
    from torch.nn.utils import prune
    from transformers import DPRConfig, DPRContextEncoder

    ck_dir = h4._hf(d, DPRContextEncoder(DPRConfig(**_small())), "dpr_ctx", "ckpt")
    model = DPRContextEncoder.from_pretrained(ck_dir)
    for m in model.modules():  # torch's pruning re-parametrisation, after loading (its documented order)
        if isinstance(m, nn.Linear):
            prune.l1_unstructured(m, "weight", amount=0.3)
    ck = os.path.join(ck_dir, "model.safetensors")
    values = _all(spec_and_values(model, d), d)
    assert any(n.endswith("weight_mask") for n in values), sorted(values)[:5]
    return [ck], read_torch(ck), values, []


# ---------------------------------------------------------------------------------------------------------
# stable-baselines3

def _sb3_policy(d, algo, **kw):
    """An SB3 model on CartPole with distinct weights, saved by model.save; its `policy.pth` taken out of the zip
    as it is (the file SB3's own load reads)."""
    import zipfile

    import gymnasium as gym
    import stable_baselines3

    model = getattr(stable_baselines3, algo)("MlpPolicy", gym.make("CartPole-v1"), device="cpu", seed=0, **kw)
    fill_random_torch(model.policy, algo.lower())
    zpath = os.path.join(d, "_sb3", algo.lower())
    model.save(zpath)
    ck = os.path.join(d, "ckpt", "policy.pth")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    with zipfile.ZipFile(zpath + ".zip") as z, open(ck, "wb") as f:
        f.write(z.read("policy.pth"))
    shutil.rmtree(os.path.join(d, "_sb3"))
    return ck, model.policy


def b_sb3_ppo_policy_to_k3_actor(d):
    import keras
    import numpy as np

    ck, policy = _sb3_policy(d, "PPO", policy_kwargs=dict(net_arch=dict(pi=[32, 32], vf=[24])))
    inp = keras.Input((4,), name="obs")
    x = keras.layers.Dense(32, activation="tanh", name="pi_0")(inp)
    x = keras.layers.Dense(32, activation="tanh", name="pi_1")(x)
    actor = keras.Model(inp, keras.layers.Dense(2, name="logits")(x), name="actor")
    sd = {k: v.detach().numpy() for k, v in policy.state_dict().items()}
    for name, src in (("pi_0", "mlp_extractor.policy_net.0"), ("pi_1", "mlp_extractor.policy_net.2"),
                      ("logits", "action_net")):  # construction: Linear [out, in] -> Dense [in, out]
        actor.get_layer(name).set_weights([np.ascontiguousarray(sd[src + ".weight"].T), sd[src + ".bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(actor, d), d), []


def b_sb3_dqn_online_and_target_to_torch(d):
    import torch.nn as nn

    ck, policy = _sb3_policy(d, "DQN", buffer_size=100, policy_kwargs=dict(net_arch=[32, 32]))
    q = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    q.load_state_dict(policy.q_net.q_net.state_dict())  # construction: the online network (what predict uses)
    values = _all(spec_and_values(q, d), d)
    # the target network has the same layout and shapes: which copy was taken is in no file
    return [ck], read_torch(ck), values, sorted(values)


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout12's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def _read(path, d):
    return read_torch(path) if path.endswith(".pth") else h5._read(path, d)  # SB3's `policy.pth`: torch.save


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
