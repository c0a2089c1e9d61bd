"""Every checkpoint format in one table: what ``open_checkpoint`` sniffs, what ``inspect`` calls it, what
``rewrite``/``write_checkpoint`` can write. Pure data (importing it imports no reader).

A new format is one row here plus its module(s) in this package: ``<reader>.sniff(path) -> bool`` and
``<reader>.read(path, **options) -> Catalog``; to be writable, ``<writer>.write(...)`` (see ``write.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # ``Catalog.format`` of what the reader returns
    display: str  # for people (``inspect``'s header)
    reader: str  # module in ckpt_doctor.formats
    sniffed: bool = False  # tried, in table order, by content (magic bytes) when a single file is opened
    suffixes: tuple[str, ...] = ()  # files worth sniffing when a directory holds no TF checkpoint
    write_as: str | None = None  # the ``--to`` name that writes this format
    writer: str | None = None  # module in ckpt_doctor.formats
    suffix: str = ""  # default file suffix of written files


FORMATS: tuple[Format, ...] = (
    Format("tf-v2", "TensorFlow V2 bundle", "tf_bundle", write_as="tf", writer="tf_bundle_writer"),
    Format("tf-v1", "TensorFlow V1 checkpoint (legacy)", "tf_v1"),
    Format("safetensors", "safetensors", "safetensors", sniffed=True, suffixes=(".safetensors",),
           write_as="safetensors", writer="safetensors_writer", suffix=".safetensors"),
    Format("numpy", "NumPy .npy/.npz (or a pickle of arrays)", "numpy_npz", sniffed=True,
           suffixes=(".npz", ".npy", ".pkl", ".pickle"), write_as="npz",
           writer="numpy_writer", suffix=".npz"),
    Format("torch", "PyTorch checkpoint (torch.save)", "torch_pickle", sniffed=True,
           suffixes=(".pt", ".pth", ".bin", ".ckpt", ".pth.tar"), write_as="torch", writer="torch_writer",
           suffix=".pt"),
    Format("keras-h5", "Keras HDF5 weights (legacy .h5)", "keras_h5", sniffed=True,
           suffixes=(".h5", ".hdf5", ".keras", ".weights.json")),
    Format("keras3-weights", "Keras 3 weights (.weights.h5)", "keras_h5", write_as="keras3", writer="keras_writer",
           suffix=".weights.h5"),
    Format("keras-zip", "Keras 3 model (.keras)", "keras_h5"),
    Format("keras-h5-transformers", "transformers TF weights (sharded tf_model.h5)", "keras_h5"),
    Format("torch-dcp", "PyTorch distributed checkpoint (DCP)", "torch_dcp"),
)

BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
# Reader modules tried by content, in order (each once, though it may return several formats).
SNIFFED: tuple[str, ...] = tuple(dict.fromkeys(f.reader for f in FORMATS if f.sniffed))
DIRECTORY_SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS for s in f.suffixes)
WRITABLE: dict[str, Format] = {f.write_as: f for f in FORMATS if f.write_as}  # --to name -> format


def display(name: str) -> str:
    fmt = BY_NAME.get(name)
    return fmt.display if fmt else name


def write_as(name: str) -> str | None:
    """The ``--to`` name that writes a checkpoint of format ``name`` back in its own format (TF V1 as TF V2)."""
    fmt = BY_NAME.get(name)
    if name == "tf-v1":
        return "tf"
    return fmt.write_as if fmt else None


# Output suffixes that name one writable format (``.ckpt`` is left out: TF prefixes end in it too).
_OUTPUT_SUFFIXES = (".weights.h5", ".safetensors", ".npz", ".pt", ".pth", ".bin")


def implied_by_name(path: str) -> str | None:
    """The ``--to`` name an output path's suffix asks for (``out.safetensors`` -> ``safetensors``), else None."""
    lower = path.lower()
    for suffix in _OUTPUT_SUFFIXES:
        if lower.endswith(suffix):
            return next(name for name, f in WRITABLE.items() if suffix == f.suffix or suffix in f.suffixes)
    return None


# Suffixes of files a writable format reads but writes otherwise (NumPy values are written as ``.npz``).
_READ_ONLY_SUFFIXES = (".npy", ".pkl", ".pickle")


def read_only_by_name(path: str) -> str | None:
    """The suffix of an output path when it names a kind of file ckpt-doctor reads but does not write (``.h5``,
    ``.keras``, ``.npy``, ``.pkl``), else None: such an output would get another format's bytes under that name."""
    lower = path.lower()
    if implied_by_name(path):
        return None
    return next((s for s in _READ_ONLY_SUFFIXES if lower.endswith(s)), None) or \
        next((s for f in FORMATS if not f.write_as for s in f.suffixes if lower.endswith(s)), None)
