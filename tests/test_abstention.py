"""Abstention: "I don't know yet" rather than a confident wrong answer, and questions in
languages Witaj does not speak still finding their topic (issue 19, items 4 and 10).

The out-of-scope sets in tests/data/search/ are administrative questions no topic answers that
share office words with topics (zaświadczenie, wniosek, urząd, karta, USC, ZUS…):
oos.calibration.jsonl sets the abstention bars (bench/calibrate.py), oos.test.jsonl only
measures them. oos.retest.jsonl and oos.fresh.jsonl were written later, each before a change,
to measure it on questions nothing had been tuned on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.content import TopicDoc
from knowledge.evaluation import NONE, EvalReport, Question, evaluate, read_jsonl
from knowledge.languages import LANGUAGES
from knowledge.library import build_index
from knowledge.search import OTHER, SearchIndex
from knowledge.search.index import CALIBRATION_FILE, accept_bar, is_generic
from tests.conftest import shared_file

DATA = Path(__file__).parent / "data" / "search"

OOS_TEST_BAR = 0.95
"""Share of the test half's out-of-scope questions the search must abstain on."""
DEV_BAR = 0.985
"""Dev-set accuracy before this work was 0.987 (149 of 151): not one question fewer."""
DEV_LANGUAGE_BAR = 0.85


def questions(name: str) -> list[Question]:
    return list(read_jsonl((DATA / name).read_text(encoding="utf-8").splitlines()))


def abstention(index: SearchIndex, rows: Sequence[Question]) -> tuple[float, list[str]]:
    """The share of out-of-scope questions abstained on, and the ones answered."""
    none = [q for q in rows if (q.slug or NONE) == NONE]
    answered = []
    for q in none:
        result = index.search(q.text, q.lang)
        if result.slug is not None:
            answered.append(f"{q.lang} {q.text!r} -> {result.slug} ({result.score})")
    return 1 - len(answered) / len(none), answered


def show(title: str, report: EvalReport) -> None:
    langs = ", ".join(f"{k} {acc:.3f} (n={n})" for k, (n, acc) in sorted(report.by_lang.items()))
    print(f"\n{title}: {report.accuracy:.3f} ({report.correct}/{report.total}); {langs}")


def test_the_out_of_scope_sets_are_well_formed() -> None:
    test, calibration = questions("oos.test.jsonl"), questions("oos.calibration.jsonl")
    for rows in (test, calibration):
        assert all(not q.error and q.lang in LANGUAGES for q in rows)
    per_lang = {lang: sum(q.lang == lang for q in test) for lang in LANGUAGES}
    assert min(per_lang.values()) >= 12, per_lang
    assert all((q.slug or NONE) == NONE for q in test)
    assert len({q.text for q in test} & {q.text for q in calibration}) == 0


def test_the_test_half_is_abstained_on(index: SearchIndex) -> None:
    share, answered = abstention(index, questions("oos.test.jsonl"))
    print(f"\nout-of-scope test half: abstained on {share:.3f}")
    assert share >= OOS_TEST_BAR, answered


@pytest.mark.parametrize(("name", "bar"), [("oos.retest.jsonl", 0.85), ("oos.fresh.jsonl", 0.85)])
def test_later_out_of_scope_sets_are_mostly_abstained_on(
    index: SearchIndex, name: str, bar: float
) -> None:
    share, answered = abstention(index, questions(name))
    print(f"\n{name}: abstained on {share:.3f}")
    assert share >= bar, answered


def test_the_calibration_half_and_its_look_alikes(index: SearchIndex) -> None:
    """Its out-of-scope questions abstain; its in-scope look-alikes ("jak zdobyć pesel",
    "mandat za brak biletu w tramwaju") still find their topic."""
    report = evaluate(index, questions("oos.calibration.jsonl"))
    show("calibration half", report)
    assert report.accuracy >= 0.95, report.misses


def test_the_dev_set_keeps_its_accuracy_and_abstains_where_it_should(
    index: SearchIndex,
) -> None:
    rows = list(
        read_jsonl(shared_file("eval", "questions.dev.jsonl").read_text("utf-8").splitlines())
    )
    report = evaluate(index, rows)
    show("dev set", report)
    share, answered = abstention(index, rows)
    print(f"dev set out-of-scope questions abstained on: {share:.3f}")
    assert report.accuracy >= DEV_BAR, report.misses
    assert min(acc for _, acc in report.by_lang.values()) >= DEV_LANGUAGE_BAR, report.by_lang
    assert share == 1.0, answered


