# bench/peers' common answer on JSON lines, for jq and jaq (run with -n -r).
# Error responses (status >= 400) counted per (status, error_code); the code is that
# of a body that parses as a JSON object whose error_code is a non-empty string,
# else "-". response_body is a JSON string holding the body text.
# The body must be exactly one JSON value: jaq's fromjson yields every value of a
# string ("{} {}" gives two, "" none), jq's raises an error unless there is one.
def code:
  [if type == "string" then (try fromjson catch false) else false end]
  | if length == 1 and (.[0] | type) == "object"
       and (.[0].error_code | type) == "string" and .[0].error_code != ""
    then .[0].error_code else "-" end;
reduce (inputs | select((.status | type) == "number" and .status >= 400)) as $r ({};
  ($r.response_body
   | code) as $code
  | .["\($r.status)\t\($code)"] += 1)
| to_entries[]
| "\(.key)\t\(.value)"
