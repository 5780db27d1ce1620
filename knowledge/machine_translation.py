"""Machine translation between a migrant and the practitioners: a small provider interface.

Two providers: a self-hosted LibreTranslate server (nothing leaves the city's machines) and the
DeepL API (an external company: a migrant's messages go there only with their consent). Off by
default. A translation that fails, times out or is not offered for a language gives `None`,
and the caller sends the original with a short note — a message is never lost for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

log = logging.getLogger(__name__)


class TranslationUnavailableError(Exception):
    """The provider did not translate (down, slow, refused, or the language is not offered)."""


class Provider(Protocol):
    name: str
    external: bool
    """True when text leaves our machines (the migrant is asked first)."""

    async def translate(self, text: str, source: str | None, target: str) -> str:
        """`source` None: let the provider detect it."""
        ...


@dataclass
class LibreTranslate:
    """A LibreTranslate server's `/translate` (https://libretranslate.com/docs)."""

    url: str
    api_key: str | None = None
    timeout: float = 5.0
    name: str = "LibreTranslate"
    external: bool = False

    async def translate(self, text: str, source: str | None, target: str) -> str:
        body: dict[str, Any] = {"q": text, "source": source or "auto", "target": target}
        body["format"] = "text"
        if self.api_key:
            body["api_key"] = self.api_key
        limit = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=limit) as http,
                http.post(self.url.rstrip("/") + "/translate", json=body) as resp,
            ):
                if resp.status != 200:
                    raise TranslationUnavailableError(f"{self.name} answered {resp.status}")
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TranslationUnavailableError(f"{self.name}: {type(exc).__name__}") from exc
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(translated, str) or not translated.strip():
            raise TranslationUnavailableError(f"{self.name} sent no translation")
        return translated


DEEPL_TARGETS = {"en": "EN-GB", "pl": "PL", "uk": "UK", "ru": "RU", "ar": "AR"}
"""DeepL's names for our languages; it does not offer Belarusian."""


@dataclass
class DeepL:
    """The DeepL API through its official client, which is synchronous: it runs in a thread,
    and the wait for it is cut at `timeout`."""

    auth_key: str
    timeout: float = 5.0
    name: str = "DeepL"
    external: bool = True
    _client: Any = field(default=None, init=False, repr=False)

    async def translate(self, text: str, source: str | None, target: str) -> str:
        if target not in DEEPL_TARGETS or (source is not None and source not in DEEPL_TARGETS):
            raise TranslationUnavailableError(f"{self.name} does not offer {source} -> {target}")
        import deepl

        if self._client is None:
            self._client = deepl.Translator(self.auth_key)
        call = asyncio.to_thread(
            self._client.translate_text,
            text,
            source_lang=source.upper() if source else None,
            target_lang=DEEPL_TARGETS[target],
        )
        try:
            result = await asyncio.wait_for(call, self.timeout)
        except (deepl.DeepLException, TimeoutError, OSError) as exc:
            raise TranslationUnavailableError(f"{self.name}: {type(exc).__name__}") from exc
        return str(result.text)


async def translate(
    provider: Provider | None, text: str, source: str | None, target: str
) -> str | None:
    """The translation, or None when there is nothing to do or it could not be had (logged
    without the text: it is a person's message)."""
    if provider is None or not text.strip() or source == target:
        return None
    try:
        return await provider.translate(text, source, target)
    except TranslationUnavailableError as exc:
        log.warning("machine translation %s -> %s not available: %s", source, target, exc)
        return None


def build_provider(
    kind: str, *, url: str | None, api_key: str | None, deepl_key: str | None, timeout: float
) -> Provider | None:
    if kind == "libretranslate" and url:
        return LibreTranslate(url, api_key, timeout)
    if kind == "deepl" and deepl_key:
        return DeepL(deepl_key, timeout)
    return None
