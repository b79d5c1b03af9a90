"""Chat intake: moderation (word list, prompt-injection guard, contact scrubbing) and the inbox queue."""

from pipeline.inbox.inbox import Inbox, InboxStats, Offer, Queued, is_question
from pipeline.inbox.moderation import Moderator, Verdict
from pipeline.inbox.ratelimit import ViewerRateLimit

__all__ = ["Inbox", "InboxStats", "Moderator", "Offer", "Queued", "Verdict", "ViewerRateLimit", "is_question"]
