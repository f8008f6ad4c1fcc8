"""The app's pickers: sessions, models, and connecting a provider (Ctrl+A, `/connect`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codesm.agent.runtime import build_model_registry
from codesm.config.credentials import environment_with_credentials, save_credential
from codesm.tui.pickers import KEY_VARIABLES, ChoiceScreen, ConnectScreen, ProviderKey
from codesm.tui.status import model_label, provider_hint

if TYPE_CHECKING:
    from codesm.tui.app import CodesmApp

SESSIONS_LISTED = 100


async def pick_session(app: CodesmApp) -> None:
    """List this workspace's sessions (the web UI's too: same database) and open the chosen."""
    sessions = await app.runtime.store.sessions.list_recent(
        project_id=app.runtime.project_id, limit=SESSIONS_LISTED
    )
    choices = [
        (s.id, f"{s.title or 'untitled'}  ({s.updated_at:%Y-%m-%d %H:%M})") for s in sessions
    ]

    async def chosen(session_id: str | None) -> None:
        if session_id:
            await app.switch_to(session_id)

    current = app.session.id if app.session else None
    app.push_screen(ChoiceScreen("Sessions", choices, current), chosen)


def pick_model(app: CodesmApp) -> None:
    configured = app.runtime.models.providers
    models = [m.id for m in app.runtime.models.models() if m.provider in configured]
    if not models:
        app.notify(provider_hint(app.runtime) or "No models are available.", severity="error")
        return

    async def chosen(model: str | None) -> None:
        if model:
            await app.set_model(model)

    choices = [(m, m) for m in dict.fromkeys(models)]
    app.push_screen(ChoiceScreen("Model", choices, app.status.model), chosen)


def connect(app: CodesmApp) -> None:
    async def connected(answer: ProviderKey | None) -> None:
        if answer is not None:
            await store_key(app, answer)

    app.push_screen(ConnectScreen(), connected)


async def store_key(app: CodesmApp, answer: ProviderKey) -> None:
    """Store the key as `codesm login` does and use it from now on, in this process too."""
    runtime = app.runtime
    save_credential(KEY_VARIABLES[answer.provider], answer.key)
    runtime.models = build_model_registry(runtime.settings, environment_with_credentials(None))
    for agent in runtime.agents.values():
        agent.deps.models = runtime.models
    model = app.session.model if app.session else app.pending_model
    app.status.model, app.status.context_window = model_label(runtime, model, app.status.mode)
    for hint in app.query("#provider-hint"):
        await hint.remove()
    app.refresh_status()
    app.notify(f"Connected {answer.provider}.")