# ------------------------------------------------------------------ the mechanisms


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        # a topic's own key term in a short question wins over office words
        ("jak zdobyć pesel", "pl", "pesel"),
        ("jak zdobyc pesel", None, "pesel"),
        ("як отримати песель", "uk", "pesel"),
        ("gdzie wyrobić kartę pobytu", "pl", "residence-permit"),
        # office words next to the topic's own terms still answer
        ("zaświadczenie o zameldowaniu gdzie", "pl", "address-registration"),
        ("mandat za jazdę tramwajem bez biletu", "pl", "public-transport"),
        ("wymiana prawa jazdy na polskie", "pl", "driving-license"),
        ("akt urodzenia dziecka w USC", "pl", "newborn-registration"),
    ],
)
def test_a_topic_named_by_its_key_term_is_found(
    index: SearchIndex, text: str, lang: str | None, slug: str
) -> None:
    assert index.search(text, lang).slug == slug


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # the examples, in words of our own: office words shared, subject not covered
        ("potrzebuję zaświadczenia o niekaralności do nowej pracy", "pl"),
        ("skąd wziąć wyciąg z KRK", "pl"),
        ("NIP for my one-person company, how do I get it", "en"),
        ("how do I set up a jednoosobowa działalność in CEIDG", "en"),
        ("мандат за швидкість від фоторадара, як оплатити", "uk"),
        ("як зареєструвати автомобіль у Вроцлаві", "uk"),
        ("нужен нотариус заверить подпись на доверенности", "ru"),
        ("как оформить наследство после смерти отца", "ru"),
        ("ці трэба плаціць за сабаку ў Вроцлаве", "be"),
        ("karta wędkarska gdzie załatwić", "pl"),
        ("أين أدفع مخالفة السرعة في بولندا", "ar"),
        ("كيف أحصل على شهادة عدم محكومية", "ar"),
    ],
)
def test_office_words_alone_do_not_carry_an_answer(
    index: SearchIndex, text: str, lang: str
) -> None:
    result = index.search(text, lang)
    assert result.slug is None, result


def test_a_phrasing_learnt_from_the_inbox_answers_the_next_person(
    topics: list[TopicDoc],
) -> None:
    """Its words are in that one topic only, not often enough to be key terms; two of them
    side by side are."""
    question = "Gdzie wypożyczyć kajak na Odrze?"
    taught = []
    for topic in topics:
        if topic.slug == "migrant-info-point":
            pl = topic.translations["pl"]
            pl = pl.model_copy(update={"phrasings": (*pl.phrasings, question)})
            topic = topic.model_copy(update={"translations": {**topic.translations, "pl": pl}})
        taught.append(topic)
    assert build_index(topics).search(question, "pl").slug is None
    index = build_index(taught)
    assert index.search(question, "pl").slug == "migrant-info-point"
    assert index.search("wypożyczyć kajak we Wrocławiu", "pl").slug == "migrant-info-point"


def test_office_words_are_known_in_every_form() -> None:
    for word in ("zaświadczenie", "zaświadczenia", "wniosku", "urzędzie", "довідку", "справку"):
        assert is_generic(word), word
    for word in ("pesel", "meldunek", "usc", "zus", "nfz", "pobytu"):
        assert not is_generic(word), word


def test_the_bars_are_a_calibrated_table() -> None:
    """calibration.yaml holds a bar per language (and for "other"), written by
    bench/calibrate.py; re-run it when the scoring or the content changes."""
    text = CALIBRATION_FILE.read_text(encoding="utf-8")
    assert "bench/calibrate.py" in text
    for lang in (*LANGUAGES, OTHER):
        assert 0.2 <= accept_bar(lang) <= 0.7, lang


