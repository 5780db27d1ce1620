"""What an operator graphs: counts and timings only, never a message or a person.

Prometheus metrics are process-wide by nature (one scrape per replica), so they are defined
once here and every part increments its own.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

UPDATES = Counter("witaj_updates", "Telegram updates handled, by kind.", ["kind"])
ANSWERS = Counter(
    "witaj_answers",
    "Free-text messages by outcome: answered, abstained, greeting, handoff, safety.",
    ["outcome"],
)
SEARCH_SECONDS = Histogram(
    "witaj_search_seconds",
    "Time to search the in-memory index for one question.",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
)
ERRORS = Counter("witaj_errors", "Failures while handling updates, by kind.", ["kind"])
WEBHOOK_REFUSED = Counter(
    "witaj_webhook_refused", "Webhook requests refused, by HTTP status.", ["status"]
)
ANNOUNCED = Counter(
    "witaj_announcement_deliveries", "Announcement deliveries finished, by status.", ["status"]
)
ANNOUNCEMENT_PENDING = Gauge(
    "witaj_announcement_pending", "Deliveries of announcements being sent still to go."
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render() -> bytes:
    """The Prometheus text exposition of this process's metrics."""
    return generate_latest()
