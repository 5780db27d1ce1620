"""The sandbox's readers: the web chat and the benchmark wait on one chat, not on every message."""

from __future__ import annotations

import asyncio
import time

from sandbox.server import Sandbox


async def test_a_reader_of_one_chat_is_woken_by_that_chat_only() -> None:
    sandbox = Sandbox()
    sandbox.user(1), sandbox.user(2)
    reader = asyncio.create_task(sandbox.wait_chat(1, sandbox.chats[1].version, wait=5))
    await sandbox.user_message(2, "someone else's question")
    await asyncio.sleep(0.05)
    assert not reader.done()
    await sandbox.user_message(1, "pesel?")
    chat = await asyncio.wait_for(reader, 1)
    assert [m["text"] for m in chat["messages"]] == ["pesel?"]


async def test_a_reader_gets_the_chat_as_it_is_at_its_deadline_or_at_shutdown() -> None:
    sandbox = Sandbox()
    sandbox.user(1)
    start = time.monotonic()
    assert await sandbox.chat_version(1, 0, wait=0.1) == 0
    assert 0.1 <= time.monotonic() - start < 1
    reader = asyncio.create_task(sandbox.chat_version(1, 0, wait=30))
    await asyncio.sleep(0.05)
    await sandbox.shutdown()
    assert await asyncio.wait_for(reader, 1) == 0
