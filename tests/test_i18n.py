"""Every string a user sees is translatable and translated, with real plurals and dates."""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from flows.cards import answer_card, bilingual_card
from knowledge.content import TopicDoc
from knowledge.i18n import DOMAIN, LOCALES_DIR, WORKSPACE_DOMAIN, WORKSPACE_LANGUAGES, I18n
from knowledge.languages import LANGUAGES
from knowledge.render import LRI, PDI, isolate_ltr, telegram_length, to_html

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"Tr": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_": None}
WEB = ROOT / "workspace"
PUBLIC = WEB / "public"
PUBLIC_TEMPLATES = PUBLIC / "templates"
REMINDERS = ROOT / "bot" / "reminders.py"
PAGES = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def extracted(domain: str = DOMAIN) -> set[str | tuple[str, str]]:
    """What `make messages` extracts: the bot's and parents' pages' strings, or the
    workspace's (with the owners' reminders the bot sends)."""
    found: set[str | tuple[str, str]] = set()
    sources = (
        [(WEB, PAGES), (ROOT / "bot", [("**/reminders.py", "python")])]
        if domain == WORKSPACE_DOMAIN
        else [(ROOT / part, PAGES) for part in ("bot", "flows", "knowledge")] + [(PUBLIC, PAGES)]
    )
    for folder, methods in sources:
        for filename, _line, message, _comments, _ctx in extract_from_dir(
            folder, method_map=methods, keywords=KEYWORDS, comment_tags=()
        ):
            path = folder / filename
            if domain == WORKSPACE_DOMAIN and path.is_relative_to(PUBLIC):
                continue
            if domain == DOMAIN and path == REMINDERS:
                continue
            found.add(message if isinstance(message, str) else tuple(message[:2]))  # type: ignore[arg-type]
    return found


CATALOGS = [(DOMAIN, lang) for lang in LANGUAGES] + [
    (WORKSPACE_DOMAIN, lang) for lang in WORKSPACE_LANGUAGES if lang != "en"
]


@pytest.mark.parametrize(("domain", "lang"), CATALOGS)
def test_catalog_is_complete_and_not_fuzzy(domain: str, lang: str) -> None:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    entries = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    missing = extracted(domain) - set(entries)
    assert not missing, f"not in {lang} catalog (run make messages): {missing}"
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, (lang, key)
        assert all(strings), f"untranslated in {lang}: {key!r}"
        wanted = set(re.findall(r"\{\w+\}", " ".join(key if isinstance(key, tuple) else (key,))))
        for text in strings:
            assert set(re.findall(r"\{\w+\}", text)) == wanted, (lang, key, text)


