"""Every model module, imported so ``Base.metadata`` is whole (for Alembic and tests)."""

from api.auth.models import ApiToken, WebSession, token_projects
from api.corrections.models import CutVersion
from api.cuts.models import Cut, PlateOutput
from api.db.base import Base
from api.drops.models import DroppedObject
from api.plates.models import Plate
from api.projects.models import Project, Site
from api.runs.models import Run
from api.trackers.models import TrackerPublish
from api.uploads.models import Upload
from api.webhooks.models import Delivery, Subscription, WebhookEvent

metadata = Base.metadata

__all__ = ["ApiToken", "Base", "Cut", "CutVersion", "Delivery", "DroppedObject", "Plate", "PlateOutput",
           "Project", "Run", "Site", "Subscription", "TrackerPublish", "Upload", "WebSession", "WebhookEvent",
           "metadata", "token_projects"]
