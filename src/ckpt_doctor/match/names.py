"""Name conventions, reduced to canonical tokens so that the same variable matches across frameworks.

``bert/encoder/layer_0/attention/self/query/kernel`` (TensorFlow) and
``bert.encoder.layer.0.attention.self.query.weight`` (PyTorch) both become
``bert encoder layer 0 attention self query`` with leaf class ``kernel`` vs ``weight``: equal tokens, and the
leaf classes decide the value transform (a TF kernel is a transposed / permuted PyTorch weight).
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache

ATTRIBUTE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
# tf.train.ExponentialMovingAverage names the average of a variable after it: ``conv/weights/ExponentialMovingAverage``
EMA_SUFFIX = "/ExponentialMovingAverage"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NUMBERED = re.compile(r"^(.*?[a-z][a-z0-9]*?)_(\d+)$")  # dense_3, layer_0, conv4_1 (not a bare number)
_TIME_DISTRIBUTED = re.compile(r"time_distributed(_\d+)?")
_GLUED = re.compile(r"^([a-z])(\d+)$")  # OpenAI GPT-2's ``h0`` is Hugging Face's ``h.0`` (one letter, then digits)
_HYPHEN_NUMBER = re.compile(r"-(\d+)(?:-|$)")  # `Encoder-3-FeedForward`: the number a part of its own

# Leaf names that mean "the layer's main weight"; they are dropped from the canonical tokens (PyTorch's
# ``word_embeddings.weight`` is TF's ``word_embeddings``) and remembered as the leaf class.
# Tokens are compared without underscores and case (``LayerNorm`` = ``layer_norm`` = ``layernorm``).
WEIGHT_LEAVES = {"kernel": "kernel", "weight": "weight", "gamma": "scale", "scale": "scale",
                 "embeddings": "embedding", "depthwisekernel": "kernel", "pointwisekernel": "kernel",
                 # TF1 code's own lookup tables (``tf.compat.v1.get_variable("table")``, ``embedding_table``):
                 # [vocab, dim] in every framework
                 "table": "embedding", "embeddingtable": "embedding",
                 # TF1 code outside Keras (OpenAI's GPT-2: ``c_attn/w``, ``ln_1/g``) stores weights in the
                 # consumer's layout: no permutation, at most a unit axis (``[1, nx, nf]``)
                 "w": "weight", "g": "scale",
                 # tf-slim, TF1 tutorials and Caffe-to-TF converters: ``conv1/weights`` in TF's layout (HWIO,
                 # [in, out]; slim's separable convs: ``depthwise_weights`` [kh, kw, C, 1], ``pointwise_weights``);
                 # a PyTorch-side ``weights`` is re-classed by ``infer`` (``_torch_layouts``)
                 "weights": "kernel", "depthwiseweights": "kernel", "pointwiseweights": "kernel",
                 # Keras ``PReLU``'s slope (``(1, 1, C)`` with shared axes, ``(C,)`` after a Dense) is PyTorch
                 # ``nn.PReLU``'s ``weight`` (C,): one real axis, the same order in every layout
                 "alpha": "scale",
                 # Google's BERT code (BERT, ALBERT, Megatron-BERT, TAPAS heads): ``output_weights`` [labels,
                 # hidden], multiplied with transpose_b: PyTorch's layout already
                 "outputweights": "weight",
                 # PyTorch's nn.MultiheadAttention keeps its packed query-key-value projection as its own
                 # ``in_proj_weight`` [3E, E] (``in_proj_bias``): the attention layer's main weight
                 "inprojweight": "weight"}
# Leaves that are renamed between frameworks but are not "the weight".
LEAF_SYNONYMS = {"beta": "bias", "b": "bias", "biases": "bias", "offset": "bias",  # Sonnet / tf.nn norms' offset
                 "outputbias": "bias",  # Google's BERT heads (``cls/predictions/output_bias``)
                 "mean": "runningmean", "variance": "runningvar",  # Caffe-converted BatchNorm statistics
                 "movingmean": "runningmean", "movingvariance": "runningvar",
                 "runningvariance": "runningvar", "inprojbias": "bias"}

# A Bayesian layer's variational posterior, a mean and a scale before its softplus per weight (TensorFlow
# Probability's ``kernel_posterior_loc`` / ``kernel_posterior_untransformed_scale`` in TF's layout; bayesian-torch's
# ``mu_kernel`` / ``rho_kernel``, ``mu_weight`` / ``rho_weight`` and blitz' ``weight_mu`` / ``weight_rho`` in
# PyTorch's, their scale softplus(rho) as TFP's): the role word, then the leaf class or ``bias``.
POSTERIOR_LEAVES = {
    "kernelposteriorloc": ("mu", "kernel"), "kernelposterioruntransformedscale": ("rho", "kernel"),
    "biasposteriorloc": ("mu", "bias"), "biasposterioruntransformedscale": ("rho", "bias"),
    **dict.fromkeys(("mukernel", "muweight", "weightmu"), ("mu", "weight")),
    **dict.fromkeys(("rhokernel", "rhoweight", "weightrho"), ("rho", "weight")),
    **dict.fromkeys(("mubias", "biasmu"), ("mu", "bias")), **dict.fromkeys(("rhobias", "biasrho"), ("rho", "bias")),
}

# The classic ImageNet CNNs in the namings their weights are most often shipped with besides torchvision's, read as
# torchvision's (and timm's for a ResNet). Patterns on canonical tokens (underscores out: ``res2abranch2a``,
# ``conv2block11conv``).
# - A ResNet (v1) in Caffe's naming (the MSRA models, Caffe-converted weights, Keras' ResNet50 before 2.2.5,
#   keras-resnet): a block's layers are ``res{stage}{block}_branch{branch}``, its norms ``bn...`` (a Caffe ``Scale``
#   layer's gamma and beta ``scale...``), stages 2 to 5, blocks ``a``, ``b``, ``c`` or ``a``, ``b1``, ``b2``
#   (ResNet-101/152, keras-resnet), branch ``2a``, ``2b``, ``2c`` the main path's layers, ``1`` the shortcut's;
#   torchvision's ``layer{stage - 1}.{block}.conv{k}`` / ``bn{k}``, ``downsample.0`` / ``downsample.1``. Stem
#   ``conv1`` / ``bn_conv1``, classifier ``fc1000``: ``conv1`` / ``bn1``, ``fc``.
# - A ResNet (v1) in keras.applications' naming (since Keras 2.2.5): ``conv{stage}_block{block + 1}_{k}_conv`` /
#   ``_bn``, ``k`` = 0 the shortcut's; stem ``conv1_conv`` / ``conv1_bn``, classifier ``predictions``. (Its ResNetV2,
#   with ``preact_bn`` norms before the convs, is another block: not read so.)
# - A DenseNet in keras.applications' naming: ``conv{stage}_block{layer}_0_bn``, ``_1_conv``, ``_1_bn``,
#   ``_2_conv`` are ``features.denseblock{stage - 1}.denselayer{layer}.norm1``, ``conv1``, ``norm2``, ``conv2``;
#   ``pool{stage}_bn`` / ``_conv`` the transition's ``norm`` / ``conv``; stem ``conv1/conv`` / ``conv1/bn``
#   ``features.conv0`` / ``norm0``, the last norm ``bn`` ``features.norm5``, ``predictions`` the ``classifier``.
# - A VGG in keras.applications' naming: ``block{b}_conv{k}`` are ``features.{i}``, each conv two places on (the
#   conv, its ReLU) and each block one more (its pool); ``fc1``, ``fc2``, ``predictions`` are ``classifier.0``,
#   ``.3``, ``.6``.
_CAFFE_BLOCK = re.compile(r"^(res|bn|scale)([2-9])(a|b\d+|[b-z])_?branch(1|2[a-z])$")
_KERAS_BLOCK = re.compile(r"^conv([2-9])_?block(\d+)_?([0-3])_?(conv|bn)$")
_KERAS_TRANSITION = re.compile(r"^pool([2-9])_?(conv|bn)$")
_KERAS_VGG = re.compile(r"^block([1-9])_?conv([1-9])$")
_STEMS: dict[str, dict[tuple[str, ...], str]] = {
    "Caffe's ResNet": {("conv1",): "conv1", ("bnconv1",): "bn1", ("scaleconv1",): "bn1", ("fc1000",): "fc"},
    "keras.applications' ResNet": {("conv1conv",): "conv1", ("conv1bn",): "bn1", ("predictions",): "fc"},
    "keras.applications' DenseNet": {("conv1", "conv"): "features.conv0", ("conv1", "bn"): "features.norm0",
                                     ("bn",): "features.norm5", ("predictions",): "classifier"},
    "keras.applications' VGG": {("fc1",): "classifier.0", ("fc2",): "classifier.3", ("predictions",): "classifier.6"},
}
# (the convs per block of VGG's configurations A, B, D, E: VGG11, 13, 16, 19; a conv of a side that is none of these
# moves every place after it)
_VGG_BLOCKS = ((1, 1, 2, 2, 2), (2, 2, 2, 2, 2), (2, 2, 3, 3, 3), (2, 2, 4, 4, 4))
_DENSE_LAYER = {("0", "bn"): "norm1", ("1", "conv"): "conv1", ("1", "bn"): "norm2", ("2", "conv"): "conv2"}


def torchvision_paths(tokens: set[str]) -> tuple[str, dict[tuple[str, ...], tuple[str, ...]]] | None:
    """For the distinct tokens of a side's names: (the naming, {token, or two tokens in a row: torchvision's path
    tokens}) where its layers are named in exactly one of the namings above (three block layers or more), else
    None. ``res3b2_branch2a`` and ``conv3_block3_1_conv`` are ``layer2``, ``2``, ``conv1``."""
    named = [t for t in tokens if t.startswith(("res", "bn", "scale", "conv", "block"))]  # (100k names: fast first)
    caffe = {t: m for t in named if (m := _CAFFE_BLOCK.match(t))}
    keras = {t: m for t in named if (m := _KERAS_BLOCK.match(t))}
    vgg = {t: m for t in named if (m := _KERAS_VGG.match(t))}
    if sum(map(bool, (caffe, keras, vgg))) != 1 or any(t.endswith("preactbn") for t in tokens):
        return None  # (several namings, or a ResNetV2's pre-activation blocks: no one reading)
    out: dict[tuple[str, ...], str] = {}
    if caffe:
        naming = "Caffe's ResNet"
        for t, m in caffe.items():
            kind, stage, block, branch = m.groups()
            index = 0 if block == "a" else int(block[1:]) if len(block) > 1 else ord(block) - ord("a")
            where = f"layer{int(stage) - 1}.{index}"
            out[(t,)] = f"{where}.downsample.{0 if kind == 'res' else 1}" if branch == "1" else \
                f"{where}.{'conv' if kind == 'res' else 'bn'}{ord(branch[1]) - ord('a') + 1}"
    elif keras:
        transitions = {t: m for t in tokens if (m := _KERAS_TRANSITION.match(t))}
        if transitions:  # a DenseNet's layers: norm, conv, norm, conv, and a transition between blocks
            naming = "keras.applications' DenseNet"
            for t, m in keras.items():
                role = _DENSE_LAYER.get((m[3], m[4]))
                if role is None or int(m[2]) < 1:
                    return None
                out[(t,)] = f"features.denseblock{int(m[1]) - 1}.denselayer{m[2]}.{role}"
            for t, m in transitions.items():
                out[(t,)] = f"features.transition{int(m[1]) - 1}.{'conv' if m[2] == 'conv' else 'norm'}"
        else:
            naming = "keras.applications' ResNet"
            for t, m in keras.items():
                if int(m[2]) < 1:
                    return None
                where = f"layer{int(m[1]) - 1}.{int(m[2]) - 1}"
                out[(t,)] = f"{where}.downsample.{0 if m[4] == 'conv' else 1}" if m[3] == "0" else \
                    f"{where}.{m[4]}{m[3]}"
    else:
        naming = "keras.applications' VGG"
        convs = sorted(vgg.items(), key=lambda tm: (int(tm[1][1]), int(tm[1][2])))
        blocks = [int(m[1]) for _, m in convs]
        if max(blocks) > 5 or tuple(blocks.count(b) for b in range(1, 6)) not in _VGG_BLOCKS:
            return None  # (a conv missing or one more: the places after it are not known)
        for rank, (t, m) in enumerate(convs):
            out[(t,)] = f"features.{2 * rank + int(m[1]) - 1}"
    if len(out) < 3:
        return None
    out.update((k, v) for k, v in _STEMS[naming].items() if all(t in tokens for t in k))
    return naming, {k: _path_tokens(v) for k, v in out.items()}


# A language model's output projection kept beside its token table (keras-hub's ``ReversibleEmbedding``
# ``reverse_embeddings`` [hidden, vocab]; in a Keras 3 file its ``vars/1``, a kernel by position): laid out as a
# Dense kernel whatever its leaf word says.
OUTPUT_PROJECTION_LEAVES = frozenset({"reverseembeddings"})

# The role of a layer inside a transformer block, by its own name (lower case, underscores and separators out), as
# the published converters pair them (keras-hub's Llama, Mistral, Gemma, BART and DistilBERT converters; Meta's and
# T5's own checkpoints): the norm of the self-attention, of the cross-attention and of the feed-forward part (before
# it in a pre-norm block, after it in a post-norm one: DistilBERT's ``sa_layer_norm`` and ``output_layer_norm``, BERT's
# ``attention.output.LayerNorm`` and ``output.LayerNorm``: a path read whole where its last name says no role), and
# the three projections of a gated feed-forward part. Read only where two layers of a pair of blocks fit each other
# alike and their words decide nothing (Llama's ``post_attention_layernorm`` is keras-hub's ``feedforward_layernorm``).
SUBLAYER_ROLES = {
    **dict.fromkeys(("inputlayernorm", "selfattentionlayernorm", "preattentionnorm", "attentionnorm", "attnnorm",
                     "selfattnlayernorm", "ln1", "attnln", "salayernorm", "attentionoutputlayernorm"),
                    "the self-attention's norm"),
    **dict.fromkeys(("encoderattnlayernorm", "crossattentionlayernorm", "crossattnlayernorm", "crossattnln"),
                    "the cross-attention's norm"),
    **dict.fromkeys(("postattentionlayernorm", "feedforwardlayernorm", "preffwnorm", "ffnnorm", "finallayernorm",
                     "ln2", "mlpln", "outputlayernorm"), "the feed-forward part's norm"),
    # the attention containers of a decoder block (OpenAI Whisper's ``attn`` / ``cross_attn``, Hugging Face's
    # ``self_attn`` / ``encoder_attn``, BERT's ``attention`` / ``crossattention``), as the published converters pair
    # them (transformers' convert_openai_to_hf.py)
    **dict.fromkeys(("attn", "selfattn", "attention", "selfattention"), "self-attention"),
    **dict.fromkeys(("crossattn", "encoderattn", "crossattention", "encoderattention", "encdecattention"),
                    "cross-attention"),
    **dict.fromkeys(("gateproj", "gatingffw", "feedforwardgatedense", "w1", "wi0"), "feed-forward gate"),
    **dict.fromkeys(("upproj", "gatingffw2", "feedforwardintermediatedense", "w3", "wi1"), "feed-forward up"),
    **dict.fromkeys(("downproj", "ffwlinear", "feedforwardoutputdense", "w2", "wo"), "feed-forward down"),
}

# The four projections of an attention layer, by the layer's own name (lower case, underscores and separators out), as
# the published converters pair them: BERT's and Keras' `query` / `key` / `value` (its output `out`, `output`),
# Hugging Face's `q_proj` .. `o_proj` and DistilBERT's `q_lin`, T5's `q` .. `o`, lucidrains' `to_q` .. `to_out`,
# keras-bert's `Wq` .. `Wo` (read as `q` .. `o`), keras-hub's `query_dense`, Meta's and Mistral's own checkpoints'
# `attention.wq` .. `wo` (transformers' convert_llama_weights_to_hf.py and convert_pixtral_weights_to_hf.py). Read
# only to tell apart what fits alike (the projections are equal in shape): renamings that explain equally many
# values, the units of a block (every unit of the group one projection: T5's feed-forward `wo` beside `wi` is no
# attention's output), pairs by order alone.
ATTENTION_PROJECTIONS = {
    **dict.fromkeys(("q", "query", "qproj", "qlin", "toq", "querydense", "queryproj", "wq"), "query"),
    **dict.fromkeys(("k", "key", "kproj", "klin", "tok", "keydense", "keyproj", "wk"), "key"),
    **dict.fromkeys(("v", "value", "vproj", "vlin", "tov", "valuedense", "valueproj", "wv"), "value"),
    **dict.fromkeys(("o", "out", "oproj", "outproj", "outlin", "toout", "outputdense", "wo"), "output"),
}

# How a TF kernel's axes map to a PyTorch weight's, by rank: dense [in, out] -> [out, in]; conv1d/2d/3d
# [k..., in, out] -> [out, in, k...].
_KERNEL_TO_WEIGHT = {2: (1, 0), 3: (2, 1, 0), 4: (3, 2, 0, 1), 5: (4, 3, 0, 1, 2)}
_WEIGHT_TO_KERNEL = {rank: tuple(perm.index(i) for i in range(rank)) for rank, perm in _KERNEL_TO_WEIGHT.items()}


def strip_name(name: str) -> str:
    """The name without TF's output index and object-attribute suffix."""
    if name.endswith(ATTRIBUTE_SUFFIX):
        name = name[:-len(ATTRIBUTE_SUFFIX)]
    colon = name.rfind(":")
    return name[:colon] if colon >= 0 and name[colon + 1:].isdigit() else name


