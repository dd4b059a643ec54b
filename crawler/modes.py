"""Crawl modes, defined once: the spider runs them and ``newsarc crawl --mode`` offers them.

A module of its own, so the command line reads them without importing Scrapy.
"""

# incremental: new articles and recent edits; full: every article the site lists;
# backfill: a range of article numbers (--from-id, --to-id).
MODES = ("incremental", "full", "backfill")

# What `newsarc import` records as its run's mode (not a crawl mode: `crawl --mode` refuses it).
IMPORT_MODE = "import"
