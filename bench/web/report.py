"""The web benchmarks' report: one row per measured quantity, codesm against its peer.

A row's ratio is the median of per-round ratios codesm/peer (with min and max), as in
`bench.driver`; `met` compares it (or codesm's own number, where the target is absolute) with the
PERFORMANCE.md §5.4 target. Absolute numbers are informational on a shared machine.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ratio:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, subject: Sequence[float], peer: Sequence[float]) -> Ratio | None:
        values = [a / b for a, b in zip(subject, peer, strict=True) if b > 0 and not math.isnan(a)]
        if not values:
            return None
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class Row:
    workload: str
    label: str
    unit: str
    codesm: float
    peer: float | None = None
    peer_name: str = ""
    ratio: Ratio | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """Raw per-round values by workload and series name, for the JSON output."""
    importtime: list[str] = field(default_factory=list)
    """`python -X importtime` of `codesm web`'s imports, slowest first (W5), for the JSON."""

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row


def med(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else float("nan")


def compare_row(
    workload: str,
    label: str,
    unit: str,
    codesm: Sequence[float],
    peer: Sequence[float],
    peer_name: str,
    *,
    target: str = "",
    ok: Callable[[Ratio], bool] | None = None,
) -> Row:
    ratio = Ratio.of(codesm, peer)
    met = None if ok is None or ratio is None else ok(ratio)
    return Row(workload, label, unit, med(codesm), med(peer), peer_name, ratio, target, met)


def _num(x: float | None, unit: str = "") -> str:
    if x is None or math.isnan(x):
        return "-"
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
    return f"{text} {unit}".rstrip()


def format_table(report: Report) -> str:
    head = ("id", "measure", "codesm", "peer", "codesm/peer med [min-max]", "target", "", "note")
    rows: list[tuple[str, ...]] = [head]
    for r in report.rows:
        ratio = (
            "-"
            if r.ratio is None
            else (f"{r.ratio.median:.3g} [{r.ratio.low:.3g}-{r.ratio.high:.3g}]")
        )
        peer = f"{_num(r.peer, r.unit)} ({r.peer_name})" if r.peer_name else ""
        verdict = "" if r.met is None else ("met" if r.met else "NOT MET")
        rows.append(
            (r.workload, r.label, _num(r.codesm, r.unit), peer, ratio, r.target, verdict, r.note)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(x.ljust(widths[j]) for j, x in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, Any]:
    def clean(x: Any) -> Any:
        return None if isinstance(x, float) and math.isnan(x) else x

    rows = []
    for r in report.rows:
        row = {k: clean(v) for k, v in r.__dict__.items() if k != "ratio"}
        row["ratio"] = None if r.ratio is None else r.ratio.__dict__
        rows.append(row)
    return {
        "rows": rows,
        "notes": report.notes,
        "samples": report.samples,
        "importtime": report.importtime,
    }
