// SPDX-License-Identifier: GPL-2.0-only
/*
 * buildlog: finds the diagnostics in a kernel build log.
 *
 * A kernel build prints what many tools say, interleaved: rustc, bindgen,
 * clang or gcc, ld.lld or GNU ld, modpost, Kconfig and make itself. The
 * log is read line by line. A line that opens a diagnostic may be
 * followed by lines that belong to it (rustc's "-->" location and "|"
 * frame, clang's source and caret lines, ld.lld's ">>>" lines, Kconfig's
 * "Depends on" lines), so the newest diagnostic stays "pending" until a
 * line arrives that is not its continuation; only then is it
 * deduplicated and counted.
 *
 * The patterns match bytes, not UTF-8: the log may hold anything, and
 * PCRE2 must not be told a subject is valid UTF-8 when it is not. The
 * strings handed back are made valid UTF-8 instead.
 */
#define G_LOG_DOMAIN "pullcheck-buildlog"

#include <string.h>

#include "buildlog.h"
#include "pattern.h"

/* Bounds the work of one match on a hostile 64 KiB line. */
#define MATCH_LIMIT 1000000
/* make's "*** ..." lines kept for the fallback. */
#define MAX_MAKE 32

/* gcc quotes names with U+2018/U+2019; clang uses ASCII quotes. */
#define LQUOTE "\xe2\x80\x98"
#define RQUOTE "\xe2\x80\x99"

enum {
	RE_CC,		  /* file:line:col: error: message */
	RE_CC_SUMMARY,	  /* clang's "2 errors generated." */
	RE_FRAME,	  /* a code frame line under a diagnostic */
	RE_RUSTC,	  /* error[E0061]: message */
	RE_RUSTC_END,	  /* rustc's closing summary, not a diagnostic */
	RE_RUSTC_SUB,	  /* note: / help: inside a rustc block */
	RE_RUST_LOC,	  /*   --> file:line:col */
	RE_BINDGEN,	  /* Unable to generate bindings: ... */
	RE_KCONFIG_UNMET, /* WARNING: unmet direct dependencies ... */
	RE_KCONFIG_FILE,  /* drivers/Kconfig:12: syntax error */
	RE_KCONFIG_WARN,  /* .config:12:warning: ... */
	RE_KCONFIG_CONT,  /* "  Depends on [n]: ..." and the like */
	RE_MODPOST,	  /* ERROR: modpost: ... */
	RE_MODPOST_UNDEF, /* "sym" [drivers/x.ko] undefined! */
	RE_MODPOST_FILE,  /* vmlinux: section mismatch ..., ... in x.o */
	RE_LLD,		  /* ld.lld: error: ... */
	RE_LLD_SRC,	  /* >>> referenced by x.c:12 (/src/x.c:12) */
	RE_LLD_OBJ,	  /* >>>               drivers/x.o:(func) */
	RE_LD,		  /* /usr/bin/ld: ... */
	RE_LD_FUNC,	  /* x.o: in function `main': */
	RE_LD_WARN,	  /* warning: ... */
	RE_LD_REF,	  /* x.c:(.text+0x4a): undefined reference to `f' */
	RE_DRIVER,	  /* clang: error: ..., cc1: error: ... */
	RE_MAKE,	  /* make[3]: *** ... */
	RE_MAKE_RULE,	  /* [Makefile:12: target] Error 1 */
	RE_MAKE_ERROR,	  /* Makefile:12: *** $(error) text.  Stop. */
	RE_COUNT
};

