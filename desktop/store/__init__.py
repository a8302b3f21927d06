"""Storage: SQLite through SQLModel/SQLAlchemy, migrations, queries, the writer."""
