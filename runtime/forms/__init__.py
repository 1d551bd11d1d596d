"""Forms runtime: a tenant's ``forms/*.yaml`` interpreted — data validated against its JSON Schema and its
JsonLogic rules (visible, required, readonly, computed value, validate) evaluated, authoritatively, on the
server with the same engine the browser runs (DESIGN.md §4 "One rule language", §5 "Rules")."""
