"""Small text-layout helpers shared by every human-readable report."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_count(n: int) -> str:
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= threshold:
            return f"{n / threshold:.1f}{suffix}"
    return str(n)


def shape_str(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def table(rows: list[list[str]], align: str) -> list[str]:
    """Columns padded to their widest cell; ``align`` has one 'l' or 'r' per column."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(align))]
    out = []
    for r in rows:
        cells = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align, strict=False)]
        out.append("  ".join(cells).rstrip())
    return out
