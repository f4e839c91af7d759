#!/usr/bin/env bash
# foreground.sh CMD [ARG...] runs CMD (make dev's reloader) so that Ctrl-C
# reaches it alone: make, in the terminal's foreground process group with it,
# would die of the SIGINT too and report an error (exit 130), where CMD exits
# 0. With job control, CMD runs in a process group of its own that holds the
# terminal, so only it gets the SIGINT, and this script and make exit with
# CMD's status.
#
# Bash hands the terminal over through its fd 2, which may be a pipe (make
# dev 2>&1 | tee log): then CMD would get a group of its own but not the
# terminal, and Ctrl-C would stop make and leave CMD running. So fd 2 is the
# terminal while CMD starts, and CMD writes to the original stderr. Without a
# terminal, CMD simply replaces this script.
if [ -t 0 ] && { true >/dev/tty; } 2>/dev/null; then
  exec 3>&2 2>/dev/tty
  set -m
  status=0
  "$@" 2>&3 3>&- || status=$?
  exit "$status"
fi
exec "$@"
