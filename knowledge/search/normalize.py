"""Text clean-up and a script-independent spelling key.

People type Ukrainian in Latin letters, Polish without diacritics, and mix the two. Every word is
reduced to a *skeleton*: Cyrillic transliterated, Polish letters folded, and the spelling habits
that differ between transliteration schemes (ya/ja/ia, kh/h, shch/sh, y/i, doubled letters)
collapsed — so "заняття", "zaniattia" and "zanyattya" meet on one key.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

MAX_QUERY_CHARS = 1_000
"""Long messages are cut: the first thousand characters say what a question is about."""

_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # control characters
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"  # soft hyphen, fillers
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f]"  # zero-width, bidi, variation
)
_APOSTROPHES = re.compile("[\u0027\u2018\u2019\u02bc\u02b9\u0060\u00b4]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_WORD_OR_LINE = re.compile(r"[^\W_]+|\n", re.UNICODE)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "jo",
    "є": "je", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "ji", "й": "j", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "u", "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "ju", "я": "ja",
}  # fmt: skip
_POLISH = {
    "ł": "l",
    "ż": "zh",
    "ź": "z",
    "ś": "s",
    "ć": "c",
    "ń": "n",
    "ó": "o",
    "ą": "a",
    "ę": "e",
}
_LETTERS = str.maketrans({**_CYRILLIC, **_POLISH})

# Applied in order, on Latin text without diacritics.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"shch|sch|szcz", "sh"),
        (r"sz", "sh"),
        (r"cz|tsch|tch", "ch"),
        (r"rz", "zh"),
        (r"kh", "h"),
        (r"ts", "c"),
        (r"g", "h"),  # Ukrainian г is h, Russian г is g: one letter for both
        (r"w", "v"),
        (r"x", "ks"),
        (r"q", "k"),
        (r"y", "i"),
        (r"ji", "i"),
        (r"i(?=[aeou])", "j"),
        (r"(\D)\1+", r"\1"),  # doubled letters, not digits: 112 is not 12
    )
)

AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "وب", "ول", "و", "ب", "ل", "ف", "ك")
_AR_SUFFIXES = ("ها", "هم", "كم", "نا", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
"""Light stemming in the manner of Larkey's light10, on text where ة is already folded to ه."""


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
"""Arabic-Indic and Persian digits, which NFKC leaves as they are: "١١٢" is 112, "٨٠٠ بلس"
is 800 plus."""


