"""How Korean news signs its articles: bylines, leads and signatures, as pure text functions.

The extractor needs them twice: to keep them out of the body (a lead like
``(세종=연합뉴스) 홍길동 기자 =`` opens the first paragraph, a signature like
``홍길동 기자 hong@example.com`` closes the article, sometimes glued to its last sentence)
and to fill ``authors`` from them when the page header names nobody or gives no e-mail.

Text is cut into tokens (words, e-mails, separators, brackets) and read by a small grammar
rather than by one large regular expression: a signature is short and made only of names,
titles (기자, 특파원 …), outlet names, separators and e-mails, so a paragraph with any other
word (a verb, a particle glued to 기자, a sentence ending) is the reporter's text and stays.

Everything is linear in the input: every regex repetition is bounded, the e-mail pattern can
only start where a run of address characters starts, and the functions that look for a lead
or a trailing signature read a bounded window at the start or end of a paragraph only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict


class Author(TypedDict):
    """One credited writer: ``name`` without its title (기자), ``email`` if the page gives one."""

    name: str
    email: str | None


# A signature longer than this is body text (15 names with titles, or 4 with two e-mails each).
MAX_SIGNATURE = 320
# How far into a paragraph a lead may reach, and how far from its end a glued signature.
_LEAD_WINDOW = 120
_TAIL_WINDOW = MAX_SIGNATURE
# Header texts are read up to this length (a hostile page may hold a huge "byline").
_MAX_HEADER = 1000

# Only where a run of address characters starts (lookbehind): linear on "aaaa…" runs.
_EMAIL = (r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}"
          r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,6}\.[A-Za-z]{2,24}"
          r"(?![A-Za-z0-9-])")
_EMAIL_RE = re.compile(_EMAIL)
_TOKEN_RE = re.compile(
    rf"(?P<email>{_EMAIL})"
    r"|(?P<hangul>[가-힣]{1,40})"
    r"|(?P<latin>[A-Za-z]{1,40})"
    r"|(?P<digit>[0-9]{1,40})"
    r"|(?P<space>\s{1,40})"
    r"|(?P<eq>[=＝])"
    r"|(?P<bar>[|｜ㅣ¦│])"
    r"|(?P<join>[·ㆍ・∙⋅•‧/,，、&])"
    r"|(?P<mark>[▶►▷▲■□◆◇●○※:;.\-–—_~*])"
    r"|(?P<open>[\[(【〔<〈［《「『{＜（])"
    r"|(?P<close>[\])】〕>〉］》」』}＞）])"
    r"|(?P<other>.)",
    re.DOTALL,
)
# Titles that follow a name; a title prefix glued to 기자 is one title (인턴기자).
_TITLE = (r"(?:(?:인턴|수습|객원|선임|수석|전문|사진|영상|취재|시민|명예|대)?기자단?"
          r"|특파원|통신원|객원논설위원|논설위원|논설실장|편집위원|전문위원|칼럼니스트|에디터|리포터)")
_TITLE_RE = re.compile(_TITLE)
_GLUED_RE = re.compile(rf"([가-힣]{{2,5}}?)({_TITLE})")
# Words around names that are neither names nor text: title parts written apart, labels.
_MODIFIERS = frozenset({"인턴", "수습", "객원", "선임", "수석", "전문", "시민", "명예"})
_LABELS = frozenset({"글", "취재", "정리", "이메일", "메일", "email", "mail", "e", "mailto",
                     "by"})
# Credits of someone else's work: "사진=홍길동 기자" names a photographer, not an author.
_CREDITS = frozenset({"사진", "그래픽", "삽화", "영상", "자료", "출처", "일러스트", "제공",
                      "촬영", "디자인", "편집", "캡처", "동영상"})
# Header words that are never names (labels of dates and buttons).
_STOPWORDS = frozenset({"입력", "수정", "승인", "등록", "기사입력", "최종수정", "업데이트", "발행",
                        "게재", "송고", "기사", "뉴스", "공유", "댓글", "인쇄", "구독", "목록",
                        "스크랩", "프린트", "제보", "문의", "다른기사", "보기", "전체"})
# What outlet names end with (an outlet between name and title: "조아라 한경닷컴 기자").
_OUTLET_RE = re.compile(r"[가-힣A-Za-z0-9]{2,20}(?:닷컴|뉴스|일보|신문|방송|경제|타임즈|타임스"
                        r"|투데이|미디어|통신|저널|데일리|코리아|포스트|헤럴드|비즈|신보|매일|티비|TV)")
# Desks credited instead of people: 디지털뉴스팀, 온라인뉴스팀, 편집국, 사회부.
_DESK_RE = re.compile(r"[가-힣A-Za-z]{1,10}(?:팀|취재단|취재반|데스크|센터|뉴스룸)"
                      r"|(?:편집|보도)국|(?:정치|경제|사회|산업|문화|국제|체육|스포츠|연예|편집"
                      r"|온라인|디지털|전국|증권|금융|생활|과학|사진|지방)부")
# Compound surnames: the only common way a person's name has four syllables.
_COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금")
# Endings of verbs and particles that no name has: the word belongs to a sentence.
_NOT_NAME_RE = re.compile(r"(?:다|요|죠|를|했|며|께|는|에게|에서|한테|으로|니다)$|기자")
# A sentence ending (…다. …요?): a signature never has one.
_SENTENCE_END_RE = re.compile(r"[다요죠까네니][.!?。]|[.!?]\s*[\"'”’]")
_FINAL = ".!?…\"'”’」』)]>"
_OPENERS = "/▶►[(【<〈［《「"


@dataclass
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class _Group:
    """Names credited together (under one title, or before one e-mail) and their e-mails."""

    names: list[str]
    emails: list[str] = field(default_factory=list)
    titled: bool = True


def emails_in(text: str) -> list[str]:
    """The e-mail addresses in ``text``, in order, without repeats.

    Linear in ``text`` (the usual ``[\\w.+-]+@…`` pattern is quadratic on long runs of word
    characters) and ASCII only, so ``help@x.kr로`` yields ``help@x.kr``.
    """
    return list(dict.fromkeys(m.group(0) for m in _EMAIL_RE.finditer(text)))


def header_authors(texts: Iterable[str], outlets: Collection[str] = ()) -> list[Author]:
    """Authors from the texts of header or byline elements (``ul.art_info`` items, a writer box).

    Such an element is a byline by its place, so words that are no name (dates, labels like
    ``입력``, buttons) are passed over instead of disqualifying the text; a text that is one
    name alone (``디지털뉴스팀``, ``김정훈 kjhnpce1@…``) names its author without a title.
    """
    found: list[Author] = []
    for text in texts:
        tokens = _tokens(text[:_MAX_HEADER])
        groups = _read(tokens, strict=False, known=(), outlets=outlets)
        if groups is not None and not any(g.names for g in groups):
            groups = _lone_name(tokens, outlets) or groups
        found.extend(_assign(groups or [], ()))
    return merge_authors(found)


def strip_lead(paragraph: str, outlets: Collection[str] = ()) -> tuple[str, list[Author]]:
    """``paragraph`` without the byline lead that opens it, and the authors the lead names.

    Leads: ``뉴미디어타임즈 홍길동 기자 | …``, ``[매체=홍길동 기자] …``, ``(서울=연합뉴스) 홍길동
    기자 = …``, ``[매체] 디지털뉴스팀 = …``, ``[매체 홍길동] …``, ``홍길동·김철수 기자 = …``.  The
    sentence after the lead is kept; a paragraph without a lead comes back unchanged.
    ``outlets`` are outlet names the page gives (og:site_name, the profile's name).
    """
    head = paragraph[:_LEAD_WINDOW]
    tokens = [t for t in _tokens(head) if t.kind != "space"]
    if not tokens:
        return paragraph, []
    start = 0
    dateline = False
    if tokens[0].kind == "open":
        close = _matching_close(tokens)
        if close is None:
            return paragraph, []
        inner = tokens[1:close]
        kind, names = _bracket(inner, outlets)
        if kind == "byline":
            return paragraph[tokens[close].end:].lstrip(), _authors(names)
        dateline = kind == "dateline"
        start = close + 1
    body = _lead_body(tokens, start, outlets)
    if body is not None:
        end, names = body
        return paragraph[end:].lstrip(), _authors(names)
    if dateline:
        return paragraph[tokens[start - 1].end:].lstrip(), []
    return paragraph, []


def signature_authors(paragraph: str, known: Sequence[Author] | None = None,
                      outlets: Collection[str] = ()) -> list[Author] | None:
    """The authors a closing signature line names, or None when ``paragraph`` is no signature.

    A signature is short and holds only names, titles, outlet names, separators and e-mails,
    with a title or an e-mail at least: ``홍길동 기자 hong@x.kr``, ``주용석/노경목 기자 …``,
    ``[매체 MTN = 유찬 기자 (curry30@…)]``, ``/seon@osen.co.kr``.  An e-mail goes to the name
    it is written with (the first of a group), else to the ``known`` reporter (from the page
    header) it belongs to; an e-mail that names nobody comes back with the name ``""``.
    With ``known``, a short line holding a known name with its title or a known e-mail is a
    signature even with a few other words (``제보``) the grammar does not know.
    """
    text = " ".join(paragraph.split())
    if not text or len(text) > MAX_SIGNATURE or _SENTENCE_END_RE.search(text):
        return None
    # Every signature holds a title or an e-mail: most body lines end here, untokenized.
    if "@" not in text and not _TITLE_RE.search(text):
        return None
    known = known or ()
    groups = _read(_tokens(text), strict=True, known=known, outlets=outlets)
    if groups is None:
        return _known_signature(text, known, outlets)
    return _assign(groups, known)


def strip_trailing_signature(paragraph: str, known: Sequence[Author] | None = None,
                             outlets: Collection[str] = ()) -> tuple[str, list[Author]]:
    """``paragraph`` without a signature glued to its end, and the authors it names.

    ``…아쉽기도 하다. /seon@osen.co.kr`` -> ``…아쉽기도 하다.``.  The signature must follow a
    sentence end and itself end with an e-mail or with a ``known`` name and its title (a
    stranger's name at the end of a sentence may be the reporter's text).  A paragraph that
    is a signature as a whole comes back empty.
    """
    text = paragraph.rstrip()
    whole = signature_authors(text, known, outlets) if len(text) <= MAX_SIGNATURE else None
    if whole is not None:
        return "", whole
    base = max(1, len(text) - _TAIL_WINDOW)
    for i in range(base, len(text)):
        if text[i].isspace() or not (text[i - 1].isspace() or text[i - 1] in _FINAL
                                     or text[i] in _OPENERS):
            continue
        before = text[:i].rstrip()
        if not before or before[-1] not in _FINAL:
            continue
        suffix = text[i:]
        if not _anchored(suffix, known or ()):
            continue
        authors = signature_authors(suffix, known, outlets)
        if authors is not None:
            return before, authors
    return paragraph, []


def merge_authors(*lists: Iterable[Author]) -> list[Author]:
    """One list of authors: order of first mention kept, no name twice, e-mails filled in.

    A later mention's e-mail fills a name that had none; an author with the name ``""`` (an
    e-mail that named nobody) gives its e-mail to the first author without one, unless some
    author has it already, and is dropped if nobody can take it.
    """
    merged: dict[str, Author] = {}
    nameless: list[str] = []
    for authors in lists:
        for author in authors:
            name, email = author["name"].strip(), author["email"]
            if not name:
                if email:
                    nameless.append(email)
            elif name not in merged:
                merged[name] = {"name": name, "email": email}
            elif merged[name]["email"] is None:
                merged[name]["email"] = email
    result = list(merged.values())
    for email in nameless:
        if any(a["email"] == email for a in result):
            continue
        target = next((a for a in result if a["email"] is None), None)
        if target is not None:
            target["email"] = email
    return result


# --- tokens and words ---------------------------------------------------------------------

def _tokens(text: str) -> list[_Token]:
    return [_Token(m.lastgroup or "other", m.group(0), m.start(), m.end())
            for m in _TOKEN_RE.finditer(text)]


def _word_kind(word: str, outlets: Collection[str], known_names: Collection[str]) -> str:
    """What a word is in a byline: title, name, desk, outlet, label, credit, stop or unknown."""
    if word in known_names:
        return "name"
    if _TITLE_RE.fullmatch(word):
        return "title"
    if word in outlets:
        return "outlet"
    lower = word.lower()
    if lower in _LABELS:
        return "label"
    if word in _CREDITS:
        return "credit"
    if word in _MODIFIERS:
        return "modifier"
    if word in _STOPWORDS:
        return "stop"
    if _GLUED_RE.fullmatch(word) and _is_name(_glued_name(word)):
        return "glued"
    if _DESK_RE.fullmatch(word):
        return "desk"
    if word.isascii():
        if word.isupper() and 2 <= len(word) <= 8:
            return "outlet"  # an acronym: MTN, OSEN
        return "latin" if re.fullmatch(r"[A-Z][a-z]{1,20}", word) else "unknown"
    if (_OUTLET_RE.fullmatch(word) and len(word) >= 4) or len(word) > 5:
        return "outlet"
    return "name" if _is_name(word) else "unknown"


def _is_name(word: str) -> bool:
    return 2 <= len(word) <= 5 and not _NOT_NAME_RE.search(word) and word not in _STOPWORDS


def _glued_name(word: str) -> str:
    match = _GLUED_RE.fullmatch(word)
    return match.group(1) if match else ""


def _is_person(name: str, known_names: Collection[str]) -> bool:
    """A name that may stand beside other names (space-separated names are short)."""
    if name in known_names or " " in name or name.isascii():
        return True
    if _DESK_RE.fullmatch(name):
        return False
    return len(name) <= 3 or (len(name) == 4 and name.startswith(_COMPOUND_SURNAMES))


def _names_of(pending: list[str], known_names: Collection[str]) -> list[str]:
    """Names credited together: beside people, long words are outlets and desks are labels."""
    if len(pending) < 2:
        return list(pending)
    people = [n for n in pending if _is_person(n, known_names)]
    return people or [n for n in pending if _DESK_RE.fullmatch(n)]


# --- the grammar --------------------------------------------------------------------------

def _read(tokens: list[_Token], *, strict: bool, known: Sequence[Author],
          outlets: Collection[str]) -> list[_Group] | None:
    """Groups of names with their e-mails, read from byline tokens.

    ``strict`` (a signature): any word that is no name, title, outlet or label, any digit or
    stray character makes the whole text no signature (None).  Not strict (a header
    element): such words only break the run of names before a title.
    """
    known_names = {a["name"] for a in known}
    groups: list[_Group] = []
    pending: list[str] = []
    last_kind = ""  # kind of the previous non-space token
    seen_title = seen_email = credit = False
    for token in tokens:
        kind = token.kind
        if kind == "space":
            continue
        if kind in ("hangul", "latin"):
            word_kind = _word_kind(token.text, outlets, known_names)
            if word_kind == "latin" and last_kind == "latin" and pending:
                pending[-1] += " " + token.text  # "John Smith": one name
            elif word_kind in ("title", "glued"):
                if word_kind == "glued":
                    pending.append(_glued_name(token.text))
                groups.append(_Group(_names_of(pending, known_names)))
                pending = []
                seen_title = True
            elif word_kind in ("name", "desk", "latin"):
                pending.append(token.text)
                if len(pending) > 8:
                    if strict:
                        return None
                    del pending[0]
            elif word_kind == "credit":
                pass
            elif word_kind in ("unknown", "stop"):
                if strict:
                    return None
                pending = []
            last_kind = word_kind
            continue
        if kind == "email":
            if pending:
                groups.append(_Group(_names_of(pending, known_names), titled=False))
                pending = []
            if not groups:
                groups.append(_Group([], titled=False))
            groups[-1].emails.append(token.text)
            seen_email = True
        elif kind == "eq":
            credit = credit or last_kind == "credit"
            pending = []  # a place or an outlet: "세종=박경담", "OSEN=선미경"
        elif kind in ("digit", "other"):
            if strict:
                return None
            pending = []
        last_kind = kind
    if strict:
        if credit or not (seen_title or seen_email):
            return None
        if pending:
            groups.append(_Group(_names_of(pending, known_names), titled=False))
        for group in groups:
            if not group.titled and not all(
                    n in known_names or _DESK_RE.fullmatch(n) for n in group.names):
                return None  # untitled words are names only when the page says so
    return groups


def _assign(groups: list[_Group], known: Sequence[Author]) -> list[Author]:
    """Authors of the groups: each e-mail to its known owner, else the group's names in order."""
    owners = {a["email"]: a["name"] for a in known if a["email"]}
    authors: list[Author] = []
    for group in groups:
        mine: list[Author] = [{"name": n, "email": None} for n in group.names]
        for email in dict.fromkeys(group.emails):
            owner = owners.get(email)
            target = next((a for a in mine if a["name"] == owner), None)
            target = target or next((a for a in mine if a["email"] is None), None)
            if target is not None:
                target["email"] = email
            elif not mine:
                authors.append({"name": _nameless_owner(email, known), "email": email})
        authors.extend(mine)
    named = merge_authors(a for a in authors if a["name"])
    return named + [a for a in authors if not a["name"]]


