"""The ``newsarc`` command: one front for the crawler, the extractor, the replica and the demo.

Each subcommand does one thing and prints what it did; exit codes: 0 ok, 1 the work ran
but something failed (listed in its output), or a file of the archive is damaged, or a
service it needs does not answer, 2 bad usage or bad input, 74 the archive could not be
written (disk full, not writable), 75 the archive is in use by another run; a closed
standard output (``newsarc verify DIR | head``) ends the command quietly, with 141.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import select
import socket
import sys
import time
from pathlib import Path
from typing import Any

from archive.formats import FORMATS
from crawler.modes import MODES
from crawler.profile import DEFAULT_PROFILE

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the archive; try again later
EXIT_PIPE = 141  # what a shell reports for a tool killed by SIGPIPE (128 + 13)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    from archive.errors import NewsarcError

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = int(args.handler(args) or 0)
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()  # a closed pipe shows here, not at exit with a traceback
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # exit flush too
        return EXIT_PIPE
    except NewsarcError as exc:
        print(f"newsarc {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:
        print(f"newsarc {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an archive that cannot be written: say where, and stop
        from crawler.storage import EXIT_STORAGE, describe

        where = getattr(args, "out", None) or getattr(args, "archive", None)
        print(f"newsarc {args.command}: stopped: {describe(exc, where)}", file=sys.stderr)
        return EXIT_STORAGE


def _stdout_closed() -> bool:
    """True when standard output is a pipe nobody reads any more (``| head`` has quit):
    the kernel reports an error condition on its write end."""
    if sys.stdout is None:
        return False
    poller = select.poll()
    poller.register(sys.stdout.fileno(), select.POLLOUT)
    return any(event & select.POLLERR for _, event in poller.poll(0))


def _outside(path: Path, archive: Path, option: str = "--out") -> None:
    """Refuse an output path that lands in the archive the command reads, through any
    symbolic link: it would replace or add to the archive's own files (the corpus, a WARC
    file, the index) or be read back as part of it.  And one that is a link or no regular
    file: outputs are written beside it and renamed over it, which would replace the link
    itself (``--out /dev/stdout`` as root replaced /dev/stdout with a file)."""
    path = Path(path)
    target, root = path.resolve(), Path(archive).resolve()
    if target == root or root in target.parents:
        raise ValueError(f"{option} {path} is inside the archive {archive} (it resolves to "
                         f"{target}); write it outside the archive")
    if path.is_symlink():
        raise ValueError(f"{option} {path} is a symbolic link, which the output would "
                         "replace; give the path of the file itself")
    if path.exists() and not path.is_file():
        raise ValueError(f"{option} {path} is not a regular file; give a file name")


def _listenable(host: str, port: int) -> None:
    """Refuse, before anything starts, a port number that is none, or one that is busy."""
    if not 0 <= port <= 65535:
        raise ValueError(f"--port {port} is not a port number (0-65535)")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except socket.gaierror as exc:
        raise ValueError(f"--host {host}: {exc.strerror or exc}") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ValueError(f"port {port} is in use on {host}") from None
        raise ValueError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None


class _Version(argparse.Action):
    """``--version``: ``newsarc VERSION``, the installed distribution's, looked up only when
    asked for (reading package metadata is not free, and every command builds the parser)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print newsarc's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import version

        print(f"newsarc {version('newsarc')}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarc", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = commands.add_parser("crawl", help="crawl an outlet into an archive directory")
    crawl.add_argument("site", metavar="SITE_URL", help="the outlet's address, e.g. https://host")
    crawl.add_argument("--out", required=True, metavar="DIR", help="archive directory")
    _crawl_options(crawl)
    crawl.set_defaults(handler=_cmd_crawl)

    pool = commands.add_parser("pool", help="one worker crawling several outlets at once")
    pool.add_argument("config", metavar="POOL.toml", type=Path,
                      help="[[site]] tables with url, out and optional profile")
    _crawl_options(pool)
    pool.set_defaults(handler=_cmd_pool)

    extract = commands.add_parser("extract", help="extract records from saved HTML pages")
    extract.add_argument("paths", nargs="+", metavar="PATH", help="HTML files, or - for stdin")
    extract.add_argument("--url", help="the page's URL (default: its canonical link or og:url)")
    extract.add_argument("--profile", default=DEFAULT_PROFILE, help="outlet profile")
    extract.set_defaults(handler=_cmd_extract)

    replica = commands.add_parser("replica", help="serve the bundled replica of the outlet")
    replica.add_argument("--host", default="127.0.0.1")
    replica.add_argument("--port", type=int, default=8000)
    replica.add_argument("--size", type=int, default=240, help="number of base articles")
    replica.add_argument("--generation", type=int, default=0,
                         help="content generation: each adds new and edited articles")
    replica.add_argument("--faults", action="store_true",
                         help="misbehave on purpose, reproducibly: errors, stalls, cut "
                              "connections, legacy encodings, broken HTML, size bombs")
    replica.add_argument("--latency", type=_milliseconds, default=0.0, metavar="MS",
                         help="wait this many milliseconds before every answer, like a "
                              "server far away (for measuring politeness)")
    replica.add_argument("--skin", choices=("default", "redesign"), default="default",
                         help="article page skin: the CMS's own generations, or a redesign "
                              "(new markup, same URLs and content) no profile was written for")
    replica.add_argument("--skin-newest", type=int, metavar="K",
                         help="with --skin redesign: only the newest K articles (and those "
                              "published later) are redesigned; default: all")
    replica.set_defaults(handler=_cmd_replica)

    verify = commands.add_parser(
        "verify", help="check an archive's WARC digests and pointers, or any WARC/ARC files")
    verify.add_argument("inputs", metavar="FILE_OR_DIR", type=Path, nargs="+",
                        help="a newsarc archive, WARC/ARC files (.warc, .warc.gz, .arc, "
                             ".arc.gz), or folders of them (searched below)")
    _max_payload_option(verify)
    verify.set_defaults(handler=_cmd_verify)

    reextract = commands.add_parser("reextract", help="rebuild the corpus from the WARC files")
    reextract.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", type=Path,
                           help="a newsarc archive, or WARC/ARC files and folders of them")
    reextract.add_argument("--out", type=Path, metavar="FILE",
                           help="outside the inputs; default: ./<first input's name>"
                                ".reextracted.jsonl")
    _import_options(reextract)
    reextract.set_defaults(handler=_cmd_reextract)

    imports = commands.add_parser("import", help="make an archive of WARC/ARC files made "
                                                 "elsewhere (wget, Heritrix, the Internet "
                                                 "Archive...)")
    imports.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", type=Path,
                         help="WARC/ARC files (.warc, .warc.gz, .arc, .arc.gz), folders of "
                              "them, or a newsarc archive")
    imports.add_argument("--out", required=True, type=Path, metavar="DIR",
                         help="archive directory (new, or one to add to)")
    _import_options(imports)
    imports.set_defaults(handler=_cmd_import)

    replay = commands.add_parser("replay", help="replay archived pages with pywb")
    replay.add_argument("archive", metavar="DIR", type=Path)
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8080)
    replay.set_defaults(handler=_cmd_replay)

    wacz = commands.add_parser("wacz", help="package an archive as a WACZ file")
    wacz.add_argument("archive", metavar="DIR", type=Path)
    wacz.add_argument("--out", required=True, type=Path, metavar="FILE.wacz")
    wacz.add_argument("--replayweb-config", type=Path, metavar="FILE.json",
                      help="also write the config a page embedding the WACZ passes to "
                           "ReplayWeb.page, so every form of an article link replays it")
    wacz.set_defaults(handler=_cmd_wacz)

    export = commands.add_parser("export", help="export the corpus for research tools")
    export.add_argument("archive", metavar="DIR", type=Path)
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", required=True, type=Path, metavar="PATH")
    _filter_options(export)
    export.add_argument("--excel", action="store_true",
                        help="CSV: UTF-8 with a byte-order mark, as Excel expects")
    export.set_defaults(handler=_cmd_export)

    search = commands.add_parser("search", help="full-text search of titles and bodies")
    search.add_argument("archive", metavar="DIR", type=Path)
    search.add_argument("text", metavar="TEXT", help='words or "a phrase"; all must occur')
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.set_defaults(handler=_cmd_search)

    stats = commands.add_parser("stats", help="what the corpus holds, in numbers")
    stats.add_argument("archive", metavar="DIR", type=Path)
    stats.add_argument("--plot", type=Path, metavar="FILE.png", help="draw them in one figure")
    stats.set_defaults(handler=_cmd_stats)

    show = commands.add_parser("show", help="one article: record, versions, replay path")
    show.add_argument("archive", metavar="DIR", type=Path)
    show.add_argument("id", type=int, metavar="ID")
    show.set_defaults(handler=_cmd_show)

    browse = commands.add_parser("browse", help="open the catalog in Datasette")
    browse.add_argument("archive", metavar="DIR", type=Path)
    browse.add_argument("--host", default="127.0.0.1")
    browse.add_argument("--port", type=int, default=8001)
    browse.set_defaults(handler=_cmd_browse)

    merge = commands.add_parser("merge", help="fold distributed workers' shards into DIR")
    merge.add_argument("archive", metavar="DIR", type=Path)
    merge.set_defaults(handler=_cmd_merge)

    runs = commands.add_parser("runs", help="list the crawl runs of an archive")
    runs.add_argument("archive", metavar="DIR", type=Path)
    runs.add_argument("--json", action="store_true", help="one JSON object per run")
    runs.set_defaults(handler=_cmd_runs)

    demo = commands.add_parser("demo", help="crawl the bundled replica end to end")
    demo.add_argument("--out", default="demo-archive", metavar="DIR")
    demo.add_argument("--size", type=int, default=240, help="number of replica articles")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _import_options(parser: argparse.ArgumentParser) -> None:
    """What ``import`` and ``reextract`` share: they read and extract alike."""
    parser.add_argument("--site", metavar="HOST",
                        help="the outlet's host (default: the most frequent host among "
                             "the HTTP 200 HTML responses); other hosts are not extracted")
    parser.add_argument("--profile", default=DEFAULT_PROFILE, help="outlet profile")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="extraction processes (default: every core)")
    _max_payload_option(parser)


