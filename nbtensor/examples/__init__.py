"""Runnable examples (``python -m nbtensor.examples.walkthrough``)."""
