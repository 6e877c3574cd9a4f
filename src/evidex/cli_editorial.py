"""`evidex user ...` and `evidex article ...`: accounts and the editorial workflow, for scripting.

The command line talks to the database directly, so whoever runs it is trusted like an operator:
`--as USER` says on whose behalf an action is taken (and the workflow still checks that user's role),
and every action lands in the audit log under that name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from evidex.cli import _json_option, _library_option, _open, _print_json, _settings, err, main, out
from evidex.editorial.diff import diff
from evidex.editorial.recheck import recheck
from evidex.editorial.service import Article, EditorialError, EditorialService
from evidex.editorial.workflow import Action, Status
from evidex.models import Audience
from evidex.store.accounts import AccountError, AccountStore, Role, User
from evidex.store.library import Library


def _accounts(lib: Library) -> AccountStore:
    return AccountStore(lib.records.engine)


def _service(lib: Library, signoffs: int) -> EditorialService:
    return EditorialService(lib.records.engine, signoffs)


def _user(lib: Library, username: str) -> User:
    user = _accounts(lib).user(username)
    if user is None:
        raise click.ClickException(
            f"no user {username!r}; create one with `evidex user add {username} --role ...`"
        )
    if not user.active:
        raise click.ClickException(f"user {username!r} is disabled")
    return user


def _article_dict(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "question": article.question,
        "audience": article.audience,
        "status": article.status.value,
        "revision": article.revision,
        "current_version": article.current_version,
        "published_version": article.published_version,
        "evidence_changed": article.evidence_changed,
        "created_by": article.created_by,
        "updated_at": article.updated_at.isoformat(),
    }


def _compose(lib: Library, question: str, audience: str) -> Any:
    from evidex.answer.analysis import QuestionError
    from evidex.answer.engine import AnswerEngine

    try:
        return AnswerEngine(lib, "default").ask(question, Audience(audience))
    except QuestionError as exc:
        raise click.UsageError(str(exc)) from exc


# ------------------------------------------------------------------------------------------ users


@main.group("user")
def user_group() -> None:
    """Accounts for editors, reviewers (the medical advisory board) and admins."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default=None, help="Name shown on articles, e.g. 'Dr Jane Roe'.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_library_option
