"""The model's message history, derived from a session's event log, and the rules it must keep.

The log is the only truth; the history is a pure function of it:

- ``user_message`` -> a user text part, then one delimited text part per ``@path`` attachment;
- ``assistant_message`` -> an assistant message (thinking, text, tool calls);
- ``tool_call_finished`` -> a tool result in the user message that follows, ordered as the calls
  were made, before any user text;
- the last ``compaction`` replaces everything before it with its summary (as user text), keeping
  the events from its ``keep_from_seq`` onwards verbatim.

Deltas, approvals, changes and the rest are for UIs only. Adjacent user parts are merged into one
message; an ``incomplete`` assistant message without tool calls that is followed by another
assistant message was superseded by a retry and is dropped; messages left with nothing to say
(thinking only, empty text) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from codesm.agent.events import (
    AssistantMessage,
    Attachment,
    Compaction,
    Event,
    StoredEvent,
    ToolCallFinished,
    UserMessage,
)
from codesm.agent.messages import (
    Message,
    Part,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from codesm.errors import TranscriptError

COMPACTION_PREFIX = (
    "The earlier part of this conversation was compacted. Summary of what happened:\n\n"
)


@dataclass
class _Draft:
    role: Literal["user", "assistant"]
    parts: list[Part] = field(default_factory=list)
    superseded_if_followed: bool = False


class _Builder:
    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.pending: list[ToolResultPart] = []
        self.call_order: dict[str, int] = {}

    def add(self, event: Event) -> None:
        if isinstance(event, UserMessage):
            self.user_text(event.text, event.attachments)
        elif isinstance(event, AssistantMessage):
            self.assistant(event)
        elif isinstance(event, ToolCallFinished):
            self.pending.append(
                ToolResultPart(
                    call_id=event.call_id, content=event.content, is_error=event.is_error
                )
            )

    def user_text(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        self.flush_results()
        parts: list[Part] = [TextPart(text=text)] if text.strip() else []
        parts += [TextPart(text=attachment_block(a)) for a in attachments]
        if parts:
            self._user_parts(parts)

    def assistant(self, event: AssistantMessage) -> None:
        parts: list[Part] = [
            ThinkingPart(text=thinking.text, signature=thinking.signature)
            for thinking in event.thinking
            if thinking.text or thinking.signature
        ]
        if event.text.strip():
            parts.append(TextPart(text=event.text))
        parts.extend(event.tool_calls)
        if not event.text.strip() and not event.tool_calls:
            return
        self.flush_results()
        last = self.drafts[-1] if self.drafts else None
        if last is not None and last.role == "assistant" and not last.superseded_if_followed:
            last.parts.extend(parts)
        else:
            if last is not None and last.role == "assistant":
                self.drafts.pop()
            superseded = event.incomplete and not event.tool_calls
            self.drafts.append(_Draft("assistant", parts, superseded))
        calls = [part.call_id for part in self.drafts[-1].parts if isinstance(part, ToolCallPart)]
        self.call_order = {call_id: i for i, call_id in enumerate(calls)}

    def flush_results(self) -> None:
        if not self.pending:
            return
        unknown = len(self.call_order)
        ordered = sorted(
            enumerate(self.pending),
            key=lambda item: (self.call_order.get(item[1].call_id, unknown), item[0]),
        )
        self.pending = []
        self._user_parts([result for _, result in ordered])

    def _user_parts(self, parts: list[Part]) -> None:
        if self.drafts and self.drafts[-1].role == "user":
            self.drafts[-1].parts.extend(parts)
        else:
            self.drafts.append(_Draft("user", list(parts)))

    def messages(self) -> list[Message]:
        self.flush_results()
        return [Message(role=draft.role, parts=draft.parts) for draft in self.drafts]


def build_transcript(events: Iterable[StoredEvent]) -> list[Message]:
    """The provider-neutral history for a session's committed events (in ``seq`` order)."""
    stored = list(events)
    builder = _Builder()
    start = 0
    for index in range(len(stored) - 1, -1, -1):
        compaction = stored[index].event
        if isinstance(compaction, Compaction):
            builder.user_text(COMPACTION_PREFIX + compaction.summary)
            keep_from = compaction.keep_from_seq
            if keep_from is not None:
                for item in stored[:index]:
                    if item.seq >= keep_from:
                        builder.add(item.event)
            start = index + 1
            break
    for item in stored[start:]:
        builder.add(item.event)
    return builder.messages()


