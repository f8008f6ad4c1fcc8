"""What every provider adapter shares: the `Provider` protocol, SDK-style retries before the stream
starts, and waiting on a stream with an idle timeout and a cancel event.

Stream contract, for every adapter:
- text and thinking deltas are yielded as they arrive;
- `ToolCall` / `MalformedToolCall` events are yielded only once the provider's terminal event has
  arrived, so a stream that breaks never yields a tool call at all;
- a stream that breaks after it started yields what it received (and usage, when known), then
  raises `StreamInterrupted`; errors before it started are retried per `RetryPolicy`, each retry
  announced with a `RetryScheduled` event;
- when `cancel` is set the HTTP response is closed and the iterator ends without a `Stop` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from codesm.agent.messages import (
    MalformedToolCall,
    ProviderEvent,
    ProviderRequest,
    RetryScheduled,
    ToolCall,
)
from codesm.errors import ProviderError

T = TypeVar("T")

DEFAULT_IDLE_TIMEOUT_S = 120.0
RETRYABLE_STATUSES = frozenset({408, 409, 429, 529}) | frozenset(range(500, 600))


class Provider(Protocol):
    """One wire protocol. `stream` never raises for a cancel; it raises `ProviderError`s."""

    name: str

    def stream(
        self, request: ProviderRequest, *, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[ProviderEvent]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Retries before the stream starts, as the official SDKs do them."""

    max_retries: int = 2
    initial_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 60.0
    """A longer `retry-after` than this is not waited for: the error is raised instead."""

    def backoff(self, retry_number: int, retry_after_s: float | None) -> float:
        """Delay before retry `retry_number` (0-based): the server's word, else jittered backoff."""
        if retry_after_s is not None and retry_after_s > 0:
            return retry_after_s
        delay = min(self.initial_delay_s * 2.0**retry_number, self.max_delay_s)
        return delay * (1 - 0.25 * random.random())


@dataclass(frozen=True)
class Failure:
    """An error before the stream started, classified by an adapter."""

    error: ProviderError
    retry_after_s: float | None = None


class Cancelled(Exception):
    """Internal: the caller's cancel event was set while waiting."""


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        with contextlib.suppress(ValueError):
            return float(ms) / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return float(value)
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())


def status_is_retryable(status: int, headers: Mapping[str, str] | None = None) -> bool:
    should_retry = (headers or {}).get("x-should-retry")
    if should_retry in ("true", "false"):
        return should_retry == "true"
    return status in RETRYABLE_STATUSES


async def wait_for_next(
    awaitable: Awaitable[T], *, cancel: asyncio.Event | None, timeout_s: float | None
) -> T:
    """Await `awaitable`, raising `Cancelled` as soon as `cancel` is set and `TimeoutError` after
    `timeout_s` without a result. The awaitable is cancelled in both cases."""
    task: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    waiters: set[asyncio.Future[object]] = {task}  # type: ignore[arg-type]
    cancel_task = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    if cancel_task is not None:
        waiters.add(cancel_task)  # type: ignore[arg-type]
    try:
        done, _ = await asyncio.wait(
            waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
    except BaseException:
        task.cancel()
        raise
    finally:
        if cancel_task is not None:
            cancel_task.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    if cancel is not None and cancel.is_set():
        raise Cancelled
    raise TimeoutError


@dataclass(frozen=True)
class Opened(Generic[T]):
    value: T


async def open_with_retries(
    opener: Callable[[], Awaitable[T]],
    *,
    classify: Callable[[BaseException], Failure | None],
    policy: RetryPolicy,
    cancel: asyncio.Event | None,
    timeout_s: float | None,
) -> AsyncIterator[RetryScheduled | Opened[T]]:
    """Call `opener` until it succeeds, yielding a `RetryScheduled` before each retry and finally
    `Opened(value)`. `classify` maps an exception to a `Failure` (None: not ours, re-raise).
    Raises `Cancelled` when `cancel` is set while opening or sleeping."""
    retry_number = 0
    while True:
        try:
            value = await wait_for_next(opener(), cancel=cancel, timeout_s=timeout_s)
        except Cancelled:
            raise
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            error = failure.error
            too_long = (
                failure.retry_after_s is not None
                and failure.retry_after_s > policy.max_retry_after_s
            )
            if not error.retryable or retry_number >= policy.max_retries or too_long:
                raise error from exc
            delay = policy.backoff(retry_number, failure.retry_after_s)
            retry_number += 1
            yield RetryScheduled(attempt=retry_number, delay_s=delay, reason=error.message)
            with contextlib.suppress(TimeoutError):
                await wait_for_next(asyncio.sleep(delay), cancel=cancel, timeout_s=None)
            continue
        yield Opened(value)
        return


def parse_tool_arguments(call_id: str, name: str, raw: str) -> ToolCall | MalformedToolCall:
    """A complete tool call's argument text -> `ToolCall`, or `MalformedToolCall` if it is not a
    JSON object. Empty text means no arguments (some servers send "" for a no-argument tool)."""
    if raw.strip() == "":
        return ToolCall(call_id=call_id, name=name, arguments={})
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        return MalformedToolCall(call_id=call_id, name=name, raw_arguments=raw, error=str(exc))
    if not isinstance(parsed, dict):
        error = f"arguments must be a JSON object, got {type(parsed).__name__}"
        return MalformedToolCall(call_id=call_id, name=name, raw_arguments=raw, error=error)
    return ToolCall(call_id=call_id, name=name, arguments=parsed)


def http_error_message(provider: str, status: int, detail: str, key_env: str | None) -> str:
    """A message that says what the user can do about a failed request."""
    hint = ""
    if status in (401, 403) and key_env:
        hint = f" Check {key_env}."
    elif status == 404:
        hint = " Check the model id and the base URL."
    elif status == 413:
        hint = " The request is too large."
    return f"{provider} request failed with HTTP {status}: {detail}.{hint}".replace("..", ".")


_OVERFLOW_MARKERS = (
    "prompt is too long",
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "too many tokens",
)


def is_context_overflow(status: int | None, detail: str) -> bool:
    lowered = detail.lower()
    return status in (400, 413) and any(marker in lowered for marker in _OVERFLOW_MARKERS)
