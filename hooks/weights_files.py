"""MkDocs hook: ship ``pretrained/`` (the model's weights, its manifest and the training
figures) at ``pretrained/`` in the site, and fail the build where the weights that pages load
(front matter ``runtime: weights: true``) do not load.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

import site_build


def check_weights(folder: Path) -> None:
    """Fails the build, saying why, where the weights that pages load do not load.

    Browsers only compare the files with their checksums: what is checked here is what they get.
    """
    from cnnlab import weights  # the build's own cnnlab (pysrc/), as the pages'

    try:
        weights.load_pretrained(folder)
    except (OSError, ValueError) as error:
        raise PluginError(f"pages load the model weights but {folder} does not load: {error}") \
            from error


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if any(runtime["weights"] for runtime in site_build.site_runtimes(files)):
        check_weights(site_build.PRETRAINED_DIR)
    for path in site_build.pretrained_files():
        relative = path.relative_to(site_build.PRETRAINED_DIR).as_posix()
        src_uri = site_build.SITE_PRETRAINED + relative
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files
