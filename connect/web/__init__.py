"""What the browser-facing parts share — the helper's pages and the API's hosted connect-token
page: the base templates and styles, security headers and form limits, the Google OAuth
dance, the IMAP form, public URLs behind proxies, and ``/healthz``."""
