"""The one place newsarc reaches into Scrapy's internals, because no public API does this.

Everything else uses Scrapy's public API: signals, settings, ``CrawlerProcess``, the
engine's public methods.  What is here is private to Scrapy and may change in any release,
so ``pyproject.toml`` bounds Scrapy to the minor version this was written for, and
``tests/test_scrapy_compat.py`` fails when an upgrade removes what this module uses.

- ``wake_engine``: a distributed worker whose engine found the shared Redis queue empty
  asks it again only on the engine's own 5-second heartbeat; the coordinator wakes it as
  soon as the queue holds work (``crawler.distributed.RedisCoordinator.heartbeat``).
  Scrapy has no public "ask the scheduler now" call: ``ExecutionEngine.crawl()`` schedules
  the engine's next loop the same way, but only after enqueueing a request of its own.
- ``tee_wire_heads``: WARC records hold each HTTP head as it crossed the wire, and Scrapy
  hands over headers only after Twisted has parsed, re-cased and reordered them
  (``crawler/rawhttp.py``; the section below says what it touches).
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import Any

logger = logging.getLogger(__name__)

_warned = False


def wake_engine(engine: Any) -> bool:
    """Have the engine ask its scheduler for requests at once (as it does after each
    download) instead of at its next heartbeat.  False when no spider is open; a Scrapy
    without the private call logs one warning and leaves the engine to its heartbeat."""
    global _warned
    try:
        slot = engine._slot  # ExecutionEngine._slot: the open spider's slot, or None
        if slot is None:
            return False
        slot.nextcall.schedule()  # _Slot.nextcall: a CallLaterOnce of the engine's loop
    except AttributeError as exc:
        if not _warned:
            _warned = True
            logger.warning("cannot wake Scrapy's engine (%s): an idle worker takes new work "
                           "at the engine's own heartbeat", exc)
        return False
    return True


# --- the heads of each HTTP exchange as they crossed the wire (crawler/rawhttp.py) -------
#
# Scrapy's HTTP/1.1 handler gives a response's headers re-cased and reordered by Twisted
# (``ETag`` → ``Etag``), without the connection headers (``Connection``, ``Keep-Alive``,
# ``Transfer-Encoding``) and without the reason phrase; the request's as Scrapy holds them,
# not as Twisted wrote them.  A WARC record holds the exchange as it was, so the handler's
# connections record both heads: the bytes received up to the response head's blank line
# (``dataReceived``) and the bytes written up to the request head's (the transport's
# ``write``/``writeSequence``).  Private: the handler's connection pool (``_pool``), the
# pool's protocol factory (``_factory``), Scrapy's lenient protocol and factory classes
# (kept as the base, so their parsing stays), and Twisted's ``HTTP11ClientProtocol.request``
# writing through ``self.transport``.  The heads reach the handler as two header fields of
# the Twisted response, named with a token of this process (no server can send them), which
# ``pop_wire_heads`` takes off the Scrapy response before anything else sees it.

_WIRE_TOKEN = secrets.token_hex(6)
RESPONSE_HEAD_FIELD = f"X-Newsarc-Wire-Response-{_WIRE_TOKEN}"
REQUEST_HEAD_FIELD = f"X-Newsarc-Wire-Request-{_WIRE_TOKEN}"
# Bytes kept per exchange while looking for a head's end: a head is far smaller, and a
# response head that does not end within this is rebuilt from Scrapy's headers instead.
WIRE_HEAD_LIMIT = 256 * 1024

_tee_warned = False
_teeing_factory: Any = None


def tee_wire_heads(handler: Any) -> bool:
    """Have an ``HTTP11DownloadHandler``'s new connections record each exchange's heads.
    False (one warning a process) when this Scrapy lacks the private parts, or another
    component has already replaced the pool's protocol factory: records are then rebuilt
    from Scrapy's headers, as the stat ``newsarc/warc/response_head_rebuilt`` counts."""
    global _tee_warned
    try:
        from scrapy.core.downloader.handlers.http11 import _LenientHTTP11ClientFactory

        pool = handler._pool  # HTTP11DownloadHandler._pool: its HTTPConnectionPool
        if pool._factory is not _LenientHTTP11ClientFactory:  # Twisted's pool._factory
            raise AttributeError(f"the pool's factory is {pool._factory!r}, not Scrapy's")
        pool._factory = _wire_factory()
    except (ImportError, AttributeError) as exc:
        if not _tee_warned:
            _tee_warned = True
            logger.warning("cannot record HTTP heads as received (%s): WARC records hold "
                           "Scrapy's rebuilt headers", exc)
        return False
    return True


