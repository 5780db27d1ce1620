"""The safety check's second tier: a small statistical model for phrasings no trigger names.

The trigger file (`content/safety/crisis.yaml`) says what it knows outright; people in crisis
find words nobody wrote down. This model reads the same normalised words as the triggers (the
search's skeletons, so Cyrillic and its transliteration meet and Polish diacritics fold), cuts
them into hashed character n-grams (word-boundary padded) plus word unigrams and bigrams, and
scores them with a multinomial logistic regression over "none" and the five kinds.

It is trained with numpy alone from the labelled sets in `tests/data/safety/` (never the blind
`test.jsonl`) plus everyday negatives: every topic's phrasings, summary and answer sentences
(the safety topics left out) and the evaluation's development questions. Its threshold is
chosen by cross-validation grouped by set file (each fold also holds out a share of the
topics), as the lowest at which held-out look-alikes fire at most 2% of the time and held-out
everyday text at most 0.5%. Messages of fewer than four words are left to the triggers.

`python -m knowledge.safety_model train` (about four minutes) regenerates
`content/safety/model.npz` (float16 weights, 1.2 MB) and `model.json` (feature configuration,
threshold, the labelled sets' hash, the cross-validated figures); the same inputs give the
same weights. A test fails while the labelled sets differ from those the model was trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.search.normalize import clean, script, skeleton, words

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "content" / "safety" / "model.npz"
META_FILE = MODEL_FILE.with_suffix(".json")
ROOT = HERE.parent
DATA_DIR = ROOT / "tests" / "data" / "safety"
BLIND = "test.jsonl"
"""The blind half: never read here, neither for training nor for choosing anything."""
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.dev.jsonl"
SAFETY_TOPICS = frozenset({"domestic-violence", "emergency-numbers", "psychological-support"})
"""Topics about danger itself: their questions are not everyday negatives."""
CLASSES = ("none", "danger", "threat", "violence", "child", "suicide")
"""Column order of the weights: "none" then the safety check's kinds."""
MAX_WORDS = 200
MIN_WORDS = 4
"""Shorter messages ("я боюсь", "я не понимаю", "bye") are the trigger file's alone: in so few
words the model weighs too little evidence, and people write such messages all day. Arabic,
which writes pronouns and prepositions into the word, needs one word less."""
KIND_SHARE = 0.5
"""A second kind is named too when its probability is at least this share of the first's."""
FA_LOOK_ALIKES = 0.02
FA_EVERYDAY = 0.005
"""The false-alarm rates the threshold must keep on held-out data."""

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Config:
    """Features and training; stored in the sidecar, so a model is read as it was built.

    Chosen by the grouped cross-validation (held-out recall at the false-alarm targets, before
    the word minimum, which costs 0.015 of it): character 3-5-grams beat 2-5 (0.854 against
    0.820), 2**17 buckets beat 2**16 (0.835), 1/sqrt(n) values beat binary ones and 1/n, L2
    1e-4 beat 1e-3, and 200 Adam epochs were as good as 300; scoring windows of a long
    message, or training on labelled rows set inside everyday questions, lost recall. The
    floor of 64 features costs a little held-out recall (0.845 against 0.853 with 40) for
    quieter short everyday messages.
    """

    bits: int = 17
    """2**bits hashed feature buckets."""
    char_min: int = 3
    char_max: int = 5
    word_ngrams: int = 2
    norm: str = "sqrt"
    """Each feature's value in a message of n features: "binary" 1, "sqrt" 1/sqrt(n)."""
    floor: int = 64
    """With "sqrt": 1/sqrt(max(n, floor)), so that a few words weigh no more than this many
    features would."""
    l2: float = 1e-4
    epochs: int = 200
    learning_rate: float = 0.05
    everyday_weight: float = 0.5
    """The everyday negatives' total weight, relative to the labelled sets' negatives."""
    danger_weight: float = 1.0
    """The danger rows' weight relative to one labelled negative."""


# --------------------------------------------------------------------------- features


WORD_CACHE = 20_000
"""How many distinct words' features are remembered (a few megabytes)."""


def _keys(text: str) -> list[str]:
    return [skeleton(w) for w in words(clean(text))][:MAX_WORDS]


