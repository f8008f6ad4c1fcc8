"""`codesm instructions`: which AGENTS.md / CLAUDE.md files are in effect for this workspace."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("instructions")
@click.argument(
    "directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def instructions_command(directory: Path | None, as_json: bool) -> None:
    """List the instruction files the agent reads for DIRECTORY (default: here), in prompt order."""
    from codesm.agent.instructions import find_instructions

    found = find_instructions(directory or Path.cwd())
    if as_json:
        rows = [
            {"path": str(f.path), "bytes": len(f.text.encode()), "truncated": f.truncated}
            for f in found
        ]
        click.echo(json.dumps({"instructions": rows}, indent=2))
        return
    if not found:
        click.echo("No AGENTS.md or CLAUDE.md in effect. `codesm init` drafts an AGENTS.md.")
    for item in found:
        note = " (truncated to 64 KiB)" if item.truncated else ""
        click.echo(f"{item.path}  {len(item.text.encode())} bytes{note}")
