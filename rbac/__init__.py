"""Who may do what, and who acts for whom: Casbin enforcers per domain (a domain is a unit), posts and
their A/B holders, the absence register and delegation. Asked by the runtime, never asks.

Built by the identity issue; posts, roles and assignments already live in each unit's bundle
(``org.yaml``, ``policy.yaml``) and are checked by ``tenants.references``.
"""
