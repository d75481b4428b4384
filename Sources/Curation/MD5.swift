/// MD5 (RFC 1321), the 128-bit hash NeMo Curator's exact deduplication uses over document
/// text. Not for security — only as a fingerprint of text.
public struct MD5: Sendable {
    /// A 128-bit digest.
    public struct Digest: Hashable, Sendable, CustomStringConvertible {
        public var high: UInt64
        public var low: UInt64

        /// One word suffices: digest bits are already uniform.
        public func hash(into hasher: inout Hasher) { hasher.combine(low) }

        /// The 16 digest bytes in RFC 1321 order.
        public var bytes: [UInt8] {
            (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }

        /// 32 lowercase hex digits, as `md5sum` prints.
        public var description: String {
            bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    private var length: UInt64 = 0

    public init() {}

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Digest {
        var md5 = MD5()
        bytes.withUnsafeBufferPointer { md5.update($0) }
        return md5.finalize()
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        length &+= UInt64(bytes.count)
        var index = 0
        if blockCount > 0 {
            let take = min(64 - blockCount, bytes.count)
            for offset in 0..<take { block[blockCount + offset] = base[offset] }
            blockCount += take
            index = take
            guard blockCount == 64 else { return }
            block.withUnsafeBufferPointer { Self.compress(&state, $0.baseAddress!) }
            blockCount = 0
        }
        while index + 64 <= bytes.count {
            Self.compress(&state, base + index)
            index += 64
        }
        for offset in index..<bytes.count { block[offset - index] = base[offset] }
        blockCount = bytes.count - index
    }

    /// Pads the message and returns its digest.
    public mutating func finalize() -> Digest {
        let bitLength = length &* 8
        var padding: [UInt8] = [0x80]
        let afterPad = (blockCount + 1) % 64
        padding += [UInt8](repeating: 0, count: afterPad <= 56 ? 56 - afterPad : 120 - afterPad)
        for shift in stride(from: 0, to: 64, by: 8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        padding.withUnsafeBufferPointer { update($0) }
        var out: [UInt8] = []
        for word in [state.0, state.1, state.2, state.3] {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(out[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(out[index]) }
        return Digest(high: high, low: low)
    }

    /// Per-round shift amounts and sine-derived constants (RFC 1321, section 3.4).
    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    private static let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    /// One 64-byte block into the state (RFC 1321, section 3.4).
    private static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ block: UnsafePointer<UInt8>) {
        var words = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                     UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: block, count: 64))
        }
        var (a, b, c, d) = state
        withUnsafeBytes(of: &words) { raw in
            let m = raw.bindMemory(to: UInt32.self)
            constants.withUnsafeBufferPointer { k in
                shifts.withUnsafeBufferPointer { s in
                    for round in 0..<64 {
                        var f: UInt32
                        let g: Int
                        switch round {
                        case 0..<16: f = (b & c) | (~b & d); g = round
                        case 16..<32: f = (d & b) | (~d & c); g = (5 &* round &+ 1) & 15
                        case 32..<48: f = b ^ c ^ d; g = (3 &* round &+ 5) & 15
                        default: f = c ^ (b | ~d); g = (7 &* round) & 15
                        }
                        f = f &+ a &+ k[round] &+ UInt32(littleEndian: m[g])
                        a = d
                        d = c
                        c = b
                        let shift = s[round]
                        b = b &+ (f << shift | f >> (32 - shift))
                    }
                }
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}

import Foundation  // sin, for the RFC 1321 constant table
