"""A fifteenth held-out part of alignment scenarios (``--part heldout15``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of torch-geometric and g-mlp-pytorch into $CKPT_DOCTOR_MATERIAL15, default
/work/coord/material-heldout15, the wheels unpacked there; the rest is the venv's; sources and licences in NOTICE;
nothing of it is committed): ``torch-geometric`` 2.8.1 (GraphSAGE, SAGEConv, GIN with jumping knowledge; the xxhash C
extension its HashTensor imports is stubbed), ``g-mlp-pytorch`` 0.1.5 (gMLP, spatial gating units); ``transformers``
4.46's PUBLISHED TF1 CONVERTER ``load_tf_weights_in_canine`` (CANINE's TF1 names:
`bert/layer_0/attention/self/query/kernel`, `canine/initial_char_encoder/conv/kernel` -> `chars_to_molecules.conv`,
`final_char_encoder/LayerNorm` -> `projection.LayerNorm`, hash embedders) run on TF1 checkpoints written by TF's own
Saver with the names it reads; transformers definitions of OPT, LED, XLM, BlenderbotSmall, Data2VecVision, CANINE,
Gemma2, Nemotron, PatchTST and the Audio Spectrogram Transformer (none of them in an earlier part) with the
from_pt/from_tf converters and ``from_pretrained(ignore_mismatched_sizes=True)``; TF's
``tf.compat.v1.train.init_from_checkpoint`` with an assignment map (a wrapper scope); and models written for this part:
TF1 graphs of tf.compat.v1.layers (separable and transposed convolutions, Momentum slots), TF2 tf.Module trees (a dict
of towers, a list of blocks) in tf.train.Checkpoint, Keras 3 functional models (depthwise, grouped, separable and
transposed convolutions; LSTMs and a Bidirectional LSTM; MultiHeadAttention; a layer added in the middle; equal blocks
with one removed; a new head) as `.weights.h5` and `.keras`, and PyTorch wrappers (torch.compile's `_orig_mod.`,
DataParallel's `module.`, a Lightning-style `model.`, renamed ModuleDict/ParameterDict keys).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (the TF1 converter,
``from_pretrained`` with ``from_pt``/``from_tf``/``ignore_mismatched_sizes``, ``init_from_checkpoint``) or by the
scenario's construction (weights in order into the same architecture, a removed layer or block, a twin in another
framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout15.py fetch               # pip download + unpack torch-geometric, g-mlp-pytorch
    python bench/scenarios/heldout15.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout15.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout15        # score (once)
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
PART = "heldout15"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL15", "/work/coord/material-heldout15")
PACKAGES = ["torch-geometric==2.8.1", "g-mlp-pytorch==0.1.5"]
_all, _rel, _loaded, _tf1_write, _put_t = h9._all, h9._rel, h9._loaded, h9._tf1_write, h9._put_t
_in_order = h11._in_order


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: PyTorch <-> TF
    _s("h15_opt_pt_to_tf_causallm", "OPTForCausalLM safetensors (word_embed_proj_dim 16 < hidden 24: "
       "`model.decoder.project_in`/`project_out`, learned positions with an offset of 2, lm_head tied) -> "
       "TFOPTForCausalLM (truth: from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("h15_led_tf_h5_to_pt_gen", "TFLEDModel `tf_model.h5` (global attention projections `query_global`, "
       "`led/encoder/layers.0/self_attn/longformer_self_attn`) -> LEDForConditionalGeneration (truth: "
       "from_pretrained(from_tf=True); lm_head tied, `final_logits_bias` new)", "cross", legacy=True),
    _s("h15_xlm_lmhead_pt_to_tf_seqcls", "XLMWithLMHeadModel safetensors (`transformer.attentions.0.q_lin`, "
       "`layer_norm_emb`, `pred_layer.proj` tied) -> TFXLMForSequenceClassification (truth: "
       "from_pretrained(from_pt=True); new `sequence_summary`)", "cross", legacy=True),
    _s("h15_blenderbotsmall_tf2_adam_to_pt_gen", "TFBlenderbotSmallModel trained one step in a custom loop with "
       "Adam, tf.train.Checkpoint(model=, optimizer=, step=) (object-graph keys, optimizer slots) -> "
       "BlenderbotSmallForConditionalGeneration (truth: from_pretrained(from_tf=True) of the same trained model)",
       "cross", "tf2", legacy=True),
    _s("h15_data2vecvision_pt_to_tf_cls", "Data2VecVisionModel safetensors (relative position bias tables, "
       "layer scale `lambda_1`/`lambda_2`, mean pooling) -> TFData2VecVisionForImageClassification (truth: "
       "from_pretrained(from_pt=True); new `classifier`)", "cross", legacy=True),
    # transformers' published TF1 converter: CANINE
    _s("h15_canine_tf1_adam_to_seqcls", "CANINE TF1 Saver checkpoint (`bert/layer_0/attention/self/query/kernel`, "
       "hash embedders `char_embeddings/HashBucketCodepointEmbedder_3`, `canine/initial_char_encoder/conv/kernel`, "
       "`final_char_encoder/LayerNorm/gamma`, `adam_m`/`adam_v` slots) -> CanineForSequenceClassification (truth: "
       "load_tf_weights_in_canine into CanineModel; new `classifier`)", "cross", "tf1"),
    # TF1 graphs
    _s("h15_tf1_layers_tower_wrapper_dense_added", "TF1 graph of tf.compat.v1.layers (`net/stem/kernel`, "
       "separable `net/sep1/depthwise_kernel`, `net/up/kernel` transposed conv, batch norms) trained with Momentum "
       "(`/Momentum` slots), Saver -> the graph under a wrapper scope `tower_0/net/` with one more dense layer "
       "before the logits (truth: init_from_checkpoint with an assignment map; the added layer new)", "tf1",
       legacy=True),
    _s("h15_tf1_layers_to_k3_functional", "TF1 graph of tf.compat.v1.layers (conv2d, separable_conv2d, "
       "conv2d_transpose, batch_normalization, dense) built after two stray layers (auto names `conv2d_1/kernel`, "
       "`dense_1/kernel`: off by one), Saver with Adam slots -> a Keras 3 functional twin (`conv2d/kernel`, "
       "`dense/kernel`; the stray `conv2d`, `dense` unused; truth: construction in order)",
       "tf1", legacy=True),
    _s("h15_tf1_equal_layers_removed_abstain", "TF1 Saver checkpoint of an encoder of 4 equal layers "
       "(`encoder/layer_2/dense/kernel`, `encoder/layer_2/ln/gamma`) with Adam slots (`/Adam`, `/Adam_1`) -> the "
       "graph with 3 layers (layer 1 dropped, later ones moved down; truth: init_from_checkpoint with an assignment "
       "map; which of the equal layers went is in no file: must abstain on them)", "tf1", "abstain"),
    # TF2 tf.Module trees
    _s("h15_tf2_module_towers_dict_to_torch", "TF2 tf.Module two-tower retrieval net (a dict of towers "
       "{query, doc}, each a list of dense blocks, a shared embedding), tf.train.Checkpoint -> a PyTorch twin whose "
       "ModuleDict keys are renamed {user, item} with one more layer in the item tower (truth: construction)",
       "cross", "tf2"),
    _s("h15_tf2_module_blocks_removed_to_torch_abstain", "TF2 tf.Module residual net with a list of 4 equal "
       "blocks (`net/blocks/2/w`, `scale`), tf.train.Checkpoint -> a PyTorch twin with 3 blocks (block 1 dropped, "
       "later ones moved down; which of the equal blocks went is in no file: must abstain on them)",
       "cross", "tf2", "abstain"),
    # PyTorch drift
    _s("h15_gemma2_compiled_layer_removed_abstain", "Gemma2ForCausalLM with 4 layers (pre and post feed-forward "
       "norms) saved from torch.compile (`_orig_mod.model.layers.3.post_feedforward_layernorm.weight`) -> 3 layers "
       "(layer 1 dropped; which of the equal layers went is in no file: must abstain on them)", "abstain"),
    _s("h15_multitask_dicts_renamed_abstain", "multi-task classifier state_dict (`encoder.` renamed `backbone.`, "
       "a ModuleDict of heads {sentiment, topic} and a ParameterDict of prompts {en, de} of equal shapes) -> the "
       "model with the dict keys renamed {task_a, task_b} / {lang_0, lang_1} (which is which: no file says: must "
       "abstain on them)", "abstain"),
    _s("h15_patchtst_lightning_pretrain_to_prediction", "Lightning-style state_dict of PatchTSTForPretraining "
       "(`model.model.encoder.layers.0.self_attn.q_proj.weight`, masked-patch head `model.head.linear`) -> "
       "PatchTSTForPrediction (no prefix; the pretraining head unused; a new flatten head; truth: construction)"),
    _s("h15_nemotron_110l_dp_compiled_to_base", "NemotronForCausalLM with 110 layers (LayerNorm1P with biases, "
       "an up/down MLP without gate; 1,100+ tensors) saved from DataParallel(torch.compile) "
       "(`module._orig_mod.model.layers.109.mlp.down_proj.weight`) -> NemotronModel (base, no prefix; lm_head "
       "unused; truth: from_pretrained of the saved model)"),
    _s("h15_ast_labels_changed_ignore_mismatched", "ASTForAudioClassification with 12 labels, safetensors -> "
       "ASTForAudioClassification with 5 labels (truth: from_pretrained(ignore_mismatched_sizes=True): "
       "`classifier.dense` new, its old value unused, `classifier.layernorm` kept)"),
    # PyPI model code: torch-geometric (graph networks), g-mlp-pytorch
    _s("h15_pyg_graphsage_list_to_attrs", "torch-geometric GraphSAGE node classifier saved under a training "
       "module's `net.` (`net.convs.1.lin_l.weight` and `lin_r` of equal shapes) -> a hand-written model of three "
       "SAGEConv attributes `conv1`..`conv3` (the list unrolled; truth: construction)"),
    _s("h15_pyg_gin_compiled_to_jk_cat", "torch-geometric GIN (MLPs `convs.0.nn.lins.1.weight`, `eps`) saved from "
       "torch.compile (`_orig_mod.convs..`) -> GIN with jumping knowledge `cat` and an output layer (`lin` [4, 48] "
       "new; truth: load_state_dict(strict=False) of the same convs)"),
    _s("h15_gmlp_lm_to_classifier", "g-mlp-pytorch gMLP language model (`to_embed`, spatial gating units "
       "`layers.0.fn.fn.fn.sgu.weight` [1, 8, 8], `to_logits`) -> a classifier: `embed` (renamed), `encoder` a gMLP "
       "without tokens (`encoder.layers.0..`), a new `head` (the LM logits unused; truth: construction)"),
    # Keras 3 files
    _s("h15_k3_unet_depthwise_grouped_wh5_to_torch", "Keras 3 functional U-Net-like net `.weights.h5` "
       "(DepthwiseConv2D, Conv2D with groups=4, SeparableConv2D, Conv2DTranspose, a skip concatenation) -> a "
       "PyTorch twin (depthwise/grouped Conv2d, ConvTranspose2d [in, out, kh, kw]; truth: construction)",
       "cross", "keras3"),
    _s("h15_k3_lstm_denoiser_keras_to_torch", "Keras 3 functional speech-enhancement mask net `.keras` (Conv1D, "
       "LSTM, Bidirectional LSTM `forward_lstm`/`backward_lstm`, a sigmoid mask Dense) -> a PyTorch twin (Conv1d, "
       "nn.LSTM `weight_ih_l0`, `weight_hh_l0_reverse`; `bias_hh` zero, new; truth: construction)",
       "cross", "keras3"),
    _s("h15_k3_mha_encoder_wh5_to_torch", "Keras 3 functional transformer encoder `.weights.h5` "
       "(MultiHeadAttention kernels [16, 2, 8], output [2, 8, 16], a token Embedding, LayerNormalization) -> a "
       "PyTorch twin with separate q/k/v Linear [16, 16] (truth: construction; permute + reshape)", "cross",
       "keras3"),
    _s("h15_k3_tabular_layer_added_mid_wh5", "Keras 3 functional tabular model (numeric branch, categorical "
       "Embedding branch, Concatenate, Dense stack) `.weights.h5` (keyed by structure: `layers/dense_2/vars/0` the "
       "third Dense) -> the model with a Dense + LayerNormalization added in the middle (the file's `dense_2` is "
       "now the model's `dense_3`; truth: construction)",
       "keras3"),
    _s("h15_k3_resmlp_block_removed_keras_abstain", "Keras 3 functional residual MLP with 4 equal blocks (Dense "
       "+ LayerNormalization) `.keras` -> 3 blocks (block 1 dropped; which of the equal blocks went is in no file: "
       "must abstain on them)", "keras3", "abstain"),
    _s("h15_k3_convnet_new_head_trap", "Keras 3 functional conv net with a Dense logits [32, 10] `.weights.h5` "
       "(stored by structure: `layers/dense/vars/0`) -> the body + a nested Sequential `head` (Dropout, a new Dense "
       "`classifier` [32, 10], the unused logits' shape: new or renamed? must abstain on it)", "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _s2s(**kw):
    return dict(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40, pad_token_id=1, eos_token_id=2,
                decoder_start_token_id=2, **kw)


def _pt_values(model, d):
    """A PyTorch model's values; the second name of a tied tensor is not scored (its checkpoint key is the first's)."""
    return _all(h4._unscored(spec_and_values(model, d), h4._tied(model)), d)


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def b_opt_pt_to_tf_causallm(d):
    from transformers import OPTConfig, OPTForCausalLM, TFOPTForCausalLM

    cfg = OPTConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, ffn_dim=40, num_attention_heads=2,
                    max_position_embeddings=32, word_embed_proj_dim=16, pad_token_id=1)
    ck, model = h4._pt_to_tf(d, OPTForCausalLM(cfg), "opt", TFOPTForCausalLM)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_led_tf_h5_to_pt_gen(d):
    from transformers import LEDConfig, LEDForConditionalGeneration, TFLEDModel

    cfg = LEDConfig(**_s2s(max_encoder_position_embeddings=32, max_decoder_position_embeddings=32,
                           attention_window=[4, 4]))
    ck, model = h4._tf_to_pt(d, TFLEDModel(cfg), "led", LEDForConditionalGeneration)
    return [ck], read_h5(ck), _pt_values(model, d), []


def b_xlm_lmhead_pt_to_tf_seqcls(d):
    from transformers import TFXLMForSequenceClassification, XLMConfig, XLMWithLMHeadModel

    cfg = XLMConfig(vocab_size=61, emb_dim=24, n_layers=2, n_heads=2, max_position_embeddings=40, num_labels=3)
    ck, model = h4._pt_to_tf(d, XLMWithLMHeadModel(cfg), "xlm", TFXLMForSequenceClassification)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def b_blenderbotsmall_tf2_adam_to_pt_gen(d):
    import tensorflow as tf
    import tf_keras
    from transformers import BlenderbotSmallConfig, BlenderbotSmallForConditionalGeneration, TFBlenderbotSmallModel

    tfm = TFBlenderbotSmallModel(BlenderbotSmallConfig(**_s2s(max_position_embeddings=32)))
    ids = tf.constant([[5, 7, 9, 11, 2], [3, 4, 8, 6, 2]])
    dec = tf.constant([[2, 5, 7], [2, 3, 4]])
    tfm(input_ids=ids, decoder_input_ids=dec)
    fill_random(tfm.weights, "bbs")
    opt = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:  # a custom training loop: one step
        loss = tf.reduce_mean(tf.square(tfm(input_ids=ids, decoder_input_ids=dec).last_hidden_state))
    grads = tape.gradient(loss, tfm.trainable_variables)
    opt.apply_gradients([(g, v) for g, v in zip(grads, tfm.trainable_variables, strict=True) if g is not None])
    prefix = tf.train.Checkpoint(model=tfm, optimizer=opt, step=tf.Variable(1, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1"))
    hf = os.path.join(d, "_hf")
    tfm.save_pretrained(hf)
    model, info = BlenderbotSmallForConditionalGeneration.from_pretrained(hf, from_tf=True, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [_rel(prefix, d)], read_tf(prefix), _pt_values(model, d), []


def b_data2vecvision_pt_to_tf_cls(d):
    from transformers import Data2VecVisionConfig, Data2VecVisionModel, TFData2VecVisionForImageClassification

    cfg = Data2VecVisionConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                               image_size=32, patch_size=8, use_relative_position_bias=True,
                               layer_scale_init_value=0.1, use_mean_pooling=True, num_labels=5)
    ck, model = h4._pt_to_tf(d, Data2VecVisionModel(cfg, add_pooling_layer=True), "d2vv",
                             TFData2VecVisionForImageClassification)
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# CANINE: load_tf_weights_in_canine

def _canine_cfg(**kw):
    from transformers import CanineConfig

    return CanineConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                        max_position_embeddings=64, num_hash_functions=4, num_hash_buckets=37, downsampling_rate=2,
                        upsampling_kernel_size=3, local_transformer_stride=8, **kw)


def _canine_tf_name(pt, kind):
    """The TF1 name load_tf_weights_in_canine reads for a CanineModel parameter (its walk: `bert` -> `encoder`,
    `<x>/initial_char_encoder/{conv,LayerNorm}` -> `chars_to_molecules`, `final_char_encoder/{conv,LayerNorm}` ->
    `projection`, `layer_0` indexes, `kernel` transposed, `gamma`/`beta`, `*_embeddings`/`*Embedder_i` the
    embedding's weight)."""
    n = re.sub(r"\.layer\.(\d+)\.", r".layer_\1.", pt)
    n = re.sub(r"LayerNorm\.weight$", "LayerNorm.gamma", n)
    n = re.sub(r"LayerNorm\.bias$", "LayerNorm.beta", n)
    n = re.sub(r"(_embeddings|Embedder_\d)\.weight$", r"\1", n)
    if kind in ("Linear", "Conv1d"):
        n = re.sub(r"\.weight$", ".kernel", n)
    n = re.sub(r"^encoder\.", "bert.", n)
    n = re.sub(r"^chars_to_molecules\.", "canine.initial_char_encoder.", n)
    n = re.sub(r"^projection\.", "final_char_encoder.", n)
    return n.replace(".", "/")


def b_canine_tf1_adam_to_seqcls(d):
    from transformers import CanineForSequenceClassification, CanineModel
    from transformers.models.canine.modeling_canine import load_tf_weights_in_canine

    base = CanineModel(_canine_cfg())
    kinds = {n: type(m).__name__ for n, m in base.named_modules()}
    arrays = {}
    for k, t in base.named_parameters():  # the TF layout: kernels reversed ([in, out], [k, in, out])
        kind = kinds[k.rsplit(".", 1)[0]]
        rev = kind in ("Linear", "Conv1d") and k.endswith(".weight")
        shape = tuple(t.shape)[::-1] if rev else tuple(t.shape)
        arrays[_canine_tf_name(k, kind)] = distinct("canine|" + k, shape)
    assert len(arrays) == len(list(base.named_parameters()))
    prefix = _tf1_write(d, arrays, ("adam_m", "adam_v"))
    stored = read_tf(prefix)
    fill_random_torch(base, "base")
    load_tf_weights_in_canine(base, base.config, prefix)  # the published converter: the truth
    convs = [k for k, _ in base.named_parameters() if kinds[k.rsplit(".", 1)[0]] == "Conv1d"]
    _loaded(base, stored, [k for k, _ in base.named_parameters() if k not in convs])
    sd = base.state_dict()
    for k in convs:  # the converter's full transpose of a conv kernel [k, in, out] -> [out, in, k]
        assert (sd[k].numpy() == stored[_canine_tf_name(k, "Conv1d")].T).all(), k
    model = CanineForSequenceClassification(_canine_cfg(num_labels=3))
    fill_random_torch(model, "new")
    model.canine.load_state_dict(base.state_dict())
    return [_rel(prefix, d)], stored, _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs of tf.compat.v1.layers

def _tf1_tower(extra=False, auto=False):
    """stem conv + BN, a separable conv + BN, a strided conv, a transposed conv, pooling, dense, logits; ``auto``:
    tf.compat.v1.layers names them itself; ``extra``: one more dense before the logits."""
    import tensorflow as tf

    L = tf.compat.v1.layers

    def nm(n):
        return None if auto else n

    x = tf.compat.v1.placeholder(tf.float32, [None, 16, 16, 3])
    x = L.conv2d(x, 8, 3, padding="same", name=nm("stem"))
    x = L.batch_normalization(x, training=False, name=nm("stem_bn"))
    x = L.separable_conv2d(x, 16, 3, padding="same", name=nm("sep1"))
    x = L.batch_normalization(x, training=False, name=nm("sep1_bn"))
    x = L.conv2d(x, 16, 3, strides=2, padding="same", name=nm("down"))
    x = L.conv2d_transpose(x, 8, 3, strides=2, padding="same", name=nm("up"))
    x = tf.reduce_mean(x, axis=[1, 2])
    x = L.dense(x, 24, activation=tf.nn.relu, name=nm("fc1"))
    if extra:
        x = L.dense(x, 24, activation=tf.nn.relu, name=nm("fc2"))
    return L.dense(x, 6, name=nm("logits"))


def _tf1_trained(d, build, optimizer):
    """Build the graph, fill every variable (slots too) with distinct values, Saver checkpoint."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        logits = build()
        loss = tf.reduce_mean(tf.square(logits))
        optimizer().minimize(loss, global_step=tf.compat.v1.train.get_or_create_global_step())
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            for v in tf.compat.v1.global_variables():
                if v.dtype.base_dtype == tf.float32:
                    v.load(distinct("tf1|" + v.op.name, v.shape), s)
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                     write_meta_graph=False)
    return prefix


def b_tf1_layers_tower_wrapper_dense_added(d):
    import tensorflow as tf

    def src():
        with tf.compat.v1.variable_scope("net"):
            return _tf1_tower()

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    assert "net/sep1/depthwise_kernel/Momentum" in stored, sorted(stored)[:8]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("tower_0"), tf.compat.v1.variable_scope("net"):
            _tf1_tower(extra=True)
    amap = {f"net/{s}/": f"tower_0/net/{s}/" for s in ("stem", "stem_bn", "sep1", "sep1_bn", "down", "up", "fc1",
                                                        "logits")}
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth; fc2 new
    assert any(n.startswith("tower_0/net/fc2/") for n in values), sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def b_tf1_layers_to_k3_functional(d):
    import keras
    import tensorflow as tf

    def src():
        tf.compat.v1.layers.dense(tf.zeros([1, 4]), 4)  # earlier layers: the auto names move on by one
        tf.compat.v1.layers.conv2d(tf.zeros([1, 4, 4, 1]), 2, 1)
        return _tf1_tower(auto=True)

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(1e-3))
    stored = read_tf(prefix)
    assert "conv2d_1/kernel" in stored and "separable_conv2d/depthwise_kernel/Adam" in stored, sorted(stored)[:12]
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.SeparableConv2D(16, 3, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(24, activation="relu")(x)
    tgt = keras.Model(inp, keras.layers.Dense(6)(x))
    fill_random(h4._float(tgt.weights), "tgt")
    order = ["conv2d_1/kernel", "conv2d_1/bias", "batch_normalization/gamma", "batch_normalization/beta",
             "batch_normalization/moving_mean", "batch_normalization/moving_variance",
             "separable_conv2d/depthwise_kernel", "separable_conv2d/pointwise_kernel", "separable_conv2d/bias",
             "batch_normalization_1/gamma", "batch_normalization_1/beta", "batch_normalization_1/moving_mean",
             "batch_normalization_1/moving_variance", "conv2d_2/kernel", "conv2d_2/bias",
             "conv2d_transpose/kernel", "conv2d_transpose/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel",
             "dense_2/bias"]
    _in_order([stored[n] for n in order], tgt)  # construction: the graph's layers in order, the same layouts
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


_ENC = {"dense/kernel": (16, 16), "dense/bias": (16,), "ln/gamma": (16,), "ln/beta": (16,)}


def _tf1_encoder_graph(n):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.get_variable("encoder/input/kernel", (10, 16))
        for i in range(n):
            for w, shp in _ENC.items():
                tf.compat.v1.get_variable(f"encoder/layer_{i}/{w}", shp)
        tf.compat.v1.get_variable("encoder/output/kernel", (16, 4))
    return g


def b_tf1_equal_layers_removed_abstain(d):
    arrays = {"encoder/input/kernel": distinct("in", (10, 16))}
    for i in range(4):
        arrays.update({f"encoder/layer_{i}/{w}": distinct(f"l{i}{w}", shp) for w, shp in _ENC.items()})
    arrays["encoder/output/kernel"] = distinct("out", (16, 4))
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    amap = {"encoder/input/kernel": "encoder/input/kernel", "encoder/output/kernel": "encoder/output/kernel"}
    for i, j in enumerate((0, 2, 3)):  # layer 1 dropped, later ones moved down
        amap.update({f"encoder/layer_{j}/{w}": f"encoder/layer_{i}/{w}" for w in _ENC})
    values = tp._tf1_target(_tf1_encoder_graph(3), d, amap, prefix)  # init_from_checkpoint: the truth
    # the layers are equal: any three of the four, in order
    return [_rel(prefix, d)], read_tf(prefix), _all(values, d), sorted(n for n in values if "/layer_" in n)


# ---------------------------------------------------------------------------------------------------------
# TF2 tf.Module trees -> PyTorch twins

def _tf_dense(i, o, seed):
    import tensorflow as tf

    m = tf.Module()
    m.w = tf.Variable(distinct(seed + "w", (i, o)))
    m.b = tf.Variable(distinct(seed + "b", (o,)))
    return m


def b_tf2_module_towers_dict_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Tower(tf.Module):
        def __init__(self, dims, seed):
            super().__init__()
            pairs = zip(dims[:-1], dims[1:], strict=True)
            self.layers = [_tf_dense(a, b, f"{seed}{i}") for i, (a, b) in enumerate(pairs)]

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.embedding = tf.Variable(distinct("emb", (50, 12)))
            self.towers = {"query": Tower([12, 32, 8], "q"), "doc": Tower([12, 40, 20, 8], "d")}
            self.temperature = tf.Variable(distinct("temp", ()))

    net = Net()
    prefix = tf.train.Checkpoint(net=net, step=tf.Variable(7, dtype=tf.int64)).write(os.path.join(d, "ckpt",
                                                                                                   "ckpt-7"))
    twin = nn.Module()
    twin.embed = nn.Embedding(50, 12)
    twin.towers = nn.ModuleDict({"user": nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 8)),
                                 "item": nn.Sequential(nn.Linear(12, 40), nn.ReLU(), nn.Linear(40, 20), nn.ReLU(),
                                                       nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 8))})
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: Dense [in, out] -> Linear [out, in]; item tower: `4` is new
    _put_t(sd["embed.weight"], net.embedding.numpy())
    pairs = [("towers.user.0", net.towers["query"].layers[0]), ("towers.user.2", net.towers["query"].layers[1]),
             ("towers.item.0", net.towers["doc"].layers[0]), ("towers.item.2", net.towers["doc"].layers[1]),
             ("towers.item.6", net.towers["doc"].layers[2])]
    for name, m in pairs:
        _put_t(sd[name + ".weight"], np.asarray(m.w.numpy()).T)
        _put_t(sd[name + ".bias"], m.b.numpy())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_blocks_removed_to_torch_abstain(d):
    import numpy as np
    import tensorflow as tf
    import torch
    import torch.nn as nn

    class Block(tf.Module):
        def __init__(self, seed):
            super().__init__()
            self.dense = _tf_dense(16, 16, seed)
            self.scale = tf.Variable(distinct(seed + "scale", (16,)))

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.stem = _tf_dense(10, 16, "stem")
            self.blocks = [Block(f"blk{i}") for i in range(4)]
            self.head = _tf_dense(16, 3, "head")

    net = Net()
    prefix = tf.train.Checkpoint(net=net).write(os.path.join(d, "ckpt", "ckpt-1"))

    class TBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(16, 16)
            self.scale = nn.Parameter(torch.zeros(16))

    twin = nn.Module()
    twin.stem = nn.Linear(10, 16)
    twin.blocks = nn.ModuleList(TBlock() for _ in range(3))
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()  # construction: block 1 dropped, later ones moved down
    for name, m in [("stem", net.stem), ("head", net.head)] + [(f"blocks.{i}.fc", net.blocks[j].dense)
                                                                for i, j in enumerate((0, 2, 3))]:
        _put_t(sd[name + ".weight"], np.asarray(m.w.numpy()).T)
        _put_t(sd[name + ".bias"], m.b.numpy())
    for i, j in enumerate((0, 2, 3)):
        _put_t(sd[f"blocks.{i}.scale"], net.blocks[j].scale.numpy())
    values = _all(spec_and_values(twin, d), d)
    # the blocks are equal: any three of the four, in order
    return [_rel(prefix, d)], read_tf(prefix), values, sorted(n for n in values if n.startswith("blocks."))


# ---------------------------------------------------------------------------------------------------------
# PyTorch drift

def _gemma2_cfg(layers):
    from transformers import Gemma2Config

    return Gemma2Config(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=layers,
                        num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=32,
                        tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)


def b_gemma2_compiled_layer_removed_abstain(d):
    import torch
    from transformers import Gemma2ForCausalLM

    src = Gemma2ForCausalLM(_gemma2_cfg(4))
    fill_random_torch(src, "gemma2")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "gemma2.pt")
    torch.save(sd, ck)
    tgt = Gemma2ForCausalLM(_gemma2_cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "model.layers.", {0: 0, 1: 2, 2: 3})
    values = _all(spec_and_values(tgt, d), d)
    # the layers are equal: any three of the four, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("model.layers."))


def b_multitask_dicts_renamed_abstain(d):
    import torch
    import torch.nn as nn

    def make(enc, heads, langs):
        m = nn.Module()
        setattr(m, enc, nn.Sequential(nn.Linear(20, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 32)))
        m.heads = nn.ModuleDict({h: nn.Linear(32, 3) for h in heads})
        m.prompts = nn.ParameterDict({k: nn.Parameter(torch.zeros(4, 32)) for k in langs})
        return m

    src = make("encoder", ("sentiment", "topic"), ("en", "de"))
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "multitask.pt")
    torch.save(src.state_dict(), ck)
    tgt = make("backbone", ("task_a", "task_b"), ("lang_0", "lang_1"))
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.encoder.state_dict())  # construction: the keys renamed in order
    tgt.heads["task_a"].load_state_dict(src.heads["sentiment"].state_dict())
    tgt.heads["task_b"].load_state_dict(src.heads["topic"].state_dict())
    with torch.no_grad():
        tgt.prompts["lang_0"].copy_(src.prompts["en"])
        tgt.prompts["lang_1"].copy_(src.prompts["de"])
    values = _all(spec_and_values(tgt, d), d)
    # equal shapes, names that share nothing: which head (prompt) is which is in no file
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith(("heads.", "prompts.")))


def b_patchtst_lightning_pretrain_to_prediction(d):
    import torch
    import torch.nn as nn
    from transformers import PatchTSTConfig, PatchTSTForPrediction, PatchTSTForPretraining

    def cfg():
        return PatchTSTConfig(num_input_channels=3, context_length=32, patch_length=8, patch_stride=8, d_model=16,
                              num_hidden_layers=2, num_attention_heads=2, ffn_dim=24, prediction_length=8)

    module = nn.Module()  # a LightningModule's attributes: the model
    module.model = PatchTSTForPretraining(cfg())
    fill_random_torch(module, "lit")
    ck = os.path.join(d, "ckpt", "epoch=3-step=400.pt")
    torch.save(module.state_dict(), ck)
    tgt = PatchTSTForPrediction(cfg())
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(module.model.model.state_dict())  # construction: the backbone; the head new
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_nemotron_110l_dp_compiled_to_base(d):
    import torch
    import torch.nn as nn
    from transformers import NemotronConfig, NemotronForCausalLM, NemotronModel

    cfg = NemotronConfig(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=110,
                         num_attention_heads=2, num_key_value_heads=2, head_dim=8, max_position_embeddings=32,
                         tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    src = NemotronForCausalLM(cfg)
    fill_random_torch(src, "nemotron")
    hf = os.path.join(d, "_hf")
    src.save_pretrained(hf)
    ck = os.path.join(d, "ckpt", "nemotron.pt")
    sd = nn.DataParallel(torch.compile(src)).state_dict()
    assert next(iter(sd)).startswith("module._orig_mod.model."), next(iter(sd))
    torch.save(sd, ck)
    model, info = NemotronModel.from_pretrained(hf, output_loading_info=True)  # the truth
    assert not info["missing_keys"], info["missing_keys"][:5]
    shutil.rmtree(hf)
    values = _all(spec_and_values(model, d), d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_ast_labels_changed_ignore_mismatched(d):
    from transformers import ASTConfig, ASTForAudioClassification

    def cfg(n):
        return ASTConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                         patch_size=8, frequency_stride=8, time_stride=8, max_length=32, num_mel_bins=16,
                         num_labels=n)

    ck_dir = h4._hf(d, ASTForAudioClassification(cfg(12)), "ast", "ckpt")
    model, info = ASTForAudioClassification.from_pretrained(ck_dir, num_labels=5, ignore_mismatched_sizes=True,
                                                            output_loading_info=True)  # the truth
    assert {k for k, *_ in info["mismatched_keys"]} == {"classifier.dense.weight", "classifier.dense.bias"}, info
    fill_random_torch(model.classifier.dense, "new")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# PyPI model code: torch-geometric, g-mlp-pytorch (run from the unpacked wheels, never copied)

def _material(pkg):
    path = os.path.join(MATERIAL, pkg)
    if path not in sys.path:
        sys.path.insert(0, path)


def _pyg():
    """torch_geometric.nn; xxhash (a C extension its HashTensor imports, never used here) is stubbed."""
    import types

    _material("torch_geometric")
    try:
        import xxhash  # noqa: F401
    except ImportError:
        sys.modules["xxhash"] = types.ModuleType("xxhash")
    import torch_geometric.nn as gnn

    return gnn


def b_pyg_graphsage_list_to_attrs(d):
    import torch
    import torch.nn as nn

    gnn = _pyg()
    module = nn.Module()  # a training module's attributes: the net
    module.net = gnn.models.GraphSAGE(8, 16, num_layers=3, out_channels=4)
    fill_random_torch(module, "sage")
    ck = os.path.join(d, "ckpt", "sage.pt")
    torch.save(module.state_dict(), ck)
    tgt = nn.Module()
    tgt.conv1, tgt.conv2, tgt.conv3 = gnn.SAGEConv(8, 16), gnn.SAGEConv(16, 16), gnn.SAGEConv(16, 4)
    fill_random_torch(tgt, "tgt")
    for i, conv in enumerate((tgt.conv1, tgt.conv2, tgt.conv3)):  # construction: the list unrolled
        conv.load_state_dict(module.net.convs[i].state_dict())
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_pyg_gin_compiled_to_jk_cat(d):
    import torch

    gnn = _pyg()
    src = gnn.models.GIN(8, 16, num_layers=3)
    fill_random_torch(src, "gin")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "gin.pt")
    torch.save(sd, ck)
    tgt = gnn.models.GIN(8, 16, num_layers=3, jk="cat", out_channels=4)
    fill_random_torch(tgt, "tgt")
    info = tgt.load_state_dict(src.state_dict(), strict=False)  # the truth: the convs; `lin` new
    assert sorted(info.missing_keys) == ["lin.bias", "lin.weight"] and not info.unexpected_keys, info
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_gmlp_lm_to_classifier(d):
    import torch
    import torch.nn as nn

    _material("g_mlp_pytorch")
    from g_mlp_pytorch import gMLP

    src = gMLP(num_tokens=50, dim=16, depth=3, seq_len=8)
    fill_random_torch(src, "gmlp")
    ck = os.path.join(d, "ckpt", "gmlp_lm.pt")
    torch.save(src.state_dict(), ck)
    tgt = nn.Module()
    tgt.embed = nn.Embedding(50, 16)
    tgt.encoder = gMLP(dim=16, depth=3, seq_len=8)
    tgt.head = nn.Linear(16, 3)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.to_embed.state_dict())  # construction: the embedding and the layers
    tgt.encoder.layers.load_state_dict(src.layers.state_dict())
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def b_k3_unet_depthwise_grouped_wh5_to_torch(d):
    import keras
    import numpy as np
    import torch.nn as nn

    L = keras.layers
    inp = keras.Input((16, 16, 3))
    s = L.Conv2D(8, 3, padding="same", name="stem")(inp)
    s = L.BatchNormalization(name="stem_bn")(s)
    x = L.DepthwiseConv2D(3, padding="same", name="dw")(s)
    x = L.Conv2D(16, 1, name="pw")(x)
    x = L.Conv2D(16, 3, strides=2, padding="same", groups=4, name="down")(x)
    x = L.SeparableConv2D(16, 3, padding="same", name="mid")(x)
    x = L.Conv2DTranspose(8, 3, strides=2, padding="same", name="up")(x)
    x = L.Concatenate()([x, s])
    src = keras.Model(inp, L.Conv2D(4, 1, name="out")(x))
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "unet.weights.h5")
    src.save_weights(ck)

    twin = nn.Module()
    twin.stem = nn.Conv2d(3, 8, 3, padding=1)
    twin.stem_bn = nn.BatchNorm2d(8)
    twin.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
    twin.pw = nn.Conv2d(8, 16, 1)
    twin.down = nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=4)
    twin.mid_dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
    twin.mid_pw = nn.Conv2d(16, 16, 1)
    twin.up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
    twin.out = nn.Conv2d(16, 4, 1)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    w = {lay.name: [np.asarray(v.numpy()) for v in lay.weights] for lay in src.layers}
    # construction: Conv2D HWIO -> OIHW; depthwise [kh, kw, c, 1] -> [c, 1, kh, kw]; transposed [kh, kw, out, in]
    # -> [in, out, kh, kw]
    for name in ("stem", "pw", "down", "out"):
        _put_t(sd[name + ".weight"], w[name][0].transpose(3, 2, 0, 1))
        _put_t(sd[name + ".bias"], w[name][1])
    for i, part in enumerate(("weight", "bias", "running_mean", "running_var")):
        _put_t(sd["stem_bn." + part], w["stem_bn"][i])
    _put_t(sd["dw.weight"], w["dw"][0].transpose(2, 3, 0, 1))
    _put_t(sd["dw.bias"], w["dw"][1])
    _put_t(sd["mid_dw.weight"], w["mid"][0].transpose(2, 3, 0, 1))
    _put_t(sd["mid_pw.weight"], w["mid"][1].transpose(3, 2, 0, 1))
    _put_t(sd["mid_pw.bias"], w["mid"][2])
    _put_t(sd["up.weight"], w["up"][0].transpose(3, 2, 0, 1))
    _put_t(sd["up.bias"], w["up"][1])
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_lstm_denoiser_keras_to_torch(d):
    import keras
    import numpy as np
    import torch
    import torch.nn as nn

    L = keras.layers
    inp = keras.Input((10, 12))
    x = L.Conv1D(16, 3, padding="same", activation="relu")(inp)
    x = L.LSTM(20, return_sequences=True)(x)
    x = L.Bidirectional(L.LSTM(8, return_sequences=True))(x)
    src = keras.Model(inp, L.Dense(12, activation="sigmoid")(x))
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "denoiser.keras")
    src.save(ck)

    twin = nn.Module()
    twin.conv = nn.Conv1d(12, 16, 3, padding=1)
    twin.lstm = nn.LSTM(16, 20, batch_first=True)
    twin.blstm = nn.LSTM(20, 8, batch_first=True, bidirectional=True)
    twin.mask = nn.Linear(16, 12)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    conv, lstm, bi, dense = (lay for lay in src.layers[1:])
    a = lambda v: np.asarray(v.numpy())  # noqa: E731
    # construction: Conv1D [k, in, out] -> [out, in, k]; LSTM gates i, f, c, o in both; kernel [in, 4h] -> [4h, in];
    # Keras' one bias is bias_ih, bias_hh zero (new)
    _put_t(sd["conv.weight"], a(conv.kernel).transpose(2, 1, 0))
    _put_t(sd["conv.bias"], a(conv.bias))
    for tname, cell in (("lstm.{}_l0", lstm.cell), ("blstm.{}_l0", bi.forward_layer.cell),
                        ("blstm.{}_l0_reverse", bi.backward_layer.cell)):
        _put_t(sd[tname.format("weight_ih")], a(cell.kernel).T)
        _put_t(sd[tname.format("weight_hh")], a(cell.recurrent_kernel).T)
        _put_t(sd[tname.format("bias_ih")], a(cell.bias))
        with torch.no_grad():
            sd[tname.format("bias_hh")].zero_()
    _put_t(sd["mask.weight"], a(dense.kernel).T)
    _put_t(sd["mask.bias"], a(dense.bias))
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def b_k3_mha_encoder_wh5_to_torch(d):
    import keras
    import numpy as np
    import torch.nn as nn

    L = keras.layers
    inp = keras.Input((8,), dtype="int32")
    x = L.Embedding(50, 16)(inp)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=8)
    x = L.LayerNormalization()(x + mha(x, x))
    h = L.Dense(32, activation="gelu")(x)
    x = L.LayerNormalization()(x + L.Dense(16)(h))
    x = L.GlobalAveragePooling1D()(x)
    src = keras.Model(inp, L.Dense(4)(x))
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "encoder.weights.h5")
    src.save_weights(ck)

    twin = nn.Module()
    twin.embed = nn.Embedding(50, 16)
    twin.q, twin.k, twin.v, twin.o = (nn.Linear(16, 16) for _ in range(4))
    twin.norm1, twin.norm2 = nn.LayerNorm(16), nn.LayerNorm(16)
    twin.ff1, twin.ff2, twin.cls = nn.Linear(16, 32), nn.Linear(32, 16), nn.Linear(16, 4)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    a = lambda v: np.asarray(v.numpy())  # noqa: E731
    emb, ln1, ln2 = (lay for lay in src.layers if isinstance(lay, (L.Embedding, L.LayerNormalization)))
    dense = [lay for lay in src.layers if isinstance(lay, L.Dense)]
    _put_t(sd["embed.weight"], a(emb.embeddings))
    # construction: q/k/v kernels [d, heads, head_dim] -> [heads * head_dim, d]; output [heads, head_dim, d] -> [d, ..]
    for t, sub in (("q", mha._query_dense), ("k", mha._key_dense), ("v", mha._value_dense)):
        _put_t(sd[t + ".weight"], a(sub.kernel).reshape(16, 16).T)
        _put_t(sd[t + ".bias"], a(sub.bias).reshape(16))
    _put_t(sd["o.weight"], a(mha._output_dense.kernel).reshape(16, 16).T)
    _put_t(sd["o.bias"], a(mha._output_dense.bias))
    for t, lay in (("norm1", ln1), ("norm2", ln2)):
        _put_t(sd[t + ".weight"], a(lay.gamma))
        _put_t(sd[t + ".bias"], a(lay.beta))
    for t, lay in zip(("ff1", "ff2", "cls"), dense, strict=True):
        _put_t(sd[t + ".weight"], a(lay.kernel).T)
        _put_t(sd[t + ".bias"], a(lay.bias))
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _tabular(extra=False):
    import keras

    L = keras.layers
    num = keras.Input((6,))
    cat = keras.Input((3,), dtype="int32")
    n = L.Dense(16, activation="relu")(L.Normalization(axis=-1)(num))
    c = L.Flatten()(L.Embedding(20, 4)(cat))
    x = L.Dense(32, activation="relu")(L.Concatenate()([n, c]))
    if extra:
        x = L.LayerNormalization()(L.Dense(32, activation="relu")(x))
    x = L.Dense(24, activation="relu")(x)
    return keras.Model([num, cat], L.Dense(1)(x))


def b_k3_tabular_layer_added_mid_wh5(d):
    import keras

    for _ in range(2):  # a notebook session: other models built first, the auto-name counters move on
        _tabular()
    src = _tabular()
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "tabular.weights.h5")
    src.save_weights(ck)
    sw = {lay.name: lay.get_weights() for lay in src.layers}
    order = [lay.name for lay in src.layers if lay.weights]
    keras.backend.clear_session()  # a fresh process: the counters start again
    tgt = _tabular(extra=True)
    fill_random(h4._float(tgt.weights), "tgt")
    with_w = [lay for lay in tgt.layers if lay.weights]
    # construction: the layers in order; the Dense + LayerNormalization after the first Dense [.., 32] are new
    added = [i for i, lay in enumerate(with_w) if isinstance(lay, keras.layers.LayerNormalization)][0] - 1
    kept = with_w[:added] + with_w[added + 2:]
    assert len(kept) == len(order)
    for lay, name in zip(kept, order, strict=True):
        lay.set_weights(sw[name])
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def _resmlp(n):
    import keras

    L = keras.layers
    inp = keras.Input((12,))
    x = L.Dense(16)(inp)
    for _ in range(n):
        x = L.LayerNormalization()(x + L.Dense(16, activation="relu")(x))
    return keras.Model(inp, L.Dense(5)(x))


def b_k3_resmlp_block_removed_keras_abstain(d):
    import keras

    src = _resmlp(4)
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "resmlp.keras")
    src.save(ck)
    keras.backend.clear_session()
    tgt = _resmlp(3)
    fill_random(h4._float(tgt.weights), "tgt")
    sw = src.get_weights()  # stem 2, blocks 4 x 4 (Dense 2, LayerNormalization 2), head 2
    blocks = [sw[2 + 4 * i: 6 + 4 * i] for i in range(4)]
    tgt.set_weights(sw[:2] + [w for j in (0, 2, 3) for w in blocks[j]] + sw[-2:])  # construction: block 1 dropped
    values = _all(spec_and_values(tgt, d), d)
    body = {w.path for lay in tgt.layers[2:-1] for w in lay.weights}
    amb = sorted(n for n in values if n in body)
    assert len(amb) == 12, (len(amb), sorted(values))
    # the blocks are equal: any three of the four, in order
    return [ck], heldout2.read_keras_zip(ck, d), values, amb


def _convbody():
    import keras

    L = keras.layers
    inp = keras.Input((16, 16, 3))
    x = L.Conv2D(16, 3, strides=2, activation="relu")(inp)
    x = L.BatchNormalization()(x)
    x = L.Conv2D(32, 3, strides=2, activation="relu")(x)
    return inp, L.GlobalAveragePooling2D()(x)


def b_k3_convnet_new_head_trap(d):
    import keras

    inp, x = _convbody()
    src = keras.Model(inp, keras.layers.Dense(10, name="logits")(x))
    fill_random(h4._float(src.weights), "src")
    ck = os.path.join(d, "ckpt", "convnet.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    inp, x = _convbody()
    head = keras.layers.Dense(10, name="classifier")
    top = keras.Sequential([keras.layers.Dropout(0.3, name="head_dropout"), head], name="head")  # a nested head:
    tgt = keras.Model(inp, top(x))  # Keras' own structural keys (`layers/sequential/..`) are not the logits'
    assert not any(lay.weights for lay in tgt.layers if isinstance(lay, keras.layers.Dense))
    fill_random(h4._float(tgt.weights), "tgt")
    body = [w for w in tgt.weights if not any(w is h for h in head.weights)]
    for w, a in zip(body, sw[:-2], strict=True):  # construction: the body in order; the classifier the fine-tuner's
        w.assign(a)
    values = _all(spec_and_values(tgt, d), d)
    amb = [n for n in values if any(n == w.path for w in head.weights)]
    assert len(amb) == 2, sorted(values)
    # `classifier` is new, of the unused logits' shape: new or renamed? no file says
    return [ck], read_h5(ck), values, amb


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout14's, over these scenarios

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
