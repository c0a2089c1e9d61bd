"""A twenty-sixth held-out part of alignment scenarios (``--part heldout26``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the mixture-of-experts, egnn-pytorch and keras-mdn-layer wheels into
$CKPT_DOCTOR_MATERIAL26, default /work/coord/material-heldout26, unpacked there; nothing installed (they need only
torch, einops and keras, all in the venv; egnn-pytorch's package __init__ imports its torch-geometric variant, so its
egnn_pytorch.py is run by itself); the rest is the venv's; sources and licences in NOTICE; nothing of it is
committed): Phil Wang's sparsely-gated mixture of experts (top-2 gating, stacked expert weights), Phil Wang and Eric
Alcaide's E(n)-equivariant graph network, Charles Martin's Keras mixture density network layer; transformers 4.46
definitions of Speech2Text (PyTorch and TF), Nystromformer and Wav2Vec2-BERT (none of them in an earlier part); and
models written for this part: Keras 3 functional models as `.weights.h5` and `.keras` (an MDN head into a PyTorch
twin, a PyTorch MDN whose heads are a role-free list into the Keras layer, an MDN-RNN nested as a layer of a world
model, a speaker-FiLM conv net into a PyTorch twin), tf_keras files (a two-tower recommender `.h5` into a PyTorch
twin, an RNN-T transducer as TF-format save_weights into a PyTorch twin, a capsule net's SavedModel `variables/` into
a PyTorch twin), TF1 graphs (an end-to-end memory network whose hops are renumbered under a wrapper scope, a DeepSets
net into a PyTorch twin, auto-numbered FiLM conv blocks into a Keras 3 model of role names), TF2 checkpoints (a Keras
3 router / EinsumDense experts into the mixture-of-experts MoE, a tf.Module hypernetwork into a PyTorch twin, an agent
with three equal critics into one with two) and PyTorch state dicts (MoE blocks under torch.compile into a wrapper
with reordered sub-modules, an EGNN network as the encoder of a property model, an EGNN layer into a Keras 3 twin, a
relational GNN whose per-edge-type convs move from a ModuleDict into a ModuleList).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained(from_pt=
True)``, ``init_from_checkpoint``, ``load_state_dict`` of a sub-module) or by the scenario's construction (weights
in order into the same architecture, a twin in another framework layer by layer), and both sides are read back by
the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout26.py fetch               # pip download + unpack the three wheels
    python bench/scenarios/heldout26.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout26.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout26        # score (once)
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
PART = "heldout26"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv
_tf1_names, _tf_var, _compiled_sd, _bn = h24._tf1_names, h24._tf_var, h25._compiled_sd, h25._bn


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers with drift
    _s("h26_speech2text_pt_to_tf", "Speech2TextForConditionalGeneration `model.safetensors` (`model.encoder.conv."
       "conv_layers.1.weight` Conv1d [32, 4, 5], `model.encoder.layers.1.self_attn.k_proj.weight`, `model.decoder."
       "embed_tokens.weight`, `lm_head` tied, not saved) -> TFSpeech2TextForConditionalGeneration "
       "(`tf_speech2_text_for_conditional_generation/model/encoder/conv/conv_layers.1/kernel`, `.../decoder/"
       "layers.0/encoder_attn/q_proj/kernel`; its `lm_head/kernel` filled from the tied table is not scored; "
       "truth: from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("h26_nystromformer_dp_mlm_to_cls", "DataParallel NystromformerForMaskedLM (`module.nystromformer.encoder."
       "layer.1.attention.self.conv.weight` depthwise [2, 1, 5, 1], `module.nystromformer.embeddings."
       "token_type_embeddings.weight`, `module.cls.predictions.transform.dense.weight`) -> "
       "NystromformerForSequenceClassification (no prefix; `classifier.dense`, `classifier.out_proj` new; the MLM "
       "head unused; truth: load_state_dict of the base)"),
    _s("h26_w2v2bert_lightning_ctc_to_base", "Lightning-style state_dict (`model.` prefix) of Wav2Vec2BertForCTC "
       "(`model.wav2vec2_bert.encoder.layers.1.conv_module.depthwise_conv.weight`, `model.wav2vec2_bert.encoder."
       "layers.0.ffn1.intermediate_dense.weight`, `model.wav2vec2_bert.feature_projection.projection.weight`, "
       "`model.lm_head.weight`) -> Wav2Vec2BertModel (no prefix, no `wav2vec2_bert.`; the CTC head unused; truth: "
       "load_state_dict of the base)"),
    # mixture-of-experts, egnn-pytorch (run from the unpacked wheels) and PyTorch nets written here
    _s("h26_moe_torch_to_k3", "a PyTorch token classifier with mixture-of-experts' MoE (`moe.gate.w_gating` [16, 4], "
       "`moe.experts.w1` [4, 16, 32], `moe.experts.w2` [4, 32, 16], `embed.weight`, `norm`, `head.weight`) -> a "
       "Keras 3 twin (a bias-free Dense router [16, 4], EinsumDense experts kernels [4, 16, 32] and [4, 32, 16], "
       "LayerNormalization) with a 2-class auxiliary Dense head (new; truth: construction)", "cross", "keras3"),
    _s("h26_moe_blocks_compiled_reordered", "torch.compile'd net of two blocks (`_orig_mod.blocks.0.attn."
       "in_proj_weight`, `_orig_mod.blocks.1.ffn.experts.w2` [4, 32, 16], `_orig_mod.blocks.0.ffn.gate.w_gating`, "
       "`_orig_mod.blocks.1.norm1.weight`) -> the blocks under a `backbone.` wrapper with `ffn` renamed `moe` and "
       "the sub-modules declared in another order (`moe`, `norm2`, `attn`, `norm1`), a new `cls` head (truth: "
       "load_state_dict of the parts)"),
    _s("h26_egnn_dp_into_property_model", "DataParallel egnn-pytorch EGNN_Network (`module.token_emb.weight`, "
       "`module.layers.2.1.edge_mlp.0.weight` [66, 33], `module.layers.0.1.coors_mlp.3.weight` [1, 64], "
       "`module.layers.1.1.node_norm.weight`) -> a property-prediction model with the network as `encoder` and a new "
       "`readout` MLP (truth: load_state_dict of the encoder)"),
    _s("h26_egnn_layer_torch_to_k3", "an egnn-pytorch EGNN layer with its atom embedding (`layer.edge_mlp.0.weight` "
       "[66, 33], `layer.edge_mlp.3.weight` [16, 66], `layer.node_mlp.0.weight` [32, 32], `layer.coors_mlp.0."
       "weight` [64, 16], `layer.node_norm.weight`) -> a Keras 3 functional twin of role-named layers (`edge_in` "
       "kernel [33, 66], `edge_out`, `node_ln` LayerNormalization, `node_in`, `node_out`, `coord_in`, `coord_out`; "
       "truth: construction)", "cross", "keras3"),
    _s("h26_relational_gnn_dict_to_list_abstain", "a relational GNN state_dict whose per-edge-type convs are an "
       "nn.ModuleDict (`convs.bond.msg.weight` [16, 16], `convs.bond.upd.weight` [16, 32], `convs.angle.msg.weight`, "
       "`atom_emb.weight`, `readout.weight`) -> the net with an nn.ModuleList of convs (`convs.0`, `convs.1`: "
       "`angle` then `bond` by construction, the edge types sorted; which type is which index no file says: must "
       "abstain on the convs; embedding and readout decided)", "abstain"),
    # keras-mdn-layer (run from the unpacked wheel) and Keras 3 models written here
    _s("h26_mdn_k3_to_torch", "Keras 3 functional model with keras-mdn-layer's MDN head (`layers/mdn/mdn_mus/vars/0` "
       "[32, 6], `layers/mdn/mdn_sigmas/vars/0` [32, 6], `layers/mdn/mdn_pi/vars/0` [32, 3], a Dense / "
       "LayerNormalization trunk) `.keras` -> a PyTorch twin (`trunk.0`, `trunk.1`, `trunk.3`, `mdn.mu`, "
       "`mdn.sigma`, `mdn.pi`; truth: construction)", "cross", "keras3"),
    _s("h26_mdn_torch_heads_list_to_k3_abstain", "a PyTorch MDN whose heads are a role-free nn.ModuleList "
       "(`heads.0.weight` [6, 32], `heads.1.weight` [6, 32], `heads.2.weight` [3, 32], a trunk) -> a Keras 3 model "
       "with keras-mdn-layer's MDN (`mdn/mdn_mus/kernel` [32, 6], `mdn/mdn_sigmas/kernel` [32, 6], `mdn/mdn_pi/"
       "kernel` [32, 3]; heads 0, 1 are the means and scales by construction; which is which no file says: must "
       "abstain on the means and scales; trunk and mixture weights decided)", "cross", "keras3", "abstain"),
    _s("h26_mdn_rnn_nested_in_world_model", "Keras 3 MDN-RNN (LSTM 8->32, keras-mdn-layer MDN) `.weights.h5` "
       "(`layers/lstm/cell/vars/0`, `layers/mdn/mdn_mus/vars/0`) -> a world model holding a new VAE encoder "
       "(Conv2D, Dense) and the MDN-RNN rebuilt as a nested functional layer `mdn_rnn` (truth: construction)",
       "keras3"),
    _s("h26_k3_speaker_film_to_torch", "Keras 3 functional speaker-conditioned conv net (Embedding 10x8, Conv1D "
       "4->12 and 12->16, FiLM generators Dense 8->24 and 8->32, Dense head; auto-named `conv1d`, `conv1d_1`, "
       "`dense`, `dense_1`, `dense_2`) `.weights.h5` -> a PyTorch twin (`speaker.weight`, `blocks.0.conv.weight` "
       "[12, 4, 3], `blocks.1.film.weight` [32, 8], `head`; truth: construction)", "cross", "keras3"),
    # tf_keras files
    _s("h26_tfk_two_tower_h5_to_torch_abstain", "tf_keras two-tower recommender `.h5` (two equal towers: "
       "`embedding` / `embedding_1` [50, 8], `dense` / `dense_1` [8, 16]; a scorer `dense_2` [32, 1]) -> a PyTorch "
       "twin (`user.emb`, `user.fc`, `item.emb`, `item.fc`, `score`; the first tower is the user's by construction; "
       "which tower is whose no file says: must abstain on the towers; the scorer decided)", "cross", "abstain",
       legacy=True),
    _s("h26_tfk_rnnt_tf_format_to_torch", "tf_keras RNN-T transducer saved with TF-format save_weights "
       "(positional keys: `layer_with_weights-0/embeddings` [30, 8], `layer_with_weights-1/cell/kernel`, an encoder "
       "LSTM 10->16, a prediction LSTM 8->12, joiner Dense enc 16->24, pred 12->24, out 24->30) -> a PyTorch twin "
       "(`encoder.lstm.weight_ih_l0` [64, 10], `predictor.embed`, `predictor.lstm`, `joiner.enc`, `joiner.pred`, "
       "`joiner.out`; the Keras bias is `bias_ih`, `bias_hh` new; truth: construction)", "cross", legacy=True),
    _s("h26_tfk_savedmodel_capsnet_to_torch", "tf_keras capsule net SavedModel `variables/variables` (Conv2D, "
       "primary-capsule Conv2D, a digit-capsule layer with a transform `W` [64, 3, 8, 4] and a `routing_bias` "
       "[3, 8]) -> a PyTorch twin (`conv1`, `primary.conv`, `digits.W`, `digits.bias`; truth: construction)",
       "cross", legacy=True),
    # TF1 graphs
    _s("h26_tf1_memn2n_hops_renumbered", "TF1 end-to-end memory network (`memn2n/B` [40, 16], `memn2n/hop_0/A`, "
       "`memn2n/hop_0/C` .. `memn2n/hop_2/C` all [40, 16], `memn2n/H` [16, 16], `memn2n/W` [16, 40]) with Adam "
       "slots -> the graph under `model/` with the hops numbered from 1 (`model/memory/hop_1/A`), `B` as "
       "`model/query/B`, `W` as `model/answer/W` (truth: init_from_checkpoint with an assignment map)", "tf1",
       legacy=True),
    _s("h26_tf1_deepsets_to_torch", "TF1 DeepSets net (`phi/dense` [3, 32], `phi/dense_1` [32, 32], `rho/dense` "
       "[32, 16], `rho/dense_1` [16, 4]) with Adam slots -> a PyTorch twin (`phi.0`, `phi.2`, `rho.0`, `rho.2`; "
       "truth: construction)", "cross", "tf1", legacy=True),
    _s("h26_tf1_film_autonamed_to_k3_roles", "TF1 `tf.layers` FiLM conv net, auto-named (`conv2d` [3, 3, 3, 16], "
       "`batch_normalization` without scale and centre, `dense` [6, 32] FiLM generator, `conv2d_1`, "
       "`batch_normalization_1`, `dense_1` [6, 48], `dense_2` head) with Momentum slots -> a Keras 3 model of role "
       "names (`block1_conv`, `block1_bn`, `block1_film`, `block2_*`, `classifier`; truth: construction)", "tf1",
       "keras3", legacy=True),
    # TF2 checkpoints
    _s("h26_tf2_k3_router_experts_to_torch_moe", "tf.train.Checkpoint of a Keras 3 functional MoE layer stack (Dense "
       "in-projection, bias-free Dense router [16, 4], EinsumDense experts [4, 16, 32] / [4, 32, 16], Dense head) "
       "-> a PyTorch net with mixture-of-experts' MoE (`moe.gate.w_gating`, `moe.experts.w1`, `moe.experts.w2`, "
       "`proj`, `head`; truth: construction)", "cross", "tf2", "keras3"),
    _s("h26_tf2_module_hypernet_to_torch", "tf.train.Checkpoint of a tf.Module hypernetwork (`layer_codes` [3, 8], "
       "`gen/w_weights` [8, 256], `gen/w_bias` [8, 16], `stem/w` [4, 16], `head/w` [16, 2]) -> a PyTorch twin "
       "(`codes` parameter, `hyper.weight_gen` Linear [256, 8], `hyper.bias_gen`, `stem`, `head`; truth: "
       "construction)", "cross", "tf2"),
    _s("h26_tf2_critic_ensemble_to_two_abstain", "tf.train.Checkpoint of an agent tf.Module (an `actor` dict, a list "
       "of three equal `critics` [10, 32] / [32, 1], `log_alpha` [1]) -> a PyTorch agent with `actor`, `q1`, `q2` and "
       "`log_alpha` (critics 0 and 2 kept by construction; which two no file says: must abstain on `q1`, `q2`; "
       "actor and temperature decided)", "cross", "tf2", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers with drift

def b_speech2text_pt_to_tf(d):
    from transformers import (
        Speech2TextConfig,
        Speech2TextForConditionalGeneration,
        TFSpeech2TextForConditionalGeneration,
    )

    cfg = Speech2TextConfig(vocab_size=61, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                            decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24,
                            max_source_positions=64, max_target_positions=32, num_conv_layers=2, conv_channels=8,
                            conv_kernel_sizes=(5, 5), input_feat_per_channel=8, input_channels=1, pad_token_id=1)
    ck, model = h4._pt_to_tf(d, Speech2TextForConditionalGeneration(cfg), "s2t", TFSpeech2TextForConditionalGeneration)
    values = spec_and_values(model, d)
    head = [n for n in values if n.endswith("/lm_head/kernel")]  # from the tied embedding: its key is taken
    assert len(head) == 1, sorted(values)[-4:]
    return [ck], read_torch(ck), _all(h4._unscored(values, head), d), []


def b_nystromformer_dp_mlm_to_cls(d):
    import torch.nn as nn
    from transformers import NystromformerConfig, NystromformerForMaskedLM, NystromformerForSequenceClassification

    cfg = NystromformerConfig(vocab_size=61, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=24, max_position_embeddings=64, segment_means_seq_len=16,
                              num_landmarks=4, conv_kernel_size=5, num_labels=3)
    src = NystromformerForMaskedLM(cfg)
    fill_random_torch(src, "nystrom")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "nystromformer_dp.pt")
    tgt = NystromformerForSequenceClassification(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.nystromformer.load_state_dict(src.nystromformer.state_dict())  # construction: the base; the head new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_w2v2bert_lightning_ctc_to_base(d):
    import torch.nn as nn
    from transformers import Wav2Vec2BertConfig, Wav2Vec2BertForCTC, Wav2Vec2BertModel

    cfg = Wav2Vec2BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=24, feature_projection_input_dim=20, conv_depthwise_kernel_size=5,
                             output_hidden_size=16, position_embeddings_type="relative_key",
                             left_max_position_embeddings=8, right_max_position_embeddings=8, add_adapter=False)
    module = nn.Module()
    module.model = Wav2Vec2BertForCTC(cfg)
    fill_random_torch(module, "w2v2bert")
    ck = _save_pt(d, module.state_dict(), "epoch=11-step=2400.pt")
    tgt = Wav2Vec2BertModel(cfg)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(module.model.wav2vec2_bert.state_dict())  # construction: the base; the CTC head unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# mixture-of-experts, egnn-pytorch (run from the unpacked wheels, never copied) and PyTorch nets written here

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL26", "/work/coord/material-heldout26")
PACKAGES = ["mixture-of-experts==0.2.3", "egnn-pytorch==0.2.8", "keras-mdn-layer==1.0.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _moe(dim=16, experts=4, hidden=32):
    return _pkg("mixture_of_experts", "mixture_of_experts").MoE(dim=dim, num_experts=experts, hidden_dim=hidden)


def _egnn():
    """egnn_pytorch/egnn_pytorch.py by itself (the package __init__ imports the torch-geometric variant)."""
    import importlib.util

    name = "_h26_egnn_pytorch"
    if name not in sys.modules:
        path = os.path.join(MATERIAL, "egnn_pytorch", "egnn_pytorch", "egnn_pytorch.py")
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return sys.modules[name]


def _mdn():
    return _pkg("keras_mdn_layer", "keras_mdn_layer").MDN


def b_moe_torch_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    src = nn.Module()
    src.embed = nn.Embedding(50, 16)
    src.moe = _moe()
    src.norm = nn.LayerNorm(16)
    src.head = nn.Linear(16, 7)
    fill_random_torch(src, "moe")
    ck = _save_pt(d, src.state_dict(), "moe_tagger.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    assert sd["moe.experts.w1"].shape == (4, 16, 32), sorted(sd)
    keras.backend.clear_session()
    ids = keras.Input((10,), dtype="int32")
    emb, router = L.Embedding(50, 16), L.Dense(4, use_bias=False)
    up = L.EinsumDense("btd,edh->bteh", (10, 4, 32))
    down = L.EinsumDense("bteh,ehd->bted", (10, 4, 16))
    ln, head, aux = L.LayerNormalization(), L.Dense(7), L.Dense(2)
    h = emb(ids)
    gate = L.Softmax()(router(h))
    y = keras.ops.einsum("bted,bte->btd", down(L.ReLU()(up(h))), gate)
    h = ln(L.Add()([h, y]))
    tgt = keras.Model(ids, [head(h), aux(h)])
    fill_random(tgt.weights, "tgt")
    emb.set_weights([sd["embed.weight"]])  # construction: the auxiliary head new
    router.set_weights([sd["moe.gate.w_gating"]])
    up.set_weights([sd["moe.experts.w1"]])
    down.set_weights([sd["moe.experts.w2"]])
    ln.set_weights([sd["norm.weight"], sd["norm.bias"]])
    head.set_weights([sd["head.weight"].T, sd["head.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _moe_block(order):
    import torch.nn as nn

    b = nn.Module()
    parts = {"norm1": lambda: nn.LayerNorm(16), "attn": lambda: nn.MultiheadAttention(16, 2, batch_first=True),
             "norm2": lambda: nn.LayerNorm(16), "ffn": _moe, "moe": _moe}
    for n in order:
        setattr(b, n, parts[n]())
    return b


def b_moe_blocks_compiled_reordered(d):
    import torch.nn as nn

    src = nn.Module()
    src.embed = nn.Embedding(61, 16)
    src.blocks = nn.ModuleList(_moe_block(("norm1", "attn", "norm2", "ffn")) for _ in range(2))
    fill_random_torch(src, "moeblocks")
    ck = _save_pt(d, _compiled_sd(src), "moe_blocks.pt")
    assert "_orig_mod.blocks.1.ffn.experts.w2" in read_torch(ck)
    tgt = nn.Module()
    tgt.backbone = nn.Module()
    tgt.backbone.embed = nn.Embedding(61, 16)
    tgt.backbone.blocks = nn.ModuleList(_moe_block(("moe", "norm2", "attn", "norm1")) for _ in range(2))
    tgt.cls = nn.Linear(16, 4)
    fill_random_torch(tgt, "tgt")
    tgt.backbone.embed.load_state_dict(src.embed.state_dict())  # construction: the head new
    for t, s in zip(tgt.backbone.blocks, src.blocks, strict=True):
        for tn, sn in (("moe", "ffn"), ("norm2", "norm2"), ("attn", "attn"), ("norm1", "norm1")):
            getattr(t, tn).load_state_dict(getattr(s, sn).state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _egnn_net():
    return _egnn().EGNN_Network(num_tokens=12, dim=16, depth=3, num_nearest_neighbors=4)


def b_egnn_dp_into_property_model(d):
    import torch.nn as nn

    src = _egnn_net()
    fill_random_torch(src, "egnn")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "egnn_dp.pt")
    assert "module.layers.2.1.edge_mlp.0.weight" in read_torch(ck), sorted(read_torch(ck))[:8]
    tgt = nn.Module()
    tgt.encoder = _egnn_net()
    tgt.readout = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 1))
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.state_dict())  # construction: the readout new
    return [ck], read_torch(ck), _pt_values(tgt, d), []


EGNN_ROLES = {"layer.edge_mlp.0": "edge_in", "layer.edge_mlp.3": "edge_out", "layer.node_norm": "node_ln",
              "layer.node_mlp.0": "node_in", "layer.node_mlp.3": "node_out", "layer.coors_mlp.0": "coord_in",
              "layer.coors_mlp.3": "coord_out"}


def b_egnn_layer_torch_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L

    src = nn.Module()
    src.atom_emb = nn.Embedding(12, 16)
    src.layer = _egnn().EGNN(dim=16, norm_feats=True)
    fill_random_torch(src, "egnnlayer")
    ck = _save_pt(d, src.state_dict(), "egnn_layer.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    mods = dict(src.named_modules())
    keras.backend.clear_session()
    ids = keras.Input((6,), dtype="int32")
    emb = L.Embedding(12, 16, name="atom_embedding")
    inputs, outs, made = [ids], [emb(ids)], {}
    for path, role in EGNN_ROLES.items():
        m = mods[path]
        if isinstance(m, nn.LayerNorm):
            lay, n_in = L.LayerNormalization(epsilon=m.eps, name=role), m.normalized_shape[0]
        else:
            lay, n_in = L.Dense(m.out_features, name=role), m.in_features
        x = keras.Input((n_in,))
        inputs.append(x)
        outs.append(lay(x))
        made[path] = lay
    tgt = keras.Model(inputs, outs)
    fill_random(tgt.weights, "tgt")
    emb.set_weights([sd["atom_emb.weight"]])  # construction: a twin layer for each
    for path, lay in made.items():
        w, b = sd[path + ".weight"], sd[path + ".bias"]
        lay.set_weights([w, b] if isinstance(lay, L.LayerNormalization) else [w.T, b])
    values = _all(spec_and_values(tgt, d), d)
    assert len(values) == 15, sorted(values)
    return [ck], read_torch(ck), values, []


def _rel_gnn(kind):
    import torch.nn as nn

    def conv():
        c = nn.Module()
        c.msg, c.upd = nn.Linear(16, 16), nn.Linear(32, 16)
        return c

    m = nn.Module()
    m.atom_emb = nn.Embedding(20, 16)
    m.convs = nn.ModuleDict({"bond": conv(), "angle": conv()}) if kind == "dict" else nn.ModuleList([conv(), conv()])
    m.readout = nn.Linear(16, 1)
    return m


def b_relational_gnn_dict_to_list_abstain(d):
    src = _rel_gnn("dict")
    fill_random_torch(src, "rgnn")
    ck = _save_pt(d, src.state_dict(), "rgnn.pt")
    tgt = _rel_gnn("list")
    fill_random_torch(tgt, "tgt")
    tgt.atom_emb.load_state_dict(src.atom_emb.state_dict())  # construction: the edge types sorted
    for i, k in enumerate(sorted(src.convs)):
        tgt.convs[i].load_state_dict(src.convs[k].state_dict())
    tgt.readout.load_state_dict(src.readout.state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("convs."))
    assert len(amb) == 8, amb
    return [ck], read_torch(ck), values, amb


# ---------------------------------------------------------------------------------------------------------
# keras-mdn-layer (run from the unpacked wheel, never copied) and Keras 3 models written here

def _mdn_model(seq=False):
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    if seq:
        inp = keras.Input((5, 8))
        lstm = L.LSTM(32)
        mdn = _mdn()(2, 3, name="mdn")
        return keras.Model(inp, mdn(lstm(inp)), name="mdn_rnn"), [lstm, mdn]
    inp = keras.Input((8,))
    d1, ln, d2 = L.Dense(32, activation="relu"), L.LayerNormalization(), L.Dense(32, activation="relu")
    mdn = _mdn()(2, 3, name="mdn")
    return keras.Model(inp, mdn(d2(ln(d1(inp))))), [d1, ln, d2, mdn]


def _mdn_twin(heads):
    import torch.nn as nn

    m = nn.Module()
    m.trunk = nn.Sequential(nn.Linear(8, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    if heads == "list":
        m.heads = nn.ModuleList([nn.Linear(32, 6), nn.Linear(32, 6), nn.Linear(32, 3)])
    else:
        m.mdn = nn.Module()
        m.mdn.mu, m.mdn.sigma, m.mdn.pi = nn.Linear(32, 6), nn.Linear(32, 6), nn.Linear(32, 3)
    return m


def b_mdn_k3_to_torch(d):
    src, (d1, ln, d2, mdn) = _mdn_model()
    fill_random(src.weights, "mdn")
    ck = os.path.join(d, "ckpt", "mdn.keras")
    src.save(ck)
    twin = _mdn_twin("named")
    fill_random_torch(twin, "twin")
    _lin(twin.trunk[0], d1.kernel, d1.bias)  # construction
    _put_t(twin.trunk[1].weight, _np(ln.gamma))
    _put_t(twin.trunk[1].bias, _np(ln.beta))
    _lin(twin.trunk[3], d2.kernel, d2.bias)
    for t, lay in ((twin.mdn.mu, mdn.mdn_mus), (twin.mdn.sigma, mdn.mdn_sigmas), (twin.mdn.pi, mdn.mdn_pi)):
        _lin(t, lay.kernel, lay.bias)
    stored = heldout2.read_keras_zip(ck, d)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_mdn_torch_heads_list_to_k3_abstain(d):
    src = _mdn_twin("list")
    fill_random_torch(src, "mdnlist")
    ck = _save_pt(d, src.state_dict(), "mdn_heads.pt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    tgt, (d1, ln, d2, mdn) = _mdn_model()
    fill_random(tgt.weights, "tgt")
    d1.set_weights([sd["trunk.0.weight"].T, sd["trunk.0.bias"]])  # construction: heads 0, 1, 2 = mus, sigmas, pi
    ln.set_weights([sd["trunk.1.weight"], sd["trunk.1.bias"]])
    d2.set_weights([sd["trunk.3.weight"].T, sd["trunk.3.bias"]])
    for i, lay in enumerate((mdn.mdn_mus, mdn.mdn_sigmas, mdn.mdn_pi)):
        lay.set_weights([sd[f"heads.{i}.weight"].T, sd[f"heads.{i}.bias"]])
    values = _all(spec_and_values(tgt, d), d)
    amb = sorted(n for n in values if "mdn_mus" in n or "mdn_sigmas" in n)
    assert len(amb) == 4, sorted(values)
    return [ck], read_torch(ck), values, amb


def b_mdn_rnn_nested_in_world_model(d):
    import keras
    from keras import layers as L

    src, _ = _mdn_model(seq=True)
    fill_random(src.weights, "mdnrnn")
    sw = src.get_weights()
    ck = os.path.join(d, "ckpt", "mdn_rnn.weights.h5")
    src.save_weights(ck)
    keras.backend.clear_session()
    img, z_seq = keras.Input((16, 16, 3)), keras.Input((5, 8))
    conv, z = L.Conv2D(8, 3, strides=2, activation="relu"), L.Dense(8)
    z_img = z(L.Flatten()(conv(img)))
    inp = keras.Input((5, 8))
    rnn = keras.Model(inp, _mdn()(2, 3, name="mdn")(L.LSTM(32)(inp)), name="mdn_rnn")
    tgt = keras.Model([img, z_seq], [z_img, rnn(z_seq)], name="world_model")
    fill_random(tgt.weights, "tgt")
    rnn.set_weights(sw)  # construction: the VAE encoder new
    return [ck], read_h5(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_speaker_film_to_torch(d):
    import keras
    import torch.nn as nn
    from keras import layers as L
    from keras import ops

    keras.backend.clear_session()
    audio, spk = keras.Input((32, 4)), keras.Input((1,), dtype="int32")
    emb = L.Embedding(10, 8)
    s = L.Flatten()(emb(spk))
    h, blocks = audio, []
    for c in (12, 16):
        conv, film = L.Conv1D(c, 3, padding="same"), L.Dense(2 * c)
        gamma, beta = ops.split(film(s), 2, axis=-1)
        h = L.ReLU()(conv(h) * (1.0 + gamma[:, None, :]) + beta[:, None, :])
        blocks.append((conv, film))
    head = L.Dense(5)
    src = keras.Model([audio, spk], head(L.GlobalAveragePooling1D()(h)))
    fill_random(src.weights, "film")
    ck = os.path.join(d, "ckpt", "speaker_film.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.speaker = nn.Embedding(10, 8)
    twin.blocks = nn.ModuleList()
    for cin, c in ((4, 12), (12, 16)):
        b = nn.Module()
        b.conv, b.film = nn.Conv1d(cin, c, 3, padding=1), nn.Linear(8, 2 * c)
        twin.blocks.append(b)
    twin.head = nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    _put_t(twin.speaker.weight, _np(emb.embeddings))  # construction
    for t, (conv, film) in zip(twin.blocks, blocks, strict=True):
        _put_t(t.conv.weight, _np(conv.kernel).transpose(2, 1, 0))
        _put_t(t.conv.bias, _np(conv.bias))
        _lin(t.film, film.kernel, film.bias)
    _lin(twin.head, head.kernel, head.bias)
    return [ck], read_h5(ck), _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1)

def b_tfk_two_tower_h5_to_torch_abstain(d):
    import tf_keras
    import torch.nn as nn

    tf_keras.backend.clear_session()
    T = tf_keras.layers
    ins, towers = [], []
    for _ in range(2):
        x = tf_keras.Input((1,), dtype="int32")
        emb, fc = T.Embedding(50, 8), T.Dense(16, activation="relu")
        ins.append(x)
        towers.append((emb, fc, fc(T.Flatten()(emb(x)))))
    scorer = T.Dense(1)
    src = tf_keras.Model(ins, scorer(T.Concatenate()([t[2] for t in towers])))
    fill_random(src.weights, "twotower")
    ck = os.path.join(d, "ckpt", "two_tower.h5")
    src.save_weights(ck)
    twin = nn.Module()
    for name in ("user", "item"):
        t = nn.Module()
        t.emb, t.fc = nn.Embedding(50, 8), nn.Linear(8, 16)
        setattr(twin, name, t)
    twin.score = nn.Linear(32, 1)
    fill_random_torch(twin, "twin")
    for name, (emb, fc, _) in zip(("user", "item"), towers, strict=True):  # construction: first tower = user
        t = getattr(twin, name)
        _put_t(t.emb.weight, _np(emb.embeddings))
        _lin(t.fc, fc.kernel, fc.bias)
    _lin(twin.score, scorer.kernel, scorer.bias)
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("user.", "item.")))
    assert len(amb) == 6, amb
    return [ck], read_h5(ck), values, amb


def b_tfk_rnnt_tf_format_to_torch(d):
    import tensorflow as tf
    import tf_keras
    import torch.nn as nn

    tf_keras.backend.clear_session()
    T = tf_keras.layers
    feats, labels = tf_keras.Input((12, 10)), tf_keras.Input((6,), dtype="int32")
    enc_lstm = T.LSTM(16, return_sequences=True)
    emb, pred_lstm = T.Embedding(30, 8), T.LSTM(12, return_sequences=True)
    j_enc, j_pred, j_out = T.Dense(24), T.Dense(24), T.Dense(30)
    e = j_enc(enc_lstm(feats))
    p = j_pred(pred_lstm(emb(labels)))
    joint = T.Lambda(lambda t: tf.nn.tanh(t[0][:, :, None, :] + t[1][:, None, :, :]))([e, p])
    src = tf_keras.Model([feats, labels], j_out(joint))
    fill_random(src.weights, "rnnt")
    prefix = os.path.join(d, "ckpt", "rnnt")
    src.save_weights(prefix)
    stored = read_tf(prefix)
    assert "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE" in stored, sorted(stored)[:6]
    twin = nn.Module()
    twin.encoder, twin.predictor, twin.joiner = nn.Module(), nn.Module(), nn.Module()
    twin.encoder.lstm = nn.LSTM(10, 16, batch_first=True)
    twin.predictor.embed, twin.predictor.lstm = nn.Embedding(30, 8), nn.LSTM(8, 12, batch_first=True)
    twin.joiner.enc, twin.joiner.pred, twin.joiner.out = nn.Linear(16, 24), nn.Linear(12, 24), nn.Linear(24, 30)
    fill_random_torch(twin, "twin")
    for t, lay in ((twin.encoder.lstm, enc_lstm), (twin.predictor.lstm, pred_lstm)):  # construction: i, f, c/g, o
        k, r, b = lay.get_weights()
        _put_t(t.weight_ih_l0, k.T)
        _put_t(t.weight_hh_l0, r.T)
        _put_t(t.bias_ih_l0, b)  # bias_hh new
    _put_t(twin.predictor.embed.weight, _np(emb.embeddings))
    for t, lay in ((twin.joiner.enc, j_enc), (twin.joiner.pred, j_pred), (twin.joiner.out, j_out)):
        _lin(t, lay.kernel, lay.bias)
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_tfk_savedmodel_capsnet_to_torch(d):
    import tensorflow as tf
    import tf_keras
    import torch
    import torch.nn as nn

    class DigitCaps(tf_keras.layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight(name="W", shape=(64, 3, 8, 4))
            self.routing_bias = self.add_weight(name="routing_bias", shape=(3, 8))

        def call(self, u):
            u_hat = tf.einsum("bid,iokd->biok", u, self.W)
            return tf.reduce_mean(u_hat, axis=1) + self.routing_bias

    tf_keras.backend.clear_session()
    T = tf_keras.layers
    img = tf_keras.Input((12, 12, 1))
    conv1, prim = T.Conv2D(16, 3, activation="relu"), T.Conv2D(16, 3, strides=2)
    caps = DigitCaps()
    out = caps(T.Reshape((64, 4))(prim(conv1(img))))
    src = tf_keras.Model(img, tf.norm(out, axis=-1))
    fill_random(src.weights, "capsnet")
    sm = os.path.join(d, "ckpt", "capsnet_savedmodel")
    src.save(sm, save_format="tf")
    prefix = os.path.join(sm, "variables", "variables")
    stored = read_tf(prefix)
    twin = nn.Module()
    twin.conv1 = nn.Conv2d(1, 16, 3)
    twin.primary = nn.Module()
    twin.primary.conv = nn.Conv2d(16, 16, 3, stride=2)
    twin.digits = nn.Module()
    twin.digits.W = nn.Parameter(torch.zeros(64, 3, 8, 4))
    twin.digits.bias = nn.Parameter(torch.zeros(3, 8))
    fill_random_torch(twin, "twin")
    _conv(twin.conv1, conv1.kernel, conv1.bias)  # construction
    _conv(twin.primary.conv, prim.kernel, prim.bias)
    _put_t(twin.digits.W, _np(caps.W))
    _put_t(twin.digits.bias, _np(caps.routing_bias))
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _memn2n(names):
    """An end-to-end memory network of three hops; ``names`` gives each variable's full name."""
    import tensorflow as tf

    v1 = tf.compat.v1
    story = v1.placeholder(tf.int32, (None, 6, 5))
    q = v1.placeholder(tf.int32, (None, 5))
    var = {k: v1.get_variable(n, (16, 16) if k == "H" else (16, 40) if k == "W" else (40, 16))
           for k, n in names.items()}
    u = tf.reduce_sum(tf.nn.embedding_lookup(var["B"], q), 1)
    for i in range(3):
        m = tf.reduce_sum(tf.nn.embedding_lookup(var[f"A{i}"], story), 2)
        c = tf.reduce_sum(tf.nn.embedding_lookup(var[f"C{i}"], story), 2)
        p = tf.nn.softmax(tf.einsum("bmd,bd->bm", m, u))
        u = tf.matmul(u, var["H"]) + tf.einsum("bm,bmd->bd", p, c)
    return tf.matmul(u, var["W"])


