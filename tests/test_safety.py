"""The safety check: danger messages in six languages fire, everyday look-alikes stay quiet.

`tests/data/safety/` holds labelled sets written by someone other than the trigger file's
author. `calibration.jsonl` and the later `tuning*.jsonl` rounds (each written fresh, measured
once, then used) tuned `knowledge/content/safety/crisis.yaml` and trained the second tier,
the statistical model in `knowledge/content/safety/model.npz` (`python -m
knowledge.safety_model train`; its threshold chosen by cross-validation over those sets and
everyday topic text). `test.jsonl` was kept out of both and has never been read while tuning
or training — the figures that matter are the test half's, of the rules and model together.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import safety, safety_model
from knowledge.languages import LANGUAGES
from knowledge.search.normalize import clean, words

DATA = Path(__file__).resolve().parent / "data" / "safety"
RECALL_BAR = 0.95
FALSE_ALARM_BAR = 0.05


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def check() -> safety.SafetyCheck:
    return safety.default_check()


def figures(
    check: safety.SafetyCheck, rows: list[dict[str, Any]]
) -> tuple[float, float, list[str]]:
    danger = [r for r in rows if r["danger"]]
    quiet = [r for r in rows if not r["danger"]]
    missed = [r["id"] for r in danger if check.check(r["text"]) is None]
    alarms = [r["id"] for r in quiet if check.check(r["text"]) is not None]
    return 1 - len(missed) / len(danger), len(alarms) / len(quiet), missed + alarms


def test_the_sets_are_big_enough_and_cover_six_languages() -> None:
    for name in ("calibration.jsonl", "test.jsonl"):
        rows = _rows(name)
        assert sum(1 for r in rows if r["danger"]) >= 60, name
        assert sum(1 for r in rows if not r["danger"]) >= 60, name
        assert {r["lang"] for r in rows} == set(LANGUAGES), name


TUNED_ON = sorted(p.name for p in DATA.glob("*.jsonl") if p.name != "test.jsonl")


@pytest.mark.parametrize("half", [*TUNED_ON, "test.jsonl"])
def test_recall_and_false_alarms(check: safety.SafetyCheck, half: str) -> None:
    recall, false_alarms, wrong = figures(check, _rows(half))
    print(f"{half}: recall {recall:.3f}, false alarms {false_alarms:.3f}")
    assert recall >= RECALL_BAR, wrong
    assert false_alarms <= FALSE_ALARM_BAR, wrong


def test_the_blind_half_stayed_out_of_the_trigger_file() -> None:
    """No test message (or a run of six of its words) appears in the trigger file."""
    crisis = " ".join(words(clean(safety.SAFETY_FILE.read_text(encoding="utf-8"))))
    for row in _rows("test.jsonl"):
        tokens = words(clean(row["text"]))
        runs = {" ".join(tokens[i : i + 6]) for i in range(max(1, len(tokens) - 5))}
        assert not any(run and run in crisis for run in runs), row["id"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("chcę się zabić", safety.Kind.SUICIDE),
        ("i want to end my life", safety.Kind.SUICIDE),
        ("nie chce mi sie zyc", safety.Kind.SUICIDE),
        ("ne khochu bilshe zhyty", safety.Kind.SUICIDE),
        ("хочу умереть, больше не могу", safety.Kind.SUICIDE),
        ("my husband hits me and the kids", safety.Kind.VIOLENCE),
        ("мой муж меня бьет что делать", safety.Kind.VIOLENCE),
        ("mój partner grozi że mnie zabije", safety.Kind.THREAT),
        ("someone is following me with a knife right now", safety.Kind.DANGER),
    ],
)
def test_the_messages_that_got_wrong_cards_now_fire(
    check: safety.SafetyCheck, text: str, kind: safety.Kind
) -> None:
    alarm = check.check(text)
    assert alarm is not None and kind in alarm.kinds, (text, alarm)


@pytest.mark.parametrize(
    "text",
    [
        "how to kill time in Wrocław",
        "my phone battery died",
        "jak zabić nudę w weekend",
        "как убить время в очереди",
        "where to buy a kitchen knife",
        "how do I get a death certificate for my father",
        "akt zgonu babci",
        "what is the emergency number in Poland",
    ],
)
def test_everyday_look_alikes_stay_quiet(check: safety.SafetyCheck, text: str) -> None:
    assert check.check(text) is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_reply_gives_112_first_and_the_fitting_helpline(lang: str) -> None:
    doc = safety.load()
    for kinds, numbers in (
        ((safety.Kind.SUICIDE,), ["116 123", "800 70 2222"]),
        ((safety.Kind.VIOLENCE, safety.Kind.CHILD), ["800 120 002", "116 111"]),
        ((safety.Kind.DANGER,), []),
    ):
        reply = safety.reply(doc, safety.Alarm(kinds, (lang,), ()), lang)
        first = min(reply.text.index(n) for n in ["112", *numbers])
        assert reply.text.index("112") == first, reply.text
        for number in numbers:
            assert number in reply.text
        assert reply.topics and reply.lang == lang
    late = safety.reply(doc, safety.Alarm((safety.Kind.SUICIDE,), (lang,), ()), lang,
                        after_hours=True)  # fmt: skip
    assert doc.translations[lang].after_hours in late.text


def test_the_reply_speaks_the_language_of_the_message() -> None:
    russian = safety.Alarm((safety.Kind.SUICIDE,), ("ru",), ())
    assert safety.reply_language(russian, "uk", "ru") == "ru"
    assert safety.reply_language(russian, None, "ru") == "ru"
    both = safety.Alarm((safety.Kind.VIOLENCE,), ("ru", "be"), ())
    assert safety.reply_language(both, "be", "ru") == "be"  # the person's own language matched
    assert safety.reply_language(safety.Alarm((), ("pl",), ()), "en", None) == "en"


def test_the_trigger_file_is_clean() -> None:
    assert list(safety.lint(safety.load())) == []


def test_numbers_in_every_language_are_the_same() -> None:
    doc = safety.load()
    numbers = {
        lang: sorted(set(safety.phone_numbers(" ".join([t.opening, *t.lines.values()]))))
        for lang, t in doc.translations.items()
    }
    assert len({tuple(n) for n in numbers.values()}) == 1, numbers
    assert re.search(r"\b112\b", doc.translations["ar"].opening)


# --------------------------------------------------------------------------- the second tier


@pytest.fixture(scope="module")
def meta() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(safety_model.META_FILE.read_text(encoding="utf-8"))
    return data


def test_the_model_was_trained_on_the_current_sets(meta: dict[str, Any]) -> None:
    """A new or changed labelled set must be trained on: `python -m knowledge.safety_model
    train` (a few minutes), then commit model.npz and model.json."""
    assert sorted(meta["sets"]) == TUNED_ON
    assert meta["data_hash"] == safety_model.data_hash(DATA), "retrain the safety model"


def test_the_model_met_its_held_out_targets_and_is_small(meta: dict[str, Any]) -> None:
    held_out = meta["cross_validated"]
    assert held_out["false_alarms_look_alikes"] <= safety_model.FA_LOOK_ALIKES
    assert held_out["false_alarms_everyday"] <= safety_model.FA_EVERYDAY
    assert held_out["recall"] >= 0.75
    assert safety_model.MODEL_FILE.stat().st_size <= 2_000_000


def test_the_stored_model_gives_its_recorded_figures(
    check: safety.SafetyCheck, meta: dict[str, Any]
) -> None:
    """Loaded as it was trained: on the labelled sets, what training measured."""
    model = check.model
    assert model is not None and model.threshold == meta["threshold"]
    rows = [row for name in TUNED_ON for row in _rows(name)]
    fired = [model.fires(row["text"]) is not None for row in rows]
    recall = np.mean([f for f, row in zip(fired, rows, strict=True) if row["danger"]])
    alarms = np.mean([f for f, row in zip(fired, rows, strict=True) if not row["danger"]])
    assert recall == pytest.approx(meta["in_sample"]["recall"], abs=0.01)
    assert alarms == pytest.approx(meta["in_sample"]["false_alarms_look_alikes"], abs=0.01)


def test_training_is_deterministic() -> None:
    examples = safety_model.labelled(DATA)[::8]
    config = safety_model.Config(bits=12, epochs=15)
    matrix = safety_model.Matrix.of([e.text for e in examples], config)
    labels = np.array([e.label for e in examples])
    weights = safety_model.sample_weights(examples, config)
    first = safety_model.fit(matrix, labels, weights, config)
    second = safety_model.fit(matrix, labels, weights, config)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert np.abs(first[0]).max() > 0


def test_the_model_speaks_only_when_no_rule_does_and_never_strongly() -> None:
    """A stand-in model that finds violence in everything: it is asked only when no trigger
    fires, and its alarm lets a sure ordinary answer follow."""
    config = safety_model.Config(bits=4)
    weights = np.zeros((16, len(safety_model.CLASSES)), np.float32)
    bias = np.array([0, 0, 0, 5, 0, 0], np.float32)
    check = safety.SafetyCheck(safety.load(), safety_model.SafetyModel(weights, bias, 0.5, config))
    alarm = check.check("a message that no trigger phrase knows")
    assert alarm is not None and alarm.kinds == (safety.Kind.VIOLENCE,)
    assert not alarm.strong and alarm.score is not None and alarm.languages == ()
    ruled = check.check("chcę się zabić, nie mogę już dłużej")
    assert ruled is not None and ruled.strong and ruled.score is None
    assert check.check("ok thanks") is None  # too few words for the model


@pytest.mark.parametrize(
    "text",
    [
        "tell me a joke",
        "я не понимаю",
        "where can I exchange my driving licence in Wrocław?",
        "Jak zapisać dziecko do przedszkola w trakcie roku szkolnego?",
        "Скільки коштує проїзний для студента?",
    ],
)
def test_the_model_keeps_quiet_on_everyday_questions(check: safety.SafetyCheck, text: str) -> None:
    assert check.model is not None and check.model.fires(text) is None


def test_an_alarm_names_its_languages_in_the_same_order_in_every_process() -> None:
    """The first language an alarm names answers a person whose own is unknown; it followed
    the order of a set of strings, which differs from one process to the next."""
    texts = [
        "sosed napal na menya v podjezde, vsya v krovi",
        "Хтось ломиться у двері вночі, я сама з дітьми",
        "nie mam juz sily, mysle zeby skoczyc z mostu",
        "Szef molestuje mnie w magazynie, dotyka mnie chociaż mówię, że nie chcę",
    ]
    code = (
        "import json, sys\n"
        "from knowledge import safety\n"
        "check = safety.SafetyCheck(safety.load(), model=None)\n"
        "print(json.dumps([check.rules(t).languages for t in json.loads(sys.argv[1])]))\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code, json.dumps(texts)],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(4)
    }
    assert len(seen) == 1
    assert all(len(languages) > 1 for languages in json.loads(seen.pop()))


def test_a_word_meets_every_trigger_word_it_matches(check: safety.SafetyCheck) -> None:
    """Trigger words are looked up by spelling, beginning and length; the lookup must find
    exactly the stems that match the word by `_Stem.matches`, typos included, in order."""
    stems = {s for listed in check._by_anchor.values() for t in listed for s in t.phrase.stems}
    rng = random.Random(7)
    written = [
        key
        for row in _rows("test.jsonl")
        for word in words(clean(row["text"]))
        for key in safety._token_keys(word)
    ]
    typos = []
    for stem in rng.sample(sorted(stems), 300):
        at = rng.randrange(len(stem.key))
        typos += [stem.key[:at] + stem.key[at + 1 :], stem.key[:at] + "x" + stem.key[at + 1 :],
                  stem.key + "ami", stem.key[:at] + "e" + stem.key[at:]]  # fmt: skip
    tokens = sorted({*rng.sample(sorted(set(written)), 400), *typos})
    buckets: dict[str, list[Any]] = {}
    for stem in stems:
        buckets.setdefault("*" if stem.suffix else stem.key[:2], []).append(stem)
    for token in tokens:
        expected = (
            *sorted(s for s in buckets.get(token[:2], ()) if s.matches(token)),
            *sorted(s for s in buckets["*"] if s.matches(token)),
        )
        assert check._stems_of(token) == expected, token