def _max_payload_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-payload", type=int, default=16 * 1024 * 1024, metavar="BYTES",
                        help="decode no WARC payload past this size (default: the crawl's "
                             "DOWNLOAD_MAXSIZE, 16 MiB); a larger one is flagged")


def _filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                        help="published on or after this day (Korea time)")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD",
                        help="published on or before this day (Korea time)")
    parser.add_argument("--section", help="exact section name, e.g. 경제")
    parser.add_argument("--author", metavar="NAME", help="a reporter's exact name")
    parser.add_argument("--query", metavar="TEXT", help="title or body holds every term")
    parser.add_argument("--all-versions", action="store_true",
                        help="every stored version, not only the latest of each article")


def _filters(args: argparse.Namespace) -> Any:
    from archive.query import Filters, parse_date, terms

    if args.query is not None and not terms(args.query):  # not "no filter": say so
        raise ValueError("--query: empty search text: give a word or a \"phrase\"")
    return Filters(
        date_from=parse_date(args.date_from, "--from"), date_to=parse_date(args.date_to, "--to"),
        section=args.section, author=args.author, query=args.query,
        all_versions=args.all_versions,
    )


def _crawl_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=MODES,
                        help="default: incremental once DIR has a catalog, else full")
    parser.add_argument("--recheck-days", type=float, default=3, metavar="DAYS",
                        help="incremental: re-check articles published this recently (3)")
    parser.add_argument("--from-id", type=int, metavar="A", help="backfill: first number")
    parser.add_argument("--to-id", type=int, metavar="B", help="backfill: last number")
    parser.add_argument("--redis", metavar="redis://HOST:PORT/DB",
                        help="be one worker of a distributed crawl sharing this Redis")
    parser.add_argument("--worker", metavar="NAME",
                        help="this worker's name in file names (default: host-pid)")
    parser.add_argument("--quiet", action="store_true",
                        help="print only a one-line summary (for cron)")
    parser.add_argument("--max-articles", type=int, default=0, metavar="N",
                        help="stop after writing N articles (and their photos)")
    parser.add_argument("--no-throttle", action="store_true",
                        help="no delay, no AutoThrottle, 16 concurrent requests (loopback only)")
    parser.add_argument("--profile", default=DEFAULT_PROFILE, help="outlet profile name or file")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any Scrapy or NEWSARC_ setting")
    parser.add_argument("-v", "--verbose", action="store_true", help="Scrapy's INFO log")
    parser.add_argument("--warc-version", metavar="1.0|1.1",
                        help="WARC version of the files written (default 1.1; 1.0 for "
                             "older readers such as warctools)")


