"""An archive from elsewhere is hostile input: links planted in it, a gzip bomb a site sent,
WARC files cut off or garbled.  Each case runs the ``newsarc`` command on a copy of a real
crawl of the replica and checks that it ends in one line (never a traceback), within its
time and memory bound, with nothing outside the archive changed and every failure counted
in the exit code."""

import hashlib
import os
import shutil
import sys
import zlib
from io import BytesIO

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.corpus import read_records
from archive.warc import _host, gzip_complete_end, warc_files

from .conftest import NEWSARC, run

BOMB_BYTES = 200 * 2**20  # inflated size of the bomb: 12 times the 16 MiB cap
# Peak RSS of a command run from a small Python parent (see test_archive.py: a child's peak
# counts the copy of its parent it starts as, and this test process is large).
PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], "
        "capture_output=True, text=True); print(done.stdout); print(done.stderr, "
        "file=sys.stderr); print(done.returncode, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def copy_of(archive, tmp_path):
    """A copy of the crawled archive, for one test to damage."""
    target = tmp_path / "copy"
    shutil.copytree(archive, target)
    (target / ".lock").unlink(missing_ok=True)
    return target


def outside_file(tmp_path, data=b"precious operator data\n"):
    """A file outside the archive that a link in it points at."""
    path = tmp_path / "outside" / "precious.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(directory):
    """Every file under ``directory`` (links as their target names), to see nothing changed."""
    state = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            state[key] = "-> " + os.readlink(path)
        elif path.is_file():
            state[key] = digest(path)
    return state


def one_line_refusal(result, command, named):
    """Exit 74 and a single line on stderr naming the link; no traceback."""
    stderr = result.stderr.decode()
    assert result.returncode == 74, (result.returncode, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.startswith(f"newsarc {command}:")]
    assert len(lines) == 1, stderr[-3000:]
    assert "symbolic link" in lines[0] and "(ELOOP)" in lines[0], lines[0]
    assert lines[0].rstrip().endswith(named), lines[0]
    return lines[0]


def dead_open_name():
    """A ``.open`` WARC file name of this host whose process is gone (the next crawl
    repairs such a file)."""
    pid = 4_194_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        pid += 1
    return f"newsarc-20000101000000000-{_host()}-{pid}-abcdef.warc.gz.open"


# --- links: nothing is written through one ---------------------------------------------

def test_a_linked_lock_is_refused_and_its_target_untouched(archive, replica, tmp_path):
    out = copy_of(archive, tmp_path)
    target = outside_file(tmp_path)
    (out / ".lock").symlink_to(target)
    before = tree_digest(out)
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 timeout=120)
    one_line_refusal(result, "crawl", ".lock")
    assert target.read_bytes() == b"precious operator data\n"
    assert tree_digest(out) == before


@pytest.mark.parametrize("name", ["articles.jsonl", "catalog.sqlite"])
def test_a_linked_corpus_or_catalog_is_refused_and_its_target_untouched(archive, replica,
                                                                       tmp_path, name):
    out = copy_of(archive, tmp_path)
    original = (out / name).read_bytes()
    # A half-written last line: what the corpus repair would have moved out of the target.
    data = original + b'{"id": 1, "half' if name == "articles.jsonl" else original
    target = outside_file(tmp_path, data)
    (out / name).unlink()
    (out / name).symlink_to(target)
    for stale in out.glob("catalog.sqlite-*"):
        stale.unlink()
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 timeout=120)
    one_line_refusal(result, "crawl", name)
    assert target.read_bytes() == data, "the link's target is unchanged"
    assert not (out / (name + ".partial")).exists()
    assert not list(target.parent.glob("*-wal")) and not list(target.parent.glob("*.partial"))


def test_a_linked_warc_file_left_open_is_refused_and_its_target_untouched(archive, replica,
                                                                          tmp_path):
    out = copy_of(archive, tmp_path)
    whole = warc_files(out)[0].read_bytes()
    data = whole + whole[:500]  # a torn tail: what the repair would cut off the target
    target = outside_file(tmp_path, data)
    link = out / "warc" / dead_open_name()
    link.symlink_to(target)
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 timeout=120)
    one_line_refusal(result, "crawl", f"warc/{link.name}")
    assert target.read_bytes() == data
    assert link.is_symlink() and not list((out / "warc").glob("*.torn"))


