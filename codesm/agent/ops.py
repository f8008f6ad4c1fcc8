"""Ops: what a UI asks the agent core to do (the other half of the protocol in `events.py`).

Every op is a frozen pydantic model tagged by a ``type`` literal; ``parse_op`` reads one from a
WebSocket frame, a stream-json line or a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from codesm.agent.events import AgentMode, BudgetScope, PermissionMode
from codesm.errors import ProtocolError


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmitPrompt(_Message):
    type: Literal["submit_prompt"] = "submit_prompt"
    text: str
    mode: AgentMode | None = None
    model: str | None = None


class Cancel(_Message):
    type: Literal["cancel"] = "cancel"
    turn_id: str | None = None


class Approve(_Message):
    """Approve the pending request for ``call_id``; ``hunks`` selects hunks of an edit (0-based)."""

    type: Literal["approve"] = "approve"
    call_id: str
    hunks: list[int] | None = None
    remember: Literal["session", "project"] | None = None
    """Also allow calls like this one from now on ("always allow"), for the session or project."""


class Deny(_Message):
    type: Literal["deny"] = "deny"
    call_id: str
    comment: str | None = None


class Answer(_Message):
    """Decide a pending request and tell the model why."""

    type: Literal["answer"] = "answer"
    call_id: str
    decision: Literal["approve", "deny"]
    comment: str


class SetMode(_Message):
    type: Literal["set_mode"] = "set_mode"
    mode: AgentMode


class SetPermissionMode(_Message):
    type: Literal["set_permission_mode"] = "set_permission_mode"
    permission_mode: PermissionMode


class SetModel(_Message):
    type: Literal["set_model"] = "set_model"
    model: str


class Compact(_Message):
    type: Literal["compact"] = "compact"
    instructions: str | None = None


class SetBudget(_Message):
    """Change a budget for this agent's session (None removes it); a pending budget question is
    answered "continue" when the new limit is above what was spent."""

    type: Literal["set_budget"] = "set_budget"
    scope: BudgetScope
    usd: float | None = Field(default=None, ge=0)


class ShowContext(_Message):
    """Ask for a ``context_report`` event (the ``/context`` command)."""

    type: Literal["show_context"] = "show_context"


class UndoChange(_Message):
    """Undo an applied change; ``change_id`` None means the session's last applied change."""

    type: Literal["undo_change"] = "undo_change"
    change_id: str | None = None


class RedoChange(_Message):
    """Redo an undone change; ``change_id`` None means the session's last undone change."""

    type: Literal["redo_change"] = "redo_change"
    change_id: str | None = None


class SteerSubagent(_Message):
    """Send a message to a running subagent of this session (at any depth): it joins the
    subagent's conversation before its next model step."""

    type: Literal["steer_subagent"] = "steer_subagent"
    child_session_id: str
    text: str = Field(min_length=1, max_length=20_000)


class CancelSubagent(_Message):
    """Stop one running subagent of this session (at any depth); its siblings go on."""

    type: Literal["cancel_subagent"] = "cancel_subagent"
    child_session_id: str


Op = Annotated[
    SubmitPrompt
    | Cancel
    | Approve
    | Deny
    | Answer
    | SetMode
    | SetPermissionMode
    | SetModel
    | Compact
    | SetBudget
    | ShowContext
    | UndoChange
    | RedoChange
    | SteerSubagent
    | CancelSubagent,
    Field(discriminator="type"),
]


def _types_of(union: Any) -> dict[str, type[BaseModel]]:
    members: tuple[type[BaseModel], ...] = get_args(get_args(union)[0])
    return {member.model_fields["type"].default: member for member in members}


OP_TYPES: Mapping[str, type[BaseModel]] = _types_of(Op)
"""Every op class by its ``type`` tag."""

_OP_ADAPTER: TypeAdapter[Op] = TypeAdapter(Op)


def parse_op(data: str | bytes | Mapping[str, Any]) -> Op:
    """Parse one op from JSON text or a decoded mapping; raises ``ProtocolError``."""
    try:
        if isinstance(data, str | bytes):
            return _OP_ADAPTER.validate_json(data)
        return _OP_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(f"not a valid op: {exc}") from exc
