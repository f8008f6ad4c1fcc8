"""Streamed text is committed while the stream pauses, not held until the next token: a page
(or a page reloaded mid-turn) shows what the model already said during a slow stretch."""

from __future__ import annotations

from pathlib import Path

from codesm.agent.events import AssistantTextDelta
from codesm.agent.ops import SubmitPrompt
from tests.support import llm_wire as wire
from tests.support.agent_harness import agent_harness
from tests.support.llm_script import Fault
from tests.support.scripted_llm import ScriptedLLMServer, Turn

EARLY = "Early words. "
LATE = "Late words."


async def test_text_already_streamed_is_committed_while_the_stream_pauses(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    answer = Turn(text=EARLY + LATE, delta_size=len(EARLY))
    body = b"".join(chunk for _, chunk in wire.anthropic_frames(answer, "claude-sonnet-5-5", 1))
    pause_at = body.rfind(b"event:", 0, body.index(LATE.encode()))
    scripted_llm.script(Fault("stall", turn=answer, after_bytes=pause_at, stall_s=30))
    async with agent_harness(tmp_path, scripted_llm) as h:
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="say it in two breaths"))
            first = None
            async for stored in events:
                if isinstance(stored.event, AssistantTextDelta):
                    first = stored.event
                    break
        scripted_llm.release_stalls()
        outcome = await h.agent.wait_idle()
        deltas = [s.event.text for s in await h.events() if isinstance(s.event, AssistantTextDelta)]
    assert first is not None and first.text == EARLY  # committed during the pause
    assert outcome is not None and outcome.text == EARLY + LATE
    assert "".join(deltas) == EARLY + LATE
