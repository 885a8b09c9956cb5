from award.auth.models import Role


def test_office_dashboard_lists_first_step(make_user, login):
    client = login(make_user(Role.OFFICE))
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "Create the first award cycle" in response.get_data(as_text=True)
