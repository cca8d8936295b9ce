"""A Bot whose getUpdates keeps every update in the inbox before returning it.

python-telegram-bot acknowledges updates to Telegram with the offset of its *next*
getUpdates call, which it makes as soon as this call's updates are queued, long before
they are handled. Storing the updates here, inside the call, means Telegram is only told
"received" about updates the database already holds: a crash at any moment loses none.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import ExtBot

from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)


class InboxBot(ExtBot[None]):
    """ExtBot plus the inbox: updates are stored before the Updater may acknowledge them."""

    def __init__(self, *args: Any, db: Database, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox_db = db

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Telegram's updates, each stored (once) in the inbox before they are returned."""
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            try:
                await inbox.store(self._inbox_db, [update.to_dict() for update in updates])
            except (SQLAlchemyError, OSError) as error:
                # Not stored, so not returned: the offset stays and Telegram sends them again.
                log.warning("inbox unavailable, updates left with Telegram: %s", type(error))
                raise NetworkError("the update inbox is unavailable") from error
        return updates
