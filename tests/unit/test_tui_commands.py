"""The TUI's `/` commands, keys and palette entries, driven by the pilot against the scripted
LLM server: connect, model, compact, context, undo/redo, permissions, help and theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.command import CommandPalette
from textual.widgets import Input

from codesm.agent.events import BudgetWarning, Compaction, ContextReport, ModelChanged
from codesm.config.credentials import load_credentials
from codesm.tui.app import CodesmApp
from codesm.tui.chat import AssistantView, NoticeView
from codesm.tui.context import ContextScreen
from codesm.tui.pickers import ChoiceScreen, ConnectScreen
from codesm.tui.status import StatusBar
from codesm.tui.tools import ChangeView
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.tui_support import SIZE, open_runtime, screen_text, texts, wait_for

OLD = "alpha\nbeta\n"
NEW = "alpha\nBETA\n"


async def type_prompt(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.prompt.input.value = text
    await pilot.press("enter")


async def first_turn(pilot, scripted_llm: ScriptedLLMServer, answer: str = "first answer") -> None:  # type: ignore[no-untyped-def]
    """Start a session with one answered prompt (and its title)."""
    app: CodesmApp = pilot.app
    scripted_llm.push(Turn(text=answer, usage=UsageSpec(100, 10)), Turn(text="A title"))
    await type_prompt(pilot, "first question")
    await wait_for(pilot, lambda: app.status.title == "A title" and not app.status.running)


def notices(app: CodesmApp) -> list[str]:
    return texts(list(app.query(NoticeView)))


async def stored_events(app: CodesmApp) -> list[object]:
    assert app.session is not None
    return [s.event for s in await app.runtime.store.events_after(app.session.id, 0)]


async def test_ctrl_a_saves_a_key_and_the_next_prompt_uses_the_new_provider(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    scripted_llm.script(Turn(text="connected answer"), Turn(text="Connected title"))
    async with open_runtime(tmp_path, None) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            assert app.status.model == "no provider"
            await pilot.press("ctrl+a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
            await pilot.press(*"sk-ant-pasted")
            await pilot.press("enter")
            await wait_for(pilot, lambda: runtime.models.providers)
            assert load_credentials() == {"ANTHROPIC_API_KEY": "sk-ant-pasted"}
            assert not app.query("#provider-hint")
            assert app.status.model == "claude-sonnet-5-5"
            assert "claude-sonnet-5-5" in screen_text(app)
            await type_prompt(pilot, "hello")
            await wait_for(pilot, lambda: app.query(AssistantView) and not app.status.running)
            assert app.query_one(AssistantView).text == "connected answer"
    assert "sk-ant-pasted" in str(scripted_llm.completion_requests()[0].headers)


async def test_the_connect_command_opens_the_same_dialog_and_escape_leaves_it(
    tmp_path: Path,
) -> None:
    async with open_runtime(tmp_path, None) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/connect")
            await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
            await pilot.press(*"abc", "ctrl+a")  # in the dialog: start of the line, as usual
            key = app.screen.query_one("#key", Input)
            assert key.value == "abc" and key.cursor_position == 0
            assert len(app.screen_stack) == 2
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen))
            assert load_credentials() == {}
            assert not runtime.models.providers


async def test_the_model_command_lists_models_and_switches_to_the_picked_one(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/model")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            shown = screen_text(app)
            assert "claude-haiku-4-5" in shown and "claude-opus-5-5" in shown
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
            await type_prompt(pilot, "/model claude-haiku-4-5")
            assert app.status.model == "claude-haiku-4-5"
            assert app.status.context_window == 200_000
            await first_turn(pilot, scripted_llm)
            assert app.session is not None
            session = await runtime.store.sessions.require(app.session.id)
            assert session.model == "claude-haiku-4-5"
            assert scripted_llm.completion_requests()[0].body["model"] == "claude-haiku-4-5"
            await type_prompt(pilot, "/model")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            await pilot.press("up", "enter")  # the model listed before the current one
            await wait_for(pilot, lambda: app.status.model != "claude-haiku-4-5")
            changed = [e for e in await stored_events(app) if isinstance(e, ModelChanged)]
            assert [e.model for e in changed] == [app.status.model]
            await type_prompt(pilot, "/model no-such-model")
            await pilot.pause(0.1)
            assert app.status.model == changed[0].model


async def test_compact_summarises_the_conversation_and_says_so_in_the_chat(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/compact")
            await pilot.pause(0.1)
            assert app.session is None  # nothing to compact: no empty session is made
            await first_turn(pilot, scripted_llm)
            scripted_llm.push(Turn(text="The user asked a first question."))
            await type_prompt(pilot, "/compact keep the question")
            await wait_for(pilot, lambda: any("summarised" in t for t in notices(app)))
            assert [e for e in await stored_events(app) if isinstance(e, Compaction)]
            assert "keep the question" in str(scripted_llm.completion_requests()[-1].body)
            assert "Earlier messages were summarised" in screen_text(app)


async def test_context_shows_what_fills_the_window_and_cost_what_was_spent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await first_turn(pilot, scripted_llm)
            await type_prompt(pilot, "/context")
            await wait_for(pilot, lambda: isinstance(app.screen, ContextScreen))
            reports = [e for e in await stored_events(app) if isinstance(e, ContextReport)]
            assert [r.trigger for r in reports] == ["step", "command"]
            await pilot.pause(0.2)
            shown = screen_text(app)
            assert "Context of claude-sonnet-5-5" in shown
            for part in ("System prompt", "Tool schemas (built-in)", "User messages", "Free"):
                assert part in shown
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ContextScreen))
            assert any("context of claude-sonnet-5-5" in t for t in notices(app))
            await type_prompt(pilot, "/cost")
            await wait_for(pilot, lambda: any("cost of this session" in t for t in notices(app)))
            cost = next(t for t in notices(app) if "cost of this session" in t)
            assert f"${app.status.cost_usd:.4f}" in cost
            assert "cost today in this workspace" in cost and "claude-sonnet-5-5" in cost


async def test_undo_and_redo_put_an_applied_edit_back_and_forth(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "a.txt", "content": NEW})]),
        Turn(text="Changed."),
        Turn(text="Edit title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        target = runtime.workspace / "a.txt"
        target.write_text(OLD)
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/undo")
            await pilot.pause(0.1)
            assert app.session is None
            await type_prompt(pilot, "change beta")
            await wait_for(pilot, lambda: app.query(ChangeView)
                           and app.query_one(ChangeView).status == "applied")  # fmt: skip
            await wait_for(pilot, lambda: not app.status.running)
            assert target.read_text() == NEW
            await type_prompt(pilot, "/undo")
            await wait_for(pilot, lambda: app.query_one(ChangeView).status == "undone")
            assert target.read_text() == OLD
            await type_prompt(pilot, "/redo")
            await wait_for(pilot, lambda: app.query_one(ChangeView).status == "applied")
            assert target.read_text() == NEW
            await type_prompt(pilot, "/redo")
            await wait_for(pilot, lambda: any("error" in t for t in notices(app)))
            assert target.read_text() == NEW


async def test_permissions_sets_the_mode_before_and_during_a_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/permissions auto-edit")
            assert app.status.permission_mode == "auto-edit"
            assert "auto-edit" in str(app.query_one(StatusBar).visual)
            await first_turn(pilot, scripted_llm)
            assert app.session is not None
            session = await runtime.store.sessions.require(app.session.id)
            assert session.permission_mode == "auto-edit"
            await type_prompt(pilot, "/permissions dry-run")
            await wait_for(pilot, lambda: app.status.permission_mode == "dry-run")
            session = await runtime.store.sessions.require(app.session.id)
            assert session.permission_mode == "dry-run"
            assert runtime.agents[session.id].deps.permissions.mode == "dry-run"
            await type_prompt(pilot, "/permissions sometimes")
            await pilot.pause(0.1)
            assert app.status.permission_mode == "dry-run"


async def test_help_lists_the_commands_and_keys(tmp_path: Path) -> None:
    async with open_runtime(tmp_path, None) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "/help")
            await wait_for(pilot, lambda: any("Commands:" in t for t in notices(app)))
            shown = screen_text(app)
            assert "/compact" in shown and "ctrl+p commands" in shown


async def test_ctrl_t_cycles_the_theme_and_the_theme_command_opens_the_picker(
    tmp_path: Path,
) -> None:
    async with open_runtime(tmp_path, None) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            before = app.theme
            await pilot.press("ctrl+t")
            assert app.theme != before
            await type_prompt(pilot, "/theme")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"nord")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.theme == "nord")


async def test_the_palette_lists_the_app_commands_and_runs_them(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for title in ("New session", "Sessions", "Model", "Connect provider", "Compact",
                          "Context", "Undo change", "Redo change", "Help",
                          "Permission mode: dry-run"):  # fmt: skip
                assert title in titles
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"Permission mode: dry")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.status.permission_mode == "dry-run")
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"Toggle smart")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.status.mode == "rush")


async def test_budget_warnings_and_context_reports_show_as_notices(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await first_turn(pilot, scripted_llm)
            assert app.session is not None
            await runtime.hub.publish(
                app.session.id,
                BudgetWarning(scope="session", limit_usd=2.0, spent_usd=1.6),
                BudgetWarning(scope="day", limit_usd=5.0, spent_usd=5.5, exceeded=True),
                ContextReport(
                    model="claude-sonnet-5-5",
                    context_window=1_000_000,
                    system_prompt=3000,
                    history=500,
                ),
            )
            await wait_for(pilot, lambda: any("context of" in t for t in notices(app)))
            await wait_for(pilot, lambda: isinstance(app.screen, ContextScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ContextScreen))
            shown = screen_text(app)
            assert "$1.60 spent is at 80% of the session limit of $2.00" in shown
            assert "$5.50 spent exceeded the daily limit of $5.00" in shown
            assert "3,500 / 1,000,000 tokens" in shown
            warnings = [n for n in app.query(NoticeView) if "budget" in str(n.visual)]
            assert all(n.has_class("-error") for n in warnings)


@pytest.mark.parametrize(
    ("tokens", "level"), [(100_000, "ok"), (600_000, "warn"), (850_000, "high")]
)
async def test_the_status_bar_colours_the_context_by_how_full_it_is(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, tokens: int, level: str
) -> None:
    scripted_llm.script(Turn(text="big", usage=UsageSpec(tokens, 0)), Turn(text="Big title"))
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "fill it")
            await wait_for(pilot, lambda: app.status.context_tokens == tokens)
            await pilot.pause()
            bar = app.query_one(StatusBar)
            assert bar.context_level == level
            for other in ("ok", "warn", "high"):
                assert bar.has_class(f"-ctx-{other}") == (other == level)
            assert f"{tokens:,} tok" in screen_text(app)
            theme = app.current_theme
            colour = {
                "warn": Color.parse(theme.warning or ""),
                "high": Color.parse(theme.error or ""),
            }
            styles = [str(span.style) for span in bar.visual.spans]  # type: ignore[union-attr]
            assert any(level in colour and colour[level].css in style for style in styles) == (
                level != "ok"
            )
