"""The five stages of a data flywheel's loop: the one vocabulary the interview, check-ins and blocks share."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A stage of the loop, in the order the loop turns (iterating `Stage` gives that order)."""

    COLLECTION = "collection"
    STORAGE = "storage"
    ANALYSIS = "analysis"
    APPLICATION = "application"
    FEEDBACK = "feedback"

    @property
    def label(self) -> str:
        """The stage's name as people read it ("Collection")."""
        return self.value.capitalize()

    @property
    def following(self) -> Stage:
        """The stage the loop turns to next (Feedback turns back to Collection)."""
        order = list(Stage)
        return order[(order.index(self) + 1) % len(order)]
