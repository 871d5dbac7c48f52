#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Writes hpar's man page and bash completion from the help the binary itself prints, so that
# neither can drift from it (run at build time by cmake/HparDocs.cmake):
#
#   cmake/hpar_docs.sh HPAR VERSION MAN_PAGE COMPLETION
#
# Reads `HPAR --help` (commands, their synopses, global options, exit status), `HPAR list`
# (jobs), `HPAR run JOB --help` (each job's options, then the layout and output options) and
# `HPAR COMMAND --help` for the commands that have one. The man page shows those texts as the
# binary prints them (roff no-fill blocks); the completion script completes commands, job
# names, each command's and job's options, the values of options that list them (a|b|c) and
# file names for options that take a file.
set -euo pipefail
[ $# = 4 ] || { echo "usage: $0 HPAR VERSION MAN_PAGE COMPLETION" >&2; exit 2; }
hpar=$1 version=$2 man_page=$3 completion=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$hpar" --help >"$work/help"
"$hpar" list >"$work/list"
mapfile -t jobs < <(awk '{ print $1 }' "$work/list")
# The commands paragraph of --help, "  SYNOPSIS  SUMMARY" (two spaces or more between), as
# "SYNOPSIS<TAB>SUMMARY" lines.
awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
     on { sub(/^  /, ""); match($0, /  +/); print substr($0, 1, RSTART - 1) "\t" substr($0, RSTART + RLENGTH) }' \
  "$work/help" >"$work/commands"
mapfile -t commands < <(awk '{ print $1 }' "$work/commands")
for job in "${jobs[@]}"; do
  "$hpar" run "$job" --help >"$work/run.$job"
done
for command in "${commands[@]}"; do
  "$hpar" "$command" --help >"$work/cmd.$command" 2>/dev/null || rm -f "$work/cmd.$command"
done

# paragraph FILE FIRST_LINE_REGEX: the blank-line separated paragraph of FILE whose first line
# matches.
paragraph() {
  awk -v re="$2" 'BEGIN { RS = ""; ORS = "\n" } $0 ~ "^" re { print; exit }' "$1"
}

# roff: stdin as roff text: backslashes, minus signs and leading dots and quotes escaped.
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# verbatim: stdin as a no-fill block, indented.
verbatim() {
  echo ".RS 4"
  echo ".nf"
  roff
  echo ".fi"
  echo ".RE"
}

write_man_page() {
  local title usage description job command synopsis summary
  title=$(head -1 "$work/help" | sed 's/^[^:]*: //')
  usage=$(sed -n 's/^usage: //p' "$work/help")
  # The description: the --help paragraphs that are neither title, usage, a list nor exit status.
  description=$(awk 'BEGIN { RS = ""; ORS = "\n\n" } NR > 1 && !/^(usage|commands|global options|exit status):/' \
    "$work/help")
  echo ".TH HPAR 1 \"\" \"hpar $version\" \"User Commands\""
  echo ".SH NAME"
  echo "hpar \\- $(roff <<<"$title")"
  echo ".SH SYNOPSIS"
  echo ".B $(roff <<<"$usage")"
  echo ".SH DESCRIPTION"
  roff <<<"$description" | sed 's/^$/.PP/'
  echo ".SH COMMANDS"
  while IFS=$'\t' read -r synopsis summary; do
    command=${synopsis%% *}
    echo ".SS \"hpar $(roff <<<"$synopsis")\""
    roff <<<"$summary"
    [ ! -f "$work/cmd.$command" ] || verbatim <"$work/cmd.$command"
  done <"$work/commands"
  echo ".SH JOBS"
  echo "Each job's own options; the layout and output options below apply to every job."
  for job in "${jobs[@]}"; do
    echo ".SS $(roff <<<"$job")"
    head -1 "$work/run.$job" | sed 's/^[^:]*: //' | roff
    paragraph "$work/run.$job" "$job options:" | tail -n +2 | verbatim
  done
  echo ".SH \"LAYOUT AND OUTPUT OPTIONS OF hpar run\""
  for job in "${jobs[@]}"; do
    awk -v job="$job" 'BEGIN { RS = ""; ORS = "\n\n" } NR > 1 && $0 !~ "^" job " options:"' \
      "$work/run.$job"
  done | awk 'BEGIN { RS = ""; ORS = "\n\n" } !seen[$0]++' | verbatim | sed 's/^$/.sp/'
  echo ".SH OPTIONS"
  paragraph "$work/help" "global options:" | tail -n +2 | verbatim
  if grep -q '^exit status:' "$work/help"; then
    echo ".SH \"EXIT STATUS\""
    paragraph "$work/help" "exit status:" | tail -n +2 | verbatim
  fi
  echo ".SH \"SEE ALSO\""
  echo ".BR mpirun (1),"
  echo ".BR mpiexec (1),"
  echo ".BR sbatch (1)"
}

# options FILE...: "OPTION VALUE_NAME" for every option line of boost's option lists (two
# spaces, then -x [ --long ] or --long, then the value name if any); VALUE_NAME is - for a flag.
options() {
  sed -nE 's/^  (-[A-Za-z] \[ )?(--[A-Za-z0-9][A-Za-z0-9-]*)( \])?( ([^ (][^ ]*))?.*/\2 \5/p' "$@" |
    awk '{ print $1, ($2 == "" ? "-" : $2) }' | sort -u -k1,1
}

# completion_case KEY FILE...: one `KEY) options=...; values=...` arm of the completion's case.
completion_case() {
  local key=$1 opts="--help" values="" option value
  shift
  while read -r option value; do
    [ "$option" = --help ] || opts+=" $option"
    case $value in
      -) ;;
      *FILE* | *PATH* | *DIR* | *.json | *.png) values+=" $option=@file" ;;
      *'|'*) values+=" $option=${value//|/,}" ;;
      *) values+=" $option=@any" ;;
    esac
  done < <(options "$@")
  printf '    %s) options="%s"; values="%s" ;;\n' "$key" "$opts" "${values# }"
}

