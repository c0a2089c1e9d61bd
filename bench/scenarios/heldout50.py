"""A fiftieth held-out part of alignment scenarios (``--part heldout50``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material: the venv's transformers 4.46.3, its Audio Spectrogram Transformer (`ASTModel`, `ASTForAudioClassification`:
a Conv2d patch embedding of the mel spectrogram, CLS and distillation tokens, position embeddings, ViT-style
encoder layers, a LayerNorm + Linear head), a model no earlier part uses; nothing is downloaded (``fetch`` only makes
$CKPT_DOCTOR_MATERIAL50, default /work/coord/material-heldout50); sources and licences in NOTICE. And models written
for this part: a Keras 3 functional twin of ASTForAudioClassification (Embedding for the tokens and positions,
Conv2D patch embedding, Dense / LayerNormalization per encoder layer, the head), saved as `.weights.h5` and `.keras`
or in a tf.train.Checkpoint with Adam slots, a TF1 Saver checkpoint of AST in tf.compat.v1 scope names with Adam
slots, DataParallel and torch.compile'd checkpoints, a backbone-only checkpoint, and checkpoints of an ensemble, of
two equal nested twins or of two equal heads.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (by name into the same
architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout50.py fetch               # make the (empty) material directory
    python bench/scenarios/heldout50.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout50.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout50        # score (once)
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
PART = "heldout50"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h50_ast_dp_to_ast", "DataParallel ASTForAudioClassification `.pt` (`module.audio_spectrogram_transformer."
       "encoder.layer.N.attention.attention.query.weight`, `module.classifier.dense.weight`) -> the same model "
       "(truth: construction)"),
    _s("h50_ast_compiled_safetensors", "torch.compile'd ASTForAudioClassification saved as safetensors "
       "(`_orig_mod.audio_spectrogram_transformer.embeddings.patch_embeddings.projection.weight`) -> the model "
       "(truth: construction)"),
    _s("h50_ast_new_labels", "ASTForAudioClassification `.pt` of 6 labels (`classifier.dense.weight` [6, 16]) -> one "
       "of 4 labels (the head's dense new, the rest decided; truth: construction)"),
    _s("h50_ast_backbone_to_classifier", "ASTModel `pytorch_model.bin` (`embeddings.cls_token`, "
       "`encoder.layer.N.*`, `layernorm.*`, no prefix) -> ASTForAudioClassification (`audio_spectrogram_transformer."
       "*`; the head new; truth: construction)"),
    _s("h50_ast_layer_removed_abstain", "ASTForAudioClassification `.pt` of 3 equal encoder layers -> one of 2 (its "
       "layers the file's 0 and 2 by construction; which layer went no file says: must abstain on the layers; "
       "the embeddings and head decided)", "abstain"),
    _s("h50_ast_ensemble_abstain", "`.pt` of an ensemble of two equal ASTForAudioClassification models "
       "(`members.0.*`, `members.1.*`) -> one model (the first member by construction; which member no file says: "
       "must abstain on all)", "abstain"),
    _s("h50_ast_two_heads_abstain", "`.pt` of an AST with two equal heads (`backbone.*`, `audioset_head.dense.*`, "
       "`speech_commands_head.dense.*`, both 6 labels) -> ASTForAudioClassification (the backbone decided; the "
       "head the speech-commands one by construction; which head no file says: must abstain on the head)",
       "abstain"),
    _s("h50_k3_ast_weights_h5_to_torch", "Keras 3 `.weights.h5` of a functional AST twin (`cls_token`, "
       "`position_embedding`, `patch_embedding` Conv2D, `layer_N_query` .. `layer_N_ffn_out`, `layer_N_ln_before`, "
       "`head_norm`, `head`) -> ASTForAudioClassification (kernels transposed, the conv kernel [h, w, in, out] -> "
       "[out, in, h, w], the tokens [1, H] -> [1, 1, H]; truth: construction)", "cross", "keras3"),
    _s("h50_torch_ast_to_k3_keras", "ASTForAudioClassification `model.pth` -> the Keras 3 functional AST twin "
       "(truth: construction)", "cross", "keras3"),
    _s("h50_tf2_k3_ast_adam_to_torch", "tf.train.Checkpoint of the Keras 3 AST twin with its Adam slots "
       "(`model/layer_with_weights-N/..`, `optimizer/_variables/N`) -> ASTForAudioClassification (truth: "
       "construction)", "cross", "tf2", "keras3"),
    _s("h50_tf1_ast_adam_to_torch", "TF1 Saver checkpoint of an AST in tf.compat.v1 scope names "
       "(`ast/embeddings/cls_token`, `ast/encoder/layer_1/attention/query/kernel`, `ast/encoder/layer_0/ffn/dense_1/"
       "kernel`, `ast/head/dense/kernel`, their `/Adam` and `/Adam_1` slots, `beta1_power`, `global_step`) -> "
       "ASTForAudioClassification (truth: construction)", "cross", "tf1"),
    _s("h50_k3_ast_layer_removed_to_torch_abstain", "Keras 3 `.keras` of the functional AST twin of 3 layers -> "
       "ASTForAudioClassification of 2 layers (its layers the file's 0 and 2 by construction; which went no file "
       "says: must abstain on the layers)", "cross", "keras3", "abstain"),
    _s("h50_k3_dual_ast_to_torch_abstain", "Keras 3 `.weights.h5` of a two-stream model of two equal nested "
       "functional AST twins, their layer names not in the file (`layers/functional/layers/dense_3/vars/0`, "
       "`layers/functional_1/layers/layer_normalization_2/vars/1`) -> one ASTForAudioClassification (the first "
       "stream by construction; which stream no file says: must abstain on all)", "cross", "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL50", "/work/coord/material-heldout50")
H, FF, LABELS, PATCH, MEL, FRAMES = 16, 32, 6, 4, 8, 8
NPOS = (MEL // PATCH) * (FRAMES // PATCH) + 2
PREFIX = "audio_spectrogram_transformer."


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


def _cfg(layers=2, labels=LABELS):
    from transformers import ASTConfig

    return ASTConfig(hidden_size=H, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=FF,
                     patch_size=PATCH, frequency_stride=PATCH, time_stride=PATCH, max_length=FRAMES,
                     num_mel_bins=MEL, num_labels=labels)


def _ast(layers=2, labels=LABELS, seed="ast_init"):
    from transformers import ASTForAudioClassification

    m = ASTForAudioClassification(_cfg(layers, labels))
    fill_random_torch(m, seed)
    return m


def _skip_layer1(k):  # construction: the target's layers are the file's 0 and 2
    return k.replace("encoder.layer.1.", "encoder.layer.2.", 1)


# ---------------------------------------------------------------------------------------------------------
# The Keras 3 twin

LIN = (("query", "attention.attention.query"), ("key", "attention.attention.key"),
       ("value", "attention.attention.value"), ("attn_out", "attention.output.dense"),
       ("ffn_in", "intermediate.dense"), ("ffn_out", "output.dense"))
LNS = (("ln_before", "layernorm_before"), ("ln_after", "layernorm_after"))


def _k3_ast(layers=2, name="ast", clear=True):
    """A functional Keras 3 twin of ASTForAudioClassification's weights (each layer on its own input)."""
    import keras

    if clear:
        keras.backend.clear_session()
    L = keras.layers
    tok = keras.Input((None,), dtype="int32", name=f"{name}_ids")
    ins, outs = [tok], []
    for n, rows in (("cls_token", 1), ("distillation_token", 1), ("position_embedding", NPOS)):
        outs.append(L.Embedding(rows, H, name=n)(tok))
    spec = keras.Input((MEL, FRAMES, 1), name=f"{name}_spec")
    ins.append(spec)
    outs.append(L.Conv2D(H, PATCH, strides=PATCH, name="patch_embedding")(spec))
    for i in range(layers):
        x = keras.Input((H,), name=f"{name}_layer_{i}_in")
        ins.append(x)
        outs.append(L.LayerNormalization(epsilon=1e-12, name=f"layer_{i}_ln_before")(x))
        for short, _ in LIN[:4]:
            outs.append(L.Dense(H, name=f"layer_{i}_{short}")(x))
        outs.append(L.LayerNormalization(epsilon=1e-12, name=f"layer_{i}_ln_after")(x))
        h = L.Dense(FF, activation="gelu", name=f"layer_{i}_ffn_in")(x)
        outs.append(L.Dense(H, name=f"layer_{i}_ffn_out")(h))
    x = keras.Input((H,), name=f"{name}_pooled")
    ins.append(x)
    outs.append(L.LayerNormalization(epsilon=1e-12, name="final_norm")(x))
    outs.append(L.Dense(LABELS, name="head")(L.LayerNormalization(epsilon=1e-12, name="head_norm")(x)))
    return keras.Model(ins, outs, name=name)


