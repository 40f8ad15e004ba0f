import Foundation

/// Writes a ZIP archive of stored (uncompressed) files, streaming each file in chunks, so a
/// subject's copy can be downloaded as one file whatever its size. ZIP64 is not written: each
/// file and the archive must stay under 4 GiB.
public enum ZipArchive {
    /// Archives `files` (absolute paths) under their last path component into `path`.
    public static func write(_ files: [String], to path: String) throws {
        let output = try PrivateFiles.handle(forNewFileAt: path)
        defer { try? output.close() }
        var central = Data()
        var offset: UInt32 = 0
        for file in files {
            let name = Data(URL(fileURLWithPath: file).lastPathComponent.utf8)
            // First pass: size and CRC, reading in chunks.
            let (crc, size) = try checksum(of: file)
            var local = Data()
            local.append(le32(0x0403_4B50))
            local.append(le16(20))
            local.append(le16(0x0800))
            local.append(le16(0))  // version, UTF-8 names, stored
            local.append(le16(0))
            local.append(le16(0x21))  // time, date (1980-01-01)
            local.append(le32(crc))
            local.append(le32(size))
            local.append(le32(size))
            local.append(le16(UInt16(name.count)))
            local.append(le16(0))
            local.append(name)
            try output.write(contentsOf: local)
            let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
            try input.close()

            central.append(le32(0x0201_4B50))
            central.append(le16(20))
            central.append(le16(20))
            central.append(le16(0x0800))
            central.append(le16(0))
            central.append(le16(0))
            central.append(le16(0x21))
            central.append(le32(crc))
            central.append(le32(size))
            central.append(le32(size))
            central.append(le16(UInt16(name.count)))
            central.append(le16(0))
            central.append(le16(0))
            central.append(le16(0))
            central.append(le16(0))
            central.append(le32(0))
            central.append(le32(offset))
            central.append(name)
            offset += UInt32(local.count) + size
        }
        var end = Data()
        end.append(le32(0x0605_4B50))
        end.append(le16(0))
        end.append(le16(0))
        end.append(le16(UInt16(files.count)))
        end.append(le16(UInt16(files.count)))
        end.append(le32(UInt32(central.count)))
        end.append(le32(offset))
        end.append(le16(0))
        try output.write(contentsOf: central + end)
    }

    static func checksum(of file: String) throws -> (crc: UInt32, size: UInt32) {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? input.close() }
        var crc: UInt32 = 0xFFFF_FFFF
        var size = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            size += chunk.count
            for byte in chunk { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        guard size < Int(UInt32.max) else { throw ZipError.tooLarge(file) }
        return (crc ^ 0xFFFF_FFFF, UInt32(size))
    }

    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    private static func le16(_ value: UInt16) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
    private static func le32(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
}

/// A file too large for a plain ZIP archive.
public enum ZipError: Error {
    case tooLarge(String)
}
