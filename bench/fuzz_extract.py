"""Fuzz run of the article extractor: thousands of inputs, every one checked.

Targets (the strategies are those of ``tests/test_extract_properties.py``):

- hypothesis, ``mutated``: replica pages (desktop in the three skin generations, mobile,
  print) parsed with lxml, 1-4 elements deleted, duplicated, reordered or truncated;
- hypothesis, ``intact``: mutations that leave the body text alone (chrome, photos, ads,
  related box, signature): the body must equal the true paragraphs;
- hypothesis, ``encoded``: replica pages re-encoded (CP949, EUC-KR, UTF-8 with BOM, UTF-16)
  with the meta charset changed or removed and with or without an HTTP charset: the body
  must equal the true paragraphs;
- hypothesis, ``stray-chars``: control characters and U+FFFE/U+FFFF, raw or as character
  references, put into any text of a replica page: the body must equal the true paragraphs;
- hypothesis, ``cut``: replica pages cut at any byte, sometimes closed again;
- hypothesis, ``cms-parts``: pages put together from the CMS's parts with good and broken
  texts, dates, URLs and image sources;
- hypothesis, ``bytes`` / ``text``: arbitrary bytes and strings, arbitrary URLs;
- atheris (if installed: the ``fuzz`` extra, ``pip install -e '.[fuzz]'``),
  ``atheris-bytes``: coverage-guided libFuzzer mutation of raw replica page bytes (seed
  corpus: rendered pages);
- atheris, ``atheris-tree``: coverage-guided choice of lxml tree mutations.

Per input: ``extract`` must not raise; a record must validate against the JSON Schema, a
skip must give a reason; for inputs made from replica pages the body must hold no
boilerplate (zoom label, copyright line, bureau addresses, byline prefix, 관련기사, 기상청,
대표/발행인, the reporter's e-mail, a caption, a related-article title).  Inputs that break
a rule are written to ``--crashes DIR`` when given.

Run: ``.venv/bin/python bench/fuzz_extract.py [--scale 1.0] [--random] [--out FILE]``.
``--scale`` multiplies every target's number of inputs; ``--random`` draws new examples
(default: derandomized, the same inputs every run); ``--atheris-runs 0`` skips atheris.

The exit status is 1 when any input raised, gave an invalid record, leaked boilerplate or
(where promised) changed the body.

Measured on the 2-core development machine (Python 3.11.7, hypothesis 6.170.17, atheris
3.0.0, trafilatura 2.3.1), command ``.venv/bin/python bench/fuzz_extract.py``, 1 min 39 s:

| target | engine | inputs | exceptions | invalid | leaks | body diffs | records | skips | s |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| mutated | hypothesis | 3000 | 0 | 0 | 0 | – | 2858 | 142 | 14 |
| intact | hypothesis | 2000 | 0 | 0 | 0 | 0 | 2000 | 0 | 9 |
| encoded | hypothesis | 1500 | 0 | 0 | 0 | 0 | 1500 | 0 | 6 |
| stray-chars | hypothesis | 1000 | 0 | 0 | 0 | 0 | 1000 | 0 | 5 |
| cut | hypothesis | 1500 | 0 | 0 | 0 | – | 234 | 1266 | 3 |
| cms-parts | hypothesis | 2500 | 0 | 0 | – | – | 481 | 2019 | 29 |
| bytes | hypothesis | 1000 | 0 | 0 | – | – | 0 | 1000 | 1 |
| text | hypothesis | 1000 | 0 | 0 | – | – | 0 | 1000 | 1 |
| atheris-bytes | atheris | 5000 | 0 | 0 | – | – | 3169 | 1831 | 23 |
| atheris-tree | atheris | 2000 | 0 | 0 | 0 | – | 1942 | 58 | 6 |
| **total** | | 20500 | 0 | 0 | 0 | 0 | 13184 | 7316 | 97 |

exceptions: ``extract`` raised; invalid: a record breaking the JSON Schema or a skip without
a reason; leaks: bodies holding boilerplate; body diffs: bodies other than the true
paragraphs where the input promised them; – : not checked.  hypothesis draws the same
inputs every run; atheris follows coverage, so its mix of records and skips moves when the
extractor's code does.  ``--random --scale 2`` (41,000 new inputs) ran clean as well.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crawler.extract import Skip, extract  # noqa: E402
from tests import test_extract_properties as props  # noqa: E402

# target -> default number of inputs (times --scale)
HYPOTHESIS_TARGETS = {
    "mutated": 3000,
    "intact": 2000,
    "encoded": 1500,
    "stray-chars": 1000,
    "cut": 1500,
    "cms-parts": 2500,
    "bytes": 1000,
    "text": 1000,
}
ATHERIS_TARGETS = {"atheris-bytes": 5000, "atheris-tree": 2000}


@dataclass
class Stats:
    """What happened to the inputs of one target."""

    target: str
    engine: str
    inputs: int = 0
    exceptions: int = 0
    invalid: int = 0  # records that break the schema, skips without a reason
    leaks: int | None = None  # None: not checked (no ground truth for arbitrary input)
    mismatches: int | None = None  # None: the target does not promise an exact body
    records: int = 0
    skips: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, result: Any, *, art: Any = None, body: str | None = None,
            raised: BaseException | None = None, sample: Any = None,
            crashes: Path | None = None) -> None:
        self.inputs += 1
        problem = None
        if raised is not None:
            self.exceptions += 1
            problem = "".join(traceback.format_exception(raised)[-3:])
        else:
            if isinstance(result, Skip):
                self.skips += 1
                self.reasons[result.reason.split(":")[0]] += 1
            else:
                self.records += 1
            if errors := props.problems(result):
                self.invalid += 1
                problem = f"invalid: {errors}"
            if art is not None:
                self.leaks = self.leaks or 0
                if found := props.leaks(result, art):
                    self.leaks += 1
                    problem = f"boilerplate in body: {found}"
            if body is not None:
                self.mismatches = self.mismatches or 0
                if isinstance(result, Skip) or result["body"] != body:
                    self.mismatches += 1
                    problem = f"body differs: {result!r:.300}"
        if problem:
            self.failures.append(problem)
            if crashes is not None:
                crashes.mkdir(parents=True, exist_ok=True)
                name = crashes / f"{self.target}-{self.inputs}.json"
                name.write_text(json.dumps({"problem": problem, "input": repr(sample)},
                                           ensure_ascii=False), encoding="utf-8")


def _run(stats: Stats, page: Any, url: Any, content_type: Any = None, *, art: Any = None,
         body: str | None = None, crashes: Path | None = None) -> None:
    try:
        result = extract(page, url, content_type=content_type)
    except Exception as exc:  # noqa: BLE001 - counted, that is the point
        stats.add(None, raised=exc, sample=(page, url, content_type), crashes=crashes)
        return
    stats.add(result, art=art, body=body, sample=(page, url, content_type), crashes=crashes)


# --- hypothesis -------------------------------------------------------------------------

def _hypothesis(target: str, examples: int, randomize: bool, crashes: Path | None) -> Stats:
    stats = Stats(target, "hypothesis")
    config = settings(max_examples=examples, deadline=None, derandomize=not randomize,
                      database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))

    if target == "mutated":
        @given(props.mutated_pages())
        def body(sample):
            page, case, _ops = sample
            _run(stats, page, case.url, art=case.art, crashes=crashes)
    elif target == "intact":
        @given(props.intact_mutated_pages())
        def body(sample):
            page, case, _ops = sample
            _run(stats, page, case.url, art=case.art, body=case.body, crashes=crashes)
    elif target == "encoded":
        @given(props.encoded_pages())
        def body(sample):
            page, content_type, case, _how = sample
            _run(stats, page, case.url, content_type, art=case.art, body=case.body,
                 crashes=crashes)
    elif target == "stray-chars":
        @given(props.stray_character_pages())
        def body(sample):
            page, case, _chars = sample
            _run(stats, page, case.url, art=case.art, body=case.body, crashes=crashes)
    elif target == "cut":
        @given(st.sampled_from(props.CASES), st.sampled_from(("utf-8", "cp949")), st.data())
        def body(case, codec, data):
            page = case.html.replace('charset="utf-8"', f'charset="{codec}"')
            page = page.encode(codec, "xmlcharrefreplace")
            cut = page[: data.draw(st.integers(0, len(page)))]
            if data.draw(st.booleans()):
                cut += b"</body></html>"
            _run(stats, cut, case.url, art=case.art, crashes=crashes)
    elif target == "cms-parts":
        @given(props.article_soups(), props.SOUP_URLS,
               st.sampled_from(("str", "utf-8", "cp949")))
        def body(page, url, form):
            if form != "str":
                page = page.encode(form, "xmlcharrefreplace" if form == "cp949"
                                   else "surrogatepass")
            _run(stats, page, url, crashes=crashes)
    elif target == "bytes":
        @given(st.binary(max_size=5000), props.URLS,
               st.sampled_from((None, "text/html", "text/html; charset=euc-kr")))
        def body(page, url, content_type):
            _run(stats, page, url, content_type, crashes=crashes)
    elif target == "text":
        @given(st.text(max_size=5000), props.URLS)
        def body(page, url):
            _run(stats, page, url, crashes=crashes)
    else:
        raise ValueError(target)

    started = time.perf_counter()
    config(body)()
    stats.seconds = time.perf_counter() - started
    return stats


# --- atheris (a child process each: libFuzzer ends the process when done) ---------------

def _atheris_child(target: str, runs: int, stats_path: Path, crashes: Path | None,
                   randomize: bool) -> None:
    import atheris

    stats = Stats(target, "atheris")
    started = time.perf_counter()

    def finish() -> None:
        stats.seconds = time.perf_counter() - started
        payload = asdict(stats)
        payload["reasons"] = dict(stats.reasons)
        payload["failures"] = stats.failures[:20]
        stats_path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os._exit(0)

    cases = props.CASES

    def one_input(data: bytes) -> None:
        if target == "atheris-bytes":
            _run(stats, data, f"{props.ROOT}/news/article.html?no=4321", crashes=crashes)
        else:
            fdp = atheris.FuzzedDataProvider(data)
            case = cases[fdp.ConsumeIntInRange(0, len(cases) - 1)]
            tree = props.parse(case.html)
            for _ in range(fdp.ConsumeIntInRange(1, 4)):
                els = props.elements(tree)
                el = els[fdp.ConsumeIntInRange(0, len(els) - 1)]
                op = props.OPS[fdp.ConsumeIntInRange(0, len(props.OPS) - 1)]
                props.apply(tree, op, el, fdp.ConsumeIntInRange(0, 50),
                            fdp.ConsumeIntInRange(0, 400))
            page = props.serialize(tree)
            codec = ("str", "utf-8", "cp949")[fdp.ConsumeIntInRange(0, 2)]
            if codec != "str":
                page = page.encode(codec, "xmlcharrefreplace")
            _run(stats, page, case.url, art=case.art, crashes=crashes)
        if stats.inputs >= runs:
            finish()

    argv = [sys.argv[0], "-rss_limit_mb=4096", f"-runs={runs + 10}",
            f"-seed={0 if randomize else 1}"]  # 0: libFuzzer picks one
    if target == "atheris-bytes":
        corpus = stats_path.parent / "corpus"  # in the parent's temporary directory
        corpus.mkdir()
        for i, case in enumerate(cases[::3]):
            (corpus / f"seed-{i}").write_bytes(case.html.encode("utf-8"))
        argv += ["-max_len=120000", "-len_control=0", str(corpus)]
    _instrument(atheris)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
    finish()


def _instrument(atheris: Any) -> None:
    """Coverage feedback from the extractor's own modules (instrumenting trafilatura and
    lxml.html as well, ``atheris.instrument_all()``, makes a run about 20 times slower)."""
    import inspect

    from crawler import extract as extract_module
    from crawler import profile, urls

    for module in (extract_module, profile, urls):
        for name, value in list(vars(module).items()):
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                setattr(module, name, atheris.instrument_func(value))


def _atheris(target: str, runs: int, crashes: Path | None, randomize: bool) -> Stats | None:
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        command = [sys.executable, __file__, "--atheris-child", target, "--atheris-runs",
                   str(runs), "--stats", str(stats_path)]
        if crashes:
            command += ["--crashes", str(crashes)]
        if randomize:
            command.append("--random")
        done = subprocess.run(command, capture_output=True, text=True)
        if not stats_path.exists():
            print(f"{target}: atheris ended without stats (exit {done.returncode}):\n"
                  f"{done.stderr[-2000:]}", file=sys.stderr)
            return None
        data = json.loads(stats_path.read_text(encoding="utf-8"))
    stats = Stats(target, "atheris")
    for key, value in data.items():
        setattr(stats, key, Counter(value) if key == "reasons" else value)
    return stats


def atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


# --- report -----------------------------------------------------------------------------

def _cell(value: int | None) -> str:
    return "–" if value is None else str(value)


def report(all_stats: list[Stats], command: str) -> str:
    rows = [
        "| target | engine | inputs | exceptions | invalid | leaks | body diffs | records "
        "| skips | s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = Stats("**total**", "")
    for s in all_stats:
        rows.append(f"| {s.target} | {s.engine} | {s.inputs} | {s.exceptions} | {s.invalid} | "
                    f"{_cell(s.leaks)} | {_cell(s.mismatches)} | {s.records} | {s.skips} | "
                    f"{s.seconds:.0f} |")
        total.inputs += s.inputs
        total.exceptions += s.exceptions
        total.invalid += s.invalid
        total.leaks = (total.leaks or 0) + (s.leaks or 0)
        total.mismatches = (total.mismatches or 0) + (s.mismatches or 0)
        total.records += s.records
        total.skips += s.skips
        total.seconds += s.seconds
        total.reasons.update(s.reasons)
        total.failures += [f"{s.target}: {f}" for f in s.failures]
    rows.append(f"| **total** | | {total.inputs} | {total.exceptions} | {total.invalid} | "
                f"{total.leaks} | {total.mismatches} | {total.records} | {total.skips} | "
                f"{total.seconds:.0f} |")
    lines = [f"Command: `{command}`", "", *rows, "",
             "Skips by reason: " + ", ".join(f"{reason} {count}" for reason, count
                                             in total.reasons.most_common()) + "."]
    lines.append("")
    lines.append("leaks: bodies holding boilerplate; body diffs: bodies other than the true "
                 "paragraphs where the input promised them; – : not checked (no ground truth).")
    if total.failures:
        lines += ["", "First failures:", ""]
        lines += [f"- {f[:500]}" for f in total.failures[:10]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every target's number of inputs")
    parser.add_argument("--random", action="store_true",
                        help="new random examples (default: the same ones every run)")
    parser.add_argument("--targets", nargs="*",
                        help="run only these targets (default: all)")
    parser.add_argument("--atheris-runs", type=int, default=None,
                        help="inputs per atheris target (0: skip atheris)")
    parser.add_argument("--crashes", type=Path, help="write failing inputs here")
    parser.add_argument("--out", type=Path, help="also write the summary to this file")
    parser.add_argument("--atheris-child", help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.atheris_child:
        _atheris_child(args.atheris_child, args.atheris_runs, args.stats, args.crashes,
                       args.random)
        return 0

    wanted = set(args.targets or [*HYPOTHESIS_TARGETS, *ATHERIS_TARGETS])
    all_stats = []
    for target, default in HYPOTHESIS_TARGETS.items():
        if target in wanted:
            examples = max(1, round(default * args.scale))
            all_stats.append(_hypothesis(target, examples, args.random, args.crashes))
            print(f"{target}: {all_stats[-1].inputs} inputs", file=sys.stderr, flush=True)
    if args.atheris_runs != 0 and atheris_available():
        for target, default in ATHERIS_TARGETS.items():
            if target in wanted:
                runs = args.atheris_runs or max(1, round(default * args.scale))
                if stats := _atheris(target, runs, args.crashes, args.random):
                    all_stats.append(stats)
                    print(f"{target}: {stats.inputs} inputs", file=sys.stderr, flush=True)
    elif args.atheris_runs != 0:
        print("atheris is not installed: hypothesis targets only", file=sys.stderr)

    command = "python bench/fuzz_extract.py " + " ".join(sys.argv[1:])
    summary = report(all_stats, command.strip())
    print(summary)
    if args.out:
        args.out.write_text(summary + "\n", encoding="utf-8")
    failed = sum(s.exceptions + s.invalid + (s.leaks or 0) + (s.mismatches or 0)
                 for s in all_stats)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
