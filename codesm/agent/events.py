"""The protocol between the agent core and every UI: events out, ops in.

Every event and op is a frozen pydantic model tagged by a ``type`` literal, so JSON round-trips
through ``parse_event`` / ``parse_op`` and a ``match`` over ``Event`` can be exhaustive. Events
that belong together (a tool call's start, output and result; an approval's request and decision;
a change's proposal and outcome) share a ``call_id``. Events that happen inside a turn carry its
``turn_id``.

Events are numbered per session only once committed: ``StoredEvent`` is the envelope with the
session's ``seq`` and the commit time. Subscribers see ``StoredEvent``s, never bare events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from codesm.agent.messages import ThinkingPart, ToolCallPart
from codesm.errors import ProtocolError

AgentMode = Literal["smart", "rush"]
PermissionMode = Literal["review", "auto-edit", "allow-all", "dry-run"]
TurnStatus = Literal["completed", "cancelled", "error", "incomplete", "paused"]

INTERRUPTED_TOOL_RESULT = "interrupted: codesm stopped before this tool finished"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- events out --------------------------------------------------------------------------------


AttachmentKind = Literal["file", "directory", "refused"]


class Attachment(_Message):
    """A file or directory the user mentioned as ``@path`` in a prompt, read when it was sent
    (so the history stays what the model saw), or why it could not be attached."""

    path: str
    """As the user wrote it (without the ``@``)."""
    kind: AttachmentKind
    content: str = ""
    """The file's text or the directory's listing, cut to the size cap."""
    note: str = ""
    """Why it was refused, or what was left out (``truncated``)."""
    size: int = 0
    """Bytes of the file on disk; entries of a directory."""


class UserMessage(_Message):
    """The prompt that starts a turn, or (``steering``) a message the user sent while the turn
    ran, added to the conversation before the turn's next model step."""

    type: Literal["user_message"] = "user_message"
    turn_id: str
    text: str
    steering: bool = False
    attachments: list[Attachment] = []
    """Files and directories mentioned as ``@path`` in ``text``, attached as Claude Code does."""


class AssistantTextDelta(_Message):
    type: Literal["assistant_text_delta"] = "assistant_text_delta"
    turn_id: str
    text: str


class ThinkingDelta(_Message):
    type: Literal["thinking_delta"] = "thinking_delta"
    turn_id: str
    text: str


class AssistantMessage(_Message):
    """The whole output of one model step; the deltas before it are its streaming preview.

    ``incomplete`` marks text kept from a stream that broke, or from a crash (see recovery).
    An incomplete message never carries tool calls that were not complete.
    """

    type: Literal["assistant_message"] = "assistant_message"
    turn_id: str
    text: str = ""
    thinking: list[ThinkingPart] = []
    tool_calls: list[ToolCallPart] = []
    incomplete: bool = False
    stop_reason: str | None = None


class ToolCallStarted(_Message):
    type: Literal["tool_call_started"] = "tool_call_started"
    turn_id: str
    call_id: str
    name: str
    arguments: dict[str, Any] = {}


class ToolOutputDelta(_Message):
    type: Literal["tool_output_delta"] = "tool_output_delta"
    turn_id: str
    call_id: str
    text: str


class ToolCallFinished(_Message):
    """The result the model will read for ``call_id`` (already truncated for the model)."""

    type: Literal["tool_call_finished"] = "tool_call_finished"
    turn_id: str
    call_id: str
    content: str
    is_error: bool = False
    interrupted: bool = False


class ApprovalRequested(_Message):
    type: Literal["approval_requested"] = "approval_requested"
    turn_id: str
    call_id: str
    kind: Literal["edit", "command", "tool", "budget"]
    title: str
    detail: str = ""
    reason: str | None = None
    change_id: str | None = None
    subagent_session_id: str | None = None
    """Set on the copy mirrored into an ancestor session: the subagent session that asks. The
    ancestor's agent accepts the answer (same ``call_id``) and passes it on."""
    parent_call_id: str | None = None
    """On a mirrored copy: this session's tool call (``task``, ...) that leads to the subagent."""


class ApprovalDecided(_Message):
    type: Literal["approval_decided"] = "approval_decided"
    turn_id: str
    call_id: str
    decision: Literal["approved", "denied"]
    comment: str | None = None
    source: Literal["user", "rule", "mode"] = "user"


class ChangeProposed(_Message):
    type: Literal["change_proposed"] = "change_proposed"
    turn_id: str
    call_id: str
    change_id: str
    paths: list[str]
    diff: str


