"""Server-rendered SVG charts for the cost dashboard: no script, CSP-safe, themed by CSS classes.

Colours come from the stylesheet (`.chart-bar { fill: var(--accent) }`), so one chart reads in
light and dark themes. Every bar has a `<title>` for a tooltip; the page shows the same numbers
in a table next to the chart for readers who cannot see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

COLUMN_WIDTH = 640
COLUMN_HEIGHT = 200
BAR_ROW = 26
LABEL_WIDTH = 180


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""
    """Tooltip text; default: the label and the value in dollars."""


def money(value: float) -> str:
    """Dollars with enough digits for small sums ($0.0042) and short big ones ($12.30)."""
    if value == 0:
        return "$0"
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def _title(bar: Bar) -> Markup:
    return escape(bar.note or f"{bar.label}: {money(bar.value)}")


def column_chart(bars: Sequence[Bar], *, label: str) -> Markup:
    """Vertical bars in order (days, oldest first) with the first and last labels on the axis."""
    if not bars:
        return Markup("")
    top = max(b.value for b in bars) or 1.0
    plot_h = COLUMN_HEIGHT - 30
    step = COLUMN_WIDTH / len(bars)
    width = max(step * 0.8, 1.0)
    parts = [
        f'<svg class="chart chart-columns" viewBox="0 0 {COLUMN_WIDTH} {COLUMN_HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
        f'<line class="chart-axis" x1="0" y1="{plot_h}" x2="{COLUMN_WIDTH}" y2="{plot_h}"/>',
    ]
    for i, bar in enumerate(bars):
        height = bar.value / top * (plot_h - 16)
        x = i * step + (step - width) / 2
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{plot_h - height:.1f}" width="{width:.1f}" '
            f'height="{height:.1f}"><title>{_title(bar)}</title></rect>'
        )
    parts.append(
        f'<text class="chart-label" x="0" y="{COLUMN_HEIGHT - 8}">{escape(bars[0].label)}</text>'
    )
    if len(bars) > 1:
        parts.append(
            f'<text class="chart-label" x="{COLUMN_WIDTH}" y="{COLUMN_HEIGHT - 8}" '
            f'text-anchor="end">{escape(bars[-1].label)}</text>'
        )
    parts.append(f'<text class="chart-label" x="0" y="12">{escape(money(top))}</text></svg>')
    return Markup("".join(parts))


def bar_chart(bars: Sequence[Bar], *, label: str) -> Markup:
    """Horizontal bars, one row each, label on the left and the value on the right."""
    if not bars:
        return Markup("")
    top = max(b.value for b in bars) or 1.0
    height = BAR_ROW * len(bars) + 4
    room = COLUMN_WIDTH - LABEL_WIDTH - 80
    parts = [
        f'<svg class="chart chart-bars" viewBox="0 0 {COLUMN_WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for i, bar in enumerate(bars):
        y = i * BAR_ROW + 4
        length = max(bar.value / top * room, 1.0 if bar.value else 0.0)
        name = bar.label if len(bar.label) <= 26 else bar.label[:25] + "…"
        parts.append(
            f"<g><title>{_title(bar)}</title>"
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 15}" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
            f'height="{BAR_ROW - 8}"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">'
            f"{escape(money(bar.value))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
