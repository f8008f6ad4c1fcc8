"""Small typed modals: pick one of a list (a session, a model), or connect a provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from codesm.agent.providers.registry import PROVIDER_ENV

KEY_VARIABLES: dict[str, str] = {name: key for name, (key, _) in PROVIDER_ENV.items() if key}
"""The providers an API key connects, and the variable each key is stored as."""


class ChoiceScreen(ModalScreen[str | None]):
    """A titled list; enter picks (dismissed with the option's id), escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 80%; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ChoiceScreen .title { text-style: bold; margin-bottom: 1; }
    ChoiceScreen OptionList { height: auto; max-height: 30; }
    """

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None):
        super().__init__()
        self.heading = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.heading, classes="title", markup=False)
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = [key for key, _ in self.choices]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ProviderKey:
    provider: str
    key: str


class ConnectScreen(ModalScreen[ProviderKey | None]):
    """Paste an API key for a provider; it is stored as `codesm login` stores it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    ConnectScreen { align: center middle; }
    ConnectScreen > Vertical {
        width: 70; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    ConnectScreen .title { text-style: bold; margin-bottom: 1; }
    ConnectScreen .hint { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Connect a model provider", classes="title")
            yield Select([(p, p) for p in sorted(KEY_VARIABLES)], value="anthropic",
                         allow_blank=False, id="provider")  # fmt: skip
            yield Input(placeholder="API key", password=True, id="key")
            yield Static(
                "Stored in a 0600 credentials file; a key in the environment still wins. "
                "For a local Ollama set OLLAMA_HOST and restart codesm.",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#key", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        key = event.value.strip()
        if key:
            provider = str(self.query_one("#provider", Select).value)
            self.dismiss(ProviderKey(provider, key))

    def action_cancel(self) -> None:
        self.dismiss(None)
