#!/usr/bin/env bash
# Performance benchmark of session-export: one command, baselines measured in the same run.
#
#   bash bench/run.sh            # full run (~10 min with stores present, ~35 min without)
#   bash bench/run.sh --quick    # fewer runs (~3 min)
#   bash bench/run.sh --regen    # rebuild the generated stores first
#   bash bench/run.sh --pricing  # only the list-prices row (~5 min once both builds exist)
#   BASELINE=PATH bash bench/run.sh --pricing   # that binary as the build before list prices
#
# Installs hyperfine, sqlite3 and GNU time from Debian if missing, opencode-linux-x64@1.18.33
# from npm into bench/.cache, builds `cargo build --release`, generates the stores under
# target/bench/ (bench/gen-store.py) if missing, checks that opencode and session-export
# both read them, measures, and prints a table. Every command runs with HOME and XDG dirs
# under target/bench/env. Exit status: 0 when everything ran (also when a target is
# missed: this is a report), non-zero when a command failed. See bench/README.md.
set -euo pipefail

QUICK=0
REGEN=0
PRICING=0
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    --regen) REGEN=1 ;;
    --pricing) PRICING=1 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
case $ROOT in *[[:space:]]*) echo "bench/run.sh: the repository path must not contain spaces" >&2; exit 2 ;; esac
OUT=$ROOT/target/bench
OC_VERSION=1.18.33
OC=$ROOT/bench/.cache/node_modules/opencode-linux-x64/bin/opencode
BIN=$ROOT/target/release/session-export
SQ=$OUT/store-sqlite # XDG_DATA_HOME for opencode; the data dir is $SQ/opencode
JS=$OUT/store-json
SQ8=$OUT/store-sqlite-8x # the scale rows: 8x the default SQLite store (without the event log)
J100K=$OUT/store-json-100k # and a JSON store of 100,000 top-level sessions
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }

# ---- tools --------------------------------------------------------------------------
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} from Debian"
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v python3 >/dev/null || { echo "bench/run.sh: python3 is needed" >&2; exit 1; }

if [ "$PRICING" = 0 ] && { [ ! -x "$OC" ] || [ "$("$OC" --version 2>/dev/null)" != "$OC_VERSION" ]; }; then
  say "installing opencode-linux-x64@$OC_VERSION into bench/.cache"
  npm install --prefix "$ROOT/bench/.cache" --no-audit --no-fund --loglevel=error "opencode-linux-x64@$OC_VERSION"
fi

say "cargo build --release"
cargo build --release --quiet
# The same release build of the last commit without list prices, for the row that shows what
# pricing costs; built once into bench/.cache (skipped when the commit is not in this clone), or
# BASELINE=PATH. The commit: the price table and its matching came in 3e33985, but nothing read
# them until 7311ff4 put listCost into every document; 370f272 has the sources of 7311ff4's
# parent (which only adds a fixture store), so the two builds differ by pricing alone.
PRICING_BEFORE=370f272a2e66789d506693a33f770e63fc44f600
BEFORE_DIR=$ROOT/bench/.cache/before-pricing-${PRICING_BEFORE:0:12}
BEFORE_BIN=${BASELINE:-$BEFORE_DIR/target/release/session-export}
if [ -n "${BASELINE:-}" ] && [ ! -x "$BASELINE" ]; then
  echo "bench/run.sh: BASELINE=$BASELINE is not an executable" >&2
  exit 2
fi
if [ ! -x "$BEFORE_BIN" ] && git -C "$ROOT" cat-file -e "$PRICING_BEFORE^{commit}" 2>/dev/null; then
  say "cargo build --release of ${PRICING_BEFORE:0:12} (before list prices) into bench/.cache"
  rm -rf "$BEFORE_DIR"
  mkdir -p "$BEFORE_DIR/src" "$BEFORE_DIR/target"
  git -C "$ROOT" archive "$PRICING_BEFORE" | tar -x -C "$BEFORE_DIR/src"
  # Seeded with our build's dependencies (the same Cargo.lock): only the crate itself compiles.
  cp -r "$ROOT/target/release" "$BEFORE_DIR/target/"
  rm -f "$BEFORE_DIR/target/release/session-export"
  cargo build --release --quiet --manifest-path "$BEFORE_DIR/src/Cargo.toml" --target-dir "$BEFORE_DIR/target"
