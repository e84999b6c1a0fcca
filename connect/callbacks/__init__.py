"""The "initial sync completed" callback, both ends of it: signing and verifying, delivery
from the server (bounded, retried, fair between API clients) and the receiver blueprint a
host app mounts to record completed syncs."""
