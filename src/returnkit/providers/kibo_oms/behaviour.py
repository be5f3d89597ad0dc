"""Kibo OMS returns' lifecycle: OPEN when created, CLOSED when processed, OPEN again when reopened.

OMS documents no change on the clock alone, so the kit schedules no transitions.
"""

from __future__ import annotations

from datetime import datetime

from returnkit.core.records import record_change
from returnkit.providers.kibo_oms import webhooks
from returnkit.providers.kibo_oms.records import RETURNS, OmsReturn
from returnkit.providers.kibo_oms.world import oms_time
from returnkit.providers.kit import World


def transition(world: World, record: OmsReturn, status: str, at: datetime) -> OmsReturn:
    """Move a return to `status` at `at` and save it: CLOSED is confirmed and cleared then; OPEN is not cleared.

    Every change of a Kibo OMS return's status, its creation included (a new return's status is
    None until here), passes here and only here, and is announced (`webhooks.events_of_change`).
    """
    before = record["status"]
    record_change(world, RETURNS, str(record["returnID"]), status, at, created=before is None)
    record["status"] = status
    if status == "CLOSED":
        record.update(confirmTime=oms_time(at), clearedTime=oms_time(at))
    else:
        record["clearedTime"] = None
    saved = RETURNS.put(world, str(record["returnID"]), record, owner=record["owner"], ref=str(record["orderID"]))
    webhooks.announce(world, before, record, at)
    return saved
