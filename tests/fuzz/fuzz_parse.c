// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes, as a single message or an mbox, through
 * the mail reader and the pull-request parser.
 */
#include <stdint.h>
#include <string.h>

#include "autocleanup.h"
#include "mail.h"
#include "pullreq.h"

static PcPullreqParser *parser;

static void check_message(GMimeMessage *message, PcMailFlags flags)
{
	PcMail mail;
	PcPullreq pr;

	if (pc_mail_init_from_message(&mail, message, 1 << 20, flags, NULL)) {
		pc_pullreq_parse(parser, &mail, &pr);
		/* What the contract promises: no empty strings. */
		if ((pr.repo_url && !*pr.repo_url) || (pr.ref && !*pr.ref))
			__builtin_trap();
		if (pr.is_pull_request && !pr.repo_url)
			__builtin_trap();
		pc_pullreq_clear(&pr);
	}
	pc_mail_clear(&mail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) mp = NULL;
	gboolean mbox = size >= 5 && !memcmp(data, "From ", 5);

	if (!parser) {
		g_mime_init();
		parser = pc_pullreq_parser_new();
	}
	stream = g_mime_stream_mem_new_with_buffer((const char *)data, size);
	mp = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(mp, mbox ? GMIME_FORMAT_MBOX
					  : GMIME_FORMAT_MESSAGE);
	for (int i = 0; i < 64 && !g_mime_parser_eos(mp); i++) {
		g_autoptr(GMimeMessage) message =
			g_mime_parser_construct_message(mp, NULL);

		if (!message)
			break;
		check_message(message, mbox ? PC_MAIL_MBOX : PC_MAIL_NONE);
		if (!mbox)
			break;
	}
	return 0;
}
