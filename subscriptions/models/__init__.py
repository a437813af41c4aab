from subscriptions.models.changes import *  # noqa: F403
from subscriptions.models.customers import *  # noqa: F403
from subscriptions.models.notifications import *  # noqa: F403
from subscriptions.models.staff import *  # noqa: F403
