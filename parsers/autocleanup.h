/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * g_autoptr() for the foreign types parsers/ and bot/ hold: GMime 3.2 and
 * pcre2 declare none. Declared once, here.
 */
#ifndef PC_AUTOCLEANUP_H
#define PC_AUTOCLEANUP_H

#include <glib.h>
#include <gmime/gmime.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pcre2_match_data, pcre2_match_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pcre2_code, pcre2_code_free)

#endif
