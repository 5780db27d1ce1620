"""A local Bot API server with a web chat page: the bot runs against it exactly as on Telegram.

Only `TELEGRAM_API_URL` differs between the sandbox and production. Every update the sandbox
emits and every object it returns is checked with python-telegram-bot's types, an implementation
independent of aiogram's, so the sandbox cannot drift into a dialect only our bot understands.
"""
