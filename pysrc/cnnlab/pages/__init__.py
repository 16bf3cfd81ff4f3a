"""The Python side of the pages' widgets: the functions a widget calls by name.

Each widget calls ``runtime.call("cnnlab.pages.<module>.<function>", args, kwargs)`` and
draws what comes back; the numbers are computed here, with the chapter's library
(:mod:`cnnlab.signal`, :mod:`cnnlab.layers`, :mod:`cnnlab.model`, ...), and tested natively.
Nothing in the library imports this package.
"""
