""" "Ask a question" and "Talk to a person" (a placeholder until the handoff issue lands)."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Row, Start

from flows.common import menu_button
from flows.states import AnswerSG, AskSG, HandoffSG
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


def make_handoff_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🙋 Talking to a person right here is coming soon."),
            Tr("Until then, the city's migrant info point helps in person and by phone."),
            Row(
                Start(
                    Tr("ℹ️ Migrant info point"),
                    id="info",
                    state=AnswerSG.card,
                    data={"slug": "migrant-info-point"},
                ),
                menu_button(),
            ),
            state=HandoffSG.soon,
        ),
    )
