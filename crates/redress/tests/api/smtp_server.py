"""A real SMTP server for Redress's mail tests: aiosmtpd writing to a Maildir, with
STARTTLS or implicit TLS (SMTPS) and AUTH when asked. Runs until killed.

    python3 smtp_server.py --port 2525 --maildir DIR [--tls starttls|smtps]
                           [--cert CERT --key KEY] [--user USER --password PASSWORD]
"""

import argparse
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tls", choices=["none", "starttls", "smtps"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        )
        return AuthResult(success=ok)

    smtp = {}
    if args.user:
        # With SMTPS the whole session is TLS, but aiosmtpd only counts STARTTLS as TLS:
        # require it for AUTH in that mode alone.
        smtp.update(
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=args.tls == "starttls",
        )
    if args.tls == "starttls":
        smtp.update(tls_context=context, require_starttls=True)
    controller = Controller(
        Mailbox(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        ssl_context=context if args.tls == "smtps" else None,
        server_hostname="localhost",
        **smtp,
    )
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
