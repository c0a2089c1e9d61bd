"""The framework side of tests/test_trial8_findings.py, run in a subprocess (TensorFlow and torch never enter pytest).

`write DIR`: a torch model's state dict saved by huggingface_hub as a sharded safetensors set (DIR/whole).
`check DIR`: what TensorFlow reads from DIR/tf/model and what torch restores from DIR/salvaged/model.safetensors,
each against the values huggingface_hub wrote; prints JSON.
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
    print(json.dumps({"tf_keys": tf_keys, "tf_equal": tf_equal, "keys": sorted(truth),
                      "missing_keys": sorted(result.missing_keys), "unexpected_keys": sorted(result.unexpected_keys),
                      "salvaged_equal": salvaged_equal}))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
