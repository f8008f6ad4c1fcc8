"""The `codesm` command line: parsing and dispatch only; the work lives in the modules it calls."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.decorators import FC

from codesm import __version__
from codesm.cli_support import TUI_DIRECTORY, CodesmGroup

PERMISSION_MODES = ("review", "auto-edit", "allow-all", "dry-run")

# Options that `codesm` and `codesm web` both take, with the same meaning.
notifications_option = click.option(
    "--notifications/--no-notifications",
    default=None,
    help="Bell (and desktop notification) when a long turn ends or an approval waits.",
)


def max_budget_option(help: str) -> Callable[[FC], FC]:
    """`--max-budget-usd`; `help` says what each face does when the budget is reached."""
    return click.option(
        "--max-budget-usd", type=click.FloatRange(min=0, min_open=True), metavar="USD", help=help
    )


@click.group(
    cls=CodesmGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    type=click.Choice(["error", "warn", "info", "debug", "audit"]),
    default="warn",
    show_default=True,
)
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log here.")
@click.option(
    "--mcp-config",
    metavar="JSON|PATH",
    help="MCP servers as JSON or a file in the .mcp.json shape (added to the configured ones).",
)
@click.option(
    "--strict-mcp-config",
    is_flag=True,
    help="Use only the MCP servers from --mcp-config (ignore settings and .mcp.json).",
)
@notifications_option
@max_budget_option(
    "Session budget for this launch (replaces codesm.budget.session): the TUI asks to "
    "continue, raise or stop at it; headless stops (exit 1, error_max_budget_usd)."
)
@click.option(
    "--visibility",
    type=click.Choice(["private", "workspace"]),
    default=None,
    help="Who may open shared links of threads (private: nobody; workspace: LAN viewers).",
)
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """codesm: a local-first AI coding agent.

    `codesm [DIR]` opens the terminal UI on DIR (default: the current directory).
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
        ctx.exit(run_tui(ctx.meta.get(TUI_DIRECTORY), options))
    prompt = execute or None
    if not prompt and not options["stream_json_input"]:
        prompt = sys.stdin.read() if stdin_piped else None
    ctx.exit(run_execute(prompt, options))


def run_tui(directory: str | None, options: dict[str, Any]) -> int:
    """The Textual TUI on DIRECTORY (default: the current directory)."""
    from codesm.tui import TuiOptions
    from codesm.tui import run_tui as run

    permission_mode = options["permission_mode"]
    if options["dangerously_allow_all"]:
        permission_mode = "allow-all"
    return run(
        TuiOptions(
            workspace=Path(directory) if directory else Path.cwd(),
            continue_latest=options["continue_latest"],
            session_id=options["session_id"],
            mode=options["mode"],
            model=options["model"],
            permission_mode=permission_mode,
            settings_file=options["settings_file"],
            mcp_config=options.get("mcp_config"),
            strict_mcp_config=bool(options.get("strict_mcp_config")),
            visibility=options.get("visibility"),
            max_budget_usd=options.get("max_budget_usd"),
            notifications=options.get("notifications"),
        )
    )


def configure_logging(level: str, log_file: Path | None) -> None:
    """Logs go to stderr (never stdout, which belongs to the answer) and optionally a file."""
    numeric = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO,
               "debug": logging.DEBUG, "audit": 5}[level]  # fmt: skip
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=numeric, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from codesm.security.redact import Redactor, install_log_redaction

    install_log_redaction(Redactor.for_environment(workspace=Path.cwd()))


