import json

from archive.corpus import CORPUS_NAME, CorpusWriter, read_records
from archive.schema import content_hash


def _record(number, body):
    return {"id": number, "body": body, "content_hash": content_hash(body), "version": 1}


def test_versions_unchanged_bodies_are_not_rewritten(tmp_path):
    writer = CorpusWriter(tmp_path)
    first = _record(1, "본문")
    assert writer.next_version(first) == 1
    writer.write(first)
    assert writer.next_version(_record(1, "본문")) is None
    changed = _record(1, "고친 본문")
    assert writer.next_version(changed) == 2
    writer.write({**changed, "version": 2})
    writer.close()
    reopened = CorpusWriter(tmp_path)
    assert reopened.latest[1] == (2, content_hash("고친 본문"))
    reopened.close()


def test_half_written_last_line_is_moved_aside_not_kept(tmp_path):
    path = tmp_path / CORPUS_NAME
    good = json.dumps(_record(1, "하나"), ensure_ascii=False) + "\n"
    path.write_text(good + '{"id": 2, "body": "잘린', encoding="utf-8")
    writer = CorpusWriter(tmp_path)
    assert writer.repaired_bytes > 0
    writer.write(_record(3, "셋"))
    writer.close()
    assert [r["id"] for r in read_records(path)] == [1, 3]
    assert '"body": "잘린' in (tmp_path / (CORPUS_NAME + ".partial")).read_text(encoding="utf-8")


def test_records_are_utf8_text_not_escapes(tmp_path):
    writer = CorpusWriter(tmp_path)
    writer.write(_record(1, "한국어 본문"))
    writer.close()
    assert "한국어 본문" in (tmp_path / CORPUS_NAME).read_text(encoding="utf-8")