def _pairs(km, net, layers=None):
    """(Keras layer, torch module or parameter, kind) of the twin and an ASTForAudioClassification (``layers``:
    the torch layers in the Keras model's order)."""
    a = net.audio_spectrogram_transformer
    depth = sum(1 for lay in km.layers if lay.name.endswith("_ln_before"))
    tls = layers if layers is not None else range(depth)
    e = a.embeddings
    out = [(km.get_layer("cls_token"), e.cls_token, "tok"), (km.get_layer("distillation_token"),
           e.distillation_token, "tok"), (km.get_layer("position_embedding"), e.position_embeddings, "tok"),
           (km.get_layer("patch_embedding"), e.patch_embeddings.projection, "conv")]
    for i, t in zip(range(depth), tls, strict=True):
        lay = a.encoder.layer[t]
        for short, path in LIN:
            out.append((km.get_layer(f"layer_{i}_{short}"), lay.get_submodule(path), "lin"))
        for short, path in LNS:
            out.append((km.get_layer(f"layer_{i}_{short}"), lay.get_submodule(path), "norm"))
    out += [(km.get_layer("final_norm"), a.layernorm, "norm"), (km.get_layer("head_norm"), net.classifier.layernorm,
            "norm"), (km.get_layer("head"), net.classifier.dense, "lin")]
    return out


