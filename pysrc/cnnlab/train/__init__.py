"""The offline trainer: ``python -m cnnlab.train --data DIR --out pretrained/``.

Not shipped to the browser. :mod:`~cnnlab.train.trainer` (the command line and its
checkpoints), :mod:`~cnnlab.train.mnist` (reading and downloading the IDX files),
:mod:`~cnnlab.train.evaluate` (test accuracy, ``python -m cnnlab.train.evaluate``),
:mod:`~cnnlab.train.figures` (matplotlib figures of a run) and
:mod:`~cnnlab.train.convert` (PyTorch -> the compact weights file). The training step
itself is the library's (:func:`cnnlab.optim.train_step`), shared with the pages.
"""
