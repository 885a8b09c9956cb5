"""The cycle archive (归档): one ZIP with every record of a cycle, a manifest and the audit chain."""
