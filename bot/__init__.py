"""The Telegram runtime: dispatcher, middlewares, handlers, webhook and periodic jobs."""

from bot.lazy_types import defer_telegram_types

defer_telegram_types()
