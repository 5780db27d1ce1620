"""Search speed of this tree against another commit, in alternating runs.

    .venv/bin/python bench/compare_search.py --against 5823b35 [--scale 10000] [--rounds 2]

This machine's speed drifts by a quarter between runs minutes apart, so two `bench/search.py`
runs one after the other can show a change that is not there. Here each round measures this
tree and a git worktree of the other commit, one after the other, each in a fresh process:
the seed plus `--scale` synthetic topics (bench/search.py's), the index built, then every dev
question timed: once as it comes (the first time its words are seen, some of them), then the
fastest of five. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "questions.dev.jsonl"
TIMES = 5


def measure(tree: Path, scale: int, dev: Path) -> dict[str, float]:
    """In this process, with `tree`'s code: build time and per-question times."""
    sys.path[:0] = [str(tree), str(tree / "bench")]
    from search import synthetic  # type: ignore[import-not-found]  # the tree's bench/search.py

    from knowledge.content import load_dir
    from knowledge.evaluation import read_jsonl
    from knowledge.library import search_documents
    from knowledge.search import SearchIndex

    topics = load_dir(tree / "knowledge" / "content")
    documents = search_documents([*topics, *synthetic(topics, scale)])
    start = time.perf_counter()
    index = SearchIndex.build(documents)
    built = time.perf_counter() - start
    questions = [q.text for q in read_jsonl(dev.read_text(encoding="utf-8").splitlines())]
    first = []  # each question once, as it comes: the words' caches are filled meanwhile
    for text in questions:
        start = time.perf_counter()
        index.decide(index.score(text))
        first.append((time.perf_counter() - start) * 1000)
    first.sort()
    gc.collect()
    gc.disable()
    fastest = []
    for text in questions:
        runs = []
        for _ in range(TIMES):
            start = time.perf_counter()
            index.decide(index.score(text))  # not `search`: it remembers recent questions
            runs.append(time.perf_counter() - start)
        fastest.append(min(runs) * 1000)
    fastest.sort()
    return {
        "build_s": built,
        "median_ms": statistics.median(fastest),
        "p99_ms": fastest[min(len(fastest) - 1, round(0.99 * (len(fastest) - 1)))],
        "first_median_ms": statistics.median(first),
        "first_p99_ms": first[min(len(first) - 1, round(0.99 * (len(first) - 1)))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="the commit to compare with (a git revision)")
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.scale, args.dev)))
        return
    if not args.against:
        parser.error("--against is required")
    from rich.console import Console
    from rich.table import Table

    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(other), args.against], check=True)
        try:
            table = Table(title=f"{args.scale} synthetic topics, alternating runs")
            columns = ("round", "tree", "build s", "first time: median ms", "p99 ms",
                       "fastest of five: median ms", "p99 ms")  # fmt: skip
            for column in columns:
                table.add_column(column, justify="right")
            for round_ in range(1, args.rounds + 1):
                for name, tree in (("this", ROOT), (args.against, other)):
                    command = [sys.executable, __file__, "--measure", str(tree)]
                    command += ["--scale", str(args.scale), "--dev", str(args.dev)]
                    out = subprocess.run(command, check=True, capture_output=True, text=True)
                    found = json.loads(out.stdout.splitlines()[-1])
                    table.add_row(
                        str(round_),
                        name,
                        f"{found['build_s']:.1f}",
                        f"{found['first_median_ms']:.3f}",
                        f"{found['first_p99_ms']:.3f}",
                        f"{found['median_ms']:.3f}",
                        f"{found['p99_ms']:.3f}",
                    )
            Console().print(table)
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(other)], check=False)


if __name__ == "__main__":
    main()
