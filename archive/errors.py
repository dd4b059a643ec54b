"""Errors newsarc expects and explains in one line, each with the exit code it ends with.

The command line maps these, and only these (besides the usage errors it has always
mapped), to exit codes: anything else that escapes a command is a bug and shows its
traceback.
"""

from __future__ import annotations

from pathlib import Path

EXIT_FAILED = 1  # the work could not be done on what the archive holds


class NewsarcError(Exception):
    """A failure newsarc foresaw; ``str()`` is the whole one-line message."""

    exit_code = EXIT_FAILED


class DamagedFile(NewsarcError):
    """A file of the archive cannot be read as what it should be: the message names the
    file, what is wrong and what repairs it, so an operator need not read a traceback."""

    def __init__(self, path: str | Path, problem: str, repair: str) -> None:
        super().__init__(f"{path}: {problem}; {repair}")
        self.path = Path(path)


class Unreachable(NewsarcError):
    """A service the command needs (Redis) does not answer."""
