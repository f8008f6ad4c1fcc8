"""Per-app state that the lifespan hands to every request and WebSocket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from codesm.agent.runtime import Runtime
from codesm.security.redact import Redactor
from codesm.web.config import WebConfig
from codesm.web.folded_sessions import FoldedSessions
from codesm.web.lan import LanShare
from codesm.web.provider_changes import ProviderChanges
from codesm.web.sharing import ShareRegistry


@dataclass(slots=True)
class WebContext:
    config: WebConfig
    templates: Jinja2Templates
    csrf_token: str = field(repr=False)
    version: str
    runtime: Runtime
    shares: ShareRegistry
    lan: LanShare
    guest_redactor: Redactor | None = None
    """What guests' bodies and frames go through (the Share panel's preview uses it)."""
    owner_redactor: Redactor | None = None
    """What the owner's bodies and frames go through (a key stored from the browser joins it)."""
    folded: FoldedSessions = field(default_factory=FoldedSessions)
    """Sessions' folded renderers, so a page load or connect folds only the newest events."""
    provider_changes: ProviderChanges = field(default_factory=ProviderChanges)
    """Set when the connect dialog configured the providers again (every owner tab follows)."""

    def macros(self, template: str) -> Any:
        """The macros of a partial template, callable from Python (they return Markup)."""
        return self.templates.env.get_template(template).module


def web_context(conn: HTTPConnection) -> WebContext:
    """The app's WebContext, as published by the lifespan."""
    return cast(WebContext, conn.state.web)