def test_the_calibrated_bars_are_current() -> None:
    """What bench/calibrate.py computes now is what calibration.yaml holds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "calibrate", Path(__file__).parent.parent / "bench" / "calibrate.py"
    )
    assert spec is not None and spec.loader is not None
    calibrate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibrate)
    rows = [
        q
        for path in (shared_file("eval", "questions.dev.jsonl"), DATA / "oos.calibration.jsonl")
        for q in read_jsonl(path.read_text(encoding="utf-8").splitlines())
    ]
    bars, _ = calibrate.calibrate(calibrate.bare_index(), rows)
    assert bars == {lang: accept_bar(lang) for lang in bars}, "run bench/calibrate.py --write"


# ------------------------------------------------------------------ other languages

FOREIGN = [
    # Spanish
    ("como consigo el numero PESEL en Wroclaw", "pesel"),
    ("¿Dónde puedo solicitar la karta pobytu en Wrocław?", "residence-permit"),
    # Turkish
    ("Wroclawda PESEL nasıl alınır", "pesel"),
    ("karta pobytu başvurusu için hangi belgeler gerekli", "residence-permit"),
    # Georgian
    ("PESEL-ის ნომერი როგორ მივიღო ვროცლავში", "pesel"),
    ("ვროცლავში karta pobytu სად შევიტანო", "residence-permit"),
    # Hindi
    ("व्रोत्सवाफ़ में PESEL नंबर कैसे मिलेगा", "pesel"),
    ("karta pobytu के लिए कौन से दस्तावेज़ चाहिए", "residence-permit"),
    # Uzbek
    ("Vrotslavda PESEL raqamini qanday olish mumkin", "pesel"),
    ("karta pobytu uchun qaysi hujjatlar kerak", "residence-permit"),
    # Portuguese
    ("Preciso de meldunek para abrir conta no banco?", "address-registration"),
    ("onde fica o escritório do ZUS para pedir o 800+", "social-benefits"),
    # and others: a word spelled like one language's word ("fare") is not a neutral term
    ("dove posso fare il meldunek a Breslavia", "address-registration"),
    ("Wo beantrage ich die karta pobytu in Breslau", "residence-permit"),
]


@pytest.mark.parametrize(("text", "slug"), FOREIGN)
def test_a_question_in_another_language_finds_its_topic(
    index: SearchIndex, text: str, slug: str
) -> None:
    result = index.search(text)
    assert (result.slug, result.foreign, result.language) == (slug, True, None), result
    assert index.question_language(text) == OTHER
    assert index.detect_language(text) == "en"  # the best guess among the six


def test_a_foreign_question_keeps_the_users_language(index: SearchIndex) -> None:
    result = index.search("como consigo el numero PESEL en Wroclaw", "uk")
    assert (result.slug, result.foreign, result.language) == ("pesel", True, "uk")


@pytest.mark.parametrize(
    "text",
    [
        "dónde está el mejor restaurante de Wroclaw",
        "Wroclawda en iyi kebap nerede",
        "qual é a previsão do tempo para amanhã",
        "ვროცლავში საუკეთესო ხინკალი სად არის",
    ],
)
def test_a_foreign_question_without_known_terms_abstains(index: SearchIndex, text: str) -> None:
    result = index.search(text)
    assert result.slug is None and result.foreign, result


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("jak otrymaty pesel", "uk"),
        ("skilky koshtuje kvytok na tramvaj", "uk"),
        ("kak kupit bilet na tramvaj", "ru"),
        ("gdzie sie zameldowac we wroclawiu", "pl"),
        ("how to regster adress in wroclaw", "en"),
        ("jak zapisacca da doktara", "be"),
        ("Как получить PESEL?", "ru"),
        ("كيف أحصل على PESEL", "ar"),
        ("Gdzie wypożyczyć kajak na Odrze?", "pl"),
        ("zaniattia polskoji movy dlia ditej", "uk"),
    ],
)
def test_the_six_languages_are_not_foreign(index: SearchIndex, text: str, lang: str) -> None:
    assert not index.is_foreign(text)
    assert index.question_language(text) == lang


def test_no_dev_question_is_taken_for_a_foreign_one(index: SearchIndex) -> None:
    rows = read_jsonl(shared_file("eval", "questions.dev.jsonl").read_text("utf-8").splitlines())
    assert [q.text for q in rows if index.is_foreign(q.text)] == []
