# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# The man page and the bash completion generated from the binary's help (cmake/hpar_docs.sh;
# sourced by tests/cli/run_case.sh; each case_NAME is one ctest, build.docs.NAME).
# HPAR_MAN_PAGE and HPAR_COMPLETION are the generated files of this build.

# shellcheck source=tests/lib/skip.sh
source "$SOURCE_DIR/tests/lib/skip.sh"

# completions_of WORD...: what the completion offers, one per line in order, for the command line
# WORD... with the cursor at the end of the last WORD ("" for a new word).
completions_of() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hpar
           printf "%s\n" "${COMPREPLY[@]}"' completions_of "$HPAR_COMPLETION" "$@" | sort
}

# expect_completion WANTED WORD...: the completions of WORD... are exactly WANTED (words).
expect_completion() {
  local wanted got
  wanted=$(tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort)
  shift
  got=$(completions_of "$@")
  [ "$got" = "$wanted" ] ||
    fail "'$*<TAB>' offers '$(tr '\n' ' ' <<<"$got")', not '$(tr '\n' ' ' <<<"$wanted")'"
}

# job_options JOB: the long options `hpar run JOB --help` lists (boost's lists: two spaces,
# then the option), and --help.
job_options() {
  "$HPAR" run "$1" --help | sed -nE 's/^  (-[A-Za-z] \[ )?(--[a-z0-9-]+).*/\2/p'
  echo --help
}

# rendered: the man page as man shows it (plain text).
rendered() { MANWIDTH=120 man -l "$HPAR_MAN_PAGE" 2>man-err.txt | col -bx; }

case_completes_commands_and_jobs() {
  [ -s "$HPAR_COMPLETION" ] || fail "no completion script at $HPAR_COMPLETION"
  expect_completion "run" hpar r
  local commands jobs
  commands=$("$HPAR" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
  jobs=$("$HPAR" list | awk '{ print $1 }' | tr '\n' ' ')
  expect_completion "$(tr '\n' ' ' <<<"$commands")--help --version" hpar ""
  expect_completion "$jobs" hpar run ""
  expect_completion "pi primes" hpar run p
  expect_completion "$jobs" hpar scale ""
}

case_completes_each_jobs_options() {
  expect_completion "--samples --schedule --seed --status-file" hpar run pi --s
  local job option
  for job in $("$HPAR" list | awk '{ print $1 }'); do
    expect_completion "$(job_options "$job" | sort -u | tr '\n' ' ')" hpar run "$job" --
  done
  # scale and slurm: their own options and the job's
  completions_of hpar scale pi --s >scale.txt
  for option in --samples --seed --schedule; do
    grep -qx -- "$option" scale.txt || fail "'hpar scale pi --s<TAB>' lacks $option: $(cat scale.txt)"
  done
  expect_completion "--nodes --no-report" hpar slurm numbers --no
}

case_completes_option_values_and_files() {
  expect_completion "block cyclic dynamic" hpar run pi --distribution ""
  expect_completion "on off" hpar run numbers --progress o
  expect_completion "strong weak" hpar scale triad --mode ""
  touch study-a.json study-b.json
  expect_completion "study-a.json study-b.json" hpar run pi --report-json study-
  expect_completion "study-a.json study-b.json" hpar plot study-
  expect_completion "" hpar run pi --samples 1
}

case_man_page_renders_every_command_and_job() {
  command -v man >/dev/null || skip HPAR_REQUIRE_MAN "man(1) is needed (Debian package man-db)"
  [ -s "$HPAR_MAN_PAGE" ] || fail "no man page at $HPAR_MAN_PAGE"
  rendered >man.txt || fail "man -l failed: $(cat man-err.txt)"
  [ ! -s man-err.txt ] || fail "man reports: $(cat man-err.txt)"
  local section
  for section in NAME SYNOPSIS DESCRIPTION COMMANDS JOBS OPTIONS 'EXIT STATUS'; do
    grep -qx "$section" man.txt || fail "no $section section: $(head -20 man.txt)"
  done
  local synopsis job option
  while IFS= read -r synopsis; do
    grep -qF "hpar $synopsis" man.txt || fail "the man page lacks 'hpar $synopsis'"
  done < <("$HPAR" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
                                on { sub(/^  /, ""); sub(/  +.*/, ""); print }')
  for job in $("$HPAR" list | awk '{ print $1 }'); do
    grep -qx "   $job" man.txt || fail "the man page has no section for job $job"
    for option in $(job_options "$job"); do
      grep -qF -- "$option" man.txt || fail "the man page lacks $job's option $option"
    done
  done
  grep -qF -- "$("$HPAR" help pi | grep -- '--samples')" man.txt ||
    fail "pi's --samples line differs from 'hpar help pi'"
}

case_man_page_has_no_roff_warnings() {
  command -v groff >/dev/null || skip HPAR_REQUIRE_MAN "groff is needed (Debian package groff-base)"
  groff -man -ww -z "$HPAR_MAN_PAGE" 2>warnings.txt || fail "groff failed: $(cat warnings.txt)"
  [ ! -s warnings.txt ] || fail "groff warns: $(cat warnings.txt)"
}
