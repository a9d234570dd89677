"""Whose turn a chore occurrence is: a pure decision with a short plain-English reason.

The caller loads the facts (eligible members in stored order, who is away at the due time, the
previous assignee, recent effort) and passes them in, so the API and the scheduled jobs decide
the same way and the rules are unit-testable without a database.

Round robin keeps a pointer, not a queue. The next assignee is the first member after the last
*actual* assignee in stored order (wrapping) who is not away. A member passed over while away
keeps their place in the order: they are not moved to the end and are not owed a catch-up turn,
they simply miss the turns that fell while they were away. So every member is reached by the
pointer (assigned or passed over) equally often, give or take one.

Reasons name the away members that were passed over: for fixed and round robin, the ones skipped
on the way to the chosen member; for least loaded and random, every away member, since all of
them were left out of the draw.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

Strategy = Literal["fixed", "round_robin", "least_loaded", "random"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)

# The period the caller sums `load_minutes` over; the least-loaded reason quotes it.
LOAD_WINDOW = timedelta(days=28)


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    user_id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    user_id: uuid.UUID | None
    reason: str


def choose(
    *,
    strategy: Strategy,
    eligible: Sequence[Candidate],
    away: Set[uuid.UUID],
    last_assignee: uuid.UUID | None,
    load_minutes: Mapping[uuid.UUID, int],
    seed: int,
) -> Assignment:
    """Decide who does one occurrence of a chore, and say why."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown assignment strategy: {strategy!r}")
    members = _unique(eligible)
    if not members:
        return Assignment(user_id=None, reason="nobody is eligible for this chore")
    absent = [member for member in members if member.user_id in away]
    if len(absent) == len(members):
        return Assignment(user_id=None, reason=f"everyone eligible is away: {_join(absent)}")
    if strategy == "fixed":
        return _fixed(members, away)
    if strategy == "round_robin":
        return _round_robin(members, away, last_assignee)
    available = [member for member in members if member.user_id not in away]
    if strategy == "least_loaded":
        chosen, text = _least_loaded(available, load_minutes)
    else:
        chosen, text = _random(available, seed)
    return _assignment(chosen, text, absent)


def _fixed(members: list[Candidate], away: Set[uuid.UUID]) -> Assignment:
    fixed = members[0]
    chosen, skipped = _next_available(members, 0, away)
    if chosen is fixed:
        return _assignment(chosen, f"fixed: {fixed.name}", skipped)
    return _assignment(chosen, f"fixed: {chosen.name} stands in for {fixed.name}", skipped)


def _round_robin(members: list[Candidate], away: Set[uuid.UUID], last: uuid.UUID | None) -> Assignment:
    position = next((i for i, member in enumerate(members) if member.user_id == last), None)
    if position is None:
        chosen, skipped = _next_available(members, 0, away)
        text = f"round robin: {chosen.name} starts the rotation"
        if last is not None:
            text += " (the last assignee is no longer eligible)"
        return _assignment(chosen, text, skipped)
    previous = members[position]
    chosen, skipped = _next_available(members, position + 1, away)
    if chosen is previous:
        return _assignment(chosen, f"round robin: {chosen.name} again (the only one available)", skipped)
    return _assignment(chosen, f"round robin: {chosen.name} follows {previous.name}", skipped)


def _least_loaded(available: list[Candidate], load: Mapping[uuid.UUID, int]) -> tuple[Candidate, str]:
    window = f"over the last {LOAD_WINDOW.days} days"
    # sorted() is stable, so equal loads keep the stored order: that is the tie-break.
    ranked = sorted(available, key=lambda member: load.get(member.user_id, 0))
    chosen = ranked[0]
    minutes = load.get(chosen.user_id, 0)
    if len(ranked) == 1:
        return chosen, f"least loaded: {chosen.name} is the only one available ({minutes} min {window})"
    runner_up = ranked[1]
    other = load.get(runner_up.user_id, 0)
    note = "next lowest, tie broken by order" if other == minutes else "next lowest"
    text = f"least loaded: {minutes} min for {chosen.name} against {other} min for {runner_up.name} ({note})"
    return chosen, f"{text} {window}"


def _random(available: list[Candidate], seed: int) -> tuple[Candidate, str]:
    if len(available) == 1:
        return available[0], f"random: {available[0].name} is the only one available"
    # A private generator seeded by the caller: the same occurrence always draws the same member.
    chosen = random.Random(seed).choice(available)  # noqa: S311 - fairness, not secrecy
    return chosen, f"random: {chosen.name} drawn from {_join(available)}"


def _unique(eligible: Sequence[Candidate]) -> list[Candidate]:
    """The eligible members in stored order, each once (the first listing wins)."""
    members: dict[uuid.UUID, Candidate] = {}
    for member in eligible:
        members.setdefault(member.user_id, member)
    return list(members.values())


def _next_available(
    members: list[Candidate], start: int, away: Set[uuid.UUID]
) -> tuple[Candidate, list[Candidate]]:
    """The first member from `start` on (wrapping) who is not away, and the away ones passed over."""
    skipped: list[Candidate] = []
    for offset in range(len(members)):
        member = members[(start + offset) % len(members)]
        if member.user_id not in away:
            return member, skipped
        skipped.append(member)
    raise ValueError("everyone is away")


def _assignment(chosen: Candidate, text: str, passed_over: list[Candidate]) -> Assignment:
    if passed_over:
        text += f"; {_join(passed_over)} {'is' if len(passed_over) == 1 else 'are'} away"
    return Assignment(user_id=chosen.user_id, reason=text)


def _join(members: Sequence[Candidate]) -> str:
    names = [member.name for member in members]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