static const char *const PATTERNS[RE_COUNT] = {
	[RE_CC] = "^([^\\s:][^:]*):(\\d+):(?:(\\d+):)? "
		  "(fatal error|error|warning): (.+)$",
	[RE_CC_SUMMARY] = "^\\d+ (?:errors?|warnings?)"
			  "(?: and \\d+ (?:errors?|warnings?))? generated\\.$",
	/* Possessive (*+): a line of 64 KiB spaces must not backtrack. */
	[RE_FRAME] = "^\\s*+\\d*+\\s*+\\||^\\s++= |^\\s*+\\.\\.\\.\\s*+$"
		     "|^\\s*+::: |^\\s*+[\\^~][\\^~ ]*+$",
	[RE_RUSTC] = "^(error|warning)(?:\\[(E\\d{4})\\])?: (.+)$",
	[RE_RUSTC_END] = "^(?:aborting due to |could not compile "
			 "|\\d+ warnings? emitted|build failed)",
	[RE_RUSTC_SUB] = "^(?:note|help)(?:\\[\\w+\\])?: ",
	[RE_RUST_LOC] = "^\\s*+--> (.+):(\\d+):(\\d+)\\s*$",
	[RE_BINDGEN] = "^Unable to generate bindings: "
		       "(?:clang diagnosed error: )?(.*)$",
	[RE_KCONFIG_UNMET] = "^WARNING: unmet direct dependencies detected "
			     "for (\\S+)",
	[RE_KCONFIG_FILE] = "^(\\S*Kconfig[^\\s:]*):(\\d+):"
			    "(?:(warning|error): ?| )([^\\t].*)$",
	[RE_KCONFIG_WARN] = "^(\\S+):(\\d+):(warning|error): (.+)$",
	[RE_KCONFIG_CONT] =
		"^\\s++(?:Depends on|Selected by|Implied by)\\b"
		"|^\\s++- |^\\S+:\\d+:\\t|^For a resolution refer to "
		"|^subsection \"",
	[RE_MODPOST] = "^(ERROR|WARNING): modpost: (.+)$",
	[RE_MODPOST_UNDEF] = "^\"[^\"]*\" \\[([^\\]\\s]+)\\] undefined!",
	[RE_MODPOST_FILE] = "^([\\w./+-]+?\\.(?:ko|o)|vmlinux(?:\\.o)?): "
			    "|\\bin ([\\w./+-]+\\.(?:ko|o))$",
	[RE_LLD] = "^(?:\\S*/)?ld\\.lld(?:-\\d+)?: (error|warning): (.+)$",
	[RE_LLD_SRC] =
		"^>>> .*\\(([^()\\s]+):(\\d+)\\)\\s*$"
		"|^>>> (?:referenced by|defined at) ([^\\s()]+):(\\d+)\\s*$",
	[RE_LLD_OBJ] = "^>>>\\s+(?:referenced by |defined (?:at|in) )?"
		       "([^\\s():]+\\.(?:o|a|ko|so))\\b",
	[RE_LD] = "^(?:\\S*/)?(?:[\\w.-]+-)?ld(?:\\.bfd|\\.gold)?: (.+)$",
	[RE_LD_FUNC] =
		"^(.+): in function (?:`|" LQUOTE ")(.*)(?:'|" RQUOTE "):$",
	[RE_LD_WARN] = "^(?:(\\S+?): )?warning: (.+)$",
	[RE_LD_REF] = "^([^\\s:()][^\\s:]*):(?:(\\d+):)?(?:\\([^)]*\\):)? "
		      "(undefined reference to .+|multiple definition of .+"
		      "|relocation truncated to fit: .+)$",
	[RE_DRIVER] = "^(?:\\S*/)?(clang|gcc|cc|cc1|collect2|[\\w.-]+-gcc)"
		      "(?:-\\d+)?: (fatal error|error|warning): (.+)$",
	[RE_MAKE] = "^(?:\\S*/)?g?make(?:\\[(\\d+)\\])?: \\*\\*\\* (.+)$",
	[RE_MAKE_RULE] = "^\\[(?:(.+?):(\\d+): )?(.+)\\] (.+)$",
	[RE_MAKE_ERROR] = "^([^\\s:]+):(\\d+): \\*\\*\\* (.+)$",
};

struct _PcBuildlogParser {
	pcre2_code *re[RE_COUNT];
	pcre2_match_data *md[RE_COUNT];
	pcre2_match_context *mctx;
};

/* What the pending diagnostic is, so we know what continues it. */
typedef enum {
	PEND_NONE,
	PEND_RUSTC,
	PEND_CC,
	PEND_LLD,
	PEND_KCONFIG,
} PendKind;

/* One parse: everything that lives from the first line to the last. */
typedef struct {
	PcBuildlogParser *p;
	const char *prefix; /* without trailing '/'; NULL for none */
	gsize prefix_len;
	guint max;
	PcDiagnostics *out;
	GHashTable *seen; /* guint64 key -> kept index + 1, or 0 */

	PcDiagnostic *pend;
	PendKind kind;
	gboolean located; /* rustc: "-->" seen; ld.lld: source line */
	gboolean excerpt_closed;
	guint excerpt_lines;
	GString *excerpt;

	gboolean in_bindgen; /* inside bindgen's list of clang errors */
	char *ld_context;    /* GNU ld's "in function" line */
	GPtrArray *make;     /* make's own errors, for the fallback */
	int make_depth;	     /* deepest make level that failed so far */
	gboolean gcc_seen, clang_seen;
	GString *scratch; /* a line with its escape sequences removed */
} Parse;

/* The groups of one match; valid until the same pattern matches again. */
typedef struct {
	const char *subject;
	PCRE2_SIZE *ov;
	int count;
} Match;

PcBuildlogParser *pc_buildlog_parser_new(void)
{
	PcBuildlogParser *p = g_new0(PcBuildlogParser, 1);

	for (int i = 0; i < RE_COUNT; i++) {
		p->re[i] = pc_pattern_compile(PATTERNS[i], 0);
		p->md[i] = pcre2_match_data_create_from_pattern(p->re[i], NULL);
	}
	p->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, MATCH_LIMIT);
	return p;
}

void pc_buildlog_parser_free(PcBuildlogParser *p)
{
	if (!p)
		return;
	for (int i = 0; i < RE_COUNT; i++) {
		pcre2_match_data_free(p->md[i]);
		pcre2_code_free(p->re[i]);
	}
	pcre2_match_context_free(p->mctx);
	g_free(p);
}