# A Keras recurrent layer's cell: its variables' paths name it by the cell's own name (``gru/gru_cell/kernel``), a
# Keras 3 file by the layer's attribute (``layers/gru/cell/vars/0``): one scope either way
_CELLS = {"grucell": "cell", "lstmcell": "cell", "simplernncell": "cell"}


@cache
def _token(raw: str) -> tuple[str, ...]:
    # (camel case only where a capital is; a number only where the token ends in a digit: most tokens need neither)
    if "-" in raw and _HYPHEN_NUMBER.search(raw):
        # a number between hyphens is an element's (CyberZHG's Keras layers: `Encoder-3-MultiHeadSelfAttention`)
        return tuple(t for part in _HYPHEN_NUMBER.split(raw) if part for t in _token(part))
    t = (raw if raw.islower() else _CAMEL.sub("_", raw).lower()).replace("-", "_").strip("_")
    m = (_NUMBERED.match(t) or _GLUED.match(t)) if t[-1:].isdigit() else None
    if m:
        return m.group(1).replace("_", ""), m.group(2)
    t = t.replace("_", "")
    return (_CELLS.get(t, t),) if t else ()


@lru_cache(maxsize=1 << 17)
def _path_tokens(path: str) -> tuple[str, ...]:
    """Tokens of a scope path, built from its parent's (cached: a layer's variables share their path, a block's
    layers share theirs)."""
    cut = max(path.rfind("/"), path.rfind("."))
    if cut < 0:
        return _token(path)
    return _path_tokens(path[:cut]) + _token(path[cut + 1:]) if cut > 0 else _token(path[cut + 1:])


