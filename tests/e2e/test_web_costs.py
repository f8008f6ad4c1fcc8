"""Costs in a real browser: Chromium driving a real `codesm web` whose agent talks to the scripted
LLM server. The status bar's session cost moves during a streamed turn, and the Costs page shows
the stored numbers in charts and tables, its filters change them, and its CSV export matches."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from codesm.agent.messages import UsageReport
from codesm.agent.providers.pricing import compute_cost
from codesm.agent.providers.registry import ModelRegistry
from codesm.web.render.charts import money
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import needs_chromium, send, start_new_session, watched_page

pytestmark = [pytest.mark.e2e, needs_chromium]
STEP = UsageSpec(input_tokens=120_000, output_tokens=4_000, cache_read_tokens=30_000)
ANSWER = UsageSpec(input_tokens=60_000, output_tokens=2_000, cache_write_tokens=10_000)
TITLE = UsageSpec(input_tokens=200, output_tokens=8)


def cost(usage: UsageSpec, mode: str = "smart") -> float:
    models = ModelRegistry.from_env({"ANTHROPIC_API_KEY": "sk-ant-test"})
    model = models.resolve(None, mode).info.id  # type: ignore[arg-type]
    report = UsageReport(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )
    usd = compute_cost(report, model=model, provider="anthropic").usd
    assert usd
    return usd


def label(usd: float) -> str:
    """The status bar's format."""
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "cost-project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\n")
    return root


def run_a_streamed_turn(page: Page, server: LiveServer, scripted_llm: ScriptedLLMServer) -> None:
    """One turn of two model calls (the second slow to start), then the model-written title;
    checks the status bar's cost after each call, while the turn is still running."""
    scripted_llm.script(
        Turn(
            text="Looking.",
            tool_calls=[ToolCallSpec("ls", {"path": "."}, id="call_c1")],
            usage=STEP,
        ),
        Turn(text="There is one file, notes.txt.", usage=ANSWER, delay_s=4.0, delta_size=2),
        Turn(text="Listing the project", usage=TITLE),
    )
    start_new_session(page, server)
    usage = page.locator("#status-usage")
    expect(usage).to_contain_text("$0.0000")
    send(page, "What is here?")

    expect(page.locator("#tool-call_c1 .badge")).to_have_text("done")
    expect(usage).to_contain_text(label(cost(STEP)))
    expect(page.locator("#cancel-form")).to_be_visible()  # still running: the answer is slow
    expect(page.locator("#run-state")).to_contain_text("ready", timeout=15_000)
    expect(usage).to_contain_text(label(cost(STEP) + cost(ANSWER) + cost(TITLE, "rush")))


def test_the_status_bar_cost_moves_during_a_streamed_turn_and_the_costs_page_matches(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    page, problems = watched_page(browser, height=1000, accept_downloads=True)
    run_a_streamed_turn(page, server, scripted_llm)
    total = cost(STEP) + cost(ANSWER) + cost(TITLE, "rush")

    page.goto(f"{server.base_url}/costs")
    expect(page.locator("#total-cost")).to_have_text(money(total))
    expect(page.locator("#total-calls")).to_have_text("3")
    for section in ("by-day", "by-model", "by-session", "by-agent", "by-tool"):
        card = page.locator(f"#{section}")
        expect(card.locator("svg.chart")).to_be_visible()
        expect(card.locator("table.costs-table tbody tr").first).to_be_visible()
    agents = page.locator("#by-agent tbody th")
    expect(agents).to_contain_text(["main", "title"], ignore_case=False)
    expect(page.locator("#by-tool tbody")).to_contain_text("ls")
    expect(page.locator("#top-turns tbody a").first).to_have_text("What is here?")
    assert page.locator("#costs-empty").count() == 0

    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 3
    assert sum(float(r["cost_usd"]) for r in rows) == pytest.approx(total)
    assert sorted(r["agent"] for r in rows) == ["main", "main", "title"]
    assert {r["tools"] for r in rows} >= {"ls"}

    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    page.locator("input[name=to]").fill(yesterday)
    page.locator("input[name=from]").fill("2020-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#costs-empty")).to_be_visible()
    expect(page.locator("#total-cost")).to_have_text("$0")
    expect(page.locator("#total-calls")).to_have_text("0")
    with page.expect_download() as empty_info:
        page.locator("#export-csv").click()
    empty_rows = list(csv.DictReader(io.StringIO(Path(empty_info.value.path()).read_text())))
    assert empty_rows == []
    assert problems == []