# --- crawl ------------------------------------------------------------------------------

def _overrides(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"-s expects NAME=VALUE, got {pair!r}")
        _check_setting(name, value)
        result[name] = value
    return result


def _check_setting(name: str, value: str) -> None:
    """Refuse a value Scrapy could not read as the setting's type (``DOWNLOAD_TIMEOUT=abc``):
    it would stop the crawl while starting, far from the option that caused it."""
    from scrapy.settings import Settings

    default = Settings()
    default.setmodule("crawler.settings", priority="project")
    kind = type(default.get(name))
    given = Settings({name: value})
    try:
        if kind is bool:
            given.getbool(name)
        elif kind in (int, float):
            number = given.getfloat(name)
            if not math.isfinite(number):
                raise ValueError(value)
        elif kind is dict:
            given.getdict(name)
        else:
            return
    except (ValueError, TypeError):
        what = {bool: "True or False", dict: "a JSON object"}.get(kind, "a number")
        raise ValueError(f"-s {name}={value}: {name} takes {what}") from None


def _check_crawl_options(args: argparse.Namespace) -> None:
    """Numbers that would make a crawl do something else than asked, silently."""
    if args.max_articles < 0:
        raise ValueError(f"--max-articles {args.max_articles}: give 0 (no limit) or more")
    if not 0 <= args.recheck_days <= 36500:  # a century; also refuses nan
        raise ValueError(f"--recheck-days {args.recheck_days}: give 0 to 36500 days")
    for option, value in (("--from-id", args.from_id), ("--to-id", args.to_id)):
        if value is not None and value < 0:
            raise ValueError(f"{option} {value}: article numbers are 0 or more")
    if args.from_id is not None and args.to_id is not None and args.from_id > args.to_id:
        raise ValueError(f"--from-id {args.from_id} is after --to-id {args.to_id}")
    _check_warc_version(args)
    if args.redis:
        _check_redis(args.redis)


