"""Did ``newsarc demo`` archive the whole replica? Run by ``.ci/run`` with the Python of the
fresh environment it installed newsarc into (no extras): ``check_demo.py ARCHIVE [SIZE]``.

The corpus must hold one record for every article of the replica the demo served (the same
``--size``), no more and no fewer, each with a title, a body and its WARC pointer.
"""

import json
import sys
from pathlib import Path

from newsarc.replica.content import build_site


def main(archive: Path, size: int) -> int:
    expected = set(build_site(size, 0).articles)
    corpus = archive / "articles.jsonl"
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")] \
        if corpus.exists() else []
    found = [record["id"] for record in records]
    problems = []
    if len(found) != len(set(found)):
        problems.append(f"{len(found) - len(set(found))} duplicate records")
    if missing := expected - set(found):
        problems.append(f"{len(missing)} articles missing, e.g. {sorted(missing)[:5]}")
    if extra := set(found) - expected:
        problems.append(f"{len(extra)} records that are no article: {sorted(extra)[:5]}")
    incomplete = [r["id"] for r in records
                  if not (r.get("title") and r.get("body") and r.get("warc"))]
    if incomplete:
        problems.append(f"{len(incomplete)} records without a title, body or WARC pointer")
    if problems:
        print(f"check_demo: {archive}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"check_demo: all {len(expected)} replica articles archived")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 240))
