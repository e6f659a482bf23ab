"""Sales channels: the intake API, file imports, availability feeds and status webhooks."""
