"""labrunner: the Python side of the site's code cells and widgets.

One copy of this code runs in two places: in the MkDocs build (native CPython) to compute
every cell's output, and in the page's Pyodide worker (``worker.js``, next to this package) to
run the visitor's edits and the widgets' calls.
"""