def canonical(name: str) -> tuple[tuple[str, ...], str | None]:
    """(canonical tokens, leaf class) of a variable name; leaf class is "kernel", "weight", "scale",
    "embedding" for a layer's main weight (dropped from the tokens), else None."""
    name = strip_name(name)
    cut = max(name.rfind("/"), name.rfind("."))
    if cut > 0:
        last = name[cut + 1:]
        if "-" in last and (own := _own_weight(name, cut, last)) is not None:
            return own
        leaf = _leaf(last)  # a layer's variables share their scope, and leaf names repeat
        if leaf is not None:
            return _path_tokens(_wrapped(name[:cut])) + leaf[0], leaf[1]
    return _canonical(name, cut)


# A Keras 2 custom layer names its weights after itself (CyberZHG's keras-bert, keras-gpt-2 and keras-transformer:
# ``Encoder-1-MultiHeadSelfAttention/Encoder-1-MultiHeadSelfAttention_Wq``), the role last: ``W`` a kernel, ``b`` a
# bias, of the sub-layer the rest names (``q``; a feed-forward's ``1``, ``2``)
_OWN_WEIGHT = re.compile(r"^([Wb])_?([A-Za-z0-9]{1,8})$")


def _own_weight(name: str, cut: int, last: str) -> tuple[tuple[str, ...], str | None] | None:
    scope = name[max(name.rfind("/", 0, cut), name.rfind(".", 0, cut)) + 1:cut]
    found = _OWN_WEIGHT.match(last[len(scope) + 1:]) if last.startswith(scope + "_") else None
    if found is None:
        return None
    role, sub = found.groups()
    tokens = _path_tokens(_wrapped(name[:cut])) + _token(sub)
    return (tokens, "kernel") if role == "W" else (tokens + ("bias",), None)


