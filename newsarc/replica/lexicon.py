"""Word and phrase lists the replica combines into plausible Korean news text.

Everything here was written for this project; nothing is copied from real articles.
All names of people and companies are invented.  Templates hold slots like
``{place}`` and particle markers like ``@은`` that :func:`fill` resolves after the
slots, so that 은/는, 이/가, 을/를, 과/와 and 으로/로 agree with the word before them.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any

# Place, and the office a photo credit names ("[사진=수원시청]").
PLACES: tuple[tuple[str, str], ...] = (
    ("수원시", "수원시청"), ("화성시", "화성시청"), ("오산시", "오산시청"),
    ("성남시", "성남시청"), ("인천 연수구", "연수구청"), ("파주시", "파주시청"),
    ("양평군", "양평군청"), ("여주시", "여주시청"), ("평택시", "평택시청"),
    ("안성시", "안성시청"), ("양주시", "양주시청"), ("의정부시", "의정부시청"),
    ("서울 강남구", "강남구청"), ("서울 강서구", "강서구청"), ("서울 관악구", "관악구청"),
    ("홍천군", "홍천군청"), ("제천시", "제천시청"), ("세종시", "세종시청"),
    ("대구 북구", "북구청"), ("부산 동래구", "동래구청"),
)

WORDS: dict[str, tuple[str, ...]] = {
    "venue": (
        "시청 대회의실", "시민회관 소공연장", "중앙도서관 세미나실", "컨벤션센터",
        "청년센터 다목적홀", "복합문화센터", "상공회의소 회의실", "실내체육관",
        "주민센터 강당", "평생학습관",
    ),
    "org": (
        "경기도", "경기도교육청", "경기도의회", "경기도일자리재단", "경기관광공사",
        "행정안전부", "국토교통부", "산업통상자원부", "보건복지부", "문화체육관광부",
        "중소벤처기업부", "과학기술정보통신부", "소상공인시장진흥공단", "지역 상공회의소",
        "시민안전센터", "지역 문화재단", "시 체육회", "농업기술센터",
    ),
    "company": (
        "한빛전자", "동해소재", "미래모빌리티", "새봄푸드", "누리바이오", "가온반도체",
        "솔빛에너지", "다온로지스", "한결건설", "푸른데이터", "이음소프트", "NextWave코리아",
    ),
    "surname": ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신"),
    "given": (
        "민준", "서연", "도현", "지우", "하준", "수아", "예준", "지민", "현우", "은서",
        "승민", "유진", "태윤", "가은", "정호", "미경", "영수", "상철", "혜진", "동욱",
    ),
    "role": (
        "시장", "군수", "구청장", "의원", "위원장", "대표", "교수", "센터장", "과장",
        "이사장", "관장", "감독", "회장", "본부장", "국장",
    ),
    "event": (
        "간담회", "설명회", "업무협약식", "토론회", "기자회견", "착공식", "개막식",
        "박람회", "워크숍", "현장점검", "포럼", "발대식",
    ),
    "group": (
        "주민", "상인", "학부모", "청년 창업가", "기업 관계자", "전문가", "자원봉사자",
        "어르신", "대학생", "공무원",
    ),
    "goal": (
        "지역 경제 활성화", "주민 삶의 질 향상", "일자리 창출", "탄소 배출 감축",
        "생활 안전망 강화", "균형 발전", "디지털 격차 해소", "관광객 유치 확대",
        "청년 인구 유입", "행정 서비스 개선",
    ),
    "item": (
        "청년 창업 공간 확대", "야간 돌봄 서비스 도입", "노후 시설 정비", "전담 인력 충원",
        "온라인 신청 창구 개설", "현장 맞춤형 컨설팅", "저소득층 이용료 감면",
        "안전 점검 주기 단축", "데이터 공개 확대", "교육 프로그램 신설", "민관 협의체 구성",
        "홍보 채널 다양화",
    ),
    "work": (
        "별을 헤는 골목", "바람이 머문 정원", "화성의 봄", "푸른 항구의 노래",
        "그해 여름의 기억", "달빛 정거장", "우리 동네 오케스트라", "작은 숲 이야기",
    ),
    "latin": (
        "AI", "ESG", "DX", "IoT", "OTT", "B2B", "K-컬처", "Smart City", "Net Zero",
        "Green Deal",
    ),
    "unit": ("기업", "점포", "학교", "시설", "단지", "마을"),
    "concern": ("예산 낭비", "형평성", "주민 불편", "실효성 부족", "인력 부족"),
    "quote": (
        "시민들이 일상에서 체감할 수 있는 변화를 만들겠다",
        "현장의 목소리를 정책에 꼼꼼히 반영하겠다",
        "지역 경제에 새로운 활력을 불어넣는 계기가 될 것으로 기대한다",
        "안전을 최우선으로 두고 사업을 추진하겠다",
        "작은 불편 하나도 놓치지 않고 살피겠다",
        "관계 기관과의 협력 체계를 더욱 단단히 다지겠다",
        "청년들이 떠나지 않는 도시를 만드는 것이 목표다",
        "예상보다 반응이 뜨거워 준비한 보람이 있다",
        "아직 갈 길이 멀지만 첫발을 뗐다는 데 의미가 있다",
        "기업과 주민이 함께 성장하는 구조를 만들어야 한다",
        "데이터에 기반한 정책으로 신뢰를 높이겠다",
        "아이들이 마음껏 뛰어놀 수 있는 환경이 필요하다",
        "행정 절차를 간소화해 속도를 내겠다",
        "지속 가능한 모델을 만드는 데 힘을 모으겠다",
        "주민 의견을 다시 수렴해 부족한 점을 보완하겠다",
    ),
    "quote_short": (
        "현장에서 답 찾겠다", "시민 안전이 먼저", "속도보다 방향", "청년이 돌아오는 도시로",
        "작은 변화가 큰 차이", "끝까지 책임지겠다",
    ),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "정치": (
        "주민참여예산", "조례 개정", "지방의회 의정활동", "행정사무감사", "특례시 권한 확대",
        "정책 토론", "공약 이행 점검", "선거구 조정", "지방재정 개편",
    ),
    "경제": (
        "반도체 수출", "소상공인 지원", "전통시장 활성화", "청년 창업", "스마트공장 보급",
        "지역화폐", "기업 유치", "수출 실적", "ESG 경영",
    ),
    "사회": (
        "교통안전", "미세먼지 저감", "저출생 대응", "노인 돌봄", "학교폭력 예방",
        "전세사기 피해 지원", "재난 대비", "보행환경 개선", "1인 가구 지원",
    ),
    "문화": (
        "지역 축제", "미술 전시", "클래식 공연", "독서 문화 확산", "문화유산 보존",
        "독립영화제", "청소년 예술교육", "공공도서관 운영", "K-컬처 확산",
    ),
    "지역": (
        "도시재생", "도로 확장", "공원 조성", "상수도 정비", "버스 노선 개편",
        "광역철도 연장", "공영주차장 확충", "하천 정비", "마을공동체 지원",
    ),
    "스포츠": (
        "생활체육", "하프마라톤 대회", "유소년 축구", "도민체육대회", "장애인 체육",
        "e스포츠 대회", "공공체육시설 개방", "실업팀 창단",
    ),
    "IT·과학": (
        "AI 데이터센터", "5G 특화망", "자율주행 실증", "로봇 산업", "배터리 소재",
        "사이버 보안", "클라우드 전환", "디지털 트윈", "메타버스 플랫폼",
    ),
}

LEADS: tuple[str, ...] = (
    "{place}@은 {day}일 {venue}에서 '{topic} {event}'@을 열고 {goal} 방안을 논의했다.",
    "{org}@이 {topic} 분야의 {goal}@을 위해 올해 총 {num}억 원을 투입한다.",
    "{company}@과 {org}@이 {day}일 {topic} 활성화를 위한 업무협약(MOU)을 맺었다.",
    "{place} 지역의 {topic} 문제가 새로운 국면을 맞고 있다.",
    "{org}@은 {month}월부터 '{topic}' 사업을 본격적으로 추진한다고 {day}일 밝혔다.",
    "{place}에서 {topic}@을 주제로 한 {event}@이 {day}일 막을 올렸다.",
)

SENTENCES: tuple[str, ...] = (
    "이날 {event}에는 {person} {role}@과 {org} 관계자, {group} 등 {num}여 명이 참석했다.",
    "{org}에 따르면 올해 {topic} 관련 예산은 {num}억 원으로 전년보다 {pct}% 늘었다.",
    "주요 내용은 ▲{item} ▲{item} ▲{item} 등이다.",
    "{org}@은 이번 사업을 통해 {goal}@을 이끌어낼 계획이다.",
    "특히 {company}@은 {latin} 기반의 {topic} 모델을 선보여 참석자들의 관심을 모았다.",
    "행사에서는 창작 공연 <{work}>@과 기획 전시 <{work}>@이 함께 소개됐다.",
    "이어진 Q&A 세션에서는 {topic}에 대한 {group}들의 질문이 잇따랐다.",
    "{company} R&D센터는 {topic} 관련 기술 개발에 {num}억 원을 추가로 투자하기로 했다.",
    "현장을 찾은 한 {group}@은 \"{quote}\"라고 말했다.",
    "{person} {role}@은 \"{quote}\"라고 강조했다.",
    "{person} {role}@은 '{quote}'며 '{quote}'고 덧붙였다.",
    "지난해 {place}의 {topic} 관련 민원은 {num}건으로 집계됐다.",
    "전문가들은 {topic}@이 {goal}@로 이어지려면 꾸준한 관리가 필요하다고 입을 모은다.",
    "{org}@은 올해 하반기까지 {num}개 {unit}@을 대상으로 현장 점검을 벌일 예정이다.",
    "이번 조치는 {year_before}년 {month}월 이후 {small}개월 만에 나온 것이다.",
    "한편 {org}@은 오는 {month}월 {day}일까지 {topic} 사업 참여자를 모집한다.",
    "자세한 내용은 {org} 누리집에서 확인할 수 있다.",
    "{place} 관계자는 \"{quote}\"며 \"{quote}\"고 전했다.",
    "업계에서는 {topic} 시장 규모가 {year_after}년까지 {small}조 원 수준으로 커질 것으로 내다본다.",
    "{org}@은 {group}@과 함께 '{topic} 협의체'를 꾸려 매달 회의를 열기로 했다.",
    "이에 따라 {place} 안의 {unit} {num}곳이 새로 지정됐다.",
    "다만 일부에서는 {topic} 추진 과정에서 {concern} 우려가 제기되기도 했다.",
    "{org} 측은 \"관련 절차에 따라 투명하게 진행하겠다\"는 입장이다.",
    "{person} {role}@은 {latin} 전환과 관련해 \"{quote}\"라고 설명했다.",
    "사업비는 국비 {pct2}%와 도비 {pct3}%, 나머지 시비로 구성된다.",
    "참가 신청은 {org} 누리집에서 받으며, 선착순 {num}명까지 접수한다.",
    "{org}@은 {topic} 성과를 점검하기 위해 {month}월 중 중간보고회를 열 계획이다.",
    "{company}@은 {latin} 경영을 내세워 {topic} 분야에서 {pct}%의 성장을 거뒀다.",
)

TITLES: tuple[str, ...] = (
    "{place}, {topic} {event} 개최",
    "{org}, '{topic}' 본격 추진…{num}억 원 투입",
    "{company}-{org}, {topic} 업무협약 체결",
    "{company}, R&D 투자 늘려 {topic} 경쟁력 높인다",
    "\"{quote_short}\"…{place} {topic} 현장을 가다",
    "{place} {topic} 만족도 {pct}%…\"더 늘려야\"",
    "Q&A로 짚어본 {topic}",
    "<{work}> {place}서 막 올라",
    "{person} {role} \"{quote_short}\"",
    "{place}, {topic} 지원 대상 {num}곳 선정",
    "{org} '{topic} 협의체' 출범",
)

SUBTITLES: tuple[str, ...] = (
    "{org}, {month}월까지 {num}개 {unit} 대상 현장 점검",
    "{topic} 예산 {pct}% 늘려… {goal} 기대",
    "{place} {group} {num}여 명 참여, 하반기 확대 검토",
)

CAPTIONS: tuple[str, ...] = (
    "지난 {day}일 {place} {venue}에서 열린 {topic} {event} 모습.",
    "{person} {role}@이 {topic} 현장을 둘러보고 있다.",
    "{company}@과 {org} 관계자들이 기념촬영을 하고 있다.",
    "{place} {topic} 사업 대상지 전경.",
)

FOCUS_RATE = 0.7
# Years in the prose, relative to the article's own ("year" in its focus): a measure taken
# some years before, a forecast for some years after.  A page that names a year after its
# own date would be no fixture for date extraction, which reads years out of text.
YEARS = {"year_before": (-3, -1), "year_after": (1, 6)}
NUMBERS = (30, 50, 80, 100, 120, 150, 200, 250, 300, 500, 1200, 3000)

_SLOT = re.compile(r"\{(\w+)\}")
_JOSA = re.compile(r"@(은|이|을|과|로)")
_PAIRS = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와")}
_CLOSERS = "'\"’”>)]»"


def _final(text: str) -> int | None:
    """Final-consonant index (0 = none) of the last sounding character, None if unknown."""
    stripped = text.rstrip(_CLOSERS + " ")
    if not stripped:
        return None
    ch = stripped[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28
    if ch.isdigit():  # 영 일 이 삼 사 오 육 칠 팔 구
        return {"0": 21, "1": 8, "3": 16, "6": 1, "7": 8, "8": 8}.get(ch, 0)
    if ch in "LMNR":  # 엘 엠 엔 알
        return {"L": 8, "M": 16, "N": 4, "R": 8}[ch]
    if ch in "lmn":
        return {"l": 8, "m": 16, "n": 4}[ch]
    return 0


def pick(rng: random.Random, seq: tuple[str, ...]) -> str:
    """rng.choice without its overhead; the text generator calls it millions of times."""
    return seq[int(rng.random() * len(seq))]


def _number(low: int, high: int, fmt: str = "{}") -> Any:
    """A slot generator for an integer in [low, high]."""
    span = high - low + 1
    return lambda rng, _topics: fmt.format(low + int(rng.random() * span))


def _pct(rng: random.Random, _topics: tuple[str, ...]) -> str:
    return f"{3 + int(rng.random() * 46)}.{int(rng.random() * 10)}"


def _person(rng: random.Random, _topics: tuple[str, ...]) -> str:
    return pick(rng, WORDS["surname"]) + pick(rng, WORDS["given"])


_GENERATORS: dict[str, Any] = {
    "topic": lambda rng, topics: pick(rng, topics),
    "place": lambda rng, _topics: PLACES[int(rng.random() * len(PLACES))][0],
    "person": _person,
    "num": lambda rng, _topics: str(NUMBERS[int(rng.random() * len(NUMBERS))]),
    "small": _number(2, 36),
    "pct": _pct,
    "pct2": _number(2, 6, "{}0"),
    "pct3": _number(1, 3, "{}0"),
    "day": _number(1, 28),
    "month": _number(1, 12),
}
for _name, _words in WORDS.items():
    _GENERATORS.setdefault(_name, lambda rng, _topics, w=_words: pick(rng, w))


@cache
def _compile(template: str) -> tuple[tuple[str, str], ...]:
    """Split a template once into ("lit", text), ("slot", name) and ("josa", kind) tokens."""
    tokens: list[tuple[str, str]] = []
    for i, part in enumerate(_SLOT.split(template)):
        if i % 2:
            tokens.append(("slot", part))
            continue
        for j, piece in enumerate(_JOSA.split(part)):
            if piece:
                tokens.append(("josa" if j % 2 else "lit", piece))
    return tuple(tokens)


def _josa_form(kind: str, before: str) -> str:
    """The particle form that agrees with the text before it."""
    final = _final(before)
    if kind == "로":
        return "로" if final in (0, 8, None) else "으로"
    with_c, without = _PAIRS[kind]
    return without if final == 0 else with_c


def fill(rng: random.Random, template: str, topics: tuple[str, ...],
         focus: dict[str, str] | None = None) -> str:
    """Fill a template's slots, picking each particle to agree with the word before it.

    `focus` holds an article's main place, topic, org...: slots reuse them most of the
    time, so that one article keeps talking about one thing.  Its "year" (the article's)
    is what the year slots count from (:data:`YEARS`).
    """
    out: list[str] = []
    for kind, value in _compile(template):
        if kind == "lit":
            out.append(value)
        elif kind == "slot":
            if value in YEARS:
                out.append(_year(rng, value, focus))
            elif focus and value in focus and rng.random() < FOCUS_RATE:
                out.append(focus[value])
            else:
                out.append(_GENERATORS[value](rng, topics))
        else:
            out.append(_josa_form(value, "".join(out[-4:])))
    return "".join(out)


def _year(rng: random.Random, slot: str, focus: dict[str, str] | None) -> str:
    if not focus or "year" not in focus:
        raise ValueError(f"the slot {{{slot}}} needs the article's year in its focus")
    low, high = YEARS[slot]
    return str(int(focus["year"]) + low + int(rng.random() * (high - low + 1)))


# Sentences an edit appends to a paragraph of an already published article.
EDITS: tuple[str, ...] = (
    "{org}@은 {day}일 추가 설명자료를 내고 세부 일정을 일부 조정했다고 밝혔다.",
    "이후 {place}@은 참여 대상을 {num}명으로 늘리기로 했다.",
    "{person} {role}@은 후속 조치로 \"{quote}\"라고 밝혔다.",
    "당초 알려진 것과 달리 사업 기간은 {small}개월로 확정됐다.",
)


def focus(rng: random.Random, topics: tuple[str, ...]) -> dict[str, str]:
    """An article's main subjects, which :func:`fill` prefers."""
    return {name: _GENERATORS[name](rng, topics) for name in ("place", "topic", "org", "company")}