fi
if [ "$PRICING" = 1 ] && [ ! -x "$BEFORE_BIN" ]; then
  echo "bench/run.sh: no build before list prices ($PRICING_BEFORE is not in this clone): set BASELINE" >&2
  exit 2
fi

# ---- stores -------------------------------------------------------------------------
if [ "$REGEN" = 1 ] || [ ! -f "$SQ/manifest.json" ]; then
  say "generating the SQLite store (bench/gen-store.py sqlite)"
  python3 bench/gen-store.py sqlite "$SQ"
fi
if [ "$PRICING" = 0 ]; then
if [ "$REGEN" = 1 ] || [ ! -f "$JS/manifest.json" ]; then
  say "generating the JSON store (bench/gen-store.py json)"
  python3 bench/gen-store.py json "$JS"
fi
if [ "$REGEN" = 1 ] || [ ! -f "$SQ8/manifest.json" ]; then
  say "generating the SQLite store 8x the default size (~13 min)"
  python3 bench/gen-store.py sqlite "$SQ8" --sessions 16000 --messages 1600000 --no-events
fi
if [ "$REGEN" = 1 ] || [ ! -f "$J100K/manifest.json" ]; then
  say "generating the JSON store of 100,000 sessions (~6 min)"
  python3 bench/gen-store.py json "$J100K" --json-sessions 100000 --json-messages 100000 --big-messages 40
fi
fi
mf() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
DATA=$SQ/opencode
DB=$DATA/opencode.db
JDATA=$JS/opencode
BIG=$(mf "$SQ/manifest.json" bigSession)
BIG_N=$(mf "$SQ/manifest.json" bigSessionMessages)
COMPLETE=$(mf "$SQ/manifest.json" completeTopLevel)

# ---- isolated environment -----------------------------------------------------------
ENVD=$OUT/env
rm -rf "$ENVD"
mkdir -p "$ENVD"/{home,config,cache,state-dry,data-dry,state-noop,data-noop,state-j100k,data-j100k} \
  "$ENVD"/oc/{home,config,cache,state}
export HOME=$ENVD/home XDG_CONFIG_HOME=$ENVD/config XDG_CACHE_HOME=$ENVD/cache
export XDG_STATE_HOME=$ENVD/state-dry XDG_DATA_HOME=$ENVD/data-dry TZ=UTC LC_ALL=C.UTF-8
unset SESSION_EXPORT_CONVEX_URL SESSION_EXPORT_TOKEN OPENCODE_DB OPENCODE_CONFIG XDG_RUNTIME_DIR || true
# opencode: its own HOME/XDG dirs, the store as its data dir, and the switches fixtures/scenarios.mjs uses
OCENV="env HOME=$ENVD/oc/home XDG_CONFIG_HOME=$ENVD/oc/config XDG_CACHE_HOME=$ENVD/oc/cache \
XDG_STATE_HOME=$ENVD/oc/state XDG_DATA_HOME=$SQ TERM=dumb NO_COLOR=1 CI=1 \
OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_DEFAULT_PLUGINS=1 \
OPENCODE_DISABLE_LSP_DOWNLOAD=1 OPENCODE_DISABLE_SHARE=1 OPENCODE_DISABLE_CLAUDE_CODE=1 \
OPENCODE_DISABLE_TERMINAL_TITLE=1 OPENCODE_DISABLE_AUTOCOMPACT=1"
# opencode takes its cwd as a project (and writes into a git repo's .git): run everything
# from an empty directory outside any repository
CWD=${TMPDIR:-/tmp}/session-export-bench-cwd
mkdir -p "$CWD"
if git -C "$CWD" rev-parse --git-dir >/dev/null 2>&1; then
  echo "bench/run.sh: $CWD is inside a git repository; set TMPDIR elsewhere" >&2
  exit 1
