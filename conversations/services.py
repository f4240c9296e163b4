"""The verbs on conversations and messages (sync, one transaction each; async callers wrap them).

A message gets its sequence number from the conversation row (`last_seq`, incremented by a conditional UPDATE that
locks the row until commit), so numbers are unique and ordered per conversation; the customer's message is
committed before it is acknowledged, and a repeated client id returns the stored message instead of a new one.
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.exceptions import ConversationClosed, InvalidRating
from conversations.gaps import note_unresolved
from conversations.models import Conversation, ConversationEvent, Message
from helpdesk.emails import canonical_email_or_blank
from helpdesk.fingerprints import address_fingerprint, session_fingerprint
from helpdesk.pii import mask_payment_data
from helpdesk.realtime import broadcast_on_commit, conversation_group
from orders.models import Customer
from tickets.services import open_handoff_for, solve_ticket


def allocate_seq(conversation_id, *, lease_owner: str | None = None, statuses=None) -> int | None:
    """The next sequence number of the conversation, which also counts as activity on it.

    Call inside a transaction: the row stays locked until commit, so numbers are unique and ordered. One statement
    (UPDATE … RETURNING, on PostgreSQL and SQLite >= 3.35 alike): a turn stores a dozen messages, and on PostgreSQL
    each round trip counts.

    With `lease_owner` and `statuses` (a turn's reservation before each model call) the same statement is the
    check that the turn lease is that owner's and the status one of those: when it is not, None, nothing allocated.
    """
    conditions = []
    if lease_owner is not None:
        conditions.append(("turn_lease_owner = %s", [lease_owner]))
    if statuses is not None:
        statuses = sorted(statuses)
        conditions.append((f"status IN ({', '.join(['%s'] * len(statuses))})", statuses))
    row = _allocate(conversation_id, conditions)
    if row is None and not conditions:
        raise Conversation.DoesNotExist(conversation_id)
    return row[0] if row is not None else None


def _allocate(conversation_id, conditions: list[tuple[str, list]]) -> tuple[int, str] | None:
    """allocate_seq's statement, under `conditions` (SQL, params): (the seq, the status) or None."""
    quote = connection.ops.quote_name
    table = quote(Conversation._meta.db_table)
    conversation_pk = Conversation._meta.pk.get_db_prep_value(conversation_id, connection)
    now = Conversation._meta.get_field("last_activity_at").get_db_prep_value(timezone.now(), connection)
    where, params = [f"{quote(Conversation._meta.pk.column)} = %s"], [now, conversation_pk]
    for sql, values in conditions:
        where.append(sql)
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_seq = last_seq + 1, last_activity_at = %s WHERE {' AND '.join(where)} "
                       "RETURNING last_seq, status", params)
        return cursor.fetchone()


REPLAY_LOOKBACK_SEQS = 200  # how far below the client's seq a late message is looked for (a turn is a few seqs)


def replay_point(conversation_id, last_seq: int) -> int:
    """Where a client whose newest message frame had seq `last_seq` must be replayed from: the highest seq up to
    which it has certainly seen everything (clients ignore what they get twice).

    A seq is not a clock: an answer streams under a seq reserved before it is stored, so messages with higher seqs
    can be stored, and seen, first. Below `last_seq` the client may therefore lack
    - a message stored late, after some message with a higher seq up to `last_seq`: it is replayed, with all after;
    - a message not stored yet, at a seq reserved by the turn still running: the replay starts below the gap, so
      the socket sends it when it lands (its `last_sent_seq` never passes a gap). A gap left by a turn that died
      stays empty for good and is ignored once no turn holds the lease.
    """
    if last_seq <= 0:
        return 0
    rows = list(Message.objects.filter(conversation_id=conversation_id, seq__lte=last_seq,
                                       seq__gt=last_seq - REPLAY_LOOKBACK_SEQS)
                .order_by("seq").values_list("seq", "created_at"))
    point = last_seq
    earliest_above = None  # the earliest storing time among the seqs above the one looked at
    for seq, created_at in reversed(rows):
        if earliest_above is not None and created_at > earliest_above:
            point = seq - 1
        earliest_above = created_at if earliest_above is None else min(earliest_above, created_at)
    turn_running = Conversation.objects.filter(pk=conversation_id, turn_lease_until__gt=timezone.now()).exists()
    if turn_running:
        stored = {seq for seq, _ in rows}
        first = max(1, last_seq - REPLAY_LOOKBACK_SEQS + 1)
        missing = next((seq for seq in range(first, point + 1) if seq not in stored), None)
        if missing is not None:
            point = missing - 1
    return point


