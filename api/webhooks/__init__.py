"""Webhooks: sites subscribe URLs to plate events, sent signed as the Standard Webhooks specification says."""
