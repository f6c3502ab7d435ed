import pytest

from roadmap import services
from tests.factories import (
    AlignmentFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    UserFactory,
)


@pytest.fixture
def rescore():
    return services.initiatives_rescore_marked


@pytest.fixture
def product_client(client, product_user):
    client.force_login(product_user)
    return client


@pytest.fixture
def marketing_client(client, marketing_user):
    client.force_login(marketing_user)
    return client


@pytest.fixture
def roleless_client(client, db):
    client.force_login(UserFactory(username="nobody"))
    return client


@pytest.fixture
def small_roadmap(db, rescore):
    """Three scored initiatives: 'Alpha' (#1, aligned), 'Beta' (#2), 'Gamma' (#3, later lane)."""
    objective = ObjectiveFactory(title="Grow revenue", weight=2)
    kr = KeyResultFactory(
        objective=objective, title="Expansion revenue", target=100, current=20, progress=0.2
    )
    alpha = InitiativeFactory(title="Alpha", reach=100, impact=2, lane="now")
    beta = InitiativeFactory(title="Beta", reach=50, impact=1, lane="next")
    gamma = InitiativeFactory(title="Gamma", reach=10, impact=1, lane="later", team="Growth")
    AlignmentFactory(initiative=alpha, key_result=kr, contribution="strong")
    rescore()
    for initiative in (alpha, beta, gamma):
        initiative.refresh_from_db()
    return {"objective": objective, "kr": kr, "alpha": alpha, "beta": beta, "gamma": gamma}
