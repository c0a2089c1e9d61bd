"""The framework side of tests/test_fused_hint.py, run in a subprocess (Keras and torch never enter pytest).

`write DIR`: a Keras 3 model with a MultiHeadAttention layer saved by `save_weights` (DIR/k3.weights.h5) and the JSON
spec of its PyTorch twin built on `nn.MultiheadAttention` (DIR/fused.spec.json: one `in_proj_weight` per attention);
a two-block PyTorch model with timm-style fused `qkv` linears saved by `torch.save` (DIR/fused.pt) and the spec of
a twin with separate `query`/`key`/`value` linears (DIR/parts.spec.json); a twin whose `qkv` is too narrow for its
parts (DIR/narrow.pt).
"""

from __future__ import annotations

import os
import sys

import torch

E, H = 16, 4


class Fused(torch.nn.Module):
    def __init__(self, width: int = 3 * E):
        super().__init__()
        self.qkv = torch.nn.Linear(E, width)
        self.proj = torch.nn.Linear(E, E)


class Parts(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (torch.nn.Linear(E, E) for _ in range(3))
        self.proj = torch.nn.Linear(E, E)


def blocks(kind, *args) -> torch.nn.Module:
    net = torch.nn.Module()
    net.blocks = torch.nn.ModuleList([kind(*args) for _ in range(2)])
    return net


class Twin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(E, H, batch_first=True)
        self.norm = torch.nn.LayerNorm(E)
        self.head = torch.nn.Linear(E, 3)


def write(out: str) -> None:
    from ckpt_doctor.model.torch_module import spec

    torch.save(blocks(Fused).state_dict(), os.path.join(out, "fused.pt"))
    torch.save(blocks(Fused, 2 * E).state_dict(), os.path.join(out, "narrow.pt"))
    spec(blocks(Parts)).save(os.path.join(out, "parts.spec.json"))
    spec(Twin()).save(os.path.join(out, "fused.spec.json"))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras

    inp = keras.Input((5, E))
    x = keras.layers.MultiHeadAttention(num_heads=H, key_dim=E // H, name="attn")(inp, inp)
    x = keras.layers.LayerNormalization(name="norm")(x)
    keras.Model(inp, keras.layers.Dense(3, name="head")(x)).save_weights(os.path.join(out, "k3.weights.h5"))


if __name__ == "__main__":
    {"write": write}[sys.argv[1]](sys.argv[2])
