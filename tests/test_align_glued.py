"""Failure classes found on third-party material (the held-out parts and a sweep over Hugging Face architectures),
each in general form: numbers glued to their word (``conv3``, ``conv3_BN``) and PyTorch's own recurrent layer
numbers (``_l1``), trusted as written until they contradict the shapes (CREPE with conv3 removed, Resemblyzer's
LSTM with a layer fewer); a layer changed under its name; elements numbered from another base and norms nested
under their weight (tf-slim ResNet against torchvision); stacked PyTorch LSTMs against Keras layers; a two-layer head
into a one-layer head."""

import pytest
import test_align_generalise as generalise  # a test module beside this one: its in-memory checkpoint and spec


def _align(ckpt: list, model: list, fmt: str = "torch", framework: str = "tf2"):
    return generalise._align(ckpt, model, fmt, framework)


def _pairs(a) -> dict:
    return {p.model: p.checkpoint for p in a.pairs}


# CREPE-like: six convs, conv3 and conv4 of equal shape; the model drops conv3 and renumbers the rest
_WIDTHS = [1, 32, 8, 8, 8, 16, 24]  # in-channels of conv1, then each conv's out-channels


def _crepe(drop: int | None):
    convs = [k for k in range(1, 7) if k != drop]
    keras_side: list = []
    for new, old in enumerate(convs, start=1):
        i, o = _WIDTHS[old - 1], _WIDTHS[old]
        keras_side += [(f"conv{new}/kernel", (4, 1, i, o)), (f"conv{new}/bias", (o,))] + \
            [(f"conv{new}-BN/{v}", (o,)) for v in ("gamma", "beta", "moving_mean", "moving_variance")]
    return keras_side


def _torch_crepe():
    out = []
    for k in range(1, 7):
        i, o = _WIDTHS[k - 1], _WIDTHS[k]
        out += [(f"conv{k}.weight", (o, i, 4, 1)), (f"conv{k}.bias", (o,))] + \
            [(f"conv{k}_BN.{v}", (o,)) for v in ("weight", "bias", "running_mean", "running_var")]
    return out


def test_glued_numbers_shifted_where_names_contradict_shapes():
    a = _align(_torch_crepe(), _crepe(drop=3))
    got = _pairs(a)
    # conv1, conv2 keep their names; conv5 -> conv4 and conv6 -> conv5 (their shapes prove the shift)
    assert got["conv1/kernel"] == "conv1.weight" and got["conv2-BN/gamma"] == "conv2_BN.weight"
    assert got["conv4/kernel"] == "conv5.weight" and got["conv4-BN/moving_variance"] == "conv5_BN.running_var"
    assert got["conv5/kernel"] == "conv6.weight" and got["conv5/bias"] == "conv6.bias"
    # conv3 of the model is conv3 or conv4 of the checkpoint (equal shapes): no file says which went
    amb = {x.model: set(x.candidates) for x in a.ambiguous}
    assert amb["conv3/kernel"] == {"conv3.weight", "conv4.weight"}
    assert not any(m.startswith("conv3") for m in got)


def test_glued_names_kept_when_shapes_agree():
    # the last conv removed, names kept: nothing contradicts the names, nothing is in doubt
    model = [x for x in _crepe(drop=None) if not x[0].startswith("conv6")]
    a = _align(_torch_crepe(), model)
    assert _pairs(a) == {n: n.replace("-BN", "_BN").replace("/kernel", ".weight").replace("/gamma", ".weight")
                         .replace("/beta", ".bias").replace("/moving_mean", ".running_mean")
                         .replace("/moving_variance", ".running_var").replace("/", ".") for n, _ in model}
    assert not a.ambiguous


def test_named_layers_are_not_swapped_by_shape():
    # fc1 and fc2 with transposed shapes in one framework: no shift explains them, and names people chose are
    # not reordered by a unique composition (that is for auto-numbered layers)
    ckpt = [("mlp/fc1/kernel", (8, 4)), ("mlp/fc1/bias", (4,)), ("mlp/fc2/kernel", (4, 8)), ("mlp/fc2/bias", (8,))]
    model = [("mlp/fc1/kernel", (4, 8)), ("mlp/fc1/bias", (8,)), ("mlp/fc2/kernel", (8, 4)), ("mlp/fc2/bias", (4,))]
    a = _align(ckpt, model, fmt="tf-v2", framework="tf1")
    assert not a.pairs


