"""The fixed vocabularies of the domain, as plain enums.

They live apart from the SQLAlchemy models so that the exchange format, the search and the
dialogs can name a status or a category without importing the database layer.
"""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    EVERYDAY = "everyday"
    SCHOOL = "school"


class Status(enum.StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    MACHINE = "machine"


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    TRANSLATOR = "translator"
    SCHOOL = "school"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
