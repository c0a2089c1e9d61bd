"""Blocks named inside flat layer names (held-out part 50: a Keras 3 functional twin of Hugging Face's Audio
Spectrogram Transformer names its layers `layer_0_query`, `layer_0_ffn_in`, ... `layer_1_query`): the number between
underscores is the block's place, as `encoder.layer.0.attention.attention.query` nests it, so the blocks pair block by
block and, inside, `query` with `query`. A Keras 3 model saved with `tf.train.Checkpoint` beside its optimizer keys
every trained value `optimizer/_trainable_variables/N`: that list is no layer, the value's recorded name says which
layer it is. Names and shapes are the real files' and models'."""

from recorded import align_recorded

BLOCK = "audio_spectrogram_transformer.encoder.layer.{}.attention.attention.{}.{}"


def test_a_keras3_checkpoint_keyed_by_the_optimizer_pairs_block_by_block():
    a = align_recorded("ast_k3_adam_to_torch.json")
    full = {e.name: e.full_name for e in a.diagnosis.checkpoint.values()}
    got = {p.model: full[p.checkpoint] for p in a.pairs}
    for n in (0, 1):
        for role in ("query", "key", "value"):
            assert got[BLOCK.format(n, role, "weight")] == f"layer_{n}_{role}/kernel"
            assert got[BLOCK.format(n, role, "bias")] == f"layer_{n}_{role}/bias"
        assert got[f"audio_spectrogram_transformer.encoder.layer.{n}.intermediate.dense.weight"] == \
            f"layer_{n}_ffn_in/kernel"
    assert len(a.pairs) >= 32
    assert all(p.transform == "transpose" for p in a.pairs if p.model.endswith("dense.weight"))


