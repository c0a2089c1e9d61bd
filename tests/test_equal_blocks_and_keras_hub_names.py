"""Classes held-out parts 53 (keras-hub against Hugging Face, the published converters as the truth) and 54 (timm
against a Keras 3 twin) found, on real names and shapes recorded from files the frameworks wrote:

- A block removed from equal blocks, the two sides in two conventions' orders (PyTorch's state dict lists a block's
  own scale, timm's ConvNeXt `gamma`, before the block's layers; Keras creates its `layer_scale` after them): the
  best alignment of the sequences places the gap where the
  conventions score one unit better, which says nothing of which block went. Every match in the run of equal blocks
  is ambiguous among its equal places (9 wrong pairs in h54 before).
- keras-hub's block norms against Hugging Face's (DistilBERT's `sa_layer_norm` / `output_layer_norm`, BERT's
  `attention.output.LayerNorm` / `output.LayerNorm`) by their role, as keras-hub's converters pair them; of renamings
  that tie, the one whose names are one spelling, the other's under a scope it adds (`embeddings_layer_norm` /
  `distilbert.embeddings.LayerNorm`, not `vocab_layer_norm`).
"""

from recorded import align_recorded


def test_a_block_removed_from_equal_blocks_in_two_conventions_orders():
    a = align_recorded("convnext_k3_block_removed_to_timm.json")  # 3 equal blocks in stage 0 of the file, 2 in timm
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not [m for m in got if m.startswith("stages.0.blocks.")]
    amb = {x.model: set(x.candidates) for x in a.ambiguous}
    assert {"layers/depthwise_conv2d/vars/0", "layers/depthwise_conv2d_1/vars/0"} <= \
        amb["stages.0.blocks.0.conv_dw.weight"]
    assert {"layers/depthwise_conv2d_1/vars/0", "layers/depthwise_conv2d_2/vars/0"} <= \
        amb["stages.0.blocks.1.conv_dw.weight"]
    assert got["stages.1.blocks.0.conv_dw.weight"] == "layers/depthwise_conv2d_3/vars/0"
    assert got["stem.0.weight"] == "layers/conv2d/vars/0"


def test_the_same_blocks_all_there_pair():
    a = align_recorded("convnext_k3_to_timm.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["stages.0.blocks.0.conv_dw.weight"] == "layers/depthwise_conv2d/vars/0"
    assert got["stages.0.blocks.1.conv_dw.weight"] == "layers/depthwise_conv2d_1/vars/0"
    assert got["stages.1.blocks.0.conv_dw.weight"] == "layers/depthwise_conv2d_2/vars/0"
    assert len(got) >= 63


def test_distilbert_norms_by_their_role_and_spelling():
    got = {p.model: p.checkpoint for p in align_recorded("hf_distilbert_to_kh.json").pairs}
    assert got["transformer_layer_0/self_attention_layer_norm/gamma"] == \
        "distilbert.transformer.layer.0.sa_layer_norm.weight"
    assert got["transformer_layer_1/feedforward_layer_norm/beta"] == \
        "distilbert.transformer.layer.1.output_layer_norm.bias"
    assert got["embeddings_layer_norm/gamma"] == "distilbert.embeddings.LayerNorm.weight"
    assert len(got) == 36


def test_bert_family_norms_by_their_paths_in_the_block():
    got = {p.model: p.checkpoint for p in align_recorded("hf_roberta_compiled_to_kh.json").pairs}
    assert got["transformer_layer_0/self_attention_layer_norm/gamma"] == \
        "_orig_mod.roberta.encoder.layer.0.attention.output.LayerNorm.weight"
    assert got["transformer_layer_1/feedforward_layer_norm/gamma"] == \
        "_orig_mod.roberta.encoder.layer.1.output.LayerNorm.weight"
