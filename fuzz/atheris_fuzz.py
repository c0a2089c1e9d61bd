"""Coverage-guided fuzzing with atheris (libFuzzer), in-process: ``python fuzz/atheris_fuzz.py READER [libFuzzer
flags]``, e.g. ``python fuzz/atheris_fuzz.py safetensors -max_total_time=120 -rss_limit_mb=2048 -timeout=10``.

READER is one of: safetensors, npz, npy, torch, tf_index, tf_v1, keras_h5. The input bytes become one file of
that format (for tf_index, the ``.index`` next to a valid data shard); libFuzzer's coverage feedback steers the
mutations, starting from the seed files. Any exception other than a CheckpointError is a crash (libFuzzer saves
the input as ``crash-*``); ``-rss_limit_mb`` and ``-timeout`` catch blow-ups and hangs. Needs ``pip install
atheris``; the structure-aware harnesses in fuzz.py run without it.
"""

from __future__ import annotations

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import atheris

with atheris.instrument_imports():
    from ckpt_doctor import CheckpointError, open_checkpoint, verify
    from ckpt_doctor.formats import keras_h5, numpy_npz, safetensors, tf_bundle, tf_v1, torch_pickle  # noqa: F401

SEEDS = os.path.join(HERE, "seeds")
TARGETS = {  # reader -> (file name written, seed files)
    "safetensors": ("model.safetensors", ["st_model.safetensors"]),
    "npz": ("a.npz", ["np_plain.npz", "np_compressed.npz"]),
    "npy": ("a.npy", ["np_array.npy"]),
    "torch": ("model.pt", ["pt_zip.pt", "pt_legacy.pt", "pt_training.pt"]),
    "tf_index": ("ckpt.index", ["tf_v2_graph/ckpt.index"]),
    "tf_v1": ("model.ckpt", ["tf_v1/model.ckpt"]),
    "keras_h5": ("model.h5", ["keras_legacy.h5"]),
}


def main() -> None:
    reader = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in TARGETS else "safetensors"
    name, seeds = TARGETS[reader]
    work = tempfile.mkdtemp(prefix=f"atheris-{reader}-")
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    for seed in seeds:
        with open(os.path.join(SEEDS, seed), "rb") as src, open(os.path.join(corpus, os.path.basename(seed)),
                                                                "wb") as dst:
            dst.write(src.read())
    if reader == "tf_index":
        with open(os.path.join(SEEDS, "tf_v2_graph", "ckpt.data-00000-of-00001"), "rb") as src, \
                open(os.path.join(work, "ckpt.data-00000-of-00001"), "wb") as dst:
            dst.write(src.read())
    path = os.path.join(work, name)
    target = path[:-len(".index")] if reader == "tf_index" else path

    def one_input(data: bytes) -> None:
        with open(path, "wb") as f:
            f.write(data)
        try:
            catalog = open_checkpoint(target)
            for info in catalog.values():
                try:
                    info.read()
                except CheckpointError:
                    pass
            verify(catalog)
        except CheckpointError:
            pass

    atheris.Setup(sys.argv + [corpus], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
