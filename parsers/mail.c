// SPDX-License-Identifier: GPL-2.0-only
/*
 * mail: reads one GMimeMessage into a PcMail.
 *
 * The body is what a person wrote and a person would read: inline
 * text/plain parts only, so an attached .diff or a forwarded message never
 * speaks for the mail.
 */
#define G_LOG_DOMAIN "pullcheck-mail"

#include <nettle/sha2.h>
#include <string.h>

#include "autocleanup.h"
#include "mail.h"

G_DEFINE_QUARK(pc-mail-error-quark, pc_mail_error)

static char *dup_nonempty(const char *s)
{
	if (!s)
		return NULL;
	while (g_ascii_isspace(*s))
		s++;
	if (!*s)
		return NULL;
	return g_strchomp(g_strdup(s));
}

/* Strips the angle brackets and blanks around a Message-ID. */
static char *clean_msgid(const char *raw)
{
	g_autofree char *s = dup_nonempty(raw);
	gsize len;

	if (!s)
		return NULL;
	len = strlen(s);
	if (s[0] == '<' && len > 2 && s[len - 1] == '>')
		return g_strndup(s + 1, len - 2);
	return g_steal_pointer(&s);
}

static char *header_msgid(GMimeObject *obj, const char *name)
{
	const char *value = g_mime_object_get_header(obj, name);
	GMimeReferences *refs;
	char *id = NULL;

	if (!value)
		return NULL;
	refs = g_mime_references_parse(NULL, value);
	if (refs && g_mime_references_length(refs) > 0)
		id = g_strdup(g_mime_references_get_message_id(refs, 0));
	if (refs)
		g_mime_references_free(refs);
	return id ? id : clean_msgid(value);
}

static char **header_references(GMimeObject *obj)
{
	const char *value = g_mime_object_get_header(obj, "References");
	GPtrArray *out = g_ptr_array_new();
	GMimeReferences *refs;

	if (value && (refs = g_mime_references_parse(NULL, value))) {
		int n = g_mime_references_length(refs);

		for (int i = 0; i < n; i++)
			g_ptr_array_add(out, g_strdup(
				g_mime_references_get_message_id(refs, i)));
		g_mime_references_free(refs);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void read_from(PcMail *mail, GMimeMessage *message)
{
	InternetAddressList *list = g_mime_message_get_from(message);
	InternetAddress *first;

	if (!list || internet_address_list_length(list) == 0)
		return;
	/*
	 * The header as GMime decoded it (RFC 2047, unfolded): what the
	 * sender wrote, and much cheaper than re-serialising the parsed
	 * address list, which also runs IDN conversion.
	 */
	mail->from = dup_nonempty(g_mime_object_get_header(GMIME_OBJECT(message),
							   "From"));
	first = internet_address_list_get_address(list, 0);
	if (INTERNET_ADDRESS_IS_MAILBOX(first)) {
		const char *addr = internet_address_mailbox_get_addr(
			INTERNET_ADDRESS_MAILBOX(first));

		if (addr && *addr)
			mail->from_addr = g_ascii_strdown(addr, -1);
	}
}

static void add_addresses(GPtrArray *out, InternetAddressList *list)
{
	int n = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			add_addresses(out, internet_address_group_get_members(
						   INTERNET_ADDRESS_GROUP(a)));
		} else {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(a));

			if (addr && *addr)
				g_ptr_array_add(out, g_ascii_strdown(addr, -1));
		}
	}
}

