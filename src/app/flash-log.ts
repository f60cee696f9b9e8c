// The outbox's durable log: an append-only log of records on a flash partition (NOR: a write only
// clears bits, an erase sets a whole sector back to ones), built to survive a power cut at any
// instant. It is mechanism only; what may be dropped to make room is asked of its owner (the outbox).
//
// Layout. Each sector starts with a 16-byte header {magic "OBX1", sector seq, 0xFFFFFFFF, CRC-32 of
// the first 12 bytes}; sector seqs grow by one per sector opened, so they order the sectors. Records
// follow back to back:
//     [0] state  0xFF pending, anything else done (acknowledged or dropped): cleared in place, 1 → 0
//     [1] type   1 telemetry, 2 emergency, 3 reply
//     [2] body length (u16 LE)   [4] record id (u32 LE, grows by one per record)
//     [8] body   then CRC-32 (u32 LE) of bytes [1, 8 + length)
// The state byte stays outside the CRC so that an acknowledgement is a 1-byte write with no erase.
//
// Power loss. A record is durable once append() returns. Recovery reads every sector: a header that
// is not exactly right (a torn header write, a torn erase) makes the sector unusable until erased; in
// a sector, the first record whose type, length or CRC is wrong ends it (a torn append), and if the
// bytes after it are not all ones the sector takes no more appends, so nothing is ever written over
// half-programmed bytes. A torn acknowledgement leaves the state byte neither 0xFF nor 0x00: done,
// which is right, since the broker had acknowledged it. A sector is reclaimed by zeroing its header
// first and only then erasing it, so a torn erase can never bring old records back.
//
// Space. A new sector comes from the unused ones, round-robin for even wear; when none is left, the
// oldest sector whose pending records the owner lets go is reclaimed; older sectors the owner pins
// (an emergency not yet acknowledged) have their droppable records dropped in place, so the oldest
// go first. Telemetry records are 41 bytes: 99 to a 4 KB sector.
import type { FlashArea } from '../ports';
import { crc32 } from './crc32';

export const RECORD_TELEMETRY = 1;
export const RECORD_EMERGENCY = 2;
export const RECORD_REPLY = 3;

const MAGIC = 0x3158424f; // "OBX1" little-endian
export const SECTOR_HEADER_BYTES = 16;
export const RECORD_OVERHEAD_BYTES = 12;
const PENDING = 0xff;
const DONE = 0x00;
// Sector states in RAM.
const UNKNOWN = 0; // not a valid log sector: may hold anything; checked (and erased if needed) before use
const BLANK = 1; // erased, all ones
const LIVE = 2; // a valid header: part of the log

/** What the log asks of its owner when it must make room. */
export interface LogOwner {
  /** This pending record must stay (in flight, or never to be dropped). */
  keeps(location: number, type: number): boolean;
  /** The log drops this pending record to make room. */
  dropping(location: number, type: number): void;
}

/** Called by recover() for each whole record, oldest first; the body is bytes[start, start + length). */
export type RecordVisitor = (location: number, type: number, id: number, done: boolean, bytes: Uint8Array, start: number, length: number) => void;

export class FlashError extends Error {
  readonly code = 'FLASH_LOG';
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/**
 * Whether bytes[from, to) are all 0xFF (erased). Whole aligned words are compared as Int32 (-1), a
 * quarter of the loop turns of a byte loop: a 4 KB sector is checked each time one is opened.
 */
function allOnes(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to && (bytes.byteOffset + i) % 4 !== 0) if (bytes[i++] !== 0xff) return false;
  const wordCount = (to - i) >> 2;
  if (wordCount > 0) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, wordCount);
    for (let w = 0; w < wordCount; w++) if (words[w] !== -1) return false;
    i += wordCount * 4;
  }
  for (; i < to; i++) if (bytes[i] !== 0xff) return false;
  return true;
}

