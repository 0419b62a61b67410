"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from safety.accounts.models import AuthSession, User, UserRole  # noqa: F401
from safety.alerts.models import Alert, AlertAck, AlertLocation, TrackingLink  # noqa: F401
from safety.audit import AuditEvent  # noqa: F401
from safety.contacts.models import Contact  # noqa: F401
from safety.dispatch.models import Dispatch, DispatchOffer, ResponderState  # noqa: F401
from safety.help.models import Hotline, Place  # noqa: F401
from safety.inbound_sms.models import InboundSms  # noqa: F401
from safety.messages.models import AlertMessage  # noqa: F401
from safety.notify.models import (  # noqa: F401
    Device,
    MonitoringReceiver,
    OutboxJob,
    WorkerHeartbeat,
)
from safety.orgs.models import Organization, OrgMember  # noqa: F401
from safety.registry.models import (  # noqa: F401
    RegistryAudit,
    RegistryCheck,
    RegistryEntry,
    RegistryNameKey,
)
from safety.timers.models import SafetyTimer  # noqa: F401
