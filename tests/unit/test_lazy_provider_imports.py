"""`codesm web` starts without loading any provider SDK or the webfetch extractors (they cost
~2 s of start-up together); each loads when its provider is built or a page is fetched."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["anthropic", "openai", "ollama", "trafilatura", "markdownify"]


def _loaded_after(code: str) -> dict[str, bool]:
    probe = (
        f"import sys, json\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, bool] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_starting_the_web_app_imports_no_provider_sdk() -> None:
    loaded = _loaded_after("import codesm.web.app, codesm.web.server, codesm.cli")
    assert loaded == dict.fromkeys(HEAVY, False)


def test_building_a_provider_loads_only_its_own_sdk() -> None:
    loaded = _loaded_after(
        "from codesm.agent.providers import create_provider\n"
        "from codesm.agent.providers.registry import ProviderConfig\n"
        "p = create_provider(ProviderConfig(name='anthropic', api_key='sk-test'))\n"
        "assert type(p).__name__ == 'AnthropicProvider'"
    )
    assert loaded["anthropic"] and not loaded["openai"] and not loaded["ollama"]


def test_every_openai_dialect_still_builds_its_adapter() -> None:
    loaded = _loaded_after(
        "from codesm.agent.providers import create_provider\n"
        "from codesm.agent.providers.registry import ProviderConfig\n"
        "for name in ['openai', 'openrouter', 'gemini', 'openai-compatible']:\n"
        "    p = create_provider(ProviderConfig(name=name, api_key='k', base_url='http://127.0.0.1:9/v1'))\n"
        "    assert type(p).__name__ == 'OpenAIProvider', name\n"
        "p = create_provider(ProviderConfig(name='ollama', base_url='http://127.0.0.1:9'))\n"
        "assert type(p).__name__ == 'OllamaProvider'"
    )
    assert loaded["openai"] and loaded["ollama"] and not loaded["anthropic"]
