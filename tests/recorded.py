"""Alignments of recorded real cases: a checkpoint's entries and a model's spec saved from a held-out scenario
(``tests/data/<name>.json``, or ``.json.gz`` for a large one: the format, each entry's name, shape, dtype and written
rank, optionally its TF2 full name, object path and kind, and the model spec; a TF1 file's variables in the order its
``.meta`` graph created them as ``created``), aligned in memory, with no framework
and no scenario cache."""

from __future__ import annotations

import gzip
import json
import os

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def align_recorded(name: str, without: str | None = None, lost: str | None = None, copied: str | None = None):
    """``without``: a prefix of model variables left out of the spec (a layer the model no longer has); ``lost``: a
    prefix of checkpoint entries left out of the file (values it no longer holds); ``copied``: a numbered element
    of the model (``encoder.layers.1``) copied before itself, the later numbers moved on (a block inserted)."""
    with (gzip.open if name.endswith(".gz") else open)(os.path.join(DATA, name), "rt") as f:
        data = json.load(f)
    if copied:
        family, _, number = copied.rpartition(".")
        variables = []
        for v in data["spec"]["variables"]:
            n, _, rest = v["name"][len(family) + 1:].partition(".") if v["name"].startswith(family + ".") else \
                ("", "", "")
            if n.isdigit() and int(n) == int(number):
                variables.append(dict(v))  # the copy keeps the name; the original moves on
            if n.isdigit() and int(n) >= int(number):
                v = dict(v, name=f"{family}.{int(n) + 1}.{rest}")
            variables.append(v)
        data["spec"]["variables"] = variables
    if without:
        data["spec"]["variables"] = [v for v in data["spec"]["variables"] if not v["name"].startswith(without)]
    if lost:
        data["file"] = [row for row in data["file"] if not row[0].startswith(lost)]
    entries = {}
    for row in data["file"]:
        n, shape, dtype, written, *rest = row
        full, path, kind = rest if rest else (None, None, "variable")
        entries[n] = TensorInfo(n, dtype, tuple(shape), 4, kind=kind, written=written, full_name=full,
                                object_path=path)
    # (a TF1 file's .meta graph, recorded as the variables' creation order: ``created``)
    created = {n: i for i, n in enumerate(data["created"])} if data.get("created") else None
    catalog = Catalog(f"<{name}>", data["format"], entries,
                      creation_order=(lambda: (created, "")) if created is not None else None)
    return ckpt_doctor.align(catalog, ModelSpec.from_json(data["spec"]))
