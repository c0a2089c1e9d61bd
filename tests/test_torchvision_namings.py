"""The classic ImageNet CNNs in the namings their weights ship with besides torchvision's (`names.torchvision_paths`):
a ResNet in Caffe's (`res2a_branch2a`, `bn2b1_branch1`) or keras.applications' naming (`conv2_block1_1_conv`,
`conv2_block1_0_bn`), keras.applications' DenseNet (`conv2_block1_0_bn`, `pool2_conv`, `conv1/conv`) and VGG
(`block3_conv2`), read as torchvision's (`layer1.0.conv1`, `features.denseblock1.denselayer1.norm1`, `features.12`).
Recorded real names: tf_keras' ResNet50, DenseNet121 and VGG16 (weights=None) built by TensorFlow in a TF1 graph and
saved by `tf.compat.v1.train.Saver` (names sorted: no order to align by; every pair rests on names), against
torchvision 0.28's `resnet50()`, `densenet121()`, `vgg16()` state dicts. The truth is the architectures' own
correspondence, each pair's shapes agreeing up to the layout; before this reading the three aligned 0, 0 and 18 of
267, 606 and 32."""

import pytest
from recorded import align_recorded

from ckpt_doctor.match.names import torchvision_paths


def _read(*tokens: str) -> dict:
    found = torchvision_paths(set(tokens))
    assert found is not None
    return {k[0] if len(k) == 1 else k: ".".join(v) for k, v in found[1].items()}


def test_caffes_resnet_naming():
    got = _read("res2abranch2a", "bn2abranch2c", "res3abranch1", "bn3abranch1", "res4b22branch2b",
                "bn5cbranch2a", "scale2bbranch2a", "bnconv1", "fc1000", "conv1")
    assert got["res2abranch2a"] == "layer1.0.conv1"
    assert got["bn2abranch2c"] == "layer1.0.bn3"
    assert got["res3abranch1"] == "layer2.0.downsample.0" and got["bn3abranch1"] == "layer2.0.downsample.1"
    assert got["res4b22branch2b"] == "layer3.22.conv2"  # ResNet-101's and keras-resnet's b1, b2, ...
    assert got["bn5cbranch2a"] == "layer4.2.bn1"  # ResNet-50's a, b, c
    assert got["scale2bbranch2a"] == "layer1.1.bn1"  # a Caffe Scale layer's gamma and beta
    assert got["bnconv1"] == "bn1" and got["fc1000"] == "fc" and got["conv1"] == "conv1"


