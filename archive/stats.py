"""What the corpus holds, in numbers: ``newsarc stats DIR [--plot FILE.png]``.

Articles are counted once, on their latest version (the ``latest`` view), so an edited
article does not count twice; crawl runs come from the ``runs`` table, with how each run's
article pages were extracted (its statistics' ``extraction`` numbers).  ``collect`` returns
plain JSON-ready data, ``format_stats`` prints it as text tables, ``plot`` draws it in one
figure with matplotlib (no pyplot, so no GUI backend and no global figure state).
"""

from __future__ import annotations

import importlib.util
import math
import os
import statistics
import unicodedata
import warnings
from datetime import date
from pathlib import Path
from typing import Any

from archive.catalog import Catalog
from archive.runtable import format_runs, run_summary
from archive.safeio import atomic_writer

TOP_REPORTERS_TEXT = 30  # reporters listed in the text; the rest are summed up
TOP_REPORTERS_PLOT = 15
RUNS_PLOTTED = 60  # hourly crawls make thousands of runs; the figure shows the newest
BAR_WIDTH = 32  # characters of the longest bar in the text tables
NO_SECTION = "(none)"
FIGURE_INCHES, FIGURE_DPI = (16, 9), 100  # 1600 x 900 pixels

# --- numbers ----------------------------------------------------------------------------


def collect(catalog: Catalog) -> dict[str, Any]:
    """Every number ``format_stats`` and ``plot`` show, as JSON-ready data."""
    db = catalog.db
    articles, first, last = db.execute(
        "SELECT COUNT(*), MIN(published), MAX(published) FROM latest").fetchone()
    versions = db.execute("SELECT COUNT(*) FROM texts").fetchone()[0]
    edited = db.execute("SELECT COUNT(*) FROM latest WHERE version > 1").fetchone()[0]
    lengths = [r[0] for r in db.execute("SELECT body_chars FROM latest ORDER BY body_chars")]
    return {
        "outlet": _outlet(catalog),
        "articles": articles,
        "versions": versions,
        "edited": edited,
        "first_published": first,
        "last_published": last,
        "per_month": _per_month(catalog),
        "per_section": _counts(db.execute(
            "SELECT COALESCE(section, ?), COUNT(*) FROM latest GROUP BY 1", (NO_SECTION,))),
        "per_reporter": _counts(db.execute(
            "SELECT au.name, COUNT(DISTINCT au.id) FROM authors au JOIN latest l "
            "ON l.id = au.id AND l.version = au.version GROUP BY au.name")),
        "no_reporter": db.execute(
            "SELECT COUNT(*) FROM latest l WHERE NOT EXISTS (SELECT 1 FROM authors au "
            "WHERE au.id = l.id AND au.version = l.version)").fetchone()[0],
        "body_chars": _body_summary(lengths),
        "body_lengths": lengths,
        "runs": _runs(catalog),
    }


