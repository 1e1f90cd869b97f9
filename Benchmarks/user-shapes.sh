#!/usr/bin/env bash
# Backfill and restore-by-replay measured the way users run them (issue
# "stream speed"): the shipped config, the broker in another process, wall
# clock of the whole kpi-ingest process, realistic generated data, and each
# shape compared IN THE SAME RUN with a plain librdkafka consume loop
# (`plain-consume`) over the same broker and records. The two alternate
# (plain, kpi-ingest, plain, kpi-ingest, ...) so both see the same machine state.
#
# Usage: Benchmarks/user-shapes.sh [-n REPS] [--markdown FILE] [--build] [--keep] [SHAPE ...]
#   SHAPE    sparse | dense | wide | restore | all   (default: all, in that order)
#   -n REPS  repetitions per shape (default 3)
#   --markdown FILE   also write the results as a markdown table to FILE
#   --build  build kpi-ingest and plain-consume first (incremental release
#            builds; without it they are built only when missing)
#   --keep   keep the work folder (logs, snapshots) instead of removing it
#
# Environment:
#   KPI_INGEST_BIN      the kpi-ingest binary (default ../.build/release/kpi-ingest,
#                       built with `swift build -c release` when missing or --build)
#   PLAIN_CONSUME_BIN   the baseline (default Benchmarks/.build/release/plain-consume,
#                       built when missing)
#   KPI_CONFIG          the configuration (default config/kpi-ingest.yaml, the shipped one)
#   WIDE_PARTITIONS     input partitions of the wide shape (default 512)
#   RESTORE_TIMEOUT     seconds to wait for /readyz (default 3600)
#
# Shapes (all keyed by shop, `kpi-ingest generate`, deterministic per seed):
#   sparse   14 days, 40 shops, rate 1, 128 partitions (~1.2M generated; the
#            mock broker keeps ~5 MiB per partition, so ~1.0M remain: the shape
#            users reported; the records actually read are reported)
#   dense    1 day, 40 shops, rate 12, 128 partitions (~1.04M)
#   wide     30 days, 500 shops, rate 1, WIDE_PARTITIONS partitions (~2.6M),
#            checked to keep everything (every low watermark 0)
#   restore  `kpi-ingest run` with a fresh consumer group (and a fresh state
#            topic, so no checkpoint short-cuts the replay) over the sparse
#            history: wall time from launch to the first 200 of GET /readyz
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

reps=3
markdown=""
keep=0
build=0
shapes=()
while (($#)); do
    case "$1" in
        -n) reps=${2:?-n needs a number}; shift 2 ;;
        -n*) reps=${1#-n}; shift ;;
        --markdown) markdown=${2:?--markdown needs a file}; shift 2 ;;
        --keep) keep=1; shift ;;
        --build) build=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        all) shapes+=(sparse dense wide restore); shift ;;
        sparse|dense|wide|restore) shapes+=("$1"); shift ;;
        *) echo "user-shapes: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
