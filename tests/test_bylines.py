"""crawler.bylines: leads, closing signatures and header bylines of Korean news, and the
reporter's own sentences that merely mention a reporter (which must never be taken for one)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.bylines import (
    Author,
    emails_in,
    header_authors,
    merge_authors,
    signature_authors,
    strip_lead,
    strip_trailing_signature,
)
from newsarc.replica import redesign, render
from newsarc.replica.content import build_site, byline_prefix, reporter_line, signature

REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"


def au(name: str, email: str | None = None) -> Author:
    return {"name": name, "email": email}


# --- leads --------------------------------------------------------------------------------

LEADS = [
    ("뉴미디어타임즈 홍길동 기자 | 이 회장은 출장을 마쳤다.", "이 회장은 출장을 마쳤다.",
     ["홍길동"]),
    ("뉴미디어타임즈 홍길동·김철수 기자 | 본문이다.", "본문이다.", ["홍길동", "김철수"]),
    ("[뉴미디어타임즈=홍길동 기자] 본문이다.", "본문이다.", ["홍길동"]),
    ("(서울=뉴미디어타임즈) 홍길동 기자 = 본문이다.", "본문이다.", ["홍길동"]),
    ("[매체] 홍길동 기자 = 본문이다.", "본문이다.", ["홍길동"]),
    ("[인사이트] 디지털뉴스팀 = 고교생 제자 두 명과", "고교생 제자 두 명과", ["디지털뉴스팀"]),
    ("[인사이트 ] 전준강 기자 = 2018년 11월 21일인 내일은", "2018년 11월 21일인 내일은",
     ["전준강"]),
    ("[OSEN=선미경 기자] 가수 아이유가 경기도 과천에", "가수 아이유가 경기도 과천에", ["선미경"]),
    ("[한국스포츠경제 김정희] 후반기 승률 1ㆍ2위를", "후반기 승률 1ㆍ2위를", ["김정희"]),
    ("(세종=연합뉴스) 이세원 이대희 민경락 기자 = 작년 12월 일자리", "작년 12월 일자리",
     ["이세원", "이대희", "민경락"]),
    ("【서울=뉴시스】최진석 기자 = 18일 오후 서울 강남구", "18일 오후 서울 강남구", ["최진석"]),
    ("[아시아투데이 조재형 기자] 황교안 대표는", "황교안 대표는", ["조재형"]),
    ("홍길동·김철수 기자 = 정부는 이날 발표했다.", "정부는 이날 발표했다.", ["홍길동", "김철수"]),
    ("세종=박경담 기자 = 정부는 이날", "정부는 이날", ["박경담"]),
    ("(워싱턴=연합뉴스) 홍길동 특파원 = 미국 정부는", "미국 정부는", ["홍길동"]),
    ("[단독] 뉴미디어타임즈 홍길동 기자 | 본문이다.", "본문이다.", ["홍길동"]),
    ("(서울=연합뉴스) 정부가 17일 발표했다.", "정부가 17일 발표했다.", []),
    ("[인사이트] 디지털뉴스팀 =", "", ["디지털뉴스팀"]),
]


@pytest.mark.parametrize(("paragraph", "rest", "names"), LEADS)
def test_lead_is_stripped_and_names_its_authors(paragraph, rest, names):
    assert strip_lead(paragraph) == (rest, [au(n) for n in names])


def test_lead_with_an_outlet_the_page_names():
    """An outlet name with no telltale ending is known from the page (og:site_name)."""
    assert strip_lead("[인사이트 전준강] 본문이다.") == ("본문이다.", [au("전준강")])
    assert strip_lead("인사이트 전준강 기자 | 본문", outlets=["인사이트"]) == (
        "본문", [au("전준강")])


NOT_LEADS = [
    "[단독] 삼성전자가 새 반도체를 발표했다.",
    "[사진=관악구청]",
    "[출처=삼성전자]",
    "김 기자는 현장에서 …했다.",
    "이재용 회장은 미국 출장을 마쳤다.",
    "홍길동 기자는 = 기호를 썼다.",
    "정부 = 국민의 대리인이라는 등식은 오래됐다.",
    "홍길동 기자가 | 표시를 눌렀다.",
    "(1=2) 같은 식은 틀렸다.",
    "[포토] 발언하는 황교안 대표",
]


@pytest.mark.parametrize("paragraph", NOT_LEADS)
def test_paragraph_without_lead_is_unchanged(paragraph):
    assert strip_lead(paragraph) == (paragraph, [])


# --- closing lines ------------------------------------------------------------------------

CLOSINGS = [
    ("홍길동 기자 hong@example.com", [au("홍길동", "hong@example.com")]),
    ("홍길동 기자 hong@example.com hong@example.com", [au("홍길동", "hong@example.com")]),
    ("주용석/노경목 기자 hohoboy@hankyung.com",
     [au("주용석", "hohoboy@hankyung.com"), au("노경목")]),
    ("조아라 한경닷컴 기자 rrang123@hankyung.com", [au("조아라", "rrang123@hankyung.com")]),
    ("[머니투데이방송 MTN  = 유찬 기자 (curry30@mtn.co.kr)]", [au("유찬", "curry30@mtn.co.kr")]),
    ("/seon@osen.co.kr", [au("", "seon@osen.co.kr")]),
    ("2vs2@yna.co.kr", [au("", "2vs2@yna.co.kr")]),
    ("newsroom@insight.co.kr", [au("", "newsroom@insight.co.kr")]),
    ("조성훈 기자, 김은령 기자, 정혜윤 기자", [au("조성훈"), au("김은령"), au("정혜윤")]),
    ("안채원 인턴기자", [au("안채원")]),
    ("안채원 인턴 기자", [au("안채원")]),
    ("홍길동 객원기자", [au("홍길동")]),
    ("홍길동 논설위원", [au("홍길동")]),
    ("홍길동 선임기자 hong@x.kr", [au("홍길동", "hong@x.kr")]),
    ("▶ 홍길동 기자 hong@x.kr", [au("홍길동", "hong@x.kr")]),
    ("연합 기자", [au("연합")]),
    ("김정희 기자 jhee@sporbiz.co.kr", [au("김정희", "jhee@sporbiz.co.kr")]),
    ("홍길동 기자 = hong@x.kr", [au("홍길동", "hong@x.kr")]),
    ("홍길동 기자 | hong@x.kr", [au("홍길동", "hong@x.kr")]),
    ("<홍길동 기자 hong@x.kr>", [au("홍길동", "hong@x.kr")]),
    ("홍길동기자 mailto:hong@x.kr", [au("홍길동", "hong@x.kr")]),
    ("세종=박경담 기자", [au("박경담")]),
    ("홍길동 기자 hong@x.kr, 김철수 기자", [au("홍길동", "hong@x.kr"), au("김철수")]),
    ("홍길동·김철수 기자 hong@x.kr kim@y.kr",
     [au("홍길동", "hong@x.kr"), au("김철수", "kim@y.kr")]),
    ("John Smith 기자 js@x.com", [au("John Smith", "js@x.com")]),
]


@pytest.mark.parametrize(("line", "authors"), CLOSINGS)
def test_closing_line_is_a_signature(line, authors):
    assert signature_authors(line) == authors
    assert strip_trailing_signature(line) == ("", authors)


def test_signature_email_goes_to_its_known_owner():
    known = [au("홍길동"), au("김철수", "kim@y.kr")]
    assert signature_authors("홍길동·김철수 기자 kim@y.kr", known) == [
        au("홍길동"), au("김철수", "kim@y.kr")]


def test_email_alone_goes_to_the_known_reporter():
    assert signature_authors("/seon@osen.co.kr", [au("선미경")]) == [
        au("선미경", "seon@osen.co.kr")]
    assert signature_authors("x@y.kr", [au("홍길동", "hong@x.kr")]) == [au("", "x@y.kr")]


def test_known_identity_makes_an_unusual_form_a_signature():
    known = [au("홍길동", "hong@x.kr")]
    assert signature_authors("홍길동 기자 hong@x.kr 제보") is None
    assert signature_authors("홍길동 기자 hong@x.kr 제보", known) == [au("홍길동", "hong@x.kr")]
    assert signature_authors("홍길동 hong@x.kr", known) == [au("홍길동", "hong@x.kr")]
    assert signature_authors("홍길동 hong@x.kr") is None  # a stranger's name without title


def test_credits_are_no_signature():
    """A photo credit names a photographer, not an author."""
    for line in ("사진=홍길동 기자", "/사진=유엄식 기자", "[사진=관악구청]",
                 "삽화=이지혜 디자인기자", "[출처=삼성전자]", "[사진]OSEN DB"):
        assert signature_authors(line) is None
        assert signature_authors(line, [au("홍길동", "hong@x.kr")]) is None


# --- the reporter's own text --------------------------------------------------------------

BODY = [
    "김 기자는 현장에서 …했다.",
    "김 기자는 현장에서 확인했다",
    "이 자리에는 홍길동 기자도 참석했다고 밝혔다.",
    "이 자리에는 홍길동 기자도 참석했다",
    "한 기자가 질문하자 그는 \"그렇다\"라고 답했다.",
    "문의는 help@x.kr로 하면 된다.",
    "문의는 help@x.kr 로 하면 된다",
    "홍길동 기자의 다른 기사 보기",
    "홍길동 기자가 쓴 기사",
    "기자 홍길동은 말했다.",
    "홍길동 기자(hong@x.kr)에게 물었다.",
    "홍길동 기자 hong@x.kr 제보 바랍니다.",
    "정부는 17일 이같이 밝혔다.",
    "2019.01.07 16:47",
    "산업2부 유찬입니다.",
    "삼성전자 (8,530원 40 -0.5%)",
]
KNOWN = [au("홍길동", "hong@x.kr"), au("김철수")]


@pytest.mark.parametrize("paragraph", BODY)
@pytest.mark.parametrize("known", [None, KNOWN])
def test_text_mentioning_a_reporter_is_body(paragraph, known):
    assert signature_authors(paragraph, known) is None
    assert strip_trailing_signature(paragraph, known) == (paragraph, [])
    assert strip_lead(paragraph) == (paragraph, [])


# --- trailing signatures ------------------------------------------------------------------

def test_email_glued_to_the_last_sentence():
    text = "추후 상황을 지켜봐야겠지만, 의혹에 언급된 자체가 아쉽기도 하다."
    assert strip_trailing_signature(text + " /seon@osen.co.kr") == (
        text, [au("", "seon@osen.co.kr")])
    assert strip_trailing_signature(text + "/seon@osen.co.kr", [au("선미경")]) == (
        text, [au("선미경", "seon@osen.co.kr")])


def test_name_and_email_glued_to_the_last_sentence():
    assert strip_trailing_signature("그렇게 했다. 홍길동 기자 hong@x.kr") == (
        "그렇게 했다.", [au("홍길동", "hong@x.kr")])
    assert strip_trailing_signature("“그렇다”고 말했다. (hong@x.kr)") == (
        "“그렇다”고 말했다.", [au("", "hong@x.kr")])


def test_known_name_glued_to_the_last_sentence():
    known = [au("홍길동"), au("김철수", "kim@y.kr")]
    assert strip_trailing_signature("그렇게 했다. 홍길동 기자, 김철수 기자", known) == (
        "그렇게 했다.", [au("홍길동"), au("김철수")])
    # A name the page does not give, without e-mail, may be the reporter's text.
    assert strip_trailing_signature("그렇게 했다. 박영수 기자") == ("그렇게 했다. 박영수 기자", [])


def test_credit_before_a_glued_signature_stays():
    known = [au("정민재", "mj@x.kr")]
    assert strip_trailing_signature("[사진=관악구청] 정민재 기자 mj@x.kr", known) == (
        "[사진=관악구청]", [au("정민재", "mj@x.kr")])


def test_email_inside_the_last_sentence_stays():
    text = "자세한 내용은 help@x.kr로 문의하면 된다."
    assert strip_trailing_signature(text) == (text, [])


# --- header bylines -----------------------------------------------------------------------

HEADERS = [
    (["김정훈 기자 | 입력 : 2019.03.07 11:25"], [au("김정훈")]),
    (["디지털뉴스팀"], [au("디지털뉴스팀")]),
    (["전준강 기자"], [au("전준강")]),
    (["머니투데이방송 유찬 기자", "2019/01/16 13:59"], [au("유찬")]),
    (["조성훈 기자", "김은령 기자", "세종=박경담 기자", "안채원 인턴기자"],
     [au("조성훈"), au("김은령"), au("박경담"), au("안채원")]),
    (["연합"], [au("연합")]),
    (["홍길동 기자 hong@x.kr", "등록 2024.06.14 07:40:01", "수정 2024.06.15 08:00:00"],
     [au("홍길동", "hong@x.kr")]),
    (["김정훈 kjhnpce1@mt.co.kr"], [au("김정훈", "kjhnpce1@mt.co.kr")]),
    (["입력 2024-06-14 07:40 홍길동 기자 hong@x.kr 김철수 기자"],
     [au("홍길동", "hong@x.kr"), au("김철수")]),
    (["이 기자의 다른기사 보기", "공유", "입력 2018.11.13 07:45"], []),
    (["기자 더보기"], []),
]


@pytest.mark.parametrize(("texts", "authors"), HEADERS)
def test_header_authors(texts, authors):
    assert header_authors(texts) == authors


# --- merging and e-mails ------------------------------------------------------------------

def test_merge_keeps_order_fills_emails_and_drops_repeats():
    merged = merge_authors([au("홍길동"), au("김철수")], [au("김철수", "kim@y.kr"), au("홍길동")],
                           [au("박영희", "park@z.kr"), au("홍길동", "other@x.kr")])
    assert merged == [au("홍길동", "other@x.kr"), au("김철수", "kim@y.kr"),
                      au("박영희", "park@z.kr")]
    assert merge_authors([au("홍길동", "hong@x.kr")], [au("홍길동", "other@x.kr")]) == [
        au("홍길동", "hong@x.kr")]


def test_merge_gives_a_nameless_email_to_the_first_reporter_without_one():
    lead = strip_lead("(세종=연합뉴스) 이세원 이대희 민경락 기자 = 작년")[1]
    assert merge_authors(lead, signature_authors("2vs2@yna.co.kr") or []) == [
        au("이세원", "2vs2@yna.co.kr"), au("이대희"), au("민경락")]
    assert merge_authors([au("", "a@b.kr")], [au("홍길동")]) == [au("홍길동", "a@b.kr")]
    assert merge_authors([au("홍길동", "a@b.kr"), au("", "a@b.kr")]) == [au("홍길동", "a@b.kr")]
    assert merge_authors([au("", "a@b.kr")]) == []


def test_emails_in():
    assert emails_in("문의는 help@x.kr로, 또는 mailto:a.b+c@mail.example.co.kr 로. help@x.kr") == [
        "help@x.kr", "a.b+c@mail.example.co.kr"]
    assert emails_in("/seon@osen.co.kr") == ["seon@osen.co.kr"]
    assert emails_in("홍길동@회사.kr a@b") == []


# --- the replica and real pages -----------------------------------------------------------

SITE = build_site(size=60)


def test_replica_forms():
    """The mediaOn replica's byline prefix, header items and signature, in both skins."""
    for art in SITE.articles.values():
        want = [au(r.name, r.email) for r in art.reporters]
        names = [au(r.name) for r in art.reporters]
        first, last = art.paragraphs[0], art.paragraphs[-1]
        assert strip_lead(byline_prefix(art) + first) == (first, names)
        assert strip_lead(redesign.lead(art) + first) == (first, names)
        assert signature_authors(signature(art)) == want
        assert header_authors([reporter_line(r) for r in art.reporters]) == want
        assert strip_trailing_signature(f"{last} {signature(art)}", want) == (last, want)
        page = lxml.html.fromstring(render.article_page(SITE, art))
        items = page.xpath("//ul[contains(@class, 'art_info')]/li | //span[@class='author']")
        assert header_authors(li.text_content() for li in items) == want
        for paragraph in art.paragraphs:
            assert signature_authors(paragraph, want) is None
            assert strip_lead(paragraph) == (paragraph, [])
            assert strip_trailing_signature(paragraph, want) == (paragraph, [])


