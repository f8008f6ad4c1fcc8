"""The session page's Context panel: folded from `context_report` events, replaced after every
model step, opened by `/context`, CSP-safe, and numbers and file names only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.agent.events import ContextFile, ContextReport, Event, StoredEvent, TurnStarted
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.panels import panel_fragments, panels
from codesm.web.render.view import StatusView

STEP = ContextReport(
    model="claude-sonnet-5-5",
    context_window=200_000,
    system_prompt=1_000,
    tool_schemas=4_000,
    instructions=600,
    instruction_files=[
        ContextFile(name="AGENTS.md", tokens=400),
        ContextFile(name="~/.config/codesm/AGENTS.md", tokens=200),
    ],
    skills=50,
    user_messages=300,
    assistant_messages=700,
    history=1_000,
    thinking=250,
    tool_outputs=12_000,
    calibrated=True,
    trigger="step",
    turn_id="t",
)


@pytest.fixture(scope="module")
def env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    return env


def fold(env: Environment, events: list[Event]) -> tuple[SessionRenderer, list[str], list[str]]:
    view = SessionRenderer(
        env.get_template("partials/live.html").module, StatusView("smart", "review", "m"), str
    )
    macros = env.get_template("partials/panels.html").module
    now = datetime.now(UTC)
    panel_html: list[str] = []
    live: list[str] = []
    for seq, event in enumerate(events, 1):
        live += view.apply(StoredEvent(session_id="s", seq=seq, ts=now, event=event))
        panel_html += panel_fragments(view, event, macros)
    return view, panel_html, live


def rows(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(
        r'<tr class="ctx-row[^"]*" data-kind="[^"]+"><th scope="row">'
        r'<span[^>]*></span>([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td>',
        html,
    )
    return {label: (tokens, percent) for label, tokens, percent in found}


def test_a_step_report_fills_the_panel_with_a_bar_and_a_table(env: Environment) -> None:
    _, pushed, live = fold(env, [TurnStarted(turn_id="t"), STEP])
    assert len(pushed) == 1 and 'id="context-panel"' in pushed[0]
    html = pushed[0]
    table = rows(html)
    assert table["Instructions: AGENTS.md"] == ("400", "0.2%")
    assert table["Instructions: ~/.config/codesm/AGENTS.md"] == ("200", "0.1%")
    assert table["Tool outputs"] == ("12,000", "6.0%")
    assert table["Thinking"] == ("250", "0.1%")
    assert table["Skills list"] == ("50", "0.0%")
    assert table["Free"] == ("181,100", "90.5%")
    assert "18,900 / 200,000 tokens (9.4%)" in html
    # One rect per non-empty part plus the free background, no inline style (strict CSP).
    assert html.count('class="ctx-seg') == 9 and "style=" not in html
    assert " open" not in html.split("<details", 1)[1].split(">", 1)[0]  # a step keeps it shut
    assert not any("Context of" in fragment for fragment in live)  # no transcript notice


def test_context_asked_for_opens_the_panel_and_says_so_in_the_transcript(
    env: Environment,
) -> None:
    asked = STEP.model_copy(update={"trigger": "command", "turn_id": None})
    view, pushed, live = fold(env, [TurnStarted(turn_id="t"), STEP, asked])
    assert "<details open data-opened>" in pushed[-1]
    assert any("18,900 of 200,000 tokens" in fragment for fragment in live)
    # A replay shows the newest breakdown too.
    assert 'id="context-panel"' in panels(view, env.get_template("partials/panels.html").module)


def test_the_panel_is_replaced_as_the_numbers_change(env: Environment) -> None:
    later = STEP.model_copy(update={"tool_outputs": 40_000})
    _, pushed, _ = fold(env, [TurnStarted(turn_id="t"), STEP, later])
    assert rows(pushed[0])["Tool outputs"] == ("12,000", "6.0%")
    assert rows(pushed[1])["Tool outputs"] == ("40,000", "20.0%")


def test_an_older_report_without_the_finer_split_still_shows(env: Environment) -> None:
    old = ContextReport(
        model="m", context_window=1_000, system_prompt=100, tool_schemas=50, instructions=30,
        history=200, tool_outputs=120,
    )  # fmt: skip
    _, pushed, _ = fold(env, [old])
    table = rows(pushed[0])
    assert table["Instruction files"] == ("30", "3.0%") and table["History"] == ("200", "20.0%")


def test_a_session_without_a_report_has_a_hidden_panel(env: Environment) -> None:
    view, pushed, _ = fold(env, [TurnStarted(turn_id="t")])
    html = panels(view, env.get_template("partials/panels.html").module)
    assert pushed == [] and '<section id="context-panel" class="panel context-panel" hidden' in html
