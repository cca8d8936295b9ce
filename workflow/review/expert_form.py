"""An expert's opinion text (see workflow.review.forms)."""

from __future__ import annotations

from dataclasses import replace

from storage.models import ReviewDecision
from workflow.forms.spec import META, Answers, FormSpec
from workflow.review.forms import (
    EXPERT_OPINION,
    OPINION_FIELD,
    meta_context,
    opinion_text_needed,
    submit_opinion,
)


def _reasons_needed(answers: Answers) -> bool:
    """修改后同意 and 不同意 need the expert's reasons (no 跳过 then); 同意 may stand alone."""
    return (answers.data.get(META) or {}).get("decision") != ReviewDecision.expert_agree.value


OPINION = replace(OPINION_FIELD, required_when=_reasons_needed, required_reason="opinion_required")

FORM = FormSpec(
    EXPERT_OPINION,
    entries=(OPINION,),
    validators=(opinion_text_needed,),
    load_context=meta_context,
    submit=submit_opinion,
)