def _memn2n_names(query, hop, memory, answer):
    names = {"B": query + "B", "H": memory + "H", "W": answer + "W"}
    for i in range(3):
        for k in "AC":
            names[f"{k}{i}"] = hop(i) + k
    return names


def b_tf1_memn2n_hops_renumbered(d):
    import tensorflow as tf

    sn = _memn2n_names("memn2n/", lambda i: f"memn2n/hop_{i}/", "memn2n/", "memn2n/")
    tn = _memn2n_names("model/query/", lambda i: f"model/memory/hop_{i + 1}/", "model/memory/", "model/answer/")
    src, names = _tf1_names(lambda: _memn2n(sn))
    prefix = _tf1_trained(d, src, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    stored = read_tf(prefix)
    assert "memn2n/hop_2/C/Adam_1" in stored and "memn2n/B" in stored, sorted(stored)
    g = tf.Graph()
    with g.as_default():
        _memn2n(tn)
        tnames = {v.op.name for v in tf.compat.v1.global_variables()}
    amap = {sn[k]: tn[k] for k in sn}  # construction: the hops numbered from 1
    assert set(amap) <= set(names) and set(amap.values()) == tnames, (sorted(names), sorted(tnames))
    values = tp._tf1_target(g, d, amap, prefix)  # init_from_checkpoint: the truth
    return [_rel(prefix, d)], stored, _all(values, d), []


def _deepsets():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 7, 3))
    with tf.compat.v1.variable_scope("phi"):
        h = L.dense(L.dense(x, 32, activation=tf.nn.relu), 32, activation=tf.nn.relu)
    with tf.compat.v1.variable_scope("rho"):
        return L.dense(L.dense(tf.reduce_sum(h, 1), 16, activation=tf.nn.relu), 4)


