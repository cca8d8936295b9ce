"""Which FormSpec a stored draft belongs to, by the name kept in form_draft.form."""

from __future__ import annotations

import importlib

from workflow.forms.spec import FormSpec

# form name -> module defining it as FORM. Imported on first use, so a draft of any form
# can be resumed by a process that has not touched that feature yet.
FORM_MODULES: dict[str, str] = {
    "goal_declaration": "workflow.goals.form",
    "return_reason": "workflow.review.return_form",
    "approve_comment": "workflow.review.approve_form",
    "expert_opinion": "workflow.review.expert_form",
    "batch_approval": "workflow.review.batch_form",
    "goal_adjustment": "workflow.goals.adjustment",
    "fund_action": "workflow.tracking.fund_form",
    "ad_hoc_tracking": "workflow.tracking.ad_hoc_form",
    "tracking_report": "workflow.tracking.form",
    "self_evaluation": "workflow.evaluation.form",
    "finance_evaluation": "workflow.results.finance_form",
    "rectification_plan": "workflow.results.plan_form",
    "budget_linkage": "workflow.results.linkage",
    "rectification_suggestion": "workflow.tracking.rectification_suggestion_form",
    "rectification_reply": "workflow.tracking.rectification_reply_form",
    "rectification_again": "workflow.tracking.rectification_again_form",
    "department_report": "workflow.evaluation.report_form",
}


def form_spec(name: str) -> FormSpec:
    """The FormSpec called `name`."""
    module = importlib.import_module(FORM_MODULES[name])
    spec: FormSpec = module.FORM
    if spec.name != name:
        raise LookupError(f"{FORM_MODULES[name]}.FORM is {spec.name!r}, not {name!r}")
    return spec