def clean(text: str) -> str:
    """NFKC, casefold, invisible and control characters removed, Arabic digits as ASCII ones,
    length capped."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUERY_CHARS * 2])
    text = _ARABIC_MARKS.sub("", _INVISIBLE.sub("", text)).translate(_DIGITS)
    return text.casefold()[:MAX_QUERY_CHARS]


_MARKUP = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>\n]*)?/?>", re.IGNORECASE)


def without_markup(text: str) -> str:
    """A question without HTML tags and with its entities read (text pasted from a web page
    or a chat): "<b>pesel</b>" is about PESEL, not about the letter b (a licence category)."""
    return html.unescape(_MARKUP.sub(" ", text)) if "<" in text or "&" in text else text


_GREETINGS_BY_LANGUAGE = {
    "pl": ("dzień dobry", "dzien dobry", "dobry wieczór", "dobry wieczor", "cześć", "czesc",
           "witam", "witajcie", "hej"),
    "en": ("hello", "hi", "hey", "good morning", "good afternoon", "good evening"),
    "uk": ("добрий день", "доброго дня", "добрий вечір", "доброго ранку", "привіт", "privit"),
    "ru": ("добрый день", "добрый вечер", "доброе утро", "здравствуйте", "здравствуй", "привет",
           "privet", "zdravstvuyte"),
    "be": ("добры дзень", "добры вечар", "добрай раніцы", "прывітанне"),
    "ar": ("السلام عليكم", "مرحبا", "مرحباً", "صباح الخير", "مساء الخير", "أهلا", "اهلا"),
    "": ("вітаю", "dobryi den", "dobryj den", "dobryy den", "dobriy den"),  # uk or be, uk or ru
}  # fmt: skip
GREETINGS = {g: lang for lang, listed in _GREETINGS_BY_LANGUAGE.items() for g in listed}
"""Greetings that open a message, with their language ("" when two languages share one)."""
_ONE_GREETING = (
    r"\W*(" + "|".join(map(re.escape, sorted(GREETINGS, key=len, reverse=True))) + r")(?![^\W_])"
)
_GREETING = re.compile(rf"^(?:{_ONE_GREETING})+\W*", re.IGNORECASE)
_GREETING_ALONE = re.compile(rf"(?:{_ONE_GREETING})+\W*", re.IGNORECASE)


def without_greeting(text: str) -> str:
    """A question without the greeting it opens with ("Dzień dobry, …", "Добрий день! …"):
    a greeting says nothing about the topic, and "dobry" is also a school grade. A greeting
    alone leaves nothing to answer."""
    return _GREETING.sub("", text, count=1)


def greeting_alone(text: str) -> str | None:
    """For a message that is only a greeting ("Привіт!", "hello"), the greeting's language
    ("" when it could be either of two); None for anything else."""
    if _GREETING_ALONE.fullmatch(text.strip()) is None:
        return None
    found = {GREETINGS.get(m.casefold(), "") for m in re.findall(_ONE_GREETING, text, re.I)}
    return found.pop() if len(found) == 1 else ""


def cleaned_lines(texts: Sequence[str]) -> str:
    """`clean` of each text, joined by line breaks (a text's own line breaks become spaces).

    In one pass over the joined texts when that is sure to give the same — no text long enough
    to be cut and all of them already in NFKC form, as content nearly always is — because a
    call per text was a fifth of building a large index.
    """
    joined = "\n".join(texts)
    if (
        joined.count("\n") == len(texts) - 1
        and max(map(len, texts), default=0) <= MAX_QUERY_CHARS // 3  # casefold triples at most
        and unicodedata.is_normalized("NFKC", joined)
    ):
        return _ARABIC_MARKS.sub("", _INVISIBLE.sub("", joined)).translate(_DIGITS).casefold()
    return "\n".join(clean(text).replace("\n", " ") for text in texts)


def words(text: str) -> list[str]:
    """Words of cleaned text; apostrophes inside words (м'ята, pol'she) are dropped, not split."""
    return _WORD.findall(_APOSTROPHES.sub("", text))


def line_words(lines: str) -> list[str]:
    """`words` of each line of `cleaned_lines`, a line break between one line's and the next's."""
    return _WORD_OR_LINE.findall(_APOSTROPHES.sub("", lines))


def script(word: str) -> str:
    """'cyrl', 'arab', 'latn' or 'other' by the word's first letter."""
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            return "cyrl"
        if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f":
            return "arab"
        if ch.isascii() or "\u00c0" <= ch <= "\u024f":
            return "latn"
        if ch.isdigit():
            continue
        return "other"
    return "latn"


# Hamza on a seat is often left off ("الطوارى" for "الطوارئ"): the seat alone is kept.
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ئ": "ي", "ؤ": "و"}
)


def _arabic(word: str) -> str:
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """The spelling key of one cleaned word."""
    if script(word) == "arab":
        return _arabic(word)
    text = word.translate(_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for pattern, repl in _FOLDS:
        text = pattern.sub(repl, text)
    return text


def without_clitics(
    key: str, prefixes: tuple[str, ...] = AR_PREFIXES, *, shortest: int = 3
) -> tuple[str, ...]:
    """An Arabic spelling key, then the key without each attached particle or article it
    starts with (بالشغل → شغل), where at least `shortest` letters are left."""
    bare = (key[len(p) :] for p in prefixes if key.startswith(p) and len(key) - len(p) >= shortest)
    return (key, *bare)


@lru_cache(maxsize=200_000)
def stem(key: str) -> str:
    """A crude cross-language stem of a skeleton: enough of the word to survive endings."""
    if not key:
        return key
    if script(key) == "arab":
        for prefix in AR_PREFIXES:
            if key.startswith(prefix) and len(key) - len(prefix) >= 3:
                key = key[len(prefix) :]
                break
        for suffix in _AR_SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 2:
                key = key[: -len(suffix)]
        return key
    if key.isdigit() or len(key) <= 4:
        return key
    return key[: max(4, min(6, len(key) - 2))]
