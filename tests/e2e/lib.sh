# lib.sh — what the end-to-end test scripts share: a scratch directory, TAP-style checks and a count.
#
# usage (at the top of a test script): DSIM=$1 SRC=$2; source "$(dirname "$0")/lib.sh" NAME
# sets WORK (removed on exit, after the function `cleanup` if the script defines one) and cd's into it.
WORK=$(mktemp -d "/tmp/dsim_${1:-e2e}_XXXXXX")
trap 'declare -F cleanup >/dev/null && cleanup; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
DATA=$SRC/tests/data
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
q() { sqlite3 -batch -noheader "$1" "$2"; }
refused() { # refused NAME EXPECTED_MESSAGE UNWRITTEN ARGS...: dsim ARGS exits 2 with the message on stderr
            # and does not create the file UNWRITTEN ("": no such check)
    local name=$1 expected=$2 unwritten=$3
    shift 3
    [[ -n $unwritten ]] && rm -f "$unwritten"
    "$DSIM" "$@" >out.txt 2>err.txt
    local rc=$?
    if [[ $rc -eq 2 ]] && grep -qF -- "$expected" err.txt && [[ -z $unwritten || ! -e $unwritten ]]; then
        ok "bad input: $name"
    else
        not_ok "bad input: $name (exit $rc, stderr: $(cat err.txt))"
    fi
}
bad() { # bad NAME EXPECTED_MESSAGE ARGS...: refused, with --db bad.db not created
    local name=$1 expected=$2
    shift 2
    refused "$name" "$expected" bad.db "$@" --db bad.db
}
wait_screen() { # wait_screen REGEX TMUX_ARGS...: up to 30 s for the pane to match; the last capture in $screen
    local re=$1
    shift
    for _ in $(seq 300); do
        screen=$(tmux "$@" capture-pane -p 2>/dev/null)
        grep -qE -- "$re" <<<"$screen" && return 0
        sleep 0.1
    done
    return 1
}
finish() { # the last line of every script: the count and the exit status
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
