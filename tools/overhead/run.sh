#!/usr/bin/env bash
# Times three packer builds with the null builder, in turn, RUNS times each:
# initcompat with nothing to do, a one-line shell-local, and no provisioner.
# Prints each one's median wall time and initcompat's ratio to the others.
# Usage: tools/overhead/run.sh PACKER [RUNS]   (make bench-overhead)
set -euo pipefail
packer=$1 runs=${2:-11}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$here/../../example/image" "$work/root"
# Provisioned once, so that the timed builds have nothing to do.
"$packer" build -color=false -var root_dir="$work/root" "$here/initcompat.pkr.hcl" >"$work/first.log" 2>&1 ||
	{ cat "$work/first.log"; exit 1; }
grep -q "nothing to change" "$work/first.log" && { echo "the first build changed nothing: the image was provisioned already"; exit 1; }
names=(initcompat shell-local none)
for ((i = 0; i < runs; i++)); do
	for n in "${names[@]}"; do
		/usr/bin/time -f %e -a -o "$work/$n.times" \
			"$packer" build -color=false -var root_dir="$work/root" "$here/$n.pkr.hcl" >"$work/$n.log" 2>&1 ||
			{ cat "$work/$n.log"; exit 1; }
	done
done
grep -q "nothing to change" "$work/initcompat.log" || { echo "the timed initcompat build had something to do:"; cat "$work/initcompat.log"; exit 1; }
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
declare -A med
for n in "${names[@]}"; do
	med[$n]=$(median "$work/$n.times")
	printf '%-12s median wall %ss over %d builds\n' "$n" "${med[$n]}" "$runs"
done
awk -v a="${med[initcompat]}" -v b="${med[shell-local]}" -v c="${med[none]}" \
	'BEGIN { printf "initcompat / shell-local: %.2f; initcompat adds %.0f ms to a build, shell-local %.0f ms\n", a / b, (a - c) * 1000, (b - c) * 1000 }'