def test_flat_block_names_on_the_model_side():
    a = align_recorded("ast_torch_to_k3_flat.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    for n in (0, 1):
        for role in ("query", "key", "value"):
            model = next(v for v in got if v.startswith(f"layer_{n}_{role}/") and v.endswith("kernel"))
            assert got[model] == BLOCK.format(n, role, "weight")
    assert len(a.pairs) >= 36


def test_a_keras3_weights_file_keyed_by_layer_names_pairs_block_by_block():
    """`model.save_weights("x.weights.h5")` of the functional twin keys each value by its layer's auto name
    (`layers/dense_2/vars/0`); the name each value records (`layer_0_query/kernel`) says the block. Around the blocks,
    two equal norms that order alone placed could trade places: the Keras code creates the head's norm first
    (`layer_normalization`), PyTorch registers it last, so neither is paired."""
    a = align_recorded("ast_k3_weights_h5_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    for n, first in ((0, 2), (1, 7)):
        for k, role in enumerate(("query", "key", "value")):
            assert got[BLOCK.format(n, role, "weight")] == f"layers/dense_{first + k}/vars/0"
        assert got[f"audio_spectrogram_transformer.encoder.layer.{n}.intermediate.dense.weight"] == \
            f"layers/dense{'_1' if n else ''}/vars/0"
    assert got["classifier.dense.weight"] == "layers/dense_12/vars/0"
    assert len(a.pairs) >= 34
    assert not {"audio_spectrogram_transformer.layernorm.weight", "classifier.layernorm.weight"} & set(got)
    assert {"audio_spectrogram_transformer.layernorm.weight", "classifier.layernorm.weight"} <= \
        {x.model for x in a.ambiguous}


def test_a_norms_statistics_join_its_values_keyed_by_the_optimizer():
    """A Keras 3 model's batch norms saved with `tf.train.Checkpoint` beside Adam: `gamma` and `beta` are keyed
    `optimizer/_trainable_variables/10`, `11`, the moving statistics `model/_operations/13/moving_mean`. Both name the
    same layer (`tokenizer_0_bn`), so its four values pair as one norm with `learner.tokenizers.0.conv.1`."""
    a = align_recorded("tl_k3_adam_bn_to_torch.json")
    full = {e.name: e.full_name for e in a.diagnosis.checkpoint.values()}
    got = {p.model: full[p.checkpoint] for p in a.pairs}
    for n in range(4):
        for torch_name, keras_name in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                                       ("running_var", "moving_variance")):
            assert got[f"learner.tokenizers.{n}.conv.1.{torch_name}"] == f"tokenizer_{n}_bn/{keras_name}"
    assert len(a.pairs) >= 31


def test_the_optimizers_list_is_the_models_order():
    """The optimizer's list holds the model's trainable variables in the model's own order (`_trainable_variables/0`
    the token embedding, `/3` the embeddings' norm, then block by block): a written order, as a `.weights.h5` file's.
    A Keras 3 BERT twin (`transformer_layer_0_attention/query/kernel [16, 2, 8]`) then aligns with Hugging Face's
    names unit by unit, the attention's heads split (`query.weight [16, 16]`)."""
    a = align_recorded("bert_k3_tf2_adam_to_torch.json")
    full = {e.name: e.full_name for e in a.diagnosis.checkpoint.values()}
    got = {p.model: full[p.checkpoint] for p in a.pairs}
    assert got["bert.embeddings.word_embeddings.weight"] == "token_embedding/embeddings"
    assert got["bert.embeddings.LayerNorm.weight"] == "embeddings_layer_norm/gamma"
    for n in (0, 1):
        assert got[f"bert.encoder.layer.{n}.attention.self.query.weight"] == \
            f"transformer_layer_{n}_attention/query/kernel"
        assert got[f"bert.encoder.layer.{n}.output.LayerNorm.bias"] == f"transformer_layer_{n}_output_layer_norm/beta"
    assert len(a.pairs) >= 41


def test_a_weights_file_that_nests_some_layers_keeps_its_keys_layers():
    """A `.weights.h5` that nests some layers (`layers/multi_head_attention/key_dense/vars/0`, recorded as `key`:
    its parent's name is not in it) keeps every key's own layer: the top-level norms are not read by their recorded
    names where the attention's sublayers cannot be, and pair in the written order."""
    a = align_recorded("bert_k3_weights_h5_nested_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["bert.embeddings.LayerNorm.weight"] == "layers/layer_normalization/vars/0"
    assert got["bert.encoder.layer.0.attention.output.LayerNorm.weight"] == "layers/layer_normalization_1/vars/0"
    assert got["bert.encoder.layer.1.attention.output.LayerNorm.bias"] == "layers/layer_normalization_3/vars/1"
    assert len(a.pairs) >= 23


def test_auto_numberings_first_is_the_one_before():
    """A TF1 port's block norms are `tf.layers`-numbered in the block's scope (`layer_0/layer_norm`, then
    `layer_0/layer_norm_1`: the first has no number); Hugging Face names them `layernorm_before` and
    `layernorm_after`. The lower number, none, is the one before."""
    a = align_recorded("ast_tf1_adam_to_torch.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    for n in (0, 1):
        block = f"audio_spectrogram_transformer.encoder.layer.{n}"
        assert got[f"{block}.layernorm_before.weight"] == f"ast/encoder/layer_{n}/layer_norm/gamma"
        assert got[f"{block}.layernorm_after.bias"] == f"ast/encoder/layer_{n}/layer_norm_1/beta"
    assert len(a.pairs) >= 39


def test_a_layers_bias_comes_from_the_layer_its_weight_came_from():
    """With the first block's attention output projection gone from the model, its `output.dense.weight` takes
    `ffn/dense_1/kernel` as the one value left in the block; its bias is not the removed projection's bias (a value of
    its shape left in the block, and the one an earlier stage named for it): the layer's other value came from
    `ffn/dense_1`."""
    a = align_recorded("ast_tf1_adam_to_torch.json",
                       without="audio_spectrogram_transformer.encoder.layer.0.attention.output.dense.")
    got = {p.model: p.checkpoint for p in a.pairs}
    bias = "audio_spectrogram_transformer.encoder.layer.0.output.dense.bias"
    assert got.get(bias) in (None, "ast/encoder/layer_0/ffn/dense_1/bias")
    assert "ast/encoder/layer_0/attention/output/dense/bias" not in got.values()
