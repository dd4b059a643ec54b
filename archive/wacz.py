"""``newsarc wacz``: package an archive as one WACZ file (the ``wacz`` library).

The package holds the WARC files, their index and a page list (``pages.jsonl``) of every
archived article with its headline and capture time, so ReplayWeb.page opens it on a list
of articles rather than a bare URL prompt.

The WARC files are checked first: one cut off or garbled stops the packaging with a line
naming it, rather than a package that fails validation half-way.  The package is written
under a temporary name beside ``out`` and renamed once it validates: whole or not at all.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from archive.corpus import CORPUS_NAME, read_records
from archive.errors import DamagedFile
from archive.index import index_path
from archive.replay import AliasRule
from archive.safeio import staged
from archive.schema import captured_url
from archive.sources import compression, first_damage
from archive.warc import warc_files


def _pages(archive: Path, out: Path) -> int:
    """Write ``pages.jsonl``: the latest capture of every article in the corpus."""
    latest: dict[int, dict] = {}
    corpus = archive / CORPUS_NAME
    if corpus.exists():
        for record in read_records(corpus):
            if record.get("warc"):
                latest[record["id"]] = record
    with out.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"format": "json-pages-1.0", "id": "pages",
                                 "title": "Archived articles"}) + "\n")
        for record in sorted(latest.values(), key=lambda r: r["id"]):
            handle.write(json.dumps({
                "id": f"article-{record['id']}-v{record.get('version', 1)}",
                "url": captured_url(record),
                "ts": record["warc"]["date"],
                "title": record["title"],
            }, ensure_ascii=False) + "\n")
    return len(latest)


def package(archive: Path, out: Path, title: str | None = None) -> int:
    """Create ``out`` from the archive's WARC files; return the number of pages listed."""
    from wacz.main import main as wacz_main

    warcs = warc_files(archive)
    if not warcs:
        raise ValueError(f"{archive} has no finished WARC files to package")
    for path in warcs:
        if compression(path) == "whole":
            raise DamagedFile(path, "one gzip stream for all its records, which a WACZ "
                              "reader cannot seek into",
                              "`newsarc import` stores such a file decompressed")
        damage = first_damage(path)  # a plain .warc/.arc file has no gzip to check
        if damage is not None:
            raise DamagedFile(path, f"damaged at byte {damage[0]} ({damage[1]})",
                              f"`newsarc verify {archive}` lists the damage; package a "
                              "sound copy, or move the file out of the archive to package "
                              "the rest")
    with staged([out]) as (temp,), tempfile.TemporaryDirectory() as scratch:
        pages = Path(scratch) / "pages.jsonl"
        count = _pages(archive, pages)
        args = ["create", "-o", str(temp), "-p", str(pages), "--copy-pages",
                "--title", title or f"newsarc archive {archive.name}", *map(str, warcs)]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main(args)
        if status:
            raise ValueError(f"wacz could not package {archive}: {log.getvalue().strip()}")
        with contextlib.redirect_stdout(io.StringIO()):
            if wacz_main(["validate", "-f", str(temp)]):
                raise ValueError(f"{out} did not validate as WACZ")
    return count


def _char_class(chars: list[str]) -> str:
    """The inside of ``[...]`` for sorted ``chars``, runs of three or more as ranges."""
    runs: list[list[str]] = []
    for char in chars:
        if runs and ord(char) == ord(runs[-1][-1]) + 1:
            runs[-1].append(char)
        else:
            runs.append([char])
    return "".join(re.escape(r[0]) + "-" + re.escape(r[-1]) if len(r) > 2
                   else "".join(map(re.escape, r)) for r in runs)


def _alternation(values: Iterable[str]) -> str:
    """A regular expression matching exactly ``values`` (digits and letters), as a trie
    (``10(?:0[0-4]|12)``): a plain alternation of 100,000 numbers would be 8 times longer."""
    trie: dict[str, Any] = {}
    for value in values:
        node = trie
        for char in value:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = {c: child for c, child in node.items() if c}
        if not branches:
            return ""
        leaves = sorted(c for c, child in branches.items() if list(child) == [""])
        parts = [re.escape(c) + pattern(child) for c, child in sorted(branches.items())
                 if c not in leaves or len(leaves) == 1]
        if len(leaves) > 1:
            parts.append("[" + _char_class(leaves) + "]")
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        if ends:
            body = ("(?:" + body + ")" if len(parts) == 1 and len(body) > 1 else body) + "?"
        return body

    return pattern(trie)


def captured_values(archive: Path, rule: AliasRule) -> list[str]:
    """The key values of the canonical URLs the archive's index holds a capture of."""
    values: set[str] = set()
    index = index_path(archive)
    if not index.exists():
        raise ValueError(f"{index} is missing: `newsarc merge {archive}` rebuilds it")
    with index.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split(" ", 2)
            if len(fields) < 3 or f")/{rule.canonical_path.lower().lstrip('/')}?" not in fields[0]:
                continue
            url = json.loads(fields[2]).get("url", "")
            value = rule.value(url)
            if value is not None and url == rule.canonical_url(url, value):
                values.add(value)
    return sorted(values)


def replayweb_config(archive: Path, rules: Sequence[AliasRule]) -> dict[str, Any]:
    """ReplayWeb.page's ``config`` for a page that embeds this archive's WACZ: rules that
    take a link in any form of ``rules`` to the canonical capture it names.

    ReplayWeb.page matches a page of a WACZ by its exact URL, so such links show its
    "not found" page; a WACZ cannot carry rules of its own, but the embedding page can
    (``<replay-web-page config='...'>``, ``{"fuzzy": [[regex, replacement]]}``).  After
    rewriting a URL, ReplayWeb.page falls back to its own fuzzy matching, which answers a
    value not captured with the page of the nearest one: each rule therefore lists the
    values captured, and a link to any other is left alone, to be not found.
    """
    fuzzy = []
    for rule in rules:
        values = captured_values(archive, rule)
        if not values:
            continue
        paths = "|".join(re.escape(p) for p in rule.paths())
        key = re.escape(rule.key)
        fuzzy.append([f"^(https?://[^/?#]+)(?:{paths})\\?(?:[^#]*&)?{key}=({_alternation(values)})"
                      "(?:[&#].*)?$", f"$1{rule.canonical_path}?{rule.key}=$2"])
    return {"fuzzy": fuzzy}
