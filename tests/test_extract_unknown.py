"""The unknown-template path: pages whose markup no profile describes.

Real article pages of other Korean outlets (``../shared/realpages``, read where present,
never copied here) are scored by their own scorer; URL identity, the body finder and the
page's own metadata are checked on small pages made here; and a crawl of a replica whose
newest articles moved to a redesigned skin archives every article exactly and warns.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml.html import document_fromstring

from crawler import boilerplate, container, pagemeta
from crawler.extract import Skip, extract
from crawler.urls import page_article_id, page_url
from newsarc.replica.content import REDESIGN
from newsarc.replica.server import Replica

from .conftest import NEWSARC, run

REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
needs_realpages = pytest.mark.skipif(not (REALPAGES / "score.py").is_file(),
                                     reason="../shared/realpages is not here")


# --- real pages of other outlets --------------------------------------------------------

@needs_realpages
def test_real_pages_meet_the_scorers_bar_without_a_url():
    pages = sorted(str(p) for p in REALPAGES.glob("*/*.html"))
    extracted = run(NEWSARC, "extract", *pages)
    assert extracted.returncode == 0, extracted.stderr.decode()
    records = [json.loads(line) for line in extracted.stdout.decode().splitlines()]
    assert not [r for r in records if "skipped" in r], "every real page is an article"
    assert {r["extraction"]["method"] for r in records} == {"fallback"}
    scored = subprocess.run([sys.executable, str(REALPAGES / "score.py")],
                            input=extracted.stdout, capture_output=True, check=False)
    assert scored.returncode == 0, scored.stdout.decode()


@needs_realpages
def test_real_pages_give_each_record_its_own_url_and_id():
    for truth_file in sorted((REALPAGES / "truth").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        record = extract((REALPAGES / truth["file"]).read_bytes())
        assert not isinstance(record, Skip), (truth["file"], record)
        assert record["url"] == page_url(truth["url"])
        assert record["id"] == page_article_id(truth["url"])


# --- what a URL names -------------------------------------------------------------------

@pytest.mark.parametrize(("url", "number"), [
    ("http://www.example.kr/news/articleView.html?idxno=140476", 140476),
    ("http://news.example.kr/mtview.php?no=2019013122370465870", 2019013122370465870),
    ("https://m.example.kr/news/190742", 190742),
    ("http://osen.example.kr/article/G1111061138", 1111061138),
    ("http://news.example.kr/articles/49918663?cm=facebook", 49918663),
    ("http://news.example.kr/list.html?page=2&aid=77", 77),
])
def test_the_number_in_an_article_url_is_its_id(url, number):
    assert page_article_id(url) == number


def test_a_url_without_a_number_gets_a_stable_derived_id():
    slug = "https://x.example/2024/06/14/a-slug"
    first = page_article_id(slug)
    assert first == page_article_id(slug + "#comment") == page_article_id(slug + "?utm_source=x")
    assert 0 < first < 2 ** 53, "exact in every JSON reader"
    assert page_article_id("https://x.example/2024/06/14/another-slug") != first
    assert page_article_id("https://x.example/") is None


def test_tracking_parameters_and_fragments_are_not_part_of_the_page_url():
    assert page_url("HTTP://News.Example/articles/1?cm=facebook&utm_medium=x&id=3#top") == (
        "http://news.example/articles/1?id=3")


# --- the body finder and the page's own metadata -----------------------------------------

PROSE = ["정부는 내년부터 청년 주거 지원 예산을 두 배로 늘리기로 했다고 14일 밝혔다.",
         "지원 대상은 만 19세에서 34세 사이의 무주택 청년으로, 소득 기준도 완화된다.",
         "관계자는 \"실제 체감할 수 있는 지원이 되도록 하겠다\"고 말했다."]


def unknown_page(body: str, head: str = "", top: str = "") -> str:
    return (f"<html><head><title>청년 주거 지원 두 배로 - 어느신문</title>{head}</head><body>"
            "<div class='gnb'><a href='/'>홈</a><a href='/s'>정치</a></div>"
            "<ul class='rank'>" + "".join(f"<li><a href='/a/{i}'>많이 본 기사 제목 {i}</a></li>"
                                          for i in range(8)) + "</ul>"
            f"<div class='wrap'>{top}<h1>청년 주거 지원 두 배로</h1>{body}</div>"
            "<div class='foot'>주소: 서울시 중구 | 등록번호: 서울 아00000 | 발행인: 홍길동</div>"
            "</body></html>")


def test_the_body_is_the_element_holding_the_prose():
    page = unknown_page("<div class='cont_x'>" + "".join(f"<p>{p}</p>" for p in PROSE)
                        + "</div>")
    found = container.find_body(document_fromstring(page))
    assert found is not None and found.get("class") == "cont_x"


def test_an_article_split_by_an_ad_is_found_whole():
    first, second = [*PROSE, *PROSE[:1]], [*PROSE[1:], *PROSE]
    page = unknown_page("<div class='view'><div class='part'>"
                        + "".join(f"<p>{p}</p>" for p in first)
                        + "</div><div class='ad_box'><script>ad()</script></div>"
                        "<div class='part'>" + "".join(f"<p>{p}</p>" for p in second)
                        + "</div></div>")
    found = container.find_body(document_fromstring(page))
    assert found is not None and found.get("class") == "view"
    record = extract(page.replace("</head>", "<meta property='og:type' content='article'>"
                                          "</head>"), "https://x.example/news/1234")
    assert record["body"] == "\n\n".join([*first, *second])
    assert isinstance(extract(page, "https://x.example/news/1234"), Skip), (
        "a page that says nothing of being an article (no date, no og:type) is none")


ARTICLE_HEAD = ("<meta property='og:type' content='article'>"
                "<meta property='article:published_time' content='2024-06-14T07:40:01+09:00'>")


def test_text_after_a_comment_and_after_an_opening_photo_is_prose():
    """Editors' blocks end in comments (``<!--end_block-->text``), and a paragraph may open
    with a photo and a blank line before its text: neither text is lost."""
    body = ("<div id='story'><div><img src='/p.gif'><br><br>" + PROSE[0] + "</div>"
            "<div class='box'><b>소제목</b></div><!--end_block-->" + PROSE[1] + "<br><br>"
            + PROSE[2] + " " + PROSE[0] + "</div>")
    record = extract(unknown_page(body, head=ARTICLE_HEAD), "https://x.example/news/77")
    assert record["body"].split("\n\n") == [PROSE[0], "소제목", PROSE[1],
                                             PROSE[2] + " " + PROSE[0]]


def test_a_declared_article_body_wins_and_a_page_without_prose_has_none():
    page = unknown_page("<div class='a'><p>짧은 소개 글이다.</p></div>"
                        "<section itemprop='articleBody'>" + "<br>".join(PROSE) + "</section>")
    assert container.find_body(document_fromstring(page)).tag == "section"
    assert container.find_body(document_fromstring(unknown_page(""))) is None


def test_a_link_alone_on_a_line_is_not_prose():
    page = unknown_page("<div id='t'>" + PROSE[0] + "<br><br><a href='/a/9'>[단독] 다른 기사</a>"
                        "<br><br>" + PROSE[1] + " <a href='/w'>링크 낀</a> 문장이다.</div>")
    body = container.find_body(document_fromstring(page))
    assert [a.text for a in container.link_lines(body)] == ["[단독] 다른 기사"]


def test_the_visible_headline_matching_the_metadata_is_the_title():
    tree = document_fromstring(unknown_page(
        "<p>본문</p>", head="<meta property='og:title' content='“따옴표” 바뀐 제목[2보]'>",
        top="<h2 class='tit'>\"따옴표\" 바뀐 제목(2보)</h2>"))
    reference = pagemeta.reference_title(tree, pagemeta.outlet_names(tree))
    assert pagemeta.visible_headline(tree, reference) == "\"따옴표\" 바뀐 제목(2보)"


def test_meta_authors_leave_urls_outlets_and_titles_out():
    tree = document_fromstring(unknown_page("", head=(
        "<meta property='og:site_name' content='어느신문'>"
        "<meta name='author' content='김철수 기자 / 이영희'>"
        "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"author\": "
        "[{\"name\": \"박민수\"}, {\"name\": \"어느신문\"}]}</script>")))
    assert pagemeta.meta_authors(tree) == ["박민수", "김철수", "이영희"]
    facebook = document_fromstring(unknown_page("", head=(
        "<meta name='author' content='https://www.facebook.com/x'>")))
    assert pagemeta.meta_authors(facebook) == []


@pytest.mark.parametrize("line", [
    "ⓒ 어느신문, 무단전재 및 재배포 금지", "<저작권자(c) 연합뉴스, 무단 전재-재배포 금지>",
    "기사승인 2018. 02. 01. 09:28", "[사진]OSEN DB", "사진=연합뉴스", "기사 이미지 보기",
    "[모바일한경 구독하기]", "[OSEN 페이스북에서 무엇이든 물어보세요 클릭!!!]",
    "이 기자의 다른기사 보기", "고충처리인 : 콘텐츠총괄부장",
])
def test_korean_news_boilerplate_lines(line):
    assert boilerplate.is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "사진 속 인물은 지난해 은퇴한 선수로, 팬들은 그의 복귀를 기다리고 있다.",
    "저작권 분쟁이 잇따르자 정부는 관련 법 개정을 추진하기로 했다고 밝혔다.",
    "그는 구독자 수가 늘면서 광고 수익도 함께 늘었다고 말했다.",
    "음원 저작권자에게 돌아가는 몫은 절반에도 못 미친다.",
    "경찰은 시민들에게 적극적인 제보 부탁한다고 밝혔다.",
    "A씨는 영상을 무단 복제한 혐의로 기소됐다.",
    "사진 찍기 좋은 명소로 알려지며 방문객이 늘었다.",
])
def test_prose_about_the_same_things_is_not_boilerplate(line):
    assert not boilerplate.is_boilerplate(line)


def test_a_credit_glued_after_the_last_sentence_goes():
    assert boilerplate.strip_trailing_credit("입대할 예정이다. 사진=OSEN") == "입대할 예정이다."
    kept = "주민들은 사진=기록이라고 말했다."
    assert boilerplate.strip_trailing_credit(kept) == kept


# --- a redesign of the outlet's article pages, crawled --------------------------------------

def test_newest_pages_in_a_redesigned_skin_are_archived_exactly_and_warned_of(tmp_path):
    with Replica(size=60, skin=REDESIGN, skin_newest=20) as replica:
        out = tmp_path / "archive"
        result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle")
        site = replica.site
    stdout = result.stdout.decode()
    assert result.returncode == 1, stdout[-2000:] + result.stderr.decode()[-2000:]
    assert any(line.startswith("warning: template drift") for line in stdout.splitlines())
    records = {r["id"]: r for r in map(json.loads, (out / "articles.jsonl").open())}
    assert set(records) == set(site.articles), "every article archived"
    moved = {n for n, art in site.articles.items() if site.skin_of(art) == REDESIGN}
    assert len(moved) >= 20
    for number, art in site.articles.items():
        record = records[number]
        method = "fallback" if number in moved else "profile"
        assert record["extraction"]["method"] == method, number
        assert record["body"] == "\n\n".join(art.paragraphs), number
        assert record["title"] == art.title
        assert record["published"] == art.published.isoformat()
        assert record["authors"] == [{"name": r.name, "email": r.email} for r in art.reporters]
