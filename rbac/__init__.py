"""Who may do what, and who acts for whom. Asked by the runtime, never asks.

- ``rbac.access``: pure. ``access_of`` extracts a unit's roles, assignments and posts from its
  resolved bundle (kept in ``Unit.access``); ``RoleCatalog`` holds the roles written once for
  every unit (seed templates, and the platform roles of ``seeds/platform/policy.yaml``);
  ``domain_lines`` turns one unit into Casbin lines.
- ``rbac.authority``: ``Authority``, one Casbin enforcer (``schemas/rbac_model.conf``: RBAC with
  domains, deny by default, a domain is a unit) with a decision memo per unit; ``load_from_db``,
  ``refresh`` and ``policy_changed`` keep every process's copy current.
- ``rbac.appointments``: appointments to posts that need filing (备案); ``rbac.tokens``: API tokens.

Subjects are logins, ``post:<id>`` and ``token:<id>``; the reserved domain ``platform`` is where
platform-level objects (the unit list, platform grants) are checked.
"""
