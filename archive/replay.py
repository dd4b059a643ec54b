"""Replay: pywb over an archive, collection ``archive``, bound to loopback by default.

``http://HOST:PORT/archive/<url>`` replays the latest capture of a URL and
``/archive/<14-digit timestamp>/<url>`` the one nearest that time, as pywb does.

Replay only reads the archive (it may be read-only, or another user's): the crawl and
merge keep ``indexes/index.cdxj`` up to date, and when it is missing or behind the WARC
files, replay indexes them into a scratch folder of its own for the session and says so.

A site may name one page under many URLs (extra query parameters, a mobile or print path)
while the archive holds it under one.  pywb's default fuzzy matching answers such a link
with whatever capture of the same path comes first: another page.  ``AliasRule`` describes
one such family of URLs (the caller supplies it: this package knows no site); with it, a
link replays its own capture when there is one, else redirects to the canonical capture
(``AliasRedirect``), else goes to pywb with fuzzy rules that only take a capture whose key
has the same value (``fuzzy_rules``), else is pywb's not-found: never another page.

A recheck that the server answers ``304 Not Modified`` is archived as it was received, a
revisit record of profile server-not-modified holding the 304's status and headers.
pywb replays a revisit whose status is a 3xx as that status with no body, so the newest
capture of an unchanged page would replay as an empty 304.  ``replay_app`` has pywb replay
such a revisit as an HTTP cache would answer after that 304: the original capture's
status and payload with its headers freshened by the 304's (``freshened_headers``), dated
at the revisit.  The records and the index stay as they are.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import yaml

from archive.index import INDEX_DIR, index_path, indexed_files, write_cdx_index
from archive.warc import WARC_DIR, warc_dir, warc_files

COLLECTION = "archive"
RULES_NAME = "rules.yaml"
# /archive/[TIMESTAMP[MODIFIER]/]URL, as pywb routes a replay request.
_REPLAY_PATH = re.compile(r"^/(?P<coll>[^/]+)/(?:(?P<ts>[0-9]{1,14})(?P<mod>[a-z]{2}_)?/)?"
                          r"(?P<url>(?:https?:/+)?[^/].*)$")


@dataclass(frozen=True)
class AliasRule:
    """URLs that name one page by one query parameter, whatever else they carry.

    ``canonical_path`` is the path the archive records the page under
    (``?KEY=VALUE`` and nothing else); ``alias_paths`` are other paths of the same site
    naming the same page by the same parameter (a mobile view, a print view).  A link
    with extra parameters or on an alias path replays the capture whose ``key`` has the
    same value, never another page's.  ``value_pattern`` is what a value looks like (a
    regular expression matching no more than the characters it names literally).
    """

    canonical_path: str
    key: str
    alias_paths: frozenset[str] = frozenset()
    value_pattern: str = "[0-9]+"

    def paths(self) -> list[str]:
        """The canonical path, then the alias paths in a stable order."""
        return [self.canonical_path, *sorted(self.alias_paths - {self.canonical_path})]

    def value(self, url: str) -> str | None:
        """The key's value when ``url`` is on one of the rule's paths, else None."""
        parts = urlsplit(url)
        if parts.path not in self.paths():
            return None
        values = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == self.key]
        if not values or not re.fullmatch(self.value_pattern, values[0]):
            return None
        return values[0]

    def canonical_url(self, url: str, value: str) -> str:
        """The URL the page is recorded under, on ``url``'s site."""
        parts = urlsplit(url)
        return (f"{parts.scheme}://{parts.netloc}{self.canonical_path}?"
                f"{urlencode({self.key: value})}")


def _surt_path(path: str) -> str:
    """``)PATH`` as it stands in a CDXJ key (SURT keys are lower case), as a regex."""
    return r"^[^/?]*" + re.escape(")" + path.lower())


def fuzzy_rules(rules: Iterable[AliasRule]) -> list[dict[str, Any]]:
    """pywb ``fuzzy_lookup`` rules for ``rules``, to go before pywb's own.

    For each path, two rules.  A URL with the key: look up the captures of the same host
    and path (pywb's prefix query) and keep only those whose key has exactly that value
    (a regex filter on the CDXJ key: ``no=5`` must not take ``no=50``).  A URL of the path
    without a usable key: a filter nothing passes, so pywb answers not-found instead of
    its default, which takes any capture of the path.
    """
    entries: list[dict[str, Any]] = []
    for rule in rules:
        key = re.escape(rule.key.lower())
        for path in rule.paths():
            entries.append({"url_prefix": "", "fuzzy_lookup": {
                "match": f"{_surt_path(path)}\\?(?:.*&)?{key}=({rule.value_pattern})(?:&|$)",
                "filter": [f"~urlkey:[^?]*\\?(?:.*&)?{key}={{0}}(?:&|$)"]}})
            entries.append({"url_prefix": "", "fuzzy_lookup": {
                "match": f"{_surt_path(path)}(?:\\?|$)()", "filter": ["~urlkey:(?!){0}"]}})
    return entries


