"""The chapter's worked examples, shared by the native and browser tests.

From ../shared/reference/chapter14-notes.md: the 2-D convolution example (X, W with p = (1, 1))
and the two 6×6 inputs that max-pool (2×2) to the same 3×3 output.
"""

BOOK_X = [[1, 3, 2, 4], [5, 6, 1, 3], [1, 2, 0, 2], [3, 4, 3, 2]]
BOOK_W = [[1, 0, 3], [1, 2, 1], [0, 1, 1]]
NOTES_X1 = [[10, 255, 125, 0, 170, 100],
            [70, 255, 105, 25, 25, 70],
            [255, 0, 150, 0, 10, 10],
            [0, 255, 10, 10, 150, 20],
            [70, 15, 200, 100, 95, 0],
            [35, 25, 100, 20, 0, 60]]
NOTES_X2 = [[100, 100, 100, 50, 100, 50],
            [95, 255, 100, 125, 125, 170],
            [80, 40, 10, 10, 125, 150],
            [255, 30, 150, 20, 120, 125],
            [30, 30, 150, 100, 70, 70],
            [70, 30, 100, 200, 70, 95]]
NOTES_POOLED = [[255, 125, 170], [255, 150, 150], [70, 200, 95]]
