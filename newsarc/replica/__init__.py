"""A faithful loopback replica of the outlet's mediaOn site, for tests, demos and benchmarks.

``content`` is the ground truth (what was published), ``render`` the CMS's markup,
``server`` the HTTP side (:class:`Replica` for tests, :func:`serve` for the CLI).
"""

from newsarc.replica.content import (
    KST,
    Article,
    Photo,
    Reporter,
    Section,
    Site,
    build_site,
    sample_article,
)
from newsarc.replica.server import Replica, serve

__all__ = [
    "KST", "Article", "Photo", "Replica", "Reporter", "Section", "Site", "build_site",
    "sample_article", "serve",
]
