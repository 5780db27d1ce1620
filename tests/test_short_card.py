"""The short answer card, sent without a dialog: every button must still say all it needs."""

from __future__ import annotations

import pytest

from flows.cards import topic_id
from flows.revive import parse
from flows.short_card import ID_DETAILS, ID_MORE, ID_VOTE, SPOKEN, Asked, short_card
from knowledge.i18n import I18n
from knowledge.languages import LANGUAGES
from knowledge.library import Library


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_button_carries_its_topic_and_fits_telegram(library: Library, lang: str) -> None:
    t = I18n().get(lang)
    slugs = list(library.catalog)
    for slug in slugs:
        others = tuple(s for s in slugs if s != slug)[:3]
        _, markup = short_card(library, t, slug, Asked(others, unsure=True), offer_languages="x")
        parsed = []
        for row in markup.inline_keyboard:
            for button in row:
                assert button.callback_data is not None
                assert len(button.callback_data.encode()) <= 64
                found = parse(button.callback_data)
                assert found is not None and found[2], button.callback_data  # no dialog needed
                parsed.append(found[:2])
        assert (ID_DETAILS, topic_id(slug)) in parsed
        assert {(ID_VOTE, f"+{topic_id(slug)}"), (ID_VOTE, f"-{topic_id(slug)}")} <= set(parsed)
        assert [item for widget, item in parsed if widget == ID_MORE] == [
            topic_id(s) for s in others
        ]


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_notes_under_the_answer_are_in_the_readers_language(library: Library, lang: str) -> None:
    t = I18n().get(lang)
    english = I18n().get("en").gettext(SPOKEN).split("{")[0]
    foreign, _ = short_card(library, t, "pesel", Asked(foreign=True))
    assert "Українська" in foreign and english.strip() not in foreign
    plain, _ = short_card(library, t, "pesel", Asked(("residence-permit",), unsure=False))
    unsure, _ = short_card(library, t, "pesel", Asked(("residence-permit",), unsure=True))
    assert unsure.startswith(plain) and len(unsure) > len(plain)


def test_a_topic_that_is_gone_says_so(library: Library) -> None:
    t = I18n().get("uk")
    text, markup = short_card(library, t, "no-such-topic")
    assert text == t.gettext("This topic is no longer available.")
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        t.gettext("🙋 Talk to a person"),
        t.gettext("🏠 Menu"),
    ]
