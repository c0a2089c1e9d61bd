"""``check_restored``: for a model restored by other means, which variables hold the checkpoint's values, which
differ, and which look untouched (still at their initializer).

"Untouched" needs evidence, and the evidence is shown: equality with a fresh initialization made by the model's
own code (PyTorch ``reset_parameters`` / Hugging Face ``_init_weights``, TF1 initializers), a distribution that
matches the fresh one, or statistics that match a common initializer (all zeros, all ones, Glorot / Kaiming
uniform ranges, a small normal).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..formats import open_checkpoint
from ..model.spec import VariableSpec
from .adapters import adapter_for
from .plan import AUTO, make_plan
from .verified import _compare_cast, _label, expected_value, same_bytes

EQUAL, DIFFERS, UNTOUCHED, UNPAIRED = "equal", "differs", "looks_untouched", "unpaired"


@dataclass
class CheckOutcome:
    """One model variable compared with the checkpoint: ``status`` (equal / differs / looks_untouched /
    unpaired), the entry it was compared with, value statistics and the evidence for "untouched"."""

    variable: VariableSpec
    status: str
    checkpoint_key: str | None = None
    stats: dict[str, float] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """This outcome as a JSON object."""
        return {"name": self.variable.name, "status": self.status, "checkpoint_key": self.checkpoint_key,
                "stats": self.stats, "evidence": self.evidence}


@dataclass
class RestoreCheck:
    """What ``check_restored`` found: every model variable compared with its checkpoint value, nothing assigned.
    ``ok`` when every weight equals it; ``render()`` (also ``str``) lists the others with their evidence."""

    checkpoint: str
    model: str
    variables: list[CheckOutcome]

    def weights(self, status: str | None = None) -> list[CheckOutcome]:
        """The model's weights' outcomes, those with ``status`` if given."""
        return [o for o in self.variables if o.variable.is_weight and (status is None or o.status == status)]

    @property
    def ok(self) -> bool:
        return all(o.status == EQUAL for o in self.weights())

    def headline(self) -> str:
        """One line: how many weights equal the checkpoint, and what the others are."""
        n = {s: len(self.weights(s)) for s in (EQUAL, DIFFERS, UNTOUCHED, UNPAIRED)}
        total = len(self.weights())
        if self.ok:
            return f"all {total} model weights equal the checkpoint"
        parts = [f"{n[EQUAL]} of {total} model weights equal the checkpoint"]
        parts += [f"{n[UNTOUCHED]} look untouched (still at their initializer)"] if n[UNTOUCHED] else []
        parts += [f"{n[DIFFERS]} differ"] if n[DIFFERS] else []
        parts += [f"{n[UNPAIRED]} have no checkpoint value"] if n[UNPAIRED] else []
        return "; ".join(parts)

    def render(self) -> str:
        """The headline, then the weights that are not equal, grouped, with evidence."""
        lines = [self.headline()]
        for title, status in (("look untouched", UNTOUCHED), ("differ from the checkpoint", DIFFERS),
                              ("have no checkpoint value", UNPAIRED)):
            items = self.weights(status)
            if items:
                lines.append(f"{title} ({len(items)}):")
                for o in items:
                    stats = ", ".join(f"{k} {v:.4g}" for k, v in o.stats.items())
                    lines.append(f"  {_label(o.variable)}" + (f" <- {o.checkpoint_key}" if o.checkpoint_key else "")
                                 + (f"  [{stats}]" if stats else ""))
                    lines.extend(f"      {e}" for e in o.evidence)
        return "\n".join(lines)

    __str__ = render  # print(check_restored(...)) shows the verdict, not every field of every outcome

    def __repr__(self) -> str:  # a notebook shows the verdict, not every field of every outcome
        return f"<RestoreCheck {self.model!r} against {self.checkpoint!r}: {self.headline()}>"

    def to_json(self) -> dict[str, Any]:
        """The check as a JSON document: ok, headline and every variable's outcome."""
        return {"checkpoint": self.checkpoint, "model": self.model, "ok": self.ok, "headline": self.headline(),
                "variables": [o.to_json() for o in self.variables]}


