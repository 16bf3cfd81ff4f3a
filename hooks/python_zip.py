"""MkDocs hook: ship the Python that pages run as one zip, ``assets/runtime/python.zip``.

It holds ``cnnlab`` (without its offline trainer, ``cnnlab/train/``) and ``labrunner``, the
browser's side of cells and widgets (``site_build.python_zip``); the page's worker unpacks it.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import site_build


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, site_build.SITE_RUNTIME + "python.zip",
                                content=site_build.python_zip()))
    return files
