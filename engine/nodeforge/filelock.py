"""One process at a time: a timed ``fcntl`` lock on a file, for everything under ``.nodeforge/``.

The embedded store (``store.lock``: Qdrant Edge refuses a second opener of its folder, so our lock
turns that into a bounded wait), the verdict book and the provenance file all lock through here.
The kernel drops the lock when its holder dies, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from nodeforge.errors import NodeforgeError

POLL_SECONDS = 0.05


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class FileLock:
    """An exclusive lock on ``path``, held from ``acquire`` until ``release``. ``what`` names what
    it guards in the one line said while waiting."""

    def __init__(self, path: Path, what: str = "the pattern store") -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float, *, notice: Callable[[str], None] | None = _to_stderr) -> bool:
        """Wait up to ``timeout`` seconds; says once (via ``notice``) that it is waiting. True if held."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                if not told and notice is not None:
                    notice(
                        f"nodeforge: {self.what} is in use by another process; "
                        f"waiting up to {timeout:g} s ({self.path})"
                    )
                    told = True
                time.sleep(POLL_SECONDS)
                continue
            self._fd = fd
            return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextmanager
def locked(path: Path, what: str, timeout: float) -> Iterator[None]:
    """Hold the lock on ``path`` for a block; a lock held elsewhere past ``timeout`` is an error."""
    lock = FileLock(path, what)
    if not lock.acquire(timeout, notice=None):
        raise NodeforgeError(f"{what} stayed locked for {timeout:g} s ({path})")
    try:
        yield
    finally:
        lock.release()
