"""About and privacy, and `/forget`: asks first, then deletes everything stored about the user."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo

from flows.common import AfterUpdate, menu_button, user_key_of
from flows.states import PrivacySG
from flows.widgets import Tr, translator
from knowledge.handoff import Desk
from knowledge.profiles import Profiles


async def get_about(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    settings = dialog_manager.middleware_data["settings"]
    desk: Desk = dialog_manager.middleware_data["desk"]
    return {
        "days": settings.retention_days,
        "service": desk.translation or "",
        "external": desk.external_translation,
    }


async def on_forget(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    """Everything in the database now; the dialogs' own state once this update is handled
    (it holds the Telegram id). The chat is left with a plain message and no buttons."""
    profiles: Profiles = manager.middleware_data["profiles"]
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    await profiles.forget(user_key_of(manager), chat_id)
    after: AfterUpdate = manager.middleware_data["after_update"]
    after.forget_dialogs = True
    manager.middleware_data["stored_lang"] = None
    done = translator(manager).gettext("Done: everything about you is deleted.")
    await callback.answer(done)
    await manager.reset_stack(remove_keyboard=False)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(done + "\n\n/start", reply_markup=None)


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🔒 <b>About Witaj and your privacy</b>"),
            Tr(
                "Witaj answers questions of migrants in Wrocław about everyday life and school. It "
                "grew out of the city's intercultural dialogue work with schools and NGOs."
            ),
            Tr(
                "\nWhat I keep: your chosen language; your 👍/👎 votes; questions I could not "
                "answer, for {days} days, so that people can add the answers. I never keep your "
                "name, username or phone number, and I store a scrambled code instead of your "
                "Telegram id."
            ),
            Tr(
                "If you talk to a person or subscribe to news, I also keep the number of this "
                "chat, so that the answer or the news can reach you — until the conversation is "
                "closed and {days} days have passed, or until you unsubscribe."
            ),
            Tr(
                "If you follow a step-by-step path: your answers to its questions and the steps "
                "you ticked — and this chat's number, if you asked for deadline reminders."
            ),
            Tr(
                "Messages you send to a person are posted in the team's Telegram group. /forget "
                "deletes everything Witaj keeps, but it does not delete those posts: they stay "
                "in the group until a practitioner deletes them."
            ),
            Tr(
                "Automatic translation is on: your messages to a person and their answers are "
                "translated by {service}.",
                when="service",
            ),
            Tr(
                "{service} is an outside company: your messages go there only if you allow it "
                "(you are asked once).",
                when="external",
            ),
            Tr(
                "\nAnswers are general information, not legal advice: "
                "always check the official page."
            ),
            SwitchTo(Tr("🗑 Forget me"), id="forget", state=PrivacySG.confirm_forget),
            menu_button(),
            getter=get_about,
            state=PrivacySG.about,
        ),
        Window(
            Tr("Delete everything stored about you? This cannot be undone."),
            Row(
                Button(Tr("Yes, delete"), id="yes", on_click=on_forget),
                SwitchTo(Tr("No"), id="no", state=PrivacySG.about),
            ),
            state=PrivacySG.confirm_forget,
        ),
    )
