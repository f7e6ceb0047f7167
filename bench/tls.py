"""A throwaway self-signed certificate for 127.0.0.1, made at bench time for the HTTPS rows.

The peers only build ``https://`` URLs, so they are measured against ``tests.support.batch_server`` serving TLS on
loopback. The certificate lives in a temporary directory and is trusted only by the benchmark's child processes,
through ``SSL_CERT_FILE`` (httpx, ssl) and ``REQUESTS_CA_BUNDLE`` (requests) in their environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess

# Run by the peers' interpreter when there is no openssl CLI: `cryptography` is installed there, never in the project.
_CRYPTOGRAPHY_SCRIPT = """
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (
    x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
    .not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(key, hashes.SHA256())
)
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(
    key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
)
"""


def make_cert(directory: str, peer_python: str | None = None) -> tuple[str, str] | None:
    """Write cert.pem and key.pem for IP 127.0.0.1 into `directory`; None (with a notice) if neither tool works."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    openssl = shutil.which("openssl")
    if openssl is not None:
        command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        command += ["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"]
        command += ["-addext", "subjectAltName=IP:127.0.0.1"]
        if subprocess.run(command, capture_output=True, check=False).returncode == 0:
            return cert, key
    if peer_python is not None and os.path.exists(peer_python):
        pip = [peer_python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "cryptography"]
        subprocess.run(pip, capture_output=True, check=False)
        made = subprocess.run([peer_python, "-c", _CRYPTOGRAPHY_SCRIPT, cert, key], capture_output=True, check=False)
        if made.returncode == 0:
            return cert, key
    print("(no openssl CLI and no cryptography in the peers' venv: HTTPS rows skipped)")
    return None


def trust_env(cert: str) -> dict[str, str]:
    """The environment of a child process that must trust `cert` (and only the children get it)."""
    return {**os.environ, "SSL_CERT_FILE": cert, "REQUESTS_CA_BUNDLE": cert}
