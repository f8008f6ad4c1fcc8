"""The Starlette application factory for `codesm web`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from codesm import __version__
from codesm.agent.launch import open_runtime
from codesm.agent.runtime import Runtime
from codesm.security.redact import Redactor
from codesm.web.access import Access, CsrfForRequest
from codesm.web.auth import OwnerAuth
from codesm.web.config import WebConfig
from codesm.web.context import WebContext
from codesm.web.lan import LanBinder, LanShare
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.timefmt import relative_time
from codesm.web.routes import (
    changes,
    composer,
    connect,
    costs,
    files,
    live,
    mermaid,
    pages,
    sessions,
    settings,
    shares,
)
from codesm.web.security import SandboxedFrames, SecurityMiddleware, SecurityPolicy
from codesm.web.share_visibility import open_to_workspace
from codesm.web.sharing import ShareRegistry

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

PUBLIC_PATHS = frozenset({"/healthz"})
PUBLIC_PREFIXES = ("/static/",)

RuntimeOpener = Callable[[WebConfig], Awaitable[Runtime]]
log = logging.getLogger(__name__)


async def open_workspace_runtime(config: WebConfig) -> Runtime:
    """The default: one interactive runtime for the served workspace."""
    return await open_runtime(config, interactive=True)


def create_app(
    config: WebConfig,
    *,
    open_runtime: RuntimeOpener = open_workspace_runtime,
    templates_dir: Path | None = None,
    static_dir: Path | None = None,
    lan_binder: LanBinder | None = None,
    echo: Callable[[str], None] | None = None,
) -> Starlette:
    """Build one server's app: routes, the security middleware, and per-app state.

    `lan_binder` lets the Share button make the server listen on the LAN address too; without
    it sharing can only be on from the start (`config.share_at_start`, bound by the caller).
    """
    auth = OwnerAuth.from_token(config.owner_token, port=config.port)
    routes = _routes(static_dir or STATIC_DIR)
    share_registry = ShareRegistry(port=config.port, ttl_s=config.share_ttl_s)
    lan = LanShare(
        port=config.port,
        registry=share_registry,
        base_hosts=config.extra_host_names,
        share_host=config.share_host,
        bound_host=config.share_host if config.share_at_start else None,
        binder=lan_binder,
        workspace=config.workspace,
        echo=echo,
    )
    guest_redactor = Redactor.for_environment(workspace=config.workspace, home=Path.home())
    owner_redactor = Redactor(patterns=False)
    policy = SecurityPolicy(
        hosts=lan.hosts,
        auth=auth,
        public_paths=PUBLIC_PATHS,
        public_prefixes=PUBLIC_PREFIXES,
        max_body_bytes=config.max_body_bytes,
        max_ws_message_bytes=config.max_ws_message_bytes,
        max_ws_connections=config.max_ws_connections,
        access=Access(routes, share_registry, lan, guest_redactor, owner_redactor),
        frames=SandboxedFrames(
            documents=frozenset({mermaid.FRAME_PATH}), scripts=mermaid.FRAME_SCRIPTS
        ),
    )
    csrf = CsrfForRequest(auth.csrf_token)
    env = _template_env(templates_dir or TEMPLATES_DIR, csrf_token=csrf)
    templates = Jinja2Templates(env=env)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, WebContext]]:
        runtime = await open_runtime(config)
        keys = [p.api_key for p in runtime.models.providers.values() if p.api_key]
        guest_redactor.add(keys)
        owner_redactor.add(keys)
        try:
            await share_registry.restore(runtime.store.share_links, project_id=runtime.project_id)
            if config.share_at_start:
                session = await runtime.latest_session() or await runtime.new_session()
                session = await open_to_workspace(runtime.store, session)  # as the Share button
                await lan.share(
                    session.id, controller=config.share_controller, title=session.title or ""
                )
            yield {
                "web": WebContext(
                    config=config,
                    templates=templates,
                    csrf_token=auth.csrf_token,
                    version=__version__,
                    runtime=runtime,
                    shares=share_registry,
                    lan=lan,
                    guest_redactor=guest_redactor,
                    owner_redactor=owner_redactor,
                )
            }
        finally:
            lan.withdraw()
            # Cancels running turns; their final events are committed before the store closes.
            await runtime.aclose()

    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityMiddleware, policy=policy)],
        lifespan=lifespan,
    )


def _routes(static_dir: Path) -> list[BaseRoute]:
    return [
        *pages.routes,
        *sessions.routes,
        *files.routes,
        *changes.routes,
        *composer.routes,
        *connect.routes,
        *live.routes,
        *costs.routes,
        *shares.routes,
        *settings.routes,
        *mermaid.routes,
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]


def _template_env(directory: Path, *, csrf_token: CsrfForRequest) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csrf_token"] = csrf_token
    env.globals["parse_diff"] = parse_unified_diff
    env.globals["relative_time"] = relative_time
    return env
