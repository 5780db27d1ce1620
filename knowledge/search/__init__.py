"""Multilingual search over the knowledge base, in memory, with no database and no aiogram.

`SearchIndex.build(topics)` turns exchange documents into an index; `index.search(text, lang)`
answers with the best topic, a score and alternatives, or abstains.
"""

from knowledge.search.index import Hit, SearchIndex, SearchResult

__all__ = ["Hit", "SearchIndex", "SearchResult"]
