"""Processor service: finds Idlib incidents in articles and publishes Incident events."""
