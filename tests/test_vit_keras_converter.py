"""The original vision_transformer release's Flax names and layout, as a `.npz` (held-out part 41), into vit-keras'
Keras 3 ViT; the truth is vit-keras' own converter, `load_weights_numpy`. Three things stood between them:

- attention kernels split into heads in the file (`query/kernel` [16, 2, 8], `out/kernel` [2, 8, 16]) and flat in
  the model ([16, 16]): a kernel against a kernel, the split one's input axes then its output axes flattened, as the
  converter reshapes them;
- layers whose names differ only in separators (`Transformer/encoder_norm`, vit-keras' `Transformer_encoder_norm`):
  the same name, not a foreign one that a new layer might have;
- a norm's shift, Flax's `bias` and Keras' `beta`, beside its scale already paired: two leaves of one role.
The names and shapes are the real file's and the real model's."""

import numpy as np
from recorded import align_recorded

from ckpt_doctor.match.names import transform_for
from ckpt_doctor.match.rules import apply_transform


def test_every_value_pairs_as_the_converter_pairs_it():
    a = align_recorded("vitk_flax_npz.json")
    assert not a.ambiguous and not a.missing
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    block = "Transformer_encoderblock_0/MultiHeadDotProductAttention_1/"
    assert got[block + "query/kernel"] == ("Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel",
                                           "reshape(16,16)")
    assert got[block + "out/kernel"][1] == "reshape(16,16)"
    assert got[block + "query/bias"][1] == "reshape(16)"
    assert got["Transformer_encoder_norm/gamma"][0] == "Transformer/encoder_norm/scale"
    assert got["Transformer_encoder_norm/beta"][0] == "Transformer/encoder_norm/bias"
    assert got["Transformer_posembed_input/pos_embedding"][0] == "Transformer/posembed_input/pos_embedding"


def test_split_and_flat_kernels_as_keras_computes_them():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 16)).astype(np.float32)
    q = rng.standard_normal((16, 2, 8)).astype(np.float32)  # [in, heads, head]: einsum "bi,ihd->bhd"
    ok, t = transform_for("kernel", "kernel", q.shape, (16, 16))
    assert ok and np.allclose(x @ apply_transform(t, q), np.einsum("bi,ihd->bhd", x, q).reshape(3, 16))
    o = rng.standard_normal((2, 8, 16)).astype(np.float32)  # [heads, head, out]: einsum "bhd,hdo->bo"
    h = rng.standard_normal((3, 2, 8)).astype(np.float32)
    ok, t = transform_for("kernel", "kernel", o.shape, (16, 16))
    assert ok and np.allclose(h.reshape(3, 16) @ apply_transform(t, o), np.einsum("bhd,hdo->bo", h, o), atol=1e-5)
    flat = rng.standard_normal((16, 16)).astype(np.float32)  # and back
    ok, t = transform_for("kernel", "kernel", (16, 16), (16, 2, 8))
    assert ok and np.array_equal(apply_transform(t, flat), flat.reshape(16, 2, 8))
    ok, t = transform_for("kernel", "kernel", (16, 16), (2, 16, 8))  # [heads, in, head]
    assert ok and np.allclose(np.einsum("bi,hid->bhd", x, apply_transform(t, flat)).reshape(3, 16), x @ flat,
                              atol=1e-5)