def _torch_from_k3(km, net, layers=None):
    for k, t, kind in _pairs(km, net, layers):
        if kind == "lin":
            _lin(t, k.kernel, k.bias)
        elif kind == "tok":
            _put_t(t, _np(k.embeddings).reshape(t.shape))
        elif kind == "conv":
            _put_t(t.weight, _np(k.kernel).transpose(3, 2, 0, 1))
            _put_t(t.bias, _np(k.bias))
        else:
            _put_t(t.weight, _np(k.gamma))
            _put_t(t.bias, _np(k.beta))


def _k3_from_torch(km, net):
    for k, t, kind in _pairs(km, net):
        if kind == "lin":
            k.set_weights([_t(t.weight).T, _t(t.bias)])
        elif kind == "tok":
            k.set_weights([_t(t).reshape(-1, H)])
        elif kind == "conv":
            k.set_weights([_t(t.weight).transpose(2, 3, 1, 0), _t(t.bias)])
        else:
            k.set_weights([_t(t.weight), _t(t.bias)])


# ---------------------------------------------------------------------------------------------------------
# PyTorch scenarios

def b_ast_dp_to_ast(d):
    import torch.nn as nn

    src = _ast(seed="ast_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "ast_audioset.pt")
    stored = read_torch(ck)
    assert "module.classifier.dense.weight" in stored, sorted(stored)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_ast_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _ast(seed="ast_c")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_ast_new_labels(d):
    src = _ast(seed="ast_l6")
    ck = _save_pt(d, src.state_dict(), "ast_esc6.pt")
    stored = read_torch(ck)
    m = _ast(labels=4, seed="tgt")
    _copy(m, src.state_dict(), skip=("classifier.dense.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_ast_backbone_to_classifier(d):
    from transformers import ASTModel

    src = ASTModel(_cfg())
    fill_random_torch(src, "ast_backbone")
    ck = _save_pt(d, src.state_dict(), "pytorch_model.bin")
    stored = read_torch(ck)
    assert "embeddings.cls_token" in stored, sorted(stored)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict(), lambda k: k[len(PREFIX):], skip=("classifier.",))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_ast_layer_removed_abstain(d):
    src = _ast(layers=3, seed="ast_d3")
    ck = _save_pt(d, src.state_dict(), "ast_depth3.pt")
    stored = read_torch(ck)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if ".encoder.layer." in n]
    assert len(amb) == 2 * 16, amb
    return [ck], stored, values, amb


def b_ast_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_ast(seed="member0"), _ast(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "ast_ensemble.pt")
    stored = read_torch(ck)
    m = _ast(seed="tgt")
    _copy(m, ens.members[0].state_dict())  # construction: the first member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_ast_two_heads_abstain(d):
    import torch.nn as nn

    src = _ast(seed="two_heads")
    multi = nn.Module()
    multi.backbone = src.audio_spectrogram_transformer
    multi.audioset_head = _ast(seed="h_audioset").classifier
    multi.speech_commands_head = src.classifier
    ck = _save_pt(d, multi.state_dict(), "ast_two_heads.pt")
    stored = read_torch(ck)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict())  # construction: the speech-commands head
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("classifier.")]
    assert len(amb) == 4, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 / TF scenarios

