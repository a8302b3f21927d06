"""Sync with the feed servers people already run: Fever, Google Reader API, TT-RSS.

Subscriptions and items come from the server and become ordinary sources and
articles; read and flagged go both ways (archived is read on the server);
changes made offline wait in the ``outbox`` table. Nothing here imports Qt:
clients are async (httpx) and every write goes through the single writer.
"""
