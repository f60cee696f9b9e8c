/*
 * The ESP32's firmware-update machinery for the desktop simulator, over files, so that the firmware's
 * own OTA code (src/platform/moddable/firmware-update.ts and esp-idf.ts, the same files the ESP32
 * runs) runs here unchanged:
 *
 * - `embedded:update` (update-sim.js) and `embedded:storage/flash` (flash-sim.js) with the contract
 *   of the SDK's ESP32 implementation (modules/io/update/esp32/update-esp32.c, modules/io/flash/esp32/
 *   flash-esp32.c): the same options, the same errors;
 * - the ESP-IDF functions the firmware calls through FFI (declared in manifest.json):
 *   esp_ota_get_running_partition, esp_ota_get_next_update_partition, esp_ota_get_state_partition,
 *   esp_ota_mark_app_valid_cancel_rollback, esp_ota_mark_app_invalid_rollback_and_reboot,
 *   esp_reset_reason, esp_restart; and sim_flash_dir for the simulator's own store.
 *
 * The "flash" is the directory $ALTIMETER_FLASH_DIR: the two app slots are the files ota_0.so and
 * ota_1.so (an image is an mc.so), and the file `boot` is the boot record, standing for ESP-IDF's
 * otadata: which slot runs, which boots next, each slot's image state, why the last start happened.
 * The bootloader is the harness that launches mcsim (host/moddable/sim-device.ts): it reads the boot
 * record, applies the app-rollback rules (a NEW image starts PENDING_VERIFY; one still PENDING_VERIFY
 * at the next start is ABORTED and the other slot boots) and launches the slot it chose.
 *
 * Image states in the record: none (flashed by cable: bootable, but no otadata entry, as on a fresh
 * ESP32), new, pending-verify, valid, invalid, aborted, empty (erased or being written: not bootable).
 *
 * esp_ota_end() verifies the image: an ELF shared object whose section header table lies inside the
 * image, every byte of which was written. ESP-IDF checks its own format (checksum, SHA-256) instead;
 * both refuse a half-written slot.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_SIZE 0x104
#define ESP_ERR_NOT_FOUND 0x105
#define ESP_ERR_OTA_PARTITION_CONFLICT 0x1501
#define ESP_ERR_OTA_VALIDATE_FAILED 0x1503
#define ESP_ERR_OTA_ROLLBACK_FAILED 0x1505
#define ESP_ERR_OTA_ROLLBACK_INVALID_STATE 0x1506

/* A slot holds an mc.so; the simulator's partitions are this large (boards/sim/manifest.json). */
#define SLOT_BYTES (16 * 1024 * 1024)
#define SECTOR_BYTES 4096
/* "Pointers" to the two app partitions, as esp_ota_get_running_partition returns them (never 0). */
#define PARTITION_TOKEN 0x5100

typedef struct {
	int running;
	int next;
	char state[2][16];
	char reset[16];
	int restartRequested;
} BootRecord;

static const char *states[] = { "new", "pending-verify", "valid", "invalid", "aborted" };

static const char *flashDir(void)
{
	const char *dir = getenv("ALTIMETER_FLASH_DIR");
	return (dir && *dir) ? dir : NULL;
}

static void pathOf(char *path, const char *name)
{
	snprintf(path, PATH_MAX, "%s/%s", flashDir(), name);
}

static int readRecord(BootRecord *record)
{
	char path[PATH_MAX], key[32], value[32];
	memset(record, 0, sizeof(*record));
	strcpy(record->state[0], "none");
	strcpy(record->state[1], "empty");
	strcpy(record->reset, "power-on");
	if (!flashDir())
		return 0;
	pathOf(path, "boot");
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	while (2 == fscanf(file, "%31s %31s", key, value)) {
		if (!strcmp(key, "running")) record->running = atoi(value) & 1;
		else if (!strcmp(key, "next")) record->next = atoi(value) & 1;
		else if (!strcmp(key, "state0")) snprintf(record->state[0], sizeof(record->state[0]), "%s", value);
		else if (!strcmp(key, "state1")) snprintf(record->state[1], sizeof(record->state[1]), "%s", value);
		else if (!strcmp(key, "reset")) snprintf(record->reset, sizeof(record->reset), "%s", value);
		else if (!strcmp(key, "restart-requested")) record->restartRequested = atoi(value);
	}
	fclose(file);
	return 1;
}

