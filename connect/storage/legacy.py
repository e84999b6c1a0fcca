"""The schema steps of the releases before Alembic, frozen: PRAGMA user_version 1 to 4.

A SQLite file written by those releases is brought to version 4 with these, then adopted by
Alembic at its first revision (whose tables are exactly these), so every row survives. Never
edit: files in the field ran them.
"""

from __future__ import annotations

# Each entry moves the schema one version up; PRAGMA user_version records how far a file has come.
LEGACY_STEPS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE completed_syncs (
            token TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            source_label TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            scheme TEXT NOT NULL,
            webhook_id TEXT
        )
        """,
        "CREATE INDEX completed_syncs_by_source ON completed_syncs (account_id, source_label)",
    ),
    (
        """
        CREATE TABLE api_clients (
            consumer_key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            consumer_secret BLOB NOT NULL,
            created INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE oauth_nonces (
            consumer_key TEXT NOT NULL,
            nonce TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            PRIMARY KEY (consumer_key, nonce)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX oauth_nonces_by_age ON oauth_nonces (timestamp)",
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            email TEXT NOT NULL,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            created INTEGER NOT NULL,
            suspended INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX accounts_by_client ON accounts (consumer_key, created)",
        """
        CREATE TABLE oauth_providers (
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            provider_consumer_key TEXT NOT NULL,
            type TEXT NOT NULL,
            provider_consumer_secret BLOB NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (consumer_key, provider_consumer_key)
        )
        """,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts ON DELETE CASCADE,
            label TEXT NOT NULL,
            email TEXT NOT NULL,
            username TEXT NOT NULL,
            server TEXT NOT NULL,
            port INTEGER NOT NULL,
            use_ssl INTEGER NOT NULL,
            type TEXT NOT NULL DEFAULT 'IMAP',
            authentication_type TEXT NOT NULL,
            password BLOB,
            provider_consumer_key TEXT,
            provider_token BLOB,
            provider_token_secret BLOB,
            provider_refresh_token BLOB,
            status TEXT NOT NULL,
            status_message TEXT NOT NULL DEFAULT '',
            sync_period TEXT NOT NULL,
            raw_file_list INTEGER NOT NULL DEFAULT 0,
            sync_all_folders INTEGER NOT NULL DEFAULT 0,
            sync_flags INTEGER NOT NULL DEFAULT 0,
            expunge_on_deleted_flag INTEGER NOT NULL DEFAULT 0,
            callback_url TEXT,
            status_callback_url TEXT,
            created INTEGER NOT NULL,
            initial_import_finished INTEGER NOT NULL DEFAULT 0,
            last_sync_start INTEGER NOT NULL DEFAULT 0,
            last_sync_stop INTEGER NOT NULL DEFAULT 0,
            last_expunge INTEGER NOT NULL DEFAULT 0,
            UNIQUE (account_id, label)
        )
        """,
        "CREATE INDEX sources_by_provider ON sources (provider_consumer_key)",
        """
        CREATE TABLE sync_jobs (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources ON DELETE CASCADE,
            reason TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            queued_at INTEGER NOT NULL,
            run_after INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires INTEGER,
            finished_at INTEGER,
            error TEXT
        )
        """,
        # At most one pending (queued or running) job per source: asking again is a no-op.
        """
        CREATE UNIQUE INDEX sync_jobs_one_pending_per_source ON sync_jobs (source_id)
        WHERE state IN ('queued', 'running')
        """,
        "CREATE INDEX sync_jobs_due ON sync_jobs (state, run_after)",
        """
        CREATE TABLE connect_tokens (
            token TEXT PRIMARY KEY,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            scope TEXT NOT NULL,
            account_id TEXT REFERENCES accounts ON DELETE CASCADE,
            source_label TEXT,
            email TEXT NOT NULL DEFAULT '',
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            callback_url TEXT NOT NULL,
            source_callback_url TEXT,
            status_callback_url TEXT,
            source_sync_all_folders INTEGER NOT NULL DEFAULT 0,
            source_sync_flags INTEGER NOT NULL DEFAULT 0,
            source_raw_file_list INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            used INTEGER NOT NULL DEFAULT 0,
            expires INTEGER NOT NULL
        )
        """,
        "CREATE INDEX connect_tokens_by_client ON connect_tokens (consumer_key, created)",
    ),
    (
        # One queued job per source; a running one may have a successor queued behind it
        # (new credentials mid-sync), and claiming skips sources with a live lease.
        "DROP INDEX sync_jobs_one_pending_per_source",
        "CREATE UNIQUE INDEX sync_jobs_one_queued_per_source ON sync_jobs (source_id) WHERE state = 'queued'",
        "ALTER TABLE sources ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sources ADD COLUMN first_failure_at INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources ON DELETE CASCADE,
            name TEXT NOT NULL,
            delimiter TEXT,
            attributes TEXT NOT NULL DEFAULT '[]',
            uidvalidity INTEGER,
            uidnext INTEGER NOT NULL DEFAULT 1,
            highestmodseq INTEGER NOT NULL DEFAULT 0,
            synced_uid INTEGER NOT NULL DEFAULT 0,
            nb_messages INTEGER NOT NULL DEFAULT 0,
            nb_unseen_messages INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source_id, name)
        )
        """,
        """
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts ON DELETE CASCADE,
            dedupe_key TEXT NOT NULL,
            email_message_id TEXT,
            gmail_message_id TEXT,
            gmail_thread_id TEXT,
            subject TEXT NOT NULL DEFAULT '',
            date INTEGER NOT NULL,
            date_received INTEGER,
            date_indexed INTEGER NOT NULL,
            addresses TEXT NOT NULL,
            in_reply_to TEXT,
            "references" TEXT,
            size INTEGER,
            UNIQUE (account_id, dedupe_key)
        )
        """,
        "CREATE INDEX messages_by_date ON messages (account_id, date)",
        """
        CREATE TABLE message_locations (
            folder_id INTEGER NOT NULL REFERENCES folders ON DELETE CASCADE,
            uid INTEGER NOT NULL,
            message_id TEXT NOT NULL REFERENCES messages ON DELETE CASCADE,
            flags TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (folder_id, uid)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX message_locations_by_message ON message_locations (message_id)",
        """
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL REFERENCES messages ON DELETE CASCADE,
            file_name TEXT NOT NULL,
            size INTEGER NOT NULL,
            type TEXT NOT NULL,
            body_section TEXT NOT NULL,
            is_embedded INTEGER NOT NULL,
            content_disposition TEXT,
            content_id TEXT,
            is_noise INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX files_by_message ON files (message_id)",
        """
        CREATE TABLE callback_events (
            id INTEGER PRIMARY KEY,
            webhook_id TEXT NOT NULL UNIQUE,
            source_id INTEGER REFERENCES sources ON DELETE SET NULL,
            consumer_key TEXT NOT NULL REFERENCES api_clients ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            source_label TEXT NOT NULL,
            url TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            token TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_expires INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            finished_at INTEGER,
            last_error TEXT
        )
        """,
        "CREATE INDEX callback_events_due ON callback_events (state, next_attempt_at)",
        """
        CREATE TABLE callback_attempts (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES callback_events ON DELETE CASCADE,
            attempted_at INTEGER NOT NULL,
            status INTEGER,
            latency_ms INTEGER NOT NULL,
            error TEXT
        )
        """,
    ),
    (
        # The connect helper: which account in the sources API holds each host user's mailboxes.
        """
        CREATE TABLE helper_users (
            user_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            created INTEGER NOT NULL
        )
        """,
    ),
)
