"""The audit trail: who did what, when, in a hash chain."""
