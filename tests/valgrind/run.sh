#!/usr/bin/env bash
# valgrind-clean start-up, traffic and shutdown of a real `kvgate serve`
# (docs/reliability.md, "Sanitizers"). Needs a kvgate built without
# sanitizers (valgrind cannot run an ASan binary); the README's test command
# runs it on build-valgrind/kvgate (its `valgrind` step).
#
#   tests/valgrind/run.sh [KVGATE]   (default: build-perf/kvgate, built when missing)
#
# Starts kvgate under memcheck (--leak-check=full) on 127.0.0.1 with six
# scratch data directories on tmpfs, sends a bucket, a 3 MiB PUT, a 20 MiB
# multipart upload, GETs (whole and ranged), HEADs (present and missing) and
# a listing with boto3, checks the bytes, stops it with SIGTERM, and fails
# unless kvgate exits 0 and memcheck reports no error and no definitely,
# indirectly or possibly lost block. The memcheck log is printed on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

kvgate=${1:-$root/build-perf/kvgate}
if [[ ! -x $kvgate ]]; then
  cmake -S "$root" -B "$root/build-perf" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVGATE_SANITIZE=off \
    -DKVGATE_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
  ninja -C "$root/build-perf" kvgate
  kvgate=$root/build-perf/kvgate
fi
command -v valgrind >/dev/null || { echo "SKIPPED: valgrind is not installed"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/dev/shm}/kvgate-valgrind-XXXXXX")
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export KVGATE_ACCESS_KEY=valgrindkey KVGATE_SECRET_KEY="valgrind-secret-$RANDOM$RANDOM"
data=()
for i in 1 2 3 4 5 6; do data+=(--data "$work/disk$i"); done
valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
  --log-file="$work/memcheck.log" \
  "$kvgate" serve --listen 127.0.0.1:0 "${data[@]}" --access-log off >"$work/out" 2>&1 &
pid=$!
url=""
for _ in $(seq 600); do
  url=$(sed -n 's/.*kvgate ready on \(http:[^ ]*\).*/\1/p' "$work/out" | head -n 1)
  [[ -n $url ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
[[ -n $url ]] || { cat "$work/out" "$work/memcheck.log"; echo "FAIL: no ready line"; exit 1; }

AWS_ACCESS_KEY_ID=$KVGATE_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KVGATE_SECRET_KEY \
  AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  /usr/bin/python3 - "$url" <<'EOF'
import io
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

c = boto3.client("s3", endpoint_url=sys.argv[1])
c.create_bucket(Bucket="valgrind")
small = os.urandom(3 * 1024 * 1024 + 7)
c.put_object(Bucket="valgrind", Key="small", Body=small)
big = os.urandom(20 * 1024 * 1024)
eight = 8 * 1024 * 1024
c.upload_fileobj(io.BytesIO(big), "valgrind", "big",
                 Config=TransferConfig(multipart_threshold=eight, multipart_chunksize=eight))
assert c.get_object(Bucket="valgrind", Key="small")["Body"].read() == small
assert c.get_object(Bucket="valgrind", Key="big", Range="bytes=100-")["Body"].read() == big[100:]
assert c.head_object(Bucket="valgrind", Key="small")["ContentLength"] == len(small)
try:
    c.head_object(Bucket="valgrind", Key="missing")
    raise SystemExit("HEAD of a missing key answered 200")
except ClientError as e:
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
assert len(c.list_objects_v2(Bucket="valgrind")["Contents"]) == 2
print("traffic: bucket, 3 MiB PUT, 20 MiB multipart, GETs, HEADs, listing: byte-exact")
EOF

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable' \
  "$work/memcheck.log" | sed 's/^==[0-9]*== *//'
if ((rc != 0)); then
  cat "$work/memcheck.log"
  echo "FAIL: kvgate under valgrind exited $rc (99: memcheck found errors or leaks)"
  exit 1
fi
echo "PASS: valgrind-clean start-up, traffic and shutdown"
