"""A built index on disk, keyed by what it was built from, so a restart does not build it again.

The key is a hash of the documents, the out-of-scope list, the word-form table, the Arabic
dialect lexicon and the search's own code: change any of them and the key changes, so a stale
index is never served — it is simply not found. Arrays are stored one per `.npy` file and
memory-mapped when loaded; the words for language votes and close-spelling matches go in a
small JSON file beside them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from knowledge.search import morphology
from knowledge.search.dialects import LEXICON
from knowledge.search.index import OUT_OF_SCOPE_FILES, SearchDocument, SearchIndex
from knowledge.search.morphology import TABLE

log = logging.getLogger(__name__)
ARRAYS = ("features", "start", "topics", "weight", "idf")
LEMMA_ARRAYS = ("lemma_keys", "lemma_groups")
"""The word-form table, parsed: a restart maps it instead of hashing 70,000 forms again."""
KEEP = 3
"""How many built indexes to keep (replicas or a rollback may want the previous one)."""
_CODE = sorted(Path(__file__).parent.glob("*.py"))
KEY_LENGTH = 32
_ENTRY = re.compile(f"[0-9a-f]{{{KEY_LENGTH}}}")
"""The name of a saved index: pruning never touches anything else in the directory."""


def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in (*_CODE, *OUT_OF_SCOPE_FILES, TABLE, LEXICON):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Key:
    """The identity of an index: its documents and the code and data that turn them into one.

    Taken document by document, so that a catalogue read in batches is identified as it is
    read (and a refresh can tell that nothing a search reads has changed).
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256(_code_hash().encode())

    def add(self, document: SearchDocument) -> None:
        text = json.dumps(list(document), ensure_ascii=False, sort_keys=True)
        self._digest.update(text.encode())

    def value(self) -> str:
        return self._digest.hexdigest()[:KEY_LENGTH]


def key_of(documents: Iterable[SearchDocument]) -> str:
    key = Key()
    for document in documents:
        key.add(document)
    return key.value()


def save(index: SearchIndex, folder: Path) -> None:
    """Write atomically: a half-written index is never found under its key."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".building-"))
    try:
        arrays = index.arrays()
        for name in ARRAYS:
            np.save(work / f"{name}.npy", arrays[name], allow_pickle=False)
        forms = morphology.table()
        np.save(work / "lemma_keys.npy", forms.keys, allow_pickle=False)
        np.save(work / "lemma_groups.npy", forms.groups, allow_pickle=False)
        meta = {
            "lemmas": forms.lemmas,
            "slugs": index.slugs,
            "documents": index.documents,
            "vocabulary": index.vocabulary(),
            "languages": {lang: sorted(keys) for lang, keys in index.language_words().items()},
        }
        (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        work.rename(folder)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        # Another process saved the same index first (a folder renamed onto a full one fails
        # with ENOTEMPTY, not FileExistsError, on Linux): theirs is as good as ours.
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not folder.is_dir():
            raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def load(folder: Path, version: int) -> SearchIndex:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    # Plain array views of the mapped files: slicing a `memmap` makes a memmap per slice.
    arrays = {
        name: np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)
        for name in (*ARRAYS, *LEMMA_ARRAYS)
    }
    groups = [tuple(group) for group in meta["lemmas"]]
    morphology.use_table(morphology.Table(arrays["lemma_keys"], arrays["lemma_groups"], groups))
    return SearchIndex(
        meta["slugs"],
        meta["documents"],
        arrays["features"],
        arrays["start"],
        arrays["topics"],
        arrays["weight"],
        arrays["idf"],
        meta["vocabulary"],
        {lang: set(keys) for lang, keys in meta["languages"].items()},
        version,
    )


def cached(directory: Path, key: str, version: int) -> SearchIndex | None:
    """The index saved under this key, or None (also for one found unreadable, then removed)."""
    folder = directory / key
    if not (folder / "meta.json").exists():
        return None
    try:
        return load(folder, version)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("index cache %s unreadable (%s): building anew", folder.name, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def build(
    documents: Iterable[SearchDocument],
    version: int,
    directory: Path | None,
    key: str | None = None,
) -> SearchIndex:
    """The index for these documents: from `directory` when it holds one, else built (and
    saved there for the next start). `key`: the documents' `key_of`, when already taken."""
    docs = list(documents)
    if directory is None:
        return SearchIndex.build(docs, version)
    folder = directory / (key or key_of(docs))
    if (index := cached(directory, folder.name, version)) is not None:
        return index
    index = SearchIndex.build(docs, version)
    try:
        save(index, folder)
        _prune(directory, keep=folder)
    except OSError as exc:
        log.warning("could not save the index cache in %s: %s", directory, exc)
    return index


def _prune(directory: Path, keep: Path) -> None:
    """Remove all but the newest KEEP indexes. Only folders that are saved indexes (a key's
    name, holding meta.json) are candidates: `INDEX_CACHE` pointed at a shared or wrong
    directory must never cost anyone their files."""
    built = sorted(
        (
            p
            for p in directory.iterdir()
            if _ENTRY.fullmatch(p.name) and p.is_dir() and (p / "meta.json").is_file()
        ),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [p for p in built if p != keep][KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
