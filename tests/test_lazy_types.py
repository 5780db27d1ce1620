"""aiogram's Telegram types are built when first used (bot/lazy_types.py), and all still can be."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = textwrap.dedent(
    """
    import asyncio
    import json

    import bot  # as every runtime entry point: before aiogram
    import aiogram.methods as methods
    import aiogram.types as types
    import aiogram_dialog.api.entities  # subclasses Telegram's Update
    from aiogram.methods.base import Response
    from pydantic import BaseModel

    async def main() -> dict[str, object]:
        # As in the bot: inside the event loop (pydantic's deferred build looks a few frames
        # up the stack for names, and a bare top-level call has too few).
        deferred = not types.Update.__pydantic_complete__
        # Polling's own call, first: a generic around types nobody has built yet.
        update = {"update_id": 1, "message": {
            "message_id": 5, "date": 0, "text": "pesel", "chat": {"id": 7, "type": "private"},
            "from": {"id": 7, "is_bot": False, "first_name": "A"},
            "reply_to_message": {"message_id": 4, "date": 0, "chat": {"id": 7, "type": "private"},
                                 "photo": [{"file_id": "f", "file_unique_id": "u",
                                            "width": 1, "height": 1}]},
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "y"}]]}}}
        polled = Response[list[types.Update]].model_validate({"ok": True, "result": [update]})
        message = polled.result[0].message
        parsed = [message.text, type(message.reply_to_message.photo[0]).__name__,
                  message.reply_markup.inline_keyboard[0][0].callback_data]
        sent = methods.SendMessage(chat_id=7, text="hi", reply_markup=message.reply_markup)
        dumped = sent.model_dump(exclude_none=True)["reply_markup"]["inline_keyboard"][0][0]
        failed = []
        models, seen = [BaseModel], set()
        while models:  # every model: aiogram's types and methods, aiogram-dialog's updates
            model = models.pop()
            models += [m for m in model.__subclasses__() if m not in seen]
            seen.add(model)
            if model.__module__.startswith("aiogram") and "[" not in model.__name__:
                try:
                    model.__pydantic_validator__.validate_python  # builds it now
                    model.__pydantic_serializer__.to_python
                except Exception as exc:  # noqa: BLE001 - collected and reported
                    failed.append(f"{model.__name__}: {exc}")
        return {"deferred": deferred, "parsed": parsed, "dumped": dumped, "failed": failed,
                "built": len(seen)}

    print(json.dumps(asyncio.run(main())))
    """
)


def test_every_telegram_type_is_built_on_first_use() -> None:
    """In a fresh process, as the bot starts: nothing built at import; then an update with a
    reply, a photo and a keyboard is parsed, a reply with a keyboard serialised, and every
    type and method aiogram has (and aiogram-dialog's update, a subclass) can be built: none
    is left unresolvable by the deferral."""
    import json

    out = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["deferred"]
    assert result["parsed"] == ["pesel", "PhotoSize", "y"]
    assert result["dumped"] == {"text": "x", "callback_data": "y"}
    assert result["failed"] == []
    assert result["built"] > 500
