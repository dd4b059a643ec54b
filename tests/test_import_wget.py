"""The bar of ``newsarc import`` (issue 21): a crawl made by another tool, wget, becomes an
archive as good as newsarc's own.

wget crawls a replica served with settings no other test uses (size, generation, the
redesigned skin on its newest articles), recursively, as a person archiving the site with
``wget --warc-file`` would: list pages, desktop article pages, their decorated
(``&sc_code=``), mobile and print forms.  Its ``.warc.gz`` (gzip per record, wget's
default), its uncompressed ``.warc`` (``--no-warc-compression``) and that ``.warc``
gzipped whole (one gzip stream, as ``gzip site.warc`` leaves it) are each imported; each
must give every article once, with the title and body a ``newsarc crawl`` of the same
replica stores, and an archive that ``verify``, ``export`` and ``search`` take, while the
imported file is left byte for byte as it was.
"""

import gzip
import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.corpus import read_records
from newsarc.replica.content import REDESIGN
from newsarc.replica.server import Replica

from .conftest import NEWSARC, run

pytestmark = pytest.mark.skipif(not shutil.which("wget"),
                                reason="needs wget (.ci/run installs it)")

ARTICLE_RE = re.compile(r"/(?:news/article|news/article_print|mobile/article)\.html\?no=(\d+)")
# List pages and the article page's three forms; nothing else (no images, feeds, skins).
ACCEPT = r"/(news/article_list_all|news/article|news/article_print|mobile/article)\.html"
FORMS = ("per-record gzip", "uncompressed", "whole-file gzip")


@pytest.fixture(scope="module")
def site():
    """A replica no other test serves: 70 base articles a generation on (new and edited
    ones), the newest base article and those published since in the redesigned skin, which
    only the fallback path reads (6 of 75: under the template-drift warning's 10 %)."""
    with Replica(size=70, generation=1, skin=REDESIGN, skin_newest=1) as server:
        yield server


def wget_crawl(url: str, workdir: Path, *extra: str) -> Path:
    """``wget -r`` from the full list: its pages (level 1), the articles (2), the print and
    mobile forms they link to (3); the WARC file it leaves, downloads deleted."""
    workdir.mkdir()
    result = subprocess.run(
        ["wget", "--quiet", "--recursive", "--level=3", "--no-directories", "--delete-after",
         "--tries=1", "--timeout=20", f"--accept-regex={ACCEPT}",
         f"--warc-file={workdir / 'site'}", *extra, f"{url}/news/article_list_all.html"],
        cwd=workdir, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    (warc,) = workdir.glob("site.warc*")
    return warc


@pytest.fixture(scope="module")
def foreign(site, tmp_path_factory) -> dict[str, Path]:
    """The wget crawl in each form, in directories of their own."""
    root = tmp_path_factory.mktemp("wget")
    record = wget_crawl(site.url, root / "gz")
    plain = wget_crawl(site.url, root / "plain", "--no-warc-compression")
    whole = root / "whole" / "site.warc.gz"
    whole.parent.mkdir()
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    return dict(zip(FORMS, (record, plain, whole), strict=True))


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory) -> dict[int, dict]:
    """What ``newsarc crawl`` stores for the same replica, by article number."""
    out = tmp_path_factory.mktemp("crawl")
    result = run(NEWSARC, "crawl", site.url, "--out", str(out), "--no-throttle",
                 "-s", "NEWSARC_PAGE_REQUISITES=0")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    records = list(read_records(out / "articles.jsonl"))
    assert Counter(r["id"] for r in records) == Counter(set(site.site.articles))
    return {r["id"]: r for r in records}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def target_uris(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle)
                if r.rec_type == "response"]


def test_the_wget_crawl_holds_every_form_of_the_article_page(site, foreign):
    """What the import below has to sort out, so that the bar tests it: every live article's
    desktop page, and decorated, mobile and print captures of the same articles, soft-404s
    of deleted numbers among them."""
    uris = target_uris(foreign["per-record gzip"])
    numbers = {int(m.group(1)) for u in uris if (m := ARTICLE_RE.search(u))}
    assert set(site.site.articles) < numbers  # the most-read box links to deleted ones
    desktop = {int(m.group(1)) for u in uris
               if (m := re.search(r"/news/article\.html\?no=(\d+)$", u))}
    assert set(site.site.articles) <= desktop
    assert any("&sc_code=" in u for u in uris)
    assert any("/mobile/article.html?no=" in u for u in uris)
    assert sum("/news/article_print.html?no=" in u for u in uris) >= len(site.site.articles)
    assert sorted(target_uris(foreign["uncompressed"])) == sorted(uris)


@pytest.mark.parametrize("form", FORMS)
def test_a_wget_crawl_imports_as_a_newsarc_crawl_stores_it(form, site, foreign, crawled,
                                                          tmp_path):
    source = foreign[form]
    before = sha256(source)
    out = tmp_path / "archive"
    result = run(NEWSARC, "import", str(source), "--out", str(out), timeout=120)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()[-3000:]

    records = list(read_records(out / "articles.jsonl"))
    counts = Counter(r["id"] for r in records)
    assert counts == Counter(set(site.site.articles)), "every live article once, no other"
    assert {r["version"] for r in records} == {1}
    for record in records:
        stored = crawled[record["id"]]
        assert record["url"] == stored["url"]
        assert record["title"] == stored["title"], record["id"]
        assert record["body"] == stored["body"], record["id"]

    # The foreign file is untouched, and kept whole in the archive (decompressed when it
    # was one gzip stream, as verify and replay read records one at a time).
    assert sha256(source) == before
    kept = {sha256(p) for p in (out / "warc").iterdir() if p.is_file()}
    if form == "whole-file gzip":
        assert hashlib.sha256(gzip.decompress(source.read_bytes())).hexdigest() in kept
    else:
        assert before in kept

    result = run(NEWSARC, "verify", str(out))
    assert result.returncode == 0, (result.stdout + result.stderr).decode()[-3000:]

    exported = tmp_path / "export.jsonl"
    result = run(NEWSARC, "export", str(out), "--format", "jsonl", "--out", str(exported))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(site.site.articles)

    newest = max(site.site.articles.values(), key=lambda a: a.id)  # a redesigned one
    assert site.site.skin_of(newest) == REDESIGN
    words = " ".join(re.findall(r"\w{2,}", newest.title))  # "…" would join two words
    result = run(NEWSARC, "search", str(out), words)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert f"/news/article.html?no={newest.id}" in result.stdout.decode()


def test_verify_and_reextract_take_the_wget_file_itself(site, foreign, crawled, tmp_path):
    """Without an import: the foreign file checked in place, and re-extracted into a corpus
    equal to the crawl's, the file untouched."""
    source = foreign["per-record gzip"]
    before = sha256(source)
    result = run(NEWSARC, "verify", str(source))
    assert result.returncode == 0, (result.stdout + result.stderr).decode()[-3000:]

    corpus = tmp_path / "reextracted.jsonl"
    result = run(NEWSARC, "reextract", str(source), "--out", str(corpus), timeout=120)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()[-3000:]
    records = list(read_records(corpus))
    assert Counter(r["id"] for r in records) == Counter(set(site.site.articles))
    assert all((r["title"], r["body"]) == (crawled[r["id"]]["title"], crawled[r["id"]]["body"])
               for r in records)
    assert sha256(source) == before
