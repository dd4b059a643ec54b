"""WARC records hold each HTTP head as it crossed the wire, and WARC/1.0 files for older
readers: crawls through the real Scrapy stack against a loopback server that answers with
fixed bytes (odd casing, repeated Set-Cookie, unusual order, its own reason phrases, an
interim 103, chunked and bare-LF answers), read back by warcio, FastWARC and warctools."""

import datetime
import gzip
import json
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import Exchange, WarcWriter, payload_digest, warc_files

from .conftest import NEWSARC, REPO, run

ROBOTS_BODY = b"User-agent: *\nAllow: /\n"
ROBOTS_HEAD = (b"HTTP/1.1 200 Fine By Me\r\n"
               b"x-lower-first: 1\r\n"
               b"ETag: \"r-1\"\r\n"
               b"Set-Cookie: a=1; Path=/\r\n"
               b"content-TYPE: text/plain\r\n"
               b"Set-Cookie: b=2; Path=/\r\n"
               b"Content-Length: %d\r\n\r\n" % len(ROBOTS_BODY))
HOME_BODY = "<html><head><title>집</title></head><body>no links</body></html>".encode()
INTERIM = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
HOME_HEAD = (b"HTTP/1.1 200 Quite OK\r\n"
             b"Server: rawtest\r\n"
             b"Transfer-Encoding: chunked\r\n"
             b"Content-Type: text/html; charset=utf-8\r\n"
             b"X-Tight:value\r\n"
             b"X-Folded: first\r\n  second\r\n"
             b"set-cookie: s=1\r\n"
             b"SET-COOKIE: t=2\r\n"
             b"X-Name: " + "한국".encode() + b"\r\n\r\n")
FEED_BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
FEED_HEAD = (b"HTTP/1.1 200 OK\n"  # bare LF line ends, as some servers send
             b"Content-Type: application/rss+xml\n"
             b"Connection: keep-alive\n"
             b"Keep-Alive: timeout=5\n"
             b"Content-Length: %d\n\n" % len(FEED_BODY))
MISSING_HEAD = b"HTTP/1.1 404 Gone Fishing\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


def _chunked(body: bytes) -> bytes:
    middle = len(body) // 2
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                    for part in (body[:middle], body[middle:])) + b"0\r\n\r\n"


ANSWERS = {
    "/robots.txt": ROBOTS_HEAD + ROBOTS_BODY,
    "/": INTERIM + HOME_HEAD + _chunked(HOME_BODY),
    "/data/rss/news.xml": FEED_HEAD + FEED_BODY,
}
# What each response record must hold: the final head as sent (Transfer-Encoding renamed:
# the body is stored de-chunked), then the body.
EXPECTED = {
    "/robots.txt": (ROBOTS_HEAD, ROBOTS_BODY),
    "/": (HOME_HEAD.replace(b"Transfer-Encoding:", b"X-Archive-Orig-Transfer-Encoding:"),
          HOME_BODY),
    "/data/rss/news.xml": (FEED_HEAD, FEED_BODY),
    "/news/article_list_all.html?page=1": (MISSING_HEAD, b""),
}


class RawServer:
    """Answers each path with fixed bytes on persistent loopback connections, and keeps
    every request head as it arrived; over TLS with ``tls`` (an ``ssl.SSLContext``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[bytes] = []
        self.tls = tls
        self.sock = socket.create_server(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        if self.tls:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:
                conn.close()
                return
        self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                end = data.index(b"\r\n\r\n") + 4
                head, data = data[:end], data[end:]
                self.requests.append(head)
                path = head.split(b" ")[1].decode()
                conn.sendall(ANSWERS.get(path, MISSING_HEAD))


@pytest.fixture(scope="module")
def server():
    raw = RawServer()
    yield raw
    raw.sock.close()


def _crawl(server: RawServer, out: Path, *args: str) -> tuple[dict, list[bytes]]:
    """The run's summary and the request heads the server got during it."""
    start = len(server.requests)
    result = run(NEWSARC, "crawl", server.url, "--out", str(out), "--no-throttle",
                 "--quiet", *args)
    assert result.returncode in (0, 1), result.stderr.decode()[-3000:]  # 1: the 404 page
    [summary] = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    assert summary["pages_fetched"] == 4, summary
    return summary, server.requests[start:]


