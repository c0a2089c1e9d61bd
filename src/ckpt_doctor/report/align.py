"""``align``: what changed (one sentence per rule), the proven pairs with their evidence, what stays open, the fix."""

from __future__ import annotations

import shlex

from ..match.align import Alignment
from ..match.fixes import fix_for
from .collapse import collapse
from .text import table

_LIMIT = 30


def fix_code(a: Alignment, framework: str | None = None) -> tuple[str, str]:
    """(title, code) of the fix for the model's framework and loader (``framework`` is ignored: kept for callers)."""
    fix = fix_for(a)
    return fix.title, fix.code


def render(a: Alignment, rules_path: str | None = None, show_pairs: bool = True) -> str:
    d = a.diagnosis
    inferred = a.inferred
    differ = other_shapes(a)
    new = [m for m in a.missing if m not in set(differ)]
    lines = [f"checkpoint: {d.checkpoint.path} ({d.checkpoint.format})",
             f"model:      {d.model.source or d.model.framework} ({len(d.model.variables)} variables)",
             f"loaded by:  {d.loader.call} (--load-with {d.loader.name})", "",
             f"{len(a.pairs) - len(inferred)} pairs by exact name, {len(inferred)} inferred, "
             + (f"{len(a.chosen)} of them chosen by name (--prefer-names: a choice, not proved), "
                if a.prefer_names else "")
             + f"{len(a.ambiguous)} ambiguous (not applied), {len(new)} new in the model, "
             + (f"{len(differ)} with another shape under the same name, " if differ else "")
             + (f"{len(a.tied)} filled through a tie, " if a.tied else "")
             + f"{len(a.unused)} checkpoint values unused."]
    lines += [f"note: {note}" for note in d.checkpoint.notes]  # what the file says of itself: one shard of a set, ...
    if a.sentences:
        lines += ["", "What changed:"] + [f"  - {s}" for s in a.sentences]
    if show_pairs and inferred:
        lines += ["", "Inferred pairs (model <- checkpoint):"]
        rows = []
        for pattern, members in collapse([p.model for p in inferred])[:_LIMIT]:
            p = inferred[members[0]]
            src = collapse([a.checkpoint_names[inferred[i].checkpoint] for i in members])
            rows.append([pattern, "<-", src[0][0] if len(src) == 1 else f"{len(members)} entries",
                         p.transform or "", f"({len(members)})" if len(members) > 1 else ""])
        lines += ["  " + r for r in table(rows, "lllll")]
        lines.append(f"  evidence, e.g.: {inferred[0].evidence}")
    if a.ambiguous:
        lines += ["", "Ambiguous (not applied): the values that fit, and why none is proven to be the variable's:"]
        for amb in a.ambiguous[:_LIMIT]:  # candidates by the names the pairs above use (a Keras 3 file: full_name)
            shown = [a.checkpoint_names.get(c, c) for c in amb.candidates[:4]]
            lines.append(f"  {amb.model}: {', '.join(shown)}"
                         f"{' ...' if len(amb.candidates) > 4 else ''} ({amb.reason})")
        if len(a.ambiguous) > _LIMIT:
            lines.append(f"  ... and {len(a.ambiguous) - _LIMIT} more")
    differ_set = set(differ)
    for title, names in (("Same name, another shape or dtype (a model of another size? no renaming fixes this)",
                          differ),
                         ("New in the model (keep their initial values)", new),
                         ("Filled through a tie (they share a paired variable's storage; no pair of their own)",
                          [f"{m} <- {v}" for m, v in a.tied.items()]),
                         ("Unused checkpoint values",
                          [a.checkpoint_names.get(u, u) for u in a.unused if u not in differ_set])):
        if names:
            lines += ["", f"{title}: {len(names)}"]
            lines += [f"  {pattern}" for pattern, _ in collapse(names)[:_LIMIT]]
    if needs_fix(a):
        label, code = fix_code(a)
        lines += ["", f"Fix ({label}):"] + ["  " + line for line in code.splitlines()]
        if rules_path:
            model = shlex.quote(d.model.source) if d.model.source else "M"
            lines.append(f"  (rules written to {rules_path}; check them with: ckpt-doctor diagnose "
                         f"{shlex.quote(d.checkpoint.path)} --model {model} --rules {shlex.quote(rules_path)})")
    return "\n".join(lines)


def other_shapes(a: Alignment) -> list[str]:
    """Model weights whose name is in the checkpoint with another shape or dtype, and that no inferred pair
    resolves: a different model size or configuration, which no renaming fixes."""
    from ..match.compare import DTYPE_MISMATCH, SHAPE_MISMATCH

    if a.diagnosis.loader.pairs_by not in ("name", "object"):  # Keras files pair by position: layer story instead
        return []
    paired, taken = {p.model for p in a.pairs}, {p.checkpoint for p in a.pairs}  # taken: a layer inserted before
    return [r.variable.name for r in a.diagnosis.weights() if r.status in (SHAPE_MISMATCH, DTYPE_MISMATCH)
            and r.variable.name not in paired and (r.entry is None or r.entry.name not in taken)]


def needs_fix(a: Alignment) -> bool:
    """Something would be restored differently with the fix: renamed pairs, or a partial restore to spell out.
    Never when weights differ in shape under their own names: a fix would only hide that they stay random."""
    return bool(a.pairs) and (bool(a.inferred) or not a.diagnosis.ok) and not other_shapes(a)
