"""MkDocs hook: ship the front-end libraries the pages use, from npm (``npm ci``).

- KaTeX's styles and fonts, at ``assets/vendor/katex/`` (the math itself is typeset at build
  time: ``math_typeset.py``);
- the cells' editor, CodeMirror bundled by esbuild into one ES module,
  ``assets/vendor/codemirror.js`` (loaded only when a visitor clicks into a cell's code).
"""

from __future__ import annotations

import subprocess

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

import site_build

KATEX_FILES = ("katex.min.css",)
EDITOR_ENTRY = "frontend/editor.js"


def editor_bundle() -> bytes:
    """The cells' editor: CodeMirror from npm, bundled by esbuild into one ES module."""
    esbuild = site_build.ROOT / "node_modules/.bin/esbuild"
    command = [str(esbuild), EDITOR_ENTRY, "--bundle", "--format=esm", "--minify",
               "--target=es2020"]
    try:
        return subprocess.run(command, cwd=site_build.ROOT, check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        raise PluginError(f"bundling {EDITOR_ENTRY} failed (run `npm ci`?): {error}\n"
                          f"{detail.decode(errors='replace')}") from error


def on_files(files: Files, config: MkDocsConfig) -> Files:
    def add(src_uri: str, path) -> None:
        files.append(File.generated(config, site_build.SITE_VENDOR + src_uri,
                                    abs_src_path=str(path)))

    katex = site_build.ROOT / "node_modules/katex/dist"
    for name in KATEX_FILES:
        add(f"katex/{name}", katex / name)
    for path in sorted((katex / "fonts").glob("*.woff2")):
        add(f"katex/fonts/{path.name}", path)
    files.append(File.generated(config, site_build.SITE_VENDOR + "codemirror.js",
                                content=editor_bundle()))
    return files