def _enough(keys: Sequence[str]) -> bool:
    if len(keys) != MIN_WORDS - 1:  # only three words need the script looked at
        return len(keys) >= MIN_WORDS
    return any(script(key) == "arab" for key in keys)


def _hash(gram: str, mask: int) -> int:
    return zlib.crc32(gram.encode("utf-8")) & mask


@lru_cache(maxsize=WORD_CACHE)
def _word_buckets(key: str, bits: int, char_min: int, char_max: int) -> Ints:
    """One word's features: the word itself and its character n-grams, padded with a space
    at each end so that beginnings and endings count apart."""
    mask = (1 << bits) - 1
    padded = f" {key} "
    grams = [f"w{key}"] + [
        padded[i : i + n] for n in range(char_min, char_max + 1) for i in range(len(padded) - n + 1)
    ]
    found = np.fromiter((_hash(g, mask) for g in grams), np.int32, len(grams))
    found.setflags(write=False)
    return found


def buckets(text: str, config: Config) -> Ints:
    """The message's hashed features, each once: its words' and its word n-grams'."""
    return _buckets(_keys(text), config)


def _buckets(keys: Sequence[str], config: Config) -> Ints:
    mask = (1 << config.bits) - 1
    parts = [_word_buckets(k, config.bits, config.char_min, config.char_max) for k in keys]
    phrases = [
        _hash(" ".join(("b", *keys[i : i + n])), mask)
        for n in range(2, config.word_ngrams + 1)
        for i in range(len(keys) - n + 1)
    ]
    parts.append(np.array(phrases, np.int32))
    return np.unique(np.concatenate(parts))


def _values(n: int, config: Config) -> float:
    """Every feature of a message of `n` features weighs this much ("sqrt": long messages
    are not louder than short ones, nor much quieter; a message of a few words is not louder
    than one of `config.floor` features)."""
    if n == 0 or config.norm == "binary":
        return 1.0
    return 1.0 / float(np.sqrt(max(n, config.floor)))


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Verdict:
    danger: float
    """1 - P(none)."""
    kinds: tuple[str, ...]
    """The most likely kinds, most likely first."""


class SafetyModel:
    """Loaded weights: a verdict costs a fraction of a millisecond."""

    def __init__(
        self, weights: npt.NDArray[np.floating[Any]], bias: Floats, threshold: float, config: Config
    ) -> None:
        self.weights = weights
        """(buckets, classes), float16 as stored: 1.5 MB."""
        self.bias = bias
        self.threshold = threshold
        self.config = config

    def verdict(self, text: str) -> Verdict:
        keys = _keys(text)
        if not _enough(keys):
            return Verdict(0.0, ())
        found = _buckets(keys, self.config)
        total = self.weights[found].sum(axis=0, dtype=np.float32)
        z = self.bias + total * _values(len(found), self.config)
        p = np.exp(z - z.max())
        p /= p.sum()
        danger = float(1.0 - p[0])
        order = np.argsort(-p[1:]) + 1
        top = p[order[0]]
        kinds = tuple(CLASSES[i] for i in order if p[i] >= KIND_SHARE * top)
        return Verdict(danger, kinds)

    def fires(self, text: str) -> Verdict | None:
        verdict = self.verdict(text)
        return verdict if verdict.danger >= self.threshold else None


def load(path: Path = MODEL_FILE) -> SafetyModel | None:
    """The stored model, or None when there is none (the rules then work alone)."""
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    config = Config(**meta["config"])
    with np.load(path) as stored:
        weights = stored["weights"]
        bias = stored["bias"].astype(np.float32)
    if weights.shape != (1 << config.bits, len(CLASSES)):
        raise ValueError(f"{path}: weights of shape {weights.shape} do not fit the config")
    return SafetyModel(weights, bias, float(meta["threshold"]), config)


# --------------------------------------------------------------------------- training data


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    """Index into CLASSES."""
    group: str
    """Where it comes from: a set file's name, or "everyday:<slug>"."""
    everyday: bool = False
    lang: str = ""


