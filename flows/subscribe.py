"""`/subscribe`: news from the city's team, off by default; and following an answer's changes."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column

from flows.common import menu_button, session_of, slug_of, user_key_of
from flows.states import SubscribeSG
from flows.widgets import Tr, labelled_select, translator
from knowledge import announcements

ID_SUBSCRIBE = "sub"
ID_FOLLOW = "follow"
CHOICES = ("news", "school", "everyday")


async def get_settings(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    t = translator(dialog_manager)
    row = await announcements.subscription(session_of(dialog_manager), user_key_of(dialog_manager))
    on = {
        "news": bool(row and row.news),
        "school": bool(row and "school" in row.categories),
        "everyday": bool(row and "everyday" in row.categories),
    }
    labels = {
        "news": t.gettext("All news"),
        "school": t.gettext("School news"),
        "everyday": t.gettext("Everyday-life news"),
    }
    return {
        "choices": [(key, ("✅ " if on[key] else "⬜ ") + labels[key]) for key in CHOICES],
        "subscribed": any(on.values()),
        "following": len(row.topics) if row else 0,
    }


async def on_choice(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, key: str
) -> None:
    if key not in CHOICES or callback.message is None:
        return
    session = session_of(manager)
    row = await announcements.subscription(session, user_key_of(manager))
    chat_id, lang = callback.message.chat.id, translator(manager).lang
    if key == "news":
        await announcements.subscribe(
            session, user_key_of(manager), chat_id, lang, news=not (row and row.news)
        )
    else:
        await announcements.subscribe(session, user_key_of(manager), chat_id, lang, category=key)
    await session.commit()


async def on_stop(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    session = session_of(manager)
    row = await announcements.subscription(session, user_key_of(manager))
    if row is not None:
        await session.delete(row)
        await session.commit()
    await callback.answer(translator(manager).gettext("Done: you will get no news from me."))


async def follow(callback: CallbackQuery, _widget: Any, manager: DialogManager, tid: str) -> None:
    """On an answer card: tell me when this answer changes (pressing again stops it)."""
    slug = slug_of(manager, tid)
    if slug is None or callback.message is None:
        return
    t = translator(manager)
    session = session_of(manager)
    row = await announcements.subscription(session, user_key_of(manager))
    following = bool(row and slug in row.topics)
    await announcements.subscribe(
        session,
        user_key_of(manager),
        callback.message.chat.id,
        t.lang,
        follow=None if following else slug,
        unfollow=slug if following else None,
    )
    await session.commit()
    await callback.answer(
        t.gettext("You no longer follow this answer.")
        if following
        else t.gettext("I will write to you when this answer changes.")
    )


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🔔 <b>News from the city's team</b>"),
            Tr(
                "Choose what you want to hear about: rarely, only what matters for migrants and "
                "their children. Off unless you switch it on."
            ),
            Tr("\nAnswers you follow: {following}.", when="following"),
            Column(labelled_select(ID_SUBSCRIBE, "choices", on_choice)),
            Button(Tr("🔕 Stop all news"), id="stop", on_click=on_stop, when="subscribed"),
            menu_button(),
            getter=get_settings,
            state=SubscribeSG.settings,
        ),
    )
