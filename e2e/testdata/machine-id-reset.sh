#!/bin/sh
# The machine ID reset image pipelines end with, the three ways Packer
# templates do it (issue 32): ROOT is the image, MACHINE_ID says how.
# machine-id(5), "First Boot Semantics": missing or "uninitialized" makes
# the next boot a first boot (presets applied); empty does not.
set -eu
f=$ROOT/etc/machine-id
case $MACHINE_ID in
uninitialized) echo uninitialized >"$f" ;;
missing) rm -f "$f" ;;
empty) truncate -s 0 "$f" ;;
keep) ;;
*)
	echo "machine-id-reset.sh: MACHINE_ID=$MACHINE_ID: want uninitialized, missing, empty or keep" >&2
	exit 2
	;;
esac
