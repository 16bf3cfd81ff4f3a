"""cnnlab: the NumPy code behind CNN Lab.

Every module runs unchanged on CPython 3.11+ with NumPy 2.x: natively, and in the browser
on the Pyodide that the site ships (pinned in package.json).
"""

__version__ = "0.1.0"
