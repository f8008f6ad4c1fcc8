"""The `codesm` command line: parsing and dispatch only; the work lives in the modules it calls."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from codesm import __version__


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="codesm")
@click.pass_context
def main(ctx: click.Context) -> None:
    """codesm: a local-first AI coding agent.

    Run `codesm web` for the browser UI, `codesm doctor` to check this machine.
    """
    if ctx.invoked_subcommand is not None:
        return
    # The Textual TUI is its own issue; until it lands, say so instead of pretending.
    click.echo(
        "The terminal UI is not built yet. Use `codesm web` for the browser UI, "
        "or `codesm --help` for the commands that exist.",
        err=True,
    )
    ctx.exit(2)


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
