"""Every button's callback data: how it is built, how it is parsed, and the handler pattern.

Buttons are stateless and may be pressed days later, so data that old messages still carry
must keep parsing. A parser returns None for anything it does not recognise (junk, an id
beyond a database integer) and the handler answers with the "old button" message.
Telegram allows 64 bytes of callback data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflow.core.numbers import MAX_ID as MAX_ID  # re-exported: the bound of every id here
from workflow.core.numbers import record_id, whole_number
from workflow.review.kinds import GOAL, UnknownKindError, kind_named, kind_with_code

MAX_CALLBACK_BYTES = 64
_id = record_id


def _fits(data: str) -> str:
    """The data itself, after checking it fits Telegram's limit."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


# --- presses outside the review machine ---

# Projects (/projects, the project card): `pj:<action>[:<argument>]`.
PROJECT_PATTERN = r"^pj:"
_PROJECT = re.compile(r"^pj:(ls|c|doc|pv|ed|new):?([0-9]{0,12})$")


@dataclass(frozen=True, slots=True)
class ProjectPress:
    """A project button: a list page, a card, its Word file or preview, edit, or new."""

    action: str  # ls (page), c (card), doc, pv (preview), ed (edit), new
    argument: int = 0  # the page for ls, the project id for c/doc/pv/ed, 0 for new

    def data(self) -> str:
        """The callback data of this press."""
        if self.action == "new":
            return "pj:new"
        return _fits(f"pj:{self.action}:{self.argument}")


def parse_project(data: str | None) -> ProjectPress | None:
    """A project press, or None for data that is not one (or names an impossible id)."""
    match = _PROJECT.match(data or "")
    if match is None:
        return None
    action, digits = match[1], match[2]
    if action == "new":
        return ProjectPress("new") if not digits else None
    if action == "ls":
        page = whole_number(digits)
        return ProjectPress("ls", page) if page is not None else None
    project_id = _id(digits)
    return ProjectPress(action, project_id) if project_id is not None else None


# Administrators (/revoke): `adm:ri:<invitation id>` revokes one pending invitation.
REVOKE_INVITATION_PREFIX = "adm:ri:"
REVOKE_INVITATION_PATTERN = r"^adm:ri:"


def revoke_invitation_data(invitation_id: int) -> str:
    """The data of the button that revokes one invitation."""
    return _fits(f"{REVOKE_INVITATION_PREFIX}{invitation_id}")


def parse_revoke_invitation(data: str | None) -> int | None:
    """The invitation id of a revoke button, or None."""
    text = data or ""
    if not text.startswith(REVOKE_INVITATION_PREFIX):
        return None
    return _id(text.removeprefix(REVOKE_INVITATION_PREFIX))


# The form runner: `fm:<draft id>:<draft version>:<action>[:<argument>]`; the version makes a
# button pressed after the form moved on recognisably stale.
FORM_PATTERN = r"^fm:"
_FORM = re.compile(r"^fm:([0-9]{1,12}):([0-9]{1,9}):([a-z]{1,2})(?::([0-9a-z_.]{1,40}))?$")


@dataclass(frozen=True, slots=True)
class FormPress:
    """A form button."""

    draft_id: int
    version: int
    action: str
    argument: str | None = None

    def data(self) -> str:
        """The callback data of this press."""
        tail = "" if self.argument is None else f":{self.argument}"
        return _fits(f"fm:{self.draft_id}:{self.version}:{self.action}{tail}")


def parse_form(data: str | None) -> FormPress | None:
    """A form press, or None."""
    match = _FORM.match(data or "")
    if match is None:
        return None
    draft_id = _id(match[1])
    if draft_id is None:
        return None
    version = whole_number(match[2])
    return FormPress(draft_id, version, match[3], match[4]) if version is not None else None


CALLBACK_LIMIT = 64  # bytes, Telegram's limit


# Tracking (/track and its cards): `tk:<action>:<argument>[:<argument>]`.
#   tk:c:<report>  card · tk:doc:<report>  跟踪表 Word · tk:fill:<report>  填报
#   tk:xt:<report>  the 跟踪表 as an Excel template · tk:ah:<project>  不定期跟踪
#   tk:op:<year>:<count>  confirm opening · tk:f:<s|t|r|u>:<project>  fund form
#   tk:sum:<year>  the year's summary as Excel
#   tk:rp:<request>  书面回复 · tk:ra|rg:<request>:<version>  认可 / 要求重新整改
#   tk:af:<reply>  the files sent with a written reply
TRACKING_PATTERN = r"^tk:"
_TRACKING = re.compile(
    r"^tk:(c|doc|fill|to|xt|ah|op|f|sum|rp|ra|rg|af):([a-z0-9]{1,12})(?::([0-9]{1,12}))?$"
)


