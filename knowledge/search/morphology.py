"""Dictionary forms of words, so that "карти", "карту" and "карта" count as one word.

The forms come from a compact table (`lemmas.tsv.gz`): every inflected form, in Polish,
English, Ukrainian and Russian, of a word the knowledge base uses — about 70,000 forms, a few
megabytes in memory, where the full dictionaries they are cut from take over 600. A question
word outside the table gets no dictionary form; its spelling skeleton, stem and close
spellings still match (Belarusian and Arabic rely on those alone). The table is made from
simplemma's dictionaries by `witaj kb lemmas` (a maintainer's command, run after the content
changes: a test says when it is due) and keeps a hash of the vocabulary it was made for.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.search.dialects import standard_forms
from knowledge.search.normalize import clean, script, words

TABLE = Path(__file__).with_name("lemmas.tsv.gz")
BY_SCRIPT: dict[str, tuple[str, ...]] = {"cyrl": ("uk", "ru"), "latn": ("pl", "en")}
"""The languages whose dictionaries a word of each script is looked up in."""
HEADER = "# vocabulary "


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The cleaned words of the texts the index is built from."""
    found: set[str] = set()
    for text in texts:
        found.update(words(clean(text)))
    return found


def vocabulary_hash(vocab: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(vocab)).encode()).hexdigest()


def _form_key(form: str) -> int:
    return int.from_bytes(hashlib.blake2b(form.encode(), digest_size=8).digest(), "little")


class Table:
    """Forms as sorted 64-bit hashes pointing into a list of distinct lemma groups: about
    three megabytes for seventy thousand forms (a dict of strings would take twenty)."""

    def __init__(self, keys: npt.NDArray[np.uint64], groups: npt.NDArray[np.int32],
                 lemmas: list[tuple[str, ...]]) -> None:  # fmt: skip
        self.keys, self.groups, self.lemmas = keys, groups, lemmas

    def get(self, form: str) -> tuple[str, ...]:
        key = _form_key(form)
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        if at < len(self.keys) and int(self.keys[at]) == key:
            return self.lemmas[int(self.groups[at])]
        return ()


def read_table(path: Path = TABLE) -> Table:
    """Parse and hash the shipped table (a sixth of a second): done once per table, since the
    index cache keeps the parsed arrays (see `use_table`)."""
    pairs: list[tuple[int, int]] = []
    groups: dict[tuple[str, ...], int] = {}
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                form, _, lemmas_ = line.rstrip("\n").partition("\t")
                group = tuple(lemmas_.split(" "))
                pairs.append((_form_key(form), groups.setdefault(group, len(groups))))
    pairs.sort()
    keys = np.fromiter((k for k, _ in pairs), dtype=np.uint64, count=len(pairs))
    owners = np.fromiter((g for _, g in pairs), dtype=np.int32, count=len(pairs))
    return Table(keys, owners, list(groups))


_loaded: list[Table] = []
"""The table in use, once read (or handed over by the index cache)."""


def table() -> Table:
    if not _loaded:
        _loaded.append(read_table())
    return _loaded[0]


def use_table(found: Table) -> None:
    """Use a table the index cache kept, instead of parsing the shipped file again."""
    _loaded[:] = [found]


def table_vocabulary_hash() -> str | None:
    """The hash of the vocabulary the shipped table was made for."""
    if not TABLE.exists():
        return None
    with gzip.open(TABLE, "rt", encoding="utf-8") as lines:
        first = lines.readline()
    return first[len(HEADER) :].strip() if first.startswith(HEADER) else None


def lemmas(word: str) -> tuple[str, ...]:
    """Distinct dictionary forms of a cleaned word other than the word itself (for an Arabic
    dialect word, the standard words it stands for: see `dialects`)."""
    return table().get(word) or standard_forms(word)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def make_table(vocab: set[str], destination: Path = TABLE) -> int:
    """Cut the table from simplemma's dictionaries (a development dependency): every form
    whose dictionary form is one of a vocabulary word's. Returns the number of forms."""
    import simplemma
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    dictionaries = DefaultDictionaryFactory()
    table: dict[str, set[str]] = {}
    for lang in ("pl", "en", "uk", "ru"):
        wanted = {
            simplemma.lemmatize(word, lang=lang).casefold()
            for word in vocab
            if lang in BY_SCRIPT.get(script(word), ())
        }
        for form, lemma in dictionaries.get_dictionary(lang).items():
            form_, lemma_ = _text(form).casefold(), _text(lemma).casefold()
            if lemma_ in wanted and form_ != lemma_:
                table.setdefault(form_, set()).add(lemma_)
        for word in vocab:  # the vocabulary's own words, as the lemmatiser reads them
            if lang in BY_SCRIPT.get(script(word), ()):
                lemma_ = simplemma.lemmatize(word, lang=lang).casefold()
                if lemma_ != word:
                    table.setdefault(word, set()).add(lemma_)
    lines = [f"{HEADER}{vocabulary_hash(vocab)}\n"]
    lines += [f"{form}\t{' '.join(sorted(found))}\n" for form, found in sorted(table.items())]
    # No time stamp in the gzip header: the same table is the same file, so regenerating it
    # from unchanged content neither shows in git nor retires the saved search indexes.
    destination.write_bytes(gzip.compress("".join(lines).encode(), compresslevel=9, mtime=0))
    _loaded.clear()
    return len(table)
