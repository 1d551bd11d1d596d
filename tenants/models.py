"""Units (the tenants), their users, and their bundle versions and drafts.

``Unit`` is the tenant itself and is platform-level; every other table is tenant-owned and
inherits ``TenantModel`` (tenants/scope.py), which is what keeps units apart.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from tenants.errors import BanwenError
from tenants.scope import TenantModel


class Unit(Model):
    """A government unit: the tenant. Units form a tree 市 → 县区 → 乡镇, departments under each."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=200)
    short_name = fields.CharField(max_length=50, null=True)
    level = fields.CharField(max_length=8)
    category = fields.CharField(max_length=8)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    office_code = fields.CharField(max_length=20)
    exchange_unit = fields.BooleanField(default=False)
    extends: Any = fields.JSONField(default=list)
    published_version = fields.IntField(default=0)
    # What the permission layer needs from the published version (rbac.access.access_of): roles,
    # assignments, posts and their holders; small, so loading 375 units' permissions stays cheap.
    access: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit"


class User(TenantModel):
    """A person with an account in one unit. ``login`` is unique across the platform."""

    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=50)
    department = fields.CharField(max_length=64, null=True)
    title = fields.CharField(max_length=50, null=True)
    phone = fields.CharField(max_length=32, null=True)
    password_hash = fields.CharField(max_length=200)
    is_active = fields.BooleanField(default=True)
    # Bumped when the password changes: sessions signed with an older epoch are void.
    session_epoch = fields.IntField(default=0)
    password_changed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class ImmutableVersion(BanwenError):
    status = 409
    exit_code = 3

    def __init__(self) -> None:
        super().__init__("已发布的版本不可修改或删除。", "A published version cannot be changed or deleted.")


