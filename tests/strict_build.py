"""A one-page MkDocs project built with ``mkdocs build --strict``, for the hooks' tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def strict_build(folder: Path, markdown: str, hook: str, extension: str) -> tuple:
    """Build ``docs/index.md`` = ``markdown`` with ``hooks/<hook>`` and one Markdown extension
    (YAML); returns ``(failed, stderr, page HTML or "")``."""
    (folder / "docs").mkdir()
    (folder / "docs/index.md").write_text(markdown)
    (folder / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: test
        hooks: [{ROOT / "hooks" / hook}]
        markdown_extensions: [{extension}]
        """))
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"],
                           cwd=folder, capture_output=True, text=True)
    page = folder / "site/index.html"
    return build.returncode != 0, build.stderr, page.read_text() if page.exists() else ""
