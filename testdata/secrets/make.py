#!/usr/bin/env python3
"""Writes the secrets corpus: fake credentials of 40+ kinds, each placed in
every position of a record that can hold it, in a JSON-lines log, a HAR, and
one JSON-lines log per log shape the reader knows (src/input/jsonl.rs).

    python3 testdata/secrets/make.py

writes secrets.txt (one checked string per line: the secret part that must
never reach an output), leaks.jsonl, leaks.har and shapes/SHAPE.jsonl beside
this script. Positions: the error message, the error code, a path segment,
a query value, the fragment, URL userinfo, the request id, a host field with
userinfo, the record's own Authorization, Cookie and API-key headers echoed
in the message, a base64 body, a base64 gzip body and an unreadable line's
excerpt; in the HAR also an HTML body and a gzip body kept compressed. The
kinds marked "layer 1 only" are opaque values that no pattern can know: they
are placed only where the record itself carries them (a header), and echoed.
Every value is made up; none is a live credential. The output is
deterministic.
"""
import base64
import gzip
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(20261201)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"


def r(n, alphabet=ALNUM):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt(header):
    return ".".join([b64url(header), b64url(b'{"sub":"%s"}' % r(8).encode()), r(43, ALNUM + "-_")])


# (kind, text that carries it, the secret part checked, whether it is safe
# in a URL, whether a pattern can find it anywhere: False for opaque values
# that only the record's own headers give away)
def kinds():
    k = []

    def add(kind, text, secret=None, url_safe=True, anywhere=True):
        k.append((kind, text, secret or text, url_safe, anywhere))

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
    add("opaque session cookie (layer 1 only)", r(24, LOWER), anywhere=False)
    add("opaque api key (layer 1 only)", r(32, HEX), anywhere=False)
    return k


def body(code, msg):
    return {"error_code": code, "error_message": msg}


def b64(b):
    return base64.b64encode(b).decode()


def gz(b):
    # mtime=0: the same bytes on every run.
    return gzip.compress(b, mtime=0)


def variants(text, secret, url_safe, anywhere):
    """The positions of one kind, as generic fields (see `shaped`)."""
    v = []
    auth = text if " " in text else "Bearer " + text
    echo = secret if auth.endswith(secret) else text
    if anywhere:
        v += [
            {"body": body("unauthorized", "rejected " + text + " for this account")},
            {"body": body("bad_key_" + text, "see code")},
            {"status": 422, "body": body("invalid_value", "field echo " + text)},
            {"rid": text},
            {"host": "admin:" + secret + "@internal"},
            {"b64": b64(json.dumps(body("base64_body_read", "rejected " + text)).encode())},
            {"b64": b64(gz(json.dumps(body("gzip_body_read", "rejected " + text)).encode())), "gzip": True},
        ]
        if url_safe:
            v += [
                {"url": "https://api.tapeapp.com/v1/files/" + text + "/share"},
                {"url": "https://api.tapeapp.com/v1/search?q=" + text + "&page=2"},
                {"url": "https://api.tapeapp.com/v1/record/9#" + text},
                {"url": "https://bob:" + secret + "@api.tapeapp.com/v1/record/9"},
                {"url": "/v1/go?next=https://evil.example/" + text},
            ]
    # The record's own credentials, echoed back: the Authorization as sent
    # (a scheme and the secret; the echo is the secret alone when the header
    # ends with it, else the whole value), a cookie, an API key beside an
    # Authorization.
    v += [
        {"auth": auth, "body": body("unauthorized", "token " + echo + " is revoked")},
        {"cookie": "theme=dark; sid=" + secret.replace(";", "") + "; lang=en",
         "body": body("unauthorized", "session " + secret.replace(";", "") + " has expired")},
        {"auth": "Bearer not-the-key", "apikey": secret.replace("\n", " "),
         "body": body("forbidden", "the key " + secret.replace("\n", " ") + " may not do this")},
    ]
    return v


