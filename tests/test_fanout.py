"""The outbox fan-out through the running bot and the sandbox's flood control, on both
databases: everything arrives except to the people who blocked the bot, nothing twice.

The same scenario as `bench/outbox_fanout.py`, smaller and at a higher rate so it is quick;
the benchmark reports the speed, this test only what arrived.
"""

from __future__ import annotations

import pytest

from bench.outbox_fanout import Scenario, run
from storage.db import Database

# PTB reads RetryAfter.retry_after while building the error and warns about its int →
# timedelta migration; that is PTB's business.
pytestmark = pytest.mark.filterwarnings("ignore:.*will be of type `datetime.timedelta`")

SCENARIO = Scenario(
    messages=300,
    people=90,
    blocked=4,
    admins=2,
    server_error_bursts=2,
    server_errors_per_burst=3,
    global_per_second=150.0,
    per_chat_per_second=10.0,
    retry_max_seconds=0.3,
    timeout=60.0,
)


async def test_fan_out_with_blocked_people_and_server_errors(database: Database) -> None:
    result = await run(SCENARIO, database)

    assert result.blocked_messages > 0  # the scenario really sends to people who blocked us
    assert result.lost == 0, (result.undelivered_ids, "gave up:", result.gave_up)
    assert result.delivered == SCENARIO.messages - result.blocked_messages
    assert result.duplicates == 0
    assert result.flood_429s == 0
    assert result.server_errors == SCENARIO.server_error_bursts * SCENARIO.server_errors_per_burst
    # A blocked person costs one refused try (the rest of theirs wait) and one notice to
    # each administrator.
    assert 0 < result.forbidden <= SCENARIO.blocked
    assert result.admin_notices == result.forbidden * SCENARIO.admins
