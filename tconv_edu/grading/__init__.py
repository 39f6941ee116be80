"""Graded checks for the exercises (see issue: graded exercises)."""
