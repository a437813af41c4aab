"""The change flows' world is the shared cast: Anna with her subscriptions at the sandbox, the demo catalog."""

from tests.cast import *  # noqa: F403
from tests.changes.calls import vendor_calls  # noqa: F401
