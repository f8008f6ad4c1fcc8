"""Session events folded into a `SessionView` state, and into htmx out-of-band fragments.

Every element that changes has a stable id (a turn, a message, a tool card and an approval keyed
by `call_id`, a change keyed by `change_id`). Streamed text is appended to the open message with
`beforeend` swaps of escaped text; the message is rendered as markdown once, when it is final.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from markupsafe import Markup, escape

from codesm.agent.context_usage import context_after
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
from codesm.web.render.notices import budget_text, compaction_text, context_text, retry_text
from codesm.web.render.oob import DELETE_EMPTY_STATE, append_to
from codesm.web.render.review_cards import ReviewCards
from codesm.web.render.subagent_rows import SubagentEvent, fold_subagent
from codesm.web.render.view import (
    ApprovalView,
    ChangeView,
    MessageView,
    NoticeView,
    StatusView,
    ToolView,
    TurnView,
    dom_id,
)

MAX_TURNS_SHOWN = 100
Macros = Any


class SessionRenderer(ReviewCards):
    """One page's view of one session; `apply` returns the fragments to push (when live).
    Approval and change cards fold in `ReviewCards`, subagent rows in `subagent_rows`."""

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
        self.turns_before = 0
        """Turns older than the first one folded in (see `tail_fold`): counted as hidden."""

    # --- rendering ---------------------------------------------------------------------------

    def transcript(self, max_turns: int = MAX_TURNS_SHOWN) -> Markup:
        turn_positions = [i for i, e in enumerate(self.entries) if isinstance(e, TurnView)]
        hidden = max(0, len(turn_positions) - max_turns)
        start = turn_positions[hidden] if hidden else 0
        return Markup(self.m.transcript(self.entries[start:], self.turns_before + hidden))

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
                update = tool_or_none.add_output(event.text) if tool_or_none else None
                if update is not None:
                    self._emit(out, lambda: update.fragment)
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
                self._change_proposed(event, out)
            case ChangeApplied() | ChangeRejected():
                self._change_outcome(event, out)
            case ChangeUndone() | ChangeRedone():
                self._change_undone(event, out)
            case Usage():
                self.status.cost_usd += event.cost_usd
                filled = context_after(event)
                if filled is not None:
                    self.status.context_tokens = filled
                self._emit(out, lambda: m.status_usage(self.status))
            case Compaction():
                self._notice(event.turn_id, "compaction", compaction_text(event), out)
            case Title():
                self.status.title = event.title
                self._emit(out, lambda: m.session_title(self.status))
            case Error():
                self._notice(event.turn_id, "error", event.message, out)
            case Retry():
                self._notice(event.turn_id, "retry", retry_text(event), out)
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
                self._notice(event.turn_id, "warn", budget_text(event), out)
            case ContextReport():
                self.status.context_window = event.context_window
                self.context, self.context_asked = event, event.trigger == "command"
                if self.context_asked:
                    self._notice(None, "info", context_text(event), out)
            case SubagentStarted() | SubagentFinished() | SubagentProgress():
                self._subagent(stored, event, out)
            case _:
                assert_never(event)

    def _subagent(self, stored: StoredEvent, event: SubagentEvent, out: list[str] | None) -> None:
        tool = self.tools.get(event.call_id)
        update = fold_subagent(tool, event, stored.ts) if tool is not None else None
        if update is None:
            return
        row = update.row
        if update.created:
            self._emit(out, lambda: append_to(update.holder, self.m.subagent_row(row)))
            return
        self._emit(out, lambda: self.m.subagent_state(row))
        if update.controls_changed:
            self._emit(out, lambda: self.m.subagent_controls(row))

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

    def _notice(self, turn_id: str | None, kind: str, text: str, out: list[str] | None) -> None:
        # One notice per event at most, so its seq names it whatever the fold started from.
        notice = NoticeView(f"notice-{self.last_seq}", kind, text)
        turn = self._turn(turn_id)
        if turn is None:
            self.entries.append(notice)
            self._emit(out, lambda: append_to("transcript", self.m.notice(notice)))
            return
        self._close_message(turn, out)
        turn.items.append(notice)
        self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.notice(notice)))