def test_changed_layer_lends_no_bias():
    # the classifier's input width changed (a conv removed before it): its kernel cannot load, and no framework
    # restores half a layer, so its bias of the same shape is ambiguous with the reason, not paired
    ckpt = [("features.weight", (8, 3)), ("features.bias", (8,)), ("classifier.weight", (10, 64)),
            ("classifier.bias", (10,))]
    model = [("features/kernel", (3, 8)), ("features/bias", (8,)), ("classifier/kernel", (48, 10)),
             ("classifier/bias", (10,))]
    a = _align(ckpt, model)
    assert _pairs(a) == {"features/kernel": "features.weight", "features/bias": "features.bias"}
    amb = {x.model: x for x in a.ambiguous}
    assert amb["classifier/bias"].candidates == ["classifier.bias"] and "layer changed" in amb["classifier/bias"].reason


def test_stacked_lstm_with_one_layer_fewer_is_ambiguous():
    # PyTorch numbers stacked recurrent layers itself (``_l0``, ``_l1``): a three-layer checkpoint into a two-layer
    # LSTM -- layer 1 or layer 2 went, no file says (layers 1 and 2 have equal shapes; layer 0 has its own input)
    def lstm(n):
        out = []
        for k in range(n):
            i = 40 if k == 0 else 64
            out += [(f"lstm.weight_ih_l{k}", (256, i)), (f"lstm.weight_hh_l{k}", (256, 64)),
                    (f"lstm.bias_ih_l{k}", (256,)), (f"lstm.bias_hh_l{k}", (256,))]
        return out

    a = _align(lstm(3), lstm(2), framework="torch")
    assert _pairs(a) == {n: n for n, _ in lstm(1)}
    amb = {x.model: set(x.candidates) for x in a.ambiguous}
    assert amb["lstm.weight_hh_l1"] == {"lstm.weight_hh_l1", "lstm.weight_hh_l2"}
    assert len(amb) == 4


def test_elements_numbered_from_another_base():
    # tf-slim numbers a block's units from 1 (``unit_1``), torchvision from 0 (``layer1.0``); units 2 and 3 are
    # equal, so element by element they tie: one offset over the container pairs them all
    def slim(block, units, width):
        out = []
        for u in range(1, units + 1):
            i = width * 2 if u == 1 else width * 4
            for k, (a, b, kh) in enumerate(((i, width, 1), (width, width, 3), (width, width * 4, 1)), start=1):
                out.append((f"resnet_v1_50/block{block}/unit_{u}/bottleneck_v1/conv{k}/weights", (kh, kh, a, b)))
        return out

    ckpt = slim(1, 3, 16) + slim(2, 4, 32)
    model = [(f"layer{n[len('resnet_v1_50/block')]}.{int(n.split('/')[2][5:]) - 1}.{n.split('/')[4]}.weight",
              (s[3], s[2], s[0], s[1])) for n, s in ckpt]
    a = _align(ckpt, model, fmt="tf-v2", framework="torch")
    assert _pairs(a) == {m: c for (c, _), (m, _) in zip(ckpt, model, strict=True)}
    assert not a.ambiguous
    assert _pairs(a)["layer2.3.conv2.weight"] == "resnet_v1_50/block2/unit_4/bottleneck_v1/conv2/weights"


def test_norm_nested_under_its_weight_follows_the_weight():
    # tf-slim nests a conv's norm under the conv (``conv1/BatchNorm/gamma``); torchvision names it a sibling
    # (``bn1``) created after the conv. Once the convs pair, each norm follows its conv, role by role, though the
    # norms of conv1 and conv2 (and of both units) have equal shapes and tie among renamings
    ckpt, model = [], []
    for u in (1, 2):
        block = f"net/block1/unit_{u}/bottleneck_v1"
        for k, (a, b) in enumerate(((16 if u == 1 else 32, 8), (8, 8), (8, 32)), start=1):
            ckpt += [(f"{block}/conv{k}/weights", (1, 1, a, b))] + \
                [(f"{block}/conv{k}/BatchNorm/{v}", (b,)) for v in ("gamma", "beta", "moving_mean", "moving_variance")]
            model += [(f"layer1.{u - 1}.conv{k}.weight", (b, a, 1, 1))] + \
                [(f"layer1.{u - 1}.bn{k}.{v}", (b,)) for v in ("weight", "bias", "running_mean", "running_var")]
    a = _align(ckpt, model, fmt="tf-v2", framework="torch")
    got = _pairs(a)
    assert got["layer1.1.bn2.weight"] == "net/block1/unit_2/bottleneck_v1/conv2/BatchNorm/gamma"
    assert got["layer1.1.bn1.running_var"] == "net/block1/unit_2/bottleneck_v1/conv1/BatchNorm/moving_variance"
    assert got["layer1.0.bn3.bias"] == "net/block1/unit_1/bottleneck_v1/conv3/BatchNorm/beta"
    assert len(got) == len(model) and not a.ambiguous


