"""What every widget does with bad input: one table of cases and their expected outcome.

A row is ``(widget, field, typed, expected)``:

- ``field``: the ``data-testid`` of the control, as in ``cnnlab.pages.bounds.WIDGET_FIELDS``;
- ``typed``: what a visitor types there. It is set as the browser sets it, so a number field
  holds ``""`` for letters, ``1e309`` or ``NaN``: those read as empty;
- ``expected``: the message the widget then shows (all of it, or its start).

A widget without a field to type into has one row with ``field`` :data:`NO_TYPED_FIELD`: its
controls (selects, sliders, switches, buttons, a drawing pad) offer valid values only, and the
test checks that it has no text or number field. ``test_bad_input.py`` plays every row on the
built site, one visit per widget page, and checks that the table covers every widget and, for
each typed field, the empty field and a huge value (whose row also checks that the page's main
thread stays free): a new widget cannot be added without its rows here.
"""

from __future__ import annotations

NO_TYPED_FIELD = None
EMPTY = ""
HUGE = "1000000000"  # for a list or matrix: LONG
LONG = "1 " * 10_000
LETTERS = "abc"  # in a number field: the browser keeps it to itself, the field reads as empty

ENTER = "enter a whole number between"
LOGIT = "logit z: enter a number between -1,000,000 and 1,000,000"

