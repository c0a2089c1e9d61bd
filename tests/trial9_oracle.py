"""The framework side of tests/test_trial9_findings.py, run in a subprocess (torch and transformers never enter
pytest).

`write DIR`: a tiny BertModel (random weights) saved by transformers' `save_pretrained` as a sharded PyTorch set
(DIR/bin_sharded: `pytorch_model.bin.index.json` and its `.bin` shards), as a sharded safetensors set
(DIR/st_sharded) and as one `pytorch_model.bin` (DIR/bin); its state dict's values in DIR/values.npz and its keys, in
state-dict order, in DIR/keys.json.
`write_tf DIR`: a tiny TFBertModel saved by `save_pretrained` as sharded TF weights (DIR/tf_sharded:
`tf_model.h5.index.json` and its `.h5` shards) and as one `tf_model.h5` (DIR/tf); its variables' values by name
in DIR/tf_values.npz; `TFBertModel.from_pretrained(DIR/tf_sharded)`'s values, which must equal them, in
DIR/tf_loaded.npz (named under the first model's scope); a builder of the same model in DIR/tf_model.py, its
spec in DIR/tf_spec.json; a TensorFlow Lite export of a one-variable function in DIR/model.tflite.
"""

from __future__ import annotations

import json
import os
import sys

# other test modules set USE_TF=0 in the pytest process, which this subprocess inherits: write_tf needs TensorFlow
if sys.argv[1:2] == ["write_tf"]:
    os.environ["USE_TF"] = "1"
else:
    os.environ["USE_TF"] = "0"  # transformers would import TensorFlow too

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import BertConfig, BertModel  # noqa: E402


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


def write_tf(out: str) -> None:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from transformers import TFBertModel

    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    model = TFBertModel(config)
    model(model.dummy_inputs)
    model.save_pretrained(os.path.join(out, "tf_sharded"), max_shard_size="20KB")
    model.save_pretrained(os.path.join(out, "tf"))
    np.savez(os.path.join(out, "tf_values.npz"), **{w.name.removesuffix(":0"): w.numpy() for w in model.weights})
    # a second model in this process is named tf_bert_model_1: from_pretrained pairs by the name under that scope
    loaded = TFBertModel.from_pretrained(os.path.join(out, "tf_sharded"))
    np.savez(os.path.join(out, "tf_loaded.npz"), **{f"{model.name}/{w.name.split('/', 1)[1].removesuffix(':0')}":
                                                    w.numpy() for w in loaded.weights})
    with open(os.path.join(out, "tf_model.py"), "w") as f:
        f.write(TF_MODEL)
    import tensorflow as tf  # and an exported TensorFlow Lite model, a file a user may point at by mistake

    scale = tf.Variable([2.0])
    fn = tf.function(lambda x: x * scale, input_signature=[tf.TensorSpec([1], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    with open(os.path.join(out, "model.tflite"), "wb") as f:
        f.write(converter.convert())
    import subprocess  # the spec of a model built in a fresh process: named tf_bert_model, as the one saved

    subprocess.run([sys.executable, "-m", "ckpt_doctor", "spec", "--model", os.path.join(out, "tf_model.py:build"),
                    "-o", os.path.join(out, "tf_spec.json")], check=True, capture_output=True)


TF_MODEL = """
from transformers import BertConfig, TFBertModel


def build():
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    model = TFBertModel(config)
    model(model.dummy_inputs)
    return model
"""


if __name__ == "__main__":
    {"write": write, "write_tf": write_tf}[sys.argv[1]](*sys.argv[2:])
