"""Guided paths: a few questions with buttons, then a personal, ordered checklist.

A family that has just arrived does not know which questions to ask, or in which order (PESEL
before the bank account, the bank account before 800+). A path is content, not code: YAML
beside the topics (`content/paths/*.yaml`) with its questions, its steps in the order to do
them — each step an answer card (a topic slug), with the conditions on the answers that make it
apply and a deadline where one exists — and, per language, the words. Pure: no database here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from knowledge.content import read_text, validated, yaml_mapping
from knowledge.enums import Status
from knowledge.languages import LANGUAGES

PATHS_DIR = Path(__file__).resolve().parent / "content" / "paths"
MAX_QUESTIONS = 5
MAX_STEPS = 12
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")

Id = Annotated[str, StringConstraints(pattern=f"^{_ID.pattern}$")]
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class QuestionDoc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id
    options: tuple[Id, ...] = Field(min_length=2, max_length=6)


class StepDoc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id
    topic: str
    """The answer card that explains the step (a topic slug)."""
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """The step applies when, for every question named, the answer is one of the values."""
    deadline: date | None = None


class QuestionText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Words
    options: dict[str, Words]


class StepText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Words
    why: Words
    office: Line = ""
    bring: Line = ""


class PathTextDoc(BaseModel):
    """A path's words in one language; reviewed like a topic's translation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Status = Status.DRAFT
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    title: Words
    intro: Line = ""
    questions: dict[str, QuestionText]
    steps: dict[str, StepText]


class PathDoc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: Id
    order: int = 0
    questions: tuple[QuestionDoc, ...] = Field(max_length=MAX_QUESTIONS)
    steps: tuple[StepDoc, ...] = Field(min_length=1, max_length=MAX_STEPS)
    translations: dict[str, PathTextDoc]

    @model_validator(mode="after")
    def _consistent(self) -> PathDoc:
        problems = structure_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def question(self, qid: str) -> QuestionDoc | None:
        return next((q for q in self.questions if q.id == qid), None)

    def text(self, lang: str) -> tuple[str, PathTextDoc]:
        """The reader's language, else Polish, else English (every path has all six)."""
        for code in (lang, "pl", "en"):
            if code in self.translations:
                return code, self.translations[code]
        return next(iter(self.translations.items()))


def structure_problems(path: PathDoc) -> list[str]:
    """What makes a path impossible to follow: duplicate ids, conditions on unknown questions
    or answers, steps no answer can reach."""
    problems: list[str] = []
    qids = [q.id for q in path.questions]
    sids = [s.id for s in path.steps]
    for name, ids in (("question", qids), ("step", sids)):
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{name} id {dup!r} is used twice")
    for step in path.steps:
        for qid, values in step.when.items():
            question = path.question(qid)
            if question is None:
                problems.append(f"step {step.id!r}: no question {qid!r}")
            elif not values:
                problems.append(f"step {step.id!r}: no answer to {qid!r} reaches it")
            else:
                for value in values:
                    if value not in question.options:
                        problems.append(f"step {step.id!r}: {qid!r} has no answer {value!r}")
    return problems


def lint(path: PathDoc, topics: set[str]) -> list[str]:
    """Errors a practitioner must fix before the path is used (`witaj kb check`)."""
    problems = [f"step {s.id!r}: no topic {s.topic!r}" for s in path.steps if s.topic not in topics]
    for lang in LANGUAGES:
        words = path.translations.get(lang)
        if words is None:
            problems.append(f"{lang}: missing")
            continue
        for question in path.questions:
            said = words.questions.get(question.id)
            if said is None:
                problems.append(f"{lang}: question {question.id!r} has no text")
                continue
            for option in question.options:
                if option not in said.options:
                    problems.append(f"{lang}: answer {question.id}.{option} has no text")
        for step in path.steps:
            if step.id not in words.steps:
                problems.append(f"{lang}: step {step.id!r} has no text")
        extra = set(words.steps) - {s.id for s in path.steps}
        extra |= set(words.questions) - {q.id for q in path.questions}
        problems += [f"{lang}: {name!r} is not in the path" for name in sorted(extra)]
    return problems


def applies(step: StepDoc, answers: Mapping[str, str]) -> bool:
    """A step applies unless an answer given rules it out (a skipped question rules out
    nothing)."""
    return all(answers.get(qid) in values for qid, values in step.when.items() if qid in answers)


def checklist(path: PathDoc, answers: Mapping[str, str]) -> list[StepDoc]:
    """This family's steps, in the order to do them."""
    return [step for step in path.steps if applies(step, answers)]


def next_step(steps: Sequence[StepDoc], done: set[str]) -> StepDoc | None:
    return next((step for step in steps if step.id not in done), None)


def load_path(file: Path) -> PathDoc:
    """One guided path; a failure is a `ContentError` naming the file and line, as a topic's."""
    text = read_text(file)
    data = yaml_mapping(text, file, "a mapping with the path's steps")
    data.setdefault("slug", file.stem)
    return validated(PathDoc, data, text, file)


def load_paths(directory: Path = PATHS_DIR) -> list[PathDoc]:
    if not directory.is_dir():
        return []
    paths = [load_path(file) for file in sorted(directory.glob("*.yaml"))]
    return sorted(paths, key=lambda p: (p.order, p.slug))


def dump_path(path: PathDoc) -> str:
    """The exchange form: what `load_path` reads back to the same document."""
    data = path.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
