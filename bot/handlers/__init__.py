"""Handlers outside the dialogs: commands, free text, other kinds of messages, errors."""
