"""Notifications: in-app notices and e-mail through a transactional outbox, for every area."""
