"""The update inbox: every Telegram update kept before Telegram is told it arrived."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from storage.models.base import created_at, telegram_id, timestamp


class InboxUpdate(SQLModel, table=True):
    """One update: stored on receipt, claimed by the first write of its handling, finished.

    `handled_at` is set inside the transaction of the update's first write (so a crash
    never applies an answer twice); `finished_at` once its handling ended, replies sent.
    The payload (what the person typed) is dropped when the update is finished.
    """

    __tablename__ = "update_inbox"
    __table_args__ = (Index("ix_update_inbox_unfinished", "finished_at", "update_id"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int | None = telegram_id()
    user_id: int | None = telegram_id()
    payload: dict | None = Field(default=None, sa_type=JSON)
    received_at: dt.datetime = created_at()
    handled_at: dt.datetime | None = timestamp()
    finished_at: dt.datetime | None = timestamp()
