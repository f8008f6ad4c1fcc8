"""Who may do what: the one checked-in table of routes and WebSocket messages by role.

Roles are ordered: anonymous < viewer < controller < owner. Every route (method and path
template, `WS` for a WebSocket) and every op a socket can send has an entry naming the least role
that may use it; anything without an entry needs the owner (fail closed), and a test fails until
the entry is added. Viewer and controller principals come from share links and are further
confined to their one session: a route with a `{session_id}` must name theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import cast

from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

PRINCIPAL_SCOPE_KEY = "codesm.principal"


class Role(IntEnum):
    ANONYMOUS = 0
    VIEWER = 1
    CONTROLLER = 2
    OWNER = 3


A, V, C, O = Role.ANONYMOUS, Role.VIEWER, Role.CONTROLLER, Role.OWNER  # noqa: E741

ROUTE_ROLES: Mapping[str, Role] = {
    "GET /healthz": A,
    "GET /static": A,
    "GET /": O,
    "GET /s/{session_id}": V,
    "WS /ws/s/{session_id}": V,
    "GET /s/{session_id}/changes/{change_id}": V,
    "GET /sessions": O,
    "POST /sessions": O,
    "POST /s/{session_id}/rename": O,
    "POST /s/{session_id}/archive": O,
    "POST /s/{session_id}/delete": O,
    "GET /files/tree": O,
    "GET /files/view": O,
    "GET /complete": O,
    "GET /connect": O,
    "POST /connect": O,
    "POST /connect/remove": O,
    "GET /costs": O,
    "GET /costs/export.csv": O,
    "GET /costs/export.json": O,
    "GET /shares": O,
    "POST /shares": O,
    "POST /shares/{link_id}/revoke": O,
    "POST /shares/private": O,
    "GET /settings": O,
    "GET /settings/mcp": O,
    "POST /settings/mcp/{name}/approve": O,
    "GET /mermaid-frame": V,
}
"""The least role for each route; HEAD follows GET."""

OP_ROLES: Mapping[str, Role] = {
    "submit_prompt": C,
    "cancel": C,
    "approve": C,
    "deny": C,
    "answer": C,
    "show_context": C,
    "set_mode": O,
    "set_permission_mode": O,
    "set_model": O,
    "set_budget": O,
    "compact": O,
    "undo_change": O,
    "redo_change": O,
    "steer_subagent": C,
    "cancel_subagent": C,
    "guest_name": V,
}
"""The least role for each op a session socket accepts."""

SOCKET_MESSAGES = frozenset({"guest_name"})
"""Messages the session socket answers itself (not agent ops): a guest naming itself for the
owner's presence list."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request or socket acts for. Share principals carry their link and session."""

    role: Role
    csrf_token: str = ""
    session_id: str | None = None
    link_id: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.role in (Role.VIEWER, Role.CONTROLLER)


ANONYMOUS = Principal(Role.ANONYMOUS)


def principal_of(conn: HTTPConnection) -> Principal:
    """The principal the security middleware put on this request or socket."""
    return cast(Principal, conn.scope.get(PRINCIPAL_SCOPE_KEY, ANONYMOUS))


def route_key(route: BaseRoute, method: str) -> str:
    """The table key of `route` for `method` (`WS` for a WebSocket route)."""
    if isinstance(route, WebSocketRoute):
        return f"WS {route.path}"
    if isinstance(route, Mount):
        return f"{'GET' if method == 'HEAD' else method} {route.path}"
    assert isinstance(route, Route)
    return f"{'GET' if method == 'HEAD' else method} {route.path}"


def route_keys(routes: Sequence[BaseRoute]) -> set[str]:
    """Every key the table must hold for `routes`."""
    keys: set[str] = set()
    for route in routes:
        if isinstance(route, Route):
            keys |= {route_key(route, m) for m in route.methods or ("GET",)}
        elif isinstance(route, Mount):
            keys.add(route_key(route, "GET"))
        elif isinstance(route, WebSocketRoute):
            keys.add(route_key(route, "WS"))
    return keys


def match_route(
    routes: Sequence[BaseRoute], scope: Scope
) -> tuple[str | None, Mapping[str, object]]:
    """The table key and path parameters of the route that will answer `scope` (None: no route)."""
    method = "WS" if scope["type"] == "websocket" else str(scope["method"])
    partial: tuple[str | None, Mapping[str, object]] = (None, {})
    for route in routes:
        match, child = route.matches(scope)
        params = cast(Mapping[str, object], child.get("path_params", {}))
        if match is Match.FULL:
            return route_key(route, method), params
        if match is Match.PARTIAL and partial[0] is None:
            partial = (route_key(route, method), params)
    return partial


def required_role(key: str | None) -> Role:
    """The least role for a route key; unknown routes and methods need the owner."""
    return ROUTE_ROLES.get(key, Role.OWNER) if key is not None else Role.OWNER


def may_use_route(principal: Principal, key: str | None, path_params: Mapping[str, object]) -> bool:
    if principal.role < required_role(key):
        return False
    if principal.is_guest:
        session = path_params.get("session_id")
        return session is None or session == principal.session_id
    return True


def may_send_op(principal: Principal, op_type: str) -> bool:
    return principal.role >= OP_ROLES.get(op_type, Role.OWNER)
