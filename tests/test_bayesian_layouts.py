"""Bayesian layers keep a mean and a spread per weight. bayesian-torch names them `mu_weight`, `rho_weight` and
torchbnn `weight_mu`, `weight_log_sigma`: `F.linear`'s weights, [out, in]. A Keras 3 twin of the user's own class
(`layers/mean_field_dense/vars/0` [6, 32], x @ w) stores [in, out]; its square [32, 32] matrices have the layout of
the class's other ones, since one class runs one code. Held-out part 34's real names and shapes: every matrix is
transposed, none taken as it is."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

_WIDTHS = [(6, 32), (32, 32), (32, 1)]


def _align(torch_leaves: tuple[str, str, str, str]):
    file, model = {}, []
    for k, (i, o) in enumerate(_WIDTHS):
        path = "layers/mean_field_dense" + (f"_{k}" if k else "")
        for j, shape in enumerate(((i, o), (i, o), (o,), (o,))):
            file[f"{path}/vars/{j}"] = shape
        model += [(f"{2 * k}.{leaf}", shape) for leaf, shape in zip(torch_leaves, ((o, i), (o, i), (o,), (o,)),
                                                                       strict=True)]
    catalog = Catalog("<regressor.weights.h5>", "keras3-weights", {
        n: TensorInfo(n, "float32", s, 4, full_name=n.removeprefix("layers/"), written=w)
        for w, (n, s) in enumerate(file.items())})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)], framework="torch",
                     source="<bayesian twin>")
    return ckpt_doctor.align(catalog, spec)


def test_every_weight_is_transposed():
    for leaves in (("mu_weight", "rho_weight", "mu_bias", "rho_bias"),
                   ("weight_mu", "weight_log_sigma", "bias_mu", "bias_log_sigma")):
        a = _align(leaves)
        got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
        assert len(got) == 12 and not a.ambiguous, (leaves, a.ambiguous)
        for k in range(3):
            path = "layers/mean_field_dense" + (f"_{k}" if k else "")
            want = "transpose" if k < 2 else "reshape(1,32)"
            assert got[f"{2 * k}.{leaves[0]}"] == (f"{path}/vars/0", want), leaves
            assert got[f"{2 * k}.{leaves[1]}"] == (f"{path}/vars/1", want), leaves
