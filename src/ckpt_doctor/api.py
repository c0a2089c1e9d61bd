"""The public verbs that combine layers: ``diagnose``."""

from __future__ import annotations

import os
from typing import Any

from ._gc import paused_gc
from .catalog import OBJECT_GRAPH, Catalog
from .errors import CorruptCheckpointError, MissingShardError
from .formats import open_checkpoint
from .match.align import Alignment
from .match.align import align as _align
from .match.compare import Diagnosis, compare
from .match.rules import Rules, apply_rules
from .model.load import load_model
from .model.loaders import LOADERS, check_applies, infer_loader


def diagnose(checkpoint: str | os.PathLike | Catalog, model: Any, *, root: str | None = None,
             rules: Rules | str | os.PathLike | None = None, load_with: str | None = None) -> Diagnosis:
    """Account for every model variable (loaded, missing, shape or dtype mismatch) and every checkpoint entry
    (used, mismatched, unused, bookkeeping). Returns the result; does not raise on mismatches.

    Args:
        checkpoint: a checkpoint path (prefix, file or directory) or an opened ``Catalog``.
        model: a ``ModelSpec``, a JSON spec path, ``"file.py:function"`` / ``"package.module:function"``, another
            checkpoint, or a live model (tf.Module, Keras model, tf.train.Checkpoint, torch.nn.Module, TF1 graph).
        root: for TF2 objects, the name the model has in its ``tf.train.Checkpoint`` (``"model"`` for
            ``Checkpoint(model=m)``, ``""`` for ``save_weights``); default: the root the checkpoint uses.
        rules: rename rules (a ``Rules`` or a rule file) applied to the checkpoint's names first: checks a fix.
        load_with: the way of loading (``saver``, ``checkpoint``, ``keras-h5``, ``keras-h5-by-name``, ``keras3``,
            ``torch``, ``torch-nonstrict``, ``hf``; see ``ckpt_doctor.model.loaders``); default: inferred.

    Example:
        >>> import importlib.resources
        >>> seed = importlib.resources.files("ckpt_doctor") / "examples" / "seed"
        >>> d = diagnose(str(seed), str(seed / "changed_model.spec.json"))  # or "model.py:build", a live model
        >>> d.ok, d.summary()
        (False, '2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused')
    """
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    catalog.check_object_root(root)
    spec = load_model(model, root=root)
    _check_loader(load_with, catalog, spec)
    _check_object_graph(load_with, catalog, spec)
    if rules is not None:
        from .restore.plan import rules_namespace

        rules = rules if isinstance(rules, Rules) else Rules.load(rules)
        catalog = apply_rules(catalog, rules, rules_namespace(catalog, spec, rules))
    return compare(catalog, spec, load_with)


def align(checkpoint: str | os.PathLike | Catalog, model: Any, *, root: str | None = None,
          load_with: str | None = None, prefer_names: bool = False) -> Alignment:
    """Infer how the checkpoint's names became the model's: pairs (with transform, rule and evidence),
    ambiguities (never applied), missing and unused names, and the rules the inference applied (checked to
    reproduce every pair).

    ``prefer_names=True`` is a choice, not an inference: a variable left ambiguous only because equally good
    renumberings of equal numbered blocks tie takes the value the framework's own restore loads into it by
    name, or else the one its name gives under the rules applied, when that value is among its candidates
    (``Alignment.chosen``; rule ``"by-name (chosen)"``). Right when
    a stack of equal blocks only grew or shrank at its end; wrong when a block was removed or inserted elsewhere.

    Example:
        >>> import importlib.resources
        >>> seed = importlib.resources.files("ckpt_doctor") / "examples" / "seed"
        >>> a = align(str(seed), str(seed / "changed_model.spec.json"))
        >>> a.sentences
        ['scope `model_scope/` was renamed to `different_model_scope/` (2 variables)']
        >>> sorted((p.checkpoint, p.model) for p in a.pairs)
        [('model_scope/bias', 'different_model_scope/bias'), ('model_scope/weight', 'different_model_scope/weight')]
        >>> a.rules.to_dict()["rules"]                     # a.rules.save("rules.yaml") writes them
        [{'prefix': {'from': 'model_scope/', 'to': 'different_model_scope/'}}]
    """
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    catalog.check_object_root(root)
    spec = load_model(model, root=root)
    _check_loader(load_with, catalog, spec)
    _check_object_graph(load_with, catalog, spec)
    with paused_gc():
        return _align(catalog, spec, compare(catalog, spec, load_with), prefer_names=prefer_names)


def _check_object_graph(load_with: str | None, catalog: Catalog, spec) -> None:
    """A restore by object path reads the object graph first and fails when its bytes are damaged; pairing the
    entries by name instead (as for a name-based file) would describe a restore that does not happen."""
    graph = next((t for t in catalog.values() if t.kind == OBJECT_GRAPH), None)
    loader = LOADERS[load_with] if load_with is not None else infer_loader(catalog.format, spec)
    if graph is None or catalog.objects or loader.pairs_by != "object":
        return
    try:
        graph.read()
    except (CorruptCheckpointError, MissingShardError) as e:
        raise CorruptCheckpointError(f"the TF2 object graph cannot be read ({e.message}): a restore by object path "
                                     "fails on this file, so nothing is paired (verify lists what is damaged)",
                                     path=e.path, tensor=graph.name) from None


def _check_loader(load_with: str | None, catalog: Catalog, spec) -> None:
    """A loader chosen against the model's framework is refused; the inferred one (passed back in, as
    ``align(d.checkpoint, d.model, load_with=d.loader.name)`` does) is not a choice."""
    if load_with is not None and load_with != infer_loader(catalog.format, spec).name:
        check_applies(load_with, spec.framework, spec.source)
