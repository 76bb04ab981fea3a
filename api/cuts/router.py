"""/api/v1/plates/{id}/cuts and the plate's outputs: listings and presigned download URLs.

Download routes answer ``302`` to a presigned URL, or ``{"url": ...}`` with ``?redirect=false``. The review
files (``/review/proxy``, ``/review/scores``, ``/review/strips/{sheet}``) are what the manifest's ``review``
lists.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import RedirectResponse

from api.auth.dependencies import CurrentPrincipal
from api.cuts import service
from api.cuts.models import OutputKind
from api.cuts.schemas import CutList, CutOut, DownloadUrl
from api.db.unit_of_work import DbSession
from api.dependencies import SettingsDep, StorageDep
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}", tags=["cuts"])

Redirect = Annotated[bool, Query(description="false: answer JSON {url} instead of a 302")]
MAX_INDEX = 2**31 - 1  # the column's range (INTEGER); a larger index overflowed SQLite's driver: a 500
DOWNLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    302: {"description": "Redirect to a presigned URL (default)"},
    200: {"model": DownloadUrl, "description": "With `?redirect=false`"},
}


def _answer(download: service.Download, redirect: bool) -> Response:
    if redirect:
        return RedirectResponse(download.url, status_code=302)
    body = DownloadUrl(url=download.url, expires_in=download.expires_in, filename=download.filename)
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/cuts", response_model=CutList)
def list_cuts(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> CutList:
    """The plate's cuts in order (empty until its split succeeded)."""
    return CutList(items=[CutOut.of(c) for c in service.list_cuts(session, principal, plate_id)])


@router.get("/cuts/{index}/{what}", responses=DOWNLOAD_RESPONSES, response_class=Response,
            summary="Download a cut's media or thumbnail")
def cut_file(plate_id: uuid.UUID, index: Annotated[int, Path(ge=1, le=MAX_INDEX)],
             what: Literal["media", "thumbnail"], session: DbSession, storage: StorageDep,
             settings: SettingsDep, principal: CurrentPrincipal, redirect: Redirect = True) -> Response:
    download = service.cut_download(session, storage, settings.uploads.url_ttl, principal, plate_id, index,
                                    what)
    return _answer(download, redirect)


@router.get("/source", responses=DOWNLOAD_RESPONSES, response_class=Response,
            summary="Download the plate as uploaded")
def source_file(plate_id: uuid.UUID, session: DbSession, storage: StorageDep, settings: SettingsDep,
                principal: CurrentPrincipal, redirect: Redirect = True) -> Response:
    return _answer(service.source_download(session, storage, settings.uploads.url_ttl, principal,
                                                   plate_id), redirect)


def _output_route(path: str, kind: OutputKind) -> None:
    label = kind.value.replace("_", " ")

    def download_output(plate_id: uuid.UUID, session: DbSession, storage: StorageDep, settings: SettingsDep,
                        principal: CurrentPrincipal, redirect: Redirect = True) -> Response:
        download = service.output_download(session, storage, settings.uploads.url_ttl, principal, plate_id,
                                           kind)
        return _answer(download, redirect)

    router.add_api_route(f"/{path}", download_output, methods=["GET"], responses=DOWNLOAD_RESPONSES,
                         response_class=Response, summary=f"Download the plate's {label}",
                         operation_id=f"download_plate_{kind.value}")


for _path, _kind in {"contact-sheet": OutputKind.CONTACT_SHEET, "manifest": OutputKind.MANIFEST,
                     "edl": OutputKind.EDL, "otio": OutputKind.OTIO, "csv": OutputKind.CSV,
                     "review/proxy": OutputKind.PROXY, "review/scores": OutputKind.SCORES}.items():
    _output_route(_path, _kind)


@router.get("/review/strips/{sheet}", responses=DOWNLOAD_RESPONSES, response_class=Response,
            summary="Download a sheet of the plate's thumbnail strip")
def strip_sheet(plate_id: uuid.UUID, sheet: Annotated[int, Path(ge=1, le=MAX_INDEX)],
                session: DbSession, storage: StorageDep, settings: SettingsDep,
                principal: CurrentPrincipal, redirect: Redirect = True) -> Response:
    """Sheet ``sheet`` (from 1, the manifest's ``review.strips`` in order)."""
    download = service.output_download(session, storage, settings.uploads.url_ttl, principal,
                                       plate_id, OutputKind.STRIP, sheet)
    return _answer(download, redirect)
