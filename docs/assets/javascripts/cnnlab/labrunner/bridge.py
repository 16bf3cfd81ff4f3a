"""Values between the page's JavaScript and Python, for widgets.

Widgets call Python through the page's worker: ``call("cnnlab.signal.conv1d", args, kwargs)``
or ``evaluate(code, variables)``. Arguments arrive converted by Pyodide (JS arrays -> lists,
objects -> dicts, typed arrays -> memoryviews); :func:`from_js` turns memoryviews into NumPy
arrays. Results go back through :func:`to_js`, which keeps only what a structured clone can
carry: NumPy arrays become ``{"__ndarray__": dtype, "shape": [...], "data": flat array}``
(a typed array on the JavaScript side), NumPy scalars become numbers, tuples become lists.

>>> import numpy as np
>>> to_js({"y": np.arange(4.0).reshape(2, 2), "n": np.int64(3), "t": (1, 2)})["y"]
{'__ndarray__': 'float64', 'shape': [2, 2], 'data': array([0., 1., 2., 3.])}
>>> evaluate("a + b", {"a": 2, "b": 3})
5
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from .cells import compile_cell

# dtypes a JavaScript typed array can hold; others are converted to the nearest of these.
_JS_DTYPES = {
    "float32", "float64", "int8", "int16", "int32", "uint8", "uint16", "uint32",
}
# JavaScript numbers are doubles: integers beyond 2**53 lose precision, so say so loudly.
_MAX_SAFE_INT = 2**53


def from_js(value: Any) -> Any:
    """Turn what Pyodide hands over into plain Python: memoryviews become NumPy arrays."""
    if isinstance(value, memoryview):
        return np.array(value)
    if isinstance(value, list):
        return [from_js(item) for item in value]
    if isinstance(value, dict):
        return {key: from_js(item) for key, item in value.items()}
    if hasattr(value, "to_py"):  # a JsProxy Pyodide did not convert (a nested typed array)
        return from_js(value.to_py())
    return value


def _array_to_js(array: np.ndarray) -> dict:
    if array.dtype == bool:
        data = array.astype(np.uint8)
    elif array.dtype.name in _JS_DTYPES:
        data = array
    elif array.dtype.kind in "iu" and (array.size == 0 or np.abs(array).max() < 2**31):
        data = array.astype(np.int32)
    elif array.dtype.kind in "iuf":
        data = array.astype(np.float64)
    else:
        raise TypeError(f"cannot send a NumPy array of dtype {array.dtype} to the page")
    return {
        "__ndarray__": array.dtype.name,
        "shape": list(array.shape),
        "data": np.ascontiguousarray(data).reshape(-1),
    }


def to_js(value: Any) -> Any:
    """Convert a result into values the worker can post to the page (see module docstring)."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            return float(value)
        return value
    if isinstance(value, np.ndarray):
        return _array_to_js(value)
    if isinstance(value, np.generic):
        return to_js(value.item())
    if isinstance(value, (list, tuple)):
        return [to_js(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_js(item) for key, item in value.items()}
    raise TypeError(f"cannot send a {type(value).__name__} to the page; return numbers, "
                    "strings, lists, dicts or NumPy arrays")


def resolve(name: str) -> Any:
    """``"cnnlab.signal.conv1d"`` -> the function, importing its module."""
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        raise ValueError(f"expected a dotted name like 'cnnlab.signal.conv1d', got {name!r}")
    return getattr(importlib.import_module(module_name), attribute)


def call(name: str, args: list | None = None, kwargs: dict | None = None) -> Any:
    """Call the function ``name`` with converted arguments; return a page-ready result."""
    function = resolve(name)
    result = function(*from_js(list(args or [])), **from_js(dict(kwargs or {})))
    return to_js(result)


def evaluate(code: str, variables: dict | None = None) -> Any:
    """Run ``code`` with ``variables`` as globals in a private namespace.

    The value of the last line, if it is an expression, is the result.
    """
    namespace = {"__name__": "__widget__"}
    namespace.update(from_js(dict(variables or {})))
    body, last = compile_cell(code, "<widget>")
    exec(body, namespace)
    return None if last is None else to_js(eval(last, namespace))