@pytest.mark.parametrize("wrapper", ["", "model."])  # (Lightning saves the module under `model.`)
def test_stacked_lstm_into_keras_layers(wrapper):
    # a three-layer nn.LSTM into three Keras LSTM layers (``lstm``, ``lstm_1``, ``lstm_2``): layer k is Keras' k-th,
    # kernels transposed; Keras' one bias is no single PyTorch bias (two, summed): ambiguous with the reason
    ckpt = []
    for k in range(3):
        lstm = f"{wrapper}lstm"
        ckpt += [(f"{lstm}.weight_ih_l{k}", (64, 10 if k == 0 else 16)), (f"{lstm}.weight_hh_l{k}", (64, 16)),
                 (f"{lstm}.bias_ih_l{k}", (64,)), (f"{lstm}.bias_hh_l{k}", (64,))]
    layers = ["lstm", "lstm_1", "lstm_2"]
    model = [(f"sequential/{name}/lstm_cell/{v}", s) for k, name in enumerate(layers)
             for v, s in (("kernel", (10 if k == 0 else 16, 64)), ("recurrent_kernel", (16, 64)), ("bias", (64,)))]
    a = _align(ckpt, model)
    assert _pairs(a) == {f"sequential/{name}/lstm_cell/{v}": f"{wrapper}lstm.weight_{r}_l{k}"
                         for k, name in enumerate(layers) for v, r in (("kernel", "ih"), ("recurrent_kernel", "hh"))}
    assert {x.model for x in a.ambiguous} == {f"sequential/{name}/lstm_cell/bias" for name in layers}


def test_two_layer_head_into_one_layer_head_is_not_paired():
    # a sequence-classification checkpoint (``classifier/dense``, ``classifier/out_proj``) into a token-classification
    # model (one ``classifier``): dropping ``out_proj`` would fit by shape, but the head changed kind (Hugging Face
    # leaves it new): renamed or new, no file says -- never paired
    dense = (("kernel", (16, 16)), ("bias", (16,)))
    body = [("embeddings/word_embeddings/weight", (50, 16))] + \
        [(f"encoder/layer_._{i}/output/dense/{v}", s) for i in range(2) for v, s in dense]
    ckpt = [(f"tf_model/roberta/{n}", s) for n, s in body] + [
        ("tf_model/classifier/dense/kernel", (16, 16)), ("tf_model/classifier/dense/bias", (16,)),
        ("tf_model/classifier/out_proj/kernel", (16, 3)), ("tf_model/classifier/out_proj/bias", (3,))]
    model = [("roberta.embeddings.word_embeddings.weight", (50, 16))] + \
        [(f"roberta.encoder.layer.{i}.output.dense.{v}", s) for i in range(2)
         for v, s in (("weight", (16, 16)), ("bias", (16,)))] + \
        [("classifier.weight", (3, 16)), ("classifier.bias", (3,))]
    a = _align(ckpt, model, fmt="tf-v2", framework="torch")
    got = _pairs(a)
    assert got["roberta.encoder.layer.1.output.dense.weight"] == \
        "tf_model/roberta/encoder/layer_._1/output/dense/kernel"
    assert "classifier.weight" not in got and "classifier.bias" not in got


