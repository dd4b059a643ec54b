"""Export formats, defined once: ``newsarc export --format`` offers them and
``archive.export`` writes them.  A module of its own, so the command line reads them
without importing pyarrow."""

FORMATS = ("parquet", "csv", "jsonl")
