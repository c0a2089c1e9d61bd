"""Seed scenario, the healthy case: saved and rebuilt under the same variable_scope("model_scope").

    python examples/seed_consistent_scope.py [WORKDIR]
"""

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import seed_models  # noqa: E402
import tensorflow as tf  # noqa: E402
from seed_scope_rename import save_original  # noqa: E402

v1 = tf.compat.v1


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ckpt-doctor-seed-")
    os.makedirs(directory, exist_ok=True)
    prefix = save_original(directory)
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_original()
        v1.train.Saver().restore(sess, prefix)
        weight = [v for v in v1.global_variables() if v.op.name == "model_scope/weight"][0]
        restored = sess.run(weight)
    print(f"TF1 Saver.restore: succeeded; weight == saved value: "
          f"{np.array_equal(restored, seed_models.TRAINED['weight'])}")
    here = os.path.dirname(os.path.abspath(__file__))
    print(f"\n$ ckpt-doctor diagnose {directory} --model examples/seed_models.py:build_original")
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", "diagnose", directory, "--model",
                           os.path.join(here, "seed_models.py:build_original")]).returncode


if __name__ == "__main__":
    sys.exit(main())
