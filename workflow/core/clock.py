"""The bureau's timezone: deadlines are dates there, and times are shown in it.

A bureau lives in one zone, so this is process-wide: the bot sets it from the TIMEZONE
setting at start-up; tests and the command line get Asia/Shanghai unless they set it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_bureau_tz = ZoneInfo("Asia/Shanghai")


def bureau_tz() -> ZoneInfo:
    """The zone deadlines and wall-clock times are counted in."""
    return _bureau_tz


def set_bureau_tz(tz: ZoneInfo) -> None:
    """Use `tz` from now on (called once, at start-up)."""
    global _bureau_tz
    _bureau_tz = tz


def local_day(moment: dt.datetime) -> dt.date:
    """The bureau's calendar date of a UTC moment."""
    return moment.astimezone(_bureau_tz).date()
