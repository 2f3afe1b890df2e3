"""Reminders: Web Push to residents' devices (airdrops of shops and fences they follow, changes to
their reports), within a daily budget and outside quiet hours, sent by background jobs."""