CASES: list[tuple[str, str | None, str | None, str]] = [
    # --- 1. feature hierarchies
    ("feature-maps", NO_TYPED_FIELD, None, ""),
    ("shift-equivariance", "channel", EMPTY, f"channel: {ENTER} 0 and 31"),
    ("shift-equivariance", "channel", LETTERS, f"channel: {ENTER} 0 and 31"),
    ("shift-equivariance", "channel", "-1", f"channel: {ENTER} 0 and 31 (got -1)"),
    ("shift-equivariance", "channel", HUGE, "channel ≤ 31 (conv1 has 32 channels)"),
    # --- 2. and 3. convolution and cross-correlation in 1-D
    ("conv1d-stepper", "input-x", EMPTY, "x: expected at least one number, got none"),
    ("conv1d-stepper", "input-x", "1, a", "x: expected numbers separated by commas, got 'a'"),
    ("conv1d-stepper", "input-x", "1e309", "x: enter numbers between -1,000,000 and 1,000,000"),
    ("conv1d-stepper", "input-x", LONG, "x: at most 20 numbers, which fit in the drawing"),
    ("conv1d-stepper", "input-w", EMPTY, "w: expected at least one number, got none"),
    ("conv1d-stepper", "input-w", LONG, "w: at most 9 numbers, which fit in the drawing"),
    ("conv1d-stepper", "input-p", EMPTY, f"padding p: {ENTER} 0 and 10"),
    ("conv1d-stepper", "input-p", "1.5", f"padding p: {ENTER} 0 and 10 (got 1.5)"),
    ("conv1d-stepper", "input-p", HUGE, "padding p ≤ 10 keeps the drawing readable"),
    ("conv1d-stepper", "input-s", EMPTY, f"stride s: {ENTER} 1 and 10"),
    ("conv1d-stepper", "input-s", "0", f"stride s: {ENTER} 1 and 10 (got 0)"),
    ("conv1d-stepper", "input-s", HUGE, "stride s ≤ 10 keeps the drawing readable"),
    # --- 4. padding
    ("usage-count", "input-n", EMPTY, f"input size n: {ENTER} 1 and 16"),
    ("usage-count", "input-n", "0", f"input size n: {ENTER} 1 and 16 (got 0)"),
    ("usage-count", "input-n", HUGE, "input size n ≤ 16 is what the drawing holds"),
    ("usage-count", "input-m", EMPTY, f"kernel size m: {ENTER} 1 and 9"),
    ("usage-count", "input-m", HUGE, "kernel size m ≤ 9 is what the drawing holds"),
    # --- 5. output size
    ("output-size", "input-n", EMPTY, f"input size n: {ENTER} 1 and 1,000,000"),
    ("output-size", "input-n", HUGE, "input size n ≤ 1,000,000 is plenty for the formula"),
    ("output-size", "input-m", EMPTY, f"kernel size m: {ENTER} 1 and 1,000,000"),
    ("output-size", "input-m", "2.5", f"kernel size m: {ENTER} 1 and 1,000,000 (got 2.5)"),
    ("output-size", "input-m", HUGE, "kernel size m ≤ 1,000,000 is plenty for the formula"),
    ("output-size", "input-p", EMPTY, f"padding p: {ENTER} 0 and 1,000,000"),
    ("output-size", "input-p", "-1", f"padding p: {ENTER} 0 and 1,000,000 (got -1)"),
    ("output-size", "input-p", HUGE, "padding p ≤ 1,000,000 is plenty for the formula"),
    ("output-size", "input-s", EMPTY, f"stride s: {ENTER} 1 and 1,000,000"),
    ("output-size", "input-s", "0", f"stride s: {ENTER} 1 and 1,000,000 (got 0)"),
    ("output-size", "input-s", HUGE, "stride s ≤ 1,000,000 is plenty for the formula"),
    # --- 6. convolution in 2-D
    ("conv2d-steps", "input-X", EMPTY, "X: expected rows of numbers, got nothing"),
    ("conv2d-steps", "input-X", "1 a", "X: row 1: expected numbers separated by commas, got 'a'"),
    ("conv2d-steps", "input-X", "1e309", "X: row 1: expected finite numbers, got '1e309'"),
    ("conv2d-steps", "input-X", LONG, "X: at most 10 rows and columns here, got 1 × 10000"),
    ("conv2d-steps", "input-W", EMPTY, "W: expected rows of numbers, got nothing"),
    ("conv2d-steps", "input-W", LONG, "W: at most 10 rows and columns here, got 1 × 10000"),
    ("conv2d-steps", "input-p", EMPTY, f"padding p: {ENTER} 0 and 5"),
    ("conv2d-steps", "input-p", HUGE, "padding p ≤ 5 keeps the drawing readable"),
    ("conv2d-steps", "input-s", EMPTY, f"stride s: {ENTER} 1 and 10"),
    ("conv2d-steps", "input-s", HUGE, "stride s ≤ 10 keeps the drawing readable"),
    # --- 7. pooling
    ("pooling-compare", "input-size", EMPTY, f"size k: {ENTER} 1 and 8"),
    ("pooling-compare", "input-size", HUGE, "size k ≤ 8 covers the matrices shown"),
    ("pooling-compare", "input-stride", EMPTY, f"stride s: {ENTER} 1 and 8"),
    ("pooling-compare", "input-stride", "-1", f"stride s: {ENTER} 1 and 8 (got -1)"),
    ("pooling-compare", "input-stride", HUGE, "stride s ≤ 8 covers the matrices shown"),
    # --- 8. channels
    ("channel-shapes", "input-c_in", EMPTY, f"C_in (input channels): {ENTER} 1 and 64"),
    ("channel-shapes", "input-c_in", HUGE, "C_in (input channels) ≤ 64 keeps the layer quick"),
    ("channel-shapes", "input-c_out", EMPTY, f"C_out (output channels): {ENTER} 1 and 64"),
    ("channel-shapes", "input-c_out", HUGE, "C_out (output channels) ≤ 64 keeps the layer quick"),
    ("channel-shapes", "input-k", EMPTY, f"kernel m: {ENTER} 1 and 7"),
    ("channel-shapes", "input-k", HUGE, "kernel m ≤ 7 keeps the layer quick to run in the page"),
    ("channel-shapes", "input-n", EMPTY, f"image n: {ENTER} 1 and 32"),
    ("channel-shapes", "input-n", HUGE, "image n ≤ 32 keeps the layer quick to run in the page"),
    ("channel-shapes", "input-padding", EMPTY, f"padding: {ENTER} 0 and 5"),
    ("channel-shapes", "input-padding", HUGE, "padding ≤ 5 keeps the layer quick"),
    ("channel-shapes", "input-stride", EMPTY, f"stride: {ENTER} 1 and 5"),
    ("channel-shapes", "input-stride", "2.5", f"stride: {ENTER} 1 and 5 (got 2.5)"),
    ("channel-shapes", "input-stride", HUGE, "stride ≤ 5 keeps the layer quick to run in the page"),
    # --- 9. parameters
    ("param-compare", "input-n1", EMPTY, f"image size: {ENTER} 1 and 256"),
    ("param-compare", "input-n1", HUGE, "image size ≤ 256 keeps the counts exact in the browser"),
    ("param-compare", "input-n2", EMPTY, f"image size: {ENTER} 1 and 256"),
    ("param-compare", "input-n2", HUGE, "image size ≤ 256 keeps the counts exact in the browser"),
    ("param-compare", "input-m1", EMPTY, f"kernel size: {ENTER} 1 and 99"),
    ("param-compare", "input-m1", HUGE, "kernel size ≤ 99 keeps the counts exact in the browser"),
    ("param-compare", "input-m2", EMPTY, f"kernel size: {ENTER} 1 and 99"),
    ("param-compare", "input-m2", HUGE, "kernel size ≤ 99 keeps the counts exact in the browser"),
    ("param-compare", "input-c_in", EMPTY, f"channels: {ENTER} 1 and 256"),
    ("param-compare", "input-c_in", HUGE, "channels ≤ 256 keeps the counts exact in the browser"),
    ("param-compare", "input-c_out", EMPTY, f"channels: {ENTER} 1 and 256"),
    ("param-compare", "input-c_out", HUGE, "channels ≤ 256 keeps the counts exact in the browser"),
    # --- 10. regularisation
    ("dropout-mask", NO_TYPED_FIELD, None, ""),
    ("mc-dropout", "input-passes", EMPTY, f"passes: {ENTER} 1 and 1,000"),
    ("mc-dropout", "input-passes", "0", f"passes: {ENTER} 1 and 1,000 (got 0)"),
    ("mc-dropout", "input-passes", HUGE, "passes ≤ 1,000 are plenty to see the spread"),
    # --- 11. losses
    ("loss-stability", "logit", EMPTY, LOGIT),
    ("loss-stability", "logit", "1e309", LOGIT),
    ("loss-stability", "logit", HUGE, f"{LOGIT}: larger logits show nothing new"),
    # --- 12. architecture
    ("architecture", "batch-size", EMPTY, f"batch size: {ENTER} 1 and 64"),
    ("architecture", "batch-size", "0", f"batch size: {ENTER} 1 and 64 (got 0)"),
    ("architecture", "batch-size", "2.5", f"batch size: {ENTER} 1 and 64 (got 2.5)"),
    ("architecture", "batch-size", HUGE, "batch size ≤ 64 is enough to see the batch axis"),
    # --- 13., 14. and the draw page
    ("augmentation", NO_TYPED_FIELD, None, ""),
    ("training-results", NO_TYPED_FIELD, None, ""),
    ("digit-draw", NO_TYPED_FIELD, None, ""),  # its bad drawings: test_draw.py
]
"""Every bad-input case of every widget and the message it gets (see the module docstring)."""
