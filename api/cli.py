"""``platecut serve``, ``platecut token create/list/revoke`` and ``platecut db upgrade``, registered under
``platecut.commands``."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import click
from pydantic_core import PydanticCustomError

from api.config import Settings
from api.validation import check_slug

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from api.auth.models import ApiToken
    from api.db.unit_of_work import UnitOfWork

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _slug(_ctx: click.Context, param: click.Parameter, value: str | tuple[str, ...] | None) -> object:
    values = value if isinstance(value, tuple) else (value,)
    for item in values:
        if item is None:
            continue
        try:
            check_slug(item)
        except PydanticCustomError as exc:
            raise click.BadParameter(f"{item!r}: {exc.message()}", param=param) from exc
    return value


def _migrate_if_embedded(settings: Settings, force: bool = False) -> None:
    from api.db.migrate import upgrade

    if settings.embedded_database or force:
        upgrade(settings.resolved_database_url())


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--migrate/--no-migrate", default=None,
              help="Apply database migrations first (default: only for the embedded SQLite).")
def serve(host: str, port: int, workers: int, migrate: bool | None) -> None:
    """Run the HTTP API (embedded default: SQLite and files under ./platecut-data)."""
    import uvicorn

    from api.observability.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    if migrate is not False:
        _migrate_if_embedded(settings, force=bool(migrate))
    if "PLATECUT_PUBLIC_URL" not in os.environ:  # presigned disk URLs must point at this server
        shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
        os.environ["PLATECUT_PUBLIC_URL"] = f"http://{shown}:{port}"
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False, proxy_headers=True)


@click.group()
def token() -> None:
    """API tokens."""


@contextmanager
def _database_unit_of_work() -> Iterator[UnitOfWork]:
    """A unit of work on the configured database (the embedded one migrated first)."""
    from api.db.engine import make_engine, make_session_factory
    from api.db.unit_of_work import unit_of_work

    settings = Settings()
    _migrate_if_embedded(settings)
    engine = make_engine(settings.resolved_database_url())
    try:
        with unit_of_work(make_session_factory(engine)) as uow:
            yield uow
    finally:
        engine.dispose()


@token.command("create")
@click.option("--site", required=True, callback=_slug, help="Site (created when missing).")
@click.option("--project", "projects", multiple=True, callback=_slug,
              help="Limit the token to this project (repeatable; created when missing).")
@click.option("--admin", is_flag=True, help="The token may create, list and revoke tokens, and create "
              "projects.")
@click.option("--name", default="", help="What the token is for.")
def create(site: str, projects: tuple[str, ...], admin: bool, name: str) -> None:
    """Create a token and print it, once: only its SHA-256 is kept."""
    from api.auth.service import create_token

    with _database_unit_of_work() as uow:
        issued = create_token(uow.session, site, projects, admin, name)
    scope = ", ".join(projects) if projects else "all projects"
    click.echo(f"site {site}, {scope}{', admin' if admin else ''}; keep it now, it is not shown again:",
               err=True)
    click.echo(issued.token)


@token.command("list")
@click.option("--site", default=None, callback=_slug, help="Only this site's tokens.")
def list_tokens(site: str | None) -> None:
    """List tokens (revoked ones included): id, prefix, scope, dates. Never a secret."""
    from api.auth.repository import tokens_by_site_name

    with _database_unit_of_work() as uow:
        table = _tokens_table(tokens_by_site_name(uow.session, site))
    _console().print(table)


@token.command("revoke")
@click.argument("token_id", type=click.UUID)
def revoke(token_id: uuid.UUID) -> None:
    """Revoke the token TOKEN_ID: refused from now on (running API processes may still accept it for
    up to PLATECUT_AUTH_CACHE_SECONDS). Revoking it again changes nothing."""
    from api.auth.service import revoke_token
    from api.errors import NotFound
    from jobs.errors import InputMissingError

    try:
        with _database_unit_of_work() as uow:
            row = revoke_token(uow.session, token_id)
            revoked_at, prefix = row.revoked_at, row.prefix
    except NotFound as exc:
        raise InputMissingError(f"no token {token_id}") from exc
    click.echo(f"token {token_id} ({prefix}...) revoked at {_when(revoked_at)} UTC")


def _tokens_table(rows: Sequence[ApiToken]) -> Table:
    from rich.table import Table

    table = Table("id", "site", "name", "prefix", "projects", "admin", "created", "last used", "revoked",
                  title="tokens (times in UTC)")
    for row in rows:
        projects = ", ".join(sorted(p.name for p in row.projects)) or "all"
        table.add_row(str(row.id), row.site.name, row.name, row.prefix, projects,
                      "yes" if row.is_admin else "", _when(row.created_at), _when(row.last_used_at),
                      _when(row.revoked_at))
    return table


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _console() -> Console:
    """Piped into a file or another program, tables keep whole ids and names."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied (the Helm hook Job runs this before an upgrade)."""
    from api.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.resolved_database_url())
    click.echo("database schema is up to date", err=True)


@click.group()
def drop() -> None:
    """Drop folders: files written under the drop prefix become plates."""


@drop.command("notify")
@click.option("--target", default="platecut", show_default=True,
              help="The id of MinIO's webhook target (MINIO_NOTIFY_WEBHOOK_ENABLE_<ID>).")
@click.option("--arn", default=None, help="The target's ARN (default arn:minio:sqs::<target>:webhook).")
def drop_notify(target: str, arn: str | None) -> None:
    """Have MinIO notify the API of every object created under the drop prefix of the bucket
    (PLATECUT_S3_* and PLATECUT_DROP_PREFIX), through its webhook target."""
    from api.integrations.s3.minio_notify import set_drop_notification, webhook_arn

    settings = Settings()
    s3 = settings.s3
    if settings.storage != "s3" or not s3.endpoint:
        raise click.UsageError("drop notifications need PLATECUT_STORAGE=s3 and PLATECUT_S3_ENDPOINT (MinIO)")
    secret = s3.secret_access_key.get_secret_value() if s3.secret_access_key else None
    config = set_drop_notification(s3.endpoint, s3.access_key_id, secret, s3.bucket,
                                   arn or webhook_arn(target), settings.drop.prefix, s3.region)
    click.echo(f"bucket {s3.bucket}: objects created under {settings.drop.prefix} are sent to "
               f"{config.queue_config_list[-1].queue}", err=True)
