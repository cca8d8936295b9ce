"""The newer form-engine features on the Q3-shaped sample form, without a database.

Fixed rows from the context, read-only and computed values, required_when, multi-select;
and back, skip and "edit field N" still working over them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversations import form_view
from tests.q3_sample_form import FORM, REASONS, context, register
from tests.test_form_view import check
from workflow.forms import flow as form_flow
from workflow.forms import picks as form_picks
from workflow.forms import rows as form_rows
from workflow.forms import summary as form_summary
from workflow.forms.draft_store import DraftView
from workflow.forms.flow import Outcome
from workflow.forms.spec import ROW_KEY, Cursor

CONTEXT = context()


@pytest.fixture(autouse=True)
def sample_form(monkeypatch: pytest.MonkeyPatch) -> None:
    register(monkeypatch)


def say(outcome: Outcome, *texts: str) -> Outcome:
    for text in texts:
        outcome = form_flow.answer_text(FORM, outcome.data, outcome.cursor, text, CONTEXT)
        assert outcome.problem is None, (text, outcome.problem)
    return outcome


def tick(outcome: Outcome, *labels: str) -> Outcome:
    for label in labels:
        index = REASONS.index(label)
        outcome = form_picks.toggle(FORM, outcome.data, outcome.cursor, index, CONTEXT)
        assert outcome.problem is None, (label, outcome.problem)
    return outcome


def shown(outcome: Outcome, problem=None) -> str:
    """What the runner would show for this outcome (visible text, HTML checked)."""
    step = form_flow.describe(FORM, outcome.data, outcome.cursor, CONTEXT)
    view = DraftView(1, 1, FORM, outcome.data, outcome.cursor, CONTEXT, step)
    return check(form_view.step(view, problem))


def keyboard(outcome: Outcome) -> list[str]:
    step = form_flow.describe(FORM, outcome.data, outcome.cursor, CONTEXT)
    view = DraftView(1, 1, FORM, outcome.data, outcome.cursor, CONTEXT, step)
    return [b.text for row in form_view.step(view).markup.inline_keyboard for b in row]


def test_fixed_rows_are_copied_from_the_context_with_their_keys() -> None:
    outcome = form_flow.start(FORM, CONTEXT)
    assert str(outcome.cursor) == "budget"
    rows = outcome.data["indicators"]
    assert [row[ROW_KEY] for row in rows] == [41, 42]
    assert rows[0]["name"] == "培训人次" and rows[0]["target"] == "1000"
    assert "actual" not in rows[0]


def test_computed_values_follow_the_answers_and_a_red_light_requires_a_reason() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200")
    assert "rate" not in outcome.data and "light" not in outcome.data
    outcome = say(outcome, "120")  # 60 % after Q3: more than 10 points under 75 %
    assert outcome.data["rate"] == "0.6000" and outcome.data["light"] == "red"
    assert str(outcome.cursor) == "budget_reason"  # the computed ones are never asked
    text = shown(outcome)
    assert "执行率：60%" in text and "预算执行：🔴 红灯" in text
    assert "执行率 60%，请说明原因" in text
    assert "❗ 预算执行率亮黄灯或红灯，必须说明偏差原因。" in text
    assert "跳过" not in keyboard(outcome)  # 必须 now: no 跳过 on offer (a stale press is refused)
    refused = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert refused.problem.code == "reason_for_light" and refused.data == outcome.data
    assert "必须说明偏差原因" in shown(refused, refused.problem)


def test_a_green_light_lets_the_reason_be_skipped_until_a_change_turns_it_red() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "160")
    assert outcome.data["light"] == "green"
    assert "❗" not in shown(outcome)
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert outcome.problem is None and outcome.data["budget_reason"] is None
    assert str(outcome.cursor) == "indicators#0.actual"
    # back to 执行数: a lower figure turns the light red and the skipped reason is asked again
    outcome = Outcome(outcome.data, Cursor("spent"))
    outcome = say(outcome, "130")
    assert outcome.data["rate"] == "0.6500" and outcome.data["light"] == "yellow"
    assert str(outcome.cursor) == "budget_reason"
    outcome = say(outcome, "采购延后")
    assert str(outcome.cursor) == "indicators#0.actual"


def test_rows_ask_only_what_the_person_fills_and_show_the_target() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "160")
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    text = shown(outcome)
    for fragment in ("指标：培训人次", "符号：≥", "目标值：1000", "单位：人次", "1-9月实际完成值"):
        assert fragment in text, (fragment, text)
    assert "请输入 培训人次 的 1-9 月实际完成值" in text
    outcome = say(outcome, "800")
    assert outcome.data["indicators"][0]["achieved"] == "0.8000"
    assert str(outcome.cursor) == "indicators#0.likelihood"
    assert "完成比例：80%" in shown(outcome)
    outcome = say(outcome, "确定能")
    assert str(outcome.cursor) == "indicators#0.reasons"  # optional: may be skipped
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert str(outcome.cursor) == "indicators#1.actual"  # no reasons: no explanation asked
    # back over the row boundary: to the menu, then editing works on the fixed row
    back = form_flow.back(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert str(back.cursor) == "indicators#menu" and len(back.data["indicators"]) == 2


def test_multi_select_ticks_in_order_with_a_maximum_and_other_needs_an_explanation() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "160")
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    outcome = say(outcome, "700", "有可能")
    assert str(outcome.cursor) == "indicators#0.reasons"
    assert "❗ 完成可能性不是“确定能”，必须选择偏差原因。" in shown(outcome)
    refused = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert refused.problem.code == "reason_when_uncertain"
    done_empty = form_picks.confirm(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert done_empty.problem.code == "too_few_choices"
    outcome = tick(outcome, "其他", "经费保障", "人员保障")
    assert str(outcome.cursor) == "indicators#0.reasons"
    assert "reasons" not in outcome.data["indicators"][0]  # ticks are not the answer yet
    labels = keyboard(outcome)
    assert "✅ 经费保障" in labels and "✅ 其他" in labels and "制度保障" in labels
    assert "已选：经费保障、人员保障、其他" in shown(outcome)
    too_many = form_picks.toggle(FORM, outcome.data, outcome.cursor, 1, CONTEXT)
    assert too_many.problem.code == "too_many_choices" and too_many.data == outcome.data
    outcome = tick(outcome, "人员保障")  # untick
    outcome = form_picks.confirm(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert outcome.problem is None
    assert outcome.data["indicators"][0]["reasons"] == ["经费保障", "其他"]
    assert "picking" not in outcome.data.get("_meta", {})
    assert str(outcome.cursor) == "indicators#0.other_reason"
    assert "❗ 选择了“其他”，请写明具体原因。" in shown(outcome)
    refused = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert refused.problem.code == "explain_other"
    outcome = say(outcome, "场地改造")
    assert str(outcome.cursor) == "indicators#1.actual"


def test_multi_select_can_be_typed_by_label_or_number() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "160")
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    outcome = say(outcome, "700", "有可能")
    wrong = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "天气", CONTEXT)
    assert wrong.problem.code == "too_few_choices"
    outcome = say(outcome, "制度保障，3")
    assert outcome.data["indicators"][0]["reasons"] == ["制度保障", "人员保障"]
    assert str(outcome.cursor) == "indicators#0.other_reason"  # optional now: no 其他


def answered_to_menu() -> Outcome:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "120", "采购延后")
    outcome = say(outcome, "700", "有可能")
    outcome = tick(outcome, "经费保障")
    outcome = form_picks.confirm(FORM, outcome.data, outcome.cursor, CONTEXT)
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    outcome = say(outcome, "95", "确定能")
    return form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)


def test_a_fixed_sub_form_cannot_grow_or_shrink_and_its_menu_shows_progress() -> None:
    outcome = answered_to_menu()
    assert str(outcome.cursor) == "indicators#menu"
    added = form_rows.add_row(FORM, outcome.data, outcome.cursor, CONTEXT)
    deleted = form_rows.delete_row(FORM, outcome.data, outcome.cursor, 0, CONTEXT)
    assert added.problem.code == deleted.problem.code == "fixed_rows"
    assert added.data == deleted.data == outcome.data
    text = shown(outcome)
    assert "2/2 已填写" in text and "查看、修改或删除" not in text
    assert "培训人次（目标 ≥ 1000人次）实际 700 · 有可能 · 经费保障" in text
    labels = keyboard(outcome)
    assert "➕ 再添加一条" not in labels and "✅ 完成" in labels
    step = form_flow.describe(FORM, outcome.data, outcome.cursor, CONTEXT)
    view = DraftView(1, 1, FORM, outcome.data, outcome.cursor, CONTEXT, step)
    row = form_view.row_view(view, 0)
    row_labels = [b.text for r in row.markup.inline_keyboard for b in r]
    assert "🗑 删除此条" not in row_labels and "改目标值" not in row_labels
    assert "改1-9月实际完成值" in row_labels and "目标值：1000" in check(row)
    # a row half filled shows how far it got
    half = dict(outcome.data, indicators=[outcome.data["indicators"][0], {ROW_KEY: 42}])
    half["indicators"][1].update(name="结业率", sign="≥", target="90", unit="%", actual="80")
    assert "1/2 已填写" in shown(Outcome(half, outcome.cursor))
    assert "（已填 1/3 项）" in shown(Outcome(half, outcome.cursor))


def test_summary_shows_computed_values_and_edits_only_what_was_typed() -> None:
    outcome = answered_to_menu()
    outcome = form_rows.finish_rows(FORM, outcome.data, outcome.cursor, CONTEXT)
    assert outcome.cursor.is_summary
    text = shown(outcome)
    for fragment in (
        "1. 全年预算数（万元）：200",
        "3. 执行率：60%",
        "4. 预算执行：🔴 红灯",
        "5. 执行偏差原因：采购延后",
        "6. 绩效指标完成情况：2 条",
        "结业率（目标 ≥ 90%）实际 95 · 确定能",
    ):
        assert fragment in text, (fragment, text)
    assert keyboard(outcome)[:5] == ["1", "2", "5", "6", "✅ 确认提交"]
    computed = form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 3, CONTEXT)
    assert computed.problem.code == "not_editable" and computed.cursor.is_summary
    assert form_flow.back(FORM, outcome.data, outcome.cursor, CONTEXT).cursor.is_menu
    edit = form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 2, CONTEXT)
    assert str(edit.cursor) == "spent"
    again = say(edit, "190")  # 95 %: green; the reason already given stays
    assert again.data["light"] == "green" and again.cursor.is_summary
    back = form_flow.back(FORM, again.data, Cursor("budget_reason"), CONTEXT)
    assert str(back.cursor) == "spent"  # computed entries are stepped over going back
    checked = form_summary.confirm_check(FORM, again.data, again.cursor, CONTEXT)
    assert checked.problem is None and checked.data["rate"] == "0.9500"
    assert [row[ROW_KEY] for row in checked.data["indicators"]] == [41, 42]
    assert Decimal(checked.data["rate"]) == Decimal("190") / Decimal("200")


def test_the_final_check_refuses_a_reason_that_became_required() -> None:
    outcome = say(form_flow.start(FORM, CONTEXT), "200", "160")
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, CONTEXT)
    data = dict(outcome.data, spent="100")  # changed behind the flow's back: now red
    refused = form_summary.confirm_check(FORM, data, Cursor(None), CONTEXT)
    assert refused.problem.code == "reason_for_light"
    assert str(refused.cursor) == "budget_reason"