def _nameless_owner(email: str, known: Sequence[Author]) -> str:
    """Whose an e-mail that names nobody is: its known owner, else the first known reporter
    without an e-mail, else nobody ("")."""
    for author in known:
        if author["email"] == email:
            return author["name"]
    return next((a["name"] for a in known if a["email"] is None), "")


def _lone_name(tokens: list[_Token], outlets: Collection[str]) -> list[_Group] | None:
    """A header text that is one name and maybe e-mails: ``디지털뉴스팀``, ``김정훈 kj@…``."""
    words = [t.text for t in tokens if t.kind in ("hangul", "latin")]
    if any(t.kind in ("digit", "other") for t in tokens):
        return None
    if len(words) == 1 and _word_kind(words[0], outlets, ()) in ("name", "desk"):
        return [_Group(words, [t.text for t in tokens if t.kind == "email"])]
    return None


def _known_signature(text: str, known: Sequence[Author],
                     outlets: Collection[str]) -> list[Author] | None:
    """A short line naming a known reporter with title or e-mail, plus a few other words."""
    if not known or not _anchored(text, known, anywhere=True):
        return None
    rest = text
    for author in known:
        rest = rest.replace(author["name"], " ")
    rest = _EMAIL_RE.sub(" ", rest)
    words = [t.text for t in _tokens(rest) if t.kind in ("hangul", "latin", "digit")]
    kinds = [_word_kind(w, outlets, ()) for w in words]
    extra = [w for w, k in zip(words, kinds, strict=True)
             if k not in ("title", "outlet", "label", "modifier")]
    if "credit" in kinds or sum(map(len, extra)) > 6 or any(map(_NOT_NAME_RE.search, extra)):
        return None
    found: list[Author] = [
        {"name": a["name"], "email": a["email"] if a["email"] and a["email"] in text else None}
        for a in known if a["name"] in text
    ]
    found += [{"name": "", "email": e} for e in emails_in(text)]
    return merge_authors(found) or None