def _wrapped(scope: str) -> str:
    """A Keras ``TimeDistributed`` wrapper's weights are the wrapped layer's: Keras 2 and tf-keras name them by the
    wrapper (``time_distributed_1/kernel``), Keras 3 by both (``time_distributed/dense/kernel``, the inner layer's
    name numbered in its own session). The inner layer's scope is no part of the canonical name."""
    if "time_distributed" not in scope:
        return scope
    cut = max(scope.rfind("/"), scope.rfind("."))
    return scope[:cut] if cut > 0 and _TIME_DISTRIBUTED.fullmatch(scope[max(scope.rfind("/", 0, cut),
                                                                             scope.rfind(".", 0, cut)) + 1:cut]) \
        else scope


@lru_cache(maxsize=1 << 12)
def _leaf(raw: str) -> tuple[tuple[str, ...], str | None] | None:
    """The canonical tokens and leaf class a last name segment contributes, when it decides them on its own."""
    tokens = _token(raw)
    if not tokens:
        return None  # the leaf class is then read from the scope's last token
    return _split_leaf(list(tokens))


def _canonical(name: str, cut: int) -> tuple[tuple[str, ...], str | None]:
    tokens = list(_path_tokens(name[:cut])) if cut > 0 else []
    tokens.extend(_token(name[cut + 1:]) if cut >= 0 else _path_tokens(name))
    return _split_leaf(tokens)


