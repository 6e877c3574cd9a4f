"""The review workflow as data: statuses, actions, who may take each action and where it leads.

    draft → submitted → under_review → approved → published
    submit: draft or changes_requested → submitted            (editor)
    start_review: submitted → under_review                     (reviewer)
    sign_off: under_review → approved once N reviewers signed  (reviewer)
    request_changes / reject: under_review → changes_requested / rejected   (reviewer, with a comment)
    publish: approved → published; unpublish: published → approved         (editor)
    new version: any status but under_review → draft           (editor)

Approval needs `signoffs_required` distinct reviewers, none of them the author of the version under
review. A change of evidence returns an approved or published article to `submitted` with a new review
round (earlier sign-offs no longer count). Readers see only the published version.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evidex.store.accounts import Role


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Submitted",
    Status.UNDER_REVIEW: "Under review",
    Status.CHANGES_REQUESTED: "Changes requested",
    Status.APPROVED: "Approved by the Medical Advisory Board",
    Status.REJECTED: "Rejected",
    Status.PUBLISHED: "Published",
}


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    SIGN_OFF = "sign_off"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    needs_comment: bool = False


EDITORS = frozenset({Role.EDITOR, Role.ADMIN})
REVIEWERS = frozenset({Role.REVIEWER, Role.ADMIN})

RULES: dict[Action, Rule] = {
    Action.SUBMIT: Rule(frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}), Status.SUBMITTED, EDITORS),
    Action.START_REVIEW: Rule(frozenset({Status.SUBMITTED}), Status.UNDER_REVIEW, REVIEWERS),
    # sign_off stays under review until enough reviewers have signed; the service moves it to approved
    Action.SIGN_OFF: Rule(frozenset({Status.UNDER_REVIEW}), Status.APPROVED, REVIEWERS),
    Action.REQUEST_CHANGES: Rule(
        frozenset({Status.UNDER_REVIEW}), Status.CHANGES_REQUESTED, REVIEWERS, needs_comment=True
    ),
    Action.REJECT: Rule(frozenset({Status.UNDER_REVIEW}), Status.REJECTED, REVIEWERS, needs_comment=True),
    Action.PUBLISH: Rule(frozenset({Status.APPROVED}), Status.PUBLISHED, EDITORS),
    Action.UNPUBLISH: Rule(frozenset({Status.PUBLISHED}), Status.APPROVED, EDITORS, needs_comment=True),
}

NEW_VERSION_FROM = frozenset(set(Status) - {Status.UNDER_REVIEW})


def allowed_actions(status: Status, role: Role) -> list[Action]:
    """What a user with `role` may do to an article in `status` (for buttons and the API)."""
    return [action for action, rule in RULES.items() if status in rule.sources and role in rule.roles]
