"""A stored version always points at a response record holding the payload it came from.

A server that ignores conditional requests answers a recheck with the whole page again; the
crawl stores that unchanged payload as a revisit record.  When the profile changed since,
the same payload extracts to a new version, and that version must point at the earlier
response record (the payload's one copy), never at the revisit.
"""

from pathlib import Path

from archive.corpus import read_records
from archive.warc import read_payload_at
from crawler.profile import PROFILE_DIR
from newsarc.replica.server import Replica
from tests.conftest import NEWSARC, run


def _profile_with_extra_boilerplate(tmp_path: Path) -> Path:
    """The bundled profile, with one more boilerplate pattern: a change of extraction."""
    text = (PROFILE_DIR / "newmediatimes.toml").read_text(encoding="utf-8")
    marker = "boilerplate = [\n"
    assert marker in text
    changed = text.replace(marker, marker + "    '있다',\n", 1)
    path = tmp_path / "changed.toml"
    path.write_text(changed, encoding="utf-8")
    return path


def test_changed_version_of_an_unchanged_payload_points_at_a_response(tmp_path):
    out = tmp_path / "archive"
    with Replica(size=40, ignore_conditional=True) as replica:
        first = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle")
        assert first.returncode == 0, first.stderr.decode()[-2000:]
        profile = _profile_with_extra_boilerplate(tmp_path)
        again = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                    "--profile", str(profile), "--recheck-days", "36500")
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    records = list(read_records(out / "articles.jsonl"))
    changed = [r for r in records if r["version"] > 1]
    assert changed, "the profile change made no new version: the test proves nothing"
    first_of = {r["id"]: r for r in records if r["version"] == 1}
    for record in changed:
        warc_record, payload = read_payload_at(out, record["warc"])
        assert warc_record.rec_type == "response", record["warc"]
        # The very capture version 1 came from: the payload was not stored twice.
        assert record["warc"]["record_id"] == first_of[record["id"]]["warc"]["record_id"]
        assert payload, record["id"]
    verify = run(NEWSARC, "verify", str(out))
    assert verify.returncode == 0, verify.stdout.decode()[-2000:]
