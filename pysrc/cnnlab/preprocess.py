"""Preprocessing of a drawn digit into the 28×28 input of the MNIST network.

MNIST's digits were made in a fixed way (LeCun, Cortes and Burges): the
black-and-white NIST digit was scaled so that its longer side is 20 px, keeping
its aspect ratio, with an anti-aliasing filter (so the edges become grey), then
pasted into a 28×28 field so that its intensity-weighted centre of mass sits at
the centre. A drawing must go through the same steps, or the network sees
something it was never trained on. The stages are

1. ``ink``: the canvas as ink coverage in [0, 1], white digit on black.
   The page draws on a *transparent* canvas, so the alpha channel of its RGBA
   ``ImageData`` is the ink, whatever the colour theme.
2. ``cropped``: the bounding box of the ink (faint noise below
   :data:`INK_THRESHOLD` does not count).
3. ``stroke_normalised``: the crop resampled to a box :data:`OVERSAMPLE` times
   larger than the final one, its darkest ink stretched to 1, and its stroke
   width brought into the range MNIST's own strokes have
   (:data:`STROKE_RANGE`) by a grey-level dilation or erosion. A pen has a
   fixed width in canvas pixels, so without this a small drawing would come
   out bold once scaled up, and a large one thin.
4. ``scaled_20``: longer side 20 px, aspect ratio kept, by area averaging.
5. ``centred_28``: pasted into 28×28 with its centre of mass at (14, 14).

:func:`preprocess_stages` returns all five for the page's step-by-step view;
:func:`preprocess` returns the network input. An empty canvas gives ``None``
from both, so the page can ask the visitor to draw a digit.
"""

from __future__ import annotations

import math

import numpy as np

INK_THRESHOLD = 0.1
"""Ink below this level (26 of 255) is noise: it neither extends the box nor makes a
canvas non-empty."""

MIN_EXTENT = 0.15
"""A drawing whose ink spans less than this share of the canvas's longer side (a dot, a
tick) is too small to read: scaled up to MNIST's 20 px it is a blob, and the network would
still name a digit with confidence."""

BOX = 20
"""MNIST scales the digit so that its longer side is 20 px ..."""

FRAME = 28
"""... and pastes it into a 28×28 field."""

CENTRE = 14.0
"""Target of the centre of mass, in pixel indices (row, column) of the 28×28 field.

Measured on the 10,000 MNIST test digits: every centre of mass lies in
[13.5, 14.5] on both axes, which is what a shift by the rounded offset towards
14 gives.
"""

OVERSAMPLE = 4
"""The stroke width is normalised at 4× the final resolution (an 80-px box), fine
enough for sub-pixel widths and small enough to be fast."""

STROKE_RANGE = (1.9, 3.5)
"""Stroke widths (px in the 20-px box, measured by :func:`stroke_width`) kept as they are.

These are the 10th and 90th percentiles over the MNIST test digits (median 2.5);
a drawing's strokes are thickened or thinned into this range, and a width
already inside it is left alone, as MNIST's own writers vary too.
"""

STROKE_STEPS = 5
"""Measure-and-correct rounds of :func:`normalise_stroke` at most ..."""

STROKE_TOLERANCE = 0.05
"""... stopping once the correction is below 0.05 px (in the 20-px box)."""

MAX_THINNING = 0.45
"""Erosion removes at most this fraction of the first estimated width from each
side, so that thinning never erases a drawing (a filled blob has a huge "width")."""


