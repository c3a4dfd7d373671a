# https_server.py — a static HTTPS file server with its own private CA, for the tests of a
# tfstate plugin's https:// state (tests/integration/plugins.rs).
#
# Usage:  python3 tests/support/https_server.py --directory DIR --ca-out PATH
#
# Makes a CA and a server certificate for 127.0.0.1 and localhost (signed by that CA) with the
# `cryptography` package, which moto already depends on; writes the CA certificate (PEM) to
# --ca-out, for the client to trust through SSL_CERT_FILE; then serves DIR read-only on
# 127.0.0.1, on a port the kernel picks, and prints exactly one line on stdout:
#
#     PORT=<n>
#
# A missing file is 404, as from any static server. The process exits within 0.2 s of its parent
# going away (recorded first thing), so a killed test binary leaves no server behind.

import os

_PARENT = os.getppid()

import argparse
import datetime
import functools
import http.server
import ipaddress
import ssl
import sys
import tempfile
import threading
import time


def _exit_with_parent():
    while True:
        time.sleep(0.2)
        if os.getppid() != _PARENT:
            os._exit(0)


def _certificates(ca_out):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("ristretto test CA"))
        .issuer_name(name("ristretto test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    with open(ca_out, "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    scratch = tempfile.mkdtemp(prefix="ristretto-https-")
    chain, key = os.path.join(scratch, "server.pem"), os.path.join(scratch, "server.key")
    with open(chain, "wb") as handle:
        handle.write(server.public_bytes(serialization.Encoding.PEM))
    with open(key, "wb") as handle:
        handle.write(
            server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return chain, key


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # The test output stays clean: requests are not logged (errors and crashes still reach
    # stderr).
    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--directory", required=True)
    parser.add_argument("--ca-out", required=True)
    arguments = parser.parse_args()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    chain, key = _certificates(arguments.ca_out)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    handler = functools.partial(_QuietHandler, directory=arguments.directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
