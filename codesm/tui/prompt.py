"""The prompt: one input line with a dropdown that completes `@file` mentions (ranked by the
native fuzzy finder), `/` commands, and the running subagent `/steer` and `/stop-subagent` name."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from codesm.file_finder import finder_for
from codesm.tui.commands import completions
from codesm.tui.messages import PromptSubmitted
from codesm.tui.subagent_refs import RunningSubagent, completing

MENTION = re.compile(r"(?:^|\s)@(\S*)$")
SUBAGENT_REF = re.compile(r"^/(?:steer|stop-subagent) (\S*)$")
MAX_CHOICES = 8


class PromptInput(Input):
    """The input line; while the dropdown is open, arrows, Tab, Enter and Escape drive it."""

    async def _on_key(self, event: events.Key) -> None:
        bar = self.parent
        if isinstance(bar, PromptBar) and bar.completing and bar.handle_completion_key(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


class PromptBar(Vertical):
    DEFAULT_CSS = """
    PromptBar { dock: bottom; height: auto; margin-bottom: 1; }
    PromptBar OptionList {
        display: none;
        height: auto;
        max-height: 10;
        border: round $accent;
    }
    PromptBar.-completing OptionList { display: block; }
    PromptBar Input { border: round $primary; }
    """

    def __init__(
        self, root: Path, *, subagents: Callable[[], list[RunningSubagent]] | None = None
    ) -> None:
        super().__init__(id="prompt-bar")
        self.root = root
        self.subagents = subagents
        """The session's running subagents, for completing `/steer` and `/stop-subagent`."""
        self._choices = OptionList(id="completions")
        self.input = PromptInput(
            placeholder="Ask codesm…  (@ mentions a file, / for commands, enter sends)",
            id="prompt",
        )
        self._span: tuple[int, int] = (0, 0)

    def compose(self) -> ComposeResult:
        yield self._choices
        yield self.input

    @property
    def completing(self) -> bool:
        return self.has_class("-completing")

    def _close(self) -> None:
        self.remove_class("-completing")
        self._choices.clear_options()

    def _offer(self, options: list[Option], span: tuple[int, int]) -> None:
        self._choices.clear_options()
        if not options:
            self._close()
            return
        self._span = span
        self._choices.add_options(options)
        self._choices.highlighted = 0
        self.add_class("-completing")

    def handle_completion_key(self, key: str) -> bool:
        if key == "escape":
            self._close()
        elif key in ("down", "up"):
            count = self._choices.option_count
            current = self._choices.highlighted or 0
            step = 1 if key == "down" else -1
            self._choices.highlighted = (current + step) % count
        elif key == "enter" and self._typed_in_full():
            self._close()
            return False  # the command is typed out: enter sends it
        elif key in ("tab", "enter"):
            self._accept()
        else:
            return False
        return True

    def _typed_in_full(self) -> bool:
        index = self._choices.highlighted
        if index is None:
            return False
        start, end = self._span
        return self.input.value[start:end] == self._choices.get_option_at_index(index).id

    def _accept(self) -> None:
        index = self._choices.highlighted
        if index is None:
            return self._close()
        choice = self._choices.get_option_at_index(index).id or ""
        start, end = self._span
        value = self.input.value
        self.input.value = value[:start] + choice + " " + value[end:]
        self.input.cursor_position = start + len(choice) + 1
        self._close()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = self.input.value
        cursor = self.input.cursor_position
        before = value[:cursor]
        mention = MENTION.search(before)
        subagent = SUBAGENT_REF.match(before) if self.subagents is not None else None
        if mention is not None:
            self._complete_mention(mention.group(1), (cursor - len(mention.group(1)) - 1, cursor))
        elif subagent is not None and self.subagents is not None:
            typed = subagent.group(1)
            running = completing(self.subagents(), typed)
            self._offer(
                [Option(shown, id=ref) for ref, shown in running], (cursor - len(typed), cursor)
            )
        elif before.startswith("/") and " " not in before:
            found = [Option(f"{name}  {help}", id=name) for name, help in completions(before)]
            self._offer(found, (0, cursor))
        else:
            self._close()

    @work(exclusive=True, group="mentions")
    async def _complete_mention(self, query: str, span: tuple[int, int]) -> None:
        try:
            matches = await finder_for(self.root).find(query, limit=MAX_CHOICES)
        except (OSError, ValueError):
            matches = []
        self._offer([Option(m.path, id="@" + m.path) for m in matches], span)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        self.input.value = ""
        self._close()
        self.post_message(PromptSubmitted(text))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choices.highlighted = event.option_index
        self._accept()
        self.input.focus()
