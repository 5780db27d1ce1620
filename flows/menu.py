"""The main menu: everyday life, school, schools, ask, talk to a person, language, privacy."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Row, Start

from flows.common import category_buttons, find_button
from flows.states import AskSG, HandoffSG, LanguageSG, MainSG, PathSG, PrivacySG
from flows.widgets import Tr


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("<b>Witaj!</b> I answer questions about everyday life and school in Wrocław."),
            Tr("Pick a topic, or just type your question in any language."),
            category_buttons(),
            find_button(),
            Start(Tr("🧭 Step by step: my checklist"), id="paths", state=PathSG.choose),
            Start(Tr("❓ Ask a question"), id="ask", state=AskSG.prompt),
            Start(Tr("🙋 Talk to a person"), id="person", state=HandoffSG.write),
            Row(
                Start(Tr("🌐 Language"), id="language", state=LanguageSG.choose),
                Start(Tr("🔒 About and privacy"), id="privacy", state=PrivacySG.about),
            ),
            state=MainSG.menu,
        ),
    )
