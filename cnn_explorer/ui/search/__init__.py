"""The Search tab: an architecture search you can watch."""
