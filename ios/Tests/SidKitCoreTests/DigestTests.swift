// Known-answer tests of the test support's own SHA-256 (FIPS 180-4 examples, NIST CSRC) and
// HMAC-SHA256 (RFC 4231 test cases 1, 2, 6 and 7), which the fake backend uses where CryptoKit
// is missing (Linux); and that sha256 / hmacSHA256 (CryptoKit where there is one) agree with it.
import Foundation
import SidKitTestSupport
import XCTest

final class DigestTests: XCTestCase {
    func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    func testSha256KnownAnswers() {
        let vectors: [(Data, String)] = [
            (Data("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Data(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (Data(repeating: 0x61, count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(hex(SoftSHA256.hash(message)), digest)
            XCTAssertEqual(hex(sha256(message)), digest)
        }
    }

    func testHmacSha256KnownAnswers() {
        let blockSizeKey = Data(repeating: 0xaa, count: 131)
        let vectors: [(key: Data, message: Data, mac: String)] = [
            (Data(repeating: 0x0b, count: 20), Data("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Data("Jefe".utf8), Data("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (blockSizeKey, Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (blockSizeKey,
             Data("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for vector in vectors {
            XCTAssertEqual(hex(SoftSHA256.hmac(key: vector.key, message: vector.message)), vector.mac)
            XCTAssertEqual(hex(hmacSHA256(key: vector.key, message: vector.message)), vector.mac)
        }
    }
}