def test_keras_applications_namings():
    got = _read("conv2block11conv", "conv2block10bn", "conv3block40conv", "conv5block33bn", "conv1conv",
                "predictions")
    assert got["conv2block11conv"] == "layer1.0.conv1" and got["conv2block10bn"] == "layer1.0.downsample.1"
    assert got["conv3block40conv"] == "layer2.3.downsample.0" and got["conv5block33bn"] == "layer4.2.bn3"
    assert got["conv1conv"] == "conv1" and got["predictions"] == "fc"
    dense = _read("conv2block10bn", "conv2block11conv", "conv2block11bn", "conv2block12conv", "pool2conv",
                  "pool2bn", "conv1", "conv", "bn", "predictions")
    assert dense["conv2block10bn"] == "features.denseblock1.denselayer1.norm1"
    assert dense["conv2block12conv"] == "features.denseblock1.denselayer1.conv2"
    assert dense["pool2bn"] == "features.transition1.norm" and dense["bn"] == "features.norm5"
    assert dense[("conv1", "conv")] == "features.conv0" and dense[("conv1", "bn")] == "features.norm0"
    vgg16 = [f"block{b}conv{k}" for b, n in enumerate((2, 2, 3, 3, 3), 1) for k in range(1, n + 1)]
    vgg = _read(*vgg16, "fc1", "predictions")
    assert [vgg[t] for t in vgg16] == [f"features.{i}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)]
    # (each conv, then its ReLU; a pool after each block)
    assert vgg["fc1"] == "classifier.0" and vgg["predictions"] == "classifier.6"


@pytest.mark.parametrize("tokens", [
    {"res2abranch2a", "res2abranch2b"},  # two layers: too few to call it a naming
    {"res2abranch2a", "res2abranch2b", "res2abranch2c", "conv2block11conv"},  # two namings at once
    {"conv2block1preactbn", "conv2block11conv", "conv2block12conv", "conv2block13conv"},  # a ResNetV2's blocks
    {"block1conv1", "block1conv2", "block2conv1", "block2conv2", "block3conv1", "block3conv2"},  # no VGG's blocks
    {"dense", "dense1", "conv2d"},
])
def test_no_reading_where_the_names_are_not_one_naming(tokens):
    assert torchvision_paths(tokens) is None


def _pairs(name: str) -> dict:
    a = align_recorded(name)
    assert not a.ambiguous
    return {p.model: (p.checkpoint, p.transform) for p in a.pairs}


def test_keras_resnet50_tf1_file_into_torchvisions_resnet50():
    a = align_recorded("keras_resnet50_tf1_to_torchvision.json.gz")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert len(got) == 267 and not a.ambiguous and not a.missing
    assert got["layer1.0.conv1.weight"] == ("conv2_block1_1_conv/kernel", "permute(3,2,0,1)")
    assert got["layer1.0.downsample.0.weight"] == ("conv2_block1_0_conv/kernel", "permute(3,2,0,1)")
    assert got["layer1.0.conv3.weight"] == ("conv2_block1_3_conv/kernel", "permute(3,2,0,1)")  # (shapes as the above)
    assert got["layer3.5.bn2.running_var"][0] == "conv4_block6_2_bn/moving_variance"
    assert got["bn1.weight"][0] == "conv1_bn/gamma" and got["fc.weight"] == ("predictions/kernel", "transpose")
    # Keras' convs carry a bias, torchvision's none: 53 values with no place in the model
    assert len(a.unused) == 53 and all(n.endswith("_conv/bias") for n in a.unused)
    # and the model computes without them: a norm after each keeps its outputs only with the bias folded in
    assert any(s.startswith("53 bias(es) of layers whose kernels the model takes") and "running_mean - bias" in s
               for s in a.sentences)


def test_keras_densenet121_tf1_file_into_torchvisions_densenet121():
    got = _pairs("keras_densenet121_tf1_to_torchvision.json.gz")
    assert len(got) == 606
    assert got["features.conv0.weight"] == ("conv1/conv/kernel", "permute(3,2,0,1)")
    assert got["features.denseblock3.denselayer24.norm2.bias"][0] == "conv4_block24_1_bn/beta"
    assert got["features.transition2.conv.weight"][0] == "pool3_conv/kernel"
    assert got["features.norm5.running_mean"][0] == "bn/moving_mean" and got["classifier.bias"][0] == "predictions/bias"


def test_keras_vgg16_tf1_file_into_torchvisions_vgg16():
    got = _pairs("keras_vgg16_tf1_to_torchvision.json.gz")
    assert len(got) == 32
    # the 3x3x512x512 convs of blocks 4 and 5 are equal in shape: only the names place them
    assert got["features.19.weight"] == ("block4_conv2/kernel", "permute(3,2,0,1)")
    assert got["features.26.weight"] == ("block5_conv2/kernel", "permute(3,2,0,1)")
    assert got["classifier.3.weight"] == ("fc2/kernel", "transpose")


def test_a_vgg_that_lost_a_conv_is_not_read_by_places():
    # VGG's places come from counting convs: with one lost, every later place would move, so the naming is not read
    a = align_recorded("keras_vgg16_tf1_to_torchvision.json.gz", lost="block4_conv2/")
    places = {"block4_conv3": "features.21", "block5_conv1": "features.24", "block5_conv2": "features.26",
              "block5_conv3": "features.28"}
    for p in a.pairs:
        layer = p.checkpoint.split("/")[0]
        assert places.get(layer, p.model.rsplit(".", 1)[0]) == p.model.rsplit(".", 1)[0], (p.model, p.checkpoint)
