"""Conversations that the ``chat`` tool continues across calls, kept in memory and bounded.

An MCP tool call is stateless, so an agent that wants a follow-up answer passes back the
``conversation_id`` it was given. The store keeps the most recently used conversations (LRU) and,
in each, the latest messages; the oldest are dropped first, so memory stays bounded however long
an agent runs: by count (``MAX_CONVERSATIONS``, ``MAX_MESSAGES``) and by size, measured as the
messages' JSON (``MAX_CONVERSATION_BYTES`` each, ``MAX_STORE_BYTES`` in all), since one message
with images can weigh megabytes. Nothing is written to disk: a restart forgets every conversation.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

import anyio

from protocol import ChatMessage, dumpb

MAX_CONVERSATIONS = 64
MAX_MESSAGES = 100
MAX_CONVERSATION_BYTES = 8 * 1024 * 1024
MAX_STORE_BYTES = 64 * 1024 * 1024


@dataclass
class Conversation:
    id: str
    system: str | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    lock: anyio.Lock = field(default_factory=anyio.Lock)  # its calls go one at a time
    size: int = 0  # of its messages' JSON, in bytes, as of the last turn recorded

    def request_messages(self, new: list[ChatMessage], system: str | None) -> list[ChatMessage]:
        """What goes upstream: the system prompt, the history, then this call's messages."""
        head: list[ChatMessage] = [{"role": "system", "content": system}] if system else []
        return [*head, *self.messages, *new]


class ConversationStore:
    def __init__(
        self,
        max_conversations: int = MAX_CONVERSATIONS,
        max_messages: int = MAX_MESSAGES,
        max_conversation_bytes: int = MAX_CONVERSATION_BYTES,
        max_store_bytes: int = MAX_STORE_BYTES,
    ) -> None:
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self.max_conversations = max_conversations
        self._max_messages = max_messages
        self._max_conversation_bytes = max_conversation_bytes
        self._max_store_bytes = max_store_bytes

    def __len__(self) -> int:
        return len(self._conversations)

    def get(self, conversation_id: str) -> Conversation | None:
        conversation = self._conversations.get(conversation_id)
        if conversation is not None:
            self._conversations.move_to_end(conversation_id)
        return conversation

    @staticmethod
    def start() -> Conversation:
        """A new conversation; stored by :meth:`record` once its first turn succeeds."""
        return Conversation(id=f"conv_{secrets.token_hex(8)}")

    def record(self, conversation: Conversation, turn: list[ChatMessage], system: str | None) -> None:
        """Append a finished turn (the caller's messages and the reply) and the system prompt it was
        sent with, dropping the oldest messages past the limits: never that turn, which the next
        one follows on from, even when it alone is past them."""
        conversation.system = system
        conversation.messages.extend(turn)
        conversation.size = _trim(conversation.messages, self._max_messages, self._max_conversation_bytes, len(turn))
        self._conversations[conversation.id] = conversation  # (re)inserted: it may have been evicted meanwhile
        self._conversations.move_to_end(conversation.id)
        total = sum(each.size for each in self._conversations.values())
        while len(self._conversations) > self.max_conversations or (
            total > self._max_store_bytes and len(self._conversations) > 1
        ):
            total -= self._conversations.popitem(last=False)[1].size


def _trim(messages: list[ChatMessage], limit: int, max_bytes: int, latest: int) -> int:
    """Drop the oldest messages until at most ``limit`` are left, weighing at most ``max_bytes``,
    or only the ``latest`` are, cutting only before a message that opens a turn: a history must
    not start with the model, or with a tool result whose call was cut off (the APIs refuse both).
    When the latest messages open no history by themselves (a tool result first), the cut goes
    back to the turn they follow on from. Answers the size left."""
    sizes = [len(dumpb(message)) for message in messages]  # dumpb: integers past 64 bits too
    size = sum(sizes)
    cut = 0
    while cut < len(messages) - latest and (len(messages) - cut > limit or size > max_bytes):
        size -= sizes[cut]
        cut += 1
    while 0 < cut < len(messages) and not _opens_a_turn(messages[cut]):
        cut += 1
    if cut > len(messages) - latest:
        cut = len(messages) - latest
        while cut > 0 and not _opens_a_turn(messages[cut]):
            cut -= 1
    del messages[:cut]
    return sum(sizes[cut:])


def _opens_a_turn(message: ChatMessage) -> bool:
    content = message["content"]
    return message["role"] == "user" and (isinstance(content, str) or all(p["type"] != "tool_result" for p in content))
