"""`--max-budget-usd` on every face: the TUI (bare `codesm` and `threads continue`) and
`codesm web` (before or after the subcommand) pass it on, and the runtime they open makes it the
session budget of every session for that launch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.agent.agent import TurnOutcome
from codesm.agent.events import ApprovalRequested, BudgetWarning
from codesm.agent.ops import Deny, SubmitPrompt
from codesm.agent.runtime import Runtime
from codesm.cli import main
from codesm.tui.app import CodesmApp
from codesm.web.app import open_workspace_runtime
from codesm.web.config import WebConfig
from tests.support.scripted_llm import ScriptedLLMServer, Turn, UsageSpec

TOKEN = "t" * 43


def test_the_tui_gets_the_budget_as_its_session_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[float | None] = []

    async def fake_run(self: CodesmApp) -> int:
        session = await self.runtime.new_session()
        agent = await self.runtime.agent(session)
        seen.append(agent.budgets.limits.session_usd)
        return 0

    monkeypatch.setattr(CodesmApp, "run_async", fake_run)
    monkeypatch.setattr("codesm.cli_threads.interactive", lambda: True)
    thread = CliRunner().invoke(main, ["threads", "new"]).output.strip()
    result = CliRunner().invoke(main, ["--max-budget-usd", "0.25", "threads", "continue", thread])
    assert result.exit_code == 0, result.output
    assert seen == [0.25]


@pytest.mark.parametrize("before", [True, False])
def test_codesm_web_passes_the_budget_to_the_server(
    before: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, object]] = []

    def fake_serve(workspace: Path, **options: object) -> int:
        calls.append(options)
        return 0

    monkeypatch.setattr("codesm.web.server.serve", fake_serve)
    flag = ["--max-budget-usd", "1.5"]
    args = [*flag, "web", str(tmp_path)] if before else ["web", str(tmp_path), *flag]
    result = CliRunner().invoke(main, [*args, "--no-open"])
    assert result.exit_code == 0, result.output
    assert calls[0]["max_budget_usd"] == 1.5


def test_a_budget_that_is_not_positive_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["web", str(tmp_path), "--max-budget-usd", "0"])
    assert result.exit_code == 2
    assert "--max-budget-usd" in result.output


async def test_the_web_runtime_pauses_a_session_at_the_launch_budget(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget replaces `codesm.budget.session` from the settings for this launch."""
    workspace = tmp_path / "ws"
    (workspace / ".codesm").mkdir(parents=True)
    (workspace / ".codesm" / "settings.json").write_text('{"codesm.budget.session": 100}')
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    scripted_llm.script(
        Turn(text="First.", usage=UsageSpec(input_tokens=100_000, output_tokens=100)),
        Turn(text="Never sent."),
    )
    config = WebConfig(
        workspace=workspace, port=8000, owner_token=TOKEN, db_path=tmp_path / "db.sqlite",
        max_budget_usd=0.01,
    )  # fmt: skip
    runtime: Runtime = await open_workspace_runtime(config)
    try:
        session = await runtime.new_session()
        agent = await runtime.agent(session)
        agent.deps.title_with_model = False
        assert (await agent.run_turn("one")).status == "completed"
        seen = await runtime.store.events_after(session.id, 0)
        async with runtime.hub.subscribe(session.id, after_seq=seen[-1].seq) as events:
            await agent.handle(SubmitPrompt(text="two"))
            async for stored in events:
                if isinstance(stored.event, ApprovalRequested):
                    asked = stored.event
                    await agent.handle(Deny(call_id=asked.call_id))
                if stored.event.type == "turn_finished":
                    break
        outcome: TurnOutcome | None = await asyncio.wait_for(agent.wait_idle(), 10)
        warnings = [
            s.event
            for s in await runtime.store.events_after(session.id, 0)
            if isinstance(s.event, BudgetWarning)
        ]
    finally:
        await runtime.aclose()
    assert asked.kind == "budget" and "$0.01" in asked.title
    assert outcome is not None and outcome.budget_exceeded
    assert [(w.scope, w.limit_usd) for w in warnings] == [("session", 0.01)]
    assert len(scripted_llm.completion_requests()) == 1