/* Written to a new file and renamed over the old one: a kill at any moment leaves one whole record. */
static int writeRecord(const BootRecord *record)
{
	char path[PATH_MAX], temporary[PATH_MAX];
	if (!flashDir())
		return ESP_ERR_NOT_FOUND;
	pathOf(path, "boot");
	snprintf(temporary, sizeof(temporary), "%s.new", path);
	FILE *file = fopen(temporary, "w");
	if (!file)
		return ESP_FAIL;
	fprintf(file, "running %d\nnext %d\nstate0 %s\nstate1 %s\nreset %s\nrestart-requested %d\n",
		record->running, record->next, record->state[0], record->state[1], record->reset, record->restartRequested);
	fflush(file);
	fsync(fileno(file));
	fclose(file);
	return rename(temporary, path) ? ESP_FAIL : ESP_OK;
}

static int stateCode(const char *state)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(state, states[i]))
			return i;
	return -1; /* none, empty: no otadata entry */
}

/* An otadata entry that may boot: set, and neither invalid nor aborted. */
static int entryValid(const char *state)
{
	int code = stateCode(state);
	return (code >= 0) && (code != 3) && (code != 4);
}

static void slotPath(char *path, int slot)
{
	char name[16];
	snprintf(name, sizeof(name), "ota_%d.so", slot);
	pathOf(path, name);
}

/* The simulator's esp_image_verify: see the comment at the top. */
static int imageVerifies(int slot, uint32_t length, uint32_t written)
{
	char path[PATH_MAX];
	uint8_t header[64];
	if (!flashDir() || (written < length) || (length < sizeof(header)))
		return 0;
	slotPath(path, slot);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t got = pread(fd, header, sizeof(header), 0);
	close(fd);
	if ((got != (ssize_t)sizeof(header)) || memcmp(header, "\x7f" "ELF", 4) || (header[4] != 2))
		return 0;
	uint64_t shoff;
	uint16_t shentsize, shnum;
	memcpy(&shoff, header + 0x28, 8);
	memcpy(&shentsize, header + 0x3a, 2);
	memcpy(&shnum, header + 0x3c, 2);
	return shnum && (shoff + (uint64_t)shentsize * shnum <= length);
}

/* ---- the ESP-IDF functions behind mc/ffi ---------------------------------------------------- */

uint32_t esp_ota_get_running_partition(void)
{
	BootRecord record;
	readRecord(&record);
	return PARTITION_TOKEN + record.running;
}

uint32_t esp_ota_get_next_update_partition(uint32_t startFrom)
{
	BootRecord record;
	readRecord(&record);
	(void)startFrom;
	return PARTITION_TOKEN + (1 - record.running);
}

int32_t esp_ota_get_state_partition(uint32_t partition, uint32_t *state)
{
	BootRecord record;
	if ((partition != PARTITION_TOKEN) && (partition != PARTITION_TOKEN + 1))
		return ESP_ERR_INVALID_ARG;
	if (!readRecord(&record))
		return ESP_ERR_NOT_FOUND;
	int code = stateCode(record.state[partition - PARTITION_TOKEN]);
	if (code < 0)
		return ESP_ERR_NOT_FOUND;
	*state = (uint32_t)code;
	return ESP_OK;
}

int32_t esp_ota_mark_app_valid_cancel_rollback(void)
{
	BootRecord record;
	if (!readRecord(&record) || !entryValid(record.state[record.running]))
		return ESP_FAIL; /* "Running firmware is factory" */
	if (!strcmp(record.state[record.running], "valid"))
		return ESP_OK;
	strcpy(record.state[record.running], "valid");
	return writeRecord(&record);
}

void esp_restart(void)
{
	BootRecord record;
	if (!flashDir()) {
		/* No simulated flash (npm run sim): no bootloader would start the simulator again, so a restart
		   would only end it. Say so, and keep running, as the simulator's system port always did. */
		printf("reboot requested: this simulator run has no simulated flash and bootloader to start it again; restart the simulator to apply it\n");
		fflush(stdout);
		return;
	}
	if (readRecord(&record)) {
		record.restartRequested = 1;
		writeRecord(&record);
	}
	fflush(stdout);
	fflush(stderr);
	exit(0);
}

int32_t esp_ota_mark_app_invalid_rollback_and_reboot(void)
{
	BootRecord record;
	if (!readRecord(&record) || !entryValid(record.state[record.running]))
		return ESP_FAIL;
	int other = 1 - record.running;
	if (!entryValid(record.state[other]))
		return ESP_ERR_OTA_ROLLBACK_FAILED; /* esp_ota_check_rollback_is_possible */
	strcpy(record.state[record.running], "invalid");
	record.next = other;
	int err = writeRecord(&record);
	if (err != ESP_OK)
		return err;
	esp_restart();
	return ESP_OK;
}

