"""Reading question files and measuring search accuracy on them.

The same reader serves `witaj ask --batch` (the held-out evaluation's interface) and
`witaj eval`, so both see a file the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from knowledge.languages import LANGUAGES
from knowledge.search import SearchIndex

NONE = "none"


@dataclass(frozen=True)
class Question:
    line: int
    id: object = None
    text: str = ""
    lang: str | None = None
    slug: str | None = None
    style: str = "-"
    error: str | None = None
    also: tuple[str, ...] = ()
    """Other slugs that count as right (a question two topics answer equally well)."""

    def accepts(self, slug: str | None) -> bool:
        return (slug or NONE) in {self.slug or NONE, *self.also}


def read_jsonl(lines: Iterable[str]) -> Iterator[Question]:
    """One `Question` per non-blank line; a bad line yields a Question with `error` set."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Question(number, error=f"not JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            yield Question(number, error="expected a JSON object")
            continue
        text, lang = data.get("text"), data.get("lang")
        if not isinstance(text, str):
            yield Question(number, data.get("id"), error='"text" must be a string')
            continue
        yield Question(
            line=number,
            id=data.get("id"),
            text=text,
            lang=lang if lang in LANGUAGES else None,
            slug=data.get("slug") if isinstance(data.get("slug"), str) else None,
            style=str(data.get("style", "-")),
            also=tuple(s for s in data.get("also") or () if isinstance(s, str)),
        )


@dataclass(frozen=True)
class Miss:
    id: str
    lang: str
    expected: str
    got: str | None
    score: float
    text: str


@dataclass
class EvalReport:
    total: int = 0
    correct: int = 0
    by_lang: dict[str, tuple[int, float]] = field(default_factory=dict)
    by_style: dict[str, tuple[int, float]] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def evaluate(index: SearchIndex, questions: Iterable[Question]) -> EvalReport:
    report = EvalReport()
    tallies: dict[str, dict[str, list[int]]] = {
        "lang": defaultdict(lambda: [0, 0]),
        "style": defaultdict(lambda: [0, 0]),
    }
    for q in questions:
        result = index.search(q.text, q.lang)
        expected = q.slug or NONE
        ok = q.accepts(result.slug)
        report.total += 1
        report.correct += ok
        for key, value in (("lang", q.lang or "?"), ("style", q.style)):
            tallies[key][value][0] += 1
            tallies[key][value][1] += ok
        if not ok:
            report.misses.append(
                Miss(str(q.id), q.lang or "?", expected, result.slug, result.score, q.text)
            )
    report.by_lang = {k: (n, c / n) for k, (n, c) in tallies["lang"].items()}
    report.by_style = {k: (n, c / n) for k, (n, c) in tallies["style"].items()}
    return report
