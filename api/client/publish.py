"""``platecut publish PLATE --to kitsu|shotgrid``: a plate's cuts into the studio's tracker, and
``--history``: what was published where, when, by whom."""

from __future__ import annotations

from typing import Any

import click
import httpx
from rich.table import Table

from api.client.commands import api_option, console, open_client, token_option, user_error
from api.client.session import ApiError

TRACKERS = ("kitsu", "shotgrid")
RETRIED = ("tracker_unavailable", "tracker_refused")  # recorded, and retried by the server
STATE_STYLES = {"succeeded": "green", "retrying": "yellow", "gave_up": "red", "queued": "cyan"}
# a long reel with its thumbnails takes minutes: the API answers once the tracker has everything
PUBLISH_TIMEOUT_SECONDS = 1800.0


@click.command("publish")
@click.argument("plate_id")
@click.option("--to", "tracker", type=click.Choice(TRACKERS), help="The tracker to publish to")
@click.option("--history", is_flag=True, help="Print the plate's publish history instead")
@api_option
@token_option
def publish(plate_id: str, tracker: str | None, history: bool, api_url: str | None,
            token: str | None) -> None:
    """Publish PLATE's cuts as shots of the tracker (Kitsu or Flow Production Tracking): created,
    updated, unchanged and omitted shots are listed. A tracker that is down or refuses is retried by
    the server later (exit 75, the retry's time printed)."""
    if history == (tracker is not None):
        raise click.UsageError("give --to TRACKER, or --history")
    with open_client(api_url, token) as client:
        if history:
            console.print(history_table(client.call("GET", f"/plates/{plate_id}/publishes")))
            return
        client.http.timeout = httpx.Timeout(PUBLISH_TIMEOUT_SECONDS, connect=10.0)
        try:
            body = client.call("POST", f"/plates/{plate_id}/publish/{tracker}")
        except ApiError as exc:
            if exc.code not in RETRIED:
                raise
            latest = client.call("GET", f"/plates/{plate_id}/publishes")["items"][0]
            when = _time(latest["next_attempt_at"])
            raise user_error(ApiError(exc.status, exc.code, exc.message + (
                f" The server tries again at {when} UTC." if when else " The server gave up."))) from exc
    console.print(shots_table(body))
    console.print(summary(body["result"]), highlight=False)


def shots_table(publish: dict[str, Any]) -> Table:
    result = publish["result"]
    table = Table("shot", "change", title=f"{publish['tracker']}: {result['project']} / {result['reel']}"
                  + (f" v{result['version']:02d}" if result["version"] else ""))
    for change in ("created", "updated", "omitted", "unchanged"):
        for name in sorted(result[change]):
            table.add_row(name, change)
    return table


def summary(result: dict[str, Any]) -> str:
    return (f"{len(result['created'])} created, {len(result['updated'])} updated, "
            f"{len(result['omitted'])} omitted, {len(result['unchanged'])} unchanged; "
            f"{result['thumbnails']} thumbnails, {result['api_calls']} requests to the tracker")


def history_table(body: dict[str, Any]) -> Table:
    table = Table("asked", "tracker", "by", "cut version", "state", "attempts", "next attempt", "last error",
                  "shots", title="publish history")
    for p in body["items"]:
        result = p["result"]
        shots = "/".join(str(len(result[k])) for k in ("created", "updated", "omitted")) if result else ""
        style = STATE_STYLES.get(p["state"], "")
        table.add_row(_time(p["created_at"]), p["tracker"], p["requested_by"] or "automatic",
                      str(p["cut_version"] or ""), f"[{style}]{p['state']}[/]", str(p["attempts"]),
                      _time(p["next_attempt_at"]), p["last_error"] or "", shots)
    table.caption = "shots: created/updated/omitted"
    return table


def _time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")
