// SHA-256 and HMAC-SHA256 for the fake backend: CryptoKit where there is one (Apple platforms),
// otherwise this file's own implementation of FIPS 180-4 and RFC 2104 (Linux, with no package
// dependency). The own implementation is compiled everywhere, so that the known-answer tests of
// SidKitCoreTests (FIPS 180-4 examples, RFC 4231 test cases) check it on every platform.
import Foundation
#if canImport(CryptoKit)
import CryptoKit
#endif

/// SHA-256 of `data` (CryptoKit's where available, else ``SoftSHA256``).
public func sha256(_ data: Data) -> Data {
    #if canImport(CryptoKit)
    return Data(SHA256.hash(data: data))
    #else
    return SoftSHA256.hash(data)
    #endif
}

/// HMAC-SHA256 of `message` under `key` (CryptoKit's where available, else ``SoftSHA256``).
public func hmacSHA256(key: Data, message: Data) -> Data {
    #if canImport(CryptoKit)
    return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    #else
    return SoftSHA256.hmac(key: key, message: message)
    #endif
}

/// A small SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for test support where CryptoKit is
/// missing. Not constant-time and not for production: it hashes test data only.
public enum SoftSHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private static let initial: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 - n))
    }

    /// The SHA-256 digest (32 bytes) of `data`.
    public static func hash(_ data: Data) -> Data {
        var message = [UInt8](data)
        let bitLength = UInt64(message.count) * 8
        message.append(0x80)
        while message.count % 64 != 56 {
            message.append(0)
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        var h = initial
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for t in 0..<16 {
                let i = chunk + t * 4
                var word = UInt32(message[i]) << 24
                word |= UInt32(message[i + 1]) << 16
                word |= UInt32(message[i + 2]) << 8
                word |= UInt32(message[i + 3])
                w[t] = word
            }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for t in 0..<64 {
                let sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let choice = (e & f) ^ (~e & g)
                let temp1 = hh &+ sum1 &+ choice &+ k[t] &+ w[t]
                let sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let temp2 = sum0 &+ majority
                hh = g
                g = f
                f = e
                e = d &+ temp1
                d = c
                c = b
                b = a
                a = temp1 &+ temp2
            }
            h[0] = h[0] &+ a
            h[1] = h[1] &+ b
            h[2] = h[2] &+ c
            h[3] = h[3] &+ d
            h[4] = h[4] &+ e
            h[5] = h[5] &+ f
            h[6] = h[6] &+ g
            h[7] = h[7] &+ hh
        }
        var digest = [UInt8]()
        digest.reserveCapacity(32)
        for word in h {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return Data(digest)
    }

    /// HMAC-SHA256 (RFC 2104, block size 64) of `message` under `key`.
    public static func hmac(key: Data, message: Data) -> Data {
        var block = [UInt8](key.count > 64 ? hash(key) : key)
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = Data(block.map { $0 ^ 0x36 }) + message
        let outer = Data(block.map { $0 ^ 0x5c }) + hash(inner)
        return hash(outer)
    }
}
