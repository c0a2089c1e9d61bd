"""Caffe's ResNet names (keras-resnet, held-out part 41: `res2a_branch2a`, `bn2a_branch2a`, `res2b1_branch1`,
`bn_conv1`, `fc1000`, as the MSRA models, Keras' ResNet50 before 2.2.5 and keras-resnet name their layers) against a
torchvision-style PyTorch twin (`layer1.0.conv1`, `layer1.0.bn1`, `layer1.0.downsample.1`, `bn1`, `fc`):

- the naming itself is a convention (`names.torchvision_paths`), read as torchvision's where one side speaks it: a TF1
  `Saver` file (sorted names: no order to align by) pairs by names alone;
- before that reading, two older ones: a block's two 3x3 convs are equal, and Keras' order is another convention
  than PyTorch's, so order alone may not pair them; but both sides' names count them, letters after a number on one
  side (`2a`, `2b`: first, second) and numbers on the other (`conv1`, `conv2`), in the same order; and a norm named
  like its conv with the kind word first (`bn2a_branch2a` for `res2a_branch2a`) goes with the norm the conv's partner
  has (kept: they decide where a name is outside the convention).
The names and shapes are the real files' and the real twin's; the truth is the construction."""

from recorded import align_recorded

from ckpt_doctor.match.infer import _number_order


def test_letters_after_a_number_count():
    assert _number_order("res2a_branch2a", "res2a_branch2b") == -1
    assert _number_order("res2a_branch2c", "res2a_branch2b") == 1
    assert _number_order("res2a_branch2a", "res2b_branch2b") is None  # (two letters apart: no one order)
    assert _number_order("res2a_branch2a", "bn2a_branch2b") is None


def test_convs_by_their_counted_names_and_norms_by_their_convs():
    got = {p.model: p.checkpoint for p in align_recorded("kresnet_h5_to_torch.json").pairs}
    for stage, torch_layer in (("2", "layer1"), ("3", "layer2"), ("4", "layer3")):
        assert got[f"{torch_layer}.0.conv1.weight"] == f"res{stage}a_branch2a/kernel"
        assert got[f"{torch_layer}.0.conv2.weight"] == f"res{stage}a_branch2b/kernel"
        assert got[f"{torch_layer}.0.bn1.weight"] == f"bn{stage}a_branch2a/gamma"
        assert got[f"{torch_layer}.0.bn2.running_var"] == f"bn{stage}a_branch2b/moving_variance"
    assert got["layer1.1.conv2.weight"] == "res2b1_branch2b/kernel"
    assert got["layer1.1.bn2.bias"] == "bn2b1_branch2b/beta"


def test_a_tf1_saver_file_into_torchvisions_names():
    a = align_recorded("kresnet_tf1_to_torch.json")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert len(got) == 62 and not a.ambiguous and not a.missing
    assert got["layer1.0.conv1.weight"] == ("res2a_branch2a/kernel", "permute(3,2,0,1)")
    assert got["layer1.1.bn2.running_var"][0] == "bn2b1_branch2b/moving_variance"
    assert got["layer3.0.downsample.0.weight"] == ("res4a_branch1/kernel", "permute(3,2,0,1)")
    assert got["layer3.0.downsample.1.bias"][0] == "bn4a_branch1/beta"
    assert got["bn1.weight"][0] == "bn_conv1/gamma"
    assert got["fc.weight"] == ("fc1000/kernel", "transpose")


def test_torchvisions_names_into_keras_resnet():
    a = align_recorded("kresnet_torch_to_tfk.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert len(got) == 62 and not a.ambiguous
    assert got["res2b1_branch2a/kernel"] == "layer1.1.conv1.weight"
    assert got["bn3a_branch1/moving_mean"] == "layer2.0.downsample.1.running_mean"


def test_a_layer_the_model_lost_leaves_its_value_unused_not_elsewhere():
    a = align_recorded("kresnet_torch_to_tfk.json", without="res2b1_branch2a/")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert len(got) == 61 and "layer1.1.conv1.weight" in a.unused
    assert got["res2b1_branch2b/kernel"] == "layer1.1.conv2.weight"


def test_a_shortcut_the_file_lost_is_new_in_the_model():
    a = align_recorded("kresnet_torch_to_tfk.json", lost="layer2.0.downsample.")
    got = {p.model: p.checkpoint for p in a.pairs}
    new = {"res3a_branch1/kernel", "bn3a_branch1/gamma", "bn3a_branch1/beta", "bn3a_branch1/moving_mean",
           "bn3a_branch1/moving_variance"}
    assert not new & set(got) and new <= set(a.missing) | {x.model for x in a.ambiguous}
    assert len(got) == 57
