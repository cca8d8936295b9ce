"""The files a department sent with its written reply, for whoever may see the request."""

from __future__ import annotations

from storage.db import Database
from storage.models import Attachment, RectificationReply
from workflow.core.access import AccessDenied, Action, Actor
from workflow.forms.attachments import files_of
from workflow.tracking.rectification import REPLY_ITEM, authorized_request


async def reply_files(db: Database, *, actor: Actor, reply_id: int) -> list[Attachment]:
    """The reply's files in the order sent (AccessDenied for anyone who may not see it)."""
    async with db.sessions() as session:
        reply = await session.get(RectificationReply, reply_id)
        if reply is None:
            raise AccessDenied(Action.VIEW_TRACKING)
        await authorized_request(session, actor, reply.request_id, Action.VIEW_TRACKING)
        return await files_of(session, item_type=REPLY_ITEM, item_id=reply_id)