@dataclass(frozen=True, slots=True)
class TrackingPress:
    """A tracking button: what it does, its first argument, and the second when there is one."""

    action: str
    first: str
    second: int | None = None

    def data(self) -> str:
        """The callback data of this press."""
        tail = "" if self.second is None else f":{self.second}"
        return _fits(f"tk:{self.action}:{self.first}{tail}")

    @property
    def number(self) -> int | None:
        """The first argument as an id or year, None when it is not one."""
        return _id(self.first)


def tracking(action: str, first: int | str, second: int | None = None) -> str:
    """Callback data of a tracking button."""
    return TrackingPress(action, str(first), second).data()


def parse_tracking(data: str | None) -> TrackingPress | None:
    """A tracking press, or None for junk and ids no integer column can hold."""
    match = _TRACKING.match(data or "")
    if match is None:
        return None
    second = None if match[3] is None else _id(match[3])
    if match[3] is not None and second is None:
        return None
    return TrackingPress(match[1], match[2], second)


# Self-evaluation (/evaluate and its cards): `ev:<action>:<argument>[:<argument>]`.
#   ev:c:<self-evaluation>  card · ev:fill:<self-evaluation>  填报自评表
#   ev:to:<self-evaluation>  确认接手修改 (填报 on a returned one, the edit taken over)
#   ev:xt:<self-evaluation>  the 自评表 as an Excel template · ev:doc:<self-evaluation>  Word
#   ev:op:<year>:<count>  confirm opening
#   ev:rw|rd|rx:<department>:<year>  the department report: write its narrative, Word, Excel
EVALUATION_PATTERN = r"^ev:"
_EVALUATION = re.compile(r"^ev:(c|fill|to|xt|op|doc|rw|rd|rx):([0-9]{1,12})(?::([0-9]{1,12}))?$")


@dataclass(frozen=True, slots=True)
class EvaluationPress:
    """A self-evaluation button: what it does, its id or year, and the count when confirming."""

    action: str
    number: int
    second: int | None = None

    def data(self) -> str:
        """The callback data of this press."""
        tail = "" if self.second is None else f":{self.second}"
        return _fits(f"ev:{self.action}:{self.number}{tail}")


def evaluation(action: str, number: int, second: int | None = None) -> str:
    """Callback data of a self-evaluation button."""
    return EvaluationPress(action, number, second).data()


def parse_evaluation(data: str | None) -> EvaluationPress | None:
    """A self-evaluation press, or None for junk and ids no integer column can hold."""
    match = _EVALUATION.match(data or "")
    if match is None:
        return None
    number = _id(match[2])
    second = None if match[3] is None else _id(match[3])
    if number is None or (match[3] is not None and second is None):
        return None
    return EvaluationPress(match[1], number, second)


# ─── Review buttons: rv:<action>:<item>:<version> ─────────────────────────────────────────
#
# <action> is two letters (ap approve, rt return, dt details, hi history, fm form, op open,
# ea/ec/ed expert opinions, ex invite experts, fx fix, bs/bt/bu/bc batch, is issue,
# aj adjust, ei invite one expert). <item> is the item's id, prefixed by its kind's code
# letter (`t12`); a bare id is a goal version, as on every card sent before there were
# other kinds. <version> is the row version the card showed (for a few actions a count
# or a person id). Adding a kind adds a code letter in its `ReviewKind`, nothing here.

REVIEW_PREFIX = "rv"
_REVIEW = re.compile(r"^rv:([a-z]{2}):([a-z]?)([0-9]{1,12}):([0-9]{1,12})$")


@dataclass(frozen=True, slots=True)
class ReviewPress:
    """A review button: what it does, to which item of which kind, at which row version."""

    action: str
    kind: str
    item_id: int
    version: int

    def build(self) -> str:
        """The callback data (raises ValueError when it would not fit Telegram's limit)."""
        data = (
            f"{REVIEW_PREFIX}:{self.action}:{kind_named(self.kind).ref(self.item_id)}"
            f":{self.version}"
        )
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> ReviewPress | None:
        """The press `data` names; None for anything else (another prefix, an unknown kind)."""
        match = _REVIEW.match(data or "")
        if match is None:
            return None
        action, code, item_id, version = match.groups()
        kind = kind_with_code(code)
        item, row_version = whole_number(item_id), whole_number(version)  # 0: batch actions
        if kind is None or item is None or row_version is None:
            return None
        return cls(action, kind.name, item, row_version)


