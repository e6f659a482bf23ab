import pytest
from django.contrib.auth.models import Group

from oms.permissions import ROLES
from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    """``make_user("agent")`` -> a user holding that role."""

    def make(role: str | None = None, **fields):
        user = UserFactory(**fields)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def role_client(client, make_user):
    """``role_client("manager")`` -> a test client logged in as a user with that role."""

    def login(role: str):
        user = make_user(role)
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture(params=ROLES)
def any_role(request):
    return request.param
