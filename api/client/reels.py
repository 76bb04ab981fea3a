"""``platecut reels`` and ``platecut changes``: turnovers and what changed between them."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from api.client.commands import api_option, console, open_client, token_option

CATEGORY_STYLES = {"new": "green", "omitted": "red", "reinstated": "cyan", "cut_change": "yellow",
                   "rescan": "bold magenta", "unchanged": "dim", "repeated": "blue"}


@click.command("reels")
@click.option("--project", help="Only this project's reels")
@click.option("--reel", help="With --project: this reel's versions, newest first")
@api_option
@token_option
def reels(project: str | None, reel: str | None, api_url: str | None, token: str | None) -> None:
    """List reels and their newest version, or one reel's versions."""
    if reel is not None and project is None:
        raise click.UsageError("--reel needs --project")
    with open_client(api_url, token) as client:
        if reel is not None:
            body = client.call("GET", f"/reels/{reel}/versions", params={"project": project})
            console.print(_versions_table(body))
            return
        body = client.call("GET", "/reels", params={"project": project} if project else None)
    table = Table("project", "reel", "versions", "newest", "newest plate", "declared", title="reels")
    for r in body["items"]:
        table.add_row(r["project"], r["reel"], str(r["versions"]), f"v{r['latest_version']:02d}",
                      r["latest_plate_id"], r["updated_at"][:19].replace("T", " "))
    console.print(table)


def _versions_table(body: dict[str, Any]) -> Table:
    table = Table("version", "plate", "name", "state", "cuts", "declared",
                  title=f"{body['project']} / {body['reel']}")
    for v in body["items"]:
        table.add_row(f"v{v['version']:02d}", v["plate_id"], v["name"], v["state"], str(v["cuts"]),
                      v["created_at"][:19].replace("T", " "))
    return table


@click.command("changes")
@click.argument("plate_id")
@click.option("--against", help="The plate to compare with (default: the reel's previous version)")
@click.option("--csv", "as_csv", is_flag=True, help="Print the report as CSV")
@api_option
@token_option
def changes(plate_id: str, against: str | None, as_csv: bool, api_url: str | None, token: str | None) -> None:
    """What changed in PLATE's cut since the previous version of its reel, shot by shot."""
    params = {"against": against} if against else None
    with open_client(api_url, token) as client:
        if as_csv:
            click.echo(client.call_text("GET", f"/plates/{plate_id}/changes.csv", params=params), nl=False)
            return
        report = client.call("GET", f"/plates/{plate_id}/changes", params=params)
    console.print(changes_table(report))
    counts = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in report["counts"].items() if n)
    console.print(counts or "no shots", highlight=False)


def changes_table(report: dict[str, Any]) -> Table:
    old = f"v{report['against_version']:02d}" if report.get("against_version") else "none"
    new = f"v{report['version']:02d}" if report.get("version") else "this plate"
    table = Table("shot", "change", "moved", f"{old} cut", f"{new} cut", "head", "tail", "frames",
                  "matched by", title=f"{report.get('reel') or 'plate'}: {old} -> {new}")
    for row in report["items"]:
        style = CATEGORY_STYLES.get(row["category"], "")
        table.add_row(row["name"], f"[{style}]{row['category'].replace('_', ' ')}[/]",
                      "yes" if row["reordered"] else "", _cut(row["old"]), _cut(row["new"]),
                      _delta(row["head_delta"]), _delta(row["tail_delta"]), _delta(row["duration_delta"]),
                      row["matched_by"] or "")
    return table


def _cut(side: dict[str, Any] | None) -> str:
    return "" if side is None else f"#{side['cut']} ({side['duration']} fr)"


def _delta(value: int | None) -> str:
    return "" if value is None or value == 0 else f"{value:+d}"
