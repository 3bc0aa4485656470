"""Evaluation: datasets, converters of public corpora, metrics and reports."""
