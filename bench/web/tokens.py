"""W2: server-added latency per streamed token, scripted LLM -> codesm -> WebSocket clients.

The paced scripted LLM streams `w000000 w000001 ...` at a set rate and stamps each token as it
leaves; the real agent of a real `codesm web` streams it through the provider SDK, the event log
and the hub to the session page's WebSocket. The peer in the same round is a client reading the
same scripted SSE directly (httpx). Added latency = codesm's percentile minus the direct one.
Also: the server's CPU per token, and whether late tokens are slower than early ones (a
per-chunk re-render of the whole reply would make them so, Cline #13209).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import httpx
from websockets.asyncio.client import ClientConnection

from bench.web.clients import close_all, first_frame, open_clients, percentile
from bench.web.options import Options
from bench.web.paced_llm import TOKEN, PacedLLMServer, token_turn
from bench.web.report import Report, Row, compare_row, med
from bench.web.servers import OwnerSession, ServerProcess, cpu_ns
from codesm.agent.titles import TITLE_PROMPT
from tests.support.llm_script import Turn

Trial = dict[str, float]
SETTLE_S = 0.5


def _read_tokens(text: str, seen: dict[int, int], now: int) -> None:
    for m in TOKEN.finditer(text.encode()):
        seen.setdefault(int(m.group(1)), now)


async def _ws_tokens(ws: ClientConnection, count: int, idle_s: float) -> dict[int, int]:
    seen: dict[int, int] = {}
    while True:
        timeout = SETTLE_S if len(seen) >= count else idle_s
        try:
            message = await asyncio.wait_for(ws.recv(), timeout)
        except TimeoutError:
            return seen
        text = message if isinstance(message, str) else message.decode()
        _read_tokens(text, seen, time.monotonic_ns())


def _stats(llm: PacedLLMServer, seen: list[dict[int, int]], count: int) -> Trial:
    latencies = [t - llm.written_ns[i] for s in seen for i, t in s.items() if i in llm.written_ns]
    window = max(1, min(1000, count // 4))
    early = [s[i] - llm.written_ns[i] for s in seen for i in range(window) if i in s]
    late = [s[i] - llm.written_ns[i] for s in seen for i in range(count - window, count) if i in s]
    return {
        "p50_ms": percentile(latencies, 0.50) / 1e6,
        "p99_ms": percentile(latencies, 0.99) / 1e6,
        "late_over_early": statistics.median(late) / max(1, statistics.median(early))
        if early and late
        else float("nan"),
        "missing": count * len(seen) - len(latencies),
    }


async def via_codesm(
    opts: Options,
    server: ServerProcess,
    login: OwnerSession,
    llm: PacedLLMServer,
    rate: int,
    clients: int,
    tag: str,
) -> Trial:
    count = opts.tokens_at[rate]
    session = (await asyncio.to_thread(server.call, "new_session"))["session"]
    readers = await open_clients(login.ws_url(session), clients, **login.ws_args())
    try:
        await asyncio.gather(*(first_frame(ws) for ws in readers))
        llm.pace(rate)
        llm.push(Turn(text="Bench title", when=TITLE_PROMPT[:40]), token_turn(count, when=tag))
        cpu0 = cpu_ns(server.pid)
        tasks = [asyncio.create_task(_ws_tokens(ws, count, opts.idle_timeout_s)) for ws in readers]
        prompt = {"type": "submit_prompt", "text": tag, "csrf_token": login.csrf}
        await readers[0].send(json.dumps(prompt))
        seen = await asyncio.gather(*tasks)
        cpu1 = cpu_ns(server.pid)
    finally:
        await close_all(readers)
    return {**_stats(llm, list(seen), count), "cpu_us_per_token": (cpu1 - cpu0) / 1e3 / count}


async def direct(llm: PacedLLMServer, rate: int, count: int, tag: str) -> Trial:
    llm.pace(rate)
    llm.push(token_turn(count, when=tag))
    body = {
        "model": "claude-bench",
        "max_tokens": 4096,
        "stream": True,
        "messages": [{"role": "user", "content": tag}],
    }
    headers = {"x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01"}
    seen: dict[int, int] = {}
    async with (
        httpx.AsyncClient(timeout=60) as http,
        http.stream("POST", f"{llm.base_url}/v1/messages", json=body, headers=headers) as response,
    ):
        async for chunk in response.aiter_text():
            _read_tokens(chunk, seen, time.monotonic_ns())
    return _stats(llm, [seen], count)


async def run(
    opts: Options, server: ServerProcess, login: OwnerSession, llm: PacedLLMServer, report: Report
) -> None:
    series: dict[str, list[float]] = {}
    fan = [1, 10] if not opts.quick else [1, 2]
    for r in range(opts.rounds):
        opts.before_round()
        sides = [(rate, n) for rate in opts.token_rates for n in [0, *fan]]
        opts.rng.shuffle(sides)
        for rate, n in sides:
            tag = f"W2GO-{r}-{rate}-{n}-{time.monotonic_ns()}"
            if n == 0:
                trial = await direct(llm, rate, opts.tokens_at[rate], tag)
            else:
                trial = await via_codesm(opts, server, login, llm, rate, n, tag)
            for key, value in trial.items():
                series.setdefault(f"{rate} {n} {key}", []).append(value)
    report.samples["W2"] = series
    for rate in opts.token_rates:
        count = opts.tokens_at[rate]
        base = f"{rate} tok/s ({count} tokens)"
        d50, d99 = series[f"{rate} 0 p50_ms"], series[f"{rate} 0 p99_ms"]
        for n in fan:
            s = {k.split(" ", 2)[2]: v for k, v in series.items() if k.startswith(f"{rate} {n} ")}
            who = f"{base}, {n} client{'s' if n > 1 else ''}"
            report.add(
                compare_row("W2", f"{who}: latency p50", "ms", s["p50_ms"], d50, "direct SSE")
            )
            report.add(
                compare_row("W2", f"{who}: latency p99", "ms", s["p99_ms"], d99, "direct SSE")
            )
            added50 = med([a - b for a, b in zip(s["p50_ms"], d50, strict=True)])
            added99 = med([a - b for a, b in zip(s["p99_ms"], d99, strict=True)])
            if n == 1:
                report.add(
                    Row(
                        "W2", f"{who}: added p50", "ms", added50, target="≤1 ms", met=added50 <= 1.0
                    )
                )
            limit = 5.0 if n == 1 else 10.0
            report.add(
                Row(
                    "W2",
                    f"{who}: added p99",
                    "ms",
                    added99,
                    target=f"≤{limit:g} ms",
                    met=added99 <= limit,
                )
            )
            window = max(1, min(1000, count // 4))
            ratio = med(s["late_over_early"])
            report.add(
                Row(
                    "W2",
                    f"{who}: last-{window}/first-{window} token latency",
                    "x",
                    ratio,
                    target="≤1.2",
                    met=ratio <= 1.2,
                )
            )
            if n == 1:
                cpu = med(s["cpu_us_per_token"])
                report.add(
                    Row(
                        "W2",
                        f"{who}: server CPU per token",
                        "µs",
                        cpu,
                        target="≤100 µs",
                        met=cpu <= 100,
                    )
                )
            missing = max(s["missing"])
            if missing:
                report.notes.append(f"W2 {who}: up to {missing:.0f} token receipts missing")
