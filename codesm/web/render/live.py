"""Session events folded into a `SessionView` state, and into htmx out-of-band fragments.

Every element that changes has a stable id (a turn, a message, a tool card and an approval keyed
by `call_id`, a change keyed by `change_id`). Streamed text is appended to the open message with
`beforeend` swaps of escaped text; the message is rendered as markdown once, when it is final.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from markupsafe import Markup, escape

from codesm.agent.context_usage import context_after, report_total
from codesm.agent.events import (
    ApprovalDecided,
    ApprovalRequested,
    AssistantMessage,
    AssistantTextDelta,
    BudgetWarning,
    ChangeApplied,
    ChangeProposed,
    ChangeRedone,
    ChangeRejected,
    ChangeUndone,
    Compaction,
    ContextReport,
    Error,
    ModeChanged,
    ModelChanged,
    PermissionModeChanged,
    Retry,
    StoredEvent,
    SubagentFinished,
    SubagentProgress,
    SubagentStarted,
    ThinkingDelta,
    Title,
    ToolCallFinished,
    ToolCallStarted,
    ToolOutputDelta,
    TurnFinished,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.security.redact import Redactor
from codesm.web.render.diff import DiffLayout
from codesm.web.render.held import StreamHold
from codesm.web.render.view import (
    ApprovalView,
    ChangeView,
    MessageView,
    NoticeView,
    StatusView,
    SubagentView,
    ToolView,
    TurnView,
    dom_id,
)

MAX_TURNS_SHOWN = 100
DELETE_EMPTY_STATE = '<div id="transcript-empty" hx-swap-oob="delete"></div>'
Macros = Any


def append_to(target: str, html: str | Markup) -> str:
    """An OOB fragment that appends `html` (already safe) inside element `#target`."""
    return f'<div hx-swap-oob="beforeend:#{target}">{html}</div>'


class SessionRenderer:
    """One page's view of one session; `apply` returns the fragments to push (when live)."""

    def __init__(
        self,
        macros: Macros,
        status: StatusView,
        model_label: Callable[[str], str],
        *,
        diff_layout: DiffLayout = "unified",
        hold_for: Redactor | None = None,
    ):
        """`hold_for`: a guest's redactor; streamed text is then held back until it cannot be
        part of a secret (see `held.py`)."""
        self.m = macros
        self.hold_for = hold_for
        self.status = status
        self.model_label = model_label
        self.diff_layout: DiffLayout = diff_layout
        self.entries: list[TurnView | NoticeView] = []
        self.turns: dict[str, TurnView] = {}
        self.tools: dict[str, ToolView] = {}
        self.approvals: dict[str, ApprovalView] = {}
        self.changes: dict[str, ChangeView] = {}
        self.context: ContextReport | None = None
        """The newest context breakdown (the Context panel shows it)."""
        self.context_asked = False
        """The newest breakdown was asked for with `/context` (the panel opens)."""
        self.last_seq = 0
        self._notices = 0

    # --- rendering ---------------------------------------------------------------------------

    def transcript(self, max_turns: int = MAX_TURNS_SHOWN) -> Markup:
        turn_positions = [i for i, e in enumerate(self.entries) if isinstance(e, TurnView)]
        hidden = max(0, len(turn_positions) - max_turns)
        start = turn_positions[hidden] if hidden else 0
        return Markup(self.m.transcript(self.entries[start:], hidden))

    # --- folding -----------------------------------------------------------------------------

    def apply(self, stored: StoredEvent, *, live: bool = True) -> list[str]:
        """Fold one event in; returns its fragments when `live` (else renders nothing)."""
        if stored.seq <= self.last_seq:
            return []
        self.last_seq = stored.seq
        out: list[str] = []
        self._fold(stored, out if live else None)
        return out

    def _turn(self, turn_id: str | None) -> TurnView | None:
        if turn_id is None:
            return None
        turn = self.turns.get(turn_id)
        if turn is None:  # events of a turn whose start is not in this view
            turn = TurnView(turn_id, dom_id("turn", turn_id))
            self.turns[turn_id] = turn
            self.entries.append(turn)
        return turn

    def _emit(self, out: list[str] | None, make: Callable[[], str | Markup]) -> None:
        if out is not None:
            out.append(str(make()))

    def _fold(self, stored: StoredEvent, out: list[str] | None) -> None:
        event = stored.event
        m = self.m
        match event:
            case TurnStarted():
                fresh = not self.entries
                turn = self._turn(event.turn_id)
                assert turn is not None
                turn.status = "running"
                self.status.running = True
                if fresh:
                    self._emit(out, lambda: DELETE_EMPTY_STATE)
                self._emit(out, lambda: append_to("transcript", m.turn(turn)))
                self._emit(out, lambda: m.run_state(self.status))
            case UserMessage() if event.steering:
                self._notice(event.turn_id, "steer", f"Steered: {event.text}", out)
            case UserMessage():
                turn = self._turn(event.turn_id)
                assert turn is not None
                turn.user_text = event.text
                turn.attachments = event.attachments
                self._emit(out, lambda: m.user_message(turn))
            case AssistantTextDelta() | ThinkingDelta():
                turn = self._turn(event.turn_id)
                assert turn is not None
                self._delta(turn, event, out)
            case AssistantMessage():
                turn = self._turn(event.turn_id)
                assert turn is not None
                self._final_message(turn, event, out)
            case ToolCallStarted():
                owner = self._turn(event.turn_id)
                assert owner is not None
                self._close_message(owner, out)
                tool = ToolView(
                    dom_id("tool", event.call_id), event.call_id, event.name, event.arguments,
                    started=stored.ts, output_hold=self._hold(),
                )  # fmt: skip
                self.tools[event.call_id] = tool
                owner.items.append(tool)
                self._emit(out, lambda: append_to(f"{owner.dom}-body", m.tool(tool)))
            case ToolOutputDelta():
                tool_or_none = self.tools.get(event.call_id)
                if tool_or_none is not None:
                    running = tool_or_none
                    kept = running.add_output(event.text)
                    if kept and running.output_hold is not None:
                        kept = running.output_hold.feed(kept)
                    if kept:
                        self._emit(out, lambda: append_to(f"{running.dom}-out", escape(kept)))
            case ToolCallFinished():
                finished = self.tools.get(event.call_id)
                if finished is not None:
                    finished.result = event.content
                    finished.is_error = event.is_error
                    finished.interrupted = event.interrupted
                    finished.finished = stored.ts
                    self._emit(out, lambda: m.tool(finished))
            case ApprovalRequested():
                self._approval_requested(event, out)
            case ApprovalDecided():
                self._approval_decided(event, out)
            case ChangeProposed():
                turn = self._turn(event.turn_id)
                assert turn is not None
                self._close_message(turn, out)
                change = ChangeView(
                    dom_id("change", event.change_id), event.change_id, event.call_id,
                    event.paths, event.diff, layout=self.diff_layout,
                )  # fmt: skip
                self.changes[event.change_id] = change
                turn.items.append(change)
                self._emit(out, lambda: append_to(f"{turn.dom}-body", m.change(change, turn)))
            case ChangeApplied() | ChangeRejected():
                self._change_outcome(event, out)
            case ChangeUndone() | ChangeRedone():
                undone = self.changes.get(event.change_id)
                if undone is not None:
                    undone.status = "undone" if isinstance(event, ChangeUndone) else "applied"
                    holder = self.turns.get(event.turn_id or "") or self._owner_of(undone)
                    if holder is not None and undone in holder.items:
                        self._emit(out, lambda: self.m.change(undone, holder))
            case Usage():
                self.status.cost_usd += event.cost_usd
                filled = context_after(event)
                if filled is not None:
                    self.status.context_tokens = filled
                self._emit(out, lambda: m.status_usage(self.status))
            case Compaction():
                text = f"Earlier messages were summarised ({event.tokens_before:,} -> "
                text += f"{event.tokens_after:,} tokens)."
                self._notice(event.turn_id, "compaction", text, out)
            case Title():
                self.status.title = event.title
                self._emit(out, lambda: m.session_title(self.status))
            case Error():
                self._notice(event.turn_id, "error", event.message, out)
            case Retry():
                text = f"Retrying in {event.delay_s:.1f} s (attempt {event.attempt})"
                self._notice(
                    event.turn_id, "retry", f"{text}: {event.reason}" if event.reason else text, out
                )
            case TurnFinished():
                self._turn_finished(event, out)
            case ModeChanged():
                self.status.mode = event.mode
                self._emit(out, lambda: m.status_mode(self.status))
            case PermissionModeChanged():
                self.status.permission_mode = event.permission_mode
                self._emit(out, lambda: m.status_permission(self.status))
            case ModelChanged():
                self.status.model = self.model_label(event.model)
                self._emit(out, lambda: m.status_model(self.status))
            case BudgetWarning():
                state = "reached" if event.exceeded else "nearly reached"
                text = f"The {event.scope} budget is {state}: ${event.spent_usd:.2f} of "
                self._notice(event.turn_id, "warn", f"{text}${event.limit_usd:.2f} spent.", out)
            case ContextReport():
                self.status.context_window = event.context_window
                self.context, self.context_asked = event, event.trigger == "command"
                if self.context_asked:
                    used = report_total(event)
                    text = f"Context of {event.model}: {used:,} of {event.context_window:,} "
                    text += f"tokens ({100 * used / max(1, event.context_window):.1f}%); "
                    self._notice(None, "info", text + "the Context panel shows what.", out)
            case SubagentStarted() | SubagentFinished() | SubagentProgress():
                self._subagent(event, out)
            case _:
                assert_never(event)

    def _subagent(
        self, event: SubagentStarted | SubagentFinished | SubagentProgress, out: list[str] | None
    ) -> None:
        """A subagent's row in its tool card (nested under its parent subagent's row when it
        was started by one): added once, then only its state line and controls are replaced,
        so a steer message being typed in the row survives the live updates."""
        tool = self.tools.get(event.call_id)
        if tool is None:
            return
        rows, holder = tool.subagents, f"{tool.dom}-subagents"
        under = event.parent_child_session_id if isinstance(event, SubagentProgress) else None
        if under is not None:
            parent = _find_subagent(tool.subagents, under)
            if parent is None:
                return
            rows, holder = parent.children, f"{parent.dom}-children"
        row = rows.get(event.child_session_id)
        created = row is None
        if row is None:
            row = SubagentView(event.child_session_id, event.subagent_type, event.model)
            rows[event.child_session_id] = row
        was_running = row.running
        _update_subagent(row, event)
        child = row
        if created:
            self._emit(out, lambda: append_to(holder, self.m.subagent_row(child)))
            return
        self._emit(out, lambda: self.m.subagent_state(child))
        if was_running != child.running:
            self._emit(out, lambda: self.m.subagent_controls(child))

    def _delta(
        self, turn: TurnView, event: AssistantTextDelta | ThinkingDelta, out: list[str] | None
    ) -> None:
        msg = turn.open_message
        thinking = isinstance(event, ThinkingDelta)
        if msg is None or (thinking and msg.text_parts):
            self._close_message(turn, out)
            turn.messages += 1
            msg = MessageView(
                f"{turn.dom}-m{turn.messages}", text_hold=self._hold(), thinking_hold=self._hold()
            )
            turn.open_message = msg
            turn.items.append(msg)
            (msg.thinking_parts if thinking else msg.text_parts).append(event.text)
            hold = msg.thinking_hold if thinking else msg.text_hold
            if hold is not None:
                hold.feed(event.text)
            created = msg
            self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.message(created)))
            return
        (msg.thinking_parts if thinking else msg.text_parts).append(event.text)
        hold = msg.thinking_hold if thinking else msg.text_hold
        released = hold.feed(event.text) if hold is not None else event.text
        suffix = "thinking" if thinking else "text"
        if thinking or len(msg.text_parts) > 1:
            target = f"{msg.dom}-{suffix}"
            if released:
                self._emit(out, lambda: append_to(target, escape(released)))
        else:  # the first text after thinking: the text element does not exist yet
            current = msg
            self._emit(out, lambda: self.m.message(current))

    def _hold(self) -> StreamHold | None:
        return StreamHold(self.hold_for) if self.hold_for is not None else None

    def _final_message(
        self, turn: TurnView, event: AssistantMessage, out: list[str] | None
    ) -> None:
        msg = turn.open_message
        thinking = "".join(part.text for part in event.thinking)
        if msg is None and not event.text and not thinking:
            return
        created = msg is None
        if msg is None:
            turn.messages += 1
            msg = MessageView(f"{turn.dom}-m{turn.messages}")
            turn.items.append(msg)
        msg.text_parts = [event.text]
        msg.thinking_parts = [thinking] if thinking else msg.thinking_parts
        msg.streaming = False
        msg.incomplete = event.incomplete
        turn.open_message = None
        final = msg
        if created:
            self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.message(final)))
        else:
            self._emit(out, lambda: self.m.message(final))

    def _close_message(self, turn: TurnView, out: list[str] | None) -> None:
        msg = turn.open_message
        if msg is None:
            return
        msg.streaming = False
        turn.open_message = None
        self._emit(out, lambda: self.m.message(msg))

    def _approval_requested(self, event: ApprovalRequested, out: list[str] | None) -> None:
        turn = self._turn(event.turn_id)
        assert turn is not None
        self._close_message(turn, out)
        approval = ApprovalView(
            dom_id("approval", event.call_id), event.call_id, event.kind, event.title,
            event.detail, event.reason, event.change_id,
        )  # fmt: skip
        self.approvals[event.call_id] = approval
        change = self.changes.get(event.change_id) if event.change_id else None
        if change is not None:
            change.approval = approval
            self._emit(out, lambda: self.m.change(change, turn))
            return
        turn.items.append(approval)
        self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.approval(approval, turn)))

    def _approval_decided(self, event: ApprovalDecided, out: list[str] | None) -> None:
        approval = self.approvals.get(event.call_id)
        turn = self._turn(event.turn_id)
        if approval is None or turn is None:
            return
        approval.decision = event.decision
        approval.comment = event.comment
        approval.source = event.source
        change = self.changes.get(approval.change_id) if approval.change_id else None
        if change is not None and change.approval is approval:
            self._emit(out, lambda: self.m.change(change, turn))
        else:
            self._emit(out, lambda: self.m.approval(approval, turn))

    def _change_outcome(self, event: ChangeApplied | ChangeRejected, out: list[str] | None) -> None:
        change = self.changes.get(event.change_id)
        turn = self._turn(event.turn_id)
        if change is None and isinstance(event, ChangeApplied):  # a command's file changes
            self.changes[event.change_id] = ChangeView(
                dom_id("change", event.change_id), event.change_id, event.call_id,
                event.paths, event.diff or "", status="applied", layout=self.diff_layout,
            )  # fmt: skip
            return
        if change is None or turn is None:
            return
        if isinstance(event, ChangeApplied):
            change.status = "applied"
        else:
            change.status = "dry run" if event.reason == "dry_run" else "rejected"
            if event.reason == "conflict":
                change.status = "conflict"
            change.comment = event.comment
        self._emit(out, lambda: self.m.change(change, turn))

    def _turn_finished(self, event: TurnFinished, out: list[str] | None) -> None:
        turn = self._turn(event.turn_id)
        assert turn is not None
        self._close_message(turn, out)
        turn.status = event.status
        turn.reason = event.reason
        for item in turn.items:
            if isinstance(item, MessageView):
                item.streaming = False
        self.status.running = any(t.running for t in self.turns.values())
        for item in turn.items:
            if isinstance(item, ApprovalView) and item.decision is None:
                item.decision = "expired"
                if out is not None:
                    out.append(str(self.m.approval(item, turn)))
        self._emit(out, lambda: self.m.turn_status(turn))
        self._emit(out, lambda: self.m.run_state(self.status))

    def change_card(self, change_id: str) -> tuple[ChangeView, TurnView] | None:
        """A change shown in the transcript and the turn that holds it."""
        change = self.changes.get(change_id)
        turn = self._owner_of(change) if change is not None else None
        return (change, turn) if change is not None and turn is not None else None

    def _owner_of(self, change: ChangeView) -> TurnView | None:
        return next((t for t in self.turns.values() if change in t.items), None)

    def _notice(self, turn_id: str | None, kind: str, text: str, out: list[str] | None) -> None:
        self._notices += 1
        notice = NoticeView(f"notice-{self._notices}-{self.last_seq}", kind, text)
        turn = self._turn(turn_id)
        if turn is None:
            self.entries.append(notice)
            self._emit(out, lambda: append_to("transcript", self.m.notice(notice)))
            return
        self._close_message(turn, out)
        turn.items.append(notice)
        self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.notice(notice)))


def _find_subagent(rows: dict[str, SubagentView], session_id: str) -> SubagentView | None:
    if session_id in rows:
        return rows[session_id]
    for row in rows.values():
        found = _find_subagent(row.children, session_id)
        if found is not None:
            return found
    return None


def _update_subagent(
    row: SubagentView, event: SubagentStarted | SubagentFinished | SubagentProgress
) -> None:
    match event:
        case SubagentStarted():
            row.description = event.description
        case SubagentFinished():
            row.status, row.summary, row.step = event.status, event.summary, event.steps or row.step
            row.cost_usd, row.duration_s = event.cost_usd, event.duration_s
        case SubagentProgress() if row.running or event.status != "running":
            row.description = event.description or row.description
            row.model = event.model or row.model
            row.status, row.step, row.activity = event.status, event.step, event.activity
            row.duration_s, row.cost_usd = event.elapsed_s, event.cost_usd
            row.input_tokens = event.input_tokens or row.input_tokens
            row.output_tokens = event.output_tokens or row.output_tokens