void pc_diagnostic_free(PcDiagnostic *d)
{
	if (!d)
		return;
	g_free(d->file);
	g_free(d->message);
	g_free(d->excerpt);
	g_free(d);
}

char *pc_diagnostic_where(const PcDiagnostic *d)
{
	if (!d->file || !*d->file)
		return NULL;
	if (!d->line)
		return g_strdup(d->file);
	if (!d->column)
		return g_strdup_printf("%s:%u", d->file, d->line);
	return g_strdup_printf("%s:%u:%u", d->file, d->line, d->column);
}

void pc_diagnostics_clear(PcDiagnostics *diags)
{
	g_clear_pointer(&diags->items, g_ptr_array_unref);
	diags->total = 0;
}

/*
 * A failed or aborted match (the match limit) is no match: a line too
 * hostile to match is not a diagnostic we could report anyway.
 */
static gboolean match(Parse *st, int re, const char *s, gsize n, Match *m)
{
	int rc = pcre2_match(st->p->re[re], (PCRE2_SPTR)s, n, 0, 0,
			     st->p->md[re], st->p->mctx);

	if (rc <= 0)
		return FALSE;
	if (m) {
		m->subject = s;
		m->ov = pcre2_get_ovector_pointer(st->p->md[re]);
		m->count = rc;
	}
	return TRUE;
}

/* The log is not NUL-terminated: every comparison is bounded by @n. */
static gboolean has_prefix(const char *s, gsize n, const char *prefix)
{
	gsize len = strlen(prefix);

	return n >= len && !memcmp(s, prefix, len);
}

/* An unset group is an empty string, and FALSE. */
static gboolean group(const Match *m, int i, const char **s, gsize *n)
{
	if (i >= m->count || m->ov[2 * i] == PCRE2_UNSET) {
		*s = "";
		*n = 0;
		return FALSE;
	}
	*s = m->subject + m->ov[2 * i];
	*n = m->ov[2 * i + 1] - m->ov[2 * i];
	return TRUE;
}

/* Line and column numbers; an absurd one saturates rather than wraps. */
static guint group_uint(const Match *m, int i)
{
	const char *s;
	gsize n;
	guint64 v = 0;

	if (!group(m, i, &s, &n))
		return 0;
	for (gsize k = 0; k < n && v < G_MAXUINT; k++)
		v = v * 10 + (guint)(s[k] - '0');
	return (guint)MIN(v, G_MAXUINT);
}

/*
 * A bounded, valid UTF-8 copy of @n bytes at @s, with control characters
 * (NULs included; newlines too unless @lines) turned into spaces and
 * trailing white space dropped. The cut at @max falls on a character
 * boundary.
 */
static char *clean_text(const char *s, gsize n, gsize max, gboolean lines)
{
	g_autoptr(GString) g = g_string_sized_new(MIN(n, max) + 1);
	char *v;
	gsize len;

	/* Room for a character cut at @max to be replaced, then cut. */
	n = MIN(n, max + 4);
	for (gsize i = 0; i < n; i++) {
		guchar c = (guchar)s[i];
		gboolean keep = c == '\t' || (lines && c == '\n');

		g_string_append_c(
			g, (c < 0x20 && !keep) || c == 0x7f ? ' ' : (char)c);
	}
	v = g_utf8_make_valid(g->str, g->len);
	len = strlen(v);
	if (len > max) {
		len = max;
		while (len > 0 && ((guchar)v[len] & 0xc0) == 0x80)
			len--;
	}
	while (len > 0 && g_ascii_isspace(v[len - 1]))
		len--;
	v[len] = '\0';
	return v;
}

static char *clean_copy(const char *s, gsize n, gsize max)
{
	return clean_text(s, n, max, FALSE);
}

static char *group_text(const Match *m, int i, gsize max)
{
	const char *s;
	gsize n;

	if (!group(m, i, &s, &n))
		return NULL;
	return clean_copy(s, n, max);
}

/*
 * A file name relative to the source tree: the caller's prefix (an
 * absolute source root such as "/src") and then any "./" and "../" that
 * builds with O= put in front are cut.
 */
static char *clean_path(Parse *st, const char *s, gsize n)
{
	char *path;

	if (st->prefix && n > st->prefix_len && s[st->prefix_len] == '/' &&
	    !memcmp(s, st->prefix, st->prefix_len)) {
		s += st->prefix_len + 1;
		n -= st->prefix_len + 1;
	}
	for (;;) {
		if (n >= 3 && !memcmp(s, "../", 3)) {
			s += 3;
			n -= 3;
		} else if (n >= 2 && !memcmp(s, "./", 2)) {
			s += 2;
			n -= 2;
		} else {
			break;
		}
	}
	path = n ? clean_copy(s, n, PC_BUILDLOG_MAX_FILE) : NULL;
	/* Control characters alone make no name: none, not an empty one. */
	if (path && !*path)
		g_clear_pointer(&path, g_free);
	return path;
}

