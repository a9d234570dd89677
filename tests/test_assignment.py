from __future__ import annotations

import random
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

import pytest

from shared.assignment import LOAD_WINDOW, STRATEGIES, Assignment, Candidate, Strategy, choose

ALICE, BOB, CAROL, DAN = (
    Candidate(user_id=uuid.UUID(int=number), name=name)
    for number, name in enumerate(["Alice", "Bob", "Carol", "Dan"], start=1)
)
HOUSEHOLD = (ALICE, BOB, CAROL, DAN)


def _choose(
    strategy: Strategy,
    *,
    eligible: Iterable[Candidate] = HOUSEHOLD,
    away: Iterable[Candidate] = (),
    last: Candidate | None = None,
    load: Mapping[Candidate, int] | None = None,
    seed: int = 0,
) -> Assignment:
    return choose(
        strategy=strategy,
        eligible=list(eligible),
        away={member.user_id for member in away},
        last_assignee=None if last is None else last.user_id,
        load_minutes={member.user_id: minutes for member, minutes in (load or {}).items()},
        seed=seed,
    )


def _is(assignment: Assignment, member: Candidate, reason: str) -> None:
    assert (assignment.user_id, assignment.reason) == (member.user_id, reason)


# Every strategy


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_choose_nobody_eligible(strategy: Strategy) -> None:
    assert _choose(strategy, eligible=[]) == Assignment(
        user_id=None, reason="nobody is eligible for this chore"
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_choose_everyone_away(strategy: Strategy) -> None:
    assignment = _choose(strategy, eligible=[ALICE, BOB], away=[BOB, ALICE, CAROL], last=ALICE)
    assert assignment == Assignment(user_id=None, reason="everyone eligible is away: Alice and Bob")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_choose_single_member_everyone_away_names_them(strategy: Strategy) -> None:
    assert _choose(strategy, eligible=[ALICE], away=[ALICE]).reason == "everyone eligible is away: Alice"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_choose_ignores_away_members_who_are_not_eligible(strategy: Strategy) -> None:
    assignment = _choose(strategy, eligible=[ALICE], away=[BOB, CAROL])
    assert assignment.user_id == ALICE.user_id
    assert "away" not in assignment.reason


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_choose_never_picks_an_away_member(strategy: Strategy) -> None:
    for seed in range(50):
        assignment = _choose(strategy, away=[ALICE, CAROL], last=DAN, seed=seed)
        assert assignment.user_id in {BOB.user_id, DAN.user_id}
        assert assignment.reason


def test_choose_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown assignment strategy: 'weekly'"):
        _choose(cast(Strategy, "weekly"))


def test_choose_lists_a_member_twice_only_once() -> None:
    _is(
        _choose("round_robin", eligible=[ALICE, BOB, ALICE], last=BOB),
        ALICE,
        "round robin: Alice follows Bob",
    )


# Fixed


def test_choose_fixed_is_the_first_member() -> None:
    _is(_choose("fixed", last=CAROL), ALICE, "fixed: Alice")


def test_choose_fixed_does_not_mention_later_away_members() -> None:
    _is(_choose("fixed", away=[BOB]), ALICE, "fixed: Alice")


def test_choose_fixed_person_away_falls_back_in_order() -> None:
    _is(_choose("fixed", away=[ALICE]), BOB, "fixed: Bob stands in for Alice; Alice is away")


def test_choose_fixed_person_away_skips_further_away_members() -> None:
    _is(
        _choose("fixed", away=[ALICE, BOB, DAN]),
        CAROL,
        "fixed: Carol stands in for Alice; Alice and Bob are away",
    )


# Round robin


def test_choose_round_robin_starts_with_the_first_member() -> None:
    _is(_choose("round_robin"), ALICE, "round robin: Alice starts the rotation")


def test_choose_round_robin_follows_the_last_assignee() -> None:
    _is(_choose("round_robin", last=BOB), CAROL, "round robin: Carol follows Bob")


def test_choose_round_robin_wraps_around() -> None:
    _is(_choose("round_robin", last=DAN), ALICE, "round robin: Alice follows Dan")


def test_choose_round_robin_skips_away_members() -> None:
    _is(
        _choose("round_robin", last=DAN, away=[ALICE, BOB]),
        CAROL,
        "round robin: Carol follows Dan; Alice and Bob are away",
    )


def test_choose_round_robin_last_assignee_away_now_still_moves_on() -> None:
    _is(_choose("round_robin", last=BOB, away=[BOB]), CAROL, "round robin: Carol follows Bob")


def test_choose_round_robin_last_assignee_no_longer_eligible_starts_again() -> None:
    _is(
        _choose("round_robin", eligible=[ALICE, BOB, CAROL], last=DAN),
        ALICE,
        "round robin: Alice starts the rotation (the last assignee is no longer eligible)",
    )


def test_choose_round_robin_new_start_skips_away_members() -> None:
    _is(_choose("round_robin", away=[ALICE]), BOB, "round robin: Bob starts the rotation; Alice is away")


def test_choose_round_robin_only_one_available_goes_again() -> None:
    _is(
        _choose("round_robin", last=CAROL, away=[ALICE, BOB, DAN]),
        CAROL,
        "round robin: Carol again (the only one available); Dan, Alice and Bob are away",
    )


def test_choose_round_robin_single_member_goes_again() -> None:
    _is(
        _choose("round_robin", eligible=[ALICE], last=ALICE),
        ALICE,
        "round robin: Alice again (the only one available)",
    )


def test_choose_round_robin_skipped_member_keeps_their_place() -> None:
    """Bob is passed over once; he is not owed a catch-up turn, and not moved to the end."""
    last: Candidate | None = ALICE
    picked = []
    for away in [[BOB], [BOB], [], [], [], []]:
        assignment = _choose("round_robin", last=last, away=away)
        last = next(member for member in HOUSEHOLD if member.user_id == assignment.user_id)
        picked.append(last.name)
    assert picked == ["Carol", "Dan", "Alice", "Bob", "Carol", "Dan"]


# Least loaded


def test_choose_least_loaded_picks_the_fewest_minutes() -> None:
    _is(
        _choose("least_loaded", load={ALICE: 90, BOB: 80, CAROL: 45, DAN: 120}),
        CAROL,
        "least loaded: 45 min for Carol against 80 min for Bob (next lowest) over the last 28 days",
    )


def test_choose_least_loaded_tie_goes_to_the_earlier_member() -> None:
    _is(
        _choose("least_loaded", load={ALICE: 90, BOB: 45, CAROL: 60, DAN: 45}),
        BOB,
        "least loaded: 45 min for Bob against 45 min for Dan (next lowest, tie broken by order)"
        " over the last 28 days",
    )


def test_choose_least_loaded_missing_load_counts_as_zero() -> None:
    _is(
        _choose("least_loaded", load={ALICE: 10, BOB: 20, CAROL: 30}),
        DAN,
        "least loaded: 0 min for Dan against 10 min for Alice (next lowest) over the last 28 days",
    )


def test_choose_least_loaded_leaves_out_away_members() -> None:
    _is(
        _choose("least_loaded", away=[CAROL, ALICE], load={ALICE: 0, BOB: 50, CAROL: 0, DAN: 70}),
        BOB,
        "least loaded: 50 min for Bob against 70 min for Dan (next lowest) over the last 28 days;"
        " Alice and Carol are away",
    )


def test_choose_least_loaded_only_one_available() -> None:
    _is(
        _choose("least_loaded", eligible=[ALICE, BOB], away=[ALICE], load={BOB: 45}),
        BOB,
        "least loaded: Bob is the only one available (45 min over the last 28 days); Alice is away",
    )


# Random


def test_choose_random_is_reproducible_for_a_seed() -> None:
    draws = [_choose("random", seed=seed).user_id for seed in range(40)]
    assert draws == [_choose("random", seed=seed).user_id for seed in range(40)]
    assert set(draws) == {member.user_id for member in HOUSEHOLD}


def test_choose_random_reason_names_the_draw() -> None:
    assignment = _choose("random", away=[BOB], seed=7)
    chosen = next(member for member in HOUSEHOLD if member.user_id == assignment.user_id)
    assert assignment.reason == f"random: {chosen.name} drawn from Alice, Carol and Dan; Bob is away"


def test_choose_random_only_one_available() -> None:
    _is(
        _choose("random", away=[ALICE, BOB, CAROL], seed=3),
        DAN,
        "random: Dan is the only one available; Alice, Bob and Carol are away",
    )


def test_choose_random_is_roughly_uniform() -> None:
    counts = Counter(_choose("random", away=[DAN], seed=seed).user_id for seed in range(3000))
    assert set(counts) == {ALICE.user_id, BOB.user_id, CAROL.user_id}
    assert all(900 <= count <= 1100 for count in counts.values()), counts


def test_choose_random_leaves_the_global_generator_alone() -> None:
    state = random.getstate()
    _choose("random", seed=1)
    assert random.getstate() == state


# A year in a four-person household


@dataclass(frozen=True, slots=True, kw_only=True)
class _Occurrence:
    due: datetime
    chore: str
    minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Done:
    occurrence: _Occurrence
    assignment: Assignment
    away: frozenset[uuid.UUID]


YEAR = 2025
AWAY_MEMBER = CAROL
AWAY_DAYS = (date(YEAR, 6, 2), date(YEAR, 6, 15))  # two weeks, both ends included


def _occurrences() -> list[_Occurrence]:
    """Dishes daily (10 min), vacuum Mon+Thu (30), bathroom on Saturdays (60), fridge monthly (120)."""
    occurrences = []
    day = date(YEAR, 1, 1)
    while day.year == YEAR:
        occurrences.append(_Occurrence(due=datetime.combine(day, time(19)), chore="dishes", minutes=10))
        if day.weekday() in (0, 3):
            occurrences.append(_Occurrence(due=datetime.combine(day, time(18)), chore="vacuum", minutes=30))
        if day.weekday() == 5:
            occurrences.append(_Occurrence(due=datetime.combine(day, time(10)), chore="bathroom", minutes=60))
        if day.day == 1:
            occurrences.append(_Occurrence(due=datetime.combine(day, time(9)), chore="fridge", minutes=120))
        day += timedelta(days=1)
    return sorted(occurrences, key=lambda occurrence: occurrence.due)


def _away_at(due: datetime) -> frozenset[uuid.UUID]:
    return frozenset({AWAY_MEMBER.user_id} if AWAY_DAYS[0] <= due.date() <= AWAY_DAYS[1] else ())


def _simulate(strategy: Strategy) -> list[_Done]:
    """Assign every occurrence of the year in due order; the assignee completes it when due."""
    history: list[_Done] = []
    recent: deque[_Done] = deque()  # completions inside the load window, oldest first
    last: dict[str, uuid.UUID] = {}
    for occurrence in _occurrences():
        while recent and recent[0].occurrence.due <= occurrence.due - LOAD_WINDOW:
            recent.popleft()
        load: Counter[uuid.UUID] = Counter()
        for done in recent:
            assert done.assignment.user_id is not None
            load[done.assignment.user_id] += done.occurrence.minutes
        away = _away_at(occurrence.due)
        assignment = choose(
            strategy=strategy,
            eligible=HOUSEHOLD,
            away=away,
            last_assignee=last.get(occurrence.chore),
            load_minutes=load,
            seed=zlib.crc32(f"{occurrence.chore}@{occurrence.due.isoformat()}".encode()),
        )
        assert assignment.user_id is not None, assignment.reason
        done = _Done(occurrence=occurrence, assignment=assignment, away=away)
        history.append(done)
        recent.append(done)
        last[occurrence.chore] = assignment.user_id
    return history


def _yearly_minutes(history: list[_Done]) -> dict[str, int]:
    names = {member.user_id: member.name for member in HOUSEHOLD}
    minutes = dict.fromkeys(names.values(), 0)
    for done in history:
        assert done.assignment.user_id is not None
        minutes[names[done.assignment.user_id]] += done.occurrence.minutes
    return minutes


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simulation_nobody_is_assigned_while_away(strategy: Strategy) -> None:
    history = _simulate(strategy)
    assert len(history) == 365 + 104 + 52 + 12
    for done in history:
        assert done.assignment.reason
        assert done.assignment.user_id not in done.away
    assert sum(bool(done.away) for done in history) == 14 + 4 + 2  # dishes, vacuum, bathroom


def test_simulation_least_loaded_shares_the_effort_within_ten_percent() -> None:
    """Holds for this year and away period, not in general.

    A 28-day window forgets older work, so yearly totals drift: in other years or with other away
    dates this household reaches 17% off the mean, while a 56-day window stays within 8%.
    """
    minutes = _yearly_minutes(_simulate("least_loaded"))
    mean = sum(minutes.values()) / len(minutes)
    assert sum(minutes.values()) == 365 * 10 + 104 * 30 + 52 * 60 + 12 * 120
    for name, total in minutes.items():
        assert abs(total - mean) <= 0.10 * mean, (name, total, mean, minutes)


def test_simulation_round_robin_gives_equal_turns_per_chore() -> None:
    """Per chore, everyone's turns (done, or passed over while away) are equal within one.

    The member who was away misses the turns that fell while she was away, with no catch-up: so
    the members who were never away did equally many (within one) and she did fewer by exactly
    the turns she was passed over.
    """
    history = _simulate("round_robin")
    for chore in ("dishes", "vacuum", "bathroom", "fridge"):
        dones = [done for done in history if done.occurrence.chore == chore]
        done_count = Counter(done.assignment.user_id for done in dones)
        passed_over = sum(f"{AWAY_MEMBER.name} is away" in done.assignment.reason for done in dones)
        turns = {member.user_id: done_count[member.user_id] for member in HOUSEHOLD}
        turns[AWAY_MEMBER.user_id] += passed_over
        assert max(turns.values()) - min(turns.values()) <= 1, (chore, turns)
        always_here = [done_count[member.user_id] for member in HOUSEHOLD if member is not AWAY_MEMBER]
        assert max(always_here) - min(always_here) <= 1, (chore, done_count)
    dishes = [done for done in history if done.occurrence.chore == "dishes"]
    assert sum(f"{AWAY_MEMBER.name} is away" in done.assignment.reason for done in dishes) in (3, 4)
