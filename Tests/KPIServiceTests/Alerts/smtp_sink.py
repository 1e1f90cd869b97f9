#!/usr/bin/python3
"""A real SMTP server on loopback for the email receiver's tests (Debian's
python3-aiosmtpd): STARTTLS required (a self-signed certificate made with
openssl), login required for one user, and each message saved in FOLDER as
JSON: envelope, Message-ID, decoded subject and body.

usage: smtp_sink.py FOLDER USER PASSWORD
Prints the port, then the certificate's path, one per line, and serves until killed.
"""
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# A child of the test process inherits its blocked signals: let SIGTERM stop it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
folder, user, password = sys.argv[1:4]
cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Saver:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "notification": str(message["x-kpi-notification-id"]),
            "content_type": message.get_content_type(),
            "body": message.get_content().replace("\r\n", "\n"),
        }
        Saver.count += 1
        path = os.path.join(folder, "mail-%03d.json" % Saver.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False)


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Saver(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_required=True)
controller.start()
print(port, flush=True)
print(cert, flush=True)
while True:
    time.sleep(3600)
