"""Pages and access for the shared cast: Anna, Ben, Carla and the outsider Otto."""

from tests.cast import *  # noqa: F403
