"""cnnlab: the NumPy code behind CNN Lab.

Every module runs unchanged on CPython 3.11+ with NumPy 2.x and on Pyodide 0.17
(Python 3.8, NumPy 1.17), the runtime the site ships to the browser.
"""

__version__ = "0.1.0"
