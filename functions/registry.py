"""Every API operation, by module. The gateway, OpenAPI, manifests and the auth-matrix test read this.

Add a function by writing its module and adding one line here. Modules are imported only when
asked for, so serving one function never imports the others.
"""

from __future__ import annotations

import importlib
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
