"""Enrichment: clean text, language, topics, stories, rules. Qt-free, pure."""