def _truths() -> list[dict]:
    if not REALPAGES.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((REALPAGES / "truth").glob("*.json"))]


@pytest.mark.skipif(not _truths(), reason="../shared/realpages not present")
def test_real_paragraphs_are_never_bylines():
    for truth in _truths():
        for paragraph in truth["paragraphs"]:
            for known in (None, truth["authors"]):
                assert signature_authors(paragraph, known) is None, paragraph
                assert strip_trailing_signature(paragraph, known)[0] == paragraph
            assert strip_lead(paragraph)[0] == paragraph


@pytest.mark.skipif(not _truths(), reason="../shared/realpages not present")
def test_real_signatures_name_the_true_authors():
    """Every boilerplate sample shaped like a signature gives authors of the truth."""
    seen = 0
    for truth in _truths():
        true = {(a["name"], a["email"]) for a in truth["authors"]}
        names = {a["name"] for a in truth["authors"]}
        for sample in truth["boilerplate_samples"]:
            found = signature_authors(sample, truth["authors"])
            if found is None:
                continue
            seen += 1
            for author in found:
                assert author["name"] in names, sample
                assert author["email"] is None or (author["name"], author["email"]) in true
    assert seen >= 15


# --- properties ---------------------------------------------------------------------------

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서준지현우영수하은도윤재희연성진호경아"
TITLES = ["기자", "특파원", "인턴기자", "객원기자", "논설위원", "선임기자"]
names_st = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES),
                     st.text(GIVEN, min_size=1, max_size=2))