static char *group_path(Parse *st, const Match *m, int i)
{
	const char *s;
	gsize n;

	if (!group(m, i, &s, &n))
		return NULL;
	return clean_path(st, s, n);
}

static PcDiagnostic *diag_new(const char *tool, const char *severity,
			      const char *language)
{
	PcDiagnostic *d = g_new0(PcDiagnostic, 1);

	d->tool = tool;
	d->severity = severity;
	d->language = language;
	return d;
}

/*
 * bindgen repeats what clang told it, and gcc's and clang's lines look
 * alike: the three count as one tool when deduplicating.
 */
static const char *tool_family(const char *tool)
{
	if (!strcmp(tool, "bindgen") || !strcmp(tool, "gcc"))
		return "clang";
	return tool;
}

static guint64 fnv1a(guint64 h, const void *data, gsize n)
{
	const guchar *b = data;

	for (gsize i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* A separator, so that "ab"+"c" and "a"+"bc" differ. */
	h ^= 0xff;
	return h * 0x100000001b3ULL;
}

/* 64 bits: a collision among 2^18 keys is a one in 10^8 event. */
static guint64 diag_key(const PcDiagnostic *d)
{
	const char *family = tool_family(d->tool);
	guint64 h = 0xcbf29ce484222325ULL;

	h = fnv1a(h, family, strlen(family));
	h = fnv1a(h, d->file ? d->file : "", d->file ? strlen(d->file) : 0);
	h = fnv1a(h, &d->line, sizeof(d->line));
	h = fnv1a(h, &d->column, sizeof(d->column));
	return fnv1a(h, d->message, strlen(d->message));
}

/*
 * bindgen prints clang's errors once as they come and again in its
 * "Unable to generate bindings" summary; the first copy was taken for
 * clang's own. The summary says whose they are.
 */
static void retag(Parse *st, gpointer kept, const PcDiagnostic *d)
{
	guint index = GPOINTER_TO_UINT(kept);
	PcDiagnostic *first;

	if (!index || strcmp(d->tool, "bindgen"))
		return;
	first = g_ptr_array_index(st->out->items, index - 1);
	first->tool = "bindgen";
}

/* Takes @d: counts it unless seen before, keeps it if there is room. */
static void emit(Parse *st, PcDiagnostic *d)
{
	guint64 key;
	gpointer kept;
	guint index = 0;

	if (!d->message)
		d->message = g_strdup("");
	key = diag_key(d);
	if (g_hash_table_lookup_extended(st->seen, &key, NULL, &kept)) {
		retag(st, kept, d);
		pc_diagnostic_free(d);
		return;
	}
	if (st->out->total < G_MAXUINT)
		st->out->total++;
	if (st->out->items->len < st->max) {
		g_ptr_array_add(st->out->items, d);
		index = st->out->items->len;
	} else {
		pc_diagnostic_free(d);
	}
	if (g_hash_table_size(st->seen) < PC_BUILDLOG_MAX_DISTINCT)
		g_hash_table_insert(st->seen, g_memdup2(&key, sizeof(key)),
				    GUINT_TO_POINTER(index));
}

static void begin(Parse *st, PcDiagnostic *d, PendKind kind)
{
	st->pend = d;
	st->kind = kind;
	st->located = FALSE;
	st->excerpt_closed = FALSE;
	st->excerpt_lines = 0;
	g_string_truncate(st->excerpt, 0);
}

static void excerpt_add(Parse *st, const char *s, gsize n)
{
	gsize room;

	if (st->excerpt_closed)
		return;
	if (st->excerpt_lines >= PC_BUILDLOG_MAX_EXCERPT_LINES ||
	    st->excerpt->len >= PC_BUILDLOG_MAX_EXCERPT) {
		st->excerpt_closed = TRUE;
		return;
	}
	if (st->excerpt_lines)
		g_string_append_c(st->excerpt, '\n');
	room = PC_BUILDLOG_MAX_EXCERPT - st->excerpt->len;
	g_string_append_len(st->excerpt, s, MIN(n, room));
	st->excerpt_lines++;
}

/*
 * rustc's lone "warning: ..." with no location, frame or code is more
 * often some script's chatter than rustc's; its errors are kept anyway.
 */
static gboolean pending_is_noise(Parse *st, const PcDiagnostic *d)
{
	return st->kind == PEND_RUSTC && !st->located && !st->excerpt->len &&
	       !strcmp(d->severity, "warning") &&
	       !g_str_has_suffix(d->message, "]");
}

static void finish_pending(Parse *st)
{
	PcDiagnostic *d = g_steal_pointer(&st->pend);

	if (!d)
		return;
	if (pending_is_noise(st, d)) {
		pc_diagnostic_free(d);
	} else {
		if (st->excerpt->len)
			d->excerpt =
				clean_text(st->excerpt->str, st->excerpt->len,
					   PC_BUILDLOG_MAX_EXCERPT, TRUE);
		emit(st, d);
	}
	st->kind = PEND_NONE;
}

static gboolean continue_rustc(Parse *st, const char *s, gsize n)
{
	Match m;

	if (match(st, RE_RUST_LOC, s, n, &m)) {
		/* The first location is the error's; later ones, notes'. */
		if (!st->located) {
			st->pend->file = group_path(st, &m, 1);
			st->pend->line = group_uint(&m, 2);
			st->pend->column = group_uint(&m, 3);
			st->located = TRUE;
		}
		return TRUE;
	}
	if (match(st, RE_FRAME, s, n, NULL)) {
		excerpt_add(st, s, n);
		return TRUE;
	}
	if (match(st, RE_RUSTC_SUB, s, n, NULL)) {
		/* The excerpt is the error's own frame, not its notes'. */
		if (st->excerpt->len)
			st->excerpt_closed = TRUE;
		return TRUE;
	}
	return FALSE;
}

/* ld.lld names the source line when there is debug info, else the object. */
static gboolean continue_lld(Parse *st, const char *s, gsize n)
{
	Match m;

	if (n < 3 || memcmp(s, ">>>", 3))
		return FALSE;
	if (!st->located && match(st, RE_LLD_SRC, s, n, &m)) {
		int g = m.ov[2] != PCRE2_UNSET ? 1 : 3;

		g_free(st->pend->file);
		st->pend->file = group_path(st, &m, g);
		st->pend->line = group_uint(&m, g + 1);
		st->located = TRUE;
	} else if (!st->pend->file && match(st, RE_LLD_OBJ, s, n, &m)) {
		st->pend->file = group_path(st, &m, 1);
	}
	excerpt_add(st, s, n);
	return TRUE;
}

static gboolean continues(Parse *st, const char *s, gsize n)
{
	switch (st->kind) {
	case PEND_RUSTC:
		return continue_rustc(st, s, n);
	case PEND_CC:
		if (!match(st, RE_FRAME, s, n, NULL))
			return FALSE;
		excerpt_add(st, s, n);
		return TRUE;
	case PEND_LLD:
		return continue_lld(st, s, n);
	case PEND_KCONFIG:
		if (!match(st, RE_KCONFIG_CONT, s, n, NULL))
			return FALSE;
		excerpt_add(st, s, n);
		return TRUE;
	case PEND_NONE:
		break;
	}
	return FALSE;
}

static const char *severity_of(const Match *m, int i)
{
	const char *s;
	gsize n;

	if (group(m, i, &s, &n) && n >= 7 && !memcmp(s, "warning", 7))
		return "warning";
	return "error";
}

/* A line in clang's (or gcc's) form, from clang or repeated by bindgen. */
static PcDiagnostic *cc_diag(Parse *st, const Match *m, gboolean bindgen)
{
	PcDiagnostic *d =
		diag_new(bindgen ? "bindgen" : "clang", severity_of(m, 4), "c");

	d->file = group_path(st, m, 1);
	d->line = group_uint(m, 2);
	d->column = group_uint(m, 3);
	d->message = group_text(m, 5, PC_BUILDLOG_MAX_MESSAGE);
	if (!bindgen && strstr(d->message, LQUOTE))
		d->tool = "gcc";
	return d;
}

static gboolean try_cc(Parse *st, const char *s, gsize n, gboolean bindgen)
{
	Match m;

	if (!match(st, RE_CC, s, n, &m))
		return FALSE;
	if (bindgen) {
		/* bindgen's list has no frames; it goes on to the next line. */
		emit(st, cc_diag(st, &m, TRUE));
		st->in_bindgen = TRUE;
	} else {
		begin(st, cc_diag(st, &m, FALSE), PEND_CC);
	}
	return TRUE;
}

static gboolean try_rustc(Parse *st, const char *s, gsize n)
{
	Match m;
	const char *msg, *code;
	gsize msg_n, code_n;
	PcDiagnostic *d;

	if (!match(st, RE_RUSTC, s, n, &m))
		return FALSE;
	group(&m, 3, &msg, &msg_n);
	if (match(st, RE_RUSTC_END, msg, msg_n, NULL))
		return TRUE;
	d = diag_new("rustc", severity_of(&m, 1), "rust");
	if (group(&m, 2, &code, &code_n)) {
		/* The code goes last, the way clang puts its -W flag. */
		g_autofree char *text =
			clean_copy(msg, msg_n, PC_BUILDLOG_MAX_MESSAGE);
		g_autofree char *full =
			g_strdup_printf("%s [%.*s]", text, (int)code_n, code);

		d->message =
			clean_copy(full, strlen(full), PC_BUILDLOG_MAX_MESSAGE);
	} else {
		d->message = clean_copy(msg, msg_n, PC_BUILDLOG_MAX_MESSAGE);
	}
	begin(st, d, PEND_RUSTC);
	return TRUE;
}

/*
 * "Unable to generate bindings: clang diagnosed error: FILE:L:C: error:
 * MSG" and then more clang lines, one per line, up to an empty line.
 */
static gboolean try_bindgen(Parse *st, const char *s, gsize n)
{
	Match m, cc;
	const char *rest;
	gsize rest_n;
	PcDiagnostic *d;

	if (!match(st, RE_BINDGEN, s, n, &m))
		return FALSE;
	group(&m, 1, &rest, &rest_n);
	if (match(st, RE_CC, rest, rest_n, &cc)) {
		emit(st, cc_diag(st, &cc, TRUE));
	} else {
		d = diag_new("bindgen", "error", "c");
		d->message = rest_n ? clean_copy(rest, rest_n,
						 PC_BUILDLOG_MAX_MESSAGE)
				    : g_strdup("unable to generate bindings");
		emit(st, d);
	}
	st->in_bindgen = TRUE;
	return TRUE;
}

static gboolean try_kconfig(Parse *st, const char *s, gsize n)
{
	Match m;
	PcDiagnostic *d;

	if (match(st, RE_KCONFIG_UNMET, s, n, &m)) {
		g_autofree char *sym = group_text(&m, 1, 256);

		d = diag_new("kconfig", "warning", "kconfig");
		d->message = g_strdup_printf(
			"unmet direct dependencies detected for %s", sym);
	} else if (match(st, RE_KCONFIG_FILE, s, n, &m) ||
		   match(st, RE_KCONFIG_WARN, s, n, &m)) {
		d = diag_new("kconfig", severity_of(&m, 3), "kconfig");
		d->file = group_path(st, &m, 1);
		d->line = group_uint(&m, 2);
		d->message = group_text(&m, 4, PC_BUILDLOG_MAX_MESSAGE);
	} else {
		return FALSE;
	}
	begin(st, d, PEND_KCONFIG);
	return TRUE;
}

static gboolean try_modpost(Parse *st, const char *s, gsize n)
{
	Match m, f;
	const char *msg;
	gsize msg_n;
	PcDiagnostic *d;

	if (!match(st, RE_MODPOST, s, n, &m))
		return FALSE;
	group(&m, 2, &msg, &msg_n);
	d = diag_new("modpost", s[0] == 'W' ? "warning" : "error", "link");
	d->message = clean_copy(msg, msg_n, PC_BUILDLOG_MAX_MESSAGE);
	if (match(st, RE_MODPOST_UNDEF, msg, msg_n, &f)) {
		d->file = group_path(st, &f, 1);
	} else if (match(st, RE_MODPOST_FILE, msg, msg_n, &f)) {
		d->file = group_path(st, &f, f.ov[2] != PCRE2_UNSET ? 1 : 2);
	}
	emit(st, d);
	return TRUE;
}

static gboolean try_lld(Parse *st, const char *s, gsize n)
{
	Match m;
	PcDiagnostic *d;

	if (!match(st, RE_LLD, s, n, &m))
		return FALSE;
	d = diag_new("ld.lld", severity_of(&m, 1), "link");
	d->message = group_text(&m, 2, PC_BUILDLOG_MAX_MESSAGE);
	/* Says that there are more, not another error. */
	if (g_str_has_prefix(d->message, "too many errors emitted")) {
		pc_diagnostic_free(d);
		return TRUE;
	}
	begin(st, d, PEND_LLD);
	return TRUE;
}

/* The compiler driver's own complaints, without a file. */
static gboolean try_driver(Parse *st, const char *s, gsize n)
{
	static const char *const noise[] = {
		/* The linker has said what went wrong. */
		"linker command failed",
		"ld returned",
		/* The warnings have been reported. */
		"all warnings being treated as errors",
	};
	Match m;
	const char *name;
	gsize name_n;
	gboolean clang;
	PcDiagnostic *d;

	if (!match(st, RE_DRIVER, s, n, &m))
		return FALSE;
	group(&m, 1, &name, &name_n);
	clang = has_prefix(name, name_n, "clang");
	if (clang)
		st->clang_seen = TRUE;
	else
		st->gcc_seen = TRUE;
	d = diag_new(clang ? "clang" : "gcc", severity_of(&m, 2), "c");
	d->message = group_text(&m, 3, PC_BUILDLOG_MAX_MESSAGE);
	for (guint i = 0; i < G_N_ELEMENTS(noise); i++) {
		if (g_str_has_prefix(d->message, noise[i])) {
			pc_diagnostic_free(d);
			return TRUE;
		}
	}
	if (has_prefix(name, name_n, "collect2")) {
		pc_diagnostic_free(d);
		return TRUE;
	}
	emit(st, d);
	return TRUE;
}

/* "x.c:(.text+0x4a): undefined reference to `f'" from GNU ld. */
static gboolean try_ld_ref(Parse *st, const char *s, gsize n)
{
	Match m;
	PcDiagnostic *d;

	if (!match(st, RE_LD_REF, s, n, &m))
		return FALSE;
	d = diag_new("ld", "error", "link");
	d->file = group_path(st, &m, 1);
	d->line = group_uint(&m, 2);
	d->message = group_text(&m, 3, PC_BUILDLOG_MAX_MESSAGE);
	if (st->ld_context)
		d->excerpt = g_strdup(st->ld_context);
	emit(st, d);
	return TRUE;
}

/*
 * GNU ld says "x.o: in function `f':" on one line and what is wrong in
 * f on the next ones; the first line becomes their excerpt.
 */
static gboolean try_ld(Parse *st, const char *s, gsize n, char **context)
{
	Match m, sub;
	const char *msg;
	gsize msg_n;
	PcDiagnostic *d;

	if (!match(st, RE_LD, s, n, &m)) {
		/* A reference line needs no "ld:" in front of it. */
		st->ld_context = g_steal_pointer(context);
		if (try_ld_ref(st, s, n))
			return TRUE;
		*context = g_steal_pointer(&st->ld_context);
		return FALSE;
	}
	group(&m, 1, &msg, &msg_n);
	if (match(st, RE_LD_FUNC, msg, msg_n, NULL)) {
		st->ld_context = clean_copy(s, n, PC_BUILDLOG_MAX_EXCERPT);
		return TRUE;
	}
	st->ld_context = g_steal_pointer(context);
	if (try_ld_ref(st, msg, msg_n))
		return TRUE;
	if (match(st, RE_LD_WARN, msg, msg_n, &sub)) {
		d = diag_new("ld", "warning", "link");
		d->file = group_path(st, &sub, 1);
		d->message = group_text(&sub, 2, PC_BUILDLOG_MAX_MESSAGE);
	} else {
		d = diag_new("ld", "error", "link");
		d->message = clean_copy(msg, msg_n, PC_BUILDLOG_MAX_MESSAGE);
	}
	emit(st, d);
	return TRUE;
}

/* Which code a make target is, by its name; a guess, for the fallback. */
static const char *target_language(const char *target)
{
	if (strstr(target, "rust/"))
		return "rust";
	if (strstr(target, ".ko") || strstr(target, "vmlinux") ||
	    strstr(target, "symvers") || strstr(target, ".elf") ||
	    strstr(target, "modpost"))
		return "link";
	if (strstr(target, "config"))
		return "kconfig";
	return "c";
}

static PcDiagnostic *make_diag(Parse *st, const char *rest, gsize rest_n)
{
	Match m;
	PcDiagnostic *d = diag_new("make", "error", "c");

	if (match(st, RE_MAKE_RULE, rest, rest_n, &m)) {
		g_autofree char *target = group_text(&m, 3, 512);
		g_autofree char *status = group_text(&m, 4, 128);
		g_autofree char *text =
			g_strdup_printf("%s: %s", target, status);

		d->file = group_path(st, &m, 1);
		d->line = group_uint(&m, 2);
		d->message =
			clean_copy(text, strlen(text), PC_BUILDLOG_MAX_MESSAGE);
	} else {
		if (rest_n > 7 && !memcmp(rest + rest_n - 7, "  Stop.", 7))
			rest_n -= 7;
		d->message = clean_copy(rest, rest_n, PC_BUILDLOG_MAX_MESSAGE);
	}
	d->language = target_language(d->message);
	return d;
}

/* "Makefile:12: *** text.  Stop.", what a Makefile's $(error) prints. */
static gboolean try_make_error(Parse *st, const char *s, gsize n)
{
	Match m;
	const char *text;
	gsize text_n;
	PcDiagnostic *d;

	if (!match(st, RE_MAKE_ERROR, s, n, &m))
		return FALSE;
	group(&m, 3, &text, &text_n);
	if (text_n > 7 && !memcmp(text + text_n - 7, "  Stop.", 7))
		text_n -= 7;
	d = diag_new("make", "error", "c");
	d->file = group_path(st, &m, 1);
	d->line = group_uint(&m, 2);
	d->message = clean_copy(text, text_n, PC_BUILDLOG_MAX_MESSAGE);
	d->language = target_language(d->message);
	/* What the make levels say on the way up is this, again. */
	st->make_depth = G_MAXINT;
	if (st->make->len < MAX_MAKE)
		g_ptr_array_add(st->make, d);
	else
		pc_diagnostic_free(d);
	return TRUE;
}

/*
 * One failure is reported by every make level on its way up, each time
 * with a shallower level: only a failure at least as deep as any before
 * it is a failure of its own.
 */
static gboolean try_make(Parse *st, const char *s, gsize n)
{
	Match m;
	const char *rest;
	gsize rest_n;
	int depth;

	if (!match(st, RE_MAKE, s, n, &m))
		return try_make_error(st, s, n);
	group(&m, 2, &rest, &rest_n);
	if (has_prefix(rest, rest_n, "Waiting for unfinished jobs") ||
	    has_prefix(rest, rest_n, "Deleting "))
		return TRUE;
	depth = (int)MIN(group_uint(&m, 1), G_MAXINT);
	if (depth < st->make_depth)
		return TRUE;
	st->make_depth = depth;
	if (st->make->len < MAX_MAKE)
		g_ptr_array_add(st->make, make_diag(st, rest, rest_n));
	return TRUE;
}

/* Lines that say which compiler wrote the log. */
static void note_compiler(Parse *st, const char *s, gsize n)
{
	if (match(st, RE_CC_SUMMARY, s, n, NULL) ||
	    g_strstr_len(s, n, "note: expanded from macro"))
		st->clang_seen = TRUE;
	else if (has_prefix(s, n, "cc1: ") ||
		 g_strstr_len(s, n, ": In function ") ||
		 g_strstr_len(s, n, "note: in expansion of macro"))
		st->gcc_seen = TRUE;
}

static void classify(Parse *st, const char *s, gsize n)
{
	g_autofree char *context = g_steal_pointer(&st->ld_context);
	gboolean bindgen = st->in_bindgen;

	st->in_bindgen = FALSE;
	/*
	 * No diagnostic starts with white space; kbuild's "  CC  x.o" lines
	 * are most of any log, and this is their short cut.
	 */
	if (s[0] == ' ' || s[0] == '\t')
		return;
	if (try_cc(st, s, n, bindgen) || try_rustc(st, s, n) ||
	    try_bindgen(st, s, n) || try_kconfig(st, s, n) ||
	    try_modpost(st, s, n) || try_lld(st, s, n) ||
	    try_driver(st, s, n) || try_ld(st, s, n, &context) ||
	    try_make(st, s, n))
		return;
	note_compiler(st, s, n);
}

/* Colour escapes (ESC [ ... letter) would split the patterns' words. */
static const char *strip_escapes(Parse *st, const char *s, gsize *n)
{
	gsize i = 0;

	g_string_truncate(st->scratch, 0);
	while (i < *n) {
		if (s[i] == '\x1b' && i + 1 < *n && s[i + 1] == '[') {
			i += 2;
			while (i < *n && !g_ascii_isalpha(s[i]))
				i++;
			i++;
			continue;
		}
		g_string_append_c(st->scratch, s[i++]);
	}
	*n = st->scratch->len;
	return st->scratch->str;
}

static void parse_line(Parse *st, const char *s, gsize n)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (memchr(s, '\x1b', n))
		s = strip_escapes(st, s, &n);
	if (st->kind != PEND_NONE && continues(st, s, n))
		return;
	finish_pending(st);
	if (n == 0) {
		st->in_bindgen = FALSE;
		g_clear_pointer(&st->ld_context, g_free);
		return;
	}
	classify(st, s, n);
}

