"""The connect helper a host app embeds: the ``Connect`` extension, the end user's pages
(connect Gmail or IMAP, watch syncs, reconnect, remove) and the sources API client they use."""
