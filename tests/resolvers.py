"""DNS for crawls under test, without asking any name server."""

from __future__ import annotations

import os
from typing import Any

from twisted.internet import defer, error
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class NothingResolves:
    """Scrapy's ``TWISTED_DNS_RESOLVER`` for a crawl of a name that does not exist: every
    lookup fails as a name server's "no such name" would.  Each name asked is appended to
    the file ``$ASKED_NAMES`` names, if any, so a test can tell it was this resolver."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> NothingResolves:
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred:  # noqa: N802
        if os.environ.get("ASKED_NAMES"):
            with open(os.environ["ASKED_NAMES"], "a", encoding="utf-8") as asked:
                asked.write(name + "\n")
        return defer.fail(error.DNSLookupError(f"no such name: {name}"))