def pop_wire_heads(headers: Any) -> tuple[bytes | None, bytes | None]:
    """Take the recorded (response head, request head) off a Scrapy response's headers:
    whatever the connection recorded, None for a head it did not."""
    heads = []
    for field in (RESPONSE_HEAD_FIELD, REQUEST_HEAD_FIELD):
        value = headers.pop(field, None)
        if isinstance(value, list):  # Scrapy's Headers keep a list of values
            value = value[0] if value else None
        try:
            heads.append(base64.b64decode(value, validate=True) if value else None)
        except ValueError:
            heads.append(None)
    return heads[0], heads[1]


def head_end(data: bytes | bytearray, start: int = 0) -> int:
    """Offset just past the blank line ending the head that starts at ``start``; 0 when
    the head has not ended yet.  Lines end in LF, CR LF tolerated, as Twisted reads them."""
    position = start
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            return 0
        line = data[position:newline]
        if line in (b"", b"\r") and position > start:
            return newline + 1
        position = newline + 1


def final_response_head(data: bytes) -> bytes | None:
    """The first head in ``data`` that is no 1xx interim answer (which Twisted skips)."""
    start = 0
    while start < len(data):
        end = head_end(data, start)
        if not end:
            return None
        head = data[start:end]
        code = head.split(b"\n", 1)[0].split()[1:2]
        if not (code and len(code[0]) == 3 and code[0].startswith(b"1")):
            return head
        start = end
    return None


class _SentHead:
    """A transport that forwards everything and keeps the first bytes written, up to the
    request head's blank line: the head exactly as Twisted sent it."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._data = bytearray()
        self.head: bytes | None = None

    def write(self, data: bytes) -> None:
        self._keep(data)
        self._transport.write(data)

    def writeSequence(self, data: Any) -> None:  # noqa: N802 (Twisted's ITransport name)
        data = list(data)
        for chunk in data:
            self._keep(chunk)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def _keep(self, data: bytes) -> None:
        if self.head is not None or len(self._data) > WIRE_HEAD_LIMIT:
            return
        self._data += data
        end = head_end(self._data)
        if end:
            self.head, self._data = bytes(self._data[:end]), bytearray()


def _wire_factory() -> Any:
    """Scrapy's lenient HTTP/1.1 protocol factory, building protocols that record heads."""
    global _teeing_factory
    if _teeing_factory is not None:
        return _teeing_factory
    from scrapy.core.downloader.handlers.http11 import (
        _LenientHTTP11ClientFactory,
        _LenientHTTP11ClientProtocol,
    )

    class WireHeadsProtocol(_LenientHTTP11ClientProtocol):
        _received: bytearray | None = None  # the bytes of the response being awaited

        def request(self, request: Any) -> Any:
            sent = _SentHead(self.transport)
            received = self._received = bytearray()
            # HTTP11ClientProtocol.request writes the request through self.transport.
            real, self.transport = self.transport, sent
            try:
                result = super().request(request)
            finally:
                self.transport = real
            result.addCallback(self._attach_heads, sent, received)
            return result

        def dataReceived(self, data: bytes) -> None:  # noqa: N802 (Twisted's name)
            received = self._received
            if received is not None and len(received) < WIRE_HEAD_LIMIT:
                received += data[:WIRE_HEAD_LIMIT - len(received)]
            super().dataReceived(data)

        def _attach_heads(self, response: Any, sent: _SentHead, received: bytearray) -> Any:
            if self._received is received:
                self._received = None  # the head is in: the body is not kept twice
            fields = ((RESPONSE_HEAD_FIELD, final_response_head(bytes(received))),
                      (REQUEST_HEAD_FIELD, sent.head))
            for field, head in fields:
                if head:
                    response.headers.setRawHeaders(field, [base64.b64encode(head)])
            return response

    class WireHeadsFactory(_LenientHTTP11ClientFactory):
        def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 (Twisted's name)
            return WireHeadsProtocol(self._quiescentCallback)

    _teeing_factory = WireHeadsFactory
    return _teeing_factory
