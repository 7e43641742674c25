"""The service reports: figures in SQL, table/JSON/CSV, charts, an HTML page, the report mail."""