def _check_warc_version(args: argparse.Namespace) -> None:
    """``--warc-version`` (or ``-s NEWSARC_WARC_VERSION``) one newsarc writes; the option
    becomes that setting, so that a crawl, a pool and each distributed worker get it."""
    from archive.warc import WARC_VERSIONS

    versions = " or ".join(WARC_VERSIONS)
    if args.warc_version is not None:
        if args.warc_version not in WARC_VERSIONS:
            raise ValueError(f"--warc-version {args.warc_version}: give {versions}")
        args.set = [*args.set, f"NEWSARC_WARC_VERSION={args.warc_version}"]
    for pair in args.set:
        name, _, value = pair.partition("=")
        if name == "NEWSARC_WARC_VERSION" and value.strip() not in WARC_VERSIONS:
            raise ValueError(f"-s {pair}: NEWSARC_WARC_VERSION takes {versions}")


def _check_redis(url: str) -> None:
    """A Redis URL that parses, scrapy-redis to use it, and a server that answers; the
    message shows host and port only, never a password in the URL."""
    import importlib.util
    from urllib.parse import urlsplit

    from archive.errors import Unreachable

    parts = urlsplit(url)
    try:
        usable = parts.scheme in ("redis", "rediss") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:  # a port that is no number
        usable = False
    if not usable:
        raise ValueError("--redis takes redis://HOST:PORT/DB (or rediss://), got "
                         f"{parts.scheme or 'no'} scheme and host {parts.hostname or 'none'}")
    if importlib.util.find_spec("scrapy_redis") is None:
        raise ValueError("--redis needs scrapy-redis, not installed in this environment: "
                         "`make distributed` makes .venv-distributed with it")
    import redis

    where = f"{parts.hostname}:{parts.port or 6379}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except redis.exceptions.RedisError as exc:
        raise Unreachable(f"cannot reach Redis at {where}: {exc}") from None


