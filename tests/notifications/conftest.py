"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts and can refuse on demand."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RecordingHandler:
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the bytes as they came over the wire
    recipients: list[list[str]] = field(default_factory=list)  # RCPT TO of each message
    refuse_next: int = 0  # answer this many DATA commands with `refusal`
    refusal: str = "451 4.3.0 Mail server temporarily rejected message"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return self.refusal
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        self.raw.append(raw)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpServer:
    """Start, stop and restart a local relay on one fixed port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp_server) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_FROM": "award-office@example.cn",
            "MAIL_TIMEOUT": 5, "MAIL_MAX_ATTEMPTS": 4, "MAIL_RETRY_BASE_SECONDS": 60}
