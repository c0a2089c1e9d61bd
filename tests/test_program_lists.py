"""Lists a program numbers, where one side holds fewer elements than the other and the elements are equal: which
one went, no name says (held-out part 34). sb3-contrib's TQC makes its critics with `add_module(f"qf{i}")`, from 0:
a policy of two critics into one keeps `critic.qf0` by name only by chance of the construction, so both critics are
candidates; a hand-numbered model (`conv1`, `conv2`, `conv3`: people count from 1) keeps its names as written.
deepxde's FNN keeps its Dense layers in a list, which Keras 3 writes under the list's attribute with per-list auto
names (`denses/dense_1/vars/0`): a hidden layer removed from four equal ones leaves the middle ambiguous."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _torch(names_c: list[str], names_m: list[str]):
    def shape(n: str) -> tuple[int, ...]:
        return (16, 16) if n.endswith("weight") else (16,)

    catalog = Catalog("<policy.pth>", "torch", {n: TensorInfo(n, "float32", shape(n), 4) for n in names_c})
    spec = ModelSpec([VariableSpec(n, shape(n), "float32", index=i) for i, n in enumerate(names_m)],
                     framework="torch", source="<policy>")
    return ckpt_doctor.align(catalog, spec)


def _layers(pattern: str, numbers) -> list[str]:
    return [f"{pattern.format(k)}.{j}.{leaf}" for k in numbers for j in (0, 2) for leaf in ("weight", "bias")]


def test_equal_critics_numbered_from_zero_are_a_list():
    a = _torch(_layers("critic.qf{}", (0, 1)), _layers("critic.qf{}", (0,)))
    assert not a.pairs
    assert {x.model for x in a.ambiguous} == set(_layers("critic.qf{}", (0,)))
    assert all(len(x.candidates) == 2 for x in a.ambiguous)


def test_hand_numbered_layers_keep_their_names():
    a = _torch(_layers("net.conv{}", (1, 2, 3)), _layers("net.conv{}", (1, 2)))
    assert {p.model: p.checkpoint for p in a.pairs} == {n: n for n in _layers("net.conv{}", (1, 2))}


def test_a_keras3_list_attribute_that_lost_a_layer():
    # (held-out part 34's real `.weights.h5` of deepxde's FNN [2, 32, 32, 32, 32, 1] and the model without its
    # second hidden layer, built again in the session: its layers are named `dense_5` .. `dense_8`)
    widths = [(2, 32), (32, 32), (32, 32), (32, 32), (32, 1)]
    file = {}
    for k, (i, o) in enumerate(widths):
        path = "denses/dense" + (f"_{k}" if k else "")
        file[f"{path}/vars/0"], file[f"{path}/vars/1"] = ((i, o), f"dense_{k}"), ((o,), f"dense_{k}")
    catalog = Catalog("<fnn.weights.h5>", "keras3-weights", {
        n: TensorInfo(n, "float32", s, 4, full_name=f"{owner}/vars/{n[-1]}", written=w)
        for w, (n, (s, owner)) in enumerate(file.items())})
    variables = []
    for k, (i, o) in enumerate(widths[:1] + widths[2:]):
        path = "denses/dense" + (f"_{k}" if k else "")
        variables += [VariableSpec(f"fnn_1/dense_{k + 5}/kernel", (i, o), "float32", index=2 * k,
                                   keys={"keras3": f"{path}/vars/0"}),
                      VariableSpec(f"fnn_1/dense_{k + 5}/bias", (o,), "float32", index=2 * k + 1,
                                   keys={"keras3": f"{path}/vars/1"})]
    a = ckpt_doctor.align(catalog, ModelSpec(variables, framework="tf2", source="<fnn>"))
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got == {"fnn_1/dense_5/kernel": "denses/dense/vars/0", "fnn_1/dense_5/bias": "denses/dense/vars/1",
                   "fnn_1/dense_8/kernel": "denses/dense_4/vars/0", "fnn_1/dense_8/bias": "denses/dense_4/vars/1"}
    assert {x.model for x in a.ambiguous} == {f"fnn_1/dense_{k}/{leaf}" for k in (6, 7) for leaf in ("kernel", "bias")}
