"""An attention layer's four projections are equal in shape: renamings of them explain equally many values, and
only their names tell them apart. Where each renaming takes a projection to the same projection on the other side
(`query` -> `to_q`, `out_w` -> `to_out.weight`: ``names.ATTENTION_PROJECTIONS``), it is the explanation. Recorded
names and shapes of held-out scenarios (the checkpoints' entries and the models' specs), aligned with no framework."""

from recorded import align_recorded

from ckpt_doctor.match.names import ATTENTION_PROJECTIONS


def test_tf_layers_query_key_value_are_lucidrains_to_q_to_k_to_v():
    """aft-pytorch's AFTFull (`aft.to_q`, `aft.to_k`, `aft.to_v`) from a TF1 port's `aft_block/query` .. `value`."""
    got = {p.model: p.checkpoint for p in align_recorded("aft_tf1_to_torch.json").pairs}
    for role in ("query", "key", "value"):
        short = role[0]
        assert got[f"aft.to_{short}.weight"] == f"aft_block/{role}/kernel"
        assert got[f"aft.to_{short}.bias"] == f"aft_block/{role}/bias"


def test_a_modules_out_projection_is_to_out():
    """kronecker-attention-pytorch's `attn.to_out` from a tf.Module's raw `attn/out_w`, `attn/out_b`."""
    got = {p.model: p.checkpoint for p in align_recorded("kronecker_tf2_module_to_torch.json").pairs}
    assert got["attn.to_out.weight"] == "net/attn/out_w/.ATTRIBUTES/VARIABLE_VALUE"
    assert got["attn.to_out.bias"] == "net/attn/out_b/.ATTRIBUTES/VARIABLE_VALUE"


def test_a_projection_whose_bias_stays_behind_is_left_to_structure():
    """Keras 3 MultiHeadAttention's `query_dense` (`vars/0`, `vars/1`) into `q.weight`, `q.bias`: the renaming by role
    would take the kernel alone; the layer order pairs every value, biases and norms included."""
    a = align_recorded("k3_mha_encoder_wh5_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["q.bias"] == "layers/multi_head_attention/query_dense/vars/1"
    assert got["norm2.weight"] == "layers/layer_normalization_1/vars/0"
    assert len(got) == 19 and not a.ambiguous


def test_the_roles_are_four_and_disjoint():
    assert set(ATTENTION_PROJECTIONS.values()) == {"query", "key", "value", "output"}
    assert all(k == k.lower() and k.isalnum() for k in ATTENTION_PROJECTIONS)


def test_order_never_pairs_two_projections_their_names_tell_apart():
    """openai-whisper's `.pt` into Hugging Face's Whisper with one block's `v_proj` gone: the layer order would hand
    that block's `value` to `q_proj`; the names say query and value, so no pair."""
    a = align_recorded("whisper_openai_ckpt_to_hf.json", without="model.encoder.layers.1.self_attn.v_proj")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got.get("model.encoder.layers.1.self_attn.q_proj.weight") != "encoder.blocks.1.attn.value.weight"
    assert not any(c.endswith((".value.weight", ".value.bias")) and ".q_proj." in m for m, c in got.items())
    assert got["model.encoder.layers.1.fc1.weight"] == "encoder.blocks.1.mlp.0.weight"
