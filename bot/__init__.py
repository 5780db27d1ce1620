"""Witaj runtime: settings, CLI, and (later) the Telegram bot and web workspace."""
