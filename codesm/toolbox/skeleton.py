"""`codesm tools make NAME`: write a working skeleton of a toolbox tool the user then edits."""

from __future__ import annotations

import os
import re
from pathlib import Path

from codesm.errors import UserError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,48}$")

SKELETON = '''#!/usr/bin/env python3
"""{name}: a codesm toolbox tool. Edit the description, the schema and run()."""

import json
import os
import sys

SPEC = {{
    "name": "{name}",
    "description": "Describe what {name} does and when the model should use it.",
    "inputSchema": {{
        "type": "object",
        "properties": {{
            "message": {{"type": "string", "description": "What to echo back."}},
        }},
        "required": ["message"],
    }},
}}


def run(arguments: dict) -> str:
    # Runs in the workspace directory; print or return what the model should read.
    return f"{name} got: {{arguments['message']}}"


if __name__ == "__main__":
    action = os.environ.get("TOOLBOX_ACTION")
    if action == "describe":
        print(json.dumps(SPEC))
    elif action == "execute":
        print(run(json.load(sys.stdin)))
    else:
        sys.exit("run by codesm: TOOLBOX_ACTION must be describe or execute")
'''


def make_skeleton(directory: Path, name: str, *, force: bool = False) -> Path:
    """Create `<directory>/<name>` (executable); refuses to overwrite unless `force`."""
    if not _NAME.match(name):
        raise UserError(f"invalid tool name {name!r}: use letters, digits, _ and - (max 48)")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path.exists() and not force:
        raise UserError(f"{path} already exists (use --force to overwrite it)")
    path.write_text(SKELETON.format(name=name), encoding="utf-8")
    os.chmod(path, 0o755)
    return path
