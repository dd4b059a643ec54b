"""The replica's deterministic content model: what the outlet has published, without HTML.

Tests and benchmarks import this module to know the ground truth (titles, dates,
reporters, the exact paragraphs a clean extractor must return) of every page the
replica serves.  Everything is derived from a seed with private ``random.Random``
instances, never global randomness or the clock, so two builds are equal.

One article is real: the outlet's page dumped in ``shared/outlet/sample-article.txt``,
stored as ``data/sample_article.json``; the rest is generated Korean news text.
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsarc.replica import lexicon

KST = timezone(timedelta(hours=9))
DATA_DIR = Path(__file__).with_name("data")

FIRST_ID = 1000
GAP_RATE = 0.08
BASE_START = datetime(2021, 7, 5, tzinfo=KST)
BASE_NOW = datetime(2024, 6, 20, 18, 0, tzinfo=KST)  # generation 0's "now"
GENERATION_STEP = timedelta(hours=6)  # generation g is g steps after BASE_NOW
NEW_PER_GENERATION = 5
EDITS_PER_GENERATION = 3
RECENT_SPAN = timedelta(days=3)  # the newest tenth of the base articles lie in this span
EDIT_SPAN = timedelta(days=2)  # edits touch articles published this close to the update
TEMPLATES = ("arv_001", "arv_005", "old")
DEFAULT_SKIN = "default"  # the mediaOn skin generations above, as the outlet serves them
REDESIGN = "redesign"  # a later skin whose markup no profile was written for
SKINS = (DEFAULT_SKIN, REDESIGN)


@dataclass(frozen=True)
class Reporter:
    name: str
    email: str | None


@dataclass(frozen=True)
class Section:
    no: str  # e.g. "S1N1"
    name: str  # e.g. "정치"


@dataclass(frozen=True)
class Photo:
    path: str  # "/data/photos/YYYYMMWW/art_<digits>_<hex>.jpg"
    caption: str | None
    position: int = 0  # shown just before paragraph number `position` (0-based)


@dataclass(frozen=True)
class Article:
    id: int
    section: Section
    title: str
    subtitle: str | None
    reporters: tuple[Reporter, ...]
    published: datetime
    modified: datetime | None
    paragraphs: tuple[str, ...]
    photos: tuple[Photo, ...]
    template: str  # "arv_001" | "arv_005" | "old"
    signature_inside: bool
    related: tuple[int, ...]
    ad_in_body: bool

    @property
    def last_modified(self) -> datetime:
        """The date HTTP caching uses: the edit if any, else publication."""
        return self.modified or self.published


SECTIONS: tuple[Section, ...] = tuple(
    Section(f"S1N{i}", name) for i, name in enumerate(lexicon.TOPICS, start=1)
)
_SECTION_WEIGHTS = (14, 18, 20, 12, 18, 8, 10)

REPORTERS: tuple[Reporter, ...] = (
    Reporter("안용운", "csijak@naver.com"),
    Reporter("박서진", "sjpark@nmtimes.example"),
    Reporter("이도훈", "dohoon.lee@nmtimes.example"),
    Reporter("최하윤", "hayun@nmtimes.example"),
    Reporter("정민재", "mjjung@nmtimes.example"),
    Reporter("강수연", None),
    Reporter("윤재형", "jh.yoon@nmtimes.example"),
    Reporter("한지수", None),
    Reporter("오태석", "tsoh@nmtimes.example"),
    Reporter("서유나", "yuna.seo@nmtimes.example"),
)
_REPORTER_WEIGHTS = (16, 12, 12, 10, 10, 6, 10, 5, 10, 9)


@dataclass
class Site:
    """Everything the replica serves for one generation; indexes are built lazily."""

    name: str
    articles: dict[int, Article]
    missing: frozenset[int]
    sections: tuple[Section, ...]
    reporters: tuple[Reporter, ...]
    page_size: int = 20
    generation: int = 0
    size: int = 240
    seed: int = 20240614
    now: datetime = BASE_NOW
    sample_id: int = 0
    skin: str = DEFAULT_SKIN
    skin_newest: int | None = None  # with the redesign: only from the newest K articles on
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def skin_of(self, art: Article) -> str:
        """The skin an article's pages are rendered in.

        With ``skin_newest`` K the redesign went live on the newest K articles of
        generation 0, and every article published after them has it too: a relaunch is
        not undone by the next update, so later generations only add redesigned pages.
        """
        if self.skin == DEFAULT_SKIN:
            return DEFAULT_SKIN
        if self.skin_newest is None:
            return self.skin
        first = self._cache.get("skin_from")
        if first is None:
            base = sorted(i for i, a in self.articles.items() if a.published <= BASE_NOW)
            first = base[-self.skin_newest] if self.skin_newest <= len(base) else 0
            self._cache["skin_from"] = first
        return self.skin if art.id >= first else DEFAULT_SKIN

    def _newest(self) -> list[Article]:
        """Shared newest-first list; callers in this package must not mutate it."""
        if "latest" not in self._cache:
            arts = sorted(self.articles.values(), key=lambda a: (a.published, a.id))
            arts.reverse()
            self._cache["latest"] = arts
        return self._cache["latest"]

    def latest(self) -> list[Article]:
        """All live articles, newest first by (published, id)."""
        return list(self._newest())

    def section(self, sec_no: str) -> Section | None:
        """The section with this number, or None."""
        return next((s for s in self.sections if s.no == sec_no), None)

    def in_section(self, sec_no: str) -> list[Article]:
        """The section's articles, newest first (empty for an unknown section)."""
        index = self._cache.get("by_section")
        if index is None:
            index = {}
            for art in self._newest():
                index.setdefault(art.section.no, []).append(art)
            self._cache["by_section"] = index
        return index.get(sec_no, [])

    def by_writer(self, name: str) -> list[Article]:
        """The articles a reporter (co-)wrote, newest first."""
        index = self._cache.get("by_writer")
        if index is None:
            index = {}
            for art in self._newest():
                for rep in art.reporters:
                    index.setdefault(rep.name, []).append(art)
            self._cache["by_writer"] = index
        return index.get(name, [])

    def photo_paths(self) -> frozenset[str]:
        """Every photo path some article shows (the server 404s the rest)."""
        if "photos" not in self._cache:
            self._cache["photos"] = frozenset(
                p.path for a in self.articles.values() for p in a.photos
            )
        return self._cache["photos"]


