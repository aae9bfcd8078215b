"""Message status moves forward only."""

from hypothesis import given
from hypothesis import strategies as st

from crossdesk.domain import MessageStatus as S


def test_late_sent_never_overwrites_read() -> None:
    assert not S.READ.can_become(S.SENT)
    assert not S.READ.can_become(S.DELIVERED)
    assert not S.DELIVERED.can_become(S.SENT)
    assert S.SENT.can_become(S.READ)


def test_failure_after_success_is_ignored_but_success_after_failure_counts() -> None:
    assert not S.DELIVERED.can_become(S.FAILED)
    assert not S.READ.can_become(S.FAILED)
    assert S.SENDING.can_become(S.FAILED)
    assert S.FAILED.can_become(S.DELIVERED)
    assert S.UNKNOWN.can_become(S.READ)
    assert S.UNKNOWN.can_become(S.SENT)


def test_a_failure_reported_after_sent_counts_and_a_late_sent_does_not_undo_it() -> None:
    assert S.SENT.can_become(S.FAILED)  # WhatsApp: accepted, then 131047 / 131026
    assert S.UNKNOWN.can_become(S.FAILED)
    assert not S.FAILED.can_become(S.SENT)  # the earlier "sent", delivered late


@given(st.lists(st.sampled_from([S.SENT, S.DELIVERED, S.READ]), min_size=1, max_size=12))
def test_any_order_of_reports_ends_at_the_furthest(reports: list[S]) -> None:
    status = S.QUEUED
    for report in reports:
        if status.can_become(report):
            status = report
    assert status is max(reports, key=lambda s: s.rank)
