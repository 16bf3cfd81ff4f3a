"""A Node.js script that the build asks for HTML (not a hook itself: hooks import it).

The pages' code cells (``frontend/cell-view.mjs``) and math (``frontend/math-view.mjs``) are
rendered at build time by the same npm libraries the browser would use. Each script reads one
JSON request per line and answers with one JSON line; it is started once per build, on first use,
so a build pays Node's start once per script, not once per page.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"


class NodeHelper:
    """``node frontend/<script>``, asked ``ask(request) -> answer`` (JSON values)."""

    def __init__(self, script: str) -> None:
        self.script = FRONTEND / script
        self.process: subprocess.Popen | None = None

    def ask(self, request: Any) -> Any:
        if self.process is None or self.process.poll() is not None:
            try:
                self.process = subprocess.Popen(
                    ["node", str(self.script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, encoding="utf-8")
            except OSError as error:
                raise PluginError(f"the build needs Node.js for {self.script.name}: {error}"
                                  ) from error
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except BrokenPipeError:  # Node ended at start
            answer = ""
        if not answer:
            problem = self.process.stderr.read()
            self.close()
            raise PluginError(f"{self.script.name} failed (run `npm ci`?): {problem}")
        return json.loads(answer)

    def close(self) -> None:
        """End Node (it is started again if asked again)."""
        if self.process is not None:
            self.process.communicate()  # closes stdin: Node ends
            self.process = None