@pytest.fixture(scope="module")
def crawled(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("exact")
    return (out, *_crawl(server, out))


@pytest.fixture(scope="module")
def crawled_1_0(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("warc10")
    return (out, *_crawl(server, out, "--warc-version", "1.0"))


def _blocks(archive: Path) -> list[tuple[str, str, bytes]]:
    """(type, target URI, block bytes as stored) of every record, read unparsed."""
    return _blocks_of(archive / "warc")


def _blocks_of(directory: Path) -> list[tuple[str, str, bytes]]:
    found = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, no_record_parse=True):
                found.append((record.rec_type,
                              record.rec_headers.get_header("WARC-Target-URI") or "",
                              record.raw_stream.read()))
    return found


def _path(uri: str) -> str:
    return "/" + uri.split("://", 1)[1].split("/", 1)[1]


def test_response_records_hold_the_heads_as_received(crawled):
    archive, summary, _ = crawled
    responses = {_path(uri): block for kind, uri, block in _blocks(archive)
                 if kind == "response"}
    assert sorted(responses) == sorted(EXPECTED)
    for path, (head, body) in EXPECTED.items():
        assert responses[path] == head + body, path
    assert "response_head_rebuilt" not in summary["warc_records"]
    assert "request_head_rebuilt" not in summary["warc_records"]


def test_request_records_hold_the_bytes_sent(crawled):
    """Byte for byte what the server got: Twisted's header order and casing, its Host."""
    archive, _, received = crawled
    requests = [block for kind, _uri, block in _blocks(archive) if kind == "request"]
    assert sorted(requests) == sorted(received) and len(requests) == 4


def test_readers_parse_the_exact_heads(crawled):
    """warcio (digests checked) and FastWARC read every record, the heads' names, case,
    order and repeats as sent."""
    archive = crawled[0]
    [path] = warc_files(archive)
    heads = {}
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            record.content_stream().read()
            if record.rec_type == "response":
                uri = record.rec_headers.get_header("WARC-Target-URI")
                heads[_path(uri)] = (record.http_headers.statusline,
                                     record.http_headers.headers)
    assert heads["/"][0] == "200 Quite OK"
    assert [n for n, _ in heads["/"][1]] == [
        "Server", "X-Archive-Orig-Transfer-Encoding", "Content-Type", "X-Tight", "X-Folded",
        "set-cookie", "SET-COOKIE", "X-Name"]
    assert heads["/robots.txt"][0] == "200 Fine By Me"
    assert [v for n, v in heads["/robots.txt"][1] if n == "Set-Cookie"] == [
        "a=1; Path=/", "b=2; Path=/"]
    assert heads["/news/article_list_all.html?page=1"][0] == "404 Gone Fishing"
    checked = run(str(Path(sys.executable).with_name("warcio")), "check", str(path))
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()

    fastwarc = pytest.importorskip("fastwarc.warc")
    statuses = {}
    with path.open("rb") as handle:
        for record in fastwarc.ArchiveIterator(handle, parse_http=False):
            assert record.verify_block_digest(), record.record_id
    with path.open("rb") as handle:
        responses = fastwarc.WarcRecordType.response
        for record in fastwarc.ArchiveIterator(handle, record_types=responses):
            uri = record.headers["WARC-Target-URI"]
            if uri.endswith("/news.xml"):  # FastWARC parses no head with bare LF line ends
                continue
            assert record.verify_payload_digest(), record.record_id
            statuses[_path(uri)] = record.http_headers.status_code
    assert statuses == {"/robots.txt": 200, "/": 200, "/news/article_list_all.html?page=1": 404}


def test_without_the_handler_heads_are_rebuilt_and_counted(server, tmp_path):
    """Scrapy's own handler: the records are rebuilt from its headers, as before, and the
    run's numbers say how many."""
    handler = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
    summary, _ = _crawl(server, tmp_path, "-s",
                        "DOWNLOAD_HANDLERS=" + json.dumps({"http": handler, "https": handler}))
    assert summary["warc_records"]["response_head_rebuilt"] == 4
    assert summary["warc_records"]["request_head_rebuilt"] == 4
    responses = {_path(uri): block for kind, uri, block in _blocks(tmp_path)
                 if kind == "response"}
    assert responses["/robots.txt"].startswith(b"HTTP/1.1 200 OK\r\n")  # Scrapy's phrase
    assert b"Etag: \"r-1\"" in responses["/robots.txt"]  # Twisted's casing


_HANDLER_ALONE = """
import json, sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from crawler.rawhttp import take_wire_heads

seen = []

class One(Spider):
    name = "one"

    async def start(self):
        yield Request(sys.argv[1] + "/robots.txt")

    def parse(self, response):
        heads = take_wire_heads(response.request, response)
        seen.append({"headers": [k.decode() for k in response.headers],
                     "head": heads.response.decode(), "again": take_wire_heads(
                         response.request, response).response})

handler = "crawler.rawhttp.WireHeadsDownloadHandler"
process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
                          "ROBOTSTXT_OBEY": False, "NEWSARC_WARC": True,
                          "DOWNLOAD_HANDLERS": {"http": handler, "https": handler}})
process.crawl(One)
process.start()
print(json.dumps(seen))
"""


def _handler_alone(url: str) -> dict:
    result = subprocess.run([sys.executable, "-c", _HANDLER_ALONE, url], cwd=REPO,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    [seen] = json.loads(result.stdout.decode().splitlines()[-1])
    return seen


def test_the_handler_changes_nothing_others_see(server):
    """The response reaches the spider with Scrapy's headers only; the head is kept beside
    it, once."""
    seen = _handler_alone(server.url)
    assert sorted(seen["headers"]) == ["Content-Length", "Content-Type", "Etag", "Set-Cookie",
                                       "X-Lower-First"]
    assert seen["head"] == ROBOTS_HEAD.decode()
    assert seen["again"] is None


def _self_signed(directory: Path) -> ssl.SSLContext:
    """A TLS server context with a certificate for 127.0.0.1 made now (Scrapy does not
    check certificates by default)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


def test_the_heads_as_received_over_https(tmp_path):
    """Over TLS the heads are recorded as they came out of it (the outlets are https)."""
    server = RawServer(_self_signed(tmp_path))
    try:
        seen = _handler_alone(server.url)
    finally:
        server.sock.close()
    assert seen["head"] == ROBOTS_HEAD.decode()


# --- WARC/1.0 ---------------------------------------------------------------------------

def test_warc_1_0_files(crawled_1_0):
    archive = crawled_1_0[0]
    [path] = warc_files(archive)
    with gzip.open(path, "rb") as handle:
        text = handle.read()
    assert text.count(b"WARC/1.1\r\n") == 0 and text.count(b"WARC/1.0\r\n") == 9
    assert b"format: WARC File Format 1.0\r\n" in text
    assert b"warc-format/warc-1.0/" in text
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            record.content_stream().read()
            assert record.rec_headers.protocol == "WARC/1.0"
            date = record.rec_headers.get_header("WARC-Date")
            assert len(date) == 20 and date.endswith("Z"), date  # whole seconds
    responses = {_path(uri): block for kind, uri, block in _blocks(archive)
                 if kind == "response"}
    assert responses["/robots.txt"] == ROBOTS_HEAD + ROBOTS_BODY  # the heads as received
    checked = run(str(Path(sys.executable).with_name("warcio")), "check", str(path))
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    verified = run(NEWSARC, "verify", str(archive))
    assert verified.returncode == 0, verified.stdout.decode() + verified.stderr.decode()


def test_warctools_reads_warc_1_0_only(crawled, crawled_1_0):
    """hanzo warctools, the reader of wget's files, reads our 1.0 files; it knows no 1.1."""
    warctools = pytest.importorskip("hanzo.warctools")
    [path] = warc_files(crawled_1_0[0])
    archive = warctools.WarcRecord.open_archive(str(path), gzip="auto")
    types = []
    try:
        for _offset, record, errors in archive.read_records(limit=None):
            assert not errors, errors
            if record is None:
                break
            assert not record.validate(), record.validate()
            types.append(record.type)
    finally:
        archive.close()
    assert types.count(b"response") == 4 and types.count(b"request") == 4
    [newer] = warc_files(crawled[0])
    archive = warctools.WarcRecord.open_archive(str(newer), gzip="auto")
    try:
        with pytest.raises(Exception):  # noqa: B017 (its error is a TypeError of its own)
            for _record in archive.read_records(limit=None):
                pass
    finally:
        archive.close()


def test_revisits_of_warc_1_0_name_its_profiles(tmp_path):
    writer = WarcWriter(tmp_path, {"software": "test"}, warc_version="1.0")
    body = b"<html>same</html>"
    earlier = writer.write_exchange(Exchange(
        "http://127.0.0.1:9/a", "GET", [("Host", "127.0.0.1:9")], 200,
        [("Content-Type", "text/html")], body))
    refers_to = {"warc_record_id": earlier.record_id, "payload_digest": payload_digest(body),
                 "warc_date": "2026-12-04T10:11:12.345678Z"}
    writer.write_revisit(Exchange("http://127.0.0.1:9/a", "GET", [], 304, [], b""), refers_to)
    writer.write_revisit(Exchange("http://127.0.0.1:9/a", "GET", [], 200, [], body), refers_to)
    writer.close()
    [path] = sorted(tmp_path.glob("*.warc.gz"))
    revisits = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            if record.rec_type == "revisit":
                revisits.append((record.rec_headers.get_header("WARC-Profile"),
                                 record.rec_headers.get_header("WARC-Refers-To-Date"),
                                 record.rec_headers.get_header("WARC-Payload-Digest")))
    assert revisits == [
        ("http://netpreserve.org/warc/1.0/revisit/server-not-modified",
         "2026-12-04T10:11:12Z", payload_digest(body)),
        ("http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
         "2026-12-04T10:11:12Z", payload_digest(body)),
    ]


def test_a_version_newsarc_does_not_write_is_refused(tmp_path):
    with pytest.raises(ValueError, match="newsarc writes 1.0 or 1.1"):
        WarcWriter(tmp_path, {}, warc_version="1.2")
    from .conftest import usage_error

    assert "give 1.0 or 1.1" in usage_error("crawl", "http://127.0.0.1:9", "--out",
                                            str(tmp_path), "--warc-version", "0.9")
    assert "NEWSARC_WARC_VERSION takes 1.0 or 1.1" in usage_error(
        "crawl", "http://127.0.0.1:9", "--out", str(tmp_path), "-s",
        "NEWSARC_WARC_VERSION=2")


def test_a_head_that_is_no_whole_head_is_rebuilt(tmp_path):
    """The writer takes a head only when it parses as one head: half a head, two heads or
    garbage would make the record unreadable, so the head is rebuilt from the headers."""
    writer = WarcWriter(tmp_path, {"software": "test"})
    for raw in (b"HTTP/1.1 200 Fine\r\nA: 1\r\n", b"garbage\r\n\r\n",
                b"HTTP/1.1 200 Fine\r\n\r\nHTTP/1.1 200 Fine\r\n\r\n"):
        writer.write_exchange(Exchange(
            "http://127.0.0.1:9/a", "GET", [("Host", "127.0.0.1:9")], 200, [("A", "1")], b"x",
            raw_head=raw, raw_request_head=b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"))
    writer.close()
    blocks = [(kind, block) for kind, _uri, block in _blocks_of(tmp_path) if kind != "warcinfo"]
    assert blocks == [("response", b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\nx"),
                      ("request", b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n")] * 3
