"""Helpers for users' test suites (pytest or any runner that treats AssertionError as a failure)."""

from __future__ import annotations

import os
from typing import Any


def assert_restored(model: Any, checkpoint: str | os.PathLike, *, rules: Any = "auto", root: str | None = None,
                    prefer_names: bool = False) -> None:
    """Fail unless every weight of the live ``model`` equals its value in ``checkpoint`` (paired as
    ``ckpt_doctor.check_restored`` pairs them, ``prefer_names`` included). The failure message lists the weights
    that differ or look untouched, with the evidence.

    Example::

        def test_model_loads_pretrained_weights():
            model = build_model()
            load_pretrained(model, "weights.safetensors")
            ckpt_doctor.testing.assert_restored(model, "weights.safetensors")
    """
    from .restore.check import check_restored

    result = check_restored(model, checkpoint, rules=rules, root=root, prefer_names=prefer_names)
    if not result.ok:
        raise AssertionError(result.render())