def log_event(conversation_id, kind: str, actor: str, detail: str = "", *, user=None, **data) -> ConversationEvent:
    return ConversationEvent.objects.create(
        conversation_id=conversation_id, kind=kind, actor=actor, actor_user=user, detail=detail[:300], data=data
    )


def find_open_conversation(*, session_key: str, customer: Customer | None, conversation_id=None) -> Conversation | None:
    """The conversation this browser (or this logged-in customer, in any tab) is having, if any is open.

    `session_key` is the browser session's key in clear; only its fingerprint is stored and compared."""
    open_ones = Conversation.objects.exclude(status=Conversation.Status.CLOSED)
    if conversation_id:
        candidate = open_ones.filter(pk=conversation_id).first()
        if candidate and _belongs_to(candidate, session_key, customer):
            return candidate
    if customer is not None:
        found = open_ones.filter(customer=customer).order_by("-last_activity_at").first()
        if found:
            return found
    if session_key:
        return (open_ones.filter(session_key_hash=session_fingerprint(session_key), customer__isnull=True)
                .order_by("-last_activity_at").first())
    return None


def _belongs_to(conversation: Conversation, session_key: str, customer: Customer | None) -> bool:
    if conversation.customer_id is not None:
        return customer is not None and conversation.customer_id == customer.pk
    return bool(session_key) and conversation.session_key_hash == session_fingerprint(session_key)


@transaction.atomic
def start_conversation(*, session_key: str, customer: Customer | None, language: str, backend: str,
                       client_address: str = "") -> Conversation:
    """A new conversation for this browser session (its key in clear: only a fingerprint is stored).

    `client_address` is the socket's peer address (fingerprinted too): with the session it keys the look-up
    lock-out across conversations. A logged-in customer's email is the verified one, in canonical form."""
    return Conversation.objects.create(
        session_key_hash=session_fingerprint(session_key),
        client_address_hash=address_fingerprint(client_address),
        customer=customer,
        verified_email=canonical_email_or_blank(customer.email) if customer else "",
        language=language,
        backend=backend,
    )


@dataclass(frozen=True)
class Recorded:
    message: Message
    created: bool
    card_masked: bool = False
    status: str = ""  # the conversation's status when the message was stored (created ones)


def record_customer_message(*, conversation_id, text: str, client_id: str | None) -> Recorded:
    """Store what the customer typed (card numbers and secrets masked first); idempotent on `client_id`.

    Two statements in the usual case: the seq allocated by a conditional UPDATE that finds the conversation open
    (and says its status), and the INSERT; a repeated client id is caught by its unique constraint, and the stored
    message returned (also from a conversation closed since). A closed conversation raises ConversationClosed."""
    masked = mask_payment_data(text)
    try:
        with transaction.atomic():
            allocated = _allocate(conversation_id, [("status <> %s", [Conversation.Status.CLOSED])])
            if allocated is None:
                existing = client_id and Message.objects.filter(conversation_id=conversation_id,
                                                                client_id=client_id).first()
                if existing:
                    return Recorded(existing, created=False)
                if not Conversation.objects.filter(pk=conversation_id).exists():
                    raise Conversation.DoesNotExist(conversation_id)
                raise ConversationClosed()
            message = Message.objects.create(
                conversation_id=conversation_id,
                seq=allocated[0],
                role=Message.Role.CUSTOMER,
                text=masked.text,
                content=[{"type": "text", "text": masked.text}],
                client_id=client_id or None,
            )
    except IntegrityError:
        # The same client id raced in from another tab or process: that one was stored.
        existing = Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()
        if existing is None:
            raise
        return Recorded(existing, created=False)
    return Recorded(message, created=True, card_masked=masked.found_card, status=allocated[1])


