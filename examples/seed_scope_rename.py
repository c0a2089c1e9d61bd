"""Seed scenario: a model saved under variable_scope("model_scope") and rebuilt under "different_model_scope".

Shows what TensorFlow does (TF1 ``Saver.restore`` raises NotFoundError naming one key; a TF2 object-based
restore of a changed structure silently keeps initial values) and what ckpt-doctor reports.

    python examples/seed_scope_rename.py [WORKDIR]
"""

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import seed_models  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1


def save_original(directory: str, relative_paths: bool = False, meta_graph: bool = True) -> str:
    """Train-and-save stand-in: the original model with known values, saved by a TF1 Saver at step 1."""
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_original()
        sess.run(v1.global_variables_initializer())
        variables = {v.op.name: v for v in v1.global_variables()}
        for name, value in seed_models.TRAINED.items():
            sess.run(variables[f"model_scope/{name}"].assign(value))
        saver = v1.train.Saver(save_relative_paths=relative_paths)
        return saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=1, write_meta_graph=meta_graph)


def tf1_restore_changed(prefix: str) -> None:
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_changed()
        try:
            v1.train.Saver().restore(sess, prefix)
            print("TF1 Saver.restore: succeeded")
        except tf.errors.NotFoundError as e:
            first = next(line for line in str(e).splitlines() if "not found in checkpoint" in line)
            print(f"TF1 Saver.restore raises NotFoundError, naming one key:\n    {first.strip()}")


def tf2_silent_restore(directory: str) -> None:
    """TF2: the same rename as an attribute rename in a tf.Module; restore() says nothing."""
    class Original(tf.Module):
        def __init__(self):
            super().__init__()
            self.model_scope = tf.Module()
            self.model_scope.weight = tf.Variable(seed_models.TRAINED["weight"])
            self.model_scope.bias = tf.Variable(seed_models.TRAINED["bias"])

    class Changed(tf.Module):
        def __init__(self):
            super().__init__()
            self.different_model_scope = tf.Module()
            self.different_model_scope.weight = tf.Variable(tf.zeros([2, 1]))
            self.different_model_scope.bias = tf.Variable(tf.zeros([1]))

    path = tf.train.Checkpoint(model=Original()).write(os.path.join(directory, "tf2", "ckpt"))
    changed = Changed()
    tf.train.Checkpoint(model=changed).restore(path)  # no error, no warning you would notice
    print("TF2 Checkpoint.restore: returned normally; weight is still its initial value:",
          changed.different_model_scope.weight.numpy().ravel().tolist())
    return path


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ckpt-doctor-seed-")
    os.makedirs(directory, exist_ok=True)
    prefix = save_original(directory)
    print(f"saved {prefix}\n")
    tf1_restore_changed(prefix)
    print()
    tf2_silent_restore(directory)
    here = os.path.dirname(os.path.abspath(__file__))
    command = [sys.executable, "-m", "ckpt_doctor", "diagnose", directory, "--model",
               os.path.join(here, "seed_models.py:build_changed")]
    print("\nckpt-doctor:\n$ ckpt-doctor diagnose", directory, "--model examples/seed_models.py:build_changed")
    sys.stdout.flush()
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