@pytest.mark.parametrize("domain", [DOMAIN, WORKSPACE_DOMAIN])
def test_template_is_up_to_date(domain: str) -> None:
    with (LOCALES_DIR / f"{domain}.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(pot) if m.id}
    assert template == extracted(domain), "run make messages"


USER_FACING_CALLS = {"answer", "reply", "send_message", "edit_text", "Const"}


def _literal_with_letters(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[^\W\d_]{2,}", re.sub(r"\{[^}]*\}|<[^>]+>|/\w+", "", node.value)))
    return isinstance(node, ast.JoinedStr)


def _marked_constants() -> set[str]:
    """Module constants whose text `N_` marks for extraction."""
    names = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("flows/*.py"), *ROOT.glob("knowledge/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "N_":
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_no_user_visible_string_bypasses_gettext() -> None:
    offenders = []
    marked = _marked_constants()
    for path in [*ROOT.glob("bot/handlers/*.py"), *ROOT.glob("flows/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in USER_FACING_CALLS and any(_literal_with_letters(a) for a in node.args):
                offenders.append(f"{path.name}:{node.lineno}")
            if name in {"Tr", "gettext", "ngettext"} and any(
                isinstance(a, ast.JoinedStr) for a in node.args
            ):
                offenders.append(f"{path.name}:{node.lineno} (f-string inside gettext)")
            if name in {"Tr", "gettext"} and any(
                isinstance(a, ast.Name) and a.id.isupper() and a.id not in marked for a in node.args
            ):  # a constant `make messages` cannot see: it stays in English
                offenders.append(f"{path.name}:{node.lineno} (constant not marked with N_)")
            if name == "Format" and node.args and _literal_with_letters(node.args[0]):
                offenders.append(f"{path.name}:{node.lineno} (Format with words)")
    assert offenders == []


def test_templates_translate_every_word() -> None:
    """The workspace's and the parents' pages: every word goes through gettext."""
    offenders = {}
    for path in [*(WEB / "templates").glob("*.html"), *PUBLIC_TEMPLATES.glob("*.html")]:
        text = re.sub(
            r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<style>.*?</style>", " ", path.read_text(), flags=re.S
        )
        words = set(re.findall(r"[^\W\d_]{2,}", re.sub(r"<[^>]+>", " ", text)))
        if words - {"Witaj", "Telegram"}:
            offenders[path.name] = words
    assert offenders == {}


@pytest.mark.parametrize(
    ("lang", "forms"),
    [
        ("uk", {1: "1 тема", 2: "2 теми", 5: "5 тем", 21: "21 тема", 12: "12 тем"}),
        ("ru", {1: "1 тема", 3: "3 темы", 11: "11 тем", 22: "22 темы"}),
        ("pl", {1: "1 temat", 2: "2 tematy", 5: "5 tematów", 22: "22 tematy"}),
        ("be", {1: "1 тэма", 2: "2 тэмы", 5: "5 тэм"}),
        ("en", {1: "1 topic", 2: "2 topics"}),
    ],
)
def test_plural_forms_are_real(lang: str, forms: dict[int, str]) -> None:
    t = I18n().get(lang)
    for n, expected in forms.items():
        assert t.ngettext("{n} topic", "{n} topics", n).format(n=n) == expected


def test_dates_follow_the_locale() -> None:
    i18n = I18n()
    day = datetime(2026, 11, 23, tzinfo=UTC)
    assert i18n.get("uk").date(day) == "23 листопада 2026\u202fр."
    assert i18n.get("pl").date(day) == "23 listopada 2026"
    assert "نوفمبر" in i18n.get("ar").date(day)


def test_arabic_card_isolates_numbers_and_links(topics: list[TopicDoc]) -> None:
    t = I18n().get("ar")
    topic = next(tp for tp in topics if tp.slug == "residence-permit")
    card = answer_card(topic, t)
    assert t.rtl
    latin_runs = re.findall(
        r"[A-Za-z0-9][A-Za-z0-9 .:/+-]*[A-Za-z0-9]", card.html.split("</b>", 1)[1]
    )
    assert latin_runs
    assert f"{LRI}" in card.html and f"{PDI}" in card.html
    for run in re.findall(f"{LRI}(.*?){PDI}", card.html):
        assert run.strip() and not any("\u0600" <= ch <= "\u06ff" for ch in run)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_answer_past_its_date_says_it_may_have_changed(
    topics: list[TopicDoc], lang: str
) -> None:
    """The day is injected: the test means the same whatever the calendar says."""
    topic = next(tp for tp in topics if tp.slug == "temporary-protection")
    until = date(2027, 3, 4)
    dated = topic.model_copy(
        update={
            "translations": {
                code: tr.model_copy(update={"valid_until": until})
                for code, tr in topic.translations.items()
            }
        }
    )
    t = I18n().get(lang)
    before = answer_card(dated, t, today=until)
    after = answer_card(dated, t, today=until + timedelta(days=1))
    warning = t.gettext("⚠️ This may have changed after {date}. Please ask a person to be sure.")
    assert "⚠️" not in before.html
    assert html.escape(warning.format(date=t.date(until))) in after.html
    if lang != "en":
        assert warning != "⚠️ This may have changed after {date}. Please ask a person to be sure."


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("وكّل pełnomocnik عنك", ["pełnomocnik"]),
        ("المستوى A1–C2 مطلوب", ["A1–C2"]),
        ("اتصل على +48 71 701 11 00.", ["+48 71 701 11 00"]),
        (
            "الرابط https://www.gov.pl/web/udsc/karta-pobytu?a=1&b=2، ثم",
            ["https://www.gov.pl/web/udsc/karta-pobytu?a=1&b=2"],
        ),
        ("العنوان ul. Ślężna 5 (piętro 2) في المبنى", ["ul. Ślężna 5 (piętro 2)"]),
        ("رقم (PESEL) مهم و 800+ أيضا", ["(PESEL)", "800+"]),
        ("خصم 50% على 1 000,50 zł", ["50%", "1 000,50 zł"]),
        ("• Urząd Wojewódzki، COM أو USC", ["Urząd Wojewódzki", "COM", "USC"]),
        ("**Karta pobytu** لمدة 3 سنوات", ["Karta pobytu", "3"]),
        ("Ми живемо в Wrocław", ["Ми живемо в Wrocław"]),
        ("عائلتي 👨\u200d👩\u200d👧 هنا", []),  # an emoji sequence is never split
    ],
)
def test_left_to_right_runs_in_arabic_stay_whole(text: str, runs: list[str]) -> None:
    isolated = isolate_ltr(text)
    assert re.findall(f"{LRI}(.*?){PDI}", isolated) == runs
    assert isolated.replace(LRI, "").replace(PDI, "") == text  # nothing else changes
    if "**" in text:  # the isolate sits inside the bold, which still becomes <b>
        assert f"<b>{LRI}{runs[0]}{PDI}</b>" in to_html(isolated)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_clerk_card_puts_polish_first_and_is_never_cut(
    topics: list[TopicDoc], lang: str
) -> None:
    i18n = I18n()
    for topic in topics:
        card = bilingual_card(topic, i18n.get(lang), i18n.get("pl"))
        pl = topic.translations["pl"]
        assert telegram_length(card.html) <= 4096, topic.slug
        assert card.html.startswith("🇵🇱 <i>")
        assert to_html(pl.summary or "") in card.html  # whole, never clipped
        if lang != "pl":
            mine = topic.translations[lang]
            assert card.html.index(html.escape(pl.title)) < card.html.index(html.escape(mine.title))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_short_answer_is_short(topics: list[TopicDoc], lang: str) -> None:
    t = I18n().get(lang)
    for topic in topics:
        short = answer_card(topic, t, full=False).html
        full = answer_card(topic, t).html
        assert telegram_length(short) <= 1000 < telegram_length(full) or short == full, topic.slug
