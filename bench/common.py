"""What the benchmarks share: loopback servers to measure against, and their output."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

NEWSARC = str(Path(sys.executable).with_name("newsarc"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, seconds: float = 30) -> None:
    """Until something answers on ``port`` of loopback."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on port {port}") from None
            time.sleep(0.1)


def start_replica(size: int) -> tuple[subprocess.Popen, str]:
    """The replica in a process of its own, so its CPU is not the measured process's."""
    port = free_port()
    process = subprocess.Popen([NEWSARC, "replica", "--port", str(port), "--size", str(size)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def emit(result: str, out: Path | None) -> int:
    """Print a result table, and write it to ``out`` when asked."""
    print(result)
    if out:
        out.write_text(result + "\n", encoding="utf-8")
    return 0
