"""`/context` in the TUI: what fills the model's window, as a modal with a bar and a table.

The rows are the core's (`report_rows`), so the TUI, the browser's Context panel and the
numbers the agent measures for each request all agree.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from codesm.agent.context_usage import ContextRow, free_tokens, report_rows, report_total
from codesm.agent.events import ContextReport

BAR_CELLS = 60
KIND_STYLES = {
    "system": "grey62",
    "instructions": "medium_purple",
    "skills": "hot_pink",
    "tools": "deep_sky_blue1",
    "mcp": "dark_cyan",
    "user": "royal_blue1",
    "assistant": "green3",
    "thinking": "gold3",
    "outputs": "dark_orange",
}


def context_summary(report: ContextReport) -> str:
    """One line and a row per part: the notice the chat log keeps for each `/context`."""
    used = report_total(report)
    share = 100 * used / report.context_window if report.context_window else 0
    head = f"context of {report.model}: {used:,} / {report.context_window:,} tokens ({share:.0f}%)"
    rows = [f"  {row.label:<28} {row.tokens:>9,}" for row in report_rows(report) if row.tokens]
    return "\n".join([head, *rows, f"  {'Free':<28} {free_tokens(report):>9,}"])


def context_bar(rows: list[ContextRow], window: int, cells: int = BAR_CELLS) -> Text:
    """A stacked bar of `cells` characters: one colour per kind, the free rest dimmed."""
    bar = Text()
    used = 0
    for row in rows:
        if row.tokens <= 0 or window <= 0:
            continue
        width = max(1, round(cells * row.tokens / window))
        width = min(width, cells - used)
        bar.append("█" * width, style=KIND_STYLES[row.kind])
        used += width
    bar.append("░" * (cells - used), style="dim")
    return bar


def context_table(report: ContextReport) -> Table:
    window = report.context_window

    def share(tokens: int) -> str:
        return f"{100 * tokens / window:.1f}%" if window else ""

    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    table.add_column("part")
    table.add_column("tokens", justify="right")
    table.add_column("window", justify="right")
    for row in report_rows(report):
        label = Text.assemble(("■ ", KIND_STYLES[row.kind]), row.label)
        table.add_row(label, f"{row.tokens:,}", share(row.tokens))
    free = free_tokens(report)
    table.add_row(Text.assemble(("■ ", "dim"), "Free"), f"{free:,}", share(free))
    return table


class ContextScreen(ModalScreen[None]):
    """The breakdown of one `context_report`; escape, enter or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close"),
        Binding("enter", "close", "close", show=False),
        Binding("q", "close", "close", show=False),
    ]
    DEFAULT_CSS = """
    ContextScreen { align: center middle; }
    ContextScreen > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ContextScreen .title { text-style: bold; margin-bottom: 1; }
    ContextScreen Static { width: 100%; height: auto; }
    ContextScreen .note { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, report: ContextReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        used = report_total(report)
        share = 100 * used / report.context_window if report.context_window else 0
        title = f"Context of {report.model}: {used:,} / {report.context_window:,} tokens"
        how = "calibrated by the last request's reported size" if report.calibrated else (
            "estimated at 4 characters a token"
        )  # fmt: skip
        with Vertical():
            yield Static(f"{title} ({share:.1f}%)", classes="title", markup=False)
            yield Static(context_bar(report_rows(report), report.context_window), id="ctx-bar")
            yield Static(context_table(report), id="ctx-table")
            yield Static(f"{how} · escape closes", classes="note", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
