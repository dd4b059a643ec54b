"""Search and show on a crawled replica, against expectations computed here."""

import json

import pytest

from archive.corpus import read_records

from .conftest import NEWSARC, run


def latest_records(archive):
    latest = {}
    for record in read_records(archive / "articles.jsonl"):
        latest[record["id"]] = record
    return latest


def search(archive, *args):
    result = run(NEWSARC, "search", str(archive), *args, "--limit", "1000")
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    return [int(line.rsplit("no=", 1)[1]) for line in lines if "no=" in line]


def expected(archive, *words):
    return {i for i, r in latest_records(archive).items()
            if all(w in r["title"] or w in r["body"] for w in words)}


@pytest.mark.parametrize("words", [
    ("삼성전자",),          # a trigram-indexed term
    ("회장",),              # two syllables: below the trigram size
    ("관계자는", "밝혔다"),  # every term must occur
    ("지역", "사업을"),      # a short and a long term together
])
def test_search_finds_exactly_the_articles_holding_every_term(archive, words):
    found = search(archive, " ".join(words))
    assert set(found) == expected(archive, *words)
    assert len(found) == len(set(found)), "one hit per article"


def test_phrases_and_ranking(archive):
    records = latest_records(archive)
    sample = next(r for r in records.values() if r["title"].startswith("이재용 회장"))
    phrase = "글로벌 전략회의"
    found = search(archive, f'"{phrase}"')
    assert found[0] == sample["id"]
    assert set(found) == {i for i, r in records.items() if phrase in r["title"] + r["body"]}
    title_word = sample["title"].split()[0]
    ranked = search(archive, title_word)
    in_title = [i for i in ranked if title_word in records[i]["title"]]
    assert ranked[: len(in_title)] == in_title, "title matches rank first"


def test_search_output_has_date_title_url_and_snippet(archive):
    result = run(NEWSARC, "search", str(archive), "삼성전자", "--limit", "1")
    first, second = result.stdout.decode().splitlines()[:2]
    record = latest_records(archive)[int(first.rsplit("no=", 1)[1])]
    assert first.startswith(record["published"][:10])
    assert record["title"] in first and record["url"] in first
    assert "[삼성전자]" in second


def test_no_hit_and_bad_input(archive, tmp_path):
    result = run(NEWSARC, "search", str(archive), "존재하지않는낱말")
    assert result.returncode == 0 and "no article holds" in result.stdout.decode()
    for args in ([str(tmp_path), "낱말"], [str(archive), "낱말", "--limit", "0"]):
        bad = run(NEWSARC, "search", *args)
        assert bad.returncode == 2
        assert len(bad.stderr.decode().strip().splitlines()) == 1
    (tmp_path / "articles.jsonl").write_text("")
    empty = run(NEWSARC, "search", str(tmp_path), "낱말")
    assert empty.returncode == 2 and "holds no articles" in empty.stderr.decode()


def test_show_prints_record_versions_and_replay_path(archive):
    record = next(iter(latest_records(archive).values()))
    result = run(NEWSARC, "show", str(archive), str(record["id"]))
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    shown = json.loads(text[: text.index("\nversions of article")])
    stamp = "".join(c for c in record["warc"]["date"] if c.isdigit())[:14]
    assert shown["replay"] == f"/archive/{stamp}/{record['url']}"
    assert {k: shown[k] for k in record} == record
    assert f"v1  fetched {record['fetched_at']}" in text
    assert f"{record['warc']['filename']} @{record['warc']['offset']}" in text
    missing = run(NEWSARC, "show", str(archive), "1")
    assert missing.returncode == 2 and "no article 1" in missing.stderr.decode()


def _record(number, body):
    return {"id": number, "url": f"http://outlet.test/news/article.html?no={number}",
            "version": 1, "content_hash": f"h{number}", "title": f"기사 {number}",
            "body": body, "published": "2026-11-29T09:00:00+09:00", "authors": []}