def test_a_bias_alone_does_not_move_into_a_replaced_head():
    # an image classifier's linear head (`classifier.weight` [3, 16]) against a segmentation model's 1x1 conv head
    # (`decode_head/classifier/kernel` [1, 1, 16, 3]): the weights cannot pair, so the bias of the same width is
    # no proven value either (the head was replaced)
    ckpt = [("encoder.block.0.dense.weight", (16, 8)), ("encoder.block.0.dense.bias", (16,)),
            ("classifier.weight", (3, 16)), ("classifier.bias", (3,))]
    model = [("segformer/encoder/block_._0/dense/kernel", (8, 16)), ("segformer/encoder/block_._0/dense/bias", (16,)),
             ("segformer/decode_head/classifier/kernel", (1, 1, 16, 3)),
             ("segformer/decode_head/classifier/bias", (3,))]
    a = _align(ckpt, model)
    assert _pairs(a) == {"segformer/encoder/block_._0/dense/kernel": "encoder.block.0.dense.weight",
                         "segformer/encoder/block_._0/dense/bias": "encoder.block.0.dense.bias"}


def test_loop_built_names_with_a_block_left_over_are_in_doubt():
    # keras.applications-style names a loop built (``conv4_block3_1_conv``): the checkpoint has four equal blocks
    # after the first, the model three; which block went, no file says -- the equal blocks are ambiguous, the
    # distinct first block keeps its name (ResNetV2 with a block removed, from the fourth held-out part)
    def blocks(n):
        out = []
        for b in range(1, n + 1):
            width = 8 if b == 1 else 16
            out += [(f"conv4_block{b}_1_conv/kernel", (1, 1, width, 4)), (f"conv4_block{b}_1_bn/gamma", (4,)),
                    (f"conv4_block{b}_2_conv/kernel", (3, 3, 4, 16)), (f"conv4_block{b}_2_bn/gamma", (16,))]
        return out

    a = _align(blocks(5), blocks(4), fmt="tf-v2", framework="tf2")
    got = _pairs(a)
    assert got == {n: n for n, _ in blocks(1)}
    amb = {x.model: set(x.candidates) for x in a.ambiguous}
    assert "conv4_block3_2_conv/kernel" in amb and "conv4_block3_2_conv/kernel" in amb["conv4_block3_2_conv/kernel"]


def test_structure_does_not_rest_on_a_few_units_among_gaps():
    # names that share nothing, most units of another shape on each side (attention kernels split into heads of
    # another size than the checkpoint's projections hold): the few that fit are held in place by gaps, not by
    # order -- no pair
    def sides(head: int) -> tuple[list, list]:
        ckpt, model = [], []
        for b in range(2):
            ckpt += [(f"enc.block{b}.attn.{p}.weight", (4 * 8, 32)) for p in "qkvo"] + \
                [(f"enc.block{b}.mlp.fc.weight", (48, 32)), (f"enc.block{b}.mlp.fc.bias", (48,))]
            model += [(f"encoder/layer_{b}/attention/{p}/kernel", (32, 4, head)) for p in ("query", "key", "value")] + \
                [(f"encoder/layer_{b}/attention/out/kernel", (4, head, 32)),
                 (f"encoder/layer_{b}/ffn/dense/kernel", (32, 48)), (f"encoder/layer_{b}/ffn/dense/bias", (48,))]
        return ckpt, model

    assert not _align(*sides(6)).pairs
    # heads of the projections' size (keras-hub against PyTorch): every unit fits, the order holds them; what pairs
    # is block b's with layer b's
    got = _pairs(_align(*sides(8)))
    assert got and all(c.split(".")[1] == "block" + m.split("/")[1].split("_")[1] for m, c in got.items()), got


