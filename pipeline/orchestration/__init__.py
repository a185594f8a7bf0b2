"""What the Airflow DAGs share: assets, default task arguments and the task bodies that
call ``pipeline`` functions. Imported by ``dags/`` only (it needs Airflow)."""
