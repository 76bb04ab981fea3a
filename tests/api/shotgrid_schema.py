"""A Flow Production Tracking schema for Mockgun, built in code (no site is reachable to run
``shotgun_api3.lib.mockgun.generate_schema`` against, and the schema pickles of shotgunsoftware/python-api's
tests are binary): the two dicts ``Shotgun.schema_read()`` and ``Shotgun.schema_entity_read()`` answer,
for the entities a publish touches, pickled as ``generate_schema`` pickles them (protocol 2).

Where the fields come from:

- The format of a field (``data_type``, ``description``, ``editable``, ``entity_type``, ``mandatory``,
  ``name``, ``properties`` with ``default_value``, ``summary_default``, ``valid_types`` for links,
  ``valid_values``/``display_values``/``hidden_values`` for status lists, ``unique``, ``visible``,
  ``ui_value_displayable``) and of an entity type (``name``, ``visible``): the docstrings of
  ``schema_read``, ``schema_field_read`` and ``schema_entity_read`` in shotgunsoftware/python-api
  ``shotgun_api3/shotgun.py``; what Mockgun reads of it: ``shotgun_api3/lib/mockgun/mockgun.py``
  (``data_type.value``, ``properties.default_value.value``, ``properties.valid_types.value``).
- Shot: ``code``, ``sg_sequence``, ``sg_status_list``, ``sg_head_in``, ``sg_cut_in``, ``sg_cut_out``,
  ``sg_tail_out``, ``sg_cut_duration``, ``sg_working_duration``, ``sg_cut_order``, ``image``:
  shotgunsoftware/tk-multi-importcut ``python/tk_multi_importcut/constants.py`` (``_SHOT_FIELDS``) and
  ``edl_cut.py`` (``_get_shot_in_out_sg_data``); GPLgithub/sg-otio ``sg_otio/constants.py``
  (``_SHOT_FIELDS``). All the frame fields are numbers (Import Cut writes ints into them).
- Cut: ``code``, ``project``, ``entity``, ``revision_number``, ``fps`` (float), ``timecode_start_text``,
  ``timecode_end_text`` (text), ``duration``, ``description``, ``sg_status_list``, ``image``:
  tk-multi-importcut ``edl_cut.py`` (``create_sg_cut``, ``retrieve_cuts``), sg-otio ``constants.py``
  (``_CUT_FIELDS``) and ``sg_otio/sg_cut_track_writer.py`` (``_get_sg_cut_payload``).
- CutItem: ``code``, ``project``, ``cut``, ``shot``, ``cut_order``, ``cut_item_in``, ``cut_item_out``,
  ``cut_item_duration``, ``edit_in``, ``edit_out`` (numbers), ``timecode_cut_item_in_text``,
  ``timecode_cut_item_out_text``, ``timecode_edit_in_text``, ``timecode_edit_out_text`` (text),
  ``description``: tk-multi-importcut ``edl_cut.py`` (``create_sg_cut_items``, ``show_cut_diff``),
  sg-otio ``constants.py`` (``_CUT_ITEM_FIELDS``) and ``sg_cut_track_writer.py``
  (``get_sg_cut_item_payload``).
- Project (``name``, ``sg_status``, ``sg_description``, ``is_template``, ``image``): tk-multi-importcut
  ``edl_cut.py`` (``retrieve_projects``). Sequence (``code``, ``project``, ``shots``...): sg-otio's
  ``SGShotFieldsConfig.shot_link_field`` looks for ``sg_sequence`` on Shot with valid type Sequence.
- EventLogEntry (``event_type``, ``description``, ``attribute_name``, ``entity``, ``meta``, ``project``):
  Mockgun creates one when it starts (``mockgun.py``); Import Cut reads them to restore a status.
- ``sg_platecut_reel`` and ``sg_platecut_thumbnail_sha256`` on Shot: platecut's own custom text fields
  (``api/integrations/trackers/shotgrid.py``); ``platecut_fields=False`` leaves them out, as a site
  nobody set up for platecut has them.

Status lists are site configuration: the Shot list here is the common default one (wtg, rdy, ip, hld,
fin, omt; default wtg), which is what the tests rely on.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from shotgun_api3.lib import mockgun

SHOT_STATUSES = {"wtg": "Waiting to Start", "rdy": "Ready to Start", "ip": "In Progress", "hld": "On Hold",
                 "fin": "Final", "omt": "Omit"}
Field = dict[str, Any]


def _field(entity: str, name: str, data_type: str, display: str, *, editable: bool = True,
           default: Any = None, **properties: Any) -> tuple[str, Field]:
    """One field as ``schema_field_read`` describes it."""
    props: Field = {"default_value": {"editable": False, "value": default},
                    "summary_default": {"editable": True, "value": "none"}}
    props.update({key: {"editable": True, "value": value} for key, value in properties.items()})
    return name, {"data_type": {"editable": False, "value": data_type},
                  "description": {"editable": True, "value": ""},
                  "editable": {"editable": False, "value": editable},
                  "entity_type": {"editable": False, "value": entity},
                  "mandatory": {"editable": False, "value": False},
                  "name": {"editable": True, "value": display},
                  "properties": props,
                  "ui_value_displayable": {"editable": False, "value": True},
                  "unique": {"editable": False, "value": False},
                  "visible": {"editable": False, "value": True}}


def _status_list(entity: str, name: str, statuses: dict[str, str], default: str) -> tuple[str, Field]:
    key, spec = _field(entity, name, "status_list", "Status", default=default,
                       valid_values=list(statuses), hidden_values=[])
    spec["properties"]["display_values"] = {"editable": False, "value": dict(statuses)}
    return key, spec


def _common(entity: str) -> list[tuple[str, Field]]:
    """The fields every entity type has."""
    return [_field(entity, "id", "number", "Id", editable=False),
            _field(entity, "created_at", "date_time", "Date Created", editable=False),
            _field(entity, "updated_at", "date_time", "Date Updated", editable=False),
            _field(entity, "created_by", "entity", "Created by", editable=False,
                   valid_types=["HumanUser", "ApiUser"]),
            _field(entity, "updated_by", "entity", "Updated by", editable=False,
                   valid_types=["HumanUser", "ApiUser"])]


def _project_fields() -> list[tuple[str, Field]]:
    return [_field("Project", "name", "text", "Project Name"),
            _field("Project", "sg_description", "text", "Description"),
            _field("Project", "sg_status", "list", "Status",
                   valid_values=["Active", "Bidding", "Demo", "Lost"]),
            _field("Project", "is_template", "checkbox", "Template", default=False),
            _field("Project", "archived", "checkbox", "Archived", default=False),
            _field("Project", "image", "image", "Thumbnail")]


def _sequence_fields() -> list[tuple[str, Field]]:
    return [_field("Sequence", "code", "text", "Sequence Name"),
            _field("Sequence", "project", "entity", "Project", valid_types=["Project"]),
            _field("Sequence", "description", "text", "Description"),
            _status_list("Sequence", "sg_status_list", SHOT_STATUSES, "wtg"),
            _field("Sequence", "shots", "multi_entity", "Shots", valid_types=["Shot"]),
            _field("Sequence", "image", "image", "Thumbnail")]


def _shot_fields(platecut_fields: bool) -> list[tuple[str, Field]]:
    fields = [_field("Shot", "code", "text", "Shot Code"),
              _field("Shot", "project", "entity", "Project", valid_types=["Project"]),
              _field("Shot", "description", "text", "Description"),
              _field("Shot", "sg_sequence", "entity", "Sequence", valid_types=["Sequence"]),
              _status_list("Shot", "sg_status_list", SHOT_STATUSES, "wtg"),
              _field("Shot", "sg_head_in", "number", "Head In"),
              _field("Shot", "sg_cut_in", "number", "Cut In"),
              _field("Shot", "sg_cut_out", "number", "Cut Out"),
              _field("Shot", "sg_tail_out", "number", "Tail Out"),
              _field("Shot", "sg_cut_duration", "number", "Cut Duration"),
              _field("Shot", "sg_working_duration", "number", "Working Duration"),
              _field("Shot", "sg_cut_order", "number", "Cut Order"),
              _field("Shot", "image", "image", "Thumbnail")]
    if platecut_fields:
        fields += [_field("Shot", "sg_platecut_reel", "text", "Platecut Reel"),
                   _field("Shot", "sg_platecut_thumbnail_sha256", "text", "Platecut Thumbnail SHA-256")]
    return fields


def _cut_fields() -> list[tuple[str, Field]]:
    return [_field("Cut", "code", "text", "Cut Name"),
            _field("Cut", "project", "entity", "Project", valid_types=["Project"]),
            _field("Cut", "entity", "entity", "Link",
                   valid_types=["Project", "Sequence", "Scene", "Episode"]),
            _field("Cut", "description", "text", "Description"),
            _status_list("Cut", "sg_status_list", SHOT_STATUSES, "wtg"),
            _field("Cut", "revision_number", "number", "Revision Number"),
            _field("Cut", "fps", "float", "FPS"),
            _field("Cut", "timecode_start_text", "text", "Timecode Start"),
            _field("Cut", "timecode_end_text", "text", "Timecode End"),
            _field("Cut", "duration", "number", "Duration"),
            _field("Cut", "image", "image", "Thumbnail")]


def _cut_item_fields() -> list[tuple[str, Field]]:
    numbers = [("cut_order", "Cut Order"), ("cut_item_in", "Cut Item In"), ("cut_item_out", "Cut Item Out"),
               ("cut_item_duration", "Cut Item Duration"), ("edit_in", "Edit In"), ("edit_out", "Edit Out")]
    texts = [("timecode_cut_item_in_text", "Timecode Cut Item In"),
             ("timecode_cut_item_out_text", "Timecode Cut Item Out"),
             ("timecode_edit_in_text", "Timecode Edit In"), ("timecode_edit_out_text", "Timecode Edit Out"),
             ("code", "Cut Item Name"), ("description", "Description")]
    return [_field("CutItem", "project", "entity", "Project", valid_types=["Project"]),
            _field("CutItem", "cut", "entity", "Cut", valid_types=["Cut"]),
            _field("CutItem", "shot", "entity", "Shot", valid_types=["Shot"]),
            *(_field("CutItem", name, "number", display) for name, display in numbers),
            *(_field("CutItem", name, "text", display) for name, display in texts)]


def _event_log_fields() -> list[tuple[str, Field]]:
    return [_field("EventLogEntry", "event_type", "text", "Event Type"),
            _field("EventLogEntry", "description", "text", "Description"),
            _field("EventLogEntry", "attribute_name", "text", "Attribute Name"),
            _field("EventLogEntry", "entity", "entity", "Link", valid_types=["Shot", "Cut", "CutItem"]),
            _field("EventLogEntry", "meta", "serializable", "Meta"),
            _field("EventLogEntry", "project", "entity", "Project", valid_types=["Project"])]


ENTITY_NAMES = {"Project": "Project", "Sequence": "Sequence", "Shot": "Shot", "Cut": "Cut",
                "CutItem": "Cut Item", "EventLogEntry": "Event Log Entry"}


def schema(platecut_fields: bool = True) -> tuple[dict[str, dict[str, Field]], dict[str, Field]]:
    """What ``schema_read()`` and ``schema_entity_read()`` answer."""
    fields = {"Project": _project_fields(), "Sequence": _sequence_fields(),
              "Shot": _shot_fields(platecut_fields), "Cut": _cut_fields(), "CutItem": _cut_item_fields(),
              "EventLogEntry": _event_log_fields()}
    read = {entity: dict(_common(entity) + own) for entity, own in fields.items()}
    entities = {entity: {"name": {"editable": False, "value": display},
                         "visible": {"editable": False, "value": True}}
                for entity, display in ENTITY_NAMES.items()}
    return read, entities


def write_schema(folder: Path, *, platecut_fields: bool = True) -> tuple[Path, Path]:
    """Pickles the schema into ``folder`` and points Mockgun at it; the two paths."""
    folder.mkdir(parents=True, exist_ok=True)
    read, entities = schema(platecut_fields)
    paths = folder / "schema.pickle", folder / "schema_entity.pickle"
    for path, data in zip(paths, (read, entities), strict=True):
        path.write_bytes(pickle.dumps(data, protocol=2))
    mockgun.Shotgun.set_schema_paths(str(paths[0]), str(paths[1]))
    return paths