def _split_leaf(tokens: list[str]) -> tuple[tuple[str, ...], str | None]:
    leaf = None
    if tokens and tokens[-1] in POSTERIOR_LEAVES:
        role, leaf = POSTERIOR_LEAVES[tokens.pop()]
        tokens.append(role)
        if leaf == "bias":
            tokens.append(leaf)
            leaf = None
    elif tokens and tokens[-1] in WEIGHT_LEAVES:
        leaf = WEIGHT_LEAVES[tokens.pop()]
    elif tokens and tokens[-1] in LEAF_SYNONYMS:
        tokens[-1] = LEAF_SYNONYMS[tokens[-1]]
    return tuple(tokens), leaf


def transform_for(ckpt_leaf: str | None, model_leaf: str | None, ckpt_shape: tuple[int, ...],
                  model_shape: tuple[int, ...]) -> tuple[bool, str | None]:
    """(compatible, transform) for moving a checkpoint value into a model variable.

    The transform follows from the leaf classes alone (TF ``kernel`` -> PyTorch ``weight`` is always permuted),
    never from shapes: a square kernel is transposed too. Shapes then have to agree after the transform.
    Two roles that one framework tells apart never pair, whatever the shapes (a Keras ``kernel`` is no ``gamma``,
    though a ``[1, 1]`` kernel and a ``[1]`` gamma hold one value each); PyTorch's ``weight`` is any of them.
    """
    if ckpt_leaf != model_leaf and ckpt_leaf in _DISTINCT_ROLES and model_leaf in _DISTINCT_ROLES:
        return False, None
    perm = None
    if (1 in ckpt_shape or 1 in model_shape) and _unit_axes_only(ckpt_shape, model_shape) and \
            sum(d != 1 for d in ckpt_shape) <= 1:
        return True, reshape_name(model_shape)  # one real axis: every layout holds it in the same order
    if ckpt_leaf == "kernel" and model_leaf == "weight":
        perm = _KERNEL_TO_WEIGHT.get(len(ckpt_shape))
    elif ckpt_leaf == "weight" and model_leaf == "kernel":
        perm = _WEIGHT_TO_KERNEL.get(len(ckpt_shape))
    if perm is None:
        if tuple(ckpt_shape) == tuple(model_shape):
            # a square matrix whose role one side does not name (Mesh-TF's ``attn/q``) against a kernel or a
            # weight: kept as it is, or transposed? Its leaf does not say, and shapes cannot.
            if len(ckpt_shape) == 2 and ckpt_shape[0] == ckpt_shape[1] > 1 and (ckpt_leaf is None) != \
                    (model_leaf is None) and (ckpt_leaf or model_leaf) in ("kernel", "weight"):
                return False, None
            return True, None
        # a unit axis more or less (OpenAI GPT-2's [1, nx, nf] ``w``): only between leaves of one layout
        if ckpt_leaf == model_leaf and _unit_axes_only(ckpt_shape, model_shape):
            return True, reshape_name(model_shape)
        return heads_layout(ckpt_leaf, model_leaf, tuple(ckpt_shape), tuple(model_shape))
    moved = tuple(ckpt_shape[i] for i in perm)
    rank = len(ckpt_shape)
    if moved != tuple(model_shape) and rank in _DEPTHWISE and len(model_shape) == rank and (
            ckpt_leaf == "kernel" and ckpt_shape[-1] == 1 and model_shape[1] == 1 or
            ckpt_leaf == "weight" and ckpt_shape[1] == 1 and model_shape[-1] == 1):
        perm = _DEPTHWISE[rank][ckpt_leaf == "weight"]
        moved = tuple(ckpt_shape[i] for i in perm)
    if moved != tuple(model_shape) and rank in _DEPTHWISE and len(model_shape) == rank:
        multiplied = _depth_multiplied(ckpt_leaf, tuple(ckpt_shape), tuple(model_shape))
        if multiplied:
            return True, multiplied
    if moved != tuple(model_shape) and len(ckpt_shape) != len(model_shape):
        split = heads_layout(ckpt_leaf, model_leaf, tuple(ckpt_shape), tuple(model_shape))
        if split[0]:
            return split
        # a 1-D pointwise convolution (kernel size 1: MLP-Mixer's token mixing as nn.Conv1d) is a dense layer: its
        # weight permuted as a conv's, then its unit kernel axis dropped (or added), the values in the same order.
        # (Not a 2-D 1x1 conv: a segmentation head's 1x1 classifier against a Linear one is another head of the
        # same name (SegFormer, in the Hugging Face sweep); a rule file says it where it is meant.)
        if _unit_axes_only(moved, tuple(model_shape)) and sorted((len(ckpt_shape), len(model_shape))) == [2, 3]:
            return True, transform_name(perm) + "+" + reshape_name(tuple(model_shape))
    return moved == tuple(model_shape), transform_name(perm)


