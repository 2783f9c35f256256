#!/usr/bin/env python3
"""Writes bench/peers' edge-case JSON lines (to the path given) and their expected answer
(to the path given second).

Bodies the generator never writes, on which a careless query gets the common answer
wrong: an empty or non-string error_code, two JSON values in one body, trailing
data, an array, a nested error_code, whitespace around the object, escapes in the
code, no body at all. Not included, because JSON leaves them open and the tools
differ: duplicate keys (DuckDB and chDB keep the first, the others the last) and a
byte-order mark inside the body text (accepted by tape-audit, chDB and jq only).
"""
import json
import sys

# (status, body or None, expected code or "-"); status < 400 is not counted.
CASES = [
    (400, '{"error_code":"","error_message":"empty code"}', "-"),
    (400, '{"error_code":400,"error_message":"numeric code"}', "-"),
    (401, '{"error_code":"two","error_message":"m"} {}', "-"),
    (401, '{"error_code":"trailing","error_message":"m"}x', "-"),
    (403, '[{"error_code":"array","error_message":"m"}]', "-"),
    (403, '{"x":{"error_code":"nested","error_message":"m"}}', "-"),
    (404, ' \n{"error_code":"ws","error_message":"m"}\n ', "ws"),
    (404, None, "-"),
    (409, '{"error_code":null,"error_message":"m"}', "-"),
    (409, '{"error_code":true,"error_message":"m"}', "-"),
    (410, '{"error_code":"not\\u005ffound","error_message":"m"}', "not_found"),
    (410, '{"error_code":"nomsg"}', "nomsg"),
    (429, "null", "-"),
    (429, '{"error_code":"trunc"', "-"),
    (429, "", "-"),
    (399, '{"error_code":"below_400","error_message":"m"}', None),
    (500, '{"error_code":["a"],"error_message":"m"}', "-"),
    (500, '{"error_code":{"a":1},"error_message":"m"}', "-"),
    (500, '"just a string"', "-"),
    (503, '{"error_message":"m","error_code":"late","status_code":503}', "late"),
    (503, '{"error_code":"café","error_message":"m"}', "café"),
    (504, '{"error_code":"x y","error_message":"m"}', "x y"),
    (504, "<html><body>504</body></html>", "-"),
]


def main():
    out, expected = sys.argv[1:3]
    counts = {}
    with open(out, "w", encoding="utf-8") as f:
        for i, (status, body, code) in enumerate(CASES):
            rec = {
                "time": "2024-06-11T00:00:%02d.000Z" % i,
                "method": "GET",
                "url": "https://api.tapeapp.com/v1/record/%d" % (i + 1),
                "status": status,
            }
            if body is not None:
                rec["response_body"] = body
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if code is not None:
                counts[(status, code)] = counts.get((status, code), 0) + 1
    lines = sorted(f"{s}\t{c}\t{n}".encode() for (s, c), n in counts.items())
    with open(expected, "wb") as f:
        f.write(b"".join(line + b"\n" for line in lines))


if __name__ == "__main__":
    main()