def byline_prefix(art: Article) -> str:
    """The CMS's prefix on the first paragraph: "뉴미디어타임즈 NAME 기자 | "."""
    return f"뉴미디어타임즈 {'·'.join(r.name for r in art.reporters)} 기자 | "


def reporter_line(rep: Reporter) -> str:
    """"NAME 기자 EMAIL", or "NAME 기자" for a reporter without an email."""
    return f"{rep.name} 기자 {rep.email}" if rep.email else f"{rep.name} 기자"


def signature(art: Article) -> str:
    """The signature line under the body; co-authors are joined with ", "."""
    return ", ".join(reporter_line(r) for r in art.reporters)


@lru_cache(maxsize=1)
def outlet() -> dict[str, Any]:
    """The outlet's footer facts, transcribed from the real page."""
    return json.loads((DATA_DIR / "outlet.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _sample_data() -> dict[str, Any]:
    return json.loads((DATA_DIR / "sample_article.json").read_text(encoding="utf-8"))


def sample_published() -> datetime:
    """Publication time of the real article."""
    return datetime.fromisoformat(_sample_data()["published"])


def _sample_article(article_id: int) -> Article:
    """The real article with the id its date earns in this build."""
    data = _sample_data()
    section = next(s for s in SECTIONS if s.name == data["section"])
    return Article(
        id=article_id,
        section=section,
        title=data["title"],
        subtitle=data["subtitle"],
        reporters=tuple(Reporter(r["name"], r["email"]) for r in data["reporters"]),
        published=sample_published(),
        modified=None,
        paragraphs=tuple(data["paragraphs"]),
        photos=tuple(Photo(p["path"], p["caption"], p["position"]) for p in data["photos"]),
        template=data["template"],
        signature_inside=data["signature_inside"],
        related=tuple(data["related"]),
        ad_in_body=data["ad_in_body"],
    )


def _norm(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(rng: random.Random, topics: tuple[str, ...],
                focus: dict[str, str]) -> list[str]:
    """3-12 paragraphs: a lead, then 1-4 sentences each, sometimes a photo credit last."""
    count = rng.randint(3, 12)
    deck: list[str] = []

    def sentence() -> str:
        # Templates come from a shuffled deck so that one article rarely repeats itself.
        if not deck:
            deck.extend(lexicon.SENTENCES)
            rng.shuffle(deck)
        return lexicon.fill(rng, deck.pop(), topics, focus)

    lead = [lexicon.fill(rng, lexicon.pick(rng, lexicon.LEADS), topics, focus)]
    lead += [sentence() for _ in range(rng.randint(0, 2))]
    paras = [_norm(" ".join(lead))]
    for _ in range(count - 1):
        paras.append(_norm(" ".join(sentence() for _ in range(rng.randint(1, 4)))))
    if rng.random() < 0.12:
        credit = f"[사진={lexicon.pick(rng, lexicon.PLACES)[1]}]"
        if count < 12:
            paras.append(credit)
        else:
            paras[-1] = credit
    return paras


def photo_dir(published: datetime) -> str:
    """"YYYYMMWW": month of publication plus its ISO week, as the CMS names photo folders."""
    return f"{published:%Y%m}{published.isocalendar().week:02d}"


def _photos(rng: random.Random, published: datetime, n_paras: int,
            topics: tuple[str, ...], focus: dict[str, str]) -> tuple[Photo, ...]:
    """0-2 photos: the first usually before the first paragraph, a second further down."""
    count = rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
    positions = [0 if rng.random() < 0.7 else 1]
    if count == 2:
        positions.append(rng.randint(positions[0] + 1, max(positions[0] + 1, n_paras - 1)))
    photos = []
    for pos in positions[:count]:
        digits = f"{int(published.timestamp())}{rng.randint(1000, 9999)}"
        name = f"art_{digits}_{rng.getrandbits(24):06x}"
        caption = lexicon.fill(rng, lexicon.pick(rng, lexicon.CAPTIONS), topics, focus) \
            if rng.random() < 0.75 else None
        photos.append(Photo(f"/data/photos/{photo_dir(published)}/{name}.jpg",
                            caption and _norm(caption), min(pos, n_paras - 1)))
    return tuple(photos)


def _make_article(seed: int, article_id: int, published: datetime, now: datetime,
                  recent: dict[str, list[int]]) -> Article:
    """One generated article; its content depends only on (seed, id, published, now)."""
    rng = random.Random(seed * 1_000_003 + article_id)
    section = rng.choices(SECTIONS, weights=_SECTION_WEIGHTS)[0]
    topics = lexicon.TOPICS[section.name]
    reporters = [rng.choices(REPORTERS, weights=_REPORTER_WEIGHTS)[0]]
    if rng.random() < 0.05:
        reporters.append(rng.choice([r for r in REPORTERS if r != reporters[0]]))
    focus = lexicon.focus(rng, topics) | {"year": str(published.year)}
    title = _norm(lexicon.fill(rng, lexicon.pick(rng, lexicon.TITLES), topics, focus))
    subtitle = _norm(lexicon.fill(rng, lexicon.pick(rng, lexicon.SUBTITLES), topics, focus)) \
        if rng.random() < 0.3 else None
    paragraphs = _paragraphs(rng, topics, focus)
    modified = None
    if rng.random() < 0.3:
        minutes = rng.choice((rng.randint(3, 90), rng.randint(60, 600), rng.randint(1440, 4320)))
        modified = published + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        modified = modified if modified < now else None
    pool = recent.get(section.no, [])[-40:]
    related: tuple[int, ...] = ()
    if pool and rng.random() < 0.25:
        related = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, 3))),
                               reverse=True))
    return Article(
        id=article_id, section=section, title=title, subtitle=subtitle,
        reporters=tuple(reporters), published=published, modified=modified,
        paragraphs=tuple(paragraphs),
        photos=_photos(rng, published, len(paragraphs), topics, focus),
        template=rng.choices(TEMPLATES, weights=(4, 4, 2))[0],
        signature_inside=rng.random() < 0.5, related=related,
        ad_in_body=rng.random() < 0.35,
    )