def review(action: str, item_id: int, version: int, kind: str = GOAL) -> str:
    """Callback data of a review button (a goal version's unless `kind` says otherwise)."""
    return ReviewPress(action, kind, item_id, version).build()


def button_data(data: str | Mapping[str, Any]) -> str:
    """Callback data for a stored button: literal data as is, semantic data built here.

    The workflow stores review buttons semantically (`{"review": [action, kind, id,
    version]}`); outbox rows written before that carry literal callback data.
    """
    if isinstance(data, str):
        return data
    if "review" in data:
        action, kind, item_id, version = data["review"]
        try:
            return ReviewPress(str(action), str(kind), int(item_id), int(version)).build()
        except UnknownKindError:
            raise ValueError(f"button of an unregistered review kind: {kind}") from None
    if "tracking" in data:
        action, first, *second = data["tracking"]
        return tracking(str(action), str(first), int(second[0]) if second else None)
    if "evaluation" in data:
        action, number, *second = data["evaluation"]
        return evaluation(str(action), int(number), int(second[0]) if second else None)
    if "results" in data:
        action, number = data["results"]
        return results(str(action), int(number))
    raise ValueError(f"unknown button data: {data!r}")


# ─── Finance's checks: rs:d:<year>:<s<percent>|c<count>>:<n|d|a>:<seed> ──────────────────
#
# Confirms drawing the spot-check sample the preview showed (the rule travels in the button,
# so the draw is the one previewed; the seed is at most 16 characters to fit in 64 bytes).
SAMPLE_PATTERN = r"^rs:"
_SAMPLE = re.compile(
    r"^rs:d:([0-9]{4}):([sc])([0-9]{1,3}(?:\.[0-9]{1,2})?):([nda]):([A-Za-z0-9_-]{1,16})$"
)
STRATA_CODES = {"n": "none", "d": "department", "a": "amount"}
# rs:e|i|w:<selection>  财政评价 / 出具评价报告 / the report (Word) of one selected project
# rs:p:<request>  the department's rectification plan on a report
# rs:l:<project>  the budget section's linkage decision on a project
_RESULT_PRESS = re.compile(r"^rs:(e|i|w|p|l):([0-9]{1,12})$")


def results(action: str, number: int) -> str:
    """Callback data of a finance-check button on one selection or request."""
    return _fits(f"rs:{action}:{number}")


def finance_evaluation(selection_id: int) -> str:
    """Callback data of 🧮 评价 on /checks."""
    return results("e", selection_id)


def parse_results(data: str | None) -> tuple[str, int] | None:
    """(action, id) of a finance-check press, None for anything else."""
    match = _RESULT_PRESS.match(data or "")
    number = _id(match[2]) if match else None
    return (match[1], number) if match and number is not None else None


@dataclass(frozen=True, slots=True)
class SamplePress:
    """A 确认抽取 press: the year, the share in percent or the count, strata, seed."""

    year: int
    share_percent: Decimal | None
    count: int | None
    stratify: str
    seed: str

    def data(self) -> str:
        size = f"s{self.share_percent}" if self.share_percent is not None else f"c{self.count}"
        code = next(k for k, v in STRATA_CODES.items() if v == self.stratify)
        return _fits(f"rs:d:{self.year}:{size}:{code}:{self.seed}")


def parse_sample(data: str | None) -> SamplePress | None:
    """A sample press, or None for junk."""
    match = _SAMPLE.match(data or "")
    if match is None:
        return None
    share = Decimal(match[3]) if match[2] == "s" else None
    count = whole_number(match[3]) if match[2] == "c" else None
    if share is None and count is None:
        return None
    return SamplePress(int(match[1]), share, count, STRATA_CODES[match[4]], match[5])


# A person picked for a review action (转交 to a colleague, 抄送 to someone):
# `rk:<action>:<item>:<row version>:<person id>`.
REVIEW_PICK_PREFIX = "rk"
_REVIEW_PICK = re.compile(r"^rk:([a-z]{2}):([a-z]?)(\d{1,12}):(\d{1,12}):(\d{1,12})$")


