"""The script a user would write instead of newsarc: the baseline of bench/results.py.

Sequential urllib and ``trafilatura.extract(..., with_metadata=True)``, as a tutorial
would have it: walk the outlet's full article list page by page (stopping where the CMS
repeats its last page, the one quirk a user learns quickly), fetch every article once,
and write one JSON line per article.  No WARC, no index, no catalog, no retries, no
politeness: the fastest honest version of "just scrape it".

Run: ``.venv/bin/python bench/plain_script.py SITE OUT.jsonl``; prints the article count.
"""

from __future__ import annotations

import sys
from urllib.parse import urljoin
from urllib.request import urlopen

import trafilatura
from lxml import html


def fetch(url: str) -> bytes:
    with urlopen(url, timeout=30) as response:
        return response.read()


def article_links(site: str) -> list[str]:
    """Every article link of the full list, newest first, each once."""
    links: dict[str, None] = {}
    previous: list[str] = []
    page = 1
    while True:
        url = f"{site}/news/article_list_all.html?page={page}"
        tree = html.fromstring(fetch(url))
        found = [urljoin(url, href) for href in tree.xpath("//ul[@class='art_list_all']//a/@href")]
        if not found or found == previous:
            return list(links)
        links.update(dict.fromkeys(found))
        previous, page = found, page + 1


def main() -> int:
    site, out = sys.argv[1].rstrip("/"), sys.argv[2]
    count = 0
    with open(out, "w", encoding="utf-8") as handle:
        for url in article_links(site):
            record = trafilatura.extract(fetch(url), url=url, with_metadata=True,
                                         output_format="json")
            if record:
                handle.write(record.replace("\n", " ") + "\n")
                count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
