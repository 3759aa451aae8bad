"""Files written whole or not at all, canonical JSON, and the SHA-256 of a file."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over `path`.

    A reader (or a rerun after a crash) sees either the old file, nothing, or the whole new file,
    never a partial one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def dumps(obj) -> str:
    """Canonical JSON: sorted keys, fixed separators, floats as repr (exact round trip)."""
    return json.dumps(obj, sort_keys=True, indent=1, allow_nan=True) + "\n"


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    write_bytes_atomic(path, dumps(obj).encode())


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes (hex), read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