static char **read_to_cc(GMimeMessage *message, PcMailFlags flags)
{
	GPtrArray *out = g_ptr_array_new();

	if (flags & PC_MAIL_RECIPIENTS) {
		add_addresses(out, g_mime_message_get_to(message));
		add_addresses(out, g_mime_message_get_cc(message));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* @value in decimal, at least @width digits: *@p moves past them. */
static void put_number(char **p, unsigned int value, int width)
{
	char digits[10];
	int n = 0;

	do {
		digits[n++] = '0' + value % 10;
		value /= 10;
	} while (value);
	while (n < width)
		digits[n++] = '0';
	while (n)
		*(*p)++ = digits[--n];
}

/*
 * g_date_time_format(date, "%Y-%m-%dT%H:%M:%S%:z") by hand: GLib's
 * formatter parses the format and asks the locale for its digits, some
 * 6000 instructions a message. The same fields the same way: the year
 * unpadded, the offset's sign '+' for zero, its seconds dropped.
 */
static char *format_rfc3339(GDateTime *date)
{
	int offset = g_date_time_get_utc_offset(date) / G_TIME_SPAN_SECOND;
	char buf[32], *p = buf;
	int y, mo, d;

	g_date_time_get_ymd(date, &y, &mo, &d);
	put_number(&p, y, 0);
	*p++ = '-';
	put_number(&p, mo, 2);
	*p++ = '-';
	put_number(&p, d, 2);
	*p++ = 'T';
	put_number(&p, g_date_time_get_hour(date), 2);
	*p++ = ':';
	put_number(&p, g_date_time_get_minute(date), 2);
	*p++ = ':';
	put_number(&p, g_date_time_get_second(date), 2);
	*p++ = offset >= 0 ? '+' : '-';
	offset = ABS(offset);
	put_number(&p, offset / 3600, 2);
	*p++ = ':';
	put_number(&p, offset / 60 % 60, 2);
	return g_strndup(buf, p - buf);
}

static void read_date(PcMail *mail, GMimeMessage *message)
{
	GDateTime *date;

	/* GMime answers a missing Date with the epoch; that is no date. */
	if (!g_mime_object_get_header(GMIME_OBJECT(message), "Date"))
		return;
	date = g_mime_message_get_date(message);
	if (date)
		mail->date = format_rfc3339(date);
}

/*
 * RFC 3676: a line ending in a space continues on the next one, unless it
 * is the signature separator; a leading space was added for stuffing.
 */
static char *unflow(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_sized_new(strlen(text));
	gboolean joining = FALSE;

	for (char **l = lines; *l; l++) {
		const char *line = *l;
		gsize len;
		gboolean soft;

		if (!joining && line[0] == ' ')
			line++;
		else if (joining && line[0] == ' ' && line[1] == ' ')
			line++;
		len = strlen(line);
		soft = len > 0 && line[len - 1] == ' ' && strcmp(line, "-- ");
		if (soft && delsp)
			len--;
		g_string_append_len(out, line, len);
		if (!soft && l[1])
			g_string_append_c(out, '\n');
		joining = soft;
	}
	return g_string_free(out, FALSE);
}

static gboolean is_attachment(GMimeObject *part, gboolean first)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(part);

	if (disp && g_mime_content_disposition_is_attachment(disp))
		return TRUE;
	/* A named inline text part after the body is an attachment too. */
	return !first && g_mime_part_get_filename(GMIME_PART(part)) != NULL;
}

typedef struct {
	/*
	 * The body so far: the first text part's own buffer while it is the
	 * only one (most mail has one), a GString from the second on.
	 */
	char *first;
	GString *body;
	gsize budget;
	gboolean seen_text;
	gboolean too_big;
	gboolean pgp_signed;
} Walk;

static gboolean is_utf8_charset(const char *charset)
{
	return !charset || !g_ascii_strcasecmp(charset, "utf-8") ||
	       !g_ascii_strcasecmp(charset, "utf8") ||
	       !g_ascii_strcasecmp(charset, "us-ascii");
}

/*
 * The part's text in UTF-8, and its length in *@len. Most mail says
 * utf-8 or us-ascii (or nothing): then only the transfer encoding is
 * undone, into a buffer that becomes the string (no copy), which is much
 * cheaper than GMime's iconv pass; anything else goes through GMime's
 * charset conversion. Invalid UTF-8 is repaired by the caller.
 */
static char *decode_text(GMimeTextPart *part, GMimeDataWrapper *content,
			 gsize encoded, gsize *len)
{
	const char *charset = g_mime_text_part_get_charset(part);
	g_autoptr(GMimeStream) mem = NULL;
	GByteArray *bytes;
	char *text;

	if (!is_utf8_charset(charset) || !content) {
		text = g_mime_text_part_get_text(part);
		*len = text ? strlen(text) : 0;
		return text;
	}
	/* Sized once: decoding never makes the text bigger. */
	mem = g_mime_stream_mem_new_with_byte_array(
		g_byte_array_sized_new(MIN(encoded, G_MAXUINT - 1) + 1));
	if (g_mime_data_wrapper_write_to_stream(content, mem) < 0)
		return NULL;
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	*len = bytes->len;
	g_byte_array_append(bytes, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(bytes, FALSE);
}

/*
 * g_utf8_validate(@text, -1, NULL), with the ASCII run at the start
 * checked eight bytes at a time: most mail is ASCII all through. The run
 * stops at the first byte with the high bit set or the first NUL, where
 * GLib takes over, so the answer is GLib's. @len bounds the reads.
 */
static gboolean utf8_valid(const char *text, gsize len)
{
	const guint64 high = 0x8080808080808080ULL;
	const guint64 ones = 0x0101010101010101ULL;
	gsize i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;

		memcpy(&w, text + i, sizeof(w));
		/* A high bit set, or a zero byte somewhere in the word. */
		if ((w & high) || ((w - ones) & ~w & high))
			break;
	}
	return g_utf8_validate(text + i, -1, NULL);
}

/* Appends @text (transfer full) to the body, on a line of its own. */
static void add_to_body(Walk *w, char *text)
{
	if (!w->first && !w->body) {
		w->first = text;
		return;
	}
	if (!w->body) {
		w->body = g_string_new(w->first);
		g_clear_pointer(&w->first, g_free);
	}
	if (w->body->len && w->body->str[w->body->len - 1] != '\n')
		g_string_append_c(w->body, '\n');
	g_string_append(w->body, text);
	g_free(text);
}

/* (transfer full) The body the walk found, "" for none. */
static char *walk_take_body(Walk *w)
{
	if (w->body)
		return g_string_free(w->body, FALSE);
	return w->first ? w->first : g_strdup("");
}

static void add_text_part(Walk *w, GMimeTextPart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
	GMimeStream *stream = content ? g_mime_data_wrapper_get_stream(content) : NULL;
	gint64 encoded = stream ? g_mime_stream_length(stream) : 0;
	const char *format, *delsp;
	g_autofree char *text = NULL;
	gsize len;

	/* Decoding never makes a part bigger than its encoded form. */
	if (encoded < 0 || (gsize)encoded > w->budget) {
		w->too_big = TRUE;
		return;
	}
	w->budget -= encoded;
	text = decode_text(part, content, encoded, &len);
	if (!text)
		return;
	if (!utf8_valid(text, len)) {
		char *valid = g_utf8_make_valid(text, -1);

		g_free(text);
		text = valid;
	}
	format = g_mime_object_get_content_type_parameter(obj, "format");
	if (format && !g_ascii_strcasecmp(format, "flowed")) {
		char *joined;

		delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
		joined = unflow(text, delsp && !g_ascii_strcasecmp(delsp, "yes"));
		g_free(text);
		text = joined;
	}
	add_to_body(w, g_steal_pointer(&text));
}

static void walk(Walk *w, GMimeObject *obj)
{
	if (GMIME_IS_MULTIPART_SIGNED(obj)) {
		w->pgp_signed = TRUE;
		obj = g_mime_multipart_get_part(GMIME_MULTIPART(obj),
						GMIME_MULTIPART_SIGNED_CONTENT);
		if (obj)
			walk(w, obj);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		gboolean alternative = ct && !g_ascii_strcasecmp(
			g_mime_content_type_get_media_subtype(ct), "alternative");
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++) {
			gboolean before = w->seen_text;

			walk(w, g_mime_multipart_get_part(mp, i));
			/* One text/plain of an alternative is enough. */
			if (alternative && !before && w->seen_text)
				break;
		}
		return;
	}
	/* message/rfc822 parts are forwarded mail, not this mail's text. */
	if (!GMIME_IS_TEXT_PART(obj))
		return;
	if (!g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
					 "text", "plain"))
		return;
	if (is_attachment(obj, !w->seen_text))
		return;
	w->seen_text = TRUE;
	add_text_part(w, GMIME_TEXT_PART(obj));
}