def fields(n, f):
    """Generic fields with defaults; `n` numbers the record."""
    base = {
        "time": "2024-06-11T10:%02d:%02d.000Z" % ((n // 60) % 60, n % 60),
        "epoch": 1718100000 + n,
        "method": "GET",
        "url": "https://api.tapeapp.com/v1/record/7",
        "host": None,
        "status": 401,
        "rid": "req-%d" % n,
        "body": body("unauthorized", "The bearer token is not valid."),
        "b64": None,
        "gzip": False,
        "auth": None,
        "cookie": None,
        "apikey": None,
    }
    base.update(f)
    return base


def split_url(url):
    """(host, path with query and fragment) of a URL or a path."""
    if url.startswith("https://"):
        rest = url[len("https://"):]
        i = rest.find("/")
        return rest[:i], rest[i:]
    return None, url


def headers(f, style=str):
    h = {}
    for name, key in [("Authorization", "auth"), ("Cookie", "cookie"), ("X-Api-Key", "apikey")]:
        if f[key] is not None:
            h[name] = style(f[key])
    return h


def lower_keys(h):
    return {k.lower(): v for k, v in h.items()}


def drop_none(d):
    """`d` without None values and the objects left empty by that."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            v = drop_none(v)
        if v is not None and v != {}:
            out[k] = v
    return out


def with_b64(rec, f, where=""):
    """The base64 body fields (and gzip encoding) at `where` (a prefix)."""
    if f["b64"] is None:
        return rec
    target = rec
    for part in where.split(".") if where else []:
        target = target.setdefault(part, {})
    target["body_base64"] = f["b64"]
    if f["gzip"]:
        target["content_encoding"] = "gzip"
    return rec


def body_text(f):
    return None if f["b64"] is not None else json.dumps(f["body"])


def shaped(shape, f):
    """One log line of `shape` carrying the generic fields `f`, in the
    shape's own field names (src/input/jsonl.rs)."""
    host, path = split_url(f["url"])
    host = f["host"] or host
    if shape == "flat":
        rec = {"timestamp": f["time"], "method": f["method"], "url": f["url"], "host": f["host"],
               "status_code": f["status"], "request_id": f["rid"], "content_type": "application/json",
               "response_body": body_text(f), "headers": headers(f)}
        return with_b64(drop_none(rec), f)
    if shape == "nested":
        rec = {"time": f["time"],
               "request": {"method": f["method"], "url": f["url"], "host": f["host"], "headers": headers(f)},
               "response": {"status": f["status"], "headers": {"x-request-id": f["rid"]}, "body": body_text(f)}}
        return with_b64(drop_none(rec), f, "response")
    if shape == "caddy":
        rec = {"level": "error", "ts": f["epoch"] + 0.25, "logger": "http.log.access", "msg": "handled request",
               "request": {"method": f["method"], "uri": path, "host": host,
                           "headers": dict(headers(f, lambda v: [v]), **{"X-Request-Id": [f["rid"]]})},
               "status": f["status"], "resp_body": body_text(f)}
        return with_b64(drop_none(rec), f)
    if shape == "k8s_audit":
        # The body is the responseStatus object: an audit event has no
        # base64 body (the base64 positions carry the default body here).
        st = dict(f["body"], kind="Status", status="Failure", code=f["status"], message=f["body"]["error_message"])
        rec = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": f["rid"],
               "stage": "ResponseComplete", "requestURI": path, "verb": "get",
               "user": {"username": "system:serviceaccount:x"}, "responseStatus": st,
               "requestReceivedTimestamp": f["time"], "stageTimestamp": f["time"]}
        return drop_none(rec)
    if shape == "traefik":
        rec = {"ClientHost": "10.0.0.1", "DownstreamStatus": f["status"], "RequestMethod": f["method"],
               "RequestPath": path, "RequestHost": host, "StartUTC": f["time"], "Duration": 1200000,
               "request_X-Request-Id": f["rid"], "response_body": body_text(f)}
        rec.update({"request_" + k: v for k, v in headers(f).items()})
        return with_b64(drop_none(rec), f)
    if shape == "envoy":
        rec = {"start_time": f["time"], "method": f["method"], "x-envoy-origin-path": path, "authority": host,
               "response_code": f["status"], "x-request-id": f["rid"], "duration": 3,
               "headers": headers(f), "response_body": body_text(f)}
        return with_b64(drop_none(rec), f)
    if shape == "gcp":
        rec = {"httpRequest": {"requestMethod": f["method"], "requestUrl": f["url"], "status": f["status"],
                               "latency": "0.012s"},
               "timestamp": f["time"], "requestId": f["rid"], "host": f["host"], "headers": headers(f),
               "response_body": body_text(f)}
        return with_b64(drop_none(rec), f)
    if shape == "cloudflare":
        rec = {"EdgeStartTimestamp": f["time"], "ClientRequestMethod": f["method"], "ClientRequestURI": path,
               "ClientRequestHost": host, "EdgeResponseStatus": f["status"], "RayID": f["rid"],
               "headers": headers(f), "response_body": body_text(f)}
        return with_b64(drop_none(rec), f)
    if shape == "fastly":
        rec = {"timestamp": f["time"], "request_method": f["method"], "url": path, "host": host,
               "response_status": f["status"], "request_id": f["rid"], "headers": headers(f),
               "response_body": body_text(f)}
        return with_b64(drop_none(rec), f)
    if shape == "ecs":
        rec = {"@timestamp": f["time"],
               "http": {"request": {"method": f["method"], "id": f["rid"], "headers": lower_keys(headers(f))},
                        "response": {"status_code": f["status"], "mime_type": "application/json",
                                     "body": {"content": body_text(f)}}},
               "url": {"full": f["url"], "domain": f["host"]}}
        return with_b64(drop_none(rec), f)
    if shape == "pino":
        rec = {"level": 50, "time": f["epoch"] * 1000, "req_id": f["rid"],
               "req": {"method": f["method"], "url": path,
                       "headers": dict(lower_keys(headers(f)), host=host)},
               "res": {"statusCode": f["status"], "body": body_text(f)}, "responseTime": 4}
        return with_b64(drop_none(rec), f)
    if shape == "pino_axios":
        data = f["body"] if f["b64"] is None else None
        rec = {"level": 50, "time": f["epoch"] * 1000, "msg": "request failed",
               "err": {"type": "AxiosError", "message": "Request failed with status code %d" % f["status"],
                       "config": {"method": f["method"].lower(), "url": f["url"], "headers": headers(f)},
                       "response": {"status": f["status"], "headers": {"x-request-id": f["rid"]}, "data": data}}}
        return with_b64(drop_none(rec), f)
    if shape == "har_entry":
        return har_entry(f, f["time"])
    raise ValueError(shape)


# The shape each file must be detected as (the JSON report's inputs[].shape).
SHAPES = {
    "flat": "flat", "nested": "nested", "caddy": "caddy", "k8s_audit": "k8s_audit", "traefik": "traefik",
    "envoy": "envoy", "gcp": "gcp", "cloudflare": "cloudflare", "fastly": "fastly", "ecs": "ecs",
    "pino": "pino", "pino_axios": "pino", "har_entry": "har_entry",
}


def har_entry(f, started, html=None, raw_gzip=False):
    """A HAR entry carrying the generic fields; `html` replaces the body
    with an HTML page, `raw_gzip` keeps a JSON body compressed (base64 of
    the gzip bytes, with `Content-Encoding: gzip`)."""
    hs = [{"name": k, "value": v} for k, v in headers(f).items()]
    hs.append({"name": "X-Request-Id", "value": f["rid"]})
    resp_headers = [{"name": "Content-Type", "value": "text/html" if html else "application/json"}]
    if html is not None:
        content = {"size": 10, "mimeType": "text/html", "text": html}
    elif raw_gzip or f["gzip"]:
        data = json.dumps(f["body"]).encode() if f["b64"] is None else None
        content = {"size": 10, "mimeType": "application/json", "encoding": "base64",
                   "text": b64(gz(data)) if data is not None else f["b64"]}
        resp_headers.append({"name": "Content-Encoding", "value": "gzip"})
    elif f["b64"] is not None:
        content = {"size": 10, "mimeType": "application/json", "encoding": "base64", "text": f["b64"]}
    else:
        content = {"size": 10, "mimeType": "application/json", "text": json.dumps(f["body"])}
    url = f["url"]
    if f["host"]:
        url = url.replace("https://api.tapeapp.com", "https://" + f["host"])
    return {
        "startedDateTime": started,
        "time": 12.5,
        "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1", "headers": hs,
                    "cookies": [], "queryString": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": f["status"], "statusText": "Unauthorized", "httpVersion": "HTTP/1.1",
                     "headers": resp_headers, "cookies": [], "content": content, "redirectURL": "",
                     "headersSize": -1, "bodySize": -1},
        "cache": {},
        "timings": {"send": 1, "wait": 10, "receive": 1.5},
    }


