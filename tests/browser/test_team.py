"""A team deployment in a real browser: two app processes on one PostgreSQL store behind a (simulated)
authenticating proxy, the identity in a trusted header (`access.mode = "header"`). An upload in one process
is seen in the other, a snapshot made in one opens in the other, and each identity sees what is theirs:
a viewer only the link given to them, an analyst only their own snapshots, revoking only by owner or key."""

from __future__ import annotations

import pytest

from analysis.store import snapshots
from tests.browser.harness import VIEWPORT, open_page, rerun, running_app, settle
from tests.builders import make_portfolio
from tests.postgres import new_schema, schema_url

pytestmark = pytest.mark.browser
HEADER = "X-Forwarded-Email"
ACCESS = f"""
[access]
mode = "header"
user_header = "{HEADER}"

[access.roles]
"ana@example.org" = "analyst"
"bob@example.org" = "analyst"
"vera@example.org" = "viewer"
"""
TEAM_PILOTS = 7  # the portfolio Ana uploads: 7 pilots, all of unit Team


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, pg_server_url):
    """Two app processes (each its own data directory and DuckDB cache) on one PostgreSQL store."""
    folder = tmp_path_factory.mktemp("team")
    (folder / "access.toml").write_text(ACCESS)
    env = {"PILOTS_DATABASE_URL": schema_url(pg_server_url, new_schema()),
           "PILOTS_ACCESS_FILE": str(folder / "access.toml")}
    with running_app(folder / "a", folder / "a.log", env) as one, running_app(folder / "b", folder / "b.log", env) as two:
        yield one, two, folder


def as_user(browser, email: str | None):
    """A page in a fresh context whose every request carries the proxy's identity header."""
    headers = {HEADER: email} if email else {}
    return browser.new_context(viewport=VIEWPORT, extra_http_headers=headers).new_page()


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def pilots_shown(page) -> str:
    tiles = {m.locator('[data-testid="stMetricLabel"]').inner_text().strip():
             m.locator('[data-testid="stMetricValue"]').inner_text().strip()
             for m in page.locator('[data-testid="stMetric"]').all()}
    return tiles.get("Pilots", "")


