"""A Keras 3 model saved by `tf.train.Checkpoint` beside its optimizer is keyed by the optimizer's list
(`optimizer/_trainable_variables/4`), and its variables' recorded names repeat where a layer holds another:
keras-rs' low-rank FeatureCross records `feature_cross/kernel` for both its down projection [14, 4] and its dense
[4, 14]. The object path names each (`model/_operations/12/down_proj_dense/_kernel`). Read by the key, a kernel has
no known layout and fits a PyTorch twin's `u.weight` [4, 14] untransposed, the wrong value (held-out part 32's real
checkpoint). The names and shapes below are that file's."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _file() -> Catalog:
    entries = [("embedding/embeddings", "model/_operations/4/_embeddings", (10, 4))]
    for k, op in ((0, 12), (1, 13)):
        layer = "feature_cross" + (f"_{k}" if k else "")
        entries += [(f"{layer}/kernel", f"model/_operations/{op}/down_proj_dense/_kernel", (14, 4)),
                    (f"{layer}/kernel", f"model/_operations/{op}/dense/_kernel", (4, 14)),
                    (f"{layer}/bias", f"model/_operations/{op}/dense/bias", (14,))]
    tensors = {}
    for i, (full, path, shape) in enumerate(entries):
        key = f"optimizer/_trainable_variables/{i}/.ATTRIBUTES/VARIABLE_VALUE"
        tensors[key] = TensorInfo(key, "float32", shape, 4, object_path=path, full_name=full)
    return Catalog("<dcn_ckpt>", "tf-v2", tensors)


def test_each_kernel_keeps_its_layout():
    names = [("embeddings.0.weight", (10, 4))]
    for k in range(2):
        names += [(f"cross.{k}.u.weight", (4, 14)), (f"cross.{k}.v.weight", (14, 4)), (f"cross.{k}.v.bias", (14,))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(names)], framework="torch",
                     source="<torch twin>")
    a = ckpt_doctor.align(_file(), spec)
    path = {k: t.object_path for k, t in _file().items()}
    for p in a.pairs:
        if ".u." in p.model:
            assert path[p.checkpoint].endswith("down_proj_dense/_kernel") and p.transform == "transpose", p
        if ".v.weight" in p.model:
            assert path[p.checkpoint].endswith("/dense/_kernel") and p.transform == "transpose", p
    for x in a.ambiguous:
        if ".u." in x.model:
            assert all(path[c].endswith("down_proj_dense/_kernel") for c in x.candidates), x
    assert {p.model for p in a.pairs} >= {"embeddings.0.weight"}
    assert len(a.pairs) + len(a.ambiguous) == len(names)
