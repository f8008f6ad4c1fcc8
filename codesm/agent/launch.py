"""What a face's command line says about the runtime it opens (`codesm`, `codesm -x`,
`codesm web` share these options), and opening that runtime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codesm.agent.permissions.engine import Mode
from codesm.agent.runtime import Runtime
from codesm.store.sessions import Visibility


@dataclass(frozen=True)
class LaunchOptions:
    workspace: Path
    settings_file: Path | None = None
    """`--settings-file`: settings that win over the global and workspace ones."""
    permission_mode: Mode | None = None
    """`--permission-mode` (None: the setting)."""
    mcp_config: str | None = None
    """`--mcp-config JSON|PATH`: MCP servers added to the configured ones for this launch."""
    strict_mcp_config: bool = False
    """`--strict-mcp-config`: only the servers of `mcp_config`."""
    db_path: Path | None = None
    """The session database (default: the user data dir); tests point it into a temp dir."""
    visibility: Visibility | None = None
    """`--visibility` of a new session."""
    notifications: bool | None = None
    """`--notifications/--no-notifications` (None: `codesm.notifications.enabled`)."""
    max_budget_usd: float | None = None
    """`--max-budget-usd`: the session budget (`codesm.budget.session`) for this launch."""


async def open_runtime(options: LaunchOptions, *, interactive: bool) -> Runtime:
    """The runtime for `options.workspace`, configured as the command line says."""
    return await Runtime.open(
        options.workspace,
        settings_file=options.settings_file,
        permission_mode=options.permission_mode,
        interactive=interactive,
        db_path=options.db_path,
        mcp_config=options.mcp_config,
        strict_mcp_config=options.strict_mcp_config,
        visibility=options.visibility,
        max_budget_usd=options.max_budget_usd,
        notifications=options.notifications,
    )
