"""What individual programs do with their arguments: run other programs, write files, evaluate code.

`inspect_argv` looks at one simple command's words (after quote removal) and reports the risky
constructs in it, the commands it wraps (``sudo rm``, ``find -exec rm``, ``xargs rm``) so deny
rules still see them, and inline scripts (``bash -c '...'``, ``eval ...``) to parse in turn.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Inspection", "RiskyConstruct", "inspect_argv", "program_name"]


@dataclass(frozen=True)
class RiskyConstruct:
    """Something in a command that can never be auto-allowed by a plain allow rule.

    `protected` risks (writes to protected paths) ask even in allow-all mode.
    """

    kind: str
    detail: str
    protected: bool = False


@dataclass
class Inspection:
    risks: list[RiskyConstruct] = field(default_factory=list)
    wrapped: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    scripts: list[tuple[str, str]] = field(default_factory=list)

    def risk(self, kind: str, detail: str) -> None:
        self.risks.append(RiskyConstruct(kind, detail))


def program_name(word: str) -> str:
    """``/usr/bin/rm`` -> ``rm``; the name deny rules and the program tables use."""
    return os.path.basename(word.rstrip("/")) or word


# wrapper -> (options that take a value, positional arguments before the wrapped command)
WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "sudo": (
        frozenset(
            [
                "-u",
                "-g",
                "-C",
                "-D",
                "-h",
                "-p",
                "-r",
                "-t",
                "-U",
                "-T",
                "--user",
                "--group",
                "--chdir",
                "--host",
            ]
        ),
        0,
    ),
    "doas": (frozenset({"-u", "-C"}), 0),
    "env": (frozenset({"-u", "--unset", "-C", "--chdir"}), 0),
    "timeout": (frozenset({"-s", "--signal", "-k", "--kill-after"}), 1),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "ionice": (frozenset({"-c", "-n", "--class", "--classdata"}), 0),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0),
    "chrt": (frozenset(), 1),
    "taskset": (frozenset(), 1),
    "flock": (frozenset({"-w", "--timeout", "-E"}), 1),
    "chroot": (frozenset({"--userspec", "--groups"}), 1),
    "watch": (frozenset({"-n", "--interval", "-d"}), 0),
    "xargs": (
        frozenset(
            [
                "-a",
                "-d",
                "-E",
                "-I",
                "-L",
                "-n",
                "-P",
                "-s",
                "--arg-file",
                "--delimiter",
                "--max-args",
                "--max-procs",
            ]
        ),
        0,
    ),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "strace": (frozenset({"-e", "-o", "-p", "-s", "-u", "-E"}), 0),
    "ltrace": (frozenset({"-e", "-o", "-p", "-s", "-u"}), 0),
    "exec": (frozenset({"-a"}), 0),
    "nohup": (frozenset(), 0),
    "command": (frozenset(), 0),
    "builtin": (frozenset(), 0),
    "setsid": (frozenset(), 0),
    "unbuffer": (frozenset(), 0),
    "runuser": (frozenset({"-u", "-g", "--user", "--group"}), 0),
    "pkexec": (frozenset({"--user"}), 0),
    "busybox": (frozenset(), 0),
    "parallel": (frozenset({"-j", "--jobs"}), 0),
    "caffeinate": (frozenset(), 0),
}
SHELLS = frozenset(
    ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "tcsh", "csh", "yash"]
)
SCRIPT_RUNNERS = frozenset({"source", ".", "eval"})
INLINE_CODE_FLAGS: dict[str, frozenset[str]] = {
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "php": frozenset({"-r", "--run"}),
    "lua": frozenset({"-e"}),
    "luajit": frozenset({"-e"}),
    "rscript": frozenset({"-e"}),
    "osascript": frozenset({"-e"}),
    "tclsh": frozenset(),
}
CLUSTER_CODE_LETTERS: dict[str, str] = {"perl": "eE", "ruby": "e", "python": "c", "pypy": "c"}
PACKAGE_RUNNERS = frozenset({"npx", "npm", "pnpm", "yarn", "bunx", "pnpx"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
FIND_WRITE = frozenset({"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"})
GIT_SAFE_GLOBALS = frozenset(
    [
        "--no-pager",
        "--no-optional-locks",
        "--literal-pathspecs",
        "--no-replace-objects",
        "--glob-pathspecs",
        "--noglob-pathspecs",
        "--icase-pathspecs",
        "--bare",
    ]
)
GIT_RISKY_SUBCOMMANDS = frozenset(
    [
        "filter-branch",
        "filter-repo",
        "difftool",
        "mergetool",
        "daemon",
        "instaweb",
        "send-email",
        "upload-pack",
        "receive-pack",
        "shell",
        "credential",
        "credential-store",
        "credential-cache",
        "cvsserver",
        "archimport",
        "cvsimport",
        "p4",
        "svn",
        "fast-import",
        "remote-ext",
    ]
)
GIT_RISKY_ARG_PREFIXES = (
    "--exec",
    "--upload-pack",
    "--receive-pack",
    "--output",
    "--ext-diff",
    "--extcmd",
    "--tool",
    "--open-files-in-pager",
    "--config",
)
_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")


def _short_cluster(arg: str) -> str:
    return arg[1:] if len(arg) > 1 and arg[0] == "-" and arg[1] != "-" else ""


def _unwrap(argv: Sequence[str], value_opts: frozenset[str], positional: int) -> tuple[str, ...]:
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg.startswith("-") and len(arg) > 1:
            i += 2 if arg in value_opts else 1
            continue
        if "=" in arg and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", arg):
            i += 1
            continue
        if positional:
            positional -= 1
            i += 1
            continue
        break
    return tuple(argv[i:])


def _check_interpreters(prog: str, argv: Sequence[str], out: Inspection) -> None:
    args = argv[1:]
    if prog in SHELLS:
        for i, arg in enumerate(args):
            if "c" in _short_cluster(arg) or arg == "--command":
                out.risk("shell -c", f"{prog} {arg} runs an inline script")
                rest = [a for a in args[i + 1 :] if not a.startswith("-")]
                if rest:
                    out.scripts.append((rest[0], f"{prog} -c"))
                return
        if not any(not a.startswith("-") for a in args) or "-s" in args:
            out.risk("shell from stdin", f"{prog} runs commands read from its input")
        return
    family = "python" if _PYTHON.match(prog) else prog
    letters = CLUSTER_CODE_LETTERS.get(family)
    if letters is not None:
        for arg in args:
            if any(ch in letters for ch in _short_cluster(arg)):
                out.risk("inline code", f"{prog} {arg} runs inline code")
                return
            if not arg.startswith("-"):
                return
        return
    flags = INLINE_CODE_FLAGS.get(prog)
    if flags is not None and any(a in flags or a.split("=", 1)[0] in flags for a in args):
        out.risk("inline code", f"{prog} runs inline code")
    if prog in {"awk", "gawk", "mawk", "nawk", "busybox-awk"} and any(
        "system" in a or "|" in a or ">" in a or "getline" in a or a.startswith("-f") for a in args
    ):
        out.risk("awk program", "this awk program can run commands or write files")
    if prog in {"sed", "gsed"}:
        _check_sed(args, out)


def _check_sed(args: Sequence[str], out: Inspection) -> None:
    scripts: list[str] = []
    for i, arg in enumerate(args):
        if arg.startswith(("-i", "--in-place", "-f", "--file")):
            out.risk("sed writes", f"sed {arg} edits files in place or reads a script file")
            return
        if arg in {"-e", "--expression"} and i + 1 < len(args):
            scripts.append(args[i + 1])
        elif arg.startswith("--expression="):
            scripts.append(arg.split("=", 1)[1])
    if not scripts:
        scripts = [a for a in args if not a.startswith("-")][:1]
    if any(re.search(r"[ewrWR]", script) for script in scripts):
        out.risk("sed script", "this sed script may write files or run commands")


def _check_find(argv: Sequence[str], out: Inspection) -> None:
    for i, arg in enumerate(argv):
        if arg in FIND_EXEC:
            out.risk("find -exec", f"find {arg} runs a command for each file")
            inner: list[str] = []
            for word in argv[i + 1 :]:
                if word in (";", "+"):
                    break
                inner.append(word)
            if inner:
                out.wrapped.append((tuple(inner), f"find {arg}"))
        elif arg in FIND_WRITE:
            out.risk("find writes", f"find {arg} deletes or writes files")


def _check_git(argv: Sequence[str], out: Inspection) -> None:
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] not in GIT_SAFE_GLOBALS:
            out.risk("git global option", f"git {argv[i]} can change what git runs or where")
        i += 1
    sub = argv[i] if i < len(argv) else ""
    rest = argv[i + 1 :]
    if sub in GIT_RISKY_SUBCOMMANDS:
        out.risk("git subcommand", f"git {sub} can run other programs or leak data")
    if sub == "config" and not any(
        a in {"--get", "--get-all", "--get-regexp", "--list", "-l"} for a in rest
    ):
        out.risk("git config", "git config can set programs git will run")
    if (sub == "bisect" and "run" in rest) or (sub == "submodule" and "foreach" in rest):
        out.risk("git runs a command", f"git {sub} runs an arbitrary command")
    if sub == "rebase" and any(a in {"-x", "--exec"} or a.startswith("--exec=") for a in rest):
        out.risk("git runs a command", "git rebase --exec runs a command")
    if sub in {"clone", "submodule", "fetch", "pull"} and "-c" in rest:
        out.risk("git -c", f"git {sub} -c sets configuration")
    if sub == "grep" and any(a.startswith("-O") for a in rest):
        out.risk("git runs a command", "git grep -O opens files with a program")
    for arg in rest:
        if arg.startswith(GIT_RISKY_ARG_PREFIXES):
            out.risk("git option", f"git {sub} {arg.split('=', 1)[0]} can run or write")


def _check_writers(prog: str, argv: Sequence[str], out: Inspection) -> None:
    args = argv[1:]
    if prog == "sort" and any(
        a.startswith(("--output", "--compress-program")) or "o" in _short_cluster(a) for a in args
    ):
        out.risk("writes a file", "sort -o writes a file or --compress-program runs one")
    elif prog == "tree" and any(a == "-o" or a.startswith("-o") for a in args):
        out.risk("writes a file", "tree -o writes a file")
    elif prog == "uniq" and len([a for a in args if not a.startswith("-")]) > 1:
        out.risk("writes a file", "uniq with two file names writes the second")
    elif prog == "file" and any(a in {"-C", "--compile"} for a in args):
        out.risk("writes a file", "file -C writes a magic file")
    elif prog == "rg" and any(a.startswith(("--pre", "--hostname-bin")) for a in args):
        out.risk("runs a command", "rg --pre / --hostname-bin runs a program")
    elif prog in PACKAGE_RUNNERS and any(
        a in {"-c", "--call"} or a.startswith("--call=") for a in args
    ):
        out.risk("inline script", f"{prog} -c runs a shell script")


def inspect_argv(argv: Sequence[str]) -> Inspection:
    """Risks, wrapped commands and inline scripts of one simple command."""
    out = Inspection()
    if not argv:
        return out
    prog = program_name(argv[0])
    if prog in WRAPPERS:
        value_opts, positional = WRAPPERS[prog]
        out.risk("runs another program", f"{prog} runs the command given to it")
        inner = _unwrap(argv, value_opts, positional)
        if inner:
            out.wrapped.append((inner, prog))
        if prog == "env" and any(a == "-S" or a.startswith("--split-string") for a in argv):
            out.scripts.append((" ".join(argv[2:]), "env -S"))
    elif prog in SCRIPT_RUNNERS:
        out.risk("evaluates code", f"{prog} runs shell code")
        if prog == "eval" and len(argv) > 1:
            out.scripts.append((" ".join(argv[1:]), "eval"))
    elif prog in {"su", "script"} and "-c" in argv:
        out.risk("runs another program", f"{prog} -c runs a command")
        idx = list(argv).index("-c")
        if idx + 1 < len(argv):
            out.scripts.append((argv[idx + 1], f"{prog} -c"))
    elif prog == "find":
        _check_find(argv, out)
    elif prog == "git":
        _check_git(argv, out)
    else:
        _check_interpreters(prog, argv, out)
        _check_writers(prog, argv, out)
    return out
