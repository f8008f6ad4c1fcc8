"""Approval modals: an edit's diff reviewed hunk by hunk, or a command allowed once, always,
or denied. Each is a typed `ModalScreen` dismissed with an `ApprovalDecision`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from codesm.agent.events import ApprovalRequested
from codesm.tui.diff import Hunk, parse_hunks, render_hunk


@dataclass(frozen=True)
class ApprovalDecision:
    approved: bool
    hunks: list[int] | None = None
    """Edits: the accepted hunks (None: all of them)."""
    comment: str | None = None
    always: bool = False
    """Commands: allow this exact command for the rest of the session."""
    project: bool = False
    """Commands: allow this exact command in this project from now on (with `always`)."""


class HunkView(Static, can_focus=True):
    """One hunk with its accept/reject mark; space toggles it."""

    DEFAULT_CSS = """
    HunkView { padding: 0 1; margin-bottom: 1; border-left: thick $success; height: auto; }
    HunkView.-rejected { border-left: thick $error; opacity: 70%; }
    HunkView:focus { background: $boost; }
    """

    def __init__(self, hunk: Hunk, total: int) -> None:
        super().__init__(markup=False)
        self.hunk = hunk
        self.total = total
        self.accepted = True

    def on_mount(self) -> None:
        self._show()

    def toggle(self) -> None:
        self.accepted = not self.accepted
        self.set_class(not self.accepted, "-rejected")
        self._show()

    def _show(self) -> None:
        mark = "[✓] accept" if self.accepted else "[✗] reject"
        head = Text.assemble(
            (mark, "bold green" if self.accepted else "bold red"),
            f"  hunk {self.hunk.index + 1}/{self.total}  ",
            (self.hunk.path, "bold"),
            f"  {self.hunk.header}\n",
        )
        self.update(head + render_hunk(self.hunk))


class ApprovalScreen(ModalScreen[ApprovalDecision]):
    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical {
        width: 90%;
        height: auto;
        max-height: 90%;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    ApprovalScreen .title { text-style: bold; margin-bottom: 1; }
    ApprovalScreen .reason { color: $text-muted; }
    ApprovalScreen .detail { height: auto; max-height: 20; }
    ApprovalScreen Horizontal { height: auto; margin-top: 1; }
    ApprovalScreen Button { margin-right: 1; }
    ApprovalScreen Input { margin-top: 1; }
    """

    def __init__(self, request: ApprovalRequested) -> None:
        super().__init__()
        self.request = request
        self.comment = Input(
            placeholder="comment for the model (sent when you reject)", id="comment"
        )

    def _comment(self) -> str | None:
        return self.comment.value.strip() or None

    def action_deny(self) -> None:
        self.dismiss(ApprovalDecision(False, comment=self._comment()))


class EditApprovalScreen(ApprovalScreen):
    """The proposed diff, hunk by hunk: space toggles the focused hunk, enter applies the
    accepted ones, `r` (or Escape) rejects the whole change with the comment."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_hunk", "accept/reject hunk"),
        Binding("down,j", "move(1)", "next hunk", show=False),
        Binding("up,k", "move(-1)", "previous hunk", show=False),
        Binding("ctrl+s", "apply", "apply accepted"),
        Binding("escape", "deny", "reject all"),
    ]

    def compose(self) -> ComposeResult:
        hunks = parse_hunks(self.request.detail)
        with Vertical():
            yield Static(Text(f"Review edit: {self.request.title}"), classes="title")
            if self.request.reason:
                yield Static(Text(self.request.reason), classes="reason")
            with VerticalScroll(classes="detail", id="hunks"):
                for hunk in hunks:
                    yield HunkView(hunk, len(hunks))
            yield Static(
                "space toggles a hunk · ↑/↓ move · ctrl+s applies the accepted hunks · "
                "esc rejects all",
                classes="reason",
            )
            yield self.comment
            with Horizontal():
                yield Button("Apply accepted", variant="success", id="apply")
                yield Button("Reject", variant="error", id="reject")

    def on_mount(self) -> None:
        first = self.query(HunkView).first() if self.query(HunkView) else None
        if first is not None:
            first.focus()

    def hunk_views(self) -> list[HunkView]:
        return list(self.query(HunkView))

    def action_toggle_hunk(self) -> None:
        if isinstance(self.focused, HunkView):
            self.focused.toggle()

    def action_move(self, step: int) -> None:
        views = self.hunk_views()
        if not views:
            return
        current = views.index(self.focused) if self.focused in views else -1
        target = views[(current + step) % len(views)]
        target.focus()
        target.scroll_visible()

    def action_apply(self) -> None:
        views = self.hunk_views()
        accepted = [v.hunk.index for v in views if v.accepted]
        if views and not accepted:
            self.dismiss(ApprovalDecision(False, comment=self._comment() or "all hunks rejected"))
        elif len(accepted) == len(views):
            self.dismiss(ApprovalDecision(True))
        else:
            self.dismiss(ApprovalDecision(True, hunks=accepted, comment=self._comment()))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply() if event.button.id == "apply" else self.action_deny()


class CommandApprovalScreen(ApprovalScreen):
    """A command or tool call: allow once (y), always for this session (a), always in this
    project (p), or deny (n)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "allow", "allow once"),
        Binding("a", "always", "always allow"),
        Binding("p", "project", "always in this project"),
        Binding("n,escape", "deny", "deny"),
    ]

    def compose(self) -> ComposeResult:
        always = self.request.kind == "command"
        with Vertical():
            yield Static(Text(f"Allow: {self.request.title}"), classes="title")
            if self.request.reason:
                yield Static(Text(self.request.reason), classes="reason")
            with VerticalScroll(classes="detail"):
                yield Static(Text(self.request.detail), markup=False)
            yield self.comment
            with Horizontal():
                yield Button("Allow once (y)", variant="success", id="allow")
                if always:
                    yield Button("Always this session (a)", variant="primary", id="always")
                    yield Button("Always in this project (p)", id="project")
                yield Button("Deny (n)", variant="error", id="deny")

    def on_mount(self) -> None:
        self.query_one("#allow", Button).focus()

    def action_allow(self) -> None:
        self.dismiss(ApprovalDecision(True))

    def action_always(self) -> None:
        if self.request.kind == "command":
            self.dismiss(ApprovalDecision(True, always=True))

    def action_project(self) -> None:
        if self.request.kind == "command":
            self.dismiss(ApprovalDecision(True, always=True, project=True))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {"allow": self.action_allow, "always": self.action_always,
                   "project": self.action_project}  # fmt: skip
        actions.get(event.button.id or "", self.action_deny)()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_deny()


def approval_screen(request: ApprovalRequested) -> ApprovalScreen:
    if request.kind == "edit":
        return EditApprovalScreen(request)
    return CommandApprovalScreen(request)