((${#shapes[@]})) || shapes=(sparse dense wide restore)
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "user-shapes: -n needs a positive number" >&2; exit 2; }
if [[ -n "$markdown" ]]; then
    # An absolute path: the script changes folders.
    case "$markdown" in /*) ;; *) markdown="$PWD/$markdown" ;; esac
fi

# Every KPI_INGEST_* variable is read by kpi-ingest as a configuration
# override, and one that names no key is an error: KPI_INGEST_BIN must not
# reach the processes we start.
kpi_bin=${KPI_INGEST_BIN:-}
unset KPI_INGEST_BIN
plain_bin=${PLAIN_CONSUME_BIN:-$here/.build/release/plain-consume}
config=${KPI_CONFIG:-$repo/config/kpi-ingest.yaml}
wide_partitions=${WIDE_PARTITIONS:-512}
restore_timeout=${RESTORE_TIMEOUT:-3600}
timefmt="%e %U %S %M"

[[ -x /usr/bin/time ]] || { echo "user-shapes: needs GNU time at /usr/bin/time (apt-get install -y time)" >&2; exit 1; }
command -v curl >/dev/null || { echo "user-shapes: needs curl for /readyz" >&2; exit 1; }
[[ -f "$config" ]] || { echo "user-shapes: no config at $config" >&2; exit 1; }

if [[ -z "$kpi_bin" ]]; then
    kpi_bin=$repo/.build/release/kpi-ingest
    if [[ ! -x "$kpi_bin" ]] || ((build)); then
        echo "user-shapes: building kpi-ingest (swift build -c release) ..." >&2
        (cd "$repo" && swift build -c release --product kpi-ingest) >&2
    fi
fi
[[ -x "$kpi_bin" ]] || { echo "user-shapes: KPI_INGEST_BIN $kpi_bin is not an executable" >&2; exit 1; }
if [[ ! -x "$plain_bin" ]] || { ((build)) && [[ -z "${PLAIN_CONSUME_BIN:-}" ]]; }; then
    echo "user-shapes: building plain-consume (swift build -c release --product plain-consume) ..." >&2
    (cd "$here" && swift build -c release --product plain-consume) >&2
fi
[[ -x "$plain_bin" ]] || { echo "user-shapes: PLAIN_CONSUME_BIN $plain_bin is not an executable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/user-shapes.XXXXXX")
broker_pid=""
run_pid=""
cleanup() {
    local rc=$?
    if [[ -n "$run_pid" ]] && kill -0 "$run_pid" 2>/dev/null; then kill -KILL "$run_pid" 2>/dev/null || true; fi
    stop_broker
    if ((keep)); then echo "user-shapes: logs kept in $work" >&2; else rm -rf "$work"; fi
    exit $rc
}
stop_broker() {
    if [[ -n "$broker_pid" ]]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        local i
        for i in $(seq 100); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "user-shapes: $*" >&2; }

# shape → data set (shapes over the same data share one broker), partitions, generate flags.
dataset_of() { case "$1" in restore) echo sparse ;; *) echo "$1" ;; esac; }
partitions_of() { case "$1" in wide) echo "$wide_partitions" ;; *) echo 128 ;; esac; }
generate_flags_of() {
    case "$1" in
        sparse) echo "--rate 1 --duration 14d --start 2026-11-01 --shops 40 --seed 7" ;;
        dense) echo "--rate 12 --duration 1d --start 2026-11-20 --shops 40 --seed 7" ;;
        wide) echo "--rate 1 --duration 30d --start 2026-11-01 --shops 500 --seed 7" ;;
    esac
}

brokers=""
dataset=""
notes=()
start_broker() { # data set
    local ds=$1 parts line i
    parts=$(partitions_of "$ds")
    "$kpi_bin" broker --partitions "$parts" --config "$config" >"$work/broker-$ds.out" 2>"$work/broker-$ds.err" &
    broker_pid=$!
    for i in $(seq 300); do
        line=$(head -n 1 "$work/broker-$ds.out" 2>/dev/null || true)
        [[ -n "$line" ]] && break
        kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker-$ds.err" >&2; log "the broker did not start"; exit 1; }
        sleep 0.1
    done
    [[ -n "$line" ]] || { log "the broker printed no address in 30 s"; exit 1; }
    brokers=$line
    log "broker $brokers (pid $broker_pid), inputs with $parts partitions"

    local flags t0 t1 gen wm
    flags=$(generate_flags_of "$ds")
    log "generate $flags"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$kpi_bin" generate --config "$config" --brokers "$brokers" $flags 2>"$work/generate-$ds.err" >/dev/null ||
        { cat "$work/generate-$ds.err" >&2; log "generate failed"; exit 1; }
    t1=$(date +%s.%N)
    gen=$(grep -o 'wrote [0-9]* records' "$work/generate-$ds.err" | tail -1 | grep -o '[0-9]*' || echo "?")
    wm=$("$plain_bin" --brokers "$brokers" --watermarks)
    local kept trunc dropped
    kept=$(kv records "$wm"); trunc=$(kv truncated_partitions "$wm"); dropped=$(kv dropped "$wm")
    local note
    note=$(printf '%s: %s input partitions (%s empty), generated %s records in %.0f s; the broker keeps %s (%s dropped, %s partitions truncated; the largest holds %s)' \
        "$ds" "$(kv partitions "$wm")" "$(kv empty_partitions "$wm")" "$gen" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')" "$kept" "$dropped" "$trunc" "$(kv max_records "$wm")")
    log "$note"
    notes+=("$note")
    if [[ "$ds" == wide && "$trunc" != 0 ]]; then
        log "WARNING: the mock broker dropped records of the wide shape: raise WIDE_PARTITIONS (now $parts)"
        notes+=("WARNING: wide shape truncated by the mock broker at $parts partitions")
    fi
    dataset=$ds
}

# kv KEY "k=v k=v ...": the value of KEY.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }
# "e U S M" of /usr/bin/time -o FILE (its last line: a failed command adds one before it).
timed() { tail -n 1 "$1"; }

rows=() # "shape rep records plain_s plain_rate kpi_s kpi_rate cpu_s rss_mb ratio"

run_plain() { # shape rep → sets p_records p_wall
    local shape=$1 rep=$2 out
    /usr/bin/time -o "$work/time-plain" -f "$timefmt" \
        "$plain_bin" --brokers "$brokers" --group-id "plain-consume-$$-$shape-$rep" >"$work/plain.out" 2>"$work/plain.err" ||
        { cat "$work/plain.err" >&2; log "plain-consume failed"; exit 1; }
    out=$(cat "$work/plain.out")
    p_records=$(kv records "$out")
    p_wall=$(timed "$work/time-plain" | awk '{print $1}')
    log "  plain-consume: $out (wall $p_wall s)"
}

run_backfill() { # shape rep → sets k_records k_wall k_cpu k_rss
    local shape=$1 rep=$2 summary t
    /usr/bin/time -o "$work/time-kpi" -f "$timefmt" \
        "$kpi_bin" backfill --config "$config" --brokers "$brokers" --from 2026-10-25 \
        --output "$work/snapshots.jsonl" --alerts "$work/alerts.jsonl" 2>"$work/backfill.err" ||
        { tail -n 20 "$work/backfill.err" >&2; log "backfill failed"; exit 1; }
    summary=$(grep '^backfill: ' "$work/backfill.err" | tail -n 1)
    log "  $summary"
    k_records=$(sed -n 's/^backfill: \([0-9]*\) records.*/\1/p' <<<"$summary")
    t=$(timed "$work/time-kpi")
    k_wall=$(awk '{print $1}' <<<"$t")
    k_cpu=$(awk '{printf "%.1f", $2 + $3}' <<<"$t")
    k_rss=$(awk '{printf "%.0f", $4 / 1024}' <<<"$t")
}

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        # Nothing answers a connect there: take it.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
}