def rules_config(rules: Iterable[AliasRule]) -> dict[str, Any]:
    """pywb's default rules file with the fuzzy rules of ``rules`` first.

    pywb reads one rules file for fuzzy matching and for content rewriting, and takes the
    first rule that matches: ours go before its defaults, which stay as they are.
    """
    from pywb import DEFAULT_RULES_FILE
    from pywb.utils.loaders import load_yaml_config

    config = load_yaml_config(DEFAULT_RULES_FILE)
    config["rules"] = fuzzy_rules(rules) + list(config.get("rules") or [])
    return config


def pywb_config(archive: Path, indexes: Path | None = None,
                rules_file: Path | None = None) -> dict[str, Any]:
    """pywb settings for one archive: its WARC directory and its sorted CDXJ index (in
    ``indexes``, by default the archive's own), and a rules file when given."""
    config: dict[str, Any] = {
        "collections": {
            COLLECTION: {
                "index_paths": str((indexes or archive / INDEX_DIR).resolve()) + "/",
                "archive_paths": str(warc_dir(archive).resolve()) + "/",
            }
        },
        "framed_replay": False,
        "enable_memento": True,
    }
    if rules_file is not None:
        config["rules_file"] = str(rules_file.resolve())
    return config


class AliasRedirect:
    """WSGI layer before pywb: a link to a page in another form than the one captured
    (extra parameters, a mobile or print path) is redirected to the canonical capture.

    The form asked for is replayed as itself when it has a capture of its own (an imported
    crawl holds mobile and print pages); else, when the canonical URL has one, a redirect
    to it, the capture nearest the time asked for (pywb's fuzzy matching would give the
    oldest); else pywb answers, with the fuzzy rules above, never another page.
    """

    def __init__(self, app: Any, rules: Sequence[AliasRule],
                 captured: Callable[[str, str | None], str | None]) -> None:
        self.app = app
        self.rules = list(rules)
        self.captured = captured  # (url, timestamp or None) -> nearest capture's timestamp

    def _redirect(self, environ: dict[str, Any]) -> str | None:
        """Where to send a replay request for a page in a form never captured, or None."""
        match = _REPLAY_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or match["coll"] != COLLECTION:
            return None
        url = re.sub(r"^(https?):/+", r"\1://", match["url"])
        if not url.startswith(("http://", "https://")):
            url = "http://" + url  # pywb's reading of a URL without a scheme
        if environ.get("QUERY_STRING"):
            url += "?" + environ["QUERY_STRING"]
        for rule in self.rules:
            value = rule.value(url)
            if value is None:
                continue
            canonical = rule.canonical_url(url, value)
            if url == canonical or self.captured(url, match["ts"]) is not None:
                return None
            stamp = self.captured(canonical, match["ts"])
            if stamp is None:
                return None
            return (f"{environ.get('SCRIPT_NAME', '')}/{COLLECTION}/{stamp}"
                    f"{match['mod'] or ''}/{quote(canonical, safe=':/?=&%')}")
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = self._redirect(environ)
        if target is None:
            return self.app(environ, start_response)
        start_response("302 Found", [("Location", target), ("Content-Length", "0")])
        return [b""]


# Fields a 304 does not update in the stored response: they describe its bytes (Content-*)
# or one connection (RFC 9111 3.2 and 7.6.1).
_NOT_FRESHENED = re.compile(r"^(?:content-.*|transfer-encoding|connection|keep-alive|te|"
                            r"trailer|upgrade|proxy-.*)$", re.IGNORECASE)


