""" "Ask a question": a prompt; the free-text handler does the rest."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window

from flows.common import menu_button
from flows.states import AskSG
from flows.widgets import Tr


def make_ask_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("✍️ Type your question in your own words, in any language."),
            Tr("For example: <i>How do I get a PESEL number?</i>"),
            menu_button(),
            state=AskSG.prompt,
        ),
    )
