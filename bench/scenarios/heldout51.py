"""A fifty-first held-out part of alignment scenarios (``--part heldout51``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material: the venv's transformers 4.46.3, its Pixtral vision encoder (`PixtralVisionModel`: a bias-free Conv2d patch
embedding, an RMSNorm `ln_pre`, layers of RMSNorm `attention_norm` / `ffn_norm`, bias-free q/k/v/o projections and a
gated feed-forward `gate_proj` / `up_proj` / `down_proj`), its Llava wrapper (`LlavaForConditionalGeneration` with a
Pixtral vision tower, a two-Linear projector and a Mistral language model), and the published converter
`models/pixtral/convert_pixtral_weights_to_hf.py` (`convert_dictionnary`, `OLD_KEY_TO_NEW_KEY_MAPPING`: Mistral's
original `consolidated.safetensors` names such as `vision_encoder.transformer.layers.N.attention.wq.weight`,
`layers.N.feed_forward.w1.weight`, `tok_embeddings.weight`, `vision_language_adapter.w_in.weight` to the HF names),
models no earlier part uses. The converter module imports `mistral_common` (for its tokenizer part only), which is
not installed: the import is satisfied by an empty stand-in module; nothing else of it is touched. Its
`permute_for_rope` (q/k rows reordered for the rotary convention) is run as published; the scenarios' heads are 2 wide
(head_dim 2), where that reordering leaves every row in place. Nothing is downloaded (``fetch`` only makes
$CKPT_DOCTOR_MATERIAL51, default /work/coord/material-heldout51); sources and licences in NOTICE. And models written
for this part: a Keras 3 functional twin of PixtralVisionModel (bias-free Conv2D and Dense, LayerNormalization
without centre as the RMSNorm scale) saved as `.weights.h5` (also two nested twins of a two-view model) and `.keras`
or in a tf.train.Checkpoint with Adam slots, the same twin with Keras' automatic names; TF1 Saver checkpoints (with
their `.meta`) of the encoder in tf.compat.v1 scope names and of a graph-mode tf_keras twin in a `tower_0/` scope,
both with the real tf.compat.v1 Adam slots after a training step; DataParallel and torch.compile'd checkpoints, a
vision-only checkpoint, a Llava of a smaller vocabulary, and checkpoints of an ensemble, of two equal vision towers or
with one layer too many.

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the published converter and `load_state_dict` or by
the scenario's construction (by name into the same architecture, a twin in another framework layer by layer), and
both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files
can decide.

    python bench/scenarios/heldout51.py fetch               # make the (empty) material directory
    python bench/scenarios/heldout51.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout51.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout51        # score (once)
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
PART = "heldout51"
_all, _rel = h9._all, h9._rel
_pt_values, _put_t = h15._pt_values, h15._put_t
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    _s("h51_mistral_consolidated_to_llava", "Mistral's original-format Pixtral `consolidated.safetensors` "
       "(`vision_encoder.transformer.layers.N.attention.wq.weight`, `..feed_forward.w1.weight`, `layers.N.attention."
       "wk.weight`, `tok_embeddings.weight`, `output.weight`, `vision_language_adapter.w_in.*`) -> "
       "LlavaForConditionalGeneration (`vision_tower.transformer.layers.N.attention.q_proj.weight`, `language_model."
       "model.layers.N.mlp.gate_proj.weight`, `language_model.lm_head.weight`, `multi_modal_projector.linear_1.*`; "
       "truth: the published convert_dictionnary + load_state_dict(strict=True))"),
    _s("h51_mistral_consolidated_to_vision", "the original-format `consolidated.safetensors` -> PixtralVisionModel "
       "alone (`patch_conv.weight`, `transformer.layers.N.feed_forward.down_proj.weight`; the language model and the "
       "adapter unused; truth: the converter, then its `vision_tower.` part)"),
    _s("h51_pixtral_dp_to_vision", "DataParallel PixtralVisionModel `.pt` (`module.transformer.layers.N.attention."
       "o_proj.weight`, `module.ln_pre.weight`) -> the model (truth: construction)"),
    _s("h51_llava_compiled_safetensors", "torch.compile'd Llava (Pixtral tower + Mistral) saved as safetensors "
       "(`_orig_mod.vision_tower.patch_conv.weight`, `_orig_mod.language_model.lm_head.weight`) -> the model "
       "(truth: construction)"),
    _s("h51_vision_bin_to_llava", "PixtralVisionModel `pytorch_model.bin` (no prefix) -> LlavaForConditionalGeneration "
       "(`vision_tower.` prefix; projector and language model new; truth: construction)"),
    _s("h51_llava_resized_vocab", "LlavaForConditionalGeneration `.safetensors` of a 40-token vocabulary -> one "
       "resized to 48 tokens (`language_model.model.embed_tokens.weight` and `language_model.lm_head.weight` "
       "[48, 16] new, the rest decided; truth: construction)"),
    _s("h51_pixtral_layer_removed_abstain", "PixtralVisionModel `.pt` of 3 equal layers -> one of 2 (its layers the "
       "file's 0 and 2 by construction; which went no file says: must abstain on the layers; patch_conv and ln_pre "
       "decided)", "abstain"),
    _s("h51_pixtral_ensemble_abstain", "`.pt` of an ensemble of two equal PixtralVisionModels (`members.0.*`, "
       "`members.1.*`) -> one model (the second member by construction; which member no file says: must abstain on "
       "all)", "abstain"),
    _s("h51_llava_two_towers_abstain", "`.pt` of a Llava variant with two equal Pixtral towers (`global_tower.*`, "
       "`local_tower.*`), `multi_modal_projector.*`, `language_model.*` -> LlavaForConditionalGeneration (the tower "
       "the local one by construction; which tower no file says: must abstain on the tower; projector and language "
       "model decided)", "abstain"),
    _s("h51_k3_pixtral_weights_h5_to_torch", "Keras 3 `.weights.h5` of a functional Pixtral twin (`patch_conv` "
       "Conv2D, `ln_pre`, `layer_N_attention_norm`, `layer_N_wq` .. `layer_N_wo`, `layer_N_w1` .. `layer_N_w3`, "
       "`layer_N_ffn_norm`) -> PixtralVisionModel (kernels transposed, the conv kernel [h, w, in, out] -> [out, in, "
       "h, w]; truth: construction)", "cross", "keras3"),
    _s("h51_torch_pixtral_to_k3_keras", "PixtralVisionModel `model.pth` -> the Keras 3 functional Pixtral twin "
       "(truth: construction)", "cross", "keras3"),
    _s("h51_tf2_k3_pixtral_adam_to_torch", "tf.train.Checkpoint of the Keras 3 Pixtral twin with its Adam slots "
       "(the weights stored once, as the optimizer's `optimizer/_trainable_variables/N`, the slots "
       "`optimizer/_variables/N`) -> PixtralVisionModel (truth: construction)",
       "cross", "tf2", "keras3"),
    _s("h51_k3_pixtral_layer_removed_to_torch_abstain", "Keras 3 `.keras` of the functional Pixtral twin of 3 "
       "layers -> PixtralVisionModel of 2 (its layers the file's 0 and 2 by construction; which went no file says: "
       "must abstain on the layers)", "cross", "keras3", "abstain"),
    _s("h51_k3_dual_pixtral_to_torch_abstain", "Keras 3 `.weights.h5` of a two-view model of two equal nested "
       "functional Pixtral twins, their layer names not in the file (`layers/functional/layers/dense_3/vars/0`, "
       "`layers/functional_1/layers/conv2d/vars/0`) -> one PixtralVisionModel (the second view by construction; "
       "which view no file says: must abstain on all)", "cross", "keras3", "abstain"),
    _s("h51_k3_auto_names_shifted", "Keras 3 `.weights.h5` of the Pixtral twin with Keras' automatic names, its "
       "entries named by the file's own container order (`layers/dense/vars/0` .. `layers/dense_13/vars/0`, "
       "`layers/layer_normalization_4/vars/0`, `layers/conv2d/vars/0`) -> the same twin built after another model "
       "of the session (variables `dense_18/kernel`, `conv2d_1/kernel`, numbered in creation order; truth: Keras 3's "
       "own load_weights)", "keras3"),
    _s("h51_tf1_pixtral_adam_to_torch", "TF1 Saver checkpoint with its `.meta` of the Pixtral encoder in "
       "tf.compat.v1 scope names (`pixtral_encoder/transformer/layer_1/attention/query/kernel`, `.../mlp/gate/"
       "kernel`, `.../ffn_norm/scale`), the real Adam slots (`/Adam`, `/Adam_1`, `beta1_power`) and `global_step` "
       "after a training step -> PixtralVisionModel (truth: construction)", "cross", "tf1"),
    _s("h51_tf1_tf_keras_tower_to_k3", "TF1 Saver checkpoint with its `.meta` of a graph-mode tf_keras Pixtral twin "
       "with automatic names in a multi-GPU `tower_0/` scope (`tower_0/dense_3/kernel`, `tower_0/"
       "layer_normalization_1/gamma`, their Adam slots) -> the Keras 3 named twin (`layer_0_wq/kernel`; truth: "
       "construction, the weights in order)", "tf1", "keras3"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL51", "/work/coord/material-heldout51")
H, FF, HEADS, PATCH, IMG, CH = 16, 24, 8, 4, 16, 3  # head_dim 2
TH, TFF, TLAYERS, VOCAB, KV = 16, 32, 2, 40, 4
ATT = (("wq", "attention.q_proj"), ("wk", "attention.k_proj"), ("wv", "attention.v_proj"), ("wo", "attention.o_proj"))
MLP = (("w1", "feed_forward.gate_proj", FF), ("w3", "feed_forward.up_proj", FF), ("w2", "feed_forward.down_proj", H))


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


def _vcfg(layers=2):
    from transformers import PixtralVisionConfig

    return PixtralVisionConfig(hidden_size=H, intermediate_size=FF, num_hidden_layers=layers, num_attention_heads=HEADS,
                               num_channels=CH, image_size=IMG, patch_size=PATCH)


def _llava_cfg():
    from transformers import LlavaConfig, MistralConfig

    tc = MistralConfig(vocab_size=VOCAB, hidden_size=TH, intermediate_size=TFF, num_hidden_layers=TLAYERS,
                       num_attention_heads=8, num_key_value_heads=KV, head_dim=2, tie_word_embeddings=False,
                       max_position_embeddings=64)
    return LlavaConfig(_vcfg(), tc, vision_feature_layer=-1, image_token_index=10,
                       vision_feature_select_strategy="full", image_seq_length=1)


def _pixtral(layers=2, seed="px_init"):
    from transformers import PixtralVisionModel

    m = PixtralVisionModel(_vcfg(layers))
    fill_random_torch(m, seed)
    return m


def _llava(seed="llava_init"):
    from transformers import LlavaForConditionalGeneration

    m = LlavaForConditionalGeneration(_llava_cfg())
    fill_random_torch(m, seed)
    assert not h4._tied(m), h4._tied(m)
    return m


def _skip_layer1(k):  # construction: the target's layers are the file's 0 and 2
    return k.replace("transformer.layers.1.", "transformer.layers.2.", 1)


# ---------------------------------------------------------------------------------------------------------
# The published converter (Mistral's original names -> HF Llava)

def _converter():
    """transformers' convert_pixtral_weights_to_hf, imported as published; its tokenizer import (mistral_common, not
    installed) is an empty stand-in (the tokenizer part is not run)."""
    import types

    names = ("mistral_common", "mistral_common.tokens", "mistral_common.tokens.tokenizers",
             "mistral_common.tokens.tokenizers.mistral")
    for n in names:
        sys.modules.setdefault(n, types.ModuleType(n))
    sys.modules[names[-1]].MistralTokenizer = None
    from transformers.models.pixtral import convert_pixtral_weights_to_hf as conv

    return conv


def _consolidated(d, seed):
    """A Pixtral checkpoint in Mistral's original format (mistral-inference's names), written by safetensors."""
    import torch
    from safetensors.torch import save_file

    shapes = {"vision_encoder.patch_conv.weight": (H, CH, PATCH, PATCH), "vision_encoder.ln_pre.weight": (H,)}
    for i in range(2):
        p = f"vision_encoder.transformer.layers.{i}."
        shapes.update({p + "attention_norm.weight": (H,), p + "ffn_norm.weight": (H,)})
        for w in ("wq", "wk", "wv", "wo"):
            shapes[f"{p}attention.{w}.weight"] = (H, H)
        shapes.update({p + "feed_forward.w1.weight": (FF, H), p + "feed_forward.w3.weight": (FF, H),
                       p + "feed_forward.w2.weight": (H, FF)})
    shapes.update({"vision_language_adapter.w_in.weight": (TH, H), "vision_language_adapter.w_in.bias": (TH,),
                   "vision_language_adapter.w_out.weight": (TH, TH), "vision_language_adapter.w_out.bias": (TH,),
                   "tok_embeddings.weight": (VOCAB, TH), "norm.weight": (TH,), "output.weight": (VOCAB, TH)})
    for i in range(TLAYERS):
        p = f"layers.{i}."
        shapes.update({p + "attention.wq.weight": (TH, TH), p + "attention.wk.weight": (KV * 2, TH),
                       p + "attention.wv.weight": (KV * 2, TH), p + "attention.wo.weight": (TH, TH),
                       p + "feed_forward.w1.weight": (TFF, TH), p + "feed_forward.w3.weight": (TFF, TH),
                       p + "feed_forward.w2.weight": (TH, TFF), p + "attention_norm.weight": (TH,),
                       p + "ffn_norm.weight": (TH,)})
    sd = {k: torch.from_numpy(distinct(f"{seed}|{k}", s)) for k, s in shapes.items()}
    ck = os.path.join(d, "ckpt", "consolidated.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file(sd, ck, metadata={"format": "pt"})
    return ck


def _converted(ck):
    """convert_mistral_model's steps on the file: safe_load_file, convert_dictionnary, load_state_dict(strict=True,
    assign=True) into LlavaForConditionalGeneration."""
    from safetensors.torch import load_file

    conv = _converter()
    cfg = _llava_cfg()
    new = conv.convert_dictionnary(load_file(ck), cfg.vision_config, cfg.text_config)
    m = _llava(seed="tgt")
    m.load_state_dict(new, strict=True, assign=True)  # the truth
    return m


# ---------------------------------------------------------------------------------------------------------
# The Keras 3 (or tf_keras) twin

def _k3_px(layers=2, name="pixtral", clear=True, named=True, K=None, created=None):
    """A functional Keras twin of PixtralVisionModel's weights (each layer on its own input); ``named``: the Mistral
    names as layer names, else Keras' automatic ones; ``created``: a list that receives the weighted layers in the
    order this code makes them (the same line of code: the same layer of the architecture)."""
    if K is None:
        import keras as K
    if clear:
        K.backend.clear_session()
    created = [] if created is None else created

    class L:  # K.layers, each weighted layer recorded as it is made
        Multiply = K.layers.Multiply

        def __getattr__(self, kind):
            def make(*a, **kw):
                layer = getattr(K.layers, kind)(*a, **kw)
                created.append(layer)
                return layer
            return make

    L = L()

    def nm(n):
        return {"name": n} if named else {}

    img = K.Input((IMG, IMG, CH), name=f"{name}_image" if named else None)
    ins, outs = [img], []
    outs.append(L.Conv2D(H, PATCH, strides=PATCH, use_bias=False, **nm("patch_conv"))(img))
    x = K.Input((H,), name=f"{name}_patches" if named else None)
    ins.append(x)
    outs.append(L.LayerNormalization(epsilon=1e-5, center=False, **nm("ln_pre"))(x))
    for i in range(layers):
        x = K.Input((H,), name=f"{name}_layer_{i}_in" if named else None)
        ins.append(x)
        outs.append(L.LayerNormalization(epsilon=1e-5, center=False, **nm(f"layer_{i}_attention_norm"))(x))
        for short, _ in ATT:
            outs.append(L.Dense(H, use_bias=False, **nm(f"layer_{i}_{short}"))(x))
        outs.append(L.LayerNormalization(epsilon=1e-5, center=False, **nm(f"layer_{i}_ffn_norm"))(x))
        gate = L.Dense(FF, use_bias=False, **nm(f"layer_{i}_w1"))(x)
        up = L.Dense(FF, use_bias=False, **nm(f"layer_{i}_w3"))(x)
        outs.append(L.Dense(H, use_bias=False, **nm(f"layer_{i}_w2"))(L.Multiply()([gate, up])))
    return K.Model(ins, outs, name=name)


def _weighted(km):
    return [lay for lay in km.layers if lay.weights]


def _pairs(km, net, layers=None):
    """(Keras layer, torch module, kind) of a named twin and a PixtralVisionModel (``layers``: the torch layers in
    the Keras model's order)."""
    depth = sum(1 for lay in km.layers if lay.name.endswith("_ffn_norm"))
    tls = layers if layers is not None else range(depth)
    out = [(km.get_layer("patch_conv"), net.patch_conv, "conv"), (km.get_layer("ln_pre"), net.ln_pre, "norm")]
    for i, t in zip(range(depth), tls, strict=True):
        lay = net.transformer.layers[t]
        out.append((km.get_layer(f"layer_{i}_attention_norm"), lay.attention_norm, "norm"))
        for short, path in ATT:
            out.append((km.get_layer(f"layer_{i}_{short}"), lay.get_submodule(path), "lin"))
        out.append((km.get_layer(f"layer_{i}_ffn_norm"), lay.ffn_norm, "norm"))
        for short, path, _ in MLP:
            out.append((km.get_layer(f"layer_{i}_{short}"), lay.get_submodule(path), "lin"))
    return out


def _torch_from_k3(km, net, layers=None):
    for k, t, kind in _pairs(km, net, layers):
        if kind == "lin":
            _lin(t, k.kernel)
        elif kind == "conv":
            _conv(t, k.kernel)
        else:
            _put_t(t.weight, _np(k.gamma))


def _k3_from_torch(km, net):
    for k, t, kind in _pairs(km, net):
        if kind == "lin":
            k.set_weights([_t(t.weight).T])
        elif kind == "conv":
            k.set_weights([_t(t.weight).transpose(2, 3, 1, 0)])
        else:
            k.set_weights([_t(t.weight)])


# ---------------------------------------------------------------------------------------------------------
# PyTorch scenarios

def b_mistral_consolidated_to_llava(d):
    ck = _consolidated(d, "consolidated")
    stored = read_torch(ck)
    m = _converted(ck)
    return [ck], stored, _pt_values(m, d), []


def b_mistral_consolidated_to_vision(d):
    ck = _consolidated(d, "consolidated_v")
    stored = read_torch(ck)
    full = _converted(ck)
    m = _pixtral(seed="tgt")
    _copy(m, full.state_dict(), lambda k: "vision_tower." + k)  # construction: the converter's vision tower
    return [ck], stored, _pt_values(m, d), []


def b_pixtral_dp_to_vision(d):
    import torch.nn as nn

    src = _pixtral(seed="px_dp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "pixtral_vision.pt")
    stored = read_torch(ck)
    assert "module.ln_pre.weight" in stored, sorted(stored)
    m = _pixtral(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_llava_compiled_safetensors(d):
    import torch
    from safetensors.torch import save_file

    src = _llava(seed="llava_c")
    sd = torch.compile(src).state_dict()
    assert all(k.startswith("_orig_mod.") for k in sd)
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in sd.items()}, ck)
    stored = read_torch(ck)
    m = _llava(seed="tgt")
    _copy(m, src.state_dict())  # construction
    return [ck], stored, _pt_values(m, d), []


def b_vision_bin_to_llava(d):
    src = _pixtral(seed="px_bin")
    ck = _save_pt(d, src.state_dict(), "pytorch_model.bin")
    stored = read_torch(ck)
    assert "patch_conv.weight" in stored, sorted(stored)
    m = _llava(seed="tgt")
    with_prefix = {"vision_tower." + k: v for k, v in src.state_dict().items()}
    _copy(m, with_prefix, skip=("multi_modal_projector.", "language_model."))  # construction
    return [ck], stored, _pt_values(m, d), []


def b_llava_resized_vocab(d):
    from safetensors.torch import save_file

    src = _llava(seed="llava_v40")
    ck = os.path.join(d, "ckpt", "model.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck, metadata={"format": "pt"})
    stored = read_torch(ck)
    m = _llava(seed="tgt")
    m.resize_token_embeddings(48)
    fill_random_torch(m, "tgt48")
    new = ("language_model.model.embed_tokens.", "language_model.lm_head.")
    _copy(m, src.state_dict(), skip=new)  # construction: the resized tables are new
    assert tuple(m.language_model.lm_head.weight.shape) == (48, TH)
    return [ck], stored, _pt_values(m, d), []


def b_pixtral_layer_removed_abstain(d):
    src = _pixtral(layers=3, seed="px_d3")
    ck = _save_pt(d, src.state_dict(), "pixtral_depth3.pt")
    stored = read_torch(ck)
    m = _pixtral(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("transformer.layers.")]
    assert len(amb) == 2 * 9, amb
    return [ck], stored, values, amb


def b_pixtral_ensemble_abstain(d):
    import torch.nn as nn

    ens = nn.Module()
    ens.members = nn.ModuleList([_pixtral(seed="member0"), _pixtral(seed="member1")])
    ck = _save_pt(d, ens.state_dict(), "pixtral_ensemble.pt")
    stored = read_torch(ck)
    m = _pixtral(seed="tgt")
    _copy(m, ens.members[1].state_dict())  # construction: the second member
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_llava_two_towers_abstain(d):
    import torch.nn as nn

    src = _llava(seed="two_towers")
    multi = nn.Module()
    multi.global_tower = _pixtral(seed="global_tower")
    multi.local_tower = src.vision_tower
    multi.multi_modal_projector = src.multi_modal_projector
    multi.language_model = src.language_model
    ck = _save_pt(d, multi.state_dict(), "llava_two_towers.pt")
    stored = read_torch(ck)
    m = _llava(seed="tgt")
    _copy(m, src.state_dict())  # construction: the local tower
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("vision_tower.")]
    assert len(amb) == 2 + 2 * 9, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# Keras 3 / TF scenarios

def b_k3_pixtral_weights_h5_to_torch(d):
    km = _k3_px()
    fill_random(km.weights, "k3px")
    ck = os.path.join(d, "ckpt", "pixtral.weights.h5")
    km.save_weights(ck)
    stored = read_h5(ck)
    m = _pixtral(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [ck], stored, _pt_values(m, d), []


def b_torch_pixtral_to_k3_keras(d):
    src = _pixtral(seed="px_pt")
    ck = _save_pt(d, src.state_dict(), "model.pth")
    stored = read_torch(ck)
    km = _k3_px()
    fill_random(km.weights, "tgt")
    _k3_from_torch(km, src)  # construction
    return [ck], stored, _k3_values(km, d), []


def b_tf2_k3_pixtral_adam_to_torch(d):
    import keras
    import tensorflow as tf

    km = _k3_px()
    fill_random(km.weights, "tf2px")
    opt = keras.optimizers.Adam()
    opt.build(km.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=km, optimizer=opt).write(os.path.join(d, "ckpt", "pixtral-1200"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 30, sorted(stored)
    m = _pixtral(seed="tgt")
    _torch_from_k3(km, m)  # construction
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_k3_pixtral_layer_removed_to_torch_abstain(d):
    km = _k3_px(layers=3)
    fill_random(km.weights, "k3px3")
    ck = os.path.join(d, "ckpt", "pixtral_depth3.keras")
    km.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    src = _pixtral(layers=3, seed="scratch")
    _torch_from_k3(km, src)
    m = _pixtral(seed="tgt")
    _copy(m, src.state_dict(), _skip_layer1)  # construction: the file's layers 0 and 2
    values = _pt_values(m, d)
    amb = [n for n in _float(values) if n.startswith("transformer.layers.")]
    assert len(amb) == 2 * 9, amb
    return [ck], stored, values, amb


def b_k3_dual_pixtral_to_torch_abstain(d):
    import keras

    keras.backend.clear_session()
    first = _k3_px(name="view_a", clear=False)
    second = _k3_px(name="view_b", clear=False)
    ins = [keras.Input(t.shape[1:], dtype=t.dtype) for t in first.inputs]
    src = keras.Model(ins, [*first(ins), *second(ins)], name="two_view_pixtral")
    fill_random(src.weights, "dual")
    ck = os.path.join(d, "ckpt", "two_view_pixtral.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(k.startswith("layers/functional_1/") for k in stored), sorted(stored)
    m = _pixtral(seed="tgt")
    _torch_from_k3(second, m)  # construction: the second view
    values = _pt_values(m, d)
    return [ck], stored, values, _float(values)


def b_k3_auto_names_shifted(d):
    import keras

    src = _k3_px(named=False, name="pixtral")
    fill_random(src.weights, "k3auto")
    ck = os.path.join(d, "ckpt", "pixtral.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/dense_1/vars/0" in stored, sorted(stored)
    keras.backend.clear_session()
    _k3_px(clear=False, named=False, name="warmup")  # another model of the session takes the first names
    tgt = _k3_px(clear=False, named=False, name="pixtral")
    fill_random(tgt.weights, "tgt")
    assert tgt.weights[0].path.split("/")[0] not in ("dense", "conv2d"), [w.path for w in tgt.weights]
    tgt.load_weights(ck)  # Keras 3's own loader: the truth
    return [ck], stored, _k3_values(tgt, d), []


TF1_ATT = {"wq": "attention/query", "wk": "attention/key", "wv": "attention/value", "wo": "attention/output"}
TF1_MLP = {"w1": "mlp/gate", "w3": "mlp/up", "w2": "mlp/down"}


def _tf1_train_and_save(g, d, name, step):
    """tf.compat.v1 Adam on a toy loss, one training step, then Saver().save as users do (its .meta beside)."""
    import tensorflow as tf

    with g.as_default():
        tvars = tf.compat.v1.trainable_variables()
        loss = tf.add_n([tf.reduce_sum(tf.square(v)) for v in tvars])
        gs = tf.compat.v1.train.get_or_create_global_step()
        train = tf.compat.v1.train.AdamOptimizer(1e-3).minimize(loss, global_step=gs, var_list=tvars)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for v in tvars:
                v.load(distinct(name + v.op.name, v.shape), sess)
            sess.run(train)
            gs.load(step, sess)
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(d, "ckpt", name), global_step=step)
    assert os.path.exists(prefix + ".meta"), prefix
    return prefix


def b_tf1_pixtral_adam_to_torch(d):
    import tensorflow as tf

    shapes = {"pixtral_encoder/patch_conv/kernel": (PATCH, PATCH, CH, H), "pixtral_encoder/ln_pre/scale": (H,)}
    for i in range(2):
        p = f"pixtral_encoder/transformer/layer_{i}/"
        shapes[p + "attention_norm/scale"] = (H,)
        for short in ("wq", "wk", "wv", "wo"):
            shapes[p + TF1_ATT[short] + "/kernel"] = (H, H)
        shapes[p + "ffn_norm/scale"] = (H,)
        shapes.update({p + "mlp/gate/kernel": (H, FF), p + "mlp/up/kernel": (H, FF), p + "mlp/down/kernel": (FF, H)})
    g = tf.Graph()
    with g.as_default():
        for n, s in shapes.items():
            tf.compat.v1.get_variable(n, shape=s, initializer=tf.compat.v1.zeros_initializer())
    prefix = _tf1_train_and_save(g, d, "model.ckpt", 5000)
    stored = read_tf(prefix)
    assert "pixtral_encoder/transformer/layer_1/mlp/down/kernel/Adam_1" in stored, sorted(stored)
    m = _pixtral(seed="tgt")  # construction
    s = stored
    _conv(m.patch_conv, s["pixtral_encoder/patch_conv/kernel"])
    _put_t(m.ln_pre.weight, s["pixtral_encoder/ln_pre/scale"])
    for i in range(2):
        lay, p = m.transformer.layers[i], f"pixtral_encoder/transformer/layer_{i}/"
        _put_t(lay.attention_norm.weight, s[p + "attention_norm/scale"])
        _put_t(lay.ffn_norm.weight, s[p + "ffn_norm/scale"])
        for short, path in ATT:
            _lin(lay.get_submodule(path), s[p + TF1_ATT[short] + "/kernel"])
        for short, path, _ in MLP:
            _lin(lay.get_submodule(path), s[p + TF1_MLP[short] + "/kernel"])
    return [_rel(prefix, d)], stored, _pt_values(m, d), []


def b_tf1_tf_keras_tower_to_k3(d):
    import tensorflow as tf
    import tf_keras

    g = tf.Graph()
    with g.as_default():
        tf_keras.layers.Dense(4)(tf_keras.Input((4,)))  # an earlier layer of the graph: `dense` is taken
        src_layers = []
        with tf.compat.v1.variable_scope("tower_0"):
            _k3_px(clear=False, named=False, K=tf_keras, created=src_layers)
        names = [[w.name[:-2] for w in layer.weights] for layer in src_layers]
    assert all(n.startswith("tower_0/") for ns in names for n in ns), names
    prefix = _tf1_train_and_save(g, d, "model.ckpt", 2400)
    stored = read_tf(prefix)
    assert any(k.endswith("/Adam_1") for k in stored), sorted(stored)
    tgt_layers = []
    km = _k3_px(created=tgt_layers)
    fill_random(km.weights, "tgt")
    assert len(src_layers) == len(tgt_layers) == len(_weighted(km))
    for ns, layer in zip(names, tgt_layers, strict=True):  # construction: the same line of code, layer by layer
        layer.set_weights([stored[n] for n in ns])
    return [_rel(prefix, d)], stored, _k3_values(km, d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout50's, over these scenarios, one build at a time

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
