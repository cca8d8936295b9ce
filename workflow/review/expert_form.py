"""An expert's opinion text (see workflow.review.forms)."""

from __future__ import annotations

from workflow.forms.spec import FormSpec
from workflow.review.forms import (
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