@dataclass(frozen=True, slots=True)
class ReviewPick:
    """A picker button: the review action, the item and its row version, the person."""

    action: str
    kind: str
    item_id: int
    version: int
    person_id: int

    def build(self) -> str:
        ref = kind_named(self.kind).ref(self.item_id)
        data = f"{REVIEW_PICK_PREFIX}:{self.action}:{ref}:{self.version}:{self.person_id}"
        return _fits(data)

    @classmethod
    def parse(cls, data: str | None) -> ReviewPick | None:
        """The pick `data` names; None for anything else."""
        match = _REVIEW_PICK.match(data or "")
        if match is None:
            return None
        action, code, item_id, version, person_id = match.groups()
        kind = kind_with_code(code)
        numbers = (int(item_id), int(version), int(person_id))
        if kind is None or max(numbers) > MAX_ID:
            return None
        return cls(action, kind.name, *numbers)


# --- list pages that carry their search (/orgs, /projects) ---


def _clip(text: str, room: int) -> str:
    """`text` cut so that it takes at most `room` bytes of UTF-8 (whole characters)."""
    while len(text.encode()) > room:
        text = text[:-1]
    return text


# The organisation directory: `og:<page>:<search>` (the search clipped to what fits).
ORGS_PATTERN = r"^og:"
_ORGS = re.compile(r"^og:(\d{1,6}):(.*)$", re.DOTALL)


def orgs_page(page: int, search: str | None) -> str:
    """The data of a directory page button."""
    head = f"og:{page}:"
    return _fits(head + _clip(search or "", MAX_CALLBACK_BYTES - len(head.encode())))


def parse_orgs_page(data: str | None) -> tuple[int, str | None] | None:
    """(page, search or None) of a directory page button, None for anything else."""
    match = _ORGS.match(data or "")
    if match is None:
        return None
    return int(match[1]), match[2] or None


# /projects with search and filters: `pf:<view>:<page>:<status>:<year>:<stage>:<search>`,
# view l (a list page) or f (the filter menu); empty fields filter nothing.
PROJECT_LIST_PATTERN = r"^pf:"
_PROJECT_LIST = re.compile(r"^pf:([lf]):(\d{1,6}):([a-z_]{0,16}):(\d{4})?:([a-z_]{0,16}):(.*)$")


@dataclass(frozen=True, slots=True)
class ProjectListPress:
    """A /projects list or filter-menu button, carrying the filters it shows."""

    view: str  # l (list page) or f (filter menu)
    page: int = 0
    status: str | None = None
    year: int | None = None
    stage: str | None = None
    search: str | None = None

    def data(self) -> str:
        """The callback data (the search clipped to what fits)."""
        head = (
            f"pf:{self.view}:{self.page}:{self.status or ''}:{self.year or ''}:{self.stage or ''}:"
        )
        return _fits(head + _clip(self.search or "", MAX_CALLBACK_BYTES - len(head.encode())))


def parse_project_list(data: str | None) -> ProjectListPress | None:
    """A /projects list press, or None for data that is not one."""
    match = _PROJECT_LIST.match(data or "")
    if match is None:
        return None
    view, page, status, year, stage, search = match.groups()
    return ProjectListPress(
        view, int(page), status or None, int(year) if year else None, stage or None, search or None
    )


# Administrators (/revoke P<n>): `adm:rp:<person id>[:<role>:<organisation code>]` confirms
# taking the roles shown away; `adm:rn` declines.
REVOKE_ROLES_PATTERN = r"^adm:r[pn]"
_REVOKE_ROLES = re.compile(r"^adm:rp:(\d{1,12})(?::([a-z]{1,16}):(.{1,40}))?$")


def revoke_roles_data(person_id: int, role: str | None = None, code: str | None = None) -> str:
    """The data of the button that confirms revoking a person's roles."""
    tail = f":{role}:{code}" if role and code else ""
    return _fits(f"adm:rp:{person_id}{tail}")


REVOKE_DECLINED = "adm:rn"


def parse_revoke_roles(data: str | None) -> tuple[int, str | None, str | None] | None:
    """(person id, role or None, organisation code or None) of a confirmation button."""
    match = _REVOKE_ROLES.match(data or "")
    if match is None:
        return None
    person_id = _id(match[1])
    return (person_id, match[2], match[3]) if person_id is not None else None
