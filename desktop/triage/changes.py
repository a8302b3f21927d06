"""What a mutation changed, so views can update from it instead of resetting."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Changes:
    """The result of a mutation: which rows moved and what kind of change it was."""

    article_ids: frozenset[int] = field(default_factory=frozenset)
    source_ids: frozenset[int] = field(default_factory=frozenset)
    fields: frozenset[str] = field(default_factory=frozenset)
    """Which attributes changed: 'read', 'flagged', 'archived', 'tags', 'content', 'new'…"""
    description: str = ""
    log_id: int | None = None
    """The triage-log entry this created (or undid), if any."""

    @property
    def empty(self) -> bool:
        return not (self.article_ids or self.source_ids)

    def merge(self, other: Changes) -> Changes:
        """Both changes as one."""
        return Changes(
            self.article_ids | other.article_ids,
            self.source_ids | other.source_ids,
            self.fields | other.fields,
            other.description or self.description,
            other.log_id or self.log_id,
        )
