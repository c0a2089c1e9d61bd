"""Across frameworks, end to end: a Keras HDF5 file (written by tf-keras) read without Keras, diagnosed and
aligned against a PyTorch twin; the exported PyTorch fix loads it strictly and the twin reproduces Keras' outputs."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if importlib.util.find_spec("tf_keras") is None or importlib.util.find_spec("h5py") is None:
    pytest.skip("tf-keras and h5py are needed to write the Keras file", allow_module_level=True)

import ckpt_doctor  # noqa: E402


class Twin(torch.nn.Module):
    """The Keras model in PyTorch: conv (NCHW), batch norm, flatten in Keras' NHWC order, dense."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4, eps=1e-3)
        self.fc = torch.nn.Linear(6 * 6 * 4, 5)

    def forward(self, x_nhwc):
        h = self.bn(self.conv(x_nhwc.permute(0, 3, 1, 2)))
        return self.fc(h.permute(0, 2, 3, 1).reshape(len(h), -1))


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("cross")
    r = subprocess.run([sys.executable, str(Path(__file__).parent / "cross_oracle.py"), str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_keras_h5_against_a_pytorch_model(keras_files):
    twin = Twin().eval()
    h5 = keras_files / "keras.h5"
    diagnosis = ckpt_doctor.diagnose(h5, twin)
    # names differ in every convention: nothing loads as is, in both directions
    assert not diagnosis.ok
    assert len(diagnosis.weights("missing")) == 8  # conv w/b, bn w/b/mean/var, fc w/b
    assert diagnosis.counts()["entries_unused"] == 8

    alignment = ckpt_doctor.align(h5, twin)
    assert not alignment.ambiguous and not alignment.missing and not alignment.unused
    transforms = {p.model: p.transform for p in alignment.pairs}
    assert transforms["conv.weight"] == "permute(3,2,0,1)" and transforms["fc.weight"] == "transpose"
    assert transforms["bn.running_var"] is None

    # the exported fix, executed as printed, on the values read by ckpt-doctor
    catalog = ckpt_doctor.open_checkpoint(h5)
    state = {alignment.checkpoint_names[k]: torch.from_numpy(np.array(v.read())) for k, v in catalog.items()
             if v.kind == "variable"}
    namespace = {"state": state, "model": twin}
    exec(alignment.torch_code(), namespace)

    x = torch.from_numpy(np.load(keras_files / "x.npy"))
    with torch.no_grad():
        y = twin(x).numpy()
    np.testing.assert_allclose(y, np.load(keras_files / "y.npy"), rtol=1e-4, atol=1e-4)


def test_training_checkpoint_subtree_from_the_cli(tmp_path):
    model = torch.nn.Linear(3, 2)
    path = tmp_path / "train.pt"
    torch.save({"epoch": 3, "model_state": model.state_dict(), "ema_state": model.state_dict()}, path)
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "inspect", str(path)], capture_output=True, text=True)
    assert r.returncode != 0 and "model_state" in r.stderr and "ema_state" in r.stderr
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "inspect", "--json", "--subtree", "model_state",
                        str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "weight" in r.stdout and "bias" in r.stdout
