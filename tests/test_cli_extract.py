"""`newsarc extract` on a researcher's folder of saved pages."""

import json

from newsarc.replica import render
from newsarc.replica.content import build_site

from .conftest import NEWSARC, run

SITE = build_site(size=60)
ROOT = "http://127.0.0.1:8000"


def lines(result):
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_many_files_and_stdin_in_one_call(tmp_path):
    arts = sorted(SITE.articles.values(), key=lambda a: a.id)[:3]
    paths = []
    for art in arts:
        # A saved page knows its URL from og:url (arv_005) or not at all: pass --url for those.
        path = tmp_path / f"{art.id}.html"
        path.write_text(render.article_page(SITE, art), encoding="utf-8")
        paths.append(path)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.html"
    binary.write_bytes(bytes(range(256)) * 8)
    stdin_page = render.mobile_article_page(SITE, arts[0]).encode("utf-8")
    result = run(NEWSARC, "extract", *map(str, paths), str(empty), str(binary), "-",
                 "--url", f"{ROOT}/news/article.html?no={arts[0].id}", stdin=stdin_page)
    assert result.returncode == 0, result.stderr.decode()
    out = lines(result)
    assert [o["source"] for o in out] == [*map(str, paths), str(empty), str(binary), "-"]
    for record, art in zip(out[:3], arts, strict=True):
        assert record["title"] == art.title
        assert record["body"] == "\n\n".join(art.paragraphs)
    assert out[3] == {"source": str(empty), "skipped": "empty page"}
    assert out[4]["skipped"] == "binary data, not HTML"
    assert out[5]["body"] == "\n\n".join(arts[0].paragraphs)


def test_url_from_og_url_when_not_given(tmp_path):
    art = next(a for a in SITE.articles.values() if a.template == "arv_005")
    path = tmp_path / "saved.html"
    path.write_text(render.article_page(SITE, art), encoding="utf-8")
    [record] = lines(run(NEWSARC, "extract", str(path)))
    assert record["id"] == art.id
    assert record["url"].endswith(f"/news/article.html?no={art.id}")


def test_page_without_any_url_says_so(tmp_path):
    art = next(a for a in SITE.articles.values() if a.template == "arv_001")
    path = tmp_path / "saved.html"
    path.write_text(render.article_page(SITE, art), encoding="utf-8")
    [record] = lines(run(NEWSARC, "extract", str(path)))
    assert record["skipped"].startswith("no article number")


def test_missing_file_is_reported_and_fails(tmp_path):
    result = run(NEWSARC, "extract", str(tmp_path / "nope.html"))
    assert result.returncode == 1
    [record] = lines(result)
    assert record["skipped"].startswith("unreadable file")