def run_execute(prompt: str | None, options: dict[str, Any]) -> int:
    from codesm.errors import CodesmError
    from codesm.headless.runner import HeadlessOptions, run_headless

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
        mcp_config=options["mcp_config"],
        max_budget_usd=options.get("max_budget_usd"),
        strict_mcp_config=options["strict_mcp_config"],
        visibility=options.get("visibility"),
        notifications=options.get("notifications"),
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
    help="Loopback address to bind. To share on the LAN use --share, never a wider --host.",
)
@click.option("--no-open", is_flag=True, help="Print the URL but do not open a browser.")
@click.option(
    "--share",
    is_flag=True,
    help="Also listen on the LAN address and print a read-only viewer link for the latest session.",
)
@click.option(
    "--share-host",
    metavar="ADDR",
    help="The LAN IPv4 address to share on (default: this machine's primary one).",
)
@click.option(
    "--share-ttl",
    type=click.FloatRange(0.01, 24 * 7),
    default=8.0,
    show_default=True,
    help="Hours until share links expire.",
)
@click.option(
    "--share-controller", is_flag=True, help="With --share, also a link that can chat and approve."
)
@click.option(
    "--mcp-config",
    metavar="JSON|PATH",
    help="MCP servers as JSON or a .mcp.json-shaped file (same as `codesm --mcp-config`).",
)
@click.option(
    "--strict-mcp-config", is_flag=True, help="Use only the MCP servers from --mcp-config."
)
@max_budget_option(
    "Session budget while this server runs (replaces codesm.budget.session): a session "
    "that reaches it pauses and asks to continue, raise or stop."
)
@notifications_option
@click.pass_context
def web(
    ctx: click.Context,
    directory: Path | None,
    port: int,
    host: str,
    no_open: bool,
    share: bool,
    share_host: str | None,
    share_ttl: float,
    share_controller: bool,
    mcp_config: str | None,
    strict_mcp_config: bool,
    max_budget_usd: float | None,
    notifications: bool | None,
) -> None:
    """Serve the browser UI for DIRECTORY (default: the current directory) on this machine.

    With --share (or the Share button), one session is also shown on the LAN through links that
    expire and can be revoked: viewers read, controllers can also chat and approve.
    """
    from codesm.web.lan import share_host_address
    from codesm.web.server import ShareOptions, WebStartError, loopback_bind_address, serve

    root = ctx.find_root().params
    try:
        loopback_bind_address(host)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from exc
    try:
        lan = share_host_address(share_host) if share_host else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--share-host") from exc
    if share_controller and not share:
        raise click.BadParameter("needs --share", param_hint="--share-controller")
    sharing = ShareOptions(
        at_start=share, host=lan, ttl_s=share_ttl * 3600, controller=share_controller
    )
    try:
        status = serve(
            directory or Path.cwd(),
            host=host,
            port=port,
            open_browser=not no_open,
            sharing=sharing,
            # `codesm --mcp-config X web` and `codesm web --mcp-config X` both work.
            mcp_config=mcp_config or root.get("mcp_config"),
            strict_mcp_config=strict_mcp_config or bool(root.get("strict_mcp_config")),
            max_budget_usd=max_budget_usd or root.get("max_budget_usd"),
            notifications=notifications if notifications is not None else root["notifications"],
        )
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
@click.argument("provider", type=click.Choice(sorted(LOGIN_PROVIDERS)), required=False)
@click.option("--no-verify", is_flag=True, help="Store the key without checking it online.")
def login(provider: str | None, no_verify: bool) -> None:
    """Store an API key for PROVIDER (pasted, or piped on stdin) in a 0600 credentials file.

    The key is first checked with a free call to the provider; a key it rejects is not stored.
    Offline, the key is stored unverified.
    """
    from codesm.config.credentials import environment_with_credentials, save_credential
    from codesm.config.verify import verify_key

    if provider is None:
        if not sys.stdin.isatty():
            raise click.UsageError("name the provider: codesm login anthropic|openai|...")
        provider = click.prompt(
            "Provider", type=click.Choice(sorted(LOGIN_PROVIDERS)), default="anthropic"
        )
    assert provider is not None
    if sys.stdin.isatty():
        key = click.prompt(f"{provider} API key", hide_input=True)
    else:
        key = sys.stdin.read()
    key = key.strip()
    if not key:
        raise click.UsageError("no key given")
    if not no_verify:
        checked = verify_key(provider, key, env=environment_with_credentials())
        if checked.status == "rejected":
            click.echo(f"codesm: {checked.detail}; the key was not stored.", err=True)
            sys.exit(1)
        if checked.status == "valid":
            click.echo(f"Verified: {checked.detail}.")
        else:
            click.echo(f"Note: {checked.detail}; storing the key unverified.", err=True)
    path = save_credential(LOGIN_PROVIDERS[provider], key)
    click.echo(f"Stored the {provider} key in {path} (readable only by you).")
    click.echo(f"{LOGIN_PROVIDERS[provider]} in the environment still wins over it.")


@main.command()
@click.argument("provider", type=click.Choice(sorted(LOGIN_PROVIDERS)), required=False)
def logout(provider: str | None) -> None:
    """Forget the stored API key for PROVIDER (every stored key when none is named)."""
    from codesm.config.credentials import remove_credential

    removed = [n for n in ([provider] if provider else sorted(LOGIN_PROVIDERS))
               if remove_credential(LOGIN_PROVIDERS[n])]  # fmt: skip
    for name in removed:
        click.echo(f"Removed the stored {name} key.")
    if not removed:
        click.echo(f"No {provider or 'provider'} key was stored.")


from codesm.cli_misc import register as _register_misc  # noqa: E402

_register_misc(main)

from codesm.cli_usage import usage as _usage  # noqa: E402

main.add_command(_usage)

from codesm.cli_mcp import register as _register_mcp  # noqa: E402

_register_mcp(main)
