import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsarc.replica.server import Replica

REPO = Path(__file__).resolve().parents[1]
NEWSARC = str(Path(sys.executable).with_name("newsarc"))


# A child's peak RSS counts the copy of its parent it starts as (exec keeps the high-water
# mark), and this test process grows large: peaks are measured from a small Python parent.
_PEAK_PARENT = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
                "open(sys.argv[1], 'w').write(str(resource.getrusage("
                "resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)")


def run_measured(args: list[str], peak_file: Path, timeout: float,
                 **popen) -> tuple[int, int]:
    """Exit code and peak RSS (kB) of ``args``, killed (with its parent) after ``timeout``."""
    process = subprocess.Popen([sys.executable, "-c", _PEAK_PARENT, str(peak_file), *args],
                               start_new_session=True, **popen)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        code = process.wait()
    peak = int(peak_file.read_text()) if peak_file.exists() else 0
    return code, peak


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


@pytest.fixture(scope="module")
def archive(replica, tmp_path_factory):
    """A crawl of the replica with WARC files small enough to rotate (300 kB)."""
    out = tmp_path_factory.mktemp("archive")
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 "-s", "NEWSARC_WARC_MAX_SIZE=300000")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(*command: str, port: int, timeout: float = 60):
    """Run a server command until the block ends; wait until it answers on ``port``."""
    process = subprocess.Popen(list(command), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def usage_error(command: str, *args: str) -> str:
    """Run ``newsarc COMMAND ARGS`` expecting bad input: exit 2 and one line on stderr
    naming the problem; return that line."""
    result = run(NEWSARC, command, *args)
    assert result.returncode == 2, result.stdout.decode() + result.stderr.decode()
    message = result.stderr.decode()
    assert message.count("\n") == 1 and message.startswith(f"newsarc {command}: "), message
    return message
