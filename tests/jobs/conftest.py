"""The jobs tests' fixtures: ``setting`` (a file or PostgreSQL database, a queue file, a file root) is shared
by the real-worker tests of tests/jobs."""

from tests.jobs.test_worker import setting  # noqa: F401 - a fixture
