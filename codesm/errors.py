"""The root exception of codesm and its first branches.

Errors are typed by who must act on them. Mistakes the *model* should see and correct (bad tool
arguments, an edit that does not match) are not exceptions at all: they are tool results with
``is_error=True``. Everything below is raised.
"""

from __future__ import annotations


class CodesmError(Exception):
    """Root of every error codesm raises on purpose.

    Hierarchy, grouped by who must act::

        CodesmError
        ├── UserError                the user must act; the message says what to do
        │   └── ConfigError          a bad or missing setting, key or model name
        ├── ProviderError            a model API call failed; ``retryable`` says whether to retry
        │   ├── ContextOverflowError the request did not fit the model's window: compact, then retry
        │   └── StreamInterrupted    the stream broke after it started; partial output is kept
        ├── ToolError                a tool could not run at all (not a result the model reads)
        ├── ProtocolError            an op or event that does not parse (a UI or client bug)
        ├── StoreError               the database failed; the run ends visibly
        │   └── MigrationError       the schema cannot be brought to this version
        └── TranscriptError          the message history breaks a provider rule (a codesm bug)

    Catch ``CodesmError`` at the edges (CLI, web routes, the turn loop) to end a run visibly;
    catch the narrow types where a caller can actually recover. New branches subclass the
    closest existing one so that existing handlers keep working.
    """


class UserError(CodesmError):
    """Something only the user can fix; ``str(error)`` tells them how."""


class ConfigError(UserError):
    """A setting, credential or model choice is missing or invalid."""


class ProviderError(CodesmError):
    """A model provider request failed.

    ``retryable`` is true for transient faults (rate limits, overload, 5xx, dropped connections)
    and false for faults that repeat on retry (bad request, auth, payload too large). ``status`` is
    the HTTP status when there was one.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        retryable: bool | None = None,
        status: int | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status = status
        self.provider = provider


class ContextOverflowError(ProviderError):
    """The request exceeded the model's context window; retrying only helps after compaction."""


class StreamInterrupted(ProviderError):
    """The response stream broke, stalled or ended early after it had started.

    Partial text is kept and marked incomplete; partial tool calls are never executed. The turn
    loop decides whether to retry the step.
    """

    default_retryable = True


class ToolError(CodesmError):
    """A tool failed in a way that must end the step, not one the model can read and fix."""


class ProtocolError(CodesmError):
    """An op or event failed to parse against the protocol in ``codesm.agent.events``."""


class StoreError(CodesmError):
    """The session database could not be opened, read or written."""


class MigrationError(StoreError):
    """The database schema is newer than this codesm, or a migration step failed."""


class TranscriptError(CodesmError):
    """A derived message history violates a rule that providers enforce.

    ``index`` is the offending message's position, ``rule`` a short stable identifier of the rule
    (see ``codesm.agent.transcript.validate_transcript``).
    """

    def __init__(self, message: str, *, rule: str, index: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.index = index


class ToolFailure(CodesmError):
    """A mistake the *model* made with a tool (a bad path, an edit that does not match, a stale
    file): raised inside a tool, turned into an ``is_error`` tool result by
    ``codesm.agent.tools.execute_tool_call`` and never seen past it. ``str(error)`` is written
    for the model, so that it can correct the call and retry in one step.
    """


class WorkspacePathError(ToolFailure):
    """A path cannot be used inside the workspace (see ``codesm.workspace.paths``).

    ``path`` is the path as the caller gave it; ``str(error)`` is written for the model.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class InvalidPath(WorkspacePathError, ValueError):
    """Empty, NUL-bearing, too long, or otherwise unusable as a path."""


class PathOutsideWorkspace(WorkspacePathError, PermissionError):
    """The path resolves (after symlinks) outside the workspace root."""


class PathNotFound(WorkspacePathError, FileNotFoundError):
    """The path must exist and does not (or a parent is not a directory)."""


class SymlinkLoop(WorkspacePathError, OSError):
    """Resolving the path ran into a symlink loop."""


class ModelUnavailableError(ConfigError):
    """No configured provider can serve the requested model; ``str(error)`` names the key or
    environment variable that would enable one."""
