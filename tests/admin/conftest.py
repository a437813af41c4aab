"""Staff for the support console (an agent, a catalog manager, staff without a role), beside the shared cast
of customers (`tests.cast`: Anna and her subscriptions at the sandbox, the outsider Otto, the demo catalog)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from subscriptions.roles import CATALOG_MANAGER, SUPPORT_AGENT, roles_setup
from tests.admin.otp import verified
from tests.cast import *  # noqa: F403


@pytest.fixture
def roles(db) -> None:
    roles_setup()


def _staff(username: str, group: str | None):
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw-" + username, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def agent(roles):
    return _staff("agent", SUPPORT_AGENT)


@pytest.fixture
def manager(roles):
    return _staff("manager", CATALOG_MANAGER)


@pytest.fixture
def roleless(roles):
    """Staff flag set, but in no group."""
    return _staff("roleless", None)


@pytest.fixture
def agent_client(agent) -> Client:
    return verified(agent)


@pytest.fixture
def manager_client(manager) -> Client:
    return verified(manager)
