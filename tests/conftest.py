import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsarc.replica.server import Replica

REPO = Path(__file__).resolve().parents[1]
NEWSARC = str(Path(sys.executable).with_name("newsarc"))


def run(*args: str, cwd: Path = REPO, stdin: bytes | None = None, timeout: int = 300):
    """Run a command of the project as a user would, in a subprocess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(list(args), cwd=cwd, input=stdin, capture_output=True, env=env,
                          timeout=timeout)


@pytest.fixture(scope="module")
def replica():
    """A small replica on a free loopback port, for one test module."""
    with Replica(size=60) as server:
        yield server
