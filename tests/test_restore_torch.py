"""Verified restore, check_restored, guard and assert_restored with real PyTorch modules and a tiny Hugging Face
model built from a config; a tf-keras HDF5 file (written in a subprocess) restored into a PyTorch twin."""

import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402
import ckpt_doctor.testing  # noqa: E402
from ckpt_doctor.errors import RestoreError  # noqa: E402


def _block():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 64))


class Old(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model_scope = _block()


class New(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.different_model_scope = _block()


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    old = Old()
    old.model_scope[1].running_mean += torch.arange(4.0)  # buffers with values no initializer has
    old.model_scope[1].running_var *= 3
    path = tmp_path / "old.pt"
    torch.save(old.state_dict(), path)
    return path, {k.replace("model_scope", "different_model_scope"): v for k, v in old.state_dict().items()}


def test_scope_rename_restores_with_auto_and_every_value_verified(saved):
    path, expected = saved
    model = New()
    report = ckpt_doctor.restore(model, path)
    assert report.ok and report.assigned
    assert {o.status for o in report.variables} == {"verified"}  # buffers and the BN counter included
    assert all(o.check == "bit-exact" for o in report.weights())
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert report.entries_with("unused") == []


def test_without_rules_raises_naming_both_variables_and_assigns_nothing(saved):
    path, _ = saved
    model = New()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RestoreError) as e:
        ckpt_doctor.restore(model, path, rules=None)
    message = str(e.value)
    assert message.startswith("nothing restored: 8 of 8 model weights would keep their initial values")
    assert "different_model_scope.0.weight: no checkpoint value" in message
    assert "\n  model_scope.0.weight\n" in message
    assert not e.value.report.assigned
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    report = ckpt_doctor.restore(model, path, rules=None, strict=False)
    assert not report.ok and len(report.weights("not_restored")) == 8


def test_explicit_rules_and_declared_cast_keep_the_models_dtype(saved, tmp_path):
    path, expected = saved
    rules = ckpt_doctor.Rules([ckpt_doctor.Prefix("model_scope.", "different_model_scope.")])
    model = New().double()
    report = ckpt_doctor.restore(model, path, rules=rules)
    assert report.ok
    assert model.different_model_scope[0].weight.dtype == torch.float64
    assert "declared cast float32 -> float64" in report.weights()[0].check
    assert torch.equal(model.different_model_scope[0].weight, expected["different_model_scope.0.weight"].double())
    rules.save(tmp_path / "rules.yaml")
    assert ckpt_doctor.restore(New(), path, rules=str(tmp_path / "rules.yaml")).ok


def test_meta_device_model_gets_real_tensors_of_its_dtype(saved):
    path, expected = saved
    with torch.device("meta"):
        model = New().to(torch.bfloat16)
    report = ckpt_doctor.restore(model, path)
    assert report.ok, report.render()
    weight = model.different_model_scope[0].weight
    assert weight.device.type == "cpu" and weight.dtype == torch.bfloat16 and isinstance(weight, torch.nn.Parameter)
    assert torch.equal(weight, expected["different_model_scope.0.weight"].to(torch.bfloat16))


def test_a_value_that_does_not_arrive_is_a_mismatch(saved, monkeypatch):
    path, _ = saved
    model = New()
    original = torch.nn.Module.load_state_dict

    def lossy(self, state, *args, **kwargs):  # a loader that silently skips one tensor
        state = {k: v for k, v in state.items() if not k.endswith("2.bias")}
        return original(self, state, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "load_state_dict", lossy)
    with pytest.raises(RestoreError) as e:
        ckpt_doctor.restore(model, path)
    assert "MISMATCH" in str(e.value) and "different_model_scope.2.bias <- model_scope.2.bias" in str(e.value)


def test_reinitialised_after_loading_caught_by_check_restored_and_assert_restored(saved):
    path, _ = saved
    model = New()
    ckpt_doctor.restore(model, path)
    ckpt_doctor.testing.assert_restored(model, path)
    model.different_model_scope[2].reset_parameters()  # user code re-initialises the head
    result = ckpt_doctor.check_restored(model, path)
    status = {o.variable.name: o for o in result.variables}
    head = status["different_model_scope.2.weight"]
    assert head.status == "looks_untouched", result.render()
    assert any("fresh initialization" in e or "Kaiming" in e for e in head.evidence)
    assert set(head.stats) == {"mean", "std", "min", "max", "zeros"}
    assert status["different_model_scope.0.weight"].status == "equal"
    with pytest.raises(AssertionError, match="different_model_scope.2.weight"):
        ckpt_doctor.testing.assert_restored(model, path)


def test_guard_catches_unrestored_and_reinitialised_weights(saved):
    path, _ = saved
    original = torch.nn.Module.load_state_dict
    state = {k.replace("model_scope", "different_model_scope"): v for k, v in torch.load(path).items()}
    model = New()
    with ckpt_doctor.guard(strict=False) as g:
        model.load_state_dict({k: v for k, v in state.items() if "2." not in k}, strict=False)
    assert [e.not_restored for e in g.events] == [["different_model_scope.2.weight", "different_model_scope.2.bias"]]
    assert torch.nn.Module.load_state_dict is original  # removed on exit

    with pytest.raises(RestoreError, match="different_model_scope.2.weight"):
        with ckpt_doctor.guard(strict=True):
            model.load_state_dict(state)  # complete and verified
            model.different_model_scope[2].reset_parameters()  # ... then re-initialised
    assert torch.nn.Module.load_state_dict is original


def test_guard_applies_to_its_own_thread_only(saved):
    path, _ = saved
    state = {k.replace("model_scope", "different_model_scope"): v for k, v in torch.load(path).items()}
    partial = {k: v for k, v in state.items() if "2." not in k}
    errors = []
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        try:
            New().load_state_dict(partial, strict=False)  # unguarded thread: the original behaviour
        except Exception as e:  # pragma: no cover - the failure we test for
            errors.append(e)
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with ckpt_doctor.guard(strict=True) as g:
        inside.set()
        done.wait(30)
    t.join()
    assert not errors and g.events == []


# -- a tiny Hugging Face model ------------------------------------------------------------------------------------

transformers = None


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    global transformers
    os.environ.setdefault("USE_TF", "0")  # transformers would otherwise import TensorFlow into this process
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=16, max_position_embeddings=16, num_labels=3)
    torch.manual_seed(0)
    task = transformers.BertForSequenceClassification(config)
    out = tmp_path_factory.mktemp("bert")
    task.save_pretrained(out)
    return out, config


