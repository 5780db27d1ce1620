"""The main menu: everyday life, school, ask, talk to a person, language, privacy."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Row, Start

from flows.states import AskSG, BrowseSG, HandoffSG, LanguageSG, MainSG, PrivacySG
from flows.widgets import Tr


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("<b>Witaj!</b> I answer questions about everyday life and school in Wrocław."),
            Tr("Pick a topic, or just type your question in any language."),
            Row(
                Start(
                    Tr("🏙 Everyday life"),
                    id="everyday",
                    state=BrowseSG.topics,
                    data={"category": "everyday"},
                ),
                Start(
                    Tr("🎒 School"), id="school", state=BrowseSG.topics, data={"category": "school"}
                ),
            ),
            Start(Tr("❓ Ask a question"), id="ask", state=AskSG.prompt),
            Start(Tr("🙋 Talk to a person"), id="person", state=HandoffSG.soon),
            Row(
                Start(Tr("🌐 Language"), id="language", state=LanguageSG.choose),
                Start(Tr("🔒 About and privacy"), id="privacy", state=PrivacySG.about),
            ),
            state=MainSG.menu,
        ),
    )
