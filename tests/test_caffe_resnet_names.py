"""Caffe's ResNet names (keras-resnet, held-out part 41: `res2a_branch2a`, `bn2a_branch2a`, `res2a_branch2b`, ...)
in a tf_keras `.h5` into a torchvision-style PyTorch twin (`layer1.0.conv1`, `layer1.0.bn1`, ...). Two readings:

- a block's two 3x3 convs are equal, and Keras' order is another convention than PyTorch's, so order alone may not
  pair them; but both sides' names count them, letters after a number on one side (`2a`, `2b`: first, second) and
  numbers on the other (`conv1`, `conv2`), in the same order;
- a norm named like its conv with the kind word first (`bn2a_branch2a` for `res2a_branch2a`) goes with the norm the
  conv's partner has.
The names and shapes are the real file's and the real twin's."""

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
