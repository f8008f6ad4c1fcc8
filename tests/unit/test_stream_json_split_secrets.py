"""`--include-partial-messages` streams the answer as deltas; a CI log or a program that joins
them must not get back a secret that the model's stream happened to split between two deltas
(each delta redacted alone would pass both halves)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from codesm.agent.events import AssistantMessage, AssistantTextDelta, ThinkingDelta
from codesm.headless.runner import HeadlessOptions, run_headless
from codesm.headless.stream_json import StreamJsonWriter
from codesm.security.redact import MARKER, Redactor
from codesm.security.redact_split import redact_markdown
from tests.support import llm_wire as wire
from tests.support.llm_script import Fault
from tests.support.scripted_llm import ScriptedLLMServer, Turn

SECRET = "Zq8-hunter2-correct-horse-battery-staple"
ANSWER = f"The service token is {SECRET} and that is all."


def joined(output: str, kind: str = "text_delta") -> str:
    pieces = []
    for line in output.splitlines():
        obj = json.loads(line)
        if obj["type"] == "stream_event" and obj["event"]["delta"]["type"] == kind:
            pieces.append(obj["event"]["delta"]["text" if kind == "text_delta" else "thinking"])
    return "".join(pieces)


def writer_for(out: io.StringIO, redactor: Redactor) -> StreamJsonWriter:
    return StreamJsonWriter(
        out,
        "s1",
        include_partial=True,
        include_thinking=True,
        redact=lambda text: redact_markdown(text, redactor),
        hold_for=redactor,
    )


@pytest.mark.parametrize("cut", [10, len("The service token is Zq8-hun"), len(ANSWER) - 5])
def test_joined_deltas_never_spell_a_secret_and_still_give_the_whole_answer(cut: int) -> None:
    redactor = Redactor([SECRET], patterns=True)
    out = io.StringIO()
    writer = writer_for(out, redactor)
    for piece in (ANSWER[:cut], ANSWER[cut:]):
        writer.on_event(AssistantTextDelta(turn_id="t1", text=piece))
        writer.on_event(ThinkingDelta(turn_id="t1", text=piece))
    writer.on_event(AssistantMessage(turn_id="t1", text=ANSWER))
    expected = ANSWER.replace(SECRET, MARKER)
    assert joined(out.getvalue()) == expected
    assert joined(out.getvalue(), "thinking_delta") == expected
    assert SECRET not in out.getvalue().replace("\n", "")


async def test_headless_partial_messages_split_by_a_slow_stream_hide_the_secret(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = Turn(text=ANSWER, delta_size=5)
    body = b"".join(chunk for _, chunk in wire.anthropic_frames(answer, "claude-sonnet-5-5", 1))
    # The stream pauses in the middle of the secret; the agent commits what came before.
    inside = json.dumps(ANSWER[30:35]).encode()
    pause_at = body.rfind(b"event:", 0, body.index(inside))
    scripted_llm.script(
        Turn(text="Title", when="Write a title"),
        Fault("stall", turn=answer, after_bytes=pause_at, stall_s=1.0),
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    monkeypatch.setenv("SERVICE_TOKEN", SECRET)
    out = io.StringIO()
    options = HeadlessOptions(
        workspace=workspace, prompt="say it", stream_json=True, include_partial=True
    )
    assert await asyncio.wait_for(run_headless(options, stdin=io.StringIO(), stdout=out), 60) == 0
    assert joined(out.getvalue()) == ANSWER.replace(SECRET, MARKER)
    assert SECRET not in out.getvalue()
