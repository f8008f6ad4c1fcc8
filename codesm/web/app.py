"""The Starlette application factory for `codesm web`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from codesm import __version__
from codesm.web.auth import OwnerAuth
from codesm.web.config import WebConfig
from codesm.web.context import WebContext
from codesm.web.hosts import ServedHosts
from codesm.web.live import live_socket
from codesm.web.pages import healthz, index, session_page
from codesm.web.security import SecurityMiddleware, SecurityPolicy

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

PUBLIC_PATHS = frozenset({"/healthz"})
PUBLIC_PREFIXES = ("/static/",)


def create_app(
    config: WebConfig,
    *,
    templates_dir: Path | None = None,
    static_dir: Path | None = None,
) -> Starlette:
    """Build one server's app: routes, the security middleware, and per-app state."""
    auth = OwnerAuth.from_token(config.owner_token, port=config.port)
    policy = SecurityPolicy(
        hosts=ServedHosts.for_port(config.port, config.extra_host_names),
        auth=auth,
        public_paths=PUBLIC_PATHS,
        public_prefixes=PUBLIC_PREFIXES,
        max_body_bytes=config.max_body_bytes,
        max_ws_message_bytes=config.max_ws_message_bytes,
        max_ws_connections=config.max_ws_connections,
    )
    templates = Jinja2Templates(env=_template_env(templates_dir or TEMPLATES_DIR))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, WebContext]]:
        yield {
            "web": WebContext(
                config=config,
                templates=templates,
                csrf_token=auth.csrf_token,
                version=__version__,
            )
        }

    return Starlette(
        routes=_routes(static_dir or STATIC_DIR),
        middleware=[Middleware(SecurityMiddleware, policy=policy)],
        lifespan=lifespan,
    )


def _routes(static_dir: Path) -> list[BaseRoute]:
    return [
        Route("/", index, name="index"),
        Route("/s/{session_id}", session_page, name="session"),
        Route("/healthz", healthz, name="healthz"),
        WebSocketRoute("/ws", live_socket, name="live"),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]


def _template_env(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
