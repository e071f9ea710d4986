// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pullcheck side of tests/bench/fetch/run: one pc_fetch call per
 * process, so its wall time compares with one `git fetch` process.
 *
 *   bench_fetch prime STORE MAINLINE_URL
 *   bench_fetch fetch STORE MAINLINE_URL URL REF JOB
 *
 * "fetch" prints "fetch_s=... duration_s=... commits=..." and exits 1
 * if the fetch found an error.
 */
#include <stdio.h>
#include <string.h>

#include "fetch.h"

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	PcFetchOptions o = { .timeout = 600, .max_bytes = G_GUINT64_CONSTANT(1) << 32,
			     .tree = PC_FETCH_TREE_TIP };
	const char *allow[2] = { NULL, NULL };
	PcPullreq pr = { .signed_tag = PC_TRI_NULL };
	PcFetchResult r;
	const PcReason *bad;
	int ret = 0;

	if (argc == 4 && !strcmp(argv[1], "prime")) {
		o.store = argv[2];
		o.mainline_url = argv[3];
		if (pc_fetch_prime_mainline(&o, &error))
			return 0;
		fprintf(stderr, "bench_fetch: %s\n", error->message);
		return 1;
	}
	if (argc != 7 || strcmp(argv[1], "fetch")) {
		fprintf(stderr, "usage: bench_fetch prime STORE MAINLINE_URL\n"
				"       bench_fetch fetch STORE MAINLINE_URL URL "
				"REF JOB\n");
		return 2;
	}
	o.store = argv[2];
	o.mainline_url = argv[3];
	allow[0] = argv[4];
	o.allow_urls = allow;
	pr.fetch_url = argv[4];
	pr.ref = argv[5];
	if (!pc_fetch_run(&o, argv[6], &pr, &r, &error)) {
		fprintf(stderr, "bench_fetch: %s\n", error->message);
		pc_fetch_result_clear(&r);
		return 1;
	}
	bad = pc_reasons_find(r.reasons, PC_SEVERITY_ERROR);
	if (bad) {
		fprintf(stderr, "bench_fetch: %s: %s\n", bad->code, bad->text);
		ret = 1;
	}
	printf("fetch_s=%.4f duration_s=%.4f commits=%u files=%u\n", r.fetch_s,
	       r.duration_s, r.commits, r.files_changed);
	pc_fetch_result_clear(&r);
	return ret;
}
