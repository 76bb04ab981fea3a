"""Kitsu through gazu: a publish is one sign-in, one listing of the project's sequences and one of
its shots, then one request per shot that is new, changed or newly omitted (nothing else).

Each tracker has a gazu client of its own (never gazu's module-wide one), pointed at Zou's root as
configured (Kitsu's nginx serves it under ``/api``; a bare Zou has no prefix). The password is passed
to gazu's sign-in only; it is never logged nor put in an error.
"""

from __future__ import annotations

import functools
import logging
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
    PublishRequest,
    PublishResult,
    TrackerRefused,
    TrackerUnavailable,
)

log = logging.getLogger(__name__)
OMITTED_KEY = "omitted_in_version"  # set in an omitted shot's data; removed when it comes back
ACTIVE_STATUS = "running"  # Kitsu's entity status of a shot in the cut


class KitsuTracker:
    name = "kitsu"

    def __init__(self, url: str, email: str, password: str, timeout_seconds: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._email = email
        self._password = password
        self.timeout_seconds = timeout_seconds

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

        def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
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
                raw.post(f"data/projects/{project['id']}/shots",
                         {"name": shot.name, "sequence_id": sequence["id"], "nb_frames": shot.nb_frames,
                          "data": data}, client=client)
                result.created.append(shot.name)
                continue
            old = existing.get("data") or {}
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
                result.updated.append(shot.name)
            else:
                result.unchanged.append(shot.name)
        for existing in shots.values():
            old = existing.get("data") or {}
            if (old.get("reel") != request.reel or _parent(existing) + "/" + existing["name"] in wanted
                    or (OMITTED_KEY in old and existing.get("status") == request.omitted_status)):
                continue
            changes = {"status": request.omitted_status,
                       "data": {**old, OMITTED_KEY: old.get(OMITTED_KEY, request.version)}}
            raw.put(f"data/entities/{existing['id']}", changes, client=client)
            result.omitted.append(existing["name"])


def _all_shots(project: dict[str, Any], client: raw.KitsuClient) -> list[dict[str, Any]]:
    shots: list[dict[str, Any]] = raw.fetch_all(f"projects/{project['id']}/shots", client=client)
    return shots


def _parent(shot: dict[str, Any]) -> str:
    parent: str = shot.get("sequence_id") or shot["parent_id"]
    return parent


def connect(url: str, email: str, password: str, timeout_seconds: float) -> KitsuTracker:
    return KitsuTracker(url, email, password, timeout_seconds)
