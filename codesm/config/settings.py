"""Settings: `~/.config/codesm/settings.json` merged under `<workspace>/.codesm/settings.json`.

Files are JSON with comments (JSONC, parsed with `json5`) holding flat, Amp-style dotted keys such
as `"codesm.tools.disable": ["bash"]`. The workspace file wins key by key over the global one; an
explicit `--settings-file` wins over both. Unknown keys are reported as warnings (a typo should not
stop the agent), a value of the wrong type is a `ConfigError` naming the file and the key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import json5
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codesm import paths
from codesm.errors import ConfigError

log = logging.getLogger(__name__)

SETTINGS_FILENAME = "settings.json"


class PermissionRule(BaseModel):
    """One rule of `codesm.permissions` (first match wins; deny > ask > allow)."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    matches: dict[str, str | list[str]] = {}
    action: Literal["allow", "ask", "deny"]
    message: str | None = None


class ProviderSettings(BaseModel):
    """Per-provider overrides, e.g. a base URL for an OpenAI-compatible local server."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    base_url: str | None = Field(default=None, alias="baseUrl")
    api_key_env: str | None = Field(default=None, alias="apiKeyEnv")
    models: list[str] = []


class ModelPricing(BaseModel):
    """One model's price in `codesm.pricing`, in USD per million tokens. Cache reads and writes
    cost the input price when not given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0, alias="cacheRead")
    cache_write: float | None = Field(default=None, ge=0, alias="cacheWrite")


