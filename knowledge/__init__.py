"""The knowledge base: models, repositories, content exchange and search.

Nothing in this package imports aiogram: the same code serves the bot, the CLI and the web.
"""