write_completion() {
  local job command synopsis job_commands="" file_commands=""
  # From the synopses: commands that take a JOB first, and those that take files.
  while IFS=$'\t' read -r synopsis _; do
    [[ $synopsis == *JOB* ]] && job_commands+=" ${synopsis%% *}"
    grep -qE '^[a-z]+ [^-]*(FILE|DIR|PATH|[.]json)' <<<"$synopsis" && file_commands+=" ${synopsis%% *}"
  done <"$work/commands"
  cat <<EOF
# bash completion for hpar $version: commands, jobs, options and their values.
# Generated by cmake/hpar_docs.sh from the binary's own help; do not edit.

# _hpar_options CONTEXT: sets options (the words) and values (OPTION=KIND: @file, @any or
# choices separated by commas) of a command, or of "run JOB".
_hpar_options() {
  options="" values=""
  case \$1 in
EOF
  for job in "${jobs[@]}"; do
    completion_case "run/$job" "$work/run.$job"
    for command in $job_commands; do
      [ -f "$work/cmd.$command" ] && completion_case "$command/$job" "$work/cmd.$command" \
        <(paragraph "$work/run.$job" "$job options:")
    done
  done
  for command in "${commands[@]}"; do
    [ -f "$work/cmd.$command" ] && completion_case "$command" "$work/cmd.$command"
  done
  cat <<EOF
  esac
}

_hpar() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]}
  local commands="${commands[*]}" jobs="${jobs[*]}" job_commands="$job_commands "
  local file_commands="$file_commands "
  local command=\${COMP_WORDS[1]:-} context options values kind
  COMPREPLY=()
  if [ "\$COMP_CWORD" = 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "\$commands --help --version" -- "\$cur")
    return
  fi
  if [[ \$job_commands == *" \$command "* ]] && [ "\$COMP_CWORD" = 2 ]; then
    mapfile -t COMPREPLY < <(compgen -W "\$jobs" -- "\$cur")
    return
  fi
  context=\$command
  [[ \$job_commands == *" \$command "* ]] && context=\$command/\${COMP_WORDS[2]}
  _hpar_options "\$context"
  [ -n "\$options\$values" ] || _hpar_options "\$command"
  for kind in \$values; do
    [ "\${kind%%=*}" = "\$prev" ] || continue
    kind=\${kind#*=}
    case \$kind in
      @file) mapfile -t COMPREPLY < <(compgen -f -- "\$cur") ;;
      @any) ;;
      *) mapfile -t COMPREPLY < <(compgen -W "\${kind//,/ }" -- "\$cur") ;;
    esac
    return
  done
  if [[ \$cur != -* && \$file_commands == *" \$command "* ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "\$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "\$options" -- "\$cur")
  fi
}
complete -F _hpar hpar
EOF
}

write_man_page >"$work/man"
write_completion >"$work/completion"
mkdir -p "$(dirname "$man_page")" "$(dirname "$completion")"
mv "$work/man" "$man_page"
mv "$work/completion" "$completion"
