"""The counters' algebra: joining tallies is a semilattice; an event counts once however often replayed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.storage import counters
from nodeforge.storage.counters import FAILURES, LEGACY, PASSES, USES, Counter, Tally

WRITERS = ("a", "b", "c")
COUNTERS: tuple[Counter, ...] = (USES, PASSES, FAILURES)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, Counter, str]]:
    """Events as (writer, counter, event key); keys may repeat, as replays do."""
    events = draw(st.lists(st.tuples(st.sampled_from(COUNTERS), st.integers(0, 30)), max_size=25))
    return [
        (draw(st.sampled_from(WRITERS)), counter, counters.event_key(counter, f"e{n}", "p"))
        for counter, n in events
    ]


def replica_states(history: list[tuple[str, Counter, str]], cut: int) -> Tally:
    """What a replica that applied the first ``cut`` events of ``history`` holds."""
    tally = Tally()
    for writer, counter, key in history[:cut]:
        tally = tally.count(writer, counter, key)
    return tally


@st.composite
def tallies(draw: st.DrawFn) -> Tally:
    """A reachable state: some prefix of each writer's own history (slots only grow)."""
    joined = Tally()
    for writer in WRITERS:
        events = draw(st.lists(st.sampled_from(COUNTERS), max_size=6))
        own = [(writer, c, counters.event_key(c, f"{writer}{i}", "p")) for i, c in enumerate(events)]
        joined = joined.join(replica_states(own, draw(st.integers(0, len(own)))))
    return joined


@settings(max_examples=200, deadline=None)
@given(tallies(), tallies(), tallies())
def test_join_is_idempotent_commutative_and_associative(x: Tally, y: Tally, z: Tally) -> None:
    assert x.join(x) == x
    assert x.join(y) == y.join(x)
    assert x.join(y).join(z) == x.join(y.join(z))
    assert x.join(Tally()) == x


@settings(max_examples=200, deadline=None)
@given(histories())
def test_replaying_events_counts_each_distinct_event_once(history: list[tuple[str, Counter, str]]) -> None:
    tally = replica_states(history, len(history))
    replayed = replica_states(history + history, 2 * len(history))
    distinct = {key for _, _, key in history}
    assert tally == replayed
    assert tally.uses + tally.passes + tally.failures == len(distinct)


def test_a_verdict_counts_once_even_when_a_rerun_disagrees() -> None:
    passed = counters.event_key(PASSES, "node@hash", "p")
    failed = counters.event_key(FAILURES, "node@hash", "p")
    assert passed == failed  # one verdict per content: pass and fail share the event key
    tally = Tally().count("a", PASSES, passed).count("a", FAILURES, failed)
    assert (tally.passes, tally.failures) == (1, 0)
    assert counters.event_key(USES, "node@hash", "p") != passed  # using a pattern is another event


def test_two_writers_add_up_and_the_sum_survives_merging_in_any_order() -> None:
    laptop = Tally().count("laptop", PASSES, "k1")
    runner = Tally().count("runner", PASSES, "k2")
    assert laptop.join(runner).passes == runner.join(laptop).passes == 2


def test_payloads_without_a_tally_read_as_the_legacy_writer() -> None:
    old = {"usage_count": 4, "success_count": 3, "failure_count": 1}
    tally = counters.read(old)
    assert dict(tally.slots) == {LEGACY: counters.Slot(4, 3, 1)}
    assert counters.read({"usage_count": 0}) == Tally()
    assert counters.read({counters.TALLY_KEY: tally.to_json()}) == tally


def test_a_slot_remembers_a_bounded_number_of_events() -> None:
    tally = Tally()
    for n in range(counters.RECENT_EVENTS + 5):
        tally = tally.count("a", USES, f"k{n}")
    assert tally.uses == counters.RECENT_EVENTS + 5
    assert len(tally.slots["a"].recent) == counters.RECENT_EVENTS
    assert tally.has_seen(f"k{counters.RECENT_EVENTS + 4}") and not tally.has_seen("k0")


def test_the_writer_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = counters.writer_id(tmp_path / "store")
    assert first == counters.writer_id(tmp_path / "store") and len(first) == 32
    assert [p.name for p in (tmp_path / "store").iterdir()] == [counters.WRITER_FILE]
    assert counters.server_writer(first) != first
