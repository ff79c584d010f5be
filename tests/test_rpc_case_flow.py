"""An agent works a case over JSON-RPC against a running Odoo server."""

import uuid

import pytest
from conftest import RpcError


@pytest.fixture(scope="module")
def admin(odoo_server):
    return odoo_server.login("admin", "admin")


@pytest.fixture(scope="module")
def agent(odoo_server, admin):
    suffix = uuid.uuid4().hex[:8]
    login = f"rpc_agent_{suffix}"
    group_id = admin.execute(
        "ir.model.data", "check_object_reference", "kunde_crm", "kunde_crm_group_agent"
    )[1]
    user_id = admin.execute(
        "res.users",
        "create",
        {
            "name": f"RPC Agent {suffix}",
            "login": login,
            "password": f"pw-{suffix}",
            "groups_id": [(6, 0, [group_id])],
        },
    )
    admin.execute(
        "kunde.team",
        "create",
        {"name": f"RPC team {suffix}", "member_ids": [(6, 0, [user_id])]},
    )
    session = odoo_server.login(login, f"pw-{suffix}")
    assert session.uid == user_id
    return session


def test_agent_creates_takes_and_closes_a_case(agent):
    team_id = agent.execute("kunde.team", "search", [("member_ids", "in", agent.uid)])[
        0
    ]
    partner_id = agent.execute(
        "res.partner", "create", {"name": "Kunde Over RPC", "email": "rpc@example.no"}
    )
    case_id = agent.execute(
        "kunde.case",
        "create",
        {
            "name": "Faktura mangler",
            "partner_id": partner_id,
            "team_id": team_id,
            "channel": "email",
            "priority": "1",
        },
    )
    [case] = agent.execute(
        "kunde.case",
        "read",
        [case_id],
        ["reference", "stage_id", "user_id", "is_closed"],
    )
    assert case["reference"].startswith("SAK-")
    assert case["stage_id"][1] == "New"
    assert case["user_id"] is False

    # The case is in the agent's queue; take-next hands it out.
    # As the README shows: a model method, called without ids.
    action = agent.execute("kunde.case", "action_take_next")
    assert action["type"] == "ir.actions.act_window"
    assert action["res_id"] == case_id
    [case] = agent.execute(
        "kunde.case", "read", [case_id], ["user_id", "stage_id", "date_assigned"]
    )
    assert case["user_id"][0] == agent.uid
    assert case["stage_id"][1] == "In progress"
    assert case["date_assigned"]

    # Close: it leaves the queue and the agent's open cases.
    agent.execute("kunde.case", "action_close", [case_id])
    [case] = agent.execute(
        "kunde.case", "read", [case_id], ["is_closed", "date_closed", "stage_id"]
    )
    assert case["is_closed"] is True
    assert case["date_closed"]
    assert case["stage_id"][1] == "Solved"
    open_mine = agent.execute(
        "kunde.case",
        "search",
        [("user_id", "=", agent.uid), ("is_closed", "=", False)],
    )
    assert case_id not in open_mine

    # With the queue empty, take-next says so instead of failing.
    result = agent.execute("kunde.case", "action_take_next", [])
    assert result["tag"] == "display_notification"


def test_case_without_subject_is_refused(agent):
    with pytest.raises(RpcError) as error:
        agent.execute("kunde.case", "create", {"name": "  "})
    assert "ValidationError" in error.value.name
    assert "subject" in error.value.message


def test_agent_cannot_delete_a_case(agent, admin):
    case_id = admin.execute("kunde.case", "create", {"name": "Må bli"})
    with pytest.raises(RpcError) as error:
        agent.execute("kunde.case", "unlink", [case_id])
    assert "AccessError" in error.value.name
    assert admin.execute("kunde.case", "search_count", [("id", "=", case_id)]) == 1
