"""deepface's OpenFace: a Keras 3 `.weights.h5` of the functional model keys its layers by auto names
(`layers/batch_normalization_8/vars/0`), each recording its own name (`inception_3a_1x1_bn`), and lists an inception
block's branches otherwise than the PyTorch port creates them (`inception_3a.branch_1x1.conv`, `.bn`). Where the
orders tie, a norm named like one conv but for its kind word (`inception_3a_5x5_bn2` beside `inception_3a_5x5_conv2`:
the number glued to the kind word after the branch's stem) is that conv's norm, and goes with the norm of the conv's
partner. Names and shapes are the real files' and models'."""

from recorded import align_recorded


def test_inception_norms_follow_their_convs_by_name():
    a = align_recorded("openface_k3_weights_h5_to_torch.json")
    full = {e.name: e.full_name for e in a.diagnosis.checkpoint.values()}
    got = {p.model: full[p.checkpoint] for p in a.pairs}
    assert got["inception_3a.branch_1x1.bn.weight"] == "inception_3a_1x1_bn/vars/0"
    assert got["inception_3c.branch_5x5.1.bn.running_var"] == "inception_3c_5x5_bn2/vars/3"
    assert got["inception_4a.branch_3x3.1.bn.weight"] == "inception_4a_3x3_bn2/vars/0"
    assert got["inception_5b.branch_pool.bn.bias"] == "inception_5b_pool_bn/vars/1"
    assert len(a.pairs) >= 212


def test_a_left_over_pair_of_other_stage_codes_is_no_pair():
    """One norm removed from the model (`inception_3c.branch_5x5.1.bn`): the 5x5 convs left open pair by their own
    words, `4a` with `4a`; the two left, `inception_3c_5x5_conv2` and `inception_3b.branch_5x5.1.conv`, name other
    stages, so they are not paired because they are left over."""
    a = align_recorded("openface_k3_weights_h5_to_torch.json", without="inception_3c.branch_5x5.1.bn.")
    full = {e.name: e.full_name for e in a.diagnosis.checkpoint.values()}
    got = {p.model: full[p.checkpoint] for p in a.pairs}
    assert got.get("inception_3b.branch_5x5.1.conv.weight") in (None, "inception_3b_5x5_conv2/vars/0")
    assert got.get("inception_3b.branch_5x5.1.bn.weight") in (None, "inception_3b_5x5_bn2/vars/0")
    assert len(a.pairs) >= 190