@pytest.mark.parametrize("folder", ["warc", "runs"])
def test_a_linked_archive_folder_is_refused(archive, replica, tmp_path, folder):
    out = copy_of(archive, tmp_path)
    elsewhere = tmp_path / "outside" / folder
    shutil.move(out / folder, elsewhere)
    (out / folder).symlink_to(elsewhere)
    before = tree_digest(elsewhere)
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 timeout=180)
    one_line_refusal(result, "crawl", folder)
    assert tree_digest(elsewhere) == before, "no file written, renamed or cut out there"


def test_a_linked_shard_lock_is_refused_by_merge(archive, tmp_path):
    out = copy_of(archive, tmp_path)
    target = outside_file(tmp_path)
    shard = out / "shards" / "w1"
    shard.mkdir(parents=True)
    (shard / ".lock").symlink_to(target)
    before = tree_digest(out)
    result = run(NEWSARC, "merge", str(out), timeout=120)
    one_line_refusal(result, "merge", "shards/w1/.lock")
    assert target.read_bytes() == b"precious operator data\n"
    assert tree_digest(out) == before, "merge changed nothing"


def test_a_linked_warc_file_in_a_shard_is_refused_before_anything_is_merged(archive,
                                                                          tmp_path):
    out = copy_of(archive, tmp_path)
    target = outside_file(tmp_path, warc_files(out)[0].read_bytes())
    shard = out / "shards" / "w1"
    (shard / "warc").mkdir(parents=True)
    link = shard / "warc" / "newsarc-20000101000000000-x-1-abcdef.warc.gz"
    link.symlink_to(target)
    before = {k: v for k, v in tree_digest(out).items() if not k.endswith(".lock")}
    result = run(NEWSARC, "merge", str(out), timeout=120)
    one_line_refusal(result, "merge", f"shards/w1/warc/{link.name}")
    after = {k: v for k, v in tree_digest(out).items() if not k.endswith(".lock")}
    assert after == before, "nothing moved into the archive, nothing stored"
    assert not (out / "warc" / link.name).exists()


# --- a gzip bomb in a WARC file: flagged, never inflated -------------------------------

