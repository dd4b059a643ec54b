"""The CDXJ index made as records are written is the one cdxj-indexer makes reading them."""

import sys
from pathlib import Path

from cdxj_indexer.main import write_cdx_index

from archive.index import INDEXED_LIST, PENDING_DIR, WriteTimeIndex, index_path, update_index
from archive.warc import Exchange, WarcWriter, repair_open_files, warc_dir, warc_files

from .conftest import run

SITE = "http://127.0.0.1:8000"


def exchange(number: int, status: int = 200) -> Exchange:
    body = f"<html><p>기사 {number}</p></html>".encode() * 40
    return Exchange(f"{SITE}/news/article.html?no={number}", "GET", [("Host", "127.0.0.1:8000")],
                    status, [("Content-Type", "text/html; charset=utf-8"),
                             ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], body)


def write(archive: Path, numbers: range, max_size: int = 10_000) -> WarcWriter:
    writer = WarcWriter(warc_dir(archive), {"software": "test"}, max_size=max_size,
                        index=WriteTimeIndex(archive))
    for number in numbers:
        location = writer.write_exchange(exchange(number))
        if number % 5 == 0:  # an unchanged re-fetch: a revisit record
            writer.write_revisit(exchange(number, 304), {
                "warc_record_id": location.record_id, "warc_date": location.date,
                "payload_digest": "sha1:AAAA"})
    return writer


def read_back(archive: Path, names: list[str]) -> list[str]:
    out = archive / "read.cdxj"
    write_cdx_index(str(out), [str(warc_dir(archive) / n) for n in names],
                    {"sort": True, "dir_root": str(warc_dir(archive))})
    return out.read_text(encoding="utf-8").splitlines()


def test_side_files_hold_what_cdxj_indexer_reads_back(tmp_path):
    writer = write(tmp_path, range(1, 40))
    writer.close()
    names = [p.name for p in warc_files(tmp_path)]
    assert len(names) > 2, "rotated: one side file per WARC file"
    pending = tmp_path / "indexes" / PENDING_DIR
    for name in names:
        side = (pending / f"{name}.cdxj").read_text(encoding="utf-8").splitlines()
        assert sorted(side) == read_back(tmp_path, [name])
    assert set(update_index(tmp_path)) == set(names)
    assert not list(pending.iterdir()), "used side files are removed"
    made = index_path(tmp_path).read_text(encoding="utf-8")
    assert any('"mime": "warc/revisit"' in line for line in made.splitlines())
    (tmp_path / "indexes" / INDEXED_LIST).unlink()  # indexed from scratch:
    index_path(tmp_path).unlink()
    update_index(tmp_path)  # every file read back by cdxj-indexer
    assert index_path(tmp_path).read_text(encoding="utf-8") == made


KILLED_WRITER = """
import os, sys
from pathlib import Path
from tests.test_index import write
write(Path(sys.argv[1]), range(1, 4), max_size=10**9)
os._exit(0)  # dies with its WARC file and side file open
"""


def test_a_file_left_open_by_a_killed_writer_is_read_back(tmp_path):
    result = run(sys.executable, "-c", KILLED_WRITER, str(tmp_path))
    assert result.returncode == 0, result.stderr.decode()
    [open_file] = list(warc_dir(tmp_path).glob("*.open"))
    pending = tmp_path / "indexes" / PENDING_DIR
    assert list(pending.glob("*.cdxj.open"))
    repair_open_files(warc_dir(tmp_path))
    [name] = update_index(tmp_path)
    assert name == open_file.name.removesuffix(".open")
    assert not list(pending.iterdir()), "the unfinished side file is dropped"
    lines = index_path(tmp_path).read_text(encoding="utf-8").splitlines()
    assert lines == read_back(tmp_path, [name])
    assert len(lines) == 3


def test_an_unwritable_side_file_only_costs_a_read_back(tmp_path):
    pending = tmp_path / "indexes" / PENDING_DIR
    pending.parent.mkdir(parents=True)
    pending.write_text("not a directory")  # the side file cannot be made
    writer = write(tmp_path, range(1, 4), max_size=10**9)
    writer.close()
    pending.unlink()
    [name] = update_index(tmp_path)
    assert index_path(tmp_path).read_text(encoding="utf-8").splitlines() == \
        read_back(tmp_path, [name])
