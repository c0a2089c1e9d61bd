"""The public verbs that combine layers: ``diagnose``."""

from __future__ import annotations

import os
from typing import Any

from .catalog import Catalog
from .formats import open_checkpoint
from .match.compare import Diagnosis, compare
from .model.load import load_model


def diagnose(checkpoint: str | os.PathLike | Catalog, model: Any, *, root: str | None = None) -> Diagnosis:
    """Account for every model variable (loaded, missing, shape or dtype mismatch) and every checkpoint entry
    (used, mismatched, unused, bookkeeping). Returns the result; does not raise on mismatches.

    Args:
        checkpoint: a checkpoint path (prefix, file or directory) or an opened ``Catalog``.
        model: a ``ModelSpec``, a JSON spec path, ``"file.py:function"`` / ``"package.module:function"``, another
            checkpoint, or a live model (tf.Module, Keras model, tf.train.Checkpoint, torch.nn.Module, TF1 graph).
        root: for TF2 objects, the name the model has in its ``tf.train.Checkpoint`` (``"model"`` for
            ``Checkpoint(model=m)``, ``""`` for ``save_weights``); default: the root the checkpoint uses.

    Example:
        >>> d = diagnose("train_dir", "model.py:build")    # doctest: +SKIP
        >>> d.ok, d.summary()                              # doctest: +SKIP
        (False, '2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused')
    """
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    return compare(catalog, load_model(model, root=root))