run_restore() { # shape rep → sets k_records k_wall k_cpu k_rss
    local shape=$1 rep=$2 port group t0 t1 code="" t status
    port=$(free_port)
    group="kpi-ingest-bench-$$-$rep-$RANDOM"
    rm -f "$work/run.pid"
    t0=$(date +%s.%N)
    # A fresh consumer group, and a fresh state topic so no checkpoint left by
    # an earlier repetition short-cuts the replay (the mock creates it on the
    # first checkpoint). The inner shell writes its pid and execs kpi-ingest,
    # so that pid is kpi-ingest's own (for SIGTERM) and /usr/bin/time measures it.
    KPI_INGEST_KAFKA_GROUP_ID=$group KPI_INGEST_KAFKA_TOPICS_STATE="kpi.state.$group" \
        /usr/bin/time -o "$work/time-kpi" -f "$timefmt" \
        bash -c 'echo $$ >"$0"; exec "$@"' "$work/run.pid" \
        "$kpi_bin" run --config "$config" --brokers "$brokers" --port "$port" >"$work/run.out" 2>"$work/run.err" &
    local time_pid=$!
    local i
    for i in $(seq 500); do [[ -s "$work/run.pid" ]] && break; sleep 0.01; done
    [[ -s "$work/run.pid" ]] || { log "kpi-ingest run did not start"; exit 1; }
    run_pid=$(cat "$work/run.pid")
    local deadline
    deadline=$(awk -v a="$t0" -v b="$restore_timeout" 'BEGIN { printf "%.3f", a + b }')
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz" || true)
        [[ "$code" == 200 ]] && break
        if ! kill -0 "$run_pid" 2>/dev/null; then
            tail -n 20 "$work/run.err" >&2; log "kpi-ingest run ended before /readyz answered 200"; exit 1
        fi
        if awk -v now="$(date +%s.%N)" -v d="$deadline" 'BEGIN { exit !(now > d) }'; then
            log "kpi-ingest run not ready after $restore_timeout s"; exit 1
        fi
        sleep 0.05
    done
    t1=$(date +%s.%N)
    k_wall=$(printf '%.2f' "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')")
    # Records replayed: the consumed counters of the input topics, read at readiness.
    k_records=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
        awk '/^kpi_ingest_records_consumed_total\{/ && /topic="shop\.(orders|chats|traffic)"/ { n += $NF } END { printf "%d", n }')
    kill -TERM "$run_pid"
    for i in $(seq 600); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$run_pid" 2>/dev/null; then
        log "  kpi-ingest run did not stop within 60 s of SIGTERM: killed"
        kill -KILL "$run_pid" 2>/dev/null || true
    fi
    status=0
    wait "$time_pid" || status=$?
    run_pid=""
    ((status == 0)) || log "  kpi-ingest run exited with status $status after SIGTERM (see $work/run.err)"
    t=$(timed "$work/time-kpi")
    k_cpu=$(awk '{printf "%.1f", $2 + $3}' <<<"$t")
    k_rss=$(awk '{printf "%.0f", $4 / 1024}' <<<"$t")
    log "  kpi-ingest run: ready in $k_wall s after launch, $k_records records replayed (port $port, group $group); whole process: $t"
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }'; }
human() { awk -v r="$1" 'BEGIN { if (r >= 1e6) printf "%.2fM", r / 1e6; else if (r >= 1e5) printf "%.0fk", r / 1e3; else if (r >= 1e3) printf "%.1fk", r / 1e3; else printf "%d", r }'; }