def set_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The labelled sets training may read: every `*.jsonl` but the blind half."""
    return sorted(p for p in data_dir.glob("*.jsonl") if p.name != BLIND)


def data_hash(data_dir: Path = DATA_DIR) -> str:
    """The labelled sets' identity: a new or changed set means the model must be retrained."""
    digest = hashlib.sha256()
    for path in set_files(data_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def labelled(data_dir: Path = DATA_DIR) -> list[Example]:
    rows = []
    for path in set_files(data_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                label = CLASSES.index(row["danger"] or "none")
                rows.append(Example(row["text"], label, path.name, lang=row["lang"]))
    return rows


_SENTENCE = re.compile(r"(?<=[.!?؟])\s+|\n+")
_MARKUP = re.compile(r"\*\*|__|^\s*(?:[-•*]|\d+[.)])\s*", re.MULTILINE)


def everyday(
    content_dir: Path | None = None, dev_file: Path | None = DEV_QUESTIONS
) -> list[Example]:
    """Text a migrant writes or reads every day: the topics' phrasings and the sentences of
    their summaries and answers (not the safety topics'), and the development questions."""
    from knowledge.content import load_dir
    from knowledge.settings import CONTENT_DIR

    found: dict[str, Example] = {}
    for topic in load_dir(content_dir or CONTENT_DIR):
        if topic.slug in SAFETY_TOPICS:
            continue
        for lang, translation in topic.translations.items():
            texts = list(translation.phrasings)
            for body in (translation.summary or "", translation.answer):
                texts += _SENTENCE.split(_MARKUP.sub("", body))
            for text in texts:
                text = text.strip()
                if len(_keys(text)) >= 2 and text not in found:
                    found[text] = Example(text, 0, f"everyday:{topic.slug}", True, lang)
    if dev_file is not None and dev_file.exists():
        for line in dev_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("slug") not in SAFETY_TOPICS and row["text"] not in found:
                group = f"everyday:{row.get('slug') or 'none'}"
                found[row["text"]] = Example(row["text"], 0, group, True, row["lang"])
    return list(found.values())


# --------------------------------------------------------------------------- fitting


@dataclass
class Matrix:
    """Rows of hashed features: entry `j` is feature `indices[j]` of row `rows[j]` (rows in
    order) with value `values[j]`."""

    indices: Ints
    rows: Ints
    values: Floats
    n: int

    @classmethod
    def of(cls, texts: Sequence[str], config: Config) -> Matrix:
        parts = [buckets(t, config) for t in texts]
        indices = np.concatenate([np.zeros(0, np.int32), *parts])
        rows = np.repeat(np.arange(len(parts), dtype=np.int32), [len(p) for p in parts])
        values = np.concatenate(
            [np.zeros(0, np.float32)]
            + [np.full(len(p), _values(len(p), config), np.float32) for p in parts]
        )
        return cls(indices.astype(np.int32), rows, values.astype(np.float32), len(parts))

    def take(self, keep: npt.NDArray[np.bool_]) -> Matrix:
        new_row = np.cumsum(keep) - 1
        mask = keep[self.rows]
        return Matrix(
            self.indices[mask], new_row[self.rows[mask]].astype(np.int32),
            self.values[mask], int(keep.sum()),
        )  # fmt: skip

    def scores(self, weights: Floats, bias: Floats) -> Floats:
        """Weights as (buckets, classes): each row's summed weighted features, plus the bias."""
        out = np.zeros((self.n, weights.shape[1]), np.float32)
        filled = np.bincount(self.rows, minlength=self.n) > 0
        if filled.any():
            starts = np.searchsorted(self.rows, np.flatnonzero(filled))
            out[filled] = np.add.reduceat(
                weights[self.indices] * self.values[:, None], starts, axis=0
            )
        return out + bias


def _softmax(z: Floats) -> Floats:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    result: Floats = p / p.sum(axis=1, keepdims=True)
    return result


def sample_weights(examples: Sequence[Example], config: Config) -> Floats:
    labels = np.array([e.label for e in examples])
    daily = np.array([e.everyday for e in examples])
    look_alikes = (labels == 0) & ~daily
    weights = np.where(labels > 0, config.danger_weight, 1.0).astype(np.float32)
    if daily.any():
        weights[daily] = config.everyday_weight * max(1, look_alikes.sum()) / daily.sum()
    return weights


def fit(
    matrix: Matrix, labels: npt.NDArray[np.int_], weights: Floats, config: Config
) -> tuple[Floats, Floats]:
    """Multinomial logistic regression, full-batch Adam with L2 (on the features seen); the
    same inputs give the same weights. Returns weights as (buckets, classes) and the bias."""
    k = len(CLASSES)
    seen, local = np.unique(matrix.indices, return_inverse=True)
    compact = Matrix(local.astype(np.int32), matrix.rows, matrix.values, matrix.n)
    order = np.argsort(local, kind="stable")
    firsts = np.searchsorted(local[order], np.arange(len(seen)))
    by_feature_rows, by_feature_values = matrix.rows[order], matrix.values[order][:, None]
    w = np.zeros((len(seen), k), np.float32)
    b = np.zeros(k, np.float32)
    onehot = np.eye(k, dtype=np.float32)[labels]
    share = (weights / weights.sum()).astype(np.float32)[:, None]
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, config.epochs + 1):
        g = (_softmax(compact.scores(w, b)) - onehot) * share
        grad_w = np.add.reduceat(g[by_feature_rows] * by_feature_values, firsts, axis=0)
        grad_w += config.l2 * w
        grad_b = g.sum(axis=0)
        c1, c2 = 1 - beta1**step, 1 - beta2**step
        for param, grad, m, v in ((w, grad_w, *moments[:2]), (b, grad_b, *moments[2:])):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= config.learning_rate * (m / c1) / (np.sqrt(v / c2) + eps)
    full = np.zeros((1 << config.bits, k), np.float32)
    full[seen] = w
    return full, b


def probabilities(matrix: Matrix, w: Floats, b: Floats) -> Floats:
    return _softmax(matrix.scores(w, b))


# --------------------------------------------------------------------------- cross-validation


def fold_of(example: Example, groups: Sequence[str]) -> int:
    """A labelled row is held out with its whole set file; everyday text with its topic."""
    if example.everyday:
        return zlib.crc32(example.group.encode()) % len(groups)
    return groups.index(example.group)


def danger_scores(probs: Floats, examples: Sequence[Example]) -> Floats:
    """1 - P(none), and 0 for a message shorter than `MIN_WORDS` (as `SafetyModel.verdict`)."""
    enough = np.array([_enough(_keys(e.text)) for e in examples])
    scores: Floats = np.where(enough, 1 - probs[:, 0], 0).astype(np.float32)
    return scores


def choose_threshold(
    danger: Floats, look_alikes: npt.NDArray[np.bool_], daily: npt.NDArray[np.bool_]
) -> float:
    """The lowest threshold at which held-out look-alikes and everyday text stay under their
    false-alarm rates (an alarm is a score at or above it)."""
    candidates = np.unique(np.concatenate([danger[look_alikes], danger[daily], [1.0]]))
    for candidate in candidates:
        threshold = float(np.nextafter(np.float32(candidate), np.float32(2)))
        if (danger[look_alikes] >= threshold).mean() <= FA_LOOK_ALIKES and (
            danger[daily] >= threshold
        ).mean() <= FA_EVERYDAY:
            return round(threshold, 6) if round(threshold, 6) > candidate else threshold
    return 1.0


def figures(probs: Floats, examples: Sequence[Example], threshold: float) -> dict[str, Any]:
    """Recall, false alarms and kind accuracy of the model alone, overall and per set file."""
    labels = np.array([e.label for e in examples])
    daily = np.array([e.everyday for e in examples])
    groups = np.array([e.group for e in examples])
    fire = danger_scores(probs, examples) >= threshold
    danger, look = labels > 0, (labels == 0) & ~daily
    named = (probs[:, 1:].argmax(axis=1) + 1 == labels)[danger & fire]
    result: dict[str, Any] = {
        "recall": round(float(fire[danger].mean()), 4),
        "false_alarms_look_alikes": round(float(fire[look].mean()), 4),
        "false_alarms_everyday": round(float(fire[daily].mean()), 4) if daily.any() else None,
        "kind_accuracy": round(float(named.mean()), 4) if named.size else None,
        "per_set": {},
    }
    for name in sorted({e.group for e in examples if not e.everyday}):
        mine = groups == name
        result["per_set"][name] = {
            "recall": round(float(fire[mine & danger].mean()), 4),
            "false_alarms": round(float(fire[mine & look].mean()), 4),
        }
    return result


def cross_validate(
    examples: Sequence[Example], config: Config, log: Callable[[str], object] = print
) -> Floats:
    """Held-out probabilities for every example: one fit per labelled set file, with that
    file and a share of the everyday topics left out."""
    groups = sorted({e.group for e in examples if not e.everyday})
    folds = np.array([fold_of(e, groups) for e in examples])
    labels = np.array([e.label for e in examples])
    matrix = Matrix.of([e.text for e in examples], config)
    weights = sample_weights(examples, config)
    held_out = np.zeros((len(examples), len(CLASSES)), np.float32)
    for fold, name in enumerate(groups):
        started = time.perf_counter()
        train = folds != fold
        w, b = fit(matrix.take(train), labels[train], weights[train], config)
        held_out[~train] = probabilities(matrix.take(~train), w, b)
        log(
            f"  fold {fold + 1}/{len(groups)} ({name} held out): "
            f"{time.perf_counter() - started:.0f} s"
        )
    return held_out


# --------------------------------------------------------------------------- the command


def train(
    data_dir: Path = DATA_DIR,
    content_dir: Path | None = None,
    dev_file: Path | None = DEV_QUESTIONS,
    out: Path = MODEL_FILE,
    config: Config | None = None,
    log: Callable[[str], object] = print,
) -> dict[str, Any]:
    """Cross-validate, choose the threshold, fit on everything, write the model and sidecar."""
    config = config or Config()
    examples = labelled(data_dir)
    daily = everyday(content_dir, dev_file)
    log(f"{len(examples)} labelled rows from {len(set_files(data_dir))} sets, "
        f"{len(daily)} everyday negatives")  # fmt: skip
    examples += daily
    held_out = cross_validate(examples, config, log)
    labels = np.array([e.label for e in examples])
    is_daily = np.array([e.everyday for e in examples])
    danger = danger_scores(held_out, examples)
    threshold = choose_threshold(danger, (labels == 0) & ~is_daily, is_daily)
    cv = figures(held_out, examples, threshold)
    log(f"threshold {threshold:.4f}: held-out recall {cv['recall']}, false alarms "
        f"{cv['false_alarms_look_alikes']} (look-alikes) / {cv['false_alarms_everyday']} "
        "(everyday)")  # fmt: skip
    matrix = Matrix.of([e.text for e in examples], config)
    weights, bias = fit(matrix, labels, sample_weights(examples, config), config)
    stored = weights.astype(np.float16)
    in_sample = figures(
        _softmax(matrix.scores(stored.astype(np.float32), bias)), examples, threshold
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, weights=stored, bias=bias.astype(np.float32))
    meta = {
        "about": "The safety check's second tier; `python -m knowledge.safety_model train`.",
        "classes": list(CLASSES),
        "config": asdict(config),
        "threshold": threshold,
        "data_hash": data_hash(data_dir),
        "sets": {
            p.name: sum(1 for e in examples if e.group == p.name) for p in set_files(data_dir)
        },
        "everyday": {
            "rows": len(daily),
            "hash": hashlib.sha256("\n".join(e.text for e in daily).encode()).hexdigest(),
            "dev_questions": dev_file is not None and dev_file.exists(),
        },
        "cross_validated": cv,
        "in_sample": {
            k: in_sample[k] for k in ("recall", "false_alarms_look_alikes", "false_alarms_everyday")
        },
        "weights_sha256": hashlib.sha256(stored.tobytes()).hexdigest(),
    }
    out.with_suffix(".json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    log(f"wrote {out} ({out.stat().st_size // 1024} KB) and {out.with_suffix('.json').name}")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.safety_model")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("train", help="cross-validate, fit and write the model")
    run.add_argument("--data", type=Path, default=DATA_DIR)
    run.add_argument("--content", type=Path, default=None)
    run.add_argument("--dev", type=Path, default=DEV_QUESTIONS)
    run.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    train(args.data, args.content, args.dev, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
