"""``python -m cnnlab.train``: :func:`cnnlab.train.trainer.main`."""

import sys

from .trainer import main

sys.exit(main())
