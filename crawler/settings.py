"""Scrapy settings of the newsarc crawler: polite by default, because real outlets are small.

``newsarc crawl`` and ``scrapy crawl outlet`` both start from this module; everything here
can be overridden with ``-s NAME=VALUE``.  newsarc's own settings start with ``NEWSARC_``.
"""

import os
from importlib.metadata import PackageNotFoundError, version

from scrapy.settings import default_settings as _scrapy_defaults

import crawler.profile as _profile  # lower case: not taken for a setting

try:
    NEWSARC_VERSION = version("newsarc")
except PackageNotFoundError:  # running from a source tree that was not installed
    NEWSARC_VERSION = "0.0.0"


def user_agent(version: str, contact: str | None) -> str:
    """``newsarc/VERSION``, with `` (+CONTACT)`` when there is a contact."""
    contact = (contact or "").strip()
    return f"newsarc/{version}" + (f" (+{contact})" if contact else "")


BOT_NAME = "newsarc"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify clearly: `newsarc/VERSION (+CONTACT)`, as polite crawlers do, with the contact
# from the NEWSARC_CONTACT environment variable or -s NEWSARC_CONTACT=mailto:...
# (crawler.extensions.ContactUserAgent); `newsarc/VERSION` without one.  An explicit
# -s USER_AGENT=... is kept as given.
NEWSARC_CONTACT = os.environ.get("NEWSARC_CONTACT", "").strip()
USER_AGENT = user_agent(NEWSARC_VERSION, NEWSARC_CONTACT)
ADDONS = {"crawler.extensions.ContactUserAgent": 0}

# Politeness: robots.txt, at most 2 requests at a time per host, a delay, AutoThrottle.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay drawn from 0.5x..1.5x DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# What `--no-throttle` applies, for the loopback replica and benchmarks only.
NO_THROTTLE = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    # Pages downloaded but not yet parsed, in bytes, before Scrapy stops asking for more
    # (5 MB by default): a megabyte (20 pages) keeps the parser busy, even an extraction
    # process (NEWSARC_EXTRACT_PROCESSES), and the crawl process does not grow by the
    # 25 MiB a 5 MB backlog costs it in objects.
    "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 1_000_000,
}

# Items (and requests) from one response go through the pipeline one at a time: the
# pipeline is synchronous, and Scrapy starts CONCURRENT_ITEMS tasks for every response
# whatever it yields (100 by default, a fifth of a crawl's CPU for nothing).
CONCURRENT_ITEMS = 1

