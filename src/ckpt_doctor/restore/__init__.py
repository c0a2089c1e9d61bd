"""Repairing checkpoints: rewriting them under new names, in another format."""