class Settings(BaseModel):
    """Every setting codesm understands, with its default. Keys are the dotted names users write."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    model: str | None = Field(default=None, alias="codesm.model")
    mode: Literal["smart", "rush"] = Field(default="smart", alias="codesm.mode")
    permission_mode: Literal["review", "auto-edit", "allow-all", "dry-run"] = Field(
        default="review", alias="codesm.permissionMode"
    )
    dangerously_allow_all: bool = Field(default=False, alias="codesm.dangerouslyAllowAll")
    permissions: list[PermissionRule] = Field(default=[], alias="codesm.permissions")
    guarded_files_allowlist: list[str] = Field(default=[], alias="codesm.guardedFiles.allowlist")
    tools_disable: list[str] = Field(default=[], alias="codesm.tools.disable")
    tools_enable: list[str] = Field(default=[], alias="codesm.tools.enable")
    mcp_servers: dict[str, dict[str, Any]] = Field(default={}, alias="codesm.mcpServers")
    providers: dict[str, ProviderSettings] = Field(default={}, alias="codesm.providers")
    network_timeout_s: float = Field(default=60.0, gt=0, alias="codesm.network.timeout")
    proxy: str | None = Field(default=None, alias="codesm.proxy")
    show_costs: bool = Field(default=True, alias="codesm.showCosts")
    notifications_enabled: bool = Field(default=False, alias="codesm.notifications.enabled")
    notifications_system_enabled: bool = Field(
        default=False, alias="codesm.notifications.system.enabled"
    )
    fuzzy_always_include_paths: list[str] = Field(
        default=[], alias="codesm.fuzzy.alwaysIncludePaths"
    )
    skills_path: list[str] = Field(default=[], alias="codesm.skills.path")
    toolbox_path: str | None = Field(default=None, alias="codesm.toolbox.path")
    git_commit_coauthor: bool = Field(default=False, alias="codesm.git.commit.coauthor.enabled")
    updates_mode: Literal["auto", "warn", "disabled"] = Field(
        default="disabled", alias="codesm.updates.mode"
    )
    format_on_save: bool = Field(default=False, alias="codesm.format.onSave")
    budget_session_usd: float | None = Field(default=None, ge=0, alias="codesm.budget.session")
    budget_day_usd: float | None = Field(default=None, ge=0, alias="codesm.budget.day")
    budget_turn_usd: float | None = Field(default=None, ge=0, alias="codesm.budget.turn")
    max_steps_per_turn: int = Field(default=200, gt=0, alias="codesm.loop.maxSteps")
    max_turn_seconds: float = Field(default=3600.0, gt=0, alias="codesm.loop.maxSeconds")
    max_turn_cost_usd: float | None = Field(default=None, ge=0, alias="codesm.loop.maxCost")
    pricing: dict[str, ModelPricing] = Field(default={}, alias="codesm.pricing")


KNOWN_KEYS = frozenset(f.alias for f in Settings.model_fields.values() if f.alias)

NOT_SUPPORTED_YET: dict[str, str] = {
    "codesm.guardedFiles.allowlist": "protected files always ask; approve one from the prompt",
    "codesm.proxy": "set HTTPS_PROXY / HTTP_PROXY instead, which every HTTP client codesm uses "
    "honours",
    "codesm.showCosts": "costs are always shown",
    "codesm.fuzzy.alwaysIncludePaths": "the file finder searches the workspace only",
    "codesm.git.commit.coauthor.enabled": "codesm makes no commits of its own yet",
    "codesm.updates.mode": 'only "disabled" works; run `codesm update` to upgrade',
}
"""Keys of the brief that nothing uses yet, with what to do instead. Setting one to anything but
its default is a `ConfigError`: a setting that is silently ignored is worse than a clear no."""


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: list[Path]
    warnings: list[str] = field(default_factory=list)


def global_settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILENAME


def workspace_settings_path(workspace: Path) -> Path:
    return workspace / ".codesm" / SETTINGS_FILENAME


def read_settings_file(path: Path) -> dict[str, Any]:
    """Parse one JSONC settings file; a missing file is empty, a broken one a `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}") from exc
    if not text.strip():
        return {}
    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise ConfigError(f"settings file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"settings file {path} must hold a JSON object, not {type(data).__name__}"
        )
    return data


def load_settings(
    workspace: Path | None = None,
    *,
    settings_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Merge global < workspace < explicit file < overrides and validate the result."""
    layers: list[tuple[Path | None, dict[str, Any]]] = []
    candidates: list[Path] = [global_settings_path()]
    if workspace is not None:
        candidates.append(workspace_settings_path(workspace))
    if settings_file is not None:
        if not settings_file.is_file():
            raise ConfigError(f"settings file {settings_file} does not exist")
        candidates.append(settings_file)
    for candidate in candidates:
        data = read_settings_file(candidate)
        if data:
            layers.append((candidate, data))
    if overrides:
        layers.append((None, dict(overrides)))
    return _validate(layers)


def _validate(layers: Iterable[tuple[Path | None, dict[str, Any]]]) -> LoadedSettings:
    merged: dict[str, Any] = {}
    origin: dict[str, Path | None] = {}
    warnings: list[str] = []
    sources: list[Path] = []
    for source, data in layers:
        if source is not None:
            sources.append(source)
        for key, value in data.items():
            if key not in KNOWN_KEYS:
                where = source or "overrides"
                warnings.append(f"unknown setting {key!r} in {where} (ignored)")
                continue
            merged[key] = value
            origin[key] = source
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            where = origin.get(key) or "overrides"
            problems.append(f"{key} in {where}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from exc
    _reject_unsupported(settings, origin)
    for warning in warnings:
        log.warning(warning)
    return LoadedSettings(settings=settings, sources=sources, warnings=warnings)


def _reject_unsupported(settings: Settings, origin: dict[str, Path | None]) -> None:
    problems = []
    for name, info in Settings.model_fields.items():
        hint = NOT_SUPPORTED_YET.get(info.alias or "")
        if hint is not None and getattr(settings, name) != info.get_default():
            where = origin.get(info.alias or "") or "overrides"
            problems.append(f"{info.alias} (in {where}) is not supported yet: {hint}")
    if problems:
        raise ConfigError("; ".join(problems) + " (remove the setting to continue)")