export class FlashLog {
  readonly sectorBytes: number;
  readonly sectorCount: number;
  readonly maxBodyBytes: number;
  readonly #area: FlashArea;
  readonly #state: Uint8Array;
  readonly #seq: Uint32Array;
  /** Offset (in its sector) after the last whole record of a live sector. */
  readonly #end: Uint32Array;
  /** Live sectors, oldest first. */
  readonly #live: number[] = [];
  /** The sector taking appends, or -1 (none yet, or the last one ended in a torn record). */
  #head = -1;
  #lastOpened = -1;
  #nextSeq = 1;
  #nextId = 1;
  /** Replay cursor: the next record to look at. -1: the start of the oldest live sector. */
  #cursorSector = -1;
  #cursorOffset = SECTOR_HEADER_BYTES;
  /** The last record appended, so that replaying it needs no read. */
  #lastLocation = -1;
  #lastType = 0;
  #lastLength = 0;
  /** Sector erases since start (wear). */
  erases = 0;
  readonly #record: Uint8Array;
  /** The same bytes, for the record's u16/u32 fields (one native store each). */
  readonly #recordView: DataView;
  readonly #header = new Uint8Array(SECTOR_HEADER_BYTES);
  readonly #zeros = new Uint8Array(SECTOR_HEADER_BYTES);
  readonly #done = new Uint8Array([DONE]);

  constructor(area: FlashArea, maxBodyBytes = 1024) {
    this.#area = area;
    this.sectorBytes = area.blockSize;
    this.sectorCount = Math.floor(area.byteLength / area.blockSize);
    if (this.sectorCount < 2) throw new FlashError(`the outbox partition must hold at least two ${area.blockSize}-byte sectors; it has ${area.byteLength} bytes`);
    this.maxBodyBytes = Math.min(maxBodyBytes, this.sectorBytes - SECTOR_HEADER_BYTES - RECORD_OVERHEAD_BYTES, 0xffff);
    this.#state = new Uint8Array(this.sectorCount);
    this.#seq = new Uint32Array(this.sectorCount);
    this.#end = new Uint32Array(this.sectorCount);
    this.#record = new Uint8Array(this.maxBodyBytes + RECORD_OVERHEAD_BYTES);
    this.#recordView = new DataView(this.#record.buffer);
  }

  /** Records a sector holds when all have a body of `bodyBytes`. */
  recordsPerSector(bodyBytes: number): number {
    return Math.floor((this.sectorBytes - SECTOR_HEADER_BYTES) / (bodyBytes + RECORD_OVERHEAD_BYTES));
  }

  get liveSectors(): number {
    return this.#live.length;
  }

