"""A safetensors file keeps no order (its names are sorted), but it keeps its tree. pointnet's PyTorch PointNet
(held-out part 33: `stn_3d.net.0`, `stn_3d.norm`, `stn_3d.head.0`, `conv1.0`, ..., `norm`, `head.7`) into a Keras 3
twin whose names are auto-numbers (`conv1d`, `batch_normalization`, ..., `dense_8`) in creation order: each
container's layers sit together in the twin and numbered elements follow their numbers. Placed so, the input
transform, `conv1` and the heads fit in one way only and pair; the feature transform's `net` and `conv2` hold the
same shapes (and `stn_nd.norm` and `norm`), and a container's children keep no order in the file, so those two may
trade places: ambiguous, with both. The names and shapes are the real file's and the twin's.

A functional Keras model lists its layers as its graph runs them, a block's parallel branches interleaved: deepface's
OpenFace in Keras 3 (`inception_3a_3x3_conv1`, `inception_3a_5x5_conv1`, `inception_3a_3x3_bn1`, ...), against the
safetensors file of its torch.compile'd PyTorch twin (`_orig_mod.inception_3a.branch_3x3.0.conv`, held-out part 45,
recorded). No placement keeps every branch in one piece; keeping each block in one piece (and `_orig_mod`, which every
name has, no container), the convolutions fit in one way only, and two norms of one block with the same width may
trade places."""

import json
import os

from recorded import align_recorded

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))


def _align():
    with open(os.path.join(HERE, "data", "pointnet_to_k3.json")) as f:
        data = json.load(f)
    catalog = Catalog("<pointnet_cls.safetensors>", "safetensors",
                      {n: TensorInfo(n, dtype, tuple(s), 4) for n, s, dtype in data["file"]})
    spec = ModelSpec([VariableSpec(n, tuple(s), dtype, index=i) for i, (n, s, dtype) in enumerate(data["model"])],
                     framework="tf2", source="<Keras 3 PointNet twin>")
    return ckpt_doctor.align(catalog, spec)


def test_containers_in_place_pair_where_only_one_placement_fits():
    got = {p.model: p.checkpoint for p in _align().pairs}
    assert got["conv1d/kernel"] == "stn_3d.net.0.weight"
    assert got["batch_normalization_2/gamma"] == "stn_3d.norm.weight"
    assert got["batch_normalization_2/moving_variance"] == "stn_3d.norm.running_var"
    assert got["dense/kernel"] == "stn_3d.head.0.weight"
    assert got["batch_normalization_3/beta"] == "stn_3d.head.1.bias"
    assert got["conv1d_3/kernel"] == "conv1.0.weight"
    assert got["batch_normalization_6/gamma"] == "conv1.4.weight"
    assert got["dense_6/kernel"] == "head.0.weight"
    assert got["dense_3/kernel"] == "stn_nd.head.0.weight"
    assert not [m for m, c in got.items() if c.startswith(("conv2.", "stn_nd.net.", "norm.", "stn_nd.norm."))]


def test_containers_that_may_trade_places_stay_ambiguous():
    amb = {x.model: x.candidates for x in _align().ambiguous}
    for m in ("conv1d_5/kernel", "conv1d_8/kernel"):
        assert amb[m] == ["conv2.0.weight", "stn_nd.net.0.weight"]
    for m in ("batch_normalization_9/gamma", "batch_normalization_14/gamma"):
        assert amb[m] == ["norm.weight", "stn_nd.norm.weight"]


