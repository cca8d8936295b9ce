"""通过并附意见: an approval with an optional comment (see workflow.review.forms)."""

from __future__ import annotations

from workflow.forms.spec import FormSpec
from workflow.review.forms import APPROVE_COMMENT, COMMENT_FIELD, meta_context, submit_approve

FORM = FormSpec(
    APPROVE_COMMENT, entries=(COMMENT_FIELD,), load_context=meta_context, submit=submit_approve
)