def user_add(
    username: str, role: str, display_name: str | None, password_stdin: bool, library: Path | None
) -> None:
    """Create an account (the password is asked for, or read with --password-stdin).

    \b
    Example:
      evidex user add jroe --role reviewer --name "Dr Jane Roe"
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _open(_settings(library)) as lib:
        try:
            user = _accounts(lib).create_user(username, password, Role(role), display_name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        service = _service(lib, 1)
        with lib.records.engine.begin() as conn:
            service.record(conn, "cli", "user.create", "user", user.username, role=user.role.value)
    out.print(f"created {user.username} ({user.role.value})")


@user_group.command("list")
@_library_option
@_json_option
def user_list(library: Path | None, as_json: bool) -> None:
    """List accounts with their roles."""
    with _open(_settings(library)) as lib:
        users = _accounts(lib).list_users()
    if as_json:
        _print_json(
            [
                {"username": u.username, "name": u.display_name, "role": u.role.value, "active": u.active}
                for u in users
            ]
        )
        return
    table = Table("user", "name", "role", "active")
    for u in users:
        table.add_row(u.username, u.display_name, u.role.value, "yes" if u.active else "no")
    out.print(table)


@user_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@_library_option
def user_token(username: str, name: str, library: Path | None) -> None:
    """Issue an API token (shown once; send it as `Authorization: Bearer TOKEN`)."""
    with _open(_settings(library)) as lib:
        token = _accounts(lib).issue_token(_user(lib, username), name)
        with lib.records.engine.begin() as conn:
            _service(lib, 1).record(conn, "cli", "user.token", "user", username, name=name)
    click.echo(token)


@user_group.command("disable")
@click.argument("username")
@_library_option
def user_disable(username: str, library: Path | None) -> None:
    """Disable an account: its sessions end and its tokens stop working (until enabled again)."""
    with _open(_settings(library)) as lib:
        try:
            _accounts(lib).set_active(username, False)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        with lib.records.engine.begin() as conn:
            _service(lib, 1).record(conn, "cli", "user.disable", "user", username)
    out.print(f"disabled {username}")


# --------------------------------------------------------------------------------------- articles


def _signoffs_option(func: Any) -> Any:
    return click.option(
        "--signoffs",
        type=click.IntRange(1, 20),
        default=None,
        help="Reviewer sign-offs needed for approval (default $EVIDEX_SIGNOFFS_REQUIRED or 2).",
    )(func)


@main.group("article")
def article_group() -> None:
    """Articles: answers that go through review by the medical advisory board before publication."""


@article_group.command("create")
@click.argument("question")
@click.option("--as", "username", required=True, help="The editor creating the article.")
@click.option("--audience", type=click.Choice([a.value for a in Audience]), default=Audience.CLINICIAN.value)
@_library_option
@_json_option
def article_create(question: str, username: str, audience: str, library: Path | None, as_json: bool) -> None:
    """Answer QUESTION from the library and save the answer as a draft article.

    \b
    Example:
      evidex article create "What is the treatment for genital herpes?" --as edith
    """
    with _open(_settings(library)) as lib:
        user = _user(lib, username)
        answer = _compose(lib, question, audience)
        try:
            article = _service(lib, 1).create_article(user, answer, lib.records.state())
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(_article_dict(article))
    else:
        out.print(f"created article [bold]{article.id}[/] (draft): {escape(article.question)}")


@article_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None)
@_library_option
@_json_option
def article_list(status: str | None, library: Path | None, as_json: bool) -> None:
    """Articles, newest change first, optionally of one status."""
    with _open(_settings(library)) as lib:
        articles = _service(lib, 1).articles(Status(status) if status else None)
    if as_json:
        _print_json([_article_dict(a) for a in articles])
        return
    table = Table("id", "status", "version", "published", "updated", "question")
    for a in articles:
        flag = " [yellow](evidence changed)[/]" if a.evidence_changed else ""
        table.add_row(
            a.id,
            a.status.label + flag,
            str(a.current_version),
            str(a.published_version or "—"),
            f"{a.updated_at:%Y-%m-%d %H:%M}",
            escape(a.question),
        )
    out.print(table)


@article_group.command("show")
@click.argument("article_id")
@click.option("--version", "number", type=int, default=None, help="Version number (default: current).")
@_library_option
@_json_option
def article_show(article_id: str, number: int | None, library: Path | None, as_json: bool) -> None:
    """An article's status, history, sign-offs and comments, and one version as Markdown."""
    from evidex.answer.render import render_markdown

    with _open(_settings(library)) as lib:
        service = _service(lib, 1)
        try:
            article = service.article(article_id)
            version = service.version(article_id, number)
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
        history = service.history(article_id)
        signed = service.signoffs(article_id, version.number)
        comments = service.comments(article_id, version.number)
    if as_json:
        _print_json(
            {
                **_article_dict(article),
                "version": {
                    "number": version.number,
                    "library_state": version.library_state,
                    "created_by": version.created_by,
                    "answer": version.answer.model_dump(mode="json"),
                },
                "history": [t.__dict__ for t in history],
                "signoffs": [s.__dict__ for s in signed],
                "comments": [c.__dict__ for c in comments],
            }
        )
        return
    out.print(f"[bold]{escape(article.question)}[/]  ({article.id}, revision {article.revision})")
    out.print(f"status: {article.status.label}; version {version.number} of {article.current_version}")
    if article.evidence_changed:
        out.print(f"[yellow]evidence changed:[/] {escape(article.evidence_changed)}")
    for t in history:
        note = f" — {escape(t.comment)}" if t.comment else ""
        out.print(f"  {t.at:%Y-%m-%d %H:%M} v{t.version} {t.user}: {t.action} → {t.to_status}{note}")
    for s in signed:
        out.print(f"  signed off by {escape(s.display_name)} (round {s.review_round})")
    for c in comments:
        out.print(f"  comment on claim {c.claim} by {c.user}: {escape(c.body)}")
    click.echo(render_markdown(version.answer))


@article_group.command("act")
@click.argument("article_id")
@click.argument("action", type=click.Choice([a.value for a in Action]))
@click.option("--as", "username", required=True, help="Who takes the action.")
@click.option("--comment", default="", help="Why (required for request_changes, reject and unpublish).")
@click.option("--revision", type=int, default=None, help="Refuse if the article changed since this revision.")
@_signoffs_option
@_library_option
@_json_option
def article_act(
    article_id: str,
    action: str,
    username: str,
    comment: str,
    revision: int | None,
    signoffs: int | None,
    library: Path | None,
    as_json: bool,
) -> None:
    """Take a workflow action: submit, start_review, sign_off, request_changes, reject, publish, unpublish.

    \b
    Example:
      evidex article act Xy12ab34Cd56 sign_off --as jroe --comment "Doses checked against the guideline."
    """
    settings = _settings(library, signoffs_required=signoffs)
    with _open(settings) as lib:
        user = _user(lib, username)
        try:
            article = _service(lib, settings.signoffs_required).act(
                user, article_id, Action(action), comment, revision
            )
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(_article_dict(article))
    else:
        out.print(f"{article.id}: {article.status.label} (revision {article.revision})")


