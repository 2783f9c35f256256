# bench/peers' common answer out of a tape-audit `--format json` report (jq -r):
# codes[].count summed per (status, error_code) over rows with status >= 400;
# a null error_code is written "-".
[.codes[]
 | select((.status | type) == "number" and .status >= 400)
 | {k: "\(.status)\t\(if .error_code == null then "-" else .error_code end)", n: .count}]
| group_by(.k)[]
| "\(.[0].k)\t\(map(.n) | add)"
