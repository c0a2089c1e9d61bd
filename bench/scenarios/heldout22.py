"""A twenty-second held-out part of alignment scenarios (``--part heldout22``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the axial-attention, bottleneck-transformer-pytorch and halonet-pytorch
wheels into $CKPT_DOCTOR_MATERIAL22, default /work/coord/material-heldout22, unpacked there; nothing installed (they
need only torch and einops, both in the venv); the rest is the venv's; sources and licences in NOTICE; nothing of it
is committed): Phil Wang's AxialImageTransformer (sequential and reversible), BottleStack (BoTNet, relative and
absolute position embeddings) and HaloAttention; transformers 4.46 definitions of ProphetNet, Reformer, LongT5,
FSMT, MVP, AltCLIP, Data2VecAudio and XLM-RoBERTa-XL (none of them in an earlier part); and models written for this
part:
Keras 3 functional models as `.weights.h5` and `.keras` (a Conv1D/GroupNormalization/Conv1DTranspose net into a
PyTorch twin, a conv net with a depthwise conv and a batch norm inserted in the middle, two equal gated branches into
role names, an embedding-pooling classifier into nn.EmbeddingBag, equal residual conv blocks with one removed), TF1
graphs (a bidirectional LSTM tagger with a CRF transition matrix under a wrapper scope, auto-numbered feature tables
into feature names, a hand-written pre-norm attention encoder into torch's nn.TransformerEncoderLayer, a VAE whose
auto-named mean/log-variance heads get role names, a tower trained with ExponentialMovingAverage shadows unwrapped
with a resized head) and TF2 checkpoints (a Keras 3 Sequential with a transposed conv into a PyTorch twin, a
tf.Module LM with a tied embedding into a tied PyTorch LM).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the same architecture,
a removed or inserted layer, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout22.py fetch               # pip download + unpack the three wheels
    python bench/scenarios/heldout22.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout22.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout22        # score (once)
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
PART = "heldout22"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers families with drift
    _s("h22_prophetnet_dp_to_cg", "DataParallel ProphetNetModel (`module.encoder.layers.1.self_attn.query_proj."
       "weight`, `module.decoder.layers.0.self_attn.relative_pos_embeddings.weight`, `module.word_embeddings."
       "weight` shared by encoder and decoder) -> ProphetNetForConditionalGeneration (`prophetnet.` prefix, "
       "`lm_head` tied to the word embeddings; truth: load_state_dict of the base)"),
    _s("h22_reformer_compiled_to_lm", "torch.compile'd ReformerModel with local and LSH attention layers "
       "(`_orig_mod.embeddings.position_embeddings.weights.0` axial, `_orig_mod.encoder.layers.1.attention."
       "self_attention.query_key.weight`) -> ReformerModelWithLMHead (`reformer.` prefix, `lm_head` new; truth: "
       "load_state_dict of the base)"),
    _s("h22_longt5_block_removed_abstain", "LongT5EncoderModel with 3 local-attention blocks (`encoder.block.0."
       "layer.0.LocalSelfAttention.relative_attention_bias.weight` only in block 0) -> 2 blocks (block 1 dropped, "
       "block 2 moved down; the blocks' other tensors are equal in shape, which went is in no file: must abstain "
       "on them; the relative bias, embeddings and final norm decided)", "abstain"),
    _s("h22_fsmt_lightning_cg_to_base", "Lightning-style state_dict (`model.` prefix) of "
       "FSMTForConditionalGeneration (`model.model.encoder.layers.1.fc1.weight`, `model.model.decoder."
       "output_projection.weight`, source and target vocabularies of different sizes) -> FSMTModel (truth: "
       "load_state_dict of the inner model)"),
    _s("h22_mvp_prompt_to_seqcls", "MvpModel with prompts (`encoder.self_attn_prompt.mlp.0.weight`, "
       "`decoder.cross_attn_prompt.prompt_embedding.weight`, a plain state_dict) -> MvpForSequenceClassification "
       "(`model.` prefix; the `classification_head` new; truth: load_state_dict of the base)"),
    _s("h22_altclip_dp_to_text_model", "DataParallel AltCLIPModel (`module.text_model.roberta.encoder.layer.1."
       "attention.self.query.weight`, `module.text_model.transformation.weight`, `module.vision_model...`, "
       "`module.logit_scale`) -> AltCLIPTextModel alone (the vision tower and projections unused; truth: "
       "load_state_dict of the text model)"),
    _s("h22_data2vec_audio_compiled_to_ctc", "torch.compile'd Data2VecAudioModel (`_orig_mod.feature_extractor."
       "conv_layers.0.conv.weight`, `_orig_mod.encoder.pos_conv_embed.layers.0.conv.weight` grouped, "
       "`_orig_mod.masked_spec_embed`) -> Data2VecAudioForCTC (`data2vec_audio.` prefix, `lm_head` new; truth: "
       "load_state_dict of the base)"),
    _s("h22_xlmrxl_1k_lightning_mlm_to_tokcls", "Lightning-style state_dict (`model.` prefix) of "
       "XLMRobertaXLForMaskedLM with 70 layers (`model.roberta.encoder.layer.69.attention.self_attn_layer_norm."
       "weight`; 1,000+ tensors) -> XLMRobertaXLForTokenClassification (`roberta.` prefix; `lm_head` unused, "
       "`classifier` new; truth: load_state_dict of the base)"),
    # axial-attention, bottleneck-transformer-pytorch, halonet-pytorch (run from the unpacked wheels)
    _s("h22_axial_compiled_to_reversible_segmenter", "torch.compile'd AxialImageTransformer (axial-attention, "
       "reversible=False: `_orig_mod.layers.blocks.0.1.fn.fn.to_kv.weight`, `_orig_mod.layers.blocks.1.0.0.g` "
       "ChanLayerNorm, `_orig_mod.pos_emb.param_0` [1, 16, 8, 1]) -> a segmenter with the same transformer built "
       "reversible=True as `backbone` (`backbone.layers.blocks.0.g.net.fn.fn.to_kv.weight`: function 0 is `f`, 1 is "
       "`g`) and a new 1x1 conv `head` (truth: construction, the parameters in order)"),
    _s("h22_axial_layer_removed_abstain", "AxialImageTransformer with depth 3 (`layers.blocks.0..5`, attention and "
       "conv feed-forward alternating, all layers equal) -> depth 2 (layer 1 dropped, layer 2 moved down; which "
       "went is in no file: must abstain on the layers; the positional embeddings decided)", "abstain"),
    _s("h22_botnet_relpos_to_abspos_compiled", "torch.compile'd BottleStack (bottleneck-transformer-pytorch, "
       "rel_pos_emb=True: `_orig_mod.net.0.net.3.pos_emb.rel_height` [15, 8], `_orig_mod.net.1.shortcut` absent, "
       "`_orig_mod.net.0.shortcut.0.weight`) -> a net with a new conv `stem` and the stack as `stage` built with "
       "absolute position embeddings (`stage.net.0.net.3.pos_emb.height` [8, 8] new; the rest loaded; truth: "
       "load_state_dict of what fits by name and shape)"),
    _s("h22_halonet_lightning_to_named_stages", "Lightning-style state_dict (`model.` prefix) of an nn.Sequential "
       "(conv, HaloAttention dim 16 block 4, 1x1 conv, HaloAttention dim 24 block 2; `model.1.rel_pos_emb."
       "rel_height` [11, 8], `model.3.to_kv.weight` [48, 24]) -> a module with `stem`, `attn1`, `proj`, `attn2` and "
       "a new `classifier` (truth: load_state_dict of each stage)"),
    # Keras 3
    _s("h22_k3_conv1dtranspose_groupnorm_to_torch", "Keras 3 functional net (Conv1D stride 2, "
       "GroupNormalization(4), Conv1DTranspose kernel [4, 8, 16], Dense) `.weights.h5` -> a PyTorch twin "
       "(Conv1d, GroupNorm, ConvTranspose1d weight [16, 8, 4], Linear; truth: construction)", "cross", "keras3"),
    _s("h22_k3_depthwise_bn_inserted_wh5", "Keras 3 functional conv net (Conv2D 3->8, Conv2D 8->16, Dense) "
       "`.weights.h5` -> the net rebuilt in Keras 3 with a DepthwiseConv2D and a BatchNormalization inserted "
       "between the convs (new; truth: construction, the new layers checked against Keras' own load_weights)",
       "keras3"),
    _s("h22_k3_equal_branches_to_torch_abstain", "Keras 3 functional net with a trunk Dense 12->16 and two equal "
       "auto-named Dense 16->16 branches summed (`layers/dense_1`, `layers/dense_2`), Dense 16->2 `.weights.h5` -> "
       "a PyTorch twin with the branches named `gate` and `update` (which is which no file says: must abstain on "
       "them; trunk and head decided)", "cross", "keras3", "abstain"),
    _s("h22_k3_embedding_pool_keras_to_torch_bag", "Keras 3 functional classifier (Embedding [80, 12], "
       "GlobalAveragePooling1D, LayerNormalization, Dense 12->20, Dense 20->5) `.keras` -> a PyTorch twin with "
       "nn.EmbeddingBag(mode='mean') (`bag.weight` [80, 12]), LayerNorm and Linear layers (truth: construction)",
       "cross", "keras3"),
    _s("h22_k3_equal_conv_blocks_removed_abstain", "Keras 3 functional 1-D net: stem Conv1D 4->12, three equal "
       "residual blocks (Conv1D 12->12 + LayerNormalization, auto-named), Dense head `.weights.h5` -> the net "
       "rebuilt in Keras 3 with two blocks (the middle one dropped; which went is in no file: must abstain on the "
       "blocks; stem and head decided)", "keras3", "abstain"),
    # TF1 graphs
    _s("h22_tf1_bilstm_crf_wrapped", "TF1 tagger (`embeddings` [50, 8], bidirectional_dynamic_rnn LSTMCells "
       "`bidirectional_rnn/fw/lstm_cell/kernel` [24, 64] and `bw`, `proj` dense, `crf/transitions` [5, 5]) with "
       "Adam slots -> the graph under a wrapper scope `tagger/` with the RNN scope named `bilstm` (truth: "
       "init_from_checkpoint with an assignment map)", "tf1", legacy=True),
    _s("h22_tf1_feature_tables_abstain", "TF1 ranking graph with four auto-numbered equal embedding tables "
       "(`table/weights`, `table_1/weights`, .. [100, 8]) concatenated into `dnn/hidden` and `dnn/logits`, Adagrad "
       "slots -> the graph with the tables named `features/user_id`, `item_id`, `city`, `device` (in order by "
       "construction; which is which no file says: must abstain on them)", "tf1", "abstain", legacy=True),
    _s("h22_tf1_prenorm_attention_to_torch", "TF1 hand-written pre-norm encoder (`encoder/block_0/attn/qkv/kernel` "
       "[16, 48], `attn/out`, `ln_1/gamma`, `mlp/fc_in/kernel` [16, 32], two blocks, `wte`, `wpe`) with RMSProp "
       "slots -> torch nn.TransformerEncoderLayer(norm_first) x2 (`layers.0.self_attn.in_proj_weight` [48, 16] = "
       "the kernel transposed; truth: construction)", "cross", "tf1", legacy=True),
    _s("h22_tf1_vae_heads_named_abstain", "TF1 VAE (`encoder/dense` [20, 32], auto-named equal heads "
       "`encoder/dense_1` and `encoder/dense_2` [32, 8], `decoder/dense`, `decoder/dense_1`) with Adam slots -> "
       "the VAE under `vae/` with named layers `encoder/hidden`, `encoder/mu`, `encoder/logvar`, `decoder/hidden`, "
       "`decoder/out` (mu and logvar: which is which no file says, must abstain on them)", "tf1", "abstain",
       legacy=True),
    _s("h22_tf1_ema_tower_unwrapped_new_head", "TF1 conv net under `tower/` (conv2d, batch_normalization, "
       "`logits` 10 classes) trained with Momentum and ExponentialMovingAverage shadows "
       "(`tower/conv_0/kernel/ExponentialMovingAverage`) -> the bare net with a 7-class `logits` (new; truth: "
       "init_from_checkpoint of the raw variables, the shadows unused)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h22_tf2_k3_sequential_deconv_to_torch", "tf.train.Checkpoint of a Keras 3 Sequential (Conv2D stride 2, "
       "BatchNormalization, Conv2DTranspose kernel [3, 3, 6, 12], 1x1 Conv2D) with a step -> a PyTorch twin "
       "(ConvTranspose2d weight [12, 6, 3, 3]; truth: construction)", "cross", "tf2"),
    _s("h22_tf2_module_tied_lm_to_torch", "tf.train.Checkpoint of a tf.Module LM whose output reuses its "
       "`embedding` [61, 16] (tied; `blocks/0/w` [16, 16], `final_norm/scale`, `out_bias`) -> a PyTorch LM with "
       "nn.RMSNorm and `lm_head.weight` tied to `embed.weight` (the second name not scored; truth: construction)",
       "cross", "tf2"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


def _save_pt(d, sd, name):
    import torch

    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    torch.save(sd, ck)
    return ck


def _compiled_sd(m):
    import torch

    sd = torch.compile(m).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    return sd


def _np(w):
    import numpy as np

    return np.asarray(w.numpy() if hasattr(w, "numpy") else w)


def _lin(t, kernel, bias=None):  # Dense [in, out] -> Linear [out, in]
    _put_t(t.weight, _np(kernel).T)
    if bias is not None:
        _put_t(t.bias, _np(bias))


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_prophetnet_dp_to_cg(d):
    import torch.nn as nn
    from transformers import ProphetNetConfig, ProphetNetForConditionalGeneration, ProphetNetModel

    cfg = ProphetNetConfig(vocab_size=61, hidden_size=24, encoder_ffn_dim=40, decoder_ffn_dim=40,
                           num_encoder_layers=2, num_decoder_layers=2, num_encoder_attention_heads=2,
                           num_decoder_attention_heads=2, max_position_embeddings=32, ngram=2, num_buckets=8,
                           relative_max_distance=16)
    src = ProphetNetModel(cfg)
    fill_random_torch(src, "prophetnet")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "prophetnet_dp.pt")
    tgt = ProphetNetForConditionalGeneration(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.prophetnet.load_state_dict(src.state_dict())  # construction: the base
    tgt.tie_weights()
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_reformer_compiled_to_lm(d):
    from transformers import ReformerConfig, ReformerModel, ReformerModelWithLMHead

    cfg = ReformerConfig(vocab_size=61, hidden_size=16, num_attention_heads=2, attention_head_size=8,
                         attn_layers=["local", "lsh", "local", "lsh"], axial_pos_shape=[4, 8],
                         axial_pos_embds_dim=[8, 8], max_position_embeddings=32, feed_forward_size=32,
                         local_attn_chunk_length=8, lsh_attn_chunk_length=8, num_buckets=4, is_decoder=True,
                         tie_word_embeddings=False)
    src = ReformerModel(cfg)
    fill_random_torch(src, "reformer")
    ck = _save_pt(d, _compiled_sd(src), "reformer.pt")
    tgt = ReformerModelWithLMHead(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.reformer.load_state_dict(src.state_dict())  # construction: the base; the LM head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_longt5_block_removed_abstain(d):
    from transformers import LongT5Config, LongT5EncoderModel

    def cfg(n):
        return LongT5Config(vocab_size=61, d_model=16, d_kv=8, d_ff=32, num_layers=n, num_heads=2,
                            encoder_attention_type="local", local_radius=4, relative_attention_num_buckets=8)

    src = LongT5EncoderModel(cfg(3))
    fill_random_torch(src, "longt5")
    ck = _save_pt(d, src.state_dict(), "longt5_encoder.pt")
    tgt = LongT5EncoderModel(cfg(2))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "encoder.block.", {0: 0, 1: 2})
    values = _pt_values(tgt, d)
    rel = "relative_attention_bias"
    amb = sorted(n for n in values if n.startswith("encoder.block.") and rel not in n)
    assert any(rel in n for n in values), sorted(values)[:8]
    return [ck], read_torch(ck), values, amb


def b_fsmt_lightning_cg_to_base(d):
    import torch.nn as nn
    from transformers import FSMTConfig, FSMTForConditionalGeneration, FSMTModel

    cfg = FSMTConfig(langs=["en", "de"], src_vocab_size=61, tgt_vocab_size=53, d_model=24, encoder_layers=2,
                     decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=40,
                     decoder_ffn_dim=40, max_position_embeddings=32, tie_word_embeddings=False)
    module = nn.Module()
    module.model = FSMTForConditionalGeneration(cfg)
    fill_random_torch(module, "fsmt")
    ck = _save_pt(d, module.state_dict(), "epoch=9-step=1200.pt")
    tgt = FSMTModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(module.model.model.state_dict())  # construction: the inner model
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_mvp_prompt_to_seqcls(d):
    from transformers import MvpConfig, MvpForSequenceClassification, MvpModel

    cfg = MvpConfig(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                    decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32,
                    use_prompt=True, prompt_length=5, prompt_mid_dim=16, num_labels=3)
    src = MvpModel(cfg)
    fill_random_torch(src, "mvp")
    ck = _save_pt(d, src.state_dict(), "mvp.pt")
    tgt = MvpForSequenceClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the base; the classification head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_altclip_dp_to_text_model(d):
    import torch.nn as nn
    from transformers import AltCLIPConfig, AltCLIPModel, AltCLIPTextModel

    cfg = AltCLIPConfig(
        text_config=dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=40, project_dim=12),
        vision_config=dict(hidden_size=20, intermediate_size=36, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=12)
    src = AltCLIPModel(cfg)
    fill_random_torch(src, "altclip")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "altclip_dp.pt")
    tgt = AltCLIPTextModel(cfg.text_config)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.text_model.state_dict())  # construction: the text model
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_data2vec_audio_compiled_to_ctc(d):
    from transformers import Data2VecAudioConfig, Data2VecAudioForCTC, Data2VecAudioModel

    cfg = Data2VecAudioConfig(vocab_size=30, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=40, conv_dim=(16, 16), conv_stride=(5, 2), conv_kernel=(10, 3),
                              num_conv_pos_embeddings=5, num_conv_pos_embedding_groups=4,
                              conv_pos_kernel_size=5, num_conv_pos_embedding_layers=2)
    src = Data2VecAudioModel(cfg)
    fill_random_torch(src, "d2va")
    ck = _save_pt(d, _compiled_sd(src), "data2vec_audio.pt")
    tgt = Data2VecAudioForCTC(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.data2vec_audio.load_state_dict(src.state_dict())  # construction: the base; the CTC head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_xlmrxl_1k_lightning_mlm_to_tokcls(d):
    import torch.nn as nn
    from transformers import XLMRobertaXLConfig, XLMRobertaXLForMaskedLM, XLMRobertaXLForTokenClassification

    cfg = XLMRobertaXLConfig(vocab_size=61, hidden_size=8, num_hidden_layers=70, num_attention_heads=2,
                             intermediate_size=12, max_position_embeddings=40, num_labels=5,
                             tie_word_embeddings=False)
    module = nn.Module()
    module.model = XLMRobertaXLForMaskedLM(cfg)
    fill_random_torch(module, "xlmrxl")
    ck = _save_pt(d, module.state_dict(), "last.pt")
    tgt = XLMRobertaXLForTokenClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.roberta.load_state_dict(module.model.roberta.state_dict())  # construction: the base; classifier new
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


# ---------------------------------------------------------------------------------------------------------
# axial-attention, bottleneck-transformer-pytorch, halonet-pytorch (run from the unpacked wheels, never copied)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL22", "/work/coord/material-heldout22")
PACKAGES = ["axial-attention==0.6.1", "bottleneck-transformer-pytorch==0.1.4", "halonet-pytorch==0.0.5"]


def _pkg(name):
    path = os.path.join(MATERIAL, name)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _axial(depth, reversible):
    return _pkg("axial_attention").AxialImageTransformer(16, depth, heads=2, reversible=reversible,
                                                          axial_pos_emb_shape=(8, 8))


def b_axial_compiled_to_reversible_segmenter(d):
    import torch.nn as nn

    src = _axial(2, False)
    fill_random_torch(src, "axial")
    ck = _save_pt(d, _compiled_sd(src), "axial.pt")
    tgt = nn.Module()
    tgt.backbone = _axial(2, True)
    tgt.head = nn.Conv2d(16, 3, 1)
    fill_random_torch(tgt, "tgt")
    ssd, tnames = src.state_dict(), list(tgt.backbone.state_dict())
    assert len(ssd) == len(tnames)
    for t, n in zip(tnames, ssd, strict=True):  # the names agree up to the block layout
        assert t.split(".")[-2:] == n.split(".")[-2:] or t.endswith(n.split(".")[-1]), (t, n)
    assert "layers.blocks.0.g.net.fn.fn.to_kv.weight" in tnames
    # construction: the same parameters, registered in the same order (function 0 is f, 1 is g)
    tgt.backbone.load_state_dict(dict(zip(tnames, ssd.values(), strict=True)))
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_axial_layer_removed_abstain(d):
    src = _axial(3, False)
    fill_random_torch(src, "axial3")
    ck = _save_pt(d, src.state_dict(), "axial_depth3.pt")
    tgt = _axial(2, False)
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "layers.blocks.", {0: 0, 1: 1, 2: 4, 3: 5})  # layer 1 dropped
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("layers.blocks."))
    assert len(amb) == 48, len(amb)
    return [ck], read_torch(ck), values, amb


def _botnet(rel):
    return _pkg("bottleneck_transformer_pytorch").BottleStack(
        dim=8, fmap_size=8, dim_out=16, proj_factor=2, num_layers=2, heads=2, dim_head=8, downsample=True,
        rel_pos_emb=rel)


def b_botnet_relpos_to_abspos_compiled(d):
    import torch.nn as nn

    src = _botnet(True)
    fill_random_torch(src, "botnet")
    ck = _save_pt(d, _compiled_sd(src), "botnet.pt")
    tgt = nn.Module()
    tgt.stem = nn.Conv2d(3, 8, 3, padding=1)
    tgt.stage = _botnet(False)
    fill_random_torch(tgt, "tgt")
    ssd, tsd = src.state_dict(), tgt.stage.state_dict()
    fits = {k: v for k, v in ssd.items() if k in tsd and tsd[k].shape == v.shape}
    missing, unexpected = tgt.stage.load_state_dict(fits, strict=False)  # what fits by name and shape
    assert sorted(missing) == sorted(k for k in tsd if ".pos_emb." in k), missing
    assert not unexpected
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_halonet_lightning_to_named_stages(d):
    import torch.nn as nn

    Halo = _pkg("halonet_pytorch").HaloAttention
    module = nn.Module()
    module.model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1),
                                 Halo(dim=16, block_size=4, halo_size=1, dim_head=8, heads=2),
                                 nn.Conv2d(16, 24, 1),
                                 Halo(dim=24, block_size=2, halo_size=1, dim_head=8, heads=3))
    fill_random_torch(module, "halonet")
    ck = _save_pt(d, module.state_dict(), "epoch=5-step=600.pt")
    tgt = nn.Module()
    tgt.stem = nn.Conv2d(3, 16, 3, padding=1)
    tgt.attn1 = Halo(dim=16, block_size=4, halo_size=1, dim_head=8, heads=2)
    tgt.proj = nn.Conv2d(16, 24, 1)
    tgt.attn2 = Halo(dim=24, block_size=2, halo_size=1, dim_head=8, heads=3)
    tgt.classifier = nn.Linear(24, 10)
    fill_random_torch(tgt, "tgt")
    for t, s_ in zip((tgt.stem, tgt.attn1, tgt.proj, tgt.attn2), module.model, strict=True):  # construction
        t.load_state_dict(s_.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3

def b_k3_conv1dtranspose_groupnorm_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((24, 6))
    conv, gn = L.Conv1D(16, 3, strides=2, padding="same"), L.GroupNormalization(groups=4)
    up, fc = L.Conv1DTranspose(8, 4, strides=2, padding="same"), L.Dense(3)
    src = keras.Model(inp, fc(L.GlobalAveragePooling1D()(up(L.ReLU()(gn(conv(inp)))))))
    fill_random(src.weights, "c1dt")
    ck = os.path.join(d, "ckpt", "net.weights.h5")
    src.save_weights(ck)
    assert tuple(up.kernel.shape) == (4, 8, 16), up.kernel.shape
    twin = nn.Module()
    twin.conv = nn.Conv1d(6, 16, 3, stride=2, padding=1)
    twin.norm = nn.GroupNorm(4, 16)
    twin.up = nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1)
    twin.fc = nn.Linear(8, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.conv.weight, _np(conv.kernel).transpose(2, 1, 0))  # construction: [k, in, out] -> [out, in, k]
    _put_t(twin.conv.bias, _np(conv.bias))
    _put_t(twin.norm.weight, _np(gn.gamma))
    _put_t(twin.norm.bias, _np(gn.beta))
    _put_t(twin.up.weight, _np(up.kernel).transpose(2, 1, 0))  # [k, out, in] -> [in, out, k]
    _put_t(twin.up.bias, _np(up.bias))
    _lin(twin.fc, fc.kernel, fc.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _inserted_net(insert):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    c1, c2, fc = L.Conv2D(8, 3, padding="same", activation="relu"), L.Conv2D(16, 3, padding="same"), L.Dense(4)
    h = c1(inp)
    new = []
    if insert:
        new = [L.DepthwiseConv2D(3, padding="same"), L.BatchNormalization()]
        for lay in new:
            h = lay(h)
    m = keras.Model(inp, fc(L.GlobalAveragePooling2D()(c2(h))))
    return m, [c1, c2, fc], new


def b_k3_depthwise_bn_inserted_wh5(d):
    import numpy as np

    src, slay, _ = _inserted_net(False)
    fill_random(src.weights, "inserted")
    sw = [lay.get_weights() for lay in slay]
    ck = os.path.join(d, "ckpt", "cnn.weights.h5")
    src.save_weights(ck)
    tgt, tlay, new = _inserted_net(True)
    fill_random(h4._float(tgt.weights), "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the inserted layers new
        lay.set_weights(w)
    values = _all(spec_and_values(tgt, d), d)
    t2, _, n2 = _inserted_net(True)
    fill_random(h4._float(t2.weights), "tgt")
    fresh = [lay.get_weights() for lay in n2]
    try:  # the oracle for the new layers: Keras' own load_weights puts nothing into them
        t2.load_weights(ck, skip_mismatch=True)
    except Exception as e:  # noqa: BLE001 - a refusal loads nothing into them either
        print("load_weights:", type(e).__name__, str(e)[:200])
    for lay, w in zip(n2, fresh, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(lay.get_weights(), w, strict=True)), lay.name
    return [ck], read_h5(ck), values, []


def b_k3_equal_branches_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12,))
    trunk, a, b, out = L.Dense(16, activation="relu"), L.Dense(16), L.Dense(16), L.Dense(2)
    h = trunk(inp)
    src = keras.Model(inp, out(L.Add()([a(h), b(h)])))
    fill_random(src.weights, "branches")
    ck = os.path.join(d, "ckpt", "gated.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.trunk = nn.Linear(12, 16)
    twin.gate = nn.Linear(16, 16)
    twin.update = nn.Linear(16, 16)
    twin.head = nn.Linear(16, 2)
    fill_random_torch(twin, "twin")
    for t, lay in ((twin.trunk, trunk), (twin.gate, a), (twin.update, b), (twin.head, out)):  # construction
        _lin(t, lay.kernel, lay.bias)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("gate.", "update.")))
    assert len(amb) == 4, amb
    return [ck], read_h5(ck), values, amb


def b_k3_embedding_pool_keras_to_torch_bag(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((10,), dtype="int32")
    emb, ln = L.Embedding(80, 12), L.LayerNormalization()
    d1, d2 = L.Dense(20, activation="relu"), L.Dense(5)
    src = keras.Model(inp, d2(d1(ln(L.GlobalAveragePooling1D()(emb(inp))))))
    fill_random(src.weights, "embpool")
    ck = os.path.join(d, "ckpt", "bag.keras")
    src.save(ck)
    twin = nn.Module()
    twin.bag = nn.EmbeddingBag(80, 12, mode="mean")
    twin.norm = nn.LayerNorm(12)
    twin.hidden = nn.Linear(12, 20)
    twin.out = nn.Linear(20, 5)
    fill_random_torch(twin, "twin")
    _put_t(twin.bag.weight, _np(emb.embeddings))  # construction
    _put_t(twin.norm.weight, _np(ln.gamma))
    _put_t(twin.norm.bias, _np(ln.beta))
    _lin(twin.hidden, d1.kernel, d1.bias)
    _lin(twin.out, d2.kernel, d2.bias)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def _blocks_net(n):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((32, 4))
    stem, head = L.Conv1D(12, 5, padding="same"), L.Dense(3)
    blocks = [(L.Conv1D(12, 3, padding="same", activation="relu"), L.LayerNormalization()) for _ in range(n)]
    h = stem(inp)
    for conv, ln in blocks:
        h = L.Add()([h, ln(conv(h))])
    return keras.Model(inp, head(L.GlobalAveragePooling1D()(h))), stem, blocks, head


def b_k3_equal_conv_blocks_removed_abstain(d):
    src, sstem, sblocks, shead = _blocks_net(3)
    fill_random(src.weights, "blocks")
    ck = os.path.join(d, "ckpt", "resnet1d.weights.h5")
    src.save_weights(ck)
    sw = {"stem": sstem.get_weights(), "head": shead.get_weights(),
          "blocks": [(c.get_weights(), n.get_weights()) for c, n in sblocks]}
    tgt, tstem, tblocks, thead = _blocks_net(2)
    fill_random(tgt.weights, "tgt")
    tstem.set_weights(sw["stem"])
    thead.set_weights(sw["head"])
    for (c, n), i in zip(tblocks, (0, 2), strict=True):  # construction: the middle block dropped
        c.set_weights(sw["blocks"][i][0])
        n.set_weights(sw["blocks"][i][1])
    block_vars = {v.path for c, n in tblocks for v in c.weights + n.weights}
    values = _all(spec_and_values(tgt, d), d)
    amb = sorted(n for n in values if n in block_vars)
    assert len(amb) == 8, (amb, sorted(values))
    return [ck], read_h5(ck), values, amb


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


def _bilstm(rnn_scope):
    import tensorflow as tf

    ids = tf.compat.v1.placeholder(tf.int32, (None, 7))
    emb = tf.compat.v1.get_variable("embeddings", (50, 8))
    x = tf.nn.embedding_lookup(emb, ids)
    cell = tf.compat.v1.nn.rnn_cell.LSTMCell
    (fw, bw), _ = tf.compat.v1.nn.bidirectional_dynamic_rnn(cell(16), cell(16), x, dtype=tf.float32,
                                                            scope=rnn_scope)
    scores = tf.compat.v1.layers.dense(tf.concat([fw, bw], -1), 5, name="proj")
    with tf.compat.v1.variable_scope("crf"):
        trans = tf.compat.v1.get_variable("transitions", (5, 5))
    return scores[:, 1:] + tf.matmul(tf.nn.softmax(scores[:, :-1]), trans)


def b_tf1_bilstm_crf_wrapped(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _bilstm(None))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert stored["bidirectional_rnn/bw/lstm_cell/kernel"].shape == (24, 64), sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("tagger"):
            _bilstm("bilstm")
    amap = {n: "tagger/" + n.replace("bidirectional_rnn/", "bilstm/") for n in names}
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    assert "tagger/bilstm/fw/lstm_cell/kernel" in values, sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


FEATURES = ("user_id", "item_id", "city", "device")


def _tables(named):
    import tensorflow as tf

    ids = tf.compat.v1.placeholder(tf.int32, (None, 4))
    cols = []
    for i, f in enumerate(FEATURES):
        if named:
            with tf.compat.v1.variable_scope("features/" + f):
                t = tf.compat.v1.get_variable("embedding_weights", (100, 8))
        else:
            with tf.compat.v1.variable_scope(None, default_name="table"):
                t = tf.compat.v1.get_variable("weights", (100, 8))
        cols.append(tf.nn.embedding_lookup(t, ids[:, i]))
    L = tf.compat.v1.layers
    with tf.compat.v1.variable_scope("dnn"):
        h = L.dense(tf.concat(cols, -1), 16, activation=tf.nn.relu, name="hidden")
        return L.dense(h, 1, name="logits")


def b_tf1_feature_tables_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _tables(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdagradOptimizer(0.1))
    stored = read_tf(prefix)
    assert "table_3/weights" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _tables(True)
    ren = {"table" if i == 0 else f"table_{i}": f"features/{f}" for i, f in enumerate(FEATURES)}
    amap = {}
    for n in names:
        head, _, tail = n.partition("/")
        amap[n] = ren[head] + "/embedding_weights" if head in ren else n  # construction: in order
    values = tp._tf1_target(g, d, amap, prefix)
    amb = sorted(n for n in values if n.startswith("features/"))
    assert len(amb) == 4, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


def _prenorm_encoder():
    import tensorflow as tf

    def var(name, shape):
        return tf.compat.v1.get_variable(name, shape)

    def ln(x, scope):
        with tf.compat.v1.variable_scope(scope):
            g, b = var("gamma", (16,)), var("beta", (16,))
            m, v = tf.nn.moments(x, [-1], keepdims=True)
            return (x - m) * tf.math.rsqrt(v + 1e-5) * g + b

    def dense(x, scope, n_in, n_out):
        with tf.compat.v1.variable_scope(scope):
            return tf.einsum("bti,io->bto", x, var("kernel", (n_in, n_out))) + var("bias", (n_out,))

    ids = tf.compat.v1.placeholder(tf.int32, (None, 20))
    with tf.compat.v1.variable_scope("encoder"):
        h = tf.nn.embedding_lookup(var("wte", (61, 16)), ids) + var("wpe", (20, 16))
        for i in range(2):
            with tf.compat.v1.variable_scope(f"block_{i}"):
                x = ln(h, "ln_1")
                with tf.compat.v1.variable_scope("attn"):
                    q, k, v = tf.split(dense(x, "qkv", 16, 48), 3, -1)
                    a = tf.nn.softmax(tf.einsum("bqd,bkd->bqk", q, k)) @ v
                    h = h + dense(a, "out", 16, 16)
                x = ln(h, "ln_2")
                with tf.compat.v1.variable_scope("mlp"):
                    h = h + dense(tf.nn.relu(dense(x, "fc_in", 16, 32)), "fc_out", 32, 16)
        return tf.reduce_mean(h, axis=1)


def b_tf1_prenorm_attention_to_torch(d):
    import tensorflow as tf
    import torch
    import torch.nn as nn

    prefix = _tf1_trained(d, _prenorm_encoder, lambda: tf.compat.v1.train.RMSPropOptimizer(0.01))
    a = read_tf(prefix)
    assert a["encoder/block_1/attn/qkv/kernel"].shape == (16, 48), sorted(a)[:10]
    twin = nn.Module()
    twin.tok = nn.Embedding(61, 16)
    twin.pos = nn.Parameter(torch.zeros(20, 16))
    twin.layers = nn.ModuleList(nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, norm_first=True,
                                                           batch_first=True) for _ in range(2))
    fill_random_torch(twin, "twin")
    _put_t(twin.tok.weight, a["encoder/wte"])  # construction
    _put_t(twin.pos, a["encoder/wpe"])
    for i, lay in enumerate(twin.layers):
        p = f"encoder/block_{i}/"
        _put_t(lay.norm1.weight, a[p + "ln_1/gamma"])
        _put_t(lay.norm1.bias, a[p + "ln_1/beta"])
        _put_t(lay.self_attn.in_proj_weight, a[p + "attn/qkv/kernel"].T)
        _put_t(lay.self_attn.in_proj_bias, a[p + "attn/qkv/bias"])
        _put_t(lay.self_attn.out_proj.weight, a[p + "attn/out/kernel"].T)
        _put_t(lay.self_attn.out_proj.bias, a[p + "attn/out/bias"])
        _put_t(lay.norm2.weight, a[p + "ln_2/gamma"])
        _put_t(lay.norm2.bias, a[p + "ln_2/beta"])
        _put_t(lay.linear1.weight, a[p + "mlp/fc_in/kernel"].T)
        _put_t(lay.linear1.bias, a[p + "mlp/fc_in/bias"])
        _put_t(lay.linear2.weight, a[p + "mlp/fc_out/kernel"].T)
        _put_t(lay.linear2.bias, a[p + "mlp/fc_out/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


def _vae(named):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 20))
    n = (lambda s: s) if named else (lambda s: None)
    with tf.compat.v1.variable_scope("encoder"):
        h = L.dense(x, 32, activation=tf.nn.relu, name=n("hidden"))
        mu, logvar = L.dense(h, 8, name=n("mu")), L.dense(h, 8, name=n("logvar"))
    z = mu + tf.exp(0.5 * logvar)
    with tf.compat.v1.variable_scope("decoder"):
        h = L.dense(z, 32, activation=tf.nn.relu, name=n("hidden"))
        return L.dense(h, 20, name=n("out"))


def b_tf1_vae_heads_named_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _vae(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.001))
    stored = read_tf(prefix)
    assert stored["encoder/dense_2/kernel"].shape == (32, 8), sorted(stored)
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("vae"):
            _vae(True)
    ren = {"encoder/dense": "encoder/hidden", "encoder/dense_1": "encoder/mu", "encoder/dense_2": "encoder/logvar",
           "decoder/dense": "decoder/hidden", "decoder/dense_1": "decoder/out"}  # construction: in order
    amap = {}
    for n in names:
        scope, _, leaf = n.rpartition("/")
        if scope in ren:
            amap[n] = "vae/" + ren[scope] + "/" + leaf
    values = tp._tf1_target(g, d, amap, prefix)
    amb = sorted(n for n in values if n.startswith(("vae/encoder/mu/", "vae/encoder/logvar/")))
    assert len(amb) == 4, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


def _ema_net(classes):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 12, 12, 3))
    h = L.conv2d(x, 8, 3, padding="same", use_bias=False, name="conv_0")
    h = tf.nn.relu(L.batch_normalization(h, training=True, name="bn_0"))
    h = L.conv2d(h, 16, 3, strides=2, padding="same", activation=tf.nn.relu, name="conv_1")
    return L.dense(tf.reduce_mean(h, axis=[1, 2]), classes, name="logits")


def b_tf1_ema_tower_unwrapped_new_head(d):
    import tensorflow as tf

    def src():
        with tf.compat.v1.variable_scope("tower"):
            out = _ema_net(10)
        tf.compat.v1.train.ExponentialMovingAverage(0.999).apply(tf.compat.v1.trainable_variables())
        return out

    src, names = _tf1_names(src)
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    assert "tower/conv_0/kernel/ExponentialMovingAverage" in stored, sorted(stored)[:12]
    g = tf.Graph()
    with g.as_default():
        _ema_net(7)
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {n: n[len("tower/"):] for n in names if n.startswith("tower/") and n[len("tower/"):] in tnames
            and not n.startswith("tower/logits/")}  # the raw variables; the 7-class head new
    values = tp._tf1_target(g, d, amap, prefix)
    assert values["logits/kernel"].shape == (16, 7), values["logits/kernel"].shape
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_k3_sequential_deconv_to_torch(d):
    import keras
    import tensorflow as tf
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    conv, bn = L.Conv2D(12, 3, strides=2, padding="same"), L.BatchNormalization()
    up, proj = L.Conv2DTranspose(6, 3, strides=2, padding="same"), L.Conv2D(3, 1)
    m = keras.Sequential([keras.Input((8, 8, 4)), conv, bn, L.ReLU(), up, proj])
    fill_random(h4._float(m.weights), "seqdeconv")
    prefix = tf.train.Checkpoint(net=m, step=tf.Variable(42, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-42"))
    assert tuple(up.kernel.shape) == (3, 3, 6, 12), up.kernel.shape
    twin = nn.Module()
    twin.conv = nn.Conv2d(4, 12, 3, stride=2, padding=1)
    twin.bn = nn.BatchNorm2d(12)
    twin.up = nn.ConvTranspose2d(12, 6, 3, stride=2, padding=1, output_padding=1)
    twin.proj = nn.Conv2d(6, 3, 1)
    fill_random_torch(twin, "twin")
    # construction: Conv2D [h, w, in, out] -> [out, in, h, w]; Conv2DTranspose [h, w, out, in] -> [in, out, h, w]
    _put_t(twin.conv.weight, _np(conv.kernel).transpose(3, 2, 0, 1))
    _put_t(twin.conv.bias, _np(conv.bias))
    for t, w in zip((twin.bn.weight, twin.bn.bias, twin.bn.running_mean, twin.bn.running_var), bn.get_weights(),
                    strict=True):
        _put_t(t, _np(w))
    _put_t(twin.up.weight, _np(up.kernel).transpose(3, 2, 0, 1))
    _put_t(twin.up.bias, _np(up.bias))
    _put_t(twin.proj.weight, _np(proj.kernel).transpose(3, 2, 0, 1))
    _put_t(twin.proj.bias, _np(proj.bias))
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_tied_lm_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    class LM(tf.Module):
        def __init__(self):
            super().__init__()
            self.embedding = _tf_var("emb", (61, 16))
            self.blocks = [{"w": _tf_var(f"w{i}", (16, 16)), "b": _tf_var(f"b{i}", (16,))} for i in range(2)]
            self.final_norm = {"scale": _tf_var("ns", (16,))}
            self.out_bias = _tf_var("ob", (61,))

    m = LM()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "lm-3"))
    twin = nn.Module()
    twin.embed = nn.Embedding(61, 16)
    twin.layers = nn.ModuleList(nn.Linear(16, 16) for _ in range(2))
    twin.norm = nn.RMSNorm(16)
    twin.lm_head = nn.Linear(16, 61)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(m.embedding))  # construction: the tied embedding, copied into both
    for t, blk in zip(twin.layers, m.blocks, strict=True):
        _lin(t, blk["w"], blk["b"])
    _put_t(twin.norm.weight, _np(m.final_norm["scale"]))
    twin.lm_head.weight = twin.embed.weight  # tied, as in the source
    _put_t(twin.lm_head.bias, _np(m.out_bias))
    return [_rel(prefix, d)], read_tf(prefix), _pt_values(twin, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout21's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The axial-attention, bottleneck-transformer-pytorch and halonet-pytorch wheels unpacked by thirdparty's
    fetch_wheels; the rest is the venv's."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
