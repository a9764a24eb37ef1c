#!/bin/sh
# Runs each test (executable or .sh script) given as an argument; exit 0 = pass, 77 = skip,
# anything else = fail. Prints each result and a closing "N passed, N failed, N skipped" line.
# Logs of failing tests are printed in full.
pass=0; fail=0; skip=0; failed=""
log_dir=${BUILD:-build}/test-logs
mkdir -p "$log_dir"
for t in "$@"; do
  name=$(basename "$t")
  log="$log_dir/$name.log"
  case "$t" in
    *.sh) sh "$t" >"$log" 2>&1 ;;
    *) "$t" >"$log" 2>&1 ;;
  esac
  rc=$?
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "PASS  $name"
  elif [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "SKIP  $name: $(tail -n 1 "$log")"
  else fail=$((fail + 1)); failed="$failed $name"; echo "FAIL  $name (exit $rc)"; sed 's/^/    | /' "$log" | tail -n 60
  fi
done
echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
