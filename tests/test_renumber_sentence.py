"""deepcut 0.7's shipped Keras 2 weights (12 convolution units of window 1 .. 12, `conv1d_1` .. `conv1d_12`) into
the same model without its window-11 unit, built in a fresh Keras session (`conv1d` .. `conv1d_10`): two
renumberings, the session's (one down from `conv1d_1`) and the removal's (two down from `conv1d_12`). The sentence
names the one unit removed, `conv1d_11`, not `conv1d_10` too (which the first renumbering moved); and where no
value has the numbers skipped (the names between are other layers'), it says the numbers moved, not that layers
were removed."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _kernel(window: int) -> tuple[int, int, int]:
    return window, 32, 200 if window <= 8 else 150 if window <= 11 else 100


def test_the_sentence_names_the_unit_removed():
    file = {}
    for k in range(1, 13):
        file[f"conv1d_{k}/kernel"] = _kernel(k)
        file[f"conv1d_{k}/bias"] = _kernel(k)[-1:]
    for k, shape in ((13, (100, 10)), (14, (10, 1))):  # (dense_1 .. dense_12: the units' own, named otherwise)
        file[f"dense_{k}/kernel"], file[f"dense_{k}/bias"] = shape, shape[-1:]
    catalog = Catalog("<weights.h5>", "tf-bundle", {n: TensorInfo(n, "float32", s, 4) for n, s in file.items()})
    model = []
    for i, window in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]):
        name = "conv1d" + (f"_{i}" if i else "")
        model += [(f"{name}/kernel", _kernel(window)), (f"{name}/bias", _kernel(window)[-1:])]
    model += [("dense_11/kernel", (100, 10)), ("dense_11/bias", (10,)), ("dense_12/kernel", (10, 1)),
              ("dense_12/bias", (1,))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)], framework="tf2",
                     source="<fresh session>")
    a = ckpt_doctor.align(catalog, spec)
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["conv1d_9/kernel"] == "conv1d_10/kernel" and got["conv1d_10/kernel"] == "conv1d_12/kernel"
    assert set(a.unused) == {"conv1d_11/kernel", "conv1d_11/bias"}
    said = " ".join(a.sentences)
    assert "`conv1d_11` of the checkpoint was removed from the model" in said, said
    assert "`conv1d_10`, `conv1d_11`" not in said
    assert "`dense_13` and later of the checkpoint are `dense_11` and later in the model" in said, said
