"""Telegram's types are built when first used, not all at import: 100 MB less per process.

aiogram declares its ~450 Telegram types with pydantic's `defer_build`, then, at the end of
`aiogram.types`, rebuilds every one of them with a namespace holding all their names (the
types refer to each other by name). That builds a validator and a serializer for each type,
each with copies of every type it can contain: about 100 MB of pydantic-core structures,
most of them for types a bot like this one never receives (payments, stories, business
accounts, games…).

Here that final rebuild is recorded instead of run, and its names are put where pydantic's
deferred build looks them up (the modules of the types and methods), so that a model is
built the first time it is used — also inside a generic such as `Response[list[Update]]`.
Measured: importing aiogram takes 61 MB instead of 167; the first update, reply and keyboard
build theirs in about a tenth of a second.

It must run before anything imports `aiogram.types`; `bot/__init__.py` calls it, so every
import of the runtime goes through it. If aiogram was already imported it does nothing (the
types are then built already, as aiogram does it). pydantic's deferred build also peeks a
few frames up the stack, so a type first used at the very top of a script (not inside a
function, a command or the event loop, as everything here is) fails to build; the test in
tests/test_lazy_types.py runs inside the event loop for that reason.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from pydantic import BaseModel


def defer_telegram_types() -> None:
    if "aiogram.types" in sys.modules:
        return
    original = BaseModel.__dict__["model_rebuild"]
    namespaces: list[Mapping[str, Any]] = []

    def record(cls: type[BaseModel], /, **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        if namespace is None or not cls.__module__.startswith("aiogram."):
            result: bool | None = original.__func__(cls, **kwargs)
            return result
        namespaces.append(namespace)
        return None

    BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
    try:
        import aiogram  # the client, its methods and their types
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]
    if not namespaces:  # an aiogram that no longer rebuilds at import: nothing was deferred
        return
    # Each deferred build resolves names in the module of the model it builds (inherited
    # fields too), so the names go where aiogram imports them only for type checkers: into
    # the types' and methods' modules, and into the module of every Telegram type defined
    # later (aiogram-dialog's `DialogUpdate`). A name a module has is never replaced.
    names: dict[str, Any] = {}
    for namespace in namespaces:
        names.update(namespace)
    for name, module in list(sys.modules.items()):
        if name.startswith(("aiogram.types.", "aiogram.methods.")):
            _lend(names, module)

    from aiogram.types import TelegramObject

    def adopt(cls: type[BaseModel], /, **kwargs: Any) -> None:
        _lend(names, sys.modules.get(cls.__module__))

    TelegramObject.__pydantic_init_subclass__ = classmethod(adopt)  # type: ignore[assignment]


def _lend(names: Mapping[str, Any], module: ModuleType | None) -> None:
    if module is not None:
        for key, value in names.items():
            module.__dict__.setdefault(key, value)