emails_st = st.builds(lambda u, d, t: f"{u}@{d}{t}", st.from_regex(r"[a-z][a-z0-9._]{0,10}",
                                                                  fullmatch=True),
                      st.from_regex(r"[a-z]{1,10}", fullmatch=True),
                      st.sampled_from([".co.kr", ".com", ".kr", ".net"]))
email_forms = ["{e}", "({e})", "/{e}", "<{e}>", "{e} {e}", "mailto:{e}", "| {e}", "= {e}"]


@st.composite
def signatures(draw):
    """A closing line and the authors it names."""
    names = draw(st.lists(names_st, min_size=1, max_size=4, unique=True))
    cuts = sorted(draw(st.sets(st.integers(1, len(names) - 1), max_size=len(names) - 1))
                  if len(names) > 1 else set())
    parts, authors = [], []
    for group in (names[i:j] for i, j in zip([0, *cuts], [*cuts, len(names)], strict=True)):
        part = draw(st.sampled_from(["·", "/", ", ", " "])).join(group)
        part += " " + draw(st.sampled_from(TITLES))
        email = draw(st.none() | emails_st)
        if email:
            part += " " + draw(st.sampled_from(email_forms)).format(e=email)
        parts.append(part)
        authors += [au(n, email if i == 0 else None) for i, n in enumerate(group)]
    line = draw(st.sampled_from([", ", " ", " | ", " ▶ "])).join(parts)
    frame = draw(st.sampled_from(["{}", "[{}]", "▶ {}", "뉴미디어타임즈 = {}", "[MTN = {}]"]))
    line = frame.format(line)
    return line, merge_authors(authors)