def add_bomb(out, url):
    """A WARC file holding one article response whose gzip payload (Content-Encoding)
    inflates to ``BOMB_BYTES``: a few hundred kB on disk, built without holding it whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * 2**20
    body = b"".join([compressor.compress(b"<html><body><p>")]
                    + [compressor.compress(block) for _ in range(BOMB_BYTES // len(block))]
                    + [compressor.flush()])
    path = out / "warc" / "newsarc-20000101000000000-x-1-b0b0b0.warc.gz"
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                       ("Content-Encoding", "gzip"),
                                       ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body), http_headers=http))
    return path, len(body)


def peak_run(*args):
    """(exit code, stdout, stderr, peak RSS in MiB) of a newsarc command."""
    result = run(sys.executable, "-c", PEAK, NEWSARC, *args, timeout=180)
    *output, last = result.stdout.decode().strip().splitlines()
    status, max_rss_kib = map(int, last.split())
    return status, "\n".join(output), result.stderr.decode(), max_rss_kib / 1024


def test_a_gzip_bomb_is_flagged_not_inflated(archive, replica, tmp_path):
    out = copy_of(archive, tmp_path)
    bomb, size = add_bomb(out, f"{replica.url}/news/article.html?no=99999")
    assert size < 1_000_000, size
    result = tmp_path / "again.jsonl"

    status, stdout, stderr, peak_mib = peak_run("reextract", str(out), "--out", str(result))
    print(f"reextract with a {BOMB_BYTES >> 20} MiB bomb: peak RSS {peak_mib:.0f} MiB")
    assert status == 1, stdout + stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    flagged = [line for line in stderr.splitlines() if line.startswith("newsarc reextract:")]
    assert len(flagged) == 1, stderr
    assert f"warc/{bomb.name} @0: not extracted" in flagged[0]
    assert f"more than {16 * 2**20} bytes" in flagged[0]
    assert "1 problem(s)" in stdout
    assert peak_mib < 300, peak_mib
    # Every other capture re-extracted, as without the bomb.
    assert list(read_records(result)) == list(read_records(out / "articles.jsonl"))

    status, stdout, stderr, peak_mib = peak_run("verify", str(out))
    print(f"verify with a {BOMB_BYTES >> 20} MiB bomb: peak RSS {peak_mib:.0f} MiB")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert f"note: {bomb.name} @0: payload decodes to more than" in stdout, stdout
    assert "1 payload(s) over the size cap not decoded past it" in stdout
    assert status == 0, stdout  # its digests check: the archive holds what the site sent
    assert peak_mib < 300, peak_mib

    # A lower cap flags ordinary pages too: the option reaches the reader.
    status, _stdout, stderr, _peak = peak_run("reextract", str(out), "--out", str(result),
                                              "--max-payload", "1000")
    assert status == 1 and stderr.count("not extracted") > 1


# --- damaged WARC files: one line, records before kept, exit 1, no .tmp ----------------

def reextract_damaged(out, tmp_path):
    """Run reextract; return its one problem line and the records it kept."""
    result_path = tmp_path / "result" / "again.jsonl"
    result_path.parent.mkdir()
    result = run(NEWSARC, "reextract", str(out), "--out", str(result_path), timeout=180)
    stderr = result.stderr.decode()
    assert result.returncode == 1, (result.returncode, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.count("\n") == 1 and stderr.startswith("newsarc reextract: warc/"), stderr
    assert stderr[:-1].isprintable(), "no raw bytes of the damaged file on the terminal"
    assert not [p for p in result_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert not list(out.rglob("*.tmp"))
    verdict = run(NEWSARC, "verify", str(out), timeout=180)
    assert verdict.returncode == 1 and "Traceback" not in verdict.stderr.decode()
    assert all(c.isprintable() or c == "\n" for c in verdict.stdout.decode()), verdict.stdout
    return stderr, list(read_records(result_path))


def expected_before(out, damaged, offset):
    """The corpus records whose captures lie in whole records before ``offset`` of the
    damaged file, or in another file."""
    return [r for r in read_records(out / "articles.jsonl")
            if r["warc"]["filename"] != damaged.name
            or r["warc"]["offset"] + r["warc"]["length"] <= offset]


def test_a_truncated_warc_file_is_named_and_its_records_before_kept(archive, tmp_path):
    out = copy_of(archive, tmp_path)
    damaged = max(warc_files(out), key=lambda p: p.stat().st_size)
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    cut_at = gzip_complete_end(damaged)
    line, kept = reextract_damaged(out, tmp_path)
    assert f"warc/{damaged.name} @{cut_at}: damaged: cut off" in line, line
    wanted = expected_before(out, damaged, cut_at)
    assert 0 < len(wanted) < len(list(read_records(out / "articles.jsonl")))
    assert [r["warc"] for r in kept] == [r["warc"] for r in wanted]


@pytest.mark.parametrize("where", ["middle", "start"])
def test_a_garbled_warc_file_is_named_and_its_records_before_kept(archive, tmp_path, where):
    out = copy_of(archive, tmp_path)
    damaged = max(warc_files(out), key=lambda p: p.stat().st_size)
    data = bytearray(damaged.read_bytes())
    at = len(data) // 2 if where == "middle" else 0
    data[at:at + 4000] = b"\x00garbled" * 500
    damaged.write_bytes(bytes(data))
    line, kept = reextract_damaged(out, tmp_path)
    assert f"warc/{damaged.name} @" in line and ": damaged: " in line, line
    offset = int(line.split(" @", 1)[1].split(":")[0])
    assert offset <= at, (offset, at)
    wanted = expected_before(out, damaged, offset)
    assert [r["warc"] for r in kept] == [r["warc"] for r in wanted]


def test_an_interrupted_reextract_leaves_no_temporary_file(archive, tmp_path, monkeypatch):
    """Whatever stops the writing (here Ctrl-C at the fifth page), neither a temporary
    file nor a partial output is left."""
    import crawler.extract
    from crawler.reextract import write_reextracted

    real, calls = crawler.extract.extract, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(crawler.extract, "extract", interrupted)
    out = tmp_path / "result" / "again.jsonl"
    out.parent.mkdir()
    with pytest.raises(KeyboardInterrupt):
        write_reextracted(archive, out)
    assert len(calls) == 5
    assert list(out.parent.iterdir()) == []
