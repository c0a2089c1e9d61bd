"""A PyTorch module registered under two names (the `unet` package's `ConvolutionalBlock` keeps `conv_layer` and
`norm_layer` and also the `block` Sequential of the same modules: `conv1.block.0.weight` is `conv1.conv_layer.weight`)
lists every weight twice in its state dict, the alias marked `tied_to` in the spec. An alias takes its owner's value
through the tie, so in the alignment it is no second claimant of each value: a Keras 3 twin's `.weights.h5`
(`layers/conv2d_2/vars/0`, recorded name `enc1_conv1/vars/0`) pairs with the owners, and the aliases are filled, not
missing. Names and shapes are the real files' and models'."""

from recorded import align_recorded


def test_an_alias_is_no_second_claimant():
    a = align_recorded("unet_k3_weights_h5_to_torch_aliases.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["encoder.encoding_blocks.1.conv1.conv_layer.weight"] == "layers/conv2d_2/vars/0"
    assert got["encoder.encoding_blocks.1.conv1.norm_layer.running_var"] == "layers/batch_normalization_1/vars/3"
    assert got["decoder.decoding_blocks.0.upsample.weight"] == "layers/conv2d_transpose/vars/0"
    assert got["classifier.conv_layer.weight"] == "layers/conv2d_10/vars/0"
    assert len(a.pairs) == 53 and not a.ambiguous
    assert not any(".block." in p.model for p in a.pairs)  # the aliases: filled through the tie
    assert not any(".block." in n for n in a.missing)