_HOURS = tuple(range(6, 23))
_HOUR_WEIGHTS = (2, 5, 8, 9, 9, 8, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 2)


def _base_times(rng: random.Random, count: int) -> list[datetime]:
    """Sorted publication times over 2021-07 .. 2024-06, mostly in working hours.

    A tenth of them fall in the last three days before BASE_NOW, as on a live outlet whose
    recent days are complete: that is where edits happen and what a recheck window covers.
    """
    days = (BASE_NOW.date() - BASE_START.date()).days
    recent = max(3, count // 10)
    hours = rng.choices(_HOURS, weights=_HOUR_WEIGHTS, k=count)
    times = [
        BASE_START + timedelta(days=rng.randrange(days), hours=h,
                               seconds=rng.randrange(3600))
        for h in hours[recent:]
    ]
    recent_start = BASE_NOW - RECENT_SPAN
    times += [recent_start + timedelta(seconds=rng.randrange(int(RECENT_SPAN.total_seconds())))
              for _ in hours[:recent]]
    times.sort()
    return times


class _Builder:
    """Mutable state while a site is assembled; ids are handed out in publication order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.articles: dict[int, Article] = {}
        self.missing: set[int] = set()
        self.recent: dict[str, list[int]] = {}
        self.next_id = FIRST_ID

    def skip_id(self) -> None:
        self.missing.add(self.next_id)
        self.next_id += 1

    def add(self, art: Article) -> None:
        self.articles[art.id] = art
        self.recent.setdefault(art.section.no, []).append(art.id)
        self.next_id = art.id + 1

    def generated(self, published: datetime, now: datetime) -> Article:
        return _make_article(self.seed, self.next_id, published, now, self.recent)


def _evolve(b: _Builder, size: int, g: int, sample_id: int) -> None:
    """Generation g: 5 new articles (with a new gap or two) and 3 edits of recent ones."""
    rng = random.Random(f"{b.seed}:generation:{size}:{g}")
    start = BASE_NOW + GENERATION_STEP * (g - 1)
    end = start + GENERATION_STEP
    window = int(GENERATION_STEP.total_seconds())
    newest_first = [i for i in sorted(b.articles, reverse=True) if i != sample_id]
    candidates = [i for i in newest_first if b.articles[i].published >= start - EDIT_SPAN]
    candidates = candidates if len(candidates) >= EDITS_PER_GENERATION else newest_first[:10]
    for art_id in rng.sample(candidates, min(EDITS_PER_GENERATION, len(candidates))):
        art = b.articles[art_id]
        topics = lexicon.TOPICS[art.section.name]
        paras = list(art.paragraphs)
        editable = [i for i, p in enumerate(paras) if not p.startswith("[")]
        k = rng.choice(editable)
        added = lexicon.fill(rng, lexicon.pick(rng, lexicon.EDITS), topics)
        paras[k] = _norm(f"{paras[k]} {added}")
        modified = start + timedelta(seconds=rng.randrange(60, window))
        b.articles[art_id] = replace(art, paragraphs=tuple(paras), modified=modified)
    times = sorted(start + timedelta(seconds=rng.randrange(60, window))
                   for _ in range(NEW_PER_GENERATION))
    gaps = set(rng.sample(range(NEW_PER_GENERATION), rng.randint(1, 2)))
    for i, published in enumerate(times):
        if i in gaps:
            b.skip_id()
        b.add(b.generated(published, end))


def build_site(size: int = 240, generation: int = 0, seed: int = 20240614,
               skin: str = DEFAULT_SKIN, skin_newest: int | None = None) -> Site:
    """The outlet as the replica serves it: `size` base articles, then `generation` updates.

    ``skin`` "redesign" renders article pages in a skin no profile knows (see
    :mod:`newsarc.replica.redesign`), on every article or, with ``skin_newest`` K, on the
    newest K and later ones (:meth:`Site.skin_of`).  The content is the same either way.
    """
    if size < 1 or generation < 0:
        raise ValueError("size must be >= 1 and generation >= 0")
    if skin not in SKINS:
        raise ValueError(f"unknown skin {skin!r}: one of {', '.join(SKINS)}")
    if skin_newest is not None and (skin == DEFAULT_SKIN or skin_newest < 1):
        raise ValueError("skin_newest must be >= 1, and only goes with a skin other than "
                         f"{DEFAULT_SKIN!r}")
    rng = random.Random(f"{seed}:timeline:{size}")
    times = _base_times(rng, size - 1)
    sample_at = bisect.bisect_right(times, sample_published())
    times.insert(sample_at, sample_published())
    b = _Builder(seed)
    sample_id = FIRST_ID
    for i, published in enumerate(times):
        while i and rng.random() < GAP_RATE:
            b.skip_id()
        if i == sample_at:
            sample_id = b.next_id
            b.add(_sample_article(sample_id))
        else:
            b.add(b.generated(published, BASE_NOW))
    for g in range(1, generation + 1):
        _evolve(b, size, g, sample_id)
    return Site(
        name=outlet()["name"], articles=b.articles, missing=frozenset(b.missing),
        sections=SECTIONS, reporters=REPORTERS, generation=generation, size=size,
        seed=seed, now=BASE_NOW + GENERATION_STEP * generation, sample_id=sample_id,
        skin=skin, skin_newest=skin_newest,
    )


def sample_article(site: Site) -> Article:
    """The real article of sample-article.txt in this site."""
    return site.articles[site.sample_id]
