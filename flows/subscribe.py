"""`/subscribe`: news from the city's team, off by default; and following an answer's changes."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column

from flows.common import menu_button, services_of, slug_of, user_key_of
from flows.states import SubscribeSG
from flows.widgets import Tr, labelled_select, translator

ID_SUBSCRIBE = "sub"
ID_FOLLOW = "follow"
CHOICES = ("news", "school", "everyday")


async def get_settings(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    t = translator(dialog_manager)
    mine = await services_of(dialog_manager).following(user_key_of(dialog_manager))
    on = {
        "news": mine.news,
        "school": "school" in mine.categories,
        "everyday": "everyday" in mine.categories,
    }
    labels = {
        "news": t.gettext("All news"),
        "school": t.gettext("School news"),
        "everyday": t.gettext("Everyday-life news"),
    }
    return {
        "choices": [(key, ("✅ " if on[key] else "⬜ ") + labels[key]) for key in CHOICES],
        "subscribed": any(on.values()),
        "following": len(mine.topics),
    }


async def on_choice(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, key: str
) -> None:
    if key not in CHOICES or callback.message is None:
        return
    services, key_ = services_of(manager), user_key_of(manager)
    chat_id, lang = callback.message.chat.id, translator(manager).lang
    if key == "news":
        news = not (await services.following(key_)).news
        await services.subscribe(key_, chat_id, lang, news=news)
    else:
        await services.subscribe(key_, chat_id, lang, category=key)


async def on_stop(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await services_of(manager).unsubscribe(user_key_of(manager))
    await callback.answer(translator(manager).gettext("Done: you will get no news from me."))


async def follow(callback: CallbackQuery, _widget: Any, manager: DialogManager, tid: str) -> None:
    """On an answer card: tell me when this answer changes (pressing again stops it)."""
    slug = slug_of(manager, tid)
    if slug is None or callback.message is None:
        return
    t = translator(manager)
    services, key = services_of(manager), user_key_of(manager)
    following = slug in (await services.following(key)).topics
    await services.subscribe(
        key,
        callback.message.chat.id,
        t.lang,
        follow=None if following else slug,
        unfollow=slug if following else None,
    )
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
