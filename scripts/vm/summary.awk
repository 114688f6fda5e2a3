# SPDX-License-Identifier: GPL-2.0-only
#
# Judge the VM's ttyS0 output: the '### ' markers of scripts/vm/init and the
# TAP each suite prints.  Prints every test, per-suite counts and a closing
# line "N passed, N failed, N skipped"; exits 1 on any failure.
#
# Variables: xfail_file  list of upstream tests expected to fail (one
#                        fixture.variant.test per line, '#' comments);
#                        applies to suites named upstream-*
#            echo_out    1 when the output was already shown live (a suite
#                        that prints no TAP is then judged by its exit code)

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

function load_xfail(file,    line, why, name, n) {
	if (file == "")
		return
	while ((getline line < file) > 0) {
		why = ""
		if (index(line, "#")) {
			why = trim(substr(line, index(line, "#") + 1))
			line = substr(line, 1, index(line, "#") - 1)
		}
		name = trim(line)
		if (name == "")
			continue
		xf[name] = (why == "" ? "later issue" : why)
		n++
	}
	close(file)
	nxf = n
}

function say(tag, suite, text) {
	printf "%-7s %s: %s\n", tag, suite, text
}

function problem(suite, text) {
	say("FAIL", suite, text)
	s_fail[suite]++
}

BEGIN {
	load_xfail(xfail_file)
	cur = ""
	nsuites = 0
}

/^### vm-boot / {
	booted = 1
	next
}

/^### module-load-failed / {
	sub(/^### module-load-failed /, "")
	printf "FAIL    module load: %s\n", $0
	fatal++
	next
}

/^### module-unload-failed / {
	printf "FAIL    module unload refused: %s\n", $3
	fatal++
	next
}

/^### kmemleak / {
	sub(/^### /, "")
	if ($0 ~ /: clean$/) {
		kmemleak_note = kmemleak_note "; " $0
	} else {
		printf "FAIL    %s (see kernel log)\n", $0
		fatal++
	}
	next
}

/^### suite-begin / {
	cur = $3
	suites[++nsuites] = cur
	plan[cur] = -1
	seen[cur] = 0
	lines[cur] = 0
	next
}

/^### suite-end / {
	name = $3
	rc[name] = substr($4, 4)
	secs[name] = substr($5, 6)
	ended[name] = 1
	cur = ""
	next
}

/^### vm-done / {
	done = 1
	next
}

/^### / {
	next
}

cur == "" {
	next
}

{
	lines[cur]++
}

/^1\.\.[0-9]+/ {
	plan[cur] = substr($1, 4) + 0
	next
}

/^(not )?ok [0-9]+/ {
	notok = ($1 == "not")
	text = $0
	sub(/^(not )?ok [0-9]+ ?/, "", text)
	directive = ""
	if (index(text, " # ")) {
		directive = substr(text, index(text, " # ") + 3)
		text = substr(text, 1, index(text, " # ") - 1)
	}
	test = trim(text)
	seen[cur]++
	listed = (cur ~ /^upstream-/) && (test in xf)

	if (directive ~ /^SKIP/) {
		say("skip", cur, test " # " directive)
		s_skip[cur]++
	} else if (directive ~ /^XFAIL/) {
		say("xfail", cur, test " (marked XFAIL by the suite)")
		s_xfail[cur]++
	} else if (listed && notok) {
		say("xfail", cur, test " (expected, later issue: " xf[test] ")")
		s_xfail[cur]++
	} else if (listed) {
		say("XPASS", cur, test " (passes but is listed in upstream-xfail.txt: trim the list)")
		s_pass[cur]++
		s_xpass[cur]++
	} else if (notok) {
		say("not ok", cur, test)
		s_fail[cur]++
	} else {
		say("ok", cur, test)
		s_pass[cur]++
	}
	next
}

END {
	for (i = 1; i <= nsuites; i++) {
		s = suites[i]
		if (!(s in ended)) {
			problem(s, "suite did not finish (guest crashed, hung or was killed)")
		} else if (plan[s] < 0 && seen[s] == 0) {
			# Not a TAP program (the demo, the bench): its exit code
			# is its verdict.
			if (rc[s] == 0) {
				say("ok", s, "exit status 0")
				s_pass[s]++
			} else {
				problem(s, "exit status " rc[s])
			}
		} else {
			if (plan[s] >= 0 && seen[s] < plan[s])
				problem(s, (plan[s] - seen[s]) " of " plan[s] " tests never reported a result")
			# A harness exits non-zero when a test failed; an expected
			# failure explains that, nothing else does.
			if (rc[s] != 0 && s_fail[s] + 0 == 0 && s_xfail[s] + 0 == 0)
				problem(s, "exited with status " rc[s] " although no test failed")
		}
	}
	if (!booted) {
		print "FAIL    the guest never reached /init (see kernel log)"
		fatal++
	} else if (!done) {
		print "FAIL    the guest did not finish its run (no vm-done marker)"
		fatal++
	}
	if (nsuites == 0 && booted && !fatal) {
		print "FAIL    no suite ran"
		fatal++
	}

	print ""
	for (i = 1; i <= nsuites; i++) {
		s = suites[i]
		line = sprintf("%d passed, %d failed", s_pass[s], s_fail[s])
		if (s_xfail[s] || s ~ /^upstream-/)
			line = line sprintf(", %d expected-fail (not implemented yet)", s_xfail[s])
		line = line sprintf(", %d skipped", s_skip[s])
		if (s_xpass[s])
			line = line sprintf(", %d XPASS (trim upstream-xfail.txt)", s_xpass[s])
		printf "suite %-28s %s [exit %s, %ss]\n", s ":", line, \
			(s in rc ? rc[s] : "-"), (s in secs ? secs[s] : "-")
		tp += s_pass[s]
		tf += s_fail[s]
		ts += s_skip[s]
		tx += s_xfail[s]
		txp += s_xpass[s]
	}
	tf += fatal
	if (kmemleak_note != "")
		print substr(kmemleak_note, 3)
	if (tx || txp)
		printf "expected failures (features of later issues): %d; XPASS: %d\n", tx, txp
	printf "%d passed, %d failed, %d skipped\n", tp, tf, ts
	exit (tf > 0)
}