def b_k3_ast_weights_h5_to_torch(d):
    km = _k3_ast()
    fill_random(km.weights, "k3ast")
    ck = os.path.join(d, "ckpt", "ast.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _ast(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_ast_to_k3_keras(d):
    src = _ast(seed="ast_pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_ast()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_ast_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_ast()
    fill_random(km.weights, "tf2ast")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "ast-3000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 40, sorted(stored)
    m = _ast(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


TF1_LIN = {"query": "attention/query", "key": "attention/key", "value": "attention/value",
           "attn_out": "attention/output/dense", "ffn_in": "ffn/dense", "ffn_out": "ffn/dense_1"}


def b_tf1_ast_adam_to_torch(d):
    import tensorflow as tf

    arrays = {"ast/embeddings/cls_token": distinct("tf1|cls", (1, 1, H)),
              "ast/embeddings/distillation_token": distinct("tf1|dist", (1, 1, H)),
              "ast/embeddings/position_embeddings": distinct("tf1|pos", (1, NPOS, H)),
              "ast/embeddings/patch/conv2d/kernel": distinct("tf1|patch_k", (PATCH, PATCH, 1, H)),
              "ast/embeddings/patch/conv2d/bias": distinct("tf1|patch_b", (H,))}
    for i in range(2):
        for short, path in TF1_LIN.items():
            p = f"ast/encoder/layer_{i}/{path}/"
            a, b = (H, FF) if short == "ffn_in" else (FF, H) if short == "ffn_out" else (H, H)
            arrays[p + "kernel"] = distinct(f"tf1|{p}k", (a, b))
            arrays[p + "bias"] = distinct(f"tf1|{p}b", (b,))
        for short in ("layer_norm", "layer_norm_1"):
            p = f"ast/encoder/layer_{i}/{short}/"
            arrays[p + "gamma"], arrays[p + "beta"] = distinct(p + "g", (H,)), distinct(p + "b", (H,))
    for p in ("ast/encoder/layer_norm/", "ast/head/layer_norm/"):
        arrays[p + "gamma"], arrays[p + "beta"] = distinct(p + "g", (H,)), distinct(p + "b", (H,))
    arrays["ast/head/dense/kernel"] = distinct("tf1|head_k", (H, LABELS))
    arrays["ast/head/dense/bias"] = distinct("tf1|head_b", (LABELS,))
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
    assert "ast/encoder/layer_1/ffn/dense_1/kernel/Adam_1" in stored, sorted(stored)
    m = _ast(seed="tgt")  # construction
    a, s = m.audio_spectrogram_transformer, stored
    e = a.embeddings
    _put_t(e.cls_token, s["ast/embeddings/cls_token"])
    _put_t(e.distillation_token, s["ast/embeddings/distillation_token"])
    _put_t(e.position_embeddings, s["ast/embeddings/position_embeddings"])
    _put_t(e.patch_embeddings.projection.weight, s["ast/embeddings/patch/conv2d/kernel"].transpose(3, 2, 0, 1))
    _put_t(e.patch_embeddings.projection.bias, s["ast/embeddings/patch/conv2d/bias"])
    for i in range(2):
        lay = a.encoder.layer[i]
        for short, path in LIN:
            p = f"ast/encoder/layer_{i}/{TF1_LIN[short]}/"
            _lin(lay.get_submodule(path), s[p + "kernel"], s[p + "bias"])
        for mod, short in ((lay.layernorm_before, "layer_norm"), (lay.layernorm_after, "layer_norm_1")):
            _put_t(mod.weight, s[f"ast/encoder/layer_{i}/{short}/gamma"])
            _put_t(mod.bias, s[f"ast/encoder/layer_{i}/{short}/beta"])
    for mod, p in ((a.layernorm, "ast/encoder/layer_norm/"), (m.classifier.layernorm, "ast/head/layer_norm/")):
        _put_t(mod.weight, s[p + "gamma"])
        _put_t(mod.bias, s[p + "beta"])
    _lin(m.classifier.dense, s["ast/head/dense/kernel"], s["ast/head/dense/bias"])
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_ast_layer_removed_to_torch_abstain(d):
    km = _k3_ast(layers=3)
    fill_random(km.weights, "k3ast3")
    ck = os.path.join(d, "ckpt", "ast_depth3.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _ast(layers=3, seed="scratch")
    _torch_from_k3(km, src)
    m = _ast(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)  # construction: the file's layers 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if ".encoder.layer." in n]
    assert len(amb) == 2 * 16, amb
    return [ck], stored, values, amb


def b_k3_dual_ast_to_torch_abstain(d):
    import keras

    keras.backend.clear_session()
    first = _k3_ast(name="stream_a", clear=False)
    second = _k3_ast(name="stream_b", clear=False)
    ins = [keras.Input(t.shape[1:], dtype=t.dtype) for t in first.inputs]
    src = keras.Model(ins, [*first(ins), *second(ins)], name="two_stream_ast")
    fill_random(src.weights, "dual")
    ck = os.path.join(d, "ckpt", "two_stream_ast.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)
    m = _ast(seed="tgt")
    _torch_from_k3(first, m)  # construction: the first stream
    values = _pt_values(m, d)
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
    if path.endswith((".pth", ".bin")):
        return read_torch(path)
    return h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """Nothing to download: the material is the venv's transformers; only the material directory is made."""
    os.makedirs(MATERIAL, exist_ok=True)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
