"""Official documents (公示名单, 表彰决定名单) and overlay printing (套打) of a cycle, as PDF."""
