"""The toolbox: the user's own tools, as executables in `codesm.toolbox.path` that describe
themselves, offered to the model like built-ins (as `tb__<name>`).

The protocol (Amp's toolbox, JSON flavour). codesm runs each executable file in the directory:

- with `TOOLBOX_ACTION=describe` and nothing on stdin, it prints one JSON object::

      {"name": "run_tests", "description": "Run the test suite ...",
       "inputSchema": {"type": "object", "properties": {"pattern": {"type": "string"}}}}

  (`input_schema` or `parameters` may stand for `inputSchema`; no schema means no arguments);
- with `TOOLBOX_ACTION=execute` it reads the call's arguments as one JSON object on stdin, works in
  the workspace (its current directory, also in `TOOLBOX_WORKSPACE`), and prints the result for
  the model on stdout. A non-zero exit status makes the result an error the model reads.
"""

from __future__ import annotations

from codesm.toolbox.discovery import (
    TOOL_PREFIX,
    ToolboxProblem,
    ToolboxSpec,
    default_toolbox_dir,
    describe_executable,
    discover,
    toolbox_dir,
)
from codesm.toolbox.tool import ToolboxTool, toolbox_tools

__all__ = [
    "TOOL_PREFIX",
    "ToolboxProblem",
    "ToolboxSpec",
    "ToolboxTool",
    "default_toolbox_dir",
    "describe_executable",
    "discover",
    "toolbox_dir",
    "toolbox_tools",
]
