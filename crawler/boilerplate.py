"""Lines Korean news pages put around and inside an article that its reporter did not write.

These are the conventions of Korean online news at large, not of one CMS: copyright lines
in their common forms (ⓒ, 저작권자, 무단전재 및 재배포 금지), the 기사승인 / 입력 date line,
photo and graphic credits (사진=, [사진], /자료=), zoom labels (기사 이미지 보기, 크게보기),
comment, share, subscription and "more by this reporter" prompts, notices to readers.
Outlet-specific lines (the outlet's own copyright sentence, its footer) live in its profile.

Prose mentions the same things ("저작권 분쟁", "제보를 부탁했다"), so only a few marks are
taken as boilerplate in a sentence (ⓒ, "무단 전재 … 배포", a notice addressing the reader);
the other patterns apply to short lines that do not end like a sentence.  Every pattern is
bounded (no nested repetition), so a hostile paragraph is matched in linear time.
"""

from __future__ import annotations

import re

_SHORT = 200  # characters: boilerplate lines are short; a long paragraph is prose
_PROMPT = 80  # prompts, credits and labels are shorter still
_DATE = r"\d{4}\s*[.\-/년]\s*\d{1,2}\s*[.\-/월]\s*\d{1,2}"
# How a Korean sentence ends (…다. …요? …죠), quotes and brackets after it allowed.
_SENTENCE_RE = re.compile(r"(?:[다요죠까네]|니다)[.!?]?[\"'”’)\]]?$")

# Marks that are boilerplate even in a sentence-like line.
_STRONG = [re.compile(p, re.IGNORECASE) for p in (
    r"ⓒ|©|\(c\)\s*\S|copyrights?\b",
    r"무단\s*(?:전재|복제|복사).{0,40}(?:재배포|배포|금지|금합)",
    r"재\s*배포\s*금지",
    r"저작권법의?\s*보호를?\s*받",
    r"(?:청구|신청|요청|문의|제보)하실\s*분은",
    r"고충\s*처리인",
)]
# Short lines that are never article text.
_WEAK = [re.compile(p, re.IGNORECASE) for p in (
    r"^[\[(<]?\s*(?:기사\s*)?(?:승인|입력|등록|수정|송고|발행|게재|업데이트)\s*:?\s*" + _DATE,
    r"^[\[(<]?\s*(?:사진|자료|그래픽|영상|출처|제공|사진\s*제공|일러스트|삽화|편집|디자인)"
    r"\s*[=:/]\s*\S",
    r"^[\[(<]\s*(?:사진|자료|그래픽|영상|포토)\s*[\])>]",
    r"^(?:기사\s*이미지\s*보기|크게\s*보기|이미지\s*확대|사진\s*확대)$",
    r"(?:기자|작성자)의\s*다른\s*기사",
    r"다른\s*기사\s*보기",
    r"(?:구독|좋아요|공유|댓글|제보|추천)\s*(?:하기|하세요|부탁|해\s*주세요|클릭)",
    r"(?:페이스북|트위터|카카오톡?|네이버|유튜브|텔레그램|인스타그램)[^\n]{0,20}?"
    r"(?:구독|친구|채널|물어보세요|소통|받아보|팔로우)",
    r"^\S{0,12}\s*(?:구독|구독하기|바로가기|관련기사|많이\s*본\s*뉴스|인기기사|추천기사)\s*\]?$",
    r"^[\[<]?\s*(?:관련\s*기사|관련\s*뉴스|Related)",
    r"^(?:▶|☞|※)\s*\S.{0,60}(?:바로가기|클릭|보기|구독|다운로드|이벤트)",
    r"^\*\s*.{0,40}(?:제공하는|관련기사)",
    r"^(?:공감|비공감|추천|반대)\s*\d*$",
    r"정정\s*보도\s*(?:청구|요청|신청)",
)]

# A credit glued to the end of a paragraph after its last sentence ("…예정이다. 사진=OSEN").
_TRAILING_CREDIT_RE = re.compile(
    r"(?<=[.!?\"'”’])\s*/?\s*[\[(<]?\s*(?:사진|자료|그래픽|영상|출처|사진제공|제공)\s*[=:/]"
    r"\s*[^\s.!?][^.!?\n]{0,40}$")


def is_boilerplate(line: str) -> bool:
    """True when a whole line is one of the conventions above (short lines only)."""
    if len(line) > _SHORT:
        return False
    if any(pattern.search(line) for pattern in _STRONG):
        return True
    if len(line) > _PROMPT or _SENTENCE_RE.search(line.rstrip()):
        return False
    return any(pattern.search(line) for pattern in _WEAK)


def strip_trailing_credit(paragraph: str) -> str:
    """``paragraph`` without a photo or source credit glued after its last sentence."""
    return _TRAILING_CREDIT_RE.sub("", paragraph).rstrip()
