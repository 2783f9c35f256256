#!/usr/bin/env python3
"""One peer engine computing bench/peers' common answer on one input.

    peer.py ENGINE FORMAT INPUT      ENGINE: duckdb | polars | chdb
                                     FORMAT: jsonl | har

Prints TSV lines `status<TAB>error_code<TAB>count`, sorted, for every response with
status >= 400, grouped by (status, error_code). A response carries a code only when
its body parses as a JSON object whose `error_code` is a non-empty string; every other
error response (no body, HTML, empty, truncated JSON, numeric or empty code) counts
under `-`. JSON lines: the status is `status`, the body the JSON string
`response_body`. HAR: `log.entries[].response.status` and `response.content.text`,
base64-decoded when `content.encoding` is `base64`.

Compressed inputs (.gz, .zst) are read by the engine itself, never by Python.
"""
import sys

# DuckDB reads the whole HAR document as one JSON value: its limit must exceed the size.
HAR_MAX_BYTES = 4 * 1024**3 - 1


def emit(rows):
    out = sorted(f"{int(s)}\t{c if c is not None else '-'}\t{int(n)}" for s, c, n in rows)
    sys.stdout.write("".join(line + "\n" for line in out))


# --- DuckDB -------------------------------------------------------------------
# json_type(x, path) is only called on bodies json_valid() accepted (it raises on
# invalid JSON); CASE evaluates THEN/inner CASE only on the rows its WHEN selects.
DUCK_CODE = """
    CASE WHEN body IS NOT NULL AND json_valid(body) THEN
        CASE WHEN json_type(body) = 'OBJECT'
              AND json_type(body, '$.error_code') = 'VARCHAR'
              AND json_extract_string(body, '$.error_code') <> ''
             THEN json_extract_string(body, '$.error_code') END
    END
"""


def duckdb_run(fmt, path):
    import duckdb

    con = duckdb.connect()
    if fmt == "jsonl":
        src = f"""
            SELECT status, response_body AS body
            FROM read_json(?, format = 'newline_delimited',
                           columns = {{status: 'BIGINT', response_body: 'VARCHAR'}})
        """
        params = [path]
    else:
        src = f"""
            WITH doc AS (
                SELECT unnest(log.entries) AS e
                FROM read_json(?, format = 'auto', records = 'true',
                    maximum_object_size = {HAR_MAX_BYTES},
                    columns = {{log: 'STRUCT(entries STRUCT(response STRUCT(status BIGINT,
                        content STRUCT(text VARCHAR, encoding VARCHAR)))[])'}})
            ), r AS (SELECT e.response AS r FROM doc)
            SELECT r.status AS status,
                   CASE WHEN r.status >= 400 AND r.content.encoding = 'base64'
                        THEN decode(from_base64(r.content.text))
                        ELSE r.content.text END AS body
            FROM r
        """
        params = [path]
    rows = con.execute(
        f"""
        SELECT status, code, count(*) FROM (
            SELECT status, {DUCK_CODE} AS code FROM ({src}) WHERE status >= 400
        ) GROUP BY ALL
        """,
        params,
    ).fetchall()
    emit(rows)


# --- chDB (ClickHouse) ----------------------------------------------------------
# JSONType() is 'Null' for invalid JSON; isValidJSON() guards it anyway.
CH_CODE = """
    if(body IS NOT NULL AND isValidJSON(body)
           AND JSONType(body) = 'Object'
           AND JSONType(body, 'error_code') = 'String'
           AND JSONExtractString(body, 'error_code') != '',
       JSONExtractString(body, 'error_code'), NULL)
"""


