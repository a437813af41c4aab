import pytest


@pytest.mark.django_db
def test_unknown_address_gets_our_own_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
