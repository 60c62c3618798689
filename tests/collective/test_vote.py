"""Vote arithmetic: plurality, weights, confidence, agreement and the early-stop rule."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from orcollective.collective.vote import Ballot, agreement, decided, group, log_odds_weight, peer_agreement, tally


def ballots(*pairs: tuple[str, str | None]) -> list[Ballot]:
    return [Ballot(model, key) for model, key in pairs]


def test_plurality_winner_and_share():
    """The most common key wins; confidence is its share of parsed answers."""
    t = tally(ballots(("a", "B"), ("b", "B"), ("c", "A"), ("d", None)))
    assert t.winner == "B"
    assert t.confidence == 2 / 3
    assert t.parsed == 3
    assert [g.models for g in t.groups] == [["a", "b"], ["c"]]


def test_ties_go_to_the_answer_whose_supporter_comes_first():
    """Equal counts: the group whose first member comes first in the ballot order wins."""
    assert tally(ballots(("a", "X"), ("b", "Y"), ("c", "Y"), ("d", "X"))).winner == "X"


def test_weighted_vote_lets_reliable_models_outvote_a_crowd():
    """Two trusted models beat three untrusted ones, and confidence is the posterior, not the share."""
    weights = {"good1": 3.0, "good2": 3.0, "bad1": 0.5, "bad2": 0.5, "bad3": 0.5}
    t = tally(ballots(("bad1", "17"), ("bad2", "17"), ("bad3", "17"), ("good1", "42"), ("good2", "42")), weights)
    assert t.winner == "42"
    assert math.isclose(t.confidence, 1 / (1 + math.exp(1.5 - 6.0)))


def test_zero_weight_models_cannot_decide():
    """A model with no weight does not move the weighted result."""
    weights = {"a": 0.0, "b": 1.0}
    assert tally(ballots(("a", "X"), ("b", "Y")), weights).winner == "Y"


def test_log_odds_weight_grows_with_reliability_and_is_never_negative():
    """Better models weigh more; a model worse than chance weighs nothing."""
    assert log_odds_weight(0.9) > log_odds_weight(0.7) > log_odds_weight(0.6) > 0
    assert log_odds_weight(0.05) == 0.0
    assert log_odds_weight(0.5) == 0.0


def test_agreement_spans_zero_to_one():
    """All the same gives 1; all different gives 0; a split lies between."""
    assert agreement(group(ballots(("a", "1"), ("b", "1"), ("c", "1")))) == 1.0
    assert agreement(group(ballots(("a", "1"), ("b", "2"), ("c", "3")))) == 0.0
    assert 0 < agreement(group(ballots(("a", "1"), ("b", "1"), ("c", "2")))) < 1


def test_decided_only_when_the_leader_cannot_be_overtaken():
    """3-0 with 2 pending is decided; 2-0 with 2 pending is not (a tie could still happen)."""
    assert decided(ballots(("a", "B"), ("b", "B"), ("c", "B")), [1, 1], None)
    assert not decided(ballots(("a", "B"), ("b", "B")), [1, 1], None)
    assert decided(ballots(("a", "B"), ("b", "B"), ("c", "A")), [], None)
    assert not decided([], [1], None)


@given(st.lists(st.sampled_from(["A", "B", "C", None]), min_size=1, max_size=12), st.integers(0, 6))
def test_early_stop_never_changes_the_winner(keys, pending):
    """Whatever the pending models answer, a decided leader stays the winner."""
    done = [Ballot(f"m{i}", k) for i, k in enumerate(keys)]
    if not decided(done, [1.0] * pending, None):
        return
    leader = tally(done).winner
    for late in ("A", "B", "C"):
        extra = [Ballot(f"p{i}", late) for i in range(pending)]
        assert tally(done + extra).winner == leader


def test_peer_agreement_leaves_the_model_itself_out():
    """Each model is judged against the others' plurality; a tie among the others gives no verdict."""
    verdicts = peer_agreement({"a": "42", "b": "42", "c": "17", "d": "42"})
    assert verdicts == {"a": True, "b": True, "c": False, "d": True}
    assert peer_agreement({"a": "1", "b": "2", "c": "3"}) == {}
    assert peer_agreement({"solo": "1"}) == {}
