"""How a long-running Witaj process tunes the interpreter: memory heaps and the collector.

Kept free of heavy imports: the start-up helper (cli/prepare.py) uses it too.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys


def fewer_malloc_arenas() -> None:
    """As MALLOC_ARENA_MAX=2 would (unless it is set): glibc gives each thread that allocates
    a heap of its own, and with aiosqlite's and the thread pool's threads memory is left
    stranded in half-empty heaps. Two heaps save about 5 MB of the bot's 300 at no measurable
    cost in speed (bench/startup.py). Elsewhere than on glibc, nothing happens."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl (Alpine) and others: not glibc
        return
    m_arena_max = -8
    mallopt(m_arena_max, 2)


YOUNG_GENERATION = 10_000
"""Objects allocated (net) between two passes of the collector over the youngest ones."""


def fewer_collections() -> None:
    """Run the garbage collector ten times less often than Python's default of every 700
    objects. Building the library and the dialogs made eleven full passes over a growing heap
    before the first answer (half a second, measured with gc.callbacks); under load, answering
    a question allocates a few thousand short-lived objects, so the default also promotes live
    ones to the older generations, which are walked again and again."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)


def tune() -> None:
    """What a long-running Witaj process (the bot, the sandbox) sets before anything else."""
    fewer_malloc_arenas()
    fewer_collections()
