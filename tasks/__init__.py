"""Tasks: the Celery application and the bundled example controller."""