def log_lines(ks, shape):
    lines = []
    n = 0
    for kind, text, secret, url_safe, anywhere in ks:
        for v in variants(text, secret, url_safe, anywhere):
            # An audit event carries no request headers: no echo of them.
            if shape == "k8s_audit" and (v.get("auth") or v.get("cookie") or v.get("apikey")):
                continue
            lines.append(json.dumps(shaped(shape, fields(n, v))))
            n += 1
        if anywhere:
            # An unreadable line carrying it: the skip excerpt.
            lines.append('{"status_code": 500, "message": "' + text.replace("\n", "\\n").replace('"', '\\"') + '", ')
            n += 1
    return lines


def main():
    ks = kinds()
    with open(os.path.join(HERE, "leaks.jsonl"), "w") as f:
        f.write("\n".join(log_lines(ks, "flat")) + "\n")
    os.makedirs(os.path.join(HERE, "shapes"), exist_ok=True)
    for shape in SHAPES:
        if shape == "flat":
            continue
        with open(os.path.join(HERE, "shapes", shape + ".jsonl"), "w") as f:
            f.write("\n".join(log_lines(ks, shape)) + "\n")
    with open(os.path.join(HERE, "shapes", "SHAPES.tsv"), "w") as f:
        f.write("# file\tthe shape the reader must detect\n")
        for shape, detected in SHAPES.items():
            if shape != "flat":
                f.write("%s.jsonl\t%s\n" % (shape, detected))

    entries = []
    for i, (kind, text, secret, url_safe, anywhere) in enumerate(ks):
        msg = "rejected " + text
        q = [{"name": "access_token", "value": secret}, {"name": "q", "value": text}]
        url = "https://api.tapeapp.com/v1/record/%d?access_token=%s" % (i, secret if url_safe else "x")
        auth = text if " " in text else "Bearer " + text
        cookie = "theme=dark; sid=" + secret.replace(";", "") + "; lang=en"
        # Every entry carries the secret in its own headers, so it may be
        # echoed anywhere in the entry's text.
        for j, (f, kw) in enumerate([
            ({"body": body("unauthorized", msg)}, {}),
            ({"b64": b64(json.dumps(body("base64_body_read", msg)).encode())}, {}),
            ({}, {"html": "<html>" + text + "</html>"}),
            ({"body": body("gzip_body_read", msg)}, {"raw_gzip": True}),
            ({"body": body("unauthorized", "session " + secret.replace(";", "") + " has expired")}, {}),
        ]):
            g = fields(0, dict(f, url=url, auth=auth, cookie=cookie, apikey=secret.replace("\n", " "),
                               rid=text if j == 0 else "req-%d-%d" % (i, j), status=403 if j == 2 else 401))
            e = har_entry(g, "2024-06-11T11:%02d:%02d.000Z" % (i % 60, j), **kw)
            e["request"]["cookies"] = [{"name": "sid", "value": secret}]
            e["request"]["queryString"] = q
            e["request"]["postData"] = {"mimeType": "application/json", "text": json.dumps({"password": secret, "note": text})}
            e["response"]["headers"].insert(0, {"name": "Set-Cookie", "value": "sid=" + secret + "; Path=/; HttpOnly"})
            entries.append(e)
    har = {"log": {"version": "1.2", "creator": {"name": "make.py", "version": "1"}, "entries": entries}}
    with open(os.path.join(HERE, "leaks.har"), "w") as f:
        json.dump(har, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "secrets.txt"), "w") as f:
        f.write("# kind\tsecret (the part that must never reach an output)\n")
        for kind, text, secret, _, _ in ks:
            f.write(kind + "\t" + secret.replace("\n", "\\n") + "\n")


if __name__ == "__main__":
    main()