static gboolean line_is(const char *line, gsize len, const char *what)
{
	gsize n = strlen(what);

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			   line[len - 1] == '\r'))
		len--;
	return len == n && !memcmp(line, what, n);
}

/*
 * An inline "BEGIN PGP SIGNED MESSAGE" wraps the text in armour headers
 * and dash-escapes it (RFC 4880, 7.1); undo both and drop the signature.
 * Text outside the armour stays as it is.
 */
static char *strip_inline_pgp(const char *text, gboolean *signed_out)
{
	enum { OUTSIDE, ARMOUR_HEADERS, SIGNED, SIGNATURE } state = OUTSIDE;
	GString *out = g_string_sized_new(strlen(text));
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		gsize len = nl ? (gsize)(nl - p) : strlen(p);
		const char *next = nl ? nl + 1 : p + len;

		switch (state) {
		case OUTSIDE:
			if (line_is(p, len, "-----BEGIN PGP SIGNED MESSAGE-----")) {
				state = ARMOUR_HEADERS;
				*signed_out = TRUE;
			} else {
				g_string_append_len(out, p, next - p);
			}
			break;
		case ARMOUR_HEADERS:
			if (line_is(p, len, ""))
				state = SIGNED;
			break;
		case SIGNED:
			if (line_is(p, len, "-----BEGIN PGP SIGNATURE-----")) {
				state = SIGNATURE;
				break;
			}
			if (len >= 2 && p[0] == '-' && p[1] == ' ')
				p += 2;
			g_string_append_len(out, p, next - p);
			break;
		case SIGNATURE:
			if (line_is(p, len, "-----END PGP SIGNATURE-----"))
				state = OUTSIDE;
			break;
		}
		p = next;
	}
	return g_string_free(out, FALSE);
}

