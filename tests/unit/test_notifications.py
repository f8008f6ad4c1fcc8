"""When codesm calls the user back (`codesm.notify.TurnAlerts`, the one policy every face uses):
a long turn's end and an approval that waits, rung on the terminal (and sent as a desktop
notification when asked); and the TUI path, a real Textual app whose runtime rings."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.agent.events import ApprovalRequested, AssistantMessage, TurnFinished, TurnStarted
from codesm.agent.runtime import Runtime
from codesm.cli import main
from codesm.notify import Notifier, TurnAlerts
from codesm.tui.app import CodesmApp
from codesm.tui.approval import CommandApprovalScreen
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.test_tui_app import type_prompt
from tests.unit.tui_support import SIZE, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


Alerts = tuple[TurnAlerts, io.StringIO, list[Sequence[str]], Clock]


def alerts(*, bell: bool = True, long_turn_s: float = 15.0) -> Alerts:
    stream, sent, clock = io.StringIO(), list[Sequence[str]](), Clock()
    notifier = Notifier(
        bell=bell, system=True, stream=stream, run=sent.append, long_turn_s=long_turn_s
    )
    return TurnAlerts(notifier, clock=clock), stream, sent, clock


def ask(turn: str = "t1") -> ApprovalRequested:
    return ApprovalRequested(turn_id=turn, call_id="c1", kind="command", title="bash: make deploy")


def test_a_turn_that_ends_within_the_threshold_stays_quiet() -> None:
    policy, stream, _, clock = alerts()
    policy.observe("s1", TurnStarted(turn_id="t1"))
    clock.now += 14.9
    policy.observe("s1", TurnFinished(turn_id="t1", status="completed"))
    assert stream.getvalue() == ""


def test_a_long_turn_rings_when_it_ends_and_says_how_it_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("codesm.notify.shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("codesm.notify.sys.platform", "linux")
    policy, stream, sent, clock = alerts()
    policy.observe("s1", TurnStarted(turn_id="t1"))
    policy.observe("s1", AssistantMessage(turn_id="t1", text="working"))
    clock.now += 42
    policy.observe("s1", TurnFinished(turn_id="t1", status="error"))
    assert stream.getvalue() == "\a"
    assert sent == [["notify-send", "--app-name=codesm", "codesm", "The turn failed after 42s."]]


def test_an_approval_that_waits_rings_at_once_however_short_the_turn() -> None:
    policy, stream, _, _ = alerts()
    policy.observe("s1", TurnStarted(turn_id="t1"))
    policy.observe("s1", ask())
    assert stream.getvalue() == "\a"


def test_subagent_sessions_and_turns_not_seen_starting_stay_quiet() -> None:
    policy, stream, _, clock = alerts(long_turn_s=0.0)
    policy.observe("child", TurnStarted(turn_id="t9"), top_level=False)
    clock.now += 60
    policy.observe("child", TurnFinished(turn_id="t9", status="completed"), top_level=False)
    policy.observe("child", ask("t9"), top_level=False)  # its mirror in the parent rings
    policy.observe("s1", TurnFinished(turn_id="old", status="completed"))  # replayed
    assert stream.getvalue() == ""


def test_notifications_off_means_no_bell_and_no_desktop_notification() -> None:
    policy, stream, sent, clock = alerts(bell=False, long_turn_s=0.0)
    policy.observe("s1", TurnStarted(turn_id="t1"))
    clock.now += 60
    policy.observe("s1", ask())
    policy.observe("s1", TurnFinished(turn_id="t1", status="completed"))
    assert stream.getvalue() == "" and sent == []


async def test_the_tui_rings_when_a_command_waits_and_when_the_turn_ends(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", {"command": "touch made.txt"})]),
        Turn(text="Made it."),
        Turn(text="Touch title"),
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    runtime = await Runtime.open(
        workspace,
        db_path=tmp_path / "codesm.db",
        env={"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": scripted_llm.base_url},
        notifications=True,
    )
    assert runtime.alerts.notifier.bell  # --notifications reached the runtime's policy
    stream = io.StringIO()
    runtime.alerts.notifier = Notifier(bell=True, stream=stream, long_turn_s=0.0)
    try:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "make a file")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandApprovalScreen))
            await wait_for(pilot, lambda: stream.getvalue() == "\a")
            await pilot.press("y")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running)
            await runtime.alerts.drain()
            assert stream.getvalue() == "\a\a"
    finally:
        await runtime.aclose()


def test_the_notifications_flag_reaches_the_tuis_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[bool] = []

    async def fake_run(self: CodesmApp) -> int:
        seen.append(self.runtime.alerts.notifier.bell)
        return 0

    monkeypatch.setattr(CodesmApp, "run_async", fake_run)
    monkeypatch.setattr("codesm.cli_threads.interactive", lambda: True)
    thread = CliRunner().invoke(main, ["threads", "new"]).output.strip()
    for flag in ("--notifications", "--no-notifications"):
        result = CliRunner().invoke(main, [flag, "threads", "continue", thread])
        assert result.exit_code == 0, result.output
    assert seen == [True, False]
