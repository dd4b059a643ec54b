"""A loopback HTTP server that answers like the outlet's mediaOn site.

Stdlib only (``http.server.ThreadingHTTPServer``): tests start a :class:`Replica`
on a free port, the CLI calls :func:`serve`.  Routes, status codes and headers
follow ``shared/outlet/CMS.md``, including its quirks (soft-404 with HTTP 200,
list pages past the end answering the last page).  Articles carry
``Last-Modified`` and ``ETag`` and honour conditional requests, so incremental
crawls can be tested; ``POST /_replica/generation?g=N`` advances the content.
With ``faults=True`` (``newsarc replica --faults``) it also misbehaves on purpose, always
the same way: see :mod:`newsarc.replica.faults`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw

from newsarc.replica import faults, redesign, render
from newsarc.replica.content import DEFAULT_SKIN, Article, Site, build_site

HTML = "text/html; charset=utf-8"
XML = "text/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
BANNER_TARGET = "https://ads.example.invalid/banner/{no}"

_PHOTO = re.compile(r"^/data/photos/\d{8}/art_\d+_[0-9a-f]+\.jpg$")
_THUMB = re.compile(r"^/data/cache/public/photos/(\d{8}/art_\d+_[0-9a-f]+)_v150\.jpg$")
_BANNER_IMG = re.compile(r"^/data/banner/bn_(\d{1,4})\.jpg$")
_SECTION_RSS = re.compile(r"^/data/rss/section_(\d{2})\.xml$")

CSS = """body{margin:0;font-family:'Malgun Gothic',sans-serif;color:#222}
#wrap{width:1200px;margin:0 auto}#container{display:flex;gap:30px}
#content{flex:1}#aside{width:300px}.art_top h2{font-size:32px}
.photo_center img,figure.photo img{max-width:100%}.ad_box{margin:20px 0}
#footer{border-top:1px solid #ccc;font-size:12px;color:#666}
"""
JS = """function photoZoom(src){window.open(src,'zoom','width=800,height=600');}
"""


@dataclass
class Response:
    """What a route answers; the handler turns it into status, headers and body."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    compress: bool = True  # gzip for clients that ask (off for raw bodies of faults)
    action: str | None = None  # faults: "stall" before answering, "cut" mid-body


def _color(key: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return digest[0], digest[1], digest[2]


@lru_cache(maxsize=4096)
def jpeg(key: str, width: int, height: int) -> bytes:
    """A small real JPEG whose colours are a function of `key` (so a path always looks alike)."""
    base = _color(key)
    img = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(img)
    accent = tuple(255 - c for c in base)
    draw.rectangle((width // 8, height // 6, width * 5 // 8, height * 5 // 6), fill=accent)
    draw.ellipse((width // 2, height // 4, width * 7 // 8, height * 3 // 4), fill=_color(key[::-1]))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


@lru_cache(maxsize=1)
def logo_png() -> bytes:
    """The outlet logo: a small real PNG."""
    img = Image.new("RGB", (240, 60), (12, 52, 120))
    ImageDraw.Draw(img).rectangle((8, 8, 52, 52), fill=(230, 60, 40))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _article_id(site: Site, raw: str | None) -> Article | None:
    """The live article a `no` parameter names, or None (then the soft-404 answers)."""
    try:
        return site.articles.get(int((raw or "").strip()))
    except ValueError:
        return None


def http_date(dt: datetime) -> str:
    """RFC 7231 date (GMT) of an aware datetime."""
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def _not_modified(headers: dict[str, str], etag: str, modified: datetime) -> bool:
    """If-None-Match wins over If-Modified-Since, as RFC 7232 says."""
    inm = headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("if-modified-since")
    if not ims:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def article_etag(art: Article, view: str) -> str:
    """Validator of one view of an article, from its content only.

    The page around the article (most-read sidebar, weather) changes with every
    generation; an unchanged article must still answer 304 to If-None-Match.
    """
    digest = hashlib.sha1(f"{view}|{art!r}".encode()).hexdigest()[:16]
    return f'"{art.id}-{digest}"'


def article_response(site: Site, query: dict[str, list[str]], headers: dict[str, str],
                     view: str, page: Callable[[Site, Article], str]) -> Response:
    """An article view with validators, or the soft-404 stub for a bad or missing number."""
    art = _article_id(site, _param(query, "no"))
    if art is None:
        return Response(200, render.soft_404().encode("utf-8"))
    skin = site.skin_of(art)
    etag = article_etag(art, view if skin == DEFAULT_SKIN else f"{view}:{skin}")
    validators = {"Last-Modified": http_date(art.last_modified), "ETag": etag}
    if _not_modified(headers, etag, art.last_modified):
        return Response(304, headers=validators)
    return Response(200, page(site, art).encode("utf-8"), HTML, validators)


def _html(text: str) -> Response:
    return Response(200, text.encode("utf-8"))


def route(site: Site, target: str, headers: dict[str, str], base: str) -> Response:
    """Answer one GET for `target` (path and query) against `site`."""
    parts = urlsplit(target)
    path = parts.path
    query = parse_qs(parts.query, keep_blank_values=True)
    page = _param(query, "page")
    if path in ("/", "/index.html"):
        return _html(render.home_page(site))
    if path == "/robots.txt":
        return Response(200, render.robots_txt().encode("utf-8"), TEXT)
    if path == "/news/article.html":
        return article_response(site, query, headers, "desktop",
                                lambda s, a: render.article_page(s, a, base))
    if path == "/mobile/article.html":
        return article_response(site, query, headers, "mobile",
                                lambda s, a: render.mobile_article_page(s, a, base))
    if path == "/news/article_print.html":
        return article_response(site, query, headers, "print",
                                lambda s, a: render.print_page(s, a, base))
    if path == "/news/article_list_all.html":
        return _html(render.list_all_page(site, page))
    if path == "/news/section_list_all.html":
        return _html(render.section_list_page(site, _param(query, "sec_no") or "", page))
    if path == "/news/section.html":
        return _html(render.section_front(site, _param(query, "sec_no") or ""))
    if path == "/news/article_list_writer.html":
        return _html(render.writer_list_page(site, _param(query, "name") or "", page))
    if path == "/news/search_result.html":
        return _html(render.search_page(site, _param(query, "search") or "", page))
    if path.startswith("/member/"):
        return _html(render.login_page(site))
    return _static(site, path, query, base)


def _static(site: Site, path: str, query: dict[str, list[str]], base: str) -> Response:
    """Feeds, images, skin files and the banner redirect; anything else is a 404 page."""
    if path == "/data/rss/news.xml":
        return Response(200, render.rss(site, None, base).encode("utf-8"), XML)
    match = _SECTION_RSS.match(path)
    if match and 1 <= int(match.group(1)) <= len(site.sections):
        sec_no = site.sections[int(match.group(1)) - 1].no
        return Response(200, render.rss(site, sec_no, base).encode("utf-8"), XML)
    if _PHOTO.match(path) and path in site.photo_paths():
        return Response(200, jpeg(path, 640, 400), "image/jpeg")
    match = _THUMB.match(path)
    if match and f"/data/photos/{match.group(1)}.jpg" in site.photo_paths():
        return Response(200, jpeg(f"/data/photos/{match.group(1)}.jpg", 150, 94), "image/jpeg")
    match = _BANNER_IMG.match(path)
    if match:
        return Response(200, jpeg(path, 300, 100), "image/jpeg")
    if path == render.LOGO:
        return Response(200, logo_png(), "image/png")
    if path in (render.STYLESHEET, redesign.STYLESHEET):
        return Response(200, CSS.encode("utf-8"), "text/css; charset=utf-8")
    if path in (render.SCRIPT, render.ADS_SCRIPT, redesign.SCRIPT):
        return Response(200, JS.encode("utf-8"), "application/javascript; charset=utf-8")
    if path == "/news/banner_click.php":
        no = (_param(query, "no") or "0").strip()
        no = no if no.isdigit() else "0"
        return Response(302, b"", HTML, {"Location": BANNER_TARGET.format(no=no)})
    return Response(404, render.not_found_page(site).encode("utf-8"))


def fault_response(site: Site, fault: str, target: str, headers: dict[str, str],
                   base: str) -> Response:
    """The answer to a request that meets `fault` (see :mod:`newsarc.replica.faults`)."""
    key = faults.target_key(target)
    status = {faults.HTTP_500: 500, faults.HTTP_500_PERMANENT: 500, faults.HTTP_502: 502,
              faults.HTTP_503: 503, faults.HTTP_429: 429}.get(fault)
    if status is not None:
        retry = {"Retry-After": faults.RETRY_AFTER} if status in (503, 429) else {}
        page = f"<html><body><h1>{status}</h1></body></html>\n".encode()
        return Response(status, page, HTML, retry)
    if fault == faults.REDIRECT_LOOP:
        return Response(302, b"", HTML, {"Location": faults.loop_location(key)})
    if fault == faults.HUGE_PAGE:
        return Response(200, faults.huge_page(), HTML, compress=False)
    if fault == faults.GZIP_BOMB:
        return Response(200, faults.gzip_bomb(), HTML, {"Content-Encoding": "gzip"},
                        compress=False)
    if fault == faults.EMPTY:
        return Response(200, b"", HTML)
    if fault == faults.BINARY:
        return Response(200, faults.binary_body(key), "text/html")
    resp = route(site, target, headers, base)
    if resp.status != 200:
        return resp
    if fault in (faults.CUT, faults.STALL):
        resp.action = "cut" if fault == faults.CUT else "stall"
    elif fault in (faults.CHARSET_HEADER, faults.CHARSET_META, faults.CHARSET_NONE):
        resp.body, resp.content_type = faults.to_cp949(resp.body.decode("utf-8"), fault)
    elif fault in (faults.UNCLOSED, faults.NESTED_BODY):
        resp.body = faults.break_html(resp.body.decode("utf-8"), fault).encode("utf-8")
    return resp


def faulty_route(site: Site, target: str, headers: dict[str, str], base: str,
                 count: int) -> Response:
    """:func:`route` in faults mode: the `count`-th request of `target` may meet a fault."""
    fault = faults.fault_at(site, target, count)
    if fault is not None:
        return fault_response(site, fault, target, headers, base)
    resp = route(site, target, headers, base)
    if urlsplit(target).path in ("/", "/index.html") and resp.status == 200:
        html = resp.body.decode("utf-8")
        resp.body = html.replace("</body>", faults.home_links(site) + "</body>", 1).encode()
    return resp


def planted_route(site: Site, target: str, headers: dict[str, str], base: str,
                  planted: tuple[int, ...]) -> Response | None:
    """A hostile page's links to far article numbers (tests of gap probing): the oldest
    article links to each number in ``planted``, and each answers with an article, as a
    CMS that serves any number would; None for every other target (the usual answer)."""
    parts = urlsplit(target)
    if parts.path != "/news/article.html":
        return None
    raw = (_param(parse_qs(parts.query), "no") or "").strip()
    number = int(raw) if raw.isdigit() else None
    carrier = site.articles[min(site.articles)]
    if number in planted:
        return _html(render.article_page(site, replace(carrier, id=number), base))
    if number != carrier.id:
        return None
    resp = route(site, target, headers, base)
    if resp.status == 200:
        links = "".join(f'<a href="/news/article.html?no={n}">.</a>' for n in planted)
        resp.body = resp.body.replace(b"</body>", links.encode() + b"</body>", 1)
    return resp


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], replica: Replica) -> None:
        self.replica = replica
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Turns requests into :func:`route` calls; keep-alive with Content-Length everywhere."""

    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    wbufsize = -1  # buffered: small responses leave in one segment
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout, a size cap)

    def finish(self) -> None:
        try:
            super().finish()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        if self.server.replica.verbose:
            super().log_message(format, *args)

    def _base(self) -> str:
        host = self.headers.get("Host")
        if not host:
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        return f"http://{host}"

    def _send(self, resp: Response, head: bool = False) -> None:
        body = resp.body
        if resp.action == "stall":
            time.sleep(self.server.replica.stall)
        self.send_response(resp.status)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if resp.content_type.startswith(("text/", "application/xml")):
            # Like the CMS's PHP: a session cookie and a visit cookie (a multi-valued
            # header), and gzip for clients that ask, as the live site's server does.
            self.send_header("Set-Cookie", "PHPSESSID=replica0session; path=/")
            self.send_header("Set-Cookie", "mediaon_visit=1; path=/; HttpOnly")
            self.send_header("Vary", "Accept-Encoding")
            if resp.compress and body and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = gzip.compress(body, mtime=0)
                self.send_header("Content-Encoding", "gzip")
        resp = Response(resp.status, body, resp.content_type, resp.headers, action=resp.action)
        self.send_header("Content-Length", "0" if resp.status == 304 else str(len(resp.body)))
        self.end_headers()
        if resp.action == "cut":
            self._cut(resp.body[: len(resp.body) // 2])
        elif not head and resp.status != 304:
            self.wfile.write(resp.body)

    def _cut(self, part: bytes) -> None:
        """Half the promised body, then the connection closes: a server dying mid-answer."""
        self.wfile.write(part)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _answer(self, head: bool) -> None:
        replica = self.server.replica
        replica._log(self.path)
        if replica.latency:
            time.sleep(replica.latency)  # a server far away, or slow to render
        headers = {k.lower(): v for k, v in self.headers.items()}
        if replica.ignore_conditional:
            headers.pop("if-none-match", None)
            headers.pop("if-modified-since", None)
        site = replica.site
        try:
            if replica.faults:
                resp = faulty_route(site, self.path, headers, self._base(),
                                    replica._count(self.path))
            else:
                resp = route(site, self.path, headers, self._base())
            if replica.planted:
                resp = planted_route(site, self.path, headers, self._base(),
                                     replica.planted) or resp
        except Exception as exc:  # a replica bug must not hang the crawler under test
            resp = Response(500, f"replica error: {exc!r}".encode(), TEXT)
        try:
            self._send(resp, head)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout, a size cap): nothing left to answer.
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        if parts.path != "/_replica/generation":
            self._answer(head=False)
            return
        self.server.replica._log(self.path)
        raw = _param(parse_qs(parts.query), "g") or ""
        if not raw.isdigit():
            self._send(Response(400, b"g must be a non-negative integer\n", TEXT))
            return
        self.server.replica.set_generation(int(raw))
        self._send(Response(200, f"generation {int(raw)}\n".encode(), TEXT))


class Replica:
    """The replica site on a loopback port, served from a daemon thread.

    Use as a context manager: ``with Replica(size=60) as r: urlopen(r.url + "/")``.
    """

    def __init__(self, site: Site | None = None, host: str = "127.0.0.1", port: int = 0,
                 generation: int = 0, size: int = 240, verbose: bool = False,
                 faults: bool = False, stall: float = 5.0, latency: float = 0.0,
                 skin: str = DEFAULT_SKIN, skin_newest: int | None = None,
                 planted: tuple[int, ...] = (), ignore_conditional: bool = False) -> None:
        self.site: Site = site if site is not None else build_site(
            size, generation, skin=skin, skin_newest=skin_newest)
        self.size = self.site.size
        self.seed = self.site.seed
        self.host = host
        self.port = port
        self.verbose = verbose
        self.url = ""
        self.request_log: list[str] = []
        self.faults = faults
        self.planted = planted  # far article numbers a page links to (planted_route)
        # Answer conditional requests in full, as many servers and CDNs do.
        self.ignore_conditional = ignore_conditional
        self.stall = stall  # seconds a stalled answer waits (faults mode)
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self.latency = latency  # seconds added before every answer (politeness benchmark)
        self.request_counts: Counter[str] = Counter()  # per faults.target_key
        self.request_times: dict[str, list[float]] = {}  # monotonic, per target_key
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _log(self, target: str) -> None:
        with self._lock:
            self.request_log.append(target)

    def _count(self, target: str) -> int:
        """How many times `target` was requested, this one included (faults are keyed on it)."""
        key = faults.target_key(target)
        with self._lock:
            self.request_counts[key] += 1
            self.request_times.setdefault(key, []).append(time.monotonic())
            return self.request_counts[key]

    def set_generation(self, g: int) -> None:
        """Swap in the site as it is `g` updates later; one attribute rebind, so atomic."""
        site = build_site(self.size, g, self.seed, self.site.skin, self.site.skin_newest)
        self.site = site

    def start(self) -> Replica:
        """Bind (port 0 = any free port) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="newsarc-replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(host: str = "127.0.0.1", port: int = 8000, size: int = 240, generation: int = 0,
          verbose: bool = False, faults: bool = False, latency: float = 0.0,
          skin: str = DEFAULT_SKIN, skin_newest: int | None = None) -> None:
    """Serve the replica until Ctrl-C (for the CLI and for manual browsing)."""
    if threading.current_thread() is threading.main_thread():
        # A shell's background job starts with SIGINT ignored; Ctrl-C and kill must still work.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
    replica = Replica(host=host, port=port, size=size, generation=generation, verbose=verbose,
                      faults=faults, latency=latency, skin=skin, skin_newest=skin_newest)
    replica.start()
    site = replica.site
    mode = (", with faults" if faults else "") + (
        f", {latency * 1000:.0f} ms latency" if latency else "")
    if skin != DEFAULT_SKIN:
        mode += f", {skin} skin" + (f" on the newest {skin_newest} articles and later ones"
                                    if skin_newest else "")
    print(f"replica of {site.name}: {len(site.articles)} articles, generation {generation}"
          f"{mode}, serving {replica.url}/ (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()