static void drop_cr(char *text)
{
	char *w = text;

	for (const char *r = text; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
}

void pc_mail_unquote_from(char *text)
{
	gboolean line_start = TRUE;
	char *w = text;

	for (const char *r = text; *r; r++) {
		if (line_start && *r == '>') {
			gsize gt = strspn(r, ">");

			if (!strncmp(r + gt, "From ", 5))
				r++;
		}
		line_start = *r == '\n';
		*w++ = *r;
	}
	*w = '\0';
}

/*
 * SHA-256 of the body, for the job key. Nettle rather than GChecksum:
 * the same hash, but with the CPU's SHA instructions where it has them,
 * which took the hash from 13% of `pullcheck parse` to almost nothing.
 */
static void hash_hex(const char *data, gsize len, char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	static const char digits[] = "0123456789abcdef";

	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)data);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (gsize i = 0; i < sizeof(digest); i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

static gboolean has_any_header(GMimeObject *obj)
{
	static const char *const names[] = {
		"From", "Subject", "Message-ID", "Date", "To", "Received",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_mime_object_get_header(obj, names[i]))
			return TRUE;
	return FALSE;
}

static void read_headers(PcMail *mail, GMimeMessage *message,
			 PcMailFlags flags)
{
	GMimeObject *obj = GMIME_OBJECT(message);

	mail->message_id = clean_msgid(g_mime_message_get_message_id(message));
	mail->subject = dup_nonempty(g_mime_message_get_subject(message));
	read_from(mail, message);
	read_date(mail, message);
	mail->to_cc = read_to_cc(message, flags);
	if (flags & PC_MAIL_NO_THREAD) {
		/* Each lookup walks the header list and decodes the value. */
		mail->references = g_new0(char *, 1);
		return;
	}
	mail->in_reply_to = header_msgid(obj, "In-Reply-To");
	mail->references = header_references(obj);
	mail->auto_submitted = dup_nonempty(
		g_mime_object_get_header(obj, "Auto-Submitted"));
	mail->list_id = dup_nonempty(g_mime_object_get_header(obj, "List-Id"));
}

gboolean pc_mail_init_from_message(PcMail *mail, GMimeMessage *message,
				   gsize max_bytes, PcMailFlags flags,
				   GError **error)
{
	Walk w = { .budget = max_bytes };
	GMimeObject *root;
	gboolean inline_signed = FALSE;
	char *body;

	memset(mail, 0, sizeof(*mail));
	read_headers(mail, message, flags);
	if (!has_any_header(GMIME_OBJECT(message))) {
		g_set_error(error, PC_MAIL_ERROR, PC_MAIL_ERROR_NOT_MAIL,
			    "not a mail message: no header");
		return FALSE;
	}
	root = g_mime_message_get_mime_part(message);
	if (root)
		walk(&w, root);
	body = walk_take_body(&w);
	if (w.too_big) {
		g_free(body);
		g_set_error(error, PC_MAIL_ERROR, PC_MAIL_ERROR_TOO_BIG,
			    "its text is over the cap of %" G_GSIZE_FORMAT
			    " bytes", max_bytes);
		return FALSE;
	}
	/* Each pass only where its marker is: most mail needs none. */
	if (strchr(body, '\r'))
		drop_cr(body);
	if ((flags & PC_MAIL_MBOX) && strstr(body, "From "))
		pc_mail_unquote_from(body);
	if (strstr(body, "-----BEGIN PGP SIGNED MESSAGE-----")) {
		mail->body = strip_inline_pgp(body, &inline_signed);
		g_free(body);
	} else {
		mail->body = body;
	}
	mail->pgp_signed = w.pgp_signed || inline_signed;
	hash_hex(mail->body, strlen(mail->body), mail->body_sha256);
	return TRUE;
}

void pc_mail_clear(PcMail *mail)
{
	g_free(mail->message_id);
	g_free(mail->subject);
	g_free(mail->from);
	g_free(mail->from_addr);
	g_free(mail->date);
	g_strfreev(mail->to_cc);
	g_free(mail->in_reply_to);
	g_strfreev(mail->references);
	g_free(mail->auto_submitted);
	g_free(mail->list_id);
	g_free(mail->body);
	memset(mail, 0, sizeof(*mail));
}
