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
