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
