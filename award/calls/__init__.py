"""The public call for applications (申报通知 / 申报指南) of each award cycle."""
