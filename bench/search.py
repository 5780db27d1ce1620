"""Search benchmark: Witaj's index against a naive rapidfuzz baseline, measured in one run.

    .venv/bin/python bench/search.py [--dev ../shared/eval/questions.dev.jsonl] [--scale 10000]

Prints accuracy and per-query latency (median, p99) of both on the dev set, the index build
time, the process RSS, and the same latencies with the knowledge base scaled to N synthetic
topics in six languages. At that scale the memory is also measured as a bot holds it, in a
fresh process: the catalogue's cards and the index read from the cache the build wrote
(memory-mapped, as `witaj run` reads the one its start-up helper builds). Pinned to one core.
Figures, not assertions: targets are judged by the reader (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil
from rapidfuzz import fuzz, process
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proc import peak_mb  # noqa: E402

from knowledge import repository  # noqa: E402
from knowledge.content import SourceDoc, TopicDoc, TranslationDoc, load_dir  # noqa: E402
from knowledge.enums import Category  # noqa: E402
from knowledge.evaluation import NONE, Question, read_jsonl  # noqa: E402
from knowledge.library import build_index, search_documents  # noqa: E402
from knowledge.search import SearchIndex, SearchResult  # noqa: E402
from knowledge.search import cache as index_cache  # noqa: E402
from knowledge.search.normalize import clean, words  # noqa: E402
from knowledge.settings import CONTENT_DIR  # noqa: E402

console = Console()


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


class Baseline:
    """rapidfuzz `process.extractOne` with WRatio over every title and phrasing."""

    def __init__(self, topics: Sequence[TopicDoc]) -> None:
        self.choices: list[str] = []
        self.owner: list[str] = []
        for topic in topics:
            for tr in topic.translations.values():
                for text in (tr.title, *tr.phrasings):
                    self.choices.append(text.casefold())
                    self.owner.append(topic.slug)
        self.cutoff = 0.0

    def score(self, text: str) -> tuple[str | None, float]:
        best = process.extractOne(text.casefold(), self.choices, scorer=fuzz.WRatio)
        if best is None:
            return None, 0.0
        return self.owner[best[2]], float(best[1])

    def search(self, text: str) -> str | None:
        slug, score = self.score(text)
        return slug if score >= self.cutoff else None

    def tune(self, questions: Sequence[Question]) -> None:
        """Give the baseline its best abstention cutoff on the very set it is scored on."""
        scored = [(self.score(q.text), q.slug or NONE) for q in questions]
        best = (-1, 0.0)
        for cutoff in range(0, 101, 2):
            ok = sum(
                ((slug if s >= cutoff else None) or NONE) == expected
                for (slug, s), expected in scored
            )
            best = max(best, (ok, float(cutoff)))
        self.cutoff = best[1]


def timed(func: Callable[[str], object], texts: Sequence[str], repeat: int) -> list[float]:
    """Per-query latency in milliseconds (best of `repeat` runs per query)."""
    out = []
    for text in texts:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            func(text)
            runs.append((time.perf_counter_ns() - start) / 1e6)
        out.append(min(runs))
    return out


def searching(index: SearchIndex) -> Callable[[str], SearchResult]:
    """The search as it runs for a text not asked before: without the index's memory of
    recent texts (knowledge/recent.py), which would answer the best of `repeat` runs."""
    return lambda text: index.decide(index.score(text, None))


def accuracy(func: Callable[[Question], str | None], questions: Sequence[Question]) -> float:
    return sum((func(q) or NONE) == (q.slug or NONE) for q in questions) / len(questions)


def synthetic(topics: Sequence[TopicDoc], count: int, seed: int = 7) -> Iterator[TopicDoc]:
    """`count` topics made of the real vocabulary of each language, shuffled into new texts."""
    rng = random.Random(seed)
    vocab: dict[str, list[str]] = {}
    for topic in topics:
        for lang, tr in topic.translations.items():
            for text in (tr.title, *tr.phrasings, *tr.keywords):
                vocab.setdefault(lang, []).extend(words(clean(text)))
    for n in range(count):
        translations = {}
        for lang, pool in vocab.items():

            def phrase(k: int, pool: list[str] = pool) -> str:
                return " ".join(rng.choice(pool) for _ in range(k))

            translations[lang] = TranslationDoc(
                title=phrase(4),
                answer=phrase(120),
                phrasings=tuple(phrase(rng.randint(4, 10)) for _ in range(25)),
                keywords=tuple(phrase(rng.randint(1, 2)) for _ in range(20)),
                sources=(SourceDoc(title="x", url="https://www.gov.pl/"),),
            )
        yield TopicDoc(
            slug=f"synthetic-{n}",
            category=Category.EVERYDAY,
            order=1000 + n,
            translations=translations,
        )


async def seed(database: str, topics: Sequence[TopicDoc]) -> None:
    from knowledge.store import Store

    store = await Store.open(database)
    try:
        async with store.transaction() as session:
            await repository.import_topics(session, list(topics))
    finally:
        await store.close()


async def serve(database: str, cache: Path, texts: Sequence[str]) -> dict[str, float]:
    """In a fresh process, what a bot at this scale holds: its library opened from the
    database (read in batches, cards packed) with the index its start-up helper left in the
    cache, after answering the dev questions and unpacking each answer's card."""
    from cli.process import tune
    from knowledge.library import Librarian
    from knowledge.store import Store

    tune()  # as `witaj run` does
    store = await Store.open(database)
    before = rss_mb()
    start = time.perf_counter()
    library = (await Librarian.open(store, cache=cache)).current
    opened_s = time.perf_counter() - start
    opened = rss_mb()

    search = searching(library.index)

    def answer(text: str) -> object:
        slug = search(text).slug
        return None if slug is None else library.catalog[slug]

    latencies = timed(answer, texts, 5)
    await store.close()
    return {
        "rss": rss_mb(),
        "peak": peak_mb(),
        "library": opened - before,
        "packed": library.catalog.size() / 2**20,
        "open_s": opened_s,
        "p99": percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared/eval/questions.dev.jsonl")
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-scale-sample", type=int, default=15)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)  # the fresh process
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    questions = [q for q in read_jsonl(args.dev.read_text(encoding="utf-8").splitlines())]
    texts = [q.text for q in questions]
    if args.serve:
        database, cache = args.serve
        print(json.dumps(asyncio.run(serve(database, Path(cache), texts))))
        return
    topics = load_dir(CONTENT_DIR)
    rss_start = rss_mb()

    start = time.perf_counter()
    index = build_index(topics)
    build_s = time.perf_counter() - start
    for q in questions:  # warm caches (lemmatiser dictionaries, language models)
        index.search(q.text, q.lang)
    baseline = Baseline(topics)
    baseline.tune(questions)

    witaj_ms = timed(searching(index), texts, args.repeat)
    base_ms = timed(baseline.search, texts, args.repeat)
    witaj_acc = accuracy(lambda q: index.search(q.text, q.lang).slug, questions)
    base_acc = accuracy(lambda q: baseline.search(q.text), questions)
    rss_real = rss_mb()

    table = Table(title=f"search on the dev set ({len(questions)} questions, {len(topics)} topics)")
    for column in ("", "accuracy", "median ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_row(
        "witaj",
        f"{witaj_acc:.3f}",
        f"{statistics.median(witaj_ms):.3f}",
        f"{percentile(witaj_ms, 0.99):.3f}",
    )
    table.add_row(
        f"baseline (WRatio, cutoff {baseline.cutoff:.0f} tuned on dev)",
        f"{base_acc:.3f}",
        f"{statistics.median(base_ms):.3f}",
        f"{percentile(base_ms, 0.99):.3f}",
    )
    table.add_row(
        "ratio witaj/baseline",
        f"{witaj_acc / max(base_acc, 1e-9):.2f}",
        f"{statistics.median(witaj_ms) / statistics.median(base_ms):.2f}",
        f"{percentile(witaj_ms, 0.99) / percentile(base_ms, 0.99):.2f}",
    )
    console.print(table)
    console.print(
        f"index build {build_s * 1000:.0f} ms (first build loads dictionaries); "
        f"RSS {rss_start:.0f} MB before, {rss_real:.0f} MB after"
    )

    if args.scale <= 0:
        return
    start = time.perf_counter()
    big_topics = [*topics, *synthetic(topics, args.scale)]
    made_s = time.perf_counter() - start
    start = time.perf_counter()
    big = build_index(big_topics)
    big_build_s = time.perf_counter() - start
    rss_big = rss_mb()
    work = Path(tempfile.mkdtemp(prefix="witaj-bench-"))
    database = f"sqlite+aiosqlite:///{work / 'witaj.sqlite3'}"
    start = time.perf_counter()
    asyncio.run(seed(database, big_topics))
    seed_s = time.perf_counter() - start
    # Saved as the start-up helper would, under the key of the topics in the database's order.
    stored = sorted(big_topics, key=lambda t: (t.order, t.slug))
    index_cache.save(big, work / "index" / index_cache.key_of(search_documents(stored)))
    served = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--scale", str(args.scale), "--dev", str(args.dev),
             "--serve", database, str(work / "index")],
            check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    assert len(list((work / "index").iterdir())) == 1, "the bot built the index anew"
    shutil.rmtree(work, ignore_errors=True)
    big_ms = timed(searching(big), texts, args.repeat)
    big_acc = accuracy(lambda q: big.search(q.text, q.lang).slug, questions)
    sample = texts[: args.baseline_scale_sample]
    big_base = Baseline(big_topics)
    big_base.cutoff = baseline.cutoff
    big_base_ms = timed(big_base.search, sample, 1)

    table = Table(title=f"scaled: {len(big_topics)} topics x 6 languages")
    for column in ("", "accuracy", "median ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_row(
        "witaj",
        f"{big_acc:.3f}",
        f"{statistics.median(big_ms):.3f}",
        f"{percentile(big_ms, 0.99):.3f}",
    )
    table.add_row(
        f"baseline ({len(sample)} queries)",
        "-",
        f"{statistics.median(big_base_ms):.1f}",
        f"{percentile(big_base_ms, 0.99):.1f}",
    )
    console.print(table)
    console.print(
        f"synthetic content {made_s:.1f} s, index build {big_build_s:.1f} s; this process "
        f"(every topic's full text, the index and what building it left): RSS {rss_big:.0f} MB"
    )
    console.print(
        f"a fresh process serving {len(big_topics)} topics as the bot does (database seeded "
        f"in {seed_s:.0f} s): library opened in {served['open_s']:.1f} s, taking "
        f"{served['library']:.0f} MB (packed cards {served['packed']:.0f} MB, the rest the index "
        f"from the cache); RSS {served['rss']:.0f} MB, peak {served['peak']:.0f} MB; "
        f"query p99 {served['p99']:.2f} ms"
    )


if __name__ == "__main__":
    main()
