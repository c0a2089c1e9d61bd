"""The alignment scenarios: what each one builds, on which side, with which framework.

Pure Python (no framework imports): ``make.py``, ``score.py`` and the pytest all import it.

A scenario is a *source* (the model that wrote the checkpoint) and a *target* (the model that will load it),
each built by a real framework in a worker process (``tf_side.py`` / ``torch_side.py``). Every weight of
both models carries a **logical id** ``"<layer>:<role>"`` (role: ``w`` kernel/weight, ``b`` bias/beta,
``g`` gamma/LayerNorm-BN scale, ``mean``/``var`` BN statistics, ``emb`` embedding table). Two weights are
true partners exactly when they carry the same logical id; that is how the truth is constructed, and nothing
else decides it (see make.py for how ids are tied to checkpoint keys and model names).

Architecture descriptions ("arch") are lists of entries ``{"path": ..., "leaf": ..., "lid": ..., **params}``:

* ``dense`` (in, out, bias=True) - TF: ``path/kernel`` [in, out], ``path/bias``; torch ``nn.Linear``
* ``conv`` (cin, cout, k) - TF: ``path/kernel`` [k, k, cin, cout]; torch ``nn.Conv2d`` [cout, cin, k, k]
* ``bn`` (c) - TF: gamma, beta, moving_mean, moving_variance; torch ``nn.BatchNorm2d``
* ``ln`` (d) - TF: gamma, beta; torch ``nn.LayerNorm`` (weight, bias)
* ``ln_legacy`` (d) - torch only: a LayerNorm module with ``gamma``/``beta`` parameters (pytorch-pretrained-bert)
* ``emb`` (n, d, raw=False) - TF: ``path/embeddings`` or, with raw, the variable ``path`` itself; torch
  ``nn.Embedding``
* ``relu`` / ``dropout`` - torch only, no weights (they shift ``nn.Sequential`` indices)

TF paths use ``/`` and may end a component with ``*`` for TF's own auto-numbering
(``variable_scope(None, default_name=...)``: ``dense``, ``dense_1``, ...). Torch paths use ``.``.
Keras architectures (``keras`` list) use their own small language, see ``tf_side.keras_layers``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

TF_LAYOUT, TORCH_LAYOUT = "tf", "torch"


@dataclass(frozen=True)
class Side:
    framework: str  # "tf" (tensorflow / tf_keras / keras 3 worker) or "torch"
    builder: str  # function name in tf_side.py / torch_side.py
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    source: Side  # writes the checkpoint
    target: Side  # the model that loads it (its spec is what the engine sees)
    adversarial: bool = False
    ambiguous_ok: tuple[str, ...] = ()  # target *layer* ids whose partner no algorithm can know
    tags: tuple[str, ...] = ()
    fast: bool = False  # candidate for the pytest subset

    @property
    def frameworks(self) -> set[str]:
        return {self.source.framework, self.target.framework}


# ---------------------------------------------------------------------------------------------------------
# Architecture helpers (framework-neutral descriptions)

def dense(path, i, o, lid, bias=True):
    return {"path": path, "leaf": "dense", "in": i, "out": o, "lid": lid, "bias": bias}


def conv(path, ci, co, k, lid):
    return {"path": path, "leaf": "conv", "cin": ci, "cout": co, "k": k, "lid": lid}


def bn(path, c, lid):
    return {"path": path, "leaf": "bn", "c": c, "lid": lid}


def ln(path, d, lid, legacy=False):
    return {"path": path, "leaf": "ln_legacy" if legacy else "ln", "d": d, "lid": lid}


def emb(path, n, d, lid, raw=False):
    return {"path": path, "leaf": "emb", "n": n, "d": d, "lid": lid, "raw": raw}


def rnn(path, i, h, lid, cell="lstm"):
    return {"path": path, "leaf": cell, "in": i, "h": h, "lid": lid}


def nop(path, kind="relu"):
    return {"path": path, "leaf": kind, "lid": None}


def mlp_arch(sep, prefix, widths, names=None, lids=None):
    """Dense layers ``widths[0] -> widths[1] -> ...``; names default to ``fc1, fc2, ...``."""
    n = len(widths) - 1
    names = names or [f"fc{i + 1}" for i in range(n)]
    lids = lids or [f"fc{i + 1}" for i in range(n)]
    pre = prefix + sep if prefix else ""
    return [dense(pre + names[i], widths[i], widths[i + 1], lids[i]) for i in range(n)]


def bert_arch(style, prefix="bert", layers=2, h=32, inter=64, vocab=97, pos=40, types=2):
    """A BERT encoder, named as google-research/bert (TF1, style "tf1"), Hugging Face PyTorch (style "hf") or
    Hugging Face TFBertModel (style "hf_tf2": ``tf_bert_model/bert/encoder/layer_._0/...``)."""
    s = "." if style == "hf" else "/"

    def p(*parts):
        return s.join([x for x in (prefix, *parts) if x])

    if style == "hf_tf2":  # Hugging Face TFBertModel: word_embeddings/weight, others .../embeddings
        arch = [{"path": p("embeddings", "word_embeddings", "weight"), "leaf": "var", "shape": [vocab, h],
                 "role": "emb", "kind": "emb", "lid": "emb.word"},
                emb(p("embeddings", "token_type_embeddings"), types, h, "emb.type"),
                emb(p("embeddings", "position_embeddings"), pos, h, "emb.pos")]
    else:
        raw = style == "tf1"
        arch = [emb(p("embeddings", "word_embeddings"), vocab, h, "emb.word", raw=raw),
                emb(p("embeddings", "token_type_embeddings"), types, h, "emb.type", raw=raw),
                emb(p("embeddings", "position_embeddings"), pos, h, "emb.pos", raw=raw)]
    arch.append(ln(p("embeddings", "LayerNorm"), h, "emb.ln"))
    for i in range(layers):
        lay = {"tf1": f"layer_{i}", "hf": f"layer.{i}", "hf_tf2": f"layer_._{i}"}[style]
        q = functools.partial(p, "encoder", lay)
        L = f"L{i}."
        arch += [dense(q("attention", "self", "query"), h, h, L + "q"),
                 dense(q("attention", "self", "key"), h, h, L + "k"),
                 dense(q("attention", "self", "value"), h, h, L + "v"),
                 dense(q("attention", "output", "dense"), h, h, L + "ao"),
                 ln(q("attention", "output", "LayerNorm"), h, L + "aln"),
                 dense(q("intermediate", "dense"), h, inter, L + "i"),
                 dense(q("output", "dense"), inter, h, L + "o"),
                 ln(q("output", "LayerNorm"), h, L + "oln")]
    arch += [dense(p("pooler", "dense"), h, h, "pool")]
    return arch


def cnn_torch_arch(prefix=""):
    pre = prefix + "." if prefix else ""
    return [conv(pre + "conv1", 3, 8, 3, "c1"), bn(pre + "bn1", 8, "n1"),
            conv(pre + "conv2", 8, 16, 3, "c2"), bn(pre + "bn2", 16, "n2"),
            conv(pre + "conv3", 16, 24, 1, "c3"), bn(pre + "bn3", 24, "n3"),
            dense(pre + "fc", 24, 10, "fc")]


# Keras descriptions: {"t": dense|conv|bn|ln|emb|relu|gap, ...}
CNN_KERAS = [{"t": "conv", "filters": 8, "k": 3, "name": "conv1", "lid": "c1"},
             {"t": "bn", "name": "bn1", "lid": "n1"}, {"t": "relu"},
             {"t": "conv", "filters": 16, "k": 3, "name": "conv2", "lid": "c2"},
             {"t": "bn", "name": "bn2", "lid": "n2"}, {"t": "relu"},
             {"t": "conv", "filters": 24, "k": 1, "name": "conv3", "lid": "c3"},
             {"t": "bn", "name": "bn3", "lid": "n3"}, {"t": "relu"},
             {"t": "gap"}, {"t": "dense", "units": 10, "name": "fc", "lid": "fc"}]
CNN_INPUT = [12, 12, 3]


def keras_mlp(widths, names=None, lids=None):
    n = len(widths) - 1
    out = []
    for i in range(n):
        d = {"t": "dense", "units": widths[i + 1], "lid": (lids or [f"fc{j + 1}" for j in range(n)])[i]}
        if names is not False:
            d["name"] = (names or [f"fc{j + 1}" for j in range(n)])[i]
        out.append(d)
    return out


def resnetish_keras(stages, insert_after=None):
    """Conv+BN stages with distinct widths (auto-named conv2d_k / batch_normalization_k), then a dense head.
    ``insert_after``: index of the stage after which an extra 1x1 conv + BN is inserted (ids ``new.c``/``new.n``)."""
    widths = [8 + 2 * i for i in range(stages)]
    out = []
    for i, w in enumerate(widths):
        out += [{"t": "conv", "filters": w, "k": 3, "lid": f"s{i}.c"}, {"t": "bn", "lid": f"s{i}.n"}, {"t": "relu"}]
        if insert_after == i:
            out += [{"t": "conv", "filters": w, "k": 1, "lid": "new.c"}, {"t": "bn", "lid": "new.n"}]
    return out + [{"t": "gap"}, {"t": "dense", "units": 5, "lid": "head"}]


def resnetish_tf1(scope, blocks=8):
    """TF1 ResNet-like body: per block conv_a/bn_a/conv_b/bn_b with auto-numbered names inside ``scope``."""
    arch, c = [], 4
    for b in range(blocks):
        co = 6 + 2 * b
        arch += [conv(f"{scope}/conv2d*", c, co, 3, f"b{b}.ca"), bn(f"{scope}/batch_normalization*", co, f"b{b}.na"),
                 conv(f"{scope}/conv2d*", co, co, 1, f"b{b}.cb"), bn(f"{scope}/batch_normalization*", co, f"b{b}.nb")]
        c = co
    return arch + [dense(f"{scope}/logits", c, 7, "logits")]


def llama_arch(prefix, layers=2, h=24, inter=40, vocab=53, head=False):
    pre = prefix + "." if prefix else ""
    arch = [emb(pre + "embed_tokens", vocab, h, "tok")]
    for i in range(layers):
        L = f"L{i}."
        q = f"{pre}layers.{i}."
        arch += [ln(q + "input_layernorm", h, L + "in_ln"),
                 dense(q + "self_attn.q_proj", h, h, L + "q", bias=False),
                 dense(q + "self_attn.k_proj", h, h, L + "k", bias=False),
                 dense(q + "self_attn.v_proj", h, h, L + "v", bias=False),
                 dense(q + "self_attn.o_proj", h, h, L + "o", bias=False),
                 ln(q + "post_attention_layernorm", h, L + "post_ln"),
                 dense(q + "mlp.gate_proj", h, inter, L + "gate", bias=False),
                 dense(q + "mlp.up_proj", h, inter, L + "up", bias=False),
                 dense(q + "mlp.down_proj", inter, h, L + "down", bias=False)]
    arch += [ln(pre + "norm", h, "norm")]
    if head:
        arch += [dense("lm_head", h, vocab, "lm_head", bias=False)]
    return arch


def blocks_arch(sep, n_blocks, keep=None, prefix="", renumber=True):
    """A stem, ``n_blocks`` identical residual blocks and a head. ``keep``: which original blocks the model has
    (their logical ids stay those of the original blocks); with renumber the kept blocks are numbered 0.. again."""
    keep = list(range(n_blocks)) if keep is None else keep
    pre = prefix + sep if prefix else ""
    arch = [dense(pre + "stem", 12, 32, "stem")]
    for pos, b in enumerate(keep):
        idx = pos if renumber else b
        blk = f"{pre}blocks{sep}{idx}{sep}"
        arch += [ln(blk + "norm", 32, f"blk{b}.ln"), dense(blk + "fc1", 32, 32, f"blk{b}.fc1"),
                 dense(blk + "fc2", 32, 32, f"blk{b}.fc2")]
    return arch + [dense(pre + "head", 32, 6, "head")]


# ---------------------------------------------------------------------------------------------------------
# The scenarios

def tf1(arch, **kw):
    return Side("tf", "tf1_vars", {"arch": arch, **kw})


def pt(arch, **kw):
    return Side("torch", "pt_net", {"arch": arch, **kw})


def keras(layers, input_shape, **kw):
    return Side("tf", "keras_net", {"layers": layers, "input_shape": input_shape, **kw})


def tfmod(arch, **kw):
    return Side("tf", "tf_module", {"arch": arch, **kw})


def _scenarios() -> list[Scenario]:
    S = Scenario
    seed = lambda scope: [{"path": f"{scope}/weight", "leaf": "var", "shape": [2, 1], "role": "w",  # noqa: E731
                           "kind": "dense", "lid": "lin"},
                          {"path": f"{scope}/bias", "leaf": "var", "shape": [1], "role": "b", "kind": "dense",
                           "lid": "lin"}]
    mlp_tf1 = lambda scope, **kw: [dense(f"{scope}/dense*", 20, 32, "fc1"),  # noqa: E731
                                   dense(f"{scope}/dense*", 32, 24, "fc2"), dense(f"{scope}/dense*", 24, 10, "fc3")]
    vgg = lambda sep: [conv(f"vgg_16/conv{b}{sep}{j}", ci, co, 3, f"conv{b}_{j}")  # noqa: E731
                       for b, j, ci, co in [(1, 1, 3, 8), (1, 2, 8, 8), (2, 1, 8, 12), (2, 2, 12, 12),
                                            (3, 1, 12, 16), (3, 2, 16, 16), (4, 1, 16, 20), (4, 2, 20, 20)]]
    ln_case = lambda name: [dense("encoder/attention/dense", 16, 16, "att"), ln(f"encoder/attention/{name}", 16, "ln1"),  # noqa: E731
                            dense("encoder/ffn/dense", 16, 32, "ffn"), ln(f"encoder/ffn/{name}", 32, "ln2")]
    mods = lambda prefix: [dense(f"{prefix}hidden", 10, 20, "h"), dense(f"{prefix}output", 20, 3, "o")]  # noqa: E731
    return [
        # ---- scope / prefix renamed, added, removed --------------------------------------------------------
        S("tf1_seed_scope_rename", "the seed: TF1 `model_scope/{weight,bias}` -> `different_model_scope/` (2 vars)",
          tf1(seed("model_scope")), tf1(seed("different_model_scope")), tags=("scope", "small"), fast=True),
        S("tf1_tower_prefix_added", "TF1 MLP saved as `net/dense*`, model built in a multi-GPU `tower_0/` scope",
          tf1(mlp_tf1("net")), tf1(mlp_tf1("tower_0/net")), tags=("scope",), fast=True),
        S("tf1_tower_prefix_removed", "TF1 MLP saved from `tower_0/net/`, model is the single-tower `net/`",
          tf1(mlp_tf1("tower_0/net")), tf1(mlp_tf1("net")), tags=("scope",)),
        S("tf1_resnet_scope_rename", "TF1 ResNet-like body (146 vars, auto-numbered conv2d_k/batch_normalization_k)"
          " `resnet_v1/` -> `backbone/`", tf1(resnetish_tf1("resnet_v1", 12)), tf1(resnetish_tf1("backbone", 12)),
          tags=("scope", "medium")),
        S("pt_dataparallel_module_prefix", "PyTorch CNN saved from nn.DataParallel (`module.`), plain model",
          pt(cnn_torch_arch(), wrap="dataparallel"), pt(cnn_torch_arch()), tags=("prefix", "torch")),
        S("pt_module_prefix_added", "plain PyTorch CNN checkpoint, model wrapped in nn.DataParallel",
          pt(cnn_torch_arch()), pt(cnn_torch_arch(), wrap="dataparallel"), tags=("prefix", "torch")),
        S("pt_compile_orig_mod", "HF-style BERT (4 layers) saved from torch.compile (`_orig_mod.`), plain model",
          pt(bert_arch("hf", layers=4), wrap="compile"), pt(bert_arch("hf", layers=4)),
          tags=("prefix", "torch", "hf")),
        S("pt_compile_dataparallel", "PyTorch MLP saved from torch.compile(nn.DataParallel(m)) "
          "(`_orig_mod.module.`), plain model", pt(mlp_arch(".", "", [12, 24, 24, 6]), wrap="dataparallel+compile"),
          pt(mlp_arch(".", "", [12, 24, 24, 6])), tags=("prefix", "torch")),
        S("pt_hf_base_to_task", "HF base model checkpoint (`embeddings.`, `encoder.`), model is the task model "
          "with `bert.` prefix and a new `classifier` (missing)",
          pt(bert_arch("hf", prefix="")), pt(bert_arch("hf") + [dense("classifier", 32, 3, "cls")]),
          tags=("prefix", "torch", "hf")),
        S("pt_hf_task_to_base", "HF task checkpoint (`bert.` + `classifier`, unused), model is the base model",
          pt(bert_arch("hf") + [dense("classifier", 32, 3, "cls")]), pt(bert_arch("hf", prefix="")),
          tags=("prefix", "torch", "hf")),
        S("pt_llama_model_prefix", "LLaMA-like CausalLM checkpoint (`model.` + `lm_head`, unused), base model",
          pt(llama_arch("model", head=True)), pt(llama_arch("")), tags=("prefix", "torch", "hf")),
        S("pt_two_var_model_prefix", "2 vars: `model.linear.{weight,bias}` -> `linear.{weight,bias}`",
          pt([dense("model.linear", 5, 3, "lin")]), pt([dense("linear", 5, 3, "lin")]), tags=("prefix", "small")),
        S("keras_model_root_added", "tf.train.Checkpoint(model=m) (`model/` root) loaded into the Keras model as "
          "save_weights would (root ``), names shifted (`dense_3` vs `dense`)",
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], save="ckpt:model"),
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], decoys=3), tags=("root", "keras", "tf2")),
        S("keras_model_root_removed", "Keras save_weights (root ``) loaded via tf.train.Checkpoint(model=m) "
          "(`model/` root); names shifted (`dense` vs `dense_2`)",
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], save="save_weights"),
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], decoys=2, spec="ckpt:model"),
          tags=("root", "keras", "tf2")),
        S("keras_subclass_vs_sequential", "Keras Sequential save_weights (`layer_with_weights-k`) loaded into a "
          "subclassed model with attributes `encoder`, `hidden`, `head`",
          keras(keras_mlp([16, 32, 24, 8], names=["encoder", "hidden", "head"]), [16], save="save_weights"),
          keras(keras_mlp([16, 32, 24, 8], names=["encoder", "hidden", "head"]), [16], subclass=True),
          tags=("keras", "tf2", "object-paths")),
        S("keras3_names_to_tf1", "Keras 3 tf.train.Checkpoint (`sequential/dense/kernel` names) loaded by the "
          "TF1 version of the model (`dense/kernel`)",
          keras(keras_mlp([12, 20, 6], names=False), [12], save="ckpt:model", keras3=True),
          tf1([dense("dense*", 12, 20, "fc1"), dense("dense*", 20, 6, "fc2")]), tags=("keras3", "tf2", "tf1")),
        S("keras_h5_suffix_drift", "tf_keras save_weights('model.h5') with names `dense_3..5` loaded by name into "
          "the same model named `dense..dense_2`", keras(keras_mlp([16, 32, 24, 8], names=False), [16], decoys=3,
                                                      save="h5"),
          keras(keras_mlp([16, 32, 24, 8], names=False), [16]), tags=("suffix", "keras", "h5")),
        # ---- TF1 names <-> TF2 object paths -----------------------------------------------------------------
        S("tf1_saver_to_tf_module", "TF1 Saver checkpoint `model/mlp/{hidden,output}/...` loaded into a tf.Module "
          "(object paths `hidden/kernel`, names `mlp/hidden/kernel`)",
          tf1(mods("model/mlp/")), tfmod(mods(""), name="mlp"), tags=("tf1", "tf2", "object-paths")),
        S("tf_module_to_tf1_graph", "tf.Module object checkpoint (tf.train.Checkpoint(net=...)) loaded by a TF1 "
          "graph that builds the same variables under `model/`",
          tfmod(mods(""), name="mlp", save="ckpt:net"), tf1(mods("model/mlp/")), tags=("tf1", "tf2", "object-paths")),
        S("tf1_saver_to_keras_objects", "TF1 Saver checkpoint of a graph-mode Keras model (`dense_3/kernel`) "
          "loaded into the eager Keras model (object paths, names `dense/kernel`)",
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], graph=True, decoys=3),
          keras(keras_mlp([16, 32, 24, 8], names=False), [16]), tags=("tf1", "tf2", "keras", "suffix")),
        # ---- numeric suffix drift ---------------------------------------------------------------------------
        S("keras_suffix_offset", "graph-mode Keras, model built after 3 other Dense layers: `dense_3..5` vs "
          "`dense..dense_2` (TF1 Saver, name-based)",
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], graph=True, decoys=3),
          keras(keras_mlp([16, 32, 24, 8], names=False), [16], graph=True), tags=("suffix", "keras"), fast=True),
        S("keras_bn_inserted_shift", "graph-mode Keras conv/BN net (~100 vars): one 1x1 conv + BN inserted after "
          "stage 5, every later `conv2d_k`/`batch_normalization_k` shifts by one; inserted layers are new",
          keras(resnetish_keras(16), [8, 8, 3], graph=True),
          keras(resnetish_keras(16, insert_after=5), [8, 8, 3], graph=True), tags=("suffix", "keras", "medium")),
        S("keras_obj_suffix_offset", "Keras save_weights with names `dense_4..` loaded by the same model named "
          "`dense..` (object paths equal: TF2 restores it as is)",
          keras(keras_mlp([16, 32, 8], names=False), [16], decoys=4, save="save_weights"),
          keras(keras_mlp([16, 32, 8], names=False), [16]), tags=("suffix", "keras", "tf2")),
        S("pt_sequential_index_drift", "nn.Sequential `features.N` where Dropout layers were inserted: indices "
          "0,2,4,6 -> 0,3,6,9 (two same-shaped convs are order-only: ambiguous_ok)",
          pt([conv("features.0", 3, 16, 3, "c0"), nop("features.1"), conv("features.2", 16, 16, 3, "c1"),
              nop("features.3"), conv("features.4", 16, 16, 3, "c2"), nop("features.5"),
              conv("features.6", 16, 32, 3, "c3"), dense("classifier", 32, 4, "cls")]),
          pt([conv("features.0", 3, 16, 3, "c0"), nop("features.1"), nop("features.2", "dropout"),
              conv("features.3", 16, 16, 3, "c1"), nop("features.4"), nop("features.5", "dropout"),
              conv("features.6", 16, 16, 3, "c2"), nop("features.7"), nop("features.8", "dropout"),
              conv("features.9", 16, 32, 3, "c3"), dense("classifier", 32, 4, "cls")]),
          ambiguous_ok=("c1", "c2"), tags=("suffix", "torch")),
        # ---- separators and case ----------------------------------------------------------------------------
        S("tf1_dash_vs_underscore", "Caffe-converted VGG names `vgg_16/conv4-1/kernel` vs `vgg_16/conv4_1/kernel`",
          tf1(vgg("-")), tf1(vgg("_")), tags=("separator",), fast=True),
        S("tf1_case_layernorm", "`encoder/.../LayerNorm/gamma` vs `encoder/.../layer_norm/gamma`",
          tf1(ln_case("LayerNorm")), tf1(ln_case("layer_norm")), tags=("case",)),
        S("pt_layer_underscore_vs_list", "PyTorch attributes `layer_0.fc` vs ModuleList `layer.0.fc`",
          pt([dense(f"layer_{i}.fc", 8 + i, 9 + i, f"l{i}") for i in range(4)]),
          pt([dense(f"layer.{i}.fc", 8 + i, 9 + i, f"l{i}") for i in range(4)]), tags=("separator", "torch")),
        S("pt_legacy_gamma_beta", "pytorch-pretrained-bert LayerNorm `gamma`/`beta` vs `weight`/`bias`",
          pt([emb("embeddings.word_embeddings", 50, 16, "w"), ln("embeddings.LayerNorm", 16, "eln", legacy=True),
              dense("encoder.dense", 16, 16, "d"), ln("encoder.LayerNorm", 16, "ln", legacy=True)]),
          pt([emb("embeddings.word_embeddings", 50, 16, "w"), ln("embeddings.LayerNorm", 16, "eln"),
              dense("encoder.dense", 16, 16, "d"), ln("encoder.LayerNorm", 16, "ln")]), tags=("vocabulary", "torch")),
        # ---- cross-framework, same architecture -------------------------------------------------------------
        S("x_mlp_keras_to_torch", "Keras MLP (fc1..fc3) save_weights -> PyTorch MLP: kernel->weight transposed",
          keras(keras_mlp([20, 32, 24, 10]), [20], save="save_weights"), pt(mlp_arch(".", "", [20, 32, 24, 10])),
          tags=("cross",), fast=True),
        S("x_mlp_torch_to_keras", "PyTorch MLP -> Keras MLP: weight->kernel transposed",
          pt(mlp_arch(".", "", [20, 32, 24, 10])), keras(keras_mlp([20, 32, 24, 10]), [20]), tags=("cross",)),
        S("x_cnn_keras_to_torch", "Keras CNN (conv/BN/dense) tf.train.Checkpoint(model=...) -> PyTorch CNN: "
          "HWIO->OIHW, gamma/beta/moving_* -> weight/bias/running_*",
          keras(CNN_KERAS, CNN_INPUT, save="ckpt:model"), pt(cnn_torch_arch()), tags=("cross",)),
        S("x_cnn_torch_to_keras", "PyTorch CNN -> Keras CNN: OIHW->HWIO, running_* -> moving_*",
          pt(cnn_torch_arch()), keras(CNN_KERAS, CNN_INPUT), tags=("cross",)),
        S("x_cnn_keras_h5_to_torch", "tf_keras CNN save_weights('model.h5') (`conv1/kernel`, `bn1/moving_mean`) -> "
          "PyTorch CNN", keras(CNN_KERAS, CNN_INPUT, save="h5"), pt(cnn_torch_arch()), tags=("cross", "h5")),
        S("x_mlp_keras3_weights_h5_to_torch", "Keras 3 `.weights.h5` (`layers/dense/vars/0`, owner names fc1..) -> "
          "PyTorch MLP", keras(keras_mlp([20, 32, 24, 10]), [20], save="weights.h5", keras3=True),
          pt(mlp_arch(".", "", [20, 32, 24, 10])), tags=("cross", "h5", "keras3")),
        S("x_mlp_tf1_to_torch_sequential", "TF1 `mlp/dense*` MLP -> PyTorch nn.Sequential `net.0/net.2/net.4`",
          tf1(mlp_tf1("mlp")), pt([dense("net.0", 20, 32, "fc1"), nop("net.1"), dense("net.2", 32, 24, "fc2"),
                                  nop("net.3"), dense("net.4", 24, 10, "fc3")]), tags=("cross",)),
        S("x_lstm_keras_to_torch", "Keras LSTM -> PyTorch LSTM: kernel/recurrent_kernel -> weight_ih_l0/weight_hh_l0 "
          "transposed (same gate order); Keras' single bias is the sum of bias_ih+bias_hh: into bias_ih, bias_hh zero",
          keras([{"t": "emb", "n": 50, "d": 16, "name": "embedding", "lid": "emb"},
                 {"t": "lstm", "units": 24, "name": "lstm", "lid": "rnn"},
                 {"t": "dense", "units": 5, "name": "head", "lid": "head"}], [7], save="save_weights"),
          pt([emb("embedding", 50, 16, "emb"), rnn("lstm", 16, 24, "rnn"), dense("head", 24, 5, "head")]),
          tags=("cross", "rnn")),
        S("x_bert_tf1_to_hf", "google-research/bert TF1 checkpoint (6 layers, ~100 vars) -> HF-style PyTorch "
          "`bert.encoder.layer.N...`", tf1(bert_arch("tf1", layers=6)), pt(bert_arch("hf", layers=6)),
          tags=("cross", "hf", "medium")),
        S("x_bert_hf_tf2_to_torch", "Hugging Face TFBertModel names (`tf_bert_model/bert/encoder/layer_._0/...`, "
          "`word_embeddings/weight`) -> HF PyTorch `bert.encoder.layer.0...`",
          tf1(bert_arch("hf_tf2", prefix="tf_bert_model/bert")), pt(bert_arch("hf")), tags=("cross", "hf")),
        S("x_bert_hf_to_tf1", "HF-style PyTorch BERT (2 layers) -> google-research/bert TF1 graph",
          pt(bert_arch("hf")), tf1(bert_arch("tf1")), tags=("cross", "hf")),
        # ---- adversarial ------------------------------------------------------------------------------------
        S("adv_both_renamed_same_shape", "`enc/alpha`,`enc/beta` [16,16] renamed to `net/x`,`net/y` (x takes beta); "
          "only `enc/out`->`net/out` is knowable", tf1([dense("enc/alpha", 16, 16, "A"), dense("enc/beta", 16, 16, "B"),
                                                       dense("enc/out", 16, 4, "out")]),
          tf1([dense("net/x", 16, 16, "B"), dense("net/y", 16, 16, "A"), dense("net/out", 16, 4, "out")]),
          adversarial=True, ambiguous_ok=("A", "B"), tags=("adversarial",), fast=True),
        S("adv_repeated_block_removed", "4 identical blocks -> 3 (block 1 removed, ModuleList renumbered): "
          "no algorithm can tell which block went", pt(blocks_arch(".", 4)), pt(blocks_arch(".", 4, keep=[0, 2, 3])),
          adversarial=True, ambiguous_ok=("blk0", "blk1", "blk2", "blk3"), tags=("adversarial", "torch")),
        S("adv_repeated_block_removed_tf1", "TF1 `model/blocks/N` x4 -> `net/blocks/N` x3 (block 2 removed, "
          "renumbered) under a renamed scope", tf1(blocks_arch("/", 4, prefix="model")),
          tf1(blocks_arch("/", 4, keep=[0, 1, 3], prefix="net")),
          adversarial=True, ambiguous_ok=("blk0", "blk1", "blk2", "blk3"), tags=("adversarial",), fast=True),
        S("adv_composition_mismatch", "3 dense layers 8->32->16->4 vs 3 dense layers 8->16->32->5, same names: "
          "nothing loads", tf1(mlp_arch("/", "mlp", [8, 32, 16, 4], names=["dense", "dense_1", "dense_2"],
                                       lids=["a1", "a2", "a3"])),
          tf1(mlp_arch("/", "mlp", [8, 16, 32, 5], names=["dense", "dense_1", "dense_2"], lids=["b1", "b2", "b3"])),
          adversarial=True, tags=("adversarial",), fast=True),
        S("adv_composition_mismatch_renamed", "same as adv_composition_mismatch with the scope renamed "
          "(`encoder/` -> `net/`): biases [32],[16] have same-shaped strangers",
          tf1(mlp_arch("/", "encoder", [8, 32, 16, 4], names=["dense", "dense_1", "dense_2"], lids=["a1", "a2", "a3"])),
          tf1(mlp_arch("/", "net", [8, 16, 32, 5], names=["dense", "dense_1", "dense_2"], lids=["b1", "b2", "b3"])),
          adversarial=True, tags=("adversarial",)),
        S("adv_swapped_equal_shapes", "`model.encoder.proj_a/proj_b` [32,32] -> `encoder.proj_b` created first: "
          "names decide, order misleads", pt([dense("model.encoder.proj_a", 32, 32, "pa"),
                                              dense("model.encoder.proj_b", 32, 32, "pb"),
                                              dense("model.head", 32, 3, "head")]),
          pt([dense("encoder.proj_b", 32, 32, "pb"), dense("encoder.proj_a", 32, 32, "pa"),
              dense("head", 32, 3, "head")]),
          adversarial=True, tags=("adversarial", "torch")),
        S("adv_scope_rename_shape_change", "`model_scope/` -> `new_scope/` and dense_1 widened 32 -> 48: the "
          "changed layers must not be paired", tf1(mlp_arch("/", "model_scope", [16, 32, 32, 8],
                                                             names=["dense", "dense_1", "dense_2"])),
          tf1(mlp_arch("/", "new_scope", [16, 32, 48, 8], names=["dense", "dense_1", "dense_2"])),
          adversarial=True, tags=("adversarial", "scope")),
        S("adv_square_kernel_transpose", "TF1 MLP of square 16x16 kernels -> PyTorch: shapes agree, but every "
          "kernel needs a transpose", tf1(mlp_arch("/", "mlp", [16, 16, 16, 16, 16])),
          pt(mlp_arch(".", "mlp", [16, 16, 16, 16, 16])), adversarial=True, tags=("adversarial", "cross")),
        S("adv_suffix_shift_coincident_exact", "graph-mode Keras 8->16->16->16->4 saved as `dense_1..dense_4`, model "
          "`dense..dense_3`: the shift explains every layer; the exact `dense_2`<->`dense_2` match is a coincidence",
          keras(keras_mlp([8, 16, 16, 16, 4], names=False), [8], graph=True, decoys=1),
          keras(keras_mlp([8, 16, 16, 16, 4], names=False), [8], graph=True),
          adversarial=True, tags=("adversarial", "suffix"), fast=True),
        S("adv_suffix_offset_equal_widths", "graph-mode Keras 16->16->16->16 saved as `dense_1..3`, model `dense..2`: "
          "all shapes equal, so shift and exact names explain the files equally (ambiguous_ok)",
          keras(keras_mlp([16, 16, 16, 16], names=False), [16], graph=True, decoys=1),
          keras(keras_mlp([16, 16, 16, 16], names=False), [16], graph=True),
          adversarial=True, ambiguous_ok=("fc1", "fc2", "fc3"), tags=("adversarial", "suffix")),
        S("adv_suffix_offset_equal_widths_twin", "the mirror of adv_suffix_offset_equal_widths with identical names, "
          "shapes and order: here the model's first layer is new and `dense_1`,`dense_2` are the exact partners "
          "(together the two catch any guess)",
          keras(keras_mlp([16, 16, 16, 16], names=False), [16], graph=True, decoys=1),
          keras(keras_mlp([16, 16, 16, 16], names=False, lids=["new", "fc1", "fc2"]), [16], graph=True),
          adversarial=True, ambiguous_ok=("new", "fc1", "fc2"), tags=("adversarial", "suffix")),
        S("adv_transposed_shape_same_framework", "TF1 `mlp/fc1,fc2` 16->32->16 vs the model 32->16->32, same names: "
          "kernels fit only transposed, but within one framework a transpose is a different layer",
          tf1(mlp_arch("/", "mlp", [16, 32, 16], lids=["a1", "a2"])),
          tf1(mlp_arch("/", "mlp", [32, 16, 32], lids=["b1", "b2"])), adversarial=True, tags=("adversarial",)),
        S("adv_gru_gate_order", "Keras GRU -> PyTorch GRU: kernels fit after a transpose but the gate order "
          "differs (z,r,h vs r,z,n) and the biases are laid out differently: only embedding and head load",
          keras([{"t": "emb", "n": 50, "d": 16, "name": "embedding", "lid": "emb"},
                 {"t": "gru", "units": 24, "name": "gru", "lid": "gru_keras"},
                 {"t": "dense", "units": 5, "name": "head", "lid": "head"}], [7], save="ckpt:model"),
          pt([emb("embedding", 50, 16, "emb"), rnn("gru", 16, 24, "gru_torch", "gru"), dense("head", 24, 5, "head")]),
          adversarial=True, tags=("adversarial", "cross", "rnn")),
        S("adv_dense_inserted_bn_unshifted", "graph-mode Keras Dense/BN stack, one Dense(16) inserted after the first "
          "BN: `dense_k` shift, `batch_normalization_k` do not; the new layer and its same-shaped neighbour are "
          "ambiguous, exact `dense_2`<->`dense_2` is provably wrong",
          keras([{"t": "dense", "units": 16, "lid": "d0"}, {"t": "bn", "lid": "n0"},
                 {"t": "dense", "units": 16, "lid": "d1"}, {"t": "bn", "lid": "n1"},
                 {"t": "dense", "units": 16, "lid": "d2"}, {"t": "bn", "lid": "n2"},
                 {"t": "dense", "units": 4, "lid": "d3"}], [8], graph=True),
          keras([{"t": "dense", "units": 16, "lid": "d0"}, {"t": "bn", "lid": "n0"},
                 {"t": "dense", "units": 16, "lid": "new"},
                 {"t": "dense", "units": 16, "lid": "d1"}, {"t": "bn", "lid": "n1"},
                 {"t": "dense", "units": 16, "lid": "d2"}, {"t": "bn", "lid": "n2"},
                 {"t": "dense", "units": 4, "lid": "d3"}], [8], graph=True),
          adversarial=True, ambiguous_ok=("new", "d1"), tags=("adversarial", "suffix")),
        S("adv_attention_proj_renamed", "`attn.query/key/value/out` [32,32] -> `attn.v_proj/q_proj/k_proj/o_proj` "
          "created in another order: names changed beyond the vocabulary, order misleads (ambiguous_ok)",
          pt([dense("attn.query", 32, 32, "q"), dense("attn.key", 32, 32, "k"), dense("attn.value", 32, 32, "v"),
              dense("attn.out", 32, 32, "o"), dense("mlp.fc", 32, 64, "fc")]),
          pt([dense("attn.v_proj", 32, 32, "v"), dense("attn.q_proj", 32, 32, "q"), dense("attn.k_proj", 32, 32, "k"),
              dense("attn.o_proj", 32, 32, "o"), dense("mlp.fc", 32, 64, "fc")]),
          adversarial=True, ambiguous_ok=("q", "k", "v", "o"), tags=("adversarial", "torch")),
        S("adv_ema_duplicate", "checkpoint holds `model.*` and an EMA copy `ema.*` of the same tensors; the model "
          "`fc1`,`fc2` could take either (truth: `model.*`; ambiguous_ok)",
          pt([dense("model.fc1", 12, 24, "fc1"), dense("model.fc2", 24, 6, "fc2"),
              dense("ema.fc1", 12, 24, "ema1"), dense("ema.fc2", 24, 6, "ema2")]),
          pt([dense("fc1", 12, 24, "fc1"), dense("fc2", 24, 6, "fc2")]),
          adversarial=True, ambiguous_ok=("fc1", "fc2"), tags=("adversarial", "torch", "prefix")),
        S("adv_unrelated_same_shape", "checkpoint `aux_classifier` [10,64] (auxiliary head) and model `classifier` "
          "[10,64] (new head): unique shape, unrelated tensors",
          pt([dense("backbone.fc", 32, 64, "bb"), dense("aux_classifier", 64, 10, "aux")]),
          pt([dense("backbone.fc", 32, 64, "bb"), dense("classifier", 64, 10, "cls")]),
          adversarial=True, tags=("adversarial", "torch")),
    ]


SCENARIOS: list[Scenario] = _scenarios()
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS), "duplicate scenario ids"


def transform_for(src_layout: str, tgt_layout: str, kind: str, role: str, ndim: int) -> str | None:
    """The transform that turns the checkpoint tensor into the model variable's layout (truth)."""
    if src_layout == tgt_layout or role not in ("w", "rw"):
        return None
    if kind in ("dense", "lstm", "gru") and ndim == 2:
        return "transpose"
    if kind == "conv" and ndim == 4:
        return "permute(3,2,0,1)" if src_layout == TF_LAYOUT else "permute(2,3,1,0)"
    return None


def apply_transform_shape(shape: list[int], transform: str | None) -> list[int]:
    if transform is None:
        return list(shape)
    if transform == "transpose":
        return list(reversed(shape))
    if transform.startswith("permute(") and transform.endswith(")"):
        axes = [int(a) for a in transform[len("permute("):-1].split(",")]
        return [shape[a] for a in axes]
    raise ValueError(f"unknown transform {transform!r}")
