"""The YAML exchange format: one file per topic holding all its languages.

Loading is strict — a malformed file is reported with its path, line and reason before anything
touches the database — and dumping is canonical, so `kb export` writes back exactly what
`kb import` read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.enums import Category, Status
from knowledge.fastyaml import FAST_LOADER
from knowledge.languages import LANGUAGES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def text_hash(*parts: str | None) -> str:
    """The identity of a text: what a translation remembers of the Polish text it was made from
    (title, answer and short answer; an absent part leaves the hash as it was without it)."""
    text = "\n\n".join(part for part in parts if part)
    return hashlib.sha256(text.encode()).hexdigest()


class ContentError(Exception):
    """A content file that cannot be used, with where and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {reason}")


EXPIRY_NOTICE = timedelta(days=30)
"""How long before a `valid_until` date practitioners are warned (kb check, the workspace)."""
SUMMARY_LIMIT = 600
"""A short answer must fit a phone screen: the key steps, nothing more (in characters)."""


def valid_url(url: str) -> bool:
    """An http(s) address with a host name: no `javascript:`, `data:` or relative links."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and "." in host
        and not any(ch.isspace() or ord(ch) < 32 for ch in url)
        and all(label for label in host.split("."))
    )


class SourceDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=1, max_length=1000)
    homepage: str | None = Field(default=None, min_length=1, max_length=300)
    """Why a bare home page is cited on purpose (a site with no deeper stable page); without a
    reason `kb check` refuses a source a person could not check a fact against."""
    valid_until: date | None = None
    """The day after which the cited page is expected to describe something else."""


class TranslationDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    status: Status = Status.DRAFT
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    valid_until: date | None = None
    """The last day the answer is known to be right (a deadline, a law that expires): after it
    the bot warns that this may have changed and offers a person."""
    summary: str | None = Field(default=None, min_length=1)
    """The short answer shown first: the key steps, at most `SUMMARY_LIMIT` characters."""
    answer: str = Field(min_length=1)
    clerk_note: str | None = Field(default=None, min_length=1)
    """Polish only: what the migrant is asking for, addressed to the official behind the desk
    (the first part of the bilingual card)."""
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    sources: tuple[SourceDoc, ...] = ()

    @field_validator("reviewed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    @field_validator("phrasings", "keywords")
    @classmethod
    def _no_blank_entries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in value):
            raise ValueError("entries must not be empty")
        return value

    def made_from(self) -> str:
        """The hash a translation made from this (Polish) text keeps."""
        return text_hash(self.title, self.answer, self.summary)

    def fingerprint(self) -> str:
        """Identity of everything a practitioner can change, review stamp included."""
        raw = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


class TopicDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    category: Category
    order: int = 0
    related: tuple[str, ...] = ()
    translations: dict[str, TranslationDoc]

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError("must be lowercase letters, digits and single hyphens")
        return value

    @field_validator("translations")
    @classmethod
    def _known_languages(cls, value: dict[str, TranslationDoc]) -> dict[str, TranslationDoc]:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language(s) {', '.join(unknown)}")
        return {lang: value[lang] for lang in LANGUAGES if lang in value}

    def card(self) -> TopicDoc:
        """The topic without what only the search reads (phrasings and keywords): what the bot
        keeps to render answers. Those lists are most of a topic's strings: without them a
        topic's live objects take 27 KB instead of 61 (bench/search.py's synthetic topics)."""
        return self.model_copy(
            update={
                "translations": {
                    lang: tr.model_copy(update={"phrasings": (), "keywords": ()})
                    for lang, tr in self.translations.items()
                }
            }
        )


# --------------------------------------------------------------------------- loading


def _node_line(node: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """Follow a pydantic error location through the YAML node tree to a 1-based line."""
    if node is None:
        return 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == key), None)
            if child is None:
                break
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1


Model = TypeVar("Model", bound=BaseModel)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, None, f"not UTF-8 text ({exc.reason})") from None


def yaml_mapping(text: str, path: Path | str, expected: str) -> dict[str, Any]:
    """A content file's YAML, which must be a mapping; failures name the file and line."""
    try:
        data = yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ContentError(path, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError(path, 1, f"expected {expected}")
    return data


def validated(model: type[Model], data: dict[str, Any], text: str, path: Path | str) -> Model:
    """`data` as `model`; the first problem names the file and the line it is on (the text is
    parsed again into nodes only then)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or "(top level)"
        line = _node_line(yaml.compose(text, Loader=FAST_LOADER), loc)
        raise ContentError(path, line, f"{field}: {first['msg']}") from None


def parse_topic(text: str, path: Path | str = "<text>") -> TopicDoc:
    """Parse one topic file; every failure becomes a `ContentError` naming file and line.

    The file is parsed once, fast; only a file found wrong is parsed again into nodes, to tell
    the line the problem is on.
    """
    data = yaml_mapping(text, path, "a mapping with slug, category and translations")
    topic = validated(TopicDoc, data, text, path)
    stem = Path(path).stem
    if Path(path).suffix in {".yaml", ".yml"} and stem != topic.slug:
        line = _node_line(yaml.compose(text, Loader=FAST_LOADER), ("slug",))
        raise ContentError(path, line, f"slug {topic.slug!r} != file name")
    return topic


def load_dir(directory: Path) -> list[TopicDoc]:
    """Load every `*.yaml` topic file; raise on the first malformed file or a duplicate slug."""
    if not directory.is_dir():
        raise ContentError(directory, None, "not a directory")
    topics: list[TopicDoc] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        topic = parse_topic(read_text(path), path)
        if topic.slug in seen:
            raise ContentError(
                path, 1, f"slug {topic.slug!r} already defined in {seen[topic.slug]}"
            )
        seen[topic.slug] = path
        topics.append(topic)
    if not topics:
        raise ContentError(directory, None, "no *.yaml topic files found")
    return sorted(topics, key=lambda t: (t.order, t.slug))


# --------------------------------------------------------------------------- dumping


class _Dumper(yaml.SafeDumper):
    """Block style everywhere, multi-line text as literal blocks, nothing folded."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def topic_to_data(topic: TopicDoc) -> dict[str, Any]:
    """Plain data in the canonical key order (shared by YAML and JSON export)."""
    data: dict[str, Any] = {"slug": topic.slug, "category": str(topic.category)}
    data["order"] = topic.order
    if topic.related:
        data["related"] = list(topic.related)
    data["translations"] = {
        lang: {
            "title": tr.title,
            "status": str(tr.status),
            "reviewed_at": _iso(tr.reviewed_at),
            "reviewer": tr.reviewer,
            **_optional(valid_until=_day(tr.valid_until), summary=tr.summary),
            "answer": tr.answer,
            **_optional(clerk_note=tr.clerk_note),
            "phrasings": list(tr.phrasings),
            "keywords": list(tr.keywords),
            "sources": [source_to_data(s) for s in tr.sources],
        }
        for lang, tr in topic.translations.items()
    }
    return data


def source_to_data(source: SourceDoc) -> dict[str, Any]:
    return {
        "title": source.title,
        "url": source.url,
        **_optional(homepage=source.homepage, valid_until=_day(source.valid_until)),
    }


def _optional(**values: Any) -> dict[str, Any]:
    """Keys that are written only when set, so files without them stay as they were."""
    return {key: value for key, value in values.items() if value is not None}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def dump_topic(topic: TopicDoc) -> str:
    return yaml.dump(
        topic_to_data(topic),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
        default_flow_style=False,
    )


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    changed: bool


def write_dir(topics: Iterable[TopicDoc], directory: Path) -> list[WrittenFile]:
    """Write one file per topic atomically (temp file + rename): never a half-written file."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[WrittenFile] = []
    for topic in topics:
        path = directory / f"{topic.slug}.yaml"
        text = dump_topic(topic)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            tmp = path.with_suffix(".yaml.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        written.append(WrittenFile(path, old != text))
    return written
