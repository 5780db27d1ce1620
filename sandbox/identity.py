"""Who the sandbox's bot and group are: what the command line needs to connect the real bot,
without loading the sandbox server itself."""

from __future__ import annotations

BOT_ID = 700_000_001
BOT_USERNAME = "witaj_sandbox_bot"
DEFAULT_TOKEN = f"{BOT_ID}:SANDBOX-local-only"
PRACTITIONERS_CHAT = -1001000000001
"""The sandbox's practitioners' group, where handed-over conversations are posted."""