fi
cd "$CWD"

# session-export with its ledger/sink in a given state dir: se <state> <data> args...
se() {
  local st=$1 dt=$2
  shift 2
  XDG_STATE_HOME=$st XDG_DATA_HOME=$dt "$BIN" "$@"
}

# The list-prices row: ours and the build before list prices in ROUNDS hyperfine calls of RUNS
# runs each, so that both see the same moments of a shared machine (hyperfine runs one command's
# runs, then the other's), every other round the build before first; the rounds' times merged
# into $OUT/hf-pricing.json (ours first), as one call writes.
pricing_rounds() { # pricing_rounds ROUNDS RUNS
  local k ours="$BIN --data-dir $DATA dry-run --all-complete"
  local before="$BEFORE_BIN --data-dir $DATA dry-run --all-complete"
  say "pricing ($1 rounds of $2 runs each, the two commands in turn)"
  for k in $(seq "$1"); do
    if [ $((k % 2)) = 1 ]; then set -- "$1" "$2" "$ours" "$before"; else set -- "$1" "$2" "$before" "$ours"; fi
    hyperfine -N --style basic --warmup 1 --runs "$2" --export-json "$OUT/hf-pricing-$k.json" "$3" "$4" >&2
  done
  python3 - "$OUT" "$1" "$ours" <<'EOF'
import json, statistics, sys
out, rounds, ours_cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3]
results = None
for k in range(1, rounds + 1):
    r = sorted(json.load(open(f"{out}/hf-pricing-{k}.json"))["results"], key=lambda c: c["command"] != ours_cmd)
    if results is None:
        results = [{"command": c["command"], "times": []} for c in r]
    for acc, c in zip(results, r):
        acc["times"] += c["times"]
        acc.setdefault("cpu", []).append(c["user"] + c["system"])
for acc in results:
    t = acc["times"]
    acc.update(median=statistics.median(t), mean=statistics.mean(t), stddev=statistics.stdev(t),
               min=min(t), max=max(t))
json.dump({"results": results}, open(f"{out}/hf-pricing.json", "w"))
ours, before = results
r = ours["median"] / before["median"]
print(f"list prices: dry-run --all-complete {ours['median'] * 1000:.1f} ms (median of {len(ours['times'])}) "
      f"vs {before['median'] * 1000:.1f} ms before them: {r:.3f}x (target <= 1.05x: {'PASS' if r <= 1.05 else 'FAIL'})",
      file=sys.stderr)
# Wall time on a busy machine swings with the other load; the CPU time each run took (user +
# system, hyperfine's means per round) much less so.
c_ours, c_before = statistics.median(ours["cpu"]), statistics.median(before["cpu"])
print(f"  CPU time (user+system, median of the rounds' means): {c_ours * 1000:.1f} ms vs "
      f"{c_before * 1000:.1f} ms: {c_ours / c_before:.3f}x", file=sys.stderr)
EOF
}

# ---- --pricing: the list-prices row alone --------------------------------------------
if [ "$PRICING" = 1 ]; then
  # Both builds print the same documents but for listCost and unpricedMessages (and the time
  # of the run, exportedAt).
  "$BIN" --data-dir "$DATA" dry-run --all-complete >"$OUT/pricing-ours.jsonl"
  "$BEFORE_BIN" --data-dir "$DATA" dry-run --all-complete >"$OUT/pricing-before.jsonl"
  python3 - "$OUT" "$COMPLETE" <<'EOF'