# ---------------------------------------------------------------- input
def ink_from_canvas(canvas: np.ndarray) -> np.ndarray:
    """Ink coverage of a canvas, shape ``(H, W)``, float32 in [0, 1].

    Parameters
    ----------
    canvas : ndarray
        Either the page's RGBA ``ImageData`` as uint8 of shape ``(H, W, 4)``
        (the alpha channel is the ink), or grey ink of shape ``(H, W)``: uint8
        0..255 or float in [0, 1], white ink (high) on black (0).

    >>> rgba = np.zeros((2, 3, 4), np.uint8)
    >>> rgba[0, 1, 3] = 255
    >>> ink_from_canvas(rgba).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    array = np.asarray(canvas)
    expected = (
        "expected an RGBA uint8 array (H, W, 4) or grey ink (H, W) as uint8 or float in [0, 1]"
    )
    if array.ndim == 3 and array.shape[2] == 4 and array.dtype == np.uint8:
        array = array[:, :, 3]
    elif array.ndim != 2 or not (array.dtype == np.uint8 or array.dtype.kind == "f"):
        raise ValueError(f"{expected}, got shape {array.shape} and dtype {array.dtype}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{expected}, got an empty shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255)
    if not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
        raise ValueError(
            f"{expected}, got floats outside [0, 1] or not finite "
            f"(min {array.min()}, max {array.max()})"
        )
    return array.astype(np.float32)


def ink_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    """Bounding box ``(rows, columns)`` of the ink above :data:`INK_THRESHOLD`, or ``None``.

    >>> ink = np.zeros((4, 5))
    >>> ink[1, 2] = ink[2, 3] = 1.0
    >>> ink_box(ink)
    (slice(1, 3, None), slice(2, 4, None))
    """
    inked = ink > INK_THRESHOLD
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(columns[0]), int(columns[-1]) + 1)


def is_empty(canvas: np.ndarray) -> bool:
    """True when the canvas holds no ink above :data:`INK_THRESHOLD`.

    >>> is_empty(np.zeros((280, 280, 4), np.uint8))
    True
    """
    return ink_box(ink_from_canvas(canvas)) is None


def too_little_ink(canvas: np.ndarray) -> bool:
    """True when the canvas's ink spans less than :data:`MIN_EXTENT` of its longer side
    (or there is none): too little to read as a digit.

    >>> canvas = np.zeros((280, 280, 4), np.uint8)
    >>> canvas[130:150, 130:150, 3] = 255                  # a dot
    >>> too_little_ink(canvas)
    True
    >>> canvas[60:220, 130:150, 3] = 255                   # a one
    >>> too_little_ink(canvas)
    False
    """
    ink = ink_from_canvas(canvas)
    box = ink_box(ink)
    if box is None:
        return True
    extent = max(box[0].stop - box[0].start, box[1].stop - box[1].start)
    return extent < MIN_EXTENT * max(ink.shape)


# ---------------------------------------------------------------- area averaging
def area_resample_matrix(n_in: int, scale: float) -> np.ndarray:
    """Matrix ``A`` of shape ``(n_out, n_in)`` that resamples a row by area averaging.

    Output pixel ``j`` covers the input interval ``[j / scale, (j + 1) / scale)``
    and takes the mean of the input over it (a box filter), with input pixel
    ``i`` covering ``[i, i + 1)``::

        A[j, i] = scale · |[i, i + 1) ∩ [j / scale, (j + 1) / scale)|

    ``n_out = ceil(n_in · scale)``; where the last output pixel sticks out of the
    input, the part outside counts as background (0), which is how a partly
    covered pixel is anti-aliased. Each input pixel spreads a total weight
    ``scale``, so the mean ink over the covered area is preserved. This matrix
    is the definition; :func:`area_resample` computes the same product faster.

    >>> area_resample_matrix(4, 0.5).tolist()
    [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    >>> area_resample_matrix(3, 0.5).tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.0, 0.5]]
    """
    n_out = _resampled_length(n_in, scale)
    edges = np.minimum(np.arange(n_out + 1) / scale, n_in)
    start, stop = np.arange(n_in), np.arange(1, n_in + 1)
    overlap = np.minimum(stop, edges[1:, None]) - np.maximum(start, edges[:-1, None])
    return np.clip(overlap, 0, None) * scale


def _resampled_length(n_in: int, scale: float) -> int:
    # The tolerance keeps 97 · (20 / 97) = 20.000000000000004 at 20 px.
    return max(1, math.ceil(n_in * scale - 1e-6))


def area_resample(image: np.ndarray, scale: float) -> np.ndarray:
    """Resample a 2-D image by ``scale`` on both axes with area averaging.

    The result is ``A_rows @ image @ A_columns.T`` with the matrices of
    :func:`area_resample_matrix`, of shape ``(ceil(H · scale), ceil(W · scale))``,
    but computed from prefix sums: the integral of the piecewise-constant image
    up to position ``x`` is the cumulative sum interpolated linearly at ``x``,
    and an output pixel is ``scale`` times the difference of that integral at
    its two edges. That is O(H · W) work where the matrix product is
    O(H · W · n_out), which matters where NumPy has no optimised BLAS (in the
    browser a 280 → 80 resampling takes a few tenths of a millisecond instead of
    several milliseconds).

    >>> area_resample(np.ones((4, 6)), 0.5).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    >>> area_resample(np.array([[0.0, 1.0, 1.0]] * 3), 2 / 3).round(3).tolist()
    [[0.333, 1.0], [0.333, 1.0]]
    """
    return _area_resample_rows(_area_resample_rows(image, scale).T, scale).T


def _area_resample_rows(image: np.ndarray, scale: float) -> np.ndarray:
    """Area resampling along axis 0 only, from prefix sums (see :func:`area_resample`)."""
    n_in = image.shape[0]
    edges = np.minimum(np.arange(_resampled_length(n_in, scale) + 1) / scale, n_in)
    prefix = np.zeros((n_in + 1, image.shape[1]))  # float64: differences of sums stay exact
    np.cumsum(image, axis=0, out=prefix[1:])
    below = np.minimum(edges.astype(int), n_in - 1)
    fraction = (edges - below)[:, None]
    integral = prefix[below] * (1 - fraction) + prefix[below + 1] * fraction
    return (np.diff(integral, axis=0) * scale).astype(image.dtype)


def scale_to_box(image: np.ndarray) -> np.ndarray:
    """Area-resample ``image`` so that its longer side is :data:`BOX` (20) px, values in [0, 1].

    >>> scale_to_box(np.ones((40, 10))).shape
    (20, 5)
    """
    # (np.clip is slow on NumPy 1.17, the browser's.)
    return np.minimum(np.maximum(area_resample(image, BOX / max(image.shape)), 0), 1)


# ---------------------------------------------------------------- stroke width
def zero_padded(image: np.ndarray, margin: int) -> np.ndarray:
    """``image`` with ``margin`` rows and columns of zeros on every side (``np.pad``, faster).

    >>> zero_padded(np.ones((1, 2)), 1).astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    height, width = image.shape
    padded = np.zeros((height + 2 * margin, width + 2 * margin), dtype=image.dtype)
    padded[margin:margin + height, margin:margin + width] = image
    return padded


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels, ``2 · area / perimeter``.

    A stroke of width ``w`` and length ``l`` has area ``w · l`` and perimeter
    ``≈ 2 l``. The area is the total ink ``Σ u``; the perimeter is the total
    variation ``Σ |∇u|``, which by the coarea formula also measures anti-aliased
    edges correctly. The gradient is taken on each 2×2 cell (the mean of the two
    differences along each axis), which measures an edge's length within 2 % at
    any angle, where plain forward differences overestimate a diagonal edge by
    up to 20 %. Returns 0 for no ink.

    >>> line = np.zeros((9, 40))
    >>> line[3:6, 5:35] = 1.0
    >>> round(stroke_width(line), 2)
    2.78
    """
    padded = zero_padded(ink, 1)
    top_left, top_right = padded[:-1, :-1], padded[:-1, 1:]
    bottom_left, bottom_right = padded[1:, :-1], padded[1:, 1:]
    across = (top_right - top_left + bottom_right - bottom_left) / 2
    down = (bottom_left - top_left + bottom_right - top_right) / 2
    perimeter = float(np.sqrt(across * across + down * down).sum())
    return 2.0 * float(ink.sum()) / perimeter if perimeter > 0 else 0.0


def dilate_disc(image: np.ndarray, radius: int) -> np.ndarray:
    """Grey-level dilation by the digital disc ``{(dy, dx): dy² + dx² ≤ radius²}``.

    ``out[y, x] = max of image[y + dy, x + dx]`` over the disc, with 0 outside
    the image. The disc is a stack of horizontal chords, so the running
    horizontal maxima over ``2k + 1`` columns are built once (k = 0 … radius)
    and each row offset ``dy`` takes the chord of half-width
    ``isqrt(radius² - dy²)``: O(radius) array operations instead of O(radius²).

    >>> dot = np.zeros((5, 5))
    >>> dot[2, 2] = 1.0
    >>> dilate_disc(dot, 2).astype(int).tolist()
    [[0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]]
    """
    if radius == 0:
        return image
    height, width = image.shape
    padded = zero_padded(image, radius)
    # chords[k][:, x] = max of the padded image over columns x - k .. x + k
    chords = [padded[:, radius:radius + width]]
    for k in range(1, radius + 1):
        left = padded[:, radius - k:radius - k + width]
        right = padded[:, radius + k:radius + k + width]
        chords.append(np.maximum(chords[-1], np.maximum(left, right)))
    out = chords[radius][radius:radius + height]
    for dy in range(1, radius + 1):
        chord = chords[math.isqrt(radius * radius - dy * dy)]
        out = np.maximum(out, np.maximum(chord[radius - dy:radius - dy + height],
                                         chord[radius + dy:radius + dy + height]))
    return out


def morph_stroke(image: np.ndarray, radius: float) -> np.ndarray:
    """Thicken (``radius > 0``) or thin (``radius < 0``) strokes by ``|radius|`` pixels per side.

    Dilation by a disc, or erosion ``-dilate(-image)`` (outside the image counts
    as no ink). A fractional radius blends the two neighbouring integer radii,
    ``(1 - f) · morph(floor r) + f · morph(ceil r)``, which moves an anti-aliased
    edge by the fraction ``f`` of a pixel.

    >>> morph_stroke(np.array([[0.0, 1.0, 0.0]]), 0.5).tolist()
    [[0.5, 1.0, 0.5]]
    """
    sign = 1.0 if radius >= 0 else -1.0
    low = math.floor(abs(radius))
    fraction = abs(radius) - low
    signed = sign * image
    out = dilate_disc(signed, low)
    if fraction > 0:
        out = (1 - fraction) * out + fraction * dilate_disc(signed, low + 1)
    return sign * out


def normalising_radius(width: float) -> float:
    """Radius (px in the 20-px box) that brings a stroke width into :data:`STROKE_RANGE`.

    Changing the width from ``n`` to ``t`` also changes the box, which is then
    rescaled to 20 px: the skeleton spans ``20 - n``, so the new box spans
    ``20 - n + t'`` for a width ``t'`` before rescaling. Solving
    ``t' · 20 / (20 - n + t') = t`` gives ``t' = t (20 - n) / (20 - t)``, and the
    radius is ``(t' - n) / 2``, where ``t`` is ``n`` clipped to the range.

    >>> [round(normalising_radius(n), 3) for n in (1.0, 2.5, 6.0)]
    [0.497, 0.0, -1.515]
    """
    target = min(max(width, STROKE_RANGE[0]), STROKE_RANGE[1])
    return (target * (BOX - width) / (BOX - target) - width) / 2


def normalise_stroke(image: np.ndarray) -> np.ndarray:
    """Thicken or thin the strokes of a cropped image so their width lies in :data:`STROKE_RANGE`.

    The width is measured (:func:`stroke_width`) on the image's ink box scaled
    to 20 px (:func:`scale_to_box`), where MNIST's widths were measured, and
    :func:`normalising_radius` gives the radius of :func:`morph_stroke`. The
    width of a thick, short drawing does not fall as much as that first-order
    rule predicts (its ends and corners erode too), so the measurement and
    the correction are repeated, each time from the original image, up to
    :data:`STROKE_STEPS` times or until the correction is below
    :data:`STROKE_TOLERANCE`. The image is padded first so that thickening has room.
    The total thinning is capped at :data:`MAX_THINNING` of the first width, and
    a thinning that would leave no ink at all (noise rather than strokes) is
    not applied.

    Parameters
    ----------
    image : ndarray, shape (h, w)
        Ink whose bounding box is the whole image.

    Returns
    -------
    ndarray, shape (h + 2m, w + 2m)
        The image padded by ``m = ceil(radius)`` pixels (0 when thinning), morphed.

    >>> bold = np.ones((80, 24))
    >>> round(stroke_width(scale_to_box(bold)), 2)
    4.72
    >>> thinned = normalise_stroke(bold)
    >>> inked = thinned[ink_box(thinned)]
    >>> list(inked.shape), round(stroke_width(scale_to_box(inked)), 2)
    ([72, 16], 3.54)
    """
    radius, normalised, box, thinnest = 0.0, image, ink_box(image), 0.0
    for step in range(STROKE_STEPS):
        inked = normalised[box]
        pixels_per_box_pixel = max(inked.shape) / BOX
        width = stroke_width(scale_to_box(inked))  # where MNIST's widths were measured
        if step == 0:
            thinnest = -MAX_THINNING * width * pixels_per_box_pixel
        change = normalising_radius(width) * pixels_per_box_pixel
        if abs(change) < STROKE_TOLERANCE * pixels_per_box_pixel or radius <= thinnest:
            break
        radius = max(radius + change, thinnest)
        candidate = morph_stroke(zero_padded(image, margin=math.ceil(max(radius, 0.0))), radius)
        candidate_box = ink_box(candidate)
        if candidate_box is None:  # noise rather than strokes: thinning would erase it all
            break
        normalised, box = candidate, candidate_box
    return normalised


# ---------------------------------------------------------------- centring
def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted centre ``(Σ y u / Σ u, Σ x u / Σ u)`` in pixel indices.

    >>> centre_of_mass(np.array([[0.0, 1.0], [0.0, 3.0]]))
    (0.75, 1.0)
    """
    total = float(image.sum())
    rows, columns = image.sum(axis=1), image.sum(axis=0)
    return (float(rows @ np.arange(rows.size)) / total,
            float(columns @ np.arange(columns.size)) / total)


def centre_in_frame(image: np.ndarray) -> np.ndarray:
    """Paste ``image`` (at most 28×28) into a 28×28 frame with its centre of mass at :data:`CENTRE`.

    As for MNIST, the shift is the offset ``CENTRE - centre of mass`` rounded to
    whole pixels (so the result is within half a pixel of the centre), limited
    so that the whole image stays in the frame.

    >>> frame = centre_in_frame(np.ones((3, 3)))
    >>> [int(i) for i in np.argwhere(frame)[0]], centre_of_mass(frame)
    ([13, 13], (14.0, 14.0))
    """
    frame = np.zeros((FRAME, FRAME), dtype=image.dtype)
    top, left = (
        min(max(math.floor(CENTRE - centre + 0.5), 0), FRAME - size)
        for centre, size in zip(centre_of_mass(image), image.shape)
    )
    frame[top:top + image.shape[0], left:left + image.shape[1]] = image
    return frame


# ---------------------------------------------------------------- pipeline
def preprocess_stages(canvas: np.ndarray) -> dict[str, np.ndarray] | None:
    """Every stage of :func:`preprocess`, in order, as 2-D float32 arrays; ``None`` if empty.

    Returns
    -------
    dict or None
        ``"ink"`` ``(H, W)``: the canvas as ink in [0, 1];
        ``"cropped"``: the bounding box of the ink;
        ``"stroke_normalised"``: the crop resampled to an 80-px box
        (``OVERSAMPLE · 20``) and stretched so its darkest ink is 1 (like
        MNIST's strokes), with the stroke width normalised (:func:`normalising_radius`);
        ``"scaled_20"``: its ink box with the longer side 20 px;
        ``"centred_28"`` ``(28, 28)``: centred by mass.
        ``None`` when the canvas has no ink (:func:`is_empty`).

    >>> canvas = np.zeros((280, 280, 4), np.uint8)
    >>> canvas[40:200, 100:140, 3] = 255
    >>> stages = preprocess_stages(canvas)
    >>> [(name, list(image.shape)) for name, image in stages.items()]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('ink', [280, 280]), ('cropped', [160, 40]), ('stroke_normalised', [80, 20]),
     ('scaled_20', [20, 5]), ('centred_28', [28, 28])]
    """
    ink = ink_from_canvas(canvas)
    box = ink_box(ink)
    if box is None:
        return None
    cropped = ink[box]
    work = area_resample(cropped, OVERSAMPLE * BOX / max(cropped.shape))
    # A hairline loses contrast when averaged down; MNIST's strokes peak at 1.
    work = work / work.max()
    normalised = normalise_stroke(work)
    scaled = scale_to_box(normalised[ink_box(normalised)])
    return {
        "ink": ink,
        "cropped": cropped,
        "stroke_normalised": normalised,
        "scaled_20": scaled,
        "centred_28": centre_in_frame(scaled),
    }


def preprocess(canvas: np.ndarray) -> np.ndarray | None:
    """The network input for a drawing, ``(1, 1, 28, 28)`` float32 in [0, 1]; ``None`` if empty.

    Parameters
    ----------
    canvas : ndarray
        RGBA uint8 ``(H, W, 4)`` with the ink in alpha, or grey ink ``(H, W)``
        (uint8 or float in [0, 1], white on black); see :func:`ink_from_canvas`.

    >>> canvas = np.zeros((280, 280), np.uint8)
    >>> canvas[60:220, 120:150] = 255
    >>> x = preprocess(canvas)
    >>> x.shape, str(x.dtype), [round(c) for c in centre_of_mass(x[0, 0])]
    ((1, 1, 28, 28), 'float32', [14, 14])
    >>> preprocess(np.zeros((280, 280), np.uint8)) is None
    True
    """
    stages = preprocess_stages(canvas)
    if stages is None:
        return None
    return stages["centred_28"].reshape(1, 1, FRAME, FRAME)
