"""The visual designer and the Excel survey import/export: edit bundles through ``tenants`` only
(drafts, checks, versions), never by a side channel. Built by the designer and survey issues.
"""
