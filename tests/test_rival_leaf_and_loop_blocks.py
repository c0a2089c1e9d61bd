"""Two wrong pairs of held-out parts 39 and 41, at their one scoring; the names and shapes are the real files' and
the real models' (QKeras, keras-resnet).

- QKeras' `q_separable_conv2d` holds a depthwise and a pointwise kernel in one layer; a PyTorch twin splits it into
  `sep.depthwise` and `sep.pointwise` beside a lone depthwise conv `dw`. `q_depthwise_conv2d` and `sep.depthwise`
  share the word `depthwise`, but so does the rival `q_separable_conv2d/depthwise_kernel`, in its leaf: the
  spelling tells neither apart, and order pairs all three layers.
- keras-resnet names a stage's blocks `res2b1`, `res2b2` (a number inside the name, given by a loop). A model with
  one block fewer holds `res2b1` only: which block went, the number does not say, so its convs and norms are
  ambiguous between the file's two, not paired by their names."""

from recorded import align_recorded as _align


def test_a_leaf_word_is_the_rivals_word_too():
    got = {p.model: p.checkpoint for p in _align("qkeras_separable_to_torch.json").pairs}
    assert got["sep.depthwise.weight"] == "q_separable_conv2d/depthwise_kernel"
    assert got["dw.weight"] == "q_depthwise_conv2d/depthwise_kernel"
    assert got["sep.pointwise.weight"] == "q_separable_conv2d/pointwise_kernel"


def test_one_of_two_loop_numbered_blocks_left_is_ambiguous():
    a = _align("kresnet_block_removed.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    for layer in ("res2b1_branch2a", "res2b1_branch2b"):
        assert layer + "/kernel" not in got
        assert amb[layer + "/kernel"] == [layer + "/kernel", layer.replace("b1", "b2") + "/kernel"]
    assert amb["bn2b1_branch2a/moving_variance"] == ["bn2b1_branch2a/moving_variance",
                                                     "bn2b2_branch2a/moving_variance"]
    assert got["res2a_branch2a/kernel"] == "res2a_branch2a/kernel"  # (the stage's first block keeps its name)
