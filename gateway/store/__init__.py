"""The store: database schema, engine and sessions, Core rows, ticket operations, migrations."""