def _cmd_crawl(args: argparse.Namespace) -> int:
    from archive.lock import ArchiveLocked
    from archive.query import catalog_errors

    _check_crawl_options(args)
    if args.mode == "backfill" and (args.from_id is None or args.to_id is None):
        raise ValueError("--mode backfill needs --from-id and --to-id")
    if args.mode != "backfill" and (args.from_id is not None or args.to_id is not None):
        raise ValueError("--from-id and --to-id go with --mode backfill")
    spider_args = {"mode": args.mode, "recheck_days": args.recheck_days,
                   "from_id": args.from_id, "to_id": args.to_id}
    from crawler.run import CrawlOptions, run_crawl

    options = CrawlOptions(
        max_articles=args.max_articles, no_throttle=args.no_throttle, profile=args.profile,
        overrides=_overrides(args.set), verbose=args.verbose, quiet=args.quiet,
        spider_args=spider_args,
    )
    try:
        with catalog_errors(Path(args.out)):
            summary = run_crawl(args.site, args.out, options, redis_url=args.redis,
                                worker=args.worker)
    except ArchiveLocked as exc:
        print(f"newsarc crawl: {exc}; not started", file=sys.stderr)
        return EXIT_LOCKED
    if not summary:
        print("newsarc crawl: the crawl did not run (see the log above)", file=sys.stderr)
        return EXIT_FAILED
    if not args.quiet:
        print(f"corpus: {Path(args.out) / 'articles.jsonl'}")
    return int(summary.get("exit_code", EXIT_OK))


def _cmd_pool(args: argparse.Namespace) -> int:
    from crawler.run import CrawlOptions, load_pool, run_pool

    if not args.redis:
        raise ValueError("a pool shares its frontiers in Redis: give --redis URL")
    if args.mode == "backfill":
        raise ValueError("a pool does not backfill; crawl one outlet with --mode backfill")
    _check_crawl_options(args)
    sites = load_pool(args.config)
    options = CrawlOptions(
        max_articles=args.max_articles, no_throttle=args.no_throttle,
        overrides=_overrides(args.set), verbose=args.verbose, quiet=args.quiet,
        spider_args={"mode": args.mode, "recheck_days": args.recheck_days},
    )
    summaries = run_pool(sites, args.redis, args.worker, options)
    failed = [s for s in summaries if not s or s.get("exit_code")]
    return EXIT_FAILED if failed else EXIT_OK


# --- extract ----------------------------------------------------------------------------

def _cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extract import extract
    from crawler.profile import load_profile
    from crawler.skip import Skip, SkipKind

    profile = load_profile(args.profile)
    status = EXIT_OK
    for path in args.paths:
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            result: Any = Skip(SkipKind.UNREADABLE, f"unreadable file: {exc.strerror or exc}")
            status = EXIT_FAILED
        else:
            result = extract(data, args.url, profile=profile)
        if isinstance(result, Skip):
            line = {"source": path, "skipped": result.reason}
        else:
            line = {**result, "source": path}
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


# --- archive commands -------------------------------------------------------------------

def _cmd_verify(args: argparse.Namespace) -> int:
    from archive.verify import verify_inputs

    if args.max_payload < 1:
        raise ValueError(f"--max-payload {args.max_payload}: give 1 or more bytes")
    report = verify_inputs(args.inputs, args.max_payload)
    for problem in report.problems:
        print(f"problem: {problem}")
    for skipped in report.not_checked:  # named, so nobody takes them for checked
        print(f"note: {skipped}")
    for note in report.oversized:  # sound, but a reader should not inflate these
        print(f"note: {note}")
    print(report.summary())
    return EXIT_OK if report.sound else EXIT_FAILED


def _check_import_options(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise ValueError(f"--jobs {args.jobs}: give 1 or more processes")
    if args.max_payload < 1:
        raise ValueError(f"--max-payload {args.max_payload}: give 1 or more bytes")


def _cmd_reextract(args: argparse.Namespace) -> int:
    from crawler.reextract import write_reextracted

    _check_import_options(args)
    out = args.out or Path(f"{args.inputs[0].resolve().name}.reextracted.jsonl")
    for source in args.inputs:
        _outside(out, source)
    report = write_reextracted(args.inputs, out, args.profile, max_payload=args.max_payload,
                               jobs=args.jobs, site=args.site)
    for note in report.notes:
        print(f"newsarc reextract: note: {note}", file=sys.stderr)
    for problem in report.problems:
        print(f"newsarc reextract: {problem}", file=sys.stderr)
    failed = f"; {len(report.problems)} problem(s), listed on stderr" if report.problems else ""
    print(f"{report.written} records re-extracted from the WARC files into {out}{failed}")
    return EXIT_FAILED if report.problems else EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from archive.lock import ArchiveLocked
    from crawler.importer import import_files

    _check_import_options(args)
    try:
        report = import_files(args.inputs, args.out, site=args.site, profile=args.profile,
                              jobs=args.jobs, max_payload=args.max_payload)
    except ArchiveLocked as exc:
        print(f"newsarc import: {exc}; not started", file=sys.stderr)
        return EXIT_LOCKED
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"newsarc import: {problem}", file=sys.stderr)
    print(report.site_line())
    print(report.summary())
    return EXIT_FAILED if report.problems else EXIT_OK


