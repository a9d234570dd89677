"""Every API operation, by module. The gateway, OpenAPI, manifests and the auth-matrix test read this.

Add a function by writing its module and adding one line here (and, if it needs other autoscaling
than the default, an entry in `SCALING`). Modules are imported only when asked for, so serving one
function never imports the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from shared.http import Function

FUNCTIONS: tuple[str, ...] = (
    "client.get_client_config",
    "me.get_me",
    "me.update_me",
    "households.create_household",
    "households.list_households",
    "households.get_household",
    "households.update_household",
    "households.delete_household",
    "households.join_household",
    "households.leave_household",
    "invites.create_invite",
    "invites.list_invites",
    "invites.revoke_invite",
    "members.list_members",
    "members.update_member",
    "members.remove_member",
    "chores.create_chore",
    "chores.list_chores",
    "chores.get_chore",
    "chores.update_chore",
    "chores.archive_chore",
    "chores.preview_schedule",
    "occurrences.list_occurrences",
    "occurrences.complete_occurrence",
    "occurrences.undo_completion",
    "occurrences.skip_occurrence",
    "occurrences.reschedule_occurrence",
    "occurrences.reassign_occurrence",
    "occurrences.claim_occurrence",
    "members.set_away",
    "members.list_away",
    "members.cancel_away",
    "history.list_completions",
    "history.get_leaderboard",
    "calendar.create_calendar_feed",
    "calendar.list_calendar_feeds",
    "calendar.revoke_calendar_feed",
    "calendar.get_calendar_feed",
    "notifications.list_notifications",
    "notifications.mark_notifications_read",
    "notifications.get_notification_settings",
    "notifications.update_notification_settings",
)


@dataclass(frozen=True, kw_only=True)
class Scaling:
    """How Knative scales one function: the autoscaling annotations of its revisions.

    `target` is the concurrent requests per pod the autoscaler aims for; `container_concurrency` is
    the hard limit a pod ever gets (more wait in the queue-proxy or the activator). A pod holds at
    most DB_POOL_SIZE + DB_MAX_OVERFLOW connections (5 + 0, knative/README.md has the budget), so a
    few requests share each connection. `production_min_scale` is the floor the production overlay
    keeps for screens people open first; the base and k3s stay at `min_scale` and scale to zero.
    """

    min_scale: int = 0
    max_scale: int = 10
    target: int = 10
    container_concurrency: int = 20
    scale_down_delay: str = "0s"
    production_min_scale: int = 0


DEFAULT_SCALING = Scaling()

# Every screen of the web app starts with these reads: in production one pod of each stays warm,
# and a pod lingers for a while after its last request so the next click finds it.
_WARM = Scaling(production_min_scale=1, scale_down_delay="5m")

SCALING: dict[str, Scaling] = {
    "get_client_config": _WARM,
    "get_me": _WARM,
    "list_households": _WARM,
    "list_occurrences": Scaling(max_scale=20, production_min_scale=1, scale_down_delay="5m"),
    "complete_occurrence": Scaling(max_scale=20, scale_down_delay="5m"),
}


def scaling(name: str) -> Scaling:
    """The autoscaling of the function `name` (e.g. `get_me`): its override, else the default."""
    return SCALING.get(name, DEFAULT_SCALING)


def module_path(name: str) -> str:
    """`create_household` or `households.create_household` → `functions.households.create_household`."""
    for entry in FUNCTIONS:
        if name in (entry, entry.rsplit(".", 1)[1]):
            return f"functions.{entry}"
    raise KeyError(f"no function named {name!r}; see functions/registry.py")


def load(name: str) -> Function:
    """Import one function module and return its declaration."""
    function = importlib.import_module(module_path(name)).function
    assert isinstance(function, Function)
    return function


@cache
def all_functions() -> tuple[Function, ...]:
    """Every function, in registry order."""
    return tuple(load(entry) for entry in FUNCTIONS)
