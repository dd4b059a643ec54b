"""Outlet profiles: what one mediaOn outlet differs in, as data.

A profile is a TOML file (see ``crawler/profiles/newmediatimes.toml``).  It is compiled
once into regular expressions and XPath objects, so extraction, the hot path, never
recompiles them.  Another outlet on the CMS is a new profile file, not new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.etree import XPath

PROFILE_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE = "newmediatimes"  # the one default, for every command and setting


@dataclass(frozen=True)
class Profile:
    """A compiled outlet profile."""

    key: str
    name: str
    language: str
    title_suffixes: tuple[str, ...]
    soft_404_markers: tuple[str, ...]
    published_labels: tuple[str, ...]
    modified_labels: tuple[str, ...]
    require_html_end: bool
    byline_prefix: re.Pattern[str]
    boilerplate: tuple[re.Pattern[str], ...]
    body_lines: tuple[re.Pattern[str], ...]
    stop_markers: tuple[str, ...]
    xpaths: dict[str, tuple[XPath, ...]]
    prune: tuple[XPath, ...]
    # What an export's dataset card says of the outlet (archive/ knows no outlet): how its
    # article pages are found, and its own copyright line, verbatim and in English.
    collection: str | None = None
    copyright: str | None = None
    copyright_en: str | None = None

    def is_boilerplate(self, paragraph: str) -> bool:
        """True when a paragraph is outlet chrome (signature, copyright, footer), not text."""
        return any(p.search(paragraph) for p in self.boilerplate)

    def keeps(self, paragraph: str) -> bool:
        """True when the outlet writes this as body text although generic rules would not
        (its bracketed credit paragraph, say)."""
        return any(p.search(paragraph) for p in self.body_lines)

    def ends_body(self, paragraph: str) -> bool:
        """True when a paragraph belongs to the footer: nothing after it is body text."""
        return any(marker in paragraph for marker in self.stop_markers)


def _compile(key: str, data: dict) -> Profile:
    from lxml.etree import XPath  # here, so importing DEFAULT_PROFILE costs no lxml

    patterns = data.get("patterns", {})
    xpaths = data.get("xpaths", {})
    card = data.get("card", {})
    compiled = {
        name: tuple(XPath(x) for x in exprs)
        for name, exprs in xpaths.items()
        if name != "prune"
    }
    return Profile(
        key=key,
        name=data["name"],
        language=data.get("language", "ko"),
        title_suffixes=tuple(data.get("title_suffixes", ())),
        soft_404_markers=tuple(data.get("soft_404_markers", ())),
        published_labels=tuple(data.get("published_labels", ("등록",))),
        modified_labels=tuple(data.get("modified_labels", ("수정",))),
        require_html_end=bool(data.get("require_html_end", False)),
        byline_prefix=re.compile(patterns.get("byline_prefix", r"(?!)")),
        boilerplate=tuple(re.compile(p, re.IGNORECASE) for p in patterns.get("boilerplate", ())),
        body_lines=tuple(re.compile(p) for p in patterns.get("body_lines", ())),
        stop_markers=tuple(patterns.get("stop_markers", ())),
        xpaths=compiled,
        prune=tuple(XPath(x) for x in xpaths.get("prune", ())),
        collection=card.get("collection"),
        copyright=card.get("copyright"),
        copyright_en=card.get("copyright_en"),
    )


def bundled_profiles() -> list[Profile]:
    """Every profile shipped in ``crawler/profiles/``, by name."""
    return [load_profile(path.stem) for path in sorted(PROFILE_DIR.glob("*.toml"))]


@lru_cache(maxsize=32)
def load_profile(name_or_path: str = DEFAULT_PROFILE) -> Profile:
    """Load a bundled profile by name (``newmediatimes``) or any profile file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROFILE_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))
        raise ValueError(f"unknown outlet profile {name_or_path!r} (bundled: {known})")
    import tomllib

    with path.open("rb") as handle:
        data = tomllib.load(handle)
    from lxml.etree import XPathError

    try:
        return _compile(path.stem, data)
    except (KeyError, re.error, ValueError, XPathError) as exc:
        raise ValueError(f"invalid outlet profile {path.name}: {exc}") from exc