RETRY_ENABLED = True
RETRY_TIMES = 3
# Waits before a retry (crawler/resilience.py): Retry-After, capped; else backoff seconds,
# doubled per attempt, capped.  A URL still failing is retried by the next run.
NEWSARC_RETRY_AFTER_MAX = 60.0
NEWSARC_RETRY_BACKOFF = 1.0
NEWSARC_RETRY_BACKOFF_MAX = 30.0
# The spider logs each URL that fails for good with its reason, and the summary lists them.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
# An article URL answering an empty or binary 200 is retried by the spider itself, with
# Scrapy's get_retry_request, which carries retry_times over on purpose.
META_COPY_WARN_SKIP_KEYS = ["retry_times"]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control server of any kind: nothing to attack
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {
    "crawler.pipelines.CorpusPipeline": 500,
}
DOWNLOADER_MIDDLEWARES = {
    # Next to the downloader: sees raw responses before HttpCompressionMiddleware (590).
    "crawler.middlewares.WarcMiddleware": 950,
    # Last before the downloader: only the configured site, whatever asks for what.
    "crawler.scope.ScopeMiddleware": 960,
    # First: once --max-articles are stored, nothing but their page requisites.
    "crawler.limit.ArticleLimitMiddleware": 50,
    # Retries wait: Retry-After when the server gives one, else exponential backoff.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.resilience.BackoffRetryMiddleware": 550,
    # Sees 3xx before RedirectMiddleware (600): a loop fails loudly, not filtered silently.
    "crawler.resilience.RedirectLoopMiddleware": 610,
    # Off (see "Scrapy components newsarc does not use" below).
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# Nearest the spider: an exception of any callback (or pipeline) fails that page's URL,
# counted, listed and retried next run (crawler/watchdog.py).  In the base, so that
# -s SPIDER_MIDDLEWARES={} keeps it.
SPIDER_MIDDLEWARES_BASE = {
    **_scrapy_defaults.SPIDER_MIDDLEWARES_BASE,
    "crawler.watchdog.PageFailures": 1000,
}
# Scrapy components newsarc does not use, off: each does some work on every request for
# nothing.  Scrapy's advice for broad crawls, applied to what this spider never needs
# (Scrapy's offsite filter stays on, behind crawler.scope: cheap defence in depth, the
# threat model's second line):
# - HttpAuthMiddleware: outlets' public pages ask for no HTTP authentication;
# - MetaRefreshMiddleware: mediaOn redirects with HTTP status codes; a page is archived as
#   served either way (METAREFRESH_ENABLED = True brings it back);
# - DownloaderStats: counts bytes by rendering every request again; the run report counts
#   responses itself (DOWNLOADER_STATS = True brings it back);
# - DepthMiddleware, UrlLengthMiddleware: the spider follows only the outlet's list and
#   article URLs, and page requisites one step from an article (URLLENGTH_LIMIT = 2083
#   brings the latter back);
# - MetaCopyDetectionMiddleware: a development aid that compares the meta of every request
#   a callback yields with its response's.
# `-s SPIDER_MIDDLEWARES={}` brings the depth and meta-copy middlewares back (DEPTH_LIMIT
# works again); the HTTP-auth one comes back by deleting its line above.
METAREFRESH_ENABLED = False
DOWNLOADER_STATS = False
URLLENGTH_LIMIT = 0
EXTENSIONS = {
    # The one writer of the archive (session, WARC writer, runs, failures); before the run
    # report, which has it close the archive with the run's numbers.
    "crawler.archivist.Archivist": 400,
    "crawler.extensions.CrawlReport": 500,
    # A robots.txt that cannot be downloaded: one warning line, not Scrapy's traceback.
    "crawler.resilience.BriefRobotsTxtErrors": 0,
}

# newsarc settings.
NEWSARC_OUT = None  # the archive directory (required): -s NEWSARC_OUT=DIR or -a out=DIR
NEWSARC_PROFILE = _profile.DEFAULT_PROFILE  # outlet profile: a bundled name or a .toml path
# Processes that parse article pages while the crawl goes on downloading
# (crawler/extract_pool.py); 0: in the crawl's own process.  A polite crawl waits on its
# download delay, not the CPU.  Flat out (--no-throttle), 1 uses a spare core, for 7-20 %
# more CPU and 60 % more memory, and less wall time when the core is really spare
# (README, Performance).
NEWSARC_EXTRACT_PROCESSES = 0
# Stop after writing this many articles (0: no limit), once their page requisites are
# fetched too (crawler/limit.py); `--max-articles N` sets it.  Scrapy's own
# CLOSESPIDER_ITEMCOUNT also works, and stops at once: the last articles may miss photos.
NEWSARC_MAX_ARTICLES = 0
# Seconds one page's extraction may take before it is abandoned and its URL fails (listed,
# retried by the next run, exit code 1): a hostile page must not hold the crawl
# (crawler/watchdog.py).  0: no limit.
NEWSARC_PAGE_TIMEOUT = 30.0
CLOSESPIDER_ITEMCOUNT = 0
# Gap probing (crawler/spiders/outlet.py): at most this many probes a run, the rest left
# for the next runs (the summary says how many); and how far past the newest article the
# lists and feeds show a stored number may stretch the probed range (farther: suspect).
NEWSARC_GAP_PROBES_PER_RUN = 5000
NEWSARC_GAP_MAX_AHEAD = 1000
NEWSARC_PROGRESS_INTERVAL = 5.0  # seconds between progress lines (0: none)
NEWSARC_QUIET = False  # only the one-line summary at the end (for cron)
NEWSARC_LOCK_HELD = False  # set by `newsarc crawl`, which takes the archive lock itself
# Template drift (crawler/drift.py): when this share of a run's article pages or more was
# extracted by the whole-page fallback, or lacks a title, date, reporter or body, the run
# prints "warning: template drift" and exits 1 (0 turns the alarm off); only for runs of at
# least NEWSARC_DRIFT_MIN_PAGES article pages, so a run of a few pages does not cry wolf.
NEWSARC_DRIFT_THRESHOLD = 0.1
NEWSARC_DRIFT_MIN_PAGES = 10

# WARC snapshots of every exchange (archive/warc.py).
NEWSARC_WARC = True
NEWSARC_WARC_MAX_SIZE = 1_000_000_000  # rotate files at this size (bytes)
NEWSARC_WARC_PREFIX = "newsarc"  # file names: PREFIX-TIME-HOST-PID-TOKEN.warc.gz
# "1.0" for readers that know no WARC/1.1 (hanzo warctools, warc-knot); `--warc-version`.
NEWSARC_WARC_VERSION = "1.1"
# Scrapy's HTTP/1.1 handler, also recording each exchange's heads as they crossed the wire,
# for the WARC records (crawler/rawhttp.py).
DOWNLOAD_HANDLERS = {
    "http": "crawler.rawhttp.WireHeadsDownloadHandler",
    "https": "crawler.rawhttp.WireHeadsDownloadHandler",
}
# Fetch the images, stylesheets and scripts of each article page on the site's own host,
# so that a replayed page looks like the original.
NEWSARC_PAGE_REQUISITES = True
# Refuse everything but http(s) on the site's exact host and port (crawler/scope.py).
NEWSARC_SCOPE = True

# Distributed crawls (crawler/distributed.py, `newsarc crawl --redis URL`): a worker stops
# once the shared queue has stayed empty this long.
NEWSARC_REDIS_IDLE_SECONDS = 30