for shape in "${shapes[@]}"; do
    ds=$(dataset_of "$shape")
    if [[ "$ds" != "$dataset" ]]; then
        stop_broker
        start_broker "$ds"
    fi
    log "$shape: $reps repetitions"
    for rep in $(seq "$reps"); do
        run_plain "$shape" "$rep"
        if [[ "$shape" == restore ]]; then run_restore "$shape" "$rep"; else run_backfill "$shape" "$rep"; fi
        pr=$(rate "$p_records" "$p_wall")
        kr=$(rate "$k_records" "$k_wall")
        ratio=$(awk -v a="$kr" -v b="$pr" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print 0 }')
        if [[ "$p_records" != "$k_records" ]]; then
            log "  WARNING: plain-consume read $p_records records, kpi-ingest $k_records"
        fi
        rows+=("$shape $rep $k_records $p_wall $pr $k_wall $kr $k_cpu $k_rss $ratio")
        log "  $shape #$rep: plain $p_wall s ($(human "$pr")/s), kpi-ingest $k_wall s ($(human "$kr")/s), CPU $k_cpu s, RSS $k_rss MB, ratio $ratio"
    done
done
stop_broker

# median and range of column COL (1-based over a row) of the rows of SHAPE.
stat() { # shape col → "median min max"
    local shape=$1 col=$2
    printf '%s\n' "${rows[@]}" | awk -v s="$shape" -v c="$col" '$1 == s { print $c }' | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
range() { # shape col format [human]
    local s
    s=$(stat "$1" "$2")
    if [[ "${4:-}" == human ]]; then
        read -r m lo hi <<<"$s"
        echo "$(human "$m") ($(human "$lo")–$(human "$hi"))"
    else
        awk -v f="$3" '{ printf f " (" f "–" f ")", $1, $2, $3 }' <<<"$s"
    fi
}

header=("shape" "rep" "records read" "plain wall s" "plain rec/s" "kpi-ingest wall s" "kpi-ingest rec/s" "kpi-ingest CPU s" "peak RSS MB" "ratio")
table_rows=()
declare -A seen=()
for first in "${rows[@]}"; do
    shape=${first%% *}
    [[ -n "${seen[$shape]:-}" ]] && continue
    seen[$shape]=1
    # The shape's repetitions, then their median and range.
    for r in "${rows[@]}"; do
        [[ "${r%% *}" == "$shape" ]] || continue
        read -r _ rep n ps pr ks kr cpu rss ratio <<<"$r"
        table_rows+=("$shape|$rep|$n|$ps|$(human "$pr")|$ks|$(human "$kr")|$cpu|$rss|$ratio")
    done
    table_rows+=("$shape|median (range)|$(range "$shape" 3 %d)|$(range "$shape" 4 %.2f)|$(range "$shape" 5 x human)|$(range "$shape" 6 %.2f)|$(range "$shape" 7 x human)|$(range "$shape" 8 %.1f)|$(range "$shape" 9 %d)|$(range "$shape" 10 %.3f)")
done

echo
{ IFS='|'; echo "${header[*]}"; printf '%s\n' "${table_rows[@]}"; } | column -t -s '|'
echo
echo "kpi-ingest wall s: the whole process (backfill), or launch to the first 200 of /readyz (restore);"
echo "CPU s and peak RSS: the whole kpi-ingest process. ratio: kpi-ingest rec/s ÷ plain rec/s of the same repetition."
printf '%s\n' "${notes[@]}"

if [[ -n "$markdown" ]]; then
    {
        echo "## kpi-ingest user shapes ($(date -u '+%Y-%m-%d %H:%M UTC'))"
        echo
        echo "kpi-ingest \`$kpi_bin\` (repository at $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- . ':!Benchmarks' 2>/dev/null || echo ', with local changes')), config \`${config#"$repo"/}\`, broker \`kpi-ingest broker\` in its own process, $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg), $reps repetition(s) per shape, plain and kpi-ingest alternating."
        echo
        line="|"
        for h in "${header[@]}"; do line+=" $h |"; done
        echo "$line"
        echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for r in "${table_rows[@]}"; do echo "| ${r//|/ | } |"; done
        echo
        echo "kpi-ingest wall s: the whole process (backfill), or launch to the first 200 of \`/readyz\` (restore). CPU s and peak RSS: the whole kpi-ingest process (for restore, until it stopped after SIGTERM). ratio: kpi-ingest rec/s ÷ plain rec/s in the same repetition."
        echo
        for n in "${notes[@]}"; do echo "- $n"; done
    } >"$markdown"
    log "markdown written to $markdown"
fi
