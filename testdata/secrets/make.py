#!/usr/bin/env python3
"""Writes the secrets corpus: fake credentials of 40+ kinds, each placed in
every position of a record that can hold it, in a JSON-lines log and a HAR.

    python3 testdata/secrets/make.py

writes secrets.txt (one checked string per line: the secret part that must
never reach an output), leaks.jsonl and leaks.har beside this script. Every
value is made up; none is a live credential. The output is deterministic.
"""
import base64
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(20261201)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"


def r(n, alphabet=ALNUM):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt(header):
    return ".".join([b64url(header), b64url(b'{"sub":"%s"}' % r(8).encode()), r(43, ALNUM + "-_")])


# (kind, text that carries it, the secret part checked, whether it is safe in a URL)
def kinds():
    k = []

    def add(kind, text, secret=None, url_safe=True):
        k.append((kind, text, secret or text, url_safe))

    add("stripe secret key", "sk_live_" + r(24))
    add("stripe-style publishable test key", "pk_test_" + r(24))
    add("tape-style key", "tpk_live_" + r(20))
    add("github classic token", "ghp_" + r(36))
    add("github fine-grained token", "github_pat_" + r(22) + "_" + r(59))
    add("gitlab token", "glpat-" + r(20))
    add("slack bot token", "xoxb-" + r(11, "0123456789") + "-" + r(13, "0123456789") + "-" + r(24))
    add("aws access key id", "AKIA" + r(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    aws_secret = r(40, ALNUM + "/+")
    add("aws secret access key", aws_secret, url_safe="/" not in aws_secret and "+" not in aws_secret)
    add("google api key", "AIza" + r(35, ALNUM + "-_"))
    add("google oauth token", "ya29." + r(60, ALNUM + "-_"))
    add("openai project key", "sk-proj-" + r(48, ALNUM + "-_"))
    add("anthropic key", "sk-ant-api03-" + r(80, ALNUM + "-_"))
    add("sendgrid key", "SG." + r(22, ALNUM + "-_") + "." + r(43, ALNUM + "-_"))
    add("npm token", "npm_" + r(36))
    add("pypi token", "pypi-AgEIcHlwaS5vcmc" + r(50, ALNUM + "-_"))
    add("twilio api key", "SK" + r(32, HEX))
    add("mailgun key", "key-" + r(32))
    add("digitalocean token", "dop_v1_" + r(64, HEX))
    add("shopify token", "shpat_" + r(32, HEX))
    add("square token", "sq0atp-" + r(22, ALNUM + "-_"))
    add("vault token", "hvs." + r(90, ALNUM + "-_"))
    add("databricks token", "dapi" + r(32, HEX))
    add("atlassian token", "ATATT3xFfGF0" + r(60, ALNUM + "-_="))
    add("linear key", "lin_api_" + r(40))
    add("stripe webhook secret", "whsec_" + r(32))
    add("discord bot token", "M" + r(25) + "." + r(6, ALNUM + "-_") + "." + r(38, ALNUM + "-_"))
    tg = r(10, "0123456789") + ":" + r(35, ALNUM + "-_")
    add("telegram bot token", "bot" + tg, tg)
    add("jwt", jwt(b'{"alg":"HS256","typ":"JWT"}'))
    add("jwt with a spaced header", jwt(b' { "alg" : "RS256" }'))
    jwe = ".".join([b64url(b'{"alg":"RSA-OAEP","enc":"A256GCM"}'), r(40, ALNUM + "-_"), r(16, ALNUM + "-_"), r(60, ALNUM + "-_"), r(22, ALNUM + "-_")])
    add("jwe", jwe)
    pem_body = r(64, ALNUM + "+/")
    add("pem private key", "-----BEGIN PRIVATE KEY-----\n" + pem_body + "\n-----END PRIVATE KEY-----", pem_body, url_safe=False)
    pw = r(14)
    add("postgres url password", "postgres://app:" + pw + "@db.internal:5432/main", pw, url_safe=False)
    pw = r(14)
    add("mongodb url password", "mongodb+srv://svc:" + pw + "@cluster0.example.net/db", pw, url_safe=False)
    pw = r(12)
    add("https userinfo password", "https://admin:" + pw + "@internal.example/x", pw, url_safe=False)
    add("random high-entropy token", r(32, ALNUM + "+/"), url_safe=False)
    words = "correct horse battery staple " + r(6, "abcdefghijklmnopqrstuvwxyz")
    add("multi-word password", '"password": "' + words + '"', words, url_safe=False)
    v = r(24)
    add("camelCase session token", "sessionToken=" + v, v)
    v = r(26, HEX)
    add("php session cookie", "PHPSESSID=" + v, v)
    v = "00" + r(40, ALNUM + "-_")
    add("okta ssws", "SSWS " + v, v, url_safe=False)
    v = r(32, HEX)
    add("digest response", 'Digest username="bob", realm="api", response="' + v + '"', v, url_safe=False)
    v = base64.b64encode(("svc-user:" + r(18)).encode()).decode()
    add("basic credentials", "Basic " + v, v, url_safe=False)
    v = r(10) + "-" + r(12)
    add("bearer token", "Bearer " + v, v, url_safe=False)
    v = r(16)
    add("db password name", "db_password=" + v, v)
    v = r(20)
    add("aws secret by name", "aws_secret_access_key=" + v, v)
    return k


def main():
    ks = kinds()
    lines = []
    n = 0

    def rec(**kw):
        base = {
            "timestamp": "2024-06-11T10:%02d:%02d.000Z" % ((n // 60) % 60, n % 60),
            "method": "GET",
            "url": "https://api.tapeapp.com/v1/record/7",
            "status_code": 401,
            "content_type": "application/json",
            "response_body": json.dumps({"error_code": "unauthorized", "error_message": "The bearer token is not valid."}),
        }
        base.update(kw)
        return base

    for kind, text, secret, url_safe in ks:
        body = lambda code, msg: json.dumps({"error_code": code, "error_message": msg})
        variants = [
            rec(response_body=body("unauthorized", "rejected " + text + " for this account")),
            rec(response_body=body("bad_key_" + text, "see code")),
            rec(status_code=422, response_body=body("invalid_value", "field echo " + text)),
            rec(request_id=text),
            # The record's own credential, echoed back in its message: the
            # credential as sent (a scheme and the secret), the echo of what
            # a server would repeat (the secret alone when the header ends
            # with it, else the whole value).
            rec(
                headers={"authorization": text if " " in text else "Bearer " + text},
                response_body=body("unauthorized", "token " + (secret if (text if " " in text else "Bearer " + text).endswith(secret) else text) + " is revoked"),
            ),
            rec(host="admin:" + secret + "@internal"),
        ]
        if url_safe:
            variants += [
                rec(url="https://api.tapeapp.com/v1/files/" + text + "/share"),
                rec(url="https://api.tapeapp.com/v1/search?q=" + text + "&page=2"),
                rec(url="https://api.tapeapp.com/v1/record/9#" + text),
                rec(url="https://bob:" + secret + "@api.tapeapp.com/v1/record/9"),
                rec(url="/v1/go?next=https://evil.example/" + text),
            ]
        for v in variants:
            lines.append(json.dumps(v))
            n += 1
        # An unreadable line carrying it: the skip excerpt.
        lines.append('{"status_code": 500, "message": "' + text.replace("\n", "\\n").replace('"', '\\"') + '", ')
        n += 1
    with open(os.path.join(HERE, "leaks.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")

    entries = []
    for i, (kind, text, secret, url_safe) in enumerate(ks):
        msg = "rejected " + text
        b64 = base64.b64encode(json.dumps({"error_code": "unauthorized", "error_message": msg}).encode()).decode()
        q = [{"name": "access_token", "value": secret}, {"name": "q", "value": text}]
        url = "https://api.tapeapp.com/v1/record/%d?access_token=%s" % (i, secret if url_safe else "x")
        for j, content in enumerate([
            {"size": 10, "mimeType": "application/json", "text": json.dumps({"error_code": "unauthorized", "error_message": msg})},
            {"size": 10, "mimeType": "application/json", "encoding": "base64", "text": b64},
            {"size": 10, "mimeType": "text/html", "text": "<html>" + text + "</html>"},
        ]):
            entries.append({
                "startedDateTime": "2024-06-11T11:%02d:%02d.000Z" % (i % 60, j),
                "time": 12.5,
                "request": {
                    "method": "POST",
                    "url": url,
                    "httpVersion": "HTTP/1.1",
                    "headers": [
                        {"name": "Authorization", "value": text if " " in text else "Bearer " + text},
                        {"name": "Cookie", "value": "theme=dark; sid=" + secret.replace(";", "") + "; lang=en"},
                        {"name": "X-Api-Key", "value": secret},
                        {"name": "X-Request-Id", "value": text if j == 0 else "req-%d-%d" % (i, j)},
                    ],
                    "cookies": [{"name": "sid", "value": secret}],
                    "queryString": q,
                    "postData": {"mimeType": "application/json", "text": json.dumps({"password": secret, "note": text})},
                    "headersSize": -1,
                    "bodySize": -1,
                },
                "response": {
                    "status": 403 if j == 2 else 401,
                    "statusText": "Unauthorized",
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "Set-Cookie", "value": "sid=" + secret + "; Path=/; HttpOnly"}, {"name": "Content-Type", "value": content["mimeType"]}],
                    "cookies": [],
                    "content": content,
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": -1,
                },
                "cache": {},
                "timings": {"send": 1, "wait": 10, "receive": 1.5},
            })
    har = {"log": {"version": "1.2", "creator": {"name": "make.py", "version": "1"}, "entries": entries}}
    with open(os.path.join(HERE, "leaks.har"), "w") as f:
        json.dump(har, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "secrets.txt"), "w") as f:
        f.write("# kind\tsecret (the part that must never reach an output)\n")
        for kind, text, secret, _ in ks:
            f.write(kind + "\t" + secret.replace("\n", "\\n") + "\n")


if __name__ == "__main__":
    main()
