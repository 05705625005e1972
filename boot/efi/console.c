/*
 * The loader's messages on the UEFI console: formatted by Keel's own
 * keel_vsnprintf, widened to UCS-2 for SIMPLE_TEXT_OUTPUT.OutputString()
 * (UEFI 2.10 section 12.4). Firmware that mirrors its console to a serial
 * port (OVMF, most servers with console redirection) shows them on COM1 too.
 */
#include "loader.h"
#include "lib/printf.h"

#define LINE_MAX 256

void loader_print(const char *fmt, ...)
{
	char line[LINE_MAX];
	CHAR16 wide[2 * LINE_MAX];
	unsigned n = 0;
	va_list ap;

	va_start(ap, fmt);
	keel_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const char *p = line; *p && n < ARRAY_SIZE(wide) - 2; p++) {
		if (*p == '\n')
			wide[n++] = L'\r';
		wide[n++] = (CHAR16)(u8)*p;
	}
	wide[n] = 0;
	efi_st->ConOut->OutputString(efi_st->ConOut, wide);
}

/* The statuses a loader meets reading files and memory (UEFI 2.10 appendix D). */
const char *efi_status_str(EFI_STATUS st)
{
	switch (st) {
	case EFI_NOT_FOUND:		return "not found";
	case EFI_OUT_OF_RESOURCES:	return "not enough free memory";
	case EFI_DEVICE_ERROR:		return "device error";
	case EFI_VOLUME_CORRUPTED:	return "file system corrupted";
	case EFI_NO_MEDIA:		return "no medium";
	case EFI_UNSUPPORTED:		return "unsupported";
	case EFI_INVALID_PARAMETER:	return "invalid parameter";
	case EFI_LOAD_ERROR:		return "not a loadable x86-64 ELF file";
	case EFI_BAD_BUFFER_SIZE:	return "too large";
	default:			return "error";
	}
}
