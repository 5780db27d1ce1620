"""How Witaj's processes log: plain lines by default, one JSON object per line for a log
collector (LOG_FORMAT=json). Apart from `cli.base` so that the start-up helper, which imports
no command-line toolkit, logs as the bot beside it does."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.settings import Settings

TEXT = "%(levelname)s %(name)s: %(message)s"
QUIET_AT_DEBUG = ("aiogram", "aiogram_dialog")
"""Libraries whose debug lines name Telegram users and chats ("user: 123, chat: 123"): they
log at INFO at most, whatever LOG_LEVEL says."""


def basic_logging(level: int | str = logging.WARNING) -> None:
    logging.basicConfig(level=level, format=TEXT)


def configure_logging(settings: Settings) -> None:
    """The level from LOG_LEVEL; with LOG_FORMAT=json one JSON object per line (time, level,
    logger, message) for a log collector. Messages never carry what a migrant wrote."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    for name in QUIET_AT_DEBUG:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        for handler in root.handlers:
            handler.setFormatter(formatter)
