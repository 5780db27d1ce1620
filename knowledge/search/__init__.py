"""Multilingual search over the knowledge base, in memory, with no database and no aiogram.

`SearchIndex.build(documents)` turns plain (slug, {language: entries}) data into an index;
`index.search(text, lang)` answers with the best topic, a score and alternatives, or abstains.
A question in none of the six languages (Spanish, Turkish, Georgian…) is matched on the terms
the knowledge base knows (PESEL, karta pobytu, NFZ…): its result has `foreign` set, and
`index.question_language(text)` says `OTHER` ("other") for it.
"""

from knowledge.search.index import Hit, Scored, SearchDocument, SearchIndex, SearchResult
from knowledge.search.langid import OTHER

__all__ = ["OTHER", "Hit", "Scored", "SearchDocument", "SearchIndex", "SearchResult"]
