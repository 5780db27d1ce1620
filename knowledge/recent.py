"""What the last few thousand texts were found to be, remembered by a digest, never the text.

Many people ask the same few things the same way ("pesel", "karta pobytu"), and the search
and the safety check are pure: the same text gives the same result for as long as the index
lives. Their results are kept for the most recent texts, under a 128-bit BLAKE2 digest of the
text, so that a repeated question costs a dictionary lookup and nobody's words stay in memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
SIZE = 4096
"""Texts remembered (a result is a few hundred bytes: about a megabyte in all)."""


def digest(text: str, *context: object) -> bytes:
    return hashlib.blake2b(repr((text, context)).encode(), digest_size=16).digest()


class Recent(Generic[T]):
    """A bounded, thread-safe memo of the most recently used results."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._items: OrderedDict[bytes, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes, make: Callable[[], T]) -> T:
        """The result remembered under `key`, else `make()`'s, then remembered."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