@article_group.command("comment")
@click.argument("article_id")
@click.argument("claim")
@click.argument("body")
@click.option("--as", "username", required=True, help="The reviewer commenting.")
@_library_option
def article_comment(article_id: str, claim: str, body: str, username: str, library: Path | None) -> None:
    """Comment on one claim of the current version (CLAIM is section.claim, e.g. 1.2)."""
    with _open(_settings(library)) as lib:
        try:
            _service(lib, 1).comment_claim(_user(lib, username), article_id, claim, body)
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
    out.print(f"comment added to claim {claim}")


@article_group.command("new-version")
@click.argument("article_id")
@click.option("--as", "username", required=True, help="The editor writing the new version.")
@_library_option
@_json_option
def article_new_version(article_id: str, username: str, library: Path | None, as_json: bool) -> None:
    """Answer the article's question again from the library as it is now; the result goes back to draft."""
    with _open(_settings(library)) as lib:
        service = _service(lib, 1)
        user = _user(lib, username)
        try:
            current = service.article(article_id)
            answer = _compose(lib, current.question, current.audience)
            article = service.new_version(user, article_id, answer, lib.records.state(), current.revision)
            changes = diff(service.version(article_id, article.current_version - 1).answer, answer)
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json({**_article_dict(article), "diff": changes.__dict__})
        return
    out.print(f"{article.id}: version {article.current_version} (draft)")
    _print_diff(changes)


def _print_diff(changes: Any) -> None:
    if changes.empty:
        out.print("no change in claims, references or verdict")
    if changes.verdict:
        out.print(f"verdict: {changes.verdict[0]} → {changes.verdict[1]}")
    for text in changes.claims_added:
        out.print(f"[green]+ claim[/] {escape(text)}")
    for text in changes.claims_removed:
        out.print(f"[red]- claim[/] {escape(text)}")
    for text in changes.references_added:
        out.print(f"[green]+ reference[/] {escape(text)}")
    for text in changes.references_removed:
        out.print(f"[red]- reference[/] {escape(text)}")


@article_group.command("diff")
@click.argument("article_id")
@click.argument("old", type=int)
@click.argument("new", type=int)
@_library_option
@_json_option
def article_diff(article_id: str, old: int, new: int, library: Path | None, as_json: bool) -> None:
    """Claims and references added or removed between two versions."""
    with _open(_settings(library)) as lib:
        service = _service(lib, 1)
        try:
            changes = diff(service.version(article_id, old).answer, service.version(article_id, new).answer)
        except EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        _print_json(changes.__dict__)
    else:
        _print_diff(changes)


def run_recheck(lib: Library) -> list[Any]:
    """Recheck approved and published articles against the library; used after ingest too."""
    from evidex.search.retriever import Retriever
    from evidex.search.settings import RetrievalSettings

    service = _service(lib, 1)
    if not service.articles(Status.APPROVED) and not service.articles(Status.PUBLISHED):
        return []
    return recheck(service, lib, Retriever(lib, RetrievalSettings.preset("default")))


@article_group.command("recheck")
@_library_option
@_json_option
def article_recheck(library: Path | None, as_json: bool) -> None:
    """Return approved or published articles to review when their evidence changed.

    Runs after every `evidex ingest` too. An article is flagged when a cited document was updated,
    retracted or removed, or when new evidence of a stronger kind now answers its question.
    """
    with _open(_settings(library)) as lib:
        flags = run_recheck(lib)
    if as_json:
        _print_json([flag.__dict__ for flag in flags])
        return
    if not flags:
        out.print("no approved or published article has changed evidence")
    for flag in flags:
        out.print(f"[yellow]returned to review[/] {flag.article_id}: {escape(flag.question)}")
        for reason in flag.reasons:
            out.print(f"  - {escape(reason)}")


@article_group.command("audit")
@click.argument("object_id", required=False)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@_library_option
@_json_option
def article_audit(object_id: str | None, limit: int, library: Path | None, as_json: bool) -> None:
    """The append-only audit log, newest first (all of it, or one article's or user's)."""
    with _open(_settings(library)) as lib:
        entries = _service(lib, 1).audit(object_id, limit)
    if as_json:
        _print_json(entries)
        return
    for e in entries:
        out.print(
            f"{e['at']:%Y-%m-%d %H:%M:%S} {e['actor']} {e['action']} {e['object_type']}:{e['object_id']}"
        )


__all__ = ["article_group", "err", "run_recheck", "user_group"]
