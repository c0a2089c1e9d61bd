"""The framework side of tests/test_trial8_findings.py, run in a subprocess (TensorFlow and torch never enter pytest).

`write DIR`: a torch model's state dict saved by huggingface_hub as a sharded safetensors set (DIR/whole); a Keras 3
model with named layers saved by `save_weights` (DIR/k3.weights.h5; its values in DIR/k3.npz).
`check DIR`: what TensorFlow reads from DIR/tf/model and what torch restores from DIR/salvaged/model.safetensors,
each against the values huggingface_hub wrote, and what torch's `load_state_dict(strict=True)` makes of DIR/k3.pt
against the Keras 3 values; prints JSON.
"""

from __future__ import annotations

import json
import os
import sys

import torch


def build() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))


def write(out: str) -> None:
    from huggingface_hub import save_torch_state_dict

    os.makedirs(os.path.join(out, "whole"))
    save_torch_state_dict(build().state_dict(), os.path.join(out, "whole"), max_shard_size=60)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras
    import numpy as np

    # layer names other than their paths (layers/dense/vars/0): the file's full_name shows `d1/vars/0`
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")])
    net.save_weights(os.path.join(out, "k3.weights.h5"))
    np.savez(os.path.join(out, "k3.npz"), *[v.numpy() for v in net.weights])


def check(out: str) -> None:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    from safetensors.torch import load_file

    whole = os.path.join(out, "whole")
    index = json.load(open(os.path.join(whole, "model.safetensors.index.json")))
    truth = {}
    for shard in sorted(set(index["weight_map"].values())):
        truth.update(load_file(os.path.join(whole, shard)))
    tf_keys, tf_equal = None, False  # None: TensorFlow finds no checkpoint named DIR/tf/model
    if os.path.exists(os.path.join(out, "tf", "model.index")):
        reader = tf.train.load_checkpoint(os.path.join(out, "tf", "model"))
        tf_keys = sorted(reader.get_variable_to_shape_map())
        tf_equal = all(np.array_equal(reader.get_tensor(k), truth[k].numpy()) for k in tf_keys)
    model = build()
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    result = model.load_state_dict(load_file(os.path.join(out, "salvaged", "model.safetensors")), strict=False)
    restored = model.state_dict()
    salvaged_equal = all(torch.equal(restored[k], truth[k]) for k in restored if k not in result.missing_keys)
    k3 = np.load(os.path.join(out, "k3.npz"))
    model = build()
    try:
        model.load_state_dict(torch.load(os.path.join(out, "k3.pt"), weights_only=True), strict=True)
        k3_error = None
    except RuntimeError as e:
        k3_error = str(e)
    expected = [k3["arr_0"].T, k3["arr_1"], k3["arr_2"].T, k3["arr_3"]]  # kernel [in, out] -> weight [out, in]
    k3_equal = k3_error is None and all(np.array_equal(p.detach().numpy(), v)
                                        for p, v in zip(model.parameters(), expected, strict=True))
    print(json.dumps({"bf16": _bf16(out), "tf_keys": tf_keys, "tf_equal": tf_equal, "keys": sorted(truth),
                      "k3_error": k3_error, "k3_equal": k3_equal,
                      "missing_keys": sorted(result.missing_keys), "unexpected_keys": sorted(result.unexpected_keys),
                      "salvaged_equal": salvaged_equal}))


def _bf16(out: str) -> dict:
    """ckpt_doctor.write_checkpoint given a bfloat16 model's state_dict() and its parameters (which require grad):
    True where safetensors / torch.load give back every tensor, bfloat16 and equal, else what went wrong."""
    from safetensors.torch import load_file

    import ckpt_doctor

    net = build().to(torch.bfloat16)
    cases = {"safetensors": (net.state_dict(), "bf16.safetensors", load_file),
             "torch": (net.state_dict(), "bf16.pt", lambda p: torch.load(p, weights_only=True)),
             "parameters": (dict(net.named_parameters()), "params.safetensors", load_file)}
    found = {}
    for case, (tensors, name, load) in cases.items():
        path = os.path.join(out, name)
        try:
            ckpt_doctor.write_checkpoint(tensors, path, name.rsplit(".", 1)[1].replace("pt", "torch"))
            back = load(path)
            found[case] = sorted(back) == sorted(tensors) and all(
                back[k].dtype == torch.bfloat16 and torch.equal(back[k], v) for k, v in tensors.items())
        except Exception as e:  # the finding: what a user sees
            found[case] = f"{type(e).__name__}: {e}"
    return found


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
