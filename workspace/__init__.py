"""The practitioners' workspace: server-rendered pages on aiohttp, beside the bot."""