# Attention projections split into heads (Keras ``MultiHeadAttention``, keras-hub's ``EinsumDense`` layers): a
# rank-3 kernel holds what PyTorch's rank-2 ``[out, in]`` weight holds, its axes being input axes and output axes
# (heads, head size), each group flattened by PyTorch in the kernel's order. The layouts, by the kernel axes that
# are inputs: [in, heads, head] (query, key, value), [heads, head, out] (the output projection), [heads, in, head]
# (query, key and value batched over heads, as Gemma's); one head may be all (multi-query attention), but a head
# holds more than one value. The bias of a split projection is [heads, head]: the
# same values in the same order as PyTorch's [heads * head].
_HEADS_INPUTS = (((0,), 1), ((0, 1), 0), ((1,), 0))  # (the input axes, the heads axis: one head may be all)
_HEADS_MAX_PROBE = 1 << 20  # elements compared when two layouts fit one shape (they must place them alike)


def heads_layout(ckpt_leaf: str | None, model_leaf: str | None, ckpt_shape: tuple[int, ...],
                 model_shape: tuple[int, ...]) -> tuple[bool, str | None]:
    """(compatible, transform) between a heads-split kernel or bias and PyTorch's flat one (``_HEADS_INPUTS``), by
    leaf role and shape: a kernel against a weight, a bias (no leaf class) against a bias. Where several layouts fit
    the shapes and place the values differently, none is chosen."""
    if ckpt_leaf is None and model_leaf is None:
        flat, split = sorted((ckpt_shape, model_shape), key=len)
        if len(flat) == 1 and len(split) == 2 and min(split) > 1 and split[0] * split[1] == flat[0]:
            return True, reshape_name(model_shape)  # row-major: heads, then the head's values
        return False, None
    if (ckpt_leaf, model_leaf) == ("kernel", "kernel") and sorted((len(ckpt_shape), len(model_shape))) == [2, 3]:
        return _heads_flat_kernel(ckpt_shape, model_shape)
    if (ckpt_leaf, model_leaf, len(ckpt_shape), len(model_shape)) == ("kernel", "weight", 3, 2):
        kernel, weight, to_weight = ckpt_shape, model_shape, True
    elif (ckpt_leaf, model_leaf, len(ckpt_shape), len(model_shape)) == ("weight", "kernel", 2, 3):
        kernel, weight, to_weight = model_shape, ckpt_shape, False
    else:
        return False, None
    fits = []
    for inputs, heads in _HEADS_INPUTS:
        outputs = tuple(a for a in range(3) if a not in inputs)
        if any(kernel[a] == 1 for a in range(3) if a != heads):
            continue  # a head of one value, or a unit input: a depthwise kernel ([k, C, 1]), no projection
        if math.prod(kernel[a] for a in outputs) == weight[0] and math.prod(kernel[a] for a in inputs) == weight[1]:
            fits.append((outputs + inputs, inputs))  # the kernel axes in the weight's order
    if not fits or len(fits) > 1 and not _same_placement(kernel, [perm for perm, _ in fits]):
        return False, None
    perm, inputs = fits[0]
    if to_weight:
        return True, transform_name(perm) + "+" + reshape_name(weight)
    if inputs == tuple(range(len(inputs))):  # [in..., out...]: the transposed weight, its axes split
        return True, "transpose+" + reshape_name(kernel)
    back = tuple(perm.index(a) for a in range(3))
    return True, reshape_name(tuple(kernel[a] for a in perm)) + "+" + transform_name(back)


