"""/help lists exactly what my roles allow, for every command of the menu (commands.txt)."""

from __future__ import annotations

import pytest

from bot.handlers.people.start import allowed_commands
from bot.ui.commands import entries
from storage.models import Role
from workflow.core.access import Action, Actor

# Commands every registered person may use: no [action] tag. Any other command needs a tag,
# so that /help cannot offer it to someone the workflow would refuse.
OPEN = {"start", "help", "me", "cancel"}
DEPARTMENT_WORK = {
    "new",
    "projects",
    "resume",
    "deadlines",
    "todo",
    "adjust",
    "disclosure",
    "resultsdisclosure",
    "track",
    "evaluate",
    "evalreport",
}
FINANCE_WORK = {
    "projects",
    "resume",
    "deadlines",
    "todo",
    "disclosure",
    "resultsdisclosure",
    "track",
    "tracksummary",
    "evalsummary",
    "evaluate",
    "evalreport",
}
# /stats: a head sees their department's figures; finance its scope. Staff see no figures.
STATS = {"stats"}
EXPECTED: dict[Role, set[str]] = {
    Role.staff: OPEN | DEPARTMENT_WORK,
    Role.head: OPEN | DEPARTMENT_WORK | STATS,
    Role.business: OPEN | FINANCE_WORK | STATS | {"orgs"},
    Role.performance: OPEN
    | FINANCE_WORK
    | STATS
    | {"opentracking", "adhoc", "openevaluation", "sample", "select", "checks", "orgs"},
    Role.budget: OPEN
    | FINANCE_WORK
    | STATS
    | {"budget", "issue", "calendar", "funds", "linkage", "orgs"},
    # Experts see the key projects they are granted, give opinions from /todo in a form.
    Role.expert: OPEN | {"projects", "resume", "deadlines", "todo"},
    # The administrator sets the bureau up and takes part in none of its work.
    Role.admin: OPEN
    | {
        "invite",
        "users",
        "revoke",
        "calendar",
        "opentracking",
        "openevaluation",
        "orgs",
    },
}


def _shown(actor: Actor | None) -> set[str]:
    return {command for command, _ in allowed_commands(actor)}


@pytest.mark.parametrize("role", list(Role))
def test_help_lists_what_the_role_may_do(role: Role) -> None:
    actor = Actor(person_id=1, name="某人", roles=frozenset({(role, 10)}))
    assert _shown(actor) == EXPECTED[role]


def test_every_command_is_open_or_tagged_with_its_action() -> None:
    for command, _description, action in entries():
        assert (command in OPEN) == (action is None), command
        if action is not None:
            Action(action)  # a known action


def test_several_roles_show_everything_each_allows() -> None:
    both = Actor(person_id=1, name="某人", roles=frozenset({(Role.staff, 10), (Role.admin, 4)}))
    assert _shown(both) == EXPECTED[Role.staff] | EXPECTED[Role.admin]


def test_a_guest_sees_only_how_to_start() -> None:
    assert _shown(None) == {"start", "help"}  # anything else gets "ask your administrator"


def test_staff_see_todo_for_what_they_do_there_not_as_reviewers() -> None:
    staff = Actor(person_id=1, name="某人", roles=frozenset({(Role.staff, 10)}))
    described = dict(allowed_commands(staff))
    assert "退回待修改" in described["todo"]  # staff fix returned items there; they review none
