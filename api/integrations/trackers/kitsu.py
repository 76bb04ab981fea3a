"""Kitsu through gazu: a publish is one sign-in, one listing of the project's sequences and one of
its shots, then one request per shot that is new, changed or newly omitted (nothing else).

Thumbnails: a shot's picture in Kitsu is the main preview of one of its tasks. The cut's thumbnail
goes to the shot's task of the site's preview task type (``PLATECUT_KITSU_PREVIEW_TASK_TYPE``, made for
every shot lacking one in one request), as a comment that keeps the task's status, a preview on it,
and that preview made the shot's main one: four requests, plus one to record the picture's SHA-256 in
the shot's data, only for a shot whose picture is new or changed.

Each tracker has a gazu client of its own (never gazu's module-wide one), pointed at Zou's root as
configured (Kitsu's nginx serves it under ``/api``; a bare Zou has no prefix). The password is passed
to gazu's sign-in only; it is never logged nor put in an error.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gazu
import requests
from gazu import client as raw
from gazu.exception import (
    AuthFailedException,
    GazuException,
    NotAllowedException,
    NotAuthenticatedException,
    ServerErrorException,
)

from api.integrations.trackers.base import (
    PublishedShot,
    PublishRequest,
    PublishResult,
    TrackerRefused,
    TrackerUnavailable,
)

log = logging.getLogger(__name__)
OMITTED_KEY = "omitted_in_version"  # set in an omitted shot's data; removed when it comes back
ACTIVE_STATUS = "running"  # Kitsu's entity status of a shot in the cut
THUMBNAIL_KEY = "thumbnail_sha256"  # in a shot's data: the picture its main preview holds
Picture = tuple[dict[str, Any], PublishedShot]
# pictures sent at once: Zou makes each one's thumbnails in the request (its CPU, not the network, is
# the limit); measured on a 2-core machine with Zou's 2 workers in bench/tracker_publish.py
PREVIEW_CONCURRENCY = 4  # a Kitsu shot, and the cut whose thumbnail it needs


class KitsuTracker:
    name = "kitsu"

    def __init__(self, url: str, email: str, password: str, timeout_seconds: float = 10.0, *,
                 preview_task_type: str = "Edit") -> None:
        self.url = url.rstrip("/")
        self._email = email
        self._password = password
        self.timeout_seconds = timeout_seconds
        self.preview_task_type = preview_task_type

    def __repr__(self) -> str:  # no credentials in any log line or traceback
        return f"KitsuTracker({self.url!r})"

    def publish(self, request: PublishRequest) -> PublishResult:
        result = PublishResult()
        client = self._client(result)
        try:
            self._log_in(client)
            self._publish(client, request, result)
        except requests.RequestException as error:
            raise TrackerUnavailable(f"Kitsu at {self.url} did not answer: {type(error).__name__}") from None
        except ServerErrorException:
            raise TrackerUnavailable(f"Kitsu at {self.url} failed (server error).") from None
        except (AuthFailedException, NotAuthenticatedException, NotAllowedException) as error:
            raise TrackerRefused(f"Kitsu at {self.url} refused platecut's user: {type(error).__name__}.") \
                from None
        except GazuException as error:
            raise TrackerRefused(f"Kitsu at {self.url} refused a request: {type(error).__name__}.") from None
        finally:
            client.session.close()
        return result

    def _client(self, result: PublishResult) -> raw.KitsuClient:
        client = raw.create_client(self.url)

        counting = threading.Lock()  # the pictures go up from several threads

        def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            with counting:
                result.api_calls += 1

        client.session.hooks["response"].append(count)
        client.session.request = functools.partial(  # type: ignore[method-assign]
            client.session.request, timeout=self.timeout_seconds)
        return client

    def _log_in(self, client: raw.KitsuClient) -> None:
        try:
            gazu.log_in(self._email, self._password, client=client)  # type: ignore[no-untyped-call]
        except (ServerErrorException, requests.RequestException):
            raise
        except GazuException:
            raise TrackerRefused(f"Kitsu at {self.url} refused platecut's credentials "
                                 "(PLATECUT_KITSU_EMAIL, PLATECUT_KITSU_PASSWORD).") from None

    def _publish(self, client: raw.KitsuClient, request: PublishRequest, result: PublishResult) -> None:
        project = gazu.project.get_project_by_name(request.project, client=client)
        if project is None:
            project = gazu.project.new_project(request.project, production_type="short", client=client)
        result.project_id = project["id"]
        sequences = {s["name"]: s for s in gazu.shot.all_sequences_for_project(project, client=client)}
        shots = {(_parent(s), s["name"]): s for s in _all_shots(project, client)}
        wanted: set[str] = set()
        pictures: list[Picture] = []
        for shot in request.shots:
            sequence = sequences.get(shot.sequence)
            if sequence is None:
                sequence = raw.post(f"data/projects/{project['id']}/sequences", {"name": shot.sequence},
                                    client=client)
                sequences[shot.sequence] = sequence
            wanted.add(sequence["id"] + "/" + shot.name)
            data = {**shot.data, "frame_in": shot.frame_in, "frame_out": shot.frame_out}
            existing = shots.get((sequence["id"], shot.name))
            if existing is None:  # the listing said so: no get_shot_by_name first, as new_shot does
                made = raw.post(f"data/projects/{project['id']}/shots",
                                {"name": shot.name, "sequence_id": sequence["id"],
                                 "nb_frames": shot.nb_frames, "data": data}, client=client)
                result.created.append(shot.name)
                if shot.thumbnail is not None:
                    pictures.append((made, shot))
                continue
            old = existing.get("data") or {}
            if shot.thumbnail is not None and old.get(THUMBNAIL_KEY) != shot.thumbnail_sha256:
                pictures.append((existing, shot))
            merged = {key: value for key, value in {**old, **data}.items() if key != OMITTED_KEY}
            changes: dict[str, Any] = {}
            if merged != old:
                changes["data"] = merged
            if existing.get("nb_frames") != shot.nb_frames:
                changes["nb_frames"] = shot.nb_frames
            if existing.get("status", ACTIVE_STATUS) != ACTIVE_STATUS and OMITTED_KEY in old:
                changes["status"] = ACTIVE_STATUS  # reinstated
            if changes:
                raw.put(f"data/entities/{existing['id']}", changes, client=client)
                existing["data"] = changes.get("data", old)
                result.updated.append(shot.name)
            else:
                result.unchanged.append(shot.name)
        self._omit(client, request, shots, wanted, result)
        if pictures:
            self._previews(client, project, request, pictures, result)

    def _omit(self, client: raw.KitsuClient, request: PublishRequest, shots: dict[tuple[str, str], Any],
              wanted: set[str], result: PublishResult) -> None:
        """The shots of the reel this version lacks: the omitted status (their frames are kept)."""
        for existing in shots.values():
            old = existing.get("data") or {}
            if (old.get("reel") != request.reel or _parent(existing) + "/" + existing["name"] in wanted
                    or (OMITTED_KEY in old and existing.get("status") == request.omitted_status)):
                continue
            changes = {"status": request.omitted_status,
                       "data": {**old, OMITTED_KEY: old.get(OMITTED_KEY, request.version)}}
            raw.put(f"data/entities/{existing['id']}", changes, client=client)
            result.omitted.append(existing["name"])

    def _previews(self, client: raw.KitsuClient, project: dict[str, Any], request: PublishRequest,
                  pictures: list[Picture], result: PublishResult) -> None:
        """Each picture as the main preview of its shot's task of the preview task type."""
        task_type = gazu.task.get_task_type_by_name(self.preview_task_type, client=client)
        if task_type is None:
            raise TrackerRefused(f"Kitsu at {self.url} has no task type {self.preview_task_type!r} "
                                 "(PLATECUT_KITSU_PREVIEW_TASK_TYPE) for the thumbnails.")
        tasks = self._tasks(client, project, task_type, [shot for shot, _ in pictures])
        comment = f"platecut: {request.reel}" + (f" v{request.version:02d}" if request.version else "")
        with tempfile.TemporaryDirectory(prefix="platecut-kitsu-") as folder, \
                ThreadPoolExecutor(PREVIEW_CONCURRENCY, thread_name_prefix="kitsu-preview") as pool:
            sent = pool.map(lambda picture: self._preview(client, Path(folder), tasks, comment, *picture),
                            pictures)
            result.thumbnails += sum(sent)  # the first failure is raised here, the rest still finish

    @staticmethod
    def _preview(client: raw.KitsuClient, folder: Path, tasks: dict[str, dict[str, Any]], comment: str,
                 shot: dict[str, Any], cut: PublishedShot) -> bool:
        """One shot's picture: a comment keeping its task's status, a preview on it, that preview the
        main one, and its SHA-256 in the shot's data (last: a failure before leaves it to do again)."""
        picture = cut.thumbnail() if cut.thumbnail is not None else None
        if picture is None:
            return False
        path = folder / f"{shot['id']}.jpg"
        path.write_bytes(picture)
        task = tasks[shot["id"]]
        note = raw.post(f"actions/tasks/{task['id']}/comment",
                        {"task_status_id": task["task_status_id"], "comment": comment}, client=client)
        preview = gazu.task.create_preview(task, note, client=client)
        gazu.task.upload_preview_file(preview, str(path), no_job=True, client=client)
        raw.put(f"actions/preview-files/{preview['id']}/set-main-preview", {}, client=client)
        data = {**(shot.get("data") or {}), THUMBNAIL_KEY: cut.thumbnail_sha256}
        raw.put(f"data/entities/{shot['id']}", {"data": data}, client=client)
        return True

    def _tasks(self, client: raw.KitsuClient, project: dict[str, Any], task_type: dict[str, Any],
               shots: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Each shot's task of ``task_type``: listed in one request, the missing ones made in one."""
        listed = raw.fetch_all("tasks", {"project_id": project["id"], "task_type_id": task_type["id"]},
                               client=client)
        tasks = {task["entity_id"]: task for task in listed}
        missing = [shot["id"] for shot in shots if shot["id"] not in tasks]
        if missing:
            route = f"actions/projects/{project['id']}/task-types/{task_type['id']}/shots/create-tasks"
            made = raw.post(route, missing, client=client)
            tasks.update({task["entity_id"]: task for task in made})
        return tasks


def _all_shots(project: dict[str, Any], client: raw.KitsuClient) -> list[dict[str, Any]]:
    shots: list[dict[str, Any]] = raw.fetch_all(f"projects/{project['id']}/shots", client=client)
    return shots


def _parent(shot: dict[str, Any]) -> str:
    parent: str = shot.get("sequence_id") or shot["parent_id"]
    return parent

