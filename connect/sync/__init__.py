"""The IMAP sync engine: logs into sources, keeps the index fresh, sets statuses and hands
completed initial syncs to ``callbacks``; the worker, queues and scheduler that run it.

``worker.Worker`` runs jobs; ``queue.JobQueue`` is the seam where Celery on Redis replaces the
database queue, and ``storage`` holds every query it makes.
"""
