#!/usr/bin/env python3
"""Inputs for bench/stress, written as a stream (a few MiB of memory
whatever the size). Deterministic: the same arguments give the same bytes.

    stress_gen.py KIND SIZE_BYTES OUT

Kinds:
  har-text     a HAR with one 200 entry whose content.text is SIZE bytes,
               between small entries
  har-base64   the same with a base64 body (an image)
  har-pages    a HAR whose log.pages is SIZE bytes, before 1000 entries
  json-array   a JSON array of SIZE bytes of flat records
  jsonl-long   SIZE bytes of JSON lines, 4 of them SIZE/10 bytes long

Prints `records=N` (records the input holds, as tape-audit counts them) to
stdout when done.
"""

import json
import sys

CHUNK = 1 << 20


def entry(i, status):
    if status >= 400:
        text = json.dumps({"error_code": "not_found", "error_message": f"no record {i}"})
    else:
        text = json.dumps({"record_id": i})
    return {
        "startedDateTime": f"2024-06-11T09:{(i // 60) % 60:02}:{i % 60:02}.000Z",
        "time": 10.5,
        "request": {
            "method": "GET",
            "url": f"https://api.tapeapp.com/v1/record/{i}",
            "headers": [{"name": "X-Request-Id", "value": f"req-{i}"}],
        },
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"size": len(text), "mimeType": "application/json", "text": text},
        },
    }


def small_entries(n, first=0):
    return [json.dumps(entry(first + i, [200, 404, 500][i % 3])) for i in range(n)]


def repeat(out, unit, size):
    """Writes `unit` (bytes) repeated to `size` bytes."""
    block = unit * max(1, CHUNK // len(unit))
    left = size
    while left > 0:
        b = block[: min(left, len(block))]
        out.write(b)
        left -= len(b)


def big_entry_har(out, size, base64):
    before = small_entries(3)
    after = small_entries(3, 10)
    head = '{"log":{"version":"1.2","creator":{"name":"stress_gen","version":"1"},"entries":['
    out.write((head + ",".join(before) + ",").encode())
    content = '{"size":%d,"mimeType":"%s",%s"text":"' % (
        size,
        "image/png" if base64 else "text/plain",
        '"encoding":"base64",' if base64 else "",
    )
    out.write(
        (
            '{"startedDateTime":"2024-06-11T10:00:00.000Z","time":900.0,'
            '"request":{"method":"GET","url":"https://api.tapeapp.com/v1/file/1/download","headers":[]},'
            '"response":{"status":200,"headers":[],"content":' + content
        ).encode()
    )
    unit = b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" if base64 else b"lorem ipsum dolor sit amet "
    repeat(out, unit, size)
    out.write(b'"}}},')
    out.write((",".join(after) + "]}}").encode())
    return len(before) + 1 + len(after)


def pages_har(out, size):
    out.write(b'{"log":{"version":"1.2","creator":{"name":"stress_gen","version":"1"},"pages":[')
    page = b'{"startedDateTime":"2024-06-11T09:00:00.000Z","id":"page_1","title":"https://app.tapeapp.com/workspace/1/app/2/record/3","pageTimings":{"onContentLoad":120.5,"onLoad":350.25}},'
    # Whole pages only: the document stays valid JSON.
    for _ in range(max(0, size - len(page)) // len(page)):
        out.write(page)
    out.write(page[:-1] + b'],"entries":[')
    entries = small_entries(1000)
    out.write((",".join(entries) + "]}}").encode())
    return len(entries)


def record(i):
    status = [200, 200, 404, 500, 201, 429][i % 6]
    if status >= 400:
        body = json.dumps({"error_code": ["not_found", "internal_server_error", "too_many_requests"][i % 3],
                           "error_message": f"failure {i}"})
    else:
        body = json.dumps({"record_id": i, "fields": [{"id": i, "value": "some text value"}]})
    return json.dumps({
        "timestamp": f"2024-06-11T{(i // 3600) % 24:02}:{(i // 60) % 60:02}:{i % 60:02}.000Z",
        "level": "info" if status < 400 else "error",
        "method": "GET",
        "url": f"https://api.tapeapp.com/v1/record/{i % 997}",
        "status": status,
        "duration_ms": 12.5,
        "request_id": f"req-{i % 10007}",
        "response_body": body,
    })


def json_array(out, size):
    # One block of distinct records, repeated: the memory of the reader,
    # not the cardinality, is what this input stresses.
    recs = [record(i) for i in range(4000)]
    block = (",\n".join(recs)).encode()
    n = 0
    written = 1
    out.write(b"[\n")
    first = True
    while written + len(block) + 4 <= size or first:
        if not first:
            out.write(b",\n")
            written += 2
        out.write(block)
        written += len(block)
        n += len(recs)
        first = False
    out.write(b"\n]\n")
    return n


def jsonl_long(out, size):
    long_len = size // 10
    normal = [(record(i) + "\n").encode() for i in range(1000)]
    normal_block = b"".join(normal)
    n = 0
    # Normal lines, with a long line (a 500 with a huge body) after each
    # quarter of them.
    quarter = max(1, (size - 4 * long_len) // 4)
    for _ in range(4):
        w = 0
        while w < quarter:
            out.write(normal_block)
            w += len(normal_block)
            n += len(normal)
        out.write(b'{"status":500,"response_body":"')
        repeat(out, b"x", long_len)
        out.write(b'"}\n')
        n += 1
    return n


def main():
    kind, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "wb", buffering=CHUNK) as out:
        if kind == "har-text":
            n = big_entry_har(out, size, False)
        elif kind == "har-base64":
            n = big_entry_har(out, size, True)
        elif kind == "har-pages":
            n = pages_har(out, size)
        elif kind == "json-array":
            n = json_array(out, size)
        elif kind == "jsonl-long":
            n = jsonl_long(out, size)
        else:
            sys.exit(f"stress_gen: unknown kind {kind}")
    print(f"records={n}")


if __name__ == "__main__":
    main()
