"""Who may do what (analysis/access.py): roles from e-mails and groups, the rules per role, revoking."""

from __future__ import annotations

import pytest

from analysis.store import access
from analysis.store.access import AccessError, Identity

TEAM = access.config_from({
    "mode": "header", "user_header": "X-Forwarded-Email", "groups_header": "X-Forwarded-Groups",
    "roles": {"Ana@Example.org": "analyst", "boss@example.org": "admin", "group:reviewers": "viewer",
              "group:pilot-team": "analyst"}})
ANA, BOB, VERA = Identity("ana@example.org"), Identity("bob@example.org"), Identity("vera@example.org")


def test_the_local_start_is_one_user_with_every_right():
    local = access.config_from(None)
    assert local.mode == "local" and access.role_of(access.local_identity(), local) == "admin"
    assert access.role_of(None, local) == "admin"  # no sign-in at all
    assert access.listed_owner(access.local_identity(), "admin") is None  # lists every snapshot


@pytest.mark.parametrize(("who", "role"), [
    (Identity("ana@example.org"), "analyst"),  # the configured e-mail, whatever its case
    (Identity("boss@example.org", frozenset({"reviewers"})), "admin"),  # the highest role wins
    (Identity("vera@example.org", frozenset({"reviewers"})), "viewer"),
    (Identity("vera@example.org", frozenset({"reviewers", "pilot-team"})), "analyst"),
    (Identity("stranger@example.org"), None),  # not listed, no default role: no access
    (None, None),  # nobody signed in
])
def test_roles_come_from_e_mails_and_groups(who, role):
    assert access.role_of(who, TEAM) == role


def test_a_default_role_covers_signed_in_users_not_listed():
    config = access.config_from({"mode": "oidc", "default_role": "viewer"})
    assert access.role_of(Identity("anyone@example.org"), config) == "viewer"
    assert access.role_of(None, config) is None


@pytest.mark.parametrize(("role", "rights"), [
    ("viewer", {"open_snapshot"}),
    ("analyst", {"open_snapshot", "read_live", "upload", "map", "make_snapshot", "list_own_snapshots"}),
    ("admin", set(access.ACTIONS)),
    (None, set()),
])
def test_each_role_has_the_rights_of_the_one_below_and_its_own(role, rights):
    assert {a for a in access.ACTIONS if access.allowed(role, a)} == rights


def test_only_the_owner_or_an_admin_revokes():
    assert access.may_revoke(ANA, "analyst", "ana@example.org")
    assert not access.may_revoke(ANA, "analyst", "bob@example.org")
    assert not access.may_revoke(ANA, "analyst", None)  # made before owners: an admin's to revoke
    assert access.may_revoke(Identity("boss@example.org"), "admin", "bob@example.org")
    assert not access.may_revoke(VERA, "viewer", "vera@example.org")  # a viewer makes none, revokes none


def test_an_analyst_lists_their_own_and_a_viewer_lists_none():
    assert access.listed_owner(ANA, "analyst") == "ana@example.org"
    with pytest.raises(PermissionError):
        access.listed_owner(VERA, "viewer")


def test_a_viewer_reads_a_dataset_only_inside_the_snapshot_link_open():
    assert access.may_read("viewer", "ds1", snapshot_dataset="ds1")
    assert not access.may_read("viewer", "ds2", snapshot_dataset="ds1")
    assert not access.may_read("viewer", "ds1", snapshot_dataset=None)
    assert access.may_read("analyst", "ds2", snapshot_dataset=None)


def test_headers_are_trusted_only_in_header_mode_and_only_the_configured_one():
    headers = {"X-Forwarded-Email": " Ana@Example.org ", "X-Forwarded-Groups": "pilot-team, reviewers"}
    assert access.identity_from_headers(headers, TEAM) == Identity("ana@example.org",
                                                                   frozenset({"pilot-team", "reviewers"}))
    assert access.identity_from_headers({"X-User": "boss@example.org"}, TEAM) is None
    oidc = access.config_from({"mode": "oidc"})
    assert access.identity_from_headers(headers, oidc) is None  # a client's header is no identity here


def test_oidc_identity_is_the_logged_in_users_e_mail():
    oidc = access.config_from({"mode": "oidc"})
    user = {"is_logged_in": True, "email": "Bob@Example.org", "name": "Bob", "groups": ["Pilot-Team"]}
    assert access.identity_from_user(user, oidc) == Identity("bob@example.org", frozenset({"pilot-team"}), "Bob")
    assert access.identity_from_user({"is_logged_in": False}, oidc) is None
    assert access.identity_from_user(user, TEAM) is None  # header mode ignores a login


@pytest.mark.parametrize(("raw", "message"), [
    ({"mode": "ldap"}, "access.mode"),
    ({"mode": "header"}, "user_header"),
    ({"roles": {"a@b.c": "owner"}}, "a@b.c = owner"),
    ({"default_role": "guest"}, "default_role = guest"),
])
def test_an_unusable_configuration_says_which_setting(raw, message):
    with pytest.raises(AccessError, match=message):
        access.config_from(raw)
