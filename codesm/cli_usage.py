"""`codesm usage`: what model calls cost, grouped by model, session, day, tool or agent."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from codesm.store import Store, UsageTotals
from codesm.store.usage_reports import (
    GROUPS,
    GroupBy,
    UsageFilter,
    UsageGroup,
    UsageReports,
    cache_hit_rate,
    parse_since,
)


@dataclass(frozen=True)
class UsageReport:
    by: GroupBy
    since: datetime | None
    project: str | None
    groups: list[UsageGroup]
    total: UsageTotals

    def as_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "since": self.since.isoformat() if self.since else None,
            "project": self.project,
            "groups": [
                {"key": g.key, "label": g.label, **totals_dict(g.totals)} for g in self.groups
            ],
            "total": totals_dict(self.total),
        }


def totals_dict(totals: UsageTotals) -> dict[str, Any]:
    rate = cache_hit_rate(totals)
    return {
        "calls": totals.calls,
        "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens,
        "cache_read_tokens": totals.cache_read_tokens,
        "cache_write_tokens": totals.cache_write_tokens,
        "reasoning_tokens": totals.reasoning_tokens,
        "cost_usd": round(totals.cost_usd, 8),
        "cache_hit_rate": None if rate is None else round(rate, 4),
    }


async def build_report(
    *, by: GroupBy, since: datetime | None, project: Path | None, db_path: Path | None = None
) -> UsageReport:
    """Sum the usage rows of the store (nothing is written); `project` is a resolved root."""
    store = await Store.open(db_path)
    try:
        where = UsageFilter(since=since)
        if project is not None:
            found = await store.projects.by_root(project)
            # An unknown project has spent nothing: filter on an id that matches no row.
            where = UsageFilter(since=since, project_id=found.id if found else "")
        reports = UsageReports(store.db)
        groups = await reports.grouped(by, where)
        total = await reports.totals(where)
    finally:
        await store.close()
    return UsageReport(by, since, str(project) if project else None, groups, total)


def render_table(report: UsageReport) -> str:
    """A plain aligned table, widest column first, with a total line."""
    header = (report.by, "calls", "input", "output", "cache read", "cache write", "cost USD")
    rows = [
        (
            (g.label if report.by == "session" and g.label != g.key else g.key)[:48],
            *_numbers(g.totals),
        )
        for g in report.groups
    ]
    total = ("total", *_numbers(report.total))
    table = [header, *rows, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [line(header), rule, *(line(row) for row in rows), rule, line(total)]
    rate = cache_hit_rate(report.total)
    if rate is not None:
        lines.append(f"cache hit rate: {rate:.1%} of prompt tokens read from the cache")
    return "\n".join(lines)


def _numbers(totals: UsageTotals) -> tuple[str, ...]:
    return (
        f"{totals.calls:,}",
        f"{totals.input_tokens:,}",
        f"{totals.output_tokens:,}",
        f"{totals.cache_read_tokens:,}",
        f"{totals.cache_write_tokens:,}",
        f"{totals.cost_usd:.4f}",
    )


@click.command()
@click.option("--since", "since_text", metavar="DATE", help="YYYY-MM-DD (UTC) or Nd (N days).")
@click.option("--by", type=click.Choice(GROUPS), default="model", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Only this project's sessions (default: every project).",
)
def usage(since_text: str | None, by: GroupBy, as_json: bool, project: Path | None) -> None:
    """Tokens and cost of model calls, grouped by model, session, day, tool or agent."""
    try:
        since = parse_since(since_text) if since_text else None
    except ValueError as exc:
        message = f"{since_text!r} is not a date: {exc}"
        raise click.BadParameter(message, param_hint="--since") from exc
    root = project.resolve() if project is not None else None
    report = asyncio.run(build_report(by=by, since=since, project=root))
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    elif not report.groups:
        click.echo("No model calls recorded" + (" in that range." if since else " yet."))
    else:
        click.echo(render_table(report))
