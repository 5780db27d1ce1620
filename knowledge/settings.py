"""Settings of the whole application, from environment variables and `.env`, validated once.

The command line reads them and hands each part its own: the store its database URL, the bot
its token and webhook, the workspace its address and cookies.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.languages import LANGUAGES

if TYPE_CHECKING:
    from knowledge.machine_translation import Provider

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/witaj.sqlite3"
CONTENT_DIR = Path(__file__).resolve().parent / "content"


class Settings(BaseSettings):
    """Everything configurable; unset values fall back to the embedded defaults."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `KEY=` is unset, as in .env.example's blanks and docker-compose.yml's `${KEY:-}`: an
        # empty PRACTITIONER_CHAT_ID stopped the bot at start, an empty INDEX_CACHE was the
        # current directory.
        env_ignore_empty=True,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    default_language: str = Field(default="en", description="Fallback UI and content language.")
    content_dir: Path = Field(default=CONTENT_DIR, description="YAML seed of the knowledge base.")
    review_max_age_days: int = Field(
        default=365, ge=1, description="`kb check` warns when a review is older than this."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    index_cache: Path | None = Field(
        default=Path("var/index"),
        description="Where built search indexes are kept between starts (keyed by content).",
    )

    # --- Telegram
    bot_token: SecretStr | None = Field(
        default=None, description="Unset: `make run` opens the sandbox."
    )
    telegram_api_url: str | None = Field(
        default=None, description="Base URL of a Bot API server; unset = Telegram's own."
    )
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = Field(default=None, description="Public URL Telegram posts to.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Required with BOT_MODE=webhook: checked against "
        "X-Telegram-Bot-Api-Secret-Token (12-256 of A-Z a-z 0-9 _ -).",
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8081
    set_webhook: bool = Field(
        default=True, description="Register WEBHOOK_URL with Telegram at start."
    )
    redis_url: str | None = Field(default=None, description="Shared dialog state for replicas.")
    job_lease_seconds: float = Field(
        default=60.0, gt=0, description="A dead replica's periodic jobs move on after this."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line, for a log collector."
    )

    # --- behaviour
    throttle_seconds: float = Field(
        default=0.3, ge=0, description="Minimum spacing of one user's messages before dropping."
    )
    concurrent_updates: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Updates handled at once by one process; the rest wait their turn in the "
        "order they came, so a burst is answered first come, first served.",
    )
    retention_days: int = Field(
        default=90, ge=1, description="Unanswered questions kept this long."
    )

    # --- practitioners' workspace
    workspace: bool = Field(default=True, description="Serve the workspace beside the bot.")
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8090, description="Workspace port (with polling, or alone).")
    web_secure_cookies: bool | None = Field(
        default=None,
        description="Mark the workspace's cookies Secure (sent over HTTPS only); unset: when "
        "PUBLIC_URL or WEBHOOK_URL is an https:// address.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of the reverse proxy; only then is "
        "X-Forwarded-For believed (and the workspace answers only through the proxy).",
    )

    # --- talking to a person
    practitioner_chat_id: int | None = Field(
        default=None,
        description="The practitioners' Telegram group for handed-over conversations; unset = "
        "no handoff (the sandbox brings its own group).",
    )
    practitioner_language: str = Field(
        default="pl", description="Language of the bot's posts in the practitioners' group."
    )
    working_hours: str = Field(
        default="mon-fri 08:00-16:00",
        description="When practitioners answer; outside them a migrant is told when to expect one.",
    )
    timezone: str = Field(default="Europe/Warsaw", description="The city's time zone.")
    announce_rate: float = Field(
        default=25.0,
        gt=0,
        le=30,
        description="Announcement messages per second (Telegram allows about 30).",
    )

    # --- machine translation between migrants and practitioners (off by default)
    translate_provider: Literal["none", "libretranslate", "deepl"] = Field(
        default="none",
        description="Translate practitioners' replies into the migrant's language and the "
        "migrant's messages into PRACTITIONER_LANGUAGE, each with its original.",
    )
    libretranslate_url: str | None = Field(
        default=None, description="Base URL of a self-hosted LibreTranslate server."
    )
    libretranslate_api_key: SecretStr | None = Field(
        default=None, description="Its API key, if it requires one."
    )
    deepl_auth_key: SecretStr | None = Field(
        default=None,
        description="DeepL API key (an external service: migrants are asked before their "
        "messages go there).",
    )
    translate_timeout: float = Field(
        default=5.0, gt=0, le=30, description="Seconds to wait before sending the original."
    )

    # --- links and schools
    bot_username: str | None = Field(
        default=None,
        description="For t.me links made without the bot running (`witaj web`, `witaj school "
        "qr`); the running bot asks Telegram.",
    )
    public_url: str | None = Field(
        default=None,
        description="Public base URL of the web pages (school pages /s/<code>); unset = the "
        "workspace's own address.",
    )
    demo: bool = Field(
        default=False,
        description="Load the invented example schools (the sandbox does); off, they are deleted.",
    )

    # --- local sandbox
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8080

    @field_validator("bot_token")
    @classmethod
    def _telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram's shape (what aiogram checks, with a trace, when the bot is built)."""
        token = value.get_secret_value() if value is not None else ""
        left, colon, right = token.partition(":")
        if token and (
            not colon or not left.isdigit() or not right or any(c.isspace() for c in token)
        ):
            raise ValueError("a token from @BotFather looks like 123456789:AAE…")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{12,256}", secret):
            raise ValueError("use 12-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _provider_is_complete(self) -> Settings:
        if self.translate_provider == "libretranslate" and not self.libretranslate_url:
            raise ValueError("TRANSLATE_PROVIDER=libretranslate needs LIBRETRANSLATE_URL")
        if self.translate_provider == "deepl" and not _secret(self.deepl_auth_key):
            raise ValueError("TRANSLATE_PROVIDER=deepl needs DEEPL_AUTH_KEY")
        return self

    def translation_provider(self) -> Provider | None:
        from knowledge.machine_translation import build_provider

        return build_provider(
            self.translate_provider,
            url=self.libretranslate_url,
            api_key=_secret(self.libretranslate_api_key),
            deepl_key=_secret(self.deepl_auth_key),
            timeout=self.translate_timeout,
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)  # ValueError names the bad one
        return value

    @property
    def secure_cookies(self) -> bool:
        """Whether the workspace's cookies go over HTTPS only: as set, or when the public
        address is HTTPS (a deployment that forgot the setting still keeps its cookies off
        plain HTTP)."""
        if self.web_secure_cookies is not None:
            return self.web_secure_cookies
        urls = (self.public_url, self.webhook_url)
        return any(url is not None and url.startswith("https://") for url in urls)

    @property
    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [
            ipaddress.ip_network(part, strict=False)
            for part in filter(None, (p.strip() for p in self.trusted_proxies.split(",")))
        ]

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        from knowledge.hours import Hours

        Hours.parse(value)
        return value

    @field_validator("default_language", "practitioner_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
