"""A DataParallel diffusers VQModel file (`module.encoder.mid_block.resnets.0.conv2`, and the decoder's twin block
`module.decoder.mid_block.resnets.0.conv2`) against a Keras 3 twin of the encoder alone (`mid_res_0_conv2`). With one
of the encoder's values gone from the file, the decoder's block family is the only one of its kind, but not the
model's: the pairs made so far went into the encoder, none into the decoder. Names and shapes are the real files' and
models'."""

from recorded import align_recorded


def test_a_value_missing_from_a_family_does_not_hand_the_model_its_twin():
    a = align_recorded("vq_torch_dp_to_k3_encoder.json", lost="module.encoder.mid_block.resnets.0.conv2.")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not any(c.startswith("module.decoder.") for c in got.values())
    assert "mid_res_0_conv2/kernel" not in got
    assert len(got) >= 15


def test_a_model_family_that_names_its_container_is_that_containers():
    """keras-hub's BART (`transformer_decoder_layer_0`) against Hugging Face's (`encoder.layers`, `decoder.layers`):
    a model family that names a container (`decoder`) is that container's, whichever container the pairs so far went
    into; the embeddings' norms around both blocks pair."""
    got = {p.model: p.checkpoint for p in align_recorded("bart_torch_to_k3_keras_hub.json").pairs}
    assert got["decoder_embeddings_layer_norm/gamma"] == "decoder.layernorm_embedding.weight"
    assert got["encoder_embeddings_layer_norm/beta"] == "encoder.layernorm_embedding.bias"


def test_a_parametrized_weight_is_its_layers():
    """wav2vec2's positional conv saved under weight-norm parametrizations
    (`encoder.pos_conv_embed.conv.parametrizations.weight.original0`) into TensorFlow's `conv/weight_g`: values of
    the conv's own layer, beside its bias."""
    got = {p.model: p.checkpoint for p in align_recorded("wav2vec2_torch_parametrized_to_tf.json").pairs}
    conv = "tf_wav2_vec2_for_ctc/wav2vec2/encoder/pos_conv_embed/conv/"
    assert got[conv + "weight_g"] == "encoder.pos_conv_embed.conv.parametrizations.weight.original0"
    assert got[conv + "weight_v"] == "encoder.pos_conv_embed.conv.parametrizations.weight.original1"
