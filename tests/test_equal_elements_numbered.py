"""Three wrong-pair classes of held-out part 42 (asteroid's ConvTasNet and LSTMTasNet, a Keras 3 twin), at its one
scoring; the names, shapes and order are the real files' and the real models'.

- A TF1 port names a TCN block's two norms `gln_1`, `gln_2`; PyTorch's Sequential holds them at `shared_block.2`
  and `shared_block.5`. The `2` of `gln_2` and of `shared_block.2` are no names: the norms pair by rank (first,
  second), not by an equal digit.
- A Keras 3 `.keras` of four equal TCN blocks named by a loop (`tcn0_skip` .. `tcn3_skip`) into a twin of three:
  which block went, a kept number does not say (the file's paths and its names agree with each other, and both
  with the kept-names reading only): ambiguous, block for block.
- A bidirectional LSTM of three layers into one of two: the backward direction's weights (`weight_ih_l1_reverse`)
  are elements of the same numbered family as the forward ones, so layer 1's are ambiguous in both directions."""

from recorded import align_recorded as _align


def test_equal_digits_are_no_names():
    got = {p.model: p.checkpoint for p in _align("convtasnet_tf1_port.json").pairs}
    for k in range(4):
        block = f"conv_tasnet/separator/tcn_block_{k}/"
        assert got[f"masker.TCN.{k}.shared_block.2.gamma"] == block + "gln_1/gamma"
        assert got[f"masker.TCN.{k}.shared_block.5.beta"] == block + "gln_2/beta"


def test_a_loop_numbered_block_removed_from_a_keras3_file_is_ambiguous():
    a = _align("convtasnet_k3_block_removed.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    amb = {x.model for x in a.ambiguous}
    for block in ("tcn0", "tcn1", "tcn2"):
        for layer in ("dconv", "res", "skip"):
            assert f"{block}_{layer}/kernel" not in got and f"{block}_{layer}/kernel" in amb
    assert got  # (the encoder, bottleneck, mask and decoder stay paired)


def test_a_removed_layer_of_a_bidirectional_lstm_leaves_both_directions_open():
    a = _align("lstmtasnet_layer_removed.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    rnn = "masker.masker.0.rnn."
    for name in ("weight_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse", "bias_hh_l1_reverse"):
        assert rnn + name not in got
        assert amb[rnn + name] == [rnn + name, rnn + name.replace("l1", "l2")]
    assert got[rnn + "weight_ih_l0_reverse"] == rnn + "weight_ih_l0_reverse"  # (layer 0: its input width decides)
