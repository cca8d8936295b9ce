"""批量通过: one comment for every checked item (see workflow.review.forms)."""

from __future__ import annotations

from workflow.forms.spec import FormSpec
from workflow.review.forms import BATCH_APPROVAL, COMMENT_FIELD, meta_context, submit_batch

FORM = FormSpec(
    BATCH_APPROVAL, entries=(COMMENT_FIELD,), load_context=meta_context, submit=submit_batch
)