def check_restored(model: Any, checkpoint: str | os.PathLike | Catalog, *, rules: Any = AUTO,
                   root: str | None = None, load_with: Any = None, prefer_names: bool = False) -> RestoreCheck:
    """Compare the live ``model``'s values with ``checkpoint`` without assigning anything.

    Pairs as ``restore`` does (``rules="auto"``: the alignment's proven pairs; ``prefer_names`` as ``restore``'s).
    Each model weight is ``equal``, ``differs``, ``looks_untouched`` (with the evidence and statistics) or
    ``unpaired``.

    Example:
        ``print(check_restored(model, "model.safetensors").render())`` (model: a live torch/TF/Keras model).
    """
    catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    adapter = adapter_for(model, root=root)
    plan = make_plan(catalog, adapter.spec, rules, load_with=load_with, prefix_rule=adapter.prefix_rule(catalog),
                     prefer_names=prefer_names)
    torch_layout = adapter.framework == "torch"
    outcomes = {}
    for a in plan.assignments:
        live = adapter.read(a.variable)
        want = expected_value(a)
        if same_bytes(want, live) or (a.cast and tuple(live.shape) == tuple(want.shape) and
                                      _compare_cast(a, live)[0] == "verified"):
            outcomes[a.variable.name] = CheckOutcome(a.variable, EQUAL, a.entry.name)
            continue
        evidence = _untouched_evidence(live, adapter.fresh(a.variable), a.variable, torch_layout)
        outcomes[a.variable.name] = CheckOutcome(a.variable, UNTOUCHED if evidence else DIFFERS, a.entry.name,
                                                 statistics(live), evidence)
    for u in plan.unpaired:
        current = adapter.read(u.variable) if u.variable.is_weight else None
        outcomes[u.variable.name] = CheckOutcome(u.variable, UNPAIRED, None,
                                                 statistics(current) if current is not None else {}, [u.reason])
    return RestoreCheck(catalog.path, adapter.spec.source, [outcomes[v.name] for v in adapter.spec.variables
                                                            if v.name in outcomes])


def statistics(value: np.ndarray) -> dict[str, float]:
    if value.dtype.kind not in "fiub" and value.dtype.name != "bfloat16" or value.size == 0:
        return {}
    x = value.astype(np.float64)
    return {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()), "max": float(x.max()),
            "zeros": float(np.mean(x == 0))}


def _fans(shape: tuple[int, ...], torch_layout: bool) -> tuple[int, int] | None:
    if len(shape) < 2:
        return None
    if torch_layout:  # [out, in, k...]
        k = math.prod(shape[2:])
        return shape[1] * k, shape[0] * k
    k = math.prod(shape[:-2])  # TF: [k..., in, out]
    return shape[-2] * k, shape[-1] * k


def _untouched_evidence(live: np.ndarray, fresh: np.ndarray | None, var: VariableSpec, torch_layout: bool) -> list[str]:
    s = statistics(live)
    if not s:
        return []
    out = []
    if fresh is not None and fresh.shape == live.shape:
        f = statistics(fresh)
        if np.array_equal(live.astype(np.float64), fresh.astype(np.float64)):
            out.append("equals a fresh initialization by the model's own code")
        elif f and f["std"] > 0 and live.size >= 64 and abs(s["std"] - f["std"]) <= 0.15 * f["std"] and \
                abs(s["mean"] - f["mean"]) <= 0.2 * f["std"] and \
                abs(max(-s["min"], s["max"]) - max(-f["min"], f["max"])) <= 0.2 * max(-f["min"], f["max"]):
            out.append(f"distribution matches a fresh initialization (std {s['std']:.4g} vs {f['std']:.4g}, "
                       f"range [{s['min']:.4g}, {s['max']:.4g}] vs [{f['min']:.4g}, {f['max']:.4g}])")
    if s["zeros"] == 1.0:
        out.append("all zeros: a zeros initializer (biases, moving means)")
    elif s["min"] == s["max"] == 1.0:
        out.append("all ones: a ones initializer (norm scales, moving variances)")
    fans = _fans(tuple(live.shape), torch_layout)
    if fans and s["std"] > 0:
        fan_in, fan_out = fans
        peak = max(abs(s["min"]), abs(s["max"]))
        for name, limit in (("Glorot uniform", math.sqrt(6 / (fan_in + fan_out))),
                            ("Kaiming uniform (PyTorch default)", 1 / math.sqrt(fan_in)),
                            ("He uniform", math.sqrt(6 / fan_in))):
            # n uniform samples: the largest |x| is within 10 % of the limit unless n is tiny
            if 0.9 * limit <= peak <= limit * 1.0001 and live.size >= 64 and \
                    abs(s["std"] - limit / math.sqrt(3)) <= 0.15 * limit / math.sqrt(3):
                out.append(f"{name}: |x| <= {limit:.4g} and std {s['std']:.4g} ~ {limit / math.sqrt(3):.4g}")
        for name, std in (("Glorot normal", math.sqrt(2 / (fan_in + fan_out))), ("normal(0, 0.02)", 0.02)):
            if abs(s["std"] - std) <= 0.15 * std and abs(s["mean"]) <= 0.2 * std and live.size >= 64:
                out.append(f"{name}: mean {s['mean']:.3g}, std {s['std']:.4g} ~ {std:.4g}")
    return out
