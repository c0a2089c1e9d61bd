"""Keras 3 numbers a Functional model's top-level paths by class in the model's order (`layers/conv1d`,
`layers/conv1d_1`), and `load_weights` pairs by path. A Conv1D inserted after the embedding moves every later conv's
path: the file's `conv1d_2` [3, 16, 16] then loads into the model's `layers/conv1d_2`, the old `conv1d_1`'s place,
shapes agreeing by chance. The names of held-out part 29's real `.keras` file and model (the model's layer names
from its session, its Keras 3 paths as `load_weights` reads them): every old conv takes its own old value, the
inserted one and the resized head are new."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

_FILE = [("layers/embedding/vars/0", (50, 12)), ("layers/conv1d/vars/0", (3, 12, 16)), ("layers/conv1d/vars/1", (16,)),
         ("layers/conv1d_1/vars/0", (3, 16, 16)), ("layers/conv1d_1/vars/1", (16,)),
         ("layers/conv1d_2/vars/0", (3, 16, 16)), ("layers/conv1d_2/vars/1", (16,)),
         ("layers/dense/vars/0", (16, 16)), ("layers/dense/vars/1", (16,)),
         ("layers/dense_1/vars/0", (16, 5)), ("layers/dense_1/vars/1", (5,))]
# (layer name, Keras 3 path, kernel shape): the inserted conv first in the model, named last in its session
_MODEL = [("embedding", "layers/embedding", (50, 12)), ("conv1d_3", "layers/conv1d", (5, 12, 12)),
          ("conv1d", "layers/conv1d_1", (3, 12, 16)), ("conv1d_1", "layers/conv1d_2", (3, 16, 16)),
          ("conv1d_2", "layers/conv1d_3", (3, 16, 16)), ("dense", "layers/dense", (16, 16)),
          ("dense_1", "layers/dense_1", (16, 7))]


def _align(names_from_paths: bool):
    catalog = Catalog("<text_cnn.keras>", "keras3-weights",
                      {n: TensorInfo(n, "float32", s, 4, full_name=n.removeprefix("layers/"), written=i)
                       for i, (n, s) in enumerate(_FILE)})
    variables = []
    for name, path, kernel in _MODEL:
        if names_from_paths:  # a fresh process names the layers as their paths
            name = path.removeprefix("layers/")
        leaves = [("embeddings", kernel)] if name == "embedding" else [("kernel", kernel), ("bias", kernel[-1:])]
        for i, (leaf, shape) in enumerate(leaves):
            variables.append(VariableSpec(f"{name}/{leaf}", shape, "float32", index=len(variables),
                                          keys={"keras3": f"{path}/vars/{i}"}))
    return ckpt_doctor.align(catalog, ModelSpec(variables, framework="tf2", source="<model>"))


def test_the_old_convs_take_their_own_values_past_an_inserted_conv():
    for names_from_paths in (False, True):
        a = _align(names_from_paths)
        by_path = {v: k for k, v in ((p.model, p.checkpoint) for p in a.pairs)}
        name = {path: (path.removeprefix("layers/") if names_from_paths else n) for n, path, _ in _MODEL}
        for old, new in (("conv1d", "layers/conv1d_1"), ("conv1d_1", "layers/conv1d_2"),
                         ("conv1d_2", "layers/conv1d_3")):
            assert by_path[f"layers/{old}/vars/0"] == f"{name[new]}/kernel", (names_from_paths, old)
        assert not any(p.model.startswith(name["layers/conv1d"] + "/") for p in a.pairs)
        assert not any(p.model.startswith(name["layers/dense_1"] + "/") for p in a.pairs)


def test_a_family_of_layers_that_hold_their_weights_in_a_sublayer():
    # keras-rs' FeatureCross keeps its Dense as an attribute: `layers/feature_cross/dense/vars/0` (held-out part 32's
    # real `.weights.h5` of three crosses, all [14, 14]; the model holds two, from a fresh session). Which cross was
    # removed no file says: the paths that coincide are no evidence, the crosses are ambiguous, the rest loads.
    file = [("layers/embedding/vars/0", "embedding/vars/0", (10, 4)), ("layers/dense/vars/0", "dense/vars/0", (14, 16)),
            ("layers/dense/vars/1", "dense/vars/1", (16,))]
    for k in range(3):
        path = "layers/feature_cross" + (f"_{k}" if k else "")
        file += [(f"{path}/dense/vars/0", f"dense_{k + 1}/vars/0", (14, 14)),
                 (f"{path}/dense/vars/1", f"dense_{k + 1}/vars/1", (14,))]
    catalog = Catalog("<dcn3.weights.h5>", "keras3-weights",
                      {n: TensorInfo(n, "float32", s, 4, full_name=f, written=i) for i, (n, f, s) in enumerate(file)})
    model = [("embedding/embeddings", "layers/embedding/vars/0", (10, 4)),
             ("dense/kernel", "layers/dense/vars/0", (14, 16)), ("dense/bias", "layers/dense/vars/1", (16,))]
    for k in range(2):
        path = "layers/feature_cross" + (f"_{k}" if k else "")
        name = "feature_cross" + (f"_{k}" if k else "") + f"/dense_{k + 1}"
        model += [(f"{name}/kernel", f"{path}/dense/vars/0", (14, 14)), (f"{name}/bias", f"{path}/dense/vars/1", (14,))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i, keys={"keras3": p}) for i, (n, p, s) in enumerate(model)],
                     framework="tf2", source="<dcn of two crosses>")
    a = ckpt_doctor.align(catalog, spec)
    assert sorted(p.model for p in a.pairs) == ["dense/bias", "dense/kernel", "embedding/embeddings"]
    assert sorted(x.model for x in a.ambiguous) == sorted(n for n, _, _ in model[3:])
