"""退回修改: the required reason of a return (see workflow.review.forms)."""

from __future__ import annotations

from workflow.forms.spec import FormSpec
from workflow.review.forms import REASON_FIELD, RETURN_REASON, meta_context, submit_return

FORM = FormSpec(
    RETURN_REASON, entries=(REASON_FIELD,), load_context=meta_context, submit=submit_return
)
