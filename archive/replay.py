"""Replay: pywb over an archive, collection ``archive``, bound to loopback by default.

``http://HOST:PORT/archive/<url>`` replays the latest capture of a URL and
``/archive/<14-digit timestamp>/<url>`` the one nearest that time, as pywb does.

Replay only reads the archive (it may be read-only, or another user's): the crawl and
merge keep ``indexes/index.cdxj`` up to date, and when it is missing or behind the WARC
files, replay indexes them into a scratch folder of its own for the session and says so.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from archive.index import INDEX_DIR, index_path, indexed_files, write_cdx_index
from archive.warc import WARC_DIR, warc_dir, warc_files

COLLECTION = "archive"


def pywb_config(archive: Path, indexes: Path | None = None) -> dict[str, Any]:
    """pywb settings for one archive: its WARC directory and its sorted CDXJ index (in
    ``indexes``, by default the archive's own)."""
    return {
        "collections": {
            COLLECTION: {
                "index_paths": str((indexes or archive / INDEX_DIR).resolve()) + "/",
                "archive_paths": str(warc_dir(archive).resolve()) + "/",
            }
        },
        "framed_replay": False,
        "enable_memento": True,
    }


def replay_app(archive: Path) -> Any:
    """The pywb WSGI application serving ``archive``, which it does not write."""
    if not warc_dir(archive).is_dir():
        raise ValueError(f"{archive} holds no WARC files (no {warc_dir(archive).name}/ folder)")
    files = warc_files(archive)
    if not files:
        raise ValueError(f"{archive} has no finished WARC file to replay")
    from pywb.apps.frontendapp import FrontEndApp

    scratch = Path(tempfile.mkdtemp(prefix="newsarc-replay-"))
    indexes = None
    unindexed = {p.name for p in files} - indexed_files(archive)
    if unindexed or not index_path(archive).exists():
        indexes = scratch / INDEX_DIR
        indexes.mkdir()
        write_cdx_index(str(indexes / index_path(archive).name), [str(p) for p in files],
                        {"sort": True, "dir_root": str(archive / WARC_DIR)})
        print(f"newsarc replay: {index_path(archive)} is missing or lacks "
              f"{len(unindexed) or len(files)} WARC file(s); indexed them for this session "
              "(the next crawl or `newsarc merge` updates it)", file=sys.stderr, flush=True)
    config = scratch / "config.yaml"
    config.write_text(yaml.safe_dump(pywb_config(archive, indexes)), encoding="utf-8")
    return FrontEndApp(config_file=str(config))


def serve(archive: Path, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the archive with pywb until interrupted (gevent's WSGI server, as pywb's own)."""
    from gevent.pywsgi import WSGIServer

    app = replay_app(archive)
    server = WSGIServer((host, port), app, log=None)
    print(f"replaying {archive} at http://{host}:{server.server_port if port else port}"
          f"/{COLLECTION}/<url>", flush=True)
    server.serve_forever()
