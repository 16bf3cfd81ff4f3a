"""Convolution and cross-correlation in 1-D and 2-D, as the chapter teaches them.

Argument names follow the book: ``x``/``X`` is the input, ``w``/``W`` the kernel,
``p`` the zero padding and ``s`` the stride (pairs in 2-D, rows first). For an input
of size ``n``, a kernel of size ``m``, padding ``p`` and stride ``s`` there are
``output_size(n, m, p, s) = floor((n + 2p - m) / s) + 1`` outputs per axis.

*Convolution* flips the kernel before sliding it; *cross-correlation* (what the
layers of a CNN, and ``cnnlab.layers.conv2d``, compute) does not. So
``conv1d(x, w) == correlate1d(x, w[::-1])``: this module computes every
cross-correlation as a convolution with the flipped kernel.

Each operation comes twice: a loop version (``conv2d_naive``) that reads like the
book and a vectorized one (``conv2d``) that the site runs; the tests check that
they agree with each other and with NumPy and SciPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

MODES = ("full", "same", "valid")

# What the functions accept (lists are fine, as in the book).
Signal = Sequence[float] | np.ndarray  # 1-D, shape (n,)
Image = Sequence[Sequence[float]] | np.ndarray  # 2-D, shape (n1, n2)
Padding = int | tuple[int, int]  # both sides, or (before, after)
Padding2D = int | tuple[Padding, Padding]  # all sides, or (rows, columns)
Stride2D = int | tuple[int, int]  # both axes, or (rows, columns)


# ---------------------------------------------------------------- sizes and padding


def output_size(n: int, m: int, p: Padding = 0, s: int = 1) -> int:
    """Number of outputs of a convolution along one axis.

    ``o = floor((n + 2p - m) / s) + 1``; with ``p = (before, after)`` the padded
    length ``n + 2p`` becomes ``n + before + after``.

    Parameters
    ----------
    n : int
        Input size, ``n >= 1``.
    m : int
        Kernel size, ``1 <= m <= n + 2p`` (the kernel must fit in the padded input).
    p : int or (int, int)
        Zero padding on each side, or ``(before, after)``; ``>= 0``.
    s : int
        Stride, ``>= 1``.

    Examples
    --------
    >>> output_size(8, 5, p=2)
    8
    >>> output_size(5, 3, s=2)  # windows start at 0 and 2
    2
    """
    n = _check_int(n, "n (input size)", minimum=1)
    m = _check_int(m, "m (kernel size)", minimum=1)
    before, after = _padding_pair(p, "p")
    s = _check_int(s, "s (stride)", minimum=1)
    padded = n + before + after
    if m > padded:
        raise ValueError(
            f"the kernel (m={m}) is larger than the padded input "
            f"(n + padding = {n} + {before + after} = {padded}): expected m <= {padded}; "
            "pad the input more or use a smaller kernel"
        )
    return (padded - m) // s + 1


def padding_for(mode: str, m: int, *, kernel_flipped: bool = True) -> tuple[int, int]:
    """Zero padding ``(before, after)`` that gives the output size named by ``mode``.

    - ``"valid"``: ``(0, 0)``; only positions where the kernel fits inside the input,
      ``n - m + 1`` outputs.
    - ``"full"``: ``(m - 1, m - 1)``; every position where kernel and input overlap,
      ``n + m - 1`` outputs.
    - ``"same"``: ``m - 1`` zeros in total, so there are ``n`` outputs (for stride 1).
      An odd kernel gets ``(m - 1) / 2`` on each side. An even kernel cannot be
      padded symmetrically: the extra zero goes *before* the input for convolution
      (``kernel_flipped=True``: ``(m // 2, (m - 1) // 2)``) and *after* it for
      cross-correlation (``kernel_flipped=False``: ``((m - 1) // 2, m // 2)``).

    Why the sides differ: output ``i`` of "same" is centred on ``x[i]`` at kernel
    element ``w[(m - 1) // 2]``. Cross-correlation slides ``w`` as it is, so
    ``(m - 1) // 2`` kernel elements hang over the left edge; convolution slides the
    flipped kernel, in which that element sits at index ``m // 2``. NumPy's and
    SciPy's convolve functions pad this way, and so do ``scipy.signal.correlate2d``
    and PyTorch's ``padding="same"`` for cross-correlation. ``np.correlate`` and
    ``scipy.signal.correlate`` instead pad even kernels like convolution (SciPy
    documents the mismatch with ``correlate2d``): ``correlate1d(x, w,
    p=padding_for("same", m))`` reproduces them.

    Parameters
    ----------
    mode : {"full", "same", "valid"}
    m : int
        Kernel size along this axis, ``>= 1``.
    kernel_flipped : bool
        True for convolution, False for cross-correlation.

    Examples
    --------
    >>> padding_for("same", 5), padding_for("full", 3), padding_for("valid", 3)
    ((2, 2), (2, 2), (0, 0))
    >>> padding_for("same", 4), padding_for("same", 4, kernel_flipped=False)
    ((2, 1), (1, 2))
    """
    m = _check_int(m, "m (kernel size)", minimum=1)
    if mode == "valid":
        return (0, 0)
    if mode == "full":
        return (m - 1, m - 1)
    if mode == "same":
        more, fewer = m // 2, (m - 1) // 2
        return (more, fewer) if kernel_flipped else (fewer, more)
    raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")


def pad1d(x: Signal, p: Padding) -> np.ndarray:
    """Zero-pad a 1-D signal: ``p`` zeros on each side, or ``p = (before, after)``.

    Shape ``(n,)`` -> ``(n + before + after,)``, as floats.

    Examples
    --------
    >>> pad1d([1, 2], 1).tolist()
    [0.0, 1.0, 2.0, 0.0]
    >>> pad1d([1, 2], (0, 2)).tolist()
    [1.0, 2.0, 0.0, 0.0]
    """
    x = _as_real_array(x, "x", ndim=1)
    return np.pad(x, [_padding_pair(p, "p")], mode="constant")


def pad2d(X: Image, p: Padding2D) -> np.ndarray:
    """Zero-pad a 2-D image.

    ``p`` is an int (same on all four sides) or a pair ``(p1, p2)`` for rows and
    columns, each an int or ``(before, after)``. Shape ``(n1, n2)`` ->
    ``(n1 + before1 + after1, n2 + before2 + after2)``, as floats.

    Examples
    --------
    >>> pad2d([[1, 2]], (1, 0)).tolist()
    [[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]]
    >>> pad2d([[1]], (0, (1, 2))).tolist()
    [[0.0, 1.0, 0.0, 0.0]]
    """
    X = _as_real_array(X, "X", ndim=2)
    return np.pad(X, _padding_per_axis(p, ndim=2), mode="constant")


# ---------------------------------------------------------------- 1-D


def conv1d(x: Signal, w: Signal, p: Padding = 0, s: int = 1, mode: str | None = None) -> np.ndarray:
    """Convolution ``y = x * w`` of a 1-D signal (the kernel is flipped).

    ``y[i] = Σ_{k=0}^{m-1} x^p[i·s + m - 1 - k] · w[k]`` for
    ``i = 0 … output_size(n, m, p, s) - 1``, where ``x^p`` is ``x`` zero-padded by
    ``p``. Equals ``correlate1d(x, w[::-1], p, s)``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Input signal (a list is fine).
    w : array_like, shape (m,)
        Kernel.
    p : int or (int, int)
        Zero padding on each side, or ``(before, after)``.
    s : int
        Stride, ``>= 1``.
    mode : {"full", "same", "valid"}, optional
        Choose the padding by name instead of ``p`` (see `padding_for`); with stride 1
        the result equals ``np.convolve(x, w, mode)`` (for ``m <= n``) and
        ``scipy.signal.convolve(x, w, mode)``. Do not combine with a non-zero ``p``.

    Returns
    -------
    ndarray, shape (output_size(n, m, p, s),)
        Floats (float64 unless the inputs are a narrower float type).

    Examples
    --------
    >>> conv1d([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2).tolist()
    [5.0, 14.0, 16.0, 26.0, 24.0, 34.0, 19.0, 22.0]
    """
    return _convolve(x, w, p, s, mode, ndim=1)


def conv1d_naive(
    x: Signal, w: Signal, p: Padding = 0, s: int = 1, mode: str | None = None
) -> np.ndarray:
    """Loop version of `conv1d`, written like the book; same arguments and result.

    Examples
    --------
    >>> conv1d_naive([1, 2, 3, 4, 5], [1, 1, 1], s=2).tolist()
    [6.0, 12.0]
    """
    x, w, pads, strides, out_shape = _prepare(x, w, p, s, mode, ndim=1)
    (s,), (o,) = strides, out_shape
    m = len(w)
    w_rot = w[::-1]  # convolution flips the kernel
    x_padded = pad1d(x, pads[0])
    y = np.zeros(o, dtype=np.result_type(x, w))
    # Loop over outputs, not over input positions: window i starts at i*s, so
    # every stride gives exactly output_size(n, m, p, s) values.
    for i in range(o):
        y[i] = np.sum(x_padded[i * s : i * s + m] * w_rot)
    return y


def correlate1d(
    x: Signal, w: Signal, p: Padding = 0, s: int = 1, mode: str | None = None
) -> np.ndarray:
    """Cross-correlation ``y = x ⋆ w`` of a 1-D signal (the kernel is not flipped).

    ``y[i] = Σ_{k=0}^{m-1} x^p[i·s + k] · w[k]``, i.e. ``conv1d(x, w[::-1], p, s)``.
    Arguments and result as in `conv1d`. With ``mode`` and stride 1 the result equals
    ``scipy.signal.correlate2d`` applied to one row, and ``np.correlate`` /
    ``scipy.signal.correlate`` except for even kernels in "same" mode, where those two
    put the extra zero on the other side (see `padding_for`).

    Examples
    --------
    >>> correlate1d([1, 2, 3, 4], [1, 0, -1]).tolist()
    [-2.0, -2.0]
    >>> correlate1d([1, 2, 3, 4], [1, 0, -1], mode="same").tolist()
    [-2.0, -2.0, -2.0, 3.0]
    """
    return _correlate_by_convolving(conv1d, x, w, p, s, mode, ndim=1)


def correlate1d_naive(
    x: Signal, w: Signal, p: Padding = 0, s: int = 1, mode: str | None = None
) -> np.ndarray:
    """Loop version of `correlate1d`: `conv1d_naive` with the flipped kernel.

    Examples
    --------
    >>> correlate1d_naive([1, 2, 3, 4], [1, 0, -1]).tolist()
    [-2.0, -2.0]
    """
    return _correlate_by_convolving(conv1d_naive, x, w, p, s, mode, ndim=1)


# ---------------------------------------------------------------- 2-D


def conv2d(
    X: Image,
    W: Image,
    p: Padding2D = (0, 0),
    s: Stride2D = (1, 1),
    mode: str | None = None,
) -> np.ndarray:
    """Convolution ``Y = X * W`` of a 2-D image (the kernel is flipped in both axes).

    ``Y[i, j] = Σ_{k1=0}^{m1-1} Σ_{k2=0}^{m2-1}
    X^p[i·s1 + m1 - 1 - k1, j·s2 + m2 - 1 - k2] · W[k1, k2]``.
    Equals ``correlate2d(X, W[::-1, ::-1], p, s)``.

    Parameters
    ----------
    X : array_like, shape (n1, n2)
        Input image (nested lists are fine).
    W : array_like, shape (m1, m2)
        Kernel.
    p : int or (p1, p2)
        Zero padding for rows and columns, each an int (both sides) or
        ``(before, after)``; an int pads all four sides alike.
    s : int or (s1, s2)
        Strides for rows and columns, ``>= 1``.
    mode : {"full", "same", "valid"}, optional
        Padding by name instead of ``p``; with stride 1 the result equals
        ``scipy.signal.convolve2d(X, W, mode)``. Do not combine with a non-zero ``p``.

    Returns
    -------
    ndarray, shape (output_size(n1, m1, p1, s1), output_size(n2, m2, p2, s2))

    Examples
    --------
    >>> conv2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]]).tolist()
    [[4.0, 4.0], [4.0, 4.0]]

    Flipped, the kernel computes ``X[i+1, j+1] - X[i, j]``; `correlate2d` gives
    ``X[i, j] - X[i+1, j+1]``, i.e. ``-4.0`` everywhere.
    """
    return _convolve(X, W, p, s, mode, ndim=2)


def conv2d_naive(
    X: Image,
    W: Image,
    p: Padding2D = (0, 0),
    s: Stride2D = (1, 1),
    mode: str | None = None,
) -> np.ndarray:
    """Loop version of `conv2d`, written like the book; same arguments and result.

    Examples
    --------
    >>> conv2d_naive([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]]).tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    X, W, pads, strides, out_shape = _prepare(X, W, p, s, mode, ndim=2)
    (s1, s2), (o1, o2) = strides, out_shape
    m1, m2 = W.shape
    W_rot = W[::-1, ::-1]  # convolution flips the kernel in both axes
    X_padded = pad2d(X, pads)
    Y = np.zeros((o1, o2), dtype=np.result_type(X, W))
    # Loop over output positions (i, j); the window starts at (i*s1, j*s2). The book
    # looped over range(0, o, s) instead, which drops outputs whenever s > 1.
    for i in range(o1):
        for j in range(o2):
            X_sub = X_padded[i * s1 : i * s1 + m1, j * s2 : j * s2 + m2]
            Y[i, j] = np.sum(X_sub * W_rot)
    return Y


def correlate2d(
    X: Image,
    W: Image,
    p: Padding2D = (0, 0),
    s: Stride2D = (1, 1),
    mode: str | None = None,
) -> np.ndarray:
    """Cross-correlation ``Y = X ⋆ W`` of a 2-D image (no flip), as CNN layers compute.

    ``Y[i, j] = Σ_{k1} Σ_{k2} X^p[i·s1 + k1, j·s2 + k2] · W[k1, k2]``, i.e.
    ``conv2d(X, W[::-1, ::-1], p, s)``. Arguments and result as in `conv2d`; with
    ``mode`` and stride 1 the result equals ``scipy.signal.correlate2d(X, W, mode)``.

    Examples
    --------
    >>> correlate2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]]).tolist()
    [[-4.0, -4.0], [-4.0, -4.0]]
    >>> correlate2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], mode="same").tolist()
    [[10.0, 6.0], [7.0, 4.0]]
    """
    return _correlate_by_convolving(conv2d, X, W, p, s, mode, ndim=2)


def correlate2d_naive(
    X: Image,
    W: Image,
    p: Padding2D = (0, 0),
    s: Stride2D = (1, 1),
    mode: str | None = None,
) -> np.ndarray:
    """Loop version of `correlate2d`: `conv2d_naive` with the flipped kernel.

    Examples
    --------
    >>> correlate2d_naive([[1, 2], [3, 4]], [[1, 1], [1, 1]], mode="same").tolist()
    [[10.0, 6.0], [7.0, 4.0]]
    """
    return _correlate_by_convolving(conv2d_naive, X, W, p, s, mode, ndim=2)


# ---------------------------------------------------------------- shared machinery


def _convolve(x, w, p, s, mode: str | None, ndim: int) -> np.ndarray:
    """Vectorized convolution in ``ndim`` dimensions: flipped kernel · every window."""
    x, w, pads, strides, out_shape = _prepare(x, w, p, s, mode, ndim)
    x_padded = np.pad(x, pads, mode="constant")
    # View every window without copying: window (i, j) starts at (i*s1, j*s2), so one
    # output step moves s times the array's own step along that axis.
    window_steps = tuple(step * st for step, st in zip(x_padded.strides, strides))
    windows = as_strided(
        x_padded,
        shape=out_shape + w.shape,
        strides=window_steps + x_padded.strides,
        writeable=False,
    )
    w_flipped = w[(slice(None, None, -1),) * ndim]
    return np.tensordot(windows, w_flipped, axes=ndim)


def _correlate_by_convolving(
    convolve: Callable[..., np.ndarray], x, w, p, s, mode: str | None, ndim: int
) -> np.ndarray:
    """Cross-correlate by convolving with the flipped kernel (flipping twice = no flip)."""
    w = _as_real_array(w, "w" if ndim == 1 else "W", ndim)
    pads = _mode_or_padding(p, mode, w.shape, kernel_flipped=False)
    w_flipped = w[(slice(None, None, -1),) * ndim]
    return convolve(x, w_flipped, p=pads[0] if ndim == 1 else pads, s=s)


def _prepare(x, w, p, s, mode: str | None, ndim: int):
    """Check the arguments of a convolution; return them with the output shape.

    Returns ``(x, w, pads, strides, out_shape)``: float arrays, ``(before, after)``
    per axis, stride per axis, output size per axis.
    """
    names = ("x", "w") if ndim == 1 else ("X", "W")
    x = _as_real_array(x, names[0], ndim)
    w = _as_real_array(w, names[1], ndim)
    pads = _mode_or_padding(p, mode, w.shape, kernel_flipped=True)
    strides = _stride_per_axis(s, ndim)
    out_shape = []
    for axis in range(ndim):
        try:
            out_shape.append(output_size(x.shape[axis], w.shape[axis], pads[axis], strides[axis]))
        except ValueError as error:
            where = "" if ndim == 1 else f"axis {axis} ({('rows', 'columns')[axis]}): "
            shapes = f"input shape {x.shape}, kernel shape {w.shape}"
            raise ValueError(f"{where}{error} ({shapes})") from None
    return x, w, pads, strides, tuple(out_shape)


def _mode_or_padding(p, mode: str | None, kernel_shape, kernel_flipped: bool):
    """Padding ``(before, after)`` per axis from ``p``, or from ``mode`` if given."""
    pads = _padding_per_axis(p, len(kernel_shape))
    if mode is None:
        return pads
    if any(before or after for before, after in pads):
        raise ValueError(f"give either p or mode, not both: got p={p!r} and mode={mode!r}")
    return tuple(padding_for(mode, m, kernel_flipped=kernel_flipped) for m in kernel_shape)


def _padding_per_axis(p, ndim: int) -> tuple[tuple[int, int], ...]:
    """``((before, after), ...)`` per axis; in 2-D an int pads every side alike."""
    if ndim == 1:
        return (_padding_pair(p, "p"),)
    if _is_integer(p):
        return (_padding_pair(p, "p"),) * ndim
    if not isinstance(p, (tuple, list)) or len(p) != ndim:
        raise ValueError(f"p: expected an int or a pair (p1, p2) for rows and columns, got {p!r}")
    return tuple(_padding_pair(p_axis, f"p[{axis}]") for axis, p_axis in enumerate(p))


def _padding_pair(p, name: str) -> tuple[int, int]:
    """``(before, after)`` from an int (both sides) or a pair."""
    if _is_integer(p):
        p = (p, p)
    elif not isinstance(p, (tuple, list)) or len(p) != 2:
        raise ValueError(f"{name}: expected padding as an int or a (before, after) pair, got {p!r}")
    before, after = (_check_int(side, f"{name} (padding)", minimum=0) for side in p)
    return before, after


def _stride_per_axis(s, ndim: int) -> tuple[int, ...]:
    """Stride per axis; in 2-D an int steps both axes alike."""
    if ndim == 1 or _is_integer(s):
        return (_check_int(s, "s (stride)", minimum=1),) * ndim
    if not isinstance(s, (tuple, list)) or len(s) != ndim:
        raise ValueError(f"s: expected an int or a pair (s1, s2) for rows and columns, got {s!r}")
    return tuple(_check_int(step, f"s[{axis}] (stride)", minimum=1) for axis, step in enumerate(s))


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_int(value, name: str, minimum: int) -> int:
    if not _is_integer(value):
        raise ValueError(f"{name}: expected an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def _as_real_array(a, name: str, ndim: int) -> np.ndarray:
    """``a`` as a non-empty, finite float array with ``ndim`` dimensions."""
    try:
        array = np.asarray(a)
    except ValueError as error:  # ragged nested lists (NumPy >= 1.24 refuses them)
        raise ValueError(
            f"{name}: expected a rectangular {ndim}-D array of numbers, got ragged rows ({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        # NumPy < 1.24 turns ragged rows into an object array instead of refusing them.
        hint = " (rows of unequal length, or not numbers)" if array.dtype == object else ""
        raise ValueError(
            f"{name}: expected real numbers, got an array of dtype {array.dtype}{hint}"
        )
    if array.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-D array, got {array.ndim}-D of shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(
            f"{name}: expected at least one element, got an empty array of shape {array.shape}"
        )
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    bad = np.count_nonzero(~np.isfinite(array))
    if bad:
        raise ValueError(f"{name}: expected finite numbers, got {bad} NaN or infinite value(s)")
    return array
