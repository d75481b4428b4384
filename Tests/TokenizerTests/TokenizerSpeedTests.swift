import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// Encode throughput on every Shakespeare play with GPT-2's vocabulary, single thread.
/// Opt-in (`LORE_TOKENIZER_SPEED=1`, release build): prints MB/s, asserts nothing about speed.
@Suite struct TokenizerSpeedTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LORE_TOKENIZER_SPEED"] == "1"),
          TestAssets.requires(.gpt2Encoder), TestAssets.requires(.shakespeareTexts))
    func gpt2EncodeSpeed() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        let folder = try TestAssets.url(.shakespeareTexts)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix("_gut.txt") }.sorted()
        let plays = try names.map { try TokenizerFixtures.play($0) }
        let megabytes = Double(plays.reduce(0) { $0 + $1.count }) / 1e6
        var rates: [Double] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            var count = 0
            for play in plays { count += tokenizer.encode(bytes: play).count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(megabytes / seconds)
            #expect(count > 0)
        }
        var batchRates: [Double] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            let ids = tokenizer.encode(batch: plays, threads: 2)
            batchRates.append(megabytes / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            #expect(ids.count == plays.count)
        }
        rates.sort()
        batchRates.sort()
        print("GPT-2 encode, \(String(format: "%.2f", megabytes)) MB of Shakespeare, 1 thread: median \(String(format: "%.2f", rates[2])) MB/s (best \(String(format: "%.2f", rates[4]))); batch on 2 threads: median \(String(format: "%.2f", batchRates[2])) MB/s")
    }
}
