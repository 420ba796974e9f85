#!/usr/bin/env bash
# The body of the cnnbench GitHub Action (action.yml at the repository root), kept in one script so it runs and is
# tested outside GitHub (tests/test_action.py). Inputs arrive as environment variables:
#
#   CNNBENCH_SUITE         suite TOML, relative to the working directory (required)
#   CNNBENCH_AGAINST       a git ref to compare with, e.g. origin/main      } exactly one of the two
#   CNNBENCH_BASELINE      a baseline JSON from `cnnbench baseline create`  }
#   CNNBENCH_OUT           the outputs directory (default cnnbench-out): check.json, history.db, site/
#   CNNBENCH_INCONCLUSIVE  warn (default: exit 3 "too noisy to decide" becomes a warning and exit 0) | fail
#   CNNBENCH_FETCH_DEPTH   depth of the fetch made when the --against ref is not in the clone (default 1)
#   GITHUB_STEP_SUMMARY    set by GitHub: the Markdown summary goes there, else to $CNNBENCH_OUT/summary.md
#
# Exit status: that of `cnnbench check` (0 pass · 1 regression · 2 usage/input error · 3 inconclusive · 130
# interrupted), except 3 with CNNBENCH_INCONCLUSIVE=warn; 2 before anything runs when the inputs are wrong.
set -uo pipefail

die() { echo "cnnbench action: $*" >&2; exit 2; }

suite=${CNNBENCH_SUITE:-}
against=${CNNBENCH_AGAINST:-}
baseline=${CNNBENCH_BASELINE:-}
out=${CNNBENCH_OUT:-cnnbench-out}
inconclusive=${CNNBENCH_INCONCLUSIVE:-warn}
depth=${CNNBENCH_FETCH_DEPTH:-1}

# -- inputs: checked before anything is installed, fetched or measured ----------------------------------------------
[ -n "$suite" ] || die "the 'suite' input is required (a suite TOML, e.g. benchmarks/ci.toml)"
[ -f "$suite" ] || die "suite file '$suite' not found (relative to $(pwd))"
if [ -n "$against" ] && [ -n "$baseline" ]; then die "give 'against' or 'baseline', not both"; fi
if [ -z "$against" ] && [ -z "$baseline" ]; then die "give one of 'against' (a git ref) or 'baseline' (a JSON file)"; fi
[ -z "$baseline" ] || [ -f "$baseline" ] || die "baseline file '$baseline' not found (relative to $(pwd))"
case "$inconclusive" in warn|fail) ;; *) die "'inconclusive' must be warn or fail, not '$inconclusive'" ;; esac
case "$depth" in ''|*[!0-9]*) die "CNNBENCH_FETCH_DEPTH must be a positive integer, not '$depth'" ;; esac
command -v cnnbench >/dev/null || die "cnnbench is not on PATH (the action's install step did not run?)"

mkdir -p "$out" || die "cannot create the outputs directory '$out'"
summary=${GITHUB_STEP_SUMMARY:-$out/summary.md}

# -- --against: make sure the ref is in the clone (a shallow actions/checkout has only the PR's commit) ------------
if [ -n "$against" ]; then
  if git rev-parse --verify --quiet "$against^{commit}" >/dev/null; then
    echo "cnnbench action: ref $against is in the clone ($(git rev-parse --short "$against^{commit}"))"
  else
    case "$against" in
      origin/*) spec="+refs/heads/${against#origin/}:refs/remotes/$against" ;;
      *) spec="$against" ;;
    esac
    echo "+ git fetch --no-tags --depth=$depth origin $spec"
    # tolerated: when it fails, `cnnbench check` says "unknown git ref" in one line (exit 2)
    git fetch --no-tags --depth="$depth" origin "$spec" || echo "cnnbench action: fetching $spec failed" >&2
  fi
  mode=(--against "$against")
else
  mode=(--baseline "$baseline")
fi

# -- the check ---------------------------------------------------------------------------------------------------
cmd=(cnnbench check --suite "$suite" "${mode[@]}" --save --db "$out/history.db" -o "$out/check.json"
     --summary "$summary")
echo "+ ${cmd[*]}"
"${cmd[@]}"
code=$?
echo "cnnbench action: cnnbench check exited $code"

# -- the history site (the history database holds this run; with actions/cache it holds earlier runs too) ------------
# (the help read whole first: `grep -q` stopping early would make the pipe fail under pipefail)
history_help=$(cnnbench history --help 2>/dev/null)
if grep -q -- '--html' <<<"$history_help"; then
  hist=(cnnbench history --db "$out/history.db" --html "$out/site")
  echo "+ ${hist[*]}"
  "${hist[@]}" || echo "cnnbench action: the history site could not be written (the check's result stands)" >&2
else
  echo "cnnbench action: this cnnbench has no 'history --html': no history site written"
fi

echo "cnnbench action: outputs in $out/: $(cd "$out" && ls | tr '\n' ' ')"
if [ "$code" = 3 ] && [ "$inconclusive" = warn ]; then
  echo "::warning::cnnbench check inconclusive: latency too noisy to decide (exit 3 reported as a warning)"
  exit 0
fi
exit "$code"