class ChangeApplied(_Message):
    """``diff`` is the diff as written when it differs from the proposal (only some hunks were
    accepted, or format-on-save changed the text); None when the proposal was written as is."""

    type: Literal["change_applied"] = "change_applied"
    turn_id: str
    call_id: str
    change_id: str
    paths: list[str]
    diff: str | None = None


class ChangeRejected(_Message):
    type: Literal["change_rejected"] = "change_rejected"
    turn_id: str
    call_id: str
    change_id: str
    reason: Literal["user", "conflict", "dry_run", "error"] = "user"
    comment: str | None = None


class ChangeUndone(_Message):
    """An applied change was undone: its files hold their pre-images again (``call_id`` is the
    tool call that made the change; ``turn_id`` is None when undone between turns)."""

    type: Literal["change_undone"] = "change_undone"
    change_id: str
    paths: list[str]
    call_id: str | None = None
    turn_id: str | None = None


class ChangeRedone(_Message):
    """An undone change was written again."""

    type: Literal["change_redone"] = "change_redone"
    change_id: str
    paths: list[str]
    call_id: str | None = None
    turn_id: str | None = None


class ToolCallRef(_Message):
    """A tool call a model step made, named in that step's ``usage`` event for cost attribution."""

    call_id: str
    name: str


class Usage(_Message):
    """Tokens and cost of one model call. ``input_tokens`` excludes cache reads and writes."""

    type: Literal["usage"] = "usage"
    turn_id: str
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    agent: str | None = None
    """The subagent or agent type that made the call; None for the session's main agent."""
    tool_calls: list[ToolCallRef] = []
    """The tool calls this model call asked for: its cost is attributed to them."""


BudgetScope = Literal["session", "day", "turn"]


class BudgetWarning(_Message):
    """Spending reached 80% (``exceeded`` False) or 100% (True) of a ``codesm.budget.*`` limit."""

    type: Literal["budget_warning"] = "budget_warning"
    turn_id: str | None = None
    scope: BudgetScope
    limit_usd: float
    spent_usd: float
    exceeded: bool = False


class ContextFile(_Message):
    """One instruction file in a ``ContextReport``: its display name and its tokens."""

    name: str
    tokens: int


class ContextReport(_Message):
    """What fills the model's context window now, in tokens (the ``/context`` breakdown).

    Estimated offline (characters / 4) and scaled by the last usage report's real prompt size.
    Numbers and file names only, never contents, so share-link viewers may see it. ``history``
    is ``user_messages + assistant_messages`` (older reports only have the sum); ``thinking``
    and ``tool_outputs`` are counted apart. ``trigger`` "step" marks the report published after
    each model step (the live panel), "command" one asked for with ``/context``.
    """

    type: Literal["context_report"] = "context_report"
    model: str
    context_window: int
    system_prompt: int = 0
    tool_schemas: int = 0
    instructions: int = 0
    mcp_tool_schemas: int = 0
    history: int = 0
    tool_outputs: int = 0
    calibrated: bool = False
    instruction_files: list[ContextFile] = []
    skills: int = 0
    user_messages: int = 0
    assistant_messages: int = 0
    thinking: int = 0
    trigger: Literal["command", "step"] = "command"
    turn_id: str | None = None


SubagentStatus = Literal["completed", "failed", "cancelled"]


class SubagentStarted(_Message):
    """A subagent started for the tool call ``call_id`` of this (the parent) session; its own
    events are in ``child_session_id``. ``index`` orders the subagents of one call."""

    type: Literal["subagent_started"] = "subagent_started"
    turn_id: str
    call_id: str
    child_session_id: str
    subagent_type: str
    model: str
    description: str = ""
    index: int = 0
    depth: int = 1
    route_reason: str | None = None
    """Why the `auto` router picked ``subagent_type`` (None when the type was given)."""


class SubagentFinished(_Message):
    """A subagent of the tool call ``call_id`` ended; ``cost_usd`` includes its own subagents."""

    type: Literal["subagent_finished"] = "subagent_finished"
    turn_id: str
    call_id: str
    child_session_id: str
    subagent_type: str
    model: str
    status: SubagentStatus
    cost_usd: float = 0.0
    duration_s: float = 0.0
    steps: int = 0
    index: int = 0
    summary: str = ""
    """The start of the result (the full text is the child session's last assistant message)."""
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    """Tokens of its own model calls, in all (its last progress may miss the last call's)."""


