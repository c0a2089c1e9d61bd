"""Two limits of reading a Keras 3 `.weights.h5` by its recorded layer names and of leaving tied aliases out of the
inference. Names and shapes are the real files' and models'.

- keras.applications' NASNetLarge into a Keras 3 twin with a new head: for a Keras 3 model the file's keys
  (`layers/separable_conv2d_83/vars/0`) are its own paths, by which it restores; read by the recorded names
  (`separable_conv_2_reduction_right1_reduce_6`) the twin's reduction cells traded convs and the new head took the
  old one's values.
- A Keras language model with its own output layer into a PyTorch one whose `lm_head.weight` is tied to the
  embedding: a single tied weight (its bias its own) stays in the inference, where the untied file holds a value
  for it (a module registered twice is left out: `tests/test_aliases_in_inference.py`)."""

from recorded import align_recorded


def test_a_keras3_models_file_keeps_its_keys_as_layers():
    a = align_recorded("nasnet_k3_weights_h5_new_head.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    cell = ("reduction_A_block_reduce_6/block_1/separable_conv_block_reduction_right1_reduce_6/"
            "separable_conv_2_reduction_right1_reduce_6/depthwise_kernel")
    assert got[cell] == "layers/separable_conv2d_83/vars/0"
    assert "classifier/kernel" not in got  # the new head takes nothing
    assert len(got) >= 1544


def test_a_single_tied_weight_stays_in_the_inference():
    a = align_recorded("lm_k3_untied_to_torch_tied.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["embed.weight"] == "layers/embedding/vars/0"
    assert got["lm_head.bias"] == "layers/dense_2/vars/1"
    assert got["norm.weight"] == "layers/layer_normalization/vars/0"