@transaction.atomic
def record_message(
    *, conversation_id, role: str, text: str = "", content: list | None = None, seq: int | None = None,
    author=None, action: dict | None = None, usage=None, model: str = "",
) -> Message:
    """Store an assistant, agent, tool or system message (at `seq` if it was reserved while streaming)."""
    message = Message.objects.create(
        conversation_id=conversation_id,
        seq=seq if seq is not None else allocate_seq(conversation_id),
        role=role,
        text=text,
        content=content if content is not None else ([{"type": "text", "text": text}] if text else []),
        author=author,
        action=action,
        model=model,
        input_tokens=getattr(usage, "input_tokens", 0),
        output_tokens=getattr(usage, "output_tokens", 0),
        cache_read_tokens=getattr(usage, "cache_read_tokens", 0),
        cache_write_tokens=getattr(usage, "cache_write_tokens", 0),
        tool_calls=sum(1 for b in content or [] if b.get("type") == "tool_result"),
        tool_errors=sum(1 for b in content or [] if b.get("type") == "tool_result" and b.get("is_error")),
    )
    first_response = role in (Message.Role.ASSISTANT, Message.Role.AGENT) and bool(text)
    now = timezone.now()
    if seq is not None:  # reserved earlier: the allocation stamped the activity then; one UPDATE stamps both
        fields = {"last_activity_at": now}
        if first_response:
            fields["first_response_at"] = Coalesce("first_response_at", Value(now))
        Conversation.objects.filter(pk=conversation_id).update(**fields)
    elif first_response:
        Conversation.objects.filter(pk=conversation_id, first_response_at__isnull=True).update(first_response_at=now)
    return message


@transaction.atomic
def reserve_seq(conversation_id) -> int:
    return allocate_seq(conversation_id)


def set_status(conversation: Conversation, status: str, *, actor: str, kind: str | None = None, detail: str = "",
               user=None, **fields) -> Conversation:
    """Move the conversation through its pipeline (under the caller's transaction) and wake its sockets.

    The status, `fields` and the history row (by `actor`; `user` for a person, `detail` as its note) are written
    by one save."""
    conversation.transition_to(status, actor=actor, user=user, note=detail)
    for name, value in fields.items():
        setattr(conversation, name, value)
    conversation.save(update_fields=["status", *fields])
    if kind:
        log_event(conversation.pk, kind, actor, detail, user=user)
    broadcast_on_commit(conversation_group(conversation.pk), {"type": "conversation.state", "status": status})
    return conversation


@transaction.atomic
def close_conversation(*, conversation_id, actor: str, user=None) -> Conversation:
    """End the conversation (customer's close, or an agent's resolve). The customer is then asked for a rating."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        return conversation
    had_human = conversation.agent_joined_at is not None
    if had_human:
        outcome = Conversation.Outcome.RESOLVED_BY_AGENT
    elif conversation.escalated_at is not None:
        outcome = Conversation.Outcome.ABANDONED
    else:
        outcome = Conversation.Outcome.RESOLVED_BY_ASSISTANT
    ticket = open_handoff_for(conversation.pk)
    if ticket is not None:
        solve_ticket(ticket=ticket, actor=actor, user=user)
    if outcome == Conversation.Outcome.ABANDONED:
        note_unresolved(conversation)
    return set_status(conversation, Conversation.Status.CLOSED, actor=actor, kind=ConversationEvent.Kind.CLOSED,
                      user=user, closed_at=timezone.now(), outcome=outcome, turn_lease_until=None,
                      turn_lease_owner="")


@transaction.atomic
def submit_csat(*, conversation_id, score, comment: str = "") -> Conversation:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidRating("The rating must be a whole number from 1 to 5.")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.status != Conversation.Status.CLOSED:
        raise InvalidRating("You can rate the conversation once it has ended.")
    conversation.csat_score = score
    conversation.csat_comment = (comment or "").strip()[:1000]
    conversation.save(update_fields=["csat_score", "csat_comment"])
    log_event(conversation.pk, ConversationEvent.Kind.CSAT, "customer", f"{score}/5")
    return conversation
