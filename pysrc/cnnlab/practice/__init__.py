"""Exercises: the learner writes the code, and a named check says whether it is right.

A page's ```` ```exercise ```` block (``hooks/exercises.py``) names a check here and its
arguments. The page's worker calls :func:`grade` with the learner's code: it runs in a fresh
namespace, then the check inspects what it defined (calls the learner's ``conv1d`` on seeded
random inputs, reads the variable ``y1`` ...) and returns feedback as data, naming the mistake:

>>> grade("conv1d_entry", "y1 = 5", {"name": "y1", "x": [1, 3, 2, 4, 5, 6, 1, 3],
...       "w": [1, 0, 3, 1, 2], "index": 1, "p": 2})["kind"]
'index'
>>> grade("conv1d_entry", "y1 = 14", {"name": "y1", "x": [1, 3, 2, 4, 5, 6, 1, 3],
...       "w": [1, 0, 3, 1, 2], "index": 1, "p": 2})["passed"]
True

The feedback: ``{"passed", "kind", "message", "grid", "output"}`` (see
:mod:`cnnlab.practice.feedback`); ``output`` is what the code printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import convolution, counting, images, units
from .feedback import Mistake
from .learner import Output, capturing, run

CHECKS: dict[str, Callable[..., dict]] = {
    function.__name__: function
    for function in (
        convolution.conv1d_entry,
        convolution.conv1d_function,
        convolution.pad1d_function,
        convolution.output_size_value,
        convolution.output_size_function,
        convolution.conv2d_function,
        convolution.pool2d_function,
        convolution.conv_channels_function,
        convolution.conv_params_value,
        convolution.conv_params_function,
        units.dropout_function,
        units.l2_penalty_function,
        units.softmax_function,
        units.cross_entropy_function,
        units.accuracy_function,
        counting.network_parameters,
        counting.flattened_features,
        counting.minibatches,
        images.flip_function,
        images.crop_function,
        images.centre_of_mass_function,
    )
}


def check_function(check: str) -> Callable[..., dict]:
    """The check named ``check``, or a ValueError listing the known ones."""
    if check not in CHECKS:
        raise ValueError(
            f"unknown exercise check {check!r}; expected one of {', '.join(sorted(CHECKS))}"
        )
    return CHECKS[check]


def grade(check: str, code: str, args: dict | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh namespace, then the check ``check`` with ``args``.

    Parameters
    ----------
    check : a name in :data:`CHECKS`.
    code : the learner's Python source.
    args : the exercise's arguments for the check (keywords).

    Returns
    -------
    ``{"passed": bool, "kind": str, "message": str, "grid": dict | None, "output": str}``
    """
    function = check_function(check)
    output = Output()
    try:
        namespace, output = run(code, output)
        with capturing(Output(0)):
            feedback = function(namespace, **dict(args or {}))
    except Mistake as mistake:
        feedback = mistake.feedback()
    feedback["output"] = output.text()
    return feedback
