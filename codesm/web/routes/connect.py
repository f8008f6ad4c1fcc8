"""The connect-a-provider dialog: show each provider's state, store or remove a key or a local
server's address, and make the change live in this server at once (no restart).

Keys arrive in a POST body and leave only into the credentials file: a response holds at most
"configured" and a long key's last four characters, and the key joins the redactors so that it
cannot appear in any later page, fragment or frame either.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.agent.providers.registry import how_to_enable
from codesm.config.connections import (
    FORMS,
    ProviderState,
    check_key,
    connect,
    describe,
    disconnect,
    form_for,
)
from codesm.config.credentials import environment_with_credentials
from codesm.config.verify import verify_key
from codesm.doctor import detect_local_servers
from codesm.errors import CodesmError
from codesm.web.context import WebContext, web_context
from codesm.web.forms import form_fields
from codesm.web.provider_refresh import notice_slot, provider_fragments
from codesm.web.routes.pages import SESSION_ID

DETECT_TIMEOUT_S = 0.3
VERIFIABLE = frozenset({"anthropic", "openai", "openrouter", "gemini"})
URL_EXAMPLES = {"ollama": "http://127.0.0.1:11434", "openai-compatible": "http://127.0.0.1:1234/v1"}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    """One provider as the dialog shows it."""

    state: ProviderState
    configured: bool
    open: bool = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.state, name)

    @property
    def url_example(self) -> str:
        return URL_EXAMPLES.get(self.state.form.name, "")

    @property
    def verifiable(self) -> bool:
        return self.state.form.name in VERIFIABLE


@dataclass(frozen=True)
class Message:
    kind: str
    text: str


async def connect_dialog(request: Request) -> Response:
    """The whole dialog: providers, a form for each, and local servers found."""
    ctx = web_context(request)
    servers = await asyncio.to_thread(detect_local_servers, DETECT_TIMEOUT_S)
    macros = ctx.macros("partials/connect.html")
    html = macros.dialog(_rows(ctx), servers, None)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


async def save_connection(request: Request) -> Response:
    """Store what connects one provider, then configure providers again from it."""
    ctx = web_context(request)
    fields = await form_fields(request)
    provider = fields.get("provider", "")
    if provider not in FORMS:
        return HTMLResponse("unknown provider", status_code=400)
    note = ""
    try:
        key = check_key(fields.get("key", ""))  # before a malformed key goes anywhere
        if key and fields.get("verify") and provider in VERIFIABLE:
            env = environment_with_credentials(ctx.runtime.env)
            checked = await asyncio.to_thread(verify_key, provider, key, env=env)
            if checked.status == "rejected":
                message = Message("error", f"{checked.detail}; the key was not stored.")
                return await _body(request, ctx, message, opened=provider)
            valid = checked.status == "valid"
            note = " (key verified)" if valid else f" ({checked.detail}; stored unverified)"
        await asyncio.to_thread(
            connect,
            provider,
            key=key,
            base_url=fields.get("base_url", ""),
            model=fields.get("model", ""),
        )
    except CodesmError as exc:
        return await _body(request, ctx, Message("error", f"{provider}: {exc}"), opened=provider)
    _remember_secret(ctx, key)
    ctx.runtime.reload_providers()
    ctx.provider_changes.changed()
    log.info("connected provider %s from the web UI", provider)
    text = f"{provider} is connected{note}."
    if provider not in ctx.runtime.models.providers:
        how = how_to_enable(form_for(provider).name)
        text = f"Stored, but {provider} is still not usable: {how}."
    elif _shadowed_by_environment(ctx, provider):
        text = f"Stored; {provider}'s variable in the environment of codesm web still wins."
    return await _body(request, ctx, Message("ok", text))


async def remove_connection(request: Request) -> Response:
    """Forget what is stored for one provider; it stays usable only if the environment has it."""
    ctx = web_context(request)
    provider = (await form_fields(request)).get("provider", "")
    if provider not in FORMS:
        return HTMLResponse("unknown provider", status_code=400)
    removed = await asyncio.to_thread(disconnect, provider)
    ctx.runtime.reload_providers()
    ctx.provider_changes.changed()
    text = f"Removed what was stored for {provider}." if removed else "Nothing was stored."
    return await _body(request, ctx, Message("ok", text))


def _environment(ctx: WebContext) -> Mapping[str, str]:
    return os.environ if ctx.runtime.env is None else ctx.runtime.env


def _rows(ctx: WebContext, opened: str = "") -> list[Row]:
    configured = ctx.runtime.models.providers
    states = describe(_environment(ctx))
    return [Row(s, s.form.name in configured, s.form.name == opened) for s in states]


def _shadowed_by_environment(ctx: WebContext, provider: str) -> bool:
    env = _environment(ctx)
    return any(env.get(name) for name in form_for(provider).variables)


def _remember_secret(ctx: WebContext, key: str) -> None:
    for redactor in (ctx.guest_redactor, ctx.owner_redactor):
        if redactor is not None and key:
            redactor.add([key])


async def _body(
    request: Request, ctx: WebContext, message: Message, *, opened: str = ""
) -> Response:
    """The dialog's body again, with the status bar and the "connect" notice of the page it was
    posted from brought up to date out of band."""
    servers = await asyncio.to_thread(detect_local_servers, DETECT_TIMEOUT_S)
    html = str(ctx.macros("partials/connect.html").body(_rows(ctx, opened), servers, message))
    return HTMLResponse(
        html + await _page_update(request, ctx), headers={"cache-control": "no-store"}
    )


async def _page_update(request: Request, ctx: WebContext) -> str:
    """The model picker and notice of the page this came from (htmx sends its address); other
    tabs get theirs over their sockets."""
    path = urlsplit(request.headers.get("hx-current-url", "")).path
    session_id = path.removeprefix("/s/") if path.startswith("/s/") else ""
    runtime = ctx.runtime
    session = None
    if SESSION_ID.fullmatch(session_id):
        session = await runtime.store.sessions.get(session_id)
    if session is None or session.project_id != runtime.project_id:
        return notice_slot(ctx)
    fragments = provider_fragments(ctx, session)
    # The socket's fragments swap by id on their own; an HTTP response must mark its extra ones.
    return fragments.replace('id="status-model"', 'id="status-model" hx-swap-oob="true"', 1)


routes = [
    Route("/connect", connect_dialog, name="connect"),
    Route("/connect", save_connection, methods=["POST"], name="connect-save"),
    Route("/connect/remove", remove_connection, methods=["POST"], name="connect-remove"),
]
