#!/usr/bin/env bash
# Writes the man pages of the command-line programs from their own --help, so that the pages
# never drift from the programs: tinyllm.1 (every command's help as a section), tinyllm-run.1.
# usage: make-manpages.sh BIN_DIR OUT_DIR VERSION
set -euo pipefail
bin=$1 out=$2 version=$3
mkdir -p "$out"

# Help text as a roff block: backslashes escaped, lines that start with . or ' made literal.
as_roff() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/^-/\\-/'
}

page() {  # NAME SUMMARY
  printf '.TH %s 1 "" "%s %s" "TinyLLM Workbench"\n' "$(echo "$1" | tr a-z A-Z)" "$1" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$1" "$2"
}

# A program's help, whatever its exit status (usage errors exit 2); empty help is an error.
help_of() {
  local text
  text=$("$@" 2>&1) || true
  [ -n "$text" ] || { echo "make-manpages: '$*' printed no help" >&2; exit 1; }
  printf '%s\n' "$text"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

{
  page tinyllm "the TinyLLM Workbench on the command line: sensor data to a small language model on a device"
  printf '.SH SYNOPSIS\n.B tinyllm\n.I command\n[options]\n.br\n.B tinyllm --version\n[--json]\n'
  printf '.SH DESCRIPTION\nEvery step of the workbench (tinyllm-studio) is a command here: data, tokenizer and\n'
  printf 'pre-training, fine-tuning and evaluation, GGUF export, deployment over SSH.\n'
  printf '.SH COMMANDS\n.nf\n'
  help_of "$bin/tinyllm" --help | as_roff
  printf '.fi\n'
  # "  name   summary" lines of the overview name the commands.
  for command in $(help_of "$bin/tinyllm" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
    printf '.SS tinyllm %s\n.nf\n' "$command"
    help_of "$bin/tinyllm" "$command" --help | as_roff
    printf '.fi\n'
  done
  printf '.SH SEE ALSO\n.BR tinyllm-run (1),\n.BR tinyllm-studio (1)\n'
} > "$tmp"
mv "$tmp" "$out/tinyllm.1"

{
  page tinyllm-run "the TinyLLM edge runtime: classify, generate, evaluate and benchmark a GGUF model"
  printf '.SH SYNOPSIS\n.B tinyllm-run\n.I mode\n--model FILE.gguf [options]\n'
  printf '.SH DESCRIPTION\nStatic builds for aarch64, armhf and x86_64 are installed in\n'
  printf '/usr/lib/tinyllm/runtimes/ARCH/; tinyllm deploy copies the right one to the device.\n'
  printf '.SH OPTIONS\n.nf\n'
  help_of "$bin/tinyllm-run" --help | as_roff
  printf '.fi\n.SH SEE ALSO\n.BR tinyllm (1)\n'
} > "$tmp"
mv "$tmp" "$out/tinyllm-run.1"

{
  page tinyllm-studio "the TinyLLM Workbench desktop application"
  printf '.SH SYNOPSIS\n.B tinyllm-studio\n[Qt options]\n'
  printf '.SH DESCRIPTION\nA Qt desktop workbench that leads from sensor recordings to a small GPT-2-style\n'
  printf 'model on a Raspberry Pi in five steps: Data, Pre-train, Fine-tune, Quantize, Deploy.\n'
  printf 'Long work runs in the tinyllm command-line program as a separate process.\n'
  printf '.SH SEE ALSO\n.BR tinyllm (1),\n.BR tinyllm-run (1)\n'
} > "$tmp"
mv "$tmp" "$out/tinyllm-studio.1"
