"""An expert's opinion text (see workflow.review_forms)."""

from __future__ import annotations

from workflow.forms import FormSpec
from workflow.review_forms import (
    EXPERT_OPINION,
    OPINION_FIELD,
    meta_context,
    opinion_text_needed,
    submit_opinion,
)

FORM = FormSpec(
    EXPERT_OPINION,
    entries=(OPINION_FIELD,),
    validators=(opinion_text_needed,),
    load_context=meta_context,
    submit=submit_opinion,
)
