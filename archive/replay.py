"""Replay: pywb over an archive, collection ``archive``, bound to loopback by default.

``http://HOST:PORT/archive/<url>`` replays the latest capture of a URL and
``/archive/<14-digit timestamp>/<url>`` the one nearest that time, as pywb does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from archive.index import INDEX_DIR, index_path, update_index
from archive.warc import warc_dir

COLLECTION = "archive"


def pywb_config(archive: Path) -> dict[str, Any]:
    """pywb settings for one archive: its WARC directory and its sorted CDXJ index."""
    return {
        "collections": {
            COLLECTION: {
                "index_paths": str((archive / INDEX_DIR).resolve()) + "/",
                "archive_paths": str(warc_dir(archive).resolve()) + "/",
            }
        },
        "framed_replay": False,
        "enable_memento": True,
    }


def replay_app(archive: Path) -> Any:
    """The pywb WSGI application serving ``archive`` (its index brought up to date first)."""
    if not warc_dir(archive).is_dir():
        raise ValueError(f"{archive} holds no WARC files (no {warc_dir(archive).name}/ folder)")
    update_index(archive)
    if not index_path(archive).exists():
        raise ValueError(f"{archive} has no finished WARC file to replay")
    from pywb.apps.frontendapp import FrontEndApp

    scratch = Path(tempfile.mkdtemp(prefix="newsarc-replay-"))
    config = scratch / "config.yaml"
    config.write_text(yaml.safe_dump(pywb_config(archive)), encoding="utf-8")
    return FrontEndApp(config_file=str(config))


def serve(archive: Path, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the archive with pywb until interrupted (gevent's WSGI server, as pywb's own)."""
    from gevent.pywsgi import WSGIServer

    app = replay_app(archive)
    server = WSGIServer((host, port), app, log=None)
    print(f"replaying {archive} at http://{host}:{server.server_port if port else port}"
          f"/{COLLECTION}/<url>", flush=True)
    server.serve_forever()
