"""Multi-select questions: tick and untick choices one by one, then "done".

The ticks so far are kept in the draft (META), so a restart shows them still ticked; "done"
checks the count and stores the choices, in the order the form lists them, as the answer.
"""

from __future__ import annotations

from workflow.forms import derived
from workflow.forms.flow import Outcome, apply_value, question_scope, refuse
from workflow.forms.spec import Context, Cursor, Data, FormSpec


def toggle(form: FormSpec, data: Data, cursor: Cursor, index: int, context: Context) -> Outcome:
    """Tick choice `index` of the multi-select at `cursor`, or untick it if ticked."""
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "not_now")
    spec, _, answers = question_scope(form, data, cursor, context)
    choices = spec.choices_for(answers)
    if not spec.multiple or not 0 <= index < len(choices):
        return refuse(data, cursor, "not_now")
    ticked = derived.picked(spec, answers, cursor)
    value = choices[index].value
    if value in ticked:
        ticked.remove(value)
    elif spec.max_count is not None and len(ticked) >= spec.max_count:
        return refuse(data, cursor, "too_many_choices", limit=spec.max_count)
    else:
        ticked.append(value)
    in_order = [choice.value for choice in choices if choice.value in ticked]
    return Outcome(derived.with_picking(data, cursor, in_order), cursor)


def confirm(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """ "Done" on a multi-select: the ticked choices become the answer."""
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "not_now")
    spec, _, answers = question_scope(form, data, cursor, context)
    if not spec.multiple:
        return refuse(data, cursor, "not_now")
    return apply_value(form, data, cursor, derived.picked(spec, answers, cursor), context)
