"""HTTPS for `returnkit serve --tls DIR`: a throw-away local CA and a server certificate signed by it.

Some official SDKs hard-code `https://` (Kibo's TS SDK for its tenant lookup), so the mock must
speak TLS to be reached unchanged. Clients trust `DIR/ca.pem` (for Node: NODE_EXTRA_CA_CERTS,
for Python: SSL_CERT_FILE or `verify=`), never a system-wide store.
"""

from __future__ import annotations

from pathlib import Path

import trustme

CA_FILE = "ca.pem"
SERVER_FILE = "server.pem"


def certificate_files(directory: Path, host: str) -> dict[str, str]:
    """uvicorn's ssl options for a new certificate valid for `host`, 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    names = list(dict.fromkeys([host, "127.0.0.1", "localhost"]))
    server = authority.issue_cert(*names)
    authority.cert_pem.write_to_path(str(directory / CA_FILE))
    server.private_key_and_cert_chain_pem.write_to_path(str(directory / SERVER_FILE))
    return {"ssl_certfile": str(directory / SERVER_FILE), "ssl_keyfile": str(directory / SERVER_FILE)}