def _anchored(text: str, known: Sequence[Author], anywhere: bool = False) -> bool:
    """Whether a text ends (or, ``anywhere``, holds) an e-mail or a known name with title."""
    tail = text.rstrip(" \t\n" + _FINAL + "】〕〉］》」』}＞）")
    if anywhere and _EMAIL_RE.search(text) and any(
            a["email"] and a["email"] in text for a in known):
        return True
    if not anywhere:
        window = tail[-90:]
        ends = [m.end() for m in _EMAIL_RE.finditer(window)]
        if ends and ends[-1] == len(window):
            return True
    for author in known:
        pattern = re.escape(author["name"]) + rf"\s{{0,3}}{_TITLE}"
        if anywhere and re.search(pattern + r"(?![가-힣])", text):
            return True
        if re.search(pattern + r"$", tail):
            return True
    return False


# --- leads --------------------------------------------------------------------------------

def _matching_close(tokens: list[_Token]) -> int | None:
    """Index of the bracket closing ``tokens[0]``, within 40 characters."""
    depth = 0
    for i, token in enumerate(tokens):
        if token.start - tokens[0].start > 40:
            return None
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
            if depth == 0:
                return i
    return None


def _bracket(inner: list[_Token], outlets: Collection[str]) -> tuple[str, list[str]]:
    """What a bracket opening a paragraph holds: a byline (``[매체=홍길동 기자]``, ``[매체
    홍길동]``), a dateline (``(서울=연합뉴스)``) or a tag (``[매체]``, ``[단독]``)."""
    words = [t.text for t in inner if t.kind in ("hangul", "latin")]
    kinds = [_word_kind(w, outlets, ()) for w in words]
    if any(k in ("title", "glued") for k in kinds):
        groups = _read(inner, strict=True, known=(), outlets=outlets)
        if groups is not None:
            return "byline", [n for g in groups for n in g.names]
    if _is_dateline(inner, outlets):
        return "dateline", []
    others = {t.kind for t in inner} - {"hangul", "latin", "space"}
    if (len(words) >= 2 and not others and kinds[-1] == "name"
            and _is_person(words[-1], ()) and all(
                k == "outlet" or (k == "name" and not _is_person(w, ()))
                for w, k in zip(words[:-1], kinds[:-1], strict=True))):
        return "byline", [words[-1]]
    return "tag", []


