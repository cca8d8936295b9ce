"""批量通过: one comment for every checked item (see workflow.review_forms)."""

from __future__ import annotations

from workflow.forms import FormSpec
from workflow.review_forms import BATCH_APPROVAL, COMMENT_FIELD, meta_context, submit_batch

FORM = FormSpec(
    BATCH_APPROVAL, entries=(COMMENT_FIELD,), load_context=meta_context, submit=submit_batch
)