def test_search_finds_texts_the_index_does_not_have_yet_without_writing(tmp_path):
    """Storing a record does not index it, and a search does not either (readers never
    write): the texts after the index's last update are matched without it."""
    from archive.catalog import Catalog
    from archive.search import search as find

    catalog = Catalog(tmp_path)
    catalog.add_version(_record(1, "반도체 수출이 늘었다"), run_id=None)
    catalog.add_version(_record(2, "조선 수주가 줄었다"), run_id=None)
    assert catalog.texts_unindexed() == 2, "storing a record does not index it"
    assert [hit.id for hit in find(catalog, "반도체")] == [1]
    assert catalog.texts_unindexed() == 2, "searching does not index either"
    assert catalog.update_text_index() == 2  # what a writer does when it closes
    catalog.add_version(_record(3, "반도체 장비 투자"), run_id=None)
    assert catalog.texts_unindexed() == 1
    assert sorted(hit.id for hit in find(catalog, "반도체")) == [1, 3]
    rows = catalog.db.execute("SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH "
                              "'\"반도체\"'").fetchone()[0]
    assert rows == 1, "each text indexed once, by the writer"
    assert catalog.update_text_index() == 1
    assert catalog.update_text_index() == 0
    catalog.close()


def test_text_index_is_filled_in_batches_while_a_crawl_writes(tmp_path):
    """Each batch is a transaction of its own: a crawl storing records through another
    connection meanwhile is neither blocked for the whole update nor lost by it."""
    from archive.catalog import Catalog

    reader, crawl = Catalog(tmp_path), Catalog(tmp_path)
    for number in range(1, 6):
        crawl.add_version(_record(number, f"반도체 기사 {number}"), run_id=None)
    real_execute, batches = reader.db.execute, []

    class Watching:  # sqlite3.Connection.execute cannot be patched on the object itself
        def __getattr__(self, name):
            return getattr(reader.db_real, name)

        def execute(self, sql, *args):
            if sql == "BEGIN IMMEDIATE" and batches:  # between two batches
                crawl.add_version(_record(10 + len(batches), "반도체 새 기사"), run_id=None)
            if sql.startswith("INSERT INTO texts_fts"):
                batches.append(args[0])
            return real_execute(sql, *args)

    reader.db_real, reader.db = reader.db, Watching()
    # The 5 texts there were, in 3 batches of 2; between two transactions (and before the
    # last, which finds nothing left), the crawl stores one more: left to the next update.
    assert reader.update_text_index(batch=2) == 5
    assert len(batches) == 3
    reader.db = reader.db_real
    assert reader.texts_unindexed() == 3
    assert reader.update_text_index() == 3
    assert reader.db.execute("SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH "
                             "'\"반도체\"'").fetchone()[0] == 8
    reader.close()
    crawl.close()


def test_a_catalog_that_indexed_on_insert_keeps_its_index(tmp_path):
    """Catalogs of earlier versions filled the index with a trigger on ``texts``."""
    from archive.catalog import Catalog
    from archive.search import search as find

    catalog = Catalog(tmp_path)
    catalog.db.executescript("""
        CREATE TRIGGER texts_ai AFTER INSERT ON texts BEGIN
            INSERT INTO texts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
        END;""")
    catalog.add_version(_record(1, "반도체 수출이 늘었다"), run_id=None)
    catalog.close()
    reopened = Catalog(tmp_path)
    assert reopened.db.execute("SELECT COUNT(*) FROM sqlite_master "
                               "WHERE name = 'texts_ai'").fetchone()[0] == 0
    assert reopened.texts_unindexed() == 0
    reopened.add_version(_record(2, "반도체 장비 투자"), run_id=None)
    assert sorted(hit.id for hit in find(reopened, "반도체")) == [1, 2]
    assert reopened.update_text_index() == 1
    assert reopened.db.execute("SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH "
                               "'\"반도체\"'").fetchone()[0] == 2
    reopened.close()
