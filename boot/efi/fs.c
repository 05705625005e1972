/*
 * Files in \keel\ on the volume the loader itself came from: the loaded
 * image's DeviceHandle carries the SIMPLE_FILE_SYSTEM protocol (UEFI 2.10
 * sections 9.1 and 13.4-13.5). A module is read whole into pages below
 * 4 GiB, because multiboot2 module tags hold 32-bit addresses.
 */
#include "loader.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PATH_MAX_CHARS (sizeof("\\keel\\") + LOADER_NAME_MAX)

static EFI_FILE_HANDLE root;

EFI_STATUS fs_init(EFI_HANDLE image)
{
	EFI_GUID image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *vol;
	EFI_STATUS st;

	st = efi_bs->HandleProtocol(image, &image_guid, (void **)&li);
	if (!EFI_ERROR(st))
		st = efi_bs->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&vol);
	if (!EFI_ERROR(st))
		st = vol->OpenVolume(vol, &root);
	return st;
}

/* Open \keel\NAME for reading; *size is its length in bytes. */
EFI_STATUS fs_open(const char *name, EFI_FILE_HANDLE *out, u64 *size)
{
	CHAR16 path[PATH_MAX_CHARS];
	EFI_GUID info_guid = EFI_FILE_INFO_ID;
	union {
		EFI_FILE_INFO info;
		u8 bytes[SIZE_OF_EFI_FILE_INFO + 2 * PATH_MAX_CHARS];
	} buf;
	UINTN len = sizeof(buf);
	const char *dir = "\\keel\\";
	unsigned n = 0;
	EFI_STATUS st;

	if (strlen(name) >= LOADER_NAME_MAX)
		return EFI_INVALID_PARAMETER;
	for (const char *p = dir; *p; p++)
		path[n++] = (CHAR16)*p;
	for (const char *p = name; *p; p++)
		path[n++] = (CHAR16)(u8)*p;
	path[n] = 0;

	st = root->Open(root, out, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	st = (*out)->GetInfo(*out, &info_guid, &len, &buf);
	if (!EFI_ERROR(st) && (buf.info.Attribute & EFI_FILE_DIRECTORY))
		st = EFI_NOT_FOUND;
	if (EFI_ERROR(st)) {
		(*out)->Close(*out);
		return st;
	}
	*size = buf.info.FileSize;
	return EFI_SUCCESS;
}

/* Exactly len bytes at offset, or an error (a short read is a device error). */
EFI_STATUS fs_read_at(EFI_FILE_HANDLE f, u64 offset, void *buf, u64 len)
{
	EFI_STATUS st = f->SetPosition(f, offset);

	while (!EFI_ERROR(st) && len) {
		UINTN got = len;

		st = f->Read(f, &got, buf);
		if (!EFI_ERROR(st) && got == 0)
			st = EFI_DEVICE_ERROR;
		buf = (u8 *)buf + got;
		len -= got;
	}
	return st;
}

/* Read \keel\NAME into fresh pages below 4 GiB (EfiLoaderData, which Keel
 * gets as usable memory and protects because it is a module). */
EFI_STATUS fs_load(const char *name, struct loader_file *out)
{
	EFI_FILE_HANDLE f;
	EFI_PHYSICAL_ADDRESS addr = LOADER_BELOW_4G;
	u64 size, pages;
	EFI_STATUS st;

	st = fs_open(name, &f, &size);
	if (EFI_ERROR(st))
		return st;
	if (size > LOADER_BELOW_4G) {
		f->Close(f);
		return EFI_BAD_BUFFER_SIZE;
	}
	pages = MAX(1, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	st = efi_bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, pages, &addr);
	if (!EFI_ERROR(st)) {
		st = fs_read_at(f, 0, (void *)(UINTN)addr, size);
		if (EFI_ERROR(st))
			efi_bs->FreePages(addr, pages);
	}
	f->Close(f);
	if (EFI_ERROR(st))
		return st;
	out->addr = addr;
	out->size = size;
	keel_snprintf(out->name, sizeof(out->name), "%s", name);
	return EFI_SUCCESS;
}
