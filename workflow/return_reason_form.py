"""退回修改: the required reason of a return (see workflow.review_forms)."""

from __future__ import annotations

from workflow.forms import FormSpec
from workflow.review_forms import REASON_FIELD, RETURN_REASON, meta_context, submit_return

FORM = FormSpec(
    RETURN_REASON, entries=(REASON_FIELD,), load_context=meta_context, submit=submit_return
)