def b_tf1_deepsets_to_torch(d):
    import tensorflow as tf
    import torch.nn as nn

    prefix = _tf1_trained(d, _deepsets, lambda: tf.compat.v1.train.AdamOptimizer(0.01))
    a = read_tf(prefix)
    assert a["phi/dense_1/kernel"].shape == (32, 32), sorted(a)
    twin = nn.Module()
    twin.phi = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    twin.rho = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4))
    fill_random_torch(twin, "twin")
    for t, k in ((twin.phi[0], "phi/dense"), (twin.phi[2], "phi/dense_1"), (twin.rho[0], "rho/dense"),
                 (twin.rho[2], "rho/dense_1")):  # construction
        _lin(t, a[k + "/kernel"], a[k + "/bias"])
    return [_rel(prefix, d)], a, _all(spec_and_values(twin, d), d), []


def _tf1_film():
    import tensorflow as tf

    L = tf.compat.v1.layers
    x = tf.compat.v1.placeholder(tf.float32, (None, 8, 8, 3))
    cond = tf.compat.v1.placeholder(tf.float32, (None, 6))
    h = x
    for c in (16, 24):
        h = L.batch_normalization(L.conv2d(h, c, 3, padding="same"), center=False, scale=False, training=True)
        gamma, beta = tf.split(L.dense(cond, 2 * c), 2, axis=-1)
        h = tf.nn.relu(h * (1.0 + gamma[:, None, None]) + beta[:, None, None])
    return L.dense(tf.reduce_mean(h, axis=[1, 2]), 5)


