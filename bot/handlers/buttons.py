"""Presses of buttons that belong to no dialog: the short answer card's (`flows.short_card`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager

from flows.revive import carry_out
from flows.short_card import STATELESS


class StatelessButton(Filter):
    async def __call__(self, callback: CallbackQuery) -> bool:
        return (callback.data or "").startswith(STATELESS)


async def stateless_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await carry_out(callback, dialog_manager)


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="buttons")
    router.callback_query.register(stateless_button, StatelessButton())
    return router