def _heads_flat_kernel(ckpt_shape: tuple[int, ...], model_shape: tuple[int, ...]) -> tuple[bool, str | None]:
    """A heads-split kernel against a flat Keras or TF kernel ``[in, out]`` (vit-keras' ``query/kernel`` [16, 16]
    against the Flax original's [16, heads, head], as its own converter reshapes it): the split kernel's input axes,
    then its output axes, flattened row-major."""
    to_flat = len(ckpt_shape) == 3
    split, flat = (ckpt_shape, model_shape) if to_flat else (model_shape, ckpt_shape)
    fits = []
    for inputs, heads in _HEADS_INPUTS:
        outputs = tuple(a for a in range(3) if a not in inputs)
        if any(split[a] == 1 for a in range(3) if a != heads):
            continue
        if math.prod(split[a] for a in inputs) == flat[0] and math.prod(split[a] for a in outputs) == flat[1]:
            fits.append(inputs + outputs)  # the split kernel's axes in the flat kernel's order
    if not fits or len(fits) > 1 and not _same_placement(split, fits):
        return False, None
    perm = fits[0]
    moved = "" if perm == (0, 1, 2) else transform_name(perm)
    if to_flat:
        return True, "+".join(filter(None, (moved, reshape_name(flat))))
    back = tuple(perm.index(a) for a in range(3))
    return True, "+".join(filter(None, (reshape_name(tuple(split[a] for a in perm)),
                                        "" if perm == (0, 1, 2) else transform_name(back))))


