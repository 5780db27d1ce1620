"""Pages for parents, not practitioners: a school's public page and its printable poster.

They speak all six languages from the bot's own catalogs (domain `messages`), set no cookies
and need no login.
"""
