#!/bin/sh
# Start a job on an asynchronous HTTP API and wait for its outcome, with curl and jq.
#
# Conventions: rfc9110 azure request-reply aip151 job-resource odata
#
#     sh poll.sh URL [JSON]       POST the JSON body to URL, then wait for the job
#     sh poll.sh --monitor URL    wait for a job that is already running
#
# Prints the result (JSON) and exits 0 when the job succeeds. When it fails, is
# canceled or is no longer known, says why on stderr and exits 1; exits 3 when
# DEADLINE (seconds, default 300) passes first. API_ROOT: what AIP-151 operation
# names are relative to (default: two levels above the submit URL). POSIX sh;
# needs curl and jq.
set -eu

deadline=${DEADLINE:-300}
cap=30
backoff=1
# Seconds since the epoch: POSIX date has no %s, and POSIX awk's srand() returns the
# seed it replaces, the time of day by default.
now() { awk 'BEGIN { srand(); print srand() }'; }
give_up=$(( $(now) + deadline ))
headers=$(mktemp)
body=$(mktemp)
trap 'rm -f "$headers" "$body"' EXIT

fail() { echo "job failed: $*" >&2; exit 1; }

# The value of a header of the last response (names are case-insensitive).
header() {
  awk -v name="$1" 'index(tolower($0), tolower(name) ":") == 1 {
    sub(/\r$/, ""); sub(/^[^:]*:[ \t]*/, ""); value = $0 } END { print value }' "$headers"
}

# Seconds to wait: Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3).
retry_after() {
  case $1 in
    '') ;;
    *[!0-9]*)
      # An HTTP-date (IMF-fixdate), read by jq: POSIX date cannot parse one.
      when=$(printf '%s' "$1" |
        jq -Rr 'strptime("%a, %d %b %Y %H:%M:%S GMT") | mktime' 2>/dev/null) || return 0
      at=$(now)
      echo $(( when > at ? when - at : 0 )) ;;
    *) echo "$1" ;;
  esac
}

# Sleep no less than the server asked, else back off; jitter spreads clients apart.
pause() {
  hint=$(retry_after "$(header Retry-After)")
  if [ -z "$hint" ]; then
    hint=$(( backoff < cap ? backoff : cap ))
    backoff=$(( backoff * 2 ))
  fi
  # Whole seconds (POSIX sleep takes no fractions), never less than the hint.
  delay=$(od -An -N2 -tu2 /dev/urandom |
    awk -v s="$hint" '{ printf "%d", s * (1 + $1 / 65535 * 0.2) }')
  if [ $(( $(now) + delay )) -gt "$give_up" ]; then
    echo "gave up: the job is not done," \
      "and the next poll would be past the $deadline s deadline" >&2
    exit 3
  fi
  sleep "$delay"
}

# A reference (absolute, /path or relative) resolved against the URL it came from.
resolve() {
  case $1 in
    http://* | https://*) echo "$1" ;;
    /*) echo "$2" | sed -E 's#^([a-z]+://[^/]+).*#\1#' | tr -d '\n'; echo "$1" ;;
    *) echo "${2%/*}/$1" ;;
  esac
}

# GET, or POST with a body: the status code in $code, headers and body in their files;
# 000 when the server could not be reached (a dropped connection, a restart).
etag='' etag_url=''
request() {
  if [ "$1" = POST ]; then
    code=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' -X POST \
      -H 'Content-Type: application/json' -H 'Accept: application/json' \
      -H 'Prefer: respond-async' \
      -H "Idempotency-Key: $key" --data "$3" "$2") || code=000
  elif [ -n "$etag" ] && [ "$etag_url" = "$2" ]; then
    # Polling conditionally: while nothing changed the answer is a bodiless 304.
    code=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' \
      -H 'Accept: application/json' -H "If-None-Match: $etag" "$2") || code=000
  else
    code=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' \
      -H 'Accept: application/json' "$2") || code=000
  fi
  if [ "$code" = 200 ] && [ -n "$(header ETag)" ]; then etag=$(header ETag) etag_url=$2; fi
}

problem() {
  detail=$(jq -r '.detail // .message // .title // empty' "$body" 2>/dev/null || true)
  echo "$code${detail:+: $detail}"
}

if [ "${1:-}" = --monitor ]; then
  url=${2:?usage: poll.sh --monitor URL}
  request GET "$url"
else
  url=${1:?usage: poll.sh URL [JSON] | poll.sh --monitor URL}
  # A POST is retried only with the same Idempotency-Key, so a retry never starts a second job.
  key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  data=${2:-}
  [ -n "$data" ] || data='{}'
  while request POST "$url" "$data"; do
    case $code in 000 | 429 | 502 | 503 | 504) pause ;; *) break ;; esac
  done
fi
root=${API_ROOT:-$(echo "$url" | sed -E 's#/[^/]+/[^/]+$##')}

# Read each answer, wait if it says so, and ask where it says, until an outcome.
while :; do
  wait=yes next=$url
  case $code in
    000 | 429 | 502 | 503 | 504 | 304) ;;  # unreachable, busy, or unchanged: ask again later
    301 | 302 | 303 | 307 | 308)  # done: the result lives elsewhere (curl does not follow)
      wait=no next=$(resolve "$(header Location)" "$url") ;;
    404 | 410) fail "the job is no longer known at $url: $(problem)" ;;
    [45]??) fail "$(problem)" ;;
    201 | 202)  # accepted, or still pending: poll the monitor it names
      named=$(header Location)
      [ -n "$named" ] || named=$(header Operation-Location)
      [ -n "$named" ] || named=$(header Content-Location)
      [ -z "$named" ] || next=$(resolve "$named" "$url")
      # A 201's Location is the job itself, worth asking at once.
      if [ "$code" = 201 ]; then wait=no; fi ;;
    *)
      final=$(header AsyncResult)
      case $final in  # OData: finished; the body is the final response's body
        '') ;;
        2??) jq . "$body"; exit 0 ;;
        *) fail "the request ended with $final: $(jq -r '.error | if type == "object"
             then .detail // .message // .code else . end' "$body")" ;;
      esac
      status=$(jq -r 'if type == "object" then .status // "" | tostring | ascii_downcase
        else "" end' "$body")
      if [ "$(jq -r 'type == "object" and has("done") and has("name")' "$body")" = true ]; then
        # An AIP-151 Operation: poll it by name until done, then read response or error.
        case $url in */operations/*) root=${url%%/operations/*} ;; esac
        if [ "$(jq -r .done "$body")" = true ]; then
          if [ "$(jq -r 'has("error")' "$body")" = true ]; then
            fail "the operation failed: $(jq -r '.error.message // .error' "$body")"
          fi
          jq .response "$body"
          exit 0
        fi
        next="${root%/}/$(jq -r .name "$body")"
      else
        case $status in
          failed | canceled | cancelled)
            fail "the job $status: $(jq -r '.error | if type == "object"
              then .detail // .message // .code else . end' "$body")" ;;
          queued | notstarted | running | pending | inprogress | accepted) ;;
          *)
            link=$(jq -r '.resourceLocation // (.result | strings) // empty' "$body")
            if [ "$status" = succeeded ] && [ -n "$link" ]; then
              wait=no next=$(resolve "$link" "$url")
            elif [ "$status" = succeeded ] && jq -e '.result | objects' "$body" >/dev/null; then
              jq .result "$body"  # embedded: Azure's status monitor, a job resource
              exit 0
            else
              jq . "$body"
              exit 0
            fi ;;
        esac
      fi ;;
  esac
  if [ "$wait" = yes ]; then pause; fi
  url=$next
  request GET "$url"
done
