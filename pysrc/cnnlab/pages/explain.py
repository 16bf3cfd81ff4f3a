"""The numbers behind the chapter's explanatory widgets (the pages' JavaScript only draws them).

- :func:`parse_numbers`: a list typed by a visitor ("1, 3, 2") as numbers, or a clear error.
- :func:`conv1d_steps`: every step of a 1-D convolution or cross-correlation: which
  padded inputs each output reads, the kernel as it lies under them, the products and sums.
- :func:`input_usage`: how many outputs read each (padded) input element: the edges of an
  unpadded input are read less often than its middle.
- :func:`shift` and :func:`shift_response`: move a digit by a few pixels and compare what each
  layer of the network computes: convolution moves with the input (equivariance), pooling
  absorbs part of a small move (local invariance).
- :func:`digit_feature_maps`: a synthetic digit's conv1 and conv2 feature maps and the
  pretrained network's prediction.
- What a widget calls, field values in: :func:`conv1d_stepper`, :func:`output_size_run`,
  :func:`usage_count`, :func:`shift_demo`.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .. import digits, layers, model, signal
from ..signal import Padding, Signal
from . import bounds

SHIFT_LAYERS = ("relu1", "pool1", "relu2", "pool2", "fc2")
"""The layers :func:`shift_response` compares, in network order: each convolution after its
ReLU (the background of a map before ReLU hides how much of it moved), each pooling, and the
logits."""


def parse_numbers(text: str, name: str) -> list[float]:
    """The numbers in ``text``, separated by commas and/or spaces.

    Raises a ValueError naming ``name`` for anything that is not a number, or no number.

    >>> parse_numbers("1, 3  2,-0.5", "x")
    [1.0, 3.0, 2.0, -0.5]
    >>> parse_numbers("1, two", "x")
    Traceback (most recent call last):
    ...
    ValueError: x: expected numbers separated by commas, got 'two'
    """
    values = []
    for token in re.split(r"[,\s]+", str(text).strip()):
        if not token:
            continue
        try:
            values.append(float(token))
        except ValueError:
            expected = f"{name}: expected numbers separated by commas"
            raise ValueError(f"{expected}, got {token!r}") from None
    if not values:
        raise ValueError(f"{name}: expected at least one number, got none")
    return values


def conv1d_steps(x: Signal, w: Signal, p: Padding = 0, s: int = 1, *,
                 flip: bool = True) -> dict[str, np.ndarray | tuple[int, int] | bool]:
    """Each output of a 1-D convolution (``flip=True``) or cross-correlation, step by step.

    Output ``i`` reads the padded inputs ``x^p[i·s : i·s + m]`` and multiplies them
    element-wise with ``kernel`` (``w[::-1]`` for convolution, ``w`` for
    cross-correlation): ``y[i] = Σ_j x^p[i·s + j] · kernel[j]``, which for convolution is
    the book's ``Σ_k x^p[i·s + m - 1 - k] · w[k]`` with ``k = m - 1 - j``.

    Returns
    -------
    dict
        ``"padded"`` ``(n + before + after,)``: ``x^p``; ``"padding"``: ``(before, after)``;
        ``"kernel"`` ``(m,)``: the kernel as it lies under the window; ``"flip"``;
        ``"starts"`` ``(o,)``: index in ``x^p`` of each window's first element;
        ``"products"`` ``(o, m)``: ``x^p[starts[i] + j] · kernel[j]``;
        ``"output"`` ``(o,)``: the row sums, equal to ``signal.conv1d`` (or ``correlate1d``).
        Invalid arguments raise `signal.conv1d`'s ValueError; so do more than
        ``bounds.STEPPER_X.most`` inputs, ``bounds.STEPPER_W.most`` weights, and a padding or
        stride beyond ``bounds.PADDING_1D`` / ``bounds.STRIDE_1D`` (the widget draws every step).

    >>> steps = conv1d_steps([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2)
    >>> steps["kernel"].tolist(), steps["products"][0].tolist(), steps["output"][:2].tolist()
    ([2.0, 1.0, 3.0, 0.0, 1.0], [0.0, 0.0, 3.0, 0.0, 2.0], [5.0, 14.0])
    """
    x, w = bounds.STEPPER_X.check(x), bounds.STEPPER_W.check(w)
    p = (bounds.PADDING_1D.check(p) if np.ndim(p) == 0
         else tuple(bounds.PADDING_1D.check(side) for side in p))
    s = bounds.STRIDE_1D.check(s)
    operation = signal.conv1d if flip else signal.correlate1d
    output = operation(x, w, p=p, s=s)  # checks every argument, with the library's messages
    w = np.asarray(w, dtype=float)
    padding = (p, p) if np.ndim(p) == 0 else tuple(p)  # already checked by the operation
    padded = signal.pad1d(x, padding)
    kernel = w[::-1] if flip else w
    starts = np.arange(len(output)) * s
    windows = padded[starts[:, None] + np.arange(len(w))]
    return {
        "padded": padded,
        "padding": padding,
        "kernel": kernel,
        "flip": flip,
        "starts": starts,
        "products": windows * kernel,
        "output": output,
    }


def input_usage(n: int, m: int, p: Padding = 0, s: int = 1) -> np.ndarray:
    """How many outputs read each element of the padded input.

    Window ``i`` covers padded positions ``i·s … i·s + m - 1`` for
    ``i = 0 … output_size(n, m, p, s) - 1``; position ``j`` is counted once per window
    that covers it. The padded input has ``n + before + after`` positions; the real input
    starts at index ``before``.

    Returns
    -------
    int array, shape (n + before + after,)

    >>> input_usage(5, 3).tolist()  # x[0] is read once, x[1] twice, x[2] three times
    [1, 2, 3, 2, 1]
    >>> input_usage(5, 3, p=1).tolist()  # padding by 1: x[0] is read twice
    [1, 2, 3, 3, 3, 2, 1]
    """
    o = signal.output_size(n, m, p, s)  # checks the arguments
    before, after = (p, p) if np.ndim(p) == 0 else p
    counts = np.zeros(n + before + after, dtype=int)
    for i in range(o):  # a loop over windows reads like the definition; o is small
        counts[i * s : i * s + m] += 1
    return counts


def shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (last two axes: rows, columns) moved down by ``dy`` and right by ``dx`` pixels.

    What moves out of the frame is lost; what comes in is zero (background).

    >>> shift(np.arange(1, 5).reshape(2, 2), 0, 1).tolist()
    [[0, 1], [0, 3]]
    """
    rows, source_rows = _overlap(dy, image.shape[-2])
    cols, source_cols = _overlap(dx, image.shape[-1])
    moved = np.zeros_like(image)
    moved[..., rows, cols] = image[..., source_rows, source_cols]
    return moved


def _overlap(d: int, size: int) -> tuple[slice, slice]:
    """Where a move by ``d`` along an axis of ``size`` puts what: (target, source) slices."""
    d = max(-size, min(size, d))  # a move by the whole size or more leaves nothing
    return slice(max(d, 0), size + min(d, 0)), slice(max(-d, 0), size - max(d, 0))


@functools.lru_cache(maxsize=1)
def pretrained(folder: str = "pretrained") -> dict[str, np.ndarray]:
    """The pretrained parameters, loaded once per folder (widgets ask for them often).

    Shared between callers: do not modify the arrays.
    """
    return model.load_pretrained(folder)


def digit_feature_maps(digit: int, slant: float = 0.0,
                       folder: str = "pretrained") -> dict[str, np.ndarray | int]:
    """A synthetic digit (:func:`cnnlab.digits.draw_digit`) through the pretrained network.

    Returns
    -------
    dict
        ``"image"`` (28, 28); ``"kernels"`` (32, 5, 5): conv1's kernels;
        ``"conv1"`` (32, 28, 28) and ``"conv2"`` (64, 14, 14): the feature maps (before ReLU);
        ``"probabilities"`` (10,); ``"prediction"``: the most probable class.
    """
    params = pretrained(folder)
    image = digits.draw_digit(digit, slant)
    logits, acts = model.forward(image[None, None], params, return_activations=True)
    probabilities = layers.softmax(logits)[0]
    return {
        "image": image,
        "kernels": params["conv1.weight"][:, 0],
        "conv1": acts["conv1"][0],
        "conv2": acts["conv2"][0],
        "probabilities": probabilities,
        "prediction": int(np.argmax(probabilities)),
    }


def shift_response(image: np.ndarray, params: dict[str, np.ndarray], dy: int, dx: int,
                   channel: int = 0) -> dict[str, np.ndarray | float | dict[str, float]]:
    """What moving the input by ``(dy, dx)`` pixels does to each layer's output.

    Parameters
    ----------
    image : (28, 28) array, a digit
    params : the network's parameters
    dy, dx : int, the move (down, right), ``|dy|, |dx| < 28``
    channel : int, the conv1 channel to return maps of, ``0 <= channel < 32``

    Returns
    -------
    dict
        ``"image"`` and ``"moved"`` (28, 28): the input before and after the move;
        ``"conv1"`` and ``"conv1_moved"`` (28, 28): channel ``channel`` of conv1 for the
        original and the moved input;
        ``"equivariance_gap"``: ``max |conv1(moved)[r + dy, c + dx] - conv1(original)[r, c]|``
        over all channels and the positions where both exist: 0 (up to rounding) as long as
        no ink leaves the frame, because convolution moves with its input;
        ``"change"``: for each layer of :data:`SHIFT_LAYERS`, the relative change
        ``‖A(moved) − A(x)‖ / ‖A(x) − A(blank)‖`` of its output ``A`` (the blank image's
        output is the background every digit shares). Deeper, pooled layers change less:
        the network becomes more and more insensitive to small moves.

    >>> params = model.init_params(np.random.default_rng(0))
    >>> result = shift_response(digits.draw_digit(7), params, 0, 1)
    >>> result["equivariance_gap"] < 1e-5, list(result["change"])[:3]
    (True, ['relu1', 'pool1', 'relu2'])
    """
    image = np.asarray(image, dtype=np.float32)
    if image.shape != model.INPUT_SHAPE[1:] or not image.any():
        raise ValueError(f"image: expected a (28, 28) digit with some ink, got shape {image.shape}")
    channel = bounds.SHIFT_CHANNEL.check(channel)
    if max(abs(dy), abs(dx)) >= image.shape[0]:
        raise ValueError(f"dy, dx: expected moves of less than 28 pixels, got ({dy}, {dx})")
    batch = np.stack([image, shift(image, dy, dx), np.zeros_like(image)])[:, None]
    # One image at a time: a batched matmul may round equal rows differently, and no move
    # must change nothing, exactly.
    runs = [model.forward(x[None], params, return_activations=True)[1] for x in batch]
    acts = {name: np.concatenate([run[name] for run in runs]) for name in runs[0]}
    conv1 = acts["conv1"]
    # Compare conv1(moved) at (r + dy, c + dx) with conv1(original) at (r, c), wherever
    # both positions lie inside the frame.
    rows, source_rows = _overlap(dy, image.shape[0])
    cols, source_cols = _overlap(dx, image.shape[1])
    gap = float(np.abs(conv1[1][:, rows, cols] - conv1[0][:, source_rows, source_cols]).max())
    change = {}
    for name in SHIFT_LAYERS:
        original, moved, blank = acts[name]
        change[name] = float(np.linalg.norm(moved - original) / np.linalg.norm(original - blank))
    return {
        "image": image,
        "moved": batch[1, 0],
        "conv1": conv1[0, channel],
        "conv1_moved": conv1[1, channel],
        "equivariance_gap": gap,
        "change": change,
    }


# ---------------------------------------------------------------- what the widgets call
OUTPUT_SIZE_RUN_MOST = 2000
"""The output-size widget runs the convolution itself for ``n + 2p`` up to this; the formula
for any size."""


def conv1d_stepper(x: str, w: str, p: Padding = 0, s: int = 1, *,
                   flip: bool = True) -> dict[str, np.ndarray | tuple[int, int] | bool]:
    """The conv1d-stepper widget: :func:`conv1d_steps` of the lists a visitor typed.

    ``x`` and ``w`` are the fields' text ("1, 3 2"), read by :func:`parse_numbers`.

    >>> conv1d_stepper("1 3 2 4 5 6 1 3", "1, 0, 3, 1, 2", "2")["output"][:2].tolist()
    [5.0, 14.0]
    """
    return conv1d_steps(parse_numbers(x, "x"), parse_numbers(w, "w"), p, s, flip=flip)


def output_size_run(n: int, m: int, p: int = 0, s: int = 1,
                    shown: int = 12) -> dict[str, object]:
    """The output-size widget: ``o = ⌊(n + 2p - m) / s⌋ + 1`` beside what
    :func:`cnnlab.signal.conv1d` returns for the ramp ``x = [1, …, n]`` and ``w = [1, …, 1]``.

    The fields are checked by :data:`cnnlab.pages.bounds.OUTPUT_SIZE` first.

    Returns
    -------
    dict
        ``"n"``, ``"m"``, ``"p"``, ``"s"``: the checked fields; ``"o"``:
        :func:`cnnlab.signal.output_size`; ``"most"``: :data:`OUTPUT_SIZE_RUN_MOST`;
        ``"run"``: ``None`` when ``n + 2p > most``, else the convolution's ``"shape"``, its
        first ``shown`` ``"values"`` (each the sum of its window) and the first ``shown``
        ``"starts"`` of its windows in the padded input (``i·s``).

    >>> r = output_size_run("5", 3, p=1, s=2)
    >>> r["o"], r["run"]["shape"], r["run"]["values"].tolist(), r["run"]["starts"].tolist()
    (3, [3], [3.0, 9.0, 9.0], [0, 2, 4])
    """
    fields = bounds.check("output-size", n=n, m=m, p=p, s=s)
    n, m, p, s = fields["n"], fields["m"], fields["p"], fields["s"]
    o = signal.output_size(n, m, p, s)  # raises the formula's ValueError (kernel too large)
    run = None
    if n + 2 * p <= OUTPUT_SIZE_RUN_MOST:
        y = signal.conv1d(np.arange(1.0, n + 1), np.ones(m), p=p, s=s)
        run = {"shape": list(y.shape), "values": y[:shown],
               "starts": (np.arange(len(y)) * s)[:shown]}
    return {**fields, "o": o, "most": OUTPUT_SIZE_RUN_MOST, "run": run}


def usage_count(n: int, m: int, mode: str) -> dict[str, object]:
    """The usage-count widget: how often each input of a length-``n`` signal is read by a
    kernel of size ``m`` with the padding of ``mode`` (``"full"``, ``"same"``, ``"valid"``).

    Returns
    -------
    dict
        ``"n"``, ``"m"`` (checked by :data:`cnnlab.pages.bounds.WIDGET_FIELDS`);
        ``"padding"``: :func:`cnnlab.signal.padding_for`; ``"counts"``: :func:`input_usage`
        over the padded input; ``"output_size"``.

    >>> r = usage_count("5", 3, "same")
    >>> r["padding"], r["counts"].tolist(), r["output_size"]
    ((1, 1), [1, 2, 3, 3, 3, 2, 1], 5)
    """
    fields = bounds.check("usage-count", n=n, m=m)
    n, m = fields["n"], fields["m"]
    padding = signal.padding_for(mode, m)
    return {"n": n, "m": m, "padding": padding, "counts": input_usage(n, m, padding),
            "output_size": signal.output_size(n, m, padding)}


def shift_demo(digit: int, dy: int, dx: int, channel: int = 0,
               folder: str = "pretrained") -> dict[str, np.ndarray | float | dict[str, float]]:
    """The shift-equivariance widget: :func:`shift_response` of a synthetic digit
    (:func:`cnnlab.digits.draw_digit`) through the pretrained network.
    """
    return shift_response(digits.draw_digit(digit), pretrained(folder), dy, dx, channel)