def b_tf1_film_autonamed_to_k3_roles(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    prefix = _tf1_trained(d, _tf1_film, lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    a = read_tf(prefix)
    assert a["dense_1/kernel"].shape == (6, 48) and "batch_normalization_1/moving_mean" in a, sorted(a)
    keras.backend.clear_session()
    img, cond = keras.Input((8, 8, 3)), keras.Input((6,))
    h, made = img, []
    for i, c in enumerate((16, 24), 1):
        conv = L.Conv2D(c, 3, padding="same", name=f"block{i}_conv")
        bn = L.BatchNormalization(center=False, scale=False, name=f"block{i}_bn")
        film = L.Dense(2 * c, name=f"block{i}_film")
        gamma, beta = keras.ops.split(film(cond), 2, axis=-1)
        h = L.ReLU()(bn(conv(h)) * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :])
        made.append((conv, bn, film))
    cls = L.Dense(5, name="classifier")
    tgt = keras.Model([img, cond], cls(L.GlobalAveragePooling2D()(h)))
    fill_random(tgt.weights, "tgt")
    for i, (conv, bn, film) in enumerate(made):  # construction
        sfx = f"_{i}" if i else ""
        conv.set_weights([a[f"conv2d{sfx}/kernel"], a[f"conv2d{sfx}/bias"]])
        bn.set_weights([a[f"batch_normalization{sfx}/moving_mean"], a[f"batch_normalization{sfx}/moving_variance"]])
        film.set_weights([a[f"dense{sfx}/kernel"], a[f"dense{sfx}/bias"]])
    cls.set_weights([a["dense_2/kernel"], a["dense_2/bias"]])
    return [_rel(prefix, d)], a, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_router_experts_to_torch_moe(d):
    import keras
    import tensorflow as tf
    import torch.nn as nn
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((10, 12))
    proj, router = L.Dense(16), L.Dense(4, use_bias=False)
    up = L.EinsumDense("btd,edh->bteh", (10, 4, 32))
    down = L.EinsumDense("bteh,ehd->bted", (10, 4, 16))
    head = L.Dense(3)
    h = proj(x)
    gate = L.Softmax()(router(h))
    h = L.Add()([h, keras.ops.einsum("bted,bte->btd", down(L.ReLU()(up(h))), gate)])
    src = keras.Model(x, head(h))
    fill_random(src.weights, "k3moe")
    prefix = tf.train.Checkpoint(model=src, step=tf.Variable(1200, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "ckpt-1200"))
    twin = nn.Module()
    twin.proj, twin.moe, twin.head = nn.Linear(12, 16), _moe(), nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _lin(twin.proj, proj.kernel, proj.bias)  # construction
    _put_t(twin.moe.gate.w_gating, _np(router.kernel))
    _put_t(twin.moe.experts.w1, _np(up.kernel))
    _put_t(twin.moe.experts.w2, _np(down.kernel))
    _lin(twin.head, head.kernel, head.bias)
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_module_hypernet_to_torch(d):
    import tensorflow as tf
    import torch
    import torch.nn as nn

    class HyperNet(tf.Module):
        def __init__(self):
            super().__init__()
            self.layer_codes = _tf_var("codes", (3, 8))
            self.gen = {"w_weights": _tf_var("gw", (8, 256)), "w_bias": _tf_var("gb", (8, 16))}
            self.stem = {"w": _tf_var("sw", (4, 16)), "b": _tf_var("sb", (16,))}
            self.head = {"w": _tf_var("hw", (16, 2)), "b": _tf_var("hb", (2,))}

    m = HyperNet()
    prefix = tf.train.Checkpoint(model=m).write(os.path.join(d, "ckpt", "hyper-5"))
    twin = nn.Module()
    twin.codes = nn.Parameter(torch.zeros(3, 8))
    twin.hyper = nn.Module()
    twin.hyper.weight_gen, twin.hyper.bias_gen = nn.Linear(8, 256, bias=False), nn.Linear(8, 16, bias=False)
    twin.stem, twin.head = nn.Linear(4, 16), nn.Linear(16, 2)
    fill_random_torch(twin, "twin")
    _put_t(twin.codes, _np(m.layer_codes))  # construction
    _lin(twin.hyper.weight_gen, m.gen["w_weights"])
    _lin(twin.hyper.bias_gen, m.gen["w_bias"])
    _lin(twin.stem, m.stem["w"], m.stem["b"])
    _lin(twin.head, m.head["w"], m.head["b"])
    return [_rel(prefix, d)], read_tf(prefix), _all(spec_and_values(twin, d), d), []


def b_tf2_critic_ensemble_to_two_abstain(d):
    import tensorflow as tf
    import torch
    import torch.nn as nn

    class Agent(tf.Module):
        def __init__(self):
            super().__init__()
            self.actor = {"l1_w": _tf_var("a1", (8, 32)), "l1_b": _tf_var("a1b", (32,)),
                          "l2_w": _tf_var("a2", (32, 2)), "l2_b": _tf_var("a2b", (2,))}
            self.critics = [{"w1": _tf_var(f"c{i}w1", (10, 32)), "b1": _tf_var(f"c{i}b1", (32,)),
                             "w2": _tf_var(f"c{i}w2", (32, 1)), "b2": _tf_var(f"c{i}b2", (1,))} for i in range(3)]
            self.log_alpha = _tf_var("alpha", (1,))

    agent = Agent()
    prefix = tf.train.Checkpoint(agent=agent, step=tf.Variable(5000, dtype=tf.int64)).write(
        os.path.join(d, "ckpt", "agent-5000"))
    twin = nn.Module()
    twin.actor = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
    twin.q1 = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
    twin.q2 = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
    twin.log_alpha = nn.Parameter(torch.zeros(1))
    fill_random_torch(twin, "twin")
    _lin(twin.actor[0], agent.actor["l1_w"], agent.actor["l1_b"])  # construction: critics 0 and 2
    _lin(twin.actor[2], agent.actor["l2_w"], agent.actor["l2_b"])
    for t, c in ((twin.q1, agent.critics[0]), (twin.q2, agent.critics[2])):
        _lin(t[0], c["w1"], c["b1"])
        _lin(t[2], c["w2"], c["b2"])
    _put_t(twin.log_alpha, _np(agent.log_alpha))
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n in values if n.startswith(("q1.", "q2.")))
    assert len(amb) == 8, amb
    return [_rel(prefix, d)], read_tf(prefix), values, amb


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
    """The mixture-of-experts, egnn-pytorch and keras-mdn-layer wheels unpacked by thirdparty's fetch_wheels; the
    rest is the venv's."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
