"""Send a workflow job's output (Python's and C libraries') to its Snakemake `log:` file."""

from __future__ import annotations

import logging
import os
import sys


def log_to(path: str) -> None:
    """Append stdout, stderr and Python logging of this process to `path`."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    handle = open(path, "a", buffering=1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(handle.fileno(), 1)
    os.dup2(handle.fileno(), 2)
    sys.stdout = sys.stderr = handle
    logging.basicConfig(
        level=logging.INFO,
        stream=handle,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
