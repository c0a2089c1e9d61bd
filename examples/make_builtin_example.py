"""Regenerate the built-in example that `ckpt-doctor demo` ships (src/ckpt_doctor/examples/seed/):
a TF1 checkpoint of the original model (scope "model_scope"), written by TensorFlow itself, and the JSON spec of
the changed model (scope "different_model_scope"), written by `ckpt-doctor spec`.

    python examples/make_builtin_example.py
"""

import os
import shutil
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from seed_scope_rename import save_original  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "src", "ckpt_doctor", "examples", "seed")


def main() -> None:
    shutil.rmtree(TARGET, ignore_errors=True)
    os.makedirs(TARGET)
    # Relative paths in the state file, so the example works wherever the package is installed.
    save_original(TARGET, relative_paths=True, meta_graph=False)
    subprocess.run([sys.executable, "-m", "ckpt_doctor", "spec", "--model",
                    os.path.join(HERE, "seed_models.py:build_changed"), "-o",
                    os.path.join(TARGET, "changed_model.spec.json")], check=True)
    print("wrote", sorted(os.listdir(TARGET)))


if __name__ == "__main__":
    main()