def _same_placement(kernel: tuple[int, ...], perms: list[tuple[int, ...]]) -> bool:
    """Whether every layout puts every kernel value at the same place of the weight."""
    if math.prod(kernel) > _HEADS_MAX_PROBE:
        return False
    import numpy as np

    index = np.arange(math.prod(kernel)).reshape(kernel)
    flat = [index.transpose(p).reshape(-1) for p in perms]
    return all(np.array_equal(flat[0], f) for f in flat[1:])


# A depthwise kernel (one filter per channel): TF [kh, kw, C, 1] is PyTorch's grouped [C, 1, kh, kw], and the 1-D
# one (Keras SeparableConv1D, ConvBERT) TF [k, C, 1] is [C, 1, k]; by rank: (kernel -> weight, weight -> kernel)
_DEPTHWISE = {4: ((2, 3, 0, 1), (2, 3, 0, 1)), 3: ((1, 2, 0), (2, 0, 1))}


def _depth_multiplied(ckpt_leaf: str | None, ckpt_shape: tuple[int, ...], model_shape: tuple[int, ...]) -> str | None:
    """A depthwise kernel with a depth multiplier M > 1: TF ``[*k, C, M]`` is PyTorch's grouped ``[C * M, 1, *k]``
    (output channel ``c * M + m`` filters input channel ``c``): the permutation to ``[C, M, *k]`` and a reshape,
    or the way back. None where the shapes are not those of one such kernel. A multiplier above the channel count is
    read as a plain kernel's outputs (a stem's ``[3, 3, 3, 32]`` is no 96-channel depthwise kernel)."""
    rank = len(ckpt_shape)
    back = (*range(2, rank), 0, 1)  # [C, M, *k] -> [*k, C, M]
    there = (rank - 2, rank - 1, *range(rank - 2))  # [*k, C, M] -> [C, M, *k]
    if ckpt_leaf == "kernel":
        *k, c, m = ckpt_shape
        if 1 < m <= c and model_shape == (c * m, 1, *k):
            return transform_name(there) + "+" + reshape_name(model_shape)
    elif ckpt_leaf == "weight":
        *k, c, m = model_shape
        if 1 < m <= c and ckpt_shape == (c * m, 1, *k):
            return reshape_name((c, m, *k)) + "+" + transform_name(back)
    return None


_DISTINCT_ROLES = frozenset({"kernel", "scale", "embedding"})  # leaf classes of WEIGHT_LEAVES that are not "weight"


def _unit_axes_only(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Shapes equal once axes of length 1 are dropped (``[1, nx, nf]`` / ``[nx, nf]``; PReLU ``(1, 1, C)`` /
    ``(C,)``): the values keep their order."""
    return a != b and [d for d in a if d != 1] == [d for d in b if d != 1]


def reshape_name(shape: tuple[int, ...]) -> str:
    return "reshape(" + ",".join(map(str, shape)) + ")"


def parse_reshape(text: str | None) -> tuple[int, ...] | None:
    """The target shape of an order-preserving ``reshape(d0,d1,..)`` transform, else None."""
    if not text or not text.startswith("reshape("):
        return None
    m = re.fullmatch(r"reshape\(([\d,\s]*)\)", text)
    if not m:
        raise ValueError(f"unknown transform {text!r} (expected 'reshape(d0,d1,...)')")
    return tuple(int(x) for x in m.group(1).split(",") if x.strip())


def transform_name(perm: tuple[int, ...]) -> str:
    return "transpose" if perm == (1, 0) else "permute(" + ",".join(map(str, perm)) + ")"


def parse_transform(text: str) -> tuple[int, ...] | None:
    """The axis permutation of a transform name ("transpose" reverses 2-D; "permute(3,2,0,1)"); None = none."""
    if text in (None, "", "none") or text.startswith("reshape("):
        return None
    if text == "transpose":
        return (1, 0)
    m = re.fullmatch(r"permute\(([\d,\s]+)\)", text)
    if not m:
        raise ValueError(f"unknown transform {text!r} (expected 'transpose' or 'permute(a,b,...)')")
    perm = tuple(int(x) for x in m.group(1).split(","))
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"{text!r} is not a permutation of axes 0..{len(perm) - 1}")
    return perm
