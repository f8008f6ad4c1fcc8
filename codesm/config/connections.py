"""Connecting a model provider from a form (the browser's connect dialog): what each provider
needs, checking what the user typed, and storing it in the credentials file `codesm login` uses.

Everything is stored under the variable name the provider reads (`ANTHROPIC_API_KEY`,
`OLLAMA_HOST`, `OPENAI_COMPATIBLE_BASE_URL`, ...), so an environment variable still wins over a
stored value, exactly as for `codesm login`. A stored key is never shown again: `describe` gives
whether it is set and, for a long key, its last four characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from codesm.agent.providers.registry import (
    MODEL_ENV,
    OPTIONAL_KEY_ENV,
    PROVIDER_ENV,
    ProviderName,
)
from codesm.config.credentials import load_credentials, update_credentials
from codesm.errors import ConfigError

MAX_KEY_CHARS = 4096
MAX_URL_CHARS = 2048
MAX_MODEL_CHARS = 200
SHOWN_KEY_SUFFIX = 4
MIN_KEY_CHARS_TO_SHOW_SUFFIX = 16
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")
_MODEL_CHARS = re.compile(r"[A-Za-z0-9._:/@+-]+")

Source = Literal["environment", "stored", "none"]


@dataclass(frozen=True)
class ProviderForm:
    """What the dialog asks for one provider (variable names; None: not asked)."""

    name: ProviderName
    key_var: str | None
    url_var: str | None = None
    model_var: str | None = None
    key_required: bool = True

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v in (self.key_var, self.url_var, self.model_var) if v)


def _form(name: ProviderName) -> ProviderForm:
    key_var, url_var = PROVIDER_ENV[name]
    optional_key = OPTIONAL_KEY_ENV.get(name)
    return ProviderForm(
        name,
        key_var=key_var or optional_key,
        url_var=url_var if name in MODEL_ENV else None,
        model_var=MODEL_ENV.get(name),
        key_required=key_var is not None,
    )


FORMS: dict[ProviderName, ProviderForm] = {name: _form(name) for name in PROVIDER_ENV}
"""Every provider the dialog can connect, in the registry's preference order."""


@dataclass(frozen=True)
class ProviderState:
    """What the dialog may show about one provider: never the key itself."""

    form: ProviderForm
    source: Source
    """Where its key (or, for a local server, its base URL) comes from."""
    key_hint: str = ""
    """`…abcd` for a stored key long enough that four characters reveal nothing useful."""
    base_url: str = ""
    model: str = ""
    removable: bool = False


def key_hint(key: str) -> str:
    if len(key) < MIN_KEY_CHARS_TO_SHOW_SUFFIX:
        return ""
    return f"…{key[-SHOWN_KEY_SUFFIX:]}"


def describe(env: Mapping[str, str], path: Path | None = None) -> list[ProviderState]:
    """Each provider's state from the process environment `env` and the credentials file."""
    stored = load_credentials(path)
    states: list[ProviderState] = []
    for form in FORMS.values():
        primary = form.url_var if form.url_var else form.key_var
        assert primary is not None
        if env.get(primary):
            source: Source = "environment"
        elif stored.get(primary):
            source = "stored"
        else:
            source = "none"
        key = stored.get(form.key_var or "", "") if source == "stored" else ""
        merged = {**stored, **{k: v for k, v in env.items() if v}}
        states.append(
            ProviderState(
                form,
                source,
                key_hint=key_hint(key),
                base_url=merged.get(form.url_var or "", ""),
                model=merged.get(form.model_var or "", ""),
                removable=any(v in stored for v in form.variables),
            )
        )
    return states


def form_for(provider: str) -> ProviderForm:
    for name, form in FORMS.items():
        if name == provider:
            return form
    raise ConfigError(f"unknown provider {provider!r}: choose one of {', '.join(FORMS)}")


def check_key(key: str) -> str:
    key = key.strip()
    if len(key) > MAX_KEY_CHARS:
        raise ConfigError(f"that key is longer than {MAX_KEY_CHARS} characters")
    if key and not _KEY_CHARS.fullmatch(key):
        raise ConfigError("a key is one word of printable characters: no spaces or line breaks")
    return key


def check_base_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        raise ConfigError("enter the server's base URL, e.g. http://127.0.0.1:1234/v1")
    if len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        raise ConfigError("the base URL must be one address without spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("the base URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise ConfigError("put a key in the key field, not in the URL")
    if parts.query or parts.fragment:
        raise ConfigError("the base URL cannot have a query (?...) or fragment (#...)")
    return url


def check_model(model: str) -> str:
    model = model.strip()
    if len(model) > MAX_MODEL_CHARS or (model and not _MODEL_CHARS.fullmatch(model)):
        raise ConfigError("a model name is letters, digits and . _ : / @ + - only")
    return model


def connect(
    provider: str,
    *,
    key: str = "",
    base_url: str = "",
    model: str = "",
    path: Path | None = None,
) -> ProviderForm:
    """Check and store what connects `provider`; a `ConfigError` says what to fix (nothing is
    stored then). An empty optional field removes a value stored before."""
    form = form_for(provider)
    key = check_key(key)
    if form.key_required and not key:
        raise ConfigError(f"paste the {provider} API key")
    values: dict[str, str] = {}
    if form.url_var:
        values[form.url_var] = check_base_url(base_url)
    if form.model_var:
        values[form.model_var] = check_model(model)
    if form.key_var:
        values[form.key_var] = key
    update_credentials({name: value or None for name, value in values.items()}, path)
    return form


def disconnect(provider: str, path: Path | None = None) -> bool:
    """Forget everything stored for `provider`; False when nothing was stored."""
    form = form_for(provider)
    return bool(update_credentials(dict.fromkeys(form.variables), path))