def test_tf_keras_object_paths_pair_by_rank_among_layers_with_weights():
    # tf-keras' TF-format checkpoint (`layer_with_weights-N/kernel`) into a Keras model whose spec gives each
    # variable's rank among the layers with weights (`keras-h5` key): same rank, same attribute, though both convs
    # have one shape; a rank whose layers hold other attributes on the two sides (a nested model) is not read so
    import ckpt_doctor
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    ckpt = [("layer_with_weights-0/kernel", (3, 3, 8, 8)), ("layer_with_weights-0/bias", (8,)),
            ("layer_with_weights-1/gamma", (8,)), ("layer_with_weights-1/beta", (8,)),
            ("layer_with_weights-2/kernel", (3, 3, 8, 8)), ("layer_with_weights-2/bias", (8,))]
    model = [("conv_a/kernel", (3, 3, 8, 8), "0/0"), ("conv_a/bias", (8,), "0/1"), ("bn/gamma", (8,), "1/0"),
             ("bn/beta", (8,), "1/1"), ("conv_b/kernel", (3, 3, 8, 8), "2/0"), ("conv_b/bias", (8,), "2/1")]
    catalog = Catalog("<synthetic>", "tf-v2", {n: TensorInfo(n, "float32", s, 4) for n, s in ckpt})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i, keys={"keras-h5": k})
                      for i, (n, s, k) in enumerate(model)], framework="tf2", source="<synthetic>")
    a = ckpt_doctor.align(catalog, spec)
    assert _pairs(a) == {m: c for (c, _), (m, _, _) in zip(ckpt, model, strict=True)}
    # the model wraps the last conv and a new norm in a nested model (rank 2 holds four variables): not read by rank
    nested = model[:4] + [("block/conv_b/kernel", (3, 3, 8, 8), "2/0"), ("block/conv_b/bias", (8,), "2/1"),
                          ("block/bn2/gamma", (8,), "2/2"), ("block/bn2/beta", (8,), "2/3")]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i, keys={"keras-h5": k})
                      for i, (n, s, k) in enumerate(nested)], framework="tf2", source="<synthetic>")
    got = _pairs(ckpt_doctor.align(catalog, spec))
    assert got["conv_a/kernel"] == "layer_with_weights-0/kernel" and "block/bn2/gamma" not in got


def test_depthwise_conv1d_kernel_layout():
    # a 1-D depthwise kernel (Keras SeparableConv1D, ConvBERT): TF [k, C, 1] is PyTorch's grouped [C, 1, k] --
    # not the plain conv layout ([1, C, k]); both directions (found by the HF sweep: ConvBERT, 16 values missed)
    from ckpt_doctor.match.names import transform_for

    assert transform_for("kernel", "weight", (3, 32, 1), (32, 1, 3)) == (True, "permute(1,2,0)")
    assert transform_for("weight", "kernel", (32, 1, 3), (3, 32, 1)) == (True, "permute(2,0,1)")
    assert transform_for("kernel", "weight", (3, 16, 1), (1, 16, 3)) == (True, "permute(2,1,0)")  # a plain conv
    a = _align([("enc.sep.weight", (32, 1, 3)), ("enc.sep.bias", (32,))],
               [("enc/sep/depthwise_kernel", (3, 32, 1)), ("enc/sep/bias", (32,))])
    assert {p.model: p.transform for p in a.pairs} == {"enc/sep/depthwise_kernel": "permute(2,0,1)",
                                                       "enc/sep/bias": None}


def test_a_bias_does_not_pair_by_path_when_its_layers_kernel_is_left_ambiguous():
    """(heldout5, basic-pitch) A Keras 3 port's ``.weights.h5`` (keys by layer class and rank, ``layers/conv2d_2``)
    against the original tf-keras model whose two 32-channel convs come in the other order: the kernels do not fit
    by path and are left ambiguous (renamed or new?), so the bias beside each is no proven value either: no framework
    restores half a layer. It was paired by its path, with the other conv's bias."""
    import ckpt_doctor
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    files = [("conv2d", (3, 39, 8, 8), "harmonic_conv"), ("conv2d_1", (5, 5, 8, 1), "contour_head"),
             ("conv2d_2", (5, 5, 8, 32), "onset_conv"), ("conv2d_3", (7, 7, 1, 32), "note_conv"),
             ("conv2d_4", (7, 3, 32, 1), "note_head"), ("conv2d_5", (3, 3, 33, 1), "onset_head")]
    tensors = {}
    for layer, shape, saved in files:
        for i, s in enumerate((shape, shape[-1:])):
            name = f"layers/{layer}/vars/{i}"
            tensors[name] = TensorInfo(name=name, dtype="float32", shape=s, nbytes=4, full_name=f"{saved}/vars/{i}")
    model = [("conv2d_1", (3, 39, 8, 8), "conv2d"), ("contours-reduced", (5, 5, 8, 1), "conv2d_1"),
             ("conv2d_2", (7, 7, 1, 32), "conv2d_2"), ("conv2d_4", (5, 5, 8, 32), "conv2d_3"),
             ("conv2d_3", (7, 3, 32, 1), "conv2d_4"), ("conv2d_5", (3, 3, 33, 1), "conv2d_5")]
    variables = [VariableSpec(name=f"{layer}/{leaf}", shape=s, dtype="float32", index=2 * k + i,
                              keys={"keras3": f"layers/{path}/vars/{i}"})
                 for k, (layer, shape, path) in enumerate(model)
                 for i, (leaf, s) in enumerate((("kernel", shape), ("bias", shape[-1:])))]
    a = ckpt_doctor.align(Catalog("<k3 port>", "keras3-weights", tensors),
                          ModelSpec(variables, framework="tf2", restore="object"))
    paired = {p.model: p.checkpoint for p in a.pairs}
    for bias, wrong in (("conv2d_2/bias", "layers/conv2d_2/vars/1"), ("conv2d_4/bias", "layers/conv2d_3/vars/1")):
        assert paired.get(bias) != wrong


