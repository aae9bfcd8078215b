"""Enumerations shared by every layer."""

from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NOTE = "note"  # a private note between colleagues: never sent through a channel


class ChannelKind(StrEnum):
    """One slug per platform, used in the enum, folder, URL, fixtures and docs page."""

    SANDBOX = "sandbox"
    WHATSAPP = "whatsapp"
    WHATSAPP_WEB = "whatsapp_web"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    TELEGRAM_BOT = "telegram_bot"
    TELEGRAM_USER = "telegram_user"
    LINE = "line"
    EMAIL = "email"


class MessageStatus(StrEnum):
    """Delivery state of a message. Outbound statuses only ever move forward (see RANK)."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    def can_become(self, new: "MessageStatus") -> bool:
        """True if a status event may move a message from this status to ``new``.

        Progress is monotonic so a late "sent" never overwrites "read". A platform may report
        a failure after it accepted the message (WhatsApp's 131047 or 131026 follow "sent"),
        but not after "delivered" or "read". "unknown" may be settled by any later report;
        "failed" only by proof the message got through (delivered, read): a "sent" arriving
        after a failure report is the earlier event, delivered late.
        """
        if self is new:
            return False
        if new is MessageStatus.FAILED:
            return self in _MAY_STILL_FAIL
        if new is MessageStatus.UNKNOWN:
            return self.rank < MessageStatus.SENT.rank
        if self is MessageStatus.FAILED:
            return new in (MessageStatus.DELIVERED, MessageStatus.READ)
        if self is MessageStatus.UNKNOWN:
            return new in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
        return new.rank > self.rank


_STATUS_RANK = {
    MessageStatus.RECEIVED: 0,
    MessageStatus.BLOCKED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.FAILED: 2,
    MessageStatus.UNKNOWN: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
}


class ConversationStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class StageStatus(StrEnum):
    """What a pipeline stage did to a message, recorded truthfully on the message."""

    NOT_CHECKED = "not_checked"
    CLEAN = "clean"
    FLAGGED = "flagged"
    BLOCKED = "blocked"
    NOT_TRANSLATED = "not_translated"
    TRANSLATED = "translated"
    # An engine was down or failed: the text is shown untranslated for now and the
    # translation worker tries again when an engine recovers.
    PENDING = "pending"
    NOT_MASKED = "not_masked"
    MASKED = "masked"
    NOT_DETECTED = "not_detected"
    DETECTED = "detected"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    AUDITOR = "auditor"


class Permission(StrEnum):
    CONVERSATION_READ_OWN = "conversation.read.own"
    CONVERSATION_READ_TEAM = "conversation.read.team"
    CONVERSATION_READ_ALL = "conversation.read.all"
    CONVERSATION_ASSIGN = "conversation.assign"
    CONVERSATION_RESOLVE = "conversation.resolve"
    MESSAGE_SEND = "message.send"
    PII_REVEAL = "pii.reveal"
    EXPORT = "export"
    ACCOUNT_MANAGE = "account.manage"
    ACCOUNT_OPEN = "account.open"
    WORDLIST_MANAGE = "wordlist.manage"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    RISK_MANAGE = "risk.manage"
    LABEL_MANAGE = "label.manage"  # create, rename, archive workspace labels
    CONVERSATION_LABEL = "conversation.label"  # put labels on conversations they can see
    CONTACT_EDIT = "contact.edit"  # notes, attributes, labels, language of a contact
    CONTACT_MERGE = "contact.merge"  # merge two contacts into one person, and unmerge
    VIEW_SHARE = "view.share"  # share a saved inbox view with a team
    REPORT_READ = "report.read"  # team performance and lead reports
    NOTIFICATION_MANAGE = "notification.manage"  # where alerts are sent (webhook, email)
    TRANSLATION_COMPARE = "translation.compare"  # run a text through several engines at once
    WORKSPACE_READ = "workspace.read"


_MAY_STILL_FAIL = frozenset(
    {MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.UNKNOWN}
)
