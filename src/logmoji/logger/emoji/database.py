"""The database emoji set: connections, queries, transactions and slow queries.

A query event with ``duration_ms`` of at least :attr:`DatabaseEmojiSet.slow_query_ms`
is shown as a slow query (🐢), as is any event named ``slow_query``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet

__all__ = ["DatabaseEmojiSet"]

_FAILURE = frozenset({"failure"})


class DatabaseEmojiSet(RuleBasedEmojiSet):
    """Emojis for database clients and ORMs."""

    domain = "database"
    aliases = (
        "db",
        "sql",
        "sqlalchemy",
        "postgres",
        "postgresql",
        "psycopg",
        "psycopg2",
        "asyncpg",
        "mysql",
        "sqlite",
        "sqlite3",
        "redis",
        "mongo",
        "mongodb",
        "pymongo",
        "alembic",
    )
    slow_query_ms: ClassVar[float] = 1000.0
    rules: ClassVar[tuple[EmojiRule, ...]] = (
        EmojiRule("⏰", any_of=("timeout*", "timed")),
        EmojiRule("🔒", any_of=("deadlock*", "lock*")),
        EmojiRule("🔌❌", any_of=("connect*",), statuses=_FAILURE),
        EmojiRule("↩️", any_of=("rollback*", "rolled")),
        EmojiRule("💥", statuses=_FAILURE),
        EmojiRule("🐢", any_of=("slow",)),
        EmojiRule("🔌", any_of=("connect*", "disconnect*", "pool*")),
        EmojiRule("💾", any_of=("commit*",)),
        EmojiRule("🔐", any_of=("transaction*", "txn", "savepoint*")),
        EmojiRule("🏗️", any_of=("migrat*", "schema", "ddl")),
        EmojiRule("✏️", any_of=("insert*", "updat*", "upsert*", "write*")),
        EmojiRule("🗑️", any_of=("delet*", "truncat*")),
        EmojiRule("🔍", any_of=("query*", "select*", "execut*", "fetch*", "read*")),
    )
    default = "🗄️"

    def context_key(self, fields: Mapping[str, Any]) -> Hashable:
        """Return ``"slow"`` when ``duration_ms`` reaches the slow-query threshold."""
        duration = fields.get("duration_ms")
        if isinstance(duration, int | float) and duration >= self.slow_query_ms:
            return "slow"
        return None

    def get_emoji_in_context(self, action: str, status: str, context: Hashable) -> str:
        """Return 🐢 for a slow successful query, otherwise the rule's emoji."""
        if context == "slow" and status != "failure":
            return "🐢"
        return self.get_emoji(action, status)