int32_t esp_reset_reason(void)
{
	static const char *reasons[] = { "unknown", "power-on", "external", "software", "panic" };
	BootRecord record;
	readRecord(&record);
	for (int i = 0; i < 5; i++)
		if (!strcmp(record.reset, reasons[i]))
			return i;
	return 0;
}

const char *sim_flash_dir(void)
{
	return flashDir() ? flashDir() : "";
}

/* ---- embedded:storage/flash ----------------------------------------------------------------- */

typedef struct {
	int slot;
	uint8_t readOnly;
} xsFlashRecord;

void xs_flashstorage_destructor(void *data)
{
}

void xs_flashstorage_close(xsMachine *the)
{
	if (!xsmcGetHostChunk(xsThis))
		return;
	xsmcGetHostChunkValidate(xsThis, xs_flashstorage_destructor);
	xsmcSetHostChunk(xsThis, NULL, 0);
	xsmcSetHostDestructor(xsThis, NULL);
}

static uint8_t formatIsBuffer(xsMachine *the)
{
	if (!xsmcHas(xsArg(0), xsID_format))
		return 1;
	xsmcGet(xsResult, xsArg(0), xsID_format);
	return !xsmcTest(xsResult) || !strcmp(xsmcToString(xsResult), "buffer");
}

void xs_flashstorage_open(xsMachine *the)
{
	BootRecord record;
	xsFlashRecord flash = { 0 };
	if (!xsmcHas(xsArg(0), xsID_path))
		xsUnknownError("no path");
	xsmcGet(xsResult, xsArg(0), xsID_path);
	char *name = xsmcToString(xsResult);
	readRecord(&record);
	if (!flashDir())
		xsUnknownError("can't find partition");
	if (!strcmp(name, "running"))
		flash.slot = record.running;
	else if (!strcmp(name, "nextota"))
		flash.slot = 1 - record.running;
	else
		xsUnknownError("can't find partition");
	if (xsmcHas(xsArg(0), xsID_mode)) {
		xsmcGet(xsResult, xsArg(0), xsID_mode);
		char *mode = xsmcToString(xsResult);
		if (!strcmp(mode, "r"))
			flash.readOnly = 1;
		else if (strcmp(mode, "r+"))
			xsUnknownError("invalid mode");
	}
	if (!formatIsBuffer(the))
		xsRangeError("unsupported");
	xsResult = xsNewHostInstance(xsArg(1));
	xsmcSetHostChunk(xsResult, (void *)&flash, sizeof(flash));
}

void xs_flashstorage_status(xsMachine *the)
{
	xsmcGetHostChunkValidate(xsThis, xs_flashstorage_destructor);
	xsmcSetNewObject(xsResult);
	xsmcVars(1);
	xsmcSetInteger(xsVar(0), SLOT_BYTES);
	xsmcSet(xsResult, xsID_size, xsVar(0));
	xsmcSetInteger(xsVar(0), SECTOR_BYTES);
	xsmcSet(xsResult, xsID_blockLength, xsVar(0));
	xsmcSetInteger(xsVar(0), SLOT_BYTES / SECTOR_BYTES);
	xsmcSet(xsResult, xsID_blocks, xsVar(0));
}

/* ---- embedded:update ------------------------------------------------------------------------ */

typedef struct {
	int fd;			/* the open slot file; -1 once complete() ran (the esp_ota handle is gone) */
	int slot;
	uint32_t byteLength;
	uint32_t written;
	uint8_t append;
} xsUpdateRecord;

void xs_update_destructor(void *data)
{
	xsUpdateRecord *update = data;
	if (update && (update->fd >= 0))
		close(update->fd); /* esp_ota_abort */
}

void xs_update_close(xsMachine *the)
{
	if (!xsmcGetHostChunk(xsThis))
		return;
	xsUpdateRecord *update = xsmcGetHostChunkValidate(xsThis, xs_update_destructor);
	xs_update_destructor(update);
	xsmcSetHostChunk(xsThis, NULL, 0);
	xsmcSetHostDestructor(xsThis, NULL);
}