import json, sys
out, complete = sys.argv[1], int(sys.argv[2])
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("listCost", "unpricedMessages", "exportedAt")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
ours = [json.loads(l) for l in open(f"{out}/pricing-ours.jsonl")]
before = [json.loads(l) for l in open(f"{out}/pricing-before.jsonl")]
if len(ours) != complete or [strip(d) for d in ours] != [strip(d) for d in before]:
    sys.exit(f"the two builds differ beyond list prices ({len(ours)} and {len(before)} documents)")
print(f"ok: both builds print the same {complete} documents but for listCost", file=sys.stderr)
EOF
  if [ "$QUICK" = 1 ]; then pricing_rounds 2 5; else pricing_rounds 6 6; fi
  exit 0
fi

# ---- sanity: both tools read the stores ---------------------------------------------
# (this also runs opencode on the store before anything is measured, so every measurement
# sees the store as opencode leaves it: WAL mode with -wal and -shm present)
say "checking that opencode $OC_VERSION and session-export read the generated stores"
$OCENV "$OC" export "$BIG" >"$OUT/opencode-export-big.json" 2>"$OUT/opencode-export-big.err"
$OCENV "$OC" stats >"$OUT/opencode-stats.txt" 2>"$OUT/opencode-stats.err"
se "$ENVD/state-dry" "$ENVD/data-dry" --data-dir "$DATA" dry-run "$BIG" >"$OUT/session-export-big.json"
se "$ENVD/state-dry" "$ENVD/data-dry" --data-dir "$DATA" dry-run --all-complete >"$OUT/session-export-all.jsonl"
se "$ENVD/state-dry" "$ENVD/data-dry" --data-dir "$JDATA" dry-run --all-complete >"$OUT/session-export-json-all.jsonl"
se "$ENVD/state-dry" "$ENVD/data-dry" --data-dir "$SQ8/opencode" dry-run --all-complete >"$OUT/session-export-8x-all.jsonl"
se "$ENVD/state-dry" "$ENVD/data-dry" --data-dir "$J100K/opencode" dry-run --all-complete >"$OUT/session-export-100k-all.jsonl"
python3 - "$OUT" "$SQ/manifest.json" "$JS/manifest.json" "$SQ8/manifest.json" "$J100K/manifest.json" <<'EOF'
import json, re, sys
out, sqm, jsm = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
s8m, j100m = json.load(open(sys.argv[4])), json.load(open(sys.argv[5]))
problems = []
oc = json.load(open(f"{out}/opencode-export-big.json"))
if oc["info"]["id"] != sqm["bigSession"] or len(oc["messages"]) != sqm["bigSessionMessages"]:
    problems.append(f"opencode export: {len(oc['messages'])} messages, manifest says {sqm['bigSessionMessages']}")
stats = open(f"{out}/opencode-stats.txt").read()
for label, want in (("Sessions", sqm["sessions"]), ("Messages", sqm["messages"])):
    m = re.search(label + r"\s+([\d,]+)", stats)
    if not m or int(m.group(1).replace(",", "")) != want:
        problems.append(f"opencode stats: {label} {m and m.group(1)}, manifest says {want}")
ours = json.load(open(f"{out}/session-export-big.json"))
if ours["messageCount"] != sqm["bigSessionMessages"]:
    problems.append(f"session-export dry-run {sqm['bigSession']}: messageCount {ours['messageCount']}")
for name, m in (("session-export-all.jsonl", sqm), ("session-export-json-all.jsonl", jsm),
                ("session-export-8x-all.jsonl", s8m), ("session-export-100k-all.jsonl", j100m)):
    docs = [json.loads(l) for l in open(f"{out}/{name}")]
    if len(docs) != m["completeTopLevel"] or any("parentSessionId" in d for d in docs):
        problems.append(f"{name}: {len(docs)} documents, manifest says {m['completeTopLevel']} complete top-level sessions")
if problems:
    sys.exit("sanity check failed:\n  " + "\n  ".join(problems))
