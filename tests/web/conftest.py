"""Pages and access for the shared cast: Anna, Ben, Carla and the outsider Otto."""

from tests.cast import *  # noqa: F403
from tests.changes.calls import vendor_calls  # noqa: F401
