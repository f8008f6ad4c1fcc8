"""The session page's Context panel: what fills the model's window, from the newest
`context_report` (one after every model step, and one for `/context`).

A stacked SVG bar (no inline style, so the CSP holds; colours come from CSS classes per kind)
and the same numbers as a table. Only token counts and instruction file names are shown, never
contents, so share-link viewers see the panel too.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from codesm.agent.context_usage import (
    ContextRow,
    context_usage,
    free_tokens,
    report_rows,
    report_total,
)
from codesm.agent.events import ContextReport

BAR_WIDTH = 1000
BAR_HEIGHT = 14


@dataclass(frozen=True)
class ContextRowView:
    kind: str
    label: str
    tokens: str
    percent: str


@dataclass(frozen=True)
class ContextPanelView:
    model: str
    used: str
    window: str
    percent: str
    level: str
    free: str
    free_percent: str
    rows: list[ContextRowView]
    bar: Markup
    calibrated: bool
    opened: bool
    """Asked for with `/context`: the panel opens itself."""


def _percent(tokens: int, window: int) -> str:
    return f"{100 * tokens / window:.1f}" if window > 0 else "0.0"


def context_bar(rows: list[ContextRow], window: int) -> Markup:
    """One stacked bar: a rect per non-empty row, scaled to the window, each with a tooltip."""
    x = 0.0
    parts = []
    for row in rows:
        if row.tokens <= 0 or window <= 0:
            continue
        width = min(BAR_WIDTH - x, BAR_WIDTH * row.tokens / window)
        tip = escape(f"{row.label}: {row.tokens:,} tokens")
        parts.append(
            f'<rect class="ctx-seg ctx-kind-{row.kind}" x="{x:.2f}" y="0" width="{width:.2f}" '
            f'height="{BAR_HEIGHT}"><title>{tip}</title></rect>'
        )
        x += width
    return Markup(
        f'<svg class="ctx-bar" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="Context window use">'
        f'<rect class="ctx-free" x="0" y="0" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"/>'
        f"{''.join(parts)}</svg>"
    )


def context_panel_view(
    report: ContextReport | None, *, opened: bool = False
) -> ContextPanelView | None:
    if report is None:
        return None
    window = report.context_window
    used = report_total(report)
    rows = report_rows(report)
    free = free_tokens(report)
    return ContextPanelView(
        model=report.model,
        used=f"{used:,}",
        window=f"{window:,}",
        percent=_percent(used, window),
        level=context_usage(used, window).level,
        free=f"{free:,}",
        free_percent=_percent(free, window),
        rows=[
            ContextRowView(row.kind, row.label, f"{row.tokens:,}", _percent(row.tokens, window))
            for row in rows
        ],
        bar=context_bar(rows, window),
        calibrated=report.calibrated,
        opened=opened,
    )
