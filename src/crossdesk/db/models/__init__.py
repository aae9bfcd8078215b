"""All models, imported here so Alembic and create_all see the whole schema."""

from crossdesk.db.models.account_limits import AccountEgress, AccountSendLimit, AccountWebCheck
from crossdesk.db.models.accounts import ChannelAccount
from crossdesk.db.models.alert_notifications import AlertDelivery, AlertNotificationSettings
from crossdesk.db.models.alerts import RiskAlert
from crossdesk.db.models.assignment import AgentState, AssignmentPolicy
from crossdesk.db.models.audit import AuditEvent
from crossdesk.db.models.channel_state import (
    BridgeSession,
    EmailCursor,
    EmailThread,
    OutboundMetadata,
)
from crossdesk.db.models.contact_profiles import ContactProfile
from crossdesk.db.models.conversations import Contact, Conversation
from crossdesk.db.models.custom_roles import CustomRole
from crossdesk.db.models.identity import ApiToken, Team, TeamMember, User, WebSession, Workspace
from crossdesk.db.models.labels import ContactLabel, ConversationLabel, Label
from crossdesk.db.models.messages import Attachment, IdempotencyRecord, Message, Outbox
from crossdesk.db.models.notifications import Notification, NotificationSetting
from crossdesk.db.models.quick_replies import QuickReply
from crossdesk.db.models.risk_rules import (
    RiskAccountLock,
    RiskApproval,
    RiskRuleCursor,
    RiskRuleFiring,
    RiskRuleSet,
)
from crossdesk.db.models.sandbox import SandboxMessage
from crossdesk.db.models.secrets import Secret
from crossdesk.db.models.sessions import AccountSession
from crossdesk.db.models.translation import (
    TranslationCacheEntry,
    TranslationMemory,
    TranslationQuota,
    TranslationUsage,
)
from crossdesk.db.models.views import ConversationRead, SavedView
from crossdesk.db.models.word_lists import WordList

__all__ = [
    "AccountEgress",
    "AccountSendLimit",
    "AccountSession",
    "AccountWebCheck",
    "AgentState",
    "AlertDelivery",
    "AlertNotificationSettings",
    "ApiToken",
    "AssignmentPolicy",
    "Attachment",
    "AuditEvent",
    "BridgeSession",
    "ChannelAccount",
    "Contact",
    "ContactLabel",
    "ContactProfile",
    "Conversation",
    "ConversationLabel",
    "ConversationRead",
    "CustomRole",
    "EmailCursor",
    "EmailThread",
    "IdempotencyRecord",
    "Label",
    "Message",
    "Notification",
    "NotificationSetting",
    "OutboundMetadata",
    "Outbox",
    "QuickReply",
    "RiskAccountLock",
    "RiskAlert",
    "RiskApproval",
    "RiskRuleCursor",
    "RiskRuleFiring",
    "RiskRuleSet",
    "SandboxMessage",
    "SavedView",
    "Secret",
    "Team",
    "TeamMember",
    "TranslationCacheEntry",
    "TranslationMemory",
    "TranslationQuota",
    "TranslationUsage",
    "User",
    "WebSession",
    "WordList",
    "Workspace",
]
