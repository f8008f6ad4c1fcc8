"""Streamed deltas are committed on the leading edge: the first one after a quiet spell goes out
at once (no added latency for a slow stream), and a dense burst is batched into a few commits
that keep the text in order (the page stays smooth)."""

from __future__ import annotations

from codesm.agent.events import AssistantTextDelta, Event, ThinkingDelta
from codesm.agent.model_step import _DeltaBuffer


class Commits:
    def __init__(self) -> None:
        self.batches: list[tuple[Event, ...]] = []

    async def __call__(self, *events: Event) -> None:
        self.batches.append(events)

    def text(self) -> str:
        return "".join(
            e.text for batch in self.batches for e in batch if isinstance(e, AssistantTextDelta)
        )


async def test_the_first_delta_after_a_quiet_spell_is_committed_before_add_returns() -> None:
    commits = Commits()
    buffer = _DeltaBuffer(commits, "t1")
    await buffer.add(text="Hello")
    assert commits.text() == "Hello" and len(commits.batches) == 1
    await buffer.close()
    assert len(commits.batches) == 1


async def test_a_dense_burst_is_batched_into_few_commits_in_order() -> None:
    commits = Commits()
    buffer = _DeltaBuffer(commits, "t1")
    words = [f"w{i} " for i in range(200)]
    for word in words:
        await buffer.add(text=word, thinking="." if word == "w5 " else "")
    await buffer.close()
    assert commits.text() == "".join(words)
    assert len(commits.batches) < len(words) / 4
    thinking = [e for batch in commits.batches for e in batch if isinstance(e, ThinkingDelta)]
    assert [e.text for e in thinking] == ["."]


async def test_a_delta_that_comes_within_the_frame_is_committed_by_the_timer() -> None:
    commits = Commits()
    buffer = _DeltaBuffer(commits, "t1")
    await buffer.add(text="one ")
    await buffer.add(text="two")
    timer = buffer._timer  # None only if the machine stalled past the frame between the adds
    if timer is not None:
        await timer
    assert commits.text() == "one two"
    await buffer.close()
    assert commits.text() == "one two"
