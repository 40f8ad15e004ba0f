"""An authorised agent written from the Data Rights Protocol 1.0 specification, in Python with
the `cryptography` package, sharing no code with RightsKit: it pairs with a started
`custom-rightskit serve` (Examples/CustomRight's composition root, which knows the CCPA opt-out
of sale), files a `sale:opt-out` that reaches the host application's processing limits, and then
throws malformed, unsigned and mis-signed traffic at every DRP endpoint: none may answer 5xx.

Usage: drp_agent.py BINARY FOLDER REPOSITORY
"""
import base64
import datetime
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BINARY, FOLDER, REPOSITORY = sys.argv[1], sys.argv[2], sys.argv[3]
AGENT, BUSINESS = "CI_AGENT", "EXAMPLE_CLOUD"
KEY = Ed25519PrivateKey.generate()
VERIFY = base64.b64encode(KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def now(offset=0):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(claims, key=KEY):
    """Base64 of the Ed25519 signature followed by the JSON (libsodium's combined mode)."""
    body = json.dumps(claims).encode()
    return base64.b64encode(key.sign(body) + body)


def envelope(**extra):
    claims = {"agent-id": AGENT, "business-id": BUSINESS, "issued-at": now(-5), "expires-at": now(300), "drp.version": "1.0"}
    claims.update(extra)
    return claims


def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Content-Type", "text/plain")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def main():
    os.makedirs(FOLDER, exist_ok=True)
    config = open(os.path.join(REPOSITORY, "config.yaml")).read().replace("filings: 20,", "filings: 10000,")
    config += "\n  sale-opt-out: {}\n"
    config += "\nstandards:\n  public_url: http://127.0.0.1\n  drp:\n    business_id: %s\n    agents:\n      %s: { verify_key: %s }\n" % (
        BUSINESS, AGENT, VERIFY)
    open(os.path.join(FOLDER, "config.yaml"), "w").write(config)
    out, err = open(os.path.join(FOLDER, "serve.out"), "w"), open(os.path.join(FOLDER, "serve.err"), "w")
    server = subprocess.Popen([BINARY, "serve", "--port", "0", "--json", "--demo"], cwd=FOLDER, stdout=out, stderr=err)
    try:
        port = None
        for _ in range(600):
            text = open(os.path.join(FOLDER, "serve.out")).read()
            if '"listening"' in text:
                port = json.loads(text.splitlines()[-1])["port"]
                break
            time.sleep(0.1)
        assert port, "serve did not start: " + open(os.path.join(FOLDER, "serve.err")).read()[-2000:]
        base = "http://127.0.0.1:%d" % port

        status, body = call(base, "POST", "/drp/v1/agent/" + AGENT, signed(envelope()))
        assert status == 200, (status, body)
        token = json.loads(body)["token"]

        # The CCPA opt-out of sale, a right added from outside, needs no code (§7026(d)).
        status, body = call(base, "POST", "/drp/v1/data-rights-request",
                            signed(envelope(exercise="sale:opt-out", regime="ccpa", email="user31@example.cn", email_verified=True)), token)
        assert status == 200, (status, body)
        answer = json.loads(body)
        assert answer["status"] == "fulfilled", answer
        status, body = call(base, "GET", "/drp/v1/data-rights-request/" + answer["request_id"], token=token)
        assert status == 200 and json.loads(body)["status"] == "fulfilled", body
        business = sqlite3.connect(os.path.join(FOLDER, "data", "sample-business.sqlite"))
        limited = business.execute(
            "SELECT COUNT(*) FROM rightskit_processing_limits WHERE purposes LIKE '%sale%'").fetchone()[0]
        assert limited > 0, "the host application sees the opt-out on the consumer's rows"
        print("drp: ok   a sale:opt-out filed by an agent reaches the host application's processing limits")

        # Malformed traffic at every endpoint: refused with a 4xx, never a 5xx.
        rng = random.Random(7)
        stranger = Ed25519PrivateKey.generate()
        paths = ["/drp/v1/agent/" + AGENT, "/drp/v1/agent/NOBODY", "/drp/v1/data-rights-request",
                 "/drp/v1/data-rights-request/" + answer["request_id"], "/drp/v1/data-rights-request/not-a-uuid",
                 "/drp/v1/data-rights-request/%2e%2e%2f"]
        def junk():
            kind = rng.randrange(6)
            if kind == 0: return bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
            if kind == 1: return base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(200))))
            if kind == 2: return signed(envelope(**{rng.choice(["exercise", "email", "agent-id", "issued-at", "status_callback"]):
                                                    rng.choice([None, 7, [], {}, "x" * rng.randrange(5000), "\u0000"])}))
            if kind == 3: return signed({"nonsense": rng.random()}, stranger)
            if kind == 4: return signed([1, 2, 3])
            return b""
        failures = []
        for index in range(600):
            method = rng.choice(["GET", "POST", "DELETE"])
            path = rng.choice(paths)
            status, body = call(base, method, path, junk() if method != "GET" else None, rng.choice([token, None, "forged"]))
            if status >= 500:
                failures.append((method, path, status, body[:200]))
        assert not failures, failures[:5]
        verify = subprocess.run([BINARY, "audit", "verify"], cwd=FOLDER, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        print("drp: ok   600 malformed, unsigned and mis-signed requests: no 5xx, the audit chain intact")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
