"""Queued requests round-trip through JSON, never pickle."""

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict

from crawler import redisjson
from crawler.spiders.outlet import OutletSpider


def test_a_request_of_the_spider_round_trips():
    spider = OutletSpider(site="http://127.0.0.1:8000", out="x")
    request = Request(
        "http://127.0.0.1:8000/news/article_list_all.html?page=2", callback=spider.parse_list,
        errback=spider.on_error, headers={"If-None-Match": '"1-abc"'}, body=b"\x00\xff",
        meta={"handle_httpstatus_list": [304], "newsarc_refers_to": {"warc_date": "d"}},
        cb_kwargs={"path": "/news/article_list_all.html", "params": {}, "page": 2,
                   "previous": frozenset({1, 2, 3})}, priority=1,
    )
    text = redisjson.dumps(request.to_dict(spider=spider))
    assert isinstance(text, str) and "pickle" not in text
    back = request_from_dict(redisjson.loads(text), spider=spider)
    assert back.url == request.url and back.body == request.body
    assert back.headers.get("If-None-Match") == b'"1-abc"'
    assert back.cb_kwargs == request.cb_kwargs and back.meta == request.meta
    assert back.callback == spider.parse_list and back.priority == 1


def test_anything_but_data_is_refused():
    with pytest.raises(TypeError):
        redisjson.dumps({"meta": {"x": object()}})