def test_a_tf_w_is_a_kernel_and_a_pytorch_model_says_whether_its_weight_is_transposed():
    """(heldout5, Sonnet) TF code outside Keras stores ``w`` as ``x @ w`` computes, ``[in, out]``: a Keras kernel
    takes it as it is (it was transposed, and a square one paired so); nn.Linear's ``[out, in]`` takes it transposed
    and Hugging Face's Conv1D ``[in, out]`` as it is: the model's other, non-square weights say which."""
    import ckpt_doctor
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    dims = [(4, 8), (8, 8), (8, 3)]
    tensors = {}
    for i, (a, b) in enumerate(dims):
        for leaf, shape in (("w", (a, b)), ("b", (b,))):
            name = f"mlp/linear_{i}/{leaf}"
            tensors[name] = TensorInfo(name=name, dtype="float32", shape=shape, nbytes=4)
    catalog = Catalog("<snt>", "tf-v2", tensors)

    def spec(framework, leaf, layout):
        return ModelSpec([VariableSpec(name=n, shape=s, dtype="float32", index=k) for k, (n, s) in enumerate(
            (f"mlp/linear_{i}/{x}", shape) for i, (a, b) in enumerate(dims)
            for x, shape in ((leaf, layout(a, b)), ("bias", (b,))))], framework=framework)

    keras = ckpt_doctor.align(catalog, spec("tf2", "kernel", lambda a, b: (a, b)))
    assert {p.model: p.transform for p in keras.pairs if "kernel" in p.model} == \
        {f"mlp/linear_{i}/kernel": None for i in range(3)}
    linear = ckpt_doctor.align(catalog, spec("torch", "weight", lambda a, b: (b, a)))
    assert {p.model: p.transform for p in linear.pairs if "weight" in p.model} == \
        {f"mlp/linear_{i}/weight": "transpose" for i in range(3)}
    conv1d = ckpt_doctor.align(catalog, spec("torch", "weight", lambda a, b: (a, b)))
    assert {p.model: p.transform for p in conv1d.pairs if "weight" in p.model} == \
        {f"mlp/linear_{i}/weight": None for i in range(3)}


def test_why_says_a_convention_over_many_layers_once_not_per_variable():
    """(trial3 M3) tf-keras' `layer_with_weights-N` names into a Keras model: every variable is an explicit rename
    of one convention; "Why:" says so once with the count (the rules still list every rename), not once each."""
    import ckpt_doctor
    from ckpt_doctor.catalog import Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    ckpt, model = [], []
    for k in range(6):
        for i, (attr, shape) in enumerate((("kernel", (4, 4)), ("bias", (4,)))):  # equal: names decide
            ckpt.append((f"layer_with_weights-{k}/{attr}", shape))
            model.append((f"dense_{k}/{attr}", shape, f"{k}/{i}"))
    catalog = Catalog("<synthetic>", "tf-v2", {n: TensorInfo(n, "float32", s, 4) for n, s in ckpt})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i, keys={"keras-h5": k})
                      for i, (n, s, k) in enumerate(model)], framework="tf2", source="<synthetic>")
    a = ckpt_doctor.align(catalog, spec)
    assert len(a.pairs) == 12 and sum(r.kind == "rename" for r in a.rules.rules) == 12
    said = [s for s in a.sentences if "another convention" in s]
    assert len(said) == 1 and said[0].startswith("12 variables"), a.sentences