/* make's lines count only when nothing else explains the failure. */
static void finish(Parse *st)
{
	finish_pending(st);
	if (st->out->total == 0) {
		for (guint i = 0; i < st->make->len; i++)
			emit(st, g_steal_pointer(&st->make->pdata[i]));
	}
	if (st->gcc_seen && !st->clang_seen) {
		for (guint i = 0; i < st->out->items->len; i++) {
			PcDiagnostic *d = g_ptr_array_index(st->out->items, i);

			if (!strcmp(d->tool, "clang"))
				d->tool = "gcc";
		}
	}
}

static void parse_init(Parse *st, PcBuildlogParser *p, const char *prefix,
		       guint max, PcDiagnostics *out)
{
	memset(st, 0, sizeof(*st));
	st->p = p;
	if (prefix) {
		gsize n = strlen(prefix);

		while (n > 0 && prefix[n - 1] == '/')
			n--;
		if (n > 0) {
			st->prefix = prefix;
			st->prefix_len = n;
		}
	}
	st->max = MIN(max, PC_BUILDLOG_MAX_ITEMS);
	st->out = out;
	out->items = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_diagnostic_free);
	out->total = 0;
	st->seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					 NULL);
	st->excerpt = g_string_new(NULL);
	st->make = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_diagnostic_free);
	st->make_depth = -1;
	st->scratch = g_string_new(NULL);
}

static void parse_clear(Parse *st)
{
	pc_diagnostic_free(st->pend);
	g_hash_table_unref(st->seen);
	g_string_free(st->excerpt, TRUE);
	g_ptr_array_unref(st->make);
	g_free(st->ld_context);
	g_string_free(st->scratch, TRUE);
}

void pc_buildlog_parse(PcBuildlogParser *parser, const char *log, gsize len,
		       const char *src_prefix, guint max, PcDiagnostics *out)
{
	Parse st;
	const char *p = log, *end = log ? log + len : log;

	parse_init(&st, parser, src_prefix, max, out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		gsize n = (gsize)((nl ? nl : end) - p);

		/* The rest of an overlong line is skipped, not a new line. */
		parse_line(&st, p, MIN(n, PC_BUILDLOG_MAX_LINE));
		p = nl ? nl + 1 : end;
	}
	finish(&st);
	parse_clear(&st);
}
