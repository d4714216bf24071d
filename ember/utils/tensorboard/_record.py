"""TFRecord framing for event files, with CRC32C (Castagnoli) written here.

A record is: the payload length as a little-endian uint64, the masked CRC32C of those 8 bytes,
the payload, the masked CRC32C of the payload (both CRCs little-endian uint32).
"""
import struct

_POLY = 0x82F63B78        # Castagnoli polynomial, bit-reflected


def _table():
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        out.append(c)
    return tuple(out)


_TABLE = _table()


def crc32c(data, crc=0):
    """CRC32C of `data` (bytes-like), continuing from `crc`. One table lookup per byte: event
    records are small (a scalar is ~50 bytes, a histogram a few KB)."""
    t = _TABLE
    crc ^= 0xFFFFFFFF
    for b in bytes(data):
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotate right by 15 bits and add a constant (so that a CRC of data
    that itself holds CRCs stays well mixed)."""
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    """One TFRecord holding `data`."""
    header = struct.pack("<Q", len(data))
    return b"".join((header, struct.pack("<I", masked_crc32c(header)), data,
                     struct.pack("<I", masked_crc32c(data))))


def read_records(raw):
    """The payloads of the records in `raw` (bytes), checking both CRCs; raises ValueError on a
    corrupt or truncated record."""
    out, pos = [], 0
    while pos < len(raw):
        if pos + 12 > len(raw):
            raise ValueError("truncated record header")
        header = raw[pos:pos + 8]
        (n,), (hcrc,) = struct.unpack("<Q", header), struct.unpack("<I", raw[pos + 8:pos + 12])
        if hcrc != masked_crc32c(header):
            raise ValueError(f"record at byte {pos}: header CRC mismatch")
        data = raw[pos + 12:pos + 12 + n]
        if len(data) < n or pos + 16 + n > len(raw):
            raise ValueError("truncated record")
        (dcrc,) = struct.unpack("<I", raw[pos + 12 + n:pos + 16 + n])
        if dcrc != masked_crc32c(data):
            raise ValueError(f"record at byte {pos}: data CRC mismatch")
        out.append(data)
        pos += 16 + n
    return out
