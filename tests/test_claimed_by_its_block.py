"""A layer whose values are missing from the file leaves a gap the layer order fills with the next block's value.
Held-out part 32's real Keras 3 `.weights.h5` of a DCN with two keras-rs FeatureCross layers (each a down
projection and a dense, `layers/feature_cross/dense/vars/0`), written here without the first cross's dense, against
its PyTorch twin (`cross.0.u`, `cross.0.v`, ...): order once gave `cross.0.v` the second cross's dense, whose own
block went into `cross.1.`, where `cross.1.v` is open with that very value. It is contested, never paired."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

_FILE = [("layers/embedding/vars/0", "embedding/vars/0", (10, 4)),
         ("layers/embedding_1/vars/0", "embedding_1/vars/0", (11, 4)),
         ("layers/embedding_2/vars/0", "embedding_2/vars/0", (12, 4)),
         ("layers/feature_cross/dense/vars/0", "dense_3/vars/0", (4, 14)),
         ("layers/feature_cross/dense/vars/1", "dense_3/vars/1", (14,)),
         ("layers/feature_cross/down_proj_dense/vars/0", "dense_2/vars/0", (14, 4)),
         ("layers/feature_cross_1/dense/vars/0", "dense_5/vars/0", (4, 14)),
         ("layers/feature_cross_1/dense/vars/1", "dense_5/vars/1", (14,)),
         ("layers/feature_cross_1/down_proj_dense/vars/0", "dense_4/vars/0", (14, 4)),
         ("layers/dense/vars/0", "dense/vars/0", (14, 16)), ("layers/dense/vars/1", "dense/vars/1", (16,)),
         ("layers/dense_1/vars/0", "dense_1/vars/0", (16, 1)), ("layers/dense_1/vars/1", "dense_1/vars/1", (1,))]
_MODEL = [("embeddings.0.weight", (10, 4)), ("embeddings.1.weight", (11, 4)), ("embeddings.2.weight", (12, 4)),
          ("cross.0.u.weight", (4, 14)), ("cross.0.v.weight", (14, 4)), ("cross.0.v.bias", (14,)),
          ("cross.1.u.weight", (4, 14)), ("cross.1.v.weight", (14, 4)), ("cross.1.v.bias", (14,)),
          ("mlp.weight", (16, 14)), ("mlp.bias", (16,)), ("out.weight", (1, 16)), ("out.bias", (1,))]


def _align(without: tuple[str, ...]):
    tensors = {n: TensorInfo(n, "float32", s, 4, full_name=f, written=i) for i, (n, f, s) in enumerate(_FILE)
               if not n.startswith(without)}
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(_MODEL)], framework="torch",
                     source="<dcn twin>")
    return ckpt_doctor.align(Catalog("<dcn.weights.h5>", "keras3-weights", tensors), spec)


def test_a_missing_dense_is_not_filled_from_the_next_cross():
    a = _align(("layers/feature_cross/dense/",))
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not any(c.startswith("layers/feature_cross_1/") for m, c in got.items() if m.startswith("cross.0."))
    assert "cross.0.v.weight" not in got and "cross.0.v.bias" not in got
    assert got["cross.0.u.weight"] == "layers/feature_cross/down_proj_dense/vars/0"


def test_the_whole_file_still_pairs_every_cross():
    a = _align(("<nothing>",))
    got = {p.model: p.checkpoint for p in a.pairs}
    for k, layer in ((0, "feature_cross"), (1, "feature_cross_1")):
        assert got[f"cross.{k}.u.weight"] == f"layers/{layer}/down_proj_dense/vars/0"
        assert got[f"cross.{k}.v.weight"] == f"layers/{layer}/dense/vars/0"
    assert len(got) == len(_MODEL) and not a.ambiguous
