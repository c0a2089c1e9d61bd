"""An eighteenth held-out part of alignment scenarios (``--part heldout18``): third-party material none of the other
parts uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of conformer (a wheel) into $CKPT_DOCTOR_MATERIAL18, default
/work/coord/material-heldout18, unpacked there; nothing installed; the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): ``conformer`` 0.3.2 (Phil Wang's Conformer blocks: relative-position attention,
depthwise Conv1d, GLU, a scaled half-step feed-forward pair); transformers 4.46 definitions of LayoutLM (v1; TF ->
PyTorch by from_tf) and RegNet (models/regnet; PyTorch -> TF by from_pt), UMT5, Hiera, Mamba2, Wav2Vec2-Conformer,
BertGeneration, DAC and VisualBERT (none of them in an earlier part); TF's
``tf.compat.v1.train.init_from_checkpoint`` with an assignment map; and models written for this part: TF1 graphs (a
depthwise/transposed-conv autoencoder with Adam slots, a residual conv net of equal blocks, a multi-GPU tower whose
wrapper scope goes away), TF2 checkpoints (a tf_keras subclassed model with its optimizer, tf.Module trees of
dicts and lists), Keras 3 functional models as `.weights.h5` and `.keras` (a small U-Net with a grouped conv and a
transposed conv, a text CNN, an MLP with a layer removed in the middle, a new head of the old head's shape, a
Sequential nested behind a new Normalization layer, a custom layer of square weights) and PyTorch wrappers
(torch.compile's `_orig_mod.`, DataParallel's `module.`, a Lightning-style `model.`, an EMA copy's `ema_model.`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained`` with
``from_pt``/``from_tf``, ``init_from_checkpoint``, ``load_state_dict`` of a sub-module) or by the scenario's
construction (weights in order into the same architecture, a removed or inserted layer or block, a twin in another
framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout18.py fetch               # pip download + unpack the package above
    python bench/scenarios/heldout18.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout18.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout18        # score (once)
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
PART = "heldout18"
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL18", "/work/coord/material-heldout18")
PACKAGES = ["conformer==0.3.2"]
_all, _rel, _tf1_write, _put_t = h9._all, h9._rel, h9._tf1_write, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers: PyTorch <-> TF (published converters)
    _s("h18_layoutlm_tf_h5_to_pt_token_cls", "TFLayoutLMForMaskedLM `tf_model.h5` (2-D position embeddings "
       "`layoutlm/embeddings/x_position_embeddings/embeddings`, `h_position_embeddings`, the MLM head) -> "
       "LayoutLMForTokenClassification (truth: from_pretrained(from_tf=True); `classifier` new, the MLM head unused)",
       "cross", legacy=True),
    _s("h18_hf_regnet_pt_to_tf_classifier", "transformers RegNetModel safetensors (grouped 3x3 convs "
       "`encoder.stages.1.layers.0.layer.1.convolution.weight` [16, 8, 3, 3], squeeze-and-excitation "
       "`attention.1`, batch norms) -> TFRegNetForImageClassification (truth: from_pretrained(from_pt=True); the "
       "classifier new)", "cross", legacy=True),
    # PyTorch: transformers families with drift
    _s("h18_umt5_compiled_to_generation", "torch.compile'd UMT5Model (`_orig_mod.encoder.block.1.layer.0."
       "SelfAttention.relative_attention_bias.weight`: a relative bias in every layer, gated-GELU `wi_0`/`wi_1`) -> "
       "UMT5ForConditionalGeneration (the tied embedding saved once as `_orig_mod.shared.weight`; the untied "
       "`lm_head` new; truth: load_state_dict, strict=False)"),
    _s("h18_hiera_dp_to_classifier", "DataParallel HieraModel (`module.encoder.stages.1.0.attn.qkv.weight`, "
       "`module.embeddings.position_embeddings`, a pooler) -> HieraForImageClassification (`hiera.` prefix, the "
       "`classifier` new; truth: construction)"),
    _s("h18_mamba2_layer_removed_abstain", "Mamba2ForCausalLM with 4 layers, safetensors -> 3 layers (layer 2 "
       "dropped, layer 3 moved down; which of the equal layers went is in no file: must abstain on them)",
       "abstain"),
    _s("h18_w2v2conformer_40l_lightning_to_ctc", "Lightning-style state_dict of Wav2Vec2ConformerModel with 40 "
       "layers (`model.encoder.layers.39.conv_module.depthwise_conv.weight`, relative `pos_bias_u`, `linear_pos`, "
       "a weight-normed positional conv; 1,000+ tensors) -> Wav2Vec2ConformerForCTC (`wav2vec2_conformer.` prefix, "
       "`lm_head` new; truth: construction)"),
    _s("h18_bertgen_encoder_to_decoder_lm", "BertGenerationEncoder safetensors (no pooler, no token types) -> "
       "BertGenerationDecoder (`bert.` prefix; `lm_head.decoder` tied to the word embeddings, `lm_head.bias` new; "
       "truth: construction)"),
    _s("h18_dac_ema_to_fewer_codebooks", "an EMA wrapper's averaged DacModel (`ema_model.encoder.block.1.res_unit1."
       "conv1.parametrizations.weight.original1`, weight-normed convs, Snake `alpha`, 4 residual-VQ codebooks "
       "`quantizer.quantizers.3.codebook.weight`) -> DacModel with 3 codebooks (quantizer 3 unused; truth: "
       "construction)"),
    _s("h18_visualbert_compiled_heads_dict_renamed", "torch.compile'd multi-task module: a VisualBertModel "
       "backbone (`_orig_mod.backbone.embeddings.visual_projection.weight`, `token_type_embeddings_visual`) and an "
       "nn.ModuleDict of heads {`vqa`: Linear(24, 10), `nlvr`: Linear(24, 2)} -> the backbone under `encoder.` and "
       "the heads renamed {`answer`, `entail`} (shapes decide; truth: construction)"),
    # conformer (lucidrains; run from the unpacked wheel)
    _s("h18_conformer_compiled_to_ctc_model", "torch.compile'd conformer.Conformer of 2 blocks "
       "(`_orig_mod.layers.1.conv.net.2.weight` pointwise Conv1d, `attn.fn.rel_pos_emb.weight`, "
       "`ff1.fn.fn.net.0.weight`, `conv.net.4.conv.weight` depthwise) -> a speech model (`frontend` new, "
       "`encoder.` = the Conformer, `ctc_head` new; truth: load_state_dict of the encoder)"),
    _s("h18_conformer_block_removed_dp_abstain", "DataParallel speech model (an input projection, a conformer."
       "Conformer of 4 equal blocks, an output projection) -> 3 blocks (block 1 dropped; which of the equal blocks "
       "went is in no file: must abstain on them; the projections decided)", "abstain"),
    # PyTorch <-> Keras 3
    _s("h18_torch_lstm_tagger_dp_to_k3", "DataParallel PyTorch tagger (Embedding, 2-layer nn.LSTM without biases "
       "`module.lstm.weight_ih_l1` [96, 24], `weight_hh_l0` [96, 24], a Linear) -> a Keras 3 functional twin (two "
       "LSTM layers, kernel [in, 4u] and recurrent_kernel [u, 4u], the same gate order; truth: construction)",
       "cross"),
    _s("h18_k3_unet_wh5_to_torch", "Keras 3 functional small U-Net (Conv2D + BatchNormalization, a grouped "
       "Conv2D [3, 3, 4, 16] with 4 groups, Conv2DTranspose [2, 2, 8, 16], a skip Concatenate, a 1x1 output conv) "
       "`.weights.h5` -> a PyTorch twin (Conv2d groups=4 [16, 4, 3, 3], ConvTranspose2d [16, 8, 2, 2]; truth: "
       "construction)", "cross", "keras3"),
    _s("h18_k3_text_cnn_keras_to_torch", "Keras 3 functional text CNN (Embedding, Conv1D [3, 12, 16], dilated "
       "Conv1D [5, 16, 16], Dense 16 -> 8 -> 3) `.keras` -> a PyTorch twin (`convs.1.weight` [16, 16, 5], "
       "`mlp.2.weight`; truth: construction)", "cross", "keras3"),
    _s("h18_k3_mlp_layer_removed_mid_keras", "Keras 3 functional MLP (Dense 48 -> LayerNormalization -> Dense 40 "
       "-> Dense 40 (the only square layer) -> Dense 16 -> Dense 3) `.keras` -> the MLP without the square Dense "
       "(later auto names shifted down by one; its values unused; truth: construction)", "keras3"),
    _s("h18_k3_head_renamed_same_shape_loads_by_path", "Keras 3 functional conv classifier with a 5-class head "
       "(auto-named `dense_1`) `.weights.h5` -> the same encoder under a new head `intent_logits` of the same "
       "shape (truth: Keras 3's own load_weights, which finds a Functional model's layers by their class-numbered "
       "path, `layers/dense_1`, whatever their names: the old head's values load into `intent_logits`; built as a "
       "must-abstain head, changed after the one scoring when Keras was run as the oracle)", "keras3"),
    _s("h18_k3_sequential_wh5_to_nested_with_normalization", "Keras 3 Sequential (built after another model: "
       "auto names `dense_3`..`dense_5`, `batch_normalization_1`) `.weights.h5` -> a functional model with a new "
       "Normalization layer in front of the same Sequential nested as `features` (truth: construction; the "
       "Normalization statistics new)", "keras3"),
    _s("h18_k3_square_weights_wh5_to_torch_abstain", "Keras 3 functional net with a custom layer of three square "
       "weights [16, 16] (stored as `layers/mixer/vars/0..2`, no role names) between Dense layers, `.weights.h5` -> "
       "a PyTorch twin with an nn.ParameterDict {`a`, `b`, `c`} (which vars/i is which key no file says: must "
       "abstain on them; the Dense layers decided)", "cross", "keras3", "abstain"),
    # TF1 graphs
    _s("h18_tf1_depthwise_deconv_ae_adam_to_torch", "TF1 Saver checkpoint of a conv autoencoder with slim-style "
       "names (`ae/enc/dw/depthwise_weights` [3, 3, 8, 1], `ae/dec/deconv/weights` [4, 4, 8, 16] of a "
       "conv2d_transpose) with Adam slots -> a PyTorch twin (Conv2d groups=8 [8, 1, 3, 3], ConvTranspose2d "
       "[16, 8, 4, 4]; truth: construction)", "cross", "tf1"),
    _s("h18_tf1_resnet_equal_blocks_removed_abstain", "TF1 tf.compat.v1.layers residual conv net (a stem, 4 equal "
       "blocks of conv2d [3, 3, 16, 16] + batch_normalization `resnet/block_2/bn_a/moving_mean`, a dense head) with "
       "Momentum slots, Saver -> 3 blocks (block 2 dropped; truth: init_from_checkpoint with an assignment map; "
       "which of the equal blocks went is in no file: must abstain on them)", "tf1", "abstain", legacy=True),
    _s("h18_tf1_tower_unwrapped_layer_added", "TF1 multi-GPU tower graph (`tower_0/embed/embeddings`, "
       "`tower_0/encoder/dense_1/kernel`, `tower_0/logits`) with Adam slots, Saver -> the graph without the "
       "wrapper scope and a third encoder dense layer `encoder/dense_2` (truth: init_from_checkpoint with an "
       "assignment map; `dense_2` new)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h18_tf2_tfkeras_subclassed_adam_to_torch", "tf.train.Checkpoint of a tf_keras subclassed text model "
       "(`model/embed/embeddings`, `model/conv/kernel` [3, 12, 16], a list `model/blocks/1/kernel`, Adam's moments "
       "under `optimizer/_variables/`) -> a PyTorch twin (`conv.weight` [16, 12, 3], `mlp.2.weight`; truth: "
       "construction)", "cross", "tf2", legacy=True),
    _s("h18_tf2_module_dict_of_lists_to_k3", "TF2 tf.Module fusion net (a dict of encoders, each a list of "
       "{w, b} dicts: `net/encoders/text/0/w` [30, 16], `net/encoders/image/1/w` [16, 16], a fusion matrix, a step) "
       "in tf.train.Checkpoint -> a Keras 3 functional model (`txt_0`, `img_1`, `fusion`, and a new "
       "LayerNormalization; truth: construction)", "tf2"),
    _s("h18_tf2_module_experts_removed_to_torch_abstain", "TF2 tf.Module mixture of experts (a gate [16, 4], a list "
       "of 4 equal experts {w_in [16, 32], w_out [32, 16]}) in tf.train.Checkpoint -> a PyTorch MoE with 3 experts "
       "in an nn.ModuleList and a new router Linear(16, 3) (which of the equal experts went is in no file: must "
       "abstain on them; the router new)", "cross", "tf2", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# transformers: from_tf / from_pt

def b_layoutlm_tf_h5_to_pt_token_cls(d):
    from transformers import LayoutLMConfig, LayoutLMForTokenClassification, TFLayoutLMForMaskedLM

    cfg = LayoutLMConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, max_position_embeddings=32, max_2d_position_embeddings=64, num_labels=5)
    ck, model = h4._tf_to_pt(d, TFLayoutLMForMaskedLM(cfg), "layoutlm", LayoutLMForTokenClassification)
    return [ck], read_h5(ck), _pt_values(model, d), []


def b_hf_regnet_pt_to_tf_classifier(d):
    from transformers import RegNetConfig, RegNetModel, TFRegNetForImageClassification

    cfg = RegNetConfig(embedding_size=8, hidden_sizes=[8, 16, 24], depths=[1, 2, 1], groups_width=8,
                       layer_type="y", num_labels=4)
    ck, model = h4._pt_to_tf(d, RegNetModel(cfg), "regnet", TFRegNetForImageClassification)
    new = [w for w in model.weights if "classifier" in w.name]
    assert len(new) == 2, [w.name for w in model.weights][-4:]
    fill_random(new, "new")
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_umt5_compiled_to_generation(d):
    import torch
    from transformers import UMT5Config, UMT5ForConditionalGeneration, UMT5Model

    cfg = UMT5Config(vocab_size=61, d_model=24, d_kv=8, d_ff=40, num_layers=2, num_decoder_layers=2, num_heads=3,
                     relative_attention_num_buckets=8, relative_attention_max_distance=16, decoder_start_token_id=0,
                     tie_word_embeddings=False)
    src = UMT5Model(cfg)
    fill_random_torch(src, "umt5")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    seen, kept = set(), {}
    for k, t in sd.items():  # the tied embedding once (`_orig_mod.shared.weight`), as a saver dropping shared
        if t.data_ptr() not in seen:  # storages writes it
            kept[k] = t
        seen.add(t.data_ptr())
    sd = kept
    assert "_orig_mod.shared.weight" in sd and "_orig_mod.encoder.embed_tokens.weight" not in sd, sorted(sd)[:5]
    ck = os.path.join(d, "ckpt", "umt5.pt")
    torch.save(sd, ck)
    tgt = UMT5ForConditionalGeneration(cfg)
    fill_random_torch(tgt, "tgt")
    info = tgt.load_state_dict(src.state_dict(), strict=False)  # the base; `lm_head` keeps its fresh values
    assert list(info.missing_keys) == ["lm_head.weight"] and not info.unexpected_keys, info
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_hiera_dp_to_classifier(d):
    import torch
    import torch.nn as nn
    from transformers import HieraConfig, HieraForImageClassification, HieraModel

    cfg = HieraConfig(image_size=[64, 64], embed_dim=8, depths=[1, 2, 1, 1], num_heads=[1, 1, 2, 2], mlp_ratio=2.0,
                      num_labels=4)
    src = HieraModel(cfg)
    fill_random_torch(src, "hiera")
    ck = os.path.join(d, "ckpt", "hiera_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = HieraForImageClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.hiera.load_state_dict(src.state_dict())  # construction: the base; the classifier new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_mamba2_layer_removed_abstain(d):
    from transformers import Mamba2Config, Mamba2ForCausalLM

    def cfg(n):
        return Mamba2Config(vocab_size=61, hidden_size=16, state_size=8, num_heads=4, head_dim=8, expand=2,
                            n_groups=1, num_hidden_layers=n, conv_kernel=4, chunk_size=8, tie_word_embeddings=False)

    src = Mamba2ForCausalLM(cfg(4))
    ck_dir = h4._hf(d, src, "mamba2", "ckpt")
    tgt = Mamba2ForCausalLM(cfg(3))
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "backbone.layers.", {0: 0, 1: 1, 2: 3})
    values = _pt_values(tgt, d)
    ck = os.path.join(ck_dir, "model.safetensors")
    # the layers are equal: any three of the four, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("backbone.layers."))


def b_w2v2conformer_40l_lightning_to_ctc(d):
    import torch
    import torch.nn as nn
    from transformers import Wav2Vec2ConformerConfig, Wav2Vec2ConformerForCTC, Wav2Vec2ConformerModel

    cfg = Wav2Vec2ConformerConfig(vocab_size=12, hidden_size=8, num_hidden_layers=40, num_attention_heads=2,
                                  intermediate_size=12, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                                  num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2,
                                  conv_depthwise_kernel_size=3, position_embeddings_type="relative",
                                  max_source_positions=64)
    module = nn.Module()  # a LightningModule's attributes: the model
    module.model = Wav2Vec2ConformerModel(cfg)
    fill_random_torch(module, "w2v2c")
    ck = os.path.join(d, "ckpt", "last.pt")
    torch.save(module.state_dict(), ck)
    tgt = Wav2Vec2ConformerForCTC(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.wav2vec2_conformer.load_state_dict(module.model.state_dict())  # construction: the base; `lm_head` new
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_bertgen_encoder_to_decoder_lm(d):
    from transformers import BertGenerationConfig, BertGenerationDecoder, BertGenerationEncoder

    cfg = BertGenerationConfig(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=40, max_position_embeddings=32)
    src = BertGenerationEncoder(cfg)
    ck_dir = h4._hf(d, src, "bertgen", "ckpt")
    cfg.is_decoder = True
    tgt = BertGenerationDecoder(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.bert.load_state_dict(src.state_dict())  # construction: the encoder; lm_head.decoder tied, its bias new
    tgt.tie_weights()
    assert tgt.lm_head.decoder.weight.data_ptr() == tgt.bert.embeddings.word_embeddings.weight.data_ptr()
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_dac_ema_to_fewer_codebooks(d):
    import torch
    import torch.nn as nn
    from transformers import DacConfig, DacModel

    def cfg(n):
        return DacConfig(encoder_hidden_size=4, downsampling_ratios=[2, 2], decoder_hidden_size=16, n_codebooks=n,
                         codebook_size=16, codebook_dim=4)

    ema = nn.Module()  # an EMA wrapper: the averaged copy under `ema_model`
    ema.ema_model = DacModel(cfg(4))
    fill_random_torch(ema, "dac")
    ck = os.path.join(d, "ckpt", "dac_ema.pt")
    torch.save(ema.state_dict(), ck)
    tgt = DacModel(cfg(3))
    fill_random_torch(tgt, "tgt")
    info = tgt.load_state_dict(ema.ema_model.state_dict(), strict=False)  # construction: quantizer 3 left out
    assert not info.missing_keys and all(k.startswith("quantizer.quantizers.3.") for k in info.unexpected_keys), info
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_visualbert_compiled_heads_dict_renamed(d):
    import torch
    import torch.nn as nn
    from transformers import VisualBertConfig, VisualBertModel

    cfg = VisualBertConfig(vocab_size=61, hidden_size=24, visual_embedding_dim=12, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=40, max_position_embeddings=32)
    src = nn.Module()
    src.backbone = VisualBertModel(cfg)
    src.heads = nn.ModuleDict({"vqa": nn.Linear(24, 10), "nlvr": nn.Linear(24, 2)})
    fill_random_torch(src, "vbert")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "multitask.pt")
    torch.save(sd, ck)
    tgt = nn.Module()
    tgt.encoder = VisualBertModel(cfg)
    tgt.task_heads = nn.ModuleDict({"answer": nn.Linear(24, 10), "entail": nn.Linear(24, 2)})
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.backbone.state_dict())  # construction: the backbone; the heads by task
    tgt.task_heads["answer"].load_state_dict(src.heads["vqa"].state_dict())
    tgt.task_heads["entail"].load_state_dict(src.heads["nlvr"].state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# conformer (run from the unpacked wheel, never copied)

def _conformer(depth):
    path = os.path.join(MATERIAL, "conformer")
    if path not in sys.path:
        sys.path.insert(0, path)
    from conformer import Conformer

    return Conformer(dim=16, depth=depth, dim_head=8, heads=2, ff_mult=2, conv_expansion_factor=2,
                     conv_kernel_size=7)


def b_conformer_compiled_to_ctc_model(d):
    import torch
    import torch.nn as nn

    src = _conformer(2)
    fill_random_torch(src, "conformer")
    sd = torch.compile(src).state_dict()
    assert next(iter(sd)).startswith("_orig_mod."), next(iter(sd))
    ck = os.path.join(d, "ckpt", "conformer.pt")
    torch.save(sd, ck)
    tgt = nn.Module()
    tgt.frontend = nn.Linear(20, 16)
    tgt.encoder = _conformer(2)
    tgt.ctc_head = nn.Linear(16, 30)
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.state_dict())  # construction: the encoder; the frontend and head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _speech(depth):
    import torch.nn as nn

    m = nn.Module()
    m.proj_in = nn.Linear(20, 16)
    m.conformer = _conformer(depth)
    m.proj_out = nn.Linear(16, 10)
    return m


def b_conformer_block_removed_dp_abstain(d):
    import torch
    import torch.nn as nn

    src = _speech(4)
    fill_random_torch(src, "speech")
    ck = os.path.join(d, "ckpt", "speech_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = _speech(3)
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "conformer.layers.", {0: 0, 1: 2, 2: 3})
    values = _pt_values(tgt, d)
    # the blocks are equal: any three of the four, in order
    return [ck], read_torch(ck), values, sorted(n for n in values if n.startswith("conformer.layers."))


# ---------------------------------------------------------------------------------------------------------
# PyTorch <-> Keras 3

def _put_bn(m, ws):
    for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), ws, strict=True):
        _put_t(t, a)


def b_torch_lstm_tagger_dp_to_k3(d):
    import torch
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    src = nn.Module()
    src.emb = nn.Embedding(50, 16)
    src.lstm = nn.LSTM(16, 24, num_layers=2, bias=False, batch_first=True)
    src.out = nn.Linear(24, 7)
    fill_random_torch(src, "tagger")
    ck = os.path.join(d, "ckpt", "tagger_dp.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    inp = Input((None,), dtype="int32")
    emb = L.Embedding(50, 16)
    l0 = L.LSTM(24, use_bias=False, return_sequences=True)
    l1 = L.LSTM(24, use_bias=False, return_sequences=True)
    out = L.Dense(7)
    tgt = Model(inp, out(l1(l0(emb(inp)))))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    emb.set_weights([sd["emb.weight"]])  # construction: [4u, in] -> [in, 4u]; the gate order i, f, g, o is shared
    l0.set_weights([sd["lstm.weight_ih_l0"].T, sd["lstm.weight_hh_l0"].T])
    l1.set_weights([sd["lstm.weight_ih_l1"].T, sd["lstm.weight_hh_l1"].T])
    out.set_weights([sd["out.weight"].T, sd["out.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_unet_wh5_to_torch(d):
    import numpy as np
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    inp = Input((16, 16, 3))
    c1 = L.Conv2D(16, 3, padding="same", use_bias=False)
    bn1 = L.BatchNormalization()
    g = L.Conv2D(16, 3, padding="same", groups=4)
    up = L.Conv2DTranspose(8, 2, strides=2)
    outc = L.Conv2D(1, 1)
    x1 = L.ReLU()(bn1(c1(inp)))
    x2 = g(L.MaxPooling2D(2)(x1))
    x3 = L.Concatenate()([up(x2), x1])
    src = Model(inp, outc(x3))
    fill_random(h4._float(src.weights), "unet")
    ck = os.path.join(d, "ckpt", "unet.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.enc = nn.Conv2d(3, 16, 3, padding=1, bias=False)
    twin.enc_bn = nn.BatchNorm2d(16)
    twin.mid = nn.Conv2d(16, 16, 3, padding=1, groups=4)
    twin.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
    twin.head = nn.Conv2d(24, 1, 1)
    fill_random_torch(twin, "twin")

    def ws(lay):
        return [np.asarray(w.numpy()) for w in lay.weights]

    # construction: HWIO -> OIHW (grouped: [kh, kw, in/g, out] -> [out, in/g, kh, kw]); transposed [kh, kw, out, in]
    # -> [in, out, kh, kw]
    _put_t(twin.enc.weight, ws(c1)[0].transpose(3, 2, 0, 1))
    _put_bn(twin.enc_bn, ws(bn1))
    _put_t(twin.mid.weight, ws(g)[0].transpose(3, 2, 0, 1))
    _put_t(twin.mid.bias, ws(g)[1])
    _put_t(twin.up.weight, ws(up)[0].transpose(3, 2, 0, 1))
    _put_t(twin.up.bias, ws(up)[1])
    _put_t(twin.head.weight, ws(outc)[0].transpose(3, 2, 0, 1))
    _put_t(twin.head.bias, ws(outc)[1])
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def b_k3_text_cnn_keras_to_torch(d):
    import numpy as np
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    inp = Input((40,), dtype="int32")
    emb = L.Embedding(80, 12)
    cs = [L.Conv1D(16, 3, activation="relu"), L.Conv1D(16, 5, dilation_rate=2, activation="relu")]
    ds = [L.Dense(8, activation="relu"), L.Dense(3)]
    x = cs[1](cs[0](emb(inp)))
    src = Model(inp, ds[1](ds[0](L.GlobalMaxPooling1D()(x))))
    fill_random(src.weights, "textcnn")
    ck = os.path.join(d, "ckpt", "textcnn.keras")
    src.save(ck)
    twin = nn.Module()
    twin.embed = nn.Embedding(80, 12)
    twin.convs = nn.ModuleList([nn.Conv1d(12, 16, 3), nn.Conv1d(16, 16, 5, dilation=2)])
    twin.mlp = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, np.asarray(emb.weights[0].numpy()))
    for lay, m in zip(cs, twin.convs, strict=True):  # construction: [k, in, out] -> [out, in, k]
        _put_t(m.weight, np.asarray(lay.weights[0].numpy()).transpose(2, 1, 0))
        _put_t(m.bias, lay.weights[1].numpy())
    for lay, m in zip(ds, (twin.mlp[0], twin.mlp[2]), strict=True):
        _put_t(m.weight, np.asarray(lay.weights[0].numpy()).T)
        _put_t(m.bias, lay.weights[1].numpy())
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(twin, d), d), []


def _mlp(square):
    from keras import Input, Model
    from keras import layers as L

    inp = Input((20,))
    x = L.LayerNormalization()(L.Dense(48, activation="relu")(inp))
    x = L.Dense(40, activation="relu")(x)
    if square:
        x = L.Dense(40, activation="relu")(x)
    return Model(inp, L.Dense(3)(L.Dense(16, activation="relu")(x)))


def b_k3_mlp_layer_removed_mid_keras(d):
    import keras

    keras.backend.clear_session()
    src = _mlp(True)
    fill_random(src.weights, "mlp")
    ck = os.path.join(d, "ckpt", "mlp.keras")
    src.save(ck)
    sw = [lay.get_weights() for lay in src.layers if lay.weights]
    keras.backend.clear_session()
    tgt = _mlp(False)
    fill_random(tgt.weights, "tgt")
    withw = [lay for lay in tgt.layers if lay.weights]
    assert len(withw) == 5 and len(sw) == 6
    for lay, w in zip(withw, sw[:3] + sw[4:], strict=True):  # construction: the square Dense (4th) dropped
        lay.set_weights(w)
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


def _conv_encoder(inp):
    from keras import layers as L

    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    return L.Dense(32, activation="relu")(L.GlobalAveragePooling2D()(x))


def b_k3_head_renamed_same_shape_loads_by_path(d):
    import keras

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 1))
    src = keras.Model(inp, keras.layers.Dense(5)(_conv_encoder(inp)))
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "intent.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    i2 = keras.Input((16, 16, 1))
    head = keras.layers.Dense(5, name="intent_logits")
    tgt = keras.Model(i2, head(_conv_encoder(i2)))
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # the oracle: Keras' own restore (by class-numbered path: the old head included)
    import numpy as np

    assert all(np.array_equal(a, b) for a, b in zip(tgt.get_weights(), sw, strict=True))
    values = _all(spec_and_values(tgt, d), d)
    return [ck], read_h5(ck), values, []


def _seq_layers():
    from keras import layers as L

    return [L.Dense(64, activation="relu"), L.BatchNormalization(), L.Dense(32, activation="relu"), L.Dense(6)]


def b_k3_sequential_wh5_to_nested_with_normalization(d):
    import keras

    keras.backend.clear_session()
    keras.Sequential([keras.Input((20,))] + _seq_layers())  # another model first: the auto names move on
    src = keras.Sequential([keras.Input((20,))] + _seq_layers())
    fill_random(src.weights, "seq")
    ck = os.path.join(d, "ckpt", "seq.weights.h5")
    src.save_weights(ck)
    sw = src.get_weights()
    keras.backend.clear_session()
    features = keras.Sequential([keras.Input((20,))] + _seq_layers(), name="features")
    inp = keras.Input((20,))
    norm = keras.layers.Normalization(name="normalize")
    tgt = keras.Model(inp, features(norm(inp)))
    fill_random(h4._float(tgt.weights), "tgt")
    features.set_weights(sw)  # construction: the Sequential in order; the Normalization statistics new
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_square_weights_wh5_to_torch_abstain(d):
    import keras
    import numpy as np
    import torch
    import torch.nn as nn
    from keras import Input, Model
    from keras import layers as L

    class Mixer(L.Layer):
        def build(self, shape):
            self.ws = [self.add_weight(shape=(16, 16), name=f"w{i}") for i in range(3)]

        def call(self, x):
            return x @ self.ws[0] + keras.ops.tanh(x @ self.ws[1]) @ self.ws[2]

    keras.backend.clear_session()
    inp = Input((12,))
    d1, mixer, d2 = L.Dense(16, activation="relu"), Mixer(name="mixer"), L.Dense(4)
    src = Model(inp, d2(mixer(d1(inp))))
    fill_random(src.weights, "mixer")
    ck = os.path.join(d, "ckpt", "mixer.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.proj = nn.Linear(12, 16)
    twin.mix = nn.ParameterDict({k: nn.Parameter(torch.zeros(16, 16)) for k in ("a", "b", "c")})
    twin.head = nn.Linear(16, 4)
    fill_random_torch(twin, "twin")
    for lay, m in ((d1, twin.proj), (d2, twin.head)):  # construction: Dense [in, out] -> Linear [out, in]
        _put_t(m.weight, np.asarray(lay.weights[0].numpy()).T)
        _put_t(m.bias, lay.weights[1].numpy())
    for k, w in zip(("a", "b", "c"), mixer.ws, strict=True):  # the weights in creation order, as they are
        _put_t(twin.mix[k], w.numpy())
    values = _all(spec_and_values(twin, d), d)
    # three square weights without role names on either side: which vars/i is which key no file says
    return [ck], read_h5(ck), values, sorted(n for n in values if n.startswith("mix."))


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

_AE = [("enc/conv1/weights", (3, 3, 3, 8)), ("enc/conv1/biases", (8,)), ("enc/dw/depthwise_weights", (3, 3, 8, 1)),
       ("enc/pw/weights", (1, 1, 8, 16)), ("dec/deconv/weights", (4, 4, 8, 16)), ("dec/deconv/biases", (8,)),
       ("dec/out/weights", (3, 3, 8, 3)), ("dec/out/biases", (3,))]


def b_tf1_depthwise_deconv_ae_adam_to_torch(d):
    import torch.nn as nn

    arrays = {"ae/" + n: distinct("ae|" + n, shp) for n, shp in _AE}
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    twin = nn.Module()
    twin.conv1 = nn.Conv2d(3, 8, 3, padding=1)
    twin.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    twin.pw = nn.Conv2d(8, 16, 1, bias=False)
    twin.deconv = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    twin.out = nn.Conv2d(8, 3, 3, padding=1)
    fill_random_torch(twin, "twin")
    a = arrays  # construction: HWIO -> OIHW; depthwise [kh, kw, c, 1] -> [c, 1, kh, kw]; transposed [kh, kw, out, in]
    _put_t(twin.conv1.weight, a["ae/enc/conv1/weights"].transpose(3, 2, 0, 1))  # -> [in, out, kh, kw]
    _put_t(twin.conv1.bias, a["ae/enc/conv1/biases"])
    _put_t(twin.dw.weight, a["ae/enc/dw/depthwise_weights"].transpose(2, 3, 0, 1))
    _put_t(twin.pw.weight, a["ae/enc/pw/weights"].transpose(3, 2, 0, 1))
    _put_t(twin.deconv.weight, a["ae/dec/deconv/weights"].transpose(3, 2, 0, 1))
    _put_t(twin.deconv.bias, a["ae/dec/deconv/biases"])
    _put_t(twin.out.weight, a["ae/dec/out/weights"].transpose(3, 2, 0, 1))
    _put_t(twin.out.bias, a["ae/dec/out/biases"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def _resnet(n):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 8, 8, 3))
    with tf.compat.v1.variable_scope("resnet"):
        h = L.conv2d(x, 16, 3, padding="same", use_bias=False, name="stem")
        for i in range(n):
            with tf.compat.v1.variable_scope(f"block_{i}"):
                r = tf.nn.relu(L.batch_normalization(L.conv2d(h, 16, 3, padding="same", use_bias=False,
                                                              name="conv_a"), name="bn_a"))
                h = h + L.batch_normalization(L.conv2d(r, 16, 3, padding="same", use_bias=False, name="conv_b"),
                                              name="bn_b")
        return L.dense(tf.reduce_mean(h, axis=(1, 2)), 10, name="logits")


def b_tf1_resnet_equal_blocks_removed_abstain(d):
    import tensorflow as tf

    names = []

    def src():
        out = _resnet(4)
        names.extend(v.op.name for v in tf.compat.v1.global_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.1, 0.9))
    stored = read_tf(prefix)
    assert "resnet/block_3/bn_b/moving_variance" in stored and "resnet/block_1/conv_a/kernel/Momentum" in stored
    amap = {}
    for n in names:
        if "/block_2/" in n:
            continue  # block 2 dropped, block 3 moved down
        amap[n] = n.replace("/block_3/", "/block_2/")
    g = tf.Graph()
    with g.as_default():
        _resnet(3)
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    # the blocks are equal: any three of the four, in order
    return [_rel(prefix, d)], stored, _all(values, d), sorted(n for n in values if "/block_" in n)


def _tower(n_dense):
    import tensorflow as tf

    ids = tf.compat.v1.placeholder(tf.int32, (None, 6))
    emb = tf.compat.v1.get_variable("embed/embeddings", (100, 16))
    h = tf.reduce_mean(tf.nn.embedding_lookup(emb, ids), axis=1)
    with tf.compat.v1.variable_scope("encoder"):
        h = tf.compat.v1.layers.dense(h, 32, activation=tf.nn.relu, name="dense_0")
        for i in range(1, n_dense):
            h = tf.compat.v1.layers.dense(h, 32, activation=tf.nn.relu, name=f"dense_{i}")
    return tf.compat.v1.layers.dense(h, 5, name="logits")


def b_tf1_tower_unwrapped_layer_added(d):
    import tensorflow as tf

    names = []

    def src():
        with tf.compat.v1.variable_scope("tower_0"):
            out = _tower(2)
        names.extend(v.op.name for v in tf.compat.v1.trainable_variables())
        return out

    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "tower_0/encoder/dense_1/kernel/Adam_1" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        _tower(3)
    values = tp._tf1_target(g, d, {n: n[len("tower_0/"):] for n in names}, prefix)  # init_from_checkpoint
    assert "encoder/dense_2/kernel" in values, sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


def b_tf2_tfkeras_subclassed_adam_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import tf_keras
    import torch.nn as nn

    class TextNet(tf_keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = tf_keras.layers.Embedding(60, 12)
            self.conv = tf_keras.layers.Conv1D(16, 3, activation="relu")
            self.blocks = [tf_keras.layers.Dense(16, activation="relu"), tf_keras.layers.Dense(16, activation="relu")]
            self.out = tf_keras.layers.Dense(4)

        def call(self, x):
            h = tf.reduce_max(self.conv(self.embed(x)), axis=1)
            for b in self.blocks:
                h = b(h)
            return self.out(h)

    m = TextNet()
    x = tf.constant(np.arange(20).reshape(2, 10) % 60)
    opt = tf_keras.optimizers.Adam(0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(m(x)))
    opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables, strict=True))
    fill_random(m.weights, "textnet")
    fill_random([v for v in opt.variables if v.dtype == tf.float32], "slots")
    prefix = tf.train.Checkpoint(model=m, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-1"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/_variables/") for k in stored) > 10, sorted(stored)
    twin = nn.Module()
    twin.embedding = nn.Embedding(60, 12)
    twin.conv = nn.Conv1d(12, 16, 3)
    twin.mlp = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
    twin.classifier = nn.Linear(16, 4)
    fill_random_torch(twin, "twin")

    def ws(lay):
        return [np.asarray(w.numpy()) for w in lay.weights]

    _put_t(twin.embedding.weight, ws(m.embed)[0])  # construction: [k, in, out] -> [out, in, k]; [in, out] -> [out, in]
    _put_t(twin.conv.weight, ws(m.conv)[0].transpose(2, 1, 0))
    _put_t(twin.conv.bias, ws(m.conv)[1])
    for lay, lin in ((m.blocks[0], twin.mlp[0]), (m.blocks[1], twin.mlp[2]), (m.out, twin.classifier)):
        _put_t(lin.weight, ws(lay)[0].T)
        _put_t(lin.bias, ws(lay)[1])
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_tf2_module_dict_of_lists_to_k3(d):
    import tensorflow as tf
    from keras import Input, Model
    from keras import layers as L

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.encoders = {
                "text": [{"w": _tf_var("t0w", (30, 16)), "b": _tf_var("t0b", (16,))},
                         {"w": _tf_var("t1w", (16, 16)), "b": _tf_var("t1b", (16,))}],
                "image": [{"w": _tf_var("i0w", (48, 24)), "b": _tf_var("i0b", (24,))},
                          {"w": _tf_var("i1w", (24, 16)), "b": _tf_var("i1b", (16,))}]}
            self.fusion = _tf_var("fusion", (32, 8))
            self.fusion_b = _tf_var("fusionb", (8,))

    net = Net()
    prefix = tf.train.Checkpoint(net=net, step=tf.Variable(1200, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1200"))
    t, i = Input((30,)), Input((48,))
    lay = {"txt_0": L.Dense(16, activation="relu", name="txt_0"), "txt_1": L.Dense(16, name="txt_1"),
           "img_0": L.Dense(24, activation="relu", name="img_0"), "img_1": L.Dense(16, name="img_1")}
    fused = L.Concatenate()([lay["txt_1"](lay["txt_0"](t)), lay["img_1"](lay["img_0"](i))])
    fusion = L.Dense(8, name="fusion")
    tgt = Model([t, i], fusion(L.LayerNormalization(name="fused_norm")(fused)))
    fill_random(tgt.weights, "tgt")
    for key, enc in (("txt", "text"), ("img", "image")):  # construction: the encoders' layers; the norm new
        for j, m in enumerate(net.encoders[enc]):
            lay[f"{key}_{j}"].set_weights([m["w"].numpy(), m["b"].numpy()])
    fusion.set_weights([net.fusion.numpy(), net.fusion_b.numpy()])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def b_tf2_module_experts_removed_to_torch_abstain(d):
    import numpy as np
    import tensorflow as tf
    import torch.nn as nn

    class Expert(tf.Module):
        def __init__(self, seed):
            super().__init__()
            self.w_in, self.w_out = _tf_var(seed + "in", (16, 32)), _tf_var(seed + "out", (32, 16))

    class MoE(tf.Module):
        def __init__(self):
            super().__init__()
            self.gate = _tf_var("gate", (16, 4))
            self.experts = [Expert(f"e{i}") for i in range(4)]

    moe = MoE()
    prefix = tf.train.Checkpoint(moe=moe).write(os.path.join(d, "ckpt", "ckpt-1"))
    twin = nn.Module()
    twin.router = nn.Linear(16, 3)
    twin.experts = nn.ModuleList([nn.Sequential(nn.Linear(16, 32, bias=False), nn.GELU(),
                                                nn.Linear(32, 16, bias=False)) for _ in range(3)])
    fill_random_torch(twin, "twin")
    for e, j in zip(twin.experts, (0, 2, 3), strict=True):  # construction: expert 1 dropped; [in, out] -> [out, in]
        _put_t(e[0].weight, np.asarray(moe.experts[j].w_in.numpy()).T)
        _put_t(e[2].weight, np.asarray(moe.experts[j].w_out.numpy()).T)
    values = _all(spec_and_values(twin, d), d)
    # the experts are equal: any three of the four, in order; the router (3 experts) has no value of its shape
    return [_rel(prefix, d)], read_tf(prefix), values, sorted(n for n in values if n.startswith("experts."))


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout17's, over these scenarios

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
