"""Warehouse build: run the SQL in ``warehouse/`` against DuckDB, gate, publish."""
