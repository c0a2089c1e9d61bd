"""tf-TabNet (held-out part 48) names a decision step's blocks by a step index inside the layer's own name, each in a
Keras auto-numbered scope of its own (`transform_block_3/transformblock_dense_f3_1`,
`transform_block_4/transformblock_dense_f3_2`): the parent's number is no part of the step family. With a step
removed, which step went no file says: the model's `f3_1` and `f4_1` blocks are ambiguous, not paired by name. The
names and shapes are the real file's and model's."""

from recorded import align_recorded


def _paired_and_ambiguous() -> tuple[set[str], dict[str, list[str]]]:
    a = align_recorded("tabnet_step_removed.json")
    return {p.model for p in a.pairs}, {x.model: x.candidates for x in a.ambiguous}


def test_a_step_index_under_auto_numbered_parents_is_one_family():
    got, amb = _paired_and_ambiguous()
    block = "tab_net_classifier/tab_net/transform_block_3/transformblock_dense_f3_1/kernel"
    assert block not in got
    assert "tab_net_classifier/tab_net/transform_block_4/transformblock_dense_f3_2/kernel" in amb[block]


def test_layers_alike_but_for_a_number_are_no_unique_composition():
    # the attentive blocks `coef_0`, `coef_1` (one per step after the first): the model of one step fewer keeps
    # `coef_0`, renumbered from 0 after a step went; its number is no evidence which of the file's two it is
    got, amb = _paired_and_ambiguous()
    coef = "tab_net_classifier/tab_net/transform_block_6/transformblock_dense_coef_0/kernel"
    assert coef not in got
    assert set(amb[coef]) == {"tab_net_classifier/tab_net/transform_block_8/transformblock_dense_coef_0/kernel",
                              "tab_net_classifier/tab_net/transform_block_9/transformblock_dense_coef_1/kernel"}
    # the shared blocks and the head, of which there is one each on both sides, are still paired by their names
    assert "tab_net_classifier/tab_net/transform_block/transformblock_dense_f1/kernel" in got
