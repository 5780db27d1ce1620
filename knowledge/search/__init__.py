"""Multilingual search over the knowledge base, in memory, with no database and no aiogram.

`SearchIndex.build(documents)` turns plain (slug, {language: entries}) data into an index;
`index.search(text, lang)` answers with the best topic, a score and alternatives, or abstains.
"""

from knowledge.search.index import Hit, SearchDocument, SearchIndex, SearchResult

__all__ = ["Hit", "SearchDocument", "SearchIndex", "SearchResult"]