class BundleVersion(TenantModel):
    """One published, immutable version of a unit's bundle.

    ``files`` holds the unit's own files as text (comments and key order kept, so export
    round-trips); ``resolved`` the effective configuration with templates merged, which is what
    the runtime reads and what ``diff`` compares.
    """

    id = fields.IntField(primary_key=True)
    number = fields.IntField()
    files: Any = fields.JSONField()
    resolved: Any = fields.JSONField()
    content_hash = fields.CharField(max_length=64)
    author = fields.CharField(max_length=64)
    message = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bundle_version"
        unique_together = (("tenant", "number"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise ImmutableVersion()
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise ImmutableVersion()


class BundleDraft(TenantModel):
    """The unit's working copy: edited freely, checked, then published as a new version."""

    id = fields.IntField(primary_key=True)
    files: Any = fields.JSONField()
    base_number = fields.IntField(default=0)
    revision = fields.IntField(default=1)
    updated_by = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bundle_draft"
        unique_together = (("tenant",),)


class PolicyChange(Model):
    """A domain whose permissions changed (publish, appointment filed, token issued or revoked).

    Every process keeps its own Casbin enforcer; before deciding, it reads the changes newer than
    the last one it applied and reloads exactly those domains (rbac.authority).
    """

    id = fields.BigIntField(primary_key=True)
    domain = fields.CharField(max_length=64)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_change"


class PlatformGrant(Model):
    """A platform role (city auditor, platform admin, filing officer) held by a user of some unit."""

    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64)
    role = fields.CharField(max_length=64)
    granted_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "platform_grant"
        unique_together = (("login", "role"),)


class LoginThrottle(Model):
    """Failed sign-ins counted per account and per client address, and the lock-out they cause."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=8)  # account | address
    key = fields.CharField(max_length=128)
    failures = fields.IntField(default=0)
    first_failure_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"
        unique_together = (("kind", "key"),)


class ApiToken(TenantModel):
    """A machine client's bearer token: one unit, one role, revocable. Only its sha256 is stored."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    role = fields.CharField(max_length=64)
    prefix = fields.CharField(max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=64, null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class Appointment(TenantModel):
    """An appointment to a post that needs filing (备案): 系统管理员, 收发文员.

    It runs through the ``staff_appointment`` flow of the unit's published bundle; the appointee
    holds the post (and its roles) only once ``state`` is ``filed``.
    """

    id = fields.IntField(primary_key=True)
    post = fields.CharField(max_length=64)
    appointee = fields.CharField(max_length=64)
    data: Any = fields.JSONField(default=dict)
    flow_version = fields.IntField()
    node = fields.CharField(max_length=64)
    state = fields.CharField(max_length=16, db_index=True)  # running | filed | rejected | withdrawn | superseded
    submitted_by = fields.CharField(max_length=64)
    history: Any = fields.JSONField(default=list)
    lock_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    filed_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appointment"


class ImmutableEvent(BanwenError):
    status = 409
    exit_code = 3

    def __init__(self) -> None:
        super().__init__("审计事件只能追加，不可修改或删除。", "Audit events are append-only: they cannot be changed or deleted.")


class AuditEvent(TenantModel):
    """One state-changing action, hash-chained per unit (tenants.audit).

    ``hash`` covers every other column and ``prev_hash``, the hash of the unit's previous event,
    so an edited, deleted or inserted row breaks the chain where it happened.
    """

    id = fields.BigIntField(primary_key=True)
    seq = fields.IntField()
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=64)
    acting_for = fields.CharField(max_length=64, null=True)
    obj = fields.CharField(max_length=200, source_field="object")
    action = fields.CharField(max_length=64)
    before: Any = fields.JSONField(null=True)
    after: Any = fields.JSONField(null=True)
    client = fields.CharField(max_length=64, null=True)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_event"
        unique_together = (("tenant", "seq"),)
        indexes = (("tenant", "at"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise ImmutableEvent()
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise ImmutableEvent()


class Record(TenantModel):
    """One filled-in form: the data as JSON plus the columns lists and searches need.

    ``form_version`` is the unit's bundle version the record was created under: its form (schema,
    rules, numbering) keeps applying to the record even after the unit publishes a newer one.
    """

    id = fields.BigIntField(primary_key=True)
    form = fields.CharField(max_length=64)
    form_version = fields.IntField()
    title = fields.CharField(max_length=300, default="")
    serial = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=32, default="draft")
    data: Any = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=64)
    updated_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    lock_version = fields.IntField(default=1)

    class Meta:
        table = "record"
        # id last: the list orders by (updated_at, id) or (title, id), so the index alone gives the order
        indexes = (("tenant", "form", "updated_at", "id"), ("tenant", "form", "title", "id"))
        unique_together = (("tenant", "form", "serial"),)


class Sequence(TenantModel):
    """The last number a numbering rule gave out, per unit and key (form, field, year): no gaps,
    because it advances in the same transaction as the record that takes the number."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=200)
    value = fields.IntField(default=0)

    class Meta:
        table = "sequence"
        unique_together = (("tenant", "key"),)


class Attachment(TenantModel):
    """An uploaded file: its bytes live content-addressed under the data folder (by sha256)."""

    id = fields.BigIntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=255)
    size = fields.BigIntField()
    content_type = fields.CharField(max_length=100)
    uploaded_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    record_id = fields.BigIntField(null=True, db_index=True)

    class Meta:
        table = "attachment"


class CalendarDay(Model):
    """One day of the national calendar, for the whole deployment: working day or not, and why.

    Seeded from the ``chinesecalendar`` package (holidays and 调休 make-up working days) and
    editable afterwards; a unit's own ``calendar.yaml`` overrides come on top. A date that is not
    in this table is outside the loaded calendar: a deadline there is refused, never guessed.
    """

    day = fields.DateField(primary_key=True)
    kind = fields.CharField(max_length=8)  # workday | weekend | holiday | makeup
    name = fields.CharField(max_length=50, null=True)  # the holiday, or the holiday a make-up day belongs to
    source = fields.CharField(max_length=32, default="chinesecalendar")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_day"


class FlowInstance(TenantModel):
    """One run of a flow over one record (runtime.flows).

    ``flow_version`` is the bundle version whose flow and form the run keeps until it ends, even
    after the unit publishes a newer one. ``joins`` holds, per parallel join, the incoming edges
    that have arrived in the current round (and ``"fired"`` once a quorum join has gone on);
    ``lock_version`` serialises decisions on the instance.
    """

    id = fields.BigIntField(primary_key=True)
    flow = fields.CharField(max_length=64)
    flow_version = fields.IntField()
    form = fields.CharField(max_length=64)
    record_id = fields.BigIntField(db_index=True)
    title = fields.CharField(max_length=300, default="")
    state = fields.CharField(max_length=16, default="running")  # running | completed | terminated
    started_by = fields.CharField(max_length=64)
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    end_reason = fields.TextField(null=True)
    deadline = fields.DatetimeField(null=True)
    joins: Any = fields.JSONField(default=dict)
    parent_task_id = fields.BigIntField(null=True)  # the subflow task of the parent instance waiting for this one
    lock_version = fields.IntField(default=1)

    class Meta:
        table = "flow_instance"
        indexes = (("tenant", "started_by", "started_at"),)


class Task(TenantModel):
    """One piece of work for one person at one node of an instance (待办, then 已办).

    ``round`` numbers the node's activations (a return or a loop starts a new round); the tasks of
    one round form the node's signer group (会签, 或签, 依次). ``origin_id`` is the completed task
    whose action created this one (withdraw looks for it). ``post`` is the post the task was
    addressed to, and ``acting_for`` the person the assignee stands in for (B for A, a delegate).
    ``blocking`` is false for 传阅 and for signers left running after their node passed.
    """

    id = fields.BigIntField(primary_key=True)
    instance_id = fields.BigIntField(db_index=True)
    record_id = fields.BigIntField()
    flow = fields.CharField(max_length=64)
    node = fields.CharField(max_length=64)
    node_name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=16)  # start | approve | circulate | subflow
    round = fields.IntField(default=1)
    seq = fields.IntField(default=0)  # order within a sequential (依次) group
    state = fields.CharField(max_length=16, default="open")  # waiting | open | done | cancelled
    blocking = fields.BooleanField(default=True)
    assignee = fields.CharField(max_length=64)
    post = fields.CharField(max_length=64, null=True)
    acting_for = fields.CharField(max_length=64, null=True)
    origin_id = fields.BigIntField(null=True)
    outcome = fields.CharField(max_length=32, null=True)  # approved | returned | transferred | withdrawn | read | …
    opinion = fields.TextField(null=True)
    title = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    completed_by = fields.CharField(max_length=64, null=True)
    deadline = fields.DatetimeField(null=True)
    deadline_note = fields.TextField(null=True)
    warn_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True)
    warned_at = fields.DatetimeField(null=True)
    due_sent_at = fields.DatetimeField(null=True)
    overdue_sent_at = fields.DatetimeField(null=True)
    lock_version = fields.IntField(default=1)

    class Meta:
        table = "task"
        indexes = (("tenant", "assignee", "state", "created_at"), ("tenant", "acting_for", "state"),
                   ("tenant", "completed_by", "completed_at"), ("state", "warn_at"), ("state", "due_at"),
                   ("state", "deadline"))


class Notification(TenantModel):
    """A message in someone's in-app notification list: reminders, escalations, urges, new tasks.

    ``dedup`` makes a timer's reminder idempotent: the same reminder for the same task and person is
    written once however often a worker or the sweep fires it.
    """

    id = fields.BigIntField(primary_key=True)
    login = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # warning | due | overdue | urge | escalation | handed
    task_id = fields.BigIntField(null=True)
    instance_id = fields.BigIntField(null=True)
    message = fields.TextField()
    message_en = fields.TextField(default="")
    dedup = fields.CharField(max_length=128, null=True, unique=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (("tenant", "login", "read_at", "id"),)


class Absence(TenantModel):
    """An absence in force (离岗登记, approved): while it lasts, the person's post tasks go to B.

    Written by the ``absence_register`` effect of the unit's absence flow from the approved record.
    """

    id = fields.BigIntField(primary_key=True)
    login = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # 请假 | 出差 | 会议 | 学习 | 其他
    start_at = fields.DatetimeField()
    end_at = fields.DatetimeField()
    substitute = fields.CharField(max_length=64, null=True)
    handover = fields.TextField(null=True)
    record_id = fields.BigIntField(null=True)
    state = fields.CharField(max_length=16, default="active")  # active | cancelled
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "absence"
        indexes = (("tenant", "login", "end_at"),)


class Delegation(TenantModel):
    """委托: ``login`` hands the tasks of ``post`` (all of their tasks when None) to ``to_login`` for a period."""

    id = fields.BigIntField(primary_key=True)
    login = fields.CharField(max_length=64)
    to_login = fields.CharField(max_length=64)
    post = fields.CharField(max_length=64, null=True)
    start_at = fields.DatetimeField()
    end_at = fields.DatetimeField()
    reason = fields.TextField(null=True)
    created_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delegation"
        indexes = (("tenant", "login", "end_at"),)
