"""Seed scenario, restoring "the latest checkpoint": several steps saved by a TF1 Saver, the state file names the
newest; ``tf.train.latest_checkpoint`` and ``ckpt-doctor latest`` agree, and diagnosing the directory diagnoses the
latest checkpoint. Then the directory is moved: TF's absolute paths break, ckpt-doctor follows.

    python examples/seed_latest.py [WORKDIR]
"""

import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import seed_models  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1


def run(*args: str) -> int:
    print("$ ckpt-doctor", " ".join(args))
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", *args]).returncode


def main() -> int:
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ckpt-doctor-seed-")
    directory = os.path.join(work, "train")
    os.makedirs(directory, exist_ok=True)
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_original()
        sess.run(v1.global_variables_initializer())
        saver = v1.train.Saver()  # absolute paths in the state file: TF1's default
        for step in (100, 200, 300):
            saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=step)
    print("tf.train.latest_checkpoint:", tf.train.latest_checkpoint(directory))
    run("latest", directory)
    here = os.path.dirname(os.path.abspath(__file__))
    code = run("diagnose", directory, "--model", os.path.join(here, "seed_models.py:build_changed"))
    moved = os.path.join(work, "moved")
    shutil.move(directory, moved)
    print("\nafter moving the directory, tf.train.latest_checkpoint:", tf.train.latest_checkpoint(moved))
    run("latest", moved)
    return code


if __name__ == "__main__":
    sys.exit(main())
