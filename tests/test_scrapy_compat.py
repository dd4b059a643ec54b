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
                         r"middleware\.middlewares\b|\bCrawler\(|EXTENSIONS_BASE|sys\.modules\[")
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for package in ("crawler", "archive", "newsarc")
             for path in sorted((REPO / package).rglob("*.py"))
             if path.name != "scrapy_compat.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if private.search(line)]
    assert found == []
