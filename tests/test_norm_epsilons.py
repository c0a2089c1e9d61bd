"""A caution where batch-norm statistics cross between PyTorch and TF or Keras: the values are right, but the layer
divides by sqrt(variance + epsilon) and the frameworks' default epsilons differ, which no file records (deep-sort's
MobileNetV2 weights, aligned into Keras' MobileNetV2 and restored by the printed fix, give outputs off by 2.3 of 2.8
until the epsilon is set; then they agree to 2e-6)."""

import json

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

_TORCH_BN = ("weight", "bias", "running_mean", "running_var")
_KERAS_BN = ("gamma", "beta", "moving_mean", "moving_variance")


def _align(ckpt: list, model: list, fmt: str, framework: str):
    catalog = Catalog("<synthetic>", fmt, {n: TensorInfo(n, "float32", tuple(s), 4, written=i)
                                           for i, (n, s) in enumerate(ckpt)})
    spec = ModelSpec([VariableSpec(n, tuple(s), "float32", index=i) for i, (n, s) in enumerate(model)],
                     framework=framework, source="<synthetic>")
    return ckpt_doctor.align(catalog, spec)


def _net(sep: str, conv: str, bn: str, leaves: tuple, torch: bool) -> list:
    out = []
    for k, (i, o) in enumerate(((3, 8), (8, 16))):
        out.append((f"{conv}{sep}{k}{sep}{'weight' if torch else 'kernel'}", (o, i, 3, 3) if torch else (3, 3, i, o)))
        out += [(f"{bn}{sep}{k}{sep}{leaf}", (o,)) for leaf in leaves]
    return out


def _caution(a) -> list[str]:
    return [s for s in a.sentences if "batch-norm layer" in s]


def test_torch_statistics_into_keras_names_the_epsilon():
    a = _align(_net(".", "conv", "bn", _TORCH_BN, True), _net("/", "conv", "bn", _KERAS_BN, False),
               "torch", "tf2")
    assert len(a.pairs) == 10 and not a.missing
    [said] = _caution(a)
    assert said.startswith("2 batch-norm layer(s) (`bn/0` first)") and "1e-5" in said and "1e-3" in said


def test_keras_statistics_into_torch_name_it_too():
    a = _align(_net("/", "conv", "bn", _KERAS_BN, False), _net(".", "conv", "bn", _TORCH_BN, True),
               "tf-v2", "torch")
    assert len(a.pairs) == 10 and len(_caution(a)) == 1


def test_same_framework_statistics_say_nothing():
    a = _align(_net("/", "enc", "norm", _KERAS_BN, False), _net("/", "conv", "bn", _KERAS_BN, False),
               "tf-v2", "tf2")
    b = _align(_net(".", "enc", "norm", _TORCH_BN, True), _net(".", "conv", "bn", _TORCH_BN, True),
               "torch", "torch")
    assert len(a.pairs) == len(b.pairs) == 10
    assert _caution(a) == _caution(b) == []


def test_the_quoted_defaults_are_the_frameworks():
    from oracle_run import run_oracle

    found = json.loads(run_oracle("norm_eps_oracle.py"))
    assert found == {"torch": 1e-5, "keras3": 1e-3, "tf_keras": 1e-3}


def test_a_keras3_files_statistics_into_torch_name_it_too():
    # (a Keras 3 file names a BatchNormalization's variance by position: `vars/3`)
    ckpt = []
    for k, (i, o) in enumerate(((3, 8), (8, 16))):
        sfx = f"_{k}" if k else ""
        ckpt.append((f"layers/conv2d{sfx}/vars/0", (3, 3, i, o)))
        ckpt += [(f"layers/batch_normalization{sfx}/vars/{v}", (o,)) for v in range(4)]
    a = _align(ckpt, _net(".", "conv", "bn", _TORCH_BN, True), "keras3-weights", "torch")
    assert len(a.pairs) == 10 and len(_caution(a)) == 1


def test_statistics_left_ambiguous_name_it_too():
    # attacut's three equal ConvolutionBatchNorm branches into a Keras 3 twin whose norms no order ties to a conv:
    # the norms stay ambiguous among three PyTorch norms, and whichever the user gives them, the epsilon matters
    torch_side = []
    for k, window in enumerate((3, 5, 9), start=1):
        torch_side += [(f"conv{k}.conv.weight", (64, 48, window)), (f"conv{k}.conv.bias", (64,))]
        torch_side += [(f"conv{k}.bn.{leaf}", (64,)) for leaf in _TORCH_BN]
    keras_side = [(f"conv1d{'_' + str(k) if k else ''}/{leaf}", shape) for k, window in enumerate((3, 5, 9))
                  for leaf, shape in (("kernel", (window, 48, 64)), ("bias", (64,)))]
    keras_side += [(f"batch_normalization{'_' + str(k) if k else ''}/{leaf}", (64,)) for k in range(3)
                   for leaf in _KERAS_BN]
    a = _align(torch_side, keras_side, "torch", "tf2")
    assert {x.model.split("/")[0] for x in a.ambiguous} == {"batch_normalization", "batch_normalization_1",
                                                            "batch_normalization_2"}
    [said] = _caution(a)
    assert said.startswith("3 batch-norm layer(s)")
