#!/usr/bin/env python3
"""Checks the served /openapi.json against the server with schemathesis, authenticated in turn
as a partner app (OAuth bearer, then HTTP Basic for reports), an operator and a person.

Starts `clearline demo` on a free port with a fresh data directory, gets each role's
credentials the way a client would (a session; an OAuth code flow with PKCE for the app),
runs `st run` with the checks the API promises, and exits non-zero if any run found a failure.

Usage: scripts/api_conformance.py CLEARLINE_BINARY ST_BINARY [SECONDS_PER_ROLE]
"""

import base64
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
REDIRECT = "http://127.0.0.1:8765/callback"
SCOPES = "inbox:send inbox:read inbox:read_all inbox:delete friends:read friends:read_all"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        res = OPENER.open(req)
        return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def session(base, handle):
    body = json.dumps({"handle": handle, "password": "demo-password"}).encode()
    status, _, data = call("POST", f"{base}/v1/sessions", body, {"content-type": "application/json"})
    assert status == 201, (status, data)
    return json.loads(data)["token"]


def partner_token(base, session_token, client_id, client_secret):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": SCOPES,
        "state": "st", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    bearer = {"authorization": f"Bearer {session_token}"}
    status, _, page = call("GET", f"{base}/oauth/authorize?{query}", headers=bearer)
    assert status == 200, (status, page[:300])
    fields = [(html.unescape(n), html.unescape(v)) for n, v in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page.decode())]
    fields += [(f"grant_{s}", "on") for s in SCOPES.split()] + [("decision", "allow")]
    form = urllib.parse.urlencode(fields).encode()
    headers = dict(bearer, **{"content-type": "application/x-www-form-urlencoded"})
    status, got, _ = call("POST", f"{base}/oauth/authorize", form, headers)
    location = got.get("Location") or got.get("location")
    assert status == 303 and location, (status, got)
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
    }).encode()
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    headers = {"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"}
    status, _, data = call("POST", f"{base}/oauth/token", form, headers)
    assert status == 200, (status, data)
    return json.loads(data)["access_token"]


def start_demo(binary, data_dir):
    env = dict(os.environ)
    # Schemathesis sends thousands of requests from one address as one person: lift the limits
    # that would (rightly) refuse that, so the runs reach the handlers.
    env.update({
        "CLEARLINE_LOG__FILTER": "error",
        "CLEARLINE_PARTNER__PER_PERSON_PER_MINUTE": "100000000",
        "CLEARLINE_PARTNER__PER_APP_PER_MINUTE": "100000000",
        "CLEARLINE_SIGN_IN__PER_ADDRESS_BURST": "1000000",
        "CLEARLINE_SIGN_IN__PER_ADDRESS_PER_MINUTE": "1000000",
        "CLEARLINE_SIGN_IN__PER_ADDRESS_CONCURRENT": "64",
        "CLEARLINE_CLIENT__PER_PERSON_BURST": "1000000",
        "CLEARLINE_CLIENT__PER_PERSON_PER_SECOND": "1000000",
    })
    proc = subprocess.Popen([binary, "demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                            stdout=subprocess.PIPE, text=True, env=env)
    client_id = client_secret = None
    for line in proc.stdout:
        m = re.search(r"client_id (\S+) and client_secret (\S+)", line)
        if m:
            client_id, client_secret = m.group(1), m.group(2)
        if line.startswith("listening on "):
            return proc, line.split()[-1], client_id, client_secret
    raise SystemExit("the demo did not start")


def main():
    binary, st = sys.argv[1], sys.argv[2]
    seconds = sys.argv[3] if len(sys.argv) > 3 else "60"
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, client_id, client_secret = start_demo(binary, os.path.join(tmp, "data"))
        try:
            alice = session(base, "alice")
            operator = session(base, "operator")
            app_token = partner_token(base, alice, client_id, client_secret)
            basic = f"{client_id}:{client_secret}"
            # Partner roles first: the operator's run may suspend the partner, and the person's
            # may revoke or block the app. Signing the person out would end the run's session.
            roles = [
                ("partner app (OAuth)", ["-H", f"Authorization: Bearer {app_token}",
                                         "--include-path-regex", "^/partner/v1/(?!reports)"]),
                ("partner app (Basic)", ["-a", basic, "--include-path-regex", "^/partner/v1/reports"]),
                ("operator", ["-H", f"Authorization: Bearer {operator}", "--include-path-regex", "^/admin/"]),
                # (Filters of one kind combine with AND: one regex excludes both.)
                ("person", ["-H", f"Authorization: Bearer {alice}",
                            "--exclude-path-regex", r"^/(admin|partner)/|^/v1/sessions/\{id\}$"]),
            ]
            failed = []
            for name, args in roles:
                print(f"== schemathesis as {name}", flush=True)
                cmd = [st, "run", f"{base}/openapi.json", "--checks", CHECKS, "--max-time", seconds,
                       "--workers", "2", "--seed", "1", "--suppress-health-check", "all"] + args
                if subprocess.run(cmd).returncode != 0:
                    failed.append(name)
            if failed:
                raise SystemExit(f"schemathesis found failures as: {', '.join(failed)}")
            print("schemathesis: 4 roles, no failure")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
