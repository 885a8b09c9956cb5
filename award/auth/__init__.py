"""Accounts, roles, login and permissions."""
