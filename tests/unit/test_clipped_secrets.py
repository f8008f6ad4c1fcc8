"""A long command is shortened for a tool call's header and a subagent's activity line. Cut in the
middle of a secret, the front part no longer matches the secret and passes redaction: a guest
would read most of a token. Text is therefore never cut inside a word."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from codesm.agent.subagents.progress import ACTIVITY_CHARS, describe_call
from codesm.security.clip import clip_words
from codesm.security.redact import Redactor
from codesm.security.redact_split import redact_html
from codesm.web.render.view import ToolView

SECRET = "pg-Hx81vQ2mZs7TnLwK0ecRb5Ua"


def command_with_secret_at(offset: int) -> str:
    """A command whose secret starts `offset` characters in."""
    head = "echo " + "x" * (offset - len("echo  PGPASSWORD=")) + " PGPASSWORD="
    return f"{head}{SECRET} psql -h db.internal -U app -c 'select 1'"


@pytest.mark.parametrize("offset", [175, 185, 190])
def test_a_tool_headers_argument_never_shows_part_of_a_secret(offset: int) -> None:
    view = ToolView(
        "t1", "c1", "bash", {"command": command_with_secret_at(offset)}, datetime.now(UTC)
    )
    shown = redact_html(view.key_argument, Redactor([SECRET], patterns=False))
    assert SECRET[:6] not in shown


@pytest.mark.parametrize("offset", [50, 55, 60])
def test_a_subagents_activity_never_shows_part_of_a_secret(offset: int) -> None:
    activity = describe_call("bash", {"command": command_with_secret_at(offset)})
    assert len(activity) < ACTIVITY_CHARS + 40  # still one short line
    assert SECRET[:6] not in Redactor([SECRET], patterns=False).redact(activity)


def test_clipping_keeps_whole_words_and_marks_the_cut() -> None:
    assert clip_words("alpha beta gamma", 100) == "alpha beta gamma"
    assert clip_words("alpha beta gamma", 8) == "alpha…"
    assert clip_words("alpha beta gamma", 11) == "alpha beta…"
    assert clip_words("x" * 50, 10) == "…"
