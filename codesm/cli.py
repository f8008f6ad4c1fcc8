"""The `codesm` command line: parsing and dispatch only; the work lives in the modules it calls."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import click

from codesm import __version__

PERMISSION_MODES = ("review", "auto-edit", "allow-all", "dry-run")


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="codesm")
@click.option(
    "-x",
    "--execute",
    "execute",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="PROMPT",
    help="Run one prompt without a UI and print the last answer (prompt from stdin if omitted).",
)
@click.option("--stream-json", is_flag=True, help="Print Claude Code-compatible JSON lines.")
@click.option("--stream-json-thinking", is_flag=True, help="Include thinking in --stream-json.")
@click.option(
    "--stream-json-input", is_flag=True, help="Read user messages as JSON lines from stdin."
)
@click.option("--include-partial-messages", is_flag=True, help="Add stream_event delta lines.")
@click.option("-m", "--mode", type=click.Choice(["smart", "rush"]), help="Agent mode.")
@click.option("--model", help="Model id or alias (e.g. sonnet, gpt-5.5, ollama/qwen3:8b).")
@click.option("-l", "--label", "labels", multiple=True, help="Label for a new session.")
@click.option("--continue", "continue_latest", is_flag=True, help="Continue the latest session.")
@click.option("--session", "session_id", help="Continue the session with this id.")
@click.option(
    "--permission-mode", type=click.Choice(PERMISSION_MODES), help="How tool calls are approved."
)
@click.option(
    "--dangerously-allow-all", is_flag=True, help="Nothing asks for approval (still recorded)."
)
@click.option(
    "--settings-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file that wins over the global and workspace ones.",
)
@click.option(
    "--log-level",
    type=click.Choice(["error", "warn", "info", "debug"]),
    default="warn",
    show_default=True,
)
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log here.")
@click.option(
    "--mcp-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MCP servers file (.mcp.json shape); MCP support is not built yet.",
)
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """codesm: a local-first AI coding agent.

    Run `codesm web` for the browser UI, `codesm -x "prompt"` to run headless,
    `codesm doctor` to check this machine.
    """
    configure_logging(options["log_level"], options["log_file"])
    if ctx.invoked_subcommand is not None:
        return
    execute = options["execute"]
    stdin_piped = not sys.stdin.isatty()
    stdout_piped = not sys.stdout.isatty()
    if execute is None and not (stdin_piped and stdout_piped) and not options["stream_json_input"]:
        # The Textual TUI is its own issue; until it lands, say so instead of pretending.
        click.echo(
            "The terminal UI is not built yet. Use `codesm web` for the browser UI, "
            '`codesm -x "prompt"` to run headless, or `codesm --help`.',
            err=True,
        )
        ctx.exit(2)
    prompt = execute or None
    if not prompt and not options["stream_json_input"]:
        prompt = sys.stdin.read() if stdin_piped else None
    ctx.exit(run_execute(prompt, options))


def configure_logging(level: str, log_file: Path | None) -> None:
    """Logs go to stderr (never stdout, which belongs to the answer) and optionally a file."""
    numeric = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO,
               "debug": logging.DEBUG}[level]  # fmt: skip
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=numeric, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def run_execute(prompt: str | None, options: dict[str, Any]) -> int:
    from codesm.errors import CodesmError
    from codesm.headless.runner import HeadlessOptions, run_headless

    if options["mcp_config"] is not None:
        click.echo(
            "codesm: --mcp-config is accepted but MCP servers are not supported yet", err=True
        )
    permission_mode = options["permission_mode"]
    if options["dangerously_allow_all"]:
        permission_mode = "allow-all"
    headless = HeadlessOptions(
        workspace=Path.cwd(),
        prompt=prompt,
        stream_json=options["stream_json"] or options["stream_json_input"],
        stream_json_thinking=options["stream_json_thinking"],
        stream_json_input=options["stream_json_input"],
        include_partial=options["include_partial_messages"],
        mode=options["mode"],
        model=options["model"],
        labels=tuple(options["labels"]),
        continue_latest=options["continue_latest"],
        session_id=options["session_id"],
        permission_mode=permission_mode,
        settings_file=options["settings_file"],
    )
    try:
        return asyncio.run(run_headless(headless, stdin=sys.stdin, stdout=sys.stdout))
    except CodesmError as exc:
        click.echo(f"codesm: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("codesm: interrupted", err=True)
        return 130


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Check Python, the native core, user directories, providers and test tools."""
    from codesm.doctor import render_report, run_checks

    checks = run_checks()
    click.echo(render_report(checks, as_json=as_json))
    if any(check.status == "fail" for check in checks):
        sys.exit(1)


@main.command()
@click.argument(
    "directory",
    required=False,
    type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path),
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Loopback address to bind. Sharing on the LAN will need --share (not built yet).",
)
@click.option("--no-open", is_flag=True, help="Print the URL but do not open a browser.")
def web(directory: Path | None, port: int, host: str, no_open: bool) -> None:
    """Serve the browser UI for DIRECTORY (default: the current directory) on this machine."""
    from codesm.web.server import WebStartError, loopback_bind_address, serve

    try:
        loopback_bind_address(host)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from exc
    try:
        status = serve(directory or Path.cwd(), host=host, port=port, open_browser=not no_open)
    except WebStartError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(status)


LOGIN_PROVIDERS = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "gemini": "GEMINI_API_KEY",
}


@main.command()
@click.argument("provider", type=click.Choice(sorted(LOGIN_PROVIDERS)))
def login(provider: str) -> None:
    """Store an API key for PROVIDER (pasted, or piped on stdin) in a 0600 credentials file."""
    from codesm.config.credentials import save_credential

    if sys.stdin.isatty():
        key = click.prompt(f"{provider} API key", hide_input=True)
    else:
        key = sys.stdin.read()
    key = key.strip()
    if not key:
        raise click.UsageError("no key given")
    path = save_credential(LOGIN_PROVIDERS[provider], key)
    click.echo(f"Stored the {provider} key in {path} (readable only by you).")
    click.echo(f"{LOGIN_PROVIDERS[provider]} in the environment still wins over it.")


@main.command()
@click.argument("provider", type=click.Choice(sorted(LOGIN_PROVIDERS)))
def logout(provider: str) -> None:
    """Forget the stored API key for PROVIDER."""
    from codesm.config.credentials import remove_credential

    if remove_credential(LOGIN_PROVIDERS[provider]):
        click.echo(f"Removed the stored {provider} key.")
    else:
        click.echo(f"No {provider} key was stored.")