def _cmd_replay(args: argparse.Namespace) -> int:
    try:
        import pywb  # noqa: F401
        from gevent.monkey import patch_all
    except ImportError:
        raise ValueError("replay needs pywb: pip install 'newsarc[replay]' (make does)") from None
    _listenable(args.host, args.port)
    patch_all()  # pywb runs on gevent, as its own `wayback` command does
    from archive.replay import serve
    from crawler.urls import replay_aliases

    # Any form of an article link replays that article (never another), as on the site.
    serve(args.archive, args.host, args.port, rules=[replay_aliases()])
    return EXIT_OK


def _cmd_wacz(args: argparse.Namespace) -> int:
    from archive.wacz import package

    _outside(args.out, args.archive)
    if args.replayweb_config:
        _outside(args.replayweb_config, args.archive, "--replayweb-config")
    pages = package(args.archive, args.out)
    print(f"{args.out}: WACZ with {pages} article pages")
    if args.replayweb_config:
        from archive.safeio import atomic_write
        from archive.wacz import replayweb_config
        from crawler.urls import replay_aliases

        config = replayweb_config(args.archive, [replay_aliases()])
        atomic_write(args.replayweb_config, json.dumps(config) + "\n")
        print(f"{args.replayweb_config}: ReplayWeb.page config "
              f"(<replay-web-page config='...'>), {len(config['fuzzy'])} rule(s)")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from archive.export import export
    from archive.query import catalog_errors, open_catalog

    filters = _filters(args)
    _outside(args.out, args.archive)
    catalog = open_catalog(args.archive)
    try:
        with catalog_errors(args.archive):
            result = export(catalog, args.format, args.out, filters, excel=args.excel,
                            outlets=_outlets())
    finally:
        catalog.close()
    print(result.describe())
    return EXIT_OK


def _outlets() -> tuple[Any, ...]:
    """What a dataset card says of each outlet, from the bundled profiles (archive/ knows
    none: the CMS and the outlets are the crawler's knowledge)."""
    from archive.export import Outlet
    from crawler.profile import bundled_profiles

    return tuple(Outlet(p.name, p.language, p.collection, p.copyright, p.copyright_en)
                 for p in bundled_profiles())


