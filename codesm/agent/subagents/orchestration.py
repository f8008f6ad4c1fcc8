"""Several subagents at once: in parallel, in stages, or as a pipeline; and their report.

- `run_parallel`: up to `max_concurrent` at a time; with `fail_fast` the first failure cancels the
  running tasks (their streams and tool calls stop) and the queued ones never start.
- `run_stages`: stages in order, the tasks of a stage in parallel; every task of a stage gets the
  results of all earlier stages as context.
- `run_pipeline`: steps in order; `{previous_result}` in a step's template is the previous step's
  result (`initial_context` for the first step), `{initial_context}` is always the initial context.
  A failed step ends the pipeline.
- `format_report`: the text the parent model reads; each result is cut to a share of the budget,
  the full text stays in the child session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from codesm.agent.subagents.runner import SubagentRunner
from codesm.agent.subagents.tasks import ParentRef, TaskResult, TaskSpec

MAX_PARALLEL_TASKS = 10
DEFAULT_MAX_CONCURRENT = 5
REPORT_CHARS = 40_000
MIN_TASK_CHARS = 2_000
CONTEXT_CHARS = 24_000


async def run_parallel(
    runner: SubagentRunner,
    parent: ParentRef,
    specs: Sequence[TaskSpec],
    *,
    cancel: asyncio.Event,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    fail_fast: bool = False,
    first_index: int = 0,
) -> list[TaskResult]:
    """Run `specs` concurrently; results in the order of `specs`."""
    group = asyncio.Event()
    results = [TaskResult(index=first_index + i, spec=s) for i, s in enumerate(specs)]
    limit = asyncio.Semaphore(max(1, max_concurrent))

    async def one(i: int) -> None:
        async with limit:
            if group.is_set():
                why = "a sibling task failed" if not cancel.is_set() else "cancelled"
                results[i].status, results[i].error = "cancelled", f"not started: {why}"
                return
            results[i] = await runner.run(parent, specs[i], index=first_index + i, cancel=group)
        if fail_fast and results[i].status == "failed":
            group.set()

    link = asyncio.create_task(_link(cancel, group))
    try:
        await asyncio.gather(*(one(i) for i in range(len(specs))))
    finally:
        link.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await link
    if fail_fast and not cancel.is_set() and any(r.status == "failed" for r in results):
        for result in results:
            if result.status == "cancelled" and result.error and "sibling" not in result.error:
                result.error = f"cancelled because a sibling task failed ({result.error})"
    return results


async def _link(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


@dataclass(frozen=True)
class StageResults:
    stages: list[list[TaskResult]]

    @property
    def all(self) -> list[TaskResult]:
        return [r for stage in self.stages for r in stage]


async def run_stages(
    runner: SubagentRunner,
    parent: ParentRef,
    stages: Sequence[Sequence[TaskSpec]],
    *,
    cancel: asyncio.Event,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    fail_fast: bool = False,
) -> StageResults:
    """Stages in order; each task sees the results of the earlier stages."""
    done: list[list[TaskResult]] = []
    index = 0
    stop: str | None = None
    for number, stage in enumerate(stages, 1):
        if stop is None and cancel.is_set():
            stop = "cancelled"
        if stop is not None:
            done.append([_skipped(index + i, s, stop) for i, s in enumerate(stage)])
            index += len(stage)
            continue
        context = stage_context(done)
        specs = [_with_context(s, context) for s in stage] if context else list(stage)
        results = await run_parallel(
            runner, parent, specs, cancel=cancel, max_concurrent=max_concurrent,
            fail_fast=fail_fast, first_index=index,
        )  # fmt: skip
        for result, original in zip(results, stage, strict=True):
            result.spec = original
        done.append(results)
        index += len(stage)
        if fail_fast and any(r.status == "failed" for r in results):
            stop = f"not started: a task of stage {number} failed"
    return StageResults(done)


def stage_context(stages: Sequence[Sequence[TaskResult]]) -> str:
    """The results of earlier stages, as the context block a later stage's tasks receive."""
    if not stages:
        return ""
    count = sum(len(stage) for stage in stages)
    share = max(MIN_TASK_CHARS, CONTEXT_CHARS // max(1, count))
    parts: list[str] = []
    for number, stage in enumerate(stages, 1):
        for result in stage:
            body = result.text if result.ok else f"({result.status}: {result.error})"
            parts.append(
                f"### Stage {number}: {result.subagent_type or result.spec.subagent_type} — "
                f"{result.description} ({result.status})\n{_cut(body, share, result)}"
            )
    return "<previous_stages>\n" + "\n\n".join(parts) + "\n</previous_stages>"


def _with_context(spec: TaskSpec, context: str) -> TaskSpec:
    prompt = f"{spec.prompt}\n\nResults of the earlier stages of this plan:\n{context}"
    return TaskSpec(spec.subagent_type, prompt, spec.description, spec.model)


def _skipped(index: int, spec: TaskSpec, why: str) -> TaskResult:
    return TaskResult(index=index, spec=spec, status="cancelled", error=why)


async def run_pipeline(
    runner: SubagentRunner,
    parent: ParentRef,
    steps: Sequence[TaskSpec],
    *,
    cancel: asyncio.Event,
    initial_context: str = "",
) -> list[TaskResult]:
    """Steps in order, each `spec.prompt` a template (see the module docstring)."""
    results: list[TaskResult] = []
    previous = initial_context
    stop: str | None = None
    for index, step in enumerate(steps):
        if stop is None and cancel.is_set():
            stop = "cancelled"
        if stop is not None:
            results.append(_skipped(index, step, stop))
            continue
        prompt = render_template(step.prompt, previous, initial_context)
        spec = TaskSpec(step.subagent_type, prompt, step.description, step.model)
        result = await runner.run(parent, spec, index=index, cancel=cancel)
        result.spec = TaskSpec(step.subagent_type, prompt, step.description, step.model)
        results.append(result)
        if not result.ok:
            stop = f"not started: step {index + 1} {result.status}"
        previous = result.text
    return results


def render_template(template: str, previous: str, initial: str) -> str:
    """Fill `{previous_result}` and `{initial_context}`; other braces are left alone."""
    return template.replace("{previous_result}", previous).replace("{initial_context}", initial)


def _cut(text: str, limit: int, result: TaskResult) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    where = f" in subagent session {result.session_id}" if result.session_id else ""
    more = len(text) - limit
    return f"{text[:limit].rstrip()}\n[... {more:,} more characters; the full result is{where}]"


def format_report(title: str, results: Sequence[TaskResult], *, elapsed_s: float) -> str:
    """The tool result the parent model reads: a summary line, then each task's result."""
    counts = {s: sum(r.status == s for r in results) for s in ("completed", "failed", "cancelled")}
    cost = sum(r.cost_usd for r in results)
    lines = [
        f"{title}: {len(results)} task(s), {counts['completed']} completed, "
        f"{counts['failed']} failed, {counts['cancelled']} cancelled in {elapsed_s:.1f} s "
        f"(cost ${cost:.4f})."
    ]
    share = max(MIN_TASK_CHARS, REPORT_CHARS // max(1, len(results)))
    for result in results:
        kind = result.subagent_type or result.spec.subagent_type
        head = f"## {result.index + 1}. {kind} — {result.description} — {result.status}"
        facts = [f"{result.duration_s:.1f} s", f"${result.cost_usd:.4f}"]
        if result.model:
            facts.append(result.model)
        if result.session_id:
            facts.append(f"session {result.session_id}")
        head += f" ({', '.join(facts)})"
        if result.route_reason:
            head += f"\nRouted to {kind}: {result.route_reason}"
        body = result.text if result.ok else f"Error: {result.error or result.status}"
        if not result.ok and result.text:
            body += f"\nPartial result:\n{result.text}"
        lines.append(f"{head}\n{_cut(body, share, result)}")
    return "\n\n".join(lines)
