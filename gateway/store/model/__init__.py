"""The database schema, one module a part of the desk: the spool, people and tickets with their
messages, a ticket's history, outgoing mail, the desk's other state.

Every table is imported here, so that `from gateway.store.model import Ticket` finds it and
the declarative registry knows every class before a relationship names another.
"""

from gateway.store.model.base import Base as Base
from gateway.store.model.base import utcnow as utcnow
from gateway.store.model.history import Event as Event
from gateway.store.model.history import MessageRef as MessageRef
from gateway.store.model.history import Rating as Rating
from gateway.store.model.mail import PURGEABLE_OUTBOX as PURGEABLE_OUTBOX
from gateway.store.model.mail import AutoReplyLog as AutoReplyLog
from gateway.store.model.mail import Bounce as Bounce
from gateway.store.model.mail import Outbox as Outbox
from gateway.store.model.mail import Suspension as Suspension
from gateway.store.model.spool import NOT_SMTP as NOT_SMTP
from gateway.store.model.spool import PURGEABLE_INBOUND as PURGEABLE_INBOUND
from gateway.store.model.spool import Inbound as Inbound
from gateway.store.model.spool import InboundRaw as InboundRaw
from gateway.store.model.state import DirectoryEntry as DirectoryEntry
from gateway.store.model.state import KeyValue as KeyValue
from gateway.store.model.state import SpamLearning as SpamLearning
from gateway.store.model.state import SpamModelState as SpamModelState
from gateway.store.model.state import TextExample as TextExample
from gateway.store.model.tickets import Attachment as Attachment
from gateway.store.model.tickets import Blob as Blob
from gateway.store.model.tickets import Message as Message
from gateway.store.model.tickets import Participant as Participant
from gateway.store.model.tickets import Ticket as Ticket
from gateway.store.model.tickets import User as User
from gateway.store.types import UTCDateTime as UTCDateTime
