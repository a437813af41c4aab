"""The product's settings unchanged, except that static files are collected where the benchmark keeps its files.

The image collects them into the project's `staticfiles/`; a benchmark doing the same in a working tree would change
what the test suite sees there (WhiteNoise serves that directory when it exists), so the app servers it starts use
this module, with `BENCH_STATIC_ROOT` naming the directory.
"""

import os
from pathlib import Path

from selfservice.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
