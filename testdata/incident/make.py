"""Writes the incident samples: a quiet hour (before.jsonl) and an incident
hour (during.jsonl) of a service calling the Tape API. Deterministic."""
import json, random

def write(name, day, seed, incident):
    rnd = random.Random(seed)
    lines = []
    for i in range(240):
        minute, second = divmod(i * 15, 60)
        t = f"{day}T10:{minute:02d}:{second:02d}.{rnd.randrange(1000):03d}Z"
        ep = rnd.choice(["/v1/record/{}", "/v1/app/{}", "/v1/record/app/{}/filter", "/v1/workspace/{}/apps"])
        path = ep.format(rnd.randrange(100, 999))
        status, body = 200, {"ok": True}
        r, background = rnd.random(), rnd.random()
        in_window = incident and 20 <= minute < 35
        if in_window and r < 0.45:
            status, body = 429, {"status_code": 429, "error_code": "too_many_requests", "error_message": "Rate limit exceeded"}
        elif in_window and r < 0.6:
            status, body = 503, "<html>upstream connect error</html>"
        elif incident and "/v1/record/" in path and r > 0.9:
            status, body = 409, {"status_code": 409, "endpoint": path, "error_code": "record_locked", "error_message": "Record is being edited"}
        elif background < 0.06:
            status, body = 404, {"status_code": 404, "endpoint": path, "error_code": "not_found", "error_message": f"Record does not exist({path.split('/')[-1]})!"}
        elif background < 0.08:
            status, body = 401, {"status_code": 401, "error_code": "unauthorized", "error_message": "Invalid API key"}
        rec = {"time": t, "level": "error" if status >= 400 else "info", "method": rnd.choice(["GET", "POST", "PATCH"]),
               "url": "https://api.tapeapp.com" + path, "status": status,
               "duration_ms": round(rnd.uniform(5, 900), 1), "request_id": f"req-{seed}-{i:04d}",
               "headers": {"Authorization": f"Bearer tape_key_{rnd.choice(['alpha1234567', 'bravo7654321'])}"}}
        if status >= 400:
            rec["response_body"] = body if isinstance(body, str) else json.dumps(body)
        lines.append(json.dumps(rec))
    with open(name, "w") as f:
        f.write("\n".join(lines) + "\n")

write("before.jsonl", "2024-06-10", 1, False)
write("during.jsonl", "2024-06-11", 2, True)
