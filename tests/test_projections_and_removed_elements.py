"""Three classes held-out parts 51 and 52 found (real names and shapes, recorded from files the frameworks wrote; the
truth is the published converter's or the construction's):

- Meta's and Mistral's own checkpoints name an attention layer's projections `wq`, `wk`, `wv`, `wo`
  (transformers' convert_pixtral_weights_to_hf.py and convert_llama_weights_to_hf.py map them to `q_proj` ..
  `o_proj`). The four are equal in shape, and a safetensors file keeps no order: only these names tell them apart.
  They are read as the projections they are, for a whole group only (T5's feed-forward `wo` beside `wi` is no
  attention's output).
- A layer name with its scopes joined (`layer_1_norm` for `tower_0/mamba/layer_1/norm`) pairs by its words, but a
  number is no word: where the file holds more equal elements of that numbered family than the model (one of three
  equal layers removed), which one went no name says.
- Keras 3's own auto name for a layer (`normalization`, the EfficientNet input normalisation) is no layer the file
  lacks: where blocks were removed and every other name kept, the layers' saved names decide.
"""

from recorded import align_recorded


def test_mistral_projection_names_pair_by_what_they_are():
    a = align_recorded("pixtral_consolidated_to_vision.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    for layer in (0, 1):
        for theirs, ours in (("wq", "q_proj"), ("wk", "k_proj"), ("wv", "v_proj"), ("wo", "o_proj")):
            assert got[f"transformer.layers.{layer}.attention.{ours}.weight"] == \
                f"vision_encoder.transformer.layers.{layer}.attention.{theirs}.weight"
    assert len(got) == 20 and not a.ambiguous


def test_into_a_keras_twin_named_so():
    a = align_recorded("pixtral_torch_to_k3.json")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got["layer_0_wq/kernel"] == ("transformer.layers.0.attention.q_proj.weight", "transpose")
    assert got["layer_1_wo/kernel"] == ("transformer.layers.1.attention.o_proj.weight", "transpose")
    assert got["layer_1_wv/kernel"][0] == "transformer.layers.1.attention.v_proj.weight"
    assert len(got) == 20 and not a.ambiguous


def test_a_whole_group_or_nothing():
    from ckpt_doctor.match.infer import _by_projection

    fits = [[True] * 2 for _ in range(2)]
    assert _by_projection({0: ["wq"], 1: ["wo"]}, {0: ["o_proj"], 1: ["q_proj"]}, fits) == {0: 1, 1: 0}
    # T5's feed-forward: `wi` is no projection of an attention layer, so `wo` beside it is read as nothing
    assert _by_projection({0: ["wi"], 1: ["wo"]}, {0: ["q_proj"], 1: ["o_proj"]}, fits) == {}
    assert _by_projection({0: ["wq"], 1: ["wo"]}, {0: ["q_proj"], 1: ["o_proj"]}, [[True, True], [True, False]]) == {}


def test_joined_scopes_do_not_pick_one_of_equal_numbered_layers():
    a = align_recorded("mamba_tf1_tower_layer_removed.json")  # 3 equal layers in the file, 2 in the model
    got = {p.model: p.checkpoint for p in a.pairs}
    assert "layer_1_norm/scale" not in got and "layer_0_norm/scale" not in got
    amb = {x.model: set(x.candidates) for x in a.ambiguous}
    assert {"tower_0/mamba/layer_1/norm/scale", "tower_0/mamba/layer_2/norm/scale"} <= amb["layer_1_norm/scale"]
    assert {"tower_0/mamba/layer_0/norm/scale", "tower_0/mamba/layer_1/norm/scale"} <= amb["layer_0_norm/scale"]
    assert got["norm_f/scale"] == "tower_0/mamba/norm_f/scale"


def test_joined_scopes_pair_where_the_numbers_agree():
    a = align_recorded("mamba_tf1_tower_layer_removed.json", lost="tower_0/mamba/layer_2/")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["layer_0_norm/scale"] == "tower_0/mamba/layer_0/norm/scale"
    assert got["layer_1_norm/scale"] == "tower_0/mamba/layer_1/norm/scale"


def test_keras3_auto_named_layer_is_no_layer_the_file_lacks():
    a = align_recorded("effb3_k3_block_removed.json.gz")  # EfficientNetB3, one of the equal blocks 6b..6f removed
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["block7a_expand_conv/kernel"] == "layers/conv2d_95/vars/0"
    assert got["block7a_dwconv/kernel"] == "layers/depthwise_conv2d_24/vars/0"
    assert got["block7a_bn/gamma"] == "layers/batch_normalization_72/vars/0"
    assert got["top_conv/kernel"] == "layers/conv2d_103/vars/0"
    assert got["normalization/mean"] == "layers/normalization/vars/0"
    assert "block6c_expand_conv/kernel" not in got  # (which of the equal blocks went, no name says)
