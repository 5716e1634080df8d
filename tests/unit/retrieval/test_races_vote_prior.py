"""The vote prior under concurrency: changes of votes cast at once reach it in any order, and add up the same."""

from itertools import permutations

from bot.retrieval.knowledge_base import KnowledgeBase


async def test_vote_changes_applied_in_any_order_give_the_same_counts(open_knowledge) -> None:
    knowledge: KnowledgeBase = await open_knowledge()
    try:
        # One person's 👎 (no vote -> down) and then 👍 (down -> up), committed in that order; a third
        # person's 👍. Their requests may finish, and move the prior, in any order.
        changes = [{"down": 1}, {"down": -1, "up": 1}, {"up": 1}]
        for order in permutations(changes):
            knowledge.set_vote_counts({})
            for change in order:
                knowledge.add_votes(["p1"], **change)
            assert knowledge.vote_counts("p1") == (2, 0), order
    finally:
        await knowledge.close()