def freshened_headers(stored: Sequence[tuple[str, str]],
                      not_modified: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a stored response updated by a ``304 Not Modified`` to a request
    that revalidated it, as an HTTP cache does (RFC 9111 4.3.4): each field the 304 sends
    replaces every value of that field, in place; fields describing the payload or the
    connection keep their stored values, since the 304 carried no payload.

    This is what the server's answer meant at the time of the 304 (its ``Date``, its
    current ``ETag``), so a capture replayed at that time carries it.
    """
    updates: dict[str, list[tuple[str, str]]] = {}
    for name, value in not_modified:
        if not _NOT_FRESHENED.match(name):
            updates.setdefault(name.lower(), []).append((name, value))
    merged: list[tuple[str, str]] = []
    for name, value in stored:
        key = name.lower()
        if key not in updates:
            merged.append((name, value))
        elif updates[key]:  # the 304's values go where the field's first value stood
            merged += updates[key]
            updates[key] = []
    return merged + [field for fields in updates.values() for field in fields]


def resolve_not_modified(app: Any) -> None:
    """Make ``app`` (pywb's ``FrontEndApp``) replay a server-not-modified revisit as the
    page it says was unchanged, not as pywb's empty 304.

    pywb exposes no setting for this: its ``ResolvingLoader`` replays any revisit whose
    status is a 3xx with the revisit's own headers and no payload.  A subclass loads the
    original the revisit refers to instead (pywb's own lookup: the capture of
    ``WARC-Refers-To-Target-URI`` closest to ``WARC-Refers-To-Date`` with the same payload
    digest, not a revisit; by URL and time alone when the digest is that of the 304's
    empty payload, as other tools write it), and answers with the original's status and
    payload and the freshened headers; pywb dates the answer at the revisit
    (``Memento-Datetime``).  When no original is found, pywb goes on to the next closest
    capture, as for any capture it cannot load.  The subclass replaces the loader
    of the collection's WARC loaders, the one place touching pywb's internals; raises
    ``RuntimeError`` when pywb no longer has them (tested: a pywb upgrade fails a test).
    """
    from pywb.utils.io import no_except_close
    from pywb.warcserver.resource.resolvingloader import ResolvingLoader
    from pywb.warcserver.resource.responseloader import WARCPathLoader
    from warcio.recordloader import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeaders

    class NotModifiedLoader(ResolvingLoader):
        def load_headers_and_payload(self, cdx: Any, failed_files: Any,
                                     cdx_loader: Any) -> tuple[Any, Any]:
            headers, payload = super().load_headers_and_payload(cdx, failed_files, cdx_loader)
            if (headers is None or payload is not headers or headers.rec_type != "revisit"
                    or not headers.http_headers
                    or headers.http_headers.get_statuscode() != "304"):
                return headers, payload
            # A 304's own empty payload names no original: look it up by URL and time alone.
            digest = cdx.get("digest") or "-"
            empty = digest.rsplit(":", 1)[-1] == self.EMPTY_DIGEST  # "sha1:" or not
            lookup = {**cdx, "digest": "-"} if empty else cdx
            try:
                original = self._load_different_url_payload(lookup, headers, failed_files,
                                                             cdx_loader)
                if original is headers or not original.http_headers:
                    raise ArchiveLoadFailed(self.MISSING_REVISIT_MSG)
            except Exception:
                no_except_close(headers.raw_stream)
                raise
            stored = original.http_headers
            headers.http_headers = StatusAndHeaders(
                stored.statusline,
                freshened_headers(stored.headers, headers.http_headers.headers),
                protocol=stored.protocol)
            return headers, original

    handler = getattr(getattr(app, "warcserver", None), "fixed_routes", {}).get(COLLECTION)
    loaders = [loader for loader in getattr(handler, "resource_loaders", [])
               if isinstance(loader, WARCPathLoader)
               and isinstance(getattr(loader, "resolve_loader", None), ResolvingLoader)]
    if not loaders:
        raise RuntimeError("this pywb has no WARCPathLoader.resolve_loader for collection "
                           f"{COLLECTION!r}: archive/replay.py resolve_not_modified needs "
                           "updating for it")
    for loader in loaders:
        old = loader.resolve_loader
        loader.resolve_loader = NotModifiedLoader(old.path_resolvers, old.record_loader,
                                                  old.no_record_parse)


class _Discard:
    """A log that keeps nothing (gevent's server writes its request log to ``.log``)."""

    def write(self, text: str) -> None:
        pass


def _capture_lookup(app: Any) -> Callable[[str, str | None], str | None]:
    """Ask pywb's own index server, in process, for the capture nearest a time (the latest
    without one): the same index, the same URL canonicalisation as replay, no fuzzing."""
    from werkzeug.test import EnvironBuilder

    def captured(url: str, stamp: str | None) -> str | None:
        query = {"url": url, "output": "json", "limit": "1", "allowFuzzy": "0"}
        query.update({"closest": stamp, "sort": "closest"} if stamp else {"sort": "reverse"})
        environ = EnvironBuilder(path=f"/{COLLECTION}/index", query_string=query).get_environ()
        status: list[str] = []
        lines = b"".join(app.warcserver(environ, lambda s, h, e=None: status.append(s)))
        if not status or not status[0].startswith("200") or not lines.strip():
            return None
        return json.loads(lines.splitlines()[0])["timestamp"]

    return captured


def replay_app(archive: Path, rules: Sequence[AliasRule] = ()) -> Any:
    """The pywb WSGI application serving ``archive``, which it does not write; with
    ``rules``, links in any of their forms replay the page they name (``AliasRule``)."""
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
    rules_file = None
    if rules:
        rules_file = scratch / RULES_NAME
        rules_file.write_text(yaml.safe_dump(rules_config(rules), allow_unicode=True),
                              encoding="utf-8")
    config = scratch / "config.yaml"
    config.write_text(yaml.safe_dump(pywb_config(archive, indexes, rules_file)),
                      encoding="utf-8")
    app = FrontEndApp(config_file=str(config))
    resolve_not_modified(app)
    # pywb's inner index server logs every lookup to stderr, as `serve` does not its own.
    inner = getattr(getattr(app, "warcserver_server", None), "server", None)
    if inner is not None:
        inner.log = _Discard()
    if not rules:
        return app
    return AliasRedirect(app, rules, _capture_lookup(app))


def serve(archive: Path, host: str = "127.0.0.1", port: int = 8080,
          rules: Sequence[AliasRule] = ()) -> None:
    """Serve the archive with pywb until interrupted (gevent's WSGI server, as pywb's own)."""
    from gevent.pywsgi import WSGIServer

    app = replay_app(archive, rules)
    server = WSGIServer((host, port), app, log=None)
    print(f"replaying {archive} at http://{host}:{server.server_port if port else port}"
          f"/{COLLECTION}/<url>", flush=True)
    server.serve_forever()