def validate_transcript(messages: Sequence[Message]) -> None:
    """Raise ``TranscriptError`` unless ``messages`` is a history every provider accepts.

    The rules, with the ``rule`` identifier each violation carries:

    - ``first_not_user``: the first message is from the user;
    - ``roles_not_alternating``: user and assistant messages alternate;
    - ``empty_message``: no message is without parts; ``empty_text``: no text part is blank;
    - ``part_not_allowed``: user messages hold only text and tool results, assistant messages only
      thinking, text and tool calls;
    - ``duplicate_call_id``: every tool call id is unique in the history;
    - ``tool_call_without_result``: every tool call of an assistant message has a result in the
      very next message (so an assistant message with tool calls is never last);
    - ``tool_result_without_call``: every tool result answers a call of the message just before;
    - ``duplicate_tool_result``: no call has two results;
    - ``tool_result_after_text``: in a user message, tool results come before any text.

    An empty history is valid.
    """
    seen_calls: set[str] = set()
    open_calls: list[str] = []
    for index, message in enumerate(messages):
        if index == 0 and message.role != "user":
            raise TranscriptError(
                "the first message is not from the user", rule="first_not_user", index=index
            )
        if index > 0 and messages[index - 1].role == message.role:
            raise TranscriptError(
                f"two {message.role} messages in a row", rule="roles_not_alternating", index=index
            )
        if not message.parts:
            raise TranscriptError("a message has no parts", rule="empty_message", index=index)
        if message.role == "user":
            _check_user(message, index, open_calls)
            open_calls = []
        else:
            if open_calls:
                raise _missing(open_calls, index - 1)
            open_calls = _check_assistant(message, index, seen_calls)
    if open_calls:
        raise _missing(open_calls, len(messages) - 1)


def _missing(calls: list[str], index: int) -> TranscriptError:
    return TranscriptError(
        f"tool calls without a result: {', '.join(calls)}",
        rule="tool_call_without_result",
        index=index,
    )


def _check_user(message: Message, index: int, open_calls: list[str]) -> None:
    answered: set[str] = set()
    seen_text = False
    for part in message.parts:
        if isinstance(part, TextPart):
            if not part.text.strip():
                raise TranscriptError("a text part is blank", rule="empty_text", index=index)
            seen_text = True
        elif isinstance(part, ToolResultPart):
            if seen_text:
                raise TranscriptError(
                    "a tool result comes after text", rule="tool_result_after_text", index=index
                )
            if part.call_id not in open_calls:
                raise TranscriptError(
                    f"tool result {part.call_id!r} answers no call of the previous message",
                    rule="tool_result_without_call",
                    index=index,
                )
            if part.call_id in answered:
                raise TranscriptError(
                    f"tool call {part.call_id!r} has two results",
                    rule="duplicate_tool_result",
                    index=index,
                )
            answered.add(part.call_id)
        else:
            raise TranscriptError(
                f"a user message holds a {part.type} part", rule="part_not_allowed", index=index
            )
    missing = [call_id for call_id in open_calls if call_id not in answered]
    if missing:
        raise _missing(missing, index - 1)


def _check_assistant(message: Message, index: int, seen_calls: set[str]) -> list[str]:
    calls: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if not part.text.strip():
                raise TranscriptError("a text part is blank", rule="empty_text", index=index)
        elif isinstance(part, ToolCallPart):
            if part.call_id in seen_calls:
                raise TranscriptError(
                    f"tool call id {part.call_id!r} is used twice",
                    rule="duplicate_call_id",
                    index=index,
                )
            seen_calls.add(part.call_id)
            calls.append(part.call_id)
        elif not isinstance(part, ThinkingPart):
            raise TranscriptError(
                f"an assistant message holds a {part.type} part",
                rule="part_not_allowed",
                index=index,
            )
    return calls


def attachment_block(attachment: Attachment) -> str:
    """What the model reads for one ``@path`` attachment: a clearly delimited block (starting on
    a new paragraph, since some adapters join a message's text parts)."""
    path = attachment.path.replace('"', "%22")
    if attachment.kind == "refused":
        note = attachment.note
        return f'\n\n<attached-file path="{path}" status="not attached">{note}</attached-file>'
    tag = "attached-directory" if attachment.kind == "directory" else "attached-file"
    note = f' note="{attachment.note}"' if attachment.note else ""
    body = attachment.content if attachment.content.endswith("\n") else attachment.content + "\n"
    return f'\n\n<{tag} path="{path}"{note}>\n{body}</{tag}>'