def _cmd_search(args: argparse.Namespace) -> int:
    from archive.query import catalog_errors, open_catalog, terms
    from archive.search import format_hit, search

    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if not terms(args.text):
        raise ValueError("empty search text: give a word or a \"phrase\"")
    catalog = open_catalog(args.archive)
    try:
        with catalog_errors(args.archive):
            hits = search(catalog, args.text, min(args.limit, 2**62))  # SQLite's integers
    finally:
        catalog.close()
    for hit in hits:
        print(format_hit(hit))
    if not hits:
        print(f"no article holds {args.text!r}")
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace) -> int:
    from archive.query import catalog_errors, open_catalog
    from archive.stats import check_plot_path, collect, format_stats, plot

    if args.plot:
        check_plot_path(args.plot)
        _outside(args.plot, args.archive, "--plot")
    catalog = open_catalog(args.archive)
    try:
        with catalog_errors(args.archive):
            numbers = collect(catalog)
    finally:
        catalog.close()
    print(format_stats(numbers))
    if args.plot:
        plot(numbers, args.plot)
        print(f"figure: {args.plot}")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from archive.catalog import full_record_sql
    from archive.query import catalog_errors, open_catalog, replay_path

    if not -2**63 <= args.id < 2**63:  # SQLite's integers; no article has another id
        raise ValueError(f"no article {args.id} in {args.archive}")
    catalog = open_catalog(args.archive)
    try:
        with catalog_errors(args.archive):
            rows = catalog.db.execute(f"SELECT {full_record_sql()} FROM texts WHERE id = ? "
                                      "ORDER BY version", (args.id,)).fetchall()
            captures = catalog.db.execute(
                "SELECT kind, status, warc_date, warc_filename, warc_offset FROM captures "
                "WHERE id = ? ORDER BY warc_date", (args.id,)).fetchall()
    finally:
        catalog.close()
    if not rows:
        raise ValueError(f"no article {args.id} in {args.archive}")
    versions = [json.loads(r[0]) for r in rows]
    latest = versions[-1]
    print(json.dumps({**latest, "replay": replay_path(latest)}, ensure_ascii=False, indent=2))
    print(f"\nversions of article {args.id}:")
    for record in versions:
        warc = record.get("warc") or {}
        print(f"  v{record['version']}  fetched {record['fetched_at']}  modified "
              f"{record['modified'] or '-'}  sha256 {record['content_hash'][:12]}  "
              f"{warc.get('filename', '-')} @{warc.get('offset', '-')}  "
              f"replay {replay_path(record) or '-'}")
    if captures:
        print(f"captures of article {args.id}:")
        for kind, status, when, filename, offset in captures:
            print(f"  {when}  {kind:<8} HTTP {status}  {filename} @{offset}")
    return EXIT_OK


def _cmd_browse(args: argparse.Namespace) -> int:
    from archive.browse import serve

    serve(args.archive, args.host, args.port)
    return EXIT_OK


def _cmd_merge(args: argparse.Namespace) -> int:
    from archive.lock import ArchiveLocked
    from archive.merge import merge
    from archive.query import catalog_errors

    try:
        with catalog_errors(args.archive):
            report = merge(args.archive)
    except ArchiveLocked as exc:
        print(f"newsarc merge: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    print(report.describe())
    return EXIT_OK


def _cmd_runs(args: argparse.Namespace) -> int:
    from archive.catalog import Catalog, has_catalog
    from archive.query import catalog_errors
    from archive.runtable import format_runs, run_summary

    if not has_catalog(args.archive):
        raise ValueError(f"{args.archive} has no catalog (no crawl has run there)")
    with catalog_errors(args.archive):
        catalog = Catalog.read_only(args.archive)
        try:
            if not catalog.is_current():  # an older newsarc's: its schema, in memory
                catalog, older = Catalog.in_memory(args.archive, catalog), catalog
                older.close()
            runs = catalog.runs()
        finally:
            catalog.close()
    if args.json:
        for run in runs:
            print(json.dumps(run, ensure_ascii=False))
        return EXIT_OK
    for line in format_runs([run_summary(run) for run in runs]):
        print(line)
    return EXIT_OK


# --- replica and demo -------------------------------------------------------------------

def _milliseconds(value: str) -> float:
    """A ``--latency`` value: a non-negative number of milliseconds."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"not a number of milliseconds >= 0: {value!r}")
    return number


def _cmd_replica(args: argparse.Namespace) -> int:
    from newsarc.replica.server import serve

    _listenable(args.host, args.port)
    serve(host=args.host, port=args.port, size=args.size, generation=args.generation,
          faults=args.faults, latency=args.latency / 1000, skin=args.skin,
          skin_newest=args.skin_newest)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from archive.corpus import CORPUS_NAME
    from crawler.run import CrawlOptions, run_crawl
    from newsarc.replica.server import Replica

    started = time.monotonic()
    with Replica(size=args.size) as replica:
        print(f"replica of the outlet serving at {replica.url}")
        summary = run_crawl(replica.url, args.out, CrawlOptions(no_throttle=True))
    corpus = Path(args.out) / CORPUS_NAME
    count = sum(1 for _ in corpus.open(encoding="utf-8")) if corpus.exists() else 0
    print(f"\ncorpus: {corpus.resolve()}")
    print(f"articles in corpus: {count} (written this run: {summary.get('articles_written', 0)})")
    print(f"took {time.monotonic() - started:.1f} s")
    return EXIT_FAILED if summary.get("errors_total") else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
