"""The Costs page renders the store's numbers, and its CSV and JSON exports match the store."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.store import Store
from codesm.store.usage_reports import UsageFilter, UsageReports
from tests.unit.usage_support import Seeded, seed_usage
from tests.unit.web_support import WebApp, client_for, make_web_app

TODAY = datetime.now(UTC).date()


@pytest.fixture
def seeded_app(tmp_path: Path) -> tuple[WebApp, Seeded, Path]:
    workspace = (tmp_path / "ws").resolve()
    workspace.mkdir()
    (tmp_path / "other").mkdir()
    db_path = tmp_path / "codesm.db"

    async def seed() -> Seeded:
        async with await Store.open(db_path) as store:
            return await seed_usage(store, workspace, tmp_path / "other")

    seeded = asyncio.run(seed())
    return make_web_app(workspace, db_path), seeded, db_path


@pytest.fixture
def client(seeded_app: tuple[WebApp, Seeded, Path]) -> Iterator[TestClient]:
    web = seeded_app[0]
    with client_for(web) as test_client:
        test_client.headers.update(web.cookie)
        yield test_client


def store_rows(db_path: Path, where: UsageFilter) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with await Store.open(db_path) as store:
            return [row.as_dict() for row in await UsageReports(store.db).rows(where)]

    return asyncio.run(read())


def test_the_costs_page_shows_spend_by_day_model_session_agent_and_tool(
    client: TestClient, seeded_app: tuple[WebApp, Seeded, Path]
) -> None:
    seeded = seeded_app[1]
    page = client.get("/costs")
    assert page.status_code == 200
    html = page.text
    assert '<strong class="stat-value" id="total-cost">$0.6500</strong>' in html
    assert 'id="cache-rate">75.0%' in html
    for section in ("by-day", "by-model", "by-session", "by-agent", "by-tool", "top-turns"):
        assert f'id="{section}"' in html
    assert html.count('<svg class="chart') == 5
    assert "Fix the parser" in html and "search" in html and "grep" in html
    assert "anthropic/gpt-5" in html
    assert f'href="/s/{seeded.main_session}#turn-t1"' in html
    assert "fix the parser please" in html
    assert "Old work" not in html  # another project, and ten days ago


def test_the_project_and_date_filters_change_the_numbers(client: TestClient) -> None:
    everything = client.get("/costs", params={"project": "all", "from": "2000-01-01"})
    assert 'id="total-cost">$1.65</strong>' in everything.text
    assert "Old work" in everything.text
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    empty = client.get("/costs", params={"from": "2000-01-01", "to": yesterday})
    assert 'id="costs-empty"' in empty.text and 'id="total-cost">$0</strong>' in empty.text


def test_a_bad_date_is_a_400(client: TestClient) -> None:
    assert client.get("/costs", params={"from": "yesterday"}).status_code == 400
    assert client.get("/costs/export.csv", params={"project": "../x"}).status_code == 400


def test_the_csv_export_has_every_row_of_the_store(
    client: TestClient, seeded_app: tuple[WebApp, Seeded, Path]
) -> None:
    _, seeded, db_path = seeded_app
    response = client.get("/costs/export.csv", params={"project": "all", "from": "2000-01-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = store_rows(db_path, UsageFilter())
    assert [int(r["id"]) for r in rows] == [r["id"] for r in expected]
    assert [float(r["cost_usd"]) for r in rows] == [r["cost_usd"] for r in expected]
    assert [r["tools"].split() for r in rows] == [r["tools"] for r in expected]
    assert sum(float(r["cost_usd"]) for r in rows) == pytest.approx(
        seeded.this_project_usd + seeded.other_project_usd
    )


def test_the_json_export_round_trips_the_stores_rows(
    client: TestClient, seeded_app: tuple[WebApp, Seeded, Path]
) -> None:
    _, seeded, db_path = seeded_app
    response = client.get("/costs/export.json")
    assert response.status_code == 200
    body = response.json()
    where = UsageFilter(project_id=seeded.project_id)
    assert body["rows"] == store_rows(db_path, where)
    assert body["total_cost_usd"] == pytest.approx(seeded.this_project_usd)
    assert body["project"] == "current" and body["to"] == TODAY.isoformat()


def test_the_costs_page_needs_the_owner(seeded_app: tuple[WebApp, Seeded, Path]) -> None:
    with client_for(seeded_app[0]) as anonymous:
        assert anonymous.get("/costs").status_code in (401, 403)
        assert anonymous.get("/costs/export.json").status_code in (401, 403)
