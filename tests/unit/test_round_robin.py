"""The round-robin choice (actions/assignment._next_candidate) as properties: never above
capacity, never skips someone with room, and equal capacities share within one."""

from hypothesis import given
from hypothesis import strategies as st

from crossdesk.actions.assignment import _Candidate, _next_candidate

ids = st.lists(
    st.text("0123456789abcdef", min_size=4, max_size=4), min_size=1, max_size=8, unique=True
)


@given(ids, st.data(), st.integers(0, 40))
def test_never_over_capacity_and_never_idle_with_room(
    users: list[str], data: st.DataObject, n: int
) -> None:
    users = sorted(users)
    capacities = data.draw(st.lists(st.integers(0, 6), min_size=len(users), max_size=len(users)))
    candidates = [_Candidate(u, c) for u, c in zip(users, capacities, strict=True)]
    counts = {u: data.draw(st.integers(0, 3)) for u in users}
    cursor = data.draw(st.none() | st.sampled_from(users))
    for _ in range(n):
        chosen = _next_candidate(candidates, counts, cursor)
        room = [c for c in candidates if counts[c.user_id] < c.capacity]
        if chosen is None:
            assert room == []  # nobody is left waiting while someone has room
            break
        assert counts[chosen.user_id] < chosen.capacity
        counts[chosen.user_id] += 1
        cursor = chosen.user_id


@given(ids, st.integers(1, 60))
def test_equal_capacities_share_within_one(users: list[str], n: int) -> None:
    users = sorted(users)
    candidates = [_Candidate(u, 1000) for u in users]
    counts = dict.fromkeys(users, 0)
    cursor = None
    for _ in range(n):
        chosen = _next_candidate(candidates, counts, cursor)
        assert chosen is not None
        counts[chosen.user_id] += 1
        cursor = chosen.user_id
    assert max(counts.values()) - min(counts.values()) <= 1
