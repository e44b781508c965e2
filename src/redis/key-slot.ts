/**
 * The Redis Cluster hash slot of a key, as the server computes it (CLUSTER KEYSLOT): CRC16
 * (XMODEM: polynomial 0x1021, initial 0) of the key's UTF-8 bytes, modulo 16384 — or, when the key
 * has a hash tag (the text between its first `{` and the first `}` after it, when not empty), of the
 * tag alone. Keys with the same tag share a slot, hence a node: `{polygon:stocks:3}` and
 * `{polygon:stocks:3}:dead`.
 */

const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

const utf8 = new TextEncoder();

export function keySlot(key: string): number {
  let bytes = utf8.encode(key);
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  return crc16(bytes) % SLOTS;
}
