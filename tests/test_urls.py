import pytest

from crawler.urls import article_id, canonical_article_url, recorded_as_article, site_root

ROOT = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{ROOT}/news/article.html?no=1234", 1234),
        (f"{ROOT}/news/article.html?no=1234&sc_code=S1N1&page=2", 1234),
        (f"{ROOT}/news/article.html?sc_code=x&no=77#comment", 77),
        (f"{ROOT}/mobile/article.html?no=5", 5),
        (f"{ROOT}/news/article_print.html?no=6", 6),
        (f"{ROOT}/news/article.html?no=abc", None),
        (f"{ROOT}/news/article.html?no=١٢", None),
        (f"{ROOT}/news/article.html", None),
        (f"{ROOT}/news/article_list_all.html?page=2", None),
        (f"{ROOT}/news/search_result.html?no=5", None),
    ],
)
def test_article_id_recognises_every_article_url_form(url, expected):
    assert article_id(url) == expected


def test_canonical_url_drops_parameters_fragments_and_views():
    for url in (f"{ROOT}/mobile/article.html?no=9#c", f"{ROOT}/news/article_print.html?no=9",
                f"{ROOT}/news/article.html?no=9&page=3"):
        canonical = canonical_article_url(site_root(url), article_id(url))
        assert canonical == f"{ROOT}/news/article.html?no=9"
        assert recorded_as_article(canonical)


def test_site_root_rejects_non_http():
    assert site_root("https://example.org/x/y?z") == "https://example.org"
    with pytest.raises(ValueError):
        site_root("ftp://example.org/")
    with pytest.raises(ValueError):
        site_root("not a url")
