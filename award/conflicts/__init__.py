"""Conflicts of interest (回避): the rules engine, pinned conflicts, per-cycle windows and the checks."""
