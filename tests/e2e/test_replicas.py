"""Two `witaj run` replicas in webhook mode behind the reverse proxy, sharing PostgreSQL and
Redis (see tests/topology.py): what a city's deployment must do, and how it fails.

The proxy is Caddy when installed (CI installs it), else a round-robin proxy in this process;
the module prints which. Tests run in order against one topology; the last one kills a replica.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from knowledge import announcements
from knowledge.i18n import I18n
from knowledge.languages import NATIVE_NAMES
from knowledge.models import JobLease
from knowledge.store import Store
from sandbox.client import buttons
from sandbox.identity import PRACTITIONERS_CHAT
from tests.conftest import (
    REQUIRE_SERVICES,
    _drop_postgres_database,
    _postgres_database,
    unavailable,
)
from tests.topology import Topology, topology

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.postgres, pytest.mark.slow]
USERS = int(os.environ.get("WITAJ_REPLICA_USERS", "100"))
"""People writing at once in the load test (500 in bench/replicas.py)."""
LEASE_SECONDS = 3
RATE = 15
i18n = I18n()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def city() -> AsyncIterator[Topology]:
    try:
        admin, url = await _postgres_database()
    except ConnectionError as exc:
        unavailable(f"PostgreSQL is not reachable: {exc}")
    settings = {"JOB_LEASE_SECONDS": str(LEASE_SECONDS), "ANNOUNCE_RATE": str(RATE)}
    try:
        async with topology(url, require_caddy=REQUIRE_SERVICES, settings=settings) as t:
            print(f"\nreplicas behind: {t.proxy_kind}")
            yield t
    finally:
        await _drop_postgres_database(admin, url)


def _bots(chat: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in chat["messages"] if m.get("from", {}).get("is_bot")]


async def _handled(city: Topology) -> list[float]:
    return [await r.metric("witaj_updates_total") for r in city.replicas]


async def test_a_dialog_continues_across_replicas(city: Topology) -> None:
    c, t = city.client, i18n.get("uk")
    before = await _handled(city)
    prompt = await c.ask(7001, "/start", language_code="uk")
    menu, _ = await c.press(7001, prompt, NATIVE_NAMES["uk"])  # the language, on another one
    school, _ = await c.press(7001, menu, t.gettext("🎒 School"))
    assert len(buttons(school)) > 3
    card = await c.ask(7001, "як отримати pesel", language_code="uk")
    assert "PESEL" in card["text"]
    await c.press(7001, card, t.gettext("🙋 Talk to a person"))
    await c.send(7001, "Чи можна записатися без PESEL?", language_code="uk")
    group = await c.wait_until(
        PRACTITIONERS_CHAT, lambda ms: any("без PESEL" in m.get("text", "") for m in ms)
    )
    assert group
    after = await _handled(city)
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)


async def _ask_many(city: Topology, first: int, users: int, messages: int) -> Counter[int]:
    """Each person asks `messages` questions one after another; all people at once. Returns
    how many bot replies each person got."""
    questions = ["jak wyrobić pesel", "karta pobytu", "numer alarmowy", "szkoła dla dziecka"]

    async def person(uid: int) -> None:
        for n in range(messages):
            await city.client.ask(uid, questions[n % len(questions)], language_code="pl")

    await asyncio.gather(*(person(first + i) for i in range(users)))
    await asyncio.sleep(1.0)  # a duplicate would arrive within this
    return Counter({first + i: len(_bots(await city.client.chat(first + i))) for i in range(users)})


async def test_every_message_is_answered_exactly_once(city: Topology) -> None:
    before = await _handled(city)
    started = time.monotonic()
    replies = await _ask_many(city, 100_000, USERS, 5)
    took = time.monotonic() - started
    print(f"{USERS} people x 5 messages: {USERS * 5 / took:.0f} msg/s over two replicas")
    assert set(replies.values()) == {5}, replies.most_common(3)
    after = await _handled(city)
    shares = [a - b for a, b in zip(after, before, strict=True)]
    assert min(shares) > 0.3 * sum(shares), shares  # both replicas did their part


async def test_telegram_retries_are_answered_once(city: Topology) -> None:
    city.sandbox.sandbox.duplicate_deliveries = True
    try:
        replies = await _ask_many(city, 200_000, 20, 3)
    finally:
        city.sandbox.sandbox.duplicate_deliveries = False
    assert set(replies.values()) == {3}, replies.most_common(3)


async def test_an_edit_reaches_every_replica_within_seconds(city: Topology) -> None:
    from knowledge import repository

    store = await Store.open(city.database_url)
    try:
        async with store.transaction() as session:
            docs = {d.slug: d for d in await repository.load_topics(session)}
        doc = docs["pesel"]
        pl = doc.translations["pl"].model_copy(update={"title": "PESEL — nowy tytuł"})
        edited = doc.model_copy(update={"translations": {**doc.translations, "pl": pl}})
        async with store.transaction() as session:
            await repository.import_topics(session, [edited], actor="editor", force=True)
    finally:
        await store.close()
    deadline = time.monotonic() + 15
    fresh = 0
    while fresh < 4:  # four answers in a row, round robin: every replica has it
        assert time.monotonic() < deadline, "an edit did not reach every replica"
        card = await city.client.ask(7002, "Jak wyrobić numer PESEL?", language_code="pl")
        fresh = fresh + 1 if "nowy tytuł" in card["text"] else 0


async def test_redis_stopped_and_back_every_message_answered(city: Topology) -> None:
    city.redis.stop()
    try:
        replies = await _ask_many(city, 300_000, 10, 2)
        assert set(replies.values()) == {2}, replies.most_common(3)
    finally:
        city.redis.start()
    await asyncio.sleep(4)  # each replica tries Redis again after three seconds
    replies = await _ask_many(city, 310_000, 10, 2)
    assert set(replies.values()) == {2}
    for replica in city.replicas:
        async with city.http.get(replica.url + "/healthz") as resp:
            assert (await resp.json())["redis"] == "ok"


async def test_postgres_cut_nobody_left_without_a_reply(city: Topology) -> None:
    """Connections to PostgreSQL drop and new ones are refused for a few seconds: every
    message still gets a reply (its answer, or an apology), and all works after."""
    await _ask_many(city, 400_000, 10, 1)  # known people, language chosen
    city.database.cut()
    try:
        asked = asyncio.gather(*(_ask_many(city, 400_000 + i, 1, 1) for i in range(10)))
        await asyncio.sleep(3)
    finally:
        city.database.restore()
    for got in await asked:
        assert set(got.values()) == {2}, got  # the earlier reply and one for this message
    replies = await _ask_many(city, 410_000, 10, 2)
    assert set(replies.values()) == {2}
    for replica in city.replicas:
        async with city.http.get(replica.url + "/healthz") as resp:
            assert resp.status == 200


async def test_an_announcement_is_sent_once_and_survives_its_sender(city: Topology) -> None:
    people = list(range(500_000, 500_090))
    store = await Store.open(city.database_url)
    try:
        async with store.transaction() as session:
            for uid in people:
                city.sandbox.sandbox.user(uid, language_code="uk")
                await announcements.subscribe(session, f"key-{uid}", uid, "uk", news=True)
            row = await announcements.create(
                session, {"uk": "Канікули"}, "all", created_by="test", topics=[]
            )
            await announcements.start(session, row)
        sent = city.sandbox.sandbox.sent
        deadline = time.monotonic() + 20
        while sum(1 for _, chat in sent if chat in set(people)) < 20:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        async with store.sessions() as session:
            lease = await session.get(JobLease, "announcements")
        assert lease is not None
        sender = next(
            r for r in city.replicas if r.process and lease.holder.endswith(f":{r.process.pid}")
        )
        sender.kill()  # mid-send, lease held
        deadline = time.monotonic() + 30
        while True:
            async with store.sessions() as session:
                current = await announcements.get(session, row.id)
            if current is not None and current.status.value == "done":
                break
            assert time.monotonic() < deadline, "the other replica did not take over"
            await asyncio.sleep(0.2)
    finally:
        await store.close()
    got = Counter(chat for _, chat in sent if chat in set(people))
    assert max(got.values()) == 1  # nobody twice
    assert len(got) >= len(people) - 1  # at most the one in flight when the sender died
    times = sorted(t for t, chat in sent if chat in set(people))
    busiest = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    assert busiest <= RATE  # the rate of the whole bot, not of each replica