def _outlet(catalog: Catalog) -> str | None:
    """The outlet's name as its records give it (the ``site`` field)."""
    row = catalog.db.execute(
        "SELECT json_extract(record, '$.site') AS site, COUNT(*) FROM latest "
        "WHERE site IS NOT NULL GROUP BY site ORDER BY 2 DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _counts(rows: Any) -> dict[str, int]:
    """(name, count) rows as a dict, largest first, ties by name: the order tables show."""
    return dict(sorted(((name, n) for name, n in rows), key=lambda item: (-item[1], item[0])))


def _per_month(catalog: Catalog) -> dict[str, int]:
    """Articles per publication month (Korea time), months without articles included,
    so that a gap in the outlet's history shows as a gap and not as a shorter list."""
    counted = dict(catalog.db.execute(
        "SELECT month, COUNT(*) FROM latest WHERE month IS NOT NULL GROUP BY month"))
    if not counted:
        return {}
    months = _month_range(min(counted), max(counted))
    return {month: counted.get(month, 0) for month in months}


def _month_range(first: str, last: str) -> list[str]:
    """'YYYY-MM' strings from ``first`` to ``last`` inclusive."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _body_summary(lengths: list[int]) -> dict[str, Any]:
    """Minimum, median, mean, maximum and a histogram with round bin edges."""
    if not lengths:
        return {"min": 0, "median": 0, "mean": 0, "max": 0, "bins": []}
    width = _nice_step(max(lengths) / 10)
    bins: dict[int, int] = {}
    for n in lengths:
        bins[n // width] = bins.get(n // width, 0) + 1
    low, high = min(bins), max(bins)
    return {
        "min": min(lengths),
        "median": statistics.median(lengths),
        "mean": round(statistics.fmean(lengths), 1),
        "max": max(lengths),
        "bins": [[i * width, (i + 1) * width - 1, bins.get(i, 0)] for i in range(low, high + 1)],
    }


def _nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5 x 10^k at least ``raw``: bin edges a reader can take in."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _runs(catalog: Catalog) -> list[dict[str, Any]]:
    """Each crawl run with the counts its statistics recorded (None when it recorded none:
    a run still going, or one that was killed)."""
    return [{**run_summary(run), "extraction": _extraction(run["stats"])}
            for run in catalog.runs()]


def _extraction(stats: dict[str, Any]) -> dict[str, Any] | None:
    """How a run's article pages were extracted, as its statistics recorded it (None for a
    run that recorded none: an older newsarc's, a killed one): article pages, pages per
    extraction method, pages missing each field, and whether the drift alarm fired."""
    extraction = stats.get("extraction")
    if not isinstance(extraction, dict):
        return None
    return {
        "article_pages": extraction.get("article_pages", 0),
        "methods": dict(extraction.get("methods") or {}),
        "missing": dict(extraction.get("missing") or {}),
        "incomplete": extraction.get("incomplete", 0),
        "drift": bool(stats.get("drift")),
    }


# --- text -------------------------------------------------------------------------------


def format_stats(numbers: dict[str, Any]) -> str:
    """The numbers as text tables, aligned for a terminal (Hangul is two columns wide)."""
    parts = [
        _headline(numbers),
        _table("Articles per month (publication, Korea time)", ("month", "articles"),
               numbers["per_month"].items(), numbers["articles"], share=False),
        _table("Articles per section", ("section", "articles"),
               numbers["per_section"].items(), numbers["articles"]),
        _reporters(numbers),
        _body(numbers),
        _runs_table(numbers["runs"]),
        _extraction_table(numbers["runs"]),
    ]
    return "\n\n".join(parts)


def _headline(numbers: dict[str, Any]) -> str:
    first, last = _day(numbers["first_published"]), _day(numbers["last_published"])
    return (f"{numbers['outlet'] or 'newsarc archive'}: {numbers['articles']} articles "
            f"published {first} to {last}\n"
            f"{numbers['versions']} stored versions; {numbers['edited']} articles edited after "
            f"their first capture (counted once, as their latest version)")


def _day(iso: str | None) -> str:
    return iso[:10] if iso else "?"


def _table(title: str, header: tuple[str, str], rows: Any, total: int,
           share: bool = True) -> str:
    """A two-column table with a share column and a bar; ``total`` is 100 %."""
    rows = list(rows)
    width = max([_width(header[0])] + [_width(str(name)) for name, _ in rows])
    peak = max([n for _, n in rows] + [1])
    lines = [title, f"  {_pad(header[0], width)}  {header[1]:>8}" + ("   share" if share else "")]
    for name, n in rows:
        cell = f"  {n / total:6.1%}" if share and total else ""
        bar = "█" * round(BAR_WIDTH * n / peak) if n else ""
        lines.append(f"  {_pad(str(name), width)}  {n:>8}{cell}  {bar}".rstrip())
    return "\n".join(lines)


def _reporters(numbers: dict[str, Any]) -> str:
    reporters = list(numbers["per_reporter"].items())
    shown = reporters[:TOP_REPORTERS_TEXT]
    title = "Articles per reporter (an article with two bylines counts for both)"
    if len(reporters) > len(shown):
        title += f", top {len(shown)} of {len(reporters)}"
    text = _table(title, ("reporter", "articles"), shown, numbers["articles"])
    rest = reporters[len(shown):]
    if rest:
        text += f"\n  … {len(rest)} more reporters with {sum(n for _, n in rest)} bylines"
    return text + f"\n  articles without a byline: {numbers['no_reporter']}"


def _body(numbers: dict[str, Any]) -> str:
    body = numbers["body_chars"]
    rows = [(f"{low:,}–{high:,}", n) for low, high, n in body["bins"]]
    text = _table("Body length (characters)", ("range", "articles"), rows, numbers["articles"])
    return (text + f"\n  min {body['min']:,}  median {body['median']:,}  "
            f"mean {body['mean']:,}  max {body['max']:,}")


def _runs_table(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "Crawl runs\n  none recorded"
    return "\n".join([f"Crawl runs ({len(runs)})", *format_runs(runs, indent="  ")])


def _extraction_table(runs: list[dict[str, Any]]) -> str:
    """Per run: article pages, how many the fallback extracted, how many lacked each field
    (the fields each run recorded), and whether the run raised the drift alarm."""
    recorded = [run for run in runs if run["extraction"]]
    if not recorded:
        return "Extraction per run\n  none recorded"
    fields = list(dict.fromkeys(f for run in recorded for f in run["extraction"]["missing"]))
    header = "".join(f" {'no ' + f:>{max(len(f) + 3, 6)}}" for f in fields)
    lines = ["Extraction per run (article pages, how many the fallback extracted, how many "
             "lacked each field)",
             f"  {'run':>4}  {'pages':>6} {'fallback':>8} {'share':>6}{header}  drift"]
    for run in runs:
        e = run["extraction"]
        if not e:
            lines.append(f"  {run['run_id']:>4}  {'-':>6}")
            continue
        pages, fallback = e["article_pages"], e["methods"].get("fallback", 0)
        share = f"{fallback / pages:.0%}" if pages else "-"
        cells = "".join(f" {_n(e['missing'].get(f)):>{max(len(f) + 3, 6)}}" for f in fields)
        lines.append(f"  {run['run_id']:>4}  {pages:>6} {fallback:>8} {share:>6}{cells}  "
                     f"{'yes' if e['drift'] else 'no'}")
    return "\n".join(lines)


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide (Hangul, CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


# --- figure -----------------------------------------------------------------------------


def plot(numbers: dict[str, Any], path: Path) -> None:
    """Draw the numbers in one figure at ``path``; ValueError for a path it cannot write.

    The figure is rendered to a temporary file next to ``path`` and renamed into place, so
    a failure leaves neither a partial file nor a changed old one.
    """
    path = Path(path)
    fmt = check_plot_path(path)
    figure = _figure(numbers)
    try:
        with atomic_writer(path) as out:
            figure.savefig(out, format=fmt, dpi=FIGURE_DPI)
    except OSError as exc:
        raise ValueError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_plot_path(path: Path) -> str:
    """The image format for ``path``'s suffix; ValueError for a path that cannot be one.

    Cheap, so a caller can check ``--plot`` before it prints or computes anything.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a file name such as stats.png")
    if not path.parent.exists():
        raise ValueError(f"{path.parent}: no such directory")
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a directory")
    if not os.access(path.parent, os.W_OK):
        raise ValueError(f"cannot write {path}: {path.parent} is not writable")
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FigureCanvasBase.get_supported_filetypes():
        raise ValueError(f"{path}: unknown image type {path.suffix or '(no suffix)'!r}; "
                         "use .png (or .svg, .pdf, .jpg, .webp)")
    return fmt


def _korean_fonts() -> None:
    """Select NanumGothic, bundled by koreanize-matplotlib, so Hangul labels are not tofu.

    Importing the package registers the font and selects it.  It imports ``distutils``,
    gone from Python 3.12 without setuptools; then the font is registered by hand.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import koreanize_matplotlib  # noqa: F401
            return
        except ImportError:
            pass
    import matplotlib
    from matplotlib import font_manager

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return
    for font in sorted(Path(spec.submodule_search_locations[0], "fonts").glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    matplotlib.rcParams["font.family"] = "NanumGothic"
    matplotlib.rcParams["axes.unicode_minus"] = False


def _figure(numbers: dict[str, Any]) -> Any:
    """A 2 x 3 figure: months across the top two thirds, then sections, reporters, body
    lengths and runs."""
    from matplotlib.figure import Figure

    _korean_fonts()
    figure = Figure(figsize=FIGURE_INCHES, dpi=FIGURE_DPI, layout="constrained")
    grid = figure.add_gridspec(2, 3)
    _months_panel(figure.add_subplot(grid[0, :2]), numbers)
    _section_panel(figure.add_subplot(grid[0, 2]), numbers)
    _reporter_panel(figure.add_subplot(grid[1, 0]), numbers)
    _body_panel(figure.add_subplot(grid[1, 1]), numbers)
    _runs_panel(figure.add_subplot(grid[1, 2]), numbers["runs"])
    figure.suptitle(
        f"{numbers['outlet'] or 'newsarc archive'}: {numbers['articles']:,} articles, "
        f"{_day(numbers['first_published'])} – {_day(numbers['last_published'])}",
        fontsize=17, fontweight="bold")
    return figure


def _months_panel(ax: Any, numbers: dict[str, Any]) -> None:
    """Bars per month, with the running total on a second axis."""
    import matplotlib.dates as mdates

    months = numbers["per_month"]
    ax.set_title("Articles per month (publication, Korea time)")
    if not months:
        _nothing(ax, "no publication dates")
        return
    days = [date.fromisoformat(m + "-01") for m in months]
    counts = list(months.values())
    ax.bar(days, counts, width=24, align="edge", color="#3b75af", label="articles that month")
    ax.set_ylabel("articles")
    locator = mdates.AutoDateLocator(maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    total = ax.twinx()
    total.plot(days, _cumulative(counts), color="#e1812c", linewidth=2.2,
               label="running total")
    total.set_ylabel("running total")
    total.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + total.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left")
    ax.grid(axis="y", alpha=0.3)


def _cumulative(counts: list[int]) -> list[int]:
    total, result = 0, []
    for n in counts:
        total += n
        result.append(total)
    return result


def _section_panel(ax: Any, numbers: dict[str, Any]) -> None:
    sections = numbers["per_section"]
    ax.set_title("Articles per section")
    if not sections:
        _nothing(ax, "no sections")
        return
    colours = _colours("tab10", len(sections))
    _hbars(ax, list(sections), list(sections.values()), colours)


def _reporter_panel(ax: Any, numbers: dict[str, Any]) -> None:
    reporters = list(numbers["per_reporter"].items())[:TOP_REPORTERS_PLOT]
    more = len(numbers["per_reporter"]) - len(reporters)
    ax.set_title("Top reporters (bylines)" + (f", {more} more not shown" if more > 0 else ""))
    if not reporters:
        _nothing(ax, "no bylines")
        return
    colours = _colours("viridis", len(reporters))
    _hbars(ax, [name for name, _ in reporters], [n for _, n in reporters], colours)


def _hbars(ax: Any, names: list[str], values: list[int], colours: list[Any]) -> None:
    """Horizontal bars, largest on top, each labelled with its count."""
    bars = ax.barh(names[::-1], values[::-1], color=colours[::-1])
    ax.bar_label(bars, padding=3)
    ax.set_xlabel("articles")
    ax.set_xlim(0, max(values) * 1.15)
    ax.grid(axis="x", alpha=0.3)


def _colours(name: str, count: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps[name]
    if cmap.N <= 20:  # a qualitative map: its own colours, in turn
        return [cmap(i % cmap.N) for i in range(count)]
    return [cmap(0.1 + 0.8 * i / max(count - 1, 1)) for i in range(count)]


def _body_panel(ax: Any, numbers: dict[str, Any]) -> None:
    lengths, body = numbers["body_lengths"], numbers["body_chars"]
    ax.set_title("Body length")
    if not lengths:
        _nothing(ax, "no bodies")
        return
    ax.hist(lengths, bins=min(30, max(5, len(set(lengths)))), color="#59a14f",
            edgecolor="white")
    ax.axvline(body["median"], color="#d62728", linestyle="--", linewidth=2,
               label=f"median {body['median']:,.0f}")
    ax.axvline(body["mean"], color="#9467bd", linestyle=":", linewidth=2,
               label=f"mean {body['mean']:,.0f}")
    ax.set_xlabel("characters")
    ax.set_ylabel("articles")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)


def _runs_panel(ax: Any, runs: list[dict[str, Any]]) -> None:
    """New and changed articles per run, stacked; runs that did not finish are marked."""
    shown = runs[-RUNS_PLOTTED:]
    ax.set_title("Crawl runs: articles written" +
                 (f" (last {len(shown)} of {len(runs)})" if len(shown) < len(runs) else ""))
    if not shown:
        _nothing(ax, "no crawl runs recorded")
        return
    x = list(range(len(shown)))
    new = [run["new"] or 0 for run in shown]
    changed = [run["changed"] or 0 for run in shown]
    ax.bar(x, new, color="#4e79a7", label="new")
    top = ax.bar(x, changed, bottom=new, color="#f28e2b", label="changed")
    if len(shown) <= 20:
        ax.bar_label(top, labels=[f"{n}+{c}" for n, c in zip(new, changed, strict=True)],
                     padding=2, fontsize=9)
    for i, run in enumerate(shown):
        if run["status"] != "finished":
            ax.annotate(run["status"], (i, new[i] + changed[i]), ha="center", va="bottom",
                        rotation=90, fontsize=8, color="#b22222")
    step = max(1, len(shown) // 12)
    ax.set_xticks(x[::step], [f"{r['run_id']}\n{r['mode']}" for r in shown][::step],
                  fontsize=8)
    ax.set_xlabel("run")
    ax.set_ylabel("articles")
    ax.set_ylim(0, max(n + c for n, c in zip(new, changed, strict=True)) * 1.2 + 1)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)


def _nothing(ax: Any, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=12, color="grey")
    ax.set_axis_off()
