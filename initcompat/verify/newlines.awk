# The new lines of systemd-analyze verify (the verify script's check of
# them; NewAnalyzeLines is the same rule in Go): base is its output before
# the apply, units the patterns of the touched units, want "ours" or
# "others". It prints the new lines naming a touched unit, and the rest of
# their unit's message (the same "UNIT: " prefix, as the three lines of an
# ordering cycle), or the other new lines, and exits 1 when it prints.
BEGIN {
	while ((getline l < base) > 0) seen[l] = 1
	while ((getline l < units) > 0) pat[n++] = l
}
$0 != "" && !($0 in seen) { line[m++] = $0 }
END {
	for (i = 0; i < m; i++) for (j = 0; j < n; j++) if (line[i] ~ pat[j]) {
		mine[i] = 1; p = line[i]; sub(/: .*/, "", p); prefix[p] = 1; break
	}
	bad = 0
	for (i = 0; i < m; i++) {
		p = line[i]; sub(/: .*/, "", p)
		if (((i in mine) || (p in prefix)) == (want == "ours")) { print line[i]; bad = 1 }
	}
	exit bad
}
