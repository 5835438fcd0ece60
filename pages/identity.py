"""Who is using the app, read from Streamlit (the rules are analysis/access.py): the caller's identity and
role for this run, the gate before any page, and the pages a role sees."""

from __future__ import annotations

import os
import tomllib

import streamlit as st

from analysis.store import access
from analysis.store.access import AccessConfig, Identity

ACCESS_FILE_ENV = "PILOTS_ACCESS_FILE"  # a TOML file with an [access] table, instead of .streamlit/secrets.toml
VIEWER_PAGES = {"", "funnel", "causes", "stalls", "cohorts", "pilots"}  # a viewer's pages, inside a snapshot


def access_config() -> AccessConfig:
    """The [access] settings: from $PILOTS_ACCESS_FILE, else from secrets.toml; none: local mode."""
    path = os.environ.get(ACCESS_FILE_ENV, "").strip()
    if path:
        with open(path, "rb") as handle:
            return access.config_from(tomllib.load(handle).get("access"))
    try:
        raw = st.secrets.get("access")
    except FileNotFoundError:  # no secrets.toml: the local start
        raw = None
    return access.config_from(raw.to_dict() if hasattr(raw, "to_dict") else raw)


def caller() -> tuple[Identity | None, str | None]:
    """The identity and role of this session's user (local: the local user, admin)."""
    config = access_config()
    if config.mode == "local":
        identity = access.local_identity()
    elif config.mode == "header":
        identity = access.identity_from_headers(st.context.headers, config)
    else:
        identity = access.identity_from_user(st.user.to_dict(), config)
    return identity, access.role_of(identity, config)


def visible_pages(pages: list, role: str | None) -> list:
    """The navigation's pages for a role: a viewer's are the views a snapshot link opens."""
    if access.allowed(role, "read_live"):
        return pages
    return [p for p in pages if p.url_path in VIEWER_PAGES]


def gate(snapshot_open: bool) -> None:
    """Stop the run, with one plain message, for a caller without the right to what the run shows: nobody
    signed in, no role, or a viewer outside a snapshot link."""
    identity, role = caller()
    if identity is None:
        st.title("Pilot Outcomes")
        st.info("Sign in to open this dashboard.")
        if access_config().mode == "oidc" and st.button("Sign in", key="sign_in"):
            st.login()
        st.stop()
    if role is None:
        st.title("Pilot Outcomes")
        st.warning(f"You are signed in as {identity.user}, who has no role on this dashboard. Ask its admin.")
        st.stop()
    if not snapshot_open and not access.allowed(role, "read_live"):
        st.title("Pilot Outcomes")
        st.info("As a viewer you open the snapshot links you are given; this address is not one of them.")
        st.stop()
