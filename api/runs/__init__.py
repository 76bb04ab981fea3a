"""Runs: launching one job per plate attempt and reconciling its outcome into the database."""
