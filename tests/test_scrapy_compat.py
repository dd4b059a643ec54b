"""crawler/scrapy_compat.py reaches into Scrapy's internals: these tests fail loudly when a
Scrapy upgrade moves what it uses, and check the version bound that keeps upgrades
deliberate."""

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version

from crawler import scrapy_compat

from .conftest import REPO

_WAKE_AN_OPEN_ENGINE = """
import json
from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
from crawler.scrapy_compat import wake_engine

woken = []

class Idle(Spider):
    name = "idle"

    async def start(self):
        return
        yield

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def idle(self):
        woken.append(wake_engine(self.crawler.engine))

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
process.crawl(Idle)
process.start()
print(json.dumps(woken))
"""


def test_scrapy_is_bounded_to_the_minor_version_the_adapter_was_written_for():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    [scrapy] = [r for r in pyproject["project"]["dependencies"]
                if re.match(r"scrapy\b", r, re.IGNORECASE)]
    lower = re.search(r">=\s*(\d+)\.(\d+)", scrapy)
    upper = re.search(r"<\s*(\d+)\.(\d+)", scrapy)
    assert lower and upper, f"Scrapy needs a lower and an upper bound: {scrapy}"
    installed = tuple(int(n) for n in version("scrapy").split(".")[:2])
    assert (int(lower[1]), int(lower[2])) <= installed < (int(upper[1]), int(upper[2])), \
        f"Scrapy {version('scrapy')} outside {scrapy}: check crawler/scrapy_compat.py first"


def test_the_private_engine_parts_are_still_there():
    from scrapy.core.engine import ExecutionEngine, _Slot

    assert "_slot" in ExecutionEngine.__init__.__code__.co_names, \
        "ExecutionEngine no longer keeps its slot in _slot: update crawler/scrapy_compat.py"
    assert "nextcall" in _Slot.__init__.__code__.co_varnames, \
        "Scrapy's engine slot has no nextcall: update crawler/scrapy_compat.py"


def test_wake_engine_schedules_an_open_engine():
    """On a real engine with an open spider: woken, not left to its heartbeat."""
    result = subprocess.run([sys.executable, "-c", _WAKE_AN_OPEN_ENGINE], cwd=REPO,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    woken = result.stdout.decode().splitlines()[-1]
    assert woken.startswith("[true"), (woken, result.stderr.decode()[-3000:])


def test_wake_engine_without_an_open_spider_or_on_an_unknown_engine(caplog):
    class Closed:
        _slot = None

    assert scrapy_compat.wake_engine(Closed()) is False
    assert scrapy_compat.wake_engine(object()) is False  # a Scrapy without the private slot
    assert "cannot wake Scrapy's engine" in caplog.text


def test_no_other_module_reaches_into_scrapy():
    """What crawler/scrapy_compat.py does is done nowhere else (nor the hacks it replaced:
    a Crawler built by hand, extension-list surgery, a patched sys.modules)."""
    private = re.compile(r"\._slot\b|\.nextcall\b|\._create_engine\b|\._apply_settings\b|"
                         r"middleware\.middlewares\b|\bCrawler\(|EXTENSIONS_BASE|sys\.modules\[|"
                         r"\._pool\b|\._factory\b|_Lenient|_quiescentCallback|_newclient")
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for package in ("crawler", "archive", "newsarc")
             for path in sorted((REPO / package).rglob("*.py"))
             if path.name != "scrapy_compat.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if private.search(line)]
    assert found == []


def test_the_private_http_parts_are_still_there():
    """What ``tee_wire_heads`` relies on: the handler's pool and its protocol factory,
    Scrapy's lenient protocol and factory, and Twisted writing a request through
    ``self.transport`` (the transport is swapped for a recording one around that call)."""
    from scrapy.core.downloader.handlers.http11 import (
        HTTP11DownloadHandler,
        _LenientHTTP11ClientFactory,
        _LenientHTTP11ClientProtocol,
    )
    from twisted.web._newclient import HTTP11ClientProtocol
    from twisted.web.client import HTTPConnectionPool

    assert "_pool" in HTTP11DownloadHandler.__init__.__code__.co_names, \
        "HTTP11DownloadHandler keeps no _pool: update crawler/scrapy_compat.py"
    assert "_factory" in HTTP11DownloadHandler.__init__.__code__.co_names, \
        "HTTP11DownloadHandler no longer sets its pool's _factory: update scrapy_compat.py"
    assert "_factory" in HTTPConnectionPool._newConnection.__code__.co_names, \
        "Twisted's pool builds protocols without _factory: update crawler/scrapy_compat.py"
    assert issubclass(_LenientHTTP11ClientProtocol, HTTP11ClientProtocol)
    assert "_quiescentCallback" in _LenientHTTP11ClientFactory.buildProtocol.__code__.co_names
    request = HTTP11ClientProtocol.request.__code__
    assert {"writeTo", "transport"} <= set(request.co_names), \
        "HTTP11ClientProtocol.request no longer writes via self.transport: update the tee"
    assert "dataReceived" in vars(HTTP11ClientProtocol)


def test_tee_on_a_handler_without_the_private_parts(caplog):
    """A Scrapy whose handler has no pool (or whose pool another component re-equipped):
    no tee, one warning, records rebuilt from Scrapy's headers."""
    class Pool:
        _factory = object

    class Handler:
        _pool = Pool()

    assert scrapy_compat.tee_wire_heads(object()) is False
    assert scrapy_compat.tee_wire_heads(Handler()) is False
    assert Handler._pool._factory is object  # left as it was
    assert caplog.text.count("cannot record HTTP heads as received") == 1


def test_heads_are_found_where_twisted_finds_them():
    head = b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"
    assert scrapy_compat.head_end(head + b"body") == len(head)
    bare = b"HTTP/1.1 200 OK\nA: 1\n\n"  # bare LF line ends, which Twisted takes
    assert scrapy_compat.head_end(bare + b"body") == len(bare)
    assert scrapy_compat.head_end(b"HTTP/1.1 200 OK\r\nA: 1\r\n") == 0  # not ended yet
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\n"
    assert scrapy_compat.final_response_head(interim + head + b"body") == head
    assert scrapy_compat.final_response_head(interim) is None
    assert scrapy_compat.final_response_head(b"HTTP/1.1 200 OK\r\nA: 1") is None


def test_the_recorded_heads_leave_the_headers_they_rode_in():
    from base64 import b64encode

    from scrapy.http import Headers

    headers = Headers({"Content-Type": "text/html",
                       scrapy_compat.RESPONSE_HEAD_FIELD: b64encode(b"HTTP/1.1 200 OK\r\n\r\n"),
                       scrapy_compat.REQUEST_HEAD_FIELD: "not base64 at all!"})
    assert scrapy_compat.pop_wire_heads(headers) == (b"HTTP/1.1 200 OK\r\n\r\n", None)
    assert list(headers) == [b"Content-Type"]
    assert scrapy_compat.pop_wire_heads(headers) == (None, None)
