"""Request checks the real APIs make, with their error messages. Each returns None when the body
is valid, else (message, param)."""

from __future__ import annotations

from typing import Any

Invalid = tuple[str, str | None] | None


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def validate_anthropic(body: Any) -> Invalid:
    if not isinstance(body, dict):
        return "body: Input should be a valid dictionary", None
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            return f"{key}: Field required", key
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens", 0)
        if budget < 1024:
            return (
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                None,
            )
        if budget >= body["max_tokens"]:
            return "`max_tokens` must be greater than `thinking.budget_tokens`", None
    messages = body["messages"]
    if not messages:
        return "messages: at least one message is required", None
    if messages[0].get("role") != "user":
        return 'messages: first message must use the "user" role', None
    for i, message in enumerate(messages):
        role = message.get("role")
        if i and role == messages[i - 1].get("role"):
            return (
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row',
                None,
            )
        for j, block in enumerate(_blocks(message.get("content"))):
            kind = block.get("type")
            if kind == "text" and not block.get("text"):
                return "messages: text content blocks must be non-empty", None
            if kind == "thinking" and not block.get("signature"):
                return f"messages.{i}.content.{j}.thinking.signature: Field required", None
            if kind == "tool_result":
                previous = messages[i - 1] if i else {}
                use_ids = {
                    b.get("id")
                    for b in _blocks(previous.get("content"))
                    if b.get("type") == "tool_use"
                }
                if previous.get("role") != "assistant" or block.get("tool_use_id") not in use_ids:
                    return (
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` "
                        "block must have a corresponding `tool_use` block in the previous message.",
                        None,
                    )
        if role == "assistant" and i + 1 < len(messages):
            wanted = [
                b.get("id") for b in _blocks(message.get("content")) if b.get("type") == "tool_use"
            ]
            answered = {
                b.get("tool_use_id")
                for b in _blocks(messages[i + 1].get("content"))
                if b.get("type") == "tool_result"
            }
            missing = [w for w in wanted if w not in answered]
            if missing:
                return (
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(map(str, missing))}. Each `tool_use` block "
                    "must have a corresponding `tool_result` block in the next message.",
                    None,
                )
    return None


def validate_openai(body: Any) -> Invalid:
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request.", None
    for key in ("model", "messages"):
        if key not in body:
            return f"Missing required parameter: '{key}'.", key
    messages = body["messages"]
    if not messages:
        return "Invalid 'messages': empty array.", "messages"
    open_ids: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") not in open_ids:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            open_ids.discard(message["tool_call_id"])
            continue
        if open_ids:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(sorted(open_ids))}",
                f"messages.[{i}].role",
            )
        if role == "assistant":
            open_ids = {c.get("id") for c in message.get("tool_calls") or []}
    if open_ids:
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(sorted(open_ids))}",
            f"messages.[{len(messages) - 1}].role",
        )
    return None


def validate_ollama(body: Any) -> Invalid:
    if not isinstance(body, dict) or not body.get("model"):
        return "model is required", None
    if not isinstance(body.get("messages", []), list):
        return "json: cannot unmarshal messages", None
    return None