def _is_dateline(inner: list[_Token], outlets: Collection[str]) -> bool:
    """``서울=연합뉴스``: one place, ``=``, one outlet (``사진=연합뉴스`` is a photo credit)."""
    parts = [t for t in inner if t.kind != "space"]
    if len(parts) != 3 or parts[1].kind != "eq":
        return False
    place, outlet = parts[0].text, parts[2].text
    return (parts[0].kind == "hangul" and _word_kind(place, outlets, ()) == "name"
            and _word_kind(outlet, outlets, ()) == "outlet")


def _lead_body(tokens: list[_Token], start: int,
               outlets: Collection[str]) -> tuple[int, list[str]] | None:
    """End offset and names of ``[OUTLET] NAMES TITLE =|`` or ``DESK =`` at ``tokens[start]``."""
    names: list[str] = []
    pending: list[str] = []
    last_kind = ""
    seen_title = False
    for i in range(start, len(tokens)):
        token = tokens[i]
        if token.end - tokens[start].start > 60:
            return None
        if token.kind in ("hangul", "latin"):
            kind = _word_kind(token.text, outlets, ())
            if kind in ("title", "glued"):
                if kind == "glued":
                    pending.append(_glued_name(token.text))
                names += _names_of(pending, ())
                pending = []
                seen_title = True
            elif kind in ("name", "desk", "latin"):
                pending.append(token.text)
            elif kind not in ("outlet", "modifier"):
                return None
            last_kind = kind
        elif token.kind == "eq":
            if last_kind in ("title", "glued"):
                return token.end, names
            if not seen_title and pending and all(_DESK_RE.fullmatch(n) for n in pending):
                return token.end, pending
            pending = []  # a place: "세종=박경담 기자 ="
            last_kind = "eq"
        elif token.kind == "bar":
            if last_kind in ("title", "glued"):
                return token.end, names
            return None
        elif token.kind == "join":
            last_kind = "join"
        else:
            return None
    return None


def _authors(names: Iterable[str]) -> list[Author]:
    return merge_authors([{"name": n, "email": None} for n in names])
