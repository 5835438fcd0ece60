"""Who may do what: identities, roles and the rules, with no Streamlit (pages pass in what they read).

Three modes, from the `[access]` table of the configuration (`.streamlit/secrets.toml` or the TOML file
`$PILOTS_ACCESS_FILE`):
- `local` (the default, no configuration): one local user, no sign-in, every right; the two-command start.
- `oidc`: Streamlit's built-in login (`st.login`, an `[auth]` table in secrets.toml); the identity is the
  e-mail of the identity token (`st.user`), groups from its `groups` claim when the provider sends one.
- `header`: an authenticating reverse proxy sets `user_header` (an e-mail) and optionally `groups_header`
  (comma-separated); trusted only in this mode, so the proxy must strip them from what clients send.

Roles, by e-mail or `group:<name>` in `[access.roles]`, the highest one wins; `default_role` for a
signed-in user not listed ("none": no access). viewer: opens the snapshot links given to them and reads a
dataset only inside such a link; analyst: uploads, maps, makes snapshots, lists and revokes their own;
admin: everything, lists and revokes any snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ROLES = ("viewer", "analyst", "admin")  # each has every right of the one before
MODES = ("local", "header", "oidc")
LOCAL_USER = "local"  # the owner of what is made without sign-in
ACTIONS = {  # the least role each action needs
    "open_snapshot": "viewer",
    "read_live": "analyst",  # a dataset outside a snapshot link: the dataset list, live views, filters
    "upload": "analyst",
    "map": "analyst",
    "make_snapshot": "analyst",
    "list_own_snapshots": "analyst",
    "list_every_snapshot": "admin",
    "revoke_any": "admin",
}


class AccessError(ValueError):
    """The access configuration cannot be used (the message says which setting and why)."""


@dataclass(frozen=True)
class Identity:
    """Who is asking: `user` an e-mail in lower case (LOCAL_USER without sign-in), and their groups."""

    user: str
    groups: frozenset[str] = frozenset()
    name: str | None = None


@dataclass(frozen=True)
class AccessConfig:
    """The `[access]` settings (see the module's docstring)."""

    mode: str = "local"
    user_header: str | None = None
    groups_header: str | None = None
    default_role: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)  # "e-mail" or "group:name" -> role


def config_from(raw: Mapping | None) -> AccessConfig:
    """The configuration from the `[access]` table (None or empty: local); AccessError when unusable."""
    raw = dict(raw or {})
    mode = str(raw.get("mode", "local")).lower()
    if mode not in MODES:
        raise AccessError(f"access.mode is {mode!r}; it must be one of {', '.join(MODES)}")
    roles = {str(k).strip().lower(): str(v).lower() for k, v in dict(raw.get("roles") or {}).items()}
    bad = sorted(f"{k} = {v}" for k, v in roles.items() if v not in ROLES)
    default = str(raw.get("default_role", "none")).lower()
    if bad or default not in (*ROLES, "none"):
        raise AccessError(f"roles must be one of {', '.join(ROLES)} (default_role may be none): "
                          f"{', '.join(bad) or 'default_role = ' + default}")
    header = raw.get("user_header")
    if mode == "header" and not header:
        raise AccessError("access.mode is header: set access.user_header to the header your proxy sets")
    return AccessConfig(mode, header, raw.get("groups_header"), None if default == "none" else default, roles)


def identity_from_headers(headers: Mapping[str, str], config: AccessConfig) -> Identity | None:
    """The identity the proxy's headers carry (header mode only), or None when the user header is absent."""
    if config.mode != "header" or not config.user_header:
        return None
    user = (headers.get(config.user_header) or "").strip().lower()
    if not user:
        return None
    groups = headers.get(config.groups_header) if config.groups_header else None
    return Identity(user, _groups(groups))


def identity_from_user(user: Mapping, config: AccessConfig) -> Identity | None:
    """The identity of Streamlit's logged-in user (`st.user.to_dict()`, oidc mode only), or None."""
    if config.mode != "oidc" or not user.get("is_logged_in"):
        return None
    email = str(user.get("email") or "").strip().lower()
    if not email:
        return None
    return Identity(email, _groups(user.get("groups")), user.get("name"))


def _groups(value: object) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(str(g).strip().lower() for g in items if str(g).strip())


def local_identity() -> Identity:
    return Identity(LOCAL_USER)


def role_of(identity: Identity | None, config: AccessConfig) -> str | None:
    """The identity's role: admin in local mode; else the highest of its e-mail's and groups' roles, or
    the default role; None: no access (nobody signed in, or not listed without a default)."""
    if config.mode == "local":
        return "admin"
    if identity is None:
        return None
    found = [config.roles.get(identity.user)] + [config.roles.get(f"group:{g}") for g in identity.groups]
    ranked = [ROLES.index(r) for r in found if r]
    if ranked:
        return ROLES[max(ranked)]
    return config.default_role


def allowed(role: str | None, action: str) -> bool:
    """Whether a role may do an action of ACTIONS (KeyError for an unknown action: a typo is a bug)."""
    need = ACTIONS[action]
    return role is not None and ROLES.index(role) >= ROLES.index(need)


def may_revoke(identity: Identity | None, role: str | None, owner: str | None) -> bool:
    """Whether this caller may revoke a snapshot owned by `owner`: an admin any; an analyst their own."""
    if allowed(role, "revoke_any"):
        return True
    return identity is not None and owner is not None and owner == identity.user and allowed(role, "make_snapshot")


def listed_owner(identity: Identity | None, role: str | None) -> str | None:
    """Whose snapshots the Snapshots page lists: None for every one (admin), else the caller's own.
    PermissionError for a role that lists none (a viewer opens the links given to them)."""
    if allowed(role, "list_every_snapshot"):
        return None
    if identity is not None and allowed(role, "list_own_snapshots"):
        return identity.user
    raise PermissionError("only analysts and admins list snapshots")


def may_read(role: str | None, dataset_id: str | None, snapshot_dataset: str | None) -> bool:
    """Whether the caller may read a dataset: an analyst or admin any; a viewer only the dataset of the
    snapshot link open in their session (and only inside it)."""
    if allowed(role, "read_live"):
        return True
    return allowed(role, "open_snapshot") and dataset_id is not None and dataset_id == snapshot_dataset
