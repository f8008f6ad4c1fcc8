"""`codesm update`, `codesm completion`, and the registration of every command group that lives
outside `codesm.cli` (one line there keeps that module small)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from codesm.cli_support import EXIT_ERROR

COMPLETE_VAR = "_CODESM_COMPLETE"


@click.command()
@click.option("--force", is_flag=True, help="Upgrade even a source checkout from the registry.")
@click.option("--pre", is_flag=True, help="Allow pre-release versions.")
@click.option("--verbose", "-v", is_flag=True, help="Show pip's output.")
def update(force: bool, pre: bool, verbose: bool) -> None:
    """Upgrade codesm with pip (in the environment it runs from)."""
    from codesm.update import upgrade

    result = upgrade(force=force, pre=pre)
    if result.output and (verbose or result.status == "failed"):
        click.echo(result.output.rstrip(), err=True)
    click.echo(result.message, err=not result.ok)
    if not result.ok:
        raise click.exceptions.Exit(EXIT_ERROR)


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    bash: eval "$(codesm completion bash)"   (e.g. in ~/.bashrc)
    zsh:  eval "$(codesm completion zsh)"    (e.g. in ~/.zshrc)
    fish: codesm completion fish > ~/.config/fish/completions/codesm.fish
    """
    root = click.get_current_context().find_root()
    assert isinstance(root.command, click.Command)
    cls = get_completion_class(shell)
    assert cls is not None  # click ships bash, zsh and fish
    click.echo(cls(root.command, {}, "codesm", COMPLETE_VAR).source())


def register(group: click.Group) -> None:
    """Add the command groups defined outside `codesm.cli` to the `codesm` group."""
    from codesm.cli_permissions import permissions
    from codesm.cli_threads import threads
    from codesm.cli_tools import tools

    for command in (threads, tools, permissions, update, completion):
        group.add_command(command)
