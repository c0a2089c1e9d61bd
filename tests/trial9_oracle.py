"""The framework side of tests/test_trial9_findings.py, run in a subprocess (torch and transformers never enter
pytest).

`write DIR`: a tiny BertModel (random weights) saved by transformers' `save_pretrained` as a sharded PyTorch set
(DIR/bin_sharded: `pytorch_model.bin.index.json` and its `.bin` shards), as a sharded safetensors set
(DIR/st_sharded) and as one `pytorch_model.bin` (DIR/bin); its state dict's values in DIR/values.npz and its keys, in
state-dict order, in DIR/keys.json.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
from transformers import BertConfig, BertModel


def write(out: str) -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    model = BertModel(config)
    model.save_pretrained(os.path.join(out, "bin_sharded"), safe_serialization=False, max_shard_size="20KB")
    model.save_pretrained(os.path.join(out, "st_sharded"), max_shard_size="20KB")
    model.save_pretrained(os.path.join(out, "bin"), safe_serialization=False)
    state = model.state_dict()
    np.savez(os.path.join(out, "values.npz"), **{k: v.numpy() for k, v in state.items()})
    with open(os.path.join(out, "keys.json"), "w") as f:
        json.dump(list(state), f)


if __name__ == "__main__":
    {"write": write}[sys.argv[1]](*sys.argv[2:])
