"""Removing secrets from text before it leaves the owner: viewer pages and frames, share links,
exports and logs (SECURITY.md, "Secrets").

What counts as a secret:

- configured provider keys (the environment merged with the credentials file) and every
  environment value whose name contains KEY, TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL;
- the values of the workspace's `.env` file (re-read when it changes);
- text that looks like a known key: `sk-...`, `sk-ant-...`, `AKIA...`, `ghp_...`, `xox?-...`,
  `-----BEGIN ... PRIVATE KEY-----` blocks.

A redactor made for guests (`home=`) also shortens the user's home directory to `~`, so a viewer
does not learn the account name or layout of the owner's machine.

Known values are replaced wherever they occur, also in their HTML-escaped form, so the filter can
run over rendered HTML as well as plain text. Values shorter than `MIN_SECRET_CHARS` are ignored:
redacting `1` or `true` would shred every page and protect nothing.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

MARKER = "[REDACTED]"
HOME_MARK = "~"
MIN_SECRET_CHARS = 8
MIN_HOLD_CHARS = 64
"""Longer than the shortest match of every key pattern (a PEM header is 35 characters)."""
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
KEY_PATTERNS = (
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)",
    r"sk-(?:ant-)?[A-Za-z0-9_-]{16,}",
    r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"xox[abposr]-[A-Za-z0-9-]{10,}",
)
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")


def secret_env_values(env: Mapping[str, str]) -> set[str]:
    """The values of variables whose names say they hold a secret."""
    return {value for name, value in env.items() if SECRET_NAME.search(name)}


def dotenv_values(path: Path) -> set[str]:
    """Every value assigned in a `.env` file (quotes removed); unreadable files give none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    values = set()
    for line in text.splitlines():
        match = _DOTENV_LINE.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values.add(value)
    return values


class Redactor:
    """Replaces secrets in text with `[REDACTED]`. Thread-safe; cheap when nothing matches."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        dotenv: Path | None = None,
        patterns: bool = True,
        home: Path | str | None = None,
    ) -> None:
        self._secrets = {s for s in secrets if len(s) >= MIN_SECRET_CHARS}
        self._dotenv = dotenv
        self._dotenv_stamp: tuple[int, int] | None = None
        self._dotenv_secrets: set[str] = set()
        self._patterns = patterns
        self._lock = threading.Lock()
        self._regex = self._compile()
        self._home = _home_pattern(home)
        self._home_path = home if self._home is not None else None

    @classmethod
    def for_environment(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        workspace: Path | None = None,
        home: Path | None = None,
    ) -> Redactor:
        """Secrets from the environment, the credentials file and the workspace's `.env`; with
        `home`, that directory is also shortened to `~`."""
        from codesm.config.credentials import environment_with_credentials

        merged = environment_with_credentials(dict(os.environ if env is None else env))
        dotenv = workspace / ".env" if workspace is not None else None
        return cls(secret_env_values(merged), dotenv=dotenv, home=home)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these values from now on (e.g. keys known only once a runtime opened)."""
        with self._lock:
            self._secrets |= {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
            self._regex = self._compile()

    def redact(self, text: str) -> str:
        """`text` with every known secret and key-shaped string replaced by the marker."""
        self._refresh_dotenv()
        regex = self._regex
        text = text if regex is None else regex.sub(MARKER, text)
        return text if self._home is None else self._home.sub(HOME_MARK, text)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where `redact` would change `text`: (start, end) of each secret and home path."""
        self._refresh_dotenv()
        found = [m.span() for m in self._regex.finditer(text)] if self._regex else []
        if self._home is not None:
            found += [m.span() for m in self._home.finditer(text)]
        return sorted(found)

    @property
    def hold_chars(self) -> int:
        """How much of the end of a growing text may still turn into a secret: the longest
        known value, and at least enough for any key pattern's shortest match."""
        self._refresh_dotenv()
        with self._lock:
            known = self._secrets | self._dotenv_secrets
        longest = max((len(html.escape(s)) for s in known), default=0)
        home = len(html.escape(str(self._home_path))) if self._home_path else 0
        return max(MIN_HOLD_CHARS, longest + 2, home + 2)

    def _refresh_dotenv(self) -> None:
        if self._dotenv is None:
            return
        try:
            info = self._dotenv.stat()
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
        if stamp == self._dotenv_stamp:
            return
        values = dotenv_values(self._dotenv) if stamp is not None else set()
        with self._lock:
            self._dotenv_stamp = stamp
            self._dotenv_secrets = {v for v in values if len(v) >= MIN_SECRET_CHARS}
            self._regex = self._compile()

    def _compile(self) -> re.Pattern[str] | None:
        literals: set[str] = set()
        for secret in self._secrets | self._dotenv_secrets:
            literals |= {secret, html.escape(secret), html.escape(secret, quote=False)}
        alternatives = [re.escape(s) for s in sorted(literals, key=len, reverse=True)]
        if self._patterns:
            alternatives += KEY_PATTERNS
        return re.compile("|".join(alternatives)) if alternatives else None


def _home_pattern(home: Path | str | None) -> re.Pattern[str] | None:
    """The home directory as it appears in text, HTML and JSON, ending at a path boundary (so
    `/home/ann` does not match in `/home/anna`); None for no home or a root-level one."""
    if home is None:
        return None
    path = str(home).rstrip("/\\")
    if len(path) < 2 or Path(path).parent == Path(path):
        return None
    forms = {path, html.escape(path), json.dumps(path)[1:-1]}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(f"(?:{alternatives})(?![A-Za-z0-9_@+-]|\\.[A-Za-z0-9_])")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback) with the redactor before it is written."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = self.redactor.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


def install_log_redaction(redactor: Redactor, logger: logging.Logger | None = None) -> None:
    """Put a RedactingFilter on every handler of `logger` (default: the root logger).

    Handler filters see records from every logger that propagates to them; a filter on the
    logger itself would only see records logged to it by name.
    """
    target = logger or logging.getLogger()
    for handler in target.handlers:
        installed = [f for f in handler.filters if isinstance(f, RedactingFilter)]
        for existing in installed:
            existing.redactor = redactor
        if not installed:
            handler.addFilter(RedactingFilter(redactor))
