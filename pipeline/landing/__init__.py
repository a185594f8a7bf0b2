"""Landing: validate input records, write the Parquet lake, quarantine the rest."""