/* esp_ota_begin: refuses the running slot and a running image still on trial; erases byteLength. */
static int otaBegin(int slot, uint32_t byteLength, int sequential, int *fd)
{
	BootRecord record;
	char path[PATH_MAX];
	static uint8_t erased[SECTOR_BYTES];
	readRecord(&record);
	if (slot == record.running)
		return ESP_ERR_OTA_PARTITION_CONFLICT;
	if (!strcmp(record.state[record.running], "pending-verify"))
		return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
	slotPath(path, slot);
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (*fd < 0)
		return ESP_FAIL;
	memset(erased, 0xff, sizeof(erased));
	/* OTA_WITH_SEQUENTIAL_WRITES (append mode) erases as it writes; no byteLength erases the whole slot */
	uint32_t erase = sequential ? 0 : (byteLength == 0xffffffff) ? SLOT_BYTES : ((byteLength + SECTOR_BYTES - 1) / SECTOR_BYTES) * SECTOR_BYTES;
	for (uint32_t at = 0; at < erase; at += SECTOR_BYTES) {
		if (write(*fd, erased, SECTOR_BYTES) != SECTOR_BYTES) {
			close(*fd);
			*fd = -1;
			return ESP_FAIL;
		}
	}
	strcpy(record.state[slot], "empty"); /* esp_ota_invalidate_inactive_ota_data_slot */
	return writeRecord(&record);
}

void xs_update_open(xsMachine *the)
{
	xsUpdateRecord update = { .fd = -1 };
	if (!xsmcHas(xsArg(0), xsID_partition))
		xsUnknownError("no partition");
	xsmcGet(xsResult, xsArg(0), xsID_partition);
	xsFlashRecord *flash = xsmcGetHostChunkValidate(xsResult, xs_flashstorage_destructor);
	if (!flash)
		xsUnknownError("partition not found");
	if (flash->readOnly)
		xsUnknownError("read-only partition");
	update.slot = flash->slot;

	update.append = 1;
	if (xsmcHas(xsArg(0), xsID_mode)) {
		xsmcGet(xsResult, xsArg(0), xsID_mode);
		char *mode = xsmcToString(xsResult);
		if (!strcmp(mode, "a"))
			;
		else if (!strcmp(mode, "w"))
			update.append = 0;
		else
			xsRangeError("invalid mode");
	}
	if (!formatIsBuffer(the))
		xsRangeError("unsupported");

	update.byteLength = 0xffffffff;
	if (xsmcHas(xsArg(0), xsID_byteLength)) {
		xsmcGet(xsResult, xsArg(0), xsID_byteLength);
		xsNumberValue value = xsmcToNumber(xsResult);
		if (c_isnan(value) || (value < 0) || (value > 0xffffffff) || (value > SLOT_BYTES))
			xsRangeError("invalid byteLength");
		update.byteLength = (uint32_t)value;
	}
	if (ESP_OK != otaBegin(update.slot, update.byteLength, update.append, &update.fd))
		xsUnknownError("begin failed");

	xsResult = xsNewHostInstance(xsArg(1));
	xsmcSetHostChunk(xsResult, (void *)&update, sizeof(update));
}

void xs_update_write(xsMachine *the)
{
	xsUpdateRecord *update = xsmcGetHostChunkValidate(xsThis, xs_update_destructor);
	void *data;
	xsUnsignedValue size;
	if (update->fd < 0)
		xsUnknownError("already complete");
	if (update->append)
		xsUnknownError("offset not allowed"); /* update-sim.js, like update-esp32.js, always passes byteOffset */
	xsNumberValue offset = xsmcToNumber(xsArg(1));
	if (c_isnan(offset) || (offset < 0) || (offset > 0xffffffff))
		xsRangeError("invalid offset");
	xsmcGetBufferReadable(xsArg(0), &data, &size);
	if ((uint64_t)offset + size > SLOT_BYTES)
		xsUnknownError("write failed"); /* esp_partition_write: ESP_ERR_INVALID_SIZE */
	if (pwrite(update->fd, data, size, (off_t)offset) != (ssize_t)size)
		xsUnknownError("write failed");
	update->written += size;
}

void xs_update_complete(xsMachine *the)
{
	BootRecord record;
	xsUpdateRecord *update = xsmcGetHostChunkValidate(xsThis, xs_update_destructor);
	if (update->fd < 0)
		xsUnknownError("already complete");
	fsync(update->fd);
	close(update->fd);
	update->fd = -1;
	uint32_t length = (update->byteLength == 0xffffffff) ? update->written : update->byteLength;
	if (!update->written || !imageVerifies(update->slot, length, update->written))
		xsUnknownError("end failed");
	/* esp_ota_set_boot_partition: the slot boots next, NEW (on trial at its first start) */
	readRecord(&record);
	strcpy(record.state[update->slot], "new");
	record.next = update->slot;
	if (ESP_OK != writeRecord(&record))
		xsUnknownError("can't change boot partition");
}
