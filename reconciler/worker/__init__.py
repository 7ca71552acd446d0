"""Running reconciles on Celery: the task, its lease heartbeat, the safe Celery settings and the
dispatcher that turns ready keys into tasks."""
