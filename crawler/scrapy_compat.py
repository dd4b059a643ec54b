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
"""

from __future__ import annotations

import logging
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
