"""Every table of the coach. Importing this package registers them all on `SQLModel.metadata`."""

from bot.store.models.answers import AnswerPassage, AnswerRecord, AnswerVote  # noqa: F401  (retrieval)
from bot.store.models.checkins import CheckinDispatch, CheckinItem, CheckinSchedule, CheckinSkip  # noqa: F401  (checkins)
from bot.store.models.core import ProcessedEvent, ThreadSession, Workspace
from bot.store.models.effects import PendingEffect  # noqa: F401  (interview effects)
from bot.store.models.installations import slack_bots, slack_installations, slack_oauth_states  # noqa: F401  (oauth)
from bot.store.models.loop_map import InterviewSession, LoopMapVersion  # noqa: F401  (interview)
from bot.store.models.material import KnowledgeVersion, MaterialKey  # noqa: F401  (retrieval)

__all__ = ["ProcessedEvent", "ThreadSession", "Workspace"]
