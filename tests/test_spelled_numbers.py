"""Renamings that tie in shape, told apart by a number glued to a word both names spell (TabNet's `f2`). Recorded real
names and shapes, aligned with no framework:

- a tf_keras TabNet classifier's `.h5` (`tab_net/transform_block_1/transformblock_dense_f2`, `.../transformblock_bn_f2`)
  into its PyTorch twin (`tabnet.f2.fc`, `tabnet.f2.bn`): every feature transformer of one shape, and `f2` said by one
  place on each side;
- segmentation_models' Keras U-Net `.h5` (`decoder_stage2a_bn`) against an FPN (`segm_stage2a_bn`): stage 2a of two
  heads, whose names differ in a word besides the number (`decoder` / `segm`): no evidence."""

from recorded import align_recorded

from ckpt_doctor.match.infer import _container_renamed_alike, _numbered_places, _spelled_words


class _Named:
    def __init__(self, name):
        self.name = name


def test_a_glued_number_is_one_word_and_one_place():
    assert _spelled_words("tab_net/transform_block_1/transformblock_bn_f2") >= {"transformblock", "bn", "f2"}
    places = _numbered_places([_Named(n) for n in (
        "tab_net/transform_block_1/transformblock_dense_f2/kernel",
        "tab_net/transform_block_1/transformblock_bn_f2/beta",
        "tab_net/transform_f3/bn/beta", "tab_net/transform_f3/transform/kernel",
        "rnet/prelu3/alpha", "onet/prelu3/alpha")])
    assert places["f2"] == 1  # sibling layers of one block
    assert places["f3"] == 1  # a container and the layers in it
    assert places["prelu3"] == 2  # a kind's word in two networks


def test_feature_transformers_pair_by_the_number_in_their_names():
    a = align_recorded("tabnet_h5_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["tabnet.f2.fc.weight"] == "tab_net_classifier/tab_net/transform_block_1/transformblock_dense_f2/kernel"
    assert got["tabnet.f3.1.bn.running_var"] == \
        "tab_net_classifier/tab_net/transform_block_3/transformblock_bn_f3_1/moving_variance"
    assert got["tabnet.f4.0.bn.weight"] == "tab_net_classifier/tab_net/transform_block_4/transformblock_bn_f4_0/gamma"
    assert len(got) == 36 and not a.ambiguous


def test_the_same_stage_of_another_head_is_no_evidence():
    a = align_recorded("sm_unet_h5_to_fpn.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not any(m.startswith("segm_stage") and c.startswith("decoder_stage") for m, c in got.items())
    assert "segm_stage2a_bn/gamma" in {x.model for x in a.ambiguous}
    assert len(got) == 309  # the shared encoder, by its names


def test_an_object_graphs_paths_rename_the_containers_around_the_layers():
    """The TF2 checkpoint of the same TabNet: its variable names (`transform_block_bn_f1`) tie, its object paths
    (`model/tabnet/transform_f1/bn`) keep each norm's own name in a container that says `f1` as the model does."""
    a = align_recorded("tabnet_tf2_adam_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["tabnet.f1.bn.weight"] == "model/tabnet/transform_f1/bn/gamma/.ATTRIBUTES/VARIABLE_VALUE"
    assert got["tabnet.f3.1.bn.running_mean"] == \
        "model/tabnet/transform_f3_list/1/bn/moving_mean/.ATTRIBUTES/VARIABLE_VALUE"
    assert got["tabnet.coef.0.bn.bias"] == "model/tabnet/transform_coef_list/0/bn/beta/.ATTRIBUTES/VARIABLE_VALUE"
    assert len(got) >= 30


def test_a_kind_name_in_containers_that_share_no_word_is_no_evidence():
    assert _container_renamed_alike("model/tabnet/transform_f1/bn/gamma", "tabnet.f1.bn.weight")
    assert not _container_renamed_alike("bert/pooler/dense/kernel", "bert.classifier.dense.weight")
    assert not _container_renamed_alike("model/head/kernel", "model.out.weight")
