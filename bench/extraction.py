"""Extraction benchmark: newsarc's extractor next to the tools people would use instead.

For every article page of the replica (desktop in all three template generations, and the
mobile template) it compares the body each tool returns with the reporter's paragraphs the
replica generated, and prints a Markdown table:

- body F1: token-level F1 against the true paragraphs (mean over pages);
- exact: pages whose body equals the true paragraphs exactly (newsarc's bar);
- boilerplate: pages whose output holds any boilerplate string (zoom label, copyright line,
  bureau addresses, byline prefix, reporter email, a caption, a related-article title);
- ms/page: mean wall time per page, parsing included, single-threaded.

Run: ``.venv/bin/python bench/extraction.py [--size N] [--out FILE]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura
from lxml.html import fromstring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import emit  # noqa: E402

from crawler.extract import Skip, extract  # noqa: E402
from newsarc.replica import render  # noqa: E402
from newsarc.replica.content import Article, Site, build_site  # noqa: E402

ROOT = "http://127.0.0.1:8000"
FIXED_BOILERPLATE = ("크게보기", "저작권법", "취재본부", "기자 |", "관련기사", "기상청")


def newsarc_body(page: str, url: str) -> str:
    result = extract(page, url)
    return "" if isinstance(result, Skip) else result["body"]


def trafilatura_default(page: str, url: str) -> str:
    return trafilatura.extract(page, url=url) or ""


def trafilatura_precision(page: str, url: str) -> str:
    return trafilatura.extract(page, url=url, favor_precision=True) or ""


def trafilatura_fast(page: str, url: str) -> str:
    return trafilatura.extract(page, url=url, fast=True) or ""


def readability_body(page: str, url: str) -> str:
    from readability import Document

    summary = Document(page, url=url).summary(html_partial=True)
    tree = fromstring(summary)
    blocks = [b.text_content().strip() for b in tree.iter("p", "div", "br") if b.text_content()]
    return "\n".join(blocks) if blocks else tree.text_content()


TOOLS: dict[str, Callable[[str, str], str]] = {
    "newsarc": newsarc_body,
    "trafilatura (default)": trafilatura_default,
    "trafilatura (favor_precision)": trafilatura_precision,
    "trafilatura (fast)": trafilatura_fast,
    "readability-lxml": readability_body,
}


def pages(site: Site) -> list[tuple[str, str, Article]]:
    """(label, html, article) for every live article: its desktop page and its mobile page."""
    result = []
    for art in sorted(site.articles.values(), key=lambda a: a.id):
        result.append((art.template, render.article_page(site, art), art))
        result.append(("mobile", render.mobile_article_page(site, art), art))
    return result


def f1(predicted: str, truth: str) -> float:
    """Bag-of-tokens F1, the usual measure of body extraction (e.g. CleanEval, trafilatura)."""
    got, want = Counter(predicted.split()), Counter(truth.split())
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def boilerplate_strings(site: Site, art: Article) -> list[str]:
    """Strings that must never be in a body: chrome, signature, captions, related titles."""
    strings = list(FIXED_BOILERPLATE)
    strings += [r.email for r in art.reporters if r.email]
    strings += [p.caption for p in art.photos if p.caption]
    strings += [site.articles[n].title for n in art.related if n in site.articles]
    return strings


def measure(site: Site, tool: Callable[[str, str], str]) -> dict[str, float]:
    scores, exact, dirty, seconds = [], 0, 0, 0.0
    items = pages(site)
    for _label, page, art in items:
        url = f"{ROOT}/news/article.html?no={art.id}"
        started = time.perf_counter()
        body = tool(page, url)
        seconds += time.perf_counter() - started
        truth = "\n\n".join(art.paragraphs)
        scores.append(f1(body, truth))
        exact += body == truth
        dirty += any(s in body for s in boilerplate_strings(site, art))
    return {
        "pages": len(items),
        "f1": statistics.fmean(scores),
        "exact": exact,
        "boilerplate": dirty,
        "ms": 1000 * seconds / len(items),
    }


def table(site: Site) -> str:
    rows = [
        "| extractor | pages | body F1 | exact bodies | pages with boilerplate | ms/page |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, tool in TOOLS.items():
        m = measure(site, tool)
        rows.append(
            f"| {name} | {m['pages']} | {m['f1']:.3f} | {m['exact']} | {m['boilerplate']} "
            f"| {m['ms']:.1f} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=240, help="replica articles")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    site = build_site(size=args.size)
    first_page = pages(site)[0][1]
    for tool in TOOLS.values():  # warm caches and imports outside the timings
        tool(first_page, ROOT + "/news/article.html?no=1")
    return emit(table(site), args.out)


if __name__ == "__main__":
    sys.exit(main())
