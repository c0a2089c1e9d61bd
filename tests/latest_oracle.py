"""The TensorFlow side of tests/test_discovery.py's state-file checks, run in a subprocess: prints, as JSON, what
``tf.train.latest_checkpoint`` returns for each directory given."""

import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf  # noqa: E402

print(json.dumps({d: tf.train.latest_checkpoint(d) for d in sys.argv[1:]}))
