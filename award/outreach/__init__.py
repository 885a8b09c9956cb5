"""The office's bulk tools: reminders and messages to many people at once, each audited once."""