print(f"ok: opencode export {sqm['bigSession']} = {len(oc['messages'])} messages; opencode stats = "
      f"{sqm['sessions']} sessions / {sqm['messages']} messages; dry-run --all-complete = "
      f"{sqm['completeTopLevel']} (SQLite), {jsm['completeTopLevel']} (JSON) documents", file=sys.stderr)
EOF

# ---- measurements -------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
  R_FAST="--warmup 2 --runs 10"; R_OC="--warmup 1 --runs 2"; R_STATS="--warmup 0 --runs 2"
  R_MID="--warmup 1 --runs 5"; R_SLOW="--warmup 1 --runs 3"; R_SCALE="--runs 2"; RSS_RUNS=1
else
  R_FAST="--warmup 5 --runs 40"; R_OC="--warmup 1 --runs 6"; R_STATS="--warmup 1 --runs 4"
  R_MID="--warmup 2 --runs 15"; R_SLOW="--warmup 1 --runs 6"; R_SCALE="--runs 3"; RSS_RUNS=3
fi
HF="hyperfine -N --style basic"
hf() { # hf NAME [hyperfine options] COMMAND
  local name=$1
  shift
  say "$name"
  # shellcheck disable=SC2086
  $HF --export-json "$OUT/hf-$name.json" "$@" >&2
}
SED="$BIN --data-dir $DATA"

# Our commands run without a wrapper (hyperfine -N, environment set by the caller), so
# nothing but session-export itself is timed; opencode runs under `env` (negligible for it).
# 1. one big session: ours vs `opencode export`
hf single-ours $R_FAST "$SED dry-run $BIG"
hf single-opencode $R_OC "$OCENV $OC export $BIG"

# 2. backfill: ours vs `opencode stats` vs the SQLite floor
hf backfill-ours $R_MID "$SED dry-run --all-complete"
# list prices: the same dry-run by the build without them (valued at nothing, same documents
# otherwise), in rounds that alternate the two (pricing_rounds above)
if [ -x "$BEFORE_BIN" ]; then
  if [ "$QUICK" = 1 ]; then pricing_rounds 2 5; else pricing_rounds 4 5; fi
fi
hf backfill-floor $R_MID "sqlite3 -readonly $DB 'select sum(length(data)) from message'"
hf backfill-opencode-stats $R_STATS "$OCENV $OC stats"
# the report reads every session (not only complete ones): vs dry-run --all-complete above
hf report-ours $R_MID "$SED report"
hf report-html $R_MID "$SED report --html $OUT/report.html"
# report --by tool reads every part (not the messages): vs the floor of reading the part bytes
hf tools-ours $R_MID "$SED report --by tool"
hf tools-floor $R_MID "sqlite3 -readonly $DB 'select sum(length(data)) from part'"

# 3. export into the local SQLite sink: full (fresh ledger and sink every run) vs no-op
rm -rf "$ENVD/state-noop" "$ENVD/data-noop"
mkdir -p "$ENVD/state-noop" "$ENVD/data-noop"
se "$ENVD/state-noop" "$ENVD/data-noop" --data-dir "$DATA" export --all-complete >"$OUT/export-first.out" 2>&1
XDG_STATE_HOME=$ENVD/state-full XDG_DATA_HOME=$ENVD/data-full \
  hf export-full $R_SLOW --prepare "rm -rf $ENVD/state-full $ENVD/data-full" "$SED export --all-complete"
XDG_STATE_HOME=$ENVD/state-noop XDG_DATA_HOME=$ENVD/data-noop \
  hf export-noop $R_FAST "$SED export --all-complete"
XDG_STATE_HOME=$ENVD/state-noop XDG_DATA_HOME=$ENVD/data-noop \
  hf export-force $R_SLOW "$SED export --all-complete --force"

# 4. the JSON store (opencode 1.1.65 layout): backfill
hf json-backfill $R_SLOW "$BIN --data-dir $JDATA dry-run --all-complete"

