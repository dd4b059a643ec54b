"""Writing inside an archive without ever writing through a symbolic link.

An archive may come from elsewhere (a copied folder, a shard of another machine), and a
symbolic link planted in it (``DIR/.lock`` -> ``~/.bashrc``) would make newsarc truncate,
append to or replace a file outside the archive.  So every writer of an archive opens its
files here: the file itself with ``O_NOFOLLOW`` (the kernel refuses a link at the last
step, with no window between a check and the open), and every folder between the archive
and the file is checked with ``lstat`` first (``DIR/warc`` -> ``/etc``).  The archive
folder itself may be a link: the operator chose it.

A link is refused with :class:`SymlinkRefused`, an ``OSError`` (``ELOOP``) naming the
path, so the crawl's storage-error handling and the command line report it in one line
like any other file that cannot be written (exit code 74), and nothing is written.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

_FLAGS = {
    "ab": os.O_WRONLY | os.O_APPEND | os.O_CREAT,
    "wb": os.O_WRONLY | os.O_TRUNC | os.O_CREAT,
    "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
    "rb+": os.O_RDWR,
}


class SymlinkRefused(OSError):
    """A path inside an archive is a symbolic link, and newsarc does not write through one."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(errno.ELOOP, "a symbolic link, which newsarc never writes through "
                                      "(replace it with the file itself)", str(path))


def refuse_symlinks(path: str | Path, root: str | Path | None = None) -> None:
    """Raise :class:`SymlinkRefused` if ``path``, or a folder between ``root`` and it, is a
    symbolic link; ``root`` itself is not checked (the operator's choice)."""
    path = Path(path)
    steps = [path]
    if root is not None:
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            parts = None  # not inside the archive: only the path itself is checked
        if parts is not None:
            steps = [Path(root).joinpath(*parts[:n]) for n in range(1, len(parts) + 1)]
    for step in steps:
        try:
            mode = os.lstat(step).st_mode
        except FileNotFoundError:
            return  # nothing below a missing entry exists either
        if stat.S_ISLNK(mode):
            raise SymlinkRefused(step)


def open_nofollow(path: str | Path, flags: int, mode: int = 0o666, *,
                  root: str | Path | None = None) -> int:
    """``os.open`` that refuses a symbolic link at ``path`` or on the way from ``root``."""
    if root is not None:
        refuse_symlinks(Path(path).parent, root)
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkRefused(path) from None
        raise


def open_write(path: str | Path, mode: str = "ab", *, root: str | Path | None = None,
               buffering: int = -1, encoding: str | None = None) -> IO[Any]:
    """A file object on ``path`` for writing, never through a link (``mode``: ab, wb, xb,
    rb+, or a, w, x for text with ``encoding``)."""
    binary = mode if mode in _FLAGS else mode + "b"
    fd = open_nofollow(path, _FLAGS[binary], root=root)
    # The fd is open already: "x" has done its work, and fdopen accepts only w for it.
    file_mode = binary.replace("x", "w")
    if binary == mode:
        return os.fdopen(fd, file_mode, buffering=buffering)
    return os.fdopen(fd, file_mode.replace("b", ""), buffering=buffering,
                     encoding=encoding or "utf-8")


@contextmanager
def staged(targets: list[Path], *, root: str | Path | None = None) -> Iterator[list[Path]]:
    """Write ``targets`` whole or not at all, together: the block gets a fresh temporary
    path beside each (created empty, the umask applying, never through a link) to write;
    when it ends they are fsynced and renamed over their targets, and any error (or
    interrupt) removes them.  newsarc's one write-then-rename helper: a file inside an
    archive (``root``, whose folders are checked for links too) or an output outside one."""
    targets = [Path(t) for t in targets]
    temps: list[Path] = []
    try:
        for target in targets:
            refuse_symlinks(target, root)
            temps.append(target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp"))
            os.close(open_nofollow(temps[-1], _FLAGS["xb"], root=root))
        yield temps
        for temp in temps:
            fd = open_nofollow(temp, os.O_RDONLY, root=root)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for temp, target in zip(temps, targets, strict=True):
            refuse_symlinks(target, root)  # a link made meanwhile is replaced, but named
            os.replace(temp, target)
    except BaseException:
        for temp in temps:
            with suppress(OSError):
                temp.unlink()
        raise


@contextmanager
def atomic_writer(path: str | Path, *, root: str | Path | None = None,
                  text: bool = False) -> Iterator[IO[Any]]:
    """Write ``path`` whole or not at all: into a fresh temporary file beside it, fsynced
    and renamed over ``path`` when the block ends; any error (or interrupt) removes it
    (:func:`staged`, for one file written through a file object)."""
    with staged([Path(path)], root=root) as (temp,), \
            open_write(temp, "w" if text else "wb", root=root) as handle:
        yield handle


def atomic_write(path: str | Path, data: bytes | str, *, root: str | Path | None = None) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_writer`)."""
    with atomic_writer(path, root=root, text=isinstance(data, str)) as handle:
        handle.write(data)
