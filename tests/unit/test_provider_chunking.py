"""Property: what an adapter parses does not depend on how the byte stream is chunked."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesm.agent.messages import ToolCall
from tests.support.providers import ALL_KINDS, collect, make_provider, user_request
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec

TURN = Turn(
    thinking="Think about ünïcode — carefully.",
    text="Here is the answer: 42 ✓\nand a second line.",
    tool_calls=[
        ToolCallSpec("read", {"path": "dir/fïle.py", "range": [1, 9]}, id="call_a"),
        ToolCallSpec("grep", {"pattern": "a\\nb"}, id="call_b"),
    ],
    usage=UsageSpec(input_tokens=10, output_tokens=20, cache_read_tokens=3, cache_write_tokens=4),
    delta_size=3,
)


_REFERENCE: dict[str, list[object]] = {}


def _parse(server: ScriptedLLMServer, kind, chunk_at: tuple[int, ...] | None) -> list[object]:
    async def run() -> list[object]:
        provider = make_provider(kind, server)
        try:
            result = await collect(provider, user_request(thinking_budget=2048))
        finally:
            await provider.aclose()
        assert result.error is None, result.error
        # Ollama has no call ids: codesm makes random ones.
        return [
            e.model_copy(update={"call_id": str(i)}) if isinstance(e, ToolCall) else e
            for i, e in enumerate(result.events)
        ]

    server.chunk_at = chunk_at
    server.script(TURN)
    return asyncio.run(run())


@pytest.mark.parametrize("kind", ALL_KINDS)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(boundaries=st.lists(st.integers(min_value=1, max_value=6000), max_size=25))
def test_parsing_is_unchanged_by_chunk_boundaries(kind, boundaries, scripted_llm):
    if kind not in _REFERENCE:
        _REFERENCE[kind] = _parse(scripted_llm, kind, None)
    assert _parse(scripted_llm, kind, tuple(sorted(set(boundaries)))) == _REFERENCE[kind]