# 5. scale: the first export (fresh ledger and sink every run) against the dry-run of the same
# store, 8x the default SQLite store and 100,000 JSON sessions; then the no-op run on the latter
# (the ledger as the last first export left it). The dry-runs run first and warm the page cache.
hf scale-8x-dry $R_MID "$BIN --data-dir $SQ8/opencode dry-run --all-complete"
hf scale-8x-floor $R_MID "sqlite3 -readonly $SQ8/opencode/opencode.db 'select sum(length(data)) from message'"
XDG_STATE_HOME=$ENVD/state-8x XDG_DATA_HOME=$ENVD/data-8x \
  hf scale-8x-full $R_SCALE --prepare "rm -rf $ENVD/state-8x $ENVD/data-8x" "$BIN --data-dir $SQ8/opencode export --all-complete"
hf scale-100k-dry --warmup 1 $R_SCALE "$BIN --data-dir $J100K/opencode dry-run --all-complete"
XDG_STATE_HOME=$ENVD/state-j100k XDG_DATA_HOME=$ENVD/data-j100k \
  hf scale-100k-full $R_SCALE --prepare "rm -rf $ENVD/state-j100k $ENVD/data-j100k" "$BIN --data-dir $J100K/opencode export --all-complete"
XDG_STATE_HOME=$ENVD/state-j100k XDG_DATA_HOME=$ENVD/data-j100k \
  hf scale-100k-noop --warmup 1 $R_SCALE "$BIN --data-dir $J100K/opencode export --all-complete"

# 6. peak RSS (max over runs), from GNU time's "Maximum resident set size"
say "peak RSS"
rss() { # rss NAME PREPARE COMMAND...
  local name=$1 prep=$2 max=0 kb
  shift 2
  for _ in $(seq "$RSS_RUNS"); do
    [ -n "$prep" ] && eval "$prep"
    /usr/bin/time -f '%M' -o "$OUT/rss-$name.txt" "$@" >/dev/null 2>"$OUT/rss-$name.err" || {
      echo "bench/run.sh: $name failed:" >&2
      cat "$OUT/rss-$name.err" >&2
      exit 1
    }
    kb=$(tail -1 "$OUT/rss-$name.txt")
    [ "$kb" -gt "$max" ] && max=$kb
  done
  echo "$max" >"$OUT/rss-$name.txt"
  echo "  $name: $max KiB" >&2
}
rss export-full "rm -rf $ENVD/state-full $ENVD/data-full" \
  env XDG_STATE_HOME="$ENVD/state-full" XDG_DATA_HOME="$ENVD/data-full" "$BIN" --data-dir "$DATA" export --all-complete
rss backfill-ours "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$DATA" dry-run --all-complete
rss tools-ours "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$DATA" report --by tool
rss tools-8x "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$SQ8/opencode" report --by tool
rss backfill-8x "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$SQ8/opencode" dry-run --all-complete
rss single-ours "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$DATA" dry-run "$BIG"
rss json-backfill "" env XDG_STATE_HOME="$ENVD/state-dry" "$BIN" --data-dir "$JDATA" dry-run --all-complete
# shellcheck disable=SC2086
rss opencode-stats "" $OCENV "$OC" stats
# shellcheck disable=SC2086
rss opencode-export "" $OCENV "$OC" export "$BIG"

# ---- report -------------------------------------------------------------------------
J_COMPLETE=$(mf "$JS/manifest.json" completeTopLevel)
export BENCH_QUICK=$QUICK BENCH_BIG=$BIG BENCH_BIG_N=$BIG_N BENCH_COMPLETE=$COMPLETE BENCH_J_COMPLETE=$J_COMPLETE
python3 "$ROOT/bench/report.py" "$OUT" "$SQ/manifest.json" "$JS/manifest.json" "$SQ8/manifest.json" "$J100K/manifest.json" \
  "$("$OC" --version)" "$(hyperfine --version)" "$(sqlite3 --version | cut -d' ' -f1)" \
  "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
