"""MkDocs hook: ship the browser's Python runtime with the site.

Copies into ``assets/pyodide/`` Pyodide's core (``site_build.CORE_FILES``, from npm), the package
files that the site's pages load with what they depend on (NumPy always; front matter
``runtime: packages`` adds more, e.g. SciPy), each one checked against the SHA-256 of Pyodide's
lock file (``pyodide_wheels``), and the licences of all of it (``licences/``). Nothing is copied
when ``extra.pyodide_url`` names another copy of the distribution (``site_build``); the packages
are still fetched and checked, since pages name their sizes and checksums.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import site_build


def shipped_packages(files: Files) -> list:
    """The packages some page loads, with their dependencies."""
    extra = [name for runtime in site_build.site_runtimes(files) for name in runtime["packages"]]
    return site_build.package_closure(["numpy", *extra])


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    site_build.dist()  # fails early, saying what to run, when npm's files are missing
    site_build.configured_pyodide(config)  # and when pyodide_url is not one of the two kinds
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    packages = [site_build.package_file(name) for name in shipped_packages(files)]
    if not site_build.configured_pyodide(config)[1]:
        return files

    def add(src_uri: str, path) -> None:
        files.append(File.generated(config, site_build.SITE_PYODIDE + src_uri,
                                    abs_src_path=str(path)))

    dist = site_build.dist()
    for name in site_build.CORE_FILES:
        add(name, dist / name)
    for name, path in packages:
        add(name, path)
    for path in sorted(site_build.LICENCES_DIR.glob("*.txt")):
        add(f"licences/{path.name}", path)
    return files