def chdb_run(fmt, path):
    import chdb

    q = path.replace("\\", "\\\\").replace("'", "\\'")
    if fmt == "jsonl":
        src = f"""
            SELECT status, response_body AS body
            FROM file('{q}', 'JSONEachRow',
                      'status Nullable(Int64), response_body Nullable(String)')
        """
        settings = ""
    else:
        # The HAR is one JSON object: one "row" whose `log` is a named tuple.
        src = f"""
            SELECT e.response.status AS status,
                   if(e.response.status >= 400 AND e.response.content.encoding = 'base64',
                      tryBase64Decode(e.response.content.text),
                      e.response.content.text) AS body
            FROM file('{q}', 'JSONEachRow',
                'log Tuple(entries Array(Tuple(response Tuple(status Nullable(Int64),
                    content Tuple(text Nullable(String), encoding Nullable(String))))))')
            ARRAY JOIN log.entries AS e
        """
        # With parallel parsing (the default) the one 512 MiB object hits
        # input_format_json_max_object_size (512 MiB); raising that instead works too
        # but is about twice as slow as parsing the document in one piece.
        settings = """
            SETTINGS input_format_json_ignore_unknown_keys_in_named_tuple = 1,
                     input_format_json_defaults_for_missing_elements_in_named_tuple = 1,
                     input_format_parallel_parsing = 0
        """
    res = chdb.query(
        f"""
        SELECT status, code, count() FROM (
            SELECT status, {CH_CODE} AS code FROM ({src}) WHERE status >= 400
        ) GROUP BY status, code
        {settings}
        """,
        "TabSeparated",
    )
    rows = []
    for line in res.bytes().decode().splitlines():
        s, c, n = line.split("\t")
        rows.append((s, None if c == "\\N" else c, n))
    emit(rows)


# --- Polars -----------------------------------------------------------------------
def polars_code(body):
    """error_code of a JSON-object body when it is a non-empty string, else null.

    json_path_match("$.error_code") gives a number or boolean re-serialized as text
    ("400"), so the type is checked by a JSONPath filter that only a non-empty string
    passes (`> ''` is false for numbers, booleans, null, objects and arrays). Invalid
    JSON (HTML, truncated, trailing data) gives null for both."""
    import polars as pl

    is_str = body.str.json_path_match("$[?(@.error_code > '')]").is_not_null()
    return pl.when(is_str).then(body.str.json_path_match("$.error_code"))


def polars_run(fmt, path):
    import polars as pl

    if fmt == "jsonl":
        lf = pl.scan_ndjson(
            path, schema={"status": pl.Int64, "response_body": pl.String}
        ).select(pl.col("status"), pl.col("response_body").alias("body"))
    else:
        # The whole HAR document is read as one row (polars has no streaming reader
        # for a single JSON document), then its entries are exploded.
        content = pl.Struct({"text": pl.String, "encoding": pl.String})
        response = pl.Struct({"status": pl.Int64, "content": content})
        schema = {"log": pl.Struct({"entries": pl.List(pl.Struct({"response": response}))})}
        r = (
            pl.read_json(path, schema=schema)
            .lazy()
            .select(pl.col("log").struct.field("entries"))
            .explode("entries")
            .select(pl.col("entries").struct.field("response"))
            .unnest("response")
            .filter(pl.col("status") >= 400)
            .unnest("content")
        )
        # decoded after the status filter: only error bodies, all text
        b64 = pl.col("text").str.decode("base64", strict=False).cast(pl.String, strict=False)
        lf = r.select(
            pl.col("status"),
            pl.when(pl.col("encoding") == "base64").then(b64).otherwise(pl.col("text")).alias("body"),
        )
    out = (
        lf.filter(pl.col("status") >= 400)
        .select(pl.col("status"), polars_code(pl.col("body")).alias("code"))
        .group_by("status", "code")
        .agg(pl.len())
        .collect()
    )
    emit(out.iter_rows())


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("jsonl", "har"):
        raise SystemExit(__doc__)
    engine, fmt, path = sys.argv[1:]
    {"duckdb": duckdb_run, "chdb": chdb_run, "polars": polars_run}[engine](fmt, path)


if __name__ == "__main__":
    main()
