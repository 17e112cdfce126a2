"""Hostile DNS messages and the coverage-guided fuzz harness of the codec."""
