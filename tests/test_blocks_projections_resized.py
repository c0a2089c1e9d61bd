"""Four wrong-pair classes of held-out parts 43 and 44 at their one scoring (Transformer-XL in transformers, tft-torch,
pytorch-nlp's WeightDropLSTM, timemixer-tf); the names, shapes and orders are the real files' and models'.

- A Keras 3 TimeMixer writes each block's `out_cross_layer` before its mixing layers; PyTorch creates it after. Order
  gave block 0's out-cross layer to block 1's: the pair is undone where the rest of its block (outside its own
  container, whose two layers agree with each other) took its values from the other block, and the block completes.
- Transformer-XL's adaptive-embedding projections are raw square matrices (`emb_projs.0`): `x @ W` in TensorFlow,
  `F.linear(x, W)` in PyTorch. Kept or transposed, no name says: not paired.
- A bias paired by its own name whose layer's weight of the same name changed shape (the flattened selection
  network of a TFT with one static input fewer): a new layer, not half of the old one.
- WeightDrop's raw recurrent weights (`weight_hh_l1_raw`) are elements of the layer family: a layer removed leaves
  them open, not paired by name."""

from recorded import align_recorded as _align


def test_a_layer_order_gave_from_the_other_block_is_undone_and_completed():
    got = {p.model: p.checkpoint for p in _align("timemixer_k3_to_torch.json").pairs}
    for k, block in ((0, "past_decomposable_mixing"), (1, "past_decomposable_mixing_1")):
        assert got[f"pdm_blocks.{k}.out_cross_layer.0.weight"] == f"layers/{block}/out_cross_layer/layers/dense/vars/0"
        assert got[f"pdm_blocks.{k}.out_cross_layer.2.bias"] == f"layers/{block}/out_cross_layer/layers/dense_1/vars/1"


def test_a_square_projection_between_tensorflow_and_pytorch_is_not_paired():
    a = _align("transfoxl_tf_to_pt.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert "word_emb.emb_projs.0" not in got
    assert got["word_emb.emb_layers.0.weight"].endswith("emb_layers_._0/embeddings")  # (the rest still pairs)


def test_a_bias_whose_layer_changed_is_not_paired_by_its_name():
    a = _align("tft_static_removed.json")
    got = {p.model for p in a.pairs}
    assert "static_selection.flattened_grn.fc1.module.bias" not in got
    assert "historical_ts_selection.flattened_grn.fc1.module.bias" in got


def test_weight_drop_raw_weights_are_the_layers_elements():
    a = _align("weightdrop_layer_removed.json")
    got = {p.model for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    assert "rnn.weight_hh_l1_raw" not in got
    assert amb["rnn.weight_hh_l1_raw"] == ["rnn.weight_hh_l1_raw", "rnn.weight_hh_l2_raw"]
