"""What an expert can declare about a party: a plain enum, so the 回避 rules and the pool's tables share it
without the rules importing any table."""

from __future__ import annotations

from enum import StrEnum


class RelationKind(StrEnum):
    """What an expert declared about a party (business kinds: about the expert's organization)."""

    EMPLOYER = "employer"  # the expert works or worked there
    CLIENT = "client"  # the expert consulted, trained or coached it (self-assessment included)
    SHAREHOLDING = "shareholding"  # shares or another financial interest
    RELATIVE_EMPLOYER = "relative_employer"  # spouse / direct relative works there or manages it
    DISPUTE = "dispute"  # a legal dispute with it
    COMPETITOR = "competitor"  # the expert's organization competes with it
    SUPPLIER = "supplier"  # the expert's organization supplies it
    CUSTOMER = "customer"  # the expert's organization buys from it