  /**
   * Reads the partition and rebuilds the log's state after a start (or a power loss), calling
   * `visit` for every whole record, oldest first. Garbage is never visited.
   */
  recover(visit: RecordVisitor): void {
    const size = this.sectorBytes;
    const live: number[] = [];
    for (let s = 0; s < this.sectorCount; s++) {
      const header = new Uint8Array(this.#area.read(s * size, SECTOR_HEADER_BYTES));
      if (u32(header, 0) === MAGIC && u32(header, 8) === 0xffffffff && u32(header, 12) === crc32(header, 0, 12)) {
        this.#state[s] = LIVE;
        this.#seq[s] = u32(header, 4);
        live.push(s);
      } else {
        this.#state[s] = UNKNOWN;
      }
    }
    live.sort((a, b) => this.#seq[a] - this.#seq[b]);
    this.#live.length = 0;
    this.#head = -1;
    for (const s of live) {
      const bytes = new Uint8Array(this.#area.read(s * size, size));
      const { end, open } = this.#parse(bytes, s, visit);
      this.#end[s] = end;
      this.#live.push(s);
      this.#head = open ? s : -1; // only the newest sector can take appends; it decides at the end
      this.#nextSeq = this.#seq[s] + 1;
      this.#lastOpened = s;
    }
    this.#cursorSector = -1;
    this.#cursorOffset = SECTOR_HEADER_BYTES;
    this.#lastLocation = -1;
  }

  /** Walks a sector's records; returns where they end and whether the rest of the sector is blank. */
  #parse(bytes: Uint8Array, sector: number, visit: RecordVisitor | undefined): { end: number; open: boolean } {
    const size = this.sectorBytes;
    let at = SECTOR_HEADER_BYTES;
    while (at + RECORD_OVERHEAD_BYTES <= size) {
      const type = bytes[at + 1];
      const length = bytes[at + 2] | (bytes[at + 3] << 8);
      const next = at + RECORD_OVERHEAD_BYTES + length;
      if (type < RECORD_TELEMETRY || type > RECORD_REPLY || next > size || u32(bytes, at + 8 + length) !== crc32(bytes, at + 1, at + 8 + length)) break;
      const id = u32(bytes, at + 4);
      if (id >= this.#nextId) this.#nextId = id + 1;
      visit?.(sector * size + at, type, id, bytes[at] !== PENDING, bytes, at + 8, length);
      at = next;
    }
    return { end: at, open: allOnes(bytes, at, size) };
  }

  /**
   * Appends a record and returns its location once it is on flash, or -1 when there is no room the
   * owner lets the log take (every sector holds records it keeps). Flash errors are thrown.
   */
  append(type: number, body: Uint8Array, length: number, owner: LogOwner): number {
    if (length > this.maxBodyBytes) throw new FlashError(`a record body of ${length} bytes exceeds the log's ${this.maxBodyBytes}`);
    const total = RECORD_OVERHEAD_BYTES + length;
    if (this.#head < 0 || this.#end[this.#head] + total > this.sectorBytes) {
      if (!this.#openSector(owner)) return -1;
    }
    const record = this.#record;
    const view = this.#recordView;
    record[0] = PENDING;
    record[1] = type;
    view.setUint16(2, length, true);
    view.setUint32(4, this.#nextId, true);
    record.set(length === body.length ? body : body.subarray(0, length), 8);
    view.setUint32(8 + length, crc32(record, 1, 8 + length), true);
    const head = this.#head;
    const location = head * this.sectorBytes + this.#end[head];
    try {
      this.#area.write(location, total, record);
    } catch (error) {
      this.#head = -1; // the rest of this sector may be half-programmed: never write there again
      throw error;
    }
    this.#end[head] += total;
    this.#nextId++;
    this.#lastLocation = location;
    this.#lastType = type;
    this.#lastLength = length;
    return location;
  }

  /** Marks a record done (acknowledged, or dropped): one byte cleared in place. */
  markDone(location: number): void {
    if (this.#state[Math.floor(location / this.sectorBytes)] !== LIVE) return; // its sector was reclaimed
    this.#area.write(location, 1, this.#done);
  }

  /**
   * The location of the next pending record of `type` after the replay cursor, oldest first, and
   * moves the cursor past it; -1 when there is none yet.
   */
  nextPending(type: number): number {
    const size = this.sectorBytes;
    if (this.#cursorSector < 0) {
      if (this.#live.length === 0) return -1;
      this.#cursorSector = this.#live[0];
      this.#cursorOffset = SECTOR_HEADER_BYTES;
    }
    for (;;) {
      const sector = this.#cursorSector;
      if (this.#cursorOffset >= this.#end[sector]) {
        const index = this.#live.indexOf(sector);
        if (index < 0 || index === this.#live.length - 1) return -1;
        this.#cursorSector = this.#live[index + 1];
        this.#cursorOffset = SECTOR_HEADER_BYTES;
        continue;
      }
      const location = sector * size + this.#cursorOffset;
      let recordType: number;
      let length: number;
      let done: boolean;
      if (location === this.#lastLocation) {
        recordType = this.#lastType;
        length = this.#lastLength;
        done = false; // appended since the cursor last moved, and only the cursor's owner marks records done after
      } else {
        const head = new Uint8Array(this.#area.read(location, 4));
        recordType = head[1];
        length = head[2] | (head[3] << 8);
        done = head[0] !== PENDING;
      }
      this.#cursorOffset += RECORD_OVERHEAD_BYTES + length;
      if (!done && recordType === type) return location;
    }
  }

  /** Puts the replay cursor back on a record nextPending() returned (its read failed: try it again). */
  rewind(location: number): void {
    const sector = Math.floor(location / this.sectorBytes);
    if (this.#state[sector] !== LIVE) return;
    this.#cursorSector = sector;
    this.#cursorOffset = location % this.sectorBytes;
  }

  /** Whether `location` is the record append() wrote last (its body is still in the caller's hands). */
  isLast(location: number): boolean {
    return location === this.#lastLocation;
  }

  /** Reads a whole record and checks its CRC; undefined when it is damaged. The body starts at 8. */
  read(location: number): Uint8Array | undefined {
    const head = new Uint8Array(this.#area.read(location, 4));
    const length = head[2] | (head[3] << 8);
    if (location % this.sectorBytes + RECORD_OVERHEAD_BYTES + length > this.sectorBytes) return undefined;
    const record = new Uint8Array(this.#area.read(location, RECORD_OVERHEAD_BYTES + length));
    return u32(record, 8 + length) === crc32(record, 1, 8 + length) ? record : undefined;
  }

  // ---- sectors ------------------------------------------------------------------------------

  /** Makes a new head sector: an unused one (round-robin), else a reclaimed one. */
  #openSector(owner: LogOwner): boolean {
    this.#head = -1;
    let target = -1;
    for (let i = 1; i <= this.sectorCount; i++) {
      const s = (this.#lastOpened + i + this.sectorCount) % this.sectorCount;
      if (this.#state[s] !== LIVE) {
        target = s;
        break;
      }
    }
    if (target < 0) target = this.#reclaim(owner);
    if (target < 0) return false;
    const size = this.sectorBytes;
    if (this.#state[target] !== BLANK) {
      const bytes = new Uint8Array(this.#area.read(target * size, size));
      if (!allOnes(bytes, 0, size)) this.#erase(target);
    }
    const header = this.#header;
    putU32(header, 0, MAGIC);
    putU32(header, 4, this.#nextSeq);
    putU32(header, 8, 0xffffffff);
    putU32(header, 12, crc32(header, 0, 12));
    this.#state[target] = UNKNOWN; // until the header is whole
    this.#lastOpened = target;
    this.#area.write(target * size, SECTOR_HEADER_BYTES, header);
    this.#state[target] = LIVE;
    this.#seq[target] = this.#nextSeq++;
    this.#end[target] = SECTOR_HEADER_BYTES;
    this.#live.push(target);
    this.#head = target;
    return true;
  }

  /**
   * Frees the oldest sector whose pending records the owner lets go; their records are dropped.
   * Older sectors the owner pins have their droppable records dropped in place first (oldest first).
   */
  #reclaim(owner: LogOwner): number {
    const size = this.sectorBytes;
    const droppable: number[] = [];
    for (let index = 0; index < this.#live.length; index++) {
      const sector = this.#live[index];
      if (index === this.#live.length - 1) break; // never the newest: the replay cursor always has somewhere to go
      const bytes = new Uint8Array(this.#area.read(sector * size, size));
      let pinned = false;
      droppable.length = 0;
      this.#parse(bytes, sector, (location, type, _id, done) => {
        if (done) return;
        if (owner.keeps(location, type)) pinned = true;
        else droppable.push(location, type);
      });
      if (pinned) {
        for (let i = 0; i < droppable.length; i += 2) {
          this.markDone(droppable[i]);
          owner.dropping(droppable[i], droppable[i + 1]);
        }
        continue;
      }
      for (let i = 0; i < droppable.length; i += 2) owner.dropping(droppable[i], droppable[i + 1]);
      // Retire: zero the header first, so that a torn erase cannot make the sector valid again.
      this.#state[sector] = UNKNOWN;
      this.#live.splice(index, 1);
      if (this.#cursorSector === sector) {
        this.#cursorSector = this.#live[index]; // the next newer sector (there is one: the head)
        this.#cursorOffset = SECTOR_HEADER_BYTES;
      }
      if (this.#lastLocation >= 0 && Math.floor(this.#lastLocation / size) === sector) this.#lastLocation = -1;
      this.#area.write(sector * size, SECTOR_HEADER_BYTES, this.#zeros);
      this.#erase(sector);
      return sector;
    }
    return -1;
  }

  #erase(sector: number): void {
    this.#state[sector] = UNKNOWN;
    this.#area.erase(sector);
    this.#state[sector] = BLANK;
    this.erases++;
  }
}
