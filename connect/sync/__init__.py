"""The IMAP sync engine: logs into sources, keeps the index fresh, sets statuses, and sends
the signed callback when a source's initial sync completes.

``worker.Worker`` runs it; ``queue.JobQueue`` is the seam where another queue can replace the
SQLite one, and ``connect.db`` holds every query it makes.
"""
