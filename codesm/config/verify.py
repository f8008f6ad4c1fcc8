"""Checking an API key with the cheapest call each provider offers, for `codesm login`.

Anthropic: count tokens of a one-word message (free); OpenAI: list models; OpenRouter: read the
key's own record; Gemini: list models. None of them spends tokens. Base URLs come from the same
variables the providers use (`ANTHROPIC_BASE_URL`, `OPENAI_BASE_URL`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

VERIFY_TIMEOUT_S = 10.0
VerifyStatus = Literal["valid", "rejected", "offline", "unknown"]

_DEFAULT_BASE = {
    "anthropic": "https://api.anthropic.com",
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
}
_BASE_ENV = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}


@dataclass(frozen=True)
class Verification:
    status: VerifyStatus
    detail: str


def _request(provider: str, key: str, base: str) -> httpx.Request:
    base = base.rstrip("/")
    if provider == "anthropic":
        return httpx.Request(
            "POST",
            f"{base}/v1/messages/count_tokens",
            headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
            json={"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]},
        )
    if provider == "gemini":
        return httpx.Request("GET", f"{base}/models", params={"key": key, "pageSize": 1})
    path = "/key" if provider == "openrouter" else "/models"
    return httpx.Request("GET", f"{base}{path}", headers={"Authorization": f"Bearer {key}"})


def verify_key(
    provider: str,
    key: str,
    *,
    env: Mapping[str, str],
    transport: httpx.BaseTransport | None = None,
) -> Verification:
    """Ask the provider whether `key` works; never raises for network trouble."""
    base = env.get(_BASE_ENV.get(provider, ""), "") or _DEFAULT_BASE[provider]
    request = _request(provider, key, base)
    host = request.url.host
    try:
        with httpx.Client(timeout=VERIFY_TIMEOUT_S, transport=transport) as client:
            response = client.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        return Verification("offline", f"could not reach {host} ({exc.__class__.__name__})")
    except httpx.HTTPError as exc:
        return Verification("unknown", f"{host} did not answer cleanly: {exc}")
    if response.status_code in (401, 403):
        return Verification("rejected", f"{host} rejected the key (HTTP {response.status_code})")
    if response.is_success:
        return Verification("valid", f"{host} accepted the key")
    return Verification("unknown", f"{host} answered HTTP {response.status_code}")