SubagentState = Literal["running", "completed", "failed", "cancelled"]


class SubagentProgress(_Message):
    """Where a subagent of the tool call ``call_id`` is now, as a whole snapshot (a UI replaces
    its row): sent as its model steps start and its tool calls run. ``step`` counts its model
    calls, ``activity`` says what it does (``running grep 'foo'``), ``elapsed_s``, tokens and
    ``cost_usd`` are so far. A subagent's own subagents are reported up the chain: in an ancestor
    session their progress carries ``parent_child_session_id``, the subagent they run under (None
    for a subagent this session started itself)."""

    type: Literal["subagent_progress"] = "subagent_progress"
    turn_id: str
    call_id: str
    child_session_id: str
    parent_child_session_id: str | None = None
    subagent_type: str
    model: str = ""
    description: str = ""
    depth: int = 1
    status: SubagentState = "running"
    step: int = 0
    activity: str = ""
    elapsed_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class Compaction(_Message):
    """The history before this event is replaced by ``summary`` for the model.

    Events from ``keep_from_seq`` onwards stay verbatim after the summary; it must point at a
    ``user_message`` or ``assistant_message`` so no tool call is separated from its result.
    """

    type: Literal["compaction"] = "compaction"
    turn_id: str | None = None
    summary: str
    keep_from_seq: int | None = None
    tokens_before: int = 0
    tokens_after: int = 0


class Title(_Message):
    type: Literal["title"] = "title"
    title: str


class Error(_Message):
    """A failure the user should see. ``kind`` is a short stable word (provider, tool, store...)."""

    type: Literal["error"] = "error"
    turn_id: str | None = None
    message: str
    kind: str
    retryable: bool = False


class Retry(_Message):
    type: Literal["retry"] = "retry"
    turn_id: str
    attempt: int
    delay_s: float
    reason: str = ""


class TurnStarted(_Message):
    type: Literal["turn_started"] = "turn_started"
    turn_id: str


class TurnFinished(_Message):
    type: Literal["turn_finished"] = "turn_finished"
    turn_id: str
    status: TurnStatus
    reason: str | None = None


class ModeChanged(_Message):
    type: Literal["mode_changed"] = "mode_changed"
    mode: AgentMode


class PermissionModeChanged(_Message):
    type: Literal["permission_mode_changed"] = "permission_mode_changed"
    permission_mode: PermissionMode


class ModelChanged(_Message):
    type: Literal["model_changed"] = "model_changed"
    model: str
    provider: str | None = None


Event = Annotated[
    UserMessage
    | AssistantTextDelta
    | ThinkingDelta
    | AssistantMessage
    | ToolCallStarted
    | ToolOutputDelta
    | ToolCallFinished
    | ApprovalRequested
    | ApprovalDecided
    | ChangeProposed
    | ChangeApplied
    | ChangeRejected
    | ChangeUndone
    | ChangeRedone
    | Usage
    | BudgetWarning
    | ContextReport
    | SubagentStarted
    | SubagentFinished
    | SubagentProgress
    | Compaction
    | Title
    | Error
    | Retry
    | TurnStarted
    | TurnFinished
    | ModeChanged
    | PermissionModeChanged
    | ModelChanged,
    Field(discriminator="type"),
]


class StoredEvent(_Message):
    """A committed event: its session, its per-session sequence number (from 1) and commit time."""

    session_id: str
    seq: int
    ts: datetime
    event: Event


def _types_of(union: Any) -> dict[str, type[BaseModel]]:
    members: tuple[type[BaseModel], ...] = get_args(get_args(union)[0])
    return {member.model_fields["type"].default: member for member in members}


EVENT_TYPES: Mapping[str, type[BaseModel]] = _types_of(Event)
"""Every event class by its ``type`` tag."""

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes | Mapping[str, Any]) -> Event:
    """Parse one event from JSON text or a decoded mapping; raises ``ProtocolError``."""
    try:
        if isinstance(data, str | bytes):
            return _EVENT_ADAPTER.validate_json(data)
        return _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(f"not a valid event: {exc}") from exc


def event_turn_id(event: Event) -> str | None:
    """The turn an event belongs to, if any."""
    turn_id: str | None = getattr(event, "turn_id", None)
    return turn_id


def event_call_id(event: Event) -> str | None:
    """The ``call_id`` that pairs an event with its partners, if any."""
    call_id: str | None = getattr(event, "call_id", None)
    return call_id
