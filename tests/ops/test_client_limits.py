"""Who a client is, and its shares: the gate's rules with a clock of our own (no waiting)."""

from __future__ import annotations

import pytest

from ascn_kg.config import Settings
from ascn_kg.errors import LimitReached
from ascn_kg.ops.client_limits import QueryGate, RateLimiter
from ascn_kg.ops.clients import client_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(call) -> LimitReached:
    with pytest.raises(LimitReached) as caught:
        call()
    return caught.value


def test_a_client_has_at_most_its_share_and_gets_it_back() -> None:
    gate = QueryGate(capacity=8, per_client=2, seconds_per_minute=60, clock=Clock())
    first, second = gate.enter("10.0.0.1"), gate.enter("10.0.0.1")
    third = refusal(lambda: gate.enter("10.0.0.1"))
    assert (third.status, third.reason, third.retry_after) == (429, "client", 1)
    assert "at most 2 of yours" in third.message
    other = gate.enter("10.0.0.2")  # another client is not held back
    first.release(0.5)
    first.release(0.5)  # a second release changes nothing
    assert gate.holding("10.0.0.1") == 1 and gate.held == 2
    gate.enter("10.0.0.1")
    second.release()
    other.release()


def test_the_server_answers_503_when_every_query_thread_is_taken() -> None:
    gate = QueryGate(capacity=3, per_client=2, seconds_per_minute=60, clock=Clock())
    tickets = [gate.enter(f"10.0.0.{n}") for n in range(3)]
    busy = refusal(lambda: gate.enter("10.0.0.9"))
    assert (busy.status, busy.reason) == (503, "busy")
    refusal(lambda: gate.check("10.0.0.9"))  # the early check says the same, taking nothing
    tickets[0].release()
    gate.check("10.0.0.9")
    assert gate.held == 2


def test_query_time_past_the_budget_waits_until_old_queries_leave_the_minute() -> None:
    clock = Clock()
    gate = QueryGate(capacity=8, per_client=2, seconds_per_minute=30, clock=clock)
    for spent in (10.0, 12.0, 9.0):  # 31 s in all, the first at t=1000, then 1010, 1020
        gate.enter("10.0.0.1").release(spent)
        clock.now += 10
    used_up = refusal(lambda: gate.enter("10.0.0.1"))
    assert (used_up.status, used_up.reason) == (429, "client")
    assert "took 31.0 s in the last minute and the limit is 30 s" in used_up.message
    assert used_up.retry_after == 30  # at t=1060 the first query (10 s) leaves the window: 21 s < 30 s
    gate.enter("10.0.0.2").release()  # others are not held back
    clock.now += 30
    gate.enter("10.0.0.1").release()


def test_the_rate_limiter_counts_a_minute_per_client() -> None:
    clock = Clock()
    limiter = RateLimiter(3, "permalinks made", clock=clock)
    for _ in range(3):
        limiter.count("a")
        clock.now += 5
    too_many = refusal(lambda: limiter.count("a"))
    assert (too_many.status, too_many.retry_after) == (429, 45)
    assert "too many permalinks made: at most 3 a minute" in too_many.message
    limiter.count("b")
    clock.now += 45
    limiter.count("a")


def test_no_cap_for_one_address_playing_many_users() -> None:
    gate = QueryGate(capacity=3, per_client=0, seconds_per_minute=0, clock=Clock())
    tickets = [gate.enter("127.0.0.1") for _ in range(3)]  # only the worker's capacity holds
    assert refusal(lambda: gate.enter("127.0.0.1")).status == 503
    for ticket in tickets:
        ticket.release(100.0)  # and no budget
    gate.enter("127.0.0.1")


def test_no_client_can_hold_every_query_process() -> None:
    assert Settings(client_queries=2, workers=1).query_pool_size >= 3
    assert Settings(client_queries=2, query_workers=2).query_pool_size == 2  # unless told otherwise


def test_capacity_leaves_threads_for_pages() -> None:
    assert Settings(threads=16).query_capacity == 8
    assert Settings(threads=16, query_threads=12).query_capacity == 12
    assert Settings(threads=4, query_threads=12).query_capacity == 3  # one thread always left
    assert Settings(threads=1).query_capacity == 1


@pytest.mark.parametrize(("environ", "proxies", "client"), [
    ({"REMOTE_ADDR": "192.0.2.7"}, (), "192.0.2.7"),
    ({"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, (), "192.0.2.7"),  # not trusted
    ({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.5"}, ("10.0.0.0/8",), "203.0.113.5"),
    ({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "not an address"}, ("10.0.0.0/8",), "10.1.2.3"),
    ({"REMOTE_ADDR": "10.1.2.3"}, ("10.1.2.3",), "10.1.2.3"),
    ({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, (), "2001:db8:1:2::/64"),  # one host's /64 is one client
    ({"REMOTE_ADDR": "::ffff:192.0.2.9"}, (), "192.0.2.9"),
    ({}, (), "unknown"),
])
def test_a_client_is_its_address_or_its_trusted_proxys_word(environ: dict, proxies: tuple, client: str) -> None:
    assert client_of(dict(environ), proxies) == client


def test_a_bad_trusted_proxy_is_named() -> None:
    with pytest.raises(ValueError, match=r"'proxy\.example' is not an IP address"):
        client_of({"REMOTE_ADDR": "10.0.0.1"}, ("proxy.example",))


def test_a_busy_clients_query_time_is_kept_in_at_most_one_bucket_a_second() -> None:
    """A client sending a thousand quick queries a second for two minutes: its window holds at most
    sixty buckets (one a second), so admitting its next query never walks every query it sent, and
    the total is the sum of the last minute's."""
    clock = Clock()
    gate = QueryGate(capacity=8, per_client=2, seconds_per_minute=60, clock=clock)
    for _ in range(120_000):
        gate.enter("10.0.0.1").release(0.0004)
        clock.now += 0.001
    spent = gate._spent["10.0.0.1"]
    assert len(spent.buckets) <= 61
    assert gate._spent_in_window("10.0.0.1", clock.now)[0] == pytest.approx(60_000 * 0.0004, rel=0.02)