def test_a_functional_models_interleaved_branches_keep_their_blocks_in_place():
    a = align_recorded("openface_compiled_to_k3.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["conv1/kernel"] == "_orig_mod.conv1.conv.weight"
    assert got["bn1/moving_variance"] == "_orig_mod.conv1.bn.running_var"
    assert got["inception_3a_3x3_conv1/kernel"] == "_orig_mod.inception_3a.branch_3x3.0.conv.weight"
    assert got["inception_3a_5x5_conv2/kernel"] == "_orig_mod.inception_3a.branch_5x5.1.conv.weight"
    assert got["inception_3a_1x1_bn/gamma"] == "_orig_mod.inception_3a.branch_1x1.bn.weight"
    assert got["inception_5b_pool_conv/kernel"] == "_orig_mod.inception_5b.branch_pool.conv.weight"
    assert got["dense_layer/kernel"] == "_orig_mod.dense_layer.weight"
    assert len(got) >= 200
    # (the pooling branch's norm and the 5x5 branch's second, both 32 wide, each after its own convolution)
    amb = {x.model: x.candidates for x in a.ambiguous}
    assert sorted(amb["inception_3a_pool_bn/gamma"]) == ["_orig_mod.inception_3a.branch_5x5.1.bn.weight",
                                                          "_orig_mod.inception_3a.branch_pool.bn.weight"]


def test_a_model_that_is_part_of_the_file_keeps_the_one_largest_set_of_its_containers():
    """diffusers' AutoencoderKL as safetensors (`encoder.`, `decoder.`, `quant_conv.`, `post_quant_conv.`, names
    sorted) into a Keras 3 twin of its encoder and `quant_conv` in auto-numbered names (`conv2d`, ...,
    `group_normalization_9`; held-out part 46, recorded): the one largest set of top-level containers the twin
    holds whole is the encoder and `quant_conv`; the decoder stays unused. Inside the encoder, the mid block's resnets
    and attention interleave in the twin, so only containers two levels deep stay in one piece, and a module makes
    its `norm1` before its `norm2`."""
    a = align_recorded("vae_safetensors_to_k3_autonamed.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["conv2d/kernel"] == "encoder.conv_in.weight"
    assert got["conv2d_11/kernel"] == "encoder.conv_out.weight"
    assert got["group_normalization/gamma"] == "encoder.down_blocks.0.resnets.0.norm1.weight"
    assert got["group_normalization_1/gamma"] == "encoder.down_blocks.0.resnets.0.norm2.weight"
    assert got["conv2d_6/kernel"] == "encoder.down_blocks.1.resnets.0.conv_shortcut.weight"
    assert len(got) >= 16 and not any(c.startswith(("decoder.", "post_quant_conv.")) for c in got.values())


def test_which_element_of_a_numbered_family_the_model_lacks_stays_open():
    """GPT2-ML's TF1 checkpoint (`newslm/layer00` .. `layer03`, names sorted) into a bert4keras model of fewer layers
    (held-out part 35, recorded), the file having lost `layer00`'s output dense: `layer01` and `layer02` are the
    largest set of blocks the model holds whole, but `layer00`, held in part, explains the model's first block as
    well. Which block the model lacks is the numbering's question: nothing is placed by the tree."""
    a = align_recorded("gpt2_ml_tf1_to_bert4keras.json.gz", lost="newslm/layer00/output/")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not any(m.startswith("Transformer-0-") and "/layer01/" in c for m, c in got.items())
    assert not any(m.startswith("Transformer-1-") and "/layer02/" in c for m, c in got.items())


def test_flat_names_keep_their_tree_in_their_words():
    """OpenFace in TF1 layer names (`openface/inception_3a_3x3_conv1/kernel`, `openface/inception_3a_3x3_bn1/gamma`;
    a Saver's file, names sorted: no order) into deepface's PyTorch OpenFaceNet (`inception_3a.branch_3x3.0.conv`;
    held-out part 45, recorded): the words of each flat name are its tree (block `inception_3a`, branch `3x3`,
    `conv1` before `conv2`), every such container in one piece in the model's creation order."""
    a = align_recorded("openface_tf1_to_torch.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["inception_3a.branch_3x3.0.conv.weight"] == "openface/inception_3a_3x3_conv1/kernel"
    assert got["inception_3a.branch_3x3.1.bn.running_var"] == "openface/inception_3a_3x3_bn2/moving_variance"
    assert got["conv1.bn.weight"] == "openface/bn1/gamma"
    assert got["inception_5b.branch_pool.conv.weight"] == "openface/inception_5b_pool_conv/kernel"
    assert len(got) >= 212


def test_a_flat_name_is_a_tree_only_where_a_number_inside_it_says_so():
    from ckpt_doctor.match.infer import _flat_tree
    assert _flat_tree("inception_3a_3x3_conv1") == ["inception", "3a", "3x3", "conv1"]
    assert _flat_tree("layer_0_query") == ["layer", "0", "query"]
    # (Keras auto-numbers, and an octave convolution's four paths, are no containers)
    for name in ("conv2d_1", "batch_normalization_12", "high_low", "dense_layer"):
        assert _flat_tree(name) == [name]
