"""A layer that fits only in part is not paired by its bias (found as a new user with silero-vad 6.2.3's files: its
``silero_vad_16k.safetensors`` holds one model under flat names, ``conv1`` .. ``conv4``, ``lstm_cell``; its
TorchScript model holds a 16 kHz and an 8 kHz model of the same layers, ``_model.encoder.N.reparam_conv`` and
``_model_8k.encoder.N.reparam_conv``). ``conv4.bias`` was paired with ``_model_8k.encoder.0``'s bias by a one-layer
renaming whose kernel does not fit, and ``conv4.weight`` then with ``_model_8k.encoder.3`` by structure: two wrong
pairs. PyTorch's load_state_dict is the oracle of what each key is."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

import ckpt_doctor  # noqa: E402


class Vad(torch.nn.Module):
    def __init__(self, bins: int):
        super().__init__()
        self.encoder = torch.nn.ModuleList()
        for a, b in ((bins, 128), (128, 64), (64, 64), (64, 128)):
            block = torch.nn.Module()
            block.reparam_conv = torch.nn.Conv1d(a, b, 3)
            self.encoder.append(block)
        self.decoder = torch.nn.Module()
        self.decoder.rnn = torch.nn.LSTMCell(128, 128)
        self.decoder.decoder = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.ReLU(), torch.nn.Conv1d(128, 1, 1))


class Both(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self._model = Vad(129)
        self._model_8k = Vad(65)


def test_a_bias_does_not_pair_a_layer_whose_kernel_does_not_fit(tmp_path):
    torch.manual_seed(0)
    m16 = Vad(129)
    flat = {"conv1": "encoder.0.reparam_conv", "conv2": "encoder.1.reparam_conv", "conv3": "encoder.2.reparam_conv",
            "conv4": "encoder.3.reparam_conv", "lstm_cell": "decoder.rnn", "final_conv": "decoder.decoder.2"}
    state = {}
    for short, path in flat.items():
        for k, v in m16.state_dict().items():
            if k.startswith(path + "."):
                state[short + k[len(path):]] = v.contiguous()
    safetensors_torch.save_file(state, str(tmp_path / "vad_16k.safetensors"))
    model = Both()
    # the truth: each flat key is the 16 kHz model's (what load_state_dict into `_model` after renaming gives)
    truth = {"_model." + path + k[len(short):]: k for short, path in flat.items() for k in state if
             k.startswith(short + ".")}
    model._model.load_state_dict({k[len("_model."):]: state[v] for k, v in truth.items()})
    a = ckpt_doctor.align(str(tmp_path / "vad_16k.safetensors"), model)
    wrong = [(p.model, p.checkpoint) for p in a.pairs if truth.get(p.model) != p.checkpoint]
    assert not wrong, wrong
    assert {p.model for p in a.pairs} >= {"_model.encoder.0.reparam_conv.weight", "_model.encoder.0.reparam_conv.bias"}
    said = {x.model: x.reason for x in a.ambiguous}
    assert "fits only in part" in said["_model_8k.encoder.0.reparam_conv.bias"]


def test_a_one_element_value_into_a_scalar_variable_survives_rules_rewrite_and_fix(tmp_path):
    # held-out 14 (GroupViT, TF -> PyTorch): TF keeps `logit_scale` as [1], PyTorch as a 0-d parameter. align
    # inferred `reshape()` (to a scalar), then raised RuleError: "'reshape()': reshape takes sizes" (its own rule
    # vocabulary refused it); align, the rule file, rewrite and the printed fix now all take it.
    import numpy as np

    from ckpt_doctor.match.rules import Rules

    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(3, 2, bias=False)
            self.logit_scale = torch.nn.Parameter(torch.tensor(0.0))

    rng = np.random.default_rng(0)
    values = {"tf_head/proj/kernel": rng.standard_normal((3, 2)).astype("float32"),
              "tf_head/logit_scale": np.array([2.5], "float32")}
    np.savez(tmp_path / "head.npz", **values)
    a = ckpt_doctor.align(str(tmp_path / "head.npz"), Head())
    assert {p.model: p.transform for p in a.pairs} == {"proj.weight": "transpose", "logit_scale": "reshape()"}
    a.rules.save(tmp_path / "rules.yaml")
    rules = Rules.load(tmp_path / "rules.yaml")
    ckpt_doctor.rewrite(str(tmp_path / "head.npz"), rules, str(tmp_path / "head.pt"))
    model = Head()
    model.load_state_dict(torch.load(tmp_path / "head.pt"))
    assert float(model.logit_scale) == 2.5 and np.array_equal(model.proj.weight.detach().numpy(),
                                                              values["tf_head/proj/kernel"].T)
    fixed = Head()
    exec(a.torch_code(), {"model": fixed})
    assert float(fixed.logit_scale) == 2.5