@settings(max_examples=300, deadline=None)
@given(signatures())
def test_generated_signatures_are_recognised(case):
    line, authors = case
    assert signature_authors(line) == authors
    assert signature_authors(line, authors) == authors
    glued = strip_trailing_signature("그렇게 말했다. " + line, authors)
    assert glued == ("그렇게 말했다.", authors)


@settings(max_examples=300, deadline=None)
@given(name=names_st, title=st.sampled_from(TITLES),
       particle=st.sampled_from(["가", "는", "도", "의", "에게", "와", "를"]),
       before=st.sampled_from(["", "이 자리에는 ", "한편 ", "당시 "]),
       obj=st.sampled_from(["현장을", "질문을", "기사를 ", "내용을 hong@x.kr로"]),
       verb=st.sampled_from(["찾았다", "보도했다", "전했다", "밝혔다", "확인했다"]),
       end=st.sampled_from([".", ""]))
def test_generated_sentences_are_body(name, title, particle, before, obj, verb, end):
    sentence = f"{before}{name} {title}{particle} {obj} {verb}{end}"
    known = [au(name, "hong@x.kr")]
    assert signature_authors(sentence) is None
    assert signature_authors(sentence, known) is None
    assert strip_trailing_signature(sentence, known) == (sentence, [])
    assert strip_lead(sentence) == (sentence, [])


# --- linear time --------------------------------------------------------------------------

HOSTILE = {
    "letters": "a" * 80_000,
    "address characters": "a." * 40_000 + "@x.kr",
    "at signs": "a@" * 40_000,
    "domain": "x@" + "a." * 40_000,
    "hangul": "가" * 80_000 + " 기자",
    "titles": "기자 " * 33_334,
    "signatures": "홍길동 기자 " * 12_500,
    "emails": "hong@x.kr " * 10_000,
    "brackets": "[" * 80_000,
    "places": "가=" * 40_000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_fast(text):
    known = [au("홍길동", "hong@x.kr")]
    start = time.perf_counter()
    emails_in(text)
    header_authors([text])
    strip_lead(text)
    signature_authors(text, known)
    strip_trailing_signature(text)
    strip_trailing_signature(text, known)
    for size in (100, 320, 1000):
        signature_authors(text[:size])
        signature_authors(text[:size], known)
        header_authors([text[:size]])
    assert time.perf_counter() - start < 2.0