def test_hf_base_model_from_task_checkpoint_with_prefix(bert_dir):
    out, config = bert_dir
    weights = out / "model.safetensors"
    for rules in (None, "auto"):
        model = transformers.BertModel(config)
        report = ckpt_doctor.restore(model, weights, rules=rules)
        assert report.ok, report.render()
        assert sorted(report.entries_with("unused")) == ["classifier.bias", "classifier.weight"]
        reference = transformers.BertModel.from_pretrained(out)
        for key, value in reference.state_dict().items():
            assert torch.equal(model.state_dict()[key], value), key


def test_hf_from_pretrained_guarded_and_reinitialisation_caught(bert_dir):
    out, _ = bert_dir
    original = transformers.PreTrainedModel.__dict__["from_pretrained"]
    with ckpt_doctor.guard(strict=True) as g:
        model = transformers.BertModel.from_pretrained(out)
    assert g.ok and g.events[0].call == "BertModel.from_pretrained" and g.events[0].checked > 10
    assert sorted(g.events[0].unused) == ["classifier.bias", "classifier.weight"]
    with pytest.raises(RestoreError, match="pooler.dense.weight"):
        with ckpt_doctor.guard(strict=True):
            model = transformers.BertModel.from_pretrained(out)
            model._init_weights(model.pooler.dense)  # the transformers#46620 pattern: loaded, then re-initialised
    assert transformers.PreTrainedModel.__dict__["from_pretrained"] is original


# -- across frameworks --------------------------------------------------------------------------------------------

class Twin(torch.nn.Module):
    """tests/cross_oracle.py's Keras model in PyTorch."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4, eps=1e-3)
        self.fc = torch.nn.Linear(6 * 6 * 4, 5)

    def forward(self, x_nhwc):
        h = self.bn(self.conv(x_nhwc.permute(0, 3, 1, 2)))
        return self.fc(h.permute(0, 2, 3, 1).reshape(len(h), -1))


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf-keras writes the Keras file")
def test_keras_checkpoint_restored_into_pytorch_gives_the_same_outputs(tmp_path):
    r = subprocess.run([sys.executable, str(Path(__file__).parent / "cross_oracle.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    twin = Twin().eval()
    report = ckpt_doctor.restore(twin, tmp_path / "keras.h5")
    assert report.ok, report.render()
    transforms = {o.variable.name: o.transform for o in report.variables}
    assert transforms["conv.weight"] == "permute(3,2,0,1)" and transforms["fc.weight"] == "transpose"
    with torch.no_grad():
        y = twin(torch.from_numpy(np.load(tmp_path / "x.npy"))).numpy()
    np.testing.assert_allclose(y, np.load(tmp_path / "y.npy"), rtol=1e-4, atol=1e-4)


def test_tensorflow_stayed_out_of_this_process():
    assert "tensorflow" not in sys.modules


def test_tied_weights_given_two_different_values_are_a_mismatch(tmp_path):
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 4, bias=False)
            self.b = torch.nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

    path = tmp_path / "two.pt"
    torch.save({"a.weight": torch.ones(4, 4), "b.weight": torch.zeros(4, 4)}, path)
    report = ckpt_doctor.restore(Tied(), path, rules=None, strict=False)
    assert [o.status for o in report.variables] == ["mismatch", "verified"]  # the later write wins; caught
    torch.save({"a.weight": torch.ones(4, 4), "b.weight": torch.ones(4, 4)}, path)
    assert ckpt_doctor.restore(Tied(), path, rules=None).ok


def test_restore_is_callable_whichever_import_came_first(saved):
    path, _ = saved
    code = ("import sys, torch; sys.path.insert(0, sys.argv[1]); import ckpt_doctor.restore.guard, ckpt_doctor;"
            "m = torch.nn.Linear(3, 4); torch.save(m.state_dict(), sys.argv[2]);"
            "print(ckpt_doctor.restore(torch.nn.Linear(3, 4), sys.argv[2]).ok)")
    r = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parents[1] / "src"), str(path) + ".lin"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "True", r.stderr[-2000:]
