"""An authorised agent written from the Data Rights Protocol 1.0 specification, and an OpenDSR
2.0 controller, in Python with the `cryptography` package, sharing no code with RightsKit: the
agent pairs with a started `custom-rightskit serve` (Examples/CustomRight's composition root,
which knows the CCPA opt-out of sale) and files a `sale:opt-out` that reaches the host
application's processing limits; the controller files an access request and checks the
processor's signature with the certificate discovery publishes; then both throw malformed,
unsigned and mis-signed traffic at every endpoint of both standards: none may answer 5xx.

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
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

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


def call(base, method, path, body=None, token=None, kind="text/plain", headers=None):
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Content-Type", kind)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            if headers is not None: headers.update({k.lower(): v for k, v in response.headers.items()})
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        if headers is not None: headers.update({k.lower(): v for k, v in error.headers.items()})
        return error.code, error.read()


def processor_certificate(folder):
    """A CA and the processor's P-256 key and certificate for privacy.example.test, issued by it."""
    def name(text): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("CI Processor CA")).issuer_name(name("CI Processor CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    certificate = (x509.CertificateBuilder().subject_name(name("privacy.example.test")).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(2).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("privacy.example.test")]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    open(os.path.join(folder, "processor.key"), "wb").write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    open(os.path.join(folder, "processor.pem"), "wb").write(certificate.public_bytes(serialization.Encoding.PEM))


def signature_verifies(certificate_pem, body, signature):
    from cryptography.exceptions import InvalidSignature
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    try:
        key.verify(base64.b64decode(signature), body, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def main():
    os.makedirs(FOLDER, exist_ok=True)
    config = open(os.path.join(REPOSITORY, "config.yaml")).read().replace("filings: 20,", "filings: 10000,")
    config += "\n  sale-opt-out: {}\n"
    processor_certificate(FOLDER)
    config += "\nstandards:\n  public_url: http://127.0.0.1\n  drp:\n    business_id: %s\n    agents:\n      %s: { verify_key: %s }\n" % (
        BUSINESS, AGENT, VERIFY)
    config += ("  opendsr:\n    processor_domain: privacy.example.test\n    signing_key: processor.key\n"
               "    certificate: processor.pem\n    controllers:\n      CI_CONTROLLER: { callbacks: [] }\n")
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
        print("standards: ok   a sale:opt-out filed by an agent reaches the host application's processing limits")

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
        print("standards: ok   600 malformed, unsigned and mis-signed requests: no 5xx")

        # OpenDSR: a controller files, and checks the processor's signature with the published certificate.
        created = subprocess.run([BINARY, "token", "create", "--role", "controller", "--name", "CI_CONTROLLER"],
                                 cwd=FOLDER, capture_output=True, text=True)
        assert created.returncode == 0, created.stderr
        controller = created.stdout.strip()
        status, body = call(base, "GET", "/opendsr/v1/discovery")
        certificate_path = json.loads(body)["processor_certificate"].split("127.0.0.1", 1)[1]
        status, certificate = call(base, "GET", certificate_path)
        request_id = str(uuid.uuid4())
        filing = {"regulation": "gdpr", "subject_request_id": request_id, "subject_request_type": "access",
                  "submitted_time": now(-60), "subject_identities": [{"identity_type": "email", "identity_value": "user32@example.cn",
                                                                       "identity_format": "raw"}]}
        headers = {}
        status, body = call(base, "POST", "/opendsr/v1/requests", json.dumps(filing).encode(), controller, "application/json", headers)
        assert status == 201, (status, body)
        assert signature_verifies(certificate, body, headers["x-opendsr-signature"]), "the processor's signature"
        status, body = call(base, "GET", "/opendsr/v1/opengdpr_requests/" + request_id, token=controller, headers=headers)
        assert status == 200 and json.loads(body)["request_status"] == "completed", body
        assert signature_verifies(certificate, body, headers["x-opengdpr-signature"]), "the legacy header signs too"
        print("standards: ok   an OpenDSR controller files an access request; every answer verifies with the published certificate")

        def junk_filing():
            filing = {"regulation": rng.choice(["gdpr", "ccpa", 3, None]), "subject_request_id": rng.choice([str(uuid.uuid4()), "x", 5]),
                      "subject_request_type": rng.choice(["access", "erasure", "portability", "nope", None]),
                      "submitted_time": rng.choice([now(), "yesterday", None]),
                      "subject_identities": rng.choice([[], None, "x", [{"identity_type": "email", "identity_value": rng.choice(["a@b", 7, None]),
                                                                           "identity_format": rng.choice(["raw", "sha256", 1])}], [7]]),
                      "status_callback_urls": rng.choice([None, [], ["javascript:x"], [1], "x"])}
            for key in rng.sample(list(filing), rng.randrange(len(filing))): del filing[key]
            return json.dumps(filing).encode() if rng.random() < 0.8 else junk()
        for index in range(600):
            method = rng.choice(["GET", "POST", "DELETE"])
            path = rng.choice(["/opendsr/v1/requests", "/opendsr/v1/opengdpr_requests", "/opendsr/v1/requests/" + request_id,
                               "/opendsr/v1/requests/" + str(uuid.uuid4()), "/opendsr/v1/requests/%00", "/opendsr/v1/discovery"])
            status, body = call(base, method, path, junk_filing() if method == "POST" else None,
                                rng.choice([controller, None, "forged", token]), "application/json")
            if status >= 500:
                failures.append((method, path, status, body[:200]))
        assert not failures, failures[:5]
        verify = subprocess.run([BINARY, "audit", "verify"], cwd=FOLDER, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        print("standards: ok   600 malformed OpenDSR requests: no 5xx; the audit chain intact")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