@pytest.fixture(scope="module")
def shared(replicas, browser):
    """Ana uploads a portfolio in process A and makes a snapshot of its Overview there."""
    one, two, folder = replicas
    upload = folder / "team.csv"
    upload.write_bytes(make_portfolio(TEAM_PILOTS, Business_Unit="Team"))
    ana = as_user(browser, "ana@example.org")
    open_page(ana, f"{one}/data")
    rerun(ana, lambda: ana.set_input_files('input[type="file"]', str(upload)),
          until="() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                f".some(v => v.innerText.trim() === '{TEAM_PILOTS}')")
    ds = next(p.split("=", 1)[1] for p in ana.url.split("?", 1)[1].split("&") if p.startswith("ds="))
    open_page(ana, f"{one}/?ds={ds}")
    assert pilots_shown(ana) == str(TEAM_PILOTS)
    ana.get_by_text("Share snapshot").click()
    ana.get_by_label("Title").fill("Team review")
    rerun(ana, lambda: ana.get_by_role("button", name="Create snapshot link").click())
    codes = ana.locator('[data-testid="stSidebar"] [data-testid="stCode"]').all_inner_texts()
    assert len(codes) == 2, ana.locator('[data-testid="stSidebar"]').inner_text()
    link, key = (c.replace("\n", "") for c in codes)
    token = link.split("snapshot=", 1)[1]
    assert link.startswith(one) and snapshots.is_token_shaped(token) and snapshots.is_token_shaped(key)
    return ds, token, key


def test_an_upload_in_one_process_is_seen_in_the_other(replicas, shared, browser):
    _, two, _ = replicas
    ds, _, _ = shared
    bob = as_user(browser, "bob@example.org")
    open_page(bob, f"{two}/?ds={ds}")
    assert pilots_shown(bob) == str(TEAM_PILOTS) and f"ds={ds}" in bob.url


def test_a_snapshot_made_in_one_process_opens_in_the_other_for_a_viewer(replicas, shared, browser):
    _, two, _ = replicas
    _, token, _ = shared
    vera = as_user(browser, "vera@example.org")
    open_page(vera, f"{two}/?snapshot={token}")
    assert vera.get_by_text("Snapshot: Team review").count() == 1 and pilots_shown(vera) == str(TEAM_PILOTS)
    nav = vera.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Funnel" in nav and "Data" not in nav and "Snapshots" not in nav  # a viewer's pages: the views


@pytest.mark.parametrize("path", ["/", "/snapshots", "/data", "/funnel?ds={ds}"])
def test_a_viewer_sees_nothing_outside_the_link_given(replicas, shared, browser, path):
    _, two, _ = replicas
    vera = as_user(browser, "vera@example.org")
    open_page(vera, two + path.format(ds=shared[0]))
    text = main_text(vera)
    assert "As a viewer you open the snapshot links you are given" in text
    assert "Team review" not in text and vera.locator('[data-testid="stMetric"]').count() == 0


def test_a_guessed_link_opens_nothing(replicas, shared, browser):
    _, two, _ = replicas
    token = shared[1]
    wrong = token[:-1] + ("y" if token.endswith("x") else "x")
    vera = as_user(browser, "vera@example.org")
    open_page(vera, f"{two}/?snapshot={wrong}")
    assert "Team review" not in main_text(vera) and vera.locator('[data-testid="stMetric"]').count() == 0


def test_nobody_signed_in_and_an_unlisted_user_get_no_page(replicas, shared, browser):
    _, two, _ = replicas
    anonymous = as_user(browser, None)
    open_page(anonymous, f"{two}/?snapshot={shared[1]}")
    assert main_text(anonymous).strip().endswith("Sign in to open this dashboard.")
    stranger = as_user(browser, "stranger@example.org")
    open_page(stranger, f"{two}/?snapshot={shared[1]}")
    assert "has no role on this dashboard" in main_text(stranger) and "Team review" not in main_text(stranger)


def test_an_analyst_lists_and_revokes_only_their_own(replicas, shared, browser):
    one, two, _ = replicas
    bob = as_user(browser, "bob@example.org")
    open_page(bob, f"{two}/snapshots")
    assert "Team review" not in main_text(bob) and "No snapshots yet" in main_text(bob)
    ana = as_user(browser, "ana@example.org")
    open_page(ana, f"{two}/snapshots")  # made in process A, listed in process B
    ana.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').click()  # the table is a canvas: read the choice
    options = ana.get_by_role("option").all_inner_texts()
    assert len(options) == 1 and options[0].startswith("Team review")


def test_the_owners_revoke_key_stops_the_link_in_both_processes(replicas, shared, browser):
    one, two, _ = replicas
    _, token, key = shared
    bob = as_user(browser, "bob@example.org")
    open_page(bob, f"{one}/snapshots")
    bob.get_by_text("Revoke with a key").click()
    bob.get_by_label("Revoke key", exact=True).fill("x" * 32)  # a guessed key revokes nothing
    rerun(bob, lambda: bob.get_by_role("button", name="Revoke with this key").click())
    assert "That key revokes nothing" in main_text(bob)
    ana = as_user(browser, "ana@example.org")
    open_page(ana, f"{one}/snapshots")
    ana.get_by_text("Revoke with a key").click()
    ana.get_by_label("Revoke key", exact=True).fill(key)
    rerun(ana, lambda: ana.get_by_role("button", name="Revoke with this key").click())
    ana.get_by_text("Revoked “Team review”").wait_for(timeout=60_000)
    settle(ana)
    for base in (one, two):
        vera = as_user(browser, "vera@example.org")
        open_page(vera, f"{base}/?snapshot={token}")
        assert "Team review" not in main_text(vera) and vera.locator('[data-testid="stMetric"]').count() == 0
