"""`codesm usage`: the same numbers as the store, as JSON or a table."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from codesm.cli_usage import usage
from codesm.store import Store
from tests.unit.usage_support import Seeded, seed_usage


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    (tmp_path / "this").mkdir()
    (tmp_path / "other").mkdir()

    async def seed() -> Seeded:
        async with await Store.open() as store:
            return await seed_usage(store, (tmp_path / "this").resolve(), tmp_path / "other")

    return asyncio.run(seed())


def run_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(usage, ["--json", *args])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def groups(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["key"]: g for g in report["groups"]}


def test_usage_json_by_model_parses_and_sums_every_call(seeded: Seeded) -> None:
    report = run_json("--by", "model")
    total = report["total"]
    assert total["cost_usd"] == pytest.approx(seeded.this_project_usd + seeded.other_project_usd)
    assert total["calls"] == 5
    by_model = groups(report)
    assert by_model["anthropic/gpt-5"]["cost_usd"] == pytest.approx(0.05)
    assert sum(g["cost_usd"] for g in by_model.values()) == pytest.approx(total["cost_usd"])
    assert total["cache_hit_rate"] == pytest.approx(3_000 / 4_000)


def test_usage_since_leaves_out_older_days(seeded: Seeded) -> None:
    since = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    report = run_json("--since", since, "--by", "day")
    assert list(groups(report)) == [datetime.now(UTC).date().isoformat()]
    assert report["total"]["cost_usd"] == pytest.approx(seeded.this_project_usd)
    assert run_json("--since", "3d")["total"] == report["total"]


def test_usage_by_session_rolls_subagents_into_their_parent(seeded: Seeded) -> None:
    by_session = groups(run_json("--by", "session"))
    assert by_session[seeded.main_session]["cost_usd"] == pytest.approx(0.65)
    assert by_session[seeded.main_session]["label"] == "Fix the parser"
    assert seeded.sub_session not in by_session


def test_usage_by_tool_and_by_agent_add_up_to_the_total(seeded: Seeded) -> None:
    by_tool = groups(run_json("--by", "tool"))
    assert by_tool["edit"]["cost_usd"] == pytest.approx(0.15)
    assert by_tool["grep"]["cost_usd"] == pytest.approx(0.20)
    assert by_tool["(no tool)"]["cost_usd"] == pytest.approx(0.15)
    by_agent = groups(run_json("--by", "agent"))
    assert by_agent["search"]["cost_usd"] == pytest.approx(0.20)
    assert by_agent["main"]["cost_usd"] == pytest.approx(1.45)
    assert sum(g["cost_usd"] for g in by_tool.values()) == pytest.approx(1.65)


def test_usage_project_keeps_only_that_projects_sessions(seeded: Seeded, tmp_path: Path) -> None:
    report = run_json("--project", str(tmp_path / "other"))
    assert report["total"]["cost_usd"] == pytest.approx(seeded.other_project_usd)


def test_usage_prints_a_table_with_a_total_line(seeded: Seeded) -> None:
    result = CliRunner().invoke(usage, ["--by", "day"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["day", "calls"]
    assert lines[-2].startswith("total") and lines[-2].endswith("1.6500")
    assert "cache hit rate: 75.0%" in lines[-1]


def test_usage_rejects_a_date_it_cannot_read() -> None:
    result = CliRunner().invoke(usage, ["--since", "last tuesday"])
    assert result.exit_code == 2
    assert "--since" in result.output
