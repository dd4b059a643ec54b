"""One writer per archive: an exclusive ``flock`` on ``DIR/.lock``.

The kernel drops a flock when its process dies, however it dies, so a lock left by a
killed crawl is never in the way: the next run takes it over and says so.  The file holds
the owner's pid and start time, for the message a second run prints when it must refuse.
A ``.lock`` that is a symbolic link is refused (``archive.safeio``): taking the lock
truncates the file, which must never be one outside the archive.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from archive.safeio import open_nofollow
from archive.timeutil import utc_now_iso

LOCK_NAME = ".lock"


class ArchiveLocked(RuntimeError):
    """Another live process holds the archive."""


class ArchiveLock:
    """Hold the archive for this process until ``release`` (or process exit)."""

    def __init__(self, archive: Path, *, root: Path | None = None) -> None:
        """``root``: the archive ``archive`` lies in (a shard's), checked for links on the way."""
        archive.mkdir(parents=True, exist_ok=True)
        self.path = archive / LOCK_NAME
        self.root = root if root is not None else archive
        self.previous: dict[str, Any] = {}
        self._fd: int | None = None

    def acquire(self) -> ArchiveLock:
        fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT, 0o644, root=self.root)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read(fd)
            os.close(fd)
            raise ArchiveLocked(
                f"{self.path.parent} is in use by another newsarc process "
                f"(pid {owner.get('pid', '?')}, since {owner.get('since', '?')})"
            ) from None
        self.previous = _read(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": utc_now_iso()}).encode(), 0)
        self._fd = fd
        return self

    @property
    def took_over(self) -> bool:
        """True when the lock file named an owner that died without releasing it."""
        return bool(self.previous.get("pid"))

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> dict[str, Any]:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
