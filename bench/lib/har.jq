# bench/peers' common answer on a HAR document, for jq and jaq (run with -r).
# Error responses (status >= 400) of log.entries counted per (status, error_code);
# content.text is base64-decoded when content.encoding is "base64"; the code is
# that of a body that parses as a JSON object whose error_code is a non-empty
# string, else "-".
# The body must be exactly one JSON value: jaq's fromjson yields every value of a
# string ("{} {}" gives two, "" none), jq's raises an error unless there is one.
def code:
  [if type == "string" then (try fromjson catch false) else false end]
  | if length == 1 and (.[0] | type) == "object"
       and (.[0].error_code | type) == "string" and .[0].error_code != ""
    then .[0].error_code else "-" end;
reduce (.log.entries[].response
        | select(type == "object" and (.status | type) == "number" and .status >= 400)) as $r ({};
  ($r.content
   | if type == "object" and (.text | type) == "string"
     then (if .encoding == "base64" then (try (.text | @base64d) catch null) else .text end)
     else null end
   | code) as $code
  | .["\($r.status)\t\($code)"] += 1)
| to_entries[]
| "\(.key)\t\(.value)"
