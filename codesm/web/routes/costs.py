"""The Costs page: spend by day, model, session, subagent and tool; cache hit rate; the most
expensive turns; CSV and JSON export of the same rows. Filters: a date range and a project."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from codesm.store.usage import UsageTotals
from codesm.store.usage_reports import (
    GroupBy,
    TurnCost,
    UsageFilter,
    UsageGroup,
    UsageReports,
    UsageRow,
    cache_hit_rate,
)
from codesm.web.context import WebContext, web_context
from codesm.web.render.charts import Bar, bar_chart, column_chart, money
from codesm.web.render.view import dom_id

DEFAULT_DAYS = 30
TOP_GROUPS = 12
TOP_TURNS = 10
EXPORT_FIELDS = (
    "id", "ts", "session_id", "turn_id", "agent", "provider", "model", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd",
    "tools",
)  # fmt: skip
BREAKDOWNS: tuple[tuple[GroupBy, str], ...] = (
    ("model", "By model"),
    ("session", "By session"),
    ("agent", "By subagent type"),
    ("tool", "By tool"),
)


@dataclass(frozen=True)
class CostFilters:
    start: date
    end: date
    """Inclusive."""
    project: str
    """"current", "all", or a project id."""

    def usage_filter(self, current_project: str) -> UsageFilter:
        project_id = {"current": current_project, "all": None}.get(self.project, self.project)
        return UsageFilter(
            since=datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC),
            until=datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
            + timedelta(days=1),
            project_id=project_id,
        )

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}&project={self.project}"


def parse_filters(request: Request) -> CostFilters:
    """`from` / `to` (YYYY-MM-DD, UTC days, inclusive; default the last 30 days) and `project`."""
    today = datetime.now(UTC).date()
    try:
        end = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        default_start = (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        start = date.fromisoformat(request.query_params.get("from") or default_start)
    except ValueError as exc:
        raise HTTPException(400, "dates must look like 2026-11-25") from exc
    if start > end:
        start, end = end, start
    project = request.query_params.get("project") or "current"
    if len(project) > 64 or not project.replace("-", "").replace("_", "").isalnum():
        raise HTTPException(400, "no such project")
    return CostFilters(start, end, project)


@dataclass(frozen=True)
class Breakdown:
    title: str
    by: GroupBy
    groups: list[UsageGroup]
    chart: Any


async def costs_page(request: Request) -> Response:
    """The cost dashboard."""
    ctx = web_context(request)
    filters = parse_filters(request)
    reports = UsageReports(ctx.runtime.store.db)
    where = filters.usage_filter(ctx.runtime.project_id)
    total = await reports.totals(where)
    days = _all_days(filters, await reports.grouped("day", where))
    breakdowns = []
    for by, title in BREAKDOWNS:
        groups = (await reports.grouped(by, where))[:TOP_GROUPS]
        bars = [Bar(g.label, g.totals.cost_usd) for g in groups]
        breakdowns.append(Breakdown(title, by, groups, bar_chart(bars, label=f"Spend {title}")))
    turns = await reports.top_turns(where, TOP_TURNS)
    projects = await ctx.runtime.store.projects.list_recent()
    rate = cache_hit_rate(total)
    return ctx.templates.TemplateResponse(
        request,
        "costs.html",
        {
            "version": ctx.version,
            "workspace_name": ctx.config.workspace.name or str(ctx.config.workspace),
            "filters": filters,
            "projects": projects,
            "total": total,
            "cache_rate": rate,
            "days": days,
            "day_chart": column_chart(
                [Bar(day, totals.cost_usd) for day, totals in days], label="Spend by day"
            ),
            "breakdowns": breakdowns,
            "turns": [_turn_row(ctx, t) for t in turns],
            "money": money,
        },
        headers={"cache-control": "no-store"},
    )


def _all_days(filters: CostFilters, groups: list[UsageGroup]) -> list[tuple[str, UsageTotals]]:
    """Every day of the range (days without calls are zero), so the chart's x axis is time."""
    found = {g.key: g.totals for g in groups}
    span = min((filters.end - filters.start).days + 1, 366)
    days = [(filters.start + timedelta(days=i)).isoformat() for i in range(span)]
    return [(day, found.get(day, UsageTotals())) for day in days]


def _turn_row(ctx: WebContext, turn: TurnCost) -> dict[str, Any]:
    prompt = " ".join(turn.prompt.split())
    here = turn.project_id == ctx.runtime.project_id
    return {
        # Sessions of other projects are served by their own `codesm web`, not this one.
        "href": f"/s/{turn.session_id}#{dom_id('turn', turn.turn_id)}" if here else None,
        "title": turn.title or turn.session_id,
        "prompt": prompt if len(prompt) <= 90 else prompt[:89] + "…",
        "started": turn.started,
        "totals": turn.totals,
    }


async def _export_rows(request: Request) -> tuple[CostFilters, list[UsageRow], UsageTotals]:
    ctx = web_context(request)
    filters = parse_filters(request)
    reports = UsageReports(ctx.runtime.store.db)
    where = filters.usage_filter(ctx.runtime.project_id)
    return filters, await reports.rows(where), await reports.totals(where)


async def export_csv(request: Request) -> Response:
    """Every model call in the filter, one CSV row each."""
    filters, rows, _ = await _export_rows(request)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = row.as_dict()
        record["tools"] = " ".join(record["tools"])
        writer.writerow(record)
    name = f"codesm-usage-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def export_json(request: Request) -> Response:
    """Every model call in the filter, with the filter and the totals."""
    filters, rows, total = await _export_rows(request)
    name = f"codesm-usage-{filters.start.isoformat()}-{filters.end.isoformat()}.json"
    body = {
        "from": filters.start.isoformat(),
        "to": filters.end.isoformat(),
        "project": filters.project,
        "total_cost_usd": total.cost_usd,
        "calls": total.calls,
        "rows": [row.as_dict() for row in rows],
    }
    return JSONResponse(body, headers={"content-disposition": f'attachment; filename="{name}"'})


routes = [
    Route("/costs", costs_page, name="costs"),
    Route("/costs/export.csv", export_csv, name="costs_csv"),
    Route("/costs/export.json", export_json, name="costs_json"),
]
