"""tf-TabNet (held-out part 48) names a decision step's blocks by a step index inside the layer's own name, each in a
Keras auto-numbered scope of its own (`transform_block_3/transformblock_dense_f3_1`,
`transform_block_4/transformblock_dense_f3_2`): the parent's number is no part of the step family. With a step
removed, which step went no file says: the model's `f3_1` and `f4_1` blocks are ambiguous, not paired by name. The
names and shapes are the real file's and model's."""

from recorded import align_recorded


def test_a_step_index_under_auto_numbered_parents_is_one_family():
    a = align_recorded("tabnet_step_removed.json")
    got = {p.model for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    block = "tab_net_classifier/tab_net/transform_block_3/transformblock_dense_f3_1/kernel"
    assert block not in got
    assert "tab_net_classifier/tab_net/transform_block_4/transformblock_dense_f3_2/kernel" in amb[block]
