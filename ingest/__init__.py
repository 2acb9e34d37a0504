"""Ingest service: polls feeds, cleans article pages, publishes Article messages to Kafka."""
