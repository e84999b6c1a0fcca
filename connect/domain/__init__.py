"""What Connect is about, free of HTTP and IMAP: accounts and their sources, API clients and
their OAuth providers, connect tokens, the merged mail data set, and the rules every caller
meets (which addresses the server may connect to, how secrets are kept, how ids sort).

The web layers parse requests into the typed values these modules take; ``storage`` stores.
"""
